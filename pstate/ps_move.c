/*
 * ps_move.c - what every move between stores shares (ps_move.h): the
 * record helper, an element's copy as it travels and its insertion into
 * the other store's set (used by the profile move's apply, ps_profile.c,
 * and the VM move below), and the per-store edits and resume rule of a
 * VM move.  Freestanding like the rest of the edit layer.
 */
#include "ps_cfg_internal.h"
#include "ps_move.h"

/* ------------------------------------------------------------ shared */

int ps_move_record(void *buf, size_t cap, int elem, uint32_t sig,
		   const char *s, size_t n)
{
	int el = psf_find_child(buf, elem, sig);

	if (n > PS_CFG_TEXT_MAX)
		return PS_ERR_INVAL;
	if (n)
		return psf_set_child(buf, cap, elem, sig, s, (uint32_t)n) < 0
			       ? PSF_ERR_NOSPACE : 0;
	return el < 0 ? 0 : psf_wip_nop(buf, el);
}

/* Children of a travelling copy that stay behind: pads, and where the
 * object is placed and where a move takes it or took it from. */
static int stays(uint32_t sig)
{
	return sig == PSF_PAD || sig == PSF_TARGET ||
	       sig == PSF_MOVE_SOURCE || sig == PSF_MOVE_TARGET;
}

int ps__move_export(const void *buf, int el, uint32_t sig, void *out,
		    size_t cap, ps__move_fix_fn fix)
{
	const uint8_t *src = buf;
	uint8_t *o = out;
	struct psf_cursor c;
	struct psf_elem h;
	uint32_t n = PSF_CONTAINER_HDR, count = 0, len;
	int ch;

	if (psf_sig(buf, el) != sig || psf_cursor_init(buf, el, &c))
		return PS_ERR_INVAL;
	if (cap < PSF_CONTAINER_HDR)
		return PSF_ERR_NOSPACE;
	while ((ch = psf_cursor_next(buf, &c, &h)) >= 0) {
		if (stays(h.sig))
			continue;
		len = h.end - (uint32_t)ch;
		if (len > cap - n)
			return PSF_ERR_NOSPACE;
		psf_memcpy(o + n, src + ch, len);
		if (fix)
			fix(o + n, &h);
		n += len;
		count++;
	}
	if (ch != PSF_ERR_NOTFOUND)
		return ch;
	psf_put_le32(o, sig);
	psf_put_le32(o + 4, count);
	psf_put_le32(o + 8, n - PSF_CONTAINER_HDR);
	return (int)n;
}

int ps__move_put_copy(void *buf, size_t cap, uint32_t set_sig, uint32_t sig,
		      const void *el, uint32_t elen, const char *name,
		      uint32_t nlen, int *made)
{
	int root = psf_root(buf), set, old, off;

	*made = 0;
	set = psf_find_child(buf, root, set_sig);
	if (set < 0) {
		set = psf_insert(buf, cap, root, -1, set_sig, NULL, 0);
		*made = set >= 0;
	}
	if (set < 0)
		return set;
	old = psf_find_named(buf, set, sig, PSF_NAME, name, nlen);
	off = psf_insert(buf, cap, set, old, PSF_PAD, NULL,
			 elen - PSF_STRUCT_HDR);
	if (off < 0) {
		if (*made)
			psf_delete(buf, set);
		return off;
	}
	psf_memcpy((uint8_t *)buf + off, el, elen);
	return off;
}

int ps__move_take_back(void *buf, uint32_t set_sig, int copy, int made,
		       int rc)
{
	uint8_t *b = buf;
	uint32_t end = psf_le32(b + PSF_HDR_TOTAL), total;

	if (psf_delete(buf, made ? psf_find_child(buf, psf_root(buf),
						  set_sig) : copy))
		return rc;
	total = psf_le32(b + PSF_HDR_TOTAL);
	if (total < end)
		psf_memset(b + total, 0, end - total);
	return rc;
}

/* ------------------------------------------------------------ VM state */

static int vm_named(const void *buf, const char *name, size_t n)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, name, n);
}

static int state_of(const void *buf, int vm, const char **peer,
		    uint32_t *pn)
{
	const char *p;
	uint32_t len = 0;

	*peer = NULL;
	*pn = 0;
	if (vm < 0)
		return PS_VM_ABSENT;
	p = ps__str_of(buf, vm, PSF_MOVE_TARGET, &len);
	if (p && len) {
		*peer = p;
		*pn = len;
		return PS_VM_LEAVING;
	}
	p = ps__str_of(buf, vm, PSF_MOVE_SOURCE, &len);
	if (p && len) {
		*peer = p;
		*pn = len;
		return PS_VM_ARRIVING;
	}
	return PS_VM_HOME;
}

int ps_vm_move_state(const void *buf, const char *name, size_t n,
		     const char **peer, uint32_t *pn)
{
	return state_of(buf, vm_named(buf, name, n), peer, pn);
}

int ps_vm_move_live(int state, int src_has)
{
	return state == PS_VM_HOME || state == PS_VM_LEAVING ||
	       (state == PS_VM_ARRIVING && !src_has);
}

int ps_vm_move_next(int s, int d)
{
	if (s == PS_VM_HOME && d == PS_VM_ABSENT)
		return PS_VM_STEP_MARK;
	if (s == PS_VM_LEAVING && d == PS_VM_ABSENT)
		return PS_VM_STEP_APPLY;
	if (s == PS_VM_LEAVING && d == PS_VM_ARRIVING)
		return PS_VM_STEP_RELEASE;
	if (s == PS_VM_ABSENT && d == PS_VM_ARRIVING)
		return PS_VM_STEP_SETTLE;
	if (s == PS_VM_ABSENT && d == PS_VM_HOME)
		return PS_VM_STEP_DONE;
	if (s == PS_VM_ABSENT && d == PS_VM_ABSENT)
		return PSF_ERR_NOTFOUND;
	return PS_ERR_INUSE;
}

/* e->holder "'PEER'", e->why why; PS_ERR_INUSE. */
static int busy(struct ps_cfg_err *e, const char *why, const char *peer,
		uint32_t pn);

int ps_vm_move_where(const void *src, const void *dst, const char *name,
		     size_t n, const char *src_text, size_t sn,
		     const char *dst_text, size_t dn, struct ps_cfg_err *e)
{
	const char *sp, *dp;
	uint32_t spn, dpn;
	int ss = ps_vm_move_state(src, name, n, &sp, &spn);
	int ds = ps_vm_move_state(dst, name, n, &dp, &dpn);
	int next;

	ps__err_init(e, "vm");
	if (ss == PS_VM_LEAVING && !ps__same(sp, spn, dst_text, dn))
		return busy(e, "is leaving (a move not finished) for", sp,
			    spn);
	if (ds == PS_VM_ARRIVING && !ps__same(dp, dpn, src_text, sn))
		return busy(e, "at the destination is arriving (another "
			    "move) from", dp, dpn);
	if (ss == PS_VM_ARRIVING)
		return busy(e, "is still arriving (a move not settled) from",
			    sp, spn);
	next = ps_vm_move_next(ss, ds);
	if (next == PSF_ERR_NOTFOUND)
		return ps__fail(e, next, "no such vm in either store");
	if (next == PS_ERR_INUSE)
		return ps__fail(e, next, "the destination already has a vm "
				"of that name");
	return next;
}

static int busy(struct ps_cfg_err *e, const char *why, const char *peer,
		uint32_t pn)
{
	ps__holder_quoted(e, "'", peer, pn);
	return ps__fail_at(e, PS_ERR_INUSE, "vm", why);
}

/* ------------------------------------------------------------ the edits */

/* The VM named in buf and where it stands; e cleared. */
struct at {
	int vm, st;
	const char *peer;
	uint32_t pn;
};

static void look(const void *buf, const char *name, size_t n, struct at *a,
		 struct ps_cfg_err *e)
{
	a->vm = vm_named(buf, name, n);
	a->st = state_of(buf, a->vm, &a->peer, &a->pn);
	ps__err_init(e, NULL);
}

int ps_vm_move_mark(void *buf, size_t cap, const char *name, size_t n,
		    const char *to, size_t tn, struct ps_cfg_err *e)
{
	struct at a;

	look(buf, name, n, &a, e);
	if (!tn || tn > PS_CFG_TEXT_MAX)
		return PS_ERR_INVAL;
	if (a.st == PS_VM_ABSENT)
		return ps__fail_at(e, PSF_ERR_NOTFOUND, "vm", "no such vm");
	if (a.st == PS_VM_ARRIVING)
		return busy(e, "is still arriving (a move not settled) from",
			    a.peer, a.pn);
	if (a.st == PS_VM_LEAVING)
		return ps__same(a.peer, a.pn, to, tn) ? 0
			: busy(e, "is already leaving (a move not finished) "
			       "for", a.peer, a.pn);
	return ps_move_record(buf, cap, a.vm, PSF_MOVE_TARGET, to, tn);
}

int ps_vm_move_export(const void *buf, int vm, void *out, size_t cap)
{
	return ps__move_export(buf, vm, PSF_VM, out, cap, NULL);
}

int ps_vm_move_apply(void *buf, size_t cap, const void *el, size_t elen,
		     const char *from, size_t fn, struct ps_cfg_err *e)
{
	const char *name, *peer;
	uint32_t nlen, pn;
	int st, copy, made, rc;

	ps__err_init(e, NULL);
	if (ps_elem_name(el, elen, &name, &nlen) ||
	    psf_le32(el) != PSF_VM || !name ||
	    ps_check_name(name, nlen, NULL) || !fn || fn > PS_CFG_TEXT_MAX)
		return PS_ERR_INVAL;
	st = ps_vm_move_state(buf, name, nlen, &peer, &pn);
	if (st == PS_VM_ARRIVING && ps__same(peer, pn, from, fn))
		return 0;
	if (st != PS_VM_ABSENT) {
		ps__holder_quoted(e, "vm '", name, nlen);
		return ps__fail_at(e, PS_ERR_INUSE, "vm", "the store already "
				   "has a vm of that name:");
	}
	copy = ps__move_put_copy(buf, cap, PSF_VMS, PSF_VM, el,
				 (uint32_t)elen, name, nlen, &made);
	if (copy < 0)
		return copy;
	rc = ps_move_record(buf, cap, copy, PSF_MOVE_SOURCE, from, fn);
	return rc ? ps__move_take_back(buf, PSF_VMS, copy, made, rc) : 0;
}

int ps_vm_move_release(void *buf, size_t cap, const char *name, size_t n,
		       const char *to, size_t tn, struct ps_cfg_err *e)
{
	struct at a;

	(void)cap;
	look(buf, name, n, &a, e);
	if (a.st == PS_VM_ABSENT)
		return 0;
	if (a.st != PS_VM_LEAVING || !ps__same(a.peer, a.pn, to, tn))
		return a.st == PS_VM_HOME
			? ps__fail_at(e, PS_ERR_INUSE, "vm", "is not marked "
				      "as leaving (its move was not begun "
				      "here)")
			: busy(e, "is in another move, with", a.peer, a.pn);
	return ps_obj_delete(buf, a.vm, PS_OBJ_VM, e);
}

int ps_vm_move_settle(void *buf, size_t cap, const char *name, size_t n,
		      struct ps_cfg_err *e)
{
	int vm = vm_named(buf, name, n);

	ps__err_init(e, NULL);
	if (vm < 0)
		return ps__fail_at(e, PSF_ERR_NOTFOUND, "vm", "no such vm");
	return ps_move_record(buf, cap, vm, PSF_MOVE_SOURCE, NULL, 0);
}
