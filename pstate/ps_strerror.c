/*
 * ps_strerror.c - one fixed message per error code, PS_ERR_* and PSF_ERR_*.
 * Freestanding.
 */
#include "pstate.h"

static const char *const ps_errors[PS_ERR_LAST - PS_ERR_FIRST + 1] = {
	[-PS_ERR_IO - PS_ERR_FIRST] = "media read, write or flush failed",
	[-PS_ERR_NOSTORE - PS_ERR_FIRST] =
		"no pstate superblock: the media is not formatted",
	[-PS_ERR_SUPERBLOCK - PS_ERR_FIRST] =
		"superblocks damaged or disagreeing",
	[-PS_ERR_GEOMETRY - PS_ERR_FIRST] =
		"media or slot layout sizes unusable",
	[-PS_ERR_NOSLOT - PS_ERR_FIRST] = "no slot holds a valid store",
	[-PS_ERR_CONFLICT - PS_ERR_FIRST] =
		"conflict: the store on media changed since the transaction began",
	[-PS_ERR_FENCED - PS_ERR_FIRST] =
		"lock lost before publishing: nothing committed",
	[-PS_ERR_LOCK - PS_ERR_FIRST] = "could not acquire the store lock",
	[-PS_ERR_NOSPACE - PS_ERR_FIRST] =
		"store larger than a slot or than the buffer",
	[-PS_ERR_INVAL - PS_ERR_FIRST] = "invalid argument",
	[-PS_ERR_NOMEM - PS_ERR_FIRST] = "out of memory",
	[-PS_ERR_RDONLY - PS_ERR_FIRST] = "media opened read-only",
	[-PS_ERR_ABORTED - PS_ERR_FIRST] = "edit aborted",
};

const char *ps_strerror(int err)
{
	if (err <= -PS_ERR_FIRST && err >= -PS_ERR_LAST)
		return ps_errors[-err - PS_ERR_FIRST];
	return psf_strerror(err);
}
