/*
 * test_vm_move.c - a VM move between two stores (pstate/ps_move.c,
 * ps_move_host.c, ps_move.h): the record (leaving, arriving), each
 * per-store edit idempotent, the refusals changing nothing, the gate on
 * the destination (its identifiers, concentrator ports, references), the
 * step runner, and a whole move cut after every step: the resume rule
 * finds the next step from the two stores, and at every cut exactly one
 * copy is live, never two, never none.
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
#include "ps_test_util.h"

#define CAP 65536u
#define S_TXT "image:/s.img"
#define D_TXT "image:/d.img"

struct fx {
	uint8_t s[CAP], d[CAP], el[CAP];
	struct ps_cfg_err e;
};

static int mk(uint8_t *buf, enum ps_obj k, int parent, const char *name)
{
	int el = ps_obj_create(buf, CAP, parent, k, name, strlen(name), NULL);

	assert_true(el >= 0);
	return el;
}

static int vm(const uint8_t *buf, const char *n)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, n, strlen(n));
}

/* A VM with a UUID, a NIC on network "lan" and a serial port mapped to
 * concentrator port conc. */
static void a_vm(uint8_t *buf, const char *name, const char *uuid,
		 const char *mac, const char *conc)
{
	int v, el;

	if (ps_obj_find(buf, psf_root(buf), PS_OBJ_NETWORK, "lan", 3) < 0)
		mk(buf, PS_OBJ_NETWORK, psf_root(buf), "lan");
	v = mk(buf, PS_OBJ_VM, psf_root(buf), name);
	pst_set(buf, CAP, v, PS_OBJ_VM, "uuid", uuid);
	pst_set(buf, CAP, v, PS_OBJ_VM, "memory", "1G");
	v = vm(buf, name);
	el = mk(buf, PS_OBJ_NIC, v, "eth0");
	pst_set(buf, CAP, el, PS_OBJ_NIC, "mac", mac);
	v = vm(buf, name);
	el = ps_obj_find(buf, v, PS_OBJ_NIC, "eth0", 4);
	pst_set(buf, CAP, el, PS_OBJ_NIC, "network", "lan");
	v = vm(buf, name);
	el = mk(buf, PS_OBJ_SERIAL, v, "0");
	pst_set(buf, CAP, el, PS_OBJ_SERIAL, "concentrator", conc);
	v = vm(buf, name);
	el = ps_obj_find(buf, v, PS_OBJ_SERIAL, "0", 1);
	pst_set(buf, CAP, el, PS_OBJ_SERIAL, "hostname", name);
	pst_valid(buf, CAP);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	pst_empty(f->s, CAP);
	pst_empty(f->d, CAP);
	a_vm(f->s, "web", "5e5e5e5e-0000-4000-8000-000000000001",
	     "52:54:00:00:00:01", "7101");
	a_vm(f->d, "db", "5e5e5e5e-0000-4000-8000-000000000002",
	     "52:54:00:00:00:02", "7102");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static int state(const uint8_t *buf, const char *name)
{
	const char *p;
	uint32_t n;

	return ps_vm_move_state(buf, name, strlen(name), &p, &n);
}

/* ------------------------------------------------------------ the steps */

static int do_step(struct fx *f, int step)
{
	int rc, len;

	switch (step) {
	case PS_VM_STEP_MARK:
		rc = ps_vm_move_mark(f->s, CAP, "web", 3, D_TXT,
				     strlen(D_TXT), &f->e);
		break;
	case PS_VM_STEP_APPLY:
		len = ps_vm_move_export(f->s, vm(f->s, "web"), f->el, CAP);
		if (len < 0)
			return len;
		rc = ps_vm_move_apply(f->d, CAP, f->el, (size_t)len, S_TXT,
				      strlen(S_TXT), &f->e);
		break;
	case PS_VM_STEP_RELEASE:
		rc = ps_vm_move_release(f->s, CAP, "web", 3, D_TXT,
					strlen(D_TXT), &f->e);
		break;
	default:
		rc = ps_vm_move_settle(f->d, CAP, "web", 3, &f->e);
		break;
	}
	psf_finish(f->s);
	psf_finish(f->d);
	return rc;
}

/* Exactly one live copy: never two, never none. */
static void one_live(struct fx *f)
{
	int ss = state(f->s, "web"), ds = state(f->d, "web");
	int live = 0;

	if (ss != PS_VM_ABSENT)
		live += ps_vm_move_live(ss, 1);
	if (ds != PS_VM_ABSENT)
		live += ps_vm_move_live(ds, ss != PS_VM_ABSENT);
	assert_int_equal(live, 1);
}

/* Cut after every step k: the rule finds the next step, the rest of the
 * move (each step run twice: a rerun of a done step) finishes it. */
static void test_cut_every_step(void **st)
{
	struct fx *f = *st;
	int k, i, next;
	uint8_t s0[CAP], d0[CAP];

	memcpy(s0, f->s, CAP);
	memcpy(d0, f->d, CAP);
	for (k = 0; k <= PS_VM_STEP_SETTLE + 1; k++) {
		memcpy(f->s, s0, CAP);
		memcpy(f->d, d0, CAP);
		for (i = 0; i < k; i++) {
			assert_int_equal(do_step(f, i), 0);
			one_live(f);
			pst_valid(f->s, CAP);
			pst_valid(f->d, CAP);
		}
		/* The cut: what the two stores say is the next step. */
		next = ps_vm_move_next(state(f->s, "web"), state(f->d, "web"));
		assert_int_equal(next, k);
		/* The step before the cut again: nothing changes. */
		if (k > 0) {
			assert_int_equal(do_step(f, k - 1), 0);
			assert_int_equal(ps_vm_move_next(state(f->s, "web"),
							 state(f->d, "web")),
					 k);
		}
		for (i = next; i < PS_VM_STEP_DONE; i++) {
			assert_int_equal(do_step(f, i), 0);
			one_live(f);
		}
		assert_int_equal(state(f->s, "web"), PS_VM_ABSENT);
		assert_int_equal(state(f->d, "web"), PS_VM_HOME);
		assert_int_equal(ps_vm_move_next(PS_VM_ABSENT, PS_VM_HOME),
				 PS_VM_STEP_DONE);
		pst_valid(f->s, CAP);
		pst_valid(f->d, CAP);
	}
}

/* The VM arrives whole: its UUID, NIC and serial mapping (the same
 * concentrator port). */
static void test_object_whole(void **st)
{
	struct fx *f = *st;
	char v[64];
	int i, w, el;

	for (i = 0; i < PS_VM_STEP_DONE; i++)
		assert_int_equal(do_step(f, i), 0);
	w = vm(f->d, "web");
	assert_true(w >= 0);
	ps_obj_get(f->d, w, ps_obj_field(PS_OBJ_VM, "uuid", 4), v, sizeof v);
	assert_string_equal(v, "5e5e5e5e-0000-4000-8000-000000000001");
	el = ps_obj_find(f->d, w, PS_OBJ_SERIAL, "0", 1);
	assert_true(el >= 0);
	ps_obj_get(f->d, el, ps_obj_field(PS_OBJ_SERIAL, "concentrator", 12),
		   v, sizeof v);
	assert_string_equal(v, "7101");
	assert_true(ps_obj_find(f->d, w, PS_OBJ_NIC, "eth0", 4) >= 0);
	assert_true(vm(f->d, "db") >= 0);
	assert_true(vm(f->s, "web") < 0);
}

/* ------------------------------------------------------------ refusals */

static void test_refusals(void **st)
{
	struct fx *f = *st;
	uint8_t s0[CAP], d0[CAP];
	int len;

	/* No such VM. */
	assert_int_equal(ps_vm_move_mark(f->s, CAP, "nope", 4, D_TXT,
					 strlen(D_TXT), &f->e),
			 PSF_ERR_NOTFOUND);
	/* Release of a VM not marked: refused, nothing deleted. */
	memcpy(s0, f->s, CAP);
	assert_int_equal(ps_vm_move_release(f->s, CAP, "web", 3, D_TXT,
					    strlen(D_TXT), &f->e),
			 PS_ERR_INUSE);
	assert_memory_equal(s0, f->s, CAP);
	/* Marked for D: marked again for another store is refused and
	 * names D; for D again, no write. */
	assert_int_equal(do_step(f, PS_VM_STEP_MARK), 0);
	memcpy(s0, f->s, CAP);
	assert_int_equal(ps_vm_move_mark(f->s, CAP, "web", 3, "image:/x", 8,
					 &f->e), PS_ERR_INUSE);
	assert_non_null(strstr(f->e.holder, D_TXT));
	assert_int_equal(ps_vm_move_mark(f->s, CAP, "web", 3, D_TXT,
					 strlen(D_TXT), &f->e), 0);
	assert_memory_equal(s0, f->s, CAP);
	/* Released toward another store: refused. */
	assert_int_equal(ps_vm_move_release(f->s, CAP, "web", 3, "image:/x",
					    8, &f->e), PS_ERR_INUSE);
	/* D has a VM of that name at home: apply refused, D unchanged. */
	a_vm(f->d, "web", "5e5e5e5e-0000-4000-8000-000000000009",
	     "52:54:00:00:00:09", "7109");
	memcpy(d0, f->d, CAP);
	len = ps_vm_move_export(f->s, vm(f->s, "web"), f->el, CAP);
	assert_true(len > 0);
	assert_int_equal(ps_vm_move_apply(f->d, CAP, f->el, (size_t)len,
					  S_TXT, strlen(S_TXT), &f->e),
			 PS_ERR_INUSE);
	assert_memory_equal(d0, f->d, CAP);
	assert_int_equal(ps_vm_move_next(PS_VM_LEAVING, PS_VM_HOME),
			 PS_ERR_INUSE);
	assert_int_equal(ps_vm_move_next(PS_VM_ABSENT, PS_VM_ABSENT),
			 PSF_ERR_NOTFOUND);
	/* Not a VM element. */
	assert_int_equal(ps_vm_move_apply(f->d, CAP, f->el, 8, S_TXT,
					  strlen(S_TXT), &f->e), PS_ERR_INVAL);
}

/* The gate on the destination: a problem the apply brings is reported
 * (one line naming it), one D had before is not. */
static void gate_case(struct fx *f, const char *uuid, const char *mac,
		      const char *conc, int drop_net, const char *word)
{
	struct pst_msgs m = { 0 };
	uint8_t d0[CAP];
	int len, n;

	pst_empty(f->s, CAP);
	a_vm(f->s, "web", uuid, mac, conc);
	if (drop_net) {
		/* D without network "lan": its own VM moves off it first. */
		int net, n0 = ps_obj_find(f->d, vm(f->d, "db"), PS_OBJ_NIC,
					  "eth0", 4);

		pst_set(f->d, CAP, n0, PS_OBJ_NIC, "network", "");
		net = ps_obj_find(f->d, psf_root(f->d), PS_OBJ_NETWORK, "lan",
				  3);
		assert_int_equal(ps_obj_delete(f->d, net, PS_OBJ_NETWORK,
					       &f->e), 0);
		pst_valid(f->d, CAP);
	}
	memcpy(d0, f->d, CAP);
	len = ps_vm_move_export(f->s, vm(f->s, "web"), f->el, CAP);
	assert_true(len > 0);
	assert_int_equal(ps_vm_move_apply(f->d, CAP, f->el, (size_t)len,
					  S_TXT, strlen(S_TXT), &f->e), 0);
	psf_finish(f->d);
	n = ps_move_gate(d0, psf_total(d0), f->d, psf_total(f->d),
			 pst_collect, &m);
	assert_int_equal(n, 1);
	assert_int_equal(m.n, 1);
	assert_non_null(strstr(m.all, word));
	memcpy(f->d, d0, CAP);
}

static void test_gate(void **st)
{
	struct fx *f = *st;
	struct pst_msgs m = { 0 };
	int len;

	/* The concentrator port taken on D. */
	gate_case(f, "5e5e5e5e-0000-4000-8000-000000000001",
		  "52:54:00:00:00:01", "7102", 0, "7102");
	/* The UUID held on D. */
	gate_case(f, "5e5e5e5e-0000-4000-8000-000000000002",
		  "52:54:00:00:00:01", "7101", 0,
		  "5e5e5e5e-0000-4000-8000-000000000002");
	/* A MAC held on D. */
	gate_case(f, "5e5e5e5e-0000-4000-8000-000000000001",
		  "52:54:00:00:00:02", "7101", 0, "52:54:00:00:00:02");
	/* The NIC's network missing on D. */
	gate_case(f, "5e5e5e5e-0000-4000-8000-000000000001",
		  "52:54:00:00:00:01", "7101", 1, "lan");
	/* A clean one passes. */
	pst_empty(f->d, CAP);
	a_vm(f->d, "db", "5e5e5e5e-0000-4000-8000-000000000002",
	     "52:54:00:00:00:02", "7102");
	len = ps_vm_move_export(f->s, vm(f->s, "web"), f->el, CAP);
	assert_int_equal(ps_vm_move_apply(f->d, CAP, f->el, (size_t)len,
					  S_TXT, strlen(S_TXT), &f->e), 0);
	psf_finish(f->d);
	assert_int_equal(ps_move_gate(NULL, 0, f->d, psf_total(f->d),
				      pst_collect, &m), 0);
	assert_int_equal(m.n, 0);
}

/* The resume rule on the stores: the records must be this move's. */
static int where(struct fx *f, const char *src, const char *dst)
{
	return ps_vm_move_where(f->s, f->d, "web", 3, src, strlen(src), dst,
				strlen(dst), &f->e);
}

static void test_where(void **st)
{
	struct fx *f = *st;
	struct pst_msgs m = { 0 };
	int len;

	assert_int_equal(where(f, S_TXT, D_TXT), PS_VM_STEP_MARK);
	assert_int_equal(ps_vm_move_mark(f->s, CAP, "web", 3, "image:/x", 8,
					 &f->e), 0);
	/* Leaving for another store: that move first. */
	assert_int_equal(where(f, S_TXT, D_TXT), PS_ERR_INUSE);
	assert_non_null(strstr(f->e.holder, "image:/x"));
	assert_int_equal(where(f, S_TXT, "image:/x"), PS_VM_STEP_APPLY);
	/* Arriving at D from another source. */
	len = ps_vm_move_export(f->s, vm(f->s, "web"), f->el, CAP);
	assert_int_equal(ps_vm_move_apply_gated(f->d, CAP, f->el, (size_t)len,
						"image:/y", 8, pst_collect, &m,
						&f->e), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(where(f, S_TXT, "image:/x"), PS_ERR_INUSE);
	assert_non_null(strstr(f->e.holder, "image:/y"));
	/* In neither store. */
	assert_int_equal(ps_vm_move_where(f->s, f->d, "none", 4, S_TXT,
					  strlen(S_TXT), D_TXT, strlen(D_TXT),
					  &f->e), PSF_ERR_NOTFOUND);
}

/* The gated apply refuses with the gate's lines and leaves nothing. */
static void test_apply_gated(void **st)
{
	struct fx *f = *st;
	struct pst_msgs m = { 0 };
	int len;

	pst_empty(f->s, CAP);
	a_vm(f->s, "web", "5e5e5e5e-0000-4000-8000-000000000001",
	     "52:54:00:00:00:01", "7102");
	len = ps_vm_move_export(f->s, vm(f->s, "web"), f->el, CAP);
	assert_int_equal(ps_vm_move_apply_gated(f->d, CAP, f->el, (size_t)len,
						S_TXT, strlen(S_TXT),
						pst_collect, &m, &f->e),
			 PS_ERR_INUSE);
	assert_int_equal(m.n, 1);
	assert_non_null(strstr(m.all, "7102"));
}

/* ------------------------------------------------------------ runner */

static char order[64];

static int r_a(void *ctx) { (void)ctx; strcat(order, "a"); return 0; }
static int r_b(void *ctx) { (void)ctx; strcat(order, "b"); return 0; }
static int r_fail(void *ctx) { (void)ctx; strcat(order, "x"); return -7; }

static void test_runner(void **st)
{
	struct ps_move_step s1[4] = { { "mark", r_a }, { "apply", NULL },
				      { "release", r_b }, { "settle", r_a } };
	struct ps_move_step s2[3] = { { "mark", r_a }, { "apply", r_fail },
				      { "settle", r_b } };

	(void)st;
	order[0] = 0;
	assert_int_equal(ps_move_run(s1, 4, 0, NULL), 0);
	assert_string_equal(order, "aba");
	order[0] = 0;
	assert_int_equal(ps_move_run(s1, 4, 2, NULL), 0);
	assert_string_equal(order, "ba");
	order[0] = 0;
	assert_int_equal(ps_move_run(s2, 3, 0, NULL), -7);
	assert_string_equal(order, "ax");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_every_step, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_object_whole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_where, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_gated, setup,
						teardown),
		cmocka_unit_test(test_runner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
