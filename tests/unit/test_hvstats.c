/*
 * test_hvstats.c - a pass's stats (hvagent/hv_stats.c): failures counted
 * apart from successes, each failed VM named once, the list cut with
 * "..." when full, outcomes summed over a pass's attempts, and the pass
 * line naming failures only when there are some.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hv.h"

static void test_failed_named_once(void **state)
{
	struct hv_stats st;

	(void)state;
	memset(&st, 0, sizeof st);
	hv_stats_failed(&st, &st.define_failures, "web1");
	hv_stats_failed(&st, &st.start_failures, "web1");
	hv_stats_failed(&st, &st.define_failures, "web");
	hv_stats_failed(&st, &st.define_failures, "eb1");
	assert_int_equal(st.define_failures, 3);
	assert_int_equal(st.start_failures, 1);
	assert_string_equal(st.failed_vms, "web1 web eb1");
}

static void test_failed_list_cut(void **state)
{
	struct hv_stats st;
	char name[PS_CFG_NAME_MAX + 1];
	int i;

	(void)state;
	memset(&st, 0, sizeof st);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "vm-%02d-padding-padding", i);
		hv_stats_failed(&st, &st.define_failures, name);
	}
	assert_int_equal(st.define_failures, 40);
	assert_true(strlen(st.failed_vms) < sizeof st.failed_vms);
	assert_string_equal(st.failed_vms + strlen(st.failed_vms) - 4, " ...");
	assert_non_null(strstr(st.failed_vms, "vm-00-padding-padding vm-01"));
}

static void test_add_and_set_calls(void **state)
{
	struct hv_stats a, b, sum, st;

	(void)state;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&sum, 0, sizeof sum);
	a.defines = 2;
	hv_stats_failed(&a, &a.define_failures, "x");
	b.starts = 1;
	hv_stats_failed(&b, &b.start_failures, "y");
	hv_stats_failed(&b, &b.define_failures, "x");
	hv_stats_add(&sum, &a);
	hv_stats_add(&sum, &b);
	memset(&st, 0, sizeof st);
	st.vms = 7;
	st.defines = 99;
	hv_stats_set_calls(&st, &sum);
	assert_int_equal(st.vms, 7);
	assert_int_equal(st.defines, 2);
	assert_int_equal(st.define_failures, 2);
	assert_int_equal(st.starts, 1);
	assert_int_equal(st.start_failures, 1);
	assert_string_equal(st.failed_vms, "x y");
}

static void test_line(void **state)
{
	struct hv_stats st;
	char line[600];

	(void)state;
	memset(&st, 0, sizeof st);
	st.vms = 4;
	hv_stats_line(&st, 0.5, line, sizeof line);
	assert_null(strstr(line, "failed"));
	assert_non_null(strstr(line, "4 VMs, 0 defined, 0 undefined,"));
	st.define_failures = 4;
	strcpy(st.failed_vms, "a1 a2 a3 a4");
	st.start_failures = 1;
	hv_stats_line(&st, 0.5, line, sizeof line);
	assert_non_null(strstr(line, "0 defined (4 failed), 0 undefined,"));
	assert_non_null(strstr(line, "0 started (1 failed),"));
	assert_string_equal(line + strlen(line) - 21, "; failed: a1 a2 a3 a4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_named_once),
		cmocka_unit_test(test_failed_list_cut),
		cmocka_unit_test(test_add_and_set_calls),
		cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
