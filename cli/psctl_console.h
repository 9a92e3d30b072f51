/*
 * psctl_console.h - a session of psctl console with the console service
 * (psctl_console.c), shared with console exec (psctl_console_exec.c).
 */
#ifndef PSCTL_CONSOLE_H
#define PSCTL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "con_proto.h"

#define CMD "console"

struct psctl_ctx;
#define RESEND_MAX (64u * 1024u) /* input kept until the service acks it */

/* The reconnect schedule of the console's clients (docs/console.md
 * "Reconnecting: one schedule", where the numbers are written once; the
 * web page's app.js carries the same, tests/e2e/test_console_retry.sh
 * checks both against the doc): the first try at once, then one every
 * MIN ms until FAST ms after the loss, then the wait doubles after each
 * failed try, up to MAX ms. */
#define PSCTL_CON_RETRY_MIN_MS  50u
#define PSCTL_CON_RETRY_FAST_MS 5000u
#define PSCTL_CON_RETRY_MAX_MS  5000u

/* The wait after a try that failed `since` ms after the loss, the wait
 * before it being `wait` (0 after the first try). */
static inline unsigned psctl_con_retry_wait(unsigned wait, long long since)
{
	if (!wait || since < (long long)PSCTL_CON_RETRY_FAST_MS)
		return PSCTL_CON_RETRY_MIN_MS;
	return wait < PSCTL_CON_RETRY_MAX_MS / 2 ? wait * 2
						 : PSCTL_CON_RETRY_MAX_MS;
}

/* --bmc: the BMC's console service through its web endpoint
 * (psctl_console_web.c). */
struct con_web_opts {
	char host[256];
	unsigned port;           /* HTTPS (default 443)              */
	const char *user, *password;
	int insecure;            /* do not verify the certificate    */
	const char *ca;          /* trust this PEM, not the system's */
};

struct sess {
	struct psctl_ctx *c;
	const struct con_web_opts *web; /* set: the web transport     */
	void *web_state;
	int fd;
	const char *path;
	uint8_t in[8 * (CON_HDR + CON_PAYLOAD_MAX)]; /* 8 frames a read */
	size_t in_len;
	int esc;        /* escape state: 0, 1 (^E seen), 2 (^Ec), 3 (mode) */
	int done;
	unsigned conc, ver, how;
	uint64_t epoch, next;   /* the output stream and what was shown */
	uint64_t stream;        /* our input stream's id (random)       */
	uint8_t *kept;          /* input not yet acked, from offset...  */
	uint64_t kept_at;       /* ... kept_at (= the last ack)          */
	size_t kept_len;
	int quiet;              /* reconnecting: no message per failure  */
	unsigned retry;         /* seconds to keep reconnecting          */
	int stopped;            /* the service said it stops for good    */
	uint64_t attach_total;  /* the port's output end at the attach   */
	/* Output goes to out(arg, bytes) when set (notices are then not
	 * shown), else to stdout. */
	void (*out)(void *arg, const uint8_t *p, size_t n);
	void *out_arg;
	/* Output the terminal has not taken yet, and a gap not yet told
	 * (psctl_console_tty.c). */
	uint8_t *tq;
	size_t tq_len;
	uint64_t gap_at, gap_n;
	int tty_fl;             /* stdout's flags before the session     */
};

int psctl_con_send(int fd, uint8_t type, const void *p, size_t n);
/* Sends a request, waits for its OK/ERROR; 0 or an exit code. */
int psctl_con_ask(struct sess *s, uint8_t type, const void *p, size_t n);
/* Connects to the service at path (NULL: $PSCON_SOCKET, the default). */
int psctl_con_connect(struct sess *s, const char *path);
/* Attaches (how: CON_RW / CON_SPY) to VM's port or its port PORT. */
int psctl_con_attach(struct sess *s, const char *vm, const char *port,
		     unsigned how);
/* Typed bytes, numbered and kept until acknowledged. */
void psctl_con_type(struct sess *s, const uint8_t *p, size_t n);
/* Handles a frame that is no awaited reply (output, ACK, notices). */
void psctl_con_show(struct sess *s, const struct con_frame *f);
/* One port of `console list`: its JSON object into the writer arg
 * (struct psctl_jw *), or its text row into the stream arg (FILE *). */
void psctl_con_port_json(void *arg, const struct con_port_info *pi);
void psctl_con_port_text(void *arg, const struct con_port_info *pi);
/* The web transport: logs in, then s->fd is a socketpair end bridged to
 * the web endpoint.  0 or an exit code (reported). */
int psctl_con_web_open(struct sess *s);
/* --console-port's value; --bmc, -U, the password into w (s->web = w).
 * 0 or an exit code (reported). */
int psctl_con_web_port(struct psctl_ctx *c, const char *v, unsigned *port);
int psctl_con_web_opts(struct psctl_ctx *c, struct sess *s,
		       struct con_web_opts *w);
void psctl_con_web_close(struct sess *s);
/* The terminal (psctl_console_tty.c): output at offset off queued (past
 * its bound: a gap, told when the queue has drained); a gap of n bytes
 * at off (the service's SKIP); written as far as the terminal takes it
 * (block: all of it), -1 when it is gone; stdout non-blocking or back. */
void psctl_con_tty_put(struct sess *s, uint64_t off, const uint8_t *p,
		       size_t n);
void psctl_con_tty_gap(struct sess *s, uint64_t off, uint64_t n);
int psctl_con_tty_flush(struct sess *s, int block);
void psctl_con_tty_nonblock(struct sess *s, int on);
int psctl_cmd_console_exec(struct psctl_ctx *c, int argc, char **argv);

#endif /* PSCTL_CONSOLE_H */
