/*
 * ps_commit.c - the store on media: read the newest slot, commit the next
 * generation atomically.  docs/store.md is the normative layout; the
 * numbered durable points below match its "Commit protocol" section.
 * The superblock and ps_format are in ps_format.c.
 *
 * FREESTANDING: only format/psf.h and psf_env.h (through pstate.h).  No
 * malloc, no libc I/O, no recursion; the caller supplies the store buffer
 * and one sector of scratch, and struct ps_disk holds all state.  BMC
 * firmware links this file with ps_format.c, ps_media.c and its own
 * sector callbacks.
 */
#include "ps_internal.h"

/* ---------------------------------------------------------------- layout */

#define SLOT_MAGIC "\x89psslot\x1a"

/* Slot header field offsets (docs/store.md, "Slot header"). */
#define SH_VERSION 8u       /* u32 */
#define SH_INDEX 12u        /* u32 */
#define SH_GENERATION 16u   /* u64 */
#define SH_LENGTH 24u       /* u32 */
#define SH_STORE_CRC 28u    /* u32 */
#define SH_TOKEN 32u        /* u64 */
#define SH_OWNER 40u        /* u8 */
#define SH_FLAGS 44u        /* u32 */
#define SH_TIMESTAMP 48u    /* u64 */
#define SH_CRC 60u          /* u32 CRC-32C of [0, 60) */

static uint32_t sectors_for(const struct ps_disk *d, uint32_t len)
{
	return (len + d->sector_size - 1) / d->sector_size;
}

/* ------------------------------------------------------------ slot header */

/* The checks of docs/store.md "Slot header" rule 1 that need no slot
 * geometry: magic, CRC, version, index, flags, generation, length. */
static int header_ok(const uint8_t *h, uint32_t idx)
{
	return ps__magic_is(h, SLOT_MAGIC) &&
	       psf_crc32c(0, h, SH_CRC) == psf_le32(h + SH_CRC) &&
	       psf_le32(h + SH_VERSION) == PS_SLOT_VERSION &&
	       psf_le32(h + SH_INDEX) == idx &&
	       (psf_le32(h + SH_FLAGS) & 0xffffu) == 0 &&
	       psf_le64(h + SH_GENERATION) != 0 &&
	       psf_le32(h + SH_LENGTH) >= PS__MIN_STORE;
}

int ps_slot_decode(const void *raw, uint32_t idx, struct ps_slot *s)
{
	const uint8_t *h = (const uint8_t *)raw;

	s->valid_hdr = 0;
	if (!header_ok(h, idx))
		return PS_ERR_NOSLOT;
	s->generation = psf_le64(h + SH_GENERATION);
	s->length = psf_le32(h + SH_LENGTH);
	s->crc = psf_le32(h + SH_STORE_CRC);
	s->token = psf_le64(h + SH_TOKEN);
	s->owner = h[SH_OWNER];
	s->timestamp = psf_le64(h + SH_TIMESTAMP);
	s->flags = psf_le32(h + SH_FLAGS);
	psf_memcpy(s->raw, h, PS_SLOT_HDR_SIZE);
	s->valid_hdr = 1;
	return PS_OK;
}

void ps__slot_encode(uint8_t *h, uint32_t idx,
		     const struct ps__hdr_fields *s)
{
	psf_memset(h, 0, PS_SLOT_HDR_SIZE);
	psf_memcpy(h, SLOT_MAGIC, PS__MAGIC_LEN);
	psf_put_le32(h + SH_VERSION, PS_SLOT_VERSION);
	psf_put_le32(h + SH_INDEX, idx);
	psf_put_le64(h + SH_GENERATION, s->generation);
	psf_put_le32(h + SH_LENGTH, s->length);
	psf_put_le32(h + SH_STORE_CRC, s->crc);
	psf_put_le64(h + SH_TOKEN, s->token);
	h[SH_OWNER] = s->owner;
	psf_put_le64(h + SH_TIMESTAMP, s->timestamp);
	psf_put_le32(h + SH_FLAGS, s->flags);
	psf_put_le32(h + SH_CRC, psf_crc32c(0, h, SH_CRC));
}

/* Read and decode slot i's header; a header that fails any check, or
 * claims more bytes than its slot holds, leaves the slot free. */
static int read_header(struct ps_disk *d, uint32_t i, uint8_t *sbuf)
{
	struct ps_slot *s = &d->slot[i];
	int rc = ps_media_read(d->media, s->lba, 1, sbuf);

	if (rc)
		return rc;
	/* Kept even when invalid: headers_moved compares against it. */
	psf_memcpy(s->raw, sbuf, PS_SLOT_HDR_SIZE);
	s->damage = PS_OK;
	if (ps_slot_decode(sbuf, i, s) == PS_OK &&
	    s->length > ps__body_bytes(d, s))
		s->valid_hdr = 0;
	return PS_OK;
}

/* Does the body at lba (length bytes) have this CRC?  Streamed one
 * sector at a time (no store buffer).  1 yes, 0 no, or an I/O error. */
static int body_crc_ok(struct ps_disk *d, uint64_t lba, uint32_t length,
		       uint32_t want, uint8_t *sbuf)
{
	uint32_t k, left = length, crc = 0;
	int rc;

	for (k = 0; left > 0; k++) {
		uint32_t n = left < d->sector_size ? left : d->sector_size;

		rc = ps_media_read(d->media, lba + 1 + k, 1, sbuf);
		if (rc)
			return rc;
		crc = psf_crc32c(crc, sbuf, n);
		left -= n;
	}
	return crc == want;
}

/* --------------------------------------------------------------- reading */

uint32_t ps_slot_capacity(const struct ps_disk *d)
{
	uint32_t i, cap = PSF_MAX_TOTAL;

	if (!d || d->slot_count == 0)
		return 0;
	for (i = 0; i < d->slot_count; i++) {
		uint32_t b = ps__body_bytes(d, &d->slot[i]);

		cap = b < cap ? b : cap;
	}
	return cap;
}

/* Load slot i's store into buf and run every check on it: PS_OK, or
 * PS_ERR_NOSLOT with the reason (PS_ERR_NOSLOT for a body that fails its
 * CRC, PSF_ERR_* for one that fails the format's checks) in the slot's
 * damage field. */
static int load_slot(struct ps_disk *d, uint32_t i, uint8_t *buf, size_t cap)
{
	struct ps_slot *s = &d->slot[i];
	uint32_t n = sectors_for(d, s->length), body;
	int rc;

	if ((uint64_t)n * d->sector_size > cap)
		return PS_ERR_NOSPACE;
	rc = ps_media_read(d->media, s->lba + 1, n, buf);
	if (rc)
		return rc;
	/* One pass for two CRCs: the PSF body's, and from it and the PSF
	 * header the slot's over the whole store (length >= 44 > 32). */
	body = psf_crc32c(0, buf + PSF_HEADER_SIZE, s->length - PSF_HEADER_SIZE);
	if (psf_crc32c_combine(psf_crc32c(0, buf, PSF_HEADER_SIZE), body,
			       s->length - PSF_HEADER_SIZE) != s->crc)
		rc = PS_ERR_NOSLOT;
	else
		rc = psf_check_full_crc(buf, s->length, 0, body);
	if (rc == PS_OK && psf_total(buf) != s->length)
		rc = PSF_ERR_BADHEADER;
	s->damage = rc;
	return rc ? PS_ERR_NOSLOT : PS_OK;
}

/* The untried slot with a valid header and the highest generation (ties:
 * the lowest index), or -1. */
static int next_candidate(const struct ps_disk *d, uint32_t tried)
{
	int best = -1;
	uint32_t i;

	for (i = 0; i < d->slot_count; i++) {
		const struct ps_slot *s = &d->slot[i];

		if (!s->valid_hdr || (tried & (1u << i)))
			continue;
		if (best < 0 || s->generation > d->slot[best].generation)
			best = (int)i;
	}
	return best;
}

/*
 * Has slot i's header changed since read_header read it?  1 yes, 0 no, or
 * an I/O error.  Only a commit writes headers, and each writes a new
 * generation, so equal bytes mean no commit was published there in between.
 */
static int header_moved(struct ps_disk *d, uint32_t i, uint8_t *sbuf)
{
	int rc = ps_media_read(d->media, d->slot[i].lba, 1, sbuf);

	if (rc)
		return rc;
	return psf_memcmp(sbuf, d->slot[i].raw, PS_SLOT_HDR_SIZE) != 0;
}

/* Has any slot header changed?  1 yes, 0 no, or an I/O error. */
static int headers_moved(struct ps_disk *d, uint8_t *sbuf)
{
	uint32_t i;
	int rc;

	for (i = 0; i < d->slot_count; i++) {
		rc = header_moved(d, i, sbuf);
		if (rc)
			return rc;
	}
	return 0;
}

#define READ_MOVED 1      /* read_once: a commit raced the read, redo */
#define READ_RESTARTS 32u /* at most this many redos per ps_read */

/*
 * One pass: every slot header, then the newest slot that passes every
 * check.  A slot whose header is valid but whose body fails is either
 * damaged (skip it, never repair it) or was being overwritten under us by
 * writers that have since published two newer generations (readers take
 * no lock).  Only the second changes a header, so re-reading the headers
 * tells the two apart: without it a reader racing commits could fall back
 * to an older slot (a generation going backwards) or see no valid slot at
 * all.  That re-read happens only on the failure path.
 *
 * The newest candidate's header is also read once more after the pass,
 * before its body.  A header read that raced a commit's header write
 * comes back torn (invalid), hiding the newest slot; that commit's target
 * was the oldest slot, so every other slot had been rewritten before it
 * began.  A candidate whose header is unchanged after the whole pass is
 * therefore at least as new as the newest store when the pass began.  One
 * that changed may still have a body matching its old CRC (a commit that
 * wrote the same bytes again, e.g. a setting toggled back) and would pass
 * under its old generation: start over.  Later candidates are tried only
 * after headers_moved found every header unchanged, which covers them.
 */
static int read_once(struct ps_disk *d, uint8_t *buf, size_t cap)
{
	uint32_t i, tried = 0;
	int rc, c;

	d->base = -1;
	d->generation = 0;
	d->length = 0;
	for (i = 0; i < d->slot_count; i++) {
		rc = read_header(d, i, buf);
		if (rc)
			return rc;
	}
	c = next_candidate(d, 0);
	if (c >= 0) {
		rc = header_moved(d, (uint32_t)c, buf);
		if (rc)
			return rc < 0 ? rc : READ_MOVED;
	}
	while ((c = next_candidate(d, tried)) >= 0) {
		rc = load_slot(d, (uint32_t)c, buf, cap);
		if (rc == PS_OK) {
			d->base = c;
			d->generation = d->slot[c].generation;
			d->length = d->slot[c].length;
			return PS_OK;
		}
		if (rc != PS_ERR_NOSLOT)
			return rc;
		rc = headers_moved(d, buf);
		if (rc)
			return rc < 0 ? rc : READ_MOVED;
		/* Damaged (its damage field says how): free for readers and,
		 * while its header stays as read, for committers too. */
		d->slot[c].valid_hdr = 0;
		tried |= 1u << c;
	}
	/* No valid slot: a torn header read also ends here, so check. */
	rc = headers_moved(d, buf);
	return rc ? (rc < 0 ? rc : READ_MOVED) : PS_ERR_NOSLOT;
}

int ps_read(struct ps_disk *d, struct ps_media *m, void *buf, size_t cap)
{
	uint32_t n;
	int rc;

	if (!d || !m || !buf)
		return PS_ERR_INVAL;
	if (cap < m->sector_size)
		return PS_ERR_NOSPACE;
	psf_memset(d, 0, sizeof(*d));
	d->media = m;
	d->base = -1;
	rc = ps__load_geometry(d, buf);
	for (n = 0; rc == PS_OK || rc == READ_MOVED; n++) {
		if (n > READ_RESTARTS)
			return PS_ERR_CONFLICT;
		rc = read_once(d, buf, cap);
		if (rc != READ_MOVED)
			break;
	}
	return rc;
}

/* -------------------------------------------------------------- locking */

int ps_lock_take(struct ps_lock *l)
{
	int rc;

	if (!l || !l->ops || l->held)
		return PS_ERR_INVAL;
	rc = l->ops->acquire(l->ctx, l->owner, l->lease_ms, &l->token);
	if (rc)
		return rc < 0 ? rc : PS_ERR_LOCK;
	l->held = 1;
	return PS_OK;
}

int ps_lock_drop(struct ps_lock *l)
{
	if (!l || !l->ops || !l->held)
		return PS_ERR_INVAL;
	l->held = 0;
	return l->ops->release(l->ctx, l->token);
}

/* -------------------------------------------------------------- commit */

/* Does slot s hold exactly these bytes?  Reads only. */
static int slot_holds(struct ps_disk *d, const struct ps_slot *s,
		      const uint8_t *store, uint32_t len, uint8_t *sbuf)
{
	uint32_t k, off;
	int rc;

	if (s->length != len)
		return 0;
	for (k = 0, off = 0; off < len; k++, off += d->sector_size) {
		uint32_t n = len - off;

		if (n > d->sector_size)
			n = d->sector_size;
		rc = ps_media_read(d->media, s->lba + 1 + k, 1, sbuf);
		if (rc)
			return rc;
		if (psf_memcmp(sbuf, store + off, n) != 0)
			return 0;
	}
	return 1;
}

/*
 * Slot i's header is in sbuf: PS_ERR_CONFLICT if it names a complete store
 * newer than d's base, else PS_OK (or an I/O error).  Decodes the fields it
 * needs in place rather than into a struct ps_slot: firmware stacks are
 * small, and a slot record is 112 bytes.
 */
static int newer_complete(struct ps_disk *d, uint32_t i, uint8_t *sbuf)
{
	uint64_t gen = psf_le64(sbuf + SH_GENERATION);
	uint32_t len = psf_le32(sbuf + SH_LENGTH);
	uint32_t crc = psf_le32(sbuf + SH_STORE_CRC);
	int rc;

	if (!header_ok(sbuf, i) || gen <= d->generation ||
	    len > ps__body_bytes(d, &d->slot[i]))
		return PS_OK;
	rc = body_crc_ok(d, d->slot[i].lba, len, crc, sbuf);
	if (rc < 0)
		return rc;
	return rc ? PS_ERR_CONFLICT : PS_OK;
}

/*
 * Is d's base still the newest generation on media?  The base slot's
 * header must be byte-identical to what was read, and no other slot may
 * hold a complete store (header and body CRC) of a higher generation.  A
 * torn higher slot (a writer that died) does not count: it is free.  Nor
 * does a slot the read found damaged whose header is still as read: the
 * reader skipped it after every check of docs/store.md 3.2, which the
 * body CRC alone would not repeat (a body that passes its CRC but not
 * the format's checks would otherwise block every commit).
 */
static int check_base(struct ps_disk *d, uint8_t *sbuf)
{
	uint32_t i;
	int rc, same;

	for (i = 0; i < d->slot_count; i++) {
		rc = ps_media_read(d->media, d->slot[i].lba, 1, sbuf);
		if (rc)
			return rc;
		same = psf_memcmp(sbuf, d->slot[i].raw, PS_SLOT_HDR_SIZE) == 0;
		if ((int)i == d->base) {
			if (!same)
				return PS_ERR_CONFLICT;
			continue;
		}
		if (same && d->slot[i].damage)
			continue;
		rc = newer_complete(d, i, sbuf);
		if (rc)
			return rc;
	}
	return PS_OK;
}

static int lock_still_held(const struct ps_lock *l)
{
	return !l || l->ops->still_held(l->ctx, l->token) == 1;
}

/*
 * Write the body sectors of slot t that differ from store; the bytes of
 * the last sector past the store keep what the slot held.  Before each
 * write, check the lock is still ours (which renews it: the semaphore's
 * still_held is a heartbeat).  The fence at step 6 alone would protect
 * only the header: a writer that stalled past its lease while another
 * took the lock and committed G+1 into this same target slot would
 * otherwise go on to overwrite that committed body when it woke.  The
 * check shrinks that window to one sector write, and the renewal keeps a
 * long body from outliving the lease.
 */
static int write_diff(struct ps_disk *d, const struct ps_slot *t,
		      const uint8_t *store, uint32_t len, uint8_t *sbuf,
		      const struct ps_lock *l)
{
	uint32_t k, off;
	int rc;

	for (k = 0, off = 0; off < len; k++, off += d->sector_size) {
		uint32_t n = len - off;
		uint64_t lba = t->lba + 1 + k;

		if (n > d->sector_size)
			n = d->sector_size;
		rc = ps_media_read(d->media, lba, 1, sbuf);
		if (rc)
			return rc;
		if (psf_memcmp(sbuf, store + off, n) == 0)
			continue;
		if (!lock_still_held(l))
			return PS_ERR_FENCED;
		psf_memcpy(sbuf, store + off, n);
		rc = ps_media_write(d->media, lba, 1, sbuf);
		if (rc)
			return rc;
	}
	return PS_OK;
}

/* The lock's token, and whether this commit must release it. */
static int lock_enter(struct ps_lock *l, int *release)
{
	int rc;

	*release = 0;
	if (!l || l->held)
		return PS_OK;
	rc = ps_lock_take(l);
	if (rc)
		return rc;
	*release = 1;
	return PS_OK;
}

/* Claim slot t for this hold's writes: PS_CLAIM_OK or PS_CLAIM_BROKE
 * (claimed), PS_CLAIM_BARRED (not claimed), PS_ERR_FENCED, or the lock's
 * error.  A lock without a claim op bars nothing: a file lock dies only
 * with its process, which then writes nothing late. */
static int claim(const struct ps_lock *l, uint32_t t, int force)
{
	int rc;

	if (!l || !l->ops->claim)
		return PS_CLAIM_OK;
	rc = l->ops->claim(l->ctx, l->token, t, force);
	return rc == PS_CLAIM_LOST ? PS_ERR_FENCED : rc;
}

/*
 * Step 3's target: the first slot after the base that the lock does not
 * bar.  A holder whose lock was broken after its lease may still land one
 * late sector write in the slot it was writing (it stalled between its
 * last check and that write); the lock remembers that slot, and with
 * three slots or more later holders write elsewhere.  With two, the only
 * other slot is taken anyway: a store that can always commit.  Returns
 * the claim's result, the slot in *ti.
 */
static int pick_target(const struct ps_disk *d, const struct ps_lock *l,
		       uint32_t *ti)
{
	uint32_t k, n = d->slot_count;
	int rc = PS_CLAIM_BARRED;

	for (k = 1; k < n && rc == PS_CLAIM_BARRED; k++) {
		*ti = ((uint32_t)d->base + k) % n;
		rc = claim(l, *ti, k == n - 1);
	}
	return rc;
}

/* Does this commit flush between body and header (docs/store.md 4)?  A
 * sealed one always does: its trailer lies past the store, where
 * store_crc cannot tell a torn one, so only the order keeps it whole
 * under its header (docs/store.md 8.3). */
static int ordered(const struct ps_commit_args *a)
{
	return a && (a->mode || a->auth);
}

void ps__hdr_fill(struct ps__hdr_fields *n, uint64_t gen,
		  const uint8_t *store, uint32_t len,
		  const struct ps_commit_args *a, const struct ps_lock *l)
{
	n->generation = gen;
	n->length = len;
	/* The store is finished and checked: its header holds its body's
	 * CRC, so the whole store's needs no pass of its own.  (Were it
	 * wrong, the read-back of step 9 would refuse the commit.) */
	n->crc = psf_crc32c_combine(psf_crc32c(0, store, PSF_HEADER_SIZE),
				    psf_le32(store + PSF_HDR_BODY_CRC),
				    len - PSF_HEADER_SIZE);
	n->token = l ? l->token : 0;
	n->owner = l ? l->owner : (a ? a->owner : 0);
	n->timestamp = a ? a->timestamp : 0;
	n->flags = a && a->auth ? PS_SLOT_F_AUTH | PS_SLOT_F_ORDERED :
		   ordered(a) ? PS_SLOT_F_ORDERED : 0;
}

/* The header of generation gen in slot ti, written and made durable
 * (steps 7 and 8); on success slot ti's record is that header. */
static int write_header(struct ps_disk *d, uint32_t ti, uint64_t gen,
			const uint8_t *store, uint32_t len, uint8_t *sbuf,
			const struct ps_commit_args *a, const struct ps_lock *l)
{
	struct ps__hdr_fields n;
	int rc;

	ps__hdr_fill(&n, gen, store, len, a, l);
	psf_memset(sbuf, 0, d->sector_size);
	ps__slot_encode(sbuf, ti, &n);
	rc = ps_media_write(d->media, d->slot[ti].lba, 1, sbuf);
	if (!rc)
		rc = ps_media_flush(d->media);
	if (!rc) {
		ps_slot_decode(sbuf, ti, &d->slot[ti]);
		d->slot[ti].damage = PS_OK;
	}
	return rc;
}

/*
 * Step 9: read back what readers will see, before saying committed: slot
 * ti's header as written, no other complete slot newer, and a body that
 * matches its CRC.  A store checked before writing whose bytes read back
 * under their CRC passes every check of docs/store.md 3.2.
 */
int ps__slot_verify(struct ps_disk *d, uint32_t ti, uint8_t *sbuf)
{
	const struct ps_slot *t = &d->slot[ti];
	int rc = check_base(d, sbuf);

	if (rc)
		return rc;
	rc = body_crc_ok(d, t->lba, t->length, t->crc, sbuf);
	return rc < 0 ? rc : rc ? PS_OK : PS_ERR_IO;
}

/* Steps 2-9 of the commit protocol (docs/store.md section 4), under
 * the lock. */
static int publish(struct ps_disk *d, const uint8_t *store, uint32_t len,
		   uint8_t *sbuf, const struct ps_commit_args *a,
		   struct ps_lock *l)
{
	uint32_t ti = 0;
	uint64_t gen;
	/* Step 2: conflict check (reads only). */
	int rc = check_base(d, sbuf);

	if (rc)
		return rc;
	/* Step 3: the target slot and the new generation. */
	rc = pick_target(d, l, &ti);
	if (rc < 0)
		return rc;
	/* After a broken hold, one generation is skipped: the broken
	 * holder, based on at most G, may still publish G+1 late, and must
	 * not tie with (and, from a lower slot, outrank) this commit. */
	gen = d->generation + 1 + (rc == PS_CLAIM_BROKE);
	rc = PS_OK; /* the claim's answer is spent: the steps below set rc */
	if (gen <= d->generation)
		return PS_ERR_GENERATION; /* would wrap: readers reject 0 */
	if (len > ps__body_bytes(d, &d->slot[ti]))
		return PS_ERR_NOSPACE;
	/*
	 * Step 4: write the body of the new generation into the target
	 * slot, which holds an older generation (or nothing).  Only sectors
	 * that differ are written.  The target's header still describes its
	 * old contents, whose CRC no longer matches, so a crash here leaves
	 * the target free and G newest.
	 */
	if (a && a->auth)  /* docs/store.md 8.3: the trailer, sealed */
		rc = a->auth->seal ? a->auth->seal(d, ti, gen, store, len, a,
						   l, sbuf) : PS_ERR_INVAL;
	if (!rc)
		rc = write_diff(d, &d->slot[ti], store, len, sbuf, l);
	if (rc)
		return rc;
	/*
	 * Step 5, ordered commits only: flush.  Durable point A: the new
	 * body is on media (device cache included) before any header names
	 * it, so a header over a failing body means damage, never a cut
	 * (its PS_SLOT_F_ORDERED says so).  A fast commit leaves body and
	 * header to one flush: a cut may land the header alone, and its
	 * store_crc then fails against the body, which readers treat as
	 * free (an interrupted commit).
	 */
	rc = ordered(a) ? ps_media_flush(d->media) : PS_OK;
	if (rc)
		return rc;
	/*
	 * Step 6: fencing.  If the lock was broken (lease expired, another
	 * writer holds it now), stop: the target slot is garbage, which is
	 * free by definition, and G stays newest.
	 */
	if (!lock_still_held(l))
		return PS_ERR_FENCED;
	/*
	 * Steps 7 and 8: the target's header (generation, length, CRC,
	 * token, owner, time, flags), then flush: durable point B, the
	 * commit's only one when fast.  The 64 header bytes sit at the start
	 * of one sector, so a torn write leaves the old header (whose CRC
	 * then fails against the new body) or the new one, never a mix that
	 * passes its CRC.
	 */
	rc = write_header(d, ti, gen, store, len, sbuf, a, l);
	if (rc)
		return rc;
	d->base = (int)ti;
	d->generation = gen;
	d->length = len;
	/* A failed verification leaves d as written: the next commit's
	 * conflict check compares it with the media again. */
	return ps__slot_verify(d, ti, sbuf);
}

/* The store must be complete and valid before anything reaches media. */
static int store_ok(const void *store, uint32_t *len)
{
	int rc = psf_check_header(store, PSF_HEADER_SIZE);

	if (rc != PSF_OK && rc != PSF_ERR_TRUNCATED)
		return rc;
	*len = psf_total(store);
	/* Whether it fits is the target's to say (publish): the lock
	 * chooses it. */
	return psf_check_full(store, *len, 0);
}

/* How commit trusts its caller's store. */
#define FROM_CALLER 1  /* ps_commit: check it, and do step 0 on media */
#define CHECKED 0      /* ps__commit_changed: the caller did both */

/* ps_commit, and ps__commit_changed with step0 CHECKED. */
static int commit(struct ps_disk *d, const void *store, void *sector_buf,
		  const struct ps_commit_args *args, int step0)
{
	struct ps_lock *l = args ? args->lock : 0;
	uint8_t *sbuf = (uint8_t *)sector_buf;
	uint32_t len;
	int rc, release, rrc;

	if (!d || !d->media || !store || !sbuf || d->base < 0)
		return PS_ERR_INVAL;
	if (l && (!l->ops || !l->ops->acquire || !l->ops->still_held ||
		  !l->ops->release))
		return PS_ERR_INVAL;
	if (d->media->read_only)
		return PS_ERR_RDONLY;
	if (step0 == CHECKED)
		len = psf_total(store);
	else if ((rc = store_ok(store, &len)) != PS_OK)
		return rc;
	/* Step 0: nothing changed, nothing written (flash wear). */
	rc = step0 ? slot_holds(d, &d->slot[d->base], store, len, sbuf) : 0;
	if (rc < 0 || (rc && !(args && args->auth && args->auth->force)))
		return rc < 0 ? rc : PS_OK;
	/* Step 1: the lock (unless held across a multi-step transaction). */
	rc = lock_enter(l, &release);
	if (rc)
		return rc;
	rc = publish(d, store, len, sbuf, args, l);
	if (release) {
		rrc = ps_lock_drop(l);
		/* A failed release after publishing is the lease's problem;
		 * the commit itself stands. */
		(void)rrc;
	}
	return rc;
}

int ps_commit(struct ps_disk *d, const void *store, void *sector_buf,
	      const struct ps_commit_args *args)
{
	return commit(d, store, sector_buf, args, FROM_CALLER);
}

#if PS_HOSTED
/* Host only (ps_store.c): firmware has no copy of the base to compare. */
int ps__commit_changed(struct ps_disk *d, const void *store,
		       void *sector_buf, const struct ps_commit_args *args)
{
	return commit(d, store, sector_buf, args, CHECKED);
}
#endif
