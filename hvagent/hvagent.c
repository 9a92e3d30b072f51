/*
 * hvagent - keeps the pstate store and libvirt's domain definitions in
 * sync, both ways.  `hvagent --once` is the boot pass (reconcile, apply
 * default power states, exit); without it the agent stays: libvirt
 * domain events and a poll of the store's generation start new passes.
 * See hvagent(8) and docs/hvagent.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "hv.h"
#include "hv_console.h"
#include "hv_vmmove.h"

#define HV_DEFAULT_CONFIG "/etc/pstate/hvagent.conf"

/* Exit statuses (hvagent(8)). */
enum {
	EXIT_SYNCED = 0,     /* in sync */
	EXIT_PARTIAL = 1,    /* synced, but some VMs refused or failed */
	EXIT_USAGE = 2,      /* bad option or configuration */
	EXIT_STORE = 3,      /* no store, or it could not be read */
	EXIT_LIBVIRT = 4,    /* libvirt unreachable */
	EXIT_COMMIT = 5,     /* the store could not be written */
	EXIT_AUTH = 6,       /* authenticated store that does not verify:
				not applied (hv_auth.c) */
};

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

struct agent {
	struct hv_config cfg;
	const char *cfg_path;
	int cfg_explicit;
	const char *opt_uri, *opt_image, *opt_device;
	int opt_level, once, dry_run, print_stats, stats_json;
	unsigned opt_interval;
	char arch[80];
	char domtype[32];   /* cfg.domain_type resolved on this connection */
	/* the store (st.store and st.media, once open) */
	struct ps_opened st;
	struct ps_store *store;
	struct hv_auth auth;
	/* libvirt */
	virConnectPtr conn;
	int cb_id, cb_meta;
	uint64_t lv_seen;   /* libvirt_fingerprint() before the last pass */
	int dirty;
	/* Crashes seen by the event callback, handled after it returns. */
	struct hv_crash crash[32];
	unsigned ncrash;
	/* Consoles (hv_console.c): on when cfg.con.mode is not off. */
	struct hv_console con;
	int con_on, con_watch, con_event;
	struct hv_migrate mig;   /* live migrations' console steps */
	/* Domains migrated in: their VMs come from a peer's store. */
	struct { uint8_t uuid[16]; char name[256]; } movein[16];
	unsigned nmovein;
	/* The last console fault of a few VMs: the cause of their crash. */
	struct { uint8_t uuid[16]; char why[200]; } fault[8];
	unsigned nfault;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvagent [--once] [-c CONFIG] [-u URI] [-i IMAGE | "
		"-d DEVICE]\n"
		"               [--interval SECONDS] [--dry-run] [--stats "
		"[--json]] [-v | -q]\n"
		"       hvagent --version\n"
		"  --once        boot pass: reconcile, apply power states, "
		"exit\n"
		"  -c CONFIG     configuration file (default "
		HV_DEFAULT_CONFIG ")\n"
		"  -u URI        libvirt URI (default qemu:///system)\n"
		"  -i IMAGE      the store in an image file\n"
		"  -d DEVICE     the store on a device (USB key)\n"
		"  --interval S  store generation poll, seconds (daemon)\n"
		"  --dry-run     plan and log, change nothing\n"
		"  --stats       print the pass's counters on stdout\n"
		"  --json        with --stats: as a JSON document\n"
		"  -v, -q        log debug / errors only\n");
}

/* The agent's version, the store format it writes and the libvirt
 * library it runs with (not the daemon's: no connection is made). */
static void print_version(void)
{
	unsigned long lv = 0;

	virGetVersion(&lv, NULL, NULL);
	printf("hvagent %s (format %u.%u, schema %u; libvirt %lu.%lu.%lu)\n",
	       PSTATE_VERSION, PSF_FORMAT_MAJOR, PSF_FORMAT_MINOR,
	       PSF_SCHEMA_VERSION, lv / 1000000, lv / 1000 % 1000, lv % 1000);
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = !strcmp(o, "-c") || !strcmp(o, "-u") ||
			    !strcmp(o, "-i") || !strcmp(o, "-d") ||
			    !strcmp(o, "--interval");

		if (takes && !v) {
			hv_log(HV_ERR, "option %s needs a value", o);
			return -1;
		}
		if (!strcmp(o, "--once"))
			a->once = 1;
		else if (!strcmp(o, "--dry-run"))
			a->dry_run = 1;
		else if (!strcmp(o, "--stats"))
			a->print_stats = 1;
		else if (!strcmp(o, "--json"))
			a->stats_json = 1;
		else if (!strcmp(o, "-v"))
			a->opt_level = HV_DEBUG;
		else if (!strcmp(o, "-q"))
			a->opt_level = HV_ERR;
		else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(o, "--version")) {
			print_version();
			exit(0);
		} else if (!strcmp(o, "-c")) {
			a->cfg_path = v;
			a->cfg_explicit = 1;
		} else if (!strcmp(o, "-u"))
			a->opt_uri = v;
		else if (!strcmp(o, "-i"))
			a->opt_image = v;
		else if (!strcmp(o, "-d"))
			a->opt_device = v;
		else if (!strcmp(o, "--interval")) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);

			if (*end || end == v || n < 1 || n > 86400) {
				hv_log(HV_ERR, "--interval '%s': whole seconds, "
				       "1-86400", v);
				return -1;
			}
			a->opt_interval = (unsigned)n;
		} else {
			hv_log(HV_ERR, "unknown option '%s'", o);
			usage(stderr);
			return -1;
		}
		if (takes)
			i++;
	}
	if (a->stats_json && !a->print_stats) {
		hv_log(HV_ERR, "--json goes with --stats (the counters' form)");
		return -1;
	}
	if (a->opt_image && a->opt_device) {
		hv_log(HV_ERR, "-i and -d name two stores; give one");
		return -1;
	}
	return 0;
}

/* The configuration file, then the options over it. */
static int load_config(struct agent *a)
{
	struct hv_config c;
	char err[1024];

	hv_config_defaults(&c);
	if (hv_config_load(&c, a->cfg_path, !a->cfg_explicit, err,
			   sizeof err)) {
		hv_log(HV_ERR, "config: %s", err);
		return -1;
	}
	if (a->opt_interval)
		c.interval_s = a->opt_interval;
	if (a->opt_uri)
		snprintf(c.uri, sizeof c.uri, "%s", a->opt_uri);
	if (a->opt_level)
		c.log_level = a->opt_level;
	a->cfg = c;
	hv_log_set_level(c.log_level);
	return 0;
}

/* ------------------------------------------------------------ store */

/* -d/-i, else the configuration's device/image, else the default search
 * (USB key, $PSTATE_IMAGE, the default image): ps_open_path's rule. */
static int open_store(struct agent *a)
{
	const char *dev = a->opt_device ? a->opt_device
			  : a->opt_image ? NULL
			  : a->cfg.device[0] ? a->cfg.device : NULL;
	const char *img = a->opt_image ? a->opt_image
			  : a->opt_device ? NULL
			  : a->cfg.image[0] ? a->cfg.image : NULL;
	char err[1600], desc[1400];
	int rc;

	if (dev || img)
		rc = ps_open_path(&a->st, dev ? dev : img,
				  dev ? PS_OPEN_DEVICE : PS_OPEN_IMAGE, err,
				  sizeof err);
	else
		rc = ps_open_default(&a->st, NULL, 0, err, sizeof err);
	if (a->st.source == PS_OPEN_SRC_ENV ||
	    a->st.source == PS_OPEN_SRC_DEFAULT)
		hv_log(HV_DEBUG, "no USB key with a store; using %s (%s)",
		       a->st.path, a->st.how);
	if (!rc)
		rc = ps_open_lock(&a->st, PS_OWNER_AGENT, err, sizeof err);
	if (rc) {
		hv_log(HV_ERR, "store: %s", err);
		return rc;
	}
	a->store = a->st.store;
	ps_open_describe(&a->st, desc, sizeof desc);
	hv_log(HV_INFO, "store: %s (generation %llu); lock: %s", desc,
	       (unsigned long long)ps_store_generation(a->store),
	       ps_sem_sys_describe(&a->st.sem));
	return 0;
}

static void close_store(struct agent *a)
{
	ps_open_close(&a->st);
	a->store = NULL;
}

/* The newest generation on media from the slot headers alone: a few
 * sector reads, so polling it is cheap. */
static uint64_t media_generation(struct agent *a)
{
	const struct ps_disk *d = ps_store_disk(a->store);
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	uint64_t g = 0;
	uint32_t i;

	for (i = 0; i < d->slot_count; i++) {
		struct ps_slot s;

		if (ps_media_read(&a->st.media, d->slot[i].lba, 1, sector) == 0 &&
		    ps_slot_decode(sector, i, &s) == 0 && s.generation > g)
			g = s.generation;
	}
	return g;
}

/* ------------------------------------------------------------ libvirt */

static void silence_libvirt(void *data, virErrorPtr err)
{
	(void)data;
	(void)err;   /* reported where the call failed, with context */
}

/* The console's last fault on the crashed VM, if one was seen. */
static void fault_why(struct agent *a, struct hv_crash *c)
{
	unsigned i;

	c->why[0] = 0;
	for (i = 0; i < a->nfault && i < 8; i++)
		if (!memcmp(a->fault[i].uuid, c->uuid, 16))
			snprintf(c->why, sizeof c->why, "%s", a->fault[i].why);
}

static int lifecycle_cb(virConnectPtr c, virDomainPtr d, int event,
			int detail, void *opaque)
{
	struct agent *a = opaque;
	unsigned cause = hv_crash_cause(event, detail, a->cfg.crash_extra);

	(void)c;
	hv_log(HV_DEBUG, "libvirt event %d/%d on '%s'", event, detail,
	       virDomainGetName(d));
	a->dirty = 1;
	if (a->con_on)
		hv_migrate_note(&a->mig, virDomainGetName(d), event, detail);
	if (a->cfg.peers[0] && event == VIR_DOMAIN_EVENT_RESUMED &&
	    detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED && a->nmovein < 16 &&
	    virDomainGetUUID(d, a->movein[a->nmovein].uuid) == 0)
		snprintf(a->movein[a->nmovein++].name, 256, "%s",
			 virDomainGetName(d));
	/* No libvirt calls from inside the callback: queued for the loop. */
	if (cause && a->ncrash < sizeof a->crash / sizeof a->crash[0] &&
	    virDomainGetUUID(d, a->crash[a->ncrash].uuid) == 0) {
		a->crash[a->ncrash].event = event;
		a->crash[a->ncrash].detail = detail;
		a->crash[a->ncrash].cause = cause;
		fault_why(a, &a->crash[a->ncrash]);
		a->ncrash++;
	} else if (cause) {
		hv_log(HV_ERR, "vm '%s': crash not handled: too many at once",
		       virDomainGetName(d));
	}
	return 0;
}

static void metadata_cb(virConnectPtr c, virDomainPtr d, int type,
			const char *nsuri, void *opaque)
{
	struct agent *a = opaque;

	(void)c;
	(void)type;
	(void)nsuri;
	hv_log(HV_DEBUG, "libvirt metadata change on '%s'",
	       virDomainGetName(d));
	a->dirty = 1;
}

/* Definition changes that raise no event at all (virsh setmaxmem or
 * setvcpus --config, for one) are found by comparing this between polls:
 * a hash of every persistent domain's inactive XML and autostart flag,
 * summed so that the listing order does not matter.  One XML read per
 * domain.  0 when the domains cannot be listed (the next pass says why). */
static uint64_t libvirt_fingerprint(virConnectPtr conn)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms,
					 VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++) {
		char *xml = virDomainGetXMLDesc(doms[i],
						VIR_DOMAIN_XML_INACTIVE);
		int autostart = 0;
		uint64_t h = 14695981039346656037ull;   /* FNV-1a */
		const char *p;

		virDomainGetAutostart(doms[i], &autostart);
		for (p = xml ? xml : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		sum += (h ^ (uint64_t)autostart) * 1099511628211ull;
		free(xml);
		virDomainFree(doms[i]);
	}
	free(doms);
	return n < 0 ? 0 : sum + (uint64_t)n;
}

static int open_libvirt(struct agent *a)
{
	a->conn = virConnectOpen(a->cfg.uri);
	if (!a->conn) {
		hv_log(HV_ERR, "libvirt %s: cannot connect: %s", a->cfg.uri,
		       virGetLastErrorMessage());
		return -1;
	}
	a->cb_id = -1;
	a->cb_meta = -1;
	hv_log(HV_DEBUG, "libvirt: connected to %s", a->cfg.uri);
	return 0;
}

/* cfg.domain_type on this connection (auto: KVM if libvirt offers it). */
static int resolve_domain_type(struct agent *a)
{
	char err[1024];

	if (hv_domain_type_resolve(a->conn, a->cfg.domain_type, a->arch,
				   a->domtype, sizeof a->domtype, err,
				   sizeof err)) {
		hv_log(HV_ERR, "config: %s", err);
		return -1;
	}
	return 0;
}

/* Lifecycle events (defined, undefined, started...) and metadata changes
 * (description) start a pass at once; the rest waits for the poll. */
static void watch_libvirt(struct agent *a)
{
	a->cb_id = virConnectDomainEventRegisterAny(
		a->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), a, NULL);
	if (a->cb_id < 0)
		hv_log(HV_WARN, "libvirt: no domain events (%s); relying on the "
		       "%u s poll", virGetLastErrorMessage(), a->cfg.interval_s);
	a->cb_meta = virConnectDomainEventRegisterAny(
		a->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
		VIR_DOMAIN_EVENT_CALLBACK(metadata_cb), a, NULL);
}

static void close_libvirt(struct agent *a)
{
	if (!a->conn)
		return;
	if (a->cb_id >= 0)
		virConnectDomainEventDeregisterAny(a->conn, a->cb_id);
	if (a->cb_meta >= 0)
		virConnectDomainEventDeregisterAny(a->conn, a->cb_meta);
	virConnectClose(a->conn);
	a->conn = NULL;
}

/* Consoles (console = local or bmc): set up, or the agent does not
 * start (a wrong BMC or password file is a configuration error). */
static int open_console(struct agent *a)
{
	char err[1024];

	a->con.events_fd = -1;
	a->con_on = a->cfg.con.mode != HV_CON_OFF;
	if (!a->con_on)
		return 0;
	if (hv_console_init(&a->con, &a->cfg, err, sizeof err)) {
		hv_log(HV_ERR, "config: %s", err);
		return -1;
	}
	hv_log(HV_INFO, "consoles: %u port%s per VM, allocated %s%s",
	       a->cfg.con.ports, a->cfg.con.ports == 1 ? "" : "s",
	       a->cfg.con.mode == HV_CON_BMC ? "by the BMC " : "in the store",
	       a->cfg.con.mode == HV_CON_BMC ? a->cfg.con.bmc : "");
	return 0;
}

/* ------------------------------------------------------------ passes */

/* A restart is about to start the domain: its console ports first. */
static void before_start(void *arg, const uint8_t uuid[16])
{
	struct agent *a = arg;

	hv_console_vm(&a->con, a->store, uuid, 1);
}

static void sync_init(struct agent *a, struct hv_sync *sp, int boot)
{
	struct hv_sync s = { 0 };

	s.conn = a->conn;
	s.store = a->store;
	s.media = &a->st.media;
	s.uri = a->cfg.uri;
	s.adopt = a->cfg.adopt;
	s.lv_delete = a->cfg.lv_delete;
	s.boot = boot;
	s.dry_run = a->dry_run;
	s.auth = &a->auth;
	snprintf(a->auth.ipmitool, sizeof a->auth.ipmitool, "%s",
		 a->cfg.alert_ipmitool);
	s.map.serial_run_dir = a->cfg.run_dir;
	s.map.serial_log_dir = a->cfg.log_dir;
	s.map.domain_type = a->domtype;
	s.map.arch = a->arch;
	s.map.default_memory_kib = 1048576;
	if (a->con_on) {
		s.map.console_ports = a->cfg.con.ports;
		s.before_start = before_start;
		s.start_arg = a;
	}
	*sp = s;
}

/* Restart policies for the crashes queued by the event callback, before
 * the pass they also asked for. */
static void handle_crashes(struct agent *a)
{
	struct hv_sync s;
	unsigned i;
	uint8_t action;

	sync_init(a, &s, 0);
	for (i = 0; i < a->ncrash; i++)
		hv_restart_handle(&s, &a->crash[i], (uint64_t)time(NULL),
				  &action);
	a->ncrash = 0;
}

static int pass(struct agent *a, int boot)
{
	struct hv_sync s;
	struct hv_stats st;
	struct timespec t0, t1;
	char line[600];
	double secs;
	int rc;

	if (boot && a->con_on && !a->dry_run)
		hv_console_pre_boot(&a->con, a->store, a->conn);
	sync_init(a, &s, boot);
	/* Taken before the pass reads libvirt: a change made while the pass
	 * runs shows at the next poll.  The pass's own defines show too, and
	 * cost one pass that finds nothing to do. */
	if (!a->once)
		a->lv_seen = libvirt_fingerprint(a->conn);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = hv_sync_pass(&s, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	hv_stats_line(&st, secs, line, sizeof line);
	hv_log(rc ? HV_WARN : HV_INFO, "pass%s: %s", boot ? " (boot)" : "",
	       line);
	if (a->print_stats)
		hv_stats_print(stdout, &st, secs, a->stats_json);
	fflush(stdout);
	/* Started domains get their console ports, stopped ones free them
	 * (after the pass: its snapshot is the store's buffer). */
	if (a->con_on && !a->dry_run)
		hv_console_sync_all(&a->con, a->store, a->conn);
	if (rc == PS_ERR_IO && !virConnectIsAlive(a->conn))
		return -EXIT_LIBVIRT;
	return rc;
}

static int exit_for(int rc)
{
	if (rc == 0 || rc == 1)
		return rc;
	if (rc == PS_ERR_AUTH)
		return EXIT_AUTH;
	if (rc == -EXIT_LIBVIRT || rc == PS_ERR_IO)
		return EXIT_LIBVIRT;
	if (rc == PS_ERR_CONFLICT || rc == PS_ERR_FENCED || rc == PS_ERR_LOCK ||
	    rc == PS_ERR_NOSPACE || rc == PSF_ERR_NOSPACE ||
	    (rc <= -PS_SEM_ERR_FIRST && rc >= -PS_SEM_ERR_LAST))
		return EXIT_COMMIT;
	return EXIT_STORE;
}

static void tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;   /* wakes the event loop to look at the flags */
}

static int reload(struct agent *a)
{
	char old_uri[512];
	struct hv_config old = a->cfg;

	snprintf(old_uri, sizeof old_uri, "%s", a->cfg.uri);
	if (load_config(a)) {
		hv_log(HV_ERR, "SIGHUP: configuration not reloaded; keeping "
		       "the old one");
		return 0;
	}
	if (memcmp(&old.con, &a->cfg.con, sizeof old.con)) {
		hv_log(HV_WARN, "SIGHUP: console keys changed: they take "
		       "effect when the agent starts again");
		a->cfg.con = old.con;
	}
	hv_log(HV_INFO, "SIGHUP: configuration reloaded from %s (interval "
	       "%u s)", a->cfg_path, a->cfg.interval_s);
	if (strcmp(old_uri, a->cfg.uri)) {
		close_libvirt(a);
		if (open_libvirt(a))
			return -1;
		watch_libvirt(a);
	}
	if (resolve_domain_type(a)) {
		hv_log(HV_ERR, "SIGHUP: keeping domain_type = %s",
		       old.domain_type);
		snprintf(a->cfg.domain_type, sizeof a->cfg.domain_type, "%s",
			 old.domain_type);
		resolve_domain_type(a);
	}
	a->dirty = 1;
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The concentrator's fault socket is readable. */
static void fault_cb(int watch, int fd, int events, void *opaque)
{
	struct agent *a = opaque;

	(void)watch;
	(void)fd;
	(void)events;
	a->con_event = 1;
}

/* Faults the concentrator told: each remembered as its VM's crash cause;
 * a kernel panic (the guest cannot go on) stops a running domain and
 * applies its restart policy now (console_fault_action = restart). */
static void handle_faults(struct agent *a)
{
	struct hv_crash c;
	char why[200];
	int panic, rc;

	a->con_event = 0;
	while ((rc = hv_console_fault(&a->con, a->store, c.uuid, why,
				      sizeof why, &panic)) != 0) {
		virDomainPtr d;

		if (rc < 0)
			continue;
		memcpy(a->fault[a->nfault % 8].uuid, c.uuid, 16);
		snprintf(a->fault[a->nfault % 8].why, sizeof why, "%s", why);
		a->nfault++;
		if (!panic || !a->cfg.con.fault_restart ||
		    a->ncrash >= sizeof a->crash / sizeof a->crash[0])
			continue;
		d = virDomainLookupByUUID(a->conn, c.uuid);
		if (d && virDomainIsActive(d) == 1 && !virDomainDestroy(d)) {
			hv_log(HV_WARN, "vm '%s': stopped after a kernel panic "
			       "on its console", virDomainGetName(d));
			c.event = VIR_DOMAIN_EVENT_CRASHED;
			c.detail = 0;
			c.cause = PSF_CRASH_CRASHED;
			snprintf(c.why, sizeof c.why, "%s", why);
			a->crash[a->ncrash++] = c;
		}
		if (d)
			virDomainFree(d);
	}
}

/* The migration peers and this agent's store (hv_vmmove.c). */
static struct hv_vmmove_ctx vmmove_ctx(struct agent *a)
{
	struct hv_vmmove_ctx x = { a->cfg.peers, a->st.path, a->st.is_dev,
				   a->store };

	return x;
}

static void moves_in(struct agent *a)
{
	struct hv_vmmove_ctx x = vmmove_ctx(a);
	unsigned i;

	for (i = 0; i < a->nmovein && !a->dry_run; i++)
		hv_vmmove_in(&x, a->movein[i].uuid, a->movein[i].name);
	a->nmovein = 0;
	a->dirty = 1;
}

static int daemon_loop(struct agent *a)
{
	uint64_t seen = ps_store_generation(a->store);
	double next_poll = now_s() + a->cfg.interval_s;
	int timer = virEventAddTimeout(200, tick, NULL, NULL);

	watch_libvirt(a);
	a->con_watch = a->con_on && a->con.events_fd >= 0
		       ? virEventAddHandle(a->con.events_fd,
					   VIR_EVENT_HANDLE_READABLE, fault_cb,
					   a, NULL)
		       : -1;
	hv_log(HV_INFO, "watching %s and the store (every %u s)", a->cfg.uri,
	       a->cfg.interval_s);
	while (!stop_flag) {
		if (virEventRunDefaultImpl() < 0 && errno != EINTR)
			break;
		if (reload_flag) {
			reload_flag = 0;
			if (reload(a))
				break;
		}
		if (stop_flag)
			break;
		if (now_s() >= next_poll) {
			uint64_t g = media_generation(a);

			next_poll = now_s() + a->cfg.interval_s;
			if (g != seen ||
			    libvirt_fingerprint(a->conn) != a->lv_seen)
				a->dirty = 1;
		}
		if (a->mig.nq)   /* first: the console waits on it */
			hv_migrate_run(&a->mig, &a->con);
		if (a->nmovein)  /* then the VM's store object follows */
			moves_in(a);
		if (a->con_event)
			handle_faults(a);
		if (a->ncrash)
			handle_crashes(a);
		if (!a->dirty)
			continue;
		a->dirty = 0;
		if (pass(a, 0) == -EXIT_LIBVIRT) {
			hv_log(HV_WARN, "libvirt connection lost; reconnecting");
			close_libvirt(a);
			if (open_libvirt(a) == 0)
				watch_libvirt(a);
			a->dirty = 1;
		}
		seen = ps_store_generation(a->store);
	}
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	if (a->con_watch >= 0)
		virEventRemoveHandle(a->con_watch);
	hv_log(HV_INFO, "stopping");
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a;
	struct sigaction sa;
	struct utsname u;
	int rc;

	memset(&a, 0, sizeof a);
	a.cfg_path = HV_DEFAULT_CONFIG;
	if (parse_args(&a, argc, argv))
		return EXIT_USAGE;
	if (load_config(&a))
		return EXIT_USAGE;
	snprintf(a.arch, sizeof a.arch, "%s",
		 uname(&u) == 0 ? u.machine : "x86_64");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	xmlInitParser();
	virSetErrorFunc(NULL, silence_libvirt);
	if (virEventRegisterDefaultImpl() < 0) {
		hv_log(HV_ERR, "libvirt: cannot set up the event loop");
		return EXIT_LIBVIRT;
	}
	if (open_store(&a)) {
		close_store(&a);
		return EXIT_STORE;
	}
	if (open_libvirt(&a)) {
		close_store(&a);
		return EXIT_LIBVIRT;
	}
	if (resolve_domain_type(&a)) {
		close_libvirt(&a);
		close_store(&a);
		return EXIT_USAGE;
	}
	if (open_console(&a)) {
		close_libvirt(&a);
		close_store(&a);
		return EXIT_USAGE;
	}
	if (!a.dry_run) {
		struct hv_sync s;

		/* Crashes the agent did not see (it was down): their
		 * restart policies, before the pass records them stopped. */
		sync_init(&a, &s, 0);
		hv_restart_found_down(&s, (uint64_t)time(NULL));
	}
	if (!a.dry_run && a.cfg.peers[0]) {
		/* Moves toward this store that were cut (the agent died). */
		struct hv_vmmove_ctx x = vmmove_ctx(&a);

		hv_vmmove_resume(&x);
	}
	rc = pass(&a, 1);
	if (!a.once && rc >= 0 && !stop_flag)
		rc = daemon_loop(&a) ? 1 : rc;
	hv_console_close(&a.con);
	close_libvirt(&a);
	close_store(&a);
	xmlCleanupParser();
	return exit_for(rc);
}
