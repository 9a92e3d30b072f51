/*
 * test_auth.c - the authenticated store (pstate/ps_sha256.c, ps_auth.c,
 * ps_auth_host.c; docs/store.md section 8): SHA-256 and HMAC-SHA256
 * against the NIST and RFC 4231 vectors and against OpenSSL, the MAC
 * over a committed slot (a flipped byte anywhere is detected), the
 * counter rule, unverified writes, rollback, a power cut at every sector
 * write of a sealed commit and of a rotation, and the host's refusal of
 * unsafe key and counter files.  Meant to run under ASan + UBSan.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_test_util.h"

#define SS 512u
#define NSEC 64u

static void unhex(const char *h, uint8_t *out, size_t *n)
{
	size_t i;

	for (i = 0; h[2 * i]; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*n = i;
}

static void check_hex(const uint8_t *got, const char *want)
{
	uint8_t w[64];
	size_t n;

	unhex(want, w, &n);
	assert_memory_equal(got, w, n);
}

static void sha(const void *p, size_t n, uint8_t *out)
{
	struct ps_sha256 c;

	ps_sha256_init(&c);
	ps_sha256_update(&c, p, n);
	ps_sha256_final(&c, out);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional"). */
static void test_sha256_nist(void **state)
{
	static const char two_blocks[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[32], a[1000];
	struct ps_sha256 c;
	int i;

	(void)state;
	sha("", 0, d);
	check_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha("abc", 3, d);
	check_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha(two_blocks, sizeof two_blocks - 1, d);
	check_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* One million 'a', fed in 1000-byte pieces. */
	memset(a, 'a', sizeof a);
	ps_sha256_init(&c);
	for (i = 0; i < 1000; i++)
		ps_sha256_update(&c, a, sizeof a);
	ps_sha256_final(&c, d);
	check_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

struct hmac_vec {
	const char *key, *data, *mac;   /* hex */
};

/* RFC 4231 section 4: test cases 1-4, 6, 7 (5 is a truncated MAC). */
static void test_hmac_rfc4231(void **state)
{
	static const struct hmac_vec v[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		  "4869205468657265",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ "4a656665",
		  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	};
	uint8_t key[200], data[200], mac[32];
	size_t kn, dn, i;
	struct ps_hmac h;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		unhex(v[i].key, key, &kn);
		unhex(v[i].data, data, &dn);
		ps_hmac_init(&h, key, kn);
		ps_hmac_update(&h, data, dn);
		ps_hmac_final(&h, mac);
		check_hex(mac, v[i].mac);
	}
}

/* Every message length across three blocks, keys of every length up to
 * past a block, pieces of varying size: the same MAC as OpenSSL's. */
static void test_hmac_openssl(void **state)
{
	uint8_t key[80], msg[200], mine[32], theirs[32];
	unsigned int tl = 0;
	uint64_t rng = 0x5eed;
	size_t kl, ml, i;
	struct ps_hmac h;

	(void)state;
	for (i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)pst_rand(&rng);
	for (i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)pst_rand(&rng);
	for (kl = 0; kl <= sizeof key; kl += 7) {
		for (ml = 0; ml <= sizeof msg; ml++) {
			size_t off = 0, step = 1 + ml % 67;

			ps_hmac_init(&h, key, kl);
			for (off = 0; off < ml; off += step)
				ps_hmac_update(&h, msg + off,
					       ml - off < step ? ml - off : step);
			ps_hmac_final(&h, mine);
			assert_non_null(HMAC(EVP_sha256(), key, (int)kl, msg,
					     ml, theirs, &tl));
			assert_int_equal(tl, 32);
			assert_memory_equal(mine, theirs, 32);
		}
	}
}

static void test_counter_rule(void **state)
{
	(void)state;
	assert_int_equal(ps_auth_counter_rule(4, 5), PS_AUTH_ROLLBACK);
	assert_int_equal(ps_auth_counter_rule(0, 5), PS_AUTH_ROLLBACK);
	assert_int_equal(ps_auth_counter_rule(5, 5), PS_AUTH_VERIFIED);
	assert_int_equal(ps_auth_counter_rule(6, 5), PS_AUTH_VERIFIED);
	assert_int_equal(ps_auth_counter_rule(7, 5), PS_AUTH_AHEAD);
	assert_int_equal(ps_auth_counter_rule(UINT64_MAX, 5), PS_AUTH_AHEAD);
	assert_int_equal(ps_auth_counter_rule(UINT64_MAX, UINT64_MAX),
			 PS_AUTH_VERIFIED);
}

/* ------------------------------------------------------ sealed commits */

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t KEY2[32] = "fedcba9876543210fedcba9876543210";

struct fix {
	struct ps_media m;
	uint8_t *mem;
	struct ps_disk d;
	uint8_t sector[SS];
	uint8_t buf[32 * SS];
};

static void make(struct fix *f)
{
	uint8_t store[4096];
	int len = pst_mkstore(store, sizeof store, 3, PST_NAME_ROOM);
	struct ps_format_opts o = { .slot_count = 3, .store = store };

	assert_true(len > 0);
	o.store_len = (uint32_t)len;
	f->mem = pst_ramdisk(&f->m, SS, NSEC);
	assert_non_null(f->mem);
	assert_int_equal(ps_format(&f->d, &f->m, &o, f->sector), PS_OK);
}

/* Read media m and set VM 0's memory to kib (0: leave the bytes as they
 * are), sealed with au. */
static int commit_on(struct fix *f, struct ps_media *m,
		     const struct ps_auth *au, uint64_t kib)
{
	struct ps_commit_args a = { .auth = au };
	int rc = ps_read(&f->d, m, f->buf, sizeof f->buf);

	if (rc)
		return rc;
	if (kib) {
		rc = pst_set_memory(f->buf, 0, kib);
		if (rc)
			return rc;
		rc = psf_finish(f->buf);
		if (rc)
			return rc;
	}
	return ps_commit(&f->d, f->buf, f->sector, &a);
}

static int commit(struct fix *f, const struct ps_auth *au, uint64_t kib)
{
	return commit_on(f, &f->m, au, kib);
}

/* The verdict of the media's store with this key and trusted counter
 * (have: the counter is known; expect: the mode is on here). */
static int verdict(struct fix *f, const uint8_t *key, int have,
		   uint64_t trusted, struct ps_auth_result *r)
{
	struct ps_auth_check c = { key, have, trusted, 1 };

	assert_int_equal(ps_read(&f->d, &f->m, f->buf, sizeof f->buf), PS_OK);
	assert_int_equal(ps_auth_verify(&f->d, f->buf, &c, f->sector, r),
			 PS_OK);
	return r->verdict;
}

static void test_sealed_commit(void **state)
{
	struct ps_auth au;
	struct ps_auth_result r;
	struct fix f;
	uint64_t gen;

	(void)state;
	ps_auth_arm(&au, KEY, 1, 1);
	make(&f);
	/* Not sealed yet: off unless this host expects the mode. */
	assert_int_equal(verdict(&f, KEY, 1, 0, &r), PS_AUTH_UNVERIFIED);
	assert_int_equal(r.sealed, 0);
	/* force: the same store bytes, a new sealed generation. */
	gen = f.d.generation;
	assert_int_equal(commit(&f, &au, 0), PS_OK);
	assert_int_equal(f.d.generation, gen + 1);
	assert_int_equal(verdict(&f, KEY, 1, 1, &r), PS_AUTH_VERIFIED);
	assert_int_equal(r.t.counter, 1);
	assert_true(f.d.slot[f.d.base].flags & PS_SLOT_F_AUTH);
	/* Sealed commits are ordered: the trailer, outside store_crc, is
	 * durable before the header names it (docs/store.md 8.3). */
	assert_true(f.d.slot[f.d.base].flags & PS_SLOT_F_ORDERED);
	/* The counter: +1 accepted (power cut before the increment),
	 * older refused, further ahead refused. */
	assert_int_equal(verdict(&f, KEY, 1, 0, &r), PS_AUTH_VERIFIED);
	assert_int_equal(verdict(&f, KEY, 1, 2, &r), PS_AUTH_ROLLBACK);
	au.counter = 3;
	assert_int_equal(commit(&f, &au, 2097152), PS_OK);
	assert_int_equal(verdict(&f, KEY, 1, 1, &r), PS_AUTH_AHEAD);
	/* No key: readable, unverified; another key: bad MAC. */
	assert_int_equal(verdict(&f, NULL, 1, 3, &r), PS_AUTH_NOKEY);
	assert_int_equal(pst_memory(f.buf, 0), 2097152);
	assert_int_equal(verdict(&f, KEY2, 1, 3, &r), PS_AUTH_BADMAC);
	/* Rotation: the same bytes under the new key. */
	au.key = KEY2;
	au.counter = 4;
	assert_int_equal(commit(&f, &au, 0), PS_OK);
	assert_int_equal(verdict(&f, KEY2, 1, 3, &r), PS_AUTH_VERIFIED);
	assert_int_equal(verdict(&f, KEY, 1, 3, &r), PS_AUTH_BADMAC);
	/* Without force the same bytes write nothing. */
	au.force = 0;
	gen = f.d.generation;
	assert_int_equal(commit(&f, &au, 0), PS_OK);
	assert_int_equal(f.d.generation, gen);
	free(f.mem);
}

/* A store written without the key is marked; an unsealed commit over a
 * store this host sealed reads as unverified, never as off. */
static void test_unverified_write(void **state)
{
	struct ps_auth au, nokey;
	struct ps_auth_result r;
	struct fix f;

	(void)state;
	ps_auth_arm(&au, KEY, 1, 1);
	ps_auth_arm(&nokey, NULL, 1, 0);
	make(&f);
	assert_int_equal(commit(&f, &au, 0), PS_OK);
	assert_int_equal(commit(&f, &nokey, 3145728), PS_OK);
	assert_int_equal(verdict(&f, KEY, 1, 1, &r), PS_AUTH_UNVERIFIED);
	assert_true(r.t.flags & PS_AUTH_T_UNVERIFIED);
	assert_int_equal(commit(&f, NULL, 1048576), PS_OK);
	assert_int_equal(verdict(&f, KEY, 1, 1, &r), PS_AUTH_UNVERIFIED);
	assert_int_equal(r.sealed, 0);
	free(f.mem);
}

/* Put back an image saved before a later trusted commit: the MAC is
 * good, the counter is old. */
static void test_rollback(void **state)
{
	struct ps_auth au;
	struct ps_auth_result r;
	uint8_t *old = malloc(NSEC * SS);
	struct fix f;

	(void)state;
	ps_auth_arm(&au, KEY, 1, 1);
	make(&f);
	assert_int_equal(commit(&f, &au, 0), PS_OK);
	memcpy(old, f.mem, NSEC * SS);
	au.counter = 2;
	assert_int_equal(commit(&f, &au, 2097152), PS_OK);
	au.counter = 3;
	assert_int_equal(commit(&f, &au, 4194304), PS_OK);
	assert_int_equal(verdict(&f, KEY, 1, 3, &r), PS_AUTH_VERIFIED);
	memcpy(f.mem, old, NSEC * SS);
	assert_int_equal(verdict(&f, KEY, 1, 3, &r), PS_AUTH_ROLLBACK);
	assert_int_equal(r.t.counter, 1);
	free(old);
	free(f.mem);
}

/* Flip each byte the MAC covers (the header but its CRC, the store, the
 * trailer with its MAC): never verified.  The header and store are
 * flipped where the verifier reads them (CRCs are no defence: anyone
 * can recompute them), the trailer on the media. */
static void test_flip_detected(void **state)
{
	struct ps_auth au;
	struct ps_auth_check c = { KEY, 1, 7, 1 };
	struct ps_auth_result r;
	struct ps_slot *s;
	uint8_t *tr;
	uint32_t i;
	struct fix f;

	(void)state;
	ps_auth_arm(&au, KEY, 7, 1);
	make(&f);
	assert_int_equal(commit(&f, &au, 2097152), PS_OK);
	assert_int_equal(verdict(&f, KEY, 1, 7, &r), PS_AUTH_VERIFIED);
	s = &f.d.slot[f.d.base];
	for (i = 0; i < 60; i++) {
		s->raw[i] ^= 0x01;
		assert_int_equal(ps_auth_verify(&f.d, f.buf, &c, f.sector, &r),
				 PS_OK);
		assert_int_equal(r.verdict, PS_AUTH_BADMAC);
		s->raw[i] ^= 0x01;
	}
	for (i = 0; i < s->length; i++) {
		f.buf[i] ^= 0x80;
		assert_int_equal(ps_auth_verify(&f.d, f.buf, &c, f.sector, &r),
				 PS_OK);
		assert_int_equal(r.verdict, PS_AUTH_BADMAC);
		f.buf[i] ^= 0x80;
	}
	tr = f.mem + (s->lba + 1) * SS + s->length;
	for (i = 0; i < PS_AUTH_TRAILER_SIZE; i++) {
		tr[i] ^= 0x10;
		assert_int_equal(ps_auth_verify(&f.d, f.buf, &c, f.sector, &r),
				 PS_OK);
		/* A counter flip with a good MAC is impossible: either the
		 * MAC fails or (bits outside the rule) the trailer does. */
		assert_int_equal(r.verdict, PS_AUTH_BADMAC);
		tr[i] ^= 0x10;
	}
	assert_int_equal(ps_auth_verify(&f.d, f.buf, &c, f.sector, &r), PS_OK);
	assert_int_equal(r.verdict, PS_AUTH_VERIFIED);
	free(f.mem);
}

/* A store that leaves no room for the trailer: refused, nothing
 * written. */
static void test_no_room(void **state)
{
	struct ps_auth au;
	struct ps_commit_args a = { .auth = &au };
	struct fix f;
	uint8_t *before = malloc(NSEC * SS);
	uint32_t cap, room;
	int len;

	(void)state;
	ps_auth_arm(&au, KEY, 1, 1);
	make(&f);
	assert_int_equal(ps_read(&f.d, &f.m, f.buf, sizeof f.buf), PS_OK);
	cap = ps_slot_capacity(&f.d);
	assert_true(cap <= sizeof f.buf);
	/* Grow the VMs' pads until the store ends within 64 bytes of the
	 * slot's end. */
	for (room = 0;; room++) {
		len = pst_mkstore(f.buf, sizeof f.buf, 3, room);
		assert_true(len > 0 && (uint32_t)len <= cap);
		if ((uint32_t)len + PS_AUTH_TRAILER_SIZE > cap)
			break;
	}
	memcpy(before, f.mem, NSEC * SS);
	assert_int_equal(ps_commit(&f.d, f.buf, f.sector, &a), PS_ERR_NOSPACE);
	assert_memory_equal(before, f.mem, NSEC * SS);
	free(before);
	free(f.mem);
}

/*
 * A power cut at every sector write of a sealed commit (every 64-byte
 * tear, three fills): the media then holds the old store or the new one,
 * and each verifies under trusted counter 1 -- the old one with oldkey,
 * the new one (counter 2: trusted + 1, the cut came before the counter
 * was raised) with au's key.
 */
static void crash_every_write(struct fix *f, const struct ps_auth *au,
			      uint64_t kib, const uint8_t *oldkey)
{
	uint8_t *before = malloc(NSEC * SS);
	struct ps_auth_result r;
	struct ps_fault fault;
	struct ps_media fm;
	uint64_t k, n, old_gen;
	uint32_t tear;
	int fill, newer = 0;

	assert_non_null(before);
	memcpy(before, f->mem, NSEC * SS);
	assert_int_equal(ps_read(&f->d, &f->m, f->buf, sizeof f->buf), PS_OK);
	old_gen = f->d.generation;
	memset(&fault, 0, sizeof fault);
	assert_int_equal(ps_media_init_fault(&fm, &fault, &f->m), PS_OK);
	assert_int_equal(commit_on(f, &fm, au, kib), PS_OK);
	n = fault.writes;
	assert_true(n >= 3);   /* trailer, body, header at least */
	for (k = 1; k <= n; k++) {
		for (tear = 0; tear <= SS; tear += 64) {
			for (fill = 0; fill < 3; fill++) {
				memcpy(f->mem, before, NSEC * SS);
				fault.crash_at = k;
				fault.tear_bytes = tear;
				fault.fill = (enum ps_fault_fill)fill;
				assert_int_equal(ps_media_init_fault(
					&fm, &fault, &f->m), PS_OK);
				assert_int_equal(commit_on(f, &fm, au, kib),
						 PS_ERR_IO);
				assert_int_equal(ps_read(&f->d, &f->m, f->buf,
							 sizeof f->buf), PS_OK);
				assert_true(f->d.generation == old_gen ||
					    f->d.generation == old_gen + 1);
				newer += f->d.generation != old_gen;
				assert_int_equal(
					verdict(f, f->d.generation == old_gen
							   ? oldkey : au->key,
						1, 1, &r),
					PS_AUTH_VERIFIED);
			}
		}
	}
	/* The last write (the header) landing whole publishes it. */
	assert_true(newer > 0);
	memcpy(f->mem, before, NSEC * SS);
	free(before);
}

static void test_crash_sealed(void **state)
{
	struct ps_auth au;
	struct fix f;

	(void)state;
	make(&f);
	ps_auth_arm(&au, KEY, 1, 1);
	assert_int_equal(commit(&f, &au, 0), PS_OK);
	/* An edit, then a rotation (the same bytes, the new key). */
	ps_auth_arm(&au, KEY, 2, 0);
	crash_every_write(&f, &au, 2097152, KEY);
	ps_auth_arm(&au, KEY2, 2, 1);
	crash_every_write(&f, &au, 0, KEY);
	free(f.mem);
}

/* ----------------------------------------------------- the host's files */

static void put_file(const char *path, const void *p, size_t n, mode_t mode)
{
	FILE *fp;

	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_host_files(void **state)
{
	char dir[] = "/tmp/test_auth_XXXXXX", kp[128], cp[128], lp[128];
	uint8_t vol[16] = { 0 }, key[32];
	struct ps_auth_provider p;
	struct ps_auth_host h;
	uint64_t v = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(kp, sizeof kp, "%s/k", dir);
	snprintf(cp, sizeof cp, "%s/c", dir);
	snprintf(lp, sizeof lp, "%s/link", dir);
	setenv("PSTATE_AUTH_KEY", kp, 1);
	setenv("PSTATE_AUTH_COUNTER", cp, 1);
	ps_auth_host_init(&h, &p, vol);
	assert_string_equal(h.key_path, kp);
	/* Missing: no key, no counter. */
	assert_int_equal(p.get_key(p.ctx, key), PS_ERR_NOKEY);
	assert_int_equal(p.get_counter(p.ctx, &v), PS_ERR_NOKEY);
	/* A new key: 0600, read back; never overwritten. */
	assert_int_equal(ps_auth_host_new_key(&h, kp, key), PS_OK);
	assert_int_equal(p.get_key(p.ctx, key), PS_OK);
	assert_int_equal(ps_auth_host_new_key(&h, kp, key), PS_ERR_EXISTS);
	/* Readable by others, group-writable, wrong size: refused. */
	put_file(kp, KEY, 32, 0644);
	assert_int_equal(p.get_key(p.ctx, key), PS_ERR_NOKEY);
	assert_non_null(strstr(h.err, "mode 0644"));
	put_file(kp, KEY, 31, 0600);
	assert_int_equal(p.get_key(p.ctx, key), PS_ERR_NOKEY);
	put_file(kp, KEY, 32, 0600);
	assert_int_equal(p.get_key(p.ctx, key), PS_OK);
	assert_memory_equal(key, KEY, 32);
	/* Not owned by root (when the test may chown). */
	if (geteuid() == 0) {
		assert_int_equal(chown(kp, 65534, 65534), 0);
		assert_int_equal(p.get_key(p.ctx, key), PS_ERR_NOKEY);
		assert_non_null(strstr(h.err, "owner 65534"));
		assert_int_equal(chown(kp, 0, 0), 0);
	}
	/* A symlink to a good key: refused. */
	assert_int_equal(symlink(kp, lp), 0);
	setenv("PSTATE_AUTH_KEY", lp, 1);
	ps_auth_host_init(&h, &p, vol);
	assert_int_equal(p.get_key(p.ctx, key), PS_ERR_NOKEY);
	assert_non_null(strstr(h.err, "symbolic link"));
	/* The counter: created, raised, never lowered. */
	assert_int_equal(p.set_counter(p.ctx, 5), PS_OK);
	assert_int_equal(p.get_counter(p.ctx, &v), PS_OK);
	assert_int_equal(v, 5);
	assert_int_equal(p.set_counter(p.ctx, 4), PS_ERR_AUTH);
	assert_int_equal(p.set_counter(p.ctx, 6), PS_OK);
	assert_int_equal(p.get_counter(p.ctx, &v), PS_OK);
	assert_int_equal(v, 6);
	put_file(cp, "6\n", 2, 0666);
	assert_int_equal(p.get_counter(p.ctx, &v), PS_ERR_NOKEY);
	assert_int_equal(p.set_counter(p.ctx, 9), PS_ERR_NOKEY);
	put_file(cp, "x\n", 2, 0600);
	assert_int_equal(p.get_counter(p.ctx, &v), PS_ERR_IO);
	unlink(lp);
	unlink(kp);
	unlink(cp);
	rmdir(dir);
	unsetenv("PSTATE_AUTH_KEY");
	unsetenv("PSTATE_AUTH_COUNTER");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_nist),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_hmac_openssl),
		cmocka_unit_test(test_counter_rule),
		cmocka_unit_test(test_sealed_commit),
		cmocka_unit_test(test_unverified_write),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_flip_detected),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_crash_sealed),
		cmocka_unit_test(test_host_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
