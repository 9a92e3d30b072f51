/*
 * ps_sha256.c - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * FREESTANDING: the BMC firmware verifies and MACs the authenticated
 * store with this file (docs/store.md section 8).  One round function,
 * the message schedule computed in a 16-word ring: about 300 bytes of
 * stack, no tables but the 64 round constants.
 */
#include "ps_internal.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32u - n));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One 64-byte block into the state. */
static void block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[16], s[8], t1, t2, i;

	for (i = 0; i < 8; i++)
		s[i] = h[i];
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			w[i] = be32(p + 4 * i);
		} else {
			uint32_t a = w[(i + 1) & 15], b = w[(i + 14) & 15];

			w[i & 15] += (ror(a, 7) ^ ror(a, 18) ^ (a >> 3)) +
				     w[(i + 9) & 15] +
				     (ror(b, 17) ^ ror(b, 19) ^ (b >> 10));
		}
		t1 = s[7] + (ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25)) +
		     ((s[4] & s[5]) ^ (~s[4] & s[6])) + K[i] + w[i & 15];
		t2 = (ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22)) +
		     ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		s[7] = s[6];
		s[6] = s[5];
		s[5] = s[4];
		s[4] = s[3] + t1;
		s[3] = s[2];
		s[2] = s[1];
		s[1] = s[0];
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
}

void ps_sha256_init(struct ps_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	psf_memcpy(c->h, iv, sizeof iv);
	c->bytes = 0;
	c->fill = 0;
}

void ps_sha256_update(struct ps_sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = (const uint8_t *)data;

	c->bytes += n;
	while (n > 0) {
		uint32_t k = PS_SHA256_BLOCK - c->fill;

		if (k > n)
			k = (uint32_t)n;
		psf_memcpy(c->buf + c->fill, p, k);
		c->fill += k;
		p += k;
		n -= k;
		if (c->fill == PS_SHA256_BLOCK) {
			block(c->h, c->buf);
			c->fill = 0;
		}
	}
}

void ps_sha256_final(struct ps_sha256 *c, uint8_t out[PS_SHA256_LEN])
{
	uint64_t bits = c->bytes * 8u;
	uint8_t pad = 0x80;
	uint32_t i;

	/* 0x80, zeros up to 56 mod 64, then the bit length big-endian:
	 * fed through update so that the block boundary is handled once. */
	ps_sha256_update(c, &pad, 1);
	pad = 0;
	while (c->fill != PS_SHA256_BLOCK - 8u)
		ps_sha256_update(c, &pad, 1);
	put_be32(c->buf + 56, (uint32_t)(bits >> 32));
	put_be32(c->buf + 60, (uint32_t)bits);
	block(c->h, c->buf);
	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, c->h[i]);
}

void ps_hmac_init(struct ps_hmac *c, const void *key, size_t key_len)
{
	uint32_t i;

	/* The key block is built in opad (no 64-byte copy on the stack:
	 * BMC task stacks are small), XORed to the inner pad, hashed, then
	 * turned into the outer pad. */
	psf_memset(c->opad, 0, sizeof c->opad);
	if (key_len > PS_SHA256_BLOCK) {
		ps_sha256_init(&c->inner);
		ps_sha256_update(&c->inner, key, key_len);
		ps_sha256_final(&c->inner, c->opad);
	} else if (key_len > 0) {
		psf_memcpy(c->opad, key, key_len);
	}
	for (i = 0; i < PS_SHA256_BLOCK; i++)
		c->opad[i] ^= 0x36;
	ps_sha256_init(&c->inner);
	ps_sha256_update(&c->inner, c->opad, sizeof c->opad);
	for (i = 0; i < PS_SHA256_BLOCK; i++)
		c->opad[i] ^= 0x36 ^ 0x5c;
}

void ps_hmac_update(struct ps_hmac *c, const void *p, size_t n)
{
	ps_sha256_update(&c->inner, p, n);
}

void ps_hmac_final(struct ps_hmac *c, uint8_t out[PS_SHA256_LEN])
{
	uint8_t ih[PS_SHA256_LEN];

	ps_sha256_final(&c->inner, ih);
	ps_sha256_init(&c->inner);
	ps_sha256_update(&c->inner, c->opad, sizeof c->opad);
	ps_sha256_update(&c->inner, ih, sizeof ih);
	ps_sha256_final(&c->inner, out);
	psf_memset(c->opad, 0, sizeof c->opad);
}

int ps_mac_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}
