/*
 * psctl_json.c - `psctl import` of the JSON form that `psctl export --json`
 * writes (the syntax is in docs/psctl.1.md, "JSON form").
 *
 * json-c reads the text (strict RFC 8259, UTF-8 checked); this file turns
 * the document into a psf_tree, checking every key, type and value against
 * the schema.  Nothing here is trusted: sizes are bounded by the input size
 * (psctl reads at most a store's worth), nesting by the tokener's depth
 * limit, numbers by the field widths.
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

/* JSON nesting: two levels per container ({"children": [ ... ]}), the root
 * object, and some slack; deeper stores are refused by the format anyway
 * (PSF_MAX_DEPTH). */
#define JSON_MAX_DEPTH (2 * PSF_MAX_DEPTH + 8)

static struct psf_node *new_struct(struct jctx *j, uint32_t sig,
				   const void *data, size_t len)
{
	struct psf_node *n;

	if (len > PSF_MAX_TOTAL) {
		jv_fail(j, "%zu bytes is larger than a store", len);
		return NULL;
	}
	n = psf_node_new_struct(sig, data, (uint32_t)len);
	if (!n)
		jv_fail(j, "out of memory");
	return n;
}

/* "fields" (and "extra") of a record. */
static struct psf_node *build_record(struct jctx *j,
				     const struct psf_elem_desc *d,
				     json_object *fields, json_object *extra)
{
	uint8_t rec[256];
	uint8_t *x = NULL, *buf;
	size_t xn = 0, full = 0, len = 0, old;
	struct psf_node *n;
	const struct psf_field_desc *f;
	int i;

	memset(rec, 0, sizeof rec);
	for (i = 0; i < d->nfields; i++)
		if ((size_t)d->fields[i].off + d->fields[i].width > full)
			full = (size_t)d->fields[i].off + d->fields[i].width;
	if (full > sizeof rec) {
		jv_fail(j, "record layout too large");
		return NULL;
	}
	old = PATH_PUSH(j, ".fields");
	if (!json_object_is_type(fields, json_type_object)) {
		jv_fail(j, "expected an object of field: value, got %s",
		      jv_type_name(fields));
		return NULL;
	}
	json_object_object_foreach(fields, key, val) {
		size_t o2 = PATH_PUSH(j, ".%s", key);

		f = psf_record_field(d->sig, key, strlen(key));
		if (!f) {
			char names[512];

			names[0] = 0;
			for (i = 0; i < d->nfields; i++)
				snprintf(names + strlen(names),
					 sizeof names - strlen(names), "%s%s",
					 i ? ", " : "", d->fields[i].name);
			jv_fail(j, "unknown field '%s' in '%s' (%s)", key,
			      d->name, names);
			return NULL;
		}
		if (jv_get_field(j, val, f, rec))
			return NULL;
		if ((size_t)f->off + f->width > len)
			len = (size_t)f->off + f->width;
		PATH_POP(j, o2);
	}
	PATH_POP(j, old);
	if (!extra)
		return new_struct(j, d->sig, rec, len);
	old = PATH_PUSH(j, ".extra");
	if (jv_get_hex(j, extra, &x, &xn))
		return NULL;
	PATH_POP(j, old);
	buf = malloc(full + xn + 1);
	if (!buf) {
		free(x);
		jv_fail(j, "out of memory");
		return NULL;
	}
	memcpy(buf, rec, full);
	if (xn)
		memcpy(buf + full, x, xn);
	n = new_struct(j, d->sig, buf, full + xn);
	free(buf);
	free(x);
	return n;
}

static struct psf_node *build_list(struct jctx *j,
				   const struct psf_elem_desc *d,
				   json_object *items)
{
	size_t w = d->item_len ? d->item_len : 1, i, n, k, old;
	uint8_t *buf, *b;
	struct psf_node *node;
	char sb[64];

	if (!json_object_is_type(items, json_type_array)) {
		jv_fail(j, "expected an array, got %s", jv_type_name(items));
		return NULL;
	}
	n = json_object_array_length(items);
	buf = malloc(n * w + 1);
	if (!buf) {
		jv_fail(j, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(items, i);
		uint64_t v;

		old = PATH_PUSH(j, "[%zu]", i);
		if (d->sig == PSF_BOOT_ORDER) {
			if (json_object_is_type(it, json_type_string)) {
				int code = psf_boot_device_code(
					json_object_get_string(it),
					(size_t)json_object_get_string_len(it));

				if (code < 0) {
					jv_fail(j, "unknown boot device '%s' "
					      "(disk, cdrom, network, floppy,"
					      " or a number 0..255)",
					      jv_shown(it, sb, sizeof sb));
					goto fail;
				}
				buf[i] = (uint8_t)code;
			} else if (jv_get_uint(j, it, 255, &v)) {
				goto fail;
			} else {
				buf[i] = (uint8_t)v;
			}
		} else {
			if (jv_get_hex(j, it, &b, &k))
				goto fail;
			if (k != w) {
				free(b);
				jv_fail(j, "'%s' is %zu bytes; a '%s' item is "
				      "%zu", jv_shown(it, sb, sizeof sb), k,
				      d->name, w);
				goto fail;
			}
			memcpy(buf + i * w, b, w);
			free(b);
		}
		PATH_POP(j, old);
	}
	node = new_struct(j, d->sig, buf, n * w);
	free(buf);
	return node;
fail:
	free(buf);
	return NULL;
}

/* Keys an element object may have, by kind. */
static int key_allowed(const char *k, const struct psf_elem_desc *d, int cont)
{
	if (!strcmp(k, "element"))
		return 1;
	if (cont)
		return !strcmp(k, "children");
	if (!strcmp(k, "hex"))
		return 1;
	if (!d)
		return 0;
	switch (d->kind) {
	case PSF_KIND_STRING:
		return !strcmp(k, "value");
	case PSF_KIND_LIST:
		return !strcmp(k, "items");
	case PSF_KIND_RECORD:
		return !strcmp(k, "fields") || !strcmp(k, "extra");
	case PSF_KIND_PAD:
		return !strcmp(k, "bytes");
	}
	return 0;
}

static const char *payload_keys(const struct psf_elem_desc *d)
{
	if (!d)
		return "\"hex\"";
	switch (d->kind) {
	case PSF_KIND_STRING:
		return "\"value\" or \"hex\"";
	case PSF_KIND_LIST:
		return "\"items\" or \"hex\"";
	case PSF_KIND_RECORD:
		return "\"fields\" (and \"extra\") or \"hex\"";
	case PSF_KIND_PAD:
		return "\"bytes\" or \"hex\"";
	}
	return "\"hex\"";
}

static struct psf_node *build_node(struct jctx *j, json_object *o);

static struct psf_node *build_container(struct jctx *j, uint32_t sig,
					json_object *kids)
{
	struct psf_node *n = psf_node_new_container(sig), *k;
	size_t i, cnt, old;

	if (!n) {
		jv_fail(j, "out of memory");
		return NULL;
	}
	if (!kids)
		return n;
	old = PATH_PUSH(j, ".children");
	if (!json_object_is_type(kids, json_type_array)) {
		jv_fail(j, "expected an array of elements, got %s",
		      jv_type_name(kids));
		goto fail;
	}
	cnt = json_object_array_length(kids);
	for (i = 0; i < cnt; i++) {
		size_t o2 = PATH_PUSH(j, "[%zu]", i);

		k = build_node(j, json_object_array_get_idx(kids, i));
		if (!k)
			goto fail;
		if (psf_node_append(n, k)) {
			psf_node_free(k);
			jv_fail(j, "cannot add the element");
			goto fail;
		}
		PATH_POP(j, o2);
	}
	PATH_POP(j, old);
	return n;
fail:
	psf_node_free(n);
	return NULL;
}

/* The NAME child's value, for the element chain in messages. */
static void chain_name(struct jctx *j, json_object *kids)
{
	size_t i, cnt;
	json_object *e, *v;
	char sb[64];

	if (!json_object_is_type(kids, json_type_array))
		return;
	cnt = json_object_array_length(kids);
	for (i = 0; i < cnt; i++) {
		json_object *k = json_object_array_get_idx(kids, i);

		if (json_object_object_get_ex(k, "element", &e) &&
		    json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), "name") &&
		    json_object_object_get_ex(k, "value", &v) &&
		    json_object_is_type(v, json_type_string)) {
			jv_push(j->where, sizeof j->where, &j->wlen, " '%s'",
			     jv_shown(v, sb, sizeof sb));
			return;
		}
	}
}

static int parse_sig(const char *s, uint32_t *sig)
{
	char *end;
	unsigned long v;

	if (strncmp(s, "0x", 2) && strncmp(s, "0X", 2))
		return -1;
	if (!isxdigit((unsigned char)s[2]) || strlen(s) > 10)
		return -1;
	v = strtoul(s + 2, &end, 16);
	if (*end)
		return -1;
	*sig = (uint32_t)v;
	return 0;
}

/* The element an object names ("element": keyword or "0xSIGNATURE"):
 * *sig, its schema entry *d (NULL when unknown), *name as written. */
static int element_of(struct jctx *j, json_object *o, uint32_t *sig,
		      const struct psf_elem_desc **d, const char **name)
{
	json_object *el;
	size_t old;
	char sb[64];

	if (!json_object_is_type(o, json_type_object))
		return jv_fail(j, "expected an element object {\"element\": "
			       "...}, got %s", jv_type_name(o));
	if (!json_object_object_get_ex(o, "element", &el))
		return jv_fail(j, "no \"element\" key");
	old = PATH_PUSH(j, ".element");
	if (!json_object_is_type(el, json_type_string))
		return jv_fail(j, "expected a keyword or \"0xSIGNATURE\", got "
			       "%s", jv_type_name(el));
	*name = json_object_get_string(el);
	*d = psf_schema_lookup_name(*name, strlen(*name));
	if (*d) {
		*sig = (*d)->sig;
	} else if (parse_sig(*name, sig)) {
		return jv_fail(j, "unknown element '%s' (a schema keyword, or "
			       "a signature \"0xNNNNNNNN\")",
			       jv_shown(el, sb, sizeof sb));
	} else {
		*d = psf_schema_lookup(*sig);
	}
	PATH_POP(j, old);
	return 0;
}

/* The payload keys of a structure's object: at most one of the payload
 * keys (*payload, or *hex) under *pkey, and "extra". */
struct payload {
	json_object *hex, *payload, *extra;
	const char *pkey;
	int n;
};

static int payload_of(struct jctx *j, json_object *o,
		      const struct psf_elem_desc *d, const char *name,
		      int cont, struct payload *p)
{
	memset(p, 0, sizeof *p);
	json_object_object_foreach(o, key, val) {
		if (!key_allowed(key, d, cont)) {
			PATH_PUSH(j, ".%s", key);
			return jv_fail(j, "unknown key '%s' for %s '%s' (%s)",
				       key, cont ? "container" : "structure",
				       d ? d->name : name,
				       cont ? "\"children\"" : payload_keys(d));
		}
		if (!strcmp(key, "element") || !strcmp(key, "children"))
			continue;
		if (!strcmp(key, "extra")) {
			p->extra = val;
			continue;
		}
		if (!strcmp(key, "hex"))
			p->hex = val;
		else
			p->payload = val;
		if (p->n++) {
			PATH_PUSH(j, ".%s", key);
			return jv_fail(j, "\"%s\" and \"%s\" both given; '%s' "
				       "takes one of %s", p->pkey, key,
				       d ? d->name : name, payload_keys(d));
		}
		p->pkey = key;
	}
	return 0;
}

/* A structure from its payload (the path already at its key). */
static struct psf_node *build_struct(struct jctx *j, uint32_t sig,
				     const struct psf_elem_desc *d,
				     const struct payload *p, size_t old)
{
	struct psf_node *n;

	if (p->hex) {
		uint8_t *b;
		size_t bn;

		if (jv_get_hex(j, p->hex, &b, &bn))
			return NULL;
		n = new_struct(j, sig, b, bn);
		free(b);
	} else if (d->kind == PSF_KIND_STRING) {
		if (!json_object_is_type(p->payload, json_type_string)) {
			jv_fail(j, "expected a string, got %s",
				jv_type_name(p->payload));
			return NULL;
		}
		n = new_struct(j, sig, json_object_get_string(p->payload),
			       (size_t)json_object_get_string_len(p->payload));
	} else if (d->kind == PSF_KIND_PAD) {
		uint64_t len;

		if (jv_get_uint(j, p->payload, PSF_MAX_TOTAL, &len))
			return NULL;
		n = new_struct(j, sig, NULL, (size_t)len);
	} else if (d->kind == PSF_KIND_LIST) {
		n = build_list(j, d, p->payload);
	} else {
		PATH_POP(j, old);
		n = build_record(j, d, p->payload, p->extra);
	}
	if (n)
		PATH_POP(j, old);
	return n;
}

static struct psf_node *build_node(struct jctx *j, json_object *o)
{
	const struct psf_elem_desc *d = NULL;
	struct psf_node *n;
	struct payload p;
	json_object *v = NULL;
	const char *name = NULL;
	uint32_t sig = 0;
	size_t wold, old;
	int cont;

	if (element_of(j, o, &sig, &d, &name))
		return NULL;
	cont = PSF_SIG_IS_CONTAINER(sig);
	wold = jv_push(j->where, sizeof j->where, &j->wlen, "%s%s",
		       j->wlen ? " > " : "", d ? d->name : name);
	if (payload_of(j, o, d, name, cont, &p))
		return NULL;
	if (cont) {
		json_object_object_get_ex(o, "children", &v);
		chain_name(j, v);
		n = build_container(j, sig, v);
		jv_pop(j->where, &j->wlen, wold);
		return n;
	}
	if (!p.n && !p.extra) {
		jv_fail(j, "'%s' needs its payload: %s", d ? d->name : name,
			payload_keys(d));
		return NULL;
	}
	if (p.extra && (p.hex || !p.payload)) {
		PATH_PUSH(j, ".extra");
		jv_fail(j, "\"extra\" goes with \"fields\"");
		return NULL;
	}
	old = PATH_PUSH(j, ".%s", p.pkey);
	n = build_struct(j, sig, d, &p, old);
	if (n)
		jv_pop(j->where, &j->wlen, wold);
	return n;
}

/* Byte offset -> "line L, column C" (1-based, columns in bytes). */
static void where_at(const char *in, size_t off, size_t *line, size_t *col)
{
	size_t i, nl = 0;

	*line = 1;
	for (i = 0; i < off; i++)
		if (in[i] == '\n') {
			(*line)++;
			nl = i + 1;
		}
	*col = off - nl + 1;
}

/*
 * json-c clamps integers past 64 bits to UINT64_MAX; refuse them instead.
 * Runs on a document json-c accepted, so strings and numbers are well
 * formed.  Returns the offset of the first too-large integer, or len.
 */
static size_t big_number(const char *in, size_t len)
{
	static const char max[] = "18446744073709551615";
	size_t i = 0, a, b;

	while (i < len) {
		if (in[i] == '"') {
			for (i++; i < len && in[i] != '"'; i++)
				if (in[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (in[i] != '-' && !isdigit((unsigned char)in[i])) {
			i++;
			continue;
		}
		a = in[i] == '-' ? i + 1 : i;
		for (b = a; b < len && isdigit((unsigned char)in[b]); b++)
			;
		if ((b >= len || (in[b] != '.' && in[b] != 'e' &&
				  in[b] != 'E')) &&
		    (b - a > 20 || (b - a == 20 && memcmp(in + a, max,
							  20) > 0)))
			return i;
		for (i = b; i < len && (isdigit((unsigned char)in[i]) ||
					strchr(".eE+-", in[i])); i++)
			;
	}
	return len;
}

static int header(struct jctx *j, json_object *top, struct psf_tree *t)
{
	json_object *v;
	uint64_t x;
	unsigned major, minor;
	char sb[64], tail;
	size_t old;

	json_object_object_foreach(top, key, val) {
		(void)val;
		if (strcmp(key, "format") && strcmp(key, "schema") &&
		    strcmp(key, "flags") && strcmp(key, "generation") &&
		    strcmp(key, "root")) {
			PATH_PUSH(j, "%s", key);
			return jv_fail(j, "unknown key '%s' (format, schema, "
				     "flags, generation, root)", key);
		}
	}
	old = PATH_PUSH(j, "format");
	if (!json_object_object_get_ex(top, "format", &v))
		return jv_fail(j, "missing (\"format\": \"%u.%u\")",
			     PSF_FORMAT_MAJOR, PSF_FORMAT_MINOR);
	if (!json_object_is_type(v, json_type_string) ||
	    sscanf(json_object_get_string(v), "%u.%u%c", &major, &minor,
		   &tail) != 2 || minor > 255 ||
	    !isdigit((unsigned char)json_object_get_string(v)[0]))
		return jv_fail(j,
			       "'%s' is not a format version \"MAJOR.MINOR\"",
			     jv_shown(v, sb, sizeof sb));
	if (major != PSF_FORMAT_MAJOR)
		return jv_fail(j, "format major %u is not supported (only %u)",
			     major, PSF_FORMAT_MAJOR);
	t->minor = (uint8_t)minor;
	PATH_POP(j, old);
	if (json_object_object_get_ex(top, "schema", &v)) {
		old = PATH_PUSH(j, "schema");
		if (jv_get_uint(j, v, UINT32_MAX, &x))
			return -1;
		t->schema_version = (uint32_t)x;
		PATH_POP(j, old);
	}
	if (json_object_object_get_ex(top, "flags", &v)) {
		old = PATH_PUSH(j, "flags");
		if (jv_get_uint(j, v, UINT32_MAX, &x))
			return -1;
		t->flags = (uint32_t)x;
		PATH_POP(j, old);
	}
	/* The generation is the store's, given by the commit: ignored. */
	if (json_object_object_get_ex(top, "generation", &v)) {
		old = PATH_PUSH(j, "generation");
		if (jv_get_uint(j, v, UINT64_MAX, &x))
			return -1;
		PATH_POP(j, old);
	}
	return 0;
}

/* The text as a JSON document (strict RFC 8259, UTF-8, one document, no
 * integer past 2^64 - 1), or NULL with msg "line L, column C: ...". */
static json_object *tokenize(const char *in, size_t len, char *msg,
			     size_t cap)
{
	struct json_tokener *tok;
	json_object *top;
	enum json_tokener_error err;
	size_t off, line, col;

	if (len > INT32_MAX) {
		snprintf(msg, cap, "too large");
		return NULL;
	}
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok) {
		snprintf(msg, cap, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	top = json_tokener_parse_ex(tok, in, (int)len);
	err = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!top) {
		where_at(in, off > len ? len : off, &line, &col);
		snprintf(msg, cap, "line %zu, column %zu: invalid JSON: %s",
			 line, col, err == json_tokener_continue
			 ? "unexpected end of input"
			 : json_tokener_error_desc(err));
		return NULL;
	}
	while (off < len && strchr(" \t\r\n", in[off]))
		off++;
	if (off < len || (off = big_number(in, len)) < len) {
		where_at(in, off, &line, &col);
		snprintf(msg, cap, "line %zu, column %zu: invalid JSON: %s",
			 line, col, big_number(in, len) == off
			 ? "integer too large (at most 18446744073709551615)"
			 : "data after the end of the document");
		json_object_put(top);
		return NULL;
	}
	return top;
}

int psctl_json_parse(const char *in, size_t len, struct psf_tree **out,
		     char *msg, size_t cap)
{
	json_object *top, *root;
	struct jctx j;
	struct psf_tree *t;
	struct psf_node *r;

	*out = NULL;
	top = tokenize(in, len, msg, cap);
	if (!top)
		return -1;
	memset(&j, 0, sizeof j);
	j.msg = msg;
	j.cap = cap;
	t = psf_tree_new(PSF_ROOT);
	if (!t) {
		json_object_put(top);
		snprintf(msg, cap, "out of memory");
		return -1;
	}
	if (!json_object_is_type(top, json_type_object)) {
		jv_fail(&j, "expected an object");
		goto fail;
	}
	if (header(&j, top, t))
		goto fail;
	if (!json_object_object_get_ex(top, "root", &root)) {
		PATH_PUSH(&j, "root");
		jv_fail(&j, "missing: the root element");
		goto fail;
	}
	PATH_PUSH(&j, "root");
	r = build_node(&j, root);
	if (!r)
		goto fail;
	if (!PSF_SIG_IS_CONTAINER(r->sig)) {
		psf_node_free(r);
		PATH_PUSH(&j, ".element");
		jv_fail(&j, "the root must be a container");
		goto fail;
	}
	psf_node_free(t->root);
	t->root = r;
	json_object_put(top);
	*out = t;
	return 0;
fail:
	json_object_put(top);
	psf_tree_free(t);
	return -1;
}
