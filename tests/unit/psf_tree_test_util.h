/*
 * psf_tree_test_util.h - helpers for the tests of the hosted layer
 * (format/psf_tree.h: test_tree.c, test_text.c).  Header only, every helper
 * static inline; builds on psf_test_util.h (vectors, MANIFEST, psft_walk).
 *
 *   - a small deterministic PRNG (xorshift64), so randomized tests replay;
 *   - pstt_links_ok(): the link invariants of a node tree (parent, prev/next,
 *     first/last, nchildren, payload pointer), checked without recursion;
 *   - pstt_nodes_equal() / pstt_tree_matches_store(): a tree against another
 *     tree, or against the bytes of a packed store read through the core API;
 *   - pstt_foreign_*(): the elements a writer must keep byte for byte (pads,
 *     unknown signatures, other namespaces), each with its position as a
 *     path of child indices, to compare a store before and after an edit;
 *   - pstt_random_tree(): a random tree built with the node API only;
 *   - pack / dump / parse wrappers that return NULL instead of an error.
 *
 * Plain C and POSIX; no cmocka here.  Failing helpers leave a reason in
 * pstt_msg.
 */
#ifndef PSF_TREE_TEST_UTIL_H
#define PSF_TREE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"
#include "psf_test_util.h"

static char pstt_msg[512];

#define PSTT_FAIL(...)                                                   \
	do {                                                             \
		snprintf(pstt_msg, sizeof(pstt_msg), __VA_ARGS__);       \
		return -1;                                               \
	} while (0)

/* ---------------------------------------------------------------- PRNG */

struct pstt_rng {
	uint64_t s;
};

static inline uint32_t pstt_rnd(struct pstt_rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 11);
}

/* Uniform-ish in [0, n); 0 when n is 0. */
static inline uint32_t pstt_rn(struct pstt_rng *r, uint32_t n)
{
	return n ? pstt_rnd(r) % n : 0;
}

/* ---------------------------------------------------------------- files */

static inline const char *pstt_vectors_dir(void)
{
	const char *env = getenv("PSF_VECTORS");

	return env && env[0] ? env : "tests/vectors";
}

/* dir/name.bin in a buffer of exactly its size; NULL if unreadable. */
static inline uint8_t *pstt_load_vector(const char *name, size_t *n)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.bin", pstt_vectors_dir(), name);
	return psft_load(path, n);
}

/* A text file as a NUL-terminated malloc'd string; NULL if unreadable. */
static inline char *pstt_load_text(const char *path, size_t *n)
{
	size_t len = 0;
	uint8_t *b = psft_load(path, &len);
	char *s;

	if (!b)
		return NULL;
	s = malloc(len + 1);
	if (s) {
		memcpy(s, b, len);
		s[len] = '\0';
		*n = len;
	}
	free(b);
	return s;
}

/* ---------------------------------------------------------------- walks */

/* Next node after n in store order inside root's subtree, or NULL; *depth
 * follows the nesting (root 0). */
static inline const struct psf_node *pstt_next(const struct psf_node *n,
					       const struct psf_node *root,
					       int *depth)
{
	if (n->first) {
		(*depth)++;
		return n->first;
	}
	while (n != root) {
		if (n->next)
			return n->next;
		n = n->parent;
		(*depth)--;
	}
	return NULL;
}

/*
 * Every link of the subtree at root agrees: each container's children
 * point back at it, prev/next are mirror images, first/last are the ends,
 * nchildren is the number of children; structures have no children and a
 * payload pointer exactly when len > 0.  Counts the nodes in *count (when
 * not NULL).  Iterative: works on a chain of any depth.
 */
static inline int pstt_links_ok(const struct psf_node *root, size_t *count)
{
	const struct psf_node *n;
	size_t nodes = 0;
	int depth = 0;

	if (root->prev && root->prev->next != root)
		PSTT_FAIL("root's prev does not point back");
	for (n = root; n; n = pstt_next(n, root, &depth)) {
		nodes++;
		if (PSF_SIG_IS_CONTAINER(n->sig)) {
			const struct psf_node *c, *prev = NULL;
			uint32_t k = 0;

			if (n->len || n->data)
				PSTT_FAIL("container %08x has a payload",
					  (unsigned)n->sig);
			if ((n->first == NULL) != (n->last == NULL))
				PSTT_FAIL("container %08x: first %p last %p",
					  (unsigned)n->sig, (void *)n->first,
					  (void *)n->last);
			for (c = n->first; c; prev = c, c = c->next) {
				if (c->parent != n)
					PSTT_FAIL("child %u of %08x: parent %p",
						  k, (unsigned)n->sig,
						  (void *)c->parent);
				if (c->prev != prev)
					PSTT_FAIL("child %u of %08x: prev wrong",
						  k, (unsigned)n->sig);
				if (++k > n->nchildren)
					PSTT_FAIL("container %08x: more than "
						  "%u children",
						  (unsigned)n->sig,
						  n->nchildren);
			}
			if (n->last != prev)
				PSTT_FAIL("container %08x: last is not the "
					  "last child", (unsigned)n->sig);
			if (k != n->nchildren)
				PSTT_FAIL("container %08x: %u children, "
					  "nchildren %u", (unsigned)n->sig, k,
					  n->nchildren);
		} else {
			if (n->first || n->last || n->nchildren)
				PSTT_FAIL("structure %08x has children",
					  (unsigned)n->sig);
			if ((n->len == 0) != (n->data == NULL))
				PSTT_FAIL("structure %08x: len %u data %p",
					  (unsigned)n->sig, n->len,
					  (void *)n->data);
		}
	}
	if (count)
		*count = nodes;
	return 0;
}

/* Same shape, signatures and payloads. */
static inline int pstt_nodes_equal(const struct psf_node *a,
				   const struct psf_node *b)
{
	const struct psf_node *ra = a, *rb = b;
	int da = 0, db = 0;
	size_t k = 0;

	while (a && b) {
		if (a->sig != b->sig || a->len != b->len ||
		    a->nchildren != b->nchildren || da != db)
			PSTT_FAIL("node %zu differs: sig %08x/%08x len %u/%u "
				  "children %u/%u depth %d/%d", k,
				  (unsigned)a->sig, (unsigned)b->sig, a->len,
				  b->len, a->nchildren, b->nchildren, da, db);
		if (a->len && memcmp(a->data, b->data, a->len) != 0)
			PSTT_FAIL("node %zu (%08x): payloads differ", k,
				  (unsigned)a->sig);
		a = pstt_next(a, ra, &da);
		b = pstt_next(b, rb, &db);
		k++;
	}
	if (a || b)
		PSTT_FAIL("trees have different sizes (%zu nodes matched)", k);
	return 0;
}

static inline int pstt_match_elem(const uint8_t *buf, int off,
				  const struct psf_node *n, int depth)
{
	struct psf_elem e;
	const struct psf_node *c;
	int child;
	uint32_t k = 0;

	if (depth > (int)PSF_MAX_DEPTH + 1)
		PSTT_FAIL("too deep at %d", off);
	if (psf_elem(buf, off, &e) != PSF_OK)
		PSTT_FAIL("psf_elem(%d) failed", off);
	if (e.sig != n->sig)
		PSTT_FAIL("%d: sig %08x, node %08x", off, (unsigned)e.sig,
			  (unsigned)n->sig);
	if (!PSF_SIG_IS_CONTAINER(e.sig)) {
		if (e.count != n->len ||
		    (n->len && memcmp(buf + e.data, n->data, n->len) != 0))
			PSTT_FAIL("%d (%08x): payload differs", off,
				  (unsigned)e.sig);
		return 0;
	}
	if (e.count != n->nchildren)
		PSTT_FAIL("%d (%08x): count %u, node has %u", off,
			  (unsigned)e.sig, e.count, n->nchildren);
	for (child = psf_first_child_raw(buf, off), c = n->first;
	     child >= 0 && c;
	     child = psf_next_child_raw(buf, off, child), c = c->next, k++)
		if (pstt_match_elem(buf, child, c, depth + 1))
			return -1;
	if (child >= 0 || c)
		PSTT_FAIL("%d (%08x): children differ after %u", off,
			  (unsigned)e.sig, k);
	return 0;
}

/* The tree and the store in buf (valid) say the same thing, header
 * included. */
static inline int pstt_tree_matches_store(const struct psf_tree *t,
					  const uint8_t *buf)
{
	if (buf[PSF_HDR_MINOR] != t->minor)
		PSTT_FAIL("minor %u, tree %u", buf[PSF_HDR_MINOR], t->minor);
	if (psf_schema_version(buf) != t->schema_version)
		PSTT_FAIL("schema %u, tree %u",
			  (unsigned)psf_schema_version(buf),
			  (unsigned)t->schema_version);
	if (psf_flags(buf) != t->flags)
		PSTT_FAIL("flags %08x, tree %08x", (unsigned)psf_flags(buf),
			  (unsigned)t->flags);
	return pstt_match_elem(buf, psf_root(buf), t->root, 1);
}

/* ---------------------------------------------------------------- foreign */

/* An element a writer must keep byte for byte. */
static inline int pstt_is_foreign(uint32_t sig)
{
	return sig == PSF_PAD || PSF_SIG_NS(sig) != PSF_NS_CORE ||
	       psf_schema_lookup(sig) == NULL;
}

struct pstt_foreign {
	char path[96];      /* child indices from the root: "/0/3/1" */
	uint32_t sig;
	size_t len;         /* bytes of the whole element */
	uint8_t *bytes;     /* a copy */
};

struct pstt_foreign_list {
	struct pstt_foreign *v;
	size_t n, cap;
};

static inline int pstt_foreign_walk(const uint8_t *buf, int off,
				    const char *path,
				    struct pstt_foreign_list *l)
{
	int child, k = 0;

	for (child = psf_first_child_raw(buf, off); child >= 0;
	     child = psf_next_child_raw(buf, off, child), k++) {
		struct psf_elem e;
		char p[96];

		if (psf_elem(buf, child, &e) != PSF_OK)
			PSTT_FAIL("psf_elem(%d) failed", child);
		snprintf(p, sizeof(p), "%s/%d", path, k);
		if (pstt_is_foreign(e.sig)) {
			struct pstt_foreign *f;

			if (l->n == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 16;
				struct pstt_foreign *nv =
					realloc(l->v, cap * sizeof(*nv));

				if (!nv)
					PSTT_FAIL("out of memory");
				l->v = nv;
				l->cap = cap;
			}
			f = &l->v[l->n++];
			memset(f, 0, sizeof(*f));
			snprintf(f->path, sizeof(f->path), "%s", p);
			f->sig = e.sig;
			f->len = e.end - (uint32_t)child;
			f->bytes = malloc(f->len);
			if (!f->bytes)
				PSTT_FAIL("out of memory");
			memcpy(f->bytes, buf + child, f->len);
		} else if (PSF_SIG_IS_CONTAINER(e.sig)) {
			if (pstt_foreign_walk(buf, child, p, l))
				return -1;
		}
	}
	return 0;
}

static inline void pstt_foreign_free(struct pstt_foreign_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].bytes);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The foreign elements of a valid store, in store order (a foreign
 * container is one entry: its whole subtree). */
static inline int pstt_foreign_list(const uint8_t *buf,
				    struct pstt_foreign_list *l)
{
	memset(l, 0, sizeof(*l));
	if (pstt_foreign_walk(buf, psf_root(buf), "", l)) {
		pstt_foreign_free(l);
		return -1;
	}
	return 0;
}

/* Same foreign elements, same positions, same bytes. */
static inline int pstt_foreign_same(const struct pstt_foreign_list *a,
				    const struct pstt_foreign_list *b)
{
	size_t i;

	if (a->n != b->n)
		PSTT_FAIL("%zu foreign elements before, %zu after", a->n, b->n);
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].path, b->v[i].path) != 0)
			PSTT_FAIL("foreign element %zu (%08x) moved: %s -> %s",
				  i, (unsigned)a->v[i].sig, a->v[i].path,
				  b->v[i].path);
		if (a->v[i].len != b->v[i].len ||
		    memcmp(a->v[i].bytes, b->v[i].bytes, a->v[i].len) != 0)
			PSTT_FAIL("foreign element %zu (%08x) at %s changed",
				  i, (unsigned)a->v[i].sig, a->v[i].path);
	}
	return 0;
}

/* ---------------------------------------------------------------- wrappers */

/* psf_tree_pack_alloc, or NULL (reason in pstt_msg). */
static inline uint8_t *pstt_pack(const struct psf_tree *t, size_t *size)
{
	void *out = NULL;
	int rc = psf_tree_pack_alloc(t, &out, size);

	if (rc < 0) {
		snprintf(pstt_msg, sizeof(pstt_msg), "pack: %s",
			 psft_errname(rc));
		return NULL;
	}
	return out;
}

/* psf_text_dump_alloc, or NULL. */
static inline char *pstt_dump(const struct psf_tree *t, size_t *len)
{
	char *out = NULL;
	size_t n = 0;
	int rc = psf_text_dump_alloc(t, &out, &n);

	if (rc < 0) {
		snprintf(pstt_msg, sizeof(pstt_msg), "dump: %s",
			 psft_errname(rc));
		return NULL;
	}
	if (len)
		*len = n;
	return out;
}

/* psf_text_parse of a NUL-terminated text, or NULL (error in pstt_msg). */
static inline struct psf_tree *pstt_parse(const char *text)
{
	struct psf_tree *t = NULL;
	struct psf_text_error e;
	int rc = psf_text_parse(text, strlen(text), &t, &e);

	if (rc < 0) {
		snprintf(pstt_msg, sizeof(pstt_msg), "parse: %s at %zu:%zu: %s",
			 psft_errname(rc), e.line, e.column, e.msg);
		return NULL;
	}
	return t;
}

/* The n-th child of a container (0-based), or NULL. */
static inline struct psf_node *pstt_child(const struct psf_node *p,
					  uint32_t n)
{
	struct psf_node *c = p->first;

	while (c && n--)
		c = c->next;
	return c;
}

/* ---------------------------------------------------------------- random */

/* Payload bytes: mode 0 zeros, 1 random, 2 text-like (UTF-8, escapes,
 * invalid sequences), 3 small values (plausible enums). */
static inline void pstt_rand_bytes(struct pstt_rng *r, uint8_t *p, uint32_t n,
				   int mode)
{
	static const char *const pieces[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\"", "\\",
		"\n", "\t", "\r", "a", " ", "#", "\x7f", "\xff", "\xc0\x80",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80", "\x00", "\xc2",
	};
	uint32_t i = 0;

	if (mode == 0) {
		memset(p, 0, n);
		return;
	}
	while (i < n) {
		if (mode == 2 && pstt_rn(r, 2)) {
			const char *s = pieces[pstt_rn(r, sizeof(pieces) /
						       sizeof(pieces[0]))];
			size_t l = s[0] ? strlen(s) : 1;

			if (l <= n - i) {
				memcpy(p + i, s, l);
				i += (uint32_t)l;
				continue;
			}
		}
		p[i++] = mode == 3 ? (uint8_t)pstt_rn(r, 6)
				   : (uint8_t)pstt_rnd(r);
	}
}

static inline uint32_t pstt_record_size(const struct psf_elem_desc *d)
{
	uint32_t s = 0;
	unsigned i;

	for (i = 0; i < d->nfields; i++)
		if ((uint32_t)d->fields[i].off + d->fields[i].width > s)
			s = (uint32_t)d->fields[i].off + d->fields[i].width;
	return s;
}

static inline const struct psf_elem_desc *
pstt_rand_desc(struct pstt_rng *r, int containers)
{
	size_t n;
	const struct psf_elem_desc *all = psf_schema_all(&n);
	const struct psf_elem_desc *d;

	do
		d = &all[pstt_rn(r, (uint32_t)n)];
	while ((d->kind == PSF_KIND_CONTAINER) != (containers != 0));
	return d;
}

static inline uint32_t pstt_rand_container_sig(struct pstt_rng *r)
{
	if (pstt_rn(r, 3))
		return pstt_rand_desc(r, 1)->sig;
	return PSF_SIG_CONTAINER | pstt_rnd(r);
}

/* A random detached structure node: schema elements with plausible and
 * implausible payloads (short, cut and long records, ragged lists, dirty
 * pads), and unknown signatures. */
static inline struct psf_node *pstt_rand_struct(struct pstt_rng *r)
{
	uint8_t buf[160];
	const struct psf_elem_desc *d = NULL;
	uint32_t sig, len;
	int mode = 1;

	if (pstt_rn(r, 10) < 6) {
		d = pstt_rand_desc(r, 0);
		sig = d->sig;
	} else if (pstt_rn(r, 2)) {
		sig = PSF_SIG(0, pstt_rn(r, 4), pstt_rn(r, 0x300));
	} else {
		sig = pstt_rnd(r) & 0x7fffffffu;
	}
	if (d && d->kind == PSF_KIND_RECORD) {
		uint32_t k = pstt_record_size(d);

		len = pstt_rn(r, 3) ? k : pstt_rn(r, k + 8);
		mode = 3;
	} else if (d && d->kind == PSF_KIND_LIST) {
		len = pstt_rn(r, 3) ? d->item_len * pstt_rn(r, 4)
				    : pstt_rn(r, 40);
		mode = d->sig == PSF_BOOT_ORDER ? 3 : 1;
	} else if (d && d->kind == PSF_KIND_STRING) {
		len = pstt_rn(r, 30);
		mode = 2;
	} else if (d && d->kind == PSF_KIND_PAD) {
		len = pstt_rn(r, 40);
		mode = pstt_rn(r, 3) ? 0 : 1;
	} else {
		len = pstt_rn(r, 3) ? pstt_rn(r, 20) : pstt_rn(r, sizeof(buf));
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	pstt_rand_bytes(r, buf, len, mode);
	return psf_node_new_struct(sig, buf, len);
}

/*
 * A random tree of about nodes elements (plus the root), built with
 * psf_node_append and psf_node_insert_before at random places, containers
 * at most PSF_MAX_DEPTH deep, random header fields (may-ignore flags
 * only).  NULL when a node call failed (reason in pstt_msg).
 */
static inline struct psf_tree *pstt_random_tree(struct pstt_rng *r,
						unsigned nodes)
{
	struct psf_node *cont[512];
	unsigned depth[512], ncont = 1, i;
	struct psf_tree *t = psf_tree_new(pstt_rn(r, 4) ? PSF_ROOT :
					  pstt_rand_container_sig(r));

	if (!t) {
		snprintf(pstt_msg, sizeof(pstt_msg), "psf_tree_new failed");
		return NULL;
	}
	t->minor = pstt_rn(r, 2) ? 0 : (uint8_t)pstt_rnd(r);
	t->schema_version = pstt_rn(r, 3) ? PSF_SCHEMA_VERSION : pstt_rnd(r);
	t->flags = pstt_rn(r, 2) ? 0 : pstt_rnd(r) & 0xffff0000u;
	cont[0] = t->root;
	depth[0] = 1;
	/* Sometimes a chain to the maximum depth first. */
	if (pstt_rn(r, 6) == 0) {
		while (depth[ncont - 1] < PSF_MAX_DEPTH) {
			struct psf_node *c =
				psf_node_new_container(pstt_rand_container_sig(r));

			if (!c || psf_node_append(cont[ncont - 1], c) != PSF_OK) {
				psf_node_free(c);
				psf_tree_free(t);
				snprintf(pstt_msg, sizeof(pstt_msg),
					 "chain append failed");
				return NULL;
			}
			cont[ncont] = c;
			depth[ncont] = depth[ncont - 1] + 1;
			ncont++;
		}
	}
	for (i = 0; i < nodes; i++) {
		unsigned pi = pstt_rn(r, ncont);
		struct psf_node *parent = cont[pi], *n, *before = NULL;
		int is_cont = depth[pi] < PSF_MAX_DEPTH &&
			      ncont < sizeof(cont) / sizeof(cont[0]) &&
			      pstt_rn(r, 4) == 0;
		int rc;

		n = is_cont ? psf_node_new_container(pstt_rand_container_sig(r))
			    : pstt_rand_struct(r);
		if (!n) {
			psf_tree_free(t);
			snprintf(pstt_msg, sizeof(pstt_msg), "node_new failed");
			return NULL;
		}
		if (parent->nchildren && pstt_rn(r, 3) == 0)
			before = pstt_child(parent,
					    pstt_rn(r, parent->nchildren));
		rc = before ? psf_node_insert_before(before, n)
			    : psf_node_append(parent, n);
		if (rc != PSF_OK) {
			psf_node_free(n);
			psf_tree_free(t);
			snprintf(pstt_msg, sizeof(pstt_msg), "link failed: %d",
				 rc);
			return NULL;
		}
		if (is_cont) {
			cont[ncont] = n;
			depth[ncont] = depth[pi] + 1;
			ncont++;
		}
	}
	return t;
}

#endif /* PSF_TREE_TEST_UTIL_H */
