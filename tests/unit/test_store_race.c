/*
 * test_store_race.c - ps_read racing commits, deterministically.
 *
 * ps_read takes no lock, so commits can land while a reader is between
 * reading the slot headers and reading the body of the slot it chose; with
 * enough of them, that very slot is overwritten under it.  ps_read must
 * then re-read the headers and start over (pstate/ps_commit.c, read_once),
 * never fall back to an older slot nor report no store.
 *
 * The reader's media is a callback backend over a RAM disk whose read op
 * splits every transfer into single sectors.  At a chosen chance it runs
 * one or more complete commits through a second struct ps_disk (the
 * writer) on the same memory, through its own memory media, so the
 * writer's I/O is not hooked.  The chances: before every sector the reader
 * reads, and in the middle of every slot-header sector (the reader gets
 * the first TEAR bytes from before the commits and the rest from after: a
 * read racing the header write, as read() through the page cache can see).
 * Interleavings: one injection at every chance of the reader's sequence,
 * and two at every pair of chances, for 2 and 3 slots, 1, 2 or slot_count
 * commits per injection, 0, 1 or slot_count commits made before the read,
 * and three kinds of stores: every body sector changes from one generation
 * to the next; only the first and last change; or slot 0 always gets the
 * same bytes back (a setting toggled back and forth).  After each read:
 *
 *   - no error, and the reader wrote and flushed nothing;
 *   - the bytes are exactly the store committed as the returned generation
 *     (rebuilt from its number), from the slot it was committed to;
 *   - the generation is at least the newest committed when ps_read was
 *     called, at least the newest when the reader began its last pass over
 *     the headers, and at most the newest at return.  With every injection
 *     before the first header read that means the newest; with none, the
 *     one at the start.
 *   - fewer than slot_count commits in a read never make it restart; with
 *     more, some interleaving does.
 *
 * Then the retry bound: writers committing at every chance keep the reader
 * restarting until it gives up with PS_ERR_CONFLICT after 1 + 32 passes,
 * having written nothing; writers that spoil exactly 32 passes let the
 * 33rd return the newest store, 33 spoiled passes do not.
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
#define SLOT_SECTORS 16u      /* header + 15 body sectors */
#define NVMS 24u              /* a store of about 5 sectors */
#define CAP ((SLOT_SECTORS - 1) * SS)
#define MAX_SLOTS 3u
#define NSEC (2u + MAX_SLOTS * SLOT_SECTORS)
#define PASSES 33u            /* 1 + READ_RESTARTS (32) in ps_commit.c */
#define NONE UINT64_MAX
#define TEAR 32u              /* a torn header read: bytes read before */
#define HLOG 4096u            /* header reads logged per ps_read */

/* Which VMs' memory field carries the generation. */
enum pattern {
	PAT_ALL,   /* every VM: every body sector differs between versions */
	PAT_LAST,  /* the last VM only: body sectors 0 and last differ */
	PAT_SAME0, /* PAT_ALL, but the generations slot 0 gets (1, 1 +
		      slot_count, ...) all have generation 1's bytes.  A
		      reader holding slot 0's old header finds the body still
		      matching it after newer commits rewrote the slot: only
		      a restart keeps it from returning that old generation. */
};

enum mode {
	INJ_AT,         /* at chances at[0] and at[1] (NONE: unused) */
	INJ_EVERY,      /* at every chance */
	INJ_BODY_PASS,  /* before the first body sector read, the first
			   max_passes times */
};

struct race {
	uint8_t mem[NSEC * SS];     /* the RAM disk both sides share */
	uint32_t nslots;
	enum pattern pat;
	/* the writer: its own media over mem, its own disk state */
	struct ps_media wm;
	struct ps_disk wd;
	uint8_t wsec[SS];
	uint8_t wbuf[CAP];
	/* injection policy */
	enum mode mode;
	uint64_t at[2];
	uint32_t per;               /* commits per injection */
	uint32_t max_passes;
	/* what the reader did, seen from its media */
	uint64_t steps;             /* sector reads so far */
	uint64_t opps;              /* chances to inject so far */
	uint32_t fired;             /* injections made */
	uint32_t body_passes;       /* reads of a slot's first body sector */
	uint64_t first_hdr_step;    /* step of the first header read */
	uint64_t fired_last_step;   /* step of the last injection */
	uint32_t nhdr;              /* header reads logged */
	uint8_t hdr_slot[HLOG];     /* which slot's header each one read */
	uint64_t hdr_gen[HLOG];     /* newest generation as it began */
	uint32_t bad_writes, bad_flushes;
};

/* The store of generation g (on a disk of nslots slots), rebuilt on
 * demand: distinct for every g except as PAT_SAME0 says, and never equal
 * for consecutive generations (a commit of unchanged bytes is skipped). */
static uint32_t make_version(uint8_t *buf, uint64_t g, enum pattern pat,
			     uint32_t nslots)
{
	int len = pst_mkstore(buf, CAP, NVMS, PST_NAME_ROOM);
	unsigned k;

	assert_true(len > 0);
	if (pat == PAT_SAME0 && (g - 1) % nslots == 0)
		g = 1;
	for (k = 0; k < NVMS; k++) {
		if (pat == PAT_LAST && k != NVMS - 1)
			continue;
		assert_int_equal(pst_set_memory(buf, k, g * 1000u + k), PSF_OK);
	}
	assert_int_equal(psf_finish(buf), PSF_OK);
	assert_int_equal(psf_total(buf), (uint32_t)len);
	return (uint32_t)len;
}

static void writer_commit(struct race *r)
{
	uint64_t g = r->wd.generation + 1;

	make_version(r->wbuf, g, r->pat, r->nslots);
	assert_int_equal(ps_commit(&r->wd, r->wbuf, r->wsec, NULL), PS_OK);
	assert_int_equal(r->wd.generation, g);
	assert_int_equal(r->wd.base, (int)((g - 1) % r->nslots));
}

static int is_header(const struct race *r, uint64_t lba, uint32_t *slot)
{
	uint32_t i;

	for (i = 0; i < r->nslots; i++)
		if (lba == r->wd.slot[i].lba) {
			*slot = i;
			return 1;
		}
	return 0;
}

static int is_first_body(const struct race *r, uint64_t lba)
{
	uint32_t i;

	for (i = 0; i < r->nslots; i++)
		if (lba == r->wd.slot[i].lba + 1)
			return 1;
	return 0;
}

static int want_inject(const struct race *r, uint64_t opp, uint64_t lba)
{
	switch (r->mode) {
	case INJ_AT:
		return opp == r->at[0] || opp == r->at[1];
	case INJ_EVERY:
		return 1;
	case INJ_BODY_PASS:
		/* r->body_passes already counts the read about to happen */
		return is_first_body(r, lba) && r->body_passes <= r->max_passes;
	}
	return 0;
}

static void inject(struct race *r, uint64_t step)
{
	uint32_t k;

	r->fired++;
	r->fired_last_step = step;
	for (k = 0; k < r->per; k++)
		writer_commit(r);
}

/*
 * The reader's read op: one sector at a time, with a chance to commit
 * before each sector and, for slot headers, also in the middle of the
 * sector (a read racing the header write: the first TEAR bytes come from
 * before the commits, the rest from after, as a read() through the page
 * cache may see).
 */
static int race_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	struct race *r = ctx;
	uint32_t j, slot;

	for (j = 0; j < n; j++) {
		uint64_t at = lba + j, step = r->steps++;
		uint8_t *dst = (uint8_t *)buf + (size_t)j * SS;

		if (is_first_body(r, at))
			r->body_passes++;
		if (want_inject(r, r->opps++, at))
			inject(r, step);
		if (!is_header(r, at, &slot)) {
			memcpy(dst, r->mem + at * SS, SS);
			continue;
		}
		if (r->first_hdr_step == NONE)
			r->first_hdr_step = step;
		assert_true(r->nhdr < HLOG);
		r->hdr_slot[r->nhdr] = (uint8_t)slot;
		r->hdr_gen[r->nhdr++] = r->wd.generation;
		memcpy(dst, r->mem + at * SS, TEAR);
		if (want_inject(r, r->opps++, at))
			inject(r, step);
		memcpy(dst + TEAR, r->mem + at * SS + TEAR, SS - TEAR);
	}
	return PS_OK;
}

static int race_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct race *r = ctx;

	(void)lba, (void)n, (void)buf;
	r->bad_writes++;
	return PS_ERR_IO;
}

static int race_flush(void *ctx)
{
	struct race *r = ctx;

	r->bad_flushes++;
	return PS_OK;
}

static const struct ps_media_ops race_ops = {
	.read = race_read,
	.write = race_write,
	.flush = race_flush,
	.close = NULL,
};

/* A configuration: the media as it is before every read, kept so each
 * interleaving starts from the same bytes. */
struct config {
	uint32_t nslots, per, preload;
	enum pattern pat;
	struct ps_disk wd;
};

/* Static, so that a failed assertion leaks nothing. */
static struct race the_race;
static uint8_t snap[NSEC * SS], mem_before[NSEC * SS];
static uint8_t buf[CAP], want[CAP];

static void config_prepare(struct race *r, struct config *c)
{
	struct ps_format_opts o = { 0 };
	uint32_t i, len;

	memset(r, 0, sizeof(*r));
	r->nslots = c->nslots;
	r->pat = c->pat;
	r->per = c->per;
	assert_int_equal(ps_media_init_mem(&r->wm, r->mem, SS,
					   2 + c->nslots * SLOT_SECTORS),
			 PS_OK);
	len = make_version(r->wbuf, 1, c->pat, c->nslots);
	/* the store spans several sectors, so a body read has steps */
	assert_true(len > 4 * SS);
	o.slot_count = c->nslots;
	o.slot_sectors = SLOT_SECTORS;
	o.store = r->wbuf;
	o.store_len = len;
	assert_int_equal(ps_format(&r->wd, &r->wm, &o, r->wsec), PS_OK);
	assert_int_equal(ps_slot_capacity(&r->wd), CAP);
	for (i = 0; i < c->preload; i++)
		writer_commit(r);
	memcpy(snap, r->mem, NSEC * SS);
	c->wd = r->wd;
}

static void race_reset(struct race *r, const struct config *c)
{
	memcpy(r->mem, snap, NSEC * SS);
	r->wd = c->wd;
	r->steps = 0;
	r->opps = 0;
	r->fired = 0;
	r->body_passes = 0;
	r->first_hdr_step = NONE;
	r->fired_last_step = NONE;
	r->nhdr = 0;
	r->bad_writes = r->bad_flushes = 0;
}

struct tally {
	unsigned long runs, restarted, newer, older_ok;
};

/*
 * The newest generation when the reader began its last pass: its last
 * run of header reads of slots 0, 1, ..., n-1 in order (a pass reads them
 * so; the re-checks in between read one or stop at the first change).
 * Every pass but the last ends in a restart, so the store returned must
 * be at least this new.
 */
static uint64_t gen_at_last_pass(const struct race *r)
{
	uint32_t i, k;

	for (i = r->nhdr; i-- > 0;) {
		if (i + r->nslots > r->nhdr)
			continue;
		for (k = 0; k < r->nslots && r->hdr_slot[i + k] == k; k++)
			;
		if (k == r->nslots)
			return r->hdr_gen[i];
	}
	fail_msg("the reader never read every slot header in order");
	return 0;
}

/* Passes the reader made: runs of header reads of slots 0 .. n-1 in
 * order. */
static uint32_t header_passes(const struct race *r)
{
	uint32_t i = 0, k, n = 0;

	while (i + r->nslots <= r->nhdr) {
		for (k = 0; k < r->nslots && r->hdr_slot[i + k] == k; k++)
			;
		if (k == r->nslots) {
			n++;
			i += k;
		} else {
			i++;
		}
	}
	return n;
}

/* One read with the policy set in r; checks every property. */
static void read_and_check(struct race *r, struct tally *t)
{
	struct ps_media m;
	struct ps_disk d;
	uint64_t g0 = r->wd.generation, g1, g, gp;
	uint32_t len;
	int rc;

	assert_int_equal(ps_media_init(&m, &race_ops, r, SS, r->wm.sectors),
			 PS_OK);
	rc = ps_read(&d, &m, buf, sizeof(buf));
	g1 = r->wd.generation;
	if (rc != PS_OK)
		print_message("ps_read: %s (slots %u, %u commit(s) per "
			      "injection at chances %lld/%lld, pattern %d, "
			      "generation %llu at the start)\n",
			      ps_strerror(rc), r->nslots, r->per,
			      (long long)r->at[0], (long long)r->at[1],
			      (int)r->pat, (unsigned long long)g0);
	assert_int_equal(rc, PS_OK);
	assert_int_equal(m.stats.write_calls, 0);
	assert_int_equal(r->bad_writes, 0);
	assert_int_equal(r->bad_flushes, 0);
	g = d.generation;
	gp = gen_at_last_pass(r);
	if (g < g0 || g < gp || g > g1)
		print_message("generation %llu returned; %llu at the start, "
			      "%llu when the last pass began, %llu at the "
			      "end (slots %u, %u commit(s) per injection at "
			      "chances %lld/%lld, pattern %d)\n",
			      (unsigned long long)g, (unsigned long long)g0,
			      (unsigned long long)gp, (unsigned long long)g1,
			      r->nslots, r->per, (long long)r->at[0],
			      (long long)r->at[1], (int)r->pat);
	assert_true(g >= g0);
	assert_true(g >= gp);
	assert_true(g <= g1);
	assert_int_equal(d.base, (int)((g - 1) % r->nslots));
	assert_int_equal(d.slot[d.base].generation, g);
	len = make_version(want, g, r->pat, r->nslots);
	assert_int_equal(d.length, len);
	assert_memory_equal(buf, want, len);
	if (r->fired == 0)
		assert_int_equal(g, g0);
	else if (r->fired_last_step < r->first_hdr_step)
		assert_int_equal(g, g1);
	t->runs++;
	t->restarted += header_passes(r) > 1;
	t->newer += g > g0;
	t->older_ok += g < g1;
}

static void one_config(struct config *c, struct tally *t)
{
	struct race *r = &the_race;
	uint64_t k1, k2;
	int fired1;

	config_prepare(r, c);
	r->mode = INJ_AT;
	/* One injection at each chance, until the chance is past the end
	 * of the read (that last run is the read with no race at all). */
	for (k1 = 0;; k1++) {
		race_reset(r, c);
		r->at[0] = k1;
		r->at[1] = NONE;
		read_and_check(r, t);
		if (!r->fired)
			break;
	}
	/* At least: 2 superblocks, 2 chances per header, 5 body sectors. */
	assert_true(k1 >= 2 + 2 * c->nslots + 5);
	/* Two injections, at every pair of chances. */
	for (k1 = 0;; k1++) {
		fired1 = 0;
		for (k2 = k1 + 1;; k2++) {
			race_reset(r, c);
			r->at[0] = k1;
			r->at[1] = k2;
			read_and_check(r, t);
			fired1 = r->fired > 0;
			if (r->fired < 2)
				break;
		}
		if (!fired1)
			break;
	}
}

static void test_every_interleaving(void **state)
{
	static const uint32_t pers[] = { 1, 2, 3 };
	uint32_t ns, pi, pat, pre;
	struct tally all = { 0 };

	(void)state;
	for (ns = 2; ns <= MAX_SLOTS; ns++)
		for (pi = 0; pi < 3 && pers[pi] <= ns; pi++)
			for (pat = PAT_ALL; pat <= PAT_SAME0; pat++) {
				uint32_t per = pers[pi];
				unsigned long restarted = 0;

				for (pre = 0; pre <= ns; pre++) {
					struct config c = { 0 };
					struct tally t = { 0 };

					if (pre == 2 && ns == 3)
						continue; /* 0, 1, 3 */
					c.nslots = ns;
					c.per = per;
					c.pat = (enum pattern)pat;
					c.preload = pre;
					one_config(&c, &t);
					/* The slot a reader chose can be
					 * overwritten only after slot_count
					 * more commits; with fewer in a read,
					 * nothing may restart (restarts only
					 * on need). */
					if (2 * per < ns)
						assert_int_equal(t.restarted, 0);
					restarted += t.restarted;
					all.runs += t.runs;
					all.restarted += t.restarted;
					all.newer += t.newer;
					all.older_ok += t.older_ok;
				}
				/* ... and with enough, some interleaving
				 * overwrote it and made the reader restart. */
				if (2 * per >= ns)
					assert_true(restarted > 0);
			}
	print_message("%lu interleavings: %lu restarted, %lu returned a "
		      "newer generation than at the start, %lu one older than "
		      "at the end\n",
		      all.runs, all.restarted, all.newer, all.older_ok);
	assert_true(all.newer > 0);
	assert_true(all.older_ok > 0);
}

/* Run the reader with a policy; returns ps_read's result. */
static int bound_run(struct race *r, const struct config *c, enum mode mode,
		     uint32_t max_passes, struct ps_disk *d, uint8_t *buf)
{
	struct ps_media m;
	int rc;

	race_reset(r, c);
	r->mode = mode;
	r->max_passes = max_passes;
	assert_int_equal(ps_media_init(&m, &race_ops, r, SS, r->wm.sectors),
			 PS_OK);
	rc = ps_read(d, &m, buf, CAP);
	assert_int_equal(m.stats.write_calls, 0);
	assert_int_equal(m.stats.flushes, 0);
	assert_int_equal(r->bad_writes, 0);
	assert_int_equal(r->bad_flushes, 0);
	return rc;
}

static void test_retry_bound(void **state)
{
	struct config c = { .nslots = 2, .per = 2, .preload = 1,
			    .pat = PAT_LAST };
	struct race *r = &the_race;
	struct ps_disk d;
	uint64_t wgen;
	uint32_t len, ns;
	int rc;

	(void)state;
	for (ns = 2; ns <= MAX_SLOTS; ns++) {
		c.nslots = ns;
		c.per = ns;
		config_prepare(r, &c);

		/* Writers commit a full rotation before every sector the
		 * reader reads, and in the middle of every header: every
		 * pass sees a header move, so 1 + 32 passes and then
		 * PS_ERR_CONFLICT. */
		rc = bound_run(r, &c, INJ_EVERY, 0, &d, buf);
		assert_int_equal(rc, PS_ERR_CONFLICT);
		assert_int_equal(header_passes(r), PASSES);
		/* A failed read leaves nothing to commit against. */
		memcpy(mem_before, r->mem, NSEC * SS);
		wgen = r->wd.generation;
		d.media = &r->wm;
		assert_int_equal(ps_commit(&d, r->wbuf, r->wsec, NULL),
				 PS_ERR_INVAL);
		assert_memory_equal(mem_before, r->mem, NSEC * SS);
		assert_int_equal(r->wd.generation, wgen);

		/* 32 disturbed passes: the 33rd, the last allowed, returns
		 * the newest store. */
		rc = bound_run(r, &c, INJ_BODY_PASS, PASSES - 1, &d, buf);
		assert_int_equal(rc, PS_OK);
		assert_int_equal(r->body_passes, PASSES);
		assert_int_equal(header_passes(r), PASSES);
		assert_int_equal(r->fired, PASSES - 1);
		assert_int_equal(d.generation, r->wd.generation);
		assert_int_equal(d.generation,
				 c.wd.generation + (PASSES - 1) * ns);
		len = make_version(want, d.generation, c.pat, ns);
		assert_int_equal(d.length, len);
		assert_memory_equal(buf, want, len);

		/* 33 disturbed passes: one too many. */
		rc = bound_run(r, &c, INJ_BODY_PASS, PASSES, &d, buf);
		assert_int_equal(rc, PS_ERR_CONFLICT);
		assert_int_equal(r->body_passes, PASSES);
		assert_int_equal(header_passes(r), PASSES);
		assert_int_equal(r->fired, PASSES);

		/* Quiet again: a plain read of the newest store. */
		rc = bound_run(r, &c, INJ_BODY_PASS, 0, &d, buf);
		assert_int_equal(rc, PS_OK);
		assert_int_equal(r->body_passes, 1);
		assert_int_equal(header_passes(r), 1);
		assert_int_equal(d.generation, c.wd.generation);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_interleaving),
		cmocka_unit_test(test_retry_bound),
	};

	return cmocka_run_group_tests_name("store_race", tests, NULL, NULL);
}
