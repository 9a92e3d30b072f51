/*
 * hv_test_util.h - the hvagent tests' environment (header only, static
 * functions): a formatted RAM-disk store, libvirt's test driver opened
 * fresh (so no domains from an earlier test), and a sync configured for
 * both, as the agent's own start-up configures it.
 */
#ifndef HV_TEST_UTIL_H
#define HV_TEST_UTIL_H

#include <stdlib.h>

#include "hv.h"
#include "ps_test_util.h"

#define HV_ENV_SECTORS 4096u

struct hv_env {
	struct ps_media m;
	uint8_t *mem;
	struct ps_store *store;
	virConnectPtr conn;
	struct hv_sync s;
	struct hv_stats st;
};

/* (Re)open the store handle on the RAM disk, as an agent restart does. */
static inline void hv_env_open_store(struct hv_env *v)
{
	int err;

	v->store = ps_store_open(&v->m, &err);
	assert_non_null(v->store);
	v->s.store = v->store;
}

/* The environment, its store made by one edit (setup_edit). */
static inline struct hv_env *hv_env_new(ps_edit_fn setup_edit, int adopt)
{
	struct hv_env *v = calloc(1, sizeof *v);
	struct ps_format_opts o = { 0 };
	uint8_t sector[PS_SECTOR_SIZE];
	struct ps_disk d;

	assert_non_null(v);
	v->mem = pst_ramdisk(&v->m, PS_SECTOR_SIZE, HV_ENV_SECTORS);
	assert_non_null(v->mem);
	assert_int_equal(ps_format(&d, &v->m, &o, sector), 0);
	hv_env_open_store(v);
	assert_int_equal(ps_update(v->store, setup_edit, NULL, 0), 0);
	v->conn = virConnectOpen("test:///default");
	assert_non_null(v->conn);
	v->s.conn = v->conn;
	v->s.media = &v->m;
	v->s.uri = "test:///default";
	v->s.adopt = adopt;
	v->s.map.serial_run_dir = "/run/hv";
	v->s.map.serial_log_dir = "/var/log/hv";
	v->s.map.domain_type = "test";
	v->s.map.arch = "x86_64";
	v->s.map.default_memory_kib = 1048576;
	return v;
}

static inline void hv_env_free(struct hv_env *v)
{
	virConnectClose(v->conn);
	ps_store_close(v->store);
	free(v->mem);
	free(v);
}

/* The inactive XML of the domain named name (caller frees). */
static inline char *hv_env_dom_xml(struct hv_env *v, const char *name)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	char *x;

	assert_non_null(d);
	x = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);
	virDomainFree(d);
	assert_non_null(x);
	return x;
}

#endif /* HV_TEST_UTIL_H */
