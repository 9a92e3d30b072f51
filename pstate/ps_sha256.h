/*
 * ps_sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), the MAC
 * of the authenticated store (docs/store.md section 8).
 *
 * Freestanding (PSTATE_CORE): no libc, no allocation, no recursion; the
 * caller owns every context.  Small rather than fast: the BMC computes
 * one MAC per commit and per verified read.
 */
#ifndef PS_SHA256_H
#define PS_SHA256_H

#include "psf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PS_SHA256_LEN 32u    /* digest bytes */
#define PS_SHA256_BLOCK 64u  /* block bytes */

struct ps_sha256 {
	uint32_t h[8];
	uint64_t bytes;              /* message bytes so far */
	uint8_t buf[PS_SHA256_BLOCK];
	uint32_t fill;               /* bytes in buf */
};

void ps_sha256_init(struct ps_sha256 *c);
void ps_sha256_update(struct ps_sha256 *c, const void *p, size_t n);
void ps_sha256_final(struct ps_sha256 *c, uint8_t out[PS_SHA256_LEN]);

/* HMAC-SHA256: keys longer than a block are hashed first (RFC 2104). */
struct ps_hmac {
	struct ps_sha256 inner;
	uint8_t opad[PS_SHA256_BLOCK];
};

void ps_hmac_init(struct ps_hmac *c, const void *key, size_t key_len);
void ps_hmac_update(struct ps_hmac *c, const void *p, size_t n);
void ps_hmac_final(struct ps_hmac *c, uint8_t out[PS_SHA256_LEN]);

/* Constant-time comparison (a MAC check must not leak where it differs):
 * 1 when the n bytes are equal. */
int ps_mac_equal(const uint8_t *a, const uint8_t *b, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* PS_SHA256_H */
