/*
 * psctl_help.c - help for every command and "did you mean", generated
 * from the command tables (psctl.c, psctl_cmds.c, ...) and the edit
 * layer's field table (ps_obj_fields): a field's type, unit, range,
 * allowed words and help line are written once, there.  A field's
 * default is read from an object made in a scratch store, so it is the
 * default ps_obj_create really gives.  The check that every --WORD of a
 * command is one of its fields or options (psctl_check_options) and the
 * global options' table live here too.  Completion is in
 * psctl_complete.c; both read the placeholders of a command's args (VM,
 * NAME, FILE, ...) through psctl_place().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "psctl.h"
#include "psctl_help.h"
#include "psctl_main.h"

/* ------------------------------------------------------------ placeholders */

/* What the capital words of the args strings are, and what completes
 * them.  NAME and PORT are the command's own object (psctl_place_what). */
static const struct psctl_place places[] = {
	{ "VM", "a VM's name", PSCTL_SRC_KIND + PS_OBJ_VM },
	{ "NAME", NULL, PSCTL_SRC_KEY },
	{ "PORT", NULL, PSCTL_SRC_KEY },
	{ "PROFILE", "a profile's name", PSCTL_SRC_KIND + PS_OBJ_PROFILE },
	{ "TARGET", "where it goes: a server's name, SERVER#VM, "
	  "bmc://HOST[:PORT], image:PATH[#VM], dev:DEVICE, or a VM's name",
	  PSCTL_SRC_TARGET },
	{ "FAILED", "the failed target (as TARGET)", PSCTL_SRC_TARGET },
	{ "SPARE", "the target that takes over (as TARGET)",
	  PSCTL_SRC_TARGET },
	{ "RANGE", "an address pool's name (psctl pool list)",
	  PSCTL_SRC_RANGE },
	{ "ID", "an identifier of the address pool's kind: a MAC, a WWN, a "
	  "UUID or a serial", PSCTL_SRC_NONE },
	{ "SPARE-POOL", "a spare pool's name (psctl spare-pool list)",
	  PSCTL_SRC_SPARES },
	{ "MEMBER", "a spare the pool offers (as TARGET)", PSCTL_SRC_TARGET },
	{ "FILE", "a file; - is standard input or output", PSCTL_SRC_FILE },
	{ "DEV", "a block device", PSCTL_SRC_FILE },
	{ "COUNT", "how many", PSCTL_SRC_NONE },
	{ "NOUN", "one of the nouns (psctl help)", PSCTL_SRC_NOUN },
	{ "VERB", "one of the noun's verbs", PSCTL_SRC_VERB },
	{ "COMMAND", "a store command", PSCTL_SRC_NOUN },
	{ NULL, NULL, PSCTL_SRC_NONE },
};

const struct psctl_place *psctl_place(const char *w, size_t n)
{
	const struct psctl_place *p;

	if (n > 3 && !strncmp(w + n - 3, "...", 3))
		n -= 3;           /* MEMBER...: one or more MEMBERs */
	for (p = places; p->word; p++)
		if (strlen(p->word) == n && !strncmp(p->word, w, n))
			return p;
	return NULL;
}

/* Verbs that make the object NAME / PORT names: nothing to complete. */
int psctl_makes_key(const struct psctl_cmd *cmd)
{
	return !strcmp(cmd->verb, "create") || !strcmp(cmd->verb, "add") ||
	       !strcmp(cmd->verb, "map");
}

int psctl_cmd_kind(const struct psctl_cmd *cmd)
{
	return cmd->kind - 1;
}

/*
 * The positional words of one form of args: form (0-based) of the forms
 * separated by " | " at bracket depth 0, its word number pos; a word in
 * [..] alone ("[VM]") counts, option groups ("[--x N]") do not.  Returns
 * the word's length and sets *w, or 0 when there is none.
 */
size_t psctl_arg_word(const char *args, int form, int pos, const char **w,
		      int *optional)
{
	const char *s = args ? args : "";
	int depth = 0, f = 0, p = 0, value = 0;

	while (*s) {
		size_t n = strcspn(s, " ");
		const char *word = s;
		int opt = 0;

		s += n + (s[n] == ' ');
		if (depth == 0 && n == 1 && word[0] == '|') {
			f++, p = 0;
			continue;
		}
		/* "--concentrator N": N is the option's value. */
		if (value && !(value = 0) && word[0] >= 'A' && word[0] <= 'Z')
			continue;
		value = depth == 0 && word[0] == '-';
		if (depth == 0 && word[0] == '[' && word[n - 1] == ']' &&
		    word[1] != '-' && word[1] != '.') {
			word++, n -= 2, opt = 1;
		} else {
			int was = depth;
			size_t i;

			for (i = 0; i < n; i++)
				depth += word[i] == '[' ? 1
					 : word[i] == ']' ? -1 : 0;
			/* Inside an option group, or an option. */
			if (was || depth || memchr(word, ']', n) ||
			    word[0] == '-' || word[0] == '.')
				continue;
		}
		if (f == form && p++ == pos) {
			*w = word;
			if (optional)
				*optional = opt;
			return n;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ did you mean */

/* Edit distance with adjacent transpositions (optimal string alignment),
 * on words of at most 63 characters. */
static int distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;
	int d[64][64];

	if (la > 63 || lb > 63)
		return 64;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1], m = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < m)
				m = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < m)
				m = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < m)
				m = d[i - 2][j - 2] + 1;
			d[i][j] = m;
		}
	return d[la][lb];
}

void psctl_near_try(struct psctl_near *n, const char *cand)
{
	int len = (int)strlen(n->word), d;
	/* One edit in a short word, two in a longer one: closer than that
	 * is a typo, farther a different word. */
	int limit = len <= 4 ? 1 : 2;

	if (!cand || !strcmp(cand, n->word))
		return;
	d = distance(n->word, cand);
	if (d <= limit && d < len && (!n->best || d < n->dist)) {
		n->best = cand;
		n->dist = d;
	}
}

const char *psctl_near_option(const struct psctl_cmd *cmd, const char *name)
{
	struct psctl_near near = { name, NULL, 0 };
	const struct ps_field *f;
	const struct psctl_opt *o;

	if (!cmd)
		return NULL;
	for (f = cmd->fields ? ps_obj_fields(psctl_cmd_kind(cmd)) : NULL;
	     f && f->name; f++)
		psctl_near_try(&near, f->name);
	for (o = cmd->opts; o && o->name; o++)
		psctl_near_try(&near, o->name);
	return near.best;
}

int psctl_cmd_option(const struct psctl_cmd *cmd, const char *w,
		     const struct ps_field **f, const struct psctl_opt **o)
{
	int dd = w[1] == '-';
	const char *name = w + 1 + dd;
	size_t n = strcspn(name, "=");

	*f = NULL;
	*o = NULL;
	if (cmd->fields && dd)
		*f = ps_obj_field(psctl_cmd_kind(cmd), name, n);
	if (*f)
		return !name[n];
	for (*o = cmd->opts; *o && (*o)->name; ++*o)
		if (strlen((*o)->name) == n && !strncmp((*o)->name, name, n) &&
		    (n == 1) == !dd)
			return (*o)->arg != NULL && !name[n];
	*o = NULL;
	return 0;
}

int psctl_check_options(struct psctl_ctx *c, const struct psctl_cmd *cmd,
			int argc, char **argv)
{
	const struct ps_field *f;
	const struct psctl_opt *o;
	const char *near;
	char name[64];
	int i;

	if (!cmd->opts && !cmd->fields)
		return 0;  /* the command reads its words itself */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (strncmp(argv[i], "--", 2) || !argv[i][2])
			continue;
		i += psctl_cmd_option(cmd, argv[i], &f, &o);
		/* Global flags may follow the command (--json, --quiet). */
		if (f || o || (psctl_global_opt(argv[i]) &&
			       !psctl_global_opt(argv[i])->arg))
			continue;
		snprintf(name, sizeof name, "%.*s",
			 (int)strcspn(argv[i] + 2, "="), argv[i] + 2);
		near = psctl_near_option(cmd, name);
		return psctl_error(c, psctl_g.cmd, name, NULL, PS_ERR_NOFIELD,
				   "%s%s%s%s%s", cmd->fields ? "no such field "
				   "for " : "unknown option",
				   cmd->fields ? ps_obj_name(psctl_cmd_kind(cmd))
				   : "", near ? " (did you mean --" : "",
				   near ? near : "", near ? "?)" : "");
	}
	return 0;
}

/* ------------------------------------------------------------ fields */

int psctl_field_words(const struct ps_field *f, char *buf, size_t cap)
{
	const struct ps_enum *e;
	size_t n = 0;

	buf[0] = 0;
	if (f->type == PS_FT_BOOL || f->type == PS_FT_PRESENCE) {
		snprintf(buf, cap, "on, off");
		return 1;
	}
	if (f->type != PS_FT_ENUM)
		return 0;
	for (e = f->names; e->name && n < cap; e++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s",
				      n ? ", " : "", e->name);
	return 1;
}

/* What a value of each type is called, in help. */
static const char *type_name(const struct ps_field *f)
{
	static const char *const names[] = {
		[PS_FT_NAME] = "name", [PS_FT_TEXT] = "text",
		[PS_FT_SERIAL] = "serial number", [PS_FT_HOST] = "host name",
		[PS_FT_REF] = "reference", [PS_FT_UINT] = "integer",
		[PS_FT_SIZE] = "size", [PS_FT_ENUM] = "word",
		[PS_FT_BOOL] = "switch", [PS_FT_UUID] = "UUID",
		[PS_FT_MAC] = "MAC address", [PS_FT_BOOT] = "boot order",
		[PS_FT_MACLIST] = "MAC list", [PS_FT_WWNLIST] = "WWN list",
		[PS_FT_FCBOOT] = "FC boot list", [PS_FT_DURATION] = "duration",
		[PS_FT_PRESENCE] = "switch", [PS_FT_RLOG] = "restart log",
		[PS_FT_PTARGET] = "server target",
	};

	return f->type < sizeof names / sizeof names[0] && names[f->type]
	       ? names[f->type] : "value";
}

/* The value after --FIELD in a synopsis: WORD|WORD, NETWORK, SIZE, ... */
static void placeholder(const struct ps_field *f, char *buf, size_t cap)
{
	const struct ps_enum *e;
	size_t n = 0, i;

	if (f->type == PS_FT_BOOL || f->type == PS_FT_PRESENCE) {
		snprintf(buf, cap, "on|off");
	} else if (f->type == PS_FT_ENUM) {
		for (e = f->names; e->name && n < cap; e++)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s",
					      n ? "|" : "", e->name);
	} else {
		snprintf(buf, cap, "%s", f->type == PS_FT_REF
			 ? ps_obj_name((enum ps_obj)f->arg)
			 : f->type == PS_FT_UINT ? "N" : type_name(f));
		for (i = 0; buf[i]; i++)
			buf[i] = buf[i] == ' ' ? '-'
				 : buf[i] >= 'a' && buf[i] <= 'z'
				 ? (char)(buf[i] - 32) : buf[i];
	}
}

/* Bytes in the largest binary unit that divides them exactly. */
static void bytes_text(unsigned long long b, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB" };
	int u = 0;

	if (!b) {
		snprintf(buf, cap, "0");
		return;
	}
	while (!(b & 1023) && u < 6)
		b >>= 10, u++;
	snprintf(buf, cap, "%llu%s", b, unit[u]);
}

/* Unit and range of a number: "unit MiB when bare; 0-16TiB". */
static void unit_range(const struct ps_field *f, char *buf, size_t cap)
{
	char lo[32], hi[32], u[32];

	buf[0] = 0;
	if (f->type == PS_FT_UINT) {
		snprintf(buf, cap, "range %llu-%llu",
			 (unsigned long long)f->min,
			 (unsigned long long)f->max);
	} else if (f->type == PS_FT_DURATION) {
		snprintf(buf, cap, "seconds when bare (or 90s, 10m, 1h, 1d)");
	} else if (f->type == PS_FT_SIZE) {
		bytes_text(f->unit_in, u, sizeof u);
		if (f->unit_in == 1 && f->arg == 1)
			snprintf(buf, cap, "a bare number (or with a unit: "
				 "K/KiB, KB, M/MiB, MB, G/GiB, GB, ...)");
		else
			snprintf(buf, cap, "unit %s when bare (or B, K/KiB, "
				 "KB, M/MiB, MB, G/GiB, GB, T/TiB, TB)",
				 u + 1);
		if (f->max != UINT64_MAX) {
			bytes_text(f->min * f->arg, lo, sizeof lo);
			bytes_text(f->max * f->arg, hi, sizeof hi);
			snprintf(buf + strlen(buf), cap - strlen(buf),
				 "; range %s-%s", lo, hi);
		}
	}
}

/*
 * A scratch store with one object of kind k (under a VM for the kinds a
 * VM holds): ps_obj_create's defaults, read back with ps_obj_get.
 * Returns the object's offset in buf, or < 0.
 */
static int scratch_object(void *buf, size_t cap, enum ps_obj k)
{
	struct psf_builder b;
	int parent;

	if (psf_build_begin(&b, buf, cap, PSF_ROOT, PSF_SCHEMA_VERSION, 0) ||
	    psf_build_finish(&b) < 0)
		return -1;
	parent = psf_root(buf);
	if (k == PS_OBJ_NIC || k == PS_OBJ_CONTROLLER || k == PS_OBJ_SERIAL)
		parent = ps_obj_create(buf, cap, parent, PS_OBJ_VM, "vm", 2,
				       NULL);
	if (parent < 0)
		return parent;
	return ps_obj_create(buf, cap, parent, k, k == PS_OBJ_SERIAL ? "0"
			     : "x", 1, NULL);
}

static const char *an(const char *noun)
{
	return strchr("aeiou", noun[0]) ? "an" : "a";
}

static void print_field(FILE *to, const void *buf, int el,
			const struct ps_field *f)
{
	char head[128], ph[96], words[160], unit[160], def[128];

	placeholder(f, ph, sizeof ph);
	snprintf(head, sizeof head, "--%s %s", f->name, ph);
	fprintf(to, "  %-28s %s\n", head, f->help ? f->help : "");
	fprintf(to, "  %-28s type: %s", "", type_name(f));
	if (f->type == PS_FT_REF)
		fprintf(to, " (%s %s's name; \"\" removes it)",
			an(ps_obj_name((enum ps_obj)f->arg)),
			ps_obj_name((enum ps_obj)f->arg));
	unit_range(f, unit, sizeof unit);
	if (unit[0])
		fprintf(to, "; %s", unit);
	if (f->type == PS_FT_ENUM && psctl_field_words(f, words, sizeof words))
		fprintf(to, "; one of: %s", words);
	if (el >= 0 && f->type != PS_FT_NAME) {
		ps_obj_get(buf, el, f, def, sizeof def);
		fprintf(to, "; default: %s", def[0] ? def : "none");
	}
	fputc('\n', to);
}

/* ------------------------------------------------------------ help text */

static const char *cmd_noun(const struct psctl_cmd *c)
{
	return c->noun ? c->noun : "";
}

/* "one of: status, on, off", or "FILE: ...; or PROFILE: ..." */
static void alternatives(const char *w, size_t n, char *buf, size_t cap)
{
	const struct psctl_place *p;
	size_t len, k;
	int words = w[0] >= 'a' && w[0] <= 'z', first = 1;

	len = (size_t)snprintf(buf, cap, "%s", words ? "one of: " : "");
	for (; n && len < cap; first = 0) {
		k = strcspn(w, "|");
		k = k < n ? k : n;
		p = psctl_place(w, k);
		len += (size_t)snprintf(buf + len, cap - len, words ?
					"%s%.*s" : "%s%.*s: %s", first ? ""
					: words ? ", " : "; or ", (int)k, w,
					p && p->what ? p->what : "");
		n -= k + (k < n);
		w += k + 1;
	}
}

/* The line of a positional word: what it is. */
static void print_arg(FILE *to, const struct psctl_cmd *cmd, const char *w,
		      size_t n, int optional)
{
	const struct psctl_place *p = psctl_place(w, n);
	const char *kind = cmd->kind ? ps_obj_name(psctl_cmd_kind(cmd)) : "";
	char what[200];

	if (memchr(w, '|', n))
		alternatives(w, n, what, sizeof what);
	else if (p && p->src == PSCTL_SRC_KEY && !strncmp(w, "PORT", n))
		snprintf(what, sizeof what, "%s serial port number 0-255 "
			 "(0 = COM1)", psctl_makes_key(cmd) ? "the new" : "a");
	else if (p && p->src == PSCTL_SRC_KEY)
		snprintf(what, sizeof what, "%s %s's name",
			 psctl_makes_key(cmd) ? "the new" : "the", kind);
	else
		snprintf(what, sizeof what, "%s", p ? p->what : "");
	fprintf(to, "  %-28.*s %s%s\n", (int)n, w, what,
		optional ? " (optional)" : "");
}

void psctl_cmd_help(FILE *to, const struct psctl_cmd *cmd)
{
	static uint8_t buf[16384];
	const struct ps_field *f;
	const struct psctl_opt *o;
	const char *w;
	size_t n;
	int form, pos, any = 0, el = -1;
	char head[128];

	fprintf(to, "NAME\n  %s%s%s - %s\n\nSYNOPSIS\n  psctl %s%s%s%s%s%s\n",
		cmd_noun(cmd), cmd->noun ? " " : "", cmd->verb, cmd->help,
		cmd_noun(cmd), cmd->noun ? " " : "", cmd->verb,
		cmd->args && *cmd->args ? " " : "", cmd->args ? cmd->args : "",
		cmd->opts && !strchr(cmd->args, '-') ? " [OPTIONS]" : "");
	for (form = 0; psctl_arg_word(cmd->args, form, 0, &w, NULL); form++)
		for (pos = 0; (n = psctl_arg_word(cmd->args, form, pos, &w,
						  &any)) > 0; pos++) {
			if (!form && !pos)
				fprintf(to, "\nARGUMENTS\n");
			if (n && (w[0] < 'a' || w[0] > 'z' ||
				  memchr(w, '|', n)))
				print_arg(to, cmd, w, n, any);
		}
	for (o = cmd->opts; o && o->name; o++) {
		if (o == cmd->opts)
			fprintf(to, "\nOPTIONS\n");
		snprintf(head, sizeof head, "%s%s%s%s", o->name[1] ? "--"
			 : "-", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(to, "  %-28s %s\n", head, o->help);
	}
	if (cmd->fields) {
		el = scratch_object(buf, sizeof buf, psctl_cmd_kind(cmd));
		fprintf(to, "\nFIELDS (--FIELD VALUE or --FIELD=VALUE; "
			"defaults are a new %s's)\n",
			ps_obj_name(psctl_cmd_kind(cmd)));
		for (f = ps_obj_fields(psctl_cmd_kind(cmd)); f->name; f++)
			print_field(to, buf, el, f);
	}
	fprintf(to, "\nGLOBAL OPTIONS\n  --json, --dry-run and -q may follow "
		"the command; see psctl help and psctl(1)\n");
}

static const struct ps_enum levels[] = {
	{ "operator", 3 }, { "administrator", 4 }, { NULL, 0 },
};

/* The global options, for the overview and completion (psctl.c's
 * global_opts reads them). */
const struct psctl_gopt psctl_global_opts[] = {
	{ "-d", "--device", "DEV", "the store on this device", NULL },
	{ "-i", "--image", "FILE", "the store in this image file", NULL },
	{ NULL, "--bmc", "HOST[:PORT]", "a server's store, through its BMC",
	  NULL },
	{ "-U", "--user", "USER", "BMC user", NULL },
	{ "-P", "--password", "PASS", "BMC password (better: $IPMI_PASSWORD)",
	  NULL },
	{ "-L", "--privilege", "LEVEL", "BMC privilege", levels },
	{ NULL, "--pool", "URL", "the profile pool on etcd: "
	  "etcd://HOST:PORT[,...] (or $PSTATE_POOL)", NULL },
	{ NULL, "--commit", "MODE", "flushes per commit: fast (one, the "
	  "default) or ordered (two: damage told from a cut)",
	  psctl_commit_words },
	{ "-q", "--quiet", NULL, "no \"store:\" line, no confirmations", NULL },
	{ NULL, "--json", NULL, "machine-readable output", NULL },
	{ "-n", "--dry-run", NULL, "show what would change, write nothing",
	  NULL },
	{ "-h", "--help", NULL, "this overview", NULL },
	{ NULL, "--version", NULL, "the version", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct psctl_gopt *psctl_global_opt(const char *w)
{
	const struct psctl_gopt *g;

	for (g = psctl_global_opts; g->lng; g++)
		if ((g->shrt && !strcmp(g->shrt, w)) || !strcmp(g->lng, w))
			return g;
	return NULL;
}

void psctl_usage(FILE *to)
{
	const struct psctl_cmd *t, *u;
	const struct psctl_gopt *g;
	const struct ps_enum *en;
	char head[64];

	fprintf(to, "usage: psctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"       psctl [GLOBAL OPTIONS] NOUN VERB [ARGS] "
		"[--FIELD VALUE ...]\n       psctl help [NOUN [VERB] | "
		"COMMAND]    (or NOUN VERB --help)\n\nglobal options:\n");
	for (g = psctl_global_opts; g->lng; g++) {
		snprintf(head, sizeof head, "%s%s%s%s%s", g->shrt ? g->shrt : "",
			 g->shrt ? ", " : "", g->lng, g->arg ? " " : "",
			 g->arg ? g->arg : "");
		fprintf(to, "  %-26s %s", head, g->help);
		for (en = g->words; en && en->name; en++)
			fprintf(to, "%s%s", en == g->words ? ": " : " or ",
				en->name);
		fputc('\n', to);
	}
	fprintf(to, "\nstore commands:\n");
	for (t = psctl_store_cmds; t->verb; t++) {
		snprintf(head, sizeof head, "%s%s%s%s", t->verb, *t->args ?
			 " " : "", t->args, t->opts ? " [OPTIONS]" : "");
		fprintf(to, "  %-30s %s\n", head, t->help);
	}
	fprintf(to, "\nnouns (psctl help NOUN: its verbs):\n");
	PSCTL_FOR_OBJECT_CMDS(t) {
		for (u = psctl_cmd_next(NULL); u != t; u = psctl_cmd_next(u))
			if (!strcmp(u->noun, t->noun))
				break;
		if (u != t)
			continue;  /* listed with its first verb */
		fprintf(to, "  %-22s", t->noun);
		for (u = t; u; u = psctl_cmd_next(u))
			if (!strcmp(u->noun, t->noun))
				fprintf(to, " %s", u->verb);
		fputc('\n', to);
	}
	fprintf(to, "\nsee psctl(1) for exit codes and examples\n");
}

static void noun_help(FILE *to, const char *noun)
{
	const struct psctl_cmd *t;
	char head[160];

	fprintf(to, "%s commands (psctl help %s VERB: one in full):\n", noun,
		noun);
	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun)) {
			snprintf(head, sizeof head, "%s %s %s", t->noun,
				 t->verb, t->args);
			fprintf(to, "  %-44s %s\n", head, t->help);
		}
}

int psctl_help(struct psctl_ctx *c, int argc, char **argv)
{
	const struct psctl_cmd *cmd;
	int noun = argc > 1 && psctl_is_noun(argv[1]);

	if (argc == 1) {
		psctl_usage(c->out);
		return 0;
	}
	if (argc > 3 || (argc == 3 && !noun))
		return psctl_error(c, "help", NULL, argv[argc - 1],
				   PSCTL_EXIT_USAGE, "unexpected argument "
				   "(help [NOUN [VERB] | COMMAND])");
	if (noun && argc == 2) {
		noun_help(c->out, argv[1]);
		return 0;
	}
	cmd = psctl_find_cmd(noun ? argv[1] : NULL, argv[1 + noun]);
	if (!cmd) {
		/* The same message and suggestion as running it. */
		char *v[2] = { argv[1], argv[2] };

		return psctl_run(c, noun + 1, v);
	}
	psctl_cmd_help(c->out, cmd);
	return 0;
}

int psctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}
