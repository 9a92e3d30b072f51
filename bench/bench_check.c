/*
 * bench_check.c - the whole-store check (ps_cfg_check) on 20,000 VMs:
 * the pairwise strategy (no memory, what the BMC links) against the
 * workspace strategy (ps_cfg_check_ws: sorted keys, what psctl and
 * hvagent use), then whole psctl commands on an image of the same store.
 *
 *   bench_check [--quick] [--max-vms N] [PSCTL [DIR]]
 *
 * The store, built in memory with the PSF builder, for N = 1,000, 2,000
 * and 20,000 VMs (up to --max-vms): N VMs, each { name, serial number, VM
 * record (UUID, memory, CPUs), a NIC (every second VM two: MAC, network),
 * a disk controller on its own disk image (not shareable), a serial port
 * mapped to its own concentrator port, hostname }; 2 networks; N + 1
 * images (the disks and a shareable installer); N / 4 memory reservations
 * owned by VMs; 200 profiles (UUID, serial, two MACs, a WWN pair); 100
 * servers (bmc:// targets).  Valid: both strategies must report 0
 * problems, else the benchmark fails.
 *
 * Timed, wall (CLOCK_MONOTONIC) and CPU (the process's, or the child's
 * rusage), median of 5 runs (3 with --quick):
 *   ps_cfg_check_ws           workspace sizing + malloc + check + free
 *   ps_cfg_check              pairwise, once, at 1,000 and 2,000 VMs only
 *                             (at 20,000 it takes minutes; --quick skips it)
 * With PSCTL, at each size the store is imported into a new image in DIR
 * (default: a new directory under $TMPDIR or /tmp) and these whole
 * commands (posix_spawn to exit, output to /dev/null) are timed (a DIR
 * given keeps store.psf and store.img of the last size for inspection):
 *   psctl -i IMG import store.psf   (once: it checks the store too)
 *   psctl -i IMG check              (exit 0)
 *   psctl -i IMG vm show vmLAST
 *   psctl -i IMG vm set vmLAST --memory 8G   (once: a commit, fsync as in
 *                                             use)
 * --max-vms 2000 with the PSCTL of an older build gives its figures
 * without waiting for its check at 20,000.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"

extern char **environ;

#define NPROF 200u
#define PAIRWISE_MAX 2000u
#define NSRV 100u
#define CAP (64u << 20)

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "bench_check: %s%s%s\n", what, arg ? ": " : "",
		arg ? arg : "");
	exit(1);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall and CPU seconds: the machine may be shared, CPU time is what the
 * work costs. */
struct t {
	double wall, cpu;
};

static struct t now(void)
{
	struct t t = { clock_s(CLOCK_MONOTONIC),
		       clock_s(CLOCK_PROCESS_CPUTIME_ID) };

	return t;
}

static struct t since(struct t t0)
{
	struct t t = now();

	t.wall -= t0.wall;
	t.cpu -= t0.cpu;
	return t;
}

/* ------------------------------------------------------------- store */

static void put_uuid(uint8_t *u, unsigned kind, unsigned i)
{
	static const uint8_t base[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad,
					  0x41, 0xd1, 0x80, 0xb4 };

	memcpy(u, base, 16);
	u[10] = (uint8_t)kind;
	u[12] = (uint8_t)(i >> 24);
	u[13] = (uint8_t)(i >> 16);
	u[14] = (uint8_t)(i >> 8);
	u[15] = (uint8_t)i;
}

static void put_mac(uint8_t *m, unsigned kind, unsigned i, unsigned nic)
{
	m[0] = 0x02;
	m[1] = (uint8_t)kind;
	m[2] = (uint8_t)(i >> 16);
	m[3] = (uint8_t)(i >> 8);
	m[4] = (uint8_t)i;
	m[5] = (uint8_t)nic;
}

static void build_nic(struct psf_builder *b, unsigned i, unsigned nic)
{
	uint8_t cfg[PSF_NICC_SIZE] = { 0 };

	put_mac(cfg + PSF_NICC_MAC, 0x50, i, nic);
	cfg[PSF_NICC_MODEL] = PSF_NIC_MODEL_VIRTIO;
	psf_build_open(b, PSF_NIC);
	psf_build_string(b, PSF_NAME, nic ? "eth1" : "eth0");
	psf_build_struct(b, PSF_NIC_CONFIG, cfg, sizeof(cfg));
	psf_build_string(b, PSF_NETWORK_REF, nic ? "storage" : "lan");
	psf_build_close(b);
}

static void build_vm(struct psf_builder *b, unsigned i)
{
	uint8_t cfg[PSF_VMC_SIZE] = { 0 }, ctl[PSF_CTLC_SIZE] = { 0 };
	uint8_t ser[PSF_SERC_SIZE] = { 0 };
	char s[64];

	psf_build_open(b, PSF_VM);
	snprintf(s, sizeof(s), "vm%05u", i);
	psf_build_string(b, PSF_NAME, s);
	snprintf(s, sizeof(s), "SN-%08u", i);
	psf_build_string(b, PSF_SERIAL_NUMBER, s);
	put_uuid(cfg + PSF_VMC_UUID, 1, i);
	psf_put_le64(cfg + PSF_VMC_MEMORY_KIB, 4u << 20);
	psf_put_le16(cfg + PSF_VMC_VCPUS, 2);
	psf_put_le16(cfg + PSF_VMC_SOCKETS, 1);
	psf_put_le16(cfg + PSF_VMC_CORES, 2);
	psf_put_le16(cfg + PSF_VMC_THREADS, 1);
	psf_build_struct(b, PSF_VM_CONFIG, cfg, sizeof(cfg));
	psf_build_open(b, PSF_NICS);
	build_nic(b, i, 0);
	if (i % 2)
		build_nic(b, i, 1);
	psf_build_close(b);
	psf_build_open(b, PSF_STORAGE);
	psf_build_open(b, PSF_CONTROLLER);
	psf_build_string(b, PSF_NAME, "disk0");
	snprintf(s, sizeof(s), "disk%05u", i);
	psf_build_string(b, PSF_IMAGE_REF, s);
	ctl[PSF_CTLC_MEDIA] = PSF_MEDIA_DISK;
	ctl[PSF_CTLC_FLAGS] = PSF_CTLF_BOOTABLE;
	ctl[PSF_CTLC_BUS] = PSF_BUS_VIRTIO;
	psf_build_struct(b, PSF_CONTROLLER_CONFIG, ctl, sizeof(ctl));
	psf_build_close(b);
	psf_build_close(b);
	psf_build_open(b, PSF_SERIAL_PORTS);
	psf_build_open(b, PSF_SERIAL_PORT);
	snprintf(s, sizeof(s), "vm%05u-console", i);
	psf_build_string(b, PSF_HOSTNAME, s);
	psf_put_le16(ser + PSF_SERC_CONCENTRATOR, (uint16_t)(i + 1));
	ser[PSF_SERC_MODE] = PSF_SERIAL_MODE_OBSERVER;
	psf_build_struct(b, PSF_SERIAL_CONFIG, ser, sizeof(ser));
	psf_build_close(b);
	psf_build_close(b);
	psf_build_close(b);
}

static void build_image(struct psf_builder *b, const char *name,
			const char *path, uint8_t media, uint8_t flags)
{
	uint8_t cfg[PSF_IMGC_SIZE] = { 0 };

	psf_put_le64(cfg + PSF_IMGC_SIZE_BYTES, 20ull << 30);
	cfg[PSF_IMGC_FORMAT] = PSF_IMAGE_FORMAT_QCOW2;
	cfg[PSF_IMGC_MEDIA] = media;
	cfg[PSF_IMGC_FLAGS] = flags;
	psf_build_open(b, PSF_IMAGE);
	psf_build_string(b, PSF_NAME, name);
	psf_build_struct(b, PSF_IMAGE_CONFIG, cfg, sizeof(cfg));
	psf_build_string(b, PSF_PATH, path);
	psf_build_close(b);
}

static void build_network(struct psf_builder *b, const char *name,
			  const char *uplink)
{
	uint8_t cfg[PSF_NETC_SIZE] = { 0 };

	psf_build_open(b, PSF_NETWORK);
	psf_build_string(b, PSF_NAME, name);
	psf_build_struct(b, PSF_NETWORK_CONFIG, cfg, sizeof(cfg));
	psf_build_string(b, PSF_UPLINK, uplink);
	psf_build_close(b);
}

static void build_rest(struct psf_builder *b, unsigned nvms)
{
	uint8_t cfg[PSF_RESC_SIZE] = { 0 }, pro[PSF_PROC_SIZE] = { 0 };
	uint8_t macs[2 * PSF_MAC_LEN], wwn[PSF_WWN_ITEM_LEN];
	char s[64], p[96];
	unsigned i;

	psf_build_open(b, PSF_IMAGES);
	build_image(b, "installer", "/var/lib/images/installer.iso",
		    PSF_MEDIA_CDROM, PSF_IMGF_SHAREABLE);
	for (i = 0; i < nvms; i++) {
		snprintf(s, sizeof(s), "disk%05u", i);
		snprintf(p, sizeof(p), "/var/lib/images/vm%05u.qcow2", i);
		build_image(b, s, p, PSF_MEDIA_DISK, 0);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_RESERVATIONS);
	for (i = 0; i < nvms / 4; i++) {
		cfg[PSF_RESC_KIND] = PSF_RESERVE_MEMORY;
		psf_put_le64(cfg + PSF_RESC_FIRST, (4ull + i) << 30);
		psf_put_le64(cfg + PSF_RESC_COUNT, 1ull << 30);
		psf_build_open(b, PSF_RESERVATION);
		snprintf(s, sizeof(s), "mem%04u", i);
		psf_build_string(b, PSF_NAME, s);
		psf_build_struct(b, PSF_RESERVATION_CONFIG, cfg, sizeof(cfg));
		snprintf(s, sizeof(s), "vm%05u", i * 4);
		psf_build_string(b, PSF_OWNER, s);
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_PROFILES);
	for (i = 0; i < NPROF; i++) {
		put_uuid(pro + PSF_PROC_UUID, 2, i);
		put_mac(macs, 0x60, i, 0);
		put_mac(macs + PSF_MAC_LEN, 0x60, i, 1);
		memset(wwn, 0, sizeof(wwn));
		wwn[0] = 0x20;
		wwn[6] = (uint8_t)(i >> 8);
		wwn[7] = (uint8_t)i;
		wwn[8] = 0x21;
		wwn[14] = (uint8_t)(i >> 8);
		wwn[15] = (uint8_t)i;
		psf_build_open(b, PSF_PROFILE);
		snprintf(s, sizeof(s), "prof%03u", i);
		psf_build_string(b, PSF_NAME, s);
		snprintf(s, sizeof(s), "PS-%06u", i);
		psf_build_string(b, PSF_SERIAL_NUMBER, s);
		psf_build_struct(b, PSF_PROFILE_CONFIG, pro, sizeof(pro));
		psf_build_struct(b, PSF_MAC_LIST, macs, sizeof(macs));
		psf_build_struct(b, PSF_WWN_LIST, wwn, sizeof(wwn));
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_SERVERS);
	for (i = 0; i < NSRV; i++) {
		psf_build_open(b, PSF_SERVER);
		snprintf(s, sizeof(s), "srv%03u", i);
		psf_build_string(b, PSF_NAME, s);
		snprintf(s, sizeof(s), "bmc://10.1.%u.%u", i / 200, i % 200 + 1);
		psf_build_string(b, PSF_TARGET, s);
		psf_build_close(b);
	}
	psf_build_close(b);
}

static uint32_t build_store(uint8_t *buf, unsigned nvms)
{
	struct psf_builder b;
	unsigned i;
	int rc;

	memset(buf, 0, CAP);
	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	for (i = 0; i < nvms; i++)
		build_vm(&b, i);
	psf_build_close(&b);
	psf_build_open(&b, PSF_NETWORKS);
	build_network(&b, "lan", "eno1");
	build_network(&b, "storage", "eno2");
	psf_build_close(&b);
	build_rest(&b, nvms);
	rc = psf_build_finish(&b);
	if (rc < 0)
		die("build", ps_strerror(rc));
	return (uint32_t)rc;
}

/* ------------------------------------------------------------- timing */

static void show(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "bench_check: problem: %s\n", msg);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Medians of wall and CPU times apart. */
static struct t median_t(const struct t *v, unsigned n)
{
	double w[16], c[16];
	struct t m;
	unsigned i;

	for (i = 0; i < n; i++) {
		w[i] = v[i].wall;
		c[i] = v[i].cpu;
	}
	m.wall = median(w, n);
	m.cpu = median(c, n);
	return m;
}

static void print_t(const char *what, struct t t, unsigned n)
{
	printf("  %-38s %8.3f s wall %8.3f s CPU", what, t.wall, t.cpu);
	if (n > 1)
		printf("  (median of %u)", n);
	printf("\n");
}

static struct t check_ws(const uint8_t *buf, uint32_t len, size_t *wsz)
{
	struct t t0 = now(), t1;
	size_t need = ps_cfg_check_ws_size(buf, len);
	void *ws = malloc(need);
	int n;

	if (!ws)
		die("out of memory", NULL);
	n = ps_cfg_check_ws(buf, len, show, NULL, ws, need);
	free(ws);
	t1 = since(t0);
	if (n != 0)
		die("ps_cfg_check_ws: the store is not valid", NULL);
	*wsz = need;
	return t1;
}

static double cpu_of(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

/* Runs argv, output to /dev/null; wall seconds and the child's CPU
 * seconds (user + system); its exit status must be 0. */
static struct t run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	struct t t;
	double t0, c0;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	getrusage(RUSAGE_CHILDREN, &ru);
	c0 = cpu_of(&ru);
	t0 = clock_s(CLOCK_MONOTONIC);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		die("cannot run", argv[0]);
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid", strerror(errno));
	t.wall = clock_s(CLOCK_MONOTONIC) - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	t.cpu = cpu_of(&ru) - c0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_check: failed (status %d):", st);
		for (; *argv; argv++)
			fprintf(stderr, " %s", *argv);
		fprintf(stderr, "\n");
		exit(1);
	}
	return t;
}

static struct t median_run(char *const argv[], unsigned n)
{
	struct t v[16];
	unsigned i;

	for (i = 0; i < n; i++)
		v[i] = run(argv);
	return median_t(v, n);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("cannot write", path);
}

static void bench_psctl(const char *psctl, const char *dir,
			const uint8_t *buf, uint32_t len, unsigned nvms,
			unsigned n, int own)
{
	char img[4200], psf[4200], last[16], what[64];
	char *p = (char *)psctl;
	char *init[] = { p, "-q", "-i", img, "init", "--size", "128M",
			 "--part-size", "96M", "--slots", "2", NULL };
	char *imp[] = { p, "-q", "-i", img, "import", psf, NULL };
	char *chk[] = { p, "-q", "-i", img, "check", NULL };
	char *shw[] = { p, "-q", "-i", img, "vm", "show", last, NULL };
	char *set[] = { p, "-q", "-i", img, "vm", "set", last,
			"--memory", "8G", NULL };

	snprintf(img, sizeof(img), "%s/store.img", dir);
	snprintf(psf, sizeof(psf), "%s/store.psf", dir);
	snprintf(last, sizeof(last), "vm%05u", nvms - 1);
	unlink(img);
	write_file(psf, buf, len);
	run(init);
	print_t("psctl import (binary)", run(imp), 1);
	print_t("psctl check", median_run(chk, n), n);
	snprintf(what, sizeof(what), "psctl vm show %s", last);
	print_t(what, median_run(shw, n), n);
	snprintf(what, sizeof(what), "psctl vm set %s --memory 8G", last);
	print_t(what, run(set), 1);
	if (own) {
		unlink(img);
		unlink(psf);
	}
}

/* One size: the store, both strategies, psctl (when given). */
static void bench_size(uint8_t *buf, unsigned nvms, unsigned n, int quick,
		       const char *psctl, const char *dir, int own)
{
	uint32_t len = build_store(buf, nvms);
	struct t v[16], t;
	size_t wsz = 0;
	unsigned i;

	printf("%u VMs, %u images, %u reservations, %u profiles, %u servers:"
	       " %u bytes\n", nvms, nvms + 1, nvms / 4, NPROF, NSRV, len);
	for (i = 0; i < n; i++)
		v[i] = check_ws(buf, len, &wsz);
	print_t("ps_cfg_check_ws (sorted keys)", median_t(v, n), n);
	printf("  (workspace %zu bytes, from ps_cfg_check_ws_size)\n", wsz);
	if (!quick && nvms <= PAIRWISE_MAX) {
		t = now();
		if (ps_cfg_check(buf, len, show, NULL) != 0)
			die("ps_cfg_check: the store is not valid", NULL);
		print_t("ps_cfg_check (pairwise, as the BMC)", since(t), 1);
	}
	if (psctl)
		bench_psctl(psctl, dir, buf, len, nvms, n, own);
}

int main(int argc, char **argv)
{
	static const unsigned sizes[] = { 1000, 2000, 20000 };
	unsigned n = 5, max = 20000, i;
	int a = 1, quick = 0, own = 0;
	char tmpl[4096];
	const char *dir = NULL, *psctl = NULL;
	uint8_t *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			quick = 1;
			n = 3;
		} else if (strcmp(argv[a], "--max-vms") == 0 && a + 1 < argc) {
			max = (unsigned)strtoul(argv[++a], NULL, 10);
		} else {
			fprintf(stderr, "usage: bench_check [--quick] "
				"[--max-vms N] [PSCTL [DIR]]\n");
			return 2;
		}
	}
	if (a < argc) {
		psctl = argv[a];
		if (a + 1 < argc) {
			dir = argv[a + 1];
			mkdir(dir, 0755);
		} else {
			const char *tm = getenv("TMPDIR");

			snprintf(tmpl, sizeof(tmpl), "%s/bench_check.XXXXXX",
				 tm && *tm ? tm : "/tmp");
			if (!mkdtemp(tmpl))
				die("mkdtemp", strerror(errno));
			dir = tmpl;
			own = 1;
		}
	}
	buf = malloc(CAP);
	if (!buf)
		die("out of memory", NULL);
	printf("whole-store check: pairwise (ps_cfg_check) vs sorted keys "
	       "(ps_cfg_check_ws)%s\n", psctl ? ", and psctl" : "");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] <= max)
			bench_size(buf, sizes[i], n, quick, psctl, dir, own);
	if (own)
		rmdir(dir);
	free(buf);
	return 0;
}
