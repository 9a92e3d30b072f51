/*
 * con_client.c - client sessions of the console service: accept with the
 * peer's uid (SO_PEERCRED), requests of the protocol (con_proto.h,
 * docs/console.md), decisions by con_allow / con_role (con_core.c), and
 * the bounded output queue that skips ahead for a slow viewer.
 */
#define _GNU_SOURCE /* struct ucred, getgrouplist */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "con_svc.h"
#include "psf_schema.h"

/* Control frames (replies, notices) may pass a full data queue by this
 * much; a session past it is cut off: it is not reading at all. */
#define CTRL_SLACK (64u * 1024u)
#define DATA_CHUNK (CON_PAYLOAD_MAX - 8u) /* whole frames: fewer writes */

/* ------------------------------------------------------------ queues */

int con_queue_put(struct con_queue *q, const void *p, size_t n, size_t max)
{
	if (!n)
		return 0;
	if (q->len + n > max)
		return -1;
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		uint8_t *nb;

		while (cap < q->len + n)
			cap *= 2;
		nb = realloc(q->buf, cap);
		if (!nb)
			return -1;
		q->buf = nb;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
	return 0;
}

void con_queue_drop(struct con_queue *q, size_t n)
{
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
}

/* ------------------------------------------------------------ output */

static void flush(struct con_svc *s, struct con_client *c)
{
	ssize_t w;

	while (c->out.len && !c->dead) {
		w = send(c->h.fd, c->out.buf, c->out.len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = 1;
			break;
		}
		con_queue_drop(&c->out, (size_t)w);
	}
	if (!c->dead)
		con_watch(s, &c->h, c->out.len > 0);
}

/* One frame from two parts (a header field block and a body). */
static void frame(struct con_svc *s, struct con_client *c, uint8_t type,
		  const void *a, size_t an, const void *b, size_t bn)
{
	uint8_t h[CON_HDR];
	size_t max = s->queue_max + CTRL_SLACK;

	if (c->dead)
		return;
	con_frame_hdr(h, type, an + bn);
	if (con_queue_put(&c->out, h, sizeof h, max) ||
	    con_queue_put(&c->out, a, an, max) ||
	    con_queue_put(&c->out, b, bn, max)) {
		con_log("client uid %u: not reading, cut off", c->uid);
		c->dead = 1;
	}
}

static void refuse(struct con_svc *s, struct con_client *c, uint8_t req,
		   unsigned code, const char *text)
{
	uint8_t a[2] = { req, (uint8_t)code };

	frame(s, c, CON_R_ERROR, a, 2, text, strlen(text));
}

static void ok(struct con_svc *s, struct con_client *c, uint8_t req)
{
	frame(s, c, CON_R_OK, &req, 1, NULL, 0);
}

/* Guest output from the ring while the queue has room; a session that
 * fell behind the ring gets a SKIP frame and goes on from its start. */
void con_client_pump(struct con_svc *s, struct con_client *c)
{
	struct con_port *p = c->port;
	uint8_t b[8 + DATA_CHUNK];
	uint64_t first;
	size_t n;

	if (!p || c->dead)
		return;
again:
	first = con_ring_first(&p->ring);
	if (c->sent < first) {
		c->skipped += first - c->sent;
		if (!c->skipped || c->sent < c->skip_from)
			c->skip_from = c->sent;
		c->sent = first;
	}
	if (c->skipped && c->out.len + 19 <= s->queue_max) {
		con_put64(b, c->skip_from);
		con_put64(b + 8, c->skipped);
		frame(s, c, CON_R_SKIP, b, 16, NULL, 0);
		c->skipped = 0;
	}
	while (!c->skipped && c->sent < p->ring.total &&
	       c->out.len + CON_HDR + 8 + DATA_CHUNK <= s->queue_max) {
		con_put64(b, c->sent);
		n = con_ring_read(&p->ring, &c->sent, b + 8, DATA_CHUNK);
		frame(s, c, CON_R_DATA, b, 8 + n, NULL, 0);
	}
	/* Skipped bytes are counted from here while the queue stays full. */
	if (!c->skipped)
		c->skip_from = c->sent;
	flush(s, c);
	/* All sent at once and more is waiting (a backlog larger than the
	 * queue): no EPOLLOUT will come, so fill again now. */
	if (!c->dead && !c->out.len && c->sent < p->ring.total)
		goto again;
}

void con_notice(struct con_svc *s, struct con_port *p, unsigned kind,
		const char *fmt, ...)
{
	struct con_client *c;
	char text[512];
	uint8_t k = (uint8_t)kind;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	for (c = s->clients; c; c = c->next)
		if (c->port == p) {
			frame(s, c, CON_R_NOTICE, &k, 1, text, strlen(text));
			flush(s, c);
		}
}

/* ------------------------------------------------------------ sessions */

static int in_admin_group(struct con_svc *s, uid_t uid, gid_t gid)
{
	struct passwd *pw;
	gid_t g[256];
	int n = 256, i;

	if (!s->have_admin_gid)
		return 0;
	if (gid == s->admin_gid)
		return 1;
	pw = getpwuid(uid);
	if (!pw || getgrouplist(pw->pw_name, gid, g, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (g[i] == s->admin_gid)
			return 1;
	return 0;
}

int con_client_adopt(struct con_svc *s, int fd, uint32_t uid, int role)
{
	struct con_client *c = calloc(1, sizeof *c);

	if (!c)
		return -1;
	c->h = (struct con_handle){ CON_K_CLIENT, fd, c, 0 };
	c->stream = -1;
	c->uid = uid;
	c->role = role;
	c->next = s->clients;
	s->clients = c;
	con_watch(s, &c->h, 0);
	return 0;
}

void con_client_accept(struct con_svc *s)
{
	struct ucred cr;
	socklen_t l = sizeof cr;
	int fd = accept4(s->lis.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) ||
	    con_client_adopt(s, fd, cr.uid, con_role(cr.uid, s->uid,
			     in_admin_group(s, cr.uid, cr.gid))))
		close(fd);
}

static void set_writer(struct con_svc *s, struct con_port *p,
		       struct con_client *w, const char *why)
{
	if (p->writer == w)
		return;
	p->writer = w;
	if (w)
		con_log("port %u (%s): uid %u is the writer (%s)", p->conc,
			p->host, w->uid, why);
	con_notice(s, p, CON_N_WRITER, w ? "writer: uid %u (%s)"
		   : "no writer%.0u (%s)", w ? w->uid : 0, why);
}

void con_client_detach(struct con_svc *s, struct con_client *c)
{
	struct con_port *p = c->port;

	if (!p)
		return;
	c->port = NULL;
	c->stream = -1;
	con_log("port %u (%s): uid %u detached", p->conc, p->host, c->uid);
	if (p->writer == c)
		set_writer(s, p, NULL, "the writer left");
	con_notice(s, p, CON_N_USER, "uid %u detached", c->uid);
}

/* The rules' view of port p for session c. */
static struct con_view view_of(const struct con_svc *s,
			       const struct con_port *p,
			       const struct con_client *c, unsigned how)
{
	struct con_view v = { .mode = p->mode, .role = c->role, .how = how };
	const struct con_client *o;

	for (o = s->clients; o; o = o->next)
		if (o->port == p && o != c)
			v.others++;
	v.writer = !p->writer ? -1 : p->writer == c;
	return v;
}

static void do_attach(struct con_svc *s, struct con_client *c,
		      const struct con_frame *f)
{
	struct con_attach a;
	struct con_attach_ok ok;
	struct con_port *p;
	struct con_view v;
	const char *why;
	uint8_t r[CON_ATTACH_OK_V2];
	uint64_t lost;
	int code, resumed;

	if (con_decode_attach(f, c->ver, &a, &why))
		return refuse(s, c, f->type, CON_E_PROTO, why);
	p = con_port_find(s, a.conc ? NULL : a.target, a.conc);
	if (!p)
		return refuse(s, c, f->type, CON_E_NOPORT, "no such port "
			      "(host name or concentrator port)");
	if (c->port && c->port != p)
		con_client_detach(s, c);
	v = view_of(s, p, c, a.how);
	code = con_allow(&v, CON_ACT_ATTACH, &why);
	if (code)
		return refuse(s, c, f->type, (unsigned)code, why);
	c->port = p;
	c->how = a.how;
	c->skipped = 0;
	/* A resuming viewer gets exactly the rest of its stream; what the
	 * ring no longer holds is told as a SKIP by the pump. */
	c->sent = con_resume_from(&p->ring, p->k->epoch, a.epoch, a.from,
				  &lost, &resumed);
	c->skip_from = c->sent;
	c->stream = con_stream_slot(p, a.stream, s->clients);
	c->acked = c->stream >= 0 ? p->k->in[c->stream].written : 0;
	con_log("port %u (%s): uid %u attached %s%s", p->conc, p->host,
		c->uid, a.how == CON_SPY ? "as a spy" : "read-write",
		resumed ? " (resuming)" : "");
	if (lost)
		con_log("port %u (%s): uid %u resumes at %llu: %llu bytes "
			"no longer in the backlog", p->conc, p->host, c->uid,
			(unsigned long long)a.from, (unsigned long long)lost);
	ok = (struct con_attach_ok){
		.conc = p->conc, .mode = p->mode, .how = a.how,
		.guest = p->guest.fd >= 0, .first = con_ring_first(&p->ring),
		.total = p->ring.total, .epoch = p->k->epoch, .start = c->sent,
		.written = c->acked,
	};
	frame(s, c, CON_R_OK, r, con_encode_attach_ok(&ok, c->ver, r), NULL,
	      0);
	con_notice(s, p, CON_N_USER, "uid %u attached %s", c->uid,
		   a.how == CON_SPY ? "spy" : "rw");
	if (p->mode != PSF_SERIAL_MODE_FREE && !p->writer && a.how == CON_RW)
		set_writer(s, p, c, "first read-write user");
	con_client_pump(s, c);
}

/* The rules for act by attached session c (new_mode for CON_ACT_MODE);
 * refuses in c's name and returns -1 when it is not allowed. */
static int allowed(struct con_svc *s, struct con_client *c,
		   const struct con_frame *f, enum con_act act,
		   unsigned new_mode)
{
	struct con_view v;
	const char *why;
	int code;

	if (!c->port) {
		refuse(s, c, f->type, CON_E_PROTO, "not attached");
		return -1;
	}
	v = view_of(s, c->port, c, c->how);
	v.new_mode = new_mode;
	code = con_allow(&v, act, &why);
	if (code)
		refuse(s, c, f->type, (unsigned)code, why);
	return code ? -1 : 0;
}

/* Refused input is done with too: its offsets are passed (acked once
 * the stream's earlier bytes are written), never resent. */
static void input_refused(struct con_svc *s, struct con_client *c, size_t n)
{
	if (!c->port || c->stream < 0)
		return;
	c->port->accepted[c->stream] += n;
	con_stream_settle(c->port, c->stream);
	con_client_acks(s, c->port);
}

/* Input of a numbered stream: bytes it already sent (a resend after a
 * reconnect) are dropped, so each reaches the guest once. */
static void do_input(struct con_svc *s, struct con_client *c,
		     const struct con_frame *f)
{
	struct con_port *p = c->port;
	const uint8_t *b;
	const char *why;
	uint64_t off;
	long long drop = 0;
	size_t n;

	if (con_decode_input(f, c->ver, &off, &b, &n, &why))
		return refuse(s, c, f->type, CON_E_PROTO, why);
	if (p && c->stream >= 0) {
		drop = con_seq_take(p->accepted[c->stream], off, n);
		if (drop < 0)
			return refuse(s, c, f->type, CON_E_PROTO, "input: "
				      "bytes before this offset are missing "
				      "(resend from the last ack)");
		if ((size_t)drop == n)
			return con_client_acks(s, p);
	}
	b += drop;
	n -= (size_t)drop;
	if (allowed(s, c, f, CON_ACT_INPUT, 0))
		return input_refused(s, c, n);
	if (p->mode != PSF_SERIAL_MODE_FREE && !p->writer)
		set_writer(s, p, c, "typed first");
	if (con_guest_write(s, p, b, n, c->stream)) {
		refuse(s, c, f->type, CON_E_GUEST, p->guest.fd < 0
		       ? "no guest connected to the port"
		       : "the guest is not reading its input");
		return input_refused(s, c, n);
	}
	if (p->last_input_uid != c->uid) {
		p->last_input_uid = c->uid;
		con_log("port %u (%s): uid %u writes", p->conc, p->host,
			c->uid);
	}
}

static void do_force(struct con_svc *s, struct con_client *c,
		     const struct con_frame *f)
{
	if (allowed(s, c, f, CON_ACT_FORCE, 0))
		return;
	set_writer(s, c->port, c, "forced");
	ok(s, c, f->type);
}

static void do_mode(struct con_svc *s, struct con_client *c,
		    const struct con_frame *f)
{
	struct con_port *p = c->port;
	const char *why;
	unsigned mode;

	if (con_decode_mode(f, &mode, &why))
		return refuse(s, c, f->type, CON_E_PROTO, why);
	if (allowed(s, c, f, CON_ACT_MODE, mode))
		return;
	con_log("port %u (%s): uid %u sets mode %s (was %s)", p->conc,
		p->host, c->uid, con_mode_name(mode), con_mode_name(p->mode));
	p->mode = p->k->mode = mode;
	ok(s, c, f->type);
	con_notice(s, p, CON_N_MODE, "mode %s (set by uid %u)",
		   con_mode_name(mode), c->uid);
	if (mode == PSF_SERIAL_MODE_FREE)
		set_writer(s, p, NULL, "free mode");
	else if (c->how == CON_RW && !p->writer)
		set_writer(s, p, c, "set the mode");
}

static void do_list(struct con_svc *s, struct con_client *c,
		    const struct con_frame *f)
{
	static struct con_port_info pi;
	static uint8_t b[CON_PAYLOAD_MAX];
	struct con_port *p;

	for (p = s->ports; p; p = p->next) {
		con_port_info(p, s, &pi);
		frame(s, c, CON_R_PORT, b, con_encode_port(&pi, b), NULL, 0);
	}
	frame(s, c, CON_R_END, &f->type, 1, NULL, 0);
}

static void do_reload(struct con_svc *s, struct con_client *c,
		      const struct con_frame *f)
{
	struct con_view v = { .role = c->role };
	const char *why;
	char err[512];
	int code = con_allow(&v, CON_ACT_RELOAD, &why);

	if (code)
		return refuse(s, c, f->type, (unsigned)code, why);
	con_log("uid %u asks for a reload", c->uid);
	if (con_reload(s, err, sizeof err))
		return refuse(s, c, f->type, CON_E_STORE, err);
	ok(s, c, f->type);
}

static void do_migrate(struct con_svc *s, struct con_client *c,
		       const struct con_frame *f)
{
	struct con_migrate m;
	uint8_t r[CON_MIGRATE_OK];
	const char *why;
	int code;

	if (c->ver < 2)
		return refuse(s, c, f->type, CON_E_PROTO,
			      "migrate: protocol version 2 only");
	if (con_decode_migrate(f, &m, &why))
		return refuse(s, c, f->type, CON_E_PROTO, why);
	code = con_mig_request(s, c, &m, r, &why);
	if (code)
		return refuse(s, c, f->type, (unsigned)code, why);
	frame(s, c, CON_R_OK, r, sizeof r, NULL, 0);
}

static void request(struct con_svc *s, struct con_client *c,
		    const struct con_frame *f)
{
	unsigned ver;
	const char *why;
	uint8_t r[6];

	if (!c->hello) {
		if (con_decode_hello(f, &ver, &why))
			return refuse(s, c, f->type, CON_E_PROTO, why);
		if (ver < CON_VERSION_MIN)
			return refuse(s, c, f->type, CON_E_VERSION,
				      "protocol versions 1 and 2 served");
		/* A newer client is answered with the newest we speak. */
		c->ver = ver < CON_VERSION ? ver : CON_VERSION;
		c->hello = 1;
		r[0] = (uint8_t)c->ver;
		con_put32(r + 1, c->uid);
		r[5] = (uint8_t)c->role;
		return frame(s, c, CON_R_HELLO, r, sizeof r, NULL, 0);
	}
	switch (f->type) {
	case CON_ATTACH: return do_attach(s, c, f);
	case CON_DETACH:
		if (!c->port)
			return refuse(s, c, f->type, CON_E_PROTO,
				      "not attached");
		con_client_detach(s, c);
		return ok(s, c, f->type);
	case CON_INPUT: return do_input(s, c, f);
	case CON_FORCE: return do_force(s, c, f);
	case CON_MODE: return do_mode(s, c, f);
	case CON_LIST: return do_list(s, c, f);
	case CON_RELOAD: return do_reload(s, c, f);
	case CON_MIGRATE: return do_migrate(s, c, f);
	}
	refuse(s, c, f->type, CON_E_PROTO, "hello was already sent");
}

/* Frames in c->in; a byte stream that is no frame is refused and the
 * session closed (nothing after it can be trusted to be aligned). */
static void parse_in(struct con_svc *s, struct con_client *c)
{
	struct con_frame f;
	size_t at = 0;
	int n = 0;

	while (!c->dead &&
	       (n = con_frame_parse(c->in + at, c->in_len - at, 1, &f)) > 0) {
		request(s, c, &f);
		at += (size_t)n;
	}
	if (n < 0 && !c->dead) {
		uint8_t t = c->in[at];

		refuse(s, c, t, CON_E_PROTO, "not a frame: unknown type or "
		       "length over 8192");
		flush(s, c);
		c->dead = 1;
	}
	memmove(c->in, c->in + at, c->in_len - at);
	c->in_len -= at;
}

void con_client_event(struct con_svc *s, struct con_client *c, uint32_t ev)
{
	ssize_t r;

	if (ev & EPOLLOUT)
		con_client_pump(s, c);
	if (c->port == NULL)
		flush(s, c);
	while (!c->dead && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		r = recv(c->h.fd, c->in + c->in_len,
			 sizeof c->in - c->in_len, 0);
		if (r > 0) {
			c->in_len += (size_t)r;
			parse_in(s, c);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		c->dead = 1;
	}
	if (!c->dead)
		flush(s, c);
}

/* Tells each v2 session of p whose input stream moved how far its input
 * reached the guest (it forgets what it kept for a resend up to there). */
void con_client_acks(struct con_svc *s, struct con_port *p)
{
	struct con_client *c;
	uint8_t b[8];

	for (c = s->clients; c; c = c->next)
		if (c->port == p && c->stream >= 0 && c->ver >= 2 &&
		    c->acked != p->k->in[c->stream].written) {
			c->acked = p->k->in[c->stream].written;
			con_put64(b, c->acked);
			frame(s, c, CON_R_ACK, b, 8, NULL, 0);
			flush(s, c);
		}
}

/* A stop (not a restart): every session is told, so clients do not
 * wait for the service to come back. */
void con_clients_bye(struct con_svc *s)
{
	static const char text[] = "the console service is stopping";
	struct con_client *c;
	uint8_t k = CON_N_STOP;

	for (c = s->clients; c; c = c->next) {
		frame(s, c, CON_R_NOTICE, &k, 1, text, sizeof text - 1);
		flush(s, c);
	}
}

void con_client_reap(struct con_svc *s)
{
	struct con_client **pp = &s->clients, *c;

	while ((c = *pp)) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		con_client_detach(s, c);
		*pp = c->next;
		con_unwatch(s, &c->h);
		free(c->out.buf);
		free(c);
	}
}
