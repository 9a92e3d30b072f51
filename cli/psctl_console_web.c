/*
 * psctl_console_web.c - the second transport of `psctl console`: with
 * --bmc HOST[:PORT], the BMC's console service is reached through its web
 * endpoint (HTTPS + WebSocket, docs/console.md "The web page") instead of
 * pscon's unix socket.
 *
 * The terminal code of psctl_console.c is kept whole: the session speaks
 * the client protocol (con_proto.h, version 1) on one end of a
 * socketpair, and a thread here bridges the other end to the web
 * endpoint: LIST becomes GET /api/ports, ATTACH a WebSocket on
 * /ws/console/TARGET, INPUT binary messages, MODE and FORCE JSON
 * messages; binary messages come back as DATA, JSON ones as OK, ERROR,
 * NOTICE and SKIP frames.  The login (POST /api/login, the session
 * cookie) is made before, in the caller's thread.  libwebsockets is
 * opened on first use (psctl_lws.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "con_proto.h"
#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_console.h"
#include "psctl_lws.h"

#define L psctl_lws
#define RESP_MAX (1u << 20) /* an HTTP answer (the port list) */
#define TEXT_MAX 65536u     /* one JSON message of the service */

struct msg {
	struct msg *next;
	int binary;
	size_t n;
	uint8_t b[]; /* LWS_PRE + n */
};

struct web {
	const struct con_web_opts *o;
	struct lws_context *ctx;
	char cookie[300];            /* "pscon_session=TOKEN"           */
	int fd;                      /* the bridge's end of the pair    */
	int role_http, role_ws;      /* their addresses mark the wsi    */
	struct lws *ws;
	/* the HTTP request in flight */
	const char *body;
	int status, done, for_list;
	char err[300];
	char *resp;
	size_t resp_len;
	/* the session's frames, and the console WebSocket */
	uint8_t in[2 * (CON_HDR + CON_PAYLOAD_MAX)];
	size_t in_len;
	uint64_t off;                /* the next output byte's offset   */
	char *text;                  /* a JSON message being gathered   */
	size_t text_len;
	struct msg *q, *q_tail;      /* messages for the WebSocket      */
	int detach, stop;
	pthread_t th;
};

/* ------------------------------------------------------------ frames */

/* A frame to the session (blocking: the session reads its end). */
static void put(struct web *w, uint8_t type, const void *p, size_t n)
{
	uint8_t b[CON_HDR + CON_PAYLOAD_MAX];
	size_t at = 0;
	ssize_t r;

	if (w->fd < 0)
		return;
	con_frame_hdr(b, type, n);
	memcpy(b + CON_HDR, p, n);
	while (at < CON_HDR + n) {
		r = send(w->fd, b + at, CON_HDR + n - at, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		at += (size_t)r;
	}
}

static void put_error(struct web *w, uint8_t req, unsigned code,
		      const char *text)
{
	uint8_t b[512];
	size_t n = strlen(text) < sizeof b - 2 ? strlen(text) : sizeof b - 2;

	b[0] = req;
	b[1] = (uint8_t)code;
	memcpy(b + 2, text, n);
	put(w, CON_R_ERROR, b, 2 + n);
}

/* A message for the WebSocket (sent when it is writable). */
static void queue(struct web *w, int binary, const void *p, size_t n)
{
	struct msg *m = malloc(sizeof *m + LWS_PRE + n);

	if (!m)
		return;
	m->next = NULL;
	m->binary = binary;
	m->n = n;
	memcpy(m->b + LWS_PRE, p, n);
	if (w->q_tail)
		w->q_tail->next = m;
	else
		w->q = m;
	w->q_tail = m;
	if (w->ws)
		L.lws_callback_on_writable(w->ws);
}

/* ------------------------------------------------------------ requests */

static int tls_flags(const struct web *w)
{
	return LCCSCF_USE_SSL | (w->o->insecure ? LCCSCF_ALLOW_SELFSIGNED |
		LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED |
		LCCSCF_ALLOW_INSECURE : 0);
}

/* Starts a request: method NULL opens the WebSocket at path. */
static int start(struct web *w, const char *method, const char *path,
		 const char *body)
{
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof ci);
	ci.context = w->ctx;
	ci.address = w->o->host;
	ci.host = w->o->host;
	ci.port = (int)w->o->port;
	ci.path = path;
	ci.ssl_connection = tls_flags(w);
	ci.alpn = "http/1.1";
	ci.local_protocol_name = "pscon-console";
	if (method) {
		ci.method = method;
		ci.userdata = &w->role_http;
		w->body = body;
		w->status = w->done = 0;
		w->err[0] = 0;
		w->resp_len = 0;
		return L.lws_client_connect_via_info(&ci) ? 0 : -1;
	}
	ci.protocol = "pscon-console";
	ci.userdata = &w->role_ws;
	w->ws = L.lws_client_connect_via_info(&ci);
	return w->ws ? 0 : -1;
}

/* The request ended: why (NULL when an answer came). */
static void list_done(struct web *w);
static void http_end(struct web *w, const char *why)
{
	if (w->done)
		return;
	w->done = 1;
	if (why)
		snprintf(w->err, sizeof w->err, "%s", why);
	if (w->for_list)
		list_done(w);
}

/* Headers of our requests: the session cookie, the login form's type. */
static int headers(struct web *w, struct lws *wsi, void *user,
		   unsigned char **p, unsigned char *end)
{
	char cl[24];

	if (w->cookie[0] && L.lws_add_http_header_by_token(wsi,
	    WSI_TOKEN_HTTP_COOKIE, (const unsigned char *)w->cookie,
	    (int)strlen(w->cookie), p, end))
		return -1;
	if (user != &w->role_http || !w->body)
		return 0;
	snprintf(cl, sizeof cl, "%zu", strlen(w->body));
	if (L.lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)"application/x-www-form-urlencoded", 33,
	    p, end) ||
	    L.lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
	    (const unsigned char *)cl, (int)strlen(cl), p, end))
		return -1;
	L.lws_client_http_body_pending(wsi, 1);
	L.lws_callback_on_writable(wsi);
	return 0;
}

/* The answer's status and session cookie. */
static void answer(struct web *w, struct lws *wsi)
{
	char sc[256], *semi;

	w->status = L.lws_http_client_http_response(wsi);
	if (L.lws_hdr_copy(wsi, sc, sizeof sc, WSI_TOKEN_HTTP_SET_COOKIE) > 0 &&
	    !strncmp(sc, "pscon_session=", 14)) {
		if ((semi = strchr(sc, ';')))
			*semi = 0;
		snprintf(w->cookie, sizeof w->cookie, "%s", sc);
	}
}

static void gather(struct web *w, const void *p, size_t n)
{
	char *r;

	if (w->resp_len + n > RESP_MAX)
		return;
	r = realloc(w->resp, w->resp_len + n + 1);
	if (!r)
		return;
	w->resp = r;
	memcpy(w->resp + w->resp_len, p, n);
	w->resp_len += n;
	w->resp[w->resp_len] = 0;
}

/* ------------------------------------------------------------ JSON */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string)
	       ? json_object_get_string(v) : "";
}

static uint64_t jnum(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v)
	       ? (uint64_t)json_object_get_int64(v) : 0;
}

static unsigned mode_num(const char *name)
{
	unsigned m;

	for (m = 0; m < 8; m++)
		if (con_mode_name(m) && !strcmp(con_mode_name(m), name))
			return m;
	return 0;
}

/* One port of /api/ports as the LIST answer's frame. */
static void port_frame(struct web *w, json_object *p)
{
	static struct con_port_info pi;
	static uint8_t b[CON_PAYLOAD_MAX];
	json_object *users, *u, *wr;
	size_t i;

	memset(&pi, 0, sizeof pi);
	snprintf(pi.host, sizeof pi.host, "%s", jstr(p, "hostname"));
	snprintf(pi.vm, sizeof pi.vm, "%s", jstr(p, "vm"));
	snprintf(pi.fault, sizeof pi.fault, "%s", jstr(p, "last_fault"));
	pi.conc = (unsigned)jnum(p, "concentrator");
	pi.mode = mode_num(jstr(p, "mode"));
	pi.guest = (unsigned)jnum(p, "guest");
	pi.out_total = jnum(p, "output_bytes");
	pi.faults = (unsigned)jnum(p, "faults");
	pi.writer = json_object_object_get_ex(p, "writer", &wr) && wr
		    ? (uint32_t)json_object_get_int64(wr) : CON_NOBODY;
	if (json_object_object_get_ex(p, "users", &users) &&
	    json_object_is_type(users, json_type_array))
		for (i = 0; i < json_object_array_length(users) &&
		     pi.nusers < CON_USERS_MAX; i++) {
			u = json_object_array_get_idx(users, i);
			pi.uid[pi.nusers] = (uint32_t)jnum(u, "uid");
			pi.how[pi.nusers++] = !strcmp(jstr(u, "access"),
						      "spy") ? CON_SPY : CON_RW;
		}
	put(w, CON_R_PORT, b, con_encode_port(&pi, b));
}

/* GET /api/ports answered: PORT frames and END, or an ERROR. */
static void list_done(struct web *w)
{
	json_object *j = NULL, *ports;
	uint8_t req = CON_LIST;
	size_t i;

	w->for_list = 0;
	if (!w->err[0] && w->status == 200 && w->resp)
		j = json_tokener_parse(w->resp);
	if (j && json_object_object_get_ex(j, "ports", &ports) &&
	    json_object_is_type(ports, json_type_array)) {
		for (i = 0; i < json_object_array_length(ports); i++)
			port_frame(w, json_object_array_get_idx(ports, i));
	} else {
		put_error(w, CON_LIST, CON_E_PROTO, w->err[0] ? w->err
			  : "the port list (GET /api/ports) failed");
	}
	json_object_put(j);
	put(w, CON_R_END, &req, 1);
}

static unsigned err_code(const char *name)
{
	unsigned c;

	if (!strcmp(name, "login"))
		return CON_E_PERM;
	for (c = 1; c < 32; c++)
		if (con_err_name(c) && !strcmp(con_err_name(c), name))
			return c;
	return CON_E_PROTO;
}

static uint8_t req_type(const char *name)
{
	return !strcmp(name, "mode") ? CON_MODE : !strcmp(name, "force")
	       ? CON_FORCE : !strcmp(name, "input") ? CON_INPUT : CON_ATTACH;
}

static uint8_t notice_kind(const char *k)
{
	static const char *const kinds[] = { "", "mode", "writer", "user",
		"fault", "gone", "guest", "replay", "stop" };
	uint8_t i;

	for (i = 1; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i], k))
			return i;
	return CON_N_USER;
}

/* A JSON message of the service, as the frame the session expects. */
static void message(struct web *w, json_object *j)
{
	const char *t = jstr(j, "type");
	uint8_t b[CON_PAYLOAD_MAX];
	struct con_attach_ok o;
	size_t n;

	if (!strcmp(t, "attached")) {
		memset(&o, 0, sizeof o);
		o.conc = (unsigned)jnum(j, "port");
		o.mode = mode_num(jstr(j, "mode"));
		o.how = !strcmp(jstr(j, "access"), "spy") ? CON_SPY : CON_RW;
		o.guest = (unsigned)jnum(j, "guest");
		o.first = o.start = w->off = jnum(j, "backlog_from");
		o.total = jnum(j, "backlog_to");
		put(w, CON_R_OK, b, con_encode_attach_ok(&o, 1, b));
	} else if (!strcmp(t, "ok")) {
		b[0] = req_type(jstr(j, "request"));
		put(w, CON_R_OK, b, 1);
	} else if (!strcmp(t, "error")) {
		put_error(w, req_type(jstr(j, "request")),
			  err_code(jstr(j, "code")), jstr(j, "text"));
	} else if (!strcmp(t, "notice")) {
		b[0] = notice_kind(jstr(j, "kind"));
		n = (size_t)snprintf((char *)b + 1, sizeof b - 1, "%s",
				     jstr(j, "text"));
		put(w, CON_R_NOTICE, b, 1 + (n < sizeof b - 1 ? n
					     : sizeof b - 2));
	} else if (!strcmp(t, "skip")) {
		con_put64(b, jnum(j, "offset"));
		con_put64(b + 8, jnum(j, "count"));
		w->off = jnum(j, "offset") + jnum(j, "count");
		put(w, CON_R_SKIP, b, 16);
	}
}

/* Guest output: DATA frames at the running offset. */
static void output(struct web *w, const uint8_t *p, size_t n)
{
	uint8_t b[CON_PAYLOAD_MAX];
	size_t k;

	while (n) {
		k = n < CON_PAYLOAD_MAX - 8 ? n : CON_PAYLOAD_MAX - 8;
		con_put64(b, w->off);
		memcpy(b + 8, p, k);
		put(w, CON_R_DATA, b, 8 + k);
		w->off += k;
		p += k;
		n -= k;
	}
}

static void ws_rx(struct web *w, struct lws *wsi, const void *p, size_t n)
{
	json_object *j;
	char *t;

	if (L.lws_frame_is_binary(wsi)) {
		output(w, p, n);
		return;
	}
	if (w->text_len + n > TEXT_MAX)
		w->text_len = 0; /* (the service's are small) */
	else if ((t = realloc(w->text, w->text_len + n + 1))) {
		w->text = t;
		memcpy(t + w->text_len, p, n);
		w->text_len += n;
		t[w->text_len] = 0;
	}
	if (!L.lws_is_final_fragment(wsi) || !w->text_len)
		return;
	w->text_len = 0;
	if ((j = json_tokener_parse(w->text))) {
		message(w, j);
		json_object_put(j);
	}
}

/* ------------------------------------------------------------ session */

static void mode_msg(struct web *w, const struct con_frame *f)
{
	char b[64];
	const char *name = f->len == 1 ? con_mode_name(f->p[0]) : NULL;

	if (!name) {
		put_error(w, CON_MODE, CON_E_PROTO, "no such mode");
		return;
	}
	snprintf(b, sizeof b, "{\"type\":\"mode\",\"mode\":\"%s\"}", name);
	queue(w, 0, b, strlen(b));
}

static void attach(struct web *w, const struct con_frame *f)
{
	struct con_attach a;
	const char *why = NULL;
	char path[CON_NAME_MAX + 64];

	if (w->ws) {
		put_error(w, CON_ATTACH, CON_E_PROTO, "over --bmc, attach "
			  "anew (detach, then psctl console --spy) to change "
			  "the access");
		return;
	}
	if (con_decode_attach(f, 1, &a, &why)) {
		put_error(w, CON_ATTACH, CON_E_PROTO, why ? why : "bad attach");
		return;
	}
	snprintf(path, sizeof path, "/ws/console/%s?access=%s", a.target,
		 a.how == CON_SPY ? "spy" : "rw");
	if (start(w, NULL, path, NULL))
		put_error(w, CON_ATTACH, CON_E_PROTO, "cannot open the "
			  "console WebSocket");
}

/* One frame of the session. */
static void request(struct web *w, const struct con_frame *f)
{
	static const uint8_t hello[6] = { 1, 0, 0, 0, 0, 0 };

	switch (f->type) {
	case CON_HELLO:
		put(w, CON_R_HELLO, hello, sizeof hello);
		break;
	case CON_LIST:
		w->for_list = 1;
		if (start(w, "GET", "/api/ports", NULL))
			http_end(w, "cannot ask for the port list");
		break;
	case CON_ATTACH:
		attach(w, f);
		break;
	case CON_INPUT:
		if (f->len)
			queue(w, 1, f->p, f->len);
		break;
	case CON_FORCE:
		queue(w, 0, "{\"type\":\"force\"}", 16);
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
		put_error(w, f->type, CON_E_PROTO, "not served over --bmc");
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

static int ws_writable(struct web *w, struct lws *wsi)
{
	struct msg *m = w->q;

	if (!m)
		return w->detach ? -1 : 0;
	w->q = m->next;
	if (!w->q)
		w->q_tail = NULL;
	if (L.lws_write(wsi, m->b + LWS_PRE, m->n, m->binary
			? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)m->n) {
		free(m);
		return -1;
	}
	free(m);
	if (w->q || w->detach)
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
		return headers(w, wsi, user, in, (unsigned char *)
			       *(unsigned char **)in + len);
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		n = (int)strlen(w->body);
		memcpy(b + LWS_PRE, w->body, (size_t)n);
		L.lws_client_http_body_pending(wsi, 0);
		return L.lws_write(wsi, b + LWS_PRE, (size_t)n,
				   LWS_WRITE_HTTP_FINAL) < n ? -1 : 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		answer(w, wsi);
		break;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		p = (char *)b + LWS_PRE;
		n = (int)sizeof b - LWS_PRE;
		return L.lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		gather(w, in, len);
		break;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		http_end(w, NULL);
		return -1; /* done with this connection */
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (user == &w->role_http)
			http_end(w, "the connection closed before an answer");
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (user == &w->role_http) {
			http_end(w, in ? in : "connection failed");
		} else if (user == &w->role_ws) {
			w->ws = NULL;
			put_error(w, CON_ATTACH, CON_E_PROTO, in ? in
				  : "the console WebSocket failed");
		}
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (w->q)
			L.lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		ws_rx(w, wsi, in, len);
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

/* ------------------------------------------------------------ login */

/* Appends s to b percent-encoded (a form field's value). */
static void form_value(char *b, size_t n, const char *s)
{
	size_t o = strlen(b);

	for (; *s && o + 4 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			b[o++] = (char)ch;
		else
			o += (size_t)snprintf(b + o, n - o, "%%%02X", ch);
	}
	b[o] = 0;
}

static int login(struct sess *s, struct web *w)
{
	const struct con_web_opts *o = w->o;
	char body[1100] = "user=";

	form_value(body, 400, o->user); /* room left for the password */
	strcat(body, "&password=");
	form_value(body, sizeof body, o->password);
	if (start(w, "POST", "/api/login", body))
		snprintf(w->err, sizeof w->err, "cannot connect");
	else
		while (!w->done && L.lws_service(w->ctx, 0) >= 0)
			;
	memset(body, 0, sizeof body);
	if (w->err[0])
		return psctl_error(s->c, CMD, "bmc", o->host, PSCTL_EXIT_IO,
				   "cannot reach the console service at "
				   "https://%s:%u: %s%s", o->host, o->port,
				   w->err, !o->insecure && (strstr(w->err,
				   "SSL") || strstr(w->err, "cert") ||
				   strstr(w->err, "tls")) ? " (TLS refused: "
				   "the BMC's certificate does not verify "
				   "against the system's CAs or --ca, or its "
				   "name differs; --insecure skips the check)" : "");
	if (w->status == 401)
		return psctl_error(s->c, CMD, "bmc", o->host, PSCTL_EXIT_IO,
				   "wrong user name or password for user '%s' "
				   "(login refused)", o->user);
	if (w->status != 200 || !w->cookie[0])
		return psctl_error(s->c, CMD, "bmc", o->host, PSCTL_EXIT_IO,
				   "login refused (HTTP %d): %.200s",
				   w->status, w->resp ? w->resp : "");
	return 0;
}

/* ------------------------------------------------------------ options */

/* --console-port N: 1-65535. */
int psctl_con_web_port(struct psctl_ctx *c, const char *v, unsigned *port)
{
	char *end;
	unsigned long p = strtoul(v, &end, 10);

	if (*end || end == v || !p || p > 65535)
		return psctl_error(c, CMD, "console-port", v,
				   PSCTL_EXIT_INVALID, "a TCP port, 1-65535");
	*port = (unsigned)p;
	return 0;
}

/* --bmc HOST[:PORT] for the console: the web endpoint's HTTPS port is
 * --console-port, else the PORT written in --bmc, else 443 (the IPMI
 * default 623 is not the console's).  The login: -U and -P or
 * $IPMI_PASSWORD, as for the other --bmc commands. */
int psctl_con_web_opts(struct psctl_ctx *c, struct sess *s,
		    struct con_web_opts *w)
{
	struct psctl_bmc b;
	char err[400];
	const char *after = strstr(c->bmc, "://"), *colon;

	if (psctl_bmc_parse(c->bmc, &b, err, sizeof err))
		return psctl_error(c, CMD, NULL, NULL, PSCTL_EXIT_INVALID, "%s",
				   err);
	after = after ? after + 3 : c->bmc;
	colon = strrchr(after, ':');
	if (colon && strchr(after, ']') > colon)
		colon = NULL; /* [IPv6] without a port */
	if (w->port == 0)
		w->port = colon ? b.port : 443;
	snprintf(w->host, sizeof w->host, "%s", b.host);
	w->user = c->bmc_user ? c->bmc_user : "admin";
	w->password = c->bmc_password ? c->bmc_password
				      : getenv("IPMI_PASSWORD");
	if (!w->password)
		return psctl_error(c, CMD, NULL, NULL, PSCTL_EXIT_USAGE,
				   "--bmc console: no password (set "
				   "IPMI_PASSWORD, safer than -P)");
	s->web = w;
	return 0;
}

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
	struct msg *m;

	if (w->ctx)
		L.lws_context_destroy(w->ctx);
	while ((m = w->q)) {
		w->q = m->next;
		free(m);
	}
	free(w->resp);
	free(w->text);
	free(w);
}

int psctl_con_web_open(struct sess *s)
{
	struct lws_context_creation_info ci;
	lws_sock_file_fd_type fd;
	struct web *w;
	char why[300];
	int sv[2], rc;

	if (psctl_lws_load(why, sizeof why))
		return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				   "--bmc console needs libwebsockets (Debian "
				   "package libwebsockets17): %s", why);
	w = calloc(1, sizeof *w);
	if (!w)
		return psctl_error(s->c, CMD, NULL, NULL, PS_ERR_NOMEM, NULL);
	w->o = s->web;
	w->fd = -1;
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
	if ((rc = login(s, w))) {
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
