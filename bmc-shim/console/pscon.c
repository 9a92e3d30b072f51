/*
 * pscon - the console service (the BMC's virtual serial concentrator):
 * options, the run directory and client socket, the epoll loop, and the
 * ports read from the store's serial mappings (libpstate), again on
 * SIGHUP or a client's RELOAD.  docs/console.md, docs/pscon.8.
 */
#define _GNU_SOURCE /* signalfd, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"
#include "con_web.h"
#include "pstate.h"

struct con_svc *con_g;

void con_log(const char *fmt, ...)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	flockfile(stderr); /* one line, whichever thread (con_web.c) */
	fprintf(stderr, "pscon: %s ", stamp);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* ------------------------------------------------------------ epoll */

int con_watch(struct con_svc *s, struct con_handle *h, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
				  .data.ptr = h };

	if (h->fd < 0)
		return -1;
	/* reg: 0 not registered, 1 for input, 2 for input and output.
	 * Unchanged: no system call (every flush asks). */
	if (h->reg == 1 + !!out)
		return 0;
	if (epoll_ctl(s->ep, h->reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, h->fd,
		      &ev))
		return -1;
	h->reg = 1 + !!out;
	return 0;
}

void con_unwatch(struct con_svc *s, struct con_handle *h)
{
	if (h->fd < 0)
		return;
	if (h->reg)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	h->fd = -1;
	h->reg = 0;
}

/* Ports removed by a reload, freed once no event of the batch names them. */
static void free_gone(struct con_svc *s)
{
	struct con_port *p = s->ports, *next;

	for (; p; p = next) {
		next = p->next;
		if (p->gone)
			con_port_delete(s, p);
	}
}

/* ------------------------------------------------------------ setup */

/* The parent of path may not be world-writable (someone else could swap
 * what we create there). */
static int parent_ok(const char *path)
{
	char tmp[1024];
	struct stat st;

	snprintf(tmp, sizeof tmp, "%s", path);
	if (stat(dirname(tmp), &st)) {
		con_log("%s: parent directory: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		con_log("%s: the parent directory is world-writable: refused",
			path);
		return -1;
	}
	return 0;
}

/* The run directory: created 0700 when missing; ours, mode 0700, no
 * symlink; kept open so sockets are bound inside this very directory. */
static int open_run_dir(struct con_svc *s)
{
	struct stat st;

	if (parent_ok(s->run_dir))
		return -1;
	if (mkdir(s->run_dir, 0700) && errno != EEXIST) {
		con_log("%s: %s", s->run_dir, strerror(errno));
		return -1;
	}
	s->run_fd = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			 O_CLOEXEC);
	if (s->run_fd < 0 || fstat(s->run_fd, &st)) {
		con_log("%s: %s (a directory, not a symlink)", s->run_dir,
			strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		con_log("%s: must be owned by uid %u with mode 0700 "
			"(is uid %u, mode %04o)", s->run_dir, geteuid(),
			st.st_uid, st.st_mode & 07777);
		return -1;
	}
	return 0;
}

/* The client socket: anyone may connect (0666); the peer's uid decides
 * what it may do (con_role). */
static int open_listener(struct con_svc *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = con_fd_take(s, "clients");

	if (fd >= 0) { /* handed over: connections queued meanwhile wait */
		s->lis = (struct con_handle){ CON_K_LISTEN, fd, NULL, 0 };
		return con_watch(s, &s->lis, 0);
	}
	if (strlen(s->sock_path) >= sizeof a.sun_path) {
		con_log("%s: socket path too long", s->sock_path);
		return -1;
	}
	if (parent_ok(s->sock_path))
		return -1;
	if (!lstat(s->sock_path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			con_log("%s: exists and is no socket", s->sock_path);
			return -1;
		}
		unlink(s->sock_path);
	}
	strcpy(a.sun_path, s->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
	    chmod(s->sock_path, 0666) || listen(fd, 64)) {
		con_log("%s: %s", s->sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->lis = (struct con_handle){ CON_K_LISTEN, fd, NULL, 0 };
	return con_watch(s, &s->lis, 0);
}

static int open_signals(struct con_svc *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sig = (struct con_handle){ CON_K_SIGNAL,
				      signalfd(-1, &set, SFD_NONBLOCK |
					       SFD_CLOEXEC), NULL, 0 };
	return con_watch(s, &s->sig, 0);
}

static void on_signal(struct con_svc *s)
{
	struct signalfd_siginfo si;
	char err[512];

	while (read(s->sig.fd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			con_log("SIGHUP: reloading the serial mappings");
			con_reload(s, err, sizeof err);
		} else if (si.ssi_signo == SIGUSR2) {
			con_log("SIGUSR2: restarting");
			s->restart = 1;
		} else {
			s->stop = 1;
		}
	}
}

/* ------------------------------------------------------------ main */

static int usage(void)
{
	fprintf(stderr,
		"usage: pscon --run-dir DIR [--socket PATH] [--log-dir DIR]\n"
		"             [--store PATH]... [--move-grace SECONDS]\n"
		"             [--ring-size SIZE] [--queue-max SIZE]\n"
		"             [--log-max SIZE] [--log-keep N] "
		"[--fault TEXT]... [--admin-group NAME]\n"
		"             [--notify PATH]\n"
		"             [--web ADDR:PORT --web-users FILE --web-cert PEM "
		"--web-key PEM\n"
		"              [--web-root DIR]]\n"
		"       pscon --hold OPTIONS...   (keeps the ports open across "
		"a crash)\n"
		"       pscon --hash-password   (a password on stdin)\n");
	return 2;
}

static int size_opt(const char *opt, const char *v, uint64_t min,
		    size_t *out)
{
	uint64_t x;
	const char *why = "";

	if (ps_parse_size(v, strlen(v), 1, &x, &why) || x < min ||
	    x > (1u << 30)) {
		fprintf(stderr, "pscon: %s '%s': %s\n", opt, v,
			*why ? why : "out of range");
		return -1;
	}
	*out = (size_t)x;
	return 0;
}

/* The web page's options (con_web.h). */
static struct con_web_opts web = { .root = PSCON_WEB_ROOT };

static int options(struct con_svc *s, int argc, char **argv)
{
	const char *group = "pscon-admin", *why;
	struct group *g;
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t keep;

		if (!v)
			return usage();
		i++;
		if (!strcmp(o, "--run-dir")) s->run_dir = v;
		else if (!strcmp(o, "--socket")) s->sock_path = v;
		else if (!strcmp(o, "--log-dir")) s->log_dir = v;
		else if (!strcmp(o, "--store")) {
			if (con_store_add(s, v)) return 2;
		} else if (!strcmp(o, "--move-grace")) {
			char *end;
			unsigned long g = strtoul(v, &end, 10);

			if (!*v || *end || *v == '-' || g > 3600) {
				fprintf(stderr, "pscon: --move-grace '%s': "
					"seconds, 0-3600\n", v);
				return 2;
			}
			s->move_grace = (unsigned)g;
		}
		else if (!strcmp(o, "--notify")) s->notify_path = v;
		else if (!strcmp(o, "--admin-group")) group = v;
		else if (!strcmp(o, "--web")) web.listen = v;
		else if (!strcmp(o, "--web-users")) web.users = v;
		else if (!strcmp(o, "--web-cert")) web.cert = v;
		else if (!strcmp(o, "--web-key")) web.key = v;
		else if (!strcmp(o, "--web-root")) web.root = v;
		else if (!strcmp(o, "--ring-size")) {
			if (size_opt(o, v, 4096, &s->ring_size)) return 2;
		} else if (!strcmp(o, "--queue-max")) {
			if (size_opt(o, v, 16384, &s->queue_max)) return 2;
		} else if (!strcmp(o, "--log-max")) {
			if (size_opt(o, v, 0, &s->log_max)) return 2;
		} else if (!strcmp(o, "--log-keep")) {
			if (size_opt(o, v, 1, &keep) || keep > 99) return 2;
			s->log_keep = (unsigned)keep;
		} else if (!strcmp(o, "--fault")) {
			if (con_patterns_add(&s->pats, v, &why)) {
				fprintf(stderr, "pscon: --fault '%s': %s\n", v,
					why);
				return 2;
			}
		} else
			return usage();
	}
	if (!s->run_dir)
		return usage();
	if (!s->nstores) /* no --store: the default store (discovery) */
		con_store_add(s, NULL);
	g = getgrnam(group);
	s->have_admin_gid = g != NULL;
	s->admin_gid = g ? g->gr_gid : 0;
	return 0;
}

static void dispatch(struct con_svc *s, struct con_handle *h, uint32_t ev)
{
	struct con_port *p = h->obj;

	switch (h->kind) {
	case CON_K_LISTEN: con_client_accept(s); break;
	case CON_K_SIGNAL: on_signal(s); break;
	case CON_K_WEB: con_web_adopt(s); break;
	case CON_K_STORE: con_store_event(s, h); break;
	case CON_K_TIMER: con_store_event(s, h); break;
	case CON_K_CLIENT: con_client_event(s, h->obj, ev); break;
	case CON_K_PORT_LISTEN:
		if (!p->gone)
			con_port_accept(s, p);
		break;
	case CON_K_GUEST:
		if (!p->gone)
			con_guest_event(s, p, ev);
		break;
	case CON_K_CAND:
		if (!p->gone)
			con_mig_event(s, p, ev);
		break;
	}
}

int main(int argc, char **argv)
{
	static struct con_svc s = {
		.sock_path = "/run/pscon.sock", .log_dir = "/var/log/pscon",
		.ring_size = 128u * 1024u, .queue_max = 256u * 1024u,
		.log_max = 16u << 20, .log_keep = 3, .run_fd = -1,
		.move_grace = 10, .timer = { CON_K_TIMER, -1, NULL, 0 },
	};
	struct epoll_event ev[64];
	char err[1600];
	int n, i, rc;

	if (argc == 2 && !strcmp(argv[1], "--hash-password"))
		return cw_hash_password();
	con_raise_nofile();
	if (argc > 1 && !strcmp(argv[1], "--hold"))
		return con_hold_main(argc, argv);
	con_g = &s;
	s.backend = &con_backend_unix;
	s.argv = argv;
	n = (int)readlink("/proc/self/exe", s.exe, sizeof s.exe - 1);
	if (n > 0) /* an upgrade replaces the file: the path runs the new one */
		s.exe[n] = 0;
	con_fds_load(&s);
	con_patterns_default(&s.pats);
	rc = options(&s, argc, argv);
	if (rc)
		return rc;
	s.uid = geteuid();
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0 || open_run_dir(&s) || open_signals(&s) ||
	    open_listener(&s))
		return 1;
	/* After open_signals: the web thread inherits the blocked mask. */
	if (web.listen && con_web_start(&s, &web))
		return 1;
	if (mkdir(s.log_dir, 0750) && errno != EEXIST)
		con_log("log dir %s: %s", s.log_dir, strerror(errno));
	if (con_reload(&s, err, sizeof err))
		return 1;
	con_stores_adopt(&s);
	con_stores_watch(&s);
	con_fds_unclaimed(&s);
	con_fd_store(&s, "clients", s.lis.fd);
	con_sd_notify(&s, "READY=1");
	con_log("serving %s (run dir %s, logs %s, ring %zu B)", s.sock_path,
		s.run_dir, s.log_dir, s.ring_size);
	while (!s.stop) {
		n = epoll_wait(s.ep, ev, 64, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			dispatch(&s, ev[i].data.ptr, ev[i].events);
		con_client_reap(&s);
		free_gone(&s);
		if (s.restart)
			con_restart(&s);
	}
	con_log("stopping");
	con_clients_bye(&s);
	con_web_stop();
	while (s.ports)
		con_port_delete(&s, s.ports);
	con_fd_forget(&s, "clients"); /* a stop: nothing to hand over */
	unlink(s.sock_path);
	return 0;
}
