/*
 * ps_internal.h - shared between the pstate/ sources only; never installed, never
 * included by tools or tests (they get everything from pstate.h).  What is
 * here is implementation detail that the on-media and in-memory formats
 * in docs/ already fix, kept out of the public header so callers cannot
 * come to depend on how the C code spells it.  Freestanding, but for the
 * error helper at the end, which only hosted builds see.
 */
#ifndef PS_INTERNAL_H
#define PS_INTERNAL_H

#include "pstate.h"

/* Semaphore lock word (docs/semaphore.md section 3): owner in bits 0-3,
 * the claimed slot + 1 in bits 4-7 (0: none), a 24-bit version in bits
 * 8-31 that changes on every transition (acquire, renew, claim, release,
 * break).  The version is the heartbeat: a holder that renews changes the
 * word, so a breaker's CAS from the value it watched going stale fails.
 * PS_SEM_WORD's first argument is bits 0-7 (owner and claim). */
#define PS_SEM_WORD(owner, ver) \
	((uint32_t)(owner) | ((uint32_t)((ver) & 0xFFFFFFu) << 8))
#define PS_SEM_WORD_OWNER(w) ((uint8_t)((w) & 0x0Fu))
#define PS_SEM_WORD_CLAIM(w) ((uint8_t)(((w) >> 4) & 0x0Fu))
#define PS_SEM_WORD_VER(w) ((uint32_t)(w) >> 8)

/* The store's layout on media (docs/store.md), shared by ps_format.c
 * (superblocks, ps_format) and ps_commit.c (slots, ps_read, ps_commit). */
#define PS__MAGIC_LEN 8u
/* The smallest valid store: a PSF header and an empty root. */
#define PS__MIN_STORE (PSF_HEADER_SIZE + PSF_CONTAINER_HDR)

static inline int ps__magic_is(const uint8_t *p, const char *magic)
{
	return psf_memcmp(p, magic, PS__MAGIC_LEN) == 0;
}

/* Bytes of store slot s can hold (its body sectors, at most
 * PSF_MAX_TOTAL). */
static inline uint32_t ps__body_bytes(const struct ps_disk *d,
				      const struct ps_slot *s)
{
	uint64_t n = (uint64_t)(s->sectors - 1) * d->sector_size;

	return n > PSF_MAX_TOTAL ? PSF_MAX_TOTAL : (uint32_t)n;
}

/* What a writer puts in a slot header: the fields of struct ps_slot
 * without the geometry and raw bytes (40 bytes instead of 112 on the
 * stack). */
struct ps__hdr_fields {
	uint64_t generation;
	uint64_t token;
	uint64_t timestamp;
	uint32_t length;
	uint32_t crc;
	uint32_t flags;          /* PS_SLOT_F_AUTH when sealed */
	uint8_t owner;
};

/* Encode slot idx's header into h (PS_SLOT_HDR_SIZE bytes; ps_commit.c). */
void ps__slot_encode(uint8_t *h, uint32_t idx, const struct ps__hdr_fields *s);

/* The header fields a commit writes for generation gen of store (len
 * bytes: psf_total, finished and checked, so its body CRC is current)
 * under args a and lock l (ps_commit.c): the header and the MAC over it
 * (ps_auth.c) are made from the same fields. */
void ps__hdr_fill(struct ps__hdr_fields *n, uint64_t gen,
		  const uint8_t *store, uint32_t len,
		  const struct ps_commit_args *a, const struct ps_lock *l);

/* Read both superblocks into d's geometry, with sbuf one sector of
 * scratch (ps_format.c): PS_OK, PS_ERR_NOSTORE, PS_ERR_SUPERBLOCK,
 * PS_ERR_IO. */
int ps__load_geometry(struct ps_disk *d, uint8_t *sbuf);

/* Read back slot ti as readers will see it after its header was written
 * (ps_commit.c, commit step 9; ps_format for slot 0): PS_OK,
 * PS_ERR_CONFLICT (header not as written, or a newer complete slot),
 * PS_ERR_IO (body fails its CRC, or the media failed). */
int ps__slot_verify(struct ps_disk *d, uint32_t ti, uint8_t *sbuf);

/* ps_commit without step 0's read of the base slot and without its
 * check of the store: for a caller that compared store with the base's
 * bytes as it read them and found them different (ps_store.c holds that
 * copy in memory), and that finished store (psf_finish) and checked its
 * tree (psf_check_tree) just before, so the CRCs are the ones it
 * computed and the tree the one it walked. */
#if PS_HOSTED
int ps__commit_changed(struct ps_disk *d, const void *store,
		       void *sector_buf, const struct ps_commit_args *args);
#endif

/* libblkid reports partition offsets and sizes in 512-byte units. */
#define PS_PART_SECTOR 512u

#if __STDC_HOSTED__
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Hosted sources only (ps_part.c, ps_discover.c): a printf into the
 * caller's optional error buffer; returns `code` so that every failure is
 * one `return fail(...)`. */
static inline int fail(char *err, size_t errlen, int code, const char *fmt,
		       ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ps_sem_linux.c: v when set and not empty, else $name when set and not
 * empty, else NULL. */
const char *ps__env_or(const char *v, const char *name);
/* ps_sem_linux.c: PS_SEM_ERR_PERM for EACCES/EPERM, else PS_SEM_ERR_IO. */
int ps__errno_sem(int e);

/* ps_lockfile.c: the flock fallback.  Open the lock file named by cfg
 * (PSTATE_LOCK_FILE, or derived from the store's key in the lock
 * directory), checking the directory and the file; s->desc says why
 * (with why, the reason no semaphore is used).  PS_SEM_OK,
 * PS_SEM_ERR_PERM (an unsafe directory or file: s->desc says which),
 * PS_SEM_ERR_INVAL (bad key), PS_SEM_ERR_IO. */
int ps__lockfile_open(struct ps_sem_sys *s, const struct ps_sem_config *cfg,
		      const char *why);
/* ps_lockfile.c: take the lock file (waiting up to s->timeout_ms) and
 * bump its fencing counter into *token.  PS_SEM_OK, PS_SEM_ERR_INVAL
 * (held already), PS_SEM_ERR_TIMEOUT, PS_SEM_ERR_IO. */
int ps__lockfile_acquire(struct ps_sem_sys *s, uint64_t *token);
/* ps_lockfile.c: drop the lock, removing a derived lock file first.
 * PS_SEM_OK or PS_SEM_ERR_IO. */
int ps__lockfile_release(struct ps_sem_sys *s);
/* ps_lockfile.c: close the lock file, removing a derived one that no
 * other writer holds (opened, never taken: read-only commands). */
void ps__lockfile_close(struct ps_sem_sys *s);
#endif

#endif /* PS_INTERNAL_H */
