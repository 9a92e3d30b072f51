/*
 * ps_move_host.c - the hosted half of ps_move.h: running a move's steps
 * with the test hook between them, and the gate on a store a move
 * writes.  psctl's profile and VM moves and hvagent's VM move run here.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>

#include "ps_config.h"
#include "ps_errors.h"
#include "ps_move.h"
#include "psf.h"

void ps_move_point(const char *step)
{
	const char *at = getenv("PSCTL_TEST_CRASH_AT");
	const char *p = getenv("PSCTL_TEST_PAUSE_AT");
	size_t n = strlen(step);

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
