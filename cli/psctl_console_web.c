/*
 * psctl_console_web.c - the second transport of `psctl console`: with
 * --bmc HOST[:PORT], the BMC's console service is reached through its web
 * endpoint (HTTPS + WebSocket, docs/console.md "The web page") instead of
 * pscon's unix socket.
 *
 * The terminal code of psctl_console.c is kept whole: the session speaks
 * the client protocol (con_proto.h, version 2) on one end of a
 * socketpair, and a thread here bridges the other end to the web
 * endpoint: LIST becomes GET /api/ports, ATTACH a WebSocket on
 * /ws/console/TARGET (v2's epoch, from and stream as its arguments),
 * INPUT binary messages (numbered input: what this WebSocket already
 * sent is dropped), MODE and FORCE JSON messages; binary messages come
 * back as DATA, JSON ones as OK, ERROR, NOTICE, SKIP and ACK frames
 * (psctl_console_web_msg.c).  The login (POST /api/login, the session
 * cookie; psctl_console_web_http.c) is made before, in the caller's
 * thread.  libwebsockets is opened on first use (psctl_lws.h).
 *
 * A reconnect of the session (the service restarted) opens a new bridge
 * that keeps the old one's cookie: the service keeps logins across its
 * restarts, so the session's own reconnect (psctl_console.c) resumes
 * here exactly as over the unix socket; a WebSocket that cannot be
 * opened for a resume ends the bridge, which the session retries.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_console_web_int.h"

/* ------------------------------------------------------------ frames */

/* A frame to the session, whole: waits while its socket is full (the
 * session reads it at every turn, psctl_console.c).  lws made our end
 * non-blocking when it adopted it, so a full socket is EAGAIN here: a
 * frame given up then lost output without a SKIP, an ACK (the typed
 * input then stalled with the resend keep full), or tore the stream. */
void web_put(struct web *w, uint8_t type, const void *p, size_t n)
{
	uint8_t b[CON_HDR + CON_PAYLOAD_MAX];
	struct pollfd pf;
	size_t at = 0;
	ssize_t r;

	if (w->fd < 0)
		return;
	con_frame_hdr(b, type, n);
	memcpy(b + CON_HDR, p, n);
	while (at < CON_HDR + n) {
		r = send(w->fd, b + at, CON_HDR + n - at, MSG_NOSIGNAL);
		if (r < 0 && errno == EAGAIN) {
			pf.fd = w->fd;
			pf.events = POLLOUT;
			poll(&pf, 1, -1); /* (a closed end: POLLERR, EPIPE) */
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		at += (size_t)r;
	}
}

void web_put_error(struct web *w, uint8_t req, unsigned code,
		   const char *text)
{
	uint8_t b[512];
	size_t n = strlen(text) < sizeof b - 2 ? strlen(text) : sizeof b - 2;

	b[0] = req;
	b[1] = (uint8_t)code;
	memcpy(b + 2, text, n);
	web_put(w, CON_R_ERROR, b, 2 + n);
}

/* A message for the WebSocket (sent when it is writable).  One that
 * cannot be queued is not left out (the service counts the unnumbered
 * input's bytes: the next ones would take its offsets, be acknowledged
 * in its place, and it would never reach the guest): the queue breaks,
 * the WebSocket is closed, and the session reconnects and sends its
 * unacknowledged input again (con_wq.h).  Test hook:
 * PSCTL_TEST_WQ_FAIL=N, the process's Nth message fails as when memory
 * runs out. */
void web_queue(struct web *w, int binary, const void *p, size_t n)
{
	static unsigned long nput;
	const char *at = getenv("PSCTL_TEST_WQ_FAIL");

	if (at && ++nput == strtoul(at, NULL, 10))
		con_wq_break(&w->q, CON_WQ_NOMEM);
	else
		con_wq_put(&w->q, binary, p, n);
	if (w->ws)
		L.lws_callback_on_writable(w->ws);
}

/* ------------------------------------------------------------ session */

static void mode_msg(struct web *w, const struct con_frame *f)
{
	char b[64];
	const char *name = f->len == 1 ? con_mode_name(f->p[0]) : NULL;

	if (!name) {
		web_put_error(w, CON_MODE, CON_E_PROTO, "no such mode");
		return;
	}
	snprintf(b, sizeof b, "{\"type\":\"mode\",\"mode\":\"%s\"}", name);
	web_queue(w, 0, b, strlen(b));
}

static void attach(struct web *w, const struct con_frame *f)
{
	struct con_attach a;
	const char *why = NULL;
	char path[CON_NAME_MAX + 128];
	size_t n;

	if (w->ws) {
		web_put_error(w, CON_ATTACH, CON_E_PROTO, "over --bmc, "
			      "attach anew (detach, then psctl console --spy) "
			      "to change the access");
		return;
	}
	if (con_decode_attach(f, w->ver, &a, &why)) {
		web_put_error(w, CON_ATTACH, CON_E_PROTO,
			      why ? why : "bad attach");
		return;
	}
	n = (size_t)snprintf(path, sizeof path, "/ws/console/%s?access=%s",
			     a.target, a.how == CON_SPY ? "spy" : "rw");
	if (a.stream)
		n += (size_t)snprintf(path + n, sizeof path - n, "&stream=%llu",
				      (unsigned long long)a.stream);
	if (a.epoch)
		snprintf(path + n, sizeof path - n, "&epoch=%016llx&from=%llu",
			 (unsigned long long)a.epoch,
			 (unsigned long long)a.from);
	w->resume = a.epoch != 0;
	if (web_start(w, NULL, path, NULL))
		web_put_error(w, CON_ATTACH, CON_E_PROTO, "cannot open the "
			      "console WebSocket");
}

/* HELLO: the session's version, at most 2 (the web page's protocol is
 * v2's: offsets, acks, resume). */
static void hello(struct web *w, const struct con_frame *f)
{
	uint8_t b[6] = { 0 };
	const char *why = NULL;
	unsigned v;

	if (con_decode_hello(f, &v, &why)) {
		web_put_error(w, CON_HELLO, CON_E_PROTO, why ? why : "bad hello");
		return;
	}
	w->ver = v >= 2 ? 2 : 1;
	b[0] = (uint8_t)w->ver;
	web_put(w, CON_R_HELLO, b, sizeof b);
}

/* INPUT: v2's numbered bytes continue the WebSocket's stream (from the
 * attach's input_written): what it already sent is dropped, so a resend
 * after a reconnect reaches the guest once. */
static void input(struct web *w, const struct con_frame *f)
{
	const uint8_t *p;
	uint64_t off;
	size_t n, dup;
	const char *why = NULL;

	if (con_decode_input(f, w->ver, &off, &p, &n, &why)) {
		web_put_error(w, CON_INPUT, CON_E_PROTO, why ? why : "bad input");
		return;
	}
	if (w->ver >= 2) {
		if (off > w->in_next) {
			web_put_error(w, CON_INPUT, CON_E_PROTO, "input past "
				      "the stream's end");
			return;
		}
		dup = w->in_next - off < n ? (size_t)(w->in_next - off) : n;
		p += dup;
		n -= dup;
		w->in_next += n;
	}
	if (n)
		web_queue(w, 1, p, n);
}

/* One frame of the session. */
static void request(struct web *w, const struct con_frame *f)
{
	switch (f->type) {
	case CON_HELLO:
		hello(w, f);
		break;
	case CON_LIST:
		w->for_list = 1;
		if (web_start(w, "GET", "/api/ports", NULL))
			web_http_end(w, "cannot ask for the port list");
		break;
	case CON_ATTACH:
		attach(w, f);
		break;
	case CON_INPUT:
		input(w, f);
		break;
	case CON_FORCE:
		web_queue(w, 0, "{\"type\":\"force\"}", 16);
		break;
	case CON_MODE:
		mode_msg(w, f);
		break;
	case CON_DETACH:
		w->detach = 1;
		if (w->ws)
			L.lws_callback_on_writable(w->ws);
		break;
	default:
		web_put_error(w, f->type, CON_E_PROTO, "not served over --bmc");
	}
}

static int raw_rx(struct web *w)
{
	struct con_frame f;
	ssize_t r = read(w->fd, w->in + w->in_len, sizeof w->in - w->in_len);
	size_t at = 0;
	int n;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0)
		return -1;
	w->in_len += (size_t)r;
	while ((n = con_frame_parse(w->in + at, w->in_len - at, 1, &f)) > 0) {
		request(w, &f);
		at += (size_t)n;
	}
	memmove(w->in, w->in + at, w->in_len - at);
	w->in_len -= at;
	return n < 0 ? -1 : 0;
}

static int ws_write(void *wsi, unsigned char *p, size_t n, int binary)
{
	return L.lws_write(wsi, p, n, binary ? LWS_WRITE_BINARY
			   : LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}

/* The next message; a broken queue closes the WebSocket (the session
 * sees its end and reconnects). */
static int ws_writable(struct web *w, struct lws *wsi)
{
	if (!con_wq_pending(&w->q))
		return w->detach ? -1 : 0;
	if (con_wq_send(&w->q, ws_write, wsi) < 0)
		return -1;
	if (con_wq_pending(&w->q) || w->detach)
		L.lws_callback_on_writable(wsi);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons why,
		    void *user, void *in, size_t len)
{
	struct web *w = L.lws_context_user(L.lws_get_context(wsi));
	uint8_t b[LWS_PRE + 4096];
	char *p;
	int n;

	switch (why) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return web_headers(w, wsi, user, in, (unsigned char *)
				   *(unsigned char **)in + len);
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		n = (int)strlen(w->body);
		memcpy(b + LWS_PRE, w->body, (size_t)n);
		L.lws_client_http_body_pending(wsi, 0);
		return L.lws_write(wsi, b + LWS_PRE, (size_t)n,
				   LWS_WRITE_HTTP_FINAL) < n ? -1 : 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		web_answer(w, wsi);
		break;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		p = (char *)b + LWS_PRE;
		n = (int)sizeof b - LWS_PRE;
		return L.lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		web_gather(w, in, len);
		break;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		web_http_end(w, NULL);
		return -1; /* done with this connection */
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (user == &w->role_http)
			web_http_end(w, "the connection closed before an "
				     "answer");
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (user == &w->role_http) {
			web_http_end(w, in ? in : "connection failed");
		} else if (user == &w->role_ws) {
			w->ws = NULL;
			if (w->resume && w->fd >= 0) /* the session retries */
				shutdown(w->fd, SHUT_RDWR);
			else
				web_put_error(w, CON_ATTACH, CON_E_PROTO, in ?
					      in : "the console WebSocket "
					      "failed");
		}
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (con_wq_pending(&w->q))
			L.lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		web_rx(w, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return ws_writable(w, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
		w->ws = NULL; /* the session sees the end of its socket */
		if (w->fd >= 0)
			shutdown(w->fd, SHUT_RDWR);
		break;
	case LWS_CALLBACK_RAW_RX_FILE:
		return raw_rx(w);
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		w->fd = -1; /* lws closed it: never touch the number again */
		w->stop = 1;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "pscon-console", callback, 0, 8192, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ------------------------------------------------------------ bridge */

static void *bridge(void *arg)
{
	struct web *w = arg;

	while (!w->stop && L.lws_service(w->ctx, 0) >= 0)
		;
	return NULL;
}

static void web_free(struct web *w)
{
	if (w->ctx)
		L.lws_context_destroy(w->ctx);
	con_wq_clear(&w->q);
	free(w->resp);
	free(w->text);
	free(w);
}

/* Opens the bridge; a reconnect's (s->web_state set) replaces the old
 * one and keeps its cookie instead of logging in again. */
int psctl_con_web_open(struct sess *s)
{
	struct lws_context_creation_info ci;
	lws_sock_file_fd_type fd;
	struct web *w;
	char why[300], cookie[sizeof w->cookie] = "";
	int sv[2], rc;

	if (s->web_state) {
		snprintf(cookie, sizeof cookie, "%s",
			 ((struct web *)s->web_state)->cookie);
		psctl_con_web_close(s);
	}

	if (psctl_lws_load(why, sizeof why))
		return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				   "--bmc console needs libwebsockets (Debian "
				   "package libwebsockets17): %s", why);
	w = calloc(1, sizeof *w);
	if (!w)
		return psctl_error(s->c, CMD, NULL, NULL, PS_ERR_NOMEM, NULL);
	w->o = s->web;
	w->fd = -1;
	con_wq_init(&w->q, LWS_PRE, CON_WQ_MAX);
	L.lws_set_log_level(getenv("PSCTL_LWS_LOG") ? LLL_ERR | LLL_WARN
			    | LLL_NOTICE | LLL_INFO : 0, NULL);
	memset(&ci, 0, sizeof ci);
	ci.port = CONTEXT_PORT_NO_LISTEN;
	ci.protocols = protocols;
	ci.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	ci.user = w;
	ci.fd_limit_per_thread = 16;
	ci.client_ssl_ca_filepath = w->o->ca; /* NULL: the system's CAs */
	w->ctx = L.lws_create_context(&ci);
	if (!w->ctx) {
		web_free(w);
		return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				   "libwebsockets: no client context");
	}
	memcpy(w->cookie, cookie, sizeof cookie);
	if (!w->cookie[0] && (rc = web_login(s, w))) {
		web_free(w);
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		web_free(w);
		return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				   "socketpair: %s", strerror(errno));
	}
	w->fd = sv[1];
	fd.filefd = sv[1];
	if (!L.lws_adopt_descriptor_vhost(L.lws_get_vhost_by_name(w->ctx,
	    "default"), LWS_ADOPT_RAW_FILE_DESC, fd, "pscon-console", NULL) ||
	    pthread_create(&w->th, NULL, bridge, w)) {
		close(sv[0]);
		close(sv[1]);
		web_free(w);
		return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				   "cannot start the web transport");
	}
	s->fd = sv[0];
	s->web_state = w;
	return 0;
}

void psctl_con_web_close(struct sess *s)
{
	struct web *w = s->web_state;

	if (!w)
		return;
	if (s->fd >= 0) {
		close(s->fd); /* the bridge sees the end and stops */
		s->fd = -1;
	}
	pthread_join(w->th, NULL);
	web_free(w);
	s->web_state = NULL;
}
