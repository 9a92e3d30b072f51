/*
 * ps_room.c - room for growth: writing a child or a record field borrows
 * the bytes from the nearest pad, so that an edit rewrites only the span
 * between the edit and the pad.  Freestanding.
 */
#include "ps_cfg_internal.h"

/* Bytes of the run of pads that starts with the pad at off (just read
 * by cur, which moves past the run). */
static uint32_t run_bytes(const void *buf, struct psf_cursor *cur, int off)
{
	struct psf_elem e;
	uint32_t n = cur->next - (uint32_t)off;

	while (cur->next < cur->end && psf_sig(buf, (int)cur->next) == PSF_PAD &&
	       psf_cursor_next(buf, cur, &e) >= 0)
		n = e.end - (uint32_t)off;
	return n;
}

/*
 * The first run of pads of c at or after from that holds need bytes
 * exactly or with room for a pad of the rest, merged into one pad
 * (psf_pad_merge): the room freed by neighbouring deletions adds up
 * instead of staying in pieces too small to use.  Only the run taken is
 * merged, so a search stays one pass over c.
 */
static int pad_in(void *buf, int c, uint32_t from, uint32_t need,
		  struct room *r)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off, size;

	if (psf_cursor_init(buf, c, &cur))
		return 0;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0) {
		if (e.sig != PSF_PAD || (uint32_t)off < from ||
		    !ps__room_fits(run_bytes(buf, &cur, off), need))
			continue;
		size = psf_pad_merge(buf, off);
		if (size < 0)
			return 0;
		r->holder = c;
		r->pad = off;
		r->size = (uint32_t)size;
		return 1;
	}
	return 0;
}

/* A pad of size bytes takes need bytes: all of them, or need and a pad
 * (at least a header) of the rest. */
int ps__room_fits(uint32_t size, uint32_t need)
{
	return size == need || size >= need + PSF_STRUCT_HDR;
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

/* The child of c that starts at at (end 0) or ends there (end 1), or
 * -1. */
static int child_by_edge(const void *buf, int c, uint32_t at, int end)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return -1;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0)
		if ((end ? e.end : (uint32_t)off) == at)
			return off;
	return -1;
}

/* The child of c at offset at, or -1 (append) when none starts there. */
int ps__child_at(const void *buf, int c, uint32_t at)
{
	return child_by_edge(buf, c, at, 0);
}

/*
 * Give back what the edit did not use of the pad ps__room_take took, at
 * the spot right after the bytes it used, so everything after the pad's
 * old end is back in place.  A pad next to that spot grows by the rest
 * (no second pad beside it); otherwise a new pad goes there.
 */
int ps__room_give(void *buf, size_t cap, const struct room *r)
{
	uint32_t total = psf_total(buf), used, left, at;
	struct psf_elem e;
	int rc, next;

	if (r->pad < 0 || total < r->base)
		return 0;
	used = total - r->base;
	if (used >= r->size)
		return 0;  /* all used, or more than the pad held */
	left = r->size - used;
	at = (uint32_t)r->pad + used;
	next = child_by_edge(buf, r->holder, at, 1);
	if (next < 0 || psf_sig(buf, next) != PSF_PAD)
		next = ps__child_at(buf, r->holder, at);
	if (next >= 0 && psf_sig(buf, next) == PSF_PAD) {
		/* Merged first: growing a pad followed by another would take
		 * the other's bytes instead of moving the tail back. */
		rc = psf_pad_merge(buf, next);
		if (rc < 0)
			return rc;
		rc = psf_elem(buf, next, &e);
		return rc ? rc : psf_set_payload(buf, cap, next, NULL,
						 e.count + left);
	}
	if (left < PSF_STRUCT_HDR)
		return 0;  /* cannot happen: ps__room_fits */
	rc = psf_insert(buf, cap, r->holder, next, PSF_PAD, NULL,
			left - PSF_STRUCT_HDR);
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

/* Children of c keep their order for a reason (NICs: pxe-nic counts
 * them; controllers and serial ports likewise map to devices in order):
 * the sets under a VM.  New ones go after the last. */
static int ordered(const void *buf, int c)
{
	uint32_t sig = psf_sig(buf, c);
	int k;

	for (k = 0; k < PS_OBJ_COUNT; k++)
		if (ps__kinds[k].sub && ps__kinds[k].set == sig)
			return 1;
	return 0;
}

/*
 * Where a new child of need bytes goes in c: after the last real child
 * (ps__append_point) when a pad there can take it or c keeps its order;
 * else at the start of the run of pads nearest before that point that can
 * (the room of deleted children, reused in place: only those bytes are
 * written); else after the last real child all the same (the room comes
 * from an enclosing pad, or the tail moves).  ps__room_take then takes
 * that pad.
 */
uint32_t ps__place(const void *buf, int c, uint32_t need)
{
	struct psf_cursor cur;
	struct psf_elem e;
	uint32_t at = ps__append_point(buf, c), best = at;
	int off;

	if (ordered(buf, c) || psf_cursor_init(buf, c, &cur))
		return at;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0) {
		if (e.sig != PSF_PAD ||
		    !ps__room_fits(run_bytes(buf, &cur, off), need))
			continue;
		if ((uint32_t)off >= at)
			return at;
		best = (uint32_t)off;
	}
	return best;
}

/* The pad run that old's own bytes join once it is freed starts at the
 * pad right before old, if any. */
static uint32_t run_start(const void *buf, int parent, int old)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off, prev = -1;

	if (psf_cursor_init(buf, parent, &cur))
		return (uint32_t)old;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0 && off != old)
		prev = e.sig == PSF_PAD ? (prev < 0 ? off : prev) : -1;
	return (uint32_t)(prev >= 0 ? prev : old);
}

/*
 * Put the element bytes el[0..elen) under parent: in place of old (a
 * child of parent, which goes), or as a new child (old < 0) where
 * ps__place says.  The old copy's bytes and the pads around them are
 * taken first, so rewriting an element of the same size writes only its
 * own bytes and one that grows borrows from the nearest pad after it.
 * The element goes in as a pad of its size whose bytes are then
 * overwritten, so the parent's count and size stay right whatever it
 * holds.  Returns its offset.
 */
int ps_elem_put(void *buf, size_t cap, int parent, int old, const void *el,
		uint32_t elen)
{
	struct room r;
	uint32_t at;
	int off, rc;

	if (elen < PSF_STRUCT_HDR)
		return PSF_ERR_BADVALUE;
	if (old >= 0) {
		at = run_start(buf, parent, old);
		rc = psf_wip_nop(buf, old);
		if (!rc)
			rc = psf_pad_merge(buf, (int)at);
		/* A run too small for the new copy stays as the room it is
		 * unless it is more than its container keeps (garbage): then
		 * it goes (the bytes up to the pad that gives the new copy's
		 * room move anyway). */
		if (rc >= 0 && !ps__room_fits((uint32_t)rc, elen) &&
		    (uint32_t)rc > ps__room_of(buf, parent))
			rc = psf_delete(buf, (int)at);
		if (rc < 0)
			return rc;
	} else {
		at = ps__place(buf, parent, elen);
	}
	ps__room_take(buf, parent, at, elen, &r);
	off = psf_insert(buf, cap, parent, ps__child_at(buf, parent, at),
			 PSF_PAD, NULL, elen - PSF_STRUCT_HDR);
	if (off < 0)
		return off;
	psf_memcpy((uint8_t *)buf + off, el, elen);
	rc = ps__room_give(buf, cap, &r);
	return rc ? rc : off;
}
