/*
 * ps_media_efi.h - the UEFI Block I/O media backend (ps_media_efi.c), for
 * the BIOS setup application (cli/setup/, docs/setup.md).
 *
 * Built only into pstate-setup.efi (cli/setup/setup.mk), with gnu-efi's
 * headers; this header needs none of them (the protocol is a void *), so
 * it compiles on its own like every other part.
 */
#ifndef PS_MEDIA_EFI_H
#define PS_MEDIA_EFI_H

#include "ps_media.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The backend's context: one window of a Block I/O device. */
struct ps_efi_blk {
	void *bio;               /* EFI_BLOCK_IO_PROTOCOL * of the disk */
	uint32_t media_id;       /* Media->MediaId when opened */
	uint64_t first_lba;      /* the window's first sector on the disk */
	void *bounce;            /* PS_EFI_BOUNCE bytes, IoAlign-aligned */
};

/* Bytes of the bounce buffer every transfer goes through (the caller's
 * buffers need not meet the device's IoAlign). */
#define PS_EFI_BOUNCE 65536u

/*
 * ps_media_open_efi - m reads and writes sectors [first_lba, first_lba +
 * sectors) of the Block I/O device bio through b.  Writes go through
 * WriteBlocks, flush is FlushBlocks (the device's cache included), so a
 * commit's durable steps reach the key before the next one starts.
 * @bounce: PS_EFI_BOUNCE bytes aligned to the device's IoAlign (the
 *          caller's allocation, kept as is)
 * A write-protected device (Media->ReadOnly) gives a read-only media.
 * Returns 0, or PS_ERR_INVAL (a NULL argument, a block size past
 * PS_SECTOR_SIZE_MAX, a window past the device's end).
 */
int ps_media_open_efi(struct ps_media *m, struct ps_efi_blk *b, void *bio,
		      void *bounce, uint64_t first_lba, uint64_t sectors);

#ifdef __cplusplus
}
#endif

#endif /* PS_MEDIA_EFI_H */
