/*
 * psctl_json_val.c - the values of `import`'s JSON form: numbers within
 * a field's width, hex strings, enum and flag names, a record's fields;
 * every error with the JSON path and the element chain it was found at.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "psctl.h"
#include "psctl_json_int.h"
#include "psf_tree.h"


/* Append to a bounded path; returns the old length, to restore. */
size_t jv_push(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	size_t old = *len;
	va_list ap;
	int n;

	if (old < cap - 1) {
		va_start(ap, fmt);
		n = vsnprintf(buf + old, cap - old, fmt, ap);
		va_end(ap);
		*len = n < 0 ? old : old + (size_t)n >= cap ? cap - 1
							   : old + (size_t)n;
	}
	return old;
}

void jv_pop(char *buf, size_t *len, size_t old)
{
	*len = old;
	buf[old] = 0;
}


/* The first error wins: "PATH: why (in ELEMENTS)". */
int jv_fail(struct jctx *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->failed)
		return -1;
	j->failed = 1;
	n = snprintf(j->msg, j->cap, "%s: ", j->plen ? j->path : "(top)");
	if (n < 0 || (size_t)n >= j->cap)
		return -1;
	va_start(ap, fmt);
	vsnprintf(j->msg + n, j->cap - (size_t)n, fmt, ap);
	va_end(ap);
	if (j->wlen) {
		size_t l = strlen(j->msg);

		snprintf(j->msg + l, j->cap - l, " (in %s)", j->where);
	}
	return -1;
}

const char *jv_type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fractional number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

/* A string shown in a message: at most 40 bytes, printable. */
const char *jv_shown(json_object *o, char *buf, size_t cap)
{
	const char *s;
	size_t i, n, k = 0;

	if (!json_object_is_type(o, json_type_string)) {
		snprintf(buf, cap, "%s", json_object_to_json_string_ext(o,
			 JSON_C_TO_STRING_PLAIN));
		if (strlen(buf) > 40)
			strcpy(buf + 37, "...");
		return buf;
	}
	s = json_object_get_string(o);
	n = (size_t)json_object_get_string_len(o);
	for (i = 0; i < n && k + 4 < cap && i < 40; i++)
		buf[k++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (i < n && k + 4 < cap) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = 0;
	return buf;
}

/* A non-negative integer no larger than max. */
int jv_get_uint(struct jctx *j, json_object *o, uint64_t max,
		uint64_t *v)
{
	if (!json_object_is_type(o, json_type_int))
		return jv_fail(j, "expected a non-negative integer, got %s",
			     jv_type_name(o));
	if (json_object_get_int64(o) < 0)
		return jv_fail(j, "%lld is negative",
			     (long long)json_object_get_int64(o));
	*v = json_object_get_uint64(o);
	if (*v > max)
		return jv_fail(j, "%llu is out of range (at most %llu)",
			     (unsigned long long)*v, (unsigned long long)max);
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Hex bytes: pairs of hex digits, optionally separated by ':', '-' or
 * spaces between bytes ("deadbeef", "de:ad:be:ef").  *out is malloc'd
 * (NULL for none).
 */
int jv_get_hex(struct jctx *j, json_object *o, uint8_t **out, size_t *n)
{
	const char *s;
	size_t len, i, k = 0;
	uint8_t *b;
	char sb[64];

	*out = NULL;
	*n = 0;
	if (!json_object_is_type(o, json_type_string))
		return jv_fail(j, "expected a string of hex bytes, got %s",
			     jv_type_name(o));
	s = json_object_get_string(o);
	len = (size_t)json_object_get_string_len(o);
	b = malloc(len / 2 + 1);
	if (!b)
		return jv_fail(j, "out of memory");
	for (i = 0; i < len;) {
		if (s[i] == ':' || s[i] == '-' || s[i] == ' ') {
			i++;
			continue;
		}
		if (hexval(s[i]) < 0 || i + 1 >= len || hexval(s[i + 1]) < 0) {
			free(b);
			return jv_fail(j,
				       "'%s' is not hex bytes (two hex digits "
				     "a byte, e.g. \"de ad be ef\" or "
				     "\"deadbeef\")", jv_shown(o, sb,
							       sizeof sb));
		}
		b[k++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
		i += 2;
	}
	*out = b;
	*n = k;
	return 0;
}

/* Exactly 'width' bytes written as hex groups with 'sep' between bytes at
 * the positions in 'at' (a UUID) or between every byte (a MAC). */
int jv_get_fixed(struct jctx *j, json_object *o, uint8_t *dst,
		 size_t width, const char *what, const char *example)
{
	const char *s;
	size_t len, i, k = 0;
	int uuid = width == 16;
	char sb[64];

	if (!json_object_is_type(o, json_type_string))
		return jv_fail(j, "expected a %s string, got %s", what,
			     jv_type_name(o));
	s = json_object_get_string(o);
	len = (size_t)json_object_get_string_len(o);
	if (len != (uuid ? 36 : width * 3 - 1))
		goto bad;
	for (i = 0; i < len;) {
		int sep = uuid ? (i == 8 || i == 13 || i == 18 || i == 23)
			       : (i % 3 == 2);

		if (sep) {
			if (s[i] != (uuid ? '-' : ':'))
				goto bad;
			i++;
			continue;
		}
		if (hexval(s[i]) < 0 || hexval(s[i + 1]) < 0 || k >= width)
			goto bad;
		dst[k++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
		i += 2;
	}
	if (k == width)
		return 0;
bad:
	return jv_fail(j, "'%s' is not a %s (%s)", jv_shown(o, sb, sizeof sb),
		       what,
		     example);
}

/* Value names of an enumeration or flag set, "off, on, last". */
static void names_of(const struct psf_enum_name *t, char *buf, size_t cap)
{
	size_t k = 0;

	buf[0] = 0;
	for (; t && t->name && k + 2 < cap; t++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%s", k ? ", " : "",
				      t->name);
}

static int name_value(const struct psf_enum_name *t, const char *s,
		      size_t n, uint64_t *v)
{
	for (; t && t->name; t++)
		if (strlen(t->name) == n && !memcmp(t->name, s, n)) {
			*v = t->value;
			return 0;
		}
	return -1;
}

int jv_get_named(struct jctx *j, json_object *o,
		 const struct psf_field_desc *f, uint64_t max, uint64_t *v)
{
	char names[256], sb[64];

	if (json_object_is_type(o, json_type_string)) {
		if (!name_value(f->names, json_object_get_string(o),
				(size_t)json_object_get_string_len(o), v))
			return 0;
		names_of(f->names, names, sizeof names);
		return jv_fail(j, "unknown value '%s' for field '%s' (%s, or a "
			     "number)", jv_shown(o, sb, sizeof sb), f->name,
			     names);
	}
	if (json_object_is_type(o, json_type_int))
		return jv_get_uint(j, o, max, v);
	return jv_fail(j, "expected a value name or a number, got %s",
		     jv_type_name(o));
}

int jv_get_field(struct jctx *j, json_object *o,
		 const struct psf_field_desc *f, uint8_t *rec)
{
	uint64_t max = f->width >= 8 ? UINT64_MAX
			: ((uint64_t)1 << (8 * f->width)) - 1;
	uint64_t v = 0, bit;
	size_t i, n;
	int k;

	switch (f->type) {
	case PSF_FT_UUID:
		return jv_get_fixed(j, o, rec + f->off, 16, "UUID",
				 "8-4-4-4-12 hex digits, e.g. "
				 "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	case PSF_FT_MAC:
		return jv_get_fixed(j, o, rec + f->off, 6, "MAC address",
				 "six hex octets, e.g. 52:54:00:12:34:56");
	case PSF_FT_ENUM:
		if (jv_get_named(j, o, f, max, &v))
			return -1;
		break;
	case PSF_FT_FLAGS:
		if (json_object_is_type(o, json_type_int)) {
			if (jv_get_uint(j, o, max, &v))
				return -1;
			break;
		}
		if (!json_object_is_type(o, json_type_array))
			return jv_fail(j, "expected an array of flag names or "
				     "numbers, got %s", jv_type_name(o));
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			size_t old = PATH_PUSH(j, "[%zu]", i);

			if (jv_get_named(j, json_object_array_get_idx(o, i), f,
				      max, &bit))
				return -1;
			PATH_POP(j, old);
			v |= bit;
		}
		break;
	default:
		if (jv_get_uint(j, o, max, &v))
			return -1;
		break;
	}
	for (k = 0; k < f->width; k++)
		rec[f->off + k] = (uint8_t)(v >> (8 * k));
	return 0;
}

