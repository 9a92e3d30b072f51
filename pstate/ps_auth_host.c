/*
 * ps_auth_host.c - the host's key and trusted counter for authenticated
 * stores (docs/store.md section 8.5): where they live (a TPM when there
 * is one, ps_auth_tpm.c; root-only files otherwise) and the files.
 *
 * A key file is 32 raw bytes, a counter file one decimal number and a
 * newline.  Both must be regular files owned by root with mode 0600,
 * opened without following a symlink: anyone who can write them can
 * forge the store or roll it back, anyone who can read the key can forge
 * it.  A file that breaks the rule is refused, never repaired.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_internal.h"
#include "ps_auth_internal.h"

/* Open path (no symlink) and check it is a root-only regular file. */
static int open_private(struct ps_auth_host *h, const char *what,
			const char *path, int flags)
{
	struct stat sb;
	int fd = open(path, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(h->err, sizeof h->err, "%s %s: %s", what, path,
			 errno == ELOOP ? "is a symbolic link: refused"
					: strerror(errno));
		return errno == ENOENT ? PS_ERR_NOKEY :
		       errno == ELOOP ? PS_ERR_NOKEY : PS_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & 07777) != 0600) {
		snprintf(h->err, sizeof h->err, "%s %s: owner %lu, mode %04o: "
			 "must be a regular file owned by root, mode 0600: "
			 "refused", what, path, (unsigned long)sb.st_uid,
			 (unsigned)(sb.st_mode & 07777));
		close(fd);
		return PS_ERR_NOKEY;
	}
	return fd;
}

/* Read at most n bytes of path into p (callers pass one more than they
 * accept, so that a longer file shows). */
int ps__auth_read_private(struct ps_auth_host *h, const char *what,
			  const char *path, char *p, size_t n, size_t *got)
{
	int fd = open_private(h, what, path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return fd;
	r = read(fd, p, n);
	close(fd);
	if (r < 0) {
		snprintf(h->err, sizeof h->err, "%s %s: %s", what, path,
			 strerror(errno));
		return PS_ERR_IO;
	}
	*got = (size_t)r;
	return PS_OK;
}

/* Make dir and its missing parents: the parents 0755 (they may be
 * /etc/pstate, which other tools read), dir itself 0700 (it holds keys
 * and counters).  An existing one is kept as it is. */
static int make_dirs(struct ps_auth_host *h, const char *dir)
{
	char p[PS_AUTH_PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof p)
		return PS_OK;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, i == n ? 0700 : 0755) != 0 && errno != EEXIST) {
			snprintf(h->err, sizeof h->err, "directory %s: %s", p,
				 strerror(errno));
			return PS_ERR_IO;
		}
		p[i] = i == n ? 0 : '/';
	}
	return PS_OK;
}

/*
 * Replace path with n bytes of p, durably: a temporary file beside it
 * (created 0600, never through a symlink), fsync, rename, fsync of the
 * directory (created 0700 when missing).  A power cut leaves the old file or the new one.
 */
int ps__auth_write_private(struct ps_auth_host *h, const char *what,
			   const char *path, const void *p, size_t n, int excl)
{
	char tmp[PS_AUTH_PATH_MAX + 8], dir[PS_AUTH_PATH_MAX];
	char *slash;
	int fd, dfd, ok;

	if (excl && access(path, F_OK) == 0) {
		snprintf(h->err, sizeof h->err, "%s %s exists: refused (a "
			 "key is never overwritten; `psctl auth rotate` "
			 "replaces it)", what, path);
		return PS_ERR_EXISTS;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	snprintf(slash ? slash : dir, sizeof dir - (size_t)(slash ? slash - dir : 0),
		 "%s", slash ? (slash == dir ? "/" : "") : ".");
	if (make_dirs(h, dir) != PS_OK)
		return PS_ERR_IO;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		snprintf(h->err, sizeof h->err, "%s %s: %s", what, tmp,
			 strerror(errno));
		return PS_ERR_IO;
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, p, n) == (ssize_t)n &&
	     fsync(fd) == 0;
	ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	if (!ok) {
		snprintf(h->err, sizeof h->err, "%s %s: %s", what, path,
			 strerror(errno));
		(void)unlink(tmp);
		return PS_ERR_IO;
	}
	dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return PS_OK;
}

static int host_key(void *ctx, uint8_t *key)
{
	struct ps_auth_host *h = ctx;
	size_t got = 0;
	int rc = ps__auth_read_private(h, "key file", h->key_path, (char *)key,
			      PS_AUTH_KEY_LEN + 1, &got);

	if (rc == PS_OK && got != PS_AUTH_KEY_LEN) {
		snprintf(h->err, sizeof h->err, "key file %s: %zu bytes, "
			 "expected %u: refused", h->key_path, got,
			 PS_AUTH_KEY_LEN);
		rc = PS_ERR_NOKEY;
	}
	return rc;
}

static int host_get_counter(void *ctx, uint64_t *v)
{
	struct ps_auth_host *h = ctx;
	char buf[32], *end;
	size_t got = 0;
	int rc = ps__auth_read_private(h, "counter file", h->counter_path, buf,
			      sizeof buf - 1, &got);

	if (rc)
		return rc;
	buf[got] = 0;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf || buf[0] == '-' || strcmp(end, "\n") != 0) {
		snprintf(h->err, sizeof h->err, "counter file %s: not one "
			 "decimal number and a newline", h->counter_path);
		return PS_ERR_IO;
	}
	return PS_OK;
}

static int host_set_counter(void *ctx, uint64_t v)
{
	struct ps_auth_host *h = ctx;
	char buf[32];
	uint64_t cur;
	int rc = host_get_counter(ctx, &cur);

	if (rc == PS_OK && v < cur) {
		snprintf(h->err, sizeof h->err, "counter file %s: %llu would "
			 "go back to %llu: refused", h->counter_path,
			 (unsigned long long)cur, (unsigned long long)v);
		return PS_ERR_AUTH;
	}
	if (rc != PS_OK && rc != PS_ERR_NOKEY)
		return rc;
	if (rc == PS_ERR_NOKEY && access(h->counter_path, F_OK) == 0)
		return rc;   /* there, but unsafe: refused above */
	snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)v);
	return ps__auth_write_private(h, "counter file", h->counter_path, buf,
			     strlen(buf), 0);
}

/* name from the environment when set, else DIR/<volume id>.ext with DIR
 * from $dir_env or dir (one file per store: a command that opens several
 * stores, psctl move, finds each one's). */
static void pick_path(char *out, const char *env, const char *dir_env,
		      const char *dir, const uint8_t *vol, const char *ext)
{
	const char *e = getenv(env), *d = getenv(dir_env);
	char hex[33];
	int i;

	if (e && *e) {
		snprintf(out, PS_AUTH_PATH_MAX, "%s", e);
		return;
	}
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", vol[i]);
	snprintf(out, PS_AUTH_PATH_MAX, "%s/%s.%s", d && *d ? d : dir, hex,
		 ext);
}

/* The TPM's TCTI: $PSTATE_TPM ("none": no TPM), else the kernel's
 * resource manager when it exists and tpm2-tss is installed (without it
 * nothing of pstate's can be in the TPM; a configured TPM without it is
 * an error, said at first use). */
static void pick_tpm(struct ps_auth_host *h)
{
	const char *e = getenv("PSTATE_TPM");

	if (e && *e) {
		snprintf(h->tcti, sizeof h->tcti, "%s",
			 strcmp(e, "none") ? e : "");
	} else if (access("/dev/tpmrm0", R_OK | W_OK) == 0) {
		snprintf(h->tcti, sizeof h->tcti, "device:/dev/tpmrm0");
		if (ps__auth_tpm_load(h) != PS_OK)
			h->tcti[0] = h->err[0] = 0;
	}
}

void ps_auth_host_init(struct ps_auth_host *h, struct ps_auth_provider *p,
		       const uint8_t volume_id[16])
{
	memset(h, 0, sizeof *h);
	pick_path(h->key_path, "PSTATE_AUTH_KEY", "PSTATE_AUTH_KEY_DIR",
		  PS_AUTH_KEY_DIR, volume_id, "key");
	pick_path(h->counter_path, "PSTATE_AUTH_COUNTER", "PSTATE_AUTH_STATE_DIR",
		  PS_AUTH_STATE_DIR, volume_id, "counter");
	pick_tpm(h);
	p->ctx = h;
	p->get_key = host_key;
	p->get_counter = host_get_counter;
	p->set_counter = host_set_counter;
	if (h->tcti[0])
		ps__auth_tpm_init(h, p, volume_id);
}

int ps_auth_host_new_key(struct ps_auth_host *h, const char *path,
			 uint8_t *key)
{
	if (getrandom(key, PS_AUTH_KEY_LEN, 0) != (ssize_t)PS_AUTH_KEY_LEN) {
		snprintf(h->err, sizeof h->err, "random key: %s",
			 strerror(errno));
		return PS_ERR_IO;
	}
	if (h->tcti[0])
		return access(path, F_OK) == 0
		       ? ps__auth_write_private(h, "key file", path, key, 0, 1)
		       : ps__auth_tpm_seal_key(h, path, key);
	return ps__auth_write_private(h, "key file", path, key,
				      PS_AUTH_KEY_LEN, 1);
}

int ps_auth_host_export_key(struct ps_auth_host *h, const uint8_t *key,
			    const char *path)
{
	return ps__auth_write_private(h, "exported key", path, key,
				      PS_AUTH_KEY_LEN, 1);
}

int ps_auth_host_install_key(struct ps_auth_host *h, const char *from)
{
	if (rename(from, h->key_path) != 0) {
		snprintf(h->err, sizeof h->err, "key file %s -> %s: %s", from,
			 h->key_path, strerror(errno));
		return PS_ERR_IO;
	}
	return PS_OK;
}
