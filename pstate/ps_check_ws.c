/*
 * ps_check_ws.c - ps_cfg_check_ws: the whole-store check with keys
 * sorted in caller-given memory, so that finding equal keys costs a
 * binary search instead of a walk of the store: n log n where
 * ps_cfg_check is quadratic.  Same rules, same lines, same order
 * (ps_check_internal.h).  Freestanding (no allocation, no recursion); a
 * firmware link that calls only ps_cfg_check drops this file.
 */
#include "ps_check_internal.h"

/* Tables alive at once: the top-level name sets (kept) and one more. */
#define WS_TABLES 12u

/* The sorted keys of one source, entries [at, at + n) of the pool. */
struct tab {
	chk_walk walk;
	int parent, kind;
	uint32_t at, n;
};

/* The workspace: this header, then the pool of keys.  Tables are taken
 * and given back like a stack. */
struct ws {
	struct ps__ck *pool;
	uint32_t cap, top, ntab;
	int full;
	struct tab t[WS_TABLES];
};

/* Key order, then walk order: equal keys sit together, earliest first. */
static int before(const struct ps__ck *a, const struct ps__ck *b)
{
	int d = ps__ck_cmp(a, b);

	return d ? d < 0 : a->seq < b->seq;
}

static void sift(struct ps__ck *v, uint32_t i, uint32_t n)
{
	struct ps__ck t = v[i];
	uint32_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && before(&v[c], &v[c + 1]))
			c++;
		if (!before(&t, &v[c]))
			break;
		v[i] = v[c];
		i = c;
	}
	v[i] = t;
}

/* Heapsort: no recursion, no memory, n log n at worst. */
static void sort(struct ps__ck *v, uint32_t n)
{
	struct ps__ck t;
	uint32_t i;

	for (i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (i = n; i-- > 1;) {
		t = v[0];
		v[0] = v[i];
		v[i] = t;
		sift(v, 0, i);
	}
}

static int put(struct chk *k, const struct ps__ck *c, void *arg)
{
	struct ws *w = arg;

	(void)k;
	if (w->top == w->cap) {
		w->full = 1;
		return 1;
	}
	w->pool[w->top++] = *c;
	return 0;
}

/* The table of s, built on first use; NULL when the workspace is too
 * small (the caller then walks). */
static const struct tab *table(struct chk *k, const struct chk_src *s)
{
	struct ws *w = k->ws;
	struct chk_emit e = { put, w, 0 };
	struct ps__ck *v;
	struct tab *t;
	uint32_t i;

	for (i = 0; i < w->ntab; i++) {
		t = &w->t[i];
		if (t->walk == s->walk && t->parent == s->parent &&
		    t->kind == s->kind)
			return t;
	}
	if (w->ntab == WS_TABLES)
		return NULL;
	t = &w->t[w->ntab];
	t->walk = s->walk;
	t->parent = s->parent;
	t->kind = s->kind;
	t->at = w->top;
	w->full = 0;
	s->walk(k, s, &e);
	if (w->full) {
		w->top = t->at;
		return NULL;
	}
	t->n = w->top - t->at;
	v = w->pool + t->at;
	sort(v, t->n);
	/* xmax: the largest x so far among keys of the same num (the
	 * furthest end of the earlier reservations of a kind). */
	for (i = 0; i < t->n; i++)
		v[i].xmax = i && v[i - 1].num == v[i].num &&
				    v[i - 1].xmax > v[i].x ? v[i - 1].xmax
							   : v[i].x;
	w->ntab++;
	return t;
}

/* The first entry of t not before want (want's seq included when seq). */
static uint32_t lower(const struct ps__ck *v, uint32_t n,
		      const struct ps__ck *want, int seq)
{
	uint32_t lo = 0, hi = n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = ps__ck_cmp(&v[mid], want);
		if (d < 0 || (!d && seq && v[mid].seq < want->seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int ws_each_equal(struct chk *k, const struct chk_src *s,
			 const struct ps__ck *want, chk_fn fn, void *arg)
{
	const struct tab *t = table(k, s);
	const struct ps__ck *v;
	uint32_t i;
	int rc;

	if (!t)
		return ps__chk_walk_equal(k, s, want, fn, arg);
	v = ((struct ws *)k->ws)->pool + t->at;
	for (i = lower(v, t->n, want, 0); i < t->n; i++) {
		if (ps__ck_cmp(&v[i], want))
			break;
		rc = fn(k, &v[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* r overlaps nothing when no earlier range of its kind (in first order)
 * reaches past its first, and the next one starts at or after its end. */
static int ws_resv_alone(struct chk *k, const struct chk_src *s,
			 const struct ps__ck *r)
{
	const struct tab *t = table(k, s);
	const struct ps__ck *v;
	uint32_t i;

	if (!t)
		return 0;
	v = ((struct ws *)k->ws)->pool + t->at;
	i = lower(v, t->n, r, 1);
	if (i == t->n || v[i].seq != r->seq)
		return 0;
	if (i && v[i - 1].num == r->num && v[i - 1].xmax > r->num2)
		return 0;
	return !(i + 1 < t->n && v[i + 1].num == r->num &&
		 v[i + 1].num2 < r->x);
}

/* The table of s goes when it is the last one taken. */
static void ws_drop(struct chk *k, const struct chk_src *s)
{
	struct ws *w = k->ws;
	struct tab *t;

	if (!w->ntab)
		return;
	t = &w->t[w->ntab - 1];
	if (t->walk == s->walk && t->parent == s->parent &&
	    t->kind == s->kind) {
		w->top = t->at;
		w->ntab--;
	}
}

static const struct chk_ops ws_ops = { ws_each_equal, ws_resv_alone,
				       ws_drop };

/* Alignment of the workspace's header and pool. */
#define WS_ALIGN 8u

size_t ps_cfg_check_ws_size(const void *buf, uint32_t len)
{
	uint32_t bad = 0;

	if (psf_check_tree(buf, len, &bad))
		return 0;
	return WS_ALIGN + sizeof(struct ws) +
	       (size_t)ps__chk_keys(buf) * sizeof(struct ps__ck);
}

int ps__chk_ws(struct chk *k, uint32_t len, void *ws, size_t ws_len)
{
	uintptr_t a = (uintptr_t)ws;
	uintptr_t b = (a + WS_ALIGN - 1) & ~(uintptr_t)(WS_ALIGN - 1);
	struct ws *w = (struct ws *)b;
	size_t n;

	if (ws && ws_len >= (b - a) + sizeof(*w)) {
		n = (ws_len - (b - a) - sizeof(*w)) / sizeof(struct ps__ck);
		w->pool = (struct ps__ck *)(w + 1);
		w->cap = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		w->top = 0;
		w->ntab = 0;
		k->ops = &ws_ops;
		k->ws = w;
	}
	return ps__chk_run(k, len);
}

int ps_cfg_check_ws(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		    void *ctx, void *ws, size_t ws_len)
{
	struct chk k = { buf, fn, ctx, 0, NULL, NULL, 0 };

	return ps__chk_ws(&k, len, ws, ws_len);
}
