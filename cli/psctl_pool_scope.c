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
#include "psctl_pool_addr.h"
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

/* String field f of the element kv holds (a PROFILE or SERVER of the
 * pool, set its set) into out: 0, or 1 when it does not parse (the store
 * built later reports it; out ""). */
static int elem_str(const struct pe_kv *kv, uint32_t set, uint32_t f,
		    char *out, size_t n)
{
	uint8_t *buf;
	int el;

	out[0] = 0;
	if (psctl_pool_elem_buf(kv, set, &buf, &el))
		return 1;
	move_str_copy(buf, el, f, out, n);
	free(buf);
	return 0;
}

/* The TARGET and MOVE_SOURCE texts (t[0], t[1]; "" none) of the profile
 * read -- `profile show` names their server. */
static void profile_targets(const struct pe_kvs *k,
			    char t[2][PS_CFG_TEXT_MAX + 1])
{
	size_t i;

	t[0][0] = t[1][0] = 0;
	for (i = 0; i < k->n; i++)
		if (!strncmp(k->kv[i].key, POOL_PROFILE,
			     strlen(POOL_PROFILE)) &&
		    !elem_str(&k->kv[i], PSF_PROFILES, PSF_TARGET, t[0],
			      PS_CFG_TEXT_MAX + 1)) {
			elem_str(&k->kv[i], PSF_PROFILES, PSF_MOVE_SOURCE, t[1],
				 PS_CFG_TEXT_MAX + 1);
			return;
		}
}

void psctl_pool_srv_norm(const uint8_t *b, int el, char *out, size_t n)
{
	char t[PS_CFG_TEXT_MAX + 1];

	out[0] = 0;
	if (el < 0)
		return;
	move_str_copy(b, el, PSF_TARGET, t, sizeof t);
	if (ps_target_norm(t, strlen(t), out, n, NULL) < 0)
		out[0] = 0;
}

/* The server whose target is the physical part of t, by its index key:
 * that key wanted (its server follows, want_holders). */
static void want_server_of(const char *t)
{
	char norm[PS_CFG_TEXT_MAX + 1], key[POOL_KEY_MAX + PS_CFG_TEXT_MAX];

	if (t[0] && ps_target_norm(t, strlen(t), norm, sizeof norm, NULL) > 0) {
		snprintf(key, sizeof key, POOL_SRVTARGET "%s", norm);
		psctl_pool_want(key);
	}
}

/* The profiles the identifier keys read name, and the servers the
 * server index keys read name, wanted too. */
static size_t want_holders(void)
{
	size_t i, before = pool_g.nwant;
	char key[POOL_KEY_MAX];

	for (i = 0; i < pool_g.snap.n; i++) {
		const struct pe_kv *kv = &pool_g.snap.kv[i];

		int srv = !strncmp(kv->key, POOL_SRVTARGET,
				   strlen(POOL_SRVTARGET));

		if ((!srv && strncmp(kv->key, POOL_ID, strlen(POOL_ID))) ||
		    !kv->vlen || kv->vlen >= PS_CFG_NAME_MAX + 1 ||
		    strchr((const char *)kv->val, '/'))
			continue;
		snprintf(key, sizeof key, "%s%s", srv ? POOL_SERVER
			 : POOL_PROFILE, (const char *)kv->val);
		if (srv)
			psctl_pool_want(key);
		else if (!wanted(key))
			psctl_pool_want_profile((const char *)kv->val);
	}
	return before;
}

/* ---- address pool commands (docs/pool.md "Reads that do not take the
 * whole pool"): a range's record, and the reservation and identifier
 * keys between its first and last identifier -- keys of one kind in psctl's
 * form sort as their values do (fixed-width lower-case hex; a serial's
 * prefix and width) -- read at the revision of the first read. */

static struct {
	int mode;                         /* PA_*, 0: not an address command */
	char range[PS_POOL_NAME_MAX];
	char id[PS_POOL_ID_MAX];
} as_g;

void psctl_pool_scope_addr(struct psctl_ctx *c, int mode, const char *range,
			   const char *id)
{
	char key[POOL_KEY_MAX];

	psctl_pool_scope(c, NULL);
	if (!pool_g.scoped)
		return;
	as_g.mode = mode;
	snprintf(as_g.range, sizeof as_g.range, "%s", range ? range : "");
	snprintf(as_g.id, sizeof as_g.id, "%s", id ? id : "");
	/* Range creates serialise on it (psctl_pool_txn.c): read as it is. */
	psctl_pool_want(POOL_PREFIX "rangeset");
	if (range) {
		snprintf(key, sizeof key, POOL_PREFIX "range/%s", range);
		psctl_pool_want(key);
	}
}

/* The keys in [from, to] (to included) at rev, appended to the snapshot. */
static int span(const char *from, const char *to, int64_t rev)
{
	size_t tn = strlen(to);
	char *end = malloc(tn + 1);
	struct pe_key f = { from, strlen(from) }, e = { end, tn + 1 };
	struct pe_kvs got = { 0 };
	int rc;

	if (!end)
		return PE_ERR_NOMEM;
	memcpy(end, to, tn + 1);          /* the key just past `to` */
	rc = pe_range_span(&pool_g.pe, &f, &e, 0, rev, &got);
	free(end);
	return rc ? rc : psctl_pool_take(&pool_g.snap, &got);
}

/* The reservation and (both) identifier keys of range r at rev. */
static int spans_of(const struct ps_pool_range *r, int ids, int64_t rev)
{
	char a[POOL_KEY_MAX], b[POOL_KEY_MAX], f[PS_POOL_ID_MAX],
	     l[PS_POOL_ID_MAX];
	const char *kind = ps_pool_kind_name(r->kind);
	int rc, i;

	ps_pool_id_fmt(r, r->first, f, sizeof f);
	ps_pool_id_fmt(r, r->last, l, sizeof l);
	for (i = 0, rc = 0; !rc && i <= ids; i++) {
		snprintf(a, sizeof a, "%s%s/%s", i ? POOL_ID : POOL_RESV, kind,
			 f);
		snprintf(b, sizeof b, "%s%s/%s", i ? POOL_ID : POOL_RESV, kind,
			 l);
		rc = span(a, b, rev);
	}
	return rc;
}

/* A reservation key's identifier key, and (reclaim) its holder's keys. */
static void want_of_resv(const struct pe_kv *kv)
{
	char key[POOL_KEY_MAX];
	const char *h;

	snprintf(key, sizeof key, POOL_ID "%s", kv->key + strlen(POOL_RESV));
	psctl_pool_want(key);
	h = strrchr((const char *)kv->val, ' ');
	if (as_g.mode == PA_RECLAIM && h && strcmp(h + 1, "-"))
		psctl_pool_want_profile(h + 1);
}

/* One identifier of r named by the command: its two keys wanted. */
static void want_id(const struct ps_pool_range *r)
{
	char key[POOL_KEY_MAX], t[PS_POOL_ID_MAX];
	struct ps_pool_id v;
	int i;

	if (!ps_pool_contains(r, (int)r->kind, as_g.id, strlen(as_g.id), &v))
		return;                   /* the command says so */
	ps_pool_id_fmt(r, v, t, sizeof t);
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof key, "%s%s/%s", i ? POOL_ID : POOL_RESV,
			 ps_pool_kind_name(r->kind), t);
		psctl_pool_want(key);
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct pe_kv *)a)->key,
		      ((const struct pe_kv *)b)->key);
}

/* A key read twice (a span and a wanted key) kept once. */
static void drop_twice(struct pe_kvs *k)
{
	size_t i, o = 0;

	if (k->n)
		qsort(k->kv, k->n, sizeof *k->kv, by_key);
	for (i = 0; i < k->n; i++) {
		if (o && !strcmp(k->kv[o - 1].key, k->kv[i].key)) {
			free(k->kv[i].key);
			free(k->kv[i].val);
			continue;
		}
		k->kv[o++] = k->kv[i];
	}
	k->n = o;
}

static int read_addr(int64_t rev)
{
	size_t i, n, before = pool_g.nwant, rl = strlen(POOL_PREFIX "range/");
	char why[PS_POOL_WHY_MAX];
	struct ps_pool_range r;
	int64_t r2;
	int rc = 0;

	if (as_g.mode == PA_ALL || as_g.mode == PA_LIST)
		rc = span(POOL_PREFIX "range/", POOL_PREFIX "range/\xff", rev);
	if (as_g.mode == PA_SPARES)
		rc = span(POOL_PREFIX "spares/", POOL_PREFIX "spares/\xff", rev);
	n = pool_g.snap.n;
	for (i = 0; !rc && i < n; i++) {
		const struct pe_kv *kv = &pool_g.snap.kv[i];

		if (strncmp(kv->key, POOL_PREFIX "range/", rl) ||
		    ps_pool_range_rec((const char *)kv->val, kv->vlen, &r, why,
				      sizeof why) ||
		    (as_g.mode != PA_LIST && strcmp(r.name, as_g.range)))
			continue;
		if (as_g.mode == PA_ONE_ID)
			want_id(&r);
		else if (as_g.mode != PA_ALL)
			rc = spans_of(&r, as_g.mode <= PA_SPANS, rev);
	}
	for (i = 0; !rc && (as_g.mode == PA_RESV || as_g.mode == PA_RECLAIM) &&
		    i < pool_g.snap.n; i++)
		if (!strncmp(pool_g.snap.kv[i].key, POOL_RESV,
			     strlen(POOL_RESV)))
			want_of_resv(&pool_g.snap.kv[i]);
	if (!rc && before < pool_g.nwant)
		rc = get_keys(pool_g.want + before, pool_g.nwant - before, 0,
			      &pool_g.snap, &r2);
	drop_twice(&pool_g.snap);
	return rc;
}

int psctl_pool_held_ids(const void *buf, struct inrange *s)
{
	size_t i, il = strlen(POOL_ID);
	char field[16];
	int rc = 0;

	if (!psctl_pool_scoped() || !as_g.mode)
		return 0;
	for (i = 0; !rc && i < pool_g.snap.n; i++) {
		const struct pe_kv *kv = &pool_g.snap.kv[i];
		const char *t = kv->key + il, *sl;
		const char *who = (const char *)kv->val;

		if (strncmp(kv->key, POOL_ID, il) || !(sl = strchr(t, '/')) ||
		    (size_t)(sl - t) >= sizeof field ||
		    ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, who,
				kv->vlen) >= 0)
			continue;         /* its profile was read: counted */
		snprintf(field, sizeof field, "%.*s", (int)(sl - t), t);
		rc = pa_assigned(s, field, sl + 1, who);
	}
	return rc;
}

/* ---- server commands: the server's key; `server list` the directory
 * (one range over /pstate/server/); an edit of a server (set, delete:
 * "no profile placed on it") also the profiles placed on its target --
 * the target keys under its target text (its VMs' too) -- and those in
 * transit (the move keys: one may be moving away from it). */

static struct {
	int mode;                         /* 0, 1 list, 2 show, 3 edit */
	char name[PS_CFG_NAME_MAX + 1];
} srv_g;

void psctl_pool_scope_server(struct psctl_ctx *c, const char *name, int edit)
{
	char key[POOL_KEY_MAX];

	psctl_pool_scope(c, NULL);
	if (!pool_g.scoped)
		return;
	srv_g.mode = !name ? 1 : edit ? 3 : 2;
	snprintf(srv_g.name, sizeof srv_g.name, "%s", name ? name : "");
	if (name) {
		snprintf(key, sizeof key, POOL_SERVER "%s", name);
		psctl_pool_want(key);
	}
}

static int read_servers(int64_t *rev)
{
	char key[POOL_KEY_MAX + PS_CFG_TEXT_MAX], t[PS_CFG_TEXT_MAX + 1];
	struct pe_kvs got = { 0 };
	const struct pe_kv *kv;
	size_t i, before = pool_g.nwant;
	char *mv = POOL_MOVE;
	int64_t r2;
	int rc;

	if (srv_g.mode == 1) {
		rc = pe_range_page(&pool_g.pe, POOL_SERVER, POOL_SERVER,
				   strlen(POOL_SERVER), 0, *rev, &got);
		if (!rc && !*rev)
			pool_g.snap.revision = *rev = got.revision;
		return rc ? rc : psctl_pool_take(&pool_g.snap, &got);
	}
	snprintf(key, sizeof key, POOL_SERVER "%s", srv_g.name);
	if (srv_g.mode != 3 || !(kv = psctl_pool_key(key)))
		return 0;
	/* Its target as stored (normal form): the keys below it. */
	elem_str(kv, PSF_SERVERS, PSF_TARGET, t, sizeof t);
	rc = get_keys(&mv, 1, 1, &got, &r2);
	if (!rc && t[0]) {
		snprintf(key, sizeof key, POOL_TARGET "%s", t);
		mv = key;
		rc = get_keys(&mv, 1, 1, &got, &r2);
	}
	for (i = 0; !rc && i < got.n; i++)
		psctl_pool_want_profile(strncmp(got.kv[i].key, POOL_MOVE,
						strlen(POOL_MOVE))
					? (const char *)got.kv[i].val
					: got.kv[i].key + strlen(POOL_MOVE));
	if (!rc)
		rc = psctl_pool_take(&pool_g.snap, &got);
	else
		pe_kvs_free(&got);
	if (!rc && before < pool_g.nwant)
		rc = get_keys(pool_g.want + before, pool_g.nwant - before, 0,
			      &pool_g.snap, &r2);
	return rc;
}

int psctl_pool_read_scope(void)
{
	char t[2][PS_CFG_TEXT_MAX + 1];
	int64_t rev = 0, r2;
	size_t from, i;
	int rc;

	memset(&pool_g.snap, 0, sizeof pool_g.snap);
	/* No key yet (a failover naming full targets): nothing to read. */
	if (!pool_g.nwant && !srv_g.mode)
		return 0;
	rc = get_keys(pool_g.want, pool_g.nwant, 0, &pool_g.snap, &rev);
	from = rc ? pool_g.nwant : want_holders();
	if (!rc && from < pool_g.nwant)
		rc = get_keys(pool_g.want + from, pool_g.nwant - from, 0,
			      &pool_g.snap, &r2);
	pool_g.snap.revision = rev;
	if (!rc && as_g.mode)
		rc = read_addr(rev);
	if (!rc && srv_g.mode)
		rc = read_servers(&rev);
	if (rc || !pool_g.show_servers)
		return rc;
	/* profile show: the server of its target and move source, by the
	 * index key, then the server it names. */
	from = pool_g.nwant;
	profile_targets(&pool_g.snap, t);
	want_server_of(t[0]);
	want_server_of(t[1]);
	for (i = 0; !rc && i < 2 && from < pool_g.nwant; i++) {
		rc = get_keys(pool_g.want + from, pool_g.nwant - from, 0,
			      &pool_g.snap, &r2);
		from = rc ? from : want_holders();
	}
	return rc;
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
	char key[POOL_KEY_MAX + PS_CFG_TEXT_MAX], skey[sizeof key], **pk = NULL;
	struct pe_op op[2] = {
		{ PE_GET, key, NULL, 0, 0, 0 },
		{ PE_GET, skey, NULL, 0, 0, 0 },
	};
	struct pe_kvs k = { 0 }, p = { 0 };
	size_t i, np = 0;
	int64_t rev;
	int ok, rc;

	/* The profile on it (its target key) and the one in transit away
	 * from it (its source key), in one read: two keys, however many
	 * moves run.  One of them: that profile. */
	snprintf(key, sizeof key, "%s%s", POOL_TARGET, failed);
	snprintf(skey, sizeof skey, "%s%s", POOL_SOURCE, failed);
	rc = pe_txn(&pool_g.pe, NULL, 0, op, 2, NULL, 0, &ok, &rev, &k);
	if (rc)
		return psctl_pool_error(c, rc);
	psctl_pool_announce(c, rev);
	name[0] = 0;
	if (k.n == 1) {
		snprintf(name, n, "%s", (const char *)k.kv[0].val);
		pe_kvs_free(&k);
		return 0;
	}
	/* Both: the first created of the two wins (the file pool's
	 * order). */
	pk = calloc(k.n + 1, sizeof *pk);
	for (i = 0; pk && i < k.n; i++) {
		const char *v = (const char *)k.kv[i].val;

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
