/*
 * test_text.c - the text form of format/psf_tree.h: psf_text_dump,
 * psf_text_dump_alloc, psf_text_parse (syntax: docs/text-format.md).
 *
 *   - every valid golden vector: parse(dump(unpack(v))) packs to v's bytes,
 *     and the dump is canonical (dump(parse(dump)) == dump);
 *   - the docs/text-format.md example and docs/examples/default-store.txt
 *     parse and are canonical;
 *   - the exact text of a small hand-built store (golden text below);
 *   - a table of malformed texts with the expected code, line, column and
 *     message;
 *   - hostile input: NUL bytes, 1 MB of '{', huge numbers and words, deep
 *     nesting, size limits, every prefix of a valid text, random mutations;
 *   - strings (all 256 byte values, UTF-8), numbers at their limits, header
 *     fields, records, lists, enums and flags, alternative spellings;
 *   - randomized trees (fixed seed) through dump and parse.
 * Meant to run under ASan + UBSan.
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
#define H "psf 1.0 schema 1 flags 0x00000000;\n"
#define SITE_S(id) PSF_SIG(0, 0x7000, (id))

static struct psft_vector *vecs;
static int nvecs;

/* ------------------------------------------------------------- helpers */

/* Parse exactly len bytes from a buffer of exactly that size (so ASan sees
 * any read past the end); rc, with the tree in *out on success. */
static int parse_exact(const char *text, size_t len, struct psf_tree **out,
		       struct psf_text_error *err)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, text, len);
	rc = psf_text_parse(copy, len, out, err);
	free(copy);
	return rc;
}

static struct psf_tree *must_parse_n(const char *text, size_t len)
{
	struct psf_tree *t = NULL;
	struct psf_text_error e;
	int rc = parse_exact(text, len, &t, &e);

	if (rc != PSF_OK)
		fail_msg("parse: %s at %zu:%zu: %s", psft_errname(rc), e.line,
			 e.column, e.msg);
	assert_non_null(t);
	return t;
}

static struct psf_tree *must_parse(const char *text)
{
	return must_parse_n(text, strlen(text));
}

static char *must_dump(const struct psf_tree *t, size_t *len)
{
	size_t n = 0;
	char *s = pstt_dump(t, &n);

	if (!s)
		fail_msg("%s", pstt_msg);
	assert_int_equal(strlen(s), n);
	if (len)
		*len = n;
	return s;
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

/* Text must be canonical: dump(parse(text)) == text.  Returns the tree. */
static struct psf_tree *expect_canonical(const char *text)
{
	struct psf_tree *t = must_parse(text);
	char *d = must_dump(t, NULL);

	if (strcmp(d, text) != 0) {
		print_error("--- expected\n%s--- dumped\n%s---\n", text, d);
		fail_msg("text is not canonical");
	}
	free(d);
	return t;
}

/* dump(parse(text)) == canon, and both pack to the same bytes. */
static void expect_dumps_as(const char *text, const char *canon)
{
	struct psf_tree *t = must_parse(text), *c = must_parse(canon);
	char *d = must_dump(t, NULL);
	uint8_t *a, *b;
	size_t an, bn;

	if (strcmp(d, canon) != 0) {
		print_error("--- input\n%s\n--- expected\n%s--- dumped\n%s---\n",
			    text, canon, d);
		fail_msg("unexpected dump");
	}
	a = must_pack(t, &an);
	b = must_pack(c, &bn);
	assert_int_equal(an, bn);
	assert_memory_equal(a, b, an);
	free(a);
	free(b);
	free(d);
	psf_tree_free(t);
	psf_tree_free(c);
}

/* A one-structure store: H root { body } -> the root's first child. */
static struct psf_tree *parse_in_root(const char *body)
{
	char text[4096];

	snprintf(text, sizeof(text), H "root {\n%s\n}\n", body);
	return must_parse(text);
}

/* The full round trip for a tree: dump, parse, pack, dump again. */
static void text_roundtrip(const struct psf_tree *t, const char *what)
{
	struct psf_tree *u;
	uint8_t *a, *b;
	size_t an, bn, dl, dl2;
	char *d, *d2;

	a = must_pack(t, &an);
	d = must_dump(t, &dl);
	u = must_parse_n(d, dl);
	b = must_pack(u, &bn);
	if (an != bn || memcmp(a, b, an) != 0) {
		print_error("%s", d);
		fail_msg("%s: parse(dump(t)) packs differently", what);
	}
	d2 = must_dump(u, &dl2);
	if (dl != dl2 || memcmp(d, d2, dl) != 0)
		fail_msg("%s: dump is not canonical", what);
	if (pstt_nodes_equal(t->root, u->root))
		fail_msg("%s: %s", what, pstt_msg);
	assert_int_equal(u->minor, t->minor);
	assert_int_equal(u->schema_version, t->schema_version);
	assert_int_equal(u->flags, t->flags);
	free(a);
	free(b);
	free(d);
	free(d2);
	psf_tree_free(u);
}

/* The dump of a string payload: the text between "name = " and ";". */
static char *dump_string(const void *bytes, uint32_t len)
{
	struct psf_tree *t = psf_tree_new(PSF_ROOT);
	char *d, *start, *end, *out;

	assert_non_null(t);
	OK(psf_node_set_string(t->root, PSF_NAME, bytes, len));
	d = must_dump(t, NULL);
	start = strstr(d, "\tname = ");
	assert_non_null(start);
	start += 8;
	end = strstr(start, ";\n}\n");
	assert_non_null(end);
	out = malloc((size_t)(end - start) + 1);
	assert_non_null(out);
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	free(d);
	psf_tree_free(t);
	return out;
}

/* ================================================ vectors and documents */

static void test_vectors_roundtrip(void **state)
{
	int i, count = 0;

	(void)state;
	assert_true(nvecs > 0);
	for (i = 0; i < nvecs; i++) {
		struct psf_tree *t = NULL, *u;
		uint8_t *b, *p;
		size_t n, pn, dl, dl2;
		char *d, *d2;
		uint32_t total;

		if (!vecs[i].valid)
			continue;
		b = pstt_load_vector(vecs[i].name, &n);
		if (!b)
			fail_msg("cannot read %s", vecs[i].name);
		total = psf_total(b);
		OK(psf_tree_unpack(b, n, &t, NULL));
		d = must_dump(t, &dl);
		u = must_parse_n(d, dl);
		p = must_pack(u, &pn);
		if (pn != total || memcmp(p, b, total) != 0) {
			print_error("%s", d);
			fail_msg("%s: pack(parse(dump(unpack(v)))) != v",
				 vecs[i].name);
		}
		d2 = must_dump(u, &dl2);
		if (dl != dl2 || memcmp(d, d2, dl) != 0)
			fail_msg("%s: dump(parse(dump)) != dump", vecs[i].name);
		/* The header line says what the header holds. */
		{
			char head[96];

			snprintf(head, sizeof(head),
				 "psf 1.%u schema %u flags 0x%08x;\n",
				 b[PSF_HDR_MINOR],
				 (unsigned)psf_schema_version(b),
				 (unsigned)psf_flags(b));
			assert_int_equal(strncmp(d, head, strlen(head)), 0);
		}
		free(d);
		free(d2);
		free(p);
		free(b);
		psf_tree_free(t);
		psf_tree_free(u);
		count++;
	}
	assert_true(count >= 11);
}

/* What the vectors' dumps show: pads, raw signatures, trailing bytes,
 * short records, 16 levels of indentation. */
static void test_vector_dump_contents(void **state)
{
	static const struct {
		const char *vector;
		const char *needle;
	} want[] = {
		{ "valid-empty-root", "root { }\n" },
		{ "valid-doc-example", "\t@0x01230007 = [ab cd];\n" },
		{ "valid-doc-example", "\t\t\tname = \"vm1\";\n" },
		{ "valid-pads", "\tpad 0;\n" },
		{ "valid-pads", "pad = [aa aa aa aa aa];\n" },
		{ "valid-pads", "\tpad 32;\n}\n" },
		{ "valid-trailing-unknown-bytes",
		  "\t\t\t\t[de ad be ef ca fe f0 0d 01 02 03 04 05 06 07 08];\n" },
		{ "valid-trailing-unknown-bytes", "memory-kib = 1048576;\n" },
		{ "valid-short-record", "network-config { }\n" },
		{ "valid-short-record", "memory-kib = 2097152;\n" },
		{ "valid-minor-version", "psf 1.7 schema 99 flags 0x00000000;\n" },
		{ "valid-ignorable-flags", "flags 0xa5a50000;\nroot { }\n" },
		{ "valid-max-depth",
		  "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tname = \"bottom\";\n" },
		{ "valid-unknown-namespaces", "agent-state" },
		{ "valid-unknown-namespaces", "@0x80000ffe" },
		{ "valid-unknown-namespaces", "@0x00000fff" },
		{ "valid-schema-sample", "boot-order = disk, network;\n" },
		{ "valid-schema-sample", "flags = link-down;\n" },
		{ "valid-schema-sample", "time = 1767225600;\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct psf_tree *t = NULL;
		size_t n;
		uint8_t *b = pstt_load_vector(want[i].vector, &n);
		char *d;

		if (!b)
			fail_msg("cannot read %s", want[i].vector);
		OK(psf_tree_unpack(b, n, &t, NULL));
		d = must_dump(t, NULL);
		if (!strstr(d, want[i].needle)) {
			print_error("%s", d);
			fail_msg("%s: dump lacks \"%s\"", want[i].vector,
				 want[i].needle);
		}
		free(d);
		free(b);
		psf_tree_free(t);
	}
}

/* The first ``` block after "## Example" in docs/text-format.md. */
static char *doc_example(void)
{
	size_t n;
	char *doc = pstt_load_text("docs/text-format.md", &n);
	char *p, *start, *end, *out;

	if (!doc)
		fail_msg("cannot read docs/text-format.md (run from the "
			 "repository root)");
	p = strstr(doc, "\n## Example\n");
	assert_non_null(p);
	start = strstr(p, "\n```\n");
	assert_non_null(start);
	start += 5;
	end = strstr(start, "\n```\n");
	assert_non_null(end);
	out = malloc((size_t)(end - start) + 2);
	assert_non_null(out);
	memcpy(out, start, (size_t)(end - start) + 1);  /* keep the \n */
	out[end - start + 1] = '\0';
	free(doc);
	return out;
}

/* Drop leading comment lines: a dump has none. */
static const char *skip_comments(const char *s)
{
	while (*s == '#') {
		s = strchr(s, '\n');
		assert_non_null(s);
		s++;
	}
	return s;
}

static void test_doc_example(void **state)
{
	char *ex = doc_example();
	struct psf_tree *t;
	struct psf_node *vm, *cfg, *n;
	const char *s;
	uint32_t len;
	uint64_t v;
	uint8_t uuid[16];
	uint8_t *b;
	size_t bn;

	(void)state;
	assert_true(strlen(ex) > 500);
	/* Canonical, apart from its comment. */
	t = expect_canonical(skip_comments(ex));
	psf_tree_free(t);
	t = must_parse(ex);
	b = must_pack(t, &bn);
	free(b);
	/* What it says. */
	assert_int_equal(t->minor, 0);
	assert_int_equal(t->schema_version, 1);
	assert_int_equal(t->flags, 0);
	vm = psf_node_find_named(psf_node_find(t->root, PSF_VMS, NULL), PSF_VM,
				 "web01", 5);
	assert_non_null(vm);
	s = psf_node_get_string(vm, PSF_DESCRIPTION, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen("front end\tcaf\xc3\xa9 \"prod\""));
	assert_memory_equal(s, "front end\tcaf\xc3\xa9 \"prod\"", len);
	cfg = psf_node_find(vm, PSF_VM_CONFIG, NULL);
	assert_non_null(cfg);
	OK(psf_node_field_get(cfg, "memory-kib", &v));
	assert_int_equal(v, 4194304);
	OK(psf_node_field_get_bytes(cfg, "uuid", uuid, 16));
	assert_memory_equal(uuid, "\x6b\xa7\xb8\x10\x9d\xad\x11\xd1"
				  "\x80\xb4\x00\xc0\x4f\xd4\x30\xc8", 16);
	assert_int_equal(cfg->len, PSF_VMC_PXE);  /* power is the last */
	n = psf_node_find(vm, PSF_BOOT_ORDER, NULL);
	assert_non_null(n);
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->data, "\x01\x02\x03", 3);
	/* fc-boot belongs to a profile (schema.md), as the example has it. */
	assert_null(psf_node_find(vm, PSF_FC_BOOT, NULL));
	n = psf_node_find(psf_node_find_named(psf_node_find(t->root,
							    PSF_PROFILES, NULL),
					      PSF_PROFILE, "db", 2),
			  PSF_FC_BOOT, NULL);
	assert_non_null(n);
	assert_memory_equal(n->data, "\x50\x06\x01\x60\x3b\xa0\x11\x22"
				     "\x00\x01\x00\x00\x00\x00\x00\x00", 16);
	n = psf_node_find(vm, PSF_PAD, NULL);
	assert_non_null(n);
	assert_int_equal(n->len, 16);
	n = psf_node_find(t->root, PSF_SIG(0, 0x42, 0x11), NULL);
	assert_non_null(n);
	assert_memory_equal(n->data, "\xde\xad\xbe\xef", 4);
	n = psf_node_find(t->root, PSF_SIG(1, 0x42, 1), NULL);
	assert_non_null(n);
	assert_int_equal(n->nchildren, 1);
	n = psf_node_find(psf_node_find(psf_node_find(t->root, PSF_NETWORKS,
						      NULL),
					PSF_NETWORK, NULL),
			  PSF_NETWORK_CONFIG, NULL);
	assert_non_null(n);
	assert_int_equal(n->len, PSF_NETC_SIZE + 2);
	assert_memory_equal(n->data + PSF_NETC_SIZE, "\x01\x02", 2);
	assert_int_equal(psf_le32(n->data + PSF_NETC_MTU), 9000);
	assert_int_equal(t->root->last->sig, PSF_AGENT_STATE);
	psf_tree_free(t);
	free(ex);
}

static void test_default_store(void **state)
{
	size_t n, bn;
	char *txt = pstt_load_text("docs/examples/default-store.txt", &n);
	struct psf_tree *t;
	uint8_t *b;
	struct psf_node *vms, *vm;

	(void)state;
	if (!txt)
		fail_msg("cannot read docs/examples/default-store.txt");
	t = expect_canonical(skip_comments(txt));
	b = must_pack(t, &bn);
	assert_true(bn > 500);
	vms = psf_node_find(t->root, PSF_VMS, NULL);
	assert_non_null(vms);
	vm = psf_node_find_named(vms, PSF_VM, "web01", 5);
	assert_non_null(vm);
	assert_non_null(psf_node_find(vm, PSF_VM_CONFIG, NULL));
	assert_true(vms->nchildren >= 2);
	assert_non_null(psf_node_find(t->root, PSF_STORE_INFO, NULL));
	free(b);
	psf_tree_free(t);
	free(txt);
}

/* ============================================================ golden */

static const char golden[] =
	"psf 1.2 schema 7 flags 0x00010000;\n"
	"root {\n"
	"\tvms {\n"
	"\t\tvm {\n"
	"\t\t\tname = \"a\\\"b\\\\c\\n\\x01\xc3\xa9\";\n"
	"\t\t\tvm-config {\n"
	"\t\t\t\tuuid = 00112233-4455-6677-8899-aabbccddeeff;\n"
	"\t\t\t\tmemory-kib = 1024;\n"
	"\t\t\t\tvcpus = 2;\n"
	"\t\t\t\tsockets = 0;\n"
	"\t\t\t\tcores = 0;\n"
	"\t\t\t\tthreads = 0;\n"
	"\t\t\t\tpower = on;\n"
	"\t\t\t\tpxe = 7;\n"
	"\t\t\t\tpxe-nic = 65535;\n"
	"\t\t\t}\n"
	"\t\t\tboot-order = disk, network, 9;\n"
	"\t\t\tmac-list = 52:54:00:00:00:01, 52:54:00:00:00:02;\n"
	"\t\t\tdescription = \"\";\n"
	"\t\t\tpad 4;\n"
	"\t\t\tpad = [01 02];\n"
	"\t\t}\n"
	"\t}\n"
	"\tnic-config {\n"
	"\t\tmac = 02:00:00:00:00:01;\n"
	"\t}\n"
	"\tcontroller-config {\n"
	"\t\tmedia = cdrom;\n"
	"\t\tflags = bootable | readonly | 0x80;\n"
	"\t\tbus = 9;\n"
	"\t}\n"
	"\tnetwork-config = [00 00 2a];\n"
	"\tnetwork-config {\n"
	"\t\tkind = nat;\n"
	"\t\tflags = 0;\n"
	"\t\tvlan = 42;\n"
	"\t\tmtu = 9000;\n"
	"\t\t[aa bb];\n"
	"\t}\n"
	"\tstore-record { }\n"
	"\twwn-list = 20:00:00:25:b5:00:00:01 21:00:00:25:b5:00:00:01;\n"
	"\tmac-list = [];\n"
	"\tboot-order = [];\n"
	"\t@0x00420011 = [\n"
	"\t\t00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"
	"\t\t10 11 12 13\n"
	"\t];\n"
	"\t@0x80420001 { }\n"
	"\tagent-state {\n"
	"\t\t@0x00010005 = [ff];\n"
	"\t}\n"
	"}\n";

static struct psf_node *add(struct psf_node *parent, uint32_t sig,
			    const void *data, uint32_t len)
{
	struct psf_node *n = PSF_SIG_IS_CONTAINER(sig) ?
			     psf_node_new_container(sig) :
			     psf_node_new_struct(sig, data, len);

	assert_non_null(n);
	OK(psf_node_append(parent, n));
	return n;
}

static struct psf_tree *golden_tree(void)
{
	static const uint8_t uuid[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct psf_tree *t = psf_tree_new(PSF_ROOT);
	struct psf_node *vm, *cfg;
	uint8_t hex[20];
	int i;

	assert_non_null(t);
	t->minor = 2;
	t->schema_version = 7;
	t->flags = 0x00010000;
	vm = add(add(t->root, PSF_VMS, NULL, 0), PSF_VM, NULL, 0);
	add(vm, PSF_NAME, "a\"b\\c\n\x01\xc3\xa9", 9);
	cfg = add(vm, PSF_VM_CONFIG, NULL, 0);
	OK(psf_node_field_set_bytes(cfg, "uuid", uuid, 16));
	OK(psf_node_field_set(cfg, "memory-kib", 1024));
	OK(psf_node_field_set(cfg, "vcpus", 2));
	OK(psf_node_field_set(cfg, "power", PSF_POWER_ON));
	OK(psf_node_field_set(cfg, "pxe", 7));
	OK(psf_node_field_set(cfg, "pxe-nic", 65535));
	add(vm, PSF_BOOT_ORDER, "\x01\x03\x09", 3);
	add(vm, PSF_MAC_LIST, "\x52\x54\x00\x00\x00\x01"
			      "\x52\x54\x00\x00\x00\x02", 12);
	add(vm, PSF_DESCRIPTION, NULL, 0);
	add(vm, PSF_PAD, NULL, 4);
	add(vm, PSF_PAD, "\x01\x02", 2);
	add(t->root, PSF_NIC_CONFIG, "\x02\x00\x00\x00\x00\x01", 6);
	add(t->root, PSF_CONTROLLER_CONFIG, "\x01\x83\x09", 3);
	add(t->root, PSF_NETWORK_CONFIG, "\x00\x00\x2a", 3);
	cfg = add(t->root, PSF_NETWORK_CONFIG, NULL, PSF_NETC_SIZE + 2);
	OK(psf_node_field_set(cfg, "kind", PSF_NET_NAT));
	OK(psf_node_field_set(cfg, "vlan", 42));
	OK(psf_node_field_set(cfg, "mtu", 9000));
	cfg->data[PSF_NETC_SIZE] = 0xaa;
	cfg->data[PSF_NETC_SIZE + 1] = 0xbb;
	add(t->root, PSF_STORE_RECORD, NULL, 0);
	add(t->root, PSF_WWN_LIST, "\x20\x00\x00\x25\xb5\x00\x00\x01"
				   "\x21\x00\x00\x25\xb5\x00\x00\x01", 16);
	add(t->root, PSF_MAC_LIST, NULL, 0);
	add(t->root, PSF_BOOT_ORDER, NULL, 0);
	for (i = 0; i < 20; i++)
		hex[i] = (uint8_t)i;
	add(t->root, PSF_SIG(0, 0x42, 0x11), hex, 20);
	add(t->root, PSF_SIG(1, 0x42, 0x01), NULL, 0);
	add(add(t->root, PSF_AGENT_STATE, NULL, 0), PSF_SIG(0, 1, 5), "\xff",
	    1);
	return t;
}

static void test_golden_text(void **state)
{
	struct psf_tree *t = golden_tree(), *u;
	char *d;
	size_t dl;
	FILE *f;
	char buf[4096];
	size_t got;

	(void)state;
	d = must_dump(t, &dl);
	if (strcmp(d, golden) != 0) {
		print_error("--- expected\n%s--- dumped\n%s---\n", golden, d);
		fail_msg("dump differs from the golden text");
	}
	assert_int_equal(dl, sizeof(golden) - 1);
	free(d);
	/* psf_text_dump writes the same to a FILE. */
	f = tmpfile();
	assert_non_null(f);
	OK(psf_text_dump(t, f));
	assert_int_equal(ftell(f), (long)(sizeof(golden) - 1));
	rewind(f);
	got = fread(buf, 1, sizeof(buf), f);
	assert_int_equal(got, sizeof(golden) - 1);
	assert_memory_equal(buf, golden, got);
	fclose(f);
	/* len may be NULL. */
	d = NULL;
	OK(psf_text_dump_alloc(t, &d, NULL));
	assert_string_equal(d, golden);
	free(d);
	/* And the golden text parses to the same tree. */
	u = expect_canonical(golden);
	if (pstt_nodes_equal(t->root, u->root))
		fail_msg("%s", pstt_msg);
	assert_int_equal(u->minor, 2);
	assert_int_equal(u->schema_version, 7);
	assert_int_equal(u->flags, 0x00010000);
	text_roundtrip(t, "golden");
	psf_tree_free(u);
	psf_tree_free(t);
}

/* =========================================================== malformed */

struct bad_text {
	const char *text;
	size_t len;           /* 0: strlen */
	int rc;
	size_t line, col;
	const char *msg;      /* a substring of the message */
};

#define VMC(body) H "root {\n\tvm-config {\n\t\t" body "\n\t}\n}\n"
#define IN_ROOT(body) H "root {\n\t" body "\n}\n"

static const struct bad_text bad_texts[] = {
	/* Header. */
	{ "", 0, PSF_ERR_BADVALUE, 1, 1, "expected the header" },
	{ "   \n# only a comment\n", 0, PSF_ERR_BADVALUE, 3, 1,
	  "found end of input" },
	{ "psf", 0, PSF_ERR_BADVALUE, 1, 4, "version as MAJOR.MINOR" },
	{ "pst 1.0 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 1,
	  "found 'pst'" },
	{ "PSF 1.0 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 1,
	  "expected the header" },
	{ "psf 2.0 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVERSION, 1, 5,
	  "format version '2.0' is not supported" },
	{ "psf 0.9 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVERSION, 1, 5,
	  "major must be 1" },
	{ "psf 1 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 5,
	  "MAJOR.MINOR, found '1'" },
	{ "psf 1.0.0 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 5,
	  "MAJOR.MINOR" },
	{ "psf 1.256 schema 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 5,
	  "out of range (at most 255)" },
	{ "psf 1.0 schem 1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 9,
	  "expected 'schema'" },
	{ "psf 1.0 schema 4294967296 flags 0;\nroot { }\n", 0,
	  PSF_ERR_BADVALUE, 1, 16, "out of range for the schema version" },
	{ "psf 1.0 schema -1 flags 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 16,
	  "expected a number for the schema version" },
	{ "psf 1.0 schema 1 flag 0;\nroot { }\n", 0, PSF_ERR_BADVALUE, 1, 18,
	  "expected 'flags'" },
	{ "psf 1.0 schema 1 flags 0x1;\nroot { }\n", 0, PSF_ERR_BADFLAGS, 1, 24,
	  "must-understand" },
	{ "psf 1.0 schema 1 flags 0x0001ffff;\nroot { }\n", 0, PSF_ERR_BADFLAGS,
	  1, 24, "flags '0x0001ffff'" },
	{ "psf 1.0 schema 1 flags 0x100000000;\nroot { }\n", 0,
	  PSF_ERR_BADVALUE, 1, 24, "out of range for the flags" },
	{ "psf 1.0 schema 1 flags 0\nroot { }\n", 0, PSF_ERR_BADVALUE, 2, 1,
	  "expected ';' after the header, found 'root'" },
	/* The root. */
	{ H, 0, PSF_ERR_BADVALUE, 2, 1, "expected the root container" },
	{ H "name = \"x\";\n", 0, PSF_ERR_BADVALUE, 2, 1,
	  "the root must be a container, found 'name'" },
	{ H "@0x00000001 = [00];\n", 0, PSF_ERR_BADVALUE, 2, 1,
	  "the root must be a container" },
	{ H "root {\n", 0, PSF_ERR_BADVALUE, 3, 1,
	  "unexpected end of input: '}' missing" },
	{ H "root { }\nroot { }\n", 0, PSF_ERR_BADVALUE, 3, 1,
	  "unexpected 'root' after the root container" },
	{ H "root { } ;\n", 0, PSF_ERR_BADVALUE, 2, 10,
	  "unexpected ';' after the root container" },
	{ H "root { vms { } } extra\n", 0, PSF_ERR_BADVALUE, 2, 18,
	  "unexpected 'extra'" },
	{ H "root {\n\tvm-config {\n\t\t}\n\t}\n}\n", 0, PSF_ERR_BADVALUE, 6, 1,
	  "unexpected '}' after the root container" },
	{ H "root {\n\tvms {\n\t\tvm {\n\t\t\tname = \"x\";\n\t\t}\n", 0,
	  PSF_ERR_BADVALUE, 7, 1, "'}' missing" },
	/* Elements. */
	{ H "rooot { }\n", 0, PSF_ERR_BADVALUE, 2, 1, "unknown element 'rooot'" },
	{ IN_ROOT("vms;"), 0, PSF_ERR_BADVALUE, 3, 5,
	  "expected '{' after a container's name, found ';'" },
	{ IN_ROOT("vms"), 0, PSF_ERR_BADVALUE, 4, 1,
	  "expected '{' after a container's name, found '}'" },
	{ IN_ROOT("vms ~ { }"), 0, PSF_ERR_BADVALUE, 3, 6,
	  "unexpected character '~'" },
	{ IN_ROOT("\"name\" = \"x\";"), 0, PSF_ERR_BADVALUE, 3, 2,
	  "expected an element, found a string" },
	{ IN_ROOT("= \"x\";"), 0, PSF_ERR_BADVALUE, 3, 2,
	  "expected an element, found '='" },
	{ IN_ROOT("@0x80000001 = [00];"), 0, PSF_ERR_BADVALUE, 3, 14,
	  "expected '{' after a container's name, found '='" },
	{ IN_ROOT("@0x00000001 { }"), 0, PSF_ERR_BADVALUE, 3, 14,
	  "expected '=' after the element name, found '{'" },
	{ IN_ROOT("@0x100000000 { }"), 0, PSF_ERR_BADVALUE, 3, 2,
	  "bad signature '@0x100000000'" },
	{ IN_ROOT("@ { }"), 0, PSF_ERR_BADVALUE, 3, 2, "bad signature '@'" },
	{ IN_ROOT("pad x;"), 0, PSF_ERR_BADVALUE, 3, 6,
	  "expected a number for a pad's length, found 'x'" },
	{ IN_ROOT("pad 16777217;"), 0, PSF_ERR_BADVALUE, 3, 6,
	  "out of range for a pad's length (at most 16777216)" },
	{ IN_ROOT("pad 4"), 0, PSF_ERR_BADVALUE, 4, 1,
	  "expected ';' after the pad, found '}'" },
	{ IN_ROOT("pad = 4;"), 0, PSF_ERR_BADVALUE, 3, 8,
	  "expected a value for 'pad', found '4'" },
	{ IN_ROOT("pad 16;\n\tpad 16777200;"), 0, PSF_ERR_TOOLARGE, 4, 14,
	  "store larger than 16777216 bytes" },
	{ IN_ROOT("vm-config = \"abc\";"), 0, PSF_ERR_BADVALUE, 3, 14,
	  "expected a value for 'vm-config', found a string" },
	/* Strings and hex. */
	{ IN_ROOT("name = \"abc;"), 0, PSF_ERR_BADVALUE, 3, 14,
	  "unterminated string (write a newline as \\n)" },
	{ IN_ROOT("name = \"a\nb\";"), 0, PSF_ERR_BADVALUE, 3, 11,
	  "unterminated string" },
	{ IN_ROOT("name = \"a\\qb\";"), 0, PSF_ERR_BADVALUE, 3, 11,
	  "unknown escape in a string" },
	{ IN_ROOT("name = \"a\\x4\";"), 0, PSF_ERR_BADVALUE, 3, 11,
	  "\\x needs two hex digits" },
	{ IN_ROOT("name = \"a\tb\";"), 0, PSF_ERR_BADVALUE, 3, 11,
	  "control byte 0x09 in a string (write it as \\x09)" },
	{ IN_ROOT("name = \"\x7f\";"), 0, PSF_ERR_BADVALUE, 3, 10,
	  "control byte 0x7f" },
	{ H "root {\n\tname = \"abc", 0, PSF_ERR_BADVALUE, 3, 13,
	  "unterminated string" },
	{ H "root {\n\tname = \"abc\\", 0, PSF_ERR_BADVALUE, 3, 13,
	  "unterminated string" },
	{ H "root {\n\tname = \"abc\\x", 0, PSF_ERR_BADVALUE, 3, 13,
	  "\\x needs two hex digits" },
	{ H "root {\n\tname = \"abc\\x4", 0, PSF_ERR_BADVALUE, 3, 13,
	  "\\x needs two hex digits" },
	{ IN_ROOT("name = abc;"), 0, PSF_ERR_BADVALUE, 3, 9,
	  "expected a value for 'name', found 'abc'" },
	{ IN_ROOT("name = \"abc\""), 0, PSF_ERR_BADVALUE, 4, 1,
	  "expected ';' after the value, found '}'" },
	{ IN_ROOT("name = \"a\" \"b\";"), 0, PSF_ERR_BADVALUE, 3, 13,
	  "expected ';' after the value, found a string" },
	{ IN_ROOT("name = [0g];"), 0, PSF_ERR_BADVALUE, 3, 10,
	  "'0g' is not hex bytes" },
	{ IN_ROOT("name = [\"x\"];"), 0, PSF_ERR_BADVALUE, 3, 10,
	  "expected hex bytes or ']', found a string" },
	{ H "root {\n\tname = [01\n", 0, PSF_ERR_BADVALUE, 4, 1,
	  "expected hex bytes or ']', found end of input" },
	{ H "root {\n\tname =", 0, PSF_ERR_BADVALUE, 3, 8,
	  "expected a value for 'name', found end of input" },
	/* Lists. */
	{ IN_ROOT("boot-order = disk, usb;"), 0, PSF_ERR_BADVALUE, 3, 21,
	  "unknown boot device 'usb'" },
	{ IN_ROOT("boot-order = disk, 256;"), 0, PSF_ERR_BADVALUE, 3, 21,
	  "'256' is out of range for a boot device (at most 255)" },
	{ IN_ROOT("boot-order = disk,;"), 0, PSF_ERR_BADVALUE, 3, 20,
	  "expected a number for a boot device, found ';'" },
	{ IN_ROOT("mac-list = 52:54:00:00:00:01:02;"), 0, PSF_ERR_BADVALUE,
	  3, 13, "an item of 'mac-list' is 6 bytes of colon-separated hex" },
	{ IN_ROOT("wwn-list = 20:00:00:25:b5:00:00:01;"), 0, PSF_ERR_BADVALUE,
	  3, 36, "an item of 'wwn-list' is 16 bytes" },
	{ IN_ROOT("fc-boot = 50:06:01:60:3b:a0:11:22 00:01:00:00:00:00:00;"),
	  0, PSF_ERR_BADVALUE, 3, 56, "an item of 'fc-boot'" },
	/* Records. */
	{ VMC("memry-kib = 1;"), 0, PSF_ERR_BADVALUE, 4, 3,
	  "unknown field 'memry-kib' in 'vm-config'" },
	{ VMC("vcpus = 65536;"), 0, PSF_ERR_BADVALUE, 4, 11,
	  "'65536' is out of range for field 'vcpus' (at most 65535)" },
	{ VMC("vcpus = 1;\n\t\tvcpus = 2;"), 0, PSF_ERR_BADVALUE, 5, 3,
	  "field 'vcpus' given twice" },
	{ VMC("power = sideways;"), 0, PSF_ERR_BADVALUE, 4, 11,
	  "unknown value 'sideways' for field 'power'" },
	{ VMC("power = 256;"), 0, PSF_ERR_BADVALUE, 4, 11,
	  "'256' is out of range for field 'power' (at most 255)" },
	{ VMC("uuid = 1234;"), 0, PSF_ERR_BADVALUE, 4, 10,
	  "field 'uuid' wants a UUID" },
	{ VMC("uuid = 00112233-4455-6677-8899-aabbccddeefg;"), 0,
	  PSF_ERR_BADVALUE, 4, 10, "wants a UUID like" },
	{ VMC("uuid = 0011223344-55-6677-8899-aabbccddeeff;"), 0,
	  PSF_ERR_BADVALUE, 4, 10, "wants a UUID like" },
	{ VMC("vcpus 1;"), 0, PSF_ERR_BADVALUE, 4, 9,
	  "expected '=' after the field name, found '1'" },
	{ VMC("vcpus = 1"), 0, PSF_ERR_BADVALUE, 5, 2,
	  "expected ';' after the field value, found '}'" },
	{ VMC("[01 02];\n\t\tvcpus = 1;"), 0, PSF_ERR_BADVALUE, 5, 3,
	  "expected '}' after the trailing bytes, which come last" },
	{ VMC("[01];\n\t\t[02];"), 0, PSF_ERR_BADVALUE, 5, 3,
	  "which come last, found '['" },
	{ VMC("[01]"), 0, PSF_ERR_BADVALUE, 5, 2,
	  "expected ';' after the trailing bytes, found '}'" },
	{ VMC("[01 0];"), 0, PSF_ERR_BADVALUE, 4, 7,
	  "expected hex bytes or ']', found '0'" },
	{ VMC("[zz];"), 0, PSF_ERR_BADVALUE, 4, 4, "'zz' is not hex bytes" },
	{ VMC("flags = 1;"), 0, PSF_ERR_BADVALUE, 4, 3,
	  "unknown field 'flags' in 'vm-config'" },
	{ VMC("memory-kib = 18446744073709551616;"), 0, PSF_ERR_BADVALUE, 4,
	  16, "expected a number for field 'memory-kib'" },
	{ VMC("memory-kib = -1;"), 0, PSF_ERR_BADVALUE, 4, 16,
	  "found '-1'" },
	{ VMC("memory-kib = \"5\";"), 0, PSF_ERR_BADVALUE, 4, 16,
	  "found a string" },
	{ H "root {\n\tnic-config {\n\t\tmac = 52:54:00:12:34;\n\t}\n}\n", 0,
	  PSF_ERR_BADVALUE, 4, 9, "field 'mac' wants a MAC like" },
	{ H "root {\n\tnic-config {\n\t\tmac = 52-54-00-12-34-56;\n\t}\n}\n",
	  0, PSF_ERR_BADVALUE, 4, 9, "found '52-54-00-12-34-56'" },
	{ H "root {\n\tnic-config {\n\t\tmodel = virtio | e1000;\n\t}\n}\n",
	  0, PSF_ERR_BADVALUE, 4, 18, "expected ';' after the field value, "
	  "found '|'" },
	{ H "root {\n\tcontroller-config {\n\t\tflags = bootable | wobbly;"
	  "\n\t}\n}\n", 0, PSF_ERR_BADVALUE, 4, 22,
	  "unknown value 'wobbly' for field 'flags'" },
	{ H "root {\n\tcontroller-config {\n\t\tflags = bootable |;\n\t}\n}\n",
	  0, PSF_ERR_BADVALUE, 4, 21, "expected a number for field 'flags'" },
	/* Bytes that are no token. */
	{ H "root {\n\tname = \"\x01\";\n}\n", 0, PSF_ERR_BADVALUE, 3, 10,
	  "control byte 0x01" },
	{ H "root {\x80}\n", 0, PSF_ERR_BADVALUE, 2, 7,
	  "unexpected byte 0x80" },
};

static void test_malformed(void **state)
{
	size_t i;

	(void)state;
	assert_true(sizeof(bad_texts) / sizeof(bad_texts[0]) >= 30);
	for (i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
		const struct bad_text *b = &bad_texts[i];
		size_t len = b->len ? b->len : strlen(b->text);
		struct psf_tree sentinel, *t = &sentinel;
		struct psf_text_error e;
		int rc;

		memset(&e, 0x55, sizeof(e));
		rc = parse_exact(b->text, len, &t, &e);
		if (rc != b->rc || e.line != b->line || e.column != b->col ||
		    !memchr(e.msg, '\0', sizeof(e.msg)) ||
		    !strstr(e.msg, b->msg))
			fail_msg("case %zu: got %s %zu:%zu \"%.160s\", want %s "
				 "%zu:%zu \"%s\"", i, psft_errname(rc),
				 e.line, e.column,
				 memchr(e.msg, '\0', sizeof(e.msg)) ? e.msg
								    : "?",
				 psft_errname(b->rc), b->line, b->col, b->msg);
		assert_ptr_equal(t, &sentinel);  /* *out untouched */
		/* err may be NULL. */
		assert_int_equal(parse_exact(b->text, len, &t, NULL), b->rc);
		assert_ptr_equal(t, &sentinel);
	}
}

/* ============================================================= hostile */

static char *repeat(const char *prefix, const char *unit, size_t times,
		    const char *suffix, size_t *len)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
	size_t n = pl + ul * times + sl, i;
	char *s = malloc(n + 1);

	assert_non_null(s);
	memcpy(s, prefix, pl);
	for (i = 0; i < times; i++)
		memcpy(s + pl + i * ul, unit, ul);
	memcpy(s + pl + ul * times, suffix, sl);
	s[n] = '\0';
	*len = n;
	return s;
}

static void expect_error(const char *text, size_t len, int rc, size_t line,
			 size_t col, const char *msg)
{
	struct psf_tree *t = NULL;
	struct psf_text_error e;
	int got = parse_exact(text, len, &t, &e);

	if (got != rc || (line && e.line != line) || (col && e.column != col) ||
	    !strstr(e.msg, msg))
		fail_msg("got %s %zu:%zu \"%s\", want %s %zu:%zu \"%s\"",
			 psft_errname(got), e.line, e.column, e.msg,
			 psft_errname(rc), line, col, msg);
	assert_null(t);
	assert_true(strlen(e.msg) < sizeof(e.msg));
}

static void test_hostile_bytes(void **state)
{
	static const char nul_in_string[] = H "root {\n\tname = \"a\0b\";\n}\n";
	static const char nul_between[] = H "root {\0}\n";
	static const char nul_after[] = H "root { }\n\0";
	static const char nul_in_comment[] = H "# a\0b\nroot { }\n";
	struct psf_tree *t;
	char one[1];
	int c;

	(void)state;
	expect_error(nul_in_string, sizeof(nul_in_string) - 1,
		     PSF_ERR_BADVALUE, 3, 11, "control byte 0x00");
	expect_error(nul_between, sizeof(nul_between) - 1, PSF_ERR_BADVALUE,
		     2, 7, "unexpected byte 0x00");
	expect_error(nul_after, sizeof(nul_after) - 1, PSF_ERR_BADVALUE, 3, 1,
		     "unexpected byte 0x00");
	/* A comment runs to the end of the line, whatever it holds. */
	t = must_parse_n(nul_in_comment, sizeof(nul_in_comment) - 1);
	psf_tree_free(t);
	/* The length rules, not a terminator: the same text cut short. */
	expect_error(H "root { }", strlen(H "root {"), PSF_ERR_BADVALUE, 2, 7,
		     "'}' missing");
	/* NULL text with no length is an empty text. */
	t = NULL;
	assert_int_equal(psf_text_parse(NULL, 0, &t, NULL), PSF_ERR_BADVALUE);
	assert_null(t);
	/* Every single byte alone. */
	for (c = 0; c < 256; c++) {
		struct psf_text_error e;

		one[0] = (char)c;
		t = NULL;
		assert_int_equal(parse_exact(one, 1, &t, &e),
				 PSF_ERR_BADVALUE);
		assert_null(t);
		assert_int_equal(e.line, c == '\n' ? 2 : 1);
		assert_true(e.column == 1 || e.column == 2);
		assert_true(e.msg[0] != '\0');
	}
}

static void test_hostile_sizes(void **state)
{
	char *s, num[64];
	size_t len;
	struct psf_tree *t;
	uint8_t *b;
	size_t bn;

	(void)state;
	/* 1 MB of '{'. */
	s = repeat("", "{", 1 << 20, "", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 1, 1, "expected the header");
	free(s);
	s = repeat(H "root ", "{", 1 << 20, "", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 2, 7,
		     "expected an element, found '{'");
	free(s);
	/* 1 MB of '}' after the root. */
	s = repeat(H "root { }", "}", 1 << 20, "", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 2, 9, "unexpected '}' after");
	free(s);
	/* Nesting: 16 containers parse, the 17th is refused where it
	 * stands, however deep the text goes on. */
	s = repeat(H "root { ", "vms { ", 15, "", &len);
	{
		char *full = malloc(len + 15 * 2 + 4);

		assert_non_null(full);
		memcpy(full, s, len);
		memcpy(full + len, "} } } } } } } } } } } } } } } }\n", 32);
		t = must_parse_n(full, len + 32);
		b = must_pack(t, &bn);
		assert_int_equal(bn, 32 + 16 * 12);
		free(b);
		psf_tree_free(t);
		free(full);
	}
	free(s);
	s = repeat(H "root { ", "vms { ", 16, "} } } } } } } } } } } } } } } } }",
		   &len);
	expect_error(s, len, PSF_ERR_TOODEEP, 2, 8 + 15 * 6,
		     "containers nested deeper than 16");
	free(s);
	s = repeat(H "root { ", "@0x80007000 { ", 200000, "", &len);
	expect_error(s, len, PSF_ERR_TOODEEP, 2, 8 + 15 * 14, "nested deeper");
	free(s);
	/* Very long numbers and words: refused, the message stays short. */
	s = repeat(H "root {\n\tvm-config {\n\t\tvcpus = 1", "0", 100000,
		   ";\n\t}\n}\n", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 4, 11,
		     "expected a number for field 'vcpus', found '1000");
	expect_error(s, len, PSF_ERR_BADVALUE, 4, 11, "...'");
	free(s);
	s = repeat(H "root {\n\tvm-config {\n\t\tmemory-kib = 0x", "f", 100000,
		   ";\n\t}\n}\n", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 4, 16, "expected a number");
	free(s);
	s = repeat(H "root {\n\tpad ", "9", 100000, ";\n}\n", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 3, 6,
		     "expected a number for a pad's length");
	free(s);
	s = repeat(H "root {\n\t", "a", 100000, " { }\n}\n", &len);
	expect_error(s, len, PSF_ERR_BADVALUE, 3, 2, "unknown element 'aaaa");
	free(s);
	s = repeat(H "root {\n\t@0x", "0", 100000, "1 = [];\n}\n", &len);
	/* Leading zeros are harmless: the value is bounded, not the text. */
	t = must_parse_n(s, len);
	assert_int_equal(t->root->first->sig, 1);
	psf_tree_free(t);
	free(s);
	/* A 1 MB string is fine; a store past PSF_MAX_TOTAL is not. */
	s = repeat(H "root {\n\tname = \"", "x", 1 << 20, "\";\n}\n", &len);
	t = must_parse_n(s, len);
	assert_int_equal(t->root->first->len, 1 << 20);
	psf_tree_free(t);
	free(s);
	s = repeat(H "root {\n\tname = \"", "x", PSF_MAX_TOTAL + 1,
		   "\";\n}\n", &len);
	expect_error(s, len, PSF_ERR_TOOLARGE, 0, 0,
		     "payload larger than a store");
	free(s);
	/* Exactly PSF_MAX_TOTAL: header 32, root 12, pad header 8. */
	snprintf(num, sizeof(num), "%u", PSF_MAX_TOTAL - 52);
	s = repeat(H "root {\n\tpad ", num, 1, ";\n}\n", &len);
	t = must_parse_n(s, len);
	assert_int_equal(psf_tree_packed_size(t), PSF_MAX_TOTAL);
	psf_tree_free(t);
	free(s);
	snprintf(num, sizeof(num), "%u", PSF_MAX_TOTAL - 51);
	s = repeat(H "root {\n\tpad ", num, 1, ";\n}\n", &len);
	expect_error(s, len, PSF_ERR_TOOLARGE, 3, 14, "store larger than");
	free(s);
	/* Many small elements add up too. */
	s = repeat(H "root {\n", "\tpad 65536;\n", 256, "}\n", &len);
	expect_error(s, len, PSF_ERR_TOOLARGE, 258, 11, "store larger than");
	free(s);
	/* Hex runs: a 1 MB one is fine. */
	s = repeat(H "root {\n\t@0x7000 = [", "ab", 1 << 19, "];\n}\n", &len);
	t = must_parse_n(s, len);
	assert_int_equal(t->root->first->len, 1 << 19);
	assert_int_equal(t->root->first->data[12345], 0xab);
	psf_tree_free(t);
	free(s);
}

/* Every prefix of a valid text fails cleanly (until the root is closed),
 * with a position inside the prefix. */
static void test_prefixes(void **state)
{
	char *ex = doc_example();
	size_t len = strlen(ex), k, last = len;
	struct psf_tree *t;

	(void)state;
	while (last > 0 && ex[last - 1] != '}')
		last--;
	assert_true(last > 100);
	for (k = 0; k <= len; k++) {
		struct psf_text_error e;
		size_t lines = 1, i;
		int rc;

		t = NULL;
		rc = parse_exact(ex, k, &t, &e);
		if (k < last) {
			if (rc >= 0)
				fail_msg("prefix of %zu bytes parsed", k);
			assert_null(t);
			for (i = 0; i < k; i++)
				lines += ex[i] == '\n';
			assert_true(e.line >= 1 && e.line <= lines);
			assert_true(e.column >= 1);
			assert_true(e.msg[0] != '\0');
		} else {
			if (rc != PSF_OK)
				fail_msg("prefix of %zu bytes: %s", k, e.msg);
			psf_tree_free(t);
		}
	}
	free(ex);
}

/* Random mutations of valid texts (fixed seed): whatever parses packs to a
 * valid store and dumps canonically; whatever fails says where. */
static void test_mutations(void **state)
{
	static const char alphabet[] =
		"{}=;[],|\"\\#@.:-_ \t\n0123456789abcdefxXABC\x01\x80\xc3\xa9";
	struct pstt_rng r = { 0x0ddba11cafef00dull };
	char *ex = doc_example();
	size_t len = strlen(ex), i;
	unsigned ok = 0, bad = 0;
	char *buf = malloc(len + 64);

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < 3000; i++) {
		size_t n = len, k, edits = 1 + pstt_rn(&r, 4);
		struct psf_tree *t = NULL;
		struct psf_text_error e;
		int rc;

		memcpy(buf, ex, len);
		for (k = 0; k < edits; k++) {
			size_t pos = pstt_rn(&r, (uint32_t)n);
			char c = alphabet[pstt_rn(&r, sizeof(alphabet) - 1)];

			switch (pstt_rn(&r, 3)) {
			case 0:   /* replace */
				buf[pos] = c;
				break;
			case 1:   /* delete */
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
				break;
			default:  /* insert */
				if (n < len + 60) {
					memmove(buf + pos + 1, buf + pos,
						n - pos);
					buf[pos] = c;
					n++;
				}
				break;
			}
		}
		rc = parse_exact(buf, n, &t, &e);
		if (rc == PSF_OK) {
			text_roundtrip(t, "mutant");
			psf_tree_free(t);
			ok++;
		} else {
			assert_null(t);
			assert_true(e.line >= 1 && e.column >= 1);
			assert_true(e.msg[0] != '\0');
			bad++;
		}
	}
	assert_true(ok > 100);
	assert_true(bad > 100);
	free(buf);
	free(ex);
}

/* ============================================================= strings */

/* The dump of one byte b as a string, by docs/text-format.md. */
static void expected_escape(uint8_t b, char *out)
{
	if (b == '"')
		strcpy(out, "\\\"");
	else if (b == '\\')
		strcpy(out, "\\\\");
	else if (b == '\n')
		strcpy(out, "\\n");
	else if (b == '\t')
		strcpy(out, "\\t");
	else if (b == '\r')
		strcpy(out, "\\r");
	else if (b < 0x20 || b >= 0x7f)
		snprintf(out, 8, "\\x%02x", b);
	else
		snprintf(out, 8, "%c", b);
}

static void test_string_all_bytes(void **state)
{
	uint8_t all[256];
	char want[256 * 4 + 3], esc[8], text[128];
	char *got;
	struct psf_tree *t;
	int c;

	(void)state;
	/* Each byte alone: exact spelling, and back. */
	for (c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;

		expected_escape(b, esc);
		snprintf(want, sizeof(want), "\"%s\"", esc);
		got = dump_string(&b, 1);
		if (strcmp(got, want) != 0)
			fail_msg("byte 0x%02x dumps as %s, want %s", c, got,
				 want);
		snprintf(text, sizeof(text), H "root {\n\tname = %s;\n}\n",
			 got);
		t = must_parse(text);
		assert_int_equal(t->root->first->len, 1);
		assert_int_equal(t->root->first->data[0], b);
		psf_tree_free(t);
		free(got);
		/* \xNN in either case means the byte. */
		snprintf(text, sizeof(text), H "root {\n\tname = \"\\x%02x\";\n}\n",
			 c);
		t = must_parse(text);
		assert_int_equal(t->root->first->data[0], b);
		psf_tree_free(t);
		snprintf(text, sizeof(text), H "root {\n\tname = \"\\x%02X\";\n}\n",
			 c);
		t = must_parse(text);
		assert_int_equal(t->root->first->data[0], b);
		psf_tree_free(t);
	}
	/* All 256 in one string (0x80..0xff hold no valid UTF-8 sequence,
	 * so every one is escaped). */
	for (c = 0; c < 256; c++)
		all[c] = (uint8_t)c;
	want[0] = '"';
	want[1] = '\0';
	for (c = 0; c < 256; c++) {
		expected_escape((uint8_t)c, esc);
		strcat(want, esc);
	}
	strcat(want, "\"");
	got = dump_string(all, 256);
	assert_string_equal(got, want);
	free(got);
	{
		struct psf_tree *src = psf_tree_new(PSF_ROOT);

		assert_non_null(src);
		OK(psf_node_set_string(src->root, PSF_DESCRIPTION,
					       (const char *)all, 256));
		OK(psf_node_set_string(src->root, SITE_S(1),
					       (const char *)all, 256));
		text_roundtrip(src, "all bytes");
		psf_tree_free(src);
	}
	/* The escapes, spelled by hand. */
	t = must_parse(H "root {\n\tname = \"\\\"\\\\\\n\\t\\r\\x00\\xfF\";\n}\n");
	assert_int_equal(t->root->first->len, 7);
	assert_memory_equal(t->root->first->data, "\"\\\n\t\r\0\xff", 7);
	psf_tree_free(t);
	/* Raw bytes >= 0x80 are taken as they are. */
	t = must_parse(H "root {\n\tname = \"\xff\xc3\";\n}\n");
	assert_memory_equal(t->root->first->data, "\xff\xc3", 2);
	psf_tree_free(t);
	/* A raw string for an unknown structure; dumped as hex. */
	expect_dumps_as(H "root {\n\t@0x7fff0001 = \"ab\";\n}\n",
			H "root {\n\t@0x7fff0001 = [61 62];\n}\n");
}

static void test_string_utf8(void **state)
{
	static const struct {
		const char *bytes;
		const char *dump;
	} cases[] = {
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xe2\x82\xac", "\"\xe2\x82\xac\"" },                  /* € */
		{ "\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"" },          /* 𝄞 */
		{ "\xc2\x80", "\"\xc2\x80\"" },                          /* U+80 */
		{ "\xed\x9f\xbf", "\"\xed\x9f\xbf\"" },                  /* D7FF */
		{ "\xef\xbf\xbf", "\"\xef\xbf\xbf\"" },                  /* FFFF */
		{ "\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"" },          /* 10000 */
		{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },          /* max */
		{ "\xc0\x80", "\"\\xc0\\x80\"" },                  /* overlong */
		{ "\xc1\xbf", "\"\\xc1\\xbf\"" },                  /* overlong */
		{ "\xe0\x80\x80", "\"\\xe0\\x80\\x80\"" },         /* overlong */
		{ "\xf0\x8f\xbf\xbf", "\"\\xf0\\x8f\\xbf\\xbf\"" },/* overlong */
		{ "\xed\xa0\x80", "\"\\xed\\xa0\\x80\"" },         /* surrogate */
		{ "\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\"" },/* > 10FFFF */
		{ "\xf5\x80\x80\x80", "\"\\xf5\\x80\\x80\\x80\"" },
		{ "a\xc3", "\"a\\xc3\"" },                         /* cut */
		{ "\xe2\x82", "\"\\xe2\\x82\"" },                  /* cut */
		{ "\xc3\x28", "\"\\xc3(\"" },                      /* bad cont */
		{ "\x80\xbf", "\"\\x80\\xbf\"" },                  /* lone cont */
		{ "\xc3\xa9\xc3", "\"\xc3\xa9\\xc3\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t n = (uint32_t)strlen(cases[i].bytes);
		char *got = dump_string(cases[i].bytes, n);
		char text[128];
		struct psf_tree *t;

		if (strcmp(got, cases[i].dump) != 0)
			fail_msg("case %zu dumps as %s, want %s", i, got,
				 cases[i].dump);
		snprintf(text, sizeof(text), H "root {\n\tname = %s;\n}\n", got);
		t = expect_canonical(text);
		assert_int_equal(t->root->first->len, n);
		assert_memory_equal(t->root->first->data, cases[i].bytes, n);
		psf_tree_free(t);
		free(got);
	}
}

/* ============================================================= numbers */

static uint64_t field_of(const char *body, const char *field)
{
	struct psf_tree *t = parse_in_root(body);
	uint64_t v = 0;

	OK(psf_node_field_get(t->root->first, field, &v));
	psf_tree_free(t);
	return v;
}

static void test_number_boundaries(void **state)
{
	struct psf_tree *t;
	char text[256];

	(void)state;
	assert_int_equal(field_of("vm-config {\n\t\tmemory-kib = "
				  "18446744073709551615;\n\t}", "memory-kib"),
			 UINT64_MAX);
	assert_int_equal(field_of("vm-config {\n\t\tmemory-kib = "
				  "0xffffffffffffffff;\n\t}", "memory-kib"),
			 UINT64_MAX);
	assert_int_equal(field_of("vm-config {\n\t\tmemory-kib = "
				  "0XFFFFFFFFFFFFFFFF;\n\t}", "memory-kib"),
			 UINT64_MAX);
	assert_int_equal(field_of("vm-config {\n\t\tvcpus = 65535;\n\t}",
				  "vcpus"), 65535);
	assert_int_equal(field_of("vm-config {\n\t\tvcpus = 0xffff;\n\t}",
				  "vcpus"), 65535);
	assert_int_equal(field_of("vm-config {\n\t\tvcpus = 0;\n\t}",
				  "vcpus"), 0);
	assert_int_equal(field_of("network-config {\n\t\tmtu = 4294967295;"
				  "\n\t}", "mtu"), 4294967295u);
	assert_int_equal(field_of("network-config {\n\t\tflags = 255;\n\t}",
				  "flags"), 255);
	assert_int_equal(field_of("vm-config {\n\t\tpower = 255;\n\t}",
				  "power"), 255);
	assert_int_equal(field_of("controller-config {\n\t\tflags = 0xff;"
				  "\n\t}", "flags"), 255);
	/* The largest u64 dumps in full. */
	expect_dumps_as(H "root {\n\treservation-config {\n\t\tkind = 9;\n"
			"\t\tflags = 0;\n\t\tfirst = 0xffffffffffffffff;\n"
			"\t\tcount = 18446744073709551615;\n\t}\n}\n",
			H "root {\n\treservation-config {\n\t\tkind = 9;\n"
			"\t\tflags = 0;\n\t\tfirst = 18446744073709551615;\n"
			"\t\tcount = 18446744073709551615;\n\t}\n}\n");
	/* One past each width. */
	expect_error(VMC("memory-kib = 18446744073709551616;"), strlen(VMC(
		     "memory-kib = 18446744073709551616;")), PSF_ERR_BADVALUE,
		     4, 16, "expected a number");
	expect_error(VMC("memory-kib = 0x10000000000000000;"), strlen(VMC(
		     "memory-kib = 0x10000000000000000;")), PSF_ERR_BADVALUE,
		     4, 16, "expected a number");
	expect_error(VMC("vcpus = 0x10000;"), strlen(VMC("vcpus = 0x10000;")),
		     PSF_ERR_BADVALUE, 4, 11, "(at most 65535)");
	snprintf(text, sizeof(text), H "root {\n\tnetwork-config {\n\t\t"
		 "mtu = 4294967296;\n\t}\n}\n");
	expect_error(text, strlen(text), PSF_ERR_BADVALUE, 4, 9,
		     "(at most 4294967295)");
	snprintf(text, sizeof(text), H "root {\n\tnetwork-config {\n\t\t"
		 "vlan = 65536;\n\t}\n}\n");
	expect_error(text, strlen(text), PSF_ERR_BADVALUE, 4, 10,
		     "'65536' is out of range for field 'vlan' (at most 65535)");
	/* Not numbers. */
	expect_error(VMC("vcpus = +1;"), strlen(VMC("vcpus = +1;")),
		     PSF_ERR_BADVALUE, 4, 11, "unexpected character '+'");
	expect_error(VMC("vcpus = 1e3;"), strlen(VMC("vcpus = 1e3;")),
		     PSF_ERR_BADVALUE, 4, 11, "expected a number");
	expect_error(VMC("vcpus = 0x;"), strlen(VMC("vcpus = 0x;")),
		     PSF_ERR_BADVALUE, 4, 11, "expected a number");
	expect_error(VMC("vcpus = 0b1;"), strlen(VMC("vcpus = 0b1;")),
		     PSF_ERR_BADVALUE, 4, 11, "expected a number");
	expect_error(VMC("vcpus = 12a;"), strlen(VMC("vcpus = 12a;")),
		     PSF_ERR_BADVALUE, 4, 11, "expected a number");
	/* Lists and pads. */
	t = parse_in_root("boot-order = 0, 255, 0xff;");
	assert_memory_equal(t->root->first->data, "\x00\xff\xff", 3);
	psf_tree_free(t);
	t = parse_in_root("pad 0;");
	assert_int_equal(t->root->first->len, 0);
	psf_tree_free(t);
	t = parse_in_root("pad 0x10;");
	assert_int_equal(t->root->first->len, 16);
	psf_tree_free(t);
	/* Signatures: 32 bits, decimal or hex. */
	expect_dumps_as(H "root {\n\t@4294967295 { }\n\t@0x7fffffff = [];\n"
			"\t@0X80000101 { }\n\t@256 = [];\n}\n",
			H "root {\n\t@0xffffffff { }\n\t@0x7fffffff = [];\n"
			"\tvms { }\n\t@0x00000100 = [];\n}\n");
}

/* ============================================================== header */

static void test_header_fields(void **state)
{
	static const uint8_t minors[] = { 0, 1, 7, 255 };
	static const uint32_t schemas[] = { 0, 1, 99, 0xffffffffu };
	static const uint32_t flags[] = { 0, 0x00010000u, 0xa5a50000u,
					  0xffff0000u };
	size_t i, j;

	(void)state;
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			struct psf_tree *t = psf_tree_new(PSF_ROOT), *u;
			char want[96], *d;
			uint8_t *b;
			size_t bn;

			assert_non_null(t);
			t->minor = minors[i];
			t->schema_version = schemas[j];
			t->flags = flags[(i + j) % 4];
			d = must_dump(t, NULL);
			snprintf(want, sizeof(want),
				 "psf 1.%u schema %u flags 0x%08x;\nroot { }\n",
				 minors[i], (unsigned)schemas[j],
				 (unsigned)flags[(i + j) % 4]);
			assert_string_equal(d, want);
			u = must_parse(d);
			assert_int_equal(u->minor, minors[i]);
			assert_int_equal(u->schema_version, schemas[j]);
			assert_int_equal(u->flags, flags[(i + j) % 4]);
			b = must_pack(u, &bn);
			assert_int_equal(b[PSF_HDR_MINOR], minors[i]);
			assert_int_equal(psf_schema_version(b), schemas[j]);
			assert_int_equal(psf_flags(b), flags[(i + j) % 4]);
			free(b);
			free(d);
			psf_tree_free(u);
			psf_tree_free(t);
		}
	}
	/* Other spellings of the same header. */
	expect_dumps_as("psf 1.07 schema 0x63 flags 2852192256;\nroot { }\n",
			"psf 1.7 schema 99 flags 0xaa010000;\nroot { }\n");
	expect_dumps_as("psf\n1.0\tschema 1 # the schema\nflags 0 ; root{}",
			"psf 1.0 schema 1 flags 0x00000000;\nroot { }\n");
	/* Must-understand bits, any of them. */
	for (i = 0; i < 16; i++) {
		char text[96];

		snprintf(text, sizeof(text),
			 "psf 1.0 schema 1 flags 0x%x;\nroot { }\n",
			 (1u << i) | 0x10000u);
		expect_error(text, strlen(text), PSF_ERR_BADFLAGS, 1, 24,
			     "must-understand");
	}
}

/* ============================================================= records */

static void test_records(void **state)
{
	struct psf_tree *t;
	struct psf_node *n;

	(void)state;
	/* Payload ends where the furthest given field ends. */
	t = parse_in_root("vm-config { power = on; }");
	n = t->root->first;
	assert_int_equal(n->len, PSF_VMC_POWER + 1);
	assert_int_equal(n->data[PSF_VMC_POWER], 1);
	psf_tree_free(t);
	t = parse_in_root("vm-config { pxe-nic = 1; }");
	assert_int_equal(t->root->first->len, PSF_VMC_SIZE);
	psf_tree_free(t);
	t = parse_in_root("vm-config { }");
	assert_int_equal(t->root->first->len, 0);
	assert_null(t->root->first->data);
	psf_tree_free(t);
	/* Trailing bytes start after every known field. */
	t = parse_in_root("vm-config { [01]; }");
	n = t->root->first;
	assert_int_equal(n->len, PSF_VMC_SIZE + 1);
	assert_int_equal(n->data[PSF_VMC_SIZE], 1);
	psf_tree_free(t);
	t = parse_in_root("vm-config { vcpus = 3; []; }");
	assert_int_equal(t->root->first->len, PSF_VMC_SIZE);
	psf_tree_free(t);
	/* Out of order, gaps zero; the dump puts them in offset order and
	 * shows exactly the fields inside the payload. */
	expect_dumps_as(H "root {\n\tvm-config { vcpus = 2; uuid = "
			"00000000-0000-0000-0000-000000000001; }\n}\n",
			H "root {\n\tvm-config {\n"
			"\t\tuuid = 00000000-0000-0000-0000-000000000001;\n"
			"\t\tmemory-kib = 0;\n\t\tvcpus = 2;\n\t}\n}\n");
	/* Cut in a field: hex, both ways. */
	expect_dumps_as(H "root {\n\tvm-config = [01 02 03];\n}\n",
			H "root {\n\tvm-config = [01 02 03];\n}\n");
	expect_dumps_as(H "root {\n\tnic-config = [52 54 00 12 34 56 01];\n}\n",
			H "root {\n\tnic-config {\n\t\tmac = 52:54:00:12:34:56;\n"
			"\t\tmodel = virtio;\n\t}\n}\n");
	expect_dumps_as(H "root {\n\tserial-config = [03 00 59 1b 01 ff];\n}\n",
			H "root {\n\tserial-config {\n\t\tport = 3;\n"
			"\t\tconcentrator = 7001;\n\t\tmode = observer;\n"
			"\t\t[ff];\n\t}\n}\n");
	expect_dumps_as(H "root {\n\tstore-record = [01 02];\n}\n",
			H "root {\n\tstore-record = [01 02];\n}\n");
	/* Trailing bytes past 16 go one row per line. */
	expect_dumps_as(H "root {\n\tcontroller-config { media = cdrom; "
			"[000102030405060708090a0b0c0d0e0f10]; }\n}\n",
			H "root {\n\tcontroller-config {\n\t\tmedia = cdrom;\n"
			"\t\tflags = 0;\n\t\tbus = default;\n\t\t[\n"
			"\t\t\t00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"
			"\t\t\t10\n\t\t];\n\t}\n}\n");
	/* Every record, every field given: canonical. */
	t = expect_canonical(
		H "root {\n"
		"\timage-config {\n\t\tsize-bytes = 21474836480;\n"
		"\t\tformat = qcow2;\n\t\tmedia = cdrom;\n"
		"\t\tflags = shareable;\n\t}\n"
		"\treservation-config {\n\t\tkind = memory;\n\t\tflags = 0;\n"
		"\t\tfirst = 4294967296;\n\t\tcount = 1073741824;\n\t}\n"
		"\tprofile-config {\n"
		"\t\tuuid = 6ba7b810-9dad-11d1-80b4-00c04fd430c8;\n"
		"\t\tstate = in-transit;\n\t\ttarget-kind = vm;\n\t}\n"
		"\tstore-record {\n\t\twriter-kind = bios;\n"
		"\t\ttime = 1732262400;\n\t}\n"
		"\tserial-config {\n\t\tport = 1;\n\t\tconcentrator = 0;\n"
		"\t\tmode = privacy;\n\t}\n"
		"\tnic-config {\n\t\tmac = ff:ff:ff:ff:ff:ff;\n"
		"\t\tmodel = rtl8139;\n\t\tflags = link-down | 0xfe;\n\t}\n"
		"}\n");
	n = psf_node_find(t->root, PSF_STORE_RECORD, NULL);
	assert_non_null(n);
	assert_int_equal(psf_le64(n->data + PSF_STOC_TIME), 1732262400);
	psf_tree_free(t);
}

/* ============================================== lists, enums, flags */

static void test_lists(void **state)
{
	struct psf_tree *t;

	(void)state;
	t = parse_in_root("boot-order = disk, cdrom, network, floppy, 0, 255;");
	assert_int_equal(t->root->first->len, 6);
	assert_memory_equal(t->root->first->data, "\x01\x02\x03\x04\x00\xff",
			    6);
	psf_tree_free(t);
	expect_dumps_as(H "root {\n\tboot-order = 1, 0x02, network, 4, 5;\n}\n",
			H "root {\n\tboot-order = disk, cdrom, network, floppy, "
			"5;\n}\n");
	expect_dumps_as(H "root {\n\tmac-list = 52:54:00:00:00:01,"
			"52:54:00:00:00:02 ,  AA:BB:CC:DD:EE:FF;\n}\n",
			H "root {\n\tmac-list = 52:54:00:00:00:01, "
			"52:54:00:00:00:02, aa:bb:cc:dd:ee:ff;\n}\n");
	/* A 16-byte item in any grouping; dumped as two 8-byte halves. */
	expect_dumps_as(H "root {\n\twwn-list = 20:00:00:25 b5:00:00:01:21 "
			"00 00:25:b5:00:00:01;\n}\n",
			H "root {\n\twwn-list = 20:00:00:25:b5:00:00:01 "
			"21:00:00:25:b5:00:00:01;\n}\n");
	expect_dumps_as(H "root {\n\tfc-boot = [5006016031a01122 "
			"0001000000000000 5006016031a01123 0002000000000000];\n}\n",
			H "root {\n\tfc-boot = 50:06:01:60:31:a0:11:22 "
			"00:01:00:00:00:00:00:00, 50:06:01:60:31:a0:11:23 "
			"00:02:00:00:00:00:00:00;\n}\n");
	/* Empty or ragged lists are hex. */
	expect_dumps_as(H "root {\n\tmac-list = [];\n}\n",
			H "root {\n\tmac-list = [];\n}\n");
	expect_dumps_as(H "root {\n\tmac-list = [01 02 03];\n}\n",
			H "root {\n\tmac-list = [01 02 03];\n}\n");
	expect_dumps_as(H "root {\n\twwn-list = [00];\n}\n",
			H "root {\n\twwn-list = [00];\n}\n");
	/* A list takes no string, a string no list. */
	expect_error(IN_ROOT("boot-order = \"disk\";"),
		     strlen(IN_ROOT("boot-order = \"disk\";")),
		     PSF_ERR_BADVALUE, 3, 15, "expected a number for a boot "
		     "device, found a string");
	expect_error(IN_ROOT("name = disk, cdrom;"),
		     strlen(IN_ROOT("name = disk, cdrom;")), PSF_ERR_BADVALUE,
		     3, 9, "expected a value for 'name'");
}

static void test_enums_flags(void **state)
{
	(void)state;
	/* Numbers with names dump as names; without, as numbers. */
	expect_dumps_as(H "root {\n\tnic-config { mac = 00:00:00:00:00:00; "
			"model = 3; flags = 0; }\n}\n",
			H "root {\n\tnic-config {\n\t\tmac = 00:00:00:00:00:00;\n"
			"\t\tmodel = rtl8139;\n\t\tflags = 0;\n\t}\n}\n");
	expect_dumps_as(H "root {\n\tcontroller-config { flags = readonly | "
			"bootable; bus = 0x06; }\n}\n",
			H "root {\n\tcontroller-config {\n\t\tmedia = disk;\n"
			"\t\tflags = bootable | readonly;\n\t\tbus = 6;\n\t}\n}\n");
	expect_dumps_as(H "root {\n\tcontroller-config { flags = 0x80 | 1 | "
			"bootable | 0x40; }\n}\n",
			H "root {\n\tcontroller-config {\n\t\tmedia = disk;\n"
			"\t\tflags = bootable | 0xc0;\n\t}\n}\n");
	expect_dumps_as(H "root {\n\timage-config { flags = 0x80; }\n}\n",
			H "root {\n\timage-config {\n\t\tsize-bytes = 0;\n"
			"\t\tformat = raw;\n\t\tmedia = disk;\n"
			"\t\tflags = 0x80;\n\t}\n}\n");
	expect_dumps_as(H "root {\n\tprofile-config { state = 2; "
			"target-kind = 200; }\n}\n",
			H "root {\n\tprofile-config {\n"
			"\t\tuuid = 00000000-0000-0000-0000-000000000000;\n"
			"\t\tstate = in-transit;\n\t\ttarget-kind = 200;\n"
			"\t}\n}\n");
	/* Value names belong to their field. */
	expect_error(VMC("power = virtio;"), strlen(VMC("power = virtio;")),
		     PSF_ERR_BADVALUE, 4, 11, "unknown value 'virtio'");
	expect_error(VMC("pxe = last;"), strlen(VMC("pxe = last;")),
		     PSF_ERR_BADVALUE, 4, 9, "unknown value 'last'");
}

/* Hand-written spellings the dump turns into the canonical form. */
static void test_other_spellings(void **state)
{
	static const char messy[] =
		"# comments, CRLF, odd spacing, raw signatures, hex\r\n"
		"psf 1.0 schema 1 flags 0x0;   # header\r\n"
		"@0x80000100{@0x80000101{vm{name=[77 65 62];\r\n"
		"  @0x00000002 = \"d\"; # a raw description\n"
		"vm-config{memory-kib=0x400;vcpus=0X2;power=1;}"
		"boot-order=1,3;}}\n"
		"\t@0x00420011 = [DEADbeef\n  # inside hex\n 01];\n"
		"  pad = [0000];pad 0x3;\n"
		"}";
	static const char canon[] =
		"psf 1.0 schema 1 flags 0x00000000;\n"
		"root {\n"
		"\tvms {\n"
		"\t\tvm {\n"
		"\t\t\tname = \"web\";\n"
		"\t\t\tdescription = \"d\";\n"
		"\t\t\tvm-config {\n"
		"\t\t\t\tuuid = 00000000-0000-0000-0000-000000000000;\n"
		"\t\t\t\tmemory-kib = 1024;\n"
		"\t\t\t\tvcpus = 2;\n"
		"\t\t\t\tsockets = 0;\n"
		"\t\t\t\tcores = 0;\n"
		"\t\t\t\tthreads = 0;\n"
		"\t\t\t\tpower = on;\n"
		"\t\t\t}\n"
		"\t\t\tboot-order = disk, network;\n"
		"\t\t}\n"
		"\t}\n"
		"\t@0x00420011 = [de ad be ef 01];\n"
		"\tpad 2;\n"
		"\tpad 3;\n"
		"}\n";

	(void)state;
	expect_dumps_as(messy, canon);
	/* Keywords are whole words: "vms" is not "vm" plus "s". */
	expect_error(IN_ROOT("vmss { }"), strlen(IN_ROOT("vmss { }")),
		     PSF_ERR_BADVALUE, 3, 2, "unknown element 'vmss'");
	expect_error(IN_ROOT("VMS { }"), strlen(IN_ROOT("VMS { }")),
		     PSF_ERR_BADVALUE, 3, 2, "unknown element 'VMS'");
}

/* =============================================================== dump */

static void test_dump_errors(void **state)
{
	struct psf_tree *t = psf_tree_new(PSF_ROOT);
	struct psf_node *n, *saved;
	char *out = (char *)&t;
	size_t len = 7;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(t);
	f = tmpfile();
	assert_non_null(f);
	/* What does not pack has no text, and nothing is written. */
	t->flags = 0x4;
	assert_int_equal(psf_text_dump(t, f), PSF_ERR_BADFLAGS);
	assert_int_equal(psf_text_dump_alloc(t, &out, &len), PSF_ERR_BADFLAGS);
	assert_ptr_equal(out, (char *)&t);
	assert_int_equal(len, 7);
	t->flags = 0;
	for (n = t->root, i = 0; i < 16; i++) {
		OK(psf_node_append(n, psf_node_new_container(PSF_VMS)));
		n = n->last;
	}
	assert_int_equal(psf_text_dump(t, f), PSF_ERR_TOODEEP);
	assert_int_equal(psf_text_dump_alloc(t, &out, &len), PSF_ERR_TOODEEP);
	assert_ptr_equal(out, (char *)&t);
	psf_node_free(n);
	saved = t->root;
	t->root = NULL;
	assert_int_equal(psf_text_dump(t, f), PSF_ERR_BADROOT);
	t->root = psf_node_new_struct(PSF_NAME, "x", 1);
	assert_int_equal(psf_text_dump(t, f), PSF_ERR_BADROOT);
	psf_node_free(t->root);
	t->root = saved;
	assert_int_equal(ftell(f), 0);
	/* The 16-deep tree that remains dumps, with 16 levels of tabs. */
	OK(psf_text_dump(t, f));
	assert_true(ftell(f) > 100);
	fclose(f);
	text_roundtrip(t, "16 deep");
	/* A stream that cannot be written: NOSPACE. */
	f = fopen("/dev/full", "w");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		assert_int_equal(psf_text_dump(t, f), PSF_ERR_NOSPACE);
		fclose(f);
	}
	psf_tree_free(t);
}

/* ============================================================= random */

static void test_random_trees(void **state)
{
	struct pstt_rng r = { 0xfeedface12345678ull };
	unsigned i;

	(void)state;
	for (i = 0; i < 300; i++) {
		struct psf_tree *t = pstt_random_tree(&r, pstt_rn(&r, 120));
		struct psf_tree *u = NULL;
		uint8_t *p;
		size_t pn;
		char what[32];

		if (!t)
			fail_msg("tree %u: %s", i, pstt_msg);
		snprintf(what, sizeof(what), "random tree %u", i);
		text_roundtrip(t, what);
		/* Through the binary form as well. */
		p = must_pack(t, &pn);
		OK(psf_tree_unpack(p, pn, &u, NULL));
		text_roundtrip(u, what);
		free(p);
		psf_tree_free(u);
		psf_tree_free(t);
	}
}

/* ================================================================ main */

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_roundtrip),
		cmocka_unit_test(test_vector_dump_contents),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_default_store),
		cmocka_unit_test(test_golden_text),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_string_all_bytes),
		cmocka_unit_test(test_string_utf8),
		cmocka_unit_test(test_number_boundaries),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_enums_flags),
		cmocka_unit_test(test_other_spellings),
		cmocka_unit_test(test_dump_errors),
		cmocka_unit_test(test_random_trees),
	};
	int rc;

	nvecs = psft_manifest(pstt_vectors_dir(), &vecs);
	if (nvecs < 0) {
		fprintf(stderr, "test_text: cannot read %s/MANIFEST\n",
			pstt_vectors_dir());
		nvecs = 0;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(vecs);
	return rc;
}
