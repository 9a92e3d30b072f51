/*
 * ps_errors.h - the library's error codes and ps_strerror.
 *
 * Freestanding (ps_strerror.c).  Also defines PS_HOSTED, which every
 * other part uses to hide hosted-only declarations from firmware.
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_ERRORS_H
#define PS_ERRORS_H

#include "psf_env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hosted-only declarations are visible when this is true. */
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#define PS_HOSTED 1
#else
#define PS_HOSTED 0
#endif

/*
 * Every function that can fail returns an int: 0 on success, a negative
 * code on failure, either one of the codes below or, where a PSF check or
 * edit failed, PSF_ERR_* (-1 .. -20, format/psf.h) passed through
 * unchanged.
 *
 * Every code the library returns, in one space that does not overlap the
 * format core's PSF_ERR_* (-1 .. -20), so a caller can pass any result to
 * ps_strerror and a code means the same thing whichever layer produced it.
 * Ranges: store and media -101 .. -113, partitions -114 .. -122, discovery
 * -123 .. -125, configuration edits -126 .. -131 (a missing element is
 * PSF_ERR_NOTFOUND), store again -132, semaphore -200 .. -210 (left
 * where the semaphore protocol document put them).
 */
enum ps_err {
	PS_OK = 0,
	/* Store and media (ps_media.h, ps_store.h, ps_lock.h). */
	PS_ERR_IO = -101,        /* media read, write or flush failed        */
	PS_ERR_NOSTORE = -102,   /* no superblock: the media is not formatted */
	PS_ERR_SUPERBLOCK = -103,/* superblocks both damaged, or disagreeing */
	PS_ERR_GEOMETRY = -104,  /* media or layout sizes unusable           */
	PS_ERR_NOSLOT = -105,    /* no slot holds a valid store               */
	PS_ERR_CONFLICT = -106,  /* media moved past the transaction's base  */
	PS_ERR_FENCED = -107,    /* the writer's lock was lost before publish */
	PS_ERR_LOCK = -108,      /* the lock could not be acquired            */
	PS_ERR_NOSPACE = -109,   /* store larger than a slot, or buffer small */
	PS_ERR_INVAL = -110,     /* invalid argument                          */
	PS_ERR_NOMEM = -111,     /* allocation failed (hosted layer only)     */
	PS_ERR_RDONLY = -112,    /* media opened read-only                    */
	PS_ERR_ABORTED = -113,   /* the edit function asked to stop           */
	/* Partitions (ps_part.h). */
	PS_PART_EIO = -114,      /* open/read/write/libfdisk failure          */
	PS_PART_ENODEV = -115,   /* device node missing: vanished, unplugged  */
	PS_PART_ENOTABLE = -116, /* no partition table on the device          */
	PS_PART_ENOTFOUND = -117,/* table present, no pstate partition in it  */
	PS_PART_EDUP = -118,     /* two or more pstate partitions             */
	PS_PART_ERANGE = -119,   /* pstate partition extends past the device  */
	PS_PART_EBUSY = -120,    /* create: device holds a table/data, no force */
	PS_PART_EINVAL = -121,   /* bad argument (size, label)                */
	PS_PART_ENOSPC = -122,   /* create: device too small                  */
	/* Discovery (ps_discover.h), beyond the per-candidate reasons. */
	PS_DISC_ENONE = -123,    /* no candidate holds a valid store          */
	PS_DISC_EUSB = -124,     /* libusb failed                             */
	PS_DISC_ECONF = -125,    /* port-priority file unreadable/invalid     */
	/* Configuration edits (ps_config.h and the edit headers). */
	PS_ERR_EXISTS = -126,    /* an element of that name/key exists        */
	PS_ERR_BADVALUE = -127,  /* a value is malformed or out of range      */
	PS_ERR_DUPLICATE = -128, /* MAC/UUID/serial/WWN/port already in use   */
	PS_ERR_BADREF = -129,    /* reference names no existing element       */
	PS_ERR_INUSE = -130,     /* element still referenced by another       */
	PS_ERR_NOFIELD = -131,   /* no such field for this kind of element    */
	PS_ERR_GENERATION = -132,/* the store's generation would wrap         */
	/* Authenticated stores (ps_auth.h). */
	PS_ERR_AUTH = -133,      /* authentication refused (MAC, counter)     */
	PS_ERR_NOKEY = -134,     /* no key / counter, or an unsafe key file   */
	/* Semaphore (ps_sem.h, ps_sem_linux.h). */
	PS_SEM_ERR_BUSY = -200,      /* held by a live owner; not waiting    */
	PS_SEM_ERR_TIMEOUT = -201,   /* held by a live owner for the whole wait */
	PS_SEM_ERR_LOST = -202,      /* our hold was broken or taken over    */
	PS_SEM_ERR_NOMARKER = -203,  /* no marker signature in the window    */
	PS_SEM_ERR_BADMARKER = -204, /* marker(s) found, every one invalid   */
	PS_SEM_ERR_IO = -205,        /* mapping/reading the memory failed    */
	PS_SEM_ERR_BADSEM = -206,    /* semaphore structure invalid          */
	PS_SEM_ERR_RANGE = -207,     /* semaphore address outside the window */
	PS_SEM_ERR_INVAL = -208,     /* invalid argument                     */
	PS_SEM_ERR_NOTHELD = -209,   /* renew/release without holding        */
	PS_SEM_ERR_PERM = -210,      /* no permission to map the memory      */
};
/* The two contiguous ranges of the codes above (as positive numbers). */
#define PS_ERR_FIRST 101
#define PS_ERR_LAST 134
#define PS_SEM_ERR_FIRST 200
#define PS_SEM_ERR_LAST 210
/* The semaphore code says "success" in its own words. */
#define PS_SEM_OK PS_OK

/*
 * A fixed English description of any error code the library returns:
 * every code above, PSF_ERR_* and PS_OK; "unknown error" otherwise.
 * Freestanding (ps_strerror.c holds only strings).  Never NULL.
 */
const char *ps_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* PS_ERRORS_H */
