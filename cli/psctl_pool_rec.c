/*
 * psctl_pool_rec.c - the address and spare pools' records in a pool's
 * store (POOL_STATE, psf_schema.h): finding, reading, appending, and the
 * Reserved and Assigned identifiers of a range (psctl_pool_addr.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl_pool_addr.h"

int pa_state(const void *buf)
{
	return ps_pool_state(buf);
}

/* The record text of el (NUL-terminated copy). */
void pa_rec_text(const void *buf, int el, char *out, size_t n)
{
	uint32_t len;
	const char *p = psf_payload(buf, el, &len);

	if (!p || len >= n)
		len = 0;
	memcpy(out, p ? p : "", len);
	out[len] = 0;
}

int pa_find_range(const void *buf, const char *name,
		  struct ps_pool_range *r)
{
	int st = pa_state(buf), el;
	char why[PS_POOL_WHY_MAX];
	const char *t;
	uint32_t n;

	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_RANGE);
	     el >= 0; el = psf_find_next(buf, st, el, PSF_POOL_RANGE)) {
		t = psf_payload(buf, el, &n);
		if (t && !ps_pool_range_rec(t, n, r, why, sizeof why) &&
		    !strcmp(r->name, name))
			return el;
	}
	return -1;
}

int pa_record_name(const void *buf, int ranges, int i, char *out,
		   size_t n)
{
	uint32_t sig = ranges ? PSF_POOL_RANGE : PSF_POOL_SPARES;
	int st = pa_state(buf), el;
	char t[PA_REC_MAX];

	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, sig); el >= 0;
	     el = psf_find_next(buf, st, el, sig))
		if (i-- == 0) {
			pa_rec_text(buf, el, t, sizeof t);
			snprintf(out, n, "%.*s", (int)strcspn(t, " "), t);
			return 1;
		}
	return 0;
}

/* One entry more (merged by value once all are in: pa_collect). */
static int add_held(struct inrange *s, struct ps_pool_id v, int el,
		    const char *holder, int assigned)
{
	if (s->n == s->cap) {
		void *p = realloc(s->h, (s->cap * 2 + 16) * sizeof *s->h);

		if (!p)
			return PS_ERR_NOMEM;
		s->h = p;
		s->cap = s->cap * 2 + 16;
	}
	s->h[s->n] = (struct held){ v, el, "", assigned };
	snprintf(s->h[s->n++].holder, sizeof s->h[0].holder, "%s", holder);
	return 0;
}

static int each_id(const char *field, const char *text, void *arg)
{
	struct inrange *s = arg;
	struct ps_pool_id v;

	if (!ps_pool_contains(s->r, ps_pool_kind_parse(field, strlen(field)),
			      text, strlen(text), &v))
		return 0;
	return add_held(s, v, -1, s->prof, 1);
}

int pa_assigned(struct inrange *s, const char *field, const char *text,
		const char *holder)
{
	s->prof = holder;
	return each_id(field, text, s);
}

static int same_value(const void *a, const void *b)
{
	return ps_pool_id_cmp(((const struct held *)a)->v,
			      ((const struct held *)b)->v);
}

/* By value; at one value the reservation first (it is merged into). */
static int by_value(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int d = ps_pool_id_cmp(x->v, y->v);

	return d ? d : x->assigned - y->assigned;
}

/* Entries of one value as one: Assigned wins (its holder), the
 * reservation's element kept.  Sorting then merging: a range's thousands
 * of identifiers cost n log n, not a scan per entry. */
static void merge(struct inrange *s)
{
	size_t i, o = 0;

	if (s->n)
		qsort(s->h, s->n, sizeof *s->h, by_value);
	for (i = 0; i < s->n; i++) {
		struct held *h = &s->h[i], *m = o ? &s->h[o - 1] : NULL;

		if (!m || ps_pool_id_cmp(m->v, h->v)) {
			s->h[o++] = *h;
			continue;
		}
		if (h->assigned && !m->assigned)
			memcpy(m->holder, h->holder, sizeof m->holder);
		m->assigned |= h->assigned;
		if (h->el >= 0)
			m->el = h->el;
	}
	s->n = o;
}

/* Every Reserved and Assigned identifier of r, by value.  Assigned wins
 * over Reserved: a profile holds it.  On the etcd pool read by key, the
 * identifier keys read stand for the profiles not read
 * (psctl_pool_held_ids). */
int pa_collect(const void *buf, const struct ps_pool_range *r,
	       struct inrange *s)
{
	int st = pa_state(buf), el, rc = 0;
	char why[PS_POOL_WHY_MAX], name[PS_CFG_NAME_MAX + 1];
	struct ps_pool_resv rv;
	struct ps_pool_id v;
	const char *t;
	uint32_t tn;

	memset(s, 0, sizeof *s);
	s->r = r;
	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_RESV);
	     !rc && el >= 0; el = psf_find_next(buf, st, el, PSF_POOL_RESV)) {
		t = psf_payload(buf, el, &tn);
		if (t && !ps_pool_resv_rec(t, tn, &rv, why, sizeof why) &&
		    ps_pool_contains(r, (int)rv.kind, rv.id, strlen(rv.id),
				     &v))
			rc = add_held(s, v, el, rv.holder, 0);
	}
	for (el = ps_obj_next(buf, psf_root(buf), PS_OBJ_PROFILE, -1);
	     !rc && el >= 0;
	     el = ps_obj_next(buf, psf_root(buf), PS_OBJ_PROFILE, el)) {
		uint32_t nl;
		const char *p = psf_child_payload(buf, el, PSF_NAME, &nl);

		snprintf(name, sizeof name, "%.*s", p ? (int)nl : 0,
			 p ? p : "");
		s->prof = name;
		rc = ps_profile_each_id(buf, el, each_id, s);
	}
	if (!rc)
		rc = psctl_pool_held_ids(buf, s);
	merge(s);
	return rc;
}

const struct held *pa_lookup(const struct inrange *s, struct ps_pool_id v)
{
	struct held key = { v, 0, "", 0 };

	return s->n ? bsearch(&key, s->h, s->n, sizeof *s->h, same_value)
		    : NULL;
}

void pa_counts(const struct inrange *s, uint64_t *res, uint64_t *asg)
{
	size_t i;

	*res = *asg = 0;
	for (i = 0; i < s->n; i++)
		(*(s->h[i].assigned ? asg : res))++;
}

/* ------------------------------------------------------------ writing */

static int state_of(void *buf, size_t cap)
{
	int st = ps_pool_state(buf);

	return st >= 0 ? st : psf_insert(buf, cap, psf_root(buf), -1,
					 PSF_POOL_STATE, NULL, 0);
}

int pa_put_rec(void *buf, size_t cap, uint32_t sig, const char *text)
{
	int st = state_of(buf, cap);

	if (st < 0)
		return st;
	st = psf_insert(buf, cap, st, -1, sig, text, (uint32_t)strlen(text));
	return st < 0 ? st : 0;
}
