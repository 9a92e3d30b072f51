/*
 * ps_part.c - create (libfdisk) and find (libblkid) the pstate partition.
 * See ps_part.h and docs/discovery.md.
 */
#include "ps_internal.h"
#include "ps_dl_internal.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdisk.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/fs.h>

const char *ps_part_label_name(enum ps_part_label label)
{
	return label == PS_PART_LABEL_GPT ? "gpt" : "dos";
}

/* Missing node or a device that went away while we held its name:
 * the USB key was unplugged, not a damaged key. */
static int errno_is_gone(int e)
{
	return e == ENOENT || e == ENXIO || e == ENODEV;
}

static int open_dev(const char *path, int flags, char *err, size_t errlen)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen,
			    errno_is_gone(errno) ? PS_PART_ENODEV : PS_PART_EIO,
			    "%s: cannot open: %s", path, strerror(errno));
	return fd;
}

/* lseek, not BLKGETSIZE64: works on image files, block devices and the
 * regular files umockdev puts behind its fake /dev nodes. */
static int dev_size(int fd, const char *path, uint64_t *size, char *err,
		    size_t errlen)
{
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return fail(err, errlen, PS_PART_EIO, "%s: cannot get size: %s",
			    path, strerror(errno));
	*size = (uint64_t)end;
	return 0;
}

/* ------------------------------------------------------------------ find */

/* Is this partition ours?  MBR: type byte; GPT: type GUID (libblkid gives
 * it lowercase; compare without case in case a tool wrote uppercase). */
static int is_pstate(blkid_partition par, enum ps_part_label *label)
{
	blkid_parttable tab = PS_DL(blkid_partition_get_table)(par);
	const char *tt = tab ? PS_DL(blkid_parttable_get_type)(tab) : NULL;
	const char *guid;

	if (!tt)
		return 0;
	if (strcmp(tt, "dos") == 0) {
		*label = PS_PART_LABEL_MBR;
		return PS_DL(blkid_partition_get_type)(par) == (int)PS_PART_MBR_TYPE;
	}
	if (strcmp(tt, "gpt") == 0) {
		guid = PS_DL(blkid_partition_get_type_string)(par);
		*label = PS_PART_LABEL_GPT;
		return guid && strcasecmp(guid, PS_PART_GPT_TYPE) == 0;
	}
	return 0;
}

static void fill_info(blkid_partition par, enum ps_part_label label,
		      uint64_t size, struct ps_part_info *out)
{
	out->offset = (uint64_t)PS_DL(blkid_partition_get_start)(par) * PS_PART_SECTOR;
	out->length = (uint64_t)PS_DL(blkid_partition_get_size)(par) * PS_PART_SECTOR;
	out->dev_size = size;
	out->partno = PS_DL(blkid_partition_get_partno)(par);
	out->label = label;
	out->sector_size = 0; /* ps_part_find knows it */
}

/* Walk the list: exactly one pstate partition, inside the device. */
static int pick_partition(blkid_partlist ls, const char *path, uint64_t size,
			  struct ps_part_info *out, char *err, size_t errlen)
{
	int n = PS_DL(blkid_partlist_numof_partitions)(ls);
	int found = 0;
	struct ps_part_info first = {0}, cur;
	enum ps_part_label label;

	for (int i = 0; i < n; i++) {
		blkid_partition par = PS_DL(blkid_partlist_get_partition)(ls, i);
		if (!par || !is_pstate(par, &label))
			continue;
		fill_info(par, label, size, &cur);
		if (found++ == 0) {
			first = cur;
			continue;
		}
		return fail(err, errlen, PS_PART_EDUP,
			    "%s: two pstate partitions: #%d at byte %llu and "
			    "#%d at "
			    "byte %llu (remove one)",
			    path, first.partno,
			    (unsigned long long)first.offset, cur.partno,
			    (unsigned long long)cur.offset);
	}
	if (!found) {
		const char *tt =
			PS_DL(blkid_parttable_get_type)(PS_DL(blkid_partlist_get_table)(ls));
		return fail(
			err, errlen, PS_PART_ENOTFOUND,
			"%s: %s partition table with %d partition(s), none of "
			"pstate type (%s)",
			path, tt, n,
			strcmp(tt, "gpt") == 0 ? PS_PART_GPT_TYPE : "MBR 0x6b");
	}
	if (first.length == 0 || first.offset + first.length > size)
		return fail(
			err, errlen, PS_PART_ERANGE,
			"%s: pstate partition #%d (bytes %llu..%llu) extends "
			"past the end of the device (%llu bytes)",
			path, first.partno, (unsigned long long)first.offset,
			(unsigned long long)(first.offset + first.length),
			(unsigned long long)size);
	*out = first;
	return 0;
}

/* The table of fd read with ss-byte sectors (0: libblkid's choice, the
 * device's logical sector size or 512 for a file). */
static int probe_fd(int fd, const char *path, uint64_t size, uint32_t ss,
		    struct ps_part_info *out, char *err, size_t errlen)
{
	blkid_probe pr;
	blkid_partlist ls;
	char why[300];
	int rc;

	if (ps_dl_blkid(why, sizeof why))
		return fail(err, errlen, PS_PART_EIO, "%s: %s", path, why);
	pr = PS_DL(blkid_new_probe)();
	if (!pr)
		return fail(err, errlen, PS_PART_EIO,
			    "%s: libblkid: out of memory", path);
	/* Explicit size: libblkid's own BLKGETSIZE64 fails under umockdev. */
	if (PS_DL(blkid_probe_set_device)(pr, fd, 0, (blkid_loff_t)size) != 0 ||
	    (ss && PS_DL(blkid_probe_set_sectorsize)(pr, ss) != 0)) {
		PS_DL(blkid_free_probe)(pr);
		return fail(err, errlen, PS_PART_EIO,
			    "%s: libblkid cannot use the "
			    "device",
			    path);
	}
	PS_DL(blkid_probe_enable_partitions)(pr, 1);
	ls = PS_DL(blkid_probe_get_partitions)(pr);
	if (!ls || !PS_DL(blkid_partlist_get_table)(ls))
		rc = fail(err, errlen, PS_PART_ENOTABLE,
			  "%s: no partition table "
			  "(%llu bytes probed with libblkid)",
			  path, (unsigned long long)size);
	else
		rc = pick_partition(ls, path, size, out, err, errlen);
	PS_DL(blkid_free_probe)(pr);
	return rc;
}

/* ------------------------------------------------------- sector size */

/* A block device's logical sector size; 0 for a file, or when the kernel
 * does not say (umockdev's fake nodes) or says something unusable. */
static uint32_t blk_sector_size(int fd)
{
	struct stat st;
	int ss = 0;

	if (fstat(fd, &st) || !S_ISBLK(st.st_mode) ||
	    ioctl(fd, BLKSSZGET, &ss) || ss < (int)PS_SECTOR_SIZE ||
	    ss > (int)PS_SECTOR_SIZE_MAX || (ss & (ss - 1)))
		return 0;
	return (uint32_t)ss;
}

/* The sector size the store's superblock records, for the window
 * [offset, offset + length) of fd (length 0: to size): the primary at
 * offset, else a backup in the window's last B bytes recording B (the
 * primary damaged); 0 when neither copy is there (not formatted). */
static uint32_t sb_sector_size(int fd, uint64_t offset, uint64_t length,
			       uint64_t size)
{
	uint8_t sb[PS_SB_SIZE];
	uint64_t win = length ? length : size > offset ? size - offset : 0;
	uint32_t b, ss;

	if (pread(fd, sb, sizeof sb, (off_t)offset) == (ssize_t)sizeof sb &&
	    (ss = ps_sb_sector_size(sb)) != 0)
		return ss;
	for (b = PS_SECTOR_SIZE; b <= PS_SECTOR_SIZE_MAX && win / b; b *= 2)
		if (pread(fd, sb, sizeof sb,
			  (off_t)(offset + (win / b - 1) * b)) ==
			    (ssize_t)sizeof sb &&
		    ps_sb_sector_size(sb) == b)
			return b;
	return 0;
}

uint32_t ps_part_sector_size(const char *path, uint64_t offset,
			     uint64_t length)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	uint32_t ss = 0;
	off_t end;

	if (fd < 0)
		return PS_SECTOR_SIZE;
	ss = blk_sector_size(fd);
	if (!ss && (end = lseek(fd, 0, SEEK_END)) > 0)
		ss = sb_sector_size(fd, offset, length, (uint64_t)end);
	close(fd);
	return ss ? ss : PS_SECTOR_SIZE;
}

/*
 * A file has no sector size of its own: its table was written for the
 * key it was copied from, in that key's sectors.  Read it with 512-byte
 * sectors first; when that finds no store (neither a pstate partition
 * whose superblock records 512 nor a whole-file store), the first other
 * size whose table holds a pstate partition with a superblock recording
 * that size wins.  Else the 512-byte answer stands (a blank partition,
 * or an error naming what was found).
 */
static int find_in_file(int fd, const char *path, uint64_t size,
			struct ps_part_info *out, char *err, size_t errlen)
{
	static const uint32_t other[] = { 4096, 2048, 1024 };
	struct ps_part_info p;
	char scratch[256];
	unsigned i;
	int rc = probe_fd(fd, path, size, PS_SECTOR_SIZE, out, err, errlen);

	if (rc == 0) {
		out->sector_size = PS_SECTOR_SIZE;
		if (sb_sector_size(fd, out->offset, out->length, size) ==
		    PS_SECTOR_SIZE)
			return 0;
	} else if (rc == PS_PART_ENOTABLE && sb_sector_size(fd, 0, 0, size)) {
		return rc; /* a whole-file store */
	}
	for (i = 0; i < sizeof other / sizeof other[0]; i++) {
		if (probe_fd(fd, path, size, other[i], &p, scratch,
			     sizeof scratch) ||
		    sb_sector_size(fd, p.offset, p.length, size) != other[i])
			continue;
		p.sector_size = other[i];
		*out = p;
		if (err && errlen)
			*err = 0;
		return 0;
	}
	return rc;
}

int ps_part_find(const char *path, struct ps_part_info *out, char *err,
		 size_t errlen)
{
	uint64_t size = 0;
	uint32_t ss;
	int fd, rc;

	if (!path || !out)
		return fail(err, errlen, PS_PART_EINVAL,
			    "ps_part_find: NULL argument");
	fd = open_dev(path, O_RDONLY, err, errlen);
	if (fd < 0)
		return fd;
	rc = dev_size(fd, path, &size, err, errlen);
	ss = rc ? 0 : blk_sector_size(fd);
	if (rc == 0 && ss)
		rc = probe_fd(fd, path, size, ss, out, err, errlen);
	else if (rc == 0)
		rc = find_in_file(fd, path, size, out, err, errlen);
	if (rc == 0 && ss)
		out->sector_size = ss;
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- create */

/* Anything libblkid recognises (a partition table, a filesystem, RAID or
 * LVM member, swap...) means someone's data: refuse unless forced.
 * Returns 0 when the device looks empty. */
static int check_empty(int fd, const char *path, uint64_t size, char *err,
		       size_t errlen)
{
	blkid_probe pr;
	const char *what = NULL, *kind = "";
	char why[300];
	int rc;

	if (ps_dl_blkid(why, sizeof why))
		return fail(err, errlen, PS_PART_EIO, "%s: %s", path, why);
	pr = PS_DL(blkid_new_probe)();

	if (!pr || PS_DL(blkid_probe_set_device)(pr, fd, 0, (blkid_loff_t)size) != 0) {
		PS_DL(blkid_free_probe)(pr);
		return fail(err, errlen, PS_PART_EIO,
			    "%s: libblkid cannot probe", path);
	}
	PS_DL(blkid_probe_enable_superblocks)(pr, 1);
	PS_DL(blkid_probe_enable_partitions)(pr, 1);
	rc = PS_DL(blkid_do_safeprobe)(pr); /* 0 found, 1 nothing, -2 ambiguous */
	if (rc == 0 || rc == -2) {
		if (PS_DL(blkid_probe_lookup_value)(pr, "PTTYPE", &what, NULL) == 0)
			kind = " partition table";
		else if (PS_DL(blkid_probe_lookup_value)(pr, "TYPE", &what, NULL) == 0)
			kind = " signature";
		rc = fail(err, errlen, PS_PART_EBUSY,
			  "%s: already holds %s%s; "
			  "refusing to overwrite without force",
			  path, what ? what : "data (ambiguous signatures)",
			  kind);
	} else if (rc == 1) {
		rc = 0;
	} else {
		rc = fail(err, errlen, PS_PART_EIO, "%s: libblkid probe failed",
			  path);
	}
	PS_DL(blkid_free_probe)(pr);
	return rc;
}

/* Where the partition goes, in the device's sectors: the highest 1
 * MiB-aligned start that still fits below the last usable sector. */
static int place(struct fdisk_context *cx, uint64_t nsect, const char *path,
		 fdisk_sector_t *start, char *err, size_t errlen)
{
	fdisk_sector_t first = PS_DL(fdisk_get_first_lba)(cx);
	fdisk_sector_t last = PS_DL(fdisk_get_last_lba)(cx);
	fdisk_sector_t grain = PS_PART_ALIGN / PS_DL(fdisk_get_sector_size)(cx), s;

	/* MBR addresses 2^32 sectors: stay inside on keys above 2 TiB. */
	if (PS_DL(fdisk_is_labeltype)(cx, FDISK_DISKLABEL_DOS) &&
	    last > 0xffffffffULL)
		last = 0xffffffffULL;
	if (last + 1 < nsect + first)
		return fail(err, errlen, PS_PART_ENOSPC,
			    "%s: %llu sectors needed "
			    "for the pstate partition, device has %llu usable",
			    path, (unsigned long long)nsect,
			    (unsigned long long)(last + 1 - first));
	s = (last + 1 - nsect) / grain * grain;
	if (s < first)
		return fail(err, errlen, PS_PART_ENOSPC,
			    "%s: no 1 MiB-aligned "
			    "room for %llu sectors",
			    path, (unsigned long long)nsect);
	*start = s;
	return 0;
}

static int add_partition(struct fdisk_context *cx, fdisk_sector_t start,
			 uint64_t nsect, int gpt, const char *path, char *err,
			 size_t errlen)
{
	struct fdisk_label *lb = PS_DL(fdisk_get_label)(cx, NULL);
	struct fdisk_parttype *t =
		PS_DL(fdisk_label_parse_parttype)(lb, gpt ? PS_PART_GPT_TYPE : "6b");
	struct fdisk_partition *pa = PS_DL(fdisk_new_partition)();
	int rc = -1;

	if (t && pa) {
		PS_DL(fdisk_partition_set_start)(pa, start);
		PS_DL(fdisk_partition_set_size)(pa, nsect);
		/* Exact size: no libfdisk "helpful" re-alignment of the end. */
		PS_DL(fdisk_partition_size_explicit)(pa, 1);
		PS_DL(fdisk_partition_set_partno)(
			pa,
			(gpt ? PS_PART_GPT_PARTNO : PS_PART_MBR_PARTNO) - 1);
		PS_DL(fdisk_partition_set_type)(pa, t);
		rc = PS_DL(fdisk_add_partition)(cx, pa, NULL);
	}
	PS_DL(fdisk_unref_partition)(pa);
	PS_DL(fdisk_unref_parttype)(t);
	if (rc != 0)
		return fail(
			err, errlen, PS_PART_EIO,
			"%s: libfdisk cannot add the "
			"pstate partition at sector %llu (%llu sectors): %s",
			path, (unsigned long long)start,
			(unsigned long long)nsect,
			strerror(rc < 0 ? -rc : EIO));
	return 0;
}

/* size: bytes, rounded up to whole sectors of the device (libfdisk counts
 * in the device's logical sectors: 512 for a file, 4096 on a 4Kn key). */
static int write_table(struct fdisk_context *cx, const char *path,
		       const struct ps_part_create_opts *o, uint64_t size,
		       char *err, size_t errlen)
{
	int gpt = o->label == PS_PART_LABEL_GPT;
	unsigned long ss = PS_DL(fdisk_get_sector_size)(cx);
	uint64_t nsect = (size + ss - 1) / ss;
	fdisk_sector_t start = 0;
	int rc;

	/* With force, also wipe old signatures (filesystem magic, old GPT
	 * backup) in the areas the new label covers. */
	PS_DL(fdisk_enable_wipe)(cx, o->force ? 1 : 0);
	if (PS_DL(fdisk_create_disklabel)(cx, gpt ? "gpt" : "dos") != 0)
		return fail(err, errlen, PS_PART_EIO,
			    "%s: libfdisk cannot create a "
			    "%s label",
			    path, gpt ? "gpt" : "dos");
	rc = place(cx, nsect, path, &start, err, errlen);
	if (rc == 0)
		rc = add_partition(cx, start, nsect, gpt, path, err, errlen);
	if (rc == 0 && PS_DL(fdisk_write_disklabel)(cx) != 0)
		rc = fail(err, errlen, PS_PART_EIO,
			  "%s: libfdisk cannot write the "
			  "partition table",
			  path);
	return rc;
}

static int valid_create_args(const char *path,
			     const struct ps_part_create_opts *o,
			     uint64_t *size, char *err, size_t errlen)
{
	if (!path || !o)
		return fail(err, errlen, PS_PART_EINVAL,
			    "ps_part_create: NULL argument");
	if (o->label != PS_PART_LABEL_MBR && o->label != PS_PART_LABEL_GPT)
		return fail(err, errlen, PS_PART_EINVAL, "%s: unknown label %d",
			    path, (int)o->label);
	*size = o->size ? o->size : PS_PART_DEFAULT_SIZE;
	if (*size > (1ULL << 40))
		return fail(err, errlen, PS_PART_EINVAL,
			    "%s: pstate partition size "
			    "%llu bytes is absurd",
			    path, (unsigned long long)*size);
	return 0;
}

/* The device must be empty (or forced) before libfdisk opens it for
 * writing; checked on our own descriptor so a refused create never
 * opens the device read-write. */
static int precheck(const char *path, int force, char *err, size_t errlen)
{
	uint64_t size = 0;
	int fd = open_dev(path, O_RDONLY, err, errlen);
	int rc;

	if (fd < 0)
		return fd;
	rc = dev_size(fd, path, &size, err, errlen);
	if (rc == 0 && !force)
		rc = check_empty(fd, path, size, err, errlen);
	close(fd);
	return rc;
}

int ps_part_create(const char *path, const struct ps_part_create_opts *opts,
		   struct ps_part_info *out, char *err, size_t errlen)
{
	struct ps_part_info tmp;
	struct fdisk_context *cx;
	uint64_t size = 0;
	char why[300];
	int rc;

	rc = valid_create_args(path, opts, &size, err, errlen);
	if (rc == 0 && ps_dl_fdisk(why, sizeof why))
		rc = fail(err, errlen, PS_PART_EIO, "%s: %s", path, why);
	if (rc == 0)
		rc = precheck(path, opts->force, err, errlen);
	if (rc != 0)
		return rc;
	cx = PS_DL(fdisk_new_context)();
	if (!cx)
		return fail(err, errlen, PS_PART_EIO,
			    "%s: libfdisk: out of memory", path);
	if (PS_DL(fdisk_assign_device)(cx, path, 0) != 0) {
		PS_DL(fdisk_unref_context)(cx);
		return fail(err, errlen, PS_PART_EIO,
			    "%s: libfdisk cannot open "
			    "the device read-write",
			    path);
	}
	rc = write_table(cx, path, opts, size, err, errlen);
	/* deassign fsync()s and closes; a failure here means the table may
	 * not be on the media. */
	if (PS_DL(fdisk_deassign_device)(cx, 0) != 0 && rc == 0)
		rc = fail(err, errlen, PS_PART_EIO,
			  "%s: flushing the partition "
			  "table failed",
			  path);
	PS_DL(fdisk_unref_context)(cx);
	if (rc != 0)
		return rc;
	/* Read back through the same path discovery uses. */
	return ps_part_find(path, out ? out : &tmp, err, errlen);
}
