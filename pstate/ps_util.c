/*
 * ps_util.c - small helpers of the configuration edit layer and the
 * profile code: bounded text building, string children, record fields,
 * the error record.  Freestanding.
 */
#include "ps_cfg_internal.h"

size_t ps__slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

char ps__lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals the C string w, ignoring ASCII case. */
int ps__eq_ci(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!w[i] || ps__lower(s[i]) != ps__lower(w[i]))
			return 0;
	return w[n] == 0;
}

int ps__hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ps__lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void ps__sb_init(struct sb *s, char *p, size_t cap)
{
	s->p = p;
	s->cap = cap;
	s->len = 0;
	if (cap)
		p[0] = 0;
}

void ps__sb_put(struct sb *s, const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, s->len++)
		if (s->len + 1 < s->cap) {
			s->p[s->len] = t[i];
			s->p[s->len + 1] = 0;
		}
}

void ps__sb_str(struct sb *s, const char *t)
{
	ps__sb_put(s, t, ps__slen(t));
}

void ps__sb_u64(struct sb *s, uint64_t v)
{
	char d[20];
	int i = 0;

	do {
		d[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		ps__sb_put(s, &d[--i], 1);
}

void ps__sb_hex(struct sb *s, const uint8_t *b, size_t n, char sep)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		char two[2] = { hx[b[i] >> 4], hx[b[i] & 15] };

		if (i && sep)
			ps__sb_put(s, &sep, 1);
		ps__sb_put(s, two, 2);
	}
}

int ps__all_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int ps__same(const char *a, size_t al, const char *b, size_t bl)
{
	return a && al == bl && psf_memcmp(a, b, bl) == 0;
}

int ps__bad(const char **why, const char *w)
{
	if (why)
		*why = w;
	return PS_ERR_BADVALUE;
}


/* The string child sig of elem: pointer and length (NULL, 0 if absent). */
const char *ps__str_of(const void *buf, int elem, uint32_t sig,
			  uint32_t *len)
{
	const char *p = psf_child_payload(buf, elem, sig, len);

	if (!p)
		*len = 0;
	return p;
}

int ps__str_is(const void *buf, int elem, uint32_t sig, const char *s,
		  size_t n)
{
	uint32_t len;
	const char *p = ps__str_of(buf, elem, sig, &len);

	return p && len == n && psf_memcmp(p, s, n) == 0;
}

/* Record field bytes (zero past the stored length). */
void ps__rec_bytes(const void *buf, int elem, uint32_t rec, uint32_t off,
		      void *dst, uint32_t n)
{
	uint32_t len;
	const void *p = psf_child_payload(buf, elem, rec, &len);

	psf_field_bytes(p, p ? len : 0, off, dst, n);
}

uint64_t ps__rec_uint(const void *buf, int elem, uint32_t rec,
			 uint32_t off, uint32_t w)
{
	uint32_t len;
	const void *p = psf_child_payload(buf, elem, rec, &len);

	return psf_field_uint(p, p ? len : 0, off, w);
}


void ps__holder_quoted(struct ps_cfg_err *e, const char *what,
		       const char *s, uint32_t n)
{
	struct sb b;

	if (!e)
		return;
	ps__sb_init(&b, e->holder, sizeof(e->holder));
	ps__sb_str(&b, what);
	if (!s)
		return;
	ps__sb_put(&b, s, n > 80 ? 80 : n);
	ps__sb_put(&b, "'", 1);
}

void ps__err_init(struct ps_cfg_err *e, const char *field)
{
	if (!e)
		return;
	e->field = field;
	e->why = NULL;
	e->holder[0] = 0;
	e->value[0] = 0;
}

int ps__fail(struct ps_cfg_err *e, int code, const char *why)
{
	if (e)
		e->why = why;
	return code;
}

int ps__fail_at(struct ps_cfg_err *e, int code, const char *field,
		const char *why)
{
	if (e)
		e->field = field;
	return ps__fail(e, code, why);
}


/* The VM above an element under a VM (NIC, controller, serial port). */
int ps__vm_of(const void *buf, int elem)
{
	int chain[PSF_MAX_DEPTH];
	int d = psf_ancestors(buf, elem, chain);

	return d >= 2 ? chain[d - 2] : -1;
}
