/*
 * ps_target.c - target grammar: bmc://HOST[:PORT], image:PATH, dev:DEV,
 * VM names; servers found by target.  Freestanding.
 */
#include "ps_cfg_internal.h"

/* A physical target in parts. */
struct ptgt {
	const char *p;          /* bmc: the host; else the whole text */
	size_t n;
	uint64_t port;          /* bmc: 623 when not given */
	int bmc;
};

static const char no_vm[] = "a server has no #VM";


/* A bracketed IPv6 literal's inside: hex digits, ':' and '.' (an
 * embedded IPv4), at least one ':'. */
static int check_ip6(const char *s, size_t n)
{
	size_t i, colons = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (s[i] != '.' && ps__hexval(s[i]) < 0)
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
			return ps__bad(why, "bad IPv6 host in [ ]");
		i++;
	} else {
		for (i = h; i < n && s[i] != ':' && s[i] != '/'; i++)
			;
		if (i == h)
			return ps__bad(why, "empty host");
		if (ps__check_host(s + h, i - h, why))
			return PS_ERR_BADVALUE;
	}
	*hl = i - h;
	if (i == n)
		return 0;
	if (s[i] != ':')
		return ps__bad(why, "not bmc://HOST[:PORT]");
	if (ps_parse_uint(s + i + 1, n - i - 1, 1, 65535, port, NULL))
		return ps__bad(why, "port not 1-65535");
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
		return ps__bad(why, "empty target");
	if (n > PS_CFG_TEXT_MAX)
		return ps__bad(why, "longer than 255 characters");
	if (n >= 6 && ps__eq_ci(s, 6, "bmc://")) {
		*kind = PSF_TARGET_PHYSICAL;
		return parse_bmc(s, n, &hl, &port, why);
	}
	*kind = PSF_TARGET_VM;
	if (n >= 3 && ps__eq_ci(s, 3, "vm:")) {
		*name_off = 3;
		*name_len = n - 3;
	} else {
		*name_len = n;
	}
	if (ps_check_name(s + *name_off, *name_len, NULL))
		return ps__bad(why, "not a VM name, vm:NAME or bmc://HOST[:PORT]");
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
	t->bmc = n >= 6 && ps__eq_ci(s, 6, "bmc://");
	if (n > PS_CFG_TEXT_MAX)
		return ps__bad(why, "longer than 255 characters");
	if (t->bmc) {
		t->p = s + 6;
		return parse_bmc(s, n, &t->n, &t->port, why);
	}
	t->port = 0;
	if (!pre)
		return ps__bad(why, "not bmc://, image: or dev:");
	if ((size_t)pre == n || s[pre] != '/')
		return ps__bad(why, "path not absolute");
	return ps__check_text(s, n, PS_CFG_TEXT_MAX, why);
}

/* A server's target: a physical one, never #VM.  Kept as written (any
 * spelling compares equal); front ends store ps_target_norm's form. */
int ps__check_ptarget(const char *s, size_t n, const char **why)
{
	struct ptgt t;

	if (!n)
		return ps__bad(why, "empty target");
	if (ptgt_parse(s, n, &t, why))
		return PS_ERR_BADVALUE;
	return phys_len(s, n) != n ? ps__bad(why, no_vm) : 0;
}

int ps__ptarget_key(const char *s, size_t n, const char **p, size_t *pn,
		    uint64_t *port)
{
	struct ptgt t;

	if (ptgt_parse(s, n, &t, NULL))
		return -1;
	*p = t.p;
	*pn = t.n;
	*port = t.port;
	return t.bmc;
}

static int ptgt_eq(const struct ptgt *a, const struct ptgt *b)
{
	size_t i;

	if (a->bmc != b->bmc || a->n != b->n || a->port != b->port)
		return 0;
	for (i = 0; i < a->n; i++)
		if (ps__lower(a->p[i]) != ps__lower(b->p[i]) ||
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
	ps__sb_init(&o, out, cap);
	if (!t.bmc)
		ps__sb_put(&o, s, t.n);
	else
		ps__sb_str(&o, "bmc://");
	for (i = 0; t.bmc && i < t.n; i++) {
		char c = ps__lower(t.p[i]);

		ps__sb_put(&o, &c, 1);
	}
	if (t.bmc) {
		ps__sb_put(&o, ":", 1);
		ps__sb_u64(&o, t.port);
	}
	if (o.len > PS_CFG_TEXT_MAX || o.len >= cap)
		return ps__bad(why, "longer than 255 characters");
	return (int)o.len;
}

/* Server el names target t. */
static int server_is(const void *buf, int el, const struct ptgt *t)
{
	struct ptgt mine;
	uint32_t len;
	const char *p = ps__str_of(buf, el, PSF_TARGET, &len);

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
int ps__server_used(const void *buf, int server, struct ps_cfg_err *e)
{
	static const uint32_t sigs[2] = { PSF_TARGET, PSF_MOVE_SOURCE };
	int root = psf_root(buf), el, i;
	uint32_t len;
	const char *p;

	for (el = ps_obj_next(buf, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_PROFILE, el))
		for (i = 0; i < 2; i++) {
			p = ps__str_of(buf, el, sigs[i], &len);
			if (!p || ps_server_by_target(buf, p, len) != server)
				continue;
			ps__holder_of(buf, el, PS_OBJ_PROFILE, -1, e);
			return 1;
		}
	return 0;
}
