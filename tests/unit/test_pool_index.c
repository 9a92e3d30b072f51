/*
 * test_pool_index.c - the etcd pool's list index rows and buckets
 * (cli/psctl_pool_index_rows.c, docs/pool.md "The list index"): a row
 * written reads back; every truncation of a bucket's value, a row whose
 * lengths run past the value, an empty name or one with '/' or NUL is
 * refused (the bytes come from etcd); bucket keys and numbers; the meta
 * key's text.  The index end to end: tests/e2e/test_pool_index.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psctl_pool.h"
#include "psctl_pool_index.h"
#include "psctl_pool_index_int.h"

static const uint8_t el1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
static const uint8_t el2[] = { 0xff, 0, 0xfe };

/* Two rows: web (revision 41) and db (0: the bucket's). */
static struct pidx_buf two(void)
{
	struct pidx_buf b = { NULL, 0, 0 };

	assert_int_equal(pidx_add_row(&b, 41, "web", 3, el1, sizeof el1), 0);
	assert_int_equal(pidx_add_row(&b, 0, "db", 2, el2, sizeof el2), 0);
	return b;
}

static void test_rows(void **state)
{
	struct pidx_buf b = two();
	struct pidx_row r;

	(void)state;
	assert_int_equal(b.len, 14 + 3 + sizeof el1 + 14 + 2 + sizeof el2);
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), 0);
	assert_int_equal(r.rev, 41);
	assert_int_equal(r.nlen, 3);
	assert_memory_equal(r.name, "web", 3);
	assert_int_equal(r.elen, sizeof el1);
	assert_memory_equal(r.el, el1, sizeof el1);
	assert_int_equal(pidx_row(b.v, b.len, r.size, &r), 0);
	assert_int_equal(r.rev, 0);
	assert_memory_equal(r.name, "db", 2);
	assert_memory_equal(r.el, el2, sizeof el2);
	assert_int_equal(r.size + 14 + 3 + sizeof el1, b.len);
	free(b.v);
}

/* Every cut of the value short of a row's end is refused, never read
 * past (ASan watches). */
static void test_truncated(void **state)
{
	struct pidx_buf b = two();
	size_t first = 14 + 3 + sizeof el1, n;
	struct pidx_row r;

	(void)state;
	for (n = 0; n < b.len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, b.v, n);
		if (n < first)
			assert_int_equal(pidx_row(cut, n, 0, &r), -1);
		else
			assert_int_equal(pidx_row(cut, n, first, &r), -1);
		free(cut);
	}
	free(b.v);
}

static void test_bad_rows(void **state)
{
	struct pidx_buf b = { NULL, 0, 0 };
	struct pidx_row r;

	(void)state;
	assert_int_equal(pidx_add_row(&b, 1, "a/b", 3, el2, sizeof el2), 0);
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), -1);   /* '/' */
	b.len = 0;
	assert_int_equal(pidx_add_row(&b, 1, "a\0b", 3, el2, sizeof el2), 0);
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), -1);   /* NUL */
	b.len = 0;
	assert_int_equal(pidx_add_row(&b, 1, "", 0, el2, sizeof el2), 0);
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), -1);   /* empty */
	b.len = 0;
	assert_int_equal(pidx_add_row(&b, 1, "x", 1, el2, sizeof el2), 0);
	b.v[8] = 0xff;                      /* the name's length runs past */
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), -1);
	b.v[8] = 1;
	b.v[11] = 0xff;                     /* the element's length too */
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), -1);
	b.v[11] = sizeof el2;
	assert_int_equal(pidx_row(b.v, b.len, 0, &r), 0);
	free(b.v);
}

static void test_buckets(void **state)
{
	char k[POOL_KEY_MAX];
	unsigned b;
	int kind;

	(void)state;
	/* CRC-32C of the name (psf_crc32c), modulo 1024: fixed for every
	 * client; the e2e test computes the same in Python. */
	assert_int_equal(pidx_bucket("web"), 620);
	assert_int_equal(pidx_bucket("old2"), 777);
	pidx_bucket_key(0, 7, k, sizeof k);
	assert_string_equal(k, "/pstate/index/p/0007");
	assert_int_equal(pidx_is_bucket(k, &kind, &b), 1);
	assert_int_equal(kind, 0);
	assert_int_equal(b, 7);
	pidx_bucket_key(1, 1023, k, sizeof k);
	assert_string_equal(k, "/pstate/index/s/1023");
	assert_int_equal(pidx_is_bucket(k, &kind, &b), 1);
	assert_int_equal(kind, 1);
	assert_int_equal(b, 1023);
	assert_int_equal(pidx_is_bucket(POOL_INDEX_META, &kind, &b), 0);
	assert_int_equal(pidx_is_bucket("/pstate/index/0007", &kind, &b), 0);
	assert_int_equal(pidx_is_bucket("/pstate/index/x/0007", &kind, &b), 0);
	assert_int_equal(pidx_is_bucket("/pstate/index/p/00a7", &kind, &b), 0);
	assert_int_equal(pidx_is_bucket("/pstate/index/p/00071", &kind, &b),
			 0);
}

static int meta(const char *text, int *ready)
{
	struct pe_kv kv = { 0 };

	kv.key = (char *)POOL_INDEX_META;
	kv.val = (uint8_t *)text;
	kv.vlen = strlen(text);
	return pidx_meta(&kv, ready);
}

static void test_meta(void **state)
{
	int ready = 7;

	(void)state;
	assert_int_equal(pidx_meta(NULL, &ready), 0);
	assert_int_equal(ready, 0);
	assert_int_equal(meta("buckets 1024 ready", &ready), 1);
	assert_int_equal(ready, 1);
	assert_int_equal(meta("buckets 1024 building", &ready), 1);
	assert_int_equal(ready, 0);
	assert_int_equal(meta("buckets 512 ready", &ready), -2);
	assert_int_equal(meta("ready", &ready), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
