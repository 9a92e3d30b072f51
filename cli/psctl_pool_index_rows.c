/*
 * psctl_pool_index_rows.c - the list index's buckets and rows
 * (psctl_pool_index.h has the format): which bucket a name goes to, a
 * bucket's key, a row read (bounds-checked: the bytes come from etcd)
 * and written, the meta key's text.  Pure: no I/O, no psctl state
 * (tests/unit/test_pool_index.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psctl_pool.h"
#include "psctl_pool_index.h"
#include "psctl_pool_index_int.h"

unsigned pidx_bucket(const char *name)
{
	return psf_crc32c(0, name, strlen(name)) % POOL_INDEX_BUCKETS;
}

const char *const pidx_of[2] = { POOL_PROFILE, POOL_SERVER };

void pidx_bucket_key(int kind, unsigned b, char *out, size_t n)
{
	snprintf(out, n, POOL_INDEX "%c/%04u", kind ? 's' : 'p', b);
}

int pidx_is_bucket(const char *key, int *kind, unsigned *b)
{
	const char *d = key + strlen(POOL_INDEX) + 2;
	unsigned v = 0;
	int i;

	if (strncmp(key, POOL_INDEX, strlen(POOL_INDEX)) ||
	    strlen(key) != strlen(POOL_INDEX) + 6 || d[-1] != '/' ||
	    (d[-2] != 'p' && d[-2] != 's'))
		return 0;
	*kind = d[-2] == 's';
	for (i = 0; i < 4; i++) {
		if (d[i] < '0' || d[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(d[i] - '0');
	}
	*b = v;
	return 1;
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

int pidx_row(const uint8_t *v, size_t n, size_t off, struct pidx_row *r)
{
	size_t nl, el;

	if (n - off < 10)
		return -1;
	r->rev = (int64_t)get_le(v + off, 8);
	nl = (size_t)get_le(v + off + 8, 2);
	if (!nl || n - off - 10 < nl + 4)
		return -1;
	r->name = (const char *)v + off + 10;
	r->nlen = nl;
	el = (size_t)get_le(v + off + 10 + nl, 4);
	if (n - off - 14 - nl < el || memchr(r->name, 0, nl) ||
	    memchr(r->name, '/', nl))
		return -1;
	r->el = v + off + 14 + nl;
	r->elen = el;
	r->size = 14 + nl + el;
	return 0;
}

int pidx_add_row(struct pidx_buf *b, int64_t rev, const char *name,
		 size_t nl, const uint8_t *el, size_t elen)
{
	size_t need = b->len + 14 + nl + elen;
	uint8_t *p = b->v;

	if (need > b->cap) {
		p = realloc(b->v, need * 2);
		if (!p)
			return -1;
		b->v = p;
		b->cap = need * 2;
	}
	p += b->len;
	put_le(p, (uint64_t)rev, 8);
	put_le(p + 8, nl, 2);
	memcpy(p + 10, name, nl);
	put_le(p + 10 + nl, elen, 4);
	memcpy(p + 14 + nl, el, elen);
	b->len = need;
	return 0;
}

int pidx_meta(const struct pe_kv *kv, int *ready)
{
	unsigned n = 0;
	char state[16] = "";

	*ready = 0;
	if (!kv)
		return 0;
	if (kv->vlen > 64 || sscanf((const char *)kv->val, "buckets %u %15s",
				    &n, state) != 2)
		return -1;
	if (n != POOL_INDEX_BUCKETS)
		return -2;
	*ready = !strcmp(state, "ready");
	return 1;
}

