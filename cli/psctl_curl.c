/*
 * psctl_curl.c - libcurl loaded on first use.
 *
 * Only the etcd pool (cli/psctl_pool_etcd_io.c) speaks HTTP, yet linking
 * libcurl makes every psctl run load and relocate it and the thirty-odd
 * libraries it pulls in (TLS, Kerberos, LDAP, ...): about 15 ms of a
 * `psctl vm set` that otherwise takes a few (docs/performance.md).  So
 * psctl is linked without -lcurl and these definitions of the libcurl
 * calls the pool makes open libcurl.so.4 (pstate's loader, ps_dl.h) the
 * first time one is called and forward to it.  A libcurl call the pool
 * starts to use must be added here (the link then fails with an undefined
 * reference, not at run time).
 *
 * When libcurl cannot be loaded, curl_easy_init returns NULL and
 * curl_global_init fails; psctl_curl_load says why (the pool reports it).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>
#include <stddef.h>

#include "ps_dl.h"
#include "psctl_curl.h"

/* The libcurl entry points used, by name. */
#define CURL_FNS(X)                                                      \
	X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup)       \
	X(curl_easy_reset) X(curl_easy_perform) X(curl_easy_setopt)      \
	X(curl_easy_getinfo) X(curl_easy_strerror)

/* The definitions below are of these very functions: a slot has the
 * type of the one it stands for. */
#define SLOT(f) __typeof__(f) *f;
static struct {
	CURL_FNS(SLOT)
} fn;
#define ROW(f) PS_DL_SYM("libcurl.so.4", fn, f),
static const struct ps_dl_sym rows[] = { CURL_FNS(ROW) };
static struct ps_dl_table table = PS_DL_TABLE(rows);

/* Every entry point, or none (1 loaded). */
static int load(void)
{
	return ps_dl_load(&table, NULL, 0) == 0;
}

int psctl_curl_load(char *why, size_t wn)
{
	return ps_dl_load(&table, why, wn);
}

CURLcode curl_global_init(long flags)
{
	return load() ? fn.curl_global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return load() ? fn.curl_easy_init() : NULL;
}

/* The calls below take a handle curl_easy_init gave: libcurl is loaded. */
void curl_easy_cleanup(CURL *h)
{
	fn.curl_easy_cleanup(h);
}

void curl_easy_reset(CURL *h)
{
	fn.curl_easy_reset(h);
}

CURLcode curl_easy_perform(CURL *h)
{
	return fn.curl_easy_perform(h);
}

/* The option's number says the type of its one argument (curl.h's
 * CURLOPTTYPE_* ranges): forward it with that type. */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = fn.curl_easy_setopt(h, opt,
					 va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	void *p;

	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return fn.curl_easy_getinfo(h, info, p);
}

const char *curl_easy_strerror(CURLcode cc)
{
	return load() ? fn.curl_easy_strerror(cc) : "libcurl not loaded";
}
