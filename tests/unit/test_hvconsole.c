/*
 * test_hvconsole.c - hvagent's consoles (hv_console.c): the console keys
 * of the configuration, the ports a VM maps before and after its
 * allocation (the same), allocation at launch and release at termination
 * in the store (console = local) with the link to the concentrator's
 * endpoint, and no second allocation for a VM that holds its ports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv.h"
#include "hv_console.h"
#include "hv_test_util.h"

static const char *const VM_UUID = "6a1b3c2a-8d4e-4a6b-9c0d-1e2f3a4b5c6e";

static int edit_setup(void *buf, size_t cap, void *arg)
{
	struct ps_cfg_err e = { 0 };
	int vm = ps_obj_create(buf, cap, psf_root(buf), PS_OBJ_VM, "web01", 5,
			       &e);

	(void)arg;
	assert_true(vm >= 0);
	return ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4, VM_UUID,
			  strlen(VM_UUID), &e);
}

static void write_conf(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/hvconXXXXXX");
	fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

static void test_config_console_keys(void **state)
{
	struct hv_config c;
	char err[256], path[] = "/tmp/hvconXXXXXX";

	(void)state;
	hv_config_defaults(&c);
	assert_int_equal(c.con.mode, HV_CON_OFF);
	assert_int_equal(c.con.ports, 1);
	assert_int_equal(c.con.fault_restart, 1);
	write_conf(path, "console = bmc\nconsole_ports = 2\nconsole_bmc = "
		   "10.0.0.42:623\nconsole_fault_action = log\n"
		   "console_endpoints = /run/pc\nconsole_ports = 17\n");
	assert_int_equal(hv_config_load(&c, path, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, ":6: console_ports: console_ports: 1-16"));
	assert_int_equal(c.con.mode, HV_CON_BMC);
	assert_int_equal(c.con.ports, 2);
	assert_string_equal(c.con.bmc, "10.0.0.42:623");
	assert_string_equal(c.con.endpoints, "/run/pc");
	assert_int_equal(c.con.fault_restart, 0);
	unlink(path);
	write_conf(path, "console = maybe\n");
	assert_int_equal(hv_config_load(&c, path, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, ":1: console: console: off, local or bmc"));
	unlink(path);
	write_conf(path, "consoles = local\n");
	assert_int_equal(hv_config_load(&c, path, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown key"));
	unlink(path);
}

/* console = bmc without a BMC or a password file: refused at start. */
static void test_bmc_needs_password_file(void **state)
{
	struct hv_config c;
	struct hv_console k;
	char err[256];

	(void)state;
	hv_config_defaults(&c);
	c.con.mode = HV_CON_BMC;
	snprintf(c.con.bmc, sizeof c.con.bmc, "127.0.0.1");
	assert_int_equal(hv_console_init(&k, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "console_bmc_password_file"));
}

static void flatten(struct hv_env *v, struct hv_kv *m)
{
	uint32_t len;
	const void *buf;
	uint8_t u[16];

	assert_int_equal(ps_store_refresh(v->store), 0);
	buf = ps_store_data(v->store, &len);
	assert_int_equal(ps_parse_uuid(VM_UUID, strlen(VM_UUID), u, NULL), 0);
	hv_kv_init(m);
	assert_int_equal(hv_store_flatten(buf, hv_store_vm_by_uuid(buf, u),
					  &v->s.map, m), 0);
}

static void test_local_allocate_and_free(void **state)
{
	struct hv_env *v = hv_env_new(edit_setup, HV_ADOPT_NONE);
	struct hv_config c;
	struct hv_console k;
	struct hv_kv before, after;
	char err[256], dir[] = "/tmp/hvconXXXXXX", link[600], to[600];
	uint8_t u[16];
	uint64_t gen;
	ssize_t r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	hv_config_defaults(&c);
	c.con.mode = HV_CON_LOCAL;
	c.con.first = 7001;
	snprintf(c.run_dir, sizeof c.run_dir, "%s/run", dir);
	snprintf(c.con.endpoints, sizeof c.con.endpoints, "%s/pscon", dir);
	assert_int_equal(hv_console_init(&k, &c, err, sizeof err), 0);
	v->s.map.console_ports = 1;
	assert_int_equal(ps_parse_uuid(VM_UUID, strlen(VM_UUID), u, NULL), 0);

	/* Before: no serial port in the store, the ports it will get. */
	flatten(v, &before);
	assert_string_equal(hv_kv_get(&before, "serial.0"), "unix");
	assert_string_equal(hv_kv_get(&before, "serial.0.host"), "web01");

	/* Launch: allocated in the store, linked to port-7001. */
	assert_int_equal(hv_console_vm(&k, v->store, u, 1), 0);
	flatten(v, &after);
	assert_true(hv_kv_equal(&before, &after));
	snprintf(link, sizeof link, "%s/run/web01.sock", dir);
	r = readlink(link, to, sizeof to - 1);
	assert_true(r > 0);
	to[r] = 0;
	assert_non_null(strstr(to, "/pscon/port-7001"));

	/* Again (an agent restart): nothing written. */
	gen = ps_store_generation(v->store);
	assert_int_equal(hv_console_vm(&k, v->store, u, 1), 0);
	assert_int_equal(ps_store_generation(v->store), gen);

	/* Termination: freed, the link gone, the map unchanged. */
	assert_int_equal(hv_console_vm(&k, v->store, u, 0), 0);
	assert_true(ps_store_generation(v->store) > gen);
	assert_int_equal(access(link, F_OK), -1);
	hv_kv_free(&after);
	flatten(v, &after);
	assert_true(hv_kv_equal(&before, &after));

	hv_kv_free(&before);
	hv_kv_free(&after);
	hv_console_close(&k);
	rmdir(c.run_dir);
	rmdir(dir);
	hv_env_free(v);
}

/* glib keeps a per-thread buffer libvirt's error reporting allocates. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libglib-2.0.so\n";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_console_keys),
		cmocka_unit_test(test_bmc_needs_password_file),
		cmocka_unit_test(test_local_allocate_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
