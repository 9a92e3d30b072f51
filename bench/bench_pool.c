/*
 * bench_pool.c - the profile pool at data-centre scale (docs/pool.md,
 * docs/performance.md "Profile pool"), on a real etcd cluster:
 *
 *   bench_pool URL PSCTL PROFILES SERVERS FAILOVERS
 *   bench_pool --seed URL PROFILES SERVERS PLACED   (the creates only:
 *            tests/e2e/test_pool_scale.sh)
 *   bench_pool --failover URL PSCTL N   (psctl's own failovers only, N
 *            from 8 processes then up to 50 from 1, on a pool seeded
 *            before and given its list index; the 8 processes'
 *            throughput too: `make bench-pool-failover`)
 *   bench_pool --list URL PSCTL PROFILES   (the list comparison only, on
 *            a pool seeded before: `psctl pool reindex`, then the list
 *            from the index and from the profile keys, alternated)
 *
 * With psctl's own etcd client (cli/psctl_pool_etcd*.c) and key layout:
 *   create   PROFILES profiles (PROFILE element bytes, a MAC and a serial
 *            each, their /pstate/id/ keys created with create_revision
 *            0 in the same transaction, 16 profiles a transaction) and
 *            SERVERS servers;
 *   list     every profile: one range over /pstate/profile/, decoded;
 *   lookup   1,000 random MACs: /pstate/id/mac/MAC, then the profile.
 * A failover is timed only as psctl itself does it (below): the client's
 * imitation of its requests left out what psctl's mark and settle also
 * write (the list index's buckets, the source key), so its figure was
 * one psctl never reaches; FAILOVERS profiles are still placed on
 * servers (the pool's shape) and left out of the show sample.
 * Then the real psctl binary on both pools: `psctl pool reindex` (the
 * seeded pool has no list index), `psctl profile list` (text and --json;
 * on etcd from the list index, docs/pool.md; then 5 runs each from the
 * index, from the profile keys as parallel streams and as one stream, and
 * as before, alternated) and `psctl profile
 * show` of 100 random unplaced profiles (one process each; on etcd the
 * profile's keys and the server directory, one read-only txn); on etcd
 * `psctl profile failover` itself at the full size (min(FAILOVERS, 200)
 * profiles made by psctl create + assign on host images, failed over to
 * spare images from 8 processes, then 50 back from one process): its pool
 * work is the time psctl waits on etcd ($PSTATE_POOL_STATS), and the
 * whole command is timed too; on the
 * etcd pool and on file pools of the sizes a store holds (1,000 and
 * 10,000 profiles, made by `psctl import`), and a file pool's failover
 * pool work (two commits: `profile set` twice).
 * Prints the figures; exits non-zero when a step fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "psctl_pool_etcd.h"

#define BATCH 16
#define PROCS 8
#define RUNS 5      /* alternated list runs, each way */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, struct pe_client *c)
{
	fprintf(stderr, "bench_pool: %s: %s\n", what, c ? c->err : "");
	exit(1);
}

/* The PROFILE element of profile i (bytes into out, its length). */
static size_t profile_bytes(unsigned i, const char *target, uint8_t *out,
			    size_t cap)
{
	static uint8_t buf[4096];
	struct psf_builder b;
	uint8_t mac[6] = { 0x02, 0x10, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
			   (uint8_t)(i >> 8), (uint8_t)i };
	char name[32], serial[32];
	struct psf_elem e;
	int set, el;

	snprintf(name, sizeof name, "p%u", i);
	snprintf(serial, sizeof serial, "SN%08u", i);
	psf_build_begin(&b, buf, sizeof buf, PSF_ROOT, 1, 0);
	psf_build_open(&b, PSF_PROFILES);
	psf_build_open(&b, PSF_PROFILE);
	psf_build_string(&b, PSF_NAME, name);
	psf_build_string(&b, PSF_SERIAL_NUMBER, serial);
	psf_build_struct(&b, PSF_MAC_LIST, mac, 6);
	if (target)
		psf_build_string(&b, PSF_TARGET, target);
	psf_build_close(&b);
	psf_build_close(&b);
	if (psf_build_finish(&b) < 0)
		die("building a profile", NULL);
	set = psf_find_child(buf, psf_root(buf), PSF_PROFILES);
	el = psf_find_child(buf, set, PSF_PROFILE);
	psf_elem(buf, el, &e);
	if (e.end - (uint32_t)el > cap)
		die("profile too large", NULL);
	memcpy(out, buf + el, e.end - (uint32_t)el);
	return e.end - (uint32_t)el;
}

static void mac_text(unsigned i, char *out, size_t n)
{
	snprintf(out, n, "02:10:%02x:%02x:%02x:%02x", (i >> 24) & 255,
		 (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

/* ---- create */

/* Batch number b (BATCH profiles or servers, from b * BATCH) as one txn. */
static void create_batch(struct pe_client *c, unsigned b, unsigned n,
			 unsigned servers, unsigned placed)
{
	static char keys[BATCH * 3][640];
	static uint8_t vals[BATCH][256];
	static char names[BATCH][32];
	struct pe_cmp cmp[BATCH * 3];
	struct pe_op op[BATCH * 3];
	unsigned i = b * BATCH, j, k;
	size_t nc = 0, no = 0;
	int64_t rev;
	int ok;

	for (j = i; j < i + BATCH && j < n + servers; j++) {
		unsigned b = j - i;
		char tgt[64], mac[32];
		size_t len;

		k = b * 3;
		if (j >= n) {          /* a server: NAME, TARGET */
			struct psf_builder pb;
			static uint8_t sb[512];
			struct psf_elem e;
			int s, el;

			snprintf(names[b], 32, "s%u", j - n);
			snprintf(tgt, sizeof tgt, "bmc://10.%u.%u.%u:623",
				 (j - n) >> 16, ((j - n) >> 8) & 255,
				 (j - n) & 255);
			psf_build_begin(&pb, sb, sizeof sb, PSF_ROOT, 1, 0);
			psf_build_open(&pb, PSF_SERVERS);
			psf_build_open(&pb, PSF_SERVER);
			psf_build_string(&pb, PSF_NAME, names[b]);
			psf_build_string(&pb, PSF_TARGET, tgt);
			psf_build_close(&pb);
			psf_build_close(&pb);
			psf_build_finish(&pb);
			s = psf_find_child(sb, psf_root(sb), PSF_SERVERS);
			el = psf_find_child(sb, s, PSF_SERVER);
			psf_elem(sb, el, &e);
			memcpy(vals[b], sb + el, e.end - (uint32_t)el);
			snprintf(keys[k], 640, "/pstate/server/%s", names[b]);
			cmp[nc++] = (struct pe_cmp){ keys[k], PE_T_CREATE,
						     PE_EQ, 0, NULL, 0 };
			op[no++] = (struct pe_op){ PE_PUT, keys[k], vals[b],
						   e.end - (uint32_t)el, 0, 0 };
			/* The server index psctl writes with it (its
			 * target, already in normal form). */
			snprintf(keys[k + 1], 640, "/pstate/srvtarget/%s", tgt);
			cmp[nc++] = (struct pe_cmp){ keys[k + 1], PE_T_CREATE,
						     PE_EQ, 0, NULL, 0 };
			op[no++] = (struct pe_op){ PE_PUT, keys[k + 1],
				(const uint8_t *)names[b], strlen(names[b]),
				0, 0 };
			continue;
		}
		snprintf(names[b], 32, "p%u", j);
		snprintf(tgt, sizeof tgt, "bmc://10.%u.%u.%u:623", j >> 16,
			 (j >> 8) & 255, j & 255);
		len = profile_bytes(j, j < placed ? tgt : NULL, vals[b],
				    sizeof vals[b]);
		snprintf(keys[k], 640, "/pstate/profile/%s", names[b]);
		mac_text(j, mac, sizeof mac);
		snprintf(keys[k + 1], 640, "/pstate/id/mac/%s", mac);
		snprintf(keys[k + 2], 640, "/pstate/id/serial/SN%08u", j);
		cmp[nc++] = (struct pe_cmp){ keys[k], PE_T_CREATE, PE_EQ, 0,
					     NULL, 0 };
		cmp[nc++] = (struct pe_cmp){ keys[k + 1], PE_T_CREATE, PE_EQ,
					     0, NULL, 0 };
		cmp[nc++] = (struct pe_cmp){ keys[k + 2], PE_T_CREATE, PE_EQ,
					     0, NULL, 0 };
		op[no++] = (struct pe_op){ PE_PUT, keys[k], vals[b], len, 0,
					   0 };
		op[no++] = (struct pe_op){ PE_PUT, keys[k + 1],
			(const uint8_t *)names[b], strlen(names[b]), 0, 0 };
		op[no++] = (struct pe_op){ PE_PUT, keys[k + 2],
			(const uint8_t *)names[b], strlen(names[b]), 0, 0 };
	}
	if (pe_txn(c, cmp, nc, op, no, NULL, 0, &ok, &rev, NULL) || !ok)
		die("create txn", c);
}

/* The target keys of placed profiles from..to (as psctl keeps them). */
static void target_keys(struct pe_client *c, unsigned from, unsigned to)
{
	static char k[BATCH * 3][96], name[BATCH * 3][32];
	struct pe_op o[BATCH * 3];
	unsigned i, n = 0;
	int64_t rev;
	int ok;

	for (i = from; i < to; i++, n++) {
		snprintf(k[n], sizeof k[n], "/pstate/target/bmc://10.%u.%u.%u:623",
			 i >> 16, (i >> 8) & 255, i & 255);
		snprintf(name[n], sizeof name[n], "p%u", i);
		o[n] = (struct pe_op){ PE_PUT, k[n], (const uint8_t *)name[n],
				       strlen(name[n]), 0, 0 };
	}
	if (n && pe_txn(c, NULL, 0, o, n, NULL, 0, &ok, &rev, NULL))
		die("target key", c);
}

/* Profiles and servers from procs processes, each its share of the
 * batches (etcd groups their writes). */
static void create(const char *url, unsigned n, unsigned servers,
		   unsigned placed, int procs)
{
	unsigned nb = (n + servers + BATCH - 1) / BATCH, b;
	int p, st, bad = 0;

	for (p = 0; p < procs; p++) {
		if (fork() == 0) {
			struct pe_client c;

			if (pe_open(&c, url))
				die("open", &c);
			for (b = (unsigned)p; b < nb; b += (unsigned)procs)
				create_batch(&c, b, n, servers, placed);
			for (b = (unsigned)p * BATCH * 3; b < placed;
			     b += (unsigned)procs * BATCH * 3)
				target_keys(&c, b, b + BATCH * 3 < placed
							  ? b + BATCH * 3
							  : placed);
			pe_close(&c);
			_exit(0);
		}
	}
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	if (bad)
		die("a create process failed", NULL);
}

/* ---- timing helpers */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Items 0..n from procs processes (item i in process i % procs): fn
 * measures item i into out[0..k), each process with its own state from
 * start (may be NULL); the figures into res[i * k ...]. */
typedef void *(*fan_start)(void *arg);
typedef void (*fan_fn)(void *st, unsigned i, double *out, void *arg);

static void fan_out(unsigned n, int procs, int k, fan_start start, fan_fn fn,
		    void *arg, double *res)
{
	int fd[PROCS][2], p, st, bad = 0;
	unsigned i;

	for (p = 0; p < procs; p++) {
		if (pipe(fd[p]))
			die("pipe", NULL);
		if (fork() == 0) {
			void *state = start ? start(arg) : NULL;
			double d[4];    /* k <= 4 */

			close(fd[p][0]);
			for (i = (unsigned)p; i < n; i += (unsigned)procs) {
				fn(state, i, d, arg);
				if (write(fd[p][1], d, k * sizeof *d) !=
				    (ssize_t)(k * sizeof *d))
					_exit(1);
			}
			_exit(0);
		}
		close(fd[p][1]);
	}
	for (p = 0; p < procs; p++)
		for (i = (unsigned)p; i < n; i += (unsigned)procs)
			if (read(fd[p][0], res + (size_t)i * k, k * sizeof *res)
			    != (ssize_t)(k * sizeof *res))
				die("a measuring process failed", NULL);
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	for (p = 0; p < procs; p++)
		close(fd[p][0]);
	if (bad)
		die("a measuring process failed", NULL);
}

/* ---- psctl on both pools */

static double run(const char *cmd)
{
	double t0 = now();

	if (system(cmd))
		return -1;
	return now() - t0;
}

/* cmd's time, its output's lines into *lines; -1 when it fails. */
static double run_lines(const char *cmd, unsigned *lines)
{
	double t0 = now();
	char buf[4096];
	FILE *f = popen(cmd, "r");

	*lines = 0;
	if (!f)
		return -1;
	while (fgets(buf, sizeof buf, f))
		*lines += strchr(buf, '\n') != NULL;
	if (pclose(f))
		return -1;
	return now() - t0;
}

/* `psctl OPTS profile list` (and --json), checked to list n profiles. */
static void psctl_list(const char *tag, const char *psctl, const char *opts,
		       unsigned n)
{
	char cmd[1024];
	unsigned lines;
	double t;

	snprintf(cmd, sizeof cmd, "%s -q %s profile list", psctl, opts);
	t = run_lines(cmd, &lines);
	if (t < 0 || lines != n + 1)
		printf("%s  psctl profile list, %u profiles: failed (%u "
		       "lines)\n", tag, n, lines);
	else
		printf("%s  psctl profile list, %u profiles: %.2f s\n", tag, n,
		       t);
	snprintf(cmd, sizeof cmd, "%s -q %s profile list --json", psctl,
		 opts);
	t = run_lines(cmd, &lines);
	printf("%s  psctl profile list --json, %u profiles: ", tag, n);
	if (t < 0)
		printf("failed\n");
	else
		printf("%.2f s\n", t);
}

/* `pool reindex` (the list index from the profile keys, docs/pool.md
 * "The list index"), timed. */
static void reindex(const char *psctl, const char *opts)
{
	char cmd[1024];
	double t;

	snprintf(cmd, sizeof cmd, "%s -q %s pool reindex", psctl, opts);
	t = run(cmd);
	if (t < 0)
		printf("etcd  psctl pool reindex: failed\n");
	else
		printf("etcd  psctl pool reindex (the list index from the "
		       "profile keys): %.2f s\n", t);
}

#define WAYS 4

/* `psctl OPTS profile list` as it reads today (the list index: ~1,000
 * bucket keys in one request), from the profile keys as the session
 * before read them (pages of 10,000 keys as parallel streams, one a
 * member, docs/pool.md "Reads"), as one stream of such pages, and as
 * before that (one stream of 2,000-key pages), runs alternated so that
 * all see the same load: each run's time, the medians and their ratios
 * to the last. */
static void list_streams(const char *psctl, const char *opts, unsigned n)
{
	static const char *const env[WAYS] = {
		"", "PSTATE_POOL_INDEX=0",
		"PSTATE_POOL_INDEX=0 PSTATE_POOL_STREAMS=1",
		"PSTATE_POOL_INDEX=0 PSTATE_POOL_STREAMS=1 "
		"PSTATE_POOL_PAGE=2000" };
	static const char *const name[WAYS] = {
		"the list index",
		"profile keys, parallel streams, 10,000-key pages",
		"profile keys, 1 stream, 10,000-key pages",
		"before: profile keys, 1 stream, 2,000-key pages" };
	double t[WAYS][RUNS];
	char cmd[1024];
	unsigned lines, r, k;

	for (r = 0; r < RUNS; r++)
		for (k = 0; k < WAYS; k++) {
			snprintf(cmd, sizeof cmd, "%s %s -q %s profile list",
				 env[k], psctl, opts);
			t[k][r] = run_lines(cmd, &lines);
			if (t[k][r] < 0 || lines != n + 1) {
				printf("etcd  psctl profile list, %s: failed "
				       "(%u lines)\n", name[k], lines);
				return;
			}
		}
	for (k = 0; k < WAYS; k++) {
		printf("etcd  psctl profile list, %u profiles, %s:", n,
		       name[k]);
		for (r = 0; r < RUNS; r++)
			printf(" %.2f", t[k][r]);
		qsort(t[k], RUNS, sizeof t[k][0], cmp_dbl);
		printf(" s (median %.2f s)\n", t[k][RUNS / 2]);
	}
	printf("etcd  psctl profile list, median / before's: index %.2f, "
	       "parallel %.2f, 1 stream %.2f\n",
	       t[0][RUNS / 2] / t[3][RUNS / 2],
	       t[1][RUNS / 2] / t[3][RUNS / 2],
	       t[2][RUNS / 2] / t[3][RUNS / 2]);
}

/* `psctl OPTS profile show pN` of 100 random unplaced profiles. */
static void psctl_show(const char *tag, const char *psctl, const char *opts,
		       unsigned from, unsigned n)
{
	double d[100], sum = 0;
	char cmd[1024];
	unsigned i, lines;

	srand(7);
	for (i = 0; i < 100; i++) {
		snprintf(cmd, sizeof cmd, "%s -q %s profile show p%u", psctl,
			 opts, from + (unsigned)rand() % (n - from));
		d[i] = run_lines(cmd, &lines);
		if (d[i] < 0 || lines < 5) {
			printf("%s  psctl profile show: '%s' failed\n", tag,
			       cmd);
			return;
		}
		sum += d[i];
	}
	qsort(d, 100, sizeof *d, cmp_dbl);
	printf("%s  psctl profile show PROFILE (whole command), 100 random of "
	       "%u: mean %.1f ms, median %.1f ms, p99 %.1f ms\n", tag, n,
	       sum * 10, d[50] * 1e3, d[99] * 1e3);
}

/* ---- psctl's own failover on the big pool */

/* cmd (stderr with it), timed; *etcd_ms the "waiting on etcd" figure of
 * $PSTATE_POOL_STATS.  -1 when it fails. */
static double run_stats(const char *cmd, double *etcd_ms, double *reqs,
			double *keys)
{
	double t0 = now();
	char buf[4096];
	FILE *f = popen(cmd, "r");
	const char *p;

	*etcd_ms = -1;
	if (!f)
		return -1;
	while (fgets(buf, sizeof buf, f))
		if ((p = strstr(buf, " keys read, ")) != NULL) {
			*etcd_ms = atof(p + 12);
			/* "psctl: pool: N requests, K keys read, ..." */
			if ((p = strstr(buf, "pool: ")) != NULL) {
				*reqs = atof(p + 6);
				p = strstr(p, "requests, ");
				*keys = p ? atof(p + 10) : -1;
			}
		}
	if (pclose(f))
		return -1;
	return now() - t0;
}

/* Process p's share of 0..n: the host images (setup 0), or the profile
 * created and assigned to its own (setup 1), by psctl. */
static void each(const char *what, unsigned n, const char *psctl,
		 const char *url, const char *dir, int setup)
{
	char cmd[2048];
	int p, st, bad = 0;
	unsigned i;

	for (p = 0; p < PROCS; p++) {
		if (fork())
			continue;
		for (i = (unsigned)p; i < n; i += PROCS) {
			if (!setup)
				snprintf(cmd, sizeof cmd, "%s -q -i %s/a%u.img "
					 "init >/dev/null 2>&1 && %s -q -i "
					 "%s/b%u.img init >/dev/null 2>&1",
					 psctl, dir, i, psctl, dir, i);
			else
				snprintf(cmd, sizeof cmd, "%s -q --pool %s "
					 "profile create fo%u --macs "
					 "02:20:00:00:%02x:%02x >/dev/null && "
					 "%s -q --pool %s profile assign fo%u "
					 "image:%s/a%u.img >/dev/null", psctl,
					 url, i, i >> 8, i & 255, psctl, url,
					 i, dir, i);
			if (system(cmd))
				_exit(1);
		}
		_exit(0);
	}
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	if (bad)
		die(what, NULL);
}

struct fo_psctl {
	const char *psctl, *url, *dir;
	int back;
};

/* One psctl failover: out[0] its wait on etcd (ms), out[1] the whole. */
static void psctl_failover(void *st, unsigned i, double *out, void *arg)
{
	const struct fo_psctl *f = arg;
	char cmd[2048];

	(void)st;
	snprintf(cmd, sizeof cmd, "PSTATE_POOL_STATS=1 %s -q --pool %s "
		 "profile failover image:%s/%c%u.img image:%s/%c%u.img 2>&1",
		 f->psctl, f->url, f->dir, f->back ? 'b' : 'a', i, f->dir,
		 f->back ? 'a' : 'b', i);
	out[1] = run_stats(cmd, &out[0], &out[2], &out[3]);
	if (out[1] < 0 || out[0] < 0)
		_exit(1);
}

/* n failovers (a to b, or back) from procs processes, timed. */
static void fo_run(const char *psctl, const char *url, const char *dir,
		   unsigned n, int procs, int back, double *pool,
		   double *whole)
{
	struct fo_psctl f = { psctl, url, dir, back };
	double t0 = now(), sp = 0, sw = 0, sr = 0, sk = 0;
	double *d = calloc(4 * (size_t)n, sizeof *d);
	unsigned i;

	if (!d)
		die("out of memory", NULL);
	fan_out(n, procs, 4, NULL, psctl_failover, &f, d);
	for (i = 0; i < n; i++) {
		pool[i] = d[4 * i] / 1e3;
		whole[i] = d[4 * i + 1];
		sp += pool[i];
		sw += whole[i];
		sr += d[4 * i + 2];
		sk += d[4 * i + 3];
	}
	free(d);
	qsort(pool, n, sizeof *pool, cmp_dbl);
	qsort(whole, n, sizeof *whole, cmp_dbl);
	printf("etcd  psctl profile failover, %u from %d process%s: pool work "
	       "(waiting on etcd) mean %.1f ms, median %.1f ms, p99 %.1f ms; "
	       "whole command mean %.1f ms, median %.1f ms, p99 %.1f ms; "
	       "%.2f s wall\n", n, procs, procs > 1 ? "es" : "",
	       sp / n * 1e3, pool[n / 2] * 1e3, pool[n * 99 / 100] * 1e3,
	       sw / n * 1e3, whole[n / 2] * 1e3, whole[n * 99 / 100] * 1e3,
	       now() - t0);
	printf("etcd  psctl profile failover, %u from %d process%s: %.1f "
	       "failovers/s (whole commands); %.2f requests and %.2f keys "
	       "read a failover\n", n, procs, procs > 1 ? "es" : "",
	       n / (now() - t0), sr / n, sk / n);
}

/*
 * `psctl profile failover` itself, n profiles from PROCS processes, on
 * the big pool: each profile made by psctl (create, assign to a host
 * image of its own), failed over to a spare image.  The pool work is
 * the time psctl waits on etcd ($PSTATE_POOL_STATS); the whole command
 * adds the process start, the two target stores' steps (reads, release
 * and apply commits) and its own work.
 */
static void psctl_failovers(const char *psctl, const char *url, unsigned n)
{
	char dir[] = "/tmp/bench_pool_fo_XXXXXX", cmd[2048];
	const char *tmp = getenv("TMPDIR");
	double *pool = calloc(n, sizeof *pool), *whole = calloc(n, sizeof *whole);
	double t0;

	if (tmp && *tmp)
		snprintf(dir, sizeof dir, "%s/bpf_XXXXXX", tmp);
	if (!pool || !whole || !mkdtemp(dir))
		die("psctl failovers: set-up", NULL);
	setenv("PSTATE_SEM_MODE", "flock", 1);
	setenv("PSTATE_LOCK_DIR", dir, 1);
	each("psctl failovers: images", n, psctl, url, dir, 0);
	t0 = now();
	each("psctl failovers: create and assign", n, psctl, url, dir, 1);
	printf("etcd  psctl profile create + assign, %u profiles from %d "
	       "processes: %.2f s\n", n, PROCS, now() - t0);
	fo_run(psctl, url, dir, n, PROCS, 0, pool, whole);
	/* The same failovers back, one at a time: the pool work without
	 * seven other psctl processes' target steps on the same cores. */
	fo_run(psctl, url, dir, n < 50 ? n : 50, 1, 1, pool, whole);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "bench_pool: cleaning %s failed\n", dir);
	free(pool);
	free(whole);
}

static void file_pool(const char *psctl, unsigned n)
{
	char dir[] = "/tmp/bench_pool_XXXXXX", cmd[1024], path[300];
	double t;
	FILE *f;
	unsigned i;

	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(path, sizeof path, "%s/p.txt", dir);
	f = fopen(path, "w");
	if (!f)
		die("text", NULL);
	fprintf(f, "psf 1.0 schema 1 flags 0x00000000;\nroot {\n\tprofiles {\n");
	for (i = 0; i < n; i++) {
		char mac[32];

		mac_text(i, mac, sizeof mac);
		fprintf(f, "\t\tprofile {\n\t\t\tname = \"p%u\";\n\t\t\t"
			"serial-number = \"SN%08u\";\n\t\t\tmac-list = %s;\n"
			"\t\t}\n", i, i, mac);
	}
	fprintf(f, "\t}\n}\n");
	fclose(f);
	snprintf(cmd, sizeof cmd, "PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=%s "
		 "%s -q -i %s/p.img init --size 64M >/dev/null 2>&1 && "
		 "PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=%s %s -q -i %s/p.img "
		 "import %s", dir, psctl, dir, dir, psctl, dir, path);
	t = run(cmd);
	if (t < 0) {
		printf("file  %u profiles: the file pool does not hold them "
		       "(import refused)\n", n);
	} else {
		double s;

		printf("file  create %u profiles (one import): %.2f s\n", n, t);
		snprintf(cmd, sizeof cmd, "PSTATE_SEM_MODE=flock "
			 "PSTATE_LOCK_DIR=%s %s", dir, psctl);
		snprintf(path, sizeof path, "-i %s/p.img", dir);
		psctl_list("file", cmd, path, n);
		psctl_show("file", cmd, path, 0, n);
		snprintf(cmd, sizeof cmd, "PSTATE_SEM_MODE=flock "
			 "PSTATE_LOCK_DIR=%s %s -q -i %s/p.img profile set p7 "
			 "--description a && PSTATE_SEM_MODE=flock "
			 "PSTATE_LOCK_DIR=%s %s -q -i %s/p.img profile set p7 "
			 "--description b", dir, psctl, dir, dir, psctl, dir);
		s = run(cmd);
		printf("file  a failover's pool work, %u profiles (two "
		       "commits, whole commands): %.0f ms\n", n, s * 1e3);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "bench_pool: cleaning %s failed\n", dir);
}

int main(int argc, char **argv)
{
	struct pe_client c;
	struct pe_kvs kv = { 0 };
	unsigned np, ns, nf, i;
	double t, lk[1000], sum = 0;
	char cmd[1024];

	/* --list URL PSCTL PROFILES: the list comparison only, against a
	 * pool seeded before (--seed). */
	if (argc == 5 && !strcmp(argv[1], "--list")) {
		snprintf(cmd, sizeof cmd, "--pool %s", argv[2]);
		reindex(argv[3], cmd);
		list_streams(argv[3], cmd, (unsigned)atoi(argv[4]));
		return 0;
	}
	/* --failover URL PSCTL N: psctl's own failovers only (8 processes,
	 * then 1), against a pool seeded before (--seed), given its list
	 * index first so that each failover writes its buckets as on a pool
	 * psctl made (`make bench-pool-failover`; the full run times the
	 * same function). */
	if (argc == 5 && !strcmp(argv[1], "--failover")) {
		snprintf(cmd, sizeof cmd, "--pool %s", argv[2]);
		reindex(argv[3], cmd);
		psctl_failovers(argv[3], argv[2], (unsigned)atoi(argv[4]));
		return 0;
	}
	if (argc != 6) {
		fprintf(stderr, "usage: bench_pool URL PSCTL PROFILES SERVERS "
			"FAILOVERS\n");
		return 2;
	}
	/* --seed URL PROFILES SERVERS PLACED: only the creates (tests). */
	if (argc == 6 && !strcmp(argv[1], "--seed")) {
		create(argv[2], (unsigned)atoi(argv[3]),
		       (unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]), 4);
		return 0;
	}
	np = (unsigned)atoi(argv[3]);
	ns = (unsigned)atoi(argv[4]);
	nf = (unsigned)atoi(argv[5]);
	if (nf > np || 2 * nf > ns || pe_open(&c, argv[1]))
		die("arguments or URL", &c);
	t = now();
	create(argv[1], np, ns, nf, PROCS);
	printf("etcd  create %u profiles (MAC and serial keys in the same "
	       "txn, %d a txn, %d processes) and %u servers: %.1f s (%.0f "
	       "profiles/s)\n", np, BATCH, PROCS, ns, now() - t,
	       np / (now() - t));
	t = now();
	if (pe_range(&c, "/pstate/profile/", 1, &kv) || kv.n != np)
		die("list", &c);
	printf("etcd  list %zu profiles (one range, decoded): %.2f s\n", kv.n,
	       now() - t);
	pe_kvs_free(&kv);
	srand(42);
	for (i = 0; i < 1000; i++) {
		char k[96], mac[32];

		mac_text((unsigned)rand() % np, mac, sizeof mac);
		snprintf(k, sizeof k, "/pstate/id/mac/%s", mac);
		t = now();
		if (pe_range(&c, k, 0, &kv) || kv.n != 1)
			die("lookup", &c);
		snprintf(k, sizeof k, "/pstate/profile/%s",
			 (char *)kv.kv[0].val);
		pe_kvs_free(&kv);
		if (pe_range(&c, k, 0, &kv) || kv.n != 1)
			die("lookup profile", &c);
		pe_kvs_free(&kv);
		lk[i] = now() - t;
		sum += lk[i];
	}
	qsort(lk, 1000, sizeof *lk, cmp_dbl);
	printf("etcd  look up a profile by MAC (id key, then profile), 1,000 "
	       "random: mean %.2f ms, p99 %.2f ms\n", sum, lk[990] * 1e3);
	pe_close(&c);
	snprintf(cmd, sizeof cmd, "--pool %s", argv[1]);
	/* The seeded pool has no list index yet: psctl's lists and
	 * failovers below read and write it, as on a pool psctl made. */
	reindex(argv[2], cmd);
	psctl_list("etcd", argv[2], cmd, np);
	list_streams(argv[2], cmd, np);
	psctl_show("etcd", argv[2], cmd, nf, np);
	psctl_failovers(argv[2], argv[1], nf < 200 ? nf : 200);
	file_pool(argv[2], 1000);
	file_pool(argv[2], 10000);
	return 0;
}
