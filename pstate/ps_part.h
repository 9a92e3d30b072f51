/*
 * ps_part.h - the pstate partition: its types, finding and creating it.
 *
 * Types freestanding; functions hosted (ps_part.c: libfdisk, libblkid).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_PART_H
#define PS_PART_H

#include "ps_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Partitions (types freestanding, functions hosted: ps_part.c)
 *
 * The store lives in one partition with a type no common tool uses
 * (docs/discovery.md lists what was checked); ps_part_create makes it a
 * primary one, ps_part_find also accepts a logical MBR partition:
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
	uint32_t sector_size; /* bytes per sector the table was read with:
				 a block device's logical sector size; for
				 a file, the one its store's superblock
				 records (see ps_part_find), else 512 */
};

struct ps_part_create_opts {
	enum ps_part_label label;
	/* bytes; 0 = PS_PART_DEFAULT_SIZE; rounded up to whole sectors of
	 * the device (its logical sector size; 512 for a file) */
	uint64_t size;
	int force;     /* overwrite an existing table or data */
};

#if PS_HOSTED
/*
 * Probe `path` for the pstate partition.  On success fills *out and
 * returns 0.  A block device's table is read in its logical sectors.  A
 * file (an image, maybe copied from a key with 4096-byte sectors) is read
 * with 512-byte sectors first; when that finds no store, with 4096, 2048
 * and 1024, and the first size whose pstate partition holds a superblock
 * recording that size is taken (docs/discovery.md).  On failure returns a PS_PART_E* code (ps_errors.h) and, when
 * err is not NULL, a one-line message naming the device and what was
 * wrong.
 */
int ps_part_find(const char *path, struct ps_part_info *out, char *err,
		 size_t errlen);

/*
 * The sector size of the store in [offset, offset + length) of path
 * (length 0: to the end): a block device's logical sector size; for a
 * file (or a node whose kernel does not say), the sector size its
 * superblock records (ps_sb_sector_size: the primary at offset, else a
 * backup in the window's last B bytes recording B); else 512.  Every
 * opener of a window takes its sector size from here.
 */
uint32_t ps_part_sector_size(const char *path, uint64_t offset,
			     uint64_t length);

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

#ifdef __cplusplus
}
#endif

#endif /* PS_PART_H */
