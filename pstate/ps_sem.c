/*
 * ps_sem.c - the semaphore protocol over mapped memory (freestanding).
 *
 * See ps_sem.h for the API and docs/semaphore.md for the layouts
 * and the reasoning.  Everything that other processors may touch at the same time
 * goes through 32-bit __atomic operations on naturally aligned words; the
 * marker, which nobody changes while we scan, is read byte by byte.
 */
#include "ps_internal.h"

/* The protocol's owner ids are pstate.h's (they also go in slot headers). */
_Static_assert(PS_SEM_OWNER_BMC == PS_OWNER_BMC, "owner id BMC");
_Static_assert(PS_SEM_OWNER_AGENT == PS_OWNER_AGENT, "owner id agent");
_Static_assert(PS_SEM_OWNER_BIOS == PS_OWNER_BIOS, "owner id BIOS setup");
_Static_assert(PS_SEM_OWNER_OS == PS_OWNER_OS, "owner id OS tools");

/* ------------------------------------------------------------ messages */

/* Error messages are ps_strerror's (ps_strerror.c). */

static const char *const marker_whys[PS_SEM_MK_WHY_MAX + 1] = {
	[PS_SEM_MK_OK] = "valid",
	[PS_SEM_MK_TRUNCATED] = "marker runs past the end of the window",
	[PS_SEM_MK_LENGTH] = "marker length field below 32",
	[PS_SEM_MK_REVISION] = "marker revision 0",
	[PS_SEM_MK_CHECKSUM] = "marker bytes do not sum to zero",
	[PS_SEM_MK_FLAGS] = "marker has both BMC policy flags set",
	[PS_SEM_MK_SEMSIZE] = "semaphore size in marker below 192 bytes",
	[PS_SEM_MK_SEMADDR] =
		"semaphore address in marker is 0, not 8-byte aligned or wraps",
};

const char *ps_sem_marker_why_str(int why)
{
	if (why < 0 || why > PS_SEM_MK_WHY_MAX)
		return "unknown reason";
	return marker_whys[why];
}

const char *ps_sem_owner_name(unsigned owner)
{
	static const char *const names[PS_SEM_OWNER_SLOTS] = {
		"none", "BMC", "hvagent", "BIOS setup", "OS tools",
		"reserved-5", "reserved-6", "reserved-7",
	};

	return owner < PS_SEM_OWNER_SLOTS ? names[owner] : "invalid";
}

/* ------------------------------------------------------------ bytes */

/* Media and shared memory are little-endian on every host. */
static uint32_t le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int same_bytes(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return 0;
	return 1;
}

/* ------------------------------------------------------------ marker */

/* Marker field offsets (docs/semaphore.md, "Marker"). */
enum {
	MK_SIG = 0, MK_LEN = 8, MK_REV = 9, MK_SUM = 10, MK_FLAGS = 11,
	MK_SEMSIZE = 12, MK_SEMADDR = 16, MK_MINLEASE = 24, MK_RSVD = 28,
};

int ps_sem_check_marker(const uint8_t *p, size_t avail)
{
	uint8_t sum = 0;
	uint64_t addr;

	if (avail < PS_SEM_MARKER_LEN)
		return PS_SEM_MK_TRUNCATED;
	if (p[MK_LEN] < PS_SEM_MARKER_LEN)
		return PS_SEM_MK_LENGTH;
	/* A later revision may be longer; the length says how much the
	 * checksum covers, and it must still fit in the window. */
	if (p[MK_LEN] > avail)
		return PS_SEM_MK_TRUNCATED;
	if (p[MK_REV] == 0)
		return PS_SEM_MK_REVISION;
	for (size_t i = 0; i < p[MK_LEN]; i++)
		sum = (uint8_t)(sum + p[i]);
	if (sum != 0)
		return PS_SEM_MK_CHECKSUM;
	if ((p[MK_FLAGS] & PS_SEM_F_BMC_NEVER_WRITES) &&
	    (p[MK_FLAGS] & PS_SEM_F_BMC_HOST_OFF_ONLY))
		return PS_SEM_MK_FLAGS;
	if (get32(p + MK_SEMSIZE) < PS_SEM_SIZE)
		return PS_SEM_MK_SEMSIZE;
	addr = get32(p + MK_SEMADDR) | (uint64_t)get32(p + MK_SEMADDR + 4) << 32;
	if (addr == 0 || (addr & 7) != 0 ||
	    addr > UINT64_MAX - get32(p + MK_SEMSIZE))
		return PS_SEM_MK_SEMADDR;
	return PS_SEM_MK_OK;
}

static void decode_marker(const uint8_t *p, uint64_t phys,
			  struct ps_sem_marker *m)
{
	m->marker_addr = phys;
	m->sem_addr = get32(p + MK_SEMADDR) |
		      (uint64_t)get32(p + MK_SEMADDR + 4) << 32;
	m->sem_size = get32(p + MK_SEMSIZE);
	m->min_lease_ms = get32(p + MK_MINLEASE);
	m->revision = p[MK_REV];
	m->flags = p[MK_FLAGS];
}

static void note_reject(struct ps_sem_scan *sc, int why, uint64_t phys)
{
	if (sc->rejected++ == 0) {
		sc->first_why = why;
		sc->first_why_addr = phys;
	}
}

int ps_sem_find_marker(const void *win, size_t len, uint64_t win_phys,
		       struct ps_sem_marker *m, struct ps_sem_scan *scan)
{
	const uint8_t *b = win;
	struct ps_sem_scan local;
	struct ps_sem_scan *sc = scan ? scan : &local;

	sc->candidates = sc->rejected = 0;
	sc->first_why = PS_SEM_MK_OK;
	sc->first_why_addr = 0;
	if (!b || !m)
		return PS_SEM_ERR_INVAL;
	/* Only the signature needs to fit for a place to be a candidate: a
	 * signature cut off by the window end is reported as truncated. */
	for (size_t off = 0; off + 8 <= len; off += PS_SEM_MARKER_ALIGN) {
		int why;

		if (!same_bytes(b + off, PS_SEM_MARKER_SIG, 8))
			continue;
		sc->candidates++;
		why = ps_sem_check_marker(b + off, len - off);
		if (why != PS_SEM_MK_OK) {
			note_reject(sc, why, win_phys + off);
			continue;
		}
		decode_marker(b + off, win_phys + off, m);
		return PS_SEM_OK;
	}
	return sc->candidates ? PS_SEM_ERR_BADMARKER : PS_SEM_ERR_NOMARKER;
}

int ps_sem_write_marker(void *dst, uint64_t sem_addr, uint32_t sem_size,
			uint8_t flags, uint32_t min_lease_ms)
{
	uint8_t *p = dst;
	uint8_t sum = 0;

	if (!p || sem_addr == 0 || (sem_addr & 7) || sem_size < PS_SEM_SIZE ||
	    sem_addr > UINT64_MAX - sem_size ||
	    (flags & ~(PS_SEM_F_BMC_NEVER_WRITES | PS_SEM_F_BMC_HOST_OFF_ONLY)) ||
	    flags == (PS_SEM_F_BMC_NEVER_WRITES | PS_SEM_F_BMC_HOST_OFF_ONLY))
		return PS_SEM_ERR_INVAL;
	for (unsigned i = 0; i < PS_SEM_MARKER_LEN; i++)
		p[i] = 0;
	for (unsigned i = 0; i < 8; i++)
		p[MK_SIG + i] = (uint8_t)PS_SEM_MARKER_SIG[i];
	p[MK_LEN] = PS_SEM_MARKER_LEN;
	p[MK_REV] = PS_SEM_MARKER_REV;
	p[MK_FLAGS] = flags;
	put32(p + MK_SEMSIZE, sem_size);
	put32(p + MK_SEMADDR, (uint32_t)sem_addr);
	put32(p + MK_SEMADDR + 4, (uint32_t)(sem_addr >> 32));
	put32(p + MK_MINLEASE, min_lease_ms);
	for (unsigned i = 0; i < PS_SEM_MARKER_LEN; i++)
		sum = (uint8_t)(sum + p[i]);
	p[MK_SUM] = (uint8_t)(0x100u - sum);
	return PS_SEM_OK;
}

/* ------------------------------------------------------------ structure */

/* Semaphore structure, as 32-bit word indices (docs/semaphore.md). */
enum {
	W_MAGIC = 0, W_HDR = 1, W_LOCK = 2, W_LEASE = 3, W_SEQLO = 4,
	W_SEQHI = 5, W_BREAKS = 6, W_LASTBROKEN = 7, W_WAITERS = 8,
	W_BARRED = 9, W_OWNERS = 16, /* words 10-15 reserved */
};
/* Per-owner entry: 4 words from W_OWNERS + 4 * owner. */
enum { O_SEQLO = 0, O_SEQHI = 1, O_ACQUIRES = 2, O_BREAKS = 3 };

static uint32_t ld(const uint32_t *mem, unsigned w)
{
	return le32(__atomic_load_n(&mem[w], __ATOMIC_ACQUIRE));
}

static void st(uint32_t *mem, unsigned w, uint32_t v)
{
	__atomic_store_n(&mem[w], le32(v), __ATOMIC_RELEASE);
}

static int cas(uint32_t *mem, unsigned w, uint32_t old, uint32_t new_)
{
	uint32_t o = le32(old);

	return __atomic_compare_exchange_n(&mem[w], &o, le32(new_), 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* A 64-bit value kept as two words, read consistently by re-reading the
 * high half (a holder may be writing it). */
static uint64_t ld64(const uint32_t *mem, unsigned lo)
{
	uint32_t hi, l, hi2;

	do {
		hi = ld(mem, lo + 1);
		l = ld(mem, lo);
		hi2 = ld(mem, lo + 1);
	} while (hi != hi2);
	return (uint64_t)hi << 32 | l;
}

/* High half first: if we die between the two stores, what is left is
 * larger than the old value, so the sequence never goes backwards. */
static void st64(uint32_t *mem, unsigned lo, uint64_t v)
{
	if (ld(mem, lo + 1) != (uint32_t)(v >> 32))
		st(mem, lo + 1, (uint32_t)(v >> 32));
	st(mem, lo, (uint32_t)v);
}

static uint32_t header_word(void)
{
	uint8_t h[4] = { PS_SEM_REV, PS_SEM_OWNER_SLOTS,
			 (uint8_t)PS_SEM_SIZE, (uint8_t)(PS_SEM_SIZE >> 8) };

	return get32(h);
}

int ps_sem_init_struct(void *mem, size_t len)
{
	uint32_t *w = mem;

	if (!w || ((uintptr_t)w & 7) || len < PS_SEM_SIZE)
		return PS_SEM_ERR_INVAL;
	for (unsigned i = 0; i < PS_SEM_SIZE / 4; i++)
		st(w, i, 0);
	st(w, W_MAGIC, get32((const uint8_t *)PS_SEM_MAGIC));
	st(w, W_HDR, header_word());
	return PS_SEM_OK;
}

static int check_struct(const uint32_t *w)
{
	uint32_t hdr = ld(w, W_HDR);

	if (ld(w, W_MAGIC) != get32((const uint8_t *)PS_SEM_MAGIC))
		return PS_SEM_ERR_BADSEM;
	/* Revision >= 1, at least our 8 owner slots, size >= ours: a later
	 * revision may only append fields. */
	if ((hdr & 0xFF) == 0 || ((hdr >> 8) & 0xFF) < PS_SEM_OWNER_SLOTS ||
	    (hdr >> 16) < PS_SEM_SIZE)
		return PS_SEM_ERR_BADSEM;
	return PS_SEM_OK;
}

int ps_sem_attach(struct ps_sem *s, void *win, size_t len, uint64_t win_phys,
		  const struct ps_sem_marker *m, const struct ps_sem_clock *clk,
		  uint32_t timeout_ms)
{
	uint8_t *b = win;
	uint64_t off;

	if (!s || !b || !m || !clk || !clk->now_ms)
		return PS_SEM_ERR_INVAL;
	if (m->sem_addr < win_phys || m->sem_addr - win_phys > len ||
	    len - (m->sem_addr - win_phys) < PS_SEM_SIZE)
		return PS_SEM_ERR_RANGE;
	off = m->sem_addr - win_phys;
	if (((uintptr_t)(b + off)) & 7)
		return PS_SEM_ERR_BADSEM;
	/* Field by field rather than a struct literal: no memset in
	 * firmware that has none. */
	s->mem = (uint32_t *)(void *)(b + off);
	s->word = s->lease_ms = s->obs_word = 0;
	s->token = s->renewed_ms = s->obs_since = 0;
	s->owner = s->held = s->obs_valid = s->broke = s->waiting = 0;
	s->skip = 0;
	s->clk = *clk;
	s->min_lease_ms = m->min_lease_ms;
	s->timeout_ms = timeout_ms;
	return check_struct(s->mem);
}

/* ------------------------------------------------------------ locking */

/* The lease a breaker waits out: the holder's published value, raised to
 * the marker's floor and clamped, since a dead holder may have died before
 * publishing its own and left a previous holder's value. */
static uint32_t effective_lease(const struct ps_sem *s, uint32_t lease)
{
	if (lease < s->min_lease_ms)
		lease = s->min_lease_ms;
	if (lease < PS_SEM_LEASE_MIN_MS)
		lease = PS_SEM_LEASE_MIN_MS;
	if (lease > PS_SEM_LEASE_MAX_MS)
		lease = PS_SEM_LEASE_MAX_MS;
	return lease;
}

/* The word after w for owner.  A held word keeps w's claim: the slot its
 * holder, or the holder it broke, may still write into.  A free word has
 * none: a release ends every write of the hold. */
static uint32_t next_word(uint32_t w, uint8_t owner)
{
	uint32_t claim = owner ? (w & 0xF0u) : 0;

	return PS_SEM_WORD(owner | claim, PS_SEM_WORD_VER(w) + 1);
}

static void bump(uint32_t *mem, unsigned w)
{
	st(mem, w, ld(mem, w) + 1);
}

/* Steps after the acquiring CAS, in this order: publish the lease (breakers
 * read it), the new sequence number (the fencing token), the diagnostics,
 * then a renew, whose version bump tells watchers the hold is set up. */
static int finish_acquire(struct ps_sem *s, uint32_t w, uint8_t victim,
			  uint64_t *token)
{
	uint32_t *mem = s->mem;
	unsigned o = W_OWNERS + 4u * s->owner;
	uint64_t seq;

	st(mem, W_LEASE, s->lease_ms);
	seq = ld64(mem, W_SEQLO) + 1;
	st64(mem, W_SEQLO, seq);
	st64(mem, o + O_SEQLO, seq);
	bump(mem, o + O_ACQUIRES);
	s->skip = 0;
	if (victim) {
		bump(mem, W_BREAKS);
		st(mem, W_LASTBROKEN, victim);
		bump(mem, o + O_BREAKS);
		/* The broken holder may still land a write in the slot it
		 * claimed: bar it to later commits (until the next break). */
		if (PS_SEM_WORD_CLAIM(w)) {
			st(mem, W_BARRED, PS_SEM_WORD_CLAIM(w));
			s->skip = 1;
		}
	}
	if (!cas(mem, W_LOCK, w, next_word(w, s->owner)))
		return PS_SEM_ERR_LOST; /* stalled a whole lease: broken */
	s->word = next_word(w, s->owner);
	s->token = seq;
	s->renewed_ms = s->clk.now_ms(s->clk.ctx);
	s->held = 1;
	s->broke = victim != 0;
	s->obs_valid = 0;
	*token = seq;
	return PS_SEM_OK;
}

/* Held by someone else: watch the word; break it when it has not changed
 * for a whole lease of our own clock.  The clock is read after the word, so
 * the watch never starts before the value was really seen. */
static int try_break(struct ps_sem *s, uint32_t w, uint64_t *token)
{
	uint64_t now = s->clk.now_ms(s->clk.ctx);
	uint32_t nw;

	if (!s->obs_valid || s->obs_word != w) {
		s->obs_valid = 1;
		s->obs_word = w;
		s->obs_since = now;
		return PS_SEM_ERR_BUSY;
	}
	if (now - s->obs_since < effective_lease(s, ld(s->mem, W_LEASE)))
		return PS_SEM_ERR_BUSY;
	/* CAS from the stale value: of two breakers only one can win, and a
	 * holder that renewed meanwhile makes us fail. */
	nw = next_word(w, s->owner);
	if (!cas(s->mem, W_LOCK, w, nw))
		return PS_SEM_ERR_BUSY;
	if (finish_acquire(s, nw, PS_SEM_WORD_OWNER(w), token) != PS_SEM_OK)
		return PS_SEM_ERR_BUSY;
	return PS_SEM_OK;
}

static int check_args(const struct ps_sem *s, uint8_t owner, uint32_t lease,
		      const uint64_t *token)
{
	if (!s || !s->mem || !token || owner == 0 || owner > PS_SEM_OWNER_MAX)
		return PS_SEM_ERR_INVAL;
	if (lease < PS_SEM_LEASE_MIN_MS || lease > PS_SEM_LEASE_MAX_MS)
		return PS_SEM_ERR_INVAL;
	if (s->held)
		return PS_SEM_ERR_INVAL; /* one hold per handle */
	return PS_SEM_OK;
}

int ps_sem_try_acquire(struct ps_sem *s, uint8_t owner, uint32_t lease_ms,
		       uint64_t *token)
{
	int rc = check_args(s, owner, lease_ms, token);
	uint32_t w, nw;

	if (rc)
		return rc;
	s->owner = owner;
	s->lease_ms = effective_lease(s, lease_ms);
	w = ld(s->mem, W_LOCK);
	if (PS_SEM_WORD_OWNER(w) != 0)
		return try_break(s, w, token);
	nw = next_word(w, owner);
	if (!cas(s->mem, W_LOCK, w, nw))
		return PS_SEM_ERR_BUSY;
	if (finish_acquire(s, nw, 0, token) != PS_SEM_OK)
		return PS_SEM_ERR_BUSY;
	return PS_SEM_OK;
}

/* The waiters word is only a hint, changed with atomic OR/AND so that
 * parties setting different bits never undo each other. */
static void set_waiting(struct ps_sem *s, int on)
{
	uint32_t bit = le32(1u << s->owner);

	if (on && !(ld(s->mem, W_WAITERS) & (1u << s->owner)))
		__atomic_fetch_or(&s->mem[W_WAITERS], bit, __ATOMIC_ACQ_REL);
	else if (!on && s->waiting)
		__atomic_fetch_and(&s->mem[W_WAITERS], ~bit, __ATOMIC_ACQ_REL);
	s->waiting = (uint8_t)on;
}

/* Fairness: a process that just released and comes straight back would
 * otherwise win every time against waiters that poll.  While another
 * owner advertises waiting and the lock stays as it is, hold back for up
 * to PS_SEM_POLITE_MS. */
static void be_polite(struct ps_sem *s, uint8_t owner)
{
	uint64_t start = s->clk.now_ms(s->clk.ctx);
	uint32_t w = ld(s->mem, W_LOCK), attempt = 0;

	while ((ld(s->mem, W_WAITERS) & ~(1u << owner) & 0xFEu) &&
	       ld(s->mem, W_LOCK) == w &&
	       s->clk.now_ms(s->clk.ctx) - start < PS_SEM_POLITE_MS)
		if (s->clk.relax)
			s->clk.relax(s->clk.ctx, attempt++);
}

int ps_sem_acquire(struct ps_sem *s, uint8_t owner, uint32_t lease_ms,
		   uint32_t timeout_ms, uint64_t *token)
{
	uint64_t start;
	uint32_t attempt = 0;
	int rc;

	if (timeout_ms && s && s->mem && !s->held && owner &&
	    owner <= PS_SEM_OWNER_MAX)
		be_polite(s, owner);
	rc = ps_sem_try_acquire(s, owner, lease_ms, token);
	if (rc != PS_SEM_ERR_BUSY || timeout_ms == 0)
		return rc;
	start = s->clk.now_ms(s->clk.ctx);
	for (;;) {
		set_waiting(s, 1);
		if (s->clk.relax)
			s->clk.relax(s->clk.ctx, attempt++);
		rc = ps_sem_try_acquire(s, owner, lease_ms, token);
		if (rc != PS_SEM_ERR_BUSY)
			break;
		if (s->clk.now_ms(s->clk.ctx) - start >= timeout_ms) {
			rc = PS_SEM_ERR_TIMEOUT;
			break;
		}
	}
	set_waiting(s, 0);
	return rc;
}

int ps_sem_renew(struct ps_sem *s)
{
	uint32_t nw;

	if (!s || !s->mem)
		return PS_SEM_ERR_INVAL;
	if (!s->held)
		return PS_SEM_ERR_NOTHELD;
	nw = next_word(s->word, s->owner);
	if (!cas(s->mem, W_LOCK, s->word, nw)) {
		s->held = 0;
		return PS_SEM_ERR_LOST;
	}
	s->word = nw;
	s->renewed_ms = s->clk.now_ms(s->clk.ctx);
	return PS_SEM_OK;
}

int ps_sem_still_held(struct ps_sem *s, uint64_t token)
{
	if (!s || !s->mem)
		return PS_SEM_ERR_INVAL;
	if (!s->held)
		return PS_SEM_ERR_NOTHELD;
	if (token != s->token)
		return PS_SEM_ERR_LOST; /* a token of an earlier hold */
	/* The word check alone would do (every transition changes it); the
	 * sequence check also catches a structure re-initialised under us. */
	if (ld(s->mem, W_LOCK) != s->word || ld64(s->mem, W_SEQLO) != token) {
		s->held = 0;
		return PS_SEM_ERR_LOST;
	}
	return ps_sem_renew(s);
}

int ps_sem_claim(struct ps_sem *s, uint64_t token, uint32_t slot, int force)
{
	uint32_t c = slot + 1, nw;

	if (!s || !s->mem || slot >= PS_MAX_SLOTS)
		return PS_SEM_ERR_INVAL;
	if (!s->held || token != s->token)
		return PS_CLAIM_LOST;
	if (ld(s->mem, W_LOCK) != s->word || ld64(s->mem, W_SEQLO) != token)
		goto lost;
	if (!force && ld(s->mem, W_BARRED) == c)
		return PS_CLAIM_BARRED;
	/* One CAS records the slot and renews: a holder broken before it
	 * fails here and never writes the slot. */
	nw = PS_SEM_WORD(s->owner | c << 4, PS_SEM_WORD_VER(s->word) + 1);
	if (!cas(s->mem, W_LOCK, s->word, nw))
		goto lost;
	s->word = nw;
	s->renewed_ms = s->clk.now_ms(s->clk.ctx);
	return s->skip ? PS_CLAIM_BROKE : PS_CLAIM_OK;
lost:
	s->held = 0;
	return PS_CLAIM_LOST;
}

int ps_sem_release(struct ps_sem *s, uint64_t token)
{
	int ok;

	if (!s || !s->mem)
		return PS_SEM_ERR_INVAL;
	if (!s->held)
		return PS_SEM_ERR_NOTHELD;
	if (token != s->token)
		return PS_SEM_ERR_LOST;
	ok = cas(s->mem, W_LOCK, s->word, next_word(s->word, 0));
	s->held = 0;
	return ok ? PS_SEM_OK : PS_SEM_ERR_LOST;
}

void ps_sem_peek(const struct ps_sem *s, struct ps_sem_state *st_)
{
	const uint32_t *mem = s->mem;

	st_->word = ld(mem, W_LOCK);
	st_->owner = PS_SEM_WORD_OWNER(st_->word);
	st_->version = PS_SEM_WORD_VER(st_->word);
	st_->claim = PS_SEM_WORD_CLAIM(st_->word);
	st_->barred = (uint8_t)ld(mem, W_BARRED);
	st_->lease_ms = ld(mem, W_LEASE);
	st_->seq = ld64(mem, W_SEQLO);
	st_->breaks = ld(mem, W_BREAKS);
	st_->last_broken_owner = (uint8_t)ld(mem, W_LASTBROKEN);
	st_->waiters = ld(mem, W_WAITERS);
	for (unsigned i = 0; i < PS_SEM_OWNER_SLOTS; i++) {
		unsigned o = W_OWNERS + 4 * i;

		st_->owner_last_seq[i] = ld64(mem, o + O_SEQLO);
		st_->owner_acquires[i] = ld(mem, o + O_ACQUIRES);
		st_->owner_breaks[i] = ld(mem, o + O_BREAKS);
	}
}

/* ------------------------------------------------------------ adapter */

static int ops_acquire(void *ctx, uint8_t owner, uint32_t lease_ms,
		       uint64_t *token)
{
	struct ps_sem *s = ctx;

	if (!s)
		return PS_SEM_ERR_INVAL;
	return ps_sem_acquire(s, owner, lease_ms, s->timeout_ms, token);
}

/* pstate.h: 1 held, 0 lost, negative error.  A handle that no longer
 * holds (its hold was found broken earlier) answers 0 too. */
static int ops_still_held(void *ctx, uint64_t token)
{
	int rc = ps_sem_still_held(ctx, token);

	if (rc == PS_SEM_OK)
		return 1;
	if (rc == PS_SEM_ERR_LOST || rc == PS_SEM_ERR_NOTHELD)
		return 0;
	return rc;
}

static int ops_release(void *ctx, uint64_t token)
{
	return ps_sem_release(ctx, token);
}

static int ops_claim(void *ctx, uint64_t token, uint32_t slot, int force)
{
	return ps_sem_claim(ctx, token, slot, force);
}

const struct ps_lock_ops ps_sem_lock_ops = {
	.acquire = ops_acquire,
	.still_held = ops_still_held,
	.release = ops_release,
	.claim = ops_claim,
};
