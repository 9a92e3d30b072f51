/*
 * ps_format.c - the store's superblocks: laying out a media (ps_format)
 * and reading its geometry back (ps__load_geometry, for ps_read).
 * docs/store.md, "Superblock", is the normative layout.
 *
 * FREESTANDING, as ps_commit.c: no malloc, no libc I/O, no recursion.
 */
#include "ps_internal.h"

/* ---------------------------------------------------------------- layout */

#define SB_MAGIC "\x89psuper\x1a"

/* Superblock field offsets (docs/store.md, "Superblock"). */
#define SB_VERSION 8u       /* u32 */
#define SB_SECTOR_SIZE 12u  /* u32 */
#define SB_SECTORS 16u      /* u64 partition sectors */
#define SB_SLOT_COUNT 24u   /* u32 */
#define SB_FLAGS 28u        /* u32 */
#define SB_VOLUME_ID 32u    /* u8[16] */
#define SB_TABLE 64u        /* PS_MAX_SLOTS x { u64 lba, u32 sectors, u32 0 } */
#define SB_ENTRY 16u
#define SB_CRC 508u         /* u32 CRC-32C of [0, 508) */

#define ROOT_SIG PSF_SIG(1, PSF_NS_CORE, 0x0100) /* PSF_ROOT, psf_schema.h */

/* ---------------------------------------------------------- superblock */

/* Decode and check one superblock copy against the media; PS_OK, or
 * PS_ERR_SUPERBLOCK (damaged) or PS_ERR_NOSTORE (no magic at all). */
static int sb_decode(struct ps_disk *d, const uint8_t *sb)
{
	uint64_t next = 1, secs = psf_le64(sb + SB_SECTORS);
	uint32_t i, n = psf_le32(sb + SB_SLOT_COUNT);

	if (!ps__magic_is(sb, SB_MAGIC))
		return PS_ERR_NOSTORE;
	if (psf_crc32c(0, sb, SB_CRC) != psf_le32(sb + SB_CRC) ||
	    psf_le32(sb + SB_VERSION) != PS_SB_VERSION ||
	    (psf_le32(sb + SB_FLAGS) & 0xffffu) != 0)
		return PS_ERR_SUPERBLOCK;
	/* Geometry that does not fit the media is as bad as a bad CRC. */
	if (psf_le32(sb + SB_SECTOR_SIZE) != d->media->sector_size ||
	    secs > d->media->sectors || n < 2 || n > PS_MAX_SLOTS)
		return PS_ERR_SUPERBLOCK;
	for (i = 0; i < n; i++) {
		const uint8_t *e = sb + SB_TABLE + i * SB_ENTRY;
		uint64_t lba = psf_le64(e);
		uint32_t cnt = psf_le32(e + 8);

		/* In order, no overlap, clear of both superblocks. */
		if (lba < next || cnt < 2 || lba + cnt > secs - 1)
			return PS_ERR_SUPERBLOCK;
		d->slot[i].lba = lba;
		d->slot[i].sectors = cnt;
		next = lba + cnt;
	}
	d->sector_size = d->media->sector_size;
	d->sectors = secs;
	d->slot_count = n;
	psf_memcpy(d->volume_id, sb + SB_VOLUME_ID, 16);
	return PS_OK;
}

uint32_t ps_sb_sector_size(const void *sb)
{
	const uint8_t *p = sb;
	uint32_t ss;

	if (!p || !ps__magic_is(p, SB_MAGIC) ||
	    psf_crc32c(0, p, SB_CRC) != psf_le32(p + SB_CRC))
		return 0;
	ss = psf_le32(p + SB_SECTOR_SIZE);
	return ss >= PS_SECTOR_SIZE && ss <= PS_SECTOR_SIZE_MAX &&
	       (ss & (ss - 1)) == 0 ? ss : 0;
}

/*
 * Primary in sector 0, backup in the partition's last sector.  One damaged
 * copy is tolerated (and left alone: superblocks are written only by
 * ps_format) and recorded in d->sb_damaged for `check`; two valid copies
 * must agree byte for byte.  The superblock
 * is at most PS_SB_SIZE bytes, so comparing with the backup needs no second
 * buffer: the primary's CRC stands in for its bytes.
 */
int ps__load_geometry(struct ps_disk *d, uint8_t *sbuf)
{
	uint32_t pcrc;
	int rc, prc;

	d->sb_damaged = PS_SB_NONE;
	d->sb_damaged_lba = 0;
	rc = ps_media_read(d->media, 0, 1, sbuf);
	if (rc)
		return rc;
	prc = sb_decode(d, sbuf);
	if (prc == PS_OK) {
		pcrc = psf_le32(sbuf + SB_CRC);
		rc = ps_media_read(d->media, d->sectors - 1, 1, sbuf);
		if (rc)
			return rc;
		if (!ps__magic_is(sbuf, SB_MAGIC) ||
		    psf_crc32c(0, sbuf, SB_CRC) != psf_le32(sbuf + SB_CRC)) {
			/* Backup damaged: the primary stands, alone. */
			d->sb_damaged = PS_SB_BACKUP;
			d->sb_damaged_lba = d->sectors - 1;
			return PS_OK;
		}
		if (psf_le32(sbuf + SB_CRC) != pcrc)
			return PS_ERR_SUPERBLOCK; /* two valid copies disagree */
		return PS_OK;
	}
	rc = ps_media_read(d->media, d->media->sectors - 1, 1, sbuf);
	if (rc)
		return rc;
	rc = sb_decode(d, sbuf);
	if (rc == PS_OK && d->sectors != d->media->sectors)
		rc = PS_ERR_SUPERBLOCK; /* a backup must sit in its last sector */
	if (rc == PS_OK)
		d->sb_damaged = PS_SB_PRIMARY; /* sb_damaged_lba: 0 */
	if (rc == PS_ERR_NOSTORE && prc == PS_ERR_SUPERBLOCK)
		rc = PS_ERR_SUPERBLOCK;
	return rc;
}

/* ---------------------------------------------------------------- format */

static int write_zero_sector(struct ps_media *m, uint64_t lba, uint8_t *sbuf)
{
	psf_memset(sbuf, 0, m->sector_size);
	return ps_media_write(m, lba, 1, sbuf);
}

static void sb_encode(uint8_t *sb, const struct ps_disk *d)
{
	uint32_t i;

	psf_memset(sb, 0, d->sector_size);
	psf_memcpy(sb, SB_MAGIC, PS__MAGIC_LEN);
	psf_put_le32(sb + SB_VERSION, PS_SB_VERSION);
	psf_put_le32(sb + SB_SECTOR_SIZE, d->sector_size);
	psf_put_le64(sb + SB_SECTORS, d->sectors);
	psf_put_le32(sb + SB_SLOT_COUNT, d->slot_count);
	psf_memcpy(sb + SB_VOLUME_ID, d->volume_id, 16);
	for (i = 0; i < d->slot_count; i++) {
		psf_put_le64(sb + SB_TABLE + i * SB_ENTRY, d->slot[i].lba);
		psf_put_le32(sb + SB_TABLE + i * SB_ENTRY + 8,
			     d->slot[i].sectors);
	}
	psf_put_le32(sb + SB_CRC, psf_crc32c(0, sb, SB_CRC));
}

/* Slot table from the options; PS_ERR_GEOMETRY when it cannot fit. */
static int plan(struct ps_disk *d, struct ps_media *m,
		const struct ps_format_opts *o)
{
	uint32_t i, n = o->slot_count ? o->slot_count : 2;
	uint64_t per = o->slot_sectors;

	if (n < 2 || n > PS_MAX_SLOTS)
		return PS_ERR_INVAL;
	if (m->sectors < 2 + 2 * (uint64_t)n)
		return PS_ERR_GEOMETRY;
	if (per == 0) {
		/* 32-bit division: firmware has no 64-bit divide helper, and
		 * a store never needs slots of 2^32 sectors. */
		uint64_t avail = m->sectors - 2;

		per = (avail > 0xffffffffu ? 0xffffffffu : (uint32_t)avail) /
		      n;
	}
	if (per < 2 || per * n > m->sectors - 2 || per > 0xffffffffu)
		return PS_ERR_GEOMETRY;
	psf_memset(d, 0, sizeof(*d));
	d->media = m;
	d->sector_size = m->sector_size;
	d->sectors = m->sectors;
	d->slot_count = n;
	psf_memcpy(d->volume_id, o->volume_id, 16);
	for (i = 0; i < n; i++) {
		d->slot[i].lba = 1 + i * per;
		d->slot[i].sectors = (uint32_t)per;
	}
	if (ps__body_bytes(d, &d->slot[0]) < PS__MIN_STORE)
		return PS_ERR_GEOMETRY;
	return PS_OK;
}

/* Slot 0: the initial store at generation 1. */
static int write_first_slot(struct ps_disk *d, const uint8_t *store,
			    uint32_t len, uint64_t ts, uint8_t *sbuf)
{
	struct ps__hdr_fields s;
	uint64_t lba = d->slot[0].lba;
	uint32_t k, off;
	int rc;

	for (k = 0, off = 0; off < len; k++, off += d->sector_size) {
		uint32_t n = len - off;

		if (n > d->sector_size)
			n = d->sector_size;
		psf_memset(sbuf, 0, d->sector_size);
		psf_memcpy(sbuf, store + off, n);
		rc = ps_media_write(d->media, lba + 1 + k, 1, sbuf);
		if (rc)
			return rc;
	}
	s.generation = 1;
	s.length = len;
	s.crc = psf_crc32c(0, store, len);
	s.token = 0;
	s.owner = 0;
	s.timestamp = ts;
	s.flags = 0;
	psf_memset(sbuf, 0, d->sector_size);
	ps__slot_encode(sbuf, 0, &s);
	ps_slot_decode(sbuf, 0, &d->slot[0]);
	return ps_media_write(d->media, lba, 1, sbuf);
}

static int format_phases(struct ps_disk *d, const uint8_t *store,
			 uint32_t len, uint64_t ts, uint8_t *sbuf)
{
	struct ps_media *m = d->media;
	uint32_t i;
	int rc;

	/* Phase 1: no superblock, so no reader trusts a half-made layout. */
	rc = write_zero_sector(m, 0, sbuf);
	if (!rc)
		rc = write_zero_sector(m, m->sectors - 1, sbuf);
	if (!rc)
		rc = ps_media_flush(m);
	/* Phase 2: every slot free but slot 0, which holds generation 1. */
	for (i = 1; !rc && i < d->slot_count; i++)
		rc = write_zero_sector(m, d->slot[i].lba, sbuf);
	if (!rc)
		rc = write_first_slot(d, store, len, ts, sbuf);
	if (!rc)
		rc = ps_media_flush(m);
	/* Phase 3: backup then primary superblock; either alone suffices. */
	if (!rc) {
		sb_encode(sbuf, d);
		rc = ps_media_write(m, m->sectors - 1, 1, sbuf);
	}
	if (!rc)
		rc = ps_media_flush(m);
	if (!rc) {
		sb_encode(sbuf, d);
		rc = ps_media_write(m, 0, 1, sbuf);
	}
	if (!rc)
		rc = ps_media_flush(m);
	return rc;
}

int ps_format(struct ps_disk *d, struct ps_media *m,
	      const struct ps_format_opts *o, void *sector_buf)
{
	static const struct ps_format_opts defaults;
	uint8_t empty[PS__MIN_STORE];
	struct psf_builder b;
	const uint8_t *store = empty;
	uint32_t len = 0;
	int rc;

	if (!d || !m || !sector_buf)
		return PS_ERR_INVAL;
	if (m->read_only)
		return PS_ERR_RDONLY;
	if (!o)
		o = &defaults;
	rc = plan(d, m, o);
	if (rc)
		return rc;
	if (o->store) {
		store = (const uint8_t *)o->store;
		len = o->store_len;
		rc = psf_check_full(store, len, 0);
		if (!rc && psf_total(store) != len)
			rc = PSF_ERR_BADHEADER;
	} else {
		psf_build_begin(&b, empty, sizeof(empty), ROOT_SIG, 1, 0);
		rc = psf_build_finish(&b);
		len = rc > 0 ? (uint32_t)rc : 0;
		rc = rc > 0 ? PS_OK : rc;
	}
	if (!rc && len > ps__body_bytes(d, &d->slot[0]))
		rc = PS_ERR_NOSPACE;
	if (!rc)
		rc = format_phases(d, store, len, o->timestamp,
				   (uint8_t *)sector_buf);
	if (rc) {
		d->base = -1;
		return rc;
	}
	/* d now describes the new media: ready to commit without a read. */
	d->base = 0;
	d->generation = 1;
	d->length = len;
	/* Read back what readers will see, as a commit does: the geometry
	 * (re-read into d, where it must come out the same) and slot 0. */
	rc = ps__load_geometry(d, (uint8_t *)sector_buf);
	if (!rc && d->sb_damaged)
		rc = PS_ERR_IO; /* a copy just written reads back damaged */
	if (!rc)
		rc = ps__slot_verify(d, 0, (uint8_t *)sector_buf);
	if (rc)
		d->base = -1;
	return rc;
}
