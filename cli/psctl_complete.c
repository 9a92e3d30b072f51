/*
 * psctl_complete.c - completion of a command line, for the shell
 * (psctl_shell.c) and for bash (`psctl __complete WORDS...`, called by
 * scripts/psctl-completion.bash): one function, so both offer the same.
 * What a word may be comes from the command tables (the placeholders of
 * args, the options) and the field table (a field's allowed words, the
 * kind a reference names); object names come from the open store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psctl.h"
#include "psctl_help.h"
#include "psctl_pool_addr.h"
#include "psctl_main.h"

#define WORD_MAX 128

struct emit {
	struct psctl_ctx *c;
	const char *prefix;           /* the word being typed */
	size_t plen;
	void (*fn)(void *arg, const char *s, size_t len);
	void *arg;
	int files;                    /* file names fit here too */
};

static void emit(struct emit *e, const char *s, size_t n)
{
	if (n >= e->plen && !strncmp(s, e->prefix, e->plen))
		e->fn(e->arg, s, n);
}

static void emit_s(struct emit *e, const char *s)
{
	emit(e, s, strlen(s));
}

/* "--name", or "-o" for a one-letter option. */
static void emit_opt(struct emit *e, const char *name)
{
	char w[WORD_MAX];

	snprintf(w, sizeof w, "%s%s", name[1] ? "--" : "-", name);
	emit_s(e, w);
}

/* The keys of the objects of kind k: at the root, or in VM vm. */
static void emit_names(struct emit *e, enum ps_obj k, const char *vm)
{
	uint32_t len;
	const void *buf = psctl_store_data(e->c, &len);
	char name[WORD_MAX];
	int parent, el;

	if (!buf || len < PSF_HEADER_SIZE)
		return;
	parent = psf_root(buf);
	if (k == PS_OBJ_NIC || k == PS_OBJ_CONTROLLER || k == PS_OBJ_SERIAL)
		parent = vm ? ps_obj_find(buf, parent, PS_OBJ_VM, vm,
					  strlen(vm)) : -1;
	if (parent < 0)
		return;
	for (el = ps_obj_next(buf, parent, k, -1); el >= 0;
	     el = ps_obj_next(buf, parent, k, el))
		emit(e, name, ps_obj_key(buf, el, k, name, sizeof name));
}

/* Address pools' (ranges) or spare pools' names. */
static void emit_records(struct emit *e, int ranges)
{
	uint32_t len;
	const void *buf = psctl_store_data(e->c, &len);
	char name[WORD_MAX];
	int i;

	for (i = 0; buf && len >= PSF_HEADER_SIZE &&
		    pa_record_name(buf, ranges, i, name, sizeof name); i++)
		emit_s(e, name);
}

/* The first command of each noun stands for the noun. */
static int first_of_noun(const struct psctl_cmd *t)
{
	const struct psctl_cmd *u;

	for (u = psctl_cmd_next(NULL); u != t; u = psctl_cmd_next(u))
		if (!strcmp(u->noun, t->noun))
			return 0;
	return 1;
}

static void emit_commands(struct emit *e, int shell)
{
	const struct psctl_cmd *t;

	for (t = psctl_store_cmds; t->verb; t++)
		if (!shell || strcmp(t->verb, "shell"))
			emit_s(e, t->verb);
	PSCTL_FOR_OBJECT_CMDS(t)
		if (first_of_noun(t))
			emit_s(e, t->noun);
	if (shell) {
		emit_s(e, "exit");
		emit_s(e, "quit");
	}
}

static void emit_verbs(struct emit *e, const char *noun)
{
	const struct psctl_cmd *t;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun))
			emit_s(e, t->verb);
}

/* ------------------------------------------------------------ options */

/* Does global option w take a value (the next word)? */
static int global_takes_value(const char *w)
{
	const struct psctl_gopt *g = psctl_global_opt(w);

	return g && g->arg;
}

static void place_values(struct emit *e, const struct psctl_cmd *cmd,
			 const char *w, size_t n, char **pw, int np);

/* A global option's value: its words, or what its placeholder is. */
static void global_value(struct emit *e, const struct psctl_gopt *g)
{
	const struct ps_enum *en;

	for (en = g->words; en && en->name; en++)
		emit_s(e, en->name);
	place_values(e, NULL, g->arg, strlen(g->arg), NULL, 0);
}

static void field_values(struct emit *e, const struct ps_field *f)
{
	const struct ps_enum *en;

	if (f->type == PS_FT_BOOL || f->type == PS_FT_PRESENCE) {
		emit_s(e, "on");
		emit_s(e, "off");
	} else if (f->type == PS_FT_ENUM) {
		for (en = f->names; en->name; en++)
			emit_s(e, en->name);
	} else if (f->type == PS_FT_REF) {
		emit_names(e, (enum ps_obj)f->arg, NULL);
	} else if (f->type == PS_FT_PTARGET) {
		place_values(e, NULL, "TARGET", 6, NULL, 0);
	}
}

static void opt_values(struct emit *e, const struct psctl_opt *o)
{
	const struct ps_enum *en;

	for (en = o->words; en && en->name; en++)
		emit_s(e, en->name);
	if (o->arg)
		place_values(e, NULL, o->arg, strlen(o->arg), NULL, 0);
}

/* ------------------------------------------------------------ positional */

/* The values of placeholder (w, n) of cmd; pw[0..np): the positional
 * words before it (a NIC's VM). */
static void place_values(struct emit *e, const struct psctl_cmd *cmd,
			 const char *w, size_t n, char **pw, int np)
{
	const struct psctl_place *p = psctl_place(w, n);

	if (!p)
		return;
	switch (p->src) {
	case PSCTL_SRC_FILE:
		e->files = 1;
		break;
	case PSCTL_SRC_KEY:
		if (cmd && cmd->kind && !psctl_makes_key(cmd))
			emit_names(e, (enum ps_obj)psctl_cmd_kind(cmd),
				   np > 0 ? pw[0] : NULL);
		break;
	case PSCTL_SRC_RANGE:
	case PSCTL_SRC_SPARES:
		emit_records(e, p->src == PSCTL_SRC_RANGE);
		break;
	case PSCTL_SRC_TARGET:
		emit_names(e, PS_OBJ_SERVER, NULL);
		emit_names(e, PS_OBJ_VM, NULL);
		break;
	default:
		if (p->src >= PSCTL_SRC_KIND)
			emit_names(e, (enum ps_obj)(p->src - PSCTL_SRC_KIND),
				   NULL);
		break;
	}
}

/* Does form form of args fit the literal words typed so far? */
static int form_fits(const char *args, int form, char **pw, int np)
{
	const char *w;
	size_t n;
	int i;

	for (i = 0; i < np; i++) {
		n = psctl_arg_word(args, form, i, &w, NULL);
		if (!n)
			return 0;
		if (w[0] >= 'a' && w[0] <= 'z' && !memchr(w, '|', n) &&
		    (strlen(pw[i]) != n || strncmp(pw[i], w, n)))
			return 0;
	}
	return 1;
}

/* Positional word np after pw[0..np): the pieces (a|B|c) of that word
 * in every form that fits. */
static void positional(struct emit *e, const struct psctl_cmd *cmd,
		       char **pw, int np)
{
	const char *w;
	size_t n, k;
	int form;

	for (form = 0; psctl_arg_word(cmd->args, form, 0, &w, NULL); form++) {
		if (!form_fits(cmd->args, form, pw, np))
			continue;
		n = psctl_arg_word(cmd->args, form, np, &w, NULL);
		while (n) {
			k = strcspn(w, "|");
			k = k < n ? k : n;
			if (w[0] >= 'a' && w[0] <= 'z')
				emit(e, w, k);
			else
				place_values(e, cmd, w, k, pw, np);
			n -= k + (k < n);
			w += k + 1;
		}
	}
}

/* ------------------------------------------------------------ a command */

/* The words after the command's own (w[0..n), the last being typed). */
static void complete_args(struct emit *e, const struct psctl_cmd *cmd,
			  int n, char **w)
{
	const struct ps_field *f, *fl;
	const struct psctl_opt *o;
	char *pw[16];
	int i, np = 0, opts = 1;

	for (i = 0; i < n - 1; i++) {
		if (opts && !strcmp(w[i], "--")) {
			opts = 0;
		} else if (opts && w[i][0] == '-' && w[i][1]) {
			if (!psctl_cmd_option(cmd, w[i], &f, &o))
				continue;
			if (i + 1 == n - 1) {  /* its value is being typed */
				if (f)
					field_values(e, f);
				else
					opt_values(e, o);
				return;
			}
			i++;
		} else if (np < 16) {
			pw[np++] = w[i];
		}
	}
	if (opts && e->prefix[0] == '-') {
		for (fl = cmd->fields ? ps_obj_fields(psctl_cmd_kind(cmd))
		     : NULL; fl && fl->name; fl++)
			emit_opt(e, fl->name);
		for (o = cmd->opts; o && o->name; o++)
			emit_opt(e, o->name);
		return;
	}
	positional(e, cmd, pw, np);
}

/* help [NOUN [VERB] | COMMAND] */
static void complete_help(struct emit *e, int n, char **w)
{
	if (n == 1)
		emit_commands(e, 0);
	else if (n == 2 && psctl_is_noun(w[0]))
		emit_verbs(e, w[0]);
}

int psctl_complete(struct psctl_ctx *c, int n, char **w, int shell,
		   void (*fn)(void *arg, const char *s, size_t len),
		   void *arg)
{
	struct emit e = { c, n > 0 ? w[n - 1] : "", 0, fn, arg, 0 };
	const struct psctl_cmd *cmd;
	const struct psctl_gopt *g;
	int i = 0, noun;

	e.plen = strlen(e.prefix);
	/* Global options first (psctl -i IMG vm ...). */
	for (; i < n - 1 && w[i][0] == '-'; i++)
		if (global_takes_value(w[i]) && ++i == n - 1) {
			global_value(&e, psctl_global_opt(w[i - 1]));
			return e.files;
		}
	if (i >= n - 1) {
		if (e.prefix[0] != '-')
			emit_commands(&e, shell);
		for (g = psctl_global_opts; e.prefix[0] == '-' && g->lng; g++) {
			if (g->shrt)
				emit_s(&e, g->shrt);
			emit_s(&e, g->lng);
		}
		return e.files;
	}
	noun = psctl_is_noun(w[i]);
	if (noun && i + 1 == n - 1) {
		emit_verbs(&e, w[i]);
		return e.files;
	}
	if (!noun && !strcmp(w[i], "help")) {
		complete_help(&e, n - i - 1, w + i + 1);
		return e.files;
	}
	cmd = psctl_find_cmd(noun ? w[i] : NULL, w[i + noun]);
	if (cmd)
		complete_args(&e, cmd, n - i - 1 - noun, w + i + 1 + noun);
	return e.files;
}

/* ------------------------------------------------------------ __complete */

static void print_line(void *arg, const char *s, size_t len)
{
	fprintf(arg, "%.*s\n", (int)len, s);
}

int psctl_complete_main(struct psctl_ctx *c, int argc, char **argv)
{
	static char empty[] = "";
	char *none[1] = { empty };
	FILE *null = fopen("/dev/null", "w");
	int i, files;

	if (argc < 1) {
		argc = 1;
		argv = none;
	}
	/* The store the line names, opened quietly: a completion never
	 * prints an error (a missing store just completes no names). */
	for (i = 0; i + 1 < argc - 1 && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "--device"))
			psctl_g.dev = argv[i + 1];
		else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--image"))
			psctl_g.image = argv[i + 1];
		i += global_takes_value(argv[i]);
	}
	psctl_g.quiet = 1;
	c->err = null ? null : c->err;
	if (!(psctl_g.dev && psctl_g.image))
		psctl_need_store(c);
	files = psctl_complete(c, argc, argv, 0, print_line, c->out);
	if (files)
		fprintf(c->out, ":files\n");
	psctl_close_all(c);
	if (null)
		fclose(null);
	c->err = stderr;
	return 0;
}
