/*
 * ps_check_rules.c - the value and placement rules of the whole-store
 * check (ps__check_rules, one call from ps_cfg_check).  Freestanding.
 *
 * Nothing here states a rule of its own.  Values: every field of every
 * object through ps__field_check, i.e. the ps__value_ok the edits apply
 * (range, enum words, MAC, UUID, list items, text).  Placement: the
 * edit layer's kind table (ps__kinds, pstate/ps_fields.c) says where
 * each core element goes -- a kind's set under the root (or under a VM
 * for a NIC, controller or serial port), its objects in the set, its
 * record and its fields' elements in an object, the fields of a
 * container field (the restart policy) in that container.  A core
 * element the table places somewhere, found anywhere else, is reported;
 * core elements the table does not describe (STORE_INFO, MOVE_SOURCE)
 * and other namespaces' elements are left alone (format.md rule 1).
 *
 * The walk goes down correctly placed core containers only, so its depth
 * is the schema's (root, set, VM, set, NIC): no recursion, a fixed stack.
 */
#include "ps_cfg_internal.h"

#define RULE_LINE 256u
#define WALK_DEPTH 6

/* What a container is, by the kind table. */
enum role { R_ROOT, R_SET, R_OBJ, R_IN, R_NONE };

struct frame {
	int el, child, vm;
	enum role role;
	enum ps_obj k;
	uint32_t in;           /* R_IN: the container field's signature */
};

struct rules {
	const void *buf;
	ps_cfg_report_fn fn;
	void *ctx;
	int n;
};

static void report(struct rules *r, struct sb *s)
{
	r->n++;
	if (r->fn)
		r->fn(r->ctx, s->p);
}

/* The field of kind k whose element is sig inside container in (0: the
 * object itself), or NULL. */
static const struct ps_field *field_at(enum ps_obj k, uint32_t sig,
				       uint32_t in)
{
	const struct ps_field *f;

	for (f = ps__kinds[k].fields; f->name; f++)
		if (f->sig == sig && f->in == in)
			return f;
	return NULL;
}

/* Where sig may go, from inside the frame p: 1 with the child's frame in
 * c (role R_NONE for an element not walked further), or 0. */
static int placed(const struct frame *p, uint32_t sig, struct frame *c)
{
	const struct ps_field *f;
	enum ps_obj j;

	c->role = R_NONE;
	c->vm = p->vm;
	c->in = 0;
	for (j = 0; j < PS_OBJ_COUNT; j++) {
		c->k = j;
		if (sig != ps__kinds[j].set)
			continue;
		if (p->role == R_ROOT ? !ps__kinds[j].sub
				      : p->role == R_OBJ && p->k == PS_OBJ_VM &&
					ps__kinds[j].sub)
			return c->role = R_SET, 1;
	}
	c->k = p->k;
	switch (p->role) {
	case R_SET:
		if (sig != ps__kinds[p->k].sig)
			return 0;
		c->role = R_OBJ;
		if (p->k == PS_OBJ_VM)
			c->vm = -2;     /* set by the caller: the VM itself */
		return 1;
	case R_OBJ:
		if (sig == ps__kinds[p->k].rec)
			return 1;
		f = field_at(p->k, sig, 0);
		if (f && f->type == PS_FT_PRESENCE) {
			c->role = R_IN;
			c->in = sig;
		}
		return f != NULL;
	case R_IN:
		return field_at(p->k, sig, p->in) != NULL;
	default:
		return 0;
	}
}

/* The kind table places sig somewhere. */
static int known(uint32_t sig)
{
	const struct ps_field *f;
	enum ps_obj j;

	for (j = 0; j < PS_OBJ_COUNT; j++) {
		const struct kind *kd = &ps__kinds[j];

		if (sig == kd->set || sig == kd->sig || sig == kd->rec)
			return 1;
		for (f = kd->fields; f->name; f++)
			if (f->sig == sig)
				return 1;
	}
	return 0;
}

/* An element as the messages name it: an object by its key, a set by
 * its kind, a record, a field by the edit's keyword. */
static void sb_elem(struct sb *s, const void *buf, int el, uint32_t sig)
{
	const struct ps_field *f;
	enum ps_obj j;

	for (j = 0; j < PS_OBJ_COUNT; j++) {
		const struct kind *kd = &ps__kinds[j];

		if (sig == kd->sig) {
			ps__sb_who(s, buf, el, j, -1);
			return;
		}
		if (sig == kd->set || sig == kd->rec) {
			ps__sb_str(s, kd->name);
			ps__sb_str(s, sig == kd->set ? " set" : " record");
			return;
		}
		for (f = kd->fields; f->name; f++)
			if (f->sig == sig) {
				ps__sb_str(s, f->name);
				return;
			}
	}
}

/* "WHERE: " for a child of the frame p: the root, an object (with its
 * VM), a set, or a VM's container field. */
static void begin(struct sb *s, char *m, const void *buf,
		  const struct frame *p)
{
	ps__sb_init(s, m, RULE_LINE);
	if (p->role == R_ROOT) {
		ps__sb_str(s, "root");
	} else if (p->role == R_OBJ) {
		ps__sb_who(s, buf, p->el, p->k, p->vm == p->el ? -1 : p->vm);
	} else if (p->role == R_IN) {
		ps__sb_who(s, buf, p->vm, PS_OBJ_VM, -1);
		ps__sb_put(s, " ", 1);
		sb_elem(s, buf, p->el, p->in);
	} else {
		if (p->vm >= 0) {
			ps__sb_who(s, buf, p->vm, PS_OBJ_VM, -1);
			ps__sb_put(s, " ", 1);
		}
		sb_elem(s, buf, p->el, psf_sig(buf, p->el));
	}
	ps__sb_put(s, ": ", 2);
}

static void misplaced(struct rules *r, const struct frame *p, int el,
		      uint32_t sig)
{
	char m[RULE_LINE];
	struct sb s;

	begin(&s, m, r->buf, p);
	sb_elem(&s, r->buf, el, sig);
	ps__sb_str(&s, ": not allowed here");
	report(r, &s);
}

/* Every field value of the object in frame o. */
static void values(struct rules *r, const struct frame *o)
{
	const struct ps_field *f;
	const char *why = "";
	char m[RULE_LINE], v[80], w[48];
	struct sb s, val;

	for (f = ps__kinds[o->k].fields; f->name; f++) {
		ps__sb_init(&val, v, sizeof(v));
		if (!ps__field_check(r->buf, o->el, o->k, f, &val, &why))
			continue;
		ps__sb_init(&s, m, RULE_LINE);
		ps__sb_who(&s, r->buf, o->el, o->k, o->vm == o->el ? -1 : o->vm);
		ps__sb_str(&s, ": ");
		ps__sb_str(&s, f->name);
		ps__sb_str(&s, " '");
		ps__sb_str(&s, v);
		ps__sb_str(&s, "': ");
		ps_field_why(f, why, w, sizeof(w));
		ps__sb_str(&s, w);
		report(r, &s);
	}
}

int ps__check_rules(const void *buf, ps_cfg_report_fn fn, void *ctx)
{
	struct rules r = { buf, fn, ctx, 0 };
	struct frame st[WALK_DEPTH], c;
	int d = 0, el;
	uint32_t sig;

	st[0].el = psf_root(buf);
	st[0].child = psf_first_child(buf, st[0].el);
	st[0].vm = -1;
	st[0].role = R_ROOT;
	st[0].k = PS_OBJ_VM;
	st[0].in = 0;
	while (d >= 0) {
		el = st[d].child;
		if (el < 0) {
			d--;
			continue;
		}
		st[d].child = psf_next_child(buf, st[d].el, el);
		sig = psf_sig(buf, el);
		if (PSF_SIG_NS(sig) != PSF_NS_CORE)
			continue;
		if (!placed(&st[d], sig, &c)) {
			if (known(sig))
				misplaced(&r, &st[d], el, sig);
			continue;
		}
		if (c.role == R_NONE || d + 1 >= WALK_DEPTH)
			continue;
		c.el = el;
		if (c.vm == -2)
			c.vm = el;
		c.child = psf_first_child(buf, el);
		if (c.role == R_OBJ)
			values(&r, &c);
		st[++d] = c;
	}
	return r.n;
}
