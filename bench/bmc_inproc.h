/*
 * bmc_inproc.h - the BMC shim driven in-process, for the tests and the
 * churn benchmark: sector callbacks over a struct ps_media (so that
 * ps_media_fault can count or cut the shim's writes), and one whole OEM
 * write (begin, chunks, finish) through bmc_shim_handle.  Header only.
 */
#ifndef BMC_INPROC_H
#define BMC_INPROC_H

#include <string.h>

#include "bmc_shim.h"
#include "psf_schema.h"

static inline int bip_read(void *c, uint64_t lba, uint32_t n, void *buf)
{
	return ps_media_read(c, lba, n, buf);
}

static inline int bip_write_sectors(void *c, uint64_t lba, uint32_t n,
				    const void *buf)
{
	return ps_media_write(c, lba, n, buf);
}

static inline int bip_flush(void *c)
{
	return ps_media_flush(c);
}

/* Platform media ops whose context is a struct ps_media. */
static inline const struct ps_media_ops *bip_media_ops(void)
{
	static const struct ps_media_ops ops = { bip_read, bip_write_sectors,
						 bip_flush, NULL };

	return &ops;
}

static inline int bip_power_off(void *c)
{
	(void)c;
	return BMC_POWER_OFF;
}

/* The shim over media m (sectors of 512 bytes), the host off and writes
 * gated on that (no semaphore): bmc_shim_init's result. */
static inline int bip_init(struct bmc_shim *s, struct ps_media *m,
			   uint64_t sectors)
{
	struct bmc_shim_platform p = { 0 };

	p.media_ops = bip_media_ops();
	p.media_ctx = m;
	p.sector_size = 512;
	p.sectors = sectors;
	p.host_power = bip_power_off;
	p.gate = BMC_GATE_HOST_OFF;
	return bmc_shim_init(s, &p);
}

/*
 * A whole write of op with data[0..n): begin (naming the client lock's
 * token when tok is not NULL), chunks of 16, finish, as admin.  The last
 * response is in resp (rcap bytes, *rlen), the session in *sess.  Returns
 * the first non-zero completion code.
 */
static inline uint8_t bip_write(struct bmc_shim *s, uint8_t op,
				const void *data, size_t n, const uint32_t *tok,
				uint8_t *resp, size_t rcap, size_t *rlen,
				uint8_t *sess)
{
	uint8_t q[32], cc;
	size_t off;

	q[0] = op;
	psf_put_le16(q + 1, (uint16_t)n);
	psf_put_le32(q + 3, 0);
	if (tok)
		psf_put_le32(q + 7, *tok);
	cc = bmc_shim_handle(s, BMC_CMD_WRITE_BEGIN, BMC_PRIV_ADMIN, q,
			     tok ? 11 : 7, resp, rcap, rlen);
	if (cc)
		return cc;
	*sess = resp[0];
	for (off = 0; off < n; off += 16) {
		size_t k = n - off < 16 ? n - off : 16;

		q[0] = *sess;
		psf_put_le16(q + 1, (uint16_t)off);
		memcpy(q + 3, (const uint8_t *)data + off, k);
		cc = bmc_shim_handle(s, BMC_CMD_WRITE_CHUNK, BMC_PRIV_ADMIN, q,
				     3 + k, resp, rcap, rlen);
		if (cc)
			return cc;
	}
	q[0] = *sess;
	psf_put_le32(q + 1, psf_crc32c(0, data, n));
	return bmc_shim_handle(s, BMC_CMD_WRITE_FINISH, BMC_PRIV_ADMIN, q, 5,
			       resp, rcap, rlen);
}

/* A NETWORKS set holding one NAT network named name (nlen bytes) into p:
 * the element bytes of an OEM element write under the root.  Its
 * length. */
static inline size_t bip_net_element(uint8_t *p, const char *name,
				     uint32_t nlen)
{
	uint8_t cfg[PSF_NETC_SIZE] = { PSF_NET_NAT };
	size_t n = 12;

	psf_put_le32(p, PSF_NETWORKS);
	psf_put_le32(p + 4, 1);
	psf_put_le32(p + n, PSF_NETWORK);
	psf_put_le32(p + n + 4, 2);
	psf_put_le32(p + n + 8, 8 + nlen + 8 + PSF_NETC_SIZE);
	n += 12;
	psf_put_le32(p + n, PSF_NAME);
	psf_put_le32(p + n + 4, nlen);
	memcpy(p + n + 8, name, nlen);
	n += 8 + nlen;
	psf_put_le32(p + n, PSF_NETWORK_CONFIG);
	psf_put_le32(p + n + 4, PSF_NETC_SIZE);
	memcpy(p + n + 8, cfg, PSF_NETC_SIZE);
	n += 8 + PSF_NETC_SIZE;
	psf_put_le32(p + 8, (uint32_t)(n - 12));
	return n;
}

#endif /* BMC_INPROC_H */
