/*
 * ps_fields.c - the schema of the edit layer: every kind of object, its
 * set and record, and its fields with their types and limits
 * (docs/schema.md).  Freestanding.
 */
#include "ps_cfg_internal.h"

const struct ps_enum ps_enum_power[] = {
	{ "off", PSF_POWER_OFF }, { "on", PSF_POWER_ON },
	{ "last", PSF_POWER_LAST }, { NULL, 0 },
};
const struct ps_enum ps_enum_serial_mode[] = {
	{ "free", PSF_SERIAL_MODE_FREE },
	{ "observer", PSF_SERIAL_MODE_OBSERVER },
	{ "privacy", PSF_SERIAL_MODE_PRIVACY }, { NULL, 0 },
};
const struct ps_enum ps_enum_media[] = {
	{ "disk", PSF_MEDIA_DISK }, { "cdrom", PSF_MEDIA_CDROM }, { NULL, 0 },
};
static const struct ps_enum nic_models[] = {
	{ "default", PSF_NIC_MODEL_DEFAULT }, { "virtio", PSF_NIC_MODEL_VIRTIO },
	{ "e1000", PSF_NIC_MODEL_E1000 }, { "rtl8139", PSF_NIC_MODEL_RTL8139 },
	{ NULL, 0 },
};
static const struct ps_enum buses[] = {
	{ "default", PSF_BUS_DEFAULT }, { "virtio", PSF_BUS_VIRTIO },
	{ "sata", PSF_BUS_SATA }, { "ide", PSF_BUS_IDE },
	{ "scsi", PSF_BUS_SCSI }, { "usb", PSF_BUS_USB }, { NULL, 0 },
};
static const struct ps_enum net_kinds[] = {
	{ "bridged", PSF_NET_BRIDGED }, { "nat", PSF_NET_NAT },
	{ "isolated", PSF_NET_ISOLATED }, { NULL, 0 },
};
static const struct ps_enum image_formats[] = {
	{ "raw", PSF_IMAGE_FORMAT_RAW }, { "qcow2", PSF_IMAGE_FORMAT_QCOW2 },
	{ NULL, 0 },
};
static const struct ps_enum reserve_kinds[] = {
	{ "none", PSF_RESERVE_NONE }, { "cpu", PSF_RESERVE_CPU },
	{ "memory", PSF_RESERVE_MEMORY }, { "pci", PSF_RESERVE_PCI },
	{ "ioport", PSF_RESERVE_IOPORT }, { NULL, 0 },
};
static const struct ps_enum profile_states[] = {
	{ "unassigned", PSF_PROFILE_UNASSIGNED },
	{ "assigned", PSF_PROFILE_ASSIGNED },
	{ "in-transit", PSF_PROFILE_IN_TRANSIT }, { NULL, 0 },
};
static const struct ps_enum target_kinds[] = {
	{ "none", PSF_TARGET_NONE }, { "physical", PSF_TARGET_PHYSICAL },
	{ "vm", PSF_TARGET_VM }, { NULL, 0 },
};

/* Firmware builds may define PS_CFG_NO_HELP: the help lines are for
 * psctl's help and completion and the setup screen, never for a rule, and
 * the BMC shows none of them. */
#ifdef PS_CFG_NO_HELP
#define H(h) NULL
#else
#define H(h) h
#endif
#define STR(n, sig, t, h) { n, sig, t, 0, 0, 0, 0, 0, 0, NULL, H(h), 0 }
#define REF(n, sig, k, h) { n, sig, PS_FT_REF, 0, 0, k, 0, 0, 0, NULL, H(h), 0 }
#define UINT(n, rec, off, w, lo, hi, u, h) \
	{ n, rec, PS_FT_UINT, w, off, u, 0, lo, hi, NULL, H(h), 0 }
#define ENUM(n, rec, off, names, h) \
	{ n, rec, PS_FT_ENUM, 1, off, 0, 0, 0, 0, names, H(h), 0 }
#define BOOL(n, rec, off, bit, inv, h) \
	{ n, rec, PS_FT_BOOL, 1, off, bit, 0, 0, inv, NULL, H(h), 0 }
#define BYTES(n, rec, t, off, w, h) { n, rec, t, w, off, 0, 0, 0, 0, NULL, H(h), 0 }
#define END { NULL, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0 }

static const struct ps_field vm_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	STR("description", PSF_DESCRIPTION, PS_FT_TEXT, "free text"),
	STR("serial", PSF_SERIAL_NUMBER, PS_FT_SERIAL, "SMBIOS serial"),
	BYTES("uuid", PSF_VM_CONFIG, PS_FT_UUID, PSF_VMC_UUID, 16,
	      "RFC 4122 UUID"),
	{ "memory", PSF_VM_CONFIG, PS_FT_SIZE, 8, PSF_VMC_MEMORY_KIB, 1024,
	  1u << 20, 0, 1ull << 34, NULL, H("size, e.g. 4GiB (bare: MiB)"), 0 },
	/* unit_in 1: the stored default 0 reads as 1 vCPU (schema.md). */
	{ "cpus", PSF_VM_CONFIG, PS_FT_UINT, 2, PSF_VMC_VCPUS, 0, 1, 1,
	  PS_CFG_CPUS_MAX, NULL, H("virtual CPUs 1-4096"), 0 },
	UINT("sockets", PSF_VM_CONFIG, PSF_VMC_SOCKETS, 2, 0, PS_CFG_CPUS_MAX,
	     0, "CPU sockets (0 = default)"),
	UINT("cores", PSF_VM_CONFIG, PSF_VMC_CORES, 2, 0, PS_CFG_CPUS_MAX, 0,
	     "cores per socket"),
	UINT("threads", PSF_VM_CONFIG, PSF_VMC_THREADS, 2, 0, PS_CFG_CPUS_MAX,
	     0, "threads per core"),
	ENUM("power", PSF_VM_CONFIG, PSF_VMC_POWER, ps_enum_power,
	     "off|on|last"),
	BOOL("pxe", PSF_VM_CONFIG, PSF_VMC_PXE, 1, 0, "network boot on|off"),
	UINT("pxe-nic", PSF_VM_CONFIG, PSF_VMC_PXE_NIC, 2, 0, 65535, 0,
	     "index of the NIC to PXE boot from"),
	STR("boot", PSF_BOOT_ORDER, PS_FT_BOOT, "e.g. network,disk,cdrom"),
	REF("profile", PSF_PROFILE_REF, PS_OBJ_PROFILE, "profile name"),
	/* The restart policy: fields of the VM's RESTART_POLICY container. */
	{ "restart-policy", PSF_RESTART_POLICY, PS_FT_PRESENCE, 0, 0, 0, 0, 0,
	  0, NULL, H("restart after a crash: on|off (off drops the log)"), 0 },
	{ "restart-consistency-image", PSF_CONSISTENCY_IMAGE, PS_FT_REF, 0, 0,
	  PS_OBJ_IMAGE, 0, 0, 0, NULL, H("image to restart from first"),
	  PSF_RESTART_POLICY },
	{ "restart-boot-image", PSF_BOOT_IMAGE, PS_FT_REF, 0, 0, PS_OBJ_IMAGE,
	  0, 0, 0, NULL, H("image to restart from next"), PSF_RESTART_POLICY },
	{ "restart-window", PSF_RESTART_CONFIG, PS_FT_DURATION, 4,
	  PSF_RSTC_WINDOW, 0, 0, 0, 0xffffffffu, NULL,
	  "e.g. 10m, 1h (bare: seconds; 0 = 10m)", PSF_RESTART_POLICY },
	{ "restart-limit", PSF_RESTART_CONFIG, PS_FT_UINT, 2, PSF_RSTC_LIMIT, 0,
	  0, 0, PSF_RESTART_LIMIT_MAX, NULL,
	  "restarts allowed within the window (0-15)",
	  PSF_RESTART_POLICY },
	{ "restart-log", PSF_RESTART_LOG, PS_FT_RLOG, 0, 0, 0, 0, 0, 0, NULL,
	  "restarts so far (\"\" clears)", PSF_RESTART_POLICY },
	END,
};

static const struct ps_field nic_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	REF("network", PSF_NETWORK_REF, PS_OBJ_NETWORK, "network name"),
	BYTES("mac", PSF_NIC_CONFIG, PS_FT_MAC, PSF_NICC_MAC, 6,
	      "unicast MAC aa:bb:cc:dd:ee:ff"),
	ENUM("model", PSF_NIC_CONFIG, PSF_NICC_MODEL, nic_models,
	     "default|virtio|e1000|rtl8139"),
	BOOL("link", PSF_NIC_CONFIG, PSF_NICC_FLAGS, PSF_NICF_LINK_DOWN, 1,
	     "cable plugged in: on|off"),
	END,
};

static const struct ps_field controller_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	REF("image", PSF_IMAGE_REF, PS_OBJ_IMAGE, "image name"),
	ENUM("media", PSF_CONTROLLER_CONFIG, PSF_CTLC_MEDIA, ps_enum_media,
	     "disk|cdrom"),
	BOOL("bootable", PSF_CONTROLLER_CONFIG, PSF_CTLC_FLAGS,
	     PSF_CTLF_BOOTABLE, 0, "on|off"),
	BOOL("writable", PSF_CONTROLLER_CONFIG, PSF_CTLC_FLAGS,
	     PSF_CTLF_READONLY, 1, "on|off"),
	ENUM("bus", PSF_CONTROLLER_CONFIG, PSF_CTLC_BUS, buses,
	     "default|virtio|sata|ide|scsi|usb"),
	END,
};

static const struct ps_field serial_fields[] = {
	UINT("port", PSF_SERIAL_CONFIG, PSF_SERC_PORT, 2, 0, 255, 2,
	     "guest port, 0 = COM1"),
	UINT("concentrator", PSF_SERIAL_CONFIG, PSF_SERC_CONCENTRATOR, 2, 0,
	     65535, 1, "concentrator port, 0 = not mapped"),
	ENUM("mode", PSF_SERIAL_CONFIG, PSF_SERC_MODE, ps_enum_serial_mode,
	     "free|observer|privacy"),
	STR("hostname", PSF_HOSTNAME, PS_FT_HOST, "published host name"),
	END,
};

static const struct ps_field network_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	STR("description", PSF_DESCRIPTION, PS_FT_TEXT, "free text"),
	STR("uplink", PSF_UPLINK, PS_FT_TEXT, "host interface or bridge"),
	ENUM("kind", PSF_NETWORK_CONFIG, PSF_NETC_KIND, net_kinds,
	     "bridged|nat|isolated"),
	UINT("vlan", PSF_NETWORK_CONFIG, PSF_NETC_VLAN, 2, 0, 4094, 0,
	     "802.1Q id 1-4094, 0 = untagged"),
	UINT("mtu", PSF_NETWORK_CONFIG, PSF_NETC_MTU, 4, 0, 65535, 0,
	     "bytes, 0 = default"),
	END,
};

static const struct ps_field image_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	STR("description", PSF_DESCRIPTION, PS_FT_TEXT, "free text"),
	STR("path", PSF_PATH, PS_FT_TEXT, "file on the hypervisor host"),
	{ "size", PSF_IMAGE_CONFIG, PS_FT_SIZE, 8, PSF_IMGC_SIZE_BYTES, 1, 1,
	  0, UINT64_MAX, NULL, H("virtual size, e.g. 20GiB"), 0 },
	ENUM("format", PSF_IMAGE_CONFIG, PSF_IMGC_FORMAT, image_formats,
	     "raw|qcow2"),
	ENUM("media", PSF_IMAGE_CONFIG, PSF_IMGC_MEDIA, ps_enum_media,
	     "disk|cdrom"),
	BOOL("shareable", PSF_IMAGE_CONFIG, PSF_IMGC_FLAGS, PSF_IMGF_SHAREABLE,
	     0, "on|off"),
	END,
};

static const struct ps_field reservation_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	REF("owner", PSF_OWNER, PS_OBJ_VM, "VM name; empty = hypervisor"),
	ENUM("kind", PSF_RESERVATION_CONFIG, PSF_RESC_KIND, reserve_kinds,
	     "none|cpu|memory|pci|ioport"),
	{ "first", PSF_RESERVATION_CONFIG, PS_FT_SIZE, 8, PSF_RESC_FIRST, 1, 1,
	  0, UINT64_MAX, NULL, H("first CPU / base / BDF / port"), 0 },
	{ "count", PSF_RESERVATION_CONFIG, PS_FT_SIZE, 8, PSF_RESC_COUNT, 1, 1,
	  0, UINT64_MAX, NULL, H("CPUs / bytes / functions / ports"), 0 },
	END,
};

static const struct ps_field profile_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	STR("description", PSF_DESCRIPTION, PS_FT_TEXT, "free text"),
	STR("serial", PSF_SERIAL_NUMBER, PS_FT_SERIAL, "server serial"),
	BYTES("uuid", PSF_PROFILE_CONFIG, PS_FT_UUID, PSF_PROC_UUID, 16,
	      "server UUID"),
	ENUM("state", PSF_PROFILE_CONFIG, PSF_PROC_STATE, profile_states,
	     "unassigned|assigned|in-transit"),
	ENUM("target-kind", PSF_PROFILE_CONFIG, PSF_PROC_TARGET_KIND,
	     target_kinds, "none|physical|vm"),
	STR("target", PSF_TARGET, PS_FT_TEXT, "bmc://HOST, image:PATH#VM, VM"),
	STR("macs", PSF_MAC_LIST, PS_FT_MACLIST, "MAC,MAC,..."),
	STR("wwns", PSF_WWN_LIST, PS_FT_WWNLIST, "WWNN/WWPN,..."),
	STR("fc-boot", PSF_FC_BOOT, PS_FT_FCBOOT, "WWPN/LUN,..."),
	STR("boot", PSF_BOOT_ORDER, PS_FT_BOOT, "e.g. network,disk"),
	END,
};

/* A server names a physical target; it has no record. */
static const struct ps_field server_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	STR("description", PSF_DESCRIPTION, PS_FT_TEXT, "free text"),
	STR("target", PSF_TARGET, PS_FT_PTARGET,
	    "bmc://HOST[:PORT], image:PATH, dev:DEV"),
	END,
};

const struct kind ps__kinds[PS_OBJ_COUNT] = {
	[PS_OBJ_VM] = { "vm", PSF_VMS, PSF_VM, PSF_VM_CONFIG, PSF_VMC_SIZE,
			PS_CFG_ROOM_VM, 0, 0, vm_fields },
	[PS_OBJ_NETWORK] = { "network", PSF_NETWORKS, PSF_NETWORK,
			     PSF_NETWORK_CONFIG, PSF_NETC_SIZE,
			     PS_CFG_ROOM_OTHER, 0, 0, network_fields },
	[PS_OBJ_IMAGE] = { "image", PSF_IMAGES, PSF_IMAGE, PSF_IMAGE_CONFIG,
			   PSF_IMGC_SIZE, PS_CFG_ROOM_OTHER, 0, 0,
			   image_fields },
	[PS_OBJ_RESERVATION] = { "reservation", PSF_RESERVATIONS,
				 PSF_RESERVATION, PSF_RESERVATION_CONFIG,
				 PSF_RESC_SIZE, PS_CFG_ROOM_OTHER, 0, 0,
				 reservation_fields },
	[PS_OBJ_PROFILE] = { "profile", PSF_PROFILES, PSF_PROFILE,
			     PSF_PROFILE_CONFIG, PSF_PROC_SIZE,
			     PS_CFG_ROOM_PROFILE, 0, 0, profile_fields },
	[PS_OBJ_NIC] = { "nic", PSF_NICS, PSF_NIC, PSF_NIC_CONFIG,
			 PSF_NICC_SIZE, PS_CFG_ROOM_SUB, 1, 0, nic_fields },
	[PS_OBJ_CONTROLLER] = { "controller", PSF_STORAGE, PSF_CONTROLLER,
				PSF_CONTROLLER_CONFIG, PSF_CTLC_SIZE,
				PS_CFG_ROOM_SUB, 1, 0, controller_fields },
	[PS_OBJ_SERIAL] = { "serial-port", PSF_SERIAL_PORTS, PSF_SERIAL_PORT,
			    PSF_SERIAL_CONFIG, PSF_SERC_SIZE, PS_CFG_ROOM_SUB,
			    1, 1, serial_fields },
	[PS_OBJ_SERVER] = { "server", PSF_SERVERS, PSF_SERVER, 0, 0,
			    PS_CFG_ROOM_OTHER, 0, 0, server_fields },
};

int ps__kind_ok(enum ps_obj k)
{
	return (unsigned)k < PS_OBJ_COUNT;
}

const char *ps_obj_name(enum ps_obj k)
{
	return ps__kind_ok(k) ? ps__kinds[k].name : "?";
}

const struct ps_field *ps_obj_fields(enum ps_obj k)
{
	return ps__kind_ok(k) ? ps__kinds[k].fields : NULL;
}

const struct ps_field *ps_obj_field(enum ps_obj k, const char *name,
				    size_t len)
{
	const struct ps_field *f = ps_obj_fields(k);

	for (; f && f->name; f++)
		if (ps__eq_ci(name, len, f->name))
			return f;
	return NULL;
}
