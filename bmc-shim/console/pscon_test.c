/*
 * pscon_test.c - the e2e tests' driver for pscon (tests/e2e/
 * test_console_*.sh): the VM side of a port and misbehaving clients.
 *
 *   pscon-test guest SOCK OUT     connect to a port as the guest: stdin
 *                                 to the port, the port's input to OUT
 *   pscon-test flood SOCK BYTES   write BYTES of output as fast as the
 *                                 port takes them; prints the seconds
 *   pscon-test stuck CSOCK TARGET SECS  hello + attach read-write, read
 *                                 nothing for SECS s, then count what
 *                                 comes: "skip N" lines, "data BYTES"
 *   pscon-test raw CSOCK HEX      send these bytes (after a hello when HEX
 *                                 does not start with "--"), print each
 *                                 reply frame as "TYPE CODE text" for 1 s
 *   pscon-test counter SOCK MS SENT IN   a guest: "counter N T\n" every
 *                                 MS ms (T: CLOCK_MONOTONIC ns), a copy
 *                                 of each to SENT; the port's input to IN;
 *                                 "PORT CLOSED" into IN if it ever closes
 *   pscon-test shell SOCK USER PASS   a guest's serial shell: a login
 *                                 prompt on the port, then /bin/sh on a
 *                                 pseudo-terminal (echo, CR LF: a tty)
 *   pscon-test oldsvc CSOCK       a service of protocol version 1 only (as
 *                                 the first release): refuses HELLO 2,
 *                                 lists port 7001 "web01-con", answers a v1
 *                                 ATTACH with "hello from a v1 service",
 *                                 then ends
 *   pscon-test mig ...            a live migration's handover played
 *                                 against pscon (pscon_mig.c)
 *   pscon-test stamp              each stdin line with its arrival time
 *                                 (ms, CLOCK_MONOTONIC) first
 *   pscon-test lat                read counter lines on stdin; per line
 *                                 "N MS" (its delay from the guest's
 *                                 write), at the end "lines L max MS"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "con_proto.h"

static int dial(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, tries;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	for (tries = 0; tries < 100; tries++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (!connect(fd, (struct sockaddr *)&a, sizeof a))
			return fd;
		close(fd);
		usleep(50000);
	}
	fprintf(stderr, "pscon-test: %s: %s\n", path, strerror(errno));
	exit(1);
}

static void put(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n) {
		w = write(fd, b, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			exit(1);
		}
		b += w;
		n -= (size_t)w;
	}
}

static void frame(int fd, uint8_t type, const void *p, size_t n)
{
	uint8_t h[CON_HDR];

	con_frame_hdr(h, type, n);
	put(fd, h, sizeof h);
	put(fd, p, n);
}

static int guest(const char *sock, const char *out)
{
	int fd = dial(sock);
	FILE *o = fopen(out, "a");
	struct pollfd pf[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
	char b[4096];
	ssize_t r;

	if (!o)
		return 1;
	for (;;) {
		if (poll(pf, 2, -1) < 0)
			continue;
		if (pf[0].revents) {
			r = read(0, b, sizeof b);
			if (r > 0)
				put(fd, b, (size_t)r);
			else
				pf[0].fd = -1;
		}
		if (pf[1].revents) {
			r = read(fd, b, sizeof b);
			if (r <= 0)
				return 0;
			fwrite(b, 1, (size_t)r, o);
			fflush(o);
		}
	}
}

static int flood(const char *sock, long long bytes)
{
	int fd = dial(sock);
	char b[16384];
	struct timespec t0, t1;
	long long left = bytes;
	size_t i;

	for (i = 0; i < sizeof b; i++)
		b[i] = (char)('a' + i % 26);
	b[sizeof b - 1] = '\n';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		size_t n = left < (long long)sizeof b ? (size_t)left : sizeof b;

		put(fd, b, n);
		left -= (long long)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.3f\n", (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	close(fd);
	return 0;
}

/* Attaches, reads nothing for secs seconds, then reads for a second
 * and prints "skip COUNT" per skip marker and "data BYTES" in all. */
static int stuck(const char *sock, const char *target, int secs)
{
	int fd = dial(sock), small = 4096, k;
	uint8_t v = 1 /* an older client: v1 */, a[CON_NAME_MAX + 1];
	static uint8_t b[4 * (CON_HDR + CON_PAYLOAD_MAX)];
	size_t n = strlen(target), len = 0;
	unsigned long long data = 0;
	struct pollfd pf = { fd, POLLIN, 0 };
	struct con_frame f;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	frame(fd, CON_HELLO, &v, 1);
	a[0] = CON_RW;
	memcpy(a + 1, target, n);
	frame(fd, CON_ATTACH, a, n + 1);
	printf("stuck\n");
	fflush(stdout);
	sleep((unsigned)secs);
	while (poll(&pf, 1, 1000) > 0) {
		r = read(fd, b + len, sizeof b - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		while ((k = con_frame_parse(b, len, 0, &f)) > 0) {
			if (f.type == CON_R_SKIP && f.len == 16)
				printf("skip %llu\n", (unsigned long long)
				       con_get64(f.p + 8));
			if (f.type == CON_R_DATA && f.len >= 8)
				data += f.len - 8u;
			memmove(b, b + k, len - (size_t)k);
			len -= (size_t)k;
		}
	}
	printf("data %llu\n", data);
	return 0;
}

static int raw(const char *sock, const char *hex)
{
	int fd = dial(sock);
	uint8_t v = 1 /* an older client: v1 */, b[CON_HDR + CON_PAYLOAD_MAX + 64];
	size_t n = 0, len = 0;
	struct con_frame f;
	struct pollfd pf = { fd, POLLIN, 0 };
	ssize_t r;
	int k;

	if (strncmp(hex, "--", 2))
		frame(fd, CON_HELLO, &v, 1);
	else
		hex += 2;
	while (hex[0] && hex[1] && n < sizeof b) {
		unsigned x;

		if (sscanf(hex, "%2x", &x) != 1)
			return 2;
		b[n++] = (uint8_t)x;
		hex += 2;
	}
	put(fd, b, n);
	while (poll(&pf, 1, 1000) > 0) {
		r = read(fd, b + len, sizeof b - len);
		if (r <= 0) {
			printf("closed\n");
			break;
		}
		len += (size_t)r;
		while ((k = con_frame_parse(b, len, 0, &f)) > 0) {
			if (f.type == CON_R_ERROR && f.len >= 2)
				printf("error %s %.*s\n", con_err_name(f.p[1]),
				       (int)f.len - 2, (const char *)f.p + 2);
			else
				printf("frame %02x %u\n", f.type, f.len);
			memmove(b, b + k, len - (size_t)k);
			len -= (size_t)k;
		}
		if (k < 0) {
			printf("bad frame\n");
			return 1;
		}
	}
	fflush(stdout);
	return 0;
}

static volatile sig_atomic_t stop_counter;

static void on_term(int sig)
{
	(void)sig;
	stop_counter = 1;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The guest stand-in of tests/e2e/test_console_restart.sh. */
static int counter(const char *sock, int ms, const char *sent,
		   const char *in)
{
	int fd = dial(sock);
	FILE *so = fopen(sent, "w"), *io = fopen(in, "a");
	struct pollfd pf = { fd, POLLIN, 0 };
	long long next = now_ns();
	unsigned n = 0;
	char b[4096];
	ssize_t r;
	int len;

	if (!so || !io)
		return 1;
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	while (!stop_counter) {
		long long wait = (next - now_ns()) / 1000000;

		if (poll(&pf, 1, wait > 0 ? (int)wait : 0) > 0) {
			r = read(fd, b, sizeof b);
			if (r <= 0) {
				fputs("PORT CLOSED\n", io);
				fclose(io);
				return 1;
			}
			fwrite(b, 1, (size_t)r, io);
			fflush(io);
			continue;
		}
		if (now_ns() < next)
			continue;
		len = snprintf(b, sizeof b, "counter %06u %lld\n", n++,
			       now_ns());
		if (write(fd, b, (size_t)len) != len) {
			fputs("PORT CLOSED\n", io);
			fclose(io);
			return 1;
		}
		fwrite(b, 1, (size_t)len, so);
		fflush(so);
		next += (long long)ms * 1000000LL;
	}
	fclose(so);
	fclose(io);
	return 0;
}

/* One line typed on the port (echoed when echo), CR or LF ends it;
 * 1 for an empty line. */
static int read_line(int fd, char *out, size_t n, int echo)
{
	size_t o = 0;
	char ch;

	for (;;) {
		if (read(fd, &ch, 1) != 1)
			return -1;
		if (ch == '\r' || ch == '\n') {
			put(fd, "\r\n", 2);
			out[o] = 0;
			return o == 0;
		}
		if (o + 1 < n)
			out[o++] = ch;
		if (echo)
			put(fd, &ch, 1);
	}
}

/* The guest stand-in of tests/e2e/test_console_exec.sh. */
static int shell(const char *sock, const char *user, const char *pass)
{
	int fd = dial(sock), m, pid;
	char u[128], p[128], b[4096];
	struct pollfd pf[2];
	ssize_t r;

	for (;;) { /* as a getty: an empty line prompts again */
		put(fd, "\r\nguest login: ", 15);
		if ((r = read_line(fd, u, sizeof u, 1)) < 0)
			return 1;
		if (r)
			continue;
		put(fd, "Password: ", 10);
		if (read_line(fd, p, sizeof p, 0) < 0)
			return 1;
		if (!strcmp(u, user) && !strcmp(p, pass))
			break;
		put(fd, "Login incorrect\r\n", 17);
	}
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		return 1;
	pid = fork();
	if (pid == 0) {
		int sl;

		setsid();
		sl = open(ptsname(m), O_RDWR);
		if (sl < 0)
			_exit(127);
		dup2(sl, 0);
		dup2(sl, 1);
		dup2(sl, 2);
		close(m);
		close(fd);
		setenv("PS1", "# ", 1);
		execl("/bin/sh", "sh", "-i", (char *)NULL);
		_exit(127);
	}
	pf[0] = (struct pollfd){ fd, POLLIN, 0 };
	pf[1] = (struct pollfd){ m, POLLIN, 0 };
	while (poll(pf, 2, -1) >= 0) {
		if (pf[0].revents) {
			r = read(fd, b, sizeof b);
			if (r <= 0)
				break;
			put(m, b, (size_t)r);
		}
		if (pf[1].revents) {
			r = read(m, b, sizeof b);
			if (r <= 0)
				break;
			put(fd, b, (size_t)r);
		}
	}
	kill(pid, SIGKILL);
	return 0;
}

/* One frame of a client on fd (blocking); -1 at its end. */
static int client_frame(int fd, uint8_t *b, size_t *len, struct con_frame *f)
{
	ssize_t r;
	int k;

	while ((k = con_frame_parse(b, *len, 1, f)) == 0) {
		r = read(fd, b + *len, CON_HDR + CON_PAYLOAD_MAX - *len);
		if (r <= 0)
			return -1;
		*len += (size_t)r;
	}
	return k;
}

static int oldsvc(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static uint8_t b[CON_HDR + CON_PAYLOAD_MAX], o[CON_PAYLOAD_MAX];
	struct con_port_info pi = { .conc = 7001, .guest = 1,
				    .writer = CON_NOBODY };
	struct con_attach_ok ok = { .conc = 7001, .guest = 1, .total = 22 };
	struct con_frame f;
	size_t len = 0;
	int l = socket(AF_UNIX, SOCK_STREAM, 0), fd, k;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4))
		return 1;
	strcpy(pi.host, "web01-con");
	strcpy(pi.vm, "web01");
	fd = accept(l, NULL, NULL);
	while ((k = client_frame(fd, b, &len, &f)) > 0) {
		uint8_t t = f.type;

		if (t == CON_HELLO && f.p[0] != 1) {
			uint8_t e[2] = { CON_HELLO, CON_E_VERSION };

			frame(fd, CON_R_ERROR, e, 2); /* (text left out) */
		} else if (t == CON_HELLO) {
			uint8_t r[6] = { 1, 0, 0, 0, 0, CON_ROLE_ADMIN };

			frame(fd, CON_R_HELLO, r, sizeof r);
		} else if (t == CON_LIST) {
			frame(fd, CON_R_PORT, o, con_encode_port(&pi, o));
			frame(fd, CON_R_END, &t, 1);
		} else if (t == CON_ATTACH && f.len == 5 &&
			   !memcmp(f.p + 1, "7001", 4)) { /* v1: [how][target] */
			frame(fd, CON_R_OK, o, con_encode_attach_ok(&ok, 1, o));
			memset(o, 0, 8);
			memcpy(o + 8, "hello from a v1 service\n", 24);
			frame(fd, CON_R_DATA, o, 32);
			return 0; /* and goes: a v1 client does not come back */
		} else if (t != CON_DETACH) {
			uint8_t e[2] = { t, CON_E_PROTO };

			frame(fd, CON_R_ERROR, e, 2);
		}
		memmove(b, b + k, len - (size_t)k);
		len -= (size_t)k;
	}
	return 0;
}

/* Delivery delay of counter lines read on stdin (through a viewer). */
static int lat(void)
{
	char line[256];
	unsigned long long lines = 0, k;
	long long t, max = 0, d;

	while (fgets(line, sizeof line, stdin)) {
		if (sscanf(line, "counter %llu %lld", &k, &t) != 2)
			continue;
		lines++;
		d = (now_ns() - t) / 1000000;
		printf("%llu %lld\n", k, d);
		if (d > max)
			max = d;
		fflush(stdout);
	}
	printf("lines %llu max %lld\n", lines, max);
	return 0;
}

/* Each line of stdin with its arrival (CLOCK_MONOTONIC ms) first. */
static int stamp(void)
{
	char line[512];

	while (fgets(line, sizeof line, stdin)) {
		printf("%lld %s", now_ns() / 1000000, line);
		fflush(stdout);
	}
	return 0;
}

int pscon_mig_main(int argc, char **argv); /* pscon_mig.c */

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "mig"))
		return pscon_mig_main(argc, argv);
	if (argc == 6 && !strcmp(argv[1], "counter"))
		return counter(argv[2], atoi(argv[3]), argv[4], argv[5]);
	if (argc == 5 && !strcmp(argv[1], "shell"))
		return shell(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "oldsvc"))
		return oldsvc(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "stamp"))
		return stamp();
	if (argc == 2 && !strcmp(argv[1], "lat"))
		return lat();
	if (argc == 4 && !strcmp(argv[1], "guest"))
		return guest(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(argv[2], atoll(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "stuck"))
		return stuck(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "raw"))
		return raw(argv[2], argv[3]);
	fprintf(stderr, "usage: pscon-test guest|flood|stuck|raw ...\n");
	return 2;
}
