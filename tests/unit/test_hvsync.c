/*
 * test_hvsync.c - hvagent's mapping and reconcile pass against libvirt's
 * test driver (test:///default, in-process): field maps both ways,
 * libvirt-added defaults not seen as changes, the synced record's text
 * form, unknown store elements kept, a libvirt-side edit written back, a
 * libvirt-side identity change refused, power "on" starting the domain at
 * boot, a second pass writing nothing, and a store edit made while a pass
 * runs surviving the pass's commit conflict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <unistd.h>

#include "hv.h"
#include "hv_test_util.h"


static const char *const VM_UUID = "5f1b3c2a-8d4e-4a6b-9c0d-1e2f3a4b5c6d";

static int edit_setup(void *buf, size_t cap, void *arg)
{
	struct ps_cfg_err e;
	int root = psf_root(buf), vm, el;

	(void)arg;
	el = ps_obj_create(buf, cap, root, PS_OBJ_NETWORK, "lan", 3, &e);
	assert_true(el >= 0);
	assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_NETWORK, "uplink", 6,
				    "br0", 3, &e), 0);
	el = ps_obj_create(buf, cap, root, PS_OBJ_IMAGE, "root", 4, &e);
	assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_IMAGE, "path", 4,
				    "/srv/a.img", 10, &e), 0);
	vm = ps_obj_create(buf, cap, root, PS_OBJ_VM, "vm1", 3, &e);
	assert_true(vm >= 0);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4, VM_UUID,
				    strlen(VM_UUID), &e), 0);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "memory", 6,
				    "1GiB", 4, &e), 0);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "serial", 6,
				    "SN-1", 4, &e), 0);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "power", 5, "on",
				    2, &e), 0);
	el = ps_obj_create(buf, cap, vm, PS_OBJ_NIC, "eth0", 4, &e);
	assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_NIC, "network", 7,
				    "lan", 3, &e), 0);
	assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_NIC, "mac", 3,
				    "02:00:00:00:00:01", 17, &e), 0);
	el = ps_obj_create(buf, cap, vm, PS_OBJ_CONTROLLER, "root", 4, &e);
	assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_CONTROLLER, "image", 5,
				    "root", 4, &e), 0);
	assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_CONTROLLER, "bootable",
				    8, "on", 2, &e), 0);
	/* A vendor element inside the agent namespace's neighbour: kept. */
	assert_true(psf_insert(buf, cap, root, -1, PSF_SIG(0, 0x4321, 7),
			       "vendor", 6) >= 0);
	return 0;
}

static int setup(void **state)
{
	*state = hv_env_new(edit_setup, HV_ADOPT_MARKED);
	return 0;
}

static int teardown(void **state)
{
	hv_env_free(*state);
	return 0;
}


static void test_kv_text_roundtrip(void **state)
{
	struct hv_kv a, b;
	char *t, *d;
	size_t n, dn;

	(void)state;
	hv_kv_init(&a);
	hv_kv_init(&b);
	hv_kv_set(&a, "name", "x");
	hv_kv_set(&a, "description", "two\nlines \\ slash");
	hv_kv_set(&a, "nic.eth0.mac", "02:00:00:00:00:01");
	t = hv_kv_text(&a, &n);
	assert_string_equal(t, "description=two\\nlines \\\\ slash\n"
			       "name=x\nnic.eth0.mac=02:00:00:00:00:01\n");
	assert_int_equal(hv_kv_parse(&b, t, n), 0);
	assert_true(hv_kv_equal(&a, &b));
	/* delta: b differs in one value and lacks one key */
	hv_kv_set(&b, "name", "y");
	hv_kv_set(&b, "description", NULL);
	d = hv_kv_delta_text(&a, &b, &dn);
	assert_string_equal(d, "name=y\ndescription\n");
	hv_kv_free(&b);
	assert_int_equal(hv_kv_undelta(&b, &a, d, dn), 0);
	assert_string_equal(hv_kv_get(&b, "name"), "y");
	assert_null(hv_kv_get(&b, "description"));
	free(t);
	free(d);
	hv_kv_free(&a);
	hv_kv_free(&b);
}

static void test_boot_pass_defines_and_starts(void **state)
{
	struct hv_env *v = *state;
	struct hv_stats st;
	char *x;
	virDomainPtr d;
	int autostart = 0;

	v->s.boot = 1;
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	v->s.boot = 0;
	assert_int_equal(st.defines, 1);
	assert_int_equal(st.starts, 1);
	assert_int_equal(st.commits, 1);
	x = hv_env_dom_xml(v, "vm1");
	assert_non_null(strstr(x, VM_UUID));
	assert_non_null(strstr(x, "<entry name='serial'>SN-1</entry>"));
	assert_non_null(strstr(x, "<mac address='02:00:00:00:00:01'/>"));
	assert_non_null(strstr(x, "<source bridge='br0'/>"));
	assert_non_null(strstr(x, "<source file='/srv/a.img'/>"));
	assert_non_null(strstr(x, "<boot order='1'/>"));
	free(x);
	d = virDomainLookupByName(v->conn, "vm1");
	assert_int_equal(virDomainIsActive(d), 1);
	assert_int_equal(virDomainGetAutostart(d, &autostart), 0);
	assert_int_equal(autostart, 1);
	virDomainFree(d);
}

static void test_second_pass_writes_nothing(void **state)
{
	struct hv_env *v = *state;
	struct hv_stats st;
	uint32_t len;
	const void *data;

	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.defines, 0);
	assert_int_equal(st.commits, 0);
	assert_int_equal(st.sectors_written, 0);
	assert_int_equal(st.pushed + st.pulled, 0);
	/* test driver defaults (<clock>, on_*, interface target) did not
	 * count as changes; the vendor element is still there */
	data = ps_store_data(v->store, &len);
	assert_true(psf_find_child(data, psf_root(data), PSF_SIG(0, 0x4321, 7))
		    >= 0);
	assert_true(psf_find_child(data, psf_root(data), PSF_AGENT_STATE) >= 0);
}

/* Redefine vm1 in libvirt with new memory (as virsh edit would). */
static void libvirt_edit(struct hv_env *v, const char *from, const char *to)
{
	char *x = hv_env_dom_xml(v, "vm1"), *p = strstr(x, from), *nx;
	virDomainPtr d;

	assert_non_null(p);
	nx = malloc(strlen(x) + strlen(to) + 1);
	memcpy(nx, x, (size_t)(p - x));
	strcpy(nx + (p - x), to);
	strcat(nx, p + strlen(from));
	d = virDomainDefineXML(v->conn, nx);
	assert_non_null(d);
	virDomainFree(d);
	free(x);
	free(nx);
}

static void test_libvirt_edit_written_back(void **state)
{
	struct hv_env *v = *state;
	struct hv_stats st;
	uint32_t len;
	const void *data;
	int vm;
	char out[32];

	libvirt_edit(v, "<memory unit='KiB'>1048576</memory>",
		     "<memory unit='KiB'>2097152</memory>");
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.pulled, 1);
	assert_int_equal(st.defines, 0);
	assert_int_equal(st.commits, 1);
	assert_true(st.sectors_written > 0);
	data = ps_store_data(v->store, &len);
	vm = ps_obj_find(data, psf_root(data), PS_OBJ_VM, "vm1", 3);
	ps_obj_get(data, vm, ps_obj_field(PS_OBJ_VM, "memory", 6), out,
		   sizeof out);
	assert_string_equal(out, "2GiB");
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.commits + st.defines, 0);
}

/* The store's memory of vm1, as psctl prints it. */
static void store_memory(struct hv_env *v, char *out, size_t n)
{
	uint32_t len;
	const void *data = ps_store_data(v->store, &len);
	int vm = ps_obj_find(data, psf_root(data), PS_OBJ_VM, "vm1", 3);

	assert_true(vm >= 0);
	ps_obj_get(data, vm, ps_obj_field(PS_OBJ_VM, "memory", 6), out, n);
}

/* Another writer: its own handle on the same media, so its commit moves
 * the media past the generation the pass read. */
struct other_writer {
	struct hv_env *v;
	const char *memory;      /* set vm1's memory to this */
	const char *tag;         /* and its description to "TAG N" */
	unsigned commits, max;   /* commit on the first max calls */
};

static int edit_memory(void *buf, size_t cap, void *arg)
{
	struct other_writer *w = arg;
	struct ps_cfg_err e;
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, "vm1", 3);
	char desc[32];

	assert_true(vm >= 0);
	/* never the same bytes twice: an unchanged store is not committed */
	snprintf(desc, sizeof desc, "%s %u", w->tag, w->commits);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "memory", 6,
				    w->memory, strlen(w->memory), &e), 0);
	assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "description",
				    11, desc, strlen(desc), &e), 0);
	return 0;
}

static void other_writer_commits(void *arg)
{
	struct other_writer *w = arg;
	struct ps_store *o;
	int err;

	if (w->commits >= w->max)
		return;
	o = ps_store_open(&w->v->m, &err);
	assert_non_null(o);
	assert_int_equal(ps_update(o, edit_memory, w, 0), 0);
	ps_store_close(o);
	w->commits++;
}

/* libvirt changes memory; while the pass runs, a store writer changes it
 * too.  The commit conflicts, the pass merges again: the store's value
 * wins (a conflict), reaches libvirt, and is not overwritten. */
static void test_conflict_retry_keeps_store_edit(void **state)
{
	struct hv_env *v = *state;
	struct other_writer w = { v, "4GiB", "a", 0, 1 };
	struct hv_stats st;
	char out[32], *x;

	libvirt_edit(v, "<memory unit='KiB'>2097152</memory>",
		     "<memory unit='KiB'>3145728</memory>");
	v->s.pre_commit = other_writer_commits;
	v->s.hook_arg = &w;
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	v->s.pre_commit = NULL;
	assert_int_equal(w.commits, 1);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.pulled, 0);
	assert_int_equal(st.commits, 1);
	store_memory(v, out, sizeof out);
	assert_string_equal(out, "4GiB");
	x = hv_env_dom_xml(v, "vm1");
	assert_non_null(strstr(x, "<memory unit='KiB'>4194304</memory>"));
	assert_non_null(strstr(x, "<description>a 0</description>"));
	free(x);
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.commits + st.defines + st.pushed + st.pulled, 0);
}

/* A store that moves on at every attempt: the pass gives up after its
 * retries, writes nothing, and the next quiet pass catches up. */
static void test_conflict_retries_bounded(void **state)
{
	struct hv_env *v = *state;
	struct other_writer w = { v, "4GiB", "b", 0, 100 };
	struct hv_stats st;
	char out[32], *x;

	libvirt_edit(v, "<vcpu placement='static'>1</vcpu>",
		     "<vcpu placement='static'>2</vcpu>");
	v->s.pre_commit = other_writer_commits;
	v->s.hook_arg = &w;
	assert_int_equal(hv_sync_pass(&v->s, &st), PS_ERR_CONFLICT);
	v->s.pre_commit = NULL;
	assert_int_equal(w.commits, HV_PASS_RETRIES + 1);
	assert_int_equal(st.retries, HV_PASS_RETRIES);
	assert_int_equal(st.commits, 0);
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.pulled, 1);
	assert_int_equal(st.commits, 1);
	store_memory(v, out, sizeof out);
	assert_string_equal(out, "4GiB");
	x = hv_env_dom_xml(v, "vm1");
	assert_non_null(strstr(x, "<description>b 3</description>"));
	free(x);
}

static void test_libvirt_identity_change_refused(void **state)
{
	struct hv_env *v = *state;
	struct hv_stats st;
	virDomainPtr d = virDomainLookupByName(v->conn, "vm1");
	char *x = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE), *p;
	uint32_t len;
	const void *data;

	virDomainDestroy(d);
	assert_int_equal(virDomainUndefine(d), 0);
	virDomainFree(d);
	/* the UUID in <uuid> and in <sysinfo> */
	assert_non_null(strstr(x, VM_UUID));
	while ((p = strstr(x, VM_UUID)))
		memcpy(p, "00000000", 8);
	d = virDomainDefineXML(v->conn, x);
	assert_non_null(d);
	virDomainFree(d);
	free(x);
	assert_int_equal(hv_sync_pass(&v->s, &st), 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.store_deletes, 0);
	data = ps_store_data(v->store, &len);
	assert_true(ps_obj_find(data, psf_root(data), PS_OBJ_VM, "vm1", 3) >= 0);
}

static void test_unknown_store_elements_in_agent_state(void **state)
{
	uint8_t buf[4096];
	struct hv_kv bs, bl;
	struct hv_record r;
	struct hv_bases b;
	int st, len;

	(void)state;
	len = pst_mkstore(buf, sizeof buf, 0, 0);
	assert_true(len > 0);
	hv_kv_init(&bs);
	hv_kv_init(&bl);
	hv_kv_set(&bs, "name", "a");
	hv_kv_set(&bl, "name", "a");
	hv_kv_set(&bl, "nic.n.model", "rtl8139");
	memset(&r, 0, sizeof r);
	r.uuid[0] = 1;
	r.bs = &bs;
	r.bl = &bl;
	assert_int_equal(hv_state_store(buf, sizeof buf, &r, 1, "test:///x", 1),
			 1);
	st = psf_find_child(buf, psf_root(buf), PSF_AGENT_STATE);
	assert_true(psf_insert(buf, sizeof buf, st, -1, PSF_SIG(0, 1, 0x7777),
			       "future", 6) >= 0);
	/* same records again: nothing changes, the unknown element stays */
	assert_int_equal(hv_state_store(buf, sizeof buf, &r, 1, "test:///x", 2),
			 0);
	assert_true(psf_find_child(buf, st, PSF_SIG(0, 1, 0x7777)) >= 0);
	assert_int_equal(hv_state_load(buf, &b), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.uri, "test:///x");
	assert_string_equal(hv_kv_get(&b.b[0].bl, "nic.n.model"), "rtl8139");
	assert_null(hv_kv_get(&b.b[0].bs, "nic.n.model"));
	hv_bases_free(&b);
	/* forgetting the pair removes its entry, keeps the unknown one */
	assert_int_equal(hv_state_store(buf, sizeof buf, NULL, 0, "test:///x",
					3), 1);
	assert_int_equal(hv_state_load(buf, &b), 0);
	assert_int_equal(b.n, 0);
	assert_true(psf_find_child(buf, st, PSF_SIG(0, 1, 0x7777)) >= 0);
	hv_kv_free(&bs);
	hv_kv_free(&bl);
}

/* A temporary configuration file holding text (path: "/tmp/hvconfXXXXXX"). */
static void write_conf(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_config_errors_name_the_line(void **state)
{
	struct hv_config c;
	char err[256], path[] = "/tmp/hvconfXXXXXX";

	(void)state;
	write_conf(path, "# ok\nuri = test:///default\ninterval = 5\n"
		   "adopt = maybe\n");
	hv_config_defaults(&c);
	assert_int_equal(hv_config_load(&c, path, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, ":4: adopt"));
	assert_int_equal(c.interval_s, 5);
	unlink(path);
}

/* domain_type defaults to auto (KVM only where libvirt offers it) and
 * takes auto, kvm or qemu; libvirt_delete defaults to keep. */
static void test_config_domain_type_and_delete_policy(void **state)
{
	struct hv_config c;
	char err[256], path[] = "/tmp/hvconfXXXXXX";

	(void)state;
	hv_config_defaults(&c);
	assert_string_equal(c.domain_type, "auto");
	assert_int_equal(c.lv_delete, HV_LV_DELETE_KEEP);
	write_conf(path, "domain_type = qemu\nlibvirt_delete = follow\n"
		   "domain_type = tcg\n");
	assert_int_equal(hv_config_load(&c, path, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, ":3: domain_type: domain_type: auto, "
			       "kvm or qemu"));
	assert_string_equal(c.domain_type, "qemu");
	assert_int_equal(c.lv_delete, HV_LV_DELETE_FOLLOW);
	unlink(path);
}

/* The test driver has no domain capabilities: auto takes the type its
 * host capabilities list ("test"), kvm is trusted, qemu is qemu. */
static void test_domain_type_resolve_test_driver(void **state)
{
	virConnectPtr conn = virConnectOpen("test:///default");
	char out[32], err[256];

	(void)state;
	assert_non_null(conn);
	assert_int_equal(hv_domain_type_resolve(conn, "auto", "x86_64", out,
						sizeof out, err, sizeof err),
			 0);
	assert_string_equal(out, "test");
	assert_int_equal(hv_domain_type_resolve(conn, "qemu", "x86_64", out,
						sizeof out, err, sizeof err),
			 0);
	assert_string_equal(out, "qemu");
	virConnectClose(conn);
}

/* glib keeps a per-thread buffer libvirt's error reporting allocates;
 * it is freed at thread exit, after LeakSanitizer has looked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libglib-2.0.so\n";
}

/* A serial host name that is not one file name (a store written by
 * anyone) never becomes a socket path: the port is left alone. */
static void test_serial_host_not_a_path(void **state)
{
	static uint8_t buf[512];
	struct hv_mapcfg c = { "/run/hvagent/serial", "/var/log/hv", "kvm",
			       "x86_64", 1024, 0 };
	static const char xml[] = "<domain type='kvm'><name>vm1</name>"
				  "<devices/></domain>";
	struct psf_builder b;
	struct hv_kv m;
	xmlDocPtr doc = xmlReadMemory(xml, (int)sizeof(xml) - 1, NULL, NULL,
				      0);
	const char *why;
	xmlChar *out;
	int n;

	(void)state;
	assert_true(psf_build_begin(&b, buf, sizeof(buf), PSF_ROOT,
				    PSF_SCHEMA_VERSION, 0) >= 0);
	assert_true(psf_build_finish(&b) > 0);
	assert_non_null(doc);
	hv_kv_init(&m);
	assert_int_equal(hv_kv_set(&m, "name", "vm1"), 0);
	assert_int_equal(hv_kv_set(&m, "serial.0", "unix"), 0);
	assert_int_equal(hv_kv_set(&m, "serial.0.host", "../../run/x"), 0);
	assert_int_equal(hv_kv_set(&m, "serial.1", "unix"), 0);
	assert_int_equal(hv_kv_set(&m, "serial.1.host", "con1"), 0);
	assert_int_equal(hv_dom_apply(doc, &m, VM_UUID, buf, &c, &why), 0);
	xmlDocDumpMemory(doc, &out, &n);
	assert_non_null(out);
	assert_null(strstr((char *)out, "run/x"));
	assert_non_null(strstr((char *)out, "/run/hvagent/serial/con1.sock"));
	xmlFree(out);
	xmlFreeDoc(doc);
	hv_kv_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_text_roundtrip),
		cmocka_unit_test(test_unknown_store_elements_in_agent_state),
		cmocka_unit_test(test_config_errors_name_the_line),
		cmocka_unit_test(test_config_domain_type_and_delete_policy),
		cmocka_unit_test(test_domain_type_resolve_test_driver),
		cmocka_unit_test(test_serial_host_not_a_path),
	};
	const struct CMUnitTest driver[] = {
		cmocka_unit_test(test_boot_pass_defines_and_starts),
		cmocka_unit_test(test_second_pass_writes_nothing),
		cmocka_unit_test(test_libvirt_edit_written_back),
		cmocka_unit_test(test_conflict_retry_keeps_store_edit),
		cmocka_unit_test(test_conflict_retries_bounded),
		cmocka_unit_test(test_libvirt_identity_change_refused),
	};
	int fails;

	hv_log_set_level(getenv("HV_DEBUG") ? HV_DEBUG : HV_ERR);
	fails = cmocka_run_group_tests(tests, NULL, NULL);
	return fails + cmocka_run_group_tests_name("test driver", driver, setup,
						   teardown);
}
