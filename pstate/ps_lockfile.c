/*
 * ps_lockfile.c - the semaphore's flock fallback: the lock file that
 * serialises the writers of one host when no BMC semaphore exists
 * (docs/semaphore.md, "Fallback"; ps_sem_linux.h): where it lives, its
 * name from the store's key, the safety checks on the directory and the
 * file, and the fencing counter it holds.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ps_internal.h"

/* ------------------------------------------------------------ lock file */

/* Where derived lock files go: $PSTATE_LOCK_DIR, else a directory only
 * the caller can write: /run/pstate for root, else $XDG_RUNTIME_DIR/pstate
 * or /tmp/pstate-<uid>.  Never a world-writable directory itself. */
static int lock_dir(char *buf, size_t len)
{
	const char *dir = ps__env_or(NULL, "PSTATE_LOCK_DIR");
	const char *xdg = ps__env_or(NULL, "XDG_RUNTIME_DIR");
	int n;

	if (dir)
		n = snprintf(buf, len, "%s", dir);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", PS_SEM_LOCK_DIR);
	else if (xdg)
		n = snprintf(buf, len, "%s/pstate", xdg);
	else
		n = snprintf(buf, len, "/tmp/pstate-%lu",
			     (unsigned long)geteuid());
	return n > 0 && (size_t)n < len ? PS_SEM_OK : PS_SEM_ERR_INVAL;
}

/* A key names a file in the lock directory: nothing that could leave it. */
static int key_ok(const char *k)
{
	size_t n = strspn(k, "0123456789abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-");

	return n > 0 && n <= 64 && k[n] == 0 && k[0] != '.';
}

/* The lock file's path: given, or one per store in the lock directory,
 * named after the store's key, or (no key) after the device number of a
 * block device or the device and inode of an image file. */
static int lock_path(struct ps_sem_sys *s, const struct ps_sem_config *cfg)
{
	const char *given = ps__env_or(cfg ? cfg->lock_file : NULL,
				       "PSTATE_LOCK_FILE");
	const char *key = cfg ? cfg->store_key : NULL;
	const char *store = cfg ? cfg->store_path : NULL;
	char dir[400];
	struct stat sb;
	int n;

	if (given) {
		n = snprintf(s->lock_path, sizeof s->lock_path, "%s", given);
		return n < (int)sizeof s->lock_path ? PS_SEM_OK
						     : PS_SEM_ERR_INVAL;
	}
	if (key && !key_ok(key)) {
		snprintf(s->desc, sizeof s->desc, "store key '%.80s' cannot "
			 "name a lock file", key);
		return PS_SEM_ERR_INVAL;
	}
	if (!key && !store) {
		snprintf(s->desc, sizeof s->desc,
			 "no semaphore and no lock file: give a lock file or "
			 "the store's key or path to name one");
		return PS_SEM_ERR_INVAL;
	}
	if (lock_dir(dir, sizeof dir)) {
		snprintf(s->desc, sizeof s->desc, "lock directory too long");
		return PS_SEM_ERR_INVAL;
	}
	if (key)
		n = snprintf(s->lock_path, sizeof s->lock_path,
			     "%s/pstate-%s.lock", dir, key);
	else if (stat(store, &sb) != 0) {
		int e = errno;

		snprintf(s->desc, sizeof s->desc,
			 "cannot stat %s to name its lock file: %s", store,
			 strerror(e));
		return ps__errno_sem(e);
	} else if (S_ISBLK(sb.st_mode))
		n = snprintf(s->lock_path, sizeof s->lock_path,
			     "%s/pstate-blk-%llx.lock", dir,
			     (unsigned long long)sb.st_rdev);
	else
		n = snprintf(s->lock_path, sizeof s->lock_path,
			     "%s/pstate-%llx-%llx.lock", dir,
			     (unsigned long long)sb.st_dev,
			     (unsigned long long)sb.st_ino);
	return n < (int)sizeof s->lock_path ? PS_SEM_OK : PS_SEM_ERR_INVAL;
}

const char *ps_file_untrusted(const struct stat *sb, int dir)
{
	uid_t me = geteuid();

	if (dir ? !S_ISDIR(sb->st_mode) : !S_ISREG(sb->st_mode))
		return dir ? "not a directory" : "not a regular file";
	if (sb->st_uid != me && !(dir && sb->st_uid == 0))
		return "owned by another user";
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (!dir && sb->st_nlink > 1) /* 0: just removed by its holder */
		return "has other hard links";
	return NULL;
}

/* Refuse what another local user could have planted or could change
 * (ps_file_untrusted), saying why in the description. */
static int refuse_stat(struct ps_sem_sys *s, const char *what,
		       const char *path, const struct stat *sb, int dir)
{
	const char *why = ps_file_untrusted(sb, dir);

	if (!why)
		return PS_SEM_OK;
	snprintf(s->desc, sizeof s->desc, "%s %s (uid %lu, mode %04o): %s; "
		 "refused", what, path, (unsigned long)sb->st_uid,
		 (unsigned)(sb->st_mode & 07777), why);
	return PS_SEM_ERR_PERM;
}

/* The directory dir, opened without following a symlink and checked;
 * created (mode 0700) first when mkdir_it.  A descriptor or -1 (desc set,
 * *rc the error). */
static int open_lock_dir(struct ps_sem_sys *s, const char *dir, int mkdir_it,
			 int *rc)
{
	struct stat sb;
	int fd;

	if (mkdir_it)
		(void)mkdir(dir, 0700); /* EEXIST: checked below like any */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(s->desc, sizeof s->desc,
			 "cannot open lock directory %s: %s%s", dir,
			 strerror(e), e == ENOTDIR || e == ELOOP
				 ? " (a symbolic link is refused)" : "");
		*rc = e == ENOTDIR || e == ELOOP ? PS_SEM_ERR_PERM
						 : ps__errno_sem(e);
		return -1;
	}
	*rc = fstat(fd, &sb) ? PS_SEM_ERR_IO
			     : refuse_stat(s, "lock directory", dir, &sb, 1);
	if (*rc) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open s->lock_path safely: in a checked directory, never through a
 * symlink, created 0600, and refused unless ours alone. */
static int open_lock_file(struct ps_sem_sys *s, int derived)
{
	char dir[sizeof s->lock_path];
	const char *base;
	char *slash;
	struct stat sb;
	int dfd, fd, rc;

	snprintf(dir, sizeof dir, "%s", s->lock_path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof dir, ".");
	base = slash ? s->lock_path + (slash - dir) + 1 : s->lock_path;
	dfd = open_lock_dir(s, dir, derived, &rc);
	if (dfd < 0)
		return rc;
	fd = openat(dfd, base, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY |
			       O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		close(dfd);
		snprintf(s->desc, sizeof s->desc, "cannot open lock file %s: "
			 "%s%s", s->lock_path, strerror(e),
			 e == ELOOP ? " (a symbolic link is refused)" : "");
		return e == ELOOP ? PS_SEM_ERR_PERM : ps__errno_sem(e);
	}
	close(dfd);
	rc = fstat(fd, &sb) ? PS_SEM_ERR_IO
			    : refuse_stat(s, "lock file", s->lock_path, &sb, 0);
	if (rc) {
		close(fd);
		return rc;
	}
	s->lock_fd = fd;
	return PS_SEM_OK;
}

int ps__lockfile_open(struct ps_sem_sys *s, const struct ps_sem_config *cfg,
		      const char *why)
{
	char reason[512];
	int rc;

	snprintf(reason, sizeof reason, "%.500s", why);
	rc = lock_path(s, cfg);
	if (rc)
		return rc;
	s->lock_derived = !ps__env_or(cfg ? cfg->lock_file : NULL,
				      "PSTATE_LOCK_FILE");
	rc = open_lock_file(s, s->lock_derived);
	if (rc)
		return rc;
	s->mode = PS_SEM_MODE_FLOCK;
	snprintf(s->desc, sizeof s->desc,
		 "no BMC semaphore (%s); advisory flock on %s serialises "
		 "writers on this host only",
		 reason, s->lock_path);
	return PS_SEM_OK;
}

/* ------------------------------------------------------------ token */

/* The fencing token in flock mode: a 64-bit counter in the lock file's
 * first 8 bytes (little-endian), bumped under the lock, so tokens still
 * grow across processes.  A derived lock file is removed on release, so
 * a new file's counter (0) starts from the wall clock in microseconds:
 * tokens keep growing across files unless the clock steps back. */
static int flock_bump_token(struct ps_sem_sys *s, uint64_t *token)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0, clk;
	struct timespec ts;
	ssize_t n = pread(s->lock_fd, b, sizeof b, 0);

	if (n < 0)
		return PS_SEM_ERR_IO;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	v++;
	if (v == 1 && clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		clk = (uint64_t)ts.tv_sec * 1000000u +
		      (uint64_t)ts.tv_nsec / 1000u;
		if (v < clk)
			v = clk;
	}
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (pwrite(s->lock_fd, b, sizeof b, 0) != (ssize_t)sizeof b)
		return PS_SEM_ERR_IO;
	*token = v;
	return PS_SEM_OK;
}

/* After flock: does the path still name the file locked?  A holder that
 * released removed it (ps__lockfile_release), and a writer that opened it
 * before then locks a file no one else will see: it must open the path
 * again.  1 yes, 0 no, negative on an error. */
static int lock_still_linked(struct ps_sem_sys *s)
{
	struct stat a, b;

	if (fstat(s->lock_fd, &a) != 0)
		return PS_SEM_ERR_IO;
	if (lstat(s->lock_path, &b) != 0)
		return errno == ENOENT ? 0 : PS_SEM_ERR_IO;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int ps__lockfile_acquire(struct ps_sem_sys *s, uint64_t *token)
{
	uint64_t start = ps_sem_linux_clock.now_ms(NULL);
	uint32_t attempt = 0;
	int rc;

	if (s->flock_held)
		return PS_SEM_ERR_INVAL;
	for (;;) {
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0) {
			rc = lock_still_linked(s);
			if (rc == 1)
				break;
			flock(s->lock_fd, LOCK_UN);
			if (rc < 0)
				return rc;
			/* Removed by the last holder: the path's file now. */
			close(s->lock_fd);
			s->lock_fd = -1;
			rc = open_lock_file(s, s->lock_derived);
			if (rc)
				return rc;
			continue;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			return PS_SEM_ERR_IO;
		if (ps_sem_linux_clock.now_ms(NULL) - start >= s->timeout_ms)
			return PS_SEM_ERR_TIMEOUT;
		ps_sem_linux_clock.relax(NULL, attempt++);
	}
	rc = flock_bump_token(s, token);
	if (rc) {
		flock(s->lock_fd, LOCK_UN);
		return rc;
	}
	s->flock_token = *token;
	s->flock_held = 1;
	return PS_SEM_OK;
}

/* Release the flock; a derived lock file is removed first, still under
 * the lock, so that no file per store is left behind (a writer waiting
 * on it sees it gone and opens the path again: lock_still_linked).  A
 * holder killed before this leaves its file, removed by the next release. */
int ps__lockfile_release(struct ps_sem_sys *s)
{
	s->flock_held = 0;
	if (s->lock_derived)
		(void)unlink(s->lock_path);
	return flock(s->lock_fd, LOCK_UN) == 0 ? PS_SEM_OK : PS_SEM_ERR_IO;
}

void ps__lockfile_close(struct ps_sem_sys *s)
{
	if (s->lock_derived && (s->flock_held ||
				flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0) &&
	    lock_still_linked(s) == 1)
		(void)unlink(s->lock_path);
	close(s->lock_fd);
	s->lock_fd = -1;
}
