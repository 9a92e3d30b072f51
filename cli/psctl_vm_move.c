/*
 * psctl_vm_move.c - psctl vm move VM --to TARGET (docs/psctl.1.md): the
 * VM object -- definition, disks, NICs, identity, serial mappings (the
 * same concentrator ports), restart policy -- goes from the opened store
 * to the store TARGET names (image:PATH, dev:DEVICE), in the steps and
 * with the records of pstate/ps_move.h: validate on private copies (the
 * destination through the gate), mark leaving, apply arriving, release,
 * settle.  A move cut at any step is finished by running it again.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_move.h"
#include "psctl_util.h"
#include "psf_schema.h"

#define CMD "vm move"
#define PORTS_MAX 64

struct vmove {
	struct psctl_ctx *c;
	const char *vm;
	size_t vn;
	struct mtarget src, dst;
	struct ps_cfg_err e;
	uint8_t *el;                  /* the VM as it travels */
	size_t elen;
	int next;                     /* the first step to run */
	char gate[2048];              /* the gate's new problems, a line each */
	int gate_n;
	unsigned ports[PORTS_MAX], nports;
};

/* ------------------------------------------------------------ errors */

static void gate_line(void *ctx, const char *msg)
{
	struct vmove *v = ctx;
	size_t l = strlen(v->gate);

	v->gate_n++;
	snprintf(v->gate + l, sizeof v->gate - l, "%s: %s: %s: %s\n",
		 v->c->prog, CMD, v->dst.text, msg);
}

/* An edit's refusal, with what and who (e), or the gate's lines. */
static int edit_error(struct vmove *v, int rc, const char *where)
{
	const struct ps_cfg_err *e = &v->e;

	if (v->gate_n) {
		fputs(v->gate, v->c->err);
		return psctl_error(v->c, CMD, "vm", v->vm, PS_ERR_INUSE,
				   "%s cannot take it: %d problem%s there "
				   "(above); nothing changed", v->dst.text,
				   v->gate_n, v->gate_n == 1 ? "" : "s");
	}
	return psctl_error(v->c, CMD, "vm", v->vm, rc, "%s: %s%s%s", where,
			   e->why ? e->why : ps_strerror(rc),
			   e->holder[0] ? " " : "", e->holder);
}

/* ------------------------------------------------------------ the edits */

static int ed_mark(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct vmove *v = arg;

	(void)c;
	return ps_vm_move_mark(buf, cap, v->vm, v->vn, v->dst.text,
			       strlen(v->dst.text), &v->e);
}

static int ed_release(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct vmove *v = arg;

	(void)c;
	return ps_vm_move_release(buf, cap, v->vm, v->vn, v->dst.text,
				  strlen(v->dst.text), &v->e);
}

/* The copy arrives; the destination's rules are the gate's: no problem
 * its whole-store check did not have before (ps_vm_move_apply_gated). */
static int ed_apply(void *buf, size_t cap, void *arg)
{
	struct vmove *v = arg;

	v->gate[0] = 0;
	v->gate_n = 0;
	return ps_vm_move_apply_gated(buf, cap, v->el, v->elen, v->src.text,
				      strlen(v->src.text), gate_line, v,
				      &v->e);
}

static int ed_settle(void *buf, size_t cap, void *arg)
{
	struct vmove *v = arg;

	return ps_vm_move_settle(buf, cap, v->vm, v->vn, &v->e);
}

/* ------------------------------------------------------------ the steps */

/* The source's edits through psctl_edit, which wants the error told. */
static int pe_mark(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	int rc = ed_mark(c, buf, cap, arg);

	if (rc)
		edit_error(arg, rc, ((struct vmove *)arg)->src.text);
	return rc;
}

static int pe_release(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	int rc = ed_release(c, buf, cap, arg);

	if (rc)
		edit_error(arg, rc, ((struct vmove *)arg)->src.text);
	return rc;
}

static int st_mark(void *arg)
{
	struct vmove *v = arg;

	return psctl_edit(v->c, pe_mark, v);
}

static int on_dst(struct vmove *v, int (*edit)(void *, size_t, void *))
{
	char msg[600];
	int rc = move_store_edit(&v->dst, edit, v, msg, sizeof msg);

	if (rc && msg[0])
		return psctl_error(v->c, CMD, NULL, NULL, rc, "%s: %s",
				   v->dst.text, msg);
	return rc ? edit_error(v, rc, v->dst.text) : 0;
}

static int st_apply(void *arg)
{
	return on_dst(arg, ed_apply);
}

static int st_release(void *arg)
{
	struct vmove *v = arg;

	return psctl_edit(v->c, pe_release, v);
}

static int st_settle(void *arg)
{
	return on_dst(arg, ed_settle);
}

/* ------------------------------------------------------------ validate */

/* The VM's concentrator ports (they stay the same). */
static void ports_of(struct vmove *v, const void *buf)
{
	int vm = ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, v->vm, v->vn);
	const struct ps_field *f = ps_obj_field(PS_OBJ_SERIAL, "concentrator",
						12);
	char t[16];
	int el;

	v->nports = 0;
	for (el = vm < 0 ? -1 : ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1);
	     el >= 0 && v->nports < PORTS_MAX;
	     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) {
		ps_obj_get(buf, el, f, t, sizeof t);
		if (atoi(t) > 0)
			v->ports[v->nports++] = (unsigned)atoi(t);
	}
}

/* Where the move stands, from both stores' records (the resume rule,
 * ps_vm_move_where). */
static int find_next(struct vmove *v, const void *s, const void *d)
{
	v->next = ps_vm_move_where(s, d, v->vm, v->vn, v->src.text,
				   strlen(v->src.text), v->dst.text,
				   strlen(v->dst.text), &v->e);
	if (v->next >= 0)
		return 0;
	if (v->e.holder[0])
		return psctl_error(v->c, CMD, "vm", v->vm, v->next,
				   "%s %s; finish that move first (psctl vm "
				   "move, run again where it began); nothing "
				   "changed", v->e.why, v->e.holder);
	return psctl_error(v->c, CMD, "vm", v->vm, v->next, "%s (%s, %s); "
			   "nothing changed", v->e.why, v->src.text,
			   v->dst.text);
}

/* Every step still to run, tried on private copies of both stores. */
static int validate(struct vmove *v)
{
	uint32_t n;
	const void *live = psctl_store_data(v->c, &n);
	uint8_t *s = malloc(n + SCRATCH_ROOM), *d = NULL;
	size_t dlen;
	struct move m = { .c = v->c, .cmd = CMD };
	int rc, len;

	if (!s)
		return psctl_error(v->c, CMD, NULL, NULL, PS_ERR_NOMEM,
				   "out of memory");
	memcpy(s, live, n);
	rc = move_read_store(&m, &v->dst, &d, &dlen);
	if (rc) {
		free(s);
		return psctl_error(v->c, CMD, NULL, NULL, rc, "%s: "
				   "unreachable: %s; nothing changed",
				   v->dst.text, m.msg);
	}
	rc = find_next(v, s, d);
	if (!rc && v->next <= PS_VM_STEP_MARK &&
	    (rc = ed_mark(v->c, s, n + SCRATCH_ROOM, v)) != 0)
		rc = edit_error(v, rc, v->src.text);
	if (!rc && v->next <= PS_VM_STEP_APPLY) {
		ports_of(v, s);
		len = ps_vm_move_export(s, ps_obj_find(s, psf_root(s),
						       PS_OBJ_VM, v->vm,
						       v->vn), v->el,
					n + SCRATCH_ROOM);
		v->elen = len < 0 ? 0 : (size_t)len;
		rc = len < 0 ? edit_error(v, len, v->src.text) : 0;
		if (!rc && (rc = ed_apply(d, dlen + SCRATCH_ROOM, v)) != 0)
			rc = edit_error(v, rc, v->dst.text);
	} else if (!rc) {
		ports_of(v, d);
	}
	if (!rc && v->next <= PS_VM_STEP_RELEASE &&
	    (rc = ed_release(v->c, s, n + SCRATCH_ROOM, v)) != 0)
		rc = edit_error(v, rc, v->src.text);
	free(s);
	free(d);
	return rc;
}

/* ------------------------------------------------------------ vm show */

static int record_of(const void *buf, int vm, const char **peer,
		     uint32_t *pn)
{
	char name[PS_CFG_NAME_MAX + 1];

	ps_obj_key(buf, vm, PS_OBJ_VM, name, sizeof name);
	return ps_vm_move_state(buf, name, strlen(name), peer, pn);
}

void psctl_vm_move_line(FILE *f, const char *indent, const void *buf,
			int vm)
{
	const char *p;
	uint32_t n;
	int st = record_of(buf, vm, &p, &n);

	if (st == PS_VM_LEAVING || st == PS_VM_ARRIVING)
		fprintf(f, "%s%-13s %.*s (a move %s: psctl vm move)\n", indent,
			st == PS_VM_LEAVING ? "move-target" : "move-source",
			(int)n, p, st == PS_VM_LEAVING ? "begun here"
						       : "not settled");
}

void psctl_vm_move_json(struct psctl_jw *w, const void *buf, int vm)
{
	const char *p;
	uint32_t n;
	int st = record_of(buf, vm, &p, &n);

	psctl_jw_key(w, "move");
	if (st != PS_VM_LEAVING && st != PS_VM_ARRIVING) {
		psctl_jw_null(w);
		return;
	}
	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "state");
	psctl_jw_str(w, st == PS_VM_LEAVING ? "leaving" : "arriving");
	psctl_jw_key(w, "peer");
	psctl_jw_strn(w, p, n);
	psctl_jw_end(w);
}

/* ------------------------------------------------------------ command */

static void ports_text(const struct vmove *v, char *out, size_t cap)
{
	size_t l = 0;
	unsigned i;

	out[0] = 0;
	for (i = 0; i < v->nports && l < cap; i++)
		l += (size_t)snprintf(out + l, cap - l, "%s%u", i ? "," : "",
				      v->ports[i]);
}

static void report(struct vmove *v, int resumed)
{
	static const char *const step[] = { "mark", "apply", "release",
					    "settle", "done" };
	struct psctl_jw w;
	char pt[PORTS_MAX * 6 + 1];
	unsigned i;

	if (v->c->json) {
		psctl_jw_doc(&w, v->c->out, CMD, 0);
		psctl_jw_key(&w, "item");
		psctl_jw_obj(&w, 0);
		psctl_jw_key(&w, "vm");
		psctl_jw_str(&w, v->vm);
		psctl_jw_key(&w, "from");
		psctl_jw_str(&w, v->src.text);
		psctl_jw_key(&w, "to");
		psctl_jw_str(&w, v->dst.text);
		psctl_jw_key(&w, "resumed-at");
		psctl_jw_str_or_null(&w, resumed ? step[v->next] : "");
		psctl_jw_key(&w, "concentrator-ports");
		psctl_jw_arr(&w, 0);
		for (i = 0; i < v->nports; i++)
			psctl_jw_uint(&w, v->ports[i]);
		psctl_jw_end(&w);
		psctl_jw_doc_end(&w);
		return;
	}
	ports_text(v, pt, sizeof pt);
	psctl_say(v->c, "vm '%s' moved to %s%s%s%s", v->vm, v->dst.text,
		  resumed ? " (an interrupted move finished from its " : "",
		  resumed ? step[v->next] : "", resumed ? " step)" : "");
	if (v->nports)
		psctl_say(v->c, "concentrator ports kept: %s", pt);
}

static void plan(struct vmove *v)
{
	static const char *const what[] = {
		"mark it leaving in %s\n", "copy it, arriving, to %s\n",
		"delete it from %s\n", "settle it in %s\n" };
	int i;

	fprintf(v->c->out, "move vm '%s' from %s to %s (dry run: nothing "
		"written)\n", v->vm, v->src.text, v->dst.text);
	for (i = v->next; i < PS_VM_STEP_DONE; i++) {
		fputs("  ", v->c->out);
		fprintf(v->c->out, what[i], i == 0 || i == 2 ? v->src.text
							     : v->dst.text);
	}
}

/* The opened store as a target: image:PATH or dev:PATH. */
static int source_target(struct vmove *v)
{
	char t[PATH_MAX + 16];

	if (psctl_g.bmc_store || psctl_g.pool_store)
		return psctl_error(v->c, CMD, NULL, NULL, PSCTL_EXIT_USAGE,
				   "the source must be a store on this host "
				   "(-i IMAGE, -d DEVICE or the default "
				   "store), not --bmc or a pool");
	snprintf(t, sizeof t, "%s:%s", psctl_g.st.is_dev ? "dev" : "image",
		 psctl_g.st.path);
	return move_parse_target(v->c, CMD, t, &v->src);
}

static int parse(struct psctl_ctx *c, int argc, char **argv,
		 const char **vm, const char **to)
{
	int i;

	*vm = *to = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			*to = argv[++i];
		else if (argv[i][0] != '-' && !*vm)
			*vm = argv[i];
		else
			break;
	}
	if (i < argc || !*vm || !*to)
		return psctl_error(c, CMD, NULL, i < argc ? argv[i] : NULL,
				   PSCTL_EXIT_USAGE, "usage: vm move VM --to "
				   "TARGET (image:PATH or dev:DEVICE)");
	return 0;
}

static int cmd_move(struct psctl_ctx *c, int argc, char **argv)
{
	static struct vmove v;
	static const struct ps_move_step steps[] = {
		{ "mark", st_mark }, { "apply", st_apply },
		{ "release", st_release }, { "settle", st_settle },
	};
	const char *to;
	uint32_t n;
	int rc = parse(c, argc, argv, &v.vm, &to), from;

	if (rc)
		return rc;
	v.c = c;
	v.vn = strlen(v.vm);
	rc = psctl_need_store(c);
	if (!rc)
		rc = source_target(&v);
	if (!rc)
		rc = move_parse_target(c, CMD, to, &v.dst);
	if (rc)
		return rc;
	if (v.dst.w != W_STORE || v.dst.kind != PSF_TARGET_PHYSICAL)
		return psctl_error(c, CMD, "target", to, PSCTL_EXIT_USAGE,
				   "a VM goes to a store on this host: "
				   "image:PATH or dev:DEVICE (no #VM)");
	if (move_same_store(&v.src, &v.dst))
		return psctl_error(c, CMD, "target", to, PSCTL_EXIT_USAGE,
				   "that is the store it is in");
	psctl_store_data(c, &n);
	v.el = malloc(n + SCRATCH_ROOM);
	if (!v.el)
		return psctl_error(c, CMD, NULL, NULL, PS_ERR_NOMEM,
				   "out of memory");
	rc = validate(&v);
	if (!rc && v.next == PS_VM_STEP_DONE) {
		psctl_say(c, "vm '%s' is at %s already; nothing written",
			  v.vm, v.dst.text);
	} else if (!rc && c->dry_run) {
		plan(&v);
	} else if (!rc) {
		from = v.next;
		rc = ps_move_run(steps, PS_VM_STEP_DONE, from, &v);
		if (!rc)
			report(&v, from != PS_VM_STEP_MARK);
	}
	free(v.el);
	v.el = NULL;
	return rc;
}

static const struct psctl_opt move_o[] = {
	{ "to", "TARGET", "the store it goes to: image:PATH or dev:DEVICE",
	  NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct psctl_cmd psctl_vm_move_cmds[] = {
	{ "vm", "move", cmd_move, "VM --to TARGET",
	  "move a VM object (definition, identity, serial mappings with "
	  "their concentrator ports) to another store", move_o,
	  PSCTL_KIND(PS_OBJ_VM), 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
};
