/*
 * bmc_auth.c - the authenticated store in the BMC (docs/store.md 8,
 * docs/security.md): every store the shim loads is verified with the key
 * and the BMC's trusted counter from the platform (struct
 * ps_auth_provider), a store that does not verify is served to nobody,
 * and every commit on a verified store is sealed.  The rules are
 * pstate/ps_auth.c's; this file only decides what the BMC does with a
 * verdict.
 *
 * The key is copied into the shim's context only for a check or a seal
 * and wiped right after: a dump of the context between requests does not
 * hold it.
 */
#include "bmc_internal.h"

/* The host's writers seal with the same key and keep their own counter
 * (a TPM NV counter, a root-only file): a slot they wrote may be many
 * commits ahead of the BMC's counter (ps_auth_accept_others). */
#define HOST_WRITERS ((1u << PS_OWNER_AGENT) | (1u << PS_OWNER_BIOS) | \
		      (1u << PS_OWNER_OS))

static void forget_key(struct bmc_shim *s)
{
	psf_memset(s->auth_key, 0, sizeof s->auth_key);
}

void bmc_auth_load(struct bmc_shim *s)
{
	const struct ps_auth_provider *p = s->plat.auth;
	struct ps_auth_check c = { 0 };
	struct ps_auth_result r;
	int krc, crc;

	s->auth_verdict = PS_AUTH_OFF;
	if (!p)
		return;
	s->auth_trusted = 0;
	crc = p->get_counter(p->ctx, &s->auth_trusted);
	krc = p->get_key(p->ctx, s->auth_key);
	s->auth_verdict = BMC_AUTH_FAULT;
	if ((crc != PS_OK && crc != PS_ERR_NOKEY) ||
	    (krc != PS_OK && krc != PS_ERR_NOKEY)) {
		forget_key(s);
		return;
	}
	/* No counter: this BMC never saw the store sealed, so it expects
	 * nothing; the first sealed store it verifies sets the counter. */
	c.key = krc == PS_OK ? s->auth_key : 0;
	c.have_counter = crc == PS_OK;
	c.trusted = s->auth_trusted;
	c.expect = c.have_counter;
	crc = ps_auth_verify(&s->disk, s->store, &c, s->sector, &r);
	forget_key(s);
	if (crc)
		return;
	ps_auth_accept_others(&r, &s->disk, HOST_WRITERS);
	s->auth_verdict = (uint8_t)r.verdict;
	s->auth_counter = r.t.counter;
	/* The counter follows every verified slot (a host commit, or this
	 * BMC's own one whose raise a power cut lost), so a replay of any
	 * store older than what the BMC has seen is refused.  A failed raise
	 * is tried again at the next load. */
	if (r.verdict == PS_AUTH_VERIFIED &&
	    (!c.have_counter || r.t.counter > s->auth_trusted) &&
	    p->set_counter(p->ctx, r.t.counter) == PS_OK)
		s->auth_trusted = r.t.counter;
}

uint8_t bmc_auth_gate(const struct bmc_shim *s)
{
	return s->auth_verdict == PS_AUTH_OFF ||
	       s->auth_verdict == PS_AUTH_VERIFIED ? BMC_CC_OK
						   : BMC_CC_UNVERIFIED;
}

uint8_t bmc_auth_arm(struct bmc_shim *s, struct ps_commit_args *a)
{
	const struct ps_auth_provider *p = s->plat.auth;
	uint8_t cc = bmc_auth_gate(s);

	if (cc || s->auth_verdict != PS_AUTH_VERIFIED)
		return cc;
	if (p->get_key(p->ctx, s->auth_key) != PS_OK) {
		forget_key(s);
		return BMC_CC_UNVERIFIED;
	}
	/* docs/store.md 8.4: one past both the BMC's counter and the
	 * slot's, raised only once the commit is durable. */
	s->auth_next = (s->auth_trusted > s->auth_counter ? s->auth_trusted
							  : s->auth_counter) + 1;
	ps_auth_arm(&s->auth_seal, s->auth_key, s->auth_next, 0);
	a->auth = &s->auth_seal;
	return BMC_CC_OK;
}

void bmc_auth_done(struct bmc_shim *s, int published)
{
	const struct ps_auth_provider *p = s->plat.auth;

	forget_key(s);
	if (!published || !p || s->auth_verdict != PS_AUTH_VERIFIED)
		return;
	/* A power cut before this leaves the store one ahead: accepted
	 * (T + 1) and the counter raised at the next load. */
	if (p->set_counter(p->ctx, s->auth_next) == PS_OK)
		s->auth_trusted = s->auth_next;
	s->auth_counter = s->auth_next;
}
