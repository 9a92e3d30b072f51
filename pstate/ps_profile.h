/*
 * ps_profile.h - profiles: assignment and the per-store steps of a move.
 *
 * Freestanding: ps_assign.c (ps_profile_assign, ps_profile_unassign),
 * ps_profile.c (the rest).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_PROFILE_H
#define PS_PROFILE_H

#include "ps_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Profile assignment (ps_assign.c; docs/schema.md, PROFILE).  Targets are
 * parsed by ps_parse_target (ps_target.h).
 *
 * ps_profile_assign: the profile at prof becomes assigned to target.  For
 * a VM, in the same edit, the VM's profile-ref names the profile and the
 * VM takes the profile's identity: its UUID and serial number become the
 * profile's (when the profile has them) and its NICs, in NIC order, take
 * the profile's mac-list (NICs past the list keep their MACs; MACs past
 * the NICs stay unused), and its boot order when it has one (PXE on when
 * that starts with network).  Refused, nothing written:
 *   PS_ERR_BADVALUE   target syntax (e->field "target")
 *   PSF_ERR_NOTFOUND  no such VM (e->field "target")
 *   PS_ERR_INUSE      the profile is assigned or in transit (e->why
 *                     "already assigned to", e->holder its target, e.g.
 *                     "vm 'web1'"), or carried by another VM ("already
 *                     carried by", holder "vm 'x'"; e->field NULL for
 *                     both), or the VM carries another profile (e->field
 *                     "target", why "already carries", holder "profile
 *                     'p'")
 *   PS_ERR_DUPLICATE  a value the VM would take is held by another VM or
 *                     profile, or by one of the VM's own NICs past the
 *                     list (e->field "uuid"/"serial"/"mac", e->value the
 *                     value, e->holder who has it)
 *
 * ps_profile_unassign: clears the profile's state, target kind and target
 * and every VM's profile-ref to it.  Such a VM does not keep the
 * profile's identity (the profile stays in the store and may be assigned
 * elsewhere: the same UUID or MAC must never be live on two machines) and
 * its old identity is not restored (it was not kept, and may be in use
 * again): each value it shares with the profile is replaced -- a fresh
 * UUID (16 bytes of rnd) and fresh locally administered MACs (6 bytes
 * each, in NIC order), and the serial number removed.  rnd holds rndlen
 * caller-supplied random bytes (16 + 6 * PS_CFG_LIST_MAX per VM is always
 * enough).  PS_ERR_DUPLICATE if a generated value happens to be in use
 * (retry with other bytes); a profile already unassigned: 0, no write.
 */
#define PS_CFG_RND_UNASSIGN (16u + 6u * PS_CFG_LIST_MAX)
int ps_profile_assign(void *buf, size_t cap, int prof, const char *target,
		      size_t n, struct ps_cfg_err *e);
int ps_profile_unassign(void *buf, size_t cap, int prof, const uint8_t *rnd,
			size_t rndlen, struct ps_cfg_err *e);


/*
 * Profile moves (freestanding: ps_profile.c, docs/profiles.md)
 *
 * A profile moves between targets in steps, each one commit on one store,
 * so that a crash between any two leaves the profile assigned to exactly
 * one place or marked in transit in the pool, and a rerun finishes it:
 *   (1) pool: ps_profile_begin_move (in transit, TARGET the new target,
 *       MOVE_SOURCE the old one)
 *   (2) the source's store: ps_profile_release (idempotent)
 *   (3) the target's store: ps_profile_apply (idempotent)
 *   (4) pool: ps_profile_end_move (assigned, MOVE_SOURCE removed)
 * The orchestration across stores (opening them, asking BMCs) is the
 * front end's (psctl profile move); these are the per-store edits.
 */

/* Under BMC_STATE: a string, the NAME of the profile the physical server
 * carries (docs/ipmi-oem.md, profile push). */
#define PS_BMC_HOST_PROFILE PSF_SIG(0, PSF_NS_BMC, 0x0001)

/*
 * The pool's record of a move.  begin: state in-transit, target kind
 * kind, TARGET (target, tn), MOVE_SOURCE (source, sn; sn 0 removes it).
 * end: state assigned with kind and TARGET, or (tn 0) unassigned with
 * kind none and no TARGET; MOVE_SOURCE removed.  Texts up to
 * PS_CFG_TEXT_MAX bytes.  PS_ERR_INVAL (not a profile, too long).
 */
int ps_profile_begin_move(void *buf, size_t cap, int prof, uint8_t kind,
			  const char *target, size_t tn, const char *source,
			  size_t sn);
int ps_profile_end_move(void *buf, size_t cap, int prof, uint8_t kind,
			const char *target, size_t tn);

/* The NAME of the profile this store's host carries (BMC_HOST_PROFILE),
 * or NULL. */
const char *ps_host_profile(const void *buf, uint32_t *len);

/*
 * ps_profile_of - the profile a target of this store carries.
 * @buf:      the store
 * @kind:     PSF_TARGET_PHYSICAL (the store's host: BMC_HOST_PROFILE) or
 *            PSF_TARGET_VM (a VM: its profile-ref)
 * @vm, @vn:  for PSF_TARGET_VM, the VM's name; ignored otherwise
 * Returns the PROFILE element's offset in buf, or PSF_ERR_NOTFOUND (no
 * such VM, the target carries no profile, or the profile it names is not
 * in the store), PS_ERR_INVAL (another kind).
 */
int ps_profile_of(const void *buf, uint8_t kind, const char *vm, size_t vn);

/* Who in this store carries the profile named (name, n):
 * PSF_TARGET_PHYSICAL (the host), PSF_TARGET_VM (*vm its offset) or
 * PSF_TARGET_NONE. */
int ps_profile_carrier(const void *buf, const char *name, size_t n,
		       int *vm);

/*
 * The store stops carrying the profile named (name, n): the host's
 * BMC_HOST_PROFILE goes if it names it; a VM carrying it is unassigned
 * (ps_profile_unassign: fresh UUID and MACs from rnd, no serial); then
 * the store's copy of the profile is deleted -- unless keep_copy (the
 * pool itself, where the profile lives), which keeps the copy and its
 * move record (state, target, source) as they were.  Returns 1 when it
 * changed something, 0 when nothing carried the profile (a rerun), or an
 * error of ps_profile_unassign / ps_obj_delete.
 */
int ps_profile_release(void *buf, size_t cap, const char *name, size_t n,
		       int keep_copy, const uint8_t *rnd, size_t rndlen,
		       struct ps_cfg_err *e);

/*
 * The PROFILE element el (elen bytes: one element, e.g. from
 * ps_profile_export; not inside buf) is given to a target of this store:
 * kind PSF_TARGET_VM with target the VM's name, or PSF_TARGET_PHYSICAL
 * with target the bmc://NAME text the host's BMC uses (its
 * BMC_HOST_PROFILE then names the profile).  A copy of the element
 * replaces a same-named one, arrives unassigned without any move record,
 * and is assigned by ps_profile_assign (a VM takes its UUID, serial, MACs
 * and boot order).  0 without a write when the target already carries a
 * profile of that NAME (a rerun).  The element's header and direct
 * children are checked; a caller with untrusted bytes checks the whole
 * tree after (psf_check_tree).  Refused, the store as it was:
 *   PS_ERR_INVAL      not one PROFILE element with a valid NAME, bad kind
 *                     or target length
 *   PSF_ERR_NOTFOUND  no such VM (e->field "target")
 *   PS_ERR_INUSE      the target carries another profile (e->field
 *                     "target", e->holder "profile 'p'"): never dropped
 *                     for the new one, move or unassign it first; or
 *                     someone else in this store carries this one
 *                     (e->holder "vm 'v'", "this host"); or the store's
 *                     copy of it is assigned (or in transit) to another
 *                     target (e->holder "'TARGET'")
 *   PS_ERR_DUPLICATE  an identifier is held in this store
 *                     (ps_profile_check_ids)
 *   PSF_ERR_NOSPACE   no room in cap for the copy
 */
int ps_profile_apply(void *buf, size_t cap, const void *el, size_t elen,
		     uint8_t kind, const char *target, size_t tn,
		     struct ps_cfg_err *e);

/*
 * The clean copy of the profile at prof in pool, as it travels to a
 * target (ps_profile_apply, the BMC's profile push): the element's bytes
 * into out (cap bytes) without TARGET, MOVE_SOURCE and pads, state
 * unassigned and target kind none.  Returns its length, or:
 *   PS_ERR_INVAL     prof is not a profile of pool
 *   PSF_ERR_NOSPACE  it does not fit in cap
 *   PSF_ERR_OVERRUN  a child runs past the profile (a damaged store)
 */
int ps_profile_export(const void *pool, int prof, void *out, size_t cap);

/*
 * The identifiers of the profile at prof in pbuf -- UUID, serial number,
 * each MAC, each WWNN and WWPN -- against every VM and profile of store
 * (which may be pbuf itself), except a profile of the same name, VMs
 * carrying it and the VM named (skip_vm, sl) (the target, whose values
 * are replaced).  PS_ERR_DUPLICATE with e->field ("uuid", "serial",
 * "mac", "wwn"), e->value and e->holder ("nic 'eth0' of vm 'x'"), or 0.
 */
int ps_profile_check_ids(const void *store, const void *pbuf, int prof,
			 const char *skip_vm, size_t sl,
			 struct ps_cfg_err *e);



/*
 * Every identifier of the profile at prof -- its UUID, serial number, each
 * MAC and each WWN half -- as fn(field, text, arg): field "uuid",
 * "serial", "mac" or "wwn", text in the form psctl prints (the walker of
 * the uniqueness rule, ps_ident.c).  Stops at fn's first non-zero return
 * and returns it; PS_ERR_INVAL when prof is not a PROFILE.
 */
typedef int (*ps_profile_id_fn)(const char *field, const char *text,
				void *arg);
int ps_profile_each_id(const void *buf, int prof, ps_profile_id_fn fn,
		       void *arg);


#ifdef __cplusplus
}
#endif

#endif /* PS_PROFILE_H */
