/*
 * psf_ro.c - read-only access: header checks, full validation, iteration,
 * lookup.  This file plus psf_crc.c is all a read-only firmware needs.
 */
#include "psf.h"
#include "psf_internal.h"

int psf__elem(const uint8_t *b, int off, struct psf_elem *e)
{
	uint32_t total = psf_total(b);
	uint32_t o = (uint32_t)off;
	uint32_t room;

	if (off < (int)PSF_HEADER_SIZE || o >= total ||
	    total - o < PSF_STRUCT_HDR)
		return PSF_ERR_BADOFFSET;
	e->sig = psf_le32(b + o);
	e->count = psf_le32(b + o + 4);
	if (PSF_SIG_IS_CONTAINER(e->sig)) {
		if (total - o < PSF_CONTAINER_HDR)
			return PSF_ERR_OVERRUN;
		e->data = o + PSF_CONTAINER_HDR;
		room = psf_le32(b + o + 8);
	} else {
		e->data = o + PSF_STRUCT_HDR;
		room = e->count;
	}
	if (room > total - e->data)
		return PSF_ERR_OVERRUN;
	e->end = e->data + room;
	return PSF_OK;
}

int psf_check_header(const void *buf, size_t bufsize)
{
	const uint8_t *b = (const uint8_t *)buf;
	uint32_t total;

	if (bufsize < PSF_HEADER_SIZE)
		return PSF_ERR_TRUNCATED;
	if (psf_memcmp(b, PSF_MAGIC, PSF_MAGIC_LEN) != 0)
		return PSF_ERR_BADMAGIC;
	if (b[PSF_HDR_MAJOR] != PSF_FORMAT_MAJOR)
		return PSF_ERR_BADVERSION;
	/* The header CRC comes before any field is trusted: a torn header
	 * write must not make us believe a wrong length. */
	if (psf_le32(b + PSF_HDR_HEADER_CRC) !=
	    psf_crc32c(0, b, PSF_HDR_HEADER_CRC))
		return PSF_ERR_HEADERCRC;
	if (psf_le16(b + PSF_HDR_HEADER_SIZE) != PSF_HEADER_SIZE)
		return PSF_ERR_BADHEADER;
	if (psf_flags(b) & PSF_FLAGS_INCOMPAT_MASK & ~PSF_FLAGS_KNOWN)
		return PSF_ERR_BADFLAGS;
	total = psf_total(b);
	if (total > PSF_MAX_TOTAL)
		return PSF_ERR_TOOLARGE;
	if (total < PSF_HEADER_SIZE + PSF_CONTAINER_HDR)
		return PSF_ERR_BADHEADER;
	if (total > bufsize)
		return PSF_ERR_TRUNCATED;
	return PSF_OK;
}

/* psf_check_crc; body, if not NULL, is the CRC of bytes [header,
 * bufsize), which are the body when the header says bufsize bytes. */
static int check_crc(const uint8_t *b, size_t bufsize, const uint32_t *body)
{
	int rc = psf_check_header(b, bufsize);
	uint32_t total;

	if (rc)
		return rc;
	total = psf_total(b);
	if (psf_le32(b + PSF_HDR_BODY_CRC) !=
	    (body && total == bufsize ? *body :
	     psf_crc32c(0, b + PSF_HEADER_SIZE, total - PSF_HEADER_SIZE)))
		return PSF_ERR_BODYCRC;
	return PSF_OK;
}

int psf_check_crc(const void *buf, size_t bufsize)
{
	return check_crc((const uint8_t *)buf, bufsize, 0);
}

static int fail_at(uint32_t *bad_off, uint32_t off, int err)
{
	if (bad_off)
		*bad_off = off;
	return err;
}

/*
 * One linear pass over the body with an explicit stack of open containers
 * (start offset and children still expected).  Every byte of the body is
 * covered by exactly one element header or payload, so the pass ends after
 * at most total / 8 elements whatever the counts claim.
 */
int psf_check_tree_pads(const void *buf, size_t bufsize, uint32_t *bad_off,
			uint32_t *pads)
{
	const uint8_t *b = (const uint8_t *)buf;
	uint32_t start[PSF_MAX_DEPTH];
	uint32_t left[PSF_MAX_DEPTH];
	uint32_t depth = 0, off = PSF_HEADER_SIZE, total, limit, padb = 0;
	int rc = psf_check_header(buf, bufsize);

	if (rc)
		return fail_at(bad_off, 0, rc);
	total = psf_total(b);
	if (!PSF_SIG_IS_CONTAINER(psf_le32(b + off)) ||
	    psf_le32(b + off + 8) != total - off - PSF_CONTAINER_HDR)
		return fail_at(bad_off, off, PSF_ERR_BADROOT);

	for (;;) {
		uint32_t sig, count, room, hdr;

		/* Close every container whose bytes are used up. */
		while (depth > 0 &&
		       off == start[depth - 1] + PSF_CONTAINER_HDR +
			      psf_le32(b + start[depth - 1] + 8)) {
			if (left[depth - 1] != 0)
				return fail_at(bad_off, start[depth - 1],
					       PSF_ERR_BADCOUNT);
			depth--;
		}
		if (depth == 0 && off != PSF_HEADER_SIZE) {
			if (pads)
				*pads = padb;
			return PSF_OK; /* root closed, and it ends at total */
		}
		limit = depth ? start[depth - 1] + PSF_CONTAINER_HDR +
					psf_le32(b + start[depth - 1] + 8)
			      : total;
		if (depth > 0 && left[depth - 1] == 0)
			return fail_at(bad_off, start[depth - 1],
				       PSF_ERR_BADCOUNT);

		if (limit - off < PSF_STRUCT_HDR)
			return fail_at(bad_off, off, PSF_ERR_OVERRUN);
		sig = psf_le32(b + off);
		hdr = PSF_SIG_IS_CONTAINER(sig) ? PSF_CONTAINER_HDR
						: PSF_STRUCT_HDR;
		if (limit - off < hdr)
			return fail_at(bad_off, off, PSF_ERR_OVERRUN);
		count = psf_le32(b + off + 4);
		room = PSF_SIG_IS_CONTAINER(sig) ? psf_le32(b + off + 8) : count;
		if (room > limit - off - hdr)
			return fail_at(bad_off, off, PSF_ERR_OVERRUN);
		if (depth > 0)
			left[depth - 1]--;
		if (!PSF_SIG_IS_CONTAINER(sig)) {
			padb += sig == PSF_PAD ? hdr + room : 0;
			off += hdr + room;
			continue;
		}
		if (depth == PSF_MAX_DEPTH)
			return fail_at(bad_off, off, PSF_ERR_TOODEEP);
		start[depth] = off;
		left[depth] = count;
		depth++;
		off += hdr;
	}
}

int psf_check_tree(const void *buf, size_t bufsize, uint32_t *bad_off)
{
	return psf_check_tree_pads(buf, bufsize, bad_off, 0);
}

static int check_full(const void *buf, size_t bufsize, uint32_t *bad_off,
		      const uint32_t *body)
{
	int rc = check_crc((const uint8_t *)buf, bufsize, body);

	if (rc)
		return fail_at(bad_off,
			       rc == PSF_ERR_BODYCRC ? PSF_HEADER_SIZE : 0, rc);
	return psf_check_tree(buf, bufsize, bad_off);
}

int psf_check_full(const void *buf, size_t bufsize, uint32_t *bad_off)
{
	return check_full(buf, bufsize, bad_off, 0);
}

int psf_check_full_crc(const void *buf, size_t bufsize, uint32_t *bad_off,
		       uint32_t body_crc)
{
	return check_full(buf, bufsize, bad_off, &body_crc);
}

int psf_elem(const void *buf, int off, struct psf_elem *e)
{
	return psf__elem((const uint8_t *)buf, off, e);
}

uint32_t psf_sig(const void *buf, int off)
{
	struct psf_elem e;

	return psf__elem((const uint8_t *)buf, off, &e) ? PSF_PAD : e.sig;
}

const void *psf_payload(const void *buf, int off, uint32_t *lenp)
{
	struct psf_elem e;
	int rc = psf__elem((const uint8_t *)buf, off, &e);

	if (!rc && PSF_SIG_IS_CONTAINER(e.sig))
		rc = PSF_ERR_NOTSTRUCT;
	if (rc) {
		if (lenp)
			*lenp = (uint32_t)rc;
		return 0;
	}
	if (lenp)
		*lenp = e.count;
	return (const uint8_t *)buf + e.data;
}

int psf_first_child_raw(const void *buf, int parent)
{
	struct psf_elem pe;
	int rc = psf__container((const uint8_t *)buf, parent, &pe);

	if (rc)
		return rc;
	return pe.data < pe.end ? (int)pe.data : PSF_ERR_NOTFOUND;
}

int psf_next_child_raw(const void *buf, int parent, int prev)
{
	const uint8_t *b = (const uint8_t *)buf;
	struct psf_elem pe, ce;
	int rc = psf__container(b, parent, &pe);

	if (!rc)
		rc = psf__elem(b, prev, &ce);
	if (rc)
		return rc;
	if ((uint32_t)prev < pe.data || ce.end > pe.end)
		return PSF_ERR_BADOFFSET;
	return ce.end < pe.end ? (int)ce.end : PSF_ERR_NOTFOUND;
}

int psf_cursor_init(const void *buf, int parent, struct psf_cursor *c)
{
	struct psf_elem pe;
	int rc = psf__container((const uint8_t *)buf, parent, &pe);

	if (rc)
		return rc;
	c->next = pe.data;
	c->end = pe.end;
	return PSF_OK;
}

int psf_cursor_next(const void *buf, struct psf_cursor *c,
		    struct psf_elem *e)
{
	uint32_t off = c->next;
	int rc;

	if (off >= c->end)
		return PSF_ERR_NOTFOUND;
	rc = psf__elem((const uint8_t *)buf, (int)off, e);
	if (rc)
		return rc;
	if (e->end > c->end)
		return PSF_ERR_OVERRUN;
	c->next = e->end;
	return (int)off;
}

static int skip_pads(const void *buf, int parent, int off)
{
	while (off >= 0 && psf_sig(buf, off) == PSF_PAD)
		off = psf_next_child_raw(buf, parent, off);
	return off;
}

int psf_first_child(const void *buf, int parent)
{
	return skip_pads(buf, parent, psf_first_child_raw(buf, parent));
}

int psf_next_child(const void *buf, int parent, int prev)
{
	return skip_pads(buf, parent, psf_next_child_raw(buf, parent, prev));
}

int psf_find_next(const void *buf, int parent, int prev, uint32_t sig)
{
	int off = prev < 0 ? psf_first_child_raw(buf, parent)
			   : psf_next_child_raw(buf, parent, prev);

	while (off >= 0 && psf_sig(buf, off) != sig)
		off = psf_next_child_raw(buf, parent, off);
	return off;
}

const void *psf_child_payload(const void *buf, int parent, uint32_t sig,
			      uint32_t *lenp)
{
	int off = psf_find_child(buf, parent, sig);

	if (off < 0) {
		if (lenp)
			*lenp = (uint32_t)off;
		return 0;
	}
	return psf_payload(buf, off, lenp);
}

int psf_find_named(const void *buf, int parent, uint32_t sig,
		   uint32_t name_sig, const char *name, size_t len)
{
	int off;

	for (off = psf_find_child(buf, parent, sig); off >= 0;
	     off = psf_find_next(buf, parent, off, sig)) {
		uint32_t nlen;
		const void *n = psf_child_payload(buf, off, name_sig, &nlen);

		if (n && nlen == len && psf_memcmp(n, name, len) == 0)
			return off;
	}
	return off;
}

int psf_find_path(const void *buf, const struct psf_step *steps, size_t n,
		  uint32_t name_sig)
{
	int off = psf_root(buf);
	size_t i;

	for (i = 0; i < n && off >= 0; i++) {
		if (steps[i].name)
			off = psf_find_named(buf, off, steps[i].sig, name_sig,
					     steps[i].name, steps[i].name_len);
		else
			off = psf_find_child(buf, off, steps[i].sig);
	}
	return off;
}

/*
 * The child of container cur whose bytes hold off (off itself when it is
 * a child).  Siblings are skipped whole, in O(1) each, thanks to the size
 * field; each is decoded once and must lie inside cur.
 */
int psf__child_toward(const uint8_t *b, int cur, int off)
{
	struct psf_elem e;
	uint32_t child, end;

	if (psf__elem(b, cur, &e) || !PSF_SIG_IS_CONTAINER(e.sig))
		return PSF_ERR_BADOFFSET;
	end = e.end;
	for (child = e.data; child < end; child = e.end) {
		if (psf__elem(b, (int)child, &e) || e.end > end)
			return PSF_ERR_BADOFFSET;
		if ((uint32_t)off < e.end)
			break;
	}
	if (child >= end || child > (uint32_t)off)
		return PSF_ERR_BADOFFSET;
	if (child != (uint32_t)off && !PSF_SIG_IS_CONTAINER(e.sig))
		return PSF_ERR_BADOFFSET; /* inside a payload */
	return (int)child;
}

int psf__locate(const uint8_t *b, int off, int *parent, int *chain)
{
	struct psf_elem e;
	int cur = psf_root(b), depth = 0;
	int rc = psf__elem(b, off, &e);

	if (rc)
		return rc;
	*parent = -1;
	while (cur != off) {
		if (depth == (int)PSF_MAX_DEPTH)
			return PSF_ERR_TOODEEP;
		if (chain)
			chain[depth] = cur;
		depth++;
		*parent = cur;
		cur = psf__child_toward(b, cur, off);
		if (cur < 0)
			return cur;
	}
	return depth;
}

int psf_ancestors(const void *buf, int off, int chain[PSF_MAX_DEPTH])
{
	int parent;

	return psf__locate((const uint8_t *)buf, off, &parent, chain);
}

uint64_t psf_field_uint(const void *payload, uint32_t len, uint32_t off,
			uint32_t width)
{
	const uint8_t *p;

	if (!payload || off > len || width > len - off)
		return 0;
	p = (const uint8_t *)payload + off;
	switch (width) {
	case 1: return p[0];
	case 2: return psf_le16(p);
	case 4: return psf_le32(p);
	case 8: return psf_le64(p);
	default: return 0;
	}
}

void psf_field_bytes(const void *payload, uint32_t len, uint32_t off,
		     void *dst, uint32_t n)
{
	if (!payload || off > len || n > len - off)
		psf_memset(dst, 0, n);
	else
		psf_memcpy(dst, (const uint8_t *)payload + off, n);
}
