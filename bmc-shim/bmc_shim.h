/*
 * bmc_shim.h - the pstate store inside BMC firmware: IPMI OEM command
 * handlers over the freestanding format core and store layer.
 *
 * What the firmware supplies:
 *   - sector I/O for the store's partition on the USB key (struct
 *     ps_media_ops: read, write, flush), and the partition's size;
 *   - the host's power state (a callback: off, aux, on);
 *   - optionally the writers' lock (struct ps_lock over the semaphore the
 *     BMC publishes, pstate.h sections 4 and 8), owner PS_OWNER_BMC;
 *   - the write policy of the platform (enum bmc_gate);
 *   - one struct bmc_shim, statically allocated (it holds every buffer:
 *     the store, the staged write, the request arguments, the result).
 *
 * What it gets: bmc_shim_handle(), which takes one OEM request (the bytes
 * after netfn 0x2E, command and IANA number) and returns an IPMI
 * completion code and the response bytes.  The transport (KCS, IPMB, LAN)
 * stays the firmware's; docs/ipmi-oem.md specifies every byte.
 *
 * Freestanding: no malloc, no libc beyond memcpy/memmove/memset/memcmp,
 * no recursion, no global state; every length in a request is checked
 * before it is used.  A request that is refused changes nothing: edits
 * are made on the in-memory copy of the store and committed only when
 * every check passed; a refused edit reloads the store from media.
 */
#ifndef BMC_SHIM_H
#define BMC_SHIM_H

#include "pstate.h"
#include "bmc_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ protocol */

/* Buffers (bytes).  The store buffer bounds the store the BMC can edit;
 * it must be a multiple of PS_SECTOR_SIZE_MAX. */
#ifndef BMC_SHIM_STORE_MAX
#define BMC_SHIM_STORE_MAX (64u * 1024u)
#endif
#define BMC_SHIM_RESULT_MAX 512u    /* results that are not store bytes */
/* Schema problems of the store before an edit that the shim remembers
 * (a CRC-32C of each problem's report line), to refuse an edit that
 * brings a new one.  Past this many, every problem the edit leaves must
 * be among the ones remembered (docs/ipmi-oem.md, writes). */
#define BMC_SHIM_PROBLEMS_MAX 64u

/* Privilege a command needs: operator for INFO and the read commands,
 * administrator for writes and the lock; 0 for an unknown command. */
unsigned bmc_shim_cmd_priv(uint8_t cmd);

/* ------------------------------------------------------------ platform */

struct bmc_shim_platform {
	const struct ps_media_ops *media_ops;
	void *media_ctx;
	uint32_t sector_size;    /* 0: PS_SECTOR_SIZE */
	uint64_t sectors;        /* of the store's partition */
	/* Host power: enum bmc_power, or negative when unknown (treated
	 * as on: the gate fails safe). */
	int (*host_power)(void *ctx);
	void *power_ctx;
	/* NULL: no semaphore on this platform; owner PS_OWNER_BMC,
	 * lease_ms set.  Its acquire must make one attempt and never wait
	 * (ps_sem with timeout_ms 0): the shim answers busy (0xC0) at once
	 * and the client retries; the semaphore breaks a holder silent for
	 * its lease on the attempt after it (docs/ipmi-oem.md). */
	struct ps_lock *lock;
	/* Who holds the semaphore now (PS_OWNER_*, 0 free), for INFO; may
	 * be NULL (INFO says 0). */
	int (*lock_holder)(void *ctx);
	void *lock_ctx;
	uint8_t gate;            /* enum bmc_gate */
	/* Seconds since 1970 for slot headers and the store record; may
	 * be NULL (firmware without a clock: 0). */
	uint64_t (*now)(void *ctx);
	void *now_ctx;
	/* Random bytes: fill buf with n of them, return 0 (non-zero: none
	 * to give).  Used when a push for this host unassigns the profile
	 * the host carried and a VM in the store carries it too: the VM
	 * gets a fresh UUID and MACs from them.  May be NULL: such a push
	 * is then refused (BMC_CC_CONFLICT). */
	int (*rand)(void *ctx, uint8_t *buf, size_t n);
	void *rand_ctx;
	/* How this host is named in a profile's target: "bmc://NAME".
	 * NUL-terminated, at most 64 bytes; NULL: "localhost". */
	const char *bmc_name;
	/* The authenticated store (docs/store.md 8, docs/security.md): the
	 * store's key (in the BMC's secret storage) and the BMC's trusted
	 * counter (in its own non-volatile storage).  A store sealed, or
	 * expected sealed because the counter exists, is verified at every
	 * load; one that does not verify is refused to every read and write
	 * (BMC_CC_UNVERIFIED), and every commit on a verified one is sealed.
	 * NULL: this BMC neither verifies nor seals. */
	const struct ps_auth_provider *auth;
};

/* ------------------------------------------------------------ context */

/* The state of one shim.  Opaque in use: firmware allocates it
 * (statically), bmc_shim_init fills it. */
struct bmc_shim {
	struct bmc_shim_platform plat;
	struct ps_media media;
	struct ps_disk disk;
	int loaded;                   /* store[] holds disk.generation    */
	uint32_t store_len;
	uint32_t compactions;         /* stores compacted (docs/store.md 7) */
	uint8_t session_seq;          /* last session id handed out       */
	/* read session */
	uint8_t rd_session, rd_op, rd_ran;
	uint16_t rd_arg_len, rd_arg_got;
	uint64_t rd_gen;              /* generation the result is from    */
	uint32_t rd_off, rd_len;      /* result in store[] (rd_in_store)   */
	uint8_t rd_in_store;
	uint16_t rd_result_len;       /* result in result[] otherwise     */
	/* write session: one at a time, open from BEGIN until ABORT, a
	 * refused FINISH or its result read to the end (bmc_shim.c) */
	uint8_t wr_session, wr_op, wr_done;
	uint8_t wr_locked;            /* BEGIN named the client lock's token, */
	uint32_t wr_token;            /* this one                          */
	uint16_t wr_len, wr_got;
	uint16_t wr_result_len, wr_result_hi; /* result bytes, bytes read */
	uint32_t wr_expect;           /* generation the writer expects    */
	uint64_t wr_seen;             /* clock_ms at its last request     */
	uint32_t lease_default;       /* the lock's lease outside LOCK_TAKE */
	/* lock held for a client's sequence (LOCK_TAKE) */
	uint8_t client_lock;
	uint32_t client_token;        /* its token, as LOCK_TAKE gave it  */
	uint64_t lock_seen;           /* clock_ms at the holder's last use */
	uint64_t clock_ms;            /* the platform's clock at the last tick */
	/* schema problems before the edit: CRC-32C of each report line */
	uint8_t prob_new;             /* after: a line not among them     */
	uint16_t prob_n;
	uint64_t prob_seen;           /* after: entries matched, a bit each */
	uint32_t prob_crc[BMC_SHIM_PROBLEMS_MAX];
	/* the loaded store's verdict (bmc_auth.c) */
	uint8_t auth_verdict;         /* enum ps_auth_verdict, BMC_AUTH_FAULT */
	uint64_t auth_counter;        /* the slot's counter                */
	uint64_t auth_trusted;        /* the BMC's counter (0: none yet)   */
	uint64_t auth_next;           /* the counter the commit seals with */
	struct ps_auth auth_seal;
	uint8_t auth_key[PS_AUTH_KEY_LEN]; /* held during a check or seal only */
	uint8_t args[BMC_SHIM_ARGS_MAX];
	uint8_t result[BMC_SHIM_RESULT_MAX];
	uint8_t wr_result[BMC_SHIM_RESULT_MAX];
	uint8_t stage[BMC_SHIM_STAGE_MAX];
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	uint8_t store[BMC_SHIM_STORE_MAX];
};

/*
 * Set the shim up over the platform's media; reads nothing yet (the
 * first request does, so a BMC boots even without a USB key).
 * PS_ERR_INVAL for missing callbacks or a bad geometry.
 */
int bmc_shim_init(struct bmc_shim *s, const struct bmc_shim_platform *p);

/*
 * Handle one request.  req/req_len: the request data after the IANA
 * number; resp (resp_cap >= BMC_SHIM_RESP_MAX) receives the response data
 * that follows the completion code and IANA number, its length in
 * *resp_len (0 unless the code is BMC_CC_OK).  priv is the session's
 * privilege (enum bmc_priv); a transport that enforces
 * bmc_shim_cmd_priv itself passes BMC_PRIV_ADMIN.  Returns the
 * completion code.
 */
uint8_t bmc_shim_handle(struct bmc_shim *s, uint8_t cmd, unsigned priv,
			const uint8_t *req, size_t req_len, uint8_t *resp,
			size_t resp_cap, size_t *resp_len);

/*
 * The BMC's timer: firmware calls this at least once a second (and may
 * before every request) with a monotonic clock in milliseconds.  It ends
 * a write session left idle for BMC_SHIM_SESSION_IDLE_MS and releases a
 * client's lock whose holder sent nothing naming its token for the
 * lock's lease, or that another writer broke.  Without ticks neither
 * ever happens.
 */
void bmc_shim_tick(struct bmc_shim *s, uint64_t now_ms);

/* Release a lock a client took and never released (e.g. when the BMC
 * ends the client's session).  Safe to call at any time. */
void bmc_shim_drop_client_lock(struct bmc_shim *s);

/* Completion code for a library error code (pstate.h section 1). */
uint8_t bmc_shim_cc_for(int err);

/* A fixed English name of a completion code, for logs and clients. */
const char *bmc_shim_cc_name(uint8_t cc);

/* The BMC namespace element recording the identity this physical host
 * carries (under PSF_BMC_STATE at the root): a string holding the NAME of
 * the profile assigned to the host by BMC_WRITE_PROFILE_PUSH. */
#define BMC_HOST_PROFILE PS_BMC_HOST_PROFILE

#ifdef __cplusplus
}
#endif

#endif /* BMC_SHIM_H */
