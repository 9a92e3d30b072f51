/*
 * hv.h - hvagent internals: field maps, the store and libvirt mappings,
 * the agent's synced state, the reconcile pass, configuration, logging.
 *
 * A VM is compared field by field as a sorted map of text keys to text
 * values ("memory-kib" -> "4194304", "nic.eth0.mac" -> "02:..."), built
 * from the store (hv_store_flatten) and from libvirt's domain XML
 * (hv_dom_flatten).  docs/hvagent.md lists every key.
 */
#ifndef HV_H
#define HV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"

/* ------------------------------------------------------------ logging */

enum hv_level { HV_ERR = 3, HV_WARN = 4, HV_INFO = 6, HV_DEBUG = 7 };

/* Lines go to stderr as "<N>message" (sd-daemon prefixes, which journald
 * turns into priorities) under journald ($JOURNAL_STREAM names stderr),
 * else as "2026-12-07T07:45:22.123Z hvagent: level: message". */
void hv_log_set_level(int level);
int hv_log_level(void);
int hv_log_parse_level(const char *s);
void hv_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ field maps */

struct hv_pair {
	char *k;
	char *v;
};

struct hv_kv {
	struct hv_pair *p;
	size_t n, cap;
};

void hv_kv_init(struct hv_kv *m);
void hv_kv_free(struct hv_kv *m);
/* Set (insert or replace); v NULL removes.  0 or -1 (no memory). */
int hv_kv_set(struct hv_kv *m, const char *k, const char *v);
int hv_kv_setf(struct hv_kv *m, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *hv_kv_get(const struct hv_kv *m, const char *k);
int hv_kv_copy(struct hv_kv *dst, const struct hv_kv *src);
int hv_kv_equal(const struct hv_kv *a, const struct hv_kv *b);
/* Text form: "key=value\n" lines in key order, value bytes '\\' and '\n'
 * escaped as "\\\\" and "\\n".  A line without '=' is a key whose value
 * is absent (used by deltas).  Caller frees the string. */
char *hv_kv_text(const struct hv_kv *m, size_t *len);
int hv_kv_parse(struct hv_kv *m, const char *s, size_t n);
/* delta = what b holds where it differs from a ("key" lines for keys a
 * has and b lacks); hv_kv_undelta rebuilds b from a and delta. */
char *hv_kv_delta_text(const struct hv_kv *a, const struct hv_kv *b,
		       size_t *len);
int hv_kv_undelta(struct hv_kv *b, const struct hv_kv *a, const char *s,
		  size_t n);

/* ------------------------------------------------------------ mapping */

/* Paths and defaults the mapping needs (from the configuration). */
struct hv_mapcfg {
	const char *serial_run_dir;   /* unix sockets: DIR/HOSTNAME.sock */
	const char *serial_log_dir;   /* logs: DIR/VM-serialN.log */
	const char *domain_type;      /* <domain type=...> for new domains */
	const char *arch;             /* <os><type arch=...> */
	uint64_t default_memory_kib;  /* store memory 0 */
	/* Consoles allocated at launch (console = local or bmc): a VM
	 * without serial ports maps this many (0: off), named by
	 * hv_console_host, and sockets are connected to, not bound. */
	unsigned console_ports;
};

/* Store VM -> map.  buf is a valid store; vm the VM's offset. */
int hv_store_flatten(const void *buf, int vm, const struct hv_mapcfg *c,
		     struct hv_kv *out);

/* Domain XML -> map.  buf is the store, used to name networks from a
 * bridge or a libvirt network.  Returns 0, or -1 when the XML does not
 * parse (why says so). */
int hv_dom_flatten(xmlDocPtr doc, const void *buf, const struct hv_mapcfg *c,
		   struct hv_kv *out, int autostart);

/* Make the modelled parts of doc say what m says, leaving everything else
 * in the XML as it is.  uuid is the domain's (text).  0 or -1 (why). */
int hv_dom_apply(xmlDocPtr doc, const struct hv_kv *m, const char *uuid,
		 const void *buf, const struct hv_mapcfg *c, const char **why);

/* The domain's inactive XML (what a define changes), parsed; NULL when
 * libvirt or the parser fails. */
xmlDocPtr hv_dom_doc(virDomainPtr dom);

/* A fresh domain document for a new VM (name and UUID only). */
xmlDocPtr hv_dom_skeleton(const struct hv_mapcfg *c);

/* The store VM's PROFILE_REF (absent: no profile).  Not mapped to
 * libvirt: it is compared only with the synced record, to tell a UUID
 * change made by a profile assignment (applied) from any other (refused). */
#define HV_KEY_PROFILE "profile"

/* Keys whose libvirt-side changes are not written back: the store owns
 * them (serial port mappings, image formats); drift is reverted. */
int hv_key_store_owned(const char *k);

/* Write one changed key into the store VM at vm (ps_obj_* edits, so the
 * edit layer validates).  v NULL: the key is absent on the libvirt side.
 * Boot keys are collected by the caller and written by hv_store_boot.
 * 0, 1 (not applied, logged: store-owned), or a negative ps error with
 * e filled. */
int hv_store_put(void *buf, size_t cap, int vm, const char *k, const char *v,
		 const struct hv_mapcfg *c, struct ps_cfg_err *e);
/* Boot order, bootable flags, PXE and PXE NIC from the boot ranks in m. */
int hv_store_boot(void *buf, size_t cap, int vm, const struct hv_kv *m,
		  struct ps_cfg_err *e);

/* ------------------------------------------------------------ indexes */

/* A sorted index of byte keys (hv_index.c): lookups by UUID or name in
 * O(log n).  Keys are the caller's and must stay put while indexed. */
struct hv_index_ent {
	const void *key;
	size_t len;
	size_t val;
	size_t seq;              /* order added: equal keys keep it */
};

struct hv_index {
	struct hv_index_ent *e;
	size_t n, cap;
	int sorted;
};

void hv_index_init(struct hv_index *x);
void hv_index_free(struct hv_index *x);
/* Add key (len bytes) with its value; 0 or -1 (no memory). */
int hv_index_add(struct hv_index *x, const void *key, size_t len,
		 size_t val);
/* The first added entry with this key, or NULL; sorts the index when
 * keys were added since the last lookup. */
const struct hv_index_ent *hv_index_find(struct hv_index *x, const void *key,
					 size_t len);
/* The entry after e with the same key (the next added), or NULL. */
const struct hv_index_ent *hv_index_next(const struct hv_index *x,
					 const struct hv_index_ent *e);

/* The images of the store in buf added to out (initialised) by name
 * (values: their elements), for hv_store_flatten_ix; keys point into
 * buf.  0 or -1 (no memory). */
int hv_store_images(const void *buf, struct hv_index *out);
/* hv_store_flatten with the images looked up in images (NULL: found by
 * a walk of the store, for a single VM). */
int hv_store_flatten_ix(const void *buf, int vm, const struct hv_mapcfg *c,
			struct hv_index *images, struct hv_kv *out);

/* UUID of a store VM (16 bytes); 0 when set, -1 when all zero. */
int hv_store_vm_uuid(const void *buf, int vm, uint8_t uuid[16]);
/* The VM with this UUID in buf, or -1. */
int hv_store_vm_by_uuid(const void *buf, const uint8_t uuid[16]);

/* A SERIAL_PORT at el: its guest port (returned) and concentrator port;
 * its socket's host name (HOSTNAME, else VM-serialP). */
unsigned hv_serial_of(const void *buf, int el, unsigned *conc);
void hv_serial_host(const void *buf, int el, const char *vmname,
		    unsigned port, char *out, size_t n);
/* The host name a console allocation gives guest port `port` of a VM
 * given count ports: the VM's name for one, else NAME-PORT (the OEM
 * allocate's base-name rule). */
void hv_console_host(const char *vmname, unsigned port, unsigned count,
		     char *out, size_t n);

/* ------------------------------------------------------------ agent state */

/* One synced pair as recorded in the store. */
struct hv_base {
	uint8_t uuid[16];
	uint8_t flags;           /* PSF_AGDF_* */
	struct hv_kv bs;         /* store side at the last sync */
	struct hv_kv bl;         /* libvirt side at the last sync */
};

struct hv_bases {
	struct hv_base *b;
	size_t n;
	char uri[512];
};

int hv_state_load(const void *buf, struct hv_bases *out);
void hv_bases_free(struct hv_bases *b);
struct hv_base *hv_bases_find(struct hv_bases *b, const uint8_t uuid[16]);

/* What to record for one pair after a pass (NULL maps: forget it). */
struct hv_record {
	uint8_t uuid[16];
	uint8_t flags;
	const struct hv_kv *bs, *bl;
};

/* Rewrite the agent state in buf so it holds exactly recs[0..n) (entries
 * for other UUIDs are removed, unknown elements kept); only entries whose
 * bytes change are touched.  Returns the number of entries changed or a
 * negative PSF error. */
int hv_state_store(void *buf, size_t cap, const struct hv_record *recs,
		   size_t n, const char *uri, uint64_t now);

/* ------------------------------------------------------------ the pass */

/* What a pass did.  The libvirt counters count outcomes: defines, ...,
 * autostarts the calls that succeeded, *_failures those libvirt refused
 * (a refused definition is no define), and failed_vms names the VMs of
 * the failures. */
struct hv_stats {
	unsigned vms;            /* pairs seen */
	unsigned defines;        /* virDomainDefineXML calls that succeeded */
	unsigned undefines;
	unsigned renames;
	unsigned moves;          /* identities moved by a profile */
	unsigned destroys;       /* running domains stopped for a move */
	unsigned starts;
	unsigned autostarts;     /* virDomainSetAutostart calls */
	unsigned define_failures, undefine_failures, rename_failures;
	unsigned destroy_failures, start_failures, autostart_failures;
	char failed_vms[200];    /* "web01 db02 ..." (each once, cut with
				    "..." past the room) */
	unsigned pushed;         /* fields written to libvirt */
	unsigned pulled;         /* fields written to the store */
	unsigned conflicts;
	unsigned refused;        /* identity changes, failed edits */
	unsigned errors;
	unsigned store_creates, store_deletes;
	unsigned commits;
	unsigned retries;        /* passes re-run after a commit conflict */
	uint64_t sectors_written;
	int boot;                /* this was a boot pass (--once) */
};

enum hv_adopt { HV_ADOPT_NONE = 0, HV_ADOPT_MARKED = 1, HV_ADOPT_ALL = 2 };

/* A synced domain undefined in libvirt (configuration libvirt_delete):
 * keep the store VM, marked in the agent's record, for an operator to
 * confirm with psctl vm delete; or follow libvirt and delete it. */
enum hv_lv_delete { HV_LV_DELETE_KEEP = 0, HV_LV_DELETE_FOLLOW = 1 };

/* The authenticated store (hv_auth.c): the verdict of each pass's store
 * and the seal of its commits. */
struct hv_auth {
	struct ps_auth_sess s;
	char ipmitool[512];      /* the alert's ipmitool options; "": none */
	int alerted, alerted_v;  /* the last refused store alerted */
	uint64_t alerted_gen;
};

/* After a refresh: 0 (not authenticated, or verified), or PS_ERR_AUTH:
 * refused (logged, and the BMC alerted once per refused store). */
int hv_auth_check(struct hv_auth *a, struct ps_store *st);
/* Around a commit: sealed when the store verified (0 or an error). */
int hv_auth_arm(struct hv_auth *a, struct ps_store *st);
void hv_auth_done(struct hv_auth *a, struct ps_store *st, int committed);

struct hv_sync {
	virConnectPtr conn;
	struct ps_store *store;
	struct ps_media *media;  /* for write statistics */
	struct hv_mapcfg map;
	const char *uri;
	int adopt;               /* enum hv_adopt */
	int lv_delete;           /* enum hv_lv_delete */
	int boot;                /* apply default power states */
	int dry_run;
	struct hv_auth *auth;    /* NULL: no verification (unit tests) */
	/* Tests: called between the pass's read and its commit (to make
	 * another writer commit in that window), once per attempt. */
	void (*pre_commit)(void *arg);
	void *hook_arg;
	/* Consoles: called right before a restart starts a domain (its
	 * ports allocated); NULL when consoles are off. */
	void (*before_start)(void *arg, const uint8_t uuid[16]);
	void *start_arg;
};

/* Re-runs of a pass whose commit found the store moved on. */
#define HV_PASS_RETRIES 3u

/* One reconcile pass.  0: in sync (stats say what was done); 1: done
 * with refusals or per-VM errors (logged); negative: the pass failed
 * (store unreadable, libvirt unreachable, commit failed).  When another
 * writer commits between the pass's read and its commit, the pass is run
 * again on the new store (at most HV_PASS_RETRIES times), never replayed
 * onto it. */
int hv_sync_pass(struct hv_sync *s, struct hv_stats *st);

/* hv_stats.c: counting and printing a pass's stats.
 *   hv_stats_failed  a libvirt call for vm failed: ++*counter, vm named
 *   hv_stats_add     the libvirt outcomes of one attempt added to sum
 *   hv_stats_set_calls  st's libvirt outcomes (and failed VMs) set to
 *                    calls' (a pass's sum over its attempts)
 *   hv_stats_line    the pass line's text ("3 VMs, 2 defined, 1 define
 *                    failed (web01), ...") into out
 *   hv_stats_print   --stats on o: one line of key=value, or with json
 *                    the "hvagent stats" document of
 *                    docs/psctl-output.schema.json */
void hv_stats_failed(struct hv_stats *st, unsigned *counter, const char *vm);
void hv_stats_add(struct hv_stats *sum, const struct hv_stats *a);
void hv_stats_set_calls(struct hv_stats *st, const struct hv_stats *calls);
void hv_stats_line(const struct hv_stats *st, double seconds, char *out,
		   size_t n);
void hv_stats_print(FILE *o, const struct hv_stats *st, double seconds,
		    int json);

/* The metadata marker that asks for a libvirt-only domain to be adopted. */
#define HV_META_NS "urn:pstate:hvagent"
#define HV_META_ADOPT "adopt"

/* ------------------------------------------------------------ restarts */

/* Extra event kinds counted as crashes (configuration crash_events). */
#define HV_CRASH_DESTROYED 0x1u   /* STOPPED/DESTROYED: tests only */

/* A lifecycle event that is a crash: its PSF_CRASH_* cause, else 0.
 * STOPPED/CRASHED and CRASHED are crashes, STOPPED/FAILED an emulator
 * failure; shutdowns and destroys are someone's request, not crashes. */
unsigned hv_crash_cause(int event, int detail, unsigned extra);

struct hv_crash {
	uint8_t uuid[16];
	int event, detail;
	unsigned cause;          /* PSF_CRASH_* */
	char why[200];           /* the console's fault line, or "" */
};

/* Apply the VM's restart policy to a crash seen at time now (s since
 * 1970): restart from the consistency or boot image, or leave it
 * stopped, and append the outcome to the store's RESTART_LOG (one
 * commit, after the libvirt calls).  *action receives the PSF_RESTART_*
 * outcome, 0 when nothing was done (no policy, no such VM, or the domain
 * runs again).  0, or a negative error (store read or commit). */
int hv_restart_handle(struct hv_sync *s, const struct hv_crash *c,
		      uint64_t now, uint8_t *action);

/* At the agent's start, before its first pass: every domain its record
 * says was running that is now shut off by a crash or an emulator
 * failure (libvirt's reason) gets its restart policy, as if the event
 * had been seen.  Returns how many. */
unsigned hv_restart_found_down(struct hv_sync *s, uint64_t now);

/* ------------------------------------------------------------ host */

/* hvagent --version; packaging may set PSTATE_VERSION for every tool. */
#ifndef PSTATE_VERSION
#define PSTATE_VERSION "0.1"
#endif

/* The <domain type> for the configuration's domain_type (auto, kvm,
 * qemu) on this connection: auto is kvm when libvirt's domain
 * capabilities offer it for arch, else qemu (TCG, a warning logged once
 * per process); kvm where libvirt says there is none is refused.  0, or
 * -1 with err filled. */
int hv_domain_type_resolve(virConnectPtr conn, const char *want,
			   const char *arch, char *out, size_t outlen,
			   char *err, size_t errlen);

/* ------------------------------------------------------------ config */

/* How consoles are allocated (configuration console). */
enum hv_con_mode { HV_CON_OFF = 0, HV_CON_LOCAL = 1, HV_CON_BMC = 2 };

/* The console keys (docs/hvagent.md "Consoles"); read at start only. */
struct hv_con_cfg {
	int mode;                /* enum hv_con_mode */
	unsigned ports;          /* per VM, 1..16 */
	unsigned first, last;    /* concentrator range, 0 0: any */
	char bmc[300];           /* HOST[:PORT] */
	char bmc_user[64];
	char bmc_password_file[512];
	char endpoints[512];     /* concentrator port N: DIR/port-N */
	char socket[512];        /* pscon's socket: RELOAD after a change */
	char events[512];        /* faults from pscon (datagram socket) */
	int fault_restart;       /* a panic: destroy, restart policy */
};

struct hv_config {
	char uri[512];
	char image[512];         /* -i */
	char device[512];        /* -d */
	char run_dir[512];
	char log_dir[512];
	char domain_type[32];    /* auto, kvm or qemu */
	int lv_delete;           /* enum hv_lv_delete */
	unsigned interval_s;     /* generation poll */
	int log_level;
	int adopt;
	unsigned crash_extra;    /* HV_CRASH_*: crash_events beyond the real */
	struct hv_con_cfg con;   /* consoles (hv_console.c) */
	char alert_ipmitool[512]; /* hv_auth alerts: ipmitool's options */
	char peers[1024];        /* migration_peers (hv_vmmove.c) */
	char path[512];          /* where it was read from, or "" */
};

void hv_config_defaults(struct hv_config *c);
/* Parse a config file; missing file: -1 unless optional.  Errors name the
 * file and line. */
int hv_config_load(struct hv_config *c, const char *path, int optional,
		   char *err, size_t errlen);

#endif /* HV_H */
