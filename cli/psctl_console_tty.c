/*
 * psctl_console_tty.c - the session's output to the terminal
 * (psctl_console.c): queued and written when the terminal takes it, so
 * the session never waits on a slow terminal.
 *
 * Why: the service's ACKs of typed input come in the same stream as the
 * guest's output.  A session that blocked on its terminal read that
 * stream at the terminal's pace, and over --bmc an ACK then waited
 * behind everything buffered on the way (the WebSocket's TCP buffers,
 * the bridge's socketpair): with the resend keep full (RESEND_MAX), the
 * keyboard was not read for seconds (tests/e2e/test_console_bmc_flood.sh).
 * Now the session reads its socket at every turn and handles ACKs at
 * once; output the terminal has not taken waits here, up to TTY_MAX.
 * Past that, output is dropped until the queue is empty, and then the
 * gap is told, where it is in the output, with its exact size and
 * offset (the same note as the service's SKIP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psctl_console.h"

#define TTY_MAX (64u * 1024u) /* output waiting for the terminal */

/* The note of a gap in the output, at the point where it is. */
static void tell_gap(struct sess *s)
{
	fprintf(stderr, "\r\n[console: %llu bytes skipped at offset %llu: "
		"this terminal was too slow or they left the backlog]\r\n",
		(unsigned long long)s->gap_n, (unsigned long long)s->gap_at);
	s->gap_n = 0;
}

void psctl_con_tty_put(struct sess *s, uint64_t off, const uint8_t *p,
		       size_t n)
{
	if (!n)
		return;
	if (!s->tq)
		s->tq = malloc(TTY_MAX); /* (none: every byte a gap) */
	if (s->tq && !s->gap_n && s->tq_len + n <= TTY_MAX) {
		memcpy(s->tq + s->tq_len, p, n);
		s->tq_len += n;
		return;
	}
	if (!s->gap_n)
		s->gap_at = off;
	s->gap_n += n;
}

void psctl_con_tty_gap(struct sess *s, uint64_t off, uint64_t n)
{
	if (!s->gap_n)
		s->gap_at = off;
	s->gap_n = off + n - s->gap_at;
	if (!s->tq_len)
		tell_gap(s);
}

/* Writes what the terminal takes now (all of it when block).  -1 when
 * the terminal is gone. */
int psctl_con_tty_flush(struct sess *s, int block)
{
	ssize_t w;

	while (s->tq_len) {
		w = write(1, s->tq, s->tq_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && !block)
			return 0;
		if (w < 0 && errno == EAGAIN) { /* (restored to blocking) */
			usleep(1000);
			continue;
		}
		if (w <= 0) {
			s->tq_len = 0;
			return -1;
		}
		memmove(s->tq, s->tq + w, s->tq_len - (size_t)w);
		s->tq_len -= (size_t)w;
	}
	if (s->gap_n)
		tell_gap(s);
	return 0;
}

/* The terminal's writes stop instead of waiting (on: the session's
 * turns; off: restores the flags it had, as ssh does with its stdio). */
void psctl_con_tty_nonblock(struct sess *s, int on)
{
	int fl = fcntl(1, F_GETFL);

	if (fl < 0)
		return;
	if (on) {
		s->tty_fl = fl;
		fcntl(1, F_SETFL, fl | O_NONBLOCK);
	} else {
		fcntl(1, F_SETFL, s->tty_fl);
	}
}
