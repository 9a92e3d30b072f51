/*
 * ps_discover.c - USB mass-storage discovery in port-priority order.
 * See ps_discover.h and docs/discovery.md.
 */
#include "ps_internal.h"
#include "ps_dl_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYS_USB		       "/sys/bus/usb/devices"
#define CONF_MAX	       64
#define USB_CLASS_MASS_STORAGE 0x08

const char *ps_disc_status_name(enum ps_disc_status s)
{
	static const char *const n[] = {
		"chosen",   "valid",   "not-probed", "no-block", "gone",
		"no-table", "no-part", "bad-part",   "invalid",
	};
	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

const char *ps_port_kind_name(enum ps_port_kind k)
{
	return k == PS_PORT_EXTERNAL   ? "external"
	       : k == PS_PORT_INTERNAL ? "internal"
				       : "unknown";
}

/* ------------------------------------------------------ port-priority file */

struct port_conf {
	char port[CONF_MAX][32];
	int n;
	char path[256]; /* "" when no file was read */
};

/* "B-P[.P...]": the kernel's sysfs name of a USB device. */
static int valid_port_path(const char *s)
{
	const char *p = s;
	int seen_dash = 0, digits = 0;

	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			digits++;
			continue;
		}
		if (!digits || (*p == '-' && seen_dash) ||
		    (*p == '.' && !seen_dash) || (*p != '-' && *p != '.'))
			return 0;
		seen_dash |= *p == '-';
		digits = 0;
	}
	return seen_dash && digits && strlen(s) < 32;
}

/* One line: blank, comment, or a single port path (comment may follow). */
static int conf_line(struct port_conf *pc, char *line, int lineno, char *err,
		     size_t errlen)
{
	char *hash = strchr(line, '#'), *tok, *save = NULL;

	if (hash)
		*hash = '\0';
	tok = strtok_r(line, " \t\r\n", &save);
	if (!tok)
		return 0;
	if (!valid_port_path(tok) || strtok_r(NULL, " \t\r\n", &save))
		return fail(err, errlen, PS_DISC_ECONF,
			    "%s:%d: expected one USB "
			    "port path like 1-2 or 2-1.4, got \"%s\"",
			    pc->path, lineno, tok);
	if (pc->n == CONF_MAX)
		return fail(err, errlen, PS_DISC_ECONF,
			    "%s:%d: more than %d ports", pc->path, lineno,
			    CONF_MAX);
	snprintf(pc->port[pc->n++], sizeof pc->port[0], "%s", tok);
	return 0;
}

/* A missing file is normal (no override); an unreadable or malformed one
 * is an error: a wrong priority could pick the wrong key. */
static int conf_load(const struct ps_disc_opts *o, struct port_conf *pc,
		     char *err, size_t errlen)
{
	const char *path =
		o->ports_conf ? o->ports_conf : getenv(PS_PORTS_CONF_ENV);
	char line[256];
	int lineno = 0, rc = 0;
	FILE *f;

	memset(pc, 0, sizeof *pc);
	path = (path && *path) ? path : PS_PORTS_CONF;
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0
				       : fail(err, errlen, PS_DISC_ECONF,
					      "%s: %s", path, strerror(errno));
	snprintf(pc->path, sizeof pc->path, "%s", path);
	while (rc == 0 && fgets(line, sizeof line, f))
		rc = conf_line(pc, line, ++lineno, err, errlen);
	fclose(f);
	return rc;
}

static int conf_rank(const struct port_conf *pc, const char *port)
{
	for (int i = 0; i < pc->n; i++)
		if (strcmp(pc->port[i], port) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------- sysfs */

static int read_attr(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return 0;
}

static enum ps_port_kind kind_of(const char *s)
{
	if (strcmp(s, "hotplug") == 0)
		return PS_PORT_EXTERNAL;
	if (strcmp(s, "hardwired") == 0)
		return PS_PORT_INTERNAL;
	return PS_PORT_UNKNOWN;
}

/* The device's own port first; when the kernel does not know it (a hub
 * with no firmware description), the hub's upstream port decides, and so
 * on towards the root: a key in an external hub on a rear socket is
 * external. */
static enum ps_port_kind port_kind(const char *port_path)
{
	char pp[32], path[128], val[32];
	char *dot;

	snprintf(pp, sizeof pp, "%s", port_path);
	for (;;) {
		snprintf(path, sizeof path, SYS_USB "/%s/port/connect_type",
			 pp);
		if (read_attr(path, val, sizeof val) == 0 &&
		    kind_of(val) != PS_PORT_UNKNOWN)
			return kind_of(val);
		dot = strrchr(pp, '.');
		if (!dot)
			return PS_PORT_UNKNOWN;
		*dot = '\0';
	}
}

static void add_cand(struct ps_disc_result *res, const struct ps_disc_cand *t,
		     const char *blk)
{
	struct ps_disc_cand *c;

	if (res->n == PS_DISC_MAX) {
		res->truncated = 1;
		return;
	}
	c = &res->cand[res->n++];
	*c = *t;
	if (blk)
		snprintf(c->dev, sizeof c->dev, "/dev/%.58s", blk);
}

/* Levels below an interface: host6 / target6:0:0 / 6:0:0:0 / block / sdb.
 * Depth is fixed (5), so the recursion is bounded. */
static int level_match(int level, const char *name)
{
	switch (level) {
	case 0:
		return strncmp(name, "host", 4) == 0;
	case 1:
		return strncmp(name, "target", 6) == 0;
	case 2:
		return isdigit((unsigned char)name[0]) && strchr(name, ':');
	case 3:
		return strcmp(name, "block") == 0;
	default:
		return 1;
	}
}

static int walk_blocks(const char *dir, int level, struct ps_disc_result *res,
		       const struct ps_disc_cand *t)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char sub[512];
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !level_match(level, e->d_name))
			continue;
		if (level == 4) {
			add_cand(res, t, e->d_name);
			found++;
			continue;
		}
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		found += walk_blocks(sub, level + 1, res, t);
	}
	closedir(d);
	return found;
}

/* ----------------------------------------------------------------- libusb */

/* Which interfaces of the active configuration are mass storage: adds one
 * candidate per block device found under them. */
static int blocks_of(libusb_device *dev, const struct ps_disc_cand *t,
		     struct ps_disc_result *res)
{
	struct libusb_config_descriptor *cfg = NULL;
	char dir[256];
	int found = 0, ms = 0;

	if (PS_DL(libusb_get_active_config_descriptor)(dev, &cfg) != 0 &&
	    PS_DL(libusb_get_config_descriptor)(dev, 0, &cfg) != 0)
		return -1;
	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *alt =
			&cfg->interface[i].altsetting[0];
		if (cfg->interface[i].num_altsetting < 1 ||
		    alt->bInterfaceClass != USB_CLASS_MASS_STORAGE)
			continue;
		ms = 1;
		snprintf(dir, sizeof dir, SYS_USB "/%s/%s:%d.%d", t->port_path,
			 t->port_path, cfg->bConfigurationValue,
			 alt->bInterfaceNumber);
		found += walk_blocks(dir, 0, res, t);
	}
	PS_DL(libusb_free_config_descriptor)(cfg);
	return ms ? found : -1;
}

static void fill_template(libusb_device *dev, const struct port_conf *pc,
			  struct ps_disc_cand *t)
{
	struct libusb_device_descriptor dd;
	int n, len;

	memset(t, 0, sizeof *t);
	t->bus = PS_DL(libusb_get_bus_number)(dev);
	n = PS_DL(libusb_get_port_numbers)(dev, t->ports, PS_DISC_MAX_PORTS);
	t->nports = n > 0 ? n : 0;
	len = snprintf(t->port_path, sizeof t->port_path, "%u", t->bus);
	for (int i = 0; i < t->nports; i++)
		len += snprintf(t->port_path + len,
				sizeof t->port_path - (size_t)len, "%c%u",
				i ? '.' : '-', t->ports[i]);
	if (PS_DL(libusb_get_device_descriptor)(dev, &dd) == 0) {
		t->vid = dd.idVendor;
		t->pid = dd.idProduct;
	}
	t->kind = port_kind(t->port_path);
	t->conf_rank = conf_rank(pc, t->port_path);
	t->status = PS_DISC_NOT_PROBED;
}

static void one_device(libusb_device *dev, const struct port_conf *pc,
		       struct ps_disc_result *res)
{
	struct ps_disc_cand t;
	int found;

	fill_template(dev, pc, &t);
	if (t.nports == 0) /* root hub */
		return;
	found = blocks_of(dev, &t, res);
	if (found != 0) /* not mass storage (-1), or added */
		return;
	t.status = PS_DISC_NO_BLOCK;
	snprintf(t.reason, sizeof t.reason,
		 "mass storage without a block "
		 "device under " SYS_USB "/%s (no medium, driver not bound, or "
		 "unplugged)",
		 t.port_path);
	add_cand(res, &t, NULL);
}

/* Priority: ports.conf order, then external < unknown < internal, then
 * bus and port numbers compared numerically (1-2 before 1-10). */
static int cand_cmp(const void *a, const void *b)
{
	const struct ps_disc_cand *x = a, *y = b;
	unsigned rx = x->conf_rank < 0 ? CONF_MAX : (unsigned)x->conf_rank;
	unsigned ry = y->conf_rank < 0 ? CONF_MAX : (unsigned)y->conf_rank;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	for (int i = 0; i < x->nports && i < y->nports; i++)
		if (x->ports[i] != y->ports[i])
			return x->ports[i] < y->ports[i] ? -1 : 1;
	if (x->nports != y->nports)
		return x->nports < y->nports ? -1 : 1;
	return strcmp(x->dev, y->dev); /* LUNs of one card reader */
}

int ps_disc_enumerate(const struct ps_disc_opts *opts,
		      struct ps_disc_result *res, char *err, size_t errlen)
{
	static const struct ps_disc_opts none;
	struct port_conf pc;
	libusb_context *ctx = NULL;
	libusb_device **list = NULL;
	char why[300];
	ssize_t n;
	int rc;

	opts = opts ? opts : &none;
	memset(res, 0, sizeof *res);
	res->chosen = -1;
	rc = conf_load(opts, &pc, err, errlen);
	if (rc != 0)
		return rc;
	if (ps_dl_usb(why, sizeof why))
		return fail(err, errlen, PS_DISC_EUSB, "%s", why);
	rc = PS_DL(libusb_init)(&ctx);
	if (rc != 0)
		return fail(err, errlen, PS_DISC_EUSB, "libusb_init: %s",
			    PS_DL(libusb_strerror)(rc));
	n = PS_DL(libusb_get_device_list)(ctx, &list);
	if (n < 0) {
		PS_DL(libusb_exit)(ctx);
		return fail(err, errlen, PS_DISC_EUSB,
			    "libusb_get_device_list: %s",
			    PS_DL(libusb_strerror)((int)n));
	}
	for (ssize_t i = 0; i < n; i++)
		one_device(list[i], &pc, res);
	PS_DL(libusb_free_device_list)(list, 1);
	PS_DL(libusb_exit)(ctx);
	qsort(res->cand, (size_t)res->n, sizeof res->cand[0], cand_cmp);
	return 0;
}

/* ------------------------------------------------------------------ probe */

static enum ps_disc_status status_of(int part_rc)
{
	switch (part_rc) {
	case PS_PART_ENODEV:
		return PS_DISC_GONE;
	case PS_PART_ENOTABLE:
		return PS_DISC_NO_TABLE;
	case PS_PART_ENOTFOUND:
		return PS_DISC_NO_PART;
	default:
		return PS_DISC_BAD_PART;
	}
}

/* Partition, then the store layer's verdict. */
static void probe_one(const struct ps_disc_opts *o, struct ps_disc_cand *c,
		      int have_chosen)
{
	char why[200] = "", dev[sizeof c->dev];
	int rc = ps_part_find(c->dev, &c->part, why, sizeof why);

	/* A copy: c->dev and c->reason are one object for snprintf. */
	memcpy(dev, c->dev, sizeof dev);

	if (rc != 0) {
		c->status = status_of(rc);
		c->code = rc;
		snprintf(c->reason, sizeof c->reason, "skipped: %s", why);
		return;
	}
	rc = o->check ? o->check(o->check_ctx, c->dev, c->part.offset,
				 c->part.length, why, sizeof why)
		      : 0;
	if (rc < 0) {
		c->status = PS_DISC_INVALID;
		c->code = rc;
		snprintf(c->reason, sizeof c->reason,
			 "skipped: %s: %s partition #%d "
			 "at byte %llu: store invalid: %s",
			 dev, ps_part_label_name(c->part.label),
			 c->part.partno, (unsigned long long)c->part.offset,
			 why[0] ? why : "?");
		return;
	}
	c->status = have_chosen ? PS_DISC_VALID : PS_DISC_CHOSEN;
	snprintf(c->reason, sizeof c->reason,
		 "%s: %s partition #%d at byte "
		 "%llu, %llu bytes, valid store",
		 have_chosen ? "valid, but a higher-priority key was chosen"
			     : "chosen",
		 ps_part_label_name(c->part.label), c->part.partno,
		 (unsigned long long)c->part.offset,
		 (unsigned long long)c->part.length);
}

/* Copies first: the winner and c live in the same array. */
static void not_probed(struct ps_disc_cand *c, const struct ps_disc_cand *win)
{
	char dev[sizeof win->dev], port[sizeof win->port_path];

	memcpy(dev, win->dev, sizeof dev);
	memcpy(port, win->port_path, sizeof port);
	c->status = PS_DISC_NOT_PROBED;
	snprintf(c->reason, sizeof c->reason,
		 "not probed: %s on port %s comes "
		 "first",
		 dev, port);
}

int ps_disc_probe(const struct ps_disc_opts *opts, struct ps_disc_result *res,
		  char *err, size_t errlen)
{
	static const struct ps_disc_opts none;

	opts = opts ? opts : &none;
	res->chosen = -1;
	for (int i = 0; i < res->n; i++) {
		struct ps_disc_cand *c = &res->cand[i];
		if (c->status == PS_DISC_NO_BLOCK)
			continue;
		if (res->chosen >= 0 && !opts->scan_all) {
			not_probed(c, &res->cand[res->chosen]);
			continue;
		}
		probe_one(opts, c, res->chosen >= 0);
		if (c->status == PS_DISC_CHOSEN)
			res->chosen = i;
	}
	if (res->chosen < 0)
		return fail(err, errlen, PS_DISC_ENONE,
			    "no USB key holds a valid "
			    "pstate store (%d candidate(s) scanned)",
			    res->n);
	return 0;
}

int ps_disc_scan(const struct ps_disc_opts *opts, struct ps_disc_result *res,
		 char *err, size_t errlen)
{
	int rc = ps_disc_enumerate(opts, res, err, errlen);
	return rc ? rc : ps_disc_probe(opts, res, err, errlen);
}

int ps_disc_format(const struct ps_disc_cand *c, char *buf, size_t len)
{
	char prio[24];

	if (c->conf_rank >= 0)
		snprintf(prio, sizeof prio, "conf#%d", c->conf_rank + 1);
	else
		snprintf(prio, sizeof prio, "%s", ps_port_kind_name(c->kind));
	return snprintf(buf, len, "%-10s %-9s %04x:%04x %-9s %-10s %s",
			c->port_path, prio, c->vid, c->pid,
			c->dev[0] ? c->dev : "-",
			ps_disc_status_name(c->status), c->reason);
}
