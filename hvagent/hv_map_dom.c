/*
 * hv_map_dom.c - the libvirt side of the mapping: domain XML as a field
 * map, and a field map applied to domain XML.  Only the elements the
 * store models are read or changed; everything else in the document
 * (devices, features, metadata libvirt or an administrator added) stays
 * as it is.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "hv.h"

#define X(s) ((const xmlChar *)(s))

/* ------------------------------------------------------------ XML helpers */

static int is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, X(name));
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static xmlNodePtr next_elem(xmlNodePtr n, const char *name)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static xmlNodePtr ensure(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = child(parent, name);

	return n ? n : xmlNewChild(parent, NULL, X(name), NULL);
}

static void drop(xmlNodePtr n)
{
	if (n) {
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
}

static void drop_all(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	while ((n = child(parent, name)))
		drop(n);
}

/* Attribute as text in out ("" when absent). */
static const char *attr(xmlNodePtr n, const char *name, char *out,
			size_t outlen)
{
	xmlChar *v = n ? xmlGetProp(n, X(name)) : NULL;

	snprintf(out, outlen, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return out;
}

static const char *text(xmlNodePtr n, char *out, size_t outlen)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;

	snprintf(out, outlen, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return out;
}

static void set_text(xmlNodePtr n, const char *v)
{
	xmlChar *enc = xmlEncodeSpecialChars(n->doc, X(v));

	xmlNodeSetContent(n, enc);
	xmlFree(enc);
}

/* <parent><name attr='v'/></parent>, replacing other attributes' values
 * only for attr. */
static xmlNodePtr set_child_attr(xmlNodePtr parent, const char *name,
				 const char *a, const char *v)
{
	xmlNodePtr n = ensure(parent, name);

	xmlSetProp(n, X(a), X(v));
	return n;
}

/* ------------------------------------------------------------ device names */

/*
 * A device's name in the store is its user alias without the "ua-"
 * prefix; a device without one is named by kind and position ("net1",
 * "disk0"), which is how a domain defined elsewhere gets its devices
 * adopted.  hv_dom_apply gives every device it writes its alias.
 */
static void dev_name(xmlNodePtr dev, const char *prefix, int idx, char *out,
		     size_t outlen)
{
	char a[128];

	attr(child(dev, "alias"), "name", a, sizeof a);
	if (!strncmp(a, "ua-", 3) && a[3])
		snprintf(out, outlen, "%s", a + 3);
	else
		snprintf(out, outlen, "%s%d", prefix, idx);
}

static xmlNodePtr find_dev(xmlNodePtr devices, const char *elem,
			   const char *prefix, const char *name)
{
	xmlNodePtr n;
	int idx = 0;
	char nm[128];

	for (n = child(devices, elem); n; n = next_elem(n, elem), idx++) {
		dev_name(n, prefix, idx, nm, sizeof nm);
		if (!strcmp(nm, name))
			return n;
	}
	return NULL;
}

/* ------------------------------------------------------------ networks */

/* The store network a libvirt interface is connected to: a bridge maps
 * to the bridged network with that uplink, a libvirt network to the
 * store network of that name.  "" when not connected. */
static void iface_network(xmlNodePtr ifc, const void *buf, char *out,
			  size_t outlen)
{
	char type[32], src[256], nm[PS_CFG_NAME_MAX + 1], up[256];
	int net = -1;

	attr(ifc, "type", type, sizeof type);
	out[0] = '\0';
	if (!strcmp(type, "network")) {
		attr(child(ifc, "source"), "network", src, sizeof src);
		snprintf(out, outlen, "%s", src);
		return;
	}
	if (strcmp(type, "bridge")) {
		if (strcmp(type, "user"))
			snprintf(out, outlen, "%s:", type);
		return;
	}
	attr(child(ifc, "source"), "bridge", src, sizeof src);
	while (buf && (net = ps_obj_next(buf, psf_root(buf), PS_OBJ_NETWORK,
					 net)) >= 0) {
		uint32_t len;
		const uint8_t *rec = psf_child_payload(buf, net,
						       PSF_NETWORK_CONFIG, &len);
		const char *u = psf_child_payload(buf, net, PSF_UPLINK, &len);

		if (!rec)
			len = 0;
		if (psf_field_uint(rec, len, PSF_NETC_KIND, 1) != PSF_NET_BRIDGED)
			continue;
		u = psf_child_payload(buf, net, PSF_UPLINK, &len);
		snprintf(up, sizeof up, "%.*s", u ? (int)len : 0, u ? u : "");
		if (!strcmp(up, src)) {
			ps_obj_key(buf, net, PS_OBJ_NETWORK, nm, sizeof nm);
			snprintf(out, outlen, "%s", nm);
			return;
		}
	}
	snprintf(out, outlen, "bridge:%.240s", src);
}

/* How a store network is reached: type and source for <interface>. */
static int network_source(const void *buf, const char *name, char *type,
			  char *src_attr, char *src, size_t srclen)
{
	int net = ps_obj_find(buf, psf_root(buf), PS_OBJ_NETWORK, name,
			      strlen(name));
	uint32_t len;
	const uint8_t *rec;
	const char *u;

	if (net < 0)
		return -1;
	rec = psf_child_payload(buf, net, PSF_NETWORK_CONFIG, &len);
	if (!rec)
		len = 0;
	if (psf_field_uint(rec, len, PSF_NETC_KIND, 1) == PSF_NET_BRIDGED) {
		u = psf_child_payload(buf, net, PSF_UPLINK, &len);
		strcpy(type, "bridge");
		strcpy(src_attr, "bridge");
		snprintf(src, srclen, "%.*s", u ? (int)len : 0, u ? u : name);
		if (!u || !len)
			snprintf(src, srclen, "%s", name);
	} else {
		strcpy(type, "network");
		strcpy(src_attr, "network");
		snprintf(src, srclen, "%s", name);
	}
	return 0;
}

/* ------------------------------------------------------------ flatten */

struct bootdev {
	long order;
	char key[160];
};

static int by_order(const void *a, const void *b)
{
	const struct bootdev *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Remember a device's <boot order>, to rank them all at the end. */
static void note_boot(xmlNodePtr dev, const char *key, struct bootdev *bd,
		      size_t *nb, size_t max)
{
	char o[32];

	if (*nb >= max || !*attr(child(dev, "boot"), "order", o, sizeof o))
		return;
	bd[*nb].order = strtol(o, NULL, 10);
	snprintf(bd[*nb].key, sizeof bd[*nb].key, "%s", key);
	(*nb)++;
}

static int flat_ifaces(xmlNodePtr devs, const void *buf, struct hv_kv *out,
		       struct bootdev *bd, size_t *nb)
{
	xmlNodePtr n;
	int idx = 0, rc = 0;

	for (n = child(devs, "interface"); n && !rc;
	     n = next_elem(n, "interface"), idx++) {
		char name[128], key[192], v[256];

		dev_name(n, "net", idx, name, sizeof name);
		snprintf(key, sizeof key, "nic.%s", name);
		rc = hv_kv_set(out, key, "1");
		if (!rc && *attr(child(n, "mac"), "address", v, sizeof v)) {
			snprintf(key, sizeof key, "nic.%s.mac", name);
			rc = hv_kv_set(out, key, v);
		}
		iface_network(n, buf, v, sizeof v);
		if (!rc && *v) {
			snprintf(key, sizeof key, "nic.%s.network", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && *attr(child(n, "model"), "type", v, sizeof v)) {
			snprintf(key, sizeof key, "nic.%s.model", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && !strcmp(attr(child(n, "link"), "state", v, sizeof v),
				   "down")) {
			snprintf(key, sizeof key, "nic.%s.link", name);
			rc = hv_kv_set(out, key, "down");
		}
		snprintf(key, sizeof key, "nic.%s.boot", name);
		note_boot(n, key, bd, nb, 64);
	}
	return rc;
}

static int flat_disks(xmlNodePtr devs, struct hv_kv *out, struct bootdev *bd,
		      size_t *nb)
{
	xmlNodePtr n;
	int idx = 0, rc = 0;

	for (n = child(devs, "disk"); n && !rc; n = next_elem(n, "disk"),
	     idx++) {
		char name[128], key[192], v[1024];
		xmlNodePtr src = child(n, "source");

		dev_name(n, "disk", idx, name, sizeof name);
		snprintf(key, sizeof key, "disk.%s", name);
		attr(n, "device", v, sizeof v);
		rc = hv_kv_set(out, key, *v ? v : "disk");
		if (!*attr(src, "file", v, sizeof v))
			attr(src, "dev", v, sizeof v);
		if (!rc && *v) {
			snprintf(key, sizeof key, "disk.%s.path", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && *attr(child(n, "driver"), "type", v, sizeof v)) {
			snprintf(key, sizeof key, "disk.%s.format", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && child(n, "readonly")) {
			snprintf(key, sizeof key, "disk.%s.readonly", name);
			rc = hv_kv_set(out, key, "1");
		}
		if (!rc && *attr(child(n, "target"), "bus", v, sizeof v)) {
			snprintf(key, sizeof key, "disk.%s.bus", name);
			rc = hv_kv_set(out, key, v);
		}
		snprintf(key, sizeof key, "disk.%s.boot", name);
		note_boot(n, key, bd, nb, 64);
	}
	return rc;
}

static int flat_serials(xmlNodePtr devs, struct hv_kv *out)
{
	xmlNodePtr n;
	int idx = 0, rc = 0;

	for (n = child(devs, "serial"); n && !rc; n = next_elem(n, "serial"),
	     idx++) {
		char key[64], type[32], port[16], path[512];
		const char *base, *dot;

		if (!*attr(child(n, "target"), "port", port, sizeof port))
			snprintf(port, sizeof port, "%d", idx);
		snprintf(key, sizeof key, "serial.%s", port);
		rc = hv_kv_set(out, key, attr(n, "type", type, sizeof type));
		if (rc || strcmp(type, "unix"))
			continue;
		attr(child(n, "source"), "path", path, sizeof path);
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		dot = strrchr(base, '.');
		snprintf(key, sizeof key, "serial.%s.host", port);
		rc = hv_kv_setf(out, key, "%.*s",
				(int)(dot && !strcmp(dot, ".sock")
					      ? (size_t)(dot - base)
					      : strlen(base)),
				base);
	}
	return rc;
}

static uint64_t memory_kib(xmlNodePtr mem)
{
	char v[64], unit[16];
	uint64_t n = strtoull(text(mem, v, sizeof v), NULL, 10);

	attr(mem, "unit", unit, sizeof unit);
	if (!*unit || !strcasecmp(unit, "KiB") || !strcasecmp(unit, "k"))
		return n;
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "bytes"))
		return n / 1024;
	if (!strcasecmp(unit, "MiB") || !strcasecmp(unit, "M"))
		return n << 10;
	if (!strcasecmp(unit, "GiB") || !strcasecmp(unit, "G"))
		return n << 20;
	if (!strcasecmp(unit, "TiB") || !strcasecmp(unit, "T"))
		return n << 30;
	return n;
}

static xmlNodePtr smbios_entry(xmlNodePtr root, const char *name)
{
	xmlNodePtr si, sys, e;
	char v[64];

	for (si = child(root, "sysinfo"); si; si = next_elem(si, "sysinfo")) {
		if (strcmp(attr(si, "type", v, sizeof v), "smbios"))
			continue;
		sys = child(si, "system");
		for (e = child(sys, "entry"); e; e = next_elem(e, "entry"))
			if (!strcmp(attr(e, "name", v, sizeof v), name))
				return e;
	}
	return NULL;
}

int hv_dom_flatten(xmlDocPtr doc, const void *buf, const struct hv_mapcfg *c,
		   struct hv_kv *out, int autostart)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), devs;
	struct bootdev bd[64];
	size_t nb = 0, i;
	char v[4096];
	int rc;

	(void)c;
	hv_kv_free(out);
	if (!is_elem(root, "domain"))
		return -1;
	devs = child(root, "devices");
	rc = hv_kv_set(out, "name", text(child(root, "name"), v, sizeof v));
	if (!rc && *text(child(root, "description"), v, sizeof v))
		rc = hv_kv_set(out, "description", v);
	if (!rc && *text(smbios_entry(root, "serial"), v, sizeof v))
		rc = hv_kv_set(out, "serial", v);
	if (!rc)
		rc = hv_kv_setf(out, "memory-kib", "%llu",
				(unsigned long long)memory_kib(
					child(root, "memory")));
	if (!rc)
		rc = hv_kv_setf(out, "vcpus", "%lu",
				strtoul(text(child(root, "vcpu"), v, sizeof v),
					NULL, 10));
	if (!rc)
		rc = hv_kv_set(out, "power", autostart ? "on" : "off");
	if (!rc)
		rc = flat_ifaces(devs, buf, out, bd, &nb);
	if (!rc)
		rc = flat_disks(devs, out, bd, &nb);
	if (!rc)
		rc = flat_serials(devs, out);
	qsort(bd, nb, sizeof bd[0], by_order);
	for (i = 0; i < nb && !rc; i++)
		rc = hv_kv_setf(out, bd[i].key, "%zu", i + 1);
	return rc;
}

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

static int apply_iface(xmlNodePtr ifc, const struct hv_kv *m,
		       const char *name, const void *buf, const char **why)
{
	const char *mac = get(m, "nic.%s.mac", name);
	const char *net = get(m, "nic.%s.network", name);
	const char *model = get(m, "nic.%s.model", name);
	const char *link = get(m, "nic.%s.link", name);
	char type[32] = "user", sattr[16] = "", src[256] = "", cur[256];

	if (net && network_source(buf, net, type, sattr, src, sizeof src)) {
		*why = "NIC refers to a network the store does not define";
		return -1;
	}
	iface_network(ifc, buf, cur, sizeof cur);
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
	set_boot(ifc, get(m, "nic.%s.boot", name));
	set_alias(ifc, name);
	return 0;
}

static void apply_ifaces(xmlNodePtr devs, const struct hv_kv *m,
			 const void *buf, const char **why, int *rc)
{
	xmlNodePtr n, nx;
	int idx = 0;
	size_t i;
	char name[128];

	for (n = child(devs, "interface"); n; n = nx, idx++) {
		nx = next_elem(n, "interface");
		dev_name(n, "net", idx, name, sizeof name);
		if (!present(m, "nic", name))
			drop(n);
	}
	for (i = 0; i < m->n && !*rc; i++) {
		const char *k = m->p[i].k;

		if (strncmp(k, "nic.", 4) || strchr(k + 4, '.'))
			continue;
		n = find_dev(devs, "interface", "net", k + 4);
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
	xmlNodePtr n, nx;
	int idx = 0;
	size_t i;
	char name[128];

	for (n = child(devs, "disk"); n; n = nx, idx++) {
		nx = next_elem(n, "disk");
		dev_name(n, "disk", idx, name, sizeof name);
		if (!present(m, "disk", name))
			drop(n);
	}
	for (i = 0; i < m->n; i++) {
		const char *k = m->p[i].k;

		if (strncmp(k, "disk.", 5) || strchr(k + 5, '.'))
			continue;
		n = find_dev(devs, "disk", "disk", k + 5);
		if (!n) {
			n = xmlNewChild(devs, NULL, X("disk"), NULL);
			xmlSetProp(n, X("type"), X("file"));
		}
		apply_disk(devs, n, m, k + 5);
	}
}

/* Rebuild one <serial> from the map: pty, or a unix socket named after
 * the mapping's host name; a log file either way. */
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
		xmlSetProp(n, X("mode"), X("bind"));
		xmlSetProp(n, X("path"), X(path));
	}
	snprintf(path, sizeof path, "%s/%s-serial%s.log", c->serial_log_dir,
		 vmname, port);
	n = xmlNewChild(s, NULL, X("log"), NULL);
	xmlSetProp(n, X("file"), X(path));
	xmlSetProp(n, X("append"), X("on"));
	n = xmlNewChild(s, NULL, X("target"), NULL);
	xmlSetProp(n, X("port"), X(port));
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
	e = smbios_entry(root, "serial");
	if (serial) {
		if (!e) {
			e = xmlNewChild(sys, NULL, X("entry"), NULL);
			xmlSetProp(e, X("name"), X("serial"));
		}
		set_text(e, serial);
	} else {
		drop(e);
	}
	e = smbios_entry(root, "uuid");
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

xmlDocPtr hv_dom_skeleton(const struct hv_mapcfg *c)
{
	char xml[512];

	snprintf(xml, sizeof xml,
		 "<domain type='%s'><name>new</name>"
		 "<memory unit='KiB'>%llu</memory><vcpu>1</vcpu>"
		 "<os><type arch='%s'>hvm</type></os><devices/></domain>",
		 c->domain_type, (unsigned long long)c->default_memory_kib,
		 c->arch);
	return xmlReadMemory(xml, (int)strlen(xml), "new.xml", NULL,
			     XML_PARSE_NONET);
}
