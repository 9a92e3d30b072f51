/*
 * ps_sem_linux.c - semaphore backends for Linux tools: /dev/mem, simulation
 * files, and the choice of the flock fallback (ps_lockfile.c); the
 * ps_lock_ops adapter over them.
 *
 * /dev/mem and the simulation go through the same "physical memory"
 * mapping functions: map_phys() maps [phys, phys + len) read-only or
 * read-write, from /dev/mem at offset phys, or from whichever simulation
 * file stands for that address range.  So the simulated path runs the same
 * scan, attach and locking code as a real host.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ps_internal.h"

/* ------------------------------------------------------------ clock */

static uint64_t linux_now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Yield first (a hold is usually a few microseconds), then sleep a little
 * so that waiting on a long hold does not burn a CPU. */
static void linux_relax(void *ctx, uint32_t attempt)
{
	struct timespec ts = { 0, 0 };

	(void)ctx;
	if (attempt < 16) {
		sched_yield();
		return;
	}
	ts.tv_nsec = attempt < 256 ? 50000 : 500000;
	nanosleep(&ts, NULL);
}

const struct ps_sem_clock ps_sem_linux_clock = {
	.now_ms = linux_now_ms,
	.relax = linux_relax,
	.ctx = NULL,
};

/* ------------------------------------------------------------ helpers */

const char *ps__env_or(const char *v, const char *name)
{
	const char *e;

	if (v && *v)
		return v;
	e = getenv(name);
	return e && *e ? e : NULL;
}

static const char *policy_str(uint8_t flags)
{
	if (flags & PS_SEM_F_BMC_NEVER_WRITES)
		return "BMC never writes";
	if (flags & PS_SEM_F_BMC_HOST_OFF_ONLY)
		return "BMC writes only with the host off";
	return "BMC writes at any time, under the semaphore";
}

int ps__errno_sem(int e)
{
	return e == EACCES || e == EPERM ? PS_SEM_ERR_PERM : PS_SEM_ERR_IO;
}

/* ------------------------------------------------------------ phys maps */

/* Where physical memory comes from: /dev/mem (one fd) or the two
 * simulation files. */
struct physmem {
	const char *devmem;      /* NULL in simulation */
	const char *bios_file;
	const char *shm_file;
	char *err;               /* message buffer (desc) */
	size_t errlen;
};

/* Map [phys, phys + len) of a file whose offset 0 is physical address
 * base.  Page-aligns the start; *win gets the address of phys itself. */
static int map_file(const struct physmem *pm, const char *path,
		    uint64_t base, uint64_t phys, size_t len, int rw,
		    void **map, size_t *map_len, uint8_t **win)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t off = (phys - base) & ~(page - 1);
	size_t mlen = (size_t)((phys - base) - off) + len;
	int fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC |
			    (pm->devmem ? O_SYNC : 0));
	void *p;

	if (fd < 0) {
		int e = errno;

		snprintf(pm->err, pm->errlen, "cannot open %s: %s", path,
			 strerror(e));
		return ps__errno_sem(e);
	}
	if (off > (uint64_t)INT64_MAX) {
		close(fd);
		snprintf(pm->err, pm->errlen,
			 "%s: physical address 0x%llx beyond file offsets", path,
			 (unsigned long long)phys);
		return PS_SEM_ERR_RANGE;
	}
	p = mmap(NULL, mlen, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, fd,
		 (off_t)off);
	close(fd); /* the mapping keeps the file */
	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(pm->err, pm->errlen,
			 "cannot map %zu bytes of %s at 0x%llx: %s", mlen, path,
			 (unsigned long long)(base + off), strerror(e));
		return ps__errno_sem(e);
	}
	*map = p;
	*map_len = mlen;
	*win = (uint8_t *)p + ((phys - base) - off);
	return PS_SEM_OK;
}

/* In simulation the file must cover the range; mmap past EOF would only
 * fault later (SIGBUS), so check the size first. */
static int sim_covers(const struct physmem *pm, const char *path,
		      uint64_t base, uint64_t phys, size_t len)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		int e = errno;

		snprintf(pm->err, pm->errlen, "cannot stat %s: %s", path,
			 strerror(e));
		return ps__errno_sem(e);
	}
	if (phys < base || phys - base > (uint64_t)sb.st_size ||
	    (uint64_t)sb.st_size - (phys - base) < len) {
		snprintf(pm->err, pm->errlen,
			 "physical range 0x%llx+%zu is outside simulated memory "
			 "%s (0x%llx..0x%llx)",
			 (unsigned long long)phys, len, path,
			 (unsigned long long)base,
			 (unsigned long long)(base + (uint64_t)sb.st_size));
		return PS_SEM_ERR_RANGE;
	}
	return PS_SEM_OK;
}

static int map_phys(const struct physmem *pm, uint64_t phys, size_t len,
		    int rw, void **map, size_t *map_len, uint8_t **win)
{
	const char *path;
	uint64_t base;
	int rc;

	if (pm->devmem)
		return map_file(pm, pm->devmem, 0, phys, len, rw, map, map_len,
				win);
	if (phys >= PS_SEM_BIOS_BASE &&
	    phys < PS_SEM_BIOS_BASE + PS_SEM_BIOS_SIZE) {
		path = pm->bios_file;
		base = PS_SEM_BIOS_BASE;
	} else {
		path = pm->shm_file;
		base = PS_SEM_SIM_SHM_PHYS;
	}
	rc = sim_covers(pm, path, base, phys, len);
	if (rc)
		return rc;
	return map_file(pm, path, base, phys, len, rw, map, map_len, win);
}

/* ------------------------------------------------------------ open */

static void unmap_all(struct ps_sem_sys *s)
{
	if (s->bios_map)
		munmap(s->bios_map, s->bios_len);
	if (s->sem_map)
		munmap(s->sem_map, s->sem_map_len);
	s->bios_map = s->sem_map = NULL;
}

/* Scan the BIOS window (read-only; it is unmapped again afterwards since
 * the marker is only needed once). */
static int scan_bios(struct ps_sem_sys *s, const struct physmem *pm)
{
	struct ps_sem_scan sc;
	uint8_t *win;
	int rc;

	rc = map_phys(pm, PS_SEM_BIOS_BASE, PS_SEM_BIOS_SIZE, 0, &s->bios_map,
		      &s->bios_len, &win);
	if (rc)
		return rc;
	rc = ps_sem_find_marker(win, PS_SEM_BIOS_SIZE, PS_SEM_BIOS_BASE,
				&s->marker, &sc);
	munmap(s->bios_map, s->bios_len);
	s->bios_map = NULL;
	if (rc == PS_SEM_ERR_BADMARKER)
		snprintf(s->desc, sizeof s->desc,
			 "semaphore marker invalid: %u candidate(s), first at "
			 "0x%llx rejected: %s; refusing to write without the "
			 "BMC's semaphore",
			 sc.candidates, (unsigned long long)sc.first_why_addr,
			 ps_sem_marker_why_str(sc.first_why));
	return rc;
}

static int attach_sem(struct ps_sem_sys *s, const struct physmem *pm)
{
	const struct ps_sem_marker *m = &s->marker;
	uint8_t *win;
	int rc;

	rc = map_phys(pm, m->sem_addr, PS_SEM_SIZE, 1, &s->sem_map,
		      &s->sem_map_len, &win);
	if (rc)
		return rc;
	rc = ps_sem_attach(&s->sem, win, PS_SEM_SIZE, m->sem_addr, m,
			   &ps_sem_linux_clock, s->timeout_ms);
	if (rc)
		snprintf(s->desc, sizeof s->desc,
			 "semaphore at 0x%llx (from marker at 0x%llx): %s",
			 (unsigned long long)m->sem_addr,
			 (unsigned long long)m->marker_addr,
			 ps_strerror(rc));
	return rc;
}

static void describe_mem(struct ps_sem_sys *s, const struct physmem *pm)
{
	const struct ps_sem_marker *m = &s->marker;

	snprintf(s->desc, sizeof s->desc,
		 "%s semaphore via %s%s%s: marker at 0x%llx rev %u, semaphore "
		 "at 0x%llx (%u bytes), min lease %u ms; %s",
		 pm->devmem ? "BMC" : "simulated BMC",
		 pm->devmem ? pm->devmem : pm->bios_file,
		 pm->devmem ? "" : " + ", pm->devmem ? "" : pm->shm_file,
		 (unsigned long long)m->marker_addr, m->revision,
		 (unsigned long long)m->sem_addr, m->sem_size, m->min_lease_ms,
		 policy_str(m->flags));
}

/* *scanned: the BIOS window could be mapped and scanned (so a failure
 * after that is about the semaphore itself). */
static int open_mem(struct ps_sem_sys *s, const struct physmem *pm,
		    int *scanned)
{
	int rc = scan_bios(s, pm);

	*scanned = rc == PS_SEM_OK || rc == PS_SEM_ERR_NOMARKER ||
		   rc == PS_SEM_ERR_BADMARKER;
	if (rc)
		return rc;
	rc = attach_sem(s, pm);
	if (rc) {
		unmap_all(s);
		return rc;
	}
	describe_mem(s, pm);
	return PS_SEM_OK;
}


static int parse_mode(const struct ps_sem_config *cfg, int *mode)
{
	const char *e = getenv("PSTATE_SEM_MODE");

	*mode = cfg ? cfg->mode : PS_SEM_MODE_AUTO;
	if (*mode != PS_SEM_MODE_AUTO || !e || !*e || !strcmp(e, "auto"))
		return PS_SEM_OK;
	if (!strcmp(e, "devmem"))
		*mode = PS_SEM_MODE_DEVMEM;
	else if (!strcmp(e, "sim"))
		*mode = PS_SEM_MODE_SIM;
	else if (!strcmp(e, "flock"))
		*mode = PS_SEM_MODE_FLOCK;
	else
		return PS_SEM_ERR_INVAL;
	return PS_SEM_OK;
}

/* After a failed memory open: no marker falls back to flock; a missing
 * /dev/mem in auto mode too (a host without it cannot have a BMC writer we
 * could see).  Everything else is an error. */
static int mem_or_fallback(struct ps_sem_sys *s, const struct physmem *pm,
			   const struct ps_sem_config *cfg, int mode)
{
	char why[640];
	int scanned;
	int rc = open_mem(s, pm, &scanned);

	if (rc == PS_SEM_OK) {
		s->mode = pm->devmem ? PS_SEM_MODE_DEVMEM : PS_SEM_MODE_SIM;
		return rc;
	}
	if (rc == PS_SEM_ERR_NOMARKER) {
		snprintf(why, sizeof why, "no marker in 0xE0000-0xFFFFF of %s",
			 pm->devmem ? pm->devmem : pm->bios_file);
		return ps__lockfile_open(s, cfg, why);
	}
	if (mode == PS_SEM_MODE_AUTO && pm->devmem &&
	    (rc == PS_SEM_ERR_PERM || rc == PS_SEM_ERR_IO) && !scanned) {
		snprintf(why, sizeof why, "%.600s", s->desc);
		return ps__lockfile_open(s, cfg, why);
	}
	return rc;
}

int ps_sem_sys_open(struct ps_sem_sys *s, const struct ps_sem_config *cfg)
{
	struct physmem pm = { 0 };
	int mode, rc;

	if (!s)
		return PS_SEM_ERR_INVAL;
	memset(s, 0, sizeof *s);
	s->lock_fd = -1;
	s->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms
					       : PS_SEM_DEFAULT_TIMEOUT_MS;
	pm.err = s->desc;
	pm.errlen = sizeof s->desc;
	if (parse_mode(cfg, &mode)) {
		snprintf(s->desc, sizeof s->desc,
			 "PSTATE_SEM_MODE must be auto, devmem, sim or flock");
		return PS_SEM_ERR_INVAL;
	}
	pm.bios_file = ps__env_or(cfg ? cfg->bios_file : NULL,
				  "PSTATE_SEM_BIOS");
	pm.shm_file = ps__env_or(cfg ? cfg->shm_file : NULL, "PSTATE_SEM_SHM");
	if (mode == PS_SEM_MODE_FLOCK)
		return ps__lockfile_open(s, cfg, "flock mode requested");
	if (mode == PS_SEM_MODE_AUTO && pm.bios_file && pm.shm_file)
		mode = PS_SEM_MODE_SIM;
	if (mode == PS_SEM_MODE_SIM && (!pm.bios_file || !pm.shm_file)) {
		snprintf(s->desc, sizeof s->desc,
			 "simulation needs both files (PSTATE_SEM_BIOS and "
			 "PSTATE_SEM_SHM)");
		return PS_SEM_ERR_INVAL;
	}
	if (mode != PS_SEM_MODE_SIM)
		pm.devmem = ps__env_or(cfg ? cfg->devmem_path : NULL,
				       "PSTATE_SEM_DEVMEM");
	if (mode != PS_SEM_MODE_SIM && !pm.devmem)
		pm.devmem = "/dev/mem";
	rc = mem_or_fallback(s, &pm, cfg, mode);
	return rc;
}

void ps_sem_sys_close(struct ps_sem_sys *s)
{
	if (!s)
		return;
	unmap_all(s);
	if (s->lock_fd >= 0)
		ps__lockfile_close(s); /* drops a flock still held */
	s->lock_fd = -1;
	s->flock_held = 0;
}

const char *ps_sem_sys_describe(const struct ps_sem_sys *s)
{
	return s && s->desc[0] ? s->desc : "semaphore not opened";
}

int ps_sem_sys_peek(const struct ps_sem_sys *s, struct ps_sem_state *st)
{
	if (!s || !st || !s->sem_map)
		return PS_SEM_ERR_INVAL;
	ps_sem_peek(&s->sem, st);
	return PS_SEM_OK;
}


/* ------------------------------------------------------------ adapter */

static int sys_acquire(void *ctx, uint8_t owner, uint32_t lease_ms,
		       uint64_t *token)
{
	struct ps_sem_sys *s = ctx;

	if (!s || !token || owner == 0 || owner > PS_SEM_OWNER_MAX)
		return PS_SEM_ERR_INVAL;
	if (s->mode == PS_SEM_MODE_FLOCK)
		return ps__lockfile_acquire(s, token);
	return ps_sem_acquire(&s->sem, owner, lease_ms, s->timeout_ms, token);
}

/* pstate.h: 1 held, 0 lost, negative error.  A flock cannot be broken
 * while we live (the kernel drops it only when we die), so it is held as
 * long as the token is this hold's. */
static int sys_still_held(void *ctx, uint64_t token)
{
	struct ps_sem_sys *s = ctx;
	int rc;

	if (!s)
		return PS_SEM_ERR_INVAL;
	if (s->mode == PS_SEM_MODE_FLOCK)
		return s->flock_held && token == s->flock_token;
	rc = ps_sem_still_held(&s->sem, token);
	if (rc == PS_SEM_OK)
		return 1;
	if (rc == PS_SEM_ERR_LOST || rc == PS_SEM_ERR_NOTHELD)
		return 0;
	return rc;
}

static int sys_release(void *ctx, uint64_t token)
{
	struct ps_sem_sys *s = ctx;

	if (!s)
		return PS_SEM_ERR_INVAL;
	if (s->mode != PS_SEM_MODE_FLOCK)
		return ps_sem_release(&s->sem, token);
	if (!s->flock_held)
		return PS_SEM_ERR_NOTHELD;
	if (token != s->flock_token)
		return PS_SEM_ERR_LOST;
	return ps__lockfile_release(s);
}

/* pstate.h: the slot a commit is about to write, recorded in the lock
 * word so that a breaker bars it (docs/semaphore.md 4.6).  A flock is
 * never broken while its holder lives, so there is nothing to record. */
static int sys_claim(void *ctx, uint64_t token, uint32_t slot, int force)
{
	struct ps_sem_sys *s = ctx;

	if (!s)
		return PS_SEM_ERR_INVAL;
	if (s->mode == PS_SEM_MODE_FLOCK)
		return s->flock_held && token == s->flock_token
			       ? PS_CLAIM_OK : PS_CLAIM_LOST;
	return ps_sem_claim(&s->sem, token, slot, force);
}

const struct ps_lock_ops ps_sem_sys_lock_ops = {
	.acquire = sys_acquire,
	.still_held = sys_still_held,
	.release = sys_release,
	.claim = sys_claim,
};

/* ------------------------------------------------------------ simulation */

/* Write a whole file under a temporary name, then rename it over the old
 * one: processes mapping the old file keep it intact. */
static int write_replace(const char *path, const uint8_t *buf, size_t len)
{
	char tmp[4096];
	int fd, ok;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof tmp)
		return PS_SEM_ERR_INVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return ps__errno_sem(errno);
	ok = write(fd, buf, len) == (ssize_t)len;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return PS_SEM_ERR_IO;
	}
	return PS_SEM_OK;
}

static int sim_opts_check(const struct ps_sem_sim_opts *o)
{
	if (o->marker_off % PS_SEM_MARKER_ALIGN ||
	    o->marker_off > PS_SEM_BIOS_SIZE - PS_SEM_MARKER_LEN)
		return PS_SEM_ERR_INVAL;
	if (o->sem_off % 8 || o->shm_size < PS_SEM_SIZE ||
	    o->sem_off > o->shm_size - PS_SEM_SIZE)
		return PS_SEM_ERR_INVAL;
	return PS_SEM_OK;
}

int ps_sem_sim_create(const char *bios_file, const char *shm_file,
		      const struct ps_sem_sim_opts *opts)
{
	struct ps_sem_sim_opts o = {
		PS_SEM_SIM_MARKER_OFF, PS_SEM_SIM_SEM_OFF, PS_SEM_SIM_SHM_SIZE,
		0, 0, 0,
	};
	uint8_t *buf;
	int rc;

	if (opts)
		o = *opts;
	if (!bios_file || !shm_file || sim_opts_check(&o))
		return PS_SEM_ERR_INVAL;
	/* calloc: 8-byte alignment for ps_sem_init_struct, and zeros. */
	buf = calloc(1, PS_SEM_BIOS_SIZE > o.shm_size ? PS_SEM_BIOS_SIZE
						       : o.shm_size);
	if (!buf)
		return PS_SEM_ERR_IO;
	rc = ps_sem_init_struct(buf + o.sem_off, o.shm_size - o.sem_off);
	if (!rc)
		rc = write_replace(shm_file, buf, o.shm_size);
	memset(buf, 0, PS_SEM_BIOS_SIZE);
	if (!rc && !o.no_marker)
		rc = ps_sem_write_marker(buf + o.marker_off,
					 PS_SEM_SIM_SHM_PHYS + o.sem_off,
					 PS_SEM_SIZE, o.flags, o.min_lease_ms);
	if (!rc)
		rc = write_replace(bios_file, buf, PS_SEM_BIOS_SIZE);
	free(buf);
	return rc;
}
