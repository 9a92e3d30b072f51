/*
 * psf_text.c - the text form of a PSF store, the way dts is to dtb.
 *
 * The text form shows every byte of a store, so a store goes to text and
 * back unchanged.  docs/text-format.md is the guide; this is the syntax.
 *
 *   file      = header container                nothing may follow
 *   header    = "psf" VERSION "schema" NUMBER "flags" NUMBER ";"
 *   element   = container | structure
 *   container = cname "{" element* "}"
 *   structure = sname "=" value ";"
 *             | record-keyword "{" field* [hex ";"] "}"
 *             | "pad" NUMBER ";"                 NUMBER zero payload bytes
 *   cname     = container-keyword | "@" NUMBER   signature with bit 31 set
 *   sname     = structure-keyword | "@" NUMBER   signature with bit 31 clear
 *   value     = hex                             any structure
 *             | STRING                          string keywords and @names
 *             | item ("," item)*                list keywords
 *   hex       = "[" HEXRUN* "]"
 *   item      = boot-device-name | NUMBER       boot-order: one byte
 *             | COLONHEX+                       other lists: item_len bytes
 *   field     = field-name "=" fvalue ";"
 *   fvalue    = NUMBER                          UINT
 *             | value-name | NUMBER             ENUM
 *             | fitem ("|" fitem)*              FLAGS; fitem = flag-name |
 *                                               NUMBER, OR-ed together
 *             | UUID | COLONHEX                 UUID, MAC
 *
 * Tokens: whitespace separates them and "#" comments to the end of the
 * line.  Punctuation is { } = ; [ ] , |.  A word is a run of
 * [A-Za-z0-9_.:@-]; depending on where it stands it is read as a keyword,
 * a NUMBER (decimal or 0x-hex, range-checked), a VERSION (MAJOR.MINOR), a
 * HEXRUN (an even number of hex digits), COLONHEX (hex pairs joined by
 * ':', e.g. 52:54:00:12:34:56), or a UUID (8-4-4-4-12 hex digits, bytes
 * in RFC 4122 order).  A STRING is "..." of printable ASCII other than "
 * and \, raw bytes >= 0x80, and the escapes \" \\ \n \t \r \xNN.
 * Keywords and value names are psf_schema.c's.
 *
 * Meaning: a record's payload ends where its furthest given field ends
 * (fields inside that length but not given are zero); the hex item of a
 * record holds the bytes after every field the schema knows.  An element
 * given as hex is exactly those bytes.
 *
 * dump writes one canonical spelling: keywords where the schema knows the
 * signature; records field by field unless the stored length cuts a field
 * (then as hex); enums and flags by name, numbers for values without one;
 * lists as items unless the length is not a whole number of items (then
 * hex); strings with printable ASCII and well-formed UTF-8 as is and every
 * other byte escaped.  parse reproduces the bytes exactly, so
 * dump(parse(dump(x))) == dump(x).
 *
 * The parser takes hostile input: it is iterative (nesting costs no stack;
 * PSF_MAX_DEPTH bounds it anyway), every number is range-checked, and the
 * running store size is capped at PSF_MAX_TOTAL, which bounds memory too.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L  /* open_memstream */
#endif

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "psf_tree.h"

#define HEX_ROW 16u  /* hex bytes per line in dumps */

static const char hexdig[] = "0123456789abcdef";

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Largest value of a little-endian unsigned field of width bytes. */
static uint64_t width_max(unsigned width)
{
	return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

static const char *enum_name(const struct psf_enum_name *names, uint64_t v)
{
	for (; names && names->name; names++)
		if (names->value == v)
			return names->name;
	return NULL;
}

/* Size of a record with every field the schema knows. */
static uint32_t record_size(const struct psf_elem_desc *d)
{
	uint32_t size = 0;
	unsigned i;

	for (i = 0; i < d->nfields; i++)
		if ((uint32_t)d->fields[i].off + d->fields[i].width > size)
			size = (uint32_t)d->fields[i].off + d->fields[i].width;
	return size;
}

/* ===========================================================================
 * Dump
 */

static void put_indent(FILE *f, unsigned depth)
{
	while (depth--)
		putc('\t', f);
}

static void put_name(FILE *f, uint32_t sig, const struct psf_elem_desc *d)
{
	if (d)
		fputs(d->name, f);
	else
		fprintf(f, "@0x%08" PRIx32, sig);
}

/* [..] with up to HEX_ROW bytes inline, longer runs one row per line. */
static void put_hex(FILE *f, const uint8_t *p, uint32_t n, unsigned depth)
{
	uint32_t i;

	putc('[', f);
	for (i = 0; i < n; i++) {
		if (n > HEX_ROW && i % HEX_ROW == 0) {
			putc('\n', f);
			put_indent(f, depth + 1);
		} else if (i) {
			putc(' ', f);
		}
		putc(hexdig[p[i] >> 4], f);
		putc(hexdig[p[i] & 15], f);
	}
	if (n > HEX_ROW) {
		putc('\n', f);
		put_indent(f, depth);
	}
	putc(']', f);
}

static void put_colon_hex(FILE *f, const uint8_t *p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%02x", i ? ":" : "", p[i]);
}

/* Length of the well-formed UTF-8 sequence (2 to 4 bytes) at p, or 0.
 * Overlong forms, surrogates and values past U+10FFFF are not well-formed
 * and get escaped byte by byte. */
static uint32_t utf8_len(const uint8_t *p, uint32_t n)
{
	uint32_t len, i;
	uint8_t lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static void put_string(FILE *f, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	putc('"', f);
	while (i < n) {
		uint8_t c = p[i];
		uint32_t u = c >= 0x80 ? utf8_len(p + i, n - i) : 0;

		if (u) {
			fwrite(p + i, 1, u, f);
			i += u;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
		i++;
	}
	putc('"', f);
}

static void put_flags(FILE *f, const struct psf_enum_name *names, uint64_t v)
{
	const char *sep = "";

	if (!v) {
		putc('0', f);
		return;
	}
	for (; names && names->name; names++) {
		if (names->value && (v & names->value) == names->value) {
			fprintf(f, "%s%s", sep, names->name);
			v &= ~(uint64_t)names->value;
			sep = " | ";
		}
	}
	if (v)
		fprintf(f, "%s0x%02" PRIx64, sep, v);
}

static void put_field(FILE *f, const struct psf_field_desc *fd,
		      const uint8_t *p)
{
	uint64_t v;
	const char *name;

	switch (fd->type) {
	case PSF_FT_UUID:
		fprintf(f, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			   "%02x%02x%02x%02x%02x%02x",
			p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8],
			p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
		return;
	case PSF_FT_MAC:
		put_colon_hex(f, p, fd->width);
		return;
	}
	v = psf_field_uint(p, fd->width, 0, fd->width);
	name = fd->type == PSF_FT_ENUM ? enum_name(fd->names, v) : NULL;
	if (name)
		fputs(name, f);
	else if (fd->type == PSF_FT_FLAGS)
		put_flags(f, fd->names, v);
	else
		fprintf(f, "%" PRIu64, v);
}

/*
 * Whether the fields show len bytes exactly: they must tile the payload
 * from offset 0 with none cut short by len.  Bytes past the last known
 * field become the trailing hex item.
 */
static int record_as_fields(const struct psf_elem_desc *d, uint32_t len)
{
	uint32_t covered = 0;
	unsigned i;

	for (i = 0; i < d->nfields && covered < len; i++) {
		const struct psf_field_desc *fd = &d->fields[i];

		if (fd->off != covered || len - covered < fd->width)
			return 0;
		covered += fd->width;
	}
	return 1;
}

static void dump_record(FILE *f, const struct psf_node *n,
			const struct psf_elem_desc *d, unsigned depth)
{
	uint32_t known = record_size(d);
	unsigned i;

	if (!n->len) {
		fprintf(f, "%s { }\n", d->name);
		return;
	}
	fprintf(f, "%s {\n", d->name);
	for (i = 0; i < d->nfields; i++) {
		const struct psf_field_desc *fd = &d->fields[i];

		if ((uint32_t)fd->off + fd->width > n->len)
			break;
		put_indent(f, depth + 1);
		fprintf(f, "%s = ", fd->name);
		put_field(f, fd, n->data + fd->off);
		fputs(";\n", f);
	}
	if (n->len > known) {
		put_indent(f, depth + 1);
		put_hex(f, n->data + known, n->len - known, depth + 1);
		fputs(";\n", f);
	}
	put_indent(f, depth);
	fputs("}\n", f);
}

static void put_list(FILE *f, const struct psf_node *n,
		     const struct psf_elem_desc *d)
{
	uint32_t i;
	unsigned k;

	for (i = 0; i < n->len; i += d->item_len) {
		const uint8_t *item = n->data + i;
		const char *name = d->sig == PSF_BOOT_ORDER ?
				   psf_boot_device_name(item[0]) : NULL;

		if (i)
			fputs(", ", f);
		if (d->sig == PSF_BOOT_ORDER && name)
			fputs(name, f);
		else if (d->sig == PSF_BOOT_ORDER)
			fprintf(f, "%u", item[0]);
		else
			for (k = 0; k < d->item_len; k += 8) {
				if (k)
					putc(' ', f);
				put_colon_hex(f, item + k,
					      d->item_len - k < 8 ?
					      d->item_len - k : 8);
			}
	}
}

static int all_zero(const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* One structure element on its own line(s), indent already written. */
static void dump_struct(FILE *f, const struct psf_node *n, unsigned depth)
{
	const struct psf_elem_desc *d = psf_schema_lookup(n->sig);
	int kind = d ? d->kind : -1;

	if (kind == PSF_KIND_RECORD && record_as_fields(d, n->len)) {
		dump_record(f, n, d, depth);
		return;
	}
	if (kind == PSF_KIND_PAD && all_zero(n->data, n->len)) {
		fprintf(f, "pad %" PRIu32 ";\n", n->len);
		return;
	}
	put_name(f, n->sig, d);
	fputs(" = ", f);
	if (kind == PSF_KIND_STRING)
		put_string(f, n->data, n->len);
	else if (kind == PSF_KIND_LIST && n->len && n->len % d->item_len == 0)
		put_list(f, n, d);
	else
		put_hex(f, n->data, n->len, depth);
	fputs(";\n", f);
}

/* Store order, one element per line; a container's closing brace is
 * written when the walk climbs out of it. */
int psf_text_dump(const struct psf_tree *t, FILE *out)
{
	const struct psf_node *root, *n;
	unsigned depth = 0;
	int rc = psf_tree_check(t);

	/* Only what packs has a text form; this also bounds the indent. */
	if (rc < 0)
		return rc;
	root = n = t->root;
	fprintf(out, "psf %u.%u schema %" PRIu32 " flags 0x%08" PRIx32 ";\n",
		PSF_FORMAT_MAJOR, t->minor, t->schema_version, t->flags);
	for (;;) {
		put_indent(out, depth);
		if (!PSF_SIG_IS_CONTAINER(n->sig)) {
			dump_struct(out, n, depth);
		} else if (n->first) {
			put_name(out, n->sig, psf_schema_lookup(n->sig));
			fputs(" {\n", out);
			n = n->first;
			depth++;
			continue;
		} else {
			put_name(out, n->sig, psf_schema_lookup(n->sig));
			fputs(" { }\n", out);
		}
		while (n != root && !n->next) {
			n = n->parent;
			put_indent(out, --depth);
			fputs("}\n", out);
		}
		if (n == root)
			break;
		n = n->next;
	}
	/* A buffered stream reports a full disk only when flushed. */
	return fflush(out) != 0 || ferror(out) ? PSF_ERR_NOSPACE : PSF_OK;
}

int psf_text_dump_alloc(const struct psf_tree *t, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc;

	if (!f)
		return PSF_ERR_NOSPACE;
	rc = psf_text_dump(t, f);
	if (fclose(f) != 0 && rc == PSF_OK)
		rc = PSF_ERR_NOSPACE;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	if (len)
		*len = n;
	return PSF_OK;
}

/* ===========================================================================
 * Parse
 */

enum tok_type { T_EOF, T_WORD, T_STRING, T_PUNCT };

struct tok {
	enum tok_type type;
	char punct;
	const char *s;      /* start in the input */
	size_t n;           /* length in the input */
	size_t line, col;
};

/* A growing byte buffer, never larger than PSF_MAX_TOTAL. */
struct bytes {
	uint8_t *p;
	size_t n, cap;
};

struct parser {
	const char *p, *end;        /* input not yet read */
	const char *line_start;
	size_t line;
	struct tok tok;             /* the current token */
	struct bytes str;           /* decoded T_STRING */
	struct bytes buf;           /* payload of the element being parsed */
	size_t total;               /* store bytes so far */
	struct psf_text_error *err;
};

__attribute__((format(printf, 5, 0)))
static int vfail(struct parser *ps, size_t line, size_t col, int rc,
		 const char *fmt, va_list ap)
{
	if (ps->err) {
		ps->err->line = line;
		ps->err->column = col;
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	}
	return rc;
}

/* Report an error at the current token. */
__attribute__((format(printf, 3, 4)))
static int fail(struct parser *ps, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(ps, ps->tok.line, ps->tok.col, rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* Report an error at the lexer's position, inside a token. */
__attribute__((format(printf, 2, 3)))
static int lex_fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(ps, ps->line, (size_t)(ps->p - ps->line_start) + 1,
		   PSF_ERR_BADVALUE, fmt, ap);
	va_end(ap);
	return rc;
}

/* The current token for messages: "'word'", "'{'", "a string". */
static const char *tok_desc(const struct tok *t, char *buf, size_t cap)
{
	switch (t->type) {
	case T_EOF:
		return "end of input";
	case T_STRING:
		return "a string";
	case T_PUNCT:
		snprintf(buf, cap, "'%c'", t->punct);
		return buf;
	case T_WORD:
		break;
	}
	if (t->n > 40)
		snprintf(buf, cap, "'%.40s...'", t->s);
	else
		snprintf(buf, cap, "'%.*s'", (int)t->n, t->s);
	return buf;
}

#define DESC(ps) tok_desc(&(ps)->tok, descbuf, sizeof(descbuf))

/* Append n bytes of src (NULL: zeros). */
static int bytes_put(struct parser *ps, struct bytes *b, const void *src,
		     size_t n)
{
	if (!n)
		return PSF_OK;
	if (n > PSF_MAX_TOTAL - b->n)
		return fail(ps, PSF_ERR_TOOLARGE,
			    "payload larger than a store (%u bytes)",
			    PSF_MAX_TOTAL);
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		uint8_t *p;

		while (cap < b->n + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return fail(ps, PSF_ERR_NOSPACE, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	if (src)
		memcpy(b->p + b->n, src, n);
	else
		memset(b->p + b->n, 0, n);
	b->n += n;
	return PSF_OK;
}

/* ---------------------------------------------------------------------------
 * Lexer
 */

static int is_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
	       c == '.' || c == '@';
}

/* One escape after the backslash at ps->p; the byte goes to *out. */
static int lex_escape(struct parser *ps, uint8_t *out)
{
	int hi, lo;

	if (ps->end - ps->p < 2)
		return lex_fail(ps, "unterminated string");
	switch (ps->p[1]) {
	case '"':
	case '\\':
		*out = (uint8_t)ps->p[1];
		break;
	case 'n':
		*out = '\n';
		break;
	case 't':
		*out = '\t';
		break;
	case 'r':
		*out = '\r';
		break;
	case 'x':
		hi = ps->end - ps->p > 2 ? hexval(ps->p[2]) : -1;
		lo = ps->end - ps->p > 3 ? hexval(ps->p[3]) : -1;
		if (hi < 0 || lo < 0)
			return lex_fail(ps, "\\x needs two hex digits");
		*out = (uint8_t)(hi << 4 | lo);
		ps->p += 2;
		break;
	default:
		return lex_fail(ps, "unknown escape in a string "
				"(use \\\" \\\\ \\n \\t \\r or \\xNN)");
	}
	ps->p += 2;
	return PSF_OK;
}

static int lex_string(struct parser *ps)
{
	int rc;

	ps->str.n = 0;
	ps->p++;
	for (;;) {
		uint8_t c;

		if (ps->p == ps->end)
			return lex_fail(ps, "unterminated string");
		c = (uint8_t)*ps->p;
		if (c == '"')
			break;
		if (c == '\n')
			return lex_fail(ps, "unterminated string "
					"(write a newline as \\n)");
		if (c < 0x20 || c == 0x7f)
			return lex_fail(ps, "control byte 0x%02x in a string "
					"(write it as \\x%02x)", c, c);
		if (c == '\\') {
			rc = lex_escape(ps, &c);
			if (rc < 0)
				return rc;
		} else {
			ps->p++;
		}
		rc = bytes_put(ps, &ps->str, &c, 1);
		if (rc < 0)
			return rc;
	}
	ps->p++;
	ps->tok.type = T_STRING;
	ps->tok.n = (size_t)(ps->p - ps->tok.s);
	return PSF_OK;
}

static void skip_blank(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->line_start = ++ps->p;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

/* Read the next token into ps->tok. */
static int lex(struct parser *ps)
{
	struct tok *t = &ps->tok;
	unsigned char c;

	skip_blank(ps);
	t->line = ps->line;
	t->col = (size_t)(ps->p - ps->line_start) + 1;
	t->s = ps->p;
	t->n = 0;
	if (ps->p == ps->end) {
		t->type = T_EOF;
		return PSF_OK;
	}
	c = (unsigned char)*ps->p;
	if (c && memchr("{}=;[],|", c, 8)) {
		t->type = T_PUNCT;
		t->punct = (char)c;
		t->n = 1;
		ps->p++;
		return PSF_OK;
	}
	if (c == '"')
		return lex_string(ps);
	if (!is_word_char(c)) {
		if (c >= 0x20 && c < 0x7f)
			return lex_fail(ps, "unexpected character '%c'", c);
		return lex_fail(ps, "unexpected byte 0x%02x", c);
	}
	while (ps->p < ps->end && is_word_char(*ps->p))
		ps->p++;
	t->type = T_WORD;
	t->n = (size_t)(ps->p - t->s);
	return PSF_OK;
}

static int is_punct(const struct parser *ps, char c)
{
	return ps->tok.type == T_PUNCT && ps->tok.punct == c;
}

static int is_word(const struct parser *ps, const char *w)
{
	return ps->tok.type == T_WORD && ps->tok.n == strlen(w) &&
	       memcmp(ps->tok.s, w, ps->tok.n) == 0;
}

/* The current token must be c; what says where, for the message. */
static int want(struct parser *ps, char c, const char *what)
{
	char descbuf[64];

	if (is_punct(ps, c))
		return PSF_OK;
	return fail(ps, PSF_ERR_BADVALUE, "expected '%c' %s, found %s", c,
		    what, DESC(ps));
}

/* want(), then move past it. */
static int expect(struct parser *ps, char c, const char *what)
{
	int rc = want(ps, c, what);

	return rc < 0 ? rc : lex(ps);
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
		return fail(ps, PSF_ERR_BADVALUE,
			    "expected a number for %s, found %s", what,
			    DESC(ps));
	if (*v > max)
		return fail(ps, PSF_ERR_BADVALUE,
			    "%s is out of range for %s (at most %" PRIu64 ")",
			    DESC(ps), what, max);
	return lex(ps);
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
	int rc = lex(ps);

	while (rc == PSF_OK && !is_punct(ps, ']')) {
		const char *s = ps->tok.s;
		size_t i;

		if (ps->tok.type != T_WORD || ps->tok.n % 2)
			return fail(ps, PSF_ERR_BADVALUE,
				    "expected hex bytes or ']', found %s",
				    DESC(ps));
		for (i = 0; i < ps->tok.n && rc == PSF_OK; i += 2) {
			int hi = hexval(s[i]), lo = hexval(s[i + 1]);
			uint8_t b;

			if (hi < 0 || lo < 0)
				return fail(ps, PSF_ERR_BADVALUE,
					    "%s is not hex bytes", DESC(ps));
			b = (uint8_t)(hi << 4 | lo);
			rc = bytes_put(ps, &ps->buf, &b, 1);
		}
		if (rc == PSF_OK)
			rc = lex(ps);
	}
	return rc < 0 ? rc : lex(ps);
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
			return lex(ps);
		}
	if (ps->tok.type == T_WORD && !word_u64(ps->tok.s, ps->tok.n, v))
		return fail(ps, PSF_ERR_BADVALUE,
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
		return fail(ps, PSF_ERR_BADVALUE, "field '%s' wants %s, found %s",
			    fd->name, fd->type == PSF_FT_UUID ?
			    "a UUID like 01234567-89ab-cdef-0123-456789abcdef" :
			    "a MAC like 52:54:00:12:34:56", DESC(ps));
	return lex(ps);
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
		rc = lex(ps);
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
	int rc = bytes_put(ps, &ps->buf, NULL, known);

	if (rc == PSF_OK)
		rc = lex(ps);
	while (rc == PSF_OK && !is_punct(ps, '}')) {
		const struct psf_field_desc *fd;

		if (is_punct(ps, '[')) {
			rc = parse_hex(ps);
			if (rc == PSF_OK)
				rc = expect(ps, ';', "after the trailing bytes");
			if (rc == PSF_OK)
				rc = want(ps, '}', "after the trailing bytes, "
					  "which come last");
			len = (uint32_t)ps->buf.n;
			break;
		}
		if (ps->tok.type != T_WORD)
			return fail(ps, PSF_ERR_BADVALUE,
				    "expected a field of '%s' or '}', found %s",
				    d->name, DESC(ps));
		fd = psf_record_field(d->sig, ps->tok.s, ps->tok.n);
		if (!fd)
			return fail(ps, PSF_ERR_BADVALUE,
				    "unknown field %s in '%s'", DESC(ps),
				    d->name);
		if (seen[fd - d->fields]++)
			return fail(ps, PSF_ERR_BADVALUE,
				    "field '%s' given twice", fd->name);
		rc = lex(ps);
		if (rc == PSF_OK)
			rc = expect(ps, '=', "after the field name");
		if (rc == PSF_OK)
			rc = parse_field(ps, fd, ps->buf.p + fd->off);
		if (rc == PSF_OK)
			rc = expect(ps, ';', "after the field value");
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
		rc = lex(ps);
	} else if (ps->tok.type == T_WORD &&
		   !word_u64(ps->tok.s, ps->tok.n, &v)) {
		return fail(ps, PSF_ERR_BADVALUE, "unknown boot device %s "
			    "(disk, cdrom, network, floppy or a number)",
			    DESC(ps));
	} else {
		rc = number(ps, 255, "a boot device", &v);
	}
	b = (uint8_t)v;
	return rc < 0 ? rc : bytes_put(ps, &ps->buf, &b, 1);
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
			return fail(ps, PSF_ERR_BADVALUE, "an item of '%s' is "
				    "%u bytes of colon-separated hex (aa:bb:..), "
				    "found %s", d->name, d->item_len, DESC(ps));
		have += k;
		rc = lex(ps);
		if (rc < 0)
			return rc;
	}
	return bytes_put(ps, &ps->buf, item, d->item_len);
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
		rc = lex(ps);
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
			rc = bytes_put(ps, &ps->buf, NULL, n);
		return rc < 0 ? rc : want(ps, ';', "after the pad");
	}
	rc = expect(ps, '=', "after the element name");
	if (rc < 0)
		return rc;
	if (is_punct(ps, '[')) {
		rc = parse_hex(ps);
	} else if (ps->tok.type == T_STRING &&
		   (kind == PSF_KIND_STRING || !d)) {
		rc = bytes_put(ps, &ps->buf, ps->str.p, ps->str.n);
		if (rc == PSF_OK)
			rc = lex(ps);
	} else if (kind == PSF_KIND_LIST) {
		rc = parse_list(ps, d);
	} else {
		return fail(ps, PSF_ERR_BADVALUE,
			    "expected a value for %s, found %s", name,
			    DESC(ps));
	}
	return rc < 0 ? rc : want(ps, ';', "after the value");
}

/* Count one more element of n bytes toward the store's size. */
static int add_size(struct parser *ps, size_t n)
{
	if (n > PSF_MAX_TOTAL - ps->total)
		return fail(ps, PSF_ERR_TOOLARGE, "store larger than %u bytes",
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
		return fail(ps, PSF_ERR_BADVALUE,
			    "expected an element, found %s", DESC(ps));
	if (ps->tok.s[0] == '@') {
		if (!word_u64(ps->tok.s + 1, ps->tok.n - 1, &sig) ||
		    sig > UINT32_MAX)
			return fail(ps, PSF_ERR_BADVALUE, "bad signature %s "
				    "(write @0x and up to 8 hex digits)",
				    DESC(ps));
	} else {
		d = psf_schema_lookup_name(ps->tok.s, ps->tok.n);
		if (!d)
			return fail(ps, PSF_ERR_BADVALUE,
				    "unknown element %s", DESC(ps));
		sig = d->sig;
	}
	tok_desc(&ps->tok, name, sizeof(name));
	if (!parent && !PSF_SIG_IS_CONTAINER(sig))
		return fail(ps, PSF_ERR_BADVALUE,
			    "the root must be a container, found %s", name);
	if (PSF_SIG_IS_CONTAINER(sig) && depth == PSF_MAX_DEPTH)
		return fail(ps, PSF_ERR_TOODEEP,
			    "containers nested deeper than %u", PSF_MAX_DEPTH);
	rc = lex(ps);
	if (rc < 0)
		return rc;
	if (PSF_SIG_IS_CONTAINER(sig)) {
		rc = want(ps, '{', "after a container's name");
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
		return fail(ps, PSF_ERR_NOSPACE, "out of memory");
	if (parent)
		psf_node_append(parent, n);
	else
		t->root = n;
	*out = n;
	rc = add_size(ps, size);
	return rc < 0 ? rc : lex(ps);
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
			rc = lex(ps);
		} else if (ps->tok.type == T_EOF) {
			return fail(ps, PSF_ERR_BADVALUE, cur ?
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
		return fail(ps, PSF_ERR_BADVALUE,
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
		return fail(ps, PSF_ERR_BADVALUE, "expected the header "
			    "'psf 1.0 schema 1 flags 0x0;', found %s",
			    DESC(ps));
	rc = lex(ps);
	if (rc < 0)
		return rc;
	s = ps->tok.s;
	dot = ps->tok.type == T_WORD ? memchr(s, '.', ps->tok.n) : NULL;
	if (!dot || !word_u64(s, (size_t)(dot - s), &major) ||
	    !word_u64(dot + 1, ps->tok.n - (size_t)(dot - s) - 1, &minor))
		return fail(ps, PSF_ERR_BADVALUE, "expected the format "
			    "version as MAJOR.MINOR, found %s", DESC(ps));
	if (major != PSF_FORMAT_MAJOR)
		return fail(ps, PSF_ERR_BADVERSION, "format version %s is not "
			    "supported (major must be %u)", DESC(ps),
			    PSF_FORMAT_MAJOR);
	if (minor > UINT8_MAX)
		return fail(ps, PSF_ERR_BADVALUE, "format minor version in %s "
			    "is out of range (at most 255)", DESC(ps));
	t->minor = (uint8_t)minor;
	rc = lex(ps);
	if (rc < 0)
		return rc;
	if (!is_word(ps, "schema"))
		return fail(ps, PSF_ERR_BADVALUE, "expected 'schema' in the "
			    "header, found %s", DESC(ps));
	rc = lex(ps);
	if (rc == PSF_OK)
		rc = number(ps, UINT32_MAX, "the schema version", &v);
	if (rc < 0)
		return rc;
	t->schema_version = (uint32_t)v;
	if (!is_word(ps, "flags"))
		return fail(ps, PSF_ERR_BADVALUE, "expected 'flags' in the "
			    "header, found %s", DESC(ps));
	rc = lex(ps);
	if (rc < 0)
		return rc;
	/* Refuse here what a reader would refuse: the store must load. */
	if (ps->tok.type == T_WORD && word_u64(ps->tok.s, ps->tok.n, &v) &&
	    (v & PSF_FLAGS_INCOMPAT_MASK & ~PSF_FLAGS_KNOWN))
		return fail(ps, PSF_ERR_BADFLAGS, "flags %s set must-understand "
			    "bits this version does not know", DESC(ps));
	rc = number(ps, UINT32_MAX, "the flags", &v);
	if (rc < 0)
		return rc;
	t->flags = (uint32_t)v;
	return expect(ps, ';', "after the header");
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
		return fail(&ps, PSF_ERR_NOSPACE, "out of memory");
	rc = lex(&ps);
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
