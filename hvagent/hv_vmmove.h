/*
 * hv_vmmove.h - a VM's store object follows its live migration into this
 * host's store (hv_vmmove.c; docs/hvagent.md "Live migration").
 */
#ifndef HV_VMMOVE_H
#define HV_VMMOVE_H

#include <stdint.h>

#include "pstate.h"

struct hv_vmmove_ctx {
	const char *peers;        /* migration_peers: TARGET words       */
	const char *own_path;     /* this agent's store                  */
	int own_dev;
	struct ps_store *own;
};

/* A domain migrated in (resumed/migrated): its VM, found by UUID in a
 * peer's store, moves into this one.  Logged, never fatal. */
void hv_vmmove_in(const struct hv_vmmove_ctx *x, const uint8_t uuid[16],
		  const char *domain);
/* At the agent's start: finish every move toward this store that was
 * cut (leaving a peer for here, or arriving here from a peer). */
void hv_vmmove_resume(const struct hv_vmmove_ctx *x);

#endif /* HV_VMMOVE_H */
