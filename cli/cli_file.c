/*
 * cli_file.c - output files for psctl and psftool: a temporary file that
 * no other user can name in advance, then rename, so a reader sees the old
 * file or the new one and root never writes through a planted symlink.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_file.h"

/* The mode the replacement gets: the replaced file's permission bits (not
 * its set-id bits, which a rewritten file must not inherit), else what
 * fopen would have created. */
static mode_t final_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 0777;
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cli_replace_file(const char *path, const void *data, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof ".XXXXXX");
	int fd, e;

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		errno = e;
		return -1;
	}
	if (write_all(fd, data, len) != 0 || fchmod(fd, final_mode(path)) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
}
