/*
 * psctl_bmc_diff.c - an edit of a BMC's store sent back as OEM writes:
 * the difference of two finished stores as element writes and deletes,
 * several of them under the BMC lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psctl.h"
#include "psctl_bmc_int.h"
#include "psctl_util.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ the diff */

/* One element write or delete. */
struct change {
	uint8_t op;               /* BMC_WRITE_ELEMENT or _DELETE */
	uint32_t set;             /* root child holding it; 0: the root */
	uint32_t sig;
	char name[PS_CFG_NAME_MAX + 1];
	const uint8_t *elem;      /* write: the element's bytes */
	uint32_t elen;
};

struct changes {
	struct change *v;
	size_t n, cap;
};

static int same_elem(const void *a, int ao, const void *b, int bo)
{
	uint32_t la = psctl_elem_len(a, ao), lb = psctl_elem_len(b, bo);

	return la == lb &&
	       !memcmp((const uint8_t *)a + ao, (const uint8_t *)b + bo, la);
}

/* The NAME of a container child, or NULL. */
static const char *name_of(const void *buf, int off, uint32_t *len)
{
	if (!PSF_SIG_IS_CONTAINER(psf_sig(buf, off)))
		return NULL;
	return psf_child_payload(buf, off, PSF_NAME, len);
}

/* A set: a container whose children (pads aside) are all named
 * containers, so each can be written or deleted by name. */
static int is_named_set(const void *buf, int set)
{
	uint32_t nl;
	int k;

	if (!PSF_SIG_IS_CONTAINER(psf_sig(buf, set)))
		return 0;
	psf_for_each_child(buf, set, k) {
		const char *nm = name_of(buf, k, &nl);

		if (!nm || nl == 0 || nl > PS_CFG_NAME_MAX)
			return 0;
	}
	return 1;
}

static int add_change(struct changes *cs, uint8_t op, uint32_t set,
		      const void *buf, int off)
{
	struct change *ch, *nv;
	uint32_t nl = 0;
	const char *nm = name_of(buf, off, &nl);

	nv = psctl_grow(cs->v, &cs->cap, cs->n, sizeof *cs->v, 8);
	if (!nv)
		return -1;
	cs->v = nv;
	ch = &cs->v[cs->n++];
	memset(ch, 0, sizeof *ch);
	ch->op = op;
	ch->set = set;
	ch->sig = psf_sig(buf, off);
	if (nm && nl <= PS_CFG_NAME_MAX)
		memcpy(ch->name, nm, nl);
	ch->elem = (const uint8_t *)buf + off;
	ch->elen = psctl_elem_len(buf, off);
	return 0;
}

/* The changes inside one set present in both stores. */
static int diff_set(struct changes *cs, const void *old, int os,
		    const void *new, int ns)
{
	uint32_t set = psf_sig(new, ns), nl;
	int k, m, rc = 0;

	/* Deletes first: a rename is a delete and a write, and the new
	 * name must not meet the old one's UUID and MACs. */
	psf_for_each_child(old, os, k) {
		const char *nm = name_of(old, k, &nl);

		if (psf_find_named(new, ns, psf_sig(old, k), PSF_NAME, nm,
				   nl) < 0)
			rc |= add_change(cs, BMC_WRITE_DELETE, set, old, k);
	}
	psf_for_each_child(new, ns, k) {
		const char *nm = name_of(new, k, &nl);

		m = psf_find_named(old, os, psf_sig(new, k), PSF_NAME, nm, nl);
		if (m < 0 || !same_elem(old, m, new, k))
			rc |= add_change(cs, BMC_WRITE_ELEMENT, set, new, k);
	}
	return rc;
}

/* Root children in the order their changes go: what others refer to
 * (networks, images, profiles) before what refers (VMs, reservations). */
static const uint32_t set_order[] = { PSF_NETWORKS, PSF_IMAGES, PSF_PROFILES,
				      PSF_VMS, PSF_RESERVATIONS };
#define N_ORDER (sizeof set_order / sizeof set_order[0])

static int rank_of(uint32_t sig)
{
	size_t i;

	for (i = 0; i < N_ORDER; i++)
		if (set_order[i] == sig)
			return (int)i;
	return (int)N_ORDER;
}

static int diff_root_child(struct changes *cs, const void *old,
			   const void *new, int nk)
{
	int r = psf_root(old), ok = psf_find_child(old, r, psf_sig(new, nk));

	if (ok < 0)
		return add_change(cs, BMC_WRITE_ELEMENT, 0, new, nk);
	if (same_elem(old, ok, new, nk))
		return 0;
	if (is_named_set(old, ok) && is_named_set(new, nk))
		return diff_set(cs, old, ok, new, nk);
	return add_change(cs, BMC_WRITE_ELEMENT, 0, new, nk);
}

static int diff_stores(struct changes *cs, const void *old, const void *new)
{
	int rank, k, rc = 0;

	for (rank = 0; rank <= (int)N_ORDER; rank++)
		psf_for_each_child(new, psf_root(new), k)
			if (rank_of(psf_sig(new, k)) == rank)
				rc |= diff_root_child(cs, old, new, k);
	psf_for_each_child(old, psf_root(old), k)
		if (psf_find_child(new, psf_root(new), psf_sig(old, k)) < 0)
			rc |= add_change(cs, BMC_WRITE_DELETE, 0, old, k);
	return rc;
}

static const char *sig_name(uint32_t sig, char *tmp, size_t n)
{
	const struct psf_elem_desc *d = psf_schema_lookup(sig);

	if (d)
		return d->name;
	snprintf(tmp, n, "0x%08x", sig);
	return tmp;
}

static void describe(const struct change *ch, char *out, size_t n)
{
	char t1[16], t2[16];
	const char *set = ch->set ? sig_name(ch->set, t1, sizeof t1) : "root";

	if (ch->op == BMC_WRITE_DELETE && !ch->set)
		snprintf(out, n, "delete %s", sig_name(ch->sig, t2, sizeof t2));
	else if (ch->op == BMC_WRITE_DELETE)
		snprintf(out, n, "delete %s/%s '%s'", set,
			 sig_name(ch->sig, t2, sizeof t2), ch->name);
	else if (ch->name[0])
		snprintf(out, n, "write %s/%s '%s' (%u bytes)", set,
			 sig_name(ch->sig, t2, sizeof t2), ch->name, ch->elen);
	else
		snprintf(out, n, "write %s/%s (%u bytes)", set,
			 sig_name(ch->sig, t2, sizeof t2), ch->elen);
}

/* A path: steps, each [sig u32][name_len u8][name]. */
static size_t put_step(uint8_t *p, uint32_t sig, const char *name)
{
	size_t nl = name ? strlen(name) : 0;

	psf_put_le32(p, sig);
	p[4] = (uint8_t)nl;
	memcpy(p + 5, name ? name : "", nl);
	return 5 + nl;
}

/* The staged bytes of a change (op 1: path to the set, then the element;
 * op 5: path to the element); 0 when it does not fit. */
static size_t stage(const struct change *ch, uint8_t *st, size_t cap)
{
	size_t k = 1;

	st[0] = (uint8_t)((ch->set ? 1 : 0) +
			  (ch->op == BMC_WRITE_DELETE ? 1 : 0));
	if (ch->set)
		k += put_step(st + k, ch->set, NULL);
	if (ch->op == BMC_WRITE_DELETE)
		k += put_step(st + k, ch->sig, ch->name[0] ? ch->name : NULL);
	if (ch->op == BMC_WRITE_ELEMENT) {
		if (k + ch->elen > cap)
			return 0;
		memcpy(st + k, ch->elem, ch->elen);
		k += ch->elen;
	}
	return k;
}

/* Whether err (a psctl_bmc_* message) reports completion code cc. */
static int refused_with(const char *err, uint8_t cc)
{
	char code[32];

	snprintf(code, sizeof code, "completion code 0x%02x", cc);
	return strstr(err, code) != NULL;
}

static int send_changes(struct psctl_ctx *c, const struct psctl_bmc *b,
			const struct changes *cs, uint32_t gen, int *stale)
{
	static uint8_t st[STAGE_MAX + 1];
	char err[700], what[200];
	unsigned cc;
	size_t i, len;
	int rc = 0;

	for (i = 0; i < cs->n && !rc; i++) {
		describe(&cs->v[i], what, sizeof what);
		len = stage(&cs->v[i], st, STAGE_MAX);
		if (!len)
			return psctl_error(c, NULL, NULL, NULL,
					   PSCTL_EXIT_INVALID, "BMC %s:%u: %s:"
					   " too large for one OEM write "
					   "(at most %u bytes staged)%s",
					   b->host, b->port, what, STAGE_MAX,
					   i ? "; the writes before it were "
					   "committed" : "; nothing written");
		rc = psctl_bmc_write_gen(b, cs->v[i].op, st, len, gen, NULL,
					 NULL, &gen, err, sizeof err);
		cc = refused_with(err, BMC_CC_STALE) ? BMC_CC_STALE : 0;
		if (rc && i == 0 && cc == BMC_CC_STALE) {
			*stale = 1;
			return rc;
		}
		if (rc)
			psctl_error(c, NULL, NULL, NULL, rc, "%s (%s); %zu of "
				    "%zu writes committed before it", err,
				    what, i, cs->n);
	}
	return rc;
}

/*
 * A first write refused as stale is retried by the caller on a store read
 * again; without the lock, host writers committing between that read and
 * the write can refuse every retry.  So the retry runs under the BMC lock:
 * taken here when the store changed under an unlocked write (or kept when
 * the edit already held it), so the caller's read and the retried writes
 * see no other writer.  The retry's send releases it; an edit that ends
 * without one (nothing left to change, a failed read) releases it at exit.
 */
static struct psctl_bmc retry_bmc;
static int retry_locked;

static void release_retry_lock(void)
{
	char err[600];

	if (retry_locked) {
		retry_locked = 0;
		psctl_bmc_unlock(&retry_bmc, err, sizeof err);
	}
}

static void keep_for_retry(const struct psctl_bmc *b, int locked)
{
	static int registered;
	struct psctl_bmc_info in;
	char err[600];

	if (!locked && (psctl_bmc_info(b, &in, err, sizeof err) ||
			!(in.flags & 4) ||
			psctl_bmc_lock(b, LOCK_LEASE, err, sizeof err)))
		return;             /* no semaphore, or busy: retry unlocked */
	retry_bmc = *b;
	retry_locked = 1;
	if (!registered && !atexit(release_retry_lock))
		registered = 1;
}

int psctl_bmc_send_diff(struct psctl_ctx *c, const void *old,
			const void *new, uint32_t gen, int dry_run,
			int *stale)
{
	struct changes cs = { 0 };
	struct psctl_bmc b;
	char err[600], what[200];
	size_t i;
	int rc = psctl_bmc_from_ctx(c, &b), rc2, locked = 0;

	*stale = 0;
	if (rc)
		return rc;
	if (diff_stores(&cs, old, new)) {
		free(cs.v);
		return psctl_error(c, NULL, NULL, NULL, PS_ERR_NOMEM, NULL);
	}
	if (dry_run) {
		for (i = 0; i < cs.n; i++) {
			describe(&cs.v[i], what, sizeof what);
			fprintf(c->out, "would send to BMC %s:%u: %s\n", b.host,
				b.port, what);
		}
		fprintf(c->out, "%zu OEM write%s (dry run, nothing sent)\n",
			cs.n, cs.n == 1 ? "" : "s");
		free(cs.v);
		return 0;
	}
	if (retry_locked) {
		locked = 1;          /* taken for this retry */
		retry_locked = 0;
	} else if (cs.n > 1) {
		/* Without a semaphore there is no lock to take: every write
		 * carries the generation it expects, so a concurrent writer
		 * makes the next one fail (BMC_CC_STALE), never a lost
		 * update. */
		struct psctl_bmc_info in;

		rc = psctl_bmc_info(&b, &in, err, sizeof err);
		locked = !rc && (in.flags & 4);
		if (locked)
			rc = psctl_bmc_lock(&b, LOCK_LEASE, err, sizeof err);
		if (rc) {
			free(cs.v);
			return psctl_fail(c, NULL, rc, err);
		}
	}
	rc = send_changes(c, &b, &cs, gen, stale);
	if (*stale) {
		keep_for_retry(&b, locked);
		locked = 0;
	}
	if (locked) {
		rc2 = psctl_bmc_unlock(&b, err, sizeof err);
		if (rc2 && !rc)
			rc = psctl_fail(c, NULL, rc2, err);
	}
	free(cs.v);
	return rc;
}

