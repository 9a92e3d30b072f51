/*
 * psctl_console_web_http.c - the web transport's HTTP side (see
 * psctl_console_web.c): a request to the console service and its answer
 * gathered, the login that gets the session cookie, and the options that
 * say where the service is (--bmc, --console-port) and who logs in.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_console_web_int.h"

/* ------------------------------------------------------------ requests */

static int tls_flags(const struct web *w)
{
	return LCCSCF_USE_SSL | (w->o->insecure ? LCCSCF_ALLOW_SELFSIGNED |
		LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED |
		LCCSCF_ALLOW_INSECURE : 0);
}

/* Starts a request: method NULL opens the WebSocket at path. */
int web_start(struct web *w, const char *method, const char *path,
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
void web_http_end(struct web *w, const char *why)
{
	if (w->done)
		return;
	w->done = 1;
	if (why)
		snprintf(w->err, sizeof w->err, "%s", why);
	if (w->for_list)
		web_list_done(w);
}

/* Headers of our requests: the session cookie, the login form's type. */
int web_headers(struct web *w, struct lws *wsi, void *user,
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
void web_answer(struct web *w, struct lws *wsi)
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

void web_gather(struct web *w, const void *p, size_t n)
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

int web_login(struct sess *s, struct web *w)
{
	const struct con_web_opts *o = w->o;
	char body[1100] = "user=";

	form_value(body, 400, o->user); /* room left for the password */
	strcat(body, "&password=");
	form_value(body, sizeof body, o->password);
	if (web_start(w, "POST", "/api/login", body))
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
