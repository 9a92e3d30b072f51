/*
 * psctl_bmc_serial.c - the serial-port OEM operations of a BMC (write ops
 * 3 serial allocate and 4 serial free, read op 6 serial list;
 * docs/ipmi-oem.md): their bytes encoded and decoded in one place, for
 * psctl's `serial` verbs and hvagent's console allocation.  No psctl
 * context (psctl_bmc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "psctl.h"
#include "psctl_bmc_int.h"
#include "psf_schema.h"

static size_t put_name(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)n;
	memcpy(p + 1, s, n);
	return 1 + n;
}

int psctl_bmc_serial_allocate(const struct psctl_bmc *b, const char *vm,
			      const struct ps_serial_req *r,
			      struct ps_serial_map *got, char *err, size_t n)
{
	uint8_t st[512], *out = NULL;
	size_t k = 0, olen = 0, hl = r->hostnames ? r->hostnames_len : 0;
	unsigned i;
	int rc;

	if (strlen(vm) > PS_CFG_NAME_MAX || 12 + PS_CFG_NAME_MAX + hl >
	    sizeof st) {
		psctl_bmc_say(err, n, b, "serial allocate: VM name or host "
			      "names too long");
		return PSCTL_EXIT_INVALID;
	}
	k += put_name(st, vm);
	st[k++] = (uint8_t)r->count;
	st[k++] = r->mode;
	psf_put_le16(st + k, r->conc_first);
	psf_put_le16(st + k + 2, r->conc_last);
	k += 4;
	if (hl)
		memcpy(st + k, r->hostnames, hl);
	k += hl;
	rc = psctl_bmc_write(b, BMC_WRITE_SERIAL_ALLOC, st, k, 0, &out, &olen,
			     err, n);
	if (rc)
		return rc;
	for (i = 0; i < r->count && 4 * (size_t)i + 4 <= olen; i++) {
		got[i].port = psf_le16(out + 4 * i);
		got[i].concentrator = psf_le16(out + 4 * i + 2);
	}
	free(out);
	if (i != r->count) {
		psctl_bmc_say(err, n, b, "serial allocate: the result holds "
			      "%zu bytes, not %u ports", olen, r->count);
		return PSCTL_EXIT_IO;
	}
	return 0;
}

int psctl_bmc_serial_free(const struct psctl_bmc *b, const char *vm,
			  unsigned *freed, char *err, size_t n)
{
	uint8_t st[1 + PS_CFG_NAME_MAX], *out = NULL;
	size_t olen = 0;
	int rc;

	if (strlen(vm) > PS_CFG_NAME_MAX) {
		psctl_bmc_say(err, n, b, "serial free: VM name too long");
		return PSCTL_EXIT_INVALID;
	}
	rc = psctl_bmc_write(b, BMC_WRITE_SERIAL_FREE, st, put_name(st, vm),
			     0, &out, &olen, err, n);
	if (!rc)
		*freed = olen ? out[0] : 0;
	free(out);
	return rc;
}

/* Entries of read op 6 -> e[]; 0, or -1 malformed / out of memory. */
static int decode_entries(const uint8_t *p, size_t len,
			  struct psctl_bmc_serial **out, size_t *n)
{
	size_t pos = 0, cap = 16;

	*n = 0;
	*out = malloc(cap * sizeof **out);
	while (*out && pos < len) {
		struct psctl_bmc_serial *m;
		size_t vl = p[pos], hl;

		if (pos + 1 + vl + 5 + 1 > len)
			return -1;
		hl = p[pos + 1 + vl + 5];
		if (pos + 1 + vl + 6 + hl > len || vl > PS_CFG_NAME_MAX)
			return -1;
		if (*n == cap) {
			struct psctl_bmc_serial *nm = realloc(*out, 2 * cap *
							      sizeof *nm);

			if (!nm)
				return -1;
			*out = nm;
			cap *= 2;
		}
		m = &(*out)[(*n)++];
		memcpy(m->vm, p + pos + 1, vl);
		m->vm[vl] = 0;
		pos += 1 + vl;
		m->port = psf_le16(p + pos);
		m->concentrator = psf_le16(p + pos + 2);
		m->mode = p[pos + 4];
		memcpy(m->host, p + pos + 6, hl);
		m->host[hl] = 0;
		pos += 6 + hl;
	}
	return *out ? 0 : -1;
}

int psctl_bmc_serial_list(const struct psctl_bmc *b, const char *vm,
			  struct psctl_bmc_serial **m, size_t *cnt, char *err,
			  size_t n)
{
	uint8_t *out = NULL;
	size_t olen = 0;
	int rc = psctl_bmc_read(b, BMC_READ_SERIAL_LIST, vm,
				vm ? strlen(vm) : 0, &out, &olen, NULL, err, n);

	if (rc)
		return rc;
	rc = decode_entries(out, olen, m, cnt);
	free(out);
	if (rc) {
		free(*m);
		*m = NULL;
		psctl_bmc_say(err, n, b, "a malformed serial list (%zu bytes)",
			      olen);
		return PSCTL_EXIT_IO;
	}
	return 0;
}
