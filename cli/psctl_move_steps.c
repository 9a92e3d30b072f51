/*
 * psctl_move_steps.c - the steps of a profile move on each kind of
 * target: open a store other than the pool, read what a target carries,
 * the per-store edits (pstate.h section 11), the BMC writes, one step
 * on one target whichever its kind.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_move.h"
#include "psctl_util.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ other stores */


/* Open t's store by the library's one rule (ps_open_path), with its
 * writers' lock when writing (ps_open_lock: the store's, so the pool's
 * psctl, hvagent and every other path to it take the same one).  0, or
 * the error with err saying why (o holds nothing open). */
static int store_open(const struct mtarget *t, struct ps_opened *o,
		      int write, char *err, size_t n)
{
	int rc = ps_open_path(o, t->path, (t->is_dev ? PS_OPEN_DEVICE
						     : PS_OPEN_IMAGE) |
			      (write ? 0 : PS_OPEN_RDONLY), err, n);

	if (!rc && write)
		rc = ps_open_lock(o, PS_OWNER_OS, err, n);
	if (rc)
		ps_open_close(o);
	return rc;
}

/* The store key of t (ps_open_key) into key; 0, or the error with err
 * saying why. */
int move_store_key(const struct mtarget *t, char *key, size_t n, char *err,
		   size_t errlen)
{
	struct ps_opened o;
	int rc = store_open(t, &o, 0, err, errlen);

	if (!rc && ps_open_key(&o, key, n) < 0)
		rc = PS_ERR_INVAL;
	ps_open_close(&o);
	return rc;
}

/* ------------------------------------------------------------ test hook */

/* The test hook every move shares (ps_move_point, pstate/ps_move.h). */
void move_crash_point(const char *step)
{
	ps_move_point(step);
}

/* ------------------------------------------------------------ the move */


int move_fail(struct move *m, int code, const char *fmt, ...)
{
	char msg[sizeof m->msg];
	va_list ap;

	/* Through a copy: callers pass the previous m->msg as an argument. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(m->msg, msg, sizeof msg);
	return psctl_error(m->c, m->cmd, NULL, NULL, code, "%s", m->msg);
}

int move_find_prof(const void *buf, const char *name)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, name,
			   strlen(name));
}

/* A profile's string child as a NUL-terminated copy ("" when absent). */
void move_str_copy(const void *buf, int el, uint32_t sig, char *out,
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

uint8_t move_prof_state(const void *buf, int prof)
{
	uint32_t len;
	const void *cfg = psf_child_payload(buf, prof, PSF_PROFILE_CONFIG,
					    &len);

	return cfg ? (uint8_t)psf_field_uint(cfg, len, PSF_PROC_STATE, 1) : 0;
}

/* The error of a per-store edit, naming the profile, the place and the
 * other holder. */
int move_edit_error(struct move *m, int rc, const char *where)
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
		return move_fail(m, rc, "profile '%s' is %s %s in %s", m->prof,
				 why,
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
int move_read_store(struct move *m, const struct mtarget *t,
		    uint8_t **out, size_t *len)
{
	uint32_t n, gen;
	const void *d;
	struct ps_opened o;
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
		rc = store_open(t, &o, 0, m->msg, sizeof m->msg);
		if (rc)
			return rc;
		d = ps_store_data(o.store, &n);
	} else {
		d = psctl_store_data(m->c, &n);
	}
	*out = malloc(n + SCRATCH_ROOM);
	if (*out)
		memcpy(*out, d, n);
	if (t->w == W_STORE)
		ps_open_close(&o);
	*len = n;
	if (!*out)
		snprintf(m->msg, sizeof m->msg, "out of memory");
	return *out ? 0 : PS_ERR_NOMEM;
}

/* Does t carry the profile?  1 yes, 0 no (another profile's name in
 * other when it carries one). */
int move_carries(const uint8_t *buf, const struct mtarget *t,
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

/* ---- per-store edits, run through ps_update / psctl_edit */

int move_ed_release(struct move *m, void *buf, size_t cap, int keep)
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

/* The pool's copy of the profile applied to target t of a store. */
int move_ed_apply(struct move *m, void *buf, size_t cap,
		  const struct mtarget *t)
{
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	int prof = move_find_prof(pool, m->prof);
	const char *tt = t->kind == PSF_TARGET_VM ? t->vm : HOST_TARGET;
	struct psf_elem h;

	if (prof < 0 || psf_elem(pool, prof, &h))
		return prof < 0 ? prof : PS_ERR_INVAL;
	return ps_profile_apply(buf, cap, (const uint8_t *)pool + prof,
				h.end - (uint32_t)prof, t->kind, tt, strlen(tt),
				&m->e);
}

/* The pool's own VM takes it: in one edit the move record goes and the
 * VM carries the profile (steps 3 and 4 at once). */
int move_ed_apply_pool(struct move *m, void *buf, size_t cap)
{
	int prof = move_find_prof(buf, m->prof), rc;

	if (prof < 0)
		return prof;
	if (move_prof_state(buf, prof) == PSF_PROFILE_ASSIGNED &&
	    move_carries(buf, &m->dst, m->prof, m->msg, sizeof m->msg))
		return 0;
	rc = ps_profile_end_move(buf, cap, prof, PSF_TARGET_NONE, NULL, 0);
	prof = rc ? rc : move_find_prof(buf, m->prof);
	if (prof < 0)
		return prof;
	return ps_profile_assign(buf, cap, prof, m->dst.vm, strlen(m->dst.vm),
				 &m->e);
}


int move_lost_target;

struct pool_call {
	struct move *m;
	enum pool_op op;
	int rc;
};

static int pool_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct pool_call *p = arg;
	struct move *m = p->m;
	int prof = move_find_prof(buf, m->prof);
	const char *tt = m->has_dst ? m->dst.text : "";
	const char *st = m->has_src ? m->src.text : "";

	(void)c;
	if (prof < 0)
		return p->rc = prof;
	switch (p->op) {
	case P_BEGIN:
		/* Checked again on what this edit commits over: another
		 * failover may have taken the spare since validation. */
		if (m->has_dst &&
		    move_check_pool_target(m, &m->dst, buf)) {
			move_lost_target = 1;
			return p->rc = PS_ERR_INUSE;
		}
		p->rc = ps_profile_begin_move(buf, cap, prof, m->dst.kind, tt,
					      strlen(tt), st, strlen(st));
		break;
	case P_END:
		p->rc = ps_profile_end_move(buf, cap, prof, m->dst.kind, tt,
					    strlen(tt));
		break;
	case P_RELEASE:
		p->rc = move_ed_release(m, buf, cap, 1);
		break;
	case P_APPLY:
		p->rc = move_ed_apply_pool(m, buf, cap);
		break;
	}
	if (p->rc && p->op >= P_RELEASE)
		move_edit_error(m, p->rc, "the pool");
	else if (p->rc)
		psctl_error(m->c, m->cmd, NULL, NULL, p->rc, "the pool: %s",
			    ps_strerror(p->rc));
	return p->rc;
}

int move_pool_step(struct move *m, enum pool_op op)
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

	return s->apply ? move_ed_apply(s->m, buf, cap, s->t)
			: move_ed_release(s->m, buf, cap, 0);
}

int move_store_edit(const struct mtarget *t, int (*edit)(void *, size_t,
							 void *),
		    void *arg, char *msg, size_t n)
{
	struct ps_opened o;
	char err[1600];
	int rc = store_open(t, &o, 1, err, sizeof err);

	if (rc)
		return snprintf(msg, n, "%.400s", err), rc;
	rc = ps_move_update(o.store, edit, arg, msg, n);
	ps_open_close(&o);
	return rc;
}

static int store_step(struct move *m, const struct mtarget *t, int apply)
{
	struct store_call s = { m, t, apply };
	char msg[600];
	int rc = move_store_edit(t, store_edit, &s, msg, sizeof msg);

	if (rc && msg[0])
		return move_fail(m, rc, "%s: %s", t->text, msg);
	return rc ? move_edit_error(m, rc, t->text) : 0;
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
		return move_fail(m, rc, "%s: fencing (power off): %s", t->text,
				 err);
	if (on)
		return move_fail(m, PSCTL_EXIT_CONFLICT,
				 "%s: still powered on after"
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
		move_crash_point("fence");
	}
	rc = move_read_store(m, t, &buf, &len);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s", t->text, m->msg);
	if (t->kind == PSF_TARGET_PHYSICAL && ps_host_profile(buf,
							      (uint32_t *)&n)
	    && move_carries(buf, t, m->prof, m->msg, sizeof m->msg)) {
		n = path2(path, PSF_BMC_STATE, PS_BMC_HOST_PROFILE, NULL);
		rc = bmc_write(m, t, BMC_WRITE_DELETE, path, n,
			       "release (delete host profile)");
		if (rc)
			goto out;
		move_crash_point("release-host");
	}
	if (t->kind == PSF_TARGET_VM &&
	    move_carries(buf, t, m->prof, m->msg, sizeof m->msg)) {
		/* The VM's new identity is made here and written whole. */
		struct psf_elem h;
		uint8_t *st;

		rc = move_ed_release(m, buf, len + SCRATCH_ROOM, 0);
		if (rc) {
			rc = move_edit_error(m, rc, t->text);
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
		move_crash_point("release-host");
		free(buf);
		rc = move_read_store(m, t, &buf, &len);
		if (rc)
			return move_fail(m, rc, "%s: unreachable: %s", t->text,
				    m->msg);
	}
	prof = move_find_prof(buf, m->prof);
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

/* The pool's profile, clean as it travels (ps_profile_export: no target
 * or move record), pushed to the target through its BMC. */
static int bmc_apply(struct move *m, const struct mtarget *t)
{
	size_t vl = t->kind == PSF_TARGET_VM ? strlen(t->vm) : 0;
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	int prof = move_find_prof(pool, m->prof), len;
	uint8_t *st = malloc(2 + vl + n);

	if (!st)
		return move_fail(m, PS_ERR_NOMEM, "out of memory");
	len = prof < 0 ? prof : ps_profile_export(pool, prof, st + 2 + vl, n);
	if (len < 0) {
		free(st);
		return move_fail(m, len, "the pool: %s", ps_strerror(len));
	}
	st[0] = t->kind;
	st[1] = (uint8_t)vl;
	memcpy(st + 2, t->vm, vl);
	len = bmc_write(m, t, BMC_WRITE_PROFILE_PUSH, st, 2 + vl + (size_t)len,
			"profile push");
	free(st);
	return len;
}

/* ---- one step on one target, whichever kind */

int move_release_target(struct move *m, const struct mtarget *t)
{
	if (t->w == W_POOL)
		return move_pool_step(m, P_RELEASE);
	if (t->w == W_STORE)
		return store_step(m, t, 0);
	return bmc_release(m, t);
}

int move_apply_target(struct move *m, const struct mtarget *t)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (t->w == W_POOL)
		return move_pool_step(m, P_APPLY);
	if (t->w == W_STORE)
		return store_step(m, t, 1);
	/* Idempotent: a rerun after the push skips it. */
	rc = move_read_store(m, t, &buf, &len);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s", t->text, m->msg);
	rc = move_carries(buf, t, m->prof, m->msg, sizeof m->msg);
	free(buf);
	return rc ? 0 : bmc_apply(m, t);
}
