/*
 * bench_commit.c - what a commit costs on media: sectors and bytes written
 * for small edits in a store of 1000 VMs, against rewriting the whole
 * slot, and commit latency on an image file with and without fsync.
 *
 *   bench_commit [--quick] [image-path]
 *
 * The store: 1000 VMs, each { name, 16-byte pad, description, VM record,
 * NICS { NIC { name, NIC record with MAC, network ref }, 64-byte pad } },
 * under a two-slot layout.  Edits (random VMs, fixed seed), each its own
 * commit through ps_commit with the sector-diff protocol:
 *   memory   one u64 field of a VM record, in place (psf_wip_write);
 *   rename   a VM name grows by 8 bytes, absorbed by the pad behind it
 *            (psf_set_payload);
 *   add-nic  a second NIC, taken out of the pad at the end of NICS.
 * Exits non-zero if any one of these commits writes more than 8 sectors,
 * or on any error.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"

#define SS 512u
#define NVMS 1000u
#define SLOT_SECTORS 1024u     /* 512 KiB per slot */
#define NAME_ROOM 16u
#define NICS_ROOM 64u
#define BUDGET 8u

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_commit: %s: %s\n", what, ps_strerror(rc));
	exit(1);
}

/* ------------------------------------------------------------- store */

static void build_nic(struct psf_builder *b, unsigned vm, unsigned idx)
{
	uint8_t cfg[PSF_NICC_SIZE] = { 0x52, 0x54, 0x00, (uint8_t)(vm >> 8),
				       (uint8_t)vm, (uint8_t)idx,
				       PSF_NIC_MODEL_VIRTIO, 0 };
	char name[8];

	snprintf(name, sizeof(name), "eth%u", idx);
	psf_build_open(b, PSF_NIC);
	psf_build_string(b, PSF_NAME, name);
	psf_build_struct(b, PSF_NIC_CONFIG, cfg, sizeof(cfg));
	psf_build_string(b, PSF_NETWORK_REF, idx ? "storage" : "lan");
	psf_build_close(b);
}

static void build_vm(struct psf_builder *b, unsigned i)
{
	uint8_t cfg[PSF_VMC_SIZE] = { 0 };
	char name[32];

	snprintf(name, sizeof(name), "vm-%04u", i);
	psf_build_open(b, PSF_VM);
	psf_build_string(b, PSF_NAME, name);
	psf_build_struct(b, PSF_PAD, NULL, NAME_ROOM);
	psf_build_string(b, PSF_DESCRIPTION, "web tier, rack 4");
	memset(cfg, (int)(i & 0xff), 16);                  /* UUID */
	psf_put_le64(cfg + PSF_VMC_MEMORY_KIB, 4u << 20);
	psf_put_le16(cfg + PSF_VMC_VCPUS, 2);
	psf_build_struct(b, PSF_VM_CONFIG, cfg, sizeof(cfg));
	psf_build_open(b, PSF_NICS);
	build_nic(b, i, 0);
	psf_build_struct(b, PSF_PAD, NULL, NICS_ROOM);
	psf_build_close(b);
	psf_build_close(b);
}

static uint32_t build_store(uint8_t *buf, size_t cap)
{
	struct psf_builder b;
	unsigned i;
	int rc;

	memset(buf, 0, cap);
	psf_build_begin(&b, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	for (i = 0; i < NVMS; i++)
		build_vm(&b, i);
	psf_build_close(&b);
	rc = psf_build_finish(&b);
	if (rc < 0)
		die("build", rc);
	return (uint32_t)rc;
}

/* ------------------------------------------------------------- edits */

static int vm_off(const uint8_t *buf, unsigned k)
{
	int vms = psf_find_child(buf, psf_root(buf), PSF_VMS), c;

	psf_for_each_child(buf, vms, c)
		if (k-- == 0)
			return c;
	return PSF_ERR_NOTFOUND;
}

static int edit_memory(uint8_t *buf, size_t cap, unsigned k)
{
	uint8_t v[8];
	int cfg = psf_find_child(buf, vm_off(buf, k), PSF_VM_CONFIG);

	(void)cap;
	psf_put_le64(v, (rnd() & 0xfff) << 20);
	return cfg < 0 ? cfg : psf_wip_write(buf, cfg, PSF_VMC_MEMORY_KIB, v, 8);
}

static int edit_rename(uint8_t *buf, size_t cap, unsigned k)
{
	char name[32];
	int nm = psf_find_child(buf, vm_off(buf, k), PSF_NAME);

	snprintf(name, sizeof(name), "vm-%04u-renamed", k);
	return nm < 0 ? nm : psf_set_payload(buf, cap, nm, name,
					     (uint32_t)strlen(name));
}

/*
 * Add a NIC without shifting the store: build it alone (a one-element
 * store whose root is the NIC), take that many bytes out of the pad at
 * the end of NICS with a pad insert, and copy the NIC over the new pad.
 * Both have the same size, so no count or size above changes.  (A core
 * helper, psf_insert_subtree, would make this one call.)
 */
static int edit_add_nic(uint8_t *buf, size_t cap, unsigned k)
{
	uint8_t tmp[256];
	struct psf_builder b;
	int nics = psf_find_child(buf, vm_off(buf, k), PSF_NICS), at, n;

	if (nics < 0)
		return nics;
	psf_build_begin(&b, tmp, sizeof(tmp), PSF_NIC, PSF_SCHEMA_VERSION, 0);
	psf_build_string(&b, PSF_NAME, "eth1");
	psf_build_struct(&b, PSF_NIC_CONFIG, "\x52\x54\x00\xaa\xbb\x01\x01",
			 7);
	psf_build_string(&b, PSF_NETWORK_REF, "storage");
	n = psf_build_finish(&b);
	if (n < 0)
		return n;
	n -= (int)PSF_HEADER_SIZE;
	at = psf_insert(buf, cap, nics, -1, PSF_PAD, NULL,
			(uint32_t)n - PSF_STRUCT_HDR);
	if (at < 0)
		return at;
	memcpy(buf + at, tmp + PSF_HEADER_SIZE, (size_t)n);
	return 0;
}

typedef int (*edit_fn)(uint8_t *, size_t, unsigned);

/* ------------------------------------------------------------- media */

struct bench {
	struct ps_media m;
	struct ps_disk d;
	uint8_t *store;
	size_t cap;
	uint8_t sector[SS];
	uint32_t whole;          /* sectors to rewrite a whole slot */
};

static void commit(struct bench *b)
{
	int rc = psf_finish(b->store);

	if (!rc)
		rc = ps_commit(&b->d, b->store, b->sector, NULL);
	if (rc)
		die("commit", rc);
}

static void setup(struct bench *b)
{
	struct ps_format_opts o = { .slot_count = 2,
				    .slot_sectors = SLOT_SECTORS };
	uint32_t len;

	b->cap = (SLOT_SECTORS - 1) * SS;
	b->store = malloc(b->cap);
	len = build_store(b->store, b->cap);
	o.store = b->store;
	o.store_len = len;
	if (ps_format(&b->d, &b->m, &o, b->sector))
		die("format", PS_ERR_IO);
	/* Both slots hold the store, as after any two commits. */
	edit_memory(b->store, b->cap, 0);
	commit(b);
	b->whole = 1 + (len + SS - 1) / SS;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct row {
	const char *name;
	edit_fn fn;
	int checked;             /* part of the <= 8 sector budget */
};

/* Sectors per commit for n edits of one kind on distinct random VMs. */
static int measure(struct bench *b, const struct row *r, int n, int quiet)
{
	uint64_t *secs = calloc((size_t)n, sizeof(*secs));
	uint8_t *used = calloc(NVMS, 1);
	int i, over = 0;
	uint64_t sum = 0;

	for (i = 0; i < n; i++) {
		unsigned k;
		int rc;

		do
			k = (unsigned)(rnd() % NVMS);
		while (used[k]);
		used[k] = 1;
		rc = r->fn(b->store, b->cap, k);
		if (rc)
			die(r->name, rc);
		ps_media_stats_reset(&b->m);
		commit(b);
		secs[i] = b->m.stats.sectors_written;
		sum += secs[i];
	}
	qsort(secs, (size_t)n, sizeof(*secs), cmp_u64);
	over = r->checked && secs[n - 1] > BUDGET;
	if (!quiet)
		printf("  %-9s %7d %6llu %6.2f %5llu %9llu %11u %6.1fx%s\n",
		       r->name, n, (unsigned long long)secs[n / 2],
		       (double)sum / n, (unsigned long long)secs[n - 1],
		       (unsigned long long)secs[n - 1] * SS, b->whole,
		       (double)b->whole / ((double)sum / n),
		       over ? "  OVER BUDGET" : "");
	free(secs);
	free(used);
	return over;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Median commit latency (memory edit, psf_finish, ps_commit) on the image
 * file, with or without fsync at its one flush (a fast commit). */
static double latency(const char *path, unsigned flags, int n)
{
	struct bench b;
	double *t = calloc((size_t)n, sizeof(*t)), med;
	int i, rc;

	memset(&b, 0, sizeof(b));
	rc = ps_media_open_image(&b.m, path, 0, 0, SS, flags);
	if (rc)
		die(path, rc);
	setup(&b);
	for (i = 0; i < n; i++) {
		double t0;

		edit_memory(b.store, b.cap, (unsigned)(rnd() % NVMS));
		t0 = now_us();
		commit(&b);
		t[i] = now_us() - t0;
	}
	for (i = 1; i < n; i++) {  /* insertion sort: n is small */
		double v = t[i];
		int j = i - 1;

		for (; j >= 0 && t[j] > v; j--)
			t[j + 1] = t[j];
		t[j + 1] = v;
	}
	med = t[n / 2];
	ps_media_close(&b.m);
	free(b.store);
	free(t);
	return med;
}

int main(int argc, char **argv)
{
	static const struct row rows[] = {
		{ "memory", edit_memory, 1 },
		{ "rename", edit_rename, 1 },
		{ "add-nic", edit_add_nic, 1 },
	};
	const char *path = "build/bench-commit.img";
	int quick = 0, i, over = 0, n;
	struct bench b;
	uint8_t *mem;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else
			path = argv[i];
	}
	n = quick ? 50 : 300;
	memset(&b, 0, sizeof(b));
	mem = calloc(2 + 2 * SLOT_SECTORS, SS);
	if (ps_media_init_mem(&b.m, mem, SS, 2 + 2 * SLOT_SECTORS))
		die("media", PS_ERR_INVAL);
	setup(&b);
	printf("store: %u VMs, %u bytes (%u sectors + slot header); "
	       "2 slots of %u sectors; %u-byte sectors\n", NVMS,
	       psf_total(b.store), b.whole - 1, SLOT_SECTORS, SS);
	printf("sectors written per commit (each edit on a different random "
	       "VM; budget %u):\n", BUDGET);
	printf("  %-9s %7s %6s %6s %5s %9s %11s %7s\n", "edit", "commits",
	       "median", "mean", "max", "max bytes", "whole slot",
	       "saving");
	for (i = 0; i < 3; i++)
		over |= measure(&b, &rows[i], n, 0);
	free(mem);
	free(b.store);

	f = fopen(path, "w");
	if (!f || ftruncate(fileno(f), (off_t)(2 + 2 * SLOT_SECTORS) * SS)) {
		fprintf(stderr, "bench_commit: cannot create %s\n", path);
		return 1;
	}
	fclose(f);
	printf("commit latency on an image file (%s), memory edit, median of "
	       "%d:\n", path, quick ? 30 : 200);
	printf("  fsync at the commit's flush    %9.1f us\n",
	       latency(path, 0, quick ? 30 : 200));
	printf("  no fsync (PS_MEDIA_NOSYNC)     %9.1f us\n",
	       latency(path, PS_MEDIA_NOSYNC, quick ? 30 : 200));
	unlink(path);
	if (over) {
		fprintf(stderr, "bench_commit: a one-field edit wrote more than "
			"%u sectors\n", BUDGET);
		return 1;
	}
	return 0;
}
