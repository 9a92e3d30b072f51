/*
 * psf_text_parse.c - the text form of a PSF store (syntax in psf_text.h)
 * to a tree.  parse reproduces the bytes exactly, so
 * dump(parse(dump(x))) == dump(x).
 *
 * The parser takes hostile input: it is iterative (nesting costs no stack;
 * PSF_MAX_DEPTH bounds it anyway), every number is range-checked, and the
 * running store size is capped at PSF_MAX_TOTAL, which bounds memory too.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "psf_text.h"

/* Largest value of a little-endian unsigned field of width bytes. */
static uint64_t width_max(unsigned width)
{
	return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

/* ---------------------------------------------------------------------------
 * Values
 */

/* Decimal or 0x-hex, no sign; 0 if s[0..n) is not a number that fits. */
static int word_u64(const char *s, size_t n, uint64_t *v)
{
	unsigned base = 10;
	size_t i = 0;

	*v = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return 0;
	for (; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0 || (unsigned)d >= base ||
		    *v > (UINT64_MAX - (unsigned)d) / base)
			return 0;
		*v = *v * base + (unsigned)d;
	}
	return 1;
}

/* A NUMBER token no larger than max; what names it in messages. */
static int number(struct parser *ps, uint64_t max, const char *what,
		  uint64_t *v)
{
	char descbuf[64];

	if (ps->tok.type != T_WORD || !word_u64(ps->tok.s, ps->tok.n, v))
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "expected a number for %s, found %s", what,
			    DESC(ps));
	if (*v > max)
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "%s is out of range for %s (at most %" PRIu64 ")",
			    DESC(ps), what, max);
	return psf__lex(ps);
}

/* "aa:bb:cc" into out (at most max bytes): the count, or -1. */
static int colon_hex(const char *s, size_t n, uint8_t *out, size_t max)
{
	size_t i, k = 0;

	if (n % 3 != 2)
		return -1;
	for (i = 0; i < n; i += 3) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0 || k == max ||
		    (i + 2 < n && s[i + 2] != ':'))
			return -1;
		out[k++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)k;
}

static int uuid_parse(const char *s, size_t n, uint8_t out[16])
{
	size_t i, k = 0;

	if (n != 36)
		return -1;
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[++i]);
		if (hi < 0 || lo < 0)
			return -1;
		out[k++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* "[" hex-bytes "]", appended to ps->buf. */
static int parse_hex(struct parser *ps)
{
	char descbuf[64];
	int rc = psf__lex(ps);

	while (rc == PSF_OK && !is_punct(ps, ']')) {
		const char *s = ps->tok.s;
		size_t i;

		if (ps->tok.type != T_WORD || ps->tok.n % 2)
			return psf__text_fail(ps, PSF_ERR_BADVALUE,
				    "expected hex bytes or ']', found %s",
				    DESC(ps));
		for (i = 0; i < ps->tok.n && rc == PSF_OK; i += 2) {
			int hi = hexval(s[i]), lo = hexval(s[i + 1]);
			uint8_t b;

			if (hi < 0 || lo < 0)
				return psf__text_fail(ps, PSF_ERR_BADVALUE,
					    "%s is not hex bytes", DESC(ps));
			b = (uint8_t)(hi << 4 | lo);
			rc = psf__bytes_put(ps, &ps->buf, &b, 1);
		}
		if (rc == PSF_OK)
			rc = psf__lex(ps);
	}
	return rc < 0 ? rc : psf__lex(ps);
}

/* An enum or flag value name, or a number, no larger than max; what
 * names the field in messages. */
static int named_value(struct parser *ps, const struct psf_field_desc *fd,
		       uint64_t max, const char *what, uint64_t *v)
{
	const struct psf_enum_name *e;
	char descbuf[64];

	for (e = fd->names; e && e->name && ps->tok.type == T_WORD; e++)
		if (is_word(ps, e->name)) {
			*v = e->value;
			return psf__lex(ps);
		}
	if (ps->tok.type == T_WORD && !word_u64(ps->tok.s, ps->tok.n, v))
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "unknown value %s for %s", DESC(ps), what);
	return number(ps, max, what, v);
}

/* A UUID or MAC field, stored into out. */
static int parse_id_field(struct parser *ps, const struct psf_field_desc *fd,
			  uint8_t *out)
{
	char descbuf[64];
	int ok = ps->tok.type == T_WORD;

	if (ok && fd->type == PSF_FT_UUID)
		ok = uuid_parse(ps->tok.s, ps->tok.n, out) == 0;
	else if (ok)
		ok = colon_hex(ps->tok.s, ps->tok.n, out, fd->width) ==
		     fd->width;
	if (!ok)
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "field '%s' wants %s, found %s",
			    fd->name, fd->type == PSF_FT_UUID ?
			    "a UUID like 01234567-89ab-cdef-0123-456789abcdef" :
			    "a MAC like 52:54:00:12:34:56", DESC(ps));
	return psf__lex(ps);
}

/* One field value, stored into out (fd->width bytes). */
static int parse_field(struct parser *ps, const struct psf_field_desc *fd,
		       uint8_t *out)
{
	uint64_t max = width_max(fd->width), v = 0, item;
	uint8_t tmp[8];
	char what[48];
	int rc;

	if (fd->type == PSF_FT_UUID || fd->type == PSF_FT_MAC)
		return parse_id_field(ps, fd, out);
	snprintf(what, sizeof(what), "field '%s'", fd->name);
	if (fd->type == PSF_FT_UINT)
		rc = number(ps, max, what, &v);
	else
		rc = named_value(ps, fd, max, what, &v);
	while (rc == PSF_OK && fd->type == PSF_FT_FLAGS && is_punct(ps, '|')) {
		item = 0;
		rc = psf__lex(ps);
		if (rc == PSF_OK)
			rc = named_value(ps, fd, max, what, &item);
		v |= item;
	}
	psf_put_le64(tmp, v);
	memcpy(out, tmp, fd->width < sizeof(tmp) ? fd->width : sizeof(tmp));
	return rc;
}

/*
 * "{" field* [hex ";"] "}" into ps->buf, up to (not past) the "}".  The
 * payload ends where the furthest given field ends, or after the trailing
 * bytes, which start where the known fields end.
 */
static int parse_record(struct parser *ps, const struct psf_elem_desc *d)
{
	uint32_t known = record_size(d), len = 0;
	uint8_t seen[256] = { 0 };
	char descbuf[64];
	int rc = psf__bytes_put(ps, &ps->buf, NULL, known);

	if (rc == PSF_OK)
		rc = psf__lex(ps);
	while (rc == PSF_OK && !is_punct(ps, '}')) {
		const struct psf_field_desc *fd;

		if (is_punct(ps, '[')) {
			rc = parse_hex(ps);
			if (rc == PSF_OK)
				rc = psf__expect(ps, ';', "after the trailing bytes");
			if (rc == PSF_OK)
				rc = psf__want(ps, '}', "after the trailing bytes, "
					  "which come last");
			len = (uint32_t)ps->buf.n;
			break;
		}
		if (ps->tok.type != T_WORD)
			return psf__text_fail(ps, PSF_ERR_BADVALUE,
				    "expected a field of '%s' or '}', found %s",
				    d->name, DESC(ps));
		fd = psf_record_field(d->sig, ps->tok.s, ps->tok.n);
		if (!fd)
			return psf__text_fail(ps, PSF_ERR_BADVALUE,
				    "unknown field %s in '%s'", DESC(ps),
				    d->name);
		if (seen[fd - d->fields]++)
			return psf__text_fail(ps, PSF_ERR_BADVALUE,
				    "field '%s' given twice", fd->name);
		rc = psf__lex(ps);
		if (rc == PSF_OK)
			rc = psf__expect(ps, '=', "after the field name");
		if (rc == PSF_OK)
			rc = parse_field(ps, fd, ps->buf.p + fd->off);
		if (rc == PSF_OK)
			rc = psf__expect(ps, ';', "after the field value");
		if ((uint32_t)fd->off + fd->width > len)
			len = (uint32_t)fd->off + fd->width;
	}
	ps->buf.n = len;
	return rc;
}

/* A boot-order item: a device name or its code. */
static int parse_boot_item(struct parser *ps)
{
	char descbuf[64];
	uint64_t v = 0;
	uint8_t b;
	int rc, code = PSF_ERR_NOTFOUND;

	if (ps->tok.type == T_WORD)
		code = psf_boot_device_code(ps->tok.s, ps->tok.n);
	if (code >= 0) {
		v = (uint64_t)code;
		rc = psf__lex(ps);
	} else if (ps->tok.type == T_WORD &&
		   !word_u64(ps->tok.s, ps->tok.n, &v)) {
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "unknown boot device %s "
			    "(disk, cdrom, network, floppy or a number)",
			    DESC(ps));
	} else {
		rc = number(ps, 255, "a boot device", &v);
	}
	b = (uint8_t)v;
	return rc < 0 ? rc : psf__bytes_put(ps, &ps->buf, &b, 1);
}

/* A list item of d->item_len bytes, in one or more colon-hex words. */
static int parse_bytes_item(struct parser *ps, const struct psf_elem_desc *d)
{
	uint8_t item[UINT8_MAX];
	char descbuf[64];
	int have = 0;

	while (have < d->item_len) {
		int k = -1, rc;

		if (ps->tok.type == T_WORD)
			k = colon_hex(ps->tok.s, ps->tok.n, item + have,
				      (size_t)(d->item_len - have));
		if (k < 0)
			return psf__text_fail(ps, PSF_ERR_BADVALUE, "an item of '%s' is "
				    "%u bytes of colon-separated hex (aa:bb:..), "
				    "found %s", d->name, d->item_len, DESC(ps));
		have += k;
		rc = psf__lex(ps);
		if (rc < 0)
			return rc;
	}
	return psf__bytes_put(ps, &ps->buf, item, d->item_len);
}

/* item ("," item)* into ps->buf. */
static int parse_list(struct parser *ps, const struct psf_elem_desc *d)
{
	int rc;

	for (;;) {
		if (d->sig == PSF_BOOT_ORDER)
			rc = parse_boot_item(ps);
		else
			rc = parse_bytes_item(ps, d);
		if (rc < 0 || !is_punct(ps, ','))
			return rc;
		rc = psf__lex(ps);
		if (rc < 0)
			return rc;
	}
}

/*
 * A structure's payload into ps->buf, leaving the current token on its
 * terminator: ";" or a record's "}".  d is NULL for a raw @signature.
 */
static int parse_payload(struct parser *ps, const struct psf_elem_desc *d,
			 const char *name)
{
	int kind = d ? d->kind : -1;
	char descbuf[64];
	uint64_t n;
	int rc;

	ps->buf.n = 0;
	if (kind == PSF_KIND_RECORD && is_punct(ps, '{'))
		return parse_record(ps, d);
	if (kind == PSF_KIND_PAD && ps->tok.type == T_WORD) {
		rc = number(ps, PSF_MAX_TOTAL, "a pad's length", &n);
		if (rc == PSF_OK)
			rc = psf__bytes_put(ps, &ps->buf, NULL, n);
		return rc < 0 ? rc : psf__want(ps, ';', "after the pad");
	}
	rc = psf__expect(ps, '=', "after the element name");
	if (rc < 0)
		return rc;
	if (is_punct(ps, '[')) {
		rc = parse_hex(ps);
	} else if (ps->tok.type == T_STRING &&
		   (kind == PSF_KIND_STRING || !d)) {
		rc = psf__bytes_put(ps, &ps->buf, ps->str.p, ps->str.n);
		if (rc == PSF_OK)
			rc = psf__lex(ps);
	} else if (kind == PSF_KIND_LIST) {
		rc = parse_list(ps, d);
	} else {
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "expected a value for %s, found %s", name,
			    DESC(ps));
	}
	return rc < 0 ? rc : psf__want(ps, ';', "after the value");
}

/* Count one more element of n bytes toward the store's size. */
static int add_size(struct parser *ps, size_t n)
{
	if (n > PSF_MAX_TOTAL - ps->total)
		return psf__text_fail(ps, PSF_ERR_TOOLARGE, "store larger than %u bytes",
			    PSF_MAX_TOTAL);
	ps->total += n;
	return PSF_OK;
}

/*
 * One element, linked as parent's last child (or as the root when parent
 * is NULL) and returned in *out.  depth counts the open containers.  A
 * container's children are left for the caller: this reads only its "{".
 */
static int parse_element(struct parser *ps, struct psf_tree *t,
			 struct psf_node *parent, uint32_t depth,
			 struct psf_node **out)
{
	const struct psf_elem_desc *d = NULL;
	struct psf_node *n;
	char name[48], descbuf[64];
	uint64_t sig;
	size_t size;
	int rc;

	if (ps->tok.type != T_WORD)
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "expected an element, found %s", DESC(ps));
	if (ps->tok.s[0] == '@') {
		if (!word_u64(ps->tok.s + 1, ps->tok.n - 1, &sig) ||
		    sig > UINT32_MAX)
			return psf__text_fail(ps, PSF_ERR_BADVALUE, "bad signature %s "
				    "(write @0x and up to 8 hex digits)",
				    DESC(ps));
	} else {
		d = psf_schema_lookup_name(ps->tok.s, ps->tok.n);
		if (!d)
			return psf__text_fail(ps, PSF_ERR_BADVALUE,
				    "unknown element %s", DESC(ps));
		sig = d->sig;
	}
	psf__tok_desc(&ps->tok, name, sizeof(name));
	if (!parent && !PSF_SIG_IS_CONTAINER(sig))
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "the root must be a container, found %s", name);
	if (PSF_SIG_IS_CONTAINER(sig) && depth == PSF_MAX_DEPTH)
		return psf__text_fail(ps, PSF_ERR_TOODEEP,
			    "containers nested deeper than %u", PSF_MAX_DEPTH);
	rc = psf__lex(ps);
	if (rc < 0)
		return rc;
	if (PSF_SIG_IS_CONTAINER(sig)) {
		rc = psf__want(ps, '{', "after a container's name");
		size = PSF_CONTAINER_HDR;
	} else {
		rc = parse_payload(ps, d, name);
		size = PSF_STRUCT_HDR + ps->buf.n;
	}
	if (rc < 0)
		return rc;
	n = PSF_SIG_IS_CONTAINER(sig) ?
	    psf_node_new_container((uint32_t)sig) :
	    psf_node_new_struct((uint32_t)sig, ps->buf.p,
				(uint32_t)ps->buf.n);
	if (!n)
		return psf__text_fail(ps, PSF_ERR_NOSPACE, "out of memory");
	if (parent)
		psf_node_append(parent, n);
	else
		t->root = n;
	*out = n;
	rc = add_size(ps, size);
	return rc < 0 ? rc : psf__lex(ps);
}

/* The root container and everything in it, then the end of the input.  An
 * explicit cursor instead of recursion: "}" climbs to the parent. */
static int parse_body(struct parser *ps, struct psf_tree *t)
{
	struct psf_node *cur = NULL, *n = NULL;
	uint32_t depth = 0;
	char descbuf[64];
	int rc;

	do {
		if (cur && is_punct(ps, '}')) {
			cur = cur->parent;
			depth--;
			rc = psf__lex(ps);
		} else if (ps->tok.type == T_EOF) {
			return psf__text_fail(ps, PSF_ERR_BADVALUE, cur ?
				    "unexpected end of input: '}' missing" :
				    "expected the root container, found "
				    "end of input");
		} else {
			rc = parse_element(ps, t, cur, depth, &n);
			if (rc == PSF_OK && PSF_SIG_IS_CONTAINER(n->sig)) {
				cur = n;
				depth++;
			}
		}
	} while (rc == PSF_OK && cur);
	if (rc == PSF_OK && ps->tok.type != T_EOF)
		return psf__text_fail(ps, PSF_ERR_BADVALUE,
			    "unexpected %s after the root container",
			    DESC(ps));
	return rc;
}

/* "psf" MAJOR.MINOR "schema" NUMBER "flags" NUMBER ";" */
static int parse_header(struct parser *ps, struct psf_tree *t)
{
	const char *s = ps->tok.s, *dot;
	char descbuf[64];
	uint64_t major, minor, v;
	int rc;

	if (!is_word(ps, "psf"))
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "expected the header "
			    "'psf 1.0 schema 1 flags 0x0;', found %s",
			    DESC(ps));
	rc = psf__lex(ps);
	if (rc < 0)
		return rc;
	s = ps->tok.s;
	dot = ps->tok.type == T_WORD ? memchr(s, '.', ps->tok.n) : NULL;
	if (!dot || !word_u64(s, (size_t)(dot - s), &major) ||
	    !word_u64(dot + 1, ps->tok.n - (size_t)(dot - s) - 1, &minor))
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "expected the format "
			    "version as MAJOR.MINOR, found %s", DESC(ps));
	if (major != PSF_FORMAT_MAJOR)
		return psf__text_fail(ps, PSF_ERR_BADVERSION, "format version %s is not "
			    "supported (major must be %u)", DESC(ps),
			    PSF_FORMAT_MAJOR);
	if (minor > UINT8_MAX)
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "format minor version in %s "
			    "is out of range (at most 255)", DESC(ps));
	t->minor = (uint8_t)minor;
	rc = psf__lex(ps);
	if (rc < 0)
		return rc;
	if (!is_word(ps, "schema"))
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "expected 'schema' in the "
			    "header, found %s", DESC(ps));
	rc = psf__lex(ps);
	if (rc == PSF_OK)
		rc = number(ps, UINT32_MAX, "the schema version", &v);
	if (rc < 0)
		return rc;
	t->schema_version = (uint32_t)v;
	if (!is_word(ps, "flags"))
		return psf__text_fail(ps, PSF_ERR_BADVALUE, "expected 'flags' in the "
			    "header, found %s", DESC(ps));
	rc = psf__lex(ps);
	if (rc < 0)
		return rc;
	/* Refuse here what a reader would refuse: the store must load. */
	if (ps->tok.type == T_WORD && word_u64(ps->tok.s, ps->tok.n, &v) &&
	    (v & PSF_FLAGS_INCOMPAT_MASK & ~PSF_FLAGS_KNOWN))
		return psf__text_fail(ps, PSF_ERR_BADFLAGS, "flags %s set must-understand "
			    "bits this version does not know", DESC(ps));
	rc = number(ps, UINT32_MAX, "the flags", &v);
	if (rc < 0)
		return rc;
	t->flags = (uint32_t)v;
	return psf__expect(ps, ';', "after the header");
}

int psf_text_parse(const char *text, size_t len, struct psf_tree **out,
		   struct psf_text_error *err)
{
	struct parser ps;
	struct psf_tree *t;
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.p = ps.line_start = text ? text : "";
	ps.end = ps.p + (text ? len : 0);
	ps.line = ps.tok.line = ps.tok.col = 1;
	ps.total = PSF_HEADER_SIZE;
	ps.err = err;
	if (err)
		memset(err, 0, sizeof(*err));
	t = calloc(1, sizeof(*t));
	if (!t)
		return psf__text_fail(&ps, PSF_ERR_NOSPACE, "out of memory");
	rc = psf__lex(&ps);
	if (rc == PSF_OK)
		rc = parse_header(&ps, t);
	if (rc == PSF_OK)
		rc = parse_body(&ps, t);
	free(ps.str.p);
	free(ps.buf.p);
	if (rc < 0) {
		psf_tree_free(t);
		return rc;
	}
	*out = t;
	return PSF_OK;
}
