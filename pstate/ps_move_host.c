/*
 * ps_move_host.c - the hosted half of ps_move.h: running a move's steps
 * with the test hook between them, and the gate on a store a move
 * writes.  psctl's profile and VM moves and hvagent's VM move run here.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdint.h>

#include "ps_auth_host.h"
#include "ps_config.h"
#include "ps_errors.h"
#include "ps_move.h"
#include "psf.h"

/* PSCTL_TEST_HOLD_DIR=DIR: when DIR/STEP exists, say the step is reached
 * (DIR/STEP.reached) and hold until the test removes DIR/STEP (60 s at
 * most), so a test orders two movers' steps on conditions, not on
 * sleeps. */
static void hold_point(const char *step)
{
	const char *dir = getenv("PSCTL_TEST_HOLD_DIR");
	struct timespec tick = { 0, 10000000 };
	char gate[PATH_MAX], seen[PATH_MAX + 16];
	int i, fd;

	if (!dir || snprintf(gate, sizeof gate, "%s/%s", dir, step) >=
			    (int)sizeof gate || access(gate, F_OK))
		return;
	snprintf(seen, sizeof seen, "%s.reached", gate);
	fd = open(seen, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 6000 && !access(gate, F_OK); i++)
		nanosleep(&tick, NULL);
}

void ps_move_point(const char *step)
{
	const char *at = getenv("PSCTL_TEST_CRASH_AT");
	const char *p = getenv("PSCTL_TEST_PAUSE_AT");
	size_t n = strlen(step);

	hold_point(step);

	/* STEP:MS[,STEP:MS...] -- hold still there, so a test can make two
	 * movers overlap at chosen points. */
	for (; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		struct timespec ts;

		if (strncmp(p, step, n) || p[n] != ':')
			continue;
		ts.tv_sec = atol(p + n + 1) / 1000;
		ts.tv_nsec = atol(p + n + 1) % 1000 * 1000000;
		nanosleep(&ts, NULL);
	}
	if (at && !strcmp(at, step)) {
		fflush(NULL);
		_exit(99);
	}
}

int ps_move_run(const struct ps_move_step *steps, int n, int from,
		void *ctx)
{
	int i, rc;

	for (i = from < 0 ? 0 : from; i < n; i++) {
		if (!steps[i].run)
			continue;
		if (i == 0)
			ps_move_point("validate");
		rc = steps[i].run(ctx);
		if (rc)
			return rc;
		ps_move_point(steps[i].name);
	}
	return 0;
}

/* ------------------------------------------------------------ the gate */

struct lines {
	char **v;
	size_t n, cap;
	int nomem;
	/* after: */
	unsigned char *used;
	ps_cfg_report_fn fn;
	void *ctx;
	int fresh;
};

static void keep(void *arg, const char *msg)
{
	struct lines *l = arg;
	char **v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		v = realloc(l->v, l->cap * sizeof *v);
		if (!v) {
			l->nomem = 1;
			l->cap = l->n;
			return;
		}
		l->v = v;
	}
	l->v[l->n] = strdup(msg);
	if (!l->v[l->n])
		l->nomem = 1;
	else
		l->n++;
}

/* A line of after that matches one of before (each used once) is old. */
static void judge(void *arg, const char *msg)
{
	struct lines *l = arg;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!l->used[i] && !strcmp(l->v[i], msg)) {
			l->used[i] = 1;
			return;
		}
	l->fresh++;
	if (l->fn)
		l->fn(l->ctx, msg);
}

int ps_move_gate(const void *before, uint32_t blen, const void *after,
		 uint32_t alen, ps_cfg_report_fn fn, void *ctx)
{
	struct lines l = { 0 };
	size_t i;
	int rc = 0;

	/* A before that is no tree has no lines: every problem is new. */
	if (before)
		(void)ps_cfg_check_host(before, blen, keep, &l);
	l.used = calloc(l.n + 1, 1);
	if (l.nomem || !l.used)
		rc = PS_ERR_NOMEM;
	l.fn = fn;
	l.ctx = ctx;
	if (!rc)
		rc = ps_cfg_check_host(after, alen, judge, &l);
	if (rc >= 0)
		rc = l.fresh;
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	free(l.used);
	return rc;
}

int ps_vm_move_apply_gated(void *buf, size_t cap, const void *el,
			   size_t elen, const char *from, size_t fn,
			   ps_cfg_report_fn report, void *ctx,
			   struct ps_cfg_err *e)
{
	uint32_t len = psf_total(buf);
	uint8_t *before = malloc(len);
	int rc;

	if (!before)
		return PS_ERR_NOMEM;
	memcpy(before, buf, len);
	rc = ps_vm_move_apply(buf, cap, el, elen, from, fn, e);
	/* The checks read the header: its CRCs made current first. */
	if (!rc)
		rc = psf_finish(buf);
	if (!rc)
		rc = ps_move_gate(before, len, buf, psf_total(buf), report,
				  ctx);
	free(before);
	if (rc > 0) {
		e->field = "vm";
		e->why = "the destination's check found problems (above)";
		return PS_ERR_INUSE;
	}
	return rc;
}

int ps_move_update(struct ps_store *st, ps_edit_fn edit, void *arg,
		   char *msg, size_t n)
{
	static struct ps_auth_sess as;   /* large; the seal outlives nothing */
	int rc = ps_auth_sess_load(&as, st), v = as.r.verdict;

	msg[0] = 0;
	if (rc)
		return snprintf(msg, n, "%.400s", as.host.err), rc;
	if (v != PS_AUTH_OFF && v != PS_AUTH_VERIFIED)
		return snprintf(msg, n, "authenticated store is %s here: not "
				"written (psctl check --verify)",
				ps_auth_verdict_name(v)), PS_ERR_AUTH;
	if (v == PS_AUTH_VERIFIED) {
		rc = ps_auth_sess_arm(&as, st, as.key, 0);
		if (rc)
			return snprintf(msg, n, "%.400s", as.host.err), rc;
	}
	rc = ps_update(st, edit, arg, 3);
	if (ps_auth_sess_done(&as, st, rc == 0) && !rc)
		return snprintf(msg, n, "committed, but the trusted counter "
				"was not raised: %.400s", as.host.err),
		       PS_ERR_AUTH;
	return rc;
}
