/*
 * hv_plan.c - the plan of a reconcile pass: per UUID, identities moved by
 * a profile first (sync_find_moves), then a three-way merge, field by
 * field, of the store side, the libvirt side and the synced record
 * (plan_fields): what to push to libvirt, what to pull into the store.
 */
#include <stdlib.h>
#include <string.h>

#include "hv_sync.h"

/* Every key of the four maps, once, in order (keys of a (value "")). */
static int key_union(struct hv_kv *u, const struct hv_kv *const m[4])
{
	size_t i, j;

	for (j = 0; j < 4; j++)
		for (i = 0; m[j] && i < m[j]->n; i++)
			if (hv_kv_set(u, m[j]->p[i].k, ""))
				return -1;
	return 0;
}

static void plan_fields(struct pass *ps, struct pair *p)
{
	static const struct hv_kv empty;
	const struct hv_kv *bs = p->base ? &p->base->bs : &empty;
	const struct hv_kv *bl = p->base ? &p->base->bl : &empty;
	const struct hv_kv *const maps[4] = { &p->S, &p->L, bs, bl };
	struct hv_kv u;
	size_t i;

	hv_kv_init(&u);
	if (key_union(&u, maps)) {
		p->failed = 1;
		return;
	}
	for (i = 0; i < u.n; i++) {
		const char *k = u.p[i].k;
		const char *s = hv_kv_get(&p->S, k), *l = hv_kv_get(&p->L, k);
		int ds = !same(s, hv_kv_get(bs, k));
		int dl = !same(l, hv_kv_get(bl, k));

		if ((!ds && !dl) || !strcmp(k, HV_KEY_PROFILE))
			continue;
		if (!ds && hv_key_store_owned(k)) {
			hv_log(HV_WARN, "vm '%s': %s changed in libvirt ('%s'); "
			       "the store owns it: set back to '%s'", p->name,
			       k, nz(l), nz(s));
			hv_kv_set(&p->pushes, k, "");
		} else if (!ds) {
			hv_log(HV_INFO, "vm '%s': %s changed in libvirt: '%s' "
			       "-> store", p->name, k, nz(l));
			hv_kv_set(&p->pulls, k, "");
		} else if (!dl || !same(s, l)) {
			if (dl && p->base) {
				hv_log(HV_WARN, "vm '%s': conflict on %s: store "
				       "'%s', libvirt '%s'; the store wins",
				       p->name, k, nz(s), nz(l));
				ps->st->conflicts++;
			} else {
				hv_log(p->base ? HV_INFO : HV_DEBUG,
				       "vm '%s': %s '%s' -> libvirt", p->name,
				       k, nz(s));
			}
			hv_kv_set(&p->pushes, k, "");
		}
	}
	hv_kv_free(&u);
	ps->st->pushed += (unsigned)p->pushes.n;
	ps->st->pulled += (unsigned)p->pulls.n;
	p->store_edit = p->pulls.n > 0;
}

/* A name used on the other side by a pair that has no record: the same
 * VM under a new UUID. */
static struct pair *renamed_identity(struct pass *ps, const char *name,
				     int want_store)
{
	const struct hv_index_ent *e = name ? hv_index_find(&ps->by_name, name,
							    strlen(name))
					    : NULL;

	for (; e; e = hv_index_next(&ps->by_name, e)) {
		struct pair *q = &ps->p[e->val];

		if (q->base)
			continue;
		if (want_store ? (q->in_store && !q->dom)
			       : (q->dom && !q->in_store))
			return q;
	}
	return NULL;
}

static void refuse(struct pass *ps, struct pair *a, struct pair *b,
		   const char *side)
{
	hv_log(HV_ERR, "vm '%s': UUID changed in %s from %s to %s; refused "
	       "(identity fields never change silently): set it back, or "
	       "delete the VM and create it anew", a->name, side, a->uuids,
	       b->uuids);
	a->act = ACT_REFUSE;
	b->act = ACT_REFUSE;
	ps->st->refused++;
}

/* ------------------------------------------------------------ identity moves */

/*
 * A profile assignment changes a VM's UUID in the store in the same edit
 * that changes its PROFILE_REF (assign: none -> P, unassign: P -> none,
 * move: P -> Q).  Seen from the pass: a recorded pair with a domain whose
 * recorded name is now held, in the store, by a VM with another UUID and
 * another profile than recorded.  That VM takes the record and the old
 * domain (which is replaced under the new UUID); any other UUID change is
 * refused (sync_plan_pair).
 */
static struct pair *move_target(struct pass *ps, struct pair *src)
{
	const struct hv_index_ent *e;
	const char *name;

	if (!src->base || !src->dom || src->act == ACT_REFUSE)
		return NULL;
	name = hv_kv_get(&src->base->bs, "name");
	if (!name || (src->in_store && same(src->name, name)))
		return NULL;
	e = hv_index_find(&ps->by_name, name, strlen(name));
	for (; e; e = hv_index_next(&ps->by_name, e)) {
		struct pair *q = &ps->p[e->val];

		if (q != src && q->in_store)
			return same(hv_kv_get(&q->S, HV_KEY_PROFILE),
				    hv_kv_get(&src->base->bs, HV_KEY_PROFILE))
				       ? NULL
				       : q;
	}
	return NULL;
}

/* A target whose own domain or record is not handed on to a move of its
 * own would hold two domains: refused.  Repeated until no refusal
 * undoes a move another one relied on. */
static void check_moves(struct pass *ps)
{
	int again = 1;
	size_t i;

	while (again) {
		again = 0;
		for (i = 0; i < ps->n; i++) {
			struct pair *p = &ps->p[i], *q = p->move_to;

			if (!q || ((!q->dom && !q->base) || q->move_to))
				continue;
			hv_log(HV_ERR, "vm '%s': identity moved by profile from "
			       "%s to %s, but domain %s is defined already; "
			       "refused: undefine one of them", q->name,
			       p->uuids, q->uuids, q->uuids);
			p->move_to = NULL;
			p->act = q->act = ACT_REFUSE;
			ps->st->refused++;
			again = 1;
		}
	}
}

/* What a move hands from the source pair to the target. */
struct handover {
	struct pair *to;
	virDomainPtr dom;
	xmlDocPtr doc;
	struct hv_kv L;
	int autostart, active, marked;
	struct hv_base *base;
	uint8_t uuid[16];
};

static void take(struct handover *h, struct pair *src)
{
	h->to = src->move_to;
	h->dom = src->dom;
	h->doc = src->doc;
	h->L = src->L;
	h->autostart = src->autostart;
	h->active = src->active;
	h->marked = src->marked;
	h->base = src->base;
	memcpy(h->uuid, src->uuid, 16);
	src->dom = NULL;
	src->doc = NULL;
	hv_kv_init(&src->L);
	src->autostart = src->active = src->marked = 0;
	src->base = NULL;
}

static void give(struct handover *h)
{
	struct pair *p = h->to;

	p->dom = h->dom;
	p->doc = h->doc;
	p->L = h->L;
	p->autostart = h->autostart;
	p->active = h->active;
	p->marked = h->marked;
	p->base = h->base;
	p->moved = 1;
	memcpy(p->old_uuid, h->uuid, 16);
	ps_fmt_uuid(h->uuid, p->old_uuids);
}

/* Every source's domain and record are taken before any is given: a
 * pair may be the source of one move and the target of another (a
 * profile moved from one VM to another in the same pass). */
int sync_find_moves(struct pass *ps)
{
	struct handover *h;
	size_t i, n = 0;

	for (i = 0; i < ps->n; i++)
		ps->p[i].move_to = move_target(ps, &ps->p[i]);
	check_moves(ps);
	h = calloc(ps->n + 1, sizeof *h);
	if (!h)
		return PS_ERR_NOMEM;
	for (i = 0; i < ps->n; i++)
		if (ps->p[i].move_to)
			take(&h[n++], &ps->p[i]);
	for (i = 0; i < n; i++)
		give(&h[i]);
	free(h);
	return 0;
}

static void plan_move(struct pass *ps, struct pair *p)
{
	const char *was = hv_kv_get(&p->base->bs, HV_KEY_PROFILE);
	const char *now = hv_kv_get(&p->S, HV_KEY_PROFILE);

	hv_log(HV_INFO, "vm '%s': identity moved by profile ('%s' -> '%s'): "
	       "UUID %s -> %s", p->name, was ? was : "none",
	       now ? now : "none", p->old_uuids, p->uuids);
	plan_fields(ps, p);
	p->act = ACT_MOVE;
	ps->st->moves++;
}

/* A synced domain undefined in libvirt, the store VM unchanged since.
 * follow: delete the VM from the store.  keep: the store VM stays, its
 * record marked (agent-dom-record flag libvirt-undefined, logged once)
 * and the domain not defined again: `psctl vm delete` confirms, a store
 * edit of the VM (the store wins) or the domain defined again with its
 * UUID clears the mark. */
static void plan_lv_deleted(struct pass *ps, struct pair *p)
{
	if (ps->s->lv_delete == HV_LV_DELETE_FOLLOW) {
		p->act = ACT_STORE_DEL;
		return;
	}
	p->act = ACT_KEEP;
	if (p->base->flags & PSF_AGDF_LV_UNDEFINED)
		return;
	p->base->flags |= PSF_AGDF_LV_UNDEFINED;
	p->base->flags &= (uint8_t)~PSF_AGDF_RUNNING;
	hv_log(HV_WARN, "vm '%s': domain %s undefined in libvirt; kept in the "
	       "store (libvirt_delete = keep) and not defined again: confirm "
	       "with 'psctl vm delete %s', or edit the VM to define it again",
	       p->name, p->uuids, p->name);
}

void sync_plan_pair(struct pass *ps, struct pair *p)
{
	struct pair *q;

	if (p->act == ACT_REFUSE)
		return;
	if (p->moved) {
		plan_move(ps, p);
		return;
	}
	if (p->in_store && p->dom) {
		plan_fields(ps, p);
	} else if (p->in_store) {
		if (p->base && (q = renamed_identity(ps, hv_kv_get(&p->base->bl,
								   "name"), 0)))
			refuse(ps, p, q, "libvirt");
		else if (p->base && hv_kv_equal(&p->S, &p->base->bs))
			plan_lv_deleted(ps, p);
		else if ((q = renamed_identity(ps, p->name, 0)) && !q->base)
			refuse(ps, p, q, "the store or libvirt (same name, "
			       "another UUID)");
		else {
			if (p->base)
				hv_log(HV_WARN, "vm '%s': %s in libvirt but "
				       "edited in the store since; the store "
				       "wins: defined again", p->name,
				       p->base->flags & PSF_AGDF_LV_UNDEFINED
					       ? "undefined (kept, marked)"
					       : "deleted");
			p->act = ACT_DEFINE_NEW;
		}
	} else if (p->dom) {
		if (p->base && (q = renamed_identity(ps, hv_kv_get(&p->base->bs,
								   "name"), 1)))
			refuse(ps, p, q, "the store");
		else if (p->base) {
			if (!hv_kv_equal(&p->L, &p->base->bl)) {
				hv_log(HV_WARN, "vm '%s': deleted in the store "
				       "but edited in libvirt; the store "
				       "wins", p->name);
				ps->st->conflicts++;
			}
			p->act = ACT_UNDEFINE;
		} else if (ps->s->adopt == HV_ADOPT_ALL ||
			   (ps->s->adopt == HV_ADOPT_MARKED && p->marked)) {
			p->act = ACT_STORE_NEW;
			p->store_edit = 1;
		} else {
			p->act = ACT_SKIP;
		}
	} else {
		p->act = ACT_FORGET;
	}
}
