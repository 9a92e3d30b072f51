/*
 * psctl_bmc.h - psctl's client for the pstate OEM commands of a server's
 * BMC (docs/ipmi-oem.md), over IPMI LAN.  Internal to cli/.
 *
 * Every function returns 0 or a PSCTL_EXIT_* code; on failure it has
 * written one line saying what failed and where (which BMC, which
 * command, the completion code and its meaning) to err (NUL-terminated,
 * no newline).  Connections are per call: nothing is held between them.
 */
#ifndef PSCTL_BMC_H
#define PSCTL_BMC_H

#include <stddef.h>
#include <stdint.h>

struct psctl_bmc {
	char host[256];
	unsigned port;            /* 623 unless given                        */
	const char *user;         /* NULL: "admin"                           */
	const char *password;     /* NULL: $IPMI_PASSWORD                    */
};

/* "HOST[:PORT]" or "bmc://HOST[:PORT]" -> b (user/password left as set). */
int psctl_bmc_parse(const char *s, struct psctl_bmc *b, char *err, size_t n);

/* Chassis power: *on = 1 on, 0 off (or aux). */
int psctl_bmc_power_status(const struct psctl_bmc *b, int *on, char *err,
			   size_t n);
int psctl_bmc_power_off(const struct psctl_bmc *b, char *err, size_t n);

/* Store info (OEM 0x01), decoded. */
struct psctl_bmc_info {
	uint32_t generation;
	uint32_t store_size;
	int host_power;           /* 0 off, 1 on, 2 aux, -1 unknown          */
	int lock_holder;          /* enum ps_owner, 0 none                   */
};
int psctl_bmc_info(const struct psctl_bmc *b, struct psctl_bmc_info *info,
		   char *err, size_t n);

/* A read operation (OEM 0x10-0x13): op and argument bytes as in
 * docs/ipmi-oem.md; the result in a malloc'd *out (caller frees). */
int psctl_bmc_read(const struct psctl_bmc *b, uint8_t op, const void *arg,
		   size_t arg_len, uint8_t **out, size_t *out_len,
		   uint32_t *generation, char *err, size_t n);

/* A write operation (OEM 0x20-0x24): staged bytes as in
 * docs/ipmi-oem.md, applied as one commit; expect_gen 0 = any; the
 * result bytes (if any) in a malloc'd *out (out may be NULL). */
int psctl_bmc_write(const struct psctl_bmc *b, uint8_t op, const void *staged,
		    size_t len, uint32_t expect_gen, uint8_t **out,
		    size_t *out_len, char *err, size_t n);

#endif /* PSCTL_BMC_H */
