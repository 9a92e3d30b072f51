/*
 * psctl_bmc_cmds.c - the `bmc` commands: info, power, profile pull and
 * push (psctl_bmc.h for the OEM client), and the BMC named by psctl's
 * options (--bmc, -U, -P, -L).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc_int.h"
#include "psctl_jsonw.h"
#include "psctl_util.h"
#include "psf_schema.h"
#include "psf_tree.h"

/* ------------------------------------------------------------ bmc info */

/* The host's power in the words of `bmc power status` (chassis control):
 * a host on aux (standby) power is off; bmc info says aux apart. */
static const char *power_name(int p)
{
	return p == 0 || p == 2 ? "off" : p == 1 ? "on" : "unknown";
}

static const char *policy_name(unsigned p)
{
	return p == BMC_GATE_SEMAPHORE ? "semaphore"
		: p == BMC_GATE_HOST_OFF ? "host-off"
		: p == BMC_GATE_READ_ONLY ? "read-only" : "unknown";
}

static const char *holder_name(int o)
{
	static const char *const n[] = { "none", "BMC", "hvagent",
					 "BIOS setup", "OS tools" };

	return o >= 0 && o < 5 ? n[o] : "reserved";
}

/* The BMC's verdict on the store (INFO flags bits 3-5). */
static const char *auth_name(unsigned flags)
{
	unsigned v = (flags & BMC_INFO_AUTH_MASK) >> BMC_INFO_AUTH_SHIFT;

	return v == BMC_AUTH_FAULT ? "key-or-counter-unreadable"
				   : ps_auth_verdict_name((int)v);
}

static int info_json(struct psctl_ctx *c, const struct psctl_bmc *b,
		     const struct psctl_bmc_info *in)
{
	struct psctl_jw w;
	char t[300];

	psctl_jw_doc(&w, c->out, "bmc info", 0);
	snprintf(t, sizeof t, "%s:%u", b->host, b->port);
	psctl_jw_key(&w, "bmc");
	psctl_jw_str(&w, t);
	psctl_jw_key(&w, "protocol");
	psctl_jw_uint(&w, in->protocol);
	snprintf(t, sizeof t, "%u.%u", in->format_major, in->format_minor);
	psctl_jw_key(&w, "format");
	psctl_jw_str(&w, t);
	psctl_jw_key(&w, "schema");
	psctl_jw_uint(&w, in->schema);
	psctl_jw_key(&w, "generation");
	psctl_jw_uint(&w, in->generation);
	psctl_jw_key(&w, "store-bytes");
	psctl_jw_uint(&w, in->store_size);
	psctl_jw_key(&w, "capacity");
	psctl_jw_uint(&w, in->capacity);
	psctl_jw_key(&w, "host-power");
	psctl_jw_str(&w, power_name(in->host_power));
	psctl_jw_key(&w, "aux-power");
	psctl_jw_bool(&w, in->host_power == 2);
	psctl_jw_key(&w, "write-policy");
	psctl_jw_str(&w, policy_name(in->policy));
	psctl_jw_key(&w, "lock-holder");
	psctl_jw_str(&w, holder_name(in->lock_holder));
	psctl_jw_key(&w, "client-lock");
	psctl_jw_bool(&w, in->flags & 1);
	psctl_jw_key(&w, "readable");
	psctl_jw_bool(&w, in->flags & 2);
	psctl_jw_key(&w, "semaphore");
	psctl_jw_bool(&w, in->flags & 4);
	psctl_jw_key(&w, "auth");
	psctl_jw_str(&w, auth_name(in->flags));
	psctl_jw_doc_end(&w);
	return 0;
}

static int cmd_info(struct psctl_ctx *c, int argc, char **argv)
{
	struct psctl_bmc_info in;
	struct psctl_bmc b;
	char err[600];
	int rc;

	if (argc > 1)
		return psctl_error(c, "bmc info", NULL, argv[1],
				   PSCTL_EXIT_USAGE, "unexpected argument");
	rc = psctl_bmc_from_ctx(c, &b);
	if (rc)
		return rc;
	rc = psctl_bmc_info(&b, &in, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc info", rc, err);
	if (c->json)
		return info_json(c, &b, &in);
	fprintf(c->out, "%-14s %s:%u\n%-14s %u\n%-14s %u.%u\n%-14s %u\n"
		"%-14s %u\n%-14s %u\n%-14s %u\n%-14s %s%s\n%-14s %s\n"
		"%-14s %s%s\n%-14s %s\n%-14s %s\n%-14s %s\n", "bmc", b.host,
		b.port,
		"protocol", in.protocol, "format", in.format_major,
		in.format_minor, "schema", in.schema, "generation",
		in.generation, "store-bytes", in.store_size, "capacity",
		in.capacity, "host-power", power_name(in.host_power),
		in.host_power == 2 ? " (aux power)" : "",
		"write-policy", policy_name(in.policy), "lock-holder",
		holder_name(in.lock_holder),
		in.flags & 1 ? " (a client, through the BMC)" : "",
		"readable", in.flags & 2 ? "yes" : "no", "semaphore",
		in.flags & 4 ? "present" : "absent", "auth",
		auth_name(in.flags));
	return 0;
}

/* ------------------------------------------------------------ bmc power */

static int cmd_power(struct psctl_ctx *c, int argc, char **argv)
{
	struct psctl_bmc b;
	char err[600];
	int rc, on;

	if (argc != 2 || (strcmp(argv[1], "status") && strcmp(argv[1], "on") &&
			  strcmp(argv[1], "off")))
		return psctl_error(c, "bmc power", NULL, argc > 1 ? argv[1]
				   : NULL, PSCTL_EXIT_USAGE,
				   "usage: bmc power status|on|off");
	rc = psctl_bmc_from_ctx(c, &b);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "on"))
		rc = psctl_bmc_power_on(&b, err, sizeof err);
	else if (!strcmp(argv[1], "off"))
		rc = psctl_bmc_power_off(&b, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc power", rc, err);
	rc = psctl_bmc_power_status(&b, &on, err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc power", rc, err);
	if (c->json) {
		struct psctl_jw w;
		char t[300];

		snprintf(t, sizeof t, "%s:%u", b.host, b.port);
		psctl_jw_doc(&w, c->out, "bmc power", 0);
		psctl_jw_key(&w, "bmc");
		psctl_jw_str(&w, t);
		psctl_jw_key(&w, "host-power");
		psctl_jw_str(&w, power_name(on));
		psctl_jw_doc_end(&w);
	} else
		fprintf(c->out, "%s:%u: host-power %s\n", b.host, b.port,
			power_name(on));
	return 0;
}

/* ------------------------------------------------------------ profiles */

/* A store holding only the PROFILE element el, so the field getters of
 * pstate.h read it as they read any profile.  Returns its offset. */
static int wrap_profile(uint8_t *buf, size_t cap, const uint8_t *el,
			uint32_t elen)
{
	struct psf_builder bld;
	int set, off;

	if (psf_build_begin(&bld, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION, 0) ||
	    psf_build_open(&bld, PSF_PROFILES) || psf_build_close(&bld) ||
	    psf_build_finish(&bld) < 0)
		return -1;
	set = psf_find_child(buf, psf_root(buf), PSF_PROFILES);
	if (set < 0 || elen < PSF_CONTAINER_HDR)
		return -1;
	off = psf_insert(buf, cap, set, -1, PSF_PAD, NULL,
			 elen - PSF_STRUCT_HDR);
	if (off < 0)
		return -1;
	memcpy(buf + off, el, elen);
	if (psf_finish(buf) || psf_check_full(buf, cap, NULL))
		return -1;
	return off;
}

/* A profile as `profile show` prints it; JSON by the shared field rule. */
static void print_profile(struct psctl_ctx *c, const uint8_t *buf, int el)
{
	const struct ps_field *f;
	struct psctl_jw w;
	char v[1024];

	if (c->json) {
		psctl_jw_doc(&w, c->out, "bmc profile pull", 0);
		psctl_jw_key(&w, "item");
		psctl_jw_obj(&w, 0);
		psctl_jw_fields(&w, buf, el, PS_OBJ_PROFILE);
		psctl_jw_doc_end(&w);
		return;
	}
	for (f = ps_obj_fields(PS_OBJ_PROFILE); f->name; f++) {
		ps_obj_get(buf, el, f, v, sizeof v);
		fprintf(c->out, "%-13s %s\n", f->name, v);
	}
}

/* [--vm VM] -> *vm (NULL: this host); anything else is a usage error. */
static int vm_option(struct psctl_ctx *c, const char *cmd, int argc,
		     char **argv, int first, const char **vm,
		     const char **name)
{
	int i;

	*vm = NULL;
	for (i = first; i < argc; i++) {
		const char **to = !strcmp(argv[i], "--vm") ? vm
				  : name && !strcmp(argv[i], "--name") ? name
				  : NULL;

		if (!to || i + 1 >= argc)
			return psctl_error(c, cmd, NULL, argv[i],
					   PSCTL_EXIT_USAGE, "%s", to ?
					   "needs a value" :
					   "unexpected argument");
		*to = argv[++i];
	}
	if (*vm && ps_check_name(*vm, strlen(*vm), NULL))
		return psctl_error(c, cmd, "--vm", *vm, PSCTL_EXIT_INVALID,
				   "not a VM name");
	return 0;
}

static int cmd_pull(struct psctl_ctx *c, const char *vm)
{
	static uint8_t wrap[STAGE_MAX * 4];
	uint8_t arg[2 + PS_CFG_NAME_MAX], *out;
	size_t alen = 1, olen;
	struct psctl_bmc b;
	char err[600];
	int rc = psctl_bmc_from_ctx(c, &b), el;

	if (rc)
		return rc;
	arg[0] = vm ? 2 : 1;
	if (vm) {
		memcpy(arg + 1, vm, strlen(vm));
		alen += strlen(vm);
	}
	rc = psctl_bmc_read(&b, BMC_READ_PROFILE_PULL, arg, alen, &out, &olen,
			    NULL, err,
			    sizeof err);
	if (rc)
		return psctl_fail(c, "bmc profile pull", rc, err);
	el = olen < sizeof wrap / 2 ? wrap_profile(wrap, sizeof wrap, out,
						   (uint32_t)olen) : -1;
	free(out);
	if (el < 0)
		return psctl_error(c, "bmc profile pull", NULL, NULL,
				   PSCTL_EXIT_DAMAGED, "BMC %s:%u: the answer "
				   "is not a PROFILE element", b.host, b.port);
	print_profile(c, wrap, el);
	return 0;
}

/* The profile to push from a store: the one named, or the only one. */
static int pick_profile(struct psctl_ctx *c, const uint8_t *st,
			const char *name, const char *from, uint8_t **el,
			uint32_t *elen)
{
	int set = psf_find_child(st, psf_root(st), PSF_PROFILES), k, n = 0,
	    pick = -1;

	for (k = set < 0 ? -1 : psf_find_next(st, set, -1, PSF_PROFILE);
	     k >= 0; k = psf_find_next(st, set, k, PSF_PROFILE)) {
		uint32_t nl;
		const char *nm = psf_child_payload(st, k, PSF_NAME, &nl);

		n++;
		if (!name || (nm && nl == strlen(name) &&
			      !memcmp(nm, name, nl)))
			pick = pick < 0 ? k : pick;
	}
	if (name && pick < 0)
		return psctl_error(c, "bmc profile push", NULL, from,
				   PSCTL_EXIT_NOTFOUND, "no profile '%s' in it",
				   name);
	if (n != 1 && !name)
		return psctl_error(c, "bmc profile push", NULL, from,
				   PSCTL_EXIT_USAGE, "holds %d profiles; name "
				   "one with --name", n);
	*elen = psctl_elem_len(st, pick);
	*el = malloc(*elen);
	if (!*el)
		return psctl_error(c, "bmc profile push", NULL, NULL,
				   PS_ERR_NOMEM, NULL);
	memcpy(*el, st + pick, *elen);
	return 0;
}

/* Element bytes whose own length fields say exactly len bytes. */
static int elem_len_raw_ok(const uint8_t *p, size_t len)
{
	return len >= PSF_CONTAINER_HDR &&
	       psf_le32(p + 8) == len - PSF_CONTAINER_HDR;
}

/* A file: a PROFILE element's bytes, or a store (binary, JSON from
 * `export --json`, or text) holding the profile. */
static int profile_from_file(struct psctl_ctx *c, const char *path,
			     const char *name, uint8_t **el, uint32_t *elen)
{
	struct psf_text_error te;
	struct psf_tree *t = NULL;
	char msg[600];
	uint8_t *in = NULL;
	void *st = NULL;
	size_t len = 0, slen;
	FILE *f = fopen(path, "rb");
	int rc;

	if (f) {
		struct buf all = { 0 };
		char chunk[8192];
		size_t got;

		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			if (psctl_buf_add(&all, chunk, got))
				break;
		fclose(f);
		in = (uint8_t *)all.p;
		len = all.len;
	}
	if (!in)
		return psctl_error(c, "bmc profile push", NULL, path, PS_ERR_IO,
				   "cannot read: %s", strerror(errno));
	if (len >= 4 && psf_le32(in) == PSF_PROFILE) {
		if (elem_len_raw_ok(in, len)) {
			*el = in;
			*elen = (uint32_t)len;
			return 0;
		}
		free(in);
		return psctl_error(c, "bmc profile push", NULL, path,
				   PSCTL_EXIT_INVALID, "a PROFILE element whose"
				   " length fields do not match the file");
	}
	if (len >= PSF_MAGIC_LEN && !memcmp(in, PSF_MAGIC, PSF_MAGIC_LEN)) {
		rc = psf_check_full(in, len, NULL) ? -1 : 0;
		if (!rc)
			rc = pick_profile(c, in, name, path, el, elen);
		else
			rc = psctl_error(c, "bmc profile push", NULL, path,
					 PSCTL_EXIT_INVALID, "not a valid "
					 "store");
		free(in);
		return rc;
	}
	if (in[strspn((char *)in, " \t\r\n")] == '{')
		rc = psctl_json_parse((char *)in, len, &t, msg, sizeof msg);
	else if (!(rc = psf_text_parse((char *)in, len, &t, &te)))
		;
	else
		snprintf(msg, sizeof msg, "line %zu, column %zu: %s", te.line,
			 te.column, te.msg);
	free(in);
	if (rc)
		return psctl_error(c, "bmc profile push", NULL, path,
				   PSCTL_EXIT_INVALID, "%s", msg);
	rc = psf_tree_pack_alloc(t, &st, &slen);
	psf_tree_free(t);
	if (rc)
		return psctl_error(c, "bmc profile push", NULL, path,
				   PSCTL_EXIT_INVALID, "does not make a valid "
				   "store: %s", ps_strerror(rc));
	rc = pick_profile(c, st, name, path, el, elen);
	free(st);
	return rc;
}

/* A profile of the local store (-i / -d / the scan) by name. */
static int profile_from_store(struct psctl_ctx *c, const char *name,
			      uint8_t **el, uint32_t *elen)
{
	const uint8_t *st;
	uint32_t len;
	int rc = psctl_need_store(c);

	if (rc)
		return rc;
	st = psctl_store_data(c, &len);
	if (psf_find_named(st, psf_find_child(st, psf_root(st), PSF_PROFILES),
			   PSF_PROFILE, PSF_NAME, name, strlen(name)) < 0)
		return psctl_error(c, "bmc profile push", "profile", name,
				   PSCTL_EXIT_NOTFOUND, "no such profile in %s "
				   "(and no such file)", c->where);
	return pick_profile(c, st, name, c->where, el, elen);
}

static int cmd_push(struct psctl_ctx *c, const char *what, const char *vm,
		    const char *name)
{
	static uint8_t st[STAGE_MAX + 1], wrap[STAGE_MAX * 4],
		clean[STAGE_MAX * 2];
	struct psctl_bmc b;
	uint8_t *el = NULL;
	uint32_t elen = 0;
	size_t k = 0, vl = vm ? strlen(vm) : 0;
	char err[600], pn[PS_CFG_NAME_MAX + 1] = "";
	int off, rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	rc = access(what, F_OK) == 0
		? profile_from_file(c, what, name, &el, &elen)
		: profile_from_store(c, what, &el, &elen);
	if (rc)
		return rc;
	/* Checked as a store would hold it, and named for messages. */
	off = elen < sizeof wrap / 2 ? wrap_profile(wrap, sizeof wrap, el, elen)
				     : -1;
	if (off < 0) {
		free(el);
		return psctl_error(c, "bmc profile push", NULL, what,
				   PSCTL_EXIT_INVALID, "not a valid PROFILE "
				   "element");
	}
	ps_obj_key(wrap, off, PS_OBJ_PROFILE, pn, sizeof pn);
	free(el);
	/* What travels is the clean copy (ps_profile_export): a profile
	 * taken from a pool goes without the pool's target and move record. */
	rc = ps_profile_export(wrap, off, clean, sizeof clean);
	if (rc < 0)
		return psctl_error(c, "bmc profile push", "profile", pn, rc,
				   "%s", ps_strerror(rc));
	el = clean;
	elen = (uint32_t)rc;
	st[k++] = vm ? 2 : 1;
	st[k++] = (uint8_t)vl;
	memcpy(st + k, vm ? vm : "", vl);
	k += vl;
	if (k + elen > STAGE_MAX)
		return psctl_error(c, "bmc profile push", "profile", pn,
				   PSCTL_EXIT_INVALID, "%u bytes; the BMC takes"
				   " at most %u per write", elen, STAGE_MAX);
	memcpy(st + k, el, elen);
	k += elen;
	if (c->dry_run) {
		fprintf(c->out, "would push profile '%s' (%u bytes) to %s%s%s "
			"through BMC %s:%u (dry run, nothing sent)\n", pn, elen,
			vm ? "VM '" : "this host", vm ? vm : "", vm ? "'" : "",
			b.host, b.port);
		return 0;
	}
	rc = psctl_bmc_write(&b, BMC_WRITE_PROFILE_PUSH, st, k, 0, NULL, NULL,
			     err, sizeof err);
	if (rc)
		return psctl_fail(c, "bmc profile push", rc, err);
	fprintf(c->out, "pushed profile '%s' to %s%s%s through BMC %s:%u\n",
		pn, vm ? "VM '" : "this host", vm ? vm : "", vm ? "'" : "",
		b.host, b.port);
	return 0;
}

static int cmd_profile(struct psctl_ctx *c, int argc, char **argv)
{
	const char *vm = NULL, *name = NULL;
	int rc;

	if (argc >= 3 && !strcmp(argv[1], "push")) {
		rc = vm_option(c, "bmc profile push", argc, argv, 3, &vm,
			       &name);
		return rc ? rc : cmd_push(c, argv[2], vm, name);
	}
	if (argc >= 2 && !strcmp(argv[1], "pull")) {
		rc = vm_option(c, "bmc profile pull", argc, argv, 2, &vm, NULL);
		return rc ? rc : cmd_pull(c, vm);
	}
	return psctl_error(c, "bmc profile", NULL, argc > 1 ? argv[1] : NULL,
			   PSCTL_EXIT_USAGE, "usage: bmc profile push "
			   "FILE|PROFILE [--vm VM] [--name P] | pull [--vm VM]");
}

static const struct psctl_opt profile_fields[] = {
	{ "vm", "VM", "a VM on that server instead of the server", NULL },
	{ "name", "P", "push FILE: which of its profiles", NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct psctl_cmd psctl_bmc_cmds[] = {
	{ "bmc", "info", cmd_info, "",
	  "the BMC's store: versions, generation, size, host power, lock "
	  "(needs --bmc)", NULL, 0, 0 },
	{ "bmc", "power", cmd_power, "status|on|off",
	  "the server's chassis power through its BMC (needs --bmc)", NULL, 0, 0 },
	{ "bmc", "profile", cmd_profile,
	  "push FILE|PROFILE [--vm VM] [--name P] | pull [--vm VM]",
	  "push a profile to the BMC for this server or a VM; pull the one "
	  "it carries (needs --bmc)", profile_fields, 0, 0 },
	{ 0 }
};

/* ------------------------------------------------------------ psctl glue */

static int session_priv;  /* -L: 0 per operation, else 3 or 4 */

int psctl_bmc_set_privilege(struct psctl_ctx *c, const char *level)
{
	if (!strcasecmp(level, "operator") || !strcmp(level, "3"))
		session_priv = PRIV_OPERATOR;
	else if (!strcasecmp(level, "administrator") ||
		 !strcasecmp(level, "admin") || !strcmp(level, "4"))
		session_priv = PRIV_ADMIN;
	else
		return psctl_error(c, NULL, "-L", level, PSCTL_EXIT_INVALID,
				   "privilege must be operator or "
				   "administrator");
	return 0;
}

int psctl_bmc_from_ctx(struct psctl_ctx *c, struct psctl_bmc *b)
{
	char err[400];
	int rc;

	memset(b, 0, sizeof *b);
	if (!c->bmc)
		return psctl_error(c, NULL, NULL, NULL, PSCTL_EXIT_USAGE,
				   "needs --bmc HOST[:PORT] (the server's BMC)");
	rc = psctl_bmc_parse(c->bmc, b, err, sizeof err);
	if (rc)
		return psctl_error(c, NULL, NULL, NULL, rc, "%s", err);
	b->user = c->bmc_user ? c->bmc_user : "admin";
	b->password = c->bmc_password ? c->bmc_password
				      : getenv("IPMI_PASSWORD");
	b->priv = session_priv;
	if (!b->password)
		return psctl_error(c, NULL, "--bmc", c->bmc, PSCTL_EXIT_USAGE,
				   "no password: set IPMI_PASSWORD (safer) or "
				   "give -P");
	return 0;
}

/* Report a client error (err from a psctl_bmc_* call). */
int psctl_bmc_load(struct psctl_ctx *c, uint8_t **out, size_t *len,
		   uint32_t *generation)
{
	struct psctl_bmc b;
	char err[600];
	int rc = psctl_bmc_from_ctx(c, &b);

	if (rc)
		return rc;
	rc = psctl_bmc_read(&b, BMC_READ_STORE, NULL, 0, out, len, generation,
			    err,
			    sizeof err);
	return rc ? psctl_fail(c, NULL, rc, err) : 0;
}

