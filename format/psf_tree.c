/*
 * psf_tree.c - a PSF store as an editable tree of malloc'd nodes.
 *
 * Every walk here is iterative, following the parent pointers, so a tree
 * built by hand to any depth is still freed and measured without deep
 * recursion; PSF_MAX_DEPTH is enforced when packing.
 */
#include <stdlib.h>
#include <string.h>

#include "psf_tree.h"

/* ---------------------------------------------------------------------------
 * Nodes
 */

struct psf_node *psf_node_new_struct(uint32_t sig, const void *data,
				     uint32_t len)
{
	struct psf_node *n;

	if (PSF_SIG_IS_CONTAINER(sig) || len > PSF_MAX_TOTAL)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->sig = sig;
	if (psf_node_set_payload(n, data, len) < 0) {
		free(n);
		return NULL;
	}
	return n;
}

struct psf_node *psf_node_new_container(uint32_t sig)
{
	struct psf_node *n;

	if (!PSF_SIG_IS_CONTAINER(sig))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (n)
		n->sig = sig;
	return n;
}

/* Free a detached subtree leaf first: descend to the leftmost leaf, free it,
 * and let its next sibling (or, when it was the last, its parent) take its
 * place, until the subtree root itself is a leaf. */
void psf_node_free(struct psf_node *n)
{
	struct psf_node *cur = n;

	if (!n)
		return;
	psf_node_remove(n);
	for (;;) {
		struct psf_node *parent;

		while (cur->first)
			cur = cur->first;
		if (cur == n)
			break;
		parent = cur->parent;
		parent->first = cur->next;
		free(cur->data);
		free(cur);
		cur = parent->first ? parent->first : parent;
	}
	free(n->data);
	free(n);
}

/* child must be detached and must not be parent or one of its ancestors.
 * Only a node with children can be a proper ancestor, so building a tree
 * leaf by leaf never pays for the walk up. */
static int check_link(const struct psf_node *parent,
		      const struct psf_node *child)
{
	const struct psf_node *a = parent;

	if (!parent || !child)
		return PSF_ERR_BADVALUE;
	if (!PSF_SIG_IS_CONTAINER(parent->sig))
		return PSF_ERR_NOTCONTAINER;
	if (child->parent || child == parent)
		return PSF_ERR_BADVALUE;
	while (child->first && a) {
		if (a == child)
			return PSF_ERR_BADVALUE;
		a = a->parent;
	}
	return PSF_OK;
}

int psf_node_insert_before(struct psf_node *before, struct psf_node *child)
{
	struct psf_node *parent = before ? before->parent : NULL;
	int rc = check_link(parent, child);

	if (rc < 0)
		return rc;
	child->parent = parent;
	child->next = before;
	child->prev = before->prev;
	if (before->prev)
		before->prev->next = child;
	else
		parent->first = child;
	before->prev = child;
	parent->nchildren++;
	return PSF_OK;
}

int psf_node_append(struct psf_node *parent, struct psf_node *child)
{
	int rc = check_link(parent, child);

	if (rc < 0)
		return rc;
	child->parent = parent;
	child->prev = parent->last;
	child->next = NULL;
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
	parent->nchildren++;
	return PSF_OK;
}

void psf_node_remove(struct psf_node *n)
{
	struct psf_node *parent = n->parent;

	if (!parent)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		parent->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		parent->last = n->prev;
	parent->nchildren--;
	n->parent = n->prev = n->next = NULL;
}

struct psf_node *psf_node_find(const struct psf_node *parent, uint32_t sig,
			       const struct psf_node *after)
{
	struct psf_node *c = after ? after->next : parent->first;

	while (c && c->sig != sig)
		c = c->next;
	return c;
}

struct psf_node *psf_node_find_named(const struct psf_node *parent,
				     uint32_t sig, const char *name,
				     size_t len)
{
	struct psf_node *c;

	for (c = psf_node_find(parent, sig, NULL); c;
	     c = psf_node_find(parent, sig, c)) {
		uint32_t nlen;
		const char *s = psf_node_get_string(c, PSF_NAME, &nlen);

		if (s && nlen == len && (!len || memcmp(s, name, len) == 0))
			return c;
	}
	return NULL;
}

int psf_node_set_payload(struct psf_node *n, const void *data, uint32_t len)
{
	uint8_t *p = NULL;

	if (PSF_SIG_IS_CONTAINER(n->sig))
		return PSF_ERR_NOTSTRUCT;
	if (len > PSF_MAX_TOTAL)
		return PSF_ERR_TOOLARGE;
	if (len) {
		/* A fresh buffer, not realloc: data may alias the old one. */
		p = malloc(len);
		if (!p)
			return PSF_ERR_NOSPACE;
		if (data)
			memcpy(p, data, len);
		else
			memset(p, 0, len);
	}
	free(n->data);
	n->data = p;
	n->len = len;
	return PSF_OK;
}

const char *psf_node_get_string(const struct psf_node *parent, uint32_t sig,
				uint32_t *len)
{
	const struct psf_node *c = psf_node_find(parent, sig, NULL);

	if (!c || PSF_SIG_IS_CONTAINER(sig))
		return NULL;
	*len = c->len;
	/* An empty string is still present: never NULL for a found child. */
	return c->data ? (const char *)c->data : "";
}

int psf_node_set_string(struct psf_node *parent, uint32_t sig,
			const char *s, size_t len)
{
	struct psf_node *c;
	int rc;

	if (PSF_SIG_IS_CONTAINER(sig))
		return PSF_ERR_NOTSTRUCT;
	if (!PSF_SIG_IS_CONTAINER(parent->sig))
		return PSF_ERR_NOTCONTAINER;
	if (len > PSF_MAX_TOTAL)
		return PSF_ERR_TOOLARGE;
	c = psf_node_find(parent, sig, NULL);
	if (c)
		return psf_node_set_payload(c, s, (uint32_t)len);
	c = psf_node_new_struct(sig, s, (uint32_t)len);
	if (!c)
		return PSF_ERR_NOSPACE;
	rc = psf_node_append(parent, c);
	if (rc < 0)
		psf_node_free(c);
	return rc;
}

/* ---------------------------------------------------------------------------
 * Record fields
 */

const struct psf_field_desc *psf_record_field(uint32_t sig, const char *name,
					      size_t len)
{
	const struct psf_elem_desc *d = psf_schema_lookup(sig);
	unsigned i;

	if (!d || d->kind != PSF_KIND_RECORD)
		return NULL;
	for (i = 0; i < d->nfields; i++)
		if (strlen(d->fields[i].name) == len &&
		    memcmp(d->fields[i].name, name, len) == 0)
			return &d->fields[i];
	return NULL;
}

/* The field of record node n called name, or an error. */
static int node_field(const struct psf_node *n, const char *name,
		      const struct psf_field_desc **f)
{
	const struct psf_elem_desc *d;

	if (PSF_SIG_IS_CONTAINER(n->sig))
		return PSF_ERR_NOTSTRUCT;
	d = psf_schema_lookup(n->sig);
	if (!d || d->kind != PSF_KIND_RECORD)
		return PSF_ERR_BADVALUE;
	*f = psf_record_field(n->sig, name, strlen(name));
	return *f ? PSF_OK : PSF_ERR_NOTFOUND;
}

static int is_integer(const struct psf_field_desc *f)
{
	return f->type == PSF_FT_UINT || f->type == PSF_FT_ENUM ||
	       f->type == PSF_FT_FLAGS;
}

/* The field's bytes as stored, or its default (zero) when the payload
 * does not hold the whole field (docs/format.md section 6, rule 2). */
static void read_field(const struct psf_node *n,
		       const struct psf_field_desc *f, uint8_t *dst)
{
	psf_field_bytes(n->data, n->len, f->off, dst, f->width);
}

/* Store width bytes at the field, growing the payload first if needed. */
static int write_field(struct psf_node *n, const struct psf_field_desc *f,
		       const uint8_t *src)
{
	uint32_t end = (uint32_t)f->off + f->width;

	if (n->len < end) {
		const struct psf_elem_desc *d = psf_schema_lookup(n->sig);
		uint32_t keep = n->len;
		uint8_t *p;
		unsigned i;

		/* A field the old length cut short read as its default, zero
		 * (docs/format.md 6.2); growing the record past it must not
		 * make its stray bytes count, so they are zeroed too. */
		for (i = 0; d && i < d->nfields; i++) {
			const struct psf_field_desc *g = &d->fields[i];

			if (g->off < keep && (uint32_t)g->off + g->width > keep)
				keep = g->off;
		}
		p = realloc(n->data, end);
		if (!p)
			return PSF_ERR_NOSPACE;
		memset(p + keep, 0, end - keep);
		n->data = p;
		n->len = end;
	}
	memcpy(n->data + f->off, src, f->width);
	return PSF_OK;
}

int psf_node_field_get_bytes(const struct psf_node *n, const char *name,
			     void *dst, size_t size)
{
	const struct psf_field_desc *f;
	int rc = node_field(n, name, &f);

	if (rc < 0)
		return rc;
	if (size != f->width)
		return PSF_ERR_BADVALUE;
	read_field(n, f, dst);
	return PSF_OK;
}

int psf_node_field_set_bytes(struct psf_node *n, const char *name,
			     const void *src, size_t size)
{
	const struct psf_field_desc *f;
	int rc = node_field(n, name, &f);

	if (rc < 0)
		return rc;
	if (size != f->width)
		return PSF_ERR_BADVALUE;
	return write_field(n, f, src);
}

int psf_node_field_get(const struct psf_node *n, const char *name,
		       uint64_t *v)
{
	const struct psf_field_desc *f;
	uint8_t b[8];
	int rc = node_field(n, name, &f);

	if (rc < 0)
		return rc;
	if (!is_integer(f) || f->width > sizeof(b))
		return PSF_ERR_BADVALUE;
	read_field(n, f, b);
	*v = psf_field_uint(b, f->width, 0, f->width);
	return PSF_OK;
}

int psf_node_field_set(struct psf_node *n, const char *name, uint64_t v)
{
	const struct psf_field_desc *f;
	uint8_t b[8];
	int rc = node_field(n, name, &f);

	if (rc < 0)
		return rc;
	if (!is_integer(f) || f->width > sizeof(b))
		return PSF_ERR_BADVALUE;
	if (f->width < 8 && v >> (8 * f->width))
		return PSF_ERR_BADVALUE;
	psf_put_le64(b, v);
	return write_field(n, f, b);
}

/* ---------------------------------------------------------------------------
 * Trees
 */

struct psf_tree *psf_tree_new(uint32_t root_sig)
{
	struct psf_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->minor = PSF_FORMAT_MINOR;
	t->schema_version = PSF_SCHEMA_VERSION;
	t->root = psf_node_new_container(root_sig);
	if (!t->root) {
		free(t);
		return NULL;
	}
	return t;
}

void psf_tree_free(struct psf_tree *t)
{
	if (!t)
		return;
	psf_node_free(t->root);
	free(t);
}

/* A node for the element e of a validated store. */
static struct psf_node *node_from_elem(const uint8_t *buf,
				       const struct psf_elem *e)
{
	if (PSF_SIG_IS_CONTAINER(e->sig))
		return psf_node_new_container(e->sig);
	return psf_node_new_struct(e->sig, buf + e->data, e->count);
}

/*
 * One pass over the body in store order.  end[] holds the end offsets of the
 * open containers; psf_check_full bounded their number by PSF_MAX_DEPTH and
 * made every child lie inside its parent, so off always lands on an element.
 */
static int unpack_body(const uint8_t *buf, struct psf_tree *t)
{
	uint32_t end[PSF_MAX_DEPTH];
	uint32_t depth = 0, off = PSF_HEADER_SIZE;
	struct psf_node *parent = NULL;

	for (;;) {
		struct psf_elem e;
		struct psf_node *n;
		int rc;

		while (depth > 0 && off >= end[depth - 1]) {
			parent = parent->parent;
			depth--;
		}
		if (depth == 0 && t->root)
			return PSF_OK;
		rc = psf_elem(buf, (int)off, &e);
		if (rc < 0)
			return rc;
		n = node_from_elem(buf, &e);
		if (!n)
			return PSF_ERR_NOSPACE;
		if (parent)
			psf_node_append(parent, n);
		else
			t->root = n;
		if (!PSF_SIG_IS_CONTAINER(e.sig)) {
			off = e.end;
			continue;
		}
		if (depth == PSF_MAX_DEPTH)
			return PSF_ERR_TOODEEP;
		end[depth++] = e.end;
		parent = n;
		off = e.data;
	}
}

int psf_tree_unpack(const void *buf, size_t size, struct psf_tree **out,
		    uint32_t *bad_off)
{
	const uint8_t *b = (const uint8_t *)buf;
	struct psf_tree *t;
	int rc = psf_check_full(buf, size, bad_off);

	if (rc < 0)
		return rc;
	t = calloc(1, sizeof(*t));
	if (!t)
		return PSF_ERR_NOSPACE;
	t->minor = b[PSF_HDR_MINOR];
	t->schema_version = psf_schema_version(b);
	t->flags = psf_flags(b);
	rc = unpack_body(b, t);
	if (rc < 0) {
		psf_tree_free(t);
		return rc;
	}
	*out = t;
	return PSF_OK;
}

/* Next node in store order within root's subtree, or NULL; *depth follows
 * the container nesting. */
static const struct psf_node *walk_next(const struct psf_node *n,
					const struct psf_node *root,
					uint32_t *depth)
{
	if (n->first) {
		(*depth)++;
		return n->first;
	}
	for (; n != root; n = n->parent, (*depth)--)
		if (n->next)
			return n->next;
	return NULL;
}

/* Check that t can be packed and compute its packed size. */
static int measure(const struct psf_tree *t, size_t *size)
{
	const struct psf_node *n = t ? t->root : NULL;
	size_t total = PSF_HEADER_SIZE;
	uint32_t depth = 1;

	if (!n || !PSF_SIG_IS_CONTAINER(n->sig))
		return PSF_ERR_BADROOT;
	if (t->flags & PSF_FLAGS_INCOMPAT_MASK & ~PSF_FLAGS_KNOWN)
		return PSF_ERR_BADFLAGS;
	for (; n; n = walk_next(n, t->root, &depth)) {
		size_t need = PSF_CONTAINER_HDR;

		if (PSF_SIG_IS_CONTAINER(n->sig)) {
			if (depth > PSF_MAX_DEPTH)
				return PSF_ERR_TOODEEP;
		} else {
			if (n->first)
				return PSF_ERR_BADVALUE;
			need = (size_t)PSF_STRUCT_HDR + n->len;
		}
		if (need > PSF_MAX_TOTAL - total)
			return PSF_ERR_TOOLARGE;
		total += need;
	}
	*size = total;
	return PSF_OK;
}

int psf_tree_check(const struct psf_tree *t)
{
	size_t size;

	return measure(t, &size);
}

size_t psf_tree_packed_size(const struct psf_tree *t)
{
	size_t size;

	return measure(t, &size) < 0 ? 0 : size;
}

static void close_container(uint8_t *buf, uint32_t start, uint32_t pos)
{
	psf_put_le32(buf + start + 8, pos - start - PSF_CONTAINER_HDR);
}

/*
 * Write the elements front to back.  A container's size is known only after
 * its children, so its header is patched when the walk leaves it; open[]
 * holds the offsets of the containers being written.  measure() checked the
 * depth and that everything fits.
 */
static uint32_t pack_body(const struct psf_node *root, uint8_t *buf)
{
	uint32_t open[PSF_MAX_DEPTH];
	uint32_t depth = 0, pos = PSF_HEADER_SIZE;
	const struct psf_node *n = root;

	for (;;) {
		psf_put_le32(buf + pos, n->sig);
		if (PSF_SIG_IS_CONTAINER(n->sig)) {
			psf_put_le32(buf + pos + 4, n->nchildren);
			open[depth++] = pos;
			pos += PSF_CONTAINER_HDR;
			if (n->first) {
				n = n->first;
				continue;
			}
			close_container(buf, open[--depth], pos);
		} else {
			psf_put_le32(buf + pos + 4, n->len);
			if (n->len)
				memcpy(buf + pos + PSF_STRUCT_HDR, n->data, n->len);
			pos += PSF_STRUCT_HDR + n->len;
		}
		while (n != root && !n->next) {
			n = n->parent;
			close_container(buf, open[--depth], pos);
		}
		if (n == root)
			return pos;
		n = n->next;
	}
}

int psf_tree_pack(const struct psf_tree *t, void *buf, size_t cap)
{
	uint8_t *b = (uint8_t *)buf;
	size_t size;
	int rc = measure(t, &size);

	if (rc < 0)
		return rc;
	if (size > cap)
		return PSF_ERR_NOSPACE;
	memset(b, 0, PSF_HEADER_SIZE);
	memcpy(b + PSF_HDR_MAGIC, PSF_MAGIC, PSF_MAGIC_LEN);
	b[PSF_HDR_MAJOR] = PSF_FORMAT_MAJOR;
	b[PSF_HDR_MINOR] = t->minor;
	psf_put_le16(b + PSF_HDR_HEADER_SIZE, PSF_HEADER_SIZE);
	psf_put_le32(b + PSF_HDR_SCHEMA, t->schema_version);
	psf_put_le32(b + PSF_HDR_TOTAL, (uint32_t)size);
	psf_put_le32(b + PSF_HDR_FLAGS, t->flags);
	pack_body(t->root, b);
	rc = psf_finish(b);
	return rc < 0 ? rc : (int)size;
}

int psf_tree_pack_alloc(const struct psf_tree *t, void **out, size_t *size)
{
	size_t need;
	void *buf;
	int rc = measure(t, &need);

	if (rc < 0)
		return rc;
	buf = malloc(need);
	if (!buf)
		return PSF_ERR_NOSPACE;
	rc = psf_tree_pack(t, buf, need);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*size = need;
	return PSF_OK;
}
