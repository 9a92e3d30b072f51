/*
 * be_vectors.c - the golden vectors through the format core on a
 * big-endian host (make be-test: cross-compiled for s390x, run under
 * qemu-s390x).
 *
 *   be_vectors VECTORS_DIR
 *
 * Self-contained: plain C11 and the core (format/psf_*.c), no test
 * framework.  It refuses to run on a little-endian host, since passing
 * there would prove nothing.  Then:
 *
 *   - the CRC-32C test vectors of docs/format.md 3.1;
 *   - every vector of VECTORS_DIR/MANIFEST: psf_check_full's code and bad
 *     offset, and for valid stores a walk of the whole tree (raw,
 *     pad-skipping and cursor iteration, psf_elem, psf_payload,
 *     psf_ancestors);
 *   - the docs/format.md section 9 example rebuilt with the builder must
 *     equal valid-doc-example.bin byte for byte;
 *   - little-endian fields read back right (u16/u32/u64 record fields of
 *     the schema sample), and a few edits produce valid stores.
 *
 * Prints "be-vectors: N passed, M failed" and exits non-zero on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_test_util.h"
#include "psf_schema.h"

static unsigned passed, failed;
static const char *current = "";

#define CHECK(cond)                                                        \
	do {                                                               \
		if (cond) {                                                \
			passed++;                                          \
		} else {                                                   \
			failed++;                                          \
			printf("FAIL %s: %s (line %d)\n", current, #cond,   \
			       __LINE__);                                  \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		unsigned long long a_ = (unsigned long long)(a);           \
		unsigned long long b_ = (unsigned long long)(b);           \
		if (a_ == b_) {                                            \
			passed++;                                          \
		} else {                                                   \
			failed++;                                          \
			printf("FAIL %s: %s == %llu (0x%llx), want %s == "  \
			       "%llu (0x%llx) (line %d)\n", current, #a, a_, \
			       a_, #b, b_, b_, __LINE__);                  \
		}                                                          \
	} while (0)

static unsigned char *load(const char *dir, const char *name, size_t *n)
{
	char path[4096];
	unsigned char *b;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	b = malloc(len ? (size_t)len : 1);
	if (b && len && fread(b, 1, (size_t)len, f) != (size_t)len) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

/* ------------------------------------------------------------ the walk */

struct walk {
	unsigned elements, pads, max_depth;
	int chain[PSF_MAX_DEPTH + 1];
	int bad;
};

static void walk_container(const unsigned char *b, int off, unsigned depth,
			   struct walk *w)
{
	struct psf_elem pe, ce;
	unsigned raw = 0, pads = 0, seen = 0;
	uint32_t pos;
	int c, anc[PSF_MAX_DEPTH], d, i;

	if (psf_elem(b, off, &pe) != PSF_OK || !PSF_SIG_IS_CONTAINER(pe.sig) ||
	    depth > PSF_MAX_DEPTH) {
		w->bad++;
		return;
	}
	if (depth > w->max_depth)
		w->max_depth = depth;
	w->chain[depth - 1] = off;
	pos = pe.data;
	for (c = psf_first_child_raw(b, off); c >= 0;
	     c = psf_next_child_raw(b, off, c)) {
		if ((uint32_t)c != pos || psf_elem(b, c, &ce) != PSF_OK ||
		    ce.end > pe.end || psf_sig(b, c) != ce.sig) {
			w->bad++;
			return;
		}
		d = psf_ancestors(b, c, anc);
		if (d != (int)depth)
			w->bad++;
		for (i = 0; i < d && i < (int)depth; i++)
			if (anc[i] != w->chain[i])
				w->bad++;
		w->elements++;
		if (PSF_SIG_IS_CONTAINER(ce.sig)) {
			walk_container(b, c, depth + 1, w);
		} else {
			uint32_t len = 0;
			const unsigned char *p = psf_payload(b, c, &len);

			if (p != b + ce.data || len != ce.count ||
			    ce.data + len != ce.end)
				w->bad++;
			if (ce.sig == PSF_PAD) {
				pads++;
				w->pads++;
			}
		}
		pos = ce.end;
		raw++;
	}
	if (c != PSF_ERR_NOTFOUND || pos != pe.end || raw != pe.count)
		w->bad++;
	psf_for_each_child(b, off, c) {
		if (psf_sig(b, c) == PSF_PAD)
			w->bad++;
		seen++;
	}
	if (seen + pads != raw)
		w->bad++;
	/* The cursor sees the same children. */
	{
		struct psf_cursor cur;
		unsigned k = 0;

		if (psf_cursor_init(b, off, &cur) != PSF_OK)
			w->bad++;
		pos = pe.data;
		while ((c = psf_cursor_next(b, &cur, &ce)) >= 0) {
			if ((uint32_t)c != pos)
				w->bad++;
			pos = ce.end;
			k++;
		}
		if (c != PSF_ERR_NOTFOUND || k != raw)
			w->bad++;
	}
}

static int walk(const unsigned char *b, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->elements = 1;
	if (psf_ancestors(b, psf_root(b), w->chain) != 0)
		w->bad++;
	walk_container(b, psf_root(b), 1, w);
	return w->bad;
}

/* ------------------------------------------------------------ the checks */

static void check_crc(void)
{
	unsigned char ff[32], zero[32], inc[32];
	int i;

	current = "crc32c";
	memset(ff, 0xff, sizeof(ff));
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < 32; i++)
		inc[i] = (unsigned char)i;
	CHECK_EQ(psf_crc32c(0, "", 0), 0x00000000u);
	CHECK_EQ(psf_crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ(psf_crc32c(0, zero, 32), 0x8A9136AAu);
	CHECK_EQ(psf_crc32c(0, ff, 32), 0x62A8AB43u);
	CHECK_EQ(psf_crc32c(0, inc, 32), 0x46DD794Eu);
	CHECK_EQ(psf_crc32c(psf_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void check_vectors(const char *dir)
{
	char path[4096], line[512], name[128], verdict[32], err[32];
	unsigned long want_off;
	unsigned nvec = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	f = fopen(path, "r");
	current = "MANIFEST";
	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned char *b;
		uint32_t off = 0xdeadbeefu;
		size_t n;
		int want, rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%127s %31s %31s %lu", name, verdict, err,
			   &want_off) != 4) {
			current = "MANIFEST";
			CHECK(!"malformed MANIFEST line");
			continue;
		}
		current = name;
		want = psft_errcode(err);
		CHECK(want <= 0);
		CHECK((strcmp(verdict, "valid") == 0) == (want == PSF_OK));
		snprintf(path, sizeof(path), "%s.bin", name);
		b = load(dir, path, &n);
		CHECK(b != NULL);
		if (!b)
			continue;
		nvec++;
		rc = psf_check_full(b, n, &off);
		if (rc != want)
			printf("FAIL %s: psf_check_full = %d, want %s (%d)\n",
			       name, rc, err, want);
		CHECK_EQ(rc, want);
		if (want != PSF_OK) {
			CHECK_EQ(off, want_off);
		} else if (rc == PSF_OK) {
			struct walk w;

			CHECK_EQ(walk(b, &w), 0);
			CHECK(w.elements >= 1);
			CHECK(psf_check_full(b, psf_total(b) - 1, NULL) ==
			      PSF_ERR_TRUNCATED);
		}
		free(b);
	}
	fclose(f);
	current = "MANIFEST";
	CHECK(nvec >= 30);
	printf("be-vectors: %u vectors from %s\n", nvec, dir);
}

static void check_doc_example(const char *dir)
{
	static const unsigned char vendor[2] = { 0xab, 0xcd };
	unsigned char built[128], *golden;
	struct psf_builder bl;
	size_t n = 0;
	int total;

	current = "doc example rebuilt";
	golden = load(dir, "valid-doc-example.bin", &n);
	CHECK(golden != NULL);
	if (!golden)
		return;
	CHECK_EQ(psf_build_begin(&bl, built, sizeof(built), PSF_ROOT, 1, 0),
		 PSF_OK);
	psf_build_open(&bl, PSF_VMS);
	psf_build_open(&bl, PSF_VM);
	psf_build_string(&bl, PSF_NAME, "vm1");
	psf_build_close(&bl);
	psf_build_close(&bl);
	psf_build_struct(&bl, PSF_SIG(0, 0x0123, 0x0007), vendor, 2);
	total = psf_build_finish(&bl);
	CHECK_EQ(total, 89);
	CHECK_EQ(n, 89);
	CHECK(total == 89 && n == 89 && memcmp(built, golden, 89) == 0);
	/* The header integers as bytes: little-endian whatever the host. */
	CHECK_EQ(built[16], 89);
	CHECK_EQ(built[17], 0);
	CHECK_EQ(built[24], 0x00);
	CHECK_EQ(built[25], 0xd6);
	CHECK_EQ(built[26], 0x68);
	CHECK_EQ(built[27], 0x7e);
	CHECK_EQ(psf_le32(built + 24), 0x7e68d600u);
	CHECK_EQ(psf_total(built), 89);
	free(golden);
}

static int named(const unsigned char *b, uint32_t set, uint32_t item,
		 const char *name)
{
	struct psf_step s[2];

	s[0].sig = set;
	s[0].name = NULL;
	s[0].name_len = 0;
	s[1].sig = item;
	s[1].name = name;
	s[1].name_len = strlen(name);
	return psf_find_path(b, s, 2, PSF_NAME);
}

/* Multi-byte fields and edits on the schema sample. */
static void check_fields_and_edits(const char *dir)
{
	unsigned char *golden, *b;
	const unsigned char *r;
	size_t n = 0, cap;
	uint32_t len;
	int vm, off, rc;
	struct walk w;

	current = "schema sample fields";
	golden = load(dir, "valid-schema-sample.bin", &n);
	CHECK(golden != NULL);
	if (!golden)
		return;
	vm = named(golden, PSF_VMS, PSF_VM, "web01");
	CHECK(vm > 0);
	r = psf_child_payload(golden, vm, PSF_VM_CONFIG, &len);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ(len, PSF_VMC_SIZE);
		CHECK_EQ(psf_field_uint(r, len, PSF_VMC_MEMORY_KIB, 8), 4194304u);
		CHECK_EQ(psf_field_uint(r, len, PSF_VMC_VCPUS, 2), 4);
		CHECK_EQ(psf_field_uint(r, len, PSF_VMC_POWER, 1), PSF_POWER_ON);
	}
	off = psf_find_child(golden, psf_root(golden), PSF_STORE_INFO);
	r = psf_child_payload(golden, off, PSF_STORE_RECORD, &len);
	CHECK(r != NULL);
	if (r)
		CHECK_EQ(psf_field_uint(r, len, PSF_STOC_TIME, 8), 1767225600u);
	off = named(golden, PSF_NETWORKS, PSF_NETWORK, "dmz");
	r = psf_child_payload(golden, off, PSF_NETWORK_CONFIG, &len);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ(psf_field_uint(r, len, PSF_NETC_VLAN, 2), 42);
		CHECK_EQ(psf_field_uint(r, len, PSF_NETC_MTU, 4), 1500);
	}
	off = named(golden, PSF_IMAGES, PSF_IMAGE, "web01-root");
	r = psf_child_payload(golden, off, PSF_IMAGE_CONFIG, &len);
	CHECK(r != NULL);
	if (r)
		CHECK_EQ(psf_field_uint(r, len, PSF_IMGC_SIZE_BYTES, 8),
			 21474836480ull);

	current = "edits";
	cap = n + 1024;
	b = malloc(cap);
	CHECK(b != NULL);
	if (!b) {
		free(golden);
		return;
	}
	memcpy(b, golden, n);
	vm = named(b, PSF_VMS, PSF_VM, "db01");
	off = psf_set_child(b, cap, vm, PSF_HOSTNAME, "db01.example.org", 16);
	CHECK(off > vm);
	off = psf_find_child(b, vm, PSF_VM_CONFIG);
	rc = psf_wip_write(b, off, PSF_VMC_MEMORY_KIB,
			   "\x00\x00\x00\x02\x00\x00\x00\x00", 8);
	CHECK_EQ(rc, PSF_OK);
	r = psf_payload(b, off, &len);
	CHECK_EQ(psf_field_uint(r, len, PSF_VMC_MEMORY_KIB, 8), 0x02000000u);
	rc = psf_set_payload(b, cap, psf_find_child(b, vm, PSF_NAME), "db-one",
			     6);
	CHECK_EQ(rc, PSF_OK);
	off = psf_insert(b, cap, psf_root(b), -1, PSF_SIG(0, 0x0123, 1), "x",
			 1);
	CHECK(off > 0);
	CHECK_EQ(psf_delete(b, named(b, PSF_VMS, PSF_VM, "web01")), PSF_OK);
	CHECK_EQ(psf_finish(b), PSF_OK);
	CHECK_EQ(psf_check_full(b, psf_total(b), NULL), PSF_OK);
	CHECK_EQ(walk(b, &w), 0);
	CHECK(named(b, PSF_VMS, PSF_VM, "db-one") > 0);
	CHECK_EQ(named(b, PSF_VMS, PSF_VM, "web01"), PSF_ERR_NOTFOUND);
	free(b);
	free(golden);
}

int main(int argc, char **argv)
{
	union {
		uint32_t word;
		unsigned char bytes[4];
	} probe;
	const char *dir = argc > 1 ? argv[1] : "tests/vectors";

	probe.word = 0x01020304u;
	if (probe.bytes[0] != 0x01 || probe.bytes[3] != 0x04) {
		printf("be-vectors: this host is not big-endian (first byte of "
		       "0x01020304 is 0x%02x): run it on s390x (make be-test)\n",
		       probe.bytes[0]);
		printf("be-vectors: 0 passed, 1 failed\n");
		return 2;
	}
	check_crc();
	check_vectors(dir);
	check_doc_example(dir);
	check_fields_and_edits(dir);
	printf("be-vectors: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
