/*
 * psctl_util.c - small helpers shared by psctl's parts (psctl_util.h).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_util.h"

const enum ps_obj psctl_vm_parts[PSCTL_VM_PARTS] = {
	PS_OBJ_NIC, PS_OBJ_CONTROLLER, PS_OBJ_SERIAL
};
const char *const psctl_vm_part_names[PSCTL_VM_PARTS] = {
	"nics", "storage", "serial-ports"
};

char *psctl_iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	out[0] = 0;
	if (t && gmtime_r(&tt, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

uint32_t psctl_elem_len(const void *buf, int off)
{
	struct psf_elem e;

	return psf_elem(buf, off, &e) ? 0 : e.end - (uint32_t)off;
}

int psctl_all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int psctl_abs_path(const char *path, char *out, size_t cap)
{
	char real[PATH_MAX], cwd[PATH_MAX];
	int n;

	if (realpath(path, real))
		n = snprintf(out, cap, "%s", real);
	else if (*path != '/' && getcwd(cwd, sizeof cwd))
		n = snprintf(out, cap, "%s/%s", cwd, path);
	else
		n = snprintf(out, cap, "%s", path);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void *psctl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *nv;

	if (n < *cap)
		return v;
	nv = realloc(v, c * size);
	if (nv)
		*cap = c;
	return nv;
}
