/*
 * hv_writeback.c - a reconcile pass's one store edit: VMs adopted from
 * libvirt created, VMs undefined in libvirt deleted, pulled fields
 * written (ps_obj_* edits, so the edit layer validates), and the synced
 * record rewritten.  An edit that changes no byte is dropped
 * (PS_ERR_ABORTED): a pass with nothing to do commits nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv_sync.h"

struct vmidx {
	uint8_t uuid[16];
	int off;
};

static int by_off_desc(const void *a, const void *b)
{
	const struct vmidx *x = a, *y = b;

	return x->off < y->off ? 1 : x->off > y->off ? -1 : 0;
}

static size_t index_vms(const void *buf, struct vmidx **out)
{
	size_t n = 0, cap = 0;
	int vm = -1;
	struct vmidx *v = NULL;

	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0) {
		if (n == cap) {
			struct vmidx *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		if (hv_store_vm_uuid(buf, vm, v[n].uuid))
			continue;
		v[n++].off = vm;
	}
	*out = v;
	return n;
}

static void log_cfg_err(const struct pair *p, const char *what, int rc,
			const struct ps_cfg_err *e)
{
	hv_log(HV_ERR, "vm '%s': store: %s: %s%s%s%s%s", p->name, what,
	       e->field ? e->field : "", e->field ? ": " : "",
	       e->why ? e->why : ps_strerror(rc), *e->holder ? " by " : "",
	       e->holder);
}

/* The pulled keys into the store VM at vm.  Per-key failures are logged
 * and leave that key as it was (every check precedes the first byte
 * written); the resulting store side is re-read for the record. */
static int apply_pulls(struct pass *ps, void *buf, size_t cap, int vm,
		       struct pair *p, const struct hv_kv *keys)
{
	size_t i;
	int boot = 0, rc;
	struct ps_cfg_err e;

	for (i = 0; i < keys->n; i++) {
		const char *k = keys->p[i].k, *last = strrchr(k, '.');

		memset(&e, 0, sizeof e);
		boot |= last && !strcmp(last, ".boot");
		rc = hv_store_put(buf, cap, vm, k, hv_kv_get(&p->L, k),
				  &ps->s->map, &e);
		if (rc == PSF_ERR_NOSPACE)
			return rc;
		if (rc < 0) {
			log_cfg_err(p, k, rc, &e);
			ps->st->errors++;
		} else if (rc == 1) {
			hv_log(HV_WARN, "vm '%s': %s '%s' from libvirt not "
			       "written: the store owns it", p->name, k,
			       nz(hv_kv_get(&p->L, k)));
		}
	}
	if (boot) {
		struct hv_kv m;

		hv_kv_init(&m);
		hv_kv_copy(&m, &p->S);
		for (i = 0; i < keys->n; i++)
			hv_kv_set(&m, keys->p[i].k, hv_kv_get(&p->L,
							       keys->p[i].k));
		memset(&e, 0, sizeof e);
		rc = hv_store_boot(buf, cap, vm, &m, &e);
		hv_kv_free(&m);
		if (rc == PSF_ERR_NOSPACE)
			return rc;
		if (rc) {
			log_cfg_err(p, "boot order", rc, &e);
			ps->st->errors++;
		}
	}
	return 0;
}

static int store_new(struct pass *ps, void *buf, size_t cap, struct pair *p)
{
	struct ps_cfg_err e = { 0 };
	const char *name = hv_kv_get(&p->L, "name");
	int vm = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_VM, name,
			       strlen(name), &e);
	int rc;

	if (vm == PSF_ERR_NOSPACE)
		return vm;
	if (vm < 0) {
		log_cfg_err(p, "adopting the domain", vm, &e);
		p->failed = 1;
		ps->st->errors++;
		return 0;
	}
	rc = ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4, p->uuids,
			strlen(p->uuids), &e);
	if (rc) {
		/* A clash on the UUID: the create is undone by a delete. */
		log_cfg_err(p, "adopting the domain", rc, &e);
		ps_obj_delete(buf, vm, PS_OBJ_VM, &e);
		p->failed = 1;
		ps->st->errors++;
		return 0;
	}
	hv_log(HV_INFO, "vm '%s': domain %s adopted into the store", name,
	       p->uuids);
	ps->st->store_creates++;
	return 0;
}

static int store_del(struct pass *ps, void *buf, int vm, struct pair *p)
{
	struct ps_cfg_err e = { 0 };
	int rc = ps_obj_delete(buf, vm, PS_OBJ_VM, &e);

	if (rc) {
		log_cfg_err(p, "deleting the VM (undefined in libvirt)", rc, &e);
		p->failed = 1;
		ps->st->errors++;
		return 0;
	}
	hv_log(HV_INFO, "vm '%s': undefined in libvirt: deleted from the "
	       "store", p->name);
	ps->st->store_deletes++;
	return 0;
}

/* The record a pair keeps when this pass did not sync it: its old one,
 * under the UUID it was made for.  A move that failed after undefining
 * the old domain keeps none: the next pass defines the VM as new. */
static int old_record(const struct pair *p, struct hv_record *r)
{
	if (!p->base || (p->moved && p->old_gone))
		return 0;
	*r = (struct hv_record){ { 0 }, p->base->flags, &p->base->bs,
				 &p->base->bl };
	memcpy(r->uuid, p->moved ? p->old_uuid : p->uuid, 16);
	return 1;
}

/* Records of one UUID after the first dropped, in place.  The count
 * kept, or (size_t)-1 (no memory). */
static size_t first_per_uuid(struct hv_record *r, size_t n)
{
	struct hv_index ix;
	uint8_t *keep = malloc(n + 1);
	size_t i, k = 0;

	hv_index_init(&ix);
	for (i = 0; keep && i < n; i++)
		if (hv_index_add(&ix, r[i].uuid, 16, i)) {
			free(keep);
			keep = NULL;
		}
	/* The index's keys are in r: decide for every record before any
	 * moves down over a dropped one. */
	for (i = 0; keep && i < n; i++)
		keep[i] = hv_index_find(&ix, r[i].uuid, 16)->val == i;
	hv_index_free(&ix);
	if (!keep)
		return (size_t)-1;
	for (i = 0; i < n; i++)
		if (keep[i])
			r[k++] = r[i];
	free(keep);
	return k;
}

/* Which pairs keep a record, and with which flags (one per UUID). */
static size_t build_records(struct pass *ps, struct hv_record *r)
{
	size_t i, n = 0;

	for (i = 0; i < ps->n; i++) {
		struct pair *p = &ps->p[i];
		struct hv_record one;

		if (p->act == ACT_REFUSE || p->act == ACT_KEEP || p->failed) {
			if (!old_record(p, &one))
				continue;
		} else if (p->record) {
			one = (struct hv_record){ { 0 }, p->flags, &p->bs_new,
						  &p->bl_new };
			memcpy(one.uuid, p->uuid, 16);
		} else {
			continue;
		}
		r[n++] = one;
	}
	return first_per_uuid(r, n);
}

/* Adoptions, deletions and pulled fields, into the edited copy.  0, or
 * the first error that stops the edit (no room: PSF_ERR_NOSPACE). */
static int write_back(struct pass *ps, void *buf, size_t cap)
{
	struct vmidx *idx = NULL;
	size_t n, i;
	int rc = 0;

	for (i = 0; i < ps->n && !rc; i++)
		if (ps->p[i].act == ACT_STORE_NEW && !ps->p[i].failed)
			rc = store_new(ps, buf, cap, &ps->p[i]);
	n = index_vms(buf, &idx);
	if (n)  /* a store without VMs has no index (qsort: not NULL) */
		qsort(idx, n, sizeof *idx, by_off_desc);
	/* From the last VM to the first: an edit moves only what follows. */
	for (i = 0; i < n && !rc; i++) {
		struct pair *p = sync_pair_by_uuid(ps, idx[i].uuid);

		if (!p || p->failed)
			continue;
		if (p->act == ACT_STORE_DEL)
			rc = store_del(ps, buf, idx[i].off, p);
		else if (p->act == ACT_STORE_NEW)
			rc = apply_pulls(ps, buf, cap, idx[i].off, p, &p->L);
		else if (p->pulls.n)
			rc = apply_pulls(ps, buf, cap, idx[i].off, p, &p->pulls);
	}
	free(idx);
	return rc;
}

/* Which pairs the pass synced, and their store side as written (the
 * record's bs_new and flags).  0 or -1 (no memory). */
static int synced_sides(struct pass *ps, const void *buf)
{
	struct vmidx *idx = NULL;
	size_t n = index_vms(buf, &idx), i;
	struct hv_index by_uuid;
	int rc = 0;

	/* The edited copy's VMs by UUID (the first of a UUID, as read). */
	hv_index_init(&by_uuid);
	for (i = 0; i < n && !rc; i++)
		rc = hv_index_add(&by_uuid, idx[i].uuid, 16, (size_t)idx[i].off);
	for (i = 0; i < ps->n && !rc; i++) {
		struct pair *p = &ps->p[i];
		const struct hv_index_ent *e;
		int vm;

		p->record = 0;
		if (p->failed || p->act == ACT_REFUSE || p->act == ACT_SKIP ||
		    p->act == ACT_FORGET || p->act == ACT_STORE_DEL ||
		    p->act == ACT_UNDEFINE)
			continue;
		e = hv_index_find(&by_uuid, p->uuid, 16);
		if (!e)
			continue;
		vm = (int)e->val;
		p->record = 1;
		if (p->store_edit)
			rc = hv_store_flatten(buf, vm, &ps->s->map, &p->bs_new);
		else
			rc = hv_kv_copy(&p->bs_new, &p->S);
		p->flags = 0;
		if (same(hv_kv_get(&p->bs_new, "power"), "last") && p->active)
			p->flags = PSF_AGDF_RUNNING;
	}
	hv_index_free(&by_uuid);
	free(idx);
	return rc;
}

int sync_store_edit(void *buf, size_t cap, void *arg)
{
	struct pass *ps = arg;
	struct hv_record *recs;
	size_t nrec;
	uint32_t blen;
	const void *base = ps_store_data(ps->s->store, &blen);
	int rc = write_back(ps, buf, cap);

	if (rc)
		return rc;
	rc = synced_sides(ps, buf);
	recs = calloc(ps->n + 1, sizeof *recs);
	if (!recs)
		return PS_ERR_NOMEM;
	nrec = build_records(ps, recs);
	if (nrec == (size_t)-1) {
		free(recs);
		return PS_ERR_NOMEM;
	}
	if (!rc)
		rc = hv_state_store(buf, cap, recs, nrec, ps->s->uri,
				    (uint64_t)time(NULL));
	free(recs);
	if (rc < 0)
		return rc;
	rc = psf_finish(buf);
	if (rc)
		return rc;
	if (psf_total(buf) == blen && !memcmp(buf, base, blen))
		return PS_ERR_ABORTED;   /* nothing to write */
	return 0;
}
