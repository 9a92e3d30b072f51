/*
 * hv_index.c - a sorted index of byte keys, built once and searched by
 * halving: what the reconcile pass looks VMs, domains, records and images
 * up by (UUIDs, names), so a pass over N VMs makes N lookups of O(log N)
 * instead of N walks of the whole list.
 *
 * Keys are not copied: they must stay where they are while the index is
 * used.  Keys compare as bytes (memcmp), a key sorting before every longer
 * key it begins ("img1" < "img10" < "img2").  Equal keys keep the order
 * they were added in, and a lookup finds the first added: the first VM
 * of a UUID is the one that counts, as it was with the linear scans.
 */
#include <stdlib.h>
#include <string.h>

#include "hv.h"

void hv_index_init(struct hv_index *x)
{
	memset(x, 0, sizeof *x);
}

void hv_index_free(struct hv_index *x)
{
	free(x->e);
	hv_index_init(x);
}

int hv_index_add(struct hv_index *x, const void *key, size_t len, size_t val)
{
	struct hv_index_ent *e;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;

		e = realloc(x->e, cap * sizeof *e);
		if (!e)
			return -1;
		x->e = e;
		x->cap = cap;
	}
	x->e[x->n] = (struct hv_index_ent){ key, len, val, x->n };
	x->n++;
	x->sorted = 0;
	return 0;
}

static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* By key, then by the order added (qsort is not stable). */
static int ent_cmp(const void *pa, const void *pb)
{
	const struct hv_index_ent *a = pa, *b = pb;
	int c = key_cmp(a->key, a->len, b->key, b->len);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorted at the first lookup after an add: adding N keys then looking
 * up costs one sort, not N. */
const struct hv_index_ent *hv_index_find(struct hv_index *x, const void *key,
					 size_t len)
{
	size_t lo = 0, hi = x->n;

	if (!x->sorted && x->n > 1)
		qsort(x->e, x->n, sizeof *x->e, ent_cmp);
	x->sorted = 1;
	/* The first entry not below key: among equal keys, the first added. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(x->e[mid].key, x->e[mid].len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->n && !key_cmp(x->e[lo].key, x->e[lo].len, key, len))
		return &x->e[lo];
	return NULL;
}

const struct hv_index_ent *hv_index_next(const struct hv_index *x,
					 const struct hv_index_ent *e)
{
	const struct hv_index_ent *n = e + 1;

	if (n < x->e + x->n && !key_cmp(n->key, n->len, e->key, e->len))
		return n;
	return NULL;
}
