/*
 * test_console_wq.c - the WebSocket send queue shared by pscon's web
 * thread and psctl's --bmc bridge (con_wq.c): order, the room before each
 * message, and the rule that a message which cannot be queued breaks the
 * queue (nothing after it is queued or sent: the WebSocket closes) rather
 * than leaving a hole that shifts the stream's offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "con_wq.h"

#define PRE 16

struct sent {
	char got[256];
	size_t len;
	int calls, binary[8], fail;
};

/* The writer: checks the room before the bytes is there (written over,
 * as lws does with its header), and gathers what it was given. */
static int wr(void *arg, unsigned char *p, size_t n, int binary)
{
	struct sent *s = arg;

	memset(p - PRE, 0xee, PRE);
	if (s->calls < 8)
		s->binary[s->calls] = binary;
	s->calls++;
	if (s->fail)
		return -1;
	memcpy(s->got + s->len, p, n);
	s->len += n;
	return 0;
}

static void in_order_with_room(void **st)
{
	struct con_wq q;
	struct sent s = { 0 };

	(void)st;
	con_wq_init(&q, PRE, CON_WQ_MAX);
	assert_false(con_wq_pending(&q));
	assert_int_equal(con_wq_put(&q, 1, "ab", 2), 0);
	assert_int_equal(con_wq_put(&q, 0, "{\"x\":1}", 7), 0);
	assert_int_equal(con_wq_put(&q, 1, "c", 1), 0);
	assert_int_equal(q.queued, 10);
	assert_true(con_wq_pending(&q));
	assert_int_equal(con_wq_send(&q, wr, &s), 1);
	assert_int_equal(q.queued, 8);
	assert_int_equal(con_wq_send(&q, wr, &s), 1);
	assert_int_equal(con_wq_send(&q, wr, &s), 1);
	assert_int_equal(con_wq_send(&q, wr, &s), 0);
	assert_int_equal(s.calls, 3);
	assert_memory_equal(s.got, "ab{\"x\":1}c", 10);
	assert_int_equal(s.binary[0], 1);
	assert_int_equal(s.binary[1], 0);
	assert_int_equal(s.binary[2], 1);
	assert_int_equal(q.queued, 0);
	assert_false(con_wq_pending(&q));
}

/* Past the limit: broken, and a smaller message after it is refused
 * too (it would arrive with the refused one's offsets). */
static void full_breaks_for_good(void **st)
{
	struct con_wq q;
	struct sent s = { 0 };

	(void)st;
	con_wq_init(&q, PRE, 10);
	assert_int_equal(con_wq_put(&q, 1, "123456", 6), 0);
	assert_int_equal(con_wq_put(&q, 1, "78901", 5), -1);
	assert_int_equal(q.broken, CON_WQ_FULL);
	assert_int_equal(con_wq_put(&q, 1, "7", 1), -1);
	assert_int_equal(q.queued, 6);
	/* Nothing more is written: the owner closes the WebSocket. */
	assert_true(con_wq_pending(&q));
	assert_int_equal(con_wq_send(&q, wr, &s), -1);
	assert_int_equal(s.calls, 0);
	con_wq_clear(&q);
	assert_int_equal(q.broken, CON_WQ_OK);
	assert_false(con_wq_pending(&q));
	assert_int_equal(con_wq_put(&q, 1, "x", 1), 0);
	con_wq_clear(&q);
}

/* No memory (a size no allocation can hold): broken, CON_WQ_NOMEM. */
static void no_memory_breaks(void **st)
{
	struct con_wq q;
	struct sent s = { 0 };

	(void)st;
	con_wq_init(&q, PRE, 0); /* no limit: only memory refuses */
	assert_int_equal(con_wq_put(&q, 0, "a", 1), 0);
	assert_int_equal(con_wq_put(&q, 0, "b", SIZE_MAX - 4), -1);
	assert_int_equal(q.broken, CON_WQ_NOMEM);
	assert_int_equal(con_wq_put(&q, 0, "c", 1), -1);
	assert_int_equal(con_wq_send(&q, wr, &s), -1);
	assert_int_equal(s.calls, 0);
	con_wq_clear(&q);
}

/* con_wq_break keeps the first reason; a writer's failure is -1 and the
 * message is freed (the sanitizer checks for leaks). */
static void break_and_write_failure(void **st)
{
	struct con_wq q;
	struct sent s = { 0 };

	(void)st;
	con_wq_init(&q, PRE, CON_WQ_MAX);
	assert_int_equal(con_wq_put(&q, 1, "abc", 3), 0);
	s.fail = 1;
	assert_int_equal(con_wq_send(&q, wr, &s), -1);
	assert_int_equal(s.calls, 1);
	assert_false(con_wq_pending(&q));
	con_wq_break(&q, CON_WQ_NOMEM);
	con_wq_break(&q, CON_WQ_FULL);
	assert_int_equal(q.broken, CON_WQ_NOMEM);
	assert_int_equal(con_wq_put(&q, 1, "d", 1), -1);
	con_wq_clear(&q);
	/* A zeroed queue is an empty one. */
	memset(&q, 0, sizeof q);
	assert_false(con_wq_pending(&q));
	assert_int_equal(con_wq_send(&q, wr, &s), 0);
	con_wq_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_with_room),
		cmocka_unit_test(full_breaks_for_good),
		cmocka_unit_test(no_memory_breaks),
		cmocka_unit_test(break_and_write_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
