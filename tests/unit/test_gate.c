/*
 * test_gate.c - one gate: every value rule the edit layer enforces is
 * reported by the whole-store check (ps_cfg_check) with the edit's own
 * reason, when the value is written behind the edit layer's back (an
 * import, a BMC element, a foreign writer); core elements out of place
 * (schema table) are reported; a store the edits built is clean.
 *
 * Table-driven: each case names an object and field, the text an edit
 * is refused for, and the bad bytes written raw.  The edit must fail and
 * leave the store byte-identical; the raw write must give exactly one
 * problem line, "WHO: FIELD 'VALUE': WHY", WHY the edit's reason as
 * psctl prints it (ps_field_why).
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
#include "ps_test_util.h"

#define CAP 65536u

static uint8_t buf[CAP], before[CAP];


static int check(struct pst_msgs *m)
{
	memset(m, 0, sizeof(*m));
	assert_int_equal(psf_finish(buf), 0);
	return ps_cfg_check(buf, psf_total(buf), pst_collect, m);
}

static int obj(int parent, enum ps_obj k, const char *key)
{
	int el = ps_obj_find(buf, parent, k, key, strlen(key));

	assert_true(el >= 0);
	return el;
}

static int mk(int parent, enum ps_obj k, const char *key)
{
	int el = ps_obj_create(buf, CAP, parent, k, key, strlen(key), NULL);

	assert_true(el >= 0);
	return el;
}

static void set(int el, enum ps_obj k, const char *f, const char *v)
{
	struct ps_cfg_err e;

	if (ps_obj_set(buf, CAP, el, k, f, strlen(f), v, strlen(v), &e))
		fail_msg("set %s %s: %s", f, v, e.why ? e.why : "?");
}

/* VM web (uuid, cpus 2, NIC n0, serial port 1, restart policy), network
 * lan, profile p (a MAC): valid by construction. */
static void build(void)
{
	struct psf_builder b;
	int r, vm;

	memset(buf, 0, CAP);
	assert_true(psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION,
				    0) >= 0);
	assert_true(psf_build_finish(&b) >= 0);
	r = psf_root(buf);
	mk(r, PS_OBJ_NETWORK, "lan");
	vm = mk(r, PS_OBJ_VM, "web");
	set(vm, PS_OBJ_VM, "uuid", "11111111-2222-4333-8444-555555555555");
	set(obj(r, PS_OBJ_VM, "web"), PS_OBJ_VM, "cpus", "2");
	vm = obj(r, PS_OBJ_VM, "web");
	mk(vm, PS_OBJ_NIC, "n0");
	vm = obj(r, PS_OBJ_VM, "web");
	set(obj(vm, PS_OBJ_NIC, "n0"), PS_OBJ_NIC, "mac", "02:00:00:00:00:01");
	vm = obj(r, PS_OBJ_VM, "web");
	mk(vm, PS_OBJ_SERIAL, "1");
	set(obj(r, PS_OBJ_VM, "web"), PS_OBJ_VM, "restart-policy", "on");
	set(obj(r, PS_OBJ_VM, "web"), PS_OBJ_VM, "restart-limit", "3");
	mk(r, PS_OBJ_PROFILE, "p");
	set(obj(r, PS_OBJ_PROFILE, "p"), PS_OBJ_PROFILE, "macs",
	    "02:00:00:00:00:09");
}

/* The object a case edits: "web", "web/n0" (a NIC), "web:1" (a serial
 * port), or a top-level name of kind k. */
static int target(enum ps_obj k, const char *path)
{
	int r = psf_root(buf), vm = obj(r, PS_OBJ_VM, "web");

	if (k == PS_OBJ_NIC || k == PS_OBJ_SERIAL)
		return obj(vm, k, path);
	return obj(r, k, path);
}

enum raw { R_UINT, R_BYTES, R_STR };

static const struct gcase {
	enum ps_obj k;
	const char *key, *field, *text;  /* the refused edit */
	enum raw raw;
	uint64_t u;                      /* R_UINT */
	const char *b;                   /* R_BYTES (len n) or R_STR */
	uint32_t n;
	const char *line;                /* the check's problem line */
} cases[] = {
	{ PS_OBJ_VM, "web", "cpus", "0", R_UINT, 0, NULL, 0,
	  "vm 'web': cpus '0': out of range (1-4096)" },
	{ PS_OBJ_VM, "web", "cpus", "5000", R_UINT, 5000, NULL, 0,
	  "vm 'web': cpus '5000': out of range (1-4096)" },
	{ PS_OBJ_VM, "web", "memory", "17TiB", R_UINT, (1ull << 34) + 1,
	  NULL, 0, "vm 'web': memory '17179869185KiB': out of range" },
	{ PS_OBJ_VM, "web", "power", "sometimes", R_UINT, 7, NULL, 0,
	  "vm 'web': power '7': not one of: off, on, last" },
	{ PS_OBJ_VM, "web", "uuid", "00000000-0000-0000-0000-000000000000",
	  R_BYTES, 0, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16,
	  "vm 'web': uuid '00000000-0000-0000-0000-000000000000': nil UUID" },
	{ PS_OBJ_VM, "web", "serial", " S1", R_STR, 0, " S1", 3,
	  "vm 'web': serial ' S1': leading or trailing space" },
	{ PS_OBJ_VM, "web", "description", "a\tb", R_STR, 0, "a\tb", 3,
	  "vm 'web': description 'a?b': control characters" },
	{ PS_OBJ_VM, "web", "restart-limit", "16", R_UINT, 16, NULL, 0,
	  "vm 'web': restart-limit '16': out of range (0-15)" },
	{ PS_OBJ_NIC, "n0", "mac", "01:00:00:00:00:01", R_BYTES, 0,
	  "\x01\0\0\0\0\x01", 6,
	  "nic 'n0' of vm 'web': mac '01:00:00:00:00:01': multicast address" },
	{ PS_OBJ_NIC, "n0", "mac", "00:00:00:00:00:00", R_BYTES, 0,
	  "\0\0\0\0\0\0", 6,
	  "nic 'n0' of vm 'web': mac '00:00:00:00:00:00': all-zero address" },
	{ PS_OBJ_NIC, "n0", "model", "tulip", R_UINT, 9, NULL, 0,
	  "nic 'n0' of vm 'web': model '9': not one of: default, virtio, e1000, rtl8139" },
	{ PS_OBJ_SERIAL, "1", "port", "256", R_UINT, 256, NULL, 0,
	  "serial-port '256' of vm 'web': port '256': out of range (0-255)" },
	{ PS_OBJ_NETWORK, "lan", "vlan", "4095", R_UINT, 4095, NULL, 0,
	  "network 'lan': vlan '4095': out of range (0-4094)" },
	{ PS_OBJ_PROFILE, "p", "macs", "03:00:00:00:00:01", R_STR, 0,
	  "\x03\0\0\0\0\x01", 6,
	  "profile 'p': macs '03:00:00:00:00:01': multicast address" },
	{ PS_OBJ_PROFILE, "p", "uuid", "00000000-0000-0000-0000-000000000000",
	  R_BYTES, 0, NULL, 0, NULL },  /* a profile's unset UUID: fine */
};

/* The case's bad value written raw into the store (no edit rules). */
static void write_raw(const struct gcase *c)
{
	const struct ps_field *f = ps_obj_field(c->k, c->field,
						strlen(c->field));
	int el = target(c->k, c->key), at = el;
	uint8_t le[8];

	assert_non_null(f);
	if (f->in)
		at = psf_find_child(buf, el, f->in);
	assert_true(at >= 0);
	if (c->raw == R_STR) {
		assert_true(psf_set_child(buf, CAP, at, f->sig, c->b, c->n) >= 0);
		return;
	}
	at = psf_find_child(buf, at, f->sig);
	assert_true(at >= 0);
	if (c->raw == R_UINT) {
		psf_put_le64(le, c->u);
		assert_int_equal(psf_wip_write(buf, at, f->off, le, f->width), 0);
	} else if (c->b) {
		assert_int_equal(psf_wip_write(buf, at, f->off, c->b, c->n), 0);
	} else {
		memset(le, 0, sizeof le);
		assert_int_equal(psf_wip_write(buf, at, f->off, le, 8), 0);
		assert_int_equal(psf_wip_write(buf, at, f->off + 8, le, 8), 0);
	}
}

static void test_each_value_rule(void **state)
{
	struct ps_cfg_err e;
	struct pst_msgs m;
	char why[64];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct gcase *c = &cases[i];

		build();
		assert_int_equal(check(&m), 0);
		/* The edit refuses, nothing written. */
		memcpy(before, buf, CAP);
		rc = ps_obj_set(buf, CAP, target(c->k, c->key), c->k, c->field,
				strlen(c->field), c->text, strlen(c->text), &e);
		if (!c->line)
			continue;
		if (rc != PS_ERR_BADVALUE)
			fail_msg("case %zu: edit %s '%s' gave %d", i, c->field,
				 c->text, rc);
		assert_memory_equal(before, buf, CAP);
		ps_field_why(ps_obj_field(c->k, c->field, strlen(c->field)),
			     e.why, why, sizeof why);
		/* The check reports the same value written raw, with the
		 * edit's reason. */
		write_raw(c);
		if (check(&m) != 1 || !strstr(m.all, c->line) ||
		    !strstr(c->line, why))
			fail_msg("case %zu: %d problems, want '%s' (edit: '%s'):"
				 "\n%s", i, m.n, c->line, why, m.all);
	}
	/* A profile's all-zero UUID is "not set", no problem. */
	build();
	write_raw(&cases[sizeof(cases) / sizeof(cases[0]) - 1]);
	assert_int_equal(check(&m), 0);
}

/* A VM without any record has no UUID: reported. */
static void test_vm_without_uuid(void **state)
{
	struct pst_msgs m;
	int vm;

	(void)state;
	build();
	vm = obj(psf_root(buf), PS_OBJ_VM, "web");
	assert_int_equal(psf_wip_nop(buf, psf_find_child(buf, vm,
							 PSF_VM_CONFIG)), 0);
	assert_int_equal(check(&m), 1);
	assert_non_null(strstr(m.all, "vm 'web': uuid "
				      "'00000000-0000-0000-0000-000000000000'"
				      ": nil UUID"));
}

/* Records cut short keep their defaults: a NIC without a record (MAC
 * assigned by the hypervisor) is fine. */
static void test_short_records_default(void **state)
{
	struct pst_msgs m;
	int vm, nic;

	(void)state;
	build();
	vm = obj(psf_root(buf), PS_OBJ_VM, "web");
	nic = obj(vm, PS_OBJ_NIC, "n0");
	assert_int_equal(psf_wip_nop(buf, psf_find_child(buf, nic,
							 PSF_NIC_CONFIG)), 0);
	assert_int_equal(check(&m), 0);
}

/* Placement from the schema table: each misplaced element one line. */
static void test_placement(void **state)
{
	static const struct {
		int where;      /* 0 root, 1 networks set, 2 nic n0, 3 vm */
		uint32_t sig;
		const char *line;
	} p[] = {
		{ 0, PSF_NAME, "root: name: not allowed here" },
		{ 1, PSF_VM, "network set: vm 'ghost': not allowed here" },
		{ 2, PSF_DESCRIPTION,
		  "nic 'n0' of vm 'web': description: not allowed here" },
		{ 3, PSF_NETWORKS, "vm 'web': network set: not allowed here" },
		{ 0, PSF_NIC, "root: nic 'ghost': not allowed here" },
	};
	struct pst_msgs m;
	size_t i;
	int at, el, r;

	(void)state;
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		build();
		r = psf_root(buf);
		at = p[i].where == 0 ? r
		     : p[i].where == 1 ? psf_find_child(buf, r, PSF_NETWORKS)
		     : p[i].where == 3 ? obj(r, PS_OBJ_VM, "web")
		     : obj(obj(r, PS_OBJ_VM, "web"), PS_OBJ_NIC, "n0");
		assert_true(at >= 0);
		if (PSF_SIG_IS_CONTAINER(p[i].sig)) {
			el = psf_insert(buf, CAP, at, -1, p[i].sig, NULL, 0);
			assert_true(el >= 0);
			if (p[i].sig != PSF_NETWORKS)
				assert_true(psf_insert(buf, CAP, el, -1,
						       PSF_NAME, "ghost",
						       5) >= 0);
		} else {
			assert_true(psf_insert(buf, CAP, at, -1, p[i].sig, "x",
					       1) >= 0);
		}
		if (check(&m) != 1 || !strstr(m.all, p[i].line))
			fail_msg("case %zu: %d problems, want '%s':\n%s", i,
				 m.n, p[i].line, m.all);
	}
	/* Elements the kind table does not describe, and other
	 * namespaces', are left alone. */
	build();
	r = psf_root(buf);
	assert_true(psf_insert(buf, CAP, r, -1, PSF_STORE_INFO, NULL, 0) >= 0);
	assert_true(psf_insert(buf, CAP, obj(psf_root(buf), PS_OBJ_VM, "web"),
			       -1, PSF_SIG(0, 0x7777, 1), "v", 1) >= 0);
	assert_int_equal(check(&m), 0);
}

/* vm create writes cpus 1 (its smallest value), not 0. */
static void test_create_defaults(void **state)
{
	char out[16];
	int vm;

	(void)state;
	build();
	vm = mk(psf_root(buf), PS_OBJ_VM, "fresh");
	ps_obj_get(buf, vm, ps_obj_field(PS_OBJ_VM, "cpus", 4), out,
		   sizeof out);
	assert_string_equal(out, "1");
}

/* ps_obj_set_value applies the same rules to a parsed value. */
static void test_set_value_rules(void **state)
{
	const struct ps_field *f = ps_obj_field(PS_OBJ_NIC, "mac", 3);
	struct ps_value v = { 0 };
	struct ps_cfg_err e;
	int nic;

	(void)state;
	build();
	nic = obj(obj(psf_root(buf), PS_OBJ_VM, "web"), PS_OBJ_NIC, "n0");
	memcpy(v.b, "\x01\x02\x03\x04\x05\x06", 6);
	v.len = 6;
	memcpy(before, buf, CAP);
	assert_int_equal(ps_obj_set_value(buf, CAP, nic, PS_OBJ_NIC, f, &v,
					  &e), PS_ERR_BADVALUE);
	assert_string_equal(e.why, "multicast address");
	assert_memory_equal(before, buf, CAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_value_rule),
		cmocka_unit_test(test_vm_without_uuid),
		cmocka_unit_test(test_short_records_default),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_create_defaults),
		cmocka_unit_test(test_set_value_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
