/*
 * test_core.c - every function of format/psf.h.
 *
 * Reading (header checks, elements, iteration, lookup, fields), in-place
 * edits, resizing edits (with and without pads), the builder, and two
 * property tests: elements of unknown namespaces stay byte-identical across
 * edits of their neighbours, and a randomized edit sequence checked against
 * a shadow model of the tree.  After every successful edit, psf_finish and
 * psf_check_full must pass.  Meant to run under ASan + UBSan.
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
#include "psf_test_util.h"

#define OK(x) assert_int_equal((x), PSF_OK)
/* Some error: used where the exact code depends on what the bytes at a
 * non-element offset happen to decode to (BADOFFSET or OVERRUN). */
#define ERR(x) assert_true((x) < 0)
#define VENDOR_S(id) PSF_SIG(0, 0x0123, (id))
#define VENDOR_C(id) PSF_SIG(1, 0x0123, (id))
#define HV_S(id) PSF_SIG(0, 0x4001, (id))
#define HV_C(id) PSF_SIG(1, 0x4001, (id))
#define SITE_S(id) PSF_SIG(0, 0x7000, (id))

/* ------------------------------------------------------------- helpers */

/* psf_finish, then the whole store must validate and walk cleanly. */
static void finish_ok_at(uint8_t *b, int line)
{
	struct psft_stats st;
	uint32_t off = 0;
	int rc;

	assert_int_equal(psf_finish(b), PSF_OK);
	rc = psf_check_full(b, psf_total(b), &off);
	if (rc)
		fail_msg("line %d: psf_check_full after edit: %s at %u", line,
			 psft_errname(rc), off);
	if (psft_walk(b, &st))
		fail_msg("line %d: walk after edit: %s", line, psft_walk_msg);
}
#define FINISH_OK(b) finish_ok_at((b), __LINE__)

static uint32_t elem_size(const uint8_t *b, int off)
{
	struct psf_elem e;

	OK(psf_elem(b, off, &e));
	return e.end - (uint32_t)off;
}

static uint32_t elem_count(const uint8_t *b, int off)
{
	struct psf_elem e;

	OK(psf_elem(b, off, &e));
	return e.count;
}

static uint32_t cont_size(const uint8_t *b, int off)
{
	return psf_le32(b + off + 8);
}

/* Builder steps that must succeed. */
static void bopen(struct psf_builder *bl, uint32_t sig)
{
	OK(psf_build_open(bl, sig));
}

static void bclose(struct psf_builder *bl)
{
	OK(psf_build_close(bl));
}

static void bstr(struct psf_builder *bl, uint32_t sig, const char *s)
{
	OK(psf_build_string(bl, sig, s));
}

static void bpad(struct psf_builder *bl, uint32_t len)
{
	OK(psf_build_struct(bl, PSF_PAD, NULL, len));
}

static int bfinish(struct psf_builder *bl)
{
	int total = psf_build_finish(bl);

	assert_true(total >= 44);
	return total;
}

/* docs/format.md section 9. */
static int build_doc(uint8_t *buf, size_t cap)
{
	static const uint8_t vendor[2] = { 0xab, 0xcd };
	struct psf_builder bl;

	OK(psf_build_begin(&bl, buf, cap, PSF_ROOT, 1, 0));
	bopen(&bl, PSF_VMS);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "vm1");
	bclose(&bl);
	bclose(&bl);
	OK(psf_build_struct(&bl, VENDOR_S(7), vendor, 2));
	return bfinish(&bl);
}

/*
 * The fixture: known and unknown elements mixed at several depths.
 *   root {
 *     vendor "vendor-a"
 *     vms {
 *       vm { name "vm1", vm-config (36 bytes), hv-container { hv "x" },
 *            site "tail" }
 *       vm { name "vm2" }
 *     }
 *     networks { network { name "lan" } }
 *     vendor-container { vendor "zz" }
 *   }
 */
static int build_fixture(uint8_t *buf, size_t cap)
{
	uint8_t cfg[PSF_VMC_SIZE];
	struct psf_builder bl;
	int i;

	for (i = 0; i < PSF_VMC_SIZE; i++)
		cfg[i] = (uint8_t)(i + 1);
	OK(psf_build_begin(&bl, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION, 0));
	bstr(&bl, VENDOR_S(1), "vendor-a");
	bopen(&bl, PSF_VMS);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "vm1");
	OK(psf_build_struct(&bl, PSF_VM_CONFIG, cfg, sizeof(cfg)));
	bopen(&bl, HV_C(1));
	bstr(&bl, HV_S(2), "x");
	bclose(&bl);
	bstr(&bl, SITE_S(3), "tail");
	bclose(&bl);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "vm2");
	bclose(&bl);
	bclose(&bl);
	bopen(&bl, PSF_NETWORKS);
	bopen(&bl, PSF_NETWORK);
	bstr(&bl, PSF_NAME, "lan");
	bclose(&bl);
	bclose(&bl);
	bopen(&bl, VENDOR_C(4));
	bstr(&bl, VENDOR_S(5), "zz");
	bclose(&bl);
	return bfinish(&bl);
}

static int find_vm(const uint8_t *b, const char *name)
{
	int vms = psf_find_child(b, psf_root(b), PSF_VMS);

	return psf_find_named(b, vms, PSF_VM, PSF_NAME, name, strlen(name));
}

/* A copy of the first n bytes in an exactly-sized heap buffer. */
static uint8_t *exact_copy(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, b, n);
	return c;
}

/* Recompute the header CRC only (for header field tests). */
static void fix_header_crc(uint8_t *b)
{
	psf_put_le32(b + PSF_HDR_HEADER_CRC,
		     psf_crc32c(0, b, PSF_HDR_HEADER_CRC));
}

/* ============================================================ strerror */

static void test_strerror(void **state)
{
	const char *s[PSF_ERR_MAX + 1];
	static const int unknown[] = { 1, 2, 100, INT_MAX, -PSF_ERR_MAX - 1,
				       -1000, INT_MIN };
	const char *u;
	int i, j;

	(void)state;
	for (i = 0; i <= PSF_ERR_MAX; i++) {
		s[i] = psf_strerror(-i);
		assert_non_null(s[i]);
		assert_true(strlen(s[i]) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(s[i], s[j]);
	}
	/* The last code in the enum is PSF_ERR_MAX. */
	assert_int_equal(PSF_ERR_BADPAYLOAD, -PSF_ERR_MAX);
	for (i = 0; i < (int)(sizeof(unknown) / sizeof(unknown[0])); i++) {
		u = psf_strerror(unknown[i]);
		assert_non_null(u);
		assert_true(strlen(u) > 0);
		for (j = 0; j <= PSF_ERR_MAX; j++)
			assert_string_not_equal(u, s[j]);
	}
}

/* ===================================================== header accessors */

static void test_byte_helpers_and_sigs(void **state)
{
	uint8_t raw[24];
	int i;

	(void)state;
	/* Unaligned little-endian access at every start offset. */
	for (i = 0; i < 8; i++) {
		memset(raw, 0xee, sizeof(raw));
		psf_put_le16(raw + i, 0x1234);
		assert_int_equal(raw[i], 0x34);
		assert_int_equal(raw[i + 1], 0x12);
		assert_int_equal(psf_le16(raw + i), 0x1234);
		psf_put_le32(raw + i, 0x89abcdefu);
		assert_int_equal(raw[i], 0xef);
		assert_int_equal(raw[i + 3], 0x89);
		assert_int_equal(psf_le32(raw + i), 0x89abcdefu);
		psf_put_le64(raw + i, 0x0102030405060708ull);
		assert_int_equal(raw[i], 0x08);
		assert_int_equal(raw[i + 7], 0x01);
		assert_int_equal(raw[i + 8], 0xee);
		assert_true(psf_le64(raw + i) == 0x0102030405060708ull);
	}
	psf_put_le64(raw, UINT64_MAX);
	assert_true(psf_le64(raw) == UINT64_MAX);
	assert_int_equal(psf_le32(raw), UINT32_MAX);
	assert_int_equal(psf_le16(raw), 0xffff);

	assert_int_equal(PSF_SIG(1, 0x0123, 7), 0x81230007u);
	assert_int_equal(PSF_SIG(0, 0x0123, 7), 0x01230007u);
	assert_int_equal(PSF_SIG(0, 0xffff, 0x1ffff), 0x7fffffffu);
	assert_true(PSF_SIG_IS_CONTAINER(PSF_ROOT));
	assert_false(PSF_SIG_IS_CONTAINER(PSF_NAME));
	assert_int_equal(PSF_SIG_NS(0xc0010002u), 0x4001);
	assert_int_equal(PSF_SIG_ID(0xc0010002u), 2);
	assert_int_equal(PSF_ROOT, 0x80000100u);
	assert_int_equal(PSF_NAME, 0x00000001u);
	assert_int_equal(PSF_PAD, 0);
	assert_int_equal(PSF_MAGIC_LEN, 8);
	assert_memory_equal(PSF_MAGIC, "\x89\x70\x73\x74\x61\x74\x65\x1a", 8);
}

static void test_header_accessors(void **state)
{
	uint8_t buf[128];
	struct psf_builder bl;
	int total;

	(void)state;
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 7, 0xabcd0000u));
	bstr(&bl, PSF_NAME, "n");
	total = bfinish(&bl);
	assert_int_equal(total, 44 + 9);
	assert_int_equal(psf_total(buf), 53);
	assert_int_equal(psf_schema_version(buf), 7);
	assert_int_equal(psf_flags(buf), 0xabcd0000u);
	assert_int_equal(psf_root(buf), 32);
	assert_int_equal(buf[PSF_HDR_MAJOR], 1);
	assert_int_equal(buf[PSF_HDR_MINOR], 0);
	assert_int_equal(psf_le16(buf + PSF_HDR_HEADER_SIZE), 32);
	assert_int_equal(psf_le32(buf + PSF_HDR_BODY_CRC),
			 psf_crc32c(0, buf + 32, 53 - 32));
	assert_int_equal(psf_le32(buf + PSF_HDR_HEADER_CRC),
			 psf_crc32c(0, buf, 28));
	OK(psf_check_full(buf, (size_t)total, NULL));
}

/* ========================================================== validation */

static void test_check_header(void **state)
{
	uint8_t good[128], b[128];
	size_t n;
	int i;

	(void)state;
	n = (size_t)build_doc(good, sizeof(good));
	OK(psf_check_header(good, n));
	OK(psf_check_header(good, sizeof(good)));

	/* Too short for a header, or for the total. */
	for (i = 0; i < 32; i++)
		assert_int_equal(psf_check_header(good, (size_t)i),
				 PSF_ERR_TRUNCATED);
	for (i = 32; i < 89; i++)
		assert_int_equal(psf_check_header(good, (size_t)i),
				 PSF_ERR_TRUNCATED);

	/* Every magic byte matters (CRC recomputed so magic is the cause). */
	for (i = 0; i < 8; i++) {
		memcpy(b, good, n);
		b[i] ^= 0x20;
		fix_header_crc(b);
		assert_int_equal(psf_check_header(b, n), PSF_ERR_BADMAGIC);
	}
	/* Major version: only 1.  Minor: any. */
	memcpy(b, good, n);
	b[PSF_HDR_MAJOR] = 0;
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_BADVERSION);
	b[PSF_HDR_MAJOR] = 2;
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_BADVERSION);
	b[PSF_HDR_MAJOR] = 1;
	b[PSF_HDR_MINOR] = 255;
	fix_header_crc(b);
	OK(psf_check_header(b, n));
	/* Any schema version. */
	psf_put_le32(b + PSF_HDR_SCHEMA, 0xffffffffu);
	fix_header_crc(b);
	OK(psf_check_header(b, n));

	/* Header CRC: any header byte changed without fixing it. */
	for (i = 9; i < 32; i++) { /* byte 8, the major, is checked first */
		memcpy(b, good, n);
		b[i] ^= 0x01;
		assert_int_equal(psf_check_header(b, n), PSF_ERR_HEADERCRC);
	}
	/* The CRC is checked before the fields it covers are trusted. */
	memcpy(b, good, n);
	psf_put_le16(b + PSF_HDR_HEADER_SIZE, 40);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_HEADERCRC);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_BADHEADER);
	psf_put_le16(b + PSF_HDR_HEADER_SIZE, 0);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_BADHEADER);

	/* Flags: bits 0-15 must be understood (none are), 16-31 ignored. */
	for (i = 0; i < 32; i++) {
		memcpy(b, good, n);
		psf_put_le32(b + PSF_HDR_FLAGS, 1u << i);
		fix_header_crc(b);
		assert_int_equal(psf_check_header(b, n),
				 i < 16 ? PSF_ERR_BADFLAGS : PSF_OK);
	}

	/* total_length limits. */
	memcpy(b, good, n);
	psf_put_le32(b + PSF_HDR_TOTAL, PSF_MAX_TOTAL + 1);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_TOOLARGE);
	psf_put_le32(b + PSF_HDR_TOTAL, 0xffffffffu);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_TOOLARGE);
	psf_put_le32(b + PSF_HDR_TOTAL, 43);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_BADHEADER);
	psf_put_le32(b + PSF_HDR_TOTAL, 0);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, n), PSF_ERR_BADHEADER);
	psf_put_le32(b + PSF_HDR_TOTAL, 90);
	fix_header_crc(b);
	assert_int_equal(psf_check_header(b, 89), PSF_ERR_TRUNCATED);
	OK(psf_check_header(b, 90));

	/* The body is not read: garbage there does not matter. */
	memcpy(b, good, n);
	memset(b + 32, 0xff, n - 32);
	OK(psf_check_header(b, n));
	assert_int_equal(psf_check_crc(b, n), PSF_ERR_BODYCRC);
}

static void test_check_crc(void **state)
{
	uint8_t good[128], b[128];
	size_t n;
	int i;

	(void)state;
	n = (size_t)build_doc(good, sizeof(good));
	OK(psf_check_crc(good, n));
	for (i = 32; i < (int)n; i++) {
		memcpy(b, good, n);
		b[i] ^= 0x80;
		assert_int_equal(psf_check_crc(b, n), PSF_ERR_BODYCRC);
	}
	/* A wrong body CRC field, header CRC fixed. */
	memcpy(b, good, n);
	b[PSF_HDR_BODY_CRC] ^= 1;
	fix_header_crc(b);
	assert_int_equal(psf_check_crc(b, n), PSF_ERR_BODYCRC);
	/* Header errors come first. */
	memcpy(b, good, n);
	b[0] = 0;
	assert_int_equal(psf_check_crc(b, n), PSF_ERR_BADMAGIC);
	assert_int_equal(psf_check_crc(good, 40), PSF_ERR_TRUNCATED);
	/* Bytes past total_length are not covered. */
	memcpy(b, good, n);
	b[n] = 0x5a;
	OK(psf_check_crc(b, n + 1));
}

/* Corrupt a doc-example copy, fix both CRCs, expect err at off. */
static void expect_tree_error(void (*mutate)(uint8_t *), int err,
			      uint32_t want_off)
{
	uint8_t good[128], *b;
	uint32_t off = 0xdeadbeef;
	size_t n;

	n = (size_t)build_doc(good, sizeof(good));
	b = exact_copy(good, n);
	mutate(b);
	OK(psf_finish(b));
	OK(psf_check_crc(b, n));
	assert_int_equal(psf_check_tree(b, n, &off), err);
	assert_int_equal(off, want_off);
	off = 0xdeadbeef;
	assert_int_equal(psf_check_full(b, n, &off), err);
	assert_int_equal(off, want_off);
	assert_int_equal(psf_check_full(b, n, NULL), err);
	free(b);
}

static void mut_root_struct(uint8_t *b) { b[35] = 0x00; }
static void mut_root_size(uint8_t *b) { psf_put_le32(b + 40, 44); }
static void mut_vms_count(uint8_t *b) { psf_put_le32(b + 48, 2); }
static void mut_vm_count0(uint8_t *b) { psf_put_le32(b + 60, 0); }
static void mut_name_len(uint8_t *b) { psf_put_le32(b + 72, 4); }
static void mut_vm_size(uint8_t *b) { psf_put_le32(b + 64, 12); }
static void mut_vendor_len(uint8_t *b) { psf_put_le32(b + 83, 3); }
static void mut_root_count(uint8_t *b) { psf_put_le32(b + 36, 3); }

static void test_check_tree(void **state)
{
	uint8_t good[128], b[128];
	uint32_t off = 7;
	size_t n;

	(void)state;
	n = (size_t)build_doc(good, sizeof(good));
	OK(psf_check_tree(good, n, &off));
	OK(psf_check_tree(good, n, NULL));
	OK(psf_check_full(good, n, &off));

	/* The tree check ignores the body CRC; the full check does not. */
	memcpy(b, good, n);
	b[78] = '2'; /* "vm2" */
	OK(psf_check_tree(b, n, NULL));
	assert_int_equal(psf_check_full(b, n, &off), PSF_ERR_BODYCRC);
	assert_int_equal(off, 32);
	/* Header errors are reported at offset 0 by both. */
	b[0] = 'X';
	off = 9;
	assert_int_equal(psf_check_tree(b, n, &off), PSF_ERR_BADMAGIC);
	assert_int_equal(off, 0);
	off = 9;
	assert_int_equal(psf_check_full(b, n, &off), PSF_ERR_BADMAGIC);
	assert_int_equal(off, 0);

	expect_tree_error(mut_root_struct, PSF_ERR_BADROOT, 32);
	expect_tree_error(mut_root_size, PSF_ERR_BADROOT, 32);
	expect_tree_error(mut_vms_count, PSF_ERR_BADCOUNT, 44);
	expect_tree_error(mut_vm_count0, PSF_ERR_BADCOUNT, 56);
	expect_tree_error(mut_root_count, PSF_ERR_BADCOUNT, 32);
	expect_tree_error(mut_name_len, PSF_ERR_OVERRUN, 68);
	expect_tree_error(mut_vm_size, PSF_ERR_OVERRUN, 56);
	expect_tree_error(mut_vendor_len, PSF_ERR_OVERRUN, 79);
}

static void test_check_depth(void **state)
{
	uint8_t buf[512];
	struct psf_builder bl;
	uint32_t off = 0;
	int i, total;

	(void)state;
	/* 16 levels: valid. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		bopen(&bl, PSF_SIG(1, 0x7000, i));
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		bclose(&bl);
	total = bfinish(&bl);
	OK(psf_check_full(buf, (size_t)total, &off));

	/* Make a 17th level by hand: an empty container inside the
	 * innermost one, every enclosing size and the total grown by 12. */
	{
		uint32_t at = 32 + 15 * 12; /* the 16th container */
		int d;

		psf_put_le32(buf + at + 12, PSF_SIG(1, 0x7000, 99));
		psf_put_le32(buf + at + 16, 0);
		psf_put_le32(buf + at + 20, 0);
		for (d = 0; d < 16; d++) {
			uint32_t c = 32 + (uint32_t)d * 12;

			psf_put_le32(buf + c + 8, psf_le32(buf + c + 8) + 12);
		}
		psf_put_le32(buf + at + 4, 1);
		psf_put_le32(buf + PSF_HDR_TOTAL, (uint32_t)total + 12);
		OK(psf_finish(buf));
		assert_int_equal(psf_check_full(buf, (size_t)total + 12, &off),
				 PSF_ERR_TOODEEP);
		assert_int_equal(off, at + 12);
	}
}

/* ============================================================ elements */

/* psf_build_elem: a whole element of another store copied as the next
 * child gives the same store as building it (the etcd pool's way of
 * laying out 100,000 profiles without an insert each). */
static void test_build_elem(void **state)
{
	static uint8_t a[512], b[512];
	struct psf_builder bl;
	struct psf_elem e;
	int vms, vm, ta, tb;

	(void)state;
	ta = build_doc(a, sizeof a);
	vms = psf_find_child(a, psf_root(a), PSF_VMS);
	vm = psf_find_child(a, vms, PSF_VM);
	OK(psf_elem(a, vm, &e));
	OK(psf_build_begin(&bl, b, sizeof b, PSF_ROOT, 1, 0));
	bopen(&bl, PSF_VMS);
	OK(psf_build_elem(&bl, a + vm, e.end - (uint32_t)vm));
	bclose(&bl);
	OK(psf_build_struct(&bl, VENDOR_S(7), (const uint8_t[]){ 0xab, 0xcd },
			    2));
	tb = bfinish(&bl);
	assert_int_equal(ta, tb);
	assert_memory_equal(a, b, (size_t)ta);
	/* out of room: sticky error, nothing past cap */
	OK(psf_build_begin(&bl, b, 64, PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_elem(&bl, a + vm, 64), PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_NOSPACE);
}

static void test_elem_good(void **state)
{
	uint8_t buf[128];
	struct psf_elem e;

	(void)state;
	build_doc(buf, sizeof(buf));
	OK(psf_elem(buf, 32, &e));
	assert_int_equal(e.sig, PSF_ROOT);
	assert_int_equal(e.count, 2);
	assert_int_equal(e.data, 44);
	assert_int_equal(e.end, 89);
	OK(psf_elem(buf, 44, &e));
	assert_int_equal(e.sig, PSF_VMS);
	assert_int_equal(e.count, 1);
	assert_int_equal(e.data, 56);
	assert_int_equal(e.end, 79);
	OK(psf_elem(buf, 56, &e));
	assert_int_equal(e.sig, PSF_VM);
	assert_int_equal(e.end, 79);
	OK(psf_elem(buf, 68, &e));
	assert_int_equal(e.sig, PSF_NAME);
	assert_int_equal(e.count, 3);
	assert_int_equal(e.data, 76);
	assert_int_equal(e.end, 79);
	OK(psf_elem(buf, 79, &e));
	assert_int_equal(e.sig, VENDOR_S(7));
	assert_int_equal(e.count, 2);
	assert_int_equal(e.data, 87);
	assert_int_equal(e.end, 89);

	assert_int_equal(psf_sig(buf, 32), PSF_ROOT);
	assert_int_equal(psf_sig(buf, 44), PSF_VMS);
	assert_int_equal(psf_sig(buf, 68), PSF_NAME);
	assert_int_equal(psf_sig(buf, 79), VENDOR_S(7));
}

static void test_elem_bad_offsets(void **state)
{
	static const int bad[] = { INT_MIN, -100, -1, 0, 1, 8, 28, 31, 82,
				   85, 88, 89, 90, 1000, INT_MAX };
	uint8_t good[128], *b;
	struct psf_elem e;
	uint32_t len;
	size_t i;
	int n;

	(void)state;
	n = build_doc(good, sizeof(good));
	b = exact_copy(good, (size_t)n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0x5a, sizeof(e));
		assert_int_equal(psf_elem(b, bad[i], &e), PSF_ERR_BADOFFSET);
		assert_int_equal(psf_sig(b, bad[i]), PSF_PAD);
		len = 0;
		assert_null(psf_payload(b, bad[i], &len));
		assert_int_equal((int)len, PSF_ERR_BADOFFSET);
		assert_null(psf_payload(b, bad[i], NULL));
	}
	/* 8..11 bytes left and a container signature: the 12-byte header
	 * does not fit. */
	psf_put_le32(b + 79, PSF_SIG(1, 0x0123, 7));
	assert_int_equal(psf_elem(b, 79, &e), PSF_ERR_OVERRUN);
	assert_int_equal(psf_sig(b, 79), PSF_PAD);
	/* A length running past the store. */
	memcpy(b, good, (size_t)n);
	psf_put_le32(b + 83, 3);
	assert_int_equal(psf_elem(b, 79, &e), PSF_ERR_OVERRUN);
	psf_put_le32(b + 83, 0xffffffffu);
	assert_int_equal(psf_elem(b, 79, &e), PSF_ERR_OVERRUN);
	psf_put_le32(b + 40, 0xfffffff0u);
	assert_int_equal(psf_elem(b, 32, &e), PSF_ERR_OVERRUN);
	free(b);
}

/* Every offset, in and out of the store, through every read function, on
 * an exactly-sized buffer: errors or in-bounds answers, never an
 * out-of-bounds read (ASan). */
static void test_read_offset_sweep(void **state)
{
	uint8_t tmp[1024], *b;
	int n, off, vm, vms, chain[PSF_MAX_DEPTH];
	struct psf_elem e;
	uint32_t len;

	(void)state;
	n = build_fixture(tmp, sizeof(tmp));
	b = exact_copy(tmp, (size_t)n);
	vm = find_vm(b, "vm1");
	vms = psf_find_child(b, 32, PSF_VMS);
	assert_true(vm > 0 && vms > 0);
	for (off = -20; off < n + 20; off++) {
		const uint8_t *p;
		int rc = psf_elem(b, off, &e), r, d;

		if (rc == PSF_OK) {
			assert_true(off >= 32 && off < n);
			assert_true(e.data <= e.end && e.end <= (uint32_t)n);
		} else {
			assert_true(rc == PSF_ERR_BADOFFSET ||
				    rc == PSF_ERR_OVERRUN);
		}
		p = psf_payload(b, off, &len);
		if (p) {
			assert_true(p >= b + 40 && p + len <= b + n);
		}
		(void)psf_sig(b, off);
		for (r = psf_first_child_raw(b, off); r >= 0;
		     r = psf_next_child_raw(b, off, r))
			assert_true(r > off && r < n);
		for (r = psf_first_child(b, off); r >= 0;
		     r = psf_next_child(b, off, r))
			assert_true(r > off && r < n);
		r = psf_next_child_raw(b, vms, off);
		assert_true(r < n);
		r = psf_next_child(b, 32, off);
		assert_true(r < n);
		r = psf_find_next(b, 32, off, PSF_NETWORKS);
		assert_true(r < n);
		r = psf_find_next(b, off, -1, PSF_NAME);
		assert_true(r < n);
		r = psf_find_named(b, off, PSF_VM, PSF_NAME, "vm2", 3);
		assert_true(r < n);
		p = psf_child_payload(b, off, PSF_NAME, &len);
		if (p)
			assert_true(p >= b + 40 && p + len <= b + n);
		d = psf_ancestors(b, off, chain);
		assert_true(d <= (int)PSF_MAX_DEPTH);
		if (off < 32 || off >= n) {
			assert_int_equal(rc, PSF_ERR_BADOFFSET);
			assert_int_equal(psf_first_child(b, off),
					 PSF_ERR_BADOFFSET);
			assert_int_equal(psf_first_child_raw(b, off),
					 PSF_ERR_BADOFFSET);
			assert_int_equal(d, PSF_ERR_BADOFFSET);
			assert_int_equal(psf_next_child_raw(b, vms, off),
					 PSF_ERR_BADOFFSET);
			assert_int_equal(psf_find_child(b, off, PSF_NAME),
					 PSF_ERR_BADOFFSET);
		}
	}
	free(b);
}

static void test_payload(void **state)
{
	uint8_t buf[128];
	const uint8_t *p;
	uint32_t len = 0;

	(void)state;
	build_doc(buf, sizeof(buf));
	p = psf_payload(buf, 68, &len);
	assert_ptr_equal(p, buf + 76);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "vm1", 3);
	assert_ptr_equal(psf_payload(buf, 68, NULL), buf + 76);
	p = psf_payload(buf, 79, &len);
	assert_int_equal(len, 2);
	assert_int_equal(p[0], 0xab);
	assert_null(psf_payload(buf, 56, &len));
	assert_int_equal((int)len, PSF_ERR_NOTSTRUCT);
	assert_null(psf_payload(buf, 32, &len));
	assert_int_equal((int)len, PSF_ERR_NOTSTRUCT);
	assert_null(psf_payload(buf, 2000, &len));
	assert_int_equal((int)len, PSF_ERR_BADOFFSET);
}

/* =========================================================== iteration */

/*
 * root { pad, name "a", pad(3), vms { pad, pad }, vendor "b", pad(5) }
 */
static int build_padded(uint8_t *buf, size_t cap, int off[8])
{
	struct psf_builder bl;
	int total;

	OK(psf_build_begin(&bl, buf, cap, PSF_ROOT, 1, 0));
	bpad(&bl, 0);
	bstr(&bl, PSF_NAME, "a");
	bpad(&bl, 3);
	bopen(&bl, PSF_VMS);
	bpad(&bl, 0);
	bpad(&bl, 0);
	bclose(&bl);
	bstr(&bl, VENDOR_S(1), "b");
	bpad(&bl, 5);
	total = bfinish(&bl);
	off[0] = 44;           /* pad */
	off[1] = 52;           /* name */
	off[2] = 61;           /* pad(3) */
	off[3] = 72;           /* vms */
	off[4] = 100;          /* vendor */
	off[5] = 109;          /* pad(5) */
	off[6] = 84;           /* vms: first pad */
	off[7] = 92;           /* vms: second pad */
	assert_int_equal(total, 122);
	return total;
}

static void test_iteration(void **state)
{
	uint8_t buf[256];
	int off[8], got[8], k, c;

	(void)state;
	build_padded(buf, sizeof(buf), off);
	OK(psf_check_full(buf, 122, NULL));

	/* Raw: every child, pads included. */
	assert_int_equal(psf_first_child_raw(buf, 32), off[0]);
	assert_int_equal(psf_next_child_raw(buf, 32, off[0]), off[1]);
	assert_int_equal(psf_next_child_raw(buf, 32, off[1]), off[2]);
	assert_int_equal(psf_next_child_raw(buf, 32, off[2]), off[3]);
	assert_int_equal(psf_next_child_raw(buf, 32, off[3]), off[4]);
	assert_int_equal(psf_next_child_raw(buf, 32, off[4]), off[5]);
	assert_int_equal(psf_next_child_raw(buf, 32, off[5]),
			 PSF_ERR_NOTFOUND);
	k = 0;
	psf_for_each_child_raw(buf, 32, c) {
		assert_true(k < 6);
		assert_int_equal(c, off[k]);
		k++;
	}
	assert_int_equal(k, 6);
	assert_int_equal(c, PSF_ERR_NOTFOUND);

	/* Pad-skipping. */
	assert_int_equal(psf_first_child(buf, 32), off[1]);
	assert_int_equal(psf_next_child(buf, 32, off[1]), off[3]);
	assert_int_equal(psf_next_child(buf, 32, off[3]), off[4]);
	assert_int_equal(psf_next_child(buf, 32, off[4]), PSF_ERR_NOTFOUND);
	/* From a pad, the next non-pad. */
	assert_int_equal(psf_next_child(buf, 32, off[0]), off[1]);
	k = 0;
	psf_for_each_child(buf, 32, c)
		got[k++] = c;
	assert_int_equal(k, 3);
	assert_int_equal(got[0], off[1]);
	assert_int_equal(got[1], off[3]);
	assert_int_equal(got[2], off[4]);

	/* A container of only pads. */
	assert_int_equal(psf_first_child(buf, off[3]), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_first_child_raw(buf, off[3]), off[6]);
	assert_int_equal(psf_next_child_raw(buf, off[3], off[6]), off[7]);
	assert_int_equal(psf_next_child_raw(buf, off[3], off[7]),
			 PSF_ERR_NOTFOUND);
	k = 0;
	psf_for_each_child(buf, off[3], c)
		k++;
	assert_int_equal(k, 0);

	/* Errors: a structure parent, a bad parent, prev not in parent. */
	assert_int_equal(psf_first_child(buf, off[1]), PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_first_child_raw(buf, off[1]),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_next_child_raw(buf, off[1], off[2]),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_first_child(buf, 5), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_next_child(buf, 5, off[1]), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_next_child_raw(buf, 32, 500), PSF_ERR_BADOFFSET);
	/* prev = the parent itself, and prev in a different container. */
	assert_int_equal(psf_next_child_raw(buf, off[3], off[3]),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_next_child_raw(buf, off[3], off[4]),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_next_child_raw(buf, off[3], off[1]),
			 PSF_ERR_BADOFFSET);
	k = 0;
	psf_for_each_child(buf, off[1], c)
		k++;
	assert_int_equal(k, 0);
	assert_int_equal(c, PSF_ERR_NOTCONTAINER);
}

/* ============================================================== cursor */

static void test_cursor(void **state)
{
	uint8_t buf[256];
	struct psf_cursor c;
	struct psf_elem e;
	int off[8], k, rc;

	(void)state;
	build_padded(buf, sizeof(buf), off);
	/* Every child of the root, pads included, headers decoded. */
	OK(psf_cursor_init(buf, 32, &c));
	assert_int_equal(c.next, 44);
	assert_int_equal(c.end, 122);
	for (k = 0; k < 6; k++) {
		memset(&e, 0x5a, sizeof(e));
		rc = psf_cursor_next(buf, &c, &e);
		assert_int_equal(rc, off[k]);
		assert_int_equal(e.sig, psf_sig(buf, off[k]));
		assert_int_equal(e.data, (uint32_t)off[k] +
			(PSF_SIG_IS_CONTAINER(e.sig) ? 12u : 8u));
		assert_int_equal(e.end, (uint32_t)off[k] + elem_size(buf, off[k]));
		assert_int_equal(c.next, e.end);
	}
	assert_int_equal(e.sig, PSF_PAD);
	assert_int_equal(e.count, 5);
	assert_int_equal(psf_cursor_next(buf, &c, &e), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_cursor_next(buf, &c, &e), PSF_ERR_NOTFOUND);
	/* A nested container of pads; the vms container is count 2. */
	OK(psf_cursor_init(buf, off[3], &c));
	assert_int_equal(psf_cursor_next(buf, &c, &e), off[6]);
	assert_int_equal(e.count, 0);
	assert_int_equal(psf_cursor_next(buf, &c, &e), off[7]);
	assert_int_equal(psf_cursor_next(buf, &c, &e), PSF_ERR_NOTFOUND);

	/* An empty container. */
	{
		uint8_t small[64];
		struct psf_builder bl;

		OK(psf_build_begin(&bl, small, sizeof(small), PSF_ROOT, 1, 0));
		bfinish(&bl);
		OK(psf_cursor_init(small, 32, &c));
		assert_int_equal(c.next, c.end);
		assert_int_equal(psf_cursor_next(small, &c, &e),
				 PSF_ERR_NOTFOUND);
	}

	/* Errors: a structure, bad offsets. */
	assert_int_equal(psf_cursor_init(buf, off[1], &c),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_cursor_init(buf, 0, &c), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_cursor_init(buf, 122, &c), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_cursor_init(buf, -1, &c), PSF_ERR_BADOFFSET);

	/* A child running past its parent (inside the store): OVERRUN, and
	 * the cursor does not move past it. */
	{
		uint8_t doc[128];

		build_doc(doc, sizeof(doc));
		psf_put_le32(doc + 72, 4); /* name "vm1" claims 4 bytes */
		OK(psf_cursor_init(doc, 56, &c));
		assert_int_equal(psf_cursor_next(doc, &c, &e), PSF_ERR_OVERRUN);
		assert_int_equal(c.next, 68);
		psf_put_le32(doc + 72, 0xffffffffu);
		assert_int_equal(psf_cursor_next(doc, &c, &e), PSF_ERR_OVERRUN);
	}
	/* A cursor the caller filled with nonsense is still bounds-checked
	 * against the store. */
	c.next = 0xfffffff0u;
	c.end = 0xffffffffu;
	assert_true(psf_cursor_next(buf, &c, &e) < 0);
	c.next = 118; /* 4 bytes before the end of the store */
	c.end = 1000;
	assert_int_equal(psf_cursor_next(buf, &c, &e), PSF_ERR_BADOFFSET);
	c.next = 5;
	assert_int_equal(psf_cursor_next(buf, &c, &e), PSF_ERR_BADOFFSET);
}

/* ============================================================== lookup */

/*
 * root { vms { vm{name "a"}, vm{name "ab"}, vm{hostname "a"},
 *              vm{name ""}, pad, vm{name "ab" (again)} },
 *        name "r", pad, name "s" }
 */
static int build_lookup(uint8_t *buf, size_t cap)
{
	struct psf_builder bl;

	OK(psf_build_begin(&bl, buf, cap, PSF_ROOT, 1, 0));
	bopen(&bl, PSF_VMS);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "a");
	bclose(&bl);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_DESCRIPTION, "first ab");
	bstr(&bl, PSF_NAME, "ab");
	bclose(&bl);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_HOSTNAME, "a");
	bclose(&bl);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "");
	bclose(&bl);
	bpad(&bl, 2);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "ab");
	bclose(&bl);
	bclose(&bl);
	bstr(&bl, PSF_NAME, "r");
	bpad(&bl, 0);
	bstr(&bl, PSF_NAME, "s");
	return bfinish(&bl);
}

static void test_find(void **state)
{
	uint8_t buf[512];
	int vms, v[6], k, r1, r2, off, pad;
	uint32_t len;
	const char *p;

	(void)state;
	build_lookup(buf, sizeof(buf));
	vms = psf_find_child(buf, 32, PSF_VMS);
	assert_int_equal(vms, 44);
	k = 0;
	psf_for_each_child(buf, vms, off)
		v[k++] = off;
	assert_int_equal(k, 5);

	/* psf_find_next walks the children with one signature. */
	assert_int_equal(psf_find_next(buf, vms, -1, PSF_VM), v[0]);
	assert_int_equal(psf_find_next(buf, vms, v[0], PSF_VM), v[1]);
	assert_int_equal(psf_find_next(buf, vms, v[3], PSF_VM), v[4]);
	assert_int_equal(psf_find_next(buf, vms, v[4], PSF_VM),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(psf_find_next(buf, vms, -7, PSF_VM), v[0]);
	assert_int_equal(psf_find_child(buf, vms, PSF_NAME), PSF_ERR_NOTFOUND);
	/* Pads can be found too (signature 0), raw. */
	pad = psf_find_child(buf, vms, PSF_PAD);
	assert_true(pad > v[3] && pad < v[4]);
	r1 = psf_find_child(buf, 32, PSF_NAME);
	r2 = psf_find_next(buf, 32, r1, PSF_NAME);
	assert_true(r1 > vms && r2 > r1);
	assert_memory_equal(psf_payload(buf, r1, &len), "r", 1);
	assert_memory_equal(psf_payload(buf, r2, &len), "s", 1);
	assert_int_equal(psf_find_next(buf, 32, r2, PSF_NAME),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(psf_find_child(buf, r1, PSF_NAME),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_find_child(buf, 3, PSF_NAME), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_find_next(buf, vms, r1, PSF_VM),
			 PSF_ERR_BADOFFSET);

	/* psf_find_named: exact bytes, first match, name_sig honoured. */
	assert_int_equal(psf_find_named(buf, vms, PSF_VM, PSF_NAME, "a", 1),
			 v[0]);
	assert_int_equal(psf_find_named(buf, vms, PSF_VM, PSF_NAME, "ab", 2),
			 v[1]);
	assert_int_equal(psf_find_named(buf, vms, PSF_VM, PSF_NAME, "abc", 2),
			 v[1]);
	assert_int_equal(psf_find_named(buf, vms, PSF_VM, PSF_NAME, "abc", 3),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(psf_find_named(buf, vms, PSF_VM, PSF_NAME, "", 0),
			 v[3]);
	assert_int_equal(psf_find_named(buf, vms, PSF_VM, PSF_HOSTNAME, "a",
					1), v[2]);
	assert_int_equal(psf_find_named(buf, vms, PSF_NETWORK, PSF_NAME, "a",
					1), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_find_named(buf, r1, PSF_VM, PSF_NAME, "a", 1),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_find_named(buf, 9999, PSF_VM, PSF_NAME, "a", 1),
			 PSF_ERR_BADOFFSET);

	/* psf_find_path. */
	assert_int_equal(psf_find_path(buf, NULL, 0, PSF_NAME), 32);
	{
		struct psf_step s1[] = { { PSF_VMS, NULL, 0 },
					 { PSF_VM, "ab", 2 },
					 { PSF_DESCRIPTION, NULL, 0 } };
		struct psf_step s2[] = { { PSF_VMS, NULL, 0 },
					 { PSF_VM, "zz", 2 },
					 { PSF_NAME, NULL, 0 } };
		struct psf_step s3[] = { { PSF_NAME, NULL, 0 },
					 { PSF_NAME, NULL, 0 } };
		struct psf_step s4[] = { { PSF_VMS, NULL, 0 },
					 { PSF_VM, NULL, 0 } };
		struct psf_step s5[] = { { PSF_VMS, NULL, 0 },
					 { PSF_VM, "a", 1 } };

		off = psf_find_path(buf, s1, 3, PSF_NAME);
		p = psf_payload(buf, off, &len);
		assert_non_null(p);
		assert_int_equal(len, 8);
		assert_memory_equal(p, "first ab", 8);
		assert_int_equal(psf_find_path(buf, s2, 3, PSF_NAME),
				 PSF_ERR_NOTFOUND);
		assert_int_equal(psf_find_path(buf, s3, 2, PSF_NAME),
				 PSF_ERR_NOTCONTAINER);
		assert_int_equal(psf_find_path(buf, s4, 2, PSF_NAME), v[0]);
		assert_int_equal(psf_find_path(buf, s4, 1, PSF_NAME), vms);
		assert_int_equal(psf_find_path(buf, s5, 2, PSF_HOSTNAME), v[2]);
	}
}

static void test_child_payload(void **state)
{
	uint8_t buf[512];
	const uint8_t *p;
	uint32_t len;
	int vms, vm;

	(void)state;
	build_lookup(buf, sizeof(buf));
	vms = psf_find_child(buf, 32, PSF_VMS);
	vm = psf_find_next(buf, vms, psf_find_child(buf, vms, PSF_VM), PSF_VM);
	p = psf_child_payload(buf, vm, PSF_NAME, &len);
	assert_non_null(p);
	assert_int_equal(len, 2);
	assert_memory_equal(p, "ab", 2);
	assert_non_null(psf_child_payload(buf, vm, PSF_NAME, NULL));
	p = psf_child_payload(buf, 32, PSF_NAME, &len);
	assert_int_equal(len, 1);
	assert_int_equal(p[0], 'r');
	/* Missing, a container, a structure parent, a bad parent. */
	assert_null(psf_child_payload(buf, vm, PSF_HOSTNAME, &len));
	assert_int_equal((int)len, PSF_ERR_NOTFOUND);
	assert_null(psf_child_payload(buf, 32, PSF_VMS, &len));
	assert_int_equal((int)len, PSF_ERR_NOTSTRUCT);
	assert_null(psf_child_payload(buf, (int)(p - buf) - 8, PSF_NAME,
				      &len));
	assert_int_equal((int)len, PSF_ERR_NOTCONTAINER);
	assert_null(psf_child_payload(buf, 1, PSF_NAME, &len));
	assert_int_equal((int)len, PSF_ERR_BADOFFSET);
	assert_null(psf_child_payload(buf, 1, PSF_NAME, NULL));
	/* An empty string is found, with length 0. */
	vm = psf_find_named(buf, vms, PSF_VM, PSF_NAME, "", 0);
	p = psf_child_payload(buf, vm, PSF_NAME, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
}

static void test_ancestors(void **state)
{
	uint8_t buf[1024];
	int chain[PSF_MAX_DEPTH], vm, vms, name, hv, hvs, off;

	(void)state;
	build_fixture(buf, sizeof(buf));
	vms = psf_find_child(buf, 32, PSF_VMS);
	vm = find_vm(buf, "vm1");
	name = psf_find_child(buf, vm, PSF_NAME);
	hv = psf_find_child(buf, vm, HV_C(1));
	hvs = psf_first_child(buf, hv);
	assert_int_equal(psf_ancestors(buf, 32, chain), 0);
	assert_int_equal(psf_ancestors(buf, vms, chain), 1);
	assert_int_equal(chain[0], 32);
	assert_int_equal(psf_ancestors(buf, name, chain), 3);
	assert_int_equal(chain[0], 32);
	assert_int_equal(chain[1], vms);
	assert_int_equal(chain[2], vm);
	assert_int_equal(psf_ancestors(buf, hvs, chain), 4);
	assert_int_equal(chain[3], hv);
	/* Not element starts. */
	ERR(psf_ancestors(buf, name + 8, chain)); /* inside a payload */
	ERR(psf_ancestors(buf, name + 1, chain));
	/* Inside a container header, where the bytes decode as an element
	 * that fits: only the descent from the root can tell. */
	assert_int_equal(psf_ancestors(buf, vm + 4, chain), PSF_ERR_BADOFFSET);
	ERR(psf_ancestors(buf, 33, chain));
	assert_int_equal(psf_ancestors(buf, 31, chain), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_ancestors(buf, (int)psf_total(buf), chain),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_ancestors(buf, -1, chain), PSF_ERR_BADOFFSET);
	/* Every element start reached by iteration has a consistent chain
	 * (psft_walk checks it for all of them). */
	{
		struct psft_stats st;

		assert_int_equal(psft_walk(buf, &st), 0);
		assert_true(st.elements > 10);
	}
	/* The deepest element of a 16-level store. */
	{
		struct psf_builder bl;
		int i;

		OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
		for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
			bopen(&bl, PSF_SIG(1, 0x7000, i));
		bstr(&bl, PSF_NAME, "deep");
		for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
			bclose(&bl);
		bfinish(&bl);
		off = 32 + 16 * 12;
		assert_int_equal(psf_sig(buf, off), PSF_NAME);
		assert_int_equal(psf_ancestors(buf, off, chain),
				 PSF_MAX_DEPTH);
		for (i = 0; i < (int)PSF_MAX_DEPTH; i++)
			assert_int_equal(chain[i], 32 + 12 * i);
	}
}

/* ============================================================== fields */

static void test_field_uint(void **state)
{
	uint8_t raw[17], *p = raw + 1; /* deliberately unaligned */
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		p[i] = (uint8_t)(0x10 + i);
	assert_int_equal(psf_field_uint(p, 16, 0, 1), 0x10);
	assert_int_equal(psf_field_uint(p, 16, 1, 2), 0x1211);
	assert_int_equal(psf_field_uint(p, 16, 3, 4), 0x16151413u);
	assert_true(psf_field_uint(p, 16, 8, 8) == 0x1f1e1d1c1b1a1918ull);
	assert_int_equal(psf_field_uint(p, 16, 15, 1), 0x1f);
	/* Field wholly past the end: default 0. */
	assert_int_equal(psf_field_uint(p, 16, 16, 1), 0);
	assert_int_equal(psf_field_uint(p, 16, 20, 4), 0);
	assert_int_equal(psf_field_uint(p, 0, 0, 1), 0);
	/* Partly past the end: default 0 too (docs/format.md 6.2). */
	assert_int_equal(psf_field_uint(p, 16, 15, 2), 0);
	assert_int_equal(psf_field_uint(p, 16, 13, 4), 0);
	assert_int_equal(psf_field_uint(p, 16, 9, 8), 0);
	assert_int_equal(psf_field_uint(p, 5, 4, 2), 0);
	/* Offsets that would overflow. */
	assert_int_equal(psf_field_uint(p, 16, 0xffffffffu, 1), 0);
	assert_int_equal(psf_field_uint(p, 16, 0xfffffffcu, 8), 0);
	/* Widths other than 1, 2, 4, 8. */
	assert_int_equal(psf_field_uint(p, 16, 0, 3), 0);
	assert_int_equal(psf_field_uint(p, 16, 0, 0), 0);
	assert_int_equal(psf_field_uint(p, 16, 0, 16), 0);
}

static void test_field_bytes(void **state)
{
	uint8_t raw[9], *p = raw + 1, dst[12];
	static const uint8_t zero[12];
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(0xa0 + i);
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 2, dst, 6);
	assert_memory_equal(dst, p + 2, 6);
	assert_int_equal(dst[6], 0x55); /* nothing past n written */
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 0, dst, 8);
	assert_memory_equal(dst, p, 8);
	/* Partly past the end: the field takes its default, all zero. */
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 4, dst, 6);
	assert_memory_equal(dst, zero, 6);
	assert_int_equal(dst[6], 0x55);
	/* Wholly past the end. */
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 8, dst, 4);
	assert_memory_equal(dst, zero, 4);
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 100, dst, 12);
	assert_memory_equal(dst, zero, 12);
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 0xfffffffeu, dst, 4);
	assert_memory_equal(dst, zero, 4);
	/* n = 0 writes nothing. */
	memset(dst, 0x55, sizeof(dst));
	psf_field_bytes(p, 8, 8, dst, 0);
	assert_int_equal(dst[0], 0x55);
}

/* ===================================================== in-place edits */

static void test_wip_write(void **state)
{
	uint8_t buf[1024], before[1024];
	int vm, cfg, name, n;
	uint32_t len;
	const uint8_t *p;

	(void)state;
	n = build_fixture(buf, sizeof(buf));
	vm = find_vm(buf, "vm1");
	cfg = psf_find_child(buf, vm, PSF_VM_CONFIG);
	name = psf_find_child(buf, vm, PSF_NAME);
	memcpy(before, buf, sizeof(buf));

	OK(psf_wip_write(buf, cfg, PSF_VMC_VCPUS, "\x08\x00", 2));
	p = psf_payload(buf, cfg, &len);
	assert_int_equal(psf_field_uint(p, len, PSF_VMC_VCPUS, 2), 8);
	/* Only those two bytes changed. */
	assert_memory_equal(buf, before, (size_t)cfg + 8 + PSF_VMC_VCPUS);
	assert_memory_equal(buf + cfg + 8 + PSF_VMC_VCPUS + 2,
			    before + cfg + 8 + PSF_VMC_VCPUS + 2,
			    (size_t)n - (size_t)cfg - 8 - PSF_VMC_VCPUS - 2);
	FINISH_OK(buf);
	/* The last byte, a zero-length write at the end. */
	OK(psf_wip_write(buf, cfg, PSF_VMC_SIZE - 1, "\x77", 1));
	OK(psf_wip_write(buf, cfg, PSF_VMC_SIZE, "", 0));
	OK(psf_wip_write(buf, name, 0, "VM", 2));
	assert_memory_equal(psf_payload(buf, name, &len), "VM1", 3);
	FINISH_OK(buf);

	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_wip_write(buf, cfg, PSF_VMC_SIZE - 1, "ab", 2),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_wip_write(buf, cfg, PSF_VMC_SIZE + 1, "", 0),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_wip_write(buf, cfg, 0xffffffffu, "ab", 2),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_wip_write(buf, name, 1, "abcd", 0xfffffffeu),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_wip_write(buf, vm, 0, "x", 1), PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_wip_write(buf, 32, 0, "x", 1), PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_wip_write(buf, 10, 0, "x", 1), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_wip_write(buf, n, 0, "x", 1), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_wip_write(buf, -8, 0, "x", 1), PSF_ERR_BADOFFSET);
	assert_memory_equal(buf, before, sizeof(buf));
}

static void test_wip_nop(void **state)
{
	uint8_t buf[1024], before[1024];
	int vm, cfg, hv, n, vms;
	uint32_t size, count, len;
	const uint8_t *p;
	uint32_t i;

	(void)state;
	n = build_fixture(buf, sizeof(buf));
	vms = psf_find_child(buf, 32, PSF_VMS);
	vm = find_vm(buf, "vm1");
	cfg = psf_find_child(buf, vm, PSF_VM_CONFIG);
	hv = psf_find_child(buf, vm, HV_C(1));
	count = elem_count(buf, vm);
	memcpy(before, buf, sizeof(buf));

	/* A structure: same size, signature 0, zeroed payload. */
	size = elem_size(buf, cfg);
	OK(psf_wip_nop(buf, cfg));
	assert_int_equal(psf_sig(buf, cfg), PSF_PAD);
	p = psf_payload(buf, cfg, &len);
	assert_int_equal(len, size - 8);
	for (i = 0; i < len; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(elem_count(buf, vm), count);
	assert_int_equal(psf_total(buf), n);
	assert_memory_equal(buf, before, (size_t)cfg);
	assert_memory_equal(buf + cfg + size, before + cfg + size,
			    (size_t)n - cfg - size);
	assert_int_equal(psf_find_child(buf, vm, PSF_VM_CONFIG),
			 PSF_ERR_NOTFOUND);
	FINISH_OK(buf);

	/* A container and its subtree: one pad of the same total size. */
	size = elem_size(buf, hv);
	OK(psf_wip_nop(buf, hv));
	assert_int_equal(psf_sig(buf, hv), PSF_PAD);
	assert_int_equal(elem_size(buf, hv), size);
	assert_int_equal(elem_count(buf, vm), count);
	FINISH_OK(buf);
	/* A pad again: still a pad. */
	OK(psf_wip_nop(buf, hv));
	assert_int_equal(elem_size(buf, hv), size);
	/* A whole set. */
	OK(psf_wip_nop(buf, vms));
	assert_int_equal(psf_find_child(buf, 32, PSF_VMS), PSF_ERR_NOTFOUND);
	ERR(find_vm(buf, "vm1"));
	assert_int_equal(psf_total(buf), n);
	FINISH_OK(buf);

	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_wip_nop(buf, 32), PSF_ERR_BADVALUE);
	assert_int_equal(psf_wip_nop(buf, 0), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_wip_nop(buf, n), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_wip_nop(buf, n - 4), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_wip_nop(buf, INT_MAX), PSF_ERR_BADOFFSET);
	assert_memory_equal(buf, before, sizeof(buf));
}

/* ===================================================== set_payload */

/*
 * root { vms { vm { name "abc", pad(16), vendor "after" } },
 *        vendor "tail-bytes" }
 */
struct padded {
	int vms, vm, name, pad, after, tail, total;
};

static void build_p(uint8_t *buf, size_t cap, struct padded *s)
{
	struct psf_builder bl;

	memset(buf, 0, cap);
	OK(psf_build_begin(&bl, buf, cap, PSF_ROOT, 1, 0x00010000u));
	bopen(&bl, PSF_VMS);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "abc");
	bpad(&bl, 16);
	bstr(&bl, VENDOR_S(9), "after");
	bclose(&bl);
	bclose(&bl);
	bstr(&bl, VENDOR_S(10), "tail-bytes");
	s->total = bfinish(&bl);
	s->vms = 44;
	s->vm = 56;
	s->name = 68;
	s->pad = 79;
	s->after = 103;
	s->tail = 116;
	assert_int_equal(psf_sig(buf, s->pad), PSF_PAD);
	assert_int_equal(psf_sig(buf, s->after), VENDOR_S(9));
	assert_int_equal(psf_sig(buf, s->tail), VENDOR_S(10));
	assert_int_equal(s->total, 134);
}

static void assert_string_at(const uint8_t *b, int off, const char *s)
{
	uint32_t len;
	const void *p = psf_payload(b, off, &len);

	assert_non_null(p);
	assert_int_equal(len, strlen(s));
	assert_memory_equal(p, s, len);
}

static void test_set_payload_pad_absorbs_growth(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;

	(void)state;
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	/* +7 bytes: the pad gives them up; nothing after it moves. */
	OK(psf_set_payload(buf, sizeof(buf), s.name, "abcdefghij", 10));
	assert_string_at(buf, s.name, "abcdefghij");
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(psf_sig(buf, s.name + 18), PSF_PAD);
	assert_int_equal(elem_size(buf, s.name + 18), 24 - 7);
	assert_int_equal(elem_count(buf, s.vm), 3);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	assert_int_equal(cont_size(buf, s.vm), cont_size(before, s.vm));
	assert_int_equal(cont_size(buf, 32), cont_size(before, 32));
	assert_int_equal(psf_flags(buf), 0x00010000u);
	FINISH_OK(buf);
	/* Again: 8 of the pad's remaining 9 payload bytes. */
	OK(psf_set_payload(buf, sizeof(buf), s.name, "abcdefghijklmnopqr", 18));
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(psf_sig(buf, s.name + 26), PSF_PAD);
	assert_int_equal(elem_size(buf, s.name + 26), 9);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);
}

/*
 * CORE BUG: when the growth is exactly the size of the following pad
 * (header included), the pad should be taken whole (docs/format.md 8:
 * "removing it and decrementing the parent's count when its whole size is
 * used").  psf_rw.c's grow() signals that case by returning -1, but
 * psf_set_payload() and psf_insert() treat any negative value as an error,
 * so the edit fails with PSF_ERR_NOTFOUND (-1) and does nothing.
 */
static void test_pad_swallowed_whole(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;
	int at;

	(void)state;
	/* psf_set_payload: +24 = the 16-byte pad payload + its header. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_set_payload(buf, sizeof(buf), s.name,
					 "0123456789abcdefghijklmnopq", 27),
			 PSF_OK);
	assert_string_at(buf, s.name, "0123456789abcdefghijklmnopq");
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_count(buf, s.vm), 2);
	assert_int_equal(psf_next_child_raw(buf, s.vm, s.name), s.after);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);

	/* psf_insert before the pad, an element of exactly its size. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	at = psf_insert(buf, sizeof(buf), s.vm, s.pad, PSF_HOSTNAME,
			"0123456789abcdef", 16);
	assert_int_equal(at, s.pad);
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_count(buf, s.vm), 3);
	assert_int_equal(psf_next_child_raw(buf, s.vm, at), s.after);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);

	/* psf_insert appending into a trailing pad of exactly its size. */
	build_p(buf, sizeof(buf), &s);
	OK(psf_delete(buf, s.after)); /* the pad is now the vm's last child */
	at = psf_insert(buf, sizeof(buf), s.vm, -1, PSF_NICS, NULL, 0);
	assert_int_equal(at, s.pad);
	at = psf_insert(buf, sizeof(buf), s.vm, -1, PSF_HOSTNAME, NULL, 4);
	assert_int_equal(at, s.pad + 12);
	assert_int_equal(psf_next_child_raw(buf, s.vm, at), PSF_ERR_NOTFOUND);
	assert_int_equal(elem_count(buf, s.vm), 3);
	assert_int_equal(psf_total(buf), s.total - 13);
	FINISH_OK(buf);

	/* psf_set_child replacing a payload the same way. */
	build_p(buf, sizeof(buf), &s);
	at = psf_set_child(buf, sizeof(buf), s.vm, PSF_NAME, NULL, 3 + 24);
	assert_int_equal(at, s.name);
	assert_int_equal(elem_count(buf, s.vm), 2);
	FINISH_OK(buf);
}

static void test_set_payload_pad_too_small(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;
	int pad;

	(void)state;
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	/* +20: more than the pad's 16 payload bytes, less than its 24: the
	 * tail moves by 20 and every ancestor grows by 20. */
	OK(psf_set_payload(buf, sizeof(buf), s.name, NULL, 23));
	assert_int_equal(psf_total(buf), s.total + 20);
	assert_int_equal(cont_size(buf, 32), cont_size(before, 32) + 20);
	assert_int_equal(cont_size(buf, s.vms), cont_size(before, s.vms) + 20);
	assert_int_equal(cont_size(buf, s.vm), cont_size(before, s.vm) + 20);
	assert_int_equal(elem_count(buf, s.vm), 3);
	pad = psf_next_child_raw(buf, s.vm, s.name);
	assert_int_equal(pad, s.pad + 20);
	assert_int_equal(psf_sig(buf, pad), PSF_PAD);
	assert_int_equal(elem_size(buf, pad), 24);
	/* The bytes after the edited spot moved as a block. */
	assert_memory_equal(buf + s.pad + 20, before + s.pad,
			    (size_t)s.total - s.pad);
	{
		uint32_t len, i;
		const uint8_t *p = psf_payload(buf, s.name, &len);

		assert_int_equal(len, 23);
		for (i = 0; i < len; i++)
			assert_int_equal(p[i], 0); /* NULL data: zeros */
	}
	FINISH_OK(buf);
}

static void test_set_payload_shrink(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;

	(void)state;
	/* Followed by a pad: the pad takes the freed bytes. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	OK(psf_set_payload(buf, sizeof(buf), s.name, "a", 1));
	assert_string_at(buf, s.name, "a");
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(psf_sig(buf, s.name + 9), PSF_PAD);
	assert_int_equal(elem_size(buf, s.name + 9), 26);
	assert_int_equal(elem_count(buf, s.vm), 3);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);
	/* To empty. */
	OK(psf_set_payload(buf, sizeof(buf), s.name, NULL, 0));
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_size(buf, s.name + 8), 27);
	FINISH_OK(buf);

	/* Not followed by a pad, freeing >= 8 bytes: a new pad, count + 1,
	 * nothing else moves. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	OK(psf_set_payload(buf, sizeof(buf), s.tail, "t", 1));
	assert_string_at(buf, s.tail, "t");
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_count(buf, 32), 3);
	assert_int_equal(psf_sig(buf, s.tail + 9), PSF_PAD);
	assert_int_equal(elem_size(buf, s.tail + 9), 9);
	assert_int_equal(cont_size(buf, 32), cont_size(before, 32));
	FINISH_OK(buf);

	/* Exactly 8 bytes freed: a pad of length 0. */
	build_p(buf, sizeof(buf), &s);
	OK(psf_set_payload(buf, sizeof(buf), s.tail, "ta", 2));
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_size(buf, s.tail + 10), 8);
	FINISH_OK(buf);

	/* Freeing < 8 bytes and no pad after: the tail moves up, the total
	 * and every ancestor shrink. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	OK(psf_set_payload(buf, sizeof(buf), s.after, "aft", 3));
	assert_string_at(buf, s.after, "aft");
	assert_int_equal(psf_total(buf), s.total - 2);
	assert_int_equal(cont_size(buf, s.vm), cont_size(before, s.vm) - 2);
	assert_int_equal(cont_size(buf, s.vms), cont_size(before, s.vms) - 2);
	assert_int_equal(cont_size(buf, 32), cont_size(before, 32) - 2);
	assert_int_equal(elem_count(buf, s.vm), 3);
	assert_memory_equal(buf + s.tail - 2, before + s.tail,
			    (size_t)s.total - s.tail);
	FINISH_OK(buf);

	/* The same length: only the payload bytes change. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	OK(psf_set_payload(buf, sizeof(buf), s.name, "xyz", 3));
	assert_memory_equal(buf, before, (size_t)s.name + 8);
	assert_memory_equal(buf + s.name + 8, "xyz", 3);
	assert_memory_equal(buf + s.pad, before + s.pad,
			    (size_t)s.total - s.pad);
	FINISH_OK(buf);
}

static void test_set_payload_grow_no_pad(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;
	static const char long_text[] = "tail-bytes, now much longer";

	(void)state;
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	OK(psf_set_payload(buf, sizeof(buf), s.tail, long_text,
			   (uint32_t)strlen(long_text)));
	assert_string_at(buf, s.tail, long_text);
	assert_int_equal(psf_total(buf), s.total + 17);
	assert_int_equal(cont_size(buf, 32), cont_size(before, 32) + 17);
	assert_int_equal(cont_size(buf, s.vms), cont_size(before, s.vms));
	/* Everything before the edited element is where it was (the root's
	 * size and the header changed). */
	assert_memory_equal(buf + s.vms, before + s.vms,
			    (size_t)s.tail + 4 - s.vms);
	FINISH_OK(buf);
}

static void test_set_payload_errors(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;
	size_t cap;

	(void)state;
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_set_payload(buf, sizeof(buf), s.vm, "x", 1),
			 PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_set_payload(buf, sizeof(buf), 32, "x", 1),
			 PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_set_payload(buf, sizeof(buf), 0, "x", 1),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_set_payload(buf, sizeof(buf), s.total, "x", 1),
			 PSF_ERR_BADOFFSET);
	ERR(psf_set_payload(buf, sizeof(buf), s.name + 1, "x", 1));
	ERR(psf_set_payload(buf, sizeof(buf), s.name + 8, "x", 1));
	ERR(psf_set_payload(buf, sizeof(buf), s.vm + 4, "x", 1));
	assert_int_equal(psf_set_payload(buf, sizeof(buf), s.name, NULL,
					 PSF_MAX_TOTAL + 1), PSF_ERR_NOSPACE);
	assert_int_equal(psf_set_payload(buf, sizeof(buf), s.name, NULL,
					 0xffffffffu), PSF_ERR_NOSPACE);
	/* Growth past cap (the pad cannot help with 40 more): NOSPACE and
	 * the buffer is untouched. */
	cap = (size_t)s.total + 39;
	assert_int_equal(psf_set_payload(buf, cap, s.tail, NULL, 10 + 40),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_set_payload(buf, 0, s.tail, NULL, 11),
			 PSF_ERR_NOSPACE);
	assert_memory_equal(buf, before, sizeof(buf));
	/* Exactly at cap: fine. */
	OK(psf_set_payload(buf, cap + 1, s.tail, NULL, 10 + 40));
	assert_int_equal(psf_total(buf), cap + 1);
	FINISH_OK(buf);
	/* Growth the pad can absorb needs no capacity at all. */
	build_p(buf, sizeof(buf), &s);
	OK(psf_set_payload(buf, (size_t)s.total, s.name, "abcd", 4));
	FINISH_OK(buf);
	/* Shrinking needs no capacity either. */
	OK(psf_set_payload(buf, 0, s.tail, "t", 1));
	FINISH_OK(buf);
}

/* ============================================================== insert */

static void test_insert_before_and_append(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;
	int at;

	(void)state;
	/* Before a non-pad child: the rest moves by the new size. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	at = psf_insert(buf, sizeof(buf), s.vm, s.after, PSF_HOSTNAME, "h", 1);
	assert_int_equal(at, s.after);
	assert_string_at(buf, at, "h");
	assert_int_equal(elem_count(buf, s.vm), 4);
	assert_int_equal(psf_total(buf), s.total + 9);
	assert_int_equal(cont_size(buf, s.vms), cont_size(before, s.vms) + 9);
	assert_memory_equal(buf + s.after + 9, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);

	/* Before a pad: the pad gives up the room, nothing moves. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	at = psf_insert(buf, sizeof(buf), s.vm, s.pad, PSF_HOSTNAME, "host", 4);
	assert_int_equal(at, s.pad);
	assert_string_at(buf, at, "host");
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_count(buf, s.vm), 4);
	assert_int_equal(psf_sig(buf, s.pad + 12), PSF_PAD);
	assert_int_equal(elem_size(buf, s.pad + 12), 12);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);
	/* Taking exactly the pad's payload length leaves a pad of length 0. */
	build_p(buf, sizeof(buf), &s);
	at = psf_insert(buf, sizeof(buf), s.vm, s.pad, PSF_HOSTNAME, NULL, 0);
	assert_int_equal(at, s.pad);
	assert_int_equal(elem_size(buf, s.pad + 8), 16);
	at = psf_insert(buf, sizeof(buf), s.vm, s.pad + 8, PSF_NAME, NULL, 0);
	assert_int_equal(at, s.pad + 8);
	assert_int_equal(psf_total(buf), s.total);
	assert_int_equal(elem_count(buf, s.vm), 5);
	assert_int_equal(psf_sig(buf, s.pad + 16), PSF_PAD);
	assert_int_equal(elem_size(buf, s.pad + 16), 8);
	assert_int_equal(psf_next_child_raw(buf, s.vm, s.pad + 16), s.after);
	assert_memory_equal(buf + s.after, before + s.after,
			    (size_t)s.total - s.after);
	FINISH_OK(buf);

	/* Append (before < 0) with no trailing pad: at the parent's end. */
	build_p(buf, sizeof(buf), &s);
	memcpy(before, buf, sizeof(buf));
	at = psf_insert(buf, sizeof(buf), s.vm, -1, PSF_DESCRIPTION, "d", 1);
	assert_int_equal(at, s.tail);
	assert_int_equal(psf_next_child_raw(buf, s.vm, s.after), at);
	assert_int_equal(psf_next_child_raw(buf, s.vm, at), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_total(buf), s.total + 9);
	assert_memory_equal(buf + s.tail + 9, before + s.tail,
			    (size_t)s.total - s.tail);
	FINISH_OK(buf);
	/* Append to the root: the very end of the store. */
	at = psf_insert(buf, sizeof(buf), 32, -1, VENDOR_S(11), NULL, 3);
	assert_int_equal(at, s.total + 9);
	assert_int_equal(psf_total(buf), s.total + 9 + 11);
	assert_int_equal(elem_count(buf, 32), 3);
	FINISH_OK(buf);
}

static void test_insert_append_trailing_pad(void **state)
{
	uint8_t buf[512], before[512];
	struct psf_builder bl;
	int total, vms, pad, tail, at, vm2, name;

	(void)state;
	/* root { vms { vm { name "a" }, pad(40) }, vendor "tail" } */
	memset(buf, 0, sizeof(buf));
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	bopen(&bl, PSF_VMS);
	bopen(&bl, PSF_VM);
	bstr(&bl, PSF_NAME, "a");
	bclose(&bl);
	bpad(&bl, 40);
	bclose(&bl);
	bstr(&bl, VENDOR_S(1), "tail");
	total = bfinish(&bl);
	vms = 44;
	pad = 56 + 12 + 9;
	tail = pad + 48;
	assert_int_equal(psf_sig(buf, pad), PSF_PAD);
	assert_int_equal(psf_sig(buf, tail), VENDOR_S(1));
	memcpy(before, buf, sizeof(buf));

	/* A container appended to vms goes where the pad was. */
	vm2 = psf_insert(buf, sizeof(buf), vms, -1, PSF_VM, NULL, 0);
	assert_int_equal(vm2, pad);
	assert_int_equal(psf_sig(buf, vm2), PSF_VM);
	assert_int_equal(elem_count(buf, vm2), 0);
	assert_int_equal(elem_size(buf, vm2), 12);
	assert_int_equal(psf_sig(buf, pad + 12), PSF_PAD);
	assert_int_equal(elem_size(buf, pad + 12), 36);
	assert_int_equal(psf_total(buf), total);
	assert_int_equal(elem_count(buf, vms), 3);
	assert_memory_equal(buf + tail, before + tail, (size_t)total - tail);
	FINISH_OK(buf);
	/* A struct appended to vms after that: again from the pad. */
	at = psf_insert(buf, sizeof(buf), vms, -1, VENDOR_S(2), "0123456789",
			10);
	assert_int_equal(at, pad + 12);
	assert_int_equal(psf_total(buf), total);
	assert_int_equal(psf_sig(buf, pad + 30), PSF_PAD);
	assert_int_equal(elem_size(buf, pad + 30), 18);
	FINISH_OK(buf);
	/* Into the new (nested) container: its own end; the pad belongs to
	 * the parent, so the tail moves. */
	name = psf_insert(buf, sizeof(buf), vm2, -1, PSF_NAME, "b", 1);
	assert_int_equal(name, pad + 12);
	assert_int_equal(psf_total(buf), total + 9);
	assert_int_equal(cont_size(buf, vm2), 9);
	assert_int_equal(find_vm(buf, "b"), vm2);
	FINISH_OK(buf);
	/* A pad smaller than the new element: it goes before the pad. */
	at = psf_insert(buf, sizeof(buf), vms, -1, VENDOR_S(3), NULL, 30);
	assert_int_equal(psf_sig(buf, at), VENDOR_S(3));
	assert_int_equal(psf_sig(buf, at + 38), PSF_PAD);
	assert_int_equal(psf_next_child(buf, vms, at), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_total(buf), total + 9 + 38);
	FINISH_OK(buf);
}

static void test_insert_nested_and_containers(void **state)
{
	uint8_t buf[1024], before[1024];
	int vm, nics, nic, cfg, n, vms;
	uint32_t rs, vs, ms;

	(void)state;
	n = build_fixture(buf, sizeof(buf));
	vms = psf_find_child(buf, 32, PSF_VMS);
	vm = find_vm(buf, "vm2");
	rs = cont_size(buf, 32);
	vs = cont_size(buf, vms);
	ms = cont_size(buf, vm);
	nics = psf_insert(buf, sizeof(buf), vm, -1, PSF_NICS, NULL, 0);
	assert_true(nics > vm);
	assert_int_equal(psf_total(buf), n + 12);
	nic = psf_insert(buf, sizeof(buf), nics, -1, PSF_NIC, NULL, 0);
	assert_int_equal(nic, nics + 12);
	cfg = psf_insert(buf, sizeof(buf), nic, -1, PSF_NIC_CONFIG, NULL,
			 PSF_NICC_SIZE);
	assert_int_equal(cfg, nic + 12);
	assert_int_equal(psf_total(buf), n + 12 + 12 + 16);
	assert_int_equal(cont_size(buf, 32), rs + 40);
	assert_int_equal(cont_size(buf, vms), vs + 40);
	assert_int_equal(cont_size(buf, vm), ms + 40);
	assert_int_equal(cont_size(buf, nics), 28);
	assert_int_equal(cont_size(buf, nic), 16);
	assert_int_equal(elem_count(buf, nics), 1);
	FINISH_OK(buf);
	/* Containers carry no payload. */
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, -1, PSF_NICS, "x", 1),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, -1, PSF_NICS, NULL, 1),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, -1, PSF_NICS, "x", 0),
			 PSF_ERR_BADVALUE);
	/* Bad parents and bad `before`. */
	assert_int_equal(psf_insert(buf, sizeof(buf), cfg, -1, PSF_NAME, "x", 1),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_insert(buf, sizeof(buf), 3, -1, PSF_NAME, "x", 1),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, cfg, PSF_NAME, "x", 1),
			 PSF_ERR_BADOFFSET); /* a grandchild, not a child */
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, vm, PSF_NAME, "x", 1),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, 32, PSF_NAME, "x", 1),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, cfg + 1, PSF_NAME, "x",
				    1), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_insert(buf, sizeof(buf), vm, -1, PSF_NAME, NULL,
				    PSF_MAX_TOTAL + 1), PSF_ERR_NOSPACE);
	assert_memory_equal(buf, before, sizeof(buf));
	/* Into an empty container, before nothing: at its end. */
	{
		int net = psf_insert(buf, sizeof(buf), 32, 44, PSF_NETWORKS,
				     NULL, 0);

		assert_int_equal(net, 44);
		assert_int_equal(psf_find_child(buf, 32, PSF_NETWORKS), 44);
		assert_int_equal(psf_insert(buf, sizeof(buf), net, -1,
					    PSF_NETWORK, NULL, 0), 56);
		FINISH_OK(buf);
	}
}

static void test_insert_nospace(void **state)
{
	uint8_t buf[512], before[512];
	struct padded s;
	size_t cap;
	int at;

	(void)state;
	build_p(buf, sizeof(buf), &s);
	memset(buf + s.total, 0xcc, sizeof(buf) - (size_t)s.total);
	memcpy(before, buf, sizeof(buf));
	cap = (size_t)s.total + 8; /* room for 8 more bytes */
	assert_int_equal(psf_insert(buf, cap, 32, -1, PSF_NAME, "x", 1),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_insert(buf, cap, 32, -1, PSF_VMS, NULL, 0),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_insert(buf, cap, s.vm, s.after, PSF_NAME, "x", 1),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_insert(buf, 0, 32, s.vms, PSF_NAME, NULL, 0),
			 PSF_ERR_NOSPACE);
	assert_memory_equal(buf, before, sizeof(buf));
	/* But the pad still has room: an insert before it needs no cap. */
	at = psf_insert(buf, (size_t)s.total, s.vm, s.pad, PSF_NAME, "x", 1);
	assert_int_equal(at, s.pad);
	FINISH_OK(buf);
	/* Exactly the capacity. */
	build_p(buf, sizeof(buf), &s);
	at = psf_insert(buf, cap, 32, -1, PSF_NAME, NULL, 0);
	assert_int_equal(at, s.total);
	assert_int_equal(psf_total(buf), cap);
	FINISH_OK(buf);
}

static void test_insert_toodeep(void **state)
{
	uint8_t buf[1024], before[1024];
	struct psf_builder bl;
	int i, deepest, l15, at;

	(void)state;
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		bopen(&bl, PSF_SIG(1, 0x7000, i));
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		bclose(&bl);
	bfinish(&bl);
	deepest = 32 + 15 * 12; /* level 16 */
	l15 = 32 + 14 * 12;
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_insert(buf, sizeof(buf), deepest, -1, PSF_VMS, NULL,
				    0), PSF_ERR_TOODEEP);
	assert_memory_equal(buf, before, sizeof(buf));
	/* A structure at level 17 is fine: structures add no depth. */
	at = psf_insert(buf, sizeof(buf), deepest, -1, PSF_NAME, "deep", 4);
	assert_int_equal(at, deepest + 12);
	FINISH_OK(buf);
	/* A container at level 16 next to the existing one is fine. */
	at = psf_insert(buf, sizeof(buf), l15, -1, PSF_VMS, NULL, 0);
	assert_true(at > deepest);
	FINISH_OK(buf);
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_insert(buf, sizeof(buf), at, -1, PSF_VM, NULL, 0),
			 PSF_ERR_TOODEEP);
	assert_memory_equal(buf, before, sizeof(buf));
}

/* ============================================================ set_child */

static void test_set_child(void **state)
{
	uint8_t buf[1024], before[1024];
	int vm, off, off2, n;
	uint32_t count;

	(void)state;
	n = build_fixture(buf, sizeof(buf));
	vm = find_vm(buf, "vm2");
	count = elem_count(buf, vm);
	/* Missing: inserted at the end. */
	off = psf_set_child(buf, sizeof(buf), vm, PSF_HOSTNAME, "h2", 2);
	assert_true(off > vm);
	assert_int_equal(elem_count(buf, vm), count + 1);
	assert_string_at(buf, off, "h2");
	assert_int_equal(psf_total(buf), n + 10);
	FINISH_OK(buf);
	/* Present: replaced in place, same offset. */
	off2 = psf_set_child(buf, sizeof(buf), vm, PSF_HOSTNAME, "host-two", 8);
	assert_int_equal(off2, off);
	assert_string_at(buf, off, "host-two");
	assert_int_equal(elem_count(buf, vm), count + 1);
	FINISH_OK(buf);
	off2 = psf_set_child(buf, sizeof(buf), vm, PSF_NAME, "vm-two", 6);
	assert_int_equal(find_vm(buf, "vm-two"), vm);
	assert_int_equal(find_vm(buf, "vm2"), PSF_ERR_NOTFOUND);
	FINISH_OK(buf);
	/* A container child. */
	off = psf_set_child(buf, sizeof(buf), vm, PSF_NICS, NULL, 0);
	assert_true(off > vm);
	assert_int_equal(psf_sig(buf, off), PSF_NICS);
	FINISH_OK(buf);
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_set_child(buf, sizeof(buf), vm, PSF_NICS, NULL, 0),
			 PSF_ERR_NOTSTRUCT);
	assert_int_equal(psf_set_child(buf, sizeof(buf), off2, PSF_NAME, "x", 1),
			 PSF_ERR_NOTCONTAINER);
	assert_int_equal(psf_set_child(buf, sizeof(buf), 1, PSF_NAME, "x", 1),
			 PSF_ERR_BADOFFSET);
	assert_int_equal(psf_set_child(buf, psf_total(buf), vm, PSF_DESCRIPTION,
				       "x", 1), PSF_ERR_NOSPACE);
	assert_memory_equal(buf, before, sizeof(buf));
}

/* ============================================================== delete */

static void test_delete(void **state)
{
	uint8_t buf[1024], before[1024];
	int vm, vms, n, size, vm2, last, k, c;

	(void)state;
	n = build_fixture(buf, sizeof(buf));
	vms = psf_find_child(buf, 32, PSF_VMS);
	vm = find_vm(buf, "vm1");
	vm2 = find_vm(buf, "vm2");
	size = (int)elem_size(buf, vm);
	memcpy(before, buf, sizeof(buf));
	/* A whole subtree. */
	OK(psf_delete(buf, vm));
	assert_int_equal(psf_total(buf), n - size);
	assert_int_equal(elem_count(buf, vms), 1);
	assert_int_equal(cont_size(buf, vms), cont_size(before, vms) - size);
	assert_int_equal(cont_size(buf, 32), cont_size(before, 32) - size);
	assert_int_equal(find_vm(buf, "vm1"), PSF_ERR_NOTFOUND);
	assert_int_equal(find_vm(buf, "vm2"), vm);
	assert_memory_equal(buf + vm, before + vm2, (size_t)(n - vm2));
	FINISH_OK(buf);
	/* The last element of the store. */
	last = -1;
	psf_for_each_child_raw(buf, 32, c)
		last = c;
	n = (int)psf_total(buf);
	size = (int)elem_size(buf, last);
	OK(psf_delete(buf, last));
	assert_int_equal(psf_total(buf), n - size);
	FINISH_OK(buf);
	/* The only child: an empty container remains. */
	vm = find_vm(buf, "vm2");
	OK(psf_delete(buf, psf_find_child(buf, vm, PSF_NAME)));
	assert_int_equal(elem_count(buf, vm), 0);
	assert_int_equal(cont_size(buf, vm), 0);
	FINISH_OK(buf);
	/* Everything: an empty root. */
	while ((c = psf_first_child_raw(buf, 32)) >= 0)
		OK(psf_delete(buf, c));
	assert_int_equal(psf_total(buf), 44);
	assert_int_equal(elem_count(buf, 32), 0);
	FINISH_OK(buf);

	/* Pads are deleted like anything else. */
	{
		struct padded s;

		build_p(buf, sizeof(buf), &s);
		OK(psf_delete(buf, s.pad));
		assert_int_equal(psf_total(buf), s.total - 24);
		assert_int_equal(elem_count(buf, s.vm), 2);
		k = 0;
		psf_for_each_child_raw(buf, s.vm, c)
			k++;
		assert_int_equal(k, 2);
		FINISH_OK(buf);
	}

	/* Refused: the root, non-element offsets. */
	n = build_fixture(buf, sizeof(buf));
	vm = find_vm(buf, "vm1");
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(psf_delete(buf, 32), PSF_ERR_BADVALUE);
	assert_int_equal(psf_delete(buf, 0), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_delete(buf, n), PSF_ERR_BADOFFSET);
	assert_int_equal(psf_delete(buf, vm + 4), PSF_ERR_BADOFFSET);
	ERR(psf_delete(buf, vm + 12 + 8)); /* inside the name's payload */
	assert_int_equal(psf_delete(buf, -3), PSF_ERR_BADOFFSET);
	assert_memory_equal(buf, before, sizeof(buf));
}

/* Edits at offsets that are not element starts are refused and touch
 * nothing (the resizing edits locate the element's ancestors first). */
static void test_edit_offset_sweep(void **state)
{
	uint8_t tmp[1024], *b, *orig;
	struct psft_stats st;
	char is_elem[1024];
	int n, off, c, rc;

	(void)state;
	n = build_fixture(tmp, sizeof(tmp));
	assert_int_equal(psft_walk(tmp, &st), 0);
	memset(is_elem, 0, sizeof(is_elem));
	/* Mark every element start: iterate the tree by hand. */
	{
		int stack[PSF_MAX_DEPTH + 1], sp = 0;

		is_elem[32] = 1;
		stack[sp++] = 32;
		while (sp) {
			int p = stack[--sp];

			psf_for_each_child_raw(tmp, p, c) {
				is_elem[c] = 1;
				if (PSF_SIG_IS_CONTAINER(psf_sig(tmp, c)))
					stack[sp++] = c;
			}
		}
	}
	orig = exact_copy(tmp, (size_t)n);
	b = malloc((size_t)n + 64);
	assert_non_null(b);
	for (off = -16; off < n + 16; off++) {
		if (off >= 0 && off < n && is_elem[off])
			continue;
		memcpy(b, orig, (size_t)n);
		rc = psf_set_payload(b, (size_t)n + 64, off, "q", 1);
		assert_true(rc < 0);
		rc = psf_insert(b, (size_t)n + 64, off, -1, PSF_NAME, "q", 1);
		assert_true(rc < 0);
		if (off >= 0) { /* a negative `before` means "append" */
			rc = psf_insert(b, (size_t)n + 64, 32, off, PSF_NAME,
					"q", 1);
			assert_true(rc < 0);
		}
		rc = psf_set_child(b, (size_t)n + 64, off, PSF_NAME, "q", 1);
		assert_true(rc < 0);
		rc = psf_delete(b, off);
		assert_true(rc < 0);
		if (off < 32 || off >= n) {
			assert_int_equal(psf_wip_nop(b, off), PSF_ERR_BADOFFSET);
			assert_int_equal(psf_wip_write(b, off, 0, "q", 1),
					 PSF_ERR_BADOFFSET);
		}
		assert_memory_equal(b, orig, (size_t)n);
	}
	free(b);
	free(orig);
}

/* ============================================================== finish */

static void test_finish(void **state)
{
	uint8_t buf[256];
	int n;

	(void)state;
	n = build_doc(buf, sizeof(buf));
	/* Hand edit, then finish: both CRCs are recomputed. */
	buf[78] = '9';
	assert_int_equal(psf_check_crc(buf, (size_t)n), PSF_ERR_BODYCRC);
	OK(psf_finish(buf));
	OK(psf_check_full(buf, (size_t)n, NULL));
	assert_int_equal(psf_le32(buf + PSF_HDR_BODY_CRC),
			 psf_crc32c(0, buf + 32, (size_t)n - 32));
	assert_int_equal(psf_le32(buf + PSF_HDR_HEADER_CRC),
			 psf_crc32c(0, buf, 28));
	/* Header fields other than the CRCs are left alone. */
	psf_put_le32(buf + PSF_HDR_FLAGS, 0x12340000u);
	psf_put_le32(buf + PSF_HDR_SCHEMA, 5);
	OK(psf_finish(buf));
	assert_int_equal(psf_flags(buf), 0x12340000u);
	assert_int_equal(psf_schema_version(buf), 5);
	assert_int_equal(psf_total(buf), n);
	OK(psf_check_full(buf, (size_t)n, NULL));
	/* Idempotent. */
	{
		uint8_t copy[256];

		memcpy(copy, buf, sizeof(copy));
		OK(psf_finish(buf));
		assert_memory_equal(copy, buf, sizeof(copy));
	}
	/* An impossible total is refused, nothing written. */
	psf_put_le32(buf + PSF_HDR_TOTAL, 16);
	psf_put_le32(buf + PSF_HDR_HEADER_CRC, 0x11111111u);
	assert_int_equal(psf_finish(buf), PSF_ERR_BADHEADER);
	assert_int_equal(psf_le32(buf + PSF_HDR_HEADER_CRC), 0x11111111u);
	psf_put_le32(buf + PSF_HDR_TOTAL, PSF_MAX_TOTAL + 1);
	assert_int_equal(psf_finish(buf), PSF_ERR_BADHEADER);
	assert_int_equal(psf_le32(buf + PSF_HDR_HEADER_CRC), 0x11111111u);
}

/* ================================================== the 16 MiB limit */

static void test_max_total(void **state)
{
	const size_t cap = PSF_MAX_TOTAL + 4096u;
	uint8_t *buf = calloc(1, cap);
	struct psf_builder bl;
	uint32_t big = PSF_MAX_TOTAL - 44 - 8 - 9;
	int name, total;

	(void)state;
	assert_non_null(buf);
	/* Built right up to the limit: valid. */
	OK(psf_build_begin(&bl, buf, cap, PSF_ROOT, 1, 0));
	assert_int_equal(bl.cap, PSF_MAX_TOTAL);
	OK(psf_build_string(&bl, PSF_NAME, "x"));
	OK(psf_build_struct(&bl, VENDOR_S(1), NULL, big));
	total = psf_build_finish(&bl);
	assert_int_equal(total, PSF_MAX_TOTAL);
	OK(psf_check_full(buf, cap, NULL));
	/* One byte more is refused whatever the buffer's capacity. */
	name = psf_first_child(buf, 32);
	assert_int_equal(psf_set_payload(buf, cap, name, "xy", 2),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_insert(buf, cap, 32, -1, PSF_PAD, NULL, 0),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_begin(&bl, buf, cap, PSF_ROOT, 1, 0),
			 PSF_OK);
	OK(psf_build_struct(&bl, VENDOR_S(1), NULL, big + 9));
	assert_int_equal(psf_build_struct(&bl, PSF_PAD, NULL, 0),
			 PSF_ERR_NOSPACE);
	/* The same store, the limit exceeded by hand: TOOLARGE. */
	build_doc(buf, cap);
	psf_put_le32(buf + PSF_HDR_TOTAL, PSF_MAX_TOTAL + 1);
	psf_put_le32(buf + 40, PSF_MAX_TOTAL + 1 - 44);
	psf_put_le32(buf + PSF_HDR_HEADER_CRC, psf_crc32c(0, buf, 28));
	assert_int_equal(psf_check_header(buf, cap), PSF_ERR_TOOLARGE);
	free(buf);
}

/* ============================================================= builder */

static void test_builder_all_calls(void **state)
{
	uint8_t buf[512], zero[5] = { 0 };
	struct psf_builder bl;
	uint32_t len;
	const uint8_t *p;
	int total, vm;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 3, 0x00ff0000u));
	assert_int_equal(bl.depth, 1);
	assert_int_equal(bl.pos, 44);
	bopen(&bl, PSF_VMS);
	bopen(&bl, PSF_VM);
	OK(psf_build_string(&bl, PSF_NAME, "web"));
	OK(psf_build_string(&bl, PSF_DESCRIPTION, ""));
	OK(psf_build_struct(&bl, VENDOR_S(1), NULL, 5));
	OK(psf_build_struct(&bl, VENDOR_S(2), "abc", 3));
	bclose(&bl);
	bopen(&bl, PSF_VM);
	bclose(&bl);
	bclose(&bl);
	total = psf_build_finish(&bl);
	assert_int_equal(total, 44 + 12 + 12 + 11 + 8 + 13 + 11 + 12);
	assert_int_equal(psf_total(buf), total);
	assert_int_equal(psf_schema_version(buf), 3);
	assert_int_equal(psf_flags(buf), 0x00ff0000u);
	OK(psf_check_full(buf, (size_t)total, NULL));
	assert_int_equal(elem_count(buf, 32), 1);
	assert_int_equal(elem_count(buf, 44), 2);
	vm = find_vm(buf, "web");
	assert_int_equal(vm, 56);
	assert_int_equal(elem_count(buf, vm), 4);
	p = psf_child_payload(buf, vm, PSF_DESCRIPTION, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	p = psf_child_payload(buf, vm, VENDOR_S(1), &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, zero, 5); /* NULL data: zeros */
	p = psf_child_payload(buf, vm, VENDOR_S(2), &len);
	assert_memory_equal(p, "abc", 3);
	assert_int_equal(buf[total], 0xee); /* nothing written past */

	/* The smallest store. */
	OK(psf_build_begin(&bl, buf, 44, PSF_SIG(1, 0x4001, 1), 1, 0));
	assert_int_equal(psf_build_finish(&bl), 44);
	OK(psf_check_full(buf, 44, NULL));
	assert_int_equal(psf_sig(buf, 32), PSF_SIG(1, 0x4001, 1));

	/* A huge cap is clamped to the format's limit. */
	OK(psf_build_begin(&bl, buf, SIZE_MAX, PSF_ROOT, 1, 0));
	assert_int_equal(bl.cap, PSF_MAX_TOTAL);
	assert_int_equal(psf_build_finish(&bl), 44);
}

static void test_builder_errors(void **state)
{
	uint8_t buf[256];
	struct psf_builder bl;
	int i;

	(void)state;
	/* begin: structure root, no room for the header or the root. */
	assert_int_equal(psf_build_begin(&bl, buf, sizeof(buf), PSF_NAME, 1, 0),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_BADVALUE);
	assert_int_equal(psf_build_begin(&bl, buf, 31, PSF_ROOT, 1, 0),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_begin(&bl, buf, 43, PSF_ROOT, 1, 0),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_NOSPACE);

	/* Sticky: after the first error every call returns it. */
	OK(psf_build_begin(&bl, buf, 60, PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_struct(&bl, PSF_NAME, NULL, 9),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_struct(&bl, PSF_NAME, NULL, 0),
			 PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_open(&bl, PSF_VMS), PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_close(&bl), PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_string(&bl, PSF_NAME, "x"), PSF_ERR_NOSPACE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_NOSPACE);
	assert_int_equal(bl.err, PSF_ERR_NOSPACE);
	/* ... and the first error wins over later different ones. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_open(&bl, PSF_NAME), PSF_ERR_BADVALUE);
	assert_int_equal(psf_build_struct(&bl, PSF_NAME, NULL, 1000),
			 PSF_ERR_BADVALUE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_BADVALUE);
	/* Exactly fitting is fine; one byte more is not. */
	OK(psf_build_begin(&bl, buf, 60, PSF_ROOT, 1, 0));
	OK(psf_build_struct(&bl, PSF_NAME, NULL, 8));
	assert_int_equal(psf_build_finish(&bl), 60);
	OK(psf_build_begin(&bl, buf, 59, PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_struct(&bl, PSF_NAME, NULL, 8),
			 PSF_ERR_NOSPACE);
	OK(psf_build_begin(&bl, buf, 59, PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_struct(&bl, PSF_NAME, NULL, 0xffffffffu),
			 PSF_ERR_NOSPACE);
	OK(psf_build_begin(&bl, buf, 55, PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_open(&bl, PSF_VMS), PSF_ERR_NOSPACE);

	/* Wrong kinds of signature. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_struct(&bl, PSF_VMS, NULL, 0),
			 PSF_ERR_BADVALUE);
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_string(&bl, PSF_VM, "x"), PSF_ERR_BADVALUE);

	/* TOODEEP on the 17th level. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		bopen(&bl, PSF_VMS);
	assert_int_equal(bl.depth, PSF_MAX_DEPTH);
	assert_int_equal(psf_build_open(&bl, PSF_VMS), PSF_ERR_TOODEEP);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_TOODEEP);

	/* BADSTATE: finishing with containers open. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	bopen(&bl, PSF_VMS);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_BADSTATE);
	/* Closing the root by hand, then anything but nothing. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	bclose(&bl);
	assert_int_equal(psf_build_close(&bl), PSF_ERR_BADSTATE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_BADSTATE);
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	bclose(&bl);
	assert_int_equal(psf_build_struct(&bl, PSF_NAME, "x", 1),
			 PSF_ERR_BADSTATE);
	/* A second root. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	bclose(&bl);
	assert_int_equal(psf_build_open(&bl, PSF_ROOT), PSF_ERR_BADSTATE);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_BADSTATE);
	/* Finishing twice. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	assert_int_equal(psf_build_finish(&bl), 44);
	assert_int_equal(psf_build_finish(&bl), PSF_ERR_BADSTATE);
	assert_int_equal(psf_build_open(&bl, PSF_VMS), PSF_ERR_BADSTATE);
	/* ... but the store written by the first finish is intact. */
	OK(psf_check_full(buf, 44, NULL));
}

/* ========================================= unknown elements preserved */

/* Every non-core element (and its bytes), its parent's signature and its
 * depth, in document order. */
struct foreign {
	uint32_t parent_sig;
	int depth;
	uint32_t size;
	uint8_t bytes[64];
};

static int collect_foreign(const uint8_t *b, int parent, int depth,
			   struct foreign *out, int n)
{
	int c;

	psf_for_each_child_raw(b, parent, c) {
		uint32_t sig = psf_sig(b, c);

		if (PSF_SIG_NS(sig) != PSF_NS_CORE) {
			assert_true(n < 32);
			out[n].parent_sig = psf_sig(b, parent);
			out[n].depth = depth;
			out[n].size = elem_size(b, c);
			assert_true(out[n].size <= sizeof(out[n].bytes));
			memcpy(out[n].bytes, b + c, out[n].size);
			n++;
		} else if (PSF_SIG_IS_CONTAINER(sig)) {
			n = collect_foreign(b, c, depth + 1, out, n);
		}
	}
	return n;
}

static void assert_foreign_same(const uint8_t *b, const struct foreign *want,
				int nwant, int line)
{
	struct foreign got[32];
	int n = collect_foreign(b, 32, 1, got, 0), i;

	if (n != nwant)
		fail_msg("line %d: %d foreign elements, want %d", line, n,
			 nwant);
	for (i = 0; i < n; i++) {
		if (got[i].parent_sig != want[i].parent_sig ||
		    got[i].depth != want[i].depth ||
		    got[i].size != want[i].size ||
		    memcmp(got[i].bytes, want[i].bytes, got[i].size) != 0)
			fail_msg("line %d: foreign element %d changed", line,
				 i);
	}
}

static void test_unknown_preserved(void **state)
{
	uint8_t buf[2048];
	struct foreign orig[32];
	struct psf_builder bl;
	int nf, off;

	(void)state;
	/* Unknown elements before, after and inside what gets edited. */
	OK(psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0));
	bstr(&bl, VENDOR_S(1), "first");
	bopen(&bl, PSF_VMS);
	bstr(&bl, HV_S(2), "before-vm");
	bopen(&bl, PSF_VM);
	bstr(&bl, SITE_S(3), "before-name");
	bstr(&bl, PSF_NAME, "vm1");
	bstr(&bl, SITE_S(4), "after-name");
	OK(psf_build_struct(&bl, PSF_VM_CONFIG, NULL, PSF_VMC_SIZE));
	bopen(&bl, HV_C(5));
	bstr(&bl, HV_S(6), "in-hv");
	bopen(&bl, PSF_NICS); /* a core container inside a foreign one */
	bclose(&bl);
	bclose(&bl);
	bopen(&bl, PSF_NICS);
	bopen(&bl, PSF_NIC);
	bstr(&bl, VENDOR_S(7), "in-nic");
	OK(psf_build_struct(&bl, PSF_NIC_CONFIG, NULL, PSF_NICC_SIZE));
	bclose(&bl);
	bclose(&bl);
	bclose(&bl);
	bstr(&bl, HV_S(8), "after-vm");
	bclose(&bl);
	bopen(&bl, VENDOR_C(9));
	bstr(&bl, VENDOR_S(10), "last");
	bclose(&bl);
	bfinish(&bl);
	nf = collect_foreign(buf, 32, 1, orig, 0);
	assert_int_equal(nf, 8);

#define EDIT_OK(expr)                                           \
	do {                                                    \
		assert_true((expr) >= 0);                       \
		FINISH_OK(buf);                                 \
		assert_foreign_same(buf, orig, nf, __LINE__);   \
	} while (0)

	/* Offsets are looked up again before every edit: a resize moves
	 * whatever follows it. */
#define VMS() psf_find_child(buf, 32, PSF_VMS)
#define VM1() psf_find_child(buf, VMS(), PSF_VM)
#define IN_VM(sig) psf_find_child(buf, VM1(), (sig))
	/* Grow and shrink the name (no pad next to it at first). */
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME),
				"a-much-longer-name", 18));
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME), "v", 1));
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME), "vm1", 3));
	/* The record: grow, shrink, write in place. */
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_VM_CONFIG), NULL,
				PSF_VMC_SIZE + 20));
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_VM_CONFIG), NULL,
				4));
	EDIT_OK(psf_wip_write(buf, IN_VM(PSF_VM_CONFIG), 0, "\x01\x02\x03\x04",
			      4));
	/* Inserts next to and between foreign elements. */
	EDIT_OK(psf_insert(buf, sizeof(buf), VM1(), IN_VM(PSF_NAME),
			   PSF_DESCRIPTION, "d", 1));
	EDIT_OK(psf_insert(buf, sizeof(buf), VM1(), -1, PSF_HOSTNAME, "h", 1));
	EDIT_OK(psf_insert(buf, sizeof(buf), VMS(), -1, PSF_VM, NULL, 0));
	EDIT_OK(psf_insert(buf, sizeof(buf), 32, psf_first_child(buf, 32),
			   PSF_NETWORKS, NULL, 0));
	off = psf_find_path(buf, (const struct psf_step[]){
				    { PSF_VMS, NULL, 0 },
				    { PSF_VM, "vm1", 3 },
				    { PSF_NICS, NULL, 0 },
				    { PSF_NIC, NULL, 0 } }, 4, PSF_NAME);
	assert_true(off > 0);
	EDIT_OK(psf_set_child(buf, sizeof(buf), off, PSF_NETWORK_REF, "lan",
			      3));
	EDIT_OK(psf_set_child(buf, sizeof(buf), off, PSF_NIC_CONFIG, NULL, 2));
	/* Deletes and in-place deletes of core neighbours. */
	EDIT_OK(psf_delete(buf, IN_VM(PSF_DESCRIPTION)));
	EDIT_OK(psf_wip_nop(buf, IN_VM(PSF_HOSTNAME)));
	/* Now with a pad right after the name: grow into it, shrink into
	 * it, swallow it whole. */
	EDIT_OK(psf_insert(buf, sizeof(buf), VM1(),
			   psf_next_child_raw(buf, VM1(), IN_VM(PSF_NAME)),
			   PSF_PAD, NULL, 30));
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME), "vm1-grown",
				9));
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME), "v1", 2));
	/* The pad now has 30 + 1 payload bytes: grow by 30 of them. */
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME), NULL, 32));
	EDIT_OK(psf_set_payload(buf, sizeof(buf), IN_VM(PSF_NAME), "v1", 2));
	EDIT_OK(psf_delete(buf, IN_VM(PSF_VM_CONFIG)));
	EDIT_OK(psf_delete(buf, psf_find_child(buf, 32, PSF_NETWORKS)));
	EDIT_OK(psf_delete(buf, psf_find_next(buf, VMS(), VM1(), PSF_VM)));
	assert_int_equal(psf_find_next(buf, VMS(), VM1(), PSF_VM),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(elem_size(buf, IN_VM(PSF_NAME)), 10);
#undef VMS
#undef VM1
#undef IN_VM
#undef EDIT_OK
}

/* ================================================ randomized edits */

struct mnode {
	uint32_t sig;
	uint8_t *data; /* structure payload */
	uint32_t len;
	struct mnode **kids;
	int nkids, capkids;
	struct mnode *parent;
};

static struct mnode *mnew(uint32_t sig, const void *data, uint32_t len)
{
	struct mnode *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->sig = sig;
	if (len) {
		m->data = malloc(len);
		assert_non_null(m->data);
		if (data)
			memcpy(m->data, data, len);
		else
			memset(m->data, 0, len);
	}
	m->len = len;
	return m;
}

static void mfree(struct mnode *m)
{
	int i;

	for (i = 0; i < m->nkids; i++)
		mfree(m->kids[i]);
	free(m->kids);
	free(m->data);
	free(m);
}

static void madd(struct mnode *p, int pos, struct mnode *k)
{
	if (p->nkids == p->capkids) {
		p->capkids = p->capkids ? 2 * p->capkids : 4;
		p->kids = realloc(p->kids, (size_t)p->capkids * sizeof(*p->kids));
		assert_non_null(p->kids);
	}
	memmove(p->kids + pos + 1, p->kids + pos,
		(size_t)(p->nkids - pos) * sizeof(*p->kids));
	p->kids[pos] = k;
	p->nkids++;
	k->parent = p;
}

static void mremove(struct mnode *k)
{
	struct mnode *p = k->parent;
	int i;

	for (i = 0; i < p->nkids && p->kids[i] != k; i++)
		;
	assert_true(i < p->nkids);
	memmove(p->kids + i, p->kids + i + 1,
		(size_t)(p->nkids - i - 1) * sizeof(*p->kids));
	p->nkids--;
	mfree(k);
}

static void mset(struct mnode *m, const void *data, uint32_t len)
{
	free(m->data);
	m->data = NULL;
	if (len) {
		m->data = malloc(len);
		assert_non_null(m->data);
		if (data)
			memcpy(m->data, data, len);
		else
			memset(m->data, 0, len);
	}
	m->len = len;
}

struct ment {
	int off;
	int depth;         /* containers from the root; root = 1 */
	struct mnode *m;   /* NULL for a pad */
	int pos;           /* index among the parent's non-pad children */
};

struct mstate {
	struct ment *e;
	int n, cap;
	int structs, containers, pads;
};

static void ment_push(struct mstate *s, int off, int depth, struct mnode *m,
		      int pos)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->e = realloc(s->e, (size_t)s->cap * sizeof(*s->e));
		assert_non_null(s->e);
	}
	s->e[s->n].off = off;
	s->e[s->n].depth = depth;
	s->e[s->n].m = m;
	s->e[s->n].pos = pos;
	s->n++;
}

/* The store's tree, pads skipped, must equal the model's; record every
 * element (pads too) for the next random pick. */
static void mcompare(const uint8_t *b, int off, int depth, struct mnode *m,
		     struct mstate *s, int step)
{
	int c, i = 0;

	if (psf_sig(b, off) != m->sig)
		fail_msg("step %d: sig at %d is %08x, model %08x", step, off,
			 (unsigned)psf_sig(b, off), (unsigned)m->sig);
	if (!PSF_SIG_IS_CONTAINER(m->sig)) {
		uint32_t len;
		const void *p = psf_payload(b, off, &len);

		assert_non_null(p);
		if (len != m->len || (len && memcmp(p, m->data, len) != 0))
			fail_msg("step %d: payload at %d differs", step, off);
		s->structs++;
		return;
	}
	s->containers++;
	psf_for_each_child_raw(b, off, c) {
		if (psf_sig(b, c) == PSF_PAD) {
			ment_push(s, c, depth + 1, NULL, i);
			s->pads++;
			continue;
		}
		if (i >= m->nkids)
			fail_msg("step %d: extra child at %d", step, c);
		ment_push(s, c, PSF_SIG_IS_CONTAINER(m->kids[i]->sig) ?
					depth + 1 : depth,
			  m->kids[i], i);
		mcompare(b, c, depth + 1, m->kids[i], s, step);
		i++;
	}
	if (i != m->nkids)
		fail_msg("step %d: container at %d has %d children, model %d",
			 step, off, i, m->nkids);
}

static uint32_t rng_state = 0x2545F491u;

static uint32_t rnd(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rng_state = x;
	return x;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static uint32_t random_struct_sig(void)
{
	static const uint32_t sigs[] = {
		PSF_NAME, PSF_DESCRIPTION, PSF_HOSTNAME, PSF_VM_CONFIG,
		PSF_SIG(0, 0x0123, 1), PSF_SIG(0, 0x4001, 2),
		PSF_SIG(0, 0x7000, 3), PSF_SIG(0, 0x0002, 4),
	};

	return sigs[rnd_below(sizeof(sigs) / sizeof(sigs[0]))];
}

static uint32_t random_container_sig(void)
{
	static const uint32_t sigs[] = {
		PSF_VMS, PSF_VM, PSF_NICS, PSF_SIG(1, 0x0123, 1),
		PSF_SIG(1, 0x4001, 2),
	};

	return sigs[rnd_below(sizeof(sigs) / sizeof(sigs[0]))];
}

/* Pick an entry: kind 0 any non-pad non-root element, 1 a container (root
 * included), 2 a non-pad structure, 3 a pad.  -1 if none. */
static int pick(const struct mstate *s, int kind)
{
	int tries, i;

	for (tries = 0; tries < 64; tries++) {
		i = (int)rnd_below((uint32_t)s->n);
		if (s->n == 0)
			return -1;
		switch (kind) {
		case 0:
			if (s->e[i].m && s->e[i].off != 32)
				return i;
			break;
		case 1:
			if (s->e[i].m && PSF_SIG_IS_CONTAINER(s->e[i].m->sig))
				return i;
			break;
		case 2:
			if (s->e[i].m && !PSF_SIG_IS_CONTAINER(s->e[i].m->sig))
				return i;
			break;
		default:
			if (!s->e[i].m)
				return i;
			break;
		}
	}
	return kind == 1 ? 0 : -1; /* entry 0 is the root */
}

/* Kept reachable so a failing run does not add leak reports. */
static struct {
	uint8_t *buf, *before;
	struct mnode *root;
} random_keep;

static void test_random_edits(void **state)
{
	enum { CAP = 6000, STEPS = 10000 };
	uint8_t *buf = malloc(CAP), *before = malloc(CAP);
	uint8_t data[256];
	struct mnode *root;
	static struct mstate s; /* static: reachable after a failure */
	static const char *const opname[] = {
		"insert struct", "insert container", "set_payload", "delete",
		"delete pad", "wip_nop", "wip_write", "set_child",
		"resize pad", "insert pad",
	};
	int step, nospace = 0, toodeep = 0, done[10] = { 0 }, kind = 0;
	int exact_pad_bug = 0, dive = 0;
	uint32_t maxtotal = 0;

	(void)state;
	assert_non_null(buf);
	assert_non_null(before);
	memset(&s, 0, sizeof(s));
	rng_state = 0x2545F491u;
	{
		struct psf_builder bl;

		OK(psf_build_begin(&bl, buf, CAP, PSF_ROOT, 1, 0));
		bfinish(&bl);
	}
	root = mnew(PSF_ROOT, NULL, 0);
	random_keep.buf = buf;
	random_keep.before = before;
	random_keep.root = root;

	for (step = 0; step < STEPS; step++) {
		uint32_t op = rnd_below(100), len, i;
		int forced_deep = 0;
		/* One edit in eight gets a capacity barely above the store,
		 * so NOSPACE happens in every kind of state. */
		size_t cap = rnd_below(8) == 0 ? psf_total(buf) + rnd_below(24)
					       : CAP;
		int rc = 0, ei, pi, before_off, depth, expect_deep = 0;
		struct mnode *m, *p;
		uint32_t total0 = psf_total(buf);
		int exact_pad = 0; /* the edit may use a following pad whole */

		/* The current layout. */
		s.n = s.structs = s.containers = s.pads = 0;
		ment_push(&s, 32, 1, root, 0);
		mcompare(buf, 32, 1, root, &s, step);

		/* Keep the store from saturating: more deletes when full. */
		if (psf_total(buf) > CAP * 3 / 4 && rnd_below(3) == 0)
			op = 50 + rnd_below(16);
		/* Now and then a dive: containers into the deepest one until
		 * the depth limit refuses. */
		if (step % 500 == 250)
			dive = 20;
		if (dive > 0) {
			dive--;
			op = 30;
			forced_deep = 1;
		}
		len = rnd_below(5) == 0 ? rnd_below(200) : rnd_below(24);
		for (i = 0; i < len; i++)
			data[i] = (uint8_t)rnd();
		memcpy(before, buf, CAP);

		if (op < 35) {
			/* Insert a structure or a container somewhere. */
			int container = op >= 25;
			uint32_t sig = container ? random_container_sig()
						 : random_struct_sig();

			kind = container;
			pi = pick(&s, 1);
			/* Half the containers go into the deepest one, so the
			 * depth limit is reached. */
			if (container && (forced_deep || rnd_below(2))) {
				int k;

				for (k = 0; k < s.n; k++)
					if (s.e[k].m &&
					    PSF_SIG_IS_CONTAINER(s.e[k].m->sig) &&
					    s.e[k].depth > s.e[pi].depth)
						pi = k;
			}
			p = s.e[pi].m;
			depth = s.e[pi].depth;
			i = rnd_below((uint32_t)p->nkids + 1);
			before_off = -1;
			if (i < (uint32_t)p->nkids) {
				int k;

				for (k = 0; k < s.n; k++)
					if (s.e[k].m == p->kids[i])
						before_off = s.e[k].off;
			}
			expect_deep = container && depth == (int)PSF_MAX_DEPTH;
			exact_pad = 1;
			rc = psf_insert(buf, cap, s.e[pi].off, before_off, sig,
					container ? NULL : data,
					container ? 0 : len);
			if (rc >= 0) {
				assert_false(expect_deep);
				m = container ? mnew(sig, NULL, 0)
					      : mnew(sig, data, len);
				madd(p, (int)i, m);
				assert_int_equal(psf_sig(buf, rc), sig);
				done[container]++;
			} else if (rc == PSF_ERR_TOODEEP) {
				assert_true(expect_deep);
			}
		} else if (op < 50) {
			kind = 2;
			ei = pick(&s, 2);
			if (ei < 0)
				continue;
			exact_pad = 1;
			rc = psf_set_payload(buf, cap, s.e[ei].off, data, len);
			if (rc == PSF_OK) {
				mset(s.e[ei].m, data, len);
				done[2]++;
			}
		} else if (op < 62) {
			kind = 3;
			ei = pick(&s, 0);
			if (ei < 0)
				continue;
			rc = psf_delete(buf, s.e[ei].off);
			assert_int_equal(rc, PSF_OK);
			mremove(s.e[ei].m);
			done[3]++;
		} else if (op < 66) {
			kind = 4;
			ei = pick(&s, 3);
			if (ei < 0)
				continue;
			rc = psf_delete(buf, s.e[ei].off);
			assert_int_equal(rc, PSF_OK);
			done[4]++;
		} else if (op < 70) {
			kind = 5;
			ei = pick(&s, 0);
			if (ei < 0)
				continue;
			rc = psf_wip_nop(buf, s.e[ei].off);
			assert_int_equal(rc, PSF_OK);
			assert_int_equal(psf_total(buf), total0);
			mremove(s.e[ei].m);
			done[5]++;
		} else if (op < 78) {
			kind = 6;
			ei = pick(&s, 2);
			if (ei < 0 || s.e[ei].m->len == 0)
				continue;
			m = s.e[ei].m;
			i = rnd_below(m->len);
			len = rnd_below(m->len - i + 1);
			rc = psf_wip_write(buf, s.e[ei].off, i, data, len);
			assert_int_equal(rc, PSF_OK);
			assert_int_equal(psf_total(buf), total0);
			if (len)
				memcpy(m->data + i, data, len);
			done[6]++;
		} else if (op < 88) {
			uint32_t sig = random_struct_sig();
			int k;

			kind = 7;
			pi = pick(&s, 1);
			p = s.e[pi].m;
			exact_pad = 1;
			rc = psf_set_child(buf, cap, s.e[pi].off, sig, data, len);
			if (rc >= 0) {
				for (k = 0; k < p->nkids && p->kids[k]->sig != sig;
				     k++)
					;
				if (k < p->nkids)
					mset(p->kids[k], data, len);
				else
					madd(p, p->nkids, mnew(sig, data, len));
				done[7]++;
			}
		} else if (op < 94) {
			/* Resize a pad: invisible to the model. */
			kind = 8;
			ei = pick(&s, 3);
			if (ei < 0)
				continue;
			exact_pad = 1;
			rc = psf_set_payload(buf, cap, s.e[ei].off, NULL, len);
			if (rc == PSF_OK)
				done[8]++;
		} else {
			/* Insert a pad (room) anywhere. */
			kind = 9;
			exact_pad = 1;
			pi = pick(&s, 1);
			p = s.e[pi].m;
			before_off = -1;
			if (p->nkids && rnd_below(2)) {
				int k;

				i = rnd_below((uint32_t)p->nkids);
				for (k = 0; k < s.n; k++)
					if (s.e[k].m == p->kids[i])
						before_off = s.e[k].off;
			}
			rc = psf_insert(buf, cap, s.e[pi].off, before_off,
					PSF_PAD, NULL, len);
			if (rc >= 0)
				done[9]++;
		}

		if (rc < 0) {
			if (rc == PSF_ERR_NOSPACE)
				nospace++;
			else if (rc == PSF_ERR_TOODEEP)
				toodeep++;
			else if (rc == PSF_ERR_NOTFOUND && exact_pad)
				exact_pad_bug++; /* test_pad_swallowed_whole */
			else
				fail_msg("step %d: %s failed: %s", step,
					 opname[kind], psft_errname(rc));
			/* A refused edit changes nothing. */
			assert_memory_equal(buf, before, CAP);
			continue;
		}
		{
			uint32_t bad = 0;

			OK(psf_finish(buf));
			rc = psf_check_full(buf, psf_total(buf), &bad);
			if (rc)
				fail_msg("step %d (%s): %s at %u", step,
					 opname[kind], psft_errname(rc), bad);
		}
		if (psf_total(buf) > maxtotal)
			maxtotal = psf_total(buf);
		if (step % 64 == 0) {
			struct psft_stats st;

			if (psft_walk(buf, &st))
				fail_msg("step %d: %s", step, psft_walk_msg);
		}
	}
	/* The final state against the model once more. */
	s.n = s.structs = s.containers = s.pads = 0;
	mcompare(buf, 32, 1, root, &s, step);
	print_message("random edits: %d steps, total up to %u, %d NOSPACE, "
		      "%d TOODEEP, %d structs %d containers %d pads at end\n",
		      STEPS, maxtotal, nospace, toodeep, s.structs,
		      s.containers, s.pads);
	if (exact_pad_bug)
		fail_msg("%d edits that should have taken a following pad "
			 "whole failed with NOTFOUND (see "
			 "test_pad_swallowed_whole)", exact_pad_bug);
	/* Every kind of edit happened, and the interesting refusals too. */
	for (step = 0; step < 10; step++)
		assert_true(done[step] > 10);
	assert_true(nospace > 0);
	assert_true(toodeep > 0);
	assert_true(maxtotal > CAP / 2);
	mfree(root);
	free(s.e);
	free(buf);
	free(before);
	memset(&random_keep, 0, sizeof(random_keep));
}

/* ================================================================ main */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_byte_helpers_and_sigs),
		cmocka_unit_test(test_header_accessors),
		cmocka_unit_test(test_check_header),
		cmocka_unit_test(test_check_crc),
		cmocka_unit_test(test_check_tree),
		cmocka_unit_test(test_check_depth),
		cmocka_unit_test(test_build_elem),
		cmocka_unit_test(test_elem_good),
		cmocka_unit_test(test_elem_bad_offsets),
		cmocka_unit_test(test_read_offset_sweep),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_child_payload),
		cmocka_unit_test(test_ancestors),
		cmocka_unit_test(test_field_uint),
		cmocka_unit_test(test_field_bytes),
		cmocka_unit_test(test_wip_write),
		cmocka_unit_test(test_wip_nop),
		cmocka_unit_test(test_set_payload_pad_absorbs_growth),
		cmocka_unit_test(test_pad_swallowed_whole),
		cmocka_unit_test(test_set_payload_pad_too_small),
		cmocka_unit_test(test_set_payload_shrink),
		cmocka_unit_test(test_set_payload_grow_no_pad),
		cmocka_unit_test(test_set_payload_errors),
		cmocka_unit_test(test_insert_before_and_append),
		cmocka_unit_test(test_insert_append_trailing_pad),
		cmocka_unit_test(test_insert_nested_and_containers),
		cmocka_unit_test(test_insert_nospace),
		cmocka_unit_test(test_insert_toodeep),
		cmocka_unit_test(test_set_child),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_edit_offset_sweep),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_max_total),
		cmocka_unit_test(test_builder_all_calls),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_unknown_preserved),
		cmocka_unit_test(test_random_edits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
