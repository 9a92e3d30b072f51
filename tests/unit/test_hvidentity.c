/*
 * test_hvidentity.c - identities moved by a profile, against libvirt's
 * test driver (test:///default, in-process, fresh for every test): a
 * profile assigned to a synced VM, unassigned from it, and moved from one
 * VM to another in one pass replace the old domain by one under the new
 * UUID (a running one destroyed first), move the synced record, and leave
 * no UUID or MAC defined twice; the pass after it does nothing.  A UUID
 * changed in the store without a profile change, or changed in libvirt,
 * is still refused with nothing touched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "hv.h"
#include "hv_test_util.h"


static const char *const U1 = "11111111-1111-4111-8111-111111111111";
static const char *const U2 = "22222222-2222-4222-8222-222222222222";
static const char *const UP = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
static const char *const MAC1 = "02:00:00:00:00:01";
static const char *const MAC2 = "02:00:00:00:00:02";
static const char *const MACP = "02:00:00:00:aa:01";

/* ------------------------------------------------------------ store edits */

static void set(void *buf, size_t cap, int el, enum ps_obj k,
		const char *f, const char *v)
{
	struct ps_cfg_err e = { 0 };

	assert_int_equal(ps_obj_set(buf, cap, el, k, f, strlen(f), v,
				    strlen(v), &e), 0);
}

static void mk_vm(void *buf, size_t cap, const char *name, const char *uuid,
		  const char *serial, const char *mac)
{
	struct ps_cfg_err e = { 0 };
	int vm = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_VM, name,
			       strlen(name), &e), nic;

	assert_true(vm >= 0);
	set(buf, cap, vm, PS_OBJ_VM, "uuid", uuid);
	set(buf, cap, vm, PS_OBJ_VM, "serial", serial);
	nic = ps_obj_create(buf, cap, vm, PS_OBJ_NIC, "eth0", 4, &e);
	assert_true(nic >= 0);
	set(buf, cap, nic, PS_OBJ_NIC, "mac", mac);
}

static int edit_setup(void *buf, size_t cap, void *arg)
{
	struct ps_cfg_err e = { 0 };
	int p;

	(void)arg;
	mk_vm(buf, cap, "vm1", U1, "SN-1", MAC1);
	mk_vm(buf, cap, "vm2", U2, "SN-2", MAC2);
	p = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_PROFILE, "P", 1, &e);
	assert_true(p >= 0);
	set(buf, cap, p, PS_OBJ_PROFILE, "uuid", UP);
	set(buf, cap, p, PS_OBJ_PROFILE, "serial", "SN-P");
	set(buf, cap, p, PS_OBJ_PROFILE, "macs", MACP);
	return 0;
}

static int profile_of(void *buf)
{
	int p = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, "P", 1);

	assert_true(p >= 0);
	return p;
}

/* What `psctl profile assign P VM` does to this store. */
static int edit_assign(void *buf, size_t cap, void *arg)
{
	const char *vm = arg;
	struct ps_cfg_err e = { 0 };

	assert_int_equal(ps_profile_assign(buf, cap, profile_of(buf), vm,
					   strlen(vm), &e), 0);
	return 0;
}

static void unassign(void *buf, size_t cap)
{
	uint8_t rnd[PS_CFG_RND_UNASSIGN];
	struct ps_cfg_err e = { 0 };
	size_t i;

	for (i = 0; i < sizeof rnd; i++)
		rnd[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(ps_profile_unassign(buf, cap, profile_of(buf), rnd,
					     sizeof rnd, &e), 0);
}

static int edit_unassign(void *buf, size_t cap, void *arg)
{
	(void)arg;
	unassign(buf, cap);
	return 0;
}

/* `psctl profile move P VM` within one host store: release, then apply;
 * the agent sees both in one pass. */
static int edit_move(void *buf, size_t cap, void *arg)
{
	unassign(buf, cap);
	return edit_assign(buf, cap, arg);
}

static int edit_uuid(void *buf, size_t cap, void *arg)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, "vm1", 3);

	assert_true(vm >= 0);
	set(buf, cap, vm, PS_OBJ_VM, "uuid", arg);
	return 0;
}

static void store_edit(struct hv_env *v, ps_edit_fn fn, const char *arg)
{
	assert_int_equal(ps_update(v->store, fn, (void *)arg, 0), 0);
}

/* The store VM's UUID, as text. */
static void store_uuid(struct hv_env *v, const char *name, char out[37])
{
	uint32_t len;
	const void *d = ps_store_data(v->store, &len);
	int vm = ps_obj_find(d, psf_root(d), PS_OBJ_VM, name, strlen(name));
	uint8_t u[16];

	assert_true(vm >= 0);
	assert_int_equal(hv_store_vm_uuid(d, vm, u), 0);
	ps_fmt_uuid(u, out);
}

/* ------------------------------------------------------------ libvirt */

static int setup(void **state)
{
	struct hv_env *v = hv_env_new(edit_setup, HV_ADOPT_MARKED);

	/* a fresh driver state: the VMs are not defined yet */
	assert_null(virDomainLookupByName(v->conn, "vm1"));
	assert_int_equal(hv_sync_pass(&v->s, &v->st), 0);
	assert_int_equal(v->st.defines, 2);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	hv_env_free(*state);
	return 0;
}


static void dom_uuid(struct hv_env *v, const char *name, char out[37])
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);

	assert_non_null(d);
	assert_int_equal(virDomainGetUUIDString(d, out), 0);
	virDomainFree(d);
}

static int uuid_defined(struct hv_env *v, const char *uuid)
{
	virDomainPtr d = virDomainLookupByUUIDString(v->conn, uuid);

	if (d)
		virDomainFree(d);
	return d != NULL;
}

static int dom_active(struct hv_env *v, const char *name)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	int a;

	assert_non_null(d);
	a = virDomainIsActive(d);
	virDomainFree(d);
	return a;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Across every persistent domain: the UUID and each MAC of the store's
 * VMs and of the profile at most once.  *total the number of domains. */
static void assert_each_once(struct hv_env *v, size_t *total)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(v->conn, &doms,
					 VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
	const char *ids[] = { U1, U2, UP, MAC1, MAC2, MACP };
	size_t i, j, seen[6] = { 0 };

	assert_true(n >= 0);
	for (i = 0; i < (size_t)n; i++) {
		char *x = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
		char uuid[VIR_UUID_STRING_BUFLEN];

		assert_non_null(x);
		assert_int_equal(virDomainGetUUIDString(doms[i], uuid), 0);
		for (j = 0; j < 6; j++)
			seen[j] += j < 3 ? !strcmp(uuid, ids[j])
					 : count(x, ids[j]);
		free(x);
		virDomainFree(doms[i]);
	}
	free(doms);
	for (j = 0; j < 6; j++)
		if (seen[j] > 1)
			fail_msg("%s defined %zu times", ids[j], seen[j]);
	*total = (size_t)n;
}

/* The synced record: present for uuid (1) or not (0). */
static int has_record(struct hv_env *v, const char *uuid)
{
	uint32_t len;
	const void *d = ps_store_data(v->store, &len);
	struct hv_bases b;
	uint8_t u[16];
	int found;

	assert_int_equal(ps_parse_uuid(uuid, strlen(uuid), u, NULL), 0);
	assert_int_equal(hv_state_load(d, &b), 0);
	found = hv_bases_find(&b, u) != NULL;
	hv_bases_free(&b);
	return found;
}

/* The next pass finds nothing to do. */
static void assert_quiet(struct hv_env *v)
{
	struct hv_stats st;

	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.defines + st.undefines + st.moves + st.commits +
			 st.pushed + st.pulled + st.refused, 0);
	assert_int_equal(st.sectors_written, 0);
}

/* hv_log's lines of one pass, from stderr. */
static int pass_logged(struct hv_env *v, int want_rc, char *log, size_t n)
{
	char path[] = "/tmp/hvidentXXXXXX";
	int fd = mkstemp(path), saved = dup(2), rc;
	ssize_t got;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	rc = hv_sync_pass(&v->s, &v->st);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	got = pread(fd, log, n - 1, 0);
	close(fd);
	unlink(path);
	log[got > 0 ? got : 0] = '\0';
	assert_int_equal(rc, want_rc);
	return rc;
}

static void pass(struct hv_env *v, int want_rc)
{
	assert_int_equal(hv_sync_pass(&v->s, &v->st), want_rc);
}

/* ------------------------------------------------------------ tests */

/* vm carries P: its old domain is gone, the domain of that name has P's
 * UUID, serial and MAC, and the record is under P's UUID. */
static void assert_carries_p(struct hv_env *v, const char *vm,
			     const char *old_uuid)
{
	char u[VIR_UUID_STRING_BUFLEN], *x;
	size_t total;

	assert_false(uuid_defined(v, old_uuid));
	dom_uuid(v, vm, u);
	assert_string_equal(u, UP);
	x = hv_env_dom_xml(v, vm);
	assert_non_null(strstr(x, "<entry name='serial'>SN-P</entry>"));
	assert_non_null(strstr(x, "<entry name='uuid'>aaaaaaaa-"));
	assert_non_null(strstr(x, MACP));
	free(x);
	assert_true(has_record(v, UP));
	assert_false(has_record(v, old_uuid));
	assert_each_once(v, &total);
	assert_int_equal(total, 3);   /* vm1, vm2, the driver's "test" */
}

static void assign_to(struct hv_env *v, const char *vm, const char *old_uuid,
		      const char *other, const char *other_uuid)
{
	char u[VIR_UUID_STRING_BUFLEN];

	store_edit(v, edit_assign, vm);
	pass(v, 0);
	assert_int_equal(v->st.moves, 1);
	assert_int_equal(v->st.undefines, 1);
	assert_int_equal(v->st.defines, 1);
	assert_int_equal(v->st.destroys, 0);
	assert_int_equal(v->st.refused, 0);
	assert_int_equal(v->st.commits, 1);
	assert_carries_p(v, vm, old_uuid);
	/* the other VM is untouched */
	dom_uuid(v, other, u);
	assert_string_equal(u, other_uuid);
	assert_quiet(v);
}

/* The VM read first from the store takes the profile ... */
static void test_assign_first_vm(void **state)
{
	assign_to(*state, "vm1", U1, "vm2", U2);
}

/* ... and the one read last (the pairs planned in the other order). */
static void test_assign_second_vm(void **state)
{
	assign_to(*state, "vm2", U2, "vm1", U1);
}

static int edit_power_last(void *buf, size_t cap, void *arg)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, "vm1", 3);

	(void)arg;
	assert_true(vm >= 0);
	set(buf, cap, vm, PS_OBJ_VM, "power", "last");
	return 0;
}

/* vm1 at power "last", running: recorded as running. */
static void run_vm1_last(struct hv_env *v)
{
	virDomainPtr d = virDomainLookupByName(v->conn, "vm1");

	assert_non_null(d);
	assert_int_equal(virDomainCreate(d), 0);
	virDomainFree(d);
	store_edit(v, edit_power_last, NULL);
	pass(v, 0);
	assert_int_equal(v->st.commits, 1);
}

/* A running domain is destroyed before the identity is defined anew,
 * logged with both UUIDs; outside a boot pass it is not started again. */
static void test_assign_running_destroyed(void **state)
{
	struct hv_env *v = *state;
	char log[8192];

	run_vm1_last(v);
	store_edit(v, edit_assign, "vm1");
	pass_logged(v, 0, log, sizeof log);
	assert_int_equal(v->st.destroys, 1);
	assert_int_equal(v->st.moves, 1);
	assert_int_equal(v->st.starts, 0);
	assert_non_null(strstr(log, "destroyed: identity moved by profile"));
	assert_non_null(strstr(log, U1));
	assert_non_null(strstr(log, UP));
	assert_carries_p(v, "vm1", U1);
	assert_int_equal(dom_active(v, "vm1"), 0);
	assert_quiet(v);
}

/* The same in a boot pass: power "last" and recorded running (the
 * record moved with the identity), so the new domain is started. */
static void test_assign_boot_pass_starts_last(void **state)
{
	struct hv_env *v = *state;

	run_vm1_last(v);
	store_edit(v, edit_assign, "vm1");
	v->s.boot = 1;
	pass(v, 0);
	v->s.boot = 0;
	assert_int_equal(v->st.destroys, 1);
	assert_int_equal(v->st.starts, 1);
	assert_carries_p(v, "vm1", U1);
	assert_int_equal(dom_active(v, "vm1"), 1);
	assert_quiet(v);
}

/* Unassign: a fresh UUID and MAC, no serial; P's UUID no longer defined. */
static void test_unassign(void **state)
{
	struct hv_env *v = *state;
	char u[VIR_UUID_STRING_BUFLEN], s[37], *x;
	size_t total;

	store_edit(v, edit_assign, "vm1");
	pass(v, 0);
	store_edit(v, edit_unassign, NULL);
	pass(v, 0);
	assert_int_equal(v->st.moves, 1);
	assert_int_equal(v->st.undefines, 1);
	assert_int_equal(v->st.defines, 1);
	assert_false(uuid_defined(v, UP));
	dom_uuid(v, "vm1", u);
	store_uuid(v, "vm1", s);
	assert_string_equal(u, s);
	assert_string_not_equal(u, UP);
	assert_string_not_equal(u, U1);
	x = hv_env_dom_xml(v, "vm1");
	assert_null(strstr(x, MACP));
	assert_null(strstr(x, "SN-P"));
	assert_non_null(strstr(x, "<mac address="));
	free(x);
	assert_true(has_record(v, s));
	assert_false(has_record(v, UP));
	assert_each_once(v, &total);
	assert_int_equal(total, 3);
	assert_quiet(v);
}

/* P moves from one VM to the other: both identities change in one pass,
 * each VM's new UUID being the other's old one or fresh. */
static void move_between(struct hv_env *v, const char *from, const char *to,
			 const char *to_uuid)
{
	char u[VIR_UUID_STRING_BUFLEN], s[37];
	size_t total;

	store_edit(v, edit_assign, from);
	pass(v, 0);
	store_edit(v, edit_move, to);
	pass(v, 0);
	assert_int_equal(v->st.moves, 2);
	assert_int_equal(v->st.undefines, 2);
	assert_int_equal(v->st.defines, 2);
	assert_int_equal(v->st.refused + v->st.errors, 0);
	assert_carries_p(v, to, to_uuid);
	dom_uuid(v, from, u);
	store_uuid(v, from, s);
	assert_string_equal(u, s);
	assert_string_not_equal(u, UP);
	assert_true(has_record(v, s));
	assert_each_once(v, &total);
	assert_quiet(v);
}

static void test_move_first_to_second(void **state)
{
	move_between(*state, "vm1", "vm2", U2);
}

static void test_move_second_to_first(void **state)
{
	move_between(*state, "vm2", "vm1", U1);
}

/* A UUID changed in the store with no profile change: refused, nothing
 * touched in libvirt, the record stays under the old UUID. */
static void test_plain_uuid_change_refused(void **state)
{
	struct hv_env *v = *state;
	static const char *const NEW = "33333333-3333-4333-8333-333333333333";
	char u[VIR_UUID_STRING_BUFLEN], log[8192];

	store_edit(v, edit_uuid, NEW);
	pass_logged(v, 1, log, sizeof log);
	assert_int_equal(v->st.refused, 1);
	assert_int_equal(v->st.moves + v->st.defines + v->st.undefines, 0);
	assert_non_null(strstr(log, "refused"));
	dom_uuid(v, "vm1", u);
	assert_string_equal(u, U1);
	assert_false(uuid_defined(v, NEW));
	assert_true(has_record(v, U1));
	assert_false(has_record(v, NEW));
	/* still refused at the next pass */
	pass(v, 1);
	assert_int_equal(v->st.refused, 1);
	assert_int_equal(v->st.defines + v->st.undefines, 0);
}

/* The same with a profile assigned before: the record has a profile,
 * the store keeps it; only the UUID changes.  Refused. */
static void test_uuid_change_with_profile_kept_refused(void **state)
{
	struct hv_env *v = *state;
	static const char *const NEW = "44444444-4444-4444-8444-444444444444";
	char u[VIR_UUID_STRING_BUFLEN];

	store_edit(v, edit_assign, "vm1");
	pass(v, 0);
	store_edit(v, edit_uuid, NEW);
	pass(v, 1);
	assert_int_equal(v->st.refused, 1);
	assert_int_equal(v->st.moves + v->st.defines + v->st.undefines, 0);
	dom_uuid(v, "vm1", u);
	assert_string_equal(u, UP);
	assert_true(has_record(v, UP));
}

/* vm1 redefined in libvirt under another UUID (after the profile came):
 * refused, the store VM and the new domain left alone. */
static void test_libvirt_uuid_change_refused(void **state)
{
	struct hv_env *v = *state;
	virDomainPtr d;
	char *x, *p, s[37];

	store_edit(v, edit_assign, "vm1");
	pass(v, 0);
	d = virDomainLookupByName(v->conn, "vm1");
	x = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);
	assert_int_equal(virDomainUndefine(d), 0);
	virDomainFree(d);
	while ((p = strstr(x, "aaaaaaaa-aaaa")))
		memcpy(p, "bbbbbbbb", 8);
	d = virDomainDefineXML(v->conn, x);
	assert_non_null(d);
	virDomainFree(d);
	free(x);
	pass(v, 1);
	assert_int_equal(v->st.refused, 1);
	assert_int_equal(v->st.moves + v->st.defines + v->st.undefines +
			 v->st.store_deletes, 0);
	store_uuid(v, "vm1", s);
	assert_string_equal(s, UP);
	assert_true(uuid_defined(v, "bbbbbbbb-aaaa-4aaa-8aaa-aaaaaaaaaaaa"));
	assert_true(has_record(v, UP));
}

/* glib keeps a per-thread buffer libvirt's error reporting allocates;
 * it is freed at thread exit, after LeakSanitizer has looked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libglib-2.0.so\n";
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_assign_first_vm),
		T(test_assign_second_vm),
		T(test_assign_running_destroyed),
		T(test_assign_boot_pass_starts_last),
		T(test_unassign),
		T(test_move_first_to_second),
		T(test_move_second_to_first),
		T(test_plain_uuid_change_refused),
		T(test_uuid_change_with_profile_kept_refused),
		T(test_libvirt_uuid_change_refused),
	};

	hv_log_set_level(getenv("HV_DEBUG") ? HV_DEBUG : HV_WARN);
	return cmocka_run_group_tests_name("identity moves", tests, NULL,
					   NULL);
}
