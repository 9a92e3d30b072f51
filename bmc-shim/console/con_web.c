/*
 * con_web.c - the console web page (con_web.h, docs/console.md "The web
 * page"): libwebsockets in a thread of pscon serves the page's files,
 * /api (con_web_api.c) and a WebSocket per console.  A console WebSocket is bridged to one session of the console
 * core over a socketpair (a "link"): the web thread speaks the client
 * protocol on its end, the main loop adopts the other end with the web
 * user's uid and role.  The core does the rest (modes, privileges,
 * replay, skip markers); a slow browser stops its link being read, so the
 * core's bounded queue for it fills and skips ahead, as for any viewer.
 */
#define _GNU_SOURCE /* pipe2, getpwuid_r */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libwebsockets.h>

#include "con_svc.h"
#include "con_web_lws.h"
#include "con_wq.h"

#define WQ_HIGH (64u * 1024u)        /* queued for a browser: stop reading;
					past CON_WQ_MAX: cut it off */
#define LIST_EVERY (1000 * LWS_US_PER_MS)
#define STOP_DRAIN (1000 * LWS_US_PER_MS) /* a stop: the notices' time */
#define WS_PATH "/ws/console/"

/* One protocol session with the core. */
struct link {
	int open;
	int fd;                         /* our end of the socketpair   */
	struct lws *raw;                /* its adopted wsi             */
	struct lws *ws;                 /* the browser; NULL: the list */
	uint8_t in[CON_HDR + CON_PAYLOAD_MAX];
	size_t in_len;
	struct con_wq q;                /* for the browser (con_wq.h)  */
	int paused;                     /* not reading: browser slow   */
	int closing;                    /* close the browser when sent */
	int attached;                   /* next and in_next are known  */
	uint64_t next;                  /* output offset after the last
					   byte sent to the browser     */
	uint64_t in_next;               /* input offset for bytes the
					   browser did not number       */
};

/* What the web thread hands the main loop: an fd and who it is. */
struct handoff {
	int fd;
	uint32_t uid;
	int role;
};

static struct {
	struct con_web_opts o;
	struct lws_context *ctx;
	pthread_t th;
	int started;
	atomic_int stop;
	int pipe_w;
	struct con_handle h;            /* the pipe's read end (main)   */
	struct link list;               /* LIST every second            */
	json_object *building;          /* the list being read          */
	char *ports;                    /* the last one, JSON           */
	lws_sorted_usec_list_t sul;
	int consoles;                   /* console WebSockets open      */
	int drained;                    /* a stop's STOP_DRAIN is over  */
} W;

const char *cw_users_file(void)
{
	return W.o.users;
}

const char *cw_ports_json(void)
{
	return W.ports ? W.ports : "[]";
}

/* ------------------------------------------------------------ links */

static int link_send(struct link *l, uint8_t type, const void *p, size_t n)
{
	uint8_t b[CON_HDR + CON_PAYLOAD_MAX];

	if (!l->open || l->fd < 0 || n > CON_PAYLOAD_MAX)
		return -1;
	con_frame_hdr(b, type, n);
	if (n)
		memcpy(b + CON_HDR, p, n);
	/* The core reads its sessions at once: a full socketpair means it
	 * is gone or this browser floods it; either way the request fails. */
	return write(l->fd, b, CON_HDR + n) == (ssize_t)(CON_HDR + n) ? 0 : -1;
}

/* A new session of the core for uid/role; -1 when it cannot be made. */
static int link_open(struct link *l, struct lws *ws, uint32_t uid, int role)
{
	struct lws_vhost *vh = lws_get_vhost_by_name(W.ctx, "default");
	lws_sock_file_fd_type u;
	struct handoff h;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		return -1;
	h = (struct handoff){ sv[1], uid, role };
	if (write(W.pipe_w, &h, sizeof h) != (ssize_t)sizeof h) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	l->fd = sv[0];
	l->ws = ws;
	u.filefd = sv[0];
	l->raw = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, u,
					    "pscon-link", NULL);
	if (!l->raw) { /* lws closed sv[0]; the core sees the end */
		l->fd = -1;
		return -1;
	}
	lws_set_opaque_user_data(l->raw, l);
	l->open = 1;
	/* Protocol v2: the page keeps the epoch, its output offset and
	 * its input stream, and resumes after a restart of the service
	 * (docs/console.md, "The web page"). */
	return link_send(l, CON_HELLO, (uint8_t[]){ CON_VERSION }, 1);
}

static void link_close(struct link *l)
{
	con_wq_clear(&l->q);
	if (l->raw) {
		/* The core sees the end; lws closes the wsi (and the fd). */
		lws_set_opaque_user_data(l->raw, NULL);
		shutdown(l->fd, SHUT_RDWR);
		lws_set_timeout(l->raw, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
		l->raw = NULL;
	}
	l->open = 0;
	l->fd = -1;
}

/* The core's output stops at WQ_HIGH (the link is not read); only
 * answers to the browser's own messages pass it: a browser that sends
 * without reading breaks the queue at CON_WQ_MAX and is cut off, as is
 * one whose message finds no memory (a byte left out would shift the
 * page's offsets). */
static void queue(struct link *l, int binary, const void *p, size_t n)
{
	if (!l->ws)
		return;
	con_wq_put(&l->q, binary, p, n);
	lws_callback_on_writable(l->ws);
}

static void queue_json(struct link *l, json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	queue(l, 0, s, strlen(s));
	json_object_put(o);
}

/* {"type":"error","request":REQ,"code":CODE,"text":TEXT} made here. */
static void queue_error(struct link *l, const char *req, const char *code,
			const char *text)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(o, "request", json_object_new_string(req));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "text", json_object_new_string(text));
	queue_json(l, o);
}

/* ------------------------------------------------------------ the list */

/* A user's name: a web user's from the sessions, a local one's from
 * the password database; NULL when unknown. */
static json_object *uid_name(uint32_t uid)
{
	char buf[1024];
	struct passwd pw, *r = NULL;
	const char *n = cw_uid_name(uid);

	if (!n && uid < CW_UID_BASE &&
	    !getpwuid_r(uid, &pw, buf, sizeof buf, &r) && r)
		n = r->pw_name;
	return n ? json_object_new_string(n) : NULL;
}

static void list_port(const struct con_frame *f)
{
	static struct con_port_info pi;
	char fault[sizeof pi.fault];
	json_object *o, *users, *u;
	unsigned i;

	if (!W.building || con_decode_port(f, &pi))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "hostname", json_object_new_string(pi.host));
	json_object_object_add(o, "vm", json_object_new_string(pi.vm));
	json_object_object_add(o, "concentrator",
			       json_object_new_int((int)pi.conc));
	json_object_object_add(o, "mode", json_object_new_string(
		con_mode_name(pi.mode) ? con_mode_name(pi.mode) : "?"));
	json_object_object_add(o, "guest", json_object_new_boolean((int)pi.guest));
	json_object_object_add(o, "output_bytes",
			       json_object_new_int64((int64_t)pi.out_total));
	json_object_object_add(o, "writer", pi.writer == CON_NOBODY ? NULL
			       : json_object_new_int64(pi.writer));
	json_object_object_add(o, "writer_name", pi.writer == CON_NOBODY
			       ? NULL : uid_name(pi.writer));
	users = json_object_new_array();
	for (i = 0; i < pi.nusers; i++) {
		u = json_object_new_object();
		json_object_object_add(u, "uid", json_object_new_int64(pi.uid[i]));
		json_object_object_add(u, "name", uid_name(pi.uid[i]));
		json_object_object_add(u, "access", json_object_new_string(
			pi.how[i] == CON_SPY ? "spy" : "rw"));
		json_object_array_add(users, u);
	}
	json_object_object_add(o, "users", users);
	json_object_object_add(o, "faults", json_object_new_int((int)pi.faults));
	cw_ascii(pi.fault, strlen(pi.fault), fault, sizeof fault);
	json_object_object_add(o, "last_fault", pi.fault[0]
			       ? json_object_new_string(fault) : NULL);
	json_object_object_add(o, "store", pi.store[0]
			       ? json_object_new_string(pi.store) : NULL);
	json_object_object_add(o, "leaving", json_object_new_boolean(
		!!(pi.flags & CON_PORT_LEAVING)));
	users = json_object_new_array();
	for (i = 0; i < pi.nclaims; i++) {
		u = json_object_new_object();
		json_object_object_add(u, "kind", json_object_new_string(
			pi.claim[i].kind == CON_CLAIM_MOVE ? "move" : "clash"));
		json_object_object_add(u, "store",
				       json_object_new_string(pi.claim[i].store));
		json_object_object_add(u, "vm",
				       json_object_new_string(pi.claim[i].vm));
		json_object_array_add(users, u);
	}
	json_object_object_add(o, "claims", users);
	json_object_array_add(W.building, o);
}

static void list_end(void)
{
	const char *s;

	if (!W.building)
		return;
	s = json_object_to_json_string_ext(W.building, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	free(W.ports);
	W.ports = strdup(s);
	json_object_put(W.building);
	W.building = NULL;
}

/* Every second: ask the core for its ports (a session of its own, as an
 * operator: it only lists). */
static void list_tick(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	if (!W.list.open)
		link_open(&W.list, NULL, CW_UID_BASE, CON_ROLE_OPERATOR);
	if (W.list.open && !W.building) {
		W.building = json_object_new_array();
		if (link_send(&W.list, CON_LIST, NULL, 0)) {
			json_object_put(W.building);
			W.building = NULL;
		}
	}
	lws_sul_schedule(W.ctx, 0, &W.sul, list_tick, LIST_EVERY);
}

/* ------------------------------------------------------------ from the core */

/* {"type":"skip","offset":FROM,"count":N} made here. */
static void queue_skip(struct link *l, uint64_t from, uint64_t n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("skip"));
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)from));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	queue_json(l, o);
}

/* Guest output: the binary messages are the stream from the attach's
 * `start` without a hole, so the page counts offsets; bytes it had are
 * dropped, and a hole the core did not announce is told as a skip. */
static void on_data(struct link *l, const struct con_frame *f)
{
	uint64_t off = con_get64(f->p);
	size_t n = f->len - 8u;
	long long drop = con_seq_take(l->next, off, n);

	if (drop < 0) {
		queue_skip(l, l->next, off - l->next);
		l->next = off;
		drop = 0;
	}
	if ((size_t)drop < n)
		queue(l, 1, f->p + 8 + drop, n - (size_t)drop);
	l->next = off + n > l->next ? off + n : l->next;
}

/* What the page's offsets follow from: the attach, the skips. */
static void track(struct link *l, const struct con_frame *f)
{
	struct con_attach_ok a;

	if (!con_decode_attach_ok(f, CON_VERSION, &a)) {
		l->attached = 1;
		l->next = a.start;
		l->in_next = a.written;
	} else if (f->type == CON_R_SKIP && f->len == 16) {
		l->next = con_get64(f->p) + con_get64(f->p + 8);
	}
}

static void on_frame(struct link *l, const struct con_frame *f)
{
	char js[CW_JSON_MAX];
	size_t n;

	if (!l->ws) { /* the list link */
		if (f->type == CON_R_PORT)
			list_port(f);
		else if (f->type == CON_R_END || f->type == CON_R_ERROR)
			list_end();
		return;
	}
	if (f->type == CON_R_DATA) {
		if (f->len > 8 && l->attached)
			on_data(l, f);
		return;
	}
	track(l, f);
	n = cw_frame_json(f, js, sizeof js);
	if (n)
		queue(l, 0, js, n);
	/* A refused attach, a removed port or a stop ends the console. */
	if ((f->type == CON_R_ERROR && f->len >= 1 && f->p[0] == CON_ATTACH) ||
	    (f->type == CON_R_NOTICE && f->len >= 1 &&
	     (f->p[0] == CON_N_GONE || f->p[0] == CON_N_STOP)))
		l->closing = 1;
}

/* The link's wsi is closing (lws closes the fd): its browser, if any,
 * is closed once what is queued for it is sent. */
static void link_ended(struct link *l)
{
	l->open = 0;
	l->raw = NULL;
	l->fd = -1;
	if (l->ws) {
		l->closing = 1;
		lws_callback_on_writable(l->ws);
	}
}

/* The core's bytes for link l; -1 closes the link. */
static int link_read(struct link *l)
{
	struct con_frame f;
	size_t at = 0;
	ssize_t r;
	int n = 0;

	r = read(l->fd, l->in + l->in_len, sizeof l->in - l->in_len);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) { /* the core ended the session */
		link_ended(l);
		return -1;
	}
	l->in_len += (size_t)r;
	while ((n = con_frame_parse(l->in + at, l->in_len - at, 0, &f)) > 0) {
		on_frame(l, &f);
		at += (size_t)n;
	}
	if (n < 0)
		return -1;
	memmove(l->in, l->in + at, l->in_len - at);
	l->in_len -= at;
	if (l->ws && l->q.queued >= WQ_HIGH && !l->paused) {
		l->paused = 1;
		lws_rx_flow_control(l->raw, 0);
	}
	return 0;
}

static int cb_link(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct link *l = lws_get_opaque_user_data(wsi);

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		return l ? link_read(l) : -1;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (l)
			link_ended(l);
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ the browser */

/* A console WebSocket's state (lws's per-session data). */
struct wss {
	struct link link;
	uint8_t rx[CON_PAYLOAD_MAX];
	size_t rx_len;
	int too_big;                    /* closing: a message too large */
	struct cw_req req;
};

/* The URL's NAME=u64 argument (hex when hex), 0 when absent; -1 when
 * it is not a number. */
static int url_u64(struct lws *wsi, const char *name, int hex, uint64_t *v)
{
	char arg[64];
	const char *s = lws_get_urlarg_by_name(wsi, name, arg, sizeof arg);
	char *end;

	*v = 0;
	if (!s)
		return 0;
	errno = 0;
	*v = strtoull(s, &end, hex ? 16 : 10);
	return !*s || *end || errno || *s == '-' ? -1 : 0;
}

static void ws_open(struct lws *wsi, struct wss *w)
{
	char path[512], arg[64];
	const struct cw_session *s = cw_session_of(wsi);
	const char *target, *access;
	uint8_t a[CON_ATTACH_V2 + CON_NAME_MAX];
	struct con_attach at = { 0 };
	json_object *o;
	size_t n;

	w->link.fd = -1;
	w->link.ws = wsi;
	con_wq_init(&w->link.q, LWS_PRE, CON_WQ_MAX);
	if (!s || !cw_origin_ok(wsi)) {
		queue_error(&w->link, "login", "login", !s ? "not logged in "
			    "(POST /api/login)" : "a page of another site");
		w->link.closing = 1;
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("hello"));
	json_object_object_add(o, "user", json_object_new_string(s->name));
	json_object_object_add(o, "role", json_object_new_string(
		s->role == CON_ROLE_ADMIN ? "administrator" : "operator"));
	queue_json(&w->link, o);
	path[0] = 0;
	lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);
	target = path + strlen(WS_PATH);
	n = strncmp(path, WS_PATH, strlen(WS_PATH)) ? 0 : strlen(target);
	access = lws_get_urlarg_by_name(wsi, "access=", arg, sizeof arg);
	if (!n || n > CON_NAME_MAX ||
	    (access && strcmp(access, "spy") && strcmp(access, "rw")) ||
	    url_u64(wsi, "epoch=", 1, &at.epoch) ||
	    url_u64(wsi, "from=", 0, &at.from) ||
	    url_u64(wsi, "stream=", 0, &at.stream)) {
		queue_error(&w->link, "attach", "protocol", "the console's URL "
			    "is /ws/console/HOSTNAME-OR-PORT[?access=rw|spy]"
			    "[&epoch=HEX&from=N][&stream=N]");
		w->link.closing = 1;
		return;
	}
	at.how = access && !strcmp(access, "spy") ? CON_SPY : CON_RW;
	memcpy(at.target, target, n);
	at.target[n] = 0;
	if (link_open(&w->link, wsi, s->uid, s->role) ||
	    link_send(&w->link, CON_ATTACH, a,
		      con_encode_attach(&at, CON_VERSION, a))) {
		queue_error(&w->link, "attach", "guest", "the console service "
			    "did not take the session");
		w->link.closing = 1;
	}
}

/* Input as v2 INPUT frames [offset u64][bytes] (two when it is longer
 * than a frame's room); the page's own offset, or the link's count. */
static int send_input(struct link *l, const struct cw_req *r)
{
	uint8_t b[CON_PAYLOAD_MAX];
	uint64_t off = r->numbered ? r->off : l->in_next;
	size_t at = 0, k;

	while (at < r->len) {
		k = r->len - at < CON_PAYLOAD_MAX - 8 ? r->len - at
						      : CON_PAYLOAD_MAX - 8;
		con_put64(b, off + at);
		memcpy(b + 8, r->data + at, k);
		if (link_send(l, CON_INPUT, b, 8 + k))
			return -1;
		at += k;
	}
	if (off + at > l->in_next)
		l->in_next = off + at;
	return 0;
}

/* A whole message from the browser. */
static void ws_message(struct wss *w, int binary)
{
	static const char *const names[] = { "input", "mode", "force" };
	const char *why;
	uint8_t b;

	if (cw_parse_client(w->rx, w->rx_len, binary, &w->req, &why))
		return queue_error(&w->link, "message", "protocol", why);
	if (!w->link.open)
		return queue_error(&w->link, names[w->req.kind], "protocol",
				   "not attached");
	b = (uint8_t)w->req.mode;
	if ((w->req.kind == CW_REQ_INPUT && send_input(&w->link, &w->req)) ||
	    (w->req.kind == CW_REQ_MODE &&
	     link_send(&w->link, CON_MODE, &b, 1)) ||
	    (w->req.kind == CW_REQ_FORCE &&
	     link_send(&w->link, CON_FORCE, NULL, 0)))
		queue_error(&w->link, names[w->req.kind], "guest",
			    "the console service is not taking input");
}

static int ws_write(void *wsi, unsigned char *p, size_t n, int binary)
{
	return lws_write(wsi, p, n, binary ? LWS_WRITE_BINARY
			 : LWS_WRITE_TEXT) < 0 ? -1 : 0;
}

static int ws_writable(struct lws *wsi, struct link *l)
{
	if (l->q.broken) { /* cut off now: what is queued is not sent */
		if (l->q.broken == CON_WQ_FULL)
			lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
					 (unsigned char *)"not reading", 11);
		else
			lws_close_reason(wsi,
					 LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
					 (unsigned char *)"out of memory", 13);
		return -1;
	}
	if (!con_wq_pending(&l->q)) {
		if (!l->closing)
			return 0;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
				 (unsigned char *)"ended", 5);
		return -1;
	}
	if (con_wq_send(&l->q, ws_write, wsi) < 0)
		return -1;
	if (l->paused && l->q.queued < WQ_HIGH / 2 && l->raw) {
		l->paused = 0;
		lws_rx_flow_control(l->raw, 1);
	}
	if (con_wq_pending(&l->q) || l->closing)
		lws_callback_on_writable(wsi);
	return 0;
}

static int cb_console(struct lws *wsi, enum lws_callback_reasons reason,
		      void *user, void *in, size_t len)
{
	struct wss *w = user;

	if (!w)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		W.consoles++;
		ws_open(wsi, w);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		/* Closed at the first byte past the limit, whatever length
		 * the frame announces (lws hands a large one in pieces). */
		if (w->too_big)
			return 0;
		if (w->rx_len + len + lws_remaining_packet_payload(wsi) >
		    sizeof w->rx) {
			/* Read no more; the close (1009) goes out when the
			 * connection is writable. */
			w->too_big = 1;
			lws_rx_flow_control(wsi, 0);
			lws_callback_on_writable(wsi);
			return 0;
		}
		memcpy(w->rx + w->rx_len, in, len);
		w->rx_len += len;
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi))
			return 0;
		ws_message(w, lws_frame_is_binary(wsi));
		w->rx_len = 0;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (w->too_big) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
					 (unsigned char *)"message over 8192 "
					 "bytes", 23);
			return -1;
		}
		return ws_writable(wsi, &w->link);
	case LWS_CALLBACK_CLOSED:
		W.consoles--;
		link_close(&w->link);
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ service */

static const struct lws_protocols protocols[] = {
	{ "pscon-http", cw_cb_http, sizeof(struct cw_hreq), 0, 0, NULL, 0 },
	{ "pscon-console", cb_console, sizeof(struct wss), CON_PAYLOAD_MAX,
	  0, NULL, 0 },
	{ "pscon-link", cb_link, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void lws_to_log(int level, const char *line)
{
	size_t n = strcspn(line, "\n");

	(void)level;
	con_log("web: %.*s", (int)n, line);
}

static void drain_end(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	W.drained = 1;
}

static void *run(void *arg)
{
	(void)arg;
	while (!atomic_load(&W.stop))
		if (lws_service(W.ctx, 0) < 0)
			break;
	/* A stop: the core has told every session (NOTICE stop: do not
	 * reconnect).  Each browser gets what its link holds and is then
	 * closed (on_frame), within STOP_DRAIN: ending the thread at once
	 * closed the WebSockets with the notice unread, and a client
	 * retried a service gone for good. */
	lws_sul_schedule(W.ctx, 0, &W.sul, drain_end, STOP_DRAIN);
	while (W.consoles > 0 && !W.drained)
		if (lws_service(W.ctx, 0) < 0)
			break;
	if (W.consoles > 0)
		con_log("web: stop: %d console(s) still open after %d ms",
			W.consoles, (int)(STOP_DRAIN / LWS_US_PER_MS));
	link_close(&W.list);
	lws_context_destroy(W.ctx);
	free(W.ports);
	json_object_put(W.building);
	return NULL;
}

/* A readable file or directory the service needs, checked at start. */
static int need(const char *what, const char *path, int dir)
{
	struct stat st;

	if (!path) {
		con_log("web: %s: option missing (docs/pscon.8)", what);
		return -1;
	}
	if (stat(path, &st) || (dir ? !S_ISDIR(st.st_mode)
				    : !S_ISREG(st.st_mode)) ||
	    access(path, R_OK)) {
		con_log("web: %s %s: %s", what, path, errno ? strerror(errno)
			: dir ? "not a directory" : "not a regular file");
		return -1;
	}
	return 0;
}

int con_web_start(struct con_svc *s, const struct con_web_opts *o)
{
	static struct lws_http_mount api, files;
	static char iface[64];
	struct lws_context_creation_info info;
	const char *colon;
	char *end;
	long port;
	int p[2];

	W.o = *o;
	colon = o->listen ? strrchr(o->listen, ':') : NULL;
	port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || *end || port < 1 || port > 65535 ||
	    (size_t)(colon - o->listen) >= sizeof iface) {
		con_log("web: --web '%s': ADDR:PORT, port 1-65535",
			o->listen ? o->listen : "");
		return -1;
	}
	memcpy(iface, o->listen, (size_t)(colon - o->listen));
	iface[colon - o->listen] = 0;
	if (need("--web-users", o->users, 0) || need("--web-cert", o->cert, 0) ||
	    need("--web-key", o->key, 0) || need("--web-root", o->root, 1))
		return -1;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
		con_log("web: pipe: %s", strerror(errno));
		return -1;
	}
	W.pipe_w = p[1];
	cw_sessions_load(s->run_fd);
	W.h = (struct con_handle){ CON_K_WEB, p[0], NULL, 0 };
	con_watch(s, &W.h, 0);

	api.mountpoint = "/api";
	api.mountpoint_len = 4;
	api.origin = "pscon-http";
	api.origin_protocol = LWSMPRO_CALLBACK;
	files.mount_next = &api;
	files.mountpoint = "/";
	files.mountpoint_len = 1;
	files.origin = o->root;
	files.def = "index.html";
	files.origin_protocol = LWSMPRO_FILE;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
	memset(&info, 0, sizeof info);
	/* Text messages that are not UTF-8 close the WebSocket (1007). */
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		       LWS_SERVER_OPTION_DISABLE_IPV6 |
		       LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.port = (int)port;
	info.iface = iface[0] ? iface : NULL;
	info.protocols = protocols;
	info.mounts = &files;
	info.ssl_cert_filepath = o->cert;
	info.ssl_private_key_filepath = o->key;
	info.alpn = "http/1.1";             /* WebSockets over HTTP/1.1 */
	info.max_http_header_data = 4096;
	info.timeout_secs = 10;
	info.vhost_name = "default";
	W.ctx = lws_create_context(&info);
	if (!W.ctx) {
		con_log("web: cannot serve https on %s", o->listen);
		return -1;
	}
	W.list.fd = -1;
	lws_sul_schedule(W.ctx, 0, &W.sul, list_tick, 1);
	if (pthread_create(&W.th, NULL, run, NULL)) {
		con_log("web: thread: %s", strerror(errno));
		lws_context_destroy(W.ctx);
		return -1;
	}
	W.started = 1;
	con_log("web: serving https://%s/ (users %s, files %s)", o->listen,
		o->users, o->root);
	return 0;
}

void con_web_adopt(struct con_svc *s)
{
	struct handoff h;

	while (read(W.h.fd, &h, sizeof h) == (ssize_t)sizeof h)
		if (con_client_adopt(s, h.fd, h.uid, h.role))
			close(h.fd);
}

void con_web_stop(void)
{
	if (!W.started)
		return;
	atomic_store(&W.stop, 1);
	lws_cancel_service(W.ctx);
	pthread_join(W.th, NULL);
	W.started = 0;
}
