/*
 * pscon_mig.c - pscon-test's live-migration player (tests/e2e/
 * test_console_migrate.sh): one process plays the source's QEMU, the
 * destination's QEMU, the hvagents and a user typing, against a real
 * pscon, on a timeline that follows libvirt's (docs/console.md "Live
 * migration"):
 *
 *   t=0     source connects, writes "counter N T" every 2 ms, reads input
 *   100 ms  destination connects (libvirt starts its QEMU, paused)
 *   150 ms  BEGIN (destination hvagent: "started migrated") -> token
 *   300 ms  source pauses (no output, no input read); PAUSED
 *   350 ms  destination resumes (counter goes on); RESUMED with the token
 *   400 ms  source exits (its connection closes)
 *   600 ms  the end
 *
 *   pscon-test mig CSOCK PORTSOCK TARGET SCENARIO SENT IN TYPED
 *
 * SCENARIO: ok; abort (ABORT instead of the resume: the destination
 * ends, the source resumes); badtoken (RESUMED with a wrong token first:
 * refused); nobegin (the destination's hvagent is down from the start:
 * no BEGIN, no RESUMED; the source's PAUSED begins); kill-WHO-STEP, WHO hvagent|source|dest, STEP begin|paused|
 * resumed: WHO dies right after STEP (its fds closed, as the kernel does;
 * kill-both-begin: both QEMUs at once, one epoll batch for the service)
 * and the rest of the timeline goes as libvirt would; restart-SIG-STEP,
 * SIG usr2|kill, STEP begin|paused: pscon itself is restarted right after
 * STEP (SIGUSR2, or SIGKILL of the worker under pscon --hold: the pid in
 * $PSCON_MIG_PID), and the user and the hvagent connect again when their
 * sessions end (the user sending its input again from offset 0: the
 * service drops what it has).  Counter lines go
 * to SENT as written, the input the guest read (source and destination)
 * to IN, the bytes typed to TYPED.  Replies to the hvagent's requests on
 * stdout ("begin ok", "resumed error 11 ..."), and "source-unread N": the
 * input bytes left unread in the source's socket when it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "con_proto.h"

int pscon_mig_main(int argc, char **argv);

static long long ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int dial1(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
		fprintf(stderr, "pscon-test mig: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	return fd;
}

static void send_frame(int fd, uint8_t type, const void *p, size_t n)
{
	if (con_frame_send(fd, type, p, n))
		exit(1);
}

/* The next reply frame of type want (others skipped) into f/buf. */
static int reply(int fd, uint8_t *buf, size_t *have, struct con_frame *f)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int k;
	ssize_t r;

	for (;;) {
		k = con_frame_parse(buf, *have, 0, f);
		if (k > 0) {
			static uint8_t copy[CON_HDR + CON_PAYLOAD_MAX];

			memcpy(copy, buf, (size_t)k);
			memmove(buf, buf + k, *have - (size_t)k);
			*have -= (size_t)k;
			f->p = copy + CON_HDR;
			return 0;
		}
		if (k < 0 || poll(&p, 1, 5000) != 1) /* (a restart's time) */
			return -1;
		r = read(fd, buf + *have, CON_HDR + CON_PAYLOAD_MAX - *have);
		if (r <= 0)
			return -1;
		*have += (size_t)r;
	}
}

struct mig {
	int src, dst, ctl, user;
	int src_run, dst_run;       /* writing counters, reading input */
	unsigned n;                 /* the VM's counter                */
	FILE *sent, *in, *typed;
	uint8_t token[CON_TOKEN_LEN];
	const char *target;
	uint8_t ubuf[CON_HDR + CON_PAYLOAD_MAX], cbuf[CON_HDR + CON_PAYLOAD_MAX];
	size_t uhave, chave;
	uint64_t typed_off;
	const char *csock;          /* the service's client socket      */
	uint64_t stream;            /* the user's input stream          */
	char all[65536];            /* every byte typed (a resend)      */
};

/* The typing user's session: HELLO 2, ATTACH read-write with its stream
 * (the port remembers a stream's offset across sessions and restarts),
 * then everything typed so far again from offset 0: the service drops
 * the bytes it has and writes the rest once. */
static void user_connect(struct mig *m)
{
	uint8_t b[CON_ATTACH_V2 + CON_NAME_MAX], in[8 + 8000];
	struct con_attach a = { .how = CON_RW, .stream = m->stream };
	uint64_t off;

	m->user = dial1(m->csock);
	m->uhave = 0;
	send_frame(m->user, CON_HELLO, (uint8_t[]){ 2 }, 1);
	snprintf(a.target, sizeof a.target, "%s", m->target);
	send_frame(m->user, CON_ATTACH, b, con_encode_attach(&a, 2, b));
	for (off = 0; off < m->typed_off; ) {
		size_t n = m->typed_off - off < 8000 ? m->typed_off - off : 8000;

		con_put64(in, off);
		memcpy(in + 8, m->all + off, n);
		send_frame(m->user, CON_INPUT, in, 8 + n);
		off += n;
	}
}

/* The hvagent's session. */
static int ctl_connect(struct mig *m)
{
	struct con_frame f;

	m->ctl = dial1(m->csock);
	m->chave = 0;
	send_frame(m->ctl, CON_HELLO, (uint8_t[]){ 2 }, 1);
	return reply(m->ctl, m->cbuf, &m->chave, &f) || f.type != CON_R_HELLO;
}

/* An hvagent's request; prints "NAME ok" or "NAME error CODE TEXT". */
static void ask(struct mig *m, uint8_t op, const uint8_t *token,
		const char *name)
{
	struct con_migrate r = { .op = op };
	uint8_t b[CON_MIGRATE_HDR + CON_NAME_MAX];
	struct con_frame f;

	int again = 1;

	if (m->ctl < 0)
		return;
	if (token)
		memcpy(r.token, token, CON_TOKEN_LEN);
	snprintf(r.target, sizeof r.target, "%s", m->target);
	/* A session the service closed (its restart): connect again, once. */
	while (con_frame_send(m->ctl, CON_MIGRATE, b,
			      con_encode_migrate(&r, b)) && again--) {
		close(m->ctl);
		if (ctl_connect(m))
			break;
	}
	while (!reply(m->ctl, m->cbuf, &m->chave, &f)) {
		if (f.type == CON_R_OK && f.len == CON_MIGRATE_OK) {
			if (op == CON_MIG_BEGIN)
				memcpy(m->token, f.p + 4, CON_TOKEN_LEN);
			printf("%s ok\n", name);
			return;
		}
		if (f.type == CON_R_ERROR && f.len >= 2) {
			printf("%s error %u %.*s\n", name, f.p[1],
			       (int)f.len - 2, (const char *)f.p + 2);
			return;
		}
	}
	printf("%s no answer\n", name);
}

/* The running side writes the next counter line. */
static void tick(struct mig *m)
{
	char b[64];
	int fd = m->src_run ? m->src : m->dst_run ? m->dst : -1, len;

	if (fd < 0)
		return;
	len = snprintf(b, sizeof b, "counter %06u %lld\n", m->n++, ms_now());
	if (write(fd, b, (size_t)len) != len)
		return;
	fwrite(b, 1, (size_t)len, m->sent);
	fflush(m->sent);
}

/* The user types "in-N\n" (numbered input). */
static void type_line(struct mig *m, unsigned k)
{
	uint8_t b[64];
	int len = snprintf((char *)b + 8, sizeof b - 8, "in-%04u\n", k);

	con_put64(b, m->typed_off);
	if (m->typed_off + (size_t)len > sizeof m->all)
		return;
	memcpy(m->all + m->typed_off, b + 8, (size_t)len);
	/* Refused while the service restarts: sent again at the reconnect. */
	(void)con_frame_send(m->user, CON_INPUT, b, 8 + (size_t)len);
	fwrite(b + 8, 1, (size_t)len, m->typed);
	fflush(m->typed);
	m->typed_off += (uint64_t)len;
}

/* What fd has into to; -1 at its end. */
static int drain(int fd, FILE *to)
{
	char b[4096];
	ssize_t r;

	while ((r = recv(fd, b, sizeof b, MSG_DONTWAIT)) > 0)
		if (to) {
			fwrite(b, 1, (size_t)r, to);
			fflush(to);
		}
	return r == 0 ? -1 : 0;
}

/* The user's session ended (the service restarted): again. */
static void user_drain(struct mig *m)
{
	if (drain(m->user, NULL)) {     /* DATA, ACK: not needed here */
		close(m->user);
		user_connect(m);
	}
}

static void shut(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Wait until time `until`, ticking every 2 ms, typing every 7 ms. */
static void run_until(struct mig *m, long long t0, long long until)
{
	static unsigned k;
	long long next = ms_now();

	while (ms_now() - t0 < until) {
		if (ms_now() >= next) {
			tick(m);
			if (k % 4 == 0)
				type_line(m, k / 4);
			k++;
			next += 2;
		}
		if (m->src_run && m->src >= 0)
			drain(m->src, m->in);
		if (m->dst_run && m->dst >= 0)
			drain(m->dst, m->in);
		user_drain(m);
		usleep(500);
	}
}

/* The end: no more output or typing; what is in flight is read. */
static int finish(struct mig *m, long long t0)
{
	run_until(m, t0, 600);
	t0 = ms_now();
	while (ms_now() - t0 < 200) {
		if (m->src_run && m->src >= 0)
			drain(m->src, m->in);
		if (m->dst_run && m->dst >= 0)
			drain(m->dst, m->in);
		user_drain(m);
		usleep(1000);
	}
	return 0;
}

int pscon_mig_main(int argc, char **argv)
{
	struct mig m = { .src = -1, .dst = -1, .ctl = -1, .user = -1 };
	const char *sc;
	char who[16] = "", at[16] = "";
	uint8_t bad[CON_TOKEN_LEN];
	long long t0;
	int killing = 0, restart = 0, unread = 0;
	char sig[8] = "";
	const char *pid = getenv("PSCON_MIG_PID");

	if (argc != 9)
		return 2;
	m.target = argv[4];
	sc = argv[5];
	m.sent = fopen(argv[6], "w");
	m.in = fopen(argv[7], "w");
	m.typed = fopen(argv[8], "w");
	if (!m.sent || !m.in || !m.typed)
		return 1;
	if (sscanf(sc, "kill-%15[a-z]-%15[a-z]", who, at) == 2)
		killing = 1;
	if (sscanf(sc, "restart-%7[a-z0-9]-%15[a-z]", sig, at) == 2 && pid)
		restart = !strcmp(sig, "kill") ? SIGKILL : SIGUSR2;
#define KILLED(w, s) (killing && !strcmp(who, w) && !strcmp(at, s))
#define RESTART(s) do { if (restart && !strcmp(at, s)) \
		kill((pid_t)atol(pid), restart); } while (0)
	/* The typing user: HELLO 2, ATTACH read-write, a stream of its own
	 * (the port remembers a stream's offset across sessions). */
	m.stream = (uint64_t)getpid() << 16 | (uint64_t)(ms_now() & 0xffff);
	m.csock = argv[2];
	user_connect(&m);
	if (ctl_connect(&m))
		return 1;

	t0 = ms_now();
	m.src = dial1(argv[3]);
	m.src_run = 1;
	run_until(&m, t0, 100);
	m.dst = dial1(argv[3]);                 /* held, not read */
	run_until(&m, t0, 150);
	if (strcmp(sc, "nobegin"))              /* its hvagent is down */
		ask(&m, CON_MIG_BEGIN, NULL, "begin");
	RESTART("begin");
	if (KILLED("hvagent", "begin"))
		shut(&m.ctl);
	if (KILLED("both", "begin")) {          /* both QEMUs at once   */
		shut(&m.src);
		shut(&m.dst);
		m.src_run = 0;
		return finish(&m, t0);
	}
	if (KILLED("source", "begin")) {        /* the VM dies: so does */
		shut(&m.src);                   /* the migration        */
		m.src_run = 0;
		run_until(&m, t0, 200);
		shut(&m.dst);
		return finish(&m, t0);
	}
	if (KILLED("dest", "begin")) {          /* the migration fails  */
		shut(&m.dst);
		return finish(&m, t0);
	}
	run_until(&m, t0, 300);
	m.src_run = 0;                          /* the source pauses    */
	ask(&m, CON_MIG_PAUSED, NULL, "paused");
	RESTART("paused");
	if (KILLED("hvagent", "paused"))
		shut(&m.ctl);
	if (KILLED("source", "paused"))
		shut(&m.src);
	if (KILLED("dest", "paused") || !strcmp(sc, "abort")) {
		if (!strcmp(sc, "abort"))
			ask(&m, CON_MIG_ABORT, NULL, "abort");
		shut(&m.dst);                   /* the source resumes   */
		run_until(&m, t0, 350);
		ask(&m, CON_MIG_ABORT, NULL, "abort-source");
		m.src_run = m.src >= 0;
		return finish(&m, t0);
	}
	run_until(&m, t0, 350);
	m.dst_run = 1;                          /* the destination runs */
	if (!strcmp(sc, "badtoken")) {
		memcpy(bad, m.token, sizeof bad);
		bad[0] ^= 1;
		ask(&m, CON_MIG_RESUMED, bad, "resumed-badtoken");
	}
	if (strcmp(sc, "nobegin"))
		ask(&m, CON_MIG_RESUMED, m.token, "resumed");
	if (KILLED("hvagent", "resumed"))
		shut(&m.ctl);
	if (KILLED("dest", "resumed")) {
		shut(&m.dst);
		m.dst_run = 0;
	}
	run_until(&m, t0, 400);
	/* The source exits: input the service wrote to it that it never
	 * read (it paused) dies with it; said, so the test can tell it from
	 * input lost inside the service. */
	if (m.src >= 0 && !ioctl(m.src, FIONREAD, &unread))
		printf("source-unread %d\n", unread);
	shut(&m.src);
	return finish(&m, t0);
}
