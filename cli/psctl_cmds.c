/*
 * psctl_cmds.c - psctl's object commands (vm, nic, storage, serial, net,
 * image, reserve, profile, server): thin front ends over the configuration edits
 * in libpstate (pstate.h section 10), which parse every value and make
 * every cross-element check.  This file only splits arguments, runs one
 * transaction per command (psctl_edit), supplies randomness for generated
 * UUIDs and MACs, and prints (tables, or JSON with --json).
 *
 *   NOUN list   [VM]                 (nic, storage: VM required)
 *   NOUN show   NAME                 (vm, net, image, reserve)
 *   NOUN create NAME [--FIELD VALUE]...
 *   NOUN delete NAME
 *   NOUN set    NAME --FIELD VALUE...
 *   nic|storage add|set VM NAME [--FIELD VALUE]...;  delete VM NAME
 *   serial map VM PORT [--concentrator N --hostname H --mode M]
 *   serial unmap VM PORT
 *   (profile show/assign/unassign/move/failover: psctl_move.c)
 *
 * --FIELD=VALUE works too.  VMs get a random UUID on create unless
 * --uuid is given; NICs a random locally administered MAC unless --mac.
 * A server needs --target; an image: or dev: path in it is made absolute
 * here (the library, shared with firmware, has no working directory).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"
#include "psf_schema.h"

#define MAX_FIELDS 32
#define MAC_TRIES 8

enum verb { V_CREATE, V_DELETE, V_SET };

/* One edit, parsed from the command line before the transaction, so a
 * retry after a conflict repeats exactly the same edit. */
struct op {
	const char *cmd;             /* "vm create", for messages          */
	enum ps_obj k;
	enum verb verb;
	int upsert;                  /* serial map: create or update       */
	const char *vm;              /* parent VM name, for sub objects    */
	const char *key;
	int nf;
	const char *fname[MAX_FIELDS];
	const char *fval[MAX_FIELDS];
	int gen;                     /* generate a UUID (vm) / MAC (nic)   */
	uint8_t rnd[16 * MAC_TRIES];
	char target[PATH_MAX + 8];   /* server: --target made absolute     */
	char made[48];               /* a new VM's UUID / NIC's MAC        */
};

/* ------------------------------------------------------------ helpers */

static int rand_bytes(struct psctl_ctx *c, const char *cmd, void *p,
		      size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, p, n);

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)n)
		return psctl_error(c, cmd, NULL, "/dev/urandom", PS_ERR_IO,
				   "cannot read random bytes: %s",
				   strerror(errno));
	return 0;
}

static int has_field(const struct op *o, const char *name)
{
	int i;

	for (i = 0; i < o->nf; i++)
		if (!strcmp(o->fname[i], name))
			return 1;
	return 0;
}

/* Report a library error with its field, value, reason and holder. */
static int cfg_error(struct psctl_ctx *c, const struct op *o, int rc,
		     const struct ps_cfg_err *e, const char *field,
		     const char *value)
{
	const char *why = e->why ? e->why : ps_strerror(rc);
	const char *f = e->field ? e->field : field;
	const struct ps_field *fd = f ? ps_obj_field(o->k, f, strlen(f)) : NULL;
	char who[256];

	/* Both holders: the object being edited and the one that has it. */
	snprintf(who, sizeof who, "%s '%s'%s%s%s", ps_obj_name(o->k), o->key,
		 o->vm ? " of vm '" : "", o->vm ? o->vm : "", o->vm ? "'" : "");
	if (rc == PS_ERR_DUPLICATE && e->holder[0])
		return psctl_error(c, o->cmd, f, value, rc,
				   "%s cannot use it: %s by %s", who, why,
				   e->holder);
	if (rc == PS_ERR_INUSE && e->holder[0])
		return psctl_error(c, o->cmd, NULL, NULL, rc, "%s %s by %s",
				   who, why, e->holder);
	if (rc == PS_ERR_BADREF)
		return psctl_error(c, o->cmd, f, value, rc, "no such %s",
				   f && !strcmp(f, "network") ? "network"
				   : f && strstr(f, "image") ? "image"
				   : f && !strcmp(f, "profile") ? "profile"
				   : "vm");
	ps_field_why(fd, why, who, sizeof who);
	return psctl_error(c, o->cmd, f, value, rc, "%s", who);
}

static int not_found(struct psctl_ctx *c, const char *cmd, enum ps_obj k,
		     const char *key)
{
	return psctl_error(c, cmd, k == PS_OBJ_SERIAL ? "port" : "name", key,
			   PSF_ERR_NOTFOUND, "no such %s", ps_obj_name(k));
}

/* The parent of kind k's objects: the root, or the named VM. */
static int parent_of(struct psctl_ctx *c, const void *buf, const char *cmd,
		     enum ps_obj k, const char *vm)
{
	int el;

	if (k != PS_OBJ_NIC && k != PS_OBJ_CONTROLLER && k != PS_OBJ_SERIAL)
		return psf_root(buf);
	el = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, vm, strlen(vm));
	if (el < 0) {
		psctl_error(c, cmd, "vm", vm, PSF_ERR_NOTFOUND, "no such vm");
		return PSF_ERR_NOTFOUND;
	}
	return el;
}

/* ------------------------------------------------------------ edits */

static int set_fields(struct psctl_ctx *c, void *buf, size_t cap, int el,
		      const struct op *o)
{
	struct ps_cfg_err e;
	int i, rc;

	for (i = 0; i < o->nf; i++) {
		rc = ps_obj_set(buf, cap, el, o->k, o->fname[i],
				strlen(o->fname[i]), o->fval[i],
				strlen(o->fval[i]), &e);
		if (rc) {
			cfg_error(c, o, rc, &e, o->fname[i], o->fval[i]);
			return rc;
		}
	}
	return 0;
}

/* A random UUID or MAC, retried while it collides (it never should). */
static int generate(struct psctl_ctx *c, void *buf, size_t cap, int el,
		    const struct op *o)
{
	const struct ps_field *f = ps_obj_field(o->k, o->k == PS_OBJ_VM
						? "uuid" : "mac", o->k ==
						PS_OBJ_VM ? 4 : 3);
	struct ps_value v;
	struct ps_cfg_err e;
	int i, rc = 0;

	for (i = 0; i < MAC_TRIES; i++) {
		memset(&v, 0, sizeof v);
		if (o->k == PS_OBJ_VM) {
			ps_gen_uuid(o->rnd + 16 * i, v.b);
			v.len = 16;
		} else {
			ps_gen_mac(o->rnd + 16 * i, v.b);
			v.len = 6;
		}
		rc = ps_obj_set_value(buf, cap, el, o->k, f, &v, &e);
		if (rc != PS_ERR_DUPLICATE)
			break;
	}
	if (rc)
		cfg_error(c, o, rc, &e, f->name, "(generated)");
	return rc;
}

static int edit_op(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct op *o = arg;
	struct ps_cfg_err e;
	int parent = parent_of(c, buf, o->cmd, o->k, o->vm), el, rc;

	if (parent < 0)
		return parent;
	el = ps_obj_find(buf, parent, o->k, o->key, strlen(o->key));
	if (o->verb == V_CREATE && !(o->upsert && el >= 0)) {
		el = ps_obj_create(buf, cap, parent, o->k, o->key,
				   strlen(o->key), &e);
		if (el < 0)
			return cfg_error(c, o, el, &e, NULL, o->key), el;
		if (o->gen) {
			rc = generate(c, buf, cap, el, o);
			if (rc)
				return rc;
		}
	} else if (el < 0) {
		not_found(c, o->cmd, o->k, o->key);
		return el;
	}
	if (o->verb == V_DELETE) {
		rc = ps_obj_delete(buf, el, o->k, &e);
		if (rc)
			cfg_error(c, o, rc, &e, NULL, o->key);
		return rc;
	}
	rc = set_fields(c, buf, cap, el, o);
	/* What the confirmation names: given or generated. */
	if (!rc && o->verb == V_CREATE &&
	    (o->k == PS_OBJ_VM || o->k == PS_OBJ_NIC))
		ps_obj_get(buf, el, ps_obj_field(o->k, o->k == PS_OBJ_VM
						 ? "uuid" : "mac", o->k ==
						 PS_OBJ_VM ? 4 : 3),
			   o->made, sizeof o->made);
	return rc;
}

/* ------------------------------------------------------------ parsing */

static int is_sub(enum ps_obj k)
{
	return k == PS_OBJ_NIC || k == PS_OBJ_CONTROLLER || k == PS_OBJ_SERIAL;
}

/* --FIELD VALUE or --FIELD=VALUE; storage also takes --cdrom / --disk. */
static int parse_opts(struct psctl_ctx *c, struct op *o, int argc,
		      char **argv, int i)
{
	for (; i < argc; i++) {
		char *a = argv[i], *eq;

		if (strncmp(a, "--", 2) || !a[2])
			return psctl_error(c, o->cmd, NULL, a,
					   PSCTL_EXIT_USAGE,
					   "unexpected argument");
		if (o->nf == MAX_FIELDS)
			return psctl_error(c, o->cmd, NULL, a,
					   PSCTL_EXIT_USAGE, "too many fields");
		a += 2;
		if (o->k == PS_OBJ_CONTROLLER &&
		    (!strcmp(a, "cdrom") || !strcmp(a, "disk"))) {
			o->fname[o->nf] = "media";
			o->fval[o->nf++] = a;
			continue;
		}
		eq = strchr(a, '=');
		if (eq) {
			*eq = 0;
			o->fval[o->nf] = eq + 1;
		} else if (i + 1 < argc) {
			o->fval[o->nf] = argv[++i];
		} else {
			return psctl_error(c, o->cmd, a, NULL, PSCTL_EXIT_USAGE,
					   "needs a value");
		}
		if (!ps_obj_field(o->k, a, strlen(a)))
			return psctl_error(c, o->cmd, a, NULL, PS_ERR_NOFIELD,
					   "no such field for %s",
					   ps_obj_name(o->k));
		o->fname[o->nf++] = a;
	}
	return 0;
}

/* Positional arguments ([VM] KEY), then options. */
static int parse_op(struct psctl_ctx *c, struct op *o, const char *cmd,
		    enum ps_obj k, enum verb verb, int argc, char **argv)
{
	int need = is_sub(k) ? 2 : 1, i = 1;

	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	o->k = k;
	o->verb = verb;
	if (argc - 1 < need || argv[1][0] == '-' ||
	    (need == 2 && argv[2][0] == '-'))
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s %s%s%s", cmd,
				   need == 2 ? "VM " : "",
				   k == PS_OBJ_SERIAL ? "PORT" : "NAME",
				   verb == V_DELETE ? ""
				   : " [--FIELD VALUE]...");
	if (need == 2)
		o->vm = argv[i++];
	o->key = argv[i++];
	if (verb == V_DELETE && i < argc)
		return psctl_error(c, cmd, NULL, argv[i], PSCTL_EXIT_USAGE,
				   "unexpected argument");
	i = parse_opts(c, o, argc, argv, i);
	if (i)
		return i;
	if (verb == V_SET && !o->nf)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "nothing to set (give --FIELD VALUE)");
	return 0;
}

/* A server's target in one spelling, as profile moves spell targets:
 * an image:/dev: path absolute, symbolic links resolved when it exists;
 * bmc:// in ps_target_norm's form. */
static int abs_target(struct psctl_ctx *c, struct op *o)
{
	char path[PATH_MAX];
	const char *v, *p;
	int i, n;

	for (i = 0; i < o->nf; i++) {
		if (strcmp(o->fname[i], "target"))
			continue;
		v = o->fval[i];
		n = !strncmp(v, "image:", 6) ? 6 : !strncmp(v, "dev:", 4) ? 4
									: 0;
		p = v + n;
		if (!n && !strchr(v, '#') &&
		    ps_target_norm(v, strlen(v), o->target, sizeof o->target,
				   NULL) > 0)
			o->fval[i] = o->target;
		if (!n || !*p || strchr(p, '#'))
			continue;  /* the library says what is wrong */
		if (!psctl_abs_path(p, path, sizeof path))
			p = path;
		if ((size_t)snprintf(o->target, sizeof o->target, "%.*s%s", n,
				     v, p) >= sizeof o->target)
			return psctl_error(c, o->cmd, "target", v,
					   PS_ERR_BADVALUE, "path too long");
		o->fval[i] = o->target;
	}
	return 0;
}

/* The one-line confirmation of an edit that was written:
 *   vm 'web01' created, uuid ...      nic 'eth0' added to vm 'web01', mac ...
 *   net 'lan' updated                 storage 'd0' of vm 'web01' deleted
 *   serial port 0 of vm 'web01' mapped / unmapped */
static void confirm(struct psctl_ctx *c, const struct op *o)
{
	static const char *const done[] = { [V_CREATE] = "created",
					    [V_DELETE] = "deleted",
					    [V_SET] = "updated" };
	const char *what = o->k == PS_OBJ_CONTROLLER ? "storage"
			   : o->k == PS_OBJ_SERIAL ? "serial port"
						   : ps_obj_name(o->k);
	const char *verb = done[o->verb];
	char who[200];

	if (o->k == PS_OBJ_SERIAL && o->verb != V_SET)
		verb = o->verb == V_CREATE ? "mapped" : "unmapped";
	else if (o->vm && o->verb == V_CREATE)
		verb = "added";
	if (o->k == PS_OBJ_SERIAL)
		snprintf(who, sizeof who, "%s %s of vm '%s'", what, o->key,
			 o->vm);
	else if (o->vm && o->verb == V_SET)
		snprintf(who, sizeof who, "%s '%s' of vm '%s'", what, o->key,
			 o->vm);
	else
		snprintf(who, sizeof who, "%s '%s'", what, o->key);
	if (o->vm && o->k != PS_OBJ_SERIAL && o->verb != V_SET)
		psctl_confirm(c, "%s %s %s vm '%s'%s%s", who, verb,
			      o->verb == V_CREATE ? "to" : "from", o->vm,
			      o->made[0] ? ", mac " : "", o->made);
	else
		psctl_confirm(c, "%s %s%s%s", who, verb,
			      o->made[0] ? ", uuid " : "", o->made);
}

static int run_edit(struct psctl_ctx *c, const char *cmd, enum ps_obj k,
		    enum verb verb, int argc, char **argv)
{
	struct op o;
	int rc = parse_op(c, &o, cmd, k, verb, argc, argv);

	if (rc)
		return rc;
	if (k == PS_OBJ_PROFILE)   /* the etcd pool: its keys, not all */
		psctl_pool_scope(c, argv[1]);
	if (k == PS_OBJ_SERVER)
		psctl_pool_scope_server(c, argv[1], 1);
	if (k == PS_OBJ_SERVER && verb == V_CREATE && !has_field(&o, "target"))
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s NAME --target TARGET "
				   "(bmc://HOST[:PORT], image:PATH or "
				   "dev:DEVICE)", cmd);
	if (k == PS_OBJ_SERVER) {
		rc = abs_target(c, &o);
		if (rc)
			return rc;
	}
	if (verb == V_CREATE &&
	    ((k == PS_OBJ_VM && !has_field(&o, "uuid")) ||
	     (k == PS_OBJ_NIC && !has_field(&o, "mac")))) {
		o.gen = 1;
		rc = rand_bytes(c, cmd, o.rnd, sizeof o.rnd);
		if (rc)
			return rc;
	}
	if (k == PS_OBJ_SERIAL && verb == V_CREATE)
		o.upsert = 1;
	rc = psctl_edit(c, edit_op, &o);
	if (!rc)
		confirm(c, &o);
	return rc;
}

/* ------------------------------------------------------------ output */

/* Columns of the human list, per kind (the key first). */
static const char *const *columns(enum ps_obj k)
{
	static const char *const cols[PS_OBJ_COUNT][6] = {
		[PS_OBJ_VM] = { "name", "uuid", "memory", "cpus", "power" },
		[PS_OBJ_NETWORK] = { "name", "kind", "vlan", "uplink" },
		[PS_OBJ_IMAGE] = { "name", "size", "format", "media", "path" },
		[PS_OBJ_RESERVATION] = { "name", "kind", "first", "count",
					 "owner" },
		[PS_OBJ_PROFILE] = { "name", "uuid", "serial", "state",
				     "target" },
		[PS_OBJ_NIC] = { "name", "network", "mac", "model", "link" },
		[PS_OBJ_CONTROLLER] = { "name", "image", "media", "bootable",
					"writable" },
		[PS_OBJ_SERIAL] = { "port", "concentrator", "mode",
				    "hostname" },
		[PS_OBJ_SERVER] = { "name", "target", "description" },
	};
	return cols[k];
}

/* Fixed widths keep the output stream-able (no second pass). */
static void cell(FILE *f, const char *col, const char *s, int last)
{
	int w = !strcmp(col, "uuid") ? 36 : !strcmp(col, "mac") ? 17
		: !strcmp(col, "path") || !strcmp(col, "target") ? 24 : 12;

	if (last)
		fprintf(f, "%s\n", *s ? s : "-");
	else
		fprintf(f, "%-*s ", w, *s ? s : "-");
}

void psctl_list_header(FILE *f, enum ps_obj k, int with_vm)
{
	const char *const *col = columns(k);
	char up[32];
	int i;
	size_t j;

	if (with_vm)
		cell(f, "vm", "VM", 0);
	for (i = 0; i < 6 && col[i]; i++) {
		for (j = 0; col[i][j] && j + 1 < sizeof up; j++)
			up[j] = (char)(col[i][j] >= 'a' && col[i][j] <= 'z'
				       ? col[i][j] - 32 : col[i][j]);
		up[j] = 0;
		cell(f, col[i], up, i == 5 || !col[i + 1]);
	}
}

/* "TARGET (server A)" when a server of the store names the target. */
static void server_note(const void *buf, char *v, size_t cap)
{
	int srv = ps_server_by_target(buf, v, strlen(v));
	char name[PS_CFG_NAME_MAX + 1];
	size_t n = strlen(v);

	if (srv < 0)
		return;
	ps_obj_key(buf, srv, PS_OBJ_SERVER, name, sizeof name);
	snprintf(v + n, cap - n, " (server %s)", name);
}

void psctl_list_row(FILE *f, const void *buf, int el, enum ps_obj k,
		    const char *vm)
{
	const char *const *col = columns(k);
	char v[512];
	int i;

	if (vm)
		cell(f, "vm", vm, 0);
	for (i = 0; i < 6 && col[i]; i++) {
		ps_obj_get(buf, el, ps_obj_field(k, col[i], strlen(col[i])), v,
			   sizeof v);
		if (k == PS_OBJ_PROFILE && !strcmp(col[i], "target"))
			server_note(buf, v, sizeof v);
		cell(f, col[i], v, i == 5 || !col[i + 1]);
	}
}

static int need_data(struct psctl_ctx *c, const void **buf)
{
	uint32_t len;
	int rc = psctl_need_store(c);

	if (rc)
		return rc;
	*buf = psctl_store_data(c, &len);
	return 0;
}

/* serial list without a VM: every VM's ports. */
static int list_all_serial(struct psctl_ctx *c, const void *buf)
{
	struct psctl_jw w;
	int vm, el;
	char name[128];

	if (c->json) {
		psctl_jw_doc(&w, c->out, "serial list", 0);
		psctl_jw_key(&w, "items");
		psctl_jw_arr(&w, 0);
	} else {
		psctl_list_header(c->out, PS_OBJ_SERIAL, 1);
	}
	for (vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, vm)) {
		ps_obj_key(buf, vm, PS_OBJ_VM, name, sizeof name);
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) {
			if (!c->json) {
				psctl_list_row(c->out, buf, el, PS_OBJ_SERIAL, name);
				continue;
			}
			psctl_jw_object(&w, buf, el, PS_OBJ_SERIAL, name);
		}
	}
	if (c->json)
		psctl_jw_doc_end(&w);
	return 0;
}

static int run_list(struct psctl_ctx *c, const char *cmd, enum ps_obj k,
		    int argc, char **argv)
{
	const void *buf;
	struct psctl_jw w;
	int parent, el, rc, done = 0;

	/* The etcd pool's profiles: read page by page, not as one store. */
	if (k == PS_OBJ_PROFILE && argc == 1) {
		rc = psctl_pool_list(c, cmd, &done);
		if (rc || done)
			return rc;
	}
	if (k == PS_OBJ_SERVER && argc == 1)
		psctl_pool_scope_server(c, NULL, 0);
	rc = need_data(c, &buf);
	if (rc)
		return rc;
	if (argc > (is_sub(k) ? 2 : 1))
		return psctl_error(c, cmd, NULL, argv[argc - 1],
				   PSCTL_EXIT_USAGE, "unexpected argument");
	if (k == PS_OBJ_SERIAL && argc < 2)
		return list_all_serial(c, buf);
	if (is_sub(k) && argc < 2)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s VM", cmd);
	parent = parent_of(c, buf, cmd, k, is_sub(k) ? argv[1] : NULL);
	if (parent < 0)
		return PSCTL_EXIT_NOTFOUND;
	if (c->json) {
		psctl_jw_doc(&w, c->out, cmd, 0);
		if (is_sub(k)) {
			psctl_jw_key(&w, "vm");
			psctl_jw_str(&w, argv[1]);
		}
		psctl_jw_key(&w, "items");
		psctl_jw_objects(&w, buf, parent, k);
		psctl_jw_doc_end(&w);
		return 0;
	}
	psctl_list_header(c->out, k, 0);
	for (el = ps_obj_next(buf, parent, k, -1); el >= 0;
	     el = ps_obj_next(buf, parent, k, el))
		psctl_list_row(c->out, buf, el, k, NULL);
	return 0;
}

static void show_text(FILE *f, const void *buf, int el, enum ps_obj k,
		      const char *indent)
{
	const struct ps_field *fd;
	char v[1024];
	size_t i;
	int sub;

	for (fd = ps_obj_fields(k); fd->name; fd++) {
		ps_obj_get(buf, el, fd, v, sizeof v);
		fprintf(f, "%s%-13s %s\n", indent, fd->name, v);
	}
	if (k != PS_OBJ_VM)
		return;
	if (psctl_vm_kept(buf, el)) {
		ps_obj_key(buf, el, k, v, sizeof v);
		fprintf(f, "%s%-13s yes: kept in the store (libvirt_delete = "
			"keep); confirm with 'psctl vm delete %s', or edit "
			"the VM to define it again\n", indent,
			"libvirt-undefined", v);
	}
	psctl_vm_move_line(f, indent, buf, el);
	for (i = 0; i < PSCTL_VM_PARTS; i++)
		for (sub = ps_obj_next(buf, el, psctl_vm_parts[i], -1);
		     sub >= 0;
		     sub = ps_obj_next(buf, el, psctl_vm_parts[i], sub)) {
			ps_obj_key(buf, sub, psctl_vm_parts[i], v, sizeof v);
			fprintf(f, "%s %s:\n", ps_obj_name(psctl_vm_parts[i]),
				v);
			show_text(f, buf, sub, psctl_vm_parts[i], "  ");
		}
}

static int run_show(struct psctl_ctx *c, const char *cmd, enum ps_obj k,
		    int argc, char **argv)
{
	struct psctl_jw w;
	const void *buf;
	int el, rc;

	if (argc != 2)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s NAME", cmd);
	if (k == PS_OBJ_SERVER)
		psctl_pool_scope_server(c, argv[1], 0);
	rc = need_data(c, &buf);
	if (rc)
		return rc;
	el = ps_obj_find(buf, psf_root(buf), k, argv[1], strlen(argv[1]));
	if (el < 0)
		return not_found(c, cmd, k, argv[1]);
	if (c->json) {
		psctl_jw_doc(&w, c->out, cmd, 0);
		psctl_jw_key(&w, "item");
		psctl_jw_object(&w, buf, el, k, NULL);
		psctl_jw_doc_end(&w);
	} else {
		show_text(c->out, buf, el, k, "");
	}
	return 0;
}

/* ------------------------------------------------------------ check */

struct check_out {
	FILE *f;
};

static void check_line(void *ctx, const char *msg)
{
	struct check_out *o = ctx;

	if (o->f)
		fprintf(o->f, "problem: %s\n", msg);
}

/* The weak hook psctl.c calls from `check` and `import`: the library's
 * whole-store schema check (ps_cfg_check_host: sorted keys, n log n), one
 * line per problem. */
int psctl_check_config(struct psctl_ctx *c, const void *store, uint32_t len,
		       FILE *report)
{
	struct check_out o = { report };

	(void)c;
	return ps_cfg_check_host(store, len, check_line, &o);
}

/* ------------------------------------------------------------ table */

/* One run function per noun and verb (the table passes no noun). */
#define EDITS(fn, noun, k, cv, dv)                                          \
	static int fn##_list(struct psctl_ctx *c, int argc, char **argv)    \
	{ return run_list(c, noun " list", k, argc, argv); }                \
	static int fn##_create(struct psctl_ctx *c, int argc, char **argv)  \
	{ return run_edit(c, noun " " cv, k, V_CREATE, argc, argv); }       \
	static int fn##_delete(struct psctl_ctx *c, int argc, char **argv)  \
	{ return run_edit(c, noun " " dv, k, V_DELETE, argc, argv); }       \
	static int fn##_set(struct psctl_ctx *c, int argc, char **argv)     \
	{ return run_edit(c, noun " set", k, V_SET, argc, argv); }
#define NOUN(fn, noun, k)                                                   \
	EDITS(fn, noun, k, "create", "delete")                              \
	static int fn##_show(struct psctl_ctx *c, int argc, char **argv)    \
	{ return run_show(c, noun " show", k, argc, argv); }

NOUN(vm, "vm", PS_OBJ_VM)
EDITS(nic, "nic", PS_OBJ_NIC, "add", "delete")
EDITS(sto, "storage", PS_OBJ_CONTROLLER, "add", "delete")
EDITS(ser, "serial", PS_OBJ_SERIAL, "map", "unmap")
NOUN(net, "net", PS_OBJ_NETWORK)
NOUN(img, "image", PS_OBJ_IMAGE)
NOUN(res, "reserve", PS_OBJ_RESERVATION)
EDITS(pro, "profile", PS_OBJ_PROFILE, "create", "delete")
NOUN(srv, "server", PS_OBJ_SERVER)
/* storage add|set --cdrom / --disk: short for --media cdrom / disk. */
static const struct psctl_opt sto_o[] = {
	{ "cdrom", NULL, "short for --media cdrom", NULL },
	{ "disk", NULL, "short for --media disk", NULL },
	{ NULL, NULL, NULL, NULL },
};
#define K(k) NULL, PSCTL_KIND(k), 0  /* a command on objects of kind k */
#define F(k) NULL, PSCTL_KIND(k), 1  /* ... that takes --FIELD VALUE */

#define TOP(fn, noun, what, k)                                              \
	{ noun, "list", fn##_list, "", "list " what "s", K(k) },            \
	{ noun, "show", fn##_show, "NAME", "show one " what, K(k) },        \
	{ noun, "create", fn##_create, "NAME [--FIELD VALUE]...",           \
	  "create a " what, F(k) },                                         \
	{ noun, "delete", fn##_delete, "NAME", "delete a " what, K(k) },    \
	{ noun, "set", fn##_set, "NAME --FIELD VALUE...",                   \
	  "change fields of a " what, F(k) }

const struct psctl_cmd psctl_object_cmds[] = {
	TOP(vm, "vm", "VM", PS_OBJ_VM),
	{ "nic", "list", nic_list, "VM", "list a VM's NICs", K(PS_OBJ_NIC) },
	{ "nic", "add", nic_create, "VM NAME [--FIELD VALUE]...",
	  "add a NIC (MAC generated unless given)", F(PS_OBJ_NIC) },
	{ "nic", "delete", nic_delete, "VM NAME", "remove a NIC",
	  K(PS_OBJ_NIC) },
	{ "nic", "set", nic_set, "VM NAME --FIELD VALUE...",
	  "change a NIC", F(PS_OBJ_NIC) },
	{ "storage", "list", sto_list, "VM", "list a VM's storage",
	  K(PS_OBJ_CONTROLLER) },
	{ "storage", "add", sto_create,
	  "VM NAME [--image I] [--cdrom|--disk] [--FIELD VALUE]...",
	  "add a storage controller", sto_o, PSCTL_KIND(PS_OBJ_CONTROLLER),
	  1 },
	{ "storage", "delete", sto_delete, "VM NAME", "remove storage",
	  K(PS_OBJ_CONTROLLER) },
	{ "storage", "set", sto_set, "VM NAME --FIELD VALUE...",
	  "change storage", sto_o, PSCTL_KIND(PS_OBJ_CONTROLLER), 1 },
	{ "serial", "list", ser_list, "[VM]", "list serial port mappings",
	  K(PS_OBJ_SERIAL) },
	{ "serial", "map", ser_create,
	  "VM PORT --concentrator N [--hostname H] [--mode M]",
	  "map a VM serial port to the concentrator", F(PS_OBJ_SERIAL) },
	{ "serial", "unmap", ser_delete, "VM PORT", "remove a mapping",
	  K(PS_OBJ_SERIAL) },
	{ "serial", "set", ser_set, "VM PORT --FIELD VALUE...",
	  "change a mapping", F(PS_OBJ_SERIAL) },
	TOP(net, "net", "network", PS_OBJ_NETWORK),
	TOP(img, "image", "image", PS_OBJ_IMAGE),
	TOP(res, "reserve", "reservation", PS_OBJ_RESERVATION),
	/* profile show, assign, unassign, move, failover: psctl_move.c */
	{ "profile", "list", pro_list, "", "list profiles",
	  K(PS_OBJ_PROFILE) },
	{ "profile", "create", pro_create, "NAME [--FIELD VALUE]...",
	  "create a profile", F(PS_OBJ_PROFILE) },
	{ "profile", "delete", pro_delete, "NAME", "delete a profile",
	  K(PS_OBJ_PROFILE) },
	{ "profile", "set", pro_set, "NAME --FIELD VALUE...",
	  "change fields of a profile", F(PS_OBJ_PROFILE) },
	/* Named servers: where a target goes, SERVER or SERVER#VM. */
	{ "server", "list", srv_list, "", "list named servers",
	  K(PS_OBJ_SERVER) },
	{ "server", "show", srv_show, "NAME", "show one server",
	  K(PS_OBJ_SERVER) },
	{ "server", "create", srv_create,
	  "NAME --target TARGET [--description TEXT]",
	  "name a physical server (bmc://HOST[:PORT], image:PATH, "
	  "dev:DEVICE)", F(PS_OBJ_SERVER) },
	{ "server", "delete", srv_delete, "NAME",
	  "delete a server (not while a profile is placed on it)",
	  K(PS_OBJ_SERVER) },
	{ "server", "set", srv_set, "NAME --FIELD VALUE...",
	  "rename a server, change its target or description",
	  F(PS_OBJ_SERVER) },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
};
