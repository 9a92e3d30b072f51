/*
 * psctl_bmc.c - the management-side client of the pstate OEM commands
 * (docs/ipmi-oem.md): what each completion code means, a BMC's address,
 * the OEM commands over batches (psctl_bmc_run.c) and chassis power.
 * No psctl context: hvagent links it too (psctl_bmc_cmds.c has the glue
 * to psctl's options).
 */
#define _GNU_SOURCE             /* strncasecmp */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "psctl.h"
#include "psctl_bmc_int.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ messages */

/* Completion codes for an operator: what happened and what to do. */
static const struct {
	uint8_t cc;
	const char *text;
} cc_texts[] = {
	{ BMC_CC_SEQUENCE, "bad session or chunk order" },
	{ BMC_CC_STALE, "the store changed since it was read (or the lock "
			"was lost)" },
	{ BMC_CC_CONFLICT, "conflicts with the store (a value in use, a "
			   "profile assigned elsewhere, or a new schema "
			   "problem)" },
	{ BMC_CC_UNVERIFIED, "the store on the server's key fails the BMC's "
			     "verification (authenticated mode: unverified, "
			     "tampered, rolled back, or no key in the BMC); "
			     "`psctl bmc info` says why, `psctl check "
			     "--verify` on the host tells the same" },
	{ BMC_CC_BUSY, "busy: another writer holds the store's semaphore, "
		       "or another client of the BMC its lock or write "
		       "session" },
	{ BMC_CC_INVALID_CMD, "unknown command (does this BMC serve the "
			      "pstate OEM commands?)" },
	{ BMC_CC_OUT_OF_SPACE, "out of space (store, slot, result buffer, or "
			       "no free port)" },
	{ BMC_CC_BAD_LENGTH, "request length does not match the command" },
	{ BMC_CC_TOO_LONG, "a length past a limit" },
	{ BMC_CC_OUT_OF_RANGE, "parameter out of range" },
	{ BMC_CC_NOT_PRESENT, "not present (no such path, VM or profile)" },
	{ BMC_CC_INVALID_DATA, "invalid data (unknown operation, malformed "
			       "element, bad name, host name, mode or "
			       "count)" },
	{ BMC_CC_PRIVILEGE, "insufficient privilege (writes need an "
			    "administrator session)" },
	{ BMC_CC_POWER_STATE, "host powered on: the BMC refuses writes in "
			      "this power state (power it off first: psctl "
			      "--bmc ... bmc power off)" },
	{ BMC_CC_NO_SEMAPHORE, "this BMC has no semaphore: it cannot hold "
			       "the store's lock for a sequence of writes" },
	{ BMC_CC_UNSPECIFIED, "media I/O error, or no valid store on the "
			      "server's key" },
};

const char *psctl_bmc_cc_text(uint8_t cc)
{
	size_t i;

	for (i = 0; i < sizeof cc_texts / sizeof cc_texts[0]; i++)
		if (cc_texts[i].cc == cc)
			return cc_texts[i].text;
	return "unexpected completion code";
}

int psctl_bmc_cc_exit(uint8_t cc)
{
	switch (cc) {
	case BMC_CC_STALE: case BMC_CC_CONFLICT: case BMC_CC_BUSY:
		return PSCTL_EXIT_CONFLICT;
	case BMC_CC_BAD_LENGTH: case BMC_CC_TOO_LONG:
	case BMC_CC_OUT_OF_RANGE: case BMC_CC_INVALID_DATA:
		return PSCTL_EXIT_INVALID;
	case BMC_CC_NOT_PRESENT:
		return PSCTL_EXIT_NOTFOUND;
	case BMC_CC_POWER_STATE:
		return PSCTL_EXIT_POWER;
	case BMC_CC_UNVERIFIED:
		return PSCTL_EXIT_AUTH_UNVERIFIED;
	default:
		return PSCTL_EXIT_IO;
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

/* ------------------------------------------------------------ commands */

int psctl_bmc_info(const struct psctl_bmc *b, struct psctl_bmc_info *info,
		   char *err, size_t n)
{
	struct batch bt = { 0 };
	const uint8_t *a;
	int rc;

	if (psctl_batch_add(&bt, BMC_CMD_INFO, NULL, 0, BMC_SHIM_INFO_LEN)) {
		psctl_batch_free(&bt);
		psctl_bmc_say(err, n, b, "info: out of memory");
		return PSCTL_EXIT_IO;
	}
	rc = psctl_batch_run(b, psctl_bmc_priv_for(b, PRIV_OPERATOR), &bt,
			     "info", NULL, err,
		       n);
	if (rc) {
		psctl_batch_free(&bt);
		return rc;
	}
	a = psctl_batch_answer(&bt, 0);
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
	psctl_batch_free(&bt);
	return 0;
}

/* How long a request the BMC answers busy (0xC0) is retried: past the
 * semaphore's default lease (a dead holder is broken after it) and the
 * BMC's idle limit on another client's write session. */
#define BUSY_RETRY_MS 30000L
#define BUSY_PAUSE_MS 200L

static long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* One request alone (want answer bytes), retried while the BMC answers
 * busy; the answer in bt (the caller frees it). */
static int run_one(const struct psctl_bmc *b, int priv, uint8_t cmd,
		   const uint8_t *req, size_t len, unsigned want,
		   const char *what, struct batch *bt, char *err, size_t n)
{
	long until = mono_ms() + BUSY_RETRY_MS;
	unsigned cc;
	int rc;

	for (;;) {
		struct timespec pause = { 0, BUSY_PAUSE_MS * 1000000L };

		psctl_batch_free(bt);
		rc = psctl_batch_add(bt, cmd, req, len, want) ? PSCTL_EXIT_IO
			: psctl_batch_run(b, priv, bt, what, &cc, err, n);
		if (!rc || cc != BMC_CC_BUSY || mono_ms() >= until)
			return rc;
		nanosleep(&pause, NULL);
	}
}

/* A session id from a begin command that ran alone. */
static int begin(const struct psctl_bmc *b, int priv, uint8_t cmd,
		 const uint8_t *req, size_t len, const char *what,
		 uint8_t *session, char *err, size_t n)
{
	struct batch bt = { 0 };
	int rc = run_one(b, priv, cmd, req, len, BMC_SHIM_BEGIN_LEN, what,
			 &bt, err, n);

	if (!rc)
		*session = psctl_batch_answer(&bt, 0)[0];
	psctl_batch_free(&bt);
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
		psctl_bmc_say(err, n, b, "%s: out of memory", what);
		return PSCTL_EXIT_IO;
	}
	for (off = 0; off < count && !rc; off += CHUNK) {
		uint8_t req[6];
		unsigned k = count - off < CHUNK ? (unsigned)(count - off)
						 : CHUNK;

		req[0] = session;
		psf_put_le32(req + 1, (uint32_t)off);
		req[5] = (uint8_t)k;
		rc = psctl_batch_add(&bt, cmd, req, 6, k);
	}
	if (!rc && count)
		rc = psctl_batch_run(b, priv, &bt, what, NULL, err, n);
	for (i = 0, off = 0; !rc && i < bt.n; off += bt.req[i].want, i++)
		memcpy(*out + off, psctl_batch_answer(&bt, i), bt.req[i].want);
	psctl_batch_free(&bt);
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
		rc = psctl_batch_add(bt, cmd, req, 3 + k, 2);
	}
	return rc;
}

int psctl_bmc_read(const struct psctl_bmc *b, uint8_t op, const void *arg,
		   size_t arg_len, uint8_t **out, size_t *out_len,
		   uint32_t *generation, char *err, size_t n)
{
	int priv = psctl_bmc_priv_for(b, PRIV_OPERATOR), rc;
	struct batch bt = { 0 };
	uint8_t req[3], sess;
	const uint8_t *a;
	char what[40];
	uint32_t len;

	*out = NULL;
	*out_len = 0;
	snprintf(what, sizeof what, "read op %u", op);
	if (arg_len > BMC_SHIM_ARGS_MAX) {
		psctl_bmc_say(err, n, b,
			      "%s: arguments of %zu bytes (at most %u)",
		    what, arg_len, BMC_SHIM_ARGS_MAX);
		return PSCTL_EXIT_INVALID;
	}
	req[0] = op;
	psf_put_le16(req + 1, (uint16_t)arg_len);
	rc = begin(b, priv, BMC_CMD_READ_BEGIN, req, 3, what, &sess, err, n);
	if (rc)
		return rc;
	rc = add_chunks(&bt, BMC_CMD_READ_ARG, sess, arg, arg_len) ||
	     psctl_batch_add(&bt, BMC_CMD_READ_RUN, &sess, 1,
		       BMC_SHIM_RUN_LEN) ? PSCTL_EXIT_IO : 0;
	if (!rc)
		rc = psctl_batch_run(b, priv, &bt, what, NULL, err, n);
	if (rc) {
		psctl_batch_free(&bt);
		return rc;
	}
	a = psctl_batch_answer(&bt, bt.n - 1);
	len = psf_le32(a);
	if (generation)
		*generation = psf_le32(a + 4);
	psctl_batch_free(&bt);
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

	if (!psctl_batch_add(&bt, BMC_CMD_WRITE_ABORT, &sess, 1, 0))
		psctl_batch_run(b, priv, &bt, "abort", NULL, ignore,
				sizeof ignore);
	psctl_batch_free(&bt);
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

/* The lock this process holds through the BMC (psctl_bmc_lock): its
 * token goes in every write's begin until psctl_bmc_unlock. */
static int lock_held;
static uint32_t lock_token;

int psctl_bmc_write_gen(const struct psctl_bmc *b, uint8_t op,
			const void *staged, size_t len, uint32_t expect_gen,
			uint8_t **out, size_t *out_len, uint32_t *new_gen,
			char *err, size_t n)
{
	int priv = psctl_bmc_priv_for(b, PRIV_ADMIN), rc;
	struct batch bt = { 0 };
	uint8_t req[BMC_SHIM_WBEGIN_TOKEN_LEN], fin[5], sess;
	unsigned cc = 0, result_len;
	const uint8_t *a;
	char what[40];

	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	snprintf(what, sizeof what, "write op %u", op);
	if (len > STAGE_MAX) {
		psctl_bmc_say(err, n, b,
			      "%s: %zu bytes to stage; the BMC takes at most "
		    "%u per write", what, len, STAGE_MAX);
		return PSCTL_EXIT_INVALID;
	}
	req[0] = op;
	psf_put_le16(req + 1, (uint16_t)len);
	psf_put_le32(req + 3, expect_gen);
	psf_put_le32(req + 7, lock_token);
	rc = begin(b, priv, BMC_CMD_WRITE_BEGIN, req, lock_held ?
		   BMC_SHIM_WBEGIN_TOKEN_LEN : BMC_SHIM_WBEGIN_LEN, what, &sess,
		   err, n);
	if (rc)
		return rc;
	fin[0] = sess;
	psf_put_le32(fin + 1, psf_crc32c(0, staged, len));
	rc = add_chunks(&bt, BMC_CMD_WRITE_CHUNK, sess, staged, len) ||
	     psctl_batch_add(&bt, BMC_CMD_WRITE_FINISH, fin, 5,
		       BMC_SHIM_FINISH_LEN) ? PSCTL_EXIT_IO : 0;
	if (!rc)
		rc = psctl_batch_run(b, priv, &bt, what, &cc, err, n);
	if (rc && cc == BMC_CC_BUSY && bt.refused == BMC_CMD_WRITE_FINISH) {
		/* Busy keeps the session staged: finish again. */
		rc = run_one(b, priv, BMC_CMD_WRITE_FINISH, fin, 5,
			     BMC_SHIM_FINISH_LEN, what, &bt, err, n);
		cc = rc ? BMC_CC_BUSY : 0;
	}
	if (rc) {
		/* A refused finish ends the session itself; a refused chunk
		 * (or a finish still busy) leaves it staged. */
		if (cc && bt.n && (bt.refused != BMC_CMD_WRITE_FINISH ||
				   cc == BMC_CC_BUSY))
			abort_write(b, priv, sess);
		if (bt.timed_out)
			may_have_committed(b, expect_gen, err, n);
		psctl_batch_free(&bt);
		return rc;
	}
	a = psctl_batch_answer(&bt, bt.n - 1);
	if (new_gen)
		*new_gen = psf_le32(a);
	result_len = psf_le16(a + 4);
	psctl_batch_free(&bt);
	if (!out || !result_len)
		return 0;
	rc = fetch(b, priv, BMC_CMD_WRITE_RESULT, sess, result_len, what, out,
		   err, n);
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
	rc = run_one(b, psctl_bmc_priv_for(b, PRIV_ADMIN), BMC_CMD_LOCK_TAKE,
		     req, 2, BMC_SHIM_LOCK_LEN, "lock", &bt, err, n);
	if (!rc) {
		lock_token = psf_le32(psctl_batch_answer(&bt, 0));
		lock_held = 1;
	}
	psctl_batch_free(&bt);
	return rc;
}

int psctl_bmc_unlock(const struct psctl_bmc *b, char *err, size_t n)
{
	struct batch bt = { 0 };
	uint8_t req[4];
	int rc;

	psf_put_le32(req, lock_token);
	lock_held = 0;
	rc = psctl_batch_add(&bt, BMC_CMD_LOCK_RELEASE, req, 4,
			     0) ? PSCTL_EXIT_IO
		: psctl_batch_run(b, psctl_bmc_priv_for(b, PRIV_ADMIN), &bt,
				  "unlock", NULL,
			    err, n);

	psctl_batch_free(&bt);
	return rc;
}

/* ------------------------------------------------------------ power */

static int chassis(const struct psctl_bmc *b, const char *verb,
		   struct run *r, char *err, size_t n)
{
	const char *tail[] = { "chassis", "power", verb, NULL };
	char why[400], line[300];

	if (psctl_run_ipmitool(b, psctl_bmc_priv_for(b, PRIV_OPERATOR), tail,
			       RUN_MS, r)) {
		psctl_bmc_say(err, n, b,
			      "chassis power %s: cannot start ipmitool: %s",
		    verb, strerror(errno));
		return PSCTL_EXIT_IO;
	}
	if (r->status == 0 && !r->timed_out && r->out.p)
		return 0;
	if (psctl_session_failure(b, r, why, sizeof why)) {
		psctl_bmc_say(err, n, b, "chassis power %s: %s", verb, why);
		psctl_run_free(r);
		return PSCTL_EXIT_IO;
	}
	psctl_last_line(r, line, sizeof line);
	psctl_bmc_say(err, n, b, "chassis power %s: %s", verb, line);
	psctl_run_free(r);
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
		psctl_bmc_say(err, n, b,
			      "chassis power status: unexpected answer '%.80s'",
		    r.out.p);
	psctl_run_free(&r);
	return rc;
}

static int power_set(const struct psctl_bmc *b, const char *verb, char *err,
		     size_t n)
{
	struct run r;
	int rc = chassis(b, verb, &r, err, n);

	if (!rc)
		psctl_run_free(&r);
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
