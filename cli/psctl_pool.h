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
#define POOL_TARGET  "/pstate/target/"    /* TARGET -> profile NAME    */
#define POOL_RESV    "/pstate/resv/"      /* KIND/ID -> reservation    */
#define POOL_SOURCE  "/pstate/source/"    /* MOVE_SOURCE -> profile NAME
					     (while in transit)        */
#define POOL_SRVTARGET "/pstate/srvtarget/" /* TARGET (normal form) ->
					       SERVER NAME             */
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
	int scoped;               /* a command on one profile: read the
				     keys of want, not the whole pool
				     (psctl_pool_scope.c)              */
	char **want;              /* those keys (exact)                */
	size_t nwant;
	int show_servers;         /* profile show: the server directory
				     too, when the profile names a
				     target                            */
};
extern struct psctl_pool pool_g;

/* The key of the snapshot, or NULL. */
const struct pe_kv *psctl_pool_key(const char *key);
/* Re-read the pool into psctl's store. */
int psctl_pool_reload(struct psctl_ctx *c);
/* The "store:" line: the URL and the revision read (once). */
void psctl_pool_announce(struct psctl_ctx *c, int64_t rev);
/* psctl's store laid out again from the snapshot as it is (no read). */
int psctl_pool_rebuild(struct psctl_ctx *c);
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

/* ---- a command's own keys (psctl_pool_scope.c) */

/* The keys of want into pool_g.snap (one read-only txn, and one more
 * for the profiles its identifier keys name; the server directory for
 * `profile show` of a placed profile).  0 or a PE_ code. */
int psctl_pool_read_scope(void);
/* A key for the next reads; a profile's own keys. */
void psctl_pool_want(const char *key);
void psctl_pool_want_profile(const char *name);
/* A lost txn's compared keys (and, for a profile key, its move and lease
 * keys) join the read, so the edit runs again seeing who beat it. */
void psctl_pool_learn(const struct pe_cmp *cmp, size_t n);
void psctl_pool_scope_free(void);
/* The normal form (ps_target_norm) of the target of the server at el of
 * b, or "" (el < 0, none, or not a physical target). */
void psctl_pool_srv_norm(const uint8_t *b, int el, char *out, size_t n);
/* A committed txn's puts and deletes (at revision rev) made in the
 * snapshot: what etcd holds for those keys now, without reading them
 * again (the next step compares against it). */
void psctl_pool_apply(const struct pe_op *op, size_t n, int64_t rev);
/* Append b's kvs to a (the keys and values change hands; b is freed on
 * failure too): 0 or PE_ERR_NOMEM. */
int psctl_pool_take(struct pe_kvs *a, struct pe_kvs *b);

/* ---- claim keys: target, source, srvtarget (psctl_pool_claims.c) */

/* What a profile claims: its TARGET unless unassigned; the MOVE_SOURCE
 * it leaves while in transit ("" none). */
void psctl_pool_claim_target(const uint8_t *b, int el, char *out, size_t n);
void psctl_pool_claim_source(const uint8_t *b, int el, char *out, size_t n);
/* kv's PROFILE or SERVER element (set: its set) as a store of its own:
 * *out malloc'd, *el the element.  0, or 1 (not one element). */
int psctl_pool_elem_buf(const struct pe_kv *kv, uint32_t set, uint8_t **out,
			int *el);
/* `pool check`: the claim keys of snap against its profiles and servers,
 * each disagreement a line on out; their number. */
int psctl_pool_claims_check(FILE *out, const struct pe_kvs *snap);
/* `pool reindex`: the claim keys the records prof and srv (read at rev)
 * imply, written where they differ (compared as read: *ok 0 when a
 * writer changed one meanwhile); psctl_pool_claims_fixed() the keys the
 * last call wrote or deleted.  0 or a PE_ code. */
int psctl_pool_claims_fix(const struct pe_kvs *prof, const struct pe_kvs *srv,
			  int64_t rev, int *ok);
int psctl_pool_claims_fixed(void);

/* ---- reads in parallel streams (psctl_pool_pages.c) */

/* Every key under prefix at revision *rev appended to all (in key order
 * within each stream's span, the spans in order), in pages of limit
 * keys, as several streams on different members ($PSTATE_POOL_STREAMS,
 * default one a member); with `also`, every key under that prefix too,
 * one range, into also_out, as one more stream.  *rev 0: the newest
 * revision, which *rev is then set to (from the first count, or with one
 * stream from `also` read first).  The client's error in pool_g.pe.err. */
int psctl_pool_pages(const char *prefix, int64_t limit, int64_t *rev,
		     struct pe_kvs *all, const char *also,
		     struct pe_kvs *also_out);

#endif /* PSCTL_POOL_H */
