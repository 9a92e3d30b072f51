/*
 * hv_console.c - the VMs' consoles on the serial concentrator: allocation
 * at launch, release at termination (seed 001), docs/hvagent.md
 * "Consoles".
 *
 * The domain's serial port never changes: it connects to
 * serial_run_dir/HOST.sock (hv_dom_apply.c), HOST being the name the
 * allocation gives (hv_console_host).  What changes is that path: a
 * symbolic link to the concentrator port's endpoint
 * (console_endpoints/port-N, the unix socket pscon serves), made once the
 * port is allocated and the concentrator serves it, removed when it is
 * freed.  So a VM started by anyone (the boot pass, the restart policy,
 * virsh start) reaches its console, and an allocation or a release never
 * redefines a domain.
 *
 * console = bmc allocates over the BMC's OEM serial commands (psctl's OEM
 * client, cli/psctl_bmc_serial.c); console = local runs the same
 * ps_serial_allocate rule on the store.  Either way the ports land in the
 * store, where pscon reads them; hvagent then asks pscon to reload
 * (console_socket) before it makes the link.
 */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hv_console.h"
#include "../bmc-shim/console/con_proto.h"

/* ------------------------------------------------------------ set-up */

static int read_password(struct hv_console *k, const char *path, char *err,
			 size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	ssize_t r;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, n, "console_bmc_password_file %s: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, n, "console_bmc_password_file %s: readable by "
			 "others (mode %o): make it 0600", path,
			 (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	r = read(fd, k->password, sizeof k->password - 1);
	close(fd);
	if (r <= 0) {
		snprintf(err, n, "console_bmc_password_file %s: empty", path);
		return -1;
	}
	k->password[r] = 0;
	k->password[strcspn(k->password, "\r\n")] = 0;
	return 0;
}

static int bind_events(struct hv_console *k, const char *path, char *err,
		       size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int one = 1;

	if (strlen(path) >= sizeof a.sun_path) {
		snprintf(err, n, "console_events %s: path too long", path);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path));
	k->events_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
			      SOCK_NONBLOCK, 0);
	unlink(path);
	if (k->events_fd < 0 ||
	    setsockopt(k->events_fd, SOL_SOCKET, SO_PASSCRED, &one,
		       sizeof one) ||
	    bind(k->events_fd, (struct sockaddr *)&a, sizeof a) ||
	    chmod(path, 0666)) {
		snprintf(err, n, "console_events %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int hv_console_init(struct hv_console *k, const struct hv_config *cfg,
		    char *err, size_t n)
{
	memset(k, 0, sizeof *k);
	k->cfg = cfg;
	k->events_fd = -1;
	if (cfg->con.mode == HV_CON_BMC && (!cfg->con.bmc[0] ||
					      !cfg->con.bmc_password_file[0])) {
		snprintf(err, n, "console = bmc needs console_bmc and "
			 "console_bmc_password_file");
		return -1;
	}
	if (cfg->con.mode == HV_CON_BMC) {
		if (psctl_bmc_parse(cfg->con.bmc, &k->bmc, err, n))
			return -1;
		k->bmc.user = cfg->con.bmc_user;
		if (read_password(k, cfg->con.bmc_password_file, err, n))
			return -1;
		k->bmc.password = k->password;
	}
	if (mkdir(cfg->run_dir, 0755) && errno != EEXIST) {
		snprintf(err, n, "serial_run_dir %s: %s", cfg->run_dir,
			 strerror(errno));
		return -1;
	}
	if (cfg->con.events[0] && bind_events(k, cfg->con.events, err, n))
		return -1;
	return 0;
}

void hv_console_close(struct hv_console *k)
{
	if (k->events_fd >= 0) {
		close(k->events_fd);
		unlink(k->cfg->con.events);
	}
	k->events_fd = -1;
}

/* ------------------------------------------------------------ pscon */

/* Read one frame of the service's replies within 2 s: its type, 0 on
 * failure; its payload copied to out (when not NULL, *outlen bytes at
 * most, *outlen set). */
uint8_t hv_pscon_read(int fd, uint8_t *buf, size_t cap, size_t *have,
		      uint8_t *out, size_t *outlen)
{
	struct con_frame f;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int len;

	for (;;) {
		len = con_frame_parse(buf, *have, 0, &f);
		if (len > 0) {
			uint8_t type = f.type;

			if (out) {
				if (*outlen > f.len)
					*outlen = f.len;
				memcpy(out, f.p, *outlen);
			}
			memmove(buf, buf + len, *have - (size_t)len);
			*have -= (size_t)len;
			return type;
		}
		if (len < 0 || *have == cap || poll(&p, 1, 2000) != 1)
			return 0;
		len = (int)read(fd, buf + *have, cap - *have);
		if (len <= 0)
			return 0;
		*have += (size_t)len;
	}
}

/* A session with the concentrator (console_socket): HELLO 2 sent, its
 * answer read.  The fd, or -1 with *why set. */
int hv_pscon_open(const struct hv_console *k, uint8_t *buf, size_t cap,
		  size_t *have, const char **why)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint8_t req[CON_HDR + 1];
	const char *path = k->cfg->con.socket;
	int fd;

	*why = "no console_socket";
	if (!path[0] || strlen(path) >= sizeof a.sun_path)
		return -1;
	memcpy(a.sun_path, path, strlen(path));
	con_frame_hdr(req, CON_HELLO, 1);
	req[CON_HDR] = CON_VERSION;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) ||
	    write(fd, req, sizeof req) != (ssize_t)sizeof req) {
		*why = strerror(errno);
	} else if (hv_pscon_read(fd, buf, cap, have, NULL, NULL) !=
		   CON_R_HELLO) {
		*why = "no hello";
	} else {
		return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The concentrator reads the store again (RELOAD), so the ports just
 * allocated are served (or the freed ones closed) before the link.
 * 0, or -1 (logged). */
static int reload_pscon(struct hv_console *k)
{
	uint8_t req[CON_HDR], buf[512];
	size_t have = 0;
	const char *path = k->cfg->con.socket, *why = "no answer";
	int fd, ok = 0;

	if (!path[0])
		return 0;
	fd = hv_pscon_open(k, buf, sizeof buf, &have, &why);
	con_frame_hdr(req, CON_RELOAD, 0);
	if (fd < 0)
		;
	else if (write(fd, req, sizeof req) != (ssize_t)sizeof req)
		why = strerror(errno);
	else if (hv_pscon_read(fd, buf, sizeof buf, &have, NULL, NULL) !=
		 CON_R_OK)
		why = "reload refused (is hvagent an administrator of it?)";
	else
		ok = 1;
	if (fd >= 0)
		close(fd);
	if (!ok)
		hv_log(HV_ERR, "console: concentrator %s: reload: %s", path,
		       why);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------ ports */

struct vmports {
	char name[PS_CFG_NAME_MAX + 1];
	unsigned n;
	struct {
		unsigned port, conc;
		char host[256];
	} p[PS_SERIAL_ALLOC_MAX];
};

/* The VM's mapped serial ports as the store says (read again from media
 * first when refresh); -1: no such VM. */
static int read_ports(struct ps_store *st, const uint8_t uuid[16],
		      struct vmports *v, int refresh)
{
	uint32_t len;
	const void *buf;
	int vm, el = -1;

	if (refresh && ps_store_refresh(st))
		return -1;
	buf = ps_store_data(st, &len);
	vm = hv_store_vm_by_uuid(buf, uuid);
	if (vm < 0)
		return -1;
	memset(v, 0, sizeof *v);
	ps_obj_key(buf, vm, PS_OBJ_VM, v->name, sizeof v->name);
	while ((el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) >= 0 &&
	       v->n < PS_SERIAL_ALLOC_MAX) {
		unsigned conc, port = hv_serial_of(buf, el, &conc);

		if (!conc)
			continue;
		v->p[v->n].port = port;
		v->p[v->n].conc = conc;
		hv_serial_host(buf, el, v->name, port, v->p[v->n].host,
			       sizeof v->p[v->n].host);
		v->n++;
	}
	return 0;
}

static void link_path(const struct hv_console *k, const char *host,
		      char *out, size_t n)
{
	snprintf(out, n, "%s/%s.sock", k->cfg->run_dir, host);
}

/* Point each port's socket path at its endpoint (a link, replaced when
 * it names another; anything else in its place is left, logged). */
static void make_links(struct hv_console *k, const struct vmports *v)
{
	unsigned i;

	for (i = 0; i < v->n; i++) {
		char path[1024], want[600], have[600];
		ssize_t r;

		if (strchr(v->p[i].host, '/'))
			continue;   /* never outside the run directory */
		link_path(k, v->p[i].host, path, sizeof path);
		snprintf(want, sizeof want, "%s/port-%u",
			 k->cfg->con.endpoints, v->p[i].conc);
		r = readlink(path, have, sizeof have - 1);
		if (r >= 0) {
			have[r] = 0;
			if (!strcmp(have, want))
				continue;
			unlink(path);
		}
		if (symlink(want, path))
			hv_log(HV_ERR, "vm '%s': console port %u: link %s -> "
			       "%s: %s", v->name, v->p[i].conc, path, want,
			       strerror(errno));
		else
			hv_log(HV_INFO, "vm '%s': serial port %u on "
			       "concentrator port %u (%s)", v->name,
			       v->p[i].port, v->p[i].conc, v->p[i].host);
	}
}

static void drop_links(struct hv_console *k, const struct vmports *v)
{
	unsigned i;
	struct stat st;

	for (i = 0; i < v->n; i++) {
		char path[1024];

		if (strchr(v->p[i].host, '/'))
			continue;
		link_path(k, v->p[i].host, path, sizeof path);
		if (!lstat(path, &st) && S_ISLNK(st.st_mode))
			unlink(path);
	}
}

struct alloc_arg {
	const uint8_t *uuid;
	struct ps_serial_req req;
	struct ps_serial_map got[PS_SERIAL_ALLOC_MAX];
	struct ps_cfg_err e;
	int freed;
};

static int alloc_edit(void *buf, size_t cap, void *arg)
{
	struct alloc_arg *a = arg;
	int vm = hv_store_vm_by_uuid(buf, a->uuid), el = -1;
	unsigned conc;

	if (vm < 0)
		return PSF_ERR_NOTFOUND;
	/* Mapped meanwhile (another writer): never a second set. */
	while ((el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) >= 0)
		if (hv_serial_of(buf, el, &conc), conc)
			return 1;
	memset(&a->e, 0, sizeof a->e);
	return ps_serial_allocate(buf, cap, vm, &a->req, a->got, &a->e);
}

static int free_edit(void *buf, size_t cap, void *arg)
{
	struct alloc_arg *a = arg;
	int vm = hv_store_vm_by_uuid(buf, a->uuid);

	(void)cap;
	if (vm < 0)
		return PSF_ERR_NOTFOUND;
	memset(&a->e, 0, sizeof a->e);
	a->freed = ps_serial_free(buf, vm, &a->e);
	return a->freed < 0 ? a->freed : 0;
}

/* A BMC that failed is left alone for HV_BMC_QUIET_S: each call can take
 * seconds (ipmitool's retries), and every pass would try again. */
#define HV_BMC_QUIET_S 30

static long long mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec;
}

static int bmc_quiet(struct hv_console *k, const char *vm)
{
	if (mono_s() >= k->bmc_quiet_until)
		return 0;
	hv_log(HV_DEBUG, "vm '%s': console: the BMC failed lately; not asked",
	       vm);
	return 1;
}

static void bmc_failed(struct hv_console *k, const char *vm, const char *err)
{
	hv_log(HV_ERR, "vm '%s': console: %s (the BMC is asked again in "
	       "%d s)", vm, err, HV_BMC_QUIET_S);
	k->bmc_quiet_until = mono_s() + HV_BMC_QUIET_S;
}

static int allocate(struct hv_console *k, struct ps_store *st,
		    const uint8_t uuid[16], const char *vm)
{
	struct alloc_arg a = { .uuid = uuid };
	char names[PS_CFG_NAME_MAX + 8], err[800];
	int rc;

	snprintf(names, sizeof names, "%s", vm);
	a.req.count = (uint16_t)k->cfg->con.ports;
	a.req.conc_first = (uint16_t)k->cfg->con.first;
	a.req.conc_last = (uint16_t)k->cfg->con.last;
	if (a.req.conc_first && !a.req.conc_last)
		a.req.conc_last = 65535;
	if (a.req.conc_last && !a.req.conc_first)
		a.req.conc_first = 1;
	a.req.mode = PSF_SERIAL_MODE_FREE;
	a.req.hostnames = names;
	a.req.hostnames_len = strlen(names);
	if (k->cfg->con.mode == HV_CON_BMC) {
		if (bmc_quiet(k, vm))
			return -1;
		rc = psctl_bmc_serial_allocate(&k->bmc, vm, &a.req, a.got, err,
					       sizeof err);
		if (rc)
			bmc_failed(k, vm, err);
		return rc ? -1 : 0;
	}
	rc = ps_update(st, alloc_edit, &a, (int)HV_PASS_RETRIES);
	if (rc == PS_ERR_ABORTED)
		return 0;   /* mapped by someone else: read below */
	if (rc)
		hv_log(HV_ERR, "vm '%s': console: serial allocate: %s", vm,
		       a.e.why ? a.e.why : ps_strerror(rc));
	return rc ? -1 : 0;
}

static int release(struct hv_console *k, struct ps_store *st,
		   const uint8_t uuid[16], const char *vm)
{
	struct alloc_arg a = { .uuid = uuid };
	char err[800];
	unsigned n = 0;
	int rc;

	if (k->cfg->con.mode == HV_CON_BMC) {
		if (bmc_quiet(k, vm))
			return -1;
		rc = psctl_bmc_serial_free(&k->bmc, vm, &n, err, sizeof err);
		if (rc)
			bmc_failed(k, vm, err);
	} else {
		rc = ps_update(st, free_edit, &a, (int)HV_PASS_RETRIES);
		n = a.freed > 0 ? (unsigned)a.freed : 0;
		if (rc)
			hv_log(HV_ERR, "vm '%s': console: serial free: %s", vm,
			       a.e.why ? a.e.why : ps_strerror(rc));
	}
	if (!rc)
		hv_log(HV_INFO, "vm '%s': stopped: %u console port%s freed",
		       vm, n, n == 1 ? "" : "s");
	return rc ? -1 : 0;
}

/* hv_console_vm; fresh: st was just read (one read for a walk). */
static int vm_sync(struct hv_console *k, struct ps_store *st,
		   const uint8_t uuid[16], int running, int fresh)
{
	struct vmports v;

	if (k->cfg->con.mode == HV_CON_OFF || read_ports(st, uuid, &v, !fresh))
		return 0;
	if (!running) {
		if (!v.n)
			return 0;
		drop_links(k, &v);
		if (release(k, st, uuid, v.name))
			return -1;
		return reload_pscon(k);
	}
	if (!v.n) {
		if (allocate(k, st, uuid, v.name) ||
		    read_ports(st, uuid, &v, 1))
			return -1;
		if (reload_pscon(k))
			return -1;
	}
	make_links(k, &v);
	return 0;
}

int hv_console_vm(struct hv_console *k, struct ps_store *st,
		  const uint8_t uuid[16], int running)
{
	return vm_sync(k, st, uuid, running, 0);
}

/* ------------------------------------------------------------ all VMs */

/* The UUIDs of the store's VMs (malloc'd), with want[i] from pick. */
static size_t store_uuids(struct ps_store *st, uint8_t (**out)[16],
			  int (*pick)(const void *buf, int vm))
{
	uint32_t len;
	const void *buf;
	size_t n = 0, cap = 0;
	int vm = -1;

	*out = NULL;
	if (ps_store_refresh(st))
		return 0;
	buf = ps_store_data(st, &len);
	while ((vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) >= 0) {
		uint8_t u[16];

		if (hv_store_vm_uuid(buf, vm, u) || (pick && !pick(buf, vm)))
			continue;
		if (n == cap) {
			void *nv = realloc(*out, (cap = cap ? 2 * cap : 16) *
					   16);

			if (!nv)
				break;
			*out = nv;
		}
		memcpy((*out)[n++], u, 16);
	}
	return n;
}

/* 1 running, 0 not, 2 shut off by a migration away from this host: its
 * ports went with it (docs/console.md "Live migration"). */
static int is_active(virConnectPtr conn, const uint8_t uuid[16])
{
	virDomainPtr d = virDomainLookupByUUID(conn, uuid);
	int on = d ? virDomainIsActive(d) == 1 : 0, state, reason;

	if (d && !on && !virDomainGetState(d, &state, &reason, 0) &&
	    state == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_MIGRATED)
		on = 2;
	if (d)
		virDomainFree(d);
	return on;
}

/* Power on or last: the boot pass may start it. */
static int may_boot(const void *buf, int vm)
{
	char t[16] = "";

	ps_obj_get(buf, vm, ps_obj_field(PS_OBJ_VM, "power", 5), t, sizeof t);
	return !strcmp(t, "on") || !strcmp(t, "last");
}

/* Every store VM's ports made to match its domain; boot: only the VMs a
 * boot pass may start, and only toward running. */
static void each_vm(struct hv_console *k, struct ps_store *st,
		    virConnectPtr conn, int boot)
{
	uint8_t (*u)[16];
	size_t i, n;

	if (k->cfg->con.mode == HV_CON_OFF)
		return;
	n = store_uuids(st, &u, boot ? may_boot : NULL);
	for (i = 0; i < n; i++) {
		int on = is_active(conn, u[i]);

		if (on == 2)    /* migrated away: the ports are its still */
			continue;
		/* The walk's one read serves every VM: a BMC commit
		 * changes only the VM it is for. */
		if (!boot || !on)
			vm_sync(k, st, u[i], boot || on, 1);
	}
	free(u);
}

void hv_console_sync_all(struct hv_console *k, struct ps_store *st,
			 virConnectPtr conn)
{
	each_vm(k, st, conn, 0);
}

void hv_console_pre_boot(struct hv_console *k, struct ps_store *st,
			 virConnectPtr conn)
{
	each_vm(k, st, conn, 1);
}

/* ------------------------------------------------------------ faults */

/* The sender may speak for the concentrator: root, or the owner of the
 * endpoint directory (the uid pscon runs as). */
static int trusted(const struct hv_console *k, uid_t uid)
{
	struct stat st;

	return uid == 0 || (!stat(k->cfg->con.endpoints, &st) &&
			    st.st_uid == uid);
}

static const char *field(const char *msg, const char *key, char *out,
			 size_t n)
{
	size_t kl = strlen(key);
	const char *p = msg;

	*out = 0;
	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(out, n, "%.*s", (int)strcspn(p + kl + 1, "\n"),
				 p + kl + 1);
			break;
		}
	return out;
}

int hv_console_fault(struct hv_console *k, struct ps_store *st,
		     uint8_t uuid[16], char *cause, size_t n, int *panic)
{
	char msg[1100], vm[PS_CFG_NAME_MAX + 1], pat[80], line[600];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} cm;
	struct iovec io = { msg, sizeof msg - 1 };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1,
			     .msg_control = cm.b,
			     .msg_controllen = sizeof cm.b };
	struct cmsghdr *c;
	struct ucred cr = { .uid = (uid_t)-1 };
	const void *buf;
	uint32_t len;
	ssize_t r;
	int v;

	if (k->events_fd < 0 ||
	    (r = recvmsg(k->events_fd, &mh, MSG_DONTWAIT)) < 0)
		return 0;
	msg[r] = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS)
			memcpy(&cr, CMSG_DATA(c), sizeof cr);
	if (!trusted(k, cr.uid)) {
		hv_log(HV_WARN, "console: a fault notice from uid %d ignored "
		       "(not the concentrator's)", (int)cr.uid);
		return -1;
	}
	field(msg, "vm", vm, sizeof vm);
	field(msg, "pattern", pat, sizeof pat);
	field(msg, "line", line, sizeof line);
	if (!vm[0] || !pat[0] || ps_store_refresh(st))
		return -1;
	buf = ps_store_data(st, &len);
	v = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vm, strlen(vm));
	if (v < 0 || hv_store_vm_uuid(buf, v, uuid)) {
		hv_log(HV_WARN, "console: a fault on VM '%s', not in the "
		       "store", vm);
		return -1;
	}
	snprintf(cause, n, "%s", line[0] ? line : pat);
	*panic = !strncmp(pat, "Kernel panic", 12);
	hv_log(HV_WARN, "vm '%s': console fault: %s", vm, cause);
	return 1;
}
