/*
 * con_web_api.c - the web page's /api (docs/console.md "URLs"): login
 * with the delay after a wrong password, logout, who am I, the port
 * list; the session and origin checks the console WebSocket uses too.
 * Runs in the web thread (con_web.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "con_svc.h"
#include "con_web_lws.h"

#define LOGIN_DELAY (1000 * LWS_US_PER_MS) /* after a wrong password  */

/* The browser's logged-in session, from its cookie. */
const struct cw_session *cw_session_of(struct lws *wsi)
{
	char tok[96];
	size_t n = sizeof tok;

	if (lws_http_cookie_get(wsi, CW_COOKIE, tok, &n))
		return NULL;
	return cw_session_find(tok);
}

/* A request from a page of another site is refused: its Origin, when
 * sent, must be this service (https://HOST). */
int cw_origin_ok(struct lws *wsi)
{
	char origin[300], host[256], want[300];

	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
		return 1;
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
		return 0;
	snprintf(want, sizeof want, "https://%s", host);
	return !strcmp(origin, want);
}


static void reply(struct lws *wsi, struct cw_hreq *r, unsigned status,
		  json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	r->status = status;
	r->resp_len = strlen(s);
	free(r->resp);
	r->resp = malloc(LWS_PRE + r->resp_len);
	if (r->resp)
		memcpy(r->resp + LWS_PRE, s, r->resp_len);
	json_object_put(o);
	lws_callback_on_writable(wsi);
}

static void reply_error(struct lws *wsi, struct cw_hreq *r, unsigned status,
			const char *text)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(text));
	reply(wsi, r, status, o);
}

static json_object *whoami(const struct cw_session *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user", json_object_new_string(s->name));
	json_object_object_add(o, "role", json_object_new_string(
		s->role == CON_ROLE_ADMIN ? "administrator" : "operator"));
	return o;
}

static void api_login(struct lws *wsi, struct cw_hreq *r)
{
	char name[CW_NAME_MAX + 1], pass[CW_PASS_MAX + 1];
	const struct cw_session *s;
	struct cw_user u;
	uint32_t uid;
	const char *why = "wrong user name or password";

	if (r->too_big ||
	    cw_form_field(r->body, r->blen, "user", name, sizeof name) ||
	    cw_form_field(r->body, r->blen, "password", pass, sizeof pass))
		return reply_error(wsi, r, 400, "the login form is user=NAME&"
				   "password=PASSWORD (urlencoded, at most "
				   "1024 bytes)");
	if (cw_login(cw_users_file(), name, pass, &u, &uid, &why)) {
		char shown[CW_NAME_MAX + 1];

		/* The name as typed, but no control bytes into the log. */
		cw_ascii(name, strlen(name), shown, sizeof shown);
		for (char *c = shown; (c = strchr(c, '\n')); )
			*c = '?';
		con_log("web: login of '%s' refused: %s", shown, why);
		/* The answer waits: guessing costs time. */
		r->wait = 1;
		reply_error(wsi, r, 401, why);
		lws_set_timer_usecs(wsi, LOGIN_DELAY);
		return;
	}
	s = cw_session_new(&u, uid);
	if (!s)
		return reply_error(wsi, r, 500, "no random bytes for a session");
	snprintf(r->cookie, sizeof r->cookie, "%s=%s; Path=/; HttpOnly; "
		 "Secure; SameSite=Strict", CW_COOKIE, s->token);
	con_log("web: %s logged in (%s)", s->name, s->role == CON_ROLE_ADMIN
		? "administrator" : "operator");
	reply(wsi, r, 200, whoami(s));
}

static void api_route(struct lws *wsi, struct cw_hreq *r)
{
	const struct cw_session *s = cw_session_of(wsi);
	char tok[96];
	size_t n = sizeof tok;

	/* One answer a request, whichever callbacks lws makes. */
	if (r->routed)
		return;
	r->routed = 1;

	if (!cw_origin_ok(wsi))
		return reply_error(wsi, r, 403, "a page of another site");
	if (!strcmp(r->route, "/login"))
		return api_login(wsi, r);
	if (!strcmp(r->route, "/logout")) {
		if (!lws_http_cookie_get(wsi, CW_COOKIE, tok, &n))
			cw_session_end(tok);
		snprintf(r->cookie, sizeof r->cookie, "%s=; Path=/; HttpOnly; "
			 "Secure; SameSite=Strict; Max-Age=0", CW_COOKIE);
		return reply(wsi, r, 200, json_object_new_object());
	}
	if (!s)
		return reply_error(wsi, r, 401, "not logged in");
	if (!strcmp(r->route, "/whoami"))
		return reply(wsi, r, 200, whoami(s));
	if (!strcmp(r->route, "/ports")) {
		json_object *o = whoami(s);

		json_object_object_add(o, "ports", json_tokener_parse(
			cw_ports_json()));
		return reply(wsi, r, 200, o);
	}
	reply_error(wsi, r, 404, "no such page");
}

static int api_write(struct lws *wsi, struct cw_hreq *r)
{
	uint8_t hb[LWS_PRE + 1024], *start = hb + LWS_PRE, *p = start,
		*end = hb + sizeof hb - 1;

	if (!r->resp ||
	    lws_add_http_common_headers(wsi, r->status, "application/json",
					r->resp_len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const uint8_t *)"cache-control:",
					(const uint8_t *)"no-store", 8, &p,
					end) ||
	    (r->cookie[0] &&
	     lws_add_http_header_by_name(wsi, (const uint8_t *)"set-cookie:",
					 (const uint8_t *)r->cookie,
					 (int)strlen(r->cookie), &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (lws_write(wsi, (uint8_t *)r->resp + LWS_PRE, r->resp_len,
		      LWS_WRITE_HTTP_FINAL) < (int)r->resp_len)
		return -1;
	free(r->resp);
	r->resp = NULL;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The request announces a body (Content-Length > 0, or chunked). */
static int has_body(struct lws *wsi)
{
	char cl[32];

	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
		return 1;
	return lws_hdr_copy(wsi, cl, sizeof cl,
			    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
	       strtoull(cl, NULL, 10) > 0;
}

int cw_cb_http(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct cw_hreq *r = user;

	/* lws calls some reasons without per-session data (a refused
	 * upgrade's close, protocol-wide events). */
	if (!r)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		memset(r, 0, sizeof *r);
		/* The path below /api (lws gives it with or without the
		 * mount point, by method). */
		snprintf(r->route, sizeof r->route, "%s", (const char *)in +
			 (strncmp(in, "/api/", 5) ? 0 : 4));
		/* POSTs answer once their body is in (one without a body
		 * at once: no body callback comes for it). */
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 &&
		    has_body(wsi))
			return 0;
		api_route(wsi, r);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (!len || !in) /* lws says so for an empty body */
			return 0;
		if (r->blen + len > CW_FORM_MAX)
			r->too_big = 1;
		else
			memcpy(r->body + r->blen, in, len), r->blen += len;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		api_route(wsi, r);
		return 0;
	case LWS_CALLBACK_TIMER:
		r->wait = 0;
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		/* A refused login is answered when its timer fires. */
		return r->resp && !r->wait ? api_write(wsi, r) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		free(r->resp);
		r->resp = NULL;
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
