/*
 * psctl_pool_addr.h - the address and spare pools' records in a pool's
 * store (internal to cli/; psctl_pool_addr.c, docs/pool.md).
 */
#ifndef PSCTL_POOL_ADDR_H
#define PSCTL_POOL_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "psctl_pool_ids.h"

#define PA_REC_MAX PS_POOL_REC_MAX /* a record's text, NUL included   */

/* One identifier of a range and what holds it (pa_collect). */
struct held {
	struct ps_pool_id v;
	int el;                           /* its POOL_RESV, or -1        */
	char holder[PS_POOL_NAME_MAX];    /* profile, or "-"             */
	int assigned;
};

struct inrange {
	const struct ps_pool_range *r;
	struct held *h;
	size_t n, cap;
	const char *prof;                 /* ps_profile_each_id's profile */
};

/* Every Reserved and Assigned identifier of r in the store buf, by
 * value (Assigned wins: a profile holds it); s->h malloc'd.  0 or
 * PS_ERR_NOMEM. */
int pa_collect(const void *buf, const struct ps_pool_range *r,
	       struct inrange *s);
/* The identifier (field, text) held by profile holder, into s when it
 * lies in s's range: 0 or PS_ERR_NOMEM. */
int pa_assigned(struct inrange *s, const char *field, const char *text,
		const char *holder);
/* The etcd pool read by key (psctl_pool_scope.c): each identifier key
 * read whose profile buf does not hold, as pa_assigned; 0 elsewhere. */
int psctl_pool_held_ids(const void *buf, struct inrange *s);
/* What an address pool command reads of the etcd pool (nothing else):
 * PA_ALL the ranges (pool create); PA_LIST the ranges and, for each, its
 * reservation and identifier keys (pool list); PA_SPANS one range and its
 * reservation and identifier keys (show, allocate); PA_RESV one range,
 * its reservation keys and their identifier keys (delete), PA_RECLAIM
 * also their holders' profiles (reclaim); PA_ONE_ID one range and one
 * identifier's two keys (reserve, release); PA_SPARES the spare pools
 * (spare-pool list).  No effect on the file pool or in psctl shell. */
enum { PA_ALL = 1, PA_LIST, PA_SPANS, PA_RESV, PA_RECLAIM, PA_ONE_ID,
       PA_SPARES };
struct psctl_ctx;
void psctl_pool_scope_addr(struct psctl_ctx *c, int mode, const char *range,
			   const char *id);
/* v's entry in s, or NULL (Unused). */
const struct held *pa_lookup(const struct inrange *s, struct ps_pool_id v);
/* How many of s are Reserved, Assigned. */
void pa_counts(const struct inrange *s, uint64_t *res, uint64_t *asg);

/* The POOL_STATE container (ps_pool_state), or -1; a record's text,
 * NUL-terminated. */
int pa_state(const void *buf);
void pa_rec_text(const void *buf, int el, char *out, size_t n);
/* The POOL_RANGE named name (element offset, r filled), or -1. */
int pa_find_range(const void *buf, const char *name,
		  struct ps_pool_range *r);
/* A record (POOL_RANGE, POOL_RESV, POOL_SPARES) appended under
 * POOL_STATE (made when absent).  0 or PSF_ERR_*. */
int pa_put_rec(void *buf, size_t cap, uint32_t sig, const char *text);
/* The name of the i-th address pool (ranges) or spare pool, for
 * completion: 1, or 0 past the last. */
int pa_record_name(const void *buf, int ranges, int i, char *out,
		   size_t n);
/* The POOL_SPARES record named name (its offset), or -1; its members
 * into out (space-separated, NUL-terminated). */
int pa_find_spares(const void *buf, const char *name, char *out, size_t n);

struct psctl_ctx;
/* pool check (psctl_pool_check.c). */
int psctl_pool_check(struct psctl_ctx *c, int argc, char **argv);
/* pool export, pool import (psctl_pool_io.c). */
int psctl_pool_export(struct psctl_ctx *c, int argc, char **argv);
int psctl_pool_import(struct psctl_ctx *c, int argc, char **argv);

#endif /* PSCTL_POOL_ADDR_H */
