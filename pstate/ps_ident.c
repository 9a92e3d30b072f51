/*
 * ps_ident.c - machine identifiers (UUID, serial number, MAC, WWN) are
 * unique among the VMs and profiles of a store, but for a VM and the
 * profile it carries.  One walker enumerates them (ps__each_id) and one
 * check (ps__ident_clash) applies the rule for setting a field, assigning
 * a profile, placing a profile copy (ps_profile_check_ids) and the
 * whole-store check.  Freestanding.
 */
#include "ps_cfg_internal.h"

const char *const ps__id_field[] = { "uuid", "mac", "serial", "wwn" };

void ps__sb_id(struct sb *s, enum ident kind, const uint8_t *v, uint32_t n)
{
	/* The text of ps_fmt_uuid, ps_fmt_mac and ps_fmt_wwn. */
	if (kind == ID_SERIAL)
		ps__sb_put(s, (const char *)v, n);
	else if (kind == ID_UUID)
		ps__sb_uuid(s, v);
	else
		ps__sb_hex(s, v, n, ':');
}

int ps__carries(const void *buf, int vm, int prof)
{
	uint32_t len;
	const char *p = prof < 0 ? NULL : ps__str_of(buf, prof, PSF_NAME, &len);

	return p && ps__str_is(buf, vm, PSF_PROFILE_REF, p, len);
}

static int give(const void *buf, struct ps__id *id, enum ident kind,
		const uint8_t *v, uint32_t n, ps__id_fn fn, void *arg)
{
	/* All-zero is "not set" (ps_parse_* refuse it as a value). */
	if (!v || !n || ps__all_zero(v, n))
		return 0;
	id->kind = kind;
	id->v = v;
	id->n = n;
	return fn(buf, id, arg);
}

/* The UUID (at uuid_off of record rec) and serial number of el. */
static int machine_ids(const void *buf, struct ps__id *id, uint32_t rec,
		       uint32_t uuid_off, ps__id_fn fn, void *arg)
{
	uint32_t len;
	const uint8_t *p = psf_child_payload(buf, id->owner, rec, &len);
	int rc;

	rc = give(buf, id, ID_UUID, p && len >= uuid_off + 16 ? p + uuid_off
							     : NULL,
		  16, fn, arg);
	if (rc)
		return rc;
	p = psf_child_payload(buf, id->owner, PSF_SERIAL_NUMBER, &len);
	return give(buf, id, ID_SERIAL, p, p ? len : 0, fn, arg);
}

/* The items of a list (whole items of step bytes, n at a time). */
static int list_ids(const void *buf, struct ps__id *id, uint32_t sig,
		    enum ident kind, uint32_t step, uint32_t n, ps__id_fn fn,
		    void *arg)
{
	uint32_t len, i, j;
	const uint8_t *p = psf_child_payload(buf, id->owner, sig, &len);
	int rc;

	for (i = 0; p && i + step <= len; i += step)
		for (j = 0; j + n <= step; j += n) {
			rc = give(buf, id, kind, p + i + j, n, fn, arg);
			if (rc)
				return rc;
		}
	return 0;
}

int ps__ids_of(const void *buf, int el, enum ps_obj kind, ps__id_fn fn,
	       void *arg)
{
	struct ps__id id = { ID_UUID, NULL, 0, el, kind, -1 };
	uint32_t len;
	const uint8_t *p;
	int c, rc;

	if (kind == PS_OBJ_PROFILE) {
		rc = machine_ids(buf, &id, PSF_PROFILE_CONFIG, PSF_PROC_UUID,
				 fn, arg);
		if (!rc)
			rc = list_ids(buf, &id, PSF_MAC_LIST, ID_MAC,
				      PSF_MAC_LEN, 6, fn, arg);
		return rc ? rc : list_ids(buf, &id, PSF_WWN_LIST, ID_WWN,
					  PSF_WWN_ITEM_LEN, 8, fn, arg);
	}
	rc = machine_ids(buf, &id, PSF_VM_CONFIG, PSF_VMC_UUID, fn, arg);
	for (c = ps_obj_next(buf, el, PS_OBJ_NIC, -1); !rc && c >= 0;
	     c = ps_obj_next(buf, el, PS_OBJ_NIC, c)) {
		p = psf_child_payload(buf, c, PSF_NIC_CONFIG, &len);
		id.el = c;
		rc = give(buf, &id, ID_MAC,
			  p && len >= PSF_NICC_MAC + 6 ? p + PSF_NICC_MAC
						       : NULL,
			  6, fn, arg);
	}
	return rc;
}

int ps__each_id(const void *buf, ps__id_fn fn, void *arg)
{
	int root = psf_root(buf), el, rc = 0;

	for (el = ps_obj_next(buf, root, PS_OBJ_VM, -1); !rc && el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_VM, el))
		rc = ps__ids_of(buf, el, PS_OBJ_VM, fn, arg);
	for (el = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); !rc && el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_PROFILE, el))
		rc = ps__ids_of(buf, el, PS_OBJ_PROFILE, fn, arg);
	return rc;
}

int ps__id_exempt(const void *buf, const struct ps__id *id,
		  const struct asker *a)
{
	if (id->owner_kind == PS_OBJ_VM) {
		/* The asker's own value is the one being replaced. */
		return id->owner == a->skip_vm ||
		       (id->el < 0 ? id->owner == a->self : id->el == a->self) ||
		       (a->owner_kind == PS_OBJ_PROFILE &&
			ps__carries(buf, id->owner, a->owner));
	}
	return id->owner == a->self || id->owner == a->skip_prof ||
	       (a->owner_kind == PS_OBJ_VM && a->owner >= 0 &&
		ps__carries(buf, a->owner, id->owner));
}

/* The search of ps__ident_clash: the value, who asks, who holds it. */
struct want {
	enum ident kind;
	const uint8_t *v;
	uint32_t n;
	const struct asker *a;
	struct ps_cfg_err *e;
};

int ps__fail_in_use(const void *buf, int el, enum ps_obj k, int vm,
		    struct ps_cfg_err *e)
{
	ps__holder_of(buf, el, k, vm, e);
	return ps__fail(e, PS_ERR_DUPLICATE, "already in use");
}

static int holds(const void *buf, const struct ps__id *id, void *arg)
{
	struct want *w = arg;

	if (id->kind != w->kind || id->n != w->n ||
	    psf_memcmp(id->v, w->v, w->n) || ps__id_exempt(buf, id, w->a))
		return 0;
	if (id->el >= 0)
		return ps__fail_in_use(buf, id->el, PS_OBJ_NIC, id->owner,
				       w->e);
	return ps__fail_in_use(buf, id->owner, id->owner_kind, -1, w->e);
}

int ps__ident_clash(const void *buf, enum ident kind, const uint8_t *v,
		    uint32_t n, const struct asker *a, struct ps_cfg_err *e)
{
	struct want w = { kind, v, n, a, e };
	int rc = ps__each_id(buf, holds, &w);

	/* Nobody holds it: a reservation for another profile may still. */
	return rc ? rc : ps__resv_clash(buf, kind, v, n, a, e);
}

/* Does the VM hold any identity value (UUID, serial, a NIC's MAC) of the
 * profile?  (arg: the profile) */
static int shared(const void *buf, const struct ps__id *id, void *arg)
{
	const int *pr = arg;
	struct asker none = { -1, -1, PS_OBJ_VM, -1, -1 };
	struct want w = { id->kind, id->v, id->n, &none, NULL };

	return ps__ids_of(buf, *pr, PS_OBJ_PROFILE, holds, &w) ? 1 : 0;
}

static int vm_shares(const void *buf, int vm, int pr)
{
	return ps__ids_of(buf, vm, PS_OBJ_VM, shared, &pr);
}

int ps__holds(const void *buf, int el, enum ps_obj kind, enum ident id,
	      const uint8_t *v, uint32_t n)
{
	struct asker none = { -1, -1, PS_OBJ_VM, -1, -1 };
	struct want w = { id, v, n, &none, NULL };

	return ps__ids_of(buf, el, kind, holds, &w) ? 1 : 0;
}

/*
 * A VM's profile reference set to (ref, n) (n 0: dropped).  The VM may
 * share its identity only with the profile it carries: changing or
 * dropping the reference while it still holds another profile's UUID,
 * serial or MACs would leave them on two holders.  Profile assign and
 * unassign move the identity along with the reference.
 */
int ps__ref_change_clash(const void *buf, int vm, const uint8_t *ref,
			    uint32_t n, struct ps_cfg_err *e)
{
	int root = psf_root(buf), pr;
	uint32_t len;
	const char *name;

	for (pr = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); pr >= 0;
	     pr = ps_obj_next(buf, root, PS_OBJ_PROFILE, pr)) {
		name = ps__str_of(buf, pr, PSF_NAME, &len);
		if (name && n && len == n && !psf_memcmp(name, ref, n))
			continue;
		if (vm_shares(buf, vm, pr)) {
			ps__holder_of(buf, pr, PS_OBJ_PROFILE, -1, e);
			return ps__fail(e, PS_ERR_DUPLICATE, "without profile "
				    "unassign it would keep the identity "
				    "given");
		}
	}
	return 0;
}
/* The VM carrying profile prof other than skip, or -1. */
int ps__carrier(const void *buf, int prof, int skip)
{
	int root = psf_root(buf), vm;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		if (vm != skip && ps__carries(buf, vm, prof))
			return vm;
	return -1;
}
