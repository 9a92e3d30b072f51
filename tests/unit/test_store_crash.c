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
 * commits start from media holding a torn slot.  Each sequence runs in
 * one commit mode (docs/store.md section 4): fast (one flush) or ordered.
 *
 * A disk with a volatile write cache may also land the writes of one
 * flush interval in any order.  The cache runs hold every write until a
 * flush and cut the power at a flush instead: of the writes cached since
 * the previous one, each subset of a family (none, all, all but one, one
 * alone, all with one torn, random ones) lands.  With one flush per commit
 * that includes a new header over a body partly old: the reader must get
 * G, or G' only when all of its body landed.  No cut may leave a slot
 * PS_SLOT_DAMAGED; a fast commit whose header landed without its whole
 * body leaves its slot PS_SLOT_INTERRUPTED, an ordered one never does.
 * The number of crash points tried is printed.
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
	struct ps_commit_args args;  /* the commit mode of the sequence */
	unsigned long interrupted;   /* cuts that left an interrupted slot */
};

static unsigned long total_points, total_interrupted;

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
	rc = ps_commit(&d, r->cur, r->sector, &r->args);
	assert_int_equal(rc, PS_ERR_IO);
	assert_true(r->fault.crashed);
	r->points++;
	became_new = check_after_crash(r, r->cur, next_len, &d);
	/* Recovery: the interrupted commit can be redone (or is there). */
	rc = ps_commit(&d, r->cur, r->sector, &r->args);
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
	assert_int_equal(ps_commit(&d, r->cur, r->sector, &r->args), PS_OK);
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
	assert_int_equal(ps_commit(&d, r->cur, r->sector, &r->args), PS_ERR_IO);
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
	assert_int_equal(ps_commit(&d, r->cur, r->sector, &r->args), PS_OK);
	if (d.generation != r->old_gen) {
		assert_int_equal(d.generation, r->old_gen + 1);
		r->old_gen = d.generation;
	}
	r->old_len = next_len;
	memcpy(r->old, r->cur, next_len);
}

/* ------------------------------------------------- a volatile write cache */

#define MAXW 64u            /* writes one flush interval may hold */
#define PATTERNS (4u * MAXW + 8u)

struct cache {
	struct ps_media *lower;
	uint64_t lba[MAXW];
	uint8_t data[MAXW][SS];
	unsigned n;              /* writes cached since the last flush */
	unsigned flushes;        /* flushes seen */
	unsigned cut_at;         /* the power goes at this flush; 0 never */
	uint8_t keep[MAXW];      /* at the cut: 1 lands, 2 lands torn */
	uint32_t tear;           /* bytes of a torn write that land */
	int crashed;
	/* The interval cut, as it stood: its writes' sectors. */
	unsigned cut_n;
	uint64_t cut_lba[MAXW];
	/* A clean pass records the writes of each interval. */
	unsigned per_flush[4];
};

static int cache_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	struct cache *c = ctx;
	uint8_t *b = buf;
	uint32_t k;
	int i, rc;

	if (c->crashed)
		return PS_ERR_IO;
	for (k = 0; k < n; k++, b += SS) {
		for (i = (int)c->n - 1; i >= 0 && c->lba[i] != lba + k; i--)
			;
		if (i >= 0) {
			memcpy(b, c->data[i], SS);
			continue;
		}
		rc = ps_media_read(c->lower, lba + k, 1, b);
		if (rc)
			return rc;
	}
	return PS_OK;
}

static int cache_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct cache *c = ctx;
	const uint8_t *b = buf;
	uint32_t k;

	if (c->crashed)
		return PS_ERR_IO;
	for (k = 0; k < n; k++, b += SS) {
		assert_true(c->n < MAXW);
		c->lba[c->n] = lba + k;
		memcpy(c->data[c->n++], b, SS);
	}
	return PS_OK;
}

/* Land cached write i, whole or torn (the rest keeps its old bytes). */
static void land(struct cache *c, unsigned i, int torn)
{
	uint8_t sec[SS];

	assert_int_equal(ps_media_read(c->lower, c->lba[i], 1, sec), PS_OK);
	memcpy(sec, c->data[i], torn ? c->tear : SS);
	assert_int_equal(ps_media_write(c->lower, c->lba[i], 1, sec), PS_OK);
}

static int cache_flush(void *ctx)
{
	struct cache *c = ctx;
	unsigned i;

	if (c->crashed)
		return PS_ERR_IO;
	if (c->flushes < 4)
		c->per_flush[c->flushes] = c->n;
	c->flushes++;
	if (c->flushes == c->cut_at) {
		/* Any order: landing them in reverse shows order is moot. */
		for (i = c->n; i-- > 0;)
			if (c->keep[i])
				land(c, i, c->keep[i] == 2);
		c->cut_n = c->n;
		memcpy(c->cut_lba, c->lba, sizeof c->lba);
		c->crashed = 1;
		return PS_ERR_IO;
	}
	for (i = 0; i < c->n; i++)
		land(c, i, 0);
	c->n = 0;
	return PS_OK;
}

static const struct ps_media_ops cache_ops = {
	.read = cache_read, .write = cache_write, .flush = cache_flush,
};

static void cache_media(struct ps_media *m, struct cache *c,
			struct ps_media *lower, unsigned cut_at)
{
	memset(c, 0, sizeof *c);
	c->lower = lower;
	c->cut_at = cut_at;
	assert_int_equal(ps_media_init(m, &cache_ops, c, SS, lower->sectors),
			 PS_OK);
}

/* Subset number p of n cached writes into keep: 0 none, 1 all, then all
 * but j, j alone, all with j torn, and random ones.  0 past the last. */
static int pattern(unsigned p, unsigned n, uint8_t *keep, uint64_t *rng,
		   uint32_t *tear)
{
	unsigned j;

	memset(keep, p == 1, n);
	*tear = (uint32_t)(1 + pst_rand(rng) % 7) * TEAR_STEP;
	if (p < 2)
		return 1;
	p -= 2;
	if (p < 3 * n) {
		j = p % n;
		if (p < n)
			keep[j] = 0;
		else if (p < 2 * n)
			memset(keep, 0, n), keep[j] = 1;
		else
			memset(keep, 1, n), keep[j] = 2;
		return 1;
	}
	if (p - 3 * n >= 6)
		return 0;
	for (j = 0; j < n; j++)
		keep[j] = (uint8_t)(pst_rand(rng) % 2);
	return 1;
}

/* Is lba a slot's header sector? */
static int is_header(const struct ps_disk *d, uint64_t lba)
{
	uint32_t i;

	for (i = 0; i < d->slot_count; i++)
		if (d->slot[i].lba == lba)
			return 1;
	return 0;
}

/* After a cut in a cached interval: what landed of the header and of
 * the body, and what the reader and check make of it.  A body write that
 * landed torn may or may not have brought all its new bytes. */
static void check_cut(struct run *r, const struct cache *c, int became_new,
		      const struct ps_disk *d)
{
	int hdr = 0, body_lost = 0;
	uint32_t i;

	for (i = 0; i < c->cut_n; i++) {
		if (is_header(d, c->cut_lba[i]))
			hdr = c->keep[i] != 0;  /* 64+ bytes: the header */
		else if (!c->keep[i])
			body_lost = 1;
	}
	/* G' only over all of its body (an earlier interval's, ordered,
	 * was flushed whole). */
	if (became_new)
		assert_false(body_lost);
	for (i = 0; i < d->slot_count; i++) {
		int st = ps_slot_state(d, i);

		assert_int_not_equal(st, PS_SLOT_DAMAGED);
		if (r->args.mode == PS_COMMIT_ORDERED)
			assert_int_not_equal(st, PS_SLOT_INTERRUPTED);
	}
	if (r->args.mode == PS_COMMIT_FAST && hdr && body_lost) {
		for (i = 0; i < d->slot_count; i++)
			if (ps_slot_state(d, i) == PS_SLOT_INTERRUPTED)
				break;
		assert_true(i < d->slot_count);
		assert_int_equal(d->slot[i].generation, r->old_gen + 1);
		assert_false(d->slot[i].flags & PS_SLOT_F_ORDERED);
		r->interrupted++;
	}
}

/* Every cut of committing r->cur at a flush, each subset of its cached
 * writes landing. */
static void every_cut(struct run *r, uint32_t next_len, uint64_t *rng)
{
	struct cache *c = calloc(1, sizeof *c);
	struct ps_media cm;
	struct ps_disk d;
	unsigned f, flushes, p;
	unsigned per[4];

	memcpy(r->before, r->mem, r->bytes);
	cache_media(&cm, c, &r->m, 0);
	assert_int_equal(ps_read(&d, &cm, r->got, r->cap), PS_OK);
	assert_int_equal(ps_commit(&d, r->cur, r->sector, &r->args), PS_OK);
	flushes = c->flushes;
	/* None: the edits gave the same bytes, nothing was written. */
	if (flushes)
		assert_int_equal(flushes,
				 r->args.mode == PS_COMMIT_ORDERED ? 2 : 1);
	memcpy(per, c->per_flush, sizeof per);
	for (f = 1; f <= flushes; f++)
		for (p = 0; p < PATTERNS; p++) {
			memcpy(r->mem, r->before, r->bytes);
			cache_media(&cm, c, &r->m, f);
			if (!pattern(p, per[f - 1], c->keep, rng, &c->tear))
				break;
			assert_int_equal(ps_read(&d, &cm, r->got, r->cap),
					 PS_OK);
			assert_int_equal(ps_commit(&d, r->cur, r->sector,
						   &r->args), PS_ERR_IO);
			assert_true(c->crashed);
			r->points++;
			check_cut(r, c, check_after_crash(r, r->cur, next_len,
							  &d), &d);
			/* Recovery, as after any cut. */
			assert_int_equal(ps_commit(&d, r->cur, r->sector,
						   &r->args), PS_OK);
			assert_int_equal(ps_read(&d, &r->m, r->got, r->cap),
					 PS_OK);
			assert_memory_equal(r->got, r->cur, next_len);
		}
	free(c);
}

static void run_seed(uint64_t seed, uint32_t slots, uint32_t slot_sectors,
		     int txns, int carry, enum ps_commit_mode mode, int cache)
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
	r->args.mode = mode;
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
		if (cache)
			every_cut(r, psf_total(r->cur), &rng);
		else
			every_crash(r, psf_total(r->cur));
		memcpy(r->mem, r->before, r->bytes);
		commit_clean(r, psf_total(r->cur));
		/* The header says how it was committed. */
		assert_true(ps_read(&d, &r->m, r->got, r->cap) == PS_OK);
		if (d.generation > 1)  /* generation 1 is the format's */
			assert_int_equal(!!(d.slot[d.base].flags &
					    PS_SLOT_F_ORDERED),
					 mode == PS_COMMIT_ORDERED);
	}
	print_message("seed %llu: %d slots, %s%s, %d transactions, generation "
		      "%llu, %lu crash points (%lu interrupted)\n",
		      (unsigned long long)seed, slots, mode ? "ordered" :
		      "fast", cache ? ", write cache" : "", txns,
		      (unsigned long long)r->old_gen, r->points,
		      r->interrupted);
	total_points += r->points;
	total_interrupted += r->interrupted;
	free(r->mem), free(r->before), free(r->old), free(r->cur);
	free(r->got), free(r);
}

static void test_crash_two_slots(void **state)
{
	(void)state;
	run_seed(1, 2, 16, 600, 0, PS_COMMIT_FAST, 0);
	run_seed(2, 2, 16, 600, 1, PS_COMMIT_FAST, 0);
	run_seed(3, 2, 9, 600, 1, PS_COMMIT_ORDERED, 0);
	run_seed(5, 2, 24, 600, 0, PS_COMMIT_ORDERED, 0);
}

static void test_crash_three_slots(void **state)
{
	(void)state;
	run_seed(4, 3, 12, 400, 1, PS_COMMIT_FAST, 0);
	run_seed(6, 4, 10, 400, 0, PS_COMMIT_ORDERED, 0);
}

/* Writes of one flush interval landing in any order, in both modes. */
static void test_cache(void **state)
{
	(void)state;
	run_seed(7, 2, 16, 300, 0, PS_COMMIT_FAST, 1);
	run_seed(8, 3, 12, 300, 0, PS_COMMIT_FAST, 1);
	run_seed(9, 2, 16, 300, 0, PS_COMMIT_ORDERED, 1);
	run_seed(10, 3, 12, 300, 0, PS_COMMIT_ORDERED, 1);
}

static void test_report(void **state)
{
	(void)state;
	print_message("crash points tried: %lu, interrupted commits: %lu\n",
		      total_points, total_interrupted);
	assert_true(total_points > 100000);
	/* The fast cache runs did cut headers over partial bodies. */
	assert_true(total_interrupted > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_two_slots),
		cmocka_unit_test(test_crash_three_slots),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests_name("store_crash", tests, NULL, NULL);
}
