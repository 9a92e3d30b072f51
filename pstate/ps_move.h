/*
 * ps_move.h - moves between stores: the step machinery every mover uses
 * (psctl profile move, psctl vm move, hvagent after a live migration),
 * and the per-store edits and record of a VM move.
 *
 * Core (freestanding): ps_move.c.  Hosted: ps_move_host.c (ps_move_run,
 * ps_move_point, ps_move_gate).  docs/store.md "Moves" and docs/schema.md
 * (MOVE_TARGET, MOVE_SOURCE) describe the records.
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 *
 * A move takes an object from one store to another in steps, each one
 * commit on one store and each idempotent, so that a move cut after any
 * step is visible in a record and finished by running it again:
 *
 *   validate  every step tried on private copies of the stores: nothing
 *             written when one would be refused
 *   mark      the record that says the move is under way
 *   then the two per-store steps, in the order of the kind of move:
 *     a profile: release (the source store stops carrying it), then
 *                apply (the target takes it) -- an identity is live in
 *                one place at most (ps_profile.h);
 *     a VM:      apply (the destination gets a copy marked arriving,
 *                which nothing runs), then release (the source's copy,
 *                marked leaving, is deleted) -- the VM object is never
 *                lost and never live twice;
 *   settle    the record goes: the object is at home where it arrived.
 *
 * The resume rule: a move found marked is finished from the first step
 * its records do not show done (ps_vm_move_next for a VM; a profile in
 * transit in the pool restarts at release), every step re-run being
 * harmless.
 */
#ifndef PS_MOVE_H
#define PS_MOVE_H

#include "ps_config.h"
#include "ps_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ the steps */

/* One step of a move: run returns 0 done, else the error that stops the
 * move; a NULL run is a step with nothing to do in this move. */
struct ps_move_step {
	const char *name;           /* "mark", "release", "apply", "settle" */
	int (*run)(void *ctx);
};

/* Shared record helpers (core): the string child sig of elem set to
 * (s, n), or removed when n is 0 (a pad; nothing else moves). */
int ps_move_record(void *buf, size_t cap, int elem, uint32_t sig,
		   const char *s, size_t n);

#if PS_HOSTED
/*
 * Run steps[from..n) in order, stopping at the first error (returned).
 * After each step that ran, ps_move_point(its name); before the mark
 * step (index 0, when it runs), ps_move_point("validate").
 */
int ps_move_run(const struct ps_move_step *steps, int n, int from,
		void *ctx);

/*
 * The test hook of every move, at the named point:
 *   PSCTL_TEST_PAUSE_AT=STEP:MS[,STEP:MS...]  sleep MS milliseconds there
 *   PSCTL_TEST_CRASH_AT=STEP                  end the process, status 99
 *   PSCTL_TEST_HOLD_DIR=DIR   when DIR/STEP exists, create DIR/STEP.reached
 *                             and wait (60 s at most) until DIR/STEP is gone
 * so a test can cut a move after any step, or make two movers overlap.
 */
void ps_move_point(const char *step);

/*
 * The gate on a store a move writes (the BMC's element-write rule): the
 * whole-store check (ps_cfg_check_host) of after must report no problem
 * that before did not have.  Each new problem goes to fn(ctx, line);
 * returns how many there were (0: the edit passes), or a negative error
 * (after is not a sound tree; no memory).
 */
int ps_move_gate(const void *before, uint32_t blen, const void *after,
		 uint32_t alen, ps_cfg_report_fn fn, void *ctx);

/*
 * One store's commit of a move step (every mover's, on every store it
 * writes): ps_update, sealed when the store is in authenticated mode and
 * verifies here (ps_auth_sess.c, the rule psctl's edits and hvagent
 * follow), refused (PS_ERR_AUTH, nothing written) when it does not.  0,
 * or the error: with msg saying why (the seal), or msg "" (the edit's
 * own).
 */
int ps_move_update(struct ps_store *st, ps_edit_fn edit, void *arg,
		   char *msg, size_t n);

/*
 * The VM move's apply step with its gate (what every mover commits on
 * the destination): ps_vm_move_apply, then ps_move_gate against the
 * store as it was, each new problem to fn(ctx, line).  0, the apply's
 * error, or PS_ERR_INUSE when the gate found problems (e->why says so);
 * on an error buf holds the refused copy: the caller drops it (an edit
 * of ps_update that fails is not committed).
 */
int ps_vm_move_apply_gated(void *buf, size_t cap, const void *el,
			   size_t elen, const char *from, size_t fn,
			   ps_cfg_report_fn report, void *ctx,
			   struct ps_cfg_err *e);
#endif

/* ------------------------------------------------------------ a VM move */

/*
 * The VM's record (docs/schema.md).  A VM of a store is:
 *   PS_VM_HOME      no record: this store owns it
 *   PS_VM_LEAVING   MOVE_TARGET names the store it goes to: a move was
 *                   marked here; this store still owns it (the source)
 *   PS_VM_ARRIVING  MOVE_SOURCE names the store it comes from: a copy
 *                   applied here; owned here only once the source's copy
 *                   is gone (released), i.e. after the move settles or
 *                   when the source no longer has it
 *   PS_VM_ABSENT    no VM of that name
 * Peer texts are targets (ps_target.h: image:PATH, dev:DEVICE,
 * bmc://HOST[:PORT]), up to PS_CFG_TEXT_MAX bytes, as the mover names
 * the other store.
 */
enum { PS_VM_HOME = 0, PS_VM_LEAVING = 1, PS_VM_ARRIVING = 2,
       PS_VM_ABSENT = 3 };

/* The state of the VM named (name, n), the peer text in *peer, *pn
 * (NULL, 0 for HOME and ABSENT). */
int ps_vm_move_state(const void *buf, const char *name, size_t n,
		     const char **peer, uint32_t *pn);

/*
 * Whether this store's copy is the live one (the owner's): HOME and
 * LEAVING always; ARRIVING only when the source store no longer has the
 * VM (src_has 0).  Never both copies, never neither.
 */
int ps_vm_move_live(int state, int src_has);

/*
 * The resume rule: from the VM's state in the source store and in the
 * destination store, the index of the next step of ps_vm_move_steps'
 * order (0 mark, 1 apply, 2 release, 3 settle, 4 done), or:
 *   PSF_ERR_NOTFOUND  in neither store
 *   PS_ERR_INUSE      the two records do not belong to one move between
 *                     these stores (another move, a same-named VM at
 *                     home in the destination): the caller says which
 * The peers are compared by the caller (both records name each other).
 */
enum { PS_VM_STEP_MARK = 0, PS_VM_STEP_APPLY = 1, PS_VM_STEP_RELEASE = 2,
       PS_VM_STEP_SETTLE = 3, PS_VM_STEP_DONE = 4 };
int ps_vm_move_next(int src_state, int dst_state);

/*
 * The resume rule on the two stores themselves: ps_vm_move_next from the
 * VM's state in src and dst, after checking that the records belong to
 * this move (a LEAVING source names dst_text, an ARRIVING destination
 * names src_text).  The step index, or a refusal with e->why and
 * e->holder (the other store): PS_ERR_INUSE (another move under way, a
 * same-named VM at the destination), PSF_ERR_NOTFOUND (in neither).
 */
int ps_vm_move_where(const void *src, const void *dst, const char *name,
		     size_t n, const char *src_text, size_t sn,
		     const char *dst_text, size_t dn, struct ps_cfg_err *e);

/*
 * The per-store edits (each idempotent, e filled on a refusal):
 *
 * mark (source): the VM gets MOVE_TARGET = (to, tn).  0, no write, when
 * it already leaves for to.  PSF_ERR_NOTFOUND no such VM (e->field
 * "vm"); PS_ERR_INUSE it leaves for another store or is still arriving
 * (e->why, e->holder the other store).
 *
 * export (source): the VM element at vm as it travels: without its
 * record and pads at its top level, into out (cap bytes); its length, or
 * PS_ERR_INVAL (not a VM), PSF_ERR_NOSPACE.
 *
 * apply (destination): the exported element (el, elen; one VM element,
 * not inside buf) goes into the VMS set (made when missing) with
 * MOVE_SOURCE = (from, fn).  0, no write, when a VM of that name already
 * arrives from from.  PS_ERR_INUSE (e->field "vm"): a VM of that name is
 * here otherwise.  PS_ERR_INVAL: not a named VM element.  The rest of the
 * destination's rules (identifiers, concentrator ports, references) are
 * the gate's: a hosted mover runs ps_move_gate on the result.
 *
 * release (source): the VM leaving for to is deleted (ps_obj_delete's
 * rules: refused while a reservation names it).  0, no write, when there
 * is no such VM (a rerun); PS_ERR_INUSE when it is not leaving for to.
 *
 * settle (destination): the arriving VM's MOVE_SOURCE goes; 0, no write,
 * when it has none.  PSF_ERR_NOTFOUND no such VM.
 */
int ps_vm_move_mark(void *buf, size_t cap, const char *name, size_t n,
		    const char *to, size_t tn, struct ps_cfg_err *e);
int ps_vm_move_export(const void *buf, int vm, void *out, size_t cap);
int ps_vm_move_apply(void *buf, size_t cap, const void *el, size_t elen,
		     const char *from, size_t fn, struct ps_cfg_err *e);
int ps_vm_move_release(void *buf, size_t cap, const char *name, size_t n,
		       const char *to, size_t tn, struct ps_cfg_err *e);
int ps_vm_move_settle(void *buf, size_t cap, const char *name, size_t n,
		      struct ps_cfg_err *e);

#ifdef __cplusplus
}
#endif

#endif /* PS_MOVE_H */
