/*
 * ps_media_efi.c - struct ps_media over EFI_BLOCK_IO_PROTOCOL (UEFI
 * firmware, gnu-efi): the media callbacks of the BIOS setup application.
 * No libc: gnu-efi's headers and the callback backend of ps_media.c.
 */
#include <efi.h>
#include <efilib.h>

#include "ps_media_efi.h"

static EFI_BLOCK_IO *bio_of(const struct ps_efi_blk *b)
{
	return (EFI_BLOCK_IO *)b->bio;
}

/* The media was swapped (another key in the same socket): refuse
 * rather than write a store into someone else's disk. */
static int same_media(const struct ps_efi_blk *b)
{
	return bio_of(b)->Media->MediaId == b->media_id &&
	       bio_of(b)->Media->MediaPresent;
}

/* Sector I/O in bounce-sized chunks.  write selects the direction. */
static int xfer(struct ps_efi_blk *b, uint64_t lba, uint32_t n, void *buf,
		int write)
{
	EFI_BLOCK_IO *io = bio_of(b);
	uint32_t bs = io->Media->BlockSize;
	uint32_t per = PS_EFI_BOUNCE / bs;
	uint8_t *p = buf;
	EFI_STATUS st;

	if (!same_media(b))
		return PS_ERR_IO;
	while (n) {
		uint32_t k = n < per ? n : per;

		if (write) {
			CopyMem(b->bounce, p, (UINTN)k * bs);
			st = uefi_call_wrapper(io->WriteBlocks, 5, io,
					       b->media_id, b->first_lba + lba,
					       (UINTN)k * bs, b->bounce);
		} else {
			st = uefi_call_wrapper(io->ReadBlocks, 5, io,
					       b->media_id, b->first_lba + lba,
					       (UINTN)k * bs, b->bounce);
			if (!EFI_ERROR(st))
				CopyMem(p, b->bounce, (UINTN)k * bs);
		}
		if (EFI_ERROR(st))
			return st == EFI_WRITE_PROTECTED ? PS_ERR_RDONLY
							 : PS_ERR_IO;
		p += (size_t)k * bs;
		lba += k;
		n -= k;
	}
	return 0;
}

static int efi_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	return xfer(ctx, lba, n, buf, 0);
}

static int efi_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	return xfer(ctx, lba, n, (void *)buf, 1);
}

/* FlushBlocks writes the device's cache out (USB mass storage: a SCSI
 * SYNCHRONIZE CACHE); a device without a cache returns success. */
static int efi_flush(void *ctx)
{
	struct ps_efi_blk *b = ctx;
	EFI_BLOCK_IO *io = bio_of(b);

	if (!same_media(b))
		return PS_ERR_IO;
	return EFI_ERROR(uefi_call_wrapper(io->FlushBlocks, 1, io)) ?
	       PS_ERR_IO : 0;
}

static const struct ps_media_ops efi_ops = {
	.read = efi_read,
	.write = efi_write,
	.flush = efi_flush,
	.close = NULL,
};

int ps_media_open_efi(struct ps_media *m, struct ps_efi_blk *b, void *bio,
		      void *bounce, uint64_t first_lba, uint64_t sectors)
{
	EFI_BLOCK_IO *io = bio;
	int rc;

	if (!m || !b || !io || !bounce || !io->Media)
		return PS_ERR_INVAL;
	if (io->Media->BlockSize > PS_SECTOR_SIZE_MAX ||
	    first_lba + sectors > io->Media->LastBlock + 1)
		return PS_ERR_INVAL;
	b->bio = bio;
	b->media_id = io->Media->MediaId;
	b->first_lba = first_lba;
	b->bounce = bounce;
	rc = ps_media_init(m, &efi_ops, b, io->Media->BlockSize, sectors);
	if (!rc)
		m->read_only = io->Media->ReadOnly ? 1 : 0;
	return rc;
}
