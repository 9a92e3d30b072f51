/*
 * test_sem.c - the semaphore protocol (pstate/ps_sem.c) and its Linux
 * backends (pstate/ps_sem_linux.c).
 *
 * Core tests run on plain memory with a fake clock the test advances by
 * hand, so lease expiry is exact and instant.  The fake clock can also run
 * a hook between a handle's read of the lock word and its compare-and-swap
 * (the clock is read exactly there), which is how the races "two breakers"
 * and "holder renews while being broken" are forced deterministically.
 * Backend tests use simulated BIOS/shared-memory files, a sparse file
 * standing for /dev/mem, and the flock fallback.  The last four tests fork
 * real processes (BMC, hvagent, psctl) contending on one simulated pair,
 * then SIGKILL a holder.  Meant to run under ASan + UBSan.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pstate.h"

#define OK(x) assert_int_equal((x), PS_SEM_OK)
#define WIN_PHYS PS_SEM_BIOS_BASE
#define SHM_PHYS 0x1000ull

/* ------------------------------------------------------------- helpers */

/* Fake clock: t is what now_ms returns; hook runs on call number hook_at
 * (counted from 1) of this clock, once. */
struct fclk {
	uint64_t t;
	unsigned calls;
	unsigned hook_at;
	void (*hook)(void *arg);
	void *arg;
};

static uint64_t fclk_now(void *ctx)
{
	struct fclk *c = ctx;

	if (++c->calls == c->hook_at && c->hook)
		c->hook(c->arg);
	return c->t;
}

static struct ps_sem_clock fclock(struct fclk *c)
{
	return (struct ps_sem_clock){ .now_ms = fclk_now, .ctx = c };
}

/* BIOS window and shared memory for the core tests. */
static uint8_t bios[PS_SEM_BIOS_SIZE];
static uint64_t shm_words[64]; /* 512 bytes, 8-byte aligned */
#define SHM ((uint8_t *)shm_words)

static void noise(uint8_t *b, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

/* A window of noise holding one valid marker at off, pointing at a fresh
 * semaphore at SHM_PHYS + 0x40. */
static void setup_window(size_t off)
{
	noise(bios, sizeof bios, 7);
	memset(shm_words, 0, sizeof shm_words);
	OK(ps_sem_init_struct(SHM + 0x40, sizeof shm_words - 0x40));
	OK(ps_sem_write_marker(bios + off, SHM_PHYS + 0x40, PS_SEM_SIZE, 0, 0));
}

static void attach(struct ps_sem *s, struct fclk *c)
{
	struct ps_sem_marker m;
	struct ps_sem_clock clk = fclock(c);

	OK(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, NULL));
	OK(ps_sem_attach(s, SHM, sizeof shm_words, SHM_PHYS, &m, &clk, 0));
}

/* Fix the checksum after editing marker bytes, so only the edit is bad. */
static void resum(uint8_t *mk)
{
	uint8_t sum = 0;

	mk[10] = 0;
	for (unsigned i = 0; i < mk[8]; i++)
		sum = (uint8_t)(sum + mk[i]);
	mk[10] = (uint8_t)(0x100u - sum);
}

/* ------------------------------------------------------------- marker */

static void test_marker_offsets(void **state)
{
	const size_t offs[] = { 0, 16, 0x1000, 0x10000, 0x1FFD0,
				PS_SEM_BIOS_SIZE - PS_SEM_MARKER_LEN };
	struct ps_sem_marker m;
	struct ps_sem_scan sc;

	(void)state;
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		setup_window(offs[i]);
		OK(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, &sc));
		assert_int_equal(m.marker_addr, WIN_PHYS + offs[i]);
		assert_int_equal(m.sem_addr, SHM_PHYS + 0x40);
		assert_int_equal(m.sem_size, PS_SEM_SIZE);
		assert_int_equal(m.revision, 1);
		assert_int_equal(sc.candidates, 1);
		assert_int_equal(sc.rejected, 0);
	}
}

static void test_marker_unaligned_ignored(void **state)
{
	struct ps_sem_marker m;

	(void)state;
	noise(bios, sizeof bios, 9);
	OK(ps_sem_write_marker(bios + 0x108, SHM_PHYS + 0x40, PS_SEM_SIZE, 0, 0));
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, NULL),
			 PS_SEM_ERR_NOMARKER);
	memset(bios, 0, sizeof bios);
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, NULL),
			 PS_SEM_ERR_NOMARKER);
}

static void test_marker_bad_checksum_skipped(void **state)
{
	struct ps_sem_marker m;
	struct ps_sem_scan sc;

	(void)state;
	setup_window(0x200);
	bios[0x200 + 20] ^= 0x01; /* a bit of the semaphore address */
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, &sc),
			 PS_SEM_ERR_BADMARKER);
	assert_int_equal(sc.candidates, 1);
	assert_int_equal(sc.first_why, PS_SEM_MK_CHECKSUM);
	assert_int_equal(sc.first_why_addr, WIN_PHYS + 0x200);
	/* A good copy further on is still found. */
	OK(ps_sem_write_marker(bios + 0x300, SHM_PHYS + 0x40, PS_SEM_SIZE, 0, 0));
	OK(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, &sc));
	assert_int_equal(m.marker_addr, WIN_PHYS + 0x300);
	assert_int_equal(sc.candidates, 2);
	assert_int_equal(sc.rejected, 1);
}

static void test_marker_wrong_signature(void **state)
{
	struct ps_sem_marker m;

	(void)state;
	setup_window(0x400);
	bios[0x400 + 3] = 'X'; /* "_PSXSEM_" */
	resum(bios + 0x400);
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, NULL),
			 PS_SEM_ERR_NOMARKER);
}

static void test_marker_truncated(void **state)
{
	struct ps_sem_marker m;
	struct ps_sem_scan sc;
	uint8_t full[PS_SEM_MARKER_LEN];

	(void)state;
	/* Signature in the last 16 bytes: the rest is outside the window. */
	setup_window(0);
	memset(bios, 0, sizeof bios);
	OK(ps_sem_write_marker(full, SHM_PHYS + 0x40, PS_SEM_SIZE, 0, 0));
	memcpy(bios + PS_SEM_BIOS_SIZE - 16, full, 16);
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, &sc),
			 PS_SEM_ERR_BADMARKER);
	assert_int_equal(sc.first_why, PS_SEM_MK_TRUNCATED);
	/* A length field claiming more than the window holds. */
	memset(bios, 0, sizeof bios);
	memcpy(bios + PS_SEM_BIOS_SIZE - 32, full, 32);
	bios[PS_SEM_BIOS_SIZE - 32 + 8] = 48;
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, &sc),
			 PS_SEM_ERR_BADMARKER);
	assert_int_equal(sc.first_why, PS_SEM_MK_TRUNCATED);
	/* A window too short for any marker. */
	assert_int_equal(ps_sem_check_marker(full, 31), PS_SEM_MK_TRUNCATED);
}

/* Edit one field (then fix the checksum): the marker must be rejected
 * with exactly this reason. */
static void expect_why(unsigned at, uint8_t v, int why)
{
	struct ps_sem_marker m;
	struct ps_sem_scan sc;

	setup_window(0x800);
	bios[0x800 + at] = v;
	resum(bios + 0x800);
	assert_int_equal(ps_sem_check_marker(bios + 0x800, 64), why);
	assert_int_equal(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, &sc),
			 PS_SEM_ERR_BADMARKER);
	assert_int_equal(sc.first_why, why);
	assert_string_not_equal(ps_sem_marker_why_str(why), "unknown reason");
}

static void test_marker_fields(void **state)
{
	(void)state;
	expect_why(8, 16, PS_SEM_MK_LENGTH);
	expect_why(9, 0, PS_SEM_MK_REVISION);
	expect_why(11, 3, PS_SEM_MK_FLAGS);
	expect_why(12, 100, PS_SEM_MK_SEMSIZE);   /* size 100 < 192 */
	expect_why(16, 0x44, PS_SEM_MK_SEMADDR);  /* not 8-byte aligned */
	/* Address + size wraps past 2^64. */
	setup_window(0x800);
	memset(bios + 0x800 + 16, 0xFF, 8);
	bios[0x800 + 16] = 0xF8;
	resum(bios + 0x800);
	assert_int_equal(ps_sem_check_marker(bios + 0x800, 64),
			 PS_SEM_MK_SEMADDR);
	/* Address 0. */
	setup_window(0x800);
	memset(bios + 0x800 + 16, 0, 8);
	resum(bios + 0x800);
	assert_int_equal(ps_sem_check_marker(bios + 0x800, 64),
			 PS_SEM_MK_SEMADDR);
	/* A later revision, longer, still accepted (fields appended). */
	setup_window(0x800);
	bios[0x800 + 8] = 48;
	bios[0x800 + 9] = 2;
	resum(bios + 0x800);
	assert_int_equal(ps_sem_check_marker(bios + 0x800, 64), PS_SEM_MK_OK);
	/* The writer refuses what a reader would reject. */
	assert_int_equal(ps_sem_write_marker(bios, 0, PS_SEM_SIZE, 0, 0),
			 PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_write_marker(bios, 0x1004, PS_SEM_SIZE, 0, 0),
			 PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_write_marker(bios, 0x1000, 64, 0, 0),
			 PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_write_marker(bios, 0x1000, PS_SEM_SIZE, 3, 0),
			 PS_SEM_ERR_INVAL);
}

static void test_attach_checks(void **state)
{
	struct ps_sem s;
	struct ps_sem_marker m;
	struct fclk c = { 0 };
	struct ps_sem_clock clk = fclock(&c);

	(void)state;
	setup_window(0);
	OK(ps_sem_find_marker(bios, sizeof bios, WIN_PHYS, &m, NULL));
	/* Pointer below, beyond, and straddling the end of the window. */
	m.sem_addr = SHM_PHYS - 8;
	assert_int_equal(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_RANGE);
	m.sem_addr = SHM_PHYS + 0x1000;
	assert_int_equal(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_RANGE);
	m.sem_addr = SHM_PHYS + 512 - 8;
	assert_int_equal(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_RANGE);
	/* Inside, but no semaphore there. */
	m.sem_addr = SHM_PHYS + 0x140;
	assert_int_equal(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_BADSEM);
	/* Misaligned in memory (window not 8-aligned). */
	m.sem_addr = SHM_PHYS + 0x40;
	assert_int_equal(ps_sem_attach(&s, SHM + 4, 500, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_BADSEM);
	/* Wrong size in the structure's header. */
	SHM[0x40 + 6] = 64;
	SHM[0x40 + 7] = 0;
	assert_int_equal(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_BADSEM);
	OK(ps_sem_init_struct(SHM + 0x40, PS_SEM_SIZE));
	OK(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0));
	/* No clock. */
	clk.now_ms = NULL;
	assert_int_equal(ps_sem_attach(&s, SHM, 512, SHM_PHYS, &m, &clk, 0),
			 PS_SEM_ERR_INVAL);
}

/* ------------------------------------------------------------- locking */

static void test_acquire_release(void **state)
{
	struct ps_sem a;
	struct fclk c = { 0 };
	struct ps_sem_state st;
	uint64_t tok;

	(void)state;
	setup_window(0x100);
	attach(&a, &c);
	ps_sem_peek(&a, &st);
	assert_int_equal(st.owner, 0);
	assert_int_equal(st.seq, 0);
	OK(ps_sem_try_acquire(&a, PS_SEM_OWNER_AGENT, 1000, &tok));
	assert_int_equal(tok, 1);
	ps_sem_peek(&a, &st);
	assert_int_equal(st.owner, PS_SEM_OWNER_AGENT);
	assert_int_equal(st.lease_ms, 1000);
	assert_int_equal(st.seq, 1);
	assert_int_equal(st.owner_acquires[PS_SEM_OWNER_AGENT], 1);
	assert_int_equal(st.owner_last_seq[PS_SEM_OWNER_AGENT], 1);
	OK(ps_sem_still_held(&a, tok));
	OK(ps_sem_renew(&a));
	OK(ps_sem_release(&a, tok));
	ps_sem_peek(&a, &st);
	assert_int_equal(st.owner, 0);
	/* Released: the handle no longer holds. */
	assert_int_equal(ps_sem_still_held(&a, tok), PS_SEM_ERR_NOTHELD);
	assert_int_equal(ps_sem_release(&a, tok), PS_SEM_ERR_NOTHELD);
	assert_int_equal(ps_sem_renew(&a), PS_SEM_ERR_NOTHELD);
}

static void test_seq_every_acquire(void **state)
{
	struct ps_sem a, b;
	struct fclk c = { 0 };
	uint64_t tok, last = 0;

	(void)state;
	setup_window(0x100);
	attach(&a, &c);
	attach(&b, &c);
	for (int i = 0; i < 200; i++) {
		struct ps_sem *h = i % 3 ? &a : &b;

		OK(ps_sem_acquire(h, (uint8_t)(1 + i % 4), 100, 0, &tok));
		assert_int_equal(tok, last + 1);
		last = tok;
		OK(ps_sem_release(h, tok));
	}
}

/* Across the 32-bit carry, and from a torn value a holder that died in
 * the middle of the two-word store would leave (high half already new). */
static void test_seq_carry(void **state)
{
	struct ps_sem a;
	struct fclk c = { 0 };
	uint32_t *w = (uint32_t *)(void *)(SHM + 0x40);
	uint64_t tok;

	(void)state;
	setup_window(0x100);
	attach(&a, &c);
	w[4] = 0xFFFFFFFFu; /* seq = 0x0_FFFFFFFF */
	w[5] = 0;
	OK(ps_sem_acquire(&a, 1, 100, 0, &tok));
	assert_int_equal(tok, 0x100000000ull);
	OK(ps_sem_release(&a, tok));
	w[5] = 2; /* torn: high half of 0x2_00000000 stored, low not yet */
	w[4] = 0xFFFFFFFFu;
	OK(ps_sem_acquire(&a, 1, 100, 0, &tok));
	assert_true(tok > 0x100000000ull);
	assert_int_equal(tok, 0x300000000ull);
	OK(ps_sem_release(&a, tok));
}

static void test_contention(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	OK(ps_sem_acquire(&a, PS_SEM_OWNER_BMC, 5000, 0, &ta));
	assert_int_equal(ps_sem_try_acquire(&b, PS_SEM_OWNER_OS, 5000, &tb),
			 PS_SEM_ERR_BUSY);
	assert_int_equal(ps_sem_acquire(&b, PS_SEM_OWNER_OS, 5000, 0, &tb),
			 PS_SEM_ERR_BUSY);
	/* A live holder (renewing) is never broken however long b waits. */
	for (int i = 0; i < 10; i++) {
		cb.t += 4000;
		assert_int_equal(ps_sem_try_acquire(&b, 4, 5000, &tb),
				 PS_SEM_ERR_BUSY);
		OK(ps_sem_renew(&a));
	}
	OK(ps_sem_still_held(&a, ta));
	OK(ps_sem_release(&a, ta));
	OK(ps_sem_try_acquire(&b, PS_SEM_OWNER_OS, 5000, &tb));
	assert_int_equal(tb, ta + 1);
	/* One hold per handle. */
	assert_int_equal(ps_sem_try_acquire(&b, 4, 5000, &tb), PS_SEM_ERR_INVAL);
	OK(ps_sem_release(&b, tb));
}

/* Waiting with a timeout: the fake clock advances in relax. */
static void fclk_relax(void *ctx, uint32_t attempt)
{
	(void)attempt;
	((struct fclk *)ctx)->t += 7;
}

static void test_acquire_timeout(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	b.clk.relax = fclk_relax;
	OK(ps_sem_acquire(&a, 1, 5000, 0, &ta));
	assert_int_equal(ps_sem_acquire(&b, 2, 5000, 1000, &tb),
			 PS_SEM_ERR_TIMEOUT);
	assert_true(cb.t >= 1000 && cb.t < 1010);
	/* Waiting longer than the lease of a silent holder breaks it. */
	OK(ps_sem_acquire(&b, 2, 5000, 10000, &tb));
	assert_true(cb.t >= 5000);
	assert_int_equal(ps_sem_still_held(&a, ta), PS_SEM_ERR_LOST);
	OK(ps_sem_release(&b, tb));
}

/* relax that records the waiters word seen while waiting. */
static uint32_t seen_waiters;
static struct ps_sem *seen_h;

static void fclk_relax_peek(void *ctx, uint32_t attempt)
{
	struct ps_sem_state st;

	fclk_relax(ctx, attempt);
	ps_sem_peek(seen_h, &st);
	seen_waiters |= st.waiters;
}

static void test_waiters_polite(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	struct ps_sem_state st;
	uint32_t *w = (uint32_t *)(void *)(SHM + 0x40);
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	b.clk.relax = fclk_relax_peek;
	seen_h = &b;
	seen_waiters = 0;
	OK(ps_sem_acquire(&a, 2, 5000, 0, &ta));
	assert_int_equal(ps_sem_acquire(&b, 4, 5000, 50, &tb),
			 PS_SEM_ERR_TIMEOUT);
	assert_int_equal(seen_waiters, 1u << 4); /* advertised while waiting */
	ps_sem_peek(&b, &st);
	assert_int_equal(st.waiters, 0);         /* and withdrawn on giving up */
	OK(ps_sem_release(&a, ta));
	/* A stale waiter bit (owner 3 died waiting): a fresh acquire holds
	 * back at most PS_SEM_POLITE_MS, then takes the free lock. */
	w[8] = 1u << 3;
	cb.t = 0;
	OK(ps_sem_acquire(&b, 4, 5000, 1000, &tb));
	assert_true(cb.t >= PS_SEM_POLITE_MS && cb.t < PS_SEM_POLITE_MS + 8);
	OK(ps_sem_release(&b, tb));
	/* Its own owner's bit does not hold it back; nor does anything
	 * when it will not wait at all. */
	w[8] = 1u << 4;
	cb.t = 0;
	OK(ps_sem_acquire(&b, 4, 5000, 1000, &tb));
	assert_int_equal(cb.t, 0);
	OK(ps_sem_release(&b, tb));
	w[8] = 1u << 3;
	OK(ps_sem_acquire(&b, 4, 5000, 0, &tb));
	assert_int_equal(cb.t, 0);
	OK(ps_sem_release(&b, tb));
}

static void test_lease_break(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	struct ps_sem_state st;
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	OK(ps_sem_try_acquire(&a, PS_SEM_OWNER_AGENT, 100, &ta));
	/* a goes silent.  b watches from t=1000 on its own clock. */
	cb.t = 1000;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 1099;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 1100;
	OK(ps_sem_try_acquire(&b, PS_SEM_OWNER_BMC, 100, &tb));
	assert_int_equal(tb, ta + 1);
	assert_true(b.broke);
	ps_sem_peek(&b, &st);
	assert_int_equal(st.owner, PS_SEM_OWNER_BMC);
	assert_int_equal(st.breaks, 1);
	assert_int_equal(st.last_broken_owner, PS_SEM_OWNER_AGENT);
	assert_int_equal(st.owner_breaks[PS_SEM_OWNER_BMC], 1);
	/* The broken holder learns it, whatever it tries. */
	assert_int_equal(ps_sem_still_held(&a, ta), PS_SEM_ERR_LOST);
	assert_int_equal(ps_sem_still_held(&a, ta), PS_SEM_ERR_NOTHELD);
	OK(ps_sem_still_held(&b, tb));
	OK(ps_sem_release(&b, tb));
	/* A broken holder's release reports LOST and frees nothing. */
	OK(ps_sem_try_acquire(&a, 2, 100, &ta));
	cb.t = 5000;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 5100;
	OK(ps_sem_try_acquire(&b, 1, 100, &tb));
	assert_int_equal(ps_sem_release(&a, ta), PS_SEM_ERR_LOST);
	ps_sem_peek(&b, &st);
	assert_int_equal(st.owner, 1);
	assert_int_equal(ps_sem_renew(&a), PS_SEM_ERR_NOTHELD);
	OK(ps_sem_release(&b, tb));
}

static void test_min_lease_floor(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	/* The BMC demands leases of at least 500 ms. */
	OK(ps_sem_write_marker(bios + 0x100, SHM_PHYS + 0x40, PS_SEM_SIZE, 0,
			       500));
	attach(&a, &ca);
	attach(&b, &cb);
	OK(ps_sem_try_acquire(&a, 2, 20, &ta));
	assert_int_equal(ps_sem_try_acquire(&b, 1, 20, &tb), PS_SEM_ERR_BUSY);
	cb.t = 499;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 20, &tb), PS_SEM_ERR_BUSY);
	cb.t = 500;
	OK(ps_sem_try_acquire(&b, 1, 20, &tb));
	OK(ps_sem_release(&b, tb));
}

static void test_renew_extends(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	OK(ps_sem_try_acquire(&a, 2, 100, &ta));
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 90;
	OK(ps_sem_renew(&a)); /* heartbeat at 90 */
	cb.t = 150;           /* past the first lease, but a renewed */
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 240;
	OK(ps_sem_still_held(&a, ta)); /* the fencing check renews too */
	cb.t = 300;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 399;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb.t = 400;
	OK(ps_sem_try_acquire(&b, 1, 100, &tb));
	assert_int_equal(ps_sem_renew(&a), PS_SEM_ERR_LOST);
	OK(ps_sem_release(&b, tb));
}

/* Race hooks: run inside a handle's clock read, between its load of the
 * lock word and its CAS. */
static struct ps_sem *race_h;
static uint64_t race_tok;
static int race_rc;

static void hook_break(void *arg)
{
	(void)arg;
	race_rc = ps_sem_try_acquire(race_h, 3, 100, &race_tok);
}

static void hook_renew(void *arg)
{
	(void)arg;
	race_rc = ps_sem_renew(race_h);
}

static void test_two_breakers(void **state)
{
	struct ps_sem a, b, c3;
	struct fclk ca = { 0 }, cb = { 0 }, cc = { 0 };
	struct ps_sem_state st;
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	attach(&c3, &cc);
	OK(ps_sem_try_acquire(&a, 2, 100, &ta));
	/* b and c both watch the dead holder's word for a lease. */
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	assert_int_equal(ps_sem_try_acquire(&c3, 3, 100, &race_tok),
			 PS_SEM_ERR_BUSY);
	cb.t = cc.t = 100;
	/* b has read the stale word; c breaks before b's CAS. */
	race_h = &c3;
	cb.hook = hook_break;
	cb.hook_at = cb.calls + 1;
	assert_int_equal(ps_sem_try_acquire(&b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	OK(race_rc);
	ps_sem_peek(&a, &st);
	assert_int_equal(st.owner, 3);
	assert_int_equal(st.breaks, 1); /* one winner, one break */
	assert_int_equal(race_tok, ta + 1);
	OK(ps_sem_release(&c3, race_tok));
}

/* Holder a (owner 2, lease 100) and breaker b (owner 1), which has
 * watched a's word for a whole lease; hook runs inside b's next attempt,
 * between its read of the word and its CAS, which therefore fails. */
static void race_holder_and_breaker(struct ps_sem *a, struct fclk *ca,
				    struct ps_sem *b, struct fclk *cb,
				    void (*hook)(void *arg))
{
	uint64_t tb;

	setup_window(0x100);
	attach(a, ca);
	attach(b, cb);
	OK(ps_sem_try_acquire(a, 2, 100, &race_tok));
	assert_int_equal(ps_sem_try_acquire(b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	cb->t = 100;
	race_h = a;
	cb->hook = hook;
	cb->hook_at = cb->calls + 1;
	assert_int_equal(ps_sem_try_acquire(b, 1, 100, &tb), PS_SEM_ERR_BUSY);
	OK(race_rc);
}

/* a was only slow: it renews between b's read and b's CAS. */
static void test_renew_beats_breaker(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	struct ps_sem_state st;

	(void)state;
	race_holder_and_breaker(&a, &ca, &b, &cb, hook_renew);
	OK(ps_sem_still_held(&a, race_tok));
	ps_sem_peek(&a, &st);
	assert_int_equal(st.breaks, 0);
	OK(ps_sem_release(&a, race_tok));
}

static void hook_release(void *arg)
{
	(void)arg;
	race_rc = ps_sem_release(race_h, race_tok);
}

/* A release racing with a break: the holder gives the lock back between
 * the breaker's read of the stale word and its CAS.  The breaker's CAS
 * fails (no break, no stale owner restored), the word is free, and the
 * breaker then acquires it plainly. */
static void test_release_beats_breaker(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	struct ps_sem_state st;
	uint64_t tb;

	(void)state;
	race_holder_and_breaker(&a, &ca, &b, &cb, hook_release);
	ps_sem_peek(&a, &st);
	assert_int_equal(st.owner, 0);
	assert_int_equal(st.claim, 0);
	assert_int_equal(st.breaks, 0);
	OK(ps_sem_try_acquire(&b, 1, 100, &tb));
	assert_int_equal(tb, race_tok + 1);
	assert_false(b.broke);
	OK(ps_sem_release(&b, tb));
	ps_sem_peek(&a, &st);
	assert_int_equal(st.owner, 0);
	assert_int_equal(st.breaks, 0);
}

static void test_invalid_args(void **state)
{
	struct ps_sem a;
	struct fclk c = { 0 };
	uint64_t t;

	(void)state;
	setup_window(0x100);
	attach(&a, &c);
	assert_int_equal(ps_sem_try_acquire(&a, 0, 100, &t), PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_try_acquire(&a, 8, 100, &t), PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_try_acquire(&a, 1, 0, &t), PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_try_acquire(&a, 1, PS_SEM_LEASE_MAX_MS + 1, &t),
			 PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_try_acquire(&a, 1, 100, NULL), PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_try_acquire(NULL, 1, 100, &t), PS_SEM_ERR_INVAL);
	OK(ps_sem_try_acquire(&a, 1, 100, &t));
	assert_int_equal(ps_sem_still_held(&a, t + 1), PS_SEM_ERR_LOST);
	assert_int_equal(ps_sem_release(&a, t - 1), PS_SEM_ERR_LOST);
	OK(ps_sem_release(&a, t));
	assert_int_equal(ps_sem_init_struct(SHM + 4, 200), PS_SEM_ERR_INVAL);
	assert_int_equal(ps_sem_init_struct(SHM, 100), PS_SEM_ERR_INVAL);
}

static void test_strerror(void **state)
{
	(void)state;
	/* The semaphore's codes are part of the library's one error space
	 * (ps_errors.h): ps_strerror names them. */
	assert_string_equal(ps_strerror(PS_SEM_OK), "success");
	for (int e = PS_SEM_ERR_BUSY; e >= -PS_SEM_ERR_LAST; e--) {
		const char *m = ps_strerror(e);

		assert_non_null(m);
		assert_string_not_equal(m, "unknown error");
		for (int f = e + 1; f <= PS_SEM_ERR_BUSY; f++)
			assert_string_not_equal(m, ps_strerror(f));
	}
	assert_string_equal(ps_strerror(-PS_SEM_ERR_LAST - 1), "unknown error");
	assert_string_equal(ps_strerror(-199), "unknown error");
	assert_string_equal(ps_strerror(1), "unknown error");
	assert_string_equal(ps_sem_owner_name(1), "BMC");
	assert_string_equal(ps_sem_owner_name(2), "hvagent");
	assert_string_equal(ps_sem_marker_why_str(99), "unknown reason");
}

static void test_lock_ops_core(void **state)
{
	struct ps_sem a, b;
	struct fclk ca = { 0 }, cb = { 0 };
	uint64_t ta, tb;

	(void)state;
	setup_window(0x100);
	attach(&a, &ca);
	attach(&b, &cb);
	OK(ps_sem_lock_ops.acquire(&a, 2, 100, &ta));
	assert_int_equal(ps_sem_lock_ops.still_held(&a, ta), 1);
	assert_int_equal(ps_sem_lock_ops.acquire(&b, 1, 100, &tb),
			 PS_SEM_ERR_BUSY); /* timeout_ms 0 */
	cb.t = 100;
	OK(ps_sem_lock_ops.acquire(&b, 1, 100, &tb));
	/* pstate.h: still_held is 1 held, 0 lost. */
	assert_int_equal(ps_sem_lock_ops.still_held(&a, ta), 0);
	assert_int_equal(ps_sem_lock_ops.still_held(&a, ta), 0);
	assert_int_equal(ps_sem_lock_ops.still_held(&b, tb), 1);
	OK(ps_sem_lock_ops.release(&b, tb));
	assert_true(ps_sem_lock_ops.release(&b, tb) < 0);
}

/* ------------------------------------------------------------- backends */

static char tmpdir[256];

static void path(char *buf, const char *name)
{
	snprintf(buf, 512, "%s/%s", tmpdir, name);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/test_sem.XXXXXX", t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ps_sem_config sim_cfg(char *bios_f, char *shm_f, char *lock_f)
{
	path(bios_f, "bios.bin");
	path(shm_f, "shm.bin");
	path(lock_f, "fallback.lock");
	return (struct ps_sem_config){ .bios_file = bios_f, .shm_file = shm_f,
				       .lock_file = lock_f, .timeout_ms = 50 };
}

static void test_sim_open(void **state)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	struct ps_sem_sys a, b;
	struct ps_sem_state st;
	uint64_t ta, tb;
	struct stat sb;

	(void)state;
	OK(ps_sem_sim_create(bf, sf, NULL));
	assert_int_equal(stat(bf, &sb), 0);
	assert_int_equal(sb.st_size, PS_SEM_BIOS_SIZE);
	OK(ps_sem_sys_open(&a, &cfg));
	OK(ps_sem_sys_open(&b, &cfg));
	assert_int_equal(a.mode, PS_SEM_MODE_SIM);
	assert_int_equal(a.marker.marker_addr, 0xF0000);
	assert_int_equal(a.marker.sem_addr, PS_SEM_SIM_SHM_PHYS + 0x100);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "simulated BMC"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), "0xf0000"));
	OK(ps_sem_sys_lock_ops.acquire(&a, 2, 5000, &ta));
	assert_int_equal(ps_sem_sys_lock_ops.acquire(&b, 4, 5000, &tb),
			 PS_SEM_ERR_TIMEOUT);
	assert_int_equal(ps_sem_sys_lock_ops.still_held(&a, ta), 1);
	OK(ps_sem_sys_peek(&b, &st));
	assert_int_equal(st.owner, 2);
	/* The slot a commit writes is recorded where a breaker sees it. */
	assert_non_null(ps_sem_sys_lock_ops.claim);
	assert_int_equal(ps_sem_sys_lock_ops.claim(&a, ta, 2, 0), PS_CLAIM_OK);
	assert_int_equal(ps_sem_sys_lock_ops.claim(&b, ta + 1, 2, 0),
			 PS_CLAIM_LOST);
	OK(ps_sem_sys_peek(&b, &st));
	assert_int_equal(st.claim, 3);
	OK(ps_sem_sys_lock_ops.release(&a, ta));
	OK(ps_sem_sys_lock_ops.acquire(&b, 4, 5000, &tb));
	assert_int_equal(tb, ta + 1);
	OK(ps_sem_sys_lock_ops.release(&b, tb));
	ps_sem_sys_close(&a);
	ps_sem_sys_close(&b);
	/* The same through the environment alone. */
	setenv("PSTATE_SEM_BIOS", bf, 1);
	setenv("PSTATE_SEM_SHM", sf, 1);
	OK(ps_sem_sys_open(&a, NULL));
	assert_int_equal(a.mode, PS_SEM_MODE_SIM);
	OK(ps_sem_sys_lock_ops.acquire(&a, 1, 5000, &ta));
	assert_int_equal(ta, tb + 1);
	OK(ps_sem_sys_lock_ops.release(&a, ta));
	ps_sem_sys_close(&a);
	unsetenv("PSTATE_SEM_BIOS");
	setenv("PSTATE_SEM_MODE", "sim", 1);
	assert_int_equal(ps_sem_sys_open(&a, NULL), PS_SEM_ERR_INVAL);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "both files"));
	setenv("PSTATE_SEM_MODE", "bogus", 1);
	assert_int_equal(ps_sem_sys_open(&a, NULL), PS_SEM_ERR_INVAL);
	unsetenv("PSTATE_SEM_MODE");
	unsetenv("PSTATE_SEM_SHM");
}

static void test_sim_fallback_flock(void **state)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	struct ps_sem_sim_opts o = { PS_SEM_SIM_MARKER_OFF, PS_SEM_SIM_SEM_OFF,
				     PS_SEM_SIM_SHM_SIZE, 0, 0, 1 };
	struct ps_sem_sys a, b;
	struct ps_sem_state st;
	uint64_t ta, tb;

	(void)state;
	OK(ps_sem_sim_create(bf, sf, &o)); /* no marker */
	OK(ps_sem_sys_open(&a, &cfg));
	OK(ps_sem_sys_open(&b, &cfg));
	assert_int_equal(a.mode, PS_SEM_MODE_FLOCK);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "no BMC semaphore"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), "no marker"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), "this host only"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), lf));
	assert_int_equal(ps_sem_sys_peek(&a, &st), PS_SEM_ERR_INVAL);
	OK(ps_sem_sys_lock_ops.acquire(&a, 4, 5000, &ta));
	assert_int_equal(ps_sem_sys_lock_ops.acquire(&b, 4, 5000, &tb),
			 PS_SEM_ERR_TIMEOUT);
	assert_int_equal(ps_sem_sys_lock_ops.still_held(&a, ta), 1);
	assert_int_equal(ps_sem_sys_lock_ops.still_held(&a, ta + 1), 0);
	/* A flock is never broken while its holder lives: a claim is the
	 * holder's as long as the token is. */
	assert_int_equal(ps_sem_sys_lock_ops.claim(&a, ta, 1, 0), PS_CLAIM_OK);
	assert_int_equal(ps_sem_sys_lock_ops.claim(&a, ta + 1, 1, 0),
			 PS_CLAIM_LOST);
	OK(ps_sem_sys_lock_ops.release(&a, ta));
	assert_int_equal(ps_sem_sys_lock_ops.still_held(&a, ta), 0);
	OK(ps_sem_sys_lock_ops.acquire(&b, 4, 5000, &tb));
	assert_int_equal(tb, ta + 1); /* tokens grow across handles */
	/* Closing drops the flock (as dying would). */
	ps_sem_sys_close(&b);
	OK(ps_sem_sys_lock_ops.acquire(&a, 4, 5000, &ta));
	OK(ps_sem_sys_lock_ops.release(&a, ta));
	ps_sem_sys_close(&a);
}

static void test_flock_lock_name(void **state)
{
	char img[512];
	struct ps_sem_config cfg = { .mode = PS_SEM_MODE_FLOCK };
	struct ps_sem_sys a;
	int fd;

	(void)state;
	path(img, "store.img");
	fd = open(img, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	setenv("PSTATE_LOCK_DIR", tmpdir, 1);
	assert_int_equal(ps_sem_sys_open(&a, &cfg), PS_SEM_ERR_INVAL);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "lock file"));
	cfg.store_path = img;
	OK(ps_sem_sys_open(&a, &cfg));
	assert_non_null(strstr(a.lock_path, tmpdir));
	assert_non_null(strstr(a.lock_path, "/pstate-"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), "flock mode requested"));
	ps_sem_sys_close(&a);
	unsetenv("PSTATE_LOCK_DIR");
}

static void test_sim_bad_marker_refused(void **state)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	struct ps_sem_sys a;
	int fd;
	uint8_t byte = 0x5A;

	(void)state;
	OK(ps_sem_sim_create(bf, sf, NULL));
	fd = open(bf, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &byte, 1, PS_SEM_SIM_MARKER_OFF + 13), 1);
	close(fd);
	assert_int_equal(ps_sem_sys_open(&a, &cfg), PS_SEM_ERR_BADMARKER);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "sum to zero"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), "0xf0000"));
	ps_sem_sys_close(&a);
}

static void test_sim_sem_outside(void **state)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	struct ps_sem_sys a;
	uint8_t mk[PS_SEM_MARKER_LEN];
	int fd;

	(void)state;
	OK(ps_sem_sim_create(bf, sf, NULL));
	/* The shm file is 4 KiB; point the marker past its end. */
	OK(ps_sem_write_marker(mk, PS_SEM_SIM_SHM_PHYS + 0x2000, PS_SEM_SIZE, 0,
			       0));
	fd = open(bf, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, mk, sizeof mk, PS_SEM_SIM_MARKER_OFF),
			 (ssize_t)sizeof mk);
	close(fd);
	assert_int_equal(ps_sem_sys_open(&a, &cfg), PS_SEM_ERR_RANGE);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "outside"));
	/* Pointing at zeros inside the file: no semaphore there. */
	OK(ps_sem_write_marker(mk, PS_SEM_SIM_SHM_PHYS + 0x800, PS_SEM_SIZE, 0,
			       0));
	fd = open(bf, O_WRONLY);
	assert_int_equal(pwrite(fd, mk, sizeof mk, PS_SEM_SIM_MARKER_OFF),
			 (ssize_t)sizeof mk);
	close(fd);
	assert_int_equal(ps_sem_sys_open(&a, &cfg), PS_SEM_ERR_BADSEM);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "0xfd000800"));
	ps_sem_sys_close(&a);
}

/* The /dev/mem code path, on a sparse file standing for physical memory:
 * marker in the BIOS range, semaphore at 2 MiB + 0x100. */
static void test_devmem_path(void **state)
{
	char mem[512], lf[512];
	struct ps_sem_config cfg = { .mode = PS_SEM_MODE_DEVMEM,
				     .devmem_path = mem, .timeout_ms = 50 };
	struct ps_sem_sys a;
	uint8_t mk[PS_SEM_MARKER_LEN];
	uint64_t sem[PS_SEM_SIZE / 8];
	uint64_t t;
	int fd;

	(void)state;
	path(mem, "physmem");
	path(lf, "devmem-fallback.lock");
	fd = open(mem, O_CREAT | O_RDWR | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 0x201000), 0);
	OK(ps_sem_write_marker(mk, 0x200100, PS_SEM_SIZE,
			       PS_SEM_F_BMC_HOST_OFF_ONLY, 0));
	assert_int_equal(pwrite(fd, mk, sizeof mk, 0xFFF00), (ssize_t)sizeof mk);
	OK(ps_sem_init_struct(sem, sizeof sem));
	assert_int_equal(pwrite(fd, sem, sizeof sem, 0x200100),
			 (ssize_t)sizeof sem);
	close(fd);
	OK(ps_sem_sys_open(&a, &cfg));
	assert_int_equal(a.mode, PS_SEM_MODE_DEVMEM);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "BMC semaphore via"));
	assert_non_null(strstr(ps_sem_sys_describe(&a), "host off"));
	assert_int_equal(a.marker.marker_addr, 0xFFF00);
	OK(ps_sem_sys_lock_ops.acquire(&a, 2, 1000, &t));
	assert_int_equal(ps_sem_sys_lock_ops.still_held(&a, t), 1);
	OK(ps_sem_sys_lock_ops.release(&a, t));
	ps_sem_sys_close(&a);
	/* No such device: forced devmem is an error... */
	path(mem, "no-such-mem");
	assert_int_equal(ps_sem_sys_open(&a, &cfg), PS_SEM_ERR_IO);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "no-such-mem"));
	/* ...auto mode falls back to flock and says why. */
	cfg.mode = PS_SEM_MODE_AUTO;
	cfg.lock_file = lf;
	OK(ps_sem_sys_open(&a, &cfg));
	assert_int_equal(a.mode, PS_SEM_MODE_FLOCK);
	assert_non_null(strstr(ps_sem_sys_describe(&a), "cannot open"));
	ps_sem_sys_close(&a);
}

/* ------------------------------------------------------------- processes */

struct counters {
	volatile uint64_t own[8];
	volatile uint64_t shared;
	volatile int32_t inside;     /* pid in the critical section, or 0 */
	volatile int32_t violations; /* a live other pid found inside */
	volatile uint64_t max_wait_ms[8];
	volatile uint64_t last_tok;     /* token of the last increment */
	volatile uint64_t switches;     /* holder changed owner id */
	volatile int32_t last_owner;
	volatile int32_t go;            /* start line: all workers at once */
	/* SIGKILL test only.  The survivors' second half must come after
	 * the victim's death, or they may finish before it takes its hold
	 * and nobody ever breaks it (a scheduling-dependent order that a
	 * loaded machine produced: owner 2 still named at the end). */
	volatile int32_t has_victim;    /* survivors stop half-way */
	volatile int32_t at_half;       /* survivors waiting half-way */
	volatile int32_t victim_late;   /* victim starts once both wait */
	volatile int32_t victim_dead;   /* parent reaped the victim */
	volatile int32_t victim_quits;  /* test hook: victim exits early */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One increment under the lock; exits the child with a code naming the
 * step that failed. */
static void locked_increment(struct ps_sem_sys *s, struct counters *c,
			     uint8_t owner, uint32_t lease, int i)
{
	uint64_t tok, t0 = mono_ms(), v;
	int32_t in;

	if (ps_sem_sys_lock_ops.acquire(s, owner, lease, &tok) != 0)
		_exit(10);
	if (mono_ms() - t0 > c->max_wait_ms[owner])
		c->max_wait_ms[owner] = mono_ms() - t0;
	if (tok <= c->last_tok)
		c->violations++; /* fencing tokens must grow */
	c->last_tok = tok;
	if (c->last_owner != owner)
		c->switches++;
	c->last_owner = owner;
	in = c->inside;
	if (in != 0 && kill(in, 0) == 0)
		c->violations++;
	c->inside = getpid();
	v = c->shared;
	if (i % 32 == 0)
		sched_yield(); /* invite the others to interleave */
	c->shared = v + 1;
	c->own[owner]++;
	if (ps_sem_sys_lock_ops.still_held(s, tok) != 1)
		_exit(11);
	c->inside = 0;
	if (ps_sem_sys_lock_ops.release(s, tok) != 0)
		_exit(12);
}

/* In a child: wait until *f reaches v, for at most a minute (the parent
 * failing must not leave children spinning). */
static void child_wait(volatile int32_t *f, int32_t v)
{
	const struct timespec ms = { 0, 1000000 };
	uint64_t t0 = mono_ms();

	while (__atomic_load_n(f, __ATOMIC_ACQUIRE) < v) {
		if (mono_ms() - t0 > 60000)
			_exit(15);
		nanosleep(&ms, NULL);
	}
}

static pid_t worker(const struct ps_sem_config *cfg, struct counters *c,
		    uint8_t owner, int n, int hold_fd)
{
	pid_t pid = fork();
	struct ps_sem_sys s;
	uint64_t tok;

	if (pid != 0)
		return pid;
	if (ps_sem_sys_open(&s, cfg) != 0 || s.mode != PS_SEM_MODE_SIM)
		_exit(9);
	child_wait(&c->go, 1);
	if (hold_fd >= 0 && c->victim_late)
		child_wait(&c->at_half, 2);
	/* The increments' lease is the tools' default: a survivor stalled
	 * for a few seconds by a loaded machine must not be broken. */
	for (int i = 0; i < n; i++) {
		if (hold_fd < 0 && c->has_victim && i == n / 2) {
			__atomic_fetch_add(&c->at_half, 1, __ATOMIC_ACQ_REL);
			child_wait(&c->victim_dead, 1);
		}
		locked_increment(&s, c, owner, PS_SEM_DEFAULT_LEASE_MS, i);
	}
	if (hold_fd >= 0) {
		/* Become the victim: take the lock with a short lease, say
		 * so, and wait to be killed while holding it. */
		if (c->victim_quits)
			_exit(16); /* the hook: gone before its hold */
		if (ps_sem_sys_lock_ops.acquire(&s, owner, 300, &tok) != 0)
			_exit(13);
		c->inside = getpid();
		if (write(hold_fd, "h", 1) != 1)
			_exit(14);
		for (;;)
			pause();
	}
	ps_sem_sys_close(&s);
	_exit(0);
}

static void wait_ok(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("worker %d: %s %d", (int)pid,
			 WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static struct counters *map_counters(void)
{
	char f[512];
	int fd;
	void *p;

	path(f, "counters.bin");
	fd = open(f, O_CREAT | O_RDWR | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	return p;
}

#define N_INC 5000

static void test_processes_counters(void **state)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	const uint8_t owners[3] = { PS_SEM_OWNER_BMC, PS_SEM_OWNER_AGENT,
				    PS_SEM_OWNER_OS };
	struct counters *c = map_counters();
	struct ps_sem_sys s;
	struct ps_sem_state st;
	pid_t pids[3];
	uint64_t t0 = mono_ms();

	(void)state;
	cfg.timeout_ms = 20000;
	OK(ps_sem_sim_create(bf, sf, NULL));
	for (int i = 0; i < 3; i++)
		pids[i] = worker(&cfg, c, owners[i], N_INC, -1);
	c->go = 1;
	for (int i = 0; i < 3; i++)
		wait_ok(pids[i]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(c->own[owners[i]], N_INC);
	assert_int_equal(c->shared, 3 * N_INC);
	assert_int_equal(c->violations, 0);
	OK(ps_sem_sys_open(&s, &cfg));
	OK(ps_sem_sys_peek(&s, &st));
	assert_int_equal(st.owner, 0);
	assert_int_equal(st.seq, 3 * N_INC);
	assert_int_equal(st.breaks, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(st.owner_acquires[owners[i]], N_INC);
	ps_sem_sys_close(&s);
	/* The three really interleaved, rather than ran one after another. */
	assert_true(c->switches > 10);
	print_message("3 processes x %d locked increments: %llu ms, %llu "
		      "holder switches, max wait %llu/%llu/%llu ms\n", N_INC,
		      (unsigned long long)(mono_ms() - t0),
		      (unsigned long long)c->switches,
		      (unsigned long long)c->max_wait_ms[1],
		      (unsigned long long)c->max_wait_ms[2],
		      (unsigned long long)c->max_wait_ms[4]);
	munmap((void *)c, 4096);
}

/* The parent's wait for the victim's "holding" byte.  Only the victim
 * holds the pipe's write end (the parent closes its own before forking
 * the survivors), so a victim that exits first gives EOF at once rather
 * than a read that never returns; the poll's minute is a backstop.
 * Returns 1 when it holds, 0 when it exited first (its status in *wst),
 * -1 when it said nothing for a minute. */
static int victim_holds(int rfd, pid_t victim, int *wst)
{
	struct pollfd pfd = { rfd, POLLIN, 0 };
	char b;

	if (poll(&pfd, 1, 60000) != 1)
		return -1;
	if (read(rfd, &b, 1) == 1)
		return 1;
	assert_int_equal(waitpid(victim, wst, 0), victim);
	return 0;
}

/* Forks the victim (the only writer of the pipe) and the two survivors. */
static int start_sigkill(const struct ps_sem_config *cfg, struct counters *c,
			 pid_t pids[3])
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	c->has_victim = 1;
	pids[0] = worker(cfg, c, PS_SEM_OWNER_AGENT, 100, fds[1]);
	close(fds[1]);
	pids[1] = worker(cfg, c, PS_SEM_OWNER_BMC, 1000, -1);
	pids[2] = worker(cfg, c, PS_SEM_OWNER_OS, 1000, -1);
	c->go = 1;
	return fds[0];
}

/* Ends the survivors (waiting for a victim that will never die held). */
static void kill_survivors(const pid_t pids[3])
{
	for (int i = 1; i < 3; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/* A holder SIGKILLed while holding; the two survivors finish their
 * second halves only after it died, so they must break its hold.  With
 * victim_late, the victim starts only once both survivors are half-way:
 * the order in which, before the half-way wait, they could finish
 * everything before its hold and leave it unbroken. */
static void run_sigkill(int victim_late)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	struct counters *c = map_counters();
	struct ps_sem_sys s;
	struct ps_sem_state st;
	pid_t pids[3], victim, p1, p4;
	int rfd, wst, held;
	uint64_t t_kill;

	cfg.timeout_ms = 20000;
	OK(ps_sem_sim_create(bf, sf, NULL));
	c->victim_late = victim_late;
	rfd = start_sigkill(&cfg, c, pids);
	victim = pids[0];
	p1 = pids[1];
	p4 = pids[2];
	held = victim_holds(rfd, victim, &wst);
	close(rfd);
	if (held != 1) {
		kill_survivors(pids);
		if (held < 0)
			kill(victim, SIGKILL);
		fail_msg("victim %d %s before taking its hold (status 0x%x)",
			 (int)victim, held ? "said nothing for 60 s" : "exited",
			 held ? 0 : wst);
	}
	assert_int_equal(kill(victim, SIGKILL), 0);
	assert_int_equal(waitpid(victim, &wst, 0), victim);
	t_kill = mono_ms();
	__atomic_store_n(&c->victim_dead, 1, __ATOMIC_RELEASE);
	assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
	wait_ok(p1);
	wait_ok(p4);
	assert_int_equal(c->own[PS_SEM_OWNER_AGENT], 100);
	assert_int_equal(c->own[PS_SEM_OWNER_BMC], 1000);
	assert_int_equal(c->own[PS_SEM_OWNER_OS], 1000);
	assert_int_equal(c->shared, 2100);
	assert_int_equal(c->violations, 0);
	OK(ps_sem_sys_open(&s, &cfg));
	OK(ps_sem_sys_peek(&s, &st));
	assert_int_equal(st.owner, 0);
	assert_int_equal(st.breaks, 1);
	assert_int_equal(st.last_broken_owner, PS_SEM_OWNER_AGENT);
	assert_int_equal(st.owner_breaks[PS_SEM_OWNER_BMC] +
			 st.owner_breaks[PS_SEM_OWNER_OS], 1);
	assert_int_equal(st.seq, 2101); /* every acquire, the victim's too */
	ps_sem_sys_close(&s);
	/* Someone waited out the victim's 300 ms lease, nobody for ever. */
	assert_true(c->max_wait_ms[1] >= 250 || c->max_wait_ms[4] >= 250);
	assert_true(c->max_wait_ms[1] < 5000 && c->max_wait_ms[4] < 5000);
	print_message("SIGKILLed holder: lock broken after %llu/%llu ms of "
		      "waiting (lease 300 ms); survivors done %llu ms after "
		      "the kill\n",
		      (unsigned long long)c->max_wait_ms[1],
		      (unsigned long long)c->max_wait_ms[4],
		      (unsigned long long)(mono_ms() - t_kill));
	munmap((void *)c, 4096);
}

static void test_processes_sigkill(void **state)
{
	(void)state;
	run_sigkill(0);
}

static void test_processes_sigkill_late_victim(void **state)
{
	(void)state;
	run_sigkill(1);
}

/* The victim exits before its hold (the victim_quits hook): the parent's
 * wait sees it at once, rather than reading a pipe whose other write
 * ends (its own, the survivors') kept it open for ever. */
static void test_processes_sigkill_victim_quits(void **state)
{
	char bf[512], sf[512], lf[512];
	struct ps_sem_config cfg = sim_cfg(bf, sf, lf);
	struct counters *c = map_counters();
	pid_t pids[3];
	int rfd, wst = 0, held;
	uint64_t t0 = mono_ms();

	(void)state;
	OK(ps_sem_sim_create(bf, sf, NULL));
	c->victim_quits = 1;
	rfd = start_sigkill(&cfg, c, pids);
	held = victim_holds(rfd, pids[0], &wst);
	close(rfd);
	kill_survivors(pids);
	if (held < 0)
		kill(pids[0], SIGKILL);
	assert_int_equal(held, 0);
	assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 16);
	assert_true(mono_ms() - t0 < 10000);
	munmap((void *)c, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marker_offsets),
		cmocka_unit_test(test_marker_unaligned_ignored),
		cmocka_unit_test(test_marker_bad_checksum_skipped),
		cmocka_unit_test(test_marker_wrong_signature),
		cmocka_unit_test(test_marker_truncated),
		cmocka_unit_test(test_marker_fields),
		cmocka_unit_test(test_attach_checks),
		cmocka_unit_test(test_acquire_release),
		cmocka_unit_test(test_seq_every_acquire),
		cmocka_unit_test(test_seq_carry),
		cmocka_unit_test(test_contention),
		cmocka_unit_test(test_acquire_timeout),
		cmocka_unit_test(test_waiters_polite),
		cmocka_unit_test(test_lease_break),
		cmocka_unit_test(test_min_lease_floor),
		cmocka_unit_test(test_renew_extends),
		cmocka_unit_test(test_two_breakers),
		cmocka_unit_test(test_renew_beats_breaker),
		cmocka_unit_test(test_release_beats_breaker),
		cmocka_unit_test(test_invalid_args),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_lock_ops_core),
		cmocka_unit_test(test_sim_open),
		cmocka_unit_test(test_sim_fallback_flock),
		cmocka_unit_test(test_flock_lock_name),
		cmocka_unit_test(test_sim_bad_marker_refused),
		cmocka_unit_test(test_sim_sem_outside),
		cmocka_unit_test(test_devmem_path),
		cmocka_unit_test(test_processes_counters),
		cmocka_unit_test(test_processes_sigkill),
		cmocka_unit_test(test_processes_sigkill_late_victim),
		cmocka_unit_test(test_processes_sigkill_victim_quits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
