/*
 * test_store_crash.c - power cuts at every point of every commit.
 *
 * Randomized transaction sequences (fixed seeds) run over the fault-
 * injecting media.  For each commit, every crash point is tried on a copy
 * of the media as it was before the commit: each k-th sector write, torn
 * at each 64-byte boundary (0, 64, ..., 448 bytes landed) with the rest of
 * the sector keeping its old bytes, reading as zeros or as 0xFF, plus the
 * write landing whole before the power goes.  After each crash the media
 * is reopened: it must hold exactly the old or the new store (bytes
 * compared), never lose a generation reported committed, and accept the
 * next commit.  Some sequences also carry a crashed state forward, so
 * commits start from media holding a torn slot.  The number of crash
 * points tried is printed.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define SS 512u
#define TEAR_STEP 64u

struct run {
	struct ps_media m;           /* the RAM disk */
	uint8_t *mem, *before;       /* its bytes, and a copy */
	size_t bytes;
	uint32_t cap;                /* slot capacity */
	uint8_t *old, *cur, *got;    /* committed, next, read back */
	uint32_t old_len;
	uint64_t old_gen;            /* last generation reported committed */
	uint8_t sector[SS];
	struct ps_fault fault;
	unsigned long points;
};

static unsigned long total_points;

/* Reopen the RAM disk directly: the store must be old or new. */
static int check_after_crash(struct run *r, const uint8_t *next,
			     uint32_t next_len, struct ps_disk *d)
{
	int rc = ps_read(d, &r->m, r->got, r->cap);

	assert_int_equal(rc, PS_OK);
	assert_true(d->generation >= r->old_gen); /* nothing committed lost */
	if (d->generation == r->old_gen) {
		assert_int_equal(d->length, r->old_len);
		assert_memory_equal(r->got, r->old, r->old_len);
		return 0;
	}
	assert_int_equal(d->generation, r->old_gen + 1);
	assert_int_equal(d->length, next_len);
	assert_memory_equal(r->got, next, next_len);
	return 1;
}

/* One crash point: restore, commit through the fault media, check, then
 * the store must take the commit again and read it back. */
static int crash_once(struct run *r, uint64_t k, uint32_t tear,
		      enum ps_fault_fill fill, uint32_t next_len)
{
	struct ps_media fm;
	struct ps_disk d;
	int rc, became_new;

	memcpy(r->mem, r->before, r->bytes);
	r->fault.crash_at = k;
	r->fault.tear_bytes = tear;
	r->fault.fill = fill;
	assert_int_equal(ps_media_init_fault(&fm, &r->fault, &r->m), PS_OK);
	assert_int_equal(ps_read(&d, &fm, r->got, r->cap), PS_OK);
	rc = ps_commit(&d, r->cur, r->sector, NULL);
	assert_int_equal(rc, PS_ERR_IO);
	assert_true(r->fault.crashed);
	r->points++;
	became_new = check_after_crash(r, r->cur, next_len, &d);
	/* Recovery: the interrupted commit can be redone (or is there). */
	rc = ps_commit(&d, r->cur, r->sector, NULL);
	assert_int_equal(rc, PS_OK);
	assert_int_equal(ps_read(&d, &r->m, r->got, r->cap), PS_OK);
	assert_int_equal(d.generation, r->old_gen + 1);
	assert_memory_equal(r->got, r->cur, next_len);
	return became_new;
}

/* Sector writes a clean commit of r->cur makes from the current media. */
static uint64_t clean_writes(struct run *r)
{
	struct ps_media fm;
	struct ps_disk d;

	memcpy(r->mem, r->before, r->bytes);
	r->fault.crash_at = 0;
	assert_int_equal(ps_media_init_fault(&fm, &r->fault, &r->m), PS_OK);
	assert_int_equal(ps_read(&d, &fm, r->got, r->cap), PS_OK);
	assert_int_equal(ps_commit(&d, r->cur, r->sector, NULL), PS_OK);
	return r->fault.writes;
}

/* Every crash point of committing r->cur. */
static void every_crash(struct run *r, uint32_t next_len)
{
	uint64_t k, n;
	uint32_t tear;
	int fill;

	memcpy(r->before, r->mem, r->bytes);
	n = clean_writes(r);
	for (k = 1; k <= n; k++) {
		for (tear = 0; tear < SS; tear += TEAR_STEP)
			for (fill = 0; fill < 3; fill++)
				crash_once(r, k, tear,
					   (enum ps_fault_fill)fill, next_len);
		/* The whole sector lands, then the power goes. */
		crash_once(r, k, SS, PS_FAULT_KEEP, next_len);
	}
}

/* Leave the media crashed at a random point (it stays that way). */
static void carry_crash(struct run *r, uint64_t *rng, uint32_t next_len)
{
	uint64_t n, k;
	struct ps_media fm;
	struct ps_disk d;

	memcpy(r->before, r->mem, r->bytes);
	n = clean_writes(r);
	memcpy(r->mem, r->before, r->bytes);
	if (n == 0)
		return;
	k = 1 + pst_rand(rng) % n;
	r->fault.crash_at = k;
	r->fault.tear_bytes = (uint32_t)(pst_rand(rng) % 8) * TEAR_STEP;
	r->fault.fill = (enum ps_fault_fill)(pst_rand(rng) % 3);
	assert_int_equal(ps_media_init_fault(&fm, &r->fault, &r->m), PS_OK);
	assert_int_equal(ps_read(&d, &fm, r->got, r->cap), PS_OK);
	assert_int_equal(ps_commit(&d, r->cur, r->sector, NULL), PS_ERR_IO);
	if (check_after_crash(r, r->cur, next_len, &d)) {
		r->old_gen++;  /* the new state made it: it is committed */
		r->old_len = next_len;
		memcpy(r->old, r->cur, next_len);
	}
	/* Either way the next edit starts from what is on media. */
	memcpy(r->cur, r->old, r->old_len);
	memset(r->cur + r->old_len, 0, r->cap - r->old_len);
}

/* Commit for real (no fault) and remember it as committed. */
static void commit_clean(struct run *r, uint32_t next_len)
{
	struct ps_disk d;

	assert_int_equal(ps_read(&d, &r->m, r->got, r->cap), PS_OK);
	assert_int_equal(ps_commit(&d, r->cur, r->sector, NULL), PS_OK);
	if (d.generation != r->old_gen) {
		assert_int_equal(d.generation, r->old_gen + 1);
		r->old_gen = d.generation;
	}
	r->old_len = next_len;
	memcpy(r->old, r->cur, next_len);
}

static void run_seed(uint64_t seed, uint32_t slots, uint32_t slot_sectors,
		     int txns, int carry)
{
	struct run *r = calloc(1, sizeof(*r));
	struct ps_format_opts o = { .slot_count = slots,
				    .slot_sectors = slot_sectors };
	uint64_t rng = seed;
	uint64_t nsec = 2 + (uint64_t)slots * slot_sectors;
	struct ps_disk d;
	int i, len;

	r->bytes = nsec * SS;
	r->mem = pst_ramdisk(&r->m, SS, nsec);
	r->before = malloc(r->bytes);
	r->cap = (slot_sectors - 1) * SS;
	r->old = calloc(1, r->cap);
	r->cur = calloc(1, r->cap);
	r->got = calloc(1, r->cap);
	len = pst_mkstore(r->cur, r->cap, 6, PST_NAME_ROOM);
	o.store = r->cur;
	o.store_len = (uint32_t)len;
	assert_int_equal(ps_format(&d, &r->m, &o, r->sector), PS_OK);
	r->old_gen = 1;
	r->old_len = (uint32_t)len;
	memcpy(r->old, r->cur, (size_t)len);

	for (i = 0; i < txns; i++) {
		/* One to three edits per transaction. */
		int e, edits = 1 + (int)(pst_rand(&rng) % 3);

		for (e = 0; e < edits; e++)
			assert_int_equal(pst_random_edit(r->cur, r->cap, &rng),
					 PSF_OK);
		if (carry && pst_rand(&rng) % 4 == 0) {
			carry_crash(r, &rng, psf_total(r->cur));
			continue;
		}
		every_crash(r, psf_total(r->cur));
		memcpy(r->mem, r->before, r->bytes);
		commit_clean(r, psf_total(r->cur));
	}
	print_message("seed %llu: %d slots, %d transactions, generation %llu, "
		      "%lu crash points\n", (unsigned long long)seed, slots,
		      txns, (unsigned long long)r->old_gen, r->points);
	total_points += r->points;
	free(r->mem), free(r->before), free(r->old), free(r->cur);
	free(r->got), free(r);
}

static void test_crash_two_slots(void **state)
{
	(void)state;
	run_seed(1, 2, 16, 600, 0);
	run_seed(2, 2, 16, 600, 1);
	run_seed(3, 2, 9, 600, 1);
	run_seed(5, 2, 24, 600, 0);
}

static void test_crash_three_slots(void **state)
{
	(void)state;
	run_seed(4, 3, 12, 400, 1);
	run_seed(6, 4, 10, 400, 0);
}

static void test_report(void **state)
{
	(void)state;
	print_message("crash points tried: %lu\n", total_points);
	assert_true(total_points > 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_two_slots),
		cmocka_unit_test(test_crash_three_slots),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests_name("store_crash", tests, NULL, NULL);
}
