/*
 * psctl_pool_ids.c - the etcd keys of the pool records (psctl_pool_ids.h):
 * a record's words are the library's (ps_pool_word, ps_pool_resv_rec), so
 * a key names what the record says.
 */
#include <stdio.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl_pool_ids.h"

int idp_rec_key(uint32_t sig, const char *text, size_t n, char *out,
		size_t on)
{
	struct ps_pool_resv v;
	char why[PS_POOL_WHY_MAX];
	const char *w;
	size_t wn;
	int k;

	if (sig == PSF_POOL_RESV) {
		if (ps_pool_resv_rec(text, n, &v, why, sizeof why))
			return -1;
		k = snprintf(out, on, "resv/%s/%s", ps_pool_kind_name(v.kind),
			     v.id);
		return k < (int)on ? 0 : -1;
	}
	/* A range's and a spare pool's name is their first word. */
	if (!ps_pool_word(text, n, 0, &w, &wn) || wn >= IDP_NAME_MAX)
		return -1;
	if (sig == PSF_POOL_RANGE)
		k = snprintf(out, on, "range/%.*s", (int)wn, w);
	else if (sig == PSF_POOL_SPARES)
		k = snprintf(out, on, "spares/%.*s", (int)wn, w);
	else
		return -1;
	return k < (int)on ? 0 : -1;
}

uint32_t idp_key_sig(const char *key)
{
	if (!strncmp(key, "range/", 6))
		return PSF_POOL_RANGE;
	if (!strncmp(key, "resv/", 5))
		return PSF_POOL_RESV;
	if (!strncmp(key, "spares/", 7))
		return PSF_POOL_SPARES;
	return 0;
}
