/*
 * test_hvrestart.c - restart policies against libvirt's test driver
 * (test:///default, in-process).  A crash is the test driver's destroy
 * (the domain stops) followed by hv_restart_handle with the event a real
 * crash raises (STOPPED/CRASHED), which is what the daemon calls from its
 * event loop.  Scenarios: first crash -> consistency image; second within
 * the window -> boot image; past the limit -> stopped with the reason;
 * a crash after the window starts counting again; no policy -> stays
 * down; an image without a path -> stopped, reason 5; operator stops
 * are not crashes; the log keeps 16; a new agent (store handle) in the
 * middle of a sequence continues from the store's log; the pass after a
 * restart writes nothing to libvirt (the switch is in both sides).  Also
 * the edit layer's checks and a profile's boot order reaching libvirt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "hv.h"
#include "hv_test_util.h"

#define T0 1700000000ull

static const char *const VM_UUID = "6a1b3c2a-8d4e-4a6b-9c0d-1e2f3a4b5c6e";

static void put(void *buf, size_t cap, int el, enum ps_obj k, const char *f,
		const char *v)
{
	struct ps_cfg_err e = { 0 };
	int rc = ps_obj_set(buf, cap, el, k, f, strlen(f), v, strlen(v), &e);

	if (rc)
		print_error("set %s=%s: %s\n", f, v, e.why ? e.why : "?");
	assert_int_equal(rc, 0);
}

static int mk(void *buf, size_t cap, int parent, enum ps_obj k,
	      const char *name)
{
	struct ps_cfg_err e;
	int el = ps_obj_create(buf, cap, parent, k, name, strlen(name), &e);

	assert_true(el >= 0);
	return el;
}

static int vm1(const void *buf)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, "vm1", 3);

	assert_true(vm >= 0);
	return vm;
}

/* Images root, snap, golden (qcow2), nopath; vm1 boots from root;
 * policy: snap, then golden, 2 restarts within 10 minutes. */
static int edit_setup(void *buf, size_t cap, void *arg)
{
	int root = psf_root(buf), vm, el;

	(void)arg;
	el = mk(buf, cap, root, PS_OBJ_IMAGE, "root");
	put(buf, cap, el, PS_OBJ_IMAGE, "path", "/srv/root.img");
	el = mk(buf, cap, root, PS_OBJ_IMAGE, "snap");
	put(buf, cap, el, PS_OBJ_IMAGE, "path", "/srv/snap.img");
	el = mk(buf, cap, root, PS_OBJ_IMAGE, "golden");
	put(buf, cap, el, PS_OBJ_IMAGE, "path", "/srv/golden.qcow2");
	put(buf, cap, el, PS_OBJ_IMAGE, "format", "qcow2");
	mk(buf, cap, root, PS_OBJ_IMAGE, "nopath");
	vm = mk(buf, cap, root, PS_OBJ_VM, "vm1");
	put(buf, cap, vm, PS_OBJ_VM, "uuid", VM_UUID);
	put(buf, cap, vm, PS_OBJ_VM, "power", "on");
	el = mk(buf, cap, vm, PS_OBJ_CONTROLLER, "root");
	put(buf, cap, el, PS_OBJ_CONTROLLER, "image", "root");
	put(buf, cap, el, PS_OBJ_CONTROLLER, "bootable", "on");
	vm = vm1(buf);
	put(buf, cap, vm, PS_OBJ_VM, "restart-consistency-image", "snap");
	put(buf, cap, vm, PS_OBJ_VM, "restart-boot-image", "golden");
	put(buf, cap, vm, PS_OBJ_VM, "restart-window", "10m");
	put(buf, cap, vm, PS_OBJ_VM, "restart-limit", "2");
	return 0;
}


static int setup(void **state)
{
	struct hv_env *v = hv_env_new(edit_setup, HV_ADOPT_NONE);
	struct hv_stats st;

	v->s.boot = 1;
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.starts, 1);
	v->s.boot = 0;
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	struct hv_env *v = *state;
	virDomainPtr d = virDomainLookupByName(v->conn, "vm1");

	if (d) {
		if (virDomainIsActive(d) == 1)
			virDomainDestroy(d);
		virDomainUndefine(d);
		virDomainFree(d);
	}
	hv_env_free(v);
	return 0;
}

static int active(struct hv_env *v)
{
	virDomainPtr d = virDomainLookupByName(v->conn, "vm1");
	int a;

	assert_non_null(d);
	a = virDomainIsActive(d);
	virDomainFree(d);
	return a;
}

/* The domain goes down the way a crash takes it down, then the agent
 * handles the event.  Returns the outcome. */
static uint8_t crash(struct hv_env *v, uint64_t now)
{
	virDomainPtr d = virDomainLookupByName(v->conn, "vm1");
	struct hv_crash c = { { 0 }, VIR_DOMAIN_EVENT_STOPPED,
			      VIR_DOMAIN_EVENT_STOPPED_CRASHED, 0, "" };
	uint8_t action = 99;

	assert_non_null(d);
	if (virDomainIsActive(d) == 1)
		assert_int_equal(virDomainDestroy(d), 0);
	virDomainFree(d);
	c.cause = hv_crash_cause(c.event, c.detail, 0);
	assert_int_equal(c.cause, PSF_CRASH_CRASHED);
	assert_int_equal(ps_parse_uuid(VM_UUID, strlen(VM_UUID), c.uuid, NULL),
			 0);
	assert_int_equal(hv_restart_handle(&v->s, &c, now, &action), 0);
	return action;
}

static char *xml(struct hv_env *v)
{
	virDomainPtr d = virDomainLookupByName(v->conn, "vm1");
	char *x = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);

	virDomainFree(d);
	assert_non_null(x);
	return x;
}

static void assert_disk(struct hv_env *v, const char *path, const char *fmt)
{
	char *x = xml(v), want[128];

	snprintf(want, sizeof want, "<source file='%s'/>", path);
	if (!strstr(x, want))
		print_error("no %s in\n%s\n", want, x);
	assert_non_null(strstr(x, want));
	snprintf(want, sizeof want, "type='%s'", fmt);
	assert_non_null(strstr(x, want));
	free(x);
}

static const void *data(struct hv_env *v)
{
	uint32_t len;

	assert_int_equal(ps_store_refresh(v->store), 0);
	return ps_store_data(v->store, &len);
}

/* The controller's image in the store. */
static const char *ctl_image(struct hv_env *v, char *out, size_t n)
{
	const void *buf = data(v);
	int ctl = ps_obj_find(buf, vm1(buf), PS_OBJ_CONTROLLER, "root", 4);

	ps_obj_get(buf, ctl, ps_obj_field(PS_OBJ_CONTROLLER, "image", 5), out,
		   n);
	return out;
}

static uint32_t log_of(struct hv_env *v, struct ps_restart_entry *en)
{
	const void *buf = data(v);

	return ps_restart_log_get(buf, vm1(buf), en, 16);
}

static void assert_entry(const struct ps_restart_entry *en, uint64_t t,
			 uint8_t action, uint8_t attempt)
{
	assert_int_equal(en->time, t);
	assert_int_equal(en->action, action);
	assert_int_equal(en->attempt, attempt);
	assert_int_equal(en->cause, PSF_CRASH_CRASHED);
	assert_int_equal(en->detail, VIR_DOMAIN_EVENT_STOPPED_CRASHED);
}

static void test_first_crash_consistency(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];
	struct hv_stats st;
	char img[80];

	assert_int_equal(crash(v, T0), PSF_RESTART_CONSISTENCY);
	assert_int_equal(active(v), 1);
	assert_disk(v, "/srv/snap.img", "raw");
	assert_string_equal(ctl_image(v, img, sizeof img), "snap");
	assert_int_equal(log_of(v, en), 1);
	assert_entry(&en[0], T0, PSF_RESTART_CONSISTENCY, 1);
	/* The switch is on both sides: the pass pushes and pulls nothing
	 * and defines nothing; the one after it writes nothing at all. */
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.pushed, 0);
	assert_int_equal(st.pulled, 0);
	assert_int_equal(st.defines, 0);
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.commits, 0);
	assert_int_equal(st.sectors_written, 0);
	assert_string_equal(ctl_image(v, img, sizeof img), "snap");
}

static void test_second_crash_boot_image(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];
	char img[80];

	assert_int_equal(crash(v, T0), PSF_RESTART_CONSISTENCY);
	assert_int_equal(crash(v, T0 + 60), PSF_RESTART_BOOT);
	assert_int_equal(active(v), 1);
	assert_disk(v, "/srv/golden.qcow2", "qcow2");
	assert_string_equal(ctl_image(v, img, sizeof img), "golden");
	assert_int_equal(log_of(v, en), 2);
	assert_entry(&en[1], T0 + 60, PSF_RESTART_BOOT, 2);
}

static void test_past_limit_stays_stopped(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];
	char show[1024];
	const void *buf;

	assert_int_equal(crash(v, T0), PSF_RESTART_CONSISTENCY);
	assert_int_equal(crash(v, T0 + 60), PSF_RESTART_BOOT);
	assert_int_equal(crash(v, T0 + 120), PSF_RESTART_STOPPED_LIMIT);
	assert_int_equal(active(v), 0);
	assert_int_equal(log_of(v, en), 3);
	assert_entry(&en[2], T0 + 120, PSF_RESTART_STOPPED_LIMIT, 3);
	/* What psctl vm show prints. */
	buf = data(v);
	ps_obj_get(buf, vm1(buf), ps_obj_field(PS_OBJ_VM, "restart-log", 11),
		   show, sizeof show);
	assert_string_equal(show,
			    "2023-11-14T22:13:20Z consistency#1 crashed, "
			    "2023-11-14T22:14:20Z boot#2 crashed, "
			    "2023-11-14T22:15:20Z stopped-limit#3 crashed");
}

static void test_after_window_counts_again(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];

	assert_int_equal(crash(v, T0), PSF_RESTART_CONSISTENCY);
	assert_int_equal(crash(v, T0 + 600), PSF_RESTART_CONSISTENCY);
	assert_disk(v, "/srv/snap.img", "raw");
	assert_int_equal(log_of(v, en), 2);
	assert_entry(&en[1], T0 + 600, PSF_RESTART_CONSISTENCY, 1);
}

static int edit_no_policy(void *buf, size_t cap, void *arg)
{
	(void)arg;
	put(buf, cap, vm1(buf), PS_OBJ_VM, "restart-policy", "off");
	return 0;
}

static void test_no_policy_stays_down(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];
	uint64_t gen;

	assert_int_equal(ps_update(v->store, edit_no_policy, NULL, 0), 0);
	gen = ps_store_generation(v->store);
	assert_int_equal(crash(v, T0), 0);
	assert_int_equal(active(v), 0);
	assert_int_equal(log_of(v, en), 0);
	assert_int_equal(ps_store_generation(v->store), gen);
}

static int edit_nopath(void *buf, size_t cap, void *arg)
{
	(void)arg;
	put(buf, cap, vm1(buf), PS_OBJ_VM, "restart-consistency-image",
	    "nopath");
	return 0;
}

static void test_missing_image_stopped(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];
	char img[80];

	assert_int_equal(ps_update(v->store, edit_nopath, NULL, 0), 0);
	assert_int_equal(crash(v, T0), PSF_RESTART_STOPPED_NO_IMAGE);
	assert_int_equal(active(v), 0);
	assert_string_equal(ctl_image(v, img, sizeof img), "root");
	assert_disk(v, "/srv/root.img", "raw");
	assert_int_equal(log_of(v, en), 1);
	assert_entry(&en[0], T0, PSF_RESTART_STOPPED_NO_IMAGE, 1);
}

static void test_operator_stop_not_a_crash(void **state)
{
	struct hv_env *v = *state;
	struct hv_crash c = { { 0 }, VIR_DOMAIN_EVENT_STOPPED,
			      VIR_DOMAIN_EVENT_STOPPED_DESTROYED, 0, "" };
	uint8_t action = 99;

	assert_int_equal(hv_crash_cause(VIR_DOMAIN_EVENT_STOPPED,
					VIR_DOMAIN_EVENT_STOPPED_DESTROYED, 0),
			 0);
	assert_int_equal(hv_crash_cause(VIR_DOMAIN_EVENT_STOPPED,
					VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN,
					HV_CRASH_DESTROYED), 0);
	assert_int_equal(hv_crash_cause(VIR_DOMAIN_EVENT_SHUTDOWN, 0, 0), 0);
	assert_int_equal(hv_crash_cause(VIR_DOMAIN_EVENT_STOPPED,
					VIR_DOMAIN_EVENT_STOPPED_FAILED, 0),
			 PSF_CRASH_FAILED);
	assert_int_equal(hv_crash_cause(VIR_DOMAIN_EVENT_CRASHED, 0, 0),
			 PSF_CRASH_CRASHED);
	/* The test hook counts a destroy as an unexpected stop. */
	assert_int_equal(hv_crash_cause(VIR_DOMAIN_EVENT_STOPPED,
					VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
					HV_CRASH_DESTROYED), PSF_CRASH_STOPPED);
	/* A domain running again (second event of one crash, or started
	 * by someone): nothing done. */
	assert_int_equal(ps_parse_uuid(VM_UUID, strlen(VM_UUID), c.uuid, NULL),
			 0);
	c.cause = PSF_CRASH_CRASHED;
	assert_int_equal(active(v), 1);
	assert_int_equal(hv_restart_handle(&v->s, &c, T0, &action), 0);
	assert_int_equal(action, 0);
}

static int edit_window(void *buf, size_t cap, void *arg)
{
	(void)arg;
	put(buf, cap, vm1(buf), PS_OBJ_VM, "restart-window", "5s");
	put(buf, cap, vm1(buf), PS_OBJ_VM, "restart-limit", "1");
	return 0;
}

static void test_log_ring(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];
	uint64_t t;

	assert_int_equal(ps_update(v->store, edit_window, NULL, 0), 0);
	for (t = 0; t < 20; t++)
		assert_int_equal(crash(v, T0 + 10 * t),
				 PSF_RESTART_CONSISTENCY);
	assert_int_equal(log_of(v, en), 16);
	assert_entry(&en[0], T0 + 40, PSF_RESTART_CONSISTENCY, 1);
	assert_entry(&en[15], T0 + 190, PSF_RESTART_CONSISTENCY, 1);
	/* Within 5 s of the last: the limit of 1 is reached. */
	assert_int_equal(crash(v, T0 + 192), PSF_RESTART_STOPPED_LIMIT);
	assert_int_equal(log_of(v, en), 16);
	assert_entry(&en[15], T0 + 192, PSF_RESTART_STOPPED_LIMIT, 2);
}

static void test_agent_restart_continues(void **state)
{
	struct hv_env *v = *state;
	struct ps_restart_entry en[16];

	assert_int_equal(crash(v, T0), PSF_RESTART_CONSISTENCY);
	/* The agent goes away and a new one opens the store: the attempt
	 * count comes from the store's log, not from memory. */
	ps_store_close(v->store);
	hv_env_open_store(v);
	assert_int_equal(crash(v, T0 + 30), PSF_RESTART_BOOT);
	ps_store_close(v->store);
	hv_env_open_store(v);
	assert_int_equal(crash(v, T0 + 40), PSF_RESTART_STOPPED_LIMIT);
	assert_int_equal(log_of(v, en), 3);
	assert_int_equal(active(v), 0);
}

/* The edit layer: references checked, images in use kept, bad values
 * refused with nothing written. */
static int edit_checks(void *buf, size_t cap, void *arg)
{
	struct ps_cfg_err e = { 0 };
	int vm = vm1(buf), img;

	(void)arg;
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM,
				    "restart-boot-image", 18, "nosuch", 6, &e),
			 PS_ERR_BADREF);
	assert_string_equal(e.field, "restart-boot-image");
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "restart-window",
				    14, "5y", 2, &e), PS_ERR_BADVALUE);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "restart-log",
				    11, "x", 1, &e), PS_ERR_BADVALUE);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "restart-limit",
				    13, "70000", 5, &e), PS_ERR_BADVALUE);
	img = ps_obj_find(buf, psf_root(buf), PS_OBJ_IMAGE, "golden", 6);
	assert_int_equal(ps_obj_delete(buf, img, PS_OBJ_IMAGE, &e),
			 PS_ERR_INUSE);
	assert_string_equal(e.holder, "vm 'vm1'");
	assert_int_equal(ps_obj_set(buf, cap, img, PS_OBJ_IMAGE, "name", 4,
				    "gold2", 5, &e), PS_ERR_INUSE);
	assert_int_equal(ps_cfg_check(buf, psf_total(buf), NULL, NULL), 0);
	return PS_ERR_ABORTED;
}

static void check_line(void *ctx, const char *m)
{
	snprintf(ctx, 256, "%s", m);
}

/* A store from elsewhere naming an image that is not there. */
static int edit_dangling(void *buf, size_t cap, void *arg)
{
	int vm = vm1(buf);
	int c = psf_find_child(buf, vm, PSF_RESTART_POLICY);

	assert_int_equal(psf_set_payload(buf, cap,
					 psf_find_child(buf, c, PSF_BOOT_IMAGE),
					 "gone", 4), 0);
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(ps_cfg_check(buf, psf_total(buf), check_line, arg),
			 1);
	return PS_ERR_ABORTED;
}

static void test_edit_layer_checks(void **state)
{
	struct hv_env *v = *state;
	char msg[256] = "";

	assert_int_equal(ps_update(v->store, edit_checks, NULL, 0),
			 PS_ERR_ABORTED);
	assert_int_equal(ps_update(v->store, edit_dangling, msg, 0),
			 PS_ERR_ABORTED);
	assert_string_equal(msg, "vm 'vm1': restart-boot-image 'gone': no "
			    "such image");
}

/* A VM carrying a profile with a boot order boots as the profile says. */
static int edit_profile(void *buf, size_t cap, void *arg)
{
	struct ps_cfg_err e = { 0 };
	int vm = vm1(buf), nic, prof;

	(void)arg;
	nic = mk(buf, cap, vm, PS_OBJ_NIC, "eth0");
	put(buf, cap, nic, PS_OBJ_NIC, "mac", "02:00:00:00:00:07");
	prof = mk(buf, cap, psf_root(buf), PS_OBJ_PROFILE, "p1");
	put(buf, cap, prof, PS_OBJ_PROFILE, "boot", "network,disk");
	assert_int_equal(ps_profile_assign(buf, cap, prof, "vm1", 3, &e), 0);
	return 0;
}

static void test_profile_boot_order(void **state)
{
	struct hv_env *v = *state;
	struct hv_stats st;
	char *x, *iface, *disk;

	assert_int_equal(ps_update(v->store, edit_profile, NULL, 0), 0);
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	x = xml(v);
	iface = strstr(x, "<interface");
	disk = strstr(x, "<disk");
	assert_non_null(iface);
	assert_non_null(disk);
	/* PXE first (rank 1 on the NIC), then the disk. */
	assert_non_null(strstr(iface, "<boot order='1'/>"));
	assert_non_null(strstr(disk, "<boot order='2'/>"));
	assert_true(strstr(disk, "<boot order='2'/>") <
		    strstr(disk, "</disk>"));
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_crash_consistency,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_crash_boot_image,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_limit_stays_stopped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_window_counts_again,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_policy_stays_down,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_image_stopped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_stop_not_a_crash,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_restart_continues,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_layer_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_profile_boot_order, setup,
						teardown),
	};

	xmlInitParser();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
