/*
 * test_store_slots.c - which slot a commit may count on and write into
 * (pstate/ps_commit.c, ps_sem.c): a newer slot that readers skip as
 * damaged does not block commits and `check` can name it; a generation
 * that would wrap is refused; a commit reads back what readers will see;
 * and a writer whose semaphore was broken while it stalled between its
 * last check and a sector write cannot destroy the next holder's
 * acknowledged generation (docs/store.md section 4, docs/semaphore.md
 * 4.6).  Meant to run under ASan + UBSan.
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
#define NSEC 200u
#define CAP (70u * SS)

struct fix {
	struct ps_media m;
	uint8_t *mem;
	uint8_t sector[SS];
};

/* A fresh RAM disk with slots slots and a three-VM store (generation 1). */
static void make(struct fix *f, uint32_t slots)
{
	static uint8_t buf[4096];
	int len = pst_mkstore(buf, sizeof buf, 3, PST_NAME_ROOM);
	struct ps_format_opts o = { .slot_count = slots, .store = buf };
	struct ps_disk d;

	assert_true(len > 0);
	o.store_len = (uint32_t)len;
	f->mem = pst_ramdisk(&f->m, SS, NSEC);
	assert_non_null(f->mem);
	assert_int_equal(ps_format(&d, &f->m, &o, f->sector), PS_OK);
}

static int edit_memory(void *buf, size_t cap, void *arg)
{
	(void)cap;
	return pst_set_memory(buf, 0, *(uint64_t *)arg);
}

/* The commit protocol set_memory uses (docs/store.md section 4). */
static enum ps_commit_mode mode_g = PS_COMMIT_FAST;

/* Set VM 0's memory through a store handle on m (lock may be NULL). */
static int set_memory(struct ps_media *m, struct ps_lock *l, uint64_t kib)
{
	int err;
	struct ps_store *s = ps_store_open(m, &err);

	if (!s)
		return err;
	ps_store_set_writer(s, l, PS_OWNER_OS);
	assert_int_equal(ps_store_set_commit(s, mode_g), PS_OK);
	err = ps_update(s, edit_memory, &kib, 0);
	ps_store_close(s);
	return err;
}

/* What a reader sees: the newest generation and VM 0's memory. */
static uint64_t read_memory(struct fix *f, struct ps_disk *d)
{
	uint8_t *buf = malloc(CAP);
	uint32_t n;
	const uint8_t *cfg;
	uint64_t kib;

	assert_int_equal(ps_read(d, &f->m, buf, CAP), PS_OK);
	cfg = psf_child_payload(buf, pst_vm_at(buf, 0), PSF_VM_CONFIG, &n);
	assert_non_null(cfg);
	kib = psf_le64(cfg + PSF_VMC_MEMORY_KIB);
	free(buf);
	return kib;
}

static uint8_t *hdr(struct fix *f, const struct ps_disk *d, int i)
{
	return f->mem + d->slot[i].lba * SS;
}

static void reseal(uint8_t *h)
{
	psf_put_le32(h + 60, psf_crc32c(0, h, 60));
}

/* ------------------------------------------------- one valid-slot rule */

/*
 * Slot i keeps a header and store_crc that match its body, but the PSF
 * body fails the format's own checks (its body CRC): readers skip it.
 */
static void break_body(struct fix *f, const struct ps_disk *d, int i)
{
	uint8_t *h = hdr(f, d, i), *body = h + SS;
	uint32_t len = psf_le32(h + 24);

	body[len - 1] ^= 0x01;
	psf_put_le32(h + 28, psf_crc32c(0, body, len));
	reseal(h);
}

/* The depth newest of three generations damaged so: readers fall back,
 * `check` names each, and commits go on from the store readers see. */
static void damaged_newest(uint32_t slots, int depth)
{
	static const uint64_t kib[3] = { 1048576u, 100, 200 };
	struct fix f;
	struct ps_disk d;
	struct ps_store *s;
	const struct ps_disk *sd;
	int err, i, k, bad[2];

	make(&f, slots);
	assert_int_equal(set_memory(&f.m, NULL, 100), PS_OK);
	assert_int_equal(set_memory(&f.m, NULL, 200), PS_OK);
	for (k = 0; k < depth; k++) {
		assert_int_equal(read_memory(&f, &d), kib[2 - k]);
		assert_int_equal(d.generation, 3 - k);
		bad[k] = d.base;
		break_body(&f, &d, bad[k]);
	}
	/* Readers skip them. */
	assert_int_equal(read_memory(&f, &d), kib[2 - depth]);
	assert_int_equal(d.generation, 3 - depth);
	/* `check`'s view: those slots, damaged, and why. */
	s = ps_store_open(&f.m, &err);
	assert_non_null(s);
	sd = ps_store_disk(s);
	for (i = 0; i < (int)slots; i++) {
		int want = i == sd->base ? PS_SLOT_CURRENT
			   : sd->slot[i].valid_hdr ? PS_SLOT_OLDER
			   : PS_SLOT_FREE;

		for (k = 0; k < depth; k++)
			if (i == bad[k])
				want = PS_SLOT_DAMAGED;
		assert_int_equal(ps_slot_state(sd, (uint32_t)i), want);
	}
	for (k = 0; k < depth; k++)
		assert_int_equal(sd->slot[bad[k]].damage, PSF_ERR_BODYCRC);
	assert_int_equal(ps_slot_state(sd, slots), PS_ERR_INVAL);
	ps_store_close(s);
	/* The next commits proceed, and readers see them. */
	assert_int_equal(set_memory(&f.m, NULL, 300), PS_OK);
	assert_int_equal(read_memory(&f, &d), 300);
	assert_int_equal(set_memory(&f.m, NULL, 400), PS_OK);
	assert_int_equal(read_memory(&f, &d), 400);
	free(f.mem);
}

static void test_damaged_newest_two_slots(void **state)
{
	(void)state;
	damaged_newest(2, 1);
}

/* The two newest damaged: the commit's target is one of them, the other
 * (the newest) is passed over while its header stays as read. */
static void test_damaged_newest_three_slots(void **state)
{
	(void)state;
	damaged_newest(3, 1);
	damaged_newest(3, 2);
}

/* A newer slot whose body fails only its store_crc was always free to
 * committers.  Written by an ordered commit (its header flag ORDERED) it
 * is damaged; by a one-flush commit it may be a cut one, an interrupted
 * commit (docs/store.md 3.2).  Readers take the older store either way. */
static void crc_reported(enum ps_commit_mode mode, int want)
{
	struct fix f;
	struct ps_disk d;
	struct ps_store *s;
	int err, bad;

	make(&f, 2);
	mode_g = mode;
	assert_int_equal(set_memory(&f.m, NULL, 100), PS_OK);
	mode_g = PS_COMMIT_FAST;
	read_memory(&f, &d);
	bad = d.base;
	hdr(&f, &d, bad)[SS + 50] ^= 0x01;
	assert_int_equal(read_memory(&f, &d), 1048576u);
	assert_int_equal(d.generation, 1);
	s = ps_store_open(&f.m, &err);
	assert_non_null(s);
	assert_int_equal(ps_slot_state(ps_store_disk(s), (uint32_t)bad), want);
	assert_int_equal(ps_store_disk(s)->slot[bad].damage, PS_ERR_NOSLOT);
	ps_store_close(s);
	assert_int_equal(set_memory(&f.m, NULL, 300), PS_OK);
	assert_int_equal(read_memory(&f, &d), 300);
	free(f.mem);
}

static void test_damaged_crc_reported(void **state)
{
	(void)state;
	crc_reported(PS_COMMIT_ORDERED, PS_SLOT_DAMAGED);
	crc_reported(PS_COMMIT_FAST, PS_SLOT_INTERRUPTED);
}

/* ------------------------------------------------------- generations */

static void test_generation_never_wraps(void **state)
{
	struct fix f;
	struct ps_disk d;
	uint8_t *img = malloc(NSEC * SS);

	(void)state;
	make(&f, 2);
	read_memory(&f, &d);
	psf_put_le64(hdr(&f, &d, 0) + 16, UINT64_MAX - 1);
	reseal(hdr(&f, &d, 0));
	/* The last generation there is: taken. */
	assert_int_equal(set_memory(&f.m, NULL, 100), PS_OK);
	assert_int_equal(read_memory(&f, &d), 100);
	assert_true(d.generation == UINT64_MAX);
	/* The next would be 0, which readers reject: refused, nothing
	 * written, and said so. */
	memcpy(img, f.mem, NSEC * SS);
	ps_media_stats_reset(&f.m);
	assert_int_equal(set_memory(&f.m, NULL, 200), PS_ERR_GENERATION);
	assert_int_equal(f.m.stats.sectors_written, 0);
	assert_memory_equal(img, f.mem, NSEC * SS);
	assert_int_equal(read_memory(&f, &d), 100);
	assert_string_equal(ps_strerror(PS_ERR_GENERATION),
			    "store generation counter exhausted: "
			    "re-initialise the store");
	free(img);
	free(f.mem);
}

/* ------------------------------------------------- reading back */

/* A media that loses writes to one sector without saying so. */
struct lossy {
	struct ps_media *lower;
	uint64_t drop_lba;
};

static int lossy_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	struct lossy *l = ctx;

	return ps_media_read(l->lower, lba, n, buf);
}

static int lossy_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct lossy *l = ctx;
	const uint8_t *p = buf;
	uint32_t k;
	int rc;

	for (k = 0; k < n; k++, p += SS) {
		if (lba + k == l->drop_lba)
			continue;
		rc = ps_media_write(l->lower, lba + k, 1, p);
		if (rc)
			return rc;
	}
	return PS_OK;
}

static int lossy_flush(void *ctx)
{
	struct lossy *l = ctx;

	return ps_media_flush(l->lower);
}

static const struct ps_media_ops lossy_ops = {
	.read = lossy_read, .write = lossy_write, .flush = lossy_flush,
};

static void test_commit_reads_back(void **state)
{
	struct fix f;
	struct ps_disk d;
	struct lossy l;
	struct ps_media m;
	uint32_t t;

	(void)state;
	make(&f, 2);
	read_memory(&f, &d);
	t = ((uint32_t)d.base + 1) % d.slot_count;
	l.lower = &f.m;
	assert_int_equal(ps_media_init(&m, &lossy_ops, &l, SS, NSEC), PS_OK);
	/* The header write is lost: readers still see generation 1. */
	l.drop_lba = d.slot[t].lba;
	assert_int_equal(set_memory(&m, NULL, 100), PS_ERR_CONFLICT);
	assert_int_equal(read_memory(&f, &d), 1048576u);
	assert_int_equal(d.generation, 1);
	/* The first body sector's write is lost (another value, so that it
	 * differs from what the first attempt left there): the header names
	 * a body that is not there, and readers still see generation 1. */
	l.drop_lba = d.slot[t].lba + 1;
	assert_int_equal(set_memory(&m, NULL, 150), PS_ERR_IO);
	assert_int_equal(read_memory(&f, &d), 1048576u);
	assert_int_equal(d.generation, 1);
	/* Nothing lost: committed, and acknowledged. */
	l.drop_lba = NSEC;
	assert_int_equal(set_memory(&m, NULL, 100), PS_OK);
	assert_int_equal(read_memory(&f, &d), 100);
	/* Formatting reads back too: slot 0's header lost. */
	l.drop_lba = d.slot[0].lba;
	assert_int_equal(ps_format(&d, &m, NULL, f.sector), PS_ERR_CONFLICT);
	assert_int_equal(d.base, -1);
	l.drop_lba = NSEC;
	assert_int_equal(ps_format(&d, &m, NULL, f.sector), PS_OK);
	free(f.mem);
}

/* ------------------------------------------------- a stalled writer */

static uint64_t shm_words[64];  /* the semaphore structure lives here */

struct fclk {
	uint64_t t;
};

static uint64_t fclk_now(void *ctx)
{
	return ((struct fclk *)ctx)->t;
}

/* While waiting, time runs: a lease passes in a few waits. */
static void fclk_relax(void *ctx, uint32_t attempt)
{
	(void)attempt;
	((struct fclk *)ctx)->t += 50;
}

static void sem_attach(struct ps_sem *s, struct fclk *c)
{
	static uint8_t bios[64];
	struct ps_sem_marker mk;
	struct ps_sem_clock clk = { fclk_now, fclk_relax, c };

	assert_int_equal(ps_sem_write_marker(bios, 0x1000, PS_SEM_SIZE, 0, 0),
			 PS_OK);
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, 0, &mk, NULL),
			 PS_OK);
	assert_int_equal(ps_sem_attach(s, shm_words, sizeof shm_words, 0x1000,
				       &mk, &clk, 10000), PS_OK);
}

/*
 * Writer A's media: the hook runs once, just before the write of sector
 * stall_lba reaches the media, standing for a writer that passed its last
 * lock check and then stalled past its lease.  Meanwhile writer B takes
 * the lock (breaking A's) and commits.
 */
struct stall {
	struct ps_media *lower;
	uint64_t stall_lba;
	int stalled;
	struct fclk *clk;
	struct ps_lock *b_lock;
	uint64_t b_kib;
	int b_rc;
};

static int stall_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	return ps_media_read(((struct stall *)ctx)->lower, lba, n, buf);
}

static int stall_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct stall *st = ctx;

	if (!st->stalled && lba <= st->stall_lba && st->stall_lba < lba + n) {
		st->stalled = 1;
		st->b_rc = set_memory(st->lower, st->b_lock, st->b_kib);
	}
	return ps_media_write(st->lower, lba, n, buf);
}

static int stall_flush(void *ctx)
{
	return ps_media_flush(((struct stall *)ctx)->lower);
}

static const struct ps_media_ops stall_ops = {
	.read = stall_read, .write = stall_write, .flush = stall_flush,
};

/*
 * Three slots, newest in slot 2: A's target is slot 0.  A stalls before
 * writing sector off of slot 0 (1: its first body sector; 0: its header,
 * after the fence at step 6), B breaks A's lock and commits 222, then A's
 * write lands.  B's acknowledged generation must stay what readers see,
 * and A must not say it committed.
 */
static void stalled_writer(uint64_t off)
{
	struct fix f;
	struct ps_disk d;
	struct fclk clk = { 1000 };
	struct ps_sem a, b;
	struct ps_lock la, lb;
	struct stall st = { 0 };
	struct ps_media am;
	uint64_t g;
	int rc;

	make(&f, 3);
	assert_int_equal(set_memory(&f.m, NULL, 100), PS_OK);
	assert_int_equal(set_memory(&f.m, NULL, 110), PS_OK);
	assert_int_equal(read_memory(&f, &d), 110);
	assert_int_equal(d.base, 2);
	g = d.generation;
	memset(shm_words, 0, sizeof shm_words);
	assert_int_equal(ps_sem_init_struct(shm_words, sizeof shm_words),
			 PS_OK);
	sem_attach(&a, &clk);
	sem_attach(&b, &clk);
	la = (struct ps_lock){ .ops = &ps_sem_lock_ops, .ctx = &a,
			       .owner = PS_OWNER_AGENT, .lease_ms = 300 };
	lb = (struct ps_lock){ .ops = &ps_sem_lock_ops, .ctx = &b,
			       .owner = PS_OWNER_OS, .lease_ms = 300 };
	st.lower = &f.m;
	st.stall_lba = d.slot[0].lba + off;
	st.clk = &clk;
	st.b_lock = &lb;
	st.b_kib = 222;
	assert_int_equal(ps_media_init(&am, &stall_ops, &st, SS, NSEC), PS_OK);

	rc = set_memory(&am, &la, 111);
	assert_int_equal(st.stalled, 1);
	/* B broke A's hold and committed. */
	assert_int_equal(st.b_rc, PS_OK);
	/* A's late write landed, and A does not claim a commit. */
	assert_int_not_equal(rc, PS_OK);
	/* B's generation is what readers see. */
	assert_int_equal(read_memory(&f, &d), 222);
	assert_true(d.generation > g);
	assert_int_not_equal(d.base, 0);
	/* The slot A was writing stays barred while B's hold lasts and
	 * after: later commits rotate over the other two. */
	assert_int_equal(set_memory(&f.m, &lb, 333), PS_OK);
	assert_int_equal(read_memory(&f, &d), 333);
	assert_int_equal(set_memory(&f.m, &lb, 444), PS_OK);
	assert_int_equal(read_memory(&f, &d), 444);
	assert_int_not_equal(d.base, 0);
	free(f.mem);
}

static void test_stalled_body_write(void **state)
{
	(void)state;
	stalled_writer(1);
}

static void test_stalled_header_write(void **state)
{
	(void)state;
	stalled_writer(0);
}

/* The claim in the lock word: recorded, barred after a break, cleared by
 * a release. */
static void test_sem_claim(void **state)
{
	struct fclk clk = { 1000 };
	struct ps_sem a, b;
	struct ps_sem_state ss;
	uint64_t ta, tb;

	(void)state;
	memset(shm_words, 0, sizeof shm_words);
	assert_int_equal(ps_sem_init_struct(shm_words, sizeof shm_words),
			 PS_OK);
	sem_attach(&a, &clk);
	sem_attach(&b, &clk);
	assert_int_equal(ps_sem_acquire(&a, 2, 100, 0, &ta), PS_OK);
	assert_int_equal(ps_sem_claim(&a, ta, 1, 0), PS_CLAIM_OK);
	ps_sem_peek(&a, &ss);
	assert_int_equal(ss.owner, 2);
	assert_int_equal(ss.claim, 2);
	assert_int_equal(ss.barred, 0);
	assert_int_equal(ps_sem_renew(&a), PS_OK);
	ps_sem_peek(&a, &ss);
	assert_int_equal(ss.claim, 2);
	assert_int_equal(ps_sem_claim(&a, ta + 1, 1, 0), PS_CLAIM_LOST);
	/* B waits a lease out and breaks A: slot 1 barred, A lost. */
	assert_int_equal(ps_sem_acquire(&b, 4, 100, 1000, &tb), PS_OK);
	ps_sem_peek(&b, &ss);
	assert_int_equal(ss.owner, 4);
	assert_int_equal(ss.barred, 2);
	assert_int_equal(ps_sem_claim(&a, ta, 1, 0), PS_CLAIM_LOST);
	assert_int_equal(ps_sem_claim(&b, tb, 1, 0), PS_CLAIM_BARRED);
	assert_int_equal(ps_sem_claim(&b, tb, 2, 0), PS_CLAIM_BROKE);
	assert_int_equal(ps_sem_claim(&b, tb, 1, 1), PS_CLAIM_BROKE);
	assert_int_equal(ps_sem_claim(&b, tb, PS_MAX_SLOTS, 0),
			 PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_release(&b, tb), PS_OK);
	ps_sem_peek(&b, &ss);
	assert_int_equal(ss.owner, 0);
	assert_int_equal(ss.claim, 0);
	/* A fresh hold that broke nothing claims without skipping; the bar
	 * stays until the next break. */
	assert_int_equal(ps_sem_acquire(&a, 2, 100, 0, &ta), PS_OK);
	assert_int_equal(ps_sem_claim(&a, ta, 0, 0), PS_CLAIM_OK);
	assert_int_equal(ps_sem_claim(&a, ta, 1, 0), PS_CLAIM_BARRED);
	assert_int_equal(ps_sem_release(&a, ta), PS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damaged_newest_two_slots),
		cmocka_unit_test(test_damaged_newest_three_slots),
		cmocka_unit_test(test_damaged_crc_reported),
		cmocka_unit_test(test_generation_never_wraps),
		cmocka_unit_test(test_commit_reads_back),
		cmocka_unit_test(test_stalled_body_write),
		cmocka_unit_test(test_stalled_header_write),
		cmocka_unit_test(test_sem_claim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
