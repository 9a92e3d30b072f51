/*
 * test_blockdev.c - the block-device backend on a real block device.
 *
 * A 16 MiB image file gets a pstate partition (ps_part_create, GPT and
 * MBR), is attached to a loop device (losetup -f --show --partscan), and
 * the partition's node /dev/loopNp<k> is waited for; kernels that do not
 * scan partitions of loop devices get them from `partx -a`.  Then, through
 * ps_media_open_blockdev on that node: ps_format, several commits, a
 * read-back after reopening, all on the real block layer (BLKSSZGET,
 * fsync, BLKFLSBUF).  ps_part_find must find the same partition on the
 * loop device itself, and the kernel's idea of the partition (sysfs start
 * and size) must match.  After detaching, the image file itself must hold
 * the committed store (ps_media_open_image on the partition's window) and
 * still the partition table.
 *
 * Needs root and loop devices (CI runs as root).  When losetup or the
 * partition node fails, the test FAILS and says what failed: it never
 * skips.  The loop device is always detached by the teardown, also after
 * a failure.  Needs losetup and partx (util-linux) on PATH.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define MiB (1ull << 20)
#define IMG_SIZE (16 * MiB)
#define PART_SIZE (4 * MiB)
#define SS 512u
#define COMMITS 5
#define NODE_WAIT_MS 5000  /* for the partition node to appear */
#define PARTSCAN_WAIT_MS 1000 /* before falling back to partx -a */

struct fix {
	char dir[256];
	char img[320];
	char loop[64];        /* "/dev/loopN" while attached, else "" */
	char part[96];        /* its partition node */
	struct ps_media m;
	int media_open;
	uint8_t *store, *got; /* slot-capacity buffers */
	char out[4096];       /* output of the last command */
};

/* ------------------------------------------------------------- helpers */

/*
 * Run argv (no shell), its stdout and stderr together in f->out.
 * Returns the exit status, or -1 when it could not run or was killed.
 */
static int run(struct fix *f, const char *const argv[])
{
	int pfd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	f->out[0] = 0;
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		r = read(pfd[0], f->out + n, sizeof(f->out) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(f->out) - 1) {
			char sink[256];

			while (read(pfd[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	while (n > 0 && (f->out[n - 1] == '\n' || f->out[n - 1] == ' '))
		n--;
	f->out[n] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int is_blockdev(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

/* Wait up to ms for path to be a block device (1) or not exist (0). */
static int wait_node(const char *path, int present, long ms)
{
	long waited = 0;

	for (;;) {
		if (is_blockdev(path) == present)
			return 1;
		if (waited >= ms)
			return 0;
		sleep_ms(10);
		waited += 10;
	}
}

/* A number from a sysfs attribute of the block device `name`. */
static int sysfs_u64(const char *name, const char *attr, uint64_t *v)
{
	char path[256];
	unsigned long long x;
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", name, attr);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	ok = fscanf(fp, "%llu", &x) == 1;
	fclose(fp);
	*v = x;
	return ok ? 0 : -1;
}

/* The store of commit k: distinct for every k. */
static uint32_t make_store(uint8_t *buf, size_t cap, unsigned k)
{
	int len = pst_mkstore(buf, cap, 4 + k, PST_NAME_ROOM);

	assert_true(len > 0);
	assert_int_equal(pst_set_memory(buf, 0, 1000u + k), PSF_OK);
	assert_int_equal(psf_finish(buf), PSF_OK);
	return (uint32_t)len;
}

/* ------------------------------------------------------------- fixture */

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fix *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/ps_blockdev.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->img, sizeof(f->img), "%s/key.img", f->dir);
	fd = open(f->img, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)IMG_SIZE)) {
		if (fd >= 0)
			close(fd);
		unlink(f->img);
		rmdir(f->dir);
		free(f);
		return -1;
	}
	close(fd);
	*state = f;
	return 0;
}

/* Remove the partition nodes and detach the loop device.  0 when the
 * device is gone; retried for a while, in case udev still holds it. */
static int detach(struct fix *f)
{
	const char *partx[] = { "partx", "-d", f->loop, NULL };
	const char *losetup[] = { "losetup", "-d", f->loop, NULL };
	int i, rc = -1;

	if (!f->loop[0])
		return 0;
	if (f->media_open) {
		ps_media_close(&f->m);
		f->media_open = 0;
	}
	/* Every partition partx or the kernel added, even when the one
	 * expected never appeared. */
	(void)run(f, partx);
	for (i = 0; i < 50 && !wait_node(f->part, 0, 100); i++)
		(void)run(f, partx);
	for (i = 0; i < 20 && rc != 0; i++) {
		rc = run(f, losetup);
		if (rc != 0)
			sleep_ms(100);
	}
	if (rc != 0) {
		print_message("losetup -d %s failed (exit %d): %s\n", f->loop,
			      rc, f->out);
		return -1;
	}
	f->loop[0] = 0;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc = detach(f);

	unlink(f->img);
	rmdir(f->dir);
	free(f->store);
	free(f->got);
	free(f);
	return rc;
}

/* ---------------------------------------------------------------- test */

/*
 * Attach the image, find the node of partition partno; fails the test,
 * saying what went wrong, when the machine cannot do it.
 */
static void attach(struct fix *f, int partno)
{
	const char *losetup[] = { "losetup", "-f", "--show", "--partscan",
				  f->img, NULL };
	const char *partx[] = { "partx", "-a", f->loop, NULL };
	char *dev, *nl;
	int rc;

	rc = run(f, losetup);
	/* The device is the line losetup prints on stdout (stderr may
	 * carry warnings before it). */
	dev = strncmp(f->out, "/dev/", 5) == 0 ? f->out
						: strstr(f->out, "\n/dev/");
	if (dev && *dev == '\n')
		dev++;
	if (dev) {
		nl = strchr(dev, '\n');
		if (nl)
			*nl = 0;
		if (strlen(dev) < sizeof(f->loop))
			strcpy(f->loop, dev); /* detached by the teardown */
	}
	if (rc != 0 || !f->loop[0])
		fail_msg("losetup -f --show --partscan %s failed (exit %d): "
			 "%s -- this test needs root and loop devices",
			 f->img, rc, f->out);
	snprintf(f->part, sizeof(f->part), "%sp%d", f->loop, partno);
	assert_true(is_blockdev(f->loop));
	/* The kernel scans the table itself when it can; some kernels make
	 * no partitions for loop devices, and then partx adds them. */
	if (wait_node(f->part, 1, PARTSCAN_WAIT_MS))
		return;
	rc = run(f, partx);
	if (!wait_node(f->part, 1, NODE_WAIT_MS))
		fail_msg("%s: partition node %s did not appear within %d ms "
			 "(partx -a exit %d: %s)",
			 f->loop, f->part, PARTSCAN_WAIT_MS + NODE_WAIT_MS, rc,
			 f->out);
}

static void blockdev_roundtrip(struct fix *f, enum ps_part_label label)
{
	struct ps_part_create_opts po = { .label = label, .size = PART_SIZE };
	struct ps_part_info info, li, ii;
	struct ps_format_opts fo = { .slot_count = 2 };
	uint8_t sector[SS], *store, *got;
	uint32_t cap, len[COMMITS + 1];
	uint64_t v;
	struct ps_disk d;
	char err[256], name[64];
	unsigned k;
	int partno = label == PS_PART_LABEL_GPT ? PS_PART_GPT_PARTNO
						: PS_PART_MBR_PARTNO;

	/* The table, written into the image file. */
	assert_int_equal(ps_part_create(f->img, &po, &info, err, sizeof(err)),
			 0);
	assert_int_equal(info.label, label);
	assert_int_equal(info.partno, partno);
	assert_int_equal(info.length, PART_SIZE);
	assert_int_equal(info.offset % MiB, 0);
	assert_true(info.offset >= MiB);
	assert_true(info.offset + info.length <= IMG_SIZE);

	attach(f, partno);

	/* The kernel agrees on where the partition is. */
	snprintf(name, sizeof(name), "%s", strrchr(f->part, '/') + 1);
	assert_int_equal(sysfs_u64(name, "start", &v), 0);
	assert_int_equal(v * 512, info.offset);
	assert_int_equal(sysfs_u64(name, "size", &v), 0);
	assert_int_equal(v * 512, info.length);

	/* Discovery's probe on the whole loop device finds the same. */
	memset(&li, 0, sizeof(li));
	if (ps_part_find(f->loop, &li, err, sizeof(err)) != 0)
		fail_msg("ps_part_find %s: %s", f->loop, err);
	assert_int_equal(li.offset, info.offset);
	assert_int_equal(li.length, info.length);
	assert_int_equal(li.partno, partno);
	assert_int_equal(li.label, label);
	assert_int_equal(li.dev_size, IMG_SIZE);

	/* Format and commit through the partition node. */
	assert_int_equal(ps_media_open_blockdev(&f->m, f->part, 0), PS_OK);
	f->media_open = 1;
	assert_int_equal(f->m.sector_size, SS);
	assert_int_equal(f->m.sectors * SS, info.length);
	memcpy(fo.volume_id, "blockdev-test-id", 16);
	assert_int_equal(ps_format(&d, &f->m, &fo, sector), PS_OK);
	cap = ps_slot_capacity(&d);
	assert_int_equal(cap, (info.length / SS - 2) / 2 * SS - SS);
	store = f->store = calloc(1, cap);
	got = f->got = calloc(1, cap);
	assert_non_null(store);
	assert_non_null(got);
	for (k = 1; k <= COMMITS; k++) {
		len[k] = make_store(store, cap, k);
		assert_int_equal(ps_commit(&d, store, sector, NULL), PS_OK);
		assert_int_equal(d.generation, 1 + k);
		assert_int_equal(d.base, (int)(k % 2));
	}
	/* A flush per commit (fast: one) went to the device (fsync +
	 * BLKFLSBUF). */
	assert_true(f->m.stats.flushes >= COMMITS);
	ps_media_close(&f->m);
	f->media_open = 0;

	/* Reopened read-only: the newest store, from the device. */
	assert_int_equal(ps_media_open_blockdev(&f->m, f->part,
						PS_MEDIA_RDONLY), PS_OK);
	f->media_open = 1;
	memset(got, 0, cap);
	assert_int_equal(ps_read(&d, &f->m, got, cap), PS_OK);
	assert_int_equal(d.generation, 1 + COMMITS);
	assert_int_equal(d.length, len[COMMITS]);
	assert_memory_equal(got, store, len[COMMITS]);
	assert_memory_equal(d.volume_id, "blockdev-test-id", 16);
	assert_int_equal(ps_commit(&d, store, sector, NULL), PS_ERR_RDONLY);
	ps_media_close(&f->m);
	f->media_open = 0;

	/* The whole device with the partition's window (psctl -d on a whole
	 * key): a block device has no file size, its end is found by lseek. */
	assert_int_equal(ps_media_open_image(&f->m, f->loop, li.offset,
					     li.length, SS,
					     PS_MEDIA_RDONLY), PS_OK);
	f->media_open = 1;
	memset(got, 0, cap);
	assert_int_equal(ps_read(&d, &f->m, got, cap), PS_OK);
	assert_int_equal(d.generation, 1 + COMMITS);
	assert_memory_equal(got, store, len[COMMITS]);
	ps_media_close(&f->m);
	f->media_open = 0;
	/* A window past the device's end is refused, not read. */
	assert_int_equal(ps_media_open_image(&f->m, f->loop, IMG_SIZE, SS, SS,
					     PS_MEDIA_RDONLY),
			 PS_ERR_GEOMETRY);

	/* Detach (the teardown would too): the partition node goes away. */
	assert_int_equal(detach(f), 0);
	assert_true(wait_node(f->part, 0, 2000));

	/* The image file holds it all: the table ... */
	memset(&ii, 0, sizeof(ii));
	assert_int_equal(ps_part_find(f->img, &ii, err, sizeof(err)), 0);
	assert_int_equal(ii.offset, info.offset);
	assert_int_equal(ii.length, info.length);
	/* ... and the committed store, in the partition's window. */
	assert_int_equal(ps_media_open_image(&f->m, f->img, info.offset,
					     info.length, SS,
					     PS_MEDIA_RDONLY), PS_OK);
	f->media_open = 1;
	memset(got, 0, cap);
	assert_int_equal(ps_read(&d, &f->m, got, cap), PS_OK);
	assert_int_equal(d.generation, 1 + COMMITS);
	assert_int_equal(d.base, COMMITS % 2);
	assert_int_equal(d.length, len[COMMITS]);
	assert_memory_equal(got, store, len[COMMITS]);
	assert_memory_equal(d.volume_id, "blockdev-test-id", 16);
	/* The previous generation is still in the other slot. */
	assert_true(d.slot[1 - d.base].valid_hdr);
	assert_int_equal(d.slot[1 - d.base].generation, COMMITS);
	assert_int_equal(d.slot[1 - d.base].length, len[COMMITS - 1]);
	ps_media_close(&f->m);
	f->media_open = 0;
}

static void test_gpt(void **state)
{
	blockdev_roundtrip(*state, PS_PART_LABEL_GPT);
}

static void test_mbr(void **state)
{
	blockdev_roundtrip(*state, PS_PART_LABEL_MBR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gpt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbr, setup, teardown),
	};

	return cmocka_run_group_tests_name("blockdev", tests, NULL, NULL);
}
