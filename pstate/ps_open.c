/*
 * ps_open.c - open a store at a path, and find the default store: the one
 * rule (ps_open.h, docs/discovery.md) every front end uses, so
 * that an image file, a key's whole node and its partition's node all
 * reach a store the same way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pstate.h"

/* A number from the first line of a sysfs attribute, or -1. */
static long long sysfs_num(const char *dir, const char *entry,
			   const char *attr)
{
	char f[600], line[32];
	long long v = -1;
	FILE *fp;

	snprintf(f, sizeof f, "%s/%s/%s", dir, entry, attr);
	fp = fopen(f, "r");
	if (!fp)
		return -1;
	if (fgets(line, sizeof line, fp))
		v = atoll(line);
	fclose(fp);
	return v;
}

/* The node of partition p of block device dev ("/dev/loop0p4" for
 * "/dev/loop0"): the kernel's partition with p's number and start (sysfs
 * counts starts in 512-byte units whatever the sector size).  0, or -1
 * when the kernel has no such partition. */
static int part_node(const struct stat *dev, const struct ps_part_info *p,
		     char *out, size_t cap)
{
	char sys[96];
	struct dirent *d;
	DIR *dir;
	int found = -1;

	snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u",
		 major(dev->st_rdev), minor(dev->st_rdev));
	dir = opendir(sys);
	while (dir && found && (d = readdir(dir))) {
		long long start;

		if (d->d_name[0] == '.' ||
		    sysfs_num(sys, d->d_name, "partition") != p->partno)
			continue;
		start = sysfs_num(sys, d->d_name, "start");
		if (start >= 0 && (uint64_t)start * 512u == p->offset &&
		    (size_t)snprintf(out, cap, "/dev/%s", d->d_name) < cap)
			found = 0;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Where block device node st begins on its whole device: a partition's
 * start (sysfs, in 512-byte units), 0 for a whole device or a file. */
static uint64_t node_start(const struct stat *st)
{
	char dev[32];
	long long start;

	if (!S_ISBLK(st->st_mode))
		return 0;
	snprintf(dev, sizeof dev, "%u:%u", major(st->st_rdev),
		 minor(st->st_rdev));
	start = sysfs_num("/sys/dev/block", dev, "start");
	return start > 0 ? (uint64_t)start * 512u : 0;
}

/* The media by the rule: block devices through their own node (the
 * partition's when the kernel has one); a window on a whole device, and
 * files, through the image backend at the sector size ps_part_sector_size
 * gives (the device's; a file's from its superblock, else 512). */
static int open_media(struct ps_opened *o, unsigned mflags)
{
	if (o->blockdev && (o->whole || strcmp(o->node, o->path)))
		return ps_media_open_blockdev(&o->media, o->node, mflags);
	return ps_media_open_image(&o->media, o->path, o->part.offset,
				   o->part.length,
				   ps_part_sector_size(o->path, o->part.offset,
						       o->part.length),
				   mflags);
}

/* Read-write or read-only as the flags ask; with PS_OPEN_RO_RETRY, a
 * read-only file or key still opens (for readers). */
static int open_rw(struct ps_opened *o, unsigned flags)
{
	int rc;

	if (flags & PS_OPEN_RDONLY)
		return open_media(o, PS_MEDIA_RDONLY);
	rc = open_media(o, 0);
	if (rc && (flags & PS_OPEN_RO_RETRY))
		rc = open_media(o, PS_MEDIA_RDONLY);
	return rc;
}

/* Where the store is: path's kind, its partition, the node to open.
 * 0, or the error with err set. */
static int locate_path(struct ps_opened *o, unsigned flags, char *err,
		       size_t errlen)
{
	struct stat st;
	int rc;

	if (stat(o->path, &st)) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot open: %s", o->path,
			 strerror(e));
		return e == ENOENT || e == ENOTDIR ? PS_PART_ENODEV
						   : PS_PART_EIO;
	}
	o->blockdev = S_ISBLK(st.st_mode);
	o->is_dev = (flags & PS_OPEN_DEVICE) ? 1 : (flags & PS_OPEN_IMAGE)
							   ? 0 : o->blockdev;
	rc = ps_part_find(o->path, &o->part, err, errlen);
	if (rc == PS_PART_ENOTABLE) {
		memset(&o->part, 0, sizeof o->part);
		o->whole = 1;
		rc = 0;
	}
	if (rc)
		return rc;
	snprintf(o->node, sizeof o->node, "%s", o->path);
	if (o->blockdev && !o->whole)
		(void)part_node(&st, &o->part, o->node, sizeof o->node);
	o->start = o->part.offset + node_start(&st);
	return 0;
}

int ps_open_path(struct ps_opened *o, const char *path, unsigned flags,
		 char *err, size_t errlen)
{
	char desc[1400], scratch[1];
	int rc;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof scratch;
	}
	*err = 0;
	if (!o || !path)
		return PS_ERR_INVAL;
	memset(o, 0, sizeof *o);
	if ((size_t)snprintf(o->path, sizeof o->path, "%s", path) >=
	    sizeof o->path) {
		snprintf(err, errlen, "%.200s...: path too long", path);
		return PS_ERR_INVAL;
	}
	rc = locate_path(o, flags, err, errlen);
	if (rc)
		return rc;
	ps_open_describe(o, desc, sizeof desc);
	rc = open_rw(o, flags);
	if (rc) {
		snprintf(err, errlen, "%s: cannot open: %s", desc,
			 ps_strerror(rc));
		return rc;
	}
	o->media_open = 1;
	/* Another node of this key, or the BMC, may have written since this
	 * host last read through this one. */
	(void)ps_media_drop_cache(&o->media);
	if (flags & PS_OPEN_NO_STORE)
		return 0;
	o->store = ps_store_open(&o->media, &rc);
	if (!o->store) {
		snprintf(err, errlen, "%s: %s", desc, ps_strerror(rc));
		ps_open_close(o);
		return rc;
	}
	if (flags & PS_OPEN_ORDERED)
		(void)ps_store_set_commit(o->store, PS_COMMIT_ORDERED);
	return 0;
}

const char *ps_default_image(enum ps_open_source *src)
{
	const char *e = getenv(PS_IMAGE_ENV);

	if (src)
		*src = e && *e ? PS_OPEN_SRC_ENV : PS_OPEN_SRC_DEFAULT;
	return e && *e ? e : PS_DEFAULT_IMAGE;
}

/* The first USB key holding a valid store: its index in res, or the
 * scan's code (PS_ERR_NOSTORE and PS_DISC_ENONE/EUSB: look further). */
static int scan_keys(struct ps_disc_result **res, const char *ports_conf,
		     char *why, size_t whylen)
{
	*res = calloc(1, sizeof **res);
	if (!*res) {
		snprintf(why, whylen, "USB scan: out of memory");
		return PS_ERR_NOMEM;
	}
	return ps_locate(*res, ports_conf, 0, why, whylen);
}

int ps_open_default(struct ps_opened *o, const char *ports_conf,
		    unsigned flags, char *err, size_t errlen)
{
	struct ps_disc_result *res;
	enum ps_open_source src;
	char why[512] = "", scratch[1];
	const char *img;
	int rc;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof scratch;
	}
	if (!o)
		return PS_ERR_INVAL;
	rc = scan_keys(&res, ports_conf, why, sizeof why);
	if (rc >= 0) {
		const struct ps_disc_cand *k = &res->cand[rc];

		rc = ps_open_path(o, k->dev, flags | PS_OPEN_DEVICE, err,
				  errlen);
		o->source = PS_OPEN_SRC_KEY;
		snprintf(o->how, sizeof o->how,
			 "USB key on port %s, chosen by scan", k->port_path);
		free(res);
		return rc;
	}
	free(res);
	if (rc != PS_ERR_NOSTORE && rc != PS_DISC_ENONE &&
	    rc != PS_DISC_EUSB) {
		memset(o, 0, sizeof *o);
		snprintf(err, errlen, "USB scan: %s", why);
		return rc;
	}
	img = ps_default_image(&src);
	rc = ps_open_path(o, img, flags | PS_OPEN_IMAGE, err, errlen);
	o->source = src;
	snprintf(o->how, sizeof o->how, "default image%s: %.500s",
		 src == PS_OPEN_SRC_ENV ? " ($" PS_IMAGE_ENV ")" : "", why);
	if (rc == PS_PART_ENODEV)
		snprintf(err, errlen, "default image %s does not exist (%s)",
			 o->path, o->how);
	return rc;
}

/* The writers' lock with one step added: once it is taken, the media's
 * cached pages go, so the commit (and a transaction holding the lock)
 * reads what other writers wrote, through whichever path they wrote. */
static int fresh_acquire(void *ctx, uint8_t owner, uint32_t lease_ms,
			 uint64_t *token)
{
	struct ps_opened *o = ctx;
	int rc = ps_sem_sys_lock_ops.acquire(&o->sem, owner, lease_ms, token);

	if (rc)
		return rc;
	rc = ps_media_drop_cache(&o->media);
	if (rc)
		(void)ps_sem_sys_lock_ops.release(&o->sem, *token);
	return rc;
}

static int fresh_still_held(void *ctx, uint64_t token)
{
	return ps_sem_sys_lock_ops.still_held(&((struct ps_opened *)ctx)->sem,
					      token);
}

static int fresh_release(void *ctx, uint64_t token)
{
	return ps_sem_sys_lock_ops.release(&((struct ps_opened *)ctx)->sem,
					   token);
}

static int fresh_claim(void *ctx, uint64_t token, uint32_t slot, int force)
{
	return ps_sem_sys_lock_ops.claim(&((struct ps_opened *)ctx)->sem,
					 token, slot, force);
}

static const struct ps_lock_ops fresh_lock_ops = {
	.acquire = fresh_acquire,
	.still_held = fresh_still_held,
	.release = fresh_release,
	.claim = fresh_claim,
};

int ps_open_key(const struct ps_opened *o, char *buf, size_t len)
{
	const uint8_t *v;
	char hex[33];
	int i;

	if (!o || !o->store || !buf)
		return -1;
	v = ps_store_disk(o->store)->volume_id;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", v[i]);
	return snprintf(buf, len, "%s-%llx", hex,
			(unsigned long long)o->start);
}

int ps_open_lock(struct ps_opened *o, uint8_t owner, char *err,
		 size_t errlen)
{
	struct ps_sem_config cfg = { 0 };
	char key[64];
	int rc;

	if (!o || !o->store)
		return PS_ERR_INVAL;
	if (o->sem_open)
		return 0;
	/* The store, not the path given: every path to one store takes one
	 * lock (the flock fallback's file is named after the key). */
	ps_open_key(o, key, sizeof key);
	cfg.store_key = key;
	cfg.store_path = o->node;
	rc = ps_sem_sys_open(&o->sem, &cfg);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "semaphore: %s",
				 ps_sem_sys_describe(&o->sem));
		return rc;
	}
	o->sem_open = 1;
	o->lock = (struct ps_lock){ &fresh_lock_ops, o, owner,
				    PS_SEM_DEFAULT_LEASE_MS, 0, 0 };
	ps_store_set_writer(o->store, &o->lock, owner);
	return 0;
}

int ps_open_describe(const struct ps_opened *o, char *buf, size_t len)
{
	if (o->whole)
		return snprintf(buf, len, "%s:%s (whole %s)",
				o->is_dev ? "device" : "image", o->path,
				o->is_dev ? "node"
					  : "file, no partition table");
	return snprintf(buf, len, "%s:%s %s partition #%d at byte %llu "
			"(%llu bytes)", o->is_dev ? "device" : "image",
			o->path, ps_part_label_name(o->part.label),
			o->part.partno, (unsigned long long)o->part.offset,
			(unsigned long long)o->part.length);
}

void ps_open_close(struct ps_opened *o)
{
	if (!o)
		return;
	ps_store_close(o->store);
	o->store = NULL;
	if (o->media_open)
		ps_media_close(&o->media);
	o->media_open = 0;
	if (o->sem_open)
		ps_sem_sys_close(&o->sem);
	o->sem_open = 0;
}
