/*
 * psctl_bmc.c - the management-side client of the pstate OEM commands
 * (docs/ipmi-oem.md): psctl_bmc.h over ipmitool, the store of a BMC as
 * psctl's store (--bmc), and the `bmc` commands.
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
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"
#include "psf_schema.h"
#include "psf_tree.h"

#define CHUNK BMC_SHIM_CHUNK_MAX
#define STAGE_MAX BMC_SHIM_STAGE_MAX
#define PRIV_OPERATOR BMC_PRIV_OPERATOR
#define PRIV_ADMIN BMC_PRIV_ADMIN
/* A session that gets no answer fails after about 2 s (-N 1 -R 1); a
 * whole run is bounded by RUN_MS plus PER_CMD_MS per command. */
#define RUN_MS 15000
#define PER_CMD_MS 50
#define LOCK_LEASE 120u

/* ------------------------------------------------------------ messages */

static void say(char *err, size_t n, const struct psctl_bmc *b,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void say(char *err, size_t n, const struct psctl_bmc *b,
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

const char *psctl_bmc_cc_text(uint8_t cc)
{
	switch (cc) {
	case BMC_CC_SEQUENCE: return "bad session or chunk order";
	case BMC_CC_STALE: return "the store changed since it was read (or the "
			  "lock was lost)";
	case BMC_CC_CONFLICT: return "conflicts with the store (a value in use, a "
			  "profile assigned elsewhere, or a new schema "
			  "problem)";
	case BMC_CC_BUSY: return "the store's semaphore is held by another writer";
	case BMC_CC_INVALID_CMD: return "unknown command (does this BMC serve the pstate "
			  "OEM commands?)";
	case BMC_CC_OUT_OF_SPACE: return "out of space (store, slot, result buffer, or no "
			  "free port)";
	case BMC_CC_BAD_LENGTH: return "request length does not match the command";
	case BMC_CC_TOO_LONG: return "a length past a limit";
	case BMC_CC_OUT_OF_RANGE: return "parameter out of range";
	case BMC_CC_NOT_PRESENT: return "not present (no such path, VM or profile)";
	case BMC_CC_INVALID_DATA: return "invalid data (unknown operation, malformed "
			  "element, bad name, host name, mode or count)";
	case BMC_CC_PRIVILEGE: return "insufficient privilege (writes need an "
			  "administrator session)";
	case BMC_CC_POWER_STATE: return "host powered on: the BMC refuses writes in this "
			  "power state (power it off first: psctl --bmc ... "
			  "bmc power off)";
	case BMC_CC_NO_SEMAPHORE: return "this BMC has no semaphore: it cannot hold the "
			  "store's lock for a sequence of writes";
	case BMC_CC_UNSPECIFIED: return "media I/O error, or no valid store on the "
			  "server's key";
	default: return "unexpected completion code";
	}
}

int psctl_bmc_cc_exit(uint8_t cc)
{
	switch (cc) {
	case BMC_CC_STALE: case BMC_CC_CONFLICT: case BMC_CC_BUSY:
		return PSCTL_EXIT_CONFLICT;
	case BMC_CC_BAD_LENGTH: case BMC_CC_TOO_LONG: case BMC_CC_OUT_OF_RANGE: case BMC_CC_INVALID_DATA:
		return PSCTL_EXIT_INVALID;
	case BMC_CC_NOT_PRESENT:
		return PSCTL_EXIT_NOTFOUND;
	case BMC_CC_POWER_STATE:
		return PSCTL_EXIT_POWER;
	default:
		return PSCTL_EXIT_IO;
	}
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

/* ------------------------------------------------------------ address */

/* The library's target grammar decides (ps_parse_target, ps_target_norm):
 * "HOST[:PORT]" is short for "bmc://HOST[:PORT]", and the host comes
 * from the normal form, so --bmc and a profile's bmc:// target accept
 * the same text and name the same server alike. */
int psctl_bmc_parse(const char *s, struct psctl_bmc *b, char *err, size_t n)
{
	char full[PS_CFG_TEXT_MAX + 8], norm[PS_CFG_TEXT_MAX + 1];
	const char *why = "not HOST[:PORT]", *host, *colon;
	size_t off, nl, hl;
	uint8_t kind;
	int k;

	if (!s || !*s) {
		snprintf(err, n, "--bmc: empty address (HOST[:PORT])");
		return PSCTL_EXIT_USAGE;
	}
	k = snprintf(full, sizeof full, "%s%s", strncasecmp(s,
		     BMC_SHIM_TARGET_PREFIX, 6) ? BMC_SHIM_TARGET_PREFIX : "",
		     s);
	if (k < 0 || (size_t)k > PS_CFG_TEXT_MAX)
		why = "longer than 255 characters";
	else if (ps_parse_target(full, (size_t)k, &kind, &off, &nl, &why) ||
		 kind != PSF_TARGET_PHYSICAL)
		k = -1;
	else
		k = ps_target_norm(full, (size_t)k, norm, sizeof norm, &why);
	if (k < 0 || (size_t)k > PS_CFG_TEXT_MAX) {
		snprintf(err, n, "--bmc '%s': %s", s, why);
		return PSCTL_EXIT_INVALID;
	}
	/* norm is "bmc://HOST:PORT", HOST possibly "[IPv6]" */
	host = norm + 6;
	colon = strrchr(host, ':');
	hl = (size_t)(colon - host);
	if (*host == '[') {
		host++;
		hl -= 2;
	}
	memcpy(b->host, host, hl);
	b->host[hl] = 0;
	b->port = (unsigned)strtoul(colon + 1, NULL, 10);
	return 0;
}

/* ------------------------------------------------------------ ipmitool */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *o, const void *p, size_t n)
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

/* What one ipmitool run left behind. */
struct run {
	struct buf out, err;
	int status;               /* exit status; -1 killed or not run */
	int timed_out;
	int exec_failed;
};

static void run_free(struct run *r)
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
			if (got > 0 && buf_add(to[i], chunk, (size_t)got) == 0)
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
static int run_ipmitool(const struct psctl_bmc *b, int priv,
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
static const char *session_failure(const struct psctl_bmc *b,
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
static void last_line(const struct run *r, char *out, size_t n)
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

/* OEM requests run in one ipmitool session (`exec FILE`), and what each
 * answers: want data bytes after the IANA number. */
struct batch {
	struct buf script;
	size_t n, cap;
	struct req {
		uint8_t cmd;
		uint16_t want;
		size_t off;               /* of its answer in resp */
	} *req;
	uint8_t *resp;
	size_t resp_len;
	int timed_out;                    /* the run hit its time limit */
	uint8_t refused;                  /* the command refused, or 0  */
};

static int batch_add(struct batch *bt, uint8_t cmd, const uint8_t *data,
		     size_t len, unsigned want)
{
	char line[200];
	size_t k, i;

	if (bt->n == bt->cap) {
		size_t cap = bt->cap ? bt->cap * 2 : 16;
		struct req *nr = realloc(bt->req, cap * sizeof *nr);

		if (!nr)
			return -1;
		bt->req = nr;
		bt->cap = cap;
	}
	bt->req[bt->n].cmd = cmd;
	bt->req[bt->n].want = (uint16_t)want;
	bt->n++;
	k = (size_t)snprintf(line, sizeof line, "raw 0x%02x 0x%02x 0x%02x 0x%02x"
			     " 0x%02x", BMC_SHIM_NETFN, cmd, BMC_SHIM_IANA0,
			     BMC_SHIM_IANA1, BMC_SHIM_IANA2);
	for (i = 0; i < len && k + 6 < sizeof line; i++)
		k += (size_t)snprintf(line + k, sizeof line - k, " 0x%02x",
				      data[i]);
	line[k++] = '\n';
	return buf_add(&bt->script, line, k);
}

static void batch_free(struct batch *bt)
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

static const uint8_t *answer(const struct batch *bt, size_t i)
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
static int batch_run(const struct psctl_bmc *b, int priv, struct batch *bt,
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
		say(err, n, b, "%s: cannot write a temporary file in %s: %s",
		    what, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		    strerror(errno));
		return PSCTL_EXIT_IO;
	}
	rc = run_ipmitool(b, priv, tail, RUN_MS + PER_CMD_MS * (long)bt->n,
			  &r);
	unlink(path);
	if (rc) {
		say(err, n, b, "%s: cannot start ipmitool: %s", what,
		    strerror(errno));
		return PSCTL_EXIT_IO;
	}
	bt->timed_out = r.timed_out;
	if (!r.exec_failed && !r.timed_out && first_refusal(&r, &cmd, &cc)) {
		if (cc_out)
			*cc_out = cc;
		bt->refused = (uint8_t)cmd;
		say(err, n, b, "%s: %s (0x%02x) refused with completion code "
		    "0x%02x: %s", what, cmd_name(cmd), cmd, cc,
		    psctl_bmc_cc_text((uint8_t)cc));
		run_free(&r);
		return psctl_bmc_cc_exit((uint8_t)cc);
	}
	if (r.status == 0 && !r.timed_out && batch_parse(bt, r.out.p) == 0) {
		run_free(&r);
		return 0;
	}
	/* Only a failed run is searched for why: -v also reports probes
	 * that fail harmlessly on the way to a session. */
	if (session_failure(b, &r, why, sizeof why)) {
		say(err, n, b, "%s: %s", what, why);
		run_free(&r);
		return PSCTL_EXIT_IO;
	}
	last_line(&r, line, sizeof line);
	say(err, n, b, "%s: unexpected answer from ipmitool (%s)", what, line);
	run_free(&r);
	return PSCTL_EXIT_IO;
}

static int priv_for(const struct psctl_bmc *b, int dflt)
{
	return b->priv ? b->priv : dflt;
}

/* ------------------------------------------------------------ commands */

int psctl_bmc_info(const struct psctl_bmc *b, struct psctl_bmc_info *info,
		   char *err, size_t n)
{
	struct batch bt = { 0 };
	const uint8_t *a;
	int rc;

	if (batch_add(&bt, BMC_CMD_INFO, NULL, 0, BMC_SHIM_INFO_LEN)) {
		batch_free(&bt);
		say(err, n, b, "info: out of memory");
		return PSCTL_EXIT_IO;
	}
	rc = batch_run(b, priv_for(b, PRIV_OPERATOR), &bt, "info", NULL, err,
		       n);
	if (rc) {
		batch_free(&bt);
		return rc;
	}
	a = answer(&bt, 0);
	memset(info, 0, sizeof *info);
	info->protocol = a[0];
	info->format_major = a[1];
	info->format_minor = a[2];
	info->schema = psf_le16(a + 3);
	info->generation = psf_le32(a + 5);
	info->store_size = psf_le32(a + 9);
	info->capacity = psf_le32(a + 13);
	/* The wire says 0 off, 1 aux, 2 on; the struct 0 off, 1 on, 2 aux. */
	info->host_power = a[17] == BMC_POWER_OFF ? 0
		: a[17] == BMC_POWER_AUX ? 2 : a[17] == BMC_POWER_ON ? 1 : -1;
	info->policy = a[18];
	info->lock_holder = a[19];
	info->flags = a[20];
	batch_free(&bt);
	return 0;
}

/* A session id from a begin command that ran alone. */
static int begin(const struct psctl_bmc *b, int priv, uint8_t cmd,
		 const uint8_t *req, size_t len, const char *what,
		 uint8_t *session, char *err, size_t n)
{
	struct batch bt = { 0 };
	int rc = batch_add(&bt, cmd, req, len, BMC_SHIM_BEGIN_LEN);

	rc = rc ? PSCTL_EXIT_IO
		: batch_run(b, priv, &bt, what, NULL, err, n);
	if (!rc)
		*session = answer(&bt, 0)[0];
	batch_free(&bt);
	return rc;
}

/* Fetch count result bytes through chunk command cmd (READ_CHUNK or
 * WRITE_RESULT). */
static int fetch(const struct psctl_bmc *b, int priv, uint8_t cmd,
		 uint8_t session, size_t count, const char *what,
		 uint8_t **out, char *err, size_t n)
{
	struct batch bt = { 0 };
	size_t off, i;
	int rc = 0;

	*out = malloc(count ? count : 1);
	if (!*out) {
		say(err, n, b, "%s: out of memory", what);
		return PSCTL_EXIT_IO;
	}
	for (off = 0; off < count && !rc; off += CHUNK) {
		uint8_t req[6];
		unsigned k = count - off < CHUNK ? (unsigned)(count - off)
						 : CHUNK;

		req[0] = session;
		psf_put_le32(req + 1, (uint32_t)off);
		req[5] = (uint8_t)k;
		rc = batch_add(&bt, cmd, req, 6, k);
	}
	if (!rc && count)
		rc = batch_run(b, priv, &bt, what, NULL, err, n);
	for (i = 0, off = 0; !rc && i < bt.n; off += bt.req[i].want, i++)
		memcpy(*out + off, answer(&bt, i), bt.req[i].want);
	batch_free(&bt);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* Chunk commands (READ_ARG or WRITE_CHUNK) for data, each answering the
 * bytes received. */
static int add_chunks(struct batch *bt, uint8_t cmd, uint8_t session,
		      const uint8_t *data, size_t len)
{
	size_t off;
	int rc = 0;

	for (off = 0; off < len && !rc; off += CHUNK) {
		uint8_t req[3 + CHUNK];
		size_t k = len - off < CHUNK ? len - off : CHUNK;

		req[0] = session;
		psf_put_le16(req + 1, (uint16_t)off);
		memcpy(req + 3, data + off, k);
		rc = batch_add(bt, cmd, req, 3 + k, 2);
	}
	return rc;
}

int psctl_bmc_read(const struct psctl_bmc *b, uint8_t op, const void *arg,
		   size_t arg_len, uint8_t **out, size_t *out_len,
		   uint32_t *generation, char *err, size_t n)
{
	int priv = priv_for(b, PRIV_OPERATOR), rc;
	struct batch bt = { 0 };
	uint8_t req[3], sess;
	const uint8_t *a;
	char what[40];
	uint32_t len;

	*out = NULL;
	*out_len = 0;
	snprintf(what, sizeof what, "read op %u", op);
	if (arg_len > BMC_SHIM_ARGS_MAX) {
		say(err, n, b, "%s: arguments of %zu bytes (at most %u)",
		    what, arg_len, BMC_SHIM_ARGS_MAX);
		return PSCTL_EXIT_INVALID;
	}
	req[0] = op;
	psf_put_le16(req + 1, (uint16_t)arg_len);
	rc = begin(b, priv, BMC_CMD_READ_BEGIN, req, 3, what, &sess, err, n);
	if (rc)
		return rc;
	rc = add_chunks(&bt, BMC_CMD_READ_ARG, sess, arg, arg_len) ||
	     batch_add(&bt, BMC_CMD_READ_RUN, &sess, 1,
		       BMC_SHIM_RUN_LEN) ? PSCTL_EXIT_IO : 0;
	if (!rc)
		rc = batch_run(b, priv, &bt, what, NULL, err, n);
	if (rc) {
		batch_free(&bt);
		return rc;
	}
	a = answer(&bt, bt.n - 1);
	len = psf_le32(a);
	if (generation)
		*generation = psf_le32(a + 4);
	batch_free(&bt);
	rc = fetch(b, priv, BMC_CMD_READ_CHUNK, sess, len, what, out, err, n);
	if (!rc)
		*out_len = len;
	return rc;
}

/* Drop a staged write that will not finish (best effort). */
static void abort_write(const struct psctl_bmc *b, int priv, uint8_t sess)
{
	struct batch bt = { 0 };
	char ignore[64];

	if (!batch_add(&bt, BMC_CMD_WRITE_ABORT, &sess, 1, 0))
		batch_run(b, priv, &bt, "abort", NULL, ignore, sizeof ignore);
	batch_free(&bt);
}

/* A run with the finish in it timed out: the BMC may have committed the
 * write before the answer was lost.  Say so, with the store's generation
 * now when the BMC answers INFO. */
static void may_have_committed(const struct psctl_bmc *b, uint32_t expect,
			       char *err, size_t n)
{
	struct psctl_bmc_info in;
	char ignore[300];
	size_t k = strlen(err);
	int ok;

	if (k + 1 >= n)
		return;
	ok = psctl_bmc_info(b, &in, ignore, sizeof ignore) == 0;
	if (ok && expect)
		snprintf(err + k, n - k, "; the BMC may have committed the "
			 "write before the time ran out: the store's "
			 "generation is now %u (the write expected %u)",
			 in.generation, expect);
	else if (ok)
		snprintf(err + k, n - k, "; the BMC may have committed the "
			 "write before the time ran out: the store's "
			 "generation is now %u", in.generation);
	else
		snprintf(err + k, n - k, "; the BMC may have committed the "
			 "write before the time ran out: read the store again "
			 "before retrying");
}

int psctl_bmc_write_gen(const struct psctl_bmc *b, uint8_t op,
			const void *staged, size_t len, uint32_t expect_gen,
			uint8_t **out, size_t *out_len, uint32_t *new_gen,
			char *err, size_t n)
{
	int priv = priv_for(b, PRIV_ADMIN), rc;
	struct batch bt = { 0 };
	uint8_t req[7], fin[5], sess;
	unsigned cc = 0, result_len;
	const uint8_t *a;
	char what[40];

	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	snprintf(what, sizeof what, "write op %u", op);
	if (len > STAGE_MAX) {
		say(err, n, b, "%s: %zu bytes to stage; the BMC takes at most "
		    "%u per write", what, len, STAGE_MAX);
		return PSCTL_EXIT_INVALID;
	}
	req[0] = op;
	psf_put_le16(req + 1, (uint16_t)len);
	psf_put_le32(req + 3, expect_gen);
	rc = begin(b, priv, BMC_CMD_WRITE_BEGIN, req, 7, what, &sess, err, n);
	if (rc)
		return rc;
	fin[0] = sess;
	psf_put_le32(fin + 1, psf_crc32c(0, staged, len));
	rc = add_chunks(&bt, BMC_CMD_WRITE_CHUNK, sess, staged, len) ||
	     batch_add(&bt, BMC_CMD_WRITE_FINISH, fin, 5,
		       BMC_SHIM_FINISH_LEN) ? PSCTL_EXIT_IO : 0;
	if (!rc)
		rc = batch_run(b, priv, &bt, what, &cc, err, n);
	if (rc) {
		/* A refused finish ends the session itself; a refused chunk
		 * leaves it staged. */
		if (cc && bt.n && bt.refused != BMC_CMD_WRITE_FINISH)
			abort_write(b, priv, sess);
		if (bt.timed_out)
			may_have_committed(b, expect_gen, err, n);
		batch_free(&bt);
		return rc;
	}
	a = answer(&bt, bt.n - 1);
	if (new_gen)
		*new_gen = psf_le32(a);
	result_len = psf_le16(a + 4);
	batch_free(&bt);
	if (!out || !result_len)
		return 0;
	rc = fetch(b, priv, BMC_CMD_WRITE_RESULT, sess, result_len, what, out, err, n);
	if (!rc && out_len)
		*out_len = result_len;
	return rc;
}

int psctl_bmc_write(const struct psctl_bmc *b, uint8_t op, const void *staged,
		    size_t len, uint32_t expect_gen, uint8_t **out,
		    size_t *out_len, char *err, size_t n)
{
	return psctl_bmc_write_gen(b, op, staged, len, expect_gen, out,
				   out_len, NULL, err, n);
}

int psctl_bmc_lock(const struct psctl_bmc *b, unsigned lease, char *err,
		   size_t n)
{
	struct batch bt = { 0 };
	uint8_t req[2];
	int rc;

	psf_put_le16(req, (uint16_t)lease);
	rc = batch_add(&bt, BMC_CMD_LOCK_TAKE, req, 2, BMC_SHIM_LOCK_LEN) ? PSCTL_EXIT_IO
		: batch_run(b, priv_for(b, PRIV_ADMIN), &bt, "lock", NULL, err,
			    n);
	batch_free(&bt);
	return rc;
}

int psctl_bmc_unlock(const struct psctl_bmc *b, char *err, size_t n)
{
	struct batch bt = { 0 };
	int rc = batch_add(&bt, BMC_CMD_LOCK_RELEASE, NULL, 0, 0) ? PSCTL_EXIT_IO
		: batch_run(b, priv_for(b, PRIV_ADMIN), &bt, "unlock", NULL,
			    err, n);

	batch_free(&bt);
	return rc;
}

/* ------------------------------------------------------------ power */

static int chassis(const struct psctl_bmc *b, const char *verb,
		   struct run *r, char *err, size_t n)
{
	const char *tail[] = { "chassis", "power", verb, NULL };
	char why[400], line[300];

	if (run_ipmitool(b, priv_for(b, PRIV_OPERATOR), tail, RUN_MS, r)) {
		say(err, n, b, "chassis power %s: cannot start ipmitool: %s",
		    verb, strerror(errno));
		return PSCTL_EXIT_IO;
	}
	if (r->status == 0 && !r->timed_out && r->out.p)
		return 0;
	if (session_failure(b, r, why, sizeof why)) {
		say(err, n, b, "chassis power %s: %s", verb, why);
		run_free(r);
		return PSCTL_EXIT_IO;
	}
	last_line(r, line, sizeof line);
	say(err, n, b, "chassis power %s: %s", verb, line);
	run_free(r);
	return PSCTL_EXIT_IO;
}

int psctl_bmc_power_status(const struct psctl_bmc *b, int *on, char *err,
			   size_t n)
{
	struct run r;
	int rc = chassis(b, "status", &r, err, n);

	if (rc)
		return rc;
	if (strstr(r.out.p, "is on"))
		*on = 1;
	else if (strstr(r.out.p, "is off"))
		*on = 0;
	else
		rc = PSCTL_EXIT_IO;
	if (rc)
		say(err, n, b, "chassis power status: unexpected answer '%.80s'",
		    r.out.p);
	run_free(&r);
	return rc;
}

static int power_set(const struct psctl_bmc *b, const char *verb, char *err,
		     size_t n)
{
	struct run r;
	int rc = chassis(b, verb, &r, err, n);

	if (!rc)
		run_free(&r);
	return rc;
}

int psctl_bmc_power_off(const struct psctl_bmc *b, char *err, size_t n)
{
	return power_set(b, "off", err, n);
}

int psctl_bmc_power_on(const struct psctl_bmc *b, char *err, size_t n)
{
	return power_set(b, "on", err, n);
}

/* ------------------------------------------------------------ psctl glue */

static int session_priv;  /* -L: 0 per operation, else 3 or 4 */

int psctl_bmc_set_privilege(struct psctl_ctx *c, const char *level)
{
	if (!strcasecmp(level, "operator") || !strcmp(level, "3"))
		session_priv = PRIV_OPERATOR;
	else if (!strcasecmp(level, "administrator") ||
		 !strcasecmp(level, "admin") || !strcmp(level, "4"))
		session_priv = PRIV_ADMIN;
	else
		return psctl_error(c, NULL, "-L", level, PSCTL_EXIT_INVALID,
				   "privilege must be operator or "
				   "administrator");
	return 0;
}

int psctl_bmc_from_ctx(struct psctl_ctx *c, struct psctl_bmc *b)
{
	char err[400];
	int rc;

	memset(b, 0, sizeof *b);
	if (!c->bmc)
		return psctl_error(c, NULL, NULL, NULL, PSCTL_EXIT_USAGE,
				   "needs --bmc HOST[:PORT] (the server's BMC)");
	rc = psctl_bmc_parse(c->bmc, b, err, sizeof err);
	if (rc)
		return psctl_error(c, NULL, NULL, NULL, rc, "%s", err);
	b->user = c->bmc_user ? c->bmc_user : "admin";
	b->password = c->bmc_password ? c->bmc_password
				      : getenv("IPMI_PASSWORD");
	b->priv = session_priv;
	if (!b->password)
		return psctl_error(c, NULL, "--bmc", c->bmc, PSCTL_EXIT_USAGE,
				   "no password: set IPMI_PASSWORD (safer) or "
				   "give -P");
	return 0;
}

/* Report a client error (err from a psctl_bmc_* call). */
int psctl_bmc_load(struct psctl_ctx *c, uint8_t **out, size_t *len,
		   uint32_t *generation)
{
	struct psctl_bmc b;
	char err[600];
	int rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	rc = psctl_bmc_read(&b, BMC_READ_STORE, NULL, 0, out, len, generation, err,
			    sizeof err);
	return rc ? psctl_fail(c, NULL, rc, err) : 0;
}

/* ------------------------------------------------------------ the diff */

/* One element write or delete. */
struct change {
	uint8_t op;               /* BMC_WRITE_ELEMENT or _DELETE */
	uint32_t set;             /* root child holding it; 0: the root */
	uint32_t sig;
	char name[PS_CFG_NAME_MAX + 1];
	const uint8_t *elem;      /* write: the element's bytes */
	uint32_t elen;
};

struct changes {
	struct change *v;
	size_t n, cap;
};

static uint32_t elem_len(const void *buf, int off)
{
	struct psf_elem e;

	return psf_elem(buf, off, &e) ? 0 : e.end - (uint32_t)off;
}

static int same_elem(const void *a, int ao, const void *b, int bo)
{
	uint32_t la = elem_len(a, ao), lb = elem_len(b, bo);

	return la == lb &&
	       !memcmp((const uint8_t *)a + ao, (const uint8_t *)b + bo, la);
}

/* The NAME of a container child, or NULL. */
static const char *name_of(const void *buf, int off, uint32_t *len)
{
	if (!PSF_SIG_IS_CONTAINER(psf_sig(buf, off)))
		return NULL;
	return psf_child_payload(buf, off, PSF_NAME, len);
}

/* A set: a container whose children (pads aside) are all named
 * containers, so each can be written or deleted by name. */
static int is_named_set(const void *buf, int set)
{
	uint32_t nl;
	int k;

	if (!PSF_SIG_IS_CONTAINER(psf_sig(buf, set)))
		return 0;
	psf_for_each_child(buf, set, k) {
		const char *nm = name_of(buf, k, &nl);

		if (!nm || nl == 0 || nl > PS_CFG_NAME_MAX)
			return 0;
	}
	return 1;
}

static int add_change(struct changes *cs, uint8_t op, uint32_t set,
		      const void *buf, int off)
{
	struct change *ch;
	uint32_t nl = 0;
	const char *nm = name_of(buf, off, &nl);

	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 8;
		struct change *nv = realloc(cs->v, cap * sizeof *nv);

		if (!nv)
			return -1;
		cs->v = nv;
		cs->cap = cap;
	}
	ch = &cs->v[cs->n++];
	memset(ch, 0, sizeof *ch);
	ch->op = op;
	ch->set = set;
	ch->sig = psf_sig(buf, off);
	if (nm && nl <= PS_CFG_NAME_MAX)
		memcpy(ch->name, nm, nl);
	ch->elem = (const uint8_t *)buf + off;
	ch->elen = elem_len(buf, off);
	return 0;
}

/* The changes inside one set present in both stores. */
static int diff_set(struct changes *cs, const void *old, int os,
		    const void *new, int ns)
{
	uint32_t set = psf_sig(new, ns), nl;
	int k, m, rc = 0;

	/* Deletes first: a rename is a delete and a write, and the new
	 * name must not meet the old one's UUID and MACs. */
	psf_for_each_child(old, os, k) {
		const char *nm = name_of(old, k, &nl);

		if (psf_find_named(new, ns, psf_sig(old, k), PSF_NAME, nm,
				   nl) < 0)
			rc |= add_change(cs, BMC_WRITE_DELETE, set, old, k);
	}
	psf_for_each_child(new, ns, k) {
		const char *nm = name_of(new, k, &nl);

		m = psf_find_named(old, os, psf_sig(new, k), PSF_NAME, nm, nl);
		if (m < 0 || !same_elem(old, m, new, k))
			rc |= add_change(cs, BMC_WRITE_ELEMENT, set, new, k);
	}
	return rc;
}

/* Root children in the order their changes go: what others refer to
 * (networks, images, profiles) before what refers (VMs, reservations). */
static const uint32_t set_order[] = { PSF_NETWORKS, PSF_IMAGES, PSF_PROFILES,
				      PSF_VMS, PSF_RESERVATIONS };
#define N_ORDER (sizeof set_order / sizeof set_order[0])

static int rank_of(uint32_t sig)
{
	size_t i;

	for (i = 0; i < N_ORDER; i++)
		if (set_order[i] == sig)
			return (int)i;
	return (int)N_ORDER;
}

static int diff_root_child(struct changes *cs, const void *old,
			   const void *new, int nk)
{
	int r = psf_root(old), ok = psf_find_child(old, r, psf_sig(new, nk));

	if (ok < 0)
		return add_change(cs, BMC_WRITE_ELEMENT, 0, new, nk);
	if (same_elem(old, ok, new, nk))
		return 0;
	if (is_named_set(old, ok) && is_named_set(new, nk))
		return diff_set(cs, old, ok, new, nk);
	return add_change(cs, BMC_WRITE_ELEMENT, 0, new, nk);
}

static int diff_stores(struct changes *cs, const void *old, const void *new)
{
	int rank, k, rc = 0;

	for (rank = 0; rank <= (int)N_ORDER; rank++)
		psf_for_each_child(new, psf_root(new), k)
			if (rank_of(psf_sig(new, k)) == rank)
				rc |= diff_root_child(cs, old, new, k);
	psf_for_each_child(old, psf_root(old), k)
		if (psf_find_child(new, psf_root(new), psf_sig(old, k)) < 0)
			rc |= add_change(cs, BMC_WRITE_DELETE, 0, old, k);
	return rc;
}

static const char *sig_name(uint32_t sig, char *tmp, size_t n)
{
	const struct psf_elem_desc *d = psf_schema_lookup(sig);

	if (d)
		return d->name;
	snprintf(tmp, n, "0x%08x", sig);
	return tmp;
}

static void describe(const struct change *ch, char *out, size_t n)
{
	char t1[16], t2[16];
	const char *set = ch->set ? sig_name(ch->set, t1, sizeof t1) : "root";

	if (ch->op == BMC_WRITE_DELETE && !ch->set)
		snprintf(out, n, "delete %s", sig_name(ch->sig, t2, sizeof t2));
	else if (ch->op == BMC_WRITE_DELETE)
		snprintf(out, n, "delete %s/%s '%s'", set,
			 sig_name(ch->sig, t2, sizeof t2), ch->name);
	else if (ch->name[0])
		snprintf(out, n, "write %s/%s '%s' (%u bytes)", set,
			 sig_name(ch->sig, t2, sizeof t2), ch->name, ch->elen);
	else
		snprintf(out, n, "write %s/%s (%u bytes)", set,
			 sig_name(ch->sig, t2, sizeof t2), ch->elen);
}

/* A path: steps, each [sig u32][name_len u8][name]. */
static size_t put_step(uint8_t *p, uint32_t sig, const char *name)
{
	size_t nl = name ? strlen(name) : 0;

	psf_put_le32(p, sig);
	p[4] = (uint8_t)nl;
	memcpy(p + 5, name ? name : "", nl);
	return 5 + nl;
}

/* The staged bytes of a change (op 1: path to the set, then the element;
 * op 5: path to the element); 0 when it does not fit. */
static size_t stage(const struct change *ch, uint8_t *st, size_t cap)
{
	size_t k = 1;

	st[0] = (uint8_t)((ch->set ? 1 : 0) + (ch->op == BMC_WRITE_DELETE ? 1 : 0));
	if (ch->set)
		k += put_step(st + k, ch->set, NULL);
	if (ch->op == BMC_WRITE_DELETE)
		k += put_step(st + k, ch->sig, ch->name[0] ? ch->name : NULL);
	if (ch->op == BMC_WRITE_ELEMENT) {
		if (k + ch->elen > cap)
			return 0;
		memcpy(st + k, ch->elem, ch->elen);
		k += ch->elen;
	}
	return k;
}

/* Whether err (a psctl_bmc_* message) reports completion code cc. */
static int refused_with(const char *err, uint8_t cc)
{
	char code[32];

	snprintf(code, sizeof code, "completion code 0x%02x", cc);
	return strstr(err, code) != NULL;
}

static int send_changes(struct psctl_ctx *c, const struct psctl_bmc *b,
			const struct changes *cs, uint32_t gen, int *stale)
{
	static uint8_t st[STAGE_MAX + 1];
	char err[700], what[200];
	unsigned cc;
	size_t i, len;
	int rc = 0;

	for (i = 0; i < cs->n && !rc; i++) {
		describe(&cs->v[i], what, sizeof what);
		len = stage(&cs->v[i], st, STAGE_MAX);
		if (!len)
			return psctl_error(c, NULL, NULL, NULL,
					   PSCTL_EXIT_INVALID, "BMC %s:%u: %s:"
					   " too large for one OEM write "
					   "(at most %u bytes staged)%s",
					   b->host, b->port, what, STAGE_MAX,
					   i ? "; the writes before it were "
					   "committed" : "; nothing written");
		rc = psctl_bmc_write_gen(b, cs->v[i].op, st, len, gen, NULL,
					 NULL, &gen, err, sizeof err);
		cc = refused_with(err, BMC_CC_STALE) ? BMC_CC_STALE : 0;
		if (rc && i == 0 && cc == BMC_CC_STALE) {
			*stale = 1;
			return rc;
		}
		if (rc)
			psctl_error(c, NULL, NULL, NULL, rc, "%s (%s); %zu of "
				    "%zu writes committed before it", err,
				    what, i, cs->n);
	}
	return rc;
}

int psctl_bmc_send_diff(struct psctl_ctx *c, const void *old,
			const void *new, uint32_t gen, int dry_run,
			int *stale)
{
	struct changes cs = { 0 };
	struct psctl_bmc b;
	char err[600], what[200];
	size_t i;
	int rc = psctl_bmc_from_ctx(c, &b), rc2, locked = 0;

	*stale = 0;
	if (rc)
		return rc;
	if (diff_stores(&cs, old, new)) {
		free(cs.v);
		return psctl_error(c, NULL, NULL, NULL, PS_ERR_NOMEM, NULL);
	}
	if (dry_run) {
		for (i = 0; i < cs.n; i++) {
			describe(&cs.v[i], what, sizeof what);
			fprintf(c->out, "would send to BMC %s:%u: %s\n", b.host,
				b.port, what);
		}
		fprintf(c->out, "%zu OEM write%s (dry run, nothing sent)\n",
			cs.n, cs.n == 1 ? "" : "s");
		free(cs.v);
		return 0;
	}
	if (cs.n > 1) {
		/* Without a semaphore there is no lock to take: every write
		 * carries the generation it expects, so a concurrent writer
		 * makes the next one fail (BMC_CC_STALE), never a lost update. */
		struct psctl_bmc_info in;

		rc = psctl_bmc_info(&b, &in, err, sizeof err);
		locked = !rc && (in.flags & 4);
		if (locked)
			rc = psctl_bmc_lock(&b, LOCK_LEASE, err, sizeof err);
		if (rc) {
			free(cs.v);
			return psctl_fail(c, NULL, rc, err);
		}
	}
	rc = send_changes(c, &b, &cs, gen, stale);
	if (locked) {
		rc2 = psctl_bmc_unlock(&b, err, sizeof err);
		if (rc2 && !rc)
			rc = psctl_fail(c, NULL, rc2, err);
	}
	free(cs.v);
	return rc;
}

/* ------------------------------------------------------------ bmc info */

static const char *power_name(int p)
{
	return p == 0 ? "off" : p == 1 ? "on" : p == 2 ? "aux" : "unknown";
}

static const char *policy_name(unsigned p)
{
	return p == BMC_GATE_SEMAPHORE ? "semaphore"
		: p == BMC_GATE_HOST_OFF ? "host-off"
		: p == BMC_GATE_READ_ONLY ? "read-only" : "unknown";
}

static const char *holder_name(int o)
{
	static const char *const n[] = { "none", "BMC", "hvagent",
					 "BIOS setup", "OS tools" };

	return o >= 0 && o < 5 ? n[o] : "reserved";
}

static int info_json(struct psctl_ctx *c, const struct psctl_bmc *b,
		     const struct psctl_bmc_info *in)
{
	struct psctl_jw w;
	char t[300];

	psctl_jw_init(&w, c->out);
	psctl_jw_obj(&w, 0);
	snprintf(t, sizeof t, "%s:%u", b->host, b->port);
	psctl_jw_key(&w, "bmc");
	psctl_jw_str(&w, t);
	psctl_jw_key(&w, "protocol");
	psctl_jw_uint(&w, in->protocol);
	snprintf(t, sizeof t, "%u.%u", in->format_major, in->format_minor);
	psctl_jw_key(&w, "format");
	psctl_jw_str(&w, t);
	psctl_jw_key(&w, "schema");
	psctl_jw_uint(&w, in->schema);
	psctl_jw_key(&w, "generation");
	psctl_jw_uint(&w, in->generation);
	psctl_jw_key(&w, "store-bytes");
	psctl_jw_uint(&w, in->store_size);
	psctl_jw_key(&w, "capacity");
	psctl_jw_uint(&w, in->capacity);
	psctl_jw_key(&w, "host-power");
	psctl_jw_str(&w, power_name(in->host_power));
	psctl_jw_key(&w, "write-policy");
	psctl_jw_str(&w, policy_name(in->policy));
	psctl_jw_key(&w, "lock-holder");
	psctl_jw_str(&w, holder_name(in->lock_holder));
	psctl_jw_key(&w, "client-lock");
	psctl_jw_bool(&w, in->flags & 1);
	psctl_jw_key(&w, "readable");
	psctl_jw_bool(&w, in->flags & 2);
	psctl_jw_key(&w, "semaphore");
	psctl_jw_bool(&w, in->flags & 4);
	psctl_jw_end(&w);
	fputc('\n', c->out);
	return 0;
}

static int cmd_info(struct psctl_ctx *c, int argc, char **argv)
{
	struct psctl_bmc_info in;
	struct psctl_bmc b;
	char err[600];
	int rc;

	if (argc > 1)
		return psctl_error(c, "bmc info", NULL, argv[1],
				   PSCTL_EXIT_USAGE, "unexpected argument");
	rc = psctl_bmc_from_ctx(c, &b);
	if (rc)
		return rc;
	rc = psctl_bmc_info(&b, &in, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc info", rc, err);
	if (c->json)
		return info_json(c, &b, &in);
	fprintf(c->out, "%-14s %s:%u\n%-14s %u\n%-14s %u.%u\n%-14s %u\n"
		"%-14s %u\n%-14s %u\n%-14s %u\n%-14s %s\n%-14s %s\n"
		"%-14s %s%s\n%-14s %s\n%-14s %s\n", "bmc", b.host, b.port,
		"protocol", in.protocol, "format", in.format_major,
		in.format_minor, "schema", in.schema, "generation",
		in.generation, "store-bytes", in.store_size, "capacity",
		in.capacity, "host-power", power_name(in.host_power),
		"write-policy", policy_name(in.policy), "lock-holder",
		holder_name(in.lock_holder),
		in.flags & 1 ? " (a client, through the BMC)" : "",
		"readable", in.flags & 2 ? "yes" : "no", "semaphore",
		in.flags & 4 ? "present" : "absent");
	return 0;
}

/* ------------------------------------------------------------ bmc power */

static int cmd_power(struct psctl_ctx *c, int argc, char **argv)
{
	struct psctl_bmc b;
	char err[600];
	int rc, on;

	if (argc != 2 || (strcmp(argv[1], "status") && strcmp(argv[1], "on") &&
			  strcmp(argv[1], "off")))
		return psctl_error(c, "bmc power", NULL, argc > 1 ? argv[1]
				   : NULL, PSCTL_EXIT_USAGE,
				   "usage: bmc power status|on|off");
	rc = psctl_bmc_from_ctx(c, &b);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "on"))
		rc = psctl_bmc_power_on(&b, err, sizeof err);
	else if (!strcmp(argv[1], "off"))
		rc = psctl_bmc_power_off(&b, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc power", rc, err);
	rc = psctl_bmc_power_status(&b, &on, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc power", rc, err);
	if (c->json) {
		struct psctl_jw w;
		char t[300];

		snprintf(t, sizeof t, "%s:%u", b.host, b.port);
		psctl_jw_init(&w, c->out);
		psctl_jw_obj(&w, 0);
		psctl_jw_key(&w, "bmc");
		psctl_jw_str(&w, t);
		psctl_jw_key(&w, "power");
		psctl_jw_str(&w, on ? "on" : "off");
		psctl_jw_end(&w);
		fputc('\n', c->out);
	} else
		fprintf(c->out, "%s:%u: host power %s\n", b.host, b.port,
			on ? "on" : "off");
	return 0;
}

/* ------------------------------------------------------------ profiles */

/* A store holding only the PROFILE element el, so the field getters of
 * pstate.h read it as they read any profile.  Returns its offset. */
static int wrap_profile(uint8_t *buf, size_t cap, const uint8_t *el,
			uint32_t elen)
{
	struct psf_builder bld;
	int set, off;

	if (psf_build_begin(&bld, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION, 0) ||
	    psf_build_open(&bld, PSF_PROFILES) || psf_build_close(&bld) ||
	    psf_build_finish(&bld) < 0)
		return -1;
	set = psf_find_child(buf, psf_root(buf), PSF_PROFILES);
	if (set < 0 || elen < PSF_CONTAINER_HDR)
		return -1;
	off = psf_insert(buf, cap, set, -1, PSF_PAD, NULL,
			 elen - PSF_STRUCT_HDR);
	if (off < 0)
		return -1;
	memcpy(buf + off, el, elen);
	if (psf_finish(buf) || psf_check_full(buf, cap, NULL))
		return -1;
	return off;
}

/* A profile as `profile show` prints it; JSON by the shared field rule. */
static void print_profile(struct psctl_ctx *c, const uint8_t *buf, int el)
{
	const struct ps_field *f;
	struct psctl_jw w;
	char v[1024];

	if (c->json) {
		psctl_jw_init(&w, c->out);
		psctl_jw_obj(&w, 0);
		psctl_jw_fields(&w, buf, el, PS_OBJ_PROFILE);
		psctl_jw_end(&w);
		fputc('\n', c->out);
		return;
	}
	for (f = ps_obj_fields(PS_OBJ_PROFILE); f->name; f++) {
		ps_obj_get(buf, el, f, v, sizeof v);
		fprintf(c->out, "%-13s %s\n", f->name, v);
	}
}

/* [--vm VM] -> *vm (NULL: this host); anything else is a usage error. */
static int vm_option(struct psctl_ctx *c, const char *cmd, int argc,
		     char **argv, int first, const char **vm,
		     const char **name)
{
	int i;

	*vm = NULL;
	for (i = first; i < argc; i++) {
		const char **to = !strcmp(argv[i], "--vm") ? vm
				  : name && !strcmp(argv[i], "--name") ? name
				  : NULL;

		if (!to || i + 1 >= argc)
			return psctl_error(c, cmd, NULL, argv[i],
					   PSCTL_EXIT_USAGE, "%s", to ?
					   "needs a value" :
					   "unexpected argument");
		*to = argv[++i];
	}
	if (*vm && ps_check_name(*vm, strlen(*vm), NULL))
		return psctl_error(c, cmd, "--vm", *vm, PSCTL_EXIT_INVALID,
				   "not a VM name");
	return 0;
}

static int cmd_pull(struct psctl_ctx *c, const char *vm)
{
	static uint8_t wrap[STAGE_MAX * 4];
	uint8_t arg[2 + PS_CFG_NAME_MAX], *out;
	size_t alen = 1, olen;
	struct psctl_bmc b;
	char err[600];
	int rc = psctl_bmc_from_ctx(c, &b), el;

	if (rc)
		return rc;
	arg[0] = vm ? 2 : 1;
	if (vm) {
		memcpy(arg + 1, vm, strlen(vm));
		alen += strlen(vm);
	}
	rc = psctl_bmc_read(&b, BMC_READ_PROFILE_PULL, arg, alen, &out, &olen, NULL, err,
			    sizeof err);
	if (rc)
		return psctl_fail(c, "bmc profile pull", rc, err);
	el = olen < sizeof wrap / 2 ? wrap_profile(wrap, sizeof wrap, out,
						   (uint32_t)olen) : -1;
	free(out);
	if (el < 0)
		return psctl_error(c, "bmc profile pull", NULL, NULL,
				   PSCTL_EXIT_DAMAGED, "BMC %s:%u: the answer "
				   "is not a PROFILE element", b.host, b.port);
	print_profile(c, wrap, el);
	return 0;
}

/* The profile to push from a store: the one named, or the only one. */
static int pick_profile(struct psctl_ctx *c, const uint8_t *st,
			const char *name, const char *from, uint8_t **el,
			uint32_t *elen)
{
	int set = psf_find_child(st, psf_root(st), PSF_PROFILES), k, n = 0,
	    pick = -1;

	for (k = set < 0 ? -1 : psf_find_next(st, set, -1, PSF_PROFILE);
	     k >= 0; k = psf_find_next(st, set, k, PSF_PROFILE)) {
		uint32_t nl;
		const char *nm = name_of(st, k, &nl);

		n++;
		if (!name || (nm && nl == strlen(name) &&
			      !memcmp(nm, name, nl)))
			pick = pick < 0 ? k : pick;
	}
	if (name && pick < 0)
		return psctl_error(c, "bmc profile push", NULL, from,
				   PSCTL_EXIT_NOTFOUND, "no profile '%s' in it",
				   name);
	if (n != 1 && !name)
		return psctl_error(c, "bmc profile push", NULL, from,
				   PSCTL_EXIT_USAGE, "holds %d profiles; name "
				   "one with --name", n);
	*elen = elem_len(st, pick);
	*el = malloc(*elen);
	if (!*el)
		return psctl_error(c, "bmc profile push", NULL, NULL,
				   PS_ERR_NOMEM, NULL);
	memcpy(*el, st + pick, *elen);
	return 0;
}

/* Element bytes whose own length fields say exactly len bytes. */
static int elem_len_raw_ok(const uint8_t *p, size_t len)
{
	return len >= PSF_CONTAINER_HDR &&
	       psf_le32(p + 8) == len - PSF_CONTAINER_HDR;
}

/* A file: a PROFILE element's bytes, or a store (binary, JSON from
 * `export --json`, or text) holding the profile. */
static int profile_from_file(struct psctl_ctx *c, const char *path,
			     const char *name, uint8_t **el, uint32_t *elen)
{
	struct psf_text_error te;
	struct psf_tree *t = NULL;
	char msg[600];
	uint8_t *in = NULL;
	void *st = NULL;
	size_t len = 0, slen;
	FILE *f = fopen(path, "rb");
	int rc;

	if (f) {
		struct buf all = { 0 };
		char chunk[8192];
		size_t got;

		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			if (buf_add(&all, chunk, got))
				break;
		fclose(f);
		in = (uint8_t *)all.p;
		len = all.len;
	}
	if (!in)
		return psctl_error(c, "bmc profile push", NULL, path, PS_ERR_IO,
				   "cannot read: %s", strerror(errno));
	if (len >= 4 && psf_le32(in) == PSF_PROFILE) {
		if (elem_len_raw_ok(in, len)) {
			*el = in;
			*elen = (uint32_t)len;
			return 0;
		}
		free(in);
		return psctl_error(c, "bmc profile push", NULL, path,
				   PSCTL_EXIT_INVALID, "a PROFILE element whose"
				   " length fields do not match the file");
	}
	if (len >= PSF_MAGIC_LEN && !memcmp(in, PSF_MAGIC, PSF_MAGIC_LEN)) {
		rc = psf_check_full(in, len, NULL) ? -1 : 0;
		if (!rc)
			rc = pick_profile(c, in, name, path, el, elen);
		else
			rc = psctl_error(c, "bmc profile push", NULL, path,
					 PSCTL_EXIT_INVALID, "not a valid "
					 "store");
		free(in);
		return rc;
	}
	if (in[strspn((char *)in, " \t\r\n")] == '{')
		rc = psctl_json_parse((char *)in, len, &t, msg, sizeof msg);
	else if (!(rc = psf_text_parse((char *)in, len, &t, &te)))
		;
	else
		snprintf(msg, sizeof msg, "line %zu, column %zu: %s", te.line,
			 te.column, te.msg);
	free(in);
	if (rc)
		return psctl_error(c, "bmc profile push", NULL, path,
				   PSCTL_EXIT_INVALID, "%s", msg);
	rc = psf_tree_pack_alloc(t, &st, &slen);
	psf_tree_free(t);
	if (rc)
		return psctl_error(c, "bmc profile push", NULL, path,
				   PSCTL_EXIT_INVALID, "does not make a valid "
				   "store: %s", ps_strerror(rc));
	rc = pick_profile(c, st, name, path, el, elen);
	free(st);
	return rc;
}

/* A profile of the local store (-i / -d / the scan) by name. */
static int profile_from_store(struct psctl_ctx *c, const char *name,
			      uint8_t **el, uint32_t *elen)
{
	const uint8_t *st;
	uint32_t len;
	int rc = psctl_need_store(c);

	if (rc)
		return rc;
	st = psctl_store_data(c, &len);
	if (psf_find_named(st, psf_find_child(st, psf_root(st), PSF_PROFILES),
			   PSF_PROFILE, PSF_NAME, name, strlen(name)) < 0)
		return psctl_error(c, "bmc profile push", "profile", name,
				   PSCTL_EXIT_NOTFOUND, "no such profile in %s "
				   "(and no such file)", c->where);
	return pick_profile(c, st, name, c->where, el, elen);
}

static int cmd_push(struct psctl_ctx *c, const char *what, const char *vm,
		    const char *name)
{
	static uint8_t st[STAGE_MAX + 1], wrap[STAGE_MAX * 4];
	struct psctl_bmc b;
	uint8_t *el = NULL;
	uint32_t elen = 0;
	size_t k = 0, vl = vm ? strlen(vm) : 0;
	char err[600], pn[PS_CFG_NAME_MAX + 1] = "";
	int off, rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	rc = access(what, F_OK) == 0
		? profile_from_file(c, what, name, &el, &elen)
		: profile_from_store(c, what, &el, &elen);
	if (rc)
		return rc;
	/* Checked as a store would hold it, and named for messages. */
	off = elen < sizeof wrap / 2 ? wrap_profile(wrap, sizeof wrap, el, elen)
				     : -1;
	if (off < 0) {
		free(el);
		return psctl_error(c, "bmc profile push", NULL, what,
				   PSCTL_EXIT_INVALID, "not a valid PROFILE "
				   "element");
	}
	ps_obj_key(wrap, off, PS_OBJ_PROFILE, pn, sizeof pn);
	st[k++] = vm ? 2 : 1;
	st[k++] = (uint8_t)vl;
	memcpy(st + k, vm ? vm : "", vl);
	k += vl;
	if (k + elen > STAGE_MAX) {
		free(el);
		return psctl_error(c, "bmc profile push", "profile", pn,
				   PSCTL_EXIT_INVALID, "%u bytes; the BMC takes"
				   " at most %u per write", elen, STAGE_MAX);
	}
	memcpy(st + k, el, elen);
	k += elen;
	free(el);
	if (c->dry_run) {
		fprintf(c->out, "would push profile '%s' (%u bytes) to %s%s%s "
			"through BMC %s:%u (dry run, nothing sent)\n", pn, elen,
			vm ? "VM '" : "this host", vm ? vm : "", vm ? "'" : "",
			b.host, b.port);
		return 0;
	}
	rc = psctl_bmc_write(&b, BMC_WRITE_PROFILE_PUSH, st, k, 0, NULL, NULL, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc profile push", rc, err);
	fprintf(c->out, "pushed profile '%s' to %s%s%s through BMC %s:%u\n",
		pn, vm ? "VM '" : "this host", vm ? vm : "", vm ? "'" : "",
		b.host, b.port);
	return 0;
}

static int cmd_profile(struct psctl_ctx *c, int argc, char **argv)
{
	const char *vm = NULL, *name = NULL;
	int rc;

	if (argc >= 3 && !strcmp(argv[1], "push")) {
		rc = vm_option(c, "bmc profile push", argc, argv, 3, &vm,
			       &name);
		return rc ? rc : cmd_push(c, argv[2], vm, name);
	}
	if (argc >= 2 && !strcmp(argv[1], "pull")) {
		rc = vm_option(c, "bmc profile pull", argc, argv, 2, &vm, NULL);
		return rc ? rc : cmd_pull(c, vm);
	}
	return psctl_error(c, "bmc profile", NULL, argc > 1 ? argv[1] : NULL,
			   PSCTL_EXIT_USAGE, "usage: bmc profile push "
			   "FILE|PROFILE [--vm VM] [--name P] | pull [--vm VM]");
}

static const char *const profile_fields[] = { "vm", "name", NULL };

const struct psctl_cmd psctl_bmc_cmds[] = {
	{ "bmc", "info", cmd_info, "",
	  "the BMC's store: versions, generation, size, host power, lock "
	  "(needs --bmc)", NULL },
	{ "bmc", "power", cmd_power, "status|on|off",
	  "the server's chassis power through its BMC (needs --bmc)", NULL },
	{ "bmc", "profile", cmd_profile,
	  "push FILE|PROFILE [--vm VM] | pull [--vm VM]",
	  "push a profile to the BMC for this server or a VM; pull the one "
	  "it carries (needs --bmc)", profile_fields },
	{ 0 }
};
