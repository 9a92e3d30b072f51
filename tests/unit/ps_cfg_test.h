/*
 * ps_cfg_test.h - helpers of the configuration-edit tests (header only,
 * static inline; include after cmocka.h): an empty store, a store that
 * must pass every check, a field set that must succeed.
 */
#ifndef PS_CFG_TEST_H
#define PS_CFG_TEST_H

#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"

/* An empty store of cap bytes in buf. */
static inline void pst_empty(uint8_t *buf, size_t cap)
{
	struct psf_builder b;

	memset(buf, 0, cap);
	assert_true(psf_build_begin(&b, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION,
				    0) >= 0);
	assert_true(psf_build_finish(&b) >= 0);
}

/* buf finished, a sound tree, and no problem for the whole-store check. */
static inline void pst_valid(uint8_t *buf, size_t cap)
{
	uint32_t bad = 0;

	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(psf_check_full(buf, cap, &bad), 0);
	assert_int_equal(ps_cfg_check(buf, psf_total(buf), NULL, NULL), 0);
}

/* Field f of the object at el (kind k) set to v, which must succeed. */
static inline void pst_set(uint8_t *buf, size_t cap, int el, enum ps_obj k,
			   const char *f, const char *v)
{
	assert_int_equal(ps_obj_set(buf, cap, el, k, f, strlen(f), v,
				    strlen(v), NULL), 0);
}

#endif /* PS_CFG_TEST_H */
