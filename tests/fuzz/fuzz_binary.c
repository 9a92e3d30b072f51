/*
 * Fuzz the binary side: validation, walking, unpack, repack and the text
 * form of whatever validates.  Invariants checked:
 *   - psf_check_full never crashes and, when it fails, unpack fails too;
 *   - a valid store walks without error, unpacks, and repacks to exactly
 *     its own bytes;
 *   - its text form parses back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_tree.h"

/* Visit every element iteratively, touching every payload. */
static void walk(const uint8_t *buf)
{
	int parents[PSF_MAX_DEPTH];
	int depth = 0, off;
	volatile uint32_t sink = 0;

	parents[depth++] = psf_root(buf);
	off = psf_first_child_raw(buf, parents[0]);
	while (depth > 0) {
		if (off < 0) {
			int done = parents[--depth];

			if (off != PSF_ERR_NOTFOUND)
				abort(); /* a validated store walks cleanly */
			if (depth > 0)
				off = psf_next_child_raw(buf, parents[depth - 1],
							 done);
			continue;
		}
		if (PSF_SIG_IS_CONTAINER(psf_sig(buf, off))) {
			if (depth == (int)PSF_MAX_DEPTH)
				abort();
			parents[depth++] = off;
			off = psf_first_child_raw(buf, off);
			continue;
		}
		{
			uint32_t len;
			const uint8_t *p = psf_payload(buf, off, &len);

			if (!p)
				abort();
			if (len)
				sink += p[len - 1];
		}
		off = psf_next_child_raw(buf, parents[depth - 1], off);
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psf_tree *t = NULL, *t2 = NULL;
	uint32_t bad = 0;
	void *packed = NULL, *packed2 = NULL;
	char *text = NULL;
	size_t plen, plen2, tlen;
	int rc = psf_check_full(data, size, &bad);
	int urc = psf_tree_unpack(data, size, &t, &bad);

	if ((rc == 0) != (urc == 0) && urc != PSF_ERR_NOSPACE)
		abort();
	if (rc)
		return 0;
	if (bad > size)
		abort();
	walk(data);
	if (urc)
		return 0;
	if (psf_tree_pack_alloc(t, &packed, &plen) != 0)
		abort();
	if (plen != psf_total(data) || memcmp(packed, data, plen) != 0)
		abort();
	if (psf_text_dump_alloc(t, &text, &tlen) != 0)
		abort();
	if (psf_text_parse(text, tlen, &t2, NULL) != 0)
		abort();
	if (psf_tree_pack_alloc(t2, &packed2, &plen2) != 0)
		abort();
	if (plen2 != plen || memcmp(packed, packed2, plen) != 0)
		abort();
	free(packed);
	free(packed2);
	free(text);
	psf_tree_free(t);
	psf_tree_free(t2);
	return 0;
}
