/*
 * con_web_msg.h - what the console web page's service parses and writes
 * itself, apart from the HTTP/WebSocket library: the login form, the
 * users file's lines, a browser's WebSocket messages, and the service
 * frames turned into the page's JSON messages.  No I/O, no threads: the
 * fuzzer (tests/fuzz/fuzz_console_http.c) runs all of it.
 * docs/console.md "The web page" is the contract.
 */
#ifndef CON_WEB_MSG_H
#define CON_WEB_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "con_proto.h"

#define CW_NAME_MAX 32u        /* a user name                          */
#define CW_PASS_MAX 256u       /* a password                           */
#define CW_HASH_MAX 255u       /* a crypt(3) hash                      */
#define CW_FORM_MAX 1024u      /* a login form body                    */
#define CW_JSON_MAX 12288u     /* one JSON message to the page         */

/* Web users appear to the console core as uid CW_UID_BASE + the line
 * of the users file they were read from (docs/console.md). */
#define CW_UID_BASE 0xfff00000u

/*
 * The value of field name in an application/x-www-form-urlencoded body
 * (body[0..n)), decoded (+ is a space, %XX a byte) into out (NUL-ended).
 * -1 when absent, longer than outlen - 1, a bad %-escape, or a NUL byte.
 */
int cw_form_field(const char *body, size_t n, const char *name, char *out,
		  size_t outlen);

/* One user of the users file: "NAME PRIVILEGE HASH". */
struct cw_user {
	char name[CW_NAME_MAX + 1];
	int role;                       /* CON_ROLE_*                  */
	char hash[CW_HASH_MAX + 1];     /* crypt(3), e.g. "$y$..."     */
};
/* 1 with *u filled, 0 for a blank or '#' line, -1 with *why. */
int cw_user_line(const char *line, struct cw_user *u, const char **why);

/* A browser's message on a console WebSocket. */
enum cw_req_kind { CW_REQ_INPUT, CW_REQ_MODE, CW_REQ_FORCE };
struct cw_req {
	enum cw_req_kind kind;
	unsigned mode;                  /* CW_REQ_MODE: PSF_SERIAL_MODE_* */
	size_t len;                     /* CW_REQ_INPUT                   */
	int numbered;                   /* ... with an "offset": off      */
	uint64_t off;
	uint8_t data[CON_PAYLOAD_MAX];
};
/*
 * A binary message is input bytes; a text message is JSON:
 * {"type":"input","data":STRING[,"offset":N]} {"type":"mode","mode":
 * "free|observer|privacy"} {"type":"force"}.  0, or -1 with *why
 * (nothing done).
 */
int cw_parse_client(const uint8_t *p, size_t n, int binary,
		    struct cw_req *r, const char **why);

/*
 * A service frame (con_proto.h) as the page's JSON text message into
 * out[0..outlen): returns its length, 0 when the frame has no text form
 * (DATA is sent as a binary message, R_HELLO is the service's own).
 */
size_t cw_frame_json(const struct con_frame *f, char *out, size_t outlen);

/* s with every byte outside printable ASCII (and '\n') as '?', into
 * out (NUL-ended): guest text in JSON stays valid UTF-8. */
void cw_ascii(const char *s, size_t n, char *out, size_t outlen);

#endif /* CON_WEB_MSG_H */
