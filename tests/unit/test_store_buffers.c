/*
 * test_store_buffers.c - the store handle's slot buffers (ps_store.c).
 * A large store is read and copied into buffers of their own mapping,
 * 2 MiB-aligned and advised for transparent huge pages (VmFlags "hg" in
 * /proc/self/smaps, whatever the system's THP setting), so that one fault
 * maps them instead of one per 4 KiB page; a small one stays on the heap.
 * Either way a transaction's buffer is zero past the store, and an edit
 * commits and reads back as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define SS 512u
#define BIG_ALIGN ((uintptr_t)2 << 20)

/* Does the mapping holding p carry VmFlag flag?  -1 when p is in none. */
static int vma_has_flag(const void *p, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, found = -1;

	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			char want[8];

			snprintf(want, sizeof want, " %s", flag);
			found = strstr(line + 8, want) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A RAM disk of two slots of slot_sectors with a store of nvms VMs. */
static struct ps_store *open_store(struct ps_media *m, uint8_t **mem,
				   uint32_t slot_sectors, unsigned nvms,
				   uint32_t *len)
{
	struct ps_format_opts o = { .slot_count = 2,
				    .slot_sectors = slot_sectors };
	size_t cap = (size_t)(slot_sectors - 1) * SS;
	uint8_t *store = malloc(cap), sector[SS];
	struct ps_disk d;
	struct ps_store *s;
	int n;

	assert_non_null(store);
	n = pst_mkstore(store, cap, nvms, PST_NAME_ROOM);
	assert_true(n > 0);
	*len = (uint32_t)n;
	*mem = pst_ramdisk(m, SS, 2 * (uint64_t)slot_sectors + 2);
	assert_non_null(*mem);
	o.store = store;
	o.store_len = *len;
	assert_int_equal(ps_format(&d, m, &o, sector), PS_OK);
	free(store);
	s = ps_store_open(m, NULL);
	assert_non_null(s);
	return s;
}

static int edit_memory(void *buf, size_t cap, void *arg)
{
	(void)cap;
	return pst_set_memory(buf, 7, *(uint64_t *)arg);
}

/* The transaction's buffer: zero from the store's end to the slot's. */
static void assert_zero_tail(const struct ps_txn *t, uint32_t len)
{
	size_t k;

	for (k = len; k < t->cap; k += 4093)
		assert_int_equal(t->buf[k], 0);
	assert_int_equal(t->buf[t->cap - 1], 0);
}

static void test_large_store_huge_pages(void **state)
{
	struct ps_media m;
	uint8_t *mem;
	uint32_t len, blen;
	/* 3 MiB slots: a buffer of more than one huge page. */
	struct ps_store *s = open_store(&m, &mem, 6145, 3000, &len);
	const uint8_t *base = ps_store_data(s, &blen);
	struct ps_txn t;
	uint64_t kib = 123456;

	(void)state;
	assert_true(len >= 256u * 1024u);
	assert_int_equal(blen, len);
	assert_int_equal((uintptr_t)base % BIG_ALIGN, 0);
	assert_int_equal(vma_has_flag(base, "hg"), 1);
	assert_int_equal(ps_txn_begin(s, &t), PS_OK);
	assert_int_equal((uintptr_t)t.buf % BIG_ALIGN, 0);
	assert_int_equal(vma_has_flag(t.buf, "hg"), 1);
	assert_memory_equal(t.buf, base, len);
	assert_zero_tail(&t, len);
	ps_txn_abort(&t);
	/* An edit commits, and a fresh handle reads it back. */
	assert_int_equal(ps_update(s, edit_memory, &kib, 0), PS_OK);
	assert_int_equal(ps_store_generation(s), 2);
	ps_store_close(s);
	s = ps_store_open(&m, NULL);
	assert_non_null(s);
	assert_int_equal(ps_store_generation(s), 2);
	assert_int_equal(pst_memory(ps_store_data(s, NULL), 7), kib);
	ps_store_close(s);
	free(mem);
}

static void test_small_store_heap(void **state)
{
	struct ps_media m;
	uint8_t *mem;
	uint32_t len;
	/* 1 MiB slots, a store of a few KiB: no huge page for it. */
	struct ps_store *s = open_store(&m, &mem, 2049, 20, &len);
	struct ps_txn t;
	uint64_t kib = 4242;

	(void)state;
	assert_true(len < 64u * 1024u);
	assert_int_equal(vma_has_flag(ps_store_data(s, NULL), "hg"), 0);
	assert_int_equal(ps_txn_begin(s, &t), PS_OK);
	assert_int_equal(vma_has_flag(t.buf, "hg"), 0);
	assert_zero_tail(&t, len);
	ps_txn_abort(&t);
	assert_int_equal(ps_update(s, edit_memory, &kib, 0), PS_OK);
	assert_int_equal(pst_memory(ps_store_data(s, NULL), 7), kib);
	ps_store_close(s);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_store_huge_pages),
		cmocka_unit_test(test_small_store_heap),
	};

	return cmocka_run_group_tests_name("store_buffers", tests, NULL, NULL);
}
