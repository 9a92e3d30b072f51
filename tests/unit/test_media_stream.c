/*
 * test_media_stream.c - streaming reads of the image backend
 * (ps_media_stream, pstate/ps_media_linux.c): what a commit's pass over a
 * slot body reads is served from one large read, and never hides the
 * media's bytes where it must not.
 *
 * Told apart by changing the file behind the media's back (pwrite on a
 * second descriptor), which only a read that reaches the file sees.
 *   - a sequential run inside the window sees the window (a change made
 *     behind its back after the fill is not seen: one read served it);
 *   - a read that is not sequential goes to the file;
 *   - writes through the media update the window;
 *   - flush and ps_media_drop_cache empty it; stream 0 turns it off;
 *   - the window stops at the media's end.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pstate.h"

#define SS 512u
#define SECTORS 64u

static char img[256];

/* Sector k of the file holds the byte tag. */
static void put(int fd, uint32_t k, uint8_t tag)
{
	uint8_t b[SS];

	memset(b, tag, sizeof b);
	assert_int_equal(pwrite(fd, b, SS, (off_t)k * SS), (ssize_t)SS);
}

static uint8_t got(struct ps_media *m, uint32_t k)
{
	uint8_t b[SS];

	assert_int_equal(ps_media_read(m, k, 1, b), PS_OK);
	return b[SS - 1];
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	uint32_t k;
	int fd;

	snprintf(img, sizeof img, "%s/test_media_stream.XXXXXX",
		 t ? t : "/tmp");
	fd = mkstemp(img);
	if (fd < 0)
		return -1;
	for (k = 0; k < SECTORS; k++)
		put(fd, k, (uint8_t)k);
	*state = (void *)(intptr_t)fd;
	return 0;
}

static int teardown(void **state)
{
	close((int)(intptr_t)*state);
	unlink(img);
	return 0;
}

static void test_window(void **state)
{
	int fd = (int)(intptr_t)*state;
	struct ps_media m;
	uint8_t b[SS];

	assert_int_equal(ps_media_open_image(&m, img, 0, 0, SS, 0), PS_OK);
	assert_int_equal(ps_media_stream(&m, 16 * SS), PS_OK);
	assert_int_equal(got(&m, 10), 10);   /* not sequential: the file */
	put(fd, 12, 0xA1);
	assert_int_equal(got(&m, 11), 11);   /* sequential: fills 11..26 */
	put(fd, 13, 0xA2);                   /* behind the window's back */
	assert_int_equal(got(&m, 12), 0xA1); /* filled after the first put */
	assert_int_equal(got(&m, 13), 13);   /* from the window */
	/* A write through the media updates the window. */
	memset(b, 0xB0, sizeof b);
	assert_int_equal(ps_media_write(&m, 14, 1, b), PS_OK);
	assert_int_equal(got(&m, 14), 0xB0);
	/* Outside the window, not sequential: the file. */
	put(fd, 40, 0xA3);
	assert_int_equal(got(&m, 40), 0xA3);
	/* A flush empties the window: the media again. */
	assert_int_equal(ps_media_flush(&m), PS_OK);
	assert_int_equal(got(&m, 13), 0xA2);
	/* So does dropping the page cache (the lock taken). */
	assert_int_equal(got(&m, 14), 0xB0);  /* sequential: refills 14.. */
	put(fd, 15, 0xA4);
	assert_int_equal(ps_media_drop_cache(&m), PS_OK);
	assert_int_equal(got(&m, 15), 0xA4);
	/* Off: every read is the file's. */
	assert_int_equal(ps_media_stream(&m, 0), PS_OK);
	assert_int_equal(got(&m, 20), 20);
	put(fd, 21, 0xA5);
	assert_int_equal(got(&m, 21), 0xA5);
	ps_media_close(&m);
}

/* The window never reads past the media's end (a window of the file). */
static void test_window_at_end(void **state)
{
	int fd = (int)(intptr_t)*state;
	struct ps_media m;

	(void)fd;
	assert_int_equal(ps_media_open_image(&m, img, 8 * SS, 16 * SS, SS, 0),
			 PS_OK);
	assert_int_equal(ps_media_stream(&m, 64 * SS), PS_OK);
	assert_int_equal(got(&m, 12), 20);
	assert_int_equal(got(&m, 13), 21); /* fills 13..15 only */
	assert_int_equal(got(&m, 15), 23);
	ps_media_close(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_at_end, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
