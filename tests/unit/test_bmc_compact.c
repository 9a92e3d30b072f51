/*
 * test_bmc_compact.c - the BMC shim's store never fills with garbage
 * (docs/store.md section 7): the two scenarios through the OEM
 * handlers in-process (rewrites of one 3.2 KB VM on a 64 KiB slot; 400
 * delete + create steps on 15 VMs), and a power cut at every sector write
 * of a compaction the shim makes, over the fault-injecting media.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bmc_shim.h"
#include "psf_schema.h"
#include "../../bench/bmc_inproc.h"
#include "../../bench/churn_ops.h"

#define SS 512u
#define SLOT_SECTORS 129u              /* 64 KiB of body per slot */
#define SECTORS (2u + 2u * SLOT_SECTORS)
#define CAP (64u * 1024u)

static uint8_t disk[SECTORS * SS], saved[SECTORS * SS];
static uint8_t scratch[CAP], got[CAP], old_store[CAP], new_store[CAP];
static struct ps_media ram, fmedia;
static struct ps_fault fault;
static struct bmc_shim shim;


/* Format the RAM disk with the store in scratch, then start the shim on
 * it through the fault media (crash_at 0: it only counts). */
static void start(int format)
{
	struct ps_format_opts o = { .slot_count = 2,
				    .slot_sectors = SLOT_SECTORS };
	uint8_t sector[SS];
	struct ps_disk d;

	if (format) {
		memset(disk, 0, sizeof disk);
		assert_int_equal(ps_media_init_mem(&ram, disk, SS, SECTORS), 0);
		assert_int_equal(psf_finish(scratch), 0);
		o.store = scratch;
		o.store_len = psf_total(scratch);
		assert_int_equal(ps_format(&d, &ram, &o, sector), 0);
	}
	assert_int_equal(ps_media_init_fault(&fmedia, &fault, &ram), 0);
	assert_int_equal(bip_init(&shim, &fmedia, SECTORS), 0);
}

static void empty_scratch(void)
{
	struct psf_builder b;

	memset(scratch, 0, sizeof scratch);
	psf_build_begin(&b, scratch, sizeof scratch, PSF_ROOT,
			PSF_SCHEMA_VERSION, 0);
	assert_true(psf_build_finish(&b) > 0);
}

/* ----------------------------------------------------------- requests */

static uint8_t resp[64];
static size_t rlen;

static uint8_t write_op(uint8_t op, const uint8_t *data, size_t n)
{
	uint8_t sess;

	return bip_write(&shim, op, data, n, NULL, resp, sizeof resp, &rlen,
			 &sess);
}

static uint8_t req[BMC_SHIM_STAGE_MAX];

/* Element write of VM id (built alone in scratch with desc bytes of
 * description and nics NICs) under VMS: replaces a VM of that name. */
static uint8_t put_vm(unsigned id, unsigned desc, unsigned nics,
		      uint32_t *elen)
{
	const uint8_t *el;
	uint32_t len;

	empty_scratch();
	assert_true(churn_vm_create(scratch, CAP, id, desc, nics) >= 0);
	el = churn_elem(scratch, churn_find_vm(scratch, id), &len);
	assert_non_null(el);
	assert_true(6 + len <= sizeof req);
	req[0] = 1;                              /* one step: VMS */
	psf_put_le32(req + 1, PSF_VMS);
	req[5] = 0;
	memcpy(req + 6, el, len);
	if (elen)
		*elen = len;
	return write_op(BMC_WRITE_ELEMENT, req, 6 + len);
}

static uint8_t delete_vm(unsigned id)
{
	char name[32];
	int n = churn_vm_name(name, sizeof name, id);

	req[0] = 2;                              /* VMS, then VM by name */
	psf_put_le32(req + 1, PSF_VMS);
	req[5] = 0;
	psf_put_le32(req + 6, PSF_VM);
	req[10] = (uint8_t)n;
	memcpy(req + 11, name, (size_t)n);
	return write_op(BMC_WRITE_DELETE, req, 11 + (size_t)n);
}

/* The store on media now, within docs/store.md 7.2's limit and the
 * shim's buffer.  Its length. */
static uint32_t media_within(struct ps_space *sp)
{
	struct ps_disk d;

	assert_int_equal(ps_read(&d, &ram, got, sizeof got), 0);
	assert_true(churn_within(got, sp));
	assert_true(d.length <= CAP);
	return d.length;
}

/* ----------------------------------------------------------- scenarios */

/* One 3.2 KB VM rewritten 60 times through element writes, its size
 * changing: 19 filled the 64 KiB slot before pads were reused. */
static void test_rewrites_of_one_vm(void **state)
{
	struct ps_space sp;
	uint32_t elen = 0, len, peak = 0;
	unsigned i;

	(void)state;
	empty_scratch();
	assert_true(churn_vm_create(scratch, CAP, 1, 255, 26) >= 0);
	start(1);
	for (i = 0; i < 60; i++) {
		assert_int_equal(put_vm(1, i % 3 ? 255 : 40,
					i % 2 ? 26 : 24, &elen), BMC_CC_OK);
		len = media_within(&sp);
		peak = len > peak ? len : peak;
	}
	assert_true(elen > 3000);
	print_message("60 rewrites of a %u-byte VM: store peak %u bytes, "
		      "live %u\n", elen, peak, sp.live);
	assert_true(peak < 2 * elen + sp.budget);
}

/* 15 VMs, then 400 steps of deleting one and writing a new one, both
 * through the BMC: every write succeeds and the store never passes the
 * limit (it grew past the shim's 64 KiB buffer). */
static void test_delete_create_400(void **state)
{
	unsigned live[15], next = 0, i, k;
	uint64_t rng = 99;
	struct ps_space sp;
	uint32_t len, peak = 0;

	(void)state;
	empty_scratch();
	for (i = 0; i < 15; i++) {
		live[i] = next++;
		assert_true(churn_vm_create(scratch, CAP, live[i], 200, 10) >=
			    0);
	}
	start(1);
	for (i = 0; i < 400; i++) {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		k = (unsigned)(rng % 15);
		assert_int_equal(delete_vm(live[k]), BMC_CC_OK);
		live[k] = next++;
		assert_int_equal(put_vm(live[k], (unsigned)(rng >> 8) % 256,
					1 + (unsigned)(rng >> 16) % 20, NULL),
				 BMC_CC_OK);
		len = media_within(&sp);
		peak = len > peak ? len : peak;
	}
	print_message("400 BMC delete+create steps: peak %u bytes, live "
		      "%u, budget %u\n", peak, sp.live, sp.budget);
}

/* A store whose garbage is under the threshold but whose new VMs do not
 * fit the shim's 64 KiB buffer beside it: the shim compacts and applies
 * the write again instead of refusing for space. */
static void test_full_buffer_compacts(void **state)
{
	struct ps_space sp;
	uint32_t elen = 0, len, g0;
	unsigned id, n = 0;

	(void)state;
	empty_scratch();
	for (id = 0; id < 14; id++)
		assert_true(churn_vm_create(scratch, CAP, id, 255, 26) >= 0);
	for (id = 1; id < 14; id += 5)
		assert_int_equal(churn_vm_delete(scratch, id), 0);
	assert_int_equal(psf_finish(scratch), 0);
	assert_int_equal(ps_space(scratch, &sp), 0);
	assert_true(sp.garbage > 9000 && !ps_compact_due(&sp));
	g0 = sp.garbage;
	start(1);
	do {
		assert_int_equal(put_vm(100 + n, 255, 30, &elen), BMC_CC_OK);
		n++;
		len = media_within(&sp);
	} while (sp.live + elen + sp.budget < CAP - 2048);
	/* Without compaction these did not fit beside the garbage. */
	assert_true(shim.compactions >= 1);
	assert_true(len + g0 > CAP);
	print_message("%u VMs of %u bytes written, store %u bytes, %u "
		      "compactions\n", n, elen, len, shim.compactions);
}

/* ------------------------------------------------------ crash tests */

/* A store one delete away from compaction, in scratch: the id. */
static unsigned near_threshold(void)
{
	struct ps_space sp;
	unsigned id;

	empty_scratch();
	for (id = 0; id < 12; id++)
		assert_true(churn_vm_create(scratch, CAP, id, 255, 8) >= 0);
	for (id = 0; id < 12; id += 2) {
		memcpy(got, scratch, psf_total(scratch));
		assert_int_equal(churn_vm_delete(got, id), 0);
		assert_int_equal(psf_finish(got), 0);
		assert_int_equal(ps_space(got, &sp), 0);
		if (ps_compact_due(&sp))
			return id;
		assert_int_equal(churn_vm_delete(scratch, id), 0);
	}
	fail_msg("no delete made compaction due");
	return 0;
}

/* Power cut at every sector write of the BMC delete that compacts (torn
 * at 0 or 256 bytes, or whole; three fills): the media holds the old
 * store or the new one, and the delete goes through after a restart. */
static void test_compaction_crash(void **state)
{
	unsigned id = near_threshold(), tear, points = 0, olds = 0;
	uint32_t old_len, new_len;
	uint64_t n, k, gen;
	struct ps_disk d;
	int fill;

	(void)state;
	fault = (struct ps_fault){ 0 };
	start(1);
	memcpy(saved, disk, sizeof disk);
	assert_int_equal(ps_read(&d, &ram, old_store, CAP), 0);
	old_len = d.length;
	gen = d.generation;
	assert_int_equal(delete_vm(id), BMC_CC_OK);
	n = fault.writes;
	assert_int_equal(ps_read(&d, &ram, new_store, CAP), 0);
	new_len = d.length;
	assert_true(new_len < old_len);          /* it compacted */
	print_message("BMC compaction: %u -> %u bytes, %llu sector writes\n",
		      old_len, new_len, (unsigned long long)n);

	for (k = 1; k <= n; k++)
		for (tear = 0; tear <= SS; tear += SS / 2)
			for (fill = 0; fill < (tear < SS ? 3 : 1); fill++) {
				memcpy(disk, saved, sizeof disk);
				fault = (struct ps_fault){ .crash_at = k,
					.tear_bytes = tear,
					.fill = (enum ps_fault_fill)fill };
				start(0);
				assert_int_not_equal(delete_vm(id), BMC_CC_OK);
				assert_true(fault.crashed);
				points++;
				assert_int_equal(ps_read(&d, &ram, got, CAP), 0);
				if (d.generation == gen + 1) {
					assert_int_equal(d.length, new_len);
					assert_memory_equal(got, new_store,
							    new_len);
					continue;
				}
				olds++;
				assert_int_equal(d.generation, gen);
				assert_int_equal(d.length, old_len);
				assert_memory_equal(got, old_store, old_len);
				fault = (struct ps_fault){ 0 };
				start(0);
				assert_int_equal(delete_vm(id), BMC_CC_OK);
				assert_int_equal(ps_read(&d, &ram, got, CAP), 0);
				assert_memory_equal(got, new_store, new_len);
			}
	print_message("%u crash points in the BMC's compaction, %u left the "
		      "old store\n", points, olds);
	assert_true(olds > 0 && olds < points);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrites_of_one_vm),
		cmocka_unit_test(test_delete_create_400),
		cmocka_unit_test(test_full_buffer_compacts),
		cmocka_unit_test(test_compaction_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
