/*
 * psctl_jsonout.c - the JSON form of a whole store, as `export --json`
 * writes it (psctl_json.c reads it back): every element, typed where the
 * schema knows it, and lossless: whatever a typed form cannot carry
 * exactly goes as hex.
 */
#include <string.h>

#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"
#include "psf_schema.h"
#include "psf_tree.h"

static void json_uuid(struct psctl_jw *w, const uint8_t *u)
{
	char s[37];
	int i, k = 0;

	for (i = 0; i < 16; i++)
		k += snprintf(s + k, sizeof s - (size_t)k, "%s%02x",
			      i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
			      u[i]);
	psctl_jw_str(w, s);
}

static const char *enum_name(const struct psf_enum_name *t, uint64_t v)
{
	for (; t && t->name; t++)
		if (t->value == v)
			return t->name;
	return NULL;
}

static void json_flags(struct psctl_jw *w, const struct psf_enum_name *t,
		       uint64_t v)
{
	psctl_jw_arr(w, 0);
	for (; t && t->name; t++)
		if (t->value && (v & t->value) == t->value) {
			psctl_jw_str(w, t->name);
			v &= ~(uint64_t)t->value;
		}
	if (v)
		psctl_jw_uint(w, v);
	psctl_jw_end(w);
}

static void json_field(struct psctl_jw *w, const struct psf_node *n,
		       const struct psf_field_desc *f)
{
	uint8_t b[16];
	uint64_t v = 0;
	const char *nm;

	if (f->type == PSF_FT_UUID || f->type == PSF_FT_MAC) {
		memset(b, 0, sizeof b);
		psf_node_field_get_bytes(n, f->name, b, f->width);
		if (f->type == PSF_FT_UUID)
			json_uuid(w, b);
		else
			psctl_jw_hex(w, b, 6, ":");
		return;
	}
	psf_node_field_get(n, f->name, &v);
	if (f->type == PSF_FT_ENUM && (nm = enum_name(f->names, v)))
		psctl_jw_str(w, nm);
	else if (f->type == PSF_FT_FLAGS)
		json_flags(w, f->names, v);
	else
		psctl_jw_uint(w, v);
}

/* Lossless: only the fields wholly inside the stored payload (a record an
 * older tool wrote is shorter), then any bytes past every known field as
 * "extra"; a payload that ends inside a field is written as "hex". */
static int json_record_fits(const struct psf_node *n,
			    const struct psf_elem_desc *d)
{
	int i;

	for (i = 0; i < d->nfields; i++)
		if (d->fields[i].off < n->len &&
		    n->len < (uint32_t)d->fields[i].off + d->fields[i].width)
			return 0;
	return 1;
}

static void json_record(struct psctl_jw *w, const struct psf_node *n,
			const struct psf_elem_desc *d)
{
	uint32_t end = 0, fe;
	int i;

	for (i = 0; i < d->nfields; i++) {
		fe = (uint32_t)d->fields[i].off + d->fields[i].width;
		if (fe > end)
			end = fe;
	}
	psctl_jw_key(w, "fields");
	psctl_jw_obj(w, 0);
	for (i = 0; i < d->nfields; i++) {
		const struct psf_field_desc *f = &d->fields[i];

		if ((uint32_t)f->off + f->width > n->len)
			continue;
		psctl_jw_key(w, f->name);
		json_field(w, n, f);
	}
	psctl_jw_end(w);
	/* Bytes a newer schema added: kept, so export loses nothing. */
	if (n->len > end) {
		psctl_jw_key(w, "extra");
		psctl_jw_hex(w, n->data + end, n->len - end, NULL);
	}
}

static void json_list(struct psctl_jw *w, const struct psf_node *n,
		      const struct psf_elem_desc *d)
{
	uint32_t i, wd = d->item_len ? d->item_len : 1;
	const char *bn;

	psctl_jw_key(w, "items");
	psctl_jw_arr(w, 0);
	for (i = 0; i + wd <= n->len; i += wd) {
		if (n->sig == PSF_BOOT_ORDER &&
		    (bn = psf_boot_device_name(n->data[i])))
			psctl_jw_str(w, bn);
		else if (n->sig == PSF_BOOT_ORDER)
			psctl_jw_uint(w, n->data[i]);
		else
			psctl_jw_hex(w, n->data + i, wd,
				     n->sig == PSF_MAC_LIST ? ":" : NULL);
	}
	psctl_jw_end(w);
}

/* A leaf's payload: whatever a typed form cannot carry exactly is written
 * as "hex": a string that is not UTF-8, a list that is not whole items, a
 * pad that is not zeros, a record cut inside a field. */
static void json_leaf(struct psctl_jw *w, const struct psf_node *n,
		      const struct psf_elem_desc *d)
{
	if (d && d->kind == PSF_KIND_STRING &&
	    psctl_jw_utf8_ok(n->data, n->len)) {
		psctl_jw_key(w, "value");
		psctl_jw_strn(w, n->data, n->len);
	} else if (d && d->kind == PSF_KIND_RECORD &&
		   json_record_fits(n, d)) {
		json_record(w, n, d);
	} else if (d && d->kind == PSF_KIND_LIST &&
		   n->len % (d->item_len ? d->item_len : 1) == 0) {
		json_list(w, n, d);
	} else if (d && d->kind == PSF_KIND_PAD &&
		   psctl_all_zero(n->data, n->len)) {
		psctl_jw_key(w, "bytes");
		psctl_jw_uint(w, n->len);
	} else {
		psctl_jw_key(w, "hex");
		psctl_jw_hex(w, n->data, n->len, NULL);
	}
}

/* Recursive over the tree: its depth is bounded by PSF_MAX_DEPTH. */
static void json_node(struct psctl_jw *w, const struct psf_node *n)
{
	const struct psf_elem_desc *d = psf_schema_lookup(n->sig);
	const struct psf_node *k;
	char sig[16];

	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "element");
	if (d) {
		psctl_jw_str(w, d->name);
	} else {
		snprintf(sig, sizeof sig, "0x%08x", n->sig);
		psctl_jw_str(w, sig);
	}
	if (PSF_SIG_IS_CONTAINER(n->sig)) {
		psctl_jw_key(w, "children");
		psctl_jw_arr(w, 1);
		for (k = n->first; k; k = k->next)
			json_node(w, k);
		psctl_jw_end(w);
	} else {
		json_leaf(w, n, d);
	}
	psctl_jw_end(w);
}

void psctl_export_json(FILE *o, const struct psf_tree *t,
		       unsigned long long generation)
{
	struct psctl_jw w;
	char fmt[16];

	psctl_jw_init(&w, o);
	psctl_jw_obj(&w, 1);
	snprintf(fmt, sizeof fmt, "%u.%u", PSF_FORMAT_MAJOR, t->minor);
	psctl_jw_key(&w, "format");
	psctl_jw_str(&w, fmt);
	psctl_jw_key(&w, "schema");
	psctl_jw_uint(&w, t->schema_version);
	psctl_jw_key(&w, "flags");
	psctl_jw_uint(&w, t->flags);
	psctl_jw_key(&w, "generation");
	psctl_jw_uint(&w, generation);
	psctl_jw_key(&w, "root");
	json_node(&w, t->root);
	psctl_jw_end(&w);
	fputc('\n', o);
}
