/*
 * psf_crc.c - CRC-32C (Castagnoli, reflected 0x82F63B78).
 *
 * Two implementations behind one function.  Firmware builds get a 16-entry
 * (64-byte) table processed a nibble at a time: small .rodata, no alignment
 * needs.  Hosted builds (PSF_CRC_FAST, set by the Makefile) use slicing-by-8
 * over eight constant 256-entry tables (psf_crc_tables.h), trading 8 KiB
 * of tables for several times the speed on large stores.
 */
#include "psf.h"

#ifndef PSF_CRC_FAST

static const uint32_t crc_nibble[16] = {
	0x00000000u, 0x105ec76fu, 0x20bd8edeu, 0x30e349b1u,
	0x417b1dbcu, 0x5125dad3u, 0x61c69362u, 0x7198540du,
	0x82f63b78u, 0x92a8fc17u, 0xa24bb5a6u, 0xb21572c9u,
	0xc38d26c4u, 0xd3d3e1abu, 0xe330a81au, 0xf36e6f75u,
};

uint32_t psf_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = (const uint8_t *)data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc_nibble[crc & 15u];
		crc = (crc >> 4) ^ crc_nibble[crc & 15u];
	}
	return ~crc;
}

#else /* PSF_CRC_FAST */

#include "psf_crc_tables.h"

/*
 * x86-64 hosts: the SSE4.2 crc32 instruction computes exactly CRC-32C.
 * Chosen at run time (__builtin_cpu_supports reads libgcc's CPU model, so
 * hosted builds only), the tables stay the fallback.  Three independent
 * streams over 3 x 2 KiB blocks hide the instruction's 3-cycle latency;
 * the streams are joined by multiplying by x^(8 * 2048) mod P, a
 * constant, in software (32 steps per 6 KiB block).
 */
#if __STDC_HOSTED__ && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__)) && !defined(PSF_CRC_NO_HW)
#define PSF_CRC_HW 1
#include <nmmintrin.h>

#define HW_BLOCK 2048u
#define HW_SHIFT 0x0d65762au  /* x^(8 * HW_BLOCK) mod P, reflected */

/* a * b mod P, reflected (bit 31 is x^0). */
static uint32_t gf2_mul(uint32_t a, uint32_t b)
{
	uint32_t prod = 0;
	int i;

	for (i = 0; i < 32; i++) {
		if (a & 0x80000000u)
			prod ^= b;
		a <<= 1;
		b = (b >> 1) ^ (b & 1u ? 0x82f63b78u : 0u);
	}
	return prod;
}

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 3 * HW_BLOCK) {
		uint64_t c1 = 0, c2 = 0;
		uint32_t i;

		for (i = 0; i < HW_BLOCK; i += 8) {
			c = _mm_crc32_u64(c, psf_le64(p + i));
			c1 = _mm_crc32_u64(c1, psf_le64(p + HW_BLOCK + i));
			c2 = _mm_crc32_u64(c2, psf_le64(p + 2 * HW_BLOCK + i));
		}
		c = gf2_mul((uint32_t)c, HW_SHIFT) ^ (uint32_t)c1;
		c = gf2_mul((uint32_t)c, HW_SHIFT) ^ (uint32_t)c2;
		p += 3 * HW_BLOCK;
		len -= 3 * HW_BLOCK;
	}
	for (; len >= 8; p += 8, len -= 8)
		c = _mm_crc32_u64(c, psf_le64(p));
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

uint32_t psf_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = (const uint8_t *)data;

	crc = ~crc;
#ifdef PSF_CRC_HW
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc_hw(crc, p, len);
#endif
	while (len >= 8) {
		uint32_t lo = crc ^ psf_le32(p);
		uint32_t hi = psf_le32(p + 4);
		crc = crc_tables[7][lo & 0xffu] ^
		      crc_tables[6][(lo >> 8) & 0xffu] ^
		      crc_tables[5][(lo >> 16) & 0xffu] ^
		      crc_tables[4][lo >> 24] ^
		      crc_tables[3][hi & 0xffu] ^
		      crc_tables[2][(hi >> 8) & 0xffu] ^
		      crc_tables[1][(hi >> 16) & 0xffu] ^
		      crc_tables[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_tables[0][(crc ^ *p++) & 0xffu];
	return ~crc;
}

#endif /* PSF_CRC_FAST */
