/*
 * psf_internal.h - helpers shared by the core's source files.  Not installed.
 */
#ifndef PSF_INTERNAL_H
#define PSF_INTERNAL_H

#include "psf.h"

/*
 * Decode and bounds-check the element at off against the store's total
 * length.  Every offset that comes from a caller passes through here before
 * anything is read at it.  One copy (psf_ro.c): every walk of the core
 * calls it, and an inline copy per file costs the firmware more than the
 * call.
 */
int psf__elem(const uint8_t *b, int off, struct psf_elem *e);

/* Same, and the element must be a container. */
static inline int psf__container(const uint8_t *b, int off,
				 struct psf_elem *e)
{
	int rc = psf__elem(b, off, e);

	if (rc)
		return rc;
	return PSF_SIG_IS_CONTAINER(e->sig) ? PSF_OK : PSF_ERR_NOTCONTAINER;
}

/* The child of container cur on the way down to off (psf_ro.c). */
int psf__child_toward(const uint8_t *b, int cur, int off);

/* Depth of off below the root (0 for the root) and, in *parent, its
 * parent's offset (-1 for the root); the enclosing containers, root first,
 * into chain unless it is NULL.  Errors as psf_ancestors. */
int psf__locate(const uint8_t *b, int off, int *parent, int *chain);

#endif /* PSF_INTERNAL_H */
