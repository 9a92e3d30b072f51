/*
 * psctl_lws.c - libwebsockets opened on first use (psctl_lws.h says
 * why), in the manner of pstate/ps_dl.c: the table is filled whole or the
 * load fails, naming the library or the missing function.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "psctl_lws.h"

#define LWS_SONAME "libwebsockets.so.17"

struct psctl_lws psctl_lws;

int psctl_lws_load(char *err, size_t errlen)
{
	static int state; /* 0 not tried, 1 loaded, -1 failed */
	static char why[300];
	const char *miss = NULL;
	void *h, *p;

	if (state == 0) {
		state = -1;
		h = dlopen(LWS_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			snprintf(why, sizeof why, "%s", dlerror());
		} else {
#define GET(f)                                                              \
	if (!miss && !(p = dlsym(h, #f)))                                   \
		miss = #f;                                                  \
	else if (!miss)                                                     \
		memcpy(&psctl_lws.f, &p, sizeof p);
			PSCTL_LWS_FNS(GET)
#undef GET
			if (miss) {
				snprintf(why, sizeof why, "%s: no %s",
					 LWS_SONAME, miss);
				dlclose(h);
			} else {
				state = 1;
			}
		}
	}
	if (state > 0)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}
