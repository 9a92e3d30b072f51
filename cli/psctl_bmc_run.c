/*
 * psctl_bmc_run.c - the transport of psctl's BMC client: ipmitool run as
 * a program, and batches of OEM requests in one session.
 *
 * Why ipmitool as a program: RMCP+ (authentication, integrity,
 * encryption) is the part not to write again, and ipmitool is what
 * operators already have.  Each ipmitool run opens one session (about
 * 0.1-0.3 s), so the chunk traffic of one step goes as one `exec FILE`
 * of `raw` lines: a read is three runs (begin; arguments and run;
 * chunks), a write three (begin; chunks and finish; result), whatever
 * the size.  ipmitool runs with -v so its stderr says why a session
 * failed (wrong password, unknown user, no answer); its stdout then holds
 * only the raw responses, which are parsed by the length each command
 * answers with.
 */
#define _GNU_SOURCE             /* pipe2, close_range */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc_int.h"
#include "psctl_util.h"

void psctl_bmc_say(char *err, size_t n, const struct psctl_bmc *b,
		   const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, n, "BMC %s:%u: ", b->host, b->port);

	if (k < 0 || (size_t)k >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(err + k, n - (size_t)k, fmt, ap);
	va_end(ap);
}


static const char *cmd_name(unsigned cmd)
{
	switch (cmd) {
	case BMC_CMD_INFO: return "info";
	case BMC_CMD_READ_BEGIN: return "read begin";
	case BMC_CMD_READ_ARG: return "read argument";
	case BMC_CMD_READ_RUN: return "read run";
	case BMC_CMD_READ_CHUNK: return "read chunk";
	case BMC_CMD_WRITE_BEGIN: return "write begin";
	case BMC_CMD_WRITE_CHUNK: return "write chunk";
	case BMC_CMD_WRITE_FINISH: return "write finish";
	case BMC_CMD_WRITE_ABORT: return "write abort";
	case BMC_CMD_WRITE_RESULT: return "write result";
	case BMC_CMD_LOCK_TAKE: return "lock take";
	case BMC_CMD_LOCK_RELEASE: return "lock release";
	default: return "command";
	}
}

/* ------------------------------------------------------------ ipmitool */


int psctl_buf_add(struct buf *o, const void *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *np;

		while (cap < o->len + n + 1)
			cap *= 2;
		np = realloc(o->p, cap);
		if (!np)
			return -1;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = 0;
	return 0;
}


void psctl_run_free(struct run *r)
{
	free(r->out.p);
	free(r->err.p);
	memset(r, 0, sizeof *r);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *level_name(int priv)
{
	return priv == PRIV_ADMIN ? "ADMINISTRATOR" : "OPERATOR";
}

/* Close every descriptor from lo up. */
static void close_from(int lo)
{
	long max;
	int fd;

	if (close_range((unsigned)lo, ~0u, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lo; fd < max; fd++)
		close(fd);
}

/* The child: stdout/stderr to the pipes, no stdin, the password in the
 * environment only (never visible in ps), and no other descriptor of
 * psctl's (the store, a lock, the pool image). */
static void child(char *const argv[], const char *password, int out,
		  int err)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (nul >= 0)
		dup2(nul, 0);
	dup2(out, 1);
	dup2(err, 2);
	close_from(3);
	if (setenv("IPMI_PASSWORD", password, 1) == 0)
		execvp(argv[0], argv);
	dprintf(2, "psctl-exec-failed: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Read both pipes to their end, within the deadline. */
static void collect(struct run *r, pid_t pid, int out, int err, long limit)
{
	struct pollfd p[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	struct buf *to[2] = { &r->out, &r->err };
	long deadline = now_ms() + limit;
	char chunk[4096];
	int open_fds = 2, i, st;

	while (open_fds) {
		long left = deadline - now_ms();
		int k;

		if (left <= 0) {
			kill(pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		k = poll(p, 2, (int)left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			kill(pid, SIGKILL);     /* or waitpid could hang */
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			got = read(p[i].fd, chunk, sizeof chunk);
			if (got > 0 && psctl_buf_add(to[i], chunk,
						     (size_t)got) == 0)
				continue;
			if (got < 0 && errno == EINTR)
				continue;
			p[i].fd = -1;
			open_fds--;
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = !r->timed_out && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->exec_failed = r->err.p && strstr(r->err.p, "psctl-exec-failed:");
}

/* ipmitool with the connection options, then tail; at session privilege
 * priv.  0, or -1 when it could not be started at all. */
int psctl_run_ipmitool(const struct psctl_bmc *b, int priv,
		       const char *const *tail, long limit, struct run *r)
{
	const char *argv[40];
	char port[16];
	const char *pw = b->password ? b->password : getenv("IPMI_PASSWORD");
	int po[2], pe[2], n = 0, i;
	pid_t pid;

	memset(r, 0, sizeof *r);
	r->status = -1;
	snprintf(port, sizeof port, "%u", b->port);
	for (i = 0; i < 18; i++)
		argv[n++] = (const char *[]){
			"ipmitool", "-I", "lanplus", "-C", "3", "-N", "1",
			"-R", "1", "-v", "-H", b->host, "-p", port, "-U",
			b->user ? b->user : "admin", "-L",
			level_name(priv) }[i];
	argv[n++] = "-E";
	for (i = 0; tail[i] && n < 39; i++)
		argv[n++] = tail[i];
	argv[n] = NULL;
	if (pipe2(po, O_CLOEXEC))
		return -1;
	if (pipe2(pe, O_CLOEXEC)) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child((char *const *)argv, pw ? pw : "", po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		close(po[0]);
		close(pe[0]);
		return -1;
	}
	collect(r, pid, po[0], pe[0], limit);
	close(po[0]);
	close(pe[0]);
	return 0;
}

/* Why a run opened no session, from ipmitool's verbose stderr; NULL when
 * it did not fail that way. */
const char *psctl_session_failure(const struct psctl_bmc *b,
				  const struct run *r, char *why, size_t n)
{
	const char *e = r->err.p ? r->err.p : "";
	const char *user = b->user ? b->user : "admin";

	if (r->exec_failed)
		snprintf(why, n, "cannot run ipmitool (install it: Debian and "
			 "Fedora package 'ipmitool'): %s",
			 strchr(e, ':') ? strchr(e, ':') + 2 : e);
	else if (r->timed_out)
		snprintf(why, n, "no answer within the time limit; nothing "
			 "more was sent");
	else if (strstr(e, "Address lookup"))
		snprintf(why, n, "cannot resolve the host name");
	else if (strstr(e, "HMAC is invalid"))
		snprintf(why, n, "wrong password for user '%s' (session "
			 "refused)", user);
	else if (strstr(e, "unauthorized name"))
		snprintf(why, n, "no user '%s' on the BMC (session refused)",
			 user);
	else if (strstr(e, "role") || strstr(e, "privilege level"))
		snprintf(why, n, "user '%s' may not open an %s session "
			 "(insufficient privilege)", user, level_name(
				 strstr(e, "ADMIN") ? PRIV_ADMIN
						    : PRIV_OPERATOR));
	else if (strstr(e, "Unable to establish") ||
		 strstr(e, "Auth Capabilities"))
		snprintf(why, n, "no IPMI answer (host down, wrong port, or "
			 "IPMI over LAN disabled)");
	else if (strstr(e, "Unable to read password"))
		snprintf(why, n, "no password (give -P or set IPMI_PASSWORD)");
	else
		return NULL;
	return why;
}

/* The first refused command in a run: its command byte and code. */
static int first_refusal(const struct run *r, unsigned *cmd, unsigned *cc)
{
	const char *e = r->err.p ? r->err.p : "";
	const char *at = strstr(e, "rsp=0x");
	const char *line, *c;

	if (!at)
		return 0;
	for (line = at; line > e && line[-1] != '\n'; line--)
		;
	c = strstr(line, "cmd=0x");
	*cmd = c && c < at ? (unsigned)strtoul(c + 6, NULL, 16) : 0;
	*cc = (unsigned)strtoul(at + 6, NULL, 16);
	return 1;
}

/* The last line of stderr that is not verbose chatter, for messages. */
void psctl_last_line(const struct run *r, char *out, size_t n)
{
	const char *e = r->err.p ? r->err.p : "", *s = e, *best = NULL;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		if (len && s[0] != ' ' && strncmp(s, "RAW ", 4) &&
		    strncmp(s, "Loading ", 8) && strncmp(s, "Running ", 8))
			best = s;
		s += len + (nl ? 1 : 0);
	}
	if (!best) {
		snprintf(out, n, "exit status %d", r->status);
		return;
	}
	snprintf(out, n, "%.*s", (int)strcspn(best, "\n"), best);
}

/* ------------------------------------------------------------ batches */


int psctl_batch_add(struct batch *bt, uint8_t cmd, const uint8_t *data,
		    size_t len, unsigned want)
{
	char line[200];
	struct req *nr;
	size_t k, i;

	nr = psctl_grow(bt->req, &bt->cap, bt->n, sizeof *bt->req, 16);
	if (!nr)
		return -1;
	bt->req = nr;
	bt->req[bt->n].cmd = cmd;
	bt->req[bt->n].want = (uint16_t)want;
	bt->n++;
	k = (size_t)snprintf(line, sizeof line,
			     "raw 0x%02x 0x%02x 0x%02x 0x%02x"
			     " 0x%02x", BMC_SHIM_NETFN, cmd, BMC_SHIM_IANA0,
			     BMC_SHIM_IANA1, BMC_SHIM_IANA2);
	for (i = 0; i < len && k + 6 < sizeof line; i++)
		k += (size_t)snprintf(line + k, sizeof line - k, " 0x%02x",
				      data[i]);
	line[k++] = '\n';
	return psctl_buf_add(&bt->script, line, k);
}

void psctl_batch_free(struct batch *bt)
{
	free(bt->script.p);
	free(bt->req);
	free(bt->resp);
	memset(bt, 0, sizeof *bt);
}

/* Answers as hex tokens on stdout -> resp, by the length each wants. */
static int batch_parse(struct batch *bt, const char *out)
{
	size_t i, total = 0, pos = 0;
	const char *s = out ? out : "";

	for (i = 0; i < bt->n; i++)
		total += 3u + bt->req[i].want;
	bt->resp = malloc(total + 1);
	if (!bt->resp)
		return -1;
	for (i = 0; i < total; i++) {
		char *end;
		unsigned long v;

		s += strspn(s, " \t\r\n");
		v = strtoul(s, &end, 16);
		if (end != s + 2 || v > 0xff)
			return -1;
		bt->resp[i] = (uint8_t)v;
		s = end;
	}
	if (s[strspn(s, " \t\r\n")])
		return -1;                      /* more than expected */
	for (i = 0; i < bt->n; i++) {
		const uint8_t *r = bt->resp + pos;

		if (r[0] != BMC_SHIM_IANA0 || r[1] != BMC_SHIM_IANA1 ||
		    r[2] != BMC_SHIM_IANA2)
			return -1;
		bt->req[i].off = pos + 3;
		pos += 3u + bt->req[i].want;
	}
	bt->resp_len = total;
	return 0;
}

const uint8_t *psctl_batch_answer(const struct batch *bt, size_t i)
{
	return bt->resp + bt->req[i].off;
}

/* Write the script to a private temporary file; its path in path. */
static int script_file(const struct batch *bt, char *path, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd, ok;

	snprintf(path, n, "%s/psctl-bmc-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	ok = write(fd, bt->script.p, bt->script.len) ==
	     (ssize_t)bt->script.len;
	if (close(fd) || !ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* Run the batch in one session.  On failure err says what and where;
 * *cc (when not NULL) gets the refused command's completion code, or 0
 * when the failure was not a refusal. */
int psctl_batch_run(const struct psctl_bmc *b, int priv, struct batch *bt,
		    const char *what, unsigned *cc_out, char *err, size_t n)
{
	char path[512], why[400], line[300];
	const char *tail[] = { "exec", path, NULL };
	struct run r;
	unsigned cmd, cc;
	int rc;

	if (cc_out)
		*cc_out = 0;
	if (script_file(bt, path, sizeof path)) {
		psctl_bmc_say(err, n, b,
			      "%s: cannot write a temporary file in %s: %s",
		    what, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		    strerror(errno));
		return PSCTL_EXIT_IO;
	}
	rc = psctl_run_ipmitool(b, priv, tail,
				RUN_MS + PER_CMD_MS * (long)bt->n,
			  &r);
	unlink(path);
	if (rc) {
		psctl_bmc_say(err, n, b, "%s: cannot start ipmitool: %s", what,
		    strerror(errno));
		return PSCTL_EXIT_IO;
	}
	bt->timed_out = r.timed_out;
	if (!r.exec_failed && !r.timed_out && first_refusal(&r, &cmd, &cc)) {
		if (cc_out)
			*cc_out = cc;
		bt->refused = (uint8_t)cmd;
		psctl_bmc_say(err, n, b,
			      "%s: %s (0x%02x) refused with completion code "
		    "0x%02x: %s", what, cmd_name(cmd), cmd, cc,
		    psctl_bmc_cc_text((uint8_t)cc));
		psctl_run_free(&r);
		return psctl_bmc_cc_exit((uint8_t)cc);
	}
	/* Every request answered, none refused: done, whatever ipmitool's
	 * exit status says afterwards (closing the session may fail after a
	 * FINISH committed). */
	if (!r.exec_failed && !r.timed_out && batch_parse(bt, r.out.p) == 0) {
		psctl_run_free(&r);
		return 0;
	}
	/* Only a failed run is searched for why: -v also reports probes
	 * that fail harmlessly on the way to a session. */
	if (psctl_session_failure(b, &r, why, sizeof why)) {
		psctl_bmc_say(err, n, b, "%s: %s", what, why);
		psctl_run_free(&r);
		return PSCTL_EXIT_IO;
	}
	psctl_last_line(&r, line, sizeof line);
	psctl_bmc_say(err, n, b, "%s: unexpected answer from ipmitool (%s)",
		      what, line);
	psctl_run_free(&r);
	return PSCTL_EXIT_IO;
}

int psctl_bmc_priv_for(const struct psctl_bmc *b, int dflt)
{
	return b->priv ? b->priv : dflt;
}

