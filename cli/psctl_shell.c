/*
 * psctl_shell.c - `psctl shell`: an interactive prompt (libedit) with the
 * one-shot grammar, history in a file, and tab completion of commands,
 * object names and --field names (psctl_complete, as bash has it).  An
 * error prints its line and the shell goes on; `exit`, `quit` or end of
 * input end it.  Fed commands on stdin (not a terminal), it exits with
 * the last failed command's code, 0 when none failed.
 */
#include <histedit.h>
#include <wchar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psctl.h"

#define HISTORY_SIZE 1000

/* ------------------------------------------------------------ words */

/*
 * Split a line into words the way sh does for the simple cases: blanks
 * separate, '...' is literal, "..." allows \" and \\, a backslash quotes
 * the next character.  Returns the word count, or -1 for an unterminated
 * quote.  *argv (NULL-terminated) and its strings are one allocation.
 */
static int split_words(const char *line, size_t upto, char ***argv)
{
	size_t n = strlen(line) < upto ? strlen(line) : upto;
	char **v = malloc((n / 2 + 2) * sizeof *v + n + 1);
	char *o, q = 0;
	int argc = 0, inword = 0;
	size_t i;

	if (!v)
		return -1;
	o = (char *)(v + n / 2 + 2);
	for (i = 0; i < n; i++) {
		char ch = line[i];

		if (!q && (ch == ' ' || ch == '\t' || ch == '\n')) {
			if (inword)
				*o++ = 0;
			inword = 0;
			continue;
		}
		if (!inword)
			v[argc++] = o, inword = 1;
		if (!q && (ch == '\'' || ch == '"'))
			q = ch;
		else if (q && ch == q)
			q = 0;
		else if (ch == '\\' && q != '\'' && i + 1 < n)
			*o++ = line[++i];
		else
			*o++ = ch;
	}
	if (inword)
		*o = 0;
	v[argc] = NULL;
	if (q) {
		free(v);
		return -1;
	}
	*argv = v;
	return argc;
}

/* ------------------------------------------------------------ candidates */

struct cands {
	struct psctl_ctx *c;
	const char *prefix;
	size_t plen;
	char **v;
	size_t n, cap;
};

static void cand_add(struct cands *k, const char *s, size_t len)
{
	size_t i;
	char *d, **nv;

	if (len < k->plen || strncmp(s, k->prefix, k->plen))
		return;
	for (i = 0; i < k->n; i++)
		if (strlen(k->v[i]) == len && !strncmp(k->v[i], s, len))
			return;
	if (k->n == k->cap) {
		nv = realloc(k->v, (k->cap ? 2 * k->cap : 16) * sizeof *nv);
		if (!nv)
			return;
		k->v = nv;
		k->cap = k->cap ? 2 * k->cap : 16;
	}
	d = malloc(len + 1);
	if (!d)
		return;
	memcpy(d, s, len);
	d[len] = 0;
	k->v[k->n++] = d;
}

static void cand_cb(void *arg, const char *s, size_t len)
{
	cand_add(arg, s, len);
}

/* ------------------------------------------------------------ libedit */

static char *prompt(EditLine *el)
{
	(void)el;
	return (char *)"psctl> ";
}

static size_t common_len(char **v, size_t n)
{
	size_t len = strlen(v[0]), i, j;

	for (i = 1; i < n; i++) {
		for (j = 0; j < len && v[i][j] == v[0][j]; j++)
			;
		len = j;
	}
	return len;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Insert what all candidates share; list them when that adds nothing. */
static unsigned char show(EditLine *el, struct cands *k)
{
	size_t i, common;
	unsigned char rc = CC_REFRESH;
	char *ins;

	if (k->n == 0)
		return CC_REFRESH_BEEP;
	common = common_len(k->v, k->n);
	if (common > k->plen || k->n == 1) {
		ins = malloc(common - k->plen + 2);
		if (!ins)
			return CC_ERROR;
		memcpy(ins, k->v[0] + k->plen, common - k->plen);
		strcpy(ins + common - k->plen, k->n == 1 ? " " : "");
		el_insertstr(el, ins);
		free(ins);
		return CC_REFRESH;
	}
	qsort(k->v, k->n, sizeof *k->v, by_name);
	fputc('\n', stdout);
	for (i = 0; i < k->n; i++)
		fprintf(stdout, "%s%s", k->v[i], i + 1 < k->n ? "  " : "\n");
	fflush(stdout);
	rc = CC_REDISPLAY;
	return rc;
}

static unsigned char complete(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	size_t upto = (size_t)(li->cursor - li->buffer);
	struct cands k = { 0 };
	static char empty[] = "";
	char *line = malloc(upto + 1), **argv = NULL, **words;
	int argc, i, fresh;
	unsigned char rc;
	void *cd = NULL;

	(void)ch;
	if (!line)
		return CC_ERROR;
	memcpy(line, li->buffer, upto);
	line[upto] = 0;
	el_get(el, EL_CLIENTDATA, &cd);
	k.c = cd;
	/* A word is being typed unless the cursor follows a blank. */
	fresh = upto == 0 || line[upto - 1] == ' ' || line[upto - 1] == '\t';
	argc = split_words(line, upto, &argv);
	if (argc < 0) {
		free(line);
		return CC_REFRESH_BEEP;
	}
	/* The words before the cursor and the one being typed (psctl_help's
	 * completion, the same as bash's). */
	words = malloc(((size_t)argc + 2) * sizeof *words);
	if (!words) {
		free(argv);
		free(line);
		return CC_ERROR;
	}
	memcpy(words, argv, (size_t)argc * sizeof *words);
	if (fresh || argc == 0)
		words[argc++] = empty;
	k.prefix = words[argc - 1];
	k.plen = strlen(k.prefix);
	psctl_complete(k.c, argc, words, 1, cand_cb, &k);
	free(words);
	rc = show(el, &k);
	for (i = 0; i < (int)k.n; i++)
		free(k.v[i]);
	free(k.v);
	free(argv);
	free(line);
	return rc;
}

static const char *history_file(char *buf, size_t len)
{
	const char *e = getenv("PSTATE_HISTORY"), *home = getenv("HOME");

	if (e && *e)
		return e;
	if (!home || !*home)
		return NULL;
	snprintf(buf, len, "%s/.psctl_history", home);
	return buf;
}

/* One line: split, run; errors were printed by the command. */
static int run_line(struct psctl_ctx *c, const char *line, int *done)
{
	char **argv;
	int argc = split_words(line, strlen(line), &argv), rc;

	if (argc < 0)
		return psctl_error(c, "shell", NULL, NULL, PSCTL_EXIT_USAGE,
				   "unterminated quote");
	if (argc == 1 && (!strcmp(argv[0], "exit") ||
			  !strcmp(argv[0], "quit"))) {
		*done = 1;
		free(argv);
		return 0;
	}
	/* Other writers may have committed since the last command. */
	if (c->store)
		ps_store_refresh(c->store);
	rc = argc ? psctl_run(c, argc, argv) : 0;
	free(argv);
	return rc;
}

int psctl_shell(struct psctl_ctx *c)
{
	EditLine *el = el_init("psctl", stdin, stdout, stderr);
	History *h = history_init();
	HistEvent ev;
	const char *line, *hf;
	char hbuf[1024];
	int count, done = 0, rc, status = 0, fed = !isatty(0);

	if (!el || !h) {
		if (el)
			el_end(el);
		if (h)
			history_end(h);
		return psctl_error(c, "shell", NULL, NULL, PS_ERR_NOMEM,
				   "cannot start libedit");
	}
	c->interactive = 1;
	hf = history_file(hbuf, sizeof hbuf);
	history(h, &ev, H_SETSIZE, HISTORY_SIZE);
	history(h, &ev, H_SETUNIQUE, 1);
	if (hf)
		history(h, &ev, H_LOAD, hf);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_PROMPT, prompt);
	el_set(el, EL_HIST, history, h);
	el_set(el, EL_CLIENTDATA, c);
	/* The wide form: narrow EL_ADDFN copies the strings and never frees
	 * them (libedit 3.1), which LeakSanitizer reports. */
	el_wset(el, EL_ADDFN, L"psctl-complete", L"complete a word", complete);
	el_set(el, EL_BIND, "^I", "psctl-complete", NULL);
	el_source(el, NULL);
	/* Open the store now, so names complete from the first line; a
	 * missing store is not fatal (init may be the first command). */
	psctl_need_store(c);
	while (!done && (line = el_gets(el, &count)) != NULL) {
		char *l = strdup(line);

		if (!l)
			break;
		l[strcspn(l, "\n")] = 0;
		if (l[strspn(l, " \t")]) {
			history(h, &ev, H_ENTER, l);
			if (hf)
				history(h, &ev, H_SAVE, hf);
		}
		rc = run_line(c, l, &done);
		/* Commands fed on stdin are a script: its status says whether
		 * one failed (the last failure's exit code). */
		if (rc && fed)
			status = rc;
		fflush(c->out);
		free(l);
	}
	if (!done)
		fputc('\n', c->out);
	history_end(h);
	el_end(el);
	c->interactive = 0;
	return status;
}
