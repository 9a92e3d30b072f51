/*
 * test_bmc_shim.c - the BMC shim's OEM handlers, driven with request bytes
 * over a RAM disk behind the firmware callback media: completion codes,
 * response bytes, and the media unchanged byte for byte on every refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "bmc_shim.h"
#include "psf_schema.h"
#include "../../bench/bmc_inproc.h"

#define SECTORS 512u
#define SS 512u

static uint8_t disk[SECTORS * SS];
static uint8_t snapshot[SECTORS * SS];
static int power = BMC_POWER_OFF;
static struct bmc_shim shim;

static int ram_read(void *c, uint64_t lba, uint32_t n, void *buf)
{
	(void)c;
	memcpy(buf, disk + lba * SS, (size_t)n * SS);
	return 0;
}
static int ram_write(void *c, uint64_t lba, uint32_t n, const void *buf)
{
	(void)c;
	memcpy(disk + lba * SS, buf, (size_t)n * SS);
	return 0;
}
static int ram_flush(void *c)
{
	(void)c;
	return 0;
}
static const struct ps_media_ops ram_ops = { ram_read, ram_write, ram_flush,
					     NULL };
static int get_power(void *c)
{
	(void)c;
	return power;
}

/* ---------------------------------------------------------------- lock */
static uint8_t semwin[4096] __attribute__((aligned(8)));
static struct ps_sem sem;
static struct ps_lock lock;

static uint64_t now_ms(void *c)
{
	struct timespec t;

	(void)c;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static struct ps_lock *make_lock(void)
{
	struct ps_sem_marker m = { 0 };
	struct ps_sem_clock clk = { now_ms, NULL, NULL };

	memset(semwin, 0, sizeof semwin);
	assert_int_equal(ps_sem_init_struct(semwin + 256, 192), 0);
	m.sem_addr = 0x1000 + 256;
	m.sem_size = 192;
	m.revision = 1;
	assert_int_equal(ps_sem_attach(&sem, semwin, sizeof semwin, 0x1000, &m,
				       &clk, 100), 0);
	lock = (struct ps_lock){ &ps_sem_lock_ops, &sem, PS_OWNER_BMC, 5000,
				 0, 0 };
	return &lock;
}

/* ---------------------------------------------------------------- setup */

/* A store with VMs "web" and "db" (db has one NIC) and an empty set of
 * profiles, formatted on the RAM disk. */
static void make_store(void)
{
	static uint8_t buf[32768];
	struct ps_media m;
	struct ps_disk d;
	struct ps_format_opts o = { 0 };
	uint8_t sector[SS];
	int root, vm, nic;

	memset(disk, 0, sizeof disk);
	memset(buf, 0, sizeof buf);
	assert_int_equal(ps_media_init(&m, &ram_ops, NULL, SS, SECTORS), 0);
	assert_int_equal(ps_format(&d, &m, &o, sector), 0);
	assert_int_equal(ps_read(&d, &m, buf, sizeof buf), 0);
	root = psf_root(buf);
	vm = ps_obj_create(buf, sizeof buf, root, PS_OBJ_VM, "web", 3, NULL);
	assert_true(vm >= 0);
	assert_int_equal(ps_obj_set(buf, sizeof buf, vm, PS_OBJ_VM, "uuid", 4,
				    "11111111-2222-4333-8444-555555555555",
				    36, NULL), 0);
	vm = ps_obj_create(buf, sizeof buf, root, PS_OBJ_VM, "db", 2, NULL);
	assert_true(vm >= 0);
	assert_int_equal(ps_obj_set(buf, sizeof buf, vm, PS_OBJ_VM, "uuid", 4,
				    "11111111-2222-4333-8444-666666666666",
				    36, NULL), 0);
	nic = ps_obj_create(buf, sizeof buf, vm, PS_OBJ_NIC, "eth0", 4, NULL);
	assert_true(nic >= 0);
	assert_int_equal(ps_obj_set(buf, sizeof buf, nic, PS_OBJ_NIC, "mac", 3,
				    "02:00:00:00:db:01", 17, NULL), 0);
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(ps_commit(&d, buf, sector, NULL), 0);
}

static int setup(void **state)
{
	struct bmc_shim_platform p = { 0 };

	(void)state;
	make_store();
	power = BMC_POWER_OFF;
	p.media_ops = &ram_ops;
	p.sector_size = SS;
	p.sectors = SECTORS;
	p.host_power = get_power;
	p.gate = BMC_GATE_HOST_OFF;
	assert_int_equal(bmc_shim_init(&shim, &p), 0);
	return 0;
}

static int setup_locked(void **state)
{
	setup(state);
	shim.plat.lock = make_lock();
	shim.plat.gate = BMC_GATE_SEMAPHORE;
	shim.lease_default = 5000;
	return 0;
}

/* ---------------------------------------------------------------- calls */

static uint8_t resp[64];
static size_t rlen;

static uint8_t call(uint8_t cmd, const void *req, size_t n)
{
	return bmc_shim_handle(&shim, cmd, BMC_PRIV_ADMIN, req, n, resp,
			       sizeof resp, &rlen);
}

/* A whole write: begin (naming the client lock's token when tok is not
 * NULL), chunks of 16, finish.  Returns the first non-zero completion
 * code; the session stays in wr_sess. */
static uint8_t wr_sess;
static uint8_t do_write_tok(uint8_t op, const void *data, size_t n,
			    const uint32_t *tok)
{
	return bip_write(&shim, op, data, n, tok, resp, sizeof resp, &rlen,
			 &wr_sess);
}

static uint8_t do_write(uint8_t op, const void *data, size_t n)
{
	return do_write_tok(op, data, n, NULL);
}

/* A whole read into out (cap bytes): *len gets the result length. */
static uint8_t do_read(uint8_t op, const void *args, size_t n, uint8_t *out,
		       size_t cap, uint32_t *len)
{
	uint8_t q[32], sess, cc;
	uint32_t off, total;
	size_t k;

	q[0] = op;
	psf_put_le16(q + 1, (uint16_t)n);
	cc = call(BMC_CMD_READ_BEGIN, q, 3);
	if (cc)
		return cc;
	sess = resp[0];
	for (k = 0; k < n; k += 16) {
		size_t c = n - k < 16 ? n - k : 16;

		q[0] = sess;
		psf_put_le16(q + 1, (uint16_t)k);
		memcpy(q + 3, (const uint8_t *)args + k, c);
		cc = call(BMC_CMD_READ_ARG, q, 3 + c);
		if (cc)
			return cc;
	}
	cc = call(BMC_CMD_READ_RUN, &sess, 1);
	if (cc)
		return cc;
	total = psf_le32(resp);
	assert_true(total <= cap);
	for (off = 0; off < total; off += 16) {
		q[0] = sess;
		psf_put_le32(q + 1, off);
		q[5] = (uint8_t)(total - off < 16 ? total - off : 16);
		cc = call(BMC_CMD_READ_CHUNK, q, 6);
		if (cc)
			return cc;
		assert_int_equal(rlen, q[5]);
		memcpy(out + off, resp, rlen);
	}
	*len = total;
	return 0;
}

/* The current store, read straight from the RAM disk. */
static uint8_t cur[32768];
static int load_cur(void)
{
	struct ps_media m;
	struct ps_disk d;

	assert_int_equal(ps_media_init(&m, &ram_ops, NULL, SS, SECTORS), 0);
	assert_int_equal(ps_read(&d, &m, cur, sizeof cur), 0);
	return (int)d.generation;
}

static void snap(void)
{
	memcpy(snapshot, disk, sizeof disk);
}
static void assert_unchanged(void)
{
	assert_memory_equal(snapshot, disk, sizeof disk);
}

/* Edit the store on the RAM disk directly (as another writer would):
 * ed_load, change ed[], ed_commit. */
static uint8_t ed[32768];
static struct ps_media ed_media;
static struct ps_disk ed_disk;

static void ed_load(void)
{
	assert_int_equal(ps_media_init(&ed_media, &ram_ops, NULL, SS, SECTORS),
			 0);
	assert_int_equal(ps_read(&ed_disk, &ed_media, ed, sizeof ed), 0);
}

static void ed_commit(void)
{
	uint8_t sector[SS];

	assert_int_equal(psf_finish(ed), 0);
	assert_int_equal(ps_commit(&ed_disk, ed, sector, NULL), 0);
}

/* ---------------------------------------------------------------- tests */

static void test_info(void **state)
{
	(void)state;
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), BMC_CC_OK);
	assert_int_equal(rlen, 21);
	assert_int_equal(resp[0], BMC_SHIM_PROTO_VERSION);
	assert_int_equal(resp[1], PSF_FORMAT_MAJOR);
	assert_int_equal(psf_le16(resp + 3), PSF_SCHEMA_VERSION);
	assert_int_equal(psf_le32(resp + 5), 2);     /* format + 1 commit */
	load_cur();
	assert_int_equal(psf_le32(resp + 9), psf_total(cur));
	assert_int_equal(resp[17], BMC_POWER_OFF);
	assert_int_equal(resp[18], BMC_GATE_HOST_OFF);
	assert_int_equal(resp[20] & 0x02, 0x02);     /* store loaded */
	power = BMC_POWER_ON;
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), BMC_CC_OK);
	assert_int_equal(resp[17], BMC_POWER_ON);
}

static void test_read_store_and_vm(void **state)
{
	static uint8_t out[32768];
	uint32_t len;
	int vm;
	struct psf_elem e;

	(void)state;
	load_cur();
	assert_int_equal(do_read(BMC_READ_STORE, NULL, 0, out, sizeof out,
				 &len), 0);
	assert_int_equal(len, psf_total(cur));
	assert_memory_equal(out, cur, len);
	assert_int_equal(do_read(BMC_READ_VM, "db", 2, out, sizeof out, &len),
			 0);
	vm = ps_obj_find(cur, psf_root(cur), PS_OBJ_VM, "db", 2);
	assert_int_equal(psf_elem(cur, vm, &e), 0);
	assert_int_equal(len, e.end - (uint32_t)vm);
	assert_memory_equal(out, cur + vm, len);
	assert_int_equal(do_read(BMC_READ_VM, "nope", 4, out, sizeof out,
				 &len), BMC_CC_NOT_PRESENT);
}

static void test_read_path(void **state)
{
	uint8_t args[32], out[256];
	uint32_t len;

	(void)state;
	/* vms / vm "web" / vm-config */
	args[0] = 3;
	psf_put_le32(args + 1, PSF_VMS);
	args[5] = 0;
	psf_put_le32(args + 6, PSF_VM);
	args[10] = 3;
	memcpy(args + 11, "web", 3);
	psf_put_le32(args + 14, PSF_VM_CONFIG);
	args[18] = 0;
	assert_int_equal(do_read(BMC_READ_PATH, args, 19, out, sizeof out,
				 &len), 0);
	assert_int_equal(len, 8 + PSF_VMC_SIZE);
	assert_int_equal(psf_le32(out), PSF_VM_CONFIG);
	assert_int_equal(out[8], 0x11);              /* the UUID's first byte */
	args[10] = 4;                                /* "web" + a sig byte */
	assert_int_equal(do_read(BMC_READ_PATH, args, 19, out, sizeof out,
				 &len), BMC_CC_NOT_PRESENT);
	args[10] = 3;                                /* one byte short */
	assert_int_equal(do_read(BMC_READ_PATH, args, 18, out, sizeof out,
				 &len), BMC_CC_BAD_LENGTH);
}

/* A NETWORKS set holding network "lan" (kind nat), as element bytes. */
static size_t net_element(uint8_t *p)
{
	return bip_net_element(p, "lan", 3);
}

static void test_write_element(void **state)
{
	uint8_t w[128];
	size_t n;
	int gen;

	(void)state;
	w[0] = 0;                                    /* path: the root */
	n = 1 + net_element(w + 1);
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_OK);
	assert_int_equal(rlen, 6);
	gen = load_cur();
	assert_int_equal(psf_le32(resp), gen);
	assert_true(ps_obj_find(cur, psf_root(cur), PS_OBJ_NETWORK, "lan", 3)
		    >= 0);
	/* Again: replaces the set, does not add a second one. */
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_OK);
	load_cur();
	assert_int_equal(ps_cfg_check(cur, psf_total(cur), NULL, NULL), 0);
}

static void test_delete_refused_when_referenced(void **state)
{
	uint8_t w[64];

	(void)state;
	/* Delete VM "web": fine.  Path: vms / vm web. */
	w[0] = 2;
	psf_put_le32(w + 1, PSF_VMS);
	w[5] = 0;
	psf_put_le32(w + 6, PSF_VM);
	w[10] = 3;
	memcpy(w + 11, "web", 3);
	assert_int_equal(do_write(BMC_WRITE_DELETE, w, 14), BMC_CC_OK);
	load_cur();
	assert_true(ps_obj_find(cur, psf_root(cur), PS_OBJ_VM, "web", 3) < 0);
	snap();
	assert_int_equal(do_write(BMC_WRITE_DELETE, w, 14), BMC_CC_NOT_PRESENT);
	assert_unchanged();
	w[0] = 0;                                    /* the root itself */
	assert_int_equal(do_write(BMC_WRITE_DELETE, w, 1),
			 BMC_CC_INVALID_DATA);
	assert_unchanged();
}

static void test_power_gate(void **state)
{
	uint8_t w[128];
	size_t n;

	(void)state;
	w[0] = 0;
	n = 1 + net_element(w + 1);
	snap();
	power = BMC_POWER_ON;
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n),
			 BMC_CC_POWER_STATE);
	assert_unchanged();
	power = -5;                                  /* unknown: as on */
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n),
			 BMC_CC_POWER_STATE);
	assert_unchanged();
	power = BMC_POWER_AUX;
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_OK);
	shim.plat.gate = BMC_GATE_READ_ONLY;
	power = BMC_POWER_OFF;
	snap();
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n),
			 BMC_CC_POWER_STATE);
	assert_unchanged();
	/* Semaphore policy without a lock: on means no. */
	shim.plat.gate = BMC_GATE_SEMAPHORE;
	power = BMC_POWER_ON;
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n),
			 BMC_CC_POWER_STATE);
	assert_unchanged();
}

static void test_gate_semaphore(void **state)
{
	uint8_t w[128];
	size_t n;
	struct ps_sem_state st;

	(void)state;
	w[0] = 0;
	n = 1 + net_element(w + 1);
	power = BMC_POWER_ON;
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_OK);
	ps_sem_peek(&sem, &st);
	assert_int_equal(st.owner, 0);               /* released again */
	assert_int_equal(st.owner_acquires[PS_OWNER_BMC], 1);
}

static void test_lock_sequence(void **state)
{
	uint8_t q[2] = { 30, 0 };
	uint64_t tok;
	struct ps_sem other = sem;
	uint8_t w[128];
	size_t n;

	(void)state;
	uint8_t t[4];
	uint32_t token;

	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_OK);
	assert_int_equal(rlen, 4);
	token = psf_le32(resp);
	memcpy(t, resp, 4);
	/* Take while held: busy, whoever asks. */
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_BUSY);
	/* Another writer is kept out while the client holds it. */
	other.held = 0;
	other.obs_valid = 0;
	assert_int_equal(ps_sem_try_acquire(&other, PS_OWNER_OS, 1000, &tok),
			 PS_SEM_ERR_BUSY);
	/* Writes go through under the held lock. */
	w[0] = 0;
	n = 1 + net_element(w + 1);
	assert_int_equal(do_write_tok(BMC_WRITE_ELEMENT, w, n, &token),
			 BMC_CC_OK);
	assert_int_equal(call(BMC_CMD_LOCK_RELEASE, t, 4), BMC_CC_OK);
	assert_int_equal(call(BMC_CMD_LOCK_RELEASE, t, 4), BMC_CC_SEQUENCE);
	assert_int_equal(ps_sem_try_acquire(&other, PS_OWNER_OS, 1000, &tok),
			 0);
	ps_sem_release(&other, tok);
	q[0] = 0;                                    /* lease 0: out of range */
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_OUT_OF_RANGE);
}

static size_t alloc_req(uint8_t *w, const char *vm, uint8_t count,
			uint16_t first, const char *hosts)
{
	size_t n = 0, vl = strlen(vm), hl = strlen(hosts);

	w[n++] = (uint8_t)vl;
	memcpy(w + n, vm, vl);
	n += vl;
	w[n++] = count;
	w[n++] = PSF_SERIAL_MODE_OBSERVER;
	psf_put_le16(w + n, first);
	psf_put_le16(w + n + 2, 0);
	n += 4;
	memcpy(w + n, hosts, hl);
	return n + hl;
}

static void test_serial_alloc_free_list(void **state)
{
	uint8_t w[64], out[512], q[8];
	uint32_t len;
	size_t n;
	char host[300];
	int vm, el;

	(void)state;
	n = alloc_req(w, "web", 2, 100, "web-con");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n), BMC_CC_OK);
	assert_int_equal(psf_le16(resp + 4), 8);
	q[0] = shim.wr_session;
	psf_put_le32(q + 1, 0);
	q[5] = 8;
	assert_int_equal(call(BMC_CMD_WRITE_RESULT, q, 6), BMC_CC_OK);
	assert_int_equal(psf_le16(resp), 0);
	assert_int_equal(psf_le16(resp + 2), 100);
	assert_int_equal(psf_le16(resp + 4), 1);
	assert_int_equal(psf_le16(resp + 6), 101);
	load_cur();
	vm = ps_obj_find(cur, psf_root(cur), PS_OBJ_VM, "web", 3);
	el = ps_obj_find(cur, vm, PS_OBJ_SERIAL, "1", 1);
	assert_true(el >= 0);
	ps_obj_get(cur, el, ps_obj_field(PS_OBJ_SERIAL, "hostname", 8), host,
		   sizeof host);
	assert_string_equal(host, "web-con-1");
	/* db gets the next free concentrator ports. */
	n = alloc_req(w, "db", 1, 100, "db-con");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n), BMC_CC_OK);
	q[0] = shim.wr_session;
	q[5] = 4;
	assert_int_equal(call(BMC_CMD_WRITE_RESULT, q, 6), BMC_CC_OK);
	assert_int_equal(psf_le16(resp + 2), 102);
	assert_int_equal(do_read(BMC_READ_SERIAL_LIST, NULL, 0, out, sizeof out,
				 &len), 0);
	/* 3 entries: web 0, web 1, db 0 (vm name, ports, mode, host) */
	assert_int_equal(len, (1 + 3 + 6 + 9) * 2 + (1 + 2 + 6 + 6));
	assert_int_equal(out[0], 3);
	assert_memory_equal(out + 1, "web", 3);
	assert_int_equal(psf_le16(out + 6), 100);
	assert_int_equal(out[8], PSF_SERIAL_MODE_OBSERVER);
	/* Free web's ports. */
	w[0] = 3;
	memcpy(w + 1, "web", 3);
	assert_int_equal(do_write(BMC_WRITE_SERIAL_FREE, w, 4), BMC_CC_OK);
	q[0] = shim.wr_session;
	q[5] = 1;
	assert_int_equal(call(BMC_CMD_WRITE_RESULT, q, 6), BMC_CC_OK);
	assert_int_equal(resp[0], 2);
	assert_int_equal(do_read(BMC_READ_SERIAL_LIST, "web", 3, out,
				 sizeof out, &len), 0);
	assert_int_equal(len, 0);
	/* A host name list of the wrong length, a bad name, no such VM. */
	snap();
	n = alloc_req(w, "db", 2, 1, "a,b,c");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n),
			 BMC_CC_INVALID_DATA);
	n = alloc_req(w, "db", 1, 1, "bad_name");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n),
			 BMC_CC_INVALID_DATA);
	n = alloc_req(w, "zz", 1, 1, "");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n),
			 BMC_CC_NOT_PRESENT);
	n = alloc_req(w, "db", 0, 1, "");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n),
			 BMC_CC_INVALID_DATA);
	/* Range 102..102 is taken by db: no room. */
	n = alloc_req(w, "db", 1, 102, "");
	psf_put_le16(w + 3 + 4, 102);
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n),
			 BMC_CC_OUT_OF_SPACE);
	assert_unchanged();
}

/* profile "gold": uuid, serial, one MAC. */
static size_t profile_element(uint8_t *p, const char *name)
{
	uint8_t cfg[PSF_PROC_SIZE] = { 0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 0x43, 4,
				       0x85, 6, 7, 8, 9, 10, 11, 12 };
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	size_t n = 12, nl = strlen(name);

	psf_put_le32(p, PSF_PROFILE);
	psf_put_le32(p + 4, 4);
	psf_put_le32(p + n, PSF_NAME);
	psf_put_le32(p + n + 4, (uint32_t)nl);
	memcpy(p + n + 8, name, nl);
	n += 8 + nl;
	psf_put_le32(p + n, PSF_SERIAL_NUMBER);
	psf_put_le32(p + n + 4, 6);
	memcpy(p + n + 8, "SN-001", 6);
	n += 14;
	psf_put_le32(p + n, PSF_PROFILE_CONFIG);
	psf_put_le32(p + n + 4, PSF_PROC_SIZE);
	memcpy(p + n + 8, cfg, PSF_PROC_SIZE);
	n += 8 + PSF_PROC_SIZE;
	psf_put_le32(p + n, PSF_MAC_LIST);
	psf_put_le32(p + n + 4, 6);
	memcpy(p + n + 8, mac, 6);
	n += 14;
	psf_put_le32(p + 8, (uint32_t)(n - 12));
	return n;
}

static void test_profile_push_pull_physical(void **state)
{
	uint8_t w[256], out[256], el[200];
	size_t en = profile_element(el, "gold");
	uint32_t len, plen;
	const char *t;
	int prof, bmc;

	(void)state;
	w[0] = PSF_TARGET_PHYSICAL;
	w[1] = 0;
	memcpy(w + 2, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_OK);
	load_cur();
	bmc = psf_find_child(cur, psf_root(cur), PSF_BMC_STATE);
	assert_true(bmc >= 0);
	t = psf_child_payload(cur, bmc, PS_BMC_HOST_PROFILE, &plen);
	assert_non_null(t);
	assert_int_equal(plen, 4);
	assert_memory_equal(t, "gold", 4);
	prof = ps_obj_find(cur, psf_root(cur), PS_OBJ_PROFILE, "gold", 4);
	t = psf_child_payload(cur, prof, PSF_TARGET, &plen);
	/* In the normal form (docs/schema.md), as psctl stores targets. */
	assert_int_equal(plen, 19);
	assert_memory_equal(t, "bmc://localhost:623", 19);
	/* Pull it back. */
	out[0] = PSF_TARGET_PHYSICAL;
	assert_int_equal(do_read(BMC_READ_PROFILE_PULL, out, 1, out,
				 sizeof out, &len), 0);
	assert_int_equal(psf_le32(out), PSF_PROFILE);
	/* Pushing it again (same target) is fine; to a VM it is in use. */
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_OK);
	snap();
	w[0] = PSF_TARGET_VM;
	w[1] = 3;
	memcpy(w + 2, "web", 3);
	memcpy(w + 5, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 5 + en),
			 BMC_CC_CONFLICT);
	assert_unchanged();
	/* A second profile for this host is refused while it carries the
	 * first (ps_profile_apply's rule): gold stays, nothing written. */
	en = profile_element(el, "silver");
	el[12 + 8 + 6 + 14 + 8] ^= 0x01;             /* another UUID */
	el[12 + 8 + 6 + 8 + 5] = '2';                /* another serial */
	el[12 + 8 + 6 + 14 + 8 + PSF_PROC_SIZE + 8 + 5] = 0x56;
	w[0] = PSF_TARGET_PHYSICAL;
	w[1] = 0;
	memcpy(w + 2, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_CONFLICT);
	assert_unchanged();
	load_cur();
	prof = ps_obj_find(cur, psf_root(cur), PS_OBJ_PROFILE, "gold", 4);
	t = psf_child_payload(cur, prof, PSF_TARGET, &plen);
	assert_int_equal(plen, 19);
	assert_memory_equal(t, "bmc://localhost:623", 19);
	assert_true(ps_obj_find(cur, psf_root(cur), PS_OBJ_PROFILE, "silver",
				6) < 0);
}

static void test_profile_push_vm(void **state)
{
	uint8_t w[256], el[200], out[256];
	size_t en = profile_element(el, "gold");
	uint32_t len, ul;
	const uint8_t *cfg;
	int vm;

	(void)state;
	w[0] = PSF_TARGET_VM;
	w[1] = 3;
	memcpy(w + 2, "web", 3);
	memcpy(w + 5, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 5 + en),
			 BMC_CC_OK);
	load_cur();
	vm = ps_obj_find(cur, psf_root(cur), PS_OBJ_VM, "web", 3);
	cfg = psf_child_payload(cur, vm, PSF_VM_CONFIG, &ul);
	assert_int_equal(cfg[0], 0xaa);              /* the profile's UUID */
	out[0] = PSF_TARGET_VM;
	memcpy(out + 1, "web", 3);
	assert_int_equal(do_read(BMC_READ_PROFILE_PULL, out, 4, out,
				 sizeof out, &len), 0);
	assert_int_equal(psf_le32(out), PSF_PROFILE);
	out[0] = PSF_TARGET_VM;
	memcpy(out + 1, "db", 2);
	assert_int_equal(do_read(BMC_READ_PROFILE_PULL, out, 3, out,
				 sizeof out, &len), BMC_CC_NOT_PRESENT);
	/* db has a NIC: the profile's MAC is taken by web? web has no NIC,
	 * so a second profile with the same UUID for db clashes. */
	snap();
	en = profile_element(el, "copy");
	w[1] = 2;
	memcpy(w + 2, "db", 2);
	memcpy(w + 4, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 4 + en),
			 BMC_CC_CONFLICT);
	assert_unchanged();
}

/* The VMS set path (one step, no name) then VM db from ed[] as element
 * bytes, into w; returns the length. */
static size_t db_write(uint8_t *w, size_t cap)
{
	struct psf_elem e;
	int db = ps_obj_find(ed, psf_root(ed), PS_OBJ_VM, "db", 2);
	size_t n;

	assert_true(db >= 0);
	assert_int_equal(psf_elem(ed, db, &e), 0);
	n = e.end - (uint32_t)db;
	assert_true(1 + 5 + n <= cap);
	w[0] = 1;
	psf_put_le32(w + 1, PSF_VMS);
	w[5] = 0;
	memcpy(w + 6, ed + db, n);
	return 6 + n;
}

/* An edit that removes one schema problem and brings another is refused:
 * the store's problems are compared as a set, not counted. */
/* A running server keeps its identity: a push to this host needs it off
 * or on aux power even where the gate lets writes through (semaphore
 * policy, lock configured); a push to a VM does not. */
static void test_push_physical_needs_host_off(void **state)
{
	uint8_t w[256], el[200];
	size_t en = profile_element(el, "gold");
	uint32_t plen;
	int bmc;

	(void)state;
	w[0] = PSF_TARGET_PHYSICAL;
	w[1] = 0;
	memcpy(w + 2, el, en);
	snap();
	power = BMC_POWER_ON;
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_POWER_STATE);
	assert_unchanged();
	power = -1;                                  /* unknown: as on */
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_POWER_STATE);
	assert_unchanged();
	/* The gate passes at begin, the host powers on before finish. */
	power = BMC_POWER_OFF;
	{
		uint8_t q[24], sess;
		size_t off;

		q[0] = BMC_WRITE_PROFILE_PUSH;
		psf_put_le16(q + 1, (uint16_t)(2 + en));
		psf_put_le32(q + 3, 0);
		assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), BMC_CC_OK);
		sess = resp[0];
		for (off = 0; off < 2 + en; off += 16) {
			size_t k = 2 + en - off < 16 ? 2 + en - off : 16;

			q[0] = sess;
			psf_put_le16(q + 1, (uint16_t)off);
			memcpy(q + 3, w + off, k);
			assert_int_equal(call(BMC_CMD_WRITE_CHUNK, q, 3 + k),
					 BMC_CC_OK);
		}
		power = BMC_POWER_ON;
		q[0] = sess;
		psf_put_le32(q + 1, psf_crc32c(0, w, 2 + en));
		assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5),
				 BMC_CC_POWER_STATE);
	}
	assert_unchanged();
	/* To a VM with the host on: the gate's semaphore policy decides. */
	w[0] = PSF_TARGET_VM;
	w[1] = 3;
	memcpy(w + 2, "web", 3);
	memcpy(w + 5, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 5 + en),
			 BMC_CC_OK);
	/* Aux power: this host may take a profile. */
	en = profile_element(el, "silver");
	el[12 + 8 + 6 + 14 + 8] ^= 0x01;             /* another UUID */
	el[12 + 8 + 6 + 8 + 5] = '2';                /* another serial */
	el[12 + 8 + 6 + 14 + 8 + PSF_PROC_SIZE + 8 + 5] = 0x56;
	w[0] = PSF_TARGET_PHYSICAL;
	w[1] = 0;
	memcpy(w + 2, el, en);
	power = BMC_POWER_AUX;
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_OK);
	load_cur();
	bmc = psf_find_child(cur, psf_root(cur), PSF_BMC_STATE);
	assert_non_null(psf_child_payload(cur, bmc, PS_BMC_HOST_PROFILE, &plen));
	assert_int_equal(plen, 6);
}

static int rand_calls;
static int fake_rand(void *c, uint8_t *buf, size_t n)
{
	(void)c;
	memset(buf, 0x5a, n);
	rand_calls++;
	return 0;
}

/* This host carries "gold" and so does VM db: a push of "silver" for this
 * host is refused (0x82), store unchanged, whether or not the platform
 * has random bytes (no VM is made to drop gold); once the host's record
 * is deleted, the push goes on. */
static void test_host_push_keeps_other_profile(void **state)
{
	uint8_t w[256], el[200];
	size_t en = profile_element(el, "gold");
	const uint8_t *cfg;
	const char *t;
	uint32_t len;
	int db, bmc;

	(void)state;
	w[0] = PSF_TARGET_VM;
	w[1] = 2;
	memcpy(w + 2, "db", 2);
	memcpy(w + 4, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 4 + en),
			 BMC_CC_OK);
	ed_load();
	bmc = psf_insert(ed, sizeof ed, psf_root(ed), -1, PSF_BMC_STATE, NULL,
			 0);
	assert_true(bmc >= 0);
	assert_true(psf_set_child(ed, sizeof ed, bmc, PS_BMC_HOST_PROFILE, "gold",
				  4) >= 0);
	ed_commit();
	en = profile_element(el, "silver");
	el[12 + 8 + 6 + 14 + 8] ^= 0x01;             /* another UUID */
	el[12 + 8 + 6 + 8 + 5] = '2';                /* another serial */
	el[12 + 8 + 6 + 14 + 8 + PSF_PROC_SIZE + 8 + 5] = 0x56;
	w[0] = PSF_TARGET_PHYSICAL;
	w[1] = 0;
	memcpy(w + 2, el, en);
	snap();
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_CONFLICT);
	assert_unchanged();
	shim.plat.rand = fake_rand;
	rand_calls = 0;
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_CONFLICT);
	assert_unchanged();
	assert_int_equal(rand_calls, 0);
	load_cur();
	db = ps_obj_find(cur, psf_root(cur), PS_OBJ_VM, "db", 2);
	t = psf_child_payload(cur, db, PSF_PROFILE_REF, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(t, "gold", 4);
	cfg = psf_child_payload(cur, db, PSF_VM_CONFIG, &len);
	assert_int_equal(cfg[PSF_VMC_UUID], 0xaa);   /* gold's UUID kept */
	/* The operator unassigns first (the host's record deleted: path
	 * bmc state / host profile), then pushes. */
	w[0] = 2;
	psf_put_le32(w + 1, PSF_BMC_STATE);
	w[5] = 0;
	psf_put_le32(w + 6, PS_BMC_HOST_PROFILE);
	w[10] = 0;
	assert_int_equal(do_write(BMC_WRITE_DELETE, w, 11), BMC_CC_OK);
	w[0] = PSF_TARGET_PHYSICAL;
	w[1] = 0;
	memcpy(w + 2, el, en);
	assert_int_equal(do_write(BMC_WRITE_PROFILE_PUSH, w, 2 + en),
			 BMC_CC_OK);
	load_cur();
	t = ps_host_profile(cur, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(t, "silver", 6);
}

static void test_new_problem_for_an_old_one(void **state)
{
	static uint8_t w[4096];
	uint32_t len;
	int db, web, ref;
	uint8_t *dcfg;
	const uint8_t *wcfg;
	size_t n;

	(void)state;
	/* db refers to a profile that does not exist: one problem. */
	ed_load();
	db = ps_obj_find(ed, psf_root(ed), PS_OBJ_VM, "db", 2);
	assert_true(psf_set_child(ed, sizeof ed, db, PSF_PROFILE_REF, "ghost",
				  5) >= 0);
	ed_commit();
	load_cur();
	assert_int_equal(ps_cfg_check(cur, psf_total(cur), NULL, NULL), 1);
	/* db without the reference but with web's UUID. */
	ed_load();
	db = ps_obj_find(ed, psf_root(ed), PS_OBJ_VM, "db", 2);
	web = ps_obj_find(ed, psf_root(ed), PS_OBJ_VM, "web", 3);
	ref = psf_find_child(ed, db, PSF_PROFILE_REF);
	assert_true(ref >= 0);
	assert_int_equal(psf_wip_nop(ed, ref), 0);
	wcfg = psf_child_payload(ed, web, PSF_VM_CONFIG, &len);
	assert_non_null(wcfg);
	dcfg = (uint8_t *)psf_child_payload(ed, db, PSF_VM_CONFIG, &len);
	assert_non_null(dcfg);
	memcpy(dcfg + PSF_VMC_UUID, wcfg + PSF_VMC_UUID, 16);
	n = db_write(w, sizeof w);
	snap();
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_CONFLICT);
	assert_unchanged();
	/* The same edit without the UUID only removes the problem: fine. */
	ed_load();
	db = ps_obj_find(ed, psf_root(ed), PS_OBJ_VM, "db", 2);
	assert_int_equal(psf_wip_nop(ed, psf_find_child(ed, db,
							PSF_PROFILE_REF)), 0);
	n = db_write(w, sizeof w);
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_OK);
	load_cur();
	assert_int_equal(ps_cfg_check(cur, psf_total(cur), NULL, NULL), 0);
}

static void test_privilege(void **state)
{
	uint8_t q[7] = { BMC_WRITE_ELEMENT, 1, 0, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(bmc_shim_cmd_priv(BMC_CMD_INFO), BMC_PRIV_OPERATOR);
	assert_int_equal(bmc_shim_cmd_priv(BMC_CMD_WRITE_BEGIN),
			 BMC_PRIV_ADMIN);
	assert_int_equal(bmc_shim_cmd_priv(0x77), 0);
	assert_int_equal(bmc_shim_handle(&shim, BMC_CMD_INFO,
					 BMC_PRIV_OPERATOR, NULL, 0, resp,
					 sizeof resp, &rlen), BMC_CC_OK);
	assert_int_equal(bmc_shim_handle(&shim, BMC_CMD_WRITE_BEGIN,
					 BMC_PRIV_OPERATOR, q, 7, resp,
					 sizeof resp, &rlen),
			 BMC_CC_PRIVILEGE);
	assert_int_equal(bmc_shim_handle(&shim, BMC_CMD_INFO, BMC_PRIV_USER,
					 NULL, 0, resp, sizeof resp, &rlen),
			 BMC_CC_PRIVILEGE);
}

static void test_stale_read(void **state)
{
	uint8_t q[8], sess, w[128];
	size_t n;

	(void)state;
	q[0] = BMC_READ_STORE;
	psf_put_le16(q + 1, 0);
	assert_int_equal(call(BMC_CMD_READ_BEGIN, q, 3), 0);
	sess = resp[0];
	assert_int_equal(call(BMC_CMD_READ_RUN, &sess, 1), 0);
	w[0] = 0;
	n = 1 + net_element(w + 1);
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_OK);
	q[0] = sess;
	psf_put_le32(q + 1, 0);
	q[5] = 16;
	assert_int_equal(call(BMC_CMD_READ_CHUNK, q, 6), BMC_CC_STALE);
}

static void test_chunk_order(void **state)
{
	uint8_t q[32], sess, w[128];
	size_t n;

	(void)state;
	w[0] = 0;
	n = 1 + net_element(w + 1);
	snap();
	q[0] = BMC_WRITE_ELEMENT;
	psf_put_le16(q + 1, (uint16_t)n);
	psf_put_le32(q + 3, 0);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), 0);
	sess = resp[0];
	/* Second chunk first. */
	q[0] = sess;
	psf_put_le16(q + 1, 16);
	memcpy(q + 3, w + 16, 16);
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, q, 19), BMC_CC_SEQUENCE);
	/* Wrong session. */
	q[0] = (uint8_t)(sess + 1);
	psf_put_le16(q + 1, 0);
	memcpy(q + 3, w, 16);
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, q, 19), BMC_CC_SEQUENCE);
	/* Finish before every chunk arrived. */
	q[0] = sess;
	psf_put_le32(q + 1, psf_crc32c(0, w, n));
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5), BMC_CC_SEQUENCE);
	/* Past the announced length. */
	q[0] = BMC_WRITE_ELEMENT;
	psf_put_le16(q + 1, 4);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), 0);
	sess = resp[0];
	q[0] = sess;
	psf_put_le16(q + 1, 0);
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, q, 3 + 5), BMC_CC_TOO_LONG);
	/* All chunks, a wrong CRC. */
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, q, 3 + 4), 0);
	q[0] = sess;
	psf_put_le32(q + 1, 0x12345678);
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5),
			 BMC_CC_INVALID_DATA);
	/* The refused finish ended the session: nothing to abort. */
	q[0] = sess;
	assert_int_equal(call(BMC_CMD_WRITE_ABORT, q, 1), BMC_CC_SEQUENCE);
	assert_int_equal(call(BMC_CMD_WRITE_ABORT, q, 1), BMC_CC_SEQUENCE);
	assert_unchanged();
}

/* ------------------------------------------------------ malformed table */

struct bad {
	const char *what;
	uint8_t cmd;
	uint8_t len;
	uint8_t req[24];
	uint8_t cc;
};

static const struct bad bad_requests[] = {
	{ "unknown command", 0x77, 0, { 0 }, BMC_CC_INVALID_CMD },
	{ "info with data", BMC_CMD_INFO, 1, { 0 }, BMC_CC_BAD_LENGTH },
	{ "overlong request", BMC_CMD_INFO, 23, { 0 }, BMC_CC_BAD_LENGTH },
	{ "read begin short", BMC_CMD_READ_BEGIN, 2, { 1, 0 },
	  BMC_CC_BAD_LENGTH },
	{ "read begin unknown op", BMC_CMD_READ_BEGIN, 3, { 0x66, 0, 0 },
	  BMC_CC_INVALID_DATA },
	{ "read begin args too long", BMC_CMD_READ_BEGIN, 3, { 2, 0, 1 },
	  BMC_CC_TOO_LONG },
	{ "read arg without session", BMC_CMD_READ_ARG, 4, { 9, 0, 0, 1 },
	  BMC_CC_SEQUENCE },
	{ "read arg empty", BMC_CMD_READ_ARG, 3, { 9, 0, 0 },
	  BMC_CC_BAD_LENGTH },
	{ "read run without session", BMC_CMD_READ_RUN, 1, { 9 },
	  BMC_CC_SEQUENCE },
	{ "read run short", BMC_CMD_READ_RUN, 0, { 0 }, BMC_CC_BAD_LENGTH },
	{ "read chunk without run", BMC_CMD_READ_CHUNK, 6,
	  { 9, 0, 0, 0, 0, 16 }, BMC_CC_SEQUENCE },
	{ "read chunk short", BMC_CMD_READ_CHUNK, 5, { 9, 0, 0, 0, 0 },
	  BMC_CC_BAD_LENGTH },
	{ "write begin short", BMC_CMD_WRITE_BEGIN, 3, { 1, 4, 0 },
	  BMC_CC_BAD_LENGTH },
	{ "write begin unknown op", BMC_CMD_WRITE_BEGIN, 7,
	  { 0x66, 4, 0, 0, 0, 0, 0 }, BMC_CC_INVALID_DATA },
	{ "write begin too long", BMC_CMD_WRITE_BEGIN, 7,
	  { 1, 0x01, 0x10, 0, 0, 0, 0 }, BMC_CC_TOO_LONG },
	{ "write chunk without session", BMC_CMD_WRITE_CHUNK, 4,
	  { 7, 0, 0, 1 }, BMC_CC_SEQUENCE },
	{ "write chunk overlong", BMC_CMD_WRITE_CHUNK, 20, { 7 },
	  BMC_CC_BAD_LENGTH },
	{ "write finish without session", BMC_CMD_WRITE_FINISH, 5,
	  { 7, 0, 0, 0, 0 }, BMC_CC_SEQUENCE },
	{ "write finish short", BMC_CMD_WRITE_FINISH, 4, { 7, 0, 0, 0 },
	  BMC_CC_BAD_LENGTH },
	{ "write result without write", BMC_CMD_WRITE_RESULT, 6,
	  { 7, 0, 0, 0, 0, 1 }, BMC_CC_SEQUENCE },
	{ "write abort without session", BMC_CMD_WRITE_ABORT, 1, { 7 },
	  BMC_CC_SEQUENCE },
	{ "lock take short", BMC_CMD_LOCK_TAKE, 1, { 5 }, BMC_CC_BAD_LENGTH },
	{ "lock take lease too long", BMC_CMD_LOCK_TAKE, 2, { 0x59, 0x02 },
	  BMC_CC_OUT_OF_RANGE },
	{ "lock take without a semaphore", BMC_CMD_LOCK_TAKE, 2, { 5, 0 },
	  BMC_CC_NO_SEMAPHORE },
	{ "lock release not held", BMC_CMD_LOCK_RELEASE, 4, { 0 },
	  BMC_CC_SEQUENCE },
	{ "lock release without a token", BMC_CMD_LOCK_RELEASE, 0, { 0 },
	  BMC_CC_BAD_LENGTH },
	{ "write begin token cut", BMC_CMD_WRITE_BEGIN, 9,
	  { 1, 4, 0, 0, 0, 0, 0, 1, 0 }, BMC_CC_BAD_LENGTH },
	{ "write begin with a token, no lock held", BMC_CMD_WRITE_BEGIN, 11,
	  { 1, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, BMC_CC_STALE },
};

/* Whole staged writes that are refused. */
struct bad_write {
	const char *what;
	uint8_t op;
	uint8_t len;
	uint8_t data[40];
	uint8_t cc;
};

static const struct bad_write bad_writes[] = {
	{ "element: no path byte", BMC_WRITE_ELEMENT, 0, { 0 },
	  BMC_CC_BAD_LENGTH },
	{ "element: path cut in a step", BMC_WRITE_ELEMENT, 3, { 1, 1, 0 },
	  BMC_CC_BAD_LENGTH },
	{ "element: unknown path", BMC_WRITE_ELEMENT, 6,
	  { 1, 0x09, 0x01, 0, 0x80, 0 }, BMC_CC_NOT_PRESENT },
	{ "element: too deep a path", BMC_WRITE_ELEMENT, 1, { 16 },
	  BMC_CC_INVALID_DATA },
	{ "element: no element", BMC_WRITE_ELEMENT, 1, { 0 },
	  BMC_CC_INVALID_DATA },
	{ "element: length field lies", BMC_WRITE_ELEMENT, 11,
	  { 0, 0x02, 0, 0, 0, 9, 0, 0, 0, 'x', 'y' }, BMC_CC_INVALID_DATA },
	{ "element: a pad", BMC_WRITE_ELEMENT, 9,
	  { 0, 0, 0, 0, 0, 0, 0, 0, 0 }, BMC_CC_INVALID_DATA },
	{ "element: container size lies", BMC_WRITE_ELEMENT, 13,
	  { 0, 0x0a, 0x01, 0, 0x80, 1, 0, 0, 0, 0, 0, 0, 0 },
	  BMC_CC_INVALID_DATA },
	{ "element: count disagrees with children", BMC_WRITE_ELEMENT, 13,
	  { 0, 0x09, 0x01, 0, 0x80, 3, 0, 0, 0, 0, 0, 0, 0 },
	  BMC_CC_INVALID_DATA },
	{ "element: under a structure", BMC_WRITE_ELEMENT, 27,
	  { 3, 0x01, 0x01, 0, 0x80, 0, 0x02, 0x01, 0, 0x80, 2, 'd', 'b',
	    0x00, 0x02, 0, 0, 0, 0x02, 0, 0, 0, 1, 0, 0, 0, 'x' },
	  BMC_CC_INVALID_DATA },
	{ "delete: trailing bytes", BMC_WRITE_DELETE, 7,
	  { 1, 0x01, 0x01, 0, 0x80, 0, 9 }, BMC_CC_BAD_LENGTH },
	{ "push: bad kind", BMC_WRITE_PROFILE_PUSH, 2, { 9, 0 },
	  BMC_CC_INVALID_DATA },
	{ "push: physical with a VM name", BMC_WRITE_PROFILE_PUSH, 4,
	  { 1, 1, 'a', 0 }, BMC_CC_INVALID_DATA },
	{ "push: VM name cut", BMC_WRITE_PROFILE_PUSH, 3, { 2, 5, 'a' },
	  BMC_CC_BAD_LENGTH },
	{ "push: not a profile", BMC_WRITE_PROFILE_PUSH, 14,
	  { 1, 0, 0x02, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 'd' },
	  BMC_CC_INVALID_DATA },
	{ "push: profile without a name", BMC_WRITE_PROFILE_PUSH, 14,
	  { 1, 0, 0x10, 0x01, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0 },
	  BMC_CC_INVALID_DATA },
	{ "push: no such VM", BMC_WRITE_PROFILE_PUSH, 26,
	  { 2, 2, 'z', 'z', 0x10, 0x01, 0, 0x80, 1, 0, 0, 0, 10, 0, 0, 0,
	    0x01, 0, 0, 0, 2, 0, 0, 0, 'p', 'q' }, BMC_CC_NOT_PRESENT },
	{ "serial alloc: cut", BMC_WRITE_SERIAL_ALLOC, 5,
	  { 2, 'd', 'b', 1, 0 }, BMC_CC_BAD_LENGTH },
	{ "serial alloc: empty VM name", BMC_WRITE_SERIAL_ALLOC, 7,
	  { 0, 1, 0, 0, 0, 0, 0 }, BMC_CC_INVALID_DATA },
	{ "serial alloc: 17 ports", BMC_WRITE_SERIAL_ALLOC, 9,
	  { 2, 'd', 'b', 17, 0, 0, 0, 0, 0 }, BMC_CC_INVALID_DATA },
	{ "serial alloc: bad mode", BMC_WRITE_SERIAL_ALLOC, 9,
	  { 2, 'd', 'b', 1, 7, 0, 0, 0, 0 }, BMC_CC_INVALID_DATA },
	{ "serial alloc: range reversed", BMC_WRITE_SERIAL_ALLOC, 9,
	  { 2, 'd', 'b', 1, 0, 9, 0, 3, 0 }, BMC_CC_INVALID_DATA },
	{ "serial free: trailing bytes", BMC_WRITE_SERIAL_FREE, 4,
	  { 2, 'd', 'b', 0 }, BMC_CC_BAD_LENGTH },
	{ "serial free: no such VM", BMC_WRITE_SERIAL_FREE, 3,
	  { 2, 'x', 'x' }, BMC_CC_NOT_PRESENT },
};

static void test_malformed_table(void **state)
{
	size_t i;

	(void)state;
	snap();
	for (i = 0; i < sizeof bad_requests / sizeof bad_requests[0]; i++) {
		const struct bad *b = &bad_requests[i];
		uint8_t cc = call(b->cmd, b->req, b->len);

		if (cc != b->cc)
			fail_msg("%s: cc 0x%02x, expected 0x%02x", b->what, cc,
				 b->cc);
		assert_int_equal(rlen, 0);
		assert_unchanged();
	}
	for (i = 0; i < sizeof bad_writes / sizeof bad_writes[0]; i++) {
		const struct bad_write *b = &bad_writes[i];
		uint8_t cc = do_write(b->op, b->data, b->len);

		if (cc != b->cc)
			fail_msg("%s: cc 0x%02x, expected 0x%02x", b->what, cc,
				 b->cc);
		assert_unchanged();
	}
	/* After every refusal the shim still works. */
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), BMC_CC_OK);
}

static void test_no_store(void **state)
{
	(void)state;
	memset(disk, 0, sizeof disk);
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), BMC_CC_OK);
	assert_int_equal(resp[20] & 0x02, 0);
	uint8_t q[3] = { BMC_READ_STORE, 0, 0 };
	assert_int_equal(call(BMC_CMD_READ_BEGIN, q, 3), 0);
	q[0] = resp[0];
	assert_int_equal(call(BMC_CMD_READ_RUN, q, 1), BMC_CC_UNSPECIFIED);
}

/* ------------------------------------------------- lock, sessions, busy */

static int sem_holder(void *c)
{
	struct ps_sem_state st;

	(void)c;
	ps_sem_peek(&sem, &st);
	return st.owner;
}

/* As setup_locked, with a lock whose acquire makes one attempt (as the
 * shim requires) and INFO's holder from the semaphore. */
static int setup_nowait(void **state)
{
	setup_locked(state);
	sem.timeout_ms = 0;
	shim.plat.lock_holder = sem_holder;
	return 0;
}

/* Another writer's view of the semaphore (a host tool). */
static struct ps_sem host_sem(void)
{
	struct ps_sem h = sem;

	h.held = 0;
	h.obs_valid = 0;
	h.waiting = 0;
	return h;
}

static void test_lock_keeps_clients_out(void **state)
{
	uint8_t q[2] = { 30, 0 }, t[4], bad[4], w[128];
	uint32_t token, wrong;
	size_t n;

	(void)state;
	w[0] = 0;
	n = 1 + net_element(w + 1);
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_OK);
	token = psf_le32(resp);
	memcpy(t, resp, 4);
	wrong = token + 1;
	psf_put_le32(bad, wrong);
	snap();
	/* Client B: no token, or not the holder's: busy, the BMC holds. */
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_BUSY);
	assert_int_equal(rlen, BMC_SHIM_BUSY_LEN);
	assert_int_equal(resp[0], PS_OWNER_BMC);
	assert_int_equal(do_write_tok(BMC_WRITE_ELEMENT, w, n, &wrong),
			 BMC_CC_BUSY);
	/* B cannot release A's lock. */
	assert_int_equal(call(BMC_CMD_LOCK_RELEASE, bad, 4), BMC_CC_BUSY);
	assert_unchanged();
	/* A writes with its token, then releases. */
	assert_int_equal(do_write_tok(BMC_WRITE_ELEMENT, w, n, &token),
			 BMC_CC_OK);
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), BMC_CC_OK);
	assert_int_equal(resp[20] & 0x01, 0x01);
	assert_int_equal(call(BMC_CMD_LOCK_RELEASE, t, 4), BMC_CC_OK);
	/* A's token names no hold any more: its lock was lost. */
	assert_int_equal(do_write_tok(BMC_WRITE_ELEMENT, w, n, &token),
			 BMC_CC_STALE);
	/* A session begun under a lock since released does not finish
	 * under another hold taken meanwhile: its lock was lost. */
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_OK);
	memcpy(t, resp, 4);
	{
		uint8_t b[12] = { BMC_WRITE_ELEMENT, 1, 0, 0, 0, 0, 0 };
		uint8_t zero = 0, sess;

		memcpy(b + 7, t, 4);
		assert_int_equal(call(BMC_CMD_WRITE_BEGIN, b, 11), 0);
		sess = resp[0];
		b[0] = sess;
		b[1] = b[2] = b[3] = 0;
		assert_int_equal(call(BMC_CMD_WRITE_CHUNK, b, 4), 0);
		assert_int_equal(call(BMC_CMD_LOCK_RELEASE, t, 4), BMC_CC_OK);
		assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_OK);
		memcpy(t, resp, 4);
		psf_put_le32(b + 1, psf_crc32c(0, &zero, 1));
		assert_int_equal(call(BMC_CMD_WRITE_FINISH, b, 5),
				 BMC_CC_STALE);
	}
	assert_int_equal(call(BMC_CMD_LOCK_RELEASE, t, 4), BMC_CC_OK);
	/* A session B began before A took the lock waits for it. */
	snap();
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), BMC_CC_OK);
	memcpy(t, resp, 4);
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_BUSY);
	assert_int_equal(call(BMC_CMD_LOCK_RELEASE, t, 4), BMC_CC_OK);
	assert_unchanged();
}

/* Stage one zero byte for an element write; q gets the finish request
 * with the right CRC. */
static void stage_zero(uint8_t *q)
{
	static const uint8_t zero;

	q[0] = BMC_WRITE_ELEMENT;
	psf_put_le16(q + 1, 1);
	psf_put_le32(q + 3, 0);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), 0);
	q[0] = resp[0];
	psf_put_le16(q + 1, 0);
	q[3] = 0;
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, q, 4), 0);
	psf_put_le32(q + 1, psf_crc32c(0, &zero, 1));
}

/* A refused FINISH ends the session: the right CRC then finds none. */
static void test_refused_finish_ends_session(void **state)
{
	uint8_t q[8], bad[8];

	(void)state;
	snap();
	/* Bad CRC. */
	stage_zero(q);
	memcpy(bad, q, 5);
	psf_put_le32(bad + 1, 0x12345678);
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, bad, 5),
			 BMC_CC_INVALID_DATA);
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5), BMC_CC_SEQUENCE);
	/* Cut short. */
	stage_zero(q);
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 4), BMC_CC_BAD_LENGTH);
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5), BMC_CC_SEQUENCE);
	assert_unchanged();
}

/* One write session at a time: another client's BEGIN is busy until the
 * session ends, its result is read, or it is idle past the limit. */
static void test_write_session_owner(void **state)
{
	uint8_t q[8], a, w[128], r6[6];
	size_t n;

	(void)state;
	bmc_shim_tick(&shim, 1000);
	q[0] = BMC_WRITE_ELEMENT;
	psf_put_le16(q + 1, 4);
	psf_put_le32(q + 3, 0);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), 0);
	a = resp[0];
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), BMC_CC_BUSY);
	assert_int_equal(resp[0], PS_OWNER_BMC);
	/* A's requests keep it alive. */
	bmc_shim_tick(&shim, 1000 + BMC_SHIM_SESSION_IDLE_MS - 1);
	r6[0] = a;
	psf_put_le16(r6 + 1, 0);
	r6[3] = 0;
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, r6, 4), 0);
	bmc_shim_tick(&shim, 1000 + 2 * BMC_SHIM_SESSION_IDLE_MS - 2);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), BMC_CC_BUSY);
	/* Abandoned: it ends, B begins, A's staging is gone. */
	bmc_shim_tick(&shim, 1000 + 2 * BMC_SHIM_SESSION_IDLE_MS);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), 0);
	assert_true(resp[0] != a);
	assert_int_equal(call(BMC_CMD_WRITE_CHUNK, r6, 4), BMC_CC_SEQUENCE);
	q[0] = resp[0];
	assert_int_equal(call(BMC_CMD_WRITE_ABORT, q, 1), 0);
	/* A finished write with a result keeps others out until it is
	 * read. */
	n = alloc_req(w, "db", 1, 7000, "");
	assert_int_equal(do_write(BMC_WRITE_SERIAL_ALLOC, w, n), 0);
	assert_int_equal(psf_le16(resp + 4), 4);
	q[0] = BMC_WRITE_ELEMENT;
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), BMC_CC_BUSY);
	r6[0] = wr_sess;
	psf_put_le32(r6 + 1, 0);
	r6[5] = 4;
	assert_int_equal(call(BMC_CMD_WRITE_RESULT, r6, 6), 0);
	assert_int_equal(call(BMC_CMD_WRITE_BEGIN, q, 7), 0);
}

/* A host writer holds the semaphore: FINISH and LOCK TAKE answer busy at
 * once naming it, keep the session, and break the hold only once the
 * holder stayed silent for its lease. */
static void test_semaphore_held_answers_busy(void **state)
{
	struct ps_sem h = host_sem();
	uint8_t q[8], lk[2] = { 30, 0 }, w[128];
	uint64_t tok, t0;
	size_t n;

	(void)state;
	assert_int_equal(ps_sem_try_acquire(&h, PS_OWNER_AGENT, 300, &tok),
			 0);
	w[0] = 0;
	n = 1 + net_element(w + 1);
	snap();
	t0 = now_ms(NULL);
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_BUSY);
	assert_int_equal(resp[0], PS_OWNER_AGENT);
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, lk, 2), BMC_CC_BUSY);
	assert_true(now_ms(NULL) - t0 < 100);
	assert_unchanged();
	/* The session stays: a retry after the holder released commits. */
	q[0] = wr_sess;
	psf_put_le32(q + 1, psf_crc32c(0, w, n));
	ps_sem_release(&h, tok);
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5), 0);
	/* A holder that dies: busy until its lease passed, then broken. */
	h = host_sem();
	assert_int_equal(ps_sem_try_acquire(&h, PS_OWNER_AGENT, 300, &tok),
			 0);
	snap();
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_BUSY);
	q[0] = wr_sess;
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5), BMC_CC_BUSY);
	assert_unchanged();
	{
		struct timespec ts = { 0, 350 * 1000000L };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(call(BMC_CMD_WRITE_FINISH, q, 5), 0);
}

/* INFO's lock flag clears when another writer broke the client's lock
 * after its lease, and the BMC's timer releases a silent holder's. */
static void test_client_lock_lost(void **state)
{
	struct ps_sem h;
	uint8_t q[2] = { 1, 0 };
	uint64_t tok;

	(void)state;
	bmc_shim_tick(&shim, 10);
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), 0);
	/* Broken by a host writer after the 1 s lease. */
	h = host_sem();
	assert_int_equal(ps_sem_try_acquire(&h, PS_OWNER_OS, 1000, &tok),
			 PS_SEM_ERR_BUSY);
	{
		struct timespec ts = { 1, 50 * 1000000L };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(ps_sem_try_acquire(&h, PS_OWNER_OS, 1000, &tok), 0);
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), 0);
	assert_int_equal(resp[20] & 0x01, 0);
	assert_int_equal(resp[19], PS_OWNER_OS);
	ps_sem_release(&h, tok);
	/* Silent past the lease on the BMC's clock: released by the tick. */
	assert_int_equal(call(BMC_CMD_LOCK_TAKE, q, 2), 0);
	bmc_shim_tick(&shim, 10 + 999);
	assert_int_equal(sem_holder(NULL), PS_OWNER_BMC);
	bmc_shim_tick(&shim, 10 + 1000);
	assert_int_equal(sem_holder(NULL), 0);
	assert_int_equal(call(BMC_CMD_INFO, NULL, 0), 0);
	assert_int_equal(resp[20] & 0x01, 0);
}

/* Completion codes as docs/ipmi-oem.md's table gives them: RUN before
 * every argument chunk is a sequence error (0x80); a name inside an
 * element that the schema refuses is a new schema problem (0x82), a
 * name in an operation's own arguments invalid data (0xCC). */
static void test_codes_agree(void **state)
{
	uint8_t q[8], w[80], sess;
	size_t n = 0;

	(void)state;
	q[0] = BMC_READ_VM;
	psf_put_le16(q + 1, 2);
	assert_int_equal(call(BMC_CMD_READ_BEGIN, q, 3), 0);
	sess = resp[0];
	assert_int_equal(call(BMC_CMD_READ_RUN, &sess, 1), BMC_CC_SEQUENCE);
	/* path: the set of VMs; element: a VM named "bad name" */
	w[n++] = 1;
	psf_put_le32(w + n, PSF_VMS);
	n += 4;
	w[n++] = 0;
	psf_put_le32(w + n, PSF_VM);
	psf_put_le32(w + n + 4, 1);
	psf_put_le32(w + n + 8, 8 + 8);
	psf_put_le32(w + n + 12, PSF_NAME);
	psf_put_le32(w + n + 16, 8);
	memcpy(w + n + 20, "bad name", 8);
	n += 28;
	snap();
	assert_int_equal(do_write(BMC_WRITE_ELEMENT, w, n), BMC_CC_CONFLICT);
	assert_unchanged();
	w[0] = 65;                                /* a 65-byte VM name */
	memset(w + 1, 'a', 65);
	assert_int_equal(do_write(BMC_WRITE_SERIAL_FREE, w, 66),
			 BMC_CC_INVALID_DATA);
	assert_unchanged();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_info, setup),
		cmocka_unit_test_setup(test_read_store_and_vm, setup),
		cmocka_unit_test_setup(test_read_path, setup),
		cmocka_unit_test_setup(test_write_element, setup),
		cmocka_unit_test_setup(test_delete_refused_when_referenced,
				       setup),
		cmocka_unit_test_setup(test_power_gate, setup),
		cmocka_unit_test_setup(test_gate_semaphore, setup_locked),
		cmocka_unit_test_setup(test_lock_sequence, setup_locked),
		cmocka_unit_test_setup(test_serial_alloc_free_list, setup),
		cmocka_unit_test_setup(test_profile_push_pull_physical, setup),
		cmocka_unit_test_setup(test_profile_push_vm, setup),
		cmocka_unit_test_setup(test_push_physical_needs_host_off,
				       setup_locked),
		cmocka_unit_test_setup(test_host_push_keeps_other_profile,
				       setup),
		cmocka_unit_test_setup(test_new_problem_for_an_old_one, setup),
		cmocka_unit_test_setup(test_privilege, setup),
		cmocka_unit_test_setup(test_stale_read, setup),
		cmocka_unit_test_setup(test_chunk_order, setup),
		cmocka_unit_test_setup(test_malformed_table, setup),
		cmocka_unit_test_setup(test_no_store, setup),
		cmocka_unit_test_setup(test_lock_keeps_clients_out,
				       setup_nowait),
		cmocka_unit_test_setup(test_refused_finish_ends_session,
				       setup),
		cmocka_unit_test_setup(test_write_session_owner, setup),
		cmocka_unit_test_setup(test_semaphore_held_answers_busy,
				       setup_nowait),
		cmocka_unit_test_setup(test_client_lock_lost, setup_nowait),
		cmocka_unit_test_setup(test_codes_agree, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
