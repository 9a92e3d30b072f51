/*
 * psctl_pool.h - what the parts of the etcd pool share (internal to
 * cli/): psctl_pool.c reads the pool into a store, psctl_pool_txn.c turns
 * an edit into one transaction.  The key layout is docs/pool.md's.
 */
#ifndef PSCTL_POOL_H
#define PSCTL_POOL_H

#include <stdint.h>

#include "psctl.h"
#include "psctl_pool_etcd.h"

#define POOL_PREFIX  "/pstate/"
#define POOL_PROFILE "/pstate/profile/"   /* NAME -> PROFILE element   */
#define POOL_SERVER  "/pstate/server/"    /* NAME -> SERVER element    */
#define POOL_ID      "/pstate/id/"        /* FIELD/TEXT -> profile NAME */
#define POOL_MOVE    "/pstate/move/"      /* NAME -> who, since (text) */
#define POOL_LEASE   "/pstate/lease/"     /* NAME -> who, on the lease */
#define POOL_KEY_MAX 256

struct psctl_pool {
	const char *url;
	int connected;
	struct pe_client pe;
	struct pe_kvs snap;       /* every key under POOL_PREFIX, read at
				     snap.revision                     */
	int64_t lease;            /* this process's move lease, or 0   */
};
extern struct psctl_pool pool_g;

/* The key of the snapshot, or NULL. */
const struct pe_kv *psctl_pool_key(const char *key);
/* Re-read the pool into psctl's store. */
int psctl_pool_reload(struct psctl_ctx *c);
/* The client's error (pool_g.pe.err) reported; the exit code. */
int psctl_pool_error(struct psctl_ctx *c, int rc);

#endif /* PSCTL_POOL_H */
