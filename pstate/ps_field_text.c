/*
 * ps_field_text.c - a field's value from text (ps_field_parse) and to
 * text (ps_obj_get).  Freestanding.
 */
#include "ps_cfg_internal.h"

static int parse_size_field(const struct ps_field *f, const char *s,
			    size_t n, struct ps_value *v, const char **why)
{
	uint64_t bytes;
	int rc = ps_parse_size(s, n, f->unit_in, &bytes, why);

	if (rc)
		return rc;
	if (bytes % f->arg)
		return ps__bad(why, f->arg == 1024 ? "not a whole number of KiB"
					       : "not a whole unit");
	v->u = bytes / f->arg;
	if (v->u < f->min || v->u > f->max)
		return ps__bad(why, "out of range");
	return 0;
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
		rc = ps__check_serial(s, n, why);
		break;
	case PS_FT_HOST:
		rc = ps__check_host(s, n, why);
		break;
	case PS_FT_PTARGET:
		rc = ps__check_ptarget(s, n, why);
		break;
	default:
		rc = ps__check_text(s, n, PS_CFG_TEXT_MAX, why);
	}
	if (rc)
		return rc;
	psf_memcpy(v->b, s, n);
	v->len = (uint32_t)n;
	return 0;
}

int ps_field_parse(const struct ps_field *f, const char *s, size_t n,
		   struct ps_value *v, struct ps_cfg_err *e)
{
	const char *why = NULL;
	uint8_t b = 0;
	int rc;

	ps__err_init(e, f->name);
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
		rc = ps__parse_bool(s, n, &v->u, &why);
		break;
	case PS_FT_DURATION:
		rc = ps__parse_duration(s, n, &v->u, &why);
		break;
	case PS_FT_RLOG:
		rc = n ? ps__bad(&why, "written by hvagent; only \"\" (clear the "
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
		rc = ps__parse_list(f, s, n, v, &why);
		break;
	default:
		rc = parse_text(f, s, n, v, &why);
	}
	return rc ? ps__fail(e, rc, why) : 0;
}


static void sb_enum(struct sb *s, const struct ps_enum *names, uint8_t v)
{
	for (; names->name; names++)
		if (names->value == v) {
			ps__sb_str(s, names->name);
			return;
		}
	ps__sb_u64(s, v);
}

static void sb_size(struct sb *s, uint64_t bytes)
{
	static const char *const names[] = { "TiB", "GiB", "MiB", "KiB" };
	int i;

	for (i = 0; i < 4 && bytes; i++) {
		uint64_t u = 1ull << (40 - 10 * i);

		if (bytes % u == 0) {
			ps__sb_u64(s, bytes / u);
			ps__sb_str(s, names[i]);
			return;
		}
	}
	ps__sb_u64(s, bytes);
}

static void sb_lun(struct sb *s, const uint8_t *l)
{
	if (ps__all_zero(l + 2, 6) && (l[0] == 0 || (l[0] & 0xc0) == 0x40))
		ps__sb_u64(s, (uint64_t)(l[0] & 0x3f) << 8 | l[1]);
	else
		ps__sb_hex(s, l, 8, 0);
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
			ps__sb_put(s, ",", 1);
		if (f->type == PS_FT_BOOT) {
			sb_enum(s, ps__boot_names, p[i]);
			continue;
		}
		ps__sb_hex(s, p + i, step == 16 ? 8 : 6, ':');
		if (step != 16)
			continue;
		ps__sb_put(s, "/", 1);
		if (f->type == PS_FT_WWNLIST)
			ps__sb_hex(s, p + i + 8, 8, ':');
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
			ps__sb_u64(s, v / u[i].mul);
			ps__sb_str(s, u[i].u);
			return;
		}
}

static void sb_2(struct sb *s, unsigned v, char sep)
{
	char t[3] = { (char)('0' + v / 10 % 10), (char)('0' + v % 10), sep };

	ps__sb_put(s, t, sep ? 3 : 2);
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

	ps__sb_u64(s, y);
	ps__sb_put(s, "-", 1);
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
			ps__sb_put(s, ", ", 2);
		sb_time(s, psf_field_uint(it, PSF_RLOG_LEN, PSF_RLOG_TIME, 8));
		ps__sb_put(s, " ", 1);
		nm = ps_restart_action_name(it[PSF_RLOG_ACTION]);
		if (nm)
			ps__sb_str(s, nm);
		else
			ps__sb_u64(s, it[PSF_RLOG_ACTION]);
		ps__sb_put(s, "#", 1);
		ps__sb_u64(s, it[PSF_RLOG_ATTEMPT]);
		ps__sb_put(s, " ", 1);
		nm = ps_restart_cause_name(it[PSF_RLOG_CAUSE]);
		if (nm)
			ps__sb_str(s, nm);
		else
			ps__sb_u64(s, it[PSF_RLOG_CAUSE]);
	}
}

size_t ps_obj_get(const void *buf, int elem, const struct ps_field *f,
		  char *out, size_t outlen)
{
	struct sb s;
	uint8_t b[16];
	uint32_t len;
	uint64_t w;
	const uint8_t *p;

	ps__sb_init(&s, out, outlen);
	if (f->type == PS_FT_PRESENCE) {
		ps__sb_str(&s, psf_find_child(buf, elem, f->sig) >= 0 ? "on"
								  : "off");
		return s.len;
	}
	if (f->in && (elem = psf_find_child(buf, elem, f->in)) < 0) {
		/* No policy: numbers read 0, the rest empty. */
		if (f->type == PS_FT_UINT)
			ps__sb_put(&s, "0", 1);
		return s.len;
	}
	switch (f->type) {
	case PS_FT_DURATION:
		len = (uint32_t)ps__rec_uint(buf, elem, f->sig, f->off, 4);
		sb_duration(&s, len ? len : PSF_RESTART_WINDOW_DEFAULT);
		break;
	case PS_FT_RLOG:
		p = psf_child_payload(buf, elem, f->sig, &len);
		get_rlog(&s, p, p ? len : 0);
		break;
	case PS_FT_UINT:
		ps__sb_u64(&s, (w = ps__rec_uint(buf, elem, f->sig, f->off,
						 f->width)) ? w : f->unit_in);
		break;
	case PS_FT_SIZE:
		sb_size(&s, ps__rec_uint(buf, elem, f->sig, f->off, 8) * f->arg);
		break;
	case PS_FT_ENUM:
		sb_enum(&s, f->names,
			(uint8_t)ps__rec_uint(buf, elem, f->sig, f->off, 1));
		break;
	case PS_FT_BOOL:
		ps__sb_str(&s, (((ps__rec_uint(buf, elem, f->sig, f->off, 1) &
			      f->arg) != 0) != (f->max == 1)) ? "on" : "off");
		break;
	case PS_FT_UUID:
	case PS_FT_MAC:
		ps__rec_bytes(buf, elem, f->sig, f->off, b, f->width);
		if (ps__all_zero(b, f->width))
			break;
		if (f->type == PS_FT_UUID)
			ps__sb_uuid(&s, b);
		else
			ps__sb_hex(&s, b, 6, ':');
		break;
	case PS_FT_BOOT:
	case PS_FT_MACLIST:
	case PS_FT_WWNLIST:
	case PS_FT_FCBOOT:
		p = psf_child_payload(buf, elem, f->sig, &len);
		get_list(&s, f, p, p ? len : 0);
		break;
	default:
		p = (const uint8_t *)ps__str_of(buf, elem, f->sig, &len);
		ps__sb_put(&s, p ? (const char *)p : "", len);
	}
	return s.len;
}
