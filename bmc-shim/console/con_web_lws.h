/*
 * con_web_lws.h - between the two files of the web thread: con_web.c
 * (the service, links to the core, console WebSockets) and con_web_api.c
 * (/api, sessions by cookie, the origin check).
 */
#ifndef CON_WEB_LWS_H
#define CON_WEB_LWS_H

#include <libwebsockets.h>

#include "con_web.h"

#define CW_COOKIE "pscon_session"

/* An /api request (lws's per-session data of "pscon-http"). */
struct cw_hreq {
	char route[16];
	char body[CW_FORM_MAX + 1];
	size_t blen;
	int too_big;
	int routed;                     /* answered (or answering)     */
	int wait;                       /* a refused login's delay     */
	unsigned status;
	char cookie[192];
	char *resp;                     /* LWS_PRE + resp_len bytes    */
	size_t resp_len;
};

/* The /api protocol's callback. */
int cw_cb_http(struct lws *wsi, enum lws_callback_reasons reason,
	       void *user, void *in, size_t len);
/* The browser's logged-in session, from its cookie; NULL without. */
const struct cw_session *cw_session_of(struct lws *wsi);
/* 0 when the request comes from a page of another site (its Origin). */
int cw_origin_ok(struct lws *wsi);
/* --web-users; the last port list as JSON (an array). */
const char *cw_users_file(void);
const char *cw_ports_json(void);

#endif /* CON_WEB_LWS_H */
