/*
 * psctl_help.h - what help (psctl_help.c) and completion
 * (psctl_complete.c) share (internal to cli/): the placeholders of the
 * command tables' args strings and where their values come from.
 */
#ifndef PSCTL_HELP_H
#define PSCTL_HELP_H

#include <stddef.h>

#include "psctl.h"

/* Where the values of a placeholder come from, for completion. */
enum psctl_src {
	PSCTL_SRC_NONE,      /* free text, a number                        */
	PSCTL_SRC_FILE,      /* file names                                 */
	PSCTL_SRC_KEY,       /* the command's own objects (none when the
				command makes one: create, add, map)       */
	PSCTL_SRC_TARGET,    /* server names and VM names                  */
	PSCTL_SRC_NOUN,      /* nouns and store commands (help)            */
	PSCTL_SRC_VERB,      /* the verbs of the noun before it (help)     */
	PSCTL_SRC_RANGE,     /* address pools' names (psctl_pool_addr.c)   */
	PSCTL_SRC_SPARES,    /* spare pools' names                         */
	PSCTL_SRC_KIND,      /* + k: names of the objects of kind k        */
};

struct psctl_place {
	const char *word;    /* "VM", as args spells it                    */
	const char *what;    /* one line for help; NULL: psctl_help.c says */
	int src;             /* enum psctl_src (+ kind)                    */
};

/* The placeholder (w, n), or NULL when args's word is none of them. */
const struct psctl_place *psctl_place(const char *w, size_t n);

/* Word pos of form form of args (forms are separated by " | "); its
 * length, 0 when there is none; *optional when it is in [..]. */
size_t psctl_arg_word(const char *args, int form, int pos, const char **w,
		      int *optional);

/* The command makes the object its NAME / PORT names (create, add, map). */
int psctl_makes_key(const struct psctl_cmd *cmd);

/* The kind of a command's objects (cmd->kind set). */
int psctl_cmd_kind(const struct psctl_cmd *cmd);

/* Option word w ("--memory", "--memory=4G", "-o") of cmd: its field
 * (*f) or option (*o), both NULL when it has none; 1 when the next word
 * is its value. */
int psctl_cmd_option(const struct psctl_cmd *cmd, const char *w,
		     const struct ps_field **f, const struct psctl_opt **o);

/* A global option: "-d" (or NULL), "--device", its value (NULL: a flag),
 * one line, the words its value may be (or NULL).  The table ends with a
 * NULL lng; psctl_global_opt finds w ("-d" or "--device") in it. */
struct psctl_gopt {
	const char *shrt;
	const char *lng;
	const char *arg;
	const char *help;
	const struct ps_enum *words;
};
extern const struct psctl_gopt psctl_global_opts[];
const struct psctl_gopt *psctl_global_opt(const char *w);

#endif /* PSCTL_HELP_H */
