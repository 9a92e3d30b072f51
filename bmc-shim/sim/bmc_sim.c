/*
 * bmc_sim.c - the BMC shim inside OpenIPMI's BMC simulator (ipmi_sim),
 * loaded with a `loadlib` line:
 *
 *   loadlib "/path/bmc_sim.so" "image=IMG,state=DIR[,bios=F,shm=F]
 *            [,gate=semaphore|host-off|read-only][,power=on|off|aux]
 *            [,name=BMCNAME][,key=KEYFILE]"
 *
 * It stands in for BMC firmware: the store is the pstate partition of an
 * image file (found in its partition table, else the whole file), reached
 * through the shim's sector callbacks; the semaphore is the simulated
 * file-backed shared mapping (ps_sem_linux.h) when bios= and shm= are
 * given; the host is a power state (on, off, aux) kept in DIR/power and
 * driven by `ipmitool chassis power on|off`.  OEM requests (netfn 0x2E,
 * IANA BMC_SHIM_IANA) go to bmc_shim_handle.
 *
 * The authenticated store (key=): the BMC's secret storage is a root-only
 * key file and its non-volatile counter the file KEYFILE.counter beside
 * it, under the host's file rules (pstate/ps_auth_host.c: regular, owned
 * by root, mode 0600, never through a symlink; a file that breaks them is
 * refused, and the shim then serves no read or write of a sealed store).
 *
 * The BMC never waits inside a request: the semaphore's acquire makes one
 * attempt (the shim answers busy and the client retries), and the shim's
 * timer (bmc_shim_tick) runs before every request and once a second from
 * an ipmi_sim timer, ending abandoned write sessions and silent clients'
 * locks.
 *
 * Privilege: ipmi_sim's LAN code asks the channel's oem_check_permitted
 * hook, with the session's privilege, netfn and command, before a request
 * reaches any handler.  The module installs that hook on every LAN channel
 * so each OEM command needs exactly bmc_shim_cmd_priv(cmd): operators
 * read, administrators write.  Without the hook ipmi_sim would demand
 * administrator for every OEM command.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <OpenIPMI/serv.h>
#include <OpenIPMI/mcserv.h>
#include <OpenIPMI/lanserv.h>

#include "bmc_shim.h"

#define EXPORT __attribute__((visibility("default")))

/* ipmi_cmd_permitted's answers (OpenIPMI ipmi_auth.h). */
#define PRIV_INVALID (-1)
#define PRIV_DENIED 0
#define PRIV_PERMITTED 1
#define LAN_MEDIUM 4

struct sim {
	struct ps_media media;    /* the store's window in the image */
	char power_file[528];
	int power;                /* enum bmc_power */
	struct ps_sem_sys sem;
	struct ps_lock lock;
	int have_sem;
	char name[65];
	struct ps_auth_host auth_files;   /* key= : the key and counter files */
	struct ps_auth_provider auth_host, auth;
	sys_data_t *sys;
	ipmi_timer_t *timer;
	struct bmc_shim shim;
};

static struct sim sim;

/* ------------------------------------------------------------ power */

static const char *power_word(int p)
{
	return p == BMC_POWER_ON ? "on" : p == BMC_POWER_AUX ? "aux" : "off";
}

static int power_parse(const char *w)
{
	if (!strcmp(w, "on"))
		return BMC_POWER_ON;
	if (!strcmp(w, "aux"))
		return BMC_POWER_AUX;
	if (!strcmp(w, "off"))
		return BMC_POWER_OFF;
	return -1;
}

static void power_save(struct sim *s)
{
	FILE *f = fopen(s->power_file, "w");

	if (f) {
		fprintf(f, "%s\n", power_word(s->power));
		fclose(f);
	}
}

/* The file wins: an operator (or a test) may edit it to say "off". */
static int host_power(void *c)
{
	struct sim *s = c;
	char w[16] = "";
	FILE *f = fopen(s->power_file, "r");

	if (f) {
		if (fscanf(f, "%15s", w) == 1 && power_parse(w) >= 0)
			s->power = power_parse(w);
		fclose(f);
	}
	return s->power;
}

static int chassis_set(lmc_data_t *mc, int op, unsigned char *val, void *cb)
{
	struct sim *s = cb;

	(void)mc;
	if (op != CHASSIS_CONTROL_POWER)
		return EINVAL;
	/* Off leaves the host on standby power, as a real chassis does. */
	s->power = val[0] ? BMC_POWER_ON : BMC_POWER_AUX;
	power_save(s);
	return 0;
}

static int chassis_get(lmc_data_t *mc, int op, unsigned char *val, void *cb)
{
	(void)mc;
	if (op != CHASSIS_CONTROL_POWER)
		return EINVAL;
	val[0] = host_power(cb) == BMC_POWER_ON;
	return 0;
}

/* ------------------------------------------------------------ lock */

static int lock_holder(void *c)
{
	struct ps_sem_state st;

	return ps_sem_sys_peek(&((struct sim *)c)->sem, &st) ? 0 : st.owner;
}

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* The BMC's timer: once a second, re-armed each time. */
static void tick(void *c)
{
	struct sim *s = c;
	struct timeval tv = { 1, 0 };

	bmc_shim_tick(&s->shim, mono_ms());
	s->sys->start_timer(s->timer, &tv);
}

static uint64_t now_s(void *c)
{
	(void)c;
	return (uint64_t)time(NULL);
}

/* Random bytes for the shim (a fresh UUID and MACs for a VM whose
 * profile is unassigned). */
static int rand_bytes(void *c, uint8_t *buf, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	(void)c;
	if (fd < 0)
		return -1;
	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);

		if (k <= 0 && !(k < 0 && errno == EINTR))
			break;
		if (k > 0)
			got += (size_t)k;
	}
	close(fd);
	return got == n ? 0 : -1;
}

/* ------------------------------------------------------------ auth */

/* A file that is there but breaks the rules is the BMC's fault, not "no
 * key": said in the log, and the shim refuses to serve (docs/security.md). */
static int auth_refused(struct sim *s, int rc, const char *path)
{
	if (rc != PS_ERR_NOKEY || access(path, F_OK) != 0)
		return rc;
	s->sys->log(s->sys, OS_ERROR, NULL, "bmc_sim: %s",
		    s->auth_files.err);
	return PS_ERR_IO;
}

static int auth_key(void *c, uint8_t *key)
{
	struct sim *s = c;

	return auth_refused(s, s->auth_host.get_key(s->auth_host.ctx, key),
			    s->auth_files.key_path);
}

static int auth_get_counter(void *c, uint64_t *v)
{
	struct sim *s = c;

	return auth_refused(s, s->auth_host.get_counter(s->auth_host.ctx, v),
			    s->auth_files.counter_path);
}

static int auth_set_counter(void *c, uint64_t v)
{
	struct sim *s = c;

	return auth_refused(s, s->auth_host.set_counter(s->auth_host.ctx, v),
			    s->auth_files.counter_path);
}

/* The host's key and counter file providers at the paths key= names. */
static const struct ps_auth_provider *auth_setup(struct sim *s,
						 const char *key)
{
	static const uint8_t no_volume[16];

	if (!*key)
		return NULL;
	ps_auth_host_init(&s->auth_files, &s->auth_host, no_volume);
	snprintf(s->auth_files.key_path, sizeof s->auth_files.key_path, "%s",
		 key);
	snprintf(s->auth_files.counter_path,
		 sizeof s->auth_files.counter_path, "%s.counter", key);
	s->auth = (struct ps_auth_provider){ s, auth_key, auth_get_counter,
					     auth_set_counter };
	return &s->auth;
}

/* ------------------------------------------------------------ OEM */

/*
 * The privilege a LAN request really has: its session's, capped by the
 * privilege configured for the session's user.  ipmi_sim lets an RMCP+
 * client open a session at a role above its user's limit (an operator
 * asking for administrator gets it), so the user's own limit is applied
 * here, from the LAN state the channel is embedded in (lanserv.h).
 * Requests from other channels (the system interface) are the host's or
 * the BMC's own and keep full privilege.
 */
static unsigned request_priv(const msg_t *msg)
{
	const lanserv_data_t *lan;
	unsigned i;

	if (!msg->orig_channel || msg->orig_channel->medium_type != LAN_MEDIUM)
		return BMC_PRIV_ADMIN;
	lan = (const lanserv_data_t *)(const void *)
		((const char *)msg->orig_channel -
		 offsetof(lanserv_data_t, channel));
	for (i = 1; i <= MAX_SESSIONS; i++) {
		const session_t *se = &lan->sessions[i];
		unsigned user;

		if (!se->active || se->sid != msg->sid)
			continue;
		user = lan->users ? lan->users[se->userid].privilege : 0;
		return se->priv < user ? se->priv : user;
	}
	return 0;                  /* no session: nothing is permitted */
}

static void oem_handler(lmc_data_t *mc, msg_t *msg, unsigned char *rdata,
			unsigned int *rdata_len, void *cb)
{
	struct sim *s = cb;
	size_t n = 0;

	(void)mc;
	/* A store on a block device: what the host wrote meanwhile through
	 * another node of it (its partition's) is read from the device, not
	 * from this node's page cache (nothing to do for an image file). */
	(void)ps_media_drop_cache(&s->media);
	bmc_shim_tick(&s->shim, mono_ms());
	/* check_permitted has already held the session's role to each
	 * command's need; the shim checks the user's limit too. */
	rdata[0] = bmc_shim_handle(&s->shim, msg->cmd, request_priv(msg),
				   msg->data, msg->len, rdata + 1,
				   BMC_SHIM_RESP_MAX, &n);
	*rdata_len = (unsigned int)(1 + n);
}

static int check_permitted(unsigned char priv, unsigned char netfn,
			   unsigned char cmd)
{
	unsigned need;

	if (netfn != BMC_SHIM_NETFN)
		return PRIV_INVALID;
	need = bmc_shim_cmd_priv(cmd);
	if (!need)
		return PRIV_INVALID;   /* not ours: ipmi_sim's default */
	return priv >= need ? PRIV_PERMITTED : PRIV_DENIED;
}

static void hook_lan_channels(sys_data_t *sys)
{
	unsigned i;

	for (i = 0; sys->chan_set && i < IPMI_MAX_CHANNELS; i++) {
		channel_t *c = sys->chan_set[i];

		if (c && c->medium_type == LAN_MEDIUM)
			c->oem.oem_check_permitted = check_permitted;
	}
}

/* ------------------------------------------------------------ auth */

/*
 * ipmi_sim accepts every RMCP+ cipher suite in its table, suite 0 (no
 * authentication: any password opens an administrator session) among
 * them, and its per-suite privilege limit (LAN parameter 24) is not
 * applied per suite.  The table is exported data of libIPMIlanserv: keep
 * only suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128), so an open
 * session request for any other suite is refused.
 */
struct cipher_suite { int auth, integ, conf; };
extern struct cipher_suite valid_cipher_suites[];

static void only_suite_3(void)
{
	valid_cipher_suites[0] = (struct cipher_suite){ 1, 1, 1 };
	valid_cipher_suites[1] = (struct cipher_suite){ -1, -1, -1 };
}

/* ------------------------------------------------------------ options */

struct opts {
	char image[512], state[512], bios[512], shm[512], gate[32];
	char power[16], name[65], key[512];
};

static int opt_copy(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static int parse_opts(const char *in, struct opts *o, const char **bad)
{
	static const struct { const char *k; size_t off, cap; } keys[] = {
		{ "image", offsetof(struct opts, image), 512 },
		{ "state", offsetof(struct opts, state), 512 },
		{ "bios", offsetof(struct opts, bios), 512 },
		{ "shm", offsetof(struct opts, shm), 512 },
		{ "gate", offsetof(struct opts, gate), 32 },
		{ "power", offsetof(struct opts, power), 16 },
		{ "name", offsetof(struct opts, name), 65 },
		{ "key", offsetof(struct opts, key), 512 },
	};
	const char *p = in ? in : "";

	memset(o, 0, sizeof *o);
	while (*p) {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		size_t len = end ? (size_t)(end - p) : strlen(p), i;

		*bad = p;
		if (!eq || eq > p + len)
			return -1;
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strlen(keys[i].k) == (size_t)(eq - p) &&
			    !strncmp(p, keys[i].k, (size_t)(eq - p)))
				break;
		if (i == sizeof keys / sizeof keys[0] ||
		    opt_copy((char *)o + keys[i].off, keys[i].cap, eq + 1,
			     len - (size_t)(eq - p) - 1))
			return -1;
		p += len + (end != NULL);
	}
	return 0;
}

static int gate_of(const char *w)
{
	if (!*w || !strcmp(w, "semaphore"))
		return BMC_GATE_SEMAPHORE;
	if (!strcmp(w, "host-off"))
		return BMC_GATE_HOST_OFF;
	if (!strcmp(w, "read-only"))
		return BMC_GATE_READ_ONLY;
	return -1;
}

/* ------------------------------------------------------------ setup */

/* The store's window in the image (its partition, else the whole file or
 * device), through pstate's media layer as every host opener reaches it:
 * the sector size ps_part_sector_size gives (a block device's logical
 * sectors, a file's from its superblock, else 512), a block device
 * flushed with fsync and its page cache dropped. */
static int open_image(struct sim *s, const char *path, char *err,
		      size_t errlen)
{
	struct ps_part_info pi;
	uint64_t offset = 0, length = 0;
	int rc = ps_part_find(path, &pi, err, errlen);

	if (rc == 0) {
		offset = pi.offset;
		length = pi.length;
	} else if (rc != PS_PART_ENOTABLE) {
		return -1;
	}
	rc = ps_media_open_image(&s->media, path, offset, length,
				 ps_part_sector_size(path, offset, length), 0);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, ps_strerror(rc));
		return -1;
	}
	return 0;
}

static int open_sem(struct sim *s, const struct opts *o, char *err,
		    size_t errlen)
{
	struct ps_sem_config cfg = { 0 };

	if (!o->bios[0] && !o->shm[0])
		return 0;
	/* A fresh pair when there is none: this BMC publishes it. */
	if (access(o->bios, F_OK) && ps_sem_sim_create(o->bios, o->shm, NULL)) {
		snprintf(err, errlen, "cannot create %.200s / %.200s", o->bios,
			 o->shm);
		return -1;
	}
	cfg.mode = PS_SEM_MODE_SIM;
	cfg.bios_file = o->bios;
	cfg.shm_file = o->shm;
	if (ps_sem_sys_open(&s->sem, &cfg)) {
		snprintf(err, errlen, "semaphore: %s",
			 ps_sem_sys_describe(&s->sem));
		return -1;
	}
	/* One attempt per acquire: a request never waits for a holder. */
	s->sem.timeout_ms = 0;
	s->lock = (struct ps_lock){ &ps_sem_sys_lock_ops, &s->sem,
				    PS_OWNER_BMC, PS_SEM_DEFAULT_LEASE_MS,
				    0, 0 };
	s->have_sem = 1;
	return 0;
}

static int setup(struct sim *s, const struct opts *o, char *err,
		 size_t errlen)
{
	struct bmc_shim_platform p = { 0 };
	int gate = gate_of(o->gate);

	if (!o->image[0] || !o->state[0]) {
		snprintf(err, errlen, "image= and state= are required");
		return -1;
	}
	if (gate < 0 || (o->power[0] && power_parse(o->power) < 0)) {
		snprintf(err, errlen, "bad gate= or power= value");
		return -1;
	}
	snprintf(s->power_file, sizeof s->power_file, "%s/power", o->state);
	s->power = o->power[0] ? power_parse(o->power) : BMC_POWER_AUX;
	power_save(s);
	snprintf(s->name, sizeof s->name, "%s", o->name[0] ? o->name
							  : "localhost");
	if (open_image(s, o->image, err, errlen) ||
	    open_sem(s, o, err, errlen))
		return -1;
	p.media_ops = s->media.ops;
	p.media_ctx = s->media.ctx;
	p.sector_size = s->media.sector_size;
	p.sectors = s->media.sectors;
	p.host_power = host_power;
	p.power_ctx = s;
	p.lock = s->have_sem ? &s->lock : NULL;
	p.lock_holder = s->have_sem ? lock_holder : NULL;
	p.lock_ctx = s;
	p.gate = (uint8_t)gate;
	p.now = now_s;
	p.rand = rand_bytes;
	p.bmc_name = s->name;
	p.auth = auth_setup(s, o->key);
	if (bmc_shim_init(&s->shim, &p)) {
		snprintf(err, errlen, "%s: unusable geometry", o->image);
		return -1;
	}
	return 0;
}

EXPORT int ipmi_sim_module_init(sys_data_t *sys, const char *options)
{
	static struct opts o;
	char err[600];
	const char *bad = NULL;
	int rc;

	if (parse_opts(options, &o, &bad)) {
		sys->log(sys, SETUP_ERROR, NULL, "bmc_sim: bad option at '%s'",
			 bad ? bad : "");
		return EINVAL;
	}
	sim.sys = sys;
	if (setup(&sim, &o, err, sizeof err)) {
		sys->log(sys, SETUP_ERROR, NULL, "bmc_sim: %s", err);
		return EINVAL;
	}
	only_suite_3();
	rc = ipmi_emu_register_iana_handler(BMC_SHIM_IANA, oem_handler, &sim);
	if (rc) {
		sys->log(sys, SETUP_ERROR, NULL,
			 "bmc_sim: cannot register IANA %u: %d",
			 BMC_SHIM_IANA, rc);
		return rc;
	}
	hook_lan_channels(sys);
	if (!sys->alloc_timer(sys, tick, &sim, &sim.timer))
		tick(&sim);
	return 0;
}

/* After the emulator file ran: the BMC's MC exists, and so may more LAN
 * channels. */
EXPORT int ipmi_sim_module_post_init(sys_data_t *sys)
{
	if (sys->mc)
		ipmi_mc_set_chassis_control_func(sys->mc, chassis_set,
						 chassis_get, &sim);
	hook_lan_channels(sys);
	return 0;
}

EXPORT int ipmi_sim_module_print_version(sys_data_t *sys, char *initstr)
{
	(void)initstr;
	sys->log(sys, INFO, NULL, "bmc_sim: pstate BMC shim, OEM protocol %u, "
		 "IANA %u", BMC_SHIM_PROTO_VERSION, BMC_SHIM_IANA);
	return 0;
}
