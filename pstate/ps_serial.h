/*
 * ps_serial.h - serial-port allocation.
 *
 * Freestanding (ps_serial.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_SERIAL_H
#define PS_SERIAL_H

#include "ps_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Serial-port allocation (ps_serial.c, freestanding): one rule for psctl,
 * the BMC shim and hvagent.  ps_serial_allocate gives the VM at vm
 * r->count new serial ports: its lowest unused guest port numbers (0 =
 * COM1, up to 255) in order, each mapped to the lowest concentrator port
 * in [conc_first, conc_last] (0, 0: 1-65535) that no serial port of any VM
 * maps, with mode r->mode (PSF_SERIAL_MODE_*).  Host names: hostnames
 * holds either exactly count comma-separated names, one per port in
 * order, or (count > 1) one base name B giving "B-PORT" per guest port,
 * or nothing (no HOSTNAME).  out[i] receives port i's numbers.  All ports
 * or none: every value is checked and every port chosen before the first
 * change (PSF_ERR_NOSPACE mid-way excepted, as for ps_obj_create).
 * Errors: PS_ERR_BADVALUE (e->field "count", "concentrator", "mode",
 * "hostname"), PS_ERR_NOSPACE (no free guest or concentrator port: e->why
 * says which), PS_ERR_INVAL.
 *
 * ps_serial_free deletes every serial port of the VM (their concentrator
 * ports become free) and returns how many it deleted (0: none, no write).
 */
#define PS_SERIAL_ALLOC_MAX 16u

struct ps_serial_req {
	uint16_t count;           /* 1..PS_SERIAL_ALLOC_MAX            */
	uint16_t conc_first;      /* 0: 1                               */
	uint16_t conc_last;       /* 0: 65535                           */
	uint8_t mode;             /* PSF_SERIAL_MODE_*                  */
	const char *hostnames;    /* see above; may be NULL when len 0  */
	size_t hostnames_len;
};

struct ps_serial_map {
	uint16_t port;            /* guest serial port (0 = COM1)      */
	uint16_t concentrator;    /* concentrator port it maps to      */
};

int ps_serial_allocate(void *buf, size_t cap, int vm,
		       const struct ps_serial_req *r,
		       struct ps_serial_map *out, struct ps_cfg_err *e);
int ps_serial_free(void *buf, int vm, struct ps_cfg_err *e);

#ifdef __cplusplus
}
#endif

#endif /* PS_SERIAL_H */
