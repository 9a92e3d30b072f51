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
 * One lock per store: the image, a symlink, a hard link, the whole loop
 * device, its partition's node and a second loop device without partition
 * nodes all name one key and take one lock (ps_open_lock); writers on all
 * six at once lose no acknowledged update; and a handle on a block device
 * sees, under its lock, a commit made through another path since it last
 * read (its node's page cache is dropped when the lock is taken).
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
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	/* The same choice without a scan, for init and scan's listing. */
	{
		enum ps_open_source src = PS_OPEN_SRC_PATH;

		assert_string_equal(ps_default_image(&src), PS_DEFAULT_IMAGE);
		assert_int_equal(src, PS_OPEN_SRC_DEFAULT);
		setenv(PS_IMAGE_ENV, path, 1);
		assert_string_equal(ps_default_image(&src), path);
		assert_int_equal(src, PS_OPEN_SRC_ENV);
		assert_string_equal(ps_default_image(NULL), path);
	}
	unsetenv(PS_IMAGE_ENV);
}

/* ------------------------------------------------- one lock per store */

/* Every way of reaching one store: the image, a symlink and a hard link
 * to it, the whole loop device and its partition's node, and a second
 * loop device on the image without partition nodes (a window on the
 * whole device, each with a page cache of its own). */
enum { P_IMG, P_LINK, P_HARD, P_DEV, P_NODE, P_WIN, NPATHS };

struct paths {
	char p[NPATHS][400];
};

/* The image partitioned and formatted with one VM per path (vm<w>'s
 * memory is writer w's counter), attached with --partscan; the flock
 * fallback's files under the test's directory. */
static void keyed_store(struct fix *f, struct paths *ps)
{
	struct ps_part_create_opts po = { .label = PS_PART_LABEL_MBR,
					  .size = 4 * MiB };
	struct ps_part_info info;
	struct ps_opened o;
	char err[512], locks[300];
	const char *dev;

	assert_int_equal(ps_part_create(f->img, &po, &info, err, sizeof err),
			 0);
	format_at(f, f->img);
	snprintf(locks, sizeof locks, "%s/locks", f->dir);
	assert_int_equal(mkdir(locks, 0700), 0);
	setenv("PSTATE_LOCK_DIR", locks, 1);
	setenv("PSTATE_SEM_MODE", "flock", 1);
	open_same(f, &o, f->img, 1);
	commit_one(&o, NPATHS - 2); /* NPATHS VMs at generation 2 */
	ps_open_close(&o);
	snprintf(ps->p[P_IMG], sizeof ps->p[0], "%s", f->img);
	snprintf(ps->p[P_LINK], sizeof ps->p[0], "%s/sym.img", f->dir);
	snprintf(ps->p[P_HARD], sizeof ps->p[0], "%s/hard.img", f->dir);
	assert_int_equal(symlink(f->img, ps->p[P_LINK]), 0);
	assert_int_equal(link(f->img, ps->p[P_HARD]), 0);
	dev = attach(f, f->img, "--partscan");
	snprintf(ps->p[P_DEV], sizeof ps->p[0], "%s", dev);
	part_of(dev, PS_PART_MBR_PARTNO, ps->p[P_NODE], sizeof ps->p[0]);
	dev = attach(f, f->img, "");
	snprintf(ps->p[P_WIN], sizeof ps->p[0], "%s", dev);
}

static void keyed_done(void)
{
	unsetenv("PSTATE_LOCK_DIR");
	unsetenv("PSTATE_SEM_MODE");
}

/* The edit: writer *arg's counter + 1, read afresh at every attempt. */
static int increment(void *buf, size_t cap, void *arg)
{
	unsigned w = *(unsigned *)arg;

	(void)cap;
	return pst_set_memory(buf, w, pst_memory(buf, w) + 1);
}

/* Writer w's counter on the store as the image shows it now. */
static uint64_t counter_now(struct fix *f, unsigned w)
{
	struct ps_opened o;
	char err[1600];
	uint64_t v;

	if (ps_open_path(&o, f->img, PS_OPEN_RDONLY, err, sizeof err))
		fail_msg("%s: %s", f->img, err);
	v = pst_memory(ps_store_data(o.store, NULL), w);
	ps_open_close(&o);
	return v;
}

/* Every path to the store names the same key and takes the same lock. */
static void one_lock_every_path(void **state)
{
	struct fix *f = *state;
	struct ps_opened o[NPATHS];
	struct paths ps;
	char key[NPATHS][64], err[1600];
	int i;

	keyed_store(f, &ps);
	for (i = 0; i < NPATHS; i++) {
		open_same(f, &o[i], ps.p[i], 2);
		assert_true(ps_open_key(&o[i], key[i], sizeof key[i]) > 0);
		assert_int_equal(ps_open_lock(&o[i], PS_OWNER_OS, err,
					      sizeof err), 0);
		assert_string_equal(key[i], key[0]);
		assert_string_equal(o[i].sem.lock_path, o[0].sem.lock_path);
	}
	assert_true(o[P_NODE].blockdev && o[P_NODE].whole);
	assert_string_equal(o[P_WIN].node, ps.p[P_WIN]); /* no p4 node */
	assert_int_equal(o[P_NODE].start, o[P_IMG].part.offset);
	assert_non_null(strstr(o[0].sem.lock_path, key[0]));
	/* Held through one path, it is held for every other. */
	assert_int_equal(ps_lock_take(&o[P_NODE].lock), 0);
	for (i = 0; i < NPATHS; i++) {
		uint64_t t;

		if (i == P_NODE)
			continue;
		o[i].sem.timeout_ms = 20;
		assert_int_equal(o[i].lock.ops->acquire(o[i].lock.ctx,
							PS_OWNER_OS, 1000, &t),
				 PS_SEM_ERR_TIMEOUT);
	}
	assert_int_equal(ps_lock_drop(&o[P_NODE].lock), 0);
	for (i = 0; i < NPATHS; i++)
		ps_open_close(&o[i]);
	keyed_done();
}

/*
 * A long-lived handle on a block device reads the store (filling that
 * node's page cache); another writer then commits through the image file,
 * as the BMC writes the flash behind the host's back.  The handle's next
 * update must see that commit under its lock and keep it.
 */
static void outside_writer_seen(void **state)
{
	struct fix *f = *state;
	static const int pair[][2] = { { P_NODE, P_IMG }, { P_WIN, P_IMG },
				       { P_NODE, P_WIN }, { P_WIN, P_NODE } };
	struct ps_opened h, out;
	struct paths ps;
	char err[1600];
	unsigned wh = 0, wo = 1;
	uint64_t gen = 2;
	size_t i;

	keyed_store(f, &ps);
	for (i = 0; i < sizeof pair / sizeof pair[0]; i++) {
		uint64_t ch = counter_now(f, wh), co = counter_now(f, wo);

		open_same(f, &h, ps.p[pair[i][0]], gen);
		assert_int_equal(ps_open_lock(&h, PS_OWNER_OS, err,
					      sizeof err), 0);
		assert_int_equal(ps_update(h.store, increment, &wh, 4), 0);
		assert_int_equal(ps_store_refresh(h.store), 0); /* cached */
		open_same(f, &out, ps.p[pair[i][1]], gen + 1);
		assert_int_equal(ps_update(out.store, increment, &wo, 0), 0);
		ps_open_close(&out);
		assert_int_equal(ps_update(h.store, increment, &wh, 4), 0);
		gen += 3;
		assert_int_equal(ps_store_generation(h.store), gen);
		ps_open_close(&h);
		assert_int_equal(counter_now(f, wh), ch + 2);
		assert_int_equal(counter_now(f, wo), co + 1);
	}
	keyed_done();
}

#define RACE_COMMITS 20

/* Writer w: RACE_COMMITS increments through path, each acknowledged one
 * counted in acked[w] (shared with the parent). */
static void race_writer(struct fix *f, const char *path, unsigned w,
			volatile int *acked, volatile int *go)
{
	struct ps_opened o;
	char err[1600];
	int i;

	if (ps_open_path(&o, path, 0, err, sizeof err) ||
	    ps_open_lock(&o, PS_OWNER_OS, err, sizeof err)) {
		fprintf(stderr, "writer %u (%s): %s\n", w, path, err);
		_exit(2);
	}
	(void)f;
	while (!*go)
		sched_yield();
	for (i = 0; i < RACE_COMMITS; i++)
		if (ps_update(o.store, increment, &w, 8) == 0)
			acked[w]++;
	ps_open_close(&o);
	_exit(0);
}

/* Writers on every path at once: every acknowledged update is there. */
static void cross_path_race(void **state)
{
	struct fix *f = *state;
	volatile int *sh;
	struct paths ps;
	pid_t pid[NPATHS];
	uint64_t base[NPATHS];
	char shf[300];
	unsigned w;
	int st, fd;

	keyed_store(f, &ps);
	snprintf(shf, sizeof shf, "%s/acked", f->dir);
	fd = open(shf, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(sh != MAP_FAILED);
	for (w = 0; w < NPATHS; w++) {
		base[w] = counter_now(f, w);
		pid[w] = fork();
		assert_true(pid[w] >= 0);
		if (pid[w] == 0)
			race_writer(f, ps.p[w], w, sh, sh + NPATHS);
	}
	sh[NPATHS] = 1;
	for (w = 0; w < NPATHS; w++) {
		assert_int_equal(waitpid(pid[w], &st, 0), pid[w]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	for (w = 0; w < NPATHS; w++) {
		uint64_t now = counter_now(f, w);

		if (now != base[w] + (uint64_t)sh[w])
			fail_msg("writer %u through %s: %d acknowledged, %lld "
				 "on the store", w, ps.p[w], sh[w],
				 (long long)(now - base[w]));
		assert_int_equal(sh[w], RACE_COMMITS);
	}
	munmap((void *)sh, 4096);
	keyed_done();
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
		cmocka_unit_test_setup_teardown(one_lock_every_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(outside_writer_seen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cross_path_race, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
