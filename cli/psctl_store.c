/*
 * psctl_store.c - which store psctl opens (-d, -i, the scan, the default
 * image, or a BMC's with --bmc), its lock, and edits run as transactions
 * (psctl_edit, with --dry-run's diff).
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
#include "psctl_main.h"
#include "psctl_util.h"

/* ------------------------------------------------------------ the store */

static char where_buf[1400];

/* The BMC's store as psctl's: read whole (OEM read op 1) and laid out on
 * a memory media, so every read-only command runs unchanged on it. */
static int need_bmc_store(struct psctl_ctx *c)
{
	uint8_t *data = NULL;
	size_t len = 0;
	uint32_t bad = 0;
	int rc = psctl_bmc_load(c, &data, &len, &psctl_g.bmc_gen);

	if (rc)
		return rc;
	if (len < PSF_HEADER_SIZE || psf_check_full(data, len, &bad)) {
		free(data);
		return psctl_error(c, psctl_g.cmd, "--bmc", c->bmc,
				   PSCTL_EXIT_DAMAGED, "the BMC's store is not "
				   "a valid store (offset %u)", bad);
	}
	rc = psctl_store_in_memory(c, data, len, "--bmc", c->bmc);
	if (rc)
		return rc;
	psctl_g.bmc_store = 1;
	snprintf(where_buf, sizeof where_buf, "bmc:%s (generation %u, read "
		 "over IPMI)", c->bmc, psctl_g.bmc_gen);
	snprintf(psctl_g.st.how, sizeof psctl_g.st.how, "--bmc option");
	psctl_store_announce(c, where_buf);
	return 0;
}

/* A whole store (data, len bytes, freed here) laid out on a memory media
 * as psctl's store: a BMC's, the etcd pool's (psctl_pool.c). */
int psctl_store_in_memory(struct psctl_ctx *c, uint8_t *data, size_t len,
			  const char *opt, const char *val)
{
	struct ps_format_opts fo = { 0 };
	struct ps_disk d;
	uint8_t sector[PS_SECTOR_SIZE];
	size_t room;
	int rc;

	/* Two slots with room to grow: the BMC, not this copy, decides
	 * what fits (it answers 0xC4 when an edit does not). */
	room = ((len + PS_SECTOR_SIZE - 1) / PS_SECTOR_SIZE + 256) * 2 + 64;
	psctl_g.bmc_mem = calloc(room, PS_SECTOR_SIZE);
	memset(&psctl_g.st, 0, sizeof psctl_g.st);
	rc = psctl_g.bmc_mem ? ps_media_init_mem(&psctl_g.st.media,
						 psctl_g.bmc_mem,
						 PS_SECTOR_SIZE, room)
			     : PS_ERR_NOMEM;
	fo.store = data;
	fo.store_len = (uint32_t)len;
	fo.timestamp = (uint64_t)time(NULL);
	if (!rc)
		rc = ps_format(&d, &psctl_g.st.media, &fo, sector);
	free(data);
	if (rc)
		return psctl_error(c, psctl_g.cmd, opt, val, rc, "cannot hold "
				   "the store in memory: %s", ps_strerror(rc));
	psctl_g.st.media_open = 1;
	c->media = &psctl_g.st.media;
	c->store = psctl_g.st.store = ps_store_open(&psctl_g.st.media, &rc);
	if (!c->store)
		return psctl_error(c, psctl_g.cmd, opt, val, rc, "%s",
				   ps_strerror(rc));
	return 0;
}

/* The "store:" line, once per process. */
void psctl_store_announce(struct psctl_ctx *c, const char *where)
{
	c->where = where;
	if (!psctl_g.quiet && !psctl_g.announced)
		fprintf(c->err, "%s: store: %s\n", c->prog, where);
	psctl_g.announced = 1;
}

/* The store's generation: the BMC's when the store came from one (the
 * memory copy starts its own count). */
unsigned long long psctl_store_generation(struct psctl_ctx *c)
{
	return psctl_g.bmc_store ? psctl_g.bmc_gen
				 : ps_store_generation(c->store);
}

/* -d, -i, else the default store (ps_open_default): read-write when we
 * may, so one open serves reads and edits; a read-only file or key still
 * answers read commands.  Commits use the protocol --commit or the config
 * file asks for.  0, or the exit code reported. */
static int open_store(struct psctl_ctx *c)
{
	struct ps_opened *o = &psctl_g.st;
	const char *path = psctl_g.dev ? psctl_g.dev : psctl_g.image;
	char err[1600];
	unsigned commit;
	int rc = psctl_commit_flags(c, &commit);

	if (rc)
		return rc;
	if (path) {
		rc = ps_open_path(o, path, PS_OPEN_RO_RETRY | commit |
				  (psctl_g.dev ? PS_OPEN_DEVICE
					       : PS_OPEN_IMAGE),
				  err, sizeof err);
		snprintf(o->how, sizeof o->how, "%s option",
			 psctl_g.dev ? "-d" : "-i");
	} else {
		rc = ps_open_default(o, NULL, PS_OPEN_RO_RETRY | commit, err,
				     sizeof err);
	}
	ps_open_describe(o, where_buf, sizeof where_buf);
	if (!rc)
		return 0;
	if (rc == PS_PART_ENODEV && (o->source == PS_OPEN_SRC_ENV ||
				     o->source == PS_OPEN_SRC_DEFAULT))
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "%s; "
				   "create it with 'psctl init'", err);
	if (rc == PS_ERR_NOSTORE)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc,
				   "%s: no pstate store (not formatted; see "
				   "psctl init)", where_buf);
	return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "%s", err);
}

int psctl_need_store(struct psctl_ctx *c)
{
	int rc, pool = 0;

	if (c->store)
		return 0;
	if (!psctl_g.local_noun && (rc = psctl_pool_choose(c, &pool)) != 0)
		return rc;
	if (pool)
		return psctl_pool_open(c);
	if (c->bmc && !psctl_g.local_noun) {
		if (psctl_g.dev || psctl_g.image)
			return psctl_error(c, psctl_g.cmd, "--bmc", c->bmc,
					   PSCTL_EXIT_USAGE, "give one store: "
					   "--bmc or -i/-d (-i/-d go with "
					   "--bmc only for 'bmc' commands)");
		return need_bmc_store(c);
	}
	rc = open_store(c);
	if (rc)
		return rc;
	c->media = &psctl_g.st.media;
	c->store = psctl_g.st.store;
	c->where = where_buf;
	if (!psctl_g.quiet && !psctl_g.announced)
		fprintf(c->err, "%s: store: %s\n", c->prog, where_buf);
	psctl_g.announced = 1;
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

void psctl_close_all(struct psctl_ctx *c)
{
	ps_open_close(&psctl_g.st);
	c->store = NULL;
	c->media = NULL;
	free(psctl_g.bmc_mem);
	psctl_g.bmc_mem = NULL;
	psctl_g.bmc_store = 0;
	psctl_g.pool_store = 0;
	psctl_pool_close();
}

/* The writers' lock, as owner OS tools: the store's (ps_open_lock), so
 * every path to it, and hvagent, take the same one. */
static int need_lock(struct psctl_ctx *c)
{
	char err[1600];
	int rc = ps_open_lock(&psctl_g.st, PS_OWNER_OS, err, sizeof err);

	if (rc)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "%s", err);
	return 0;
}

/* ------------------------------------------------------------ transactions */

struct edit_call {
	struct psctl_ctx *c;
	psctl_edit_fn fn;
	void *arg;
	int fn_failed;            /* fn reported its own error */
	int unchanged;
	char *held;               /* fn's messages about running out of room */
	size_t held_len;
};

/* fn, its messages caught: an edit that runs out of room is tried again
 * on the store compacted (ps_update), and its first refusal must not be
 * printed if the second try succeeds.  Those are held; the rest go out. */
static int run_fn(struct edit_call *e, void *buf, size_t cap)
{
	FILE *err = e->c->err, *mem;
	char *text = NULL;
	size_t n = 0;
	int rc;

	free(e->held);
	e->held = NULL;
	mem = open_memstream(&text, &n);
	if (mem)
		e->c->err = mem;
	rc = e->fn(e->c, buf, cap, e->arg);
	if (!mem)
		return rc;
	fclose(mem);
	e->c->err = err;
	if (rc == PSF_ERR_NOSPACE) {
		e->held = text;
		e->held_len = n;
		return rc;
	}
	fwrite(text, 1, n, err);
	free(text);
	return rc;
}

/* Is the edited store buf the base's bytes (blen, finished), but for
 * its header's two CRCs?  Then finishing it would make it the base: no
 * need to (the commit finishes it, and one CRC pass over hundreds of KiB
 * is enough). */
static int same_but_crcs(const uint8_t *buf, const uint8_t *base,
			 uint32_t blen)
{
	return psf_total(buf) == blen &&
	       !memcmp(buf, base, PSF_HDR_BODY_CRC) &&
	       !memcmp(buf + PSF_HEADER_SIZE, base + PSF_HEADER_SIZE,
		       blen - PSF_HEADER_SIZE);
}

/* The ps_update edit: run the command's edit, then compare the store
 * with the base; an identical store is not committed. */
static int edit_wrap(void *buf, size_t cap, void *arg)
{
	struct edit_call *e = arg;
	uint32_t blen;
	const void *base = ps_store_data(e->c->store, &blen);
	int rc = run_fn(e, buf, cap);

	if (rc) {
		e->fn_failed = 1;
		return rc;
	}
	e->unchanged = same_but_crcs(buf, base, blen);
	return e->unchanged ? PS_ERR_ABORTED : 0;
}

/* The edit fn on a private copy of the store, finished and checked:
 * 0 with *t open (the caller aborts it), or the exit code reported and
 * *t aborted. */
int psctl_edit_copy(struct psctl_ctx *c, psctl_edit_fn fn, void *arg,
		    struct ps_txn *t)
{
	int rc = ps_txn_begin(c->store, t);

	if (rc)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, NULL);
	rc = fn(c, t->buf, t->cap, arg);
	if (rc) {
		ps_txn_abort(t);
		return psctl_exit_for(rc) ? psctl_exit_for(rc)
					  : PSCTL_EXIT_USAGE;
	}
	rc = psf_finish(t->buf);
	if (!rc)
		rc = psf_check_full(t->buf, t->cap, NULL);
	if (rc) {
		ps_txn_abort(t);
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "the edited "
				   "store is invalid: %s", ps_strerror(rc));
	}
	return 0;
}

/* --dry-run: the edit on a private copy, then the diff; nothing written. */
static int edit_dry(struct psctl_ctx *c, psctl_edit_fn fn, void *arg)
{
	struct ps_txn t;
	uint32_t blen;
	const void *base = ps_store_data(c->store, &blen);
	char *ta = NULL, *tb = NULL, la[1500], lb[1500];
	int changed, stale, rc = psctl_edit_copy(c, fn, arg, &t);

	if (rc)
		return rc;
	rc = psctl_store_text(base, blen, &ta);
	if (!rc)
		rc = psctl_store_text(t.buf, psf_total(t.buf), &tb);
	if (rc) {
		ps_txn_abort(&t);
		free(ta);
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc,
				   "the edited store is invalid: %s",
				   ps_strerror(rc));
	}
	changed = strcmp(ta, tb) != 0;
	if (!changed) {
		fprintf(c->out, "no change\n");
	} else {
		snprintf(la, sizeof la, "%s generation %llu", c->where,
			 psctl_store_generation(c));
		snprintf(lb, sizeof lb, "%s after '%s' (dry run, not written)",
			 c->where, psctl_g.cmd ? psctl_g.cmd : "edit");
		psctl_print_diff(c->out, ta, tb, la, lb);
	}
	free(ta);
	free(tb);
	/* What would go to the BMC, element by element. */
	if (psctl_g.bmc_store && changed)
		rc = psctl_bmc_send_diff(c, base, t.buf, psctl_g.bmc_gen, 1,
					 &stale);
	ps_txn_abort(&t);
	return rc;
}

/* Re-read the BMC's store after another writer got in first. */
static int reload_bmc_store(struct psctl_ctx *c)
{
	ps_open_close(&psctl_g.st);
	c->store = NULL;
	free(psctl_g.bmc_mem);
	psctl_g.bmc_mem = NULL;
	psctl_g.announced = 1;
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
	int rc = psctl_edit_copy(c, fn, arg, &t);

	if (rc)
		return rc;
	if (psf_total(t.buf) == blen && !memcmp(t.buf, base, blen)) {
		ps_txn_abort(&t);
		if (!psctl_g.quiet)
			fprintf(c->err, "%s: %s: no change; nothing sent\n",
				c->prog, psctl_g.cmd ? psctl_g.cmd : "edit");
		return 0;
	}
	rc = psctl_bmc_send_diff(c, base, t.buf, psctl_g.bmc_gen, 0, stale);
	ps_txn_abort(&t);
	psctl_g.written = !rc && !*stale;
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
	return psctl_error(c, psctl_g.cmd, "--bmc", c->bmc, PS_ERR_CONFLICT,
			   "the store kept changing under another writer (%d "
			   "retries); nothing written", PSCTL_RETRIES);
}

int psctl_edit(struct psctl_ctx *c, psctl_edit_fn fn, void *arg)
{
	struct edit_call e = { c, fn, arg, 0, 0, NULL, 0 };
	int rc = psctl_need_store(c);

	if (rc)
		return rc;
	psctl_g.written = 0;
	if (c->dry_run)
		return edit_dry(c, fn, arg);
	if (psctl_g.bmc_store)
		return edit_bmc(c, fn, arg);
	if (psctl_g.pool_store)
		return psctl_pool_edit(c, fn, arg);
	if (c->media->read_only)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_RDONLY,
				   "%s: opened read-only; nothing written",
				   c->where);
	rc = need_lock(c);
	if (!rc)
		rc = psctl_auth_before(c);
	if (rc)
		return rc;
	rc = ps_update(c->store, edit_wrap, &e, PSCTL_RETRIES);
	if (e.held) {   /* out of room even compacted: now it is said */
		fwrite(e.held, 1, e.held_len, c->err);
		free(e.held);
	}
	if (psctl_auth_after(c, rc == 0) && !rc)
		return PSCTL_EXIT_IO;
	if (rc == PS_ERR_ABORTED && e.unchanged) {
		if (!psctl_g.quiet)
			fprintf(c->err, "%s: %s: no change; nothing written\n",
				c->prog, psctl_g.cmd ? psctl_g.cmd : "edit");
		return 0;
	}
	if (rc && e.fn_failed)
		return psctl_exit_for(rc) ? psctl_exit_for(rc)
					  : PSCTL_EXIT_USAGE;
	if (rc == PS_ERR_CONFLICT)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc,
				   "the store kept "
				   "changing under another writer (%d retries);"
				   " nothing written", PSCTL_RETRIES);
	if (rc)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc,
				   "commit failed: "
				   "%s; nothing written", ps_strerror(rc));
	psctl_g.written = 1;
	return 0;
}

static void say(struct psctl_ctx *c, const char *fmt, va_list ap)
{
	if (psctl_g.quiet || c->dry_run)
		return;
	vfprintf(c->out, fmt, ap);
	fputc('\n', c->out);
}

void psctl_say(struct psctl_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(c, fmt, ap);
	va_end(ap);
}

void psctl_confirm(struct psctl_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!psctl_g.written)
		return;
	va_start(ap, fmt);
	say(c, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ names */

