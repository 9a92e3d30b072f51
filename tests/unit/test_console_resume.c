/*
 * test_console_resume.c - byte-exact console streams (issue 16): the
 * ring's uncommitted slack, where a resuming viewer starts, what a
 * receiver keeps of a resent range, and the v2 frames that carry the
 * offsets (con_core.c, con_proto.c; docs/console.md "Offsets and
 * resuming").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "con_core.h"
#include "con_proto.h"

/* Bytes read into the slack are not part of the ring until committed:
 * a process killed in between leaves the kept bytes as they were. */
static void ring_slack_is_not_kept_until_commit(void **st)
{
	struct con_ring r;
	uint8_t *at, out[32];
	uint64_t from;
	size_t room, i;

	(void)st;
	assert_int_equal(con_ring_init(&r, 8), 0);
	for (i = 0; i < 5; i++) /* wrap a few times */
		con_ring_push(&r, (const uint8_t *)"0123456789", 10);
	assert_int_equal(r.total, 50);
	room = con_ring_space(&r, &at);
	assert_true(room > 0 && room <= CON_RING_SLACK);
	memset(at, 'X', room); /* a read that was never committed */
	from = 0;
	assert_int_equal(con_ring_read(&r, &from, out, sizeof out), 8);
	assert_memory_equal(out, "23456789", 8); /* untouched */
	memcpy(at, "ab", 2);
	con_ring_commit(&r, 2);
	from = 0;
	assert_int_equal(con_ring_read(&r, &from, out, sizeof out), 8);
	assert_memory_equal(out, "456789ab", 8);
	assert_int_equal(from, 52);
	con_ring_free(&r);
}

/* A ring over memory it does not own (the memfd) picks up its total. */
static void ring_attach_external(void **st)
{
	static uint8_t mem[8 + CON_RING_SLACK];
	struct con_ring a, b;
	uint8_t out[8];
	uint64_t from = 0;

	(void)st;
	assert_int_equal(con_ring_bytes(8), sizeof mem);
	con_ring_attach(&a, mem, 8, 0);
	con_ring_push(&a, (const uint8_t *)"hello, world", 12);
	/* Another process maps the same bytes with the total it kept. */
	con_ring_attach(&b, mem, 8, a.total);
	assert_int_equal(con_ring_first(&b), 4);
	assert_int_equal(con_ring_read(&b, &from, out, sizeof out), 8);
	assert_memory_equal(out, "o, world", 8);
	con_ring_free(&b); /* not ours: nothing freed */
	assert_null(b.buf);
}

static void seq_take_drops_what_was_had(void **st)
{
	(void)st;
	assert_int_equal(con_seq_take(10, 10, 5), 0);   /* all new       */
	assert_int_equal(con_seq_take(10, 4, 5), 5);    /* all old       */
	assert_int_equal(con_seq_take(10, 4, 6), 6);    /* ends at next  */
	assert_int_equal(con_seq_take(10, 8, 5), 2);    /* overlap       */
	assert_int_equal(con_seq_take(10, 11, 5), -1);  /* a hole        */
	assert_int_equal(con_seq_take(0, 0, 0), 0);
}

static void resume_from_offsets(void **st)
{
	struct con_ring r;
	uint64_t lost;
	int resumed;

	(void)st;
	assert_int_equal(con_ring_init(&r, 16), 0);
	con_ring_push(&r, (const uint8_t *)"0123456789abcdefghij", 20);
	/* Same stream, inside the ring: exactly the rest. */
	assert_int_equal(con_resume_from(&r, 77, 77, 12, &lost, &resumed), 12);
	assert_true(resumed);
	assert_int_equal(lost, 0);
	/* At the end: nothing to send, nothing lost. */
	assert_int_equal(con_resume_from(&r, 77, 77, 20, &lost, &resumed), 20);
	assert_int_equal(lost, 0);
	/* Fell out of the ring: told precisely how much. */
	assert_int_equal(con_resume_from(&r, 77, 77, 1, &lost, &resumed), 1);
	assert_true(resumed);
	assert_int_equal(lost, 3);
	/* Another stream (the port was recreated), or past its end, or no
	 * resume asked: the backlog from its start. */
	assert_int_equal(con_resume_from(&r, 77, 78, 12, &lost, &resumed), 4);
	assert_false(resumed);
	assert_int_equal(con_resume_from(&r, 77, 77, 21, &lost, &resumed), 4);
	assert_false(resumed);
	assert_int_equal(con_resume_from(&r, 77, 0, 0, &lost, &resumed), 4);
	assert_false(resumed);
	con_ring_free(&r);
}

static void attach_v2_round_trip(void **st)
{
	struct con_attach a = { .how = CON_SPY, .epoch = 0x1122334455667788ull,
				.from = 123456789012ull, .stream = 42 }, d;
	uint8_t b[CON_ATTACH_V2 + CON_NAME_MAX];
	struct con_frame f = { CON_ATTACH, 0, b };
	const char *why;

	(void)st;
	strcpy(a.target, "web01-con");
	f.len = (uint16_t)con_encode_attach(&a, 2, b);
	assert_int_equal(f.len, CON_ATTACH_V2 + 9);
	assert_int_equal(con_decode_attach(&f, 2, &d, &why), 0);
	assert_int_equal(d.how, CON_SPY);
	assert_true(d.epoch == a.epoch && d.from == a.from && d.stream == 42);
	assert_string_equal(d.target, "web01-con");
	/* The same bytes read as v1: the binary fields are no host name. */
	assert_int_equal(con_decode_attach(&f, 1, &d, &why), -1);
	/* v1 encoding: [how][target], no offsets. */
	f.len = (uint16_t)con_encode_attach(&a, 1, b);
	assert_int_equal(f.len, 10);
	assert_int_equal(con_decode_attach(&f, 1, &d, &why), 0);
	assert_true(d.epoch == 0 && d.from == 0 && d.stream == 0);
	/* v2 without a target: refused. */
	f.len = CON_ATTACH_V2;
	assert_int_equal(con_decode_attach(&f, 2, &d, &why), -1);
}

static void attach_ok_and_input_v2(void **st)
{
	struct con_attach_ok o = { .conc = 7001, .mode = 1, .how = 0,
				   .guest = 1, .first = 5, .total = 99,
				   .epoch = 0xabcdef, .start = 42,
				   .written = 17 }, d;
	uint8_t b[CON_ATTACH_OK_V2], in[12] = { 3, 0, 0, 0, 0, 0, 0, 0,
						'l', 's', '\r', 0 };
	struct con_frame f = { CON_R_OK, 0, b };
	const uint8_t *p;
	const char *why;
	uint64_t off;
	size_t n;

	(void)st;
	f.len = (uint16_t)con_encode_attach_ok(&o, 2, b);
	assert_int_equal(f.len, CON_ATTACH_OK_V2);
	assert_int_equal(con_decode_attach_ok(&f, 2, &d), 0);
	assert_true(d.conc == 7001 && d.epoch == 0xabcdef && d.start == 42 &&
		    d.written == 17 && d.first == 5 && d.total == 99);
	/* A v1 reply: 23 bytes, the output starts at the backlog. */
	f.len = (uint16_t)con_encode_attach_ok(&o, 1, b);
	assert_int_equal(f.len, CON_ATTACH_OK_V1);
	assert_int_equal(con_decode_attach_ok(&f, 1, &d), 0);
	assert_true(d.start == 5 && d.epoch == 0);
	assert_int_equal(con_decode_attach_ok(&f, 2, &d), -1); /* too short */
	f = (struct con_frame){ CON_INPUT, 11, in };
	assert_int_equal(con_decode_input(&f, 2, &off, &p, &n, &why), 0);
	assert_true(off == 3 && n == 3 && !memcmp(p, "ls\r", 3));
	assert_int_equal(con_decode_input(&f, 1, &off, &p, &n, &why), 0);
	assert_true(off == 0 && n == 11);
	f.len = 7; /* v2 input shorter than its offset */
	assert_int_equal(con_decode_input(&f, 2, &off, &p, &n, &why), -1);
	/* ACK is a service frame of v2. */
	b[0] = CON_R_ACK;
	b[1] = 8;
	b[2] = 0;
	assert_int_equal(con_frame_parse(b, 11, 0, &f), 11);
	assert_int_equal(con_frame_parse(b, 11, 1, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_slack_is_not_kept_until_commit),
		cmocka_unit_test(ring_attach_external),
		cmocka_unit_test(seq_take_drops_what_was_had),
		cmocka_unit_test(resume_from_offsets),
		cmocka_unit_test(attach_v2_round_trip),
		cmocka_unit_test(attach_ok_and_input_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
