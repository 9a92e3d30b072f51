/*
 * test_check_ws.c - the whole-store check's two strategies agree: the
 * pairwise walk (ps_cfg_check, what the BMC links) and the sorted keys in
 * a workspace (ps_cfg_check_ws, what hosts use) report the same lines in
 * the same order, on random stores crowded with duplicates of every kind
 * (names in every set, UUIDs, serial numbers, MACs, WWNs, concentrator
 * ports, image users, overlapping reservations, server targets spelt
 * differently), with workspaces too small for some tables, and through
 * ps_cfg_check_host (what psctl check and import call).  And the
 * workspace strategy does linear work: the keys its walks emit grow with
 * the store, where the pairwise walk's grow with its square.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "ps_check_internal.h"

#define CAP (1u << 20)

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *pick(const char *const *v, unsigned n)
{
	return v[rnd(n)];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

/* A string child from a small pool, or (NULL in the pool) none. */
static void str(struct psf_builder *b, uint32_t sig, const char *s)
{
	if (s)
		psf_build_string(b, sig, s);
}

/* Identifier values: a few, so that they collide; 0 is "not set". */
static void ident(uint8_t *p, unsigned n, unsigned v)
{
	memset(p, 0, n);
	if (v)
		p[n - 1] = (uint8_t)v, p[0] = 0x02;
}

static const char *const vm_names[] = { "v0", "v1", "v2", "v3", NULL,
					"bad name" };
static const char *const serials[] = { "S0", "S1", NULL };
static const char *const prof_names[] = { "p0", "p1", "p2", NULL };
static const char *const nets[] = { "n0", "n1", "n9", NULL };
static const char *const images[] = { "i0", "i1", "i2", "i9", NULL };
static const char *const subs[] = { "e0", "e1", NULL };
static const char *const hosts[] = { "con", "../run/x", NULL };
static const char *const targets[] = {
	"bmc://Host1", "bmc://host1:623", "bmc://host1:624", "image:/a",
	"image:/A", "dev:/dev/sda", "bmc://h#vm", "", "nonsense", NULL,
};
static const uint64_t firsts[] = { 0, 2, 4, 5, 1ull << 30, UINT64_MAX - 1 };
static const uint64_t counts[] = { 0, 1, 2, 3, 1ull << 40, UINT64_MAX };

static void gen_vm(struct psf_builder *b)
{
	uint8_t cfg[PSF_VMC_SIZE], rec[8];
	unsigned i, n;

	psf_build_open(b, PSF_VM);
	str(b, PSF_NAME, PICK(vm_names));
	str(b, PSF_SERIAL_NUMBER, PICK(serials));
	ident(cfg, 16, rnd(4));
	memset(cfg + 16, 0, sizeof(cfg) - 16);
	psf_put_le16(cfg + PSF_VMC_PXE_NIC, (uint16_t)rnd(3));
	psf_build_struct(b, PSF_VM_CONFIG, cfg, sizeof(cfg));
	str(b, PSF_PROFILE_REF, PICK(prof_names));
	if (!rnd(4)) {
		psf_build_open(b, PSF_RESTART_POLICY);
		str(b, PSF_CONSISTENCY_IMAGE, PICK(images));
		psf_build_close(b);
	}
	psf_build_open(b, PSF_NICS);
	for (i = 0, n = rnd(4); i < n; i++) {
		psf_build_open(b, PSF_NIC);
		str(b, PSF_NAME, PICK(subs));
		memset(rec, 0, sizeof(rec));
		ident(rec, 6, rnd(5));
		psf_build_struct(b, PSF_NIC_CONFIG, rec, PSF_NICC_SIZE);
		str(b, PSF_NETWORK_REF, PICK(nets));
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_STORAGE);
	for (i = 0, n = rnd(4); i < n; i++) {
		psf_build_open(b, PSF_CONTROLLER);
		str(b, PSF_NAME, PICK(subs));
		str(b, PSF_IMAGE_REF, PICK(images));
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_SERIAL_PORTS);
	for (i = 0, n = rnd(3); i < n; i++) {
		memset(rec, 0, sizeof(rec));
		psf_put_le16(rec + PSF_SERC_PORT, (uint16_t)rnd(2));
		psf_put_le16(rec + PSF_SERC_CONCENTRATOR, (uint16_t)rnd(4));
		psf_build_open(b, PSF_SERIAL_PORT);
		str(b, PSF_HOSTNAME, PICK(hosts));
		psf_build_struct(b, PSF_SERIAL_CONFIG, rec, PSF_SERC_SIZE);
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_close(b);
}

static void gen_sets(struct psf_builder *b)
{
	uint8_t rec[PSF_RESC_SIZE], list[3 * PSF_WWN_ITEM_LEN];
	unsigned i, j, n;

	psf_build_open(b, PSF_NETWORKS);
	for (i = 0, n = rnd(4); i < n; i++) {
		psf_build_open(b, PSF_NETWORK);
		str(b, PSF_NAME, PICK(nets));
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_IMAGES);
	for (i = 0, n = rnd(6); i < n; i++) {
		memset(rec, 0, sizeof(rec));
		rec[PSF_IMGC_FLAGS] = (uint8_t)(rnd(3) ? 0 : PSF_IMGF_SHAREABLE);
		psf_build_open(b, PSF_IMAGE);
		str(b, PSF_NAME, PICK(images));
		psf_build_struct(b, PSF_IMAGE_CONFIG, rec, PSF_IMGC_SIZE);
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_RESERVATIONS);
	for (i = 0, n = rnd(9); i < n; i++) {
		memset(rec, 0, sizeof(rec));
		rec[PSF_RESC_KIND] = (uint8_t)rnd(3);
		psf_put_le64(rec + PSF_RESC_FIRST, firsts[rnd(6)]);
		psf_put_le64(rec + PSF_RESC_COUNT, counts[rnd(6)]);
		psf_build_open(b, PSF_RESERVATION);
		str(b, PSF_NAME, PICK(subs));
		psf_build_struct(b, PSF_RESERVATION_CONFIG, rec, PSF_RESC_SIZE);
		str(b, PSF_OWNER, PICK(vm_names));
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_PROFILES);
	for (i = 0, n = rnd(5); i < n; i++) {
		psf_build_open(b, PSF_PROFILE);
		str(b, PSF_NAME, PICK(prof_names));
		str(b, PSF_SERIAL_NUMBER, PICK(serials));
		memset(rec, 0, sizeof(rec));
		ident(rec, 16, rnd(4));
		psf_build_struct(b, PSF_PROFILE_CONFIG, rec, PSF_PROC_SIZE);
		for (j = 0; j < 3; j++)
			ident(list + j * 6, 6, rnd(5));
		psf_build_struct(b, PSF_MAC_LIST, list, 6 * rnd(4));
		for (j = 0; j < 6; j++)
			ident(list + j * 8, 8, rnd(3));
		psf_build_struct(b, PSF_WWN_LIST, list, 16 * rnd(3));
		psf_build_close(b);
	}
	psf_build_close(b);
	psf_build_open(b, PSF_SERVERS);
	for (i = 0, n = rnd(6); i < n; i++) {
		psf_build_open(b, PSF_SERVER);
		str(b, PSF_NAME, PICK(subs));
		str(b, PSF_TARGET, PICK(targets));
		psf_build_close(b);
	}
	psf_build_close(b);
}

/* Address and spare pool records: ranges that overlap or not, bad ones,
 * reservations twice, outside every range, misspelt. */
static const char *const ranges[] = {
	"m0 mac 02:00:00:00:00:01 02:00:00:00:00:10",
	"m1 mac 02:00:00:00:00:08 02:00:00:00:00:20",
	"m0 mac 02:00:00:00:01:00 02:00:00:00:01:10",
	"s0 serial SN001 SN009", "s1 serial SN1000 SN1999",
	"bad mac 02:00:00:00:00:09 02:00:00:00:00:01", "x y",
};
static const char *const resvs[] = {
	"mac 02:00:00:00:00:02 p0", "mac 02:00:00:00:00:02 -",
	"mac 02:00:00:00:00:30 -", "serial SN005 p1", "serial SN1005 -",
	"mac 02:00:00:00:00:0A -", "ip 1 -",
};
static const char *const spares[] = { "sp0 a b", "sp0 c", "sp1", NULL };

static void gen_pool(struct psf_builder *b)
{
	unsigned i, n;

	if (!rnd(3))
		return;
	psf_build_open(b, PSF_POOL_STATE);
	for (i = 0, n = rnd(4); i < n; i++)
		psf_build_string(b, PSF_POOL_RANGE, PICK(ranges));
	for (i = 0, n = rnd(6); i < n; i++)
		psf_build_string(b, PSF_POOL_RESV, PICK(resvs));
	for (i = 0, n = rnd(3); i < n; i++)
		str(b, PSF_POOL_SPARES, PICK(spares));
	psf_build_close(b);
}

static uint32_t gen_store(uint8_t *buf, uint64_t seed)
{
	struct psf_builder b;
	unsigned i, n;
	int rc;

	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	memset(buf, 0, CAP);
	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	for (i = 0, n = rnd(13); i < n; i++)
		gen_vm(&b);
	psf_build_close(&b);
	gen_sets(&b);
	gen_pool(&b);
	rc = psf_build_finish(&b);
	assert_true(rc > 0);
	return (uint32_t)rc;
}

/* The lines reported, one after another. */
struct lines {
	char *p;
	size_t len, cap;
};

static void collect(void *ctx, const char *msg)
{
	struct lines *l = ctx;
	size_t n = strlen(msg) + 1;

	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->p = realloc(l->p, l->cap);
		assert_non_null(l->p);
	}
	memcpy(l->p + l->len, msg, n);
	l->p[l->len + n - 1] = '\n';
	l->len += n;
	l->p[l->len] = '\0';
}

static int has(const struct lines *l, const char *what)
{
	return l->len && strstr(l->p, what) != NULL;
}

/* Both strategies, and the workspace one with room for every table, for
 * some, for none: the same lines in the same order. */
static void test_same_lines(void **state)
{
	static const char *const kinds[] = {
		"defined twice", "used by both", "mapped by both",
		"range overlaps", "same target as", "not shareable but used",
		"no such image", "no such network", "no such profile",
		"no such vm", "invalid name", "target: ", "pxe-nic",
		"hostname", "reserved twice", "ranges never overlap",
		"in no mac range", "pool range record", "pool reservation "
		"record", "pool spare pool record",
	};
	unsigned seen[sizeof(kinds) / sizeof(kinds[0])] = { 0 };
	uint8_t *buf = malloc(CAP);
	uint64_t seed;
	unsigned i, total = 0;

	(void)state;
	assert_non_null(buf);
	for (seed = 1; seed <= 400; seed++) {
		uint32_t len = gen_store(buf, seed);
		size_t need = ps_cfg_check_ws_size(buf, len);
		size_t sizes[4] = { need, need / 2, need / 5, 100 };
		struct lines pw = { 0 }, ws;
		void *mem = malloc(need + 1);
		int n, m, s;

		assert_non_null(mem);
		assert_true(need > 0);
		n = ps_cfg_check(buf, len, collect, &pw);
		assert_true(n >= 0);
		for (s = 0; s < 4; s++) {
			memset(&ws, 0, sizeof(ws));
			/* Any alignment: one byte in. */
			m = ps_cfg_check_ws(buf, len, collect, &ws,
					    (char *)mem + (s & 1), sizes[s]);
			assert_int_equal(m, n);
			assert_int_equal(ws.len, pw.len);
			if (pw.len)
				assert_memory_equal(ws.p, pw.p, pw.len);
			free(ws.p);
		}
		/* The hosted entry (malloc'd workspace): the same. */
		memset(&ws, 0, sizeof(ws));
		assert_int_equal(ps_cfg_check_host(buf, len, collect, &ws), n);
		assert_int_equal(ws.len, pw.len);
		if (pw.len)
			assert_memory_equal(ws.p, pw.p, pw.len);
		free(ws.p);
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			seen[i] += (unsigned)has(&pw, kinds[i]);
		total += (unsigned)n;
		free(pw.p);
		free(mem);
	}
	/* The stores did exercise every pairing rule. */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!seen[i])
			fail_msg("no store reported '%s'", kinds[i]);
	}
	assert_true(total > 2000);
	free(buf);
}

/* A store of n valid VMs (one NIC, a controller on its own image, a
 * mapped serial port), a reservation and a server per VM. */
static uint32_t gen_valid(uint8_t *buf, unsigned n)
{
	uint8_t vmc[PSF_VMC_SIZE] = { 0 }, nic[PSF_NICC_SIZE] = { 0 };
	uint8_t ser[PSF_SERC_SIZE] = { 0 }, res[PSF_RESC_SIZE] = { 0 };
	struct psf_builder b;
	char s[32];
	unsigned i;
	int rc;

	memset(buf, 0, CAP);
	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	for (i = 0; i < n; i++) {
		psf_build_open(&b, PSF_VM);
		snprintf(s, sizeof(s), "vm%u", i);
		psf_build_string(&b, PSF_NAME, s);
		vmc[0] = 1;
		psf_put_le32(vmc + 12, i);
		psf_put_le16(vmc + PSF_VMC_VCPUS, 1);
		psf_build_struct(&b, PSF_VM_CONFIG, vmc, sizeof(vmc));
		psf_build_open(&b, PSF_NICS);
		psf_build_open(&b, PSF_NIC);
		psf_build_string(&b, PSF_NAME, "eth0");
		nic[0] = 2;
		psf_put_le32(nic + 2, i);
		psf_build_struct(&b, PSF_NIC_CONFIG, nic, sizeof(nic));
		psf_build_close(&b);
		psf_build_close(&b);
		psf_build_open(&b, PSF_STORAGE);
		psf_build_open(&b, PSF_CONTROLLER);
		psf_build_string(&b, PSF_NAME, "disk");
		snprintf(s, sizeof(s), "img%u", i);
		psf_build_string(&b, PSF_IMAGE_REF, s);
		psf_build_close(&b);
		psf_build_close(&b);
		psf_build_open(&b, PSF_SERIAL_PORTS);
		psf_build_open(&b, PSF_SERIAL_PORT);
		psf_put_le16(ser + PSF_SERC_CONCENTRATOR, (uint16_t)(i + 1));
		psf_build_struct(&b, PSF_SERIAL_CONFIG, ser, sizeof(ser));
		psf_build_close(&b);
		psf_build_close(&b);
		psf_build_close(&b);
	}
	psf_build_close(&b);
	psf_build_open(&b, PSF_IMAGES);
	for (i = 0; i < n; i++) {
		psf_build_open(&b, PSF_IMAGE);
		snprintf(s, sizeof(s), "img%u", i);
		psf_build_string(&b, PSF_NAME, s);
		psf_build_close(&b);
	}
	psf_build_close(&b);
	psf_build_open(&b, PSF_RESERVATIONS);
	for (i = 0; i < n; i++) {
		res[PSF_RESC_KIND] = PSF_RESERVE_CPU;
		psf_put_le64(res + PSF_RESC_FIRST, 2 * i);
		psf_put_le64(res + PSF_RESC_COUNT, 2);
		psf_build_open(&b, PSF_RESERVATION);
		snprintf(s, sizeof(s), "r%u", i);
		psf_build_string(&b, PSF_NAME, s);
		psf_build_struct(&b, PSF_RESERVATION_CONFIG, res, sizeof(res));
		snprintf(s, sizeof(s), "vm%u", i);
		psf_build_string(&b, PSF_OWNER, s);
		psf_build_close(&b);
	}
	psf_build_close(&b);
	psf_build_open(&b, PSF_SERVERS);
	for (i = 0; i < n; i++) {
		psf_build_open(&b, PSF_SERVER);
		snprintf(s, sizeof(s), "s%u", i);
		psf_build_string(&b, PSF_NAME, s);
		snprintf(s, sizeof(s), "bmc://10.0.%u.%u", i / 250, i % 250);
		psf_build_string(&b, PSF_TARGET, s);
		psf_build_close(&b);
	}
	psf_build_close(&b);
	rc = psf_build_finish(&b);
	assert_true(rc > 0);
	return (uint32_t)rc;
}

/* The keys the walks of one run emit: the work of the pairing rules. */
static uint64_t work(const uint8_t *buf, uint32_t len, int with_ws)
{
	struct chk k = { buf, NULL, NULL, 0, NULL, NULL, 0, { 0 } };
	size_t need = ps_cfg_check_ws_size(buf, len);
	void *mem = with_ws ? malloc(need) : NULL;

	assert_int_equal(with_ws ? ps__chk_ws(&k, len, mem, need)
				 : ps__chk_run(&k, len), 0);
	free(mem);
	return k.keys;
}

/* Doubling the store doubles the workspace strategy's work (a regression
 * guard for linearity, without timing), and quadruples the pairwise
 * walk's (the counter measures what grows). */
static void test_linear_work(void **state)
{
	uint8_t *buf = malloc(CAP);
	uint64_t w1, w2, p1, p2;
	uint32_t len;

	(void)state;
	assert_non_null(buf);
	len = gen_valid(buf, 150);
	w1 = work(buf, len, 1);
	p1 = work(buf, len, 0);
	len = gen_valid(buf, 300);
	w2 = work(buf, len, 1);
	p2 = work(buf, len, 0);
	assert_true(w2 <= w1 * 21 / 10);
	assert_true(p2 >= p1 * 35 / 10);
	free(buf);
}

/* Servers compare targets as ps_server_by_target does (a bmc:// host in
 * any case, port 623 when not given; image: paths exactly), in both
 * strategies. */
static void test_server_targets(void **state)
{
	static const char *const t[] = { "bmc://Host1", "bmc://host1:623",
					 "image:/a", "image:/A",
					 "bmc://host1:624", "image:/a" };
	static const char want[] = "server 'b': same target as server 'a'\n"
				   "server 'f': same target as server 'c'\n";
	uint8_t *buf = malloc(CAP);
	struct psf_builder b;
	struct lines pw = { 0 }, ws = { 0 };
	char name[2] = "a";
	size_t need;
	void *mem;
	int len, el, i;

	(void)state;
	assert_non_null(buf);
	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_SERVERS);
	for (i = 0; i < 6; i++) {
		name[0] = (char)('a' + i);
		psf_build_open(&b, PSF_SERVER);
		psf_build_string(&b, PSF_NAME, name);
		psf_build_string(&b, PSF_TARGET, t[i]);
		psf_build_close(&b);
	}
	psf_build_close(&b);
	len = psf_build_finish(&b);
	assert_true(len > 0);
	assert_int_equal(ps_cfg_check(buf, (uint32_t)len, collect, &pw), 2);
	need = ps_cfg_check_ws_size(buf, (uint32_t)len);
	mem = malloc(need);
	assert_int_equal(ps_cfg_check_ws(buf, (uint32_t)len, collect, &ws, mem,
					 need), 2);
	assert_string_equal(pw.p, want);
	assert_string_equal(ws.p, want);
	/* The library's lookup agrees: b's target finds a, f's finds c. */
	el = ps_server_by_target(buf, t[1], strlen(t[1]));
	assert_int_equal(el, ps_obj_find(buf, psf_root(buf), PS_OBJ_SERVER,
					 "a", 1));
	free(mem);
	free(pw.p);
	free(ws.p);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_lines),
		cmocka_unit_test(test_linear_work),
		cmocka_unit_test(test_server_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
