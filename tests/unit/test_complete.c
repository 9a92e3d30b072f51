/*
 * test_complete.c - psctl's completion (psctl_complete, cli/psctl_complete.c)
 * and the pieces help shares with it (cli/psctl_help.c): linked with
 * psctl's own objects (psctl.c's main renamed, cli/cli.mk).
 *
 *   - first words, verbs of a noun, help NOUN;
 *   - only the command's own --FIELDs and options; a field's allowed
 *     words; a global option's values; literal words of args (bmc power);
 *     file names where FILE is expected, never elsewhere;
 *   - names from a store (docs/examples/default-store.txt imported into a
 *     scratch image): VMs, a VM's NICs, networks after --network, images
 *     after --image, profiles, targets; never the list header NAME;
 *   - the args parser (forms, optional words, option values) and the
 *     "did you mean" distance.
 * Run from the repository root (it reads docs/examples).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "psctl.h"
#include "psctl_help.h"
#include "psctl_main.h"

#define SAMPLE "docs/examples/default-store.txt"

/* The candidates of the last call, space-separated and sorted. */
static char got[4096];
static int files;

static void add(void *arg, const char *s, size_t len)
{
	(void)arg;
	assert_true(strlen(got) + len + 2 < sizeof got);
	strncat(got, s, len);
	strcat(got, " ");
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_words(void)
{
	char copy[sizeof got], *v[256], *t;
	int n = 0, i;

	strcpy(copy, got);
	for (t = strtok(copy, " "); t && n < 256; t = strtok(NULL, " "))
		v[n++] = t;
	qsort(v, (size_t)n, sizeof *v, by_str);
	got[0] = 0;
	for (i = 0; i < n; i++) {
		strcat(got, v[i]);
		if (i + 1 < n)
			strcat(got, " ");
	}
}

static struct psctl_ctx ctx;

/* Complete the words of line (split at blanks; a trailing blank: an
 * empty word being typed), shell or not; the sorted candidates. */
static const char *complete_in(const char *line, int shell)
{
	char buf[512], *w[32], *t;
	static char empty[] = "";
	int n = 0;
	size_t len = strlen(line);

	strcpy(buf, line);
	for (t = strtok(buf, " "); t && n < 31; t = strtok(NULL, " "))
		w[n++] = t;
	if (len == 0 || line[len - 1] == ' ')
		w[n++] = empty;
	got[0] = 0;
	files = psctl_complete(&ctx, n, w, shell, add, NULL);
	sort_words();
	return got;
}

static const char *complete(const char *line)
{
	return complete_in(line, 0);
}

/* ------------------------------------------------------------ no store */

static void test_commands(void **state)
{
	(void)state;
	assert_string_equal(complete("vm "), "create delete list move set show");
	assert_string_equal(complete("vm s"), "set show");
	assert_string_equal(complete("vm move web --"), "--to");
	assert_string_equal(complete("i"), "image import info init");
	assert_string_equal(complete_in("s", 1),
			    "scan serial server spare-pool storage");
	assert_string_equal(complete_in("e", 1), "exit export");
	assert_string_equal(complete("s"),
			    "scan serial server shell spare-pool storage");
	assert_string_equal(complete("pool "), "allocate check create delete "
			    "export import list reclaim reindex release reserve "
			    "show");
	assert_string_equal(complete("pool create x --kind "),
			    "mac serial uuid wwn");
	assert_string_equal(complete("help vm "),
			    "create delete list move set show");
	assert_string_equal(complete("help n"), "net nic");
	/* The hidden entry is never offered. */
	assert_null(strstr(complete(""), "__complete"));
}

static void test_fields(void **state)
{
	(void)state;
	assert_string_equal(complete("nic add web01 eth9 --"),
			    "--link --mac --model --name --network");
	assert_string_equal(complete("vm set web01 --p"),
			    "--power --profile --pxe --pxe-nic");
	assert_string_equal(complete("storage add web01 d --c"), "--cdrom");
	assert_string_equal(complete("init --s"), "--size --slots");
	assert_string_equal(complete("export -"), "--binary --output -o");
	/* No fields where the command takes none. */
	assert_string_equal(complete("vm delete web01 --"), "");
	assert_string_equal(complete("-"), "--bmc --commit --device --dry-run "
			    "--help --image --json --password --pool --privilege "
			    "--quiet --user --version -L -P -U -d -h -i -n -q");
	assert_string_equal(complete("-i x.img -"), "--bmc --commit --device "
			    "--dry-run --help --image --json --password --pool "
			    "--privilege --quiet --user --version -L -P -U -d "
			    "-h -i -n -q");
	assert_string_equal(complete("--privilege "), "administrator operator");
	assert_string_equal(complete("--commit "), "fast ordered");
}

static void test_values(void **state)
{
	(void)state;
	assert_string_equal(complete("vm set web01 --power "), "last off on");
	assert_string_equal(complete("vm set web01 --pxe o"), "off on");
	assert_string_equal(complete("nic set web01 eth0 --model v"),
			    "virtio");
	assert_string_equal(complete("serial allocate web01 2 --mode "),
			    "free observer privacy");
	assert_string_equal(complete("-L a"), "administrator");
	assert_string_equal(complete("bmc power "), "off on status");
	assert_string_equal(complete("bmc profile "), "pull push");
	/* A value that is free text has no candidates, and no files. */
	assert_string_equal(complete("vm set web01 --description "), "");
	assert_int_equal(files, 0);
	assert_string_equal(complete("vm set web01 --memory "), "");
	assert_int_equal(files, 0);
}

static void test_files(void **state)
{
	(void)state;
	complete("import ");
	assert_int_equal(files, PSCTL_COMPLETE_FILES);
	complete("-i ");
	assert_int_equal(files, PSCTL_COMPLETE_FILES);
	complete("--device ");
	assert_int_equal(files, PSCTL_COMPLETE_FILES);
	complete("-U ");
	assert_int_equal(files, 0);
	complete("export -o ");
	assert_int_equal(files, PSCTL_COMPLETE_FILES);
	complete("storage add web01 d2 --image ");
	assert_int_equal(files, 0);
	complete("vm show ");
	assert_int_equal(files, 0);
}

static void test_args_parser(void **state)
{
	const char *w;
	int opt = 0;
	size_t n;

	(void)state;
	n = psctl_arg_word("VM NAME [--FIELD VALUE]...", 0, 1, &w, NULL);
	assert_int_equal(n, 4);
	assert_memory_equal(w, "NAME", 4);
	assert_int_equal(psctl_arg_word("VM NAME [--FIELD VALUE]...", 0, 2,
					&w, NULL), 0);
	assert_int_equal(psctl_arg_word("NAME --FIELD VALUE...", 0, 1, &w,
					NULL), 0);
	n = psctl_arg_word("[VM]", 0, 0, &w, &opt);
	assert_int_equal(n, 2);
	assert_int_equal(opt, 1);
	n = psctl_arg_word("VM COUNT [--mode M] [--hostnames a,b | "
			   "--hostname-base B]", 0, 1, &w, NULL);
	assert_memory_equal(w, "COUNT", n);
	assert_int_equal(psctl_arg_word("VM COUNT [--hostnames a,b | "
					"--hostname-base B]", 1, 0, &w, NULL),
			 0);
	n = psctl_arg_word("push FILE|PROFILE [--vm VM] | pull [--vm VM]", 1,
			   0, &w, NULL);
	assert_memory_equal(w, "pull", n);
	n = psctl_arg_word("VM PORT --concentrator N [--mode M]", 0, 1, &w,
			   NULL);
	assert_memory_equal(w, "PORT", n);
	assert_int_equal(psctl_arg_word("VM PORT --concentrator N", 0, 2, &w,
					NULL), 0);
}

static void test_near(void **state)
{
	struct psctl_near n = { "memroy", NULL, 0 };

	(void)state;
	psctl_near_try(&n, "name");
	psctl_near_try(&n, "memory");
	psctl_near_try(&n, "mode");
	assert_string_equal(n.best, "memory");
	assert_int_equal(n.dist, 1);
	n = (struct psctl_near){ "colour", NULL, 0 };
	psctl_near_try(&n, "cores");
	psctl_near_try(&n, "cpus");
	assert_null(n.best);
	assert_string_equal(psctl_near_option(psctl_find_cmd("vm", "set"),
					      "cpu"), "cpus");
	assert_string_equal(psctl_near_option(psctl_find_cmd(NULL, "init"),
					      "slot"), "slots");
	assert_null(psctl_near_option(psctl_find_cmd("vm", "set"), "zzzzz"));
}

static void test_options(void **state)
{
	const struct psctl_cmd *set = psctl_find_cmd("vm", "set");
	const struct psctl_cmd *sto = psctl_find_cmd("storage", "add");
	const struct psctl_cmd *exp = psctl_find_cmd(NULL, "export");
	const struct ps_field *f;
	const struct psctl_opt *o;
	char *ok1[] = { "set", "web01", "--description", "--memroy" };
	char *ok2[] = { "set", "web01", "--", "--memroy" };
	char *ok3[] = { "set", "web01", "--quiet", "--cpus", "2" };
	char *bad[] = { "set", "web01", "--cpus", "2", "--memroy", "4G" };
	char msg[256] = "";
	FILE *err = tmpfile(), *keep = ctx.err;

	(void)state;
	assert_int_equal(psctl_cmd_option(set, "--memory", &f, &o), 1);
	assert_string_equal(f->name, "memory");
	assert_int_equal(psctl_cmd_option(set, "--memory=4G", &f, &o), 0);
	assert_non_null(f);
	assert_int_equal(psctl_cmd_option(sto, "--cdrom", &f, &o), 0);
	assert_string_equal(o->name, "cdrom");
	assert_int_equal(psctl_cmd_option(exp, "-o", &f, &o), 1);
	assert_int_equal(psctl_cmd_option(exp, "--o", &f, &o), 0);
	assert_null(o);
	assert_null(f);
	assert_non_null(err);
	ctx.err = err;
	assert_int_equal(psctl_check_options(&ctx, set, 4, ok1), 0);
	assert_int_equal(psctl_check_options(&ctx, set, 4, ok2), 0);
	assert_int_equal(psctl_check_options(&ctx, set, 5, ok3), 0);
	assert_int_equal(psctl_check_options(&ctx, set, 6, bad),
			 PSCTL_EXIT_USAGE);
	ctx.err = keep;
	rewind(err);
	assert_non_null(fgets(msg, sizeof msg, err));
	assert_non_null(strstr(msg, "memroy: no such field for vm (did you "
				    "mean --memory?)"));
	fclose(err);
}

/* ------------------------------------------------------------ a store */

static char dir[256], image[300];

/* A scratch image with the sample store, in a directory of the test's
 * that also holds the writers' lock (flock). */
static int setup_store(void **state)
{
	char *init[] = { "init", NULL }, *imp[] = { "import", SAMPLE, NULL };
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof dir, "%s/test_complete.XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(image, sizeof image, "%s/c.img", dir);
	setenv("PSTATE_SEM_MODE", "flock", 1);
	setenv("PSTATE_LOCK_DIR", dir, 1);
	ctx.prog = "psctl";
	ctx.out = fopen("/dev/null", "w");
	ctx.err = stderr;
	psctl_g.image = image;
	psctl_g.quiet = 1;
	if (psctl_run(&ctx, 1, init) || psctl_run(&ctx, 2, imp))
		return -1;
	return psctl_need_store(&ctx);
}

static int teardown_store(void **state)
{
	char cmd[400];

	(void)state;
	psctl_close_all(&ctx);
	if (ctx.out)
		fclose(ctx.out);
	unsetenv("PSTATE_SEM_MODE");
	unsetenv("PSTATE_LOCK_DIR");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(complete("vm show "), "build01 web01");
	assert_string_equal(complete("vm set w"), "web01");
	assert_string_equal(complete("nic list "), "build01 web01");
	assert_string_equal(complete("nic set web01 "), "eth0");
	assert_string_equal(complete("nic add web01 eth9 --network "),
			    "lan provisioning");
	assert_string_equal(complete("storage add web01 d2 --image "),
			    "installer web01-root");
	assert_string_equal(complete("net show "), "lan provisioning");
	assert_string_equal(complete("vm set web01 --profile "),
			    "rack4-slot7");
	assert_string_equal(complete("profile move "), "rack4-slot7");
	assert_string_equal(complete("profile move rack4-slot7 "),
			    "build01 web01");
	/* A new object's name is the user's to give. */
	assert_string_equal(complete("vm create "), "");
	assert_string_equal(complete("nic add web01 "), "");
	/* The table header is no name. */
	assert_null(strstr(complete("vm list "), "NAME"));
	assert_null(strstr(complete("image show "), "NAME"));
	/* bmc profile push FILE|PROFILE: profiles and files. */
	assert_string_equal(complete("bmc profile push "), "rack4-slot7");
	assert_int_equal(files, PSCTL_COMPLETE_FILES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_args_parser),
		cmocka_unit_test(test_near),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup_store, teardown_store);
}
