/*
 * ps_lock.h - the writers' lock interface with fencing tokens.
 *
 * Freestanding (ps_lock_take and ps_lock_drop are in ps_commit.c).  The
 * semaphore implements it (ps_sem.h, ps_sem_linux.h).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_LOCK_H
#define PS_LOCK_H

#include "ps_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Lock interface
 *
 * Writers serialise through a lock with fencing tokens; the semaphore
 * (docs/semaphore.md) implements these ops.  acquire returns 0 and a token
 * (a number that grows with every acquire), or a negative error;
 * still_held returns 1 when token is still the current holder's, 0 when
 * the lock was broken or taken over, negative on error; release returns 0
 * or a negative error.  The token of the commit's lock is written into the
 * new slot header.
 */
/* Owner ids, recorded in slot headers and used by the semaphore. */
enum ps_owner {
	PS_OWNER_NONE = 0,
	PS_OWNER_BMC = 1,
	PS_OWNER_AGENT = 2,      /* hypervisor agent (hvagent) */
	PS_OWNER_BIOS = 3,       /* BIOS setup */
	PS_OWNER_OS = 4,         /* OS tools (psctl) */
};

struct ps_lock_ops {
	int (*acquire)(void *ctx, uint8_t owner, uint32_t lease_ms,
		       uint64_t *token);
	int (*still_held)(void *ctx, uint64_t token);
	int (*release)(void *ctx, uint64_t token);
	/*
	 * Optional (NULL: a lock that cannot be broken while its holder
	 * lives, such as a file lock).  Record, under token, that the holder
	 * is about to write slot `slot`, renewing the lock.  A lock broken
	 * after its lease remembers the slot its holder was writing (which
	 * a stalled holder may still write once), and bars it to later
	 * claims unless force is set.  Returns PS_CLAIM_OK or PS_CLAIM_BROKE
	 * (claimed; BROKE: this hold broke one that had claimed a slot, so
	 * the commit skips a generation, docs/store.md section 4),
	 * PS_CLAIM_BARRED (not claimed), PS_CLAIM_LOST (the lock is no
	 * longer token's), or a negative error.
	 */
	int (*claim)(void *ctx, uint64_t token, uint32_t slot, int force);
};

#define PS_CLAIM_OK 0
#define PS_CLAIM_BROKE 1
#define PS_CLAIM_BARRED 2
#define PS_CLAIM_LOST 3

struct ps_lock {
	const struct ps_lock_ops *ops;
	void *ctx;
	uint8_t owner;           /* PS_OWNER_* */
	uint32_t lease_ms;       /* how long a holder may stay silent */
	uint64_t token;          /* valid while held */
	int held;                /* set by ps_lock_take */
};

/*
 * ps_lock_take - hold the lock across several steps (read, edit, commit):
 * commits made while it is held use its token and leave it held.  Without
 * ps_lock_take, ps_commit acquires and releases around its writes.
 * @l:  ops, ctx, owner and lease_ms set; not held
 * Returns 0 (l->token and l->held set), PS_ERR_INVAL (l or its ops NULL,
 * already held), the acquire op's negative error (the semaphore's
 * PS_SEM_ERR_TIMEOUT, ...), or PS_ERR_LOCK when it failed otherwise.
 *
 * ps_lock_drop - release a lock taken by ps_lock_take.
 * @l:  held
 * Returns 0, PS_ERR_INVAL (not held), or the release op's error (the
 * semaphore's PS_SEM_ERR_LOST: the hold had been broken).  l is no longer
 * held either way.
 */
int ps_lock_take(struct ps_lock *l);
int ps_lock_drop(struct ps_lock *l);

#ifdef __cplusplus
}
#endif

#endif /* PS_LOCK_H */
