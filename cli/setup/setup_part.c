/*
 * setup_part.c - which partition of one key holds the store: MBR primary
 * and logical entries (type 0x6b), the GPT (type GUID; the backup header
 * and table when the primary ones are damaged), or, without a partition
 * table, the whole disk.  The same partitions libblkid finds on the Linux
 * side (docs/discovery.md), numbered the same way (logical ones from 5),
 * so both sides name a key's partition alike.
 */
#include "setup.h"

/* Links followed in an extended partition before the chain is taken for
 * a loop (a hostile key can point an EBR at itself). */
#define EBR_MAX 128u
#define GPT_ENTRIES_MAX 1024u

static const uint8_t pstate_guid[16] = {  /* on-disk, mixed-endian */
	0xb3, 0xfa, 0x00, 0x9c, 0xa7, 0x18, 0xb6, 0x43,
	0x82, 0xbb, 0xc5, 0xe4, 0x29, 0xb0, 0xef, 0x53,
};

struct gpt {
	uint64_t entries;                /* first LBA of the entry array */
	uint32_t n, esz, crc;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int read_lba(struct setup *s, struct setup_key *k, uint64_t lba)
{
	return EFI_ERROR(uefi_call_wrapper(k->bio->ReadBlocks, 5, k->bio,
					   k->bio->Media->MediaId, lba,
					   k->bio->Media->BlockSize,
					   s->bounce)) ? KEY_IO : 0;
}

static int bad(struct setup_key *k, int status, const char *why)
{
	key_why(k, status, why, NULL);
	return status;
}

/* One pstate entry: remember where it is; a second one is refused, as on
 * the Linux side (which of two stores is meant cannot be told). */
static int take(struct setup_key *k, uint32_t *found, uint64_t first,
		uint64_t n, const char *table, uint64_t no, const char *note)
{
	struct sb w;

	if ((*found)++)
		return bad(k, KEY_BAD_PART, "two pstate partitions (remove one)");
	k->first_lba = first;
	k->sectors = n;
	ps__sb_init(&w, k->part, sizeof k->part);
	ps__sb_str(&w, table);
	ps__sb_str(&w, " partition #");
	ps__sb_u64(&w, no);
	if (note)
		ps__sb_str(&w, note);
	return 0;
}

static uint32_t crc32(const void *p, UINTN n)
{
	UINT32 c = 0;

	uefi_call_wrapper(BS->CalculateCrc32, 3, (void *)p, n, &c);
	return c;
}

/* The GPT header at lba: signature, size, its own CRC, that it says it is
 * at lba, and an entry array that fits the disk.  0 or a reason. */
static const char *gpt_header(struct setup *s, struct setup_key *k,
			      uint64_t lba, struct gpt *g)
{
	uint32_t bs = k->bio->Media->BlockSize, hsz, want;
	uint64_t last = k->bio->Media->LastBlock, len;

	if (read_lba(s, k, lba))
		return "cannot read the GPT header";
	if (memcmp(s->bounce, "EFI PART", 8))
		return "no GPT header";
	hsz = le32(s->bounce + 12);
	if (hsz < 92 || hsz > bs)
		return "GPT header size out of range";
	want = le32(s->bounce + 16);
	SetMem(s->bounce + 16, 4, 0);
	if (crc32(s->bounce, hsz) != want)
		return "GPT header CRC mismatch";
	if (le64(s->bounce + 24) != lba)
		return "GPT header at the wrong LBA";
	g->entries = le64(s->bounce + 72);
	g->n = le32(s->bounce + 80);
	g->esz = le32(s->bounce + 84);
	g->crc = le32(s->bounce + 88);
	if (g->esz < 128 || g->esz > bs || bs % g->esz || !g->n ||
	    g->n > GPT_ENTRIES_MAX)
		return "GPT header with a bad entry size or count";
	len = ((uint64_t)g->n * g->esz + bs - 1) / bs;
	if (g->entries < 2 || g->entries > last || len > last - g->entries + 1)
		return "GPT entry array outside the disk";
	return NULL;
}

/* Read the entry array (checked against the header's CRC) and take the
 * pstate entry from it. */
static const char *gpt_entries(struct setup *s, struct setup_key *k,
			       const struct gpt *g, const char *note,
			       int *rc)
{
	uint32_t bs = k->bio->Media->BlockSize, i, found = 0;
	UINTN len = (UINTN)(((uint64_t)g->n * g->esz + bs - 1) / bs) * bs;
	uint8_t *a = AllocatePool(len);
	const char *why = NULL;

	*rc = 0;
	if (!a)
		return "out of memory for the GPT entries";
	if (EFI_ERROR(uefi_call_wrapper(k->bio->ReadBlocks, 5, k->bio,
					k->bio->Media->MediaId, g->entries,
					len, a)))
		why = "cannot read the GPT entries";
	else if (crc32(a, (UINTN)g->n * g->esz) != g->crc)
		why = "GPT entry array CRC mismatch";
	for (i = 0; !why && i < g->n && !*rc; i++) {
		const uint8_t *e = a + (UINTN)i * g->esz;

		if (!memcmp(e, pstate_guid, 16))
			*rc = take(k, &found, le64(e + 32),
				   le64(e + 40) - le64(e + 32) + 1, "gpt",
				   i + 1, note);
	}
	FreePool(a);
	if (!why && !*rc && !found)
		*rc = bad(k, KEY_NO_PART, "gpt partition table, none of "
			  "pstate type");
	return why;
}

/* The primary GPT, else the backup at the disk's last LBA (as libblkid
 * falls back); the partition's name says when the backup was used. */
static int find_gpt(struct setup *s, struct setup_key *k)
{
	static const char *const note[2] = { NULL, " (backup GPT)" };
	const uint64_t at[2] = { 1, k->bio->Media->LastBlock };
	const char *why = NULL;
	struct gpt g;
	int i, rc;

	for (i = 0; i < 2; i++) {
		const char *w = gpt_header(s, k, at[i], &g);

		if (!w)
			w = gpt_entries(s, k, &g, note[i], &rc);
		if (!w)
			return rc;
		if (!why)
			why = w;
	}
	return bad(k, KEY_BAD_PART, why);
}

static int is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/* The logical partitions of the extended partition at ext: each EBR's
 * data entry is relative to that EBR, its link entry to ext.  Numbered
 * from 5 in chain order, one number per non-empty data entry (the Linux
 * numbering). */
static int walk_ebr(struct setup *s, struct setup_key *k, uint64_t ext,
		    uint32_t *found)
{
	uint64_t ebr = ext, no = 5, last = k->bio->Media->LastBlock;
	uint32_t hop, i;

	for (hop = 0; hop < EBR_MAX; hop++) {
		uint64_t next = 0;

		if (read_lba(s, k, ebr))
			return KEY_IO;
		if (s->bounce[510] != 0x55 || s->bounce[511] != 0xaa)
			return bad(k, KEY_BAD_PART, "extended partition: an "
				   "EBR without its 0x55aa signature");
		for (i = 0; i < 4; i++) {
			const uint8_t *e = s->bounce + 446 + 16 * i;

			if (is_extended(e[4])) {
				if (!next && le32(e + 12))
					next = ext + le32(e + 8);
				continue;
			}
			if (!e[4] || !le32(e + 12))
				continue;
			if (e[4] == 0x6b && take(k, found, ebr + le32(e + 8),
						 le32(e + 12), "dos", no, NULL))
				return KEY_BAD_PART;
			no++;
		}
		if (!next)
			return 0;
		if (next <= ebr || next > last)
			return bad(k, KEY_BAD_PART, "extended partition: an "
				   "EBR link out of order or past the disk");
		ebr = next;
	}
	return bad(k, KEY_BAD_PART, "extended partition: more than 128 "
		   "logical partitions (a loop?)");
}

/* The MBR's four entries (copied: reading an EBR reuses the bounce
 * buffer), the logical partitions behind an extended one, or the GPT
 * behind a protective MBR. */
static int find_mbr(struct setup *s, struct setup_key *k)
{
	uint8_t tab[64];
	uint32_t i, found = 0;
	int gpt = 0, rc;

	CopyMem(tab, s->bounce + 446, sizeof tab);
	for (i = 0; i < 4; i++) {
		const uint8_t *e = tab + 16 * i;

		gpt |= e[4] == 0xee;
		if (e[4] == 0x6b &&
		    take(k, &found, le32(e + 8), le32(e + 12), "dos", i + 1,
			 NULL))
			return KEY_BAD_PART;
		if (is_extended(e[4]) && le32(e + 12)) {
			rc = walk_ebr(s, k, le32(e + 8), &found);
			if (rc)
				return rc;
		}
	}
	if (gpt && !found)
		return find_gpt(s, k);
	if (!found)
		return bad(k, KEY_NO_PART, "dos partition table, none of "
			   "pstate type (MBR 0x6b)");
	return 0;
}

int part_find(struct setup *s, struct setup_key *k)
{
	struct sb w;
	int rc;

	if (read_lba(s, k, 0))
		return KEY_IO;
	if (s->bounce[510] != 0x55 || s->bounce[511] != 0xaa) {
		k->first_lba = 0;
		k->sectors = k->bio->Media->LastBlock + 1;
		ps__sb_init(&w, k->part, sizeof k->part);
		ps__sb_str(&w, "whole disk, no partition table");
		return 0;
	}
	rc = find_mbr(s, k);
	if (rc)
		return rc;
	if (!k->sectors || k->first_lba > k->bio->Media->LastBlock ||
	    k->sectors > k->bio->Media->LastBlock + 1 - k->first_lba)
		return bad(k, KEY_BAD_PART, "pstate partition extends past "
			   "the end of the disk");
	return 0;
}
