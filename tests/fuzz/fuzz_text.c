/*
 * Fuzz the text parser with hostile text.  Whatever parses must pack,
 * unpack to the same bytes, and dump canonically: dump(parse(dump(t)))
 * equals dump(t).
 */
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psf_tree *t = NULL, *t2 = NULL, *t3 = NULL;
	struct psf_text_error err;
	void *bin = NULL;
	char *text = NULL, *text2 = NULL;
	size_t blen, tlen, tlen2;
	int rc = psf_text_parse((const char *)data, size, &t, &err);

	if (rc) {
		if (err.line == 0 || memchr(err.msg, 0, sizeof(err.msg)) == NULL)
			abort(); /* every error says where and what */
		return 0;
	}
	rc = psf_tree_pack_alloc(t, &bin, &blen);
	if (rc == 0) {
		if (psf_check_full(bin, blen, NULL) != 0)
			abort();
		if (psf_tree_unpack(bin, blen, &t2, NULL) != 0)
			abort();
		if (psf_text_dump_alloc(t2, &text, &tlen) != 0)
			abort();
		if (psf_text_parse(text, tlen, &t3, NULL) != 0)
			abort();
		if (psf_text_dump_alloc(t3, &text2, &tlen2) != 0)
			abort();
		if (tlen != tlen2 || memcmp(text, text2, tlen) != 0)
			abort();
	} else if (rc != PSF_ERR_TOOLARGE && rc != PSF_ERR_TOODEEP &&
		   rc != PSF_ERR_NOSPACE && rc != PSF_ERR_BADFLAGS) {
		abort(); /* a parsed tree packs unless a limit is hit */
	}
	free(bin);
	free(text);
	free(text2);
	psf_tree_free(t);
	psf_tree_free(t2);
	psf_tree_free(t3);
	return 0;
}
