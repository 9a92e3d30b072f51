/*
 * test_pool_ids.c - the rules of address pools (cli/psctl_pool_ids.c):
 * identifiers of each kind, ranges, overlap, membership, records, keys.
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

static struct idrange mk(const char *kind, const char *a, const char *b)
{
	struct idrange r;
	char why[200];

	assert_int_equal(idp_range_make(&r, "r", kind, a, b, why, sizeof why),
			 0);
	return r;
}

static void refused(const char *kind, const char *a, const char *b,
		    const char *want)
{
	struct idrange r;
	char why[200];

	assert_int_equal(idp_range_make(&r, "r", kind, a, b, why, sizeof why),
			 -1);
	assert_non_null(strstr(why, want));
}

static void test_kinds(void **state)
{
	struct idrange m = mk("mac", "02:00:5E:00:00:FE", "02:00:5e:00:01:01");
	struct idrange w = mk("wwn", "20:00:00:25:b5:00:00:01",
			      "20:00:00:25:b5:00:00:ff");
	struct idrange u = mk("uuid", "6a0f1e2d-3c4b-4a59-8687-0000000000fe",
			      "6a0f1e2d-3c4b-4a59-8687-000000000101");
	struct idrange s = mk("serial", "SN-0098", "SN-0102");
	struct idv v;
	char t[IDP_TEXT_MAX];

	(void)state;
	assert_int_equal(idp_size(&m), 4);
	v = m.first;
	assert_int_equal(idp_next(&m, &v), 1);
	idp_fmt(&m, v, t, sizeof t);
	assert_string_equal(t, "02:00:5e:00:00:ff");
	assert_int_equal(idp_next(&m, &v), 1);
	idp_fmt(&m, v, t, sizeof t);
	assert_string_equal(t, "02:00:5e:00:01:00");   /* carries a byte */
	v = m.last;
	assert_int_equal(idp_next(&m, &v), 0);          /* past the end   */
	assert_int_equal(idp_size(&w), 255);
	idp_fmt(&u, u.last, t, sizeof t);
	assert_string_equal(t, "6a0f1e2d-3c4b-4a59-8687-000000000101");
	idp_fmt(&s, s.first, t, sizeof t);
	assert_string_equal(t, "SN-0098");               /* width kept     */
	assert_int_equal(idp_size(&s), 5);
	assert_string_equal(idp_kind_name(IDK_SERIAL), "serial");
	assert_int_equal(idp_kind_parse("wwn"), IDK_WWN);
	assert_int_equal(idp_kind_parse("ip"), -1);
}

static void test_refused(void **state)
{
	(void)state;
	refused("mac", "02:00:00:00:00:09", "02:00:00:00:00:01", "is after");
	refused("mac", "02:00:00:00:00:01", "zz", "last 'zz'");
	refused("ip", "1", "2", "not mac, wwn, uuid or serial");
	refused("serial", "SN0001", "SX0009", "one prefix");
	refused("serial", "SN001", "SN0009", "one number of digits");
	refused("serial", "SN", "SN9", "end in digits");
	refused("uuid", "6a0f1e2d-3c4b-4a59-8687-000000000001",
		"6a0f1e2d-3c4b-4a5a-8687-000000000001", "last 16 hex digits");
}

static void test_overlap(void **state)
{
	struct idrange a = mk("mac", "02:00:00:00:00:01", "02:00:00:00:00:10");
	struct idrange b = mk("mac", "02:00:00:00:00:10", "02:00:00:00:00:20");
	struct idrange c = mk("mac", "02:00:00:00:00:11", "02:00:00:00:00:20");
	struct idrange d = mk("wwn", "00:00:02:00:00:00:00:01",
			      "00:00:02:00:00:00:00:10");
	struct idrange s1 = mk("serial", "SN0001", "SN0100");
	struct idrange s2 = mk("serial", "SN0100", "SN0200");
	struct idrange s3 = mk("serial", "SN00001", "SN00100");
	struct idrange s4 = mk("serial", "XN0001", "XN0100");

	(void)state;
	assert_true(idp_overlap(&a, &b));     /* one shared identifier  */
	assert_true(idp_overlap(&b, &a));
	assert_false(idp_overlap(&a, &c));    /* adjacent               */
	assert_true(idp_overlap(&a, &a));
	assert_false(idp_overlap(&a, &d));    /* another kind           */
	assert_true(idp_overlap(&s1, &s2));
	assert_false(idp_overlap(&s1, &s3));  /* another width: SN00001 */
	assert_false(idp_overlap(&s1, &s4));  /* another prefix         */
}

static void test_contains(void **state)
{
	struct idrange m = mk("mac", "02:00:00:00:00:01", "02:00:00:00:00:10");
	struct idrange s = mk("serial", "SN0001", "SN0100");
	struct idv v;

	(void)state;
	assert_true(idp_contains(&m, "mac", "02:00:00:00:00:10", &v));
	assert_false(idp_contains(&m, "mac", "02:00:00:00:00:11", &v));
	assert_false(idp_contains(&m, "wwn", "00:00:02:00:00:00:00:01", &v));
	assert_false(idp_contains(&m, "mac", "garbage", &v));
	assert_true(idp_contains(&s, "serial", "SN0042", &v));
	assert_int_equal(v.lo, 42);
	assert_false(idp_contains(&s, "serial", "SN00042", &v));
	assert_false(idp_contains(&s, "serial", "SN0101", &v));
	assert_false(idp_contains(&s, "serial", "SN00x2", &v));
}

static void test_records(void **state)
{
	struct idrange r = mk("wwn", "20:00:00:25:b5:00:00:01",
			      "20:00:00:25:b5:00:0f:ff"), back;
	char t[300], k[64], id[64], h[64];
	const char *resv = "mac 02:00:00:00:00:01 web";

	(void)state;
	idp_range_text(&r, t, sizeof t);
	assert_string_equal(t, "r wwn 20:00:00:25:b5:00:00:01 "
			    "20:00:00:25:b5:00:0f:ff");
	assert_int_equal(idp_range_rec(t, strlen(t), &back), 0);
	assert_int_equal(idp_cmp(back.last, r.last), 0);
	assert_int_equal(idp_range_rec("r wwn 1", 7, &back), -1);
	assert_int_equal(idp_resv_rec(resv, strlen(resv), k, id, h), 0);
	assert_string_equal(id, "02:00:00:00:00:01");
	assert_string_equal(h, "web");
	assert_int_equal(idp_resv_rec("ip 1 web", 8, k, id, h), -1);
	/* Keys below /pstate/, and back. */
	assert_int_equal(idp_rec_key(PSF_POOL_RANGE, t, strlen(t), k,
				     sizeof k), 0);
	assert_string_equal(k, "range/r");
	assert_int_equal(idp_rec_key(PSF_POOL_RESV, resv, strlen(resv), k,
				     sizeof k), 0);
	assert_string_equal(k, "resv/mac/02:00:00:00:00:01");
	assert_int_equal(idp_key_sig(k), PSF_POOL_RESV);
	assert_int_equal(idp_rec_key(PSF_POOL_SPARES, "sp a b#vm1", 10, k,
				     sizeof k), 0);
	assert_string_equal(k, "spares/sp");
	assert_int_equal(idp_key_sig("profile/web"), 0);
	assert_int_equal(idp_rec_key(PSF_POOL_RESV, "mac x", 5, k, sizeof k),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
