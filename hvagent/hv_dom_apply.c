/*
 * hv_dom_apply.c - the libvirt side of the mapping, written: a field map
 * applied to domain XML.  Only the elements the store models are
 * changed; everything else in the document (devices, features, metadata
 * libvirt or an administrator added) stays as it is.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "hv_dom.h"

/* ------------------------------------------------------------ apply */

static const char *get(const struct hv_kv *m, const char *fmt,
		       const char *name)
{
	char key[192];

	snprintf(key, sizeof key, fmt, name);
	return hv_kv_get(m, key);
}

/* Names of the objects of one kind in m ("nic" -> every "nic.X"). */
static int present(const struct hv_kv *m, const char *kind,
		   const char *name)
{
	char key[192];

	snprintf(key, sizeof key, "%s.%s", kind, name);
	return hv_kv_get(m, key) != NULL;
}

static void set_alias(xmlNodePtr dev, const char *name)
{
	char a[160];

	snprintf(a, sizeof a, "ua-%s", name);
	set_child_attr(dev, "alias", "name", a);
}

static void set_boot(xmlNodePtr dev, const char *order)
{
	if (order)
		set_child_attr(dev, "boot", "order", order);
	else
		drop_all(dev, "boot");
}

/* The store has one VLAN id per network; libvirt may hold a trunk
 * (several tags, nativeMode), read as its first tag.  Rewritten (one
 * tag) only when that first tag is not the store's, so a trunk whose
 * first tag agrees is left as it is. */
static void set_vlan(xmlNodePtr ifc, const char *vlan)
{
	char cur[16];

	attr(child(child(ifc, "vlan"), "tag"), "id", cur, sizeof cur);
	if (!strcmp(cur, vlan ? vlan : ""))
		return;
	drop_all(ifc, "vlan");
	if (vlan)
		set_child_attr(ensure(ifc, "vlan"), "tag", "id", vlan);
}

static int apply_iface(xmlNodePtr ifc, const struct hv_kv *m,
		       const char *name, const void *buf, const char **why)
{
	const char *mac = get(m, "nic.%s.mac", name);
	const char *net = get(m, "nic.%s.network", name);
	const char *model = get(m, "nic.%s.model", name);
	const char *link = get(m, "nic.%s.link", name);
	const char *vlan = get(m, "nic.%s.vlan", name);
	const char *mtu = get(m, "nic.%s.mtu", name);
	char type[32] = "user", sattr[16] = "", src[256] = "", cur[256];

	if (net && hvx_network_source(buf, net, type, sattr, src, sizeof src)) {
		*why = "NIC refers to a network the store does not define";
		return -1;
	}
	hvx_iface_network(ifc, buf, cur, sizeof cur);
	if (strcmp(cur, net ? net : "")) {
		xmlSetProp(ifc, X("type"), X(type));
		drop_all(ifc, "source");
		if (*sattr)
			set_child_attr(ifc, "source", sattr, src);
	}
	if (mac)
		set_child_attr(ifc, "mac", "address", mac);
	if (model)
		set_child_attr(ifc, "model", "type", model);
	else
		drop_all(ifc, "model");
	if (link)
		set_child_attr(ifc, "link", "state", "down");
	else
		drop_all(ifc, "link");
	set_vlan(ifc, vlan);
	if (mtu)
		set_child_attr(ifc, "mtu", "size", mtu);
	else
		drop_all(ifc, "mtu");
	set_boot(ifc, get(m, "nic.%s.boot", name));
	set_alias(ifc, name);
	return 0;
}

/* The devices elem of devs that m does not list (as kind) removed. */
static void drop_absent(xmlNodePtr devs, const char *elem, const char *prefix,
			const struct hv_kv *m, const char *kind)
{
	xmlNodePtr n, nx;
	int idx = 0;
	char name[128];

	for (n = child(devs, elem); n; n = nx, idx++) {
		nx = next_elem(n, elem);
		hvx_dev_name(n, prefix, idx, name, sizeof name);
		if (!present(m, kind, name))
			drop(n);
}
}

static void apply_ifaces(xmlNodePtr devs, const struct hv_kv *m,
			 const void *buf, const char **why, int *rc)
{
	xmlNodePtr n;
	size_t i;

	drop_absent(devs, "interface", "net", m, "nic");
	for (i = 0; i < m->n && !*rc; i++) {
		const char *k = m->p[i].k;

		if (strncmp(k, "nic.", 4) || strchr(k + 4, '.'))
			continue;
		n = hvx_find_dev(devs, "interface", "net", k + 4);
		if (!n) {
			n = xmlNewChild(devs, NULL, X("interface"), NULL);
			xmlSetProp(n, X("type"), X("user"));
		}
		*rc = apply_iface(n, m, k + 4, buf, why);
	}
}

/* A target device name not used yet: vda, vdb, ... / sda ... / hda ... */
static void free_target(xmlNodePtr devs, const char *prefix, char *out)
{
	char c;

	for (c = 'a'; c <= 'z'; c++) {
		xmlNodePtr d;
		char t[16], cand[8];
		int used = 0;

		snprintf(cand, sizeof cand, "%s%c", prefix, c);
		for (d = child(devs, "disk"); d && !used;
		     d = next_elem(d, "disk"))
			used = !strcmp(attr(child(d, "target"), "dev", t,
					    sizeof t), cand);
		if (!used) {
			strcpy(out, cand);
			return;
	}
}
	snprintf(out, 8, "%s%s", prefix, "zz");
}

static void apply_disk(xmlNodePtr devs, xmlNodePtr d, const struct hv_kv *m,
		       const char *name)
{
	const char *media = get(m, "disk.%s", name);
	const char *path = get(m, "disk.%s.path", name);
	const char *format = get(m, "disk.%s.format", name);
	const char *bus = get(m, "disk.%s.bus", name);
	char cur[256], dev[16];
	xmlNodePtr tgt;

	if (!bus)
		bus = strcmp(media, "cdrom") ? "virtio" : "sata";
	if (strcmp(attr(d, "device", cur, sizeof cur), media))
		xmlSetProp(d, X("device"), X(media));
	if (path) {
		char t[16];

		attr(d, "type", t, sizeof t);
		if (!strcmp(t, "block"))
			set_child_attr(d, "source", "dev", path);
		else
			set_child_attr(d, "source", "file", path);
	} else {
		drop_all(d, "source");
	}
	if (format) {
		xmlNodePtr drv = set_child_attr(d, "driver", "type", format);

		if (!xmlHasProp(drv, X("name")))
			xmlSetProp(drv, X("name"), X("qemu"));
	}
	tgt = ensure(d, "target");
	if (strcmp(attr(tgt, "bus", cur, sizeof cur), bus)) {
		xmlUnsetProp(tgt, X("dev"));
		xmlSetProp(tgt, X("bus"), X(bus));
		drop_all(d, "address");   /* it belonged to the old bus */
	}
	if (!*attr(tgt, "dev", cur, sizeof cur)) {
		free_target(devs, !strcmp(bus, "virtio") ? "vd"
				  : !strcmp(bus, "ide") ? "hd" : "sd", dev);
		xmlSetProp(tgt, X("dev"), X(dev));
	}
	if (get(m, "disk.%s.readonly", name))
		ensure(d, "readonly");
	else
		drop_all(d, "readonly");
	set_boot(d, get(m, "disk.%s.boot", name));
	set_alias(d, name);
}

static void apply_disks(xmlNodePtr devs, const struct hv_kv *m)
{
	xmlNodePtr n;
	size_t i;

	drop_absent(devs, "disk", "disk", m, "disk");
	for (i = 0; i < m->n; i++) {
		const char *k = m->p[i].k;

		if (strncmp(k, "disk.", 5) || strchr(k + 5, '.'))
			continue;
		n = hvx_find_dev(devs, "disk", "disk", k + 5);
		if (!n) {
			n = xmlNewChild(devs, NULL, X("disk"), NULL);
			xmlSetProp(n, X("type"), X("file"));
		}
		apply_disk(devs, n, m, k + 5);
	}
}

/* Rebuild one <serial> from the map: pty, or a unix socket named after
 * the mapping's host name (bound by QEMU, or with consoles allocated at
 * launch, connected to); a log file either way. */
static void build_serial(xmlNodePtr s, const char *port, const char *type,
			 const char *host, const char *vmname,
			 const struct hv_mapcfg *c)
{
	char path[1024];
	xmlNodePtr n;

	while ((n = s->children)) {
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
	xmlSetProp(s, X("type"), X(type));
	if (!strcmp(type, "unix")) {
		snprintf(path, sizeof path, "%s/%s.sock", c->serial_run_dir,
			 host);
		n = xmlNewChild(s, NULL, X("source"), NULL);
		xmlSetProp(n, X("path"), X(path));
		if (c->console_ports) {
			/* A link to the concentrator port's endpoint, made
			 * at allocation (hv_console.c): QEMU connects, and
			 * retries each second while it is not there. */
			xmlSetProp(n, X("mode"), X("connect"));
			n = xmlNewChild(n, NULL, X("reconnect"), NULL);
			xmlSetProp(n, X("enabled"), X("yes"));
			xmlSetProp(n, X("timeout"), X("1"));
		} else {
			xmlSetProp(n, X("mode"), X("bind"));
		}
	}
	snprintf(path, sizeof path, "%s/%s-serial%s.log", c->serial_log_dir,
		 vmname, port);
	n = xmlNewChild(s, NULL, X("log"), NULL);
	xmlSetProp(n, X("file"), X(path));
	xmlSetProp(n, X("append"), X("on"));
	n = xmlNewChild(s, NULL, X("target"), NULL);
	xmlSetProp(n, X("port"), X(port));
}

/* A socket's file name comes from the store: one path component, so
 * that no store content names a file outside the run directory. */
static int safe_component(const char *s)
{
	const char *p;

	if (!*s || *s == '-' || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (p = s; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static void apply_serials(xmlNodePtr devs, const struct hv_kv *m,
			  const struct hv_kv *cur, const struct hv_mapcfg *c)
{
	xmlNodePtr n, nx;
	size_t i;
	int idx = 0, changed = 0;
	char port[16], t[32];
	const char *vmname = hv_kv_get(m, "name");

	for (n = child(devs, "serial"); n; n = nx, idx++) {
		char key[64];

		nx = next_elem(n, "serial");
		if (!*attr(child(n, "target"), "port", port, sizeof port))
			snprintf(port, sizeof port, "%d", idx);
		snprintf(key, sizeof key, "serial.%s", port);
		if (!hv_kv_get(m, key)) {
			drop(n);
			changed = 1;
		}
}
	for (i = 0; i < m->n; i++) {
		const char *k = m->p[i].k, *v = m->p[i].v, *host;
		char hk[64];

		if (strncmp(k, "serial.", 7) || strchr(k + 7, '.'))
			continue;
		snprintf(hk, sizeof hk, "%s.host", k);
		host = hv_kv_get(m, hk);
		if (hv_kv_get(cur, k) && !strcmp(hv_kv_get(cur, k), v) &&
		    !strcmp(host ? host : "", hv_kv_get(cur, hk)
						      ? hv_kv_get(cur, hk)
						      : ""))
			continue;       /* as it is: leave its XML alone */
		for (n = child(devs, "serial"); n; n = next_elem(n, "serial"))
			if (!strcmp(attr(child(n, "target"), "port", t,
					 sizeof t), k + 7))
				break;
		if (!strcmp(v, "unix") && !safe_component(host ? host : k)) {
			hv_log(HV_ERR, "vm '%s': serial port %s: host name "
			       "'%s' is not a file name; port left as it is",
			       vmname ? vmname : "", k + 7, host ? host : k);
			continue;
		}
		if (!n)
			n = xmlNewChild(devs, NULL, X("serial"), NULL);
		build_serial(n, k + 7, v, host ? host : k, vmname ? vmname : "",
			     c);
		changed = 1;
		}
	if (!changed)
		return;
	/* libvirt derives the console of the first serial port; an old one
	 * would point at a port that changed. */
	for (n = child(devs, "console"); n; n = nx) {
		nx = next_elem(n, "console");
		if (!strcmp(attr(child(n, "target"), "type", t, sizeof t),
			    "serial"))
			drop(n);
}
}

static void apply_smbios(xmlNodePtr root, const char *serial,
			 const char *uuid)
{
	xmlNodePtr si, sys, e, os;
	char v[32];

	for (si = child(root, "sysinfo"); si; si = next_elem(si, "sysinfo"))
		if (!strcmp(attr(si, "type", v, sizeof v), "smbios"))
			break;
	if (!si) {
		si = xmlNewChild(root, NULL, X("sysinfo"), NULL);
		xmlSetProp(si, X("type"), X("smbios"));
	}
	sys = ensure(si, "system");
	e = hvx_smbios_entry(root, "serial");
	if (serial) {
		if (!e) {
			e = xmlNewChild(sys, NULL, X("entry"), NULL);
			xmlSetProp(e, X("name"), X("serial"));
		}
		set_text(e, serial);
	} else {
		drop(e);
	}
	e = hvx_smbios_entry(root, "uuid");
	if (!e) {
			e = xmlNewChild(sys, NULL, X("entry"), NULL);
		xmlSetProp(e, X("name"), X("uuid"));
	}
	set_text(e, uuid);
	os = ensure(root, "os");
	set_child_attr(os, "smbios", "mode", "sysinfo");
}

int hv_dom_apply(xmlDocPtr doc, const struct hv_kv *m, const char *uuid,
		 const void *buf, const struct hv_mapcfg *c, const char **why)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), devs, n;
	struct hv_kv cur;
	const char *v;
	int rc = 0;

	*why = NULL;
	if (!is_elem(root, "domain")) {
		*why = "not a domain document";
		return -1;
	}
	hv_kv_init(&cur);
	if (hv_dom_flatten(doc, buf, c, &cur, 0)) {
		*why = "out of memory";
		return -1;
	}
	set_text(ensure(root, "name"), hv_kv_get(m, "name"));
	set_text(ensure(root, "uuid"), uuid);
	v = hv_kv_get(m, "description");
	if (v)
		set_text(ensure(root, "description"), v);
	else
		drop_all(root, "description");
	v = hv_kv_get(m, "memory-kib");
	if (v && strcmp(v, hv_kv_get(&cur, "memory-kib"))) {
		n = ensure(root, "memory");
		xmlSetProp(n, X("unit"), X("KiB"));
		set_text(n, v);
		n = ensure(root, "currentMemory");
		xmlSetProp(n, X("unit"), X("KiB"));
		set_text(n, v);
	}
	v = hv_kv_get(m, "vcpus");
	if (v && strcmp(v, hv_kv_get(&cur, "vcpus")))
		set_text(ensure(root, "vcpu"), v);
	apply_smbios(root, hv_kv_get(m, "serial"), uuid);
	devs = ensure(root, "devices");
	apply_ifaces(devs, m, buf, why, &rc);
	if (!rc) {
		apply_disks(devs, m);
		apply_serials(devs, m, &cur, c);
		/* Per-device boot ranks exclude the <os> boot list. */
		if (child(root, "os"))
			drop_all(child(root, "os"), "boot");
	}
	hv_kv_free(&cur);
	return rc;
}
