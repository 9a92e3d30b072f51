/*
 * psf_sw.c - sequential builder: writes a store front to back, the way a
 * firmware or a packer emits it, without ever moving bytes.
 */
#include "psf.h"

static int fail(struct psf_builder *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

/* Reserve n bytes at the current position; NULL when out of room. */
static uint8_t *take(struct psf_builder *b, uint32_t n)
{
	uint8_t *at;

	if (n > b->cap - b->pos) {
		fail(b, PSF_ERR_NOSPACE);
		return 0;
	}
	at = b->buf + b->pos;
	b->pos += n;
	return at;
}

static void count_child(struct psf_builder *b)
{
	uint8_t *count = b->buf + b->open[b->depth - 1] + 4;

	psf_put_le32(count, psf_le32(count) + 1);
}

int psf_build_begin(struct psf_builder *b, void *buf, size_t cap,
		    uint32_t root_sig, uint32_t schema_version,
		    uint32_t flags)
{
	b->buf = (uint8_t *)buf;
	b->cap = cap < PSF_MAX_TOTAL ? (uint32_t)cap : PSF_MAX_TOTAL;
	b->pos = 0;
	b->depth = 0;
	b->err = 0;
	if (!PSF_SIG_IS_CONTAINER(root_sig))
		return fail(b, PSF_ERR_BADVALUE);
	if (!take(b, PSF_HEADER_SIZE))
		return b->err;
	psf_memset(b->buf, 0, PSF_HEADER_SIZE);
	psf_memcpy(b->buf, PSF_MAGIC, PSF_MAGIC_LEN);
	b->buf[PSF_HDR_MAJOR] = PSF_FORMAT_MAJOR;
	b->buf[PSF_HDR_MINOR] = PSF_FORMAT_MINOR;
	psf_put_le16(b->buf + PSF_HDR_HEADER_SIZE, PSF_HEADER_SIZE);
	psf_put_le32(b->buf + PSF_HDR_SCHEMA, schema_version);
	psf_put_le32(b->buf + PSF_HDR_FLAGS, flags);
	return psf_build_open(b, root_sig);
}

int psf_build_open(struct psf_builder *b, uint32_t sig)
{
	uint8_t *at;

	if (b->err)
		return b->err;
	if (!PSF_SIG_IS_CONTAINER(sig))
		return fail(b, PSF_ERR_BADVALUE);
	if (b->depth == PSF_MAX_DEPTH)
		return fail(b, PSF_ERR_TOODEEP);
	if (b->depth == 0 && b->pos != PSF_HEADER_SIZE)
		return fail(b, PSF_ERR_BADSTATE); /* a second root */
	at = take(b, PSF_CONTAINER_HDR);
	if (!at)
		return b->err;
	if (b->depth)
		count_child(b);
	psf_put_le32(at, sig);
	psf_put_le32(at + 4, 0);
	psf_put_le32(at + 8, 0);
	b->open[b->depth++] = (uint32_t)(at - b->buf);
	return PSF_OK;
}

int psf_build_close(struct psf_builder *b)
{
	uint32_t start;

	if (b->err)
		return b->err;
	if (b->depth == 0)
		return fail(b, PSF_ERR_BADSTATE);
	start = b->open[--b->depth];
	psf_put_le32(b->buf + start + 8, b->pos - start - PSF_CONTAINER_HDR);
	return PSF_OK;
}

int psf_build_struct(struct psf_builder *b, uint32_t sig, const void *data,
		     uint32_t len)
{
	uint8_t *at;

	if (b->err)
		return b->err;
	if (PSF_SIG_IS_CONTAINER(sig))
		return fail(b, PSF_ERR_BADVALUE);
	if (b->depth == 0)
		return fail(b, PSF_ERR_BADSTATE);
	if (len > b->cap)
		return fail(b, PSF_ERR_NOSPACE);
	at = take(b, PSF_STRUCT_HDR + len);
	if (!at)
		return b->err;
	count_child(b);
	psf_put_le32(at, sig);
	psf_put_le32(at + 4, len);
	if (data)
		psf_memcpy(at + PSF_STRUCT_HDR, data, len);
	else
		psf_memset(at + PSF_STRUCT_HDR, 0, len);
	return PSF_OK;
}

int psf_build_elem(struct psf_builder *b, const void *elem, uint32_t len)
{
	uint8_t *at;

	if (b->err)
		return b->err;
	if (b->depth == 0)
		return fail(b, PSF_ERR_BADSTATE);
	if (len > b->cap)
		return fail(b, PSF_ERR_NOSPACE);
	at = take(b, len);
	if (!at)
		return b->err;
	count_child(b);
	psf_memcpy(at, elem, len);
	return PSF_OK;
}

int psf_build_string(struct psf_builder *b, uint32_t sig, const char *s)
{
	uint32_t len = 0;

	while (s[len])
		len++;
	return psf_build_struct(b, sig, s, len);
}

int psf_build_finish(struct psf_builder *b)
{
	if (b->err)
		return b->err;
	if (b->depth != 1)
		return fail(b, PSF_ERR_BADSTATE);
	psf_build_close(b);
	psf_put_le32(b->buf + PSF_HDR_TOTAL, b->pos);
	psf_finish(b->buf);
	return (int)b->pos;
}
