/*
 * ps_pool_rules.c - the rules of address pools (ps_pool.h): one
 * identifier's value, ranges, overlap, membership, the records' text,
 * a range's clash with a pool's others, and a reservation held for
 * another profile (ps__resv_clash); the whole-store check of a pool's
 * records applies them in ps_check_pool.c.  Freestanding: the BMC shim
 * links the check, so a record written through its element writes meets
 * the same rules.
 *
 * Records are parsed where they lie (words are pointers into the store),
 * so the check holds at most two ranges on the stack.
 */
#include "ps_check_internal.h"

const struct ps_enum ps_pool_kinds[] = {
	{ "mac", PS_POOL_MAC }, { "wwn", PS_POOL_WWN },
	{ "uuid", PS_POOL_UUID }, { "serial", PS_POOL_SERIAL }, { NULL, 0 },
};

const char *ps_pool_kind_name(enum ps_pool_kind k)
{
	return (unsigned)k < PS_POOL_KINDS ? ps_pool_kinds[k].name : "?";
}

int ps_pool_kind_parse(const char *s, size_t n)
{
	int k;

	for (k = 0; k < PS_POOL_KINDS; k++)
		if (ps__same(s, n, ps_pool_kinds[k].name,
			     ps__slen(ps_pool_kinds[k].name)))
			return k;
	return -1;
}

static uint64_t be(const uint8_t *b, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static void put_be(uint64_t v, uint8_t *b, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A serial: PREFIX then 1..PS_POOL_DIGITS trailing digits. */
static int parse_serial(const char *s, size_t n, struct ps_pool_id *v,
			char *prefix, int *width, const char **why)
{
	size_t d = n;

	while (d > 0 && is_digit(s[d - 1]))
		d--;
	if (d == n)
		return ps__bad(why, "a serial range's identifiers end in "
			       "digits");
	if (n - d > PS_POOL_DIGITS || d >= PS_POOL_PREFIX_MAX)
		return ps__bad(why, "too long (a prefix of at most 31 "
			       "characters, at most 18 digits)");
	if (prefix) {
		psf_memcpy(prefix, s, d);
		prefix[d] = 0;
	}
	if (width)
		*width = (int)(n - d);
	for (; d < n; d++)
		v->lo = v->lo * 10 + (uint64_t)(s[d] - '0');
	return 0;
}

int ps_pool_id_parse(enum ps_pool_kind k, const char *s, size_t n,
		     struct ps_pool_id *v, char *prefix, int *width,
		     const char **why)
{
	uint8_t b[16];

	v->hi = v->lo = 0;
	switch (k) {
	case PS_POOL_MAC:
		if (ps_parse_mac(s, n, b, why))
			return PS_ERR_BADVALUE;
		v->lo = be(b, 6);
		return 0;
	case PS_POOL_WWN:
		if (ps_parse_wwn(s, n, b, why))
			return PS_ERR_BADVALUE;
		v->lo = be(b, 8);
		return 0;
	case PS_POOL_UUID:
		if (ps_parse_uuid(s, n, b, why))
			return PS_ERR_BADVALUE;
		v->hi = be(b, 8);
		v->lo = be(b + 8, 8);
		return 0;
	case PS_POOL_SERIAL:
		return parse_serial(s, n, v, prefix, width, why);
	default:
		return ps__bad(why, "unknown kind");
	}
}

static void sb_id(struct sb *s, const struct ps_pool_range *r,
		  struct ps_pool_id v)
{
	uint8_t b[16];
	char t[40];
	uint64_t m = 10;
	int d = 1;

	switch (r->kind) {
	case PS_POOL_MAC:
		put_be(v.lo, b, 6);
		ps_fmt_mac(b, t);
		break;
	case PS_POOL_WWN:
		put_be(v.lo, b, 8);
		ps_fmt_wwn(b, t);
		break;
	case PS_POOL_UUID:
		put_be(v.hi, b, 8);
		put_be(v.lo, b + 8, 8);
		ps_fmt_uuid(b, t);
		break;
	default:
		/* The prefix, then the number zero-padded to the width. */
		ps__sb_str(s, r->prefix);
		for (; d < 20 && v.lo >= m; d++, m *= 10)
			;
		for (; d < r->width; d++)
			ps__sb_put(s, "0", 1);
		ps__sb_u64(s, v.lo);
		return;
	}
	ps__sb_str(s, t);
}

size_t ps_pool_id_fmt(const struct ps_pool_range *r, struct ps_pool_id v,
		      char *out, size_t n)
{
	struct sb s;

	ps__sb_init(&s, out, n);
	sb_id(&s, r, v);
	return s.len;
}

int ps_pool_id_cmp(struct ps_pool_id a, struct ps_pool_id b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static uint64_t kind_max(const struct ps_pool_range *r)
{
	uint64_t m = 1;
	int i;

	if (r->kind == PS_POOL_MAC)
		return (1ull << 48) - 1;
	if (r->kind != PS_POOL_SERIAL)
		return UINT64_MAX;
	for (i = 0; i < r->width; i++)
		m *= 10;
	return m - 1;
}

/* "WHAT 'WORD'" into s (the word cut at 64 bytes). */
static void sb_word(struct sb *s, const char *what, const char *w, size_t n)
{
	ps__sb_str(s, what);
	ps__sb_str(s, " '");
	ps__sb_put(s, w, n > 64 ? 64 : n);
	ps__sb_put(s, "'", 1);
}

static const char kind_why[] = "not mac, wwn, uuid or serial";

/* ": Y" after the word a reason is about; PS_ERR_BADVALUE. */
static int because(struct sb *why, const char *y)
{
	ps__sb_str(why, ": ");
	ps__sb_str(why, y);
	return PS_ERR_BADVALUE;
}

static int range_parse(struct ps_pool_range *r, const struct ps__words4 *a,
		       struct sb *why)
{
	int k = ps_pool_kind_parse(a->w[1], a->n[1]), w2 = 0;
	char p2[PS_POOL_PREFIX_MAX];
	struct ps_pool_id l2;
	const char *y = NULL;

	psf_memset(r, 0, sizeof(*r));
	if (ps_check_name(a->w[0], a->n[0], &y)) {
		sb_word(why, "range name", a->w[0], a->n[0]);
		return because(why, y);
	}
	psf_memcpy(r->name, a->w[0], a->n[0]);
	if (k < 0) {
		sb_word(why, "kind", a->w[1], a->n[1]);
		return because(why, kind_why);
	}
	r->kind = (enum ps_pool_kind)k;
	if (ps_pool_id_parse(r->kind, a->w[2], a->n[2], &r->first, r->prefix,
			     &r->width, &y)) {
		sb_word(why, "first", a->w[2], a->n[2]);
		return because(why, y);
	}
	if (ps_pool_id_parse(r->kind, a->w[3], a->n[3], &l2, p2, &w2, &y)) {
		sb_word(why, "last", a->w[3], a->n[3]);
		return because(why, y);
	}
	r->last = l2;
	y = NULL;
	if (r->kind == PS_POOL_SERIAL &&
	    (ps__slen(r->prefix) != ps__slen(p2) ||
	     psf_memcmp(r->prefix, p2, ps__slen(p2)) || r->width != w2))
		y = "one prefix and one number of digits";
	else if (r->kind == PS_POOL_UUID && r->first.hi != r->last.hi)
		y = "a UUID range varies in its last 16 hex digits only";
	if (y) {
		sb_word(why, "first", a->w[2], a->n[2]);
		sb_word(why, " and last", a->w[3], a->n[3]);
		return because(why, y);
	}
	if (ps_pool_id_cmp(r->first, r->last) > 0) {
		sb_word(why, "first", a->w[2], a->n[2]);
		sb_word(why, " is after last", a->w[3], a->n[3]);
		return PS_ERR_BADVALUE;
	}
	return 0;
}

int ps_pool_range_make(struct ps_pool_range *r, const char *name,
		       const char *kind, const char *first, const char *last,
		       char *why, size_t wn)
{
	struct ps__words4 a = { { name, kind, first, last },
			    { ps__slen(name), ps__slen(kind), ps__slen(first),
			      ps__slen(last) } };
	struct sb s;

	ps__sb_init(&s, why, wn);
	return range_parse(r, &a, &s);
}

/* b's interval in a's numbering ([lo, hi]), when b's serials can be a's
 * at all (same length, b's prefix = a's prefix then digits). */
static int serial_in(const struct ps_pool_range *a,
		     const struct ps_pool_range *b, uint64_t *lo,
		     uint64_t *hi)
{
	size_t pa = ps__slen(a->prefix), pb = ps__slen(b->prefix), i;
	uint64_t d = 0, m = 1;
	int j;

	if (pa + (size_t)a->width != pb + (size_t)b->width || pb < pa ||
	    psf_memcmp(a->prefix, b->prefix, pa))
		return 0;
	for (i = pa; i < pb; i++) {
		if (!is_digit(b->prefix[i]))
			return 0;
		d = d * 10 + (uint64_t)(b->prefix[i] - '0');
	}
	for (j = 0; j < b->width; j++)
		m *= 10;
	*lo = d * m + b->first.lo;
	*hi = d * m + b->last.lo;
	return 1;
}

int ps_pool_overlap(const struct ps_pool_range *a,
		    const struct ps_pool_range *b)
{
	uint64_t lo, hi;

	if (a->kind != b->kind)
		return 0;
	if (a->kind != PS_POOL_SERIAL)
		return ps_pool_id_cmp(a->first, b->last) <= 0 &&
		       ps_pool_id_cmp(b->first, a->last) <= 0;
	if (serial_in(a, b, &lo, &hi))
		return a->first.lo <= hi && lo <= a->last.lo;
	if (serial_in(b, a, &lo, &hi))
		return b->first.lo <= hi && lo <= b->last.lo;
	return 0;
}

int ps_pool_contains(const struct ps_pool_range *r, int k, const char *text,
		     size_t n, struct ps_pool_id *v)
{
	size_t pl = ps__slen(r->prefix), i;
	const char *why;

	if (k != (int)r->kind)
		return 0;
	if (r->kind != PS_POOL_SERIAL) {
		if (ps_pool_id_parse(r->kind, text, n, v, NULL, NULL, &why))
			return 0;
	} else {
		/* In the range's own numbering: its prefix, then exactly
		 * its digits (SN100001 is in SN1 + 5 digits). */
		if (n != pl + (size_t)r->width || psf_memcmp(text, r->prefix, pl))
			return 0;
		v->hi = v->lo = 0;
		for (i = pl; i < n; i++) {
			if (!is_digit(text[i]))
				return 0;
			v->lo = v->lo * 10 + (uint64_t)(text[i] - '0');
		}
	}
	return ps_pool_id_cmp(r->first, *v) <= 0 &&
	       ps_pool_id_cmp(*v, r->last) <= 0;
}

uint64_t ps_pool_size(const struct ps_pool_range *r)
{
	uint64_t d = r->last.lo - r->first.lo;

	return d == UINT64_MAX ? d : d + 1;
}

int ps_pool_next(const struct ps_pool_range *r, struct ps_pool_id *v)
{
	if (ps_pool_id_cmp(*v, r->last) >= 0 || v->lo >= kind_max(r))
		return 0;
	v->lo++;
	return 1;
}

/* ------------------------------------------------------------ records */

int ps_pool_word(const char *text, size_t n, int i, const char **w,
		 size_t *wn)
{
	size_t at = 0, e;

	for (;;) {
		while (at < n && text[at] == ' ')
			at++;
		if (at == n)
			return 0;
		for (e = at; e < n && text[e] != ' '; e++)
			;
		if (i-- == 0) {
			*w = text + at;
			*wn = e - at;
			return 1;
		}
		at = e;
	}
}

/* Exactly want words of text into a (want <= 4). */
static int split(const char *text, size_t n, struct ps__words4 *a, int want)
{
	const char *w;
	size_t wn;
	int i;

	for (i = 0; i < want; i++)
		if (!ps_pool_word(text, n, i, &a->w[i], &a->n[i]))
			return 0;
	return !ps_pool_word(text, n, want, &w, &wn);
}

int ps__pool_range_rec(const char *text, size_t n, struct ps_pool_range *r,
		       struct sb *why)
{
	struct ps__words4 a;

	if (!split(text, n, &a, 4)) {
		ps__sb_str(why, "not NAME KIND FIRST LAST");
		return PS_ERR_BADVALUE;
	}
	return range_parse(r, &a, why);
}

int ps_pool_range_rec(const char *text, size_t n, struct ps_pool_range *r,
		      char *why, size_t wn)
{
	struct sb s;

	ps__sb_init(&s, why, wn);
	return ps__pool_range_rec(text, n, r, &s);
}

size_t ps_pool_range_text(const struct ps_pool_range *r, char *out,
			  size_t n)
{
	struct sb s;

	ps__sb_init(&s, out, n);
	ps__sb_str(&s, r->name);
	ps__sb_put(&s, " ", 1);
	ps__sb_str(&s, ps_pool_kind_name(r->kind));
	ps__sb_put(&s, " ", 1);
	sb_id(&s, r, r->first);
	ps__sb_put(&s, " ", 1);
	sb_id(&s, r, r->last);
	return s.len;
}

/* A reservation's words (a: kind, identifier, holder) and its rule: a
 * known kind, the identifier in the form psctl prints it (the etcd pool
 * keys it by this text: another spelling would be another key), a holder
 * "-" or a valid name.  0 with *k, or PS_ERR_BADVALUE with why. */
int ps__pool_resv_parse(const char *text, size_t n, struct ps__words4 *a,
			int *k, struct sb *why)
{
	struct ps_pool_range fmt;
	struct ps_pool_id v;
	const char *y = NULL;
	char t[PS_POOL_ID_MAX];

	if (!split(text, n, a, 3)) {
		ps__sb_str(why, "not KIND ID HOLDER");
		return PS_ERR_BADVALUE;
	}
	*k = ps_pool_kind_parse(a->w[0], a->n[0]);
	if (*k < 0) {
		sb_word(why, "kind", a->w[0], a->n[0]);
		return because(why, kind_why);
	}
	psf_memset(&fmt, 0, sizeof(fmt));
	fmt.kind = (enum ps_pool_kind)*k;
	if (a->n[1] >= PS_POOL_ID_MAX ||
	    ps_pool_id_parse(fmt.kind, a->w[1], a->n[1], &v, fmt.prefix,
			     &fmt.width, &y))
		y = y ? y : "too long";
	else if (ps_pool_id_fmt(&fmt, v, t, sizeof(t)) != a->n[1] ||
		 psf_memcmp(t, a->w[1], a->n[1]))
		y = "not in the form psctl prints it (lower-case hex, "
		    "colons)";
	if (y) {
		sb_word(why, ps_pool_kind_name(fmt.kind), a->w[1], a->n[1]);
		return because(why, y);
	}
	if (!ps__same(a->w[2], a->n[2], "-", 1) &&
	    ps_check_name(a->w[2], a->n[2], &y)) {
		sb_word(why, "holder", a->w[2], a->n[2]);
		return because(why, y);
	}
	return 0;
}

int ps_pool_resv_rec(const char *text, size_t n, struct ps_pool_resv *v,
		     char *why, size_t wn)
{
	struct ps__words4 a;
	struct sb s;
	int k, rc;

	ps__sb_init(&s, why, wn);
	rc = ps__pool_resv_parse(text, n, &a, &k, &s);
	if (rc)
		return rc;
	v->kind = (enum ps_pool_kind)k;
	psf_memcpy(v->id, a.w[1], a.n[1]);
	v->id[a.n[1]] = 0;
	psf_memcpy(v->holder, a.w[2], a.n[2]);
	v->holder[a.n[2]] = 0;
	return 0;
}

size_t ps_pool_resv_text(enum ps_pool_kind k, const char *id,
			 const char *holder, char *out, size_t n)
{
	struct sb s;

	ps__sb_init(&s, out, n);
	ps__sb_str(&s, ps_pool_kind_name(k));
	ps__sb_put(&s, " ", 1);
	ps__sb_str(&s, id);
	ps__sb_put(&s, " ", 1);
	ps__sb_str(&s, holder ? holder : "-");
	return s.len;
}

/* ------------------------------------------------------- a pool's store */

int ps_pool_state(const void *buf)
{
	return psf_find_child(buf, psf_root(buf), PSF_POOL_STATE);
}

/* "KIND FIRST-LAST" of r. */
static void sb_span(struct sb *s, const struct ps_pool_range *r)
{
	sb_id(s, r, r->first);
	ps__sb_put(s, "-", 1);
	sb_id(s, r, r->last);
}

/* ps_pool_range_clash with the sentence appended to why. */
int ps__pool_clash(const void *buf, const struct ps_pool_range *r, int skip,
		   int before, int *at, struct sb *why)
{
	struct ps_pool_range o;
	struct sb junk;
	char j[1];
	int st = ps_pool_state(buf), el;
	const char *t;
	uint32_t n;

	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_RANGE);
	     el >= 0 && !(before && el == skip);
	     el = psf_find_next(buf, st, el, PSF_POOL_RANGE)) {
		t = psf_payload(buf, el, &n);
		ps__sb_init(&junk, j, sizeof(j));
		if (el == skip || !t || ps__pool_range_rec(t, n, &o, &junk))
			continue;
		*at = el;
		if (!psf_memcmp(o.name, r->name, sizeof(o.name)))
			return 1;
		if (!ps_pool_overlap(&o, r))
			continue;
		ps__sb_str(why, ps_pool_kind_name(r->kind));
		ps__sb_put(why, " ", 1);
		sb_span(why, r);
		ps__sb_str(why, " overlaps range '");
		ps__sb_str(why, o.name);
		ps__sb_str(why, "' (");
		sb_span(why, &o);
		ps__sb_str(why, "): ranges never overlap");
		return 2;
	}
	return 0;
}

int ps_pool_range_clash(const void *buf, const struct ps_pool_range *r,
			int skip, int before, int *el, char *why, size_t wn)
{
	struct sb s;

	ps__sb_init(&s, why, wn);
	return ps__pool_clash(buf, r, skip, before, el, &s);
}

/* ------------------------------------------------- reserved for a profile */

/* enum ident of each pool kind (ps_pool_kinds' order). */
static const uint8_t kind_ident[PS_POOL_KINDS] = { ID_MAC, ID_WWN, ID_UUID,
						   ID_SERIAL };

/* A reservation's identifier t (tn bytes, in psctl's form: the check holds
 * it to that) spells the value (kind, v, n) -- ps__sb_id's text, compared
 * without a buffer: lower-case hex pairs, a ':' or '-' between. */
static int spells(enum ident kind, const char *t, size_t tn,
		  const uint8_t *v, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;
	uint32_t i;

	if (kind == ID_SERIAL)
		return ps__same(t, tn, (const char *)v, n);
	for (i = 0; i < n; i++, j += 2) {
		if (i && j < tn && (t[j] == ':' || t[j] == '-'))
			j++;
		if (j + 2 > tn || t[j] != hex[v[i] >> 4] ||
		    t[j + 1] != hex[v[i] & 15])
			return 0;
	}
	return j == tn;
}

/* The reservation of (kind, v, n) for a profile that the VM or profile
 * owner (kind ok) neither is nor carries: 1 with its words in *a, else 0.
 * A reservation for no profile ("-") holds the identifier for no one: any
 * profile may take it (it is then Assigned). */
int ps__pool_resv_for(const void *buf, enum ident kind, const uint8_t *v,
		      uint32_t n, int owner, enum ps_obj ok,
		      struct ps__words4 *a)
{
	int st = ps_pool_state(buf), el, k;
	const char *t;
	uint32_t tn;

	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_RESV);
	     el >= 0; el = psf_find_next(buf, st, el, PSF_POOL_RESV)) {
		t = psf_payload(buf, el, &tn);
		if (!t || !split(t, tn, a, 3) ||
		    (k = ps_pool_kind_parse(a->w[0], a->n[0])) < 0 ||
		    kind_ident[k] != kind || ps__same(a->w[2], a->n[2], "-", 1) ||
		    !spells(kind, a->w[1], a->n[1], v, n))
			continue;
		return owner < 0 ||
		       !ps__str_is(buf, owner, ok == PS_OBJ_VM ? PSF_PROFILE_REF
							       : PSF_NAME,
				   a->w[2], (uint32_t)a->n[2]);
	}
	return 0;
}

/* "pool reservation 'KIND ID' (for profile 'HOLDER')" */
void ps__pool_sb_resv_for(struct sb *s, const struct ps__words4 *a)
{
	ps__sb_str(s, "pool reservation '");
	ps__sb_put(s, a->w[0], a->n[0]);
	ps__sb_put(s, " ", 1);
	ps__sb_put(s, a->w[1], a->n[1]);
	ps__sb_str(s, "' (for profile '");
	ps__sb_put(s, a->w[2], a->n[2]);
	ps__sb_str(s, "')");
}

int ps__resv_clash(const void *buf, enum ident kind, const uint8_t *v,
		   uint32_t n, const struct asker *a, struct ps_cfg_err *e)
{
	struct ps__words4 w;
	struct sb s;

	if (!ps__pool_resv_for(buf, kind, v, n, a->owner, a->owner_kind, &w))
		return 0;
	if (e) {
		ps__sb_init(&s, e->holder, sizeof(e->holder));
		ps__pool_sb_resv_for(&s, &w);
	}
	return ps__fail(e, PS_ERR_DUPLICATE, "reserved");
}
