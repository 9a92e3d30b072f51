/*
 * psctl_pool.c - the profile pool on etcd (`psctl --pool etcd://...`,
 * $PSTATE_POOL, docs/pool.md).
 *
 * The pool's profiles and server directory live in etcd, one key per
 * element, holding the element's PSF bytes.  psctl reads them all at one
 * revision -- or, for a command on one profile, only its own keys
 * (psctl_pool_scope.c) -- into a store in memory, so every command -- and
 * every rule of the file pool, identity checks included -- runs unchanged
 * on it.  An
 * edit runs on a copy of that store; what changed goes back as ONE etcd
 * transaction comparing the revisions it was read at
 * (psctl_pool_txn.c), so two psctl processes anywhere never both win.
 * A lost compare re-reads the pool and runs the edit again, where the
 * file pool's own checks (a MAC in use, a profile in transit) speak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_main.h"
#include "psctl_pool.h"
#include "psctl_pool_addr.h"
#include "psctl_curl.h"

struct psctl_pool pool_g;

static const char *pool_arg;

void psctl_pool_set_url(const char *url)
{
	pool_arg = url;
}

int psctl_pool_choose(struct psctl_ctx *c, int *use)
{
	const char *e = getenv("PSTATE_POOL");
	int store = psctl_g.dev || psctl_g.image || c->bmc;
	const char *conf_url = NULL;
	int rc;

	*use = 0;
	if (pool_arg && store)
		return psctl_error(c, psctl_g.cmd, "--pool", pool_arg,
				   PSCTL_EXIT_USAGE, "give one store: --pool "
				   "or -i/-d/--bmc");
	/* A store named on the command line beats a pool named by the
	 * environment or the config file. */
	if (!pool_arg && store)
		return 0;
	/* `pool = etcd://...` of the config file (psctl_conf.c). */
	if (!pool_arg && !(e && *e)) {
		rc = psctl_conf_pool(c, &conf_url);
		if (rc || !conf_url)
			return rc;
	}
	pool_g.url = pool_arg ? pool_arg : e && *e ? e : conf_url;
	*use = 1;
	return 0;
}

/* The set (PSF_PROFILES / PSF_SERVERS) a key of the pool goes to, and the
 * element kind it must hold. */
static int key_set(const char *key, uint32_t *set, uint32_t *sig)
{
	if (!strncmp(key, POOL_PROFILE, strlen(POOL_PROFILE))) {
		*set = PSF_PROFILES;
		*sig = PSF_PROFILE;
		return 1;
	}
	if (!strncmp(key, POOL_SERVER, strlen(POOL_SERVER))) {
		*set = PSF_SERVERS;
		*sig = PSF_SERVER;
		return 1;
	}
	return 0;
}

/* The element at off holds kv's bytes: one element of kind sig, its
 * NAME the key's last part. */
static int check_elem(const uint8_t *buf, int off, const struct pe_kv *kv,
		      uint32_t sig, char *why, size_t wn)
{
	const char *name;
	uint32_t nl = 0;
	struct psf_elem e;

	name = psf_child_payload(buf, off, PSF_NAME, &nl);
	if (psf_elem(buf, off, &e) || e.sig != sig ||
	    e.end - (uint32_t)off != kv->vlen || !name ||
	    strlen(strrchr(kv->key, '/') + 1) != nl ||
	    memcmp(strrchr(kv->key, '/') + 1, name, nl)) {
		snprintf(why, wn, "not a %s element named as its key",
			 sig == PSF_PROFILE ? "PROFILE" : "SERVER");
		return PSF_ERR_BADHEADER;
	}
	return 0;
}

/* One element's bytes from etcd into its set, checked (check_elem). */
int psctl_pool_put_elem(uint8_t *buf, size_t cap, const struct pe_kv *kv,
			char *why, size_t wn, int *elem)
{
	uint32_t set_sig, sig;
	int set, off;

	if (!key_set(kv->key, &set_sig, &sig)) {
		snprintf(why, wn, "not a profile or server key");
		return PSF_ERR_BADHEADER;
	}
	set = psf_find_child(buf, psf_root(buf), set_sig);
	if (set < 0)
		set = psf_insert(buf, cap, psf_root(buf), -1, set_sig, NULL,
				 0);
	if (set < 0 || kv->vlen < PSF_STRUCT_HDR || kv->vlen > UINT32_MAX) {
		snprintf(why, wn, "not one element");
		return PSF_ERR_OVERRUN;
	}
	off = psf_insert(buf, cap, set, -1, PSF_PAD, NULL,
			 (uint32_t)kv->vlen - PSF_STRUCT_HDR);
	if (off < 0) {
		snprintf(why, wn, "no room: %s", ps_strerror(off));
		return off;
	}
	memcpy(buf + off, kv->val, kv->vlen);
	if (elem)
		*elem = off;
	return check_elem(buf, off, kv, sig, why, wn);
}

/* An address or spare pool record (psctl_pool_addr.c): its text as
 * the payload of a POOL_STATE child, checked against its key.  1 when
 * the key is none of them. */
static int put_rec(uint8_t *buf, size_t cap, const struct pe_kv *kv,
		   char *why, size_t wn)
{
	const char *rel = kv->key + strlen(POOL_PREFIX);
	uint32_t sig = idp_key_sig(rel);
	char k[POOL_KEY_MAX];
	int rc;

	if (!sig || strncmp(kv->key, POOL_PREFIX, strlen(POOL_PREFIX)))
		return 1;
	if (kv->vlen >= PA_REC_MAX || memchr(kv->val, 0, kv->vlen) ||
	    idp_rec_key(sig, (const char *)kv->val, kv->vlen, k, sizeof k) ||
	    strcmp(k, rel)) {
		snprintf(why, wn, "not a pool record named as its key");
		return PSF_ERR_BADHEADER;
	}
	rc = pa_put_rec(buf, cap, sig, (const char *)kv->val);
	if (rc)
		snprintf(why, wn, "no room: %s", ps_strerror(rc));
	return rc;
}

int psctl_pool_by_creation(const void *a, const void *b)
{
	const struct pe_kv *x = a, *y = b;

	return (x->create_rev > y->create_rev) - (x->create_rev < y->create_rev);
}

int psctl_pool_damaged(struct psctl_ctx *c, const struct pe_kv *kv,
		       const char *why)
{
	return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url,
			   PSCTL_EXIT_DAMAGED, "etcd key '%s' (revision %lld): "
			   "%s", kv->key, (long long)kv->mod_rev, why);
}

/* The elements of set set_sig of snap, appended in snap's order (offs[i]
 * their offsets), the set opened before. */
static void build_set(struct psf_builder *b, const struct pe_kvs *snap,
		      uint32_t set_sig, int *offs)
{
	uint32_t set, sig;
	size_t i;

	psf_build_open(b, set_sig);
	for (i = 0; i < snap->n; i++) {
		const struct pe_kv *kv = &snap->kv[i];

		if (!key_set(kv->key, &set, &sig) || set != set_sig)
			continue;
		offs[i] = (int)b->pos;
		if (kv->vlen < PSF_STRUCT_HDR || kv->vlen > UINT32_MAX)
			offs[i] = -1;  /* said by the check */
		else
			psf_build_elem(b, kv->val, (uint32_t)kv->vlen);
	}
	psf_build_close(b);
}

/* The sets in the order their first element was created (the file pool
 * makes a set with its first element), each written front to back: no
 * element is inserted into a store that grows, which costs a walk of the
 * set per element (minutes at 100,000 profiles). */
static int build_sets(uint8_t *buf, size_t cap, const struct pe_kvs *snap,
		      int *offs)
{
	struct psf_builder b;
	uint32_t set, sig, first[2] = { 0, 0 };
	size_t i;
	int k, nfirst = 0;

	for (i = 0; i < snap->n && nfirst < 2; i++)
		if (key_set(snap->kv[i].key, &set, &sig) &&
		    (!nfirst || first[0] != set))
			first[nfirst++] = set;
	psf_build_begin(&b, buf, cap, PSF_ROOT, 1, 0);
	for (k = 0; k < nfirst; k++)
		build_set(&b, snap, first[k], offs);
	return psf_build_finish(&b);
}

int psctl_pool_build(struct psctl_ctx *c, struct pe_kvs *snap, size_t room,
		     uint8_t **out, size_t *len, size_t *capp)
{
	size_t i, cap = PSF_HEADER_SIZE + 4096 + room;
	uint32_t set, sig;
	char why[200] = "not one element";
	uint8_t *buf;
	int *offs;
	int rc;

	for (i = 0; i < snap->n; i++)
		cap += snap->kv[i].vlen + 64;
	if (cap > PSF_MAX_TOTAL)
		return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url,
				   PS_ERR_NOSPACE, "the pool (%zu profiles "
				   "and servers) is larger than one store",
				   snap->n);
	buf = calloc(1, cap);
	offs = calloc(snap->n + 1, sizeof *offs);
	if (!buf || !offs) {
		free(buf);
		free(offs);
		return psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				   NULL);
	}
	/* Creation order, as the file pool keeps them (etcd answers in key
	 * order): lists read the same on both. */
	if (snap->n)
		qsort(snap->kv, snap->n, sizeof *snap->kv,
		      psctl_pool_by_creation);
	rc = build_sets(buf, cap, snap, offs);
	/* The elements checked first, then the records inserted (which
	 * move what follows them). */
	for (i = 0; rc > 0 && i < 2 * snap->n; i++) {
		const struct pe_kv *kv = &snap->kv[i % snap->n];
		int elem = key_set(kv->key, &set, &sig);

		if (i < snap->n && elem)
			rc = offs[i] < 0 ? PSF_ERR_OVERRUN
					 : check_elem(buf, offs[i], kv, sig,
						      why, sizeof why);
		else if (i >= snap->n && !elem)
			rc = put_rec(buf, cap, kv, why, sizeof why);
		if (rc > 0)
			continue;
		if (rc) {
			free(buf);
			free(offs);
			return psctl_pool_damaged(c, kv, why);
		}
		rc = 1;
	}
	free(offs);
	rc = rc < 0 ? rc : psf_finish(buf);
	if (rc) {
		free(buf);
		return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url, rc,
				   "%s", ps_strerror(rc));
	}
	*out = buf;
	*len = psf_total(buf);
	if (capp)
		*capp = cap;
	return 0;
}

int psctl_pool_connect(struct psctl_ctx *c)
{
	const char *url = pool_g.url;
	char why[300];
	int rc;

	if (pool_g.connected)
		return 0;
	rc = pe_open(&pool_g.pe, url);
	/* libcurl that did not load: say why (the loader's words). */
	if (rc == PE_ERR_NOMEM && psctl_curl_load(why, sizeof why))
		return psctl_error(c, psctl_g.cmd, "--pool", url,
				   PSCTL_EXIT_INVALID, "%s: %s",
				   pool_g.pe.err, why);
	if (rc)
		return psctl_error(c, psctl_g.cmd, "--pool", url,
				   PSCTL_EXIT_INVALID, "%s", pool_g.pe.err);
	pool_g.connected = 1;
	return 0;
}

int psctl_pool_error(struct psctl_ctx *c, int rc)
{
	return psctl_error(c, psctl_g.cmd, "--pool", pool_g.url,
			   rc == PE_ERR_UNREACHABLE ? PSCTL_EXIT_IO
			   : rc == PE_ERR_PARSE ? PSCTL_EXIT_DAMAGED
						: PSCTL_EXIT_IO,
			   "%s", pool_g.pe.err);
}

/* The snapshot: every key under POOL_PREFIX, or a command's own keys
 * (psctl_pool_scope.c). */
static int read_snap(void)
{
	if (pool_g.scoped)
		return psctl_pool_read_scope();
	return pe_range(&pool_g.pe, POOL_PREFIX, 1, &pool_g.snap);
}

/* The snapshot as psctl's store. */
static int install(struct psctl_ctx *c)
{
	uint8_t *data;
	size_t len;
	int rc = psctl_pool_build(c, &pool_g.snap, 0, &data, &len, NULL);

	if (!rc)
		rc = psctl_store_in_memory(c, data, len, "--pool",
					   pool_g.url);
	if (!rc)
		psctl_g.pool_store = 1;
	return rc;
}

void psctl_pool_announce(struct psctl_ctx *c, int64_t rev)
{
	static char where[400];

	snprintf(where, sizeof where, "%s (revision %lld)", pool_g.url,
		 (long long)rev);
	psctl_store_announce(c, where);
}

int psctl_pool_open(struct psctl_ctx *c)
{
	int rc = psctl_pool_connect(c);

	if (rc)
		return rc;
	pe_kvs_free(&pool_g.snap);
	rc = read_snap();
	if (rc)
		return psctl_pool_error(c, rc);
	rc = install(c);
	if (rc)
		return rc;
	snprintf(psctl_g.st.how, sizeof psctl_g.st.how, "--pool option");
	/* No key read yet (a failover of full targets): its first read
	 * says the revision (psctl_pool_placed_on). */
	if (pool_g.snap.revision)
		psctl_pool_announce(c, pool_g.snap.revision);
	return 0;
}

static void drop_store(struct psctl_ctx *c)
{
	ps_open_close(&psctl_g.st);
	c->store = NULL;
	free(psctl_g.bmc_mem);
	psctl_g.bmc_mem = NULL;
}

/* Re-read the pool (after another writer got in first, or after our own
 * commit, so the next step compares against what is there now). */
int psctl_pool_reload(struct psctl_ctx *c)
{
	drop_store(c);
	return psctl_pool_open(c);
}

int psctl_pool_rebuild(struct psctl_ctx *c)
{
	drop_store(c);
	return install(c);
}

const struct pe_kv *psctl_pool_key(const char *key)
{
	size_t i;

	for (i = 0; i < pool_g.snap.n; i++)
		if (!strcmp(pool_g.snap.kv[i].key, key))
			return &pool_g.snap.kv[i];
	return NULL;
}

void psctl_pool_show_move(struct psctl_ctx *c, const char *prof)
{
	char key[POOL_KEY_MAX];
	const struct pe_kv *mv, *ls;

	if (!psctl_g.pool_store)
		return;
	snprintf(key, sizeof key, POOL_MOVE "%s", prof);
	mv = psctl_pool_key(key);
	snprintf(key, sizeof key, POOL_LEASE "%s", prof);
	ls = psctl_pool_key(key);
	if (!mv)
		return;
	fprintf(c->out, "%-12s %s (%s)\n", "move-by", (const char *)mv->val,
		ls ? "lease held: in progress"
		   : "lease expired or released: the operator is gone or "
		     "stopped; rerun the move to finish it");
}

void psctl_pool_close(void)
{
	/* A move this process leaves in transit (an error on a target) is
	 * not held for the lease's TTL: anyone may finish it now. */
	if (pool_g.lease)
		pe_lease_revoke(&pool_g.pe, pool_g.lease);
	pool_g.lease = 0;
	if (pool_g.connected && getenv("PSTATE_POOL_STATS"))
		fprintf(stderr, "psctl: pool: %ld requests, %ld keys read, "
			"%.1f ms waiting on etcd\n", pool_g.pe.nreq,
			pool_g.pe.nkv, pool_g.pe.spent * 1e3);
	pe_kvs_free(&pool_g.snap);
	psctl_pool_scope_free();
	pool_g.scoped = 0;
	if (pool_g.connected)
		pe_close(&pool_g.pe);
	pool_g.connected = 0;
}
