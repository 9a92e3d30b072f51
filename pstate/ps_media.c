/*
 * ps_media.c - the media interface: bounds-checked, counted sector I/O over
 * any backend, the callback backend and a memory backend.
 *
 * Freestanding (format/psf.h + psf_env.h only): BMC firmware links it with
 * its own sector callbacks.
 */
#include "pstate.h"

static int sector_size_ok(uint32_t ss)
{
	/* A power of two, so superblock and slot headers fit one sector. */
	return ss >= PS_SECTOR_SIZE && ss <= PS_SECTOR_SIZE_MAX &&
	       (ss & (ss - 1)) == 0;
}

int ps_media_init(struct ps_media *m, const struct ps_media_ops *ops,
		  void *ctx, uint32_t sector_size, uint64_t sectors)
{
	if (!m || !ops || !ops->read || !ops->write || !ops->flush)
		return PS_ERR_INVAL;
	if (sector_size == 0)
		sector_size = PS_SECTOR_SIZE;
	if (!sector_size_ok(sector_size))
		return PS_ERR_INVAL;
	psf_memset(m, 0, sizeof(*m));
	m->sector_size = sector_size;
	m->sectors = sectors;
	m->ops = ops;
	m->ctx = ctx;
	return PS_OK;
}

/* Every transfer must lie wholly inside the media: a bad LBA from a
 * corrupt superblock must never reach the backend. */
static int in_range(const struct ps_media *m, uint64_t lba, uint32_t n)
{
	return n > 0 && lba < m->sectors && n <= m->sectors - lba;
}

int ps_media_read(struct ps_media *m, uint64_t lba, uint32_t n, void *buf)
{
	int rc;

	if (!m || !m->ops || !buf || !in_range(m, lba, n))
		return PS_ERR_INVAL;
	rc = m->ops->read(m->ctx, lba, n, buf);
	if (rc)
		return rc < 0 ? rc : PS_ERR_IO;
	m->stats.read_calls++;
	m->stats.sectors_read += n;
	return PS_OK;
}

int ps_media_write(struct ps_media *m, uint64_t lba, uint32_t n,
		   const void *buf)
{
	int rc;

	if (!m || !m->ops || !buf || !in_range(m, lba, n))
		return PS_ERR_INVAL;
	if (m->read_only)
		return PS_ERR_RDONLY;
	/* Counted before the call: a write that fails half way may still
	 * have reached the device, and the budget is about wear. */
	m->stats.write_calls++;
	m->stats.sectors_written += n;
	m->stats.bytes_written += (uint64_t)n * m->sector_size;
	rc = m->ops->write(m->ctx, lba, n, buf);
	if (rc)
		return rc < 0 ? rc : PS_ERR_IO;
	return PS_OK;
}

int ps_media_flush(struct ps_media *m)
{
	int rc;

	if (!m || !m->ops)
		return PS_ERR_INVAL;
	if (m->read_only)
		return PS_OK;
	m->stats.flushes++;
	rc = m->ops->flush(m->ctx);
	if (rc)
		return rc < 0 ? rc : PS_ERR_IO;
	return PS_OK;
}

void ps_media_close(struct ps_media *m)
{
	if (!m)
		return;
	if (m->ops && m->ops->close)
		m->ops->close(m->ctx);
	psf_memset(m, 0, sizeof(*m));
}

void ps_media_stats_reset(struct ps_media *m)
{
	if (m)
		psf_memset(&m->stats, 0, sizeof(m->stats));
}

/* ---------------------------------------------------------------- memory
 * The ops' context is the struct ps_media itself, which holds both the
 * sector size and the buffer (mem): no allocation, no separate context.
 */
static uint8_t *mem_at(void *ctx, uint64_t lba)
{
	struct ps_media *m = (struct ps_media *)ctx;

	return (uint8_t *)m->mem + lba * m->sector_size;
}

static int mem_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	struct ps_media *m = (struct ps_media *)ctx;

	psf_memcpy(buf, mem_at(ctx, lba), (size_t)n * m->sector_size);
	return PS_OK;
}

static int mem_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct ps_media *m = (struct ps_media *)ctx;

	psf_memcpy(mem_at(ctx, lba), buf, (size_t)n * m->sector_size);
	return PS_OK;
}

static int mem_flush(void *ctx)
{
	(void)ctx;
	return PS_OK;
}

static const struct ps_media_ops mem_ops = {
	.read = mem_read,
	.write = mem_write,
	.flush = mem_flush,
	.close = 0,
};

int ps_media_init_mem(struct ps_media *m, void *mem, uint32_t sector_size,
		      uint64_t sectors)
{
	int rc;

	if (!mem)
		return PS_ERR_INVAL;
	rc = ps_media_init(m, &mem_ops, m, sector_size, sectors);
	if (rc)
		return rc;
	m->mem = mem;
	return PS_OK;
}
