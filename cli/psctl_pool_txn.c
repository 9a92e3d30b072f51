/*
 * psctl_pool_txn.c - an edit of the etcd pool as one transaction.
 *
 * The edit runs on a copy of the store read from etcd (psctl_edit_copy);
 * the profiles and servers it changed become puts and deletes of their
 * keys, each guarded by the key's revision as read (create_revision 0 for
 * a new one).  In the same transaction (docs/pool.md):
 *   - each identifier a profile gains is created under /pstate/id/ with
 *     create_revision 0 (so one identifier is never live twice in the
 *     fleet), each one it loses is deleted;
 *   - a profile going in transit gets /pstate/move/NAME (who, since) and
 *     /pstate/lease/NAME on this process's lease; leaving transit removes
 *     both.  A profile whose lease key another live process holds is not
 *     touched: that operator is moving it.
 * A lost compare re-reads the pool and runs the edit again (the file
 * pool's checks then see the other writer's work) -- unless the txn was
 * sent twice (an answer lost) and its own first copy applied: read_back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_main.h"
#include "psctl_move.h"
#include "psctl_pool.h"
#include "psctl_pool_ids.h"
#include "psctl_pool_index.h"

struct tx {
	struct pe_cmp *cmp;
	struct pe_op *op;
	size_t nc, no, cap;
	char **keys;              /* every key string made (freed at end) */
	size_t nk, kcap;
	char who[300];            /* this operator, for move records      */
	int leaving;              /* a move record goes: revoke the lease */
	int oom;
	struct pidx *ix;          /* the list index's buckets to rewrite */
};

static int grow(struct tx *x)
{
	void *a, *b;

	if (x->nc < x->cap && x->no < x->cap)
		return 0;
	x->cap = x->cap ? x->cap * 2 : 32;
	a = realloc(x->cmp, x->cap * sizeof *x->cmp);
	if (a)
		x->cmp = a;
	b = realloc(x->op, x->cap * sizeof *x->op);
	if (b)
		x->op = b;
	return a && b ? 0 : (x->oom = 1);
}

static const char *key(struct tx *x, const char *a, const char *b,
		       const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 2;
	char *k = malloc(n);
	char **keys = x->keys;

	if (k && x->nk == x->kcap) {
		keys = realloc(x->keys, (x->kcap * 2 + 16) * sizeof *keys);
		if (keys) {
			x->keys = keys;
			x->kcap = x->kcap * 2 + 16;
		}
	}
	if (!k || !keys) {
		free(k);
		x->oom = 1;
		return "";
	}
	snprintf(k, n, "%s%s%s%s", a, b, *c ? "/" : "", c);
	x->keys[x->nk++] = k;
	return k;
}

static void cmp_num(struct tx *x, const char *k, enum pe_target t,
		    int64_t v)
{
	if (grow(x))
		return;
	x->cmp[x->nc++] = (struct pe_cmp){ k, t, PE_EQ, v, NULL, 0 };
}

/* key as it was read: its mod_revision, or absent (create_revision 0). */
static void cmp_as_read(struct tx *x, const char *k)
{
	const struct pe_kv *kv = psctl_pool_key(k);

	if (kv)
		cmp_num(x, k, PE_T_MOD, kv->mod_rev);
	else
		cmp_num(x, k, PE_T_CREATE, 0);
}

static void op(struct tx *x, enum pe_opkind kind, const char *k,
	       const void *v, size_t n, int64_t lease)
{
	if (grow(x))
		return;
	x->op[x->no++] = (struct pe_op){ kind, k, v, n, lease, 0 };
}

/* ---- identifiers */

struct ids {
	char (*t)[POOL_KEY_MAX];
	size_t n;
};

static int collect(const char *field, const char *text, void *arg)
{
	struct ids *s = arg;
	void *p = realloc(s->t, (s->n + 1) * sizeof *s->t);

	if (!p)
		return PS_ERR_NOMEM;
	s->t = p;
	snprintf(s->t[s->n++], POOL_KEY_MAX, "%s/%s", field, text);
	return 0;
}

static int has(const struct ids *s, const char *t)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->t[i], t))
			return 1;
	return 0;
}

/* The id keys of a profile that changed: old (base, -1 none) -> new. */
static void id_ops(struct tx *x, const void *base, int old, const void *nb,
		   int nw, const char *name)
{
	struct ids a = { 0 }, b = { 0 };
	size_t i;

	name = key(x, name, "", "");       /* the caller's buffer is reused */

	if ((old >= 0 && ps_profile_each_id(base, old, collect, &a)) ||
	    (nw >= 0 && ps_profile_each_id(nb, nw, collect, &b)))
		x->oom = 1;
	for (i = 0; i < b.n; i++) {
		const char *k = key(x, POOL_ID, b.t[i], "");

		if (has(&a, b.t[i]))
			continue;
		cmp_num(x, k, PE_T_CREATE, 0);
		/* A reservation of it: as read (the rule ran on it), or none. */
		cmp_as_read(x, key(x, POOL_RESV, b.t[i], ""));
		op(x, PE_PUT, k, name, strlen(name), 0);
	}
	for (i = 0; i < a.n; i++)
		if (!has(&b, a.t[i]))
			op(x, PE_DEL, key(x, POOL_ID, a.t[i], ""), NULL, 0, 0);
	free(a.t);
	free(b.t);
}

/* ---- targets: one profile per target, fleet-wide */

/* What an element claims (a target): into out, "" none. */
typedef void (*claim_fn)(const uint8_t *b, int el, char *out, size_t n);

/* The claim of name under prefix, old (base, -1 none) -> new: the new
 * claim's key created (absent, or as read), the old one's deleted unless
 * this txn puts it again (a server renamed keeps its target).  A profile
 * placed on a new target (psctl_pool_claim_target): two failovers
 * picking one spare never both commit.  A server's target in normal form
 * (psctl_pool_srv_norm), the index psctl_pool_scope.c reads a target's
 * server by: two servers never name one target. */
static void claim_ops(struct tx *x, const char *prefix, claim_fn of,
		      const uint8_t *base, int old, const uint8_t *nb, int nw,
		      const char *name)
{
	char a[PS_CFG_TEXT_MAX + 1], b[PS_CFG_TEXT_MAX + 1];
	const char *k;
	size_t i;

	of(base, old, a, sizeof a);
	of(nb, nw, b, sizeof b);
	if (!strcmp(a, b))
		return;
	if (b[0]) {
		k = key(x, prefix, b, "");
		cmp_as_read(x, k);
		name = key(x, name, "", "");
		op(x, PE_PUT, k, name, strlen(name), 0);
	}
	if (!a[0])
		return;
	k = key(x, prefix, a, "");
	for (i = 0; i < x->no; i++)
		if (!strcmp(x->op[i].key, k))
			return;
	op(x, PE_DEL, k, NULL, 0, 0);
}

/* ---- moves */

static void who(struct tx *x)
{
	const char *op = getenv("PSTATE_OPERATOR");
	const char *user = getenv("USER");
	char host[128] = "?", when[40];
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof host - 1);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ",
		 gmtime_r(&now, &tm));
	snprintf(x->who, sizeof x->who, "%s since %s (pid %ld on %s)",
		 op && *op ? op : user && *user ? user : "unknown", when,
		 (long)getpid(), host);
}

static int lease_ttl(void)
{
	const char *e = getenv("PSTATE_POOL_LEASE_TTL");

	return e && atoi(e) > 0 ? atoi(e) : 30;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether this process's lease needs a keepalive before the next step:
 * not when it was granted or kept alive less than a third of its TTL
 * ago.  Safe: etcd starts the lease's countdown after our request left,
 * so its elapsed time is at most ours, and two thirds of the TTL remain
 * for the step's transaction (one round trip fewer a failover step). */
static int lease_stale(void)
{
	return mono() - pool_g.lease_at >= lease_ttl() / 3.0;
}

/* Another live process's lease on the profile: it is being moved. */
int psctl_pool_busy(struct psctl_ctx *c, const char *name)
{
	char k[POOL_KEY_MAX];
	const struct pe_kv *ls;

	if (!psctl_g.pool_store)
		return 0;
	snprintf(k, sizeof k, POOL_LEASE "%s", name);
	ls = psctl_pool_key(k);
	if (!ls || (pool_g.lease && ls->lease == pool_g.lease))
		return 0;
	return psctl_error(c, psctl_g.cmd, "profile", name,
			   PSCTL_EXIT_CONFLICT, "another operator is moving "
			   "it: %s (etcd key '%s', lease %llx); nothing "
			   "written", (const char *)ls->val, k,
			   (unsigned long long)ls->lease);
}

/* The move record of a profile in transit (new) or leaving it. */
static int move_ops(struct psctl_ctx *c, struct tx *x, int was, int is,
		    const char *name)
{
	const char *mk = key(x, POOL_MOVE, name, "");
	const char *lk = key(x, POOL_LEASE, name, "");
	const struct pe_kv *ls = psctl_pool_key(lk);
	int rc;

	if (!is) {
		if (was || psctl_pool_key(mk)) {
			op(x, PE_DEL, mk, NULL, 0, 0);
			op(x, PE_DEL, lk, NULL, 0, 0);
			x->leaving = 1;
		}
		return 0;
	}
	if (ls && pool_g.lease && ls->lease == pool_g.lease)
		return 0;                 /* ours already */
	if (!pool_g.lease) {
		pool_g.lease_at = mono();
		rc = pe_lease_grant(&pool_g.pe, lease_ttl(), &pool_g.lease);
		if (rc)
			return psctl_pool_error(c, rc);
	}
	if (!x->who[0])
		who(x);
	/* Taking over a dead operator's move: the lease key must still be
	 * gone when we write it. */
	cmp_as_read(x, lk);
	op(x, PE_PUT, mk, x->who, strlen(x->who), 0);
	op(x, PE_PUT, lk, x->who, strlen(x->who), pool_g.lease);
	return 0;
}

/* ---- the diff */

static int same_el(const uint8_t *a, int ea, const uint8_t *b, int eb)
{
	struct psf_elem x, y;

	return !psf_elem(a, ea, &x) && !psf_elem(b, eb, &y) &&
	       x.end - (uint32_t)ea == y.end - (uint32_t)eb &&
	       !memcmp(a + ea, b + eb, x.end - (uint32_t)ea);
}

static size_t el_len(const uint8_t *b, int e)
{
	struct psf_elem x;

	return psf_elem(b, e, &x) ? 0 : x.end - (uint32_t)e;
}

/* Profiles or servers (set of sig) of base -> nb as ops. */
static int diff_set(struct psctl_ctx *c, struct tx *x, const uint8_t *base,
		    const uint8_t *nb, uint32_t set, uint32_t sig,
		    const char *prefix)
{
	int bs = psf_find_child(base, psf_root(base), set);
	int ns = psf_find_child(nb, psf_root(nb), set);
	int prof = sig == PSF_PROFILE, e, o, rc;
	char name[PS_CFG_NAME_MAX + 1];

	for (e = ns < 0 ? -1 : psf_find_next(nb, ns, -1, sig); e >= 0;
	     e = psf_find_next(nb, ns, e, sig)) {
		const char *k;

		move_str_copy(nb, e, PSF_NAME, name, sizeof name);
		o = bs < 0 ? -1 : psf_find_named(base, bs, sig, PSF_NAME, name,
						 strlen(name));
		o = o < 0 ? -1 : o;
		if (o >= 0 && same_el(base, o, nb, e))
			continue;
		if (prof && (rc = psctl_pool_busy(c, name)))
			return rc;
		k = key(x, prefix, name, "");
		cmp_as_read(x, k);
		op(x, PE_PUT, k, nb + e, el_len(nb, e), 0);
		/* the list index: its row (psctl_pool_index.c) */
		rc = psctl_pool_index_change(c, &x->ix, !prof, name, nb + e,
					     el_len(nb, e));
		if (rc)
			return rc;
		if (!prof) {
			claim_ops(x, POOL_SRVTARGET, psctl_pool_srv_norm, base,
				  o, nb, e, name);
			continue;
		}
		id_ops(x, base, o, nb, e, name);
		claim_ops(x, POOL_TARGET, psctl_pool_claim_target, base, o, nb, e, name);
		claim_ops(x, POOL_SOURCE, psctl_pool_claim_source, base, o, nb, e, name);
		rc = move_ops(c, x, o >= 0 && move_prof_state(base, o) ==
				    PSF_PROFILE_IN_TRANSIT,
			      move_prof_state(nb, e) == PSF_PROFILE_IN_TRANSIT,
			      name);
		if (rc)
			return rc;
	}
	for (o = bs < 0 ? -1 : psf_find_next(base, bs, -1, sig); o >= 0;
	     o = psf_find_next(base, bs, o, sig)) {
		move_str_copy(base, o, PSF_NAME, name, sizeof name);
		if (ns >= 0 && psf_find_named(nb, ns, sig, PSF_NAME, name,
					      strlen(name)) >= 0)
			continue;
		if (prof && (rc = psctl_pool_busy(c, name)))
			return rc;
		cmp_as_read(x, key(x, prefix, name, ""));
		op(x, PE_DEL, key(x, prefix, name, ""), NULL, 0, 0);
		if (prof) {
			id_ops(x, base, o, nb, -1, name);
			claim_ops(x, POOL_TARGET, psctl_pool_claim_target, base, o, nb, -1,
				  name);
			claim_ops(x, POOL_SOURCE, psctl_pool_claim_source, base, o, nb, -1,
				  name);
			move_ops(c, x, 1, 0, name);
		} else {
			claim_ops(x, POOL_SRVTARGET, psctl_pool_srv_norm, base,
				  o, nb, -1, name);
		}
		rc = psctl_pool_index_change(c, &x->ix, !prof, name, NULL, 0);
		if (rc)
			return rc;
	}
	return 0;
}

/* The list index's compares and puts (psctl_pool_index_emit). */
static void ix_cmp(void *x, const char *k)
{
	cmp_as_read(x, k);
}

static void ix_op(void *x, const char *k, const void *v, size_t n)
{
	op(x, v ? PE_PUT : PE_DEL, k, v, n, 0);
}

/* ---- address and spare pool records (POOL_STATE children) */

#define POOL_RANGESET POOL_PREFIX "rangeset"  /* touched by range creates */

/* The record at el as its key (below /pstate/) and text; 0 or -1. */
static int rec_of(const uint8_t *b, int el, char *k, size_t kn,
		  const char **t, uint32_t *len)
{
	*t = psf_payload(b, el, len);
	return *t ? idp_rec_key(psf_sig(b, el), *t, *len, k, kn) : -1;
}

/* The child of POOL_STATE st in b whose key is k, or -1. */
static int rec_find(const uint8_t *b, int st, const char *k)
{
	char kk[POOL_KEY_MAX];
	const char *t;
	uint32_t n;
	int el;

	for (el = st < 0 ? -1 : psf_first_child(b, st); el >= 0;
	     el = psf_next_child(b, st, el))
		if (!rec_of(b, el, kk, sizeof kk, &t, &n) && !strcmp(kk, k))
			return el;
	return -1;
}

/* Each record added, changed or removed: put or delete its key, as read.
 * A new reservation also asserts no profile holds the identifier (its
 * /pstate/id/ key absent), so Reserved and Assigned never race. */
static void diff_state(struct tx *x, const uint8_t *base, const uint8_t *nb)
{
	int bs = psf_find_child(base, psf_root(base), PSF_POOL_STATE);
	int ns = psf_find_child(nb, psf_root(nb), PSF_POOL_STATE);
	char k[POOL_KEY_MAX];
	const char *t, *kk;
	uint32_t n;
	int el, o, ranges = 0;

	for (el = ns < 0 ? -1 : psf_first_child(nb, ns); el >= 0;
	     el = psf_next_child(nb, ns, el)) {
		if (rec_of(nb, el, k, sizeof k, &t, &n))
			continue;
		o = rec_find(base, bs, k);
		if (o >= 0 && same_el(base, o, nb, el))
			continue;
		kk = key(x, POOL_PREFIX, k, "");
		cmp_as_read(x, kk);
		op(x, PE_PUT, kk, t, n, 0);
		if (o < 0 && psf_sig(nb, el) == PSF_POOL_RESV)
			cmp_num(x, key(x, POOL_ID, k + 5, ""), PE_T_CREATE, 0);
		/* A new range was checked against every range read: two
		 * creates racing both touch one key, so one reruns and
		 * sees the other's range (no overlap slips through). */
		if (psf_sig(nb, el) == PSF_POOL_RANGE && !ranges++) {
			cmp_as_read(x, POOL_RANGESET);
			op(x, PE_PUT, POOL_RANGESET, "", 0, 0);
		}
	}
	for (el = bs < 0 ? -1 : psf_first_child(base, bs); el >= 0;
	     el = psf_next_child(base, bs, el)) {
		if (rec_of(base, el, k, sizeof k, &t, &n) ||
		    rec_find(nb, ns, k) >= 0)
			continue;
		kk = key(x, POOL_PREFIX, k, "");
		cmp_as_read(x, kk);
		op(x, PE_DEL, kk, NULL, 0, 0);
	}
}

/* What the etcd pool keeps: profiles, servers, address and spare pools. */
static int pool_set(uint32_t sig)
{
	return sig == PSF_PROFILES || sig == PSF_SERVERS ||
	       sig == PSF_POOL_STATE;
}

/* Anything else changed: not kept by the etcd pool. */
static int other_change(const uint8_t *base, const uint8_t *nb)
{
	int a = psf_first_child(base, psf_root(base));
	int b = psf_first_child(nb, psf_root(nb));

	for (;;) {
		while (a >= 0 && pool_set(psf_sig(base, a)))
			a = psf_next_child(base, psf_root(base), a);
		while (b >= 0 && pool_set(psf_sig(nb, b)))
			b = psf_next_child(nb, psf_root(nb), b);
		if (a < 0 || b < 0)
			return (a < 0) != (b < 0);
		if (!same_el(base, a, nb, b))
			return 1;
		a = psf_next_child(base, psf_root(base), a);
		b = psf_next_child(nb, psf_root(nb), b);
	}
}

static void tx_free(struct tx *x)
{
	size_t i;

	for (i = 0; i < x->nk; i++)
		free(x->keys[i]);
	free(x->keys);
	free(x->cmp);
	free(x->op);
	psctl_pool_index_free(x->ix);
}

/* The kv of key in k, or NULL. */
static const struct pe_kv *kv_in(const struct pe_kvs *k, const char *key)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->kv[i].key, key))
			return &k->kv[i];
	return NULL;
}

/* Whether what etcd holds now is x's work: every key x puts holds x's
 * value (and lease), all written at one revision *rev newer than every
 * revision x compared (a key x created: created then), and every key x
 * deletes is gone.  *done 1 so; 0 a lost race.  0 or a PE_ code. */
static int check_applied(const struct tx *x, const struct pe_kvs *k,
			 int *done, int64_t *rev)
{
	const struct pe_kv *kv;
	int64_t m = 0;
	size_t i;

	*done = 0;
	for (i = 0; i < x->no; i++) {
		const struct pe_op *o = &x->op[i];

		kv = kv_in(k, o->key);
		if (o->kind == PE_DEL && kv)
			return 0;
		if (o->kind != PE_PUT)
			continue;
		if (!kv || kv->vlen != o->vlen ||
		    memcmp(kv->val, o->val, o->vlen) || kv->lease != o->lease ||
		    (m && kv->mod_rev != m))
			return 0;
		m = kv->mod_rev;
	}
	for (i = 0; i < x->nc; i++) {
		const struct pe_cmp *cp = &x->cmp[i];

		kv = kv_in(k, cp->key);
		if (m && cp->target == PE_T_MOD && cp->num >= m)
			return 0;
		if (m && cp->target == PE_T_CREATE && kv && kv->mod_rev == m &&
		    kv->create_rev != m)
			return 0;
	}
	*done = 1;
	*rev = m ? m : k->revision;
	return 0;
}

/*
 * x's compare failed, but a copy of it was sent before (its answer lost:
 * pool_g.pe.resent).  That copy may be what moved the revisions: read
 * x's keys back (one read-only txn) and tell (check_applied).  Sound
 * because the copies are one txn with the same compares: at most one of
 * them applies, and once one copy's compare failed, a copy still in
 * flight fails too -- what is read now is final for x.
 */
static int read_back(const struct tx *x, int *done, int64_t *rev)
{
	struct pe_op *get = calloc(x->no ? x->no : 1, sizeof *get);
	struct pe_kvs k = { 0 };
	int64_t r;
	int rc, ok = 0;
	size_t i;

	*done = 0;
	if (!get)
		return PE_ERR_NOMEM;
	for (i = 0; i < x->no; i++)
		get[i] = (struct pe_op){ PE_GET, x->op[i].key, NULL, 0, 0, 0 };
	rc = pe_txn(&pool_g.pe, NULL, 0, get, x->no, NULL, 0, &ok, &r, &k);
	if (!rc)
		rc = check_applied(x, &k, done, rev);
	if (pool_g.pe.trace)
		fprintf(stderr, "pool: txn on '%s' answered twice: %s\n",
			x->op[0].key, rc ? "read back failed" : *done ?
			"the first copy applied" : "lost to another writer");
	pe_kvs_free(&k);
	free(get);
	return rc;
}

/* One try: 0 done, 1 lost a compare, or the exit code reported.  x keeps
 * what was compared, for changed_under. */
static int edit_once(struct psctl_ctx *c, psctl_edit_fn fn, void *arg,
		     struct tx *x)
{
	struct ps_txn t;
	uint32_t blen;
	const uint8_t *base = ps_store_data(c->store, &blen);
	int ok = 0, rc = psctl_edit_copy(c, fn, arg, &t);
	int64_t rev;

	if (rc)
		return rc;
	if (other_change(base, t.buf)) {
		ps_txn_abort(&t);
		return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url,
				   PSCTL_EXIT_USAGE, "the etcd pool holds "
				   "profiles and the server directory only; "
				   "nothing written");
	}
	rc = diff_set(c, x, base, t.buf, PSF_PROFILES, PSF_PROFILE,
		      POOL_PROFILE);
	if (!rc)
		rc = diff_set(c, x, base, t.buf, PSF_SERVERS, PSF_SERVER,
			      POOL_SERVER);
	if (!rc)
		diff_state(x, base, t.buf);
	if (!rc)
		psctl_pool_index_emit(x->ix, ix_cmp, ix_op, x);
	if (!rc && x->oom)
		rc = psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				 NULL);
	if (!rc && !x->no && !psctl_g.quiet)
		fprintf(c->err, "%s: %s: no change; nothing written\n",
			c->prog, psctl_g.cmd ? psctl_g.cmd : "edit");
	if (!rc && x->no) {
		rc = pe_txn(&pool_g.pe, x->cmp, x->nc, x->op, x->no, NULL, 0,
			    &ok, &rev, NULL);
		/* A resent txn's failed compare may be its own first copy. */
		if (!rc && !ok && pool_g.pe.resent)
			rc = read_back(x, &ok, &rev);
		rc = rc ? psctl_pool_error(c, rc) : !ok;
		if (!rc && pool_g.scoped)
			psctl_pool_apply(x->op, x->no, rev);
		/* Committed: the command's confirmation line, as on a file
		 * store (psctl_confirm). */
		psctl_g.written = !rc;
	}
	ps_txn_abort(&t);
	/* The move is settled: the lease holds no key now.  It is left to
	 * expire after its TTL, not revoked: a revoke is a raft round (a
	 * write on every member) for nothing (docs/pool.md "Moves and the
	 * lease"). */
	if (!rc && x->leaving)
		pool_g.lease = 0;
	return rc;
}

/*
 * After a lost compare, on the pool read again: a profile this edit read
 * and changed was changed by someone else meanwhile.  The edit is not run
 * again then -- a move step validated against the old record would act on
 * a stale source -- but refused, saying who holds it when a move does.
 * New profiles and identifiers are not this case: the edit runs again
 * and the pool's own checks name the other holder.
 */
static int changed_under(struct psctl_ctx *c, const struct tx *x)
{
	size_t i, pl = strlen(POOL_PROFILE);

	for (i = 0; i < x->nc; i++) {
		const struct pe_cmp *k = &x->cmp[i];
		const struct pe_kv *now = psctl_pool_key(k->key);
		int rc;

		if (k->target != PE_T_MOD || strncmp(k->key, POOL_PROFILE, pl) ||
		    (now && now->mod_rev == k->num))
			continue;
		rc = psctl_pool_busy(c, k->key + pl);
		if (rc)
			return rc;
		return psctl_error(c, psctl_g.cmd, "profile", k->key + pl,
				   PSCTL_EXIT_CONFLICT, "changed by another "
				   "operator while this command ran (etcd key "
				   "'%s', revision %lld, now %s); nothing "
				   "written: see 'psctl profile show %s'",
				   k->key, (long long)k->num,
				   now ? "changed" : "deleted", k->key + pl);
	}
	return 0;
}

/* Many writers of one range or spare pool all lose but one each round:
 * more rounds than a file store's, each after a short random pause so
 * the losers do not meet again in step. */
#define POOL_RETRIES 16

static void backoff(int tries)
{
	struct timespec ts = { 0, (long)(1 + rand() % (4 << (tries < 4 ? tries
							       : 4))) *
					  1000000L };

	nanosleep(&ts, NULL);
}

int psctl_pool_edit(struct psctl_ctx *c, psctl_edit_fn fn, void *arg)
{
	int tries, rc = 0;

	if (pool_g.lease && lease_stale()) {
		double at = mono();

		if (pe_lease_keepalive(&pool_g.pe, pool_g.lease))
			pool_g.lease = 0; /* gone: the next move takes anew */
		pool_g.lease_at = at;
	}
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	for (tries = 0; tries <= POOL_RETRIES; tries++) {
		struct tx x = { 0 };

		if (tries)
			backoff(tries);
		rc = edit_once(c, fn, arg, &x);
		if (rc == 1) {
			psctl_pool_learn(x.cmp, x.nc);
			rc = psctl_pool_reload(c);
			if (!rc)
				rc = changed_under(c, &x);
			rc = rc ? rc : 1;
		}
		tx_free(&x);
		if (rc != 1)
			break;
	}
	if (rc == 1)
		return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url,
				   PSCTL_EXIT_CONFLICT, "the pool kept changing "
				   "under other writers (%d retries); nothing "
				   "written", POOL_RETRIES);
	/* The next step compares against what is there now: read again, or
	 * (a command's own keys) what this txn wrote, at its revision. */
	if (rc)
		return rc;
	return pool_g.scoped ? psctl_pool_rebuild(c) : psctl_pool_reload(c);
}
