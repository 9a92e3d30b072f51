/*
 * ps_open.h - opening a store at a path, and the default store.
 *
 * Types freestanding; functions hosted (ps_open.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_OPEN_H
#define PS_OPEN_H

#include "ps_store.h"
#include "ps_part.h"
#include "ps_sem_linux.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Opening a store at a path (hosted: ps_open.c, docs/discovery.md)
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
 *                                  window
 *       no table                   the image backend on the whole file
 *   (a file's sector size: the one its store's superblock records, else
 *   512; ps_part_find and ps_part_sector_size)
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
#define PS_OPEN_ORDERED	  0x20u /* commits through o->store flush between
				   body and header (PS_COMMIT_ORDERED,
				   ps_store_set_commit); else one flush */

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
 * The default image ps_open_default falls back to: $PSTATE_IMAGE when set
 * and not empty, else PS_DEFAULT_IMAGE.  src (may be NULL) says which.
 * Looks at no USB key: for `init` and `scan`, which name the image
 * whatever the keys hold.  Never fails.
 */
const char *ps_default_image(enum ps_open_source *src);

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

#endif /* PS_OPEN_H */
