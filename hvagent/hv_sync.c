/*
 * hv_sync.c - one reconcile pass between the store and libvirt.
 *
 *   1. read: the store (fresh from media), the agent's last-synced record,
 *      every persistent libvirt domain (inactive XML, autostart, state);
 *   2. plan, per UUID (hv_plan.c): identities moved by a profile first,
 *      then three-way, field by field;
 *   3. libvirt (hv_apply.c): the old domains of moved identities stopped
 *      and undefined, then renames, defines, undefines, autostart, boot
 *      starts -- with no store lock held;
 *   4. store (hv_writeback.c): every write-back and the new synced record
 *      in one commit (ps_update takes the semaphore for the commit only).
 *      A pass with nothing to do commits nothing: the edited copy is
 *      compared with the store and dropped when identical.  When another
 *      writer committed since step 1, the pass starts again from step 1.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "hv_sync.h"

/* Room for more pairs without moving the list (the index points into
 * it).  0 or -1. */
static int pairs_reserve(struct pass *ps, size_t more)
{
	size_t cap = ps->cap ? ps->cap : 64;
	struct pair *np;

	while (cap < ps->n + more)
		cap *= 2;
	if (cap == ps->cap)
		return 0;
	np = realloc(ps->p, cap * sizeof *np);
	if (!np)
		return -1;
	ps->p = np;
	ps->cap = cap;
	return 0;
}

/* A new pair at the end of the list. */
static struct pair *pair_new(struct pass *ps, const uint8_t uuid[16])
{
	struct pair *np;

	if (pairs_reserve(ps, 1))
		return NULL;
	np = &ps->p[ps->n++];
	memset(np, 0, sizeof *np);
	memcpy(np->uuid, uuid, 16);
	ps_fmt_uuid(uuid, np->uuids);
	return np;
}

/* The pairs by UUID and by name, rebuilt over the whole list: their keys
 * point into ps->p, so they are built when the list stops growing. */
static int index_pairs(struct pass *ps)
{
	size_t i;

	hv_index_free(&ps->by_uuid);
	hv_index_free(&ps->by_name);
	for (i = 0; i < ps->n; i++)
		if (hv_index_add(&ps->by_uuid, ps->p[i].uuid, 16, i) ||
		    hv_index_add(&ps->by_name, ps->p[i].name,
				 strlen(ps->p[i].name), i))
			return PS_ERR_NOMEM;
	return 0;
}

/* The pair of a UUID, made when there is none.  Lookups go through the
 * index of the pairs already read (the store's); a pair made here (a
 * domain only libvirt has: libvirt keys domains by UUID, so one per
 * UUID) is indexed with the others once every domain is read.  The
 * caller reserved room, so making one moves no indexed key. */
static struct pair *pair_for(struct pass *ps, const uint8_t uuid[16])
{
	const struct hv_index_ent *e = hv_index_find(&ps->by_uuid, uuid, 16);

	return e ? &ps->p[e->val] : pair_new(ps, uuid);
}

struct pair *sync_pair_by_uuid(struct pass *ps, const uint8_t uuid[16])
{
	const struct hv_index_ent *e = hv_index_find(&ps->by_uuid, uuid, 16);

	return e ? &ps->p[e->val] : NULL;
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

/* The store's VMs with a UUID, in store order. */
struct store_vm {
	uint8_t uuid[16];
	int vm;
};

static int read_store(struct pass *ps)
{
	const void *buf = ps->snap;
	struct store_vm *v = NULL, *nv;
	struct hv_index by_uuid, images;
	size_t n = 0, cap = 0, i;
	int vm = -1, rc = 0;
	char name[PS_CFG_NAME_MAX + 1];

	hv_index_init(&by_uuid);
	hv_index_init(&images);
	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				free(v);
				return PS_ERR_NOMEM;
			}
			v = nv;
		}
		if (hv_store_vm_uuid(buf, vm, v[n].uuid)) {
			ps_obj_key(buf, vm, PS_OBJ_VM, name, sizeof name);
			hv_log(HV_WARN, "vm '%s': no UUID in the store; not "
			       "synced (set one with psctl vm set)", name);
			continue;
		}
		v[n++].vm = vm;
	}
	for (i = 0; !rc && i < n; i++)
		rc = hv_index_add(&by_uuid, v[i].uuid, 16, i);
	if (!rc)
		rc = hv_store_images(buf, &images);
	for (i = 0; !rc && i < n; i++) {
		/* The first VM of a UUID is synced; a later one is not. */
		size_t first = hv_index_find(&by_uuid, v[i].uuid, 16)->val;
		struct pair *p;

		ps_obj_key(buf, v[i].vm, PS_OBJ_VM, name, sizeof name);
		if (first != i) {
			char other[PS_CFG_NAME_MAX + 1], u[37];

			ps_obj_key(buf, v[first].vm, PS_OBJ_VM, other,
				   sizeof other);
			ps_fmt_uuid(v[i].uuid, u);
			hv_log(HV_WARN, "vm '%s': UUID %s already used by vm "
			       "'%s'; not synced", name, u, other);
			continue;
		}
		p = pair_new(ps, v[i].uuid);
		if (!p) {
			rc = PS_ERR_NOMEM;
			break;
		}
		p->in_store = 1;
		snprintf(p->name, sizeof p->name, "%s", name);
		if (hv_store_flatten_ix(buf, v[i].vm, &ps->s->map, &images,
					&p->S))
			rc = PS_ERR_NOMEM;
	}
	hv_index_free(&images);
	hv_index_free(&by_uuid);
	free(v);
	return rc;
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
	/* The store's pairs indexed where they stay: room for a pair per
	 * domain first. */
	if (pairs_reserve(ps, (size_t)n) || index_pairs(ps))
		rc = PS_ERR_NOMEM;
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
		p->doc = hv_dom_doc(p->dom);
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
	/* Every pair is made: the index covers them all from here on. */
	return rc ? rc : index_pairs(ps);
}

/* ------------------------------------------------------------ the pass */

static int load(struct pass *ps)
{
	int rc = ps_store_refresh(ps->s->store);

	if (rc) {
		hv_log(HV_ERR, "store: reading: %s", ps_strerror(rc));
		return rc;
	}
	if (ps->s->auth && (rc = hv_auth_check(ps->s->auth, ps->s->store)))
		return rc;
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

/* Each pair's synced record, through an index of the records. */
static int find_bases(struct pass *ps)
{
	struct hv_index ix;
	size_t i;
	int rc = 0;

	hv_index_init(&ix);
	for (i = 0; !rc && i < ps->bases.n; i++)
		rc = hv_index_add(&ix, ps->bases.b[i].uuid, 16, i);
	for (i = 0; !rc && i < ps->n; i++) {
		const struct hv_index_ent *e = hv_index_find(&ix,
							     ps->p[i].uuid, 16);

		ps->p[i].base = e ? &ps->bases.b[e->val] : NULL;
	}
	hv_index_free(&ix);
	return rc ? PS_ERR_NOMEM : 0;
}

/* Read both sides, plan, call libvirt, commit once (no retry: a commit
 * conflict is returned as PS_ERR_CONFLICT for the caller to merge again). */
static int pass_once(struct hv_sync *s, struct hv_stats *st)
{
	struct pass ps = { s, st, NULL, 0, { 0 }, 0, NULL, 0, 0, { 0 }, { 0 } };
	size_t i;
	int rc;

	rc = load(&ps);
	if (!rc && ps.use_bases)
		rc = find_bases(&ps);
	if (!rc)
		rc = sync_find_moves(&ps);
	for (i = 0; !rc && i < ps.n; i++)
		sync_plan_pair(&ps, &ps.p[i]);
	for (i = 0; !rc && i < ps.n; i++)
		if (ps.p[i].act == ACT_MOVE)
			sync_release_old(&ps, &ps.p[i]);
	for (i = 0; !rc && i < ps.n; i++)
		sync_run_libvirt(&ps, &ps.p[i]);
	st->vms = (unsigned)ps.n;
	if (!rc && !s->dry_run) {
		if (s->pre_commit)
			s->pre_commit(s->hook_arg);
		rc = s->auth ? hv_auth_arm(s->auth, s->store) : 0;
		if (!rc)
			rc = ps_update(s->store, sync_store_edit, &ps, 0);
		if (s->auth)
			hv_auth_done(s->auth, s->store, rc == 0);
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
	hv_index_free(&ps.by_uuid);
	hv_index_free(&ps.by_name);
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
		hv_stats_add(&calls, &a);
		if (rc != PS_ERR_CONFLICT || attempt == HV_PASS_RETRIES)
			break;
		hv_log(HV_INFO, "store: written by another writer during the "
		       "pass (generation conflict); merging again with the "
		       "new store (retry %u of %u)", attempt + 1,
		       HV_PASS_RETRIES);
	}
	*st = a;
	/* libvirt calls and their failures summed over the attempts: a call
	 * made (or refused) on an attempt that then conflicted was made. */
	hv_stats_set_calls(st, &calls);
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
