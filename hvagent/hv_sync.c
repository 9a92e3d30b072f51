/*
 * hv_sync.c - one reconcile pass between the store and libvirt.
 *
 *   1. read: the store (fresh from media), the agent's last-synced record,
 *      every persistent libvirt domain (inactive XML, autostart, state);
 *   2. plan, per UUID: identities moved by a profile first (find_moves),
 *      then three-way, field by field (plan_fields);
 *   3. libvirt: the old domains of moved identities stopped and
 *      undefined, then renames, defines, undefines, autostart, boot
 *      starts -- with no store lock held;
 *   4. store: every write-back and the new synced record in one commit
 *      (ps_update takes the semaphore for the commit only).  A pass with
 *      nothing to do commits nothing: the edited copy is compared with
 *      the store and dropped when identical.  When another writer
 *      committed since step 1, the pass starts again from step 1.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "hv.h"

enum act {
	ACT_NONE,        /* in sync, or only fields to merge */
	ACT_DEFINE_NEW,  /* store only: define the domain */
	ACT_UNDEFINE,    /* deleted in the store */
	ACT_STORE_NEW,   /* adopted: create the VM in the store */
	ACT_STORE_DEL,   /* deleted in libvirt */
	ACT_FORGET,      /* gone on both sides */
	ACT_SKIP,        /* libvirt-only, not adopted: left alone */
	ACT_REFUSE,      /* identity change: nothing touched */
	ACT_MOVE,        /* identity moved by a profile: the old domain
			    undefined, the domain defined anew */
};

struct pair {
	uint8_t uuid[16];
	char uuids[37];
	char name[PS_CFG_NAME_MAX + 1];
	int in_store;
	virDomainPtr dom;
	xmlDocPtr doc;
	int autostart, active, marked;
	struct hv_base *base;
	struct hv_kv S, L;
	struct hv_kv pushes, pulls;   /* keys only */
	struct hv_kv bs_new, bl_new;
	enum act act;
	int failed;                   /* a libvirt step failed: keep base */
	int store_edit;               /* needs store edits */
	int record;                   /* keep a synced record */
	uint8_t flags;
	/* Identity moves: the source pair (the old UUID, its domain and
	 * record) hands them to the target (the store VM's new UUID). */
	struct pair *move_to;         /* source: the target */
	int moved;                    /* target: dom, L, base are the old
					 UUID's */
	int old_gone;                 /* target: the old domain undefined */
	uint8_t old_uuid[16];
	char old_uuids[37];
};

struct pass {
	struct hv_sync *s;
	struct hv_stats *st;
	struct pair *p;
	size_t n;
	struct hv_bases bases;
	int use_bases;
	const void *snap;             /* the store as read */
	uint32_t snap_len;
};

static const char *nz(const char *v)
{
	return v ? v : "(absent)";
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static struct pair *pair_for(struct pass *ps, const uint8_t uuid[16])
{
	size_t i;
	struct pair *np;

	for (i = 0; i < ps->n; i++)
		if (!memcmp(ps->p[i].uuid, uuid, 16))
			return &ps->p[i];
	np = realloc(ps->p, (ps->n + 1) * sizeof *np);
	if (!np)
		return NULL;
	ps->p = np;
	np = &ps->p[ps->n++];
	memset(np, 0, sizeof *np);
	memcpy(np->uuid, uuid, 16);
	ps_fmt_uuid(uuid, np->uuids);
	return np;
}

static void pair_free(struct pair *p)
{
	hv_kv_free(&p->S);
	hv_kv_free(&p->L);
	hv_kv_free(&p->pushes);
	hv_kv_free(&p->pulls);
	hv_kv_free(&p->bs_new);
	hv_kv_free(&p->bl_new);
	if (p->doc)
		xmlFreeDoc(p->doc);
	if (p->dom)
		virDomainFree(p->dom);
}

/* ------------------------------------------------------------ reading */

static int read_store(struct pass *ps)
{
	const void *buf = ps->snap;
	int vm = -1;

	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0) {
		uint8_t uuid[16];
		struct pair *p;
		char name[PS_CFG_NAME_MAX + 1];

		ps_obj_key(buf, vm, PS_OBJ_VM, name, sizeof name);
		if (hv_store_vm_uuid(buf, vm, uuid)) {
			hv_log(HV_WARN, "vm '%s': no UUID in the store; not "
			       "synced (set one with psctl vm set)", name);
			continue;
		}
		p = pair_for(ps, uuid);
		if (!p)
			return PS_ERR_NOMEM;
		if (p->in_store) {
			hv_log(HV_WARN, "vm '%s': UUID %s already used by vm "
			       "'%s'; not synced", name, p->uuids, p->name);
			continue;
		}
		p->in_store = 1;
		snprintf(p->name, sizeof p->name, "%s", name);
		if (hv_store_flatten(buf, vm, &ps->s->map, &p->S))
			return PS_ERR_NOMEM;
	}
	return 0;
}

static int has_adopt_marker(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), md, n;

	for (md = root ? root->children : NULL; md; md = md->next)
		if (md->type == XML_ELEMENT_NODE &&
		    !xmlStrcmp(md->name, (const xmlChar *)"metadata"))
			break;
	for (n = md ? md->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns &&
		    !xmlStrcmp(n->ns->href, (const xmlChar *)HV_META_NS) &&
		    !xmlStrcmp(n->name, (const xmlChar *)HV_META_ADOPT))
			return 1;
	return 0;
}

/* The domain's inactive XML, parsed. */
static xmlDocPtr dom_doc(virDomainPtr dom)
{
	char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	xmlDocPtr doc;

	if (!xml)
		return NULL;
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	free(xml);
	return doc;
}

static int read_libvirt(struct pass *ps)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(ps->s->conn, &doms,
					 VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
	int i, rc = 0;

	if (n < 0) {
		hv_log(HV_ERR, "libvirt %s: listing domains: %s", ps->s->uri,
		       virGetLastErrorMessage());
		return PS_ERR_IO;
	}
	for (i = 0; i < n; i++) {
		uint8_t uuid[16];
		struct pair *p;

		if (rc || virDomainGetUUID(doms[i], uuid) ||
		    !(p = pair_for(ps, uuid))) {
			virDomainFree(doms[i]);
			rc = rc ? rc : PS_ERR_IO;
			continue;
		}
		p->dom = doms[i];
		p->doc = dom_doc(p->dom);
		if (!p->doc) {
			hv_log(HV_ERR, "domain %s: cannot read its XML: %s",
			       p->uuids, virGetLastErrorMessage());
			rc = PS_ERR_IO;
			continue;
		}
		if (virDomainGetAutostart(p->dom, &p->autostart) < 0)
			p->autostart = 0;
		p->active = virDomainIsActive(p->dom) == 1;
		p->marked = has_adopt_marker(p->doc);
		if (hv_dom_flatten(p->doc, ps->snap, &ps->s->map, &p->L,
				   p->autostart))
			rc = PS_ERR_NOMEM;
		if (!p->in_store)
			snprintf(p->name, sizeof p->name, "%s",
				 nz(hv_kv_get(&p->L, "name")));
	}
	free(doms);
	return rc;
}

/* ------------------------------------------------------------ planning */

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
	size_t i;

	for (i = 0; name && i < ps->n; i++) {
		struct pair *q = &ps->p[i];

		if (q->base || !same(q->name, name))
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
 * refused (plan_pair).
 */
static struct pair *move_target(struct pass *ps, struct pair *src)
{
	const char *name;
	size_t i;

	if (!src->base || !src->dom || src->act == ACT_REFUSE)
		return NULL;
	name = hv_kv_get(&src->base->bs, "name");
	if (!name || (src->in_store && same(src->name, name)))
		return NULL;
	for (i = 0; i < ps->n; i++) {
		struct pair *q = &ps->p[i];

		if (q != src && q->in_store && same(q->name, name))
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
static int find_moves(struct pass *ps)
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

static void plan_pair(struct pass *ps, struct pair *p)
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
			p->act = ACT_STORE_DEL;
		else if ((q = renamed_identity(ps, p->name, 0)) && !q->base)
			refuse(ps, p, q, "the store or libvirt (same name, "
			       "another UUID)");
		else {
			if (p->base)
				hv_log(HV_WARN, "vm '%s': deleted in libvirt "
				       "but edited in the store; the store "
				       "wins: defined again", p->name);
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

/* ------------------------------------------------------------ libvirt */

static int define_doc(struct pass *ps, struct pair *p, xmlDocPtr doc)
{
	xmlChar *xml = NULL;
	int len = 0;
	virDomainPtr dom;

	xmlDocDumpMemory(doc, &xml, &len);
	if (!xml)
		return -1;
	dom = virDomainDefineXML(ps->s->conn, (const char *)xml);
	xmlFree(xml);
	ps->st->defines++;
	if (!dom) {
		hv_log(HV_ERR, "vm '%s': libvirt refused the definition: %s",
		       p->name, virGetLastErrorMessage());
		return -1;
	}
	if (p->dom)
		virDomainFree(p->dom);
	p->dom = dom;
	return 0;
}

static int set_autostart(struct pass *ps, struct pair *p, const char *power)
{
	int want = same(power, "on");

	if (want == p->autostart)
		return 0;
	ps->st->autostarts++;
	if (virDomainSetAutostart(p->dom, want) < 0) {
		hv_log(HV_ERR, "vm '%s': setting autostart: %s", p->name,
		       virGetLastErrorMessage());
		return -1;
	}
	p->autostart = want;
	return 0;
}

/* Read back what libvirt made of the definition: the libvirt side of
 * the new synced record. */
static int reread(struct pass *ps, struct pair *p)
{
	xmlDocPtr doc = dom_doc(p->dom);

	if (!doc) {
		hv_log(HV_ERR, "vm '%s': reading back the definition: %s",
		       p->name, virGetLastErrorMessage());
		return -1;
	}
	if (p->doc)
		xmlFreeDoc(p->doc);
	p->doc = doc;
	return hv_dom_flatten(doc, ps->snap, &ps->s->map, &p->bl_new,
			      p->autostart);
}

/* Push the pair's pushed keys (or everything, for a new domain). */
static int push_libvirt(struct pass *ps, struct pair *p)
{
	struct hv_kv m;
	size_t i;
	int xml_change = 0, rc = 0;
	const char *why;
	const char *newname = hv_kv_get(&p->S, "name");

	hv_kv_init(&m);
	/* A moved identity: the old domain's XML, defined anew under the
	 * new UUID (the old one is undefined, so there is nothing to
	 * rename). */
	xml_change = p->act == ACT_MOVE;
	if (p->act == ACT_DEFINE_NEW) {
		hv_kv_copy(&m, &p->S);
		xml_change = 1;
		p->doc = hv_dom_skeleton(&ps->s->map);
	} else {
		hv_kv_copy(&m, &p->L);
		for (i = 0; i < p->pushes.n; i++) {
			const char *k = p->pushes.p[i].k;

			hv_kv_set(&m, k, hv_kv_get(&p->S, k));
			xml_change |= strcmp(k, "power") != 0;
		}
	}
	if (!p->doc || ps->s->dry_run) {
		hv_kv_free(&m);
		return p->doc ? 0 : -1;
	}
	if (xml_change && p->dom && !same(newname, hv_kv_get(&p->L, "name"))) {
		ps->st->renames++;
		if (virDomainRename(p->dom, newname, 0) < 0) {
			hv_log(HV_ERR, "vm '%s': renaming domain '%s': %s",
			       p->name, nz(hv_kv_get(&p->L, "name")),
			       virGetLastErrorMessage());
			rc = -1;
		}
	}
	if (!rc && xml_change) {
		rc = hv_dom_apply(p->doc, &m, p->uuids, ps->snap, &ps->s->map,
				  &why);
		if (rc)
			hv_log(HV_ERR, "vm '%s': %s", p->name, why);
		else
			rc = define_doc(ps, p, p->doc);
	}
	if (!rc)
		rc = set_autostart(ps, p, hv_kv_get(&m, "power"));
	if (!rc)
		rc = reread(ps, p);
	hv_kv_free(&m);
	return rc;
}

static int undefine_dom(struct pass *ps, struct pair *p)
{
	unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
			 VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
			 VIR_DOMAIN_UNDEFINE_NVRAM;

	ps->st->undefines++;
	if (virDomainUndefineFlags(p->dom, flags) < 0 &&
	    virDomainUndefine(p->dom) < 0) {
		hv_log(HV_ERR, "vm '%s': undefine: %s", p->name,
		       virGetLastErrorMessage());
		return -1;
	}
	return 0;
}

static int undefine(struct pass *ps, struct pair *p)
{
	if (ps->s->dry_run)
		return 0;
	if (p->active)
		hv_log(HV_WARN, "vm '%s': deleted in the store while running; "
		       "the domain stays up until it stops", p->name);
	if (undefine_dom(ps, p))
		return -1;
	hv_log(HV_INFO, "vm '%s': deleted in the store: domain undefined",
	       p->name);
	return 0;
}

/*
 * The old domain of a moved identity goes before anything is defined, so
 * that no UUID or MAC is ever defined twice in libvirt, and it is
 * stopped first: the identity must not stay live on it while it appears
 * under another domain.  A failure leaves the pair as it was (its
 * record kept under the old UUID); the next pass tries again.
 */
static void release_old(struct pass *ps, struct pair *p)
{
	if (ps->s->dry_run)
		return;
	if (p->active) {
		hv_log(HV_WARN, "vm '%s': domain %s is running; destroyed: "
		       "identity moved by profile (now %s)", p->name,
		       p->old_uuids, p->uuids);
		ps->st->destroys++;
		if (virDomainDestroy(p->dom) < 0) {
			hv_log(HV_ERR, "vm '%s': destroying domain %s: %s",
			       p->name, p->old_uuids,
			       virGetLastErrorMessage());
			p->failed = 1;
			ps->st->errors++;
			return;
		}
		p->active = 0;
	}
	if (undefine_dom(ps, p)) {
		p->failed = 1;
		ps->st->errors++;
		return;
	}
	hv_log(HV_INFO, "vm '%s': domain %s undefined: identity moved by "
	       "profile", p->name, p->old_uuids);
	virDomainFree(p->dom);
	p->dom = NULL;
	p->autostart = 0;
	p->old_gone = 1;
}

/* --once: power "on" starts, "last" starts what ran when last seen. */
static void boot_power(struct pass *ps, struct pair *p)
{
	const char *power = hv_kv_get(&p->S, "power");
	int want = same(power, "on") ||
		   (same(power, "last") && p->base &&
		    (p->base->flags & PSF_AGDF_RUNNING));

	if (!want || p->active || !p->dom || ps->s->dry_run)
		return;
	ps->st->starts++;
	if (virDomainCreate(p->dom) < 0) {
		hv_log(HV_ERR, "vm '%s': start (power %s): %s", p->name, power,
		       virGetLastErrorMessage());
		ps->st->errors++;
		return;
	}
	p->active = 1;
	hv_log(HV_INFO, "vm '%s': started (power %s)", p->name, power);
}

static void run_libvirt(struct pass *ps, struct pair *p)
{
	int rc = 0;

	switch (p->act) {
	case ACT_DEFINE_NEW:
		rc = push_libvirt(ps, p);
		if (!rc)
			hv_log(HV_INFO, "vm '%s': domain %s defined from the "
			       "store", p->name, p->uuids);
		break;
	case ACT_NONE:
		if (p->pushes.n)
			rc = push_libvirt(ps, p);
		else
			rc = hv_kv_copy(&p->bl_new, &p->L);
		break;
	case ACT_UNDEFINE:
		rc = undefine(ps, p);
		break;
	case ACT_STORE_NEW:
		rc = hv_kv_copy(&p->bl_new, &p->L);
		break;
	case ACT_MOVE:
		if (p->failed)
			return;
		rc = push_libvirt(ps, p);
		if (!rc)
			hv_log(HV_INFO, "vm '%s': domain %s defined (was %s)",
			       p->name, p->uuids, p->old_uuids);
		break;
	default:
		break;
	}
	if (rc) {
		p->failed = 1;
		p->store_edit = 0;
		ps->st->errors++;
	}
	if (!rc && ps->s->boot && p->in_store &&
	    (p->act == ACT_NONE || p->act == ACT_DEFINE_NEW ||
	     p->act == ACT_MOVE))
		boot_power(ps, p);
}

/* ------------------------------------------------------------ store */

struct vmidx {
	uint8_t uuid[16];
	int off;
};

static int by_off_desc(const void *a, const void *b)
{
	const struct vmidx *x = a, *y = b;

	return x->off < y->off ? 1 : x->off > y->off ? -1 : 0;
}

static size_t index_vms(const void *buf, struct vmidx **out)
{
	size_t n = 0, cap = 0;
	int vm = -1;
	struct vmidx *v = NULL;

	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0) {
		if (n == cap) {
			struct vmidx *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		if (hv_store_vm_uuid(buf, vm, v[n].uuid))
			continue;
		v[n++].off = vm;
	}
	*out = v;
	return n;
}

static int vm_offset(const struct vmidx *v, size_t n, const uint8_t uuid[16])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(v[i].uuid, uuid, 16))
			return v[i].off;
	return -1;
}

static struct pair *pair_by_uuid(struct pass *ps, const uint8_t uuid[16])
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!memcmp(ps->p[i].uuid, uuid, 16))
			return &ps->p[i];
	return NULL;
}

static void log_cfg_err(const struct pair *p, const char *what, int rc,
			const struct ps_cfg_err *e)
{
	hv_log(HV_ERR, "vm '%s': store: %s: %s%s%s%s%s", p->name, what,
	       e->field ? e->field : "", e->field ? ": " : "",
	       e->why ? e->why : ps_strerror(rc), *e->holder ? " by " : "",
	       e->holder);
}

/* The pulled keys into the store VM at vm.  Per-key failures are logged
 * and leave that key as it was (every check precedes the first byte
 * written); the resulting store side is re-read for the record. */
static int apply_pulls(struct pass *ps, void *buf, size_t cap, int vm,
		       struct pair *p, const struct hv_kv *keys)
{
	size_t i;
	int boot = 0, rc;
	struct ps_cfg_err e;

	for (i = 0; i < keys->n; i++) {
		const char *k = keys->p[i].k, *last = strrchr(k, '.');

		memset(&e, 0, sizeof e);
		boot |= last && !strcmp(last, ".boot");
		rc = hv_store_put(buf, cap, vm, k, hv_kv_get(&p->L, k),
				  &ps->s->map, &e);
		if (rc == PSF_ERR_NOSPACE)
			return rc;
		if (rc < 0) {
			log_cfg_err(p, k, rc, &e);
			ps->st->errors++;
		} else if (rc == 1) {
			hv_log(HV_WARN, "vm '%s': %s '%s' from libvirt not "
			       "written: the store owns it", p->name, k,
			       nz(hv_kv_get(&p->L, k)));
		}
	}
	if (boot) {
		struct hv_kv m;

		hv_kv_init(&m);
		hv_kv_copy(&m, &p->S);
		for (i = 0; i < keys->n; i++)
			hv_kv_set(&m, keys->p[i].k, hv_kv_get(&p->L,
							       keys->p[i].k));
		memset(&e, 0, sizeof e);
		rc = hv_store_boot(buf, cap, vm, &m, &e);
		hv_kv_free(&m);
		if (rc == PSF_ERR_NOSPACE)
			return rc;
		if (rc) {
			log_cfg_err(p, "boot order", rc, &e);
			ps->st->errors++;
		}
	}
	return 0;
}

static int store_new(struct pass *ps, void *buf, size_t cap, struct pair *p)
{
	struct ps_cfg_err e = { 0 };
	const char *name = hv_kv_get(&p->L, "name");
	int vm = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_VM, name,
			       strlen(name), &e);
	int rc;

	if (vm == PSF_ERR_NOSPACE)
		return vm;
	if (vm < 0) {
		log_cfg_err(p, "adopting the domain", vm, &e);
		p->failed = 1;
		ps->st->errors++;
		return 0;
	}
	rc = ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4, p->uuids,
			strlen(p->uuids), &e);
	if (rc) {
		/* A clash on the UUID: the create is undone by a delete. */
		log_cfg_err(p, "adopting the domain", rc, &e);
		ps_obj_delete(buf, vm, PS_OBJ_VM, &e);
		p->failed = 1;
		ps->st->errors++;
		return 0;
	}
	hv_log(HV_INFO, "vm '%s': domain %s adopted into the store", name,
	       p->uuids);
	ps->st->store_creates++;
	return 0;
}

static int store_del(struct pass *ps, void *buf, int vm, struct pair *p)
{
	struct ps_cfg_err e = { 0 };
	int rc = ps_obj_delete(buf, vm, PS_OBJ_VM, &e);

	if (rc) {
		log_cfg_err(p, "deleting the VM (undefined in libvirt)", rc, &e);
		p->failed = 1;
		ps->st->errors++;
		return 0;
	}
	hv_log(HV_INFO, "vm '%s': undefined in libvirt: deleted from the "
	       "store", p->name);
	ps->st->store_deletes++;
	return 0;
}

static int recorded(const struct hv_record *r, size_t n,
		    const uint8_t uuid[16])
{
	while (n--)
		if (!memcmp(r[n].uuid, uuid, 16))
			return 1;
	return 0;
}

/* The record a pair keeps when this pass did not sync it: its old one,
 * under the UUID it was made for.  A move that failed after undefining
 * the old domain keeps none: the next pass defines the VM as new. */
static int old_record(const struct pair *p, struct hv_record *r)
{
	if (!p->base || (p->moved && p->old_gone))
		return 0;
	*r = (struct hv_record){ { 0 }, p->base->flags, &p->base->bs,
				 &p->base->bl };
	memcpy(r->uuid, p->moved ? p->old_uuid : p->uuid, 16);
	return 1;
}

/* Which pairs keep a record, and with which flags (one per UUID). */
static size_t build_records(struct pass *ps, struct hv_record *r)
{
	size_t i, n = 0;

	for (i = 0; i < ps->n; i++) {
		struct pair *p = &ps->p[i];
		struct hv_record one;

		if (p->act == ACT_REFUSE || p->failed) {
			if (!old_record(p, &one))
				continue;
		} else if (p->record) {
			one = (struct hv_record){ { 0 }, p->flags, &p->bs_new,
						  &p->bl_new };
			memcpy(one.uuid, p->uuid, 16);
		} else {
			continue;
		}
		if (!recorded(r, n, one.uuid))
			r[n++] = one;
	}
	return n;
}

static int store_edit(void *buf, size_t cap, void *arg)
{
	struct pass *ps = arg;
	struct vmidx *idx = NULL;
	struct hv_record *recs;
	size_t n, i, nrec;
	uint32_t blen;
	const void *base = ps_store_data(ps->s->store, &blen);
	int rc = 0;

	for (i = 0; i < ps->n && !rc; i++)
		if (ps->p[i].act == ACT_STORE_NEW && !ps->p[i].failed)
			rc = store_new(ps, buf, cap, &ps->p[i]);
	n = index_vms(buf, &idx);
	qsort(idx, n, sizeof *idx, by_off_desc);
	/* From the last VM to the first: an edit moves only what follows. */
	for (i = 0; i < n && !rc; i++) {
		struct pair *p = pair_by_uuid(ps, idx[i].uuid);

		if (!p || p->failed)
			continue;
		if (p->act == ACT_STORE_DEL)
			rc = store_del(ps, buf, idx[i].off, p);
		else if (p->act == ACT_STORE_NEW)
			rc = apply_pulls(ps, buf, cap, idx[i].off, p, &p->L);
		else if (p->pulls.n)
			rc = apply_pulls(ps, buf, cap, idx[i].off, p, &p->pulls);
	}
	free(idx);
	if (rc)
		return rc;
	n = index_vms(buf, &idx);
	for (i = 0; i < ps->n && !rc; i++) {
		struct pair *p = &ps->p[i];
		int vm;

		p->record = 0;
		if (p->failed || p->act == ACT_REFUSE || p->act == ACT_SKIP ||
		    p->act == ACT_FORGET || p->act == ACT_STORE_DEL ||
		    p->act == ACT_UNDEFINE)
			continue;
		vm = vm_offset(idx, n, p->uuid);
		if (vm < 0)
			continue;
		p->record = 1;
		if (p->store_edit)
			rc = hv_store_flatten(buf, vm, &ps->s->map, &p->bs_new);
		else
			rc = hv_kv_copy(&p->bs_new, &p->S);
		p->flags = 0;
		if (same(hv_kv_get(&p->bs_new, "power"), "last") && p->active)
			p->flags = PSF_AGDF_RUNNING;
	}
	free(idx);
	recs = calloc(ps->n + 1, sizeof *recs);
	if (!recs)
		return PS_ERR_NOMEM;
	nrec = build_records(ps, recs);
	if (!rc)
		rc = hv_state_store(buf, cap, recs, nrec, ps->s->uri,
				    (uint64_t)time(NULL));
	free(recs);
	if (rc < 0)
		return rc;
	rc = psf_finish(buf);
	if (rc)
		return rc;
	if (psf_total(buf) == blen && !memcmp(buf, base, blen))
		return PS_ERR_ABORTED;   /* nothing to write */
	return 0;
}

/* ------------------------------------------------------------ the pass */

static int load(struct pass *ps)
{
	int rc = ps_store_refresh(ps->s->store);

	if (rc) {
		hv_log(HV_ERR, "store: reading: %s", ps_strerror(rc));
		return rc;
	}
	ps->snap = ps_store_data(ps->s->store, &ps->snap_len);
	rc = hv_state_load(ps->snap, &ps->bases);
	if (rc)
		return rc;
	ps->use_bases = !ps->bases.n || !strcmp(ps->bases.uri, ps->s->uri);
	if (!ps->use_bases)
		hv_log(HV_WARN, "agent state was synced with %s, not %s: "
		       "treated as a first sync (the store wins, nothing is "
		       "deleted)", ps->bases.uri, ps->s->uri);
	rc = read_store(ps);
	return rc ? rc : read_libvirt(ps);
}

/* Counters of calls made to libvirt: real on every attempt, so summed
 * over the attempts of a pass. */
static void add_libvirt_calls(struct hv_stats *sum, const struct hv_stats *a)
{
	sum->defines += a->defines;
	sum->undefines += a->undefines;
	sum->renames += a->renames;
	sum->destroys += a->destroys;
	sum->starts += a->starts;
	sum->autostarts += a->autostarts;
}

/* Read both sides, plan, call libvirt, commit once (no retry: a commit
 * conflict is returned as PS_ERR_CONFLICT for the caller to merge again). */
static int pass_once(struct hv_sync *s, struct hv_stats *st)
{
	struct pass ps = { s, st, NULL, 0, { 0 }, 0, NULL, 0 };
	size_t i;
	int rc;

	rc = load(&ps);
	for (i = 0; !rc && i < ps.n; i++)
		if (ps.use_bases)
			ps.p[i].base = hv_bases_find(&ps.bases, ps.p[i].uuid);
	if (!rc)
		rc = find_moves(&ps);
	for (i = 0; !rc && i < ps.n; i++)
		plan_pair(&ps, &ps.p[i]);
	for (i = 0; !rc && i < ps.n; i++)
		if (ps.p[i].act == ACT_MOVE)
			release_old(&ps, &ps.p[i]);
	for (i = 0; !rc && i < ps.n; i++)
		run_libvirt(&ps, &ps.p[i]);
	st->vms = (unsigned)ps.n;
	if (!rc && !s->dry_run) {
		if (s->pre_commit)
			s->pre_commit(s->hook_arg);
		rc = ps_update(s->store, store_edit, &ps, 0);
		if (rc == PS_ERR_ABORTED)
			rc = 0;
		else if (!rc)
			st->commits++;
		else if (rc != PS_ERR_CONFLICT)
			hv_log(HV_ERR, "store: commit failed: %s; nothing "
			       "written back this pass", ps_strerror(rc));
	}
	for (i = 0; i < ps.n; i++)
		pair_free(&ps.p[i]);
	free(ps.p);
	hv_bases_free(&ps.bases);
	return rc;
}

/*
 * A commit conflict means the store moved between the pass's read and its
 * commit.  Re-applying the write-backs onto the new store would overwrite
 * what was written there meanwhile, so the whole pass runs again: a fresh
 * three-way merge, in which a store edit made in that window is a store
 * side change like any other (it wins over libvirt's, and is pushed).
 * libvirt calls already made are seen by the next attempt as libvirt
 * already holding the store's values, so nothing is done twice.
 */
int hv_sync_pass(struct hv_sync *s, struct hv_stats *st)
{
	uint64_t before = s->media ? s->media->stats.sectors_written : 0;
	struct hv_stats a, calls = { 0 };
	unsigned attempt;
	int rc;

	for (attempt = 0;; attempt++) {
		memset(&a, 0, sizeof a);
		a.boot = s->boot;
		rc = pass_once(s, &a);
		add_libvirt_calls(&calls, &a);
		if (rc != PS_ERR_CONFLICT || attempt == HV_PASS_RETRIES)
			break;
		hv_log(HV_INFO, "store: written by another writer during the "
		       "pass (generation conflict); merging again with the "
		       "new store (retry %u of %u)", attempt + 1,
		       HV_PASS_RETRIES);
	}
	*st = a;
	st->defines = calls.defines;
	st->undefines = calls.undefines;
	st->renames = calls.renames;
	st->destroys = calls.destroys;
	st->starts = calls.starts;
	st->autostarts = calls.autostarts;
	st->retries = attempt;
	if (s->media)
		st->sectors_written = s->media->stats.sectors_written - before;
	if (rc == PS_ERR_CONFLICT)
		hv_log(HV_ERR, "store: commit failed %u times (%s); nothing "
		       "written back this pass", attempt + 1, ps_strerror(rc));
	if (rc)
		return rc;
	return st->refused || st->errors ? 1 : 0;
}
