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

/* ------------------------------------------------------------ help, shell */

static void usage(FILE *to)
{
	const struct psctl_cmd *t;

	fprintf(to, "usage: psctl [-d DEV | -i FILE] [-q] [--json] [--dry-run]"
		" COMMAND [ARGS]\n       psctl [GLOBAL OPTIONS] NOUN VERB "
		"[ARGS] [--FIELD VALUE ...]\n       psctl --bmc HOST[:PORT] "
		"[-U USER] [-P PASS] [-L LEVEL] COMMAND ...   (a server's "
		"store, through its BMC;\n       the password better in "
		"$IPMI_PASSWORD)\n       psctl --pool etcd://HOST:PORT[,...] "
		"profile|server ...   (the pool on etcd; or $PSTATE_POOL)"
		"\n\nstore commands:\n");
	for (t = psctl_store_cmds; t->verb; t++)
		fprintf(to, "  %-30s %s\n", t->args ? t->args : t->verb,
			t->help ? t->help : "");
	fprintf(to, "\nobject commands:\n");
	PSCTL_FOR_OBJECT_CMDS(t) {
		char head[160];

		snprintf(head, sizeof head, "%s %s %s", t->noun, t->verb,
			 t->args ? t->args : "");
		fprintf(to, "  %-30s %s\n", head, t->help ? t->help : "");
	}
	fprintf(to, "\nsee psctl(1) for options, exit codes and examples\n");
}

static int cmd_help(struct psctl_ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(c->out);
	return 0;
}

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

static const char *const init_fields[] = { "gpt", "mbr", "size", "part-size",
					   "slots", "force", NULL };
static const char *const export_fields[] = { "output", "binary", "json",
					     NULL };
static const char *const scan_fields[] = { "all", NULL };

const struct psctl_cmd psctl_store_cmds[] = {
	{ NULL, "init", psctl_cmd_init, "init [--gpt] [--size S] [--force]",
	  "create a partition table and an empty store", init_fields },
	{ NULL, "scan", psctl_cmd_scan, "scan [--all]",
	  "USB keys in priority order, and why each was taken or skipped",
	  scan_fields },
	{ NULL, "info", psctl_cmd_info, "info",
	  "versions, generation, size used/free, slots, semaphore", NULL },
	{ NULL, "check", psctl_cmd_check, "check",
	  "full validation; the exit code is the verdict", NULL },
	{ NULL, "dump", psctl_cmd_export, "dump [-o FILE]",
	  "the store's text form", export_fields },
	{ NULL, "export", psctl_cmd_export,
	  "export [--json|--binary] [-o FILE]", "write the store as text, JSON or binary", export_fields },
	{ NULL, "import", psctl_cmd_import, "import FILE",
	  "replace the store's content (text or binary) in one commit", NULL },
	{ NULL, "shell", cmd_shell, "shell", "interactive prompt", NULL },
	{ NULL, "help", cmd_help, "help", "this list", NULL },
	{ 0 }
};

/* ------------------------------------------------------------ dispatch */

static const struct psctl_cmd *find_cmd(const struct psctl_cmd *t,
					const char *noun, const char *verb)
{
	for (; t->verb; t++)
		if ((noun ? t->noun && !strcmp(t->noun, noun) : !t->noun) &&
		    !strcmp(t->verb, verb))
			return t;
	return NULL;
}

const struct psctl_cmd *psctl_cmd_next(const struct psctl_cmd *prev)
{
	static const struct psctl_cmd *const tables[] = {
		psctl_move_cmds, psctl_object_cmds, psctl_serial_cmds,
		psctl_bmc_cmds,
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

static const struct psctl_cmd *find_object_cmd(const char *noun,
					       const char *verb)
{
	const struct psctl_cmd *t;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun) && !strcmp(t->verb, verb))
			return t;
	return NULL;
}

static int is_noun(const char *w)
{
	const struct psctl_cmd *t;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (t->noun && !strcmp(t->noun, w))
			return 1;
	return 0;
}

static int noun_usage(struct psctl_ctx *c, const char *noun, const char *bad)
{
	const struct psctl_cmd *t;
	char verbs[512] = "";
	size_t n = 0;

	PSCTL_FOR_OBJECT_CMDS(t)
		if (!strcmp(t->noun, noun) && n < sizeof verbs)
			n += (size_t)snprintf(verbs + n, sizeof verbs - n,
					      "%s%s", n ? " " : "", t->verb);
	return psctl_error(c, noun, NULL, bad, PSCTL_EXIT_USAGE, "%s (verbs: "
			   "%s)", bad ? "unknown verb" : "needs a verb", verbs);
}

/* Dispatch with --json / --dry-run already taken out of argv. */
static int dispatch(struct psctl_ctx *c, int argc, char **argv)
{
	const struct psctl_cmd *cmd;

	if (is_noun(argv[0])) {
		if (argc < 2)
			return noun_usage(c, argv[0], NULL);
		cmd = find_object_cmd(argv[0], argv[1]);
		if (!cmd)
			return noun_usage(c, argv[0], argv[1]);
		snprintf(psctl_g.cmdbuf, sizeof psctl_g.cmdbuf, "%s %s",
			 argv[0], argv[1]);
		psctl_g.cmd = psctl_g.cmdbuf;
		/* The bmc commands talk to the BMC themselves; the store they
		 * may read (a profile to push) is the local one. */
		psctl_g.local_noun = !strcmp(argv[0], "bmc");
		return cmd->run(c, argc - 1, argv + 1);
	}
	cmd = find_cmd(psctl_store_cmds, NULL, argv[0]);
	if (!cmd)
		return psctl_error(c, NULL, NULL, argv[0], PSCTL_EXIT_USAGE,
				   "unknown command (try 'psctl help')");
	snprintf(psctl_g.cmdbuf, sizeof psctl_g.cmdbuf, "%s", argv[0]);
	psctl_g.cmd = psctl_g.cmdbuf;
	return cmd->run(c, argc, argv);
}

int psctl_run(struct psctl_ctx *c, int argc, char **argv)
{
	int json = c->json, dry = c->dry_run, i, n = 0, rc, opts = 1;
	char **v;

	if (argc < 1)
		return 0;
	v = calloc((size_t)argc + 1, sizeof *v);
	if (!v)
		return psctl_error(c, NULL, NULL, NULL, PS_ERR_NOMEM, NULL);
	/* --json and --dry-run may follow any command ("vm list --json"); a
	 * "--" ends that, so a value may still be spelt --json. */
	for (i = 0; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--json"))
			c->json = 1;
		else if (opts && !strcmp(argv[i], "--dry-run"))
			c->dry_run = 1;
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
	free(v);
	return rc;
}

/* ------------------------------------------------------------ main */

/* --bmc, -U, -P, -L: where the BMC is and how to log in.  The password
 * may also come from $IPMI_PASSWORD (safer: -P shows in ps). */
static int bmc_opt(struct psctl_ctx *c, const char *opt, const char *v)
{
	struct psctl_bmc b;
	char err[400];

	if (!strcmp(opt, "--bmc")) {
		if (psctl_bmc_parse(v, &b, err, sizeof err))
			return psctl_error(c, NULL, NULL, NULL,
					   PSCTL_EXIT_INVALID, "%s", err);
		c->bmc = v;
	} else if (opt[1] == 'U' || opt[2] == 'u') {
		c->bmc_user = v;
	} else if (opt[1] == 'P' || opt[2] == 'p') {
		c->bmc_password = v;
	} else {
		return psctl_bmc_set_privilege(c, v);
	}
	return 0;
}

static int global_opts(struct psctl_ctx *c, int argc, char **argv, int *i)
{
	for (*i = 1; *i < argc && argv[*i][0] == '-'; ++*i) {
		const char *a = argv[*i];

		if (!strcmp(a, "-d") || !strcmp(a, "--device") ||
		    !strcmp(a, "-i") || !strcmp(a, "--image")) {
			const char *v = psctl_opt_value(c, argc, argv, i);

			if (!v)
				return PSCTL_EXIT_USAGE;
			if (a[1] == 'd' || a[2] == 'd')
				psctl_g.dev = v;
			else
				psctl_g.image = v;
		} else if (!strcmp(a, "--bmc") || !strcmp(a, "-U") ||
			   !strcmp(a, "--user") || !strcmp(a, "-P") ||
			   !strcmp(a, "--password") || !strcmp(a, "-L") ||
			   !strcmp(a, "--privilege")) {
			const char *v = psctl_opt_value(c, argc, argv, i);

			if (!v)
				return PSCTL_EXIT_USAGE;
			if (bmc_opt(c, a, v))
				return PSCTL_EXIT_INVALID;
		} else if (!strcmp(a, "--pool")) {
			const char *v = psctl_opt_value(c, argc, argv, i);

			if (!v)
				return PSCTL_EXIT_USAGE;
			psctl_pool_set_url(v);
		} else if (!strcmp(a, "--json")) {
			c->json = 1;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			c->dry_run = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			psctl_g.quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(c->out);
			return -1;
		} else if (!strcmp(a, "--version")) {
			fprintf(c->out, "psctl %s (format %u.%u, schema %u)\n",
				PSCTL_VERSION, PSF_FORMAT_MAJOR,
				PSF_FORMAT_MINOR, PSF_SCHEMA_VERSION);
			return -1;
		} else if (!strcmp(a, "--")) {
			++*i;
			break;
		} else {
			return psctl_error(c, NULL, NULL, a, PSCTL_EXIT_USAGE,
					   "unknown option (try psctl --help)");
		}
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

