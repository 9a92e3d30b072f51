/*
 * test_pool_etcd.c - the pure half of the etcd client
 * (cli/psctl_pool_etcd.c): base64 both ways (RFC 4648 vectors, every
 * length, malformed texts), range_end of a prefix, the JSON bodies of
 * range, txn and lease requests exactly as the gateway takes them, and
 * the parsing of its answers (range, a txn that succeeded, one whose
 * compare failed, lease grant and keepalive, error answers, damage).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psctl_pool_etcd.h"

static void test_b64_vectors(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
					   "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=",
					    "Zm9vYmFy" };
	char t[16];
	uint8_t d[16];
	size_t i;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(pe_b64_encode((const uint8_t *)in[i],
					       strlen(in[i]), t),
				 strlen(out[i]));
		assert_string_equal(t, out[i]);
		assert_int_equal(pe_b64_decode(out[i], strlen(out[i]), d),
				 (long)strlen(in[i]));
		assert_memory_equal(d, in[i], strlen(in[i]));
	}
}

static void test_b64_every_byte(void **state)
{
	uint8_t in[256], d[256];
	char t[4 * 86 + 1];
	size_t n, i;

	(void)state;
	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)(255 - i);
	for (n = 0; n <= 256; n++) {
		size_t tl = pe_b64_encode(in, n, t);

		assert_int_equal(tl, 4 * ((n + 2) / 3));
		assert_int_equal(pe_b64_decode(t, tl, d), (long)n);
		assert_memory_equal(d, in, n);
	}
}

static void test_b64_malformed(void **state)
{
	static const char *const bad[] = { "Zg=", "Z===", "Zg=a", "Zm9v!A==",
					   "Zg==Zg==", "Z", "Zm9\nv" };
	uint8_t d[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(pe_b64_decode(bad[i], strlen(bad[i]), d), -1);
}

static void test_prefix_end(void **state)
{
	size_t n;
	char *e = pe_prefix_end("/pstate/", &n);

	(void)state;
	assert_int_equal(n, 8);
	assert_memory_equal(e, "/pstate0", 8);
	free(e);
	e = pe_prefix_end("a\xff\xff", &n);
	assert_int_equal(n, 1);
	assert_int_equal(e[0], 'b');
	free(e);
	e = pe_prefix_end("\xff", &n);
	assert_int_equal(n, 1);
	assert_int_equal(e[0], 0);     /* every key */
	free(e);
}

static void test_req_range(void **state)
{
	char *r = pe_req_range("/pstate/", 1, 0);

	(void)state;
	/* "/pstate/" and "/pstate0" */
	assert_string_equal(r, "{\"key\":\"L3BzdGF0ZS8=\","
			       "\"range_end\":\"L3BzdGF0ZTA=\"}");
	free(r);
	r = pe_req_range("a", 0, 42);
	assert_string_equal(r, "{\"key\":\"YQ==\",\"revision\":\"42\"}");
	free(r);
}

static void test_req_txn(void **state)
{
	static const uint8_t v[] = { 0, 1, 2, 0xff };
	struct pe_cmp c[2] = {
		{ "a", PE_T_CREATE, PE_EQ, 0, NULL, 0 },
		{ "b", PE_T_VALUE, PE_NE, 0, (const uint8_t *)"x", 1 },
	};
	struct pe_op ok[2] = {
		{ PE_PUT, "a", v, sizeof v, 0x1234, 0 },
		{ PE_DEL, "b/", NULL, 0, 0, 1 },
	};
	struct pe_op fail[1] = { { PE_GET, "a", NULL, 0, 0, 0 } };
	char *r = pe_req_txn(c, 2, ok, 2, fail, 1);

	(void)state;
	assert_string_equal(r,
		"{\"compare\":[{\"key\":\"YQ==\",\"result\":\"EQUAL\","
		"\"target\":\"CREATE\",\"create_revision\":\"0\"},"
		"{\"key\":\"Yg==\",\"result\":\"NOT_EQUAL\",\"target\":"
		"\"VALUE\",\"value\":\"eA==\"}],"
		"\"success\":[{\"request_put\":{\"key\":\"YQ==\",\"value\":"
		"\"AAEC\\/w==\",\"lease\":\"4660\"}},{\"request_delete_range\":"
		"{\"key\":\"Yi8=\",\"range_end\":\"YjA=\"}}],"
		"\"failure\":[{\"request_range\":{\"key\":\"YQ==\"}}]}");
	free(r);
	c[0].target = PE_T_MOD;
	c[0].num = 77;
	r = pe_req_txn(c, 1, NULL, 0, NULL, 0);
	assert_string_equal(r, "{\"compare\":[{\"key\":\"YQ==\",\"result\":"
			       "\"EQUAL\",\"target\":\"MOD\",\"mod_revision\":"
			       "\"77\"}],\"success\":[],\"failure\":[]}");
	free(r);
}

static void test_req_lease(void **state)
{
	char *r = pe_req_lease("grant", 0, 30);

	(void)state;
	assert_string_equal(r, "{\"TTL\":\"30\"}");
	free(r);
	r = pe_req_lease("keepalive", 8207707308750616325LL, 0);
	assert_string_equal(r, "{\"ID\":\"8207707308750616325\"}");
	free(r);
}

#define S(x) x, strlen(x)

static void test_parse_range(void **state)
{
	struct pe_kvs k;
	char err[200];

	(void)state;
	assert_int_equal(pe_parse_range(S("{\"header\":{\"revision\":\"7\"},"
		"\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"2\","
		"\"mod_revision\":\"5\",\"version\":\"3\",\"value\":\"AAEC\","
		"\"lease\":\"99\"},{\"key\":\"Yg==\",\"mod_revision\":\"6\"}],"
		"\"count\":\"2\"}"), &k, err, sizeof err), PE_OK);
	assert_int_equal(k.revision, 7);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.kv[0].key, "a");
	assert_int_equal(k.kv[0].vlen, 3);
	assert_memory_equal(k.kv[0].val, "\0\1\2", 3);
	assert_int_equal(k.kv[0].create_rev, 2);
	assert_int_equal(k.kv[0].mod_rev, 5);
	assert_int_equal(k.kv[0].version, 3);
	assert_int_equal(k.kv[0].lease, 99);
	/* proto3 leaves zeros and empty values out */
	assert_int_equal(k.kv[1].vlen, 0);
	assert_int_equal(k.kv[1].create_rev, 0);
	pe_kvs_free(&k);
	/* no kvs: nothing there */
	assert_int_equal(pe_parse_range(S("{\"header\":{\"revision\":\"9\"}}"),
					 &k, err, sizeof err), PE_OK);
	assert_int_equal(k.n, 0);
	assert_int_equal(k.revision, 9);
	assert_int_equal(k.more, 0);
	/* a limited range that left keys out */
	assert_int_equal(pe_parse_range(S("{\"header\":{\"revision\":\"9\"},"
					  "\"more\":true}"), &k, err,
					sizeof err), PE_OK);
	assert_int_equal(k.more, 1);
	pe_kvs_free(&k);
}

/* A page: from a key with a NUL (just past "/p/a"), to the prefix's end,
 * a limit and the revision of the first page. */
static void test_req_range_page(void **state)
{
	char *r = pe_req_range_page("/p/", "/p/a", 5, 2, 42);

	(void)state;
	/* "/p/a\0" and "/p0" */
	assert_string_equal(r, "{\"key\":\"L3AvYQA=\",\"range_end\":\"L3Aw\","
			       "\"limit\":\"2\",\"revision\":\"42\"}");
	free(r);
}

/* A span: both ends given, keys with a NUL kept. */
static void test_req_range_span(void **state)
{
	struct pe_key f = { "/p/a", 5 }, e = { "/p/c", 4 };
	char *r = pe_req_range_span(&f, &e, 0, 7);

	(void)state;
	assert_string_equal(r, "{\"key\":\"L3AvYQA=\",\"range_end\":"
			       "\"L3AvYw==\",\"revision\":\"7\"}");
	free(r);
}

/* Counts: one count_only range a span between consecutive bounds, in a
 * txn without compares; the answer's counts in order, absent = 0. */
static void test_counts(void **state)
{
	struct pe_key b[3] = { { "/a", 2 }, { "/b", 2 }, { "/c", 2 } };
	char *r = pe_req_counts(b, 2, 9);
	const char *ans = "{\"header\":{\"revision\":\"9\"},"
		"\"succeeded\":true,\"responses\":["
		"{\"response_range\":{\"header\":{},\"count\":\"12\"}},"
		"{\"response_range\":{\"header\":{}}}]}";
	int64_t c[2] = { -1, -1 }, rev;
	size_t got;
	char err[200];

	(void)state;
	assert_string_equal(r, "{\"success\":[{\"request_range\":{\"key\":"
		"\"L2E=\",\"range_end\":\"L2I=\",\"revision\":\"9\","
		"\"count_only\":true}},{\"request_range\":{\"key\":\"L2I=\","
		"\"range_end\":\"L2M=\",\"revision\":\"9\",\"count_only\":"
		"true}}]}");
	free(r);
	assert_int_equal(pe_parse_counts(ans, strlen(ans), c, 2, &got, &rev,
					 err, sizeof err), PE_OK);
	assert_int_equal(got, 2);
	assert_int_equal(rev, 9);
	assert_int_equal(c[0], 12);
	assert_int_equal(c[1], 0);
	/* more answers than asked for, a negative or missing count */
	assert_int_equal(pe_parse_counts(ans, strlen(ans), c, 1, &got, &rev,
					 err, sizeof err), PE_ERR_PARSE);
	assert_non_null(strstr(err, "more than 1"));
	ans = "{\"header\":{\"revision\":\"9\"},\"responses\":["
	      "{\"response_range\":{\"count\":\"-3\"}}]}";
	assert_int_equal(pe_parse_counts(ans, strlen(ans), c, 2, &got, &rev,
					 err, sizeof err), PE_ERR_PARSE);
	assert_non_null(strstr(err, "responses[0]"));
	ans = "{\"header\":{\"revision\":\"9\"},\"responses\":[{}]}";
	assert_int_equal(pe_parse_counts(ans, strlen(ans), c, 2, &got, &rev,
					 err, sizeof err), PE_ERR_PARSE);
}

static void test_parse_txn(void **state)
{
	struct pe_kvs k;
	char err[200];
	int64_t rev;
	int ok;

	(void)state;
	assert_int_equal(pe_parse_txn(S("{\"header\":{\"revision\":\"3\"},"
		"\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}"),
		&ok, &rev, &k, err, sizeof err), PE_OK);
	assert_int_equal(ok, 1);
	assert_int_equal(rev, 3);
	assert_int_equal(k.n, 0);
	/* a failed compare: no "succeeded", the failure branch's ranges */
	assert_int_equal(pe_parse_txn(S("{\"header\":{\"revision\":\"2\"},"
		"\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":"
		"\"YQ==\",\"value\":\"d2Vi\",\"mod_revision\":\"2\"}]}}]}"),
		&ok, &rev, &k, err, sizeof err), PE_OK);
	assert_int_equal(ok, 0);
	assert_int_equal(k.n, 1);
	assert_string_equal((char *)k.kv[0].val, "web");
	assert_int_equal(k.revision, 2);
	pe_kvs_free(&k);
}

static void test_parse_lease(void **state)
{
	char err[200];
	int64_t id, ttl;

	(void)state;
	assert_int_equal(pe_parse_lease(S("{\"header\":{\"revision\":\"1\"},"
		"\"ID\":\"8207707308750616325\",\"TTL\":\"5\"}"), &id, &ttl,
		err, sizeof err), PE_OK);
	assert_int_equal(id, 8207707308750616325LL);
	assert_int_equal(ttl, 5);
	/* keepalive of a lease that expired: no TTL */
	assert_int_equal(pe_parse_lease(S("{\"result\":{\"header\":{},"
		"\"ID\":\"1\"}}"), &id, &ttl, err, sizeof err), PE_OK);
	assert_int_equal(id, 1);
	assert_int_equal(ttl, 0);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{", "null", "{\"kvs\":[]}",
		"{\"header\":{\"revision\":\"x\"}}",
		"{\"header\":{\"revision\":\"1\"},\"kvs\":{}}",
		"{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQ\"}]}",
		"{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQ==\","
		"\"value\":7}]}",
		"{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQ==\","
		"\"mod_revision\":\"99999999999999999999\"}]}",
		"{\"header\":{\"revision\":\"1\"},\"kvs\":[1]}",
	};
	struct pe_kvs k;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		assert_int_equal(pe_parse_range(bad[i], strlen(bad[i]), &k,
						err, sizeof err), PE_ERR_PARSE);
		assert_true(err[0] != 0);
		assert_int_equal(k.n, 0);
	}
	assert_int_equal(pe_parse_range(S("{\"error\":\"etcdserver: too many "
		"requests\",\"code\":8}"), &k, err, sizeof err), PE_ERR_SERVER);
	assert_non_null(strstr(err, "too many requests"));
}

static void test_open_urls(void **state)
{
	static const char *const bad[] = { "http://a:1", "etcd://", "etcd://a",
					   "etcd://a:", "etcd://:1",
					   "etcd://a:1,", "etcd://a:1x" };
	struct pe_client c;
	size_t i;

	(void)state;
	assert_int_equal(pe_open(&c, "etcd://127.0.0.1:2379,h2:2380"), PE_OK);
	assert_int_equal(c.n_eps, 2);
	assert_string_equal(c.eps[1], "h2:2380");
	pe_close(&c);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(pe_open(&c, bad[i]), PE_ERR_USAGE);
		assert_non_null(strstr(c.err, bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_every_byte),
		cmocka_unit_test(test_b64_malformed),
		cmocka_unit_test(test_prefix_end),
		cmocka_unit_test(test_req_range),
		cmocka_unit_test(test_req_range_page),
		cmocka_unit_test(test_req_range_span),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_req_txn),
		cmocka_unit_test(test_req_lease),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_parse_txn),
		cmocka_unit_test(test_parse_lease),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_open_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
