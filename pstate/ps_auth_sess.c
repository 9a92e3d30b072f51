/*
 * ps_auth_sess.c - one trusted writer's use of an authenticated store on
 * the host (docs/store.md 8.4): the key and trusted counter of the open
 * store (ps_auth_host_init says where they live), its verdict, and the
 * seal of the next commit with the counter raised after it.  psctl's
 * edits and hvagent's write-backs both go through here, so they follow
 * one counter rule.
 */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "ps_internal.h"
#include "ps_auth_host.h"

int ps_auth_sess_verify(struct ps_auth_sess *s, struct ps_store *st,
			const uint8_t *key)
{
	struct ps_disk d = *ps_store_disk(st);
	struct ps_auth_check chk = { key, s->counter_rc == PS_OK, s->trusted,
				     s->counter_rc == PS_OK };
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	uint32_t len;
	const void *buf = ps_store_data(st, &len);
	int rc = ps_auth_verify(&d, buf, &chk, sector, &s->r);

	/* The BMC seals with its own counter (docs/store.md 8.4). */
	if (!rc)
		ps_auth_accept_others(&s->r, &d, 1u << PS_OWNER_BMC);
	return rc;
}

int ps_auth_sess_load(struct ps_auth_sess *s, struct ps_store *st)
{
	memset(s, 0, sizeof *s);
	ps_auth_host_init(&s->host, &s->p, ps_store_disk(st)->volume_id);
	s->key_rc = s->p.get_key(s->p.ctx, s->key);
	memcpy(s->key_err, s->host.err, sizeof s->key_err);
	s->counter_rc = s->p.get_counter(s->p.ctx, &s->trusted);
	if (s->counter_rc != PS_OK && s->counter_rc != PS_ERR_NOKEY)
		return s->counter_rc;
	/* A counter file that exists but breaks the rules is not "none";
	 * nor is a TPM index that is not our counter, nor a missing NV
	 * counter where the TPM holds this store's key (deleted: a
	 * re-defined one would be refused unwritten or start high). */
	if (s->counter_rc == PS_ERR_NOKEY && !s->host.tcti[0] &&
	    access(s->host.counter_path, F_OK) == 0)
		return PS_ERR_NOKEY;
	if (s->counter_rc == PS_ERR_NOKEY && s->host.tcti[0] &&
	    (s->host.nv_refused || s->key_rc == PS_OK)) {
		if (!s->host.nv_refused)
			snprintf(s->host.err, sizeof s->host.err, "TPM (%s): "
				 "this store's key is here, its NV counter "
				 "0x%08x is not: refused (deleted?)",
				 s->host.tcti, (unsigned)s->host.nv_index);
		return PS_ERR_NOKEY;
	}
	return ps_auth_sess_verify(s, st, s->key_rc == PS_OK ? s->key : NULL);
}

/*
 * The counter the next sealed commit carries: one past the trusted
 * counter, or past the slot's when that is trusted + 1 (a power cut after
 * the last commit, before the counter was raised).  In that case the
 * trusted counter is raised to the slot's first: were it raised only
 * after this commit, a second cut would leave the store two ahead, which
 * the counter rule refuses.  A store with no trusted counter yet gets one
 * first (a TPM's NV counter starts where the TPM says, not at 0).
 */
int ps_auth_sess_next(struct ps_auth_sess *s)
{
	uint64_t base;
	int rc;

	if (s->counter_rc != PS_OK) {
		rc = s->p.set_counter(s->p.ctx, 0);
		if (!rc)
			rc = s->p.get_counter(s->p.ctx, &s->trusted);
		if (rc)
			return rc;
		s->counter_rc = PS_OK;
	}
	base = s->trusted;
	if (s->r.have_trailer && s->r.t.counter > base) {
		base = s->r.t.counter;
		rc = s->p.set_counter(s->p.ctx, base);
		if (rc)
			return rc;
		s->trusted = base;
	}
	s->next = base + 1;
	return PS_OK;
}

int ps_auth_sess_arm(struct ps_auth_sess *s, struct ps_store *st,
		     const uint8_t *key, int force)
{
	int rc;

	if (!key) {
		/* Without the key: the slot's counter, no MAC, marked. */
		ps_auth_arm(&s->seal, NULL, s->r.t.counter, force);
	} else {
		rc = ps_auth_sess_next(s);
		if (rc)
			return rc;
		ps_auth_arm(&s->seal, key, s->next, force);
		s->raise = 1;
	}
	ps_store_set_auth(st, &s->seal);
	return PS_OK;
}

int ps_auth_sess_done(struct ps_auth_sess *s, struct ps_store *st,
		      int committed)
{
	int raise = s->raise && committed;

	if (st)
		ps_store_set_auth(st, NULL);
	s->raise = 0;
	return raise ? s->p.set_counter(s->p.ctx, s->next) : PS_OK;
}
