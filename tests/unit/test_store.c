/*
 * test_store.c - the store on media (pstate/ps_commit.c, ps_store.c,
 * ps_media*.c): format / read / commit round trips, slot choice, every
 * corruption of either slot and of the superblocks (bad data is skipped,
 * never repaired, and nothing is written), no write when unchanged,
 * conflicts and ps_update retries, fencing, the write budget of small
 * edits, the image-file and block-device backends and the fault wrapper.
 * The exhaustive crash test is test_store_crash.c.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "ps_test_util.h"

#define SS 512u
#define NSEC 130u          /* 2 superblocks + 2 slots of 64 sectors */

struct fix {
	struct ps_media m;
	uint8_t *mem;
	uint8_t sector[SS];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct ps_disk d;

	if (!f)
		return -1;
	f->mem = pst_ramdisk(&f->m, SS, NSEC);
	if (!f->mem || ps_format(&d, &f->m, NULL, f->sector))
		return -1;
	ps_media_stats_reset(&f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	free(f->mem);
	free(f);
	return 0;
}

static struct ps_store *open_ok(struct fix *f)
{
	int err = 1;
	struct ps_store *s = ps_store_open(&f->m, &err);

	assert_int_equal(err, PS_OK);
	assert_non_null(s);
	return s;
}

/* Append n VMs (name, pad room, config) to the store's VMS set. */
static int edit_add_vms(void *buf, size_t cap, void *arg)
{
	unsigned i, n = *(unsigned *)arg;
	uint8_t cfg[PSF_VMC_SIZE] = { 0 };
	int vms = psf_find_child(buf, psf_root(buf), PSF_VMS);

	if (vms == PSF_ERR_NOTFOUND)
		vms = psf_insert(buf, cap, psf_root(buf), -1, PSF_VMS, NULL, 0);
	for (i = 0; vms >= 0 && i < n; i++) {
		int vm = psf_insert(buf, cap, vms, -1, PSF_VM, NULL, 0), rc;

		if (vm < 0)
			return vm;
		rc = psf_insert(buf, cap, vm, -1, PSF_NAME, "vm", 2);
		if (rc >= 0)
			rc = psf_insert(buf, cap, vm, -1, PSF_PAD, NULL,
					PST_NAME_ROOM);
		if (rc >= 0)
			rc = psf_insert(buf, cap, vm, -1, PSF_VM_CONFIG, cfg,
					sizeof(cfg));
		if (rc < 0)
			return rc;
	}
	return vms < 0 ? vms : 0;
}

static int edit_memory(void *buf, size_t cap, void *arg)
{
	(void)cap;
	return pst_set_memory(buf, 0, *(uint64_t *)arg);
}

static int edit_fail(void *buf, size_t cap, void *arg)
{
	(void)buf, (void)cap, (void)arg;
	return PS_ERR_INVAL;
}

/* Bytes of the store the media's newest slot holds, freshly read. */
static uint8_t *read_media(struct fix *f, struct ps_disk *d, uint32_t *len)
{
	uint8_t *buf = malloc(64 * SS);

	assert_int_equal(ps_read(d, &f->m, buf, 64 * SS), PS_OK);
	*len = d->length;
	return buf;
}

/* Recompute a slot header's CRC after a test changed a field. */
static void reseal_header(uint8_t *h)
{
	psf_put_le32(h + 60, psf_crc32c(0, h, 60));
}

static uint8_t *slot_hdr(struct fix *f, const struct ps_disk *d, int i)
{
	return f->mem + d->slot[i].lba * SS;
}

/* ------------------------------------------------------------- tests */

static void test_format_read_commit(void **state)
{
	struct fix *f = *state;
	struct ps_store *s = open_ok(f), *s2;
	unsigned n = 3;
	uint32_t len, len2;
	const uint8_t *a;

	assert_int_equal(ps_store_generation(s), 1);
	assert_int_equal(ps_store_disk(s)->base, 0);
	a = ps_store_data(s, &len);
	assert_int_equal(len, PSF_HEADER_SIZE + PSF_CONTAINER_HDR);
	assert_int_equal(psf_sig(a, psf_root(a)), PSF_ROOT);

	assert_int_equal(ps_update(s, edit_add_vms, &n, 0), PS_OK);
	assert_int_equal(ps_store_generation(s), 2);
	assert_int_equal(ps_store_disk(s)->base, 1);
	assert_int_equal(ps_update(s, edit_add_vms, &n, 0), PS_OK);
	assert_int_equal(ps_store_generation(s), 3);
	assert_int_equal(ps_store_disk(s)->base, 0);

	s2 = open_ok(f);
	a = ps_store_data(s, &len);
	assert_int_equal(ps_store_generation(s2), 3);
	assert_int_equal(len, (ps_store_data(s2, &len2), len2));
	assert_memory_equal(a, ps_store_data(s2, NULL), len);
	assert_int_equal(psf_check_full(a, len, NULL), PSF_OK);
	ps_store_close(s2);
	ps_store_close(s);
}

static void test_format_options_and_errors(void **state)
{
	struct fix *f = *state;
	struct ps_format_opts o = { .slot_count = 3, .slot_sectors = 20 };
	struct ps_disk d;
	uint8_t store[4096];
	int len = pst_mkstore(store, sizeof(store), 5, PST_NAME_ROOM);
	uint32_t got;
	uint8_t *b;

	o.store = store;
	o.store_len = (uint32_t)len;
	o.volume_id[0] = 0xab;
	assert_int_equal(ps_format(&d, &f->m, &o, f->sector), PS_OK);
	assert_int_equal(d.slot_count, 3);
	assert_int_equal(d.generation, 1);
	b = read_media(f, &d, &got);
	assert_int_equal(got, (uint32_t)len);
	assert_memory_equal(b, store, got);
	assert_int_equal(d.volume_id[0], 0xab);
	assert_int_equal(d.slot[2].lba, 41);
	assert_int_equal(ps_slot_capacity(&d), 19 * SS);
	/* Three slots rotate 0 -> 1 -> 2 -> 0. */
	pst_set_memory(b, 0, 7);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	assert_int_equal(d.base, 1);
	pst_set_memory(b, 0, 8);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	assert_int_equal(d.base, 2);
	pst_set_memory(b, 0, 9);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	assert_int_equal(d.base, 0);
	assert_int_equal(d.generation, 4);
	free(b);

	/* Bad geometry, bad initial stores: errors, nothing written. */
	ps_media_stats_reset(&f->m);
	o = (struct ps_format_opts){ .slot_count = 9 };
	assert_int_equal(ps_format(&d, &f->m, &o, f->sector), PS_ERR_INVAL);
	o = (struct ps_format_opts){ .slot_count = 2, .slot_sectors = 65 };
	assert_int_equal(ps_format(&d, &f->m, &o, f->sector), PS_ERR_GEOMETRY);
	len = pst_mkstore(store, sizeof(store), 12, PST_NAME_ROOM);
	assert_true(len > (int)SS);
	o = (struct ps_format_opts){ .slot_sectors = 2, .store = store,
				     .store_len = (uint32_t)len };
	assert_int_equal(ps_format(&d, &f->m, &o, f->sector), PS_ERR_NOSPACE);
	store[40] ^= 1;
	o = (struct ps_format_opts){ .store = store, .store_len = (uint32_t)len };
	assert_true(ps_format(&d, &f->m, &o, f->sector) < 0);
	assert_int_equal(f->m.stats.sectors_written, 0);
	f->m.read_only = 1;
	assert_int_equal(ps_format(&d, &f->m, NULL, f->sector), PS_ERR_RDONLY);
	f->m.read_only = 0;
	assert_int_equal(f->m.stats.sectors_written, 0);
}

/* A store with one VM at generation 3 (slot 0) and 2 (slot 1). */
static void two_generations(struct fix *f, struct ps_disk *d, uint8_t *b)
{
	int len = pst_mkstore(b, 64 * SS, 4, PST_NAME_ROOM);
	struct ps_disk tmp;

	assert_true(len > 0);
	assert_int_equal(ps_read(&tmp, &f->m, f->sector, SS), PS_OK);
	assert_int_equal(ps_commit(&tmp, b, f->sector, NULL), PS_OK);
	pst_set_memory(b, 1, 4242);
	psf_finish(b);
	assert_int_equal(ps_commit(&tmp, b, f->sector, NULL), PS_OK);
	assert_int_equal(tmp.generation, 3);
	assert_int_equal(tmp.base, 0);
	*d = tmp;
	ps_media_stats_reset(&f->m);
}

static void test_slot_choice(void **state)
{
	struct fix *f = *state;
	struct ps_disk d;
	uint8_t *b = calloc(64, SS), *got;
	uint32_t len;

	two_generations(f, &d, b);
	got = read_media(f, &d, &len);
	assert_int_equal(d.generation, 3);
	assert_int_equal(d.base, 0);
	assert_memory_equal(got, b, len);
	free(got);

	/* Generation decides, not the slot index: bump slot 1 to 9. */
	psf_put_le64(slot_hdr(f, &d, 1) + 16, 9);
	reseal_header(slot_hdr(f, &d, 1));
	got = read_media(f, &d, &len);
	assert_int_equal(d.base, 1);
	assert_int_equal(d.generation, 9);
	free(got);
	/* Equal generations: the lower index. */
	psf_put_le64(slot_hdr(f, &d, 1) + 16, 3);
	reseal_header(slot_hdr(f, &d, 1));
	got = read_media(f, &d, &len);
	assert_int_equal(d.base, 0);
	free(got);
	/* Generation 0 is never valid. */
	psf_put_le64(slot_hdr(f, &d, 0) + 16, 0);
	reseal_header(slot_hdr(f, &d, 0));
	got = read_media(f, &d, &len);
	assert_int_equal(d.base, 1);
	free(got);
	assert_int_equal(f->m.stats.sectors_written, 0);
	free(b);
}

/* Kinds of damage to one slot. */
enum damage { HDR_CRC, HDR_MAGIC, HDR_INDEX, HDR_LENGTH, BODY_BYTE,
	      BODY_PSF, DAMAGE_END };

static void damage(struct fix *f, const struct ps_disk *d, int i,
		   enum damage k)
{
	uint8_t *h = slot_hdr(f, d, i), *body = h + SS;
	uint32_t len = psf_le32(h + 24);

	switch (k) {
	case HDR_CRC: h[60] ^= 0x01; break;
	case HDR_MAGIC: h[1] = 'X'; reseal_header(h); break;
	case HDR_INDEX: psf_put_le32(h + 12, (uint32_t)!i); reseal_header(h);
		break;
	case HDR_LENGTH: psf_put_le32(h + 24, 64 * SS); reseal_header(h);
		break;
	case BODY_BYTE: body[len - 1] ^= 0x80; break;
	case BODY_PSF:
		/* Valid CRCs everywhere, but the tree is wrong: the VMS
		 * container claims one child too many. */
		psf_put_le32(body + 44 + 4, psf_le32(body + 44 + 4) + 1);
		psf_finish(body);
		psf_put_le32(h + 28, psf_crc32c(0, body, len));
		reseal_header(h);
		break;
	default: break;
	}
}

static void test_corrupt_either_slot(void **state)
{
	struct fix *f = *state;
	struct ps_disk d, r;
	uint8_t *b = calloc(64, SS), *newest = calloc(64, SS), *older;
	uint8_t *img = malloc(NSEC * SS), *got;
	uint32_t len, olen;
	int k, victim;

	two_generations(f, &d, b);
	memcpy(newest, b, psf_total(b));
	memcpy(img, f->mem, NSEC * SS);
	/* The older store: generation 2, memory of VM 1 unchanged. */
	older = calloc(64, SS);
	memcpy(older, f->mem + (d.slot[1].lba + 1) * SS, 63 * SS);
	olen = psf_total(older);

	for (victim = 0; victim < 2; victim++) {
		for (k = 0; k < DAMAGE_END; k++) {
			memcpy(f->mem, img, NSEC * SS);
			damage(f, &d, victim, (enum damage)k);
			got = read_media(f, &r, &len);
			/* The other slot, whatever it holds. */
			assert_int_equal(r.base, !victim);
			assert_int_equal(r.generation, victim ? 3 : 2);
			assert_memory_equal(got, victim ? newest : older,
					    victim ? psf_total(newest) : olen);
			/* The damaged slot stays as it was: not repaired. */
			assert_int_equal(f->m.stats.sectors_written, 0);
			free(got);
		}
	}
	/* Both bad: a clear error, no store, no write. */
	memcpy(f->mem, img, NSEC * SS);
	damage(f, &d, 0, BODY_BYTE);
	damage(f, &d, 1, HDR_CRC);
	assert_int_equal(ps_read(&r, &f->m, b, 64 * SS), PS_ERR_NOSLOT);
	assert_null(ps_store_open(&f->m, &k));
	assert_int_equal(k, PS_ERR_NOSLOT);
	assert_int_equal(f->m.stats.sectors_written, 0);
	/* A commit cannot start from a disk that has no base. */
	assert_int_equal(ps_commit(&r, newest, f->sector, NULL), PS_ERR_INVAL);
	assert_int_equal(f->m.stats.sectors_written, 0);
	assert_string_equal(ps_strerror(PS_ERR_NOSLOT),
			    "no slot holds a valid store");
	free(b), free(newest), free(older), free(img);
}

static void test_superblocks(void **state)
{
	struct fix *f = *state;
	struct ps_disk d;
	uint8_t *img = malloc(NSEC * SS), *last = f->mem + (NSEC - 1) * SS;
	uint8_t buf[64 * SS];

	memcpy(img, f->mem, NSEC * SS);
	assert_memory_equal(f->mem, last, SS);
	/* Both intact: no damage recorded. */
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_OK);
	assert_int_equal(d.sb_damaged, PS_SB_NONE);
	/* One copy damaged: the other serves, is not rewritten, and the
	 * damaged one is named (for check). */
	f->mem[100] ^= 1;
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_OK);
	assert_int_equal(d.sb_damaged, PS_SB_PRIMARY);
	assert_int_equal(d.sb_damaged_lba, 0);
	memcpy(f->mem, img, NSEC * SS);
	last[508] ^= 1;
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_OK);
	assert_int_equal(d.sb_damaged, PS_SB_BACKUP);
	assert_int_equal(d.sb_damaged_lba, NSEC - 1);
	/* A zeroed primary (no magic) is damaged too when the backup
	 * serves. */
	memcpy(f->mem, img, NSEC * SS);
	memset(f->mem, 0, SS);
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_OK);
	assert_int_equal(d.sb_damaged, PS_SB_PRIMARY);
	memcpy(f->mem, img, NSEC * SS);
	last[508] ^= 1;
	/* Both damaged. */
	f->mem[508] ^= 1;
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)),
			 PS_ERR_SUPERBLOCK);
	/* Both valid but different (another volume id). */
	memcpy(f->mem, img, NSEC * SS);
	last[32] = 0x55;
	psf_put_le32(last + 508, psf_crc32c(0, last, 508));
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)),
			 PS_ERR_SUPERBLOCK);
	/* A slot table running into the backup. */
	memcpy(f->mem, img, NSEC * SS);
	psf_put_le32(f->mem + 64 + 16 + 8, 65);
	psf_put_le32(f->mem + 508, psf_crc32c(0, f->mem, 508));
	memset(last, 0, SS);
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)),
			 PS_ERR_SUPERBLOCK);
	/* Never formatted. */
	memset(f->mem, 0, NSEC * SS);
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_ERR_NOSTORE);
	memset(f->mem, 0xff, NSEC * SS);
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_ERR_NOSTORE);
	/* Buffer too small for the geometry read. */
	assert_int_equal(ps_read(&d, &f->m, buf, 100), PS_ERR_NOSPACE);
	assert_int_equal(f->m.stats.sectors_written, 0);
	free(img);
}

/* A media that loses every write to its last sector (the backup
 * superblock): the lower media's ops, but for that. */
struct lossy {
	struct ps_media *lower;
};

static int lossy_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
	return ps_media_read(((struct lossy *)ctx)->lower, lba, n, buf);
}

static int lossy_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
	struct ps_media *m = ((struct lossy *)ctx)->lower;

	return lba + n == m->sectors ? PS_OK : ps_media_write(m, lba, n, buf);
}

static int lossy_flush(void *ctx)
{
	return ps_media_flush(((struct lossy *)ctx)->lower);
}

/* ps_format reads back what it wrote: a superblock copy that did not
 * land fails the format (PS_ERR_IO), though a reader would open the store
 * from the other copy (and name the damaged one). */
static void test_format_lost_superblock(void **state)
{
	static const struct ps_media_ops ops = { lossy_read, lossy_write,
						 lossy_flush, NULL };
	struct fix *f = *state;
	struct lossy l = { &f->m };
	struct ps_media m;
	struct ps_disk d;
	uint8_t buf[64 * SS];

	memset(f->mem, 0, (size_t)NSEC * SS);
	assert_int_equal(ps_media_init(&m, &ops, &l, SS, NSEC), 0);
	assert_int_equal(ps_format(&d, &m, NULL, f->sector), PS_ERR_IO);
	assert_int_equal(ps_read(&d, &f->m, buf, sizeof(buf)), PS_OK);
	assert_int_equal(d.sb_damaged, PS_SB_BACKUP);
}

static void test_no_write_when_unchanged(void **state)
{
	struct fix *f = *state;
	struct ps_store *s = open_ok(f);
	struct ps_txn t;
	unsigned n = 2;
	uint64_t kib = 5;

	assert_int_equal(ps_update(s, edit_add_vms, &n, 0), PS_OK);
	ps_media_stats_reset(&f->m);
	assert_int_equal(ps_txn_begin(s, &t), PS_OK);
	assert_int_equal(ps_txn_commit(&t), PS_OK);
	assert_int_equal(f->m.stats.sectors_written, 0);
	assert_int_equal(ps_store_generation(s), 2);
	/* Edit, then edit back: byte-identical, so still nothing. */
	assert_int_equal(ps_txn_begin(s, &t), PS_OK);
	pst_set_memory(t.buf, 0, 77);
	pst_set_memory(t.buf, 0, 0);
	assert_int_equal(ps_txn_commit(&t), PS_OK);
	assert_int_equal(f->m.stats.sectors_written, 0);
	assert_int_equal(f->m.stats.flushes, 0);
	/* A real one-field edit writes a handful of sectors. */
	assert_int_equal(ps_update(s, edit_memory, &kib, 0), PS_OK);
	assert_true(f->m.stats.sectors_written >= 2);
	assert_true(f->m.stats.sectors_written <= 3);
	assert_int_equal(ps_store_generation(s), 3);
	/* The same value again: no write. */
	ps_media_stats_reset(&f->m);
	assert_int_equal(ps_update(s, edit_memory, &kib, 0), PS_OK);
	assert_int_equal(f->m.stats.sectors_written, 0);
	/* An aborting edit and an invalid store change nothing. */
	assert_int_equal(ps_update(s, edit_fail, NULL, 3), PS_ERR_INVAL);
	assert_int_equal(ps_txn_begin(s, &t), PS_OK);
	psf_put_le32(t.buf + 44 + 4, 99); /* VMS count: wrong */
	assert_int_equal(ps_txn_commit(&t), PSF_ERR_BADCOUNT);
	assert_int_equal(f->m.stats.sectors_written, 0);
	ps_store_close(s);
}

static int count_vms(const void *buf)
{
	int vms = pst_vms(buf), c, n = 0;

	psf_for_each_child(buf, vms, c)
		n++;
	return n;
}

/* An edit during which another handle commits, the first `times` calls. */
struct racer {
	struct ps_store *other;
	int times, calls;
};

static int edit_racing(void *buf, size_t cap, void *arg)
{
	struct racer *r = arg;
	unsigned one = 1;

	if (r->calls++ < r->times) {
		assert_int_equal(ps_store_refresh(r->other), PS_OK);
		assert_int_equal(ps_update(r->other, edit_add_vms, &one, 0),
				 PS_OK);
	}
	return edit_add_vms(buf, cap, &one);
}

static void test_conflict_and_update(void **state)
{
	struct fix *f = *state;
	struct ps_store *a = open_ok(f), *b = open_ok(f);
	struct racer race = { 0 };
	struct ps_txn t;
	unsigned n = 1;
	uint64_t kib = 123;
	uint32_t len;
	const uint8_t *data;

	assert_int_equal(ps_txn_begin(b, &t), PS_OK);
	assert_int_equal(edit_add_vms(t.buf, t.cap, &n), 0);
	assert_int_equal(ps_update(a, edit_add_vms, &n, 0), PS_OK);
	ps_media_stats_reset(&f->m);
	assert_int_equal(ps_txn_commit(&t), PS_ERR_CONFLICT);
	assert_int_equal(f->m.stats.sectors_written, 0);
	/* ps_update without retries reports the conflict ... */
	assert_int_equal(ps_update(b, edit_add_vms, &n, 0), PS_ERR_CONFLICT);
	assert_int_equal(f->m.stats.sectors_written, 0);
	/* ... with retries it re-reads and re-applies on a's state. */
	assert_int_equal(ps_update(b, edit_add_vms, &n, 1), PS_OK);
	assert_int_equal(ps_store_generation(b), 3);
	data = ps_store_data(b, &len);
	assert_int_equal(count_vms(data), 2);
	assert_int_equal(ps_store_refresh(a), PS_OK);
	assert_memory_equal(ps_store_data(a, NULL), data, len);

	/* A writer slipping in between begin and commit, every time:
	 * each attempt conflicts until the retries run out. */
	race.other = a;
	race.times = 2;
	assert_int_equal(ps_update(b, edit_racing, &race, 1), PS_ERR_CONFLICT);
	assert_int_equal(race.calls, 2);
	race.times = 2;
	race.calls = 0;
	assert_int_equal(ps_update(b, edit_racing, &race, 2), PS_OK);
	assert_int_equal(race.calls, 3);
	data = ps_store_data(b, &len);
	assert_int_equal(count_vms(data), 2 + 4 + 1);
	assert_int_equal(ps_store_generation(b), 3 + 4 + 1);

	/* Two commits elsewhere (the base slot itself rewritten). */
	assert_int_equal(ps_store_refresh(a), PS_OK);
	assert_int_equal(ps_update(a, edit_memory, &(uint64_t){ 1 }, 0), 0);
	assert_int_equal(ps_update(a, edit_memory, &(uint64_t){ 2 }, 0), 0);
	assert_int_equal(ps_update(b, edit_memory, &kib, 0), PS_ERR_CONFLICT);
	assert_int_equal(ps_update(b, edit_memory, &kib, 2), PS_OK);
	ps_store_close(a);
	ps_store_close(b);
}

/* A writer that died mid-commit left a higher generation with a torn
 * body: that slot is free, so it is no conflict. */
static void test_torn_foreign_commit_is_no_conflict(void **state)
{
	struct fix *f = *state;
	struct ps_disk d, r;
	uint8_t *b = calloc(64, SS);
	uint8_t *h;

	two_generations(f, &d, b);
	h = slot_hdr(f, &d, 1);
	psf_put_le64(h + 16, 4);       /* claims generation 4 ... */
	reseal_header(h);
	h[SS + 40] ^= 1;               /* ... over a torn body */
	pst_set_memory(b, 2, 99);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	assert_int_equal(d.generation, 4);
	free(read_media(f, &r, &(uint32_t){ 0 }));
	assert_int_equal(r.generation, 4);
	assert_int_equal(r.base, 1);
	free(b);
}

/* ----------------------------------------------------------- locking */

struct fake_lock {
	uint64_t next;
	int acquire_rc, still, released, acquired;
};

static int fl_acquire(void *ctx, uint8_t owner, uint32_t lease_ms,
		      uint64_t *token)
{
	struct fake_lock *l = ctx;

	(void)lease_ms;
	assert_int_equal(owner, PS_OWNER_BMC);
	if (l->acquire_rc)
		return l->acquire_rc;
	l->acquired++;
	*token = ++l->next;
	return 0;
}

static int fl_still_held(void *ctx, uint64_t token)
{
	struct fake_lock *l = ctx;

	return token == l->next ? l->still : 0;
}

static int fl_release(void *ctx, uint64_t token)
{
	struct fake_lock *l = ctx;

	(void)token;
	l->released++;
	return 0;
}

static const struct ps_lock_ops fl_ops = {
	.acquire = fl_acquire, .still_held = fl_still_held,
	.release = fl_release,
};

static void test_fencing(void **state)
{
	struct fix *f = *state;
	struct fake_lock fl = { .next = 40, .still = 1 };
	struct ps_lock lock = { &fl_ops, &fl, PS_OWNER_BMC, 1000, 0, 0 };
	struct ps_commit_args a = { &lock, 0, 1234, NULL, PS_COMMIT_FAST };
	struct ps_disk d, r;
	uint8_t *b = calloc(64, SS), *old = calloc(64, SS), *got;
	uint32_t len;

	two_generations(f, &d, b);
	memcpy(old, b, psf_total(b));
	/* A commit under the lock records token, owner and time. */
	pst_set_memory(b, 0, 1);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, &a), PS_OK);
	assert_int_equal(fl.acquired, 1);
	assert_int_equal(fl.released, 1);
	got = read_media(f, &r, &len);
	assert_int_equal(r.slot[r.base].token, 41);
	assert_int_equal(r.slot[r.base].owner, PS_OWNER_BMC);
	assert_int_equal(r.slot[r.base].timestamp, 1234);
	memcpy(old, got, len);
	free(got);

	/* The lock is lost between the body and the header: fenced. */
	fl.still = 0;
	pst_set_memory(b, 0, 2);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, &a), PS_ERR_FENCED);
	assert_int_equal(fl.released, 2);
	got = read_media(f, &r, &len);
	assert_int_equal(r.generation, 4);
	assert_memory_equal(got, old, len);
	free(got);
	assert_string_equal(ps_strerror(PS_ERR_FENCED),
			    "lock lost before publishing: nothing committed");

	/* Cannot acquire: the lock's error, nothing written. */
	fl.acquire_rc = PS_ERR_LOCK;
	ps_media_stats_reset(&f->m);
	assert_int_equal(ps_commit(&r, b, f->sector, &a), PS_ERR_LOCK);
	assert_int_equal(f->m.stats.sectors_written, 0);

	/* Held across steps: the commit neither acquires nor releases. */
	fl.acquire_rc = 0;
	fl.still = 1;
	assert_int_equal(ps_lock_take(&lock), PS_OK);
	assert_int_equal(ps_commit(&r, b, f->sector, &a), PS_OK);
	assert_int_equal(fl.acquired, 3);
	assert_int_equal(fl.released, 2);
	assert_true(lock.held);
	assert_int_equal(ps_lock_drop(&lock), PS_OK);
	assert_int_equal(fl.released, 3);
	assert_int_equal(r.slot[r.base].token, 43);
	free(b), free(old);
}

/* ------------------------------------------------------------ budget */

static void test_write_budget_small_edits(void **state)
{
	struct fix *f = *state;
	struct ps_disk d;
	uint8_t *b = calloc(64, SS);
	int i, len = pst_mkstore(b, 64 * SS, 300, PST_NAME_ROOM);

	assert_true(len > 20 * (int)SS);
	assert_int_equal(ps_read(&d, &f->m, f->sector, SS), PS_OK);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	pst_set_memory(b, 1, 1);
	psf_finish(b);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	for (i = 0; i < 40; i++) {
		ps_media_stats_reset(&f->m);
		if (i % 2)
			assert_int_equal(pst_set_memory(b, (unsigned)i * 7,
							(uint64_t)i), 0);
		else
			assert_int_equal(pst_rename(b, 64 * SS,
					 (unsigned)i * 7,
					 i % 4 ? "a-longer-name" : "x"), 0);
		psf_finish(b);
		assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
		/* this edit + the previous one + PSF header + slot header */
		if (f->m.stats.sectors_written > 6)
			print_message("edit %d wrote %llu sectors\n", i,
				      (unsigned long long)f->m.stats.sectors_written);
		assert_true(f->m.stats.sectors_written <= 6);
		assert_int_equal(f->m.stats.flushes, 1);  /* fast: one */
	}
	free(b);
}

/* The handle keeps the base's bytes in memory: a commit through it
 * compares with those (step 0) instead of reading the base slot back, and
 * an edit that changes nothing reads nothing. */
static int edit_last_memory(void *buf, size_t cap, void *arg)
{
	(void)cap;
	return pst_set_memory(buf, 299, *(uint64_t *)arg);
}

static void test_txn_step0_in_memory(void **state)
{
	struct fix *f = *state;
	struct ps_disk d;
	struct ps_store *s;
	uint8_t *b = calloc(64, SS);
	int len = pst_mkstore(b, 64 * SS, 300, PST_NAME_ROOM);
	uint64_t n = ((uint64_t)len + SS - 1) / SS, kib = 77;

	assert_true(n > 20);
	assert_int_equal(ps_read(&d, &f->m, f->sector, SS), PS_OK);
	assert_int_equal(ps_commit(&d, b, f->sector, NULL), PS_OK);
	s = open_ok(f);
	/* The last VM's memory: a byte in the store's last sectors, which
	 * a read-back comparison of the base would reach only at its end. */
	ps_media_stats_reset(&f->m);
	assert_int_equal(ps_update(s, edit_last_memory, &kib, 0), PS_OK);
	/* The target's body twice (the diff, the read-back) and the slot
	 * headers twice (conflict check, verification): no base body. */
	assert_true(f->m.stats.sectors_read <= 2 * n + 2 * 2);
	assert_true(f->m.stats.sectors_written > 0);
	/* The same value again: nothing read, nothing written. */
	ps_media_stats_reset(&f->m);
	assert_int_equal(ps_update(s, edit_last_memory, &kib, 0), PS_OK);
	assert_int_equal(f->m.stats.sectors_read, 0);
	assert_int_equal(f->m.stats.sectors_written, 0);
	ps_store_close(s);
	free(b);
}

/* ---------------------------------------------------------- backends */

static void test_image_window_and_blockdev(void **state)
{
	char path[] = "/tmp/ps-test-img-XXXXXX";
	int fd = mkstemp(path), rc;
	struct ps_media m;
	struct ps_disk d;
	uint8_t sector[SS], *buf = calloc(64, SS), *raw = malloc(4096);
	const uint64_t off = 8 * SS, win = 40 * SS;

	(void)state;
	assert_true(fd >= 0);
	memset(raw, 0x5a, 4096);
	for (int i = 0; i < 16; i++)
		assert_int_equal(write(fd, raw, 4096), 4096);
	close(fd);
	assert_int_equal(ps_media_open_image(&m, path, off, win, 0, 0), PS_OK);
	assert_int_equal(m.sectors, 40);
	assert_int_equal(ps_format(&d, &m, NULL, sector), PS_OK);
	pst_mkstore(buf, 64 * SS, 3, 8);
	assert_int_equal(ps_commit(&d, buf, sector, NULL), PS_OK);
	ps_media_close(&m);
	/* Outside the window nothing changed. */
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, raw, SS, off - SS), SS);
	assert_int_equal(raw[0], 0x5a);
	assert_int_equal(raw[SS - 1], 0x5a);
	assert_int_equal(pread(fd, raw, SS, off + win), SS);
	assert_int_equal(raw[0], 0x5a);
	close(fd);
	/* Read-only reopen; writes refused. */
	assert_int_equal(ps_media_open_image(&m, path, off, win, 0,
					     PS_MEDIA_RDONLY), PS_OK);
	assert_int_equal(ps_read(&d, &m, raw, 4096), PS_OK);
	assert_int_equal(d.generation, 2);
	assert_memory_equal(raw, buf, d.length);
	assert_int_equal(ps_commit(&d, raw, sector, NULL), PS_ERR_RDONLY);
	ps_media_close(&m);
	/* Bad windows. */
	assert_int_equal(ps_media_open_image(&m, path, 3, 0, 0, 0),
			 PS_ERR_INVAL);
	assert_int_equal(ps_media_open_image(&m, path, 128 * SS, 512, 0, 0),
			 PS_ERR_GEOMETRY);
	assert_int_equal(ps_media_open_image(&m, "/nonexistent/x", 0, 0, 0, 0),
			 PS_ERR_IO);
	/* The block-device path on a regular file: size from lseek,
	 * BLKSSZGET refused so 512-byte sectors. */
	rc = ps_media_open_blockdev(&m, path, 0);
	assert_int_equal(rc, PS_OK);
	assert_int_equal(m.sector_size, 512);
	assert_int_equal(m.sectors, 128);
	assert_int_equal(ps_media_flush(&m), PS_OK);
	assert_int_equal(ps_media_read(&m, 128, 1, raw), PS_ERR_INVAL);
	ps_media_close(&m);
	unlink(path);
	free(buf), free(raw);
}

static void test_fault_wrapper(void **state)
{
	struct fix *f = *state;
	struct ps_fault *fault = calloc(1, sizeof(*fault));
	struct ps_media fm;
	uint8_t data[3 * SS];
	int fill;

	(void)state;
	memset(data, 0xa5, sizeof(data));
	for (fill = 0; fill < 3; fill++) {
		memset(f->mem, 0x11, 8 * SS);
		fault->crash_at = 2;
		fault->tear_bytes = 128;
		fault->fill = (enum ps_fault_fill)fill;
		assert_int_equal(ps_media_init_fault(&fm, fault, &f->m), 0);
		assert_int_equal(ps_media_write(&fm, 1, 3, data), PS_ERR_IO);
		assert_true(fault->crashed);
		assert_int_equal(fault->writes, 2);
		assert_int_equal(f->mem[SS], 0xa5);          /* 1st landed */
		assert_int_equal(f->mem[2 * SS + 127], 0xa5); /* torn ... */
		assert_int_equal(f->mem[2 * SS + 128],
				 fill == 0 ? 0x11 : fill == 1 ? 0 : 0xff);
		assert_int_equal(f->mem[3 * SS], 0x11);      /* 3rd lost */
		assert_int_equal(ps_media_read(&fm, 0, 1, data), PS_ERR_IO);
		assert_int_equal(ps_media_flush(&fm), PS_ERR_IO);
		memset(data, 0xa5, sizeof(data));
	}
	fault->tear_bytes = 100;
	assert_int_equal(ps_media_init_fault(&fm, fault, &f->m), PS_ERR_INVAL);
	free(fault);
}

/* One error space (ps_errors.h): every code of every layer has
 * its own message, and no code collides with a PSF_ERR_* one. */
static void test_strerror(void **state)
{
	static const int ranges[][2] = {
		{ PS_ERR_FIRST, PS_ERR_LAST },
		{ PS_SEM_ERR_FIRST, PS_SEM_ERR_LAST },
	};
	int e, f, r, g;

	(void)state;
	for (r = 0; r < 2; r++)
		for (e = -ranges[r][0]; e >= -ranges[r][1]; e--) {
			assert_non_null(ps_strerror(e));
			assert_string_not_equal(ps_strerror(e),
						"unknown error");
			assert_string_equal(psf_strerror(e), "unknown error");
			for (g = 0; g <= r; g++)
				for (f = -ranges[g][0];
				     f >= -ranges[g][1] && f > e; f--)
					assert_string_not_equal(
						ps_strerror(e), ps_strerror(f));
		}
	assert_string_equal(ps_strerror(PSF_ERR_BODYCRC),
			    psf_strerror(PSF_ERR_BODYCRC));
	assert_string_equal(ps_strerror(0), "success");
	assert_string_equal(ps_strerror(-100), "unknown error");
	assert_string_equal(ps_strerror(-PS_ERR_LAST - 1), "unknown error");
	assert_string_equal(ps_strerror(-199), "unknown error");
	assert_string_equal(ps_strerror(-PS_SEM_ERR_LAST - 1), "unknown error");
	assert_string_equal(ps_strerror(5), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_read_commit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_options_and_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_choice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_either_slot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_lost_superblock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_superblocks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_write_when_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_and_update,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_torn_foreign_commit_is_no_conflict, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_fencing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_budget_small_edits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_step0_in_memory,
						setup, teardown),
		cmocka_unit_test(test_image_window_and_blockdev),
		cmocka_unit_test_setup_teardown(test_fault_wrapper, setup,
						teardown),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
