/*
 * ps_obj_set.c - setting a field of an object, with the cross-element
 * rules of each field.  Freestanding.
 */
#include "ps_cfg_internal.h"

int ps__conc_mapper(const void *buf, int self, uint16_t port, int *vmp)
{
	int root = psf_root(buf), vm, el;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el))
			if (el != self &&
			    ps__rec_uint(buf, el, PSF_SERIAL_CONFIG,
				     PSF_SERC_CONCENTRATOR, 2) == port) {
				if (vmp)
					*vmp = vm;
				return el;
			}
	return -1;
}

/* Concentrator ports: mapped at most once in the whole store. */
static int conc_clash(const void *buf, int self, uint16_t port,
		      struct ps_cfg_err *e)
{
	int vm, el = ps__conc_mapper(buf, self, port, &vm);

	if (el < 0)
		return 0;
	ps__holder_of(buf, el, PS_OBJ_SERIAL, vm, e);
	return ps__fail(e, PS_ERR_DUPLICATE, "concentrator port already mapped");
}


/* A controller at ctrl taking the image named (s, n): an image that is
 * not shareable backs the controllers of one VM only. */
static int image_excl(const void *buf, int ctrl, const char *s, uint32_t n,
		      struct ps_cfg_err *e)
{
	int img = ps_obj_find(buf, psf_root(buf), PS_OBJ_IMAGE, s, n), vm, el;

	if (img < 0 || ps__image_shareable(buf, img))
		return 0;
	el = ps__image_user(buf, s, n, ps__vm_of(buf, ctrl), &vm);
	if (el < 0)
		return 0;
	ps__holder_of(buf, el, PS_OBJ_CONTROLLER, vm, e);
	return ps__fail(e, PS_ERR_DUPLICATE,
			"image not shareable and already used");
}

/* Turning shareable off: the image may back one VM only by then. */
static int image_unshare(const void *buf, int img, struct ps_cfg_err *e)
{
	uint32_t n;
	const char *s = ps__str_of(buf, img, PSF_NAME, &n);
	int vm, el = s ? ps__image_user(buf, s, n, -1, &vm) : -1;

	if (el < 0 || ps__image_user(buf, s, n, vm, &vm) < 0)
		return 0;
	el = ps__image_user(buf, s, n, -1, &vm);
	ps__holder_of(buf, el, PS_OBJ_CONTROLLER, vm, e);
	return ps__fail(e, PS_ERR_INUSE, "still used by several vms, one");
}

/* A reservation's kind, first or count becoming u: its range must not
 * overlap another of its kind. */
static int resv_clash(const void *buf, int elem, const struct ps_field *f,
		      uint64_t u, struct ps_cfg_err *e)
{
	struct ps__resv r;
	int el;

	ps__resv_of(buf, elem, &r);
	if (f->off == PSF_RESC_KIND)
		r.kind = u;
	else if (f->off == PSF_RESC_FIRST)
		r.first = u;
	else if (f->off == PSF_RESC_COUNT)
		r.count = u;
	el = ps__resv_overlap(buf, elem, &r, 0);
	if (el < 0)
		return 0;
	ps__holder_of(buf, el, PS_OBJ_RESERVATION, -1, e);
	return ps__fail(e, PS_ERR_DUPLICATE, "range overlaps");
}

static struct asker asker_for(const void *buf, int elem, enum ps_obj k)
{
	struct asker a = { elem, elem, k, -1, -1 };

	if (ps__kinds[k].sub) {
		a.owner = ps__vm_of(buf, elem);
		a.owner_kind = PS_OBJ_VM;
	}
	return a;
}

static int set_name(void *buf, size_t cap, int elem, enum ps_obj k,
		    const struct ps_value *v, struct ps_cfg_err *e)
{
	int parent = ps__kinds[k].sub ? ps__vm_of(buf, elem) : psf_root(buf);
	int other = ps_obj_find(buf, parent, k, (const char *)v->b, v->len);
	uint32_t len;
	const char *old = ps__str_of(buf, elem, PSF_NAME, &len);

	if (other == elem)
		return 0;
	if (other >= 0)
		return ps__fail(e, PS_ERR_EXISTS, "name already used");
	if (old && ps__referenced(buf, k, old, len, e))
		return ps__fail(e, PS_ERR_INUSE, "old name still referenced");
	other = ps__put_child(buf, cap, elem, PSF_NAME, v->b, v->len);
	return other < 0 ? other : 0;
}

/* A new target for the server at elem (compared in any spelling): no
 * other server names it, and no profile is placed on the server (the
 * profile would lose its server's name). */
static int set_server_target(void *buf, size_t cap, int elem,
			     const struct ps_field *f,
			     const struct ps_value *v, struct ps_cfg_err *e)
{
	const char *t = (const char *)v->b, *why = NULL;
	int other;

	if (ps__check_ptarget(t, v->len, &why))
		return ps__fail(e, PS_ERR_BADVALUE, why);
	other = ps_server_by_target(buf, t, v->len);
	if (other >= 0 && other != elem)
		return ps__fail_in_use(buf, other, PS_OBJ_SERVER, -1, e);
	if (ps__server_used(buf, elem, e))
		return ps__fail(e, PS_ERR_INUSE, "still referenced");
	other = ps__put_child(buf, cap, elem, f->sig, t, v->len);
	return other < 0 ? other : 0;
}

static int set_string(void *buf, size_t cap, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	struct asker a = asker_for(buf, elem, k);
	int rc;

	if (f->type == PS_FT_NAME)
		return set_name(buf, cap, elem, k, v, e);
	if (f->type == PS_FT_REF && v->len &&
	    ps_obj_find(buf, psf_root(buf), (enum ps_obj)f->arg,
			(const char *)v->b, v->len) < 0)
		return ps__fail(e, PS_ERR_BADREF, "no such element");
	if (k == PS_OBJ_CONTROLLER && f->sig == PSF_IMAGE_REF && v->len) {
		rc = image_excl(buf, elem, (const char *)v->b, v->len, e);
		if (rc)
			return rc;
	}
	if (k == PS_OBJ_VM && f->sig == PSF_PROFILE_REF) {
		rc = ps__ref_change_clash(buf, elem, v->b, v->len, e);
		if (rc)
			return rc;
	}
	if (f->type == PS_FT_SERIAL && v->len) {
		rc = ps__ident_clash(buf, ID_SERIAL, v->b, v->len, &a, e);
		if (rc)
			return rc;
	}
	if (!v->len)
		return ps__drop_child(buf, elem, f->sig);
	rc = ps__put_child(buf, cap, elem, f->sig, v->b, v->len);
	return rc < 0 ? rc : 0;
}

/* Lists of identities: unique among themselves and in the store. */
static int check_list(const void *buf, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	uint32_t step = f->type == PS_FT_MACLIST ? 6 : 8, i, j;
	struct asker a = asker_for(buf, elem, k);
	enum ident id = f->type == PS_FT_MACLIST ? ID_MAC : ID_WWN;
	int rc;

	for (i = 0; i < v->len; i += step) {
		for (j = 0; j < i; j += step)
			if (psf_memcmp(v->b + i, v->b + j, step) == 0)
				return ps__fail(e, PS_ERR_DUPLICATE,
					    "listed twice");
		rc = ps__ident_clash(buf, id, v->b + i, step, &a, e);
		if (rc)
			return rc;
	}
	return 0;
}

static int set_record(void *buf, size_t cap, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	struct asker a = asker_for(buf, elem, k);
	uint8_t le[8];
	int rc;

	if (f->type == PS_FT_UUID || f->type == PS_FT_MAC) {
		rc = ps__ident_clash(buf, f->type == PS_FT_UUID ? ID_UUID : ID_MAC,
				 v->b, f->width, &a, e);
		return rc ? rc : ps__write_field(buf, cap, elem, k, f, v->b);
	}
	if (f->type == PS_FT_BOOL) {
		uint8_t cur = (uint8_t)ps__rec_uint(buf, elem, f->sig, f->off, 1);
		int on = (v->u != 0) != (f->max == 1);

		if (k == PS_OBJ_IMAGE && f->arg == PSF_IMGF_SHAREABLE && !on) {
			rc = image_unshare(buf, elem, e);
			if (rc)
				return rc;
		}

		cur = (uint8_t)(on ? cur | f->arg : cur & ~f->arg);
		return ps__write_field(buf, cap, elem, k, f, &cur);
	}
	if (f->arg == 1 && f->type == PS_FT_UINT && v->u) {
		rc = conc_clash(buf, elem, (uint16_t)v->u, e);
		if (rc)
			return rc;
	}
	if (k == PS_OBJ_VM && f->sig == PSF_VM_CONFIG &&
	    f->off == PSF_VMC_PXE_NIC && ps__pxe_nic_bad(buf, elem, v->u))
		return ps__fail(e, PS_ERR_BADVALUE, "no such nic");
	if (k == PS_OBJ_RESERVATION && f->sig == PSF_RESERVATION_CONFIG) {
		rc = resv_clash(buf, elem, f, v->u, e);
		if (rc)
			return rc;
	}
	if (f->arg == 2 && f->type == PS_FT_UINT &&
	    (uint64_t)ps__port_of(buf, elem) != v->u &&
	    ps__serial_at(buf, ps__vm_of(buf, elem), v->u) >= 0)
		return ps__fail(e, PS_ERR_EXISTS, "port already defined");
	psf_put_le64(le, v->u);
	return ps__write_field(buf, cap, elem, k, f, le);
}

/* A value that only removes (an empty string, reference or log). */
static int removes(const struct ps_field *f, const struct ps_value *v)
{
	return !v->len && f->type != PS_FT_UINT && f->type != PS_FT_DURATION;
}

/* Fields of a container under the object (the restart policy): the
 * container is made by the first value set in it; removing a value from
 * an absent container changes nothing. */
static int set_nested(void *buf, size_t cap, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	struct ps_field inner = *f;
	int c;

	if (f->type == PS_FT_PRESENCE) {
		if (!v->u)
			return ps__drop_child(buf, elem, f->sig);
		c = ps__need_container(buf, cap, elem, f->sig);
		return c < 0 ? c : 0;
	}
	if (f->type == PS_FT_REF && v->len &&
	    ps_obj_find(buf, psf_root(buf), (enum ps_obj)f->arg,
			(const char *)v->b, v->len) < 0)
		return ps__fail(e, PS_ERR_BADREF, "no such image");
	c = psf_find_child(buf, elem, f->in);
	if (c == PSF_ERR_NOTFOUND && removes(f, v))
		return 0;
	c = ps__need_container(buf, cap, elem, f->in);
	if (c < 0)
		return c;
	if (f->type == PS_FT_RLOG || f->type == PS_FT_REF) {
		if (!v->len)
			return ps__drop_child(buf, c, f->sig);
		c = ps__put_child(buf, cap, c, f->sig, v->b, v->len);
		return c < 0 ? c : 0;
	}
	inner.in = f->in;
	return set_record(buf, cap, c, k, &inner, v, e);
}

int ps_obj_set_value(void *buf, size_t cap, int elem, enum ps_obj k,
		     const struct ps_field *f, const struct ps_value *v,
		     struct ps_cfg_err *e)
{
	const char *why = NULL;
	int rc;

	ps__err_init(e, f ? f->name : NULL);
	if (!ps__kind_ok(k) || !f || psf_sig(buf, elem) != ps__kinds[k].sig)
		return PSF_ERR_BADVALUE;
	/* The field's own rules, for values that did not come through
	 * ps_field_parse too (the whole-store check applies the same). */
	if (ps__value_ok(f, v->u, v->b, v->len, NULL, &why))
		return ps__fail(e, PS_ERR_BADVALUE, why);
	if (f->type == PS_FT_RLOG && v->len % PSF_RLOG_LEN)
		return ps__fail(e, PS_ERR_BADVALUE, "not whole log entries");
	if (f->in || f->type == PS_FT_PRESENCE)
		return set_nested(buf, cap, elem, k, f, v, e);
	switch (f->type) {
	case PS_FT_MACLIST:
	case PS_FT_WWNLIST:
		rc = check_list(buf, elem, k, f, v, e);
		if (rc)
			return rc;
		/* fall through */
	case PS_FT_BOOT:
	case PS_FT_FCBOOT:
		if (!v->len)
			return ps__drop_child(buf, elem, f->sig);
		rc = ps__put_child(buf, cap, elem, f->sig, v->b, v->len);
		return rc < 0 ? rc : 0;
	case PS_FT_NAME:
	case PS_FT_TEXT:
	case PS_FT_SERIAL:
	case PS_FT_HOST:
	case PS_FT_REF:
		return set_string(buf, cap, elem, k, f, v, e);
	case PS_FT_PTARGET:
		return set_server_target(buf, cap, elem, f, v, e);
	default:
		return set_record(buf, cap, elem, k, f, v, e);
	}
}

int ps_obj_set(void *buf, size_t cap, int elem, enum ps_obj k,
	       const char *field, size_t flen, const char *val, size_t vlen,
	       struct ps_cfg_err *e)
{
	const struct ps_field *f = ps_obj_field(k, field, flen);
	struct ps_value v;
	int rc;

	ps__err_init(e, NULL);
	if (!f)
		return ps__fail(e, PS_ERR_NOFIELD, "no such field");
	rc = ps_field_parse(f, val, vlen, &v, e);
	return rc ? rc : ps_obj_set_value(buf, cap, elem, k, f, &v, e);
}
