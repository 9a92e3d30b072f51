/*
 * ps_room.c - room for growth: writing a child or a record field borrows
 * the bytes from the nearest pad, so that an edit rewrites only the span
 * between the edit and the pad.  Freestanding.
 */
#include "ps_cfg_internal.h"

static int pad_in(const void *buf, int c, uint32_t from, uint32_t need,
		  struct room *r)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return 0;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0) {
		uint32_t size = e.end - (uint32_t)off;

		if (e.sig != PSF_PAD || (uint32_t)off < from)
			continue;
		if (size == need || size >= need + PSF_STRUCT_HDR) {
			r->holder = c;
			r->pad = off;
			r->size = size;
			return 1;
		}
	}
	return 0;
}

void ps__room_take(void *buf, int c, uint32_t from, uint32_t need,
		      struct room *r)
{
	int chain[PSF_MAX_DEPTH];
	int d = psf_ancestors(buf, c, chain), i;

	r->pad = -1;
	for (i = d; i >= 0 && need; i--)
		if (pad_in(buf, i == d ? c : chain[i], from, need, r))
			break;
	if (r->pad >= 0 && psf_delete(buf, r->pad))
		r->pad = -1;
	r->base = psf_total(buf);
}

/* The child of c at offset at, or -1 (append) when none starts there. */
int ps__child_at(const void *buf, int c, uint32_t at)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return -1;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0)
		if ((uint32_t)off == at)
			return off;
	return -1;
}

int ps__room_give(void *buf, size_t cap, const struct room *r)
{
	uint32_t total = psf_total(buf), used, left;
	int rc;

	if (r->pad < 0 || total < r->base)
		return 0;
	used = total - r->base;
	if (used > r->size || r->size - used < PSF_STRUCT_HDR)
		return 0;  /* more than the pad held: the tail moved */
	left = r->size - used;
	rc = psf_insert(buf, cap, r->holder,
			ps__child_at(buf, r->holder, (uint32_t)r->pad + used),
			PSF_PAD, NULL, left - PSF_STRUCT_HDR);
	return rc < 0 ? rc : 0;
}

/* End of the last child of c that is not a pad: where new children go,
 * so pads stay at the end and NIC order is creation order. */
uint32_t ps__append_point(const void *buf, int c)
{
	struct psf_cursor cur;
	struct psf_elem e;
	uint32_t at;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return 0;
	at = cur.next;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0)
		if (e.sig != PSF_PAD)
			at = e.end;
	return at;
}

/*
 * Give child sig of elem the payload data[0..len): replaced in place when
 * it exists (growth paid by room), else inserted after the last real
 * child.  Returns its offset.
 */
int ps__put_child(void *buf, size_t cap, int elem, uint32_t sig,
		     const void *data, uint32_t len)
{
	struct room r;
	struct psf_elem e;
	int off = psf_find_child(buf, elem, sig), rc;

	if (off >= 0) {
		rc = psf_elem(buf, off, &e);
		if (rc)
			return rc;
		if (len <= e.count) {
			rc = psf_set_payload(buf, cap, off, data, len);
			return rc ? rc : off;
		}
		ps__room_take(buf, elem, e.end, len - e.count, &r);
		rc = psf_set_payload(buf, cap, off, data, len);
		if (!rc)
			rc = ps__room_give(buf, cap, &r);
		return rc ? rc : off;
	}
	if (off != PSF_ERR_NOTFOUND)
		return off;
	{
		uint32_t at = ps__append_point(buf, elem);

		ps__room_take(buf, elem, at, PSF_STRUCT_HDR + len, &r);
		off = psf_insert(buf, cap, elem, ps__child_at(buf, elem, at), sig,
				 data, len);
		rc = off < 0 ? off : ps__room_give(buf, cap, &r);
	}
	return rc ? rc : off;
}

/* Remove child sig of elem (an empty string, no reference). */
int ps__drop_child(void *buf, int elem, uint32_t sig)
{
	int off = psf_find_child(buf, elem, sig);

	if (off == PSF_ERR_NOTFOUND)
		return 0;
	return off < 0 ? off : psf_wip_nop(buf, off);
}

/* The record rec of elem at least rec_len long (unknown trailing bytes
 * kept): its offset. */
static int full_record(void *buf, size_t cap, int elem, uint32_t rec,
		       uint32_t rec_len)
{
	uint8_t tmp[64];
	uint32_t len = 0;
	const void *p = psf_child_payload(buf, elem, rec, &len);

	if (p && len >= rec_len)
		return psf_find_child(buf, elem, rec);
	if (rec_len > sizeof(tmp))
		return PSF_ERR_BADVALUE;
	psf_memset(tmp, 0, sizeof(tmp));
	if (p)
		psf_memcpy(tmp, p, len);
	return ps__put_child(buf, cap, elem, rec, tmp, rec_len);
}

int ps__write_field(void *buf, size_t cap, int elem, enum ps_obj k,
		       const struct ps_field *f, const void *data)
{
	/* Records inside an object's container (RESTART_CONFIG) are the
	 * only nested ones. */
	uint32_t rec_len = f->in ? PSF_RSTC_SIZE : ps__kinds[k].rec_len;
	int rec = full_record(buf, cap, elem, f->sig, rec_len);

	if (rec < 0)
		return rec;
	return psf_wip_write(buf, rec, f->off, data, f->width);
}

/* Container sig under elem (with room for its children), created when
 * missing.  Its offset. */
int ps__need_container(void *buf, size_t cap, int elem, uint32_t sig)
{
	uint32_t at;
	struct room r;
	int c = psf_find_child(buf, elem, sig), rc;

	if (c != PSF_ERR_NOTFOUND)
		return c;
	at = ps__append_point(buf, elem);
	ps__room_take(buf, elem, at,
		  PSF_CONTAINER_HDR + PSF_STRUCT_HDR + PS_CFG_ROOM_OTHER, &r);
	c = psf_insert(buf, cap, elem, ps__child_at(buf, elem, at), sig, NULL, 0);
	if (c < 0)
		return c;
	rc = psf_insert(buf, cap, c, -1, PSF_PAD, NULL, PS_CFG_ROOM_OTHER);
	if (rc < 0)
		return rc;
	rc = ps__room_give(buf, cap, &r);
	return rc ? rc : c;
}
