/*
 * test_console_migrate.c - the MIGRATE request of a live migration's
 * console handover (con_proto.c; docs/console.md "Live migration"): its
 * bytes both ways, and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "con_proto.h"

/* Encode, frame, parse as a client request, decode: the same request. */
static void migrate_round_trip(void **st)
{
	struct con_migrate m = { .op = CON_MIG_RESUMED }, d;
	uint8_t b[CON_HDR + CON_MIGRATE_HDR + CON_NAME_MAX];
	struct con_frame f;
	const char *why = NULL;
	size_t n, i;

	(void)st;
	for (i = 0; i < CON_TOKEN_LEN; i++)
		m.token[i] = (uint8_t)(0xa0 + i);
	snprintf(m.target, sizeof m.target, "web01-con");
	n = con_encode_migrate(&m, b + CON_HDR);
	assert_int_equal(n, CON_MIGRATE_HDR + 9);
	assert_int_equal(b[CON_HDR], 3);               /* op first   */
	assert_int_equal(b[CON_HDR + 1], 0xa0);        /* the token  */
	assert_memory_equal(b + CON_HDR + 17, "web01-con", 9);
	con_frame_hdr(b, CON_MIGRATE, n);
	assert_int_equal(con_frame_parse(b, CON_HDR + n, 1, &f),
			 (int)(CON_HDR + n));
	assert_int_equal(con_decode_migrate(&f, &d, &why), 0);
	assert_int_equal(d.op, CON_MIG_RESUMED);
	assert_memory_equal(d.token, m.token, CON_TOKEN_LEN);
	assert_string_equal(d.target, "web01-con");
	assert_int_equal(d.conc, 0);
	/* A decimal target is a port number. */
	snprintf(m.target, sizeof m.target, "7101");
	n = con_encode_migrate(&m, b + CON_HDR);
	con_frame_hdr(b, CON_MIGRATE, n);
	con_frame_parse(b, CON_HDR + n, 1, &f);
	assert_int_equal(con_decode_migrate(&f, &d, &why), 0);
	assert_int_equal(d.conc, 7101);
}

static void migrate_refused(void **st)
{
	uint8_t p[CON_MIGRATE_HDR + 8] = { 0 };
	struct con_frame f = { CON_MIGRATE, 0, p };
	struct con_migrate d;
	const char *why = NULL;

	(void)st;
	memcpy(p + CON_MIGRATE_HDR, "web01", 5);
	p[0] = CON_MIG_BEGIN;
	f.len = CON_MIGRATE_HDR;                /* no target */
	assert_int_equal(con_decode_migrate(&f, &d, &why), -1);
	assert_non_null(strstr(why, "[op u8"));
	f.len = CON_MIGRATE_HDR + 5;
	assert_int_equal(con_decode_migrate(&f, &d, &why), 0);
	p[0] = 0;                               /* ops are 1-4 */
	assert_int_equal(con_decode_migrate(&f, &d, &why), -1);
	p[0] = 5;
	assert_int_equal(con_decode_migrate(&f, &d, &why), -1);
	p[0] = CON_MIG_ABORT;
	p[CON_MIGRATE_HDR + 2] = ' ';           /* no space in a target */
	assert_int_equal(con_decode_migrate(&f, &d, &why), -1);
	assert_non_null(strstr(why, "host name"));
	p[CON_MIGRATE_HDR + 2] = 'b';
	f.type = CON_ATTACH;                    /* another request */
	assert_int_equal(con_decode_migrate(&f, &d, &why), -1);
	/* 0x09 is a request: as a service reply it is no frame. */
	{
		uint8_t b[CON_HDR + 1] = { CON_MIGRATE, 1, 0, 1 };
		struct con_frame g;

		assert_int_equal(con_frame_parse(b, sizeof b, 1, &g), 4);
		assert_int_equal(con_frame_parse(b, sizeof b, 0, &g), -1);
	}
	assert_string_equal(con_err_name(CON_E_TOKEN), "token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrate_round_trip),
		cmocka_unit_test(migrate_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
