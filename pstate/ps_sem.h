/*
 * ps_sem.h - the semaphore core: marker scan, acquire, renew, release.
 *
 * Freestanding (ps_sem.c); docs/semaphore.md is the normative text.
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_SEM_H
#define PS_SEM_H

#include "ps_lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Semaphore core (freestanding: ps_sem.c)
 *
 * Writers of the store (BMC firmware, BIOS setup, hvagent, psctl) serialise
 * through a semaphore structure that BMC firmware places in memory both the
 * BMC and the host can reach.  A writer finds it by scanning the legacy BIOS
 * range 0xE0000-0xFFFFF on 16-byte boundaries for a marker structure with a
 * byte checksum; the marker holds the semaphore's physical address.  The
 * byte-level layouts and the rules every party must follow are in
 * docs/semaphore.md; this header is the C reference implementation.
 *
 * The core works on memory windows the caller has already mapped (pointer,
 * length, physical address of the first byte).  It needs no libc and no
 * malloc; time comes from a caller-supplied monotonic clock, so it links into
 * BMC firmware as it is.  The only shared-memory primitive used is a 32-bit
 * compare-and-swap (LDREX/STREX on a Cortex-M3, LOCK CMPXCHG on x86), which is
 * why the lock word is 32 bits and the 64-bit sequence number is written only
 * by the holder.  Linux backends (/dev/mem, simulation files, flock fallback)
 * are in ps_sem_linux.h.  The lock word layout is internal to ps_sem.c.
 */

/* ------------------------------------------------------------ protocol */

/* Legacy BIOS range scanned for the marker, and the scan step. */
#define PS_SEM_BIOS_BASE 0xE0000u
#define PS_SEM_BIOS_SIZE 0x20000u
#define PS_SEM_MARKER_ALIGN 16u

/* Marker: 32 bytes in revision 1 (see docs/semaphore.md, "Marker"). */
#define PS_SEM_MARKER_SIG "_PS_SEM_" /* 8 bytes, no terminator on media */
#define PS_SEM_MARKER_LEN 32u
#define PS_SEM_MARKER_REV 1u

/* Marker flags: the BMC's write policy.  Neither set: the
 * BMC writes at any time, always under the semaphore. */
#define PS_SEM_F_BMC_NEVER_WRITES 0x01u  /* BMC never writes the store */
#define PS_SEM_F_BMC_HOST_OFF_ONLY 0x02u /* BMC writes only with host off */

/* Semaphore structure: 192 bytes in revision 1, 8-byte aligned. */
#define PS_SEM_MAGIC "PSSM"
#define PS_SEM_REV 1u
#define PS_SEM_SIZE 192u
#define PS_SEM_OWNER_SLOTS 8u

/* Owner ids (lock word bits 0-3): the PS_OWNER_* of ps_lock.h.  0 means
 * free; 5-7 are reserved. */
#define PS_SEM_OWNER_BMC 1u
#define PS_SEM_OWNER_AGENT 2u
#define PS_SEM_OWNER_BIOS 3u
#define PS_SEM_OWNER_OS 4u
#define PS_SEM_OWNER_MAX 7u

/* Lease limits.  Breakers never use a lease below the marker's minimum nor
 * outside these bounds, whatever the (possibly half-written) field says. */
#define PS_SEM_LEASE_MIN_MS 10u
#define PS_SEM_LEASE_MAX_MS 600000u

/* Politeness (fairness, not safety): a fresh acquire that sees another
 * owner's bit in the waiters word waits up to this long for it to take
 * the lock first.  A stale bit (a waiter that died) costs at most this. */
#define PS_SEM_POLITE_MS 2u

/* ------------------------------------------------------------ marker scan */

/* Why a candidate marker (right signature, 16-byte aligned) was rejected. */
enum ps_sem_marker_why {
	PS_SEM_MK_OK = 0,
	PS_SEM_MK_TRUNCATED, /* runs past the end of the window */
	PS_SEM_MK_LENGTH,    /* length field below 32 */
	PS_SEM_MK_REVISION,  /* revision 0 */
	PS_SEM_MK_CHECKSUM,  /* bytes do not sum to zero */
	PS_SEM_MK_FLAGS,     /* both BMC policy flags set */
	PS_SEM_MK_SEMSIZE,   /* semaphore size below 192 */
	PS_SEM_MK_SEMADDR,   /* semaphore address 0, unaligned or wrapping */
	PS_SEM_MK_WHY_MAX = PS_SEM_MK_SEMADDR
};

const char *ps_sem_marker_why_str(int why);

/* A valid marker, decoded. */
struct ps_sem_marker {
	uint64_t marker_addr; /* physical address of the marker itself */
	uint64_t sem_addr;    /* physical address of the semaphore structure */
	uint32_t sem_size;    /* bytes the BMC reserved there (>= 192) */
	uint32_t min_lease_ms; /* floor on every lease; 0 = none */
	uint8_t revision;
	uint8_t flags;        /* PS_SEM_F_* */
};

/* What a scan saw, so a failure can say why. */
struct ps_sem_scan {
	uint32_t candidates;    /* aligned places with the signature */
	uint32_t rejected;      /* of those, invalid */
	int first_why;          /* PS_SEM_MK_* of the first rejection */
	uint64_t first_why_addr; /* its physical address */
};

/*
 * Scan win[0..len) (physical address win_phys, 16-byte aligned) for the
 * first valid marker.  Invalid candidates are skipped, so a stale or torn
 * copy cannot hide a good one further on.  Returns PS_SEM_OK and fills *m;
 * PS_SEM_ERR_NOMARKER when no aligned signature exists; PS_SEM_ERR_BADMARKER
 * when every candidate was invalid (scan->first_why says why).  scan may be
 * NULL.
 */
int ps_sem_find_marker(const void *win, size_t len, uint64_t win_phys,
		       struct ps_sem_marker *m, struct ps_sem_scan *scan);

/* Check one marker at p (avail bytes readable): PS_SEM_MK_*.  Exposed for
 * the tests and for firmware that knows where its marker is. */
int ps_sem_check_marker(const uint8_t *p, size_t avail);

/*
 * For BMC firmware and the simulator: write a revision-1 marker with the
 * right checksum at dst (32 bytes).  Returns PS_SEM_ERR_INVAL on a bad
 * address, size or flags.
 */
int ps_sem_write_marker(void *dst, uint64_t sem_addr, uint32_t sem_size,
			uint8_t flags, uint32_t min_lease_ms);

/* For BMC firmware and the simulator: initialise a free semaphore structure
 * at mem (8-byte aligned, len >= 192).  Only while nobody can be using it. */
int ps_sem_init_struct(void *mem, size_t len);

/* ------------------------------------------------------------ handles */

/* Monotonic milliseconds and a back-off hook, supplied by the caller. */
struct ps_sem_clock {
	uint64_t (*now_ms)(void *ctx);
	/* Called between attempts while waiting; attempt counts from 0.  May
	 * be NULL (busy-wait).  Firmware might feed its watchdog here. */
	void (*relax)(void *ctx, uint32_t attempt);
	void *ctx;
};

/* One party's view of the semaphore.  Plain data; no allocation. */
struct ps_sem {
	uint32_t *mem;          /* the semaphore structure, mapped */
	struct ps_sem_clock clk;
	uint32_t min_lease_ms;  /* from the marker */
	uint32_t timeout_ms;    /* how long ps_lock_ops acquire waits */
	/* while we hold it */
	uint32_t word;          /* lock word we last wrote */
	uint32_t lease_ms;
	uint64_t token;         /* sequence number of this hold */
	uint64_t renewed_ms;    /* our clock at the last successful renew */
	uint8_t owner;
	uint8_t held;
	/* watching someone else's hold, to detect a dead holder */
	uint8_t obs_valid;
	uint8_t broke;          /* the last acquire broke a stale hold */
	uint8_t waiting;        /* our bit is set in the waiters word */
	uint8_t skip;           /* this hold broke one that had claimed a slot */
	uint32_t obs_word;
	uint64_t obs_since;
};

/*
 * Attach to the semaphore the marker points at, inside the mapped window
 * win[0..len) whose first byte is at physical address win_phys.  Fails with
 * PS_SEM_ERR_RANGE if [sem_addr, sem_addr + 192) is not inside the window,
 * PS_SEM_ERR_BADSEM if it is misaligned or has the wrong magic, revision or
 * size.  timeout_ms is what the ps_lock_ops adapter waits.
 */
int ps_sem_attach(struct ps_sem *s, void *win, size_t len, uint64_t win_phys,
		  const struct ps_sem_marker *m, const struct ps_sem_clock *clk,
		  uint32_t timeout_ms);

/* One attempt, never waits.  Breaks the lock when this handle has watched
 * the same held lock word for a whole lease.  PS_SEM_OK (and *token),
 * PS_SEM_ERR_BUSY, or PS_SEM_ERR_INVAL. */
int ps_sem_try_acquire(struct ps_sem *s, uint8_t owner, uint32_t lease_ms,
		       uint64_t *token);

/* Retry ps_sem_try_acquire until it succeeds or timeout_ms passes
 * (PS_SEM_ERR_TIMEOUT), advertising this owner in the waiters word while
 * waiting, and first letting other owners' waiters go (up to
 * PS_SEM_POLITE_MS).  timeout_ms == 0: a single attempt (BUSY). */
int ps_sem_acquire(struct ps_sem *s, uint8_t owner, uint32_t lease_ms,
		   uint32_t timeout_ms, uint64_t *token);

/* Heartbeat: prove we are alive; the lease restarts now.  PS_SEM_ERR_LOST if
 * the lock was broken meanwhile (stop, publish nothing). */
int ps_sem_renew(struct ps_sem *s);

/* Fencing check before a final write: still ours under this token?  Renews
 * on success, so the caller has a full lease from this moment. */
int ps_sem_still_held(struct ps_sem *s, uint64_t token);

/*
 * Before writing into a slot of the store: record slot (0..7) in the lock
 * word, which also renews.  A breaker bars the slot its victim claimed to
 * later claims (docs/semaphore.md 4.6): such a claim returns
 * PS_CLAIM_BARRED unless force is set.  Returns, as ps_lock_ops' claim,
 * PS_CLAIM_OK, PS_CLAIM_BROKE (claimed by a hold that broke a claiming
 * one), PS_CLAIM_BARRED, PS_CLAIM_LOST (broken, or not this token's), or
 * PS_SEM_ERR_INVAL.
 */
int ps_sem_claim(struct ps_sem *s, uint64_t token, uint32_t slot, int force);

/* Release.  PS_SEM_ERR_LOST if it had been broken (nothing to release). */
int ps_sem_release(struct ps_sem *s, uint64_t token);

/* A snapshot of the semaphore for `info` and tests (not atomic as a whole:
 * the fields are read one by one). */
struct ps_sem_state {
	uint32_t word;
	uint8_t owner;          /* 0 = free */
	uint8_t last_broken_owner;
	uint32_t version;
	uint8_t claim;          /* slot + 1 the holder is writing, 0 none */
	uint8_t barred;         /* slot + 1 barred by the last break, 0 none */
	uint32_t lease_ms;
	uint64_t seq;
	uint32_t breaks;
	uint32_t waiters;       /* bit n: owner n is waiting */
	uint64_t owner_last_seq[PS_SEM_OWNER_SLOTS];
	uint32_t owner_acquires[PS_SEM_OWNER_SLOTS];
	uint32_t owner_breaks[PS_SEM_OWNER_SLOTS];
};

void ps_sem_peek(const struct ps_sem *s, struct ps_sem_state *st);

/* Printable name of an owner id ("BMC", "hvagent", ...). */
const char *ps_sem_owner_name(unsigned owner);

/* ------------------------------------------------------------ adapter */

/*
 * struct ps_lock_ops over a struct ps_sem (ctx), with ps_lock.h's return
 * conventions: acquire 0 or a PS_SEM_ERR_* (waits s->timeout_ms);
 * still_held 1 held (and renewed), 0 broken or taken over, negative on
 * error; release 0 or PS_SEM_ERR_*.  Firmware uses this one; Linux tools
 * use ps_sem_sys_lock_ops.
 */
extern const struct ps_lock_ops ps_sem_lock_ops;

#ifdef __cplusplus
}
#endif

#endif /* PS_SEM_H */
