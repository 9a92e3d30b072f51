/*
 * test_malformed.c - libpsf on damaged stores.
 *
 * The malformed table itself (one vector per error class, with the expected
 * error and offset) is in tests/vectors/ and checked by test_vectors.c.
 * This file damages valid stores in memory, systematically:
 *
 *   - every byte of the store, every single-bit flip, and set to 0x00 and
 *     0xff, with both CRCs recomputed afterwards so that the structural
 *     checks are what gets exercised (bytes of the CRC fields themselves
 *     are left as damaged);
 *   - the same damage without recomputing the CRCs: a single damaged byte
 *     must always be rejected (CRC-32C catches every burst up to 32 bits);
 *   - every truncation length;
 *   - random 32-bit words written at random offsets (lengths, counts and
 *     sizes near 0, near the limits, and 0xffffffff), CRCs recomputed.
 *
 * psf_check_full must either pass or fail with a format error, never read
 * outside the buffer (which has exactly the store's size: run under ASan);
 * when it passes, the whole tree is walked through the read API, and an
 * insert, a resize and a delete are tried on a copy, which must validate
 * again afterwards.  When it fails but the header is sound, the broken
 * tree is explored anyway with the read API (cursor, iteration, lookup,
 * psf_ancestors), which psf.h promises stays inside the store.
 *
 * Seeds: every valid vector from tests/vectors (argv[1], $PSF_VECTORS, or
 * tests/vectors) plus stores built here.  Each seed runs in a child process
 * so that a memory error fails that seed's test only.
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

struct seed {
	char name[128];
	uint8_t *buf;   /* exactly the store: [0, total) */
	size_t n;
};

static struct seed seeds[64];
static int nseeds;

/* Results of one seed's sweep (written by the child, printed by it). */
struct sweep {
	unsigned mutations, passed, failed, edits;
	unsigned blind; /* elements visited in rejected stores */
	unsigned by_err[PSF_ERR_MAX + 1];
};

static void fix_crcs(uint8_t *b, size_t n)
{
	uint32_t total = psf_le32(b + PSF_HDR_TOTAL);

	if (total >= PSF_HEADER_SIZE + PSF_CONTAINER_HDR && total <= n)
		psf_put_le32(b + PSF_HDR_BODY_CRC,
			     psf_crc32c(0, b + PSF_HEADER_SIZE,
					total - PSF_HEADER_SIZE));
	psf_put_le32(b + PSF_HDR_HEADER_CRC,
		     psf_crc32c(0, b, PSF_HDR_HEADER_CRC));
}

static int is_format_error(int rc)
{
	switch (rc) {
	case PSF_ERR_TRUNCATED: case PSF_ERR_BADMAGIC: case PSF_ERR_BADVERSION:
	case PSF_ERR_BADHEADER: case PSF_ERR_HEADERCRC: case PSF_ERR_BODYCRC:
	case PSF_ERR_BADFLAGS: case PSF_ERR_TOOLARGE: case PSF_ERR_BADROOT:
	case PSF_ERR_OVERRUN: case PSF_ERR_BADCOUNT: case PSF_ERR_TOODEEP:
		return 1;
	default:
		return 0;
	}
}

/*
 * Edits on a store that passed the check: they must succeed (or say
 * NOSPACE) and leave a valid store.  Returns 0 or a message.
 */
static const char *try_edits(const uint8_t *b, size_t n)
{
	size_t cap = n + 256;
	uint8_t *c = malloc(cap);
	const char *err = NULL;
	int first, rc;

	if (!c)
		return "out of memory";
	memcpy(c, b, n);
	memset(c + n, 0, cap - n);
	rc = psf_insert(c, cap, psf_root(c), -1, PSF_NAME, "added", 5);
	if (rc < 0) {
		err = "append to the root failed";
		goto out;
	}
	first = psf_first_child_raw(c, psf_root(c));
	if (first >= 0 && !PSF_SIG_IS_CONTAINER(psf_sig(c, first))) {
		rc = psf_set_payload(c, cap, first, NULL, 40);
		if (rc && rc != PSF_ERR_NOSPACE) {
			err = "resizing the first child failed";
			goto out;
		}
	}
	first = psf_first_child_raw(c, psf_root(c));
	if (first >= 0 && psf_delete(c, first) != PSF_OK) {
		err = "deleting the first child failed";
		goto out;
	}
	if (psf_finish(c) != PSF_OK ||
	    psf_check_full(c, psf_total(c), NULL) != PSF_OK)
		err = "store invalid after edits";
out:
	free(c);
	return err;
}

/*
 * psf.h: after psf_check_header, every offset handed in is bounds-checked
 * against the total length.  So even a store whose tree is broken can be
 * explored with the read API without reading outside it (ASan watches).
 * Visits at most 64 levels; returns the number of elements seen.
 */
static unsigned blind_walk(const uint8_t *b, int parent, int depth)
{
	struct psf_cursor c;
	struct psf_elem e;
	int chain[PSF_MAX_DEPTH], off, raw;
	unsigned seen = 0;
	uint32_t len;

	if (depth > 64 || psf_cursor_init(b, parent, &c) != PSF_OK)
		return 0;
	while ((off = psf_cursor_next(b, &c, &e)) >= 0) {
		seen++;
		(void)psf_ancestors(b, off, chain);
		(void)psf_sig(b, off);
		if (psf_payload(b, off, &len))
			seen += len & 1u;
		if (PSF_SIG_IS_CONTAINER(e.sig))
			seen += blind_walk(b, off, depth + 1);
	}
	psf_for_each_child_raw(b, parent, raw)
		seen++;
	psf_for_each_child(b, parent, raw)
		(void)psf_find_child(b, raw, PSF_NAME);
	(void)psf_find_named(b, parent, PSF_VM, PSF_NAME, "vm1", 3);
	(void)psf_child_payload(b, parent, PSF_NAME, &len);
	return seen;
}

/* Check one damaged buffer of exactly n bytes. */
static int judge(const uint8_t *b, size_t n, struct sweep *sw,
		 const char *what, size_t at, int must_fail)
{
	struct psft_stats st;
	uint32_t off = 0xdeadbeef;
	int rc = psf_check_full(b, n, &off);

	sw->mutations++;
	if (rc == PSF_OK) {
		const char *e;

		if (must_fail) {
			printf("%s at %zu: accepted a store with a bad CRC\n",
			       what, at);
			return 2;
		}
		sw->passed++;
		if (psft_walk(b, &st)) {
			printf("%s at %zu: walk: %s\n", what, at,
			       psft_walk_msg);
			return 2;
		}
		if (psf_check_tree(b, n, NULL) != PSF_OK ||
		    psf_check_crc(b, n) != PSF_OK) {
			printf("%s at %zu: check_full passed, parts not\n",
			       what, at);
			return 2;
		}
		if (sw->passed % 5 == 0) {
			e = try_edits(b, psf_total(b));
			if (e) {
				printf("%s at %zu: %s\n", what, at, e);
				return 2;
			}
			sw->edits++;
		}
		return 0;
	}
	if (!is_format_error(rc)) {
		printf("%s at %zu: unexpected error %d\n", what, at, rc);
		return 2;
	}
	if (psf_check_header(b, n) == PSF_OK)
		sw->blind += blind_walk(b, psf_root(b), 1);
	if (off >= n && !(off == 0 && n == 0)) {
		printf("%s at %zu: %s reported at %u, past the buffer (%zu)\n",
		       what, at, psft_errname(rc), off, n);
		return 2;
	}
	sw->failed++;
	sw->by_err[-rc]++;
	return 0;
}

static uint32_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Child: the whole sweep over one seed. */
static int sweep_seed(void *arg)
{
	const struct seed *sd = arg;
	size_t n = sd->n, i, len;
	uint8_t *b = malloc(n ? n : 1), *t;
	struct sweep sw;
	static const uint32_t words[] = {
		0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 0x7fffffffu, 0x80000000u,
		0x80000001u, 0xfffffff4u, 0xfffffff8u, 0xfffffffcu,
		0xffffffffu, PSF_MAX_TOTAL, PSF_MAX_TOTAL + 1u,
	};
	int bit, rc, k;

	if (!b)
		return 3;
	memset(&sw, 0, sizeof(sw));
	memcpy(b, sd->buf, n);
	if (psf_check_full(b, n, NULL) != PSF_OK) {
		printf("seed %s is not valid\n", sd->name);
		return 3;
	}
	for (i = 0; i < n; i++) {
		uint8_t orig = sd->buf[i];
		int crc_field = i >= PSF_HDR_BODY_CRC && i < PSF_HEADER_SIZE;
		uint8_t vals[10];

		for (bit = 0; bit < 8; bit++)
			vals[bit] = (uint8_t)(orig ^ (1u << bit));
		vals[8] = 0x00;
		vals[9] = 0xff;
		for (k = 0; k < 10; k++) {
			if (vals[k] == orig)
				continue;
			/* Without fixing the CRCs: always rejected. */
			memcpy(b, sd->buf, n);
			b[i] = vals[k];
			rc = judge(b, n, &sw, "damage", i, 1);
			if (rc)
				return rc;
			if (crc_field)
				continue;
			/* With both CRCs recomputed: the structure decides. */
			fix_crcs(b, n);
			rc = judge(b, n, &sw, "mutation", i, 0);
			if (rc)
				return rc;
		}
	}
	/* Random 32-bit words at random offsets. */
	rng = 0x9e3779b9u ^ (uint32_t)n;
	for (k = 0; k < 3000; k++) {
		size_t at = PSF_HDR_TOTAL + rnd() % (n - PSF_HDR_TOTAL - 3);

		if (at >= PSF_HDR_BODY_CRC && at < PSF_HEADER_SIZE)
			continue;
		memcpy(b, sd->buf, n);
		psf_put_le32(b + at,
			     rnd() % 2 ? words[rnd() % (sizeof(words) /
							sizeof(words[0]))]
				       : rnd());
		fix_crcs(b, n);
		rc = judge(b, n, &sw, "word", at, 0);
		if (rc)
			return rc;
	}
	free(b);
	/* Every truncation, in a buffer of exactly that size. */
	for (len = 0; len < n; len++) {
		t = malloc(len ? len : 1);
		if (!t)
			return 3;
		memcpy(t, sd->buf, len);
		rc = psf_check_full(t, len, NULL);
		free(t);
		if (rc != PSF_ERR_TRUNCATED) {
			printf("truncated to %zu: %d, want TRUNCATED\n", len,
			       rc);
			return 2;
		}
	}
	printf("seed %s: %u mutations, %u accepted (walked; %u edited), "
	       "%u rejected (%u elements visited in them):", sd->name,
	       sw.mutations, sw.passed, sw.edits, sw.failed, sw.blind);
	for (k = 0; k <= PSF_ERR_MAX; k++)
		if (sw.by_err[k])
			printf(" %s %u", psft_errname(-k), sw.by_err[k]);
	printf("\n");
	if (sw.passed == 0 || sw.failed == 0) {
		printf("seed %s: the sweep should both pass and fail\n",
		       sd->name);
		return 2;
	}
	return 0;
}

static void test_seed(void **state)
{
	struct seed *sd = *state;
	int rc = psft_isolated(sweep_seed, sd);

	if (rc < 0)
		fail_msg("%s: a damaged store crashed the checker or the walk "
			 "(memory error: see the sanitizer report above)",
			 sd->name);
	if (rc != 0)
		fail_msg("%s: the sweep failed (see the line above)", sd->name);
}

/* ------------------------------------------------------------- seeds */

static void add_seed(const char *name, const uint8_t *b, size_t n)
{
	int i;

	if (nseeds >= (int)(sizeof(seeds) / sizeof(seeds[0])))
		return;
	for (i = 0; i < nseeds; i++)
		if (seeds[i].n == n && memcmp(seeds[i].buf, b, n) == 0)
			return; /* the same store twice */
	snprintf(seeds[nseeds].name, sizeof(seeds[nseeds].name), "%s", name);
	seeds[nseeds].buf = malloc(n);
	if (!seeds[nseeds].buf)
		return;
	memcpy(seeds[nseeds].buf, b, n);
	seeds[nseeds].n = n;
	nseeds++;
}

/* Stores built here, so the sweep runs even without the vectors. */
static void built_seeds(void)
{
	uint8_t buf[1024];
	struct psf_builder bl;
	int n, i;

	/* A small store with every kind of thing: pads, unknown elements,
	 * an empty container, nesting. */
	psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0);
	psf_build_struct(&bl, PSF_PAD, NULL, 0);
	psf_build_open(&bl, PSF_VMS);
	psf_build_open(&bl, PSF_VM);
	psf_build_string(&bl, PSF_NAME, "vm1");
	psf_build_struct(&bl, PSF_VM_CONFIG, NULL, PSF_VMC_SIZE);
	psf_build_open(&bl, PSF_SIG(1, 0x4001, 1));
	psf_build_close(&bl);
	psf_build_close(&bl);
	psf_build_struct(&bl, PSF_PAD, NULL, 5);
	psf_build_close(&bl);
	psf_build_string(&bl, PSF_SIG(0, 0x0123, 7), "\xab\xcd");
	n = psf_build_finish(&bl);
	if (n > 0)
		add_seed("built-mixed", buf, (size_t)n);

	/* A chain at the depth limit. */
	psf_build_begin(&bl, buf, sizeof(buf), PSF_ROOT, 1, 0);
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		psf_build_open(&bl, PSF_SIG(1, 0x7000, i));
	psf_build_string(&bl, PSF_NAME, "x");
	for (i = 1; i < (int)PSF_MAX_DEPTH; i++)
		psf_build_close(&bl);
	n = psf_build_finish(&bl);
	if (n > 0)
		add_seed("built-deep", buf, (size_t)n);
}

static void vector_seeds(const char *dir)
{
	struct psft_vector *v = NULL;
	int nv = psft_manifest(dir, &v), i;

	for (i = 0; i < nv; i++) {
		char path[4096];
		uint8_t *b;
		size_t n;

		if (!v[i].valid)
			continue;
		snprintf(path, sizeof(path), "%s/%s.bin", dir, v[i].name);
		b = psft_load(path, &n);
		if (!b)
			continue;
		/* Only the store: bytes past total_length are not part of
		 * it (and the truncation sweep needs the exact size). */
		if (n >= PSF_HEADER_SIZE && psf_total(b) <= n)
			add_seed(v[i].name, b, psf_total(b));
		free(b);
	}
	free(v);
}

/* The sweep had something to chew on. */
static void test_have_seeds(void **state)
{
	(void)state;
	assert_true(nseeds >= 3);
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests;
	char (*names)[160];
	int i, rc;

	built_seeds();
	vector_seeds(psft_vectors_dir(argc, argv));
	tests = calloc((size_t)nseeds + 1, sizeof(*tests));
	names = calloc((size_t)nseeds + 1, sizeof(*names));
	if (!tests || !names)
		return 1;
	tests[0].name = "have seeds";
	tests[0].test_func = test_have_seeds;
	for (i = 0; i < nseeds; i++) {
		snprintf(names[i], sizeof(names[i]), "mutate %.120s",
			 seeds[i].name);
		tests[i + 1].name = names[i];
		tests[i + 1].test_func = test_seed;
		tests[i + 1].initial_state = &seeds[i];
	}
	rc = _cmocka_run_group_tests("test_malformed", tests,
				     (size_t)nseeds + 1, NULL, NULL);
	for (i = 0; i < nseeds; i++)
		free(seeds[i].buf);
	free(tests);
	free(names);
	return rc;
}
