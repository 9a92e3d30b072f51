/*
 * psf_wip.c - edits that change bytes in place and move nothing else, so on
 * flash they touch only the sectors under the edited element.
 */
#include "psf.h"
#include "psf_internal.h"

/* An in-place edit must hit a real element: an offset into the middle of
 * one could decode as a plausible header and be corrupted silently. */
static int real_elem(const uint8_t *b, int elem, struct psf_elem *e)
{
	int parent, rc = psf__locate(b, elem, &parent, 0);

	return rc < 0 ? rc : psf__elem(b, elem, e);
}

int psf_wip_write(void *buf, int elem, uint32_t off, const void *data,
		  uint32_t n)
{
	uint8_t *b = (uint8_t *)buf;
	struct psf_elem e;
	int rc = real_elem(b, elem, &e);

	if (rc)
		return rc;
	if (PSF_SIG_IS_CONTAINER(e.sig))
		return PSF_ERR_NOTSTRUCT;
	if (off > e.count || n > e.count - off)
		return PSF_ERR_NOSPACE;
	psf_memmove(b + e.data + off, data, n);
	return PSF_OK;
}

int psf_wip_nop(void *buf, int elem)
{
	uint8_t *b = (uint8_t *)buf;
	struct psf_elem e;
	int rc = real_elem(b, elem, &e);

	if (rc)
		return rc;
	if (elem == psf_root(buf))
		return PSF_ERR_BADVALUE; /* the root must stay a container */
	psf_put_le32(b + elem, PSF_PAD);
	psf_put_le32(b + elem + 4, e.end - (uint32_t)elem - PSF_STRUCT_HDR);
	psf_memset(b + elem + PSF_STRUCT_HDR, 0,
		   e.end - (uint32_t)elem - PSF_STRUCT_HDR);
	return PSF_OK;
}

/*
 * Merge the pads that directly follow the pad at pad (same parent) into
 * it: one pad of their combined size, the parent's count down by the
 * pads absorbed.  Only the pad's header, the absorbed headers (zeroed:
 * they become payload) and the parent's count change; nothing moves.
 * Returns the merged pad's total size.
 */
int psf_pad_merge(void *buf, int pad)
{
	uint8_t *b = (uint8_t *)buf;
	struct psf_elem e, pe, n;
	int parent, rc = psf__locate(b, pad, &parent, 0);
	uint32_t end, absorbed = 0;

	if (rc < 0)
		return rc;
	if (parent < 0)
		return PSF_ERR_BADVALUE;
	if (psf__elem(b, pad, &e) || psf__container(b, parent, &pe))
		return PSF_ERR_BADOFFSET;
	if (e.sig != PSF_PAD)
		return PSF_ERR_BADVALUE;
	end = e.end;
	while (end < pe.end && psf_le32(b + end) == PSF_PAD &&
	       !psf__elem(b, (int)end, &n) && n.end <= pe.end) {
		psf_memset(b + end, 0, PSF_STRUCT_HDR);
		end = n.end;
		absorbed++;
	}
	if (absorbed) {
		psf_put_le32(b + pad + 4, end - (uint32_t)pad - PSF_STRUCT_HDR);
		psf_put_le32(b + parent + 4, psf_le32(b + parent + 4) - absorbed);
	}
	return (int)(end - (uint32_t)pad);
}
