/*
 * test_vectors.c - libpsf against the golden vectors in tests/vectors/
 * (written by the independent encoder scripts/gen-vectors.py from
 * docs/format.md), and the CRC-32C test vectors of docs/format.md 3.1.
 *
 * Usage: test_vectors [VECTORS_DIR]   (else $PSF_VECTORS, else
 * tests/vectors, relative to the repository root).
 *
 * One cmocka test per MANIFEST line: psf_check_full must give the expected
 * code and bad offset on a buffer of exactly the file's size; valid stores
 * are walked completely.  The check and the walk first run in a child
 * process, so a memory error found by AddressSanitizer fails that vector's
 * test rather than aborting the whole run.  Further tests check what the
 * vectors say (fields at psf_schema.h offsets, pads, unknown namespaces).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "psf.h"
#include "psf_schema.h"
#include "psf_test_util.h"

static const char *vec_dir = "tests/vectors";
static struct psft_vector *vecs;
static int nvecs;

static uint8_t *load_vector(const char *name, size_t *n)
{
	char path[4096];
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/%s.bin", vec_dir, name);
	b = psft_load(path, n);
	if (!b)
		fail_msg("cannot read %s", path);
	return b;
}

static const struct psft_vector *find_vector(const char *name)
{
	int i;

	for (i = 0; i < nvecs; i++)
		if (strcmp(vecs[i].name, name) == 0)
			return &vecs[i];
	fail_msg("vector %s missing from %s/MANIFEST", name, vec_dir);
	return NULL;
}

/* ------------------------------------------------------------------ CRC */

static void test_crc32c_vectors(void **state)
{
	static const struct {
		const char *what;
		uint8_t data[32];
		size_t len;
		uint32_t crc;
	} v[] = {
		{ "empty", { 0 }, 0, 0x00000000u },
		{ "123456789", "123456789", 9, 0xE3069283u },
		{ "32 x 00", { 0 }, 32, 0x8A9136AAu },
		{ "32 x ff", { 0 }, 32, 0x62A8AB43u },
		{ "00..1f", { 0 }, 32, 0x46DD794Eu },
	};
	uint8_t ff[32], inc[32], big[1000];
	size_t i, split;
	uint32_t whole;

	(void)state;
	memset(ff, 0xff, sizeof(ff));
	for (i = 0; i < 32; i++)
		inc[i] = (uint8_t)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const uint8_t *d = i == 3 ? ff : i == 4 ? inc : v[i].data;

		assert_int_equal(psf_crc32c(0, d, v[i].len), v[i].crc);
		/* Continuing over two pieces gives the same CRC. */
		for (split = 0; split <= v[i].len; split++)
			assert_int_equal(psf_crc32c(psf_crc32c(0, d, split),
						    d + split,
						    v[i].len - split),
					 v[i].crc);
	}
	/* The table-driven code against the bit-at-a-time reference of
	 * section 3.1, on lengths that exercise every tail and an unaligned
	 * start. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 131u + 7u);
	for (i = 0; i < 64; i++) {
		uint32_t crc = 0xFFFFFFFFu;
		size_t k, len = i * 15u + 1u, start = i % 8u;
		int bit;

		for (k = 0; k < len; k++) {
			crc ^= big[start + k];
			for (bit = 0; bit < 8; bit++)
				crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
		}
		assert_int_equal(psf_crc32c(0, big + start, len),
				 crc ^ 0xFFFFFFFFu);
	}
	whole = psf_crc32c(0, big, sizeof(big));
	assert_int_equal(psf_crc32c(psf_crc32c(0, big, 333), big + 333,
				    sizeof(big) - 333), whole);
}

static uint32_t crc_bitwise(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;
	int bit;

	while (len--) {
		crc ^= *p++;
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
	}
	return crc ^ 0xFFFFFFFFu;
}

/* Long inputs, around the block sizes fast implementations use (8-byte
 * words, 3 x 2 KiB interleaved blocks for SSE4.2), from unaligned starts,
 * and continued across block boundaries. */
static void test_crc32c_long(void **state)
{
	static const size_t lens[] = { 6143, 6144, 6145, 6151, 12288,
				       12289 + 7, 18432 + 5, 40000 };
	enum { N = 40008 };
	uint8_t *big = malloc(N);
	uint32_t x = 12345;
	size_t i, k;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (uint8_t)(x >> 16);
	}
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (i = 0; i < 8; i += 3) {
			uint32_t want = crc_bitwise(big + i, lens[k]);

			assert_int_equal(psf_crc32c(0, big + i, lens[k]), want);
			/* In two pieces, split inside the first block. */
			assert_int_equal(psf_crc32c(psf_crc32c(0, big + i, 4097),
						    big + i + 4097,
						    lens[k] - 4097), want);
			/* Combined from the CRCs of two pieces, split at a
			 * PSF header and elsewhere, an empty B included. */
			assert_int_equal(psf_crc32c_combine(
				psf_crc32c(0, big + i, 32),
				psf_crc32c(0, big + i + 32, lens[k] - 32),
				lens[k] - 32), want);
			assert_int_equal(psf_crc32c_combine(
				psf_crc32c(0, big + i, lens[k] - 1 - i),
				psf_crc32c(0, big + lens[k] - 1, 1 + i), 1 + i),
				want);
			assert_int_equal(psf_crc32c_combine(want,
				psf_crc32c(0, big, 0), 0), want);
		}
	}
	memset(big, 0, N);
	assert_int_equal(psf_crc32c(0, big, 32), 0x8A9136AAu);
	assert_int_equal(psf_crc32c(0, big, N), crc_bitwise(big, N));
	free(big);
}

/* --------------------------------------------------------- each vector */

struct isolated_arg {
	const uint8_t *buf;
	size_t n;
};

/* Child: check and, when valid, walk.  0 = no crash and consistent. */
static int check_and_walk(void *p)
{
	const struct isolated_arg *a = p;
	struct psft_stats st;
	uint32_t off = 0;

	if (psf_check_full(a->buf, a->n, &off) != PSF_OK)
		return 0;
	if (psft_walk(a->buf, &st)) {
		printf("walk: %s\n", psft_walk_msg);
		return 2;
	}
	return 0;
}

static void test_vector(void **state)
{
	const struct psft_vector *v = *state;
	struct isolated_arg a;
	struct psft_stats st;
	uint32_t off = 0xdeadbeef;
	uint8_t *b, *big;
	size_t n;
	int rc;

	b = load_vector(v->name, &n);
	a.buf = b;
	a.n = n;
	rc = psft_isolated(check_and_walk, &a);
	if (rc != 0) {
		free(b);
		fail_msg("%s: %s", v->name,
			 rc < 0 ? "psf_check_full or the walk died (memory "
				  "error: see the sanitizer report above)"
				: "the walk found an inconsistency");
	}

	rc = psf_check_full(b, n, &off);
	if (rc != v->err)
		print_error("%s: psf_check_full = %s (%d), want %s\n", v->name,
			    psft_errname(rc), rc, v->errname);
	assert_int_equal(rc, v->err);
	if (v->valid) {
		assert_int_equal(psf_check_header(b, n), PSF_OK);
		assert_int_equal(psf_check_crc(b, n), PSF_OK);
		assert_int_equal(psf_check_tree(b, n, NULL), PSF_OK);
		assert_int_equal(psft_walk(b, &st), 0);
		assert_true(st.elements >= 1);
		assert_int_equal(st.elements, st.containers + st.structs);
		assert_true(psf_total(b) <= n);
	} else {
		assert_int_equal(off, v->off);
		/* Which stage catches it: header errors already in
		 * psf_check_header; the body CRC in psf_check_crc; everything
		 * else has correct CRCs and fails in psf_check_tree alone. */
		switch (rc) {
		case PSF_ERR_TRUNCATED: case PSF_ERR_BADMAGIC:
		case PSF_ERR_BADVERSION: case PSF_ERR_BADHEADER:
		case PSF_ERR_HEADERCRC: case PSF_ERR_BADFLAGS:
		case PSF_ERR_TOOLARGE:
			assert_int_equal(psf_check_header(b, n), rc);
			assert_int_equal(psf_check_crc(b, n), rc);
			off = 1;
			assert_int_equal(psf_check_tree(b, n, &off), rc);
			assert_int_equal(off, 0);
			break;
		case PSF_ERR_BODYCRC:
			assert_int_equal(psf_check_header(b, n), PSF_OK);
			assert_int_equal(psf_check_crc(b, n), rc);
			assert_int_equal(psf_check_tree(b, n, NULL), PSF_OK);
			break;
		default:
			assert_int_equal(psf_check_crc(b, n), PSF_OK);
			off = 0;
			assert_int_equal(psf_check_tree(b, n, &off), rc);
			assert_int_equal(off, v->off);
			break;
		}
		/* A NULL bad_off is allowed. */
		assert_int_equal(psf_check_full(b, n, NULL), rc);
	}

	/* More bytes after the file change nothing, except for the
	 * truncation vectors (the missing bytes are then "there"). */
	if (rc != PSF_ERR_TRUNCATED) {
		big = malloc(n + 64);
		assert_non_null(big);
		if (n)
			memcpy(big, b, n);
		memset(big + n, 0xff, 64);
		off = 0xdeadbeef;
		assert_int_equal(psf_check_full(big, n + 64, &off), rc);
		if (rc)
			assert_int_equal(off, v->off);
		free(big);
	}
	/* One byte fewer than total_length: truncated. */
	if (v->valid) {
		size_t total = psf_total(b);

		assert_int_equal(psf_check_full(b, total - 1, &off),
				 PSF_ERR_TRUNCATED);
		assert_int_equal(psf_check_full(b, total, &off), PSF_OK);
	}
	free(b);
}

/* ------------------------------------------------------ manifest itself */

static void test_manifest_complete(void **state)
{
	static const char *const classes[] = {
		"TRUNCATED", "BADMAGIC", "BADVERSION", "BADHEADER", "HEADERCRC",
		"BODYCRC", "BADFLAGS", "TOOLARGE", "BADROOT", "OVERRUN",
		"BADCOUNT", "TOODEEP",
	};
	static const char *const required[] = {
		"valid-empty-root", "valid-doc-example", "valid-schema-sample",
		"valid-unknown-namespaces", "valid-pads",
		"valid-trailing-unknown-bytes", "valid-short-record",
		"valid-trailing-garbage", "invalid-truncated-header",
		"invalid-truncated-body", "invalid-bad-magic",
		"invalid-bad-major", "invalid-bad-header-size",
		"invalid-header-crc", "invalid-body-crc",
		"invalid-unknown-flag", "invalid-total-too-large",
		"invalid-total-too-small", "invalid-root-is-structure",
		"invalid-root-size", "invalid-overrun",
		"invalid-count-too-large", "invalid-count-too-small",
		"invalid-zero-size-count", "invalid-too-deep",
		"invalid-length-overflow",
	};
	size_t i;
	int k, found;

	(void)state;
	assert_true(nvecs >= (int)(sizeof(required) / sizeof(required[0])));
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		assert_non_null(find_vector(required[i]));
	/* Every error class of docs/format.md section 7 has a vector. */
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		found = 0;
		for (k = 0; k < nvecs; k++)
			found |= !vecs[k].valid &&
				 strcmp(vecs[k].errname, classes[i]) == 0;
		if (!found)
			fail_msg("no invalid vector for %s", classes[i]);
	}
	/* Names are unique, verdicts agree with the codes, and each vector
	 * has its explanation. */
	for (k = 0; k < nvecs; k++) {
		char path[4096];
		FILE *f;
		int j;

		for (j = 0; j < k; j++)
			assert_string_not_equal(vecs[j].name, vecs[k].name);
		assert_int_equal(vecs[k].valid, vecs[k].err == PSF_OK);
		if (vecs[k].valid)
			assert_int_equal(vecs[k].off, 0);
		snprintf(path, sizeof(path), "%s/%s.txt", vec_dir, vecs[k].name);
		f = fopen(path, "r");
		if (!f)
			fail_msg("missing %s", path);
		fclose(f);
	}
}

/* ------------------------------------------------- what vectors contain */

static void test_empty_root(void **state)
{
	size_t n;
	uint8_t *b = load_vector("valid-empty-root", &n);
	struct psf_elem e;

	(void)state;
	assert_int_equal(n, 44);
	assert_int_equal(psf_total(b), 44);
	assert_int_equal(psf_elem(b, 32, &e), PSF_OK);
	assert_int_equal(e.sig, PSF_ROOT);
	assert_int_equal(e.count, 0);
	assert_int_equal(e.data, 44);
	assert_int_equal(e.end, 44);
	assert_int_equal(psf_first_child_raw(b, 32), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_first_child(b, 32), PSF_ERR_NOTFOUND);
	free(b);
}

/* docs/format.md section 9, rebuilt with the builder: same bytes. */
static void test_doc_example(void **state)
{
	static const uint8_t head[32] = {
		0x89, 0x70, 0x73, 0x74, 0x61, 0x74, 0x65, 0x1a,
		0x01, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x59, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0xd6, 0x68, 0x7e, 0xc2, 0x1f, 0xe8, 0xcc,
	};
	static const uint8_t vendor[2] = { 0xab, 0xcd };
	struct psf_builder bld;
	uint8_t built[128];
	size_t n;
	uint8_t *b = load_vector("valid-doc-example", &n);
	uint32_t len;
	const void *p;
	int vm;

	(void)state;
	assert_int_equal(n, 89);
	assert_memory_equal(b, head, sizeof(head));
	assert_int_equal(psf_build_begin(&bld, built, sizeof(built), PSF_ROOT,
					 1, 0), PSF_OK);
	assert_int_equal(psf_build_open(&bld, PSF_VMS), PSF_OK);
	assert_int_equal(psf_build_open(&bld, PSF_VM), PSF_OK);
	assert_int_equal(psf_build_string(&bld, PSF_NAME, "vm1"), PSF_OK);
	assert_int_equal(psf_build_close(&bld), PSF_OK);
	assert_int_equal(psf_build_close(&bld), PSF_OK);
	assert_int_equal(psf_build_struct(&bld, PSF_SIG(0, 0x0123, 0x0007),
					  vendor, 2), PSF_OK);
	assert_int_equal(psf_build_finish(&bld), 89);
	assert_memory_equal(built, b, 89);

	vm = psf_find_path(b, (const struct psf_step[]){
				   { PSF_VMS, NULL, 0 },
				   { PSF_VM, "vm1", 3 } }, 2, PSF_NAME);
	assert_int_equal(vm, 56);
	p = psf_child_payload(b, vm, PSF_NAME, &len);
	assert_non_null(p);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "vm1", 3);
	assert_int_equal(psf_find_child(b, 32, PSF_SIG(0, 0x0123, 0x0007)), 79);
	free(b);
}

static int path3(const uint8_t *b, uint32_t set, uint32_t item,
		 const char *name)
{
	struct psf_step steps[2] = { { set, NULL, 0 },
				     { item, name, strlen(name) } };

	return psf_find_path(b, steps, 2, PSF_NAME);
}

static const uint8_t *record_of(const uint8_t *b, int parent, uint32_t sig,
				uint32_t *len)
{
	const uint8_t *p = psf_child_payload(b, parent, sig, len);

	assert_non_null(p);
	return p;
}

static void assert_child_string(const uint8_t *b, int parent, uint32_t sig,
				const char *s)
{
	uint32_t len;
	const void *p = psf_child_payload(b, parent, sig, &len);

	assert_non_null(p);
	assert_int_equal(len, strlen(s));
	assert_memory_equal(p, s, len);
}

/* Field values at the offsets psf_schema.h gives. */
static void test_schema_sample(void **state)
{
	static const uint8_t uuid_web[16] = {
		0x6f, 0x1c, 0x2f, 0x8e, 0x4b, 0x3a, 0x4e, 0x0a,
		0x9d, 0x5c, 0x7b, 0x2a, 0x1e, 0x0f, 0x3d, 0x4c,
	};
	static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	size_t n;
	uint8_t *b = load_vector("valid-schema-sample", &n);
	struct psft_stats st;
	const uint8_t *r;
	uint8_t tmp[16];
	uint32_t len;
	int vm, nics, nic, off, k;

	(void)state;
	assert_int_equal(psf_check_full(b, n, NULL), PSF_OK);
	assert_int_equal(psft_walk(b, &st), 0);
	assert_int_equal(st.unknown_ns, 0);
	assert_int_equal(st.pads, 0);
	assert_true(st.max_depth >= 5);

	off = psf_find_child(b, 32, PSF_STORE_INFO);
	assert_true(off > 0);
	r = record_of(b, off, PSF_STORE_RECORD, &len);
	assert_int_equal(len, PSF_STOC_SIZE);
	assert_int_equal(psf_field_uint(r, len, PSF_STOC_WRITER_KIND, 1),
			 PSF_WRITER_PSCTL);
	assert_int_equal(psf_field_uint(r, len, PSF_STOC_TIME, 8), 1767225600u);
	assert_child_string(b, off, PSF_WRITER, "psctl 1.0 on host-a");

	vm = path3(b, PSF_VMS, PSF_VM, "web01");
	assert_true(vm > 0);
	r = record_of(b, vm, PSF_VM_CONFIG, &len);
	assert_int_equal(len, PSF_VMC_SIZE);
	psf_field_bytes(r, len, PSF_VMC_UUID, tmp, 16);
	assert_memory_equal(tmp, uuid_web, 16);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_MEMORY_KIB, 8), 4194304);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_VCPUS, 2), 4);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_SOCKETS, 2), 1);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_CORES, 2), 2);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_THREADS, 2), 2);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_POWER, 1), PSF_POWER_ON);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_PXE, 1), PSF_PXE_OFF);
	r = record_of(b, vm, PSF_BOOT_ORDER, &len);
	assert_int_equal(len, 2);
	assert_int_equal(r[0], PSF_BOOT_DISK);
	assert_int_equal(r[1], PSF_BOOT_NETWORK);
	assert_child_string(b, vm, PSF_SERIAL_NUMBER, "VM-WEB01-0001");
	nics = psf_find_child(b, vm, PSF_NICS);
	assert_true(nics > vm);
	k = 0;
	psf_for_each_child(b, nics, nic) {
		assert_int_equal(psf_sig(b, nic), PSF_NIC);
		r = record_of(b, nic, PSF_NIC_CONFIG, &len);
		assert_int_equal(len, PSF_NICC_SIZE);
		if (k == 1) {
			psf_field_bytes(r, len, PSF_NICC_MAC, tmp, 6);
			assert_memory_equal(tmp, mac1, 6);
			assert_int_equal(psf_field_uint(r, len, PSF_NICC_MODEL, 1),
					 PSF_NIC_MODEL_E1000);
			assert_int_equal(psf_field_uint(r, len, PSF_NICC_FLAGS, 1),
					 PSF_NICF_LINK_DOWN);
			assert_child_string(b, nic, PSF_NETWORK_REF, "dmz");
			assert_child_string(b, nic, PSF_NAME, "eth1");
		} else {
			assert_int_equal(psf_field_uint(r, len, PSF_NICC_MODEL, 1),
					 PSF_NIC_MODEL_VIRTIO);
			assert_child_string(b, nic, PSF_NETWORK_REF, "lan");
		}
		k++;
	}
	assert_int_equal(k, 2);
	off = psf_find_child(b, vm, PSF_STORAGE);
	assert_true(off > 0);
	k = 0;
	psf_for_each_child(b, off, nic) {
		r = record_of(b, nic, PSF_CONTROLLER_CONFIG, &len);
		assert_int_equal(len, PSF_CTLC_SIZE);
		if (k == 1) {
			assert_int_equal(r[PSF_CTLC_MEDIA], PSF_MEDIA_CDROM);
			assert_int_equal(r[PSF_CTLC_FLAGS], PSF_CTLF_READONLY);
			assert_int_equal(r[PSF_CTLC_BUS], PSF_BUS_SATA);
		}
		if (k == 0) {
			assert_int_equal(r[PSF_CTLC_MEDIA], PSF_MEDIA_DISK);
			assert_int_equal(r[PSF_CTLC_FLAGS], PSF_CTLF_BOOTABLE);
			assert_int_equal(r[PSF_CTLC_BUS], PSF_BUS_VIRTIO);
			assert_child_string(b, nic, PSF_IMAGE_REF, "web01-root");
		}
		k++;
	}
	assert_int_equal(k, 2);
	off = psf_find_child(b, vm, PSF_SERIAL_PORTS);
	off = psf_first_child(b, off);
	assert_true(off > 0);
	r = record_of(b, off, PSF_SERIAL_CONFIG, &len);
	assert_int_equal(len, PSF_SERC_SIZE);
	assert_int_equal(psf_field_uint(r, len, PSF_SERC_CONCENTRATOR, 2), 7001);
	assert_int_equal(psf_field_uint(r, len, PSF_SERC_MODE, 1),
			 PSF_SERIAL_MODE_OBSERVER);
	assert_child_string(b, off, PSF_HOSTNAME, "web01-console");

	vm = path3(b, PSF_VMS, PSF_VM, "db01");
	assert_true(vm > 0);
	r = record_of(b, vm, PSF_VM_CONFIG, &len);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_MEMORY_KIB, 8),
			 16777216);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_VCPUS, 2), 8);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_POWER, 1),
			 PSF_POWER_LAST);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_PXE, 1), PSF_PXE_ON);
	assert_child_string(b, vm, PSF_PROFILE_REF, "gold");
	assert_int_equal(path3(b, PSF_VMS, PSF_VM, "db0"), PSF_ERR_NOTFOUND);

	off = path3(b, PSF_NETWORKS, PSF_NETWORK, "dmz");
	r = record_of(b, off, PSF_NETWORK_CONFIG, &len);
	assert_int_equal(len, PSF_NETC_SIZE);
	assert_int_equal(psf_field_uint(r, len, PSF_NETC_KIND, 1), PSF_NET_NAT);
	assert_int_equal(psf_field_uint(r, len, PSF_NETC_VLAN, 2), 42);
	assert_int_equal(psf_field_uint(r, len, PSF_NETC_MTU, 4), 1500);
	assert_child_string(b, off, PSF_UPLINK, "eno2");
	off = path3(b, PSF_NETWORKS, PSF_NETWORK, "lab");
	r = record_of(b, off, PSF_NETWORK_CONFIG, &len);
	assert_int_equal(r[PSF_NETC_KIND], PSF_NET_ISOLATED);

	off = path3(b, PSF_IMAGES, PSF_IMAGE, "web01-root");
	r = record_of(b, off, PSF_IMAGE_CONFIG, &len);
	assert_int_equal(len, PSF_IMGC_SIZE);
	assert_int_equal(psf_field_uint(r, len, PSF_IMGC_SIZE_BYTES, 8),
			 21474836480ull);
	assert_int_equal(r[PSF_IMGC_FORMAT], PSF_IMAGE_FORMAT_QCOW2);
	off = path3(b, PSF_IMAGES, PSF_IMAGE, "installer");
	r = record_of(b, off, PSF_IMAGE_CONFIG, &len);
	assert_int_equal(r[PSF_IMGC_MEDIA], PSF_MEDIA_CDROM);
	assert_int_equal(r[PSF_IMGC_FLAGS], PSF_IMGF_SHAREABLE);
	assert_child_string(b, off, PSF_PATH, "/srv/iso/installer.iso");

	off = path3(b, PSF_RESERVATIONS, PSF_RESERVATION, "hugepages");
	r = record_of(b, off, PSF_RESERVATION_CONFIG, &len);
	assert_int_equal(len, PSF_RESC_SIZE);
	assert_int_equal(r[PSF_RESC_KIND], PSF_RESERVE_MEMORY);
	assert_int_equal(psf_field_uint(r, len, PSF_RESC_FIRST, 8),
			 0x100000000ull);
	assert_int_equal(psf_field_uint(r, len, PSF_RESC_COUNT, 8), 0x40000000);
	assert_child_string(b, off, PSF_OWNER, "db01");
	off = path3(b, PSF_RESERVATIONS, PSF_RESERVATION, "host-cpus");
	assert_true(off > 0);
	assert_null(psf_child_payload(b, off, PSF_OWNER, &len));
	assert_int_equal((int)len, PSF_ERR_NOTFOUND);

	off = path3(b, PSF_PROFILES, PSF_PROFILE, "gold");
	r = record_of(b, off, PSF_PROFILE_CONFIG, &len);
	assert_int_equal(len, PSF_PROC_SIZE);
	assert_int_equal(r[PSF_PROC_STATE], PSF_PROFILE_ASSIGNED);
	assert_int_equal(r[PSF_PROC_TARGET_KIND], PSF_TARGET_VM);
	assert_child_string(b, off, PSF_TARGET, "db01");
	assert_child_string(b, off, PSF_SERIAL_NUMBER, "SN-0042-XYZ");
	r = record_of(b, off, PSF_MAC_LIST, &len);
	assert_int_equal(len, 2 * PSF_MAC_LEN);
	assert_int_equal(r[PSF_MAC_LEN + 5], 0x02);
	r = record_of(b, off, PSF_WWN_LIST, &len);
	assert_int_equal(len, PSF_WWN_ITEM_LEN);
	assert_int_equal(r[0], 0x20); /* WWNN first, most significant first */
	assert_int_equal(r[8], 0x21); /* then the WWPN */
	r = record_of(b, off, PSF_FC_BOOT, &len);
	assert_int_equal(len, PSF_FC_BOOT_LEN);
	assert_int_equal(r[0], 0x50);
	off = path3(b, PSF_PROFILES, PSF_PROFILE, "spare");
	r = record_of(b, off, PSF_PROFILE_CONFIG, &len);
	assert_int_equal(r[PSF_PROC_STATE], PSF_PROFILE_UNASSIGNED);
	free(b);
}

static void test_unknown_namespaces(void **state)
{
	size_t n;
	uint8_t *b = load_vector("valid-unknown-namespaces", &n);
	struct psft_stats st;
	int vm, off, k = 0;
	uint32_t sigs[8];

	(void)state;
	assert_int_equal(psft_walk(b, &st), 0);
	assert_int_equal(st.max_depth, 7);
	assert_true(st.unknown_ns >= 15);
	/* Known elements are found past the unknown ones. */
	vm = path3(b, PSF_VMS, PSF_VM, "vm1");
	assert_true(vm > 0);
	off = psf_find_path(b, (const struct psf_step[]){
				    { PSF_VMS, NULL, 0 },
				    { PSF_VM, "vm1", 3 },
				    { PSF_NICS, NULL, 0 },
				    { PSF_NIC, NULL, 0 },
				    { PSF_SIG(1, 0x7000, 1), NULL, 0 },
				    { PSF_SIG(1, 0x7000, 2), NULL, 0 },
				    { PSF_SIG(0, 0x7000, 3), NULL, 0 } },
			    7, PSF_NAME);
	assert_true(off > 0);
	assert_int_equal(psf_ancestors(b, off, (int[PSF_MAX_DEPTH]){ 0 }), 7);
	/* Root children, in order. */
	psf_for_each_child(b, 32, off) {
		assert_true(k < 8);
		sigs[k++] = psf_sig(b, off);
	}
	assert_int_equal(k, 5);
	assert_int_equal(sigs[0], PSF_SIG(1, 0x0123, 1));
	assert_int_equal(sigs[1], PSF_AGENT_STATE);
	assert_int_equal(sigs[2], PSF_VMS);
	assert_int_equal(sigs[3], PSF_SIG(0, 0x7ffe, 0xffff));
	assert_int_equal(sigs[4], PSF_BMC_STATE);
	free(b);
}

static void test_pads(void **state)
{
	size_t n;
	uint8_t *b = load_vector("valid-pads", &n);
	struct psft_stats st;
	uint32_t sigs[8];
	int off, k = 0, raw = 0, vm;

	(void)state;
	assert_int_equal(psft_walk(b, &st), 0);
	assert_int_equal(st.pads, 8);
	psf_for_each_child_raw(b, 32, off)
		raw++;
	assert_int_equal(raw, 5);
	psf_for_each_child(b, 32, off) {
		assert_true(k < 8);
		sigs[k++] = psf_sig(b, off);
	}
	assert_int_equal(k, 3);
	assert_int_equal(sigs[0], PSF_VMS);
	assert_int_equal(sigs[1], PSF_NETWORKS);
	assert_int_equal(sigs[2], PSF_IMAGES);
	off = psf_find_child(b, 32, PSF_NETWORKS);
	assert_int_equal(psf_first_child(b, off), PSF_ERR_NOTFOUND);
	assert_true(psf_first_child_raw(b, off) > off);
	vm = path3(b, PSF_VMS, PSF_VM, "vm1");
	assert_true(vm > 0);
	assert_int_equal(psf_next_child(b, vm, psf_first_child(b, vm)),
			 PSF_ERR_NOTFOUND);
	free(b);
}

static void test_trailing_unknown_bytes(void **state)
{
	static const uint8_t extra[16] = {
		0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d,
		1, 2, 3, 4, 5, 6, 7, 8,
	};
	size_t n;
	uint8_t *b = load_vector("valid-trailing-unknown-bytes", &n);
	const uint8_t *r;
	uint32_t len;
	int vm;

	(void)state;
	vm = path3(b, PSF_VMS, PSF_VM, "vm1");
	r = record_of(b, vm, PSF_VM_CONFIG, &len);
	assert_int_equal(len, PSF_VMC_SIZE + 16);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_MEMORY_KIB, 8), 1048576);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_VCPUS, 2), 2);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_POWER, 1), PSF_POWER_ON);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_PXE_NIC, 2), 0);
	assert_memory_equal(r + PSF_VMC_SIZE, extra, 16);
	free(b);
}

static void test_short_record(void **state)
{
	static const uint8_t zero[16];
	size_t n;
	uint8_t *b = load_vector("valid-short-record", &n);
	const uint8_t *r;
	uint8_t tmp[16];
	uint32_t len;
	int vm, off;

	(void)state;
	vm = path3(b, PSF_VMS, PSF_VM, "short");
	r = record_of(b, vm, PSF_VM_CONFIG, &len);
	assert_int_equal(len, 24);
	psf_field_bytes(r, len, PSF_VMC_UUID, tmp, 16);
	assert_int_equal(tmp[0], 1);
	assert_int_equal(tmp[15], 16);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_MEMORY_KIB, 8), 2097152);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_VCPUS, 2), 0);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_POWER, 1), 0);
	assert_int_equal(psf_field_uint(r, len, PSF_VMC_PXE_NIC, 2), 0);
	off = psf_find_path(b, (const struct psf_step[]){
				    { PSF_VMS, NULL, 0 },
				    { PSF_VM, "short", 5 },
				    { PSF_NICS, NULL, 0 },
				    { PSF_NIC, NULL, 0 } }, 4, PSF_NAME);
	r = record_of(b, off, PSF_NIC_CONFIG, &len);
	assert_int_equal(len, 6);
	psf_field_bytes(r, len, PSF_NICC_MAC, tmp, 6);
	assert_int_equal(tmp[5], 0x42);
	assert_int_equal(psf_field_uint(r, len, PSF_NICC_MODEL, 1), 0);
	assert_int_equal(psf_field_uint(r, len, PSF_NICC_FLAGS, 1), 0);
	off = path3(b, PSF_NETWORKS, PSF_NETWORK, "n0");
	r = record_of(b, off, PSF_NETWORK_CONFIG, &len);
	assert_int_equal(len, 0);
	assert_int_equal(psf_field_uint(r, len, PSF_NETC_MTU, 4), 0);
	memset(tmp, 0x77, sizeof(tmp));
	psf_field_bytes(r, len, 0, tmp, 8);
	assert_memory_equal(tmp, zero, 8);
	free(b);
}

static void test_trailing_garbage(void **state)
{
	size_t n, m;
	uint8_t *b = load_vector("valid-trailing-garbage", &n);
	uint8_t *doc = load_vector("valid-doc-example", &m);

	(void)state;
	assert_true(n > psf_total(b));
	assert_int_equal(psf_total(b), m);
	assert_memory_equal(b, doc, m);
	assert_int_equal(psf_check_full(b, n, NULL), PSF_OK);
	free(doc);
	free(b);
}

static void test_max_depth(void **state)
{
	size_t n;
	uint8_t *b = load_vector("valid-max-depth", &n);
	struct psft_stats st;
	int chain[PSF_MAX_DEPTH];
	int off = 32, i;

	(void)state;
	assert_int_equal(psft_walk(b, &st), 0);
	assert_int_equal(st.max_depth, PSF_MAX_DEPTH);
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		off = psf_first_child(b, off);
	assert_int_equal(off, 32 + 15 * 12);
	off = psf_first_child(b, off);
	assert_int_equal(psf_sig(b, off), PSF_NAME);
	assert_int_equal(psf_ancestors(b, off, chain), PSF_MAX_DEPTH);
	assert_int_equal(chain[0], 32);
	assert_int_equal(chain[15], 32 + 15 * 12);
	free(b);
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_crc32c_long),
		cmocka_unit_test(test_manifest_complete),
		cmocka_unit_test(test_empty_root),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_schema_sample),
		cmocka_unit_test(test_unknown_namespaces),
		cmocka_unit_test(test_pads),
		cmocka_unit_test(test_trailing_unknown_bytes),
		cmocka_unit_test(test_short_record),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_max_depth),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests;
	char (*names)[128];
	int i, rc;

	vec_dir = psft_vectors_dir(argc, argv);
	nvecs = psft_manifest(vec_dir, &vecs);
	if (nvecs <= 0) {
		fprintf(stderr, "test_vectors: no vectors in %s\n", vec_dir);
		/* Still run the fixed tests, which then fail visibly. */
		nvecs = 0;
	}
	tests = calloc(nfixed + (size_t)nvecs, sizeof(*tests));
	names = calloc((size_t)nvecs + 1, sizeof(*names));
	if (!tests || !names)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < nvecs; i++) {
		snprintf(names[i], sizeof(names[i]), "vector %s", vecs[i].name);
		tests[nfixed + (size_t)i].name = names[i];
		tests[nfixed + (size_t)i].test_func = test_vector;
		tests[nfixed + (size_t)i].initial_state = &vecs[i];
	}
	rc = _cmocka_run_group_tests("test_vectors", tests,
				     nfixed + (size_t)nvecs, NULL, NULL);
	free(tests);
	free(names);
	free(vecs);
	return rc;
}
