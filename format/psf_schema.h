/*
 * psf_schema.h - the pstate configuration schema (core namespace 0x0000).
 *
 * Element signatures, record payload layouts and the enumerations their
 * fields use.  docs/schema.md is the normative description; this header is
 * its machine-readable twin.
 *
 * Three kinds of structure payload appear in the schema:
 *   string  UTF-8 text, no terminator, length = element length;
 *   list    back-to-back fixed-size items (MAC_LIST: 6-byte items, ...);
 *   record  little-endian fields at fixed offsets.  Records only ever grow
 *           at the end.  A field not wholly inside the stored length takes
 *           its default, and every default is all-zero bytes, so a record
 *           cut at a field boundary reads as if zero-extended.  Writers keep
 *           unknown trailing bytes.
 *
 * Identifiers (UUIDs, MACs, WWNs) are byte strings in their canonical
 * (network, big-endian) order, not integers.
 */
#ifndef PSF_SCHEMA_H
#define PSF_SCHEMA_H

#include "psf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSF_SCHEMA_VERSION 1u

#define PSF_CORE_STRUCT(id)    PSF_SIG(0, PSF_NS_CORE, (id))
#define PSF_CORE_CONTAINER(id) PSF_SIG(1, PSF_NS_CORE, (id))

/* Strings and byte lists (ids 0x0001..0x00ff). */
#define PSF_NAME          PSF_CORE_STRUCT(0x0001) /* string: element's name  */
#define PSF_DESCRIPTION   PSF_CORE_STRUCT(0x0002) /* string                  */
#define PSF_SERIAL_NUMBER PSF_CORE_STRUCT(0x0003) /* string: SMBIOS serial   */
#define PSF_HOSTNAME      PSF_CORE_STRUCT(0x0004) /* string                  */
#define PSF_NETWORK_REF   PSF_CORE_STRUCT(0x0005) /* string: a NETWORK name  */
#define PSF_IMAGE_REF     PSF_CORE_STRUCT(0x0006) /* string: an IMAGE name   */
#define PSF_PATH          PSF_CORE_STRUCT(0x0007) /* string: host file path  */
#define PSF_TARGET        PSF_CORE_STRUCT(0x0008) /* string: profile target  */
#define PSF_BOOT_ORDER    PSF_CORE_STRUCT(0x0009) /* list of u8 PSF_BOOT_*   */
#define PSF_UPLINK        PSF_CORE_STRUCT(0x000a) /* string: host interface  */
#define PSF_OWNER         PSF_CORE_STRUCT(0x000b) /* string: owning VM name  */
#define PSF_WRITER        PSF_CORE_STRUCT(0x000c) /* string: last writer     */
#define PSF_PROFILE_REF   PSF_CORE_STRUCT(0x000d) /* string: a PROFILE name  */
#define PSF_MAC_LIST      PSF_CORE_STRUCT(0x000e) /* list of 6-byte MACs     */
#define PSF_WWN_LIST      PSF_CORE_STRUCT(0x000f) /* list of {WWNN,WWPN}     */
#define PSF_FC_BOOT       PSF_CORE_STRUCT(0x0010) /* list of {WWPN,LUN}      */
#define PSF_MOVE_SOURCE   PSF_CORE_STRUCT(0x0011) /* string: a move's source */
#define PSF_CONSISTENCY_IMAGE PSF_CORE_STRUCT(0x0012) /* string: an IMAGE name */
#define PSF_BOOT_IMAGE    PSF_CORE_STRUCT(0x0013) /* string: an IMAGE name   */
#define PSF_RESTART_LOG   PSF_CORE_STRUCT(0x0014) /* list of 16-byte entries */
#define PSF_MOVE_TARGET   PSF_CORE_STRUCT(0x0015) /* string: where a VM goes */

/* Containers (ids 0x0100..0x01ff). */
#define PSF_ROOT          PSF_CORE_CONTAINER(0x0100)
#define PSF_VMS           PSF_CORE_CONTAINER(0x0101) /* set of VM           */
#define PSF_VM            PSF_CORE_CONTAINER(0x0102)
#define PSF_NICS          PSF_CORE_CONTAINER(0x0103) /* set of NIC          */
#define PSF_NIC           PSF_CORE_CONTAINER(0x0104)
#define PSF_STORAGE       PSF_CORE_CONTAINER(0x0105) /* set of CONTROLLER   */
#define PSF_CONTROLLER    PSF_CORE_CONTAINER(0x0106)
#define PSF_SERIAL_PORTS  PSF_CORE_CONTAINER(0x0107) /* set of SERIAL_PORT  */
#define PSF_SERIAL_PORT   PSF_CORE_CONTAINER(0x0108)
#define PSF_NETWORKS      PSF_CORE_CONTAINER(0x0109) /* set of NETWORK      */
#define PSF_NETWORK       PSF_CORE_CONTAINER(0x010a)
#define PSF_IMAGES        PSF_CORE_CONTAINER(0x010b) /* set of IMAGE        */
#define PSF_IMAGE         PSF_CORE_CONTAINER(0x010c)
#define PSF_RESERVATIONS  PSF_CORE_CONTAINER(0x010d) /* set of RESERVATION  */
#define PSF_RESERVATION   PSF_CORE_CONTAINER(0x010e)
#define PSF_PROFILES      PSF_CORE_CONTAINER(0x010f) /* set of PROFILE      */
#define PSF_PROFILE       PSF_CORE_CONTAINER(0x0110)
#define PSF_STORE_INFO    PSF_CORE_CONTAINER(0x0111) /* bookkeeping         */
#define PSF_RESTART_POLICY PSF_CORE_CONTAINER(0x0112) /* under a VM         */
#define PSF_SERVERS       PSF_CORE_CONTAINER(0x0113) /* set of SERVER       */
#define PSF_SERVER        PSF_CORE_CONTAINER(0x0114) /* a named server      */

/* Containers other namespaces own at the root, reserved here so every tool
 * agrees on where they live. */
#define PSF_AGENT_STATE   PSF_SIG(1, PSF_NS_AGENT, 0x0100)
#define PSF_BMC_STATE     PSF_SIG(1, PSF_NS_BMC, 0x0100)

/* Pool namespace (0x0003): the address and spare pools of a profile
 * pool (docs/pool.md), under POOL_STATE at the root.  Each record is one
 * line of text, its etcd key derived from it (cli/psctl_pool_ids.c):
 *   POOL_RANGE   "NAME KIND FIRST LAST"     KIND mac|wwn|uuid|serial
 *   POOL_RESV    "KIND ID HOLDER"           a Reserved identifier
 *   POOL_SPARES  "NAME MEMBER..."           a spare pool's targets     */
#define PSF_POOL_STATE   PSF_SIG(1, PSF_NS_POOL, 0x0100)
#define PSF_POOL_RANGE   PSF_SIG(0, PSF_NS_POOL, 0x0001)
#define PSF_POOL_RESV    PSF_SIG(0, PSF_NS_POOL, 0x0002)
#define PSF_POOL_SPARES  PSF_SIG(0, PSF_NS_POOL, 0x0003)

/* Agent namespace (0x0001): what hvagent last synced with libvirt, under
 * AGENT_STATE.  docs/hvagent.md describes the bytes. */
#define PSF_AGENT_STRUCT(id)    PSF_SIG(0, PSF_NS_AGENT, (id))
#define PSF_AGENT_CONTAINER(id) PSF_SIG(1, PSF_NS_AGENT, (id))
#define PSF_AGENT_URI      PSF_AGENT_STRUCT(0x0001) /* string: libvirt URI   */
#define PSF_AGENT_FIELDS   PSF_AGENT_STRUCT(0x0002) /* string: synced fields */
#define PSF_AGENT_LV_DELTA PSF_AGENT_STRUCT(0x0003) /* string: libvirt's view
							where it differs     */
#define PSF_AGENT_DOMS     PSF_AGENT_CONTAINER(0x0101) /* set of AGENT_DOM  */
#define PSF_AGENT_DOM      PSF_AGENT_CONTAINER(0x0102) /* one synced pair   */
#define PSF_AGENT_RECORD   PSF_AGENT_STRUCT(0x0200)
enum {
	PSF_AGR_VERSION = 0,      /* u8  layout version, 1                    */
	PSF_AGR_FLAGS = 1,        /* u8  reserved, 0                          */
	PSF_AGR_PASS_TIME = 2,    /* u64 last pass that wrote, s since 1970   */
	PSF_AGR_SIZE = 10
};
#define PSF_AGENT_DOM_RECORD PSF_AGENT_STRUCT(0x0201)
enum {
	PSF_AGD_UUID = 0,         /* u8[16] the pair's UUID (its key)          */
	PSF_AGD_FLAGS = 16,       /* u8  PSF_AGDF_*                           */
	PSF_AGD_SIZE = 17
};
enum {
	PSF_AGDF_RUNNING = 0x01,      /* running when last seen (power last) */
	PSF_AGDF_LV_UNDEFINED = 0x02, /* undefined in libvirt, VM kept
					 (hvagent libvirt_delete = keep) */
};

/* Records (ids 0x0200..0x02ff).  Offsets and widths of each field. */
#define PSF_VM_CONFIG     PSF_CORE_STRUCT(0x0200)
enum {
	PSF_VMC_UUID = 0,         /* u8[16] SMBIOS/VM UUID, 0 = not set       */
	PSF_VMC_MEMORY_KIB = 16,  /* u64 guest memory, 0 = hypervisor default */
	PSF_VMC_VCPUS = 24,       /* u16 virtual CPUs, 0 = 1                  */
	PSF_VMC_SOCKETS = 26,     /* u16 CPU topology, 0 = hypervisor default */
	PSF_VMC_CORES = 28,       /* u16                                      */
	PSF_VMC_THREADS = 30,     /* u16                                      */
	PSF_VMC_POWER = 32,       /* u8  PSF_POWER_*                          */
	PSF_VMC_PXE = 33,         /* u8  PSF_PXE_*                            */
	PSF_VMC_PXE_NIC = 34,     /* u16 index of the NIC to PXE boot from    */
	PSF_VMC_SIZE = 36
};

#define PSF_NIC_CONFIG    PSF_CORE_STRUCT(0x0201)
enum {
	PSF_NICC_MAC = 0,         /* u8[6] 0 = assigned by the hypervisor     */
	PSF_NICC_MODEL = 6,       /* u8  PSF_NIC_MODEL_*                      */
	PSF_NICC_FLAGS = 7,       /* u8  PSF_NICF_*                           */
	PSF_NICC_SIZE = 8
};

#define PSF_CONTROLLER_CONFIG PSF_CORE_STRUCT(0x0202)
enum {
	PSF_CTLC_MEDIA = 0,       /* u8  PSF_MEDIA_*                          */
	PSF_CTLC_FLAGS = 1,       /* u8  PSF_CTLF_*                           */
	PSF_CTLC_BUS = 2,         /* u8  PSF_BUS_*                            */
	PSF_CTLC_SIZE = 3
};

#define PSF_SERIAL_CONFIG PSF_CORE_STRUCT(0x0203)
enum {
	PSF_SERC_PORT = 0,        /* u16 guest serial port number (0 = COM1)  */
	PSF_SERC_CONCENTRATOR = 2,/* u16 concentrator port, 0 = not mapped   */
	PSF_SERC_MODE = 4,        /* u8  PSF_SERIAL_MODE_*                    */
	PSF_SERC_SIZE = 5
};

#define PSF_NETWORK_CONFIG PSF_CORE_STRUCT(0x0204)
enum {
	PSF_NETC_KIND = 0,        /* u8  PSF_NET_*                            */
	PSF_NETC_FLAGS = 1,       /* u8  reserved, 0                          */
	PSF_NETC_VLAN = 2,        /* u16 802.1Q VLAN id, 0 = untagged         */
	PSF_NETC_MTU = 4,         /* u32 0 = default                          */
	PSF_NETC_SIZE = 8
};

#define PSF_IMAGE_CONFIG  PSF_CORE_STRUCT(0x0205)
enum {
	PSF_IMGC_SIZE_BYTES = 0,  /* u64 virtual size, 0 = unknown            */
	PSF_IMGC_FORMAT = 8,      /* u8  PSF_IMAGE_FORMAT_*                   */
	PSF_IMGC_MEDIA = 9,       /* u8  PSF_MEDIA_*                          */
	PSF_IMGC_FLAGS = 10,      /* u8  PSF_IMGF_*                           */
	PSF_IMGC_SIZE = 11
};

#define PSF_RESERVATION_CONFIG PSF_CORE_STRUCT(0x0206)
enum {
	PSF_RESC_KIND = 0,        /* u8  PSF_RESERVE_*                        */
	PSF_RESC_FLAGS = 1,       /* u8  reserved, 0                          */
	PSF_RESC_FIRST = 2,       /* u64 first CPU / base address / BDF / port*/
	PSF_RESC_COUNT = 10,      /* u64 CPUs / bytes / functions / ports     */
	PSF_RESC_SIZE = 18
};

#define PSF_PROFILE_CONFIG PSF_CORE_STRUCT(0x0207)
enum {
	PSF_PROC_UUID = 0,        /* u8[16] server UUID                       */
	PSF_PROC_STATE = 16,      /* u8  PSF_PROFILE_*                        */
	PSF_PROC_TARGET_KIND = 17,/* u8  PSF_TARGET_*                         */
	PSF_PROC_SIZE = 18
};

#define PSF_STORE_RECORD  PSF_CORE_STRUCT(0x0208)
enum {
	PSF_STOC_WRITER_KIND = 0, /* u8  PSF_WRITER_*                         */
	PSF_STOC_TIME = 1,        /* u64 last write, seconds since 1970 UTC   */
	PSF_STOC_SIZE = 9
};

/* Under RESTART_POLICY: how hvagent restarts a crashed VM. */
#define PSF_RESTART_CONFIG PSF_CORE_STRUCT(0x0209)
enum {
	PSF_RSTC_WINDOW = 0,      /* u32 seconds, 0 = 600                     */
	PSF_RSTC_LIMIT = 4,       /* u16 restarts allowed in the window       */
	PSF_RSTC_FLAGS = 6,       /* u16 reserved, 0                          */
	PSF_RSTC_SIZE = 8
};
#define PSF_RESTART_WINDOW_DEFAULT 600u

/* RESTART_LOG items, oldest first, at most PSF_RESTART_LOG_MAX kept. */
enum {
	PSF_RLOG_TIME = 0,        /* u64 seconds since 1970 UTC               */
	PSF_RLOG_ACTION = 8,      /* u8  PSF_RESTART_*                        */
	PSF_RLOG_ATTEMPT = 9,     /* u8  1-based count within the window      */
	PSF_RLOG_CAUSE = 10,      /* u8  PSF_CRASH_*                          */
	PSF_RLOG_RESERVED = 11,   /* u8  0                                    */
	PSF_RLOG_DETAIL = 12,     /* u32 libvirt lifecycle event detail       */
	PSF_RLOG_LEN = 16
};
#define PSF_RESTART_LOG_MAX 16u
/* The largest restart limit: restarts are counted from the log, which must
 * hold them all plus the entry that says the limit was reached. */
#define PSF_RESTART_LIMIT_MAX (PSF_RESTART_LOG_MAX - 1u)

/* List item sizes. */
#define PSF_MAC_LEN        6u
#define PSF_WWN_ITEM_LEN   16u  /* WWNN u8[8], WWPN u8[8]                */
#define PSF_FC_BOOT_LEN    16u  /* target WWPN u8[8], LUN u8[8] (SAM)    */

/* Enumerations.  Value 0 is always the default. */
enum { PSF_POWER_OFF = 0, PSF_POWER_ON = 1, PSF_POWER_LAST = 2 };
enum { PSF_PXE_OFF = 0, PSF_PXE_ON = 1 };
enum { PSF_BOOT_DISK = 1, PSF_BOOT_CDROM = 2, PSF_BOOT_NETWORK = 3,
       PSF_BOOT_FLOPPY = 4 };
enum { PSF_NIC_MODEL_DEFAULT = 0, PSF_NIC_MODEL_VIRTIO = 1,
       PSF_NIC_MODEL_E1000 = 2, PSF_NIC_MODEL_RTL8139 = 3 };
enum { PSF_NICF_LINK_DOWN = 0x01 };
enum { PSF_MEDIA_DISK = 0, PSF_MEDIA_CDROM = 1 };
enum { PSF_CTLF_BOOTABLE = 0x01, PSF_CTLF_READONLY = 0x02 };
enum { PSF_BUS_DEFAULT = 0, PSF_BUS_VIRTIO = 1, PSF_BUS_SATA = 2,
       PSF_BUS_IDE = 3, PSF_BUS_SCSI = 4, PSF_BUS_USB = 5 };
enum { PSF_SERIAL_MODE_FREE = 0, PSF_SERIAL_MODE_OBSERVER = 1,
       PSF_SERIAL_MODE_PRIVACY = 2 };
enum { PSF_NET_BRIDGED = 0, PSF_NET_NAT = 1, PSF_NET_ISOLATED = 2 };
enum { PSF_IMAGE_FORMAT_RAW = 0, PSF_IMAGE_FORMAT_QCOW2 = 1 };
enum { PSF_IMGF_SHAREABLE = 0x01 };
enum { PSF_RESERVE_NONE = 0, PSF_RESERVE_CPU = 1, PSF_RESERVE_MEMORY = 2,
       PSF_RESERVE_PCI = 3, PSF_RESERVE_IOPORT = 4 };
enum { PSF_PROFILE_UNASSIGNED = 0, PSF_PROFILE_ASSIGNED = 1,
       PSF_PROFILE_IN_TRANSIT = 2 };
enum { PSF_TARGET_NONE = 0, PSF_TARGET_PHYSICAL = 1, PSF_TARGET_VM = 2 };
enum { PSF_RESTART_CONSISTENCY = 1, PSF_RESTART_BOOT = 2,
       PSF_RESTART_STOPPED_LIMIT = 3, PSF_RESTART_STOPPED_FAILED = 4,
       PSF_RESTART_STOPPED_NO_IMAGE = 5 };
enum { PSF_CRASH_CRASHED = 1, PSF_CRASH_FAILED = 2, PSF_CRASH_STOPPED = 3 };
enum { PSF_WRITER_UNKNOWN = 0, PSF_WRITER_PSCTL = 1, PSF_WRITER_BMC = 2,
       PSF_WRITER_HVAGENT = 3, PSF_WRITER_BIOS = 4 };

/* ---------------------------------------------------------------------------
 * Schema description, for tools that print or parse elements by name
 * (psf_schema.c).  Firmware that only reads fields by offset need not link
 * it.
 */

enum psf_kind {
	PSF_KIND_CONTAINER,
	PSF_KIND_STRING,
	PSF_KIND_LIST,    /* fixed-size items */
	PSF_KIND_RECORD,
	PSF_KIND_PAD
};

enum psf_ftype {
	PSF_FT_UINT,      /* unsigned little-endian, width 1/2/4/8 */
	PSF_FT_ENUM,      /* u8 with names                         */
	PSF_FT_FLAGS,     /* u8 bit set with names                 */
	PSF_FT_UUID,      /* 16 bytes                              */
	PSF_FT_MAC        /* 6 bytes                               */
};

/* Tables of these end with { 0, NULL }. */
struct psf_enum_name {
	uint8_t value;
	const char *name;
};

struct psf_field_desc {
	const char *name;
	uint16_t off;
	uint8_t width;
	uint8_t type;                       /* enum psf_ftype            */
	const struct psf_enum_name *names;  /* ENUM / FLAGS: value names */
};

struct psf_elem_desc {
	uint32_t sig;
	const char *name;                   /* text-form keyword          */
	uint8_t kind;                       /* enum psf_kind              */
	uint8_t item_len;                   /* LIST: bytes per item       */
	uint8_t nfields;                    /* RECORD: number of fields   */
	const struct psf_field_desc *fields;
};

/* Descriptor for a signature, or NULL when the schema does not know it. */
const struct psf_elem_desc *psf_schema_lookup(uint32_t sig);

/* Descriptor by text-form keyword, or NULL. */
const struct psf_elem_desc *psf_schema_lookup_name(const char *name,
						    size_t len);

/* Every descriptor, for iteration; *n receives the count. */
const struct psf_elem_desc *psf_schema_all(size_t *n);

/* Boot device code names: "disk", "cdrom", "network", "floppy"; NULL for
 * an unknown code.  psf_boot_device_code returns PSF_ERR_NOTFOUND
 * for an unknown name. */
const char *psf_boot_device_name(uint8_t code);
int psf_boot_device_code(const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PSF_SCHEMA_H */
