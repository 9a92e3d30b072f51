/*
 * test_bmc_auth.c - the BMC shim on an authenticated store (bmc_auth.c,
 * docs/store.md 8, docs/ipmi-oem.md 0x83): verified before every read it
 * serves, every commit sealed and the BMC's counter raised; a store that
 * does not verify (stripped, tampered, another key, rolled back, no key
 * in the BMC) refused to reads and writes with 0x83 and its verdict,
 * nothing written; INFO's verdict bits; the host's check accepting the
 * BMC's commits; a host key rotation refused until the BMC has the key; a power cut at every sector write of a sealed BMC commit
 * leaving the old or the new store, both verified.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ps_test_util.h"
#include "bmc_shim.h"
#include "../../bench/bmc_inproc.h"

#define SS 512u
#define NSEC 96u

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t KEY2[32] = "fedcba9876543210fedcba9876543210";

/* The BMC's secret storage and non-volatile counter. */
static struct {
	int have_key, have_counter, counter_fails;
	uint64_t counter;
	const uint8_t *key;      /* NULL: KEY */
} bmc;

static int bmc_key(void *c, uint8_t *key)
{
	(void)c;
	if (!bmc.have_key)
		return PS_ERR_NOKEY;
	memcpy(key, bmc.key ? bmc.key : KEY, sizeof KEY);
	return PS_OK;
}

static int bmc_get_counter(void *c, uint64_t *v)
{
	(void)c;
	if (bmc.counter_fails)
		return PS_ERR_IO;
	if (!bmc.have_counter)
		return PS_ERR_NOKEY;
	*v = bmc.counter;
	return PS_OK;
}

static int bmc_set_counter(void *c, uint64_t v)
{
	(void)c;
	if (bmc.have_counter && v < bmc.counter)
		return PS_ERR_AUTH;
	bmc.counter = v;
	bmc.have_counter = 1;
	return PS_OK;
}

static const struct ps_auth_provider provider = {
	NULL, bmc_key, bmc_get_counter, bmc_set_counter
};

static struct ps_media m;
static uint8_t *mem;
static struct bmc_shim shim;
static uint8_t resp[64];
static size_t rlen;

/* The host: a store with two VMs, sealed by psctl (owner OS) with key and
 * counter; key NULL: not sealed. */
static void host_commit(const uint8_t *key, uint64_t counter, uint64_t kib)
{
	static uint8_t buf[16 * 1024];
	struct ps_auth au;
	struct ps_commit_args a = { .owner = PS_OWNER_OS };
	struct ps_disk d;
	uint8_t sector[SS];

	assert_int_equal(ps_read(&d, &m, buf, sizeof buf), PS_OK);
	if (kib) {
		assert_int_equal(pst_set_memory(buf, 0, kib), 0);
		assert_int_equal(psf_finish(buf), 0);
	}
	if (key) {
		ps_auth_arm(&au, key, counter, 1);
		a.auth = &au;
	}
	assert_int_equal(ps_commit(&d, buf, sector, &a), PS_OK);
}

static int setup(void **state)
{
	uint8_t store[4096], sector[SS];
	struct ps_disk d;
	int len = pst_mkstore(store, sizeof store, 2, PST_NAME_ROOM);
	struct ps_format_opts o = { .slot_count = 3, .store = store };

	(void)state;
	assert_true(len > 0);
	o.store_len = (uint32_t)len;
	mem = pst_ramdisk(&m, SS, NSEC);
	assert_non_null(mem);
	assert_int_equal(ps_format(&d, &m, &o, sector), PS_OK);
	memset(&bmc, 0, sizeof bmc);
	bmc.have_key = 1;
	assert_int_equal(bip_init(&shim, &m, NSEC), 0);
	shim.plat.auth = &provider;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

static uint8_t call(uint8_t cmd, const void *req, size_t n)
{
	return bmc_shim_handle(&shim, cmd, BMC_PRIV_ADMIN, req, n, resp,
			       sizeof resp, &rlen);
}

/* INFO's verdict bits. */
static unsigned info_verdict(void)
{
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), BMC_CC_OK);
	return (resp[20] & BMC_INFO_AUTH_MASK) >> BMC_INFO_AUTH_SHIFT;
}

/* Read op 1 (the whole store) up to RUN: its completion code. */
static uint8_t read_store(void)
{
	uint8_t q[3] = { BMC_READ_STORE, 0, 0 }, sess, cc;

	cc = call(BMC_CMD_READ_BEGIN, q, 3);
	if (cc)
		return cc;
	sess = resp[0];
	return call(BMC_CMD_READ_RUN, &sess, 1);
}

/* An element write of a NETWORKS set with one network "lanN": a
 * different store for every n. */
static uint8_t write_net(unsigned n)
{
	uint8_t w[128], sess;
	char name[4] = { 'l', 'a', 'n', (char)('0' + n % 10) };
	size_t k;

	w[0] = 0;                                    /* path: the root */
	k = 1 + bip_net_element(w + 1, name, sizeof name);
	return bip_write(&shim, BMC_WRITE_ELEMENT, w, k, NULL, resp,
			 sizeof resp, &rlen, &sess);
}

/* The host's verdict: key, trusted counter, and the writers it knows keep
 * their own counter. */
static int host_verdict(const uint8_t *key, uint64_t trusted,
			unsigned others, struct ps_auth_result *r)
{
	static uint8_t buf[16 * 1024];
	struct ps_auth_check c = { key, 1, trusted, 1 };
	struct ps_disk d;
	uint8_t sector[SS];

	assert_int_equal(ps_read(&d, &m, buf, sizeof buf), PS_OK);
	assert_int_equal(ps_auth_verify(&d, buf, &c, sector, r), PS_OK);
	return ps_auth_accept_others(r, &d, others);
}

/* ------------------------------------------------------------ tests */

static void test_sealed_store_served_and_sealed(void **state)
{
	struct ps_auth_result r;

	(void)state;
	host_commit(KEY, 1, 0);
	/* No counter in the BMC yet: the first verified store sets it. */
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	assert_int_equal(bmc.counter, 1);
	assert_int_equal(read_store(), BMC_CC_OK);
	assert_int_equal(write_net(1), BMC_CC_OK);
	/* Sealed by the BMC with counter 2, and the counter raised. */
	assert_int_equal(bmc.counter, 2);
	assert_int_equal(host_verdict(KEY, 1, 0, &r), PS_AUTH_VERIFIED);
	assert_true(r.sealed);
	assert_int_equal(r.t.counter, 2);
	/* A second BMC commit: 3.  A host that still holds 1 knows the BMC
	 * keeps its own counter (others): verified; strictly, ahead. */
	assert_int_equal(write_net(2), BMC_CC_OK);
	assert_int_equal(host_verdict(KEY, 1, 1u << PS_OWNER_BMC, &r),
			 PS_AUTH_VERIFIED);
	assert_int_equal(host_verdict(KEY, 1, 0, &r), PS_AUTH_AHEAD);
	/* Only the named writers: a slot of the host's own owner that far
	 * ahead stays counter-ahead, and an older one stays rolled back. */
	assert_int_equal(host_verdict(KEY, 1, 1u << PS_OWNER_OS, &r),
			 PS_AUTH_AHEAD);
	assert_int_equal(host_verdict(KEY, 4, 1u << PS_OWNER_BMC, &r),
			 PS_AUTH_ROLLBACK);
	/* The host commits past it; the BMC follows (host writers are
	 * "others" to it) and raises its counter to the slot's. */
	host_commit(KEY, 9, 3145728);
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	assert_int_equal(bmc.counter, 9);
	assert_int_equal(write_net(3), BMC_CC_OK);
	assert_int_equal(host_verdict(KEY, 9, 0, &r), PS_AUTH_VERIFIED);
	assert_int_equal(r.t.counter, 10);
}

/* A refusal: 0x83 with the verdict, for reads and writes, nothing
 * written; INFO tells the same verdict. */
static void assert_refused(unsigned verdict)
{
	uint8_t *before = malloc(NSEC * SS);

	assert_non_null(before);
	memcpy(before, mem, NSEC * SS);
	assert_int_equal(info_verdict(), verdict);
	assert_int_equal(read_store(), BMC_CC_UNVERIFIED);
	assert_int_equal(rlen, BMC_SHIM_UNVERIFIED_LEN);
	assert_int_equal(resp[0], verdict);
	assert_int_equal(write_net(7), BMC_CC_UNVERIFIED);
	assert_int_equal(resp[0], verdict);
	assert_memory_equal(before, mem, NSEC * SS);
	free(before);
}

static void test_stripped_refused(void **state)
{
	(void)state;
	host_commit(KEY, 1, 0);
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	/* A writer without the key commits a plain slot over it. */
	host_commit(NULL, 0, 3145728);
	assert_refused(PS_AUTH_UNVERIFIED);
}

static void test_other_key_refused(void **state)
{
	(void)state;
	host_commit(KEY2, 1, 0);
	assert_refused(PS_AUTH_BADMAC);
}

static void test_unverified_write_refused(void **state)
{
	struct ps_auth au;
	struct ps_commit_args a = { .owner = PS_OWNER_OS, .auth = &au };
	static uint8_t buf[16 * 1024];
	struct ps_disk d;
	uint8_t sector[SS];

	(void)state;
	host_commit(KEY, 1, 0);
	/* psctl --unverified: the trailer's flag, no MAC. */
	assert_int_equal(ps_read(&d, &m, buf, sizeof buf), PS_OK);
	assert_int_equal(pst_set_memory(buf, 0, 3145728), 0);
	assert_int_equal(psf_finish(buf), 0);
	ps_auth_arm(&au, NULL, 1, 0);
	assert_int_equal(ps_commit(&d, buf, sector, &a), PS_OK);
	assert_refused(PS_AUTH_UNVERIFIED);
}

static void test_rollback_refused(void **state)
{
	uint8_t *old = malloc(NSEC * SS);

	(void)state;
	assert_non_null(old);
	host_commit(KEY, 1, 0);
	memcpy(old, mem, NSEC * SS);
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	assert_int_equal(write_net(1), BMC_CC_OK);
	assert_int_equal(write_net(2), BMC_CC_OK);
	assert_int_equal(bmc.counter, 3);
	/* Last month's copy put back: valid MAC, counter 1 < 3. */
	memcpy(mem, old, NSEC * SS);
	assert_refused(PS_AUTH_ROLLBACK);
	free(old);
}

static void test_no_key_refused(void **state)
{
	(void)state;
	host_commit(KEY, 1, 0);
	bmc.have_key = 0;
	assert_refused(PS_AUTH_NOKEY);
	/* A counter the BMC cannot read: refused as a fault. */
	bmc.have_key = 1;
	bmc.counter_fails = 1;
	assert_refused(BMC_AUTH_FAULT);
}

static void test_plain_store_unchanged(void **state)
{
	struct ps_auth_result r;

	(void)state;
	/* Never sealed, no counter in the BMC: served and written plain. */
	assert_int_equal(info_verdict(), PS_AUTH_OFF);
	assert_int_equal(read_store(), BMC_CC_OK);
	assert_int_equal(write_net(1), BMC_CC_OK);
	assert_false(bmc.have_counter);
	assert_int_equal(host_verdict(KEY, 0, 0, &r), PS_AUTH_UNVERIFIED);
	assert_false(r.sealed);
}

/* The host rotates the key (one commit, the same bytes, KEY2): the BMC,
 * still holding KEY, refuses the store as bad-mac until it is given the
 * new key; then it serves it and seals with it. */
static void test_rotation_needs_the_new_key(void **state)
{
	struct ps_auth_result r;

	(void)state;
	host_commit(KEY, 1, 0);
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	host_commit(KEY2, 2, 0);
	assert_refused(PS_AUTH_BADMAC);
	bmc.key = KEY2;
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	assert_int_equal(bmc.counter, 2);
	assert_int_equal(write_net(1), BMC_CC_OK);
	assert_int_equal(host_verdict(KEY2, 2, 0, &r), PS_AUTH_VERIFIED);
	assert_int_equal(host_verdict(KEY, 2, 0, &r), PS_AUTH_BADMAC);
}

/*
 * A power cut at every sector write of a sealed BMC commit (every 128-byte
 * tear, three fills): the media holds the old store (counter 1, the BMC's
 * counter still 1) or the new one (counter 2: trusted + 1, the cut came
 * before the counter was raised); the BMC and the host verify either, and
 * the BMC's next load raises its counter to a new one it finds.
 */
static void test_crash_sealed_bmc_commit(void **state)
{
	uint8_t *before = malloc(NSEC * SS);
	struct ps_auth_result r;
	struct ps_fault fault;
	struct ps_media fm;
	uint64_t k, n;
	uint32_t tear;
	int fill, newer = 0, older = 0;

	(void)state;
	assert_non_null(before);
	host_commit(KEY, 1, 0);
	assert_int_equal(info_verdict(), PS_AUTH_VERIFIED);
	memcpy(before, mem, NSEC * SS);
	memset(&fault, 0, sizeof fault);
	assert_int_equal(ps_media_init_fault(&fm, &fault, &m), PS_OK);
	assert_int_equal(bip_init(&shim, &fm, NSEC), 0);
	shim.plat.auth = &provider;
	assert_int_equal(write_net(1), BMC_CC_OK);
	n = fault.writes;
	assert_true(n >= 3);   /* trailer, body, header at least */
	for (k = 1; k <= n; k++) {
		for (tear = 0; tear <= SS; tear += 128) {
			for (fill = 0; fill < 3; fill++) {
				memcpy(mem, before, NSEC * SS);
				bmc.counter = 1;
				fault.crash_at = k;
				fault.tear_bytes = tear;
				fault.fill = (enum ps_fault_fill)fill;
				assert_int_equal(ps_media_init_fault(
					&fm, &fault, &m), PS_OK);
				assert_int_equal(bip_init(&shim, &fm, NSEC), 0);
				shim.plat.auth = &provider;
				assert_int_equal(write_net(1),
						 BMC_CC_UNSPECIFIED);
				assert_int_equal(bmc.counter, 1);
				/* The BMC restarts on the media as it is. */
				assert_int_equal(bip_init(&shim, &m, NSEC), 0);
				shim.plat.auth = &provider;
				assert_int_equal(info_verdict(),
						 PS_AUTH_VERIFIED);
				assert_int_equal(host_verdict(KEY, 1, 0, &r),
						 PS_AUTH_VERIFIED);
				assert_true(r.t.counter == 1 ||
					    r.t.counter == 2);
				assert_int_equal(bmc.counter, r.t.counter);
				newer += r.t.counter == 2;
				older += r.t.counter == 1;
			}
		}
	}
	/* The last write (the header) landing whole publishes it. */
	assert_true(newer > 0 && older > 0);
	free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_sealed_store_served_and_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stripped_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_key_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unverified_write_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_key_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plain_store_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rotation_needs_the_new_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_sealed_bmc_commit,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
