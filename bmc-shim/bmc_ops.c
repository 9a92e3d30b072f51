/*
 * bmc_ops.c - what the OEM read and write operations do to the store in
 * the shim's buffer.  Arguments arrive as bytes from the network: every
 * length is checked against what is left before it is used.
 */
#include "bmc_internal.h"
#include "psf_schema.h"

#define NAME_MAX_LEN PS_CFG_NAME_MAX

/* A cursor over argument bytes. */
struct args {
	const uint8_t *p;
	size_t n, pos;
};

static int take_u8(struct args *a, uint8_t *v)
{
	if (a->n - a->pos < 1)
		return -1;
	*v = a->p[a->pos++];
	return 0;
}

static int take_u16(struct args *a, uint16_t *v)
{
	if (a->n - a->pos < 2)
		return -1;
	*v = psf_le16(a->p + a->pos);
	a->pos += 2;
	return 0;
}

static int take_bytes(struct args *a, size_t len, const uint8_t **out)
{
	if (a->n - a->pos < len)
		return -1;
	*out = a->p + a->pos;
	a->pos += len;
	return 0;
}

/* [len u8][name]: a VM or profile name, 1..64 bytes. */
static uint8_t take_name(struct args *a, const char **name, uint8_t *len)
{
	const uint8_t *p;

	if (take_u8(a, len) || take_bytes(a, *len, &p))
		return BMC_CC_BAD_LENGTH;
	if (!*len || *len > NAME_MAX_LEN)
		return BMC_CC_INVALID_DATA;
	*name = (const char *)p;
	return BMC_CC_OK;
}

/*
 * A path: [steps u8] then per step [sig u32][name_len u8][name]; a step
 * with a name matches the child container whose NAME is that name, one
 * without the first child with the signature.  Zero steps: the root.
 */
static uint8_t take_path(const void *buf, struct args *a, int *off)
{
	uint8_t steps, i, nlen;
	const uint8_t *sigp, *name;
	int cur = psf_root(buf);

	if (take_u8(a, &steps))
		return BMC_CC_BAD_LENGTH;
	if (steps >= PSF_MAX_DEPTH)
		return BMC_CC_INVALID_DATA;
	for (i = 0; i < steps; i++) {
		uint32_t sig;

		if (take_bytes(a, 4, &sigp) || take_u8(a, &nlen) ||
		    take_bytes(a, nlen, &name))
			return BMC_CC_BAD_LENGTH;
		sig = psf_le32(sigp);
		if (!PSF_SIG_IS_CONTAINER(psf_sig(buf, cur)))
			return BMC_CC_NOT_PRESENT;
		cur = nlen ? psf_find_named(buf, cur, sig, PSF_NAME,
					    (const char *)name, nlen)
			   : psf_find_child(buf, cur, sig);
		if (cur < 0)
			return BMC_CC_NOT_PRESENT;
	}
	*off = cur;
	return BMC_CC_OK;
}

/* ------------------------------------------------------------ reads */

static uint8_t span_of(struct bmc_shim *s, int off)
{
	struct psf_elem e;

	if (off < 0)
		return bmc_shim_cc_for(off);
	if (psf_elem(s->store, off, &e))
		return BMC_CC_UNSPECIFIED;
	s->rd_in_store = 1;
	s->rd_off = (uint32_t)off;
	s->rd_len = e.end - (uint32_t)off;
	return BMC_CC_OK;
}

static int find_named(const void *buf, enum ps_obj k, const char *s,
		      size_t n)
{
	return ps_obj_find(buf, psf_root(buf), k, s, n);
}

static uint8_t read_pull(struct bmc_shim *s, struct args *a)
{
	uint8_t kind;

	if (take_u8(a, &kind))
		return BMC_CC_BAD_LENGTH;
	if (kind == PSF_TARGET_PHYSICAL && a->pos == a->n)
		return span_of(s, ps_profile_of(s->store, kind, NULL, 0));
	if (kind != PSF_TARGET_VM)
		return BMC_CC_INVALID_DATA;
	if (a->n - a->pos < 1 || a->n - a->pos > NAME_MAX_LEN)
		return BMC_CC_INVALID_DATA;
	return span_of(s, ps_profile_of(s->store, kind,
					(const char *)a->p + a->pos,
					a->n - a->pos));
}

/* Append one serial mapping to the result: [vm_len][vm][port u16]
 * [concentrator u16][mode u8][host_len u8][host]. */
static uint8_t list_one(struct bmc_shim *s, int vm, int el)
{
	uint32_t vlen, hlen, rlen, need;
	const char *vn = psf_child_payload(s->store, vm, PSF_NAME, &vlen);
	const char *hn = psf_child_payload(s->store, el, PSF_HOSTNAME, &hlen);
	const void *rec = psf_child_payload(s->store, el, PSF_SERIAL_CONFIG,
					    &rlen);
	uint8_t *o = s->result + s->rd_result_len;

	if (!vn)
		vlen = 0;
	if (!hn)
		hlen = 0;
	if (!rec)
		rlen = 0;
	if (vlen > 255 || hlen > 255)
		return BMC_CC_UNSPECIFIED;
	need = 1 + vlen + 2 + 2 + 1 + 1 + hlen;
	if (need > sizeof(s->result) - s->rd_result_len)
		return BMC_CC_OUT_OF_SPACE;
	*o++ = (uint8_t)vlen;
	psf_memcpy(o, vn, vlen);
	o += vlen;
	psf_put_le16(o, (uint16_t)psf_field_uint(rec, rlen, PSF_SERC_PORT, 2));
	psf_put_le16(o + 2, (uint16_t)psf_field_uint(rec, rlen,
						     PSF_SERC_CONCENTRATOR, 2));
	o[4] = (uint8_t)psf_field_uint(rec, rlen, PSF_SERC_MODE, 1);
	o[5] = (uint8_t)hlen;
	psf_memcpy(o + 6, hn, hlen);
	s->rd_result_len = (uint16_t)(s->rd_result_len + need);
	return BMC_CC_OK;
}

static uint8_t read_serial_list(struct bmc_shim *s, struct args *a)
{
	const void *b = s->store;
	int vm, el, only = -1;
	uint8_t cc;

	if (a->n > NAME_MAX_LEN)
		return BMC_CC_INVALID_DATA;
	if (a->n) {
		only = find_named(b, PS_OBJ_VM, (const char *)a->p, a->n);
		if (only < 0)
			return BMC_CC_NOT_PRESENT;
	}
	for (vm = ps_obj_next(b, psf_root(b), PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(b, psf_root(b), PS_OBJ_VM, vm)) {
		if (only >= 0 && vm != only)
			continue;
		for (el = ps_obj_next(b, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(b, vm, PS_OBJ_SERIAL, el)) {
			cc = list_one(s, vm, el);
			if (cc)
				return cc;
		}
	}
	return BMC_CC_OK;
}

uint8_t bmc_read_run(struct bmc_shim *s)
{
	struct args a = { s->args, s->rd_arg_len, 0 };
	int off = -1;
	uint8_t cc;

	switch (s->rd_op) {
	case BMC_READ_STORE:
		if (a.n)
			return BMC_CC_INVALID_DATA;
		s->rd_in_store = 1;
		s->rd_off = 0;
		s->rd_len = s->store_len;
		return BMC_CC_OK;
	case BMC_READ_PATH:
		cc = take_path(s->store, &a, &off);
		if (!cc && a.pos != a.n)
			cc = BMC_CC_BAD_LENGTH;
		return cc ? cc : span_of(s, off);
	case BMC_READ_VM:
	case BMC_READ_PROFILE:
		if (!a.n || a.n > NAME_MAX_LEN)
			return BMC_CC_INVALID_DATA;
		return span_of(s, find_named(s->store, s->rd_op == BMC_READ_VM
					     ? PS_OBJ_VM : PS_OBJ_PROFILE,
					     (const char *)a.p, a.n));
	case BMC_READ_PROFILE_PULL:
		return read_pull(s, &a);
	case BMC_READ_SERIAL_LIST:
		return read_serial_list(s, &a);
	default:
		return BMC_CC_INVALID_DATA;
	}
}

/* ------------------------------------------------------------ writes */

/* Header checks on element bytes from the wire: the element's own length
 * fields must describe exactly elen bytes.  The inside is checked with
 * the whole store once it is in place (psf_check_tree). */
static int elem_bytes_ok(const uint8_t *p, size_t elen)
{
	uint32_t sig;

	if (elen < PSF_STRUCT_HDR)
		return 0;
	sig = psf_le32(p);
	if (sig == PSF_PAD || sig == PSF_ROOT)
		return 0;
	if (PSF_SIG_IS_CONTAINER(sig))
		return elen >= PSF_CONTAINER_HDR &&
		       psf_le32(p + 8) == elen - PSF_CONTAINER_HDR;
	return psf_le32(p + 4) == elen - PSF_STRUCT_HDR;
}

/*
 * Put element bytes under parent in place of the child they replace
 * (same signature, and same NAME for a named container), or as a new
 * child.  ps_elem_put reuses the old copy's bytes and the pads around
 * them, so rewriting an element leaves no garbage.  Returns its offset.
 */
static int put_element(void *buf, size_t cap, int parent, const uint8_t *el,
		       uint32_t elen)
{
	uint32_t sig = psf_le32(el), nlen;
	const char *name;
	int old;

	ps_elem_name(el, elen, &name, &nlen);
	old = name ? psf_find_named(buf, parent, sig, PSF_NAME, name, nlen)
		   : psf_find_child(buf, parent, sig);
	return ps_elem_put(buf, cap, parent, old, el, elen);
}

/* A problem report line, as a CRC-32C (the line is NUL-terminated). */
static uint32_t line_crc(const char *msg)
{
	size_t n = 0;

	while (msg[n])
		n++;
	return psf_crc32c(0, msg, n);
}

static void note_before(void *ctx, const char *msg)
{
	struct bmc_shim *s = ctx;

	if (s->prob_n < BMC_SHIM_PROBLEMS_MAX)
		s->prob_crc[s->prob_n++] = line_crc(msg);
}

/* A problem after the edit must match one from before, each used once;
 * one that does not (or one past the remembered ones) is new. */
static void note_after(void *ctx, const char *msg)
{
	struct bmc_shim *s = ctx;
	uint32_t c = line_crc(msg);
	unsigned i;

	for (i = 0; i < s->prob_n; i++)
		if (!((s->prob_seen >> i) & 1u) && s->prob_crc[i] == c) {
			s->prob_seen |= (uint64_t)1 << i;
			return;
		}
	s->prob_new = 1;
}

/* Before an edit: remember the store's schema problems. */
static void problems_before(struct bmc_shim *s)
{
	s->prob_n = 0;
	ps_cfg_check(s->store, (uint32_t)bmc_store_cap(s), note_before, s);
}

/* After an edit: a sound tree, and no schema problem it did not have. */
static uint8_t check_after(struct bmc_shim *s)
{
	uint32_t bad;

	/* The checks read the header: make its CRCs current first. */
	if (psf_finish((void *)s->store))
		return BMC_CC_INVALID_DATA;
	if (psf_check_tree(s->store, bmc_store_cap(s), &bad))
		return BMC_CC_INVALID_DATA;
	s->prob_seen = 0;
	s->prob_new = 0;
	if (ps_cfg_check(s->store, (uint32_t)bmc_store_cap(s), note_after,
			 s) < 0)
		return BMC_CC_INVALID_DATA;
	return s->prob_new ? BMC_CC_CONFLICT : BMC_CC_OK;
}

static uint8_t write_element(struct bmc_shim *s, struct args *a)
{
	int parent = -1, off;
	uint8_t cc = take_path(s->store, a, &parent);
	size_t elen = a->n - a->pos;

	if (cc)
		return cc;
	if (!elem_bytes_ok(a->p + a->pos, elen))
		return BMC_CC_INVALID_DATA;
	if (!PSF_SIG_IS_CONTAINER(psf_sig(s->store, parent)))
		return BMC_CC_INVALID_DATA;
	off = put_element(s->store, bmc_store_cap(s), parent, a->p + a->pos,
			  (uint32_t)elen);
	if (off < 0)
		return bmc_shim_cc_for(off);
	return check_after(s);
}

static uint8_t write_delete(struct bmc_shim *s, struct args *a)
{
	int off = -1, rc;
	uint8_t cc = take_path(s->store, a, &off);

	if (cc)
		return cc;
	if (a->pos != a->n)
		return BMC_CC_BAD_LENGTH;
	if (off == psf_root(s->store))
		return BMC_CC_INVALID_DATA;
	rc = psf_wip_nop(s->store, off);
	if (rc)
		return bmc_shim_cc_for(rc);
	return check_after(s);
}

/* ------------------------------------------------------------ profiles */

/* Target text: the VM's name for a VM; for this host bmc://NAME:623 in
 * the normal form (ps_target_norm).  Its length, or PS_ERR_BADVALUE for a
 * platform bmc_name no host could be. */
static int target_text(const struct bmc_shim *s, uint8_t kind,
		       const char *vm, uint8_t vlen, char *out, size_t cap)
{
	const char *h = s->plat.bmc_name ? s->plat.bmc_name
					 : BMC_SHIM_HOST_NAME;
	char raw[6 + 64];
	size_t n = 0;

	if (kind == PSF_TARGET_VM) {
		psf_memcpy(out, vm, vlen);
		return vlen;
	}
	psf_memcpy(raw, BMC_SHIM_TARGET_PREFIX, 6);
	while (n < 64 && h[n])
		n++;
	psf_memcpy(raw + 6, h, n);
	return ps_target_norm(raw, 6 + n, out, cap, NULL);
}

/* [kind u8: 1 this host, 2 a VM][vm_len u8][vm][profile element] */
static uint8_t write_push(struct bmc_shim *s, struct args *a)
{
	char tgt[80];
	const uint8_t *vm = NULL, *el;
	uint8_t kind, vlen;
	size_t tlen, elen;
	int rc;

	if (take_u8(a, &kind) || take_u8(a, &vlen) ||
	    take_bytes(a, vlen, &vm))
		return BMC_CC_BAD_LENGTH;
	if ((kind == PSF_TARGET_PHYSICAL && vlen) ||
	    (kind == PSF_TARGET_VM && (!vlen || vlen > NAME_MAX_LEN)) ||
	    (kind != PSF_TARGET_PHYSICAL && kind != PSF_TARGET_VM))
		return BMC_CC_INVALID_DATA;
	el = a->p + a->pos;
	elen = a->n - a->pos;
	if (!elem_bytes_ok(el, elen) || psf_le32(el) != PSF_PROFILE)
		return BMC_CC_INVALID_DATA;
	/* A running server does not change its UUID or serial under it,
	 * whatever the gate: checked here, right before the edit. */
	if (kind == PSF_TARGET_PHYSICAL &&
	    (unsigned)bmc_host_power(s) > BMC_POWER_AUX)
		return BMC_CC_POWER_STATE;
	rc = target_text(s, kind, (const char *)vm, vlen, tgt, sizeof tgt);
	if (rc < 0)
		return bmc_shim_cc_for(rc);
	tlen = (size_t)rc;
	/* The library's rules, as psctl applies them to a store: a target
	 * carrying another profile is refused (0x82), never made to drop
	 * it. */
	rc = ps_profile_apply(s->store, bmc_store_cap(s), el, elen, kind, tgt,
			      tlen, NULL);
	return rc ? bmc_shim_cc_for(rc) : check_after(s);
}

/* ------------------------------------------------------------ serial */

/* [vm_len][vm][count u8][mode u8][first u16][last u16][host names] ->
 * result: count x [guest port u16][concentrator port u16] */
static uint8_t write_serial_alloc(struct bmc_shim *s, struct args *a)
{
	struct ps_serial_map map[PS_SERIAL_ALLOC_MAX];
	struct ps_serial_req r = { 0 };
	const char *vm;
	uint8_t vlen, count, mode, cc;
	uint32_t i;
	int vmo, rc;

	cc = take_name(a, &vm, &vlen);
	if (cc)
		return cc;
	if (take_u8(a, &count) || take_u8(a, &mode) ||
	    take_u16(a, &r.conc_first) || take_u16(a, &r.conc_last))
		return BMC_CC_BAD_LENGTH;
	r.count = count;
	r.mode = mode;
	r.hostnames = (const char *)a->p + a->pos;
	r.hostnames_len = a->n - a->pos;
	vmo = find_named(s->store, PS_OBJ_VM, vm, vlen);
	if (vmo < 0)
		return BMC_CC_NOT_PRESENT;
	rc = ps_serial_allocate(s->store, bmc_store_cap(s), vmo, &r, map,
				NULL);
	if (rc)
		return rc == PS_ERR_NOSPACE ? BMC_CC_OUT_OF_SPACE
					    : bmc_shim_cc_for(rc);
	for (i = 0; i < count; i++) {
		psf_put_le16(s->wr_result + 4 * i, map[i].port);
		psf_put_le16(s->wr_result + 4 * i + 2, map[i].concentrator);
	}
	s->wr_result_len = (uint16_t)(4 * count);
	return BMC_CC_OK;
}

/* [vm_len][vm] -> result: [ports freed u8] */
static uint8_t write_serial_free(struct bmc_shim *s, struct args *a)
{
	const char *vm;
	uint8_t vlen, cc = take_name(a, &vm, &vlen);
	int vmo, rc;

	if (cc)
		return cc;
	if (a->pos != a->n)
		return BMC_CC_BAD_LENGTH;
	vmo = find_named(s->store, PS_OBJ_VM, vm, vlen);
	if (vmo < 0)
		return BMC_CC_NOT_PRESENT;
	rc = ps_serial_free(s->store, vmo, NULL);
	if (rc < 0)
		return bmc_shim_cc_for(rc);
	s->wr_result[0] = (uint8_t)rc;
	s->wr_result_len = 1;
	return BMC_CC_OK;
}

static uint8_t apply_once(struct bmc_shim *s)
{
	struct args a = { s->stage, s->wr_len, 0 };

	if (s->wr_op == BMC_WRITE_ELEMENT || s->wr_op == BMC_WRITE_DELETE ||
	    s->wr_op == BMC_WRITE_PROFILE_PUSH)
		problems_before(s);
	switch (s->wr_op) {
	case BMC_WRITE_ELEMENT:
		return write_element(s, &a);
	case BMC_WRITE_PROFILE_PUSH:
		return write_push(s, &a);
	case BMC_WRITE_SERIAL_ALLOC:
		return write_serial_alloc(s, &a);
	case BMC_WRITE_SERIAL_FREE:
		return write_serial_free(s, &a);
	case BMC_WRITE_DELETE:
		return write_delete(s, &a);
	default:
		return BMC_CC_INVALID_DATA;
	}
}

/*
 * The shim's buffer never fills with garbage (docs/store.md 7.2): an edit
 * refused for space is tried once more on the store compacted (reloaded
 * first: the refused edit may have changed the buffer), and a store whose
 * garbage passed the threshold is compacted before it is committed.
 */
uint8_t bmc_write_apply(struct bmc_shim *s)
{
	uint8_t cc = apply_once(s);

	int rc;

	if (cc == BMC_CC_OUT_OF_SPACE && !bmc_load(s) &&
	    ps_compact(s->store) > 0) {
		s->compactions++;
		if (s->wr_expect &&
		    s->wr_expect != (uint32_t)s->disk.generation)
			return BMC_CC_STALE;
		cc = apply_once(s);
	}
	rc = cc ? 0 : ps_compact_if_due(s->store);
	s->compactions += rc > 0;
	return rc < 0 ? BMC_CC_UNSPECIFIED : cc;
}
