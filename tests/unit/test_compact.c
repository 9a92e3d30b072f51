/*
 * test_compact.c - freed space is reused and garbage compacted
 * (docs/store.md section 7): pads merged (psf_pad_merge), a new VM taking
 * a deleted one's bytes in place (ps__place through ps_obj_create), NIC
 * order kept, ps_compact keeping every element and each container's room,
 * the threshold, the 400 delete+create steps through ps_update,
 * and a power cut at every sector write of a compacting commit.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ps_test_util.h"
#include "../../bench/churn_ops.h"

#define SS 512u
#define CAP (256u * 1024u)

static uint8_t buf[CAP], copy[CAP];

/* An empty pstate store in buf. */
static void empty_store(void)
{
	struct psf_builder b;

	memset(buf, 0, sizeof buf);
	assert_int_equal(psf_build_begin(&b, buf, sizeof buf, PSF_ROOT,
					 PSF_SCHEMA_VERSION, 0), 0);
	assert_true(psf_build_finish(&b) > 0);
}

static uint32_t count_of(const void *b, int c)
{
	struct psf_elem e;

	assert_int_equal(psf_elem(b, c, &e), 0);
	return e.count;
}

/* ---------------------------------------------------------- pad merge */

static void test_pad_merge(void **state)
{
	struct psf_builder b;
	int vms, p0, p1, vm1;
	uint32_t n;

	(void)state;
	memset(buf, 0, sizeof buf);
	psf_build_begin(&b, buf, sizeof buf, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	pst_vm(&b, 0, 0);
	psf_build_struct(&b, PSF_PAD, NULL, 8);
	psf_build_struct(&b, PSF_PAD, NULL, 16);
	psf_build_struct(&b, PSF_PAD, NULL, 0);
	pst_vm(&b, 1, 0);
	psf_build_struct(&b, PSF_PAD, NULL, 4);
	psf_build_close(&b);
	n = (uint32_t)psf_build_finish(&b);
	vms = pst_vms(buf);
	p0 = psf_next_child_raw(buf, vms, psf_first_child_raw(buf, vms));
	p1 = psf_next_child_raw(buf, vms, p0);
	vm1 = pst_vm_at(buf, 1);
	assert_int_equal(count_of(buf, vms), 6);
	memcpy(copy, buf, n);

	/* Three pads (16 + 24 + 8 bytes) become one; nothing moves. */
	assert_int_equal(psf_pad_merge(buf, p0), 48);
	assert_int_equal(count_of(buf, vms), 4);
	assert_int_equal(psf_total(buf), n);
	assert_int_equal(psf_sig(buf, p0), PSF_PAD);
	assert_int_equal(psf_next_child_raw(buf, vms, p0), vm1);
	assert_memory_equal(buf + vm1, copy + vm1, n - (uint32_t)vm1);
	assert_memory_equal(buf + p0 + 8, "\0\0\0\0\0\0\0\0", 8);
	(void)p1;
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(psf_check_full(buf, n, NULL), 0);
	/* A lone pad stays as it is; a real element is refused. */
	assert_int_equal(psf_pad_merge(buf, p0), 48);
	assert_int_equal(psf_pad_merge(buf, vm1), PSF_ERR_BADVALUE);
	assert_int_equal(psf_pad_merge(buf, psf_root(buf)), PSF_ERR_BADVALUE);
}

/* ------------------------------------------------------------- reuse */

/* A VM deleted in the middle of the set: a new one of the same size goes
 * in its place, and the store does not grow.  NICs keep their order. */
static void test_create_reuses_pad(void **state)
{
	uint32_t total;
	int vm2, vm, nic, k;
	const char *want[] = { "nic-1", "nic-2", "nic-3" };

	(void)state;
	empty_store();
	for (k = 0; k < 6; k++)
		assert_true(churn_vm_create(buf, CAP, (unsigned)k, 100, 2) >= 0);
	total = psf_total(buf);
	vm2 = churn_find_vm(buf, 2);
	assert_int_equal(churn_vm_delete(buf, 2), 0);
	assert_int_equal(psf_total(buf), total);
	vm = churn_vm_create(buf, CAP, 7, 100, 2);
	assert_int_equal(vm, vm2);
	assert_int_equal(psf_total(buf), total);
	/* A smaller one too, and the rest stays a pad for the next. */
	assert_int_equal(churn_vm_delete(buf, 4), 0);
	vm2 = churn_find_vm(buf, 5);
	assert_true(churn_vm_create(buf, CAP, 8, 10, 1) >= 0);
	assert_true(churn_find_vm(buf, 8) < vm2);
	assert_int_equal(psf_total(buf), total);
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(ps_cfg_check(buf, psf_total(buf), NULL, NULL), 0);

	/* NICs: a new one goes after the last, whatever pad is free. */
	vm = churn_find_vm(buf, 0);
	nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
	assert_int_equal(ps_obj_delete(buf, nic, PS_OBJ_NIC, NULL), 0);
	for (k = 2; k <= 3; k++) {
		char name[8];
		int n = snprintf(name, sizeof name, "nic-%d", k);

		vm = churn_find_vm(buf, 0);
		assert_true(ps_obj_create(buf, CAP, vm, PS_OBJ_NIC, name,
					  (size_t)n, NULL) >= 0);
	}
	vm = churn_find_vm(buf, 0);
	k = 0;
	for (nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); nic >= 0;
	     nic = ps_obj_next(buf, vm, PS_OBJ_NIC, nic), k++) {
		uint32_t len;
		const char *s = psf_child_payload(buf, nic, PSF_NAME, &len);

		assert_true(k < 3);
		assert_true(len >= strlen(want[k]));
		assert_memory_equal(s, want[k], strlen(want[k]));
	}
	assert_int_equal(k, 3);
}

/* --------------------------------------------------------- compaction */

/* Every non-pad element in file order, as (depth, signature, payload
 * CRC), into out; returns how many. */
static unsigned walk(const uint8_t *b, uint32_t *out, unsigned max)
{
	int par[PSF_MAX_DEPTH], cur[PSF_MAX_DEPTH], d = 0;
	unsigned n = 0;

	par[0] = psf_root(b);
	cur[0] = psf_first_child_raw(b, par[0]);
	while (d >= 0) {
		struct psf_elem e;
		int c = cur[d];

		if (c < 0) {
			if (--d >= 0)
				cur[d] = psf_next_child_raw(b, par[d], cur[d]);
			continue;
		}
		assert_int_equal(psf_elem(b, c, &e), 0);
		if (e.sig != PSF_PAD) {
			assert_true(n + 3 <= max);
			out[n++] = (uint32_t)d;
			out[n++] = e.sig;
			out[n++] = PSF_SIG_IS_CONTAINER(e.sig)
					   ? 0
					   : psf_crc32c(0, b + e.data, e.count);
		}
		if (e.sig != PSF_PAD && PSF_SIG_IS_CONTAINER(e.sig)) {
			assert_true(d + 1 < (int)PSF_MAX_DEPTH);
			par[++d] = c;
			cur[d] = psf_first_child_raw(b, c);
			continue;
		}
		cur[d] = psf_next_child_raw(b, par[d], c);
	}
	return n;
}

/* Pads in a container: at most one, at its end, of at most its room. */
static void pads_at_end(const uint8_t *b, int c)
{
	int ch, last = -1;

	psf_for_each_child_raw(b, c, ch) {
		if (last >= 0)
			assert_int_not_equal(psf_sig(b, last), PSF_PAD);
		if (PSF_SIG_IS_CONTAINER(psf_sig(b, ch)))
			pads_at_end(b, ch);
		last = ch;
	}
}

static uint32_t before_w[30000], after_w[30000];

static void test_compact_keeps_elements(void **state)
{
	struct ps_space sp;
	unsigned nb, na, k;
	int freed, vm, nic;

	(void)state;
	empty_store();
	for (k = 0; k < 10; k++)
		assert_true(churn_vm_create(buf, CAP, k, 50 + 20 * k, 4) >= 0);
	for (k = 1; k < 10; k += 2)
		assert_int_equal(churn_vm_delete(buf, k), 0);
	vm = churn_find_vm(buf, 0);
	nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
	assert_int_equal(ps_obj_delete(buf, nic, PS_OBJ_NIC, NULL), 0);
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(ps_space(buf, &sp), 0);
	assert_true(sp.garbage > 0);
	assert_int_equal(sp.total, psf_total(buf));
	assert_int_equal(sp.live + sp.pads, sp.total);
	nb = walk(buf, before_w, 30000);

	freed = ps_compact(buf);
	assert_int_equal((uint32_t)freed, sp.total - sp.after);
	assert_true(freed >= (int)sp.garbage);
	assert_int_equal(psf_total(buf), sp.after);
	assert_int_equal(psf_check_full(buf, psf_total(buf), NULL), 0);
	na = walk(buf, after_w, 30000);
	assert_int_equal(na, nb);
	assert_memory_equal(after_w, before_w, nb * sizeof(uint32_t));
	pads_at_end(buf, psf_root(buf));
	assert_int_equal(ps_cfg_check(buf, psf_total(buf), NULL, NULL), 0);
	assert_int_equal(ps_space(buf, &sp), 0);
	assert_int_equal(sp.garbage, 0);
	assert_int_equal(sp.after, sp.total);
	assert_true(sp.pads <= sp.budget);
	/* Each VM kept its room: a description grows in place. */
	vm = churn_find_vm(buf, 2);
	assert_int_equal(churn_set_text(buf, CAP, vm, PS_OBJ_VM, "description",
					200, 3), 0);
	assert_int_equal(psf_total(buf), sp.total);
	/* Again: nothing left to free, same bytes. */
	assert_int_equal(psf_finish(buf), 0);
	memcpy(copy, buf, psf_total(buf));
	assert_int_equal(ps_compact(buf), 0);
	assert_memory_equal(buf, copy, psf_total(buf));
}

static void test_compact_due(void **state)
{
	struct ps_space sp = { .total = 3000, .live = 1000, .garbage = 500,
			       .after = 1200 };

	(void)state;
	assert_int_equal(ps_compact_due(&sp), 0);
	sp.garbage = 501;
	assert_int_equal(ps_compact_due(&sp), 1);
	/* Past the BMC shim's buffer: compacted when that brings it back. */
	sp = (struct ps_space){ .total = PS_COMPACT_BMC_MAX + 1,
				.live = 60000, .garbage = 100,
				.after = PS_COMPACT_BMC_MAX };
	assert_int_equal(ps_compact_due(&sp), 1);
	sp.after = PS_COMPACT_BMC_MAX + 1;
	assert_int_equal(ps_compact_due(&sp), 0);
	sp.total = PS_COMPACT_BMC_MAX;
	sp.after = 60000;
	assert_int_equal(ps_compact_due(&sp), 0);
	/* A damaged tree is refused, unchanged. */
	empty_store();
	assert_true(churn_vm_create(buf, CAP, 1, 10, 1) >= 0);
	assert_int_equal(psf_finish(buf), 0);
	psf_put_le32(buf + pst_vms(buf) + 4, 7);
	memcpy(copy, buf, psf_total(buf));
	assert_true(ps_compact(buf) < 0);
	assert_memory_equal(buf + 32, copy + 32, psf_total(buf) - 32);
}

/*
 * The commit's tree check counts the pads (psf_check_tree_pads), and
 * ps_compact_may_be_due decides from that count whether the measure's
 * walk is needed.  It must never say 0 when the measure would compact:
 * random VM creates and deletes, checked after each against ps_space.
 */
static void test_may_be_due(void **state)
{
	struct ps_space sp;
	uint64_t rng = 7;
	unsigned k, due = 0, spared = 0;
	uint32_t pads = 1;

	(void)state;
	empty_store();
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(psf_check_tree_pads(buf, CAP, NULL, &pads), 0);
	assert_int_equal(pads, 0);
	assert_int_equal(ps_compact_may_be_due(psf_total(buf), 0), 0);
	for (k = 0; k < 300; k++) {
		unsigned id = (unsigned)(pst_rand(&rng) % 12);

		if (churn_find_vm(buf, id) >= 0)
			assert_int_equal(churn_vm_delete(buf, id), 0);
		else
			assert_true(churn_vm_create(buf, CAP, id,
				(unsigned)(pst_rand(&rng) % 200),
				1 + (unsigned)(pst_rand(&rng) % 6)) >= 0);
		assert_int_equal(psf_finish(buf), 0);
		assert_int_equal(ps_space(buf, &sp), 0);
		assert_int_equal(psf_check_tree_pads(buf, CAP, NULL, &pads), 0);
		assert_int_equal(pads, sp.pads);
		if (ps_compact_due(&sp)) {
			assert_int_equal(ps_compact_may_be_due(sp.total, pads),
					 1);
			due++;
			assert_true(ps_compact(buf) > 0);
		} else {
			spared += !ps_compact_may_be_due(sp.total, pads);
		}
	}
	/* Both sides were exercised: compactions, and walks spared. */
	print_message("300 steps: %u compactions, %u measures spared\n", due,
		      spared);
	assert_true(due > 0);
	assert_true(spared > 0);
	/* Past the BMC shim's buffer, pads that could bring it back. */
	assert_int_equal(ps_compact_may_be_due(PS_COMPACT_BMC_MAX + 100, 100),
			 1);
	assert_int_equal(ps_compact_may_be_due(PS_COMPACT_BMC_MAX + 100, 99),
			 0);
}

/*
 * The measure before each commit walks the store without checking the
 * tree first (ps_commit does that): on bad bytes it must stay inside its
 * stack and buffer and give the tree check's error.  A nest deeper than
 * PSF_MAX_DEPTH, and a damaged count, each refused unchanged.
 */
static void test_if_due_bad_tree(void **state)
{
	uint32_t root, k, n = PSF_MAX_DEPTH + 4;

	(void)state;
	empty_store();
	root = (uint32_t)psf_root(buf);
	for (k = 0; k < n; k++) {
		uint32_t at = root + PSF_CONTAINER_HDR * (k + 1);

		psf_put_le32(buf + at, PSF_VMS);
		psf_put_le32(buf + at + 4, k + 1 < n);
		psf_put_le32(buf + at + 8, PSF_CONTAINER_HDR * (n - k - 1));
	}
	psf_put_le32(buf + root + 4, 1);
	psf_put_le32(buf + root + 8, PSF_CONTAINER_HDR * n);
	psf_put_le32(buf + PSF_HDR_TOTAL, root + PSF_CONTAINER_HDR * (n + 1));
	assert_int_equal(psf_finish(buf), 0);
	memcpy(copy, buf, psf_total(buf));
	assert_int_equal(ps_compact_if_due(buf), PSF_ERR_TOODEEP);
	assert_memory_equal(buf, copy, psf_total(copy));
	/* A count that disagrees: the walk passes, the commit's check
	 * would not; the measure leaves it (and the bytes) alone. */
	empty_store();
	assert_true(churn_vm_create(buf, CAP, 1, 10, 1) >= 0);
	assert_int_equal(psf_finish(buf), 0);
	psf_put_le32(buf + pst_vms(buf) + 4, 7);
	memcpy(copy, buf, psf_total(buf));
	assert_true(ps_compact_if_due(buf) <= 0);
	assert_memory_equal(buf, copy, psf_total(copy));
	assert_int_equal(psf_check_tree(buf, psf_total(buf), NULL),
			 PSF_ERR_BADCOUNT);
}

/* ------------------------------------------------- issue scenario: psctl */

struct step {
	int del;            /* delete vm-id, else create it */
	unsigned id, desc, nics;
};

static int edit_step(void *b, size_t cap, void *arg)
{
	const struct step *s = arg;
	int rc = s->del ? churn_vm_delete(b, s->id)
			: churn_vm_create(b, cap, s->id, s->desc, s->nics);

	return rc < 0 ? rc : 0;
}

static struct ps_store *ram_store(struct ps_media *m, uint8_t **mem,
				  uint32_t slot_sectors)
{
	struct ps_format_opts o = { .slot_count = 2,
				    .slot_sectors = slot_sectors };
	uint64_t n = 2 + 2ull * slot_sectors;
	uint8_t sector[SS];
	struct ps_disk d;
	struct ps_store *s;
	int err;

	*mem = pst_ramdisk(m, SS, n);
	assert_non_null(*mem);
	assert_int_equal(ps_format(&d, m, &o, sector), 0);
	s = ps_store_open(m, &err);
	assert_non_null(s);
	return s;
}

/* 15 VMs, then 400 steps of deleting one and creating another of a
 * random size, through ps_update as psctl commits: every step commits,
 * and the store stays within 1.5 x live + budget and within the BMC
 * shim's buffer (it grew to 104 KB before compaction). */
static void test_delete_create_400(void **state)
{
	struct ps_media m;
	uint8_t *mem;
	struct ps_store *s = ram_store(&m, &mem, 1024);
	unsigned live[15], next = 0, i, peak = 0;
	uint64_t rng = 12;
	struct ps_space sp;
	struct step st;
	uint32_t len;

	(void)state;
	for (i = 0; i < 15; i++) {
		st = (struct step){ 0, next, 200, 12 };
		live[i] = next++;
		assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
	}
	for (i = 0; i < 400; i++) {
		unsigned k = (unsigned)(pst_rand(&rng) % 15);

		st = (struct step){ 1, live[k], 0, 0 };
		assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
		st = (struct step){ 0, next, (unsigned)(pst_rand(&rng) % 256),
				    1 + (unsigned)(pst_rand(&rng) % 20) };
		live[k] = next++;
		assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
		assert_true(churn_within(ps_store_data(s, NULL), &sp));
		len = sp.total;
		assert_true(len <= PS_COMPACT_BMC_MAX);
		peak = len > peak ? len : peak;
	}
	print_message("400 delete+create steps: peak %u bytes, last %u "
		      "(live %u, budget %u)\n", peak, len, sp.live, sp.budget);
	ps_store_close(s);
	free(mem);
}

/* Size of VM id with desc bytes and nics NICs, built alone. */
static uint32_t vm_size(unsigned id, unsigned desc, unsigned nics)
{
	uint32_t len = 0;

	empty_store();
	assert_true(churn_vm_create(buf, CAP, id, desc, nics) >= 0);
	assert_non_null(churn_elem(buf, churn_find_vm(buf, id), &len));
	return len;
}

/* Network net-N created (*arg >= 0) or deleted (~N). */
static int edit_net(void *b, size_t cap, void *arg)
{
	int n = *(int *)arg, k = n < 0 ? ~n : n, el;
	char name[16];
	int len = snprintf(name, sizeof name, "net-%d", k);

	if (n >= 0)
		el = ps_obj_create(b, cap, psf_root(b), PS_OBJ_NETWORK, name,
				   (size_t)len, NULL);
	else if ((el = ps_obj_find(b, psf_root(b), PS_OBJ_NETWORK, name,
				   (size_t)len)) >= 0)
		el = ps_obj_delete(b, el, PS_OBJ_NETWORK, NULL);
	return el < 0 ? el : 0;
}

/* An edit that does not fit the slot, but would once the garbage is
 * gone, goes through: ps_update compacts and tries it again.  The
 * garbage: deleted networks, room no part of a VM can take (only pads
 * of the VM's own containers can). */
static void test_out_of_room_compacts(void **state)
{
	struct ps_media m;
	uint8_t *mem;
	struct ps_store *s = ram_store(&m, &mem, 17);   /* 8 KiB slots */
	uint32_t cap = 16 * SS, len, need;
	unsigned id = 0, nics;
	struct ps_space sp;
	struct step st;
	int k, n;

	(void)state;
	for (k = 0; k < 14; k++)
		assert_int_equal(ps_update(s, edit_net, &k, 0), 0);
	do {
		st = (struct step){ 0, id++, 60, 2 };
		assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
		ps_store_data(s, &len);
	} while (len < cap - 1200);
	for (k = 0; k < 14; k++) {
		n = ~k;
		assert_int_equal(ps_update(s, edit_net, &n, 0), 0);
	}
	assert_int_equal(ps_space(ps_store_data(s, &len), &sp), 0);
	assert_true(sp.garbage > 0 && !ps_compact_due(&sp));
	/* A VM bigger than the free room, not than what compaction frees. */
	for (nics = 1; (need = vm_size(100, 0, nics)) <= cap - len; nics++)
		;
	assert_true(need + 300 <= cap - sp.after);
	st = (struct step){ 0, 100, 0, nics };
	assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
	assert_true(churn_find_vm(ps_store_data(s, &len), 100) >= 0);
	assert_true(len <= cap);
	ps_store_close(s);
	free(mem);
}

/* ------------------------------------------------- crash in compaction */

/* A committed store one delete away from compaction: the delete, made
 * in a copy, is due.  Returns the id to delete. */
static unsigned near_threshold(struct ps_store *s)
{
	struct ps_space sp;
	struct step st;
	const void *data;
	unsigned id;
	uint32_t len;

	for (id = 0; id < 12; id++) {
		st = (struct step){ 0, id, 255, 6 };
		assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
	}
	for (id = 0; id < 12; id += 2) {
		data = ps_store_data(s, &len);
		memcpy(copy, data, len);
		assert_int_equal(churn_vm_delete(copy, id), 0);
		assert_int_equal(psf_finish(copy), 0);
		assert_int_equal(ps_space(copy, &sp), 0);
		if (ps_compact_due(&sp))
			return id;
		st = (struct step){ 1, id, 0, 0 };
		assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
	}
	fail_msg("no delete made compaction due");
	return 0;
}

static uint8_t old_store[CAP], new_store[CAP];

/* Power cut at every sector write of the compacting commit (torn at
 * 0/256 bytes and whole, three fills): the media reads back as the old
 * store or the new, compacted one, and takes the commit again. */
static void test_compaction_crash(void **state)
{
	struct ps_media m, fm;
	struct ps_fault f = { 0 };
	uint8_t *mem, *saved;
	const void *data;
	struct ps_store *s = ram_store(&m, &mem, 160);
	size_t bytes = (2 + 2u * 160) * SS;
	uint32_t old_len, new_len, len;
	uint64_t n, k, gen;
	unsigned points = 0, olds = 0, tear;
	struct step st;
	struct ps_disk d;
	int fill, rc, err;

	(void)state;
	st = (struct step){ 1, near_threshold(s), 0, 0 };
	data = ps_store_data(s, &old_len);
	memcpy(old_store, data, old_len);
	gen = ps_store_generation(s);
	ps_store_close(s);
	saved = malloc(bytes);
	memcpy(saved, mem, bytes);

	/* The clean run: how many writes, and the compacted result. */
	assert_int_equal(ps_media_init_fault(&fm, &f, &m), 0);
	s = ps_store_open(&fm, &err);
	assert_int_equal(ps_update(s, edit_step, &st, 0), 0);
	data = ps_store_data(s, &new_len);
	memcpy(new_store, data, new_len);
	ps_store_close(s);
	n = f.writes;
	assert_true(new_len < old_len);   /* it compacted */
	print_message("compacting commit: %u -> %u bytes, %llu sector "
		      "writes\n", old_len, new_len, (unsigned long long)n);

	for (k = 1; k <= n; k++)
		for (tear = 0; tear <= SS; tear += SS / 2)
			for (fill = 0; fill < (tear < SS ? 3 : 1); fill++) {
				memcpy(mem, saved, bytes);
				f = (struct ps_fault){ .crash_at = k,
					.tear_bytes = tear,
					.fill = (enum ps_fault_fill)fill };
				assert_int_equal(ps_media_init_fault(&fm, &f,
								     &m), 0);
				s = ps_store_open(&fm, &err);
				assert_non_null(s);
				rc = ps_update(s, edit_step, &st, 0);
				ps_store_close(s);
				assert_true(f.crashed);
				assert_int_not_equal(rc, 0);
				points++;
				/* Old or new, nothing else. */
				assert_int_equal(ps_read(&d, &m, buf, CAP), 0);
				len = d.length;
				if (d.generation == gen) {
					olds++;
					assert_int_equal(len, old_len);
					assert_memory_equal(buf, old_store,
							    old_len);
				} else {
					assert_int_equal(d.generation, gen + 1);
					assert_int_equal(len, new_len);
					assert_memory_equal(buf, new_store,
							    new_len);
					continue;
				}
				/* The edit goes through afterwards. */
				s = ps_store_open(&m, &err);
				assert_int_equal(ps_update(s, edit_step, &st,
							   0), 0);
				assert_memory_equal(ps_store_data(s, &len),
						    new_store, new_len);
				ps_store_close(s);
			}
	print_message("%u crash points in the compaction, %u left the old "
		      "store\n", points, olds);
	assert_true(olds > 0 && olds < points);
	free(saved);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pad_merge),
		cmocka_unit_test(test_create_reuses_pad),
		cmocka_unit_test(test_compact_keeps_elements),
		cmocka_unit_test(test_compact_due),
		cmocka_unit_test(test_may_be_due),
		cmocka_unit_test(test_if_due_bad_tree),
		cmocka_unit_test(test_delete_create_400),
		cmocka_unit_test(test_out_of_room_compacts),
		cmocka_unit_test(test_compaction_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
