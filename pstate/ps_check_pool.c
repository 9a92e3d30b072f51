/*
 * ps_check_pool.c - the whole-store check of a pool's records
 * (ps__chk_pool, one call from ps__chk_run): each range parses, is
 * named once and overlaps no other; each reservation parses, lies in a
 * range of its kind and is made once; an identifier reserved for a
 * profile is held by no other; each spare pool is valid and named once.
 * The rules themselves are ps_pool_rules.c's.  Freestanding: the BMC
 * shim links the check, so a record written through its element writes
 * meets the same rules.
 *
 * Records are parsed where they lie (words are pointers into the store),
 * so the check holds at most two ranges on the stack.
 */
#include "ps_check_internal.h"

static void say(struct chk *k, struct sb *s)
{
	k->n++;
	if (k->fn)
		k->fn(k->ctx, s->p);
}

/* "pool WHAT record N 'TEXT': " -- a record that does not parse, by its
 * place among POOL_STATE's children (from 1) and its text. */
static void begin_rec(struct chk *k, struct sb *s, const char *what,
		      int st, int el)
{
	const char *t;
	uint32_t n, i = 1;
	int c;

	for (c = psf_first_child(k->buf, st); c >= 0 && c != el;
	     c = psf_next_child(k->buf, st, c))
		i++;
	t = psf_payload(k->buf, el, &n);
	ps__sb_init(s, k->m, sizeof(k->m));
	ps__sb_str(s, "pool ");
	ps__sb_str(s, what);
	ps__sb_str(s, " record ");
	ps__sb_u64(s, i);
	ps__sb_str(s, " '");
	ps__sb_put(s, t ? t : "", t ? (n > 80 ? 80 : n) : 0);
	ps__sb_str(s, "': ");
}

/* Each range: it parses, its name is not an earlier range's, and it
 * overlaps no earlier range (so each pair is said once, at the later). */
static void chk_ranges(struct chk *k, int st)
{
	struct ps_pool_range r;
	struct sb s;
	const char *t;
	uint32_t n;
	int el, o, c;

	for (el = psf_find_next(k->buf, st, -1, PSF_POOL_RANGE); el >= 0;
	     el = psf_find_next(k->buf, st, el, PSF_POOL_RANGE)) {
		t = psf_payload(k->buf, el, &n);
		begin_rec(k, &s, "range", st, el);
		if (!t || ps__pool_range_rec(t, n, &r, &s)) {
			say(k, &s);
			continue;
		}
		ps__sb_init(&s, k->m, sizeof(k->m));
		ps__sb_str(&s, "pool range '");
		ps__sb_str(&s, r.name);
		ps__sb_str(&s, "': ");
		c = ps__pool_clash(k->buf, &r, el, 1, &o, &s);
		if (c == 1)
			ps__sb_str(&s, "defined twice");
		if (c)
			say(k, &s);
	}
}

/* Reservations by kind and identifier text (its one spelling, the rule
 * of ps__pool_resv_parse); one that does not parse has no key. */
int ps__chk_w_pool_resv(struct chk *k, const struct chk_src *src,
			struct chk_emit *e)
{
	struct ps__ck c = { 0 };
	struct ps__words4 a;
	struct sb junk;
	char j[1];
	int st = ps_pool_state(k->buf), el, kind, rc = 0;
	const char *t;
	uint32_t n;

	(void)src;
	c.vm = -1;
	for (el = st < 0 ? -1 : psf_find_next(k->buf, st, -1, PSF_POOL_RESV);
	     !rc && el >= 0; el = psf_find_next(k->buf, st, el, PSF_POOL_RESV)) {
		t = psf_payload(k->buf, el, &n);
		ps__sb_init(&junk, j, sizeof(j));
		c.none = !t || ps__pool_resv_parse(t, n, &a, &kind, &junk);
		c.num = c.none ? 0 : (uint64_t)kind;
		c.p = c.none ? NULL : (const uint8_t *)a.w[1];
		c.n = c.none ? 0 : (uint32_t)a.n[1];
		c.el = el;
		rc = ps__chk_emit(k, e, &c);
	}
	return rc;
}

/* "pool reservation 'KIND ID': " */
static void begin_resv(struct chk *k, struct sb *s, const struct ps__ck *c)
{
	ps__sb_init(s, k->m, sizeof(k->m));
	ps__sb_str(s, "pool reservation '");
	ps__sb_str(s, ps_pool_kind_name((enum ps_pool_kind)c->num));
	ps__sb_put(s, " ", 1);
	ps__sb_put(s, (const char *)c->p, c->n);
	ps__sb_str(s, "': ");
}

/* One reservation: it parses and lies in a range of its kind. */
static void chk_resv_one(struct chk *k, const struct chk_src *src,
			 const struct ps__ck *c, const struct ps__ck *unused)
{
	struct ps_pool_range r;
	struct ps_pool_id v;
	struct ps__words4 a;
	struct sb s, junk;
	char j[1];
	int st = ps_pool_state(k->buf), el, kind;
	const char *t;
	uint32_t n;

	(void)src;
	(void)unused;
	if (c->none) {
		t = psf_payload(k->buf, c->el, &n);
		begin_rec(k, &s, "reservation", st, c->el);
		if (!t)
			ps__sb_str(&s, "empty");
		else
			ps__pool_resv_parse(t, n, &a, &kind, &s);
		say(k, &s);
		return;
	}
	for (el = psf_find_next(k->buf, st, -1, PSF_POOL_RANGE); el >= 0;
	     el = psf_find_next(k->buf, st, el, PSF_POOL_RANGE)) {
		t = psf_payload(k->buf, el, &n);
		ps__sb_init(&junk, j, sizeof(j));
		if (t && !ps__pool_range_rec(t, n, &r, &junk) &&
		    ps_pool_contains(&r, (int)c->num, (const char *)c->p, c->n,
				     &v))
			return;
	}
	begin_resv(k, &s, c);
	ps__sb_str(&s, "in no ");
	ps__sb_str(&s, ps_pool_kind_name((enum ps_pool_kind)c->num));
	ps__sb_str(&s, " range (an identifier is reserved from a range)");
	say(k, &s);
}

static void report_resv_twice(struct chk *k, const struct chk_src *src,
			      const struct ps__ck *a, const struct ps__ck *b)
{
	struct sb s;

	(void)src;
	(void)b;
	begin_resv(k, &s, a);
	ps__sb_str(&s, "reserved twice");
	say(k, &s);
}

/* Each spare pool: a valid name not an earlier one's, and members. */
static void chk_spares(struct chk *k, int st)
{
	const char *t, *w, *t2, *w2, *y;
	size_t wn, wn2;
	uint32_t n, n2;
	struct sb s;
	int el, o;

	for (el = psf_find_next(k->buf, st, -1, PSF_POOL_SPARES); el >= 0;
	     el = psf_find_next(k->buf, st, el, PSF_POOL_SPARES)) {
		t = psf_payload(k->buf, el, &n);
		y = NULL;
		if (!t || !ps_pool_word(t, n, 1, &w2, &wn2) ||
		    !ps_pool_word(t, n, 0, &w, &wn))
			y = "not NAME MEMBER...";
		else
			ps_check_name(w, wn, &y);
		if (y) {
			begin_rec(k, &s, "spare pool", st, el);
			ps__sb_str(&s, y);
			say(k, &s);
			continue;
		}
		for (o = psf_find_next(k->buf, st, -1, PSF_POOL_SPARES);
		     o >= 0 && o != el;
		     o = psf_find_next(k->buf, st, o, PSF_POOL_SPARES)) {
			t2 = psf_payload(k->buf, o, &n2);
			if (t2 && ps_pool_word(t2, n2, 0, &w2, &wn2) &&
			    ps__same(w, wn, w2, wn2))
				break;
		}
		if (o < 0 || o == el)
			continue;
		ps__sb_init(&s, k->m, sizeof(k->m));
		ps__sb_str(&s, "pool spare pool '");
		ps__sb_put(&s, w, wn);
		ps__sb_str(&s, "': defined twice");
		say(k, &s);
	}
}

/* The check's side of the rule: each identifier held against a
 * reservation, "pool reservation 'mac ...' (for profile 'a'): held by
 * profile 'b'". */
static int held_against(const void *buf, const struct ps__id *id, void *arg)
{
	struct chk *k = arg;
	struct ps__words4 w;
	struct sb s;

	if (!ps__pool_resv_for(buf, id->kind, id->v, id->n, id->owner,
			    id->owner_kind, &w))
		return 0;
	ps__sb_init(&s, k->m, sizeof(k->m));
	ps__pool_sb_resv_for(&s, &w);
	ps__sb_str(&s, ": held by ");
	if (id->el >= 0)
		ps__sb_who(&s, buf, id->el, PS_OBJ_NIC, id->owner);
	else
		ps__sb_who(&s, buf, id->owner, id->owner_kind, -1);
	say(k, &s);
	return 0;
}

void ps__chk_pool(struct chk *k)
{
	const struct chk_src resv = { ps__chk_w_pool_resv, 0, 0 };
	int root = psf_root(k->buf), st = ps_pool_state(k->buf);
	struct sb s;

	if (st < 0)
		return;
	if (psf_find_next(k->buf, root, st, PSF_POOL_STATE) >= 0) {
		ps__sb_init(&s, k->m, sizeof(k->m));
		ps__sb_str(&s, "root: more than one pool-state (tools read "
			   "the first)");
		say(k, &s);
	}
	chk_ranges(k, st);
	ps__chk_pairs(k, &resv, chk_resv_one, report_resv_twice);
	if (k->ops)
		k->ops->drop(k);
	ps__each_id(k->buf, held_against, k);
	chk_spares(k, st);
}
