/*
 * test_lock_files.c - the flock fallback's lock files cannot be turned
 * against the host by another local user.
 *
 * The lock directory is pointed at temporary directories through
 * $PSTATE_LOCK_DIR (and a given file through cfg.lock_file).  Refused,
 * with nothing written anywhere: a symlink planted as the lock file (its
 * target keeps its bytes), a lock file owned by another user (chowned to
 * nobody), a lock file writable by group or others, a hard link, a lock
 * directory writable by others or owned by another user, a lock directory
 * that is a symlink.  Accepted: a missing directory (created 0700) and
 * file (created 0600, ours), and root's default, PS_SEM_LOCK_DIR.
 * Nothing left behind: a derived lock file is removed on release and on
 * close; a writer that waited on a removed file takes the path's file
 * instead (two holders never), and a given lock file stays.
 *
 * Needs root (chown); run as root like the rest of the suite.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pstate.h"

#define OK(x) assert_int_equal((x), PS_SEM_OK)
#define NOBODY 65534

static char tmpdir[256];
static const char precious[] = "precious bytes, not a lock";

static void path(char *buf, const char *name)
{
	snprintf(buf, 512, "%s/%s", tmpdir, name);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/test_lock_files.XXXXXX",
		 t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("PSTATE_SEM_MODE", "flock", 1);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	unsetenv("PSTATE_SEM_MODE");
	unsetenv("PSTATE_LOCK_DIR");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A directory of this test's, mode as given (umask aside). */
static void mkdir_mode(char *dir, const char *name, mode_t mode)
{
	path(dir, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, mode), 0);
}

static void write_file(const char *p, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, precious, sizeof precious),
			 (ssize_t)sizeof precious);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static void assert_precious(const char *p)
{
	char buf[sizeof precious + 8] = "";
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)sizeof precious);
	close(fd);
	assert_memory_equal(buf, precious, sizeof precious);
}

/* Opening the lock of store key in dir is refused, saying why. */
static void refused(const char *dir, const char *key, const char *why)
{
	struct ps_sem_config cfg = { .store_key = key };
	struct ps_sem_sys s;

	setenv("PSTATE_LOCK_DIR", dir, 1);
	assert_int_equal(ps_sem_sys_open(&s, &cfg), PS_SEM_ERR_PERM);
	if (!strstr(ps_sem_sys_describe(&s), why))
		fail_msg("'%s' does not say '%s'", ps_sem_sys_describe(&s),
			 why);
	assert_int_equal(s.lock_fd, -1);
	ps_sem_sys_close(&s);
}

/* Open, take (writes the counter), release, close: 0 or the error. */
static int use_lock(const char *dir, const char *key)
{
	struct ps_sem_config cfg = { .store_key = key, .timeout_ms = 100 };
	struct ps_sem_sys s;
	uint64_t t;
	int rc;

	setenv("PSTATE_LOCK_DIR", dir, 1);
	rc = ps_sem_sys_open(&s, &cfg);
	if (!rc)
		rc = ps_sem_sys_lock_ops.acquire(&s, PS_OWNER_OS, 1000, &t);
	if (!rc)
		rc = ps_sem_sys_lock_ops.release(&s, t);
	ps_sem_sys_close(&s);
	return rc;
}

static void test_symlink_planted(void **state)
{
	char dir[512], victim[512], lf[600];
	struct ps_sem_config cfg = { 0 };
	struct ps_sem_sys s;

	(void)state;
	mkdir_mode(dir, "sym", 0700);
	path(victim, "victim");
	write_file(victim, 0644);
	snprintf(lf, sizeof lf, "%s/pstate-k1.lock", dir);
	assert_int_equal(symlink(victim, lf), 0);
	refused(dir, "k1", "symbolic link");
	assert_int_equal(use_lock(dir, "k1"), PS_SEM_ERR_PERM);
	assert_precious(victim);
	/* A given lock file is opened the same way. */
	unsetenv("PSTATE_LOCK_DIR");
	cfg.lock_file = lf;
	assert_int_equal(ps_sem_sys_open(&s, &cfg), PS_SEM_ERR_PERM);
	assert_non_null(strstr(ps_sem_sys_describe(&s), "symbolic link"));
	ps_sem_sys_close(&s);
	assert_precious(victim);
}

static void test_foreign_or_open_file(void **state)
{
	char dir[512], lf[600], victim[512];

	(void)state;
	mkdir_mode(dir, "files", 0700);
	/* Created first by another user, who could hold its flock. */
	snprintf(lf, sizeof lf, "%s/pstate-k2.lock", dir);
	write_file(lf, 0600);
	assert_int_equal(chown(lf, NOBODY, NOBODY), 0);
	refused(dir, "k2", "owned by another user");
	assert_precious(lf);
	/* Ours, but anyone may rewrite the fencing counter. */
	snprintf(lf, sizeof lf, "%s/pstate-k3.lock", dir);
	write_file(lf, 0666);
	refused(dir, "k3", "writable by group or others");
	assert_precious(lf);
	/* A hard link to a file worth keeping. */
	path(victim, "victim2");
	write_file(victim, 0600);
	snprintf(lf, sizeof lf, "%s/pstate-k4.lock", dir);
	assert_int_equal(link(victim, lf), 0);
	refused(dir, "k4", "hard links");
	assert_precious(victim);
}

static void test_unsafe_dir(void **state)
{
	char dir[512], real[512];

	(void)state;
	mkdir_mode(dir, "shared", 01777); /* as /run/lock and /tmp */
	refused(dir, "k5", "writable by group or others");
	mkdir_mode(dir, "theirs", 0700);
	assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
	refused(dir, "k6", "owned by another user");
	mkdir_mode(real, "real", 0700);
	path(dir, "dirlink");
	assert_int_equal(symlink(real, dir), 0);
	refused(dir, "k7", "symbolic link");
}

/* The good case: the directory and file made private, the counter kept
 * in the file while held, the file removed on release; a key that could
 * leave the directory is refused. */
static void test_created_private(void **state)
{
	struct ps_sem_config cfg = { .store_key = "../evil" };
	struct ps_sem_config k8 = { .store_key = "k8", .timeout_ms = 100 };
	struct ps_sem_sys s;
	char dir[512], lf[600];
	struct stat sb;
	uint64_t t;

	(void)state;
	path(dir, "fresh");
	OK(use_lock(dir, "k8"));
	assert_int_equal(lstat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(lf, sizeof lf, "%s/pstate-k8.lock", dir);
	assert_int_equal(lstat(lf, &sb), -1); /* nothing left behind */
	OK(ps_sem_sys_open(&s, &k8));
	OK(ps_sem_sys_lock_ops.acquire(&s, PS_OWNER_OS, 1000, &t));
	assert_int_equal(lstat(lf, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_uid, geteuid());
	assert_int_equal(sb.st_size, 8); /* the fencing counter */
	OK(ps_sem_sys_lock_ops.release(&s, t));
	assert_int_equal(lstat(lf, &sb), -1);
	ps_sem_sys_close(&s);
	assert_int_equal(ps_sem_sys_open(&s, &cfg), PS_SEM_ERR_INVAL);
	ps_sem_sys_close(&s);
	/* Root's default directory. */
	unsetenv("PSTATE_LOCK_DIR");
	cfg.store_key = "k9";
	OK(ps_sem_sys_open(&s, &cfg));
	assert_string_equal(s.lock_path, PS_SEM_LOCK_DIR "/pstate-k9.lock");
	ps_sem_sys_close(&s);
	assert_int_equal(lstat(PS_SEM_LOCK_DIR "/pstate-k9.lock", &sb), -1);
}

/* Removing the file on release keeps one holder at a time: b opened the
 * file before a released (and removed) it; b's lock must be on the
 * path's file, so c, opening after, waits for b. */
static void test_removed_file_one_holder(void **state)
{
	struct ps_sem_config cfg = { .store_key = "k10", .timeout_ms = 100 };
	struct ps_sem_sys a, b, c;
	struct stat on_path, held;
	char dir[512], lf[600];
	uint64_t ta, tb, tc;

	(void)state;
	mkdir_mode(dir, "race", 0700);
	setenv("PSTATE_LOCK_DIR", dir, 1);
	snprintf(lf, sizeof lf, "%s/pstate-k10.lock", dir);
	OK(ps_sem_sys_open(&a, &cfg));
	OK(ps_sem_sys_open(&b, &cfg));
	OK(ps_sem_sys_lock_ops.acquire(&a, PS_OWNER_OS, 1000, &ta));
	assert_int_equal(ps_sem_sys_lock_ops.acquire(&b, PS_OWNER_OS, 1000,
						     &tb), PS_SEM_ERR_TIMEOUT);
	OK(ps_sem_sys_lock_ops.release(&a, ta));
	OK(ps_sem_sys_lock_ops.acquire(&b, PS_OWNER_OS, 1000, &tb));
	assert_true(tb > ta); /* tokens still grow across files */
	assert_int_equal(lstat(lf, &on_path), 0);
	assert_int_equal(fstat(b.lock_fd, &held), 0);
	assert_true(on_path.st_ino == held.st_ino);
	OK(ps_sem_sys_open(&c, &cfg));
	assert_int_equal(ps_sem_sys_lock_ops.acquire(&c, PS_OWNER_OS, 1000,
						     &tc), PS_SEM_ERR_TIMEOUT);
	/* Closing a lock someone holds removes nothing. */
	ps_sem_sys_close(&a);
	assert_int_equal(lstat(lf, &on_path), 0);
	OK(ps_sem_sys_lock_ops.release(&b, tb));
	OK(ps_sem_sys_lock_ops.acquire(&c, PS_OWNER_OS, 1000, &tc));
	OK(ps_sem_sys_lock_ops.release(&c, tc));
	ps_sem_sys_close(&b);
	ps_sem_sys_close(&c);
	assert_int_equal(lstat(lf, &on_path), -1);
}

/* Opened and never taken (a read-only command): removed on close.  A
 * lock file given by name is the caller's: it stays. */
static void test_close_removes_derived_only(void **state)
{
	struct ps_sem_config cfg = { .store_key = "k11" };
	struct ps_sem_sys s;
	char dir[512], lf[600];
	struct stat sb;
	uint64_t t;

	(void)state;
	mkdir_mode(dir, "close", 0700);
	setenv("PSTATE_LOCK_DIR", dir, 1);
	snprintf(lf, sizeof lf, "%s/pstate-k11.lock", dir);
	OK(ps_sem_sys_open(&s, &cfg));
	assert_int_equal(lstat(lf, &sb), 0);
	ps_sem_sys_close(&s);
	assert_int_equal(lstat(lf, &sb), -1);
	unsetenv("PSTATE_LOCK_DIR");
	snprintf(lf, sizeof lf, "%s/given.lock", dir);
	cfg.lock_file = lf;
	cfg.timeout_ms = 100;
	OK(ps_sem_sys_open(&s, &cfg));
	OK(ps_sem_sys_lock_ops.acquire(&s, PS_OWNER_OS, 1000, &t));
	OK(ps_sem_sys_lock_ops.release(&s, t));
	ps_sem_sys_close(&s);
	assert_int_equal(lstat(lf, &sb), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_planted),
		cmocka_unit_test(test_foreign_or_open_file),
		cmocka_unit_test(test_unsafe_dir),
		cmocka_unit_test(test_created_private),
		cmocka_unit_test(test_removed_file_one_holder),
		cmocka_unit_test(test_close_removes_derived_only),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
