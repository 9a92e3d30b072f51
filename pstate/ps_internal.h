/*
 * ps_internal.h - shared between the pstate/ sources only; never installed, never
 * included by tools or tests (they get everything from pstate.h).  What is
 * here is implementation detail that the on-media and in-memory formats
 * in docs/ already fix, kept out of the public header so callers cannot
 * come to depend on how the C code spells it.  Freestanding, but for the
 * error helper at the end, which only hosted builds see.
 */
#ifndef PS_INTERNAL_H
#define PS_INTERNAL_H

#include "pstate.h"

/* Semaphore lock word (docs/semaphore.md section 3): owner in bits 0-3,
 * the claimed slot + 1 in bits 4-7 (0: none), a 24-bit version in bits
 * 8-31 that changes on every transition (acquire, renew, claim, release,
 * break).  The version is the heartbeat: a holder that renews changes the
 * word, so a breaker's CAS from the value it watched going stale fails.
 * PS_SEM_WORD's first argument is bits 0-7 (owner and claim). */
#define PS_SEM_WORD(owner, ver) \
	((uint32_t)(owner) | ((uint32_t)((ver) & 0xFFFFFFu) << 8))
#define PS_SEM_WORD_OWNER(w) ((uint8_t)((w) & 0x0Fu))
#define PS_SEM_WORD_CLAIM(w) ((uint8_t)(((w) >> 4) & 0x0Fu))
#define PS_SEM_WORD_VER(w) ((uint32_t)(w) >> 8)

/* libblkid reports partition offsets and sizes in 512-byte units. */
#define PS_PART_SECTOR 512u

#if __STDC_HOSTED__
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Hosted sources only (ps_part.c, ps_discover.c): a printf into the
 * caller's optional error buffer; returns `code` so that every failure is
 * one `return fail(...)`. */
static inline int fail(char *err, size_t errlen, int code, const char *fmt,
		       ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
#endif

#endif /* PS_INTERNAL_H */
