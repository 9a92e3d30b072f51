/*
 * ps_media_linux.c - hosted media backends: an image file (optionally a
 * window inside it, for a partition in a disk image) and a block device
 * (a partition of a real USB key).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "pstate.h"

struct fd_ctx {
	int fd;
	uint64_t base;       /* byte offset of LBA 0 in the file */
	uint32_t ss;
	int sync;            /* flush really flushes */
	int blockdev;
	uint64_t sectors;    /* the media's size */
	/* Streaming (ps_media_stream): a sequential run of one-sector reads
	 * (the commit's diff and read-back) is served from one large read. */
	uint8_t *win;        /* NULL: streaming off */
	uint32_t win_cap;    /* sectors win holds */
	uint32_t win_n;      /* sectors valid from win_lba (0: none) */
	uint64_t win_lba;
	uint64_t next_lba;   /* where the last read ended */
};

/* Full transfers only: a short read or write is an I/O error. */
static int fd_xfer(struct fd_ctx *c, uint64_t lba, uint32_t n, void *buf,
		   int write)
{
	size_t len = (size_t)n * c->ss, done = 0;
	off_t off = (off_t)(c->base + lba * c->ss);

	while (done < len) {
		ssize_t r = write ? pwrite(c->fd, (char *)buf + done,
					   len - done, off + (off_t)done)
				  : pread(c->fd, (char *)buf + done,
					  len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return PS_ERR_IO;
		done += (size_t)r;
	}
	return PS_OK;
}

/* Streaming reads.  A read inside the window is copied from it.  A read
 * that goes on where the last one ended, outside the window, refills the
 * window from there (up to win_cap sectors, not past the media's end) in
 * one pread, so a sector-by-sector pass over a slot body costs one system
 * call (and, after the lock's drop of the page cache, one device request)
 * instead of one per sector.  Any other read goes to the file as asked. */
static int win_has(const struct fd_ctx *c, uint64_t lba, uint32_t n)
{
	return c->win_n > 0 && lba >= c->win_lba &&
	       lba + n <= c->win_lba + c->win_n;
}

static int fd_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	struct fd_ctx *c = ctx;
	uint64_t left = c->sectors - lba;
	uint32_t fill;
	int rc;

	if (c->win && !win_has(c, lba, n) && lba == c->next_lba &&
	    n < c->win_cap) {
		fill = left < c->win_cap ? (uint32_t)left : c->win_cap;
		c->win_n = 0;
		rc = fd_xfer(c, lba, fill, c->win, 0);
		if (rc)
			return rc;
		c->win_lba = lba;
		c->win_n = fill;
	}
	c->next_lba = lba + n;
	if (c->win && win_has(c, lba, n)) {
		memcpy(buf, c->win + (lba - c->win_lba) * c->ss,
		       (size_t)n * c->ss);
		return PS_OK;
	}
	return fd_xfer(c, lba, n, buf, 0);
}

/* Written through; the window keeps what was written over it, so the
 * diff's later reads of it stay right. */
static int fd_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct fd_ctx *c = ctx;
	int rc = fd_xfer(c, lba, n, (void *)(uintptr_t)buf, 1);
	uint64_t k;

	if (rc) {
		c->win_n = 0;
		return rc;
	}
	for (k = lba; k < lba + n; k++)
		if (win_has(c, k, 1))
			memcpy(c->win + (k - c->win_lba) * c->ss,
			       (const uint8_t *)buf + (k - lba) * c->ss, c->ss);
	return PS_OK;
}

static int fd_flush(void *ctx)
{
	struct fd_ctx *c = ctx;

	/* Past a durable point, reads see the media again (the commit's
	 * read-back checks what readers will see, not our copy). */
	c->win_n = 0;
	if (!c->sync)
		return PS_OK;
	if (!c->blockdev)
		return fdatasync(c->fd) ? PS_ERR_IO : PS_OK;
	/* fsync on a block device writes back its dirty pages and sends
	 * the device a cache flush. */
	if (fsync(c->fd))
		return PS_ERR_IO;
	/* Drop the page cache so later reads see the device, not our own
	 * writes; needs CAP_SYS_ADMIN and a real block device, so a refusal
	 * (EPERM, EACCES, ENOTTY under umockdev) is not an error. */
	(void)ioctl(c->fd, BLKFLSBUF, 0);
	return PS_OK;
}

/* The page cache may hold what this host read before another writer (the
 * BMC, or this host through another node of the same key: every block
 * device node has a page cache of its own) changed the media.  Drop the
 * window's clean pages, rounded out to whole pages, so the next reads go
 * to the media; dirty pages are this host's newest writes and stay.
 * Needs no privilege.  Block devices only: an image file has one page
 * cache, which every local writer goes through (the simulated BMC's
 * pwrite, a loop device and its partitions, whose writes reach the file
 * through it or, with direct I/O, invalidate it), so it is never stale,
 * and dropping it would send the next reads (the whole store, twice per
 * commit) to the disk. */
static int fd_drop_cache(struct fd_ctx *c, uint64_t sectors)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start = c->base / page * page;
	uint64_t end = c->base + sectors * c->ss;

	if (!c->blockdev)
		return PS_OK;
	end = (end + page - 1) / page * page;
	if (posix_fadvise(c->fd, (off_t)start, (off_t)(end - start),
			  POSIX_FADV_DONTNEED))
		return PS_ERR_IO;
	return PS_OK;
}

static void fd_close(void *ctx)
{
	struct fd_ctx *c = ctx;

	free(c->win);
	close(c->fd);
	free(c);
}

static const struct ps_media_ops fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
	.close = fd_close,
};

static int fd_media(struct ps_media *m, int fd, uint64_t base, uint64_t len,
		    uint32_t ss, unsigned flags, int blockdev)
{
	struct fd_ctx *c;
	int rc;

	if (len / ss == 0) {
		close(fd);
		return PS_ERR_GEOMETRY;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return PS_ERR_NOMEM;
	}
	c->fd = fd;
	c->base = base;
	c->ss = ss;
	c->sync = !(flags & PS_MEDIA_NOSYNC);
	c->blockdev = blockdev;
	c->sectors = len / ss;
	c->next_lba = UINT64_MAX;
	rc = ps_media_init(m, &fd_ops, c, ss, len / ss);
	if (rc) {
		fd_close(c);
		return rc;
	}
	m->read_only = !!(flags & PS_MEDIA_RDONLY);
	return PS_OK;
}

int ps_media_drop_cache(struct ps_media *m)
{
	if (!m || !m->ops)
		return PS_ERR_INVAL;
	if (m->ops != &fd_ops)
		return PS_OK; /* memory or a caller's backend: no page cache */
	((struct fd_ctx *)m->ctx)->win_n = 0;
	return fd_drop_cache(m->ctx, m->sectors);
}

int ps_media_stream(struct ps_media *m, uint32_t bytes)
{
	struct fd_ctx *c;
	uint32_t n;

	if (!m || !m->ops)
		return PS_ERR_INVAL;
	if (m->ops != &fd_ops)
		return PS_OK; /* memory or a caller's backend: nothing to save */
	c = m->ctx;
	n = (uint32_t)(((uint64_t)bytes + c->ss - 1) / c->ss);
	free(c->win);
	c->win = NULL;
	c->win_cap = c->win_n = 0;
	c->next_lba = UINT64_MAX;
	if (n == 0)
		return PS_OK;
	c->win = malloc((size_t)n * c->ss);
	if (!c->win)
		return PS_ERR_NOMEM;
	c->win_cap = n;
	return PS_OK;
}

static int open_flags(unsigned flags)
{
	return ((flags & PS_MEDIA_RDONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC;
}

int ps_media_open_image(struct ps_media *m, const char *path,
			uint64_t offset, uint64_t length, uint32_t sector_size,
			unsigned flags)
{
	struct stat st;
	uint32_t ss = sector_size ? sector_size : PS_SECTOR_SIZE;
	uint64_t size;
	off_t end;
	int fd;

	if (!m || !path || offset % ss || length % ss)
		return PS_ERR_INVAL;
	fd = open(path, open_flags(flags));
	if (fd < 0)
		return PS_ERR_IO;
	if (fstat(fd, &st)) {
		close(fd);
		return PS_ERR_IO;
	}
	/* A block device (a whole key with the window at its partition)
	 * has no file size: its end is where lseek finds it. */
	size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode)) {
		end = lseek(fd, 0, SEEK_END);
		if (end < 0) {
			close(fd);
			return PS_ERR_IO;
		}
		size = (uint64_t)end;
	}
	/* The window must lie inside the file. */
	if (size < offset + length || size <= offset) {
		close(fd);
		return PS_ERR_GEOMETRY;
	}
	if (length == 0)
		length = (size - offset) / ss * ss;
	return fd_media(m, fd, offset, length, ss, flags,
			S_ISBLK(st.st_mode));
}

int ps_media_open_blockdev(struct ps_media *m, const char *path,
			   unsigned flags)
{
	int fd, ssz = 0;
	off_t end;

	if (!m || !path)
		return PS_ERR_INVAL;
	fd = open(path, open_flags(flags));
	if (fd < 0)
		return PS_ERR_IO;
	/* lseek works on umockdev's fake nodes, where BLKGETSIZE64 fails. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		close(fd);
		return PS_ERR_IO;
	}
	if (ioctl(fd, BLKSSZGET, &ssz) || ssz < (int)PS_SECTOR_SIZE ||
	    ssz > (int)PS_SECTOR_SIZE_MAX)
		ssz = (int)PS_SECTOR_SIZE;
	return fd_media(m, fd, 0, (uint64_t)end / (uint32_t)ssz * (uint32_t)ssz,
			(uint32_t)ssz, flags, 1);
}
