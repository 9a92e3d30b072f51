/*
 * ps_config.c - configuration edits (pstate.h section 10): objects of the
 * schema (docs/schema.md), their fields, value parsers, and the
 * cross-element rules, once for every front end.
 *
 * Freestanding: the format core and psf_env.h only, no malloc, no
 * recursion, small stack frames (the largest is a struct ps_value).
 */
#include "pstate.h"
#include "psf_schema.h"

/* ------------------------------------------------------------------ text */

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals the C string w, ignoring ASCII case. */
static int eq_ci(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!w[i] || lower(s[i]) != lower(w[i]))
			return 0;
	return w[n] == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A bounded string builder; out is always NUL-terminated, len counts
 * what would have been written. */
struct sb {
	char *p;
	size_t cap, len;
};

static void sb_init(struct sb *s, char *p, size_t cap)
{
	s->p = p;
	s->cap = cap;
	s->len = 0;
	if (cap)
		p[0] = 0;
}

static void sb_put(struct sb *s, const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, s->len++)
		if (s->len + 1 < s->cap) {
			s->p[s->len] = t[i];
			s->p[s->len + 1] = 0;
		}
}

static void sb_str(struct sb *s, const char *t)
{
	sb_put(s, t, slen(t));
}

static void sb_u64(struct sb *s, uint64_t v)
{
	char d[20];
	int i = 0;

	do {
		d[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		sb_put(s, &d[--i], 1);
}

static void sb_hex(struct sb *s, const uint8_t *b, size_t n, char sep)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		char two[2] = { hx[b[i] >> 4], hx[b[i] & 15] };

		if (i && sep)
			sb_put(s, &sep, 1);
		sb_put(s, two, 2);
	}
}

static int all_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int bad(const char **why, const char *w)
{
	if (why)
		*why = w;
	return PS_ERR_BADVALUE;
}

/* --------------------------------------------------------------- parsers */

int ps_check_name(const char *s, size_t n, const char **why)
{
	size_t i;

	if (n == 0)
		return bad(why, "empty name");
	if (n > PS_CFG_NAME_MAX)
		return bad(why, "longer than 64 characters");
	if (s[0] == '.' || s[0] == '-')
		return bad(why, "starts with '.' or '-'");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return bad(why, "characters other than A-Z a-z 0-9 . _ -");
	}
	return 0;
}

/* n octets of two hex digits separated by sep (0: any one of ":-", the
 * same throughout). */
static int parse_octets(const char *s, size_t n, uint8_t *out, size_t count,
			const char *seps, const char **why)
{
	size_t i;
	char sep = 0;

	if (n != count * 3 - 1)
		return bad(why, "wrong length");
	for (i = 0; i < count; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			return bad(why, "not a hex digit");
		out[i] = (uint8_t)(hi << 4 | lo);
		if (i + 1 == count)
			break;
		if (!sep) {
			const char *p;

			for (p = seps; *p && *p != s[i * 3 + 2]; p++)
				;
			if (!*p)
				return bad(why, "bad separator");
			sep = *p;
		} else if (s[i * 3 + 2] != sep) {
			return bad(why, "mixed separators");
		}
	}
	return 0;
}

int ps_parse_mac(const char *s, size_t n, uint8_t mac[6], const char **why)
{
	int rc = parse_octets(s, n, mac, 6, ":-", why);

	if (rc)
		return n != 17 ? bad(why, "not six octets aa:bb:cc:dd:ee:ff")
			       : rc;
	if (mac[0] & 1)
		return bad(why, "multicast address");
	if (all_zero(mac, 6))
		return bad(why, "all-zero address");
	return 0;
}

int ps_parse_wwn(const char *s, size_t n, uint8_t wwn[8], const char **why)
{
	int rc = parse_octets(s, n, wwn, 8, ":", why);

	if (rc)
		return n != 23 ? bad(why, "not eight octets aa:bb:..:hh") : rc;
	if (all_zero(wwn, 8))
		return bad(why, "all-zero WWN");
	return 0;
}

int ps_parse_uuid(const char *s, size_t n, uint8_t uuid[16],
		  const char **why)
{
	size_t i, o = 0;

	if (n != 36)
		return bad(why, "not a UUID (8-4-4-4-12 hex digits)");
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return bad(why, "dashes not at 8-4-4-4-12");
			continue;
		}
		if (hexval(s[i]) < 0 || hexval(s[i + 1]) < 0)
			return bad(why, "not a hex digit");
		uuid[o++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
		i++;
	}
	if (all_zero(uuid, 16))
		return bad(why, "nil UUID");
	return 0;
}

/* Digits (decimal, or hex after 0x) at s[*i..n); advances *i. */
static int parse_num(const char *s, size_t n, size_t *i, uint64_t *out,
		     const char **why)
{
	uint64_t v = 0, base = 10;
	size_t start;

	if (n - *i > 2 && s[*i] == '0' &&
	    lower(s[*i + 1]) == 'x') {
		base = 16;
		*i += 2;
	}
	start = *i;
	for (; *i < n; (*i)++) {
		int d = hexval(s[*i]);

		if (d < 0 || (uint64_t)d >= base)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return bad(why, "number too large");
		v = v * base + (uint64_t)d;
	}
	if (*i == start)
		return bad(why, n ? "not a number" : "empty value");
	*out = v;
	return 0;
}

int ps_parse_uint(const char *s, size_t n, uint64_t min, uint64_t max,
		  uint64_t *out, const char **why)
{
	size_t i = 0;
	int rc = parse_num(s, n, &i, out, why);

	if (rc)
		return rc;
	if (i != n)
		return bad(why, "not a number");
	if (*out < min || *out > max)
		return bad(why, "out of range");
	return 0;
}

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit units[] = {
	{ "b", 1 },
	{ "k", 1ull << 10 }, { "kib", 1ull << 10 }, { "kb", 1000ull },
	{ "m", 1ull << 20 }, { "mib", 1ull << 20 }, { "mb", 1000000ull },
	{ "g", 1ull << 30 }, { "gib", 1ull << 30 }, { "gb", 1000000000ull },
	{ "t", 1ull << 40 }, { "tib", 1ull << 40 },
	{ "tb", 1000000000000ull },
	{ NULL, 0 },
};

int ps_parse_size(const char *s, size_t n, uint64_t default_unit,
		  uint64_t *bytes, const char **why)
{
	size_t i = 0;
	uint64_t v, mult = default_unit;
	int rc = parse_num(s, n, &i, &v, why);

	if (rc)
		return rc;
	while (i < n && s[i] == ' ')
		i++;
	if (i < n) {
		const struct unit *u;

		for (u = units; u->name; u++)
			if (eq_ci(s + i, n - i, u->name))
				break;
		if (!u->name)
			return bad(why, "unknown unit (B, K/KiB, KB, M/MiB, MB, "
					"G/GiB, GB, T/TiB, TB)");
		mult = u->mult;
	}
	if (mult && v > UINT64_MAX / mult)
		return bad(why, "size too large");
	*bytes = v * mult;
	return 0;
}

int ps_parse_enum(const char *s, size_t n, const struct ps_enum *names,
		  uint8_t *out, const char **why)
{
	for (; names->name; names++)
		if (eq_ci(s, n, names->name)) {
			*out = names->value;
			return 0;
		}
	return bad(why, "not one of the allowed words");
}

static const struct ps_enum boot_names[] = {
	{ "disk", PSF_BOOT_DISK }, { "hd", PSF_BOOT_DISK },
	{ "cdrom", PSF_BOOT_CDROM }, { "cd", PSF_BOOT_CDROM },
	{ "network", PSF_BOOT_NETWORK }, { "net", PSF_BOOT_NETWORK },
	{ "pxe", PSF_BOOT_NETWORK },
	{ "floppy", PSF_BOOT_FLOPPY }, { "fd", PSF_BOOT_FLOPPY },
	{ NULL, 0 },
};

/* Length of the next comma-separated item at s[i..n). */
static size_t item_len(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && s[j] != ',')
		j++;
	return j - i;
}

int ps_parse_boot(const char *s, size_t n, uint8_t *codes, uint32_t *count,
		  const char **why)
{
	size_t i = 0;
	uint32_t c = 0, k;

	while (i < n) {
		size_t l = item_len(s, n, i);
		uint8_t code;

		if (ps_parse_enum(s + i, l, boot_names, &code, why))
			return bad(why, "unknown boot device (disk, cdrom, "
					"network, floppy)");
		for (k = 0; k < c; k++)
			if (codes[k] == code)
				return bad(why, "boot device listed twice");
		if (c == PS_CFG_BOOT_MAX)
			return bad(why, "too many boot devices");
		codes[c++] = code;
		i += l + 1;
		if (i == n)
			return bad(why, "empty item");
	}
	*count = c;
	return 0;
}

/* ------------------------------------------------------ formatters, gens */

void ps_fmt_mac(const uint8_t mac[6], char out[18])
{
	struct sb s;

	sb_init(&s, out, 18);
	sb_hex(&s, mac, 6, ':');
}

void ps_fmt_wwn(const uint8_t wwn[8], char out[24])
{
	struct sb s;

	sb_init(&s, out, 24);
	sb_hex(&s, wwn, 8, ':');
}

static void sb_uuid(struct sb *s, const uint8_t *u)
{
	sb_hex(s, u, 4, 0);
	sb_put(s, "-", 1);
	sb_hex(s, u + 4, 2, 0);
	sb_put(s, "-", 1);
	sb_hex(s, u + 6, 2, 0);
	sb_put(s, "-", 1);
	sb_hex(s, u + 8, 2, 0);
	sb_put(s, "-", 1);
	sb_hex(s, u + 10, 6, 0);
}

void ps_fmt_uuid(const uint8_t uuid[16], char out[37])
{
	struct sb s;

	sb_init(&s, out, 37);
	sb_uuid(&s, uuid);
}

void ps_gen_mac(const uint8_t rnd[6], uint8_t mac[6])
{
	psf_memcpy(mac, rnd, 6);
	mac[0] = (uint8_t)((mac[0] | 0x02) & ~0x01);
}

void ps_gen_uuid(const uint8_t rnd[16], uint8_t uuid[16])
{
	psf_memcpy(uuid, rnd, 16);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* version 4 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* ------------------------------------------------------------ the schema */

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

#define STR(n, sig, t, h) { n, sig, t, 0, 0, 0, 0, 0, 0, NULL, h, 0 }
#define REF(n, sig, k, h) { n, sig, PS_FT_REF, 0, 0, k, 0, 0, 0, NULL, h, 0 }
#define UINT(n, rec, off, w, lo, hi, u, h) \
	{ n, rec, PS_FT_UINT, w, off, u, 0, lo, hi, NULL, h, 0 }
#define ENUM(n, rec, off, names, h) \
	{ n, rec, PS_FT_ENUM, 1, off, 0, 0, 0, 0, names, h, 0 }
#define BOOL(n, rec, off, bit, inv, h) \
	{ n, rec, PS_FT_BOOL, 1, off, bit, 0, 0, inv, NULL, h, 0 }
#define BYTES(n, rec, t, off, w, h) { n, rec, t, w, off, 0, 0, 0, 0, NULL, h, 0 }
#define END { NULL, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0 }

static const struct ps_field vm_fields[] = {
	STR("name", PSF_NAME, PS_FT_NAME, "new name"),
	STR("description", PSF_DESCRIPTION, PS_FT_TEXT, "free text"),
	STR("serial", PSF_SERIAL_NUMBER, PS_FT_SERIAL, "SMBIOS serial"),
	BYTES("uuid", PSF_VM_CONFIG, PS_FT_UUID, PSF_VMC_UUID, 16,
	      "RFC 4122 UUID"),
	{ "memory", PSF_VM_CONFIG, PS_FT_SIZE, 8, PSF_VMC_MEMORY_KIB, 1024,
	  1u << 20, 0, 1ull << 34, NULL, "size, e.g. 4GiB (bare: MiB)", 0 },
	UINT("cpus", PSF_VM_CONFIG, PSF_VMC_VCPUS, 2, 1, PS_CFG_CPUS_MAX, 0,
	     "virtual CPUs 1-4096"),
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
	  0, NULL, "restart after a crash: on|off (off drops the log)", 0 },
	{ "restart-consistency-image", PSF_CONSISTENCY_IMAGE, PS_FT_REF, 0, 0,
	  PS_OBJ_IMAGE, 0, 0, 0, NULL, "image to restart from first",
	  PSF_RESTART_POLICY },
	{ "restart-boot-image", PSF_BOOT_IMAGE, PS_FT_REF, 0, 0, PS_OBJ_IMAGE,
	  0, 0, 0, NULL, "image to restart from next", PSF_RESTART_POLICY },
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
	  0, UINT64_MAX, NULL, "virtual size, e.g. 20GiB", 0 },
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
	  0, UINT64_MAX, NULL, "first CPU / base / BDF / port", 0 },
	{ "count", PSF_RESERVATION_CONFIG, PS_FT_SIZE, 8, PSF_RESC_COUNT, 1, 1,
	  0, UINT64_MAX, NULL, "CPUs / bytes / functions / ports", 0 },
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

/* What distinguishes the kinds of object. */
struct kind {
	const char *name;
	uint32_t set, sig, rec;  /* rec 0: no record (a server) */
	uint16_t rec_len, room;
	uint8_t sub;            /* lives under a VM */
	uint8_t by_port;        /* key is SERIAL_CONFIG.port, not NAME */
	const struct ps_field *fields;
};

static const struct kind kinds[PS_OBJ_COUNT] = {
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

static int kind_ok(enum ps_obj k)
{
	return (unsigned)k < PS_OBJ_COUNT;
}

const char *ps_obj_name(enum ps_obj k)
{
	return kind_ok(k) ? kinds[k].name : "?";
}

const struct ps_field *ps_obj_fields(enum ps_obj k)
{
	return kind_ok(k) ? kinds[k].fields : NULL;
}

const struct ps_field *ps_obj_field(enum ps_obj k, const char *name,
				    size_t len)
{
	const struct ps_field *f = ps_obj_fields(k);

	for (; f && f->name; f++)
		if (eq_ci(name, len, f->name))
			return f;
	return NULL;
}

/* ------------------------------------------------------------- reading */

/* The string child sig of elem: pointer and length (NULL, 0 if absent). */
static const char *str_of(const void *buf, int elem, uint32_t sig,
			  uint32_t *len)
{
	const char *p = psf_child_payload(buf, elem, sig, len);

	if (!p)
		*len = 0;
	return p;
}

static int str_is(const void *buf, int elem, uint32_t sig, const char *s,
		  size_t n)
{
	uint32_t len;
	const char *p = str_of(buf, elem, sig, &len);

	return p && len == n && psf_memcmp(p, s, n) == 0;
}

/* Record field bytes (zero past the stored length). */
static void rec_bytes(const void *buf, int elem, uint32_t rec, uint32_t off,
		      void *dst, uint32_t n)
{
	uint32_t len;
	const void *p = psf_child_payload(buf, elem, rec, &len);

	psf_field_bytes(p, p ? len : 0, off, dst, n);
}

static uint64_t rec_uint(const void *buf, int elem, uint32_t rec,
			 uint32_t off, uint32_t w)
{
	uint32_t len;
	const void *p = psf_child_payload(buf, elem, rec, &len);

	return psf_field_uint(p, p ? len : 0, off, w);
}

static int port_of(const void *buf, int elem)
{
	return (int)rec_uint(buf, elem, PSF_SERIAL_CONFIG, PSF_SERC_PORT, 2);
}

int ps_obj_next(const void *buf, int parent, enum ps_obj k, int prev)
{
	int set;

	if (!kind_ok(k))
		return PSF_ERR_BADVALUE;
	set = psf_find_child(buf, parent, kinds[k].set);
	if (set < 0)
		return set;
	return psf_find_next(buf, set, prev, kinds[k].sig);
}

int ps_obj_find(const void *buf, int parent, enum ps_obj k, const char *s,
		size_t n)
{
	uint64_t port = 0;
	int el;

	if (!kind_ok(k))
		return PSF_ERR_BADVALUE;
	if (kinds[k].by_port &&
	    ps_parse_uint(s, n, 0, 65535, &port, NULL))
		return PSF_ERR_NOTFOUND;
	for (el = ps_obj_next(buf, parent, k, -1); el >= 0;
	     el = ps_obj_next(buf, parent, k, el)) {
		if (kinds[k].by_port ? port_of(buf, el) == (int)port
				     : str_is(buf, el, PSF_NAME, s, n))
			return el;
	}
	return el == PSF_ERR_NOTFOUND || el >= 0 ? PSF_ERR_NOTFOUND : el;
}

size_t ps_obj_key(const void *buf, int elem, enum ps_obj k, char *out,
		  size_t outlen)
{
	struct sb s;
	uint32_t len;
	const char *p;

	sb_init(&s, out, outlen);
	if (kind_ok(k) && kinds[k].by_port) {
		sb_u64(&s, (uint64_t)port_of(buf, elem));
	} else {
		p = str_of(buf, elem, PSF_NAME, &len);
		sb_put(&s, p ? p : "", len);
	}
	return s.len;
}

/* -------------------------------------------------------------- errors */

static void err_init(struct ps_cfg_err *e, const char *field)
{
	if (!e)
		return;
	e->field = field;
	e->why = NULL;
	e->holder[0] = 0;
	e->value[0] = 0;
}

static int fail(struct ps_cfg_err *e, int code, const char *why)
{
	if (e)
		e->why = why;
	return code;
}

/* "nic 'eth0' of vm 'web1'": kind and key of elem, and of its VM when
 * it lies under one. */
static void holder_of(const void *buf, int elem, enum ps_obj k, int vm,
		      struct ps_cfg_err *e)
{
	struct sb s;
	char key[PS_CFG_NAME_MAX + 1];

	if (!e)
		return;
	sb_init(&s, e->holder, sizeof(e->holder));
	sb_str(&s, kinds[k].name);
	sb_put(&s, " '", 2);
	ps_obj_key(buf, elem, k, key, sizeof(key));
	sb_str(&s, key);
	sb_put(&s, "'", 1);
	if (vm >= 0) {
		sb_str(&s, " of vm '");
		ps_obj_key(buf, vm, PS_OBJ_VM, key, sizeof(key));
		sb_str(&s, key);
		sb_put(&s, "'", 1);
	}
}

/* ---------------------------------------------------------------- room */

/*
 * Room for growth.  An edit that adds bytes inside container c at offset
 * `from` borrows them from the nearest pad at or after `from` among the
 * children of c or of an enclosing container: the pad is deleted, the
 * edit made, and a pad of what is left put back where the rest now
 * starts.  The bytes after that pad end where they were, so only the
 * span between the edit and the pad changes.
 */
struct room {
	int holder;        /* container of the pad */
	int pad;           /* its offset, or -1: no room (the tail moves) */
	uint32_t size;     /* its bytes, header included */
	uint32_t base;     /* store total after the pad was taken */
};

static int pad_in(const void *buf, int c, uint32_t from, uint32_t need,
		  struct room *r)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return 0;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0) {
		uint32_t size = e.end - (uint32_t)off;

		if (e.sig != PSF_PAD || (uint32_t)off < from)
			continue;
		if (size == need || size >= need + PSF_STRUCT_HDR) {
			r->holder = c;
			r->pad = off;
			r->size = size;
			return 1;
		}
	}
	return 0;
}

static void room_take(void *buf, int c, uint32_t from, uint32_t need,
		      struct room *r)
{
	int chain[PSF_MAX_DEPTH];
	int d = psf_ancestors(buf, c, chain), i;

	r->pad = -1;
	for (i = d; i >= 0 && need; i--)
		if (pad_in(buf, i == d ? c : chain[i], from, need, r))
			break;
	if (r->pad >= 0 && psf_delete(buf, r->pad))
		r->pad = -1;
	r->base = psf_total(buf);
}

/* The child of c at offset at, or -1 (append) when none starts there. */
static int child_at(const void *buf, int c, uint32_t at)
{
	struct psf_cursor cur;
	struct psf_elem e;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return -1;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0)
		if ((uint32_t)off == at)
			return off;
	return -1;
}

static int room_give(void *buf, size_t cap, const struct room *r)
{
	uint32_t total = psf_total(buf), used, left;
	int rc;

	if (r->pad < 0 || total < r->base)
		return 0;
	used = total - r->base;
	if (used > r->size || r->size - used < PSF_STRUCT_HDR)
		return 0;  /* more than the pad held: the tail moved */
	left = r->size - used;
	rc = psf_insert(buf, cap, r->holder,
			child_at(buf, r->holder, (uint32_t)r->pad + used),
			PSF_PAD, NULL, left - PSF_STRUCT_HDR);
	return rc < 0 ? rc : 0;
}

/* End of the last child of c that is not a pad: where new children go,
 * so pads stay at the end and NIC order is creation order. */
static uint32_t append_point(const void *buf, int c)
{
	struct psf_cursor cur;
	struct psf_elem e;
	uint32_t at;
	int off;

	if (psf_cursor_init(buf, c, &cur))
		return 0;
	at = cur.next;
	while ((off = psf_cursor_next(buf, &cur, &e)) >= 0)
		if (e.sig != PSF_PAD)
			at = e.end;
	return at;
}

/*
 * Give child sig of elem the payload data[0..len): replaced in place when
 * it exists (growth paid by room), else inserted after the last real
 * child.  Returns its offset.
 */
static int put_child(void *buf, size_t cap, int elem, uint32_t sig,
		     const void *data, uint32_t len)
{
	struct room r;
	struct psf_elem e;
	int off = psf_find_child(buf, elem, sig), rc;

	if (off >= 0) {
		rc = psf_elem(buf, off, &e);
		if (rc)
			return rc;
		if (len <= e.count) {
			rc = psf_set_payload(buf, cap, off, data, len);
			return rc ? rc : off;
		}
		room_take(buf, elem, e.end, len - e.count, &r);
		rc = psf_set_payload(buf, cap, off, data, len);
		if (!rc)
			rc = room_give(buf, cap, &r);
		return rc ? rc : off;
	}
	if (off != PSF_ERR_NOTFOUND)
		return off;
	{
		uint32_t at = append_point(buf, elem);

		room_take(buf, elem, at, PSF_STRUCT_HDR + len, &r);
		off = psf_insert(buf, cap, elem, child_at(buf, elem, at), sig,
				 data, len);
		rc = off < 0 ? off : room_give(buf, cap, &r);
	}
	return rc ? rc : off;
}

/* Remove child sig of elem (an empty string, no reference). */
static int drop_child(void *buf, int elem, uint32_t sig)
{
	int off = psf_find_child(buf, elem, sig);

	if (off == PSF_ERR_NOTFOUND)
		return 0;
	return off < 0 ? off : psf_wip_nop(buf, off);
}

/* The record rec of elem at least rec_len long (unknown trailing bytes
 * kept): its offset. */
static int full_record(void *buf, size_t cap, int elem, uint32_t rec,
		       uint32_t rec_len)
{
	uint8_t tmp[64];
	uint32_t len = 0;
	const void *p = psf_child_payload(buf, elem, rec, &len);

	if (p && len >= rec_len)
		return psf_find_child(buf, elem, rec);
	if (rec_len > sizeof(tmp))
		return PSF_ERR_BADVALUE;
	psf_memset(tmp, 0, sizeof(tmp));
	if (p)
		psf_memcpy(tmp, p, len);
	return put_child(buf, cap, elem, rec, tmp, rec_len);
}

static int write_field(void *buf, size_t cap, int elem, enum ps_obj k,
		       const struct ps_field *f, const void *data)
{
	/* Records inside an object's container (RESTART_CONFIG) are the
	 * only nested ones. */
	uint32_t rec_len = f->in ? PSF_RSTC_SIZE : kinds[k].rec_len;
	int rec = full_record(buf, cap, elem, f->sig, rec_len);

	if (rec < 0)
		return rec;
	return psf_wip_write(buf, rec, f->off, data, f->width);
}

/* ------------------------------------------------------------- create */

/* The set of kind k under parent, created (with room) when missing. */
static int need_set(void *buf, size_t cap, int parent, enum ps_obj k)
{
	const struct kind *kd = &kinds[k];
	uint32_t room = kd->sub ? 0 : PS_CFG_ROOM_SET, at;
	struct room r;
	int set = psf_find_child(buf, parent, kd->set), rc;

	if (set != PSF_ERR_NOTFOUND)
		return set;
	at = append_point(buf, parent);
	room_take(buf, parent, at,
		  PSF_CONTAINER_HDR + (room ? PSF_STRUCT_HDR + room : 0), &r);
	set = psf_insert(buf, cap, parent, child_at(buf, parent, at), kd->set,
			 NULL, 0);
	if (set < 0)
		return set;
	if (room) {
		rc = psf_insert(buf, cap, set, -1, PSF_PAD, NULL, room);
		if (rc < 0)
			return rc;
	}
	rc = room_give(buf, cap, &r);
	return rc ? rc : set;
}

static int check_key(enum ps_obj k, const char *s, size_t n, uint64_t *port,
		     struct ps_cfg_err *e)
{
	const char *why = NULL;
	int rc;

	if (kinds[k].by_port) {
		err_init(e, "port");
		rc = ps_parse_uint(s, n, 0, 255, port, &why);
	} else {
		err_init(e, "name");
		rc = ps_check_name(s, n, &why);
	}
	return rc ? fail(e, rc, why) : 0;
}

int ps_obj_create(void *buf, size_t cap, int parent, enum ps_obj k,
		  const char *s, size_t n, struct ps_cfg_err *e)
{
	const struct kind *kd;
	uint8_t rec[64];
	uint64_t port = 0;
	uint32_t at, need;
	struct room r;
	int set, el, rc;

	if (!kind_ok(k))
		return PSF_ERR_BADVALUE;
	kd = &kinds[k];
	rc = check_key(k, s, n, &port, e);
	if (rc)
		return rc;
	if (ps_obj_find(buf, parent, k, s, n) >= 0)
		return fail(e, PS_ERR_EXISTS, "already exists");
	set = need_set(buf, cap, parent, k);
	if (set < 0)
		return set;
	psf_memset(rec, 0, sizeof(rec));
	if (kd->by_port)
		psf_put_le16(rec + PSF_SERC_PORT, (uint16_t)port);
	need = PSF_CONTAINER_HDR + (kd->rec ? PSF_STRUCT_HDR + kd->rec_len : 0) +
	       PSF_STRUCT_HDR + kd->room +
	       (kd->by_port ? 0 : PSF_STRUCT_HDR + (uint32_t)n);
	at = append_point(buf, set);
	room_take(buf, set, at, need, &r);
	el = psf_insert(buf, cap, set, child_at(buf, set, at), kd->sig, NULL, 0);
	if (el < 0)
		return el;
	rc = kd->by_port ? 0 : psf_insert(buf, cap, el, -1, PSF_NAME, s,
					   (uint32_t)n);
	if (rc >= 0 && kd->rec)
		rc = psf_insert(buf, cap, el, -1, kd->rec, rec, kd->rec_len);
	if (rc >= 0)
		rc = psf_insert(buf, cap, el, -1, PSF_PAD, NULL, kd->room);
	if (rc >= 0)
		rc = room_give(buf, cap, &r);
	return rc < 0 ? rc : el;
}

/* ------------------------------------------------------ cross-checks */

/* The VM above an element under a VM (NIC, controller, serial port). */
static int vm_of(const void *buf, int elem)
{
	int chain[PSF_MAX_DEPTH];
	int d = psf_ancestors(buf, elem, chain);

	return d >= 2 ? chain[d - 2] : -1;
}

/* The VM's restart policy names image s as one of its images. */
static int policy_names(const void *buf, int vm, const char *s, size_t n)
{
	int c = psf_find_child(buf, vm, PSF_RESTART_POLICY);

	return c >= 0 && (str_is(buf, c, PSF_CONSISTENCY_IMAGE, s, n) ||
			  str_is(buf, c, PSF_BOOT_IMAGE, s, n));
}

/*
 * Who refers to the object (kind k, name s): a NIC to a network, a
 * controller or a VM's restart policy to an image, a reservation to its
 * owner VM, a VM to its profile.  1 with e->holder set, or 0.
 */
static int referenced(const void *buf, enum ps_obj k, const char *s,
		      size_t n, struct ps_cfg_err *e)
{
	int root = psf_root(buf), vm, el;
	enum ps_obj sub = k == PS_OBJ_NETWORK ? PS_OBJ_NIC : PS_OBJ_CONTROLLER;
	uint32_t ref = k == PS_OBJ_NETWORK ? PSF_NETWORK_REF : PSF_IMAGE_REF;

	if (k == PS_OBJ_VM) {
		for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1);
		     el >= 0;
		     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el))
			if (str_is(buf, el, PSF_OWNER, s, n))
				return holder_of(buf, el, PS_OBJ_RESERVATION,
						 -1, e), 1;
		return 0;
	}
	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm)) {
		if (k == PS_OBJ_PROFILE) {
			if (str_is(buf, vm, PSF_PROFILE_REF, s, n))
				return holder_of(buf, vm, PS_OBJ_VM, -1, e), 1;
			continue;
		}
		if (k != PS_OBJ_NETWORK && k != PS_OBJ_IMAGE)
			return 0;
		if (k == PS_OBJ_IMAGE && policy_names(buf, vm, s, n))
			return holder_of(buf, vm, PS_OBJ_VM, -1, e), 1;
		for (el = ps_obj_next(buf, vm, sub, -1); el >= 0;
		     el = ps_obj_next(buf, vm, sub, el))
			if (str_is(buf, el, ref, s, n))
				return holder_of(buf, el, sub, vm, e), 1;
	}
	return 0;
}

static int server_used(const void *buf, int server, struct ps_cfg_err *e);
static size_t phys_len(const char *s, size_t n);
struct ptgt {
	const char *p;          /* bmc: the host; else the whole text */
	size_t n;
	uint64_t port;          /* bmc: 623 when not given */
	int bmc;
};
static int ptgt_parse(const char *s, size_t n, struct ptgt *t,
		      const char **why);
static const char no_vm[] = "a server has no #VM";
static int check_ptarget(const char *s, size_t n, const char **why);
static void sb_who(struct sb *s, const void *buf, int el, enum ps_obj k,
		   int vm);

/* Identities that must be unique among VMs and profiles. */
enum ident { ID_UUID, ID_MAC, ID_SERIAL, ID_WWN };

/* Who is asking: the element whose old value is being replaced (skipped),
 * and the VM or profile the new value belongs to. */
struct asker {
	int self;
	int owner;
	enum ps_obj owner_kind;
	int skip_vm;            /* a VM not to look in (-1: none) */
	int skip_prof;          /* a profile not to look in (-1: none) */
};

/* A VM that carries a profile shares its identity: not a clash. */
static int carries(const void *buf, int vm, int prof)
{
	uint32_t len;
	const char *p = str_of(buf, prof, PSF_NAME, &len);

	return p && str_is(buf, vm, PSF_PROFILE_REF, p, len);
}

static int vm_has(const void *buf, int vm, enum ident id, const uint8_t *v,
		  uint32_t n, const struct asker *a, int *nic)
{
	uint8_t tmp[16];
	int el;

	*nic = -1;
	if (id == ID_UUID && vm != a->self) {
		rec_bytes(buf, vm, PSF_VM_CONFIG, PSF_VMC_UUID, tmp, 16);
		return psf_memcmp(tmp, v, 16) == 0;
	}
	if (id == ID_SERIAL && vm != a->self)
		return str_is(buf, vm, PSF_SERIAL_NUMBER, (const char *)v, n);
	if (id != ID_MAC)
		return 0;
	for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
	     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) {
		rec_bytes(buf, el, PSF_NIC_CONFIG, PSF_NICC_MAC, tmp, 6);
		if (el != a->self && psf_memcmp(tmp, v, 6) == 0)
			return *nic = el, 1;
	}
	return 0;
}

/* Does a list payload hold the item v (size n, at stride step)? */
static int list_has(const uint8_t *p, uint32_t len, uint32_t step,
		    const uint8_t *v, uint32_t n)
{
	uint32_t i;

	for (i = 0; p && i + step <= len; i += step)
		if (psf_memcmp(p + i, v, n) == 0 ||
		    (step == 16 && psf_memcmp(p + i + 8, v, n) == 0))
			return 1;
	return 0;
}

static int profile_has(const void *buf, int pr, enum ident id,
		       const uint8_t *v, uint32_t n)
{
	uint8_t tmp[16];
	uint32_t len;
	const uint8_t *p;

	switch (id) {
	case ID_UUID:
		rec_bytes(buf, pr, PSF_PROFILE_CONFIG, PSF_PROC_UUID, tmp, 16);
		return psf_memcmp(tmp, v, 16) == 0;
	case ID_SERIAL:
		return str_is(buf, pr, PSF_SERIAL_NUMBER, (const char *)v, n);
	case ID_MAC:
		p = psf_child_payload(buf, pr, PSF_MAC_LIST, &len);
		return list_has(p, len, PSF_MAC_LEN, v, 6);
	case ID_WWN:
		p = psf_child_payload(buf, pr, PSF_WWN_LIST, &len);
		return list_has(p, len, PSF_WWN_ITEM_LEN, v, 8);
	}
	return 0;
}

/* PS_ERR_DUPLICATE naming the holder when v is used elsewhere. */
static int ident_clash(const void *buf, enum ident id, const uint8_t *v,
		       uint32_t n, const struct asker *a,
		       struct ps_cfg_err *e)
{
	int root = psf_root(buf), el, nic;

	for (el = ps_obj_next(buf, root, PS_OBJ_VM, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_VM, el)) {
		if (el == a->skip_vm ||
		    (a->owner_kind == PS_OBJ_PROFILE && carries(buf, el, a->owner)))
			continue;
		if (vm_has(buf, el, id, v, n, a, &nic)) {
			if (nic >= 0)
				holder_of(buf, nic, PS_OBJ_NIC, el, e);
			else
				holder_of(buf, el, PS_OBJ_VM, -1, e);
			return fail(e, PS_ERR_DUPLICATE, "already in use");
		}
	}
	for (el = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_PROFILE, el)) {
		if (el == a->self || el == a->skip_prof ||
		    (a->owner_kind == PS_OBJ_VM && carries(buf, a->owner, el)))
			continue;
		if (profile_has(buf, el, id, v, n)) {
			holder_of(buf, el, PS_OBJ_PROFILE, -1, e);
			return fail(e, PS_ERR_DUPLICATE, "already in use");
		}
	}
	return 0;
}

/* Concentrator ports: mapped at most once in the whole store. */
static int conc_clash(const void *buf, int self, uint16_t port,
		      struct ps_cfg_err *e)
{
	int root = psf_root(buf), vm, el;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el))
			if (el != self &&
			    rec_uint(buf, el, PSF_SERIAL_CONFIG,
				     PSF_SERC_CONCENTRATOR, 2) == port) {
				holder_of(buf, el, PS_OBJ_SERIAL, vm, e);
				return fail(e, PS_ERR_DUPLICATE,
					    "concentrator port already mapped");
			}
	return 0;
}

/* ------------------------------------------------------------- delete */

/* A NIC: pxe-nic counts NICs, so it follows its NIC when an earlier one
 * goes, and falls back to the first NIC when its own goes. */
static int delete_nic(void *buf, int vm, int nic, int idx)
{
	int pxe = (int)rec_uint(buf, vm, PSF_VM_CONFIG, PSF_VMC_PXE_NIC, 2);
	int rc = psf_wip_nop(buf, nic), rec;
	uint8_t le[2];

	if (rc || pxe < idx)
		return rc;
	rec = psf_find_child(buf, vm, PSF_VM_CONFIG);
	psf_put_le16(le, (uint16_t)(pxe == idx ? 0 : pxe - 1));
	return rec < 0 ? 0 : psf_wip_write(buf, rec, PSF_VMC_PXE_NIC, le, 2);
}

int ps_obj_delete(void *buf, int elem, enum ps_obj k, struct ps_cfg_err *e)
{
	uint32_t len;
	const char *name;
	int vm, idx = 0, el;

	err_init(e, NULL);
	if (!kind_ok(k) || psf_sig(buf, elem) != kinds[k].sig)
		return PSF_ERR_BADVALUE;
	name = str_of(buf, elem, PSF_NAME, &len);
	if (name && referenced(buf, k, name, len, e))
		return fail(e, PS_ERR_INUSE, "still referenced");
	if (k == PS_OBJ_SERVER && server_used(buf, elem, e))
		return fail(e, PS_ERR_INUSE, "still referenced");
	if (k != PS_OBJ_NIC)
		return psf_wip_nop(buf, elem);
	/* Keep pxe-nic pointing at the same NIC: later ones move up. */
	vm = vm_of(buf, elem);
	for (el = ps_obj_next(buf, vm, k, -1); el >= 0 && el != elem;
	     el = ps_obj_next(buf, vm, k, el))
		idx++;
	return delete_nic(buf, vm, elem, idx);
}

/* --------------------------------------------------------- field parse */

static int check_text(const char *s, size_t n, size_t max, const char **why)
{
	size_t i;

	if (n > max)
		return bad(why, "too long");
	for (i = 0; i < n; i++)
		if ((uint8_t)s[i] < 0x20 || s[i] == 0x7f)
			return bad(why, "control characters");
	return 0;
}

static int check_serial(const char *s, size_t n, const char **why)
{
	size_t i;

	if (n > PS_CFG_SERIAL_MAX)
		return bad(why, "longer than 64 characters");
	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		return bad(why, "leading or trailing space");
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return bad(why, "not printable ASCII");
	return 0;
}

static int check_host(const char *s, size_t n, const char **why)
{
	size_t i, label = 0;

	if (n > 253)
		return bad(why, "longer than 253 characters");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return bad(why, "empty label or '-' at its end");
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return bad(why, "characters other than A-Z a-z 0-9 - .");
		if (c == '-' && !label)
			return bad(why, "label starts with '-'");
		if (++label > 63)
			return bad(why, "label longer than 63 characters");
	}
	if (n && (s[n - 1] == '-' || s[n - 1] == '.'))
		return bad(why, "ends with '-' or '.'");
	return 0;
}

/* SAM LUN: 0-255 peripheral, 256-16383 flat space, or 16 hex digits. */
static int parse_lun(const char *s, size_t n, uint8_t lun[8],
		     const char **why)
{
	uint64_t v;
	size_t i;

	psf_memset(lun, 0, 8);
	if (n == 16) {
		for (i = 0; i < 16; i++) {
			if (hexval(s[i]) < 0)
				return bad(why, "LUN not a number");
			lun[i / 2] = (uint8_t)(lun[i / 2] << 4 | hexval(s[i]));
		}
		return 0;
	}
	if (ps_parse_uint(s, n, 0, 16383, &v, NULL))
		return bad(why, "LUN not 0-16383 or 16 hex digits");
	lun[0] = (uint8_t)(v > 255 ? 0x40 | (v >> 8) : 0);
	lun[1] = (uint8_t)v;
	return 0;
}

/* Comma-separated items, each one or two (A/B) parts. */
static int parse_list(const struct ps_field *f, const char *s, size_t n,
		      struct ps_value *v, const char **why)
{
	size_t i = 0;
	uint32_t step = f->type == PS_FT_MACLIST ? PSF_MAC_LEN : 16;

	v->len = 0;
	while (i < n) {
		size_t l = item_len(s, n, i), sl = 0;
		uint8_t *o = v->b + v->len;
		int rc;

		if (v->len / step == PS_CFG_LIST_MAX)
			return bad(why, "too many items");
		while (sl < l && s[i + sl] != '/')
			sl++;
		if (f->type == PS_FT_MACLIST)
			rc = ps_parse_mac(s + i, l, o, why);
		else if (sl == l)
			rc = bad(why, f->type == PS_FT_WWNLIST
					      ? "item is not WWNN/WWPN"
					      : "item is not WWPN/LUN");
		else
			rc = ps_parse_wwn(s + i, sl, o, why);
		if (!rc && f->type == PS_FT_WWNLIST)
			rc = ps_parse_wwn(s + i + sl + 1, l - sl - 1, o + 8,
					  why);
		if (!rc && f->type == PS_FT_FCBOOT)
			rc = parse_lun(s + i + sl + 1, l - sl - 1, o + 8, why);
		if (rc)
			return rc;
		v->len += step;
		i += l + 1;
		if (i == n)
			return bad(why, "empty item");
	}
	return 0;
}

static int parse_bool(const char *s, size_t n, uint64_t *out,
		      const char **why)
{
	static const struct ps_enum words[] = {
		{ "on", 1 }, { "yes", 1 }, { "true", 1 }, { "1", 1 },
		{ "off", 0 }, { "no", 0 }, { "false", 0 }, { "0", 0 },
		{ NULL, 0 },
	};
	uint8_t b;

	if (ps_parse_enum(s, n, words, &b, NULL))
		return bad(why, "not on|off");
	*out = b;
	return 0;
}

static int parse_size_field(const struct ps_field *f, const char *s,
			    size_t n, struct ps_value *v, const char **why)
{
	uint64_t bytes;
	int rc = ps_parse_size(s, n, f->unit_in, &bytes, why);

	if (rc)
		return rc;
	if (bytes % f->arg)
		return bad(why, f->arg == 1024 ? "not a whole number of KiB"
					       : "not a whole unit");
	v->u = bytes / f->arg;
	if (v->u < f->min || v->u > f->max)
		return bad(why, "out of range");
	return 0;
}

/* A duration: digits, then s (or nothing), m, h or d; fits a u32. */
static int parse_duration(const char *s, size_t n, uint64_t *out,
			  const char **why)
{
	static const struct { const char *u; uint32_t mul; } units[] = {
		{ "", 1 }, { "s", 1 }, { "m", 60 }, { "min", 60 },
		{ "h", 3600 }, { "d", 86400 },
	};
	size_t i = 0, k;
	uint64_t v;

	if (parse_num(s, n, &i, &v, why))
		return PS_ERR_BADVALUE;
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		if (!eq_ci(s + i, n - i, units[k].u))
			continue;
		if (v > 0xffffffffull / units[k].mul)
			return bad(why, "out of range (at most 4294967295 s)");
		*out = v * units[k].mul;
		return 0;
	}
	return bad(why, "unknown unit (s, m, h or d)");
}

static int parse_text(const struct ps_field *f, const char *s, size_t n,
		      struct ps_value *v, const char **why)
{
	int rc;

	switch (f->type) {
	case PS_FT_NAME:
		rc = ps_check_name(s, n, why);
		break;
	case PS_FT_REF:
		rc = n ? ps_check_name(s, n, why) : 0;
		break;
	case PS_FT_SERIAL:
		rc = check_serial(s, n, why);
		break;
	case PS_FT_HOST:
		rc = check_host(s, n, why);
		break;
	case PS_FT_PTARGET:
		rc = check_ptarget(s, n, why);
		break;
	default:
		rc = check_text(s, n, PS_CFG_TEXT_MAX, why);
	}
	if (rc)
		return rc;
	psf_memcpy(v->b, s, n);
	v->len = (uint32_t)n;
	return 0;
}

/* A server's target: a physical one, never #VM.  Kept as written (any
 * spelling compares equal); front ends store ps_target_norm's form. */
static int check_ptarget(const char *s, size_t n, const char **why)
{
	struct ptgt t;

	if (!n)
		return bad(why, "empty target");
	if (ptgt_parse(s, n, &t, why))
		return PS_ERR_BADVALUE;
	return phys_len(s, n) != n ? bad(why, no_vm) : 0;
}

int ps_field_parse(const struct ps_field *f, const char *s, size_t n,
		   struct ps_value *v, struct ps_cfg_err *e)
{
	const char *why = NULL;
	uint8_t b = 0;
	int rc;

	err_init(e, f->name);
	v->u = 0;
	v->len = 0;
	switch (f->type) {
	case PS_FT_UINT:
		rc = ps_parse_uint(s, n, f->min, f->max, &v->u, &why);
		break;
	case PS_FT_SIZE:
		rc = parse_size_field(f, s, n, v, &why);
		break;
	case PS_FT_ENUM:
		rc = ps_parse_enum(s, n, f->names, &b, &why);
		v->u = b;
		break;
	case PS_FT_BOOL:
	case PS_FT_PRESENCE:
		rc = parse_bool(s, n, &v->u, &why);
		break;
	case PS_FT_DURATION:
		rc = parse_duration(s, n, &v->u, &why);
		break;
	case PS_FT_RLOG:
		rc = n ? bad(&why, "written by hvagent; only \"\" (clear the "
			     "log) can be set") : 0;
		break;
	case PS_FT_UUID:
		rc = ps_parse_uuid(s, n, v->b, &why);
		v->len = 16;
		break;
	case PS_FT_MAC:
		rc = ps_parse_mac(s, n, v->b, &why);
		v->len = 6;
		break;
	case PS_FT_BOOT:
		rc = ps_parse_boot(s, n, v->b, &v->len, &why);
		break;
	case PS_FT_MACLIST:
	case PS_FT_WWNLIST:
	case PS_FT_FCBOOT:
		rc = parse_list(f, s, n, v, &why);
		break;
	default:
		rc = parse_text(f, s, n, v, &why);
	}
	return rc ? fail(e, rc, why) : 0;
}

/* ------------------------------------------------------------- setting */

static struct asker asker_for(const void *buf, int elem, enum ps_obj k)
{
	struct asker a = { elem, elem, k, -1, -1 };

	if (kinds[k].sub) {
		a.owner = vm_of(buf, elem);
		a.owner_kind = PS_OBJ_VM;
	}
	return a;
}

static int set_name(void *buf, size_t cap, int elem, enum ps_obj k,
		    const struct ps_value *v, struct ps_cfg_err *e)
{
	int parent = kinds[k].sub ? vm_of(buf, elem) : psf_root(buf);
	int other = ps_obj_find(buf, parent, k, (const char *)v->b, v->len);
	uint32_t len;
	const char *old = str_of(buf, elem, PSF_NAME, &len);

	if (other == elem)
		return 0;
	if (other >= 0)
		return fail(e, PS_ERR_EXISTS, "name already used");
	if (old && referenced(buf, k, old, len, e))
		return fail(e, PS_ERR_INUSE, "old name still referenced");
	other = put_child(buf, cap, elem, PSF_NAME, v->b, v->len);
	return other < 0 ? other : 0;
}

/* A new target for the server at elem (compared in any spelling): no
 * other server names it, and no profile is placed on the server (the
 * profile would lose its server's name). */
static int set_server_target(void *buf, size_t cap, int elem,
			     const struct ps_field *f,
			     const struct ps_value *v, struct ps_cfg_err *e)
{
	const char *t = (const char *)v->b, *why = NULL;
	int other;

	if (check_ptarget(t, v->len, &why))
		return fail(e, PS_ERR_BADVALUE, why);
	other = ps_server_by_target(buf, t, v->len);
	if (other >= 0 && other != elem) {
		holder_of(buf, other, PS_OBJ_SERVER, -1, e);
		return fail(e, PS_ERR_DUPLICATE, "already in use");
	}
	if (server_used(buf, elem, e))
		return fail(e, PS_ERR_INUSE, "still referenced");
	other = put_child(buf, cap, elem, f->sig, t, v->len);
	return other < 0 ? other : 0;
}

static int is_zero(const uint8_t *p, uint32_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* Does the VM hold any identity value (UUID, serial, a NIC's MAC) of the
 * profile pr? */
static int vm_shares(const void *buf, int vm, int pr)
{
	uint8_t tmp[16];
	uint32_t len;
	const char *sn;
	int nic;

	rec_bytes(buf, vm, PSF_VM_CONFIG, PSF_VMC_UUID, tmp, 16);
	if (!is_zero(tmp, 16) && profile_has(buf, pr, ID_UUID, tmp, 16))
		return 1;
	sn = str_of(buf, vm, PSF_SERIAL_NUMBER, &len);
	if (sn && len && profile_has(buf, pr, ID_SERIAL, (const uint8_t *)sn,
				     len))
		return 1;
	for (nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); nic >= 0;
	     nic = ps_obj_next(buf, vm, PS_OBJ_NIC, nic)) {
		rec_bytes(buf, nic, PSF_NIC_CONFIG, PSF_NICC_MAC, tmp, 6);
		if (!is_zero(tmp, 6) && profile_has(buf, pr, ID_MAC, tmp, 6))
			return 1;
	}
	return 0;
}

/*
 * A VM's profile reference set to (ref, n) (n 0: dropped).  The VM may
 * share its identity only with the profile it carries: changing or
 * dropping the reference while it still holds another profile's UUID,
 * serial or MACs would leave them on two holders.  Profile assign and
 * unassign move the identity along with the reference.
 */
static int ref_change_clash(const void *buf, int vm, const uint8_t *ref,
			    uint32_t n, struct ps_cfg_err *e)
{
	int root = psf_root(buf), pr;
	uint32_t len;
	const char *name;

	for (pr = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); pr >= 0;
	     pr = ps_obj_next(buf, root, PS_OBJ_PROFILE, pr)) {
		name = str_of(buf, pr, PSF_NAME, &len);
		if (name && n && len == n && !psf_memcmp(name, ref, n))
			continue;
		if (vm_shares(buf, vm, pr)) {
			holder_of(buf, pr, PS_OBJ_PROFILE, -1, e);
			return fail(e, PS_ERR_DUPLICATE, "without profile "
				    "unassign it would keep the identity "
				    "given");
		}
	}
	return 0;
}

static int set_string(void *buf, size_t cap, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	struct asker a = asker_for(buf, elem, k);
	int rc;

	if (f->type == PS_FT_NAME)
		return set_name(buf, cap, elem, k, v, e);
	if (f->type == PS_FT_REF && v->len &&
	    ps_obj_find(buf, psf_root(buf), (enum ps_obj)f->arg,
			(const char *)v->b, v->len) < 0)
		return fail(e, PS_ERR_BADREF, "no such element");
	if (k == PS_OBJ_VM && f->sig == PSF_PROFILE_REF) {
		rc = ref_change_clash(buf, elem, v->b, v->len, e);
		if (rc)
			return rc;
	}
	if (f->type == PS_FT_SERIAL && v->len) {
		rc = ident_clash(buf, ID_SERIAL, v->b, v->len, &a, e);
		if (rc)
			return rc;
	}
	if (!v->len)
		return drop_child(buf, elem, f->sig);
	rc = put_child(buf, cap, elem, f->sig, v->b, v->len);
	return rc < 0 ? rc : 0;
}

/* Lists of identities: unique among themselves and in the store. */
static int check_list(const void *buf, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	uint32_t step = f->type == PS_FT_MACLIST ? 6 : 8, i, j;
	struct asker a = asker_for(buf, elem, k);
	enum ident id = f->type == PS_FT_MACLIST ? ID_MAC : ID_WWN;
	int rc;

	for (i = 0; i < v->len; i += step) {
		for (j = 0; j < i; j += step)
			if (psf_memcmp(v->b + i, v->b + j, step) == 0)
				return fail(e, PS_ERR_DUPLICATE,
					    "listed twice");
		rc = ident_clash(buf, id, v->b + i, step, &a, e);
		if (rc)
			return rc;
	}
	return 0;
}

static int set_record(void *buf, size_t cap, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	struct asker a = asker_for(buf, elem, k);
	uint8_t le[8];
	int rc;

	if (f->type == PS_FT_UUID || f->type == PS_FT_MAC) {
		rc = ident_clash(buf, f->type == PS_FT_UUID ? ID_UUID : ID_MAC,
				 v->b, f->width, &a, e);
		return rc ? rc : write_field(buf, cap, elem, k, f, v->b);
	}
	if (f->type == PS_FT_BOOL) {
		uint8_t cur = (uint8_t)rec_uint(buf, elem, f->sig, f->off, 1);
		int on = (v->u != 0) != (f->max == 1);

		cur = (uint8_t)(on ? cur | f->arg : cur & ~f->arg);
		return write_field(buf, cap, elem, k, f, &cur);
	}
	if (f->arg == 1 && f->type == PS_FT_UINT && v->u) {
		rc = conc_clash(buf, elem, (uint16_t)v->u, e);
		if (rc)
			return rc;
	}
	if (f->arg == 2 && f->type == PS_FT_UINT &&
	    (uint64_t)port_of(buf, elem) != v->u) {
		char key[8];
		struct sb s;

		sb_init(&s, key, sizeof(key));
		sb_u64(&s, v->u);
		if (ps_obj_find(buf, vm_of(buf, elem), k, key, s.len) >= 0)
			return fail(e, PS_ERR_EXISTS, "port already defined");
	}
	psf_put_le64(le, v->u);
	return write_field(buf, cap, elem, k, f, le);
}

/* Container sig under elem (with room for its children), created when
 * missing.  Its offset. */
static int need_container(void *buf, size_t cap, int elem, uint32_t sig)
{
	uint32_t at;
	struct room r;
	int c = psf_find_child(buf, elem, sig), rc;

	if (c != PSF_ERR_NOTFOUND)
		return c;
	at = append_point(buf, elem);
	room_take(buf, elem, at,
		  PSF_CONTAINER_HDR + PSF_STRUCT_HDR + PS_CFG_ROOM_OTHER, &r);
	c = psf_insert(buf, cap, elem, child_at(buf, elem, at), sig, NULL, 0);
	if (c < 0)
		return c;
	rc = psf_insert(buf, cap, c, -1, PSF_PAD, NULL, PS_CFG_ROOM_OTHER);
	if (rc < 0)
		return rc;
	rc = room_give(buf, cap, &r);
	return rc ? rc : c;
}

/* A value that only removes (an empty string, reference or log). */
static int removes(const struct ps_field *f, const struct ps_value *v)
{
	return !v->len && f->type != PS_FT_UINT && f->type != PS_FT_DURATION;
}

/* Fields of a container under the object (the restart policy): the
 * container is made by the first value set in it; removing a value from
 * an absent container changes nothing. */
static int set_nested(void *buf, size_t cap, int elem, enum ps_obj k,
		      const struct ps_field *f, const struct ps_value *v,
		      struct ps_cfg_err *e)
{
	struct ps_field inner = *f;
	int c;

	if (f->type == PS_FT_PRESENCE) {
		if (!v->u)
			return drop_child(buf, elem, f->sig);
		c = need_container(buf, cap, elem, f->sig);
		return c < 0 ? c : 0;
	}
	if (f->type == PS_FT_REF && v->len &&
	    ps_obj_find(buf, psf_root(buf), (enum ps_obj)f->arg,
			(const char *)v->b, v->len) < 0)
		return fail(e, PS_ERR_BADREF, "no such image");
	c = psf_find_child(buf, elem, f->in);
	if (c == PSF_ERR_NOTFOUND && removes(f, v))
		return 0;
	c = need_container(buf, cap, elem, f->in);
	if (c < 0)
		return c;
	if (f->type == PS_FT_RLOG || f->type == PS_FT_REF) {
		if (!v->len)
			return drop_child(buf, c, f->sig);
		c = put_child(buf, cap, c, f->sig, v->b, v->len);
		return c < 0 ? c : 0;
	}
	inner.in = f->in;
	return set_record(buf, cap, c, k, &inner, v, e);
}

int ps_obj_set_value(void *buf, size_t cap, int elem, enum ps_obj k,
		     const struct ps_field *f, const struct ps_value *v,
		     struct ps_cfg_err *e)
{
	int rc;

	err_init(e, f ? f->name : NULL);
	if (!kind_ok(k) || !f || psf_sig(buf, elem) != kinds[k].sig)
		return PSF_ERR_BADVALUE;
	if (f->type == PS_FT_RLOG && v->len % PSF_RLOG_LEN)
		return fail(e, PS_ERR_BADVALUE, "not whole log entries");
	if (f->in || f->type == PS_FT_PRESENCE)
		return set_nested(buf, cap, elem, k, f, v, e);
	switch (f->type) {
	case PS_FT_MACLIST:
	case PS_FT_WWNLIST:
		rc = check_list(buf, elem, k, f, v, e);
		if (rc)
			return rc;
		/* fall through */
	case PS_FT_BOOT:
	case PS_FT_FCBOOT:
		if (!v->len)
			return drop_child(buf, elem, f->sig);
		rc = put_child(buf, cap, elem, f->sig, v->b, v->len);
		return rc < 0 ? rc : 0;
	case PS_FT_NAME:
	case PS_FT_TEXT:
	case PS_FT_SERIAL:
	case PS_FT_HOST:
	case PS_FT_REF:
		return set_string(buf, cap, elem, k, f, v, e);
	case PS_FT_PTARGET:
		return set_server_target(buf, cap, elem, f, v, e);
	default:
		return set_record(buf, cap, elem, k, f, v, e);
	}
}

int ps_obj_set(void *buf, size_t cap, int elem, enum ps_obj k,
	       const char *field, size_t flen, const char *val, size_t vlen,
	       struct ps_cfg_err *e)
{
	const struct ps_field *f = ps_obj_field(k, field, flen);
	struct ps_value v;
	int rc;

	err_init(e, NULL);
	if (!f)
		return fail(e, PS_ERR_NOFIELD, "no such field");
	rc = ps_field_parse(f, val, vlen, &v, e);
	return rc ? rc : ps_obj_set_value(buf, cap, elem, k, f, &v, e);
}

/* ---------------------------------------------------- profile assignment */

/* A bracketed IPv6 literal's inside: hex digits, ':' and '.' (an
 * embedded IPv4), at least one ':'. */
static int check_ip6(const char *s, size_t n)
{
	size_t i, colons = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (s[i] != '.' && hexval(s[i]) < 0)
			return 0;
	}
	return n > 0 && colons >= 2;
}

/* bmc://HOST[:PORT] (the scheme already seen): *hl the host's length
 * after "bmc://" ([ ] included), *port 623 when not given. */
static int parse_bmc(const char *s, size_t n, size_t *hl, uint64_t *port,
		     const char **why)
{
	size_t i, h = 6;

	*port = 623;
	if (h < n && s[h] == '[') {
		for (i = h + 1; i < n && s[i] != ']'; i++)
			;
		if (i == n || !check_ip6(s + h + 1, i - h - 1))
			return bad(why, "bad IPv6 host in [ ]");
		i++;
	} else {
		for (i = h; i < n && s[i] != ':' && s[i] != '/'; i++)
			;
		if (i == h)
			return bad(why, "empty host");
		if (check_host(s + h, i - h, why))
			return PS_ERR_BADVALUE;
	}
	*hl = i - h;
	if (i == n)
		return 0;
	if (s[i] != ':')
		return bad(why, "not bmc://HOST[:PORT]");
	if (ps_parse_uint(s + i + 1, n - i - 1, 1, 65535, port, NULL))
		return bad(why, "port not 1-65535");
	return 0;
}

int ps_parse_target(const char *s, size_t n, uint8_t *kind, size_t *name_off,
		    size_t *name_len, const char **why)
{
	uint64_t port;
	size_t hl;

	*name_off = 0;
	*name_len = 0;
	if (n == 0)
		return bad(why, "empty target");
	if (n > PS_CFG_TEXT_MAX)
		return bad(why, "longer than 255 characters");
	if (n >= 6 && eq_ci(s, 6, "bmc://")) {
		*kind = PSF_TARGET_PHYSICAL;
		return parse_bmc(s, n, &hl, &port, why);
	}
	*kind = PSF_TARGET_VM;
	if (n >= 3 && eq_ci(s, 3, "vm:")) {
		*name_off = 3;
		*name_len = n - 3;
	} else {
		*name_len = n;
	}
	if (ps_check_name(s + *name_off, *name_len, NULL))
		return bad(why, "not a VM name, vm:NAME or bmc://HOST[:PORT]");
	return 0;
}

/* The length of the physical part of a target: the text before the last
 * '#' (a VM follows it). */
static size_t phys_len(const char *s, size_t n)
{
	size_t i;

	for (i = n; i > 0; i--)
		if (s[i - 1] == '#')
			return i - 1;
	return n;
}

/* A physical target in parts, compared without building its normal form
 * (no buffer on the firmware's stack): a bmc:// host (any case) and port,
 * or the whole image:/dev: text. */
static int ptgt_parse(const char *s, size_t n, struct ptgt *t,
		      const char **why)
{
	int pre = n >= 6 && psf_memcmp(s, "image:", 6) == 0 ? 6
		  : n >= 4 && psf_memcmp(s, "dev:", 4) == 0 ? 4 : 0;

	n = phys_len(s, n);
	t->p = s;
	t->n = n;
	t->bmc = n >= 6 && eq_ci(s, 6, "bmc://");
	if (n > PS_CFG_TEXT_MAX)
		return bad(why, "longer than 255 characters");
	if (t->bmc) {
		t->p = s + 6;
		return parse_bmc(s, n, &t->n, &t->port, why);
	}
	t->port = 0;
	if (!pre)
		return bad(why, "not bmc://, image: or dev:");
	if ((size_t)pre == n || s[pre] != '/')
		return bad(why, "path not absolute");
	return check_text(s, n, PS_CFG_TEXT_MAX, why);
}

static int ptgt_eq(const struct ptgt *a, const struct ptgt *b)
{
	size_t i;

	if (a->bmc != b->bmc || a->n != b->n || a->port != b->port)
		return 0;
	for (i = 0; i < a->n; i++)
		if (lower(a->p[i]) != lower(b->p[i]) ||
		    (!a->bmc && a->p[i] != b->p[i]))
			return 0;
	return 1;
}

int ps_target_norm(const char *s, size_t n, char *out, size_t cap,
		   const char **why)
{
	struct ptgt t;
	struct sb o;
	size_t i;

	if (ptgt_parse(s, n, &t, why))
		return PS_ERR_BADVALUE;
	sb_init(&o, out, cap);
	if (!t.bmc)
		sb_put(&o, s, t.n);
	else
		sb_str(&o, "bmc://");
	for (i = 0; t.bmc && i < t.n; i++) {
		char c = lower(t.p[i]);

		sb_put(&o, &c, 1);
	}
	if (t.bmc) {
		sb_put(&o, ":", 1);
		sb_u64(&o, t.port);
	}
	if (o.len > PS_CFG_TEXT_MAX || o.len >= cap)
		return bad(why, "longer than 255 characters");
	return (int)o.len;
}

/* Server el names target t. */
static int server_is(const void *buf, int el, const struct ptgt *t)
{
	struct ptgt mine;
	uint32_t len;
	const char *p = str_of(buf, el, PSF_TARGET, &len);

	return p && !ptgt_parse(p, len, &mine, NULL) && ptgt_eq(&mine, t);
}

int ps_server_by_target(const void *buf, const char *s, size_t n)
{
	struct ptgt t;
	int el, root = psf_root(buf);

	if (ptgt_parse(s, n, &t, NULL))
		return PSF_ERR_NOTFOUND;
	for (el = ps_obj_next(buf, root, PS_OBJ_SERVER, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_SERVER, el))
		if (server_is(buf, el, &t))
			return el;
	return PSF_ERR_NOTFOUND;
}

/* A profile placed on the server (its TARGET or MOVE_SOURCE names the
 * server's target): 1 with e->holder "profile 'p'", or 0. */
static int server_used(const void *buf, int server, struct ps_cfg_err *e)
{
	static const uint32_t sigs[2] = { PSF_TARGET, PSF_MOVE_SOURCE };
	int root = psf_root(buf), el, i;
	uint32_t len;
	const char *p;

	for (el = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_PROFILE, el))
		for (i = 0; i < 2; i++) {
			p = str_of(buf, el, sigs[i], &len);
			if (!p || ps_server_by_target(buf, p, len) != server)
				continue;
			holder_of(buf, el, PS_OBJ_PROFILE, -1, e);
			return 1;
		}
	return 0;
}

/* The VM carrying profile prof other than skip, or -1. */
static int carrier(const void *buf, int prof, int skip)
{
	int root = psf_root(buf), vm;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		if (vm != skip && carries(buf, vm, prof))
			return vm;
	return -1;
}

/* e->holder = "vm 'NAME'" or the target text, for "already assigned". */
static void holder_target(const void *buf, int prof, struct ps_cfg_err *e)
{
	uint32_t len;
	const char *t = str_of(buf, prof, PSF_TARGET, &len);
	struct sb s;

	if (!e)
		return;
	sb_init(&s, e->holder, sizeof(e->holder));
	if (rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_TARGET_KIND, 1) ==
	    PSF_TARGET_VM)
		sb_str(&s, "vm '");
	else
		sb_put(&s, "'", 1);
	sb_put(&s, t ? t : "", len > 80 ? 80 : len);
	sb_put(&s, "'", 1);
}

static void value_mac(struct ps_cfg_err *e, const uint8_t *m)
{
	if (e)
		ps_fmt_mac(m, e->value);
}

/* Write the profile's assignment: state, target kind, target text. */
static int write_assignment(void *buf, size_t cap, int prof, uint8_t state,
			    uint8_t kind, const char *t, size_t tn)
{
	const struct ps_field *fs = ps_obj_field(PS_OBJ_PROFILE, "state", 5);
	const struct ps_field *fk =
		ps_obj_field(PS_OBJ_PROFILE, "target-kind", 11);
	int rc = write_field(buf, cap, prof, PS_OBJ_PROFILE, fs, &state);

	if (!rc)
		rc = write_field(buf, cap, prof, PS_OBJ_PROFILE, fk, &kind);
	if (rc)
		return rc;
	if (!tn)
		return drop_child(buf, prof, PSF_TARGET);
	rc = put_child(buf, cap, prof, PSF_TARGET, t, (uint32_t)tn);
	return rc < 0 ? rc : 0;
}

/* NIC number i of vm (pads not counted), or -1. */
static int nic_at(const void *buf, int vm, uint32_t i)
{
	int el;

	for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0 && i;
	     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
		i--;
	return el < 0 ? -1 : el;
}

/* Give NIC i of the VM named (vn, vl) the MAC m. */
static int write_nic_mac(void *buf, size_t cap, const char *vn, size_t vl,
			 uint32_t i, const uint8_t *m)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vn, vl);
	int nic = vm < 0 ? vm : nic_at(buf, vm, i);

	if (nic < 0)
		return PSF_ERR_NOTFOUND;
	return write_field(buf, cap, nic, PS_OBJ_NIC,
			   ps_obj_field(PS_OBJ_NIC, "mac", 3), m);
}

/* The boot parameters come with the identity: the VM takes the profile's
 * boot order (when it has one), and PXE when that starts from the
 * network. */
static int assign_boot(void *buf, size_t cap, const char *pn, uint32_t pl,
		       const char *vn, size_t vl)
{
	uint8_t order[PS_CFG_BOOT_MAX], on = 1;
	const uint8_t *p;
	uint32_t len = 0;
	int el = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pn, pl), vm;
	int rc;

	p = el < 0 ? NULL : psf_child_payload(buf, el, PSF_BOOT_ORDER, &len);
	if (!p || !len)
		return 0;
	if (len > sizeof(order))
		len = sizeof(order);
	psf_memcpy(order, p, len);
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vn, vl);
	rc = vm < 0 ? vm : put_child(buf, cap, vm, PSF_BOOT_ORDER, order, len);
	if (rc < 0)
		return rc;
	if (order[0] != PSF_BOOT_NETWORK)
		return 0;
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vn, vl);
	return vm < 0 ? vm : write_field(buf, cap, vm, PS_OBJ_VM,
					 ps_obj_field(PS_OBJ_VM, "pxe", 3),
					 &on);
}

int ps_profile_assign(void *buf, size_t cap, int prof, const char *target,
		      size_t n, struct ps_cfg_err *e)
{
	char pname[PS_CFG_NAME_MAX], vname[PS_CFG_NAME_MAX];
	uint8_t kind, uuid[16], tmp[16];
	const uint8_t *macs, *serial;
	uint32_t plen, mlen = 0, slen_, count = 0, i, j;
	size_t vo, vl;
	struct asker a = { -1, -1, PS_OBJ_VM, -1, -1 };
	const char *p, *why = NULL;
	int vm = -1, other, el, rc;

	err_init(e, "target");
	if (psf_sig(buf, prof) != PSF_PROFILE)
		return PSF_ERR_BADVALUE;
	if (ps_parse_target(target, n, &kind, &vo, &vl, &why))
		return fail(e, PS_ERR_BADVALUE, why);
	p = str_of(buf, prof, PSF_NAME, &plen);
	if (!p || plen > PS_CFG_NAME_MAX)
		return fail(e, PS_ERR_BADVALUE, "profile has no valid name");
	psf_memcpy(pname, p, plen);
	if (kind == PSF_TARGET_VM) {
		vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, target + vo,
				 vl);
		if (vm < 0)
			return fail(e, PSF_ERR_NOTFOUND, "no such vm");
		psf_memcpy(vname, target + vo, vl);
	}
	/* One assignment at a time: unassign first. */
	if (rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_STATE, 1) !=
	    PSF_PROFILE_UNASSIGNED) {
		holder_target(buf, prof, e);
		if (e)
			e->field = NULL;
		return fail(e, PS_ERR_INUSE,
			    rec_uint(buf, prof, PSF_PROFILE_CONFIG,
				     PSF_PROC_STATE, 1) == PSF_PROFILE_ASSIGNED
				    ? "already assigned to"
				    : "in transit (a move was interrupted) to");
	}
	other = carrier(buf, prof, vm);
	if (other >= 0) {
		holder_of(buf, other, PS_OBJ_VM, -1, e);
		if (e)
			e->field = NULL;
		return fail(e, PS_ERR_INUSE, "already carried by");
	}
	if (kind == PSF_TARGET_PHYSICAL)
		return write_assignment(buf, cap, prof, PSF_PROFILE_ASSIGNED,
					kind, target, n);

	/* The VM: free to carry this profile. */
	p = str_of(buf, vm, PSF_PROFILE_REF, &i);
	if (p && !(i == plen && psf_memcmp(p, pname, plen) == 0)) {
		struct sb s;

		if (e) {
			sb_init(&s, e->holder, sizeof(e->holder));
			sb_str(&s, "profile '");
			sb_put(&s, p, i > 64 ? 64 : i);
			sb_put(&s, "'", 1);
		}
		return fail(e, PS_ERR_INUSE, "already carries");
	}

	/* The identity it will take, checked as the VM will hold it. */
	a.owner = vm;
	a.skip_vm = vm;
	a.skip_prof = prof;
	rec_bytes(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_UUID, uuid, 16);
	if (!all_zero(uuid, 16)) {
		err_init(e, "uuid");
		if (e)
			ps_fmt_uuid(uuid, e->value);
		rc = ident_clash(buf, ID_UUID, uuid, 16, &a, e);
		if (rc)
			return rc;
	}
	serial = (const uint8_t *)str_of(buf, prof, PSF_SERIAL_NUMBER, &slen_);
	if (serial && slen_) {
		err_init(e, "serial");
		if (e) {
			struct sb s;

			sb_init(&s, e->value, sizeof(e->value));
			sb_put(&s, (const char *)serial, slen_);
		}
		rc = ident_clash(buf, ID_SERIAL, serial, slen_, &a, e);
		if (rc)
			return rc;
	}
	macs = psf_child_payload(buf, prof, PSF_MAC_LIST, &mlen);
	for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
	     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
		count++;
	if (macs && count > mlen / PSF_MAC_LEN)
		count = mlen / PSF_MAC_LEN;
	if (!macs)
		count = 0;
	if (count > PS_CFG_LIST_MAX)
		count = PS_CFG_LIST_MAX;
	for (i = 0; i < count; i++) {
		const uint8_t *m = macs + i * PSF_MAC_LEN;

		err_init(e, "mac");
		value_mac(e, m);
		for (j = 0; j < i; j++)
			if (psf_memcmp(m, macs + j * PSF_MAC_LEN, 6) == 0)
				return fail(e, PS_ERR_DUPLICATE,
					    "listed twice in the profile");
		rc = ident_clash(buf, ID_MAC, m, 6, &a, e);
		if (rc)
			return rc;
		/* The VM's NICs past the list keep their MACs. */
		for (j = 0, el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
		     el >= 0; j++, el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) {
			if (j < count)
				continue;
			rec_bytes(buf, el, PSF_NIC_CONFIG, PSF_NICC_MAC, tmp,
				  6);
			if (psf_memcmp(tmp, m, 6) == 0) {
				holder_of(buf, el, PS_OBJ_NIC, vm, e);
				return fail(e, PS_ERR_DUPLICATE,
					    "already in use");
			}
		}
	}
	err_init(e, NULL);

	/* Every check passed: write.  The profile first, then the VM (found
	 * again by name: edits may move what follows them). */
	rc = write_assignment(buf, cap, prof, PSF_PROFILE_ASSIGNED, kind,
			      vname, vl);
	if (rc)
		return rc;
	vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vname, vl);
	if (vm < 0)
		return vm;
	rc = put_child(buf, cap, vm, PSF_PROFILE_REF, pname, plen);
	if (rc < 0)
		return rc;
	if (!all_zero(uuid, 16)) {
		rc = write_field(buf, cap, vm, PS_OBJ_VM,
				 ps_obj_field(PS_OBJ_VM, "uuid", 4), uuid);
		if (rc)
			return rc;
	}
	for (i = 0; i < count; i++) {
		/* Read the MAC again: the profile may have moved. */
		el = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pname,
				 plen);
		macs = el < 0 ? NULL
			      : psf_child_payload(buf, el, PSF_MAC_LIST, &mlen);
		if (!macs || mlen < (i + 1) * PSF_MAC_LEN)
			return PSF_ERR_NOTFOUND;
		psf_memcpy(tmp, macs + i * PSF_MAC_LEN, 6);
		rc = write_nic_mac(buf, cap, vname, vl, i, tmp);
		if (rc)
			return rc;
	}
	if (serial && slen_) {
		uint8_t sn[PS_CFG_SERIAL_MAX];

		el = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pname,
				 plen);
		serial = el < 0 ? NULL : (const uint8_t *)str_of(
				buf, el, PSF_SERIAL_NUMBER, &slen_);
		if (!serial || slen_ > sizeof(sn))
			return PSF_ERR_NOTFOUND;
		psf_memcpy(sn, serial, slen_);
		vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vname, vl);
		rc = vm < 0 ? vm : put_child(buf, cap, vm, PSF_SERIAL_NUMBER,
					     sn, slen_);
		if (rc < 0)
			return rc;
	}
	return assign_boot(buf, cap, pname, plen, vname, vl);
}

/*
 * A VM that stops carrying profile prof: every value it shares with the
 * profile is replaced -- UUID and NIC MACs by fresh ones from rnd, the
 * serial number removed -- and its profile-ref dropped.  *used counts the
 * random bytes taken.  Checks first, then writes.
 */
static int release_vm(void *buf, size_t cap, int prof, int vm,
		      const uint8_t *rnd, size_t rndlen, size_t *used,
		      struct ps_cfg_err *e)
{
	char vname[PS_CFG_NAME_MAX];
	uint8_t puuid[16], cur[16], nu[16], nm[PS_CFG_LIST_MAX][6];
	int renew[PS_CFG_LIST_MAX];
	struct asker a = { -1, vm, PS_OBJ_VM, -1, -1 };
	const uint8_t *macs;
	const char *p;
	uint32_t mlen = 0, vl, i, j, slen_;
	int el, rc, new_uuid = 0, drop_serial = 0;

	p = str_of(buf, vm, PSF_NAME, &vl);
	if (!p || vl > PS_CFG_NAME_MAX)
		return PSF_ERR_BADVALUE;
	psf_memcpy(vname, p, vl);
	rec_bytes(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_UUID, puuid, 16);
	rec_bytes(buf, vm, PSF_VM_CONFIG, PSF_VMC_UUID, cur, 16);
	if (!all_zero(puuid, 16) && psf_memcmp(puuid, cur, 16) == 0) {
		if (*used + 16 > rndlen)
			return fail(e, PS_ERR_BADVALUE, "not enough random bytes");
		ps_gen_uuid(rnd + *used, nu);
		*used += 16;
		new_uuid = 1;
		err_init(e, "uuid");
		rc = ident_clash(buf, ID_UUID, nu, 16, &a, e);
		if (rc)
			return rc;
	}
	p = str_of(buf, prof, PSF_SERIAL_NUMBER, &slen_);
	drop_serial = p && slen_ && str_is(buf, vm, PSF_SERIAL_NUMBER, p, slen_);
	macs = psf_child_payload(buf, prof, PSF_MAC_LIST, &mlen);
	for (i = 0, el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
	     el >= 0 && i < PS_CFG_LIST_MAX;
	     i++, el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) {
		renew[i] = 0;
		rec_bytes(buf, el, PSF_NIC_CONFIG, PSF_NICC_MAC, cur, 6);
		if (!macs || !list_has(macs, mlen, PSF_MAC_LEN, cur, 6))
			continue;
		if (*used + 6 > rndlen)
			return fail(e, PS_ERR_BADVALUE, "not enough random bytes");
		ps_gen_mac(rnd + *used, nm[i]);
		*used += 6;
		renew[i] = 1;
		err_init(e, "mac");
		value_mac(e, nm[i]);
		for (j = 0; j < i; j++)
			if (renew[j] && psf_memcmp(nm[j], nm[i], 6) == 0)
				return fail(e, PS_ERR_DUPLICATE,
					    "generated twice");
		rc = ident_clash(buf, ID_MAC, nm[i], 6, &a, e);
		if (rc)
			return rc;
	}
	err_init(e, NULL);
	rc = drop_child(buf, vm, PSF_PROFILE_REF);
	if (!rc && drop_serial)
		rc = drop_child(buf, vm, PSF_SERIAL_NUMBER);
	if (!rc && new_uuid)
		rc = write_field(buf, cap, vm, PS_OBJ_VM,
				 ps_obj_field(PS_OBJ_VM, "uuid", 4), nu);
	for (j = 0; !rc && j < i; j++)
		if (renew[j])
			rc = write_nic_mac(buf, cap, vname, vl, j, nm[j]);
	return rc;
}

int ps_profile_unassign(void *buf, size_t cap, int prof, const uint8_t *rnd,
			size_t rndlen, struct ps_cfg_err *e)
{
	char pname[PS_CFG_NAME_MAX];
	const char *p;
	uint32_t plen;
	size_t used = 0;
	int vm, rc;

	err_init(e, NULL);
	if (psf_sig(buf, prof) != PSF_PROFILE)
		return PSF_ERR_BADVALUE;
	p = str_of(buf, prof, PSF_NAME, &plen);
	if (!p || plen > PS_CFG_NAME_MAX)
		return fail(e, PS_ERR_BADVALUE, "profile has no valid name");
	psf_memcpy(pname, p, plen);
	/* Every VM carrying it (normally the one it is assigned to). */
	while ((vm = carrier(buf, prof, -1)) >= 0) {
		rc = release_vm(buf, cap, prof, vm, rnd, rndlen, &used, e);
		if (rc)
			return rc;
		prof = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, pname,
				   plen);
		if (prof < 0)
			return prof;
	}
	if (rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_STATE, 1) ==
		    PSF_PROFILE_UNASSIGNED &&
	    rec_uint(buf, prof, PSF_PROFILE_CONFIG, PSF_PROC_TARGET_KIND, 1) ==
		    PSF_TARGET_NONE &&
	    psf_find_child(buf, prof, PSF_TARGET) == PSF_ERR_NOTFOUND)
		return 0;  /* nothing to clear: no write */
	return write_assignment(buf, cap, prof, PSF_PROFILE_UNASSIGNED,
				PSF_TARGET_NONE, NULL, 0);
}

/* ------------------------------------------------------------- getting */

static void sb_enum(struct sb *s, const struct ps_enum *names, uint8_t v)
{
	for (; names->name; names++)
		if (names->value == v) {
			sb_str(s, names->name);
			return;
		}
	sb_u64(s, v);
}

static void sb_size(struct sb *s, uint64_t bytes)
{
	static const char *const names[] = { "TiB", "GiB", "MiB", "KiB" };
	int i;

	for (i = 0; i < 4 && bytes; i++) {
		uint64_t u = 1ull << (40 - 10 * i);

		if (bytes % u == 0) {
			sb_u64(s, bytes / u);
			sb_str(s, names[i]);
			return;
		}
	}
	sb_u64(s, bytes);
}

static void sb_lun(struct sb *s, const uint8_t *l)
{
	if (all_zero(l + 2, 6) && (l[0] == 0 || (l[0] & 0xc0) == 0x40))
		sb_u64(s, (uint64_t)(l[0] & 0x3f) << 8 | l[1]);
	else
		sb_hex(s, l, 8, 0);
}

static void get_list(struct sb *s, const struct ps_field *f,
		     const uint8_t *p, uint32_t len)
{
	uint32_t step = f->type == PS_FT_BOOT      ? 1
			: f->type == PS_FT_MACLIST ? PSF_MAC_LEN
						   : 16;
	uint32_t i;

	for (i = 0; p && i + step <= len; i += step) {
		if (i)
			sb_put(s, ",", 1);
		if (f->type == PS_FT_BOOT) {
			sb_enum(s, boot_names, p[i]);
			continue;
		}
		sb_hex(s, p + i, step == 16 ? 8 : 6, ':');
		if (step != 16)
			continue;
		sb_put(s, "/", 1);
		if (f->type == PS_FT_WWNLIST)
			sb_hex(s, p + i + 8, 8, ':');
		else
			sb_lun(s, p + i + 8);
	}
}

/* Seconds in the largest unit that divides them: 90s, 10m, 2h, 1d. */
static void sb_duration(struct sb *s, uint64_t v)
{
	static const struct { uint32_t mul; const char *u; } u[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" },
	};
	size_t i;

	for (i = 0; i < 4; i++)
		if (v % u[i].mul == 0 && (v || u[i].mul == 1)) {
			sb_u64(s, v / u[i].mul);
			sb_str(s, u[i].u);
			return;
		}
}

static void sb_2(struct sb *s, unsigned v, char sep)
{
	char t[3] = { (char)('0' + v / 10 % 10), (char)('0' + v % 10), sep };

	sb_put(s, t, sep ? 3 : 2);
}

/* UTC time, ISO 8601 (days to civil date: Howard Hinnant's algorithm). */
static void sb_time(struct sb *s, uint64_t t)
{
	uint64_t days = t / 86400, sec = t % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);

	sb_u64(s, y);
	sb_put(s, "-", 1);
	sb_2(s, (unsigned)m, '-');
	sb_2(s, (unsigned)d, 'T');
	sb_2(s, (unsigned)(sec / 3600), ':');
	sb_2(s, (unsigned)(sec / 60 % 60), ':');
	sb_2(s, (unsigned)(sec % 60), 'Z');
}

/* Names of RESTART_LOG actions and causes (pstate.h). */
static const char *const action_names[] = {
	[PSF_RESTART_CONSISTENCY] = "consistency",
	[PSF_RESTART_BOOT] = "boot",
	[PSF_RESTART_STOPPED_LIMIT] = "stopped-limit",
	[PSF_RESTART_STOPPED_FAILED] = "stopped-failed",
	[PSF_RESTART_STOPPED_NO_IMAGE] = "stopped-no-image",
};

static const char *const cause_names[] = {
	[PSF_CRASH_CRASHED] = "crashed",
	[PSF_CRASH_FAILED] = "failed",
	[PSF_CRASH_STOPPED] = "stopped",
};

const char *ps_restart_action_name(uint8_t action)
{
	return action < sizeof(action_names) / sizeof(action_names[0])
		       ? action_names[action] : NULL;
}

const char *ps_restart_cause_name(uint8_t cause)
{
	return cause < sizeof(cause_names) / sizeof(cause_names[0])
		       ? cause_names[cause] : NULL;
}

/* "TIME ACTION#ATTEMPT CAUSE, ..." oldest first. */
static void get_rlog(struct sb *s, const uint8_t *p, uint32_t len)
{
	uint32_t i;
	const char *nm;

	for (i = 0; p && i + PSF_RLOG_LEN <= len; i += PSF_RLOG_LEN) {
		const uint8_t *it = p + i;

		if (i)
			sb_put(s, ", ", 2);
		sb_time(s, psf_field_uint(it, PSF_RLOG_LEN, PSF_RLOG_TIME, 8));
		sb_put(s, " ", 1);
		nm = ps_restart_action_name(it[PSF_RLOG_ACTION]);
		if (nm)
			sb_str(s, nm);
		else
			sb_u64(s, it[PSF_RLOG_ACTION]);
		sb_put(s, "#", 1);
		sb_u64(s, it[PSF_RLOG_ATTEMPT]);
		sb_put(s, " ", 1);
		nm = ps_restart_cause_name(it[PSF_RLOG_CAUSE]);
		if (nm)
			sb_str(s, nm);
		else
			sb_u64(s, it[PSF_RLOG_CAUSE]);
	}
}

size_t ps_obj_get(const void *buf, int elem, const struct ps_field *f,
		  char *out, size_t outlen)
{
	struct sb s;
	uint8_t b[16];
	uint32_t len;
	const uint8_t *p;

	sb_init(&s, out, outlen);
	if (f->type == PS_FT_PRESENCE) {
		sb_str(&s, psf_find_child(buf, elem, f->sig) >= 0 ? "on"
								  : "off");
		return s.len;
	}
	if (f->in && (elem = psf_find_child(buf, elem, f->in)) < 0) {
		/* No policy: numbers read 0, the rest empty. */
		if (f->type == PS_FT_UINT)
			sb_put(&s, "0", 1);
		return s.len;
	}
	switch (f->type) {
	case PS_FT_DURATION:
		len = (uint32_t)rec_uint(buf, elem, f->sig, f->off, 4);
		sb_duration(&s, len ? len : PSF_RESTART_WINDOW_DEFAULT);
		break;
	case PS_FT_RLOG:
		p = psf_child_payload(buf, elem, f->sig, &len);
		get_rlog(&s, p, p ? len : 0);
		break;
	case PS_FT_UINT:
		sb_u64(&s, rec_uint(buf, elem, f->sig, f->off, f->width));
		break;
	case PS_FT_SIZE:
		sb_size(&s, rec_uint(buf, elem, f->sig, f->off, 8) * f->arg);
		break;
	case PS_FT_ENUM:
		sb_enum(&s, f->names,
			(uint8_t)rec_uint(buf, elem, f->sig, f->off, 1));
		break;
	case PS_FT_BOOL:
		sb_str(&s, (((rec_uint(buf, elem, f->sig, f->off, 1) &
			      f->arg) != 0) != (f->max == 1)) ? "on" : "off");
		break;
	case PS_FT_UUID:
	case PS_FT_MAC:
		rec_bytes(buf, elem, f->sig, f->off, b, f->width);
		if (all_zero(b, f->width))
			break;
		if (f->type == PS_FT_UUID)
			sb_uuid(&s, b);
		else
			sb_hex(&s, b, 6, ':');
		break;
	case PS_FT_BOOT:
	case PS_FT_MACLIST:
	case PS_FT_WWNLIST:
	case PS_FT_FCBOOT:
		p = psf_child_payload(buf, elem, f->sig, &len);
		get_list(&s, f, p, p ? len : 0);
		break;
	default:
		p = (const uint8_t *)str_of(buf, elem, f->sig, &len);
		sb_put(&s, p ? (const char *)p : "", len);
	}
	return s.len;
}

/* ------------------------------------------------------ whole-store check */

/*
 * ps_cfg_check: every rule the edits enforce one at a time, over a whole
 * store (an import, or a store written by someone else).  One report per
 * problem; the message is built in a bounded stack buffer.
 */
struct chk {
	const void *buf;
	ps_cfg_report_fn fn;
	void *ctx;
	int n;
};

static void say(struct chk *k, struct sb *s)
{
	k->n++;
	if (k->fn)
		k->fn(k->ctx, s->p);
}

/* "kind 'key'" or "kind 'key' of vm 'vm'" into s. */
static void sb_who(struct sb *s, const void *buf, int el, enum ps_obj k,
		   int vm)
{
	char key[PS_CFG_NAME_MAX + 1];

	sb_str(s, kinds[k].name);
	sb_put(s, " '", 2);
	ps_obj_key(buf, el, k, key, sizeof(key));
	sb_str(s, key);
	sb_put(s, "'", 1);
	if (vm >= 0) {
		sb_str(s, " of vm '");
		ps_obj_key(buf, vm, PS_OBJ_VM, key, sizeof(key));
		sb_str(s, key);
		sb_put(s, "'", 1);
	}
}

/* Keywords of the core children that may appear once per parent. */
static const struct { uint32_t sig; const char *name; } single[] = {
	{ PSF_NAME, "name" }, { PSF_DESCRIPTION, "description" },
	{ PSF_SERIAL_NUMBER, "serial-number" }, { PSF_HOSTNAME, "hostname" },
	{ PSF_NETWORK_REF, "network-ref" }, { PSF_IMAGE_REF, "image-ref" },
	{ PSF_PATH, "path" }, { PSF_TARGET, "target" },
	{ PSF_MOVE_SOURCE, "move-source" },
	{ PSF_BOOT_ORDER, "boot-order" }, { PSF_UPLINK, "uplink" },
	{ PSF_OWNER, "owner" }, { PSF_PROFILE_REF, "profile-ref" },
	{ PSF_MAC_LIST, "mac-list" }, { PSF_WWN_LIST, "wwn-list" },
	{ PSF_FC_BOOT, "fc-boot" },
	{ PSF_CONSISTENCY_IMAGE, "consistency-image" },
	{ PSF_BOOT_IMAGE, "boot-image" }, { PSF_RESTART_LOG, "restart-log" },
	{ PSF_RESTART_POLICY, "restart-policy" },
	{ PSF_RESTART_CONFIG, "restart-config" },
	{ PSF_VMS, "vms" }, { PSF_NICS, "nics" }, { PSF_STORAGE, "storage" },
	{ PSF_SERIAL_PORTS, "serial-ports" }, { PSF_NETWORKS, "networks" },
	{ PSF_IMAGES, "images" }, { PSF_RESERVATIONS, "reservations" },
	{ PSF_PROFILES, "profiles" }, { PSF_SERVERS, "servers" },
	{ PSF_VM_CONFIG, "vm-config" }, { PSF_NIC_CONFIG, "nic-config" },
	{ PSF_CONTROLLER_CONFIG, "controller-config" },
	{ PSF_SERIAL_CONFIG, "serial-config" },
	{ PSF_NETWORK_CONFIG, "network-config" },
	{ PSF_IMAGE_CONFIG, "image-config" },
	{ PSF_RESERVATION_CONFIG, "reservation-config" },
	{ PSF_PROFILE_CONFIG, "profile-config" },
};

static const char *single_name(uint32_t sig)
{
	size_t i;

	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (single[i].sig == sig)
			return single[i].name;
	return NULL;
}

/* The shape of one object (or the root): singleton children once, lists
 * whole items, its record not cut inside a field. */
static void chk_shape(struct chk *k, int el, int kind, int vm)
{
	const void *buf = k->buf;
	const struct ps_field *f;
	const char *nm;
	uint32_t len, step;
	char m[256];
	struct sb s;
	int c, d;

	for (c = psf_first_child(buf, el); c >= 0;
	     c = psf_next_child(buf, el, c)) {
		uint32_t sig = psf_sig(buf, c);

		nm = single_name(sig);
		if (!nm)
			continue;
		for (d = psf_next_child(buf, el, c); d >= 0;
		     d = psf_next_child(buf, el, d))
			if (psf_sig(buf, d) == sig)
				break;
		/* Report a repeated child once, at its first copy. */
		if (d >= 0 && psf_find_child(buf, el, sig) == c) {
			sb_init(&s, m, sizeof(m));
			if (kind < 0)
				sb_str(&s, "root");
			else
				sb_who(&s, buf, el, (enum ps_obj)kind, vm);
			sb_str(&s, ": more than one ");
			sb_str(&s, nm);
			say(k, &s);
		}
		step = sig == PSF_MAC_LIST ? PSF_MAC_LEN
		       : sig == PSF_WWN_LIST ? PSF_WWN_ITEM_LEN
		       : sig == PSF_FC_BOOT ? PSF_FC_BOOT_LEN : 0;
		if (step && kind >= 0) {
			psf_payload(buf, c, &len);
			if (len % step) {
				sb_init(&s, m, sizeof(m));
				sb_who(&s, buf, el, (enum ps_obj)kind, vm);
				sb_str(&s, ": ");
				sb_str(&s, nm);
				sb_str(&s, " is ");
				sb_u64(&s, len);
				sb_str(&s, " bytes, not a multiple of ");
				sb_u64(&s, step);
				say(k, &s);
			}
		}
		if (kind < 0 || !kinds[kind].rec || sig != kinds[kind].rec)
			continue;
		psf_payload(buf, c, &len);
		for (f = kinds[kind].fields; f->name; f++)
			if (f->sig == sig && f->width && f->off < len &&
			    len < (uint32_t)f->off + f->width)
				break;
		if (f->name) {
			sb_init(&s, m, sizeof(m));
			sb_who(&s, buf, el, (enum ps_obj)kind, vm);
			sb_str(&s, ": ");
			sb_str(&s, nm);
			sb_str(&s, " is ");
			sb_u64(&s, len);
			sb_str(&s, " bytes, cut inside field ");
			sb_str(&s, f->name);
			say(k, &s);
		}
	}
}

/* Names valid and keys unique within the set of kind under parent. */
static void chk_set(struct chk *k, int parent, enum ps_obj kind, int vm)
{
	const void *buf = k->buf;
	char m[256], key[PS_CFG_NAME_MAX + 1];
	const char *why, *p, *q;
	uint32_t len, qlen;
	struct sb s;
	int el, o;

	for (el = ps_obj_next(buf, parent, kind, -1); el >= 0;
	     el = ps_obj_next(buf, parent, kind, el)) {
		chk_shape(k, el, kind, vm);
		if (!kinds[kind].by_port) {
			p = str_of(buf, el, PSF_NAME, &len);
			why = p ? NULL : "no name";
			if (p && ps_check_name(p, len, &why) == 0)
				why = NULL;
			if (why) {
				sb_init(&s, m, sizeof(m));
				sb_who(&s, buf, el, kind, vm);
				sb_str(&s, ": invalid name: ");
				sb_str(&s, why);
				say(k, &s);
			}
		}
		for (o = ps_obj_next(buf, parent, kind, el); o >= 0;
		     o = ps_obj_next(buf, parent, kind, o)) {
			if (kinds[kind].by_port) {
				if (port_of(buf, el) != port_of(buf, o))
					continue;
			} else {
				p = str_of(buf, el, PSF_NAME, &len);
				q = str_of(buf, o, PSF_NAME, &qlen);
				if (!p || !q || len != qlen ||
				    psf_memcmp(p, q, len))
					continue;
			}
			sb_init(&s, m, sizeof(m));
			sb_str(&s, kinds[kind].name);
			sb_put(&s, " '", 2);
			ps_obj_key(buf, el, kind, key, sizeof(key));
			sb_str(&s, key);
			sb_str(&s, "' defined twice");
			if (vm >= 0) {
				sb_str(&s, " in vm '");
				ps_obj_key(buf, vm, PS_OBJ_VM, key, sizeof(key));
				sb_str(&s, key);
				sb_put(&s, "'", 1);
			}
			say(k, &s);
		}
	}
}

/* A reference string of el (kind, under vm) that names no object. */
static void chk_ref(struct chk *k, int el, enum ps_obj kind, int vm,
		    uint32_t sig, enum ps_obj to, const char *field)
{
	const void *buf = k->buf;
	uint32_t len;
	const char *p = str_of(buf, el, sig, &len);
	char m[256];
	struct sb s;

	if (!p || ps_obj_find(buf, psf_root(buf), to, p, len) >= 0)
		return;
	sb_init(&s, m, sizeof(m));
	sb_who(&s, buf, el, kind, vm);
	sb_str(&s, ": ");
	sb_str(&s, field);
	sb_str(&s, " '");
	sb_put(&s, p, len > 80 ? 80 : len);
	sb_str(&s, "': no such ");
	sb_str(&s, kinds[to].name);
	say(k, &s);
}

/* The VM's restart policy: images that exist, whole log entries. */
static void chk_policy(struct chk *k, int vm)
{
	static const struct { uint32_t sig; const char *field; } refs[] = {
		{ PSF_CONSISTENCY_IMAGE, "restart-consistency-image" },
		{ PSF_BOOT_IMAGE, "restart-boot-image" },
	};
	const void *buf = k->buf;
	int c = psf_find_child(buf, vm, PSF_RESTART_POLICY);
	uint32_t len, i;
	const char *p;
	char m[256];
	struct sb s;

	for (i = 0; c >= 0 && i < 2; i++) {
		p = str_of(buf, c, refs[i].sig, &len);
		if (!p || ps_obj_find(buf, psf_root(buf), PS_OBJ_IMAGE, p,
				      len) >= 0)
			continue;
		sb_init(&s, m, sizeof(m));
		sb_who(&s, buf, vm, PS_OBJ_VM, -1);
		sb_str(&s, ": ");
		sb_str(&s, refs[i].field);
		sb_str(&s, " '");
		sb_put(&s, p, len > 80 ? 80 : len);
		sb_str(&s, "': no such image");
		say(k, &s);
	}
	if (c >= 0 && psf_child_payload(buf, c, PSF_RESTART_LOG, &len) &&
	    len % PSF_RLOG_LEN) {
		sb_init(&s, m, sizeof(m));
		sb_who(&s, buf, vm, PS_OBJ_VM, -1);
		sb_str(&s, ": restart-log is ");
		sb_u64(&s, len);
		sb_str(&s, " bytes, not a multiple of 16");
		say(k, &s);
	}
}

/* One identity value and where it lives. */
struct occ {
	enum ident id;
	const uint8_t *v;
	uint32_t n;
	int owner, el;          /* VM or profile; NIC (or -1) */
	enum ps_obj kind;       /* of owner */
};

typedef int (*occ_fn)(struct chk *k, const struct occ *o, void *arg);

/* The UUID (in record rec at uuid_off) and serial number of one VM or
 * profile, each handed to fn as an occurrence owned by el. */
static int each_machine_id(struct chk *k, int el, enum ps_obj kind,
			   uint32_t rec, uint32_t uuid_off, occ_fn fn,
			   void *arg)
{
	const void *buf = k->buf;
	struct occ o;
	const uint8_t *p;
	uint32_t len;
	int rc;

	o.owner = el;
	o.kind = kind;
	o.el = -1;
	p = psf_child_payload(buf, el, rec, &len);
	if (p && len >= uuid_off + 16 && !all_zero(p + uuid_off, 16)) {
		o.id = ID_UUID, o.v = p + uuid_off, o.n = 16;
		if ((rc = fn(k, &o, arg)))
			return rc;
	}
	p = psf_child_payload(buf, el, PSF_SERIAL_NUMBER, &len);
	if (p && len) {
		o.id = ID_SERIAL, o.v = p, o.n = len;
		return fn(k, &o, arg);
	}
	return 0;
}

/* Every identity in the store, in store order; stops when fn returns
 * non-zero. */
static int each_occ(struct chk *k, occ_fn fn, void *arg)
{
	const void *buf = k->buf;
	int root = psf_root(buf), el, c, rc;
	uint32_t len, i, step;
	const uint8_t *p;
	struct occ o;

	for (el = ps_obj_next(buf, root, PS_OBJ_VM, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_VM, el)) {
		rc = each_machine_id(k, el, PS_OBJ_VM, PSF_VM_CONFIG,
				     PSF_VMC_UUID, fn, arg);
		if (rc)
			return rc;
		o.owner = el;
		o.kind = PS_OBJ_VM;
		for (c = ps_obj_next(buf, el, PS_OBJ_NIC, -1); c >= 0;
		     c = ps_obj_next(buf, el, PS_OBJ_NIC, c)) {
			p = psf_child_payload(buf, c, PSF_NIC_CONFIG, &len);
			if (!p || len < PSF_NICC_MAC + 6 ||
			    all_zero(p + PSF_NICC_MAC, 6))
				continue;
			o.id = ID_MAC, o.v = p + PSF_NICC_MAC, o.n = 6;
			o.el = c;
			if ((rc = fn(k, &o, arg)))
				return rc;
		}
	}
	for (el = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_PROFILE, el)) {
		rc = each_machine_id(k, el, PS_OBJ_PROFILE, PSF_PROFILE_CONFIG,
				     PSF_PROC_UUID, fn, arg);
		if (rc)
			return rc;
		o.owner = el;
		o.kind = PS_OBJ_PROFILE;
		o.el = -1;
		p = psf_child_payload(buf, el, PSF_MAC_LIST, &len);
		for (i = 0; p && i + PSF_MAC_LEN <= len; i += PSF_MAC_LEN) {
			o.id = ID_MAC, o.v = p + i, o.n = 6;
			if ((rc = fn(k, &o, arg)))
				return rc;
		}
		p = psf_child_payload(buf, el, PSF_WWN_LIST, &len);
		step = len - len % PSF_WWN_ITEM_LEN;   /* whole items */
		for (i = 0; p && i + 8 <= step; i += 8) {
			o.id = ID_WWN, o.v = p + i, o.n = 8;
			if ((rc = fn(k, &o, arg)))
				return rc;
		}
	}
	return 0;
}

struct occ_pair {
	const struct occ *a;
	int seen_a;             /* the walk has passed a */
};

static void sb_occ(struct sb *s, const void *buf, const struct occ *o)
{
	if (o->el >= 0)
		sb_who(s, buf, o->el, PS_OBJ_NIC, o->owner);
	else
		sb_who(s, buf, o->owner, o->kind, -1);
}

static int occ_inner(struct chk *k, const struct occ *b, void *arg)
{
	struct occ_pair *pr = arg;
	const struct occ *a = pr->a;
	const void *buf = k->buf;
	static const char *const idn[] = { "uuid", "mac", "serial", "wwn" };
	char m[320], t[40];
	struct sb s;

	if (b->v == a->v) {
		pr->seen_a = 1;
		return 0;
	}
	if (!pr->seen_a || b->id != a->id || b->n != a->n ||
	    psf_memcmp(b->v, a->v, a->n))
		return 0;
	/* The documented exception: a VM carrying a profile shares its
	 * identity with it. */
	if (a->kind != b->kind &&
	    (a->kind == PS_OBJ_VM ? carries(buf, a->owner, b->owner)
				  : carries(buf, b->owner, a->owner)))
		return 0;
	sb_init(&s, m, sizeof(m));
	sb_str(&s, idn[a->id]);
	sb_put(&s, " ", 1);
	if (a->id == ID_UUID)
		ps_fmt_uuid(a->v, t), sb_str(&s, t);
	else if (a->id == ID_MAC)
		ps_fmt_mac(a->v, t), sb_str(&s, t);
	else if (a->id == ID_WWN)
		ps_fmt_wwn(a->v, t), sb_str(&s, t);
	else
		sb_put(&s, "'", 1), sb_put(&s, (const char *)a->v,
					    a->n > 64 ? 64 : a->n),
		sb_put(&s, "'", 1);
	sb_str(&s, " used by both ");
	sb_occ(&s, buf, a);
	sb_str(&s, " and ");
	sb_occ(&s, buf, b);
	say(k, &s);
	return 0;
}

static int occ_outer(struct chk *k, const struct occ *a, void *arg)
{
	struct occ_pair pr = { a, 0 };

	(void)arg;
	return each_occ(k, occ_inner, &pr);
}

static void chk_conc(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), vm, el, vm2, o;
	uint64_t port;
	char m[256];
	struct sb s;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) {
			port = rec_uint(buf, el, PSF_SERIAL_CONFIG,
					PSF_SERC_CONCENTRATOR, 2);
			if (!port)
				continue;
			/* Compare with every later mapping. */
			for (vm2 = vm; vm2 >= 0;
			     vm2 = ps_obj_next(buf, root, PS_OBJ_VM, vm2))
				for (o = ps_obj_next(buf, vm2, PS_OBJ_SERIAL,
						     vm2 == vm ? el : -1);
				     o >= 0;
				     o = ps_obj_next(buf, vm2, PS_OBJ_SERIAL, o)) {
					if (rec_uint(buf, o, PSF_SERIAL_CONFIG,
						     PSF_SERC_CONCENTRATOR,
						     2) != port)
						continue;
					sb_init(&s, m, sizeof(m));
					sb_str(&s, "concentrator port ");
					sb_u64(&s, port);
					sb_str(&s, " mapped by both ");
					sb_who(&s, buf, el, PS_OBJ_SERIAL, vm);
					sb_str(&s, " and ");
					sb_who(&s, buf, o, PS_OBJ_SERIAL, vm2);
					say(k, &s);
				}
		}
}

/* Each server names a physical target, and no earlier server names it. */
static void chk_servers(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), el, o;
	const char *why, *p;
	uint32_t len;
	char m[256];
	struct sb s;

	for (el = ps_obj_next(buf, root, PS_OBJ_SERVER, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_SERVER, el)) {
		p = str_of(buf, el, PSF_TARGET, &len);
		why = "empty target";
		o = p && !check_ptarget(p, len, &why) ?
			    ps_server_by_target(buf, p, len) : -1;
		if (o == el)
			continue;
		sb_init(&s, m, sizeof(m));
		sb_who(&s, buf, el, PS_OBJ_SERVER, -1);
		sb_str(&s, o >= 0 ? ": same target as " : ": target: ");
		if (o >= 0)
			sb_who(&s, buf, o, PS_OBJ_SERVER, -1);
		else
			sb_str(&s, why);
		say(k, &s);
	}
}

int ps_cfg_check(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		 void *ctx)
{
	struct chk k = { buf, fn, ctx, 0 };
	uint32_t bad = 0;
	int root, rc, vm, el;
	enum ps_obj t;

	rc = psf_check_tree(buf, len, &bad);
	if (rc)
		return rc;
	root = psf_root(buf);
	chk_shape(&k, root, -1, -1);
	for (t = PS_OBJ_VM; t <= PS_OBJ_PROFILE; t++)
		chk_set(&k, root, t, -1);
	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm)) {
		for (t = PS_OBJ_NIC; t <= PS_OBJ_SERIAL; t++)
			chk_set(&k, vm, t, vm);
		chk_ref(&k, vm, PS_OBJ_VM, -1, PSF_PROFILE_REF,
			PS_OBJ_PROFILE, "profile");
		chk_policy(&k, vm);
		for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
			chk_ref(&k, el, PS_OBJ_NIC, vm, PSF_NETWORK_REF,
				PS_OBJ_NETWORK, "network");
		for (el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el))
			chk_ref(&k, el, PS_OBJ_CONTROLLER, vm, PSF_IMAGE_REF,
				PS_OBJ_IMAGE, "image");
	}
	for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el))
		chk_ref(&k, el, PS_OBJ_RESERVATION, -1, PSF_OWNER, PS_OBJ_VM,
			"owner");
	chk_set(&k, root, PS_OBJ_SERVER, -1);
	chk_servers(&k);
	each_occ(&k, occ_outer, NULL);
	chk_conc(&k);
	return k.n;
}
