/*
 * psctl_console_web_int.h - what the parts of `psctl --bmc console`'s
 * web transport share (internal to cli/): psctl_console_web.c bridges
 * the session's socketpair to libwebsockets, psctl_console_web_http.c
 * makes the HTTP requests (the login, the port list) and reads the
 * options, psctl_console_web_msg.c turns the service's messages into the
 * session's frames.
 */
#ifndef PSCTL_CONSOLE_WEB_INT_H
#define PSCTL_CONSOLE_WEB_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "con_proto.h"
#include "con_wq.h"
#include "psctl_console.h"
#include "psctl_lws.h"

#define L psctl_lws
#define RESP_MAX (1u << 20) /* an HTTP answer (the port list) */
#define TEXT_MAX 65536u     /* one JSON message of the service */

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
	unsigned ver;                /* the session's protocol version  */
	uint64_t in_next;            /* v2: next input offset sent      */
	int resume;                  /* the attach resumes (a reconnect) */
	char *text;                  /* a JSON message being gathered   */
	size_t text_len;
	struct con_wq q;             /* messages for the WebSocket      */
	int detach, stop;
	pthread_t th;
};

/* psctl_console_web.c: a frame to the session (blocking: the session
 * reads its end), an ERROR frame, a message for the WebSocket (sent when
 * it is writable; one that cannot be queued closes the WebSocket, and
 * the session reconnects: con_wq.h). */
void web_put(struct web *w, uint8_t type, const void *p, size_t n);
void web_put_error(struct web *w, uint8_t req, unsigned code,
		   const char *text);
void web_queue(struct web *w, int binary, const void *p, size_t n);

/* psctl_console_web_http.c: start a request (method NULL opens the
 * WebSocket at path), its end (why NULL when an answer came), our
 * headers, the answer's status and cookie, its body gathered; the login
 * (0 or an exit code, reported). */
int web_start(struct web *w, const char *method, const char *path,
	      const char *body);
void web_http_end(struct web *w, const char *why);
int web_headers(struct web *w, struct lws *wsi, void *user,
		unsigned char **p, unsigned char *end);
void web_answer(struct web *w, struct lws *wsi);
void web_gather(struct web *w, const void *p, size_t n);
int web_login(struct sess *s, struct web *w);

/* psctl_console_web_msg.c: the port list answered (PORT frames and END,
 * or an ERROR); a WebSocket message received (binary: guest output). */
void web_list_done(struct web *w);
void web_rx(struct web *w, struct lws *wsi, const void *p, size_t n);

#endif /* PSCTL_CONSOLE_WEB_INT_H */
