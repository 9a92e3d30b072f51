/*
 * ps_value.c - value parsers and formatters (ps_config.h): names,
 * MACs, WWNs, UUIDs, numbers, sizes, enums, boot orders, lists, durations.
 * Pure: text in, bytes out, no store.  Freestanding.
 */
#include "ps_cfg_internal.h"

int ps_check_name(const char *s, size_t n, const char **why)
{
	size_t i;

	if (n == 0)
		return ps__bad(why, "empty name");
	if (n > PS_CFG_NAME_MAX)
		return ps__bad(why, "longer than 64 characters");
	if (s[0] == '.' || s[0] == '-')
		return ps__bad(why, "starts with '.' or '-'");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return ps__bad(why, "characters other than A-Z a-z 0-9 . _ -");
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
		return ps__bad(why, "wrong length");
	for (i = 0; i < count; i++) {
		int hi = ps__hexval(s[i * 3]), lo = ps__hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			return ps__bad(why, "not a hex digit");
		out[i] = (uint8_t)(hi << 4 | lo);
		if (i + 1 == count)
			break;
		if (!sep) {
			const char *p;

			for (p = seps; *p && *p != s[i * 3 + 2]; p++)
				;
			if (!*p)
				return ps__bad(why, "bad separator");
			sep = *p;
		} else if (s[i * 3 + 2] != sep) {
			return ps__bad(why, "mixed separators");
		}
	}
	return 0;
}

/* The rules a MAC, WWN or UUID obeys past its syntax: the parsers below
 * and the whole-store check (ps__value_ok) call these. */
int ps__mac_ok(const uint8_t mac[6], const char **why)
{
	if (mac[0] & 1)
		return ps__bad(why, "multicast address");
	if (ps__all_zero(mac, 6))
		return ps__bad(why, "all-zero address");
	return 0;
}

int ps__wwn_ok(const uint8_t wwn[8], const char **why)
{
	return ps__all_zero(wwn, 8) ? ps__bad(why, "all-zero WWN") : 0;
}

int ps__uuid_ok(const uint8_t uuid[16], const char **why)
{
	return ps__all_zero(uuid, 16) ? ps__bad(why, "nil UUID") : 0;
}

int ps__range(uint64_t v, uint64_t min, uint64_t max, const char **why)
{
	return v < min || v > max ? ps__bad(why, "out of range") : 0;
}

int ps_parse_mac(const char *s, size_t n, uint8_t mac[6], const char **why)
{
	int rc = parse_octets(s, n, mac, 6, ":-", why);

	if (rc)
		return n != 17 ? ps__bad(why, "not six octets aa:bb:cc:dd:ee:ff")
			       : rc;
	return ps__mac_ok(mac, why);
}

int ps_parse_wwn(const char *s, size_t n, uint8_t wwn[8], const char **why)
{
	int rc = parse_octets(s, n, wwn, 8, ":", why);

	if (rc)
		return n != 23 ? ps__bad(why, "not eight octets aa:bb:..:hh") : rc;
	return ps__wwn_ok(wwn, why);
}

int ps_parse_uuid(const char *s, size_t n, uint8_t uuid[16],
		  const char **why)
{
	size_t i, o = 0;

	if (n != 36)
		return ps__bad(why, "not a UUID (8-4-4-4-12 hex digits)");
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return ps__bad(why, "dashes not at 8-4-4-4-12");
			continue;
		}
		if (ps__hexval(s[i]) < 0 || ps__hexval(s[i + 1]) < 0)
			return ps__bad(why, "not a hex digit");
		uuid[o++] = (uint8_t)(ps__hexval(s[i]) << 4 | ps__hexval(s[i + 1]));
		i++;
	}
	return ps__uuid_ok(uuid, why);
}

/* Digits (decimal, or hex after 0x) at s[*i..n); advances *i. */
static int parse_num(const char *s, size_t n, size_t *i, uint64_t *out,
		     const char **why)
{
	uint64_t v = 0, base = 10;
	size_t start;

	if (n - *i > 2 && s[*i] == '0' &&
	    ps__lower(s[*i + 1]) == 'x') {
		base = 16;
		*i += 2;
	}
	start = *i;
	for (; *i < n; (*i)++) {
		int d = ps__hexval(s[*i]);

		if (d < 0 || (uint64_t)d >= base)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return ps__bad(why, "number too large");
		v = v * base + (uint64_t)d;
	}
	if (*i == start)
		return ps__bad(why, n ? "not a number" : "empty value");
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
		return ps__bad(why, "not a number");
	return ps__range(*out, min, max, why);
}

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit units[] = {
	{ "b", 1 }, { "bytes", 1 },
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
			if (ps__eq_ci(s + i, n - i, u->name))
				break;
		if (!u->name)
			return ps__bad(why, "unknown unit (B, K/KiB, KB, M/MiB, MB, "
					"G/GiB, GB, T/TiB, TB)");
		mult = u->mult;
	}
	if (mult && v > UINT64_MAX / mult)
		return ps__bad(why, "size too large");
	*bytes = v * mult;
	return 0;
}

const char ps__enum_why[] = "not one of the allowed words";
const char ps__bool_why[] = "not one of: on, off";

int ps_parse_enum(const char *s, size_t n, const struct ps_enum *names,
		  uint8_t *out, const char **why)
{
	for (; names->name; names++)
		if (ps__eq_ci(s, n, names->name)) {
			*out = names->value;
			return 0;
		}
	return ps__bad(why, ps__enum_why);
}

const char *ps__enum_word(const struct ps_enum *names, uint8_t v)
{
	for (; names->name; names++)
		if (names->value == v)
			return names->name;
	return NULL;
}

int ps__enum_ok(const struct ps_enum *names, uint8_t v, const char **why)
{
	return ps__enum_word(names, v) ? 0 : ps__bad(why, ps__enum_why);
}

const struct ps_enum ps__boot_names[] = {
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
		uint8_t code = 0;

		if (ps_parse_enum(s + i, l, ps__boot_names, &code, why))
			return ps__bad(why, "unknown boot device (disk, cdrom, "
					"network, floppy)");
		for (k = 0; k < c; k++)
			if (codes[k] == code)
				return ps__bad(why, "boot device listed twice");
		if (c == PS_CFG_BOOT_MAX)
			return ps__bad(why, "too many boot devices");
		codes[c++] = code;
		i += l + 1;
		if (i == n)
			return ps__bad(why, "empty item");
	}
	*count = c;
	return 0;
}


void ps_fmt_mac(const uint8_t mac[6], char out[18])
{
	struct sb s;

	ps__sb_init(&s, out, 18);
	ps__sb_hex(&s, mac, 6, ':');
}

void ps_fmt_wwn(const uint8_t wwn[8], char out[24])
{
	struct sb s;

	ps__sb_init(&s, out, 24);
	ps__sb_hex(&s, wwn, 8, ':');
}

void ps__sb_uuid(struct sb *s, const uint8_t *u)
{
	static const uint8_t group[5] = { 4, 2, 2, 2, 6 };
	unsigned i;

	for (i = 0; i < 5; u += group[i++]) {
		ps__sb_put(s, "-", i ? 1u : 0u);
		ps__sb_hex(s, u, group[i], 0);
	}
}

void ps_fmt_uuid(const uint8_t uuid[16], char out[37])
{
	struct sb s;

	ps__sb_init(&s, out, 37);
	ps__sb_uuid(&s, uuid);
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


int ps__check_text(const char *s, size_t n, size_t max, const char **why)
{
	size_t i;

	if (n > max)
		return ps__bad(why, "too long");
	for (i = 0; i < n; i++)
		if ((uint8_t)s[i] < 0x20 || s[i] == 0x7f)
			return ps__bad(why, "control characters");
	return 0;
}

int ps__check_serial(const char *s, size_t n, const char **why)
{
	size_t i;

	if (n > PS_CFG_SERIAL_MAX)
		return ps__bad(why, "longer than 64 characters");
	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		return ps__bad(why, "leading or trailing space");
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return ps__bad(why, "not printable ASCII");
	return 0;
}

int ps__check_host(const char *s, size_t n, const char **why)
{
	size_t i, label = 0;

	if (n > 253)
		return ps__bad(why, "longer than 253 characters");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return ps__bad(why, "empty label or '-' at its end");
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return ps__bad(why, "characters other than A-Z a-z 0-9 - .");
		if (c == '-' && !label)
			return ps__bad(why, "label starts with '-'");
		if (++label > 63)
			return ps__bad(why, "label longer than 63 characters");
	}
	if (n && (s[n - 1] == '-' || s[n - 1] == '.'))
		return ps__bad(why, "ends with '-' or '.'");
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
			if (ps__hexval(s[i]) < 0)
				return ps__bad(why, "LUN not a number");
			lun[i / 2] = (uint8_t)(lun[i / 2] << 4 | ps__hexval(s[i]));
		}
		return 0;
	}
	if (ps_parse_uint(s, n, 0, 16383, &v, NULL))
		return ps__bad(why, "LUN not 0-16383 or 16 hex digits");
	lun[0] = (uint8_t)(v > 255 ? 0x40 | (v >> 8) : 0);
	lun[1] = (uint8_t)v;
	return 0;
}

static const char too_many[] = "too many items";

/* The bytes of one item of a list field: a MAC, or the two 8-byte halves
 * of a WWN pair (both WWNs) or an FC boot entry (a WWPN, then a LUN that
 * may be anything). */
uint32_t ps__list_step(const struct ps_field *f)
{
	return f->type == PS_FT_MACLIST ? PSF_MAC_LEN : 16;
}

int ps__list_ok(const struct ps_field *f, const uint8_t *b, uint32_t len,
		uint32_t *item, const char **why)
{
	uint32_t step = ps__list_step(f), i;
	int rc = 0;

	if (len / step > PS_CFG_LIST_MAX)
		return ps__bad(why, too_many);
	for (i = 0; !rc && i + step <= len; i += step) {
		*item = i;
		if (f->type == PS_FT_MACLIST)
			rc = ps__mac_ok(b + i, why);
		else
			rc = ps__wwn_ok(b + i, why);
		if (!rc && f->type == PS_FT_WWNLIST) {
			*item = i + 8;
			rc = ps__wwn_ok(b + i + 8, why);
		}
	}
	return rc;
}

/* Comma-separated items, each one or two (A/B) parts. */
int ps__parse_list(const struct ps_field *f, const char *s, size_t n,
		      struct ps_value *v, const char **why)
{
	size_t i = 0;
	uint32_t step = ps__list_step(f);

	v->len = 0;
	while (i < n) {
		size_t l = item_len(s, n, i), sl = 0;
		uint8_t *o = v->b + v->len;
		int rc;

		if (v->len / step == PS_CFG_LIST_MAX)
			return ps__bad(why, too_many);
		while (sl < l && s[i + sl] != '/')
			sl++;
		if (f->type == PS_FT_MACLIST)
			rc = ps_parse_mac(s + i, l, o, why);
		else if (sl == l)
			rc = ps__bad(why, f->type == PS_FT_WWNLIST
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
			return ps__bad(why, "empty item");
	}
	return 0;
}

int ps__parse_bool(const char *s, size_t n, uint64_t *out,
		      const char **why)
{
	static const struct ps_enum words[] = {
		{ "on", 1 }, { "yes", 1 }, { "true", 1 }, { "1", 1 },
		{ "off", 0 }, { "no", 0 }, { "false", 0 }, { "0", 0 },
		{ NULL, 0 },
	};
	uint8_t b = 0;

	if (ps_parse_enum(s, n, words, &b, NULL))
		return ps__bad(why, ps__bool_why);
	*out = b;
	return 0;
}

/* A duration: digits, then s (or nothing), m, h or d; fits a u32. */
int ps__parse_duration(const char *s, size_t n, uint64_t *out,
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
		if (!ps__eq_ci(s + i, n - i, units[k].u))
			continue;
		if (v > 0xffffffffull / units[k].mul)
			return ps__bad(why, "out of range (at most 4294967295 s)");
		*out = v * units[k].mul;
		return 0;
	}
	return ps__bad(why, "unknown unit (s, m, h or d)");
}
