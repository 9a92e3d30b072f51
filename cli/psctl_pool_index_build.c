/*
 * psctl_pool_index_build.c - `psctl pool reindex`: the list index built
 * from the profile keys (docs/pool.md "The list index"), for a pool
 * written before the index, after `pool check` found it disagreeing, and
 * at the end of `pool import`.
 *
 * Safe while others write: the meta key is first put "building"; from
 * then on every profile transaction rewrites its bucket too (and one that
 * read no meta key fails its compare on it and runs again).  Then the
 * profiles and buckets are read at one revision, each bucket that differs
 * from what the profiles say is rewritten compared as read (a writer that
 * touched it since makes the batch fail: read again, up to TRIES), and
 * the meta key is put "ready" compared as this build wrote it.  Lists use
 * the index only once it is ready.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psctl.h"
#include "psctl_main.h"
#include "psctl_pool.h"
#include "psctl_pool_index.h"
#include "psctl_pool_index_int.h"

#define TRIES 8
#define PAGE 10000
/* A batch txn: etcd's --max-txn-ops (128) and --max-request-bytes
 * (1.5 MiB) by default. */
#define BATCH_OPS 60
#define BATCH_BYTES (1u << 20)

/* The buckets of both kinds (profiles, then servers) as one array. */
#define NB (2 * POOL_INDEX_BUCKETS)

struct build {
	struct pidx_buf b[NB];
	const struct pe_kv *had[NB];  /* as read, or NULL */
	struct pe_cmp cmp[BATCH_OPS];
	struct pe_op op[BATCH_OPS];
	char keys[BATCH_OPS][POOL_KEY_MAX];
	size_t n, bytes;
};

/* The meta key put to text, compared as read (*rev: the txn's). */
static int put_meta(const char *text, const struct pe_kv *as_read,
		    int64_t rev_read, int *ok, int64_t *rev)
{
	struct pe_cmp c = { POOL_INDEX_META, as_read || rev_read ? PE_T_MOD
			    : PE_T_CREATE, PE_EQ, as_read ? as_read->mod_rev
			    : rev_read, NULL, 0 };
	struct pe_op o = { PE_PUT, POOL_INDEX_META, (const uint8_t *)text,
			   strlen(text), 0, 0 };

	return pe_txn(&pool_g.pe, &c, 1, &o, 1, NULL, 0, ok, rev, NULL);
}

static int flush(struct build *x, int *ok)
{
	int64_t rev;
	int rc = 0;

	*ok = 1;
	if (x->n)
		rc = pe_txn(&pool_g.pe, x->cmp, x->n, x->op, x->n, NULL, 0,
			    ok, &rev, NULL);
	x->n = 0;
	x->bytes = 0;
	return rc;
}

/* Key k (as read: h, or absent) put to b's value, or deleted when b is
 * empty, in the batch. */
static int put(struct build *x, const char *k, const struct pe_kv *h,
	       const struct pidx_buf *b, int *ok)
{
	int rc = 0;

	if (x->n == BATCH_OPS || x->bytes + b->len > BATCH_BYTES)
		rc = flush(x, ok);
	if (rc || !*ok)
		return rc;
	snprintf(x->keys[x->n], sizeof x->keys[x->n], "%s", k);
	x->cmp[x->n] = (struct pe_cmp){ x->keys[x->n], h ? PE_T_MOD
					: PE_T_CREATE, PE_EQ, h ? h->mod_rev
					: 0, NULL, 0 };
	x->op[x->n] = (struct pe_op){ b->len ? PE_PUT : PE_DEL, x->keys[x->n],
				      b->v, b->len, 0, 0 };
	x->n++;
	x->bytes += b->len;
	return 0;
}

/* Bucket i as the profiles say, when it differs from what was read. */
static int add(struct build *x, unsigned i, int *ok)
{
	const struct pe_kv *h = x->had[i];
	struct pidx_buf *b = &x->b[i];
	char k[POOL_KEY_MAX];

	*ok = 1;
	if ((!h && !b->len) ||
	    (h && h->vlen == b->len && !memcmp(h->val, b->v, b->len)))
		return 0;
	pidx_bucket_key(i >= POOL_INDEX_BUCKETS, i % POOL_INDEX_BUCKETS, k,
			sizeof k);
	return put(x, k, h, b, ok);
}

/* The rows of keys k (kind: 0 profiles, 1 servers) into x's buckets. */
static int rows(struct build *x, struct pe_kvs *k, int kind)
{
	size_t i, pl = strlen(pidx_of[kind]);

	if (k->n)   /* a stable order: a rebuild rewrites no bucket */
		qsort(k->kv, k->n, sizeof *k->kv, psctl_pool_by_creation);
	for (i = 0; i < k->n; i++) {
		const struct pe_kv *kv = &k->kv[i];
		const char *name = kv->key + pl;

		if (pidx_add_row(&x->b[kind * POOL_INDEX_BUCKETS +
				       pidx_bucket(name)], kv->create_rev,
				 name, strlen(name), kv->val, kv->vlen)) {
			snprintf(pool_g.pe.err, sizeof pool_g.pe.err,
				 "out of memory");
			return PE_ERR_NOMEM;
		}
	}
	return 0;
}

/* One pass: the profiles, the index and the servers at one revision;
 * rewrite what differs.  *ok 0: a bucket changed meanwhile (again). */
static int pass(struct build *x, int *ok)
{
	struct pe_kvs prof = { 0 }, idx = { 0 }, srv = { 0 };
	const struct pidx_buf none = { NULL, 0, 0 };
	struct pe_key from = { POOL_SERVER, strlen(POOL_SERVER) }, end;
	size_t i;
	int64_t rev = 0;
	unsigned b;
	int rc, kind;

	*ok = 1;
	end.p = pe_prefix_end(POOL_SERVER, &end.n);
	rc = end.p ? psctl_pool_pages(POOL_PROFILE, PAGE, &rev, &prof,
				      POOL_INDEX, &idx) : PE_ERR_NOMEM;
	if (!rc)
		rc = pe_range_span(&pool_g.pe, &from, &end, 0, rev, &srv);
	free((char *)end.p);
	for (i = 0; i < NB; i++) {
		x->b[i].len = 0;
		x->had[i] = NULL;
	}
	for (i = 0; !rc && *ok && i < idx.n; i++)
		if (pidx_is_bucket(idx.kv[i].key, &kind, &b))
			x->had[kind * POOL_INDEX_BUCKETS + b] = &idx.kv[i];
		else if (strcmp(idx.kv[i].key, POOL_INDEX_META))
			/* neither meta nor a bucket: stale, deleted */
			rc = put(x, idx.kv[i].key, &idx.kv[i], &none, ok);
	if (!rc)
		rc = rows(x, &prof, 0);
	if (!rc)
		rc = rows(x, &srv, 1);
	for (i = 0; !rc && *ok && i < NB; i++)
		rc = add(x, (unsigned)i, ok);
	if (!rc && *ok)
		rc = flush(x, ok);
	/* the claim keys the same records imply (psctl_pool_claims.c) */
	if (!rc && *ok)
		rc = psctl_pool_claims_fix(&prof, &srv, rev, ok);
	pe_kvs_free(&prof);
	pe_kvs_free(&idx);
	pe_kvs_free(&srv);
	return rc;
}

static int conflict(struct psctl_ctx *c, const char *what)
{
	return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url,
			   PSCTL_EXIT_CONFLICT, "%s changed meanwhile (%s); "
			   "run it again", what, "another reindex, or writers");
}

/* The meta key "building", the buckets, the meta key "ready": 0 or the
 * exit code reported. */
static int build(struct psctl_ctx *c, struct build *x)
{
	struct pe_kvs meta = { 0 };
	char text[64];
	int64_t mrev = 0;
	int ok = 0, tries, rc;

	snprintf(text, sizeof text, "buckets %u building", POOL_INDEX_BUCKETS);
	rc = pe_range(&pool_g.pe, POOL_INDEX_META, 0, &meta);
	if (!rc)
		rc = put_meta(text, meta.n ? &meta.kv[0] : NULL, 0, &ok, &mrev);
	pe_kvs_free(&meta);
	if (!rc && !ok)
		return conflict(c, "etcd key '" POOL_INDEX_META "'");
	for (tries = 0, ok = 0; !rc && !ok && tries < TRIES; tries++)
		rc = pass(x, &ok);
	if (!rc && !ok)
		return conflict(c, "the profiles");
	snprintf(text, sizeof text, "buckets %u ready", POOL_INDEX_BUCKETS);
	if (!rc)
		rc = put_meta(text, NULL, mrev, &ok, &mrev);
	if (rc)
		return psctl_pool_error(c, rc);
	return ok ? 0 : conflict(c, "etcd key '" POOL_INDEX_META "'");
}

/* Build, then free x; *rows the rows written. */
static int build_all(struct psctl_ctx *c, int *rows)
{
	struct build *x = calloc(1, sizeof *x);
	struct pidx_row r;
	size_t i, off;
	int rc;

	if (!x)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				   NULL);
	rc = build(c, x);
	for (i = 0, *rows = 0; i < NB; i++) {
		for (off = 0; off < x->b[i].len; off += r.size,
		     *rows += i < POOL_INDEX_BUCKETS)
			if (pidx_row(x->b[i].v, x->b[i].len, off, &r))
				break;
		free(x->b[i].v);
	}
	free(x);
	return rc;
}

int psctl_pool_reindex(struct psctl_ctx *c, int argc, char **argv)
{
	int rows = 0, use = 0, rc;

	if (argc > 1)
		return psctl_error(c, "pool reindex", NULL, argv[1],
				   PSCTL_EXIT_USAGE, "usage: pool reindex");
	rc = c->store ? 0 : psctl_pool_choose(c, &use);
	if (!rc && !use)
		return psctl_error(c, "pool reindex", NULL, NULL,
				   PSCTL_EXIT_USAGE, "the list index is the "
				   "etcd pool's (--pool etcd://...)");
	if (!rc)
		rc = psctl_pool_connect(c);
	if (!rc)
		rc = build_all(c, &rows);
	if (!rc && !psctl_g.quiet)
		fprintf(c->out, "pool reindex: %d profile%s in %u buckets\n",
			rows, rows == 1 ? "" : "s", POOL_INDEX_BUCKETS);
	if (!rc && !psctl_g.quiet && psctl_pool_claims_fixed())
		fprintf(c->out, "pool reindex: %d claim key%s written or "
			"deleted (target, source, srvtarget)\n",
			psctl_pool_claims_fixed(),
			psctl_pool_claims_fixed() == 1 ? "" : "s");
	return rc;
}

int psctl_pool_index_ensure(struct psctl_ctx *c)
{
	struct pe_kvs meta = { 0 };
	int ready = 0, rows, rc;

	if (!psctl_g.pool_store || c->dry_run)
		return 0;
	rc = pe_range(&pool_g.pe, POOL_INDEX_META, 0, &meta);
	if (rc)
		return psctl_pool_error(c, rc);
	rc = pidx_meta(meta.n ? &meta.kv[0] : NULL, &ready);
	pe_kvs_free(&meta);
	return rc == 1 && ready ? 0 : build_all(c, &rows);
}
