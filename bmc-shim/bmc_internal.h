/*
 * bmc_internal.h - between the shim's parts (not installed).
 *   bmc_shim.c   dispatch, sessions and chunks, the power gate, the lock
 *   bmc_ops.c    the read and write operations on the store buffer
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

#endif /* BMC_INTERNAL_H */
