/*
 * psctl_conf.c - psctl's config file and the settings it shares with a
 * global option: `pool` (the etcd pool, psctl_pool.c) and `commit` (how a
 * commit makes its writes durable, docs/store.md section 4).
 *
 * The file is $PSTATE_PSCTL_CONF, else /etc/pstate/psctl.conf: `KEY =
 * VALUE` lines, '#' comments, blank lines.  A missing file sets nothing;
 * an unknown key, a line without '=' or a bad value is an error naming
 * the file and line.  Read once per process, when a setting is first
 * asked for and the command line did not give it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pstate.h"
#include "psctl.h"
#include "psctl_main.h"

const struct ps_enum psctl_commit_words[] = {
	{ "fast", PS_COMMIT_FAST }, { "ordered", PS_COMMIT_ORDERED },
	{ NULL, 0 },
};

static struct {
	int read;                /* the file was read (rc says how) */
	int rc;
	char pool[512];          /* pool = URL ("" not set) */
	int commit;              /* commit = WORD: its value, -1 not set */
	int commit_opt;          /* --commit: its value, -1 not given */
} conf_g = { 0, 0, "", -1, -1 };

/* The value of word w in psctl_commit_words, or -1. */
static int commit_word(const char *w)
{
	const struct ps_enum *e;

	for (e = psctl_commit_words; e->name; e++)
		if (!strcmp(e->name, w))
			return e->value;
	return -1;
}

int psctl_commit_option(struct psctl_ctx *c, const char *v)
{
	conf_g.commit_opt = commit_word(v);
	if (conf_g.commit_opt < 0)
		return psctl_error(c, NULL, "--commit", v, PSCTL_EXIT_INVALID,
				   "not fast or ordered");
	return 0;
}

/* Line no of path, key k (kl bytes), value v: 0 or the exit code. */
static int conf_line(struct psctl_ctx *c, const char *path, int no,
		     const char *k, size_t kl, const char *v)
{
	if (kl == 4 && !strncmp(k, "pool", 4)) {
		snprintf(conf_g.pool, sizeof conf_g.pool, "%s", v);
		return 0;
	}
	if (kl == 6 && !strncmp(k, "commit", 6)) {
		conf_g.commit = commit_word(v);
		if (conf_g.commit >= 0)
			return 0;
		return psctl_error(c, psctl_g.cmd, NULL, NULL,
				   PSCTL_EXIT_INVALID, "%s:%d: commit '%s': "
				   "not fast or ordered", path, no, v);
	}
	return psctl_error(c, psctl_g.cmd, NULL, NULL, PSCTL_EXIT_INVALID,
			   "%s:%d: not 'pool = etcd://HOST:PORT[,...]' or "
			   "'commit = fast|ordered' (the settings)", path, no);
}

/* The file at path, or NULL: none there (*rc 0), or refused (*rc the exit
 * code, said): a symbolic link, or a file another local user could have
 * planted or could change (ps_file_untrusted), whose pool URL would
 * redirect a root psctl. */
static FILE *open_conf(struct psctl_ctx *c, const char *path, int *rc)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	const char *why = NULL;
	struct stat sb;
	FILE *f;

	*rc = 0;
	if (fd < 0 && errno == ENOENT)
		return NULL;
	if (fd < 0)
		why = errno == ELOOP ? "a symbolic link" : strerror(errno);
	else if (fstat(fd, &sb))
		why = strerror(errno);
	else
		why = ps_file_untrusted(&sb, 0);
	if (!why && (f = fdopen(fd, "r")))
		return f;
	if (fd >= 0)
		close(fd);
	*rc = psctl_error(c, psctl_g.cmd, NULL, NULL, PSCTL_EXIT_INVALID,
			  "%s: %s: the configuration file refused", path,
			  why ? why : strerror(errno));
	return NULL;
}

static int read_conf(struct psctl_ctx *c)
{
	const char *path = getenv("PSTATE_PSCTL_CONF");
	char line[600], *k, *v;
	size_t kl;
	int no = 0, rc = 0;
	FILE *f;

	if (!path || !*path)
		path = "/etc/pstate/psctl.conf";
	f = open_conf(c, path, &rc);
	if (!f)
		return rc;
	while (!rc && fgets(line, sizeof line, f)) {
		no++;
		k = line + strspn(line, " \t");
		if (*k == '#' || *k == '\n' || *k == '\r' || !*k)
			continue;
		v = strchr(k, '=');
		kl = strcspn(k, " \t=");
		if (!v) {
			rc = conf_line(c, path, no, "", 0, "");
			break;
		}
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, " \t\r\n")] = 0;
		rc = conf_line(c, path, no, k, kl, v);
	}
	fclose(f);
	return rc;
}

/* The file, read once: 0 or the exit code (reported the first time). */
static int conf(struct psctl_ctx *c)
{
	if (!conf_g.read) {
		conf_g.read = 1;
		conf_g.rc = read_conf(c);
	}
	return conf_g.rc;
}

int psctl_conf_pool(struct psctl_ctx *c, const char **url)
{
	int rc = conf(c);

	*url = conf_g.pool[0] ? conf_g.pool : NULL;
	return rc;
}

int psctl_commit_flags(struct psctl_ctx *c, unsigned *flags)
{
	int rc = conf_g.commit_opt >= 0 ? 0 : conf(c);
	int m = conf_g.commit_opt >= 0 ? conf_g.commit_opt : conf_g.commit;

	*flags = m == PS_COMMIT_ORDERED ? PS_OPEN_ORDERED : 0;
	return rc;
}
