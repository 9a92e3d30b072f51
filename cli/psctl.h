/*
 * psctl.h - internal interface between psctl's parts (not installed).
 *
 *   psctl.c        main: global options, dispatch, help, errors and exit
 *                  codes (psctl_main.h: what psctl's own parts share)
 *   psctl_store.c  which store to open, its lock, transactions
 *   psctl_storecmds.c the store-level commands (init, scan, info, check,
 *                  dump, export, import)
 *   psctl_diff.c   the text diff of --dry-run
 *   psctl_cmds.c   the object commands (vm, nic, storage, serial, net,
 *                  image, reserve, profile), thin front ends over the edit
 *                  operations in libpstate (pstate.h, "Configuration")
 *   psctl_shell.c  the interactive shell (libedit)
 *   psctl_help.c   help of every command and completion, from the
 *                  command tables and the field table
 *   psctl_json.c   the JSON form read by `import` (json-c)
 *   psctl_jsonout.c the JSON form `export --json` writes
 *   psctl_jsonw.c  the JSON writer of every JSON output (psctl_jsonw.h)
 *   psctl_serial.c serial-port allocation commands (`serial allocate|free`)
 *   psctl_bmc*.c   the management-side client: OEM commands to a server's
 *                  BMC over IPMI LAN (`--bmc`, docs/ipmi-oem.md;
 *                  psctl_bmc.h, psctl_bmc_int.h)
 *   psctl_target.c, psctl_move*.c  server profiles across targets:
 *                  assign, move, failover (psctl_move.h)
 *   psctl_util.c   small helpers shared by the parts (psctl_util.h)
 *
 * Grammar (virsh-like): psctl [GLOBAL OPTIONS] NOUN VERB [ARGS] [--field
 * VALUE ...], or a store-level VERB alone (psctl info).
 */
#ifndef PSCTL_H
#define PSCTL_H

#include <stdio.h>

#include "psf.h"
#include "pstate.h"

/* Exit codes, one per class of failure (documented in docs/psctl.1.md). */
enum psctl_exit {
	PSCTL_EXIT_OK = 0,
	PSCTL_EXIT_USAGE = 2,     /* unknown command, missing argument      */
	PSCTL_EXIT_INVALID = 3,   /* a value is malformed (MAC, UUID, size) */
	PSCTL_EXIT_CONFLICT = 4,  /* duplicate name/MAC/UUID, lost race     */
	PSCTL_EXIT_NOTFOUND = 5,  /* no such VM, NIC, network, ...          */
	PSCTL_EXIT_DAMAGED = 6,   /* the store on media is damaged          */
	PSCTL_EXIT_IO = 7,        /* device or file I/O, no store found     */
	PSCTL_EXIT_CHECK = 1,     /* `check` found problems                 */
	/* Authenticated stores: the verdict of `check --verify`, and the
	 * refusal of an edit in that state (docs/psctl.1.md "auth"). */
	PSCTL_EXIT_AUTH_NOKEY = 9,      /* sealed, no key here             */
	PSCTL_EXIT_AUTH_UNVERIFIED = 10,/* written without the key         */
	PSCTL_EXIT_AUTH_BADMAC = 11,    /* MAC or trailer wrong: tampered  */
	PSCTL_EXIT_AUTH_ROLLBACK = 12,  /* an older copy put back          */
	PSCTL_EXIT_AUTH_AHEAD = 13,     /* counter past trusted + 1        */
};

/* What every command gets. */
struct psctl_ctx {
	const char *prog;         /* "psctl", for messages                  */
	const char *where;        /* the store opened, e.g. "image:/x.img"  */
	struct ps_media *media;   /* open media (NULL until opened)         */
	struct ps_store *store;   /* open store handle (NULL until opened)  */
	int json;                 /* --json: machine-readable output        */
	int dry_run;              /* --dry-run: show what would change      */
	int auth_flags;           /* PSCTL_AUTH_*: --unverified, --accept-unverified */
	int interactive;          /* running inside the shell               */
	FILE *out;                /* normal output (stdout)                 */
	FILE *err;                /* messages (stderr)                      */
	/* A server's BMC (--bmc HOST[:PORT], -U USER, -P PASS); the password
	 * falls back to $IPMI_PASSWORD.  bmc is NULL when not given. */
	const char *bmc;
	const char *bmc_user;
	const char *bmc_password;
};

/*
 * An edit run as one transaction: psctl.c begins it on the current store,
 * calls fn with the transaction buffer, and on success commits (retrying
 * on conflict through ps_update) -- or, with --dry-run, prints what
 * would change and writes nothing.  fn returns 0 or a negative PS_ERR_* /
 * PSF_ERR_* code; it reports its own error message with psctl_error first.
 * Returns the exit code.
 */
typedef int (*psctl_edit_fn)(struct psctl_ctx *c, void *buf, size_t cap,
			     void *arg);
int psctl_edit(struct psctl_ctx *c, psctl_edit_fn fn, void *arg);

/* After a psctl_edit that returned 0: one line on the normal output
 * saying what was done ("vm 'web01' created, uuid ..."), printf-style,
 * no newline in fmt.  Nothing under -q, --dry-run, or when the edit
 * changed nothing (its "no change" note said so). */
void psctl_confirm(struct psctl_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same line after a command made of several edits (a profile move),
 * whatever the last edit changed: nothing under -q or --dry-run. */
void psctl_say(struct psctl_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open the store on first use (per the global options); 0 or exit code. */
int psctl_need_store(struct psctl_ctx *c);

/* The current store bytes (after psctl_need_store). */
const void *psctl_store_data(struct psctl_ctx *c, uint32_t *len);

/*
 * One-line error: "psctl: CMD: FIELD 'VALUE': why" -- cmd, field and value
 * may be NULL.  Returns the exit code for the error class of code.
 */
int psctl_error(struct psctl_ctx *c, const char *cmd, const char *field,
		const char *value, int code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Exit code for a library error code. */
int psctl_exit_for(int code);

/*
 * An option of a command beyond its kind's --FIELDs (init --size, export
 * -o, serial allocate --mode): for help, completion and suggestions.
 */
struct psctl_opt {
	const char *name;         /* "size" for --size; one letter: -o      */
	const char *arg;          /* its value, as help shows it ("SIZE",
				     "FILE", "VM": psctl_help.c completes
				     known ones), NULL for a flag          */
	const char *help;         /* one line                               */
	const struct ps_enum *words; /* the words its value may be, or NULL */
};

/*
 * A command: noun (NULL for store-level commands) and verb.  run gets the
 * words from the verb on: argv[0] is the verb ("set" for "vm set web01
 * --memory 4G", "info" for "info"), with --json and --dry-run already
 * taken out (they set c->json / c->dry_run wherever they appear).  Help
 * (psctl_help.c) and completion are generated from these entries and from
 * the field table of the command's kind (ps_obj_fields): args names the
 * positional arguments in capitals (VM, NAME, PORT, PROFILE, TARGET,
 * FILE, ...: psctl_help.c says what each is and completes it), words
 * joined by '|' are alternatives, [..] optional, " | " separates forms.
 */
struct psctl_cmd {
	const char *noun;
	const char *verb;
	int (*run)(struct psctl_ctx *c, int argc, char **argv);
	const char *args;         /* usage after "noun verb", for help      */
	const char *help;         /* one line                               */
	const struct psctl_opt *opts; /* options beyond --FIELD, or NULL;
				     ends with a NULL name                 */
	int kind;                 /* PSCTL_KIND(k): NAME is an object of
				     kind k; 0: no kind                    */
	int fields;               /* takes --FIELD VALUE of its kind        */
};
#define PSCTL_KIND(k) ((int)(k) + 1)

/*
 * Schema cross-checks beyond the format's own validation (a MAC, UUID,
 * serial or WWN used twice, a reference to a missing network or image, a
 * serial port mapped twice, ...), defined by the object side (psctl_cmds.c)
 * if it provides them: a weak symbol, NULL when not linked.  Writes one line
 * per problem to report (when not NULL) and returns the number of problems,
 * or a negative PS_ERR_* / PSF_ERR_* code.  `check` reports them (exit 1)
 * and `import` refuses a store that has any.
 */
int psctl_check_config(struct psctl_ctx *c, const void *store, uint32_t len,
		       FILE *report) __attribute__((weak));

/*
 * The object commands, one table per file that defines some, each
 * terminated by a zeroed entry: psctl_move.c, psctl_cmds.c,
 * psctl_serial.c, psctl_bmc.c.  psctl_cmd_next walks them all in that
 * order (NULL: the first command; returns NULL after the last); when two
 * tables define the same noun and verb, the earlier one is the command.
 */
extern const struct psctl_cmd psctl_move_cmds[];
extern const struct psctl_cmd psctl_object_cmds[];
extern const struct psctl_cmd psctl_serial_cmds[];
extern const struct psctl_cmd psctl_bmc_cmds[];
extern const struct psctl_cmd psctl_auth_cmds[];
extern const struct psctl_cmd psctl_pool_cmds[];
extern const struct psctl_cmd psctl_spare_cmds[];
extern const struct psctl_cmd psctl_vm_move_cmds[];
/* psctl_ctx auth_flags (after any command, like --dry-run). */
#define PSCTL_AUTH_UNVERIFIED 0x1 /* edit without the key, marked       */
#define PSCTL_AUTH_ACCEPT 0x2     /* seal over a store that does not verify */
const struct psctl_cmd *psctl_cmd_next(const struct psctl_cmd *prev);
#define PSCTL_FOR_OBJECT_CMDS(t) \
	for ((t) = psctl_cmd_next(NULL); (t); (t) = psctl_cmd_next(t))

/* The store-level commands (psctl.c), terminated by a zeroed entry. */
extern const struct psctl_cmd psctl_store_cmds[];

/* Run one command line already split into words; returns the exit code. */
int psctl_run(struct psctl_ctx *c, int argc, char **argv);

/*
 * The JSON form of a store (what `export --json` writes; psctl_json.c) ->
 * a new tree in *out.  On failure returns -1 and writes one line (no
 * newline) to msg: "line L, column C: ..." for JSON that does not parse,
 * "JSON.PATH: ..." for a document that describes no valid store.
 */
struct psf_tree;
int psctl_json_parse(const char *in, size_t len, struct psf_tree **out,
		     char *msg, size_t cap);

/* The JSON form of the store tree t, generation generation, to o: what
 * `export --json` writes (psctl_jsonout.c). */
void psctl_export_json(FILE *o, const struct psf_tree *t,
		       unsigned long long generation);

/* The shell (psctl_shell.c); returns the exit code: with stdin not a
 * terminal, the last failed command's, else 0. */
int psctl_shell(struct psctl_ctx *c);

/*
 * Help and completion (psctl_help.c), generated from the command tables
 * and the field table.
 *
 * psctl_usage - the overview: global options, store commands, nouns.
 * psctl_cmd_help - one command: synopsis, arguments, options and every
 * field with type, unit, range, default and allowed words.
 * psctl_help - the `help [NOUN [VERB] | COMMAND]` command.
 * psctl_wants_help - argv (from argv[1], up to "--") holds -h or --help.
 * psctl_find_cmd - the command noun verb (noun NULL: a store command).
 */
void psctl_usage(FILE *to);
void psctl_cmd_help(FILE *to, const struct psctl_cmd *cmd);
int psctl_help(struct psctl_ctx *c, int argc, char **argv);
int psctl_wants_help(int argc, char **argv);
const struct psctl_cmd *psctl_find_cmd(const char *noun, const char *verb);
int psctl_is_noun(const char *w);

/*
 * The nearest of some words to a mistyped one, for "did you mean":
 * psctl_near_try offers each candidate; best is the closest within a
 * small edit distance (transpositions count one), or NULL.
 */
struct psctl_near {
	const char *word;
	const char *best;
	int dist;
};
void psctl_near_try(struct psctl_near *n, const char *cand);
/* The nearest --FIELD or option of cmd to name (no dashes), or NULL. */
const char *psctl_near_option(const struct psctl_cmd *cmd, const char *name);
/* Every --WORD in argv (from argv[1], up to "--", values skipped) is a
 * field or option of cmd (when it declares any): 0, or the usage error
 * reported, with the nearest one ("did you mean --memory?"). */
int psctl_check_options(struct psctl_ctx *c, const struct psctl_cmd *cmd,
			int argc, char **argv);
/* The field's allowed words ("off, on, last"; "on, off" for a switch)
 * into buf; 0 when it has none. */
int psctl_field_words(const struct ps_field *f, char *buf, size_t cap);

/*
 * Candidates for the last word of w[0..n) (the one being typed, maybe
 * ""), given the words before it (global options included): commands,
 * nouns, verbs, the command's --FIELDs and options, allowed words of a
 * field's value, and object names from the open store where the command
 * expects them.  Each candidate that starts with the typed word goes to
 * fn.  shell: in the shell (exit, quit; no shell).  Returns
 * PSCTL_COMPLETE_FILES when file names fit too (the caller lists them).
 */
#define PSCTL_COMPLETE_FILES 1
int psctl_complete(struct psctl_ctx *c, int n, char **w, int shell,
		   void (*fn)(void *arg, const char *s, size_t len),
		   void *arg);
/* The hidden `psctl __complete WORDS...` the bash completion calls: one
 * candidate a line; a first line ":files" asks for file names too. */
int psctl_complete_main(struct psctl_ctx *c, int argc, char **argv);

/* `profile list` on the etcd pool (psctl_pool_list.c): *done 0 when the
 * store is not the etcd pool (nothing read). */
int psctl_pool_list(struct psctl_ctx *c, const char *cmd, int *done);
/* A list's header and one row (psctl_cmds.c); the profile's target
 * says which server of buf it names. */
void psctl_list_header(FILE *f, enum ps_obj k, int with_vm);
void psctl_list_row(FILE *f, const void *buf, int el, enum ps_obj k,
		    const char *vm);

/* The next psctl_pool_open is for a command on one profile (show, edits,
 * moves): the etcd pool reads that profile's keys, not the whole pool
 * (cli/psctl_pool_scope.c). */
void psctl_pool_scope(struct psctl_ctx *c, const char *profile);
/* A server command on the etcd pool: its server's keys (NULL: the
 * directory, server list), an edit also the profiles placed on it. */
void psctl_pool_scope_server(struct psctl_ctx *c, const char *name,
			     int edit);

#endif /* PSCTL_H */
