/*
 * hv_restart.c - the restart policy: a VM that crashed is started again
 * from its consistency image, after a further failure within the window
 * from its boot image, and past the limit left stopped (docs/hvagent.md,
 * "Restart policy").
 *
 * Order, as for a pass: decide from the store (the log there counts the
 * attempts, so an agent restart in between changes nothing), make the
 * libvirt calls with no lock held (point the boot disk at the image,
 * define, start), then one commit: the controller's IMAGE_REF switched
 * to the image the domain now uses and the outcome appended to
 * RESTART_LOG.  The next pass then sees disk.N.path changed on both
 * sides to the same value: nothing to do but record it, so the switch
 * never bounces back and the store says what the VM runs from.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "hv.h"

unsigned hv_crash_cause(int event, int detail, unsigned extra)
{
	if (event == VIR_DOMAIN_EVENT_CRASHED)
		return PSF_CRASH_CRASHED;
	if (event != VIR_DOMAIN_EVENT_STOPPED)
		return 0;
	if (detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED)
		return PSF_CRASH_CRASHED;
	if (detail == VIR_DOMAIN_EVENT_STOPPED_FAILED)
		return PSF_CRASH_FAILED;
	/* Test hook (crash_events = destroyed): an operator's destroy,
	 * which the test driver can do, counted as an unexpected stop. */
	if (detail == VIR_DOMAIN_EVENT_STOPPED_DESTROYED &&
	    (extra & HV_CRASH_DESTROYED))
		return PSF_CRASH_STOPPED;
	return 0;
}

/* The controller the VM boots from: the first bootable disk, else the
 * first disk.  -1 when it has no disk. */
static int boot_controller(const void *buf, int vm)
{
	int el = -1, first = -1;

	while ((el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el)) >= 0) {
		uint32_t len;
		const uint8_t *rec = psf_child_payload(buf, el,
						       PSF_CONTROLLER_CONFIG,
						       &len);
		unsigned media = (unsigned)psf_field_uint(rec, rec ? len : 0,
							  PSF_CTLC_MEDIA, 1);
		unsigned flags = (unsigned)psf_field_uint(rec, rec ? len : 0,
							  PSF_CTLC_FLAGS, 1);

		if (media != PSF_MEDIA_DISK)
			continue;
		if (flags & PSF_CTLF_BOOTABLE)
			return el;
		if (first < 0)
			first = el;
	}
	return first;
}

struct rs {
	struct hv_sync *s;
	const struct hv_crash *c;
	char vm[PS_CFG_NAME_MAX + 1];
	char ctl[PS_CFG_NAME_MAX + 1];   /* "" when no disk switch */
	char img[PS_CFG_NAME_MAX + 1];
	struct ps_restart_entry en;
	int switched;                    /* libvirt now uses img */
};

/* Set controller ctl of the VM in buf to image img. */
static int switch_ref(void *buf, size_t cap, const struct rs *r,
		      struct ps_cfg_err *e)
{
	int vm = hv_store_vm_by_uuid(buf, r->c->uuid);
	int ctl = vm < 0 ? -1 : ps_obj_find(buf, vm, PS_OBJ_CONTROLLER,
					    r->ctl, strlen(r->ctl));

	if (ctl < 0)
		return PSF_ERR_NOTFOUND;
	return ps_obj_set(buf, cap, ctl, PS_OBJ_CONTROLLER, "image", 5, r->img,
			  strlen(r->img), e);
}

/* disk.CTL.path and .format as the store says them once the controller
 * names img: flattened from a scratch copy with the switch made. */
static int target_map(const void *buf, uint32_t len, const struct rs *r,
		      struct hv_kv *m)
{
	size_t cap = (size_t)len + 4096;
	void *copy = malloc(cap);
	struct ps_cfg_err e;
	int vm, rc;

	if (!copy)
		return PS_ERR_NOMEM;
	memcpy(copy, buf, len);
	rc = switch_ref(copy, cap, r, &e);
	vm = rc ? -1 : hv_store_vm_by_uuid(copy, r->c->uuid);
	if (vm >= 0)
		rc = hv_store_flatten(copy, vm, &r->s->map, m);
	free(copy);
	return rc;
}

/* The domain's boot disk pointed at the image (defined), no lock held. */
static int point_disk(struct rs *r, virDomainPtr dom, const void *buf,
		      uint32_t len)
{
	struct hv_kv want, l;
	xmlDocPtr doc = hv_dom_doc(dom);
	char key[160], uuid[37];
	const char *why = "cannot read the domain's XML";
	xmlChar *xml = NULL;
	int n = 0, rc = -1, autostart = 0;
	virDomainPtr d2 = NULL;

	hv_kv_init(&want);
	hv_kv_init(&l);
	virDomainGetAutostart(dom, &autostart);
	if (doc && !target_map(buf, len, r, &want) &&
	    !hv_dom_flatten(doc, buf, &r->s->map, &l, autostart)) {
		snprintf(key, sizeof key, "disk.%s.path", r->ctl);
		hv_kv_set(&l, key, hv_kv_get(&want, key));
		snprintf(key, sizeof key, "disk.%s.format", r->ctl);
		hv_kv_set(&l, key, hv_kv_get(&want, key));
		ps_fmt_uuid(r->c->uuid, uuid);
		rc = hv_dom_apply(doc, &l, uuid, buf, &r->s->map, &why);
	}
	if (!rc) {
		xmlDocDumpMemory(doc, &xml, &n);
		d2 = xml ? virDomainDefineXML(r->s->conn, (const char *)xml)
			 : NULL;
		why = virGetLastErrorMessage();
		rc = d2 ? 0 : -1;
	}
	if (rc)
		hv_log(HV_ERR, "vm '%s': restart: pointing disk '%s' at image "
		       "'%s': %s", r->vm, r->ctl, r->img, why);
	if (d2)
		virDomainFree(d2);
	xmlFree(xml);
	if (doc)
		xmlFreeDoc(doc);
	hv_kv_free(&want);
	hv_kv_free(&l);
	return rc;
}

/* The libvirt part of a restart: the outcome's action. */
static uint8_t restart(struct rs *r, virDomainPtr dom, const void *buf,
		       uint32_t len)
{
	if (point_disk(r, dom, buf, len))
		return PSF_RESTART_STOPPED_FAILED;
	r->switched = 1;
	/* buf is not read after this: the console's allocation may
	 * commit (its ports served before the guest's first byte). */
	if (r->s->before_start)
		r->s->before_start(r->s->start_arg, r->c->uuid);
	if (virDomainCreate(dom) < 0) {
		hv_log(HV_ERR, "vm '%s': restart from image '%s' failed: %s; "
		       "left stopped", r->vm, r->img, virGetLastErrorMessage());
		return PSF_RESTART_STOPPED_FAILED;
	}
	return r->en.action;
}

static int record_edit(void *buf, size_t cap, void *arg)
{
	struct rs *r = arg;
	struct ps_cfg_err e = { 0 };
	int vm, rc = 0;

	if (r->switched)
		rc = switch_ref(buf, cap, r, &e);
	vm = hv_store_vm_by_uuid(buf, r->c->uuid);
	if (!rc && vm < 0)
		rc = PSF_ERR_NOTFOUND;   /* deleted meanwhile: nothing to log */
	if (!rc)
		rc = ps_restart_log_append(buf, cap, vm, &r->en, &e);
	if (rc)
		hv_log(HV_ERR, "vm '%s': restart log: %s", r->vm,
		       e.why ? e.why : ps_strerror(rc));
	return rc;
}

static void say_outcome(const struct rs *r, const struct ps_restart_policy *p)
{
	if (r->c->why[0])
		hv_log(HV_INFO, "vm '%s': %s: cause on its console: %s", r->vm,
		       ps_restart_cause_name(r->en.cause), r->c->why);
	switch (r->en.action) {
	case PSF_RESTART_CONSISTENCY:
	case PSF_RESTART_BOOT:
		hv_log(HV_INFO, "vm '%s': %s; restarted from the %s image '%s' "
		       "(attempt %u of %u within %u s)", r->vm,
		       ps_restart_cause_name(r->en.cause),
		       ps_restart_action_name(r->en.action), r->img,
		       r->en.attempt, p->limit, p->window);
		break;
	case PSF_RESTART_STOPPED_LIMIT:
		hv_log(HV_WARN, "vm '%s': %s again; %u restarts within %u s "
		       "reached the limit (%u): left stopped", r->vm,
		       ps_restart_cause_name(r->en.cause), r->en.attempt - 1u,
		       p->window, p->limit);
		break;
	case PSF_RESTART_STOPPED_NO_IMAGE:
		hv_log(HV_ERR, "vm '%s': %s; no image to restart from (attempt "
		       "%u: the policy names none, or the image has no path, "
		       "or the VM has no disk): left stopped", r->vm,
		       ps_restart_cause_name(r->en.cause), r->en.attempt);
		break;
	default:
		break;
	}
}

/* Decide from the store as it is now; fills r (image, controller). */
static int decide(struct rs *r, const void *buf, uint64_t now,
		  struct ps_restart_policy *p)
{
	struct ps_restart_decision d;
	int vm = hv_store_vm_by_uuid(buf, r->c->uuid), ctl;

	if (vm < 0)
		return PSF_ERR_NOTFOUND;
	ps_obj_key(buf, vm, PS_OBJ_VM, r->vm, sizeof r->vm);
	if (ps_restart_decide(buf, vm, now, &d)) {
		const char *w = r->c->why;

		hv_log(HV_INFO, "vm '%s': %s%s%s%s; no restart policy: left "
		       "stopped", r->vm, ps_restart_cause_name(r->en.cause),
		       *w ? " (cause on its console: " : "", w, *w ? ")" : "");
		return PSF_ERR_NOTFOUND;
	}
	ps_restart_get(buf, vm, p);
	r->en.action = d.action;
	r->en.attempt = d.attempt;
	ctl = boot_controller(buf, vm);
	if (d.image >= 0 && ctl < 0)
		r->en.action = PSF_RESTART_STOPPED_NO_IMAGE;
	if (r->en.action > PSF_RESTART_BOOT)
		return 0;
	ps_obj_key(buf, d.image, PS_OBJ_IMAGE, r->img, sizeof r->img);
	ps_obj_key(buf, ctl, PS_OBJ_CONTROLLER, r->ctl, sizeof r->ctl);
	return 0;
}

int hv_restart_handle(struct hv_sync *s, const struct hv_crash *c,
		      uint64_t now, uint8_t *action)
{
	struct rs r;
	struct ps_restart_policy p;
	virDomainPtr dom;
	const void *buf;
	uint32_t len;
	int rc = ps_store_refresh(s->store);

	*action = 0;
	if (rc) {
		hv_log(HV_ERR, "store: reading: %s", ps_strerror(rc));
		return rc;
	}
	memset(&r, 0, sizeof r);
	r.s = s;
	r.c = c;
	r.en.time = now;
	r.en.cause = (uint8_t)c->cause;
	r.en.detail = (uint32_t)c->detail;
	buf = ps_store_data(s->store, &len);
	dom = virDomainLookupByUUID(s->conn, c->uuid);
	/* Running again (started by someone, or the second event of one
	 * crash): nothing to do. */
	if (!dom || virDomainIsActive(dom) == 1) {
		if (dom)
			virDomainFree(dom);
		return 0;
	}
	if (decide(&r, buf, now, &p)) {
		virDomainFree(dom);
		return 0;
	}
	if (r.en.action <= PSF_RESTART_BOOT && !s->dry_run)
		r.en.action = restart(&r, dom, buf, len);
	virDomainFree(dom);
	say_outcome(&r, &p);
	*action = r.en.action;
	if (s->dry_run)
		return 0;
	rc = s->auth ? hv_auth_arm(s->auth, s->store) : 0;
	if (!rc)
		rc = ps_update(s->store, record_edit, &r, (int)HV_PASS_RETRIES);
	if (s->auth)
		hv_auth_done(s->auth, s->store, rc == 0);
	if (rc)
		hv_log(HV_ERR, "vm '%s': store: recording the restart: %s",
		       r.vm, ps_strerror(rc));
	return rc;
}

/* A domain shut off while the agent was not watching: its crash cause
 * from libvirt's reason, else 0 (shut down, destroyed: someone's will). */
static unsigned down_cause(virConnectPtr conn, const uint8_t uuid[16])
{
	virDomainPtr d = virDomainLookupByUUID(conn, uuid);
	int state = 0, reason = 0;

	if (!d)
		return 0;
	if (virDomainGetState(d, &state, &reason, 0) < 0)
		state = 0;
	virDomainFree(d);
	if (state != VIR_DOMAIN_SHUTOFF)
		return 0;
	return reason == VIR_DOMAIN_SHUTOFF_CRASHED ? PSF_CRASH_CRASHED
	       : reason == VIR_DOMAIN_SHUTOFF_FAILED ? PSF_CRASH_FAILED : 0;
}

/* Running when the agent last saw it: its record says so (power last),
 * or, with consoles allocated at launch, it still holds mapped ports
 * (freed by the agent at every stop it sees). */
static int was_running(const struct hv_sync *s, struct hv_bases *b,
		       const void *buf, int vm, const uint8_t uuid[16])
{
	struct hv_base *base = hv_bases_find(b, uuid);
	int el = -1;
	unsigned conc;

	if (base && (base->flags & PSF_AGDF_RUNNING))
		return 1;
	while (s->map.console_ports &&
	       (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) >= 0)
		if (hv_serial_of(buf, el, &conc), conc)
			return 1;
	return 0;
}

unsigned hv_restart_found_down(struct hv_sync *s, uint64_t now)
{
	struct hv_bases b = { 0 };
	struct hv_crash *c = NULL;
	const void *buf;
	uint32_t len;
	size_t i, n = 0, cap = 0;
	uint8_t action;
	int vm = -1;

	if (ps_store_refresh(s->store))
		return 0;
	buf = ps_store_data(s->store, &len);
	if (hv_state_load(buf, &b))
		return 0;
	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0) {
		uint8_t u[16];
		unsigned cause;

		if (hv_store_vm_uuid(buf, vm, u) ||
		    !was_running(s, &b, buf, vm, u) ||
		    !(cause = down_cause(s->conn, u)))
			continue;
		if (n == cap) {
			void *nc = realloc(c, (cap = cap ? 2 * cap : 8) *
					   sizeof *c);

			if (!nc)
				break;
			c = nc;
		}
		memset(&c[n], 0, sizeof c[n]);
		memcpy(c[n].uuid, u, 16);
		c[n].event = VIR_DOMAIN_EVENT_STOPPED;
		c[n].cause = cause;
		n++;
	}
	hv_bases_free(&b);
	for (i = 0; i < n; i++) {
		char u[37];

		ps_fmt_uuid(c[i].uuid, u);
		hv_log(HV_WARN, "domain %s: %s while the agent was not "
		       "running", u, ps_restart_cause_name((uint8_t)c[i].cause));
		hv_restart_handle(s, &c[i], now, &action);
	}
	free(c);
	return (unsigned)n;
}
