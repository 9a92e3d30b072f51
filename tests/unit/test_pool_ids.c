/*
 * test_pool_ids.c - the etcd keys of the pool records
 * (cli/psctl_pool_ids.c): each record's key below /pstate/ and back, and
 * records the library's rules refuse have none.  The rules themselves:
 * tests/unit/test_pool_rules.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "psf.h"
#include "psf_schema.h"
#include "psctl_pool_ids.h"

static void test_keys(void **state)
{
	const char *range = "r wwn 20:00:00:25:b5:00:00:01 "
			    "20:00:00:25:b5:00:0f:ff";
	const char *resv = "mac 02:00:00:00:00:01 web";
	char k[64];

	(void)state;
	assert_int_equal(idp_rec_key(PSF_POOL_RANGE, range, strlen(range), k,
				     sizeof k), 0);
	assert_string_equal(k, "range/r");
	assert_int_equal(idp_key_sig(k), PSF_POOL_RANGE);
	assert_int_equal(idp_rec_key(PSF_POOL_RESV, resv, strlen(resv), k,
				     sizeof k), 0);
	assert_string_equal(k, "resv/mac/02:00:00:00:00:01");
	assert_int_equal(idp_key_sig(k), PSF_POOL_RESV);
	assert_int_equal(idp_rec_key(PSF_POOL_SPARES, "sp a b#vm1", 10, k,
				     sizeof k), 0);
	assert_string_equal(k, "spares/sp");
	assert_int_equal(idp_key_sig(k), PSF_POOL_SPARES);
	assert_int_equal(idp_key_sig("profile/web"), 0);
	/* Too short to key, and too long for the key's buffer. */
	assert_int_equal(idp_rec_key(PSF_POOL_RESV, "mac x", 5, k, sizeof k),
			 -1);
	assert_int_equal(idp_rec_key(PSF_POOL_RANGE, range, strlen(range), k,
				     5), -1);
	assert_int_equal(idp_rec_key(PSF_POOL_SPARES, "", 0, k, sizeof k), -1);
}

/* A reservation the rules refuse (ps_pool_resv_rec) has no key: another
 * spelling of an identifier would be a second key for it. */
static void test_refused(void **state)
{
	const char *upper = "mac 02:00:00:00:00:0A -";
	char k[64];

	(void)state;
	assert_int_equal(idp_rec_key(PSF_POOL_RESV, upper, strlen(upper), k,
				     sizeof k), -1);
	assert_int_equal(idp_rec_key(PSF_POOL_RESV, "ip 1 -", 6, k, sizeof k),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
