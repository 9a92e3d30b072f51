/*
 * psctl_pool_io.c - moving a pool between the file pool and etcd
 * (docs/pool.md "Import and export"):
 *
 *   pool export FILE   the pool's records -- profiles, the server
 *                      directory, address and spare pools -- as the text
 *                      form of a store holding only them
 *   pool import FILE   those records of FILE (text, binary or JSON, as
 *                      `import` reads) replace the pool's own
 *
 * Either pool on either side: `psctl -i pool.img pool export f.txt`, then
 * `psctl --pool etcd://... pool import f.txt` (and back).  The whole
 * result is checked by the gate before anything is written (identifiers
 * unique, names, targets).  On a file store it is one commit; on etcd a
 * transaction holds a bounded number of operations (etcd's
 * --max-txn-ops, 128 by default), so the import goes in steps of a few
 * records each, removals first (an identifier may move from a removed
 * profile to a new one), each step one transaction; rerun after an
 * interruption, it finishes the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_main.h"
#include "psctl_move.h"
#include "psctl_pool.h"
#include "psctl_pool_index.h"
#include "psctl_pool_addr.h"

static const uint32_t sets[] = { PSF_SERVERS, PSF_PROFILES, PSF_POOL_STATE };
#define NSETS 3
#define STEP 4                    /* records per etcd transaction */

/* A record's identity within its set: its NAME, or a pool record's key. */
static void ident(const void *b, int el, char *out, size_t n)
{
	uint32_t len;
	const char *t;

	if (psf_sig(b, el) == PSF_PROFILE || psf_sig(b, el) == PSF_SERVER) {
		move_str_copy(b, el, PSF_NAME, out, n);
		return;
	}
	t = psf_payload(b, el, &len);
	if (!t || idp_rec_key(psf_sig(b, el), t, len, out, n))
		out[0] = 0;
}

/* The child of set (sig) in b with identity id, or -1. */
static int find(const void *b, uint32_t set, const char *id)
{
	int s = psf_find_child(b, psf_root(b), set), el;
	char k[PA_REC_MAX];

	for (el = s < 0 ? -1 : psf_first_child(b, s); el >= 0;
	     el = psf_next_child(b, s, el)) {
		ident(b, el, k, sizeof k);
		if (!strcmp(k, id))
			return el;
	}
	return -1;
}

static size_t elen(const void *b, int el)
{
	struct psf_elem e;

	return psf_elem(b, el, &e) ? 0 : e.end - (uint32_t)el;
}

/* Element src_el of src appended under set of buf (made when absent). */
static int copy_in(void *buf, size_t cap, uint32_t set, const void *src,
		   int src_el)
{
	size_t n = elen(src, src_el);
	int s = psf_find_child(buf, psf_root(buf), set), off;

	if (s < 0)
		s = psf_insert(buf, cap, psf_root(buf), -1, set, NULL, 0);
	if (s < 0)
		return s;
	off = psf_insert(buf, cap, s, -1, PSF_PAD, NULL,
			 (uint32_t)n - PSF_STRUCT_HDR);
	if (off < 0)
		return off;
	memcpy((uint8_t *)buf + off, (const uint8_t *)src + src_el, n);
	return 0;
}

struct step {
	const uint8_t *src;           /* the records wanted              */
	int limit;                    /* records per edit, 0: all        */
	int done;                     /* records this edit changed       */
};

/* Bring buf's records toward src: removals first, then additions and
 * changes, at most s->limit of them. */
static int step_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct step *s = arg;
	char id[PA_REC_MAX];
	int i, el, o, rc = 0;

	(void)c;
	s->done = 0;
	for (i = 0; i < NSETS; i++) {
		int set = psf_find_child(buf, psf_root(buf), sets[i]);

		/* After a deletion the offsets moved: from the start again. */
		for (el = set < 0 ? -1 : psf_first_child(buf, set); el >= 0;) {
			if (s->limit && s->done >= s->limit)
				return 0;
			ident(buf, el, id, sizeof id);
			if (find(s->src, sets[i], id) >= 0) {
				el = psf_next_child(buf, set, el);
				continue;
			}
			rc = psf_delete(buf, el);
			if (rc)
				return rc;
			s->done++;
			el = psf_first_child(buf, set);
		}
	}
	for (i = 0; !rc && i < NSETS; i++) {
		int set = psf_find_child(s->src, psf_root(s->src), sets[i]);

		for (el = set < 0 ? -1 : psf_first_child(s->src, set);
		     !rc && el >= 0; el = psf_next_child(s->src, set, el)) {
			if (s->limit && s->done >= s->limit)
				return 0;
			ident(s->src, el, id, sizeof id);
			o = find(buf, sets[i], id);
			if (o >= 0 && elen(buf, o) == elen(s->src, el) &&
			    !memcmp((uint8_t *)buf + o, s->src + el,
				    elen(buf, o)))
				continue;
			if (o >= 0)
				rc = psf_delete(buf, o);
			if (!rc)
				rc = copy_in(buf, cap, sets[i], s->src, el);
			s->done++;
		}
	}
	return rc;
}

/* A copy of store b holding only the pool's records (malloc'd). */
static int records_only(const void *b, uint32_t len, uint8_t **out)
{
	uint8_t *c = malloc(len);
	int el, keep, rc;

	if (!c)
		return PS_ERR_NOMEM;
	memcpy(c, b, len);
	for (el = psf_first_child(c, psf_root(c)); el >= 0;) {
		keep = psf_sig(c, el) == PSF_PROFILES ||
		       psf_sig(c, el) == PSF_SERVERS ||
		       psf_sig(c, el) == PSF_POOL_STATE;
		if (keep) {
			el = psf_next_child(c, psf_root(c), el);
			continue;
		}
		rc = psf_delete(c, el);
		if (rc) {
			free(c);
			return rc;
		}
		el = psf_first_child(c, psf_root(c));
	}
	rc = psf_finish(c);
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int psctl_pool_export(struct psctl_ctx *c, int argc, char **argv)
{
	uint8_t *only = NULL;
	char *text = NULL;
	const void *b;
	uint32_t len;
	int rc = argc != 2 ? psctl_error(c, "pool export", NULL, NULL,
					 PSCTL_EXIT_USAGE, "usage: pool export "
					 "FILE (- for the output)")
			   : psctl_need_store(c);

	if (rc)
		return rc;
	b = psctl_store_data(c, &len);
	rc = records_only(b, len, &only);
	if (!rc)
		rc = psctl_store_text(only, psf_total(only), &text);
	if (rc)
		rc = psctl_error(c, "pool export", NULL, NULL, rc, NULL);
	else
		rc = psctl_write_out(c, argv[1], text, strlen(text));
	free(text);
	free(only);
	return rc;
}

/* The current store with its pool records replaced by src's: checked by
 * the gate as a whole before anything is written. */
static int check_result(struct psctl_ctx *c, const uint8_t *src,
			const char *file)
{
	struct step s = { src, 0, 0 };
	struct ps_txn t;
	int rc = psctl_edit_copy(c, step_edit, &s, &t), problems = 0;

	if (rc)
		return rc;
	if (psctl_check_config)
		problems = psctl_check_config(c, t.buf, psf_total(t.buf),
					      c->err);
	ps_txn_abort(&t);
	if (problems)
		return psctl_error(c, "pool import", NULL, file,
				   problems < 0 ? problems : PSCTL_EXIT_INVALID,
				   "%d problem%s in the pool it would make; "
				   "nothing written", problems,
				   problems == 1 ? "" : "s");
	return 0;
}

int psctl_pool_import(struct psctl_ctx *c, int argc, char **argv)
{
	struct step s = { NULL, 0, 0 };
	void *data = NULL;
	size_t len, total = 0;
	int rc = argc != 2 ? psctl_error(c, "pool import", NULL, NULL,
					 PSCTL_EXIT_USAGE, "usage: pool import "
					 "FILE (text, binary or JSON; - for "
					 "stdin)")
			   : psctl_import_load(c, argv[1], &data, &len);

	if (!rc)
		rc = psctl_need_store(c);
	s.src = data;
	if (!rc)
		rc = check_result(c, s.src, argv[1]);
	/* etcd: a few records per transaction, until nothing changes. */
	s.limit = psctl_g.pool_store ? STEP : 0;
	while (!rc) {
		rc = psctl_edit(c, step_edit, &s);
		total += (size_t)s.done;
		if (!s.limit || s.done < s.limit || c->dry_run)
			break;
	}
	if (!rc)   /* etcd: the list index of what was imported */
		rc = psctl_pool_index_ensure(c);
	if (!rc && !c->dry_run && !psctl_g.quiet)
		fprintf(c->out, "pool import: %zu record%s written from %s\n",
			total, total == 1 ? "" : "s", argv[1]);
	free(data);
	return rc;
}
