/*
 * ps_ident.c - machine identifiers (UUID, serial number, MAC, WWN) are
 * unique among the VMs and profiles of a store, but for a VM and the
 * profile it carries.  Freestanding.
 */
#include "ps_cfg_internal.h"

/* A VM that carries a profile shares its identity: not a clash. */
int ps__carries(const void *buf, int vm, int prof)
{
	uint32_t len;
	const char *p = ps__str_of(buf, prof, PSF_NAME, &len);

	return p && ps__str_is(buf, vm, PSF_PROFILE_REF, p, len);
}

static int vm_has(const void *buf, int vm, enum ident id, const uint8_t *v,
		  uint32_t n, const struct asker *a, int *nic)
{
	uint8_t tmp[16];
	int el;

	*nic = -1;
	if (id == ID_UUID && vm != a->self) {
		ps__rec_bytes(buf, vm, PSF_VM_CONFIG, PSF_VMC_UUID, tmp, 16);
		return psf_memcmp(tmp, v, 16) == 0;
	}
	if (id == ID_SERIAL && vm != a->self)
		return ps__str_is(buf, vm, PSF_SERIAL_NUMBER, (const char *)v, n);
	if (id != ID_MAC)
		return 0;
	for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
	     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) {
		ps__rec_bytes(buf, el, PSF_NIC_CONFIG, PSF_NICC_MAC, tmp, 6);
		if (el != a->self && psf_memcmp(tmp, v, 6) == 0)
			return *nic = el, 1;
	}
	return 0;
}

/* Does a list payload hold the item v (size n, at stride step)? */
int ps__list_has(const uint8_t *p, uint32_t len, uint32_t step,
		    const uint8_t *v, uint32_t n)
{
	uint32_t i;

	for (i = 0; p && i + step <= len; i += step)
		if (psf_memcmp(p + i, v, n) == 0 ||
		    (step == 16 && psf_memcmp(p + i + 8, v, n) == 0))
			return 1;
	return 0;
}

static int profile_has(const void *buf, int pr, enum ident id,
		       const uint8_t *v, uint32_t n)
{
	uint8_t tmp[16];
	uint32_t len;
	const uint8_t *p;

	switch (id) {
	case ID_UUID:
		ps__rec_bytes(buf, pr, PSF_PROFILE_CONFIG, PSF_PROC_UUID, tmp, 16);
		return psf_memcmp(tmp, v, 16) == 0;
	case ID_SERIAL:
		return ps__str_is(buf, pr, PSF_SERIAL_NUMBER, (const char *)v, n);
	case ID_MAC:
		p = psf_child_payload(buf, pr, PSF_MAC_LIST, &len);
		return ps__list_has(p, len, PSF_MAC_LEN, v, 6);
	case ID_WWN:
		p = psf_child_payload(buf, pr, PSF_WWN_LIST, &len);
		return ps__list_has(p, len, PSF_WWN_ITEM_LEN, v, 8);
	}
	return 0;
}

/* PS_ERR_DUPLICATE naming the holder when v is used elsewhere. */
int ps__ident_clash(const void *buf, enum ident id, const uint8_t *v,
		       uint32_t n, const struct asker *a,
		       struct ps_cfg_err *e)
{
	int root = psf_root(buf), el, nic;

	for (el = ps_obj_next(buf, root, PS_OBJ_VM, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_VM, el)) {
		if (el == a->skip_vm ||
		    (a->owner_kind == PS_OBJ_PROFILE && ps__carries(buf, el, a->owner)))
			continue;
		if (vm_has(buf, el, id, v, n, a, &nic)) {
			if (nic >= 0)
				ps__holder_of(buf, nic, PS_OBJ_NIC, el, e);
			else
				ps__holder_of(buf, el, PS_OBJ_VM, -1, e);
			return ps__fail(e, PS_ERR_DUPLICATE, "already in use");
		}
	}
	for (el = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_PROFILE, el)) {
		if (el == a->self || el == a->skip_prof ||
		    (a->owner_kind == PS_OBJ_VM && ps__carries(buf, a->owner, el)))
			continue;
		if (profile_has(buf, el, id, v, n)) {
			ps__holder_of(buf, el, PS_OBJ_PROFILE, -1, e);
			return ps__fail(e, PS_ERR_DUPLICATE, "already in use");
		}
	}
	return 0;
}

/* Does the VM hold any identity value (UUID, serial, a NIC's MAC) of the
 * profile pr? */
static int vm_shares(const void *buf, int vm, int pr)
{
	uint8_t tmp[16];
	uint32_t len;
	const char *sn;
	int nic;

	ps__rec_bytes(buf, vm, PSF_VM_CONFIG, PSF_VMC_UUID, tmp, 16);
	if (!ps__all_zero(tmp, 16) && profile_has(buf, pr, ID_UUID, tmp, 16))
		return 1;
	sn = ps__str_of(buf, vm, PSF_SERIAL_NUMBER, &len);
	if (sn && len && profile_has(buf, pr, ID_SERIAL, (const uint8_t *)sn,
				     len))
		return 1;
	for (nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); nic >= 0;
	     nic = ps_obj_next(buf, vm, PS_OBJ_NIC, nic)) {
		ps__rec_bytes(buf, nic, PSF_NIC_CONFIG, PSF_NICC_MAC, tmp, 6);
		if (!ps__all_zero(tmp, 6) && profile_has(buf, pr, ID_MAC, tmp, 6))
			return 1;
	}
	return 0;
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
