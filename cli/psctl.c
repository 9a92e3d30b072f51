/*
 * psctl - the administrator's tool: main, global options, dispatch, help
 * and the shell command, errors and exit codes.  The store is opened in
 * psctl_store.c, the store-level commands are in psctl_storecmds.c.  The object
 * commands are in psctl_cmds.c, the shell in psctl_shell.c; psctl.h is the
 * contract between them.  docs/psctl.1.md is the manual.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_file.h"
#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_help.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_util.h"

struct psctl_state psctl_g;

/* ------------------------------------------------------------ errors */

int psctl_exit_for(int code)
{
	if (code >= 0)
		return code; /* already an exit code (or success) */
	switch (code) {
	case PSF_ERR_NOTFOUND:
	case PS_ERR_BADREF:
		return PSCTL_EXIT_NOTFOUND;
	case PS_ERR_NOFIELD:
		return PSCTL_EXIT_USAGE;
	case PS_ERR_BADVALUE:
	case PSF_ERR_BADVALUE:
	case PSF_ERR_BADPAYLOAD:
	case PS_ERR_INVAL:
	case PS_PART_EINVAL:
	case PS_SEM_ERR_INVAL:
		return PSCTL_EXIT_INVALID;
	case PS_ERR_NOKEY:
		return PSCTL_EXIT_AUTH_NOKEY;
	case PS_ERR_AUTH:
		return PSCTL_EXIT_AUTH_BADMAC;
	case PS_ERR_CONFLICT:
	case PS_ERR_EXISTS:
	case PS_ERR_DUPLICATE:
	case PS_ERR_INUSE:
	case PS_ERR_FENCED:
	case PS_ERR_LOCK:
	case PS_PART_EBUSY:
	case PS_SEM_ERR_BUSY:
	case PS_SEM_ERR_TIMEOUT:
	case PS_SEM_ERR_LOST:
		return PSCTL_EXIT_CONFLICT;
	case PS_ERR_SUPERBLOCK:
	case PS_ERR_GEOMETRY:
	case PS_ERR_NOSLOT:
	case PS_PART_EDUP:
	case PS_PART_ERANGE:
		return PSCTL_EXIT_DAMAGED;
	case PSF_ERR_NOSPACE:
	case PSF_ERR_TOOLARGE:
		return PSCTL_EXIT_IO; /* no room on media */
	default:
		break;
	}
	/* Any other format error means bytes that fail validation. */
	if (code >= -PSF_ERR_MAX)
		return PSCTL_EXIT_DAMAGED;
	return PSCTL_EXIT_IO;
}

int psctl_error(struct psctl_ctx *c, const char *cmd, const char *field,
		const char *value, int code, const char *fmt, ...)
{
	FILE *to = c && c->err ? c->err : stderr;
	va_list ap;

	fprintf(to, "%s: ", c && c->prog ? c->prog : "psctl");
	if (cmd)
		fprintf(to, "%s: ", cmd);
	if (field && value)
		fprintf(to, "%s '%s': ", field, value);
	else if (field)
		fprintf(to, "%s: ", field);
	else if (value)
		fprintf(to, "'%s': ", value);
	if (fmt) {
		va_start(ap, fmt);
		vfprintf(to, fmt, ap);
		va_end(ap);
	} else {
		fputs(code < 0 ? ps_strerror(code) : "failed", to);
	}
	fputc('\n', to);
	fflush(to);
	return psctl_exit_for(code) ? psctl_exit_for(code) : PSCTL_EXIT_USAGE;
}

int psctl_fail(struct psctl_ctx *c, const char *cmd, int rc, const char *msg)
{
	psctl_error(c, cmd, NULL, NULL, rc, "%s", msg);
	return rc;
}

/* ------------------------------------------------------------ helpers */

/* Read a whole file (or "-": stdin), up to MAX_INPUT bytes, terminated. */
int psctl_read_file(struct psctl_ctx *c, const char *path, char **out,
		    size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n = 0, cap = 65536;
	char *buf, *nb;

	if (!f)
		return psctl_error(c, psctl_g.cmd, NULL, path, PS_ERR_IO,
				   "cannot open: %s", strerror(errno));
	buf = malloc(cap + 1);
	while (buf && !ferror(f)) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0 || n >= MAX_INPUT)
			break;
		if (n == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (!buf || ferror(f) || n >= MAX_INPUT) {
		const char *why = !buf ? "out of memory"
				  : n >= MAX_INPUT ? "too large for a store"
						   : "read error";

		free(buf);
		if (f != stdin)
			fclose(f);
		return psctl_error(c, psctl_g.cmd, NULL, path, PS_ERR_IO, "%s",
				   why);
	}
	if (f != stdin)
		fclose(f);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/* Write whole or not at all (cli_replace_file); "-" or NULL is the
 * normal output. */
int psctl_write_out(struct psctl_ctx *c, const char *path, const void *data,
		    size_t len)
{
	int ok;

	if (!path || !strcmp(path, "-")) {
		ok = fwrite(data, 1, len, c->out) == len && fflush(c->out) == 0;
		return ok ? 0 : psctl_error(c, psctl_g.cmd, NULL, "stdout",
					    PS_ERR_IO,
					    "write failed");
	}
	if (cli_replace_file(path, data, len) != 0)
		return psctl_error(c, psctl_g.cmd, NULL, path, PS_ERR_IO,
				   "cannot write: %s", strerror(errno));
	return 0;
}

/* Does argv hold a flag; consumes nothing (commands scan their own). */
int psctl_has_flag(int argc, char **argv, const char *flag)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], flag))
			return 1;
	return 0;
}

/* The value after an option, or NULL (and an error) when it is missing. */
const char *psctl_opt_value(struct psctl_ctx *c, int argc, char **argv,
			    int *i)
{
	if (*i + 1 >= argc) {
		psctl_error(c, psctl_g.cmd, argv[*i], NULL, PSCTL_EXIT_USAGE,
			    "needs a value");
		return NULL;
	}
	return argv[++*i];
}

/* ------------------------------------------------------------ shell */

static int cmd_shell(struct psctl_ctx *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return psctl_error(c, "shell", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (shell takes none)");
	if (c->interactive)
		return psctl_error(c, "shell", NULL, NULL, PSCTL_EXIT_USAGE,
				   "already in the shell");
	return psctl_shell(c);
}

static const struct psctl_opt init_o[] = {
	{ "gpt", NULL, "a GPT partition table (the default: MBR)", NULL },
	{ "mbr", NULL, "an MBR partition table", NULL },
	{ "size", "SIZE", "an image's size (a new file; bare: bytes)", NULL },
	{ "part-size", "SIZE", "the store partition's size", NULL },
	{ "slots", "N", "store slots, 2 or more (default 3)", NULL },
	{ "force", NULL, "overwrite what is there", NULL },
	{ NULL, NULL, NULL, NULL },
};
static const struct psctl_opt dump_o[] = {
	{ "o", "FILE", "write to FILE (whole or not at all), not stdout",
	  NULL },
	{ "output", "FILE", "as -o", NULL },
	{ NULL, NULL, NULL, NULL },
};
static const struct psctl_opt export_o[] = {
	{ "o", "FILE", "write to FILE (whole or not at all), not stdout",
	  NULL },
	{ "output", "FILE", "as -o", NULL },
	{ "binary", NULL, "the binary store (default: the text form; "
	  "--json: JSON)", NULL },
	{ NULL, NULL, NULL, NULL },
};
static const struct psctl_opt scan_o[] = {
	{ "all", NULL, "probe every key, not only up to the chosen one", NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct psctl_opt console_o[] = {
	{ "spy", NULL, "attach read-only", NULL },
	{ "force", NULL, "take the write role from its holder", NULL },
	{ "mode", "MODE", "set the port's mode: free, observer or privacy",
	  NULL },
	{ "socket", "PATH", "pscon's socket (default $PSCON_SOCKET, "
	  "/run/pscon.sock)", NULL },
	{ "retry", "SECONDS", "keep reconnecting this long when the service "
	  "goes away (default 30)", NULL },
	{ "insecure", NULL, "with --bmc: do not verify the BMC's certificate",
	  NULL },
	{ "ca", "PEM", "with --bmc: trust this certificate or CA (not the "
	  "system's)", NULL },
	{ "console-port", "PORT", "with --bmc: the console's HTTPS port "
	  "(default the --bmc PORT, else 443)", NULL },
	{ "port", "P", "exec: the VM's port by host name or number", NULL },
	{ "timeout", "SECONDS", "exec: wait this long for the command "
	  "(default 30)", NULL },
	{ "credentials", "FILE", "exec: the login file (root-only; default "
	  "/etc/pstate/console-credentials)", NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct psctl_cmd psctl_store_cmds[] = {
	{ NULL, "init", psctl_cmd_init, "",
	  "create a partition table and an empty store", init_o, 0, 0 },
	{ NULL, "scan", psctl_cmd_scan, "",
	  "USB keys in priority order, and why each was taken or skipped",
	  scan_o, 0, 0 },
	{ NULL, "info", psctl_cmd_info, "",
	  "versions, generation, size used/free, slots, semaphore", NULL, 0,
	  0 },
	{ NULL, "check", psctl_cmd_check, "",
	  "full validation; the exit code is the verdict", NULL, 0, 0 },
	{ NULL, "dump", psctl_cmd_export, "", "the store's text form", dump_o,
	  0, 0 },
	{ NULL, "export", psctl_cmd_export, "",
	  "write the store as text, JSON or binary", export_o, 0, 0 },
	{ NULL, "import", psctl_cmd_import, "FILE",
	  "replace the store's content (text, binary or JSON) in one commit",
	  NULL, 0, 0 },
	{ NULL, "console", psctl_cmd_console,
	  "VM|HOST|PORT [PORT] | list | exec VM -- COMMAND...",
	  "attach to a VM's serial console (pscon), or list the ports",
	  console_o, 0, 0 },
	{ NULL, "shell", cmd_shell, "", "interactive prompt", NULL, 0, 0 },
	{ NULL, "help", psctl_help, "[NOUN [VERB] | COMMAND]",
	  "the commands, a noun's verbs, or one command in full", NULL, 0,
	  0 },
	{ 0 }
};

/* ------------------------------------------------------------ dispatch */

const struct psctl_cmd *psctl_cmd_next(const struct psctl_cmd *prev)
{
	static const struct psctl_cmd *const tables[] = {
		psctl_move_cmds, psctl_object_cmds, psctl_serial_cmds,
		psctl_bmc_cmds, psctl_auth_cmds, psctl_pool_cmds,
		psctl_spare_cmds, psctl_vm_move_cmds,
	};
	size_t i;
	int after = prev == NULL;

	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		const struct psctl_cmd *t;

		for (t = tables[i]; t->verb; t++) {
			if (after)
				return t;
			after = t == prev;
		}
	}
	return NULL;
}

const struct psctl_cmd *psctl_find_cmd(const char *noun, const char *verb)
{
	const struct psctl_cmd *t;

	if (!noun) {
		for (t = psctl_store_cmds; t->verb; t++)
			if (!strcmp(t->verb, verb))
				return t;
		return NULL;
	}
	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun) && !strcmp(t->verb, verb))
			return t;
	return NULL;
}

int psctl_is_noun(const char *w)
{
	const struct psctl_cmd *t;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, w))
			return 1;
	return 0;
}

/* A noun without a verb, or with one it does not have: its verbs, and
 * the nearest one to a mistyped verb. */
static int noun_usage(struct psctl_ctx *c, const char *noun, const char *bad)
{
	const struct psctl_cmd *t;
	struct psctl_near near = { bad, NULL, 0 };
	char verbs[512] = "";
	size_t n = 0;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun) && n < sizeof verbs) {
			n += (size_t)snprintf(verbs + n, sizeof verbs - n,
					      "%s%s", n ? " " : "", t->verb);
			psctl_near_try(&near, t->verb);
		}
	if (near.best)
		return psctl_error(c, noun, NULL, bad, PSCTL_EXIT_USAGE,
				   "unknown verb (did you mean '%s %s'? verbs: "
				   "%s)", noun, near.best, verbs);
	return psctl_error(c, noun, NULL, bad, PSCTL_EXIT_USAGE, "%s (verbs: "
			   "%s)", bad ? "unknown verb" : "needs a verb", verbs);
}

/* Neither a noun nor a store command: the nearest of those. */
static int unknown_command(struct psctl_ctx *c, const char *w)
{
	const struct psctl_cmd *t;
	struct psctl_near near = { w, NULL, 0 };

	for (t = psctl_store_cmds; t->verb; t++)
		psctl_near_try(&near, t->verb);
	PSCTL_FOR_OBJECT_CMDS(t)
		psctl_near_try(&near, t->noun);
	if (near.best)
		return psctl_error(c, NULL, NULL, w, PSCTL_EXIT_USAGE,
				   "unknown command (did you mean '%s'? try "
				   "'psctl help')", near.best);
	return psctl_error(c, NULL, NULL, w, PSCTL_EXIT_USAGE,
			   "unknown command (try 'psctl help')");
}

/* Dispatch with --json / --dry-run already taken out of argv; -h or
 * --help anywhere after the verb prints the command's help instead. */
static int dispatch(struct psctl_ctx *c, int argc, char **argv)
{
	const struct psctl_cmd *cmd;
	int noun = psctl_is_noun(argv[0]), rc;

	if (noun && argc < 2)
		return noun_usage(c, argv[0], NULL);
	cmd = psctl_find_cmd(noun ? argv[0] : NULL, argv[noun]);
	if (!cmd)
		return noun ? noun_usage(c, argv[0], argv[1])
			    : unknown_command(c, argv[0]);
	if (psctl_wants_help(argc - noun, argv + noun)) {
		psctl_cmd_help(c->out, cmd);
		return 0;
	}
	snprintf(psctl_g.cmdbuf, sizeof psctl_g.cmdbuf, "%s%s%s",
		 noun ? argv[0] : "", noun ? " " : "", argv[noun]);
	psctl_g.cmd = psctl_g.cmdbuf;
	/* The bmc commands talk to the BMC themselves; the store they may
	 * read (a profile to push) is the local one. */
	psctl_g.local_noun = noun && !strcmp(argv[0], "bmc");
	rc = psctl_check_options(c, cmd, argc - noun, argv + noun);
	return rc ? rc : cmd->run(c, argc - noun, argv + noun);
}

int psctl_run(struct psctl_ctx *c, int argc, char **argv)
{
	int json = c->json, dry = c->dry_run, quiet = psctl_g.quiet, i, n = 0;
	int rc, opts = 1;
	char **v;

	if (argc < 1)
		return 0;
	v = calloc((size_t)argc + 1, sizeof *v);
	if (!v)
		return psctl_error(c, NULL, NULL, NULL, PS_ERR_NOMEM, NULL);
	/* --json, --dry-run and -q may follow any command ("vm list --json");
	 * a "--" ends that, so a value may still be spelt --json. */
	for (i = 0; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--json"))
			c->json = 1;
		else if (opts && !strcmp(argv[i], "--dry-run"))
			c->dry_run = 1;
		else if (opts && (!strcmp(argv[i], "-q") ||
				  !strcmp(argv[i], "--quiet")))
			psctl_g.quiet = 1;
		else if (opts && !strcmp(argv[i], "--unverified"))
			c->auth_flags |= PSCTL_AUTH_UNVERIFIED;
		else if (opts && !strcmp(argv[i], "--accept-unverified"))
			c->auth_flags |= PSCTL_AUTH_ACCEPT;
		else if (opts && !strcmp(argv[i], "--"))
			opts = 0, v[n++] = argv[i];
		else
			v[n++] = argv[i];
	}
	rc = n ? dispatch(c, n, v) : psctl_error(c, NULL, NULL, NULL,
						PSCTL_EXIT_USAGE,
						"no command given");
	psctl_g.cmd = NULL;
	fflush(c->out);
	c->json = json;
	c->dry_run = dry;
	psctl_g.quiet = quiet;
	c->auth_flags = 0;
	free(v);
	return rc;
}

/* ------------------------------------------------------------ main */

/*
 * Apply global option g (psctl_global_opts), its value v (NULL for a
 * flag): 0, -1 when done (help or version printed), or an exit code.
 * --bmc, -U, -P, -L say where the BMC is and how to log in; the password
 * may also come from $IPMI_PASSWORD (safer: -P shows in ps).
 */
static int global_opt(struct psctl_ctx *c, const struct psctl_gopt *g,
		      const char *v)
{
	const char *l = g->lng;
	struct psctl_bmc b;
	char err[400];

	if (!strcmp(l, "--device"))
		psctl_g.dev = v;
	else if (!strcmp(l, "--image"))
		psctl_g.image = v;
	else if (!strcmp(l, "--bmc") && psctl_bmc_parse(v, &b, err, sizeof err))
		return psctl_error(c, NULL, NULL, NULL, PSCTL_EXIT_INVALID,
				   "%s", err);
	else if (!strcmp(l, "--bmc"))
		c->bmc = v;
	else if (!strcmp(l, "--user"))
		c->bmc_user = v;
	else if (!strcmp(l, "--password"))
		c->bmc_password = v;
	else if (!strcmp(l, "--privilege"))
		return psctl_bmc_set_privilege(c, v) ? PSCTL_EXIT_INVALID : 0;
	else if (!strcmp(l, "--pool"))
		psctl_pool_set_url(v);
	else if (!strcmp(l, "--commit"))
		return psctl_commit_option(c, v);
	else if (!strcmp(l, "--json"))
		c->json = 1;
	else if (!strcmp(l, "--dry-run"))
		c->dry_run = 1;
	else if (!strcmp(l, "--quiet"))
		psctl_g.quiet = 1;
	else if (!strcmp(l, "--help"))
		psctl_usage(c->out);
	else
		fprintf(c->out, "psctl %s (format %u.%u, schema %u)\n",
			PSCTL_VERSION, PSF_FORMAT_MAJOR, PSF_FORMAT_MINOR,
			PSF_SCHEMA_VERSION);
	return !strcmp(l, "--help") || !strcmp(l, "--version") ? -1 : 0;
}

/* Not a global option: the nearest one, if one is near. */
static int unknown_option(struct psctl_ctx *c, const char *a)
{
	const struct psctl_gopt *g;
	struct psctl_near near = { a, NULL, 0 };

	for (g = psctl_global_opts; g->lng; g++)
		psctl_near_try(&near, g->lng);
	if (near.best)
		return psctl_error(c, NULL, NULL, a, PSCTL_EXIT_USAGE,
				   "unknown option (did you mean %s?)",
				   near.best);
	return psctl_error(c, NULL, NULL, a, PSCTL_EXIT_USAGE,
			   "unknown option (try psctl --help)");
}

static int global_opts(struct psctl_ctx *c, int argc, char **argv, int *i)
{
	for (*i = 1; *i < argc && argv[*i][0] == '-'; ++*i) {
		const char *a = argv[*i], *v = NULL;
		const struct psctl_gopt *g = psctl_global_opt(a);
		int rc;

		if (!strcmp(a, "--")) {
			++*i;
			break;
		}
		if (!g)
			return unknown_option(c, a);
		if (g->arg && !(v = psctl_opt_value(c, argc, argv, i)))
			return PSCTL_EXIT_USAGE;
		rc = global_opt(c, g, v);
		if (rc)
			return rc;
	}
	if (psctl_g.dev && psctl_g.image)
		return psctl_error(c, NULL, "-d/-i", NULL, PSCTL_EXIT_USAGE,
				   "give one store, not both");
	return 0;
}

int main(int argc, char **argv)
{
	struct psctl_ctx c = { 0 };
	int i, rc;

	c.prog = "psctl";
	c.out = stdout;
	c.err = stderr;
	/* The bash completion's entry (psctl_help.c), before any option is
	 * acted on: it gets the words as typed, global options and all. */
	if (argc > 1 && !strcmp(argv[1], "__complete"))
		return psctl_complete_main(&c, argc - 2, argv + 2);
	rc = global_opts(&c, argc, argv, &i);
	if (rc)
		return rc < 0 ? 0 : rc;
	/* No command: the shell on a terminal, usage otherwise (a script
	 * that forgot its command must not hang waiting for input). */
	if (i == argc && isatty(0) && isatty(1))
		rc = psctl_shell(&c);
	else if (i == argc)
		rc = psctl_error(&c, NULL, NULL, NULL, PSCTL_EXIT_USAGE,
				 "no command given (try psctl --help)");
	else
		rc = psctl_run(&c, argc - i, argv + i);
	psctl_close_all(&c);
	if (fflush(stdout) != 0 && rc == 0)
		rc = PSCTL_EXIT_IO;
	return rc;
}

