/*
 * psctl_bmc_int.h - what the parts of psctl's BMC client share (internal
 * to cli/): psctl_bmc_run.c runs ipmitool and batches of OEM requests;
 * psctl_bmc.c, psctl_bmc_diff.c and psctl_bmc_cmds.c use them.
 */
#ifndef PSCTL_BMC_INT_H
#define PSCTL_BMC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "psctl_bmc.h"

#define CHUNK BMC_SHIM_CHUNK_MAX
#define STAGE_MAX BMC_SHIM_STAGE_MAX
#define PRIV_OPERATOR BMC_PRIV_OPERATOR
#define PRIV_ADMIN BMC_PRIV_ADMIN
/* A session that gets no answer fails after about 2 s (-N 1 -R 1); a
 * whole run is bounded by RUN_MS plus PER_CMD_MS per command. */
#define RUN_MS 15000
#define PER_CMD_MS 50
/* Seconds the BMC holds its lock for a sequence of writes. */
#define LOCK_LEASE 120u

/* A growing byte buffer, always NUL-terminated past len. */
struct buf {
	char *p;
	size_t len, cap;
};

/* What one ipmitool run left behind. */
struct run {
	struct buf out, err;
	int status;               /* exit status; -1 killed or not run */
	int timed_out;
	int exec_failed;
};

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

/* "BMC HOST:PORT: " then fmt, into err (n bytes). */
void psctl_bmc_say(char *err, size_t n, const struct psctl_bmc *b,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append n bytes; 0, or -1 out of memory. */
int psctl_buf_add(struct buf *o, const void *p, size_t n);

/* ipmitool with b's connection options, then tail, at session privilege
 * priv, killed after limit ms.  0, or -1 when it could not be started.
 * psctl_run_free frees what a run left. */
int psctl_run_ipmitool(const struct psctl_bmc *b, int priv,
		       const char *const *tail, long limit, struct run *r);
void psctl_run_free(struct run *r);
/* Why a run opened no session (into why), or NULL when it did not fail
 * that way. */
const char *psctl_session_failure(const struct psctl_bmc *b,
				  const struct run *r, char *why, size_t n);
/* The last line of a run's stderr that is not verbose chatter. */
void psctl_last_line(const struct run *r, char *out, size_t n);

/* A batch: OEM requests that run in one session.  _add queues command
 * cmd with its data and the length of its answer (-1 out of memory);
 * _run runs them (0 or a PSCTL_EXIT_* code, err written; *cc_out the
 * refused command's completion code or 0); _answer is the i-th answer's
 * data after the IANA number; _free frees the batch. */
int psctl_batch_add(struct batch *bt, uint8_t cmd, const uint8_t *data,
		    size_t len, unsigned want);
int psctl_batch_run(const struct psctl_bmc *b, int priv, struct batch *bt,
		    const char *what, unsigned *cc_out, char *err, size_t n);
const uint8_t *psctl_batch_answer(const struct batch *bt, size_t i);
void psctl_batch_free(struct batch *bt);

/* The session privilege of an operation: b's -L, else dflt. */
int psctl_bmc_priv_for(const struct psctl_bmc *b, int dflt);

#endif /* PSCTL_BMC_INT_H */
