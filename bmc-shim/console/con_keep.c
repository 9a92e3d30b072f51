/*
 * con_keep.c - what survives a restart of the console service
 * (docs/console.md, "Restarts"): each port's state and backlog in a memfd
 * (struct con_keep), and the file descriptors that must stay open - the
 * guest connections, the port and client listeners, the memfds - handed
 * to the next process: by re-exec (SIGUSR2, as virtlogd does), through
 * systemd's fd store (FDSTORE=1, FDPOLL=0; given back as LISTEN_FDS), or
 * through pscon --hold (con_hold.c), which speaks the same messages.
 */
#define _GNU_SOURCE /* memfd_create, getrandom */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"

/* ------------------------------------------------------------ handed fds */

/* Three fds a port (guest, listener, state memfd) and one a session: a
 * thousand ports pass the usual soft limit of 1024, so take the hard one. */
void con_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* LISTEN_FDS / LISTEN_FDNAMES from systemd, pscon --hold or our own
 * re-exec: fds 3.. with a name each. */
void con_fds_load(struct con_svc *s)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS"),
		   *names = getenv("LISTEN_FDNAMES");
	unsigned n, i;
	const char *at;

	s->hold_fd = -1;
	if (!pid || !nfds || strtol(pid, NULL, 10) != (long)getpid())
		goto out;
	n = (unsigned)strtoul(nfds, NULL, 10);
	s->handed = calloc(n ? n : 1, sizeof *s->handed);
	if (!s->handed)
		goto out;
	for (i = 0, at = names ? names : ""; i < n; i++) {
		size_t l = strcspn(at, ":");

		s->handed[i].fd = 3 + (int)i;
		snprintf(s->handed[i].name, sizeof s->handed[i].name, "%.*s",
			 (int)(l < 23 ? l : 23), at);
		at += l + (at[l] == ':');
		fcntl(3 + (int)i, F_SETFD, FD_CLOEXEC);
	}
	s->nhanded = n;
	s->hold_fd = con_fd_take(s, "hold");
	if (n > (s->hold_fd >= 0)) /* (the holder's socket alone: a start) */
		con_log("restart: %u file descriptors handed over", n);
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int con_fd_take(struct con_svc *s, const char *name)
{
	unsigned i;
	int fd;

	for (i = 0; i < s->nhanded; i++)
		if (s->handed[i].fd >= 0 && !strcmp(s->handed[i].name, name)) {
			fd = s->handed[i].fd;
			s->handed[i].fd = -1;
			return fd;
		}
	return -1;
}

int con_fd_take_port(struct con_svc *s, const char *what, unsigned conc)
{
	char name[24];

	snprintf(name, sizeof name, "%s-%u", what, conc);
	return con_fd_take(s, name);
}

/* Handed fds no port claimed (its mapping is gone): closed, forgotten. */
void con_fds_unclaimed(struct con_svc *s)
{
	unsigned i;

	for (i = 0; i < s->nhanded; i++)
		if (s->handed[i].fd >= 0) {
			con_log("restart: %s no longer served: closed",
				s->handed[i].name);
			close(s->handed[i].fd);
			s->handed[i].fd = -1;
			con_fd_forget(s, s->handed[i].name);
		}
	free(s->handed);
	s->handed = NULL;
	s->nhanded = 0;
}

/* One sd_notify datagram, with fd attached when >= 0: to pscon --hold's
 * socket, else to $NOTIFY_SOCKET (systemd). */
static void notify_fd(struct con_svc *s, const char *msg, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sfd = s->hold_fd, own = 0;

	if (sfd < 0) {
		if (!path || (path[0] != '/' && path[0] != '@') ||
		    strlen(path) >= sizeof a.sun_path)
			return;
		memcpy(a.sun_path, path, strlen(path));
		if (path[0] == '@')
			a.sun_path[0] = 0;
		m.msg_name = &a;
		m.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un,
						     sun_path) + strlen(path));
		sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		own = 1;
	}
	if (fd >= 0) {
		memset(&ctl, 0, sizeof ctl);
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof ctl.b;
		CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &fd, sizeof fd);
	}
	if (sfd >= 0 && sendmsg(sfd, &m, MSG_NOSIGNAL) < 0)
		con_log("fd store: %s", strerror(errno));
	if (own && sfd >= 0)
		close(sfd);
}

void con_sd_notify(struct con_svc *s, const char *msg)
{
	notify_fd(s, msg, -1);
}

void con_fd_store(struct con_svc *s, const char *name, int fd)
{
	char msg[64];

	if (fd < 0)
		return;
	snprintf(msg, sizeof msg, "FDSTORE=1\nFDPOLL=0\nFDNAME=%s", name);
	notify_fd(s, msg, fd);
}

void con_fd_forget(struct con_svc *s, const char *name)
{
	char msg[64];

	snprintf(msg, sizeof msg, "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notify_fd(s, msg, -1);
}

void con_fd_store_port(struct con_svc *s, const char *what, unsigned conc,
		       int fd)
{
	char name[24];

	snprintf(name, sizeof name, "%s-%u", what, conc);
	con_fd_store(s, name, fd);
}

void con_fd_forget_port(struct con_svc *s, const char *what, unsigned conc)
{
	char name[24];

	snprintf(name, sizeof name, "%s-%u", what, conc);
	con_fd_forget(s, name);
}

int con_fds_pass(char *const *names, const int *fds, unsigned n)
{
	char num[16], *list;
	size_t len = 1, o = 0;
	int *tmp = calloc(n ? n : 1, sizeof *tmp), top = 3;
	unsigned i;

	for (i = 0; i < n; i++) {
		len += strlen(names[i]) + 1;
		if (fds[i] >= top)
			top = fds[i] + 1;
	}
	list = malloc(len);
	if (!tmp || !list)
		return -1;
	/* Above every fd first, so that placing one never clobbers another. */
	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC,
				    top + 3 + (int)n)) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		if (dup2(tmp[i], 3 + (int)i) < 0) /* dup2: not close-on-exec */
			return -1;
		o += (size_t)snprintf(list + o, len - o, "%s%s", i ? ":" : "",
				      names[i]);
	}
	list[o] = 0;
	snprintf(num, sizeof num, "%ld", (long)getpid());
	setenv("LISTEN_PID", num, 1);
	snprintf(num, sizeof num, "%u", n);
	setenv("LISTEN_FDS", num, 1);
	setenv("LISTEN_FDNAMES", list, 1);
	return 0;
}

/* ------------------------------------------------------------ port state */

_Static_assert(sizeof(struct con_keep) <= CON_KEEP_HDR,
	       "the kept state fits the memfd's header page");

static void fd_name(char *out, size_t n, const char *what, unsigned conc)
{
	snprintf(out, n, "%s-%u", what, conc);
}

/* The port's memfd: handed over (checked), else a new one, zeroed, with a
 * random epoch naming the new output stream. */
int con_keep_open(struct con_svc *s, struct con_port *p)
{
	char name[24];
	size_t cap = s->ring_size, len;
	struct con_keep hd;
	struct stat st;
	int fd, fresh = 0;
	void *m;

	fd_name(name, sizeof name, "mem", p->conc);
	fd = con_fd_take(s, name);
	if (fd >= 0 && (pread(fd, &hd, sizeof hd, 0) != sizeof hd ||
			hd.magic != CON_KEEP_MAGIC || hd.conc != p->conc ||
			hd.cap < 1 || hd.cap > (1u << 30) || fstat(fd, &st) ||
			(uint64_t)st.st_size < CON_KEEP_HDR +
			con_ring_bytes((size_t)hd.cap))) {
		con_log("port %u: handed state unreadable: starting afresh",
			p->conc);
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		cap = (size_t)hd.cap; /* the ring keeps its size */
		p->resumed = 1;
	} else {
		fd = memfd_create(name, MFD_CLOEXEC);
		fresh = 1;
	}
	len = CON_KEEP_HDR + con_ring_bytes(cap);
	if (fd < 0 || (fresh && ftruncate(fd, (off_t)len)))
		goto fail;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	p->k = m;
	p->memfd = fd;
	p->map_len = len;
	if (fresh) {
		p->k->cap = cap;
		p->k->conc = p->conc;
		p->k->log_bol = 1;
		while (!p->k->epoch)
			if (getrandom(&p->k->epoch, sizeof p->k->epoch, 0) < 0)
				p->k->epoch = (uint64_t)time(NULL) << 20 ^
					      (uint64_t)getpid();
		p->k->magic = CON_KEEP_MAGIC;
	}
	con_ring_attach(&p->ring, (uint8_t *)m + CON_KEEP_HDR, cap,
			p->k->total);
	for (unsigned i = 0; i < CON_KEEP_STREAMS; i++)
		p->accepted[i] = p->k->in[i].written;
	p->log_bol = (int)p->k->log_bol;
	con_fd_store(s, name, fd);
	return 0;
fail:
	con_log("port %u: state memfd: %s", p->conc, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

void con_keep_close(struct con_svc *s, struct con_port *p)
{
	if (!p->k)
		return;
	munmap(p->k, p->map_len);
	close(p->memfd);
	p->k = NULL;
	con_fd_forget_port(s, "mem", p->conc);
	con_fd_forget_port(s, "lis", p->conc);
	con_fd_forget_port(s, "gst", p->conc);
	con_fd_forget_port(s, "cnd", p->conc);
}

/*
 * After a restart: output committed to the ring but not yet taken out of
 * the guest socket (a SIGKILL between the two steps of con_port.c's
 * read) is taken out now when the socket still starts with those very
 * bytes; otherwise they had been taken already.  Returns the bytes in
 * question (for the log).
 */
static uint64_t settle_consumed(struct con_port *p)
{
	uint64_t d = p->k->total - p->k->consumed, from = p->k->consumed;
	static uint8_t a[CON_RING_SLACK], b[CON_RING_SLACK];
	ssize_t r;
	size_t n;

	if (!d || p->guest.fd < 0 || d > sizeof a)
		goto done;
	n = con_ring_read(&p->ring, &from, a, (size_t)d);
	r = recv(p->guest.fd, b, (size_t)d, MSG_PEEK | MSG_DONTWAIT);
	if (r == (ssize_t)n && !memcmp(a, b, n))
		(void)!recv(p->guest.fd, b, n, MSG_DONTWAIT);
done:
	p->k->consumed = p->k->total;
	return d;
}

void con_keep_recover(struct con_svc *s, struct con_port *p)
{
	uint64_t d = settle_consumed(p);

	/* A socket guest's unread output waited in its socket: nothing is
	 * lost.  A device is read directly: a crash between a read and its
	 * commit loses that read (at most the slack). */
	if (p->guest_sock || p->guest.fd < 0)
		con_log("port %u: resumed at output offset %llu, gap 0 bytes "
			"(logged %llu%s; %llu bytes were being read, kept "
			"once)", p->conc, (unsigned long long)p->k->total,
			(unsigned long long)p->k->logged,
			p->k->log_to > p->k->logged ? ", a log write redone"
						    : "",
			(unsigned long long)d);
	else
		con_log("port %u: resumed at output offset %llu, gap unknown, "
			"at most %u bytes (a device read cut short)", p->conc,
			(unsigned long long)p->k->total, CON_RING_SLACK);
	con_port_resume(s, p);
}

/* ------------------------------------------------------------ streams */

/* The slot of input stream id on port p: its own, a free one, or the
 * least recently attached one no session holds. */
int con_stream_slot(struct con_port *p, uint64_t id,
		    const struct con_client *clients)
{
	const struct con_client *c;
	int i, best = -1;

	if (!id)
		return -1;
	for (i = 0; i < (int)CON_KEEP_STREAMS; i++)
		if (p->k->in[i].id == id)
			goto found;
	for (i = 0; i < (int)CON_KEEP_STREAMS; i++) {
		for (c = clients; c; c = c->next)
			if (c->port == p && c->stream == i)
				break;
		if (!c && (best < 0 || p->k->in[i].used <
			   p->k->in[best].used))
			best = i;
	}
	if (best < 0)
		return -1;
	i = best;
	p->k->in[i].id = id;
	p->k->in[i].written = 0;
	p->accepted[i] = 0;
found:
	p->k->in[i].used = ++p->k->clock;
	return i;
}

/* ------------------------------------------------------------ tests */

/* A crash at a chosen step, for the tests of the recovery: with
 * $PSCON_CRASH_DIR set, reaching `point` while DIR/point exists removes
 * the file and kills the process (SIGKILL: nothing runs after it). */
void con_crash_point(const char *point)
{
	static const char *dir;
	static int init;
	char path[1024];

	if (!init) {
		dir = getenv("PSCON_CRASH_DIR");
		init = 1;
	}
	if (!dir)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, point);
	if (!unlink(path)) {
		con_log("crash point '%s': killed", point);
		kill(getpid(), SIGKILL);
	}
}

/* ------------------------------------------------------------ re-exec */

/* A deliberate restart (SIGUSR2): sessions are closed (viewers reconnect
 * and resume), everything else is handed to the new image of the same
 * path, in the same process. */
void con_restart(struct con_svc *s)
{
	unsigned n = 1, i = 0;
	struct con_port *p;
	char **names;
	int *fds;

	for (p = s->ports; p; p = p->next)
		n += 4;
	names = calloc(n + 1, sizeof *names);
	fds = calloc(n + 1, sizeof *fds);
	if (!names || !fds)
		goto fail;
	names[i] = strdup("clients");
	fds[i++] = s->lis.fd;
	if (s->hold_fd >= 0) {
		names[i] = strdup("hold");
		fds[i++] = s->hold_fd;
	}
	for (p = s->ports; p; p = p->next) {
		const int pf[4] = { p->memfd, p->lis.fd, p->guest.fd,
				    p->cand.fd };
		static const char *const what[4] = { "mem", "lis", "gst",
						     "cnd" };

		for (unsigned k = 0; k < 4; k++) {
			if (pf[k] < 0 || p->gone)
				continue;
			names[i] = malloc(24);
			if (!names[i])
				goto fail;
			fd_name(names[i], 24, what[k], p->conc);
			fds[i++] = pf[k];
		}
	}
	con_log("restart: re-exec %s with %u file descriptors", s->exe, i);
	if (con_fds_pass(names, fds, i))
		goto fail;
	execv(s->exe, s->argv);
fail:
	con_log("restart failed: %s; exiting (a supervisor restarts us)",
		strerror(errno));
	_exit(3);
}
