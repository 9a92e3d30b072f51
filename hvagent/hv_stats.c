/*
 * hv_stats.c - a pass's stats (hv.h, struct hv_stats): libvirt calls
 * counted by outcome, the VMs of the failures named, and the three forms
 * they are printed in: the pass line of the log, `--stats` (key=value)
 * and `--stats --json` (docs/psctl-output.schema.json, "hvagent stats").
 */
#include <string.h>

#include "hv.h"

/* The output contract's version (psctl's PSCTL_JSON_VERSION: one
 * contract, docs/psctl.1.md JSON OUTPUT). */
#define HV_JSON_VERSION 1

void hv_stats_failed(struct hv_stats *st, unsigned *counter, const char *vm)
{
	char *l = st->failed_vms;
	size_t n = strlen(l), k = strlen(vm), i;

	++*counter;
	/* Each VM once: "a b c" holds vm as a whole word? */
	for (i = 0; i + k <= n; i++)
		if (!strncmp(l + i, vm, k) && (i == 0 || l[i - 1] == ' ') &&
		    (l[i + k] == ' ' || !l[i + k]))
			return;
	if (n >= 3 && !strcmp(l + n - 3, "..."))
		return;
	if (n + !!n + k + 4 > sizeof st->failed_vms) {
		snprintf(l + n, sizeof st->failed_vms - n, "%s...",
			 n ? " " : "");
		return;
	}
	snprintf(l + n, sizeof st->failed_vms - n, "%s%s", n ? " " : "", vm);
}

static void add_names(struct hv_stats *sum, const char *names)
{
	char one[PS_CFG_NAME_MAX + 4];
	unsigned dummy = 0;
	size_t k;

	while (*names) {
		k = strcspn(names, " ");
		if (k && k < sizeof one) {
			memcpy(one, names, k);
			one[k] = 0;
			hv_stats_failed(sum, &dummy, one);
		}
		names += k + (names[k] == ' ');
	}
}

/* The counters of libvirt calls, summed over a pass's attempts. */
#define HV_CALLS(X)                                                         \
	X(defines) X(undefines) X(renames) X(destroys) X(starts)            \
	X(autostarts) X(define_failures) X(undefine_failures)               \
	X(rename_failures) X(destroy_failures) X(start_failures)            \
	X(autostart_failures)

void hv_stats_add(struct hv_stats *sum, const struct hv_stats *a)
{
#define ADD(f) sum->f += a->f;
	HV_CALLS(ADD)
#undef ADD
	add_names(sum, a->failed_vms);
}

void hv_stats_set_calls(struct hv_stats *st, const struct hv_stats *calls)
{
#define SET(f) st->f = calls->f;
	HV_CALLS(SET)
#undef SET
	memcpy(st->failed_vms, calls->failed_vms, sizeof st->failed_vms);
}

/* " (N failed)" after a count, when some failed. */
static const char *failed(unsigned f, char *b, size_t n)
{
	b[0] = 0;
	if (f)
		snprintf(b, n, " (%u failed)", f);
	return b;
}

void hv_stats_line(const struct hv_stats *st, double seconds, char *out,
		   size_t n)
{
	char fd[24], fu[24], fs[24], more[160] = "";
	size_t k = 0;

	if (st->rename_failures || st->autostart_failures ||
	    st->destroy_failures)
		snprintf(more, sizeof more, ", %u renames, %u autostart "
			 "changes, %u destroys failed", st->rename_failures,
			 st->autostart_failures, st->destroy_failures);
	k = (size_t)snprintf(out, n, "%u VMs, %u defined%s, %u undefined%s, "
			     "%u fields to libvirt, %u to the store, %u "
			     "conflicts, %u refused, %u errors, %u started%s"
			     "%s, %u commits (%u retries), %llu sectors "
			     "written, %.3f s", st->vms, st->defines,
			     failed(st->define_failures, fd, sizeof fd),
			     st->undefines,
			     failed(st->undefine_failures, fu, sizeof fu),
			     st->pushed, st->pulled, st->conflicts,
			     st->refused, st->errors, st->starts,
			     failed(st->start_failures, fs, sizeof fs), more,
			     st->commits, st->retries,
			     (unsigned long long)st->sectors_written, seconds);
	if (st->failed_vms[0] && k < n)
		snprintf(out + k, n - k, "; failed: %s", st->failed_vms);
}

/* The counters, in the order --stats prints them. */
#define HV_STATS_U(X)                                                       \
	X("vms", vms) X("defines", defines)                                 \
	X("define_failures", define_failures) X("undefines", undefines)     \
	X("undefine_failures", undefine_failures) X("renames", renames)     \
	X("rename_failures", rename_failures) X("autostarts", autostarts)   \
	X("autostart_failures", autostart_failures) X("starts", starts)     \
	X("start_failures", start_failures) X("pushed", pushed)             \
	X("pulled", pulled) X("conflicts", conflicts) X("refused", refused) \
	X("errors", errors) X("store_creates", store_creates)               \
	X("store_deletes", store_deletes) X("commits", commits)             \
	X("retries", retries) X("moves", moves) X("destroys", destroys)     \
	X("destroy_failures", destroy_failures)

/* ", \"KEY\": " with the key spelt as psctl's JSON members are
 * ("store-creates"), not as --stats' key=value ("store_creates"). */
static void json_key(FILE *o, const char *k)
{
	fputs(", \"", o);
	for (; *k; k++)
		fputc(*k == '_' ? '-' : *k, o);
	fputs("\": ", o);
}

void hv_stats_print(FILE *o, const struct hv_stats *st, double seconds,
		    int json)
{
	const char *sep = "";
	const char *v, *e;

	if (!json) {
#define KV(k, f) fprintf(o, "%s%s=%u", sep, k, st->f), sep = " ";
		HV_STATS_U(KV)
#undef KV
		fprintf(o, " sectors_written=%llu failed_vms=%s\n",
			(unsigned long long)st->sectors_written,
			st->failed_vms[0] ? st->failed_vms : "-");
		return;
	}
	/* VM names are 1-64 of A-Za-z0-9._- (ps_check_name): nothing in
	 * them needs escaping in a JSON string. */
	fprintf(o, "{\"pstate-json\": %d, \"command\": \"hvagent stats\", "
		"\"boot\": %s", HV_JSON_VERSION, st->boot ? "true" : "false");
#define KV(k, f) json_key(o, k), fprintf(o, "%u", st->f);
	HV_STATS_U(KV)
#undef KV
	fprintf(o, ", \"sectors-written\": %llu, \"seconds\": %.3f, "
		"\"failed-vms\": [", (unsigned long long)st->sectors_written,
		seconds);
	for (v = st->failed_vms; *v; v = e + (*e == ' ')) {
		e = v + strcspn(v, " ");
		fprintf(o, "%s\"%.*s\"", v == st->failed_vms ? "" : ", ",
			(int)(e - v), v);
	}
	fputs("]}\n", o);
}
