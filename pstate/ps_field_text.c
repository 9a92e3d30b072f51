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
	return ps__range(v->u, f->min, f->max, why);
}

int ps__check_string(const struct ps_field *f, const char *s, size_t n,
		     const char **why)
{
	switch (f->type) {
	case PS_FT_NAME:
		return ps_check_name(s, n, why);
	case PS_FT_REF:
		return n ? ps_check_name(s, n, why) : 0;
	case PS_FT_SERIAL:
		return ps__check_serial(s, n, why);
	case PS_FT_HOST:
		return ps__check_host(s, n, why);
	case PS_FT_PTARGET:
		return ps__check_ptarget(s, n, why);
	default:
		return ps__check_text(s, n, PS_CFG_TEXT_MAX, why);
	}
}

static int parse_text(const struct ps_field *f, const char *s, size_t n,
		      struct ps_value *v, const char **why)
{
	int rc = ps__check_string(f, s, n, why);

	if (rc)
		return rc;
	psf_memcpy(v->b, s, n);
	v->len = (uint32_t)n;
	return 0;
}

int ps__value_ok(const struct ps_field *f, uint64_t u, const uint8_t *b,
		 uint32_t len, uint32_t *item, const char **why)
{
	uint32_t at = 0;
	int rc;

	switch (f->type) {
	case PS_FT_UINT:
	case PS_FT_SIZE:
		return ps__range(u, f->min, f->max, why);
	case PS_FT_ENUM:
		return ps__enum_ok(f->names, (uint8_t)u, why);
	case PS_FT_UUID:
		return ps__uuid_ok(b, why);
	case PS_FT_MAC:
		return ps__mac_ok(b, why);
	case PS_FT_MACLIST:
	case PS_FT_WWNLIST:
	case PS_FT_FCBOOT:
		rc = ps__list_ok(f, b, len, &at, why);
		if (item)
			*item = at;
		return rc;
	case PS_FT_NAME:
	case PS_FT_TEXT:
	case PS_FT_SERIAL:
	case PS_FT_HOST:
	case PS_FT_REF:
	case PS_FT_PTARGET:
		return ps__check_string(f, (const char *)b, len, why);
	default:
		return 0;
	}
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
	const char *w = ps__enum_word(names, v);

	if (w)
		ps__sb_str(s, w);
	else
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

/* At most 64 bytes of stored text for a message, bytes outside printable
 * ASCII as '?' (the message goes to a terminal). */
static void sb_shown(struct sb *s, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && i < 64; i++)
		ps__sb_put(s, p[i] >= 0x20 && p[i] < 0x7f ? (const char *)p + i
							    : "?", 1);
	if (n > 64)
		ps__sb_str(s, "...");
}

/* A stored number as the edit layer reads it back (a size in its unit
 * when it fits a u64 of bytes). */
static void sb_number(struct sb *s, const struct ps_field *f, uint64_t u)
{
	if (f->type == PS_FT_SIZE && u <= UINT64_MAX / f->arg)
		sb_size(s, u * f->arg);
	else
		ps__sb_u64(s, u);
}

/* The stored record field of f in c, bytes into b (zero past the end):
 * 1 when the record holds the whole field. */
static int rec_field(const void *buf, int c, const struct ps_field *f,
		     uint8_t *b)
{
	uint32_t len = 0;
	const void *p = c < 0 ? NULL : psf_child_payload(buf, c, f->sig, &len);

	psf_memset(b, 0, 16);
	if (c >= 0)
		ps__rec_bytes(buf, c, f->sig, f->off, b, f->width);
	return p && len >= (uint32_t)f->off + f->width;
}

int ps__field_check(const void *buf, int elem, enum ps_obj k,
		    const struct ps_field *f, struct sb *val,
		    const char **why)
{
	int c = f->in ? psf_find_child(buf, elem, f->in) : elem, held, rc;
	uint32_t len = 0, item = 0, step;
	const uint8_t *p;
	uint8_t b[16];
	uint64_t u;

	switch (f->type) {
	case PS_FT_NAME: case PS_FT_REF: case PS_FT_HOST: case PS_FT_PTARGET:
	case PS_FT_BOOT: case PS_FT_RLOG: case PS_FT_PRESENCE:
		return 0;
	default:
		break;
	}
	if (!f->width) {
		/* A string or list: absent is empty, which every rule allows. */
		p = c < 0 ? NULL : psf_child_payload(buf, c, f->sig, &len);
		if (!p || !ps__value_ok(f, 0, p, len, &item, why))
			return 0;
		step = f->type == PS_FT_TEXT || f->type == PS_FT_SERIAL
			       ? 0 : ps__list_step(f);
		if (!step)
			sb_shown(val, p, len);
		else if (len / step <= PS_CFG_LIST_MAX)
			ps__sb_hex(val, p + item,
				   f->type == PS_FT_MACLIST ? 6 : 8, ':');
		else
			ps__sb_u64(val, len / step), ps__sb_str(val, " items");
		return PS_ERR_BADVALUE;
	}
	held = rec_field(buf, c, f, b);
	if (f->type == PS_FT_UUID || f->type == PS_FT_MAC) {
		/* Unset: a profile's UUID may be, and a NIC's MAC without a
		 * record (the default: the hypervisor assigns one); a VM's
		 * UUID never is. */
		if (ps__all_zero(b, f->width) &&
		    (f->type == PS_FT_UUID ? k != PS_OBJ_VM : !held))
			return 0;
		rc = ps__value_ok(f, 0, b, f->width, NULL, why);
		if (rc && f->type == PS_FT_UUID)
			ps__sb_uuid(val, b);
		else if (rc)
			ps__sb_hex(val, b, 6, ':');
		return rc;
	}
	if (!held)
		return 0;
	u = psf_field_uint(b, f->width, 0, f->width);
	rc = ps__value_ok(f, u, NULL, 0, NULL, why);
	if (rc)
		sb_number(val, f, u);
	return rc;
}

size_t ps_field_why(const struct ps_field *f, const char *why, char *out,
		    size_t outlen)
{
	struct sb s;

	ps__sb_init(&s, out, outlen);
	/* A word the field does not know: the words it does, so that every
	 * writer's refusal says what would have been accepted. */
	if (f && f->type == PS_FT_ENUM &&
	    ps__same(why, ps__slen(why), ps__enum_why, ps__slen(ps__enum_why))) {
		const struct ps_enum *e;

		ps__sb_str(&s, "not one of:");
		for (e = f->names; e->name; e++) {
			ps__sb_put(&s, e == f->names ? " " : ", ",
				   e == f->names ? 1u : 2u);
			ps__sb_str(&s, e->name);
		}
		return s.len;
	}
	ps__sb_str(&s, why);
	if (f && f->type == PS_FT_UINT && ps__same(why, ps__slen(why),
						  "out of range", 12)) {
		ps__sb_str(&s, " (");
		ps__sb_u64(&s, f->min);
		ps__sb_put(&s, "-", 1);
		ps__sb_u64(&s, f->max);
		ps__sb_put(&s, ")", 1);
	}
	return s.len;
}
