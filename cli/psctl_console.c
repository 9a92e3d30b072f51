/*
 * psctl_console.c - `psctl console`: a terminal client of the console
 * service pscon (docs/console.md), over its unix socket.
 *
 *   console list [--json] [--socket PATH]
 *   console VM|HOST|PORT [PORT] [--spy] [--force] [--mode M]
 *           [--socket PATH]
 *
 * The socket: --socket, else $PSCON_SOCKET, else /run/pscon.sock.  In a
 * session, ^Ec (Ctrl-E, then c) starts an escape: '.' detach, 'f' force,
 * 's' spy, 'a' read-write again, 'm' then 'f'/'o'/'p' the mode, 'l' list,
 * '?' help; ^Ec^E sends ^E itself.
 *
 * Byte-exact (protocol v2): the session remembers the output offset it
 * showed last and numbers what it types; when the service goes away
 * (restart, crash) it reconnects by itself, resumes the output from that
 * offset and sends again the input the service had not yet written to
 * the guest (docs/console.md, "Offsets and resuming").
 */
#define _GNU_SOURCE /* cfmakeraw */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "con_proto.h"
#include "psctl.h"
#include "psctl_console.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_util.h"
#include "psf_schema.h"

#define DEFAULT_SOCKET "/run/pscon.sock"
#define ESC1 0x05 /* ^E */
/* ------------------------------------------------------------ frames */

int psctl_con_send(int fd, uint8_t type, const void *p, size_t n)
{
	return con_frame_send(fd, type, p, n);
}

/* The next frame from the service (blocking); -1 at end or bad bytes. */
static int next_frame(struct sess *s, struct con_frame *f, size_t *used)
{
	ssize_t r;
	int n;

	for (;;) {
		n = con_frame_parse(s->in, s->in_len, 0, f);
		if (n > 0) {
			*used = (size_t)n;
			return 0;
		}
		if (n < 0)
			return -1;
		r = read(s->fd, s->in + s->in_len, sizeof s->in - s->in_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		s->in_len += (size_t)r;
	}
}

static void consume(struct sess *s, size_t used)
{
	memmove(s->in, s->in + used, s->in_len - used);
	s->in_len -= used;
}

static int refused(struct sess *s, const struct con_frame *f)
{
	unsigned code = f->len >= 2 ? f->p[1] : 0;
	static const int exits[] = {
		[CON_E_NOPORT] = PSCTL_EXIT_NOTFOUND,
		[CON_E_PERM] = PSCTL_EXIT_CONFLICT,
		[CON_E_PRIVATE] = PSCTL_EXIT_CONFLICT,
		[CON_E_NOTWRITER] = PSCTL_EXIT_CONFLICT,
		[CON_E_BUSY] = PSCTL_EXIT_CONFLICT,
		[CON_E_STORE] = PSCTL_EXIT_IO,
	};
	int rc = code < sizeof exits / sizeof exits[0] && exits[code]
		 ? exits[code] : PSCTL_EXIT_INVALID;

	psctl_error(s->c, CMD, NULL, NULL, rc, "refused (%s): %.*s",
		    con_err_name(code), f->len > 2 ? (int)f->len - 2 : 0,
		    (const char *)f->p + 2);
	return rc;
}

/* Guest output at offset off: only what was not shown yet. */
static void output(struct sess *s, uint64_t off, const uint8_t *p, size_t n)
{
	long long drop = con_seq_take(s->next, off, n);

	if (drop < 0) { /* (a service that skipped without saying so) */
		fprintf(stderr, "\r\n[console: %llu bytes missing at offset "
			"%llu]\r\n", (unsigned long long)(off - s->next),
			(unsigned long long)s->next);
		drop = 0;
	}
	if (s->out) /* else queued: written when the terminal takes it */
		s->out(s->out_arg, p + drop, n - (size_t)drop);
	else
		psctl_con_tty_put(s, off + (uint64_t)drop, p + drop,
				  n - (size_t)drop);
	if (off + n > s->next)
		s->next = off + n;
}

/* The service wrote our input up to `to`: no need to keep it. */
static void acked(struct sess *s, uint64_t to)
{
	size_t k;

	if (to <= s->kept_at)
		return;
	k = to - s->kept_at < s->kept_len ? (size_t)(to - s->kept_at)
					   : s->kept_len;
	memmove(s->kept, s->kept + k, s->kept_len - k);
	s->kept_len -= k;
	s->kept_at += k;
}

/* Shows one frame that is not the awaited reply. */
void psctl_con_show(struct sess *s, const struct con_frame *f)
{
	if (f->type == CON_R_DATA && f->len >= 8) {
		output(s, con_get64(f->p), f->p + 8, f->len - 8u);
	} else if (f->type == CON_R_ACK && f->len == 8) {
		acked(s, con_get64(f->p));
	} else if (f->type == CON_R_SKIP && f->len == 16) {
		if (s->out)
			fprintf(stderr, "\r\n[console: %llu bytes skipped at "
				"offset %llu]\r\n",
				(unsigned long long)con_get64(f->p + 8),
				(unsigned long long)con_get64(f->p));
		else /* told where it is in the queued output */
			psctl_con_tty_gap(s, con_get64(f->p),
					  con_get64(f->p + 8));
		s->next = con_get64(f->p) + con_get64(f->p + 8);
	} else if (f->type == CON_R_NOTICE && f->len >= 1 &&
		   (f->p[0] == CON_N_STOP || f->p[0] == CON_N_GONE)) {
		s->stopped = 1; /* gone for good: no reconnect */
		if (!s->out)
			fprintf(stderr, "\r\n[console: %.*s]\r\n",
				(int)f->len - 1, (const char *)f->p + 1);
	} else if (f->type == CON_R_NOTICE && f->len >= 1 && !s->out) {
		fprintf(stderr, "\r\n[console: %.*s]\r\n", (int)f->len - 1,
			(const char *)f->p + 1);
	} else if (f->type == CON_R_ERROR) {
		refused(s, f);
	}
}

static int send_input(struct sess *s, const uint8_t *p, size_t n,
		      uint64_t off);

/* The OK of an ATTACH: where output resumes; input not yet written to
 * the guest is sent again (the service drops what it already has). */
static void attached(struct sess *s, const struct con_frame *f)
{
	struct con_attach_ok o;
	size_t at;

	if (con_decode_attach_ok(f, s->ver, &o))
		return;
	s->conc = o.conc;
	if (s->epoch && o.epoch != s->epoch)
		fprintf(stderr, "\r\n[console: the port's output was "
			"restarted: showing its backlog again]\r\n");
	if (o.epoch != s->epoch || o.start > s->next)
		s->next = o.start;
	s->attach_total = o.total;
	s->epoch = o.epoch;
	if (s->ver < 2 || !s->stream)
		return;
	if (o.written > s->kept_at)
		acked(s, o.written);
	else /* a stream the service had to forget: ours start there */
		s->kept_at = o.written;
	for (at = 0; at < s->kept_len; at += 1024)
		send_input(s, s->kept + at, s->kept_len - at < 1024
			   ? s->kept_len - at : 1024, s->kept_at + at);
}

/* Sends a request and waits for its OK or ERROR (showing what comes
 * first).  0, or the exit code of the refusal. */
int psctl_con_ask(struct sess *s, uint8_t type, const void *p, size_t n)
{
	struct con_frame f;
	size_t used;
	int rc;

	if (psctl_con_send(s->fd, type, p, n))
		return s->quiet ? PSCTL_EXIT_IO
		       : psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				     "the console service closed the session");
	for (;;) {
		if (next_frame(s, &f, &used))
			return s->quiet ? PSCTL_EXIT_IO : psctl_error(s->c, CMD, NULL, NULL,
					   PSCTL_EXIT_IO, "the console "
					   "service closed the session");
		if ((f.type == CON_R_OK || f.type == CON_R_ERROR ||
		     f.type == CON_R_HELLO) && f.len >= 1 &&
		    (f.p[0] == type || f.type == CON_R_HELLO)) {
			rc = f.type == CON_R_ERROR ? refused(s, &f) : 0;
			if (!rc && type == CON_ATTACH)
				attached(s, &f);
			if (f.type == CON_R_HELLO && f.len >= 1)
				s->ver = f.p[0];
			consume(s, used);
			return rc;
		}
		psctl_con_show(s, &f);
		consume(s, used);
	}
}

/* HELLO with version v: 0 (s->ver set), 1 when the service refuses the
 * version (a service older than this client), else an exit code. */
static int hello(struct sess *s, uint8_t v)
{
	struct con_frame f;
	size_t used;
	int rc;

	if (psctl_con_send(s->fd, CON_HELLO, &v, 1) || next_frame(s, &f, &used))
		return s->quiet ? PSCTL_EXIT_IO
		       : psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				     "the console service closed the session");
	if (f.type == CON_R_HELLO && f.len >= 1) {
		s->ver = f.p[0];
		rc = 0;
	} else if (f.type == CON_R_ERROR && f.len >= 2 &&
		   f.p[1] == CON_E_VERSION && v > CON_VERSION_MIN) {
		rc = 1;
	} else {
		rc = f.type == CON_R_ERROR ? refused(s, &f) : PSCTL_EXIT_IO;
	}
	consume(s, used);
	return rc;
}

/* Connects and says hello (the newest version, else the oldest: an older
 * service); quiet: -1 without a message (reconnects). */
static int dial(struct sess *s, int quiet)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(s->path) >= sizeof a.sun_path)
		return psctl_error(s->c, CMD, "socket", s->path,
				   PSCTL_EXIT_INVALID, "path too long");
	strcpy(a.sun_path, s->path);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->in_len = 0;
	if (s->web) { /* the same protocol, bridged to the BMC's web page */
		rc = psctl_con_web_open(s);
		if (rc)
			return rc;
	} else if ((s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) <
		   0 || connect(s->fd, (struct sockaddr *)&a, sizeof a)) {
		if (quiet)
			return -1;
		return psctl_error(s->c, CMD, "socket", s->path, PSCTL_EXIT_IO,
				   "cannot reach the console service: %s",
				   strerror(errno));
	}
	rc = hello(s, CON_VERSION);
	return rc == 1 ? hello(s, CON_VERSION_MIN) : rc;
}

int psctl_con_connect(struct sess *s, const char *path)
{
	if (!path)
		path = getenv("PSCON_SOCKET");
	if (!path || !*path)
		path = DEFAULT_SOCKET;
	s->path = path;
	return dial(s, 0);
}

/* ------------------------------------------------------------ list */

/* Every port; fn(arg, port) for each.  0 or an exit code. */
static int each_port(struct sess *s, void (*fn)(void *, const struct
						con_port_info *), void *arg)
{
	static struct con_port_info pi;
	struct con_frame f;
	size_t used;

	if (psctl_con_send(s->fd, CON_LIST, NULL, 0))
		return PSCTL_EXIT_IO;
	for (;;) {
		if (next_frame(s, &f, &used))
			return psctl_error(s->c, CMD, NULL, NULL,
					   PSCTL_EXIT_IO, "list: the service "
					   "closed the session");
		if (f.type == CON_R_END) {
			consume(s, used);
			return 0;
		}
		if (f.type == CON_R_PORT && !con_decode_port(&f, &pi))
			fn(arg, &pi);
		else
			psctl_con_show(s, &f);
		consume(s, used);
	}
}

static int cmd_list(struct sess *s)
{
	struct psctl_jw w;
	int rc;

	if (!s->c->json) {
		fprintf(s->c->out, "%-20s %-12s %5s %-8s %-5s WRITER USERS "
			"STORE FAULTS\n", "HOSTNAME", "VM", "PORT", "MODE",
			"GUEST");
		return each_port(s, psctl_con_port_text, s->c->out);
	}
	psctl_jw_init(&w, s->c->out);
	psctl_jw_arr(&w, 1);
	rc = each_port(s, psctl_con_port_json, &w);
	psctl_jw_end(&w);
	fputc('\n', s->c->out);
	return rc;
}

/* ------------------------------------------------------------ target */

struct find {
	const char *vm, *port;
	unsigned conc, n;
};

/* VM [PORT]: a port whose VM, host name or number is VM; with PORT, the
 * one of those whose host name or number is PORT. */
static void find_fn(void *arg, const struct con_port_info *pi)
{
	struct find *f = arg;
	char num[8];

	snprintf(num, sizeof num, "%u", pi->conc);
	if (strcmp(pi->vm, f->vm) && strcmp(pi->host, f->vm) &&
	    strcmp(num, f->vm))
		return;
	if (f->port && strcmp(pi->host, f->port) && strcmp(num, f->port))
		return;
	if (!f->n++ || pi->conc < f->conc)
		f->conc = pi->conc;
}

/* ------------------------------------------------------------ session */

static const char help_text[] =
	"\r\n[console escapes: ^Ec then\r\n"
	"   .  detach and quit      f  force: take the writer role\r\n"
	"   s  re-attach as a spy   a  re-attach read-write\r\n"
	"   m  then f/o/p: mode free, observer, privacy\r\n"
	"   l  list ports           ?  this help    ^E  send ^E]\r\n";

/* The ATTACH request for the session's port, resuming where it is. */
static size_t attach_req(struct sess *s, uint8_t *b)
{
	struct con_attach a = { .how = (uint8_t)s->how, .epoch = s->epoch,
				.from = s->next, .stream = s->stream };

	snprintf(a.target, sizeof a.target, "%u", s->conc);
	return con_encode_attach(&a, s->ver, b);
}

static void reattach(struct sess *s, unsigned how)
{
	uint8_t b[CON_ATTACH_V2 + CON_NAME_MAX];

	s->how = how;
	psctl_con_send(s->fd, CON_ATTACH, b, attach_req(s, b));
}

/* Input at stream offset off (v2: numbered; v1: the bytes alone). */
static int send_input(struct sess *s, const uint8_t *p, size_t n,
		      uint64_t off)
{
	uint8_t b[8 + 1024];

	if (s->ver < 2)
		return psctl_con_send(s->fd, CON_INPUT, p, n);
	con_put64(b, off);
	memcpy(b + 8, p, n);
	return psctl_con_send(s->fd, CON_INPUT, b, 8 + n);
}

/* Typed bytes: kept until acked (for a resend after a reconnect), then
 * sent.  A full keep stops the keyboard being read (session()). */
void psctl_con_type(struct sess *s, const uint8_t *p, size_t n)
{
	uint64_t off = s->kept_at + s->kept_len;

	if (s->ver >= 2 && s->stream) {
		if (s->kept_len + n > RESEND_MAX)
			n = RESEND_MAX - s->kept_len;
		memcpy(s->kept + s->kept_len, p, n);
		s->kept_len += n;
	}
	send_input(s, p, n, off);
}

static void escape(struct sess *s, uint8_t k)
{
	uint8_t m;

	if (s->esc == 3) {
		s->esc = 0;
		m = k == 'f' ? PSF_SERIAL_MODE_FREE : k == 'o'
		    ? PSF_SERIAL_MODE_OBSERVER : k == 'p'
		    ? PSF_SERIAL_MODE_PRIVACY : 0xff;
		if (m != 0xff)
			psctl_con_send(s->fd, CON_MODE, &m, 1);
		return;
	}
	s->esc = 0;
	switch (k) {
	case '.': s->done = 1; break;
	case 'f': psctl_con_send(s->fd, CON_FORCE, NULL, 0); break;
	case 's': reattach(s, CON_SPY); break;
	case 'a': reattach(s, CON_RW); break;
	case 'm': s->esc = 3; break;
	case 'l': psctl_con_send(s->fd, CON_LIST, NULL, 0); break;
	case ESC1: psctl_con_type(s, &k, 1); break;
	default: fputs(help_text, stderr);
	}
}

/* Keyboard bytes: input frames, with ^Ec escapes taken out. */
static void keys(struct sess *s, const uint8_t *b, size_t n)
{
	uint8_t out[1024];
	size_t i, o = 0;

	for (i = 0; i < n && !s->done; i++) {
		if (s->esc == 1) {
			s->esc = b[i] == 'c' ? 2 : 0;
			if (!s->esc) {
				out[o++] = ESC1;
				out[o++] = b[i];
			}
		} else if (s->esc >= 2) {
			escape(s, b[i]);
		} else if (b[i] == ESC1) {
			s->esc = 1;
		} else {
			out[o++] = b[i];
		}
		if (o >= sizeof out - 2 || (o && s->esc)) {
			psctl_con_type(s, out, o);
			o = 0;
		}
	}
	if (o)
		psctl_con_type(s, out, o);
}

static void list_reply(struct sess *s, const struct con_frame *f)
{
	struct con_port_info pi;

	if (f->type == CON_R_PORT && !con_decode_port(f, &pi)) {
		fputs("\r", stderr);
		psctl_con_port_text(stderr, &pi);
	} else if (f->type == CON_R_OK && f->len >= 1 &&
		   f->p[0] == CON_ATTACH) {
		attached(s, f);
	} else if (f->type != CON_R_END && f->type != CON_R_OK) {
		psctl_con_show(s, f);
	}
}

static long long ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The service went away (a restart, a crash): connect again on the
 * clients' one schedule (psctl_con_retry_wait), attach resuming from the
 * last offset shown, send the unacked input again.  0, or an exit code
 * (refused, or still unreachable after --retry). */
static int reconnect(struct sess *s)
{
	long long t0 = ms_now(), left;
	uint8_t b[CON_ATTACH_V2 + CON_NAME_MAX];
	unsigned wait = 0, tries = 0;
	int rc;

	fprintf(stderr, "\r\n[console: the service went away at offset "
		"%llu; reconnecting]\r\n", (unsigned long long)s->next);
	s->quiet = 1;
	for (;;) {
		tries++;
		if (!dial(s, 1)) {
			rc = psctl_con_ask(s, CON_ATTACH, b, attach_req(s, b));
			if (!rc) {
				fprintf(stderr, "\r\n[console: resumed at "
					"offset %llu after %lld ms]\r\n",
					(unsigned long long)s->next,
					ms_now() - t0);
				s->quiet = 0;
				return 0;
			}
			if (rc != PSCTL_EXIT_IO)
				return rc; /* refused: said why */
		}
		left = (long long)s->retry * 1000 - (ms_now() - t0);
		if (left <= 0) {
			s->quiet = 0;
			return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
					   "the console service is gone "
					   "(retried %u s, %u tries)", s->retry,
					   tries);
		}
		wait = psctl_con_retry_wait(wait, ms_now() - t0);
		/* (the last try at --retry's end, not past it) */
		poll(NULL, 0, (int)(wait < left ? wait : left));
	}
}

/* Shows every whole frame in s->in, then writes what the terminal takes
 * now: one write per read, not per frame (the client's share of a
 * viewer's CPU).  The last con_frame_parse result: -1 on bytes that are
 * no frame. */
static int show_all(struct sess *s)
{
	struct con_frame f;
	size_t at = 0;
	int n;

	while ((n = con_frame_parse(s->in + at, s->in_len - at, 0, &f)) > 0) {
		list_reply(s, &f);
		at += (size_t)n;
	}
	consume(s, at);
	if (!s->out)
		psctl_con_tty_flush(s, 0);
	return n;
}

/* The session's loop: the socket is read at every turn whatever the
 * terminal's pace (ACKs come in it: the keyboard waits on them), output
 * waits in the terminal's queue (psctl_console_tty.c). */
static int session(struct sess *s)
{
	struct pollfd pf[3] = { { 0, POLLIN, 0 }, { s->fd, POLLIN, 0 },
				{ -1, POLLOUT, 0 } };
	struct termios old, raw;
	int tty = isatty(0) && tcgetattr(0, &old) == 0;
	uint8_t b[4096];
	ssize_t r;
	int n, rc = 0;

	if (tty) {
		raw = old;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		fputs("[console: attached; ^Ec? for help]\r\n", stderr);
	}
	fflush(stdout);
	psctl_con_tty_nonblock(s, 1);
	/* Frames that came with the last reply (the backlog) first. */
	n = show_all(s);
	while (!s->done && n >= 0) {
		pf[1].fd = s->fd;
		/* Input waits while the keep for resends is full. */
		pf[0].events = s->kept_len < RESEND_MAX ? POLLIN : 0;
		pf[2].fd = s->tq_len ? 1 : -1;
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			break;
		if (pf[2].revents && psctl_con_tty_flush(s, 0))
			break; /* the terminal is gone */
		if (pf[0].revents) {
			/* no more than the keep takes: a byte typed is
			 * never dropped (psctl_con_type) */
			r = read(0, b, s->ver >= 2 && s->stream &&
				 RESEND_MAX - s->kept_len < sizeof b
				 ? RESEND_MAX - s->kept_len : sizeof b);
			if (r > 0)
				keys(s, b, (size_t)r);
			else
				pf[0].fd = -1; /* stdin ended: keep showing */
		}
		if (!pf[1].revents)
			continue;
		r = read(s->fd, s->in + s->in_len, sizeof s->in - s->in_len);
		if (r <= 0 && (r == 0 || errno != EINTR)) {
			if (s->ver < 2 || s->stopped ||
			    (rc = reconnect(s)) != 0)
				break;
			r = 0;
		}
		s->in_len += (size_t)(r > 0 ? r : 0);
		n = show_all(s); /* (after a reconnect: what it brought) */
	}
	psctl_con_tty_nonblock(s, 0);
	psctl_con_tty_flush(s, 1);
	if (tty)
		tcsetattr(0, TCSANOW, &old);
	if (s->done)
		psctl_con_send(s->fd, CON_DETACH, NULL, 0);
	if (s->done || rc)
		return rc;
	return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
			   "the console service ended the session");
}

int psctl_con_attach(struct sess *s, const char *vm, const char *port,
		     unsigned how)
{
	struct find fd = { vm, port, 0, 0 };
	uint8_t b[CON_ATTACH_V2 + CON_NAME_MAX];
	int rc = each_port(s, find_fn, &fd);

	if (rc)
		return rc;
	if (!fd.n)
		return psctl_error(s->c, CMD, NULL, port ? port : vm,
				   PSCTL_EXIT_NOTFOUND, "no console port of "
				   "that VM, host name or number");
	s->how = how;
	s->conc = fd.conc;
	s->kept = malloc(RESEND_MAX);
	if (!s->kept || getrandom(&s->stream, sizeof s->stream, 0) !=
	    sizeof s->stream)
		s->stream = 0; /* input then goes unnumbered */
	return psctl_con_ask(s, CON_ATTACH, b, attach_req(s, b));
}

static int attach(struct sess *s, const char *vm, const char *port,
		  int spy, int force, int mode)
{
	uint8_t m = (uint8_t)mode;
	int rc = psctl_con_attach(s, vm, port, spy ? CON_SPY : CON_RW);

	if (!rc && force)
		rc = psctl_con_ask(s, CON_FORCE, NULL, 0);
	if (!rc && mode >= 0)
		rc = psctl_con_ask(s, CON_MODE, &m, 1);
	return rc ? rc : session(s);
}

static int cmd_console(struct psctl_ctx *c, int argc, char **argv)
{
	struct sess *s = calloc(1, sizeof *s);
	struct con_web_opts web = { .port = 0 };
	const char *sock = NULL, *pos[2] = { NULL, NULL };
	int i, np = 0, spy = 0, force = 0, mode = -1, rc;
	uint8_t m;

	if (!s)
		return psctl_error(c, CMD, NULL, NULL, PS_ERR_NOMEM, NULL);
	s->c = c;
	s->fd = -1;
	s->retry = 30;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--retry") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || end == argv[i] || v > 86400) {
				free(s);
				return psctl_error(c, CMD, "retry", argv[i],
						   PSCTL_EXIT_INVALID, "seconds, "
						   "0-86400");
			}
			s->retry = (unsigned)v;
		} else if (!strcmp(argv[i], "--ca") && i + 1 < argc) {
			web.ca = argv[++i];
		} else if (!strcmp(argv[i], "--insecure")) {
			web.insecure = 1;
		} else if (!strcmp(argv[i], "--console-port") && i + 1 < argc) {
			if (psctl_con_web_port(c, argv[++i], &web.port)) {
				free(s);
				return PSCTL_EXIT_INVALID;
			}
		} else if (!strcmp(argv[i], "--spy")) {
			spy = 1;
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			if (ps_parse_enum(argv[i + 1], strlen(argv[i + 1]),
					  ps_enum_serial_mode, &m, NULL)) {
				free(s);
				return psctl_error(c, CMD, "mode", argv[i + 1],
						   PSCTL_EXIT_INVALID, "free, "
						   "observer or privacy");
			}
			mode = m;
			i++;
		} else if (argv[i][0] != '-' && np < 2) {
			pos[np++] = argv[i];
		} else {
			free(s);
			return psctl_error(c, CMD, NULL, argv[i],
					   PSCTL_EXIT_USAGE, "usage: console "
					   "list [--json] | console VM [PORT] "
					   "[--spy] [--force] [--mode M] "
					   "[--retry S] [--socket PATH]");
		}
	}
	if (!pos[0]) {
		free(s);
		return psctl_error(c, CMD, NULL, NULL, PSCTL_EXIT_USAGE,
				   "a VM, host name or port, or 'list'");
	}
	rc = c->bmc ? psctl_con_web_opts(c, s, &web) : web.port || web.insecure ||
	     web.ca ? psctl_error(c, CMD, NULL, NULL, PSCTL_EXIT_USAGE,
				  "--console-port, --insecure and --ca go "
				  "with --bmc") : 0;
	if (!rc)
		rc = psctl_con_connect(s, sock);
	if (!rc)
		rc = !strcmp(pos[0], "list") && !pos[1]
		     ? cmd_list(s) : attach(s, pos[0], pos[1], spy, force, mode);
	psctl_con_web_close(s);
	if (s->fd >= 0)
		close(s->fd);
	free(s->kept);
	free(s->tq);
	free(s);
	return rc;
}

int psctl_cmd_console(struct psctl_ctx *c, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec"))
		return psctl_cmd_console_exec(c, argc - 1, argv + 1);
	return cmd_console(c, argc, argv);
}
