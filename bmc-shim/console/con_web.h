/*
 * con_web.h - the console web page (docs/console.md "The web page"):
 * HTTPS and a WebSocket per console, served by libwebsockets in a thread
 * of pscon.  Each browser console is one more session of the console
 * core: the web thread speaks the client protocol over a socketpair whose
 * other end the main loop adopts (con_client_adopt) with the web user's
 * uid and role, so modes, backlog replay and the bounded queues with
 * skip markers are the core's, unchanged.
 */
#ifndef CON_WEB_H
#define CON_WEB_H

#include <stdint.h>

#include "con_web_msg.h"

struct con_svc;

struct con_web_opts {
	const char *listen;     /* "ADDR:PORT" (--web); NULL: no web page */
	const char *users;      /* the users file (--web-users)          */
	const char *cert, *key; /* PEM files (--web-cert, --web-key)      */
	const char *root;       /* the page's files (--web-root)         */
};

/* Checks the options, starts the web thread; -1 with a logged reason. */
int con_web_start(struct con_svc *s, const struct con_web_opts *o);
/* Main loop: sessions the web thread hands over (CON_K_WEB). */
void con_web_adopt(struct con_svc *s);
/* Stops the thread (at exit). */
void con_web_stop(void);

/* ---------------------------------------------- users, sessions (con_web_auth.c) */

/* The users file: a regular file owned by the service's user (or root),
 * no access for group or others; read at every login.  Returns 0 and the
 * user (uid = CW_UID_BASE + line) when name/password match; -1 with
 * *why (a text for the browser) after a wrong one. */
int cw_login(const char *path, const char *name, const char *pass,
	     struct cw_user *u, uint32_t *uid, const char **why);

/* A logged-in browser: the cookie's random token. */
struct cw_session {
	char token[65];             /* set by cw_session_new only (cookie) */
	char hash[65];              /* the token's SHA-256, hex            */
	char name[CW_NAME_MAX + 1];
	int role;
	uint32_t uid;
	long long created, used;
	long long saved;            /* `used` as the file has it           */
};
/* The sessions kept in the directory dir (O_PATH; the run directory's
 * web-sessions) read back, and kept there from now on. */
void cw_sessions_load(int dir);
/* A new session for u (the oldest is dropped when the table is full). */
const struct cw_session *cw_session_new(const struct cw_user *u,
					uint32_t uid);
/* The live session of a token, or NULL (expired ones are dropped). */
const struct cw_session *cw_session_find(const char *token);
void cw_session_end(const char *token);
/* The name of a web uid, or NULL. */
const char *cw_uid_name(uint32_t uid);

/* pscon --hash-password: a password line from stdin, its hash out. */
int cw_hash_password(void);

#endif /* CON_WEB_H */
