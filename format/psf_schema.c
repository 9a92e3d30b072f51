/*
 * psf_schema.c - the schema of psf_schema.h as data, for tools that print
 * or parse elements by name.
 *
 * Plain const tables and loops: no allocation, no stdio, so the file builds
 * freestanding like the core.  Keywords and field names are kebab-case
 * spellings of the header's identifiers.  Enum and flag name tables end with
 * a { 0, NULL } sentinel; a flag name's value is its bit mask.  Record
 * fields are listed in offset order and tile the record with no gaps, and
 * integer fields are 1, 2, 4 or 8 bytes wide: the text form relies on both
 * to print a record losslessly field by field.  psf_boot_device_name
 * returns NULL for a code without a name.
 */
#include "psf_schema.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------------
 * Value names
 */

static const struct psf_enum_name power_names[] = {
	{ PSF_POWER_OFF, "off" },
	{ PSF_POWER_ON, "on" },
	{ PSF_POWER_LAST, "last" },
	{ 0, NULL }
};

static const struct psf_enum_name pxe_names[] = {
	{ PSF_PXE_OFF, "off" },
	{ PSF_PXE_ON, "on" },
	{ 0, NULL }
};

static const struct psf_enum_name nic_model_names[] = {
	{ PSF_NIC_MODEL_DEFAULT, "default" },
	{ PSF_NIC_MODEL_VIRTIO, "virtio" },
	{ PSF_NIC_MODEL_E1000, "e1000" },
	{ PSF_NIC_MODEL_RTL8139, "rtl8139" },
	{ 0, NULL }
};

static const struct psf_enum_name nic_flag_names[] = {
	{ PSF_NICF_LINK_DOWN, "link-down" },
	{ 0, NULL }
};

static const struct psf_enum_name media_names[] = {
	{ PSF_MEDIA_DISK, "disk" },
	{ PSF_MEDIA_CDROM, "cdrom" },
	{ 0, NULL }
};

static const struct psf_enum_name ctl_flag_names[] = {
	{ PSF_CTLF_BOOTABLE, "bootable" },
	{ PSF_CTLF_READONLY, "readonly" },
	{ 0, NULL }
};

static const struct psf_enum_name bus_names[] = {
	{ PSF_BUS_DEFAULT, "default" },
	{ PSF_BUS_VIRTIO, "virtio" },
	{ PSF_BUS_SATA, "sata" },
	{ PSF_BUS_IDE, "ide" },
	{ PSF_BUS_SCSI, "scsi" },
	{ PSF_BUS_USB, "usb" },
	{ 0, NULL }
};

static const struct psf_enum_name serial_mode_names[] = {
	{ PSF_SERIAL_MODE_FREE, "free" },
	{ PSF_SERIAL_MODE_OBSERVER, "observer" },
	{ PSF_SERIAL_MODE_PRIVACY, "privacy" },
	{ 0, NULL }
};

static const struct psf_enum_name net_kind_names[] = {
	{ PSF_NET_BRIDGED, "bridged" },
	{ PSF_NET_NAT, "nat" },
	{ PSF_NET_ISOLATED, "isolated" },
	{ 0, NULL }
};

static const struct psf_enum_name image_format_names[] = {
	{ PSF_IMAGE_FORMAT_RAW, "raw" },
	{ PSF_IMAGE_FORMAT_QCOW2, "qcow2" },
	{ 0, NULL }
};

static const struct psf_enum_name image_flag_names[] = {
	{ PSF_IMGF_SHAREABLE, "shareable" },
	{ 0, NULL }
};

static const struct psf_enum_name reserve_names[] = {
	{ PSF_RESERVE_NONE, "none" },
	{ PSF_RESERVE_CPU, "cpu" },
	{ PSF_RESERVE_MEMORY, "memory" },
	{ PSF_RESERVE_PCI, "pci" },
	{ PSF_RESERVE_IOPORT, "ioport" },
	{ 0, NULL }
};

static const struct psf_enum_name profile_state_names[] = {
	{ PSF_PROFILE_UNASSIGNED, "unassigned" },
	{ PSF_PROFILE_ASSIGNED, "assigned" },
	{ PSF_PROFILE_IN_TRANSIT, "in-transit" },
	{ 0, NULL }
};

static const struct psf_enum_name target_names[] = {
	{ PSF_TARGET_NONE, "none" },
	{ PSF_TARGET_PHYSICAL, "physical" },
	{ PSF_TARGET_VM, "vm" },
	{ 0, NULL }
};

static const struct psf_enum_name writer_names[] = {
	{ PSF_WRITER_UNKNOWN, "unknown" },
	{ PSF_WRITER_PSCTL, "psctl" },
	{ PSF_WRITER_BMC, "bmc" },
	{ PSF_WRITER_HVAGENT, "hvagent" },
	{ PSF_WRITER_BIOS, "bios" },
	{ 0, NULL }
};

static const struct psf_enum_name agent_dom_flag_names[] = {
	{ PSF_AGDF_RUNNING, "running" },
	{ PSF_AGDF_LV_UNDEFINED, "libvirt-undefined" },
	{ 0, NULL }
};

/* ---------------------------------------------------------------------------
 * Record layouts
 */

#define F_UINT(name, off, width) { name, off, width, PSF_FT_UINT, NULL }
#define F_ENUM(name, off, names) { name, off, 1, PSF_FT_ENUM, names }
#define F_FLAGS(name, off, names) { name, off, 1, PSF_FT_FLAGS, names }
#define F_UUID(name, off)        { name, off, 16, PSF_FT_UUID, NULL }
#define F_MAC(name, off)         { name, off, PSF_MAC_LEN, PSF_FT_MAC, NULL }

static const struct psf_field_desc vm_config_fields[] = {
	F_UUID("uuid", PSF_VMC_UUID),
	F_UINT("memory-kib", PSF_VMC_MEMORY_KIB, 8),
	F_UINT("vcpus", PSF_VMC_VCPUS, 2),
	F_UINT("sockets", PSF_VMC_SOCKETS, 2),
	F_UINT("cores", PSF_VMC_CORES, 2),
	F_UINT("threads", PSF_VMC_THREADS, 2),
	F_ENUM("power", PSF_VMC_POWER, power_names),
	F_ENUM("pxe", PSF_VMC_PXE, pxe_names),
	F_UINT("pxe-nic", PSF_VMC_PXE_NIC, 2),
};

static const struct psf_field_desc nic_config_fields[] = {
	F_MAC("mac", PSF_NICC_MAC),
	F_ENUM("model", PSF_NICC_MODEL, nic_model_names),
	F_FLAGS("flags", PSF_NICC_FLAGS, nic_flag_names),
};

static const struct psf_field_desc controller_config_fields[] = {
	F_ENUM("media", PSF_CTLC_MEDIA, media_names),
	F_FLAGS("flags", PSF_CTLC_FLAGS, ctl_flag_names),
	F_ENUM("bus", PSF_CTLC_BUS, bus_names),
};

static const struct psf_field_desc serial_config_fields[] = {
	F_UINT("port", PSF_SERC_PORT, 2),
	F_UINT("concentrator", PSF_SERC_CONCENTRATOR, 2),
	F_ENUM("mode", PSF_SERC_MODE, serial_mode_names),
};

static const struct psf_field_desc network_config_fields[] = {
	F_ENUM("kind", PSF_NETC_KIND, net_kind_names),
	F_UINT("flags", PSF_NETC_FLAGS, 1),
	F_UINT("vlan", PSF_NETC_VLAN, 2),
	F_UINT("mtu", PSF_NETC_MTU, 4),
};

static const struct psf_field_desc image_config_fields[] = {
	F_UINT("size-bytes", PSF_IMGC_SIZE_BYTES, 8),
	F_ENUM("format", PSF_IMGC_FORMAT, image_format_names),
	F_ENUM("media", PSF_IMGC_MEDIA, media_names),
	F_FLAGS("flags", PSF_IMGC_FLAGS, image_flag_names),
};

static const struct psf_field_desc reservation_config_fields[] = {
	F_ENUM("kind", PSF_RESC_KIND, reserve_names),
	F_UINT("flags", PSF_RESC_FLAGS, 1),
	F_UINT("first", PSF_RESC_FIRST, 8),
	F_UINT("count", PSF_RESC_COUNT, 8),
};

static const struct psf_field_desc profile_config_fields[] = {
	F_UUID("uuid", PSF_PROC_UUID),
	F_ENUM("state", PSF_PROC_STATE, profile_state_names),
	F_ENUM("target-kind", PSF_PROC_TARGET_KIND, target_names),
};

static const struct psf_field_desc store_record_fields[] = {
	F_ENUM("writer-kind", PSF_STOC_WRITER_KIND, writer_names),
	F_UINT("time", PSF_STOC_TIME, 8),
};

static const struct psf_field_desc restart_config_fields[] = {
	F_UINT("window", PSF_RSTC_WINDOW, 4),
	F_UINT("limit", PSF_RSTC_LIMIT, 2),
	F_UINT("flags", PSF_RSTC_FLAGS, 2),
};

/* Agent namespace (docs/hvagent.md). */
static const struct psf_field_desc agent_record_fields[] = {
	F_UINT("version", PSF_AGR_VERSION, 1),
	F_UINT("flags", PSF_AGR_FLAGS, 1),
	F_UINT("pass-time", PSF_AGR_PASS_TIME, 8),
};

static const struct psf_field_desc agent_dom_record_fields[] = {
	F_UUID("uuid", PSF_AGD_UUID),
	F_FLAGS("flags", PSF_AGD_FLAGS, agent_dom_flag_names),
};

/* ---------------------------------------------------------------------------
 * Elements
 */

#define E_CONTAINER(sig, name) { sig, name, PSF_KIND_CONTAINER, 0, 0, NULL }
#define E_STRING(sig, name)    { sig, name, PSF_KIND_STRING, 0, 0, NULL }
#define E_LIST(sig, name, len) { sig, name, PSF_KIND_LIST, len, 0, NULL }
#define E_RECORD(sig, name, f) \
	{ sig, name, PSF_KIND_RECORD, 0, (uint8_t)NELEM(f), f }

static const struct psf_elem_desc schema[] = {
	{ PSF_PAD, "pad", PSF_KIND_PAD, 0, 0, NULL },

	E_STRING(PSF_NAME, "name"),
	E_STRING(PSF_DESCRIPTION, "description"),
	E_STRING(PSF_SERIAL_NUMBER, "serial-number"),
	E_STRING(PSF_HOSTNAME, "hostname"),
	E_STRING(PSF_NETWORK_REF, "network-ref"),
	E_STRING(PSF_IMAGE_REF, "image-ref"),
	E_STRING(PSF_PATH, "path"),
	E_STRING(PSF_TARGET, "target"),
	E_STRING(PSF_MOVE_SOURCE, "move-source"),
	E_STRING(PSF_MOVE_TARGET, "move-target"),
	E_LIST(PSF_BOOT_ORDER, "boot-order", 1),
	E_STRING(PSF_UPLINK, "uplink"),
	E_STRING(PSF_OWNER, "owner"),
	E_STRING(PSF_WRITER, "writer"),
	E_STRING(PSF_PROFILE_REF, "profile-ref"),
	E_LIST(PSF_MAC_LIST, "mac-list", PSF_MAC_LEN),
	E_LIST(PSF_WWN_LIST, "wwn-list", PSF_WWN_ITEM_LEN),
	E_LIST(PSF_FC_BOOT, "fc-boot", PSF_FC_BOOT_LEN),
	E_STRING(PSF_CONSISTENCY_IMAGE, "consistency-image"),
	E_STRING(PSF_BOOT_IMAGE, "boot-image"),
	E_LIST(PSF_RESTART_LOG, "restart-log", PSF_RLOG_LEN),

	E_CONTAINER(PSF_ROOT, "root"),
	E_CONTAINER(PSF_VMS, "vms"),
	E_CONTAINER(PSF_VM, "vm"),
	E_CONTAINER(PSF_NICS, "nics"),
	E_CONTAINER(PSF_NIC, "nic"),
	E_CONTAINER(PSF_STORAGE, "storage"),
	E_CONTAINER(PSF_CONTROLLER, "controller"),
	E_CONTAINER(PSF_SERIAL_PORTS, "serial-ports"),
	E_CONTAINER(PSF_SERIAL_PORT, "serial-port"),
	E_CONTAINER(PSF_NETWORKS, "networks"),
	E_CONTAINER(PSF_NETWORK, "network"),
	E_CONTAINER(PSF_IMAGES, "images"),
	E_CONTAINER(PSF_IMAGE, "image"),
	E_CONTAINER(PSF_RESERVATIONS, "reservations"),
	E_CONTAINER(PSF_RESERVATION, "reservation"),
	E_CONTAINER(PSF_PROFILES, "profiles"),
	E_CONTAINER(PSF_PROFILE, "profile"),
	E_CONTAINER(PSF_STORE_INFO, "store-info"),
	E_CONTAINER(PSF_RESTART_POLICY, "restart-policy"),
	E_CONTAINER(PSF_SERVERS, "servers"),
	E_CONTAINER(PSF_SERVER, "server"),
	E_CONTAINER(PSF_AGENT_STATE, "agent-state"),
	E_CONTAINER(PSF_BMC_STATE, "bmc-state"),
	/* Agent namespace (docs/hvagent.md). */
	E_STRING(PSF_AGENT_URI, "agent-uri"),
	E_STRING(PSF_AGENT_FIELDS, "agent-fields"),
	E_STRING(PSF_AGENT_LV_DELTA, "agent-lv-delta"),
	E_CONTAINER(PSF_AGENT_DOMS, "agent-doms"),
	E_CONTAINER(PSF_AGENT_DOM, "agent-dom"),
	E_RECORD(PSF_AGENT_RECORD, "agent-record", agent_record_fields),
	E_RECORD(PSF_AGENT_DOM_RECORD, "agent-dom-record",
		 agent_dom_record_fields),

	E_RECORD(PSF_VM_CONFIG, "vm-config", vm_config_fields),
	E_RECORD(PSF_NIC_CONFIG, "nic-config", nic_config_fields),
	E_RECORD(PSF_CONTROLLER_CONFIG, "controller-config",
		 controller_config_fields),
	E_RECORD(PSF_SERIAL_CONFIG, "serial-config", serial_config_fields),
	E_RECORD(PSF_NETWORK_CONFIG, "network-config", network_config_fields),
	E_RECORD(PSF_IMAGE_CONFIG, "image-config", image_config_fields),
	E_RECORD(PSF_RESERVATION_CONFIG, "reservation-config",
		 reservation_config_fields),
	E_RECORD(PSF_PROFILE_CONFIG, "profile-config", profile_config_fields),
	E_RECORD(PSF_STORE_RECORD, "store-record", store_record_fields),
	E_RECORD(PSF_RESTART_CONFIG, "restart-config", restart_config_fields),
};

static const char *const boot_device_names[] = {
	[PSF_BOOT_DISK] = "disk",
	[PSF_BOOT_CDROM] = "cdrom",
	[PSF_BOOT_NETWORK] = "network",
	[PSF_BOOT_FLOPPY] = "floppy",
};

/* ---------------------------------------------------------------------------
 * Lookups.  Linear: the tables are a few dozen entries.
 */

/* s[0..len) equals the NUL-terminated name (no strlen: freestanding). */
static int name_eq(const char *name, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (name[i] != s[i] || name[i] == '\0')
			return 0;
	return name[len] == '\0';
}

const struct psf_elem_desc *psf_schema_lookup(uint32_t sig)
{
	size_t i;

	for (i = 0; i < NELEM(schema); i++)
		if (schema[i].sig == sig)
			return &schema[i];
	return NULL;
}

const struct psf_elem_desc *psf_schema_lookup_name(const char *name,
						    size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(schema); i++)
		if (name_eq(schema[i].name, name, len))
			return &schema[i];
	return NULL;
}

const struct psf_elem_desc *psf_schema_all(size_t *n)
{
	*n = NELEM(schema);
	return schema;
}

const char *psf_boot_device_name(uint8_t code)
{
	if (code >= NELEM(boot_device_names))
		return NULL;
	return boot_device_names[code];
}

int psf_boot_device_code(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(boot_device_names); i++)
		if (boot_device_names[i] && name_eq(boot_device_names[i], name, len))
			return (int)i;
	return PSF_ERR_NOTFOUND;
}
