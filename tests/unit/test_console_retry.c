/*
 * test_console_retry.c - the console clients' reconnect schedule as psctl
 * console runs it (psctl_con_retry_wait, cli/psctl_console.h): a try every
 * MIN ms until FAST ms after the loss, then doubling up to MAX.  The
 * numbers themselves are checked against docs/console.md and the web
 * page's by tests/e2e/test_console_retry.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "psctl_console.h"

/* Tries that fail at once: the waits of an outage of `ms`. */
static size_t waits(unsigned *w, size_t max, long long ms)
{
	long long t = 0;
	unsigned wait = 0;
	size_t n = 0;

	while (t < ms && n < max) {
		wait = psctl_con_retry_wait(wait, t);
		w[n++] = wait;
		t += wait;
	}
	return n;
}

static void every_min_then_doubling(void **st)
{
	unsigned w[512];
	size_t n = waits(w, 512, 20000), i, fast;
	long long t = 0;

	(void)st;
	/* MIN apart while under FAST since the loss. */
	for (i = 0; i < n && t < (long long)PSCTL_CON_RETRY_FAST_MS; i++) {
		assert_int_equal(w[i], PSCTL_CON_RETRY_MIN_MS);
		t += w[i];
	}
	fast = i;
	assert_int_equal(fast, PSCTL_CON_RETRY_FAST_MS / PSCTL_CON_RETRY_MIN_MS);
	/* Then each wait twice the one before, up to MAX, and MAX on. */
	for (i = fast; i < n; i++) {
		unsigned want = 2 * w[i - 1] < PSCTL_CON_RETRY_MAX_MS
				? 2 * w[i - 1] : PSCTL_CON_RETRY_MAX_MS;
		assert_int_equal(w[i], want);
	}
	assert_int_equal(w[n - 1], PSCTL_CON_RETRY_MAX_MS);
	/* 50 ms, 5 s, 5 s: 100 tries in the first 5 s, then 100, 200,
	 * 400, 800, 1600, 3200 and 5000 ms. */
	assert_int_equal(w[fast], 2 * PSCTL_CON_RETRY_MIN_MS);
}

/* The first wait after a reconnect that worked starts over. */
static void starts_over(void **st)
{
	(void)st;
	assert_int_equal(psctl_con_retry_wait(0, 60000), PSCTL_CON_RETRY_MIN_MS);
	assert_int_equal(psctl_con_retry_wait(PSCTL_CON_RETRY_MAX_MS, 100),
			 PSCTL_CON_RETRY_MIN_MS);
	assert_int_equal(psctl_con_retry_wait(PSCTL_CON_RETRY_MAX_MS, 60000),
			 PSCTL_CON_RETRY_MAX_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_min_then_doubling),
		cmocka_unit_test(starts_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
