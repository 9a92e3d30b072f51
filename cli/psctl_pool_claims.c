/*
 * psctl_pool_claims.c - the etcd pool's claim keys (docs/pool.md key
 * layout): /pstate/target/T and /pstate/source/T (the profile placed on
 * T, the profile in transit away from T), /pstate/srvtarget/T (the server
 * whose target is T, normal form).  Each is derived from a profile or a
 * server record: the transactions write them with the record
 * (psctl_pool_txn.c claim_ops); here the same derivation
 *   - tells `pool check` which keys are missing, name another record, or
 *     are claimed by no record (each a disagreement, `pool reindex` the
 *     fix), and
 *   - lets `pool reindex` write them (a pool written before a kind of key
 *     existed, or one edited behind psctl's back).
 * Two records claiming one key break a rule no transaction lets through
 * (a pool written before the key existed may hold them): said, the first
 * created keeps the key.
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

void psctl_pool_claim_target(const uint8_t *b, int el, char *out, size_t n)
{
	out[0] = 0;
	if (el >= 0 && move_prof_state(b, el) != PSF_PROFILE_UNASSIGNED)
		move_str_copy(b, el, PSF_TARGET, out, n);
}

void psctl_pool_claim_source(const uint8_t *b, int el, char *out, size_t n)
{
	out[0] = 0;
	if (el >= 0 && move_prof_state(b, el) == PSF_PROFILE_IN_TRANSIT)
		move_str_copy(b, el, PSF_MOVE_SOURCE, out, n);
}

typedef void (*claim_fn)(const uint8_t *b, int el, char *out, size_t n);

static const struct kind {
	const char *prefix;     /* the claim keys                    */
	const char *of;         /* the records claiming them         */
	uint32_t set;
	claim_fn fn;
	const char *what;
} kinds[] = {
	{ POOL_TARGET, POOL_PROFILE, PSF_PROFILES, psctl_pool_claim_target,
	  "profile" },
	{ POOL_SOURCE, POOL_PROFILE, PSF_PROFILES, psctl_pool_claim_source,
	  "profile" },
	{ POOL_SRVTARGET, POOL_SERVER, PSF_SERVERS, psctl_pool_srv_norm,
	  "server" },
};
#define NKINDS (sizeof kinds / sizeof *kinds)

int psctl_pool_elem_buf(const struct pe_kv *kv, uint32_t set, uint8_t **out,
			int *el)
{
	struct psf_builder b;
	uint8_t *buf;
	int s;

	*out = NULL;
	if (kv->vlen > PSF_MAX_TOTAL || !(buf = malloc(kv->vlen + 256)))
		return 1;
	psf_build_begin(&b, buf, kv->vlen + 256, PSF_ROOT, 1, 0);
	psf_build_open(&b, set);
	psf_build_elem(&b, kv->val, (uint32_t)kv->vlen);
	psf_build_close(&b);
	if (psf_build_finish(&b) > 0 && !psf_check_tree(buf, b.pos, NULL) &&
	    (s = psf_find_child(buf, psf_root(buf), set)) >= 0 &&
	    (*el = psf_first_child(buf, s)) >= 0) {
		*out = buf;
		return 0;
	}
	free(buf);
	return 1;
}

/* A claim a record makes. */
struct claim {
	char key[POOL_KEY_MAX];
	const struct pe_kv *rec;      /* the record                      */
	const char *name;             /* its name (in rec->key)          */
	const struct kind *k;
};

struct claims {
	struct claim *c;              /* sorted by key, first created first */
	size_t n;
	const struct pe_kv **had;     /* the claim keys read, by key     */
	size_t nh;
};

static int by_key(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	if (d)
		return d;
	return (x->rec->create_rev > y->rec->create_rev) -
	       (x->rec->create_rev < y->rec->create_rev);
}

static int had_by_key(const void *a, const void *b)
{
	return strcmp((*(const struct pe_kv *const *)a)->key,
		      (*(const struct pe_kv *const *)b)->key);
}

/* The claims of record kv (under k->of) into s; 0 or PE_ERR_NOMEM. */
static int record(struct claims *s, const struct pe_kv *kv)
{
	char t[PS_CFG_TEXT_MAX + 1];
	uint8_t *buf = NULL;
	uint32_t set = 0;
	size_t i;
	void *p;
	int el = -1;

	for (i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];

		if (strncmp(kv->key, k->of, strlen(k->of)))
			continue;
		if (set != k->set) {            /* decoded once a record */
			free(buf);
			set = k->set;
			if (psctl_pool_elem_buf(kv, set, &buf, &el))
				buf = NULL;
		}
		if (!buf)
			continue;
		k->fn(buf, el, t, sizeof t);
		if (!t[0])
			continue;
		p = realloc(s->c, (s->n + 1) * sizeof *s->c);
		if (!p) {
			free(buf);
			return PE_ERR_NOMEM;
		}
		s->c = p;
		snprintf(s->c[s->n].key, POOL_KEY_MAX, "%s%s", k->prefix, t);
		s->c[s->n].rec = kv;
		s->c[s->n].name = kv->key + strlen(k->of);
		s->c[s->n++].k = k;
	}
	free(buf);
	return 0;
}

static int is_claim_key(const char *key)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (!strncmp(key, kinds[i].prefix, strlen(kinds[i].prefix)))
			return 1;
	return 0;
}

/* The claims of the records in a (profiles, servers) and the claim keys
 * in b, sorted; 0 or PE_ERR_NOMEM. */
static int gather(struct claims *s, const struct pe_kvs *a,
		  const struct pe_kvs *b)
{
	size_t i;
	void *p;

	memset(s, 0, sizeof *s);
	for (i = 0; i < a->n; i++)
		if (record(s, &a->kv[i]))
			return PE_ERR_NOMEM;
	for (i = 0; i < b->n; i++) {
		if (!is_claim_key(b->kv[i].key))
			continue;
		p = realloc(s->had, (s->nh + 1) * sizeof *s->had);
		if (!p)
			return PE_ERR_NOMEM;
		s->had = p;
		s->had[s->nh++] = &b->kv[i];
	}
	if (s->n)
		qsort(s->c, s->n, sizeof *s->c, by_key);
	if (s->nh)
		qsort(s->had, s->nh, sizeof *s->had, had_by_key);
	return 0;
}

static void release(struct claims *s)
{
	free(s->c);
	free(s->had);
}

static const struct pe_kv *had(const struct claims *s, const char *key)
{
	struct pe_kv k = { .key = (char *)key };
	const struct pe_kv *kp = &k, **f;

	f = s->nh ? bsearch(&kp, s->had, s->nh, sizeof *s->had, had_by_key)
		  : NULL;
	return f ? *f : NULL;
}

static const struct claim *claimed(const struct claims *s, const char *key)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {           /* the first claim of key */
		size_t mid = (lo + hi) / 2;

		if (strcmp(s->c[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && !strcmp(s->c[lo].key, key) ? &s->c[lo] : NULL;
}

/* What a disagreement is: the claim wanted (NULL: the key is claimed by
 * no record), the key as read (NULL: missing). */
typedef int (*diff_fn)(const struct claim *want, const struct pe_kv *h,
		       const char *key, void *arg);

static int same_name(const struct pe_kv *h, const char *name)
{
	return h->vlen == strlen(name) && !memcmp(h->val, name, h->vlen);
}

/* Every disagreement between s's claims and keys, to fn; a second claim
 * of one key to dup (not a key to write). */
static int each_diff(const struct claims *s, diff_fn fn,
		     void (*dup)(const struct claim *first,
				 const struct claim *also, void *arg),
		     void *arg)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < s->n; i++) {
		const struct claim *c = &s->c[i];
		const struct pe_kv *h;

		if (i && !strcmp(s->c[i - 1].key, c->key)) {
			if (dup)
				dup(claimed(s, c->key), c, arg);
			continue;
		}
		h = had(s, c->key);
		if (!h || !same_name(h, c->name))
			rc = fn(c, h, c->key, arg);
	}
	for (i = 0; !rc && i < s->nh; i++)
		if (!claimed(s, s->had[i]->key))
			rc = fn(NULL, s->had[i], s->had[i]->key, arg);
	return rc;
}

/* ---- pool check */

static int say(const struct claim *w, const struct pe_kv *h, const char *key,
	       void *arg)
{
	FILE *out = arg;

	fprintf(out, "disagrees    etcd key '%s' ", key);
	if (w && !h)
		fprintf(out, "is missing (%s '%s' claims it)", w->k->what,
			w->name);
	else if (w)
		fprintf(out, "names '%.*s', not %s '%s' (who claims it)",
			(int)h->vlen, (const char *)h->val, w->k->what,
			w->name);
	else
		fprintf(out, "names '%.*s', which does not claim it",
			(int)h->vlen, (const char *)h->val);
	fprintf(out, ": psctl pool reindex %s it\n", w && !h ? "writes"
		: w ? "rewrites" : "deletes");
	return 1;
}

static void say_dup(const struct claim *first, const struct claim *also,
		    void *arg)
{
	fprintf(arg, "disagrees    %s '%s' and %s '%s' both claim etcd key "
		"'%s' (only one may: change one of them)\n", first->k->what,
		first->name, also->k->what, also->name, also->key);
}

struct count {
	FILE *out;
	int n;
};

static int count_say(const struct claim *w, const struct pe_kv *h,
		     const char *key, void *arg)
{
	struct count *k = arg;

	k->n += say(w, h, key, k->out);
	return 0;
}

static void count_dup(const struct claim *first, const struct claim *also,
		      void *arg)
{
	struct count *k = arg;

	say_dup(first, also, k->out);
	k->n++;
}

int psctl_pool_claims_check(FILE *out, const struct pe_kvs *snap)
{
	struct claims s;
	struct count k = { out, 0 };

	if (gather(&s, snap, snap)) {
		fprintf(out, "disagrees    claim keys: out of memory (not "
			"checked)\n");
		release(&s);
		return 1;
	}
	each_diff(&s, count_say, count_dup, &k);
	release(&s);
	return k.n;
}

/* ---- pool reindex */

#define BATCH 40          /* ops a txn: 2 compares each, under etcd's 128 */

struct batch {
	struct pe_cmp cmp[2 * BATCH];
	struct pe_op op[BATCH];
	char keys[BATCH][POOL_KEY_MAX];
	size_t n, nc;
	int ok, fixed;
};

static int flush(struct batch *b)
{
	int64_t rev;
	int rc = 0, ok = 1;

	if (b->n)
		rc = pe_txn(&pool_g.pe, b->cmp, b->nc, b->op, b->n, NULL, 0,
			    &ok, &rev, NULL);
	if (!rc && ok)
		b->fixed += (int)b->n;
	b->ok &= ok;
	b->n = b->nc = 0;
	return rc;
}

/* The key put to the claim wanted (or deleted), compared as read, and
 * the record claiming it compared as read: a writer that changed either
 * since makes the batch fail (the pass reads again). */
static int fix(const struct claim *w, const struct pe_kv *h, const char *key,
	       void *arg)
{
	struct batch *b = arg;
	char *k = b->keys[b->n];

	if (!b->ok)             /* a batch lost: the pass runs again */
		return 0;

	snprintf(k, POOL_KEY_MAX, "%s", key);
	b->cmp[b->nc++] = (struct pe_cmp){ k, h ? PE_T_MOD : PE_T_CREATE,
					   PE_EQ, h ? h->mod_rev : 0, NULL,
					   0 };
	if (w)
		b->cmp[b->nc++] = (struct pe_cmp){ w->rec->key, PE_T_MOD,
						   PE_EQ, w->rec->mod_rev,
						   NULL, 0 };
	b->op[b->n++] = w ? (struct pe_op){ PE_PUT, k,
					    (const uint8_t *)w->name,
					    strlen(w->name), 0, 0 }
			  : (struct pe_op){ PE_DEL, k, NULL, 0, 0, 0 };
	return b->n == BATCH ? flush(b) : 0;
}

static int fixed_n;

int psctl_pool_claims_fixed(void)
{
	return fixed_n;
}

/* The claim keys under each kind's prefix at rev into out. */
static int read_claims(int64_t rev, struct pe_kvs *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < NKINDS; i++) {
		struct pe_kvs k = { 0 };
		const char *p = kinds[i].prefix;

		rc = pe_range_page(&pool_g.pe, p, p, strlen(p), 0, rev, &k);
		if (!rc)
			rc = psctl_pool_take(out, &k);
		else
			pe_kvs_free(&k);
	}
	return rc;
}

int psctl_pool_claims_fix(const struct pe_kvs *prof, const struct pe_kvs *srv,
			  int64_t rev, int *ok)
{
	struct pe_kvs have = { 0 }, recs = { 0 };
	struct claims s;
	struct batch *b = calloc(1, sizeof *b);
	size_t i;
	int rc;

	fixed_n = 0;
	*ok = 1;
	if (!b)
		return PE_ERR_NOMEM;
	b->ok = 1;
	rc = read_claims(rev, &have);
	/* the records as one array of views (gather reads kv pointers) */
	recs.n = prof->n + srv->n;
	recs.kv = recs.n ? malloc(recs.n * sizeof *recs.kv) : NULL;
	if (!rc && recs.n && !recs.kv)
		rc = PE_ERR_NOMEM;
	for (i = 0; !rc && i < prof->n; i++)
		recs.kv[i] = prof->kv[i];
	for (i = 0; !rc && i < srv->n; i++)
		recs.kv[prof->n + i] = srv->kv[i];
	if (!rc) {
		rc = gather(&s, &recs, &have) ? PE_ERR_NOMEM
					      : each_diff(&s, fix, NULL, b);
		release(&s);
	}
	if (!rc)
		rc = flush(b);
	*ok = b->ok;
	fixed_n = b->fixed;
	free(recs.kv);          /* views: the kvs stay prof's and srv's */
	pe_kvs_free(&have);
	free(b);
	return rc;
}
