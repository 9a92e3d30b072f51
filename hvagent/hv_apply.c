/*
 * hv_apply.c - a reconcile pass's plan carried out in libvirt: the old
 * domains of moved identities stopped and undefined, then renames,
 * defines, undefines, autostart and boot starts, with no store lock held.
 * What libvirt made of each definition is read back for the record.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "hv_sync.h"

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
	if (!dom) {
		hv_log(HV_ERR, "vm '%s': libvirt refused the definition: %s",
		       p->name, virGetLastErrorMessage());
		hv_stats_failed(ps->st, &ps->st->define_failures, p->name);
		return -1;
	}
	ps->st->defines++;
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
	if (virDomainSetAutostart(p->dom, want) < 0) {
		hv_log(HV_ERR, "vm '%s': setting autostart: %s", p->name,
		       virGetLastErrorMessage());
		hv_stats_failed(ps->st, &ps->st->autostart_failures, p->name);
		return -1;
	}
	ps->st->autostarts++;
	p->autostart = want;
	return 0;
}

/* Read back what libvirt made of the definition: the libvirt side of
 * the new synced record. */
static int reread(struct pass *ps, struct pair *p)
{
	xmlDocPtr doc = hv_dom_doc(p->dom);

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
		if (virDomainRename(p->dom, newname, 0) < 0) {
			hv_log(HV_ERR, "vm '%s': renaming domain '%s': %s",
			       p->name, nz(hv_kv_get(&p->L, "name")),
			       virGetLastErrorMessage());
			hv_stats_failed(ps->st, &ps->st->rename_failures,
					p->name);
			rc = -1;
		} else {
			ps->st->renames++;
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

	if (virDomainUndefineFlags(p->dom, flags) < 0 &&
	    virDomainUndefine(p->dom) < 0) {
		hv_log(HV_ERR, "vm '%s': undefine: %s", p->name,
		       virGetLastErrorMessage());
		hv_stats_failed(ps->st, &ps->st->undefine_failures, p->name);
		return -1;
	}
	ps->st->undefines++;
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
void sync_release_old(struct pass *ps, struct pair *p)
{
	if (ps->s->dry_run)
		return;
	if (p->active) {
		hv_log(HV_WARN, "vm '%s': domain %s is running; destroyed: "
		       "identity moved by profile (now %s)", p->name,
		       p->old_uuids, p->uuids);
		if (virDomainDestroy(p->dom) < 0) {
			hv_log(HV_ERR, "vm '%s': destroying domain %s: %s",
			       p->name, p->old_uuids,
			       virGetLastErrorMessage());
			hv_stats_failed(ps->st, &ps->st->destroy_failures,
					p->name);
			p->failed = 1;
			ps->st->errors++;
			return;
		}
		ps->st->destroys++;
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
	if (virDomainCreate(p->dom) < 0) {
		hv_log(HV_ERR, "vm '%s': start (power %s): %s", p->name, power,
		       virGetLastErrorMessage());
		hv_stats_failed(ps->st, &ps->st->start_failures, p->name);
		ps->st->errors++;
		return;
	}
	ps->st->starts++;
	p->active = 1;
	hv_log(HV_INFO, "vm '%s': started (power %s)", p->name, power);
}

void sync_run_libvirt(struct pass *ps, struct pair *p)
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
