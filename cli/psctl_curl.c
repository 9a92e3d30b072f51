/*
 * psctl_curl.c - libcurl loaded on first use.
 *
 * Only the etcd pool (cli/psctl_pool_etcd_io.c) speaks HTTP, yet linking
 * libcurl makes every psctl run load and relocate it and the thirty-odd
 * libraries it pulls in (TLS, Kerberos, LDAP, ...): about 15 ms of a
 * `psctl vm set` that otherwise takes a few (docs/performance.md).  So
 * psctl is linked without -lcurl and these definitions of the libcurl
 * calls the pool makes open libcurl.so.4 the first time one is called and
 * forward to it.  A libcurl call the pool starts to use must be added
 * here (the link then fails with an undefined reference, not at run time).
 *
 * When libcurl cannot be loaded, curl_easy_init returns NULL (the pool
 * reports that it cannot start libcurl) and curl_global_init fails.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>

/* The libcurl entry points used, by name. */
#define CURL_FNS                                                         \
	X(curl_global_init, CURLcode, (long))                            \
	X(curl_easy_init, CURL *, (void))                                \
	X(curl_easy_cleanup, void, (CURL *))                             \
	X(curl_easy_reset, void, (CURL *))                               \
	X(curl_easy_perform, CURLcode, (CURL *))                         \
	X(curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...))         \
	X(curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))          \
	X(curl_easy_strerror, const char *, (CURLcode))

static struct {
#define X(name, ret, args) ret (*name) args;
	CURL_FNS
#undef X
} fn;
static int loaded;	/* 0 not tried, 1 loaded, -1 failed */

/* Open libcurl and take every entry point, or none. */
static int load(void)
{
	void *h;

	if (loaded)
		return loaded > 0;
	loaded = -1;
	h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 0;
	/* dlsym gives a void *: the union makes it the function pointer
	 * without a cast between object and function pointers. */
#define X(name, ret, args)                                              \
	{                                                               \
		union { void *p; ret (*f) args; } u;                    \
		u.p = dlsym(h, #name);                                  \
		if (!u.p) {                                             \
			dlclose(h);                                     \
			return 0;                                       \
		}                                                       \
		fn.name = u.f;                                          \
	}
	CURL_FNS
#undef X
	loaded = 1;
	return 1;
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
