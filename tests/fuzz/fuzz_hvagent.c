/*
 * fuzz_hvagent.c - hvagent's parsers on hostile input.  The first byte
 * picks what the rest is:
 *   0  a synced-record text (AGENT_FIELDS): whatever parses must print and
 *      parse back to the same map;
 *   1  a delta text (AGENT_LV_DELTA) applied to a fixed base map;
 *   2  domain XML, as libvirt would hand it over: mapped to keys, then the
 *      store side's keys applied to it, and mapped again;
 *   3  a store in the text form: packed, then the agent state loaded from
 *      it and every VM mapped to keys (what a pass reads from the key).
 * None may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "hv.h"
#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"

static const struct hv_mapcfg cfg = {
	"/run/hvagent/serial", "/var/log/hvagent", "qemu", "x86_64", 1048576, 0,
};

/* A store with one VM, network and image, for the XML cases. */
static const char store_text[] =
	"psf 1.0 schema 1 flags 0x00000000;\n"
	"root {\n"
	"  networks { network { name = \"lan\"; uplink = \"br0\"; } }\n"
	"  images { image { name = \"disk\"; path = \"/srv/disk.img\"; } }\n"
	"  vms { vm { name = \"web\"; serial-number = \"S-1\";\n"
	"    nics { nic { name = \"eth0\"; network-ref = \"lan\"; } }\n"
	"  } }\n"
	"}\n";
static void *store;

static void *pack_text(const char *text, size_t len)
{
	struct psf_tree *t = NULL;
	void *bin = NULL;
	size_t blen;

	if (psf_text_parse(text, len, &t, NULL) == 0 &&
	    psf_tree_pack_alloc(t, &bin, &blen) != 0)
		bin = NULL;
	psf_tree_free(t);
	return bin;
}

static void one_record(const char *s, size_t n)
{
	struct hv_kv a, b;
	char *text;
	size_t len;

	hv_kv_init(&a);
	hv_kv_init(&b);
	if (hv_kv_parse(&a, s, n) == 0 && (text = hv_kv_text(&a, &len))) {
		if (hv_kv_parse(&b, text, len) != 0 || !hv_kv_equal(&a, &b))
			abort();
		free(text);
	}
	hv_kv_free(&a);
	hv_kv_free(&b);
}

static void one_delta(const char *s, size_t n)
{
	struct hv_kv base, out;

	hv_kv_init(&base);
	hv_kv_init(&out);
	if (hv_kv_set(&base, "name", "web") == 0 &&
	    hv_kv_set(&base, "memory", "1048576") == 0)
		(void)hv_kv_undelta(&out, &base, s, n);
	hv_kv_free(&base);
	hv_kv_free(&out);
}

static void one_domain(const char *s, size_t n)
{
	xmlDocPtr doc = xmlReadMemory(s, (int)n, "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	struct hv_kv lv, st;
	const char *why;
	int vm;

	if (!doc)
		return;
	hv_kv_init(&lv);
	hv_kv_init(&st);
	vm = psf_first_child(store, psf_find_child(store, psf_root(store),
						   PSF_VMS));
	(void)hv_dom_flatten(doc, store, &cfg, &lv, 0);
	if (vm >= 0 && hv_store_flatten(store, vm, &cfg, &st) == 0 &&
	    hv_dom_apply(doc, &st, "4c0c5bd2-6d3a-4a4e-9f8e-2b7d3c1a0e11",
			 store, &cfg, &why) == 0) {
		hv_kv_free(&lv);
		hv_kv_init(&lv);
		(void)hv_dom_flatten(doc, store, &cfg, &lv, 0);
	}
	hv_kv_free(&lv);
	hv_kv_free(&st);
	xmlFreeDoc(doc);
}

static void one_store(const char *s, size_t n)
{
	void *bin = pack_text(s, n);
	struct hv_bases bases;
	int vms, vm;

	if (!bin)
		return;
	if (hv_state_load(bin, &bases) == 0)
		hv_bases_free(&bases);
	vms = psf_find_child(bin, psf_root(bin), PSF_VMS);
	if (vms >= 0) {
		psf_for_each_child(bin, vms, vm) {
			struct hv_kv m;

			if (psf_sig(bin, vm) != PSF_VM)
				continue;
			hv_kv_init(&m);
			(void)hv_store_flatten(bin, vm, &cfg, &m);
			hv_kv_free(&m);
		}
	}
	free(bin);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hv_log_set_level(-1);             /* quiet: refusals are expected */
	store = pack_text(store_text, sizeof store_text - 1);
	if (!store)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0: one_record(s, size - 1); break;
	case 1: one_delta(s, size - 1); break;
	case 2: one_domain(s, size - 1); break;
	default: one_store(s, size - 1); break;
	}
	return 0;
}
