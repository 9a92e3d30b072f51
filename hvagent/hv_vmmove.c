/*
 * hv_vmmove.c - a VM's store object follows its live migration
 * (docs/hvagent.md "Live migration"; the move is pstate/ps_move.h's, the
 * one psctl vm move runs).  On the destination, when a migration
 * completes (libvirt's resumed/migrated), the agent looks for the VM by
 * its domain UUID in the stores of migration_peers and moves it, with
 * its serial mappings (the same concentrator ports), restart policy and
 * the rest, into its own store: mark (the peer's copy leaving), apply
 * (arriving here, through the gate), release (the peer's copy deleted),
 * settle.  At its start it finishes any such move that was cut: one
 * arriving here, or one a peer marked leaving toward this store.  The
 * source's agent does nothing: once released, the VM is no longer in its
 * store (its next pass undefines the stale definition libvirt kept, as
 * for any VM deleted from the store).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_vmmove.h"
#include "../cli/psctl_util.h"

#define ROOM (64u << 10)

struct mv {
	const char *vm;
	size_t vn;
	char own[PS_CFG_TEXT_MAX + 1], peer[PS_CFG_TEXT_MAX + 1];
	uint8_t *el;
	size_t elen;
	struct ps_cfg_err e;
	struct ps_store *src, *dst;
};

/* A store path as a target text, normalised as psctl names it. */
static int target_text(const char *path, int dev, char *out, size_t n)
{
	char abs[PATH_MAX], t[PATH_MAX + 8];

	if (psctl_abs_path(path, abs, sizeof abs))
		return -1;
	snprintf(t, sizeof t, "%s:%s", dev ? "dev" : "image", abs);
	return ps_target_norm(t, strlen(t), out, n, NULL) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ the edits */

static void gate_line(void *ctx, const char *msg)
{
	hv_log(HV_ERR, "vm '%s': cannot move into this store: %s",
	       ((struct mv *)ctx)->vm, msg);
}

static int ed_mark(void *buf, size_t cap, void *arg)
{
	struct mv *m = arg;

	return ps_vm_move_mark(buf, cap, m->vm, m->vn, m->own,
			       strlen(m->own), &m->e);
}

static int ed_apply(void *buf, size_t cap, void *arg)
{
	struct mv *m = arg;

	return ps_vm_move_apply_gated(buf, cap, m->el, m->elen, m->peer,
				      strlen(m->peer), gate_line, m, &m->e);
}

static int ed_release(void *buf, size_t cap, void *arg)
{
	struct mv *m = arg;

	return ps_vm_move_release(buf, cap, m->vm, m->vn, m->own,
				  strlen(m->own), &m->e);
}

static int ed_settle(void *buf, size_t cap, void *arg)
{
	struct mv *m = arg;

	return ps_vm_move_settle(buf, cap, m->vm, m->vn, &m->e);
}

static int commit(struct mv *m, struct ps_store *st, ps_edit_fn edit,
		  const char *step)
{
	char msg[600];
	int rc = ps_move_update(st, edit, m, msg, sizeof msg);

	if (rc && msg[0])
		hv_log(HV_ERR, "vm '%s': move from %s, %s: %s", m->vm, m->peer,
		       step, msg);
	else if (rc)
		hv_log(HV_ERR, "vm '%s': move from %s, %s: %s %s", m->vm,
		       m->peer, step, m->e.why ? m->e.why : ps_strerror(rc),
		       m->e.holder);
	return rc;
}

static int st_mark(void *a) { return commit(a, ((struct mv *)a)->src,
					     ed_mark, "mark"); }
static int st_apply(void *a) { return commit(a, ((struct mv *)a)->dst,
					      ed_apply, "apply"); }
static int st_release(void *a) { return commit(a, ((struct mv *)a)->src,
						ed_release, "release"); }
static int st_settle(void *a) { return commit(a, ((struct mv *)a)->dst,
					       ed_settle, "settle"); }

/* ------------------------------------------------------------ one move */

/* The VM named in src moves into dst (both open, dst this agent's), from
 * wherever its records say it stands. */
static int move_one(struct mv *m)
{
	static const struct ps_move_step steps[] = {
		{ "mark", st_mark }, { "apply", st_apply },
		{ "release", st_release }, { "settle", st_settle },
	};
	uint32_t sn, dn;
	const void *s, *d;
	int next, vm, len, rc;

	ps_store_refresh(m->src);
	ps_store_refresh(m->dst);
	s = ps_store_data(m->src, &sn);
	d = ps_store_data(m->dst, &dn);
	next = ps_vm_move_where(s, d, m->vm, m->vn, m->peer, strlen(m->peer),
				m->own, strlen(m->own), &m->e);
	if (next < 0) {
		hv_log(HV_ERR, "vm '%s': not moved from %s: %s %s", m->vm,
		       m->peer, m->e.why ? m->e.why : ps_strerror(next),
		       m->e.holder);
		return next;
	}
	if (next == PS_VM_STEP_DONE)
		return 0;
	if (next <= PS_VM_STEP_APPLY) {
		m->el = malloc(sn + ROOM);
		vm = ps_obj_find(s, psf_root(s), PS_OBJ_VM, m->vm, m->vn);
		len = m->el ? ps_vm_move_export(s, vm, m->el, sn + ROOM)
			    : PS_ERR_NOMEM;
		if (len < 0) {
			free(m->el);
			m->el = NULL;
			hv_log(HV_ERR, "vm '%s': not moved from %s: %s", m->vm,
			       m->peer, ps_strerror(len));
			return len;
		}
		m->elen = (size_t)len;
	}
	rc = ps_move_run(steps, 4, next, m);
	free(m->el);
	m->el = NULL;
	if (!rc)
		hv_log(HV_INFO, "vm '%s': its store object moved here from %s%s",
		       m->vm, m->peer, next ? " (an interrupted move finished)"
					    : "");
	return rc;
}

/* ------------------------------------------------------------ peers */

struct peer {
	struct ps_opened o;
	char text[PS_CFG_TEXT_MAX + 1];
};

/* The next peer of the list (its text in p->text, opened, locked);
 * *pos moves on.  0, or -1 at the end.  A peer that cannot be opened is
 * logged and skipped. */
static int next_peer(const char **pos, struct peer *p)
{
	char word[PATH_MAX + 16], err[1600];
	const char *s = *pos;
	size_t n;
	int dev, rc;

	for (;;) {
		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (!n)
			return -1;
		snprintf(word, sizeof word, "%.*s", (int)n, s);
		s += n;
		*pos = s;
		dev = !strncmp(word, "dev:", 4);
		if (!dev && strncmp(word, "image:", 6)) {
			hv_log(HV_ERR, "migration_peers: '%s': not image:PATH "
			       "or dev:DEVICE; skipped", word);
			continue;
		}
		if (target_text(word + (dev ? 4 : 6), dev, p->text,
				sizeof p->text)) {
			hv_log(HV_ERR, "migration_peers: '%s': bad path", word);
			continue;
		}
		rc = ps_open_path(&p->o, word + (dev ? 4 : 6),
				  dev ? PS_OPEN_DEVICE : PS_OPEN_IMAGE, err,
				  sizeof err);
		if (!rc)
			rc = ps_open_lock(&p->o, PS_OWNER_AGENT, err,
					  sizeof err);
		if (!rc)
			return 0;
		ps_open_close(&p->o);
		hv_log(HV_WARN, "migration peer %s: %s", p->text, err);
	}
}

/* The name of the VM with this UUID in buf, or NULL. */
static const char *vm_by_uuid(const void *buf, const uint8_t uuid[16],
			      char *name, size_t n)
{
	uint32_t len;
	int vm;

	for (vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) {
		const uint8_t *cfg = psf_child_payload(buf, vm, PSF_VM_CONFIG,
						       &len);

		if (cfg && len >= 16 && !memcmp(cfg + PSF_VMC_UUID, uuid, 16)) {
			ps_obj_key(buf, vm, PS_OBJ_VM, name, n);
			return name;
		}
	}
	return NULL;
}

static int own_text(const struct hv_vmmove_ctx *x, char *out, size_t n)
{
	return target_text(x->own_path, x->own_dev, out, n);
}

void hv_vmmove_in(const struct hv_vmmove_ctx *x, const uint8_t uuid[16],
		  const char *domain)
{
	const char *pos = x->peers, *pp;
	char name[PS_CFG_NAME_MAX + 1];
	struct peer p;
	struct mv m;
	uint32_t n, pn;

	memset(&m, 0, sizeof m);
	if (own_text(x, m.own, sizeof m.own))
		return;
	/* Already at home here (a migration back that failed: the source
	 * runs on): nothing to move. */
	ps_store_refresh(x->own);
	if (vm_by_uuid(ps_store_data(x->own, &n), uuid, name, sizeof name) &&
	    ps_vm_move_state(ps_store_data(x->own, &n), name, strlen(name),
			     &pp, &pn) == PS_VM_HOME)
		return;
	while (!next_peer(&pos, &p)) {
		ps_store_refresh(p.o.store);
		if (vm_by_uuid(ps_store_data(p.o.store, &n), uuid, name,
			       sizeof name) && strcmp(p.text, m.own)) {
			m.vm = name;
			m.vn = strlen(name);
			snprintf(m.peer, sizeof m.peer, "%s", p.text);
			m.src = p.o.store;
			m.dst = x->own;
			move_one(&m);
			ps_open_close(&p.o);
			return;
		}
		ps_open_close(&p.o);
	}
	hv_log(HV_INFO, "vm '%s': migrated in; not in a migration peer's "
	       "store (migration_peers), its store object stays where it is",
	       domain);
}

void hv_vmmove_resume(const struct hv_vmmove_ctx *x)
{
	const char *pos = x->peers, *peer;
	char name[PS_CFG_NAME_MAX + 1];
	struct peer p;
	struct mv m;
	uint32_t n, pn;
	int vm, st;

	memset(&m, 0, sizeof m);
	if (!x->peers[0] || own_text(x, m.own, sizeof m.own))
		return;
	const char *again = pos;
	int continue_peer = 0, done = 0;

	while (again = pos, !next_peer(&pos, &p)) {
		const void *s, *d;

		ps_store_refresh(p.o.store);
		ps_store_refresh(x->own);
		s = ps_store_data(p.o.store, &n);
		d = ps_store_data(x->own, &n);
		/* A VM leaving the peer for here, or arriving here from it. */
		for (vm = ps_obj_next(s, psf_root(s), PS_OBJ_VM, -1); vm >= 0;
		     vm = ps_obj_next(s, psf_root(s), PS_OBJ_VM, vm)) {
			ps_obj_key(s, vm, PS_OBJ_VM, name, sizeof name);
			st = ps_vm_move_state(s, name, strlen(name), &peer,
					      &pn);
			if (st == PS_VM_LEAVING && pn == strlen(m.own) &&
			    !memcmp(peer, m.own, pn))
				break;
		}
		if (vm < 0)
			for (vm = ps_obj_next(d, psf_root(d), PS_OBJ_VM, -1);
			     vm >= 0;
			     vm = ps_obj_next(d, psf_root(d), PS_OBJ_VM, vm)) {
				ps_obj_key(d, vm, PS_OBJ_VM, name, sizeof name);
				st = ps_vm_move_state(d, name, strlen(name),
						      &peer, &pn);
				if (st == PS_VM_ARRIVING &&
				    pn == strlen(p.text) &&
				    !memcmp(peer, p.text, pn))
					break;
			}
		if (vm >= 0) {
			m.vm = name;
			m.vn = strlen(name);
			snprintf(m.peer, sizeof m.peer, "%s", p.text);
			m.src = p.o.store;
			m.dst = x->own;
			hv_log(HV_INFO, "vm '%s': a move from %s was cut; "
			       "finishing it", name, p.text);
			if (!move_one(&m) && ++done < 64)
				continue_peer = 1;
		}
		if (continue_peer) {
			/* Others may wait on this peer: scan it again. */
			continue_peer = 0;
			ps_open_close(&p.o);
			pos = again;
			continue;
		}
		ps_open_close(&p.o);
	}
}
