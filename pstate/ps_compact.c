/*
 * ps_compact.c - garbage and compaction.  Deleting in place (psf_wip_nop)
 * and rewriting elements leave pads; ps_room.c reuses them where it can,
 * and what stays is squeezed out here, in one linear pass over the store
 * in its own buffer, when docs/store.md section 7 says so.  The result is
 * committed like any edit: the A/B slots make it old or new on media.
 *
 * FREESTANDING: no libc, no malloc, no recursion (a stack of
 * PSF_MAX_DEPTH levels).
 */
#include "ps_cfg_internal.h"

/* One open container of the pass. */
struct lvl {
	uint32_t hdr;     /* its header's offset, after the move */
	uint32_t end;     /* its end, before the move */
	uint32_t pads;    /* bytes of its pad children */
	uint32_t room;    /* its documented room (pad header included), or
			   * ROOM_LATER */
	uint32_t sig;
	uint32_t psig;    /* its parent's */
	uint32_t npads;   /* how many */
};

/*
 * The room a container keeps (docs/store.md 7.1): an object its kind's
 * PS_CFG_ROOM_*, a top-level set PS_CFG_ROOM_SET, anything else none.
 * Pad header included.
 */
static uint32_t room_of(uint32_t sig, uint32_t parent_sig)
{
	int k;

	for (k = 0; k < PS_OBJ_COUNT; k++) {
		if (ps__kinds[k].sig == sig)
			return PSF_STRUCT_HDR + ps__kinds[k].room;
		if (ps__kinds[k].set == sig && !ps__kinds[k].sub &&
		    parent_sig == PSF_ROOT)
			return PSF_STRUCT_HDR + PS_CFG_ROOM_SET;
	}
	return 0;
}

uint32_t ps__room_of(const void *buf, int c)
{
	int chain[PSF_MAX_DEPTH], d = psf_ancestors(buf, c, chain);

	if (d < 0)
		return 0;
	return room_of(psf_sig(buf, c), d ? psf_sig(buf, chain[d - 1]) : 0);
}

/* The room of a container, looked up only if it has pads to keep: the
 * measure before every commit has no use for the budget. */
#define ROOM_LATER 0xffffffffu

/* Close container l: its kept pad (written when moving), count, size. */
static uint32_t close_lvl(uint8_t *b, const struct lvl *l, uint32_t w,
			  int move, struct ps_space *sp)
{
	uint32_t room = l->room != ROOM_LATER ? l->room :
			l->pads ? room_of(l->sig, l->psig) : 0;
	uint32_t keep = l->pads < room ? l->pads : room;

	if (keep < PSF_STRUCT_HDR)
		keep = 0;
	sp->garbage += l->pads - keep;
	sp->containers += l->pads > keep;
	if (move) {
		if (keep) {
			psf_put_le32(b + w, PSF_PAD);
			psf_put_le32(b + w + 4, keep - PSF_STRUCT_HDR);
			psf_memset(b + w + PSF_STRUCT_HDR, 0,
				   keep - PSF_STRUCT_HDR);
		}
		psf_put_le32(b + l->hdr + 4, psf_le32(b + l->hdr + 4) -
						     l->npads + (keep != 0));
		psf_put_le32(b + l->hdr + 8,
			     w + keep - l->hdr - PSF_CONTAINER_HDR);
	}
	return w + keep;
}

/* How pass trusts the tree. */
#define CHECKED 1   /* psf_check_tree first: required to move */
#define TRUSTED 0   /* measure only, bounds-safe on any bytes (below) */

/*
 * One pass in file order, reading at r and (move) writing at w <= r:
 * pads are skipped, everything else is copied down, and each container
 * gets its kept pad when it closes.  A kept pad fits: the container's own
 * pads, all skipped before it closes, are at least as many bytes.
 *
 * Unchecked (TRUSTED, never with move) the pass only reads: psf_elem
 * keeps every element inside the store, r only grows, and the depth is
 * bounded here, so bad bytes give wrong figures or an error, nothing
 * worse.  The commit's own tree check rejects such a store before media.
 */
static int pass(uint8_t *b, int move, int check, struct ps_space *sp)
{
	struct lvl st[PSF_MAX_DEPTH];
	struct psf_elem e;
	uint32_t total = psf_total(b), r, w, n, bad;
	int d = 0, rc = check ? psf_check_tree(b, total, &bad) : PSF_OK;

	psf_memset(sp, 0, sizeof(*sp));
	if (rc)
		return rc;
	st[0] = (struct lvl){ .hdr = (uint32_t)psf_root(b), .end = total,
			      .sig = PSF_ROOT };
	r = w = (uint32_t)psf_root(b) + PSF_CONTAINER_HDR;
	while (d >= 0) {
		if (r >= st[d].end) {
			w = close_lvl(b, &st[d], w, move, sp);
			d--;
			continue;
		}
		rc = psf_elem(b, (int)r, &e);
		if (rc)
			return rc;
		n = e.end - r;
		if (e.sig == PSF_PAD) {
			st[d].pads += n;
			st[d].npads++;
			sp->pads += n;
			r += n;
			continue;
		}
		if (PSF_SIG_IS_CONTAINER(e.sig)) {
			if (d + 1 >= (int)PSF_MAX_DEPTH)
				return PSF_ERR_TOODEEP;
			n = PSF_CONTAINER_HDR;
			st[d + 1] = (struct lvl){ .hdr = w, .end = e.end,
				.room = check ? room_of(e.sig, st[d].sig) :
						ROOM_LATER,
				.sig = e.sig, .psig = st[d].sig };
			/* The budget: measured with the tree checked. */
			if (check)
				sp->budget += st[d + 1].room;
			d++;
		}
		if (move && w != r)
			psf_memmove(b + w, b + r, n);
		r += n;
		w += n;
	}
	sp->total = total;
	sp->live = total - sp->pads;
	sp->after = w;
	if (move)
		psf_put_le32(b + PSF_HDR_TOTAL, w);
	return PS_OK;
}

int ps_space(const void *buf, struct ps_space *sp)
{
	/* A pass that does not move writes nothing. */
	return pass((uint8_t *)(uintptr_t)buf, 0, CHECKED, sp);
}

/*
 * docs/store.md 7.2: garbage past half the live bytes, so a store stays
 * within 1.5 x live + budget; or a store past the BMC shim's buffer that
 * compaction brings back within it.
 */
int ps_compact_due(const struct ps_space *sp)
{
	if (sp->garbage > sp->live / 2)
		return 1;
	return sp->total > PS_COMPACT_BMC_MAX && sp->after < sp->total &&
	       sp->after <= PS_COMPACT_BMC_MAX;
}

/*
 * Could compaction be due for a store of total bytes of which pads are
 * pads (psf_check_tree_pads)?  The measure's worst case, without its
 * walk: garbage is at most the pad bytes (each container keeps part of
 * its own), live is total - pads whatever is kept, and after is
 * total - garbage; ps_compact_due only grows with garbage.  0 means
 * ps_compact_if_due would find nothing due.
 */
int ps_compact_may_be_due(uint32_t total, uint32_t pads)
{
	struct ps_space worst = { .total = total, .live = total - pads,
				  .pads = pads, .garbage = pads,
				  .after = total - pads };

	return pads && ps_compact_due(&worst);
}

/* Both take a store being edited: its CRCs are made current first, as
 * the tree check reads the header. */
int ps_compact(void *buf)
{
	struct ps_space sp;
	int rc = psf_finish(buf);

	if (!rc)
		rc = pass((uint8_t *)buf, 1, CHECKED, &sp);

	if (!rc)
		rc = psf_finish(buf);
	return rc ? rc : (int)(sp.total - sp.after);
}

/*
 * Every commit asks, so the question costs one walk: no CRC (the caller
 * finished the store; psf_total is all the walk reads of the header) and
 * no tree check (ps_commit checks the whole store before media, once).
 * A walk that fails gives the tree check's error, which names the fault.
 */
int ps_compact_if_due(void *buf)
{
	struct ps_space sp;
	uint32_t bad;
	int rc = pass((uint8_t *)buf, 0, TRUSTED, &sp);

	if (rc) {
		int trc = psf_check_tree(buf, psf_total(buf), &bad);

		return trc ? trc : rc;
	}
	if (!ps_compact_due(&sp))
		return 0;
	rc = ps_compact(buf);
	return rc < 0 ? rc : 1;
}
