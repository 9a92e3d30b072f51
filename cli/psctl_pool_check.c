/*
 * psctl_pool_check.c - `psctl pool check` (docs/pool.md "pool check"):
 * the pool's records against every target store it can reach, and, on
 * etcd, the identifier and target keys against the profiles.
 *
 * Disagreements listed, one line each:
 *   - a profile the pool places on a target that does not carry it;
 *   - a target that carries a profile the pool does not place there (a
 *     stale copy: its identifiers are live twice);
 *   - etcd: an identifier key whose profile does not hold it, a profile
 *     identifier without its key; a target, source or server target key
 *     missing, naming another record or claimed by none
 *     (psctl_pool_claims.c: `pool reindex` writes them).
 * A target that does not answer is listed as unreachable, not checked.
 * Exit 0: every reached record agrees; 1: disagreements (as `check`).
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

#define CMD "pool check"

/* One target store read (a host's store holds all its VMs). */
struct reached {
	char base[PS_CFG_TEXT_MAX + 1];   /* the target without #VM       */
	struct mtarget t;                 /* as parsed (no VM)            */
	uint8_t *buf;                     /* NULL: unreachable            */
	char why[512];
};

struct chk {
	struct psctl_ctx *c;
	const uint8_t *pool;
	struct reached *r;
	size_t nr;
	int disagree, unreachable, profiles;
};

static void say(struct chk *k, const char *fmt, const char *a,
		const char *b, const char *d)
{
	fprintf(k->c->out, "disagrees    ");
	fprintf(k->c->out, fmt, a, b, d);
	fputc('\n', k->c->out);
	k->disagree++;
}

/* The store of target text (cached by its part before '#'). */
static struct reached *reach(struct chk *k, const char *text)
{
	static struct move m;
	size_t i, bl = strcspn(text, "#");
	struct reached *r;
	void *p;

	for (i = 0; i < k->nr; i++)
		if (strlen(k->r[i].base) == bl &&
		    !strncmp(k->r[i].base, text, bl))
			return &k->r[i];
	p = realloc(k->r, (k->nr + 1) * sizeof *k->r);
	if (!p)
		return NULL;
	k->r = p;
	r = &k->r[k->nr++];
	memset(r, 0, sizeof *r);
	snprintf(r->base, sizeof r->base, "%.*s", (int)bl, text);
	memset(&m, 0, sizeof m);
	m.c = k->c;
	m.cmd = CMD;
	if (move_parse_target(k->c, CMD, text, &r->t) ||
	    move_read_store(&m, &r->t, &r->buf, &(size_t){ 0 })) {
		snprintf(r->why, sizeof r->why, "%s", m.msg);
		r->buf = NULL;
		fprintf(k->c->out, "unreachable  %s: %s (not checked)\n",
			r->base, r->why);
		k->unreachable++;
	}
	return r;
}

/* The pool places profile name on target text (TARGET or, in transit,
 * MOVE_SOURCE)? */
static int placed(struct chk *k, const char *name, const char *text)
{
	char v[PS_CFG_TEXT_MAX + 1];
	int el = move_find_prof(k->pool, name);
	uint8_t st = el >= 0 ? move_prof_state(k->pool, el) : 0;

	if (el < 0 || st == PSF_PROFILE_UNASSIGNED)
		return 0;
	move_str_copy(k->pool, el, PSF_TARGET, v, sizeof v);
	if (!strcmp(v, text))
		return 1;
	move_str_copy(k->pool, el, PSF_MOVE_SOURCE, v, sizeof v);
	return st == PSF_PROFILE_IN_TRANSIT && !strcmp(v, text);
}

/* 1. Every profile on its target. */
static void profiles(struct chk *k)
{
	char name[PS_CFG_NAME_MAX + 1], tt[PS_CFG_TEXT_MAX + 1];
	char other[PS_CFG_NAME_MAX + 1];
	struct mtarget t;
	struct reached *r;
	int el, root = psf_root(k->pool);

	for (el = ps_obj_next(k->pool, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(k->pool, root, PS_OBJ_PROFILE, el)) {
		k->profiles++;
		move_str_copy(k->pool, el, PSF_NAME, name, sizeof name);
		move_str_copy(k->pool, el, PSF_TARGET, tt, sizeof tt);
		if (move_prof_state(k->pool, el) != PSF_PROFILE_ASSIGNED ||
		    !tt[0] || move_parse_target(k->c, CMD, tt, &t) ||
		    t.w == W_POOL)
			continue;
		r = reach(k, tt);
		if (!r || !r->buf)
			continue;
		if (!move_carries(r->buf, &t, name, other, sizeof other))
			say(k, "profile '%s': the pool places it on %s, which "
			    "carries %s", name, tt, other[0] ? other
							    : "no profile");
	}
}

/* 2. Every profile a reached store's VMs (or host) carry, placed there
 * by the pool. */
static void copies(struct chk *k)
{
	char vm[PS_CFG_NAME_MAX + 1], ref[PS_CFG_NAME_MAX + 1];
	char text[PS_CFG_TEXT_MAX * 2 + 2];
	size_t i;
	int el;

	for (i = 0; i < k->nr; i++) {
		const uint8_t *b = k->r[i].buf;

		if (!b)
			continue;
		for (el = ps_obj_next(b, psf_root(b), PS_OBJ_VM, -1); el >= 0;
		     el = ps_obj_next(b, psf_root(b), PS_OBJ_VM, el)) {
			move_str_copy(b, el, PSF_PROFILE_REF, ref, sizeof ref);
			move_str_copy(b, el, PSF_NAME, vm, sizeof vm);
			snprintf(text, sizeof text, "%s#%s", k->r[i].base, vm);
			if (ref[0] && !placed(k, ref, text))
				say(k, "%s carries profile '%s'%s", text, ref,
				    ", the pool does not place it there (a "
				    "stale copy: its identifiers are live "
				    "twice)");
		}
		if (k->r[i].t.kind == PSF_TARGET_PHYSICAL &&
		    !move_carries(b, &k->r[i].t, "", ref, sizeof ref) &&
		    ref[0] && !placed(k, ref, k->r[i].base))
			say(k, "%s carries profile '%s'%s", k->r[i].base, ref,
			    ", the pool does not place it there (a stale "
			    "copy: its identifiers are live twice)");
	}
}

/* 3. etcd: identifier and target keys against the profiles. */
struct idkey {
	struct chk *k;
	const char *prof;
};

static int id_has_key(const char *field, const char *text, void *arg)
{
	struct idkey *x = arg;
	char key[POOL_KEY_MAX];
	const struct pe_kv *kv;

	snprintf(key, sizeof key, POOL_ID "%s/%s", field, text);
	kv = psctl_pool_key(key);
	if (!kv || strcmp((const char *)kv->val, x->prof))
		say(x->k, "profile '%s': etcd key '%s' %s", x->prof, key,
		    kv ? "names another profile" : "is missing");
	return 0;
}

struct find {
	const char *want;
	int found;
};

static int id_is(const char *field, const char *text, void *arg)
{
	struct find *f = arg;
	char ft[POOL_KEY_MAX];

	snprintf(ft, sizeof ft, "%s/%s", field, text);
	f->found |= !strcmp(ft, f->want);
	return 0;
}

static void keys(struct chk *k)
{
	size_t i, il = strlen(POOL_ID);
	char name[PS_CFG_NAME_MAX + 1];
	int el, root = psf_root(k->pool);

	for (el = ps_obj_next(k->pool, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(k->pool, root, PS_OBJ_PROFILE, el)) {
		struct idkey x = { k, name };

		move_str_copy(k->pool, el, PSF_NAME, name, sizeof name);
		ps_profile_each_id(k->pool, el, id_has_key, &x);
	}
	for (i = 0; i < pool_g.snap.n; i++) {
		const struct pe_kv *kv = &pool_g.snap.kv[i];
		struct find f = { kv->key + il, 0 };
		int p;

		if (strncmp(kv->key, POOL_ID, il))
			continue;
		p = move_find_prof(k->pool, (const char *)kv->val);
		if (p >= 0)
			ps_profile_each_id(k->pool, p, id_is, &f);
		if (!f.found)
			say(k, "etcd key '%s' names profile '%s'%s", kv->key,
			    (const char *)kv->val, p < 0 ? ", which does not "
			    "exist" : ", which does not hold it");
	}
}

int psctl_pool_check(struct psctl_ctx *c, int argc, char **argv)
{
	struct chk k = { 0 };
	uint32_t len;
	size_t i;
	int rc = argc > 1 ? psctl_error(c, CMD, NULL, argv[1],
					PSCTL_EXIT_USAGE, "usage: " CMD)
			  : psctl_need_store(c);

	if (rc)
		return rc;
	k.c = c;
	k.pool = psctl_store_data(c, &len);
	profiles(&k);
	copies(&k);
	if (psctl_g.pool_store) {
		keys(&k);
		k.disagree += psctl_pool_claims_check(c->out, &pool_g.snap);
		k.disagree += psctl_pool_index_check(c->out);
	}
	fprintf(c->out, "pool check: %d profile%s, %zu target store%s "
		"reached, %d unreachable, %d disagreement%s\n", k.profiles,
		k.profiles == 1 ? "" : "s", k.nr - (size_t)k.unreachable,
		k.nr - (size_t)k.unreachable == 1 ? "" : "s", k.unreachable,
		k.disagree, k.disagree == 1 ? "" : "s");
	for (i = 0; i < k.nr; i++)
		free(k.r[i].buf);
	free(k.r);
	return k.disagree ? PSCTL_EXIT_CHECK : 0;
}
