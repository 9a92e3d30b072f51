/*
 * test_part.c - pstate/ps_part: the pstate partition on MBR and GPT.
 *
 * Images are sparse temp files.  Tables come from two writers: pstate
 * itself (libfdisk, ps_part_create) and a human's tool (sfdisk, run as a
 * child process with a fixed label-id so the images are reproducible).
 * Finding always goes through libblkid (ps_part_find), the same code that
 * probes a real USB key.  Needs sfdisk on PATH (fdisk package).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pstate.h"

#define MiB (1ULL << 20)

struct img {
	char path[256];
};

/* A sparse, all-zero image of `size` bytes. */
static void img_new(struct img *im, uint64_t size)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(im->path, sizeof im->path, "%s/ps_part.XXXXXX",
		 tmp ? tmp : "/tmp");
	fd = mkstemp(im->path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void img_free(struct img *im)
{
	unlink(im->path);
}

/* Run sfdisk on the image with `script` on its stdin. */
static void sfdisk(const struct img *im, const char *script)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof cmd, "sfdisk -q --no-reread --no-tell-kernel "
		 "'%s' >/dev/null 2>&1", im->path);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(script, p);
	assert_int_equal(pclose(p), 0);
}

static void write_at(const struct img *im, uint64_t off, const void *buf,
		     size_t len)
{
	int fd = open(im->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* The whole image, to prove that a refused create wrote nothing. */
static unsigned char *slurp(const struct img *im, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(im->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/* sfdisk's own view of the table, to check a human tool agrees with us. */
static void sfdisk_dump_contains(const struct img *im, const char *needle)
{
	char cmd[512], out[4096];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof cmd, "sfdisk --dump '%s' 2>&1", im->path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	if (!strstr(out, needle))
		fail_msg("sfdisk --dump lacks \"%s\":\n%s", needle, out);
}

#define MBR_HUMAN \
	"label: dos\nlabel-id: 0x5eed0001\n" \
	"start=2048, size=20480, type=83\n" \
	"start=22528, size=8192, type=6b\n"
#define GPT_HUMAN \
	"label: gpt\nlabel-id: 5EED0001-0000-4000-8000-000000000001\n" \
	"start=2048, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n" \
	"start=22528, size=8192, type=9C00FAB3-18A7-43B6-82BB-C5E429B0EF53\n"

/* ------------------------------------------------------------- create */

static void test_create_mbr(void **state)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_MBR, 0, 0 };
	struct ps_part_info pi, f;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 64 * MiB);
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err), 0);
	/* At the end of the key, 1 MiB aligned, in the last primary slot. */
	assert_int_equal(pi.offset, 60 * MiB);
	assert_int_equal(pi.length, 4 * MiB);
	assert_int_equal(pi.dev_size, 64 * MiB);
	assert_int_equal(pi.partno, PS_PART_MBR_PARTNO);
	assert_int_equal(pi.label, PS_PART_LABEL_MBR);
	assert_int_equal(ps_part_find(im.path, &f, err, sizeof err), 0);
	assert_int_equal(f.offset, pi.offset);
	assert_int_equal(f.length, pi.length);
	assert_int_equal(f.partno, pi.partno);
	assert_int_equal(f.sector_size, 512);
	sfdisk_dump_contains(&im, "start=      122880, size=        8192, "
			     "type=6b");
	img_free(&im);
}

static void test_create_gpt(void **state)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_GPT, 0, 0 };
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 64 * MiB);
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err), 0);
	/* The backup GPT takes the last 33 sectors: the last 1 MiB-aligned
	 * start that fits is 59 MiB. */
	assert_int_equal(pi.offset, 59 * MiB);
	assert_int_equal(pi.length, 4 * MiB);
	assert_int_equal(pi.partno, PS_PART_GPT_PARTNO);
	assert_int_equal(pi.label, PS_PART_LABEL_GPT);
	sfdisk_dump_contains(&im, "type=9C00FAB3-18A7-43B6-82BB-C5E429B0EF53");
	img_free(&im);
}

/* Sizes round up to whole sectors; the start stays 1 MiB aligned. */
static void test_create_odd_size(void **state)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_GPT, MiB + 1, 0 };
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 32 * MiB);
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err), 0);
	assert_int_equal(pi.length, MiB + 512);
	assert_int_equal(pi.offset % MiB, 0);
	assert_true(pi.offset + pi.length <= 32 * MiB - 33 * 512);
	img_free(&im);
}

static void test_create_too_small(void **state)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_MBR, 0, 0 };
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 4 * MiB);      /* 4 MiB minus the first 1 MiB < 4 MiB */
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err),
			 PS_PART_ENOSPC);
	assert_non_null(strstr(err, im.path));
	img_free(&im);
}

/* A key with a table or a filesystem is someone's: no write without
 * force, not one byte. */
static void test_refuse_without_force(void **state)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_GPT, 0, 0 };
	struct ps_part_info pi;
	char err[256] = "";
	unsigned char *before, *after;
	size_t n1, n2;
	struct img im;

	(void)state;
	img_new(&im, 32 * MiB);
	sfdisk(&im, "label: dos\nlabel-id: 0x5eed0002\nstart=2048, type=83\n");
	before = slurp(&im, &n1);
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err),
			 PS_PART_EBUSY);
	assert_non_null(strstr(err, "dos partition table"));
	assert_non_null(strstr(err, im.path));
	after = slurp(&im, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);

	o.force = 1;
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err), 0);
	assert_int_equal(pi.label, PS_PART_LABEL_GPT);
	img_free(&im);
}

/* A filesystem signature without any table (swap: "SWAPSPACE2" at the
 * end of the first 4 KiB page) is data too. */
static void test_refuse_filesystem(void **state)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_MBR, 0, 0 };
	struct ps_part_info pi;
	unsigned char hdr[1024] = {0};
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 32 * MiB);
	hdr[0] = 1;                                   /* swap version 1 */
	hdr[4] = 0xff; hdr[5] = 0x1f;                 /* last page */
	write_at(&im, 1024, hdr, sizeof hdr);
	write_at(&im, 4086, "SWAPSPACE2", 10);
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err),
			 PS_PART_EBUSY);
	assert_non_null(strstr(err, "swap"));
	o.force = 1;
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err), 0);
	img_free(&im);
}

/* --------------------------------------------------------------- find */

/* A 32 MiB image partitioned by sfdisk with script: ps_part_find finds
 * partition partno at 512-byte sector start, size sectors long. */
static void find_sfdisk(const char *script, uint64_t start, uint64_t size,
			int partno, enum ps_part_label label)
{
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	img_new(&im, 32 * MiB);
	sfdisk(&im, script);
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err), 0);
	assert_int_equal(pi.offset, start * 512);
	assert_int_equal(pi.length, size * 512);
	assert_int_equal(pi.partno, partno);
	assert_int_equal(pi.label, label);
	assert_int_equal(pi.sector_size, 512);
	img_free(&im);
}

static void test_find_sfdisk_mbr(void **state)
{
	(void)state;
	find_sfdisk(MBR_HUMAN, 22528, 8192, 2, PS_PART_LABEL_MBR);
}

/* sfdisk given the GUID in uppercase: the on-disk GUID is the same and
 * libblkid reports it lowercase. */
static void test_find_sfdisk_gpt(void **state)
{
	(void)state;
	find_sfdisk(GPT_HUMAN, 22528, 8192, 2, PS_PART_LABEL_GPT);
}

/* docs/discovery.md: a 0x6b partition in a logical slot (inside an
 * extended partition) is found like a primary one, numbered 5 and up. */
static void test_find_logical(void **state)
{
	(void)state;
	find_sfdisk("label: dos\nlabel-id: 0x5eed0005\n"
		    "start=2048, size=20480, type=83\n"
		    "start=30000, size=30000, type=5\n"
		    "start=32768, size=8192, type=6b\n",
		    32768, 8192, 5, PS_PART_LABEL_MBR);
}

/* docs/discovery.md: the GPT type GUID on disk is mixed-endian, these 16
 * bytes at offset 0 of the partition entry (entry 128, LBA 2 onwards). */
static void test_gpt_guid_bytes(void **state)
{
	static const uint8_t want[16] = { 0xb3, 0xfa, 0x00, 0x9c, 0xa7, 0x18,
					  0xb6, 0x43, 0x82, 0xbb, 0xc5, 0xe4,
					  0x29, 0xb0, 0xef, 0x53 };
	struct ps_part_create_opts o = { PS_PART_LABEL_GPT, 0, 0 };
	struct ps_part_info pi;
	char err[256] = "";
	unsigned char *b;
	size_t len;
	struct img im;

	(void)state;
	img_new(&im, 16 * MiB);
	assert_int_equal(ps_part_create(im.path, &o, &pi, err, sizeof err), 0);
	b = slurp(&im, &len);
	assert_memory_equal(b + 2 * 512 + (PS_PART_GPT_PARTNO - 1) * 128, want,
			    16);
	free(b);
	img_free(&im);
}

/* A dos table in 4096-byte sectors, as a 4Kn key has it: partition 1,
 * type 0x6b, at 4 KiB-sector 256 (1 MiB), 256 sectors (1 MiB). */
static void mbr_4k(const struct img *im)
{
	uint8_t mbr[512] = { 0 }, *e = mbr + 446;

	e[4] = PS_PART_MBR_TYPE;
	psf_put_le32(e + 8, 256);
	psf_put_le32(e + 12, 256);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	write_at(im, 0, mbr, sizeof mbr);
}

/* Format [offset, offset + length) of the image with ss-byte sectors. */
static void format_window(const struct img *im, uint64_t offset,
			  uint64_t length, uint32_t ss)
{
	static uint8_t sector[PS_SECTOR_SIZE_MAX];
	struct ps_media m;
	struct ps_disk d;

	assert_int_equal(ps_media_open_image(&m, im->path, offset, length, ss,
					     0), 0);
	assert_int_equal(ps_format(&d, &m, NULL, sector), 0);
	ps_media_close(&m);
}

/* An image copied from a key with 4096-byte sectors: the table is read
 * in the sector size the store's superblock records; a blank partition
 * (no superblock) keeps the 512-byte reading. */
static void test_find_4k_copy(void **state)
{
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 8 * MiB);
	mbr_4k(&im);
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err), 0);
	assert_int_equal(pi.offset, 256ULL * 512);
	assert_int_equal(pi.sector_size, 512);
	format_window(&im, MiB, MiB, 4096);
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err), 0);
	assert_int_equal(pi.offset, MiB);
	assert_int_equal(pi.length, MiB);
	assert_int_equal(pi.partno, 1);
	assert_int_equal(pi.sector_size, 4096);
	assert_int_equal(ps_part_sector_size(im.path, MiB, MiB), 4096);
	/* The primary damaged: the backup, in the window's last 4 KiB,
	 * still says 4096. */
	write_at(&im, MiB + 100, "X", 1);
	assert_int_equal(ps_part_sector_size(im.path, MiB, MiB), 4096);
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err), 0);
	assert_int_equal(pi.offset, MiB);
	/* No superblock at all: 512. */
	assert_int_equal(ps_part_sector_size(im.path, 2 * MiB, MiB), 512);
	img_free(&im);
}

/* A whole-file store (no table) with 4096-byte sectors, and a 512-byte
 * one: ps_part_sector_size reads the superblock. */
static void test_sector_size_whole(void **state)
{
	struct img im;

	(void)state;
	img_new(&im, 2 * MiB);
	assert_int_equal(ps_part_sector_size(im.path, 0, 0), 512);
	format_window(&im, 0, 0, 4096);
	assert_int_equal(ps_part_sector_size(im.path, 0, 0), 4096);
	format_window(&im, 0, 0, 1024);
	assert_int_equal(ps_part_sector_size(im.path, 0, 0), 1024);
	format_window(&im, 0, 0, 512);
	assert_int_equal(ps_part_sector_size(im.path, 0, 0), 512);
	assert_int_equal(ps_part_sector_size("/nonexistent/x", 0, 0), 512);
	img_free(&im);
}

static void test_err_no_table(void **state)
{
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 8 * MiB);
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err),
			 PS_PART_ENOTABLE);
	assert_non_null(strstr(err, "no partition table"));
	assert_non_null(strstr(err, im.path));
	img_free(&im);
}

static void test_err_no_pstate(void **state)
{
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 32 * MiB);
	sfdisk(&im, "label: gpt\nlabel-id: 5EED0001-0000-4000-8000-000000000002"
	       "\nstart=2048, size=4096, type=L\n");
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err),
			 PS_PART_ENOTFOUND);
	assert_non_null(strstr(err, "gpt partition table with 1 partition"));
	assert_non_null(strstr(err, PS_PART_GPT_TYPE));
	img_free(&im);
}

static void test_err_two_pstate(void **state)
{
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 32 * MiB);
	sfdisk(&im, "label: dos\nlabel-id: 0x5eed0003\n"
	       "start=2048, size=4096, type=6b\n"
	       "start=8192, size=4096, type=6b\n");
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err),
			 PS_PART_EDUP);
	assert_non_null(strstr(err, "two pstate partitions: #1 at byte "
			       "1048576 and #2 at byte 4194304"));
	img_free(&im);
}

/* A table written for a bigger key (or an image cut short). */
static void test_err_past_end(void **state)
{
	struct ps_part_info pi;
	char err[256] = "";
	struct img im;

	(void)state;
	img_new(&im, 32 * MiB);
	sfdisk(&im, "label: dos\nlabel-id: 0x5eed0004\n"
	       "start=55296, size=8192, type=6b\n");
	assert_int_equal(truncate(im.path, 16 * MiB), 0);
	assert_int_equal(ps_part_find(im.path, &pi, err, sizeof err),
			 PS_PART_ERANGE);
	assert_non_null(strstr(err, "past the end of the device (16777216"));
	img_free(&im);
}

static void test_err_vanished(void **state)
{
	struct ps_part_info pi;
	char err[256] = "";

	(void)state;
	assert_int_equal(ps_part_find("/nonexistent/sdz", &pi, err, sizeof err),
			 PS_PART_ENODEV);
	assert_non_null(strstr(err, "/nonexistent/sdz: cannot open"));
	assert_string_equal(ps_strerror(PS_PART_ENODEV),
			    "device vanished or cannot be opened");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_mbr),
		cmocka_unit_test(test_create_gpt),
		cmocka_unit_test(test_create_odd_size),
		cmocka_unit_test(test_create_too_small),
		cmocka_unit_test(test_refuse_without_force),
		cmocka_unit_test(test_refuse_filesystem),
		cmocka_unit_test(test_find_sfdisk_mbr),
		cmocka_unit_test(test_find_sfdisk_gpt),
		cmocka_unit_test(test_find_logical),
		cmocka_unit_test(test_gpt_guid_bytes),
		cmocka_unit_test(test_find_4k_copy),
		cmocka_unit_test(test_sector_size_whole),
		cmocka_unit_test(test_err_no_table),
		cmocka_unit_test(test_err_no_pstate),
		cmocka_unit_test(test_err_two_pstate),
		cmocka_unit_test(test_err_past_end),
		cmocka_unit_test(test_err_vanished),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
