/*
 * hv_dom.h - shared by the sources of the libvirt mapping (hv_dom_xml.c,
 * hv_map_dom.c, hv_dom_apply.c) only.  The element helpers are small
 * enough to be inline here; the rest is in hv_dom_xml.c.
 */
#ifndef HV_DOM_H
#define HV_DOM_H

#include <libxml/tree.h>

#include "hv.h"

#define X(s) ((const xmlChar *)(s))

/* ------------------------------------------------------------ XML helpers */

static inline int is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, X(name));
}

static inline xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static inline xmlNodePtr next_elem(xmlNodePtr n, const char *name)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static inline xmlNodePtr ensure(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = child(parent, name);

	return n ? n : xmlNewChild(parent, NULL, X(name), NULL);
}

static inline void drop(xmlNodePtr n)
{
	if (n) {
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
}

static inline void drop_all(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	while ((n = child(parent, name)))
		drop(n);
}

/* Attribute as text in out ("" when absent). */
static inline const char *attr(xmlNodePtr n, const char *name,
			       char *out, size_t outlen)
{
	xmlChar *v = n ? xmlGetProp(n, X(name)) : NULL;

	snprintf(out, outlen, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return out;
}

static inline const char *text(xmlNodePtr n, char *out, size_t outlen)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;

	snprintf(out, outlen, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return out;
}

static inline void set_text(xmlNodePtr n, const char *v)
{
	xmlChar *enc = xmlEncodeSpecialChars(n->doc, X(v));

	xmlNodeSetContent(n, enc);
	xmlFree(enc);
}

/* <parent><name attr='v'/></parent>, replacing other attributes' values
 * only for attr. */
static inline xmlNodePtr set_child_attr(xmlNodePtr parent,
					const char *name, const char *a,
					const char *v)
{
	xmlNodePtr n = ensure(parent, name);

	xmlSetProp(n, X(a), X(v));
	return n;
}

/*
 * A device's name in the store is its user alias without the "ua-"
 * prefix; a device without one is named by kind and position ("net1",
 * "disk0"), which is how a domain defined elsewhere gets its devices
 * adopted.  hv_dom_apply gives every device it writes its alias.
 */
void hvx_dev_name(xmlNodePtr dev, const char *prefix, int idx, char *out,
		  size_t outlen);
xmlNodePtr hvx_find_dev(xmlNodePtr devices, const char *elem,
			const char *prefix, const char *name);

/* The store network a libvirt interface is connected to: a bridge maps
 * to the bridged network with that uplink, a libvirt network to the
 * store network of that name.  "" when not connected. */
void hvx_iface_network(xmlNodePtr ifc, const void *buf, char *out,
		       size_t outlen);

/* How a store network is reached: type and source for <interface>. */
int hvx_network_source(const void *buf, const char *name, char *type,
		       char *src_attr, char *src, size_t srclen);

/* The SMBIOS system entry name of the domain's <sysinfo type='smbios'>,
 * or NULL. */
xmlNodePtr hvx_smbios_entry(xmlNodePtr root, const char *name);

#endif /* HV_DOM_H */
