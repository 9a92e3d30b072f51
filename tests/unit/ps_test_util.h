/*
 * ps_test_util.h - helpers for the store tests (header only, static
 * inline): RAM disks, VM stores with pad room, random edits.
 */
#ifndef PS_TEST_UTIL_H
#define PS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"

/* ps_cfg_check's problem lines, collected: count and text, one a line. */
struct pst_msgs {
	int n;
	char all[4096];
};

static inline void pst_collect(void *ctx, const char *msg)
{
	struct pst_msgs *m = ctx;
	size_t l = strlen(m->all);

	m->n++;
	snprintf(m->all + l, sizeof(m->all) - l, "%s\n", msg);
}

/* Pad room behind each VM name, so a rename absorbs growth locally. */
#define PST_NAME_ROOM 16u

/* A RAM disk of n sectors (zeroed) behind m. */
static inline uint8_t *pst_ramdisk(struct ps_media *m, uint32_t ss, uint64_t n)
{
	uint8_t *mem = calloc(n, ss);

	if (!mem || ps_media_init_mem(m, mem, ss, n)) {
		free(mem);
		return NULL;
	}
	return mem;
}

/* xorshift64*: reproducible across hosts for fixed seeds. */
static inline uint64_t pst_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static inline void pst_vm(struct psf_builder *b, unsigned i, uint32_t room)
{
	char name[32];
	uint8_t cfg[PSF_VMC_SIZE] = { 0 };

	snprintf(name, sizeof(name), "vm%u", i);
	psf_build_open(b, PSF_VM);
	psf_build_string(b, PSF_NAME, name);
	if (room)
		psf_build_struct(b, PSF_PAD, NULL, room);
	cfg[0] = (uint8_t)i;
	psf_put_le64(cfg + PSF_VMC_MEMORY_KIB, 1048576u);
	psf_build_struct(b, PSF_VM_CONFIG, cfg, sizeof(cfg));
	psf_build_close(b);
}

/* root { vms { nvms x vm { name, pad, config } } }; returns the length. */
static inline int pst_mkstore(void *buf, size_t cap, unsigned nvms,
			      uint32_t room)
{
	struct psf_builder b;
	unsigned i;

	memset(buf, 0, cap);
	psf_build_begin(&b, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	for (i = 0; i < nvms; i++)
		pst_vm(&b, i, room);
	psf_build_close(&b);
	return psf_build_finish(&b);
}

static inline int pst_vms(const void *buf)
{
	return psf_find_child(buf, psf_root(buf), PSF_VMS);
}

/* The k-th VM (mod the count), or a negative error when there is none. */
static inline int pst_vm_at(const void *buf, unsigned k)
{
	int vms = pst_vms(buf), c, n = 0;

	if (vms < 0)
		return vms;
	psf_for_each_child(buf, vms, c)
		n++;
	if (!n)
		return PSF_ERR_NOTFOUND;
	k %= (unsigned)n;
	psf_for_each_child(buf, vms, c)
		if (k-- == 0)
			return c;
	return PSF_ERR_NOTFOUND;
}

static inline int pst_set_memory(void *buf, unsigned k, uint64_t kib)
{
	uint8_t v[8];
	int vm = pst_vm_at(buf, k), cfg;

	if (vm < 0)
		return vm;
	cfg = psf_find_child(buf, vm, PSF_VM_CONFIG);
	if (cfg < 0)
		return cfg;
	psf_put_le64(v, kib);
	return psf_wip_write(buf, cfg, PSF_VMC_MEMORY_KIB, v, 8);
}

/* VM k's memory (the stores' usual counter), or UINT64_MAX without it. */
static inline uint64_t pst_memory(const void *buf, unsigned k)
{
	int vm = pst_vm_at(buf, k), cfg;
	const void *p;
	uint32_t len;

	if (vm < 0)
		return UINT64_MAX;
	cfg = psf_find_child(buf, vm, PSF_VM_CONFIG);
	p = cfg < 0 ? NULL : psf_payload(buf, cfg, &len);
	return p ? psf_field_uint(p, len, PSF_VMC_MEMORY_KIB, 8) : UINT64_MAX;
}

static inline int pst_rename(void *buf, size_t cap, unsigned k,
			     const char *name)
{
	int vm = pst_vm_at(buf, k), nm;

	if (vm < 0)
		return vm;
	nm = psf_find_child(buf, vm, PSF_NAME);
	if (nm < 0)
		return nm;
	return psf_set_payload(buf, cap, nm, name, (uint32_t)strlen(name));
}

/*
 * One random edit, then psf_finish: memory (in place), rename (grows into
 * or shrinks to a pad), add a VM (the tail shifts), delete a VM (it shifts
 * back), or nothing.  Edits that do not fit are skipped.
 */
static inline int pst_random_edit(void *buf, size_t cap, uint64_t *rng)
{
	uint64_t r = pst_rand(rng);
	unsigned k = (unsigned)(r >> 8);
	char name[48];
	int rc = 0, vm;

	switch (r % 6) {
	case 0:
	case 1:
		rc = pst_set_memory(buf, k, (r >> 20) & 0xffffff);
		break;
	case 2:
		snprintf(name, sizeof(name), "vm-%.*s", (int)(r >> 40) % 30,
			 "renamed-renamed-renamed-renamed");
		rc = pst_rename(buf, cap, k, name);
		break;
	case 3:
		vm = psf_insert(buf, cap, pst_vms(buf), -1, PSF_VM, NULL, 0);
		if (vm >= 0)
			vm = psf_insert(buf, cap, vm, -1, PSF_NAME, "new", 3);
		rc = vm < 0 ? vm : 0;
		break;
	case 4:
		vm = pst_vm_at(buf, k);
		if (vm >= 0 && pst_vm_at(buf, k + 1) != vm)
			rc = psf_delete(buf, vm);
		break;
	default:
		break;
	}
	if (rc == PSF_ERR_NOSPACE || rc == PSF_ERR_NOTFOUND)
		rc = 0;
	return rc ? rc : psf_finish(buf);
}

#endif /* PS_TEST_UTIL_H */
