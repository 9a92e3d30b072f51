/*
 * psf_tree.h - the hosted layer of the pstate format library: a PSF store
 * as an editable in-memory tree, and its text form.
 *
 * The freestanding core (psf.h) edits a store in place inside one buffer.
 * Tools that run on a full OS (the CLI, the agent, tests) often want
 * something easier: unpack the store into a tree of nodes, change it with
 * ordinary pointer operations, pack it back.  This layer does that with
 * malloc, and adds a lossless text form (psf_text_*), the way dts is to dtb.
 *
 * Lossless is the rule throughout.  Unpack keeps every element, including
 * pads, elements of namespaces the schema does not know, and unknown bytes
 * at the end of records, so pack(unpack(store)) reproduces the store byte
 * for byte, header flags, schema version and format minor included.
 *
 * Every function that can fail returns a negative PSF_ERR_* code (or NULL
 * where it returns a pointer).  An allocation failure is PSF_ERR_NOSPACE.
 * A tree is not thread-safe; distinct trees are independent.
 */
#ifndef PSF_TREE_H
#define PSF_TREE_H

#include <stdio.h>

#include "psf.h"
#include "psf_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Nodes
 *
 * One node per element.  A structure node (sig bit 31 clear) owns its
 * payload; a container node (bit 31 set) has children, in store order.
 * Walk children with
 *
 *	for (c = n->first; c; c = c->next)
 *
 * Fields are readable directly; change links and payloads only through the
 * functions below, which keep nchildren, parent, first/last and prev/next
 * consistent.
 */
struct psf_node {
	uint32_t sig;
	uint32_t len;              /* structure: payload bytes              */
	uint8_t *data;             /* structure: payload (NULL when len 0)  */
	struct psf_node *parent;   /* NULL for a root or a detached node    */
	struct psf_node *first;    /* container: first and last child       */
	struct psf_node *last;
	struct psf_node *prev;     /* siblings                              */
	struct psf_node *next;
	uint32_t nchildren;        /* container: number of children         */
};

/* A detached structure node with a copy of len bytes of data (data NULL:
 * zeros).  NULL if sig is a container signature, len exceeds
 * PSF_MAX_TOTAL, or memory ran out. */
struct psf_node *psf_node_new_struct(uint32_t sig, const void *data,
				     uint32_t len);

/* A detached empty container node; NULL if sig is not a container
 * signature or memory ran out. */
struct psf_node *psf_node_new_container(uint32_t sig);

/* Detach n and free it with its whole subtree.  NULL is a no-op. */
void psf_node_free(struct psf_node *n);

/*
 * Link a detached node (and its subtree) as the last child of parent, or
 * right before the sibling before.  Fails with NOTCONTAINER when the
 * parent is a structure and BADVALUE when child is still linked or would
 * become its own ancestor.  Depth is checked only when packing.
 */
int psf_node_append(struct psf_node *parent, struct psf_node *child);
int psf_node_insert_before(struct psf_node *before, struct psf_node *child);

/* Detach n from its parent, keeping its subtree; the caller now owns it. */
void psf_node_remove(struct psf_node *n);

/* First child of parent with signature sig after the child after (NULL:
 * from the start), or NULL. */
struct psf_node *psf_node_find(const struct psf_node *parent, uint32_t sig,
			       const struct psf_node *after);

/* The child container with signature sig whose PSF_NAME child holds exactly
 * the len bytes of name, or NULL. */
struct psf_node *psf_node_find_named(const struct psf_node *parent,
				     uint32_t sig, const char *name,
				     size_t len);

/* Replace a structure's payload with a copy of len bytes of data (data
 * NULL: zeros).  data may point into the old payload. */
int psf_node_set_payload(struct psf_node *n, const void *data, uint32_t len);

/*
 * String children such as PSF_NAME.  get returns the payload of parent's
 * first child with signature sig and its length in *len (len must not be
 * NULL), or NULL when there is none; the bytes are not NUL-terminated and
 * an empty string is "", not NULL.  set replaces that payload, appending a
 * new child when there is none.
 */
const char *psf_node_get_string(const struct psf_node *parent, uint32_t sig,
				uint32_t *len);
int psf_node_set_string(struct psf_node *parent, uint32_t sig,
			const char *s, size_t len);

/* ---------------------------------------------------------------------------
 * Record fields, by the names of the schema (psf_schema.c): "memory-kib",
 * "power", ...
 *
 * A field not wholly inside the stored payload reads as zero, its default
 * (docs/format.md section 6, rule 2).  Setting a field zero-extends the
 * payload up to the field's end if needed, zeroing too the stray bytes of
 * a field the old length cut short so it still reads as its default; the
 * setters never shrink a payload, so bytes after the field, including any
 * the schema does not know, stay as they are.
 * Field names are NUL-terminated.
 */

/* The descriptor of field name (len bytes) of record sig, or NULL. */
const struct psf_field_desc *psf_record_field(uint32_t sig, const char *name,
					      size_t len);

/*
 * Integer fields (UINT, ENUM, FLAGS).  NOTSTRUCT for a container, BADVALUE
 * when n is not a record the schema knows, when the field is not an integer,
 * or when v does not fit its width; NOTFOUND for an unknown field name.
 */
int psf_node_field_get(const struct psf_node *n, const char *name,
		       uint64_t *v);
int psf_node_field_set(struct psf_node *n, const char *name, uint64_t v);

/* Any field as its raw bytes (UUID, MAC, or an integer in little-endian);
 * size must equal the field's width. */
int psf_node_field_get_bytes(const struct psf_node *n, const char *name,
			     void *dst, size_t size);
int psf_node_field_set_bytes(struct psf_node *n, const char *name,
			     const void *src, size_t size);

/* ---------------------------------------------------------------------------
 * Trees
 */
struct psf_tree {
	uint8_t minor;             /* format minor version (header byte 9)  */
	uint32_t schema_version;
	uint32_t flags;            /* header flags word (psf.h)             */
	struct psf_node *root;     /* the root container                    */
};

/* An empty store: a root container of signature root_sig (normally
 * PSF_ROOT), format minor PSF_FORMAT_MINOR, schema PSF_SCHEMA_VERSION, no
 * flags.  NULL if root_sig is not a container signature or memory ran
 * out. */
struct psf_tree *psf_tree_new(uint32_t root_sig);

/* Free a tree and all its nodes.  NULL is a no-op. */
void psf_tree_free(struct psf_tree *t);

/*
 * Build a tree from the store in buf (size bytes; the store may be shorter
 * than the buffer).  Runs psf_check_full first and fails with its error,
 * storing the offset of the problem in *bad_off (if not NULL).
 */
int psf_tree_unpack(const void *buf, size_t size, struct psf_tree **out,
		    uint32_t *bad_off);

/* 0 when t makes a valid store, else the error psf_tree_pack would fail
 * with (other than NOSPACE): the way to check an edited tree. */
int psf_tree_check(const struct psf_tree *t);

/* Bytes psf_tree_pack will write: the header plus the root element.  0 when
 * psf_tree_check fails. */
size_t psf_tree_packed_size(const struct psf_tree *t);

/*
 * Write the tree as a store into buf, CRCs included.  Returns the store's
 * length, or NOSPACE when cap is too small, TOOLARGE past PSF_MAX_TOTAL,
 * TOODEEP when containers nest deeper than PSF_MAX_DEPTH, BADFLAGS for a
 * must-understand flag this library does not know, BADROOT without a root
 * container.
 */
int psf_tree_pack(const struct psf_tree *t, void *buf, size_t cap);

/* psf_tree_pack into a new malloc'd buffer, returned in *out with its
 * length in *size.  The caller frees *out. */
int psf_tree_pack_alloc(const struct psf_tree *t, void **out, size_t *size);

/* ---------------------------------------------------------------------------
 * Text form (psf_text_dump.c, psf_text_parse.c; syntax in docs/text-format.md)
 *
 * A readable rendering of every byte of a store: parse(dump(tree)) packs to
 * exactly the bytes tree packs to, and dump is canonical, so
 * dump(parse(dump(x))) == dump(x).
 */

/* Write the text form of t to out.  Returns 0, psf_tree_check's error for
 * a tree that makes no valid store, or PSF_ERR_NOSPACE when writing
 * failed. */
int psf_text_dump(const struct psf_tree *t, FILE *out);

/* The text form as a new malloc'd NUL-terminated string (length in *len
 * when len is not NULL).  The caller frees *out. */
int psf_text_dump_alloc(const struct psf_tree *t, char **out, size_t *len);

/* Where and why psf_text_parse failed. */
struct psf_text_error {
	size_t line;               /* 1-based                               */
	size_t column;             /* 1-based, in bytes                     */
	char msg[160];             /* NUL-terminated, names the problem     */
};

/*
 * Parse len bytes of text into a new tree.  On failure returns a negative
 * PSF_ERR_* (BADVALUE for a syntax error, TOODEEP, TOOLARGE, BADVERSION,
 * BADFLAGS, NOSPACE) and, when err is not NULL, fills it in.  The input is
 * untrusted: nesting, sizes and numbers are all bounded.
 */
int psf_text_parse(const char *text, size_t len, struct psf_tree **out,
		   struct psf_text_error *err);

#ifdef __cplusplus
}
#endif

#endif /* PSF_TREE_H */
