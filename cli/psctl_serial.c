/*
 * psctl_serial.c - serial-port allocation: the `serial allocate|free|
 * mappings` verbs, over ps_serial_allocate / ps_serial_free (pstate.h) on
 * the local store, or over OEM write ops 3/4 and read op 6 on a BMC
 * (--bmc, docs/ipmi-oem.md), so both follow the same allocation rule.
 *
 *   serial allocate VM COUNT [--mode free|observer|privacy]
 *                  [--first N --last M] [--hostnames a,b | --hostname-base B]
 *   serial free VM
 *   serial mappings [VM]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"
#include "psf_schema.h"

/* One mapping, as listed (the BMC's list gives the same). */
#define mapping psctl_bmc_serial

/* An allocation request, parsed before any transaction (a retry repeats
 * exactly the same edit). */
struct alloc {
	const char *vm;
	struct ps_serial_req req;
	const char *hostnames;    /* the list, or the base */
	int base;                 /* hostnames is a base name */
	struct ps_serial_map got[PS_SERIAL_ALLOC_MAX];
};

static const char *mode_name(unsigned m)
{
	const struct ps_enum *e;

	for (e = ps_enum_serial_mode; e->name; e++)
		if (e->value == m)
			return e->name;
	return "unknown";
}

static unsigned mode_value(const char *name)
{
	uint8_t v = 0;

	return ps_parse_enum(name, strlen(name), ps_enum_serial_mode, &v,
			     NULL) ? 0 : v;
}

/* ------------------------------------------------------------ output */

static void mapping_json(struct psctl_jw *w, const struct mapping *m)
{
	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "vm");
	psctl_jw_str(w, m->vm);
	psctl_jw_key(w, "port");
	psctl_jw_uint(w, m->port);
	psctl_jw_key(w, "concentrator");
	psctl_jw_uint(w, m->concentrator);
	psctl_jw_key(w, "mode");
	psctl_jw_str(w, mode_name(m->mode));
	psctl_jw_key(w, "hostname");
	psctl_jw_str_or_null(w, m->host);
	psctl_jw_end(w);
}

/* The mappings; JSON: a document of command cmd ("serial mappings",
 * "serial allocate") with the mappings as "items". */
static void print_mappings(struct psctl_ctx *c, const char *cmd,
			   const struct mapping *m, size_t n)
{
	struct psctl_jw w;
	size_t i;

	if (!c->json) {
		fprintf(c->out, "%-16s %-5s %-12s %-9s %s\n", "VM", "PORT",
			"CONCENTRATOR", "MODE", "HOSTNAME");
	} else {
		psctl_jw_doc(&w, c->out, cmd, 0);
		psctl_jw_key(&w, "items");
		psctl_jw_arr(&w, 0);
	}
	for (i = 0; i < n; i++) {
		if (c->json)
			mapping_json(&w, &m[i]);
		else
			fprintf(c->out, "%-16s %-5u %-12u %-9s %s\n", m[i].vm,
				m[i].port, m[i].concentrator,
				mode_name(m[i].mode),
				m[i].host[0] ? m[i].host : "-");
	}
	if (c->json)
		psctl_jw_doc_end(&w);
}

/* ------------------------------------------------------------ arguments */

static int parse_u16(struct psctl_ctx *c, const char *cmd, const char *opt,
		     const char *v, unsigned min, uint16_t *out)
{
	uint64_t x;
	const char *why = NULL;

	if (ps_parse_uint(v, strlen(v), min, 65535, &x, &why))
		return psctl_error(c, cmd, opt, v, PSCTL_EXIT_INVALID,
				   "must be %u-65535%s%s", min, why ? ": " : "",
				   why ? why : "");
	*out = (uint16_t)x;
	return 0;
}

static int hostnames_count(const char *s)
{
	int n = 1;

	for (; *s; s++)
		n += *s == ',';
	return n;
}

static int alloc_option(struct psctl_ctx *c, struct alloc *a, const char *o,
			const char *v)
{
	const char *cmd = "serial allocate", *why = NULL;

	if (!strcmp(o, "--mode")) {
		if (ps_parse_enum(v, strlen(v), ps_enum_serial_mode,
				  &a->req.mode, &why))
			return psctl_error(c, cmd, o, v, PSCTL_EXIT_INVALID,
					   "must be free, observer or "
					   "privacy");
		return 0;
	}
	if (!strcmp(o, "--first"))
		return parse_u16(c, cmd, o, v, 1, &a->req.conc_first);
	if (!strcmp(o, "--last"))
		return parse_u16(c, cmd, o, v, 1, &a->req.conc_last);
	if (!strcmp(o, "--hostnames") || !strcmp(o, "--hostname-base")) {
		if (a->hostnames)
			return psctl_error(c, cmd, o, v, PSCTL_EXIT_USAGE,
					   "give --hostnames or "
					   "--hostname-base, once");
		a->hostnames = v;
		a->base = o[10] == '-';
		return 0;
	}
	return psctl_error(c, cmd, NULL, o, PSCTL_EXIT_USAGE, "unknown "
			   "option (--mode, --first, --last, --hostnames, "
			   "--hostname-base)");
}

/* The request's concentrator range and host names, checked here so an
 * error names the option the user gave. */
static int alloc_check(struct psctl_ctx *c, struct alloc *a)
{
	const char *cmd = "serial allocate";

	if (a->req.conc_first && !a->req.conc_last)
		a->req.conc_last = 65535;
	if (a->req.conc_last && !a->req.conc_first)
		a->req.conc_first = 1;
	if (a->req.conc_first > a->req.conc_last)
		return psctl_error(c, cmd, "--first", NULL, PSCTL_EXIT_INVALID,
				   "%u is above --last %u", a->req.conc_first,
				   a->req.conc_last);
	if (!a->hostnames)
		return 0;
	if (a->base && a->req.count < 2)
		return psctl_error(c, cmd, "--hostname-base", a->hostnames,
				   PSCTL_EXIT_USAGE, "needs COUNT 2 or more "
				   "(one port: --hostnames NAME)");
	if (a->base && strchr(a->hostnames, ','))
		return psctl_error(c, cmd, "--hostname-base", a->hostnames,
				   PSCTL_EXIT_INVALID, "one name, no commas");
	if (!a->base && hostnames_count(a->hostnames) != a->req.count)
		return psctl_error(c, cmd, "--hostnames", a->hostnames,
				   PSCTL_EXIT_INVALID, "%d names for %u ports "
				   "(give one per port)",
				   hostnames_count(a->hostnames),
				   a->req.count);
	a->req.hostnames = a->hostnames;
	a->req.hostnames_len = strlen(a->hostnames);
	return 0;
}

static int alloc_parse(struct psctl_ctx *c, int argc, char **argv,
		       struct alloc *a)
{
	uint16_t count;
	int i, rc;

	memset(a, 0, sizeof *a);
	if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return psctl_error(c, "serial allocate", NULL, NULL,
				   PSCTL_EXIT_USAGE, "usage: serial allocate VM "
				   "COUNT [--mode M] [--first N --last M] "
				   "[--hostnames a,b | --hostname-base B]");
	a->vm = argv[1];
	rc = parse_u16(c, "serial allocate", "COUNT", argv[2], 1, &count);
	if (rc)
		return rc;
	if (count > PS_SERIAL_ALLOC_MAX)
		return psctl_error(c, "serial allocate", "COUNT", argv[2],
				   PSCTL_EXIT_INVALID, "at most %u ports at "
				   "once", PS_SERIAL_ALLOC_MAX);
	a->req.count = count;
	a->req.mode = PSF_SERIAL_MODE_FREE;
	for (i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			return psctl_error(c, "serial allocate", argv[i], NULL,
					   PSCTL_EXIT_USAGE, "needs a value");
		rc = alloc_option(c, a, argv[i], argv[i + 1]);
		if (rc)
			return rc;
	}
	return alloc_check(c, a);
}

/* The host name of the i-th new port (from the request). */
static void host_of(const struct alloc *a, unsigned i, unsigned port,
		    char *out, size_t n)
{
	const char *s = a->hostnames;
	unsigned k;

	*out = 0;
	if (!s)
		return;
	if (a->base) {
		snprintf(out, n, "%s-%u", s, port);
		return;
	}
	for (k = 0; k < i && s; k++) {
		s = strchr(s, ',');
		s = s ? s + 1 : NULL;
	}
	if (s)
		snprintf(out, n, "%.*s", (int)strcspn(s, ","), s);
}

static int print_allocated(struct psctl_ctx *c, const struct alloc *a)
{
	struct mapping m[PS_SERIAL_ALLOC_MAX];
	unsigned i;

	for (i = 0; i < a->req.count; i++) {
		snprintf(m[i].vm, sizeof m[i].vm, "%s", a->vm);
		m[i].port = a->got[i].port;
		m[i].concentrator = a->got[i].concentrator;
		m[i].mode = a->req.mode;
		host_of(a, i, m[i].port, m[i].host, sizeof m[i].host);
	}
	print_mappings(c, "serial allocate", m, a->req.count);
	return 0;
}

/* ------------------------------------------------------------ local */

/* An edit's failure from the configuration layer, reported. */
static int cfg_fail(struct psctl_ctx *c, const char *cmd, const char *vm,
		    int rc, const struct ps_cfg_err *e)
{
	psctl_error(c, cmd, e->field ? e->field : "vm", e->field ? NULL : vm,
		    rc, "%s%s%s; nothing written", e->why ? e->why
		    : ps_strerror(rc), e->holder[0] ? ": " : "", e->holder);
	return rc;
}

static int find_vm(struct psctl_ctx *c, const char *cmd, const void *buf,
		   const char *vm)
{
	int off = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vm, strlen(vm));

	if (off < 0)
		psctl_error(c, cmd, "vm", vm, off, "no such VM");
	return off;
}

static int alloc_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct alloc *a = arg;
	struct ps_cfg_err e = { 0 };
	int vm = find_vm(c, "serial allocate", buf, a->vm), rc;

	if (vm < 0)
		return vm;
	rc = ps_serial_allocate(buf, cap, vm, &a->req, a->got, &e);
	return rc < 0 ? cfg_fail(c, "serial allocate", a->vm, rc, &e) : 0;
}

static int free_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	const char *name = arg;
	struct ps_cfg_err e = { 0 };
	int vm = find_vm(c, "serial free", buf, name), rc;

	(void)cap;
	if (vm < 0)
		return vm;
	rc = ps_serial_free(buf, vm, &e);
	return rc < 0 ? cfg_fail(c, "serial free", name, rc, &e) : 0;
}

/* Every mapping of the store (of one VM when vm is set), malloc'd. */
static int local_mappings(struct psctl_ctx *c, const char *vm,
			  struct mapping **out, size_t *n)
{
	const struct ps_field *fp = ps_obj_field(PS_OBJ_SERIAL, "port", 4),
		*fc = ps_obj_field(PS_OBJ_SERIAL, "concentrator", 12),
		*fm = ps_obj_field(PS_OBJ_SERIAL, "mode", 4),
		*fh = ps_obj_field(PS_OBJ_SERIAL, "hostname", 8);
	const void *buf;
	uint32_t len;
	size_t cap = 16;
	int v, el, rc = psctl_need_store(c);
	char t[64];

	if (rc)
		return rc;
	buf = psctl_store_data(c, &len);
	if (vm && find_vm(c, "serial mappings", buf, vm) < 0)
		return PSCTL_EXIT_NOTFOUND;
	*n = 0;
	*out = malloc(cap * sizeof **out);
	for (v = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, -1);
	     v >= 0 && *out; v = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM,
					     v)) {
		char name[PS_CFG_NAME_MAX + 1];

		ps_obj_key(buf, v, PS_OBJ_VM, name, sizeof name);
		if (vm && strcmp(vm, name))
			continue;
		for (el = ps_obj_next(buf, v, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, v, PS_OBJ_SERIAL, el)) {
			struct mapping *m;

			if (*n == cap) {
				struct mapping *nm = realloc(*out, 2 * cap *
							     sizeof *nm);
				if (!nm)
					break;
				*out = nm;
				cap *= 2;
			}
			m = &(*out)[(*n)++];
			snprintf(m->vm, sizeof m->vm, "%s", name);
			ps_obj_get(buf, el, fp, t, sizeof t);
			m->port = (unsigned)strtoul(t, NULL, 0);
			ps_obj_get(buf, el, fc, t, sizeof t);
			m->concentrator = (unsigned)strtoul(t, NULL, 0);
			ps_obj_get(buf, el, fm, t, sizeof t);
			m->mode = mode_value(t);
			ps_obj_get(buf, el, fh, m->host, sizeof m->host);
		}
	}
	if (!*out)
		return psctl_error(c, "serial mappings", NULL, NULL,
				   PS_ERR_NOMEM, NULL);
	return 0;
}

/* ------------------------------------------------------------ the BMC */

static int bmc_allocate(struct psctl_ctx *c, struct alloc *a)
{
	struct psctl_bmc b;
	char err[700];
	int rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	if (c->dry_run) {
		fprintf(c->out, "would send to BMC %s:%u: serial allocate "
			"(OEM write op 3) for VM '%s' (dry run, nothing "
			"sent)\n", b.host, b.port, a->vm);
		return 0;
	}
	rc = psctl_bmc_serial_allocate(&b, a->vm, &a->req, a->got, err,
				       sizeof err);
	if (rc)
		return psctl_fail(c, "serial allocate", rc, err);
	return print_allocated(c, a);
}

static int bmc_free(struct psctl_ctx *c, const char *vm)
{
	struct psctl_bmc b;
	char err[700];
	unsigned n = 0;
	int rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	if (c->dry_run) {
		fprintf(c->out, "would send to BMC %s:%u: serial free (OEM "
			"write op 4) for VM '%s' (dry run, nothing sent)\n",
			b.host, b.port, vm);
		return 0;
	}
	rc = psctl_bmc_serial_free(&b, vm, &n, err, sizeof err);
	if (rc)
		return psctl_fail(c, "serial free", rc, err);
	fprintf(c->out, "freed %u serial port%s of VM '%s'\n", n,
		n == 1 ? "" : "s", vm);
	return 0;
}

static int bmc_mappings(struct psctl_ctx *c, const char *vm,
			struct mapping **m, size_t *n)
{
	struct psctl_bmc b;
	char err[700];
	int rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	rc = psctl_bmc_serial_list(&b, vm, m, n, err, sizeof err);
	return rc ? psctl_fail(c, "serial mappings", rc, err) : 0;
}

/* ------------------------------------------------------------ commands */

static int cmd_allocate(struct psctl_ctx *c, int argc, char **argv)
{
	struct alloc a;
	int rc = alloc_parse(c, argc, argv, &a);

	if (rc)
		return rc;
	if (c->bmc)
		return bmc_allocate(c, &a);
	rc = psctl_edit(c, alloc_edit, &a);
	if (rc || c->dry_run)
		return rc;
	return print_allocated(c, &a);
}

static int cmd_free(struct psctl_ctx *c, int argc, char **argv)
{
	struct mapping *m = NULL;
	size_t n = 0;
	int rc;

	if (argc != 2)
		return psctl_error(c, "serial free", NULL, NULL,
				   PSCTL_EXIT_USAGE, "usage: serial free VM");
	if (c->bmc)
		return bmc_free(c, argv[1]);
	/* Count first: the edit may run more than once. */
	rc = local_mappings(c, argv[1], &m, &n);
	free(m);
	if (!rc)
		rc = psctl_edit(c, free_edit, argv[1]);
	if (!rc && !c->dry_run)
		fprintf(c->out, "freed %zu serial port%s of VM '%s'\n", n,
			n == 1 ? "" : "s", argv[1]);
	return rc;
}

static int cmd_mappings(struct psctl_ctx *c, int argc, char **argv)
{
	struct mapping *m = NULL;
	size_t n = 0;
	int rc;

	if (argc > 2)
		return psctl_error(c, "serial mappings", NULL, argv[2],
				   PSCTL_EXIT_USAGE, "usage: serial mappings "
				   "[VM]");
	rc = c->bmc ? bmc_mappings(c, argc > 1 ? argv[1] : NULL, &m, &n)
		    : local_mappings(c, argc > 1 ? argv[1] : NULL, &m, &n);
	if (!rc)
		print_mappings(c, "serial mappings", m, n);
	free(m);
	return rc;
}

static const struct psctl_opt alloc_f[] = {
	{ "mode", "MODE", "the ports' mode", ps_enum_serial_mode },
	{ "first", "N", "lowest concentrator port to use", NULL },
	{ "last", "N", "highest concentrator port to use", NULL },
	{ "hostnames", "H,H,...", "one host name per port", NULL },
	{ "hostname-base", "B", "host names made from base name B", NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct psctl_cmd psctl_serial_cmds[] = {
	{ "serial", "allocate", cmd_allocate,
	  "VM COUNT [--mode M] [--first N --last M] [--hostnames a,b | "
	  "--hostname-base B]",
	  "give a VM COUNT serial ports on the lowest free concentrator "
	  "ports (all or none)", alloc_f, 0, 0 },
	{ "serial", "free", cmd_free, "VM",
	  "remove every serial port of a VM (their concentrator ports become "
	  "free)", NULL, 0, 0 },
	{ "serial", "mappings", cmd_mappings, "[VM]",
	  "serial ports and the concentrator ports they map to", NULL, 0, 0 },
	{ 0 }
};
