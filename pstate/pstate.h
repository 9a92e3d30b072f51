/*
 * pstate.h - the pstate store on media: the library's public interface.
 *
 * A pstate store is a PSF byte string (format/psf.h, docs/format.md) kept
 * in a raw partition of a USB key, where BMC firmware on aux power, the
 * hypervisor agent, BIOS setup and psctl all read and edit it.  This header
 * is how they get at it.  The on-media layout (superblocks, slots,
 * generations) is specified byte by byte in docs/store.md.
 *
 * The library has two layers:
 *
 *   freestanding   media interface (ps_media.c), commit protocol
 *                  (ps_commit.c), error strings.  No malloc, no libc I/O:
 *                  BMC firmware links these and supplies every buffer.
 *   hosted         Linux media backends (image file, block device), the
 *                  fault-injecting test backend, and the convenience layer
 *                  ps_store_* / ps_txn_* / ps_update (ps_store.c), which
 *                  allocates.
 *
 * Sections:
 *   1. Errors
 *   2. Media
 *   3. Store on media (freestanding: format, read, commit)
 *   4. Lock interface (implemented by the semaphore, docs/semaphore.md)
 *   5. Hosted store handle and transactions
 *
 * Conventions (libfdt style): every function that can fail returns an int,
 * 0 on success and a negative error code on failure.  Error codes are
 * either PS_ERR_* (below -100) or, where a PSF check or edit failed,
 * PSF_ERR_* (-1 .. -20) passed through unchanged; ps_strerror() names both.
 * A function that fails has changed nothing on media unless its
 * description says otherwise (only an I/O error or a crash in the middle of
 * a commit can leave a half-written slot, which by design is invisible).
 */
#ifndef PSTATE_H
#define PSTATE_H

#include "psf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * 1. Errors
 */

enum ps_err {
	PS_OK = 0,
	PS_ERR_IO = -101,        /* media read, write or flush failed        */
	PS_ERR_NOSTORE = -102,   /* no superblock: the media is not formatted */
	PS_ERR_SUPERBLOCK = -103,/* superblocks both damaged, or disagreeing */
	PS_ERR_GEOMETRY = -104,  /* media or layout sizes unusable           */
	PS_ERR_NOSLOT = -105,    /* no slot holds a valid store               */
	PS_ERR_CONFLICT = -106,  /* media moved past the transaction's base  */
	PS_ERR_FENCED = -107,    /* the writer's lock was lost before publish */
	PS_ERR_LOCK = -108,      /* the lock could not be acquired            */
	PS_ERR_NOSPACE = -109,   /* store larger than a slot, or buffer small */
	PS_ERR_INVAL = -110,     /* invalid argument                          */
	PS_ERR_NOMEM = -111,     /* allocation failed (hosted layer only)     */
	PS_ERR_RDONLY = -112,    /* media opened read-only                    */
	PS_ERR_ABORTED = -113,   /* the edit function asked to stop           */
};
#define PS_ERR_FIRST 101
#define PS_ERR_LAST 113

/*
 * A fixed English description of any error code the library returns:
 * PS_ERR_*, PSF_ERR_* and PS_OK.  Never NULL.
 */
const char *ps_strerror(int err);

/* ===========================================================================
 * 2. Media
 *
 * Linear sectors, nothing else: the store layer reads and writes whole
 * sectors by LBA (0 = first sector of the partition or window).  Every
 * backend is reached through one struct ps_media; the ps_media_read /
 * ps_media_write / ps_media_flush wrappers check bounds and count what
 * went through (stats), whatever the backend.
 */

#define PS_SECTOR_SIZE 512u       /* default and minimum sector size */
#define PS_SECTOR_SIZE_MAX 4096u  /* largest sector size supported   */

/* Backend operations.  Each returns 0 or a negative error (normally
 * PS_ERR_IO).  n is in sectors and never 0; the wrapper has checked
 * lba + n <= sectors.  flush makes every completed write durable (the
 * device's volatile cache included). */
struct ps_media_ops {
	int (*read)(void *ctx, uint64_t lba, uint32_t n, void *buf);
	int (*write)(void *ctx, uint64_t lba, uint32_t n, const void *buf);
	int (*flush)(void *ctx);
	void (*close)(void *ctx);  /* may be NULL; called by ps_media_close */
};

/* What went through a media, counted by the wrappers. */
struct ps_media_stats {
	uint64_t read_calls;
	uint64_t sectors_read;
	uint64_t write_calls;
	uint64_t sectors_written;
	uint64_t bytes_written;    /* sectors_written * sector_size */
	uint64_t flushes;
};

struct ps_media {
	uint32_t sector_size;      /* bytes, 512..4096, a power of two */
	uint64_t sectors;          /* sectors in the partition / window */
	int read_only;             /* writes fail with PS_ERR_RDONLY */
	const struct ps_media_ops *ops;
	void *ctx;                 /* the backend's, passed to every op */
	void *mem;                 /* memory backend's buffer, else NULL */
	struct ps_media_stats stats;
};

/*
 * (a) Callback backend, freestanding: the caller (BMC firmware) supplies
 * sector I/O functions.  sector_size 0 means PS_SECTOR_SIZE.  Fails with
 * PS_ERR_INVAL for a missing read/write/flush op or a bad sector size.
 */
int ps_media_init(struct ps_media *m, const struct ps_media_ops *ops,
		  void *ctx, uint32_t sector_size, uint64_t sectors);

/* Memory backend, freestanding: sectors * sector_size bytes at mem (a RAM
 * disk for tests, benchmarks and firmware simulations). */
int ps_media_init_mem(struct ps_media *m, void *mem, uint32_t sector_size,
		      uint64_t sectors);

/* Sector I/O through the backend, with bounds checks and statistics.
 * Beyond the end: PS_ERR_INVAL, nothing transferred. */
int ps_media_read(struct ps_media *m, uint64_t lba, uint32_t n, void *buf);
int ps_media_write(struct ps_media *m, uint64_t lba, uint32_t n,
		   const void *buf);
int ps_media_flush(struct ps_media *m);

/* Release the backend (its close op) and clear m. */
void ps_media_close(struct ps_media *m);

/* Zero the statistics. */
void ps_media_stats_reset(struct ps_media *m);

/* Flags for the Linux backends. */
#define PS_MEDIA_RDONLY 0x1u  /* open read-only                          */
#define PS_MEDIA_NOSYNC 0x2u  /* flush does nothing (benchmarks, scratch
				 images only: a power cut may lose commits) */

/*
 * (b) Image file (hosted).  The media is the window [offset, offset +
 * length) of the file, so a partition inside a disk image can be used;
 * length 0 means "to the end of the file".  offset and length must be
 * multiples of the sector size.  Flush is fdatasync.
 */
int ps_media_open_image(struct ps_media *m, const char *path,
			uint64_t offset, uint64_t length, uint32_t sector_size,
			unsigned flags);

/*
 * (c) Block device (hosted): a partition of a real USB key, e.g.
 * /dev/sdb3.  Opened O_RDWR (O_RDONLY with PS_MEDIA_RDONLY); flush is
 * fsync, which also flushes the device's write cache, then BLKFLSBUF so
 * later reads come from the device (ignored where not permitted).  The size
 * comes from lseek(SEEK_END), which also works on umockdev's fake nodes
 * where BLKGETSIZE64 does not; the sector size from BLKSSZGET, else 512.
 */
int ps_media_open_blockdev(struct ps_media *m, const char *path,
			   unsigned flags);

/*
 * Fault injection (hosted, for tests and benchmarks).  Wraps a lower media;
 * sector writes are counted one sector at a time (a multi-sector write is
 * split).  Write number crash_at (1-based) is torn: only its first
 * tear_bytes bytes (a multiple of 64, 0..sector_size) reach the lower
 * media and the rest of that sector keeps its old bytes, reads as zeros or
 * reads as 0xFF (fill).  From then on every operation (reads included)
 * fails with PS_ERR_IO, as after a power cut; the test then reopens the
 * lower media.  crash_at 0 never crashes (the wrapper only counts).
 */
enum ps_fault_fill {
	PS_FAULT_KEEP = 0,   /* rest of the torn sector keeps old bytes */
	PS_FAULT_ZERO = 1,   /* ... reads as 0x00 */
	PS_FAULT_ONES = 2,   /* ... reads as 0xFF (erased flash) */
};

struct ps_fault {
	struct ps_media *lower;
	uint64_t crash_at;       /* 1-based sector write to tear; 0 = never */
	uint32_t tear_bytes;     /* bytes of that sector that land */
	enum ps_fault_fill fill;
	uint64_t writes;         /* sector writes seen so far */
	int crashed;             /* set once the crash happened */
	uint8_t sector[PS_SECTOR_SIZE_MAX];  /* scratch for the torn sector */
};

/* m becomes a media with lower's geometry whose ops go through f. */
int ps_media_init_fault(struct ps_media *m, struct ps_fault *f,
			struct ps_media *lower);

/* ===========================================================================
 * 3. Store on media (freestanding)
 *
 * docs/store.md is the normative layout: a superblock in sector 0 and a
 * copy in the last sector; between them slot_count >= 2 slots, each one
 * header sector then body sectors holding a PSF store.  The valid slot with
 * the highest generation is the store; a commit writes generation G+1 into
 * another slot and publishes it by writing that slot's header last.
 */

#define PS_MAX_SLOTS 8u
#define PS_SB_SIZE 512u          /* superblock bytes used in its sector */
#define PS_SLOT_HDR_SIZE 64u     /* slot header bytes used in its sector */
#define PS_SB_VERSION 1u
#define PS_SLOT_VERSION 1u

/* Owner ids, recorded in slot headers and used by the semaphore. */
enum ps_owner {
	PS_OWNER_NONE = 0,
	PS_OWNER_BMC = 1,
	PS_OWNER_AGENT = 2,      /* hypervisor agent (hvagent) */
	PS_OWNER_BIOS = 3,       /* BIOS setup */
	PS_OWNER_OS = 4,         /* OS tools (psctl) */
};

/* One slot's decoded header (valid_hdr: magic, version, index, CRC and
 * length checks passed; the body is checked separately). */
struct ps_slot {
	uint64_t lba;            /* header sector */
	uint32_t sectors;        /* header + body sectors */
	int valid_hdr;
	uint64_t generation;
	uint32_t length;         /* store bytes */
	uint32_t crc;            /* CRC-32C of the store bytes */
	uint64_t token;          /* fencing token of the writer */
	uint8_t owner;           /* PS_OWNER_* of the writer */
	uint64_t timestamp;      /* seconds since 1970 UTC, 0 = unknown */
	uint8_t raw[PS_SLOT_HDR_SIZE];  /* the header bytes as read */
};

/*
 * What a reader knows about one media: geometry from the superblock, every
 * slot's header, and the base of the next commit (the newest valid slot
 * when it was read).  Caller-owned, no pointers to free.
 */
struct ps_disk {
	struct ps_media *media;
	uint32_t sector_size;
	uint64_t sectors;        /* partition sectors per the superblock */
	uint32_t slot_count;
	uint8_t volume_id[16];
	struct ps_slot slot[PS_MAX_SLOTS];
	int base;                /* slot index of the newest valid slot, -1 */
	uint64_t generation;     /* its generation (0: none) */
	uint32_t length;         /* its store length */
};

/* Format options.  Zeroed fields take their defaults. */
struct ps_format_opts {
	uint32_t slot_count;     /* 0: 2 */
	uint32_t slot_sectors;   /* header + body; 0: split the media evenly */
	uint8_t volume_id[16];   /* recorded in the superblock; may be zero */
	const void *store;       /* initial store (valid PSF); NULL: empty */
	uint32_t store_len;
	uint64_t timestamp;
};

/*
 * Lay out the media: invalidate both superblock sectors, write every slot
 * header (slot 0 holds the initial store at generation 1, the others are
 * zeroed and so free), then the backup and primary superblocks, with a
 * flush between phases.  Destroys any store on the media.  sector_buf is
 * one sector of scratch.  Not atomic: a crash leaves either "no store"
 * (PS_ERR_NOSTORE) or the new store, never the old one half-erased and
 * readable.  On success d describes the new media, ready for ps_commit
 * (the initial store is generation 1 in slot 0).
 */
int ps_format(struct ps_disk *d, struct ps_media *m,
	      const struct ps_format_opts *o, void *sector_buf);

/* Bytes of store a slot can hold on this disk (body sectors * sector
 * size, at most PSF_MAX_TOTAL).  A buffer this large suffices for
 * ps_read and for any edit that fits on media. */
uint32_t ps_slot_capacity(const struct ps_disk *d);

/*
 * Read the geometry and every slot header, then load the newest valid
 * store into buf (cap bytes; cap >= the store rounded up to a sector, and
 * >= one sector).  A slot is valid when its header checks out, its body's
 * CRC matches and the PSF store passes psf_check_full; slots that fail are
 * free, and the next newest is tried.  Never writes.  Errors:
 * PS_ERR_NOSTORE, PS_ERR_SUPERBLOCK, PS_ERR_GEOMETRY, PS_ERR_NOSLOT,
 * PS_ERR_NOSPACE (cap too small), PS_ERR_IO.  On success d describes the
 * media and d->base / d->generation the store in buf (length d->length).
 */
int ps_read(struct ps_disk *d, struct ps_media *m, void *buf, size_t cap);

struct ps_lock;

/* Who commits: recorded in the new slot header. */
struct ps_commit_args {
	struct ps_lock *lock;    /* NULL: single writer, token 0 */
	uint8_t owner;           /* PS_OWNER_*, used when lock is NULL */
	uint64_t timestamp;      /* seconds since 1970 UTC, 0 = unknown */
};

/*
 * Commit store (a finished, valid PSF store: psf_finish was called) as the
 * next generation after d's base.  sector_buf is one sector of scratch.
 * args may be NULL (single writer, owner none, no timestamp).
 *
 * When the store is byte-identical to the base, nothing is written and 0
 * is returned with d->generation unchanged.  Otherwise, under the lock
 * (acquired here unless args->lock is already held): check that the media
 * still has d's base as its newest generation (else PS_ERR_CONFLICT),
 * write the body sectors of the target slot that differ, flush, check
 * the lock is still held (else PS_ERR_FENCED), write the slot header,
 * flush.  On success d's base is the new slot.  A failure before the
 * header write leaves the old store newest on media.
 *
 * Errors: PSF_ERR_* (store invalid), PS_ERR_NOSPACE, PS_ERR_CONFLICT,
 * PS_ERR_FENCED, PS_ERR_LOCK (or the lock's own error), PS_ERR_IO,
 * PS_ERR_RDONLY, PS_ERR_INVAL.
 */
int ps_commit(struct ps_disk *d, const void *store, void *sector_buf,
	      const struct ps_commit_args *args);

/* Decode a slot header (64 bytes); 0 when it is a valid header for slot
 * index idx, else PS_ERR_NOSLOT.  Exposed for tools and tests. */
int ps_slot_decode(const void *raw, uint32_t idx, struct ps_slot *s);

/* ===========================================================================
 * 4. Lock interface
 *
 * Writers serialise through a lock with fencing tokens; the semaphore
 * (docs/semaphore.md) implements these ops.  acquire returns 0 and a token
 * (a number that grows with every acquire), or a negative error;
 * still_held returns 1 when token is still the current holder's, 0 when
 * the lock was broken or taken over, negative on error; release returns 0
 * or a negative error.  The token of the commit's lock is written into the
 * new slot header.
 */
struct ps_lock_ops {
	int (*acquire)(void *ctx, uint8_t owner, uint32_t lease_ms,
		       uint64_t *token);
	int (*still_held)(void *ctx, uint64_t token);
	int (*release)(void *ctx, uint64_t token);
};

struct ps_lock {
	const struct ps_lock_ops *ops;
	void *ctx;
	uint8_t owner;           /* PS_OWNER_* */
	uint32_t lease_ms;       /* how long a holder may stay silent */
	uint64_t token;          /* valid while held */
	int held;                /* set by ps_lock_take */
};

/*
 * Hold the lock across several steps (read, edit, commit): commits made
 * while it is held use its token and leave it held.  Without ps_lock_take,
 * ps_commit acquires and releases around its writes.
 */
int ps_lock_take(struct ps_lock *l);
int ps_lock_drop(struct ps_lock *l);

/* ===========================================================================
 * 5. Hosted store handle and transactions (ps_store.c, allocates)
 */

struct ps_store;

/*
 * Open the store on m (not owned: the caller closes it after the store):
 * reads the newest valid slot into memory.  Returns NULL with *err set
 * (when err is not NULL) on failure.
 */
struct ps_store *ps_store_open(struct ps_media *m, int *err);
void ps_store_close(struct ps_store *s);

/* Re-read the newest store from media (after a conflict). */
int ps_store_refresh(struct ps_store *s);

/* The store in memory (valid PSF) and its length and generation. */
const void *ps_store_data(const struct ps_store *s, uint32_t *len);
uint64_t ps_store_generation(const struct ps_store *s);
/* The media state behind the handle (geometry, slot headers). */
const struct ps_disk *ps_store_disk(const struct ps_store *s);

/* Commit with this lock (NULL: single writer) and owner from now on. */
void ps_store_set_writer(struct ps_store *s, struct ps_lock *lock,
			 uint8_t owner);

/*
 * A transaction: a private copy of the store at generation base, in a
 * buffer of cap bytes (the slot capacity) to edit with the psf_* core.
 * Edits need not call psf_finish: commit does.
 */
struct ps_txn {
	struct ps_store *store;
	uint8_t *buf;
	size_t cap;
	uint64_t base;
};

int ps_txn_begin(struct ps_store *s, struct ps_txn *t);

/*
 * Finish the CRCs, check the store (psf_check_full), commit it, free the
 * buffer.  PS_ERR_CONFLICT when the media's newest generation is no longer
 * t->base (the handle keeps its old state: ps_store_refresh, redo).  On
 * success the handle holds the new store.
 */
int ps_txn_commit(struct ps_txn *t);

/* Drop the transaction's buffer; nothing is written. */
void ps_txn_abort(struct ps_txn *t);

/*
 * An edit: change the store in buf (cap bytes) with the psf_* core.
 * Return 0 to commit, negative to abort (returned by ps_update).  Called
 * again on fresh state after a conflict, so it must not depend on having
 * run before.
 */
typedef int (*ps_edit_fn)(void *buf, size_t cap, void *arg);

/*
 * begin, edit, commit; on PS_ERR_CONFLICT refresh and re-apply, at most
 * max_retries more times.  Returns 0, the edit's error, or the commit's
 * (PS_ERR_CONFLICT once the retries are used up).
 */
int ps_update(struct ps_store *s, ps_edit_fn edit, void *arg,
	      int max_retries);

/* ===========================================================================
 * 6. Finding the store on USB keys (ps_locate.c)
 *
 * Discovery itself (ports, priority, partitions) is in ps_discover.h and
 * ps_part.h; these tie it to the store layer's own validation.
 */

struct ps_disc_result;

/*
 * The discovery check: open [offset, offset + length) of dev read-only and
 * read the newest store as ps_store_open would.  0 with "valid store,
 * generation G" in reason, or the error with its description.
 */
int ps_check_partition(void *ctx, const char *dev, uint64_t offset,
		       uint64_t length, char *reason, size_t reason_len);

/*
 * Scan USB keys in priority order and take the first whose pstate
 * partition holds a valid store.  res records every candidate and why it
 * was taken or skipped.  Returns the chosen index into res->cand, or a
 * negative error (PS_ERR_NOSTORE when no key holds a store) with a message
 * in err.  ports_conf NULL: $PSTATE_PORTS_CONF, then
 * /etc/pstate/ports.conf.
 */
int ps_locate(struct ps_disc_result *res, const char *ports_conf,
	      int scan_all, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PSTATE_H */
