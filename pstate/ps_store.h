/*
 * ps_store.h - the store on media: format, read, commit; the hosted handle.
 *
 * Freestanding: ps_format (ps_format.c), ps_read and ps_commit
 * (ps_commit.c): no malloc, every buffer from the caller.  Hosted:
 * the store handle and transactions (ps_store.c), which allocate.
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_STORE_H
#define PS_STORE_H

#include "ps_media.h"
#include "ps_lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Store on media (freestanding)
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

/*
 * Slot header flag ORDERED (bit 17, in the ignorable range: readers that
 * predate it are unaffected): the writer made the body durable (a flush)
 * before writing this header, docs/store.md 3.1 and section 4.  Only
 * such a slot whose body fails its CRC is "damaged" (PS_SLOT_DAMAGED);
 * without it the failure may be a commit cut between its one flush's
 * writes (PS_SLOT_INTERRUPTED).
 */
#define PS_SLOT_F_ORDERED 0x00020000u

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
	uint32_t flags;          /* header flags (PS_SLOT_F_AUTH: ps_auth.h;
				    PS_SLOT_F_ORDERED) */
	uint8_t raw[PS_SLOT_HDR_SIZE];  /* the header bytes as read (even
					   when invalid, by ps_read) */
	/* Set by ps_read for a slot it tried and found damaged: a valid
	 * header newer than the store, whose body fails its CRC
	 * (PS_ERR_NOSLOT) or the format's checks (that PSF_ERR_*).  Such a
	 * slot is free for readers and committers alike; 0 otherwise. */
	int damage;
};

/*
 * Superblock copies (docs/store.md section 2): the primary in sector 0,
 * the backup in the partition's last sector.  A reader opens the store
 * with one of them damaged (no magic, a bad CRC, or a geometry that does
 * not fit the media) and records which in struct ps_disk:
 *
 * @sb_damaged:     PS_SB_PRIMARY (sector 0 damaged, the backup is used),
 *                  PS_SB_BACKUP (the backup is damaged, the primary is
 *                  used) or PS_SB_NONE;
 * @sb_damaged_lba: the damaged copy's sector (0, or sectors - 1 of the
 *                  geometry in use); its byte offset in the partition is
 *                  sb_damaged_lba * sector_size.
 *
 * Nothing repairs the copy (superblocks are written only by ps_format):
 * the store then has no spare, which `psctl check` reports (exit 6).
 * ps_format fails (PS_ERR_IO) when a copy it wrote reads back damaged.
 */
enum ps_sb_copy {
	PS_SB_NONE = 0,
	PS_SB_PRIMARY,
	PS_SB_BACKUP,
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
	/* Which superblock copy ps_read found damaged and went without
	 * (enum ps_sb_copy; PS_SB_NONE when both are intact) and that
	 * copy's sector: see "Superblock copies" below. */
	uint32_t sb_damaged;
	uint64_t sb_damaged_lba;
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
 * PS_ERR_IO when its body is not what was written, or a superblock copy
 * reads back damaged).  On success d
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
 * media and d->base / d->generation the store in buf (length d->length),
 * and d->sb_damaged a superblock copy it went without.
 */
int ps_read(struct ps_disk *d, struct ps_media *m, void *buf, size_t cap);

struct ps_lock;
struct ps_auth;

/*
 * How a commit makes its writes durable (docs/store.md section 4).
 * PS_COMMIT_FAST: body, fence, header, then ONE flush (the default).  A
 * power cut may land the header without all of the body: readers reject
 * that slot by its store_crc (a torn body is taken only by a CRC-32C
 * collision, about 2^-32 per torn commit), and `check` calls it an
 * interrupted commit.  PS_COMMIT_ORDERED: a flush between body and header
 * as well (two per commit), and the header carries PS_SLOT_F_ORDERED: a
 * header is only ever written over a durable body, so such a slot whose
 * body fails is media damage.  Readers treat both alike.  A sealed commit
 * (args->auth) is always ordered: its trailer lies outside store_crc.
 */
enum ps_commit_mode {
	PS_COMMIT_FAST = 0,
	PS_COMMIT_ORDERED = 1,
};

/* Who commits: recorded in the new slot header. */
struct ps_commit_args {
	struct ps_lock *lock;    /* NULL: single writer, token 0 */
	uint8_t owner;           /* PS_OWNER_*, used when lock is NULL */
	uint64_t timestamp;      /* seconds since 1970 UTC, 0 = unknown */
	/* NULL: a plain commit.  Else the new slot is sealed (ps_auth.h,
	 * docs/store.md section 8): header flag PS_SLOT_F_AUTH and a
	 * trailer with its counter and MAC after the store. */
	const struct ps_auth *auth;
	/* enum ps_commit_mode: 0 PS_COMMIT_FAST, any other value ordered. */
	uint32_t mode;
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
 * differ (checking, and so renewing, the lock before each write), flush
 * (only when ordered: args->mode PS_COMMIT_ORDERED, or sealing), check the
 * lock is still held (else PS_ERR_FENCED), write the slot header, flush,
 * and read back what readers will see (else PS_ERR_CONFLICT or
 * PS_ERR_IO).  The new generation is the base's + 1,
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

/*
 * ps_sb_sector_size - the sector size a superblock copy records.
 * @sb: PS_SB_SIZE bytes read from where a superblock may be
 * Returns its sector_size field when sb has the superblock magic, a
 * matching sb_crc and a supported size (512..4096, a power of two), else
 * 0.  For media with no sector size of their own (an image file): the
 * opener reads it here, then ps_read checks the whole copy against it.
 */
uint32_t ps_sb_sector_size(const void *sb);

/* Decode a slot header (64 bytes); 0 when it is a valid header for slot
 * index idx, else PS_ERR_NOSLOT.  Exposed for tools and tests. */
int ps_slot_decode(const void *raw, uint32_t idx, struct ps_slot *s);

/*
 * Hosted store handle and transactions (ps_store.c, allocates)
 */

struct ps_store;

/* The functions of the store handle are hosted only. */
#if PS_HOSTED
/*
 * ps_store_open - open the store on m: the newest valid slot is read into
 * memory (a buffer of the slot capacity).
 * @m:    an open media, not owned: the caller closes it after the store
 * @err:  set to 0 or the error (may be NULL)
 * Returns the handle, or NULL with *err: PS_ERR_INVAL (m NULL),
 * PS_ERR_NOMEM, or ps_read's errors (PS_ERR_NOSTORE, PS_ERR_SUPERBLOCK,
 * PS_ERR_GEOMETRY, PS_ERR_NOSLOT, PS_ERR_IO, PS_ERR_CONFLICT).
 *
 * ps_store_close - free the handle (s may be NULL); the media stays open.
 */
struct ps_store *ps_store_open(struct ps_media *m, int *err);
void ps_store_close(struct ps_store *s);

/* ps_store_refresh - read the newest store from media again (after a
 * conflict).  Returns 0, PS_ERR_INVAL (s NULL), or ps_store_open's errors;
 * after an error the handle's store is not usable until a refresh
 * succeeds. */
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
	PS_SLOT_INTERRUPTED,     /* a newer generation whose body fails its
				    store_crc, without PS_SLOT_F_ORDERED: a
				    one-flush commit cut before all of it
				    landed (or damage: the two look alike);
				    skipped like a damaged one */
};

/* The state of slot i of d, or PS_ERR_INVAL (no d, i out of range). */
int ps_slot_state(const struct ps_disk *d, uint32_t i);

/* Commit with this lock (NULL: single writer) and owner from now on. */
void ps_store_set_writer(struct ps_store *s, struct ps_lock *lock,
			 uint8_t owner);

/* Commit with this protocol from now on (enum ps_commit_mode; a new
 * handle: PS_COMMIT_FAST).  PS_ERR_INVAL for another value. */
int ps_store_set_commit(struct ps_store *s, enum ps_commit_mode mode);

/* Seal every commit from now on with auth (ps_auth.h; not copied: it
 * must outlive the commits), or stop sealing (NULL). */
void ps_store_set_auth(struct ps_store *s, const struct ps_auth *auth);

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

/* ps_txn_begin - a private copy of s's store in t (t->buf, cap bytes,
 * zero past the store).  Returns 0, PS_ERR_INVAL (s or t NULL, no store),
 * PS_ERR_NOMEM. */
int ps_txn_begin(struct ps_store *s, struct ps_txn *t);

/*
 * Finish the CRCs, check the store (psf_check_full), commit it, free the
 * buffer.  PS_ERR_CONFLICT when the media's newest generation is no longer
 * t->base (the handle keeps its old state: ps_store_refresh, redo).  On
 * success the handle holds the new store.  Errors: PS_ERR_INVAL (t not
 * begun), PS_ERR_CONFLICT, the format's PSF_ERR_* (the edited store is not
 * valid), or ps_commit's errors; the buffer is freed either way.
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
 * An edit that returns PSF_ERR_NOSPACE is run once more on the store
 * compacted, when compaction frees anything (docs/store.md 7.2); and
 * every commit compacts a store whose garbage passed the threshold.
 * Returns 0, the edit's error, the lock's error, or the commit's
 * (PS_ERR_CONFLICT once the retries are used up).
 */
int ps_update(struct ps_store *s, ps_edit_fn edit, void *arg,
	      int max_retries);
#endif /* PS_HOSTED */

#ifdef __cplusplus
}
#endif

#endif /* PS_STORE_H */
