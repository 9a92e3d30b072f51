/*
 * churn_ops.h - VMs built and changed through the edit layer, the way
 * psctl's commands do it, for the churn benchmark (bench_churn.c) and the
 * tests that repeat the store-fills-up scenarios (tests/unit/
 * test_compact.c, test_bmc_compact.c).  Header only (static inline).
 *
 * A churn VM "vm-ID" has a description of desc bytes and nics NICs
 * "nic-K-..." (long names: a 20-NIC VM is about 3.2 KB) with MACs
 * 52:54:00:ID:ID:K and a UUID from ID, so any set of distinct IDs passes
 * ps_cfg_check.
 */
#ifndef CHURN_OPS_H
#define CHURN_OPS_H

#include <stdio.h>
#include <string.h>

#include "psf_schema.h"
#include "pstate.h"

#define CHURN_DESC_MAX 255u

/* n printable bytes that vary with seed. */
static inline void churn_text(char *out, unsigned n, unsigned seed)
{
	unsigned i;

	for (i = 0; i < n; i++)
		out[i] = (char)('a' + (seed * 7u + i * 13u) % 26u);
}

static inline int churn_vm_name(char *out, size_t cap, unsigned id)
{
	return snprintf(out, cap, "vm-%u", id);
}

static inline int churn_find_vm(const void *buf, unsigned id)
{
	char name[32];
	int n = churn_vm_name(name, sizeof name, id);

	return ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, name, (size_t)n);
}

static inline int churn_set_text(void *buf, size_t cap, int el,
				 enum ps_obj k, const char *field,
				 unsigned len, unsigned seed)
{
	char t[CHURN_DESC_MAX];

	churn_text(t, len, seed);
	return ps_obj_set(buf, cap, el, k, field, strlen(field), t, len, NULL);
}

/* NIC k of VM id (vm: the VM's offset), with its MAC. */
static inline int churn_nic_add(void *buf, size_t cap, int vm, unsigned id,
				unsigned k)
{
	char name[64], mac[32];
	int n = snprintf(name, sizeof name,
			 "nic-%u-with-a-long-name-for-its-bytes-%08u", k, id);
	int nic = ps_obj_create(buf, cap, vm, PS_OBJ_NIC, name, (size_t)n,
				NULL);

	if (nic < 0)
		return nic;
	n = snprintf(mac, sizeof mac, "52:54:%02x:%02x:%02x:%02x",
		     (id >> 16) & 0xffu, (id >> 8) & 0xffu, id & 0xffu,
		     k & 0xffu);
	return ps_obj_set(buf, cap, nic, PS_OBJ_NIC, "mac", 3, mac, (size_t)n,
			  NULL);
}

/* Create VM id with a description of desc bytes and nics NICs: its
 * offset, or a negative error. */
static inline int churn_vm_create(void *buf, size_t cap, unsigned id,
				  unsigned desc, unsigned nics)
{
	char name[48];
	int n = churn_vm_name(name, sizeof name, id), vm, rc = 0;
	unsigned k;

	vm = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_VM, name,
			   (size_t)n, NULL);
	if (vm < 0)
		return vm;
	/* Every VM has a UUID of its own (docs/schema.md), as vm create
	 * gives it. */
	n = snprintf(name, sizeof name, "00000000-0000-4000-8000-%012x", id);
	rc = ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4, name, (size_t)n,
			NULL);
	if (!rc && desc)
		rc = churn_set_text(buf, cap, vm, PS_OBJ_VM, "description",
				    desc, id);
	for (k = 0; !rc && k < nics; k++) {
		rc = churn_nic_add(buf, cap, vm, id, k);
		rc = rc < 0 ? rc : 0;
	}
	return rc < 0 ? rc : churn_find_vm(buf, id);
}

static inline int churn_vm_delete(void *buf, unsigned id)
{
	int vm = churn_find_vm(buf, id);

	return vm < 0 ? vm : ps_obj_delete(buf, vm, PS_OBJ_VM, NULL);
}

/* The bytes of the element at off (a whole VM, for BMC element
 * writes): a pointer into buf and its size. */
static inline const uint8_t *churn_elem(const void *buf, int off,
					uint32_t *len)
{
	struct psf_elem e;

	if (off < 0 || psf_elem(buf, off, &e))
		return NULL;
	*len = e.end - (uint32_t)off;
	return (const uint8_t *)buf + off;
}

/* Store use now: total, and the limit of docs/store.md 7.2
 * (1.5 x live + budget). */
static inline int churn_within(const void *buf, struct ps_space *sp)
{
	if (ps_space(buf, sp))
		return 0;
	return sp->total <= sp->live + sp->live / 2 + sp->budget;
}

#endif /* CHURN_OPS_H */
