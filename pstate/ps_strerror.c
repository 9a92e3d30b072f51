/*
 * ps_strerror.c - one fixed message per error code of ps_errors.h,
 * and PSF_ERR_* through psf_strerror.  Freestanding: only strings, so
 * firmware can link it with the store and semaphore cores.  The messages
 * of every layer live here, not beside their code, because a hosted
 * layer's file (ps_part.c needs libfdisk) cannot be linked into firmware.
 */
#include "pstate.h"

#define AT(code) [-(code) - PS_ERR_FIRST]

static const char *const ps_errors[PS_ERR_LAST - PS_ERR_FIRST + 1] = {
	AT(PS_ERR_IO) = "media read, write or flush failed",
	AT(PS_ERR_NOSTORE) =
		"no pstate superblock: the media is not formatted",
	AT(PS_ERR_SUPERBLOCK) = "superblocks damaged or disagreeing",
	AT(PS_ERR_GEOMETRY) = "media or slot layout sizes unusable",
	AT(PS_ERR_NOSLOT) = "no slot holds a valid store",
	AT(PS_ERR_CONFLICT) =
		"conflict: the store on media changed since the transaction began",
	AT(PS_ERR_FENCED) = "lock lost before publishing: nothing committed",
	AT(PS_ERR_LOCK) = "could not acquire the store lock",
	AT(PS_ERR_NOSPACE) = "store larger than a slot or than the buffer",
	AT(PS_ERR_INVAL) = "invalid argument",
	AT(PS_ERR_NOMEM) = "out of memory",
	AT(PS_ERR_RDONLY) = "media opened read-only",
	AT(PS_ERR_ABORTED) = "edit aborted",
	AT(PS_PART_EIO) = "partition table I/O error",
	AT(PS_PART_ENODEV) = "device vanished or cannot be opened",
	AT(PS_PART_ENOTABLE) = "no partition table",
	AT(PS_PART_ENOTFOUND) = "no pstate partition",
	AT(PS_PART_EDUP) = "more than one pstate partition",
	AT(PS_PART_ERANGE) = "pstate partition extends past the device",
	AT(PS_PART_EBUSY) = "device already holds a partition table or data",
	AT(PS_PART_EINVAL) = "invalid partition size or label",
	AT(PS_PART_ENOSPC) = "device too small for the pstate partition",
	AT(PS_DISC_ENONE) = "no USB key holds a valid pstate store",
	AT(PS_DISC_EUSB) = "USB enumeration (libusb) failed",
	AT(PS_DISC_ECONF) = "port-priority file unreadable or invalid",
	AT(PS_ERR_EXISTS) = "an element with that name or key already exists",
	AT(PS_ERR_BADVALUE) = "invalid value",
	AT(PS_ERR_DUPLICATE) =
		"identifier already used by another VM or profile",
	AT(PS_ERR_BADREF) = "reference to an element that does not exist",
	AT(PS_ERR_INUSE) = "element is still referenced by another element",
	AT(PS_ERR_NOFIELD) = "no such field for this kind of element",
	AT(PS_ERR_GENERATION) =
		"store generation counter exhausted: re-initialise the store",
	AT(PS_ERR_AUTH) = "authentication failed",
	AT(PS_ERR_NOKEY) = "no key or trusted counter",
};

#undef AT
#define AT(code) [-(code) - PS_SEM_ERR_FIRST]

static const char *const sem_errors[PS_SEM_ERR_LAST - PS_SEM_ERR_FIRST + 1] = {
	AT(PS_SEM_ERR_BUSY) = "semaphore held by another live owner",
	AT(PS_SEM_ERR_TIMEOUT) =
		"timed out waiting for the semaphore (holder alive)",
	AT(PS_SEM_ERR_LOST) =
		"semaphore hold lost: broken or taken over by another owner",
	AT(PS_SEM_ERR_NOMARKER) =
		"no semaphore marker in the legacy BIOS range",
	AT(PS_SEM_ERR_BADMARKER) =
		"semaphore marker found but invalid (checksum, length or fields)",
	AT(PS_SEM_ERR_IO) = "cannot map or read the semaphore memory",
	AT(PS_SEM_ERR_BADSEM) =
		"semaphore structure invalid (magic, revision, size or alignment)",
	AT(PS_SEM_ERR_RANGE) = "semaphore address outside the mapped window",
	AT(PS_SEM_ERR_INVAL) =
		"invalid argument (owner id, lease, handle or clock)",
	AT(PS_SEM_ERR_NOTHELD) = "semaphore not held by this handle",
	AT(PS_SEM_ERR_PERM) =
		"permission denied mapping semaphore memory (need root/CAP_SYS_RAWIO)",
};

const char *ps_strerror(int err)
{
	if (err <= -PS_ERR_FIRST && err >= -PS_ERR_LAST)
		return ps_errors[-err - PS_ERR_FIRST];
	if (err <= -PS_SEM_ERR_FIRST && err >= -PS_SEM_ERR_LAST)
		return sem_errors[-err - PS_SEM_ERR_FIRST];
	return psf_strerror(err);
}
