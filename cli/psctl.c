/*
 * psctl - the administrator's tool: main, global options, which store to
 * open, the store-level commands (init, scan, info, check, dump, export,
 * import, help, shell), transactions, errors and exit codes.  The object
 * commands are in psctl_cmds.c, the shell in psctl_shell.c; psctl.h is the
 * contract between them.  docs/psctl.1.md is the manual.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"

#define PSCTL_VERSION "0.1"
/* The embedded default image, used when no USB key holds a store and
 * $PSTATE_IMAGE is unset; `psctl init` creates it. */
#define PSCTL_DEFAULT_IMAGE "/var/lib/pstate/default.img"
#define PSCTL_DEFAULT_IMAGE_SIZE (64ull << 20)
/* Conflicts re-applied on fresh state before giving up (ps_update). */
#define PSCTL_RETRIES 3
#define MAX_INPUT ((size_t)PSF_MAX_TOTAL * 8 + 1) /* text is larger */

/* Where the store is: the result of -d / -i / the scan / the default. */
struct target {
	char path[1024];
	int is_dev;               /* block device (else image file)      */
	int whole;                /* no partition table: all of it       */
	struct ps_part_info part; /* valid unless whole                  */
	char how[640];            /* why this one (option, scan, default) */
};

/* Process-wide state behind the psctl_ctx (one store per process). */
static struct {
	const char *dev;          /* -d */
	const char *image;        /* -i */
	int quiet;                /* -q: no "store:" line */
	int announced;
	const char *cmd;          /* the running command, for messages */
	char cmdbuf[64];
	struct target tgt;
	struct ps_media media;
	int media_open;
	struct ps_sem_sys sem;
	int sem_open;
	struct ps_lock lock;
	/* --bmc: the BMC's store, read whole into a memory media; edits go
	 * back as OEM element writes (psctl_bmc.c). */
	int bmc_store;            /* the open store is the BMC's */
	int local_noun;           /* a `bmc` command: -i/-d is the store */
	uint8_t *bmc_mem;
	uint32_t bmc_gen;         /* generation the BMC's store was read at */
} g;

/* ------------------------------------------------------------ errors */

int psctl_exit_for(int code)
{
	if (code >= 0)
		return code; /* already an exit code (or success) */
	switch (code) {
	case PSF_ERR_NOTFOUND:
	case PS_ERR_BADREF:
		return PSCTL_EXIT_NOTFOUND;
	case PS_ERR_NOFIELD:
		return PSCTL_EXIT_USAGE;
	case PS_ERR_BADVALUE:
	case PSF_ERR_BADVALUE:
	case PSF_ERR_BADPAYLOAD:
	case PS_ERR_INVAL:
	case PS_PART_EINVAL:
	case PS_SEM_ERR_INVAL:
		return PSCTL_EXIT_INVALID;
	case PS_ERR_CONFLICT:
	case PS_ERR_EXISTS:
	case PS_ERR_DUPLICATE:
	case PS_ERR_INUSE:
	case PS_ERR_FENCED:
	case PS_ERR_LOCK:
	case PS_PART_EBUSY:
	case PS_SEM_ERR_BUSY:
	case PS_SEM_ERR_TIMEOUT:
	case PS_SEM_ERR_LOST:
		return PSCTL_EXIT_CONFLICT;
	case PS_ERR_SUPERBLOCK:
	case PS_ERR_GEOMETRY:
	case PS_ERR_NOSLOT:
	case PS_PART_EDUP:
	case PS_PART_ERANGE:
		return PSCTL_EXIT_DAMAGED;
	case PSF_ERR_NOSPACE:
	case PSF_ERR_TOOLARGE:
		return PSCTL_EXIT_IO; /* no room on media */
	default:
		break;
	}
	/* Any other format error means bytes that fail validation. */
	if (code >= -PSF_ERR_MAX)
		return PSCTL_EXIT_DAMAGED;
	return PSCTL_EXIT_IO;
}

int psctl_error(struct psctl_ctx *c, const char *cmd, const char *field,
		const char *value, int code, const char *fmt, ...)
{
	FILE *to = c && c->err ? c->err : stderr;
	va_list ap;

	fprintf(to, "%s: ", c && c->prog ? c->prog : "psctl");
	if (cmd)
		fprintf(to, "%s: ", cmd);
	if (field && value)
		fprintf(to, "%s '%s': ", field, value);
	else if (field)
		fprintf(to, "%s: ", field);
	else if (value)
		fprintf(to, "'%s': ", value);
	if (fmt) {
		va_start(ap, fmt);
		vfprintf(to, fmt, ap);
		va_end(ap);
	} else {
		fputs(code < 0 ? ps_strerror(code) : "failed", to);
	}
	fputc('\n', to);
	fflush(to);
	return psctl_exit_for(code) ? psctl_exit_for(code) : PSCTL_EXIT_USAGE;
}

/* ------------------------------------------------------------ helpers */

/* Read a whole file (or "-": stdin), up to MAX_INPUT bytes, terminated. */
static int read_file(struct psctl_ctx *c, const char *path, char **out,
		     size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n = 0, cap = 65536;
	char *buf, *nb;

	if (!f)
		return psctl_error(c, g.cmd, NULL, path, PS_ERR_IO,
				   "cannot open: %s", strerror(errno));
	buf = malloc(cap + 1);
	while (buf && !ferror(f)) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0 || n >= MAX_INPUT)
			break;
		if (n == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (!buf || ferror(f) || n >= MAX_INPUT) {
		const char *why = !buf ? "out of memory"
				  : n >= MAX_INPUT ? "too large for a store"
						   : "read error";

		free(buf);
		if (f != stdin)
			fclose(f);
		return psctl_error(c, g.cmd, NULL, path, PS_ERR_IO, "%s", why);
	}
	if (f != stdin)
		fclose(f);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/* Write whole or not at all: temporary file beside path, then rename;
 * "-" or NULL is the normal output. */
static int write_out(struct psctl_ctx *c, const char *path, const void *data,
		     size_t len)
{
	char tmp[1100];
	FILE *f;
	int ok;

	if (!path || !strcmp(path, "-")) {
		ok = fwrite(data, 1, len, c->out) == len && fflush(c->out) == 0;
		return ok ? 0 : psctl_error(c, g.cmd, NULL, "stdout", PS_ERR_IO,
					    "write failed");
	}
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	ok = f && fwrite(data, 1, len, f) == len;
	if (f)
		ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		int e = errno;

		unlink(tmp);
		return psctl_error(c, g.cmd, NULL, path, PS_ERR_IO,
				   "cannot write: %s", strerror(e));
	}
	return 0;
}

static const char *default_image(void)
{
	const char *e = getenv("PSTATE_IMAGE");

	return e && *e ? e : PSCTL_DEFAULT_IMAGE;
}

/* Does argv hold a flag; consumes nothing (commands scan their own). */
static int has_flag(int argc, char **argv, const char *flag)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], flag))
			return 1;
	return 0;
}

/* The value after an option, or NULL (and an error) when it is missing. */
static const char *opt_value(struct psctl_ctx *c, int argc, char **argv,
			     int *i)
{
	if (*i + 1 >= argc) {
		psctl_error(c, g.cmd, argv[*i], NULL, PSCTL_EXIT_USAGE,
			    "needs a value");
		return NULL;
	}
	return argv[++*i];
}

/* ------------------------------------------------------------ the store */

/* Find the pstate partition of t->path; no table means the whole file or
 * node is the store (a partition node, or a bare partition image). */
static int probe_part(struct psctl_ctx *c, struct target *t)
{
	char err[512];
	int rc = ps_part_find(t->path, &t->part, err, sizeof err);

	if (rc == PS_PART_ENOTABLE) {
		t->whole = 1;
		return 0;
	}
	if (rc == PS_PART_ENODEV && !g.dev && !g.image)
		return psctl_error(c, g.cmd, NULL, NULL, rc,
				   "default image %s does not exist (%s); "
				   "create it with 'psctl init'", t->path,
				   t->how);
	if (rc)
		return psctl_error(c, g.cmd, NULL, NULL, rc, "%s", err);
	return 0;
}

static struct ps_disc_result *disc_result(void)
{
	static struct ps_disc_result res;

	memset(&res, 0, sizeof res);
	return &res;
}

/* -d, -i, else the first USB key that holds a store, else the default. */
static int find_target(struct psctl_ctx *c, struct target *t)
{
	struct ps_disc_result *res;
	char err[512] = "";
	int rc;

	memset(t, 0, sizeof *t);
	if (g.dev || g.image) {
		t->is_dev = g.dev != NULL;
		snprintf(t->path, sizeof t->path, "%s", g.dev ? g.dev : g.image);
		snprintf(t->how, sizeof t->how, "%s option", g.dev ? "-d" : "-i");
		return probe_part(c, t);
	}
	res = disc_result();
	rc = ps_locate(res, NULL, 0, err, sizeof err);
	if (rc >= 0) {
		const struct ps_disc_cand *k = &res->cand[rc];

		t->is_dev = 1;
		snprintf(t->path, sizeof t->path, "%s", k->dev);
		t->part = k->part;
		snprintf(t->how, sizeof t->how, "USB key on port %s, chosen by "
			 "scan", k->port_path);
		return 0;
	}
	if (rc != PS_ERR_NOSTORE && rc != PS_DISC_ENONE && rc != PS_DISC_EUSB)
		return psctl_error(c, g.cmd, NULL, NULL, rc, "USB scan: %s",
				   err);
	snprintf(t->path, sizeof t->path, "%s", default_image());
	snprintf(t->how, sizeof t->how, "default image%s: %.500s",
		 getenv("PSTATE_IMAGE") && *getenv("PSTATE_IMAGE")
			 ? " ($PSTATE_IMAGE)" : "", err);
	return probe_part(c, t);
}

static void describe_target(const struct target *t, char *buf, size_t len)
{
	if (t->whole)
		snprintf(buf, len, "%s:%s (whole %s)",
			 t->is_dev ? "device" : "image", t->path,
			 t->is_dev ? "node" : "file, no partition table");
	else
		snprintf(buf, len, "%s:%s %s partition #%d at byte %llu "
			 "(%llu bytes)", t->is_dev ? "device" : "image",
			 t->path, ps_part_label_name(t->part.label),
			 t->part.partno, (unsigned long long)t->part.offset,
			 (unsigned long long)t->part.length);
}

static int open_media(struct ps_media *m, const struct target *t,
		      unsigned flags)
{
	if (t->whole && t->is_dev)
		return ps_media_open_blockdev(m, t->path, flags);
	if (t->whole)
		return ps_media_open_image(m, t->path, 0, 0, PS_SECTOR_SIZE,
					   flags);
	return ps_media_open_image(m, t->path, t->part.offset, t->part.length,
				   PS_SECTOR_SIZE, flags);
}

static char where_buf[1400];

/* The BMC's store as psctl's: read whole (OEM read op 1) and laid out on
 * a memory media, so every read-only command runs unchanged on it. */
static int need_bmc_store(struct psctl_ctx *c)
{
	struct ps_format_opts fo = { 0 };
	struct ps_disk d;
	uint8_t sector[PS_SECTOR_SIZE];
	uint8_t *data = NULL;
	size_t len = 0, room;
	uint32_t bad = 0;
	int rc = psctl_bmc_load(c, &data, &len, &g.bmc_gen);

	if (rc)
		return rc;
	if (len < PSF_HEADER_SIZE || psf_check_full(data, len, &bad)) {
		free(data);
		return psctl_error(c, g.cmd, "--bmc", c->bmc,
				   PSCTL_EXIT_DAMAGED, "the BMC's store is not "
				   "a valid store (offset %u)", bad);
	}
	/* Two slots with room to grow: the BMC, not this copy, decides
	 * what fits (it answers 0xC4 when an edit does not). */
	room = ((len + PS_SECTOR_SIZE - 1) / PS_SECTOR_SIZE + 256) * 2 + 64;
	g.bmc_mem = calloc(room, PS_SECTOR_SIZE);
	rc = g.bmc_mem ? ps_media_init_mem(&g.media, g.bmc_mem,
					   PS_SECTOR_SIZE, room)
		       : PS_ERR_NOMEM;
	fo.store = data;
	fo.store_len = (uint32_t)len;
	fo.timestamp = (uint64_t)time(NULL);
	if (!rc)
		rc = ps_format(&d, &g.media, &fo, sector);
	free(data);
	if (rc)
		return psctl_error(c, g.cmd, "--bmc", c->bmc, rc, "cannot hold "
				   "the BMC's store in memory: %s",
				   ps_strerror(rc));
	g.media_open = 1;
	c->media = &g.media;
	c->store = ps_store_open(&g.media, &rc);
	if (!c->store)
		return psctl_error(c, g.cmd, "--bmc", c->bmc, rc, "%s",
				   ps_strerror(rc));
	g.bmc_store = 1;
	snprintf(where_buf, sizeof where_buf, "bmc:%s (generation %u, read "
		 "over IPMI)", c->bmc, g.bmc_gen);
	snprintf(g.tgt.how, sizeof g.tgt.how, "--bmc option");
	c->where = where_buf;
	if (!g.quiet && !g.announced)
		fprintf(c->err, "%s: store: %s\n", c->prog, where_buf);
	g.announced = 1;
	return 0;
}

/* The store's generation: the BMC's when the store came from one (the
 * memory copy starts its own count). */
static unsigned long long store_generation(struct psctl_ctx *c)
{
	return g.bmc_store ? g.bmc_gen : ps_store_generation(c->store);
}

int psctl_need_store(struct psctl_ctx *c)
{
	int rc;

	if (c->store)
		return 0;
	if (c->bmc && !g.local_noun) {
		if (g.dev || g.image)
			return psctl_error(c, g.cmd, "--bmc", c->bmc,
					   PSCTL_EXIT_USAGE, "give one store: "
					   "--bmc or -i/-d (-i/-d go with "
					   "--bmc only for 'bmc' commands)");
		return need_bmc_store(c);
	}
	rc = find_target(c, &g.tgt);
	if (rc)
		return rc;
	describe_target(&g.tgt, where_buf, sizeof where_buf);
	/* Read-write when we may, so one open serves reads and edits; a
	 * read-only file or key still answers read commands. */
	rc = open_media(&g.media, &g.tgt, 0);
	if (rc)
		rc = open_media(&g.media, &g.tgt, PS_MEDIA_RDONLY);
	if (rc)
		return psctl_error(c, g.cmd, NULL, NULL, rc, "%s: cannot open: "
				   "%s", where_buf, ps_strerror(rc));
	g.media_open = 1;
	c->media = &g.media;
	c->store = ps_store_open(&g.media, &rc);
	if (!c->store) {
		if (rc == PS_ERR_NOSTORE)
			return psctl_error(c, g.cmd, NULL, NULL, rc,
					   "%s: no pstate store (not "
					   "formatted; see psctl init)",
					   where_buf);
		return psctl_error(c, g.cmd, NULL, NULL, rc, "%s: %s",
				   where_buf, ps_strerror(rc));
	}
	c->where = where_buf;
	if (!g.quiet && !g.announced)
		fprintf(c->err, "%s: store: %s\n", c->prog, where_buf);
	g.announced = 1;
	return 0;
}

const void *psctl_store_data(struct psctl_ctx *c, uint32_t *len)
{
	if (!c->store) {
		if (len)
			*len = 0;
		return NULL;
	}
	return ps_store_data(c->store, len);
}

static void close_all(struct psctl_ctx *c)
{
	ps_store_close(c->store);
	c->store = NULL;
	if (g.media_open)
		ps_media_close(&g.media);
	g.media_open = 0;
	free(g.bmc_mem);
	g.bmc_mem = NULL;
	g.bmc_store = 0;
	c->media = NULL;
	if (g.sem_open)
		ps_sem_sys_close(&g.sem);
	g.sem_open = 0;
}

/* The semaphore (or its flock fallback) for commits, as owner OS tools. */
static int need_lock(struct psctl_ctx *c)
{
	struct ps_sem_config cfg = { 0 };
	int rc;

	if (g.sem_open)
		return 0;
	cfg.store_path = g.tgt.path;
	rc = ps_sem_sys_open(&g.sem, &cfg);
	if (rc)
		return psctl_error(c, g.cmd, NULL, NULL, rc, "semaphore: %s",
				   ps_sem_sys_describe(&g.sem));
	g.sem_open = 1;
	g.lock = (struct ps_lock){ &ps_sem_sys_lock_ops, &g.sem, PS_OWNER_OS,
				   PS_SEM_DEFAULT_LEASE_MS, 0, 0 };
	ps_store_set_writer(c->store, &g.lock, PS_OWNER_OS);
	return 0;
}

/* ------------------------------------------------------------ text, diff */

/* The text form of a store as a string (caller frees). */
static int store_text(const void *buf, uint32_t len, char **out)
{
	struct psf_tree *t;
	int rc = psf_tree_unpack(buf, len, &t, NULL);

	if (rc)
		return rc;
	rc = psf_text_dump_alloc(t, out, NULL);
	psf_tree_free(t);
	return rc;
}

struct lines {
	char **v;
	size_t n;
};

/* Split s in place at newlines. */
static int split_lines(char *s, struct lines *l)
{
	size_t cap = 64;
	char *nl;

	l->n = 0;
	l->v = malloc(cap * sizeof *l->v);
	while (l->v && *s) {
		if (l->n == cap) {
			char **nv = realloc(l->v, 2 * cap * sizeof *l->v);

			if (!nv)
				break;
			l->v = nv;
			cap *= 2;
		}
		l->v[l->n++] = s;
		nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = 0;
		s = nl + 1;
	}
	return l->v ? 0 : PSF_ERR_NOSPACE;
}

/*
 * The middle of a diff (after the common prefix and suffix are cut off):
 * LCS when it is small enough to be cheap, else every old line out and
 * every new line in.  Edits touch one place, so the middle is small.
 */
static void diff_middle(FILE *o, char **a, size_t na, char **b, size_t nb)
{
	size_t i, j, w = nb + 1;
	uint32_t *L;

	if (na * nb > (4u << 20) ||
	    !(L = calloc((na + 1) * w, sizeof *L))) {
		for (i = 0; i < na; i++)
			fprintf(o, "-%s\n", a[i]);
		for (j = 0; j < nb; j++)
			fprintf(o, "+%s\n", b[j]);
		return;
	}
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			L[i * w + j] = !strcmp(a[i], b[j])
				? L[(i + 1) * w + j + 1] + 1
				: (L[(i + 1) * w + j] > L[i * w + j + 1]
					   ? L[(i + 1) * w + j]
					   : L[i * w + j + 1]);
	for (i = 0, j = 0; i < na || j < nb;) {
		if (i < na && j < nb && !strcmp(a[i], b[j])) {
			fprintf(o, " %s\n", a[i]);
			i++, j++;
		} else if (j < nb && (i == na ||
				      L[i * w + j + 1] >= L[(i + 1) * w + j])) {
			fprintf(o, "+%s\n", b[j++]);
		} else {
			fprintf(o, "-%s\n", a[i++]);
		}
	}
	free(L);
}

/* A unified-style diff of two texts: one hunk with 3 lines of context. */
static void print_diff(FILE *o, char *ta, char *tb, const char *la,
		       const char *lb)
{
	struct lines a, b;
	size_t p = 0, s = 0, ctx0, ctx1, i;

	if (split_lines(ta, &a) || split_lines(tb, &b)) {
		free(a.v);
		return;
	}
	while (p < a.n && p < b.n && !strcmp(a.v[p], b.v[p]))
		p++;
	while (s < a.n - p && s < b.n - p &&
	       !strcmp(a.v[a.n - 1 - s], b.v[b.n - 1 - s]))
		s++;
	ctx0 = p < 3 ? p : 3;
	ctx1 = s < 3 ? s : 3;
	fprintf(o, "--- %s\n+++ %s\n", la, lb);
	fprintf(o, "@@ -%zu,%zu +%zu,%zu @@\n", p - ctx0 + 1,
		a.n - p - s + ctx0 + ctx1, p - ctx0 + 1,
		b.n - p - s + ctx0 + ctx1);
	for (i = p - ctx0; i < p; i++)
		fprintf(o, " %s\n", a.v[i]);
	diff_middle(o, a.v + p, a.n - p - s, b.v + p, b.n - p - s);
	for (i = a.n - s; i < a.n - s + ctx1; i++)
		fprintf(o, " %s\n", a.v[i]);
	free(a.v);
	free(b.v);
}

/* ------------------------------------------------------------ transactions */

struct edit_call {
	struct psctl_ctx *c;
	psctl_edit_fn fn;
	void *arg;
	int fn_failed;            /* fn reported its own error */
	int unchanged;
};

/* The ps_update edit: run the command's edit, then finish the store so it
 * can be compared with the base; an identical store is not committed. */
static int edit_wrap(void *buf, size_t cap, void *arg)
{
	struct edit_call *e = arg;
	uint32_t blen;
	const void *base = ps_store_data(e->c->store, &blen);
	int rc = e->fn(e->c, buf, cap, e->arg);

	if (rc) {
		e->fn_failed = 1;
		return rc;
	}
	rc = psf_finish(buf);
	if (rc)
		return rc;
	e->unchanged = psf_total(buf) == blen && !memcmp(buf, base, blen);
	return e->unchanged ? PS_ERR_ABORTED : 0;
}

/* --dry-run: the edit on a private copy, then the diff; nothing written. */
static int edit_dry(struct psctl_ctx *c, psctl_edit_fn fn, void *arg)
{
	struct ps_txn t;
	uint32_t blen;
	const void *base = ps_store_data(c->store, &blen);
	char *ta = NULL, *tb = NULL, la[1500], lb[1500];
	int changed, stale, rc = ps_txn_begin(c->store, &t);

	if (rc)
		return psctl_error(c, g.cmd, NULL, NULL, rc, NULL);
	rc = fn(c, t.buf, t.cap, arg);
	if (rc) {
		ps_txn_abort(&t);
		return psctl_exit_for(rc) ? psctl_exit_for(rc)
					  : PSCTL_EXIT_USAGE;
	}
	rc = psf_finish(t.buf);
	if (!rc)
		rc = psf_check_full(t.buf, t.cap, NULL);
	if (!rc)
		rc = store_text(base, blen, &ta);
	if (!rc)
		rc = store_text(t.buf, psf_total(t.buf), &tb);
	if (rc) {
		ps_txn_abort(&t);
		free(ta);
		return psctl_error(c, g.cmd, NULL, NULL, rc,
				   "the edited store is invalid: %s",
				   ps_strerror(rc));
	}
	changed = strcmp(ta, tb) != 0;
	if (!changed) {
		fprintf(c->out, "no change\n");
	} else {
		snprintf(la, sizeof la, "%s generation %llu", c->where,
			 store_generation(c));
		snprintf(lb, sizeof lb, "%s after '%s' (dry run, not written)",
			 c->where, g.cmd ? g.cmd : "edit");
		print_diff(c->out, ta, tb, la, lb);
	}
	free(ta);
	free(tb);
	/* What would go to the BMC, element by element. */
	if (g.bmc_store && changed)
		rc = psctl_bmc_send_diff(c, base, t.buf, g.bmc_gen, 1, &stale);
	ps_txn_abort(&t);
	return rc;
}

/* Re-read the BMC's store after another writer got in first. */
static int reload_bmc_store(struct psctl_ctx *c)
{
	ps_store_close(c->store);
	c->store = NULL;
	ps_media_close(&g.media);
	g.media_open = 0;
	free(g.bmc_mem);
	g.bmc_mem = NULL;
	g.announced = 1;
	return need_bmc_store(c);
}

/* One try of an edit on the BMC's store: the edit on a private copy,
 * then its difference sent as OEM element writes. */
static int edit_bmc_once(struct psctl_ctx *c, psctl_edit_fn fn, void *arg,
			 int *stale)
{
	struct ps_txn t;
	uint32_t blen;
	const void *base = ps_store_data(c->store, &blen);
	int rc = ps_txn_begin(c->store, &t);

	if (rc)
		return psctl_error(c, g.cmd, NULL, NULL, rc, NULL);
	rc = fn(c, t.buf, t.cap, arg);
	if (rc) {
		ps_txn_abort(&t);
		return psctl_exit_for(rc) ? psctl_exit_for(rc)
					  : PSCTL_EXIT_USAGE;
	}
	rc = psf_finish(t.buf);
	if (!rc)
		rc = psf_check_full(t.buf, t.cap, NULL);
	if (rc) {
		ps_txn_abort(&t);
		return psctl_error(c, g.cmd, NULL, NULL, rc, "the edited store "
				   "is invalid: %s", ps_strerror(rc));
	}
	if (psf_total(t.buf) == blen && !memcmp(t.buf, base, blen)) {
		ps_txn_abort(&t);
		if (!g.quiet)
			fprintf(c->err, "%s: %s: no change; nothing sent\n",
				c->prog, g.cmd ? g.cmd : "edit");
		return 0;
	}
	rc = psctl_bmc_send_diff(c, base, t.buf, g.bmc_gen, 0, stale);
	ps_txn_abort(&t);
	return rc;
}

static int edit_bmc(struct psctl_ctx *c, psctl_edit_fn fn, void *arg)
{
	int tries, stale = 0, rc = 0;

	for (tries = 0; tries <= PSCTL_RETRIES; tries++) {
		if (tries && (rc = reload_bmc_store(c)))
			return rc;
		rc = edit_bmc_once(c, fn, arg, &stale);
		if (!stale)
			return rc;
	}
	return psctl_error(c, g.cmd, "--bmc", c->bmc, PS_ERR_CONFLICT,
			   "the store kept changing under another writer (%d "
			   "retries); nothing written", PSCTL_RETRIES);
}

int psctl_edit(struct psctl_ctx *c, psctl_edit_fn fn, void *arg)
{
	struct edit_call e = { c, fn, arg, 0, 0 };
	int rc = psctl_need_store(c);

	if (rc)
		return rc;
	if (c->dry_run)
		return edit_dry(c, fn, arg);
	if (g.bmc_store)
		return edit_bmc(c, fn, arg);
	if (c->media->read_only)
		return psctl_error(c, g.cmd, NULL, NULL, PS_ERR_RDONLY,
				   "%s: opened read-only; nothing written",
				   c->where);
	rc = need_lock(c);
	if (rc)
		return rc;
	rc = ps_update(c->store, edit_wrap, &e, PSCTL_RETRIES);
	if (rc == PS_ERR_ABORTED && e.unchanged) {
		if (!g.quiet)
			fprintf(c->err, "%s: %s: no change; nothing written\n",
				c->prog, g.cmd ? g.cmd : "edit");
		return 0;
	}
	if (rc && e.fn_failed)
		return psctl_exit_for(rc) ? psctl_exit_for(rc)
					  : PSCTL_EXIT_USAGE;
	if (rc == PS_ERR_CONFLICT)
		return psctl_error(c, g.cmd, NULL, NULL, rc, "the store kept "
				   "changing under another writer (%d retries);"
				   " nothing written", PSCTL_RETRIES);
	if (rc)
		return psctl_error(c, g.cmd, NULL, NULL, rc, "commit failed: "
				   "%s; nothing written", ps_strerror(rc));
	return 0;
}

/* ------------------------------------------------------------ names */

void psctl_each_name(struct psctl_ctx *c, uint32_t set, uint32_t sig,
		     void (*fn)(void *arg, const char *name, size_t len),
		     void *arg)
{
	uint32_t len;
	const uint8_t *buf = psctl_store_data(c, &len);
	int s, e;

	if (!buf || len < PSF_HEADER_SIZE)
		return;
	s = psf_find_child(buf, psf_root(buf), set);
	if (s < 0)
		return;
	for (e = psf_find_next(buf, s, -1, sig); e >= 0;
	     e = psf_find_next(buf, s, e, sig)) {
		uint32_t nl;
		const char *n = psf_child_payload(buf, e, PSF_NAME, &nl);

		if (n)
			fn(arg, n, nl);
	}
}

/* ------------------------------------------------------------ init */

struct init_opts {
	int gpt, force, slots;
	uint64_t size, part_size;
	int size_given;
};

static int init_parse(struct psctl_ctx *c, int argc, char **argv,
		      struct init_opts *o)
{
	const char *v;
	int i;

	memset(o, 0, sizeof *o);
	o->size = PSCTL_DEFAULT_IMAGE_SIZE;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gpt"))
			o->gpt = 1;
		else if (!strcmp(argv[i], "--mbr"))
			o->gpt = 0;
		else if (!strcmp(argv[i], "--force"))
			o->force = 1;
		else if (!strcmp(argv[i], "--size") ||
			 !strcmp(argv[i], "--part-size")) {
			int part = argv[i][2] == 'p';
			const char *why = "zero";
			uint64_t n;

			if (!(v = opt_value(c, argc, argv, &i)))
				return PSCTL_EXIT_USAGE;
			/* The library's one size rule; bare digits: bytes. */
			if (ps_parse_size(v, strlen(v), 1, &n, &why) || n == 0)
				return psctl_error(c, "init", argv[i - 1], v,
						   PSCTL_EXIT_INVALID,
						   "not a size: %s (e.g. 64M, "
						   "4MiB, 1G)", why);
			if (part)
				o->part_size = n;
			else
				o->size = n, o->size_given = 1;
		} else if (!strcmp(argv[i], "--slots")) {
			if (!(v = opt_value(c, argc, argv, &i)))
				return PSCTL_EXIT_USAGE;
			o->slots = atoi(v);
			if (o->slots < 2 || o->slots > (int)PS_MAX_SLOTS ||
			    strspn(v, "0123456789") != strlen(v))
				return psctl_error(c, "init", "--slots", v,
						   PSCTL_EXIT_INVALID,
						   "must be 2..%u",
						   PS_MAX_SLOTS);
		} else {
			return psctl_error(c, "init", NULL, argv[i],
					   PSCTL_EXIT_USAGE,
					   "unknown argument (init [--gpt] "
					   "[--size SIZE] [--part-size SIZE] "
					   "[--slots N] [--force])");
		}
	}
	return 0;
}

/* An image with any non-zero byte is not empty: refuse it without
 * --force even when libblkid recognises nothing in it. */
static int image_nonzero(const char *path, uint64_t *where)
{
	static uint8_t buf[1 << 16];
	uint64_t off = 0;
	ssize_t n, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i]) {
				*where = off + (uint64_t)i;
				close(fd);
				return 1;
			}
		off += (uint64_t)n;
	}
	close(fd);
	return 0;
}

/* Refuse a target that holds anything, unless --force. */
static int init_refuse(struct psctl_ctx *c, const char *path, int is_dev)
{
	struct ps_part_info pi;
	char err[512];
	uint64_t at;
	int rc = ps_part_find(path, &pi, err, sizeof err);

	if (rc == 0)
		return psctl_error(c, "init", NULL, path, PS_PART_EBUSY,
				   "already holds a pstate partition (%s #%d);"
				   " use --force to overwrite",
				   ps_part_label_name(pi.label), pi.partno);
	if (rc != PS_PART_ENOTABLE && rc != PS_PART_ENODEV)
		return psctl_error(c, "init", NULL, path, PS_PART_EBUSY,
				   "not empty (%s); use --force to overwrite",
				   err);
	if (!is_dev && image_nonzero(path, &at))
		return psctl_error(c, "init", NULL, path, PS_PART_EBUSY,
				   "not empty (non-zero byte at offset %llu);"
				   " use --force to overwrite",
				   (unsigned long long)at);
	return 0;
}

/* Create (or, with --force, resize) the image file. */
static int init_image_file(struct psctl_ctx *c, const char *path,
			   const struct init_opts *o, int *created)
{
	struct stat st;
	int fd;

	*created = 0;
	if (stat(path, &st) == 0 && st.st_size > 0 && !o->force) {
		if (o->size_given && (uint64_t)st.st_size != o->size)
			return psctl_error(c, "init", "--size", NULL,
					   PSCTL_EXIT_USAGE, "%s exists with "
					   "%lld bytes; --size applies to a new"
					   " image (or with --force)", path,
					   (long long)st.st_size);
		return init_refuse(c, path, 0);
	}
	if (stat(path, &st) != 0) {
		/* The documented default's directory may not exist yet. */
		if (!strcmp(path, PSCTL_DEFAULT_IMAGE))
			mkdir("/var/lib/pstate", 0755);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		*created = fd >= 0;
	} else {
		fd = open(path, O_WRONLY);
	}
	if (fd < 0)
		return psctl_error(c, "init", NULL, path, PS_ERR_IO,
				   "cannot create: %s", strerror(errno));
	if ((*created || st.st_size == 0 || o->size_given) &&
	    ftruncate(fd, (off_t)o->size) != 0) {
		int e = errno;

		close(fd);
		if (*created)
			unlink(path);
		return psctl_error(c, "init", NULL, path, PS_ERR_IO,
				   "cannot size to %llu bytes: %s",
				   (unsigned long long)o->size, strerror(e));
	}
	close(fd);
	return 0;
}

static void random_id(uint8_t id[16])
{
	int fd = open("/dev/urandom", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, id, 16) : -1;
	uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	if (fd >= 0)
		close(fd);
	if (n != 16)
		memcpy(id, &t, sizeof t);
}

/* Format the pstate partition just made: an empty store, generation 1. */
static int init_format(struct psctl_ctx *c, struct target *t, int slots)
{
	struct ps_format_opts fo = { 0 };
	struct ps_disk d;
	struct ps_media m;
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	char desc[1400];
	int rc = open_media(&m, t, 0);

	describe_target(t, desc, sizeof desc);
	if (rc)
		return psctl_error(c, "init", NULL, NULL, rc, "%s: cannot open:"
				   " %s", desc, ps_strerror(rc));
	fo.slot_count = (uint32_t)slots;
	random_id(fo.volume_id);
	fo.timestamp = (uint64_t)time(NULL);
	rc = ps_format(&d, &m, &fo, sector);
	ps_media_close(&m);
	if (rc)
		return psctl_error(c, "init", NULL, NULL, rc, "%s: format "
				   "failed: %s", desc, ps_strerror(rc));
	fprintf(c->out, "initialised %s: empty store, generation 1, %u slots"
		" of %u bytes\n", desc, d.slot_count, ps_slot_capacity(&d));
	return 0;
}

static int cmd_init(struct psctl_ctx *c, int argc, char **argv)
{
	struct ps_part_create_opts po = { 0 };
	struct init_opts o;
	struct target t;
	char err[512];
	int created = 0, rc = init_parse(c, argc, argv, &o);

	if (rc)
		return rc;
	memset(&t, 0, sizeof t);
	t.is_dev = g.dev != NULL;
	snprintf(t.path, sizeof t.path, "%s",
		 g.dev ? g.dev : g.image ? g.image : default_image());
	if (c->dry_run) {
		fprintf(c->out, "would create a %s partition table with a "
			"pstate partition of %llu bytes and an empty store on"
			" %s (dry run, nothing written)\n", o.gpt ? "gpt" :
			"dos", (unsigned long long)(o.part_size ? o.part_size
						    : PS_PART_DEFAULT_SIZE),
			t.path);
		return 0;
	}
	rc = t.is_dev ? (o.force ? 0 : init_refuse(c, t.path, 1))
		      : init_image_file(c, t.path, &o, &created);
	if (rc)
		return rc;
	po.label = o.gpt ? PS_PART_LABEL_GPT : PS_PART_LABEL_MBR;
	po.size = o.part_size;
	po.force = 1; /* emptiness was checked above (or --force given) */
	rc = ps_part_create(t.path, &po, &t.part, err, sizeof err);
	if (rc) {
		if (created)
			unlink(t.path);
		return psctl_error(c, "init", NULL, NULL, rc, "%s", err);
	}
	return init_format(c, &t, o.slots);
}

/* ------------------------------------------------------------ scan */


static void scan_default(struct psctl_ctx *c, struct psctl_jw *w, int chosen,
			 int *usable)
{
	struct target t = { 0 };
	char reason[400] = "";
	const char *st;
	int rc;

	snprintf(t.path, sizeof t.path, "%s", default_image());
	rc = ps_part_find(t.path, &t.part, reason, sizeof reason);
	if (rc == PS_PART_ENOTABLE)
		t.whole = 1, rc = 0;
	if (rc == 0)
		rc = t.whole ? ps_check_partition(NULL, t.path, 0, 0, reason,
						  sizeof reason)
			     : ps_check_partition(NULL, t.path, t.part.offset,
						  t.part.length, reason,
						  sizeof reason);
	*usable = rc == 0;
	st = chosen ? "not-used" : rc == 0 ? "chosen" : "unusable";
	if (w) {
		psctl_jw_obj(w, 0);
		psctl_jw_key(w, "port");
		psctl_jw_str(w, "default");
		psctl_jw_key(w, "device");
		psctl_jw_str(w, t.path);
		psctl_jw_key(w, "status");
		psctl_jw_str(w, st);
		psctl_jw_key(w, "reason");
		psctl_jw_str(w, reason);
		psctl_jw_end(w);
		return;
	}
	fprintf(c->out, "%-10s %-9s %-9s %s  %-10s %s%s\n", "default",
		"image", "-", t.path, st, chosen ? "a USB key comes first; "
		: "", reason);
}

static void scan_json(struct psctl_jw *w, const struct ps_disc_cand *k)
{
	char id[8];

	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "port");
	psctl_jw_str(w, k->port_path);
	psctl_jw_key(w, "kind");
	psctl_jw_str(w, ps_port_kind_name(k->kind));
	psctl_jw_key(w, "vid");
	snprintf(id, sizeof id, "%04x", k->vid);
	psctl_jw_str(w, id);
	psctl_jw_key(w, "pid");
	snprintf(id, sizeof id, "%04x", k->pid);
	psctl_jw_str(w, id);
	psctl_jw_key(w, "device");
	psctl_jw_str(w, k->dev);
	psctl_jw_key(w, "status");
	psctl_jw_str(w, ps_disc_status_name(k->status));
	psctl_jw_key(w, "reason");
	psctl_jw_str(w, k->reason);
	psctl_jw_end(w);
}

static int cmd_scan(struct psctl_ctx *c, int argc, char **argv)
{
	struct ps_disc_result *res = disc_result();
	struct psctl_jw w;
	char err[512] = "", line[1024];
	int i, usable, all = has_flag(argc, argv, "--all");
	int rc;

	if (argc > 2 || (argc == 2 && !all))
		return psctl_error(c, "scan", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (scan [--all])");
	rc = ps_locate(res, NULL, all, err, sizeof err);
	if (rc < 0 && rc != PS_ERR_NOSTORE && rc != PS_DISC_ENONE &&
	    rc != PS_DISC_EUSB)
		return psctl_error(c, "scan", NULL, NULL, rc, "%s", err);
	psctl_jw_init(&w, c->out);
	if (c->json)
		psctl_jw_arr(&w, 1);
	else if (rc < 0)
		fprintf(c->out, "# %s\n", err);
	for (i = 0; i < res->n; i++) {
		const struct ps_disc_cand *k = &res->cand[i];

		if (!c->json) {
			ps_disc_format(k, line, sizeof line);
			fprintf(c->out, "%s\n", line);
			continue;
		}
		scan_json(&w, k);
	}
	scan_default(c, c->json ? &w : NULL, rc >= 0, &usable);
	if (c->json) {
		psctl_jw_end(&w);
		fputc('\n', c->out);
	}
	return rc >= 0 || usable ? 0 : PSCTL_EXIT_IO;
}

/* ------------------------------------------------------------ info */

static unsigned count_children(const uint8_t *buf, uint32_t set, uint32_t sig)
{
	int s = psf_find_child(buf, psf_root(buf), set), e;
	unsigned n = 0;

	if (s < 0)
		return 0;
	for (e = psf_find_next(buf, s, -1, sig); e >= 0;
	     e = psf_find_next(buf, s, e, sig))
		n++;
	return n;
}

static const char *owner_name(unsigned o)
{
	static const char *const n[] = { "none", "BMC", "hvagent",
					 "BIOS setup", "OS tools (psctl)" };

	return o < 5 ? n[o] : "reserved";
}

struct info_row {
	const char *key;
	char val[1600];
	int num;                   /* JSON: emit as a number */
};

static void info_print(struct psctl_ctx *c, struct info_row *r, int n)
{
	struct psctl_jw w;
	int i;

	psctl_jw_init(&w, c->out);
	if (c->json)
		psctl_jw_obj(&w, 1);
	for (i = 0; i < n; i++) {
		if (!c->json) {
			fprintf(c->out, "%-14s %s\n", r[i].key, r[i].val);
			continue;
		}
		psctl_jw_key(&w, r[i].key);
		if (r[i].num)
			psctl_jw_num_text(&w, r[i].val);
		else
			psctl_jw_str(&w, r[i].val);
	}
	if (c->json) {
		psctl_jw_end(&w);
		fputc('\n', c->out);
	}
}

#define ROW(k, isnum, ...) do { \
	r[n].key = (k); r[n].num = (isnum); \
	snprintf(r[n].val, sizeof r[n].val, __VA_ARGS__); n++; } while (0)

/* The object counts of the info table. */
static void info_counts(struct info_row *r, int *np, const uint8_t *buf)
{
	int n = *np;

	ROW("vms", 1, "%u", count_children(buf, PSF_VMS, PSF_VM));
	ROW("networks", 1, "%u", count_children(buf, PSF_NETWORKS,
						 PSF_NETWORK));
	ROW("images", 1, "%u", count_children(buf, PSF_IMAGES, PSF_IMAGE));
	ROW("reservations", 1, "%u", count_children(buf, PSF_RESERVATIONS,
						     PSF_RESERVATION));
	ROW("profiles", 1, "%u", count_children(buf, PSF_PROFILES,
						 PSF_PROFILE));
	*np = n;
}

static int cmd_info(struct psctl_ctx *c, int argc, char **argv)
{
	static struct info_row r[24];
	const struct ps_disk *d;
	const struct ps_slot *s;
	struct ps_sem_sys sem;
	struct ps_sem_config cfg = { 0 };
	const uint8_t *buf;
	uint32_t len, cap;
	int n = 0, rc;
	unsigned i, vid;
	char hex[40];

	(void)argv;
	if (argc > 1)
		return psctl_error(c, "info", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (info takes none)");
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	d = ps_store_disk(c->store);
	buf = psctl_store_data(c, &len);
	s = &d->slot[d->base];
	cap = ps_slot_capacity(d);
	for (i = 0, vid = 0; i < 16; i++)
		vid += (unsigned)snprintf(hex + vid, sizeof hex - vid, "%02x",
					  d->volume_id[i]);
	ROW("store", 0, "%s", c->where);
	ROW("chosen-by", 0, "%s", g.tgt.how);
	ROW("format", 0, "%u.%u", buf[PSF_HDR_MAJOR], buf[PSF_HDR_MINOR]);
	ROW("schema", 1, "%u", psf_schema_version(buf));
	ROW("generation", 1, "%llu", store_generation(c));
	ROW("used-bytes", 1, "%u", len);
	info_counts(r, &n, buf);
	if (g.bmc_store) {
		/* Slots, sectors and the semaphore are the BMC's own: see
		 * `psctl --bmc ... bmc info`. */
		info_print(c, r, n);
		return 0;
	}
	ROW("slot", 1, "%d", d->base);
	ROW("slots", 1, "%u", d->slot_count);
	ROW("slot-bytes", 1, "%u", cap);
	ROW("free-bytes", 1, "%u", cap - len);
	ROW("sector-size", 1, "%u", d->sector_size);
	ROW("sectors", 1, "%llu", (unsigned long long)d->sectors);
	ROW("volume-id", 0, "%s", hex);
	ROW("last-writer", 0, "%s", owner_name(s->owner));
	ROW("last-commit", 1, "%llu", (unsigned long long)s->timestamp);
	cfg.store_path = g.tgt.path;
	rc = ps_sem_sys_open(&sem, &cfg);
	ROW("semaphore", 0, "%s%s", rc ? "error: " : "",
	    ps_sem_sys_describe(&sem));
	if (!rc)
		ps_sem_sys_close(&sem);
	info_print(c, r, n);
	return 0;
}

/* ------------------------------------------------------------ check */

static int cmd_check(struct psctl_ctx *c, int argc, char **argv)
{
	const struct ps_disk *d;
	const uint8_t *buf;
	uint32_t len, bad = 0, i;
	int rc, problems = 0;

	if (argc > 1)
		return psctl_error(c, "check", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (check takes none)");
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	d = ps_store_disk(c->store);
	buf = psctl_store_data(c, &len);
	rc = psf_check_full(buf, len, &bad);
	if (rc)
		return psctl_error(c, "check", NULL, NULL, rc, "store invalid at"
				   " offset %u: %s", bad, ps_strerror(rc));
	for (i = 0; i < d->slot_count && !g.bmc_store; i++) {
		const struct ps_slot *s = &d->slot[i];

		if ((int)i == d->base)
			fprintf(c->out, "slot %u: generation %llu, %u bytes, "
				"valid (current)\n", i,
				(unsigned long long)s->generation, s->length);
		else if (s->valid_hdr)
			fprintf(c->out, "slot %u: generation %llu (older)\n",
				i, (unsigned long long)s->generation);
		else
			fprintf(c->out, "slot %u: free\n", i);
	}
	if (psctl_check_config) {
		problems = psctl_check_config(c, buf, len, c->out);
		if (problems < 0)
			return psctl_error(c, "check", NULL, NULL, problems,
					   NULL);
	} else {
		fprintf(c->out, "schema cross-checks: not available in this "
			"build\n");
	}
	if (problems) {
		fprintf(c->out, "%s: %d problem%s\n", c->where, problems,
			problems == 1 ? "" : "s");
		return PSCTL_EXIT_CHECK;
	}
	fprintf(c->out, "%s: valid store, generation %llu, %u bytes, schema "
		"%u\n", c->where, store_generation(c), len,
		psf_schema_version(buf));
	return 0;
}

static int export_json(struct psctl_ctx *c, const struct psf_tree *t,
		       const char *path)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&mem, &len);
	int rc;

	if (!o)
		return psctl_error(c, g.cmd, NULL, NULL, PS_ERR_NOMEM, NULL);
	psctl_export_json(o, t, store_generation(c));
	fclose(o);
	rc = write_out(c, path, mem, len);
	free(mem);
	return rc;
}

/* ------------------------------------------------------------ dump/export */

static int cmd_export(struct psctl_ctx *c, int argc, char **argv)
{
	const char *out = NULL;
	struct psf_tree *t;
	const uint8_t *buf;
	uint32_t len;
	char *text;
	size_t tlen;
	int i, rc, binary = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
			if (!(out = opt_value(c, argc, argv, &i)))
				return PSCTL_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--binary") &&
			   strcmp(argv[0], "dump")) {
			binary = 1;
		} else {
			return psctl_error(c, argv[0], NULL, argv[i],
					   PSCTL_EXIT_USAGE, "unknown argument "
					   "(%s [-o FILE]%s)", argv[0],
					   strcmp(argv[0], "dump")
					   ? " [--json|--binary]" : "");
		}
	}
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	buf = psctl_store_data(c, &len);
	if (binary)
		return write_out(c, out, buf, len);
	rc = psf_tree_unpack(buf, len, &t, NULL);
	if (rc)
		return psctl_error(c, argv[0], NULL, NULL, rc, NULL);
	if (c->json && strcmp(argv[0], "dump")) {
		rc = export_json(c, t, out);
		psf_tree_free(t);
		return rc;
	}
	rc = psf_text_dump_alloc(t, &text, &tlen);
	psf_tree_free(t);
	if (rc)
		return psctl_error(c, argv[0], NULL, NULL, rc, NULL);
	rc = write_out(c, out, text, tlen);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ import */

struct blob {
	const void *data;
	size_t len;
};

static int import_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	const struct blob *b = arg;

	if (b->len > cap) {
		psctl_error(c, "import", NULL, NULL, PS_ERR_NOSPACE,
			    "the new store is %zu bytes; a slot holds %zu",
			    b->len, cap);
		return PS_ERR_NOSPACE;
	}
	memcpy(buf, b->data, b->len);
	memset((uint8_t *)buf + b->len, 0, cap - b->len);
	return 0;
}

/* Text, JSON (first non-space byte '{') or a binary store (told by its
 * magic) -> a checked store. */
static int import_load(struct psctl_ctx *c, const char *path, void **out,
		       size_t *olen)
{
	struct psf_text_error te;
	struct psf_tree *t;
	uint32_t bad = 0;
	char *in = NULL, msg[600];
	size_t len = 0, i;
	int rc = read_file(c, path, &in, &len);

	if (rc)
		return rc;
	if (len >= PSF_MAGIC_LEN && !memcmp(in, PSF_MAGIC, PSF_MAGIC_LEN)) {
		rc = psf_check_full(in, len, &bad);
		if (rc || psf_total(in) != len) {
			free(in);
			return psctl_error(c, "import", NULL, path,
					   PSCTL_EXIT_INVALID,
					   "invalid store at offset %u: %s",
					   bad, ps_strerror(rc ? rc :
							 PSF_ERR_BADHEADER));
		}
		*out = in;
		*olen = len;
		return 0;
	}
	for (i = 0; i < len && strchr(" \t\r\n", in[i]); i++)
		;
	if (i < len && in[i] == '{') {
		rc = psctl_json_parse(in, len, &t, msg, sizeof msg);
		free(in);
		if (rc)
			return psctl_error(c, "import", NULL, path,
					   PSCTL_EXIT_INVALID, "%s", msg);
	} else {
		rc = psf_text_parse(in, len, &t, &te);
		free(in);
		if (rc)
			return psctl_error(c, "import", NULL, path,
					   PSCTL_EXIT_INVALID,
					   "line %zu, column %zu: %s", te.line,
					   te.column, te.msg);
	}
	rc = psf_tree_pack_alloc(t, out, olen);
	psf_tree_free(t);
	if (rc)
		return psctl_error(c, "import", NULL, path, PSCTL_EXIT_INVALID,
				   "does not make a valid store: %s",
				   ps_strerror(rc));
	return 0;
}

static int cmd_import(struct psctl_ctx *c, int argc, char **argv)
{
	struct blob b;
	void *data;
	int rc, problems;

	if (argc != 2)
		return psctl_error(c, "import", NULL, NULL, PSCTL_EXIT_USAGE,
				   "needs exactly one FILE (text form, binary "
				   "store, or - for stdin)");
	rc = import_load(c, argv[1], &data, &b.len);
	if (rc)
		return rc;
	b.data = data;
	rc = psctl_need_store(c);
	if (!rc && psctl_check_config) {
		problems = psctl_check_config(c, data, (uint32_t)b.len, c->err);
		if (problems)
			rc = psctl_error(c, "import", NULL, argv[1],
					 problems < 0 ? problems
					 : PSCTL_EXIT_CONFLICT,
					 "%d problem%s in the new store; "
					 "nothing written", problems,
					 problems == 1 ? "" : "s");
	}
	if (!rc)
		rc = psctl_edit(c, import_edit, &b);
	free(data);
	return rc;
}

/* ------------------------------------------------------------ help, shell */

static void usage(FILE *to)
{
	const struct psctl_cmd *t;

	fprintf(to, "usage: psctl [-d DEV | -i FILE] [-q] [--json] [--dry-run]"
		" COMMAND [ARGS]\n       psctl [GLOBAL OPTIONS] NOUN VERB "
		"[ARGS] [--FIELD VALUE ...]\n       psctl --bmc HOST[:PORT] "
		"[-U USER] [-P PASS] [-L LEVEL] COMMAND ...   (a server's "
		"store, through its BMC;\n       the password better in "
		"$IPMI_PASSWORD)\n\nstore commands:\n");
	for (t = psctl_store_cmds; t->verb; t++)
		fprintf(to, "  %-30s %s\n", t->args ? t->args : t->verb,
			t->help ? t->help : "");
	fprintf(to, "\nobject commands:\n");
	PSCTL_FOR_OBJECT_CMDS(t) {
		char head[160];

		snprintf(head, sizeof head, "%s %s %s", t->noun, t->verb,
			 t->args ? t->args : "");
		fprintf(to, "  %-30s %s\n", head, t->help ? t->help : "");
	}
	fprintf(to, "\nsee psctl(1) for options, exit codes and examples\n");
}

static int cmd_help(struct psctl_ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(c->out);
	return 0;
}

static int cmd_shell(struct psctl_ctx *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return psctl_error(c, "shell", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (shell takes none)");
	if (c->interactive)
		return psctl_error(c, "shell", NULL, NULL, PSCTL_EXIT_USAGE,
				   "already in the shell");
	return psctl_shell(c);
}

static const char *const init_fields[] = { "gpt", "mbr", "size", "part-size",
					   "slots", "force", NULL };
static const char *const export_fields[] = { "output", "binary", "json",
					     NULL };
static const char *const scan_fields[] = { "all", NULL };

const struct psctl_cmd psctl_store_cmds[] = {
	{ NULL, "init", cmd_init, "init [--gpt] [--size S] [--force]",
	  "create a partition table and an empty store", init_fields },
	{ NULL, "scan", cmd_scan, "scan [--all]",
	  "USB keys in priority order, and why each was taken or skipped",
	  scan_fields },
	{ NULL, "info", cmd_info, "info",
	  "versions, generation, size used/free, slots, semaphore", NULL },
	{ NULL, "check", cmd_check, "check",
	  "full validation; the exit code is the verdict", NULL },
	{ NULL, "dump", cmd_export, "dump [-o FILE]", "the store's text form",
	  export_fields },
	{ NULL, "export", cmd_export, "export [--json|--binary] [-o FILE]",
	  "write the store as text, JSON or binary", export_fields },
	{ NULL, "import", cmd_import, "import FILE",
	  "replace the store's content (text or binary) in one commit", NULL },
	{ NULL, "shell", cmd_shell, "shell", "interactive prompt", NULL },
	{ NULL, "help", cmd_help, "help", "this list", NULL },
	{ 0 }
};

/* ------------------------------------------------------------ dispatch */

static const struct psctl_cmd *find_cmd(const struct psctl_cmd *t,
					const char *noun, const char *verb)
{
	for (; t->verb; t++)
		if ((noun ? t->noun && !strcmp(t->noun, noun) : !t->noun) &&
		    !strcmp(t->verb, verb))
			return t;
	return NULL;
}

const struct psctl_cmd *psctl_cmd_next(const struct psctl_cmd *prev)
{
	static const struct psctl_cmd *const tables[] = {
		psctl_move_cmds, psctl_object_cmds, psctl_serial_cmds,
		psctl_bmc_cmds,
	};
	size_t i;
	int after = prev == NULL;

	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		const struct psctl_cmd *t;

		for (t = tables[i]; t->verb; t++) {
			if (after)
				return t;
			after = t == prev;
		}
	}
	return NULL;
}

static const struct psctl_cmd *find_object_cmd(const char *noun,
					       const char *verb)
{
	const struct psctl_cmd *t;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun) && !strcmp(t->verb, verb))
			return t;
	return NULL;
}

static int is_noun(const char *w)
{
	const struct psctl_cmd *t;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (t->noun && !strcmp(t->noun, w))
			return 1;
	return 0;
}

static int noun_usage(struct psctl_ctx *c, const char *noun, const char *bad)
{
	const struct psctl_cmd *t;
	char verbs[512] = "";
	size_t n = 0;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun) && n < sizeof verbs)
			n += (size_t)snprintf(verbs + n, sizeof verbs - n,
					      "%s%s", n ? " " : "", t->verb);
	return psctl_error(c, noun, NULL, bad, PSCTL_EXIT_USAGE, "%s (verbs: "
			   "%s)", bad ? "unknown verb" : "needs a verb", verbs);
}

/* Dispatch with --json / --dry-run already taken out of argv. */
static int dispatch(struct psctl_ctx *c, int argc, char **argv)
{
	const struct psctl_cmd *cmd;

	if (is_noun(argv[0])) {
		if (argc < 2)
			return noun_usage(c, argv[0], NULL);
		cmd = find_object_cmd(argv[0], argv[1]);
		if (!cmd)
			return noun_usage(c, argv[0], argv[1]);
		snprintf(g.cmdbuf, sizeof g.cmdbuf, "%s %s", argv[0], argv[1]);
		g.cmd = g.cmdbuf;
		/* The bmc commands talk to the BMC themselves; the store they
		 * may read (a profile to push) is the local one. */
		g.local_noun = !strcmp(argv[0], "bmc");
		return cmd->run(c, argc - 1, argv + 1);
	}
	cmd = find_cmd(psctl_store_cmds, NULL, argv[0]);
	if (!cmd)
		return psctl_error(c, NULL, NULL, argv[0], PSCTL_EXIT_USAGE,
				   "unknown command (try 'psctl help')");
	snprintf(g.cmdbuf, sizeof g.cmdbuf, "%s", argv[0]);
	g.cmd = g.cmdbuf;
	return cmd->run(c, argc, argv);
}

int psctl_run(struct psctl_ctx *c, int argc, char **argv)
{
	int json = c->json, dry = c->dry_run, i, n = 0, rc, opts = 1;
	char **v;

	if (argc < 1)
		return 0;
	v = calloc((size_t)argc + 1, sizeof *v);
	if (!v)
		return psctl_error(c, NULL, NULL, NULL, PS_ERR_NOMEM, NULL);
	/* --json and --dry-run may follow any command ("vm list --json"); a
	 * "--" ends that, so a value may still be spelt --json. */
	for (i = 0; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--json"))
			c->json = 1;
		else if (opts && !strcmp(argv[i], "--dry-run"))
			c->dry_run = 1;
		else if (opts && !strcmp(argv[i], "--"))
			opts = 0, v[n++] = argv[i];
		else
			v[n++] = argv[i];
	}
	rc = n ? dispatch(c, n, v) : psctl_error(c, NULL, NULL, NULL,
						PSCTL_EXIT_USAGE,
						"no command given");
	g.cmd = NULL;
	fflush(c->out);
	c->json = json;
	c->dry_run = dry;
	free(v);
	return rc;
}

/* ------------------------------------------------------------ main */

/* --bmc, -U, -P, -L: where the BMC is and how to log in.  The password
 * may also come from $IPMI_PASSWORD (safer: -P shows in ps). */
static int bmc_opt(struct psctl_ctx *c, const char *opt, const char *v)
{
	struct psctl_bmc b;
	char err[400];

	if (!strcmp(opt, "--bmc")) {
		if (psctl_bmc_parse(v, &b, err, sizeof err))
			return psctl_error(c, NULL, NULL, NULL,
					   PSCTL_EXIT_INVALID, "%s", err);
		c->bmc = v;
	} else if (opt[1] == 'U' || opt[2] == 'u') {
		c->bmc_user = v;
	} else if (opt[1] == 'P' || opt[2] == 'p') {
		c->bmc_password = v;
	} else {
		return psctl_bmc_set_privilege(c, v);
	}
	return 0;
}

static int global_opts(struct psctl_ctx *c, int argc, char **argv, int *i)
{
	for (*i = 1; *i < argc && argv[*i][0] == '-'; ++*i) {
		const char *a = argv[*i];

		if (!strcmp(a, "-d") || !strcmp(a, "--device") ||
		    !strcmp(a, "-i") || !strcmp(a, "--image")) {
			const char *v = opt_value(c, argc, argv, i);

			if (!v)
				return PSCTL_EXIT_USAGE;
			if (a[1] == 'd' || a[2] == 'd')
				g.dev = v;
			else
				g.image = v;
		} else if (!strcmp(a, "--bmc") || !strcmp(a, "-U") ||
			   !strcmp(a, "--user") || !strcmp(a, "-P") ||
			   !strcmp(a, "--password") || !strcmp(a, "-L") ||
			   !strcmp(a, "--privilege")) {
			const char *v = opt_value(c, argc, argv, i);

			if (!v)
				return PSCTL_EXIT_USAGE;
			if (bmc_opt(c, a, v))
				return PSCTL_EXIT_INVALID;
		} else if (!strcmp(a, "--json")) {
			c->json = 1;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			c->dry_run = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g.quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(c->out);
			return -1;
		} else if (!strcmp(a, "--version")) {
			fprintf(c->out, "psctl %s (format %u.%u, schema %u)\n",
				PSCTL_VERSION, PSF_FORMAT_MAJOR,
				PSF_FORMAT_MINOR, PSF_SCHEMA_VERSION);
			return -1;
		} else if (!strcmp(a, "--")) {
			++*i;
			break;
		} else {
			return psctl_error(c, NULL, NULL, a, PSCTL_EXIT_USAGE,
					   "unknown option (try psctl --help)");
		}
	}
	if (g.dev && g.image)
		return psctl_error(c, NULL, "-d/-i", NULL, PSCTL_EXIT_USAGE,
				   "give one store, not both");
	return 0;
}

int main(int argc, char **argv)
{
	struct psctl_ctx c = { 0 };
	int i, rc;

	c.prog = "psctl";
	c.out = stdout;
	c.err = stderr;
	rc = global_opts(&c, argc, argv, &i);
	if (rc)
		return rc < 0 ? 0 : rc;
	/* No command: the shell on a terminal, usage otherwise (a script
	 * that forgot its command must not hang waiting for input). */
	if (i == argc && isatty(0) && isatty(1))
		rc = psctl_shell(&c);
	else if (i == argc)
		rc = psctl_error(&c, NULL, NULL, NULL, PSCTL_EXIT_USAGE,
				 "no command given (try psctl --help)");
	else
		rc = psctl_run(&c, argc - i, argv + i);
	close_all(&c);
	if (fflush(stdout) != 0 && rc == 0)
		rc = PSCTL_EXIT_IO;
	return rc;
}
