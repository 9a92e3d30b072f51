/*
 * ps_compact.h - room in the store: where new elements go, how much of
 * the store is garbage, and compaction (docs/store.md section 7).
 *
 * Freestanding (ps_room.c, ps_compact.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_COMPACT_H
#define PS_COMPACT_H

#include "psf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Past this many bytes the BMC shim cannot hold a store (its buffer,
 * BMC_SHIM_STORE_MAX): a store that compaction brings back under it is
 * compacted (docs/store.md 7.2). */
#define PS_COMPACT_BMC_MAX 65536u

/*
 * How a store's bytes are used (docs/store.md 7.1).  live: every byte but
 * pads (header included); pads: pad bytes; budget: the growth pads the
 * store may keep (the sum of each container's documented room); garbage:
 * pad bytes past each container's room; after: the store's size once
 * compacted (live plus the kept room).
 */
struct ps_space {
	uint32_t total, live, pads, budget, garbage, after;
	uint32_t containers;  /* containers holding pads past their room */
};

/* Measure buf (a finished store: psf_check_tree passes): PS_OK or a PSF
 * error. */
int ps_space(const void *buf, struct ps_space *sp);

/* Is compaction due (docs/store.md 7.2)?  1 or 0. */
int ps_compact_due(const struct ps_space *sp);

/*
 * Squeeze the pads out of buf in place: every non-pad element keeps its
 * bytes and order, and each container keeps one pad at its end of at most
 * its documented room.  psf_finish before and after.  Returns the bytes freed (>= 0)
 * or a PSF error (the tree is checked first; on error buf is unchanged).
 */
int ps_compact(void *buf);

/* 0 when compaction cannot be due for a store of total bytes holding
 * pads bytes of pads (the tree check counts them), else 1: then ask
 * ps_compact_if_due, which measures.  Spares the measure's walk. */
int ps_compact_may_be_due(uint32_t total, uint32_t pads);

/* ps_compact when ps_compact_due says so: 1 compacted, 0 not due, or an
 * error.  buf must be finished (psf_finish) when this compacts; the
 * measure itself does not check the tree (ps_commit does, before any
 * write), so an error may also be left for the commit to find. */
int ps_compact_if_due(void *buf);

/*
 * Put element bytes el[0..elen) under parent: in place of old (a child of
 * parent) or, old < 0, as a new child in the nearest pad that holds it
 * (after the last real child for sets whose order counts).  The old
 * copy's bytes and the pads next to them are reused, so a rewrite of the
 * same size writes only its own bytes.  The bytes are taken as they are
 * (the caller checks them).  Returns the element's offset or a PSF error
 * (PSF_ERR_NOSPACE: cap reached; the buffer must then be discarded).
 */
int ps_elem_put(void *buf, size_t cap, int parent, int old, const void *el,
		uint32_t elen);

#ifdef __cplusplus
}
#endif

#endif /* PS_COMPACT_H */
