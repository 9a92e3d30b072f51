/*
 * test_profile.c - the per-store edits of a profile move (pstate/
 * ps_profile.c, ps_profile.h): the pool's move record, a host's
 * and a VM's release (idempotent), applying a profile copy from another
 * store (idempotent, refusals change nothing), identifier checks naming
 * the holder, and a whole move between two stores with a "crash" after
 * every step: rerunning the remaining steps finishes it, and no
 * identifier is ever carried in both stores.  Named targets: a server of
 * the pool's directory by name, SERVER#VM, and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "ps_cfg_test.h"

#define CAP 65536u

/* The pool and two target stores. */
struct fx {
	uint8_t pool[CAP], a[CAP], b[CAP];
	uint8_t rnd[PS_CFG_RND_UNASSIGN];
	struct ps_cfg_err e;
};

static void empty(uint8_t *buf)
{
	pst_empty(buf, CAP);
}

static void valid(uint8_t *buf)
{
	pst_valid(buf, CAP);
}

/* A VM gets a UUID at once, as psctl's vm create gives it one. */
static int mk(uint8_t *buf, enum ps_obj k, int parent, const char *name)
{
	static unsigned seq;
	char u[40];
	int el = ps_obj_create(buf, CAP, parent, k, name, strlen(name), NULL);

	assert_true(el >= 0);
	if (k == PS_OBJ_VM) {
		snprintf(u, sizeof u, "5e5e5e5e-0000-4000-8000-%012x", ++seq);
		assert_int_equal(ps_obj_set(buf, CAP, el, k, "uuid", 4, u,
					    strlen(u), NULL), 0);
	}
	return el;
}

static void set(uint8_t *buf, int el, enum ps_obj k, const char *f,
		const char *v)
{
	pst_set(buf, CAP, el, k, f, v);
}

static int prof(const uint8_t *buf, const char *n)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, n, strlen(n));
}

static int vm(const uint8_t *buf, const char *n)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, n, strlen(n));
}

/* ps_profile_apply with the element bytes of the profile at p in pool,
 * as psctl passes them. */
static int apply_from(uint8_t *buf, size_t cap, const uint8_t *pool, int p,
		      uint8_t kind, const char *t, size_t tn,
		      struct ps_cfg_err *e)
{
	struct psf_elem h;

	if (p < 0 || psf_elem(pool, p, &h))
		return PS_ERR_INVAL;
	return ps_profile_apply(buf, cap, pool + p, h.end - (uint32_t)p, kind,
				t, tn, e);
}

/* A VM with two NICs (MACs given) in buf. */
static void host_vm(uint8_t *buf, const char *name, const char *mac0,
		    const char *mac1)
{
	int v = mk(buf, PS_OBJ_VM, psf_root(buf), name), n;

	n = mk(buf, PS_OBJ_NIC, v, "eth0");
	set(buf, n, PS_OBJ_NIC, "mac", mac0);
	v = vm(buf, name);
	n = mk(buf, PS_OBJ_NIC, v, "eth1");
	set(buf, n, PS_OBJ_NIC, "mac", mac1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int p;

	if (!f)
		return -1;
	empty(f->pool);
	empty(f->a);
	empty(f->b);
	p = mk(f->pool, PS_OBJ_PROFILE, psf_root(f->pool), "web");
	set(f->pool, p, PS_OBJ_PROFILE, "uuid",
	    "11111111-2222-4333-8444-555555555555");
	set(f->pool, p, PS_OBJ_PROFILE, "serial", "SN-WEB");
	set(f->pool, p, PS_OBJ_PROFILE, "macs",
	    "02:00:00:00:0a:01,02:00:00:00:0a:02");
	set(f->pool, p, PS_OBJ_PROFILE, "wwns",
	    "20:00:00:25:b5:00:00:01/21:00:00:25:b5:00:00:01");
	set(f->pool, p, PS_OBJ_PROFILE, "boot", "network,disk");
	host_vm(f->b, "vm1", "52:54:00:00:00:01", "52:54:00:00:00:02");
	host_vm(f->b, "vm2", "52:54:00:00:00:03", "52:54:00:00:00:04");
	for (p = 0; p < (int)sizeof(f->rnd); p++)
		f->rnd[p] = (uint8_t)(p * 37 + 11);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void text(const uint8_t *buf, int el, enum ps_obj k, const char *f,
		 char *out, size_t n)
{
	ps_obj_get(buf, el, ps_obj_field(k, f, strlen(f)), out, n);
}

static void source_of(const uint8_t *buf, int el, char *out, size_t n)
{
	uint32_t len = 0;
	const char *p = psf_child_payload(buf, el, PSF_MOVE_SOURCE, &len);

	snprintf(out, n, "%.*s", p ? (int)len : 0, p ? p : "");
}

/* ------------------------------------------------------------ tests */

static void test_move_record(void **state)
{
	struct fx *f = *state;
	char v[300];
	int p = prof(f->pool, "web");

	assert_int_equal(ps_profile_begin_move(f->pool, CAP, p,
					       PSF_TARGET_VM, "image:/b#vm1",
					       12, "bmc://a:623", 11), 0);
	p = prof(f->pool, "web");
	text(f->pool, p, PS_OBJ_PROFILE, "state", v, sizeof v);
	assert_string_equal(v, "in-transit");
	text(f->pool, p, PS_OBJ_PROFILE, "target", v, sizeof v);
	assert_string_equal(v, "image:/b#vm1");
	text(f->pool, p, PS_OBJ_PROFILE, "target-kind", v, sizeof v);
	assert_string_equal(v, "vm");
	source_of(f->pool, p, v, sizeof v);
	assert_string_equal(v, "bmc://a:623");
	valid(f->pool);
	assert_int_equal(ps_profile_end_move(f->pool, CAP, p, PSF_TARGET_VM,
					     "image:/b#vm1", 12), 0);
	p = prof(f->pool, "web");
	text(f->pool, p, PS_OBJ_PROFILE, "state", v, sizeof v);
	assert_string_equal(v, "assigned");
	source_of(f->pool, p, v, sizeof v);
	assert_string_equal(v, "");
	assert_int_equal(ps_profile_end_move(f->pool, CAP, p, PSF_TARGET_VM,
					     NULL, 0), 0);
	text(f->pool, p, PS_OBJ_PROFILE, "state", v, sizeof v);
	assert_string_equal(v, "unassigned");
	text(f->pool, p, PS_OBJ_PROFILE, "target-kind", v, sizeof v);
	assert_string_equal(v, "none");
	valid(f->pool);
	assert_int_equal(ps_profile_begin_move(f->pool, CAP, psf_root(f->pool),
					       0, "x", 1, NULL, 0),
			 PS_ERR_INVAL);
}

/* A VM takes the identity and the boot parameters; a rerun writes
 * nothing; the host of a store records its profile as its BMC would. */
static void test_apply(void **state)
{
	struct fx *f = *state;
	uint8_t before[CAP];
	char v[300];
	uint32_t len;
	const char *h;
	int v1, nic;

	assert_int_equal(apply_from(f->b, CAP, f->pool,
				    prof(f->pool, "web"), PSF_TARGET_VM,
				    "vm1", 3, &f->e), 0);
	valid(f->b);
	v1 = vm(f->b, "vm1");
	text(f->b, v1, PS_OBJ_VM, "uuid", v, sizeof v);
	assert_string_equal(v, "11111111-2222-4333-8444-555555555555");
	text(f->b, v1, PS_OBJ_VM, "serial", v, sizeof v);
	assert_string_equal(v, "SN-WEB");
	text(f->b, v1, PS_OBJ_VM, "boot", v, sizeof v);
	assert_string_equal(v, "network,disk");
	text(f->b, v1, PS_OBJ_VM, "pxe", v, sizeof v);
	assert_string_equal(v, "on");
	nic = ps_obj_find(f->b, v1, PS_OBJ_NIC, "eth1", 4);
	text(f->b, nic, PS_OBJ_NIC, "mac", v, sizeof v);
	assert_string_equal(v, "02:00:00:00:0a:02");
	/* The copy is the target's: assigned to the VM, no move record. */
	text(f->b, prof(f->b, "web"), PS_OBJ_PROFILE, "target", v, sizeof v);
	assert_string_equal(v, "vm1");
	assert_int_equal(psf_find_child(f->b, prof(f->b, "web"),
					PSF_MOVE_SOURCE), PSF_ERR_NOTFOUND);
	memcpy(before, f->b, CAP);
	assert_int_equal(apply_from(f->b, CAP, f->pool,
				    prof(f->pool, "web"), PSF_TARGET_VM,
				    "vm1", 3, &f->e), 0);
	assert_memory_equal(before, f->b, CAP);

	assert_int_equal(apply_from(f->a, CAP, f->pool,
				    prof(f->pool, "web"),
				    PSF_TARGET_PHYSICAL,
				    "bmc://localhost", 15, &f->e), 0);
	valid(f->a);
	h = ps_host_profile(f->a, &len);
	assert_non_null(h);
	assert_memory_equal(h, "web", 3);
	assert_int_equal(ps_profile_carrier(f->a, "web", 3, &v1),
			 PSF_TARGET_PHYSICAL);
}

/* Refusals name the other holder and change nothing. */
static void test_apply_refused(void **state)
{
	struct fx *f = *state;
	uint8_t before[CAP];
	int p = prof(f->pool, "web"), q, n;

	/* A VM of the target store already has one of the MACs. */
	n = ps_obj_find(f->b, vm(f->b, "vm2"), PS_OBJ_NIC, "eth1", 4);
	set(f->b, n, PS_OBJ_NIC, "mac", "02:00:00:00:0a:02");
	psf_finish(f->b);
	memcpy(before, f->b, CAP);
	assert_int_equal(apply_from(f->b, CAP, f->pool, p, PSF_TARGET_VM,
				    "vm1", 3, &f->e), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.field, "mac");
	assert_string_equal(f->e.value, "02:00:00:00:0a:02");
	assert_string_equal(f->e.holder, "nic 'eth1' of vm 'vm2'");
	assert_int_equal(ps_profile_check_ids(f->b, f->pool, p, "vm1", 3,
					      &f->e), PS_ERR_DUPLICATE);
	psf_finish(f->b);
	assert_memory_equal(before, f->b, CAP);
	/* No such VM. */
	assert_int_equal(apply_from(f->b, CAP, f->pool, p, PSF_TARGET_VM,
				    "vm9", 3, &f->e), PSF_ERR_NOTFOUND);
	/* The target carries another profile. */
	q = mk(f->a, PS_OBJ_PROFILE, psf_root(f->a), "old");
	set(f->a, q, PS_OBJ_PROFILE, "wwns",
	    "20:00:00:25:b5:00:00:09/21:00:00:25:b5:00:00:01");
	host_vm(f->a, "vmx", "52:54:00:00:01:01", "52:54:00:00:01:02");
	assert_int_equal(ps_profile_assign(f->a, CAP, prof(f->a, "old"), "vmx",
					   3, &f->e), 0);
	psf_finish(f->a);
	memcpy(before, f->a, CAP);
	assert_int_equal(apply_from(f->a, CAP, f->pool, p, PSF_TARGET_VM,
				    "vmx", 3, &f->e), PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "profile 'old'");
	/* A WWPN held by another profile of the store. */
	assert_int_equal(apply_from(f->a, CAP, f->pool, p,
				    PSF_TARGET_PHYSICAL,
				    "bmc://localhost", 15, &f->e),
				    PS_ERR_DUPLICATE);
	assert_string_equal(f->e.field, "wwn");
	assert_string_equal(f->e.value, "21:00:00:25:b5:00:00:01");
	assert_string_equal(f->e.holder, "profile 'old'");
	psf_finish(f->a);
	assert_memory_equal(before, f->a, CAP);
}

/* A store holding the profile itself, unassigned (a BMC's store pushed
 * its own profile): the copy replaces it, its identity is no clash. */
static void test_apply_over_same_named(void **state)
{
	struct fx *f = *state;
	uint8_t el[2048];
	struct psf_elem h;
	uint32_t len;
	const char *hp;
	int p = prof(f->pool, "web");

	assert_int_equal(psf_elem(f->pool, p, &h), 0);
	assert_true(h.end - (uint32_t)p <= sizeof el);
	memcpy(el, f->pool + p, h.end - (uint32_t)p);
	assert_int_equal(ps_profile_apply(f->pool, CAP, el,
					  h.end - (uint32_t)p,
					  PSF_TARGET_PHYSICAL,
					  "bmc://localhost", 15, &f->e), 0);
	valid(f->pool);
	hp = ps_host_profile(f->pool, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(hp, "web", 3);
	assert_true(prof(f->pool, "web") >= 0);
}

/* A host carrying another profile keeps it: the apply is refused, the
 * store unchanged; once the other one is released the apply goes on. */
static void test_apply_host_carries_other(void **state)
{
	struct fx *f = *state;
	uint8_t before[CAP];
	uint32_t len;
	const char *h;
	int q = mk(f->pool, PS_OBJ_PROFILE, psf_root(f->pool), "old");

	set(f->pool, q, PS_OBJ_PROFILE, "serial", "SN-OLD");
	assert_int_equal(apply_from(f->a, CAP, f->pool, prof(f->pool, "old"),
				    PSF_TARGET_PHYSICAL, "bmc://localhost",
				    15, &f->e), 0);
	psf_finish(f->a);
	memcpy(before, f->a, CAP);
	assert_int_equal(apply_from(f->a, CAP, f->pool, prof(f->pool, "web"),
				    PSF_TARGET_PHYSICAL, "bmc://localhost",
				    15, &f->e), PS_ERR_INUSE);
	assert_string_equal(f->e.field, "target");
	assert_string_equal(f->e.why, "already carries");
	assert_string_equal(f->e.holder, "profile 'old'");
	psf_finish(f->a);
	assert_memory_equal(before, f->a, CAP);
	assert_int_equal(ps_profile_release(f->a, CAP, "old", 3, 0, f->rnd,
					    sizeof f->rnd, &f->e), 1);
	assert_int_equal(apply_from(f->a, CAP, f->pool, prof(f->pool, "web"),
				    PSF_TARGET_PHYSICAL, "bmc://localhost",
				    15, &f->e), 0);
	valid(f->a);
	h = ps_host_profile(f->a, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(h, "web", 3);
}

/* A copy of the profile placed on another target is the record of where
 * its identity lives: it is not overwritten. */
static void test_apply_assigned_elsewhere(void **state)
{
	struct fx *f = *state;
	uint8_t before[CAP];

	assert_int_equal(apply_from(f->a, CAP, f->pool, prof(f->pool, "web"),
				    PSF_TARGET_PHYSICAL, "bmc://localhost",
				    15, &f->e), 0);
	/* The host's record goes, the copy stays assigned to the host. */
	assert_int_equal(psf_wip_nop(f->a, psf_find_child(f->a,
			 psf_find_child(f->a, psf_root(f->a), PSF_BMC_STATE),
			 PS_BMC_HOST_PROFILE)), 0);
	host_vm(f->a, "vmx", "52:54:00:00:01:01", "52:54:00:00:01:02");
	psf_finish(f->a);
	memcpy(before, f->a, CAP);
	assert_int_equal(apply_from(f->a, CAP, f->pool, prof(f->pool, "web"),
				    PSF_TARGET_VM, "vmx", 3, &f->e),
			 PS_ERR_INUSE);
	assert_string_equal(f->e.why, "already assigned to");
	assert_string_equal(f->e.holder, "'bmc://localhost'");
	psf_finish(f->a);
	assert_memory_equal(before, f->a, CAP);
}

/* Element bytes that are not one named PROFILE are refused untouched; a
 * refusal after the copy went in (a clash) takes it out again, the set
 * it had to make too. */
static void test_apply_bad_bytes(void **state)
{
	struct fx *f = *state;
	uint8_t before[CAP], el[512];
	struct psf_elem h;
	int p = prof(f->pool, "web"), n;
	uint32_t elen;

	assert_int_equal(psf_elem(f->pool, p, &h), 0);
	elen = h.end - (uint32_t)p;
	assert_true(elen <= sizeof el);
	memcpy(el, f->pool + p, elen);
	psf_finish(f->b);
	memcpy(before, f->b, CAP);
	assert_int_equal(ps_profile_apply(f->b, CAP, el, elen - 1,
					  PSF_TARGET_VM, "vm1", 3, &f->e),
			 PS_ERR_INVAL);
	el[4]++;                                     /* count */
	assert_int_equal(ps_profile_apply(f->b, CAP, el, elen, PSF_TARGET_VM,
					  "vm1", 3, &f->e), PS_ERR_INVAL);
	el[4]--;
	psf_put_le32(el + PSF_CONTAINER_HDR + 4, 200); /* NAME overruns */
	assert_int_equal(ps_profile_apply(f->b, CAP, el, elen, PSF_TARGET_VM,
					  "vm1", 3, &f->e), PS_ERR_INVAL);
	assert_int_equal(ps_profile_apply(f->b, CAP, f->pool, 64,
					  PSF_TARGET_VM, "vm1", 3, &f->e),
			 PS_ERR_INVAL);
	assert_memory_equal(before, f->b, CAP);
	/* b has no PROFILES set: the clash refusal removes the one made. */
	assert_int_equal(psf_find_child(f->b, psf_root(f->b), PSF_PROFILES),
			 PSF_ERR_NOTFOUND);
	n = ps_obj_find(f->b, vm(f->b, "vm2"), PS_OBJ_NIC, "eth0", 4);
	set(f->b, n, PS_OBJ_NIC, "mac", "02:00:00:00:0a:01");
	psf_finish(f->b);
	memcpy(before, f->b, CAP);
	assert_int_equal(apply_from(f->b, CAP, f->pool, p, PSF_TARGET_VM,
				    "vm1", 3, &f->e), PS_ERR_DUPLICATE);
	psf_finish(f->b);
	assert_memory_equal(before, f->b, CAP);
}

/* The exported element: no TARGET, no MOVE_SOURCE, state unassigned,
 * target kind none; the identity as in the pool; what apply takes. */
static void test_export(void **state)
{
	struct fx *f = *state;
	uint8_t out[CAP], w[CAP];
	char v[300];
	int p = prof(f->pool, "web"), n, q;

	assert_int_equal(ps_profile_begin_move(f->pool, CAP, p, PSF_TARGET_VM,
					       "image:/b#vm1", 12,
					       "bmc://a:623", 11), 0);
	p = prof(f->pool, "web");
	n = ps_profile_export(f->pool, p, out, sizeof out);
	assert_true(n > 0);
	/* Read back as the only profile of a store. */
	empty(w);
	q = psf_insert(w, CAP, psf_root(w), -1, PSF_PROFILES, NULL, 0);
	assert_true(q >= 0);
	q = psf_insert(w, CAP, q, -1, PSF_PAD, NULL,
		       (uint32_t)n - PSF_STRUCT_HDR);
	assert_true(q >= 0);
	memcpy(w + q, out, (size_t)n);
	valid(w);
	assert_int_equal(psf_find_child(w, q, PSF_TARGET), PSF_ERR_NOTFOUND);
	assert_int_equal(psf_find_child(w, q, PSF_MOVE_SOURCE),
			 PSF_ERR_NOTFOUND);
	text(w, q, PS_OBJ_PROFILE, "state", v, sizeof v);
	assert_string_equal(v, "unassigned");
	text(w, q, PS_OBJ_PROFILE, "target-kind", v, sizeof v);
	assert_string_equal(v, "none");
	text(w, q, PS_OBJ_PROFILE, "uuid", v, sizeof v);
	assert_string_equal(v, "11111111-2222-4333-8444-555555555555");
	text(w, q, PS_OBJ_PROFILE, "macs", v, sizeof v);
	assert_string_equal(v, "02:00:00:00:0a:01,02:00:00:00:0a:02");
	/* The pool keeps its record. */
	source_of(f->pool, p, v, sizeof v);
	assert_string_equal(v, "bmc://a:623");
	assert_int_equal(ps_profile_apply(f->b, CAP, out, (size_t)n,
					  PSF_TARGET_VM, "vm1", 3, &f->e), 0);
	valid(f->b);
	assert_int_equal(ps_profile_export(f->pool, p, out, (size_t)n - 1),
			 PSF_ERR_NOSPACE);
	assert_int_equal(ps_profile_export(f->pool, psf_root(f->pool), out,
					   sizeof out), PS_ERR_INVAL);
}

/* ps_profile_each_id: every identifier of a profile as field and text,
 * in order (the etcd pool's /pstate/id/ keys); a non-zero return stops
 * the walk; not a profile: PS_ERR_INVAL. */
struct ids_seen {
	char all[512];
	int n, stop_at;
};

static int seen(const char *field, const char *text, void *arg)
{
	struct ids_seen *s = arg;
	size_t l = strlen(s->all);

	snprintf(s->all + l, sizeof s->all - l, "%s%s=%s", l ? " " : "",
		 field, text);
	return ++s->n == s->stop_at ? 42 : 0;
}

static void test_each_id(void **state)
{
	struct fx *f = *state;
	struct ids_seen s = { "", 0, 0 };

	assert_int_equal(ps_profile_each_id(f->pool, prof(f->pool, "web"),
					    seen, &s), 0);
	assert_string_equal(s.all,
		"uuid=11111111-2222-4333-8444-555555555555 serial=SN-WEB "
		"mac=02:00:00:00:0a:01 mac=02:00:00:00:0a:02 "
		"wwn=20:00:00:25:b5:00:00:01 wwn=21:00:00:25:b5:00:00:01");
	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	assert_int_equal(ps_profile_each_id(f->pool, prof(f->pool, "web"),
					    seen, &s), 42);
	assert_int_equal(s.n, 2);
	assert_int_equal(ps_profile_each_id(f->b, vm(f->b, "vm1"), seen, &s),
			 PS_ERR_INVAL);
	assert_int_equal(ps_profile_each_id(f->pool, -1, seen, &s),
			 PS_ERR_INVAL);
}

/* The NAME of detached element bytes (ps_elem_name), and which profile a
 * target carries (ps_profile_of), as the BMC shim asks them. */
static void test_elem_name_profile_of(void **state)
{
	struct fx *f = *state;
	uint8_t out[CAP];
	const char *name;
	uint32_t nlen;
	int n = ps_profile_export(f->pool, prof(f->pool, "web"), out,
				  sizeof out);

	assert_true(n > 0);
	assert_int_equal(ps_elem_name(out, (size_t)n, &name, &nlen), 0);
	assert_int_equal(nlen, 3);
	assert_memory_equal(name, "web", 3);
	/* Lengths that do not describe the element: refused, no name. */
	assert_int_equal(ps_elem_name(out, (size_t)n - 1, &name, &nlen),
			 PS_ERR_INVAL);
	assert_null(name);
	assert_int_equal(nlen, 0);
	psf_put_le32(out + 4, psf_le32(out + 4) + 1);   /* count one too many */
	assert_int_equal(ps_elem_name(out, (size_t)n, &name, &nlen),
			 PS_ERR_INVAL);
	assert_null(name);
	psf_put_le32(out + 4, psf_le32(out + 4) - 1);
	assert_int_equal(ps_elem_name(out + PSF_CONTAINER_HDR,
				      (size_t)n - PSF_CONTAINER_HDR, &name,
				      &nlen), PS_ERR_INVAL);

	assert_int_equal(ps_profile_of(f->b, PSF_TARGET_VM, "vm1", 3),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(ps_profile_of(f->b, PSF_TARGET_VM, "nope", 4),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(ps_profile_of(f->b, PSF_TARGET_PHYSICAL, NULL, 0),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(ps_profile_of(f->b, PSF_TARGET_NONE, NULL, 0),
			 PS_ERR_INVAL);
	assert_int_equal(ps_profile_apply(f->b, CAP, out, (size_t)n,
					  PSF_TARGET_VM, "vm1", 3, &f->e), 0);
	assert_int_equal(ps_profile_of(f->b, PSF_TARGET_VM, "vm1", 3),
			 prof(f->b, "web"));
	assert_int_equal(ps_profile_of(f->b, PSF_TARGET_VM, "vm2", 3),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(ps_profile_apply(f->a, CAP, out, (size_t)n,
					  PSF_TARGET_PHYSICAL,
					  "bmc://localhost", 15, &f->e), 0);
	assert_int_equal(ps_profile_of(f->a, PSF_TARGET_PHYSICAL, NULL, 0),
			 prof(f->a, "web"));
}

/* Only a VM carrying a profile of the store shares that profile's
 * identity: a VM whose reference names a profile the store lacks (written
 * raw: the edit layer refuses such a reference) holds its values as its
 * own, so a copy of the profile may not take them to another VM. */
static void test_check_ids_dangling_ref(void **state)
{
	struct fx *f = *state;
	int p = prof(f->pool, "web"), v = vm(f->b, "vm2");

	set(f->b, v, PS_OBJ_VM, "uuid", "11111111-2222-4333-8444-555555555555");
	v = vm(f->b, "vm2");
	assert_true(psf_set_child(f->b, CAP, v, PSF_PROFILE_REF, "web", 3) >= 0);
	assert_int_equal(ps_profile_check_ids(f->b, f->pool, p, "vm1", 3,
					      &f->e), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.field, "uuid");
	assert_string_equal(f->e.value, "11111111-2222-4333-8444-555555555555");
	assert_string_equal(f->e.holder, "vm 'vm2'");
}

static void test_release(void **state)
{
	struct fx *f = *state;
	char v[300];
	int p = prof(f->pool, "web"), v1;

	assert_int_equal(apply_from(f->b, CAP, f->pool, p, PSF_TARGET_VM,
				    "vm1", 3, &f->e), 0);
	assert_int_equal(ps_profile_release(f->b, CAP, "web", 3, 0, f->rnd,
					    sizeof f->rnd, &f->e), 1);
	valid(f->b);
	v1 = vm(f->b, "vm1");
	text(f->b, v1, PS_OBJ_VM, "uuid", v, sizeof v);
	assert_string_not_equal(v, "11111111-2222-4333-8444-555555555555");
	text(f->b, v1, PS_OBJ_VM, "serial", v, sizeof v);
	assert_string_equal(v, "");
	assert_int_equal(prof(f->b, "web"), PSF_ERR_NOTFOUND);
	assert_int_equal(ps_profile_check_ids(f->b, f->pool, p, NULL, 0,
					      &f->e), 0);
	/* Again: nothing carries it, nothing to do. */
	assert_int_equal(ps_profile_release(f->b, CAP, "web", 3, 0, f->rnd,
					    sizeof f->rnd, &f->e), 0);
	/* A host. */
	assert_int_equal(apply_from(f->a, CAP, f->pool, p,
				    PSF_TARGET_PHYSICAL,
				    "bmc://localhost", 15, &f->e), 0);
	assert_int_equal(ps_profile_release(f->a, CAP, "web", 3, 0, f->rnd,
					    sizeof f->rnd, &f->e), 1);
	assert_int_equal(ps_profile_carrier(f->a, "web", 3, &v1),
			 PSF_TARGET_NONE);
	assert_int_equal(prof(f->a, "web"), PSF_ERR_NOTFOUND);
	valid(f->a);
}

/* The pool's own VM: release keeps the copy and the move record. */
static void test_release_pool(void **state)
{
	struct fx *f = *state;
	char v[300];
	int p;

	host_vm(f->pool, "local", "52:54:00:00:02:01", "52:54:00:00:02:02");
	p = prof(f->pool, "web");
	assert_int_equal(ps_profile_assign(f->pool, CAP, p, "local", 5, &f->e),
			 0);
	p = prof(f->pool, "web");
	assert_int_equal(ps_profile_begin_move(f->pool, CAP, p,
					       PSF_TARGET_PHYSICAL,
					       "image:/a", 8, "local", 5), 0);
	assert_int_equal(ps_profile_release(f->pool, CAP, "web", 3, 1, f->rnd,
					    sizeof f->rnd, &f->e), 1);
	valid(f->pool);
	p = prof(f->pool, "web");
	assert_true(p >= 0);
	text(f->pool, p, PS_OBJ_PROFILE, "state", v, sizeof v);
	assert_string_equal(v, "in-transit");
	source_of(f->pool, p, v, sizeof v);
	assert_string_equal(v, "local");
	text(f->pool, vm(f->pool, "local"), PS_OBJ_VM, "profile", v, sizeof v);
	assert_string_equal(v, "");
}

/* No identifier of the profile in both stores a and b. */
static void assert_one_place(struct fx *f)
{
	int pa = prof(f->a, "web") >= 0, pb = prof(f->b, "web") >= 0, x;
	int ca = ps_profile_carrier(f->a, "web", 3, &x) != PSF_TARGET_NONE;
	int cb = ps_profile_carrier(f->b, "web", 3, &x) != PSF_TARGET_NONE;

	assert_false(ca && cb);
	assert_false(pa && pb);
	/* Every identifier of the profile, checked against the other. */
	if (pa)
		assert_int_equal(ps_profile_check_ids(f->b, f->a,
						      prof(f->a, "web"), NULL,
						      0, &f->e), 0);
	if (pb)
		assert_int_equal(ps_profile_check_ids(f->a, f->b,
						      prof(f->b, "web"), NULL,
						      0, &f->e), 0);
}

/* Steps of a move a (host) -> b#vm1, stopped after step k, then run
 * again from the start: every step is idempotent. */
static void move_steps(struct fx *f, int stop)
{
	int step, p;

	for (step = 1; step <= 4 && step <= stop; step++) {
		p = prof(f->pool, "web");
		switch (step) {
		case 1:
			if (prof(f->pool, "web") >= 0 && stop < 5)
				assert_int_equal(ps_profile_begin_move(
					f->pool, CAP, p, PSF_TARGET_VM,
					"image:/b#vm1", 12, "image:/a", 8), 0);
			break;
		case 2:
			assert_true(ps_profile_release(f->a, CAP, "web", 3, 0,
						       f->rnd, sizeof f->rnd,
						       &f->e) >= 0);
			break;
		case 3:
			assert_int_equal(apply_from(f->b, CAP, f->pool, p,
						    PSF_TARGET_VM, "vm1",
						    3, &f->e), 0);
			break;
		case 4:
			assert_int_equal(ps_profile_end_move(f->pool, CAP, p,
							     PSF_TARGET_VM,
							     "image:/b#vm1",
							     12), 0);
			break;
		}
		assert_one_place(f);
	}
}

static void test_crash_every_step(void **state)
{
	struct fx *f = *state;
	uint8_t p0[CAP], a0[CAP], b0[CAP];
	char v[300];
	int stop;

	assert_int_equal(apply_from(f->a, CAP, f->pool,
				    prof(f->pool, "web"),
				    PSF_TARGET_PHYSICAL,
				    "bmc://localhost", 15, &f->e), 0);
	assert_int_equal(ps_profile_end_move(f->pool, CAP,
					     prof(f->pool, "web"),
					     PSF_TARGET_PHYSICAL, "image:/a",
					     8), 0);
	memcpy(p0, f->pool, CAP);
	memcpy(a0, f->a, CAP);
	memcpy(b0, f->b, CAP);
	for (stop = 0; stop <= 4; stop++) {
		memcpy(f->pool, p0, CAP);
		memcpy(f->a, a0, CAP);
		memcpy(f->b, b0, CAP);
		move_steps(f, stop);     /* the run that crashed */
		move_steps(f, 4);        /* the rerun */
		valid(f->pool);
		valid(f->a);
		valid(f->b);
		text(f->pool, prof(f->pool, "web"), PS_OBJ_PROFILE, "state",
		     v, sizeof v);
		assert_string_equal(v, "assigned");
		text(f->b, vm(f->b, "vm1"), PS_OBJ_VM, "serial", v, sizeof v);
		assert_string_equal(v, "SN-WEB");
		assert_int_equal(prof(f->a, "web"), PSF_ERR_NOTFOUND);
	}
}

/* Named targets (ps_target_resolve): servers by name, SERVER#VM, bare
 * VM names, vm:NAME and full targets as written, and the refusals. */
static void test_resolve(void **state)
{
	static const struct {
		const char *in, *out;   /* out NULL: refused with rc, why */
		int rc;
		const char *why;
	} t[] = {
		{ "A", "bmc://10.0.0.5:623", 0, NULL },
		{ "A#vm1", "bmc://10.0.0.5:623#vm1", 0, NULL },
		{ "host-B#vm1", "image:/srv/hostb.img#vm1", 0, NULL },
		{ "host-B", "image:/srv/hostb.img", 0, NULL },
		{ "vm2", "vm2", 0, NULL },
		{ "vm:vm2", "vm:vm2", 0, NULL },
		{ "vm:dup", "vm:dup", 0, NULL },
		{ "bmc://10.0.0.9#vm1", "bmc://10.0.0.9#vm1", 0, NULL },
		{ "image:rel.img#x", "image:rel.img#x", 0, NULL },
		{ "a/b", "a/b", 0, NULL },
		{ "dup", NULL, PS_ERR_DUPLICATE, "vm:NAME" },
		{ "nosuch", NULL, PSF_ERR_NOTFOUND, "neither a server nor a VM" },
		{ "nosuch#vm1", NULL, PSF_ERR_NOTFOUND, "no server" },
		{ "vm2#vm1", NULL, PSF_ERR_NOTFOUND, "no server" },
		{ "empty#vm1", NULL, PS_ERR_BADVALUE, "no usable target" },
	};
	struct fx *f = *state;
	uint8_t *p = f->pool;
	char out[PS_CFG_TEXT_MAX + 1], small[8];
	const char *why;
	size_t i;
	int rc, root = psf_root(p);

	set(p, mk(p, PS_OBJ_SERVER, root, "A"), PS_OBJ_SERVER, "target",
	    "bmc://10.0.0.5");
	set(p, mk(p, PS_OBJ_SERVER, psf_root(p), "host-B"), PS_OBJ_SERVER,
	    "target", "image:/srv/hostb.img");
	set(p, mk(p, PS_OBJ_SERVER, psf_root(p), "dup"), PS_OBJ_SERVER,
	    "target", "dev:/dev/sdc");
	mk(p, PS_OBJ_SERVER, psf_root(p), "empty");
	mk(p, PS_OBJ_VM, psf_root(p), "vm2");
	mk(p, PS_OBJ_VM, psf_root(p), "dup");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		memset(out, 0x55, sizeof out);
		rc = ps_target_resolve(p, t[i].in, strlen(t[i].in), out,
				       sizeof out, &why);
		if (t[i].out ? rc != (int)strlen(t[i].out) ||
				       strcmp(out, t[i].out)
			     : rc != t[i].rc || !why || !strstr(why, t[i].why))
			fail_msg("%s: rc %d out '%.40s' why %s", t[i].in, rc,
				 rc >= 0 ? out : "", why ? why : "(null)");
	}
	/* The result must fit: refused, not cut. */
	assert_int_equal(ps_target_resolve(p, "A", 1, small, sizeof small,
					   &why), PS_ERR_BADVALUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_over_same_named,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_host_carries_other,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_assigned_elsewhere,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_bad_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elem_name_profile_of, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_ids_dangling_ref,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_pool, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_every_step, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
