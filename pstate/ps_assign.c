/*
 * ps_assign.c - profile assignment: a VM or physical target takes a
 * profile's identity, and gives it back on unassign.  Freestanding.
 */
#include "ps_cfg_internal.h"

int ps__fail_carries(struct ps_cfg_err *e, const char *name, uint32_t n)
{
	ps__holder_quoted(e, "profile '", name, n);
	return ps__fail_at(e, PS_ERR_INUSE, "target", "already carries");
}

int ps__fail_carried_by(const void *buf, int vm, struct ps_cfg_err *e)
{
	if (vm >= 0)
		ps__holder_of(buf, vm, PS_OBJ_VM, -1, e);
	else
		ps__holder_quoted(e, "this host", NULL, 0);
	return ps__fail_at(e, PS_ERR_INUSE, NULL, "already carried by");
}

int ps__target_vm(const void *buf, const char *name, size_t n,
		  struct ps_cfg_err *e)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, name, n);

	return vm < 0 ? ps__fail_at(e, PSF_ERR_NOTFOUND, "target",
				    "no such vm") : vm;
}

/* e->holder = "vm 'NAME'" or the target text, for "already assigned". */
static void holder_target(const void *buf, int prof, struct ps_cfg_err *e)
{
	uint32_t len;
	const char *t = ps__str_of(buf, prof, PSF_TARGET, &len);

	ps__holder_quoted(e, ps__rec_uint(buf, prof, PSF_PROFILE_CONFIG,
					  PSF_PROC_TARGET_KIND, 1) ==
				     PSF_TARGET_VM ? "vm '" : "'",
			  t ? t : "", len);
}

static void value_mac(struct ps_cfg_err *e, const uint8_t *m)
{
	if (e)
		ps_fmt_mac(m, e->value);
}

/* Write the profile's assignment: state, target kind, target text. */
static int write_assignment(void *buf, size_t cap, int prof, uint8_t state,
			    uint8_t kind, const char *t, size_t tn)
{
	const struct ps_field *fs = ps_obj_field(PS_OBJ_PROFILE, "state", 5);
	const struct ps_field *fk =
		ps_obj_field(PS_OBJ_PROFILE, "target-kind", 11);
	int rc = ps__write_field(buf, cap, prof, PS_OBJ_PROFILE, fs, &state);

	if (!rc)
		rc = ps__write_field(buf, cap, prof, PS_OBJ_PROFILE, fk, &kind);
	if (rc)
		return rc;
	if (!tn)
		return ps__drop_child(buf, prof, PSF_TARGET);
	rc = ps__put_child(buf, cap, prof, PSF_TARGET, t, (uint32_t)tn);
	return rc < 0 ? rc : 0;
}

/* NIC number i of vm (pads not counted), or -1. */
static int nic_at(const void *buf, int vm, uint32_t i)
{
	int el;

	for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0 && i;
	     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
		i--;
	return el < 0 ? -1 : el;
}

/* Give NIC i of the VM named (vn, vl) the MAC m. */
static int write_nic_mac(void *buf, size_t cap, const char *vn, size_t vl,
			 uint32_t i, const uint8_t *m)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vn, vl);
	int nic = vm < 0 ? vm : nic_at(buf, vm, i);

	if (nic < 0)
		return PSF_ERR_NOTFOUND;
	return ps__write_field(buf, cap, nic, PS_OBJ_NIC,
			   ps_obj_field(PS_OBJ_NIC, "mac", 3), m);
}

/* The boot parameters come with the identity: the VM takes the profile's
 * boot order (when it has one), and PXE when that starts from the
 * network. */
static int assign_boot(void *buf, size_t cap, const char *pn, uint32_t pl,
		       const char *vn, size_t vl)
{
	uint8_t order[PS_CFG_BOOT_MAX], on = 1;
	const uint8_t *p;
	uint32_t len = 0;
	int el = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pn, pl), vm;
	int rc;

	p = el < 0 ? NULL : psf_child_payload(buf, el, PSF_BOOT_ORDER, &len);
	if (!p || !len)
		return 0;
	if (len > sizeof(order))
		len = sizeof(order);
	psf_memcpy(order, p, len);
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vn, vl);
	rc = vm < 0 ? vm : ps__put_child(buf, cap, vm, PSF_BOOT_ORDER, order, len);
	if (rc < 0)
		return rc;
	if (order[0] != PSF_BOOT_NETWORK)
		return 0;
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vn, vl);
	return vm < 0 ? vm : ps__write_field(buf, cap, vm, PS_OBJ_VM,
					 ps_obj_field(PS_OBJ_VM, "pxe", 3),
					 &on);
}

/* What ps_profile_assign gives a VM, gathered by the checks and used by
 * the writes (the profile and the VM are found again by name: edits may
 * move what follows them). */
struct plan {
	char pname[PS_CFG_NAME_MAX], vname[PS_CFG_NAME_MAX];
	uint32_t plen;
	size_t vl;
	uint8_t uuid[16];
	uint32_t count;         /* NICs that take a MAC of the list */
	int serial;             /* the profile has a serial number */
};

/* The state of the profile and who carries it allow the assignment. */
static int assign_free(const void *buf, int prof, int vm,
		       struct ps_cfg_err *e)
{
	uint64_t state = ps__rec_uint(buf, prof, PSF_PROFILE_CONFIG,
				      PSF_PROC_STATE, 1);
	int other;

	/* One assignment at a time: unassign first. */
	if (state != PSF_PROFILE_UNASSIGNED) {
		holder_target(buf, prof, e);
		if (e)
			e->field = NULL;
		return ps__fail(e, PS_ERR_INUSE,
				state == PSF_PROFILE_ASSIGNED
					? "already assigned to"
					: "in transit (a move was interrupted) to");
	}
	other = ps__carrier(buf, prof, vm);
	return other >= 0 ? ps__fail_carried_by(buf, other, e) : 0;
}

/* The VM carries no other profile. */
static int vm_free(const void *buf, int vm, const struct plan *pl,
		   struct ps_cfg_err *e)
{
	uint32_t len;
	const char *p = ps__str_of(buf, vm, PSF_PROFILE_REF, &len);

	if (!p || ps__same(p, len, pl->pname, pl->plen))
		return 0;
	return ps__fail_carries(e, p, len > 64 ? 64 : len);
}

/* The MACs of the list the VM's NICs take, in NIC order: each free in
 * the store and among the VM's other NICs. */
static int check_macs(const void *buf, int prof, int vm, struct plan *pl,
		      const struct asker *a, struct ps_cfg_err *e)
{
	uint8_t tmp[6];
	uint32_t mlen = 0, i, j;
	const uint8_t *macs = psf_child_payload(buf, prof, PSF_MAC_LIST, &mlen);
	int el, rc;

	pl->count = 0;
	for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
	     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
		pl->count++;
	if (!macs)
		pl->count = 0;
	else if (pl->count > mlen / PSF_MAC_LEN)
		pl->count = mlen / PSF_MAC_LEN;
	if (pl->count > PS_CFG_LIST_MAX)
		pl->count = PS_CFG_LIST_MAX;
	for (i = 0; i < pl->count; i++) {
		const uint8_t *m = macs + i * PSF_MAC_LEN;

		ps__err_init(e, "mac");
		value_mac(e, m);
		for (j = 0; j < i; j++)
			if (psf_memcmp(m, macs + j * PSF_MAC_LEN, 6) == 0)
				return ps__fail(e, PS_ERR_DUPLICATE,
						"listed twice in the profile");
		rc = ps__ident_clash(buf, ID_MAC, m, 6, a, e);
		if (rc)
			return rc;
		/* The VM's NICs past the list keep their MACs. */
		for (j = 0, el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
		     el >= 0; j++, el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) {
			if (j < pl->count)
				continue;
			ps__rec_bytes(buf, el, PSF_NIC_CONFIG, PSF_NICC_MAC,
				      tmp, 6);
			if (psf_memcmp(tmp, m, 6) == 0)
				return ps__fail_in_use(buf, el, PS_OBJ_NIC, vm,
						       e);
		}
	}
	return 0;
}

/* The identity the VM will take, checked as the VM will hold it. */
static int assign_check(const void *buf, int prof, int vm, struct plan *pl,
			struct ps_cfg_err *e)
{
	struct asker a = { -1, vm, PS_OBJ_VM, vm, prof };
	const char *serial;
	uint32_t slen;
	struct sb s;
	int rc = vm_free(buf, vm, pl, e);

	if (rc)
		return rc;
	ps__rec_bytes(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_UUID, pl->uuid,
		      16);
	if (!ps__all_zero(pl->uuid, 16)) {
		ps__err_init(e, "uuid");
		if (e)
			ps_fmt_uuid(pl->uuid, e->value);
		rc = ps__ident_clash(buf, ID_UUID, pl->uuid, 16, &a, e);
		if (rc)
			return rc;
	}
	serial = ps__str_of(buf, prof, PSF_SERIAL_NUMBER, &slen);
	pl->serial = serial && slen;
	if (pl->serial) {
		ps__err_init(e, "serial");
		if (e) {
			ps__sb_init(&s, e->value, sizeof(e->value));
			ps__sb_put(&s, serial, slen);
		}
		rc = ps__ident_clash(buf, ID_SERIAL, (const uint8_t *)serial,
				     slen, &a, e);
		if (rc)
			return rc;
	}
	rc = check_macs(buf, prof, vm, pl, &a, e);
	if (!rc)
		ps__err_init(e, NULL);
	return rc;
}

/* The VM takes the profile's serial number. */
static int write_serial(void *buf, size_t cap, const struct plan *pl)
{
	uint8_t sn[PS_CFG_SERIAL_MAX];
	const char *serial;
	uint32_t slen;
	int el = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pl->pname,
			     pl->plen), vm;

	serial = el < 0 ? NULL : ps__str_of(buf, el, PSF_SERIAL_NUMBER, &slen);
	if (!serial || slen > sizeof(sn))
		return PSF_ERR_NOTFOUND;
	psf_memcpy(sn, serial, slen);
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, pl->vname, pl->vl);
	vm = vm < 0 ? vm : ps__put_child(buf, cap, vm, PSF_SERIAL_NUMBER, sn,
					 slen);
	return vm < 0 ? vm : 0;
}

/* Every check passed: write.  The profile first, then the VM. */
static int assign_write(void *buf, size_t cap, int prof,
			const struct plan *pl)
{
	uint8_t tmp[6];
	const uint8_t *macs;
	uint32_t mlen, i;
	int vm, el, rc;

	rc = write_assignment(buf, cap, prof, PSF_PROFILE_ASSIGNED,
			      PSF_TARGET_VM, pl->vname, pl->vl);
	if (rc)
		return rc;
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, pl->vname, pl->vl);
	if (vm < 0)
		return vm;
	rc = ps__put_child(buf, cap, vm, PSF_PROFILE_REF, pl->pname, pl->plen);
	if (rc < 0)
		return rc;
	if (!ps__all_zero(pl->uuid, 16)) {
		rc = ps__write_field(buf, cap, vm, PS_OBJ_VM,
				     ps_obj_field(PS_OBJ_VM, "uuid", 4),
				     pl->uuid);
		if (rc)
			return rc;
	}
	for (i = 0; i < pl->count; i++) {
		/* Read the MAC again: the profile may have moved. */
		el = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pl->pname,
				 pl->plen);
		macs = el < 0 ? NULL
			      : psf_child_payload(buf, el, PSF_MAC_LIST, &mlen);
		if (!macs || mlen < (i + 1) * PSF_MAC_LEN)
			return PSF_ERR_NOTFOUND;
		psf_memcpy(tmp, macs + i * PSF_MAC_LEN, 6);
		rc = write_nic_mac(buf, cap, pl->vname, pl->vl, i, tmp);
		if (rc)
			return rc;
	}
	rc = pl->serial ? write_serial(buf, cap, pl) : 0;
	return rc ? rc : assign_boot(buf, cap, pl->pname, pl->plen, pl->vname,
				     pl->vl);
}

int ps_profile_assign(void *buf, size_t cap, int prof, const char *target,
		      size_t n, struct ps_cfg_err *e)
{
	struct plan pl;
	uint8_t kind;
	size_t vo;
	const char *p, *why = NULL;
	int vm = -1, rc;

	ps__err_init(e, "target");
	if (psf_sig(buf, prof) != PSF_PROFILE)
		return PSF_ERR_BADVALUE;
	if (ps_parse_target(target, n, &kind, &vo, &pl.vl, &why))
		return ps__fail(e, PS_ERR_BADVALUE, why);
	p = ps__str_of(buf, prof, PSF_NAME, &pl.plen);
	if (!p || pl.plen > PS_CFG_NAME_MAX)
		return ps__fail(e, PS_ERR_BADVALUE, "profile has no valid name");
	psf_memcpy(pl.pname, p, pl.plen);
	if (kind == PSF_TARGET_VM) {
		vm = ps__target_vm(buf, target + vo, pl.vl, e);
		if (vm < 0)
			return vm;
		psf_memcpy(pl.vname, target + vo, pl.vl);
	}
	rc = assign_free(buf, prof, vm, e);
	if (rc)
		return rc;
	if (kind == PSF_TARGET_PHYSICAL)
		return write_assignment(buf, cap, prof, PSF_PROFILE_ASSIGNED,
					kind, target, n);
	rc = assign_check(buf, prof, vm, &pl, e);
	return rc ? rc : assign_write(buf, cap, prof, &pl);
}

/*
 * A VM that stops carrying profile prof: every value it shares with the
 * profile is replaced -- UUID and NIC MACs by fresh ones from rnd, the
 * serial number removed -- and its profile-ref dropped.  *used counts the
 * random bytes taken.  Checks first, then writes.
 */
static int release_vm(void *buf, size_t cap, int prof, int vm,
		      const uint8_t *rnd, size_t rndlen, size_t *used,
		      struct ps_cfg_err *e)
{
	char vname[PS_CFG_NAME_MAX];
	uint8_t puuid[16], cur[16], nu[16], nm[PS_CFG_LIST_MAX][6];
	int renew[PS_CFG_LIST_MAX];
	struct asker a = { -1, vm, PS_OBJ_VM, -1, -1 };
	const char *p;
	uint32_t vl, i, j, slen_;
	int el, rc, new_uuid = 0, drop_serial = 0;

	p = ps__str_of(buf, vm, PSF_NAME, &vl);
	if (!p || vl > PS_CFG_NAME_MAX)
		return PSF_ERR_BADVALUE;
	psf_memcpy(vname, p, vl);
	ps__rec_bytes(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_UUID, puuid, 16);
	ps__rec_bytes(buf, vm, PSF_VM_CONFIG, PSF_VMC_UUID, cur, 16);
	if (!ps__all_zero(puuid, 16) && psf_memcmp(puuid, cur, 16) == 0) {
		if (*used + 16 > rndlen)
			return ps__fail(e, PS_ERR_BADVALUE, "not enough random bytes");
		ps_gen_uuid(rnd + *used, nu);
		*used += 16;
		new_uuid = 1;
		ps__err_init(e, "uuid");
		rc = ps__ident_clash(buf, ID_UUID, nu, 16, &a, e);
		if (rc)
			return rc;
	}
	p = ps__str_of(buf, prof, PSF_SERIAL_NUMBER, &slen_);
	drop_serial = p && slen_ && ps__str_is(buf, vm, PSF_SERIAL_NUMBER, p, slen_);
	for (i = 0, el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
	     el >= 0 && i < PS_CFG_LIST_MAX;
	     i++, el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) {
		renew[i] = 0;
		ps__rec_bytes(buf, el, PSF_NIC_CONFIG, PSF_NICC_MAC, cur, 6);
		if (!ps__holds(buf, prof, PS_OBJ_PROFILE, ID_MAC, cur, 6))
			continue;
		if (*used + 6 > rndlen)
			return ps__fail(e, PS_ERR_BADVALUE, "not enough random bytes");
		ps_gen_mac(rnd + *used, nm[i]);
		*used += 6;
		renew[i] = 1;
		ps__err_init(e, "mac");
		value_mac(e, nm[i]);
		for (j = 0; j < i; j++)
			if (renew[j] && psf_memcmp(nm[j], nm[i], 6) == 0)
				return ps__fail(e, PS_ERR_DUPLICATE,
					    "generated twice");
		rc = ps__ident_clash(buf, ID_MAC, nm[i], 6, &a, e);
		if (rc)
			return rc;
	}
	ps__err_init(e, NULL);
	rc = ps__drop_child(buf, vm, PSF_PROFILE_REF);
	if (!rc && drop_serial)
		rc = ps__drop_child(buf, vm, PSF_SERIAL_NUMBER);
	if (!rc && new_uuid)
		rc = ps__write_field(buf, cap, vm, PS_OBJ_VM,
				 ps_obj_field(PS_OBJ_VM, "uuid", 4), nu);
	for (j = 0; !rc && j < i; j++)
		if (renew[j])
			rc = write_nic_mac(buf, cap, vname, vl, j, nm[j]);
	return rc;
}

int ps_profile_unassign(void *buf, size_t cap, int prof, const uint8_t *rnd,
			size_t rndlen, struct ps_cfg_err *e)
{
	char pname[PS_CFG_NAME_MAX];
	const char *p;
	uint32_t plen;
	size_t used = 0;
	int vm, rc;

	ps__err_init(e, NULL);
	if (psf_sig(buf, prof) != PSF_PROFILE)
		return PSF_ERR_BADVALUE;
	p = ps__str_of(buf, prof, PSF_NAME, &plen);
	if (!p || plen > PS_CFG_NAME_MAX)
		return ps__fail(e, PS_ERR_BADVALUE, "profile has no valid name");
	psf_memcpy(pname, p, plen);
	/* Every VM carrying it (normally the one it is assigned to). */
	while ((vm = ps__carrier(buf, prof, -1)) >= 0) {
		rc = release_vm(buf, cap, prof, vm, rnd, rndlen, &used, e);
		if (rc)
			return rc;
		prof = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pname,
				   plen);
		if (prof < 0)
			return prof;
	}
	if (ps__rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_STATE, 1) ==
		    PSF_PROFILE_UNASSIGNED &&
	    ps__rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_TARGET_KIND, 1) ==
		    PSF_TARGET_NONE &&
	    psf_find_child(buf, prof, PSF_TARGET) == PSF_ERR_NOTFOUND)
		return 0;  /* nothing to clear: no write */
	return write_assignment(buf, cap, prof, PSF_PROFILE_UNASSIGNED,
				PSF_TARGET_NONE, NULL, 0);
}
