/*
 * test_dl.c - the table-driven loader (pstate/ps_dl.h) on the C
 * library's own libm and libc: a missing library and a missing function
 * are named and fill no slot; a table that loads fills every slot with
 * the function itself; a second load (after success or failure) opens
 * nothing and gives the first outcome again; alternatives are tried in
 * order; several libraries in one table; threads racing on a first load.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pstate.h"

#define NOLIB "libpstate-test-none.so.0"

/* A table's slots, in the manner of a real user (ps_dl.h). */
struct fns {
	__typeof__(cos) *cos;
	__typeof__(sqrt) *sqrt;
	__typeof__(strlen) *strlen;
	void (*ps_dl_test_none)(void);
};

/* Every row of a table one library: the table and its slots afresh. */
struct case_ {
	struct fns f;
	struct ps_dl_sym rows[3];
	struct ps_dl_table t;
	char err[300];
};

static void setup3(struct case_ *c, const char *l0, const char *l1,
		   const char *l2, int missing)
{
	struct ps_dl_sym r[3] = {
		PS_DL_SYM(l0, c->f, cos),
		PS_DL_SYM(l1, c->f, sqrt),
		PS_DL_SYM(l2, c->f, strlen),
	};
	struct ps_dl_table t = PS_DL_TABLE(c->rows);

	memset(c, 0, sizeof *c);
	memcpy(c->rows, r, sizeof r);
	if (missing) /* the last row asks for a function libc lacks */
		c->rows[2] = (struct ps_dl_sym)PS_DL_SYM(l2, c->f,
							 ps_dl_test_none);
	c->t = t;
}

static void no_slot_filled(const struct case_ *c)
{
	assert_null(c->f.cos);
	assert_null(c->f.sqrt);
	assert_null(c->f.strlen);
	assert_null(c->f.ps_dl_test_none);
}

static void test_missing_library(void **state)
{
	struct case_ c;

	(void)state;
	setup3(&c, "libm.so.6", NOLIB, "libm.so.6", 0);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	/* dlerror's words, which name the library */
	assert_string_equal(c.err, NOLIB ": cannot open shared object file: "
			    "No such file or directory");
	no_slot_filled(&c);
}

static void test_missing_symbol(void **state)
{
	struct case_ c;

	(void)state;
	setup3(&c, "libm.so.6", "libm.so.6", "libc.so.6", 1);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	assert_string_equal(c.err, "libc.so.6: no symbol ps_dl_test_none");
	/* cos and sqrt were found, yet not written: all or nothing */
	no_slot_filled(&c);
}

static void test_success(void **state)
{
	struct case_ c;

	(void)state;
	setup3(&c, "libm.so.6", "libm.so.6", "libc.so.6", 0);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), 0);
	assert_non_null(c.f.cos);
	assert_true(c.f.cos(0.0) == 1.0);
	assert_true(c.f.sqrt(16.0) == 4.0);
	assert_int_equal(c.f.strlen("pstate"), 6);
}

/* Loaded once: a second load fills nothing again (the slots cleared
 * after the first stay clear) and returns the first outcome. */
static void test_repeated_load(void **state)
{
	struct case_ c;

	(void)state;
	setup3(&c, "libm.so.6", "libm.so.6", "libc.so.6", 0);
	assert_int_equal(ps_dl_load(&c.t, NULL, 0), 0);
	memset(&c.f, 0, sizeof c.f);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), 0);
	no_slot_filled(&c);

	setup3(&c, "libm.so.6", "libm.so.6", "libc.so.6", 1);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	memset(c.err, 0, sizeof c.err);
	c.rows[2] = (struct ps_dl_sym)PS_DL_SYM("libc.so.6", c.f, strlen);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	assert_string_equal(c.err, "libc.so.6: no symbol ps_dl_test_none");
	no_slot_filled(&c);
	/* a short buffer: cut, still a string; none at all: no write */
	assert_int_equal(ps_dl_load(&c.t, c.err, 5), -1);
	assert_string_equal(c.err, "libc");
	assert_int_equal(ps_dl_load(&c.t, NULL, 0), -1);
}

/* Alternatives: the first that opens is taken and named; none: each is
 * said. */
static void test_alternatives(void **state)
{
	struct case_ c;

	(void)state;
	setup3(&c, NOLIB " libm.so.6", NOLIB " libm.so.6", "libc.so.6", 1);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	assert_string_equal(c.err, "libc.so.6: no symbol ps_dl_test_none");
	setup3(&c, NOLIB " libm.so.6", "libm.so.6", "libc.so.6", 0);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), 0);
	assert_true(c.f.cos(0.0) == 1.0);
	setup3(&c, "libm.so.6", "libm.so.6", "libpstate-a.so.1 " NOLIB, 0);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	assert_string_equal(c.err, "none of libpstate-a.so.1 " NOLIB " opens: "
			    NOLIB ": cannot open shared object file: No such "
			    "file or directory");
	setup3(&c, "libm.so.6", " ", "libc.so.6", 0);
	assert_int_equal(ps_dl_load(&c.t, c.err, sizeof c.err), -1);
	assert_string_equal(c.err, "' ': no library named");
	no_slot_filled(&c);
}

/* More libraries than a table may name: refused, named. */
static void test_too_many_libraries(void **state)
{
	/* "libm.so.6", " libm.so.6", ...: nine strings, one library */
	static const char pad[] = "        libm.so.6";
	struct fns f = { 0 };
	struct ps_dl_sym rows[PS_DL_MAX_LIBS + 1];
	struct ps_dl_table t = PS_DL_TABLE(rows);
	char err[300];
	size_t i;

	(void)state;
	for (i = 0; i < PS_DL_MAX_LIBS + 1; i++)
		rows[i] = (struct ps_dl_sym)PS_DL_SYM(pad + 8 - i, f, cos);
	assert_int_equal(ps_dl_load(&t, err, sizeof err), -1);
	assert_string_equal(err, "        libm.so.6: more than 8 libraries "
			    "in one table");
	assert_null(f.cos);
}

/* Threads racing on a table's first load all see it loaded. */
struct race {
	struct ps_dl_table *t;
	int rc;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	r->rc = ps_dl_load(r->t, NULL, 0);
	return NULL;
}

static void test_threads(void **state)
{
	struct case_ c;
	struct race r[4];
	pthread_t th[4];
	int i;

	(void)state;
	setup3(&c, "libm.so.6", "libm.so.6", "libc.so.6", 0);
	for (i = 0; i < 4; i++) {
		r[i].t = &c.t;
		r[i].rc = -2;
		assert_int_equal(pthread_create(&th[i], NULL, racer, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(r[i].rc, 0);
	}
	assert_true(c.f.sqrt(9.0) == 3.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_repeated_load),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_too_many_libraries),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
