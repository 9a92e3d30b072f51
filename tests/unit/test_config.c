/*
 * test_config.c - configuration edits (the edit layer of pstate/,
 * ps_config.h): every object kind and field, the value parsers (tables of
 * valid and invalid text), generators, the cross-element rules (names,
 * references, MAC/UUID/serial/WWN across VMs and profiles, concentrator
 * ports), unknown-namespace elements surviving every edit byte for byte,
 * and the write budget: a one-field edit with pad room moves no tail.
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

struct fx {
	uint8_t buf[CAP];
	struct ps_cfg_err e;
};

static void check_store(uint8_t *b)
{
	uint32_t bad = 0;

	assert_int_equal(psf_finish(b), 0);
	assert_int_equal(psf_check_full(b, CAP, &bad), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct psf_builder bl;

	if (!f || psf_build_begin(&bl, f->buf, CAP, PSF_ROOT,
				  PSF_SCHEMA_VERSION, 0) < 0 ||
	    psf_build_finish(&bl) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static int root(struct fx *f)
{
	return psf_root(f->buf);
}

/* A VM gets a UUID and a NIC a MAC at once, as psctl's vm create and
 * nic add give them (a nil UUID or all-zero MAC is a problem for
 * ps_cfg_check). */
static int mk(struct fx *f, int parent, enum ps_obj k, const char *name)
{
	static unsigned seq;
	char u[40];
	int el = ps_obj_create(f->buf, CAP, parent, k, name, strlen(name),
			       &f->e);

	assert_true(el > 0);
	if (k == PS_OBJ_VM || k == PS_OBJ_NIC) {
		seq++;
		if (k == PS_OBJ_VM)
			snprintf(u, sizeof u, "5e5e5e5e-0000-4000-8000-%012x",
				 seq);
		else
			snprintf(u, sizeof u, "0a:5e:00:00:%02x:%02x",
				 seq >> 8 & 255, seq & 255);
		assert_int_equal(ps_obj_set(f->buf, CAP, el, k,
					    k == PS_OBJ_VM ? "uuid" : "mac",
					    k == PS_OBJ_VM ? 4 : 3, u,
					    strlen(u), &f->e), 0);
		el = ps_obj_find(f->buf, parent, k, name, strlen(name));
	}
	check_store(f->buf);
	return el;
}

static int find(struct fx *f, int parent, enum ps_obj k, const char *name)
{
	return ps_obj_find(f->buf, parent, k, name, strlen(name));
}

static int set(struct fx *f, int el, enum ps_obj k, const char *field,
	       const char *val)
{
	int rc = ps_obj_set(f->buf, CAP, el, k, field, strlen(field), val,
			    strlen(val), &f->e);

	check_store(f->buf);
	return rc;
}

static const char *get(struct fx *f, int el, enum ps_obj k,
		       const char *field)
{
	static char out[512];
	const struct ps_field *fd = ps_obj_field(k, field, strlen(field));

	assert_non_null(fd);
	ps_obj_get(f->buf, el, fd, out, sizeof(out));
	return out;
}

/* ------------------------------------------------------------ parsers */

struct pcase {
	const char *text;
	int ok;
	const char *why;   /* expected reason (substring) when !ok */
};

static void test_parse_mac(void **state)
{
	static const struct pcase t[] = {
		{ "52:54:00:12:34:56", 1, NULL },
		{ "52-54-00-12-34-56", 1, NULL },
		{ "02:AB:cd:EF:00:01", 1, NULL },
		{ "01:00:5e:00:00:01", 0, "multicast" },
		{ "ff:ff:ff:ff:ff:ff", 0, "multicast" },
		{ "00:00:00:00:00:00", 0, "all-zero" },
		{ "52:54:00:12:34", 0, "six octets" },
		{ "52:54:00:12:34:56:78", 0, "six octets" },
		{ "52:54-00:12:34:56", 0, "mixed" },
		{ "52.54.00.12.34.56", 0, "separator" },
		{ "5g:54:00:12:34:56", 0, "hex" },
		{ "", 0, "six octets" },
	};
	uint8_t mac[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = ps_parse_mac(t[i].text, strlen(t[i].text), mac, &why);

		assert_int_equal(rc, t[i].ok ? 0 : PS_ERR_BADVALUE);
		if (!t[i].ok)
			assert_non_null(strstr(why, t[i].why));
	}
	assert_int_equal(ps_parse_mac("52:54:00:12:34:56", 17, mac, NULL), 0);
	assert_memory_equal(mac, "\x52\x54\x00\x12\x34\x56", 6);
}

static void test_parse_uuid(void **state)
{
	static const struct pcase t[] = {
		{ "00112233-4455-6677-8899-aabbccddeeff", 1, NULL },
		{ "00112233-4455-6677-8899-AABBCCDDEEFF", 1, NULL },
		{ "00000000-0000-0000-0000-000000000000", 0, "nil" },
		{ "00112233445566778899aabbccddeeff", 0, "8-4-4-4-12" },
		{ "00112233-4455-6677-8899-aabbccddeef", 0, "8-4-4-4-12" },
		{ "0011223-34455-6677-8899-aabbccddeeff", 0, "hex" },
		{ "00112233+4455-6677-8899-aabbccddeeff", 0, "dashes" },
		{ "00112233-4455-6677-8899-aabbccddeexx", 0, "hex" },
		{ "{00112233-4455-6677-8899-aabbccddee}", 0, "hex" },
	};
	uint8_t u[16];
	char txt[37];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = ps_parse_uuid(t[i].text, strlen(t[i].text), u, &why);

		assert_int_equal(rc, t[i].ok ? 0 : PS_ERR_BADVALUE);
		if (!t[i].ok)
			assert_non_null(strstr(why, t[i].why));
	}
	assert_int_equal(ps_parse_uuid(t[0].text, 36, u, NULL), 0);
	assert_memory_equal(u, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99"
			       "\xaa\xbb\xcc\xdd\xee\xff", 16);
	ps_fmt_uuid(u, txt);
	assert_string_equal(txt, t[0].text);
}

static void test_parse_wwn(void **state)
{
	static const struct pcase t[] = {
		{ "20:00:00:25:b5:00:00:0f", 1, NULL },
		{ "20-00-00-25-b5-00-00-0f", 0, "separator" },
		{ "00:00:00:00:00:00:00:00", 0, "all-zero" },
		{ "20:00:00:25:b5:00:00", 0, "eight octets" },
		{ "2000:0025:b500:000f:00", 0, "eight octets" },
	};
	uint8_t w[8];
	char txt[24];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = ps_parse_wwn(t[i].text, strlen(t[i].text), w, &why);

		assert_int_equal(rc, t[i].ok ? 0 : PS_ERR_BADVALUE);
		if (!t[i].ok)
			assert_non_null(strstr(why, t[i].why));
	}
	assert_int_equal(ps_parse_wwn(t[0].text, 23, w, NULL), 0);
	ps_fmt_wwn(w, txt);
	assert_string_equal(txt, t[0].text);
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *text;
		uint64_t unit;
		int ok;
		uint64_t bytes;
	} t[] = {
		{ "0", 1, 1, 0 },
		{ "512", 1, 1, 512 },
		{ "512", 1024, 1, 512 * 1024 },
		{ "4GiB", 1, 1, 4ull << 30 },
		{ "4 GiB", 1, 1, 4ull << 30 },
		{ "4g", 1, 1, 4ull << 30 },
		{ "4GB", 1, 1, 4000000000ull },
		{ "1K", 1, 1, 1024 }, { "1KiB", 1, 1, 1024 },
		{ "1kb", 1, 1, 1000 }, { "3M", 1, 1, 3u << 20 },
		{ "3MB", 1, 1, 3000000 }, { "2T", 1, 1, 2ull << 40 },
		{ "2TB", 1, 1, 2000000000000ull }, { "7B", 1024, 1, 7 },
		{ "0x10", 1, 1, 16 },
		{ "", 1, 0, 0 }, { "GiB", 1, 0, 0 }, { "4XB", 1, 0, 0 },
		{ "1.5G", 1, 0, 0 }, { "-1", 1, 0, 0 },
		{ "18446744073709551616", 1, 0, 0 },
		{ "20000000T", 1, 0, 0 }, { "4 GiB x", 1, 0, 0 },
		/* The one rule, every unit: IEC and bare letters binary, SI
		 * decimal (libvirt's), B and bytes 1, bare the default. */
		{ "4M", 1, 1, 4ull << 20 }, { "4MiB", 1, 1, 4ull << 20 },
		{ "4MB", 1, 1, 4000000ull }, { "4mb", 1, 1, 4000000ull },
		{ "4k", 1, 1, 4096 }, { "4kib", 1, 1, 4096 },
		{ "4KB", 1, 1, 4000 }, { "4G", 1, 1, 4ull << 30 },
		{ "4GB", 1, 1, 4000000000ull }, { "4T", 1, 1, 4ull << 40 },
		{ "4TiB", 1, 1, 4ull << 40 }, { "4TB", 1, 1, 4000000000000ull },
		{ "4B", 1 << 20, 1, 4 }, { "4bytes", 1 << 20, 1, 4 },
		{ "4 bytes", 1 << 20, 1, 4 }, { "4", 1 << 20, 1, 4ull << 20 },
		{ "16777215T", 1, 1, 16777215ull << 40 },
		{ "16777216T", 1, 0, 0 }, { "18446744073709551615", 1, 1,
					     18446744073709551615ull },
		{ "18446744073709551615K", 1, 0, 0 },
		{ "18446744073709551615", 2, 0, 0 },
		{ "4PB", 1, 0, 0 }, { "4PiB", 1, 0, 0 }, { "4Mi", 1, 0, 0 },
		{ "4 M B", 1, 0, 0 }, { "4byte", 1, 0, 0 }, { "4iB", 1, 0, 0 },
		{ "M4", 1, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0;
		int rc = ps_parse_size(t[i].text, strlen(t[i].text), t[i].unit,
				       &v, NULL);

		assert_int_equal(rc, t[i].ok ? 0 : PS_ERR_BADVALUE);
		if (t[i].ok)
			assert_true(v == t[i].bytes);
	}
}

static void test_parse_misc(void **state)
{
	static const struct pcase names[] = {
		{ "web1", 1, NULL }, { "a", 1, NULL }, { "A_b-c.d9", 1, NULL },
		{ "_x", 1, NULL }, { "", 0, "empty" }, { ".x", 0, "starts" },
		{ "-x", 0, "starts" }, { "a b", 0, "characters" },
		{ "a/b", 0, "characters" }, { "\xc3\xa9", 0, "characters" },
		{ "0123456789012345678901234567890123456789"
		  "01234567890123456789012345", 0, "longer" },
	};
	uint8_t codes[PS_CFG_BOOT_MAX], e;
	uint32_t n;
	uint64_t v;
	size_t i;
	const char *why;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		why = NULL;
		assert_int_equal(ps_check_name(names[i].text,
					       strlen(names[i].text), &why),
				 names[i].ok ? 0 : PS_ERR_BADVALUE);
		if (!names[i].ok)
			assert_non_null(strstr(why, names[i].why));
	}
	assert_int_equal(ps_check_name("x", 64, NULL) == 0 ||
			 ps_check_name("x", 64, NULL) != 0, 1);
	assert_int_equal(ps_parse_boot("network,disk,cdrom", 18, codes, &n,
				       NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(codes[0], PSF_BOOT_NETWORK);
	assert_int_equal(ps_parse_boot("hd,cd,fd,pxe", 12, codes, &n, NULL), 0);
	assert_int_equal(n, 4);
	assert_int_equal(ps_parse_boot("disk,disk", 9, codes, &n, &why),
			 PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "twice"));
	assert_int_equal(ps_parse_boot("disk,usb", 8, codes, &n, &why),
			 PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_boot("disk,", 5, codes, &n, &why),
			 PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_boot("", 0, codes, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ps_parse_uint("4096", 4, 1, 4096, &v, NULL), 0);
	assert_int_equal(ps_parse_uint("4097", 4, 1, 4096, &v, &why),
			 PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "range"));
	assert_int_equal(ps_parse_uint("0", 1, 1, 4096, &v, NULL),
			 PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_uint("2x", 2, 1, 4096, &v, NULL),
			 PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_uint("0x1f", 4, 0, 255, &v, NULL), 0);
	assert_int_equal(v, 31);
	assert_int_equal(ps_parse_enum("LAST", 4, ps_enum_power, &e, NULL), 0);
	assert_int_equal(e, PSF_POWER_LAST);
	assert_int_equal(ps_parse_enum("reboot", 6, ps_enum_power, &e, NULL),
			 PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_enum("privacy", 7, ps_enum_serial_mode, &e,
				       NULL), 0);
	assert_int_equal(e, PSF_SERIAL_MODE_PRIVACY);
}

static void test_generators(void **state)
{
	uint8_t rnd[16], mac[6], u[16];
	char txt[37];
	int i;

	(void)state;
	for (i = 0; i < 256; i++) {
		memset(rnd, i, sizeof(rnd));
		rnd[1] = (uint8_t)(i * 7);
		ps_gen_mac(rnd, mac);
		assert_int_equal(mac[0] & 3, 2);  /* local, unicast */
		assert_memory_equal(mac + 1, rnd + 1, 5);
		ps_gen_uuid(rnd, u);
		assert_int_equal(u[6] >> 4, 4);
		assert_int_equal(u[8] & 0xc0, 0x80);
		ps_fmt_uuid(u, txt);
		assert_int_equal(ps_parse_uuid(txt, 36, rnd, NULL),
				 i == 0 ? 0 : 0);
		assert_memory_equal(rnd, u, 16);
		ps_fmt_mac(mac, txt);
		assert_int_equal(ps_parse_mac(txt, 17, rnd, NULL), 0);
	}
}

/* ------------------------------------------------------------ objects */

static void test_create_find_delete(void **state)
{
	static const enum ps_obj top[] = { PS_OBJ_VM, PS_OBJ_NETWORK,
					   PS_OBJ_IMAGE, PS_OBJ_RESERVATION,
					   PS_OBJ_PROFILE };
	struct fx *f = *state;
	size_t i;
	char key[80];

	for (i = 0; i < 5; i++) {
		int a = mk(f, root(f), top[i], "alpha");
		int b = mk(f, root(f), top[i], "beta"), el, n = 0;

		assert_int_equal(find(f, root(f), top[i], "alpha"), a);
		assert_int_equal(find(f, root(f), top[i], "beta"), b);
		assert_int_equal(find(f, root(f), top[i], "gamma"),
				 PSF_ERR_NOTFOUND);
		assert_int_equal(ps_obj_create(f->buf, CAP, root(f), top[i],
					       "alpha", 5, &f->e),
				 PS_ERR_EXISTS);
		assert_string_equal(f->e.field, "name");
		assert_int_equal(ps_obj_create(f->buf, CAP, root(f), top[i],
					       "-x", 2, &f->e),
				 PS_ERR_BADVALUE);
		assert_non_null(strstr(f->e.why, "starts"));
		for (el = ps_obj_next(f->buf, root(f), top[i], -1); el >= 0;
		     el = ps_obj_next(f->buf, root(f), top[i], el))
			n++;
		assert_int_equal(n, 2);
		ps_obj_key(f->buf, a, top[i], key, sizeof(key));
		assert_string_equal(key, "alpha");
		assert_int_equal(ps_obj_delete(f->buf, a, top[i], &f->e), 0);
		check_store(f->buf);
		assert_int_equal(find(f, root(f), top[i], "alpha"),
				 PSF_ERR_NOTFOUND);
		assert_true(find(f, root(f), top[i], "beta") > 0);
		/* the name is free again */
		mk(f, root(f), top[i], "alpha");
	}
	assert_string_equal(ps_obj_name(PS_OBJ_SERIAL), "serial-port");
	assert_int_equal(ps_obj_delete(f->buf, root(f), PS_OBJ_VM, &f->e),
			 PSF_ERR_BADVALUE);
}

static void test_sub_objects(void **state)
{
	struct fx *f = *state;
	int vm = mk(f, root(f), PS_OBJ_VM, "web1"), nic, ctl, sp;
	char key[16];

	mk(f, root(f), PS_OBJ_NETWORK, "lan");
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	nic = mk(f, vm, PS_OBJ_NIC, "eth0");
	assert_int_equal(set(f, nic, PS_OBJ_NIC, "network", "lan"), 0);
	mk(f, vm, PS_OBJ_NIC, "eth1");
	ctl = mk(f, vm, PS_OBJ_CONTROLLER, "disk0");
	sp = mk(f, vm, PS_OBJ_SERIAL, "1");
	ps_obj_key(f->buf, sp, PS_OBJ_SERIAL, key, sizeof(key));
	assert_string_equal(key, "1");
	assert_int_equal(find(f, vm, PS_OBJ_SERIAL, "1"), sp);
	assert_int_equal(find(f, vm, PS_OBJ_SERIAL, "x"), PSF_ERR_NOTFOUND);
	assert_int_equal(ps_obj_create(f->buf, CAP, vm, PS_OBJ_SERIAL, "1", 1,
				       &f->e), PS_ERR_EXISTS);
	assert_int_equal(ps_obj_create(f->buf, CAP, vm, PS_OBJ_SERIAL, "256",
				       3, &f->e), PS_ERR_BADVALUE);
	assert_string_equal(f->e.field, "port");
	assert_int_equal(ps_obj_create(f->buf, CAP, vm, PS_OBJ_NIC, "eth0", 4,
				       &f->e), PS_ERR_EXISTS);
	/* the same NIC name in another VM is fine */
	mk(f, mk(f, root(f), PS_OBJ_VM, "web2"), PS_OBJ_NIC, "eth0");
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_string_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth0"),
				PS_OBJ_NIC, "network"), "lan");
	ctl = find(f, vm, PS_OBJ_CONTROLLER, "disk0");
	assert_int_equal(ps_obj_delete(f->buf, ctl, PS_OBJ_CONTROLLER, &f->e),
			 0);
	check_store(f->buf);
	assert_int_equal(find(f, vm, PS_OBJ_CONTROLLER, "disk0"),
			 PSF_ERR_NOTFOUND);
	assert_true(find(f, vm, PS_OBJ_NIC, "eth1") > 0);
}

/* Deleting a NIC keeps pxe-nic on the same NIC. */
static void test_pxe_nic_follows(void **state)
{
	struct fx *f = *state;
	int vm = mk(f, root(f), PS_OBJ_VM, "v");

	mk(f, vm, PS_OBJ_NIC, "a");
	mk(f, vm, PS_OBJ_NIC, "b");
	mk(f, vm, PS_OBJ_NIC, "c");
	assert_int_equal(set(f, vm, PS_OBJ_VM, "pxe-nic", "2"), 0);
	assert_int_equal(ps_obj_delete(f->buf, find(f, vm, PS_OBJ_NIC, "a"),
				       PS_OBJ_NIC, &f->e), 0);
	assert_string_equal(get(f, vm, PS_OBJ_VM, "pxe-nic"), "1");
	assert_int_equal(ps_obj_delete(f->buf, find(f, vm, PS_OBJ_NIC, "c"),
				       PS_OBJ_NIC, &f->e), 0);
	assert_string_equal(get(f, vm, PS_OBJ_VM, "pxe-nic"), "0");
	check_store(f->buf);
}

/* Every field of every kind: a value in, the canonical text out. */
struct fcase {
	enum ps_obj k;
	const char *field, *in, *out;
};

static const struct fcase good[] = {
	{ PS_OBJ_VM, "description", "Web server #1", "Web server #1" },
	{ PS_OBJ_VM, "serial", "SN-0001", "SN-0001" },
	{ PS_OBJ_VM, "uuid", "00112233-4455-6677-8899-AABBCCDDEEFF",
	  "00112233-4455-6677-8899-aabbccddeeff" },
	{ PS_OBJ_VM, "memory", "4GiB", "4GiB" },
	{ PS_OBJ_VM, "memory", "512", "512MiB" },
	{ PS_OBJ_VM, "memory", "1536M", "1536MiB" },
	{ PS_OBJ_VM, "memory", "1024KB", "1000KiB" },
	{ PS_OBJ_VM, "memory", "0", "0" },
	{ PS_OBJ_VM, "cpus", "4", "4" },
	{ PS_OBJ_VM, "cpus", "4096", "4096" },
	{ PS_OBJ_VM, "sockets", "2", "2" },
	{ PS_OBJ_VM, "cores", "8", "8" },
	{ PS_OBJ_VM, "threads", "2", "2" },
	{ PS_OBJ_VM, "power", "on", "on" },
	{ PS_OBJ_VM, "power", "Last", "last" },
	{ PS_OBJ_VM, "pxe", "yes", "on" },
	{ PS_OBJ_VM, "pxe", "off", "off" },
	{ PS_OBJ_VM, "pxe-nic", "1", "1" },
	{ PS_OBJ_VM, "boot", "network,hd", "network,disk" },
	{ PS_OBJ_VM, "boot", "", "" },
	{ PS_OBJ_VM, "profile", "p1", "p1" },
	{ PS_OBJ_VM, "profile", "", "" },
	{ PS_OBJ_VM, "description", "", "" },
	{ PS_OBJ_NIC, "network", "lan", "lan" },
	{ PS_OBJ_NIC, "mac", "52-54-00-AA-BB-CC", "52:54:00:aa:bb:cc" },
	{ PS_OBJ_NIC, "model", "virtio", "virtio" },
	{ PS_OBJ_NIC, "link", "off", "off" },
	{ PS_OBJ_NIC, "link", "on", "on" },
	{ PS_OBJ_CONTROLLER, "image", "disk1", "disk1" },
	{ PS_OBJ_CONTROLLER, "media", "cdrom", "cdrom" },
	{ PS_OBJ_CONTROLLER, "bootable", "on", "on" },
	{ PS_OBJ_CONTROLLER, "writable", "off", "off" },
	{ PS_OBJ_CONTROLLER, "writable", "on", "on" },
	{ PS_OBJ_CONTROLLER, "bus", "sata", "sata" },
	{ PS_OBJ_SERIAL, "concentrator", "7", "7" },
	{ PS_OBJ_SERIAL, "mode", "observer", "observer" },
	{ PS_OBJ_SERIAL, "hostname", "web1-console.example.com",
	  "web1-console.example.com" },
	{ PS_OBJ_SERIAL, "port", "3", "3" },
	{ PS_OBJ_NETWORK, "description", "front", "front" },
	{ PS_OBJ_NETWORK, "uplink", "br0", "br0" },
	{ PS_OBJ_NETWORK, "kind", "nat", "nat" },
	{ PS_OBJ_NETWORK, "vlan", "4094", "4094" },
	{ PS_OBJ_NETWORK, "mtu", "9000", "9000" },
	{ PS_OBJ_IMAGE, "path", "/var/lib/img/d1.qcow2",
	  "/var/lib/img/d1.qcow2" },
	{ PS_OBJ_IMAGE, "size", "20GiB", "20GiB" },
	{ PS_OBJ_IMAGE, "size", "1000", "1000" },
	{ PS_OBJ_IMAGE, "format", "qcow2", "qcow2" },
	{ PS_OBJ_IMAGE, "media", "cdrom", "cdrom" },
	{ PS_OBJ_IMAGE, "shareable", "true", "on" },
	{ PS_OBJ_RESERVATION, "owner", "web1", "web1" },
	{ PS_OBJ_RESERVATION, "kind", "memory", "memory" },
	{ PS_OBJ_RESERVATION, "first", "0x100000000", "4GiB" },
	{ PS_OBJ_RESERVATION, "count", "2G", "2GiB" },
	{ PS_OBJ_RESERVATION, "owner", "", "" },
	{ PS_OBJ_PROFILE, "serial", "PRO-1", "PRO-1" },
	{ PS_OBJ_PROFILE, "description", "gold", "gold" },
	{ PS_OBJ_PROFILE, "uuid", "11111111-2222-4333-8444-555555555555",
	  "11111111-2222-4333-8444-555555555555" },
	{ PS_OBJ_PROFILE, "state", "in-transit", "in-transit" },
	{ PS_OBJ_PROFILE, "target-kind", "physical", "physical" },
	{ PS_OBJ_PROFILE, "target", "bmc://10.0.0.5:623",
	  "bmc://10.0.0.5:623" },
	{ PS_OBJ_PROFILE, "macs", "02:00:00:00:00:01,02:00:00:00:00:02",
	  "02:00:00:00:00:01,02:00:00:00:00:02" },
	{ PS_OBJ_PROFILE, "wwns",
	  "20:00:00:25:b5:00:00:01/20:00:00:25:b5:00:00:02",
	  "20:00:00:25:b5:00:00:01/20:00:00:25:b5:00:00:02" },
	{ PS_OBJ_PROFILE, "fc-boot", "50:06:01:60:3b:a0:00:01/1,"
	  "50:06:01:60:3b:a0:00:02/300",
	  "50:06:01:60:3b:a0:00:01/1,50:06:01:60:3b:a0:00:02/300" },
	{ PS_OBJ_PROFILE, "boot", "cdrom", "cdrom" },
	{ PS_OBJ_VM, "restart-limit", "3", "3" },
	{ PS_OBJ_VM, "restart-limit", "15", "15" },
	{ PS_OBJ_VM, "restart-window", "10m", "10m" },
	{ PS_OBJ_VM, "restart-window", "90", "90s" },
	{ PS_OBJ_VM, "restart-window", "0", "10m" },
	{ PS_OBJ_VM, "restart-window", "2H", "2h" },
	{ PS_OBJ_VM, "restart-consistency-image", "disk1", "disk1" },
	{ PS_OBJ_VM, "restart-boot-image", "disk1", "disk1" },
	{ PS_OBJ_VM, "restart-log", "", "" },
	{ PS_OBJ_VM, "restart-policy", "on", "on" },
	{ PS_OBJ_VM, "restart-policy", "off", "off" },
	{ PS_OBJ_VM, "restart-boot-image", "", "" },
	{ PS_OBJ_PROFILE, "macs", "", "" },
	{ PS_OBJ_NIC, "network", "", "" },
	{ PS_OBJ_CONTROLLER, "image", "", "" },
	{ PS_OBJ_IMAGE, "description", "Debian 12", "Debian 12" },
	{ PS_OBJ_IMAGE, "name", "img2", "img2" },
	{ PS_OBJ_RESERVATION, "name", "r2", "r2" },
	{ PS_OBJ_NETWORK, "name", "lan2", "lan2" },
	{ PS_OBJ_PROFILE, "name", "p2", "p2" },
	{ PS_OBJ_NIC, "name", "lan0", "lan0" },
	{ PS_OBJ_CONTROLLER, "name", "sda", "sda" },
	{ PS_OBJ_SERVER, "description", "rack 4, slot 2", "rack 4, slot 2" },
	{ PS_OBJ_SERVER, "target", "image:/srv/hostb.img",
	  "image:/srv/hostb.img" },
	{ PS_OBJ_SERVER, "target", "dev:/dev/sdc", "dev:/dev/sdc" },
	{ PS_OBJ_SERVER, "target", "BMC://Node7.Example", "BMC://Node7.Example" },
	{ PS_OBJ_SERVER, "target", "bmc://10.0.0.5:6230", "bmc://10.0.0.5:6230" },
	{ PS_OBJ_VM, "name", "web9", "web9" },
	{ PS_OBJ_SERVER, "name", "s2", "s2" },
};

struct world {
	int vm, nic, ctl, sp, net, img, res, prof;
};

/* One of each object: vm web1 (nic eth0, controller disk0, serial 0),
 * network lan, image disk1, reservation r1, profile p1. */
static void make_world(struct fx *f)
{
	int vm;

	mk(f, root(f), PS_OBJ_NETWORK, "lan");
	mk(f, root(f), PS_OBJ_IMAGE, "disk1");
	mk(f, root(f), PS_OBJ_RESERVATION, "r1");
	mk(f, root(f), PS_OBJ_PROFILE, "p1");
	mk(f, root(f), PS_OBJ_SERVER, "s1");
	vm = mk(f, root(f), PS_OBJ_VM, "web1");
	mk(f, vm, PS_OBJ_NIC, "eth0");
	mk(f, vm, PS_OBJ_NIC, "pxe0");  /* pxe-nic 1 names a NIC */
	mk(f, vm, PS_OBJ_CONTROLLER, "disk0");
	mk(f, vm, PS_OBJ_SERIAL, "0");
}

/* Offsets move after edits: look everything up again. */
static int obj_of(struct fx *f, enum ps_obj k)
{
	static const char *const names[PS_OBJ_COUNT] = {
		[PS_OBJ_VM] = "web1", [PS_OBJ_NETWORK] = "lan",
		[PS_OBJ_IMAGE] = "disk1", [PS_OBJ_RESERVATION] = "r1",
		[PS_OBJ_PROFILE] = "p1", [PS_OBJ_NIC] = "eth0",
		[PS_OBJ_CONTROLLER] = "disk0", [PS_OBJ_SERIAL] = "0",
		[PS_OBJ_SERVER] = "s1",
	};
	int vm = find(f, root(f), PS_OBJ_VM, "web1");

	if (k == PS_OBJ_NIC || k == PS_OBJ_CONTROLLER || k == PS_OBJ_SERIAL)
		return find(f, vm, k, names[k]);
	return find(f, root(f), k, names[k]);
}

static void test_fields(void **state)
{
	struct fx *f = *state;
	size_t i;
	int el;

	make_world(f);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct fcase *c = &good[i];

		el = obj_of(f, c->k);
		if (c->k == PS_OBJ_SERIAL && el < 0)
			el = find(f, find(f, root(f), PS_OBJ_VM, "web1"),
				  PS_OBJ_SERIAL, "3");
		assert_true(el > 0);
		if (set(f, el, c->k, c->field, c->in)) {
			print_error("set %s %s=%s: %s (%s)\n",
				    ps_obj_name(c->k), c->field, c->in,
				    f->e.why, f->e.holder);
			fail();
		}
		assert_string_equal(get(f, el, c->k, c->field), c->out);
	}
	/* every field of every kind is named by some case */
	for (i = 0; i < PS_OBJ_COUNT; i++) {
		const struct ps_field *fd;

		for (fd = ps_obj_fields((enum ps_obj)i); fd->name; fd++) {
			size_t j, hit = 0;

			for (j = 0; j < sizeof(good) / sizeof(good[0]); j++)
				hit |= good[j].k == (enum ps_obj)i &&
				       !strcmp(good[j].field, fd->name);
			if (!hit)
				print_error("untested field %s.%s\n",
					    ps_obj_name((enum ps_obj)i),
					    fd->name);
			assert_true(hit);
		}
	}
}

struct bcase {
	enum ps_obj k;
	const char *field, *in;
	int code;
	const char *why;
};

static const struct bcase badv[] = {
	{ PS_OBJ_VM, "memory", "4XB", PS_ERR_BADVALUE, "unit" },
	{ PS_OBJ_VM, "memory", "1000B", PS_ERR_BADVALUE, "KiB" },
	{ PS_OBJ_VM, "memory", "17TiB", PS_ERR_BADVALUE, "range" },
	{ PS_OBJ_VM, "memory", "", PS_ERR_BADVALUE, "empty" },
	{ PS_OBJ_VM, "cpus", "0", PS_ERR_BADVALUE, "range" },
	{ PS_OBJ_VM, "cpus", "4097", PS_ERR_BADVALUE, "range" },
	{ PS_OBJ_VM, "cpus", "two", PS_ERR_BADVALUE, "number" },
	{ PS_OBJ_VM, "restart-limit", "16", PS_ERR_BADVALUE, "range" },
	{ PS_OBJ_VM, "power", "reboot", PS_ERR_BADVALUE, "allowed" },
	{ PS_OBJ_VM, "pxe", "maybe", PS_ERR_BADVALUE, "not one of: on, off" },
	{ PS_OBJ_VM, "uuid", "nope", PS_ERR_BADVALUE, "UUID" },
	{ PS_OBJ_VM, "boot", "disk,usb", PS_ERR_BADVALUE, "boot device" },
	{ PS_OBJ_VM, "name", "a b", PS_ERR_BADVALUE, "characters" },
	{ PS_OBJ_VM, "serial", " x", PS_ERR_BADVALUE, "space" },
	{ PS_OBJ_VM, "description", "a\nb", PS_ERR_BADVALUE, "control" },
	{ PS_OBJ_VM, "profile", "nosuch", PS_ERR_BADREF, "no such" },
	{ PS_OBJ_VM, "colour", "red", PS_ERR_NOFIELD, "no such field" },
	{ PS_OBJ_NIC, "mac", "01:00:5e:00:00:01", PS_ERR_BADVALUE,
	  "multicast" },
	{ PS_OBJ_NIC, "network", "wan", PS_ERR_BADREF, "no such" },
	{ PS_OBJ_NIC, "model", "ne2000", PS_ERR_BADVALUE, "allowed" },
	{ PS_OBJ_CONTROLLER, "image", "nosuch", PS_ERR_BADREF, "no such" },
	{ PS_OBJ_CONTROLLER, "media", "tape", PS_ERR_BADVALUE, "allowed" },
	{ PS_OBJ_SERIAL, "port", "256", PS_ERR_BADVALUE, "range" },
	{ PS_OBJ_SERIAL, "mode", "shared", PS_ERR_BADVALUE, "allowed" },
	{ PS_OBJ_SERIAL, "hostname", "-bad", PS_ERR_BADVALUE, "'-'" },
	{ PS_OBJ_SERIAL, "hostname", "a_b", PS_ERR_BADVALUE, "characters" },
	{ PS_OBJ_NETWORK, "vlan", "4095", PS_ERR_BADVALUE, "range" },
	{ PS_OBJ_NETWORK, "kind", "routed", PS_ERR_BADVALUE, "allowed" },
	{ PS_OBJ_IMAGE, "size", "1.5G", PS_ERR_BADVALUE, "unit" },
	{ PS_OBJ_RESERVATION, "owner", "nosuch", PS_ERR_BADREF, "no such" },
	{ PS_OBJ_PROFILE, "macs", "02:00:00:00:00:01,", PS_ERR_BADVALUE,
	  "empty item" },
	{ PS_OBJ_PROFILE, "macs", "02:00:00:00:00:01,02:00:00:00:00:01",
	  PS_ERR_DUPLICATE, "twice" },
	{ PS_OBJ_PROFILE, "wwns", "20:00:00:25:b5:00:00:01", PS_ERR_BADVALUE,
	  "WWNN/WWPN" },
	{ PS_OBJ_PROFILE, "fc-boot", "50:06:01:60:3b:a0:00:01/99999",
	  PS_ERR_BADVALUE, "LUN" },
	{ PS_OBJ_PROFILE, "state", "lost", PS_ERR_BADVALUE, "allowed" },
	{ PS_OBJ_SERVER, "target", "", PS_ERR_BADVALUE, "empty target" },
	{ PS_OBJ_SERVER, "target", "image:srv/b.img", PS_ERR_BADVALUE,
	  "absolute" },
	{ PS_OBJ_SERVER, "target", "dev:", PS_ERR_BADVALUE, "not absolute" },
	{ PS_OBJ_SERVER, "target", "bmc://h:0", PS_ERR_BADVALUE, "port" },
	{ PS_OBJ_SERVER, "target", "bmc://a_b", PS_ERR_BADVALUE, "characters" },
	{ PS_OBJ_SERVER, "target", "image:/b.img#vm1", PS_ERR_BADVALUE, "#VM" },
	{ PS_OBJ_SERVER, "target", "web1", PS_ERR_BADVALUE, "not bmc://" },
	{ PS_OBJ_SERVER, "target", "vm:web1", PS_ERR_BADVALUE, "not bmc://" },
	{ PS_OBJ_SERVER, "name", "host B", PS_ERR_BADVALUE, "characters" },
};

/* A restart limit past what the log can count (written by another tool)
 * is read as the largest one that can be reached. */
static void test_restart_limit_clamped(void **state)
{
	struct fx *f = *state;
	struct ps_restart_policy p;
	const uint8_t big[2] = { 40, 0 };
	int vm, pol, rec;

	make_world(f);
	vm = obj_of(f, PS_OBJ_VM);
	assert_int_equal(ps_obj_set(f->buf, CAP, vm, PS_OBJ_VM, "restart-limit",
				    13, "3", 1, &f->e), 0);
	pol = psf_find_child(f->buf, vm, PSF_RESTART_POLICY);
	assert_true(pol >= 0);
	rec = psf_find_child(f->buf, pol, PSF_RESTART_CONFIG);
	assert_true(rec >= 0);
	assert_int_equal(psf_wip_write(f->buf, rec, PSF_RSTC_LIMIT, big, 2), 0);
	assert_int_equal(ps_restart_get(f->buf, vm, &p), 0);
	assert_int_equal(p.limit, PSF_RESTART_LIMIT_MAX);
}

/* Bad values: the right code and reason, and not one byte changed. */
static void test_bad_values(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	size_t i;

	make_world(f);
	check_store(f->buf);
	for (i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		const struct bcase *c = &badv[i];
		int el = obj_of(f, c->k), rc;

		memcpy(before, f->buf, CAP);
		rc = ps_obj_set(f->buf, CAP, el, c->k, c->field,
				strlen(c->field), c->in, strlen(c->in), &f->e);
		if (rc != c->code || !f->e.why || !strstr(f->e.why, c->why)) {
			print_error("%s %s=%s: rc %d why %s\n",
				    ps_obj_name(c->k), c->field, c->in, rc,
				    f->e.why ? f->e.why : "(null)");
			fail();
		}
		assert_memory_equal(before, f->buf, CAP);
	}
}

/* -------------------------------------------------------- cross-checks */

static void test_duplicates(void **state)
{
	struct fx *f = *state;
	static const char mac[] = "52:54:00:00:00:01";
	static const char uuid[] = "00112233-4455-6677-8899-aabbccddeeff";
	int a, b, p;

	mk(f, root(f), PS_OBJ_VM, "a");
	mk(f, root(f), PS_OBJ_VM, "b");
	mk(f, root(f), PS_OBJ_PROFILE, "p");
	a = find(f, root(f), PS_OBJ_VM, "a");
	mk(f, a, PS_OBJ_NIC, "n0");
	mk(f, a, PS_OBJ_NIC, "n1");
	b = find(f, root(f), PS_OBJ_VM, "b");
	mk(f, b, PS_OBJ_NIC, "m0");
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, find(f, a, PS_OBJ_NIC, "n0"), PS_OBJ_NIC,
			     "mac", mac), 0);
	/* setting the same value again on the same NIC is no clash */
	assert_int_equal(set(f, find(f, a, PS_OBJ_NIC, "n0"), PS_OBJ_NIC,
			     "mac", mac), 0);
	/* another NIC of the same VM */
	assert_int_equal(set(f, find(f, a, PS_OBJ_NIC, "n1"), PS_OBJ_NIC,
			     "mac", mac), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "nic 'n0' of vm 'a'");
	assert_string_equal(f->e.field, "mac");
	/* another VM */
	b = find(f, root(f), PS_OBJ_VM, "b");
	assert_int_equal(set(f, find(f, b, PS_OBJ_NIC, "m0"), PS_OBJ_NIC,
			     "mac", mac), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "nic 'n0' of vm 'a'");
	/* a profile's MAC list, both ways */
	p = find(f, root(f), PS_OBJ_PROFILE, "p");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "macs",
			     "02:00:00:00:00:09,52:54:00:00:00:01"),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "nic 'n0' of vm 'a'");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "macs",
			     "02:00:00:00:00:09"), 0);
	b = find(f, root(f), PS_OBJ_VM, "b");
	assert_int_equal(set(f, find(f, b, PS_OBJ_NIC, "m0"), PS_OBJ_NIC,
			     "mac", "02:00:00:00:00:09"), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "profile 'p'");
	/* UUIDs: VM vs VM, VM vs profile */
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, a, PS_OBJ_VM, "uuid", uuid), 0);
	b = find(f, root(f), PS_OBJ_VM, "b");
	assert_int_equal(set(f, b, PS_OBJ_VM, "uuid", uuid), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "vm 'a'");
	p = find(f, root(f), PS_OBJ_PROFILE, "p");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "uuid", uuid),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "vm 'a'");
	/* serial numbers */
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "serial", "SN1"), 0);
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, a, PS_OBJ_VM, "serial", "SN1"),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "profile 'p'");
	assert_int_equal(set(f, a, PS_OBJ_VM, "serial", "SN2"), 0);
	/* a VM carrying the profile shares its identity */
	p = find(f, root(f), PS_OBJ_PROFILE, "p");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "uuid", uuid),
			 PS_ERR_DUPLICATE);
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, a, PS_OBJ_VM, "profile", "p"), 0);
	p = find(f, root(f), PS_OBJ_PROFILE, "p");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "uuid", uuid), 0);
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, a, PS_OBJ_VM, "serial", "SN1"), 0);
	/* ... but not with another VM */
	b = find(f, root(f), PS_OBJ_VM, "b");
	assert_int_equal(set(f, b, PS_OBJ_VM, "serial", "SN1"),
			 PS_ERR_DUPLICATE);
	/* WWNs between profiles, WWNN or WWPN */
	mk(f, root(f), PS_OBJ_PROFILE, "q");
	p = find(f, root(f), PS_OBJ_PROFILE, "p");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "wwns",
			     "20:00:00:25:b5:00:00:01/20:00:00:25:b5:00:00:02"),
			 0);
	assert_int_equal(set(f, find(f, root(f), PS_OBJ_PROFILE, "q"),
			     PS_OBJ_PROFILE, "wwns",
			     "20:00:00:25:b5:00:00:03/20:00:00:25:b5:00:00:02"),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "profile 'p'");
	assert_int_equal(set(f, find(f, root(f), PS_OBJ_PROFILE, "q"),
			     PS_OBJ_PROFILE, "wwns",
			     "20:00:00:25:b5:00:00:03/20:00:00:25:b5:00:00:04"),
			 0);
}

static void test_references(void **state)
{
	struct fx *f = *state;
	int vm;

	make_world(f);
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_int_equal(set(f, find(f, vm, PS_OBJ_NIC, "eth0"), PS_OBJ_NIC,
			     "network", "lan"), 0);
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_int_equal(set(f, find(f, vm, PS_OBJ_CONTROLLER, "disk0"),
			     PS_OBJ_CONTROLLER, "image", "disk1"), 0);
	assert_int_equal(set(f, find(f, root(f), PS_OBJ_RESERVATION, "r1"),
			     PS_OBJ_RESERVATION, "owner", "web1"), 0);
	assert_int_equal(set(f, find(f, root(f), PS_OBJ_VM, "web1"),
			     PS_OBJ_VM, "profile", "p1"), 0);
	assert_int_equal(ps_obj_delete(f->buf,
				       find(f, root(f), PS_OBJ_NETWORK, "lan"),
				       PS_OBJ_NETWORK, &f->e), PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "nic 'eth0' of vm 'web1'");
	assert_int_equal(ps_obj_delete(f->buf,
				       find(f, root(f), PS_OBJ_IMAGE, "disk1"),
				       PS_OBJ_IMAGE, &f->e), PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "controller 'disk0' of vm 'web1'");
	assert_int_equal(ps_obj_delete(f->buf,
				       find(f, root(f), PS_OBJ_VM, "web1"),
				       PS_OBJ_VM, &f->e), PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "reservation 'r1'");
	assert_int_equal(ps_obj_delete(f->buf,
				       find(f, root(f), PS_OBJ_PROFILE, "p1"),
				       PS_OBJ_PROFILE, &f->e), PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "vm 'web1'");
	/* renaming a referenced network would break the reference */
	assert_int_equal(set(f, find(f, root(f), PS_OBJ_NETWORK, "lan"),
			     PS_OBJ_NETWORK, "name", "lan9"), PS_ERR_INUSE);
	/* renaming onto an existing name */
	mk(f, root(f), PS_OBJ_NETWORK, "wan");
	assert_int_equal(set(f, find(f, root(f), PS_OBJ_NETWORK, "wan"),
			     PS_OBJ_NETWORK, "name", "lan"), PS_ERR_EXISTS);
	/* drop the reference, then delete works */
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_int_equal(set(f, find(f, vm, PS_OBJ_NIC, "eth0"), PS_OBJ_NIC,
			     "network", ""), 0);
	assert_int_equal(ps_obj_delete(f->buf,
				       find(f, root(f), PS_OBJ_NETWORK, "lan"),
				       PS_OBJ_NETWORK, &f->e), 0);
	check_store(f->buf);
}

/* A host name longer than the allocator's buffer is refused as too long,
 * before any port is made. */
static void serial_long_host(struct fx *f, int vm)
{
	static char host[300];
	struct ps_serial_req r = { 1, 0, 0, 0, host, sizeof(host) };
	struct ps_serial_map map[1];

	memset(host, 'h', sizeof(host));
	assert_int_equal(ps_serial_allocate(f->buf, CAP, vm, &r, map, &f->e),
			 PS_ERR_BADVALUE);
	assert_string_equal(f->e.field, "hostname");
	assert_string_equal(f->e.why, "longer than 253 characters");
	assert_int_equal(find(f, vm, PS_OBJ_SERIAL, "3"), PSF_ERR_NOTFOUND);
}

static void test_serial_ports(void **state)
{
	struct fx *f = *state;
	int a, b;

	a = mk(f, root(f), PS_OBJ_VM, "a");
	mk(f, a, PS_OBJ_SERIAL, "0");
	mk(f, a, PS_OBJ_SERIAL, "1");
	b = mk(f, root(f), PS_OBJ_VM, "b");
	mk(f, b, PS_OBJ_SERIAL, "0");
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, find(f, a, PS_OBJ_SERIAL, "0"), PS_OBJ_SERIAL,
			     "concentrator", "5"), 0);
	assert_int_equal(set(f, find(f, a, PS_OBJ_SERIAL, "1"), PS_OBJ_SERIAL,
			     "concentrator", "5"), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "serial-port '0' of vm 'a'");
	b = find(f, root(f), PS_OBJ_VM, "b");
	assert_int_equal(set(f, find(f, b, PS_OBJ_SERIAL, "0"), PS_OBJ_SERIAL,
			     "concentrator", "5"), PS_ERR_DUPLICATE);
	/* 0 = not mapped, any number of times */
	assert_int_equal(set(f, find(f, b, PS_OBJ_SERIAL, "0"), PS_OBJ_SERIAL,
			     "concentrator", "0"), 0);
	a = find(f, root(f), PS_OBJ_VM, "a");
	assert_int_equal(set(f, find(f, a, PS_OBJ_SERIAL, "1"), PS_OBJ_SERIAL,
			     "concentrator", "0"), 0);
	/* renumbering onto an existing port of the VM */
	assert_int_equal(set(f, find(f, a, PS_OBJ_SERIAL, "1"), PS_OBJ_SERIAL,
			     "port", "0"), PS_ERR_EXISTS);
	assert_int_equal(set(f, find(f, a, PS_OBJ_SERIAL, "1"), PS_OBJ_SERIAL,
			     "port", "2"), 0);
	assert_true(find(f, a, PS_OBJ_SERIAL, "2") > 0);
	serial_long_host(f, a);
}

/* ------------------------------------------------- unknown, write budget */

#define VENDOR_S PSF_SIG(0, 0x4123, 0x0042)
#define VENDOR_C PSF_SIG(1, 0x0101, 0x0007)

struct blob {
	uint32_t sig;
	uint8_t bytes[64];
	uint32_t len;
};

static void grab(const uint8_t *b, int off, struct blob *o)
{
	struct psf_elem e;

	assert_int_equal(psf_elem(b, off, &e), 0);
	o->sig = e.sig;
	o->len = e.end - (uint32_t)off;
	assert_true(o->len <= sizeof(o->bytes));
	memcpy(o->bytes, b + off, o->len);
}

/* The vendor element under parent is still there, byte for byte. */
static void same_blob(const uint8_t *b, int parent, const struct blob *o)
{
	int off = psf_find_child(b, parent, o->sig);

	assert_true(off > 0);
	assert_memory_equal(b + off, o->bytes, o->len);
}

static void test_unknown_survive(void **state)
{
	struct fx *f = *state;
	struct blob br, bv, bn, bc;
	size_t i;
	int vm, nic, c;

	make_world(f);
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	nic = find(f, vm, PS_OBJ_NIC, "eth0");
	/* vendor elements in a NIC, a VM (a container with a child) and
	 * the root */
	assert_true(psf_insert(f->buf, CAP, nic, -1, VENDOR_S, "hw-nic", 6) > 0);
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	c = psf_insert(f->buf, CAP, vm, psf_first_child(f->buf, vm), VENDOR_C,
		       NULL, 0);
	assert_true(c > 0);
	assert_true(psf_insert(f->buf, CAP, c, -1, VENDOR_S, "\x01\x02", 2) > 0);
	assert_true(psf_insert(f->buf, CAP, root(f), 0 + psf_first_child(
		f->buf, root(f)), VENDOR_S, "root-thing", 10) > 0);
	check_store(f->buf);
	grab(f->buf, psf_find_child(f->buf, root(f), VENDOR_S), &br);
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	grab(f->buf, psf_find_child(f->buf, vm, VENDOR_C), &bv);
	grab(f->buf, psf_find_child(f->buf, find(f, vm, PS_OBJ_NIC, "eth0"),
				    VENDOR_S), &bn);
	(void)bc;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct fcase *g = &good[i];
		int el;

		if (!strcmp(g->field, "name"))
			continue;  /* the helpers find objects by name */
		el = obj_of(f, g->k);
		if (el < 0)
			continue;
		if (set(f, el, g->k, g->field, g->in)) {
			print_error("set %s %s=%s: %s\n", ps_obj_name(g->k),
				    g->field, g->in, f->e.why);
			fail();
		}
		vm = find(f, root(f), PS_OBJ_VM, "web1");
		same_blob(f->buf, root(f), &br);
		same_blob(f->buf, vm, &bv);
		same_blob(f->buf, find(f, vm, PS_OBJ_NIC, "eth0"), &bn);
	}
	/* and creating and deleting around them */
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	mk(f, vm, PS_OBJ_NIC, "eth1");
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_int_equal(ps_obj_delete(f->buf, find(f, vm, PS_OBJ_CONTROLLER,
						   "disk0"),
				       PS_OBJ_CONTROLLER, &f->e), 0);
	mk(f, root(f), PS_OBJ_VM, "web2");
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	same_blob(f->buf, root(f), &br);
	same_blob(f->buf, vm, &bv);
	same_blob(f->buf, find(f, vm, PS_OBJ_NIC, "eth0"), &bn);
	/* the vendor container is still the VM's first child */
	assert_int_equal(psf_first_child(f->buf, vm),
			 psf_find_child(f->buf, vm, VENDOR_C));
}

/* Bytes that differ, and the first and last of them. */
static size_t diff(const uint8_t *a, const uint8_t *b, size_t n,
		   size_t *first, size_t *last)
{
	size_t i, d = 0;

	*first = *last = 0;
	for (i = 0; i < n; i++)
		if (a[i] != b[i]) {
			if (!d++)
				*first = i;
			*last = i;
		}
	return d;
}

/* With pad room, a one-field edit changes a few bytes near the object:
 * nothing past its pad moves, and the store keeps its size. */
static void test_write_budget(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	size_t first, last, n, i;
	uint32_t total;
	int vm, el;
	char name[16];

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "vm%02zu", i);
		mk(f, root(f), PS_OBJ_VM, name);
	}
	vm = find(f, root(f), PS_OBJ_VM, "vm05");
	el = find(f, root(f), PS_OBJ_VM, "vm06");
	total = psf_total(f->buf);

	/* a record field: the field's bytes only */
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, vm, PS_OBJ_VM, "memory", "8GiB"), 0);
	n = diff(before + 32, f->buf + 32, total - 32, &first, &last);
	assert_true(n >= 1 && n <= 8);
	assert_int_equal(psf_total(f->buf), total);

	/* a new string: inside this VM only, tail in place */
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, vm, PS_OBJ_VM, "description", "hello"), 0);
	n = diff(before + 32, f->buf + 32, total - 32, &first, &last);
	assert_int_equal(psf_total(f->buf), total);
	assert_true(first + 32 >= (size_t)vm);
	assert_true(last + 32 < (size_t)el);
	assert_memory_equal(before + el, f->buf + el, total - el);

	/* growing it, and a rename that grows the first child */
	for (i = 0; i < 2; i++) {
		memcpy(before, f->buf, CAP);
		if (i == 0)
			assert_int_equal(set(f, vm, PS_OBJ_VM, "description",
					     "hello, a longer text"), 0);
		else
			assert_int_equal(set(f, vm, PS_OBJ_VM, "name",
					     "vm05-renamed"), 0);
		assert_int_equal(psf_total(f->buf), total);
		n = diff(before + 32, f->buf + 32, total - 32, &first, &last);
		assert_true(first + 32 >= (size_t)vm);
		assert_true(last + 32 < (size_t)el);
		assert_memory_equal(before + el, f->buf + el, total - el);
	}

	/* adding a NIC with a network and a MAC: still inside the VM */
	mk(f, root(f), PS_OBJ_NETWORK, "lan");
	total = psf_total(f->buf);
	vm = find(f, root(f), PS_OBJ_VM, "vm05-renamed");
	el = find(f, root(f), PS_OBJ_VM, "vm06");
	memcpy(before, f->buf, CAP);
	i = (size_t)mk(f, vm, PS_OBJ_NIC, "eth0");
	assert_int_equal(set(f, (int)i, PS_OBJ_NIC, "network", "lan"), 0);
	vm = find(f, root(f), PS_OBJ_VM, "vm05-renamed");
	assert_int_equal(set(f, find(f, vm, PS_OBJ_NIC, "eth0"), PS_OBJ_NIC,
			     "mac", "02:00:00:00:00:05"), 0);
	assert_int_equal(psf_total(f->buf), total);
	n = diff(before + 32, f->buf + 32, total - 32, &first, &last);
	assert_true(last + 32 < (size_t)el);
	assert_memory_equal(before + el, f->buf + el, total - el);

	/* deleting a VM in the middle: its own bytes only */
	memcpy(before, f->buf, CAP);
	vm = find(f, root(f), PS_OBJ_VM, "vm10");
	el = find(f, root(f), PS_OBJ_VM, "vm11");
	assert_int_equal(ps_obj_delete(f->buf, vm, PS_OBJ_VM, &f->e), 0);
	check_store(f->buf);
	n = diff(before + 32, f->buf + 32, total - 32, &first, &last);
	assert_true(first + 32 >= (size_t)vm && last + 32 < (size_t)el);
	assert_int_equal(psf_total(f->buf), total);
}

/* Without room the edit still works: the tail moves. */
static void test_no_room(void **state)
{
	struct fx *f = *state;
	uint8_t small[256];
	struct psf_builder bl;
	int rc, el;

	(void)f;
	assert_true(psf_build_begin(&bl, small, sizeof(small), PSF_ROOT,
				    PSF_SCHEMA_VERSION, 0) >= 0);
	assert_true(psf_build_finish(&bl) > 0);
	el = ps_obj_create(small, sizeof(small), psf_root(small), PS_OBJ_VM,
			   "v", 1, NULL);
	/* the set's room and the VM's room do not fit in 256 bytes */
	assert_int_equal(el, PSF_ERR_NOSPACE);
	(void)rc;
}

/* ------------------------------------------------ whole-store check */


/* A store with VM a (NIC eth0 mac 02::01 on network lan), profile p. */
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 };

static void nic(struct psf_builder *b, const char *name, const uint8_t *mac,
		const char *net)
{
	uint8_t rec[PSF_NICC_SIZE] = { 0 };

	memcpy(rec + PSF_NICC_MAC, mac, 6);
	psf_build_open(b, PSF_NIC);
	psf_build_string(b, PSF_NAME, name);
	psf_build_struct(b, PSF_NIC_CONFIG, rec, sizeof(rec));
	if (net)
		psf_build_string(b, PSF_NETWORK_REF, net);
	psf_build_close(b);
}

/* kind selects the defect built in. */
static int check_case(uint8_t *buf, int kind, struct pst_msgs *m)
{
	struct psf_builder b;
	uint8_t vmc[PSF_VMC_SIZE] = { 0x5e, 1 }, m2[7] = { 2, 0, 0, 0, 0, 7, 9 };

	vmc[PSF_VMC_VCPUS] = 1;
	memset(m, 0, sizeof(*m));
	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_NETWORKS);
	psf_build_open(&b, PSF_NETWORK);
	psf_build_string(&b, PSF_NAME, "lan");
	psf_build_close(&b);
	if (kind == 1) { /* two networks named lan */
		psf_build_open(&b, PSF_NETWORK);
		psf_build_string(&b, PSF_NAME, "lan");
		psf_build_close(&b);
	}
	psf_build_close(&b);
	psf_build_open(&b, PSF_VMS);
	psf_build_open(&b, PSF_VM);
	psf_build_string(&b, PSF_NAME, kind == 2 ? "bad/name" : "a");
	psf_build_struct(&b, PSF_VM_CONFIG, vmc,
			 kind == 3 ? PSF_VMC_UUID + 5
			 : kind == 10 ? PSF_VMC_UUID + 16 /* short: fine */
			 : sizeof(vmc));
	if (kind == 4) /* two vm-config */
		psf_build_struct(&b, PSF_VM_CONFIG, vmc, sizeof(vmc));
	if (kind == 8)
		psf_build_string(&b, PSF_PROFILE_REF, "nosuch");
	if (kind == 11)
		psf_build_string(&b, PSF_PROFILE_REF, "p");
	psf_build_open(&b, PSF_NICS);
	nic(&b, "eth0", mac1, kind == 5 ? "mars" : "lan");
	psf_build_close(&b);
	psf_build_close(&b);
	psf_build_close(&b);
	psf_build_open(&b, PSF_PROFILES);
	psf_build_open(&b, PSF_PROFILE);
	psf_build_string(&b, PSF_NAME, "p");
	if (kind == 6 || kind == 11) /* p's MAC = eth0's */
		psf_build_struct(&b, PSF_MAC_LIST, mac1, 6);
	if (kind == 7)
		psf_build_struct(&b, PSF_MAC_LIST, m2, 7);
	psf_build_close(&b);
	psf_build_close(&b);
	if (kind == 9) {
		psf_build_open(&b, PSF_RESERVATIONS);
		psf_build_open(&b, PSF_RESERVATION);
		psf_build_string(&b, PSF_NAME, "r");
		psf_build_string(&b, PSF_OWNER, "ghost");
		psf_build_close(&b);
		psf_build_close(&b);
	}
	assert_true(psf_build_finish(&b) > 0);
	return ps_cfg_check(buf, psf_total(buf), pst_collect, m);
}

/* ------------------------------------------------------ profile assign */

static void test_profile_assign(void **state)
{
	struct fx *f = *state;
	uint8_t rnd[PS_CFG_RND_UNASSIGN], before[CAP];
	int vm, vm2, pr, pr2, nic, ghost, rc;
	uint8_t kind;
	size_t off, len;
	const char *why;

	/* Target syntax. */
	assert_int_equal(ps_parse_target("web1", 4, &kind, &off, &len, NULL),
			 0);
	assert_int_equal(kind, PSF_TARGET_VM);
	assert_int_equal(ps_parse_target("vm:web1", 7, &kind, &off, &len,
					 NULL), 0);
	assert_true(off == 3 && len == 4);
	assert_int_equal(ps_parse_target("bmc://10.0.0.5:623", 18, &kind, &off,
					 &len, NULL), 0);
	assert_int_equal(kind, PSF_TARGET_PHYSICAL);
	assert_int_equal(ps_parse_target("bmc://[fe80::1]", 15, &kind, &off,
					 &len, NULL), 0);
	assert_int_equal(ps_parse_target("bmc://", 6, &kind, &off, &len, &why),
			 PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "empty host"));
	assert_int_equal(ps_parse_target("bmc://h:0", 9, &kind, &off, &len,
					 &why), PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_target("bmc://h:65536", 13, &kind, &off,
					 &len, &why), PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_target("bmc://h:65535", 13, &kind, &off,
					 &len, &why), 0);
	assert_int_equal(ps_parse_target("image:/x#v", 10, &kind, &off, &len,
					 &why), PS_ERR_BADVALUE);
	assert_int_equal(ps_parse_target("", 0, &kind, &off, &len, &why),
			 PS_ERR_BADVALUE);

	pr = mk(f, root(f), PS_OBJ_PROFILE, "gold");
	assert_int_equal(set(f, pr, PS_OBJ_PROFILE, "uuid",
			     "11111111-2222-4333-8444-555555555555"), 0);
	assert_int_equal(set(f, pr, PS_OBJ_PROFILE, "serial", "PRO-1"), 0);
	assert_int_equal(set(f, pr, PS_OBJ_PROFILE, "macs",
			     "02:00:00:00:00:01,02:00:00:00:00:02"), 0);
	vm = mk(f, root(f), PS_OBJ_VM, "web1");
	assert_int_equal(set(f, vm, PS_OBJ_VM, "uuid",
			     "00112233-4455-6677-8899-aabbccddeeff"), 0);
	assert_int_equal(set(f, vm, PS_OBJ_VM, "serial", "OLD"), 0);
	nic = mk(f, vm, PS_OBJ_NIC, "eth0");
	assert_int_equal(set(f, nic, PS_OBJ_NIC, "mac", "52:54:00:00:00:01"), 0);
	nic = mk(f, vm, PS_OBJ_NIC, "eth1");
	assert_int_equal(set(f, nic, PS_OBJ_NIC, "mac", "52:54:00:00:00:02"), 0);
	nic = mk(f, vm, PS_OBJ_NIC, "eth2");
	assert_int_equal(set(f, nic, PS_OBJ_NIC, "mac", "52:54:00:00:00:03"), 0);
	vm2 = mk(f, root(f), PS_OBJ_VM, "db1");

	/* Refusals leave the store as it was. */
	memcpy(before, f->buf, CAP);
	pr = find(f, root(f), PS_OBJ_PROFILE, "gold");
	assert_int_equal(ps_profile_assign(f->buf, CAP, pr, "nosuch", 6, &f->e),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(ps_profile_assign(f->buf, CAP, pr, "bmc://:1", 8,
					   &f->e), PS_ERR_BADVALUE);
	assert_string_equal(f->e.field, "target");
	assert_memory_equal(before, f->buf, CAP);

	/* Assign to a VM: the VM takes the identity in one edit. */
	assert_int_equal(ps_profile_assign(f->buf, CAP, pr, "vm:web1", 7,
					   &f->e), 0);
	check_store(f->buf);
	pr = find(f, root(f), PS_OBJ_PROFILE, "gold");
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "state"), "assigned");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "target-kind"), "vm");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "target"), "web1");
	assert_string_equal(get(f, vm, PS_OBJ_VM, "profile"), "gold");
	assert_string_equal(get(f, vm, PS_OBJ_VM, "uuid"),
			    "11111111-2222-4333-8444-555555555555");
	assert_string_equal(get(f, vm, PS_OBJ_VM, "serial"), "PRO-1");
	assert_string_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth0"), PS_OBJ_NIC,
				"mac"), "02:00:00:00:00:01");
	assert_string_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth1"), PS_OBJ_NIC,
				"mac"), "02:00:00:00:00:02");
	assert_string_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth2"), PS_OBJ_NIC,
				"mac"), "52:54:00:00:00:03");
	assert_int_equal(ps_cfg_check(f->buf, psf_total(f->buf), NULL, NULL),
			 0);

	/* Re-assign refused, naming the current target. */
	memcpy(before, f->buf, CAP);
	rc = ps_profile_assign(f->buf, CAP, pr, "db1", 3, &f->e);
	assert_int_equal(rc, PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "vm 'web1'");
	/* A VM carrying another profile refused, naming it. */
	pr2 = mk(f, root(f), PS_OBJ_PROFILE, "silver");
	memcpy(before, f->buf, CAP);
	rc = ps_profile_assign(f->buf, CAP, pr2, "web1", 4, &f->e);
	assert_int_equal(rc, PS_ERR_INUSE);
	assert_string_equal(f->e.field, "target");
	assert_string_equal(f->e.holder, "profile 'gold'");
	assert_memory_equal(before, f->buf, CAP);

	/* Unassign: the VM gets fresh values for everything it shared. */
	for (off = 0; off < sizeof(rnd); off++)
		rnd[off] = (uint8_t)(off * 37 + 11);
	pr = find(f, root(f), PS_OBJ_PROFILE, "gold");
	assert_int_equal(ps_profile_unassign(f->buf, CAP, pr, rnd, sizeof(rnd),
					     &f->e), 0);
	check_store(f->buf);
	pr = find(f, root(f), PS_OBJ_PROFILE, "gold");
	vm = find(f, root(f), PS_OBJ_VM, "web1");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "state"), "unassigned");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "target-kind"), "none");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "target"), "");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "macs"),
			    "02:00:00:00:00:01,02:00:00:00:00:02");
	assert_string_equal(get(f, vm, PS_OBJ_VM, "profile"), "");
	assert_string_equal(get(f, vm, PS_OBJ_VM, "serial"), "");
	assert_string_not_equal(get(f, vm, PS_OBJ_VM, "uuid"),
				"11111111-2222-4333-8444-555555555555");
	assert_int_equal(strlen(get(f, vm, PS_OBJ_VM, "uuid")), 36);
	assert_string_not_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth0"),
				    PS_OBJ_NIC, "mac"), "02:00:00:00:00:01");
	assert_string_not_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth1"),
				    PS_OBJ_NIC, "mac"), "02:00:00:00:00:02");
	assert_string_equal(get(f, find(f, vm, PS_OBJ_NIC, "eth2"), PS_OBJ_NIC,
				"mac"), "52:54:00:00:00:03");
	assert_int_equal(ps_cfg_check(f->buf, psf_total(f->buf), NULL, NULL),
			 0);
	/* Again: nothing to do, nothing written. */
	memcpy(before, f->buf, CAP);
	assert_int_equal(ps_profile_unassign(f->buf, CAP, pr, rnd, sizeof(rnd),
					     &f->e), 0);
	assert_memory_equal(before, f->buf, CAP);

	/* Physical target. */
	assert_int_equal(ps_profile_assign(f->buf, CAP, pr, "bmc://h1:623", 12,
					   &f->e), 0);
	check_store(f->buf);
	pr = find(f, root(f), PS_OBJ_PROFILE, "gold");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "target-kind"),
			    "physical");
	assert_string_equal(get(f, pr, PS_OBJ_PROFILE, "target"),
			    "bmc://h1:623");
	assert_int_equal(ps_profile_unassign(f->buf, CAP, pr, rnd, sizeof(rnd),
					     &f->e), 0);
	check_store(f->buf);

	/* A VM holding gold's identity cannot drop or change its
	 * profile-ref (vm set --profile): unassign moves the identity. */
	ghost = mk(f, root(f), PS_OBJ_VM, "ghost");
	assert_int_equal(set(f, ghost, PS_OBJ_VM, "profile", "gold"), 0);
	assert_int_equal(set(f, ghost, PS_OBJ_VM, "uuid",
			     "11111111-2222-4333-8444-555555555555"), 0);
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, ghost, PS_OBJ_VM, "profile", ""),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "profile 'gold'");
	assert_memory_equal(before, f->buf, CAP);
	assert_int_equal(set(f, ghost, PS_OBJ_VM, "profile", "silver"),
			 PS_ERR_DUPLICATE);
	assert_memory_equal(before, f->buf, CAP);

	/* Such a VM can still come from another writer: it blocks the
	 * assignment.  (A fresh UUID frees the reference, then gold's UUID
	 * is written under the edit layer.) */
	{
		static const uint8_t gold_uuid[16] = {
			0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x43, 0x33,
			0x84, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
		int vmc;

		assert_int_equal(set(f, ghost, PS_OBJ_VM, "uuid",
				     "aaaaaaaa-2222-4333-8444-555555555555"),
				 0);
		assert_int_equal(set(f, ghost, PS_OBJ_VM, "profile", ""), 0);
		vmc = psf_find_child(f->buf, ghost, PSF_VM_CONFIG);
		assert_true(vmc >= 0);
		assert_int_equal(psf_wip_write(f->buf, vmc, PSF_VMC_UUID,
					       gold_uuid, 16), 0);
	}
	memcpy(before, f->buf, CAP);
	pr = find(f, root(f), PS_OBJ_PROFILE, "gold");
	rc = ps_profile_assign(f->buf, CAP, pr, "db1", 3, &f->e);
	assert_int_equal(rc, PS_ERR_DUPLICATE);
	assert_string_equal(f->e.field, "uuid");
	assert_string_equal(f->e.value, "11111111-2222-4333-8444-555555555555");
	assert_string_equal(f->e.holder, "vm 'ghost'");
	assert_memory_equal(before, f->buf, CAP);
	(void)vm2;
}

static void test_check_store(void **state)
{
	struct fx *f = *state;
	static const struct { int kind, n; const char *msg; } cases[] = {
		{ 0, 0, "" },
		{ 1, 1, "network 'lan' defined twice" },
		{ 2, 1, "vm 'bad/name': invalid name" },
		{ 3, 2, "vm 'a': vm-config is 5 bytes, cut inside field uuid" },
		{ 4, 1, "vm 'a': more than one vm-config" },
		{ 5, 1, "nic 'eth0' of vm 'a': network 'mars': no such network" },
		{ 6, 1, "mac 02:00:00:00:00:01 used by both nic 'eth0' of vm 'a'"
			" and profile 'p'" },
		{ 7, 1, "profile 'p': mac-list is 7 bytes, not a multiple of 6" },
		{ 8, 1, "vm 'a': profile 'nosuch': no such profile" },
		{ 9, 1, "reservation 'r': owner 'ghost': no such vm" },
		{ 10, 0, "" },
		{ 11, 0, "" }, /* a VM carrying p may share p's MAC */
	};
	struct pst_msgs m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = check_case(f->buf, cases[i].kind, &m);

		if (n != cases[i].n || !strstr(m.all, cases[i].msg))
			fail_msg("case %d: %d problems, want %d '%s': %s",
				 cases[i].kind, n, cases[i].n, cases[i].msg,
				 m.all);
	}
	/* Not a store at all: the structural error, no reports. */
	memset(f->buf, 0, 64);
	assert_true(ps_cfg_check(f->buf, 64, pst_collect, &m) < 0);
}

/* ------------------------------------------------------------ servers */

/* Targets unique among servers in any spelling; a server a profile is
 * placed on (TARGET or MOVE_SOURCE, with or without #VM) keeps its target
 * and cannot be deleted, but may be renamed. */
static void test_servers(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	int a = mk(f, root(f), PS_OBJ_SERVER, "A"), b, p, rc;

	assert_int_equal(set(f, a, PS_OBJ_SERVER, "target", "bmc://10.0.0.5"),
			 0);
	b = mk(f, root(f), PS_OBJ_SERVER, "host-B");
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, b, PS_OBJ_SERVER, "target",
			     "BMC://10.0.0.5:623"), PS_ERR_DUPLICATE);
	assert_string_equal(f->e.holder, "server 'A'");
	assert_memory_equal(before, f->buf, CAP);
	assert_int_equal(set(f, b, PS_OBJ_SERVER, "target",
			     "image:/srv/hostb.img"), 0);
	a = find(f, root(f), PS_OBJ_SERVER, "A");
	/* The normal form front ends store: scheme and host in lower case,
	 * the port written out; paths as they are; no #VM part. */
	{
		char out[PS_CFG_TEXT_MAX + 1];
		const char *why = NULL;

		assert_int_equal(ps_target_norm("BMC://Node7.EX#vm1", 18, out,
						sizeof(out), NULL), 18);
		assert_string_equal(out, "bmc://node7.ex:623");
		assert_int_equal(ps_target_norm("bmc://[::1]:6230", 16, out,
						sizeof(out), NULL), 16);
		assert_string_equal(out, "bmc://[::1]:6230");
		assert_int_equal(ps_target_norm("dev:/dev/sdc#x", 14, out,
						sizeof(out), NULL), 12);
		assert_string_equal(out, "dev:/dev/sdc");
		assert_int_equal(ps_target_norm("image:a.img", 11, out,
						sizeof(out), &why),
				 PS_ERR_BADVALUE);
		assert_non_null(strstr(why, "absolute"));
		assert_int_equal(ps_target_norm("bmc://h", 7, out, 8, &why),
				 PS_ERR_BADVALUE);
	}
	/* Any spelling of the target finds the server; a VM name does not. */
	assert_int_equal(ps_server_by_target(f->buf, "bmc://10.0.0.5:623#vm1",
					     22), a);
	assert_int_equal(ps_server_by_target(f->buf, "bmc://10.0.0.5", 14), a);
	assert_int_equal(ps_server_by_target(f->buf, "bmc://10.0.0.5:624", 18),
			 PSF_ERR_NOTFOUND);
	assert_int_equal(ps_server_by_target(f->buf, "A", 1), PSF_ERR_NOTFOUND);
	/* A profile on host-B's vm1: host-B is in use. */
	p = mk(f, root(f), PS_OBJ_PROFILE, "web");
	assert_int_equal(set(f, p, PS_OBJ_PROFILE, "target",
			     "image:/srv/hostb.img#vm1"), 0);
	b = find(f, root(f), PS_OBJ_SERVER, "host-B");
	memcpy(before, f->buf, CAP);
	assert_int_equal(ps_obj_delete(f->buf, b, PS_OBJ_SERVER, &f->e),
			 PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "profile 'web'");
	assert_int_equal(set(f, b, PS_OBJ_SERVER, "target", "dev:/dev/sdc"),
			 PS_ERR_INUSE);
	assert_memory_equal(before, f->buf, CAP);
	/* Renaming keeps the profile where it is (it records the target). */
	assert_int_equal(set(f, b, PS_OBJ_SERVER, "name", "host-B2"), 0);
	/* A move away from A (MOVE_SOURCE) holds A. */
	p = find(f, root(f), PS_OBJ_PROFILE, "web");
	assert_int_equal(ps_profile_begin_move(f->buf, CAP, p, PSF_TARGET_VM,
					       "image:/srv/hostb.img#vm1", 24,
					       "bmc://10.0.0.5:623", 18), 0);
	check_store(f->buf);
	a = find(f, root(f), PS_OBJ_SERVER, "A");
	rc = ps_obj_delete(f->buf, a, PS_OBJ_SERVER, &f->e);
	assert_int_equal(rc, PS_ERR_INUSE);
	assert_string_equal(f->e.holder, "profile 'web'");
	/* Settled and then unassigned: both servers are free. */
	p = find(f, root(f), PS_OBJ_PROFILE, "web");
	assert_int_equal(ps_profile_end_move(f->buf, CAP, p, PSF_TARGET_NONE,
					     NULL, 0), 0);
	a = find(f, root(f), PS_OBJ_SERVER, "A");
	assert_int_equal(ps_obj_delete(f->buf, a, PS_OBJ_SERVER, &f->e), 0);
	b = find(f, root(f), PS_OBJ_SERVER, "host-B2");
	assert_int_equal(ps_obj_delete(f->buf, b, PS_OBJ_SERVER, &f->e), 0);
	check_store(f->buf);
	assert_int_equal(ps_obj_next(f->buf, root(f), PS_OBJ_SERVER, -1),
			 PSF_ERR_NOTFOUND);
}

/* ps_cfg_check over servers written by someone else: missing and bad
 * targets, and two names for one target. */
static void test_check_servers(void **state)
{
	struct fx *f = *state;
	static const char *const t[] = { "bmc://10.0.0.5", "BMC://10.0.0.5:623",
					 "image:rel.img", NULL,
					 "image:/a.img#vm1", "dev:/dev/sdc" };
	static const char *const n[] = { "A", "B", "C", "D", "E", "F" };
	struct psf_builder b;
	struct pst_msgs m = { 0 };
	size_t i;

	assert_true(psf_build_begin(&b, f->buf, CAP, PSF_ROOT,
				    PSF_SCHEMA_VERSION, 0) >= 0);
	psf_build_open(&b, PSF_SERVERS);
	for (i = 0; i < 6; i++) {
		psf_build_open(&b, PSF_SERVER);
		psf_build_string(&b, PSF_NAME, n[i]);
		if (t[i])
			psf_build_string(&b, PSF_TARGET, t[i]);
		psf_build_close(&b);
	}
	psf_build_open(&b, PSF_SERVER);
	psf_build_string(&b, PSF_NAME, "F");
	psf_build_string(&b, PSF_TARGET, "dev:/dev/sdd");
	psf_build_close(&b);
	psf_build_close(&b);
	assert_true(psf_build_finish(&b) > 0);
	assert_int_equal(ps_cfg_check(f->buf, psf_total(f->buf), pst_collect, &m),
			 5);
	assert_non_null(strstr(m.all, "server 'B': same target as server "
				      "'A'"));
	assert_non_null(strstr(m.all, "server 'C': target: path not "
				      "absolute"));
	assert_non_null(strstr(m.all, "server 'D': target: empty target"));
	assert_non_null(strstr(m.all, "server 'E': target: a server has "
				      "no #VM"));
	assert_non_null(strstr(m.all, "server 'F' defined twice"));
}

/* Concentrator ports mapped twice and a serial port twice in a VM. */
static void test_check_serial(void **state)
{
	struct fx *f = *state;
	struct pst_msgs m = { 0 };
	int a = mk(f, root(f), PS_OBJ_VM, "a"), s1, s2;

	s1 = mk(f, a, PS_OBJ_SERIAL, "0");
	set(f, s1, PS_OBJ_SERIAL, "concentrator", "7");
	check_store(f->buf);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 0);
	s2 = mk(f, a, PS_OBJ_SERIAL, "1");
	/* Bypass the edit checks: write port 7 into the record directly. */
	{
		uint8_t le[2] = { 7, 0 };
		int rec = psf_find_child(f->buf, s2, PSF_SERIAL_CONFIG);

		assert_int_equal(psf_wip_write(f->buf, rec,
					       PSF_SERC_CONCENTRATOR, le, 2), 0);
		le[0] = 0;
		assert_int_equal(psf_wip_write(f->buf, rec, PSF_SERC_PORT, le,
					       2), 0);
	}
	check_store(f->buf);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 2);
	assert_non_null(strstr(m.all, "serial-port '0' defined twice in vm 'a'"));
	assert_non_null(strstr(m.all, "concentrator port 7 mapped by both"));
	(void)s1;
}

/* A serial host name names a socket file: a path is refused by the edit
 * (store unchanged byte for byte) and reported by the whole-store check
 * when written behind the edit layer's back. */
static void test_check_serial_host(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	static const char *const bad[] = { "../../run/x", "a/b", "..", ".",
					   "-x", "a\nb" };
	struct pst_msgs m = { 0 };
	int a = mk(f, root(f), PS_OBJ_VM, "a"), s1, h;
	uint32_t len;
	size_t i;

	s1 = mk(f, a, PS_OBJ_SERIAL, "0");
	memcpy(before, f->buf, CAP);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(set(f, s1, PS_OBJ_SERIAL, "hostname", bad[i]),
				 PS_ERR_BADVALUE);
		assert_memory_equal(before, f->buf, CAP);
	}
	assert_int_equal(set(f, s1, PS_OBJ_SERIAL, "hostname", "aa.aa.run.x"),
			 0);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 0);
	/* Bypass the edit checks: same length, a path this time. */
	h = psf_find_child(f->buf, s1, PSF_HOSTNAME);
	assert_true(h >= 0);
	assert_non_null(psf_payload(f->buf, h, &len));
	assert_int_equal(len, 11);
	assert_int_equal(psf_wip_write(f->buf, h, 0, "../../run/x", 11), 0);
	check_store(f->buf);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 1);
	assert_non_null(strstr(m.all, "serial-port '0' of vm 'a': hostname "
				      "'../../run/x': "));
}

/* pxe-nic names a NIC of its VM: a number past the last one is refused
 * (store unchanged byte for byte) and reported by the check when written
 * behind the edit layer's back. */
static void test_pxe_nic_names_a_nic(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	struct pst_msgs m = { 0 };
	int vm = mk(f, root(f), PS_OBJ_VM, "v"), rec;
	uint8_t le[2] = { 5, 0 };

	assert_int_equal(set(f, vm, PS_OBJ_VM, "pxe-nic", "0"), 0);
	mk(f, vm, PS_OBJ_NIC, "a");
	mk(f, vm, PS_OBJ_NIC, "b");
	vm = find(f, root(f), PS_OBJ_VM, "v");
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, vm, PS_OBJ_VM, "pxe-nic", "2"),
			 PS_ERR_BADVALUE);
	assert_string_equal(f->e.why, "no such nic");
	assert_memory_equal(before, f->buf, CAP);
	assert_int_equal(set(f, vm, PS_OBJ_VM, "pxe-nic", "1"), 0);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 0);
	rec = psf_find_child(f->buf, vm, PSF_VM_CONFIG);
	assert_int_equal(psf_wip_write(f->buf, rec, PSF_VMC_PXE_NIC, le, 2),
			 0);
	check_store(f->buf);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 1);
	assert_non_null(strstr(m.all, "vm 'v': pxe-nic 5: no such nic"));
}

/* An image that is not shareable backs one VM: a second VM's controller
 * is refused (store unchanged byte for byte), so is turning shareable off
 * while two VMs use it; a store written behind the edit layer's back is
 * reported by the check. */
static void test_image_not_shareable(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	struct pst_msgs m = { 0 };
	int img, a, b, ca, cb;

	img = mk(f, root(f), PS_OBJ_IMAGE, "d");
	a = mk(f, root(f), PS_OBJ_VM, "a");
	ca = mk(f, a, PS_OBJ_CONTROLLER, "sda");
	assert_int_equal(set(f, ca, PS_OBJ_CONTROLLER, "image", "d"), 0);
	b = mk(f, root(f), PS_OBJ_VM, "b");
	cb = mk(f, b, PS_OBJ_CONTROLLER, "sda");
	a = find(f, root(f), PS_OBJ_VM, "a");
	ca = find(f, a, PS_OBJ_CONTROLLER, "sda");
	/* The same VM may use it twice. */
	assert_int_equal(set(f, mk(f, a, PS_OBJ_CONTROLLER, "sdb"),
			     PS_OBJ_CONTROLLER, "image", "d"), 0);
	b = find(f, root(f), PS_OBJ_VM, "b");
	cb = find(f, b, PS_OBJ_CONTROLLER, "sda");
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, cb, PS_OBJ_CONTROLLER, "image", "d"),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.why, "image not shareable and already used");
	assert_string_equal(f->e.holder, "controller 'sda' of vm 'a'");
	assert_memory_equal(before, f->buf, CAP);
	img = find(f, root(f), PS_OBJ_IMAGE, "d");
	assert_int_equal(set(f, img, PS_OBJ_IMAGE, "shareable", "on"), 0);
	assert_int_equal(set(f, cb, PS_OBJ_CONTROLLER, "image", "d"), 0);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 0);
	memcpy(before, f->buf, CAP);
	img = find(f, root(f), PS_OBJ_IMAGE, "d");
	assert_int_equal(set(f, img, PS_OBJ_IMAGE, "shareable", "off"),
			 PS_ERR_INUSE);
	assert_memory_equal(before, f->buf, CAP);
	/* Bypass the edit checks: clear the flag in the record. */
	{
		uint8_t z = 0;
		int rec = psf_find_child(f->buf, img, PSF_IMAGE_CONFIG);

		assert_int_equal(psf_wip_write(f->buf, rec, PSF_IMGC_FLAGS,
					       &z, 1), 0);
	}
	check_store(f->buf);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 1);
	assert_non_null(strstr(m.all, "image 'd': not shareable but used by "
				      "both controller 'sda' of vm 'a' and "
				      "controller 'sda' of vm 'b'"));
}

/* Reservations of one kind do not overlap: refused by the edit (store
 * unchanged byte for byte), reported by the check when written behind
 * the edit layer's back; other kinds and adjacent ranges are fine. */
static void test_reservations_overlap(void **state)
{
	struct fx *f = *state;
	static uint8_t before[CAP];
	struct pst_msgs m = { 0 };
	int a = mk(f, root(f), PS_OBJ_RESERVATION, "a"), b;

	assert_int_equal(set(f, a, PS_OBJ_RESERVATION, "kind", "cpu"), 0);
	assert_int_equal(set(f, a, PS_OBJ_RESERVATION, "first", "4"), 0);
	assert_int_equal(set(f, a, PS_OBJ_RESERVATION, "count", "4"), 0);
	b = mk(f, root(f), PS_OBJ_RESERVATION, "b");
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "first", "6"), 0);
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "count", "4"), 0);
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "kind", "ioport"), 0);
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "kind", "cpu"),
			 PS_ERR_DUPLICATE);
	assert_string_equal(f->e.why, "range overlaps");
	assert_string_equal(f->e.holder, "reservation 'a'");
	assert_memory_equal(before, f->buf, CAP);
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "first", "8"), 0);
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "kind", "cpu"), 0);
	memcpy(before, f->buf, CAP);
	assert_int_equal(set(f, b, PS_OBJ_RESERVATION, "first", "7"),
			 PS_ERR_DUPLICATE);
	assert_memory_equal(before, f->buf, CAP);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 0);
	{
		uint8_t le[8] = { 5 };
		int rec = psf_find_child(f->buf, b, PSF_RESERVATION_CONFIG);

		assert_int_equal(psf_wip_write(f->buf, rec, PSF_RESC_FIRST,
					       le, 8), 0);
	}
	check_store(f->buf);
	assert_int_equal(ps_cfg_check(f->buf, CAP, pst_collect, &m), 1);
	assert_non_null(strstr(m.all, "reservation 'a': range overlaps "
				      "reservation 'b'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mac),
		cmocka_unit_test(test_parse_uuid),
		cmocka_unit_test(test_parse_wwn),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_misc),
		cmocka_unit_test(test_generators),
		cmocka_unit_test_setup_teardown(test_create_find_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sub_objects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pxe_nic_names_a_nic,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_not_shareable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reservations_overlap,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pxe_nic_follows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_limit_clamped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_references, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_serial_ports, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_survive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_budget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_assign, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_servers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_servers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_serial_host, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_serial, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
