/*
 * ps_auth.h - the authenticated store (docs/store.md section 8): a keyed
 * MAC and a monotonic counter in a trailer after each committed store,
 * verified against a key and a counter kept off the media.
 *
 * Freestanding: the trailer, the MAC, the verdict and the commit's seal
 * (ps_auth.c).  Hosted: the key file and counter file providers
 * (ps_auth_host.c).  Where the key and the trusted counter come from is
 * the platform's: a struct ps_auth_provider of callbacks (the BMC's
 * secure storage, a root-only file on the host, later a TPM).
 */
#ifndef PS_AUTH_H
#define PS_AUTH_H

#include "ps_store.h"
#include "ps_sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Slot header flag (ignorable, bits 16-31): a trailer follows the store
 * in the slot's body.  Old readers skip it and read the store as ever. */
#define PS_SLOT_F_AUTH 0x00010000u

#define PS_AUTH_TRAILER_SIZE 64u
#define PS_AUTH_VERSION 1u
#define PS_AUTH_KEY_LEN 32u      /* keys are 32 random bytes */
#define PS_AUTH_KEY_ID_LEN 8u
/* Trailer flag: written without the key (psctl --unverified): no MAC,
 * and the next trusted writer asks before sealing over it. */
#define PS_AUTH_T_UNVERIFIED 0x1u

/* A decoded trailer. */
struct ps_auth_trailer {
	uint32_t flags;                      /* PS_AUTH_T_* */
	uint64_t counter;
	uint8_t key_id[PS_AUTH_KEY_ID_LEN];
	uint8_t mac[PS_SHA256_LEN];
};

/* What a reader concludes of the store it read.  Values are stable:
 * psctl check --verify maps them to exit codes (docs/psctl.1.md). */
enum ps_auth_verdict {
	PS_AUTH_OFF = 0,         /* not authenticated, none expected */
	PS_AUTH_VERIFIED,        /* MAC good, counter current or +1 */
	PS_AUTH_NOKEY,           /* authenticated, but no key here */
	PS_AUTH_UNVERIFIED,      /* written without the key, or stripped */
	PS_AUTH_BADMAC,          /* MAC, key id or trailer wrong: tampered */
	PS_AUTH_ROLLBACK,        /* counter older than the trusted one */
	PS_AUTH_AHEAD,           /* counter past trusted + 1 */
};

/* The verdict's name ("verified", "rolled-back", ...). */
const char *ps_auth_verdict_name(int verdict);

/* Where the key and the trusted counter come from. */
struct ps_auth_provider {
	void *ctx;
	/* The key into key (PS_AUTH_KEY_LEN bytes): PS_OK, PS_ERR_NOKEY. */
	int (*get_key)(void *ctx, uint8_t *key);
	/* The trusted counter: PS_OK, PS_ERR_NOKEY (none: the store was
	 * never put in authenticated mode here), PS_ERR_IO. */
	int (*get_counter)(void *ctx, uint64_t *value);
	/* Raise the trusted counter to value (never lowers it): PS_OK,
	 * PS_ERR_AUTH (value lower), PS_ERR_IO. */
	int (*set_counter)(void *ctx, uint64_t value);
};

struct ps_commit_args;
struct ps_lock;

/* The commit's seal: ps_auth_seal (ps_auth.c).  Reached through struct
 * ps_auth, not called by name from ps_commit.c, so that firmware which
 * never seals does not link the MAC code. */
typedef int (*ps_auth_seal_fn)(struct ps_disk *d, uint32_t ti, uint64_t gen,
			       const uint8_t *store, uint32_t len,
			       const struct ps_commit_args *a,
			       const struct ps_lock *l, uint8_t *sbuf);

/* What a commit seals with (struct ps_commit_args' auth): fill it with
 * ps_auth_arm. */
struct ps_auth {
	const uint8_t *key;      /* PS_AUTH_KEY_LEN bytes; NULL: an
				    unverified write (flag, no MAC) */
	uint64_t counter;        /* the new slot's counter */
	int force;               /* write even if the store is unchanged
				    (init, rotate, accepting an edit) */
	ps_auth_seal_fn seal;    /* ps_auth_seal */
};

/* Fill au to seal commits with key (NULL: unverified) and counter. */
void ps_auth_arm(struct ps_auth *au, const uint8_t *key, uint64_t counter,
		 int force);

/*
 * Commit step 4 (through struct ps_auth): write slot ti's trailer after
 * its store, before the body is flushed, so that durable point A covers
 * it and the header (written last) never names a store without it.
 * PS_OK, PS_ERR_NOSPACE (no room after the store: nothing written),
 * PS_ERR_FENCED, PS_ERR_IO.
 */
int ps_auth_seal(struct ps_disk *d, uint32_t ti, uint64_t gen,
		 const uint8_t *store, uint32_t len,
		 const struct ps_commit_args *a, const struct ps_lock *l,
		 uint8_t *sbuf);

/* The key's id: the first 8 bytes of HMAC-SHA256(key, "pstate key id"). */
void ps_auth_key_id(const uint8_t *key, uint8_t id[PS_AUTH_KEY_ID_LEN]);

/* Decode a trailer (PS_AUTH_TRAILER_SIZE bytes): PS_OK, or PS_ERR_AUTH
 * (bad magic, version, or reserved bits set). */
int ps_auth_trailer_decode(const uint8_t *p, struct ps_auth_trailer *t);
/* Encode t into p (PS_AUTH_TRAILER_SIZE bytes), mac included. */
void ps_auth_trailer_encode(uint8_t *p, const struct ps_auth_trailer *t);

/* The MAC of a slot: HMAC-SHA256(key, hdr[0, 60) || store[0, len) ||
 * trailer[0, 32)), with trailer the encoded trailer (its mac ignored). */
void ps_auth_mac(const uint8_t *key, const uint8_t *hdr, const void *store,
		 uint32_t len, const uint8_t *trailer,
		 uint8_t mac[PS_SHA256_LEN]);

/* The counter rule: PS_AUTH_VERIFIED when slot == trusted or trusted + 1
 * (a power cut between the commit and the counter's increment),
 * PS_AUTH_ROLLBACK when older, PS_AUTH_AHEAD when further ahead. */
int ps_auth_counter_rule(uint64_t slot, uint64_t trusted);

/* What to verify with; key or trusted may be missing. */
struct ps_auth_check {
	const uint8_t *key;      /* NULL: no key here */
	int have_counter;        /* trusted is known */
	uint64_t trusted;
	int expect;              /* the store must be authenticated (this
				    host put it in that mode) */
};

/* What ps_auth_verify found. */
struct ps_auth_result {
	int verdict;             /* enum ps_auth_verdict */
	int sealed;              /* the slot has the header flag */
	int have_trailer;        /* and a trailer that decodes */
	struct ps_auth_trailer t;
};

/*
 * Verify the store ps_read loaded (d's base, bytes in store): read its
 * trailer from the media (sbuf: one sector of scratch), check the MAC and
 * the counter.  Returns PS_OK with r filled, or an I/O error.
 */
int ps_auth_verify(struct ps_disk *d, const void *store,
		   const struct ps_auth_check *c, uint8_t *sbuf,
		   struct ps_auth_result *r);

/*
 * Writers that seal the store with the same key but keep their own
 * trusted counter (the host's TPM or file, the BMC's non-volatile
 * storage): a slot one of them wrote may be many commits past this
 * reader's trusted + 1.  others: a bit per PS_OWNER_* id of such writers.
 * When r's slot (d's base, as ps_auth_verify judged it) is counter-ahead
 * and its owner, under the MAC, is among them, the verdict becomes
 * verified (docs/store.md 8.4); older stays rolled-back.  Returns the
 * verdict.
 */
int ps_auth_accept_others(struct ps_auth_result *r, const struct ps_disk *d,
			  unsigned others);

#ifdef __cplusplus
}
#endif

#endif /* PS_AUTH_H */
