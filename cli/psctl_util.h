/*
 * psctl_util.h - small helpers every part of psctl uses (internal to
 * cli/): error reports, byte tests, paths.
 */
#ifndef PSCTL_UTIL_H
#define PSCTL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "pstate.h"

struct psctl_ctx;

/*
 * Report msg (one line, e.g. from a psctl_bmc_* call) as cmd's error
 * with exit code rc; returns rc.
 */
int psctl_fail(struct psctl_ctx *c, const char *cmd, int rc, const char *msg);

/* 1 when the n bytes at p are all zero (n 0 included), else 0. */
int psctl_all_zero(const void *p, size_t n);

/* 1 when hvagent marked VM vm (an element of buf) undefined in libvirt
 * and kept in the store (libvirt_delete = keep: its AGENT_DOM_RECORD,
 * found by the VM's UUID, has PSF_AGDF_LV_UNDEFINED), else 0. */
int psctl_vm_kept(const void *buf, int vm);
/* A VM's move record (pstate/ps_move.h), in vm show: a "move-target" or
 * "move-source" line, and --json "move" (null, or {state, peer})
 * (psctl_vm_move.c). */
struct psctl_jw;
void psctl_vm_move_line(FILE *f, const char *indent, const void *buf,
			int vm);
void psctl_vm_move_json(struct psctl_jw *w, const void *buf, int vm);

/* Seconds since 1970 as an ISO 8601 UTC date, "2026-12-07T07:21:53Z"
 * (the form the restart log uses); "" for 0 (unknown).  Returns out. */
char *psctl_iso_time(uint64_t t, char out[32]);

/*
 * One spelling of a store's path, as targets name it: symbolic links
 * resolved when path exists, else made absolute against the working
 * directory.  Writes out (cap bytes); 0, or -1 when it does not fit.
 */
int psctl_abs_path(const char *path, char *out, size_t cap);

/* The bytes of the element at off in buf (header to end), or 0 when it
 * is malformed. */
uint32_t psctl_elem_len(const void *buf, int off);

/* The parts of a VM, in the order they are shown, and their names in
 * JSON output. */
#define PSCTL_VM_PARTS 3
extern const enum ps_obj psctl_vm_parts[PSCTL_VM_PARTS];
extern const char *const psctl_vm_part_names[PSCTL_VM_PARTS];

/* Room for one more item in a growing array v of *cap items of size
 * bytes, n of them used: doubled (first: the first capacity) when full.
 * Returns the array (v or its new place), or NULL when out of memory
 * (v and *cap untouched). */
void *psctl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first);

#endif /* PSCTL_UTIL_H */
