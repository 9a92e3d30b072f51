/*
 * fuzz_oem.c - the BMC shim's request parser: a sequence of OEM requests
 * (command byte, length, bytes) from the fuzzer, run against a small store
 * on a RAM disk.  Every request must be answered within the response
 * limits, and a refused request must leave the media as it was.
 *
 * A FINISH whose CRC field is zero gets the CRC-32C of the staged bytes
 * filled in, so staged writes reach the commit (element writes, deletes,
 * profile pushes, serial allocation); command byte 0xFF advances the
 * shim's clock by len seconds (bmc_shim_tick), so sessions and locks
 * expire.  Inputs of odd length run on a store in authenticated mode
 * (sealed, the BMC holding the key: every load verified, every commit
 * sealed); command byte 0xFE then takes the key away (every read and
 * write refused with 0x83).  At exit the harness prints how many writes
 * committed, per operation, as evidence that the commit path is reached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmc_shim.h"
#include "psf_schema.h"

#define SECTORS 256u
static uint8_t disk[SECTORS * 512u];
static uint8_t before[SECTORS * 512u];
static uint8_t pristine[SECTORS * 512u];
static uint8_t sealed[SECTORS * 512u];      /* pristine, sealed */
static struct bmc_shim shim;
static unsigned long committed[8];     /* FINISH answered 0, by op */

static void report(void)
{
	fprintf(stderr, "fuzz_oem: commits: element %lu, push %lu, serial "
		"allocate %lu, serial free %lu, delete %lu\n", committed[1],
		committed[2], committed[3], committed[4], committed[5]);
}

static int rd(void *c, uint64_t lba, uint32_t n, void *b)
{
	(void)c;
	memcpy(b, disk + lba * 512u, (size_t)n * 512u);
	return 0;
}
static int wr(void *c, uint64_t lba, uint32_t n, const void *b)
{
	(void)c;
	memcpy(disk + lba * 512u, b, (size_t)n * 512u);
	return 0;
}
static int fl(void *c)
{
	(void)c;
	return 0;
}
static const struct ps_media_ops ops = { rd, wr, fl, NULL };
static int power(void *c)
{
	(void)c;
	return BMC_POWER_AUX;
}

/* The BMC's key and counter (docs/store.md 8). */
static const uint8_t KEY[32] = "fuzz-oem-key-0123456789abcdefghi";
static int have_key, have_counter;
static uint64_t counter;

static int get_key(void *c, uint8_t *k)
{
	(void)c;
	if (!have_key)
		return PS_ERR_NOKEY;
	memcpy(k, KEY, sizeof KEY);
	return PS_OK;
}
static int get_counter(void *c, uint64_t *v)
{
	(void)c;
	*v = counter;
	return have_counter ? PS_OK : PS_ERR_NOKEY;
}
static int set_counter(void *c, uint64_t v)
{
	(void)c;
	if (have_counter && v < counter)
		return PS_ERR_AUTH;
	counter = v;
	have_counter = 1;
	return PS_OK;
}
static const struct ps_auth_provider auth = { NULL, get_key, get_counter,
					      set_counter };

static void make_pristine(void)
{
	static uint8_t buf[16384];
	struct ps_media m;
	struct ps_disk d;
	struct ps_format_opts o = { 0 };
	uint8_t sector[512];
	int vm;

	ps_media_init(&m, &ops, NULL, 512, SECTORS);
	ps_format(&d, &m, &o, sector);
	ps_read(&d, &m, buf, sizeof buf);
	vm = ps_obj_create(buf, sizeof buf, psf_root(buf), PS_OBJ_VM, "web",
			   3, NULL);
	ps_obj_create(buf, sizeof buf, vm, PS_OBJ_NIC, "eth0", 4, NULL);
	psf_finish(buf);
	ps_commit(&d, buf, sector, NULL);
	memcpy(pristine, disk, sizeof disk);
	{
		struct ps_auth au;
		struct ps_commit_args a = { .owner = PS_OWNER_OS, .auth = &au };

		ps_auth_arm(&au, KEY, 1, 1);
		ps_commit(&d, buf, sector, &a);
		memcpy(sealed, disk, sizeof disk);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bmc_shim_platform p = { 0 };
	static int ready;
	uint8_t resp[BMC_SHIM_RESP_MAX];
	size_t pos = 0, rl;

	uint64_t clock = 0;

	if (!ready) {
		make_pristine();
		atexit(report);
		ready = 1;
	}
	memcpy(disk, size & 1 ? sealed : pristine, sizeof disk);
	have_key = 1;
	have_counter = 0;
	p.auth = size & 1 ? &auth : NULL;
	p.media_ops = &ops;
	p.sectors = SECTORS;
	p.host_power = power;
	p.gate = BMC_GATE_HOST_OFF;
	if (bmc_shim_init(&shim, &p))
		abort();
	/* Requests: [cmd][len][len bytes]... */
	while (size - pos >= 2) {
		uint8_t cmd = data[pos], len = data[pos + 1], cc, q[256], op;

		pos += 2;
		if (len > size - pos)
			len = (uint8_t)(size - pos);
		if (cmd == 0xFE) {
			have_key = 0;
			continue;
		}
		if (cmd == 0xFF) {
			clock += 1000u * len;
			bmc_shim_tick(&shim, clock);
			continue;
		}
		memcpy(q, data + pos, len);
		if (cmd == BMC_CMD_WRITE_FINISH && len == 5 &&
		    !(q[1] | q[2] | q[3] | q[4]) &&
		    shim.wr_len <= sizeof shim.stage)
			psf_put_le32(q + 1, psf_crc32c(0, shim.stage,
						       shim.wr_len));
		op = shim.wr_op;
		memcpy(before, disk, sizeof disk);
		cc = bmc_shim_handle(&shim, cmd, BMC_PRIV_ADMIN, q, len, resp,
				     sizeof resp, &rl);
		if (rl > BMC_SHIM_RESP_MAX ||
		    (cc && rl && !(cc == BMC_CC_BUSY &&
				   rl == BMC_SHIM_BUSY_LEN) &&
		     !(cc == BMC_CC_UNVERIFIED &&
		       rl == BMC_SHIM_UNVERIFIED_LEN)))
			abort();
		if (cmd == BMC_CMD_WRITE_FINISH && !cc && op < 8)
			committed[op]++;
		if (cc && memcmp(before, disk, sizeof disk))
			abort();     /* a refusal wrote to the media */
		pos += len;
	}
	return 0;
}
