/*
 * hv_conf.c - the configuration file: "key = value" lines, '#' comments.
 * docs/hvagent.md and hvagent/hvagent.conf list the keys.
 */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"

void hv_config_defaults(struct hv_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->uri, sizeof c->uri, "qemu:///system");
	snprintf(c->run_dir, sizeof c->run_dir, "/run/hvagent/serial");
	snprintf(c->log_dir, sizeof c->log_dir, "/var/log/hvagent");
	snprintf(c->domain_type, sizeof c->domain_type, "auto");
	c->interval_s = 10;
	c->log_level = HV_INFO;
	c->adopt = HV_ADOPT_MARKED;
	c->con.ports = 1;
	snprintf(c->con.bmc_user, sizeof c->con.bmc_user, "admin");
	snprintf(c->con.endpoints, sizeof c->con.endpoints, "/run/pscon");
	c->con.fault_restart = 1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int set_str(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return -1;
	snprintf(dst, n, "%s", v);
	return 0;
}

/* v one of words (NULL-terminated): *dst its index, 0; else -1 and *dst
 * unchanged. */
static int set_word(int *dst, const char *v, const char *const *words)
{
	int i;

	for (i = 0; words[i]; i++)
		if (!strcmp(v, words[i])) {
			*dst = i;
			return 0;
		}
	return -1;
}

/* Whole number in [lo, hi]; 0 or -1. */
static int set_uint(unsigned *dst, const char *v, unsigned long lo,
		    unsigned long hi)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || end == v || n < lo || n > hi)
		return -1;
	*dst = (unsigned)n;
	return 0;
}

/* The console keys (hv_console.c); 1 when k is none of them. */
static int set_console_key(struct hv_config *c, const char *k, const char *v,
			   const char **why)
{
	static const struct { const char *k; size_t off, n; } str[] = {
#define S(key, f) { key, offsetof(struct hv_config, f), \
		    sizeof ((struct hv_config *)0)->f }
		S("console_bmc", con.bmc),
		S("console_bmc_user", con.bmc_user),
		S("console_bmc_password_file", con.bmc_password_file),
		S("console_endpoints", con.endpoints),
		S("console_socket", con.socket),
		S("console_events", con.events),
#undef S
	};
	size_t i;

	for (i = 0; i < sizeof str / sizeof str[0]; i++)
		if (!strcmp(k, str[i].k))
			return set_str((char *)c + str[i].off, str[i].n, v);
	if (!strcmp(k, "console")) {
		static const char *const w[] = { "off", "local", "bmc", NULL };

		*why = "console: off, local or bmc";   /* enum hv_con_mode */
		return set_word(&c->con.mode, v, w);
	}
	if (!strcmp(k, "console_fault_action")) {
		static const char *const w[] = { "log", "restart", NULL };

		*why = "console_fault_action: log or restart";
		return set_word(&c->con.fault_restart, v, w);
	}
	*why = "console_ports: 1-16";
	if (!strcmp(k, "console_ports"))
		return set_uint(&c->con.ports, v, 1, PS_SERIAL_ALLOC_MAX);
	*why = "console_first/console_last: 1-65535";
	if (!strcmp(k, "console_first"))
		return set_uint(&c->con.first, v, 1, 65535);
	if (!strcmp(k, "console_last"))
		return set_uint(&c->con.last, v, 1, 65535);
	return 1;
}

/* One key; 0, or -1 with *why. */
static int set_key(struct hv_config *c, const char *k, const char *v,
		   const char **why)
{
	*why = "value too long";
	if (!strcmp(k, "uri"))
		return set_str(c->uri, sizeof c->uri, v);
	if (!strcmp(k, "image"))
		return set_str(c->image, sizeof c->image, v);
	if (!strcmp(k, "device"))
		return set_str(c->device, sizeof c->device, v);
	if (!strcmp(k, "migration_peers"))
		return set_str(c->peers, sizeof c->peers, v);
	if (!strcmp(k, "alert_ipmitool"))
		return set_str(c->alert_ipmitool, sizeof c->alert_ipmitool, v);
	if (!strcmp(k, "serial_run_dir"))
		return set_str(c->run_dir, sizeof c->run_dir, v);
	if (!strcmp(k, "serial_log_dir"))
		return set_str(c->log_dir, sizeof c->log_dir, v);
	if (!strcmp(k, "domain_type")) {
		static const char *const w[] = { "auto", "kvm", "qemu", NULL };
		int i;

		*why = "domain_type: auto, kvm or qemu";
		if (set_word(&i, v, w))
			return -1;
		return set_str(c->domain_type, sizeof c->domain_type, v);
	}
	if (!strcmp(k, "libvirt_delete")) {
		static const char *const w[] = { "keep", "follow", NULL };

		*why = "libvirt_delete: keep or follow";   /* enum hv_lv_delete */
		return set_word(&c->lv_delete, v, w);
	}
	if (!strcmp(k, "interval")) {
		*why = "interval: whole seconds, 1-86400";
		return set_uint(&c->interval_s, v, 1, 86400);
	}
	if (!strcmp(k, "log_level")) {
		*why = "log_level: err, warn, info or debug";
		c->log_level = hv_log_parse_level(v);
		return c->log_level < 0 ? -1 : 0;
	}
	if (!strcmp(k, "adopt")) {
		static const char *const w[] = { "none", "marked", "all", NULL };

		*why = "adopt: none, marked or all";   /* enum hv_adopt */
		return set_word(&c->adopt, v, w);
	}
	if (!strcmp(k, "crash_events")) {
		/* Real crashes always count; "destroyed" adds the operator's
		 * destroy, for tests on drivers that cannot crash a guest. */
		static const char *const w[] = {
			"crashed,failed", "crashed,failed,destroyed", NULL };
		int x = 0, rc;

		*why = "crash_events: crashed,failed or crashed,failed,destroyed";
		rc = set_word(&x, v, w);
		if (!rc)
			c->crash_extra = x ? HV_CRASH_DESTROYED : 0;
		return rc;
	}
	if (!strncmp(k, "console", 7)) {
		int rc = set_console_key(c, k, v, why);

		if (rc <= 0)
			return rc;
	}
	*why = "unknown key";
	return -1;
}

int hv_config_load(struct hv_config *c, const char *path, int optional,
		   char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1200];
	unsigned lineno = 0;

	if (!f) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *s, *eq, *hash;
		const char *why;

		lineno++;
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'",
				 path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		if (set_key(c, trim(s), trim(eq + 1), &why)) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno,
				 trim(s), why);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	snprintf(c->path, sizeof c->path, "%s", path);
	return 0;
}
