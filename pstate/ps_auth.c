/*
 * ps_auth.c - the authenticated store: the trailer after each committed
 * store, its MAC and counter, the reader's verdict and the commit's seal.
 * docs/store.md section 8 is the normative layout.
 *
 * FREESTANDING: the BMC links this file to verify before it serves a read
 * and to seal every commit.  The trailer is read and written a sector at
 * a time through the caller's scratch sector; the MAC streams the store
 * from the caller's buffer.
 */
#include "ps_internal.h"

#define TRAILER_MAGIC "\x89psauth\x1a"

/* Trailer field offsets (docs/store.md 8.2). */
#define AT_VERSION 8u    /* u32 */
#define AT_FLAGS 12u     /* u32 */
#define AT_COUNTER 16u   /* u64 */
#define AT_KEY_ID 24u    /* 8 bytes */
#define AT_MAC 32u       /* 32 bytes: HMAC-SHA256 */
#define HDR_MACED 60u    /* header bytes the MAC covers: all but its CRC */

const char *ps_auth_verdict_name(int v)
{
	static const char *const names[] = {
		"off", "verified", "unverified-no-key", "unverified",
		"bad-mac", "rolled-back", "counter-ahead",
	};

	if (v < 0 || v > PS_AUTH_AHEAD)
		return "unknown";
	return names[v];
}

void ps_auth_key_id(const uint8_t *key, uint8_t id[PS_AUTH_KEY_ID_LEN])
{
	static const char label[] = "pstate key id";
	struct ps_hmac h;
	uint8_t mac[PS_SHA256_LEN];

	ps_hmac_init(&h, key, PS_AUTH_KEY_LEN);
	ps_hmac_update(&h, label, sizeof label - 1);
	ps_hmac_final(&h, mac);
	psf_memcpy(id, mac, PS_AUTH_KEY_ID_LEN);
}

int ps_auth_trailer_decode(const uint8_t *p, struct ps_auth_trailer *t)
{
	if (!ps__magic_is(p, TRAILER_MAGIC) ||
	    psf_le32(p + AT_VERSION) != PS_AUTH_VERSION ||
	    (psf_le32(p + AT_FLAGS) & ~PS_AUTH_T_UNVERIFIED) != 0)
		return PS_ERR_AUTH;
	t->flags = psf_le32(p + AT_FLAGS);
	t->counter = psf_le64(p + AT_COUNTER);
	psf_memcpy(t->key_id, p + AT_KEY_ID, PS_AUTH_KEY_ID_LEN);
	psf_memcpy(t->mac, p + AT_MAC, PS_SHA256_LEN);
	return PS_OK;
}

void ps_auth_trailer_encode(uint8_t *p, const struct ps_auth_trailer *t)
{
	psf_memcpy(p, TRAILER_MAGIC, PS__MAGIC_LEN);
	psf_put_le32(p + AT_VERSION, PS_AUTH_VERSION);
	psf_put_le32(p + AT_FLAGS, t->flags);
	psf_put_le64(p + AT_COUNTER, t->counter);
	psf_memcpy(p + AT_KEY_ID, t->key_id, PS_AUTH_KEY_ID_LEN);
	psf_memcpy(p + AT_MAC, t->mac, PS_SHA256_LEN);
}

void ps_auth_mac(const uint8_t *key, const uint8_t *hdr, const void *store,
		 uint32_t len, const uint8_t *trailer,
		 uint8_t mac[PS_SHA256_LEN])
{
	struct ps_hmac h;

	ps_hmac_init(&h, key, PS_AUTH_KEY_LEN);
	ps_hmac_update(&h, hdr, HDR_MACED);
	ps_hmac_update(&h, store, len);
	ps_hmac_update(&h, trailer, AT_MAC);
	ps_hmac_final(&h, mac);
}

int ps_auth_counter_rule(uint64_t slot, uint64_t trusted)
{
	if (slot < trusted)
		return PS_AUTH_ROLLBACK;
	/* trusted + 1: the commit landed, the power went before the
	 * trusted counter was raised (docs/store.md 8.4). */
	if (slot - trusted <= 1)
		return PS_AUTH_VERIFIED;
	return PS_AUTH_AHEAD;
}

/* The trailer's place: right after the store in slot s's body, when the
 * body has room for it.  Its first sector (from the slot's header sector)
 * and offset in that sector; 0 when it does not fit. */
static int trailer_at(const struct ps_disk *d, const struct ps_slot *s,
		      uint32_t len, uint64_t *lba, uint32_t *off)
{
	if ((uint64_t)len + PS_AUTH_TRAILER_SIZE > ps__body_bytes(d, s))
		return 0;
	*lba = s->lba + 1 + len / d->sector_size;
	*off = len % d->sector_size;
	return 1;
}

/* Copy the trailer between p and the media at (lba, off): it spans one
 * sector or two.  write: read-modify-write the sectors that differ,
 * checking the lock first (as the commit does before each write). */
static int trailer_io(struct ps_disk *d, uint64_t lba, uint32_t off,
		      uint8_t *p, int write, const struct ps_lock *l,
		      uint8_t *sbuf)
{
	uint32_t done = 0;
	int rc;

	while (done < PS_AUTH_TRAILER_SIZE) {
		uint32_t n = d->sector_size - off;

		if (n > PS_AUTH_TRAILER_SIZE - done)
			n = PS_AUTH_TRAILER_SIZE - done;
		rc = ps_media_read(d->media, lba, 1, sbuf);
		if (rc)
			return rc;
		if (!write) {
			psf_memcpy(p + done, sbuf + off, n);
		} else if (psf_memcmp(sbuf + off, p + done, n) != 0) {
			if (l && l->ops->still_held(l->ctx, l->token) != 1)
				return PS_ERR_FENCED;
			psf_memcpy(sbuf + off, p + done, n);
			rc = ps_media_write(d->media, lba, 1, sbuf);
			if (rc)
				return rc;
		}
		done += n;
		off = 0;
		lba++;
	}
	return PS_OK;
}

/* The verdict of a trailer that decoded (raw, t), for slot s holding
 * store. */
static int judge(const struct ps_auth_check *c, const struct ps_slot *s,
		 const void *store, const uint8_t *raw,
		 const struct ps_auth_trailer *t)
{
	uint8_t id[PS_AUTH_KEY_ID_LEN], mac[PS_SHA256_LEN];

	if (t->flags & PS_AUTH_T_UNVERIFIED)
		return PS_AUTH_UNVERIFIED;
	if (!c->key)
		return PS_AUTH_NOKEY;
	ps_auth_key_id(c->key, id);
	ps_auth_mac(c->key, s->raw, store, s->length, raw, mac);
	if (psf_memcmp(id, t->key_id, sizeof id) != 0 ||
	    !ps_mac_equal(mac, t->mac, sizeof mac))
		return PS_AUTH_BADMAC;
	/* A valid MAC proves who wrote it, not when: the counter does. */
	if (!c->have_counter)
		return PS_AUTH_VERIFIED;
	return ps_auth_counter_rule(t->counter, c->trusted);
}

int ps_auth_verify(struct ps_disk *d, const void *store,
		   const struct ps_auth_check *c, uint8_t *sbuf,
		   struct ps_auth_result *r)
{
	const struct ps_slot *s;
	uint8_t raw[PS_AUTH_TRAILER_SIZE];
	uint64_t lba;
	uint32_t off;
	int rc;

	if (!d || !store || !c || !sbuf || !r || d->base < 0)
		return PS_ERR_INVAL;
	psf_memset(r, 0, sizeof *r);
	s = &d->slot[d->base];
	r->sealed = (s->flags & PS_SLOT_F_AUTH) != 0;
	/* Without the flag the slot says nothing: a store this host put in
	 * authenticated mode and that comes back without it was written by
	 * someone without the key (or had its flag stripped). */
	if (!r->sealed) {
		r->verdict = c->expect ? PS_AUTH_UNVERIFIED : PS_AUTH_OFF;
		return PS_OK;
	}
	r->verdict = PS_AUTH_BADMAC;
	if (!trailer_at(d, s, s->length, &lba, &off))
		return PS_OK;
	rc = trailer_io(d, lba, off, raw, 0, 0, sbuf);
	if (rc)
		return rc;
	if (ps_auth_trailer_decode(raw, &r->t) != PS_OK)
		return PS_OK;
	r->have_trailer = 1;
	r->verdict = judge(c, s, store, raw, &r->t);
	return PS_OK;
}

int ps_auth_accept_others(struct ps_auth_result *r, const struct ps_disk *d,
			  unsigned others)
{
	uint8_t owner;

	if (!r || !d || d->base < 0 || r->verdict != PS_AUTH_AHEAD)
		return r ? r->verdict : PS_AUTH_BADMAC;
	/* Another trusted writer may have committed many times since this
	 * one last looked; the owner is under the MAC, so only a key holder
	 * can claim to be it.  A replay (older) stays refused. */
	owner = d->slot[d->base].owner;
	if (owner < 32 && ((others >> owner) & 1u))
		r->verdict = PS_AUTH_VERIFIED;
	return r->verdict;
}

void ps_auth_arm(struct ps_auth *au, const uint8_t *key, uint64_t counter,
		 int force)
{
	au->key = key;
	au->counter = counter;
	au->force = force;
	au->seal = ps_auth_seal;
}

int ps_auth_seal(struct ps_disk *d, uint32_t ti, uint64_t gen,
		 const uint8_t *store, uint32_t len,
		 const struct ps_commit_args *a, const struct ps_lock *l,
		 uint8_t *sbuf)
{
	const struct ps_auth *au = a ? a->auth : 0;
	struct ps__hdr_fields n;
	uint8_t hdr[PS_SLOT_HDR_SIZE], raw[PS_AUTH_TRAILER_SIZE];
	uint64_t lba;
	uint32_t off;

	if (!au)
		return PS_OK;
	if (!trailer_at(d, &d->slot[ti], len, &lba, &off))
		return PS_ERR_NOSPACE;
	ps__hdr_fill(&n, gen, store, len, a, l);
	ps__slot_encode(hdr, ti, &n);
	/* Encoded in place rather than through a struct ps_auth_trailer:
	 * this frame sits on the commit's stack chain. */
	psf_memset(raw, 0, sizeof raw);
	psf_memcpy(raw, TRAILER_MAGIC, PS__MAGIC_LEN);
	psf_put_le32(raw + AT_VERSION, PS_AUTH_VERSION);
	psf_put_le32(raw + AT_FLAGS, au->key ? 0 : PS_AUTH_T_UNVERIFIED);
	psf_put_le64(raw + AT_COUNTER, au->counter);
	if (au->key) {
		ps_auth_key_id(au->key, raw + AT_KEY_ID);
		ps_auth_mac(au->key, hdr, store, len, raw, raw + AT_MAC);
	}
	return trailer_io(d, lba, off, raw, 1, l, sbuf);
}
