/*
 * ps_media_fault.c - a media that loses power at a chosen sector write.
 *
 * For the crash test and benchmarks: sector writes are counted one by one;
 * write number crash_at lands only up to a 64-byte boundary (tear_bytes),
 * the rest of that sector keeping its old bytes or reading as zeros or
 * 0xFF, and every operation after it fails as if the power were gone.
 */
#include "pstate.h"

static int fault_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	struct ps_fault *f = ctx;

	if (f->crashed)
		return PS_ERR_IO;
	return ps_media_read(f->lower, lba, n, buf);
}

/* The crash: what of the torn sector reaches the lower media. */
static int tear(struct ps_fault *f, uint64_t lba, const uint8_t *src)
{
	uint32_t ss = f->lower->sector_size;
	uint32_t keep = f->tear_bytes < ss ? f->tear_bytes : ss;
	int rc = 0;

	if (f->fill == PS_FAULT_KEEP)
		rc = ps_media_read(f->lower, lba, 1, f->sector);
	else
		psf_memset(f->sector, f->fill == PS_FAULT_ZERO ? 0 : 0xff, ss);
	if (!rc) {
		psf_memcpy(f->sector, src, keep);
		rc = ps_media_write(f->lower, lba, 1, f->sector);
	}
	f->crashed = 1;
	return rc ? rc : PS_ERR_IO;
}

static int fault_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct ps_fault *f = ctx;
	const uint8_t *src = buf;
	uint32_t ss = f->lower->sector_size, k;
	int rc;

	for (k = 0; k < n; k++, src += ss) {
		if (f->crashed)
			return PS_ERR_IO;
		f->writes++;
		if (f->crash_at && f->writes == f->crash_at)
			return tear(f, lba + k, src);
		rc = ps_media_write(f->lower, lba + k, 1, src);
		if (rc)
			return rc;
	}
	return PS_OK;
}

static int fault_flush(void *ctx)
{
	struct ps_fault *f = ctx;

	return f->crashed ? PS_ERR_IO : ps_media_flush(f->lower);
}

static const struct ps_media_ops fault_ops = {
	.read = fault_read,
	.write = fault_write,
	.flush = fault_flush,
	.close = 0,
};

int ps_media_init_fault(struct ps_media *m, struct ps_fault *f,
			struct ps_media *lower)
{
	if (!f || !lower || lower->sector_size > PS_SECTOR_SIZE_MAX ||
	    f->tear_bytes % 64)
		return PS_ERR_INVAL;
	f->lower = lower;
	f->writes = 0;
	f->crashed = 0;
	return ps_media_init(m, &fault_ops, f, lower->sector_size,
			     lower->sectors);
}
