/*
 * psctl console: one concentrator port as a row of `console list` and as
 * its JSON object (docs/psctl.1.md "console list"; the fields are the
 * ones the service's PORT reply carries, docs/console.md).
 */
#include <stdio.h>
#include <string.h>

#include "con_proto.h"
#include "psctl_console.h"
#include "psctl_jsonw.h"

void psctl_con_port_json(void *arg, const struct con_port_info *pi)
{
	struct psctl_jw *w = arg;
	unsigned i;

	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "hostname");
	psctl_jw_str(w, pi->host);
	psctl_jw_key(w, "vm");
	psctl_jw_str(w, pi->vm);
	psctl_jw_key(w, "concentrator");
	psctl_jw_uint(w, pi->conc);
	psctl_jw_key(w, "mode");
	psctl_jw_str(w, con_mode_name(pi->mode) ? con_mode_name(pi->mode)
		     : "unknown");
	psctl_jw_key(w, "guest");
	psctl_jw_bool(w, (int)pi->guest);
	psctl_jw_key(w, "output_bytes");
	psctl_jw_uint(w, pi->out_total);
	psctl_jw_key(w, "writer");
	if (pi->writer == CON_NOBODY)
		psctl_jw_null(w);
	else
		psctl_jw_uint(w, pi->writer);
	psctl_jw_key(w, "users");
	psctl_jw_arr(w, 0);
	for (i = 0; i < pi->nusers; i++) {
		psctl_jw_obj(w, 0);
		psctl_jw_key(w, "uid");
		psctl_jw_uint(w, pi->uid[i]);
		psctl_jw_key(w, "access");
		psctl_jw_str(w, pi->how[i] == CON_SPY ? "spy" : "rw");
		psctl_jw_end(w);
	}
	psctl_jw_end(w);
	psctl_jw_key(w, "faults");
	psctl_jw_uint(w, pi->faults);
	psctl_jw_key(w, "last_fault");
	if (pi->fault[0])
		psctl_jw_str(w, pi->fault);
	else
		psctl_jw_null(w);
	psctl_jw_key(w, "store");
	if (pi->store[0])
		psctl_jw_str(w, pi->store);
	else
		psctl_jw_null(w);
	psctl_jw_key(w, "leaving");
	psctl_jw_bool(w, !!(pi->flags & CON_PORT_LEAVING));
	psctl_jw_key(w, "claims");
	psctl_jw_arr(w, 0);
	for (i = 0; i < pi->nclaims; i++) {
		psctl_jw_obj(w, 0);
		psctl_jw_key(w, "kind");
		psctl_jw_str(w, pi->claim[i].kind == CON_CLAIM_MOVE ? "move"
			     : "clash");
		psctl_jw_key(w, "store");
		psctl_jw_str(w, pi->claim[i].store);
		psctl_jw_key(w, "vm");
		psctl_jw_str(w, pi->claim[i].vm);
		psctl_jw_end(w);
	}
	psctl_jw_end(w);
	psctl_jw_end(w);
}

void psctl_con_port_text(void *arg, const struct con_port_info *pi)
{
	FILE *o = arg;
	unsigned i;
	const char *nl;

	fprintf(o, "%-20s %-12s %5u %-8s %-5s ", pi->host[0] ? pi->host : "-",
		pi->vm, pi->conc, con_mode_name(pi->mode)
		? con_mode_name(pi->mode) : "?", pi->guest ? "up" : "down");
	if (pi->writer == CON_NOBODY)
		fputs("-", o);
	else
		fprintf(o, "%u", pi->writer);
	fputs(" ", o);
	for (i = 0; i < pi->nusers; i++)
		fprintf(o, "%s%u%s", i ? "," : "", pi->uid[i],
			pi->how[i] == CON_SPY ? "(spy)" : "");
	if (!pi->nusers)
		fputs("-", o);
	fprintf(o, " %s%s %u", pi->store[0] ? pi->store : "-",
		pi->flags & CON_PORT_LEAVING ? "(leaving)" : "", pi->faults);
	if (pi->fault[0]) {
		nl = strchr(pi->fault, '@');
		fprintf(o, " %.*s", nl ? (int)(nl - pi->fault) : 32,
			pi->fault);
	}
	fputc('\n', o);
	/* Claims the port does not serve, one line each under it. */
	for (i = 0; i < pi->nclaims; i++)
		fprintf(o, "  %s: store %s, vm %s\n",
			pi->claim[i].kind == CON_CLAIM_MOVE
			? "also mapped (a move)" : "clash, refused",
			pi->claim[i].store, pi->claim[i].vm);
}
