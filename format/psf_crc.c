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

uint32_t psf_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = (const uint8_t *)data;

	crc = ~crc;
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
