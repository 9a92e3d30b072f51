/*
 * test_store_modes.c - the two commit protocols (docs/store.md section 4):
 * a fast commit flushes once and leaves the slot header's ORDERED flag
 * (bit 17) clear; an ordered one flushes twice (body, then header) and
 * sets it.  Chosen per store handle (ps_store_set_commit), per open
 * (PS_OPEN_ORDERED) and per call (struct ps_commit_args' mode); readers
 * read both alike.  Meant to run under ASan + UBSan.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define SS 512u
#define NSEC 200u

static int edit_memory(void *buf, size_t cap, void *arg)
{
	(void)cap;
	return pst_set_memory(buf, 0, *(uint64_t *)arg);
}

/* A two-slot store on m (a three-VM store at generation 1). */
static void format(struct ps_media *m)
{
	static uint8_t buf[4096];
	uint8_t sector[SS];
	int len = pst_mkstore(buf, sizeof buf, 3, PST_NAME_ROOM);
	struct ps_format_opts o = { .slot_count = 2, .store = buf };
	struct ps_disk d;

	assert_true(len > 0);
	o.store_len = (uint32_t)len;
	assert_int_equal(ps_format(&d, m, &o, sector), PS_OK);
}

/* One edit through s: the flushes it took and its slot header's flags. */
static void commit_one(struct ps_store *s, uint64_t kib, uint64_t flushes,
		       int ordered)
{
	struct ps_media *m = ps_store_disk(s)->media;
	const struct ps_disk *d = ps_store_disk(s);
	uint64_t before = m->stats.flushes;

	assert_int_equal(ps_update(s, edit_memory, &kib, 0), PS_OK);
	assert_int_equal(m->stats.flushes - before, flushes);
	assert_int_equal(!!(d->slot[d->base].flags & PS_SLOT_F_ORDERED),
			 ordered);
	/* The flag is in the ignorable range: the header decodes. */
	assert_int_equal(d->slot[d->base].flags & 0xffffu, 0);
}

static void test_modes_handle(void **state)
{
	struct ps_media m;
	uint8_t *mem = pst_ramdisk(&m, SS, NSEC);
	struct ps_store *s;
	struct ps_disk d;
	uint8_t *buf = malloc(NSEC * SS);
	int err;

	(void)state;
	format(&m);
	s = ps_store_open(&m, &err);
	assert_non_null(s);
	commit_one(s, 100, 1, 0);   /* a new handle commits fast */
	assert_int_equal(ps_store_set_commit(s, PS_COMMIT_ORDERED), PS_OK);
	commit_one(s, 200, 2, 1);
	assert_int_equal(ps_store_set_commit(s, PS_COMMIT_FAST), PS_OK);
	commit_one(s, 300, 1, 0);
	assert_int_equal(ps_store_set_commit(s, (enum ps_commit_mode)7),
			 PS_ERR_INVAL);
	assert_int_equal(ps_store_set_commit(NULL, PS_COMMIT_FAST),
			 PS_ERR_INVAL);
	commit_one(s, 400, 1, 0);   /* a refused mode changed nothing */
	ps_store_close(s);
	/* A reader reads both alike: the newest store. */
	assert_int_equal(ps_read(&d, &m, buf, NSEC * SS), PS_OK);
	assert_int_equal(d.generation, 5);
	free(buf);
	free(mem);
}

/* ps_commit itself: args NULL and mode 0 are fast. */
static void test_modes_commit_args(void **state)
{
	struct ps_media m;
	uint8_t *mem = pst_ramdisk(&m, SS, NSEC);
	uint8_t *buf = malloc(NSEC * SS), sector[SS];
	struct ps_commit_args a = { .owner = PS_OWNER_OS };
	struct ps_disk d;
	uint64_t kib = 100, f0;
	int i;

	(void)state;
	format(&m);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ps_read(&d, &m, buf, NSEC * SS), PS_OK);
		assert_int_equal(edit_memory(buf, NSEC * SS, &kib), PSF_OK);
		assert_int_equal(psf_finish(buf), PSF_OK);
		kib += 100;
		a.mode = i == 1 ? PS_COMMIT_ORDERED : PS_COMMIT_FAST;
		f0 = m.stats.flushes;
		assert_int_equal(ps_commit(&d, buf, sector, i ? &a : NULL),
				 PS_OK);
		assert_int_equal(m.stats.flushes - f0, i == 1 ? 2 : 1);
		assert_int_equal(!!(d.slot[d.base].flags & PS_SLOT_F_ORDERED),
				 i == 1);
	}
	free(buf);
	free(mem);
}

/* ps_open_path with and without PS_OPEN_ORDERED, on an image file. */
static void test_modes_open(void **state)
{
	char path[] = "/tmp/test_store_modes.XXXXXX", err[1600];
	struct ps_opened o;
	struct ps_txn t;
	int fd = mkstemp(path), k;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, NSEC * SS), 0);
	close(fd);
	assert_int_equal(ps_open_path(&o, path, PS_OPEN_IMAGE |
				      PS_OPEN_NO_STORE, err, sizeof err), 0);
	format(&o.media);
	ps_open_close(&o);
	for (k = 0; k < 2; k++) {
		unsigned fl = PS_OPEN_IMAGE | (k ? PS_OPEN_ORDERED : 0);
		const struct ps_disk *d;

		if (ps_open_path(&o, path, fl, err, sizeof err))
			fail_msg("%s", err);
		assert_int_equal(ps_txn_begin(o.store, &t), PS_OK);
		assert_int_equal(pst_set_memory(t.buf, 0, 1000u + k), PSF_OK);
		assert_int_equal(ps_txn_commit(&t), PS_OK);
		d = ps_store_disk(o.store);
		assert_int_equal(!!(d->slot[d->base].flags &
				    PS_SLOT_F_ORDERED), k);
		ps_open_close(&o);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_handle),
		cmocka_unit_test(test_modes_commit_args),
		cmocka_unit_test(test_modes_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
