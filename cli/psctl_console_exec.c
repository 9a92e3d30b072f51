/*
 * psctl_console_exec.c - `psctl console exec VM [--port P] [--timeout S]
 * [--credentials FILE] [--socket PATH] -- COMMAND...`: the out-of-band
 * path (docs/console.md, "console exec").  Attaches read-write to the
 * VM's port through pscon, logs in when the guest asks and credentials
 * are configured (a root-only file, never the command line), types
 * COMMAND between two markers holding a random token, and prints what
 * the guest printed between them; the exit status is the command's.
 * The markers are typed split in two ("PSB""EGIN-<token>") so the
 * terminal's echo of the typed line never matches them, and the token is
 * new each time, so no output can fake the end or the status.
 */
#define _GNU_SOURCE /* getrandom */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "con_proto.h"
#include "psctl.h"
#include "psctl_console.h"
#include "psctl_main.h"

#define CRED_DEFAULT "/etc/pstate/console-credentials"
#define CAPTURE_MAX (1u << 20)
#define LINE_MAX_EXEC 4000u

struct ex {
	struct sess *s;
	uint8_t *b;             /* guest output since the last clear */
	size_t len;
	int err;                /* an exit code: a refusal came     */
	const char *want;       /* pump() stops when b holds it     */
};

static void capture(void *arg, const uint8_t *p, size_t n)
{
	struct ex *e = arg;

	if (n > CAPTURE_MAX - e->len)
		n = CAPTURE_MAX - e->len;
	memcpy(e->b + e->len, p, n);
	e->len += n;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const uint8_t *find(const struct ex *e, const char *text)
{
	return memmem(e->b, e->len, text, strlen(text));
}

/* Frames until `e->want` shows (0), the deadline (1), a refusal or the
 * service's end (an exit code). */
static int pump(struct ex *e, long long deadline)
{
	struct sess *s = e->s;
	struct pollfd pf = { s->fd, POLLIN, 0 };
	struct con_frame f;
	ssize_t r;
	int n;

	for (;;) {
		while ((n = con_frame_parse(s->in, s->in_len, 0, &f)) > 0) {
			if (f.type == CON_R_ERROR && !e->err)
				e->err = PSCTL_EXIT_CONFLICT;
			psctl_con_show(s, &f); /* output lands in e->b */
			memmove(s->in, s->in + n, s->in_len - (size_t)n);
			s->in_len -= (size_t)n;
		}
		if (e->err)
			return e->err;
		if (n < 0)
			return PSCTL_EXIT_IO;
		if (e->want && find(e, e->want))
			return 0;
		if (now_ms() >= deadline)
			return 1;
		if (poll(&pf, 1, (int)(deadline - now_ms())) < 0 &&
		    errno != EINTR)
			return PSCTL_EXIT_IO;
		if (!pf.revents)
			continue;
		r = read(s->fd, s->in + s->in_len, sizeof s->in - s->in_len);
		if (r <= 0)
			return psctl_error(s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
					   "exec: the console service ended "
					   "the session");
		s->in_len += (size_t)r;
	}
}

static void type_text(struct ex *e, const char *t)
{
	psctl_con_type(e->s, (const uint8_t *)t, strlen(t));
}

/* The credentials for target (a VM, host name or port; "*" any):
 * lines "TARGET USER PASSWORD".  -1 (said why) when the file may be
 * read by others; 0 with *user empty when none is configured. */
static int credentials(struct sess *s, const char *path, const char *vm,
		       const char *port, char *user, char *pass, size_t n)
{
	char line[512], t[256], u[256], p[256];
	struct stat st;
	FILE *f;

	*user = *pass = 0;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : psctl_error(s->c, CMD,
			"credentials", path, PSCTL_EXIT_IO, "%s",
			strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_uid ||
	    (st.st_mode & 077)) {
		fclose(f);
		return psctl_error(s->c, CMD, "credentials", path,
				   PSCTL_EXIT_INVALID, "must be a file owned "
				   "by root and readable only by it (mode "
				   "%04o, uid %u): refused",
				   (unsigned)st.st_mode & 07777,
				   (unsigned)st.st_uid);
	}
	while (fgets(line, sizeof line, f))
		if (line[0] != '#' &&
		    sscanf(line, "%255s %255s %255s", t, u, p) == 3 &&
		    (!strcmp(t, "*") || !strcmp(t, vm) ||
		     (port && !strcmp(t, port)))) {
			snprintf(user, n, "%s", u);
			snprintf(pass, n, "%s", p);
			break;
		}
	fclose(f);
	return 0;
}

/* 32 random hex digits in tok (33 bytes); an exit code when there is
 * no randomness. */
static int token(struct ex *e, char *tok)
{
	uint8_t r[16];
	int i;

	if (getrandom(r, sizeof r, 0) != sizeof r)
		return psctl_error(e->s->c, CMD, NULL, NULL, PSCTL_EXIT_IO,
				   "exec: no random marker: %s",
				   strerror(errno));
	for (i = 0; i < 16; i++)
		snprintf(tok + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* After the password: a shell runs the probe line typed ahead at once,
 * while a refusal comes only after the login program's delay (3 s in
 * busybox and util-linux), so waiting a fixed moment for "incorrect"
 * would take a late refusal for a shell.  A refused login has read the
 * probe's first word as the next user name and asks for its password:
 * an empty line answers it, and the guest is back at its login prompt
 * (awaited, so the next exec finds it there) after its delay. */
static int login_outcome(struct ex *e)
{
	char line[64], ready[48], tok[33];
	long long deadline = now_ms() + 10000;
	int rc;

	if ((rc = token(e, tok)))
		return rc;
	snprintf(line, sizeof line, "echo \"PSR\"\"EADY-%s\"\n", tok);
	snprintf(ready, sizeof ready, "PSREADY-%s", tok);
	type_text(e, line);
	while (!find(e, ready)) {
		if (find(e, "incorrect")) {
			e->len = 0;
			e->want = "assword:";
			if (!pump(e, now_ms() + 1500)) {
				e->len = 0;
				e->want = "login:";
				type_text(e, "\n");
				pump(e, now_ms() + 6000);
			}
			return psctl_error(e->s->c, CMD, NULL, NULL,
					   PSCTL_EXIT_CONFLICT, "exec: the "
					   "guest refused the login");
		}
		if (now_ms() >= deadline)
			return psctl_error(e->s->c, CMD, NULL, NULL,
					   PSCTL_EXIT_IO, "exec: no shell "
					   "after the login within 10 s");
		if ((rc = pump(e, now_ms() + 100)) > 1)
			return rc;
	}
	return 0;
}

/* A login prompt within a moment: answer it. */
static int login(struct ex *e, const char *user, const char *pass)
{
	char line[300];
	int rc;

	e->len = 0;
	e->want = "login:";
	type_text(e, "\n");
	rc = pump(e, now_ms() + 1500);
	if (rc == 1)
		return 0; /* no prompt: a shell already */
	if (rc)
		return rc;
	if (!*user)
		return psctl_error(e->s->c, CMD, NULL, NULL,
				   PSCTL_EXIT_CONFLICT, "exec: the guest asks "
				   "for a login and no credentials are "
				   "configured for it");
	snprintf(line, sizeof line, "%s\n", user);
	e->want = "assword:";
	type_text(e, line);
	if ((rc = pump(e, now_ms() + 5000)))
		return rc == 1 ? psctl_error(e->s->c, CMD, NULL, NULL,
					     PSCTL_EXIT_IO, "exec: no "
					     "password prompt") : rc;
	snprintf(line, sizeof line, "%s\n", pass);
	e->len = 0;
	e->want = NULL;
	type_text(e, line);
	return login_outcome(e);
}

/* Between the markers: the output; after the end marker: the status.
 * -1 until the whole end line has come. */
static int parse(struct ex *e, const char *tok, size_t *from, size_t *to)
{
	char begin[48], end[48];
	const uint8_t *b, *x, *nl;

	snprintf(begin, sizeof begin, "PSBEGIN-%s", tok);
	snprintf(end, sizeof end, "\nPSEND-%s ", tok);
	b = find(e, begin);
	if (!b || (b > e->b && b[-1] != '\n'))
		return -1;
	nl = memchr(b, '\n', e->len - (size_t)(b - e->b));
	if (!nl)
		return -1;
	*from = (size_t)(nl + 1 - e->b);
	x = memmem(nl, e->len - (size_t)(nl - e->b), end, strlen(end));
	if (!x || !memchr(x + 1, '\n', e->len - (size_t)(x + 1 - e->b)))
		return -1;
	*to = (size_t)(x + 1 - e->b);
	return atoi((const char *)x + strlen(end)) & 0xff;
}

/* The output, CR LF as LF (the guest's terminal adds the CRs). */
static void print_output(struct psctl_ctx *c, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			fputc(p[i], c->out);
	fflush(c->out);
}

static int run(struct ex *e, char **cmd, unsigned timeout)
{
	char line[LINE_MAX_EXEC + 128], tok[33];
	size_t o = 0, from, to;
	long long deadline;
	int i, st = -1, rc;

	if ((rc = token(e, tok)))
		return rc;
	o = (size_t)snprintf(line, sizeof line, "echo \"PSB\"\"EGIN-%s\"; ",
			     tok);
	for (i = 0; cmd[i]; i++) {
		if (o + strlen(cmd[i]) + 2 > LINE_MAX_EXEC)
			return psctl_error(e->s->c, CMD, NULL, NULL,
					   PSCTL_EXIT_INVALID, "exec: the "
					   "command is over %u bytes",
					   LINE_MAX_EXEC);
		o += (size_t)snprintf(line + o, sizeof line - o, "%s%s",
				      i ? " " : "", cmd[i]);
	}
	snprintf(line + o, sizeof line - o, "; echo \"PSE\"\"ND-%s $?\"\n",
		 tok);
	e->len = 0;
	e->want = NULL;
	type_text(e, line);
	deadline = now_ms() + (long long)timeout * 1000;
	while ((st = parse(e, tok, &from, &to)) < 0) {
		rc = pump(e, now_ms() + 100 < deadline ? now_ms() + 100
						      : deadline);
		if (rc > 1)
			return rc;
		if (now_ms() >= deadline)
			return psctl_error(e->s->c, CMD, NULL, NULL,
					   PSCTL_EXIT_IO, "exec: no end "
					   "marker within %u s (the command "
					   "may still run on the guest)",
					   timeout);
	}
	print_output(e->s->c, e->b + from, to - from);
	return st;
}

static int usage(struct psctl_ctx *c, const char *what)
{
	return psctl_error(c, CMD, NULL, what, PSCTL_EXIT_USAGE, "usage: "
			   "console exec VM [--port P] [--timeout S] "
			   "[--credentials FILE] [--socket PATH] -- "
			   "COMMAND...");
}

int psctl_cmd_console_exec(struct psctl_ctx *c, int argc, char **argv)
{
	const char *vm = NULL, *port = NULL, *sock = NULL,
		   *cred = CRED_DEFAULT;
	char user[256], pass[256];
	unsigned timeout = 30;
	struct sess *s;
	struct ex e = { 0 };
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--port") && v)
			port = argv[++i];
		else if (!strcmp(argv[i], "--socket") && v)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--credentials") && v)
			cred = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && v) {
			char *end;
			unsigned long t = strtoul(v, &end, 10);

			if (*end || end == v || !t || t > 86400)
				return psctl_error(c, CMD, "timeout", v,
						   PSCTL_EXIT_INVALID,
						   "seconds, 1-86400");
			timeout = (unsigned)t;
			i++;
		} else if (argv[i][0] != '-' && !vm)
			vm = argv[i];
		else
			return usage(c, argv[i]);
	}
	if (!vm || i + 1 >= argc)
		return usage(c, NULL);
	if (c->bmc) /* (its credentials file is the host's, not for a BMC) */
		return psctl_error(c, CMD, NULL, NULL, PSCTL_EXIT_USAGE,
				   "console exec goes through the local "
				   "service (--socket), not --bmc");
	s = calloc(1, sizeof *s);
	e.b = malloc(CAPTURE_MAX);
	if (!s || !e.b) {
		free(s);
		free(e.b);
		return psctl_error(c, CMD, NULL, NULL, PS_ERR_NOMEM, NULL);
	}
	s->c = c;
	s->fd = -1;
	s->out = capture;
	s->out_arg = &e;
	e.s = s;
	rc = credentials(s, cred, vm, port, user, pass, sizeof user);
	if (!rc)
		rc = psctl_con_connect(s, sock);
	if (!rc)
		rc = psctl_con_attach(s, vm, port, CON_RW);
	s->next = s->attach_total; /* the backlog is not this command's */
	if (!rc)
		rc = login(&e, user, pass);
	if (!rc)
		rc = run(&e, argv + i + 1, timeout);
	memset(pass, 0, sizeof pass);
	if (s->fd >= 0) {
		psctl_con_send(s->fd, CON_DETACH, NULL, 0);
		close(s->fd);
	}
	free(s->kept);
	free(s);
	free(e.b);
	return rc;
}
