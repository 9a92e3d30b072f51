/*
 * psf_rw.c - edits that change sizes: the rest of the store shifts, and
 * every enclosing container's size and the header's total follow.
 *
 * Pads keep edits local.  Growing takes bytes from a pad that directly
 * follows the edited spot; shrinking a payload leaves the freed bytes as a
 * pad (or merges them into a following one).  Only when no pad can help
 * does the tail of the store move.  Ancestors never move: they all start
 * before the edited spot.
 */
#include "psf.h"
#include "psf_internal.h"

/*
 * Where an edit happens: the container whose children change, and its
 * depth (root = 1).  The containers above it are found again by a descent
 * from the root when their sizes change, instead of being kept in an
 * array, so the editors' stack frames stay small enough for firmware.
 */
struct site {
	int parent;
	int depth;
};

static int site_of_parent(const uint8_t *b, int parent, struct site *s)
{
	struct psf_elem e;
	int up, depth = psf__container(b, parent, &e);

	if (!depth)
		depth = psf__locate(b, parent, &up, 0);
	if (depth < 0)
		return depth;
	s->parent = parent;
	s->depth = depth + 1;
	return PSF_OK;
}

static int site_of_elem(const uint8_t *b, int elem, struct site *s)
{
	int depth = psf__locate(b, elem, &s->parent, 0);

	if (depth < 0)
		return depth;
	if (depth == 0)
		return PSF_ERR_BADVALUE; /* the root has no parent */
	s->depth = depth;
	return PSF_OK;
}

static void add_u32(uint8_t *at, int32_t delta)
{
	psf_put_le32(at, psf_le32(at) + (uint32_t)delta);
}

/*
 * Every container from the root down to the site's parent, and the store,
 * change size by delta.  Runs after the tail moved: everything it reads
 * (the ancestors and the siblings before them) lies before the edited spot
 * and still has its old sizes, each container being looked into before
 * its own size changes.
 */
static void resize_path(uint8_t *b, const struct site *s, int32_t delta)
{
	int cur = psf_root(b);

	for (;;) {
		int next = cur == s->parent
				   ? -1 : psf__child_toward(b, cur, s->parent);

		add_u32(b + cur + 8, delta);
		if (next < 0)
			break;
		cur = next;
	}
	add_u32(b + PSF_HDR_TOTAL, delta);
}

static uint32_t parent_end(const uint8_t *b, const struct site *s)
{
	return (uint32_t)s->parent + PSF_CONTAINER_HDR +
	       psf_le32(b + s->parent + 8);
}

static int is_pad_at(const uint8_t *b, const struct site *s, uint32_t at)
{
	return at < parent_end(b, s) && psf_le32(b + at) == PSF_PAD;
}

static void put_pad(uint8_t *b, uint32_t at, uint32_t payload_len)
{
	psf_put_le32(b + at, PSF_PAD);
	psf_put_le32(b + at + 4, payload_len);
}

static uint32_t capacity(size_t cap)
{
	return cap < PSF_MAX_TOTAL ? (uint32_t)cap : PSF_MAX_TOTAL;
}

/*
 * Open n bytes at offset at inside the site's container.  *dcount gets the
 * change to its child count (-1 when a pad was used up whole).  Returns 0
 * or an error, before touching anything.  The caller writes the n bytes.
 */
static int grow(uint8_t *b, size_t cap, const struct site *s, uint32_t at,
		uint32_t n, int *dcount)
{
	uint32_t total = psf_total(b);

	*dcount = 0;
	if (is_pad_at(b, s, at)) {
		uint32_t plen = psf_le32(b + at + 4);

		if (plen >= n) {
			put_pad(b, at + n, plen - n);
			return 0;
		}
		if (plen + PSF_STRUCT_HDR == n) {
			*dcount = -1; /* the pad is used up */
			return 0;
		}
	}
	if (n > capacity(cap) || total > capacity(cap) - n)
		return PSF_ERR_NOSPACE;
	psf_memmove(b + at + n, b + at, total - at);
	resize_path(b, s, (int32_t)n);
	return 0;
}

/*
 * Release the n bytes at [at, at + n) inside the site's container.
 * With keep_room the bytes stay as (or join) a pad when that is possible;
 * otherwise the tail moves up.  Returns the change to the child count.
 */
static int shrink(uint8_t *b, const struct site *s, uint32_t at, uint32_t n,
		  int keep_room)
{
	uint32_t total = psf_total(b);

	if (keep_room && is_pad_at(b, s, at + n)) {
		put_pad(b, at, psf_le32(b + at + n + 4) + n);
		return 0;
	}
	if (keep_room && n >= PSF_STRUCT_HDR) {
		put_pad(b, at, n - PSF_STRUCT_HDR);
		return 1;
	}
	psf_memmove(b + at, b + at + n, total - at - n);
	resize_path(b, s, -(int32_t)n);
	return 0;
}

static void add_count(uint8_t *b, const struct site *s, int delta)
{
	add_u32(b + s->parent + 4, delta);
}

int psf_set_payload(void *buf, size_t cap, int elem, const void *data,
		    uint32_t len)
{
	uint8_t *b = (uint8_t *)buf;
	struct psf_elem e;
	struct site s;
	int dcount = 0;
	int rc = psf__elem(b, elem, &e);

	if (!rc && PSF_SIG_IS_CONTAINER(e.sig))
		rc = PSF_ERR_NOTSTRUCT;
	if (!rc)
		rc = site_of_elem(b, elem, &s);
	if (rc)
		return rc;
	if (len > PSF_MAX_TOTAL)
		return PSF_ERR_NOSPACE;
	if (len > e.count) {
		rc = grow(b, cap, &s, e.end, len - e.count, &dcount);
		if (rc < 0)
			return rc;
	} else if (len < e.count) {
		dcount = shrink(b, &s, e.data + len, e.count - len, 1);
	}
	add_count(b, &s, dcount);
	psf_put_le32(b + elem + 4, len);
	if (data)
		psf_memcpy(b + e.data, data, len);
	else
		psf_memset(b + e.data, 0, len);
	return PSF_OK;
}

/* Offset to insert at: before, checked to be a child of parent, or the
 * parent's end -- or a trailing pad, so appends can use reserved room. */
static int insert_point(const uint8_t *b, int parent, int before)
{
	int child, last = PSF_ERR_NOTFOUND;
	struct psf_elem pe;
	int rc = psf__container(b, parent, &pe);

	if (rc)
		return rc;
	for (child = psf_first_child_raw(b, parent); child >= 0;
	     child = psf_next_child_raw(b, parent, child)) {
		if (child == before)
			return before;
		last = child;
	}
	if (before >= 0)
		return PSF_ERR_BADOFFSET;
	if (last >= 0 && psf_le32(b + last) == PSF_PAD)
		return last;
	return (int)pe.end;
}

int psf_insert(void *buf, size_t cap, int parent, int before, uint32_t sig,
	       const void *data, uint32_t len)
{
	uint8_t *b = (uint8_t *)buf;
	int container = PSF_SIG_IS_CONTAINER(sig);
	uint32_t hdr = container ? PSF_CONTAINER_HDR : PSF_STRUCT_HDR;
	struct site s;
	int at, rc, dcount;

	if (container && (data || len))
		return PSF_ERR_BADVALUE;
	if (len > PSF_MAX_TOTAL)
		return PSF_ERR_NOSPACE;
	at = insert_point(b, parent, before);
	if (at < 0)
		return at;
	rc = site_of_parent(b, parent, &s);
	if (rc)
		return rc;
	if (container && s.depth == (int)PSF_MAX_DEPTH)
		return PSF_ERR_TOODEEP;
	rc = grow(b, cap, &s, (uint32_t)at, hdr + len, &dcount);
	if (rc < 0)
		return rc;
	add_count(b, &s, 1 + dcount);
	psf_put_le32(b + at, sig);
	psf_put_le32(b + at + 4, container ? 0u : len);
	if (container)
		psf_put_le32(b + at + 8, 0);
	else if (data)
		psf_memcpy(b + at + hdr, data, len);
	else
		psf_memset(b + at + hdr, 0, len);
	return at;
}

int psf_set_child(void *buf, size_t cap, int parent, uint32_t sig,
		  const void *data, uint32_t len)
{
	int off = psf_find_child(buf, parent, sig);
	int rc;

	if (off == PSF_ERR_NOTFOUND)
		return psf_insert(buf, cap, parent, -1, sig, data, len);
	if (off < 0)
		return off;
	rc = psf_set_payload(buf, cap, off, data, len);
	return rc ? rc : off;
}

int psf_delete(void *buf, int elem)
{
	uint8_t *b = (uint8_t *)buf;
	struct psf_elem e;
	struct site s;
	int rc = psf__elem(b, elem, &e);

	if (!rc)
		rc = site_of_elem(b, elem, &s);
	if (rc)
		return rc;
	shrink(b, &s, (uint32_t)elem, e.end - (uint32_t)elem, 0);
	add_count(b, &s, -1);
	return PSF_OK;
}

int psf_finish(void *buf)
{
	uint8_t *b = (uint8_t *)buf;
	uint32_t total = psf_total(b);

	if (total < PSF_HEADER_SIZE + PSF_CONTAINER_HDR || total > PSF_MAX_TOTAL)
		return PSF_ERR_BADHEADER;
	psf_put_le32(b + PSF_HDR_BODY_CRC,
		     psf_crc32c(0, b + PSF_HEADER_SIZE, total - PSF_HEADER_SIZE));
	psf_put_le32(b + PSF_HDR_HEADER_CRC,
		     psf_crc32c(0, b, PSF_HDR_HEADER_CRC));
	return PSF_OK;
}
