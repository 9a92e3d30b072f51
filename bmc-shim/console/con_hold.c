/*
 * con_hold.c - pscon --hold: a small parent that keeps the console
 * service's file descriptors when no systemd does (docs/console.md,
 * "Restarts").  It runs pscon as its child with a datagram socket for
 * systemd's fd-store messages (FDSTORE=1 / FDSTOREREMOVE=1 with FDNAME=,
 * the fd by SCM_RIGHTS), holds every fd stored, and when the child dies
 * by a signal (a crash, SIGKILL) starts it again with them as LISTEN_FDS
 * - the guest connections never close.  A child that exits by itself
 * (SIGTERM, a bad option) ends the holder with its status.  Signals
 * other than SIGCHLD are passed on to the child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"

#define HOLD_MAX 16384u

struct held {
	char *name[HOLD_MAX + 1];      /* (+1: the worker's socket) */
	int fd[HOLD_MAX + 1];
	unsigned n;
};

static void drop(struct held *h, const char *name)
{
	unsigned i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->name[i], name)) {
			close(h->fd[i]);
			free(h->name[i]);
			h->name[i] = h->name[--h->n];
			h->fd[i] = h->fd[h->n];
			return;
		}
}

/* One message of the child: FDSTORE (replacing a same-named fd) or
 * FDSTOREREMOVE; anything else (READY=1) is ignored. */
static void message(struct held *h, int sock)
{
	char buf[512], name[24] = "";
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = { buf, sizeof buf - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof ctl.b };
	struct cmsghdr *c;
	ssize_t r = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	const char *at;
	int fd = -1;

	if (r < 0)
		return;
	buf[r] = 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *f = (int *)CMSG_DATA(c);
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k; i++)
				if (fd < 0)
					fd = f[i];
				else
					close(f[i]);
		}
	at = strstr(buf, "FDNAME=");
	if (at)
		snprintf(name, sizeof name, "%.*s", (int)strcspn(at + 7, "\n"),
			 at + 7);
	if (strstr(buf, "FDSTOREREMOVE=1") && name[0]) {
		drop(h, name);
	} else if (strstr(buf, "FDSTORE=1") && name[0] && fd >= 0 &&
		   strcmp(name, "hold") && h->n < HOLD_MAX) {
		drop(h, name);
		h->name[h->n] = strdup(name);
		h->fd[h->n++] = fd;
		return;
	}
	if (fd >= 0)
		close(fd);
}

/* The worker: argv without --hold, the held fds and our end of the
 * socket as LISTEN_FDS. */
static pid_t spawn(struct held *h, int child_end, char **argv,
		   const sigset_t *old)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	sigprocmask(SIG_SETMASK, old, NULL);
	h->name[h->n] = "hold";
	h->fd[h->n] = child_end;
	if (con_fds_pass(h->name, h->fd, h->n + 1) == 0)
		execv("/proc/self/exe", argv);
	perror("pscon --hold: exec");
	_exit(127);
}

int con_hold_main(int argc, char **argv)
{
	static struct held h;
	sigset_t set, old;
	struct signalfd_siginfo si;
	struct pollfd pf[2];
	int sp[2], status, stopping = 0, i;
	pid_t child;
	char **wargv = calloc((size_t)argc, sizeof *wargv);

	if (!wargv)
		return 1;
	wargv[0] = argv[0];
	for (i = 2; i < argc; i++)
		wargv[i - 1] = argv[i];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp))
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	pf[0] = (struct pollfd){ sp[0], POLLIN, 0 };
	pf[1] = (struct pollfd){ signalfd(-1, &set, SFD_CLOEXEC), POLLIN, 0 };
	child = spawn(&h, sp[1], wargv, &old);
	fprintf(stderr, "pscon --hold: worker %ld\n", (long)child);
	for (;;) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (pf[0].revents & POLLIN)
			message(&h, sp[0]);
		if (!(pf[1].revents & POLLIN) ||
		    read(pf[1].fd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo != SIGCHLD) {
			stopping |= si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGINT;
			kill(child, (int)si.ssi_signo);
			continue;
		}
		if (waitpid(child, &status, WNOHANG) != child)
			continue;
		while (poll(pf, 1, 0) > 0)
			message(&h, sp[0]); /* what it stored before dying */
		/* Exit 3: a restart that could not exec (con_restart). */
		if (stopping || (!WIFSIGNALED(status) &&
				 WEXITSTATUS(status) != 3)) {
			free(wargv);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		}
		fprintf(stderr, "pscon --hold: worker %ld %s %d; starting it "
			"again with %u file descriptors\n", (long)child,
			WIFSIGNALED(status) ? "killed by signal" : "exited",
			WIFSIGNALED(status) ? WTERMSIG(status)
					    : WEXITSTATUS(status), h.n);
		usleep(20000);
		child = spawn(&h, sp[1], wargv, &old);
		fprintf(stderr, "pscon --hold: worker %ld\n", (long)child);
	}
}
