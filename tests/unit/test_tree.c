/*
 * test_tree.c - every function of format/psf_tree.h except the text form
 * (test_text.c): nodes, links, strings, record fields, trees, unpack, pack.
 *
 * Besides one test per function (normal use, every documented refusal), the
 * property tests:
 *   - every valid golden vector unpacks and packs back to its exact bytes;
 *     every invalid one fails unpack with psf_check_full's code and offset;
 *   - elements a writer does not understand (pads, unknown namespaces,
 *     unknown trailing record bytes) survive unpack -> edit of known
 *     elements -> pack byte for byte, in the same order and position;
 *   - randomized trees (fixed seeds) built with the node API pack to valid
 *     stores that unpack to the same tree; a random sequence of link edits
 *     keeps every link consistent;
 *   - setting one record field never changes what the other fields read.
 * Meant to run under ASan + UBSan (leaks fail the binary at exit).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"
#include "psf_test_util.h"
#include "psf_tree_test_util.h"

#define OK(x) assert_int_equal((x), PSF_OK)
#define LINKS_OK(n)                                                      \
	do {                                                             \
		if (pstt_links_ok((n), NULL))                            \
			fail_msg("line %d: links: %s", __LINE__, pstt_msg); \
	} while (0)

#define VENDOR_S(id) PSF_SIG(0, 0x0123, (id))
#define VENDOR_C(id) PSF_SIG(1, 0x0123, (id))
#define SITE_S(id) PSF_SIG(0, 0x7000, (id))
#define SITE_C(id) PSF_SIG(1, 0x7000, (id))

/* ------------------------------------------------------------- helpers */

static struct psft_vector *vecs;
static int nvecs;

static uint8_t *must_load(const char *name, size_t *n)
{
	uint8_t *b = pstt_load_vector(name, n);

	if (!b)
		fail_msg("cannot read vector %s from %s", name,
			 pstt_vectors_dir());
	return b;
}

static struct psf_tree *must_unpack(const uint8_t *b, size_t n)
{
	struct psf_tree *t = NULL;
	uint32_t off = 0;
	int rc = psf_tree_unpack(b, n, &t, &off);

	if (rc != PSF_OK)
		fail_msg("unpack: %s at %u", psft_errname(rc), off);
	assert_non_null(t);
	return t;
}

static uint8_t *must_pack(const struct psf_tree *t, size_t *n)
{
	uint8_t *b = pstt_pack(t, n);
	uint32_t off = 0;
	int rc;

	if (!b)
		fail_msg("%s", pstt_msg);
	rc = psf_check_full(b, *n, &off);
	if (rc != PSF_OK)
		fail_msg("packed store invalid: %s at %u", psft_errname(rc),
			 off);
	return b;
}

static struct psf_node *must_struct(uint32_t sig, const void *data,
				    uint32_t len)
{
	struct psf_node *n = psf_node_new_struct(sig, data, len);

	assert_non_null(n);
	return n;
}

static struct psf_node *must_cont(uint32_t sig)
{
	struct psf_node *n = psf_node_new_container(sig);

	assert_non_null(n);
	return n;
}

/* Append a new child and return it. */
static struct psf_node *add_struct(struct psf_node *parent, uint32_t sig,
				   const void *data, uint32_t len)
{
	struct psf_node *n = must_struct(sig, data, len);

	OK(psf_node_append(parent, n));
	return n;
}

static struct psf_node *add_cont(struct psf_node *parent, uint32_t sig)
{
	struct psf_node *n = must_cont(sig);

	OK(psf_node_append(parent, n));
	return n;
}

/* The signatures of parent's children, in order, must be sigs[0..n). */
static void expect_children(const struct psf_node *parent,
			    const uint32_t *sigs, uint32_t n)
{
	const struct psf_node *c = parent->first;
	uint32_t i;

	assert_int_equal(parent->nchildren, n);
	for (i = 0; i < n; i++) {
		assert_non_null(c);
		if (c->sig != sigs[i])
			fail_msg("child %u: %08x, want %08x", i,
				 (unsigned)c->sig, (unsigned)sigs[i]);
		c = c->next;
	}
	assert_null(c);
	LINKS_OK(parent);
}

static uint64_t get_field(const struct psf_node *n, const char *name)
{
	uint64_t v = 0xdeadbeefcafef00dull;

	OK(psf_node_field_get(n, name, &v));
	return v;
}

/* ================================================================ nodes */

static void test_node_new_struct(void **state)
{
	uint8_t src[5] = { 1, 2, 3, 4, 5 };
	struct psf_node *n;
	uint32_t i;

	(void)state;
	n = must_struct(PSF_NAME, src, 5);
	assert_int_equal(n->sig, PSF_NAME);
	assert_int_equal(n->len, 5);
	assert_non_null(n->data);
	assert_ptr_not_equal(n->data, src);
	assert_memory_equal(n->data, src, 5);
	assert_null(n->parent);
	assert_null(n->first);
	assert_null(n->last);
	assert_null(n->prev);
	assert_null(n->next);
	assert_int_equal(n->nchildren, 0);
	src[0] = 9;  /* a copy, not a reference */
	assert_int_equal(n->data[0], 1);
	LINKS_OK(n);
	psf_node_free(n);

	/* NULL data: zeros. */
	n = must_struct(PSF_VM_CONFIG, NULL, PSF_VMC_SIZE);
	assert_int_equal(n->len, PSF_VMC_SIZE);
	for (i = 0; i < PSF_VMC_SIZE; i++)
		assert_int_equal(n->data[i], 0);
	psf_node_free(n);

	/* Empty payloads have no buffer, whatever data says. */
	n = must_struct(PSF_NAME, NULL, 0);
	assert_int_equal(n->len, 0);
	assert_null(n->data);
	psf_node_free(n);
	n = must_struct(PSF_DESCRIPTION, src, 0);
	assert_int_equal(n->len, 0);
	assert_null(n->data);
	psf_node_free(n);

	/* Pads and unknown signatures are ordinary structures. */
	n = must_struct(PSF_PAD, NULL, 8);
	assert_int_equal(n->sig, PSF_PAD);
	psf_node_free(n);
	n = must_struct(SITE_S(5), "ab", 2);
	assert_int_equal(n->sig, SITE_S(5));
	psf_node_free(n);
	n = must_struct(0x7fffffffu, NULL, 1);
	psf_node_free(n);

	/* Container signatures are refused. */
	assert_null(psf_node_new_struct(PSF_VMS, NULL, 0));
	assert_null(psf_node_new_struct(PSF_ROOT, src, 5));
	assert_null(psf_node_new_struct(PSF_SIG_CONTAINER, NULL, 0));
	assert_null(psf_node_new_struct(0xffffffffu, NULL, 0));
	assert_null(psf_node_new_struct(VENDOR_C(1), NULL, 0));

	/* Up to PSF_MAX_TOTAL bytes, not one more. */
	assert_null(psf_node_new_struct(PSF_NAME, NULL, PSF_MAX_TOTAL + 1));
	assert_null(psf_node_new_struct(PSF_NAME, NULL, UINT32_MAX));
	n = must_struct(PSF_PAD, NULL, PSF_MAX_TOTAL);
	assert_int_equal(n->len, PSF_MAX_TOTAL);
	assert_int_equal(n->data[0], 0);
	assert_int_equal(n->data[PSF_MAX_TOTAL - 1], 0);
	psf_node_free(n);
}

static void test_node_new_container(void **state)
{
	static const uint32_t good[] = {
		PSF_ROOT, PSF_VMS, PSF_AGENT_STATE, PSF_SIG_CONTAINER,
		VENDOR_C(7), 0xffffffffu,
	};
	static const uint32_t bad[] = {
		PSF_PAD, PSF_NAME, PSF_VM_CONFIG, VENDOR_S(7), 0x7fffffffu,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct psf_node *n = must_cont(good[i]);

		assert_int_equal(n->sig, good[i]);
		assert_int_equal(n->len, 0);
		assert_null(n->data);
		assert_null(n->parent);
		assert_null(n->first);
		assert_null(n->last);
		assert_null(n->prev);
		assert_null(n->next);
		assert_int_equal(n->nchildren, 0);
		LINKS_OK(n);
		psf_node_free(n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(psf_node_new_container(bad[i]));
}

static void test_node_append(void **state)
{
	struct psf_node *root = must_cont(PSF_ROOT);
	struct psf_node *a = must_cont(PSF_VMS);
	struct psf_node *b = must_struct(PSF_NAME, "x", 1);
	struct psf_node *c = must_struct(PSF_PAD, NULL, 0);
	struct psf_node *other = must_cont(PSF_NETWORKS);
	struct psf_node *d = must_struct(PSF_HOSTNAME, "h", 1);
	struct psf_node *vm, *nic, *loose;

	(void)state;
	OK(psf_node_append(root, a));
	assert_ptr_equal(root->first, a);
	assert_ptr_equal(root->last, a);
	assert_int_equal(root->nchildren, 1);
	assert_ptr_equal(a->parent, root);
	assert_null(a->prev);
	assert_null(a->next);
	OK(psf_node_append(root, b));
	OK(psf_node_append(root, c));
	assert_ptr_equal(root->first, a);
	assert_ptr_equal(root->last, c);
	assert_ptr_equal(a->next, b);
	assert_ptr_equal(b->prev, a);
	assert_ptr_equal(b->next, c);
	assert_ptr_equal(c->prev, b);
	expect_children(root, (const uint32_t[]){ PSF_VMS, PSF_NAME, PSF_PAD },
			3);

	/* A linked child is refused, under the same or another parent. */
	assert_int_equal(psf_node_append(root, a), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_append(root, c), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_append(other, b), PSF_ERR_BADVALUE);
	assert_ptr_equal(b->parent, root);
	assert_int_equal(other->nchildren, 0);
	/* A node is not its own child. */
	assert_int_equal(psf_node_append(other, other), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_append(root, root), PSF_ERR_BADVALUE);
	/* A structure has no children. */
	assert_int_equal(psf_node_append(b, d), PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_node_append(c, other), PSF_ERR_NOTCONTAINER);
	assert_null(d->parent);
	assert_int_equal(b->nchildren, 0);
	assert_null(b->first);
	/* NULLs. */
	assert_int_equal(psf_node_append(NULL, d), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_append(root, NULL), PSF_ERR_BADVALUE);
	expect_children(root, (const uint32_t[]){ PSF_VMS, PSF_NAME, PSF_PAD },
			3);

	/* Cycles: root -> a -> vm -> nic.  Detach a; a may not go under
	 * any node of its own subtree. */
	vm = add_cont(a, PSF_VM);
	nic = add_cont(vm, PSF_NIC);
	psf_node_remove(a);
	assert_int_equal(psf_node_append(vm, a), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_append(nic, a), PSF_ERR_BADVALUE);
	assert_null(a->parent);
	LINKS_OK(a);
	assert_int_equal(nic->nchildren, 0);
	/* Detach the middle: vm may not go under nic, its child. */
	psf_node_remove(vm);
	assert_int_equal(psf_node_append(nic, vm), PSF_ERR_BADVALUE);
	/* A subtree with children goes under an unrelated container. */
	OK(psf_node_append(other, vm));
	assert_ptr_equal(vm->parent, other);
	assert_ptr_equal(nic->parent, vm);
	OK(psf_node_append(a, other));
	OK(psf_node_append(root, a));
	expect_children(root, (const uint32_t[]){ PSF_NAME, PSF_PAD, PSF_VMS },
			3);
	expect_children(a, (const uint32_t[]){ PSF_NETWORKS }, 1);
	/* A linked node with children may not move either. */
	loose = must_cont(PSF_NICS);
	assert_int_equal(psf_node_append(loose, vm), PSF_ERR_BADVALUE);
	assert_ptr_equal(vm->parent, other);
	/* The whole tree's root may not go under its own descendant. */
	assert_int_equal(psf_node_append(nic, root), PSF_ERR_BADVALUE);
	assert_null(root->parent);
	LINKS_OK(root);
	psf_node_free(loose);
	psf_node_free(d);
	psf_node_free(root);
}

static void test_node_insert_before(void **state)
{
	struct psf_node *root = must_cont(PSF_ROOT);
	struct psf_node *a = add_cont(root, PSF_VMS);
	struct psf_node *c = add_cont(root, PSF_IMAGES);
	struct psf_node *b = must_cont(PSF_NETWORKS);
	struct psf_node *z = must_struct(PSF_PAD, NULL, 4);
	struct psf_node *loose = must_struct(PSF_NAME, "n", 1);
	struct psf_node *p, *q, *r;

	(void)state;
	/* In the middle, then at the front. */
	OK(psf_node_insert_before(c, b));
	assert_ptr_equal(b->parent, root);
	assert_ptr_equal(b->prev, a);
	assert_ptr_equal(b->next, c);
	assert_ptr_equal(a->next, b);
	assert_ptr_equal(c->prev, b);
	assert_ptr_equal(root->last, c);
	OK(psf_node_insert_before(a, z));
	assert_ptr_equal(root->first, z);
	assert_null(z->prev);
	assert_ptr_equal(z->next, a);
	expect_children(root, (const uint32_t[]){ PSF_PAD, PSF_VMS,
						  PSF_NETWORKS, PSF_IMAGES }, 4);

	/* Refusals: no sibling, a sibling without a parent (including the
	 * root), a linked child, the sibling itself. */
	assert_int_equal(psf_node_insert_before(NULL, loose), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_insert_before(root, loose), PSF_ERR_BADVALUE);
	p = must_cont(PSF_VM);
	assert_int_equal(psf_node_insert_before(p, loose), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_insert_before(b, a), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_insert_before(b, b), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_insert_before(b, NULL), PSF_ERR_BADVALUE);
	assert_null(loose->parent);
	expect_children(root, (const uint32_t[]){ PSF_PAD, PSF_VMS,
						  PSF_NETWORKS, PSF_IMAGES }, 4);

	/* Cycles: p -> q -> r; p may not go before r (under q) or before
	 * q (under p itself). */
	q = add_cont(p, PSF_NICS);
	r = add_struct(q, PSF_NAME, "r", 1);
	assert_int_equal(psf_node_insert_before(r, p), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_insert_before(q, p), PSF_ERR_BADVALUE);
	psf_node_remove(q);
	assert_int_equal(psf_node_insert_before(r, q), PSF_ERR_BADVALUE);
	LINKS_OK(p);
	LINKS_OK(q);
	/* But it may go before a node of another tree, subtree and all. */
	OK(psf_node_insert_before(c, q));
	assert_ptr_equal(q->parent, root);
	assert_ptr_equal(r->parent, q);
	OK(psf_node_insert_before(r, loose));
	expect_children(q, (const uint32_t[]){ PSF_NAME, PSF_NAME }, 2);
	assert_ptr_equal(q->first, loose);
	expect_children(root, (const uint32_t[]){ PSF_PAD, PSF_VMS,
						  PSF_NETWORKS, PSF_NICS,
						  PSF_IMAGES }, 5);
	psf_node_free(p);
	psf_node_free(root);
}

static void test_node_remove(void **state)
{
	struct psf_node *root = must_cont(PSF_ROOT);
	struct psf_node *a = add_cont(root, PSF_VMS);
	struct psf_node *b = add_struct(root, PSF_NAME, "b", 1);
	struct psf_node *c = add_cont(root, PSF_IMAGES);
	struct psf_node *d = add_struct(root, PSF_PAD, NULL, 3);
	struct psf_node *vm = add_cont(a, PSF_VM);
	struct psf_node *nm = add_struct(vm, PSF_NAME, "vm", 2);

	(void)state;
	/* Middle. */
	psf_node_remove(b);
	assert_null(b->parent);
	assert_null(b->prev);
	assert_null(b->next);
	expect_children(root, (const uint32_t[]){ PSF_VMS, PSF_IMAGES,
						  PSF_PAD }, 3);
	/* First: the subtree comes along. */
	psf_node_remove(a);
	assert_null(a->parent);
	assert_ptr_equal(root->first, c);
	assert_null(c->prev);
	assert_ptr_equal(vm->parent, a);
	assert_ptr_equal(nm->parent, vm);
	expect_children(a, (const uint32_t[]){ PSF_VM }, 1);
	/* Last. */
	psf_node_remove(d);
	assert_ptr_equal(root->last, c);
	assert_null(c->next);
	expect_children(root, (const uint32_t[]){ PSF_IMAGES }, 1);
	/* Only child. */
	psf_node_remove(c);
	assert_null(root->first);
	assert_null(root->last);
	expect_children(root, NULL, 0);
	/* Detached nodes and the root: no-ops. */
	psf_node_remove(c);
	psf_node_remove(root);
	assert_null(c->parent);
	LINKS_OK(root);
	/* A removed node can be linked again, anywhere. */
	OK(psf_node_append(root, d));
	OK(psf_node_insert_before(d, b));
	OK(psf_node_append(vm, c));
	expect_children(root, (const uint32_t[]){ PSF_NAME, PSF_PAD }, 2);
	expect_children(vm, (const uint32_t[]){ PSF_NAME, PSF_IMAGES }, 2);
	/* Removing a leaf deep inside. */
	psf_node_remove(nm);
	expect_children(vm, (const uint32_t[]){ PSF_IMAGES }, 1);
	psf_node_free(nm);
	psf_node_free(a);
	psf_node_free(root);
}

static void test_node_free(void **state)
{
	struct psf_node *root = must_cont(PSF_ROOT);
	struct psf_node *a = add_cont(root, PSF_VMS);
	struct psf_node *b = add_cont(root, PSF_NETWORKS);
	struct psf_node *c = add_struct(root, PSF_NAME, "c", 1);
	struct psf_node *n, *chain;
	size_t count = 0;
	int i, depth = 0;
	struct psf_tree *t;

	(void)state;
	psf_node_free(NULL);
	/* A subtree with structures and containers at several levels. */
	for (i = 0; i < 50; i++) {
		struct psf_node *vm = add_cont(a, PSF_VM);

		add_struct(vm, PSF_NAME, "vm", 2);
		add_cont(add_cont(vm, PSF_NICS), PSF_NIC);
		add_struct(vm, PSF_VM_CONFIG, NULL, 36);
		add_struct(vm, PSF_DESCRIPTION, NULL, 0);
	}
	/* Freeing a linked node unlinks it first. */
	psf_node_free(a);
	expect_children(root, (const uint32_t[]){ PSF_NETWORKS, PSF_NAME }, 2);
	psf_node_free(c);
	expect_children(root, (const uint32_t[]){ PSF_NETWORKS }, 1);
	assert_ptr_equal(root->last, b);
	psf_node_free(b);
	expect_children(root, NULL, 0);
	psf_node_free(root);

	/* A chain far deeper than any stack: freed without recursion. */
	chain = must_cont(PSF_VMS);
	for (n = chain, i = 0; i < 200000; i++) {
		struct psf_node *m = psf_node_new_container(PSF_VMS);

		assert_non_null(m);
		OK(psf_node_append(n, m));
		n = m;
	}
	add_struct(n, PSF_NAME, "bottom", 6);
	assert_int_equal(pstt_links_ok(chain, &count), 0);
	assert_int_equal(count, 200002);
	for (n = chain; n->first; n = n->first)
		depth++;
	assert_int_equal(depth, 200001);
	psf_node_free(chain);

	/* The same through a tree, which also refuses to pack it. */
	t = psf_tree_new(PSF_ROOT);
	assert_non_null(t);
	for (n = t->root, i = 0; i < 100000; i++)
		n = add_cont(n, PSF_VMS);
	assert_int_equal(psf_tree_check(t), PSF_ERR_TOODEEP);
	assert_int_equal(psf_tree_packed_size(t), 0);
	psf_tree_free(t);

	/* A wide one. */
	root = must_cont(PSF_ROOT);
	for (i = 0; i < 20000; i++)
		add_struct(root, PSF_PAD, NULL, (uint32_t)(i % 3));
	assert_int_equal(root->nchildren, 20000);
	LINKS_OK(root);
	psf_node_free(root);
}

static void test_node_find(void **state)
{
	struct psf_node *root = must_cont(PSF_ROOT);
	struct psf_node *name = add_struct(root, PSF_NAME, "a", 1);
	struct psf_node *vms1 = add_cont(root, PSF_VMS);
	struct psf_node *pad = add_struct(root, PSF_PAD, NULL, 0);
	struct psf_node *vms2 = add_cont(root, PSF_VMS);
	struct psf_node *name2 = add_struct(root, PSF_NAME, "b", 1);
	struct psf_node *unk = add_struct(root, VENDOR_S(1), NULL, 2);
	struct psf_node *inner = add_cont(vms1, PSF_VMS);

	(void)state;
	assert_ptr_equal(psf_node_find(root, PSF_VMS, NULL), vms1);
	assert_ptr_equal(psf_node_find(root, PSF_VMS, vms1), vms2);
	assert_null(psf_node_find(root, PSF_VMS, vms2));
	assert_ptr_equal(psf_node_find(root, PSF_NAME, NULL), name);
	assert_ptr_equal(psf_node_find(root, PSF_NAME, name), name2);
	assert_null(psf_node_find(root, PSF_NAME, name2));
	assert_ptr_equal(psf_node_find(root, PSF_PAD, NULL), pad);
	assert_ptr_equal(psf_node_find(root, VENDOR_S(1), NULL), unk);
	/* after need not have the signature itself. */
	assert_ptr_equal(psf_node_find(root, PSF_VMS, pad), vms2);
	assert_ptr_equal(psf_node_find(root, PSF_NAME, vms1), name2);
	/* after the last child: nothing. */
	assert_null(psf_node_find(root, PSF_VMS, unk));
	/* Only direct children; none of them; no children at all. */
	assert_ptr_equal(psf_node_find(vms1, PSF_VMS, NULL), inner);
	assert_null(psf_node_find(inner, PSF_VMS, NULL));
	assert_null(psf_node_find(root, PSF_HOSTNAME, NULL));
	assert_null(psf_node_find(root, VENDOR_S(2), NULL));
	assert_null(psf_node_find(name, PSF_NAME, NULL));
	psf_node_free(root);
}

static void test_node_find_named(void **state)
{
	struct psf_node *vms = must_cont(PSF_VMS);
	struct psf_node *web01 = add_cont(vms, PSF_VM);
	struct psf_node *noname = add_cont(vms, PSF_VM);
	struct psf_node *web0 = add_cont(vms, PSF_VM);
	struct psf_node *dup = add_cont(vms, PSF_VM);
	struct psf_node *nic = add_cont(vms, PSF_NIC);
	struct psf_node *empty = add_cont(vms, PSF_VM);
	struct psf_node *nul = add_cont(vms, PSF_VM);
	struct psf_node *late = add_cont(vms, PSF_VM);
	struct psf_node *host = add_cont(vms, PSF_VM);

	(void)state;
	add_struct(web01, PSF_NAME, "web01", 5);
	add_struct(noname, PSF_DESCRIPTION, "web01", 5);
	add_struct(web0, PSF_NAME, "web0", 4);
	add_struct(dup, PSF_NAME, "web01", 5);
	add_struct(nic, PSF_NAME, "db", 2);
	add_struct(empty, PSF_NAME, NULL, 0);
	add_struct(nul, PSF_NAME, "a\0b", 3);
	/* The name need not be the first child. */
	add_struct(late, PSF_DESCRIPTION, "x", 1);
	add_struct(late, PSF_PAD, NULL, 0);
	add_struct(late, PSF_NAME, "db", 2);
	add_struct(host, PSF_HOSTNAME, "host", 4);

	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "web01", 5), web01);
	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "web0", 4), web0);
	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "web01xyz", 4), web0);
	assert_null(psf_node_find_named(vms, PSF_VM, "web", 3));
	assert_null(psf_node_find_named(vms, PSF_VM, "web01x", 6));
	assert_null(psf_node_find_named(vms, PSF_VM, "WEB01", 5));
	/* The signature filters: "db" is a nic's name and a later vm's. */
	assert_ptr_equal(psf_node_find_named(vms, PSF_NIC, "db", 2), nic);
	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "db", 2), late);
	assert_null(psf_node_find_named(vms, PSF_NICS, "db", 2));
	/* Empty and binary names, exactly. */
	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "", 0), empty);
	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "a\0b", 3), nul);
	assert_null(psf_node_find_named(vms, PSF_VM, "a\0c", 3));
	assert_null(psf_node_find_named(vms, PSF_VM, "a", 1));
	/* Only PSF_NAME counts. */
	assert_null(psf_node_find_named(vms, PSF_VM, "host", 4));
	/* A structure has no named children. */
	assert_null(psf_node_find_named(web01->first, PSF_VM, "web01", 5));
	psf_node_free(vms);
}

/* Child process: psf_node_find_named with a NULL name of length 0 must
 * find the container whose name is empty, as psf_find_named does in the
 * core.  0 on success. */
static int find_named_null_child(void *arg)
{
	struct psf_node *vms = arg;
	struct psf_node *want = vms->last;

	return psf_node_find_named(vms, PSF_VM, NULL, 0) == want ? 0 : 2;
}

/* A NULL name with len 0 means the empty name (psf_node_set_string takes
 * NULL, 0 for it too).  Run in a child: undefined behaviour there (memcmp
 * with a NULL pointer) aborts under UBSan and fails only this test. */
static void test_node_find_named_null_empty(void **state)
{
	struct psf_node *vms = must_cont(PSF_VMS);
	struct psf_node *a = add_cont(vms, PSF_VM);
	struct psf_node *b = add_cont(vms, PSF_VM);
	int rc;

	(void)state;
	OK(psf_node_set_string(a, PSF_NAME, "a", 1));
	OK(psf_node_set_string(b, PSF_NAME, NULL, 0));
	assert_ptr_equal(psf_node_find_named(vms, PSF_VM, "", 0), b);
	rc = psft_isolated(find_named_null_child, vms);
	psf_node_free(vms);
	if (rc != 0)
		fail_msg("psf_node_find_named(parent, sig, NULL, 0) %s",
			 rc < 0 ? "died (undefined behaviour: see the "
				  "sanitizer report above)"
				: "did not find the empty name");
}

static void test_node_set_payload(void **state)
{
	struct psf_node *root = must_cont(PSF_ROOT);
	struct psf_node *n = add_struct(root, PSF_NAME, "hello", 5);
	struct psf_node *m = add_struct(root, PSF_PAD, NULL, 0);
	uint32_t i;

	(void)state;
	OK(psf_node_set_payload(n, "hi", 2));
	assert_int_equal(n->len, 2);
	assert_memory_equal(n->data, "hi", 2);
	/* Grow with zeros. */
	OK(psf_node_set_payload(n, NULL, 100));
	assert_int_equal(n->len, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(n->data[i], 0);
	/* To nothing: no buffer. */
	OK(psf_node_set_payload(n, "x", 0));
	assert_int_equal(n->len, 0);
	assert_null(n->data);
	OK(psf_node_set_payload(m, NULL, 0));
	assert_null(m->data);
	/* From nothing. */
	OK(psf_node_set_payload(n, "0123456789", 10));
	assert_memory_equal(n->data, "0123456789", 10);
	/* data inside the old payload: a part, an overlapping shift, the
	 * whole of it. */
	OK(psf_node_set_payload(n, n->data + 3, 5));
	assert_int_equal(n->len, 5);
	assert_memory_equal(n->data, "34567", 5);
	OK(psf_node_set_payload(n, n->data + 1, n->len - 1));
	assert_memory_equal(n->data, "4567", 4);
	OK(psf_node_set_payload(n, n->data, n->len));
	assert_int_equal(n->len, 4);
	assert_memory_equal(n->data, "4567", 4);
	OK(psf_node_set_payload(n, n->data + 3, 1));
	assert_memory_equal(n->data, "7", 1);
	/* Links are untouched. */
	assert_ptr_equal(n->parent, root);
	expect_children(root, (const uint32_t[]){ PSF_NAME, PSF_PAD }, 2);
	/* Refusals leave the payload as it was. */
	assert_int_equal(psf_node_set_payload(root, "x", 1), PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_node_set_payload(n, NULL, PSF_MAX_TOTAL + 1),
			 PSF_ERR_TOOLARGE);
	assert_int_equal(psf_node_set_payload(n, NULL, UINT32_MAX),
			 PSF_ERR_TOOLARGE);
	assert_int_equal(n->len, 1);
	assert_memory_equal(n->data, "7", 1);
	assert_null(root->data);
	assert_int_equal(root->len, 0);
	psf_node_free(root);
}

static void test_node_strings(void **state)
{
	struct psf_node *vm = must_cont(PSF_VM);
	struct psf_node *cfg = add_struct(vm, PSF_VM_CONFIG, NULL, 0);
	struct psf_node *first;
	const char *s;
	uint32_t len = 12345;

	(void)state;
	/* None yet. */
	assert_null(psf_node_get_string(vm, PSF_NAME, &len));
	/* Set appends. */
	OK(psf_node_set_string(vm, PSF_NAME, "web01", 5));
	expect_children(vm, (const uint32_t[]){ PSF_VM_CONFIG, PSF_NAME }, 2);
	s = psf_node_get_string(vm, PSF_NAME, &len);
	assert_non_null(s);
	assert_int_equal(len, 5);
	assert_memory_equal(s, "web01", 5);
	/* Set replaces, in place. */
	first = vm->last;
	OK(psf_node_set_string(vm, PSF_NAME, "db", 2));
	assert_ptr_equal(vm->last, first);
	assert_int_equal(vm->nchildren, 2);
	s = psf_node_get_string(vm, PSF_NAME, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(s, "db", 2);
	/* The empty string is "", not NULL. */
	OK(psf_node_set_string(vm, PSF_DESCRIPTION, "", 0));
	len = 99;
	s = psf_node_get_string(vm, PSF_DESCRIPTION, &len);
	assert_non_null(s);
	assert_int_equal(len, 0);
	assert_null(vm->last->data);
	OK(psf_node_set_string(vm, PSF_NAME, NULL, 0));
	s = psf_node_get_string(vm, PSF_NAME, &len);
	assert_non_null(s);
	assert_int_equal(len, 0);
	/* Bytes, not C strings. */
	OK(psf_node_set_string(vm, PSF_HOSTNAME, "a\0b\xff", 4));
	s = psf_node_get_string(vm, PSF_HOSTNAME, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "a\0b\xff", 4);
	/* The first of two children with the signature. */
	add_struct(vm, PSF_OWNER, "one", 3);
	add_struct(vm, PSF_OWNER, "two", 3);
	OK(psf_node_set_string(vm, PSF_OWNER, "uno", 3));
	s = psf_node_get_string(vm, PSF_OWNER, &len);
	assert_memory_equal(s, "uno", 3);
	assert_memory_equal(vm->last->data, "two", 3);
	/* Any structure signature works, unknown ones too. */
	OK(psf_node_set_string(vm, SITE_S(9), "z", 1));
	s = psf_node_get_string(vm, SITE_S(9), &len);
	assert_non_null(s);
	assert_int_equal(len, 1);
	expect_children(vm, (const uint32_t[]){ PSF_VM_CONFIG, PSF_NAME,
						PSF_DESCRIPTION, PSF_HOSTNAME,
						PSF_OWNER, PSF_OWNER,
						SITE_S(9) }, 7);
	/* Refusals. */
	assert_int_equal(psf_node_set_string(vm, PSF_NICS, "x", 1),
			 PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_node_set_string(cfg, PSF_NAME, "x", 1),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_node_set_string(vm, PSF_NAME, NULL,
					     (size_t)PSF_MAX_TOTAL + 1),
			 PSF_ERR_TOOLARGE);
	assert_int_equal(vm->nchildren, 7);
	assert_null(cfg->first);
	assert_null(psf_node_get_string(vm, PSF_NICS, &len));
	assert_null(psf_node_get_string(cfg, PSF_NAME, &len));
	/* A container child with a container signature is not a string. */
	add_cont(vm, PSF_NICS);
	assert_null(psf_node_get_string(vm, PSF_NICS, &len));
	LINKS_OK(vm);
	psf_node_free(vm);
}

/* ================================================================ fields */

/* Schema tables: the invariants psf_tree.c and the text format
 * (psf_text_*.c) rely on. */
static void test_schema_tables(void **state)
{
	size_t n, i, j;
	const struct psf_elem_desc *d = psf_schema_all(&n);
	unsigned k, core_records = 0, agent_records = 0;

	(void)state;
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		uint32_t off = 0;

		assert_ptr_equal(psf_schema_lookup(d[i].sig), &d[i]);
		assert_ptr_equal(psf_schema_lookup_name(d[i].name,
							strlen(d[i].name)),
				 &d[i]);
		assert_int_equal(d[i].kind == PSF_KIND_CONTAINER,
				 PSF_SIG_IS_CONTAINER(d[i].sig) != 0);
		assert_int_equal(d[i].kind == PSF_KIND_PAD,
				 d[i].sig == PSF_PAD);
		assert_int_equal(d[i].kind == PSF_KIND_LIST,
				 d[i].item_len != 0);
		assert_int_equal(d[i].kind == PSF_KIND_RECORD,
				 d[i].nfields != 0);
		for (j = 0; d[i].name[j]; j++)
			assert_true((d[i].name[j] >= 'a' &&
				     d[i].name[j] <= 'z') ||
				    (d[i].name[j] >= '0' &&
				     d[i].name[j] <= '9') ||
				    d[i].name[j] == '-');
		for (j = 0; j < i; j++)
			assert_int_not_equal(d[j].sig, d[i].sig);
		/* Every record lives in a namespace the schema owns. */
		if (d[i].kind == PSF_KIND_RECORD) {
			assert_true(PSF_SIG_NS(d[i].sig) == PSF_NS_CORE ||
				    PSF_SIG_NS(d[i].sig) == PSF_NS_AGENT);
			core_records += PSF_SIG_NS(d[i].sig) == PSF_NS_CORE;
			agent_records += PSF_SIG_NS(d[i].sig) == PSF_NS_AGENT;
		}
		for (k = 0; k < d[i].nfields; k++) {
			const struct psf_field_desc *f = &d[i].fields[k];
			int integer = f->type == PSF_FT_UINT ||
				      f->type == PSF_FT_ENUM ||
				      f->type == PSF_FT_FLAGS;

			assert_int_equal(f->off, off);  /* tiled */
			off += f->width;
			if (integer)
				assert_true(f->width == 1 || f->width == 2 ||
					    f->width == 4 || f->width == 8);
			if (f->type == PSF_FT_UUID)
				assert_int_equal(f->width, 16);
			if (f->type == PSF_FT_MAC)
				assert_int_equal(f->width, 6);
			assert_int_equal(f->type == PSF_FT_ENUM ||
					 f->type == PSF_FT_FLAGS,
					 f->names != NULL);
		}
	}
	/* The core schema's ten records (vm-config .. restart-config) and the
	 * agent's two (agent-record, agent-dom-record). */
	assert_int_equal(core_records, 10);
	assert_int_equal(agent_records, 2);
	assert_int_equal(psf_schema_lookup(PSF_AGENT_DOM_RECORD)->nfields, 2);
	assert_int_equal(pstt_record_size(psf_schema_lookup(PSF_AGENT_RECORD)),
			 PSF_AGR_SIZE);
	assert_int_equal(
		pstt_record_size(psf_schema_lookup(PSF_AGENT_DOM_RECORD)),
		PSF_AGD_SIZE);
	assert_null(psf_schema_lookup(VENDOR_S(1)));
	assert_int_equal(psf_schema_lookup_name("vm", 2)->sig, PSF_VM);
	/* The server directory (docs/schema.md, SERVERS). */
	assert_int_equal(psf_schema_lookup_name("servers", 7)->sig,
			 0x80000113u);
	assert_int_equal(psf_schema_lookup_name("server", 6)->sig,
			 0x80000114u);
	assert_int_equal(psf_schema_lookup(PSF_SERVER)->kind,
			 PSF_KIND_CONTAINER);
	assert_null(psf_schema_lookup_name("vmx", 3));
	assert_null(psf_schema_lookup_name("v", 1));
	assert_int_equal(psf_schema_lookup_name("vm-config", 2)->sig, PSF_VM);
	assert_int_equal(psf_boot_device_code("cdrom", 5), PSF_BOOT_CDROM);
	assert_int_equal(psf_boot_device_code("cdro", 4), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_boot_device_code("cdromx", 6), PSF_ERR_NOTFOUND);
	assert_null(psf_boot_device_name(0));
	assert_null(psf_boot_device_name(5));
	assert_null(psf_boot_device_name(255));
	assert_string_equal(psf_boot_device_name(PSF_BOOT_FLOPPY), "floppy");
	assert_string_equal(psf_boot_device_name(PSF_BOOT_DISK), "disk");
}

/*
 * The agent's records (hvagent's synced state) by keyword and field in the
 * text form, losslessly: a flag bit without a name, a record cut short
 * (pass-time half stored) and bytes past the known fields all come back
 * as the same bytes.
 */
static void test_agent_records_text(void **state)
{
	static const uint8_t rec[] = { 1, 0, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0 };
	static const uint8_t cut[] = { 1, 0, 0x40, 0x42, 0x0f };
	uint8_t dom[17 + 3];
	struct psf_tree *t = psf_tree_new(PSF_ROOT), *t2;
	struct psf_node *st, *doms, *d;
	uint8_t *p1, *p2;
	size_t n1, n2;
	char *text, *text2;
	unsigned i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 16; i++)
		dom[i] = (uint8_t)(0xa0 + i);
	dom[16] = PSF_AGDF_RUNNING | 0x80;    /* 0x80: no name yet */
	memcpy(dom + 17, "\x01\x02\x03", 3);  /* a later layout's bytes */
	st = psf_node_new_container(PSF_AGENT_STATE);
	doms = psf_node_new_container(PSF_AGENT_DOMS);
	d = psf_node_new_container(PSF_AGENT_DOM);
	OK(psf_node_append(t->root, st));
	OK(psf_node_append(st, must_struct(PSF_AGENT_RECORD, rec, sizeof rec)));
	OK(psf_node_append(st, must_struct(PSF_AGENT_URI, "test:///x", 9)));
	OK(psf_node_append(st, doms));
	OK(psf_node_append(doms, d));
	OK(psf_node_append(d, must_struct(PSF_AGENT_DOM_RECORD, dom,
					  sizeof dom)));
	OK(psf_node_append(d, must_struct(PSF_AGENT_FIELDS, "name=a\n", 7)));
	OK(psf_node_append(d, must_struct(PSF_AGENT_RECORD, cut, sizeof cut)));
	p1 = pstt_pack(t, &n1);
	assert_non_null(p1);
	text = pstt_dump(t, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "agent-record"));
	assert_non_null(strstr(text, "pass-time"));
	assert_non_null(strstr(text, "1000000"));
	assert_non_null(strstr(text, "agent-dom-record"));
	assert_non_null(strstr(text, "running"));
	assert_null(strstr(text, "@0x0001020"));  /* not as bare bytes */
	t2 = pstt_parse(text);
	if (!t2)
		fail_msg("%s\n%s", pstt_msg, text);
	p2 = pstt_pack(t2, &n2);
	assert_non_null(p2);
	assert_int_equal(n1, n2);
	assert_memory_equal(p1, p2, n1);
	text2 = pstt_dump(t2, NULL);
	assert_string_equal(text, text2);
	free(p1);
	free(p2);
	free(text);
	free(text2);
	psf_tree_free(t);
	psf_tree_free(t2);
}

static void test_record_field(void **state)
{
	size_t n, i;
	const struct psf_elem_desc *d = psf_schema_all(&n);
	const struct psf_field_desc *f;
	unsigned k;
	char buf[64];

	(void)state;
	for (i = 0; i < n; i++) {
		for (k = 0; k < d[i].nfields; k++) {
			const char *name = d[i].fields[k].name;
			size_t len = strlen(name);

			assert_ptr_equal(psf_record_field(d[i].sig, name, len),
					 &d[i].fields[k]);
			/* Not NUL-terminated: only len bytes count. */
			snprintf(buf, sizeof(buf), "%sXYZ", name);
			assert_ptr_equal(psf_record_field(d[i].sig, buf, len),
					 &d[i].fields[k]);
			assert_null(psf_record_field(d[i].sig, buf, len + 1));
			assert_null(psf_record_field(d[i].sig, name, len - 1));
		}
		if (d[i].kind != PSF_KIND_RECORD)
			assert_null(psf_record_field(d[i].sig, "uuid", 4));
	}
	f = psf_record_field(PSF_VM_CONFIG, "memory-kib", 10);
	assert_non_null(f);
	assert_int_equal(f->off, PSF_VMC_MEMORY_KIB);
	assert_int_equal(f->width, 8);
	assert_int_equal(f->type, PSF_FT_UINT);
	f = psf_record_field(PSF_VM_CONFIG, "power", 5);
	assert_non_null(f);
	assert_int_equal(f->off, PSF_VMC_POWER);
	assert_int_equal(f->width, 1);
	assert_int_equal(f->type, PSF_FT_ENUM);
	f = psf_record_field(PSF_NIC_CONFIG, "mac", 3);
	assert_non_null(f);
	assert_int_equal(f->off, PSF_NICC_MAC);
	assert_int_equal(f->type, PSF_FT_MAC);
	f = psf_record_field(PSF_NIC_CONFIG, "flags", 5);
	assert_non_null(f);
	assert_int_equal(f->type, PSF_FT_FLAGS);
	f = psf_record_field(PSF_STORE_RECORD, "time", 4);
	assert_non_null(f);
	assert_int_equal(f->off, PSF_STOC_TIME);
	f = psf_record_field(PSF_RESERVATION_CONFIG, "count", 5);
	assert_non_null(f);
	assert_int_equal(f->off, PSF_RESC_COUNT);
	/* Unknown names, fields of other records, non-records. */
	assert_null(psf_record_field(PSF_VM_CONFIG, "nope", 4));
	assert_null(psf_record_field(PSF_VM_CONFIG, "", 0));
	assert_null(psf_record_field(PSF_VM_CONFIG, "mac", 3));
	assert_null(psf_record_field(PSF_NIC_CONFIG, "memory-kib", 10));
	assert_null(psf_record_field(PSF_VM_CONFIG, "Power", 5));
	assert_null(psf_record_field(PSF_NAME, "uuid", 4));
	assert_null(psf_record_field(PSF_PAD, "uuid", 4));
	assert_null(psf_record_field(PSF_VM, "uuid", 4));
	assert_null(psf_record_field(VENDOR_S(0x200), "uuid", 4));
}

static void test_field_uint_widths(void **state)
{
	struct psf_node *vm = must_struct(PSF_VM_CONFIG, NULL, PSF_VMC_SIZE);
	struct psf_node *net = must_struct(PSF_NETWORK_CONFIG, NULL,
					   PSF_NETC_SIZE);
	struct psf_node *res = must_struct(PSF_RESERVATION_CONFIG, NULL, 0);
	struct psf_node *sto = must_struct(PSF_STORE_RECORD, NULL, 0);
	static const uint8_t le[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	uint8_t snap[PSF_VMC_SIZE];

	(void)state;
	/* u64: every value fits. */
	OK(psf_node_field_set(vm, "memory-kib", UINT64_MAX));
	assert_int_equal(get_field(vm, "memory-kib"), UINT64_MAX);
	OK(psf_node_field_set(vm, "memory-kib", 0x0102030405060708ull));
	assert_memory_equal(vm->data + PSF_VMC_MEMORY_KIB, le, 8);
	assert_int_equal(get_field(vm, "memory-kib"), 0x0102030405060708ull);
	/* u16. */
	OK(psf_node_field_set(vm, "vcpus", 65535));
	assert_int_equal(get_field(vm, "vcpus"), 65535);
	assert_int_equal(vm->data[PSF_VMC_VCPUS], 0xff);
	assert_int_equal(vm->data[PSF_VMC_VCPUS + 1], 0xff);
	OK(psf_node_field_set(vm, "vcpus", 0x1234));
	assert_int_equal(vm->data[PSF_VMC_VCPUS], 0x34);
	assert_int_equal(vm->data[PSF_VMC_VCPUS + 1], 0x12);
	memcpy(snap, vm->data, sizeof(snap));
	/* Too wide: refused, nothing written (not truncated). */
	assert_int_equal(psf_node_field_set(vm, "vcpus", 65536),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set(vm, "vcpus", 0x10000 | 0x0042),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set(vm, "sockets", UINT64_MAX),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set(vm, "pxe-nic", 1ull << 32),
			 PSF_ERR_BADVALUE);
	assert_int_equal(vm->len, PSF_VMC_SIZE);
	assert_memory_equal(vm->data, snap, sizeof(snap));
	assert_int_equal(get_field(vm, "vcpus"), 0x1234);
	/* u32 and u8 (a UINT named flags). */
	OK(psf_node_field_set(net, "mtu", 0xffffffffu));
	assert_int_equal(get_field(net, "mtu"), 0xffffffffu);
	assert_int_equal(psf_node_field_set(net, "mtu", 0x100000000ull),
			 PSF_ERR_BADVALUE);
	assert_int_equal(get_field(net, "mtu"), 0xffffffffu);
	OK(psf_node_field_set(net, "flags", 255));
	assert_int_equal(psf_node_field_set(net, "flags", 256),
			 PSF_ERR_BADVALUE);
	assert_int_equal(get_field(net, "flags"), 255);
	OK(psf_node_field_set(net, "vlan", 42));
	assert_int_equal(net->data[PSF_NETC_VLAN], 42);
	assert_int_equal(net->data[PSF_NETC_VLAN + 1], 0);
	assert_int_equal(net->len, PSF_NETC_SIZE);
	/* u64 at unaligned offsets (2 and 1). */
	OK(psf_node_field_set(res, "first", 0x8877665544332211ull));
	assert_int_equal(res->len, PSF_RESC_FIRST + 8);
	assert_int_equal(res->data[PSF_RESC_FIRST], 0x11);
	assert_int_equal(res->data[PSF_RESC_FIRST + 7], 0x88);
	assert_int_equal(get_field(res, "first"), 0x8877665544332211ull);
	assert_int_equal(get_field(res, "count"), 0);
	OK(psf_node_field_set(sto, "time", 1732262400));
	assert_int_equal(sto->len, PSF_STOC_SIZE);
	assert_int_equal(psf_le64(sto->data + PSF_STOC_TIME), 1732262400);
	assert_int_equal(get_field(sto, "writer-kind"), 0);
	/* Zero is a value too. */
	OK(psf_node_field_set(vm, "memory-kib", 0));
	assert_int_equal(get_field(vm, "memory-kib"), 0);
	psf_node_free(vm);
	psf_node_free(net);
	psf_node_free(res);
	psf_node_free(sto);
}

static void test_field_enum_flags(void **state)
{
	struct psf_node *vm = must_struct(PSF_VM_CONFIG, NULL, PSF_VMC_SIZE);
	struct psf_node *nic = must_struct(PSF_NIC_CONFIG, NULL, 0);
	struct psf_node *ctl = must_struct(PSF_CONTROLLER_CONFIG, NULL, 0);

	(void)state;
	OK(psf_node_field_set(vm, "power", PSF_POWER_ON));
	assert_int_equal(vm->data[PSF_VMC_POWER], PSF_POWER_ON);
	assert_int_equal(get_field(vm, "power"), PSF_POWER_ON);
	OK(psf_node_field_set(vm, "power", PSF_POWER_LAST));
	assert_int_equal(get_field(vm, "power"), PSF_POWER_LAST);
	/* Values without a name are still values. */
	OK(psf_node_field_set(vm, "power", 255));
	assert_int_equal(get_field(vm, "power"), 255);
	assert_int_equal(psf_node_field_set(vm, "power", 256),
			 PSF_ERR_BADVALUE);
	assert_int_equal(get_field(vm, "power"), 255);
	OK(psf_node_field_set(vm, "pxe", PSF_PXE_ON));
	assert_int_equal(vm->data[PSF_VMC_PXE], 1);
	/* Flags. */
	OK(psf_node_field_set(nic, "flags", PSF_NICF_LINK_DOWN));
	assert_int_equal(nic->len, PSF_NICC_SIZE);
	assert_int_equal(nic->data[PSF_NICC_FLAGS], PSF_NICF_LINK_DOWN);
	OK(psf_node_field_set(nic, "model", PSF_NIC_MODEL_E1000));
	assert_int_equal(get_field(nic, "model"), PSF_NIC_MODEL_E1000);
	assert_int_equal(get_field(nic, "flags"), PSF_NICF_LINK_DOWN);
	OK(psf_node_field_set(ctl, "flags",
			      PSF_CTLF_BOOTABLE | PSF_CTLF_READONLY | 0x80));
	assert_int_equal(ctl->len, 2);
	assert_int_equal(get_field(ctl, "flags"), 0x83);
	assert_int_equal(psf_node_field_set(ctl, "flags", 0x100),
			 PSF_ERR_BADVALUE);
	OK(psf_node_field_set(ctl, "bus", PSF_BUS_SATA));
	assert_int_equal(ctl->len, PSF_CTLC_SIZE);
	assert_int_equal(ctl->data[PSF_CTLC_BUS], PSF_BUS_SATA);
	assert_int_equal(get_field(ctl, "media"), PSF_MEDIA_DISK);
	psf_node_free(vm);
	psf_node_free(nic);
	psf_node_free(ctl);
}

static void test_field_errors(void **state)
{
	struct psf_node *vm = must_cont(PSF_VM);
	struct psf_node *cfg = add_struct(vm, PSF_VM_CONFIG, NULL, 20);
	struct psf_node *name = add_struct(vm, PSF_NAME, "web", 3);
	struct psf_node *pad = add_struct(vm, PSF_PAD, NULL, 40);
	struct psf_node *unk = add_struct(vm, VENDOR_S(0x200), NULL, 40);
	struct psf_node *list = add_struct(vm, PSF_MAC_LIST, NULL, 12);
	struct psf_node *nonrec[] = { name, pad, unk, list };
	uint8_t b16[16] = { 0 }, snap[20];
	uint64_t v = 77;
	size_t i;

	(void)state;
	cfg->data[5] = 0x55;
	memcpy(snap, cfg->data, sizeof(snap));
	/* A container: NOTSTRUCT. */
	assert_int_equal(psf_node_field_get(vm, "power", &v), PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_node_field_set(vm, "power", 1), PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_node_field_get_bytes(vm, "uuid", b16, 16),
			 PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_node_field_set_bytes(vm, "uuid", b16, 16),
			 PSF_ERR_NOTSTRUCT);
	/* Not a record the schema knows: BADVALUE, payload untouched. */
	for (i = 0; i < sizeof(nonrec) / sizeof(nonrec[0]); i++) {
		uint32_t len = nonrec[i]->len;

		assert_int_equal(psf_node_field_get(nonrec[i], "power", &v),
				 PSF_ERR_BADVALUE);
		assert_int_equal(psf_node_field_set(nonrec[i], "power", 1),
				 PSF_ERR_BADVALUE);
		assert_int_equal(psf_node_field_get_bytes(nonrec[i], "uuid",
							  b16, 16),
				 PSF_ERR_BADVALUE);
		assert_int_equal(psf_node_field_set_bytes(nonrec[i], "uuid",
							  b16, 16),
				 PSF_ERR_BADVALUE);
		assert_int_equal(nonrec[i]->len, len);
	}
	assert_memory_equal(name->data, "web", 3);
	/* Unknown field names: NOTFOUND. */
	assert_int_equal(psf_node_field_get(cfg, "nope", &v), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_node_field_set(cfg, "nope", 1), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_node_field_set(cfg, "", 1), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_node_field_set(cfg, "mac", 1), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_node_field_set(cfg, "memory", 1),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(psf_node_field_get_bytes(cfg, "mac", b16, 6),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(psf_node_field_set_bytes(cfg, "nope", b16, 1),
			 PSF_ERR_NOTFOUND);
	/* Integer access to identifiers: BADVALUE. */
	assert_int_equal(psf_node_field_get(cfg, "uuid", &v), PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set(cfg, "uuid", 0), PSF_ERR_BADVALUE);
	/* Wrong sizes for bytes: BADVALUE. */
	assert_int_equal(psf_node_field_set_bytes(cfg, "uuid", b16, 15),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set_bytes(cfg, "memory-kib", b16, 4),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set_bytes(cfg, "power", b16, 0),
			 PSF_ERR_BADVALUE);
	/* None of that touched the record, not even its length (20, so the
	 * fields past it would have grown it). */
	assert_int_equal(cfg->len, 20);
	assert_memory_equal(cfg->data, snap, sizeof(snap));
	assert_int_equal(v, 77);
	LINKS_OK(vm);
	psf_node_free(vm);
}

/* Setting a field past the payload zero-extends to the field's end; the
 * payload never shrinks; bytes past the field stay. */
static void test_field_set_extends(void **state)
{
	static const uint8_t tail[16] = {
		0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d,
		1, 2, 3, 4, 5, 6, 7, 8,
	};
	uint8_t big[PSF_VMC_SIZE + 16], uuid[16];
	struct psf_node *n;
	uint32_t i;

	(void)state;
	/* Empty record: grows to each field's end, zeros before it. */
	n = must_struct(PSF_VM_CONFIG, NULL, 0);
	OK(psf_node_field_set(n, "power", PSF_POWER_ON));
	assert_int_equal(n->len, PSF_VMC_POWER + 1);
	for (i = 0; i < PSF_VMC_POWER; i++)
		assert_int_equal(n->data[i], 0);
	assert_int_equal(n->data[PSF_VMC_POWER], 1);
	OK(psf_node_field_set(n, "vcpus", 3));      /* inside: no growth */
	assert_int_equal(n->len, PSF_VMC_POWER + 1);
	OK(psf_node_field_set(n, "pxe-nic", 0));    /* zero still grows */
	assert_int_equal(n->len, PSF_VMC_SIZE);
	assert_int_equal(get_field(n, "power"), PSF_POWER_ON);
	assert_int_equal(get_field(n, "vcpus"), 3);
	psf_node_free(n);

	/* Unknown trailing bytes stay, whatever is set. */
	memset(big, 0, sizeof(big));
	memcpy(big + PSF_VMC_SIZE, tail, sizeof(tail));
	n = must_struct(PSF_VM_CONFIG, big, sizeof(big));
	for (i = 0; i < 16; i++)
		uuid[i] = (uint8_t)(0xa0 + i);
	OK(psf_node_field_set_bytes(n, "uuid", uuid, 16));
	OK(psf_node_field_set(n, "memory-kib", 1048576));
	OK(psf_node_field_set(n, "pxe-nic", 0xffff));
	OK(psf_node_field_set(n, "power", PSF_POWER_LAST));
	assert_int_equal(n->len, sizeof(big));
	assert_memory_equal(n->data + PSF_VMC_SIZE, tail, sizeof(tail));
	assert_memory_equal(n->data, uuid, 16);
	assert_int_equal(get_field(n, "memory-kib"), 1048576);
	assert_int_equal(get_field(n, "pxe-nic"), 0xffff);
	assert_int_equal(get_field(n, "vcpus"), 0);
	psf_node_free(n);

	/* Cut at a field boundary (uuid + memory): the fields present keep
	 * their bytes when a later field grows the record. */
	for (i = 0; i < 24; i++)
		big[i] = (uint8_t)(i + 1);
	n = must_struct(PSF_VM_CONFIG, big, 24);
	OK(psf_node_field_set(n, "threads", 2));
	assert_int_equal(n->len, PSF_VMC_THREADS + 2);
	assert_memory_equal(n->data, big, 24);
	for (i = 24; i < PSF_VMC_THREADS; i++)
		assert_int_equal(n->data[i], 0);
	assert_int_equal(get_field(n, "threads"), 2);
	psf_node_free(n);

	/* nic-config: bytes setters grow the same way. */
	n = must_struct(PSF_NIC_CONFIG, NULL, 0);
	OK(psf_node_field_set_bytes(n, "mac",
				    "\x52\x54\x00\x12\x34\x56", 6));
	assert_int_equal(n->len, 6);
	OK(psf_node_field_set(n, "flags", PSF_NICF_LINK_DOWN));
	assert_int_equal(n->len, 8);
	assert_int_equal(n->data[PSF_NICC_MODEL], 0);
	assert_memory_equal(n->data, "\x52\x54\x00\x12\x34\x56", 6);
	psf_node_free(n);

	/* A longer-than-known record never shrinks. */
	n = must_struct(PSF_CONTROLLER_CONFIG, NULL, 40);
	OK(psf_node_field_set(n, "media", PSF_MEDIA_CDROM));
	assert_int_equal(n->len, 40);
	psf_node_free(n);
}

/* docs/format.md section 6 rule 2: a field wholly or partly past the stored
 * length reads as its default, zero. */
static void test_field_partial_reads_default(void **state)
{
	uint8_t p[40], out[16], zero[16] = { 0 };
	struct psf_node *n;
	size_t nd, i;
	const struct psf_elem_desc *all = psf_schema_all(&nd);
	uint32_t len, k;

	(void)state;
	for (i = 0; i < 16; i++)
		p[i] = (uint8_t)(i + 1);
	memset(p + 16, 0xab, sizeof(p) - 16);
	/* memory-kib is bytes 16..23: 4 of them stored. */
	n = must_struct(PSF_VM_CONFIG, p, 20);
	assert_int_equal(get_field(n, "memory-kib"), 0);
	memset(out, 0x5a, sizeof(out));
	OK(psf_node_field_get_bytes(n, "memory-kib", out, 8));
	assert_memory_equal(out, zero, 8);
	OK(psf_node_field_get_bytes(n, "uuid", out, 16));
	assert_memory_equal(out, p, 16);
	assert_int_equal(get_field(n, "vcpus"), 0);
	assert_int_equal(get_field(n, "power"), 0);
	psf_node_free(n);
	/* vcpus with one byte of two. */
	n = must_struct(PSF_VM_CONFIG, p, 25);
	assert_int_equal(get_field(n, "memory-kib"), 0xababababababababull);
	assert_int_equal(get_field(n, "vcpus"), 0);
	psf_node_free(n);
	/* A MAC with 3 bytes of 6. */
	n = must_struct(PSF_NIC_CONFIG, p, 3);
	memset(out, 0x5a, sizeof(out));
	OK(psf_node_field_get_bytes(n, "mac", out, 6));
	assert_memory_equal(out, zero, 6);
	psf_node_free(n);

	/* Every field of every record at every stored length agrees with
	 * the core's psf_field_uint / psf_field_bytes. */
	for (i = 0; i < nd; i++) {
		if (all[i].kind != PSF_KIND_RECORD)
			continue;
		for (len = 0; len <= pstt_record_size(&all[i]) + 2; len++) {
			for (k = 0; k < len; k++)
				p[k] = (uint8_t)(0x11 * (k + 1) + len);
			n = must_struct(all[i].sig, p, len);
			for (k = 0; k < all[i].nfields; k++) {
				const struct psf_field_desc *f =
					&all[i].fields[k];
				uint8_t want[16];

				psf_field_bytes(p, len, f->off, want,
						f->width);
				OK(psf_node_field_get_bytes(n, f->name, out,
							    f->width));
				assert_memory_equal(out, want, f->width);
				if (f->type != PSF_FT_UUID &&
				    f->type != PSF_FT_MAC)
					assert_int_equal(
						get_field(n, f->name),
						psf_field_uint(p, len, f->off,
							       f->width));
				if ((uint32_t)f->off + f->width > len)
					assert_memory_equal(out, zero,
							    f->width);
			}
			psf_node_free(n);
		}
	}
}

/*
 * Setting one field changes what that field reads and nothing else: every
 * other field reads as before, the length becomes max(len, field end), and
 * the bytes past every known field stay.  Stored lengths cut in the middle
 * of fields included: a cut field reads as its default (rule 2), and must
 * still read so after a later field grew the record past it.
 */
static void test_field_set_keeps_other_fields(void **state)
{
	size_t nd, i;
	const struct psf_elem_desc *all = psf_schema_all(&nd);
	unsigned failures = 0;
	char first[200] = "";

	(void)state;
	for (i = 0; i < nd; i++) {
		const struct psf_elem_desc *d = &all[i];
		uint32_t known, len, k, g, j;

		if (d->kind != PSF_KIND_RECORD)
			continue;
		known = pstt_record_size(d);
		for (len = 0; len <= known + 3; len++) {
			for (k = 0; k < d->nfields; k++) {
				const struct psf_field_desc *f = &d->fields[k];
				uint8_t p[64], val[16], out[16];
				uint8_t before[16][16];
				uint32_t end = (uint32_t)f->off + f->width;
				struct psf_node *n;

				for (j = 0; j < len; j++)
					p[j] = (uint8_t)(0x5b + 7 * j);
				n = must_struct(d->sig, p, len);
				for (g = 0; g < d->nfields; g++)
					OK(psf_node_field_get_bytes(
						n, d->fields[g].name,
						before[g], d->fields[g].width));
				for (j = 0; j < f->width; j++)
					val[j] = (uint8_t)(0xc1 + j);
				if (f->names)   /* a value with a name */
					val[0] = f->names[0].value == 0 &&
						 f->names[1].name ?
						 f->names[1].value :
						 f->names[0].value;
				OK(psf_node_field_set_bytes(n, f->name, val,
							    f->width));
				assert_int_equal(n->len,
						 len > end ? len : end);
				OK(psf_node_field_get_bytes(n, f->name, out,
							    f->width));
				assert_memory_equal(out, val, f->width);
				for (j = known; j < len; j++)
					assert_int_equal(n->data[j], p[j]);
				for (g = 0; g < d->nfields; g++) {
					const struct psf_field_desc *o =
						&d->fields[g];

					if (g == k)
						continue;
					OK(psf_node_field_get_bytes(
						n, o->name, out, o->width));
					if (memcmp(out, before[g], o->width)) {
						if (!failures++)
							snprintf(first,
								 sizeof(first),
								 "%s of %u bytes: "
								 "setting '%s' "
								 "changed '%s'",
								 d->name, len,
								 f->name,
								 o->name);
					}
				}
				psf_node_free(n);
			}
		}
	}
	if (failures)
		fail_msg("%u cases where setting a field changed another "
			 "field's value; first: %s", failures, first);
}

static void test_field_bytes(void **state)
{
	static const uint8_t uuid[16] = {
		0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
		0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
	};
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct psf_node *vm = must_struct(PSF_VM_CONFIG, NULL, 0);
	struct psf_node *prof = must_struct(PSF_PROFILE_CONFIG, NULL, 0);
	struct psf_node *nic = must_struct(PSF_NIC_CONFIG, NULL, 0);
	uint8_t out[17], le[8];

	(void)state;
	/* Absent: zeros. */
	memset(out, 0x5a, sizeof(out));
	OK(psf_node_field_get_bytes(vm, "uuid", out, 16));
	for (int i = 0; i < 16; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[16], 0x5a);  /* exactly size bytes */
	/* UUID: stored in canonical order, byte for byte. */
	OK(psf_node_field_set_bytes(vm, "uuid", uuid, 16));
	assert_int_equal(vm->len, 16);
	assert_memory_equal(vm->data, uuid, 16);
	OK(psf_node_field_get_bytes(vm, "uuid", out, 16));
	assert_memory_equal(out, uuid, 16);
	OK(psf_node_field_set_bytes(prof, "uuid", uuid, 16));
	OK(psf_node_field_set(prof, "state", PSF_PROFILE_ASSIGNED));
	assert_int_equal(prof->len, 17);
	/* MAC. */
	OK(psf_node_field_set_bytes(nic, "mac", mac, 6));
	OK(psf_node_field_get_bytes(nic, "mac", out, 6));
	assert_memory_equal(out, mac, 6);
	/* Integers as little-endian bytes, both ways. */
	OK(psf_node_field_set(vm, "memory-kib", 0x1122334455667788ull));
	OK(psf_node_field_get_bytes(vm, "memory-kib", out, 8));
	psf_put_le64(le, 0x1122334455667788ull);
	assert_memory_equal(out, le, 8);
	psf_put_le16(le, 0xbeef);
	OK(psf_node_field_set_bytes(vm, "vcpus", le, 2));
	assert_int_equal(get_field(vm, "vcpus"), 0xbeef);
	OK(psf_node_field_set_bytes(vm, "power", "\x02", 1));
	assert_int_equal(get_field(vm, "power"), PSF_POWER_LAST);
	/* Sizes must match the width exactly. */
	assert_int_equal(psf_node_field_get_bytes(vm, "uuid", out, 15),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_get_bytes(vm, "uuid", out, 17),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set_bytes(vm, "uuid", out, 17),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_get_bytes(nic, "mac", out, 8),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_set_bytes(nic, "mac", out, 5),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_get_bytes(vm, "memory-kib", out, 4),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_node_field_get_bytes(vm, "power", out, 0),
			 PSF_ERR_BADVALUE);
	OK(psf_node_field_get_bytes(vm, "uuid", out, 16));
	assert_memory_equal(out, uuid, 16);
	assert_int_equal(nic->len, 6);
	psf_node_free(vm);
	psf_node_free(prof);
	psf_node_free(nic);
}

/* ================================================================ trees */

static void test_tree_new_free(void **state)
{
	struct psf_tree *t;
	uint8_t *b, *e;
	size_t n, en;

	(void)state;
	psf_tree_free(NULL);
	t = psf_tree_new(PSF_ROOT);
	assert_non_null(t);
	assert_int_equal(t->minor, PSF_FORMAT_MINOR);
	assert_int_equal(t->schema_version, PSF_SCHEMA_VERSION);
	assert_int_equal(t->flags, 0);
	assert_non_null(t->root);
	assert_int_equal(t->root->sig, PSF_ROOT);
	assert_null(t->root->parent);
	assert_null(t->root->first);
	assert_int_equal(t->root->nchildren, 0);
	/* The empty store: the golden vector, byte for byte. */
	assert_int_equal(psf_tree_packed_size(t), 44);
	b = must_pack(t, &n);
	e = must_load("valid-empty-root", &en);
	assert_int_equal(n, en);
	assert_memory_equal(b, e, n);
	free(b);
	free(e);
	psf_tree_free(t);
	/* Any container signature may be the root. */
	t = psf_tree_new(VENDOR_C(1));
	assert_non_null(t);
	assert_int_equal(t->root->sig, VENDOR_C(1));
	b = must_pack(t, &n);
	assert_int_equal(psf_le32(b + 32), VENDOR_C(1));
	free(b);
	psf_tree_free(t);
	/* Structures may not. */
	assert_null(psf_tree_new(PSF_NAME));
	assert_null(psf_tree_new(PSF_PAD));
	assert_null(psf_tree_new(0x7fffffffu));
}

/* Every valid vector: unpack describes the store exactly and packs back to
 * the store's bytes (its first total_length bytes). */
static void test_unpack_valid_vectors(void **state)
{
	int i, count = 0;

	(void)state;
	assert_true(nvecs > 0);
	for (i = 0; i < nvecs; i++) {
		struct psf_tree *t = NULL;
		struct psft_stats st;
		uint8_t *b, *p, *big;
		size_t n, pn, nodes;
		uint32_t total, off = 0xdeadbeef;

		if (!vecs[i].valid)
			continue;
		b = must_load(vecs[i].name, &n);
		total = psf_total(b);
		if (psf_tree_unpack(b, n, &t, &off) != PSF_OK)
			fail_msg("%s: unpack failed", vecs[i].name);
		assert_int_equal(t->minor, b[PSF_HDR_MINOR]);
		assert_int_equal(t->schema_version, psf_schema_version(b));
		assert_int_equal(t->flags, psf_flags(b));
		if (pstt_tree_matches_store(t, b))
			fail_msg("%s: %s", vecs[i].name, pstt_msg);
		if (pstt_links_ok(t->root, &nodes))
			fail_msg("%s: %s", vecs[i].name, pstt_msg);
		assert_int_equal(psft_walk(b, &st), 0);
		assert_int_equal(nodes, st.elements);
		OK(psf_tree_check(t));
		assert_int_equal(psf_tree_packed_size(t), total);
		p = must_pack(t, &pn);
		if (pn != total || memcmp(p, b, total) != 0)
			fail_msg("%s: pack(unpack(v)) differs from v",
				 vecs[i].name);
		free(p);
		/* Exactly total bytes of room suffice; one fewer does not. */
		big = malloc(total + 16);
		assert_non_null(big);
		memset(big, 0xa5, total + 16);
		assert_int_equal(psf_tree_pack(t, big, total), (int)total);
		assert_memory_equal(big, b, total);
		assert_int_equal(big[total], 0xa5);
		assert_int_equal(psf_tree_pack(t, big, total - 1),
				 PSF_ERR_NOSPACE);
		free(big);
		psf_tree_free(t);
		/* A buffer exactly total long unpacks the same. */
		t = NULL;
		OK(psf_tree_unpack(b, total, &t, NULL));
		p = must_pack(t, &pn);
		assert_memory_equal(p, b, total);
		free(p);
		psf_tree_free(t);
		free(b);
		count++;
	}
	assert_true(count >= 11);
}

/* Every invalid vector: unpack fails with psf_check_full's code and bad
 * offset (and the MANIFEST's), and leaves *out alone. */
static void test_unpack_invalid_vectors(void **state)
{
	struct psf_tree sentinel;
	int i, count = 0;

	(void)state;
	for (i = 0; i < nvecs; i++) {
		struct psf_tree *t = &sentinel;
		uint32_t off = 0xdeadbeef, coff = 0xdeadbeef;
		uint8_t *b;
		size_t n;
		int rc, crc;

		if (vecs[i].valid)
			continue;
		b = must_load(vecs[i].name, &n);
		crc = psf_check_full(b, n, &coff);
		rc = psf_tree_unpack(b, n, &t, &off);
		if (rc != crc || rc != vecs[i].err)
			fail_msg("%s: unpack %s, check_full %s, manifest %s",
				 vecs[i].name, psft_errname(rc),
				 psft_errname(crc), vecs[i].errname);
		assert_int_equal(off, coff);
		assert_int_equal(off, vecs[i].off);
		assert_ptr_equal(t, &sentinel);
		/* bad_off may be NULL. */
		assert_int_equal(psf_tree_unpack(b, n, &t, NULL), rc);
		assert_ptr_equal(t, &sentinel);
		free(b);
		count++;
	}
	assert_true(count >= 26);
}

/* Body bytes of valid stores changed one at a time, CRCs repaired:
 * unpack agrees with psf_check_full on every result, and whatever unpacks
 * packs back to the same bytes. */
static void test_unpack_mutations(void **state)
{
	static const char *const names[] = {
		"valid-schema-sample", "valid-unknown-namespaces",
		"valid-pads", "valid-max-depth",
	};
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	size_t v, k;
	unsigned ok = 0, bad = 0;

	(void)state;
	for (v = 0; v < sizeof(names) / sizeof(names[0]); v++) {
		size_t n;
		uint8_t *orig = must_load(names[v], &n);
		uint32_t total = psf_total(orig), pos;
		uint8_t *b = malloc(total);

		assert_non_null(b);
		for (pos = PSF_HEADER_SIZE; pos < total; pos++) {
			for (k = 0; k < sizeof(flips); k++) {
				struct psf_tree *t = NULL;
				uint32_t off = 0, coff = 0;
				int rc, crc;

				memcpy(b, orig, total);
				b[pos] ^= flips[k];
				psf_put_le32(b + PSF_HDR_BODY_CRC,
					     psf_crc32c(0, b + PSF_HEADER_SIZE,
							total - PSF_HEADER_SIZE));
				psf_put_le32(b + PSF_HDR_HEADER_CRC,
					     psf_crc32c(0, b,
							PSF_HDR_HEADER_CRC));
				crc = psf_check_full(b, total, &coff);
				rc = psf_tree_unpack(b, total, &t, &off);
				if (rc != crc)
					fail_msg("%s byte %u ^ %02x: unpack %s, "
						 "check_full %s", names[v], pos,
						 flips[k], psft_errname(rc),
						 psft_errname(crc));
				if (rc != PSF_OK) {
					assert_int_equal(off, coff);
					bad++;
					continue;
				}
				{
					size_t pn;
					uint8_t *p = must_pack(t, &pn);

					if (pn != total ||
					    memcmp(p, b, total) != 0)
						fail_msg("%s byte %u ^ %02x: "
							 "repack differs",
							 names[v], pos,
							 flips[k]);
					free(p);
				}
				psf_tree_free(t);
				ok++;
			}
		}
		free(b);
		free(orig);
	}
	/* Both outcomes happened many times. */
	assert_true(ok > 1000);
	assert_true(bad > 100);
}

/* docs/format.md section 9, built with the node API: the exact bytes the
 * document lists, CRCs included. */
static void test_pack_exact_bytes(void **state)
{
	static const uint8_t doc[89] = {
		0x89, 0x70, 0x73, 0x74, 0x61, 0x74, 0x65, 0x1a,
		0x01, 0x00, 0x20, 0x00,
		0x01, 0x00, 0x00, 0x00,
		0x59, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
		0x00, 0xd6, 0x68, 0x7e,
		0xc2, 0x1f, 0xe8, 0xcc,
		0x00, 0x01, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00,
		0x2d, 0x00, 0x00, 0x00,
		0x01, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00,
		0x17, 0x00, 0x00, 0x00,
		0x02, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00,
		0x0b, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
		0x76, 0x6d, 0x31,
		0x07, 0x00, 0x23, 0x01, 0x02, 0x00, 0x00, 0x00,
		0xab, 0xcd,
	};
	/* A pad, an empty container, an empty structure, may-ignore flags,
	 * minor 3, schema 0x01020304: hand-encoded, CRCs computed here. */
	static const uint8_t body2[] = {
		0x00, 0x01, 0x00, 0x80, 0x03, 0x00, 0x00, 0x00,
		0x1e, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x0b, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct psf_tree *t = psf_tree_new(PSF_ROOT);
	struct psf_node *vm;
	uint8_t buf[160], want[160];
	size_t n;
	uint8_t *p, *e;
	int rc;

	(void)state;
	assert_non_null(t);
	vm = add_cont(add_cont(t->root, PSF_VMS), PSF_VM);
	OK(psf_node_set_string(vm, PSF_NAME, "vm1", 3));
	add_struct(t->root, PSF_SIG(0, 0x0123, 0x0007), "\xab\xcd", 2);
	assert_int_equal(psf_tree_packed_size(t), 89);
	memset(buf, 0xee, sizeof(buf));
	rc = psf_tree_pack(t, buf, sizeof(buf));
	assert_int_equal(rc, 89);
	assert_memory_equal(buf, doc, 89);
	assert_int_equal(buf[89], 0xee);  /* nothing past the store */
	e = must_load("valid-doc-example", &n);
	assert_memory_equal(e, doc, 89);
	free(e);
	p = must_pack(t, &n);
	assert_int_equal(n, 89);
	assert_memory_equal(p, doc, 89);
	free(p);
	psf_tree_free(t);

	t = psf_tree_new(PSF_ROOT);
	assert_non_null(t);
	t->minor = 3;
	t->schema_version = 0x01020304u;
	t->flags = 0x80010000u;
	add_struct(t->root, PSF_PAD, NULL, 2);
	add_cont(t->root, PSF_IMAGES);
	add_struct(t->root, PSF_DESCRIPTION, NULL, 0);
	memset(want, 0, sizeof(want));
	memcpy(want, PSF_MAGIC, 8);
	want[8] = 1;
	want[9] = 3;
	want[10] = 32;
	psf_put_le32(want + 12, 0x01020304u);
	psf_put_le32(want + 16, 32 + sizeof(body2));
	psf_put_le32(want + 20, 0x80010000u);
	memcpy(want + 32, body2, sizeof(body2));
	psf_put_le32(want + 24, psf_crc32c(0, body2, sizeof(body2)));
	psf_put_le32(want + 28, psf_crc32c(0, want, 28));
	rc = psf_tree_pack(t, buf, sizeof(buf));
	assert_int_equal(rc, 32 + (int)sizeof(body2));
	assert_memory_equal(buf, want, 32 + sizeof(body2));
	psf_tree_free(t);
}

static void test_pack_errors(void **state)
{
	struct psf_tree *t = psf_tree_new(PSF_ROOT);
	struct psf_node *n, *saved, *big;
	uint8_t buf[256];
	uint8_t *p;
	void *vp;
	size_t size, i;
	int bit, depth;

	(void)state;
	assert_non_null(t);
	add_struct(add_cont(t->root, PSF_VMS), PSF_NAME, "0123456789", 10);
	size = psf_tree_packed_size(t);
	assert_int_equal(size, 32 + 12 + 12 + 18);

	/* NOSPACE: nothing is written. */
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(psf_tree_pack(t, buf, size - 1), PSF_ERR_NOSPACE);
	assert_int_equal(psf_tree_pack(t, buf, 0), PSF_ERR_NOSPACE);
	assert_int_equal(psf_tree_pack(t, NULL, 0), PSF_ERR_NOSPACE);
	assert_int_equal(psf_tree_pack(t, buf, 32), PSF_ERR_NOSPACE);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
	assert_int_equal(psf_tree_pack(t, buf, size), (int)size);
	OK(psf_check_full(buf, size, NULL));

	/* BADFLAGS for each must-understand bit; the others are kept. */
	for (bit = 0; bit < 32; bit++) {
		t->flags = 1u << bit;
		if (bit < 16) {
			assert_int_equal(psf_tree_check(t), PSF_ERR_BADFLAGS);
			assert_int_equal(psf_tree_packed_size(t), 0);
			assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)),
					 PSF_ERR_BADFLAGS);
		} else {
			OK(psf_tree_check(t));
			assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)),
					 (int)size);
			assert_int_equal(psf_flags(buf), 1u << bit);
			OK(psf_check_full(buf, size, NULL));
		}
	}
	t->flags = 0xffff0001u;
	assert_int_equal(psf_tree_pack(t, buf, 0), PSF_ERR_BADFLAGS);
	t->flags = 0xffff0000u;
	OK(psf_tree_check(t));
	t->flags = 0;

	/* BADROOT: no root, or a structure as root. */
	saved = t->root;
	t->root = NULL;
	assert_int_equal(psf_tree_check(t), PSF_ERR_BADROOT);
	assert_int_equal(psf_tree_packed_size(t), 0);
	assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)), PSF_ERR_BADROOT);
	n = must_struct(PSF_NAME, "x", 1);
	t->root = n;
	assert_int_equal(psf_tree_check(t), PSF_ERR_BADROOT);
	assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)), PSF_ERR_BADROOT);
	t->root = saved;
	psf_node_free(n);
	assert_int_equal(psf_tree_check(NULL), PSF_ERR_BADROOT);
	assert_int_equal(psf_tree_packed_size(NULL), 0);

	/* TOODEEP: 16 containers pack, 17 do not, whatever the room. */
	for (n = t->root, depth = 1; depth < (int)PSF_MAX_DEPTH; depth++)
		n = add_cont(n, SITE_C(depth));
	add_struct(n, PSF_NAME, "bottom", 6);  /* structures add no depth */
	OK(psf_tree_check(t));
	p = must_pack(t, &size);
	assert_int_equal(psf_check_full(p, size, NULL), PSF_OK);
	free(p);
	n = add_cont(n, SITE_C(99));
	assert_int_equal(psf_tree_check(t), PSF_ERR_TOODEEP);
	assert_int_equal(psf_tree_packed_size(t), 0);
	assert_int_equal(psf_tree_pack(t, buf, 0), PSF_ERR_TOODEEP);
	assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)), PSF_ERR_TOODEEP);
	vp = &size;
	assert_int_equal(psf_tree_pack_alloc(t, &vp, &size), PSF_ERR_TOODEEP);
	assert_ptr_equal(vp, &size);  /* *out untouched */
	psf_node_free(n);
	OK(psf_tree_check(t));
	psf_node_free(t->root->last);

	/* TOOLARGE: exactly PSF_MAX_TOTAL packs, one byte more does not. */
	big = add_struct(t->root, PSF_PAD, NULL,
			 PSF_MAX_TOTAL - PSF_HEADER_SIZE -
			 PSF_CONTAINER_HDR * 2 - PSF_STRUCT_HDR * 2 - 10);
	assert_int_equal(psf_tree_packed_size(t), PSF_MAX_TOTAL);
	p = must_pack(t, &size);
	assert_int_equal(size, PSF_MAX_TOTAL);
	free(p);
	OK(psf_node_set_payload(big, NULL, big->len + 1));
	assert_int_equal(psf_tree_check(t), PSF_ERR_TOOLARGE);
	assert_int_equal(psf_tree_packed_size(t), 0);
	assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)), PSF_ERR_TOOLARGE);
	/* Many small elements past the limit too. */
	OK(psf_node_set_payload(big, NULL, PSF_MAX_TOTAL - 100));
	OK(psf_tree_check(t));
	for (i = 0; i < 10; i++)
		add_struct(t->root, PSF_PAD, NULL, 0);
	assert_int_equal(psf_tree_check(t), PSF_ERR_TOOLARGE);
	psf_tree_free(t);
}

static void test_pack_alloc(void **state)
{
	struct psf_tree *t = psf_tree_new(PSF_ROOT), *u = NULL;
	void *out = NULL;
	size_t size = 0;
	uint8_t buf[128];

	(void)state;
	assert_non_null(t);
	add_struct(t->root, PSF_NAME, "abc", 3);
	OK(psf_tree_pack_alloc(t, &out, &size));
	assert_non_null(out);
	assert_int_equal(size, psf_tree_packed_size(t));
	assert_int_equal(size, 32 + 12 + 11);
	assert_int_equal(psf_tree_pack(t, buf, sizeof(buf)), (int)size);
	assert_memory_equal(out, buf, size);
	OK(psf_check_full(out, size, NULL));
	OK(psf_tree_unpack(out, size, &u, NULL));
	assert_int_equal(pstt_nodes_equal(t->root, u->root), 0);
	free(out);
	psf_tree_free(u);
	/* Errors leave *out and *size alone. */
	t->flags = 0x8000u;
	out = buf;
	size = 7;
	assert_int_equal(psf_tree_pack_alloc(t, &out, &size), PSF_ERR_BADFLAGS);
	assert_ptr_equal(out, buf);
	assert_int_equal(size, 7);
	psf_tree_free(t);
}

/* ================================================== lossless editing */

/* Unpack name, apply edit, pack: every foreign element (pad, unknown
 * signature, other namespace) keeps its bytes and its position. */
static uint8_t *edit_and_compare(const char *name,
				 void (*edit)(struct psf_tree *), size_t *outn,
				 size_t min_foreign)
{
	struct pstt_foreign_list before, after;
	struct psf_tree *t;
	uint8_t *b, *p;
	size_t n, pn;

	b = must_load(name, &n);
	if (pstt_foreign_list(b, &before))
		fail_msg("%s: %s", name, pstt_msg);
	if (before.n < min_foreign)
		fail_msg("%s: only %zu foreign elements", name, before.n);
	t = must_unpack(b, n);
	edit(t);
	LINKS_OK(t->root);
	p = must_pack(t, &pn);
	if (pn == psf_total(b) && memcmp(p, b, pn) == 0)
		fail_msg("%s: the edit changed nothing", name);
	if (pstt_foreign_list(p, &after))
		fail_msg("%s: %s", name, pstt_msg);
	if (pstt_foreign_same(&before, &after))
		fail_msg("%s: %s", name, pstt_msg);
	pstt_foreign_free(&before);
	pstt_foreign_free(&after);
	psf_tree_free(t);
	free(b);
	*outn = pn;
	return p;
}

static struct psf_node *vm_named(struct psf_tree *t, const char *name)
{
	struct psf_node *vms = psf_node_find(t->root, PSF_VMS, NULL);
	struct psf_node *vm;

	assert_non_null(vms);
	vm = psf_node_find_named(vms, PSF_VM, name, strlen(name));
	assert_non_null(vm);
	return vm;
}

static void edit_unknown_ns(struct psf_tree *t)
{
	struct psf_node *vm = vm_named(t, "vm1"), *cfg, *vm2;

	/* Longer name: everything after it moves. */
	OK(psf_node_set_string(vm, PSF_NAME, "vm1-renamed-longer", 18));
	OK(psf_node_set_string(vm, PSF_HOSTNAME, "vm1.example", 11));
	cfg = add_struct(vm, PSF_VM_CONFIG, NULL, 0);
	OK(psf_node_field_set(cfg, "memory-kib", 1048576));
	OK(psf_node_field_set(cfg, "power", PSF_POWER_ON));
	vm2 = add_cont(vm->parent, PSF_VM);
	OK(psf_node_set_string(vm2, PSF_NAME, "vm2", 3));
	add_cont(t->root, PSF_NETWORKS);
}

static void edit_pads(struct psf_tree *t)
{
	struct psf_node *vms = psf_node_find(t->root, PSF_VMS, NULL);
	struct psf_node *vm;

	assert_non_null(vms);
	vm = psf_node_find(vms, PSF_VM, NULL);
	assert_non_null(vm);
	OK(psf_node_set_string(vm, PSF_NAME, "x", 1));  /* shorter */
	OK(psf_node_set_string(vm, PSF_DESCRIPTION, "new", 3));
	add_cont(vms, PSF_VM);
}

static void edit_doc_example(struct psf_tree *t)
{
	OK(psf_node_set_string(vm_named(t, "vm1"), PSF_NAME, "vm-one", 6));
}

static void edit_trailing(struct psf_tree *t)
{
	struct psf_node *cfg = NULL, *n;
	int depth = 0;

	for (n = t->root; n; n = (struct psf_node *)pstt_next(n, t->root,
							      &depth))
		if (n->sig == PSF_VM_CONFIG)
			cfg = n;
	assert_non_null(cfg);
	assert_int_equal(cfg->len, 52);
	OK(psf_node_field_set(cfg, "memory-kib", 2097152));
	OK(psf_node_field_set(cfg, "vcpus", 8));
	OK(psf_node_field_set(cfg, "pxe-nic", 1));
	OK(psf_node_field_set_bytes(cfg, "uuid",
				    "0123456789abcdef", 16));
	OK(psf_node_set_string(cfg->parent, PSF_DESCRIPTION, "edited", 6));
}

static void edit_sample(struct psf_tree *t)
{
	struct psf_node *vm = vm_named(t, "web01");
	struct psf_node *cfg = psf_node_find(vm, PSF_VM_CONFIG, NULL);

	assert_non_null(cfg);
	OK(psf_node_field_set(cfg, "memory-kib", 123456789));
	OK(psf_node_set_string(vm, PSF_NAME, "web01-prod", 10));
	cfg = psf_node_find(vm_named(t, "db01"), PSF_PROFILE_REF, NULL);
	assert_non_null(cfg);
	psf_node_free(cfg);
}

static void test_foreign_elements_survive_edits(void **state)
{
	uint8_t *p;
	size_t n;
	struct psf_tree *t;
	struct psf_node *vm;
	const char *s;
	uint32_t len;

	(void)state;
	p = edit_and_compare("valid-unknown-namespaces", edit_unknown_ns, &n,
			     8);
	/* The edits are there. */
	t = must_unpack(p, n);
	vm = vm_named(t, "vm1-renamed-longer");
	s = psf_node_get_string(vm, PSF_HOSTNAME, &len);
	assert_non_null(s);
	assert_int_equal(len, 11);
	assert_int_equal(get_field(psf_node_find(vm, PSF_VM_CONFIG, NULL),
				   "memory-kib"), 1048576);
	assert_non_null(vm_named(t, "vm2"));
	psf_tree_free(t);
	free(p);

	p = edit_and_compare("valid-pads", edit_pads, &n, 6);
	free(p);
	p = edit_and_compare("valid-doc-example", edit_doc_example, &n, 1);
	assert_int_equal(n, 92);
	free(p);
	p = edit_and_compare("valid-trailing-unknown-bytes", edit_trailing, &n,
			     0);
	free(p);
	p = edit_and_compare("valid-schema-sample", edit_sample, &n, 0);
	t = must_unpack(p, n);
	assert_null(psf_node_find(vm_named(t, "db01"), PSF_PROFILE_REF, NULL));
	assert_int_equal(get_field(psf_node_find(vm_named(t, "web01-prod"),
						 PSF_VM_CONFIG, NULL),
				   "memory-kib"), 123456789);
	psf_tree_free(t);
	free(p);
}

/* Unknown trailing record bytes: same bytes, same place in the record,
 * after edits of the known fields. */
static void test_trailing_bytes_survive_edits(void **state)
{
	struct psf_tree *t;
	struct psf_node *cfg;
	uint8_t *b, *p, tail[16];
	size_t n, pn;
	int off, cfgoff;
	uint32_t len;
	const uint8_t *payload;

	(void)state;
	p = edit_and_compare("valid-trailing-unknown-bytes", edit_trailing,
			     &pn, 0);
	b = must_load("valid-trailing-unknown-bytes", &n);
	/* The original record's trailing 16 bytes. */
	off = psf_find_child(b, psf_root(b), PSF_VMS);
	off = psf_find_child(b, off, PSF_VM);
	cfgoff = psf_find_child(b, off, PSF_VM_CONFIG);
	assert_true(cfgoff > 0);
	payload = psf_payload(b, cfgoff, &len);
	assert_non_null(payload);
	assert_int_equal(len, 52);
	memcpy(tail, payload + PSF_VMC_SIZE, 16);
	assert_memory_equal(tail, "\xde\xad\xbe\xef\xca\xfe\xf0\x0d", 8);
	/* In the edited store. */
	t = must_unpack(p, pn);
	cfg = psf_node_find(psf_node_find(psf_node_find(t->root, PSF_VMS,
							NULL),
					  PSF_VM, NULL),
			    PSF_VM_CONFIG, NULL);
	assert_non_null(cfg);
	assert_int_equal(cfg->len, 52);
	assert_memory_equal(cfg->data + PSF_VMC_SIZE, tail, 16);
	assert_int_equal(get_field(cfg, "memory-kib"), 2097152);
	assert_int_equal(get_field(cfg, "vcpus"), 8);
	assert_int_equal(get_field(cfg, "power"), PSF_POWER_ON);  /* kept */
	assert_memory_equal(cfg->data, "0123456789abcdef", 16);
	psf_tree_free(t);
	free(p);
	free(b);

	/* Short records keep their lengths unless a field past them is set. */
	b = must_load("valid-short-record", &n);
	t = must_unpack(b, n);
	{
		struct psf_node *nd;
		int depth = 0, seen = 0;

		for (nd = t->root; nd;
		     nd = (struct psf_node *)pstt_next(nd, t->root, &depth)) {
			if (nd->sig == PSF_VM_CONFIG) {
				assert_int_equal(nd->len, 24);
				OK(psf_node_field_set(nd, "memory-kib", 1));
				assert_int_equal(nd->len, 24);
				seen++;
			} else if (nd->sig == PSF_NIC_CONFIG) {
				assert_int_equal(nd->len, 6);
				OK(psf_node_field_set(nd, "model",
						      PSF_NIC_MODEL_VIRTIO));
				assert_int_equal(nd->len, 7);
				seen++;
			} else if (nd->sig == PSF_SERIAL_CONFIG) {
				assert_int_equal(nd->len, 2);
				assert_int_equal(get_field(nd, "port"), 3);
				seen++;
			} else if (nd->sig == PSF_NETWORK_CONFIG) {
				assert_int_equal(nd->len, 0);
				assert_int_equal(get_field(nd, "mtu"), 0);
				seen++;
			}
		}
		assert_int_equal(seen, 4);
	}
	p = must_pack(t, &pn);
	assert_int_equal(pn, psf_total(b) + 1);
	psf_tree_free(t);
	free(p);
	free(b);
}

/* ================================================== randomized */

static unsigned max_container_depth(const struct psf_node *root)
{
	const struct psf_node *n;
	unsigned max = 0;
	int depth = 0;

	for (n = root; n; n = pstt_next(n, root, &depth))
		if (PSF_SIG_IS_CONTAINER(n->sig) && (unsigned)depth + 1 > max)
			max = (unsigned)depth + 1;
	return max;
}

/* Random trees built with the node API pack to valid stores that say the
 * same as the tree, and unpack to an equal tree that packs the same. */
static void test_random_trees_roundtrip(void **state)
{
	struct pstt_rng r = { 0x9e3779b97f4a7c15ull };
	unsigned i, deep = 0;

	(void)state;
	for (i = 0; i < 400; i++) {
		struct psf_tree *t = pstt_random_tree(&r, pstt_rn(&r, 150));
		struct psf_tree *u = NULL;
		struct psft_stats st;
		uint8_t *p, *q;
		size_t pn, qn, nodes;

		if (!t)
			fail_msg("tree %u: %s", i, pstt_msg);
		if (pstt_links_ok(t->root, &nodes))
			fail_msg("tree %u: %s", i, pstt_msg);
		deep += max_container_depth(t->root) == PSF_MAX_DEPTH;
		OK(psf_tree_check(t));
		p = must_pack(t, &pn);
		assert_int_equal(pn, psf_tree_packed_size(t));
		if (psft_walk(p, &st))
			fail_msg("tree %u: walk: %s", i, psft_walk_msg);
		assert_int_equal(st.elements, nodes);
		if (pstt_tree_matches_store(t, p))
			fail_msg("tree %u: %s", i, pstt_msg);
		OK(psf_tree_unpack(p, pn, &u, NULL));
		if (pstt_nodes_equal(t->root, u->root))
			fail_msg("tree %u: %s", i, pstt_msg);
		assert_int_equal(u->minor, t->minor);
		assert_int_equal(u->schema_version, t->schema_version);
		assert_int_equal(u->flags, t->flags);
		q = must_pack(u, &qn);
		assert_int_equal(qn, pn);
		assert_memory_equal(q, p, pn);
		free(q);
		free(p);
		psf_tree_free(u);
		psf_tree_free(t);
	}
	assert_true(deep > 10);  /* the depth limit was exercised */
}

/* Collect the nodes of root's subtree into v (at most cap). */
static size_t collect(struct psf_node *root, struct psf_node **v, size_t cap)
{
	struct psf_node *n;
	size_t k = 0;
	int depth = 0;

	for (n = root; n && k < cap;
	     n = (struct psf_node *)pstt_next(n, root, &depth))
		v[k++] = n;
	return k;
}

/*
 * A random sequence of link edits (append, insert_before, remove, free,
 * set_payload, set_string, refused links) on a tree and a pool of detached
 * subtrees.  After every step all links are consistent, the tree packs iff
 * it is at most PSF_MAX_DEPTH deep, and what it packs to unpacks to an
 * equal tree.
 */
static void test_random_link_ops(void **state)
{
	struct pstt_rng r = { 0x1234567887654321ull };
	struct psf_tree *t = psf_tree_new(PSF_ROOT);
	struct psf_node *pool[64], *nodes[2048];
	size_t npool = 0, step, i;
	unsigned refused = 0, packed = 0, toodeep = 0;

	(void)state;
	assert_non_null(t);
	for (step = 0; step < 4000; step++) {
		size_t nn = collect(t->root, nodes, 2048);
		struct psf_node *x = nodes[pstt_rn(&r, (uint32_t)nn)];
		unsigned op = pstt_rn(&r, 10);
		int rc;

		if (op <= 2 && npool) {
			/* Link a pool subtree: append or insert. */
			size_t k = pstt_rn(&r, (uint32_t)npool);
			struct psf_node *c = pool[k];
			uint32_t before = x->parent ? x->parent->nchildren : 0;

			if (op == 0 || !x->parent) {
				rc = psf_node_append(x, c);
				if (PSF_SIG_IS_CONTAINER(x->sig)) {
					OK(rc);
					assert_ptr_equal(x->last, c);
				} else {
					assert_int_equal(rc,
							 PSF_ERR_NOTCONTAINER);
					continue;
				}
			} else {
				OK(psf_node_insert_before(x, c));
				assert_ptr_equal(x->prev, c);
				assert_int_equal(x->parent->nchildren,
						 before + 1);
			}
			pool[k] = pool[--npool];
		} else if (op == 3 && x != t->root) {
			/* Detach into the pool, or free. */
			struct psf_node *p = x->parent;
			uint32_t before = p->nchildren;

			if (npool < 64 && pstt_rn(&r, 2)) {
				psf_node_remove(x);
				assert_null(x->parent);
				LINKS_OK(x);
				pool[npool++] = x;
			} else {
				psf_node_free(x);
			}
			assert_int_equal(p->nchildren, before - 1);
		} else if (op == 4) {
			/* A refused link: a linked node, or a cycle. */
			struct psf_node *y = nodes[pstt_rn(&r, (uint32_t)nn)];

			if (x != t->root) {
				rc = psf_node_append(y, x);
				assert_true(rc == PSF_ERR_BADVALUE ||
					    rc == PSF_ERR_NOTCONTAINER);
				refused++;
			}
			if (npool && pool[0]->first) {
				struct psf_node *d = pool[0]->first;

				while (d->first && pstt_rn(&r, 2))
					d = d->first;
				if (PSF_SIG_IS_CONTAINER(d->sig)) {
					assert_int_equal(
						psf_node_append(d, pool[0]),
						PSF_ERR_BADVALUE);
					refused++;
				}
			}
		} else if (op == 5 && !PSF_SIG_IS_CONTAINER(x->sig)) {
			uint32_t len = pstt_rn(&r, 3) ? pstt_rn(&r, 12) :
				       x->len;

			OK(psf_node_set_payload(x, x->len ? x->data : NULL,
						len <= x->len ? len : x->len));
		} else if (op == 6 && PSF_SIG_IS_CONTAINER(x->sig)) {
			OK(psf_node_set_string(x, PSF_NAME, "abcdefgh",
					       pstt_rn(&r, 9)));
		} else if (npool < 64) {
			/* New detached nodes, sometimes a small subtree. */
			struct psf_node *c;

			if (pstt_rn(&r, 3) == 0) {
				c = must_cont(pstt_rand_container_sig(&r));
				for (i = pstt_rn(&r, 4); i > 0; i--) {
					struct psf_node *s =
						pstt_rn(&r, 3) ?
						pstt_rand_struct(&r) :
						must_cont(PSF_NICS);

					assert_non_null(s);
					OK(psf_node_append(c, s));
				}
			} else {
				c = pstt_rand_struct(&r);
				assert_non_null(c);
			}
			pool[npool++] = c;
		}
		LINKS_OK(t->root);
		if (step % 8 == 0) {
			unsigned d = max_container_depth(t->root);

			rc = psf_tree_check(t);
			if (d > PSF_MAX_DEPTH) {
				assert_int_equal(rc, PSF_ERR_TOODEEP);
				toodeep++;
			} else {
				struct psf_tree *u = NULL;
				uint8_t *p;
				size_t pn;

				OK(rc);
				p = must_pack(t, &pn);
				OK(psf_tree_unpack(p, pn, &u, NULL));
				if (pstt_nodes_equal(t->root, u->root))
					fail_msg("step %zu: %s", step,
						 pstt_msg);
				psf_tree_free(u);
				free(p);
				packed++;
			}
		}
	}
	for (i = 0; i < npool; i++) {
		LINKS_OK(pool[i]);
		psf_node_free(pool[i]);
	}
	psf_tree_free(t);
	assert_true(refused > 100);
	assert_true(packed > 100);
}

/* ================================================================ main */

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_new_struct),
		cmocka_unit_test(test_node_new_container),
		cmocka_unit_test(test_node_append),
		cmocka_unit_test(test_node_insert_before),
		cmocka_unit_test(test_node_remove),
		cmocka_unit_test(test_node_free),
		cmocka_unit_test(test_node_find),
		cmocka_unit_test(test_node_find_named),
		cmocka_unit_test(test_node_find_named_null_empty),
		cmocka_unit_test(test_node_set_payload),
		cmocka_unit_test(test_node_strings),
		cmocka_unit_test(test_schema_tables),
		cmocka_unit_test(test_agent_records_text),
		cmocka_unit_test(test_record_field),
		cmocka_unit_test(test_field_uint_widths),
		cmocka_unit_test(test_field_enum_flags),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_field_set_extends),
		cmocka_unit_test(test_field_partial_reads_default),
		cmocka_unit_test(test_field_set_keeps_other_fields),
		cmocka_unit_test(test_field_bytes),
		cmocka_unit_test(test_tree_new_free),
		cmocka_unit_test(test_unpack_valid_vectors),
		cmocka_unit_test(test_unpack_invalid_vectors),
		cmocka_unit_test(test_unpack_mutations),
		cmocka_unit_test(test_pack_exact_bytes),
		cmocka_unit_test(test_pack_errors),
		cmocka_unit_test(test_pack_alloc),
		cmocka_unit_test(test_foreign_elements_survive_edits),
		cmocka_unit_test(test_trailing_bytes_survive_edits),
		cmocka_unit_test(test_random_trees_roundtrip),
		cmocka_unit_test(test_random_link_ops),
	};
	int rc;

	nvecs = psft_manifest(pstt_vectors_dir(), &vecs);
	if (nvecs < 0) {
		fprintf(stderr, "test_tree: cannot read %s/MANIFEST\n",
			pstt_vectors_dir());
		nvecs = 0;  /* the vector tests then fail visibly */
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(vecs);
	return rc;
}
