/*
 * psctl_pool_scope.c - reading only the keys a command needs from the
 * etcd pool (docs/pool.md "Reads that do not take the whole pool").
 *
 * A command on one profile -- show, create, set, delete, assign, move,
 * unassign, failover -- names the keys it needs before the pool is read
 * (psctl_pool_want*): the profile's own keys (profile, move, lease), the
 * servers its target words may name, a spare pool's record.  psctl_pool.c
 * then reads those keys in one read-only transaction (one revision) and
 * lays them out as a store, so every rule of the file pool runs on it
 * unchanged.  What else a rule needs is read by key when it asks: which
 * profile a target key names (the "one profile per target" check of a
 * move, psctl_pool_target_holder), which profile is placed on a failed
 * target (psctl_pool_placed_on).  The pool's size does not enter.
 *
 * Identifiers need no read: the transaction creates each /pstate/id/ key
 * a profile gains with create_revision 0.  When such a compare (or a new
 * name's) fails, psctl_pool_learn adds every key the lost transaction
 * compared, and the profiles its identifier keys name, to the read: the
 * edit runs again on a store that holds the other holder, and the file
 * pool's own check names it.
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

#define TXN_GETS 100   /* GETs a read-only txn (etcd allows 128 ops) */

int psctl_pool_scoped(void)
{
	return psctl_g.pool_store && pool_g.scoped;
}

static int wanted(const char *key)
{
	size_t i;

	for (i = 0; i < pool_g.nwant; i++)
		if (!strcmp(pool_g.want[i], key))
			return 1;
	return 0;
}

void psctl_pool_want(const char *key)
{
	char **w;
	char *k;

	if (wanted(key))
		return;
	w = realloc(pool_g.want, (pool_g.nwant + 1) * sizeof *w);
	k = strdup(key);
	if (!w || !k) {
		/* Not read: the edit's compares still hold (a key not read
		 * is compared absent), only an error may say less. */
		free(k);
		if (w)
			pool_g.want = w;
		return;
	}
	pool_g.want = w;
	w[pool_g.nwant++] = k;
}

void psctl_pool_want_profile(const char *name)
{
	static const char *const pre[] = { POOL_PROFILE, POOL_MOVE,
					   POOL_LEASE };
	char key[POOL_KEY_MAX];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "%s%s", pre[i], name);
		psctl_pool_want(key);
	}
	psctl_pool_index_want(name);   /* its list index bucket */
}

/* The server a target word may name: its part before any '#', when that
 * could be a name (ps_target_resolve's rule). */
void psctl_pool_want_target(const char *word)
{
	char key[POOL_KEY_MAX];
	size_t h = strcspn(word, "#:/");

	if (!h || (word[h] && word[h] != '#'))
		return;
	snprintf(key, sizeof key, "%s%.*s", POOL_SERVER, (int)h, word);
	psctl_pool_want(key);
}

void psctl_pool_scope(struct psctl_ctx *c, const char *profile)
{
	/* The shell keeps its snapshot for the next lines: all of it. */
	if (c->interactive)
		return;
	pool_g.scoped = 1;
	if (profile)
		psctl_pool_want_profile(profile);
}

void psctl_pool_scope_show(struct psctl_ctx *c, const char *profile)
{
	psctl_pool_scope(c, profile);
	pool_g.show_servers = pool_g.scoped;
}

void psctl_pool_scope_free(void)
{
	size_t i;

	for (i = 0; i < pool_g.nwant; i++)
		free(pool_g.want[i]);
	free(pool_g.want);
	pool_g.want = NULL;
	pool_g.nwant = 0;
}

int psctl_pool_take(struct pe_kvs *a, struct pe_kvs *b)
{
	struct pe_kv *kv = realloc(a->kv, (a->n + b->n + 1) * sizeof *kv);

	if (!kv) {
		pe_kvs_free(b);
		return PE_ERR_NOMEM;
	}
	if (b->n)
		memcpy(kv + a->n, b->kv, b->n * sizeof *kv);
	a->kv = kv;
	a->n += b->n;
	free(b->kv);
	b->kv = NULL;
	b->n = 0;
	return 0;
}

/* keys[0..n) (exact, or every key below one when prefix) in read-only
 * txns of TXN_GETS, appended to out; *rev the first one's revision. */
static int get_keys(char *const *keys, size_t n, int prefix,
		    struct pe_kvs *out, int64_t *rev)
{
	struct pe_op op[TXN_GETS];
	struct pe_kvs got;
	size_t i, j;
	int64_t r;
	int ok, rc = 0;

	for (i = 0; !rc && i < n; i += j) {
		for (j = 0; j < TXN_GETS && i + j < n; j++)
			op[j] = (struct pe_op){ PE_GET, keys[i + j], NULL, 0, 0,
						prefix };
		rc = pe_txn(&pool_g.pe, NULL, 0, op, j, NULL, 0, &ok, &r,
			    &got);
		if (!rc && !i)
			*rev = r;
		if (!rc)
			rc = psctl_pool_take(out, &got);
	}
	return rc;
}

/* Whether the profile among k names a target or a move source: only
 * then does `profile show` name a server.  A damaged element says yes
 * (the store built later reports it). */
static int names_target(const struct pe_kvs *k)
{
	uint32_t n1 = 0, n2 = 0;
	struct psf_builder b;
	uint8_t *buf;
	size_t i;
	int set, el, yes = 0;

	for (i = 0; i < k->n; i++) {
		const struct pe_kv *kv = &k->kv[i];

		if (strncmp(kv->key, POOL_PROFILE, strlen(POOL_PROFILE)))
			continue;
		if (kv->vlen > PSF_MAX_TOTAL || !(buf = malloc(kv->vlen + 256)))
			return 1;
		psf_build_begin(&b, buf, kv->vlen + 256, PSF_ROOT, 1, 0);
		psf_build_open(&b, PSF_PROFILES);
		psf_build_elem(&b, kv->val, (uint32_t)kv->vlen);
		psf_build_close(&b);
		yes = 1;
		if (psf_build_finish(&b) > 0 &&
		    !psf_check_tree(buf, b.pos, NULL) &&
		    (set = psf_find_child(buf, psf_root(buf),
					  PSF_PROFILES)) >= 0 &&
		    (el = psf_find_child(buf, set, PSF_PROFILE)) >= 0) {
			const void *t = psf_child_payload(buf, el, PSF_TARGET,
							  &n1);
			const void *m = psf_child_payload(buf, el,
							  PSF_MOVE_SOURCE, &n2);

			yes = (t && n1) || (m && n2);
		}
		free(buf);
		if (yes)
			return 1;
	}
	return 0;
}

/* The profiles the identifier keys read name, wanted too. */
static size_t want_holders(void)
{
	size_t i, before = pool_g.nwant;
	char key[POOL_KEY_MAX];

	for (i = 0; i < pool_g.snap.n; i++) {
		const struct pe_kv *kv = &pool_g.snap.kv[i];

		if (strncmp(kv->key, POOL_ID, strlen(POOL_ID)) ||
		    !kv->vlen || kv->vlen >= PS_CFG_NAME_MAX + 1 ||
		    strchr((const char *)kv->val, '/'))
			continue;
		snprintf(key, sizeof key, POOL_PROFILE "%s",
			 (const char *)kv->val);
		if (!wanted(key))
			psctl_pool_want_profile((const char *)kv->val);
	}
	return before;
}

int psctl_pool_read_scope(void)
{
	struct pe_kvs srv = { 0 };
	int64_t rev = 0, r2;
	size_t from;
	int rc;

	memset(&pool_g.snap, 0, sizeof pool_g.snap);
	/* No key yet (a failover naming full targets): nothing to read. */
	if (!pool_g.nwant)
		return 0;
	rc = get_keys(pool_g.want, pool_g.nwant, 0, &pool_g.snap, &rev);
	from = rc ? pool_g.nwant : want_holders();
	if (!rc && from < pool_g.nwant)
		rc = get_keys(pool_g.want + from, pool_g.nwant - from, 0,
			      &pool_g.snap, &r2);
	pool_g.snap.revision = rev;
	if (rc || !pool_g.show_servers || !names_target(&pool_g.snap))
		return rc;
	rc = pe_range_page(&pool_g.pe, POOL_SERVER, POOL_SERVER,
			   strlen(POOL_SERVER), 0, rev, &srv);
	return rc ? rc : psctl_pool_take(&pool_g.snap, &srv);
}

void psctl_pool_learn(const struct pe_cmp *cmp, size_t n)
{
	size_t i, pl = strlen(POOL_PROFILE);

	if (!pool_g.scoped)
		return;
	for (i = 0; i < n; i++) {
		if (!strncmp(cmp[i].key, POOL_PROFILE, pl))
			psctl_pool_want_profile(cmp[i].key + pl);
		else
			psctl_pool_want(cmp[i].key);
	}
}

/* key, from the read or else read now (and kept for the next reads).
 * NULL when absent; *rc the exit code reported on an error. */
static const struct pe_kv *key_now(struct psctl_ctx *c, const char *key,
				   int *rc)
{
	char *k = (char *)key;
	int64_t rev;

	*rc = 0;
	if (wanted(key))
		return psctl_pool_key(key);
	psctl_pool_want(key);
	*rc = get_keys(&k, 1, 0, &pool_g.snap, &rev);
	if (*rc) {
		*rc = psctl_pool_error(c, *rc);
		return NULL;
	}
	return psctl_pool_key(key);
}

int psctl_pool_target_holder(struct psctl_ctx *c, const char *target,
			     char *name, size_t n, int *rc)
{
	char key[POOL_KEY_MAX + PS_CFG_TEXT_MAX];
	const struct pe_kv *kv;

	snprintf(key, sizeof key, "%s%s", POOL_TARGET, target);
	kv = key_now(c, key, rc);
	if (!kv)
		return 0;
	snprintf(name, n, "%s", (const char *)kv->val);
	return 1;
}

/* The profile (name) of kvs whose TARGET (or, in transit, MOVE_SOURCE)
 * is failed, the first created; "" none. */
static void first_placed(struct psctl_ctx *c, const char *cmd,
			 struct pe_kvs *k, const char *failed, char *name,
			 size_t n)
{
	char why[200], txt[PS_CFG_TEXT_MAX + 1];
	static struct mtarget o;
	size_t i, cap;
	uint8_t *buf;
	int el, s;

	name[0] = 0;
	if (k->n)
		qsort(k->kv, k->n, sizeof *k->kv, psctl_pool_by_creation);
	for (i = 0; i < k->n && !name[0]; i++) {
		struct psf_builder b;
		uint8_t st;

		if (strncmp(k->kv[i].key, POOL_PROFILE, strlen(POOL_PROFILE)))
			continue;
		cap = PSF_HEADER_SIZE + 4096 + k->kv[i].vlen;
		if (!(buf = malloc(cap)))
			continue;
		psf_build_begin(&b, buf, cap, PSF_ROOT, 1, 0);
		if (psf_build_finish(&b) < 0 ||
		    psctl_pool_put_elem(buf, cap, &k->kv[i], why, sizeof why,
					&el)) {
			free(buf);
			continue;       /* the read of the profile says it */
		}
		st = move_prof_state(buf, el);
		for (s = 0; s < 2 && !name[0]; s++) {
			if (st == PSF_PROFILE_UNASSIGNED ||
			    (s && st != PSF_PROFILE_IN_TRANSIT))
				continue;
			move_str_copy(buf, el, s ? PSF_MOVE_SOURCE : PSF_TARGET,
				      txt, sizeof txt);
			if (txt[0] && !move_parse_target(c, cmd, txt, &o) &&
			    !strcmp(o.text, failed))
				move_str_copy(buf, el, PSF_NAME, name, n);
		}
		free(buf);
	}
}

int psctl_pool_placed_on(struct psctl_ctx *c, const char *cmd,
			 const char *failed, char *name, size_t n)
{
	char key[POOL_KEY_MAX + PS_CFG_TEXT_MAX], **pk = NULL;
	struct pe_op op[2] = {
		{ PE_GET, key, NULL, 0, 0, 0 },
		{ PE_GET, POOL_MOVE, NULL, 0, 0, 1 },
	};
	struct pe_kvs k = { 0 }, p = { 0 };
	size_t i, np = 0;
	int64_t rev;
	int ok, rc;

	/* The profile on it (its target key) and those in transit (their
	 * move keys: one may be moving away from the failed target), in one
	 * read.  None in transit: the target key's profile. */
	snprintf(key, sizeof key, "%s%s", POOL_TARGET, failed);
	rc = pe_txn(&pool_g.pe, NULL, 0, op, 2, NULL, 0, &ok, &rev, &k);
	if (rc)
		return psctl_pool_error(c, rc);
	psctl_pool_announce(c, rev);
	name[0] = 0;
	if (k.n == 1 && !strcmp(k.kv[0].key, key)) {
		snprintf(name, n, "%s", (const char *)k.kv[0].val);
		pe_kvs_free(&k);
		return 0;
	}
	/* Else those profiles, the first created wins (the file pool's
	 * order). */
	pk = calloc(k.n + 1, sizeof *pk);
	for (i = 0; pk && i < k.n; i++) {
		const char *v = (const char *)k.kv[i].val;

		if (!strncmp(k.kv[i].key, POOL_MOVE, strlen(POOL_MOVE)))
			v = k.kv[i].key + strlen(POOL_MOVE);
		if (!(pk[np] = malloc(strlen(POOL_PROFILE) + strlen(v) + 1)))
			break;
		sprintf(pk[np++], "%s%s", POOL_PROFILE, v);
	}
	rc = !pk || i < k.n ? PE_ERR_NOMEM
			    : get_keys(pk, np, 0, &p, &rev);
	for (i = 0; pk && i < np; i++)
		free(pk[i]);
	free(pk);
	pe_kvs_free(&k);
	if (rc) {
		pe_kvs_free(&p);
		return psctl_pool_error(c, rc);
	}
	first_placed(c, cmd, &p, failed, name, n);
	pe_kvs_free(&p);
	return 0;
}

/* The snapshot's kv of key (psctl_pool_key; the snapshot is ours to
 * change), or NULL. */
static struct pe_kv *kv_of(const char *key)
{
	return (struct pe_kv *)psctl_pool_key(key);
}

static void put(const struct pe_op *o, int64_t rev)
{
	struct pe_kv *kv = kv_of(o->key), *all;
	uint8_t *v = malloc(o->vlen + 1);

	if (!v)
		return;
	memcpy(v, o->val, o->vlen);
	v[o->vlen] = 0;
	if (!kv) {
		all = realloc(pool_g.snap.kv,
			      (pool_g.snap.n + 1) * sizeof *all);
		if (!all || !(all[pool_g.snap.n].key = strdup(o->key))) {
			if (all)
				pool_g.snap.kv = all;
			free(v);
			return;
		}
		pool_g.snap.kv = all;
		kv = &all[pool_g.snap.n++];
		kv->klen = strlen(o->key);
		kv->create_rev = rev;
		kv->version = 0;
		kv->val = NULL;
	}
	free(kv->val);
	kv->val = v;
	kv->vlen = o->vlen;
	kv->mod_rev = rev;
	kv->version++;
	kv->lease = o->lease;
}

void psctl_pool_apply(const struct pe_op *op, size_t n, int64_t rev)
{
	struct pe_kv *kv;
	size_t i;

	for (i = 0; i < n; i++) {
		psctl_pool_want(op[i].key);
		if (op[i].kind == PE_PUT) {
			put(&op[i], rev);
			continue;
		}
		if (op[i].kind != PE_DEL || !(kv = kv_of(op[i].key)))
			continue;
		free(kv->key);
		free(kv->val);
		*kv = pool_g.snap.kv[--pool_g.snap.n];
	}
}
