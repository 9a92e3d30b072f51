/*
 * psctl_pool_index.c - the etcd pool's list index (psctl_pool_index.h,
 * docs/pool.md "The list index"): the buckets a transaction rewrites,
 * the list's read and `pool check`'s comparison.  The rows themselves:
 * psctl_pool_index_rows.c; building it from the profile keys (`pool
 * reindex`): psctl_pool_index_build.c.
 *
 * Why: etcd's JSON gateway spends its time per key-value, so a list of
 * 100,000 profile keys costs it seconds; the same rows in ~1,000 bucket
 * keys cost it a few hundred milliseconds.  A row is the profile key's
 * value itself, so the list prints through the same writers as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psctl.h"
#include "psctl_main.h"
#include "psctl_pool.h"
#include "psctl_pool_index.h"
#include "psctl_pool_index_int.h"

void psctl_pool_index_want(const char *name)
{
	char k[POOL_KEY_MAX];

	psctl_pool_want(POOL_INDEX_META);
	pidx_bucket_key(0, pidx_bucket(name), k, sizeof k);
	psctl_pool_want(k);
}

/* ---- write side */

struct pidx_b {
	char key[POOL_KEY_MAX];
	struct pidx_buf b;
};

struct pidx {
	struct pidx_b *b;
	size_t n;
	int on;                   /* the pool has an index (meta key read) */
};

/* The meta key as read: 1 an index to keep, 0 none, else why not. */
static int meta_state(struct psctl_ctx *c)
{
	const struct pe_kv *kv = psctl_pool_key(POOL_INDEX_META);
	int ready, rc = pidx_meta(kv, &ready);

	if (rc >= 0)
		return rc;
	return psctl_pool_damaged(c, kv, rc == -2 ? "the list index has "
				  "another bucket count than this psctl's "
				  "(rebuild it: psctl pool reindex)"
				  : "not 'buckets N ready|building'");
}

/* The pending bucket of key, made from what was read (its rows created
 * "now" get the revision they were written at). */
static struct pidx_b *pending(struct psctl_ctx *c, struct pidx *ix,
			      const char *key, int *rc)
{
	const struct pe_kv *kv;
	struct pidx_row r;
	struct pidx_b *p;
	size_t i, off;

	for (i = 0; i < ix->n; i++)
		if (!strcmp(ix->b[i].key, key))
			return &ix->b[i];
	p = realloc(ix->b, (ix->n + 1) * sizeof *p);
	if (!p) {
		*rc = psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				  NULL);
		return NULL;
	}
	ix->b = p;
	p = &ix->b[ix->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->key, sizeof p->key, "%s", key);
	kv = psctl_pool_key(key);
	for (off = 0; kv && off < kv->vlen; off += r.size) {
		if (pidx_row(kv->val, kv->vlen, off, &r)) {
			*rc = psctl_pool_damaged(c, kv, "not a list index "
						 "bucket (rebuild it: psctl "
						 "pool reindex)");
			return NULL;
		}
		if (pidx_add_row(&p->b, r.rev ? r.rev : kv->mod_rev, r.name,
				 r.nlen, r.el, r.elen))
			break;
	}
	if (kv && off < kv->vlen)
		*rc = psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				  NULL);
	return *rc ? NULL : p;
}

/* b without name's row (in place). */
static void drop_row(struct pidx_buf *b, const char *name)
{
	size_t off = 0, nl = strlen(name);
	struct pidx_row r;

	while (off < b->len && !pidx_row(b->v, b->len, off, &r)) {
		if (r.nlen == nl && !memcmp(r.name, name, nl)) {
			memmove(b->v + off, b->v + off + r.size,
				b->len - off - r.size);
			b->len -= r.size;
			return;
		}
		off += r.size;
	}
}

int psctl_pool_index_change(struct psctl_ctx *c, struct pidx **ixp,
			    int server, const char *name, const uint8_t *el,
			    size_t len)
{
	char k[POOL_KEY_MAX];
	const struct pe_kv *pk;
	struct pidx_b *p;
	int rc = 0;

	if (!*ixp) {
		rc = meta_state(c);
		if (rc < 0 || rc > 1)
			return rc;
		*ixp = calloc(1, sizeof **ixp);
		if (!*ixp)
			return psctl_error(c, psctl_g.cmd, NULL, NULL,
					   PS_ERR_NOMEM, NULL);
		(*ixp)->on = rc;
		rc = 0;
	}
	if (!(*ixp)->on)
		return 0;
	pidx_bucket_key(server, pidx_bucket(name), k, sizeof k);
	p = pending(c, *ixp, k, &rc);
	if (!p)
		return rc;
	drop_row(&p->b, name);
	if (!el)
		return 0;
	/* An edit keeps the key's create_revision; a new profile or server
	 * is created by this txn: 0, the bucket's revision once written. */
	snprintf(k, sizeof k, "%s%s", pidx_of[server], name);
	pk = psctl_pool_key(k);
	if (pidx_add_row(&p->b, pk ? pk->create_rev : 0, name, strlen(name),
			 el, len))
		return psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				   NULL);
	return 0;
}

void psctl_pool_index_emit(struct pidx *ix, pidx_cmp_fn cmp, pidx_op_fn op,
			   void *arg)
{
	size_t i;

	if (!ix)
		return;
	/* Every profile txn compares the meta key as read: one that read
	 * "no index" cannot commit after `pool reindex` began. */
	cmp(arg, POOL_INDEX_META);
	for (i = 0; ix->on && i < ix->n; i++) {
		cmp(arg, ix->b[i].key);
		op(arg, ix->b[i].key, ix->b[i].b.len ? ix->b[i].b.v : NULL,
		   ix->b[i].b.len);
	}
}

void psctl_pool_index_free(struct pidx *ix)
{
	size_t i;

	for (i = 0; ix && i < ix->n; i++)
		free(ix->b[i].b.v);
	if (ix)
		free(ix->b);
	free(ix);
}

/* ---- read side */

/* The rows of bucket kv appended to prof as the keys they index
 * (prefix pre); 0 or -1. */
static int rows_of(const struct pe_kv *kv, const char *pre,
		   struct pe_kvs *prof, size_t *cap)
{
	struct pidx_row r;
	struct pe_kv *o;
	size_t off, pl = strlen(pre);

	for (off = 0; off < kv->vlen; off += r.size) {
		if (pidx_row(kv->val, kv->vlen, off, &r))
			return -1;
		if (prof->n == *cap) {
			o = realloc(prof->kv, (*cap * 2 + 1024) * sizeof *o);
			if (!o)
				return -1;
			prof->kv = o;
			*cap = *cap * 2 + 1024;
		}
		o = &prof->kv[prof->n];
		memset(o, 0, sizeof *o);
		o->key = malloc(pl + r.nlen + 1);
		o->val = malloc(r.elen + 1);
		if (!o->key || !o->val) {
			free(o->key);
			free(o->val);
			return -1;
		}
		prof->n++;
		memcpy(o->key, pre, pl);
		memcpy(o->key + pl, r.name, r.nlen);
		o->key[pl + r.nlen] = 0;
		o->klen = pl + r.nlen;
		memcpy(o->val, r.el, r.elen);
		o->val[r.elen] = 0;
		o->vlen = r.elen;
		o->create_rev = r.rev ? r.rev : kv->mod_rev;
		o->mod_rev = kv->mod_rev;
	}
	return 0;
}

/* to[kind]'s array sized for every row of all's buckets at once (its
 * growth copied ~6 MB again and again at 100,000 profiles); a failed
 * allocation leaves rows_of to grow it. */
static void presize(const struct pe_kvs *all, struct pe_kvs *to[2],
		    size_t cap[2])
{
	size_t i, off, n[2] = { 0, 0 };
	struct pidx_row r;
	unsigned b;
	int kind;

	for (i = 0; i < all->n; i++) {
		const struct pe_kv *kv = &all->kv[i];

		if (!pidx_is_bucket(kv->key, &kind, &b))
			continue;
		for (off = 0; off < kv->vlen &&
			      !pidx_row(kv->val, kv->vlen, off, &r);
		     off += r.size)
			n[kind]++;
	}
	for (kind = 0; kind < 2; kind++) {
		struct pe_kv *o = n[kind] ? malloc(n[kind] * sizeof *o) : NULL;

		if (o && !to[kind]->kv) {
			to[kind]->kv = o;
			cap[kind] = n[kind];
		} else {
			free(o);
		}
	}
}

int psctl_pool_index_read(struct pe_kvs *prof, struct pe_kvs *srv,
			  int *used)
{
	struct pe_kvs all = { 0 };
	size_t i, cap[2] = { 0, 0 };
	struct pe_kvs *to[2] = { prof, srv };
	unsigned b;
	int kind, ready = 0, rc;

	*used = 0;
	rc = pe_range(&pool_g.pe, POOL_INDEX, 1, &all);
	if (rc)
		return rc;
	/* "meta" sorts before the buckets ("p/", "s/") */
	if (pidx_meta(all.n && !strcmp(all.kv[0].key, POOL_INDEX_META) ?
		      &all.kv[0] : NULL, &ready) <= 0 || !ready) {
		pe_kvs_free(&all);
		return 0;
	}
	*used = 1;
	srv->revision = prof->revision = all.revision;
	presize(&all, to, cap);
	for (i = 0; i < all.n && !rc; i++) {
		const struct pe_kv *kv = &all.kv[i];

		if (pidx_is_bucket(kv->key, &kind, &b) &&
		    rows_of(kv, pidx_of[kind], to[kind], &cap[kind])) {
			snprintf(pool_g.pe.err, sizeof pool_g.pe.err,
				 "etcd key '%s' (revision %lld): not a list "
				 "index bucket (rebuild it: psctl pool "
				 "reindex)", kv->key, (long long)kv->mod_rev);
			rc = PE_ERR_PARSE;
		}
	}
	pe_kvs_free(&all);
	return rc;
}

/* ---- pool check */

#define PIDX_STR(x) #x
#define PIDX_STR2(x) PIDX_STR(x)
#define PIDX_COUNT PIDX_STR2(POOL_INDEX_BUCKETS)

static void say(FILE *out, int *n, const char *fmt, const char *a,
		const char *b, const char *d)
{
	fprintf(out, "disagrees    list index: ");
	fprintf(out, fmt, a, b, d);
	fputc('\n', out);
	(*n)++;
}

/* The row of profile name in the bucket kv, resolved; 0 found. */
static int find_row(const struct pe_kv *kv, const char *name,
		    struct pidx_row *r)
{
	size_t off, nl = strlen(name);

	for (off = 0; kv && off < kv->vlen; off += r->size)
		if (pidx_row(kv->val, kv->vlen, off, r))
			return -1;
		else if (r->nlen == nl && !memcmp(r->name, name, nl)) {
			r->rev = r->rev ? r->rev : kv->mod_rev;
			return 0;
		}
	return -1;
}

/* Each profile or server key of the snapshot has its row, as it is. */
static void keys_have_rows(FILE *out, int *n)
{
	const struct pe_kvs *s = &pool_g.snap;
	char k[POOL_KEY_MAX];
	struct pidx_row r;
	size_t i, pl;
	int kind;

	for (i = 0; i < s->n; i++)
		for (kind = 0; kind < 2; kind++) {
			const char *nm = s->kv[i].key + (pl =
					 strlen(pidx_of[kind]));

			if (strncmp(s->kv[i].key, pidx_of[kind], pl))
				continue;
			pidx_bucket_key(kind, pidx_bucket(nm), k, sizeof k);
			if (find_row(psctl_pool_key(k), nm, &r))
				say(out, n, "etcd key '%s' has no row in etcd "
				    "key '%s'%s", s->kv[i].key, k, "");
			else if (r.rev != s->kv[i].create_rev ||
				 r.elen != s->kv[i].vlen ||
				 memcmp(r.el, s->kv[i].val, r.elen))
				say(out, n, "etcd key '%s': its row in etcd "
				    "key '%s' differs from it%s", s->kv[i].key,
				    k, "");
		}
}

/* Each row of each bucket has its key, and is in the right bucket. */
static void rows_have_keys(FILE *out, int *n)
{
	const struct pe_kvs *s = &pool_g.snap;
	char k[POOL_KEY_MAX], name[POOL_KEY_MAX - 32];
	struct pidx_row r;
	size_t i, off;
	unsigned b;
	int kind;

	for (i = 0; i < s->n; i++) {
		const struct pe_kv *kv = &s->kv[i];

		if (!pidx_is_bucket(kv->key, &kind, &b))
			continue;
		for (off = 0; off < kv->vlen; off += r.size) {
			if (pidx_row(kv->val, kv->vlen, off, &r)) {
				say(out, n, "etcd key '%s': %s%s", kv->key,
				    "not a list index bucket", "");
				break;
			}
			snprintf(name, sizeof name, "%.*s", (int)r.nlen,
				 r.name);
			snprintf(k, sizeof k, "%s%s", pidx_of[kind], name);
			if (pidx_bucket(name) != b || !psctl_pool_key(k))
				say(out, n, "etcd key '%s' has a row for '%s', "
				    "which %s", kv->key, k,
				    pidx_bucket(name) != b
				    ? "belongs in another bucket"
				    : "does not exist");
		}
	}
}

int psctl_pool_index_check(FILE *out)
{
	const struct pe_kv *meta = psctl_pool_key(POOL_INDEX_META);
	int ready, n = 0;

	if (pidx_meta(meta, &ready) <= 0 || !ready) {
		if (meta)
			say(out, &n, "etcd key '%s': not 'buckets %s ready' "
			    "(%s)", POOL_INDEX_META, PIDX_COUNT, "rebuild it");
		if (n)
			fprintf(out, "list index: not ready (psctl pool "
				"reindex builds it)\n");
		return n;
	}
	keys_have_rows(out, &n);
	rows_have_keys(out, &n);
	if (n)
		fprintf(out, "list index: %d disagreement%s (psctl pool "
			"reindex rebuilds it)\n", n, n == 1 ? "" : "s");
	return n;
}
