/*
 * ps_dl.c - libblkid, libfdisk and libusb loaded on first use: see
 * ps_dl_internal.h for why.  Each library is opened once; its table is
 * filled whole or the load fails (naming the library or the function).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "ps_dl_internal.h"

struct ps_dl ps_dl;

/* dlsym's void * into the table's function pointer (same size on every
 * POSIX system: dlsym requires it). */
#define PS_DL_GET(f)                                                        \
	if (!(p = dlsym(h, #f))) {                                          \
		miss = #f;                                                  \
		goto fail;                                                  \
	}                                                                   \
	memcpy(&ps_dl.f, &p, sizeof p);

/* 0 loaded (now or before), -1 with err; *state remembers a failure. */
#define PS_DL_LOADER(name, soname, LIST)                                    \
	int ps_dl_##name(char *err, size_t errlen)                          \
	{                                                                   \
		static int state;  /* 0 not tried, 1 loaded, -1 failed */   \
		static char why[300];                                       \
		const char *miss;                                           \
		void *h, *p;                                                \
                                                                            \
		if (state == 0) {                                           \
			state = -1;                                         \
			h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);          \
			if (!h) {                                           \
				snprintf(why, sizeof why, "%s", dlerror()); \
				goto done;                                  \
			}                                                   \
			LIST(PS_DL_GET)                                     \
			state = 1;                                          \
			goto done;                                          \
fail:                                                                       \
			snprintf(why, sizeof why, "%s: no %s", soname,      \
				 miss);                                     \
			dlclose(h);                                         \
		}                                                           \
done:                                                                       \
		if (state > 0)                                              \
			return 0;                                           \
		if (err && errlen)                                          \
			snprintf(err, errlen, "%s", why);                   \
		return -1;                                                  \
	}

PS_DL_LOADER(blkid, "libblkid.so.1", PS_DL_BLKID)
PS_DL_LOADER(fdisk, "libfdisk.so.1", PS_DL_FDISK)
PS_DL_LOADER(usb, "libusb-1.0.so.0", PS_DL_USB)
