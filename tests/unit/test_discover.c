/*
 * test_discover.c - pstate/ps_discover under umockdev.
 *
 * Each test builds a umockdev test bed (fake sysfs, /dev and the usbfs
 * nodes libusb reads) with a root hub and USB keys at chosen port paths,
 * then copies a real disk image (made by ps_part_create or sfdisk) over
 * the key's fake /dev/sdX, so libusb, the sysfs walk and libblkid in
 * ps_discover.c run unchanged on top of it.
 *
 * umockdev's C API only works when libumockdev-preload is loaded, and an
 * ASan binary refuses a preload that comes before the ASan runtime.  So
 * main() re-executes this binary with
 *   LD_PRELOAD=libumockdev-preload.so.0 ASAN_OPTIONS=verify_asan_link_order=0
 * when the preload is missing: the binary can be run like any other test.
 *
 * The store check is the store layer's own (ps_check_partition): keys hold
 * real stores made by ps_format, damaged ones have no valid slot.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <umockdev.h>
#include <cmocka.h>

#include "pstate.h"

#define MiB (1ULL << 20)
#define IMG_SIZE (8 * MiB)
#define PRELOAD "libumockdev-preload.so.0"

enum img_kind { IMG_VALID, IMG_CORRUPT, IMG_PLAIN, IMG_BLANK };

struct bed {
	UMockdevTestbed *tb;
	char *root;
	char conf[256];
	int next_devnum;
};

/* ------------------------------------------------------- descriptors */

/* Device + one configuration with one interface of class `cls`. */
static void descriptors_hex(int dev_cls, int if_cls, char *out, size_t len)
{
	uint8_t d[] = {
		18, 1, 0x00, 0x02, (uint8_t)dev_cls, 0, 0, 64,
		0x81, 0x07, 0x81, 0x55, 0x00, 0x01, 1, 2, 3, 1,
		9, 2, 32, 0, 1, 1, 0, 0x80, 50,
		9, 4, 0, 0, 2, (uint8_t)if_cls, 0x06, 0x50, 0,
		7, 5, 0x81, 2, 0x00, 0x02, 0,
		7, 5, 0x02, 2, 0x00, 0x02, 0,
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof d && n + 3 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%02x", d[i]);
}

/* sysfs path of a device: usb1/1-2/1-2.3 for "1-2.3". */
static void sys_path(const char *pp, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len,
				    "/devices/pci0000:00/0000:00:14.0/usb1");
	const char *p = pp;

	while ((p = strpbrk(p + 1, ".")) != NULL)
		n += (size_t)snprintf(out + n, len - n, "/%.*s",
				      (int)(p - pp), pp);
	snprintf(out + n, len - n, "/%s", pp);
}

static void add_string(struct bed *b, const char *s)
{
	GError *e = NULL;

	if (!umockdev_testbed_add_from_string(b->tb, s, &e))
		fail_msg("umockdev: %s\n%s", e ? e->message : "?", s);
}

static void add_usb_device(struct bed *b, const char *sys, int devnum,
			   int dev_cls, int if_cls, const char *connect)
{
	char hex[128], s[2048];
	int n;

	descriptors_hex(dev_cls, if_cls, hex, sizeof hex);
	n = snprintf(s, sizeof s,
		     "P: %s\nN: bus/usb/001/%03d\nE: DEVNAME=/dev/bus/usb/001/%03d\n"
		     "E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n"
		     "E: BUSNUM=001\nE: DEVNUM=%03d\nA: busnum=1\nA: devnum=%d\n"
		     "A: speed=480\nA: bConfigurationValue=1\nH: descriptors=%s\n",
		     sys, devnum, devnum, devnum, devnum, hex);
	if (connect)
		snprintf(s + n, sizeof s - (size_t)n,
			 "A: port/connect_type=%s\n", connect);
	add_string(b, s);
}

static void add_root_hub(struct bed *b)
{
	add_usb_device(b, "/devices/pci0000:00/0000:00:14.0/usb1", 1, 9, 9,
		       NULL);
	b->next_devnum = 2;
}

/* A hub at port path `pp`. */
static void add_hub(struct bed *b, const char *pp, const char *connect)
{
	char sys[256];

	sys_path(pp, sys, sizeof sys);
	add_usb_device(b, sys, b->next_devnum++, 9, 9, connect);
}

/* A USB key at `pp`: device, mass-storage interface, SCSI host/target/lun
 * and, when blk is set, block device /dev/<blk>. */
static void add_key(struct bed *b, const char *pp, const char *connect,
		    const char *blk)
{
	char sys[256], s[1024];
	int host = b->next_devnum;

	sys_path(pp, sys, sizeof sys);
	add_usb_device(b, sys, b->next_devnum++, 0, 8, connect);
	snprintf(s, sizeof s, "P: %s/%s:1.0\nE: DEVTYPE=usb_interface\n"
		 "E: DRIVER=usb-storage\nE: SUBSYSTEM=usb\n"
		 "A: bInterfaceClass=08\nA: bInterfaceNumber=00\n", sys, pp);
	add_string(b, s);
	if (!blk)
		return;
	snprintf(s, sizeof s, "P: %s/%s:1.0/host%d/target%d:0:0/%d:0:0:0/block/%s\n"
		 "N: %s\nE: DEVNAME=/dev/%s\nE: DEVTYPE=disk\nE: SUBSYSTEM=block\n"
		 "A: dev=8:%d\nA: size=%llu\n", sys, pp, host, host, host, blk,
		 blk, blk, 16 * (blk[2] - 'a'),
		 (unsigned long long)(IMG_SIZE / 512));
	add_string(b, s);
}

/* ------------------------------------------------------------ images */

static void sfdisk_script(const char *path, const char *script)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof cmd, "sfdisk -q --no-reread --no-tell-kernel "
		 "'%s' >/dev/null 2>&1", path);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(script, p);
	assert_int_equal(pclose(p), 0);
}

/* A real store in the partition (ps_format); for a corrupt key, both slot
 * bodies then get damaged so no slot is valid. */
static void format_store(const char *img, const struct ps_part_info *pi,
			 int damage)
{
	static uint8_t sector[512];
	struct ps_format_opts fo = { 0 };
	struct ps_media m;
	struct ps_disk d;
	uint32_t i;

	assert_int_equal(ps_media_open_image(&m, img, pi->offset, pi->length,
					     512, 0), 0);
	assert_int_equal(ps_format(&d, &m, &fo, sector), 0);
	if (damage) {
		memset(sector, 0xa5, sizeof sector);
		for (i = 0; i < d.slot_count; i++)
			assert_int_equal(ps_media_write(&m, d.slot[i].lba + 1, 1,
							sector), 0);
	}
	ps_media_close(&m);
}

/* Build an image of `kind` in a temp file; returns its path in out. */
static void make_image(enum img_kind kind, char *out, size_t len)
{
	struct ps_part_create_opts o = { PS_PART_LABEL_GPT, 0, 0 };
	struct ps_part_info pi;
	char err[256];
	int fd;

	snprintf(out, len, "%s/ps_disc.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(out);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IMG_SIZE), 0);
	close(fd);
	if (kind == IMG_PLAIN) {
		sfdisk_script(out, "label: dos\nlabel-id: 0x5eed00aa\n"
			      "start=2048, type=83\n");
		return;
	}
	if (kind == IMG_BLANK)
		return;
	if (kind == IMG_CORRUPT)
		o.label = PS_PART_LABEL_MBR;
	if (ps_part_create(out, &o, &pi, err, sizeof err) != 0)
		fail_msg("%s", err);
	format_store(out, &pi, kind == IMG_CORRUPT);
}

/* Copy the image over the test bed's /dev/<blk>.  Writes into the existing
 * node file (umockdev marks it as a block device), never replaces it. */
static void load_image(struct bed *b, const char *blk, enum img_kind kind)
{
	char img[256], node[512], buf[65536];
	ssize_t n;
	int in, outfd;

	make_image(kind, img, sizeof img);
	snprintf(node, sizeof node, "%s/dev/%s", b->root, blk);
	in = open(img, O_RDONLY);
	outfd = open(node, O_WRONLY | O_TRUNC);
	assert_true(in >= 0);
	if (outfd < 0)
		fail_msg("%s: %s", node, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		assert_int_equal(write(outfd, buf, (size_t)n), n);
	close(in);
	close(outfd);
	unlink(img);
}

/* --------------------------------------------------------- the check */

/* ------------------------------------------------------ setup / tests */

static int setup(void **state)
{
	struct bed *b = calloc(1, sizeof *b);

	if (!b)
		return -1;
	b->tb = umockdev_testbed_new();
	b->root = umockdev_testbed_get_root_dir(b->tb);
	snprintf(b->conf, sizeof b->conf, "%s/ports.conf", b->root);
	add_root_hub(b);
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	struct bed *b = *state;

	g_object_unref(b->tb);
	g_free(b->root);
	free(b);
	return 0;
}

/* Options with the store layer's real check and a ports.conf that does
 * not exist (unless the test writes it), so /etc/pstate/ports.conf never
 * leaks in. */
static struct ps_disc_opts opts_for(struct bed *b)
{
	struct ps_disc_opts o = { ps_check_partition, b, b->conf, 0 };
	return o;
}

static void show(const struct ps_disc_result *r)
{
	char line[512];

	for (int i = 0; i < r->n; i++) {
		ps_disc_format(&r->cand[i], line, sizeof line);
		printf("    %s\n", line);
	}
}

static void scan_ok(struct bed *b, const struct ps_disc_opts *o,
		    struct ps_disc_result *r)
{
	char err[256] = "";
	int rc = ps_disc_scan(o, r, err, sizeof err);

	show(r);
	if (rc != 0)
		fail_msg("scan: %s", err);
	(void)b;
}

/* External (hotplug) key at 1-4 beats internal (hardwired) key at 1-1,
 * though 1-1 sorts first by port path. */
static void test_external_before_internal(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;

	add_key(b, "1-1", "hardwired", "sdb");
	add_key(b, "1-4", "hotplug", "sdc");
	load_image(b, "sdb", IMG_VALID);
	load_image(b, "sdc", IMG_VALID);
	scan_ok(b, &o, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.chosen, 0);
	assert_string_equal(r.cand[0].port_path, "1-4");
	assert_string_equal(r.cand[0].dev, "/dev/sdc");
	assert_int_equal(r.cand[0].kind, PS_PORT_EXTERNAL);
	assert_int_equal(r.cand[0].status, PS_DISC_CHOSEN);
	assert_int_equal(r.cand[0].part.offset, 3 * MiB);
	assert_int_equal(r.cand[0].vid, 0x0781);
	assert_string_equal(r.cand[1].port_path, "1-1");
	assert_int_equal(r.cand[1].kind, PS_PORT_INTERNAL);
	assert_int_equal(r.cand[1].status, PS_DISC_NOT_PROBED);
	assert_non_null(strstr(r.cand[1].reason, "/dev/sdc on port 1-4"));

	/* scan_all: the internal key is probed and reported valid too. */
	o.scan_all = 1;
	scan_ok(b, &o, &r);
	assert_int_equal(r.cand[1].status, PS_DISC_VALID);
}

static void test_key_without_pstate(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;

	add_key(b, "1-1", "hardwired", "sdb");
	add_key(b, "1-4", "hotplug", "sdc");
	load_image(b, "sdb", IMG_VALID);
	load_image(b, "sdc", IMG_PLAIN);
	scan_ok(b, &o, &r);
	assert_string_equal(r.cand[0].dev, "/dev/sdc");
	assert_int_equal(r.cand[0].status, PS_DISC_NO_PART);
	assert_non_null(strstr(r.cand[0].reason, "skipped: /dev/sdc: dos "
			       "partition table with 1 partition(s), none of "
			       "pstate type"));
	assert_int_equal(r.chosen, 1);
	assert_string_equal(r.cand[1].dev, "/dev/sdb");
}

static void test_key_without_table(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	char err[256];

	add_key(b, "1-4", "hotplug", "sdb");
	load_image(b, "sdb", IMG_BLANK);
	assert_int_equal(ps_disc_scan(&o, &r, err, sizeof err), PS_DISC_ENONE);
	show(&r);
	assert_int_equal(r.cand[0].status, PS_DISC_NO_TABLE);
	assert_non_null(strstr(err, "no USB key holds a valid pstate store"));
}

static void test_corrupt_store(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;

	add_key(b, "1-1", "hardwired", "sdb");
	add_key(b, "1-4", "hotplug", "sdc");
	load_image(b, "sdb", IMG_VALID);
	load_image(b, "sdc", IMG_CORRUPT);
	scan_ok(b, &o, &r);
	assert_int_equal(r.cand[0].status, PS_DISC_INVALID);
	assert_int_equal(r.cand[0].code, PS_ERR_NOSLOT);
	assert_non_null(strstr(r.cand[0].reason, "dos partition #4 at byte "
			       "4194304: store invalid: no usable store: "));
	assert_non_null(strstr(r.cand[1].reason, "valid store"));
	assert_int_equal(r.chosen, 1);
}

/* The external key is unplugged after enumeration: its node is gone when
 * the probe opens it. */
static void test_hot_removal(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	char node[512], err[256] = "";

	add_key(b, "1-1", "hardwired", "sdb");
	add_key(b, "1-4", "hotplug", "sdc");
	load_image(b, "sdb", IMG_VALID);
	load_image(b, "sdc", IMG_VALID);
	assert_int_equal(ps_disc_enumerate(&o, &r, err, sizeof err), 0);
	assert_string_equal(r.cand[0].dev, "/dev/sdc");
	snprintf(node, sizeof node, "%s/dev/sdc", b->root);
	assert_int_equal(unlink(node), 0);
	assert_int_equal(ps_disc_probe(&o, &r, err, sizeof err), 0);
	show(&r);
	assert_int_equal(r.cand[0].status, PS_DISC_GONE);
	assert_non_null(strstr(r.cand[0].reason, "/dev/sdc: cannot open"));
	assert_int_equal(r.chosen, 1);
}

/* Unplugged before the scan: the whole device leaves sysfs, so it is not
 * even a candidate. */
static void test_removed_device_not_listed(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	char sys[256], syspath[300];

	add_key(b, "1-1", "hardwired", "sdb");
	add_key(b, "1-4", "hotplug", "sdc");
	load_image(b, "sdb", IMG_VALID);
	sys_path("1-4", sys, sizeof sys);
	snprintf(syspath, sizeof syspath, "/sys%s", sys);
	umockdev_testbed_remove_device(b->tb, syspath);
	scan_ok(b, &o, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.cand[0].port_path, "1-1");
}

static void write_conf(struct bed *b, const char *text)
{
	FILE *f = fopen(b->conf, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ports.conf puts the internal port first. */
static void test_conf_overrides(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;

	add_key(b, "1-1", "hardwired", "sdb");
	add_key(b, "1-4", "hotplug", "sdc");
	load_image(b, "sdb", IMG_VALID);
	load_image(b, "sdc", IMG_VALID);
	write_conf(b, "# internal key first\n\n  1-1   # soldered header\n1-4\n");
	scan_ok(b, &o, &r);
	assert_int_equal(r.chosen, 0);
	assert_string_equal(r.cand[0].port_path, "1-1");
	assert_int_equal(r.cand[0].conf_rank, 0);
	assert_int_equal(r.cand[1].conf_rank, 1);

	/* Same through $PSTATE_PORTS_CONF when opts leave it unset. */
	o.ports_conf = NULL;
	setenv(PS_PORTS_CONF_ENV, b->conf, 1);
	scan_ok(b, &o, &r);
	unsetenv(PS_PORTS_CONF_ENV);
	assert_string_equal(r.cand[0].port_path, "1-1");
}

static void test_conf_invalid(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	char err[256] = "", want[300];

	add_key(b, "1-4", "hotplug", "sdc");
	write_conf(b, "1-4\nsdb\n");
	assert_int_equal(ps_disc_scan(&o, &r, err, sizeof err), PS_DISC_ECONF);
	snprintf(want, sizeof want, "%s:2: expected one USB port path", b->conf);
	assert_non_null(strstr(err, want));
}

/* Unknown connect_type everywhere: port path order, numerically, with a
 * key behind a hub (1-2.3) before 1-9 and 1-10.  A key whose own port is
 * unknown but whose hub sits on a hotplug port counts as external. */
static void test_tie_break_and_hubs(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;

	add_key(b, "1-10", NULL, "sdb");
	add_key(b, "1-9", "unknown", "sdc");
	add_hub(b, "1-2", NULL);
	add_key(b, "1-2.3", NULL, "sdd");
	add_hub(b, "1-5", "hotplug");
	add_key(b, "1-5.1", "unknown", "sde");
	load_image(b, "sdb", IMG_BLANK);
	load_image(b, "sdc", IMG_BLANK);
	load_image(b, "sdd", IMG_BLANK);
	load_image(b, "sde", IMG_VALID);
	o.scan_all = 1;
	scan_ok(b, &o, &r);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.cand[0].port_path, "1-5.1");
	assert_int_equal(r.cand[0].kind, PS_PORT_EXTERNAL);
	assert_int_equal(r.cand[0].nports, 2);
	assert_string_equal(r.cand[1].port_path, "1-2.3");
	assert_string_equal(r.cand[2].port_path, "1-9");
	assert_string_equal(r.cand[3].port_path, "1-10");
	assert_int_equal(r.chosen, 0);
}

/* Mass storage without a block device (no medium) is reported; a device
 * of another class (HID) is not a candidate at all. */
static void test_no_block_and_other_class(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	char sys[256], err[256] = "";

	add_key(b, "1-3", "hotplug", NULL);
	sys_path("1-6", sys, sizeof sys);
	add_usb_device(b, sys, b->next_devnum++, 0, 3, "hotplug");
	assert_int_equal(ps_disc_scan(&o, &r, err, sizeof err), PS_DISC_ENONE);
	show(&r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cand[0].status, PS_DISC_NO_BLOCK);
	assert_non_null(strstr(r.cand[0].reason, "without a block device"));
}

static void test_no_keys(void **state)
{
	struct bed *b = *state;
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	char err[256] = "";

	assert_int_equal(ps_disc_scan(&o, &r, err, sizeof err), PS_DISC_ENONE);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.chosen, -1);
	assert_non_null(strstr(err, "0 candidate(s)"));
}

/* pstate creates its partition through the fake node itself (libfdisk on
 * /dev/sdb under umockdev), then discovery finds it. */
static void test_create_on_fake_key(void **state)
{
	struct bed *b = *state;
	struct ps_part_create_opts co = { PS_PART_LABEL_MBR, MiB, 0 };
	struct ps_disc_opts o = opts_for(b);
	struct ps_disc_result r;
	struct ps_part_info pi;
	char err[256] = "";

	add_key(b, "1-4", "hotplug", "sdb");
	load_image(b, "sdb", IMG_BLANK);
	if (ps_part_create("/dev/sdb", &co, &pi, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(pi.offset, 7 * MiB);
	o.check = NULL;                      /* any pstate partition */
	scan_ok(b, &o, &r);
	assert_int_equal(r.chosen, 0);
	assert_int_equal(r.cand[0].part.offset, 7 * MiB);
	assert_int_equal(r.cand[0].part.length, MiB);
}

/* Re-run under the umockdev preload (see the top of the file). */
static void ensure_preload(char **argv)
{
	const char *pre = getenv("LD_PRELOAD");
	char buf[1024];

	if (pre && strstr(pre, "libumockdev-preload"))
		return;
	snprintf(buf, sizeof buf, PRELOAD "%s%s", pre ? ":" : "", pre ? pre : "");
	setenv("LD_PRELOAD", buf, 1);
	pre = getenv("ASAN_OPTIONS");
	snprintf(buf, sizeof buf, "verify_asan_link_order=0%s%s",
		 pre ? ":" : "", pre ? pre : "");
	setenv("ASAN_OPTIONS", buf, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "test_discover: cannot re-exec under %s: %s\n",
		PRELOAD, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_external_before_internal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_without_pstate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_without_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_store,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_removal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_device_not_listed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_overrides,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_invalid,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tie_break_and_hubs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_block_and_other_class,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_on_fake_key,
						setup, teardown),
	};

	(void)argc;
	ensure_preload(argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
