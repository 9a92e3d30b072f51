/*
 * hv_map_dom.c - the libvirt side of the mapping, read: a domain's XML
 * as a field map.  Only the elements the store models are read; the
 * other direction is hv_dom_apply.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "hv_dom.h"

xmlDocPtr hv_dom_doc(virDomainPtr dom)
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

		hvx_dev_name(n, "net", idx, name, sizeof name);
		snprintf(key, sizeof key, "nic.%s", name);
		rc = hv_kv_set(out, key, "1");
		if (!rc && *attr(child(n, "mac"), "address", v, sizeof v)) {
			snprintf(key, sizeof key, "nic.%s.mac", name);
			rc = hv_kv_set(out, key, v);
		}
		hvx_iface_network(n, buf, v, sizeof v);
		if (!rc && *v) {
			snprintf(key, sizeof key, "nic.%s.network", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && *attr(child(n, "model"), "type", v, sizeof v)) {
			snprintf(key, sizeof key, "nic.%s.model", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && *attr(child(child(n, "vlan"), "tag"), "id", v,
				 sizeof v)) {
			snprintf(key, sizeof key, "nic.%s.vlan", name);
			rc = hv_kv_set(out, key, v);
		}
		if (!rc && *attr(child(n, "mtu"), "size", v, sizeof v)) {
			snprintf(key, sizeof key, "nic.%s.mtu", name);
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

		hvx_dev_name(n, "disk", idx, name, sizeof name);
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
	if (!rc && *text(hvx_smbios_entry(root, "serial"), v, sizeof v))
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
