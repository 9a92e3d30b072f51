/*
 * psf_text_dump.c - a PSF tree to its text form (syntax in psf_text.h).
 *
 * dump writes one canonical spelling: keywords where the schema knows the
 * signature; records field by field unless the stored length cuts a field
 * (then as hex); enums and flags by name, numbers for values without one;
 * lists as items unless the length is not a whole number of items (then
 * hex); strings with printable ASCII and well-formed UTF-8 as is and every
 * other byte escaped.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L  /* open_memstream */
#endif

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "psf_text.h"

#define HEX_ROW 16u  /* hex bytes per line in dumps */

static const char hexdig[] = "0123456789abcdef";

static const char *enum_name(const struct psf_enum_name *names, uint64_t v)
{
	for (; names && names->name; names++)
		if (names->value == v)
			return names->name;
	return NULL;
}


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
