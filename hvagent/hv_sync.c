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
	return rc;
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
