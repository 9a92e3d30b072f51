/*
 * psctl_bmc.h - psctl's client for the pstate OEM commands of a server's
 * BMC (docs/ipmi-oem.md), over IPMI LAN.  Internal to cli/.
 *
 * Every function returns 0 or a PSCTL_EXIT_* code; on failure it has
 * written one line saying what failed and where (which BMC, which
 * command, the completion code and its meaning) to err (NUL-terminated,
 * no newline).  Connections are per call: nothing is held between them.
 *
 * The transport is ipmitool, run as a program (fork/exec, no shell):
 * `ipmitool -I lanplus -C 3 -H HOST -p PORT -U USER -L LEVEL -E ...` with
 * the password in the child's IPMI_PASSWORD, never on its command line.
 * Chunk traffic goes as one `exec FILE` per step, so a read or a write
 * costs a few sessions, not one per chunk.
 */
#ifndef PSCTL_BMC_H
#define PSCTL_BMC_H

#include <stddef.h>
#include <stdint.h>

/* The OEM wire protocol, shared with the shim (no -I needed). */
#include "../bmc-shim/bmc_proto.h"

/* The BMC refused a write because the host is powered on (completion
 * code BMC_CC_POWER_STATE, the power gate): power it off and retry. */
#define PSCTL_EXIT_POWER 8

struct psctl_bmc {
	char host[256];
	unsigned port;            /* 623 unless given                        */
	const char *user;         /* NULL: "admin"                           */
	const char *password;     /* NULL: $IPMI_PASSWORD                    */
	int priv;                 /* session privilege: 0 per operation
				     (operator to read, administrator to
				     write), else 3 operator / 4 admin     */
};

/* "HOST[:PORT]" or "bmc://HOST[:PORT]" -> b (user/password left as set). */
int psctl_bmc_parse(const char *s, struct psctl_bmc *b, char *err, size_t n);

/* Chassis power: *on = 1 on, 0 off (or aux). */
int psctl_bmc_power_status(const struct psctl_bmc *b, int *on, char *err,
			   size_t n);
int psctl_bmc_power_off(const struct psctl_bmc *b, char *err, size_t n);
int psctl_bmc_power_on(const struct psctl_bmc *b, char *err, size_t n);

/* Store info (BMC_CMD_INFO), decoded. */
struct psctl_bmc_info {
	uint32_t generation;
	uint32_t store_size;
	int host_power;           /* 0 off, 1 on, 2 aux, -1 unknown          */
	int lock_holder;          /* enum ps_owner, 0 none                   */
	/* The rest of the reply. */
	uint8_t protocol, format_major, format_minor;
	uint16_t schema;
	uint32_t capacity;        /* bytes of store the BMC can edit         */
	uint8_t policy;           /* 0 semaphore, 1 host-off, 2 read-only    */
	uint8_t flags;            /* bit 0 client lock, 1 readable, 2 sem    */
};
int psctl_bmc_info(const struct psctl_bmc *b, struct psctl_bmc_info *info,
		   char *err, size_t n);

/* A read operation (BMC_CMD_READ_*): op (enum bmc_read_op) and argument
 * bytes as in docs/ipmi-oem.md; the result in a malloc'd *out (caller
 * frees). */
int psctl_bmc_read(const struct psctl_bmc *b, uint8_t op, const void *arg,
		   size_t arg_len, uint8_t **out, size_t *out_len,
		   uint32_t *generation, char *err, size_t n);

/* A write operation (BMC_CMD_WRITE_*): op (enum bmc_write_op), staged
 * bytes as in docs/ipmi-oem.md, applied as one commit; expect_gen 0 = any; the
 * result bytes (if any) in a malloc'd *out (out may be NULL). */
int psctl_bmc_write(const struct psctl_bmc *b, uint8_t op, const void *staged,
		    size_t len, uint32_t expect_gen, uint8_t **out,
		    size_t *out_len, char *err, size_t n);

/* As psctl_bmc_write, also giving the generation the commit made. */
int psctl_bmc_write_gen(const struct psctl_bmc *b, uint8_t op,
			const void *staged, size_t len, uint32_t expect_gen,
			uint8_t **out, size_t *out_len, uint32_t *new_gen,
			char *err, size_t n);

/* The BMC lock (BMC_CMD_LOCK_TAKE / _RELEASE): the BMC holds the store's
 * semaphore for this client for lease seconds (1..600), so a sequence
 * of writes is not interleaved with other writers. */
int psctl_bmc_lock(const struct psctl_bmc *b, unsigned lease, char *err,
		   size_t n);
int psctl_bmc_unlock(const struct psctl_bmc *b, char *err, size_t n);

/* Serial ports (psctl_bmc_serial.c): write op 3 (allocate r->count ports
 * of VM vm; got[i] each one's numbers), write op 4 (free every port of
 * vm; *freed how many), read op 6 (every mapping, or vm's, in a malloc'd
 * *m the caller frees). */
#include "pstate.h"

struct psctl_bmc_serial {
	char vm[PS_CFG_NAME_MAX + 1];
	unsigned port, concentrator;
	unsigned mode;            /* PSF_SERIAL_MODE_* */
	char host[256];
};
int psctl_bmc_serial_allocate(const struct psctl_bmc *b, const char *vm,
			      const struct ps_serial_req *r,
			      struct ps_serial_map *got, char *err, size_t n);
int psctl_bmc_serial_free(const struct psctl_bmc *b, const char *vm,
			  unsigned *freed, char *err, size_t n);
int psctl_bmc_serial_list(const struct psctl_bmc *b, const char *vm,
			  struct psctl_bmc_serial **m, size_t *cnt, char *err,
			  size_t n);

/* Exit code and meaning of an OEM completion code. */
int psctl_bmc_cc_exit(uint8_t cc);
const char *psctl_bmc_cc_text(uint8_t cc);

/* ---- psctl's side (need psctl.h) ---- */
struct psctl_ctx;

/* "operator" / "administrator" (or 3 / 4) for -L; 0 or an exit code. */
int psctl_bmc_set_privilege(struct psctl_ctx *c, const char *level);

/* The BMC named by --bmc, -U, -P; reports its own error. */
int psctl_bmc_from_ctx(struct psctl_ctx *c, struct psctl_bmc *b);

/* The BMC's whole store (read op 1), malloc'd; reports its own error. */
int psctl_bmc_load(struct psctl_ctx *c, uint8_t **out, size_t *len,
		   uint32_t *generation);

/*
 * Send the edit that turned old into new (both finished stores) to the
 * BMC: each changed or new child of a set under the root as one element
 * write (op 1), each vanished one as a delete (op 5), other changed root
 * children whole; several of them under the BMC lock.  gen is the
 * generation old was read at.  With dry_run, print the writes and send
 * nothing.  *stale is set when the first write found the store changed
 * (nothing committed: re-read and redo).  Reports its own errors.
 */
int psctl_bmc_send_diff(struct psctl_ctx *c, const void *old,
			const void *new, uint32_t gen, int dry_run,
			int *stale);

#endif /* PSCTL_BMC_H */
