/*
 * psctl_pool_index_int.h - what psctl_pool_index.c and
 * psctl_pool_index_build.c share: the bucket of a name and the row
 * format (psctl_pool_index.h says it).
 */
#ifndef PSCTL_POOL_INDEX_INT_H
#define PSCTL_POOL_INDEX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "psctl_pool_etcd.h"

struct pidx_row {
	int64_t rev;              /* 0: the bucket's mod_revision       */
	const char *name;         /* not NUL terminated                 */
	size_t nlen;
	const uint8_t *el;
	size_t elen;
	size_t size;              /* the whole row's bytes              */
};

/* A bucket's value being made. */
struct pidx_buf {
	uint8_t *v;
	size_t len, cap;
};

/* The keys a bucket's rows index, by kind: 0 profiles, 1 servers. */
extern const char *const pidx_of[2];

unsigned pidx_bucket(const char *name);
void pidx_bucket_key(int kind, unsigned b, char *out, size_t n);
/* Whether key is a bucket's (*kind and *b: which). */
int pidx_is_bucket(const char *key, int *kind, unsigned *b);
/* The row at off of a bucket's value v (n bytes): 0, or -1 malformed. */
int pidx_row(const uint8_t *v, size_t n, size_t off, struct pidx_row *r);
int pidx_add_row(struct pidx_buf *b, int64_t rev, const char *name,
		 size_t nl, const uint8_t *el, size_t elen);
/* The meta key (NULL: absent): 1 an index of POOL_INDEX_BUCKETS
 * (*ready whether built), 0 none, -1 malformed, -2 another count. */
int pidx_meta(const struct pe_kv *kv, int *ready);

#endif /* PSCTL_POOL_INDEX_INT_H */
