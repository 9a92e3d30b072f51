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
	int kept;          /* names of a top-level set: for references */
};

/* The workspace: this header, then the pool of keys.  Tables are taken
 * and given back like a stack. */
struct ws {
	struct ps__ck *pool;
	uint32_t cap, top, ntab;
	int full;
	struct tab t[WS_TABLES];
};

/* ------------------------------------------------------------- sources */

/* A target as servers compare it (ps_server_by_target): non-zero when it
 * does not parse. */
static int target_key(const char *p, uint32_t n, struct ps__ck *c)
{
	const char *t;
	size_t tn;
	int bmc = ps__ptarget_key(p, n, &t, &tn, &c->num);

	if (bmc < 0)
		return 1;
	c->num |= (uint64_t)bmc << 32;
	c->ci = (uint8_t)bmc;
	c->p = (const uint8_t *)t;
	c->n = (uint32_t)tn;
	return 0;
}

/* Servers whose target parses, by target. */
static int w_targets(struct chk *k, const struct chk_src *s,
		     struct chk_emit *e)
{
	struct ps__ck c = { 0 };
	const char *p;
	uint32_t len;
	int el, rc = 0;

	c.vm = -1;
	for (el = ps_obj_next(k->buf, s->parent, PS_OBJ_SERVER, -1);
	     !rc && el >= 0;
	     el = ps_obj_next(k->buf, s->parent, PS_OBJ_SERVER, el)) {
		p = ps__str_of(k->buf, el, PSF_TARGET, &len);
		if (!p || target_key(p, len, &c))
			continue;
		c.el = el;
		rc = ps__chk_emit(k, e, &c);
	}
	return rc;
}

/* Reservations that take part in overlaps: kind, first; x the end. */
static int w_resv(struct chk *k, const struct chk_src *s, struct chk_emit *e)
{
	struct ps__ck c = { 0 };
	struct ps__resv r;
	int el, rc = 0;

	for (el = ps_obj_next(k->buf, s->parent, PS_OBJ_RESERVATION, -1);
	     !rc && el >= 0;
	     el = ps_obj_next(k->buf, s->parent, PS_OBJ_RESERVATION, el)) {
		ps__resv_of(k->buf, el, &r);
		if (!ps__resv_real(&r))
			continue;
		c.num = r.kind;
		c.num2 = r.first;
		c.x = ps__resv_end(&r);
		c.el = el;
		c.vm = -1;
		rc = ps__chk_emit(k, e, &c);
	}
	return rc;
}

/* Counts the keys of a source. */
static int count_one(struct chk *k, const struct ps__ck *c, void *arg)
{
	(void)k;
	(void)c;
	++*(uint32_t *)arg;
	return 0;
}

static uint32_t count(struct chk *k, const struct chk_src *s)
{
	uint32_t n = 0;
	struct chk_emit e = { count_one, &n, 0 };

	s->walk(k, s, &e);
	return n;
}

/* The most keys a run holds in tables at once: the names of the
 * top-level sets (kept: references look them up) and the largest of the
 * other sources.  buf is a valid tree. */
static uint32_t keys_needed(const void *buf)
{
	struct chk k = { buf, NULL, NULL, 0, NULL, NULL, 0, { 0 } };
	int root = psf_root(buf), vm;
	uint32_t kept = 0, most = 0, n;
	struct chk_src s = { ps__chk_w_names, root, 0 };
	static const struct { chk_walk walk; int kind; } once[] = {
		{ ps__chk_w_ids, 0 }, { ps__chk_w_vm_sub, PS_OBJ_SERIAL },
		{ ps__chk_w_vm_sub, PS_OBJ_CONTROLLER }, { w_targets, 0 },
		{ w_resv, 0 }, { ps__chk_w_pool_resv, 0 },
	};
	size_t i;

	for (s.kind = PS_OBJ_VM; s.kind < PS_OBJ_COUNT; s.kind++)
		if (!ps__kinds[s.kind].sub)
			kept += count(&k, &s);
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		s.walk = once[i].walk;
		s.kind = once[i].kind;
		n = count(&k, &s);
		most = n > most ? n : most;
	}
	s.walk = ps__chk_w_names;
	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		for (s.parent = vm, s.kind = PS_OBJ_NIC;
		     s.kind <= PS_OBJ_SERIAL; s.kind++) {
			n = count(&k, &s);
			most = n > most ? n : most;
		}
	return kept + most;
}

/* The search of walk_equal. */
struct eq {
	const struct ps__ck *want;
	chk_fn fn;
	void *arg;
};

static int eq_one(struct chk *k, const struct ps__ck *c, void *arg)
{
	struct eq *q = arg;

	return ps__ck_cmp(c, q->want) ? 0 : q->fn(k, c, q->arg);
}

static int walk_equal(struct chk *k, const struct chk_src *s,
		       const struct ps__ck *want, chk_fn fn, void *arg)
{
	struct eq q = { want, fn, arg };
	struct chk_emit e = { eq_one, &q, 0 };

	return s->walk(k, s, &e);
}

/* -------------------------------------------------------------- tables */

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
	if (c->none)
		return 0;
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
	t->kept = s->walk == ps__chk_w_names && s->parent == psf_root(k->buf);
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

/* The first entry of v not before want. */
static uint32_t lower(const struct ps__ck *v, uint32_t n,
		      const struct ps__ck *want)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ps__ck_cmp(&v[mid], want) < 0)
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
		return walk_equal(k, s, want, fn, arg);
	v = ((struct ws *)k->ws)->pool + t->at;
	for (i = lower(v, t->n, want); i < t->n; i++) {
		if (ps__ck_cmp(&v[i], want))
			break;
		rc = fn(k, &v[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ answers */

static int take_first(struct chk *k, const struct ps__ck *c, void *arg)
{
	(void)k;
	*(struct ps__ck *)arg = *c;
	return 1;
}

/* The element of the first key of s equal to want, or -1. */
static int first(struct chk *k, const struct chk_src *s,
		 const struct ps__ck *want)
{
	struct ps__ck hit;

	return ws_each_equal(k, s, want, take_first, &hit) ? hit.el : -1;
}

static int ws_find(struct chk *k, enum ps_obj to, const char *p, uint32_t n)
{
	const struct chk_src s = { ps__chk_w_names, psf_root(k->buf),
				   (int)to };
	struct ps__ck want = { 0 };

	want.p = (const uint8_t *)p;
	want.n = n;
	return first(k, &s, &want);
}

/* The users of an image: the first controller, then the first in another
 * VM (ps__image_user's order: VMs, then their controllers). */
struct users {
	struct ps__ck a, b;
	int have_a;
};

static int user_pair(struct chk *k, const struct ps__ck *c, void *arg)
{
	struct users *u = arg;

	(void)k;
	if (!u->have_a) {
		u->a = *c;
		u->have_a = 1;
		return 0;
	}
	if (c->vm == u->a.vm)
		return 0;
	u->b = *c;
	return 1;
}

static int ws_users(struct chk *k, const char *p, uint32_t n, int *a,
		    int *va, int *vb)
{
	const struct chk_src s = { ps__chk_w_vm_sub, psf_root(k->buf),
				   PS_OBJ_CONTROLLER };
	struct ps__ck want = { 0 };
	struct users u;

	want.p = (const uint8_t *)p;
	want.n = n;
	u.have_a = 0;
	if (!ws_each_equal(k, &s, &want, user_pair, &u))
		return -1;
	*a = u.a.el;
	*va = u.a.vm;
	*vb = u.b.vm;
	return u.b.el;
}

static int ws_server(struct chk *k, const char *p, uint32_t n)
{
	const struct chk_src s = { w_targets, psf_root(k->buf), 0 };
	struct ps__ck want = { 0 };

	return target_key(p, n, &want) ? -1 : first(k, &s, &want);
}

/* el overlaps nothing when no earlier range of its kind (in first order)
 * reaches past its first, and the next one starts at or after its end. */
static int ws_resv_alone(struct chk *k, int el)
{
	const struct chk_src s = { w_resv, psf_root(k->buf), 0 };
	const struct tab *t = table(k, &s);
	struct ps__ck want = { 0 };
	const struct ps__ck *v;
	struct ps__resv r;
	uint32_t i;

	ps__resv_of(k->buf, el, &r);
	if (!t || !ps__resv_real(&r))
		return 0;
	want.num = r.kind;
	want.num2 = r.first;
	v = ((struct ws *)k->ws)->pool + t->at;
	for (i = lower(v, t->n, &want);
	     i < t->n && !ps__ck_cmp(&v[i], &want) && v[i].el != el; i++)
		;
	if (i == t->n || v[i].el != el)
		return 0;
	if (i && v[i - 1].num == r.kind && v[i - 1].xmax > r.first)
		return 0;
	return !(i + 1 < t->n && v[i + 1].num == r.kind &&
		 v[i + 1].num2 < v[i].x);
}

/* The tables above the kept ones go. */
static void ws_drop(struct chk *k)
{
	struct ws *w = k->ws;

	while (w->ntab && !w->t[w->ntab - 1].kept) {
		w->ntab--;
		w->top = w->t[w->ntab].at;
	}
}

static const struct chk_ops ws_ops = { ws_each_equal, ws_find, ws_users,
				       ws_server, ws_resv_alone, ws_drop };

/* Alignment of the workspace's header and pool. */
#define WS_ALIGN 8u

size_t ps_cfg_check_ws_size(const void *buf, uint32_t len)
{
	uint32_t bad = 0;

	if (psf_check_tree(buf, len, &bad))
		return 0;
	return WS_ALIGN + sizeof(struct ws) +
	       (size_t)keys_needed(buf) * sizeof(struct ps__ck);
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
	struct chk k = { buf, fn, ctx, 0, NULL, NULL, 0, { 0 } };

	return ps__chk_ws(&k, len, ws, ws_len);
}
