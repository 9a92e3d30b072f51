/*
 * bmc_internal.h - between the shim's parts (not installed).
 *   bmc_shim.c   dispatch, sessions and chunks, the power gate, the lock
 *   bmc_ops.c    the read and write operations on the store buffer
 *   bmc_auth.c   the authenticated store: verify at load, seal at commit
 */
#ifndef BMC_INTERNAL_H
#define BMC_INTERNAL_H

#include "bmc_shim.h"

/* (Re)load the newest store from media into s->store.  0 or PS_ERR_*. */
int bmc_load(struct bmc_shim *s);

/* The host's power (enum bmc_power), or -1 when unknown. */
int bmc_host_power(const struct bmc_shim *s);

/* Bytes the store may grow to in s->store. */
size_t bmc_store_cap(const struct bmc_shim *s);

/* Run read operation s->rd_op over s->args: sets rd_off/rd_len (a span
 * of s->store) or rd_result_len (bytes in s->result).  Returns a
 * completion code. */
uint8_t bmc_read_run(struct bmc_shim *s);

/* Apply write operation s->wr_op of s->stage[0..wr_len) to s->store,
 * result bytes into s->wr_result.  Returns a completion code; on a
 * refusal the store buffer must be reloaded. */
uint8_t bmc_write_apply(struct bmc_shim *s);

/* After a load: the store's verdict into s->auth_verdict (and the BMC's
 * counter raised to a verified slot's). */
void bmc_auth_load(struct bmc_shim *s);

/* May the loaded store be served?  BMC_CC_OK or BMC_CC_UNVERIFIED. */
uint8_t bmc_auth_gate(const struct bmc_shim *s);

/* Seal the coming commit when the loaded store is sealed: a->auth set.
 * A completion code. */
uint8_t bmc_auth_arm(struct bmc_shim *s, struct ps_commit_args *a);

/* After the commit (published: a new generation was written): raise
 * the BMC's counter; forget the key either way. */
void bmc_auth_done(struct bmc_shim *s, int published);

#endif /* BMC_INTERNAL_H */
