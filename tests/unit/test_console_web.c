/*
 * test_console_web.c - what the console web page parses and writes itself
 * (con_web_msg.c): login form fields, users file lines, browser messages,
 * service frames as the page's JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "con_web_msg.h"
#include "psf_schema.h"

static void form_fields_decoded(void **st)
{
	const char *b = "user=ad%6Din&password=a+b%26c%3D&x=";
	char out[64];

	(void)st;
	assert_int_equal(cw_form_field(b, strlen(b), "user", out, sizeof out), 0);
	assert_string_equal(out, "admin");
	assert_int_equal(cw_form_field(b, strlen(b), "password", out,
				       sizeof out), 0);
	assert_string_equal(out, "a b&c=");
	assert_int_equal(cw_form_field(b, strlen(b), "x", out, sizeof out), 0);
	assert_string_equal(out, "");
	/* Absent, a prefix of another name, bad escapes, NUL, too long. */
	assert_int_equal(cw_form_field(b, strlen(b), "pass", out, sizeof out), -1);
	assert_int_equal(cw_form_field(b, strlen(b), "us", out, sizeof out), -1);
	assert_int_equal(cw_form_field("user=%4", 7, "user", out, sizeof out), -1);
	assert_int_equal(cw_form_field("user=%zz", 8, "user", out, sizeof out), -1);
	assert_int_equal(cw_form_field("user=%00", 8, "user", out, sizeof out), -1);
	assert_int_equal(cw_form_field("user=abcdef", 11, "user", out, 4), -1);
	/* Only the n bytes given are read. */
	assert_int_equal(cw_form_field("user=abXYZ", 7, "user", out, sizeof out), 0);
	assert_string_equal(out, "ab");
}

static void users_file_lines(void **st)
{
	struct cw_user u;
	const char *why = NULL;

	(void)st;
	assert_int_equal(cw_user_line("admin admin $y$j9T$s$h\n", &u, &why), 1);
	assert_string_equal(u.name, "admin");
	assert_int_equal(u.role, CON_ROLE_ADMIN);
	assert_string_equal(u.hash, "$y$j9T$s$h");
	assert_int_equal(cw_user_line("  oper operator $6$x$y", &u, &why), 1);
	assert_int_equal(u.role, CON_ROLE_OPERATOR);
	assert_int_equal(cw_user_line("# comment", &u, &why), 0);
	assert_int_equal(cw_user_line("   \n", &u, &why), 0);
	assert_int_equal(cw_user_line("u user $y$a", &u, &why), -1);
	assert_non_null(strstr(why, "admin or operator"));
	assert_int_equal(cw_user_line("u admin plaintext", &u, &why), -1);
	assert_non_null(strstr(why, "crypt(3)"));
	assert_int_equal(cw_user_line("u admin $y$a extra", &u, &why), -1);
	assert_int_equal(cw_user_line("u admin", &u, &why), -1);
	assert_int_equal(cw_user_line("abcdefghijabcdefghijabcdefghijabc admin $y$",
				      &u, &why), -1);
	assert_non_null(strstr(why, "32 bytes"));
}

static void browser_messages(void **st)
{
	static struct cw_req r;
	const char *why = NULL;
	const char *m;

	(void)st;
	m = "{\"type\":\"input\",\"data\":\"ls\\r\"}";
	assert_int_equal(cw_parse_client((const uint8_t *)m, strlen(m), 0, &r,
					 &why), 0);
	assert_int_equal(r.kind, CW_REQ_INPUT);
	assert_int_equal(r.len, 3);
	assert_memory_equal(r.data, "ls\r", 3);
	assert_int_equal(r.numbered, 0);
	/* Numbered input (protocol v2's stream offset). */
	m = "{\"type\":\"input\",\"data\":\"x\",\"offset\":4294967296}";
	assert_int_equal(cw_parse_client((const uint8_t *)m, strlen(m), 0, &r,
					 &why), 0);
	assert_int_equal(r.numbered, 1);
	assert_true(r.off == 4294967296ull);
	m = "{\"type\":\"mode\",\"mode\":\"privacy\"}";
	assert_int_equal(cw_parse_client((const uint8_t *)m, strlen(m), 0, &r,
					 &why), 0);
	assert_int_equal(r.kind, CW_REQ_MODE);
	assert_int_equal(r.mode, PSF_SERIAL_MODE_PRIVACY);
	m = "{\"type\":\"force\"}";
	assert_int_equal(cw_parse_client((const uint8_t *)m, strlen(m), 0, &r,
					 &why), 0);
	assert_int_equal(r.kind, CW_REQ_FORCE);
	/* Binary: input as it is, NUL bytes and all. */
	assert_int_equal(cw_parse_client((const uint8_t *)"a\0b", 3, 1, &r,
					 &why), 0);
	assert_int_equal(r.len, 3);
	/* Refused: not JSON, trailing bytes, wrong types, unknown type,
	 * empty input, bad mode, nothing, too long. */
	static const char *const bad[] = {
		"{\"type\":", "{\"type\":\"force\"} x", "[1]", "{\"type\":1}",
		"{\"type\":\"reboot\"}", "{\"type\":\"input\",\"data\":\"\"}",
		"{\"type\":\"input\",\"data\":5}",
		"{\"type\":\"mode\",\"mode\":\"open\"}", "{\"type\":\"mode\"}",
		"{\"type\":\"input\",\"data\":\"x\",\"offset\":-1}",
		"{\"type\":\"input\",\"data\":\"x\",\"offset\":\"1\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		assert_int_equal(cw_parse_client((const uint8_t *)bad[i],
						 strlen(bad[i]), 0, &r, &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(cw_parse_client((const uint8_t *)"", 0, 1, &r, &why), -1);
	static uint8_t big[CON_PAYLOAD_MAX + 1];
	assert_int_equal(cw_parse_client(big, sizeof big, 1, &r, &why), -1);
}

/* A frame from type and payload. */
static struct con_frame fr(uint8_t type, const void *p, size_t n)
{
	struct con_frame f = { type, (uint16_t)n, p };
	return f;
}

static void frames_as_json(void **st)
{
	char out[CW_JSON_MAX];
	uint8_t a[23] = { CON_ATTACH };
	struct con_frame f;

	(void)st;
	con_put16(a + 1, 7001);
	a[3] = PSF_SERIAL_MODE_OBSERVER;
	a[4] = CON_SPY;
	a[5] = 1;
	con_put64(a + 7, 5);
	con_put64(a + 15, 300);
	f = fr(CON_R_OK, a, sizeof a);
	assert_true(cw_frame_json(&f, out, sizeof out) > 0);
	assert_string_equal(out, "{\"type\":\"attached\",\"port\":7001,"
			    "\"mode\":\"observer\",\"access\":\"spy\","
			    "\"guest\":true,\"backlog_from\":5,"
			    "\"backlog_to\":300}");
	/* v2: the epoch as hex digits, where output starts, input written. */
	uint8_t a2[CON_ATTACH_OK_V2];
	memcpy(a2, a, sizeof a);
	con_put64(a2 + 23, 0x8877665544332211ull);
	con_put64(a2 + 31, 4096);
	con_put64(a2 + 39, 20);
	f = fr(CON_R_OK, a2, sizeof a2);
	assert_true(cw_frame_json(&f, out, sizeof out) > 0);
	assert_string_equal(out, "{\"type\":\"attached\",\"port\":7001,"
			    "\"mode\":\"observer\",\"access\":\"spy\","
			    "\"guest\":true,\"backlog_from\":5,"
			    "\"backlog_to\":300,\"epoch\":\"8877665544332211\","
			    "\"start\":4096,\"input_written\":20}");
	f = fr(CON_R_ACK, "\x14\0\0\0\0\0\0\0", 8);
	assert_true(cw_frame_json(&f, out, sizeof out) > 0);
	assert_string_equal(out, "{\"type\":\"ack\",\"offset\":20}");
	f = fr(CON_R_OK, a2, 30); /* neither v1 nor v2 */
	assert_int_equal(cw_frame_json(&f, out, sizeof out), 0);
	f = fr(CON_R_ERROR, "\x02\x05private \"x\"\x01\xff", 15);
	assert_true(cw_frame_json(&f, out, sizeof out) > 0);
	/* Guest or service text: printable ASCII only, JSON-escaped. */
	assert_string_equal(out, "{\"type\":\"error\",\"request\":\"attach\","
			    "\"code\":\"private\",\"text\":\"private \\\"x\\\"??\"}");
	f = fr(CON_R_NOTICE, "\x04" "fault 'Oops'", 13);
	assert_true(cw_frame_json(&f, out, sizeof out) > 0);
	assert_string_equal(out, "{\"type\":\"notice\",\"kind\":\"fault\","
			    "\"text\":\"fault 'Oops'\"}");
	f = fr(CON_R_OK, "\x06", 1);
	assert_true(cw_frame_json(&f, out, sizeof out) > 0);
	assert_string_equal(out, "{\"type\":\"ok\",\"request\":\"mode\"}");
	/* No text form: data, hello, short frames; no room. */
	f = fr(CON_R_DATA, "\0\0\0\0\0\0\0\0ab", 10);
	assert_int_equal(cw_frame_json(&f, out, sizeof out), 0);
	f = fr(CON_R_SKIP, "\0", 1);
	assert_int_equal(cw_frame_json(&f, out, sizeof out), 0);
	f = fr(CON_R_ERROR, "\x02", 1);
	assert_int_equal(cw_frame_json(&f, out, sizeof out), 0);
	f = fr(CON_R_OK, "\x06", 1);
	assert_int_equal(cw_frame_json(&f, out, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(form_fields_decoded),
		cmocka_unit_test(users_file_lines),
		cmocka_unit_test(browser_messages),
		cmocka_unit_test(frames_as_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
