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
	double lease_at;          /* when it was granted / kept alive
				     (CLOCK_MONOTONIC, before asking)  */
	const char *scope;        /* a read-only command on one profile:
				     read its keys, not the whole pool */
};
extern struct psctl_pool pool_g;

/* The key of the snapshot, or NULL. */
const struct pe_kv *psctl_pool_key(const char *key);
/* Re-read the pool into psctl's store. */
int psctl_pool_reload(struct psctl_ctx *c);
/* The client, once per process; 0 or the exit code reported. */
int psctl_pool_connect(struct psctl_ctx *c);
/* The profiles and servers (and pool records) of snap as one store
 * (*out malloc'd, *len its size, *cap its room: room bytes more), in
 * creation order as the file pool keeps them (snap is sorted). */
int psctl_pool_build(struct psctl_ctx *c, struct pe_kvs *snap, size_t room,
		     uint8_t **out, size_t *len, size_t *cap);
/* One PROFILE or SERVER element of the pool from kv into its set of buf
 * (*elem its offset when elem is not NULL), checked: one element of the
 * kind, named as its key.  0, or a PSF code with why said. */
int psctl_pool_put_elem(uint8_t *buf, size_t cap, const struct pe_kv *kv,
			char *why, size_t wn, int *elem);
/* qsort order of pe_kv by create_revision. */
int psctl_pool_by_creation(const void *a, const void *b);
/* Key kv of the pool is not what psctl wrote: reported, the exit code. */
int psctl_pool_damaged(struct psctl_ctx *c, const struct pe_kv *kv,
		       const char *why);
/* The client's error (pool_g.pe.err) reported; the exit code. */
int psctl_pool_error(struct psctl_ctx *c, int rc);

#endif /* PSCTL_POOL_H */
