/*
 * bench_psctl.c - `psctl vm set NAME --memory ...` against `fdtput` setting
 * one property of a DTB of the same size: wall time per command, as an
 * administrator's script would see it (fork/exec, open, edit, write, exit).
 *
 *   bench_psctl [--quick] PSCTL [DIR]
 *
 * Builds in DIR (default: a new directory under $TMPDIR, else /tmp):
 *   store.txt  1000 VMs in the text form, each { name, description, serial
 *              number, VM record (UUID, memory, CPUs, power, PXE), boot
 *              order, a NIC (name, MAC, network), a CD-ROM controller
 *              (image), a serial-port mapping (hostname) }, plus the network
 *              and image they refer to; loaded with `psctl init` and
 *              `psctl import` into a 64 MiB image (MBR, 4 MiB pstate
 *              partition) -- the way an administrator would;
 *   vms.dts    the same 1000 VMs as device-tree nodes with the same
 *              properties (nic, disk and serial subnodes), compiled with dtc.
 * Then, in the same run, in turn (each goes first a third of the time), N
 * times each (200; 30 with --quick):
 *   psctl -q --commit fast -i store.img vm set vmNNNN --memory M
 *   psctl -q --commit ordered -i store.img vm set vmNNNN --memory M
 *   fdtput -t u vms.dtb /vms/vmNNNN memory-kib K, then fdatasync(vms.dtb)
 * on a random VM (fixed seed) with a value that differs from the current
 * one, so every psctl run commits.  Each command is started with
 * posix_spawn and timed with CLOCK_MONOTONIC from spawn to exit; its
 * output goes to /dev/null and a non-zero exit status stops the benchmark.
 * psctl runs as in real use: the writers' lock in auto mode and fsync at
 * the commit's durable points (one with --commit fast, the default; two
 * with ordered: docs/store.md section 4).  fdtput never syncs; so that
 * both sides pay for durability alike, the benchmark opens vms.dtb after
 * fdtput exits and calls fdatasync once (fdtput's write, then one flush,
 * as psctl's fast commit), timed with it; fdtput alone is shown too.
 * Prints median, p90 and mean of each and the ratios of the medians and
 * of the p90s, taken in this run (the machine's load moves all), then
 * each command's own CPU time (user + system) and minor page faults
 * (wait4's rusage): on a loaded machine the rest of the wall time is
 * waiting, for a CPU and for fsync.
 *
 * DIR decides the filesystem: on tmpfs (TMPDIR=/dev/shm) fsync costs
 * nothing, which gives the no-fsync figure (psctl itself has no way to
 * skip it).  A directory the benchmark made itself is removed at the end;
 * a DIR given is kept, with the files, for inspection.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* wait4 */
#endif
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
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define NVMS 1000u

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench_psctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* What the last run() cost its child: CPU (user + system) and minor
 * page faults, from wait4's rusage.  Where the wall time goes on a loaded
 * machine: CPU of its own, or waiting (for a CPU, for fsync). */
static double last_cpu_us, last_faults;

/* Run argv with output to /dev/null (unless show); wall time in us. */
static double run(char *const argv[], int show)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	pid_t pid;
	int st, rc;
	double t0, t1;

	posix_spawn_file_actions_init(&fa);
	if (!show) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
						 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
						 0);
	}
	t0 = now_us();
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	if (rc != 0)
		die("cannot run %s", argv[0]);
	if (wait4(pid, &st, 0, &ru) < 0)
		die("wait4: %s", strerror(errno));
	t1 = now_us();
	last_cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
		      ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	last_faults = (double)ru.ru_minflt;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_psctl: failed (status %d):", st);
		for (; *argv; argv++)
			fprintf(stderr, " %s", *argv);
		fprintf(stderr, "\n");
		exit(1);
	}
	return t1 - t0;
}

static void gen_store(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned i;

	if (!f)
		die("cannot write %s", path);
	fprintf(f, "psf 1.0 schema 1 flags 0x00000000;\nroot {\n"
		"\tnetworks {\n\t\tnetwork {\n\t\t\tname = \"lan\";\n"
		"\t\t\tnetwork-config {\n\t\t\t\tkind = bridged;\n"
		"\t\t\t\tflags = 0;\n\t\t\t\tvlan = 0;\n\t\t\t\tmtu = 0;\n"
		"\t\t\t}\n\t\t\tuplink = \"eno1\";\n\t\t}\n\t}\n"
		"\timages {\n\t\timage {\n\t\t\tname = \"installer\";\n"
		"\t\t\timage-config {\n\t\t\t\tsize-bytes = 4294967296;\n"
		"\t\t\t\tformat = raw;\n\t\t\t\tmedia = cdrom;\n"
		"\t\t\t\tflags = shareable;\n\t\t\t}\n"
		"\t\t\tpath = \"/var/lib/images/debian-12.iso\";\n"
		"\t\t}\n\t}\n\tvms {\n");
	for (i = 0; i < NVMS; i++) {
		fprintf(f,
			"\t\tvm {\n\t\t\tname = \"vm%04u\";\n\t\t\tpad 16;\n"
			"\t\t\tdescription = \"benchmark VM number %u\";\n"
			"\t\t\tserial-number = \"VM-%08u\";\n"
			"\t\t\tvm-config {\n"
			"\t\t\t\tuuid = 6ba7b810-9dad-41d1-80b4-%012x;\n"
			"\t\t\t\tmemory-kib = 4194304;\n\t\t\t\tvcpus = 2;\n"
			"\t\t\t\tsockets = 1;\n\t\t\t\tcores = 2;\n"
			"\t\t\t\tthreads = 1;\n\t\t\t\tpower = on;\n"
			"\t\t\t\tpxe = off;\n\t\t\t\tpxe-nic = 0;\n\t\t\t}\n"
			"\t\t\tboot-order = disk, cdrom, network;\n"
			"\t\t\tnics {\n\t\t\t\tnic {\n"
			"\t\t\t\t\tname = \"eth0\";\n"
			"\t\t\t\t\tnetwork-ref = \"lan\";\n"
			"\t\t\t\t\tnic-config {\n"
			"\t\t\t\t\t\tmac = 02:50:53:00:%02x:%02x;\n"
			"\t\t\t\t\t\tmodel = virtio;\n"
			"\t\t\t\t\t\tflags = 0;\n\t\t\t\t\t}\n"
			"\t\t\t\t}\n\t\t\t}\n"
			"\t\t\tstorage {\n\t\t\t\tcontroller {\n"
			"\t\t\t\t\tname = \"dvd\";\n"
			"\t\t\t\t\timage-ref = \"installer\";\n"
			"\t\t\t\t\tcontroller-config {\n"
			"\t\t\t\t\t\tmedia = cdrom;\n"
			"\t\t\t\t\t\tflags = readonly;\n"
			"\t\t\t\t\t\tbus = sata;\n\t\t\t\t\t}\n"
			"\t\t\t\t}\n\t\t\t}\n"
			"\t\t\tserial-ports {\n\t\t\t\tserial-port {\n"
			"\t\t\t\t\thostname = \"vm%04u-console\";\n"
			"\t\t\t\t\tserial-config {\n"
			"\t\t\t\t\t\tport = 0;\n"
			"\t\t\t\t\t\tconcentrator = %u;\n"
			"\t\t\t\t\t\tmode = observer;\n\t\t\t\t\t}\n"
			"\t\t\t\t}\n\t\t\t}\n\t\t\tpad 64;\n\t\t}\n",
			i, i, i, i, i >> 8, i & 0xff, i, i + 1);
	}
	fprintf(f, "\t\tpad 256;\n\t}\n}\n");
	if (fclose(f) != 0)
		die("cannot write %s", path);
}

static void gen_dts(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned i;

	if (!f)
		die("cannot write %s", path);
	fprintf(f, "/dts-v1/;\n/ {\n\tnetworks {\n\t\tlan {\n"
		"\t\t\tkind = \"bridged\";\n\t\t\tflags = <0>;\n"
		"\t\t\tvlan = <0>;\n\t\t\tmtu = <0>;\n"
		"\t\t\tuplink = \"eno1\";\n\t\t};\n\t};\n"
		"\timages {\n\t\tinstaller {\n"
		"\t\t\tsize-bytes = /bits/ 64 <4294967296>;\n"
		"\t\t\tformat = \"raw\";\n\t\t\tmedia = \"cdrom\";\n"
		"\t\t\tshareable;\n"
		"\t\t\tpath = \"/var/lib/images/debian-12.iso\";\n"
		"\t\t};\n\t};\n\tvms {\n");
	for (i = 0; i < NVMS; i++) {
		fprintf(f,
			"\t\tvm%04u {\n"
			"\t\t\tdescription = \"benchmark VM number %u\";\n"
			"\t\t\tserial-number = \"VM-%08u\";\n"
			"\t\t\tuuid = [6b a7 b8 10 9d ad 41 d1 80 b4 00 00"
			" %02x %02x %02x %02x];\n"
			"\t\t\tmemory-kib = <4194304>;\n\t\t\tvcpus = <2>;\n"
			"\t\t\tsockets = <1>;\n\t\t\tcores = <2>;\n"
			"\t\t\tthreads = <1>;\n\t\t\tpower = \"on\";\n"
			"\t\t\tpxe-nic = <0>;\n"
			"\t\t\tboot-order = \"disk\", \"cdrom\", \"network\";\n"
			"\t\t\tnic@0 {\n\t\t\t\tlabel = \"eth0\";\n"
			"\t\t\t\tnetwork = \"lan\";\n"
			"\t\t\t\tmac = [02 50 53 00 %02x %02x];\n"
			"\t\t\t\tmodel = \"virtio\";\n\t\t\t};\n"
			"\t\t\tdisk@0 {\n\t\t\t\tlabel = \"dvd\";\n"
			"\t\t\t\timage = \"installer\";\n"
			"\t\t\t\tmedia = \"cdrom\";\n\t\t\t\treadonly;\n"
			"\t\t\t\tbus = \"sata\";\n\t\t\t};\n"
			"\t\t\tserial@0 {\n"
			"\t\t\t\thostname = \"vm%04u-console\";\n"
			"\t\t\t\tport = <0>;\n\t\t\t\tconcentrator = <%u>;\n"
			"\t\t\t\tmode = \"observer\";\n\t\t\t};\n\t\t};\n",
			i, i, i, (i >> 24) & 0xff, (i >> 16) & 0xff,
			(i >> 8) & 0xff, i & 0xff, i >> 8, i & 0xff, i, i + 1);
	}
	fprintf(f, "\t};\n};\n");
	if (fclose(f) != 0)
		die("cannot write %s", path);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats { double med, p90, mean; };

static struct stats stats_of(double *v, unsigned n)
{
	struct stats s = { 0, 0, 0 };
	unsigned i;

	qsort(v, n, sizeof *v, cmp_d);
	for (i = 0; i < n; i++)
		s.mean += v[i];
	s.mean /= n;
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p90 = v[(n * 9 + 9) / 10 - 1];
	return s;
}

/* The commands timed: psctl in both commit modes, fdtput, and fdtput
 * followed by one fdatasync of its file (its CPU and faults: fdtput's). */
#define NCMD 4u
static const char *const cmd_name[NCMD] = {
	"psctl --commit fast -i store.img vm set ...",
	"psctl --commit ordered -i store.img vm set ...",
	"fdtput -t u vms.dtb /vms/vmNNNN memory-kib K",
	"fdtput ..., then fdatasync(vms.dtb)",
};

/* fdatasync of path, as fdtput would have called it before exiting: the
 * time to open, flush and close, in us. */
static double sync_us(const char *path)
{
	double t0 = now_us();
	int fd = open(path, O_WRONLY);

	if (fd < 0 || fdatasync(fd) != 0)
		die("fdatasync %s failed", path);
	close(fd);
	return now_us() - t0;
}

/* Medians, p90s and means of each command, their ratios to fdtput with
 * its fdatasync (the aim: psctl no slower, fsync included) and to fdtput
 * alone, then CPU time and page faults. */
static void report(double **wall, double **cpu, double **flt, unsigned n,
		   unsigned warm)
{
	struct stats w[NCMD], c[NCMD], f[NCMD];
	unsigned k;

	for (k = 0; k < NCMD; k++) {
		w[k] = stats_of(wall[k], n);
		c[k] = stats_of(cpu[k], n);
		f[k] = stats_of(flt[k], n);
	}
	printf("  wall time per command, %u runs each, in turn (after %u "
	       "warm-up runs):\n", n, warm);
	printf("    %-48s %9s %9s %9s\n", "", "median", "p90", "mean");
	for (k = 0; k < NCMD; k++)
		printf("    %-48s %7.0f us %6.0f us %6.0f us\n", cmd_name[k],
		       w[k].med, w[k].p90, w[k].mean);
	for (k = 0; k < 2; k++)
		printf("  ratio psctl %s / fdtput+fdatasync, same run: median "
		       "%.2fx, p90 %.2fx%s; / fdtput alone: median %.2fx\n",
		       k ? "ordered" : "fast", w[k].med / w[3].med,
		       w[k].p90 / w[3].p90, k ? "" : " (aim: 1.00x or less)",
		       w[k].med / w[2].med);
	printf("  CPU time (user + system) per command, median: psctl fast "
	       "%.0f us, ordered %.0f us, fdtput %.0f us (fast %.2fx)\n",
	       c[0].med, c[1].med, c[2].med, c[0].med / c[2].med);
	printf("  minor page faults per command, median: psctl %.0f, fdtput "
	       "%.0f\n", f[0].med, f[2].med);
}

static long file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		die("cannot stat %s", path);
	return (long)st.st_size;
}

int main(int argc, char **argv)
{
	unsigned n = 200, i, warm = 10;
	int a = 1;
	const char *psctl, *dir;
	int own = 0;
	char tmpl[4096], txt[4200], img[4200], dts[4200], dtb[4200];
	char vm[16], mem[32], vmw[16], memw[32], path[32], kib[32];
	unsigned cur[NVMS], k;
	double *wall[NCMD], *cpu[NCMD], *flt[NCMD];

	if (a < argc && strcmp(argv[a], "--quick") == 0) {
		n = 30;
		warm = 3;
		a++;
	}
	if (a >= argc || argv[a][0] == '-') {
		fprintf(stderr, "usage: bench_psctl [--quick] PSCTL [DIR]\n");
		return 2;
	}
	psctl = argv[a++];
	if (a < argc) {
		dir = argv[a];
		mkdir(dir, 0755);
	} else {
		const char *t = getenv("TMPDIR");

		snprintf(tmpl, sizeof tmpl, "%s/bench_psctl.XXXXXX",
			 t && *t ? t : "/tmp");
		if (!mkdtemp(tmpl))
			die("mkdtemp: %s", strerror(errno));
		dir = tmpl;
		own = 1;
	}
	snprintf(txt, sizeof txt, "%s/store.txt", dir);
	snprintf(img, sizeof img, "%s/store.img", dir);
	snprintf(dts, sizeof dts, "%s/vms.dts", dir);
	snprintf(dtb, sizeof dtb, "%s/vms.dtb", dir);
	unlink(img);

	gen_store(txt);
	gen_dts(dts);
	{
		char *init[] = { (char *)psctl, "-q", "-i", img, "init", NULL };
		char *imp[] = { (char *)psctl, "-q", "-i", img, "import", txt,
				NULL };
		char *exp[] = { (char *)psctl, "-q", "-i", img, "export",
				"--binary", "-o", NULL, NULL };
		char *comp[] = { "dtc", "-q", "-I", "dts", "-O", "dtb", "-o",
				 dtb, dts, NULL };
		char psf[4200];

		snprintf(psf, sizeof psf, "%s/store.psf", dir);
		exp[7] = psf;
		run(init, 0);
		run(imp, 0);
		run(exp, 0);
		run(comp, 0);
		printf("psctl vm set vs fdtput, %u VMs, in %s\n", NVMS, dir);
		printf("  PSF store (psctl import of a generated text store)"
		       "  %7ld bytes\n", file_size(psf));
		printf("  DTB (dtc of a generated .dts, same VMs and fields)"
		       "  %7ld bytes\n", file_size(dtb));
	}
	for (i = 0; i < NVMS; i++)
		cur[i] = 4096;

	for (k = 0; k < NCMD; k++) {
		wall[k] = calloc(n, sizeof(double));
		cpu[k] = calloc(n, sizeof(double));
		flt[k] = calloc(n, sizeof(double));
		if (!wall[k] || !cpu[k] || !flt[k])
			die("%s", "out of memory");
	}
	for (i = 0; i < warm + n; i++) {
		unsigned v = (unsigned)(rnd() % NVMS), j;
		unsigned w = (unsigned)(rnd() % NVMS);
		unsigned m = cur[v] == 4096 ? 8192 : 4096;   /* MiB */
		unsigned mw;
		char *ps[] = { (char *)psctl, "-q", "--commit", "fast", "-i",
			       img, "vm", "set", vm, "--memory", mem, NULL };
		char *po[] = { (char *)psctl, "-q", "--commit", "ordered",
			       "-i", img, "vm", "set", vmw, "--memory", memw,
			       NULL };
		char *fp[] = { "fdtput", "-t", "u", dtb, path, "memory-kib",
			       kib, NULL };
		char *const *cmd[NCMD] = { ps, po, fp, NULL };
		double x[NCMD], xc[NCMD], xf[NCMD];

		cur[v] = m;
		if (w == v)
			w = (w + 1) % NVMS;
		mw = cur[w] == 4096 ? 8192 : 4096;
		cur[w] = mw;
		snprintf(vm, sizeof vm, "vm%04u", v);
		snprintf(mem, sizeof mem, "%uMiB", m);
		snprintf(vmw, sizeof vmw, "vm%04u", w);
		snprintf(memw, sizeof memw, "%uMiB", mw);
		snprintf(path, sizeof path, "/vms/vm%04u", v);
		snprintf(kib, sizeof kib, "%u", m * 1024u);
		/* Take turns going first, so none always runs on a cache
		 * another one just warmed. */
		for (j = 0; j < 3; j++) {
			k = (i + j) % 3;
			x[k] = run(cmd[k], 0);
			xc[k] = last_cpu_us, xf[k] = last_faults;
			if (k == 2) {   /* fdtput's file, made durable */
				x[3] = x[2] + sync_us(dtb);
				xc[3] = xc[2], xf[3] = xf[2];
			}
		}
		if (i >= warm)
			for (k = 0; k < NCMD; k++) {
				wall[k][i - warm] = x[k];
				cpu[k][i - warm] = xc[k];
				flt[k][i - warm] = xf[k];
			}
	}
	{
		/* Both edits landed: the last VM set reads back the same. */
		char *chk[] = { (char *)psctl, "-q", "-i", img, "check", NULL };

		run(chk, 0);
	}
	report(wall, cpu, flt, n, warm);
	for (k = 0; k < NCMD; k++) {
		free(wall[k]);
		free(cpu[k]);
		free(flt[k]);
	}
	if (own) {
		/* A directory of our own: leave nothing behind. */
		static const char *const files[] = { "store.txt", "store.img",
						     "store.psf", "vms.dts",
						     "vms.dtb", NULL };
		const char *const *fn;
		char p[4300];

		for (fn = files; *fn; fn++) {
			snprintf(p, sizeof p, "%s/%s", dir, *fn);
			unlink(p);
		}
		rmdir(dir);
	}
	return 0;
}
