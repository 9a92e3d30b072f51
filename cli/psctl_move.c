/*
 * psctl_move.c - server profiles across targets (docs/profiles.md):
 *
 *   profile assign   PROFILE TARGET [--force]
 *   profile move     PROFILE TARGET [--force]
 *   profile unassign PROFILE [--force]
 *   profile failover FAILED SPARE [--force]
 *   profile show     PROFILE
 *
 * The store psctl opened is the pool: its PROFILEs say where each profile
 * should be.  A target is a physical server (bmc://HOST[:PORT] through its
 * BMC, or image:PATH / dev:DEVICE, its key in hand) or a VM (the same
 * forms with #VM, or a bare VM name in the pool).  A target the operator
 * writes may name a server of the pool's directory instead (SERVER,
 * SERVER#VM: ps_target_resolve); the pool records the full target.  Every command is one
 * move -- validate everything, mark the pool, release the source, apply
 * to the target, settle the pool -- built from the per-store edits of
 * pstate.h section 11; this file opens the stores and talks to BMCs.
 *
 * PSCTL_TEST_CRASH_AT=STEP (a test hook) ends the process with status 99
 * right after STEP: mark, fence, release-host, release, apply.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"
#include "psf_schema.h"

/* What a host's own copy of its profile names as its target: the BMC's
 * default name, as the BMC writes it on a push. */
#define HOST_TARGET BMC_SHIM_HOST_TARGET
#define RND_TRIES 8
#define SCRATCH_ROOM (64u << 10)

/* ------------------------------------------------------------ targets */

enum where { W_POOL, W_STORE, W_BMC };

struct mtarget {
	enum where w;
	uint8_t kind;                     /* PSF_TARGET_PHYSICAL / _VM  */
	char text[PS_CFG_TEXT_MAX + 1];   /* canonical form, in the pool */
	char path[PATH_MAX];              /* W_STORE                     */
	int is_dev;
	struct psctl_bmc bmc;             /* W_BMC                       */
	char vm[PS_CFG_NAME_MAX + 1];     /* VM targets                  */
	const char *arg;                  /* as the user wrote it        */
};

/* "image:PATH#VM": the store part and the VM name after the last '#'. */
static int split_vm(const char *s, char *store, size_t cap, char *vm)
{
	const char *h = strrchr(s, '#');
	size_t n = h ? (size_t)(h - s) : strlen(s);

	vm[0] = 0;
	if (n >= cap)
		return -1;
	memcpy(store, s, n);
	store[n] = 0;
	if (h) {
		if (ps_check_name(h + 1, strlen(h + 1), NULL))
			return -1;
		snprintf(vm, PS_CFG_NAME_MAX + 1, "%s", h + 1);
	}
	return 0;
}

/* t->text: the normal form of the physical target phys (the library's,
 * ps_target_norm), then "#VM" for a VM on it.  0, or the error reported. */
static int norm_text(struct psctl_ctx *c, const char *cmd, const char *phys,
		     struct mtarget *t)
{
	const char *why = NULL;
	size_t vl = strlen(t->vm);
	int k = ps_target_norm(phys, strlen(phys), t->text, sizeof t->text,
			       &why);

	if (k < 0)
		return psctl_error(c, cmd, "target", t->arg, PS_ERR_BADVALUE,
				   "%s", why);
	if (vl && (size_t)k + 1 + vl > PS_CFG_TEXT_MAX)
		return psctl_error(c, cmd, "target", t->arg, PS_ERR_BADVALUE,
				   "longer than %u characters",
				   PS_CFG_TEXT_MAX);
	if (vl) {
		t->text[k] = '#';
		memcpy(t->text + k + 1, t->vm, vl + 1);
	}
	return 0;
}

/* Parse TARGET into t; the error already reported when non-zero. */
static int parse_target(struct psctl_ctx *c, const char *cmd, const char *s,
			struct mtarget *t)
{
	char store[PATH_MAX + 16], err[512];
	const char *why = NULL;
	size_t off, len;
	uint8_t k;

	memset(t, 0, sizeof *t);
	t->arg = s;
	if (strlen(s) > PS_CFG_TEXT_MAX)
		return psctl_error(c, cmd, "target", s, PS_ERR_BADVALUE,
				   "longer than %u characters",
				   PS_CFG_TEXT_MAX);
	if (split_vm(s, store, sizeof store, t->vm))
		return psctl_error(c, cmd, "target", s, PS_ERR_BADVALUE,
				   "the part after '#' is not a VM name");
	t->kind = t->vm[0] ? PSF_TARGET_VM : PSF_TARGET_PHYSICAL;
	if (!strncasecmp(store, BMC_SHIM_TARGET_PREFIX, 6)) {
		t->w = W_BMC;
		if (ps_parse_target(store, strlen(store), &k, &off, &len, &why))
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "%s", why);
		if (psctl_bmc_parse(store, &t->bmc, err, sizeof err))
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "%s", err);
		t->bmc.user = c->bmc_user;
		t->bmc.password = c->bmc_password;
		return norm_text(c, cmd, store, t);
	}
	if (!strncmp(store, "image:", 6) || !strncmp(store, "dev:", 4)) {
		const char *p = store + (store[0] == 'i' ? 6 : 4);
		char full[PATH_MAX + 16];

		t->w = W_STORE;
		t->is_dev = store[0] == 'd';
		if (!*p)
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "empty path");
		/* One spelling per store, so failover finds it again. */
		if (psctl_abs_path(p, t->path, sizeof t->path))
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "path too long");
		snprintf(full, sizeof full, "%s:%s",
			 t->is_dev ? "dev" : "image", t->path);
		return norm_text(c, cmd, full, t);
	}
	t->w = W_POOL;
	t->kind = PSF_TARGET_VM;
	if (ps_parse_target(s, strlen(s), &k, &off, &len, &why) ||
	    k != PSF_TARGET_VM)
		return psctl_error(c, cmd, "target", s, PS_ERR_BADVALUE,
				   "not VM, vm:VM, image:PATH[#VM], "
				   "dev:DEVICE[#VM] or bmc://HOST[:PORT][#VM]");
	snprintf(t->vm, sizeof t->vm, "%.*s", (int)len, s + off);
	snprintf(t->text, sizeof t->text, "%s", t->vm);
	return 0;
}

/* TARGET as the operator wrote it: a server's name resolved through the
 * pool's directory (the pool must be open), then parsed. */
static int user_target(struct psctl_ctx *c, const char *cmd, const char *s,
		       struct mtarget *t)
{
	char full[PS_CFG_TEXT_MAX + 1];
	const char *why = NULL;
	uint32_t n;
	const void *pool = psctl_store_data(c, &n);
	int rc = ps_target_resolve(pool, s, strlen(s), full, sizeof full,
				   &why);

	if (rc < 0)
		return psctl_error(c, cmd, "target", s, rc, "%s", why);
	rc = parse_target(c, cmd, full, t);
	t->arg = s;
	return rc;
}

/* The server of the pool's directory a full target is on, or NULL. */
static const char *server_name(const void *pool, const char *target,
			       char *name, size_t cap)
{
	int el = ps_server_by_target(pool, target, strlen(target));

	if (el < 0)
		return NULL;
	ps_obj_key(pool, el, PS_OBJ_SERVER, name, cap);
	return name;
}

/* Same store behind two targets (a move between two VMs of one host). */
static int same_store(const struct mtarget *a, const struct mtarget *b)
{
	if (a->w != b->w)
		return 0;
	if (a->w == W_POOL)
		return 1;
	if (a->w == W_STORE)
		return !strcmp(a->path, b->path);
	return !strcmp(a->bmc.host, b->bmc.host) && a->bmc.port == b->bmc.port;
}

/* ------------------------------------------------------------ test hook */

static void crash_point(const char *step)
{
	const char *at = getenv("PSCTL_TEST_CRASH_AT");

	if (at && !strcmp(at, step)) {
		fflush(NULL);
		_exit(99);
	}
}

/* ------------------------------------------------------------ other stores */

/* A store other than the pool, opened for one edit or one read. */
struct ostore {
	struct ps_media m;
	struct ps_store *s;
	struct ps_sem_sys sem;
	struct ps_lock lock;
	int media_open, sem_open;
};

static void ostore_close(struct ostore *o)
{
	ps_store_close(o->s);
	if (o->media_open)
		ps_media_close(&o->m);
	if (o->sem_open)
		ps_sem_sys_close(&o->sem);
	memset(o, 0, sizeof *o);
}

/* The node of partition p of block device dev ("/dev/loop0p4" for
 * "/dev/loop0"), from sysfs: a block device has no file size, so its
 * partition is opened as a device of its own.  0, or -1. */
static int part_node(const char *dev, const struct ps_part_info *p,
		     char *out, size_t cap)
{
	char sys[96], f[400], line[32];
	struct stat st;
	struct dirent *d;
	DIR *dir;
	FILE *fp;
	int found = -1;

	if (stat(dev, &st) || !S_ISBLK(st.st_mode))
		return -1;
	snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	dir = opendir(sys);
	while (dir && found && (d = readdir(dir))) {
		long long no = -1, start = -1;

		if (d->d_name[0] == '.')
			continue;
		snprintf(f, sizeof f, "%s/%s/partition", sys, d->d_name);
		if ((fp = fopen(f, "r"))) {
			if (fgets(line, sizeof line, fp))
				no = atoll(line);
			fclose(fp);
		}
		snprintf(f, sizeof f, "%s/%s/start", sys, d->d_name);
		if ((fp = fopen(f, "r"))) {
			if (fgets(line, sizeof line, fp))
				start = atoll(line);
			fclose(fp);
		}
		if (no == p->partno && start >= 0 &&
		    (uint64_t)start * 512u == p->offset &&
		    (size_t)snprintf(out, cap, "/dev/%s", d->d_name) < cap)
			found = 0;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Open t's store (image or device, partitioned or whole); err says why. */
static int ostore_open(const struct mtarget *t, struct ostore *o, int write,
		       char *err, size_t n)
{
	struct ps_part_info part;
	char perr[400];
	char node[PATH_MAX];
	int rc = ps_part_find(t->path, &part, perr, sizeof perr);

	memset(o, 0, sizeof *o);
	if (rc == PS_PART_ENOTABLE && t->is_dev)
		rc = ps_media_open_blockdev(&o->m, t->path, 0);
	else if (!rc && t->is_dev && !part_node(t->path, &part, node,
						   sizeof node))
		rc = ps_media_open_blockdev(&o->m, node, 0);
	else if (rc == PS_PART_ENOTABLE)
		rc = ps_media_open_image(&o->m, t->path, 0, 0,
					 PS_SECTOR_SIZE, 0);
	else if (!rc)
		rc = ps_media_open_image(&o->m, t->path, part.offset,
					 part.length, PS_SECTOR_SIZE, 0);
	else {
		snprintf(err, n, "%s", perr);
		return rc;
	}
	if (rc) {
		snprintf(err, n, "%.300s: cannot open: %s", t->path,
			 ps_strerror(rc));
		return rc;
	}
	o->media_open = 1;
	o->s = ps_store_open(&o->m, &rc);
	if (!o->s) {
		snprintf(err, n, "%.300s: %s", t->path, ps_strerror(rc));
		ostore_close(o);
		return rc;
	}
	if (!write)
		return 0;
	{
		struct ps_sem_config cfg = { 0 };

		cfg.store_path = t->path;
		rc = ps_sem_sys_open(&o->sem, &cfg);
		if (rc) {
			snprintf(err, n, "%.300s: semaphore: %.150s", t->path,
				 ps_sem_sys_describe(&o->sem));
			ostore_close(o);
			return rc;
		}
	}
	o->sem_open = 1;
	o->lock = (struct ps_lock){ &ps_sem_sys_lock_ops, &o->sem, PS_OWNER_OS,
				    PS_SEM_DEFAULT_LEASE_MS, 0, 0 };
	ps_store_set_writer(o->s, &o->lock, PS_OWNER_OS);
	return 0;
}

/* ------------------------------------------------------------ the move */

struct move {
	struct psctl_ctx *c;
	const char *cmd;
	const char *prof;                 /* profile name               */
	int force;
	int unassign;
	int assign;                       /* profile assign (not move)   */
	struct mtarget src, dst;
	int has_src, has_dst;
	struct mtarget src2;              /* unassign of an interrupted
					     move: its target too        */
	int has_src2;
	int resume;                       /* in transit already          */
	int src_gone;                     /* --force: source unreachable */
	struct ps_cfg_err e;
	uint8_t rnd[RND_TRIES][PS_CFG_RND_UNASSIGN];
	uint8_t *elem;                    /* clean profile element bytes */
	size_t elen;
	char msg[512];
};

static int move_fail(struct move *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int move_fail(struct move *m, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof m->msg, fmt, ap);
	va_end(ap);
	return psctl_error(m->c, m->cmd, NULL, NULL, code, "%s", m->msg);
}

static int find_prof(const void *buf, const char *name)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, name,
			   strlen(name));
}

/* A profile's string child as a NUL-terminated copy ("" when absent). */
static void str_copy(const void *buf, int el, uint32_t sig, char *out,
		     size_t cap)
{
	uint32_t len = 0;
	const char *p = psf_child_payload(buf, el, sig, &len);

	if (!p)
		len = 0;
	if (len >= cap)
		len = (uint32_t)cap - 1;
	memcpy(out, p ? p : "", len);
	out[len] = 0;
}

static uint8_t prof_state(const void *buf, int prof)
{
	uint32_t len;
	const void *cfg = psf_child_payload(buf, prof, PSF_PROFILE_CONFIG,
					    &len);

	return cfg ? (uint8_t)psf_field_uint(cfg, len, PSF_PROC_STATE, 1) : 0;
}

/* The error of a per-store edit, naming the profile, the place and the
 * other holder. */
static int edit_error(struct move *m, int rc, const char *where)
{
	const struct ps_cfg_err *e = &m->e;
	const char *why = e->why ? e->why : ps_strerror(rc);
	int pool = !strcmp(where, "the pool");
	char who[PS_CFG_TEXT_MAX + 16];

	if (m->dst.kind == PSF_TARGET_VM)
		snprintf(who, sizeof who, "vm '%s'", m->dst.vm);
	else
		snprintf(who, sizeof who, "server %s", m->dst.text);
	if (rc == PS_ERR_DUPLICATE)
		return psctl_error(m->c, m->cmd, e->field,
				   e->value[0] ? e->value : NULL, rc,
				   "%s cannot take it from profile '%s': %s by "
				   "%s%s%s", who, m->prof, why, e->holder,
				   pool ? "" : " in ", pool ? "" : where);
	if (rc == PS_ERR_INUSE && e->field && !strcmp(e->field, "target"))
		return psctl_error(m->c, m->cmd, "target", m->dst.arg, rc,
				   "%s %s %s; move or unassign that first", who,
				   why, e->holder);
	if (rc == PS_ERR_INUSE)
		return move_fail(m, rc, "profile '%s' is %s %s in %s", m->prof, why,
			    e->holder, where);
	if (rc == PSF_ERR_NOTFOUND)
		return psctl_error(m->c, m->cmd, "target", m->dst.arg, rc,
				   "%s%s%s", why, pool ? "" : " in ", pool ? ""
				   : where);
	return move_fail(m, rc, "%s: %s%s%s", where, why,
		    e->holder[0] ? " by " : "", e->holder);
}

/* ---- reading a target's store (a malloc'd copy with room to edit) */

/* 0, or a library error / exit code with m->msg saying why. */
static int read_store(struct move *m, const struct mtarget *t,
		      uint8_t **out, size_t *len)
{
	uint32_t n, gen;
	const void *d;
	struct ostore o;
	uint8_t *b = NULL;
	size_t got = 0;
	int rc;

	*out = NULL;
	if (t->w == W_BMC) {
		rc = psctl_bmc_read(&t->bmc, BMC_READ_STORE, NULL, 0, &b, &got,
				    &gen, m->msg, sizeof m->msg);
		if (rc)
			return rc;
		*out = realloc(b, got + SCRATCH_ROOM);
		if (!*out)
			free(b);
		*len = got;
		return *out ? 0 : PS_ERR_NOMEM;
	}
	if (t->w == W_STORE) {
		rc = ostore_open(t, &o, 0, m->msg, sizeof m->msg);
		if (rc)
			return rc;
		d = ps_store_data(o.s, &n);
	} else {
		d = psctl_store_data(m->c, &n);
	}
	*out = malloc(n + SCRATCH_ROOM);
	if (*out)
		memcpy(*out, d, n);
	if (t->w == W_STORE)
		ostore_close(&o);
	*len = n;
	if (!*out)
		snprintf(m->msg, sizeof m->msg, "out of memory");
	return *out ? 0 : PS_ERR_NOMEM;
}

/* Does t carry the profile?  1 yes, 0 no (another profile's name in
 * other when it carries one). */
static int carries(const uint8_t *buf, const struct mtarget *t,
		   const char *name, char *other, size_t cap)
{
	uint32_t len = 0;
	const char *p;
	int vm;

	other[0] = 0;
	if (t->kind == PSF_TARGET_PHYSICAL) {
		p = ps_host_profile(buf, &len);
	} else {
		vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, t->vm,
				 strlen(t->vm));
		p = vm < 0 ? NULL : psf_child_payload(buf, vm, PSF_PROFILE_REF,
						      &len);
	}
	if (!p || !len)
		return 0;
	if (len == strlen(name) && !memcmp(p, name, len))
		return 1;
	snprintf(other, cap, "%.*s", (int)len, p);
	return 0;
}

/* ---- the clean profile element (unassigned, no move record) */

static int clean_elem(struct move *m)
{
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	uint8_t *s = malloc(n + SCRATCH_ROOM);
	struct psf_elem h;
	int prof, rc;

	if (!s)
		return PS_ERR_NOMEM;
	memcpy(s, pool, n);
	prof = find_prof(s, m->prof);
	rc = prof < 0 ? prof
		      : ps_profile_end_move(s, n + SCRATCH_ROOM, prof,
					    PSF_TARGET_NONE, NULL, 0);
	prof = rc ? rc : find_prof(s, m->prof);
	rc = prof < 0 ? prof : psf_elem(s, prof, &h);
	if (!rc) {
		free(m->elem);
		m->elen = h.end - (uint32_t)prof;
		m->elem = malloc(m->elen);
		if (m->elem)
			memcpy(m->elem, s + prof, m->elen);
		else
			rc = PS_ERR_NOMEM;
	}
	free(s);
	return rc;
}

/* ---- per-store edits, run through ps_update / psctl_edit */

static int ed_release(struct move *m, void *buf, size_t cap, int keep)
{
	int rc = 0, i;

	/* A generated UUID or MAC already in use: other random bytes. */
	for (i = 0; i < RND_TRIES; i++) {
		rc = ps_profile_release(buf, cap, m->prof, strlen(m->prof),
					keep, m->rnd[i], PS_CFG_RND_UNASSIGN,
					&m->e);
		if (rc != PS_ERR_DUPLICATE)
			break;
	}
	return rc < 0 ? rc : 0;
}

static int ed_apply(struct move *m, void *buf, size_t cap,
		    const struct mtarget *t)
{
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	int prof = find_prof(pool, m->prof);
	const char *tt = t->kind == PSF_TARGET_VM ? t->vm : HOST_TARGET;

	if (prof < 0)
		return prof;
	return ps_profile_apply(buf, cap, pool, prof, t->kind, tt, strlen(tt),
				&m->e);
}

/* The pool's own VM takes it: in one edit the move record goes and the
 * VM carries the profile (steps 3 and 4 at once). */
static int ed_apply_pool(struct move *m, void *buf, size_t cap)
{
	int prof = find_prof(buf, m->prof), rc;

	if (prof < 0)
		return prof;
	if (prof_state(buf, prof) == PSF_PROFILE_ASSIGNED &&
	    carries(buf, &m->dst, m->prof, m->msg, sizeof m->msg))
		return 0;
	rc = ps_profile_end_move(buf, cap, prof, PSF_TARGET_NONE, NULL, 0);
	prof = rc ? rc : find_prof(buf, m->prof);
	if (prof < 0)
		return prof;
	return ps_profile_assign(buf, cap, prof, m->dst.vm, strlen(m->dst.vm),
				 &m->e);
}

enum pool_op { P_BEGIN, P_END, P_RELEASE, P_APPLY };

struct pool_call {
	struct move *m;
	enum pool_op op;
	int rc;
};

static int pool_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct pool_call *p = arg;
	struct move *m = p->m;
	int prof = find_prof(buf, m->prof);
	const char *tt = m->has_dst ? m->dst.text : "";
	const char *st = m->has_src ? m->src.text : "";

	(void)c;
	if (prof < 0)
		return p->rc = prof;
	switch (p->op) {
	case P_BEGIN:
		p->rc = ps_profile_begin_move(buf, cap, prof, m->dst.kind, tt,
					      strlen(tt), st, strlen(st));
		break;
	case P_END:
		p->rc = ps_profile_end_move(buf, cap, prof, m->dst.kind, tt,
					    strlen(tt));
		break;
	case P_RELEASE:
		p->rc = ed_release(m, buf, cap, 1);
		break;
	case P_APPLY:
		p->rc = ed_apply_pool(m, buf, cap);
		break;
	}
	if (p->rc && p->op >= P_RELEASE)
		edit_error(m, p->rc, "the pool");
	else if (p->rc)
		psctl_error(m->c, m->cmd, NULL, NULL, p->rc, "the pool: %s",
			    ps_strerror(p->rc));
	return p->rc;
}

static int pool_step(struct move *m, enum pool_op op)
{
	struct pool_call p = { m, op, 0 };

	return psctl_edit(m->c, pool_edit, &p);
}

struct store_call {
	struct move *m;
	const struct mtarget *t;
	int apply;
};

static int store_edit(void *buf, size_t cap, void *arg)
{
	struct store_call *s = arg;

	return s->apply ? ed_apply(s->m, buf, cap, s->t)
			: ed_release(s->m, buf, cap, 0);
}

static int store_step(struct move *m, const struct mtarget *t, int apply)
{
	struct store_call s = { m, t, apply };
	struct ostore o;
	char err[512];
	int rc = ostore_open(t, &o, 1, err, sizeof err);

	if (rc)
		return move_fail(m, rc, "%s: %s", t->text, err);
	rc = ps_update(o.s, store_edit, &s, 3);
	ostore_close(&o);
	if (rc)
		return edit_error(m, rc, t->text);
	return 0;
}

/* ---- BMC steps */

/* A path argument: steps of [sig u32][name_len u8][name]. */
static size_t path2(uint8_t *p, uint32_t s1, uint32_t s2, const char *name)
{
	size_t n = name ? strlen(name) : 0, i = 0;

	p[i++] = 2;
	psf_put_le32(p + i, s1);
	i += 4;
	p[i++] = 0;
	psf_put_le32(p + i, s2);
	i += 4;
	p[i++] = (uint8_t)n;
	if (n)
		memcpy(p + i, name, n);
	return i + n;
}

static int bmc_write(struct move *m, const struct mtarget *t, uint8_t op,
		     const void *staged, size_t len, const char *what)
{
	char err[512];
	int rc = psctl_bmc_write(&t->bmc, op, staged, len, 0, NULL, NULL, err,
				 sizeof err);

	return rc ? move_fail(m, rc, "%s: %s: %s", t->text, what, err) : 0;
}

/* Power a physical source off through its BMC before its identity goes:
 * the identity must not be live on it when it appears elsewhere. */
static int bmc_fence(struct move *m, const struct mtarget *t)
{
	char err[512];
	int on = 1, rc = psctl_bmc_power_status(&t->bmc, &on, err, sizeof err);

	if (!rc && on)
		rc = psctl_bmc_power_off(&t->bmc, err, sizeof err);
	if (!rc && on)
		rc = psctl_bmc_power_status(&t->bmc, &on, err, sizeof err);
	if (rc)
		return move_fail(m, rc, "%s: fencing (power off): %s", t->text, err);
	if (on)
		return move_fail(m, PSCTL_EXIT_CONFLICT, "%s: still powered on after"
			    " power off; nothing released", t->text);
	return 0;
}

static int bmc_release(struct move *m, const struct mtarget *t)
{
	uint8_t *buf, path[2 * 5 + 2 + PS_CFG_NAME_MAX];
	size_t len, n;
	int rc, vm, prof;

	if (t->kind == PSF_TARGET_PHYSICAL) {
		rc = bmc_fence(m, t);
		if (rc)
			return rc;
		crash_point("fence");
	}
	rc = read_store(m, t, &buf, &len);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s", t->text, m->msg);
	if (t->kind == PSF_TARGET_PHYSICAL && ps_host_profile(buf, (uint32_t *)&n)
	    && carries(buf, t, m->prof, m->msg, sizeof m->msg)) {
		n = path2(path, PSF_BMC_STATE, PS_BMC_HOST_PROFILE, NULL);
		rc = bmc_write(m, t, BMC_WRITE_DELETE, path, n,
			       "release (delete host profile)");
		if (rc)
			goto out;
		crash_point("release-host");
	}
	if (t->kind == PSF_TARGET_VM &&
	    carries(buf, t, m->prof, m->msg, sizeof m->msg)) {
		/* The VM's new identity is made here and written whole. */
		struct psf_elem h;
		uint8_t *st;

		rc = ed_release(m, buf, len + SCRATCH_ROOM, 0);
		if (rc) {
			rc = edit_error(m, rc, t->text);
			goto out;
		}
		vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, t->vm,
				 strlen(t->vm));
		if (vm < 0 || psf_elem(buf, vm, &h)) {
			rc = move_fail(m, PSF_ERR_NOTFOUND, "%s: no such vm",
				  t->text);
			goto out;
		}
		st = malloc(6 + h.end - (uint32_t)vm);
		if (!st) {
			rc = PS_ERR_NOMEM;
			goto out;
		}
		st[0] = 1;
		psf_put_le32(st + 1, PSF_VMS);
		st[5] = 0;
		memcpy(st + 6, buf + vm, h.end - (uint32_t)vm);
		rc = bmc_write(m, t, BMC_WRITE_ELEMENT, st,
			       6 + h.end - (uint32_t)vm,
			       "release (VM's new identity)");
		free(st);
		if (rc)
			goto out;
		crash_point("release-host");
		free(buf);
		rc = read_store(m, t, &buf, &len);
		if (rc)
			return move_fail(m, rc, "%s: unreachable: %s", t->text,
				    m->msg);
	}
	prof = find_prof(buf, m->prof);
	/* The copy stays while a VM of the store carries it: on a rerun of a
	 * move between two VMs of one host, the target VM took it already.
	 * (buf still names the host as carrier when its record was deleted
	 * above: that one is released.) */
	if (prof >= 0 && ps_profile_carrier(buf, m->prof, strlen(m->prof),
					    &vm) != PSF_TARGET_VM) {
		n = path2(path, PSF_PROFILES, PSF_PROFILE, m->prof);
		rc = bmc_write(m, t, BMC_WRITE_DELETE, path, n,
			       "release (delete profile copy)");
	}
out:
	free(buf);
	return rc;
}

static int bmc_apply(struct move *m, const struct mtarget *t)
{
	size_t vl = t->kind == PSF_TARGET_VM ? strlen(t->vm) : 0;
	uint8_t *st;
	int rc = clean_elem(m);

	if (rc)
		return move_fail(m, rc, "the pool: %s", ps_strerror(rc));
	st = malloc(2 + vl + m->elen);
	if (!st)
		return PS_ERR_NOMEM;
	st[0] = t->kind;
	st[1] = (uint8_t)vl;
	memcpy(st + 2, t->vm, vl);
	memcpy(st + 2 + vl, m->elem, m->elen);
	rc = bmc_write(m, t, BMC_WRITE_PROFILE_PUSH, st, 2 + vl + m->elen,
		       "profile push");
	free(st);
	return rc;
}

/* ---- one step on one target, whichever kind */

static int release_target(struct move *m, const struct mtarget *t)
{
	if (t->w == W_POOL)
		return pool_step(m, P_RELEASE);
	if (t->w == W_STORE)
		return store_step(m, t, 0);
	return bmc_release(m, t);
}

static int apply_target(struct move *m, const struct mtarget *t)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (t->w == W_POOL)
		return pool_step(m, P_APPLY);
	if (t->w == W_STORE)
		return store_step(m, t, 1);
	/* Idempotent: a rerun after the push skips it. */
	rc = read_store(m, t, &buf, &len);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s", t->text, m->msg);
	rc = carries(buf, t, m->prof, m->msg, sizeof m->msg);
	free(buf);
	return rc ? 0 : bmc_apply(m, t);
}

/* ------------------------------------------------------------ validation */

/* A physical target behind a BMC must be off (the host would not see an
 * identity pushed under it, and a live host must not change identity). */
static int check_power(struct move *m, const struct mtarget *t)
{
	char err[512];
	int on = 0, rc;

	if (t->w != W_BMC || t->kind != PSF_TARGET_PHYSICAL)
		return 0;
	rc = psctl_bmc_power_status(&t->bmc, &on, err, sizeof err);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s", t->text, err);
	if (on)
		return move_fail(m, PSCTL_EXIT_CONFLICT, "%s is powered on; a target "
			    "must be off to take a profile (power it off "
			    "first); nothing changed", t->text);
	return 0;
}

/* The target, reachable, carrying no other profile, and taking this one
 * without a clash: tried on a private copy of its store. */
static int check_target(struct move *m)
{
	uint32_t pn;
	const uint8_t *pool = psctl_store_data(m->c, &pn);
	char other[PS_CFG_NAME_MAX + 1];
	uint8_t *buf;
	size_t len, cap;
	int rc = check_power(m, &m->dst), prof;

	if (rc)
		return rc;
	rc = read_store(m, &m->dst, &buf, &len);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s; nothing changed",
			    m->dst.text, m->msg);
	cap = len + SCRATCH_ROOM;
	if (!carries(buf, &m->dst, m->prof, other, sizeof other) && other[0]) {
		free(buf);
		return move_fail(m, PS_ERR_INUSE, "%s already carries profile '%s';"
			    " move or unassign that first; nothing changed",
			    m->dst.text, other);
	}
	/* A source in the same store lets go first, as it will. */
	if (m->has_src && same_store(&m->src, &m->dst))
		rc = ed_release(m, buf, cap, m->dst.w == W_POOL);
	if (!rc && m->dst.w == W_POOL) {
		rc = ed_apply_pool(m, buf, cap);
	} else if (!rc) {
		prof = find_prof(pool, m->prof);
		rc = ps_profile_apply(buf, cap, pool, prof, m->dst.kind,
				      m->dst.kind == PSF_TARGET_VM
					      ? m->dst.vm : HOST_TARGET,
				      m->dst.kind == PSF_TARGET_VM
					      ? strlen(m->dst.vm)
					      : strlen(HOST_TARGET), &m->e);
	}
	free(buf);
	return rc ? edit_error(m, rc, m->dst.text) : 0;
}

/* The source must answer, unless the operator says it is fenced. */
static int check_source(struct move *m, const struct mtarget *t)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (t->w == W_POOL)
		return 0;
	rc = read_store(m, t, &buf, &len);
	free(buf);
	if (!rc)
		return 0;
	if (m->force) {
		fprintf(m->c->err, "%s: %s: source %s unreachable (%s); "
			"--force: taken as fenced, its copy is left as it "
			"is\n", m->c->prog, m->cmd, t->text, m->msg);
		m->src_gone = 1;
		return 0;
	}
	return psctl_error(m->c, m->cmd, NULL, NULL, PSCTL_EXIT_IO,
			   "source %s unreachable (%s): it cannot be "
			   "released; if it is fenced (powered off for good), "
			   "rerun with --force; nothing changed", t->text,
			   m->msg);
}

/* Another pool profile already placed on t. */
static int check_pool_target(struct move *m, const struct mtarget *t)
{
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	char txt[PS_CFG_TEXT_MAX + 1], name[PS_CFG_NAME_MAX + 1];
	struct mtarget o;
	int el, root = psf_root(pool);

	for (el = ps_obj_next(pool, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(pool, root, PS_OBJ_PROFILE, el)) {
		str_copy(pool, el, PSF_NAME, name, sizeof name);
		str_copy(pool, el, PSF_TARGET, txt, sizeof txt);
		if (!strcmp(name, m->prof) || !txt[0] ||
		    prof_state(pool, el) == PSF_PROFILE_UNASSIGNED)
			continue;
		if (parse_target(m->c, m->cmd, txt, &o))
			continue;
		if (strcmp(o.text, t->text))
			continue;
		if (t->w == W_POOL)
			return psctl_error(m->c, m->cmd, "target", t->arg,
					   PS_ERR_INUSE, "vm '%s' already "
					   "carries profile '%s'; move or "
					   "unassign that first", t->vm, name);
		return psctl_error(m->c, m->cmd, "target", t->arg,
				   PS_ERR_INUSE, "%s already carries profile "
				   "'%s' (per the pool); move or unassign that "
				   "first", t->text, name);
	}
	return 0;
}

/* The recorded source and target of the pool's profile. */
static int load(struct move *m, const char *new_target, int *prof_out)
{
	uint32_t n;
	const void *pool;
	char tt[PS_CFG_TEXT_MAX + 1], st[PS_CFG_TEXT_MAX + 1];
	int rc = psctl_need_store(m->c), prof;
	uint8_t state;

	if (rc)
		return rc;
	pool = psctl_store_data(m->c, &n);
	prof = find_prof(pool, m->prof);
	if (prof < 0)
		return psctl_error(m->c, m->cmd, "name", m->prof,
				   PSF_ERR_NOTFOUND, "no such profile");
	*prof_out = prof;
	state = prof_state(pool, prof);
	str_copy(pool, prof, PSF_TARGET, tt, sizeof tt);
	str_copy(pool, prof, PSF_MOVE_SOURCE, st, sizeof st);
	if (new_target) {
		rc = user_target(m->c, m->cmd, new_target, &m->dst);
		if (rc)
			return rc;
		m->has_dst = 1;
	}
	if (state == PSF_PROFILE_IN_TRANSIT) {
		m->resume = 1;
		if (st[0]) {
			rc = parse_target(m->c, m->cmd, st, &m->src);
			if (rc)
				return rc;
			m->has_src = 1;
		}
		if (m->unassign && tt[0]) {
			rc = parse_target(m->c, m->cmd, tt, &m->src2);
			if (rc)
				return rc;
			m->has_src2 = 1;
		} else if (!m->unassign && !tt[0]) {
			return move_fail(m, PS_ERR_INUSE, "profile '%s' is in "
				    "transit to nowhere (an unassign was "
				    "interrupted); finish it: psctl profile "
				    "unassign %s", m->prof, m->prof);
		} else if (!m->unassign) {
			struct mtarget rec;

			rc = parse_target(m->c, m->cmd, tt, &rec);
			if (rc)
				return rc;
			if (strcmp(rec.text, m->dst.text))
				return move_fail(m, PS_ERR_INUSE, "profile '%s' is in"
					    " transit to %s (a move was "
					    "interrupted); finish it first: "
					    "psctl profile move %s %s", m->prof,
					    rec.text, m->prof, rec.text);
		}
	} else if (state == PSF_PROFILE_ASSIGNED && tt[0]) {
		rc = parse_target(m->c, m->cmd, tt, &m->src);
		if (rc)
			return rc;
		m->has_src = 1;
		/* assign places an unassigned profile; move moves one. */
		if (m->assign && strcmp(m->src.text, m->dst.text))
			return move_fail(m, PS_ERR_INUSE, "profile '%s' already "
				    "assigned to %s%s%s; unassign it first, or "
				    "use profile move", m->prof,
				    m->src.w == W_POOL ? "vm '" : "",
				    m->src.text,
				    m->src.w == W_POOL ? "'" : "");
	}
	return 0;
}

/* ------------------------------------------------------------ commands */

static int validate(struct move *m, int prof)
{
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	int rc = 0;

	/* The target first: its own checks say the most precise thing. */
	if (m->has_dst) {
		rc = check_pool_target(m, &m->dst);
		if (!rc)
			rc = check_target(m);
	}
	if (!rc && ps_profile_check_ids(pool, pool, prof, NULL, 0, &m->e))
		return move_fail(m, PS_ERR_DUPLICATE, "profile '%s': %s %s %s by %s "
			    "in the pool", m->prof, m->e.field, m->e.value,
			    m->e.why, m->e.holder);
	if (!rc && m->has_src && !(m->has_dst && !strcmp(m->src.text,
							  m->dst.text)))
		rc = check_source(m, &m->src);
	if (!rc && m->has_src2)
		rc = check_source(m, &m->src2);
	return rc;
}

static int rand_fill(struct move *m)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, m->rnd, sizeof m->rnd);

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof m->rnd)
		return psctl_error(m->c, m->cmd, NULL, "/dev/urandom",
				   PS_ERR_IO, "cannot read random bytes: %s",
				   strerror(errno));
	return 0;
}

static void plan(struct move *m)
{
	FILE *o = m->c->out;

	fprintf(o, "%s profile '%s'%s\n", m->resume ? "resume" : "move",
		m->prof, m->c->dry_run ? " (dry run: nothing written)" : "");
	if (m->has_src)
		fprintf(o, "  release %s%s\n", m->src.text,
			m->src.w == W_BMC &&
					m->src.kind == PSF_TARGET_PHYSICAL
				? " (powered off through its BMC first)" : "");
	if (m->has_src2)
		fprintf(o, "  release %s\n", m->src2.text);
	if (m->has_dst)
		fprintf(o, "  apply to %s\n", m->dst.text);
	else
		fprintf(o, "  leave it unassigned\n");
}

/* Steps 1-4; each one commit on one store, each idempotent. */
static int run_steps(struct move *m)
{
	int same = m->has_src && m->has_dst &&
		   !strcmp(m->src.text, m->dst.text);
	int rc = 0;

	if (!same && !m->resume) {
		rc = pool_step(m, P_BEGIN);
		if (rc)
			return rc;
		crash_point("mark");
	}
	if (m->has_src && !same && !m->src_gone) {
		rc = release_target(m, &m->src);
		if (rc)
			return rc;
	}
	if (m->has_src2 && !m->src_gone)
		rc = release_target(m, &m->src2);
	if (rc)
		return rc;
	crash_point("release");
	if (m->has_dst) {
		rc = apply_target(m, &m->dst);
		if (rc)
			return rc;
		crash_point("apply");
	}
	if (m->has_dst && m->dst.w == W_POOL)
		return 0;  /* settled in the apply edit */
	return pool_step(m, P_END);
}

static int move_cmd(struct psctl_ctx *c, const char *cmd, const char *prof,
		    const char *target, int force, int assign)
{
	static struct move m;
	int rc, p;

	free(m.elem);
	memset(&m, 0, sizeof m);
	m.c = c;
	m.cmd = cmd;
	m.prof = prof;
	m.force = force;
	m.unassign = target == NULL;
	m.assign = assign;
	rc = load(&m, target, &p);
	if (rc)
		return rc;
	if (m.unassign && !m.has_src && !m.has_src2 && !m.resume) {
		fprintf(c->err, "%s: %s: profile '%s' is not assigned; nothing"
			" written\n", c->prog, cmd, prof);
		return 0;
	}
	rc = rand_fill(&m);
	if (!rc)
		rc = validate(&m, p);
	if (rc)
		return rc;
	if (c->dry_run) {
		plan(&m);
		return 0;
	}
	return run_steps(&m);
}

/* Words after the verb: positional arguments and --force. */
static int args(struct psctl_ctx *c, const char *cmd, int argc, char **argv,
		int want, const char **pos, int *force, const char *usage)
{
	int i, n = 0;

	*force = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			*force = 1;
		else if (argv[i][0] == '-' || n == want)
			return psctl_error(c, cmd, NULL, argv[i],
					   PSCTL_EXIT_USAGE, "usage: %s %s",
					   cmd, usage);
		else
			pos[n++] = argv[i];
	}
	if (n != want)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s %s", cmd, usage);
	return 0;
}

#define TARGET_FORMS "TARGET (SERVER[#VM], VM, vm:VM, image:PATH[#VM], " \
		     "dev:DEVICE[#VM], bmc://HOST[:PORT][#VM])"

static int pro_move(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = !strcmp(argv[0], "assign") ? "profile assign"
						      : "profile move";
	const char *pos[2];
	int force, rc = args(c, cmd, argc, argv, 2, pos, &force,
			     "PROFILE TARGET [--force]; " TARGET_FORMS);

	return rc ? rc : move_cmd(c, cmd, pos[0], pos[1], force,
				    !strcmp(argv[0], "assign"));
}

static int pro_unassign(struct psctl_ctx *c, int argc, char **argv)
{
	const char *pos[1];
	int force, rc = args(c, "profile unassign", argc, argv, 1, pos, &force,
			     "PROFILE [--force]");

	return rc ? rc : move_cmd(c, "profile unassign", pos[0], NULL, force,
				    0);
}

/* failover FAILED SPARE: the profile the pool places on FAILED (or is
 * moving away from it) goes to SPARE. */
static int pro_failover(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = "profile failover", *pos[2];
	char name[PS_CFG_NAME_MAX + 1], txt[PS_CFG_TEXT_MAX + 1];
	struct mtarget failed, o;
	const void *pool;
	uint32_t n;
	int force, el, rc = args(c, cmd, argc, argv, 2, pos, &force,
				 "FAILED-TARGET SPARE-TARGET [--force]");

	if (!rc)
		rc = psctl_need_store(c);
	if (!rc)
		rc = user_target(c, cmd, pos[0], &failed);
	if (rc)
		return rc;
	pool = psctl_store_data(c, &n);
	for (el = ps_obj_next(pool, psf_root(pool), PS_OBJ_PROFILE, -1);
	     el >= 0; el = ps_obj_next(pool, psf_root(pool), PS_OBJ_PROFILE,
					el)) {
		uint32_t sigs[2] = { PSF_TARGET, PSF_MOVE_SOURCE };
		int i;

		for (i = 0; i < 2; i++) {
			str_copy(pool, el, sigs[i], txt, sizeof txt);
			if (i == 1 && prof_state(pool, el) !=
					      PSF_PROFILE_IN_TRANSIT)
				continue;
			if (!txt[0] || prof_state(pool, el) ==
					       PSF_PROFILE_UNASSIGNED)
				continue;
			if (parse_target(c, cmd, txt, &o) ||
			    strcmp(o.text, failed.text))
				continue;
			str_copy(pool, el, PSF_NAME, name, sizeof name);
			return move_cmd(c, cmd, name, pos[1], force, 0);
		}
	}
	return psctl_error(c, cmd, "target", pos[0], PSF_ERR_NOTFOUND,
			   "no profile of the pool is placed on %s",
			   failed.text);
}

/* ------------------------------------------------------------ show */

/* What the target's own store says, against the pool. */
static int show_place(struct move *m, const char *role,
		      const struct mtarget *t, int want)
{
	char other[PS_CFG_NAME_MAX + 1];
	uint8_t *buf;
	size_t len;
	int rc, has;

	rc = read_store(m, t, &buf, &len);
	if (rc) {
		fprintf(m->c->out, "%-13s %s: unreachable (%s)\n", role,
			t->text, m->msg);
		return 0;
	}
	has = carries(buf, t, m->prof, other, sizeof other);
	free(buf);
	fprintf(m->c->out, "%-13s %s: %s%s%s\n", role, t->text,
		has ? "carries it" : other[0] ? "carries profile '"
					      : "carries no profile",
		!has && other[0] ? other : "", !has && other[0] ? "'" : "");
	if (want >= 0 && has != want)
		fprintf(m->c->out, "%-13s %s\n", "disagrees",
			want ? "the pool places it there, the target does not "
			       "carry it"
			     : "the target still carries it");
	return has == want;
}

/* The pool's view only: the fields (the shared JSON rule), the move
 * record and the server the target is on. */
static int show_json(struct psctl_ctx *c, const void *pool, int prof)
{
	struct psctl_jw w;
	char v[1024];

	psctl_jw_init(&w, c->out);
	psctl_jw_obj(&w, 0);
	psctl_jw_fields(&w, pool, prof, PS_OBJ_PROFILE);
	str_copy(pool, prof, PSF_MOVE_SOURCE, v, sizeof v);
	psctl_jw_key(&w, "move-source");
	psctl_jw_str(&w, v);
	str_copy(pool, prof, PSF_TARGET, v, sizeof v);
	psctl_jw_key(&w, "server");
	psctl_jw_str(&w, server_name(pool, v, v, sizeof v) ? v : "");
	psctl_jw_end(&w);
	fputc('\n', c->out);
	return 0;
}

static int pro_show(struct psctl_ctx *c, int argc, char **argv)
{
	static struct move m;
	const struct ps_field *f;
	const void *pool;
	char v[1024], tt[PS_CFG_TEXT_MAX + 1];
	uint32_t n;
	int force, prof, rc;
	const char *pos[1];
	uint8_t state;

	memset(&m, 0, sizeof m);
	m.c = c;
	m.cmd = "profile show";
	rc = args(c, m.cmd, argc, argv, 1, pos, &force, "PROFILE");
	if (rc)
		return rc;
	m.prof = pos[0];
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	pool = psctl_store_data(c, &n);
	prof = find_prof(pool, m.prof);
	if (prof < 0)
		return psctl_error(c, m.cmd, "name", m.prof, PSF_ERR_NOTFOUND,
				   "no such profile");
	if (c->json)
		return show_json(c, pool, prof);
	for (f = ps_obj_fields(PS_OBJ_PROFILE); f->name; f++) {
		ps_obj_get(pool, prof, f, v, sizeof v);
		fprintf(c->out, "%-13s %s\n", f->name, v);
		/* Its own line, so scripts reading "target" keep working. */
		if (!strcmp(f->name, "target") &&
		    server_name(pool, v, tt, sizeof tt))
			fprintf(c->out, "%-13s %s\n", "server", tt);
	}
	str_copy(pool, prof, PSF_MOVE_SOURCE, v, sizeof v);
	fprintf(c->out, "%-13s %s\n", "move-source", v);
	str_copy(pool, prof, PSF_TARGET, tt, sizeof tt);
	state = prof_state(pool, prof);
	if (state == PSF_PROFILE_UNASSIGNED)
		return 0;
	if (state == PSF_PROFILE_IN_TRANSIT) {
		fprintf(c->out, "%-13s a move was interrupted: from %s to %s\n",
			"in transit", v[0] ? v : "(nowhere)",
			tt[0] ? tt : "(nowhere: an unassign)");
		if (v[0] && !parse_target(c, m.cmd, v, &m.src))
			show_place(&m, "source", &m.src, -1);
		if (tt[0] && !parse_target(c, m.cmd, tt, &m.dst))
			show_place(&m, "target", &m.dst, -1);
		fprintf(c->out, "%-13s psctl profile %s %s%s%s (releases the "
			"source if it still carries it, then applies to the "
			"target)\n", "rerun", tt[0] ? "move" : "unassign",
			m.prof, tt[0] ? " " : "", tt);
		return 0;
	}
	if (!tt[0] || parse_target(c, m.cmd, tt, &m.dst))
		return 0;
	if (!show_place(&m, "target", &m.dst, 1))
		fprintf(c->out, "%-13s psctl profile assign %s %s (applies it "
			"again where the pool places it)\n", "fix", m.prof,
			tt);
	return 0;
}

const struct psctl_cmd psctl_move_cmds[] = {
	{ "profile", "show", pro_show, "PROFILE",
	  "show a profile and what its target carries (and any move to "
	  "finish)", NULL },
	{ "profile", "assign", pro_move, "PROFILE TARGET [--force]",
	  "give a profile to a physical server or VM (target off, ids "
	  "unique)", NULL },
	{ "profile", "move", pro_move, "PROFILE TARGET [--force]",
	  "move a profile: release (and power off) the source, then apply",
	  NULL },
	{ "profile", "unassign", pro_unassign, "PROFILE [--force]",
	  "release a profile from its target (VM: fresh UUID and MACs)",
	  NULL },
	{ "profile", "failover", pro_failover, "FAILED SPARE [--force]",
	  "move the profile placed on FAILED to SPARE", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
