/*
 * ps_media.h - sector media: the interface and its backends.
 *
 * Freestanding: struct ps_media, the callback and memory backends and
 * the wrappers (ps_media.c), the fault-injecting wrapper
 * (ps_media_fault.c).  Hosted: the image-file and block-device backends
 * (ps_media_linux.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_MEDIA_H
#define PS_MEDIA_H

#include "ps_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Media
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
 * ps_media_init - (a) the callback backend, freestanding.
 * @m:           the media to set up (cleared first)
 * @ops:         the caller's sector I/O (BMC firmware's flash or USB
 *               driver); read, write and flush are required, close may
 *               be NULL
 * @ctx:         passed to every op
 * @sector_size: bytes per sector, a power of two in 512..4096; 0 means
 *               PS_SECTOR_SIZE
 * @sectors:     sectors the media has
 * Returns 0, or PS_ERR_INVAL (m or ops NULL, an op missing, a bad sector
 * size).
 */
int ps_media_init(struct ps_media *m, const struct ps_media_ops *ops,
		  void *ctx, uint32_t sector_size, uint64_t sectors);

/*
 * ps_media_init_mem - the memory backend, freestanding: a RAM disk for
 * tests, benchmarks and firmware simulations.
 * @m:           the media to set up
 * @mem:         sectors * sector_size bytes, the caller's, kept as is
 * @sector_size: as for ps_media_init (0: PS_SECTOR_SIZE)
 * @sectors:     sectors at mem
 * Returns 0, or PS_ERR_INVAL (mem NULL, or ps_media_init's reasons).
 */
int ps_media_init_mem(struct ps_media *m, void *mem, uint32_t sector_size,
		      uint64_t sectors);

/*
 * ps_media_read, ps_media_write, ps_media_flush - sector I/O through the
 * backend, with bounds checks and statistics (m->stats).
 * @m:    an initialised media
 * @lba:  first sector (0: the first of the partition or window)
 * @n:    sectors, at least 1; lba + n must not pass m->sectors
 * @buf:  n * m->sector_size bytes
 * Flush makes every completed write durable; on a read-only media it does
 * nothing and returns 0.  Returns 0, or PS_ERR_INVAL (m or buf NULL, 0
 * sectors, past the end: nothing transferred), PS_ERR_RDONLY (write on a
 * read-only media), or the backend's error (a negative code it returned,
 * PS_ERR_IO for any other failure).
 */
int ps_media_read(struct ps_media *m, uint64_t lba, uint32_t n, void *buf);
int ps_media_write(struct ps_media *m, uint64_t lba, uint32_t n,
		   const void *buf);
int ps_media_flush(struct ps_media *m);

/* ps_media_close - release the backend (its close op, when it has one)
 * and clear m.  m may be NULL or already closed. */
void ps_media_close(struct ps_media *m);

/* ps_media_stats_reset - zero m->stats. */
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

/* Streaming for a pass over a slot body (backends (b), (c)): with bytes >
 * 0, a read that goes on where the previous one ended fills a window of
 * up to bytes from the media in one read, and later reads inside it are
 * copied from it (writes update it; flush and ps_media_drop_cache empty
 * it, so reads after a durable point see the media).  bytes 0 turns it
 * off.  ps_txn_commit turns it on for the commit only: outside a
 * commit, under no lock, a copy could hide another writer's change.  A
 * no-op on other backends.  Errors: PS_ERR_INVAL, PS_ERR_NOMEM (then off). */
int ps_media_stream(struct ps_media *m, uint32_t bytes);
#endif /* PS_HOSTED */

/*
 * Fault injection (for tests and benchmarks; freestanding code, so a
 * firmware simulation can use it too).  Wraps a lower media;
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

/*
 * ps_media_init_fault - m becomes a media with lower's geometry whose ops
 * go through f (freestanding: ps_media_fault.c).
 * @m:      the media to set up
 * @f:      crash_at, tear_bytes and fill set by the caller; the counters
 *          are reset here
 * @lower:  the media that receives what lands (stays the caller's)
 * Returns 0, or PS_ERR_INVAL (f or lower NULL, lower's sector size past
 * PS_SECTOR_SIZE_MAX, tear_bytes not a multiple of 64).
 */
int ps_media_init_fault(struct ps_media *m, struct ps_fault *f,
			struct ps_media *lower);

#ifdef __cplusplus
}
#endif

#endif /* PS_MEDIA_H */
