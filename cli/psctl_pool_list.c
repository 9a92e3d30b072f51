/*
 * psctl_pool_list.c - `psctl profile list` on the etcd pool without
 * reading the pool into one store (docs/pool.md "Reads"): the server
 * directory once, then the profiles in pages of PAGE keys (etcd's
 * `limit`, continuing from the last key), as parallel streams
 * (psctl_pool_pages.c), at the revision of the first read, so the list
 * is one consistent snapshot whatever writes go on and has no size limit
 * but memory.
 *
 * The file pool lists profiles in creation order; etcd pages in key
 * order, so the decoded profiles are sorted by create_revision before
 * the rows are printed.  Each row is printed from a scratch store that
 * holds the servers (the "(server NAME)" note) and one profile at a time,
 * through the same row and JSON writers as every other list (one_row:
 * a profile on a server's very target text needs only that server).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_pool.h"
#include "psctl_pool_index.h"

/* Keys a page ($PSTATE_POOL_PAGE, tests).  etcd counts the rest of the
 * range for every page (the answer's "count"), so fewer, larger pages
 * cost it less: at 100,000 profiles 10,000 took ~25 % less of etcd's CPU
 * than 2,000 (docs/performance.md "Profile pool"). */
#define PAGE 10000

/* The profiles from the list index's buckets with the server directory
 * (one read-only txn, psctl_pool_index.c); a pool without a ready index:
 * every profile key in pages of PAGE keys read as parallel streams
 * (psctl_pool_pages.c), and the server directory as one more, all at the
 * newest revision (srv->revision). */
static int read_pool(struct psctl_ctx *c, struct pe_kvs *prof,
		     struct pe_kvs *srv)
{
	const char *env = getenv("PSTATE_POOL_PAGE");
	int64_t limit = env && atol(env) > 0 ? atol(env) : PAGE, rev = 0;
	const char *ix = getenv("PSTATE_POOL_INDEX");
	int rc = 0, used = 0;

	/* PSTATE_POOL_INDEX=0: the profile keys even when indexed (the
	 * tests and the benchmark compare both). */
	if (!ix || strcmp(ix, "0"))
		rc = psctl_pool_index_read(prof, srv, &used);
	if (!rc && !used)
		rc = psctl_pool_pages(POOL_PROFILE, limit, &rev, prof,
				      POOL_SERVER, srv);
	return rc ? psctl_pool_error(c, rc) : 0;
}

/* Creation order, as the file pool lists; one transaction's profiles
 * (one create_revision) by name, so both reads print the same order.
 * Sorted as small (revision, kv) pairs, then the kvs put in that order:
 * qsort moving 64-byte kvs was a twentieth of psctl's CPU at 100,000. */
struct by_rev {
	int64_t rev;
	const struct pe_kv *kv;
};

static int by_creation(const void *a, const void *b)
{
	const struct by_rev *x = a, *y = b;

	if (x->rev != y->rev)
		return x->rev < y->rev ? -1 : 1;
	return strcmp(x->kv->key, y->kv->key);
}

static int sort_by_creation(struct pe_kvs *k)
{
	struct by_rev *o = malloc(k->n * sizeof *o);
	struct pe_kv *kv = malloc(k->n * sizeof *kv);
	size_t i;

	if (!o || !kv) {
		free(o);
		free(kv);
		return -1;
	}
	for (i = 0; i < k->n; i++) {
		o[i].rev = k->kv[i].create_rev;
		o[i].kv = &k->kv[i];
	}
	qsort(o, k->n, sizeof *o, by_creation);
	for (i = 0; i < k->n; i++)
		kv[i] = *o[i].kv;
	free(o);
	free(k->kv);
	k->kv = kv;
	return 0;
}

/* A server's TARGET text and its kv, sorted by the text. */
struct by_target {
	const char *t;
	uint32_t len;
	const struct pe_kv *kv;
};

static int cmp_target(const void *a, const void *b)
{
	const struct by_target *x = a, *y = b;
	int d = memcmp(x->t, y->t, x->len < y->len ? x->len : y->len);

	return d ? d : (x->len > y->len) - (x->len < y->len);
}

/* The servers of the scratch store (srv sorted as its SERVERS set) by
 * their TARGET text: n entries (malloc'd), or NULL. */
static struct by_target *index_targets(const uint8_t *buf,
				       const struct pe_kvs *srv, size_t *n)
{
	struct by_target *ix = calloc(srv->n + 1, sizeof *ix);
	size_t i = 0;
	int el;

	*n = 0;
	if (!ix)
		return NULL;
	for (el = ps_obj_next(buf, psf_root(buf), PS_OBJ_SERVER, -1);
	     el >= 0 && i < srv->n;
	     el = ps_obj_next(buf, psf_root(buf), PS_OBJ_SERVER, el), i++) {
		ix[*n].t = psf_child_payload(buf, el, PSF_TARGET,
					     &ix[*n].len);
		ix[*n].kv = &srv->kv[i];
		*n += ix[*n].t != NULL;
	}
	qsort(ix, *n, sizeof *ix, cmp_target);
	return ix;
}

struct rows {
	struct psctl_ctx *c;
	struct psctl_jw w;
	uint8_t *buf, *mini;      /* all servers; one profile (+ server) */
	size_t cap, mcap;
	struct by_target *ix;
	size_t nix;
};

static void emit(struct rows *r, const uint8_t *buf, int el)
{
	if (r->c->json)
		psctl_jw_object(&r->w, buf, el, PS_OBJ_PROFILE, NULL);
	else
		psctl_list_row(r->c->out, buf, el, PS_OBJ_PROFILE, NULL);
}

/* One row.  The "(server NAME)" note compares the target with every
 * server (ps_server_by_target parses each: 16,000 parses a row); servers'
 * targets are unique in any spelling, so a server whose TARGET text is
 * the profile's very text is the one: the row is printed from a store of
 * the profile and that server.  Other targets (a VM's, another spelling)
 * go the whole way, in the store of all servers. */
static int one_row(struct rows *r, const struct pe_kv *kv, char *why,
		   size_t wn)
{
	struct psf_builder b;
	struct by_target key, *hit = NULL;
	int el, rc;

	psf_build_begin(&b, r->mini, r->mcap, PSF_ROOT, 1, 0);
	rc = psf_build_finish(&b);
	rc = rc < 0 ? rc : psctl_pool_put_elem(r->mini, r->mcap, kv, why, wn,
					       &el);
	if (rc)
		return rc;
	key.t = psf_child_payload(r->mini, el, PSF_TARGET, &key.len);
	if (key.t && key.len)
		hit = bsearch(&key, r->ix, r->nix, sizeof key, cmp_target);
	if (key.t && key.len && !hit) {
		rc = psctl_pool_put_elem(r->buf, r->cap, kv, why, wn, &el);
		if (!rc)
			emit(r, r->buf, el);
		if (!rc)
			psf_delete(r->buf, el);
		return rc;
	}
	/* the SERVERS set goes after PROFILES: el stays where it is */
	if (hit)
		rc = psctl_pool_put_elem(r->mini, r->mcap, hit->kv, why, wn,
					 NULL);
	if (!rc)
		emit(r, r->mini, el);
	return rc;
}

/* The rows, in creation order. */
static int print_rows(struct psctl_ctx *c, const char *cmd,
		      struct pe_kvs *prof, struct rows *r)
{
	char why[200];
	size_t i;
	int rc = 0;

	r->c = c;
	if (c->json) {
		psctl_jw_doc(&r->w, c->out, cmd, 0);
		psctl_jw_key(&r->w, "items");
		psctl_jw_arr(&r->w, 0);
	} else {
		psctl_list_header(c->out, PS_OBJ_PROFILE, 0);
	}
	for (i = 0; !rc && i < prof->n; i++)
		if (one_row(r, &prof->kv[i], why, sizeof why))
			rc = psctl_pool_damaged(c, &prof->kv[i], why);
	if (c->json && !rc) {
		psctl_jw_end(&r->w);
		psctl_jw_doc_end(&r->w);
	}
	return rc;
}

int psctl_pool_list(struct psctl_ctx *c, const char *cmd, int *done)
{
	static char where[400];
	struct pe_kvs srv = { 0 }, prof = { 0 };
	struct rows r = { 0 };
	size_t i, len, room = 0, sroom = 0;
	int use = 0, rc = 0;

	*done = 0;
	if (c->store || psctl_g.local_noun)
		return 0;
	rc = psctl_pool_choose(c, &use);
	if (rc || !use)
		return rc;
	*done = 1;
	/* ~50 MB of answer, strings and rows, freed and taken again: kept
	 * in the heap instead of mmap'd and returned piece by piece (a
	 * sixth of psctl's CPU was page faults at 100,000 profiles). */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	rc = psctl_pool_connect(c);
	if (!rc)
		rc = read_pool(c, &prof, &srv);
	for (i = 0; !rc && i < prof.n; i++)
		if (prof.kv[i].vlen + 64 > room)
			room = prof.kv[i].vlen + 64;
	for (i = 0; !rc && i < srv.n; i++)
		if (srv.kv[i].vlen + 64 > sroom)
			sroom = srv.kv[i].vlen + 64;
	if (!rc)
		rc = psctl_pool_build(c, &srv, room, &r.buf, &len, &r.cap);
	if (!rc) {
		r.mcap = PSF_HEADER_SIZE + 4096 + room + sroom;
		r.mini = malloc(r.mcap);
		r.ix = index_targets(r.buf, &srv, &r.nix);
		if (!r.mini || !r.ix)
			rc = psctl_error(c, psctl_g.cmd, NULL, NULL,
					 PS_ERR_NOMEM, NULL);
	}
	if (!rc) {
		snprintf(where, sizeof where, "%s (revision %lld)", pool_g.url,
			 (long long)srv.revision);
		psctl_store_announce(c, where);
		if (prof.n && sort_by_creation(&prof))
			rc = psctl_error(c, psctl_g.cmd, NULL, NULL,
					 PS_ERR_NOMEM, NULL);
		if (!rc)
			rc = print_rows(c, cmd, &prof, &r);
	}
	free(r.buf);
	free(r.mini);
	free(r.ix);
	pe_kvs_free(&srv);
	pe_kvs_free(&prof);
	return rc;
}
