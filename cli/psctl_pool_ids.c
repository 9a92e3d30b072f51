/*
 * psctl_pool_ids.c - the rules of address pools (psctl_pool_ids.h): one
 * identifier's value, ranges, overlap, membership, records and keys.
 */
#include <stdio.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl_pool_ids.h"

/* The kinds' words: the field names of ps_profile_each_id. */
const struct ps_enum idp_kinds[] = {
	{ "mac", IDK_MAC }, { "wwn", IDK_WWN }, { "uuid", IDK_UUID },
	{ "serial", IDK_SERIAL }, { NULL, 0 },
};

const char *idp_kind_name(enum idk k)
{
	return (unsigned)k < IDK_N ? idp_kinds[k].name : "?";
}

int idp_kind_parse(const char *s)
{
	int k;

	for (k = 0; k < IDK_N; k++)
		if (!strcmp(s, idp_kinds[k].name))
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

/* A serial: PREFIX then 1..IDP_SERIAL_DIGITS trailing digits. */
static int parse_serial(const char *s, struct idv *v, char *prefix,
			int *width, const char **why)
{
	size_t n = strlen(s), d = n;

	while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
		d--;
	if (d == n) {
		*why = "a serial range's identifiers end in digits";
		return -1;
	}
	if (n - d > IDP_SERIAL_DIGITS || d >= IDP_PREFIX_MAX) {
		*why = "too long (a prefix of at most 31 characters, at most "
		       "18 digits)";
		return -1;
	}
	if (prefix) {
		memcpy(prefix, s, d);
		prefix[d] = 0;
	}
	if (width)
		*width = (int)(n - d);
	v->hi = 0;
	v->lo = 0;
	for (; d < n; d++)
		v->lo = v->lo * 10 + (uint64_t)(s[d] - '0');
	return 0;
}

int idp_parse(enum idk k, const char *s, struct idv *v, char *prefix,
	      int *width, const char **why)
{
	uint8_t b[16];
	size_t n = strlen(s);

	v->hi = v->lo = 0;
	switch (k) {
	case IDK_MAC:
		if (ps_parse_mac(s, n, b, why))
			return -1;
		v->lo = be(b, 6);
		return 0;
	case IDK_WWN:
		if (ps_parse_wwn(s, n, b, why))
			return -1;
		v->lo = be(b, 8);
		return 0;
	case IDK_UUID:
		if (ps_parse_uuid(s, n, b, why))
			return -1;
		v->hi = be(b, 8);
		v->lo = be(b + 8, 8);
		return 0;
	case IDK_SERIAL:
		return parse_serial(s, v, prefix, width, why);
	default:
		*why = "unknown kind";
		return -1;
	}
}

void idp_fmt(const struct idrange *r, struct idv v, char *out, size_t n)
{
	uint8_t b[16];
	char t[40];

	switch (r->kind) {
	case IDK_MAC:
		put_be(v.lo, b, 6);
		ps_fmt_mac(b, t);
		break;
	case IDK_WWN:
		put_be(v.lo, b, 8);
		ps_fmt_wwn(b, t);
		break;
	case IDK_UUID:
		put_be(v.hi, b, 8);
		put_be(v.lo, b + 8, 8);
		ps_fmt_uuid(b, t);
		break;
	default:
		snprintf(out, n, "%s%0*llu", r->prefix, r->width,
			 (unsigned long long)v.lo);
		return;
	}
	snprintf(out, n, "%s", t);
}

int idp_cmp(struct idv a, struct idv b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static uint64_t kind_max(const struct idrange *r)
{
	uint64_t m = 1;
	int i;

	if (r->kind == IDK_MAC)
		return (1ull << 48) - 1;
	if (r->kind != IDK_SERIAL)
		return UINT64_MAX;
	for (i = 0; i < r->width; i++)
		m *= 10;
	return m - 1;
}

int idp_range_make(struct idrange *r, const char *name, const char *kind,
		   const char *first, const char *last, char *why, size_t wn)
{
	int k = idp_kind_parse(kind), w2 = 0;
	char p2[IDP_PREFIX_MAX];
	const char *y = NULL;

	memset(r, 0, sizeof *r);
	if (ps_check_name(name, strlen(name), &y) ||
	    strlen(name) >= IDP_NAME_MAX) {
		snprintf(why, wn, "range name '%s': %s", name,
			 y ? y : "too long");
		return -1;
	}
	snprintf(r->name, sizeof r->name, "%s", name);
	if (k < 0) {
		snprintf(why, wn, "kind '%s': not mac, wwn, uuid or serial",
			 kind);
		return -1;
	}
	r->kind = (enum idk)k;
	if (idp_parse(r->kind, first, &r->first, r->prefix, &r->width, &y)) {
		snprintf(why, wn, "first '%s': %s", first, y);
		return -1;
	}
	if (idp_parse(r->kind, last, &r->last, p2, &w2, &y)) {
		snprintf(why, wn, "last '%s': %s", last, y);
		return -1;
	}
	if (r->kind == IDK_SERIAL &&
	    (strcmp(r->prefix, p2) || r->width != w2)) {
		snprintf(why, wn, "first '%s' and last '%s': one prefix and "
			 "one number of digits", first, last);
		return -1;
	}
	if (r->kind == IDK_UUID && r->first.hi != r->last.hi) {
		snprintf(why, wn, "first '%s' and last '%s': a UUID range "
			 "varies in its last 16 hex digits only", first, last);
		return -1;
	}
	if (idp_cmp(r->first, r->last) > 0) {
		snprintf(why, wn, "first '%s' is after last '%s'", first,
			 last);
		return -1;
	}
	return 0;
}

/* b's interval in a's numbering ([lo, hi]), when b's serials can be
 * a's at all (same length, b's prefix = a's prefix then digits). */
static int serial_in(const struct idrange *a, const struct idrange *b,
		     uint64_t *lo, uint64_t *hi)
{
	size_t pa = strlen(a->prefix), pb = strlen(b->prefix), i;
	uint64_t d = 0, m = 1;
	int j;

	if (pa + (size_t)a->width != pb + (size_t)b->width || pb < pa ||
	    strncmp(a->prefix, b->prefix, pa))
		return 0;
	for (i = pa; i < pb; i++) {
		if (b->prefix[i] < '0' || b->prefix[i] > '9')
			return 0;
		d = d * 10 + (uint64_t)(b->prefix[i] - '0');
	}
	for (j = 0; j < b->width; j++)
		m *= 10;
	*lo = d * m + b->first.lo;
	*hi = d * m + b->last.lo;
	return 1;
}

int idp_overlap(const struct idrange *a, const struct idrange *b)
{
	uint64_t lo, hi;

	if (a->kind != b->kind)
		return 0;
	if (a->kind != IDK_SERIAL)
		return idp_cmp(a->first, b->last) <= 0 &&
		       idp_cmp(b->first, a->last) <= 0;
	if (serial_in(a, b, &lo, &hi))
		return a->first.lo <= hi && lo <= a->last.lo;
	if (serial_in(b, a, &lo, &hi))
		return b->first.lo <= hi && lo <= b->last.lo;
	return 0;
}

int idp_contains(const struct idrange *r, const char *kind,
		 const char *text, struct idv *v)
{
	size_t pl = strlen(r->prefix), i;
	const char *why;

	if (idp_kind_parse(kind) != (int)r->kind)
		return 0;
	if (r->kind != IDK_SERIAL) {
		if (idp_parse(r->kind, text, v, NULL, NULL, &why))
			return 0;
	} else {
		/* In the range's own numbering: its prefix, then exactly
		 * its digits (SN100001 is in SN1 + 5 digits). */
		if (strlen(text) != pl + (size_t)r->width ||
		    strncmp(text, r->prefix, pl))
			return 0;
		v->hi = v->lo = 0;
		for (i = pl; text[i]; i++) {
			if (text[i] < '0' || text[i] > '9')
				return 0;
			v->lo = v->lo * 10 + (uint64_t)(text[i] - '0');
		}
	}
	return idp_cmp(r->first, *v) <= 0 && idp_cmp(*v, r->last) <= 0;
}

uint64_t idp_size(const struct idrange *r)
{
	uint64_t d = r->last.lo - r->first.lo;

	return d == UINT64_MAX ? d : d + 1;
}

int idp_next(const struct idrange *r, struct idv *v)
{
	if (idp_cmp(*v, r->last) >= 0 || v->lo >= kind_max(r))
		return 0;
	v->lo++;
	return 1;
}

/* ---- records */

static int words(const char *text, size_t n, char w[][IDP_TEXT_MAX],
		 int max)
{
	int k = 0;
	size_t i = 0, j;

	while (i < n) {
		while (i < n && text[i] == ' ')
			i++;
		if (i == n)
			break;
		if (k == max)
			return -1;
		for (j = 0; i < n && text[i] != ' '; i++) {
			if (j + 1 >= IDP_TEXT_MAX)
				return -1;
			w[k][j++] = text[i];
		}
		w[k++][j] = 0;
	}
	return k;
}

int idp_range_rec(const char *text, size_t n, struct idrange *r)
{
	char w[4][IDP_TEXT_MAX], why[200];

	if (words(text, n, w, 4) != 4)
		return -1;
	return idp_range_make(r, w[0], w[1], w[2], w[3], why, sizeof why);
}

void idp_range_text(const struct idrange *r, char *out, size_t n)
{
	char a[IDP_TEXT_MAX], b[IDP_TEXT_MAX];

	idp_fmt(r, r->first, a, sizeof a);
	idp_fmt(r, r->last, b, sizeof b);
	snprintf(out, n, "%s %s %s %s", r->name, idp_kind_name(r->kind), a,
		 b);
}

int idp_resv_rec(const char *text, size_t n, char *kind, char *id,
		 char *holder)
{
	char w[3][IDP_TEXT_MAX];

	if (words(text, n, w, 3) != 3 || idp_kind_parse(w[0]) < 0)
		return -1;
	strcpy(kind, w[0]);
	strcpy(id, w[1]);
	strcpy(holder, w[2]);
	return 0;
}

int idp_rec_key(uint32_t sig, const char *text, size_t n, char *out,
		size_t on)
{
	char w[3][IDP_TEXT_MAX];
	int k = words(text, n, w, 3);

	if (sig == PSF_POOL_RESV && k == 3)
		return snprintf(out, on, "resv/%s/%s", w[0], w[1]) < (int)on
			       ? 0 : -1;
	/* A range's and a spare pool's name is their first word; a spare
	 * pool has any number of members. */
	k = words(text, strcspn(text, " ") < n ? strcspn(text, " ") : n, w,
		  1);
	if (k != 1)
		return -1;
	if (sig == PSF_POOL_RANGE)
		return snprintf(out, on, "range/%s", w[0]) < (int)on ? 0 : -1;
	if (sig == PSF_POOL_SPARES)
		return snprintf(out, on, "spares/%s", w[0]) < (int)on ? 0 : -1;
	return -1;
}

uint32_t idp_key_sig(const char *key)
{
	if (!strncmp(key, "range/", 6))
		return PSF_POOL_RANGE;
	if (!strncmp(key, "resv/", 5))
		return PSF_POOL_RESV;
	if (!strncmp(key, "spares/", 7))
		return PSF_POOL_SPARES;
	return 0;
}
