/*
 * test_open.c - one store, every path to it (ps_open_path, ps_open_default).
 *
 * A 16 MiB image gets a pstate partition (ps_part_create) and a store
 * formatted through ps_open_path; the image is attached to a loop device
 * (losetup --partscan, partx -a where the kernel makes no partitions).
 * The image file, a symlink to it, the whole loop device and its partition
 * node must all open the same store (generation, volume id), block devices
 * through the block-device backend on the partition's node; a commit
 * through the device is seen through the image.  A second loop device with
 * 4096-byte logical sectors, partitioned by sfdisk, must be opened with
 * its real sector size through its whole node (the image backend at 512
 * bytes on a window of the whole device would not).  An unpartitioned
 * loop device is the whole node.  The default search honours
 * $PSTATE_IMAGE and falls back to PS_DEFAULT_IMAGE.
 *
 * Needs root, loop devices, losetup, partx and sfdisk (util-linux); fails,
 * never skips, when they are missing.  Loop devices are detached by the
 * teardown, also after a failure.
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define MiB (1ull << 20)
#define IMG_SIZE (16 * MiB)
#define NLOOP 3

struct fix {
	char dir[256];
	char img[320];
	char loop[NLOOP][64]; /* attached devices, "" when free */
	int nloop;
	uint8_t volume[16];
};

/* ------------------------------------------------------------- helpers */

/* Run a shell command; its first output line in out (may be NULL). */
static int sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024], line[256] = "";
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof line, p))
		line[strcspn(line, "\n")] = 0;
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	if (out)
		snprintf(out, cap, "%s", line);
	return st;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int is_blockdev(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

/* Attach file to a loop device (extra: losetup options); fails the test
 * with losetup's words when the machine cannot. */
static const char *attach(struct fix *f, const char *file, const char *extra)
{
	char *dev = f->loop[f->nloop];
	int rc;

	assert_true(f->nloop < NLOOP);
	rc = sh(dev, sizeof f->loop[0], "losetup -f --show %s '%s' 2>&1",
		extra, file);
	if (rc != 0 || strncmp(dev, "/dev/", 5)) {
		fail_msg("losetup %s %s failed: %s -- this test needs root "
			 "and loop devices", extra, file, dev);
	}
	f->nloop++;
	return dev;
}

/* The node of partition no of loop device dev, waited for (the kernel
 * scans the table itself, or partx adds it). */
static void part_of(const char *dev, int no, char *node, size_t cap)
{
	int i;

	snprintf(node, cap, "%sp%d", dev, no);
	for (i = 0; i < 500 && !is_blockdev(node); i++) {
		if (i == 50)
			sh(NULL, 0, "partx -a '%s' 2>&1", dev);
		sleep_ms(10);
	}
	if (!is_blockdev(node))
		fail_msg("%s: partition node %s did not appear", dev, node);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fix *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/ps_open.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->img, sizeof f->img, "%s/key.img", f->dir);
	if (sh(NULL, 0, "truncate -s %llu '%s'", (unsigned long long)IMG_SIZE,
	       f->img)) {
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int i, rc = 0;

	for (i = 0; i < f->nloop; i++) {
		int k;

		sh(NULL, 0, "partx -d '%s' 2>&1", f->loop[i]);
		for (k = 0; k < 20 && sh(NULL, 0, "losetup -d '%s' 2>&1",
					 f->loop[i]); k++)
			sleep_ms(100);
		if (k == 20)
			rc = -1;
	}
	sh(NULL, 0, "rm -rf '%s'", f->dir);
	free(f);
	return rc;
}

/* A fresh store with a known volume id on what path opens to. */
static void format_at(struct fix *f, const char *path)
{
	struct ps_format_opts fo = { .slot_count = 2 };
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	struct ps_opened o;
	struct ps_disk d;
	char err[1600];

	memcpy(fo.volume_id, "ps_open test vol", 16);
	memcpy(f->volume, fo.volume_id, 16);
	assert_int_equal(ps_open_path(&o, path, PS_OPEN_NO_STORE, err,
				      sizeof err), 0);
	assert_null(o.store);
	assert_int_equal(ps_format(&d, &o.media, &fo, sector), 0);
	ps_open_close(&o);
}

/* path opens the test's store at generation gen; returns the handle. */
static void open_same(struct fix *f, struct ps_opened *o, const char *path,
		      uint64_t gen)
{
	char err[1600];
	int rc = ps_open_path(o, path, 0, err, sizeof err);

	if (rc)
		fail_msg("%s: %s (%d)", path, err, rc);
	assert_int_equal(ps_store_generation(o->store), gen);
	assert_memory_equal(ps_store_disk(o->store)->volume_id, f->volume, 16);
}

/* One commit through o (locked as psctl locks): generation + 1. */
static void commit_one(struct ps_opened *o, unsigned k)
{
	struct ps_txn t;
	char err[1600];
	int len;

	assert_int_equal(ps_open_lock(o, PS_OWNER_OS, err, sizeof err), 0);
	assert_int_equal(ps_txn_begin(o->store, &t), 0);
	len = pst_mkstore(t.buf, t.cap, 2 + k, PST_NAME_ROOM);
	assert_true(len > 0);
	assert_int_equal(ps_txn_commit(&t), 0);
}

/* ---------------------------------------------------------------- tests */

static void every_path_same_store(void **state)
{
	struct fix *f = *state;
	struct ps_part_create_opts po = { .label = PS_PART_LABEL_MBR,
					  .size = 4 * MiB };
	struct ps_part_info info;
	struct ps_opened o;
	char err[512], link[400], node[96], desc[1400];
	const char *dev;

	assert_int_equal(ps_part_create(f->img, &po, &info, err, sizeof err),
			 0);
	format_at(f, f->img);
	snprintf(link, sizeof link, "%s/link.img", f->dir);
	assert_int_equal(symlink(f->img, link), 0);

	dev = attach(f, f->img, "--partscan");
	part_of(dev, PS_PART_MBR_PARTNO, node, sizeof node);

	/* The image: its partition's window, 512-byte sectors. */
	open_same(f, &o, f->img, 1);
	assert_false(o.blockdev);
	assert_false(o.whole);
	assert_int_equal(o.part.offset, info.offset);
	ps_open_describe(&o, desc, sizeof desc);
	snprintf(err, sizeof err, "image:%s dos partition #4 at byte %llu "
		 "(4194304 bytes)", f->img, (unsigned long long)info.offset);
	assert_string_equal(desc, err);
	ps_open_close(&o);

	open_same(f, &o, link, 1);
	assert_string_equal(o.path, link);
	ps_open_close(&o);

	/* The whole key: the partition's own node, block-device backend. */
	open_same(f, &o, dev, 1);
	assert_true(o.blockdev);
	assert_true(o.is_dev);
	assert_false(o.whole);
	assert_string_equal(o.node, node);
	assert_int_equal(o.part.partno, PS_PART_MBR_PARTNO);
	commit_one(&o, 1);
	ps_open_close(&o);

	/* The partition node: a whole node of its own. */
	open_same(f, &o, node, 2);
	assert_true(o.blockdev);
	assert_true(o.whole);
	ps_open_describe(&o, desc, sizeof desc);
	snprintf(err, sizeof err, "device:%s (whole node)", node);
	assert_string_equal(desc, err);
	commit_one(&o, 2);
	ps_open_close(&o);

	/* Commits through the devices are on the image. */
	open_same(f, &o, f->img, 3);
	ps_open_close(&o);
	open_same(f, &o, dev, 3);
	ps_open_close(&o);
}

/* A key with 4096-byte logical sectors: the store uses the device's
 * sector size through the whole node and the partition node alike. */
static void real_sector_size(void **state)
{
	struct fix *f = *state;
	struct ps_opened o;
	char node[96], out[256];
	const char *dev = attach(f, f->img, "--sector-size 4096 --partscan");

	/* Partition 4 of a dos table, type 0x6b, at 8 MiB (4 KiB units). */
	if (sh(out, sizeof out, "echo '%sp4 : start=2048, size=1024, "
	       "type=6b' | sfdisk -q --label dos '%s' 2>&1", dev, dev))
		fail_msg("sfdisk %s: %s", dev, out);
	sh(NULL, 0, "partx -u '%s' 2>&1 || partx -a '%s' 2>&1", dev, dev);
	part_of(dev, 4, node, sizeof node);

	format_at(f, dev);
	open_same(f, &o, dev, 1);
	assert_int_equal(o.media.sector_size, 4096);
	assert_int_equal(o.part.offset, 8 * MiB);
	assert_string_equal(o.node, node);
	ps_open_close(&o);
	open_same(f, &o, node, 1);
	assert_int_equal(o.media.sector_size, 4096);
	ps_open_close(&o);
}

/* No table: the whole node, also through the image. */
static void whole_device(void **state)
{
	struct fix *f = *state;
	struct ps_opened o;
	const char *dev;

	format_at(f, f->img);
	dev = attach(f, f->img, "");
	open_same(f, &o, dev, 1);
	assert_true(o.whole);
	assert_true(o.blockdev);
	commit_one(&o, 1);
	ps_open_close(&o);
	open_same(f, &o, f->img, 2);
	assert_true(o.whole);
	assert_false(o.blockdev);
	ps_open_close(&o);
}

/* Errors a caller tells apart. */
static void open_errors(void **state)
{
	struct fix *f = *state;
	struct ps_opened o;
	char err[1600], path[400];

	snprintf(path, sizeof path, "%s/none.img", f->dir);
	assert_int_equal(ps_open_path(&o, path, 0, err, sizeof err),
			 PS_PART_ENODEV);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ": cannot open: "));
	/* A zeroed file: no table, no superblock. */
	assert_int_equal(ps_open_path(&o, f->img, 0, err, sizeof err),
			 PS_ERR_NOSTORE);
	assert_true(o.whole);
	assert_false(o.media_open);
	ps_open_close(&o);
	assert_int_equal(ps_open_path(&o, NULL, 0, err, sizeof err),
			 PS_ERR_INVAL);
	/* Read-only: a commit is refused. */
	format_at(f, f->img);
	assert_int_equal(ps_open_path(&o, f->img, PS_OPEN_RDONLY, err,
				      sizeof err), 0);
	assert_true(o.media.read_only);
	ps_open_close(&o);
	/* An unwritable file opens read-only with PS_OPEN_RO_RETRY (root
	 * ignores the mode bits, so this one only checks the flag's path). */
	assert_int_equal(ps_open_path(&o, f->img, PS_OPEN_RO_RETRY, err,
				      sizeof err), 0);
	ps_open_close(&o);
}

/* No key: $PSTATE_IMAGE, else the constant (absent here: ENODEV). */
static void default_search(void **state)
{
	struct fix *f = *state;
	struct ps_opened o;
	char err[1600], path[400];
	int rc;

	format_at(f, f->img);
	setenv("PSTATE_PORTS_CONF", "/dev/null", 1);
	setenv(PS_IMAGE_ENV, f->img, 1);
	rc = ps_open_default(&o, NULL, 0, err, sizeof err);
	if (rc)
		fail_msg("default: %s (%d)", err, rc);
	assert_int_equal(o.source, PS_OPEN_SRC_ENV);
	assert_string_equal(o.path, f->img);
	assert_false(o.is_dev);
	assert_non_null(strstr(o.how, "default image ($PSTATE_IMAGE): "));
	ps_open_close(&o);

	snprintf(path, sizeof path, "%s/gone.img", f->dir);
	setenv(PS_IMAGE_ENV, path, 1);
	assert_int_equal(ps_open_default(&o, NULL, 0, err, sizeof err),
			 PS_PART_ENODEV);
	assert_non_null(strstr(err, "default image "));
	assert_non_null(strstr(err, "does not exist"));

	setenv(PS_IMAGE_ENV, "", 1);
	rc = ps_open_default(&o, NULL, 0, err, sizeof err);
	assert_int_equal(o.source, PS_OPEN_SRC_DEFAULT);
	assert_string_equal(o.path, PS_DEFAULT_IMAGE);
	assert_non_null(strstr(o.how, "default image: "));
	if (access(PS_DEFAULT_IMAGE, F_OK))
		assert_int_equal(rc, PS_PART_ENODEV);
	ps_open_close(&o);
	unsetenv(PS_IMAGE_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_path_same_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(real_sector_size, setup,
						teardown),
		cmocka_unit_test_setup_teardown(whole_device, setup, teardown),
		cmocka_unit_test_setup_teardown(open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(default_search, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
