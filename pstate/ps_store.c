/*
 * ps_store.c - the hosted convenience layer: a store handle holding the
 * newest store in memory, transactions on private copies, and ps_update,
 * which re-applies an edit after a conflict.  Built on ps_commit.c.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pstate.h"
#include "ps_internal.h"

/* ps_txn_commit's streaming window (ps_media_stream). */
#define STREAM_WINDOW (64u * 1024u)

struct ps_store {
	struct ps_media *media;
	struct ps_disk disk;
	uint8_t *buf;            /* the newest store, cap bytes */
	size_t cap;              /* slot capacity, >= one sector */
	uint8_t *sector;         /* scratch for the commit protocol */
	struct ps_lock *lock;
	uint8_t owner;
	const struct ps_auth *auth;  /* seal commits (ps_store_set_auth) */
	enum ps_commit_mode mode;    /* ps_store_set_commit */
	/* buf holds the base slot's store, as read or last committed (not
	 * after a failed commit, which may have moved the base). */
	int buf_is_base;
};

/*
 * Buffers of a whole slot.  A store of hundreds of KiB read or copied
 * into fresh memory takes one page fault per 4 KiB, and a fault costs
 * more than copying its page: on the benchmark's VM about 17 us each,
 * 1.7 ms for a 412 KB store, where one 2 MiB transparent huge page costs
 * about 0.2 ms (bench/bench_psctl, docs/performance.md).  So a slot
 * buffer is its own 2 MiB-aligned mapping (zero-filled: the tail past
 * the store must read as zeros), and where it will hold a large store it
 * asks for huge pages.  Small slots keep the heap.
 */
#define BIG_ALIGN ((size_t)2 << 20)     /* x86-64 and arm64 huge pages */
#define BIG_MIN ((size_t)128 << 10)     /* glibc's own mmap threshold */
#define HUGE_MIN ((size_t)256 << 10)    /* past it huge pages win (64
					 * faults of 4 KiB vs zeroing 2 MiB) */

static size_t big_len(size_t len)
{
	return (len + BIG_ALIGN - 1) / BIG_ALIGN * BIG_ALIGN;
}

/* len zeroed bytes; huge pages asked for when used bytes will be many. */
static void *slot_alloc(size_t len, size_t used)
{
	size_t n = big_len(len);
	uint8_t *p;
	uintptr_t a;

	if (len < BIG_MIN)
		return calloc(1, len);
	p = mmap(NULL, n + BIG_ALIGN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + BIG_ALIGN - 1) / BIG_ALIGN * BIG_ALIGN;
	if (a > (uintptr_t)p)
		(void)munmap(p, a - (uintptr_t)p);
	(void)munmap((void *)(a + n), BIG_ALIGN - (a - (uintptr_t)p));
#ifdef MADV_HUGEPAGE
	if (used >= HUGE_MIN)
		(void)madvise((void *)a, n, MADV_HUGEPAGE);
#else
	(void)used;
#endif
	return (void *)a;
}

static void slot_free(void *p, size_t len)
{
	if (!p || len < BIG_MIN)
		free(p);
	else
		(void)munmap(p, big_len(len));
}

/* The longest store a valid slot header names: what load will read. */
static size_t longest_store(const struct ps_disk *d)
{
	uint32_t i, n = 0;

	for (i = 0; i < d->slot_count; i++)
		if (d->slot[i].valid_hdr && d->slot[i].length > n)
			n = d->slot[i].length;
	return n;
}

static int grow(struct ps_store *s, size_t want)
{
	uint8_t *nb;

	if (s->cap >= want)
		return PS_OK;
	nb = slot_alloc(want, longest_store(&s->disk));
	if (!nb)
		return PS_ERR_NOMEM;
	if (s->buf)  /* keeps the store already read */
		memcpy(nb, s->buf, s->cap);
	slot_free(s->buf, s->cap);
	s->buf = nb;
	s->cap = want;
	return PS_OK;
}

/*
 * Read the newest store.  The buffer starts at one sector (enough for the
 * geometry) and grows to a whole slot once the superblock is known, so
 * later commits of any store that fits on media can be kept here.
 */
static int load(struct ps_store *s)
{
	int rc = grow(s, s->media->sector_size);

	if (!rc)
		rc = ps_read(&s->disk, s->media, s->buf, s->cap);
	if ((rc == PS_OK || rc == PS_ERR_NOSPACE) && s->disk.slot_count) {
		int again = rc == PS_ERR_NOSPACE;

		rc = grow(s, (size_t)ps_slot_capacity(&s->disk) +
			     s->media->sector_size);
		if (!rc && again)
			rc = ps_read(&s->disk, s->media, s->buf, s->cap);
	}
	s->buf_is_base = rc == PS_OK;
	return rc;
}

struct ps_store *ps_store_open(struct ps_media *m, int *err)
{
	struct ps_store *s;
	int rc = PS_ERR_NOMEM;

	if (!m) {
		rc = PS_ERR_INVAL;
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->media = m;
	s->owner = PS_OWNER_OS;
	s->sector = malloc(m->sector_size);
	rc = s->sector ? load(s) : PS_ERR_NOMEM;
	if (rc == PS_OK) {
		if (err)
			*err = PS_OK;
		return s;
	}
	ps_store_close(s);
fail:
	if (err)
		*err = rc;
	return NULL;
}

void ps_store_close(struct ps_store *s)
{
	if (!s)
		return;
	slot_free(s->buf, s->cap);
	free(s->sector);
	free(s);
}

int ps_store_refresh(struct ps_store *s)
{
	return s ? load(s) : PS_ERR_INVAL;
}

const void *ps_store_data(const struct ps_store *s, uint32_t *len)
{
	if (len)
		*len = s->disk.length;
	return s->buf;
}

uint64_t ps_store_generation(const struct ps_store *s)
{
	return s->disk.generation;
}

const struct ps_disk *ps_store_disk(const struct ps_store *s)
{
	return &s->disk;
}

int ps_slot_state(const struct ps_disk *d, uint32_t i)
{
	if (!d || i >= d->slot_count)
		return PS_ERR_INVAL;
	if ((int)i == d->base)
		return PS_SLOT_CURRENT;
	/* Only a body that fails its store_crc can be a cut one-flush
	 * commit; one that passes it but fails the format's checks was
	 * written whole, wrong: damage, however it was committed. */
	if (d->slot[i].damage == PS_ERR_NOSLOT &&
	    !(d->slot[i].flags & PS_SLOT_F_ORDERED))
		return PS_SLOT_INTERRUPTED;
	if (d->slot[i].damage)
		return PS_SLOT_DAMAGED;
	return d->slot[i].valid_hdr ? PS_SLOT_OLDER : PS_SLOT_FREE;
}

void ps_store_set_writer(struct ps_store *s, struct ps_lock *lock,
			 uint8_t owner)
{
	s->lock = lock;
	s->owner = owner;
}

int ps_store_set_commit(struct ps_store *s, enum ps_commit_mode mode)
{
	if (!s || (mode != PS_COMMIT_FAST && mode != PS_COMMIT_ORDERED))
		return PS_ERR_INVAL;
	s->mode = mode;
	return PS_OK;
}

void ps_store_set_auth(struct ps_store *s, const struct ps_auth *auth)
{
	s->auth = auth;
}

/* Fault in the first len bytes of a fresh buffer in one system call
 * (MADV_POPULATE_WRITE, Linux 5.14) rather than one trap per page: the
 * copy of a store of hundreds of KiB otherwise takes a fault per 4 KiB.
 * Best effort: where the kernel refuses, the copy faults as before. */
static void prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + pg - 1) / pg * pg;
	uintptr_t e = ((uintptr_t)p + len) / pg * pg;

	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)len;
#endif
}

int ps_txn_begin(struct ps_store *s, struct ps_txn *t)
{
	size_t cap;

	if (!s || !t || s->disk.base < 0)
		return PS_ERR_INVAL;
	cap = ps_slot_capacity(&s->disk);
	/* The tail beyond the store must be zero, so a pad grown into it is
	 * zeroed as the format asks.  Fresh zero pages give that without
	 * touching them: a slot is megabytes, an edit a few bytes. */
	t->buf = slot_alloc(cap, s->disk.length);
	if (!t->buf)
		return PS_ERR_NOMEM;
	prefault(t->buf, s->disk.length);
	memcpy(t->buf, s->buf, s->disk.length);
	t->store = s;
	t->cap = cap;
	t->base = s->disk.generation;
	return PS_OK;
}

void ps_txn_abort(struct ps_txn *t)
{
	if (!t)
		return;
	slot_free(t->buf, t->cap);
	t->buf = NULL;
}

/* Is the edited store the base's, byte for byte, with nothing forcing a
 * commit (docs/store.md 4, step 0)?  Known only while buf is the base. */
static int unchanged(const struct ps_store *s, const uint8_t *store,
		     uint32_t len)
{
	if (!s->buf_is_base || (s->auth && s->auth->force))
		return 0;
	return len == s->disk.length && memcmp(store, s->buf, len) == 0;
}

int ps_txn_commit(struct ps_txn *t)
{
	struct ps_store *s;
	struct ps_commit_args a;
	uint32_t len = 0, pads = 0;
	int rc;

	if (!t || !t->buf || !t->store)
		return PS_ERR_INVAL;
	s = t->store;
	/* Another transaction on this handle committed first. */
	rc = t->base == s->disk.generation ? psf_finish(t->buf)
					   : PS_ERR_CONFLICT;
	/* The check before media, once: the tree (the CRCs are the ones
	 * just computed), counting the pads on the way. */
	if (!rc)
		rc = psf_check_tree_pads(t->buf, t->cap, NULL, &pads);
	/* Garbage past the threshold goes now, in this same commit
	 * (docs/store.md 7.2).  Measured only when the pads could make it
	 * due: the measure is a walk of its own. */
	if (!rc && ps_compact_may_be_due(psf_total(t->buf), pads)) {
		rc = ps_compact_if_due(t->buf);
		/* Moved bytes are checked again before media. */
		rc = rc > 0 ? psf_check_tree(t->buf, t->cap, NULL) : rc;
	}
	if (!rc) {
		/* Step 0 against the copy in memory: no read of the slot. */
		len = psf_total(t->buf);
		if (unchanged(s, t->buf, len)) {
			ps_txn_abort(t);
			return PS_OK;
		}
		a = (struct ps_commit_args){ s->lock, s->owner,
					     (uint64_t)time(NULL), s->auth,
					     s->mode };
		/* The diff and the read-back stream the target slot in
		 * large reads: 64 KiB at a time (a few system calls for a
		 * store of hundreds of KiB, and few pages to fault in). */
		(void)ps_media_stream(s->disk.media, STREAM_WINDOW);
		rc = s->buf_is_base ?
			ps__commit_changed(&s->disk, t->buf, s->sector, &a) :
			ps_commit(&s->disk, t->buf, s->sector, &a);
		(void)ps_media_stream(s->disk.media, 0);
	}
	if (!rc)
		memcpy(s->buf, t->buf, len);
	s->buf_is_base = rc == PS_OK;
	ps_txn_abort(t);
	return rc;
}

/* Room for an edit that did not fit: the store compacted (docs/store.md
 * 7.2), in a fresh transaction.  1 when that freed bytes, else 0. */
static int compacted(struct ps_store *s, struct ps_txn *t)
{
	if (ps_txn_begin(s, t))
		return 0;
	if (ps_compact(t->buf) > 0)
		return 1;
	ps_txn_abort(t);
	return 0;
}

/* begin, edit, commit, once; an edit that runs out of room is tried once
 * more on the store compacted. */
static int update_once(struct ps_store *s, ps_edit_fn edit, void *arg)
{
	struct ps_txn t;
	int rc = ps_txn_begin(s, &t);

	if (rc)
		return rc;
	rc = edit(t.buf, t.cap, arg);
	if (rc == PSF_ERR_NOSPACE) {
		ps_txn_abort(&t);
		if (!compacted(s, &t))
			return rc;
		rc = edit(t.buf, t.cap, arg);
	}
	if (rc) {
		ps_txn_abort(&t);
		return rc < 0 ? rc : PS_ERR_ABORTED;
	}
	return ps_txn_commit(&t);
}

/*
 * The retry after a conflict.  With a lock, hold it from the re-read to
 * the commit: no other writer can publish in between, so this attempt
 * cannot conflict again.  Optimistic retries alone can starve a writer
 * that keeps losing to faster ones (three writers committing in a loop
 * do), and the lock is free to take: the commit would take it anyway.
 */
static int update_locked(struct ps_store *s, ps_edit_fn edit, void *arg)
{
	struct ps_lock *l = s->lock;
	int rc, rrc;

	if (!l || l->held) {
		rc = ps_store_refresh(s);
		return rc ? rc : update_once(s, edit, arg);
	}
	rc = ps_lock_take(l);
	if (rc)
		return rc;
	rc = ps_store_refresh(s);
	if (!rc)
		rc = update_once(s, edit, arg);
	/* A release that fails (lease broken) after a commit does not undo
	 * it: the commit passed its fence. */
	rrc = ps_lock_drop(l);
	(void)rrc;
	return rc;
}

int ps_update(struct ps_store *s, ps_edit_fn edit, void *arg,
	      int max_retries)
{
	int rc, attempt;

	if (!s || !edit || max_retries < 0)
		return PS_ERR_INVAL;
	rc = update_once(s, edit, arg);
	for (attempt = 0; rc == PS_ERR_CONFLICT && attempt < max_retries;
	     attempt++)
		rc = update_locked(s, edit, arg);
	return rc;
}
