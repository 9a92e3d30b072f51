/*
 * psctl_pool_index.h - the etcd pool's list index (docs/pool.md "The
 * list index"): the rows of `profile list` kept in a few bucket keys,
 * written in the same transaction as every change of a profile, so the
 * list reads about a thousand keys instead of one a profile.
 *
 *   /pstate/index/meta    "buckets N ready" (or "... building" while
 *                         `pool reindex` builds it); absent: no index
 *   /pstate/index/p/BBBB  bucket BBBB (4 decimal digits, < N): the rows
 *                         of the profiles whose name hashes to it
 *                         (CRC-32C of the name, modulo N)
 *
 *   /pstate/index/s/BBBB  the same for the servers (the list's
 *                         "(server NAME)" note)
 *
 * A row: create_revision (8 bytes, little-endian; 0: the bucket's own
 * mod_revision, i.e. created by the transaction that last wrote the
 * bucket), the name's length (2 bytes) and name, the PROFILE element's
 * length (4 bytes) and bytes -- the profile (server) key's value as it
 * is.
 */
#ifndef PSCTL_POOL_INDEX_H
#define PSCTL_POOL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "psctl.h"
#include "psctl_pool_etcd.h"

#define POOL_INDEX      "/pstate/index/"
#define POOL_INDEX_META POOL_INDEX "meta"
/* Fixed: every client must put a profile in the same bucket.  The meta
 * key records it; a pool indexed with another count is refused (exit 6)
 * until `pool reindex` rebuilds it. */
#define POOL_INDEX_BUCKETS 1024

/* The meta and bucket keys of profile name join the next scoped read
 * (psctl_pool_want_profile). */
void psctl_pool_index_want(const char *name);

/* ---- write side (psctl_pool_txn.c): the buckets of one transaction */

struct pidx;
/* Profile (server: 1) name changed in this txn: its element (el, len)
 * or NULL when deleted.  0 or the exit code reported (a damaged
 * bucket). */
int psctl_pool_index_change(struct psctl_ctx *c, struct pidx **ix,
			    int server, const char *name, const uint8_t *el,
			    size_t len);
/* The compares (key as read) and puts/deletes (v NULL) of ix. */
typedef void (*pidx_cmp_fn)(void *arg, const char *key);
typedef void (*pidx_op_fn)(void *arg, const char *key, const void *v,
			   size_t n);
void psctl_pool_index_emit(struct pidx *ix, pidx_cmp_fn cmp, pidx_op_fn op,
			   void *arg);
void psctl_pool_index_free(struct pidx *ix);

/* ---- read side */

/* The index read in one range request: *used 1 and prof the profiles
 * as profile keys (key, element, create_revision; mod_revision: the
 * bucket's), srv the servers as server keys; *used 0 when the pool has
 * no ready index.  0 or a PE_ code (pool_g.pe.err says why). */
int psctl_pool_index_read(struct pe_kvs *prof, struct pe_kvs *srv,
			  int *used);
/* The index against the profile keys of the whole-pool snapshot: each
 * disagreement one `disagrees` line on out; how many. */
int psctl_pool_index_check(FILE *out);
/* `pool reindex`: build (or rebuild) the index from the profile keys. */
int psctl_pool_reindex(struct psctl_ctx *c, int argc, char **argv);
/* Build it unless it is ready (pool import).  0 or the exit code. */
int psctl_pool_index_ensure(struct psctl_ctx *c);

#endif /* PSCTL_POOL_INDEX_H */
