/*
 * psctl_curl.h - libcurl loaded on first use (cli/psctl_curl.c).
 */
#ifndef PSCTL_CURL_H
#define PSCTL_CURL_H

#include <stddef.h>

/* Load libcurl now (once): 0, or -1 with the loader's reason in why
 * ("libcurl.so.4: cannot open shared object file: ..."), which the etcd
 * pool adds to "cannot start libcurl". */
int psctl_curl_load(char *why, size_t wn);

#endif /* PSCTL_CURL_H */
