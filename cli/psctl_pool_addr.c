/*
 * psctl_pool_addr.c - address pools and spare pools (docs/pool.md):
 *
 *   pool create NAME --kind mac|wwn|uuid|serial --first ID --last ID
 *   pool list | show NAME | delete NAME
 *   pool allocate NAME [--count N] [--for PROFILE]   Unused -> Reserved
 *   pool reserve NAME ID [--for PROFILE]             Unused -> Reserved
 *   pool release NAME ID                             Reserved -> Unused
 *   pool reclaim NAME        reservations of profiles gone -> Unused
 *   spare-pool create NAME MEMBER... | list | delete NAME
 *
 * The records live under POOL_STATE in the pool's store (psf_schema.h);
 * every command reads and edits them there, so the file pool and the etcd
 * pool (which lays its keys out as such a store, psctl_pool.c, and turns
 * the edit into one transaction, psctl_pool_txn.c) run this same code.
 * The rules are the library's (pstate/ps_pool.h).  Every decision is made inside the
 * edit function, on the store as the edit sees it: an edit that loses a
 * race runs again on the new pool and picks again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_pool_ids.h"
#include "psctl_pool_addr.h"
#include "psctl_pool_index.h"

/* ------------------------------------------------------------ commands */


struct pa_args {
	const char *name, *kind, *first, *last, *id, *holder;
	long count;
	/* results */
	char ids[64][IDP_TEXT_MAX];
	size_t nids;
	uint64_t reclaimed;
	struct ps_pool_range r;
};

static int opt_val(struct psctl_ctx *c, const char *cmd, int argc,
		   char **argv, int *i, const char **out)
{
	if (*i + 1 >= argc)
		return psctl_error(c, cmd, NULL, argv[*i], PSCTL_EXIT_USAGE,
				   "needs a value");
	*out = argv[++*i];
	return 0;
}

/* Positional words into pos (up to want), options into a. */
static int parse(struct psctl_ctx *c, const char *cmd, int argc, char **argv,
		 const char **pos, int want, struct pa_args *a,
		 const char *usage)
{
	const char *cnt = NULL;
	int i, n = 0, rc = 0;

	memset(a, 0, sizeof *a);
	a->count = 1;
	for (i = 1; !rc && i < argc; i++) {
		if (!strcmp(argv[i], "--kind"))
			rc = opt_val(c, cmd, argc, argv, &i, &a->kind);
		else if (!strcmp(argv[i], "--first"))
			rc = opt_val(c, cmd, argc, argv, &i, &a->first);
		else if (!strcmp(argv[i], "--last"))
			rc = opt_val(c, cmd, argc, argv, &i, &a->last);
		else if (!strcmp(argv[i], "--for"))
			rc = opt_val(c, cmd, argc, argv, &i, &a->holder);
		else if (!strcmp(argv[i], "--count"))
			rc = opt_val(c, cmd, argc, argv, &i, &cnt);
		else if (argv[i][0] == '-' || n == want)
			return psctl_error(c, cmd, NULL, argv[i],
					   PSCTL_EXIT_USAGE, "usage: %s %s",
					   cmd, usage);
		else
			pos[n++] = argv[i];
	}
	if (rc)
		return rc;
	if (n != want)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s %s", cmd, usage);
	if (cnt) {
		char *e;

		a->count = strtol(cnt, &e, 10);
		if (*e || a->count < 1 || a->count > 64)
			return psctl_error(c, cmd, "count", cnt,
					   PSCTL_EXIT_INVALID, "a number from "
					   "1 to 64");
	}
	if (a->holder && ps_check_name(a->holder, strlen(a->holder), NULL))
		return psctl_error(c, cmd, "for", a->holder,
				   PSCTL_EXIT_INVALID, "not a profile name");
	a->name = want ? pos[0] : NULL;
	return 0;
}

/* An edit function's refusal: reported, then its library code (which
 * psctl_edit turns into the exit code). */
static int efail(struct psctl_ctx *c, const char *cmd, const char *field,
		 const char *value, int code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int efail(struct psctl_ctx *c, const char *cmd, const char *field,
		 const char *value, int code, const char *fmt, ...)
{
	char m[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	psctl_error(c, cmd, field, value, code, "%s", m);
	return code;
}

static int no_range(struct psctl_ctx *c, const char *cmd, const char *name)
{
	return efail(c, cmd, "range", name, PSF_ERR_NOTFOUND,
		     "no such address pool");
}

/* parse, then the edit: the shape of every editing pool command. */
static int edit_cmd(struct psctl_ctx *c, const char *cmd, int argc,
		    char **argv, int want, const char *usage, psctl_edit_fn fn,
		    struct pa_args *a, int scope)
{
	const char *pos[2] = { NULL, NULL };
	int rc = parse(c, cmd, argc, argv, pos, want, a, usage);

	a->id = pos[1];
	if (rc)
		return rc;
	/* The etcd pool: the keys this command needs, not all. */
	psctl_pool_scope_addr(c, scope, a->name, a->id);
	return psctl_edit(c, fn, a);
}

/* --- create */

static int create_edit(struct psctl_ctx *c, void *buf, size_t cap,
		       void *arg)
{
	struct pa_args *a = arg;
	char t[PA_REC_MAX], why[PS_POOL_WHY_MAX];
	int el;

	switch (ps_pool_range_clash(buf, &a->r, -1, 0, &el, why, sizeof why)) {
	case 1:
		return efail(c, "pool create", "range", a->r.name,
			     PS_ERR_DUPLICATE, "an address pool has that name");
	case 2:
		return efail(c, "pool create", "range", a->r.name,
			     PS_ERR_DUPLICATE, "%s; nothing written", why);
	}
	ps_pool_range_text(&a->r, t, sizeof t);
	return pa_put_rec(buf, cap, PSF_POOL_RANGE, t);
}

static int cmd_create(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = "pool create", *pos[1];
	struct pa_args a;
	char why[300];
	int rc = parse(c, cmd, argc, argv, pos, 1, &a, "RANGE --kind "
		       "mac|wwn|uuid|serial --first ID --last ID");

	if (rc)
		return rc;
	if (!a.kind || !a.first || !a.last)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s RANGE --kind mac|wwn|uuid|serial "
				   "--first ID --last ID", cmd);
	if (ps_pool_range_make(&a.r, a.name, a.kind, a.first, a.last, why,
			       sizeof why))
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_INVALID,
				   "%s; nothing written", why);
	psctl_pool_scope_addr(c, PA_ALL, NULL, NULL);
	rc = psctl_edit(c, create_edit, &a);
	if (!rc)
		psctl_confirm(c, "address pool '%s' created: %s %llu "
			      "identifiers", a.name, ps_pool_kind_name(a.r.kind),
			      (unsigned long long)ps_pool_size(&a.r));
	return rc;
}

/* --- list, show */

static void json_range(struct psctl_jw *w, const struct ps_pool_range *r,
		       const struct inrange *s)
{
	char a[IDP_TEXT_MAX], b[IDP_TEXT_MAX];
	uint64_t res, asg, size = ps_pool_size(r);

	pa_counts(s, &res, &asg);
	ps_pool_id_fmt(r, r->first, a, sizeof a);
	ps_pool_id_fmt(r, r->last, b, sizeof b);
	psctl_jw_key(w, "name");
	psctl_jw_str(w, r->name);
	psctl_jw_key(w, "kind");
	psctl_jw_str(w, ps_pool_kind_name(r->kind));
	psctl_jw_key(w, "first");
	psctl_jw_str(w, a);
	psctl_jw_key(w, "last");
	psctl_jw_str(w, b);
	psctl_jw_key(w, "size");
	psctl_jw_uint(w, size);
	psctl_jw_key(w, "unused");
	psctl_jw_uint(w, size - res - asg);
	psctl_jw_key(w, "reserved");
	psctl_jw_uint(w, res);
	psctl_jw_key(w, "assigned");
	psctl_jw_uint(w, asg);
}

static void text_range(FILE *o, const struct ps_pool_range *r,
		       const struct inrange *s)
{
	char a[IDP_TEXT_MAX], b[IDP_TEXT_MAX];
	uint64_t res, asg, size = ps_pool_size(r);

	pa_counts(s, &res, &asg);
	ps_pool_id_fmt(r, r->first, a, sizeof a);
	ps_pool_id_fmt(r, r->last, b, sizeof b);
	fprintf(o, "%-12s %-6s %s - %s  unused %llu  reserved %llu  assigned "
		"%llu\n", r->name, ps_pool_kind_name(r->kind), a, b,
		(unsigned long long)(size - res - asg),
		(unsigned long long)res, (unsigned long long)asg);
}

static int cmd_list(struct psctl_ctx *c, int argc, char **argv)
{
	const void *buf;
	uint32_t len;
	struct psctl_jw w;
	struct ps_pool_range r;
	struct inrange s;
	char why[PS_POOL_WHY_MAX];
	const char *t;
	uint32_t tn;
	int rc, st, el;

	if (argc > 1)
		return psctl_error(c, "pool list", NULL, argv[1],
				   PSCTL_EXIT_USAGE, "usage: pool list");
	psctl_pool_scope_addr(c, PA_LIST, NULL, NULL);
	rc = psctl_need_store(c);

	if (rc)
		return rc;
	buf = psctl_store_data(c, &len);
	st = pa_state(buf);
	if (c->json) {
		psctl_jw_doc(&w, c->out, "pool list", 0);
		psctl_jw_key(&w, "items");
		psctl_jw_arr(&w, 1);
	}
	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_RANGE);
	     !rc && el >= 0; el = psf_find_next(buf, st, el, PSF_POOL_RANGE)) {
		t = psf_payload(buf, el, &tn);
		if (!t || ps_pool_range_rec(t, tn, &r, why, sizeof why))
			continue;
		rc = pa_collect(buf, &r, &s);
		if (!rc && c->json) {
			psctl_jw_obj(&w, 0);
			json_range(&w, &r, &s);
			psctl_jw_end(&w);
		} else if (!rc) {
			text_range(c->out, &r, &s);
		}
		free(s.h);
	}
	if (c->json)
		psctl_jw_doc_end(&w);
	return rc ? psctl_error(c, "pool list", NULL, NULL, rc, NULL) : 0;
}

static int cmd_show(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = "pool show", *pos[1];
	struct pa_args a;
	struct inrange s;
	struct psctl_jw w;
	const void *buf;
	uint32_t len;
	size_t i;
	char t[IDP_TEXT_MAX];
	int rc = parse(c, cmd, argc, argv, pos, 1, &a, "RANGE");

	if (!rc)
		psctl_pool_scope_addr(c, PA_SPANS, a.name, NULL);
	if (!rc)
		rc = psctl_need_store(c);
	if (rc)
		return rc;
	buf = psctl_store_data(c, &len);
	if (pa_find_range(buf, a.name, &a.r) < 0)
		return psctl_exit_for(no_range(c, cmd, a.name));
	rc = pa_collect(buf, &a.r, &s);
	if (rc)
		return psctl_error(c, cmd, NULL, NULL, rc, NULL);
	if (c->json) {
		psctl_jw_doc(&w, c->out, cmd, 0);
		psctl_jw_key(&w, "item");
		psctl_jw_obj(&w, 0);
		json_range(&w, &a.r, &s);
		psctl_jw_key(&w, "identifiers");
		psctl_jw_arr(&w, 1);
	} else {
		text_range(c->out, &a.r, &s);
	}
	for (i = 0; i < s.n; i++) {
		ps_pool_id_fmt(&a.r, s.h[i].v, t, sizeof t);
		if (!c->json) {
			fprintf(c->out, "  %-24s %-9s %s\n", t,
				s.h[i].assigned ? "assigned" : "reserved",
				s.h[i].holder);
			continue;
		}
		psctl_jw_obj(&w, 0);
		psctl_jw_key(&w, "id");
		psctl_jw_str(&w, t);
		psctl_jw_key(&w, "state");
		psctl_jw_str(&w, s.h[i].assigned ? "assigned" : "reserved");
		psctl_jw_key(&w, "holder");
		psctl_jw_str_or_null(&w, strcmp(s.h[i].holder, "-")
					     ? s.h[i].holder : "");
		psctl_jw_end(&w);
	}
	if (c->json)
		psctl_jw_doc_end(&w);
	free(s.h);
	return 0;
}

/* --- delete */

static int delete_edit(struct psctl_ctx *c, void *buf, size_t cap,
		       void *arg)
{
	struct pa_args *a = arg;
	struct inrange s;
	uint64_t res, asg;
	int el = pa_find_range(buf, a->name, &a->r), rc;

	(void)cap;
	if (el < 0)
		return no_range(c, "pool delete", a->name);
	rc = pa_collect(buf, &a->r, &s);
	pa_counts(&s, &res, &asg);
	free(s.h);
	if (rc)
		return rc;
	if (res)
		return efail(c, "pool delete", "range", a->name,
				   PS_ERR_INUSE, "%llu identifiers are "
				   "reserved: release or reclaim them first; "
				   "nothing written", (unsigned long long)res);
	return psf_delete(buf, el);
}

static int cmd_delete(struct psctl_ctx *c, int argc, char **argv)
{
	struct pa_args a;
	int rc = edit_cmd(c, "pool delete", argc, argv, 1, "RANGE",
			  delete_edit, &a, PA_RESV);

	if (!rc)
		psctl_confirm(c, "address pool '%s' deleted", a.name);
	return rc;
}

/* --- allocate, reserve */

static int resv_put(void *buf, size_t cap, const struct ps_pool_range *r,
		    struct ps_pool_id v, const char *holder, char *out)
{
	char t[PA_REC_MAX];

	ps_pool_id_fmt(r, v, out, IDP_TEXT_MAX);
	ps_pool_resv_text(r->kind, out, holder, t, sizeof t);
	return pa_put_rec(buf, cap, PSF_POOL_RESV, t);
}

static int alloc_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	struct pa_args *a = arg;
	struct inrange s;
	struct ps_pool_id v;
	int rc, more = 1;

	a->nids = 0;
	if (pa_find_range(buf, a->name, &a->r) < 0)
		return no_range(c, "pool allocate", a->name);
	rc = pa_collect(buf, &a->r, &s);
	/* The lowest Unused first: a range fills from its start. */
	for (v = a->r.first; !rc && more && a->nids < (size_t)a->count;
	     more = ps_pool_next(&a->r, &v)) {
		if (pa_lookup(&s, v))
			continue;
		rc = resv_put(buf, cap, &a->r, v, a->holder,
			      a->ids[a->nids]);
		a->nids += !rc;
	}
	free(s.h);
	if (!rc && a->nids < (size_t)a->count)
		return efail(c, "pool allocate", "range", a->name,
				   PS_ERR_INUSE, "only %zu unused identifiers "
				   "(%ld asked); nothing written", a->nids,
				   a->count);
	return rc;
}

static void print_ids(struct psctl_ctx *c, const char *cmd,
		      const struct pa_args *a)
{
	struct psctl_jw w;
	size_t i;

	if (c->dry_run)
		return;
	if (!c->json) {
		for (i = 0; i < a->nids; i++)
			fprintf(c->out, "%s\n", a->ids[i]);
		return;
	}
	psctl_jw_doc(&w, c->out, cmd, 0);
	psctl_jw_key(&w, "range");
	psctl_jw_str(&w, a->name);
	psctl_jw_key(&w, "kind");
	psctl_jw_str(&w, ps_pool_kind_name(a->r.kind));
	psctl_jw_key(&w, "holder");
	psctl_jw_str_or_null(&w, a->holder ? a->holder : "");
	psctl_jw_key(&w, "items");
	psctl_jw_arr(&w, 0);
	for (i = 0; i < a->nids; i++)
		psctl_jw_str(&w, a->ids[i]);
	psctl_jw_doc_end(&w);
}

static int cmd_allocate(struct psctl_ctx *c, int argc, char **argv)
{
	struct pa_args a;
	int rc = edit_cmd(c, "pool allocate", argc, argv, 1,
			  "RANGE [--count N] [--for PROFILE]", alloc_edit, &a,
			  PA_SPANS);

	if (!rc)
		print_ids(c, "pool allocate", &a);
	return rc;
}

/* The identifier ID of range a->name: its value and what holds it. */
static int one_id(struct psctl_ctx *c, const char *cmd, const void *buf,
		  struct pa_args *a, struct ps_pool_id *v, struct held *h)
{
	struct inrange s;
	const struct held *f;
	int rc;

	if (pa_find_range(buf, a->name, &a->r) < 0)
		return no_range(c, cmd, a->name);
	if (!ps_pool_contains(&a->r, (int)a->r.kind, a->id, strlen(a->id), v))
		return efail(c, cmd, ps_pool_kind_name(a->r.kind), a->id,
				   PS_ERR_BADVALUE, "not an identifier "
				   "of address pool '%s'", a->name);
	rc = pa_collect(buf, &a->r, &s);
	f = rc ? NULL : pa_lookup(&s, *v);
	if (f)
		*h = *f;
	else
		h->el = -2;               /* Unused */
	free(s.h);
	return rc;
}

static int reserve_edit(struct psctl_ctx *c, void *buf, size_t cap,
			void *arg)
{
	struct pa_args *a = arg;
	struct held h;
	struct ps_pool_id v;
	int rc = one_id(c, "pool reserve", buf, a, &v, &h);

	if (rc)
		return rc;
	if (h.el != -2)
		return efail(c, "pool reserve", ps_pool_kind_name(a->r.kind),
				   a->id, PS_ERR_INUSE, "%s profile '%s'; nothing written",
				   h.assigned ? "assigned to"
				   : "already reserved for", h.holder);
	a->nids = 1;
	return resv_put(buf, cap, &a->r, v, a->holder, a->ids[0]);
}

static int cmd_reserve(struct psctl_ctx *c, int argc, char **argv)
{
	struct pa_args a;
	int rc = edit_cmd(c, "pool reserve", argc, argv, 2,
			  "RANGE ID [--for PROFILE]", reserve_edit, &a,
			  PA_ONE_ID);

	if (!rc)
		psctl_confirm(c, "%s reserved in address pool '%s'", a.ids[0],
			      a.name);
	return rc;
}

/* --- release, reclaim */

static int release_edit(struct psctl_ctx *c, void *buf, size_t cap,
			void *arg)
{
	struct pa_args *a = arg;
	struct held h;
	struct ps_pool_id v;
	int rc = one_id(c, "pool release", buf, a, &v, &h);

	(void)cap;
	if (rc)
		return rc;
	if (h.el == -2)
		return efail(c, "pool release", ps_pool_kind_name(a->r.kind),
				   a->id, PSF_ERR_NOTFOUND, "not reserved "
				   "(unused); nothing written");
	if (h.assigned)
		return efail(c, "pool release", ps_pool_kind_name(a->r.kind),
				   a->id, PS_ERR_INUSE, "assigned to profile "
				   "'%s': take it off the profile first; "
				   "nothing written", h.holder);
	return psf_delete(buf, h.el);
}

static int cmd_release(struct psctl_ctx *c, int argc, char **argv)
{
	struct pa_args a;
	int rc = edit_cmd(c, "pool release", argc, argv, 2, "RANGE ID",
			  release_edit, &a, PA_ONE_ID);

	if (!rc)
		psctl_confirm(c, "%s released in address pool '%s'", a.id,
			      a.name);
	return rc;
}

/* A reservation ends when its profile holds the identifier (Assigned,
 * from the profile itself now) or when its profile is gone; a
 * reservation for no profile ("-") stays until released. */
static int reclaim_edit(struct psctl_ctx *c, void *buf, size_t cap,
			void *arg)
{
	struct pa_args *a = arg;
	struct inrange s;
	size_t i;
	int rc, *dead = NULL, nd = 0;

	(void)cap;
	a->reclaimed = 0;
	if (pa_find_range(buf, a->name, &a->r) < 0)
		return no_range(c, "pool reclaim", a->name);
	rc = pa_collect(buf, &a->r, &s);
	if (!rc && s.n && !(dead = calloc(s.n, sizeof *dead)))
		rc = PS_ERR_NOMEM;
	for (i = 0; !rc && i < s.n; i++) {
		const struct held *h = &s.h[i];

		if (h->el < 0)
			continue;
		if (h->assigned || (strcmp(h->holder, "-") &&
				    ps_obj_find(buf, psf_root(buf),
						PS_OBJ_PROFILE, h->holder,
						strlen(h->holder)) < 0))
			dead[nd++] = h->el;
	}
	/* Deleting moves later elements: from the last offset down. */
	while (!rc && nd > 0) {
		int j, hi = 0;

		for (j = 1; j < nd; j++)
			hi = dead[j] > dead[hi] ? j : hi;
		rc = psf_delete(buf, dead[hi]);
		dead[hi] = dead[--nd];
		a->reclaimed++;
	}
	free(dead);
	free(s.h);
	return rc;
}

static int cmd_reclaim(struct psctl_ctx *c, int argc, char **argv)
{
	struct pa_args a;
	int rc = edit_cmd(c, "pool reclaim", argc, argv, 1, "RANGE",
			  reclaim_edit, &a, PA_RECLAIM);

	if (!rc && !c->dry_run)
		fprintf(c->out, "address pool '%s': %llu reservation%s "
			"ended\n", a.name, (unsigned long long)a.reclaimed,
			a.reclaimed == 1 ? "" : "s");
	return rc;
}

static const struct psctl_opt create_o[] = {
	{ "kind", "KIND", "mac, wwn, uuid or serial", ps_pool_kinds },
	{ "first", "ID", "the range's first identifier", NULL },
	{ "last", "ID", "the range's last identifier", NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct psctl_opt alloc_o[] = {
	{ "count", "N", "how many identifiers (1-64, default 1)", NULL },
	{ "for", "PROFILE", "the profile they are reserved for", NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct psctl_cmd psctl_pool_cmds[] = {
	{ "pool", "create", cmd_create, "RANGE --kind KIND --first ID --last ID",
	  "an address pool: a range of MACs, WWNs, UUIDs or serials (never "
	  "overlapping another)", create_o, 0, 0 },
	{ "pool", "list", cmd_list, "",
	  "address pools with their unused, reserved and assigned counts",
	  NULL, 0, 0 },
	{ "pool", "show", cmd_show, "RANGE",
	  "an address pool and each reserved or assigned identifier", NULL, 0,
	  0 },
	{ "pool", "delete", cmd_delete, "RANGE",
	  "delete an address pool with nothing reserved", NULL, 0, 0 },
	{ "pool", "allocate", cmd_allocate, "RANGE [--count N] [--for PROFILE]",
	  "reserve the lowest unused identifiers and print them", alloc_o, 0,
	  0 },
	{ "pool", "reserve", cmd_reserve, "RANGE ID [--for PROFILE]",
	  "reserve one unused identifier", alloc_o + 1, 0, 0 },
	{ "pool", "release", cmd_release, "RANGE ID",
	  "a reserved identifier becomes unused", NULL, 0, 0 },
	{ "pool", "reclaim", cmd_reclaim, "RANGE",
	  "end reservations whose profile holds them or is gone", NULL, 0, 0 },
	{ "pool", "check", psctl_pool_check, "",
	  "the pool's records against every target store it reaches (and "
	  "etcd's keys); exit 1 on a disagreement", NULL, 0, 0 },
	{ "pool", "reindex", psctl_pool_reindex, "",
	  "etcd: build the profile list index from the profile keys",
	  NULL, 0, 0 },
	{ "pool", "export", psctl_pool_export, "FILE",
	  "the pool's profiles, servers, address and spare pools as text "
	  "(for pool import into another pool)", NULL, 0, 0 },
	{ "pool", "import", psctl_pool_import, "FILE",
	  "replace the pool's profiles, servers, address and spare pools by "
	  "FILE's (checked whole first)", NULL, 0, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
};
