/*
 * hv_map_store.c - the store side of the mapping: a store VM as a field
 * map, and changed fields written back through the edit layer
 * (ps_obj_*), which validates them as it does for psctl and the BMC.
 */
#include <stdlib.h>
#include <string.h>

#include "hv.h"

static const char *const model_names[] = { NULL, "virtio", "e1000",
					   "rtl8139" };
static const char *const bus_names[] = { NULL, "virtio", "sata", "ide",
					 "scsi", "usb" };

/* A string child as a NUL-terminated copy in out (truncated); "" when
 * absent. */
static const char *child_str(const void *buf, int parent, uint32_t sig,
			     char *out, size_t outlen)
{
	uint32_t len;
	const char *p = psf_child_payload(buf, parent, sig, &len);

	if (!p)
		len = 0;
	if (len >= outlen)
		len = (uint32_t)outlen - 1;
	if (len)
		memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

/* A record child's payload (NULL and *len 0 when absent: all defaults). */
static const uint8_t *record(const void *buf, int parent, uint32_t sig,
			     uint32_t *len)
{
	const uint8_t *p = psf_child_payload(buf, parent, sig, len);

	if (!p)
		*len = 0;
	return p;
}

int hv_store_vm_uuid(const void *buf, int vm, uint8_t uuid[16])
{
	uint32_t len;
	const uint8_t *rec = record(buf, vm, PSF_VM_CONFIG, &len);
	static const uint8_t zero[16];

	psf_field_bytes(rec, len, PSF_VMC_UUID, uuid, 16);
	return memcmp(uuid, zero, 16) ? 0 : -1;
}

int hv_store_images(const void *buf, struct hv_index *out)
{
	int img = -1;

	while ((img = ps_obj_next(buf, psf_root(buf), PS_OBJ_IMAGE, img)) >= 0) {
		uint32_t len;
		const char *name = psf_child_payload(buf, img, PSF_NAME, &len);

		if (name && hv_index_add(out, name, len, (size_t)img))
			return -1;
	}
	return 0;
}

/* The PATH and format of the image named name, or "" when none: from the
 * pass's index of images, else by a walk of the store. */
static int image_of(const void *buf, struct hv_index *images,
		    const char *name, char *path, size_t plen,
		    const char **format)
{
	const struct hv_index_ent *e = images ? hv_index_find(images, name,
							      strlen(name))
					      : NULL;
	int img = images ? (e ? (int)e->val : -1)
			 : ps_obj_find(buf, psf_root(buf), PS_OBJ_IMAGE, name,
				       strlen(name));
	uint32_t len;
	const uint8_t *rec;

	path[0] = '\0';
	*format = "raw";
	if (img < 0)
		return -1;
	child_str(buf, img, PSF_PATH, path, plen);
	rec = record(buf, img, PSF_IMAGE_CONFIG, &len);
	if (psf_field_uint(rec, len, PSF_IMGC_FORMAT, 1) ==
	    PSF_IMAGE_FORMAT_QCOW2)
		*format = "qcow2";
	return 0;
}

/* The NIC's network's VLAN id and MTU as keys (0, the default: absent):
 * libvirt has them per interface, the store per network. */
static int network_keys(const void *buf, const char *net, const char *nic,
			struct hv_kv *out)
{
	int el = ps_obj_find(buf, psf_root(buf), PS_OBJ_NETWORK, net,
			     strlen(net));
	uint32_t len;
	const uint8_t *rec;
	uint64_t vlan, mtu;
	char key[160];
	int rc = 0;

	if (el < 0)
		return 0;
	rec = record(buf, el, PSF_NETWORK_CONFIG, &len);
	vlan = psf_field_uint(rec, len, PSF_NETC_VLAN, 2);
	mtu = psf_field_uint(rec, len, PSF_NETC_MTU, 4);
	if (vlan) {
		snprintf(key, sizeof key, "nic.%s.vlan", nic);
		rc = hv_kv_setf(out, key, "%llu", (unsigned long long)vlan);
	}
	if (!rc && mtu) {
		snprintf(key, sizeof key, "nic.%s.mtu", nic);
		rc = hv_kv_setf(out, key, "%llu", (unsigned long long)mtu);
	}
	return rc;
}

/* ------------------------------------------------------------ boot ranks */

/*
 * The store says boot order as a list of device classes, a bootable flag
 * per controller and PXE on one NIC; libvirt as a per-device rank.  The
 * ranks: walk the list (empty: disk, cdrom, network); "disk" ranks every
 * bootable disk controller in set order, "cdrom" every bootable CD/DVD,
 * "network" the PXE NIC when PXE is on.  PXE on without "network" in the
 * list tries the network last.
 */
static int boot_ranks(const void *buf, int vm, struct hv_kv *out)
{
	static const uint8_t deflist[] = { PSF_BOOT_DISK, PSF_BOOT_CDROM,
					   PSF_BOOT_NETWORK };
	uint8_t list[PS_CFG_BOOT_MAX + 1];
	uint32_t n = 0, len, i;
	const uint8_t *bl = psf_child_payload(buf, vm, PSF_BOOT_ORDER, &len);
	const uint8_t *rec = record(buf, vm, PSF_VM_CONFIG, &len);
	uint32_t rlen = len;
	int pxe = psf_field_uint(rec, rlen, PSF_VMC_PXE, 1) == PSF_PXE_ON;
	unsigned pxe_nic = (unsigned)psf_field_uint(rec, rlen, PSF_VMC_PXE_NIC,
						    2);
	int has_net = 0, rank = 1, rc = 0;

	bl = psf_child_payload(buf, vm, PSF_BOOT_ORDER, &len);
	if (bl && len) {
		for (i = 0; i < len && n < PS_CFG_BOOT_MAX; i++)
			list[n++] = bl[i];
	} else {
		memcpy(list, deflist, sizeof deflist);
		n = sizeof deflist;
	}
	for (i = 0; i < n; i++)
		has_net |= list[i] == PSF_BOOT_NETWORK;
	if (pxe && !has_net)
		list[n++] = PSF_BOOT_NETWORK;
	for (i = 0; i < n && !rc; i++) {
		char key[160], name[PS_CFG_NAME_MAX + 1];
		int el = -1;
		unsigned idx = 0;

		if (list[i] == PSF_BOOT_DISK || list[i] == PSF_BOOT_CDROM) {
			uint8_t want = list[i] == PSF_BOOT_DISK
					       ? PSF_MEDIA_DISK
					       : PSF_MEDIA_CDROM;
			while ((el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER,
						 el)) >= 0 && !rc) {
				const uint8_t *c = record(
					buf, el, PSF_CONTROLLER_CONFIG, &len);

				if (psf_field_uint(c, len, PSF_CTLC_MEDIA, 1) !=
					    want ||
				    !(psf_field_uint(c, len, PSF_CTLC_FLAGS, 1) &
				      PSF_CTLF_BOOTABLE))
					continue;
				child_str(buf, el, PSF_NAME, name, sizeof name);
				snprintf(key, sizeof key, "disk.%s.boot", name);
				if (!hv_kv_get(out, key))
					rc = hv_kv_setf(out, key, "%d", rank++);
			}
		} else if (list[i] == PSF_BOOT_NETWORK && pxe) {
			while ((el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) >= 0)
				if (idx++ == pxe_nic)
					break;
			if (el < 0)
				continue;
			child_str(buf, el, PSF_NAME, name, sizeof name);
			snprintf(key, sizeof key, "nic.%s.boot", name);
			if (!hv_kv_get(out, key))
				rc = hv_kv_setf(out, key, "%d", rank++);
		}
	}
	return rc;
}

/* ------------------------------------------------------------ flatten */

static int flatten_nics(const void *buf, int vm, struct hv_kv *out)
{
	int el = -1, rc = 0;

	while (!rc && (el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) >= 0) {
		char name[PS_CFG_NAME_MAX + 1], key[160], net[PS_CFG_NAME_MAX + 1];
		uint8_t mac[6];
		static const uint8_t zero[6];
		uint32_t len;
		const uint8_t *rec = record(buf, el, PSF_NIC_CONFIG, &len);
		unsigned model = (unsigned)psf_field_uint(rec, len,
							  PSF_NICC_MODEL, 1);

		child_str(buf, el, PSF_NAME, name, sizeof name);
		snprintf(key, sizeof key, "nic.%s", name);
		rc = hv_kv_set(out, key, "1");
		psf_field_bytes(rec, len, PSF_NICC_MAC, mac, 6);
		if (!rc && memcmp(mac, zero, 6)) {
			char t[18];

			ps_fmt_mac(mac, t);
			snprintf(key, sizeof key, "nic.%s.mac", name);
			rc = hv_kv_set(out, key, t);
		}
		if (!rc && *child_str(buf, el, PSF_NETWORK_REF, net,
				      sizeof net)) {
			snprintf(key, sizeof key, "nic.%s.network", name);
			rc = hv_kv_set(out, key, net);
			if (!rc)
				rc = network_keys(buf, net, name, out);
		}
		if (!rc && model && model < 4) {
			snprintf(key, sizeof key, "nic.%s.model", name);
			rc = hv_kv_set(out, key, model_names[model]);
		}
		if (!rc && (psf_field_uint(rec, len, PSF_NICC_FLAGS, 1) &
			    PSF_NICF_LINK_DOWN)) {
			snprintf(key, sizeof key, "nic.%s.link", name);
			rc = hv_kv_set(out, key, "down");
		}
	}
	return rc;
}

static int flatten_disks(const void *buf, int vm, struct hv_index *images,
			 struct hv_kv *out)
{
	int el = -1, rc = 0;

	while (!rc && (el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el)) >= 0) {
		char name[PS_CFG_NAME_MAX + 1], key[160];
		char img[PS_CFG_NAME_MAX + 1], path[PS_CFG_TEXT_MAX + 1];
		const char *format = "raw";
		uint32_t len;
		const uint8_t *rec = record(buf, el, PSF_CONTROLLER_CONFIG, &len);
		unsigned media = (unsigned)psf_field_uint(rec, len,
							  PSF_CTLC_MEDIA, 1);
		unsigned flags = (unsigned)psf_field_uint(rec, len,
							  PSF_CTLC_FLAGS, 1);
		unsigned bus = (unsigned)psf_field_uint(rec, len, PSF_CTLC_BUS, 1);

		child_str(buf, el, PSF_NAME, name, sizeof name);
		snprintf(key, sizeof key, "disk.%s", name);
		rc = hv_kv_set(out, key, media == PSF_MEDIA_CDROM ? "cdrom"
								  : "disk");
		if (!rc && *child_str(buf, el, PSF_IMAGE_REF, img, sizeof img) &&
		    !image_of(buf, images, img, path, sizeof path, &format) &&
		    *path) {
			snprintf(key, sizeof key, "disk.%s.path", name);
			rc = hv_kv_set(out, key, path);
			snprintf(key, sizeof key, "disk.%s.format", name);
			if (!rc)
				rc = hv_kv_set(out, key, format);
		}
		if (!rc && (flags & PSF_CTLF_READONLY)) {
			snprintf(key, sizeof key, "disk.%s.readonly", name);
			rc = hv_kv_set(out, key, "1");
		}
		if (!rc && bus && bus < 6) {
			snprintf(key, sizeof key, "disk.%s.bus", name);
			rc = hv_kv_set(out, key, bus_names[bus]);
		}
	}
	return rc;
}

void hv_serial_host(const void *buf, int el, const char *vmname,
		    unsigned port, char *out, size_t n)
{
	if (!*child_str(buf, el, PSF_HOSTNAME, out, n))
		snprintf(out, n, "%s-serial%u", vmname, port);
}

unsigned hv_serial_of(const void *buf, int el, unsigned *conc)
{
	uint32_t len;
	const uint8_t *rec = record(buf, el, PSF_SERIAL_CONFIG, &len);

	*conc = (unsigned)psf_field_uint(rec, len, PSF_SERC_CONCENTRATOR, 2);
	return (unsigned)psf_field_uint(rec, len, PSF_SERC_PORT, 2);
}

void hv_console_host(const char *vmname, unsigned port, unsigned count,
		     char *out, size_t n)
{
	if (count == 1)
		snprintf(out, n, "%s", vmname);
	else
		snprintf(out, n, "%s-%u", vmname, port);
}

int hv_store_vm_by_uuid(const void *buf, const uint8_t uuid[16])
{
	int vm = -1;
	uint8_t u[16];

	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0)
		if (!hv_store_vm_uuid(buf, vm, u) && !memcmp(u, uuid, 16))
			return vm;
	return -1;
}

static int flatten_serials(const void *buf, int vm, const char *vmname,
			   const struct hv_mapcfg *c, struct hv_kv *out)
{
	int el = -1, rc = 0;
	unsigned i;

	while (!rc && (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) >= 0) {
		char key[64], host[256];
		unsigned conc, port = hv_serial_of(buf, el, &conc);

		snprintf(key, sizeof key, "serial.%u", port);
		rc = hv_kv_set(out, key, conc ? "unix" : "pty");
		if (rc || !conc)
			continue;
		hv_serial_host(buf, el, vmname, port, host, sizeof host);
		snprintf(key, sizeof key, "serial.%u.host", port);
		rc = hv_kv_set(out, key, host);
	}
	/* Consoles allocated at launch: a VM without serial ports has the
	 * ports its allocation will give (the same keys before and after,
	 * so an allocation or a release never changes the domain). */
	if (el < 0 && ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1) < 0)
		for (i = 0; !rc && i < c->console_ports; i++) {
			char key[64], host[256];

			snprintf(key, sizeof key, "serial.%u", i);
			rc = hv_kv_set(out, key, "unix");
			hv_console_host(vmname, i, c->console_ports, host,
					sizeof host);
			snprintf(key, sizeof key, "serial.%u.host", i);
			if (!rc)
				rc = hv_kv_set(out, key, host);
		}
	return rc;
}

int hv_store_flatten(const void *buf, int vm, const struct hv_mapcfg *c,
		     struct hv_kv *out)
{
	return hv_store_flatten_ix(buf, vm, c, NULL, out);
}

int hv_store_flatten_ix(const void *buf, int vm, const struct hv_mapcfg *c,
			struct hv_index *images, struct hv_kv *out)
{
	char name[PS_CFG_NAME_MAX + 1], text[PS_CFG_TEXT_MAX + 1];
	char prof[PS_CFG_NAME_MAX + 1];
	uint32_t len;
	const uint8_t *rec = record(buf, vm, PSF_VM_CONFIG, &len);
	uint64_t mem = psf_field_uint(rec, len, PSF_VMC_MEMORY_KIB, 8);
	unsigned cpus = (unsigned)psf_field_uint(rec, len, PSF_VMC_VCPUS, 2);
	unsigned power = (unsigned)psf_field_uint(rec, len, PSF_VMC_POWER, 1);
	int rc;

	hv_kv_free(out);
	rc = hv_kv_set(out, "name", child_str(buf, vm, PSF_NAME, name,
					       sizeof name));
	if (!rc && *child_str(buf, vm, PSF_DESCRIPTION, text, sizeof text))
		rc = hv_kv_set(out, "description", text);
	if (!rc && *child_str(buf, vm, PSF_SERIAL_NUMBER, text, sizeof text))
		rc = hv_kv_set(out, "serial", text);
	/* Store only (never pushed or pulled): recorded so that a UUID
	 * change that comes with a profile assignment is told apart. */
	if (!rc && *child_str(buf, vm, PSF_PROFILE_REF, prof, sizeof prof))
		rc = hv_kv_set(out, HV_KEY_PROFILE, prof);
	if (!rc)
		rc = hv_kv_setf(out, "memory-kib", "%llu",
				(unsigned long long)(mem ? mem
						      : c->default_memory_kib));
	if (!rc)
		rc = hv_kv_setf(out, "vcpus", "%u", cpus ? cpus : 1);
	if (!rc)
		rc = hv_kv_set(out, "power", power == PSF_POWER_ON ? "on"
					     : power == PSF_POWER_LAST ? "last"
								       : "off");
	if (!rc)
		rc = flatten_nics(buf, vm, out);
	if (!rc)
		rc = flatten_disks(buf, vm, images, out);
	if (!rc)
		rc = flatten_serials(buf, vm, name, c, out);
	if (!rc)
		rc = boot_ranks(buf, vm, out);
	return rc ? PS_ERR_NOMEM : 0;
}

/* ------------------------------------------------------------ write back */

int hv_key_store_owned(const char *k)
{
	const char *last = strrchr(k, '.');

	if (!strncmp(k, "serial.", 7))
		return 1;   /* mapping to the concentrator: the BMC's */
	return last && !strcmp(last, ".format");
}

static int set_text(void *buf, size_t cap, int el, enum ps_obj k,
		    const char *field, const char *v, struct ps_cfg_err *e)
{
	return ps_obj_set(buf, cap, el, k, field, strlen(field), v ? v : "",
			  v ? strlen(v) : 0, e);
}

/* Split "nic.NAME.field" into kind prefix, object name and field ("" for
 * the presence key). */
static int split_key(const char *k, char *obj, size_t olen,
		     const char **field)
{
	const char *a = strchr(k, '.'), *b;

	if (!a)
		return -1;
	b = strchr(a + 1, '.');
	if (!b)
		b = a + 1 + strlen(a + 1);
	if ((size_t)(b - a - 1) >= olen)
		return -1;
	memcpy(obj, a + 1, (size_t)(b - a - 1));
	obj[b - a - 1] = '\0';
	*field = *b ? b + 1 : "";
	return 0;
}

/* An image name from a path's file name, made valid and unique. */
static void image_name_for(const void *buf, const char *path, char *out,
			   size_t outlen)
{
	const char *base = strrchr(path, '/');
	size_t i, n = 0;
	char stem[48];
	unsigned suffix = 1;

	base = base ? base + 1 : path;
	for (i = 0; base[i] && n < sizeof stem - 1; i++) {
		char ch = base[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '_' ||
			 (n && (ch == '.' || ch == '-'));
		stem[n++] = ok ? ch : '_';
	}
	if (!n)
		stem[n++] = 'i';
	stem[n] = '\0';
	snprintf(out, outlen, "%s", stem);
	while (ps_obj_find(buf, psf_root(buf), PS_OBJ_IMAGE, out,
			   strlen(out)) >= 0)
		snprintf(out, outlen, "%s-%u", stem, ++suffix);
}

/* The store image whose PATH is path; created (named after the file) when
 * none is. */
static int image_for_path(void *buf, size_t cap, const char *path,
			  const char *media, char *name, size_t nlen,
			  struct ps_cfg_err *e)
{
	int img = -1, rc;
	char p[PS_CFG_TEXT_MAX + 1];

	while ((img = ps_obj_next(buf, psf_root(buf), PS_OBJ_IMAGE, img)) >= 0)
		if (!strcmp(child_str(buf, img, PSF_PATH, p, sizeof p), path))
			return (int)ps_obj_key(buf, img, PS_OBJ_IMAGE, name,
					       nlen) > 0 ? 0 : -1;
	image_name_for(buf, path, name, nlen);
	img = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_IMAGE, name,
			    strlen(name), e);
	if (img < 0)
		return img;
	rc = set_text(buf, cap, img, PS_OBJ_IMAGE, "path", path, e);
	if (!rc && media && !strcmp(media, "cdrom"))
		rc = set_text(buf, cap, img, PS_OBJ_IMAGE, "media", "cdrom", e);
	if (!rc)
		hv_log(HV_INFO, "store: image '%s' created for %s", name, path);
	return rc;
}

static int put_vm_field(void *buf, size_t cap, int vm, const char *k,
			const char *v, struct ps_cfg_err *e)
{
	char t[64];

	if (!strcmp(k, "memory-kib")) {
		snprintf(t, sizeof t, "%sKiB", v ? v : "0");
		return set_text(buf, cap, vm, PS_OBJ_VM, "memory", t, e);
	}
	if (!strcmp(k, "vcpus"))
		return set_text(buf, cap, vm, PS_OBJ_VM, "cpus", v ? v : "1", e);
	if (!strcmp(k, "power"))
		return set_text(buf, cap, vm, PS_OBJ_VM, "power", v ? v : "off",
				e);
	if (!strcmp(k, "name") || !strcmp(k, "description") ||
	    !strcmp(k, "serial"))
		return set_text(buf, cap, vm, PS_OBJ_VM, k, v, e);
	e->field = k;
	e->why = "not a field hvagent maps";
	return PS_ERR_NOFIELD;
}

/* A NIC's VLAN or MTU changed in libvirt: the store keeps them per
 * network, so the NIC's network takes the value (every NIC on it gets it
 * at the next pass).  Absent: 0, untagged / the default MTU. */
static int put_network(void *buf, size_t cap, int nic, const char *field,
		       const char *v, struct ps_cfg_err *e)
{
	char net[PS_CFG_NAME_MAX + 1];
	int el;

	if (!*child_str(buf, nic, PSF_NETWORK_REF, net, sizeof net)) {
		e->field = field;
		e->why = "the NIC has no network to hold it";
		return PS_ERR_BADVALUE;
	}
	el = ps_obj_find(buf, psf_root(buf), PS_OBJ_NETWORK, net, strlen(net));
	if (el < 0)
		return el;
	return set_text(buf, cap, el, PS_OBJ_NETWORK, field, v ? v : "0", e);
}

static int put_nic(void *buf, size_t cap, int vm, const char *name,
		   const char *field, const char *v, struct ps_cfg_err *e)
{
	int el = ps_obj_find(buf, vm, PS_OBJ_NIC, name, strlen(name));

	if (!*field) {
		if (v && el < 0)
			el = ps_obj_create(buf, cap, vm, PS_OBJ_NIC, name,
					   strlen(name), e);
		else if (!v && el >= 0)
			return ps_obj_delete(buf, el, PS_OBJ_NIC, e);
		return el < 0 && v ? el : 0;
	}
	if (el < 0)
		return v ? el : 0;   /* deleted with its NIC */
	if (!strcmp(field, "mac"))
		return v ? set_text(buf, cap, el, PS_OBJ_NIC, "mac", v, e) : 0;
	if (!strcmp(field, "network"))
		return set_text(buf, cap, el, PS_OBJ_NIC, "network", v, e);
	if (!strcmp(field, "model"))
		return set_text(buf, cap, el, PS_OBJ_NIC, "model",
				v ? v : "default", e);
	if (!strcmp(field, "link"))
		return set_text(buf, cap, el, PS_OBJ_NIC, "link",
				v && !strcmp(v, "down") ? "off" : "on", e);
	if (!strcmp(field, "vlan") || !strcmp(field, "mtu"))
		return put_network(buf, cap, el, field, v, e);
	e->field = field;
	e->why = "not a NIC field hvagent maps";
	return PS_ERR_NOFIELD;
}

static int put_disk(void *buf, size_t cap, int vm, const char *name,
		    const char *field, const char *v, struct ps_cfg_err *e)
{
	int el = ps_obj_find(buf, vm, PS_OBJ_CONTROLLER, name, strlen(name));
	char img[PS_CFG_NAME_MAX + 1];
	int rc;

	if (!*field) {
		if (!v)
			return el >= 0 ? ps_obj_delete(buf, el,
						       PS_OBJ_CONTROLLER, e)
				       : 0;
		if (el < 0)
			el = ps_obj_create(buf, cap, vm, PS_OBJ_CONTROLLER, name,
					   strlen(name), e);
		if (el < 0)
			return el;
		return set_text(buf, cap, el, PS_OBJ_CONTROLLER, "media", v, e);
	}
	if (el < 0)
		return v ? el : 0;
	if (!strcmp(field, "path")) {
		char media[16];
		const struct ps_field *f = ps_obj_field(PS_OBJ_CONTROLLER,
							"media", 5);

		if (!v)
			return set_text(buf, cap, el, PS_OBJ_CONTROLLER, "image",
					NULL, e);
		ps_obj_get(buf, el, f, media, sizeof media);
		rc = image_for_path(buf, cap, v, media, img, sizeof img, e);
		/* Creating an image may move the VM's elements: find the
		 * controller again. */
		el = ps_obj_find(buf, vm, PS_OBJ_CONTROLLER, name, strlen(name));
		return rc ? rc : set_text(buf, cap, el, PS_OBJ_CONTROLLER,
					  "image", img, e);
	}
	if (!strcmp(field, "readonly"))
		return set_text(buf, cap, el, PS_OBJ_CONTROLLER, "writable",
				v ? "off" : "on", e);
	if (!strcmp(field, "bus"))
		return set_text(buf, cap, el, PS_OBJ_CONTROLLER, "bus",
				v ? v : "default", e);
	e->field = field;
	e->why = "not a storage field hvagent maps";
	return PS_ERR_NOFIELD;
}

static int put_serial(void *buf, size_t cap, int vm, const char *port,
		      const char *field, const char *v, struct ps_cfg_err *e)
{
	int el = ps_obj_find(buf, vm, PS_OBJ_SERIAL, port, strlen(port));

	if (*field)
		return 1;
	if (!v)
		return el >= 0 ? ps_obj_delete(buf, el, PS_OBJ_SERIAL, e) : 0;
	if (el >= 0)
		return 1;    /* pty <-> unix: the mapping is the store's */
	if (strcmp(v, "pty"))
		return 1;    /* a socket the store did not map */
	el = ps_obj_create(buf, cap, vm, PS_OBJ_SERIAL, port, strlen(port), e);
	return el < 0 ? el : 0;
}

int hv_store_put(void *buf, size_t cap, int vm, const char *k, const char *v,
		 const struct hv_mapcfg *c, struct ps_cfg_err *e)
{
	char obj[PS_CFG_NAME_MAX + 1];
	const char *field;
	const char *last = strrchr(k, '.');

	(void)c;
	if (last && !strcmp(last, ".boot"))
		return 0;    /* hv_store_boot writes these together */
	if (!strchr(k, '.'))
		return put_vm_field(buf, cap, vm, k, v, e);
	if (split_key(k, obj, sizeof obj, &field)) {
		e->field = k;
		e->why = "name too long";
		return PS_ERR_BADVALUE;
	}
	if (!strncmp(k, "nic.", 4))
		return put_nic(buf, cap, vm, obj, field, v, e);
	if (!strncmp(k, "disk.", 5)) {
		if (!strcmp(field, "format"))
			return 1;
		return put_disk(buf, cap, vm, obj, field, v, e);
	}
	if (!strncmp(k, "serial.", 7))
		return put_serial(buf, cap, vm, obj, field, v, e);
	e->field = k;
	e->why = "not a field hvagent maps";
	return PS_ERR_NOFIELD;
}

/* ------------------------------------------------------------ boot back */

struct ranked {
	long rank;
	char kind;     /* 'n' NIC, 'd' disk, 'c' CD/DVD */
	char name[PS_CFG_NAME_MAX + 1];
};

static int by_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static size_t collect_ranks(const struct hv_kv *m, struct ranked *r,
			    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < m->n && n < max; i++) {
		const char *k = m->p[i].k, *last = strrchr(k, '.');
		const char *field;
		char obj[PS_CFG_NAME_MAX + 1], pres[PS_CFG_NAME_MAX + 8];

		if (!last || strcmp(last, ".boot") ||
		    split_key(k, obj, sizeof obj, &field))
			continue;
		r[n].rank = strtol(m->p[i].v, NULL, 10);
		snprintf(r[n].name, sizeof r[n].name, "%s", obj);
		if (!strncmp(k, "nic.", 4)) {
			r[n].kind = 'n';
		} else {
			snprintf(pres, sizeof pres, "disk.%s", obj);
			r[n].kind = hv_kv_get(m, pres) &&
						    !strcmp(hv_kv_get(m, pres),
							    "cdrom")
					    ? 'c'
					    : 'd';
		}
		n++;
	}
	qsort(r, n, sizeof r[0], by_rank);
	return n;
}

int hv_store_boot(void *buf, size_t cap, int vm, const struct hv_kv *m,
		  struct ps_cfg_err *e)
{
	struct ranked r[64];
	size_t n = collect_ranks(m, r, 64), i;
	char list[64] = "", key[160];
	int el = -1, idx = 0, pxe_nic = -1, rc = 0;

	for (i = 0; i < n; i++) {
		const char *cls = r[i].kind == 'n' ? "network"
				  : r[i].kind == 'c' ? "cdrom" : "disk";

		if (!strstr(list, cls))
			snprintf(list + strlen(list), sizeof list - strlen(list),
				 "%s%s", *list ? "," : "", cls);
	}
	while (!rc && (el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el)) >= 0) {
		char name[PS_CFG_NAME_MAX + 1];

		ps_obj_key(buf, el, PS_OBJ_CONTROLLER, name, sizeof name);
		snprintf(key, sizeof key, "disk.%s.boot", name);
		rc = set_text(buf, cap, el, PS_OBJ_CONTROLLER, "bootable",
			      hv_kv_get(m, key) ? "on" : "off", e);
	}
	el = -1;
	while (!rc && pxe_nic < 0 &&
	       (el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) >= 0) {
		char name[PS_CFG_NAME_MAX + 1];

		ps_obj_key(buf, el, PS_OBJ_NIC, name, sizeof name);
		snprintf(key, sizeof key, "nic.%s.boot", name);
		if (hv_kv_get(m, key))
			pxe_nic = idx;
		idx++;
	}
	if (!rc)
		rc = set_text(buf, cap, vm, PS_OBJ_VM, "boot", list, e);
	if (!rc)
		rc = set_text(buf, cap, vm, PS_OBJ_VM, "pxe",
			      pxe_nic >= 0 ? "on" : "off", e);
	if (!rc && pxe_nic >= 0) {
		char t[16];

		snprintf(t, sizeof t, "%d", pxe_nic);
		rc = set_text(buf, cap, vm, PS_OBJ_VM, "pxe-nic", t, e);
	}
	return rc;
}
