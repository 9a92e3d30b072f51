/*
 * ps_sem_linux.h - the semaphore on Linux: /dev/mem, simulation, flock.
 *
 * Types freestanding; functions hosted (ps_sem_linux.c, ps_lockfile.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_SEM_LINUX_H
#define PS_SEM_LINUX_H

#include "ps_sem.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Semaphore on Linux (hosted: ps_sem_linux.c)
 *
 *   /dev/mem     real hosts: the legacy BIOS range is mapped read-only and
 *                scanned for the marker, then the semaphore's physical page
 *                is mapped read-write (needs root / CAP_SYS_RAWIO).
 *   simulation   two files: one stands for the BIOS window 0xE0000-0xFFFFF
 *                (0x20000 bytes), one for the BMC's shared memory at
 *                physical address PS_SEM_SIM_SHM_PHYS.  ps_sem_sim_create
 *                makes such a pair; the simulated BMC and the tests use it.
 *   flock        the fallback when no marker exists (a platform whose BMC
 *                never writes): an advisory lock file for writers on this
 *                host only.  ps_sem_sys_describe says so, for `info`.
 *
 * Configuration: struct ps_sem_config, whose NULL/0 fields take these
 * environment variables:
 *   PSTATE_SEM_MODE     auto (default) | devmem | sim | flock
 *   PSTATE_SEM_BIOS     simulation: the BIOS-window file   } both set: sim
 *   PSTATE_SEM_SHM      simulation: the shared-memory file }
 *   PSTATE_SEM_DEVMEM   the physical-memory device (default /dev/mem)
 *   PSTATE_LOCK_FILE    the flock fallback's lock file
 *   PSTATE_LOCK_DIR     where derived lock files go (default: for root
 *                       PS_SEM_LOCK_DIR, else $XDG_RUNTIME_DIR/pstate, or
 *                       /tmp/pstate-<uid> without it)
 *
 * The flock fallback's files (docs/semaphore.md): one per store,
 * "pstate-<key>.lock" (ps_open_key) in the lock directory, which is
 * created mode 0700 when missing.  Refused (PS_SEM_ERR_PERM, the reason in
 * ps_sem_sys_describe): a directory or file that is a symbolic link, is
 * owned by another user (root may own the directory), or is writable by
 * group or others; a lock file that is not a regular file of one link.
 * The lock file is created mode 0600 and holds the fencing counter.
 */

/* The lock directory of root's writers. */
#define PS_SEM_LOCK_DIR "/run/pstate"

/* Physical address the simulated shared-memory file starts at. */
#define PS_SEM_SIM_SHM_PHYS 0xFD000000ull
#define PS_SEM_SIM_SHM_SIZE 0x1000u
#define PS_SEM_SIM_MARKER_OFF 0x10000u /* marker at 0xF0000 */
#define PS_SEM_SIM_SEM_OFF 0x100u

#define PS_SEM_DEFAULT_TIMEOUT_MS 30000u
#define PS_SEM_DEFAULT_LEASE_MS 10000u

enum ps_sem_mode {
	PS_SEM_MODE_AUTO = 0, /* sim if configured, else /dev/mem, else flock */
	PS_SEM_MODE_DEVMEM,
	PS_SEM_MODE_SIM,
	PS_SEM_MODE_FLOCK,
};

struct ps_sem_config {
	int mode;               /* enum ps_sem_mode */
	const char *bios_file;  /* simulation */
	const char *shm_file;
	const char *devmem_path;
	const char *lock_file;  /* flock fallback */
	const char *store_key;  /* the store's key (ps_open_key): names the
				   lock file; [0-9A-Za-z_.-], 1-64 chars */
	const char *store_path; /* without a key: the image or device whose
				   device/inode numbers name the lock file */
	uint32_t timeout_ms;    /* acquire wait; 0 = PS_SEM_DEFAULT_TIMEOUT_MS */
};

/* An opened semaphore, whichever backend it came from. */
struct ps_sem_sys {
	int mode;               /* resolved: DEVMEM, SIM or FLOCK */
	struct ps_sem sem;      /* DEVMEM and SIM */
	struct ps_sem_marker marker;
	void *bios_map;
	size_t bios_len;
	void *sem_map;
	size_t sem_map_len;
	int lock_fd;            /* FLOCK */
	int flock_held;
	uint64_t flock_token;
	int lock_derived;       /* FLOCK: the file is ours to remove on
				   release (named from the store, not given) */
	uint32_t timeout_ms;
	char lock_path[512];
	char desc[1536];         /* how the lock was chosen, for `info` */
};

#if PS_HOSTED
/*
 * Open the semaphore as configured (cfg may be NULL: environment only).
 * With no marker, falls back to flock and says why in the description.
 * A marker that exists but is invalid, or a semaphore that cannot be
 * mapped or validated, is an error (not a fallback): a BMC that publishes
 * a semaphore may be writing, and ignoring it would trample its updates.
 * On error, ps_sem_sys_describe still says what went wrong.
 * @s:    filled (cleared first); closed with ps_sem_sys_close
 * @cfg:  struct ps_sem_config (NULL: the environment only)
 * Returns 0, or PS_SEM_ERR_INVAL (s NULL, an unknown mode, a store key
 * that is not [0-9A-Za-z_.-]{1,64}, a simulation with one file only),
 * PS_SEM_ERR_BADMARKER, PS_SEM_ERR_BADSEM, PS_SEM_ERR_RANGE (the marker or
 * the semaphore is invalid, or outside what can be mapped), PS_SEM_ERR_PERM
 * (no permission, or an unsafe lock directory or file), PS_SEM_ERR_IO.
 */
int ps_sem_sys_open(struct ps_sem_sys *s, const struct ps_sem_config *cfg);
void ps_sem_sys_close(struct ps_sem_sys *s);

/* One line for `info`: backend, addresses, BMC policy, or the fallback. */
const char *ps_sem_sys_describe(const struct ps_sem_sys *s);

/* The semaphore's current state into st: 0, or PS_SEM_ERR_INVAL (not
 * opened, or flock mode: no shared state). */
int ps_sem_sys_peek(const struct ps_sem_sys *s, struct ps_sem_state *st);

/* ps_lock_ops over a struct ps_sem_sys (ctx); acquire waits timeout_ms. */
extern const struct ps_lock_ops ps_sem_sys_lock_ops;

/* Simulation pair layout; NULL options = the PS_SEM_SIM_* defaults. */
struct ps_sem_sim_opts {
	uint32_t marker_off;   /* in the BIOS file, 16-byte aligned */
	uint32_t sem_off;      /* in the shm file, 8-byte aligned */
	uint32_t shm_size;
	uint32_t min_lease_ms;
	uint8_t flags;         /* PS_SEM_F_* */
	uint8_t no_marker;     /* a platform without a semaphore */
};

/*
 * Create (or atomically replace, by rename) a simulated BIOS window file
 * and BMC shared-memory file: the marker with the right checksum pointing
 * at a free, zeroed semaphore.  Processes that still map an old pair keep
 * the old files.  Returns 0, PS_SEM_ERR_INVAL (a file name NULL, an
 * offset unaligned or outside its file, bad flags), PS_SEM_ERR_IO.
 */
int ps_sem_sim_create(const char *bios_file, const char *shm_file,
		      const struct ps_sem_sim_opts *o);

/* CLOCK_MONOTONIC milliseconds and a yield-then-sleep back-off. */
extern const struct ps_sem_clock ps_sem_linux_clock;

struct stat;

/**
 * ps_file_untrusted() - whether this process may trust a file or directory
 * another local user could have planted or could change
 * @sb: its status, from fstat of a descriptor opened with O_NOFOLLOW (a
 *      symbolic link is refused by that open, before this rule)
 * @dir: nonzero for a directory
 *
 * The one rule for the lock directory and lock files (above) and for
 * psctl's configuration file: refused when it is not a directory (@dir)
 * or not a regular file, is owned by another user than the effective one
 * (root may own a directory), is writable by group or others, or is a
 * file with other hard links.
 *
 * Return: NULL when it may be trusted, else the reason, a static string
 * ("not a regular file", "owned by another user", ...).
 */
const char *ps_file_untrusted(const struct stat *sb, int dir);
#endif /* PS_HOSTED */

#ifdef __cplusplus
}
#endif

#endif /* PS_SEM_LINUX_H */
