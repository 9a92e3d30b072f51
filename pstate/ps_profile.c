/*
 * ps_profile.c - the per-store edits of a profile move (ps_profile.h,
 * docs/profiles.md): marking a pool's profile in transit and settling
 * it, releasing the identity a store carries, applying a profile copy to a
 * host or VM of a store, and checking a profile's identifiers against a
 * store.  Freestanding like the rest of the edit layer: psctl, the BMC shim and hvagent
 * link the same code, so every front end moves identities one way.
 */
#include "ps_cfg_internal.h"
#include "ps_move.h"

/* ------------------------------------------------------------ helpers */

static void set_text(void *buf, size_t cap, int prof, const char *field,
		     size_t fl, const char *v, size_t vl, int *rc)
{
	if (!*rc)
		*rc = ps_obj_set(buf, cap, prof, PS_OBJ_PROFILE, field, fl,
				 v ? v : "", vl, NULL);
}

/* MOVE_SOURCE: set (n > 0) or removed (n == 0): the record every move
 * shares (ps_move.c). */
static int set_source(void *buf, size_t cap, int prof, const char *s,
		      size_t n)
{
	return ps_move_record(buf, cap, prof, PSF_MOVE_SOURCE, s, n);
}

static const char *kind_word(uint8_t kind, size_t *n)
{
	static const char *const w[] = { "none", "physical", "vm" };

	if (kind > PSF_TARGET_VM)
		kind = PSF_TARGET_NONE;
	*n = kind == PSF_TARGET_NONE ? 4 : kind == PSF_TARGET_VM ? 2 : 8;
	return w[kind];
}

/* ------------------------------------------------------------ the pool */

int ps_profile_begin_move(void *buf, size_t cap, int prof, uint8_t kind,
			  const char *target, size_t tn, const char *source,
			  size_t sn)
{
	size_t kn;
	const char *kw = kind_word(kind, &kn);
	int rc = 0;

	if (psf_sig(buf, prof) != PSF_PROFILE || tn > PS_CFG_TEXT_MAX ||
	    sn > PS_CFG_TEXT_MAX)
		return PS_ERR_INVAL;
	/* The source first: a profile found in transit always names it. */
	rc = set_source(buf, cap, prof, source, sn);
	set_text(buf, cap, prof, "state", 5, "in-transit", 10, &rc);
	set_text(buf, cap, prof, "target-kind", 11, kw, kn, &rc);
	set_text(buf, cap, prof, "target", 6, target, tn, &rc);
	return rc;
}

int ps_profile_end_move(void *buf, size_t cap, int prof, uint8_t kind,
			const char *target, size_t tn)
{
	size_t kn;
	const char *kw = kind_word(tn ? kind : PSF_TARGET_NONE, &kn);
	int rc = 0;

	if (psf_sig(buf, prof) != PSF_PROFILE || tn > PS_CFG_TEXT_MAX)
		return PS_ERR_INVAL;
	set_text(buf, cap, prof, "target", 6, target, tn, &rc);
	set_text(buf, cap, prof, "target-kind", 11, kw, kn, &rc);
	if (tn)
		set_text(buf, cap, prof, "state", 5, "assigned", 8, &rc);
	else
		set_text(buf, cap, prof, "state", 5, "unassigned", 10, &rc);
	return rc ? rc : set_source(buf, cap, prof, NULL, 0);
}

/* ------------------------------------------------------------ carriers */

const char *ps_host_profile(const void *buf, uint32_t *len)
{
	int bmc = psf_find_child(buf, psf_root(buf), PSF_BMC_STATE);
	const char *p = bmc < 0 ? NULL
				: ps__str_of(buf, bmc, PS_BMC_HOST_PROFILE, len);

	if (!p || !*len) {
		*len = 0;
		return NULL;
	}
	return p;
}

int ps_profile_carrier(const void *buf, const char *name, size_t n, int *vm)
{
	int root = psf_root(buf), el;
	uint32_t len;
	const char *h = ps_host_profile(buf, &len);

	*vm = -1;
	if (ps__same(h, len, name, n))
		return PSF_TARGET_PHYSICAL;
	for (el = ps_obj_next(buf, root, PS_OBJ_VM, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_VM, el))
		if (ps__str_is(buf, el, PSF_PROFILE_REF, name, n)) {
			*vm = el;
			return PSF_TARGET_VM;
		}
	return PSF_TARGET_NONE;
}

/* ------------------------------------------------------------ release */

/* This host stops carrying profile (name, n): BMC_HOST_PROFILE goes. */
static int drop_host(void *buf, const char *name, size_t n, int *changed)
{
	int bmc = psf_find_child(buf, psf_root(buf), PSF_BMC_STATE);
	int el = bmc < 0 ? -1 : psf_find_child(buf, bmc, PS_BMC_HOST_PROFILE);

	if (el < 0 || !ps__str_is(buf, bmc, PS_BMC_HOST_PROFILE, name, n))
		return 0;
	*changed = 1;
	return psf_wip_nop(buf, el);
}

/* The pool's move record of a profile, kept across an unassign. */
struct record {
	uint8_t state, kind;
	char target[PS_CFG_TEXT_MAX], source[PS_CFG_TEXT_MAX];
	uint32_t tn, sn;
};

static void record_save(const void *buf, int prof, struct record *r)
{
	const uint8_t *cfg;
	const char *p;
	uint32_t len;

	cfg = psf_child_payload(buf, prof, PSF_PROFILE_CONFIG, &len);
	r->state = (uint8_t)(cfg ? psf_field_uint(cfg, len, PSF_PROC_STATE, 1)
				 : 0);
	r->kind = (uint8_t)(cfg ? psf_field_uint(cfg, len,
						 PSF_PROC_TARGET_KIND, 1) : 0);
	p = ps__str_of(buf, prof, PSF_TARGET, &len);
	r->tn = len > PS_CFG_TEXT_MAX ? PS_CFG_TEXT_MAX : len;
	if (p)
		psf_memcpy(r->target, p, r->tn);
	p = ps__str_of(buf, prof, PSF_MOVE_SOURCE, &len);
	r->sn = len > PS_CFG_TEXT_MAX ? PS_CFG_TEXT_MAX : len;
	if (p)
		psf_memcpy(r->source, p, r->sn);
}

static int record_restore(void *buf, size_t cap, int prof,
			  const struct record *r)
{
	if (r->state == PSF_PROFILE_IN_TRANSIT)
		return ps_profile_begin_move(buf, cap, prof, r->kind,
					     r->target, r->tn, r->source,
					     r->sn);
	return ps_profile_end_move(buf, cap, prof, r->kind, r->target,
				   r->state == PSF_PROFILE_ASSIGNED ? r->tn
								    : 0);
}

int ps_profile_release(void *buf, size_t cap, const char *name, size_t n,
		       int keep_copy, const uint8_t *rnd, size_t rndlen,
		       struct ps_cfg_err *e)
{
	static struct record r;  /* freestanding: no large stack frames */
	int root = psf_root(buf), prof, vm, changed = 0, rc;

	ps__err_init(e, NULL);
	if (ps_check_name(name, n, NULL))
		return PS_ERR_INVAL;
	rc = drop_host(buf, name, n, &changed);
	if (rc)
		return rc;
	prof = ps_obj_find(buf, root, PS_OBJ_PROFILE, name, n);
	if (prof < 0)
		return changed;
	if (ps_profile_carrier(buf, name, n, &vm) == PSF_TARGET_VM) {
		/* The pool keeps its move record: unassign clears it. */
		if (keep_copy)
			record_save(buf, prof, &r);
		rc = ps_profile_unassign(buf, cap, prof, rnd, rndlen, e);
		if (rc)
			return rc;
		changed = 1;
		prof = ps_obj_find(buf, root, PS_OBJ_PROFILE, name, n);
		if (keep_copy)
			return prof < 0 ? prof
					: (rc = record_restore(buf, cap, prof,
							       &r)) ? rc : 1;
	}
	if (keep_copy)
		return changed;
	rc = ps_obj_delete(buf, prof, PS_OBJ_PROFILE, e);
	return rc ? rc : 1;
}

/* ------------------------------------------------------------ identities */

/* The check of each identifier of a profile copy against a store. */
struct idcheck {
	const void *store;
	struct asker a;
	struct ps_cfg_err *e;
};

static int check_one(const void *pbuf, const struct ps__id *id, void *arg)
{
	struct idcheck *c = arg;
	struct sb s;
	int rc;

	(void)pbuf;
	rc = ps__ident_clash(c->store, id->kind, id->v, id->n, &c->a, c->e);
	if (!rc || !c->e)
		return rc;
	c->e->field = ps__id_field[id->kind];
	ps__sb_init(&s, c->e->value, sizeof(c->e->value));
	ps__sb_id(&s, id->kind, id->v, id->n);
	return rc;
}

/* Another profile of the store named (pn, pl) than prof, or -1. */
static int same_named_after(const void *store, int prof, const char *pn,
			    uint32_t pl)
{
	int root = psf_root(store), p;

	for (p = ps_obj_next(store, root, PS_OBJ_PROFILE, prof); p >= 0;
	     p = ps_obj_next(store, root, PS_OBJ_PROFILE, p))
		if (ps__str_is(store, p, PSF_NAME, pn, pl))
			return p;
	return -1;
}

int ps_profile_check_ids(const void *store, const void *pbuf, int prof,
			 const char *skip_vm, size_t sl,
			 struct ps_cfg_err *e)
{
	struct idcheck c = { store, { -1, -1, PS_OBJ_PROFILE, -1, -1 }, e };
	int root = psf_root(store);
	const char *pn;
	uint32_t pl;

	ps__err_init(e, NULL);
	pn = ps__str_of(pbuf, prof, PSF_NAME, &pl);
	if (!pn || psf_sig(pbuf, prof) != PSF_PROFILE)
		return PS_ERR_INVAL;
	/* The copy replaces a same-named profile of the store, and the VM
	 * it goes to gives up its values: both are the asker.  A copy
	 * already put in beside the profile it replaces (pbuf is the store)
	 * asks for both. */
	c.a.self = ps_obj_find(store, root, PS_OBJ_PROFILE, pn, pl);
	if (pbuf == store && c.a.self == prof)
		c.a.skip_prof = same_named_after(store, prof, pn, pl);
	c.a.owner = c.a.self;
	if (sl)
		c.a.skip_vm = ps_obj_find(store, root, PS_OBJ_VM, skip_vm, sl);
	return ps__ids_of(pbuf, prof, PS_OBJ_PROFILE, check_one, &c);
}

/* ------------------------------------------------------------ apply */

/* A PROFILE element outside any store, as the front ends pass them
 * (ps_elem_name), with a NAME: 0 or PS_ERR_INVAL. */
static int elem_named(const uint8_t *p, size_t n, const char **name,
		      uint32_t *nlen)
{
	if (ps_elem_name(p, n, name, nlen) || psf_le32(p) != PSF_PROFILE ||
	    !*name)
		return PS_ERR_INVAL;
	return 0;
}

/* The copy goes in before a same-named one, which stays until the checks
 * pass; refused, it comes out again (ps_move.c, shared with the VM
 * move). */
static int put_copy(void *buf, size_t cap, const uint8_t *el, uint32_t elen,
		    const char *name, uint32_t nlen, int *made)
{
	return ps__move_put_copy(buf, cap, PSF_PROFILES, PSF_PROFILE, el, elen,
				 name, nlen, made);
}

static int take_back(void *buf, int copy, int made, int rc)
{
	return ps__move_take_back(buf, PSF_PROFILES, copy, made, rc);
}

/* The host records the profile it carries, as its BMC does. */
static int record_host(void *buf, size_t cap, const char *name, uint32_t n)
{
	int root = psf_root(buf), bmc = psf_find_child(buf, root, PSF_BMC_STATE);

	if (bmc < 0)
		bmc = psf_insert(buf, cap, root, -1, PSF_BMC_STATE, NULL, 0);
	if (bmc < 0)
		return bmc;
	bmc = psf_set_child(buf, cap, bmc, PS_BMC_HOST_PROFILE, name, n);
	return bmc < 0 ? bmc : 0;
}

/* The name of the profile a host or VM of this store carries, if any. */
static const char *carried_by(const void *buf, uint8_t kind, int vm,
			      uint32_t *len)
{
	if (kind == PSF_TARGET_PHYSICAL)
		return ps_host_profile(buf, len);
	return ps__str_of(buf, vm, PSF_PROFILE_REF, len);
}

int ps_profile_of(const void *buf, uint8_t kind, const char *vm, size_t vn)
{
	int root = psf_root(buf), el = -1;
	const char *name;
	uint32_t len;

	if (kind == PSF_TARGET_VM) {
		el = ps_obj_find(buf, root, PS_OBJ_VM, vm, vn);
		if (el < 0)
			return el;
	} else if (kind != PSF_TARGET_PHYSICAL) {
		return PS_ERR_INVAL;
	}
	name = carried_by(buf, kind, el, &len);
	if (!name || !len)
		return PSF_ERR_NOTFOUND;
	return ps_obj_find(buf, root, PS_OBJ_PROFILE, name, len);
}

/*
 * Checks of ps_profile_apply on the store as it is: 1 when the target
 * already carries the profile (nothing to do), 0 to go on, or an error.
 * A target carrying another profile is refused, never made to drop it:
 * that profile's identity would be live nowhere and still recorded where
 * it was placed (the pool, another store), so the operator moves or
 * unassigns it first.  A copy of this profile placed on another target
 * (assigned or in transit there) stays too: it is the record of where
 * the identity lives.
 */
static int apply_check(const void *buf, uint8_t kind, int vm,
		       const char *name, uint32_t nlen, const char *target,
		       size_t tn, struct ps_cfg_err *e)
{
	const char *cur;
	uint32_t len;
	int other, prof;

	cur = carried_by(buf, kind, vm, &len);
	if (ps__same(cur, len, name, nlen))
		return 1;
	if (cur && len)
		return ps__fail_carries(e, cur, len);
	if (ps_profile_carrier(buf, name, nlen, &other) != PSF_TARGET_NONE)
		return ps__fail_carried_by(buf, other, e);
	/* No profile, or none recorded, reads as unassigned (0). */
	prof = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, name, nlen);
	if (ps__rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_STATE, 1) ==
	    PSF_PROFILE_UNASSIGNED)
		return 0;
	cur = ps__str_of(buf, prof, PSF_TARGET, &len);
	if (ps__same(cur, len, target, tn))
		return 0;
	ps__holder_quoted(e, "'", cur, len);
	return ps__fail_at(e, PS_ERR_INUSE, NULL, "already assigned to");
}

int ps_profile_apply(void *buf, size_t cap, const void *el, size_t elen,
		     uint8_t kind, const char *target, size_t tn,
		     struct ps_cfg_err *e)
{
	const char *name;
	uint32_t nlen;
	int vm = -1, copy, made, rc;

	ps__err_init(e, NULL);
	if (elem_named(el, elen, &name, &nlen) ||
	    ps_check_name(name, nlen, NULL) || tn == 0 ||
	    tn > PS_CFG_TEXT_MAX)
		return PS_ERR_INVAL;
	if (kind == PSF_TARGET_VM) {
		vm = ps__target_vm(buf, target, tn, e);
		if (vm < 0)
			return vm;
	} else if (kind != PSF_TARGET_PHYSICAL) {
		return PS_ERR_INVAL;
	}
	rc = apply_check(buf, kind, vm, name, nlen, target, tn, e);
	if (rc)
		return rc == 1 ? 0 : rc;
	/* The identifiers are checked on the copy in place (a same-named
	 * profile does not count); refused, it comes out again. */
	copy = put_copy(buf, cap, el, (uint32_t)elen, name, nlen, &made);
	if (copy < 0)
		return copy;
	rc = ps_profile_check_ids(buf, buf, copy,
				  kind == PSF_TARGET_VM ? target : NULL,
				  kind == PSF_TARGET_VM ? tn : 0, e);
	if (rc)
		return take_back(buf, copy, made, rc);
	if (psf_sig(buf, copy + (int)elen) == PSF_PROFILE &&
	    ps__str_is(buf, copy + (int)elen, PSF_NAME, name, nlen))
		rc = psf_wip_nop(buf, copy + (int)elen);
	/* The copy arrives unassigned, without the pool's move record; the
	 * assignment below makes it the target's. */
	if (!rc)
		rc = ps_profile_end_move(buf, cap, copy, PSF_TARGET_NONE, NULL,
					 0);
	if (!rc && kind == PSF_TARGET_PHYSICAL)
		rc = record_host(buf, cap, name, nlen);
	if (rc)
		return rc;
	copy = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, name, nlen);
	if (copy < 0)
		return copy;
	return ps_profile_assign(buf, cap, copy, target, tn, e);
}

/* ------------------------------------------------------------ export */

/* Unassigned, target kind none: zeros, as far as the record goes. */
static void unassigned(uint8_t *child, const struct psf_elem *h)
{
	if (h->sig == PSF_PROFILE_CONFIG)
		psf_memset(child + PSF_STRUCT_HDR + PSF_PROC_STATE, 0,
			   h->count > PSF_PROC_TARGET_KIND ? 2
			   : h->count > PSF_PROC_STATE ? 1 : 0);
}

int ps_profile_export(const void *pool, int prof, void *out, size_t cap)
{
	return ps__move_export(pool, prof, PSF_PROFILE, out, cap, unassigned);
}

/* ------------------------------------------------------- named targets */

/* The word's head: the text before the first '#' (a VM follows it);
 * *scheme when a ':' comes first (a full target or vm:NAME). */
static size_t head_of(const char *s, size_t n, int *scheme)
{
	size_t i;

	*scheme = 0;
	for (i = 0; i < n && s[i] != '#'; i++)
		if (s[i] == ':')
			*scheme = 1;
	return i;
}

static int copy_out(const char *a, size_t an, const char *b, size_t bn,
		    char *out, size_t cap, const char **why)
{
	if (an + bn >= cap || an + bn > PS_CFG_TEXT_MAX) {
		if (why)
			*why = "longer than 255 characters";
		return PS_ERR_BADVALUE;
	}
	psf_memcpy(out, a, an);
	psf_memcpy(out + an, b, bn);
	out[an + bn] = 0;
	return (int)(an + bn);
}

static int refuse(const char **why, const char *w, int rc)
{
	if (why)
		*why = w;
	return rc;
}

int ps_target_resolve(const void *pool, const char *s, size_t n, char *out,
		      size_t cap, const char **why)
{
	int scheme, root = psf_root(pool), srv, vm, rc;
	size_t h = head_of(s, n, &scheme);
	const char *t;
	uint32_t tl;

	/* A full target, vm:NAME, or a word no name could be: as written
	 * (the caller's parser says what is wrong with it). */
	if (scheme || ps_check_name(s, h, NULL))
		return copy_out(s, n, "", 0, out, cap, why);
	srv = ps_obj_find(pool, root, PS_OBJ_SERVER, s, h);
	vm = h == n ? ps_obj_find(pool, root, PS_OBJ_VM, s, h) : -1;
	if (srv >= 0 && vm >= 0)
		return refuse(why, "both a server and a VM of the pool have "
			      "that name: write vm:NAME for the VM, or the "
			      "server's full target", PS_ERR_DUPLICATE);
	if (vm >= 0)
		return copy_out(s, n, "", 0, out, cap, why);
	if (srv < 0)
		return refuse(why, h == n ? "neither a server nor a VM of the "
					    "pool has that name"
					  : "no server of the pool has that "
					    "name", PSF_ERR_NOTFOUND);
	t = ps__str_of(pool, srv, PSF_TARGET, &tl);
	rc = t ? ps_target_norm(t, tl, out, cap, NULL) : -1;
	if (rc < 0)
		return refuse(why, "the server has no usable target (psctl "
			      "check)", PS_ERR_BADVALUE);
	return copy_out(out, (size_t)rc, s + h, n - h, out, cap, why);
}

/* ------------------------------------------------------------ identifiers */

struct each_id {
	ps_profile_id_fn fn;
	void *arg;
};

static int id_text(const void *buf, const struct ps__id *id, void *arg)
{
	struct each_id *a = arg;
	char t[PS_CFG_TEXT_MAX + 1];
	struct sb s;

	(void)buf;
	ps__sb_init(&s, t, sizeof t);
	ps__sb_id(&s, id->kind, id->v, id->n);
	return a->fn(ps__id_field[id->kind], t, a->arg);
}

int ps_profile_each_id(const void *buf, int prof, ps_profile_id_fn fn,
		       void *arg)
{
	struct each_id a = { fn, arg };

	if (prof < 0 || psf_sig(buf, prof) != PSF_PROFILE)
		return PS_ERR_INVAL;
	return ps__ids_of(buf, prof, PS_OBJ_PROFILE, id_text, &a);
}
