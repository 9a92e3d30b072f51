/*
 * psctl_pool_ids.h - the etcd keys of the address and spare pools'
 * records (docs/pool.md "Key layout").  The records and their rules are
 * the library's (pstate/ps_pool.h): the file pool and the etcd pool both
 * run psctl_pool_addr.c's commands on a store holding these records, so
 * only the storage differs.
 */
#ifndef PSCTL_POOL_IDS_H
#define PSCTL_POOL_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "pstate.h"

#define IDP_TEXT_MAX PS_POOL_ID_MAX     /* an identifier's text        */
#define IDP_NAME_MAX PS_POOL_NAME_MAX   /* a range's or spare pool's name */

/* The etcd key (below /pstate/) of a record of signature sig:
 * range/NAME, resv/KIND/ID, spares/NAME.  0, or -1 for a bad record. */
int idp_rec_key(uint32_t sig, const char *text, size_t n, char *out,
		size_t on);
/* The signature of a record key (below /pstate/), or 0. */
uint32_t idp_key_sig(const char *key);

#endif /* PSCTL_POOL_IDS_H */
