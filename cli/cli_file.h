/*
 * cli_file.h - output files for the command-line tools (internal to cli/),
 * shared by psctl and psftool.
 */
#ifndef CLI_FILE_H
#define CLI_FILE_H

#include <stddef.h>

/**
 * cli_replace_file() - write a file whole or not at all
 * @path: the file to create or replace
 * @data: its new contents
 * @len: bytes at @data
 *
 * The bytes go to a fresh temporary file in @path's directory, created
 * with mkstemp (exclusive, never through a symlink planted in a shared
 * directory), synced, given the mode an existing regular file at @path
 * has (else 0666 minus the umask), then renamed over @path.  On any
 * failure the temporary file is removed and @path is left as it was.
 *
 * Return: 0, or -1 with errno set: ENOMEM, or whatever mkstemp, write,
 * fsync, fchmod, close or rename failed with (e.g. ENOENT for a missing
 * directory, EACCES for one not writable, EISDIR when @path is a
 * directory, ENOSPC).
 */
int cli_replace_file(const char *path, const void *data, size_t len);

#endif
