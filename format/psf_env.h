/*
 * psf_env.h - the whole environment the freestanding format core needs.
 *
 * The core uses fixed-width integers, size_t, and four memory primitives.
 * Hosted builds take them from the C library.  Firmware builds
 * (-ffreestanding, !__STDC_HOSTED__) get prototypes only: the firmware links
 * its own memcpy/memmove/memset/memcmp, which every C toolchain requires of a
 * freestanding environment anyway.  A platform that wants something else
 * defines PSF_ENV_CUSTOM and provides "psf_env_custom.h" with the same names.
 */
#ifndef PSF_ENV_H
#define PSF_ENV_H

#ifdef PSF_ENV_CUSTOM
#include "psf_env_custom.h"
#else

#include <stddef.h>
#include <stdint.h>

#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif

#define psf_memcpy memcpy
#define psf_memmove memmove
#define psf_memset memset
#define psf_memcmp memcmp

#endif /* PSF_ENV_CUSTOM */
#endif /* PSF_ENV_H */
