/*
 * test_store_concurrency.c - writers in separate processes committing
 * through the semaphore to one image file, with a reader watching.
 *
 * The proof of "no lost updates": three writer
 * processes standing for the BMC, the hypervisor agent and the OS tools
 * each commit N increments of their own counter with ps_update, through
 * the simulated semaphore (ps_sem_sim_create: a BIOS-window file and a
 * shared-memory file, mapped by every process) and ps_sem_sys_lock_ops.
 * A reader process opens and reads the store all the while and must never
 * see an invalid store, a bad CRC or a generation going backwards.  At the
 * end every counter is exact and the generation is 1 + the commits.
 *
 * Then the dead holder: one writer is frozen in the middle of a commit
 * (lock held, one body sector of the target slot written, header not) and
 * SIGKILLed.  The others wait out the lease, break the lock, and finish;
 * the store is valid and holds every commit that was reported.
 *
 * The counters are the memory_kib fields of three VMs (ps_test_util.h):
 * each writer owns one.  Everything a child finds is reported through its
 * exit status and a shared page, since cmocka's asserts do not cross fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define WRITERS 3
#define COMMITS 3000      /* per writer, first test */
#define KILL_COMMITS 300  /* per surviving writer, SIGKILL test */
#define KILL_AFTER 20     /* the victim's commits before it freezes */
#define IMG_SECTORS 512u  /* 256 KiB: two slots of 255 sectors */
#define LEASE_MS 2000u    /* nobody stalls this long unless killed */
#define KILL_LEASE_MS 300u
#define RETRIES 8         /* ps_update: one locked retry always suffices */

static const uint8_t owners[WRITERS] = { PS_OWNER_BMC, PS_OWNER_AGENT,
					 PS_OWNER_OS };

/* Shared between the parent and its children (MAP_SHARED). */
struct shared {
	volatile int stop;           /* parent -> reader: writers are done */
	volatile int committed[WRITERS];
	volatile uint64_t reads;     /* reader: successful reads */
	volatile uint64_t max_gen;
	char why[256];               /* first failure, for the parent */
};

static char tmpdir[256], img[512], bios[512], shm[512], page[512];
static struct shared *sh;

/* ------------------------------------------------------------ fixture */

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	int fd;

	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/test_conc.XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(img, sizeof img, "%s/store.img", tmpdir);
	snprintf(bios, sizeof bios, "%s/bios.bin", tmpdir);
	snprintf(shm, sizeof shm, "%s/shm.bin", tmpdir);
	/* A file-backed shared page (MAP_ANONYMOUS is not POSIX). */
	snprintf(page, sizeof page, "%s/shared", tmpdir);
	fd = open(page, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(*sh)) != 0)
		return -1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  0);
	close(fd);
	return sh == MAP_FAILED ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(img), unlink(bios), unlink(shm), unlink(page);
	munmap(sh, sizeof(*sh));
	return rmdir(tmpdir);
}

/* A fresh image with three VMs (counters 0) and a fresh semaphore. */
static void make_world(void)
{
	struct ps_format_opts o = { .slot_count = 2 };
	struct ps_media m;
	struct ps_disk d;
	uint8_t store[4096], sector[PS_SECTOR_SIZE];
	int fd, len, i;

	memset((void *)sh, 0, sizeof(*sh));
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMG_SECTORS * PS_SECTOR_SIZE), 0);
	close(fd);
	len = pst_mkstore(store, sizeof store, WRITERS, 0);
	assert_true(len > 0);
	for (i = 0; i < WRITERS; i++)
		assert_int_equal(pst_set_memory(store, (unsigned)i, 0), 0);
	assert_int_equal(psf_finish(store), 0);
	o.store = store;
	o.store_len = (uint32_t)len;
	assert_int_equal(ps_media_open_image(&m, img, 0, 0, 0, 0), PS_OK);
	assert_int_equal(ps_format(&d, &m, &o, sector), PS_OK);
	ps_media_close(&m);
	assert_int_equal(ps_sem_sim_create(bios, shm, NULL), PS_OK);
}

/* ------------------------------------------------------------ children */

/* Record the first failure and leave; the parent prints it. */
static void child_fail(const char *fmt, ...)
{
	va_list ap;

	if (!sh->why[0]) {
		va_start(ap, fmt);
		vsnprintf(sh->why, sizeof sh->why, fmt, ap);
		va_end(ap);
	}
	_exit(1);
}

/* The edit: this writer's counter + 1.  Re-applied on fresh state after
 * a conflict, so it reads the value every time. */
static int increment(void *buf, size_t cap, void *arg)
{
	unsigned w = *(unsigned *)arg;

	(void)cap;
	return pst_set_memory(buf, w, pst_memory(buf, w) + 1);
}

static void open_sem(struct ps_sem_sys *sys)
{
	struct ps_sem_config cfg = { .mode = PS_SEM_MODE_SIM,
				     .bios_file = bios, .shm_file = shm,
				     .timeout_ms = 30000 };
	int rc = ps_sem_sys_open(sys, &cfg);

	if (rc)
		child_fail("semaphore: %s", ps_strerror(rc));
}

/* Media for a writer: the image, or the freezing wrapper (below). */
typedef int (*media_fn)(struct ps_media *m, struct ps_media *img_m);

static int plain_media(struct ps_media *m, struct ps_media *img_m)
{
	*m = *img_m;
	return PS_OK;
}

static void writer(unsigned w, int n, uint32_t lease, media_fn mk)
{
	struct ps_sem_sys sys;
	struct ps_lock lock = { &ps_sem_sys_lock_ops, &sys, owners[w], lease,
				0, 0 };
	struct ps_media im, m;
	struct ps_store *s;
	int i, rc;

	open_sem(&sys);
	/* No fdatasync: every process shares one page cache, so flushes do
	 * not change what the others see, and they made this test ten times
	 * slower (22 s for 3 x 1000 commits on ext4).  Durability across a
	 * power cut is test_store_crash's. */
	rc = ps_media_open_image(&im, img, 0, 0, 0, PS_MEDIA_NOSYNC);
	if (!rc)
		rc = mk(&m, &im);
	s = rc ? NULL : ps_store_open(&m, &rc);
	if (!s)
		child_fail("writer %u: open: %s", w, ps_strerror(rc));
	ps_store_set_writer(s, &lock, owners[w]);
	for (i = 0; i < n; i++) {
		rc = ps_update(s, increment, &w, RETRIES);
		if (rc)
			child_fail("writer %u: commit %d: %s (%d)", w, i,
				   ps_strerror(rc), rc);
		sh->committed[w] = i + 1;
	}
	ps_store_close(s);
	_exit(0);
}

/* One read: a whole store, valid, not older than the last one seen. */
static void read_check(struct ps_media *m, uint8_t *buf, size_t cap,
		       uint64_t *last)
{
	struct ps_disk d;
	int rc = ps_read(&d, m, buf, cap);

	if (rc)
		child_fail("reader: ps_read after %llu reads: %s",
			   (unsigned long long)sh->reads, ps_strerror(rc));
	if (psf_check_full(buf, d.length, NULL) != PSF_OK ||
	    psf_crc32c(0, buf, d.length) != d.slot[d.base].crc)
		child_fail("reader: bad store at generation %llu",
			   (unsigned long long)d.generation);
	if (d.generation < *last)
		child_fail("reader: generation went back from %llu to %llu",
			   (unsigned long long)*last,
			   (unsigned long long)d.generation);
	*last = d.generation;
}

/* The handle path too: a fresh ps_store_open now and then. */
static void open_check(struct ps_media *m, uint64_t *last)
{
	int rc;
	struct ps_store *s = ps_store_open(m, &rc);

	if (!s)
		child_fail("reader: ps_store_open: %s", ps_strerror(rc));
	if (ps_store_generation(s) < *last)
		child_fail("reader: open went back from %llu to %llu",
			   (unsigned long long)*last,
			   (unsigned long long)ps_store_generation(s));
	*last = ps_store_generation(s);
	ps_store_close(s);
}

static void reader(void)
{
	struct ps_media m;
	uint8_t *buf;
	uint64_t last = 0;
	size_t cap = IMG_SECTORS * PS_SECTOR_SIZE;
	int rc = ps_media_open_image(&m, img, 0, 0, 0, PS_MEDIA_RDONLY);

	buf = malloc(cap);
	if (rc || !buf)
		child_fail("reader: open: %s", ps_strerror(rc));
	while (!sh->stop) {
		read_check(&m, buf, cap, &last);
		if (sh->reads % 16 == 0)
			open_check(&m, &last);
		sh->reads++;
		sh->max_gen = last;
	}
	free(buf);
	ps_media_close(&m);
	_exit(0);
}

static pid_t spawn_writer(unsigned w, int n, uint32_t lease, media_fn mk)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		writer(w, n, lease, mk);
	return p;
}

static void expect_exit0(pid_t p, const char *who)
{
	int st;

	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s failed (status 0x%x): %s", who, st, sh->why);
}

/* ------------------------------------------------------------ checks */

/* The store as a fresh reader sees it: valid, counters, generation. */
static void check_final(const int want[WRITERS], uint64_t gen_lo,
			uint64_t gen_hi)
{
	struct ps_media m;
	struct ps_store *s;
	uint32_t len;
	const void *buf;
	int rc, w;

	assert_int_equal(ps_media_open_image(&m, img, 0, 0, 0,
					     PS_MEDIA_RDONLY), PS_OK);
	s = ps_store_open(&m, &rc);
	assert_non_null(s);
	buf = ps_store_data(s, &len);
	assert_int_equal(psf_check_full(buf, len, NULL), PSF_OK);
	for (w = 0; w < WRITERS; w++)
		assert_int_equal(pst_memory(buf, (unsigned)w), want[w]);
	assert_in_range(ps_store_generation(s), gen_lo, gen_hi);
	ps_store_close(s);
	ps_media_close(&m);
}

static void sem_state(struct ps_sem_state *st)
{
	struct ps_sem_sys sys;
	struct ps_sem_config cfg = { .mode = PS_SEM_MODE_SIM,
				     .bios_file = bios, .shm_file = shm };

	assert_int_equal(ps_sem_sys_open(&sys, &cfg), PS_OK);
	assert_int_equal(ps_sem_sys_peek(&sys, st), PS_OK);
	ps_sem_sys_close(&sys);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ tests */

static void test_three_writers_and_a_reader(void **state)
{
	pid_t wp[WRITERS], rp;
	int want[WRITERS], w;
	struct ps_sem_state st;
	double t0 = now_s();

	(void)state;
	make_world();
	rp = fork();
	assert_true(rp >= 0);
	if (rp == 0)
		reader();
	for (w = 0; w < WRITERS; w++)
		wp[w] = spawn_writer((unsigned)w, COMMITS, LEASE_MS,
				     plain_media);
	for (w = 0; w < WRITERS; w++) {
		expect_exit0(wp[w], "writer");
		want[w] = COMMITS;
	}
	sh->stop = 1;
	expect_exit0(rp, "reader");
	check_final(want, 1 + (uint64_t)WRITERS * COMMITS,
		    1 + (uint64_t)WRITERS * COMMITS);
	sem_state(&st);
	assert_int_equal(st.owner, 0);
	print_message("concurrency: %d writers x %d commits, %llu reads "
		      "(newest seen: generation %llu), %u lock breaks, "
		      "%.1f s\n", WRITERS, COMMITS,
		      (unsigned long long)sh->reads,
		      (unsigned long long)sh->max_gen, st.breaks,
		      now_s() - t0);
	assert_true(sh->reads > 0);
}

/*
 * The victim's media: the image behind the callback backend.  Once the
 * victim has made KILL_AFTER commits, the next sector write (a body
 * sector of the target slot: writes happen only under the lock, and the
 * body comes before the header) goes through, then the process tells the
 * parent and freezes until it is killed.  Deterministic: the kill always
 * lands with the lock held, the body started and the header unwritten.
 */
static struct ps_media *victim_lower;
static int victim_pipe = -1;

static int v_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	(void)ctx;
	return ps_media_read(victim_lower, lba, n, buf);
}

static int v_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	int rc;

	(void)ctx;
	rc = ps_media_write(victim_lower, lba, n, buf);
	if (sh->committed[0] >= KILL_AFTER) {
		if (write(victim_pipe, "k", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	return rc;
}

static int v_flush(void *ctx)
{
	(void)ctx;
	return ps_media_flush(victim_lower);
}

static const struct ps_media_ops victim_ops = { v_read, v_write, v_flush,
						NULL };

static int victim_media(struct ps_media *m, struct ps_media *img_m)
{
	static struct ps_media lower;

	lower = *img_m;
	victim_lower = &lower;
	return ps_media_init(m, &victim_ops, NULL, lower.sector_size,
			     lower.sectors);
}

static void test_sigkill_holder_mid_commit(void **state)
{
	int fds[2], want[WRITERS], w;
	pid_t wp[WRITERS], rp;
	struct ps_sem_state st;
	char c;
	double t0 = now_s(), t_kill;

	(void)state;
	make_world();
	assert_int_equal(pipe(fds), 0);
	victim_pipe = fds[1];
	rp = fork();
	assert_true(rp >= 0);
	if (rp == 0)
		reader();
	/* Writer 0 (BMC) is the victim; it commits forever until frozen. */
	wp[0] = spawn_writer(0, 1 << 30, KILL_LEASE_MS, victim_media);
	for (w = 1; w < WRITERS; w++)
		wp[w] = spawn_writer((unsigned)w, KILL_COMMITS, KILL_LEASE_MS,
				     plain_media);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(kill(wp[0], SIGKILL), 0);
	t_kill = now_s();
	assert_int_equal(waitpid(wp[0], NULL, 0), wp[0]);
	/* It died holding the lock, with KILL_AFTER commits published. */
	sem_state(&st);
	assert_int_equal(sh->committed[0], KILL_AFTER);
	for (w = 1; w < WRITERS; w++)
		expect_exit0(wp[w], "surviving writer");
	sh->stop = 1;
	expect_exit0(rp, "reader");
	want[0] = KILL_AFTER;
	for (w = 1; w < WRITERS; w++)
		want[w] = KILL_COMMITS;
	/* Every reported commit is there, and nothing else: no committed
	 * generation lost, the dead holder's half-written slot invisible.
	 * A hold that broke one writing a slot commits one generation
	 * further (docs/semaphore.md 4.6), so each break may add one. */
	sem_state(&st);
	assert_true(st.breaks >= 1);
	check_final(want, 1 + KILL_AFTER + (uint64_t)(WRITERS - 1) *
					       KILL_COMMITS,
		    1 + KILL_AFTER + (uint64_t)(WRITERS - 1) * KILL_COMMITS +
			    st.breaks);
	assert_int_equal(st.last_broken_owner, PS_OWNER_BMC);
	assert_int_equal(st.owner, 0);
	print_message("sigkill: holder killed after %d commits; %u break(s); "
		      "others finished %.2f s after the kill (lease %u ms); "
		      "%llu reads; %.1f s\n", KILL_AFTER, st.breaks,
		      now_s() - t_kill, KILL_LEASE_MS,
		      (unsigned long long)sh->reads, now_s() - t0);
	close(fds[0]), close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_writers_and_a_reader),
		cmocka_unit_test(test_sigkill_holder_mid_commit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
