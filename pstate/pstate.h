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
 * Sections (each says whether it is freestanding or hosted):
 *   1. Errors: one error space for the whole library
 *   2. Media
 *   3. Store on media (freestanding: format, read, commit)
 *   4. Lock interface (implemented by the semaphore, section 9)
 *   5. Hosted store handle and transactions
 *   6. Partitions (hosted: libfdisk, libblkid)
 *   7. Discovery of the USB key, and ps_locate (hosted: libusb, sysfs)
 *   8. Semaphore core (freestanding, docs/semaphore.md)
 *   9. Semaphore on Linux (hosted: /dev/mem, simulation, flock)
 *  10. Configuration edits (freestanding: VMs, NICs, ..., validation)
 *  11. Profile moves (freestanding: the per-store steps of a move)
 *  12. Opening a store at a path, and the default-store search (hosted)
 *
 * This is the library's only public header: tools and tests include
 * "pstate.h" and nothing else from pstate/.  It pulls in no hosted header,
 * so firmware (-ffreestanding, __STDC_HOSTED__ == 0) includes it as it is;
 * the declarations of hosted-only functions are hidden there, so a
 * firmware build that calls one fails to compile instead of failing to
 * link.  Types stay visible everywhere (they cost nothing).
 *
 * Conventions (libfdt style): every function that can fail returns an int,
 * 0 on success and a negative error code on failure.  Error codes are
 * either PS_ERR_* and the other codes of section 1 (-101 .. -131 and
 * -200 .. -210) or, where a PSF check or edit failed, PSF_ERR_* (-1 .. -20)
 * passed through unchanged; ps_strerror() names every one of them.
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

/* Hosted-only declarations are visible when this is true. */
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#define PS_HOSTED 1
#else
#define PS_HOSTED 0
#endif

/*
 * Every code the library returns, in one space that does not overlap the
 * format core's PSF_ERR_* (-1 .. -20), so a caller can pass any result to
 * ps_strerror and a code means the same thing whichever layer produced it.
 * Ranges: store and media -101 .. -113, partitions -114 .. -122, discovery
 * -123 .. -125, configuration edits -126 .. -131 (a missing element is
 * PSF_ERR_NOTFOUND), store again -132, semaphore -200 .. -210 (left where the semaphore protocol
 * document put them).
 */
enum ps_err {
	PS_OK = 0,
	/* Store and media (sections 2-5). */
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
	/* Partitions (section 6). */
	PS_PART_EIO = -114,      /* open/read/write/libfdisk failure          */
	PS_PART_ENODEV = -115,   /* device node missing: vanished, unplugged  */
	PS_PART_ENOTABLE = -116, /* no partition table on the device          */
	PS_PART_ENOTFOUND = -117,/* table present, no pstate partition in it  */
	PS_PART_EDUP = -118,     /* two or more pstate partitions             */
	PS_PART_ERANGE = -119,   /* pstate partition extends past the device  */
	PS_PART_EBUSY = -120,    /* create: device holds a table/data, no force */
	PS_PART_EINVAL = -121,   /* bad argument (size, label)                */
	PS_PART_ENOSPC = -122,   /* create: device too small                  */
	/* Discovery (section 7), beyond the per-candidate reasons. */
	PS_DISC_ENONE = -123,    /* no candidate holds a valid store          */
	PS_DISC_EUSB = -124,     /* libusb failed                             */
	PS_DISC_ECONF = -125,    /* port-priority file unreadable/invalid     */
	/* Configuration edits (section 10). */
	PS_ERR_EXISTS = -126,    /* an element of that name/key exists        */
	PS_ERR_BADVALUE = -127,  /* a value is malformed or out of range      */
	PS_ERR_DUPLICATE = -128, /* MAC/UUID/serial/WWN/port already in use   */
	PS_ERR_BADREF = -129,    /* reference names no existing element       */
	PS_ERR_INUSE = -130,     /* element still referenced by another       */
	PS_ERR_NOFIELD = -131,   /* no such field for this kind of element    */
	PS_ERR_GENERATION = -132,/* the store's generation would wrap         */
	/* Semaphore (sections 8, 9). */
	PS_SEM_ERR_BUSY = -200,      /* held by a live owner; not waiting    */
	PS_SEM_ERR_TIMEOUT = -201,   /* held by a live owner for the whole wait */
	PS_SEM_ERR_LOST = -202,      /* our hold was broken or taken over    */
	PS_SEM_ERR_NOMARKER = -203,  /* no marker signature in the window    */
	PS_SEM_ERR_BADMARKER = -204, /* marker(s) found, every one invalid   */
	PS_SEM_ERR_IO = -205,        /* mapping/reading the memory failed    */
	PS_SEM_ERR_BADSEM = -206,    /* semaphore structure invalid          */
	PS_SEM_ERR_RANGE = -207,     /* semaphore address outside the window */
	PS_SEM_ERR_INVAL = -208,     /* invalid argument                     */
	PS_SEM_ERR_NOTHELD = -209,   /* renew/release without holding        */
	PS_SEM_ERR_PERM = -210,      /* no permission to map the memory      */
};
/* The two contiguous ranges of the codes above (as positive numbers). */
#define PS_ERR_FIRST 101
#define PS_ERR_LAST 132
#define PS_SEM_ERR_FIRST 200
#define PS_SEM_ERR_LAST 210
/* The semaphore code says "success" in its own words. */
#define PS_SEM_OK PS_OK

/*
 * A fixed English description of any error code the library returns:
 * every code above, PSF_ERR_* and PS_OK; "unknown error" otherwise.
 * Freestanding (ps_strerror.c holds only strings).  Never NULL.
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

#if PS_HOSTED
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

/* Drop the page cache's clean pages of m's window (backends (b), (c)), so
 * that the next reads see writes made outside this host's cache; a no-op
 * on other backends.  ps_open_lock calls it each time the lock is taken.
 * Errors: PS_ERR_INVAL (m not opened), PS_ERR_IO. */
int ps_media_drop_cache(struct ps_media *m);
#endif /* PS_HOSTED */

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
	uint8_t raw[PS_SLOT_HDR_SIZE];  /* the header bytes as read (even
					   when invalid, by ps_read) */
	/* Set by ps_read for a slot it tried and found damaged: a valid
	 * header newer than the store, whose body fails its CRC
	 * (PS_ERR_NOSLOT) or the format's checks (that PSF_ERR_*).  Such a
	 * slot is free for readers and committers alike; 0 otherwise. */
	int damage;
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
 * readable.  Then the media is read back as a reader would see it: the
 * geometry (ps_read's errors) and slot 0 (PS_ERR_CONFLICT when its header,
 * PS_ERR_IO when its body is not what was written).  On success d
 * describes the new media, ready for ps_commit (the initial store is
 * generation 1 in slot 0).
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
 * free (those newer than the store are marked damaged: struct ps_slot's
 * damage), and the next newest is tried.  Never writes and takes no lock:
 * safe while other processes commit.  The chosen slot's header is read
 * once more before its body, and when a slot fails all headers are read
 * again; if a commit was published meanwhile the read starts over (up to
 * 32 times), so a concurrent reader gets the newest store, never an older
 * generation or a spurious PS_ERR_NOSLOT (docs/store.md 3.3).  Errors:
 * PS_ERR_NOSTORE, PS_ERR_SUPERBLOCK, PS_ERR_GEOMETRY, PS_ERR_NOSLOT,
 * PS_ERR_NOSPACE (cap too small), PS_ERR_IO, PS_ERR_CONFLICT (commits
 * kept racing the read).  On success d describes the
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
 * still has d's base as its newest generation (else PS_ERR_CONFLICT; a
 * slot ps_read found damaged does not count while its header is as read),
 * claim the target slot from the lock (the first after the base that the
 * lock does not bar), write the body sectors of the target slot that
 * differ (checking, and so renewing, the lock before each write), flush,
 * check the lock is still held (else PS_ERR_FENCED), write the slot
 * header, flush, and read back what readers will see (else
 * PS_ERR_CONFLICT or PS_ERR_IO).  The new generation is the base's + 1,
 * or + 2 after the lock's hold broke a writing one.  On success d's base
 * is the new slot.  A failure before the header write leaves the old
 * store newest on media.
 *
 * Errors: PSF_ERR_* (store invalid), PS_ERR_NOSPACE, PS_ERR_CONFLICT,
 * PS_ERR_FENCED, PS_ERR_LOCK (or the lock's own error), PS_ERR_IO,
 * PS_ERR_GENERATION (the generation would pass 2^64 - 1: nothing
 * written), PS_ERR_RDONLY, PS_ERR_INVAL.
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

/* The function declarations of this section are hosted only. */
#if PS_HOSTED
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

/* What `check` says of a slot of d (as ps_read left it). */
enum ps_slot_state {
	PS_SLOT_FREE = 0,        /* no valid header, or a torn commit */
	PS_SLOT_CURRENT,         /* d's base: the store */
	PS_SLOT_OLDER,           /* a valid header of an older generation */
	PS_SLOT_DAMAGED,         /* a newer generation whose body fails
				    (slot->damage says how): skipped */
};

/* The state of slot i of d, or PS_ERR_INVAL (no d, i out of range). */
int ps_slot_state(const struct ps_disk *d, uint32_t i);

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
 * max_retries more times.  A retry holds the writer's lock (when the
 * handle has one, see ps_store_set_writer) from the refresh to the
 * commit, so under a lock every writer uses, one retry always suffices.
 * Returns 0, the edit's error, the lock's error, or the commit's
 * (PS_ERR_CONFLICT once the retries are used up).
 */
int ps_update(struct ps_store *s, ps_edit_fn edit, void *arg,
	      int max_retries);
#endif /* PS_HOSTED */

/* ===========================================================================
 * 6. Partitions (types freestanding, functions hosted: ps_part.c)
 *
 * The store lives in one primary partition with a type no common tool
 * uses (docs/discovery.md lists what was checked):
 *
 *   MBR ("dos") type byte  0x6b
 *   GPT type GUID          9c00fab3-18a7-43b6-82bb-c5e429b0ef53
 *
 * ps_part_create() writes a fresh partition table (libfdisk) holding only
 * that partition, placed at the END of the device so that the space from
 * 1 MiB onwards stays one free run for the hypervisor's boot partitions.
 * ps_part_find() probes an existing table (libblkid) and returns the byte
 * range of the pstate partition.  Both work on block devices and on plain
 * image files alike; they never rely on ioctl(BLKGETSIZE64), which fails
 * under umockdev, but on lseek(SEEK_END).
 */

#define PS_PART_MBR_TYPE     0x6bu
#define PS_PART_GPT_TYPE     "9c00fab3-18a7-43b6-82bb-c5e429b0ef53"
#define PS_PART_DEFAULT_SIZE (4u << 20) /* 4 MiB */
#define PS_PART_ALIGN	     (1u << 20) /* start on a 1 MiB boundary */
/* Table slots we use: the last primary MBR slot and the last GPT entry,
 * so that partition numbers 1.. stay free for the hypervisor's installer. */
#define PS_PART_MBR_PARTNO 4
#define PS_PART_GPT_PARTNO 128

enum ps_part_label { PS_PART_LABEL_MBR, PS_PART_LABEL_GPT };

struct ps_part_info {
	uint64_t offset;   /* bytes from the start of the device */
	uint64_t length;   /* bytes */
	uint64_t dev_size; /* bytes, from lseek(SEEK_END) */
	int partno;	   /* 1-based, as fdisk/blkid number it */
	enum ps_part_label label;
};

struct ps_part_create_opts {
	enum ps_part_label label;
	/* bytes; 0 = PS_PART_DEFAULT_SIZE; rounded up to whole sectors */
	uint64_t size;
	int force;     /* overwrite an existing table or data */
};

#if PS_HOSTED
/*
 * Probe `path` for the pstate partition.  On success fills *out and
 * returns 0.  On failure returns a PS_PART_E* code (section 1) and, when
 * err is not NULL, a one-line message naming the device and what was
 * wrong.
 */
int ps_part_find(const char *path, struct ps_part_info *out, char *err,
		 size_t errlen);

/*
 * Write a new partition table holding only the pstate partition.
 * Refuses (PS_PART_EBUSY, nothing written) when libblkid finds a
 * partition table or a filesystem/RAID/... signature, unless opts->force.
 * On success re-probes with ps_part_find() and fills *out (may be NULL).
 */
int ps_part_create(const char *path, const struct ps_part_create_opts *opts,
		   struct ps_part_info *out, char *err, size_t errlen);

const char *ps_part_label_name(enum ps_part_label label);
#endif /* PS_HOSTED */

/* ===========================================================================
 * 7. Discovery of the USB key (hosted: ps_discover.c, ps_locate.c)
 *
 * 1. Enumerate USB devices with libusb; keep those with a mass-storage
 *    interface (class 0x08).  Each one's port path (bus + libusb port
 *    numbers) names its sysfs directory /sys/bus/usb/devices/B-P.P.P,
 *    under which the SCSI layer hangs the block device(s):
 *    B-P:C.I/hostN/targetN:C:T/H:C:T:L/block/sdX  ->  /dev/sdX.
 * 2. Order the candidates: ports listed in the port-priority file first
 *    (in file order), then externally accessible ports (sysfs
 *    port/connect_type "hotplug"), then unknown, then internal
 *    ("hardwired"); ties by port path, numerically.
 * 3. Probe in that order: ps_part_find(), then the caller's check
 *    callback (the store layer decides what a valid store is).  The first
 *    valid one is chosen; every candidate carries the reason it was taken
 *    or skipped.
 *
 * Paths are the real /sys and /dev; under umockdev's preload the same
 * calls land in the test bed, so tests exercise this exact code.
 * See docs/discovery.md.
 */

#define PS_DISC_MAX	  32 /* candidates kept (block devices) */
#define PS_DISC_MAX_PORTS 7  /* USB allows 7 tiers below the root */
#define PS_PORTS_CONF	  "/etc/pstate/ports.conf"
#define PS_PORTS_CONF_ENV "PSTATE_PORTS_CONF"

/* Where the port is, from the kernel's port/connect_type; the enum order
 * is the priority order. */
enum ps_port_kind {
	PS_PORT_EXTERNAL = 0, /* "hotplug": a socket the operator can reach */
	PS_PORT_UNKNOWN = 1,  /* "unknown", "not used", missing attribute */
	PS_PORT_INTERNAL = 2, /* "hardwired": soldered/internal header */
};

enum ps_disc_status {
	PS_DISC_CHOSEN = 0, /* holds a valid store, highest priority */
	PS_DISC_VALID,	    /* valid too, but a higher-priority key won */
	PS_DISC_NOT_PROBED, /* after the chosen one; scan_all not set */
	PS_DISC_NO_BLOCK,   /* mass storage without a block device */
	PS_DISC_GONE,	    /* device node vanished / cannot be opened */
	PS_DISC_NO_TABLE,   /* no partition table */
	PS_DISC_NO_PART,    /* table without a pstate partition */
	PS_DISC_BAD_PART,   /* two pstate partitions, past the end, I/O */
	PS_DISC_INVALID,    /* check callback says the store is invalid */
};

struct ps_disc_cand {
	uint8_t bus;
	uint8_t ports[PS_DISC_MAX_PORTS];
	int nports;
	char port_path[32]; /* sysfs name, e.g. "1-2.3" */
	uint16_t vid, pid;
	enum ps_port_kind kind;
	int conf_rank; /* line order in ports.conf, -1 if absent */
	char dev[64];  /* "/dev/sdb", or "" */
	enum ps_disc_status status;
	int code; /* ps_part or check() code behind status */
	char reason[384];
	struct ps_part_info part; /* valid when the partition was found */
};

struct ps_disc_result {
	struct ps_disc_cand cand[PS_DISC_MAX];
	int n;	       /* candidates, in priority order */
	int chosen;    /* index into cand[], or -1 */
	int truncated; /* more than PS_DISC_MAX were seen */
};

/*
 * Store validation, owned by the store layer: 0 when the partition at
 * [offset, offset+length) of dev holds a valid store; otherwise a negative
 * code and a reason in reason[0..reason_len).
 */
typedef int (*ps_disc_check_fn)(void *ctx, const char *dev, uint64_t offset,
				uint64_t length, char *reason,
				size_t reason_len);

struct ps_disc_opts {
	/* NULL: any pstate partition counts as valid */
	ps_disc_check_fn check;
	void *check_ctx;
	/* NULL: $PSTATE_PORTS_CONF, then /etc/pstate/ports.conf */
	const char *ports_conf;
	/* probe every candidate, not only up to the first valid one */
	int scan_all;
};

#if PS_HOSTED
/* Phase 1: enumerate and order; no device node is opened.  Fills res
 * (every candidate with status NOT_PROBED or NO_BLOCK). */
int ps_disc_enumerate(const struct ps_disc_opts *opts,
		      struct ps_disc_result *res, char *err, size_t errlen);

/* Phase 2: probe the enumerated candidates in order. */
int ps_disc_probe(const struct ps_disc_opts *opts, struct ps_disc_result *res,
		  char *err, size_t errlen);

/* Both phases.  0 with res->chosen >= 0, or PS_DISC_E* (section 1). */
int ps_disc_scan(const struct ps_disc_opts *opts, struct ps_disc_result *res,
		 char *err, size_t errlen);

const char *ps_disc_status_name(enum ps_disc_status s);
const char *ps_port_kind_name(enum ps_port_kind k);

/* One line per candidate, as `psctl scan` prints them. */
int ps_disc_format(const struct ps_disc_cand *c, char *buf, size_t len);

/*
 * The discovery check: open [offset, offset + length) of dev read-only and
 * read the newest store as ps_store_open would.  0 with "valid store,
 * generation G" in reason, or the error with its description.
 */
int ps_check_partition(void *ctx, const char *dev, uint64_t offset,
		       uint64_t length, char *reason, size_t reason_len);

/*
 * Scan USB keys in priority order and take the first whose pstate
 * partition holds a valid store: ps_disc_scan with ps_check_partition, so
 * "valid" in a scan report means "would open".  res records every
 * candidate and why it was taken or skipped.  Returns the chosen index
 * into res->cand, or a negative error (PS_ERR_NOSTORE when no key holds a
 * store, PS_DISC_E*) with a message in err.  ports_conf NULL:
 * $PSTATE_PORTS_CONF, then /etc/pstate/ports.conf.
 */
int ps_locate(struct ps_disc_result *res, const char *ports_conf,
	      int scan_all, char *err, size_t errlen);
#endif /* PS_HOSTED */

/* ===========================================================================
 * 8. Semaphore core (freestanding: ps_sem.c)
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
 * are in section 9.  The lock word layout is internal to ps_sem.c.
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

/* Owner ids (lock word bits 0-3): the PS_OWNER_* of section 3.  0 means
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
 * struct ps_lock_ops over a struct ps_sem (ctx), with pstate.h's return
 * conventions: acquire 0 or a PS_SEM_ERR_* (waits s->timeout_ms);
 * still_held 1 held (and renewed), 0 broken or taken over, negative on
 * error; release 0 or PS_SEM_ERR_*.  Firmware uses this one; Linux tools
 * use ps_sem_sys_lock_ops.
 */
extern const struct ps_lock_ops ps_sem_lock_ops;

/* ===========================================================================
 * 9. Semaphore on Linux (hosted: ps_sem_linux.c)
 *
 *   /dev/mem     real hosts: the legacy BIOS range is mapped read-only and
 *                scanned for the marker, then the semaphore's physical page
 *                is mapped read-write (needs root / CAP_SYS_RAWIO).
 *   simulation   two files: one stands for the BIOS window 0xE0000-0xFFFFF
 *                (0x20000 bytes), one for the BMC's shared memory at
 *                physical address PS_SEM_SIM_SHM_PHYS.  ps_sem_sim_create
 *                makes such a pair; the simulated BMC and the tests use it.
 *   flock        the fallback when no marker exists (a platform whose BMC
 *                never writes): an advisory lock file for writers on this
 *                host only.  ps_sem_sys_describe says so, for `info`.
 *
 * Configuration: struct ps_sem_config, whose NULL/0 fields take these
 * environment variables:
 *   PSTATE_SEM_MODE     auto (default) | devmem | sim | flock
 *   PSTATE_SEM_BIOS     simulation: the BIOS-window file   } both set: sim
 *   PSTATE_SEM_SHM      simulation: the shared-memory file }
 *   PSTATE_SEM_DEVMEM   the physical-memory device (default /dev/mem)
 *   PSTATE_LOCK_FILE    the flock fallback's lock file
 *   PSTATE_LOCK_DIR     where derived lock files go (default: for root
 *                       PS_SEM_LOCK_DIR, else $XDG_RUNTIME_DIR/pstate, or
 *                       /tmp/pstate-<uid> without it)
 *
 * The flock fallback's files (docs/semaphore.md): one per store,
 * "pstate-<key>.lock" (ps_open_key) in the lock directory, which is
 * created mode 0700 when missing.  Refused (PS_SEM_ERR_PERM, the reason in
 * ps_sem_sys_describe): a directory or file that is a symbolic link, is
 * owned by another user (root may own the directory), or is writable by
 * group or others; a lock file that is not a regular file of one link.
 * The lock file is created mode 0600 and holds the fencing counter.
 */

/* The lock directory of root's writers. */
#define PS_SEM_LOCK_DIR "/run/pstate"

/* Physical address the simulated shared-memory file starts at. */
#define PS_SEM_SIM_SHM_PHYS 0xFD000000ull
#define PS_SEM_SIM_SHM_SIZE 0x1000u
#define PS_SEM_SIM_MARKER_OFF 0x10000u /* marker at 0xF0000 */
#define PS_SEM_SIM_SEM_OFF 0x100u

#define PS_SEM_DEFAULT_TIMEOUT_MS 30000u
#define PS_SEM_DEFAULT_LEASE_MS 10000u

enum ps_sem_mode {
	PS_SEM_MODE_AUTO = 0, /* sim if configured, else /dev/mem, else flock */
	PS_SEM_MODE_DEVMEM,
	PS_SEM_MODE_SIM,
	PS_SEM_MODE_FLOCK,
};

struct ps_sem_config {
	int mode;               /* enum ps_sem_mode */
	const char *bios_file;  /* simulation */
	const char *shm_file;
	const char *devmem_path;
	const char *lock_file;  /* flock fallback */
	const char *store_key;  /* the store's key (ps_open_key): names the
				   lock file; [0-9A-Za-z_.-], 1-64 chars */
	const char *store_path; /* without a key: the image or device whose
				   device/inode numbers name the lock file */
	uint32_t timeout_ms;    /* acquire wait; 0 = PS_SEM_DEFAULT_TIMEOUT_MS */
};

/* An opened semaphore, whichever backend it came from. */
struct ps_sem_sys {
	int mode;               /* resolved: DEVMEM, SIM or FLOCK */
	struct ps_sem sem;      /* DEVMEM and SIM */
	struct ps_sem_marker marker;
	void *bios_map;
	size_t bios_len;
	void *sem_map;
	size_t sem_map_len;
	int lock_fd;            /* FLOCK */
	int flock_held;
	uint64_t flock_token;
	uint32_t timeout_ms;
	char lock_path[512];
	char desc[1536];         /* how the lock was chosen, for `info` */
};

#if PS_HOSTED
/*
 * Open the semaphore as configured (cfg may be NULL: environment only).
 * With no marker, falls back to flock and says why in the description.
 * A marker that exists but is invalid, or a semaphore that cannot be
 * mapped or validated, is an error (not a fallback): a BMC that publishes
 * a semaphore may be writing, and ignoring it would trample its updates.
 * On error, ps_sem_sys_describe still says what went wrong.
 */
int ps_sem_sys_open(struct ps_sem_sys *s, const struct ps_sem_config *cfg);
void ps_sem_sys_close(struct ps_sem_sys *s);

/* One line for `info`: backend, addresses, BMC policy, or the fallback. */
const char *ps_sem_sys_describe(const struct ps_sem_sys *s);

/* The semaphore's current state; PS_SEM_ERR_INVAL in flock mode. */
int ps_sem_sys_peek(const struct ps_sem_sys *s, struct ps_sem_state *st);

/* ps_lock_ops over a struct ps_sem_sys (ctx); acquire waits timeout_ms. */
extern const struct ps_lock_ops ps_sem_sys_lock_ops;

/* Simulation pair layout; NULL options = the PS_SEM_SIM_* defaults. */
struct ps_sem_sim_opts {
	uint32_t marker_off;   /* in the BIOS file, 16-byte aligned */
	uint32_t sem_off;      /* in the shm file, 8-byte aligned */
	uint32_t shm_size;
	uint32_t min_lease_ms;
	uint8_t flags;         /* PS_SEM_F_* */
	uint8_t no_marker;     /* a platform without a semaphore */
};

/*
 * Create (or atomically replace, by rename) a simulated BIOS window file
 * and BMC shared-memory file: the marker with the right checksum pointing
 * at a free, zeroed semaphore.  Processes that still map an old pair keep
 * the old files.
 */
int ps_sem_sim_create(const char *bios_file, const char *shm_file,
		      const struct ps_sem_sim_opts *o);

/* CLOCK_MONOTONIC milliseconds and a yield-then-sleep back-off. */
extern const struct ps_sem_clock ps_sem_linux_clock;
#endif /* PS_HOSTED */


/* ===========================================================================
 * 10. Configuration edits (freestanding: pstate/ps_value.c, ps_fields.c,
 *     ps_field_text.c, ps_room.c, ps_obj.c, ps_obj_set.c, ps_ident.c,
 *     ps_target.c, ps_assign.c, ps_check.c; pstate/pstate.mk PSTATE_CORE)
 *
 * The edit operations of docs/schema.md and their validation, once, for
 * every front end: psctl, the BMC shim and hvagent call these on a store
 * in a caller's buffer (buf, cap), e.g. a transaction's (section 5).  No
 * malloc, no libc beyond psf_env.h, bounded stack: firmware links it.
 *
 * Objects.  Top-level objects (VM, network, image, reservation, profile,
 * server) live in their set under the root; NICs, storage controllers and serial
 * ports in their set under a VM.  Each object is found by its key: the
 * NAME for all but serial ports, whose key is the guest port number
 * ("0" = COM1) held in SERIAL_CONFIG.  "parent" below is psf_root(buf) for
 * top-level objects and the VM's offset for the others.
 *
 * Fields.  Every settable property has a keyword ("memory", "mac", ...)
 * and a type; ps_obj_set parses the text with the type's parser, checks
 * the cross-element rules, and writes.  ps_obj_set_value takes the parsed
 * value instead (BMC firmware gets binary values over IPMI).  ps_obj_get
 * formats a field back to text, so front ends print what they parse.
 *
 * Write budget.  Objects are created with their NAME, a full-size default
 * record, and a trailing pad (PS_CFG_ROOM_*) of room.  Record fields are
 * then overwritten in place (psf_wip_write); a string or list that grows
 * takes its bytes from the nearest pad after it in the same object (or an
 * enclosing one), so only the bytes between the edit and that pad move
 * and the tail of the store stays where it is.  Only when no pad has room
 * does the tail move (psf_set_payload's own fallback).
 *
 * Deletion uses psf_wip_nop: the element becomes a pad of the same size
 * and nothing else moves, so deleting one VM among a thousand rewrites
 * only that VM's sectors (psf_delete would move every later VM).  The pad
 * left behind is room for later growth of what precedes it.  Reads skip
 * pads; NIC indices (VM_CONFIG pxe-nic) do not count them.
 *
 * Offsets.  An edit may move elements that follow the edited spot (up to
 * the pad that pays for it), never the ones that enclose or precede it:
 * an object's own offset stays valid across edits of its fields, and
 * anything else should be found again after an edit.
 *
 * Errors.  PSF_ERR_NOTFOUND (no such object), PS_ERR_EXISTS,
 * PS_ERR_BADVALUE, PS_ERR_DUPLICATE, PS_ERR_BADREF, PS_ERR_INUSE,
 * PS_ERR_NOFIELD, PSF_ERR_NOSPACE (the buffer is full).  Every check is
 * made before the first byte changes, so a failed call leaves buf as it
 * was -- except PSF_ERR_NOSPACE in the middle of a create, after which the
 * caller must discard the buffer (a transaction does: ps_txn_abort).
 * When e is not NULL it says which field, why, and for a clash who else
 * holds the value.
 */

#define PS_CFG_NAME_MAX 64u      /* names: 1-64 of A-Za-z0-9._- */
#define PS_CFG_TEXT_MAX 255u     /* description, path, uplink, target */
#define PS_CFG_SERIAL_MAX 64u    /* SMBIOS serial number */
#define PS_CFG_VALUE_MAX 256u    /* largest parsed value (bytes) */
#define PS_CFG_LIST_MAX 16u      /* MACs, WWN pairs, FC boot entries */
#define PS_CFG_BOOT_MAX 8u       /* boot order entries */
#define PS_CFG_CPUS_MAX 4096u    /* vcpus, sockets, cores, threads */

/* Pad room given to a new object or set (payload bytes of its pad). */
#define PS_CFG_ROOM_SET 256u
#define PS_CFG_ROOM_VM 192u
#define PS_CFG_ROOM_PROFILE 128u
#define PS_CFG_ROOM_OTHER 48u    /* network, image, reservation */
#define PS_CFG_ROOM_SUB 16u      /* NIC, controller, serial port */

enum ps_obj {
	PS_OBJ_VM,
	PS_OBJ_NETWORK,
	PS_OBJ_IMAGE,
	PS_OBJ_RESERVATION,
	PS_OBJ_PROFILE,
	PS_OBJ_NIC,          /* under a VM */
	PS_OBJ_CONTROLLER,   /* under a VM: storage */
	PS_OBJ_SERIAL,       /* under a VM: key is the port number */
	PS_OBJ_SERVER,       /* the pool's server directory (top level) */
	PS_OBJ_COUNT
};

/* Field types (struct ps_field.type). */
enum ps_ftype {
	PS_FT_NAME,     /* the NAME string: rename, unique in its set       */
	PS_FT_TEXT,     /* printable text, 0-255 bytes; empty removes it     */
	PS_FT_SERIAL,   /* serial number, unique among VMs and profiles      */
	PS_FT_HOST,     /* host name: letters, digits, '-', '.'; 1-253       */
	PS_FT_REF,      /* name of an object of kind arg; empty removes it   */
	PS_FT_UINT,     /* record integer in [min, max] (decimal or 0x hex)  */
	PS_FT_SIZE,     /* record u64, size with units; stored / arg bytes   */
	PS_FT_ENUM,     /* record u8 by name (names)                         */
	PS_FT_BOOL,     /* record u8 bit arg (on/off); max 1 = inverted      */
	PS_FT_UUID,     /* record u8[16], unique among VMs and profiles      */
	PS_FT_MAC,      /* record u8[6], unique                              */
	PS_FT_BOOT,     /* BOOT_ORDER list: disk,cdrom,network,floppy        */
	PS_FT_MACLIST,  /* MAC_LIST: MAC,MAC,...                             */
	PS_FT_WWNLIST,  /* WWN_LIST: WWNN/WWPN,...                           */
	PS_FT_FCBOOT,   /* FC_BOOT: WWPN/LUN,...                             */
	PS_FT_DURATION, /* record u32 seconds: 90, 90s, 10m, 1h, 1d           */
	PS_FT_PRESENCE, /* container sig under the object: on creates it,
			   off removes it with everything in it             */
	PS_FT_RLOG,     /* RESTART_LOG: shown as text; only "" (clear) set   */
	PS_FT_PTARGET,  /* a server's physical target, no #VM; unique among
			   servers in any spelling (ps_target_norm)         */
};

struct ps_enum {
	const char *name;
	uint8_t value;
};

/* One settable field.  Tables end with a NULL name. */
struct ps_field {
	const char *name;         /* keyword, e.g. "memory"                 */
	uint32_t sig;             /* string/list element, or record         */
	uint8_t type;             /* enum ps_ftype                          */
	uint8_t width;            /* record field bytes                     */
	uint16_t off;             /* record field offset                    */
	uint32_t arg;             /* REF: enum ps_obj; SIZE: stored unit in
				     bytes; BOOL: the bit; UINT: 1 = unique
				     in the store, 2 = unique in the VM    */
	uint32_t unit_in;         /* SIZE: unit of a bare number, bytes     */
	uint64_t min, max;        /* UINT/SIZE range (stored units); BOOL:
				     max 1 = the bit means "off"           */
	const struct ps_enum *names; /* ENUM names                          */
	const char *help;         /* one line for usage and completion      */
	uint32_t in;              /* 0: sig is a child of the object; else
				     a container child of the object that
				     holds sig (RESTART_POLICY), created by
				     the first set of a field in it        */
};

/* Why a call failed: which field, why, and who else holds the value. */
struct ps_cfg_err {
	const char *field;        /* keyword, or NULL                       */
	const char *why;          /* fixed English reason, or NULL          */
	char holder[160];         /* e.g. "nic 'eth0' of vm 'web1'", or ""  */
	char value[48];           /* the clashing value as text when the
				     caller did not give it (profile
				     assign: a MAC taken from the
				     profile), or ""                      */
};

/* A parsed value: integers in u, byte strings/lists in b[0..len). */
struct ps_value {
	uint64_t u;
	uint32_t len;
	uint8_t b[PS_CFG_VALUE_MAX];
};

/* Kind names ("vm", "network", "image", "reservation", "profile", "nic",
 * "controller", "serial-port") and their fields. */
const char *ps_obj_name(enum ps_obj k);
const struct ps_field *ps_obj_fields(enum ps_obj k);
const struct ps_field *ps_obj_field(enum ps_obj k, const char *name,
				    size_t len);

/* The object of kind k with key (s, n) under parent: its offset, or
 * PSF_ERR_NOTFOUND. */
int ps_obj_find(const void *buf, int parent, enum ps_obj k, const char *s,
		size_t n);

/* Iterate the objects of kind k under parent: prev < 0 starts; returns
 * the next offset or PSF_ERR_NOTFOUND at the end. */
int ps_obj_next(const void *buf, int parent, enum ps_obj k, int prev);

/* The key of an object as text (name, or port number), NUL-terminated
 * and truncated to outlen; returns its length. */
size_t ps_obj_key(const void *buf, int elem, enum ps_obj k, char *out,
		  size_t outlen);

/* Create an object with key (s, n) and default fields.  Returns its
 * offset.  Fails with PS_ERR_BADVALUE (key), PS_ERR_EXISTS. */
int ps_obj_create(void *buf, size_t cap, int parent, enum ps_obj k,
		  const char *s, size_t n, struct ps_cfg_err *e);

/* Delete the object at elem (psf_wip_nop).  PS_ERR_INUSE when another
 * element refers to it (a NIC to a network, ...), naming the holder. */
int ps_obj_delete(void *buf, int elem, enum ps_obj k, struct ps_cfg_err *e);

/* Set a field from text (vlen 0: the empty string, which removes
 * optional strings and references). */
int ps_obj_set(void *buf, size_t cap, int elem, enum ps_obj k,
	       const char *field, size_t flen, const char *val, size_t vlen,
	       struct ps_cfg_err *e);

/* Set a field from a parsed value, with every check ps_obj_set makes. */
int ps_obj_set_value(void *buf, size_t cap, int elem, enum ps_obj k,
		     const struct ps_field *f, const struct ps_value *v,
		     struct ps_cfg_err *e);

/* A field's current value as text (NUL-terminated, truncated to outlen;
 * "" for an absent string).  Returns the untruncated length. */
size_t ps_obj_get(const void *buf, int elem, const struct ps_field *f,
		  char *out, size_t outlen);

/* Parse text for field f into v (no store access).  PS_ERR_BADVALUE with
 * e->why. */
int ps_field_parse(const struct ps_field *f, const char *s, size_t n,
		   struct ps_value *v, struct ps_cfg_err *e);

/* Value parsers: length-delimited text, no terminator needed.  0 or
 * PS_ERR_BADVALUE with *why set (why may be NULL). */
int ps_check_name(const char *s, size_t n, const char **why);
int ps_parse_mac(const char *s, size_t n, uint8_t mac[6], const char **why);
int ps_parse_uuid(const char *s, size_t n, uint8_t uuid[16],
		  const char **why);
int ps_parse_wwn(const char *s, size_t n, uint8_t wwn[8], const char **why);
int ps_parse_uint(const char *s, size_t n, uint64_t min, uint64_t max,
		  uint64_t *out, const char **why);
/*
 * A size: digits, optional spaces, optional unit (case-insensitive):
 *   none           default_unit bytes (e.g. 1 << 20 for "MiB by default")
 *   B bytes        1
 *   K KiB          1024        KB   1000
 *   M MiB          1024^2      MB   1000^2
 *   G GiB          1024^3      GB   1000^3
 *   T TiB          1024^4      TB   1000^4
 * Whole numbers only (no "1.5G"); overflow past 2^64 - 1 is rejected.
 * The one size rule of the project (libvirt's; docs/schema.md "Sizes").
 * 0, or PS_ERR_BADVALUE with *why ("not a number", "number too large",
 * "unknown unit (...)", "size too large").
 */
int ps_parse_size(const char *s, size_t n, uint64_t default_unit,
		  uint64_t *bytes, const char **why);
/* Boot order: comma-separated disk|hd, cdrom|cd, network|net|pxe,
 * floppy|fd; each at most once; at most PS_CFG_BOOT_MAX. */
int ps_parse_boot(const char *s, size_t n, uint8_t *codes, uint32_t *count,
		  const char **why);
/* One of names (exact, case-insensitive). */
int ps_parse_enum(const char *s, size_t n, const struct ps_enum *names,
		  uint8_t *out, const char **why);

/* Formatters: NUL-terminated lower-case text. */
void ps_fmt_mac(const uint8_t mac[6], char out[18]);
void ps_fmt_uuid(const uint8_t uuid[16], char out[37]);
void ps_fmt_wwn(const uint8_t wwn[8], char out[24]);

/* Generators from caller-supplied random bytes (the caller owns the
 * entropy: /dev/urandom, a TRNG, ...).  A locally administered unicast
 * MAC (octet 0: bit 1 set, bit 0 clear) and an RFC 4122 version 4 UUID. */
void ps_gen_mac(const uint8_t rnd[6], uint8_t mac[6]);
void ps_gen_uuid(const uint8_t rnd[16], uint8_t uuid[16]);

/*
 * Profile assignment (docs/schema.md, PROFILE).  A target is
 *   bmc://HOST[:PORT]   a physical server's BMC (HOST a host name, an
 *                       IPv4 address or [IPv6]; PORT 1-65535)
 *   vm:NAME or NAME     a VM in this store
 * ps_parse_target sets *kind (PSF_TARGET_PHYSICAL / PSF_TARGET_VM) and,
 * for a VM, the name's span s[*name_off .. + *name_len).
 *
 * ps_profile_assign: the profile at prof becomes assigned to target.  For
 * a VM, in the same edit, the VM's profile-ref names the profile and the
 * VM takes the profile's identity: its UUID and serial number become the
 * profile's (when the profile has them) and its NICs, in NIC order, take
 * the profile's mac-list (NICs past the list keep their MACs; MACs past
 * the NICs stay unused), and its boot order when it has one (PXE on when
 * that starts with network).  Refused, nothing written:
 *   PS_ERR_BADVALUE   target syntax (e->field "target")
 *   PSF_ERR_NOTFOUND  no such VM (e->field "target")
 *   PS_ERR_INUSE      the profile is assigned or in transit (e->why
 *                     "already assigned to", e->holder its target, e.g.
 *                     "vm 'web1'"), or carried by another VM ("already
 *                     carried by", holder "vm 'x'"; e->field NULL for
 *                     both), or the VM carries another profile (e->field
 *                     "target", why "already carries", holder "profile
 *                     'p'")
 *   PS_ERR_DUPLICATE  a value the VM would take is held by another VM or
 *                     profile, or by one of the VM's own NICs past the
 *                     list (e->field "uuid"/"serial"/"mac", e->value the
 *                     value, e->holder who has it)
 *
 * ps_profile_unassign: clears the profile's state, target kind and target
 * and every VM's profile-ref to it.  Such a VM does not keep the
 * profile's identity (the profile stays in the store and may be assigned
 * elsewhere: the same UUID or MAC must never be live on two machines) and
 * its old identity is not restored (it was not kept, and may be in use
 * again): each value it shares with the profile is replaced -- a fresh
 * UUID (16 bytes of rnd) and fresh locally administered MACs (6 bytes
 * each, in NIC order), and the serial number removed.  rnd holds rndlen
 * caller-supplied random bytes (16 + 6 * PS_CFG_LIST_MAX per VM is always
 * enough).  PS_ERR_DUPLICATE if a generated value happens to be in use
 * (retry with other bytes); a profile already unassigned: 0, no write.
 */
#define PS_CFG_RND_UNASSIGN (16u + 6u * PS_CFG_LIST_MAX)
int ps_parse_target(const char *s, size_t n, uint8_t *kind, size_t *name_off,
		    size_t *name_len, const char **why);
int ps_profile_assign(void *buf, size_t cap, int prof, const char *target,
		      size_t n, struct ps_cfg_err *e);
int ps_profile_unassign(void *buf, size_t cap, int prof, const uint8_t *rnd,
			size_t rndlen, struct ps_cfg_err *e);

/*
 * The server directory (docs/schema.md SERVERS, docs/profiles.md "Named
 * servers"): a SERVER is a NAME for a physical target, so operators write
 * "A" or "host-B#vm1" where the full target would go.  Its TARGET is
 *   bmc://HOST[:PORT]   (PORT 623 when not given)
 *   image:PATH          PATH absolute (firmware has no working directory:
 *   dev:DEVICE          the front end makes a relative path absolute)
 * never with #VM.  Targets compare in normal form (ps_target_norm: scheme
 * and host in lower case, the port written out), which front ends store;
 * the library compares without building it (no buffer on a firmware
 * stack).  Two servers may not name the same target (PS_ERR_DUPLICATE,
 * e->holder "server 'b'").  A server where a profile is placed -- the
 * target a profile's TARGET or MOVE_SOURCE names, with or without #VM --
 * cannot be deleted nor given a target (PS_ERR_INUSE, e->holder "profile
 * 'p'"); renaming it is allowed, since profiles record the target, not
 * the name.
 *
 * ps_target_norm: the physical part of target text (s, n) -- the text
 * before the last '#' -- normalised as above into out (NUL-terminated,
 * at most cap - 1 bytes).  Returns its length, or PS_ERR_BADVALUE with
 * *why (not bmc://, image: or dev:; bad host or port; a relative path;
 * too long).
 *
 * ps_server_by_target: the server (offset) whose target is the physical
 * part of target text (s, n), or PSF_ERR_NOTFOUND (also for text that is
 * no physical target, e.g. a bare VM name).
 */
int ps_target_norm(const char *s, size_t n, char *out, size_t cap,
		   const char **why);
int ps_server_by_target(const void *buf, const char *s, size_t n);

/*
 * Whole-store schema check: every rule the edits above enforce one at a
 * time, over a store from elsewhere (an import, another writer).  Calls
 * fn(ctx, msg) once per problem, msg one NUL-terminated line naming the
 * elements (e.g. "mac 02:00:00:00:00:01 used by both nic 'eth0' of vm
 * 'a' and profile 'p'").  The problems:
 *   - a name missing or invalid; a key (name, serial port) twice in a set
 *   - a UUID, MAC, serial number or WWN used by two VMs / profiles (or
 *     twice in one); a VM and the profile it carries (profile-ref) may
 *     share them -- the VM takes the profile's identity
 *   - a reference to no object: a NIC's network, a controller's image, a
 *     reservation's owner VM, a VM's profile
 *   - a server without a target, with a target that is not a physical
 *     target (ps_target_norm), or naming the target another server names
 *   - a concentrator port (non-zero) mapped by two serial ports
 *   - a MAC, WWN or FC boot list not a whole number of items
 *   - a singleton child twice in one parent (two vm-config in a VM, two
 *     names, two vms sets at the root, ...)
 *   - a record cut inside a field (shorter records are fine: missing
 *     fields read as zero)
 * Returns the number of problems, or a negative PSF_ERR_* code when buf
 * is not a structurally valid store (psf_check_tree).  No writes.
 */
typedef void (*ps_cfg_report_fn)(void *ctx, const char *msg);
int ps_cfg_check(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		 void *ctx);

/*
 * Serial-port allocation (ps_serial.c, freestanding): one rule for psctl,
 * the BMC shim and hvagent.  ps_serial_allocate gives the VM at vm
 * r->count new serial ports: its lowest unused guest port numbers (0 =
 * COM1, up to 255) in order, each mapped to the lowest concentrator port
 * in [conc_first, conc_last] (0, 0: 1-65535) that no serial port of any VM
 * maps, with mode r->mode (PSF_SERIAL_MODE_*).  Host names: hostnames
 * holds either exactly count comma-separated names, one per port in
 * order, or (count > 1) one base name B giving "B-PORT" per guest port,
 * or nothing (no HOSTNAME).  out[i] receives port i's numbers.  All ports
 * or none: every value is checked and every port chosen before the first
 * change (PSF_ERR_NOSPACE mid-way excepted, as for ps_obj_create).
 * Errors: PS_ERR_BADVALUE (e->field "count", "concentrator", "mode",
 * "hostname"), PS_ERR_NOSPACE (no free guest or concentrator port: e->why
 * says which), PS_ERR_INVAL.
 *
 * ps_serial_free deletes every serial port of the VM (their concentrator
 * ports become free) and returns how many it deleted (0: none, no write).
 */
#define PS_SERIAL_ALLOC_MAX 16u

struct ps_serial_req {
	uint16_t count;           /* 1..PS_SERIAL_ALLOC_MAX            */
	uint16_t conc_first;      /* 0: 1                               */
	uint16_t conc_last;       /* 0: 65535                           */
	uint8_t mode;             /* PSF_SERIAL_MODE_*                  */
	const char *hostnames;    /* see above; may be NULL when len 0  */
	size_t hostnames_len;
};

struct ps_serial_map {
	uint16_t port;            /* guest serial port (0 = COM1)      */
	uint16_t concentrator;    /* concentrator port it maps to      */
};

int ps_serial_allocate(void *buf, size_t cap, int vm,
		       const struct ps_serial_req *r,
		       struct ps_serial_map *out, struct ps_cfg_err *e);
int ps_serial_free(void *buf, int vm, struct ps_cfg_err *e);

/*
 * Restart policy (ps_restart.c, freestanding; docs/schema.md
 * RESTART_POLICY, docs/hvagent.md).  The fields are VM fields of the
 * tables above ("restart-policy", "restart-consistency-image",
 * "restart-boot-image", "restart-window", "restart-limit",
 * "restart-log"); these calls are what hvagent needs on top.
 *
 * ps_restart_get: the policy of the VM at vm (0), or PSF_ERR_NOTFOUND
 * when it has none.  Image names are spans into buf (len 0: not set);
 * window is the effective one (0 stored reads as 600).
 *
 * ps_restart_log_get: up to max entries, oldest first; returns how many
 * the log holds (may exceed max).
 *
 * ps_restart_decide: what to do about a crash at time now: the attempt
 * number is one more than the restarts (actions 1 and 2) logged within
 * the window before now; past the limit PSF_RESTART_STOPPED_LIMIT;
 * attempt 1 restarts from the consistency image (the boot image when it
 * has none), later attempts from the boot image; an image not named, not
 * in the store or without a path gives PSF_RESTART_STOPPED_NO_IMAGE.
 * PSF_ERR_NOTFOUND: no policy.
 *
 * ps_restart_log_append: one entry at the end of the log (created with
 * the policy when missing), the oldest dropped past PSF_RESTART_LOG_MAX.
 */
struct ps_restart_policy {
	const char *consistency, *boot;
	uint32_t consistency_len, boot_len;
	uint32_t window;          /* seconds, effective                   */
	uint16_t limit;
	uint16_t flags;
};

struct ps_restart_entry {
	uint64_t time;
	uint8_t action;           /* PSF_RESTART_*                        */
	uint8_t attempt;
	uint8_t cause;            /* PSF_CRASH_*                          */
	uint32_t detail;          /* libvirt event detail                 */
};

struct ps_restart_decision {
	uint8_t action;           /* PSF_RESTART_*                        */
	uint8_t attempt;
	int image;                /* the IMAGE to restart from, or -1     */
	uint32_t in_window;       /* restarts logged within the window    */
};

int ps_restart_get(const void *buf, int vm, struct ps_restart_policy *p);
uint32_t ps_restart_log_get(const void *buf, int vm,
			    struct ps_restart_entry *out, uint32_t max);
int ps_restart_decide(const void *buf, int vm, uint64_t now,
		      struct ps_restart_decision *d);
int ps_restart_log_append(void *buf, size_t cap, int vm,
			  const struct ps_restart_entry *en,
			  struct ps_cfg_err *e);
/* Action and cause names for text ("consistency", "boot",
 * "stopped-limit", "stopped-failed", "stopped-no-image"; "crashed",
 * "failed", "stopped"); NULL for unknown values. */
const char *ps_restart_action_name(uint8_t action);
const char *ps_restart_cause_name(uint8_t cause);

/* Enumerations shared by the field tables, for front ends. */
extern const struct ps_enum ps_enum_power[];
extern const struct ps_enum ps_enum_serial_mode[];
extern const struct ps_enum ps_enum_media[];

/* ===========================================================================
 * 11. Profile moves (freestanding: ps_profile.c, docs/profiles.md)
 *
 * A profile moves between targets in steps, each one commit on one store,
 * so that a crash between any two leaves the profile assigned to exactly
 * one place or marked in transit in the pool, and a rerun finishes it:
 *   (1) pool: ps_profile_begin_move (in transit, TARGET the new target,
 *       MOVE_SOURCE the old one)
 *   (2) the source's store: ps_profile_release (idempotent)
 *   (3) the target's store: ps_profile_apply (idempotent)
 *   (4) pool: ps_profile_end_move (assigned, MOVE_SOURCE removed)
 * The orchestration across stores (opening them, asking BMCs) is the
 * front end's (psctl profile move); these are the per-store edits.
 */

/* Under BMC_STATE: a string, the NAME of the profile the physical server
 * carries (docs/ipmi-oem.md, profile push). */
#define PS_BMC_HOST_PROFILE PSF_SIG(0, PSF_NS_BMC, 0x0001)

/*
 * The pool's record of a move.  begin: state in-transit, target kind
 * kind, TARGET (target, tn), MOVE_SOURCE (source, sn; sn 0 removes it).
 * end: state assigned with kind and TARGET, or (tn 0) unassigned with
 * kind none and no TARGET; MOVE_SOURCE removed.  Texts up to
 * PS_CFG_TEXT_MAX bytes.  PS_ERR_INVAL (not a profile, too long).
 */
int ps_profile_begin_move(void *buf, size_t cap, int prof, uint8_t kind,
			  const char *target, size_t tn, const char *source,
			  size_t sn);
int ps_profile_end_move(void *buf, size_t cap, int prof, uint8_t kind,
			const char *target, size_t tn);

/* The NAME of the profile this store's host carries (BMC_HOST_PROFILE),
 * or NULL. */
const char *ps_host_profile(const void *buf, uint32_t *len);

/* Who in this store carries the profile named (name, n):
 * PSF_TARGET_PHYSICAL (the host), PSF_TARGET_VM (*vm its offset) or
 * PSF_TARGET_NONE. */
int ps_profile_carrier(const void *buf, const char *name, size_t n,
		       int *vm);

/*
 * The store stops carrying the profile named (name, n): the host's
 * BMC_HOST_PROFILE goes if it names it; a VM carrying it is unassigned
 * (ps_profile_unassign: fresh UUID and MACs from rnd, no serial); then
 * the store's copy of the profile is deleted -- unless keep_copy (the
 * pool itself, where the profile lives), which keeps the copy and its
 * move record (state, target, source) as they were.  Returns 1 when it
 * changed something, 0 when nothing carried the profile (a rerun), or an
 * error of ps_profile_unassign / ps_obj_delete.
 */
int ps_profile_release(void *buf, size_t cap, const char *name, size_t n,
		       int keep_copy, const uint8_t *rnd, size_t rndlen,
		       struct ps_cfg_err *e);

/*
 * The PROFILE element el (elen bytes: one element, e.g. from
 * ps_profile_export; not inside buf) is given to a target of this store:
 * kind PSF_TARGET_VM with target the VM's name, or PSF_TARGET_PHYSICAL
 * with target the bmc://NAME text the host's BMC uses (its
 * BMC_HOST_PROFILE then names the profile).  A copy of the element
 * replaces a same-named one, arrives unassigned without any move record,
 * and is assigned by ps_profile_assign (a VM takes its UUID, serial, MACs
 * and boot order).  0 without a write when the target already carries a
 * profile of that NAME (a rerun).  The element's header and direct
 * children are checked; a caller with untrusted bytes checks the whole
 * tree after (psf_check_tree).  Refused, the store as it was:
 *   PS_ERR_INVAL      not one PROFILE element with a valid NAME, bad kind
 *                     or target length
 *   PSF_ERR_NOTFOUND  no such VM (e->field "target")
 *   PS_ERR_INUSE      the target carries another profile (e->field
 *                     "target", e->holder "profile 'p'"): never dropped
 *                     for the new one, move or unassign it first; or
 *                     someone else in this store carries this one
 *                     (e->holder "vm 'v'", "this host"); or the store's
 *                     copy of it is assigned (or in transit) to another
 *                     target (e->holder "'TARGET'")
 *   PS_ERR_DUPLICATE  an identifier is held in this store
 *                     (ps_profile_check_ids)
 *   PSF_ERR_NOSPACE   no room in cap for the copy
 */
int ps_profile_apply(void *buf, size_t cap, const void *el, size_t elen,
		     uint8_t kind, const char *target, size_t tn,
		     struct ps_cfg_err *e);

/*
 * The clean copy of the profile at prof in pool, as it travels to a
 * target (ps_profile_apply, the BMC's profile push): the element's bytes
 * into out (cap bytes) without TARGET, MOVE_SOURCE and pads, state
 * unassigned and target kind none.  Returns its length, or:
 *   PS_ERR_INVAL     prof is not a profile of pool
 *   PSF_ERR_NOSPACE  it does not fit in cap
 *   PSF_ERR_OVERRUN  a child runs past the profile (a damaged store)
 */
int ps_profile_export(const void *pool, int prof, void *out, size_t cap);

/*
 * The identifiers of the profile at prof in pbuf -- UUID, serial number,
 * each MAC, each WWNN and WWPN -- against every VM and profile of store
 * (which may be pbuf itself), except a profile of the same name, VMs
 * carrying it and the VM named (skip_vm, sl) (the target, whose values
 * are replaced).  PS_ERR_DUPLICATE with e->field ("uuid", "serial",
 * "mac", "wwn"), e->value and e->holder ("nic 'eth0' of vm 'x'"), or 0.
 */
int ps_profile_check_ids(const void *store, const void *pbuf, int prof,
			 const char *skip_vm, size_t sl,
			 struct ps_cfg_err *e);

/*
 * A target as an operator writes it, resolved against the pool's server
 * directory and VMs (docs/profiles.md, "Named servers"):
 *   vm:NAME, SCHEME:...[#VM]   (a ':' before any '#'): as written
 *   SERVER#VM                  the server's target, then "#VM"
 *   WORD                       the server WORD, or else the pool's VM WORD
 * Text no name could be (e.g. "a/b") is returned as written, for the
 * caller's target parser to refuse.  The full target goes to out
 * (NUL-terminated, less than cap bytes); returns its length, or:
 *   PSF_ERR_NOTFOUND  SERVER#VM: no such server; WORD: neither a server
 *                     nor a VM has that name (*why says which)
 *   PS_ERR_DUPLICATE  WORD names both a server and a VM of the pool
 *                     (*why: write vm:NAME or the server's full target)
 *   PS_ERR_BADVALUE   the server has no usable target, or the result is
 *                     longer than PS_CFG_TEXT_MAX
 */
int ps_target_resolve(const void *pool, const char *s, size_t n, char *out,
		      size_t cap, const char **why);

/* ===========================================================================
 * 12. Opening a store at a path (hosted: ps_open.c, docs/discovery.md)
 *
 * Every front end opens a store the same way, so a store reads and commits
 * the same through any path that reaches it:
 *
 *   a block device (stat says S_ISBLK, after following symlinks)
 *       whole, no partition table  the node itself, block-device backend
 *       partitioned (a whole key)  the pstate partition's own node
 *                                  (/dev/sdb4, found through sysfs),
 *                                  block-device backend; when the kernel
 *                                  has no node for it, a window on the
 *                                  whole device with the device's logical
 *                                  sector size
 *       a partition node           as "whole" (a partition has no table)
 *   anything else (an image file)
 *       partition table            the image backend on the partition's
 *                                  window, 512-byte sectors
 *       no table                   the image backend on the whole file
 *
 * The block-device backend uses the device's real sector size and flushes
 * with fsync + BLKFLSBUF; going through the partition's node keeps one page
 * cache for the store, whichever path named it.
 *
 * The default store (no path given): the first USB key that holds a valid
 * store (ps_locate, port-priority order), else $PSTATE_IMAGE when set and
 * not empty, else PS_DEFAULT_IMAGE.
 */

/* The embedded default image; `psctl init` creates it. */
#define PS_DEFAULT_IMAGE "/var/lib/pstate/default.img"
/* Environment variable naming another default image. */
#define PS_IMAGE_ENV "PSTATE_IMAGE"

/* Flags for ps_open_path and ps_open_default. */
#define PS_OPEN_RDONLY	  0x01u /* open read-only */
#define PS_OPEN_RO_RETRY  0x02u /* read-write, else read-only (see
				   o->media.read_only) */
#define PS_OPEN_NO_STORE  0x04u /* media only: no store is read (a
				   partition about to be formatted) */
#define PS_OPEN_DEVICE	  0x08u /* the caller calls it a device (-d,
				   dev:): describes it as "device:" */
#define PS_OPEN_IMAGE	  0x10u /* ... an image (-i, image:): "image:";
				   neither flag: stat decides */

/* How ps_open_default chose the store. */
enum ps_open_source {
	PS_OPEN_SRC_PATH = 0,    /* the caller's path (ps_open_path) */
	PS_OPEN_SRC_KEY,         /* a USB key chosen by the scan */
	PS_OPEN_SRC_ENV,         /* $PSTATE_IMAGE */
	PS_OPEN_SRC_DEFAULT,     /* PS_DEFAULT_IMAGE */
};

/* An opened store and what was opened.  The descriptive fields stay
 * valid after a failed open, for the caller's message. */
struct ps_opened {
	char path[1024];          /* as given, or the key / default image */
	char node[1024];          /* what the media is: path or the node of
				     its partition */
	int is_dev;               /* described as a device */
	int blockdev;             /* block-device backend (node) */
	int whole;                /* no partition table: all of it */
	struct ps_part_info part; /* valid unless whole */
	uint64_t start;           /* the store's first byte on its whole
				     device (or image): the same through
				     the image, the whole node and the
				     partition's node */
	enum ps_open_source source;
	char how[640];            /* why this store (scan, default, ...) */
	struct ps_media media;
	int media_open;
	struct ps_store *store;   /* NULL with PS_OPEN_NO_STORE */
	struct ps_sem_sys sem;
	int sem_open;
	struct ps_lock lock;
};

#if PS_HOSTED
/*
 * Open the store at path by the rule above: find its pstate partition
 * (ps_part_find), open the media, read the store.  o is cleared first.
 * flags: PS_OPEN_*.  On failure o holds no open resource (ps_open_close is
 * still safe) but its path, is_dev, whole, part and how say what was
 * tried, and err (errlen bytes, may be NULL) a one-line message.
 * Errors:
 *   PS_ERR_INVAL     o or path NULL, or path longer than o->path
 *   PS_PART_ENODEV   path does not exist (nor what a symlink names)
 *   PS_PART_E*       the partition table is unusable (ps_part_find's code,
 *                    not PS_PART_ENOTABLE: no table means the whole path)
 *   PS_ERR_IO        the media cannot be opened (permission, ...)
 *   PS_ERR_GEOMETRY  the media is too small
 *   PS_ERR_NOSTORE   not formatted (no pstate superblock)
 *   PS_ERR_*         ps_store_open's other errors (damaged store, ...)
 */
int ps_open_path(struct ps_opened *o, const char *path, unsigned flags,
		 char *err, size_t errlen);

/*
 * Open the default store: the first USB key holding a valid store
 * (ps_locate with the port-priority file ports_conf, NULL: its default),
 * else the image $PSTATE_IMAGE, else PS_DEFAULT_IMAGE; o->source says
 * which and o->how why ("USB key on port 1-2, chosen by scan", "default
 * image ($PSTATE_IMAGE): <why no key>", "default image: <why no key>").
 * The default image is opened with PS_OPEN_IMAGE added to flags.
 * Returns ps_open_path's errors; PS_PART_ENODEV with o->source
 * PS_OPEN_SRC_ENV or PS_OPEN_SRC_DEFAULT means no key and no default
 * image (err: "default image PATH does not exist (HOW)"); a scan that
 * failed for another reason than finding no store returns its error
 * (PS_DISC_ECONF, ...) with "USB scan: ..." in err.
 */
int ps_open_default(struct ps_opened *o, const char *ports_conf,
		    unsigned flags, char *err, size_t errlen);

/*
 * The store's key, for its lock: its volume id (32 hex digits, from the
 * superblock) and o->start in hex, "<volume>-<start>".  Every path to one
 * store gives the same key; copies of a store (same volume id, same
 * place) share it, which only serialises their writers.  Returns the
 * length snprintf would have written, or -1 (o or buf NULL, no store).
 */
int ps_open_key(const struct ps_opened *o, char *buf, size_t len);

/*
 * The writers' lock for commits: the semaphore, or its flock fallback
 * named after the store's key (ps_open_key, ps_sem_sys_open), made the
 * store's writer as owner (PS_OWNER_*).  Each time the lock is taken the
 * media's page cache is dropped (ps_media_drop_cache), so what is read
 * under the lock is what is on the media, whoever wrote it and through
 * whichever path.  Does nothing when already taken.  Needs an open store,
 * and o must stay where it is while the lock is in use.
 * Errors: PS_ERR_INVAL (no store), ps_sem_sys_open's (err: "semaphore:
 * <ps_sem_sys_describe>").
 */
int ps_open_lock(struct ps_opened *o, uint8_t owner, char *err,
		 size_t errlen);

/*
 * What o is, one line, as psctl prints it after "store:":
 *   "image:PATH dos partition #4 at byte 12582912 (4194304 bytes)"
 *   "device:PATH (whole node)", "image:PATH (whole file, no partition
 *   table)".  Returns the length snprintf would have written.
 */
int ps_open_describe(const struct ps_opened *o, char *buf, size_t len);

/* Close the store, the media and the lock; o's description remains. */
void ps_open_close(struct ps_opened *o);
#endif /* PS_HOSTED */

#ifdef __cplusplus
}
#endif

#endif /* PSTATE_H */
