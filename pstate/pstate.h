/*
 * pstate.h - the pstate store on media: the library's public interface.
 *
 * A pstate store is a PSF byte string (format/psf.h, docs/format.md) kept
 * in a raw partition of a USB key, where BMC firmware on aux power, the
 * hypervisor agent, BIOS setup and psctl all read and edit it.  The
 * on-media layout (superblocks, slots, generations) is specified byte by
 * byte in docs/store.md; docs/architecture.md shows how the parts fit.
 *
 * This header includes the library's public headers, one per concern;
 * each is the manual of its part and compiles on its own:
 *
 *   ps_errors.h     one error space for the whole library, ps_strerror
 *   ps_media.h      sector media: callback, memory, fault-injecting,
 *                   image-file and block-device backends
 *   ps_lock.h       the writers' lock interface (fencing tokens), owners
 *   ps_store.h      the store on media (format, read, commit) and the
 *                   hosted store handle and transactions
 *   ps_part.h       the pstate partition (libfdisk, libblkid)
 *   ps_discover.h   discovery of the USB key (libusb, sysfs), ps_locate
 *   ps_sem.h        the semaphore core (docs/semaphore.md)
 *   ps_sem_linux.h  the semaphore on Linux: /dev/mem, simulation, flock
 *   ps_config.h     configuration edits: objects, fields, values, the
 *                   whole-store check
 *   ps_pool.h       address pools: ranges, reservations, spare pools
 *                   and their rules
 *   ps_target.h     target grammar, the server directory
 *   ps_profile.h    profile assignment and the per-store steps of a move
 *   ps_move.h       moves between stores: the steps, a VM move
 *   ps_serial.h     serial-port allocation
 *   ps_restart.h    a VM's restart policy and log
 *   ps_open.h       opening a store at a path, the default store
 *
 * Tools include "pstate.h" (or the parts they use) and nothing else from
 * pstate/: ps_internal.h and ps_cfg_internal.h are the library's own.
 *
 * Freestanding and hosted.  The library is built from two lists
 * (pstate/pstate.mk):
 *
 *   PSTATE_CORE (freestanding: no libc beyond psf_env.h's mem* functions,
 *   no malloc, no recursion, bounded stack; BMC firmware, the BMC
 *   simulator and the fuzzers compile exactly this list):
 *     ps_commit.c ps_format.c ps_media.c ps_media_fault.c ps_strerror.c
 *     ps_sem.c ps_serial.c ps_restart.c ps_profile.c ps_util.c
 *     ps_value.c ps_fields.c ps_field_text.c ps_room.c ps_obj.c
 *     ps_obj_set.c ps_ident.c ps_target.c ps_assign.c ps_check.c
 *     ps_check_ws.c ps_check_rules.c ps_pool_rules.c ps_check_pool.c
 *     ps_compact.c
 *     ps_sha256.c ps_auth.c ps_move.c
 *
 *   PSTATE_HOST (Linux; allocates, opens files and devices):
 *     ps_media_linux.c ps_store.c ps_locate.c ps_part.c ps_discover.c
 *     ps_sem_linux.c ps_lockfile.c ps_open.c ps_check_host.c
 *     ps_auth_host.c ps_auth_tpm.c ps_auth_sess.c
 *     ps_dl.c ps_dl_libs.c ps_move_host.c
 *
 * No public header includes a hosted header, so firmware (-ffreestanding,
 * __STDC_HOSTED__ == 0) includes any of them as it is; the declarations of
 * functions defined in PSTATE_HOST are hidden there (PS_HOSTED is 0), so a
 * firmware build that calls one fails to compile instead of failing to
 * link.  Types stay visible everywhere (they cost nothing).  `make
 * firmware` compiles each public header alone with -ffreestanding and
 * checks that this list matches pstate.mk (scripts/check-headers.sh).
 *
 * Conventions (libfdt style): every function that can fail returns an int,
 * 0 on success and a negative error code on failure.  Error codes are
 * either PS_ERR_* and the other codes of ps_errors.h (-101 .. -132 and
 * -200 .. -210) or, where a PSF check or edit failed, PSF_ERR_* (-1 .. -20)
 * passed through unchanged; ps_strerror() names every one of them.
 * A function that fails has changed nothing on media unless its
 * description says otherwise (only an I/O error or a crash in the middle of
 * a commit can leave a half-written slot, which by design is invisible).
 */
#ifndef PSTATE_H
#define PSTATE_H

#include "psf.h"
#include "ps_errors.h"
#include "ps_media.h"
#include "ps_lock.h"
#include "ps_store.h"
#include "ps_sha256.h"
#include "ps_auth.h"
#include "ps_auth_host.h"
#include "ps_part.h"
#include "ps_discover.h"
#include "ps_sem.h"
#include "ps_sem_linux.h"
#include "ps_config.h"
#include "ps_compact.h"
#include "ps_pool.h"
#include "ps_target.h"
#include "ps_profile.h"
#include "ps_move.h"
#include "ps_serial.h"
#include "ps_restart.h"
#include "ps_open.h"
#include "ps_dl.h"

#endif /* PSTATE_H */
