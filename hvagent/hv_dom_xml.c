/*
 * hv_dom_xml.c - what the two directions of the libvirt mapping share
 * (hv_map_dom.c reads a domain, hv_dom_apply.c writes one): device names,
 * the store network behind an interface and back, SMBIOS entries; and a
 * new domain's skeleton.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "hv_dom.h"

/* ------------------------------------------------------------ device names */

/*
 * A device's name in the store is its user alias without the "ua-"
 * prefix; a device without one is named by kind and position ("net1",
 * "disk0"), which is how a domain defined elsewhere gets its devices
 * adopted.  hv_dom_apply gives every device it writes its alias.
 */
void hvx_dev_name(xmlNodePtr dev, const char *prefix, int idx, char *out,
		  size_t outlen)
{
	char a[128];

	attr(child(dev, "alias"), "name", a, sizeof a);
	if (!strncmp(a, "ua-", 3) && a[3])
		snprintf(out, outlen, "%s", a + 3);
	else
		snprintf(out, outlen, "%s%d", prefix, idx);
}

xmlNodePtr hvx_find_dev(xmlNodePtr devices, const char *elem,
			const char *prefix, const char *name)
{
	xmlNodePtr n;
	int idx = 0;
	char nm[128];

	for (n = child(devices, elem); n; n = next_elem(n, elem), idx++) {
		hvx_dev_name(n, prefix, idx, nm, sizeof nm);
		if (!strcmp(nm, name))
			return n;
}
	return NULL;
}

/* ------------------------------------------------------------ networks */

/* The store network a libvirt interface is connected to: a bridge maps
 * to the bridged network with that uplink, a libvirt network to the
 * store network of that name.  "" when not connected. */
void hvx_iface_network(xmlNodePtr ifc, const void *buf, char *out,
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
int hvx_network_source(const void *buf, const char *name, char *type,
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

/* ------------------------------------------------------------ sysinfo */

xmlNodePtr hvx_smbios_entry(xmlNodePtr root, const char *name)
{
	xmlNodePtr si, sys, e;
	char v[64];

	for (si = child(root, "sysinfo"); si;
	     si = next_elem(si, "sysinfo")) {
		if (strcmp(attr(si, "type", v, sizeof v), "smbios"))
			continue;
		sys = child(si, "system");
		for (e = child(sys, "entry"); e;
		     e = next_elem(e, "entry"))
			if (!strcmp(attr(e, "name", v, sizeof v), name))
				return e;
	}
	return NULL;
}

/* ------------------------------------------------------------ skeleton */

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
