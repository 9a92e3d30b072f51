/*
 * console_procs.h - the processes of the console benchmark
 * (bench_console.c): spawning and ending children, their CPU time and
 * memory (/proc), the two services (pscon on a store of N serial ports;
 * conserver with N `uds` consoles, each in a private directory with its
 * own process group) with this program as every port's guest, and the
 * viewers (the real clients) whose output it counts.  Header only
 * (static), included once: the includer defines MAXV and pscon_bin /
 * psctl_bin.
 */
#ifndef CONSOLE_PROCS_H
#define CONSOLE_PROCS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ util */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cleanup(void);

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_console: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Children to end at exit: process groups (services) and single pids. */
static pid_t kids[4 * MAXV];
static unsigned nkids;

static void reap(pid_t pid, int group)
{
	int i, st;

	kill(group ? -pid : pid, SIGTERM);
	for (i = 0; i < 300; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(10000);
	}
	kill(group ? -pid : pid, SIGKILL); /* what a service left behind */
	waitpid(pid, &st, WNOHANG);
}

static void forget(pid_t pid)
{
	unsigned i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == pid || kids[i] == -pid)
			kids[i] = 0;
}

static void cleanup(void)
{
	unsigned i;

	for (i = 0; i < nkids; i++)
		if (kids[i])
			reap(kids[i] < 0 ? -kids[i] : kids[i], kids[i] < 0);
	nkids = 0;
}

static void on_signal(int sig)
{
	(void)sig;
	exit(2); /* runs cleanup */
}

/* argv with stdin/stdout/stderr from in/out/err (-1: /dev/null); a new
 * process group when group. */
static pid_t spawn(char *const argv[], int in, int out, const char *err,
		   int group)
{
	pid_t pid = fork();
	unsigned i;
	int fd;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		fd = open("/dev/null", O_RDWR);
		dup2(in >= 0 ? in : fd, 0);
		dup2(out >= 0 ? out : fd, 1);
		if (err) {
			int e = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
			dup2(e >= 0 ? e : fd, 2);
		} else {
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (group)
		setpgid(pid, pid);
	for (i = 0; i < nkids && kids[i]; i++) /* a slot forget() freed */
		;
	if (i == nkids && nkids == sizeof kids / sizeof kids[0])
		die("more than %u children at once", nkids);
	kids[i] = group ? -pid : pid;
	if (i == nkids)
		nkids++;
	return pid;
}

/* Runs argv to its end with stdin from text; non-zero exit stops. */
static void run(char *const argv[], const char *text)
{
	int p[2], st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = spawn(argv, p[0], -1, "/dev/stderr", 0);
	close(p[0]);
	if (text && write(p[1], text, strlen(text)) < 0)
		die("%s: %s", argv[0], strerror(errno));
	close(p[1]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("%s %s failed", argv[0], argv[1]);
	forget(pid);
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int unix_sock(const char *path, int listening)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (s < 0)
		return -1;
	if (listening ? bind(s, (struct sockaddr *)&a, sizeof a) ||
			listen(s, 4)
		      : connect(s, (struct sockaddr *)&a, sizeof a)) {
		close(s);
		return -1;
	}
	return s;
}

static int free_tcp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
	    getsockname(s, (struct sockaddr *)&a, &l))
		die("a free TCP port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* Writes all of b (blocking fd). */
static void put(int fd, const void *b, size_t n)
{
	const uint8_t *p = b;
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* CPU time (user + system, seconds) of process pid, or of every process
 * of process group pg when pid is 0; with rss/pss, their memory (KiB). */
static double proc_sum(pid_t pid, pid_t pg, long *rss, long *pss)
{
	DIR *d = pid ? NULL : opendir("/proc");
	struct dirent *e = NULL;
	char path[64], line[1024];
	double cpu = 0;
	long tick = sysconf(_SC_CLK_TCK);

	if (rss)
		*rss = *pss = 0;
	while (pid || (d && (e = readdir(d)))) {
		FILE *f;
		int p = pid ? pid : atoi(e->d_name), pgrp = 0;
		unsigned long ut = 0, st = 0;

		if (p <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", p);
		if ((f = fopen(path, "r"))) {
			if (!fgets(line, sizeof line, f) ||
			    sscanf(strrchr(line, ')') + 2, "%*c %*d %d %*d "
				   "%*d %*d %*u %*u %*u %*u %*u %lu %lu",
				   &pgrp, &ut, &st) != 3)
				pgrp = 0;
			fclose(f);
		}
		if (pid || pgrp == pg)
			cpu += (double)(ut + st) / (double)tick;
		if (rss && pgrp == pg) {
			snprintf(path, sizeof path, "/proc/%d/smaps_rollup", p);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof line, f)) {
				long v;

				if (sscanf(line, "Rss: %ld", &v) == 1)
					*rss += v;
				else if (sscanf(line, "Pss: %ld", &v) == 1)
					*pss += v;
			}
			if (f)
				fclose(f);
		}
		if (pid)
			break;
	}
	if (d)
		closedir(d);
	return cpu;
}

static void mem_of(pid_t pg, long *rss, long *pss)
{
	proc_sum(0, pg, rss, pss);
}

/* ------------------------------------------------------------ services */

struct srv {
	const char *name;
	int conserver;
	char dir[256], sock[300];
	pid_t pid;                      /* also the process group     */
	unsigned nports;
	int *guest;                     /* per port, connected        */
	int tcp;                        /* conserver's port           */
	char tcp_s[16];
};

static void mkdirs(struct srv *s)
{
	const char *tmp = getenv("TMPDIR");
	char d[300];

	snprintf(s->dir, sizeof s->dir, "%s/bench-console.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(d, sizeof d, "%s/logs", s->dir);
	mkdir(d, 0700);
}

/* A store with n serial ports mapped to concentrator ports 1..n (16 per
 * VM), through psctl's shell; then pscon on it. */
static void start_pscon(struct srv *s, unsigned n)
{
	char img[300], run_dir[300], logs[300], line[340], path[340];
	char *text = malloc(64u * (n / 16u + 2u));
	unsigned v, k, left = n;
	double t0;
	size_t o = 0;

	snprintf(img, sizeof img, "%s/store.img", s->dir);
	snprintf(run_dir, sizeof run_dir, "%s/run", s->dir);
	snprintf(logs, sizeof logs, "%s/logs", s->dir);
	snprintf(s->sock, sizeof s->sock, "%s/c.sock", s->dir);
	run((char *[]){ (char *)psctl_bin, "-q", "-i", img, "init", NULL },
	    NULL);
	for (v = 1; left; v++) {
		k = left < 16 ? left : 16;
		o += (size_t)sprintf(text + o, "vm create vm%u\nserial allocate"
				     " vm%u %u --%s vm%u\n", v, v, k, k > 1
				     ? "hostname-base" : "hostnames", v);
		left -= k;
	}
	run((char *[]){ (char *)psctl_bin, "-q", "-i", img, "shell", NULL },
	    text);
	free(text);
	snprintf(path, sizeof path, "%s/svc.log", s->dir);
	s->pid = spawn((char *[]){ (char *)pscon_bin, "--run-dir", run_dir,
				   "--socket", s->sock, "--log-dir", logs,
				   "--store", img, NULL }, -1, -1, path, 1);
	for (k = 1; k <= n; k++) {
		snprintf(line, sizeof line, "%s/port-%u", run_dir, k);
		for (t0 = now(); (s->guest[k - 1] = unix_sock(line, 0)) < 0;
		     usleep(5000))
			if (now() - t0 > 60)
				die("pscon: no port %s (%s)", line, path);
	}
}

/* A configuration of n `uds` consoles c1..cn whose sockets the benchmark
 * listens on; then conserver, and the guests it connects to. */
static void start_conserver(struct srv *s, unsigned n)
{
	char cf[300], pw[300], log[300], path[340];
	int *lis = calloc(n, sizeof *lis);
	unsigned k, got = 0;
	FILE *f;
	double t0;

	snprintf(cf, sizeof cf, "%s/conserver.cf", s->dir);
	snprintf(pw, sizeof pw, "%s/conserver.passwd", s->dir);
	snprintf(log, sizeof log, "%s/svc.log", s->dir);
	f = fopen(pw, "w");
	if (!f || fclose(f) || !(f = fopen(cf, "w")))
		die("%s: %s", cf, strerror(errno));
	fprintf(f, "default full { rw *; }\n"
		"default * { logfile %s/logs/&.log; include full; "
		"master 127.0.0.1; }\n"
		"access * { trusted 127.0.0.1; }\n", s->dir);
	for (k = 1; k <= n; k++) {
		snprintf(path, sizeof path, "%s/g%u.sock", s->dir, k);
		if ((lis[k - 1] = unix_sock(path, 1)) < 0)
			die("%s: %s", path, strerror(errno));
		fprintf(f, "console c%u { type uds; uds %s; }\n", k, path);
	}
	if (fclose(f))
		die("%s: %s", cf, strerror(errno));
	s->tcp = free_tcp_port();
	snprintf(s->tcp_s, sizeof s->tcp_s, "%d", s->tcp);
	s->pid = spawn((char *[]){ "conserver", "-C", cf, "-p", s->tcp_s,
				   "-M", "127.0.0.1", "-E", "-P", pw, "-a",
				   "t", NULL }, -1, -1, log, 1);
	for (t0 = now(); got < n; ) {
		struct pollfd pf = { lis[got], POLLIN, 0 };

		if (now() - t0 > 60)
			die("conserver: %u of %u consoles connected (%s)", got,
			    n, log);
		if (poll(&pf, 1, 100) == 1) {
			s->guest[got] = accept4(lis[got], NULL, NULL,
						SOCK_CLOEXEC);
			close(lis[got++]);
		}
	}
	free(lis);
	/* The clients ask the master process: wait until it answers. */
	for (t0 = now();; usleep(10000)) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)s->tcp),
					 .sin_addr.s_addr =
						 htonl(INADDR_LOOPBACK) };
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (!connect(c, (struct sockaddr *)&a, sizeof a)) {
			close(c);
			break;
		}
		close(c);
		if (now() - t0 > 30)
			die("conserver: port %d never answered", s->tcp);
	}
}

static void srv_start(struct srv *s, unsigned n)
{
	s->nports = n;
	s->guest = calloc(n, sizeof *s->guest);
	mkdirs(s);
	if (s->conserver)
		start_conserver(s, n);
	else
		start_pscon(s, n);
}

static void srv_stop(struct srv *s)
{
	unsigned k;
	char cmd[400];

	for (k = 0; k < s->nports; k++)
		close(s->guest[k]);
	free(s->guest);
	reap(s->pid, 1);
	forget(s->pid);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
	if (system(cmd))
		fprintf(stderr, "bench_console: %s left behind\n", s->dir);
}

/* ------------------------------------------------------------ viewers */

struct viewer {
	pid_t pid;
	int in, out;
	uint64_t bytes;
	unsigned mst;           /* marker bytes matched so far */
	int seen;               /* the marker was seen         */
	double when;
	double cpu0;            /* its CPU seconds at the start */
};

/* A client on port k (1-based): spy or read-write. */
static void viewer_start(struct srv *s, struct viewer *v, unsigned k,
			 int spy, unsigned idx)
{
	char port[16], err[340];
	int pin[2], pout[2];

	snprintf(port, sizeof port, s->conserver ? "c%u" : "%u", k);
	snprintf(err, sizeof err, "%s/viewer%u.err", s->dir, idx);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	if (s->conserver)
		v->pid = spawn((char *[]){ "console", "-n", "-E", "-M",
					   "127.0.0.1", "-p", s->tcp_s, "-l",
					   "root", spy ? "-s" : "-f", port,
					   NULL }, pin[0], pout[1], err, 0);
	else
		v->pid = spawn((char *[]){ (char *)psctl_bin, "console",
					   "--socket", s->sock, port,
					   spy ? "--spy" : NULL, NULL },
			       pin[0], pout[1], err, 0);
	close(pin[0]);
	close(pout[1]);
	v->in = pin[1];
	v->out = pout[0];
	nonblock(v->out);
	v->bytes = 0;
	v->mst = 0;
	v->seen = 0;
}

static void viewer_stop(struct viewer *v)
{
	close(v->in);
	close(v->out);
	reap(v->pid, 0);
	forget(v->pid);
}

/* Counts and scans what viewer v printed for marker m (its first byte
 * appears nowhere else in it, so a mismatch restarts the match). */
static void viewer_drain(struct viewer *v, const char *m)
{
	static uint8_t b[1u << 18];
	size_t ml = strlen(m), i;
	ssize_t r;

	while ((r = read(v->out, b, sizeof b)) > 0) {
		v->bytes += (uint64_t)r;
		for (i = 0; i < (size_t)r && !v->seen; i++) {
			if (b[i] == (uint8_t)m[v->mst])
				v->mst++;
			else
				v->mst = b[i] == (uint8_t)m[0];
			if (v->mst == ml) {
				v->seen = 1;
				v->when = now();
			}
		}
	}
}

/* Waits until every viewer saw marker m, the guest repeating it every
 * 100 ms (conserver replays nothing on attach: a client that attaches
 * late sees only what comes after). */
static void sync_viewers(struct srv *s, struct viewer *v, unsigned nv,
			 int guest, const char *m)
{
	double t0 = now(), last = 0;
	unsigned i, ok;
	char line[64];
	uint8_t sink[4096];

	for (i = 0; i < nv; i++)
		v[i].seen = 0, v[i].mst = 0;
	for (;;) {
		for (i = 0, ok = 0; i < nv; i++) {
			viewer_drain(&v[i], m);
			ok += (unsigned)v[i].seen;
		}
		if (ok == nv)
			return;
		if (now() - last > 0.1) {
			snprintf(line, sizeof line, "%s\r\n", m);
			put(guest, line, strlen(line));
			last = now();
		}
		while (recv(guest, sink, sizeof sink, MSG_DONTWAIT) > 0)
			;
		if (now() - t0 > 60)
			die("%s: %u of %u viewers attached (%s/viewer*.err)",
			    s->name, ok, nv, s->dir);
		usleep(2000);
	}
}

#endif /* CONSOLE_PROCS_H */
