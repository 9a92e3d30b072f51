/*
 * ps_obj.c - objects of the schema: find, name, create, delete, and who
 * refers to them.  Freestanding.
 */
#include "ps_cfg_internal.h"

int ps__port_of(const void *buf, int elem)
{
	return (int)ps__rec_uint(buf, elem, PSF_SERIAL_CONFIG, PSF_SERC_PORT, 2);
}

int ps_obj_next(const void *buf, int parent, enum ps_obj k, int prev)
{
	int set;

	if (!ps__kind_ok(k))
		return PSF_ERR_BADVALUE;
	set = psf_find_child(buf, parent, ps__kinds[k].set);
	if (set < 0)
		return set;
	return psf_find_next(buf, set, prev, ps__kinds[k].sig);
}

int ps_obj_find(const void *buf, int parent, enum ps_obj k, const char *s,
		size_t n)
{
	uint64_t port = 0;
	int el;

	if (!ps__kind_ok(k))
		return PSF_ERR_BADVALUE;
	if (ps__kinds[k].by_port &&
	    ps_parse_uint(s, n, 0, 65535, &port, NULL))
		return PSF_ERR_NOTFOUND;
	for (el = ps_obj_next(buf, parent, k, -1); el >= 0;
	     el = ps_obj_next(buf, parent, k, el)) {
		if (ps__kinds[k].by_port ? ps__port_of(buf, el) == (int)port
				     : ps__str_is(buf, el, PSF_NAME, s, n))
			return el;
	}
	return el == PSF_ERR_NOTFOUND || el >= 0 ? PSF_ERR_NOTFOUND : el;
}

size_t ps_obj_key(const void *buf, int elem, enum ps_obj k, char *out,
		  size_t outlen)
{
	struct sb s;
	uint32_t len;
	const char *p;

	ps__sb_init(&s, out, outlen);
	if (ps__kind_ok(k) && ps__kinds[k].by_port) {
		ps__sb_u64(&s, (uint64_t)ps__port_of(buf, elem));
	} else {
		p = ps__str_of(buf, elem, PSF_NAME, &len);
		ps__sb_put(&s, p ? p : "", len);
	}
	return s.len;
}

/* "nic 'eth0' of vm 'web1'": kind and key of elem, and of its VM when
 * it lies under one. */
void ps__sb_who(struct sb *s, const void *buf, int elem, enum ps_obj k,
		int vm)
{
	char key[PS_CFG_NAME_MAX + 1];

	ps__sb_str(s, ps__kinds[k].name);
	ps__sb_put(s, " '", 2);
	ps_obj_key(buf, elem, k, key, sizeof(key));
	ps__sb_str(s, key);
	ps__sb_put(s, "'", 1);
	if (vm >= 0) {
		ps__sb_str(s, " of vm '");
		ps_obj_key(buf, vm, PS_OBJ_VM, key, sizeof(key));
		ps__sb_str(s, key);
		ps__sb_put(s, "'", 1);
	}
}

int ps__serial_at(const void *buf, int vm, uint64_t port)
{
	char key[24];
	struct sb s;

	ps__sb_init(&s, key, sizeof(key));
	ps__sb_u64(&s, port);
	return ps_obj_find(buf, vm, PS_OBJ_SERIAL, key, s.len);
}

void ps__holder_of(const void *buf, int elem, enum ps_obj k, int vm,
		   struct ps_cfg_err *e)
{
	struct sb s;

	if (!e)
		return;
	ps__sb_init(&s, e->holder, sizeof(e->holder));
	ps__sb_who(&s, buf, elem, k, vm);
}


/* The set of kind k under parent, created (with room) when missing. */
static int need_set(void *buf, size_t cap, int parent, enum ps_obj k)
{
	const struct kind *kd = &ps__kinds[k];
	uint32_t room = kd->sub ? 0 : PS_CFG_ROOM_SET, at;
	struct room r;
	int set = psf_find_child(buf, parent, kd->set), rc;

	if (set != PSF_ERR_NOTFOUND)
		return set;
	at = ps__append_point(buf, parent);
	ps__room_take(buf, parent, at,
		  PSF_CONTAINER_HDR + (room ? PSF_STRUCT_HDR + room : 0), &r);
	set = psf_insert(buf, cap, parent, ps__child_at(buf, parent, at), kd->set,
			 NULL, 0);
	if (set < 0)
		return set;
	if (room) {
		rc = psf_insert(buf, cap, set, -1, PSF_PAD, NULL, room);
		if (rc < 0)
			return rc;
	}
	rc = ps__room_give(buf, cap, &r);
	return rc ? rc : set;
}

static int check_key(enum ps_obj k, const char *s, size_t n, uint64_t *port,
		     struct ps_cfg_err *e)
{
	const char *why = NULL;
	int rc;

	if (ps__kinds[k].by_port) {
		ps__err_init(e, "port");
		rc = ps_parse_uint(s, n, 0, 255, port, &why);
	} else {
		ps__err_init(e, "name");
		rc = ps_check_name(s, n, &why);
	}
	return rc ? ps__fail(e, rc, why) : 0;
}

/* A new record holds each integer field's smallest allowed value (0 for
 * most; a VM's cpus 1): every value a store holds is one the edits and
 * the whole-store check accept. */
static void rec_minimums(const struct kind *kd, uint8_t *rec)
{
	const struct ps_field *f;
	uint32_t i;

	for (f = kd->fields; f->name; f++)
		if (f->type == PS_FT_UINT && f->sig == kd->rec && !f->in &&
		    f->min)
			for (i = 0; i < f->width; i++)
				rec[f->off + i] = (uint8_t)(f->min >> (8 * i));
}

int ps_obj_create(void *buf, size_t cap, int parent, enum ps_obj k,
		  const char *s, size_t n, struct ps_cfg_err *e)
{
	const struct kind *kd;
	uint8_t rec[64];
	uint64_t port = 0;
	uint32_t at, need;
	struct room r;
	int set, el, rc;

	if (!ps__kind_ok(k))
		return PSF_ERR_BADVALUE;
	kd = &ps__kinds[k];
	rc = check_key(k, s, n, &port, e);
	if (rc)
		return rc;
	if (ps_obj_find(buf, parent, k, s, n) >= 0)
		return ps__fail(e, PS_ERR_EXISTS, "already exists");
	set = need_set(buf, cap, parent, k);
	if (set < 0)
		return set;
	psf_memset(rec, 0, sizeof(rec));
	if (kd->by_port)
		psf_put_le16(rec + PSF_SERC_PORT, (uint16_t)port);
	rec_minimums(kd, rec);
	need = PSF_CONTAINER_HDR + (kd->rec ? PSF_STRUCT_HDR + kd->rec_len : 0) +
	       PSF_STRUCT_HDR + kd->room +
	       (kd->by_port ? 0 : PSF_STRUCT_HDR + (uint32_t)n);
	at = ps__place(buf, set, need);
	ps__room_take(buf, set, at, need, &r);
	el = psf_insert(buf, cap, set, ps__child_at(buf, set, at), kd->sig, NULL, 0);
	if (el < 0)
		return el;
	rc = kd->by_port ? 0 : psf_insert(buf, cap, el, -1, PSF_NAME, s,
					   (uint32_t)n);
	if (rc >= 0 && kd->rec)
		rc = psf_insert(buf, cap, el, -1, kd->rec, rec, kd->rec_len);
	if (rc >= 0)
		rc = psf_insert(buf, cap, el, -1, PSF_PAD, NULL, kd->room);
	if (rc >= 0)
		rc = ps__room_give(buf, cap, &r);
	return rc < 0 ? rc : el;
}

/* The VM's restart policy names image s as one of its images. */
static int policy_names(const void *buf, int vm, const char *s, size_t n)
{
	int c = psf_find_child(buf, vm, PSF_RESTART_POLICY);

	return c >= 0 && (ps__str_is(buf, c, PSF_CONSISTENCY_IMAGE, s, n) ||
			  ps__str_is(buf, c, PSF_BOOT_IMAGE, s, n));
}

/*
 * Who refers to the object (kind k, name s): a NIC to a network, a
 * controller or a VM's restart policy to an image, a reservation to its
 * owner VM, a VM to its profile.  1 with e->holder set, or 0.
 */
int ps__referenced(const void *buf, enum ps_obj k, const char *s,
		      size_t n, struct ps_cfg_err *e)
{
	int root = psf_root(buf), vm, el;
	enum ps_obj sub = k == PS_OBJ_NETWORK ? PS_OBJ_NIC : PS_OBJ_CONTROLLER;
	uint32_t ref = k == PS_OBJ_NETWORK ? PSF_NETWORK_REF : PSF_IMAGE_REF;

	if (k == PS_OBJ_VM) {
		for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1);
		     el >= 0;
		     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el))
			if (ps__str_is(buf, el, PSF_OWNER, s, n))
				return ps__holder_of(buf, el, PS_OBJ_RESERVATION,
						 -1, e), 1;
		return 0;
	}
	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm)) {
		if (k == PS_OBJ_PROFILE) {
			if (ps__str_is(buf, vm, PSF_PROFILE_REF, s, n))
				return ps__holder_of(buf, vm, PS_OBJ_VM, -1, e), 1;
			continue;
		}
		if (k != PS_OBJ_NETWORK && k != PS_OBJ_IMAGE)
			return 0;
		if (k == PS_OBJ_IMAGE && policy_names(buf, vm, s, n))
			return ps__holder_of(buf, vm, PS_OBJ_VM, -1, e), 1;
		for (el = ps_obj_next(buf, vm, sub, -1); el >= 0;
		     el = ps_obj_next(buf, vm, sub, el))
			if (ps__str_is(buf, el, ref, s, n))
				return ps__holder_of(buf, el, sub, vm, e), 1;
	}
	return 0;
}


int ps__pxe_nic_bad(const void *buf, int vm, uint64_t idx)
{
	int el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
	uint64_t i;

	if (!idx)
		return 0;
	for (i = 0; el >= 0 && i < idx; i++)
		el = ps_obj_next(buf, vm, PS_OBJ_NIC, el);
	return el < 0;
}

int ps__image_user(const void *buf, const char *s, uint32_t n, int skip,
		   int *vmp)
{
	int root = psf_root(buf), vm, el;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm)) {
		if (vm == skip)
			continue;
		for (el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el))
			if (ps__str_is(buf, el, PSF_IMAGE_REF, s, n)) {
				*vmp = vm;
				return el;
			}
	}
	return -1;
}

int ps__image_shareable(const void *buf, int img)
{
	return (ps__rec_uint(buf, img, PSF_IMAGE_CONFIG, PSF_IMGC_FLAGS, 1) &
		PSF_IMGF_SHAREABLE) != 0;
}

void ps__resv_of(const void *buf, int el, struct ps__resv *r)
{
	r->kind = ps__rec_uint(buf, el, PSF_RESERVATION_CONFIG, PSF_RESC_KIND, 1);
	r->first = ps__rec_uint(buf, el, PSF_RESERVATION_CONFIG,
				PSF_RESC_FIRST, 8);
	r->count = ps__rec_uint(buf, el, PSF_RESERVATION_CONFIG,
				PSF_RESC_COUNT, 8);
}

int ps__resv_real(const struct ps__resv *r)
{
	return r->kind != PSF_RESERVE_NONE && r->count &&
	       !(r->kind == PSF_RESERVE_MEMORY && !r->first);
}

/* first + count, saturated: a range may run to the end of the space. */
uint64_t ps__resv_end(const struct ps__resv *r)
{
	return r->first + r->count < r->first ? UINT64_MAX
					      : r->first + r->count;
}

int ps__resv_overlap(const void *buf, int self, const struct ps__resv *r,
		     int later)
{
	int root = psf_root(buf), el;
	struct ps__resv o;

	if (!ps__resv_real(r))
		return -1;
	for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION,
			      later ? self : -1);
	     el >= 0; el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el)) {
		if (el == self)
			continue;
		ps__resv_of(buf, el, &o);
		if (ps__resv_real(&o) && o.kind == r->kind &&
		    o.first < ps__resv_end(r) && r->first < ps__resv_end(&o))
			return el;
	}
	return -1;
}

/* A NIC: pxe-nic counts NICs, so it follows its NIC when an earlier one
 * goes, and falls back to the first NIC when its own goes. */
static int delete_nic(void *buf, int vm, int nic, int idx)
{
	int pxe = (int)ps__rec_uint(buf, vm, PSF_VM_CONFIG, PSF_VMC_PXE_NIC, 2);
	int rc = psf_wip_nop(buf, nic), rec;
	uint8_t le[2];

	if (rc || pxe < idx)
		return rc;
	rec = psf_find_child(buf, vm, PSF_VM_CONFIG);
	psf_put_le16(le, (uint16_t)(pxe == idx ? 0 : pxe - 1));
	return rec < 0 ? 0 : psf_wip_write(buf, rec, PSF_VMC_PXE_NIC, le, 2);
}

int ps_obj_delete(void *buf, int elem, enum ps_obj k, struct ps_cfg_err *e)
{
	uint32_t len;
	const char *name;
	int vm, idx = 0, el;

	ps__err_init(e, NULL);
	if (!ps__kind_ok(k) || psf_sig(buf, elem) != ps__kinds[k].sig)
		return PSF_ERR_BADVALUE;
	name = ps__str_of(buf, elem, PSF_NAME, &len);
	if (name && ps__referenced(buf, k, name, len, e))
		return ps__fail(e, PS_ERR_INUSE, "still referenced");
	if (k == PS_OBJ_SERVER && ps__server_used(buf, elem, e))
		return ps__fail(e, PS_ERR_INUSE, "still referenced");
	if (k != PS_OBJ_NIC)
		return psf_wip_nop(buf, elem);
	/* Keep pxe-nic pointing at the same NIC: later ones move up. */
	vm = ps__vm_of(buf, elem);
	for (el = ps_obj_next(buf, vm, k, -1); el >= 0 && el != elem;
	     el = ps_obj_next(buf, vm, k, el))
		idx++;
	return delete_nic(buf, vm, elem, idx);
}

int ps_elem_name(const void *el, size_t n, const char **name, uint32_t *nlen)
{
	const uint8_t *p = el;
	size_t off = PSF_CONTAINER_HDR, hdr, len;
	uint32_t sig, count = 0;

	*name = NULL;
	*nlen = 0;
	if (!p || n < PSF_CONTAINER_HDR || n > PSF_MAX_TOTAL ||
	    !PSF_SIG_IS_CONTAINER(psf_le32(p)) ||
	    psf_le32(p + 8) != n - PSF_CONTAINER_HDR)
		return PS_ERR_INVAL;
	for (; off < n; off += len, count++) {
		if (n - off < PSF_STRUCT_HDR)
			break;
		sig = psf_le32(p + off);
		hdr = PSF_SIG_IS_CONTAINER(sig) ? PSF_CONTAINER_HDR
						: PSF_STRUCT_HDR;
		if (n - off < hdr)
			break;
		len = psf_le32(p + off + hdr - 4);
		if (len > n - off - hdr)
			break;
		len += hdr;
		if (sig == PSF_NAME && !*name) {
			*name = (const char *)p + off + hdr;
			*nlen = (uint32_t)(len - hdr);
		}
	}
	if (off == n && psf_le32(p + 4) == count)
		return 0;
	*name = NULL;
	*nlen = 0;
	return PS_ERR_INVAL;
}
