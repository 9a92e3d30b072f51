/*
 * psctl_storecmds.c - the store-level commands: init, scan, info, check,
 * dump, export, import.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_util.h"

/* ------------------------------------------------------------ init */

struct init_opts {
	int gpt, force, slots;
	uint64_t size, part_size;
	int size_given;
};

static int init_parse(struct psctl_ctx *c, int argc, char **argv,
		      struct init_opts *o)
{
	const char *v;
	int i;

	memset(o, 0, sizeof *o);
	o->size = PSCTL_DEFAULT_IMAGE_SIZE;
	o->slots = PSCTL_DEFAULT_SLOTS;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gpt"))
			o->gpt = 1;
		else if (!strcmp(argv[i], "--mbr"))
			o->gpt = 0;
		else if (!strcmp(argv[i], "--force"))
			o->force = 1;
		else if (!strcmp(argv[i], "--size") ||
			 !strcmp(argv[i], "--part-size")) {
			int part = argv[i][2] == 'p';
			const char *why = "zero";
			uint64_t n;

			if (!(v = psctl_opt_value(c, argc, argv, &i)))
				return PSCTL_EXIT_USAGE;
			/* The library's one size rule; bare digits: bytes. */
			if (ps_parse_size(v, strlen(v), 1, &n, &why) || n == 0)
				return psctl_error(c, "init", argv[i - 1], v,
						   PSCTL_EXIT_INVALID,
						   "not a size: %s (e.g. 64M, "
						   "4MiB, 1G)", why);
			if (part)
				o->part_size = n;
			else
				o->size = n, o->size_given = 1;
		} else if (!strcmp(argv[i], "--slots")) {
			if (!(v = psctl_opt_value(c, argc, argv, &i)))
				return PSCTL_EXIT_USAGE;
			o->slots = atoi(v);
			if (o->slots < 2 || o->slots > (int)PS_MAX_SLOTS ||
			    strspn(v, "0123456789") != strlen(v))
				return psctl_error(c, "init", "--slots", v,
						   PSCTL_EXIT_INVALID,
						   "must be 2..%u",
						   PS_MAX_SLOTS);
		} else {
			return psctl_error(c, "init", NULL, argv[i],
					   PSCTL_EXIT_USAGE,
					   "unknown argument (init [--gpt] "
					   "[--size SIZE] [--part-size SIZE] "
					   "[--slots N] [--force])");
		}
	}
	return 0;
}

/* An image with any non-zero byte is not empty: refuse it without
 * --force even when libblkid recognises nothing in it. */
static int image_nonzero(const char *path, uint64_t *where)
{
	static uint8_t buf[1 << 16];
	uint64_t off = 0;
	ssize_t n, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i]) {
				*where = off + (uint64_t)i;
				close(fd);
				return 1;
			}
		off += (uint64_t)n;
	}
	close(fd);
	return 0;
}

/* Refuse a target that holds anything, unless --force. */
static int init_refuse(struct psctl_ctx *c, const char *path, int is_dev)
{
	struct ps_part_info pi;
	char err[512];
	uint64_t at;
	int rc = ps_part_find(path, &pi, err, sizeof err);

	if (rc == 0)
		return psctl_error(c, "init", NULL, path, PS_PART_EBUSY,
				   "already holds a pstate partition (%s #%d);"
				   " use --force to overwrite",
				   ps_part_label_name(pi.label), pi.partno);
	if (rc != PS_PART_ENOTABLE && rc != PS_PART_ENODEV)
		return psctl_error(c, "init", NULL, path, PS_PART_EBUSY,
				   "not empty (%s); use --force to overwrite",
				   err);
	if (!is_dev && image_nonzero(path, &at))
		return psctl_error(c, "init", NULL, path, PS_PART_EBUSY,
				   "not empty (non-zero byte at offset %llu);"
				   " use --force to overwrite",
				   (unsigned long long)at);
	return 0;
}

/* Create (or, with --force, resize) the image file. */
static int init_image_file(struct psctl_ctx *c, const char *path,
			   const struct init_opts *o, int *created)
{
	struct stat st;
	int fd;

	*created = 0;
	if (stat(path, &st) == 0 && st.st_size > 0 && !o->force) {
		if (o->size_given && (uint64_t)st.st_size != o->size)
			return psctl_error(c, "init", "--size", NULL,
					   PSCTL_EXIT_USAGE, "%s exists with "
					   "%lld bytes; --size applies to a new"
					   " image (or with --force)", path,
					   (long long)st.st_size);
		return init_refuse(c, path, 0);
	}
	if (stat(path, &st) != 0) {
		/* The documented default's directory may not exist yet. */
		if (!strcmp(path, PS_DEFAULT_IMAGE))
			mkdir("/var/lib/pstate", 0755);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		*created = fd >= 0;
	} else {
		fd = open(path, O_WRONLY);
	}
	if (fd < 0)
		return psctl_error(c, "init", NULL, path, PS_ERR_IO,
				   "cannot create: %s", strerror(errno));
	if ((*created || st.st_size == 0 || o->size_given) &&
	    ftruncate(fd, (off_t)o->size) != 0) {
		int e = errno;

		close(fd);
		if (*created)
			unlink(path);
		return psctl_error(c, "init", NULL, path, PS_ERR_IO,
				   "cannot size to %llu bytes: %s",
				   (unsigned long long)o->size, strerror(e));
	}
	close(fd);
	return 0;
}

static void random_id(uint8_t id[16])
{
	int fd = open("/dev/urandom", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, id, 16) : -1;
	uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	if (fd >= 0)
		close(fd);
	if (n != 16)
		memcpy(id, &t, sizeof t);
}

/* Format the pstate partition just made: an empty store, generation 1,
 * on the media ps_open_path's rule gives the path. */
static int init_format(struct psctl_ctx *c, const char *path, int is_dev,
		       int slots)
{
	struct ps_format_opts fo = { 0 };
	struct ps_disk d;
	struct ps_opened o;
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	char desc[1400], err[1600];
	int rc = ps_open_path(&o, path, PS_OPEN_NO_STORE |
			      (is_dev ? PS_OPEN_DEVICE : PS_OPEN_IMAGE), err,
			      sizeof err);

	if (rc)
		return psctl_error(c, "init", NULL, NULL, rc, "%s", err);
	ps_open_describe(&o, desc, sizeof desc);
	fo.slot_count = (uint32_t)slots;
	random_id(fo.volume_id);
	fo.timestamp = (uint64_t)time(NULL);
	rc = ps_format(&d, &o.media, &fo, sector);
	ps_open_close(&o);
	if (rc)
		return psctl_error(c, "init", NULL, NULL, rc, "%s: format "
				   "failed: %s", desc, ps_strerror(rc));
	psctl_say(c, "initialised %s: empty store, generation 1, %u slots of "
		  "%u bytes", desc, d.slot_count, ps_slot_capacity(&d));
	return 0;
}

int psctl_cmd_init(struct psctl_ctx *c, int argc, char **argv)
{
	struct ps_part_create_opts po = { 0 };
	struct ps_part_info part;
	struct init_opts o;
	const char *path = psctl_g.dev ? psctl_g.dev
			   : psctl_g.image ? psctl_g.image
			   : ps_default_image(NULL);
	int is_dev = psctl_g.dev != NULL;
	char err[512];
	int created = 0, rc = init_parse(c, argc, argv, &o);

	if (rc)
		return rc;
	if (c->dry_run) {
		fprintf(c->out, "would create a %s partition table with a "
			"pstate partition of %llu bytes and an empty store on"
			" %s (dry run, nothing written)\n", o.gpt ? "gpt" :
			"dos", (unsigned long long)(o.part_size ? o.part_size
						    : PS_PART_DEFAULT_SIZE),
			path);
		return 0;
	}
	rc = is_dev ? (o.force ? 0 : init_refuse(c, path, 1))
		    : init_image_file(c, path, &o, &created);
	if (rc)
		return rc;
	po.label = o.gpt ? PS_PART_LABEL_GPT : PS_PART_LABEL_MBR;
	po.size = o.part_size;
	po.force = 1; /* emptiness was checked above (or --force given) */
	rc = ps_part_create(path, &po, &part, err, sizeof err);
	if (rc) {
		if (created)
			unlink(path);
		return psctl_error(c, "init", NULL, NULL, rc, "%s", err);
	}
	return init_format(c, path, is_dev, o.slots);
}

/* ------------------------------------------------------------ scan */


/* The discovery result (large: one per process, not on the stack). */
static struct ps_disc_result *disc_result(void)
{
	static struct ps_disc_result res;

	memset(&res, 0, sizeof res);
	return &res;
}

/* The default image's line: ps_open_default's choice after the keys. */
static void scan_default(struct psctl_ctx *c, struct psctl_jw *w, int chosen,
			 int *usable)
{
	struct ps_part_info part;
	const char *path = ps_default_image(NULL);
	char reason[400] = "";
	const char *st;
	int whole = 0, rc;

	rc = ps_part_find(path, &part, reason, sizeof reason);
	if (rc == PS_PART_ENOTABLE)
		whole = 1, rc = 0;
	if (rc == 0)
		rc = whole ? ps_check_partition(NULL, path, 0, 0, reason,
						sizeof reason)
			   : ps_check_partition(NULL, path, part.offset,
						part.length, reason,
						sizeof reason);
	*usable = rc == 0;
	st = chosen ? "not-used" : rc == 0 ? "chosen" : "unusable";
	if (w) {
		psctl_jw_obj(w, 0);
		psctl_jw_key(w, "port");
		psctl_jw_str(w, "default");
		psctl_jw_key(w, "device");
		psctl_jw_str(w, path);
		psctl_jw_key(w, "status");
		psctl_jw_str(w, st);
		psctl_jw_key(w, "reason");
		psctl_jw_str_or_null(w, reason);
		psctl_jw_end(w);
		return;
	}
	fprintf(c->out, "%-10s %-9s %-9s %s  %-10s %s%s\n", "default",
		"image", "-", path, st, chosen ? "a USB key comes first; "
		: "", reason);
}

static void scan_json(struct psctl_jw *w, const struct ps_disc_cand *k)
{
	char id[8];

	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "port");
	psctl_jw_str(w, k->port_path);
	psctl_jw_key(w, "kind");
	psctl_jw_str(w, ps_port_kind_name(k->kind));
	psctl_jw_key(w, "vid");
	snprintf(id, sizeof id, "%04x", k->vid);
	psctl_jw_str(w, id);
	psctl_jw_key(w, "pid");
	snprintf(id, sizeof id, "%04x", k->pid);
	psctl_jw_str(w, id);
	psctl_jw_key(w, "device");
	psctl_jw_str_or_null(w, k->dev);
	psctl_jw_key(w, "status");
	psctl_jw_str(w, ps_disc_status_name(k->status));
	psctl_jw_key(w, "reason");
	psctl_jw_str_or_null(w, k->reason);
	psctl_jw_end(w);
}

int psctl_cmd_scan(struct psctl_ctx *c, int argc, char **argv)
{
	struct ps_disc_result *res = disc_result();
	struct psctl_jw w;
	char err[512] = "", line[1024];
	int i, usable, all = psctl_has_flag(argc, argv, "--all");
	int rc;

	if (argc > 2 || (argc == 2 && !all))
		return psctl_error(c, "scan", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (scan [--all])");
	rc = ps_locate(res, NULL, all, err, sizeof err);
	if (rc < 0 && rc != PS_ERR_NOSTORE && rc != PS_DISC_ENONE &&
	    rc != PS_DISC_EUSB)
		return psctl_error(c, "scan", NULL, NULL, rc, "%s", err);
	if (c->json) {
		psctl_jw_doc(&w, c->out, "scan", 0);
		psctl_jw_key(&w, "items");
		psctl_jw_arr(&w, 1);
	} else if (rc < 0)
		fprintf(c->out, "# %s\n", err);
	for (i = 0; i < res->n; i++) {
		const struct ps_disc_cand *k = &res->cand[i];

		if (!c->json) {
			ps_disc_format(k, line, sizeof line);
			fprintf(c->out, "%s\n", line);
			continue;
		}
		scan_json(&w, k);
	}
	scan_default(c, c->json ? &w : NULL, rc >= 0, &usable);
	if (c->json)
		psctl_jw_doc_end(&w);
	return rc >= 0 || usable ? 0 : PSCTL_EXIT_IO;
}

/* ------------------------------------------------------------ info */

static unsigned count_children(const uint8_t *buf, uint32_t set, uint32_t sig)
{
	int s = psf_find_child(buf, psf_root(buf), set), e;
	unsigned n = 0;

	if (s < 0)
		return 0;
	for (e = psf_find_next(buf, s, -1, sig); e >= 0;
	     e = psf_find_next(buf, s, e, sig))
		n++;
	return n;
}

static const char *owner_name(unsigned o)
{
	static const char *const n[] = { "none", "BMC", "hvagent",
					 "BIOS setup", "OS tools (psctl)" };

	return o < 5 ? n[o] : "reserved";
}

struct info_row {
	const char *key;
	char val[1600];
	int num;                   /* JSON: a number; 2: JSON only */
};

static void info_print(struct psctl_ctx *c, struct info_row *r, int n)
{
	struct psctl_jw w;
	int i;

	if (c->json)
		psctl_jw_doc(&w, c->out, "info", 1);
	for (i = 0; i < n; i++) {
		if (!c->json) {
			if (r[i].num != 2)
				fprintf(c->out, "%-14s %s\n", r[i].key,
					r[i].val[0] ? r[i].val : "-");
			continue;
		}
		psctl_jw_key(&w, r[i].key);
		if (!r[i].val[0])
			psctl_jw_null(&w);
		else if (r[i].num)
			psctl_jw_num_text(&w, r[i].val);
		else
			psctl_jw_str(&w, r[i].val);
	}
	if (c->json)
		psctl_jw_doc_end(&w);
}

#define ROW(k, isnum, ...) do { \
	r[n].key = (k); r[n].num = (isnum); \
	snprintf(r[n].val, sizeof r[n].val, __VA_ARGS__); n++; } while (0)

/* The object counts of the info table. */
static void info_counts(struct info_row *r, int *np, const uint8_t *buf)
{
	int n = *np;

	ROW("vms", 1, "%u", count_children(buf, PSF_VMS, PSF_VM));
	ROW("networks", 1, "%u", count_children(buf, PSF_NETWORKS,
						 PSF_NETWORK));
	ROW("images", 1, "%u", count_children(buf, PSF_IMAGES, PSF_IMAGE));
	ROW("reservations", 1, "%u", count_children(buf, PSF_RESERVATIONS,
						     PSF_RESERVATION));
	ROW("profiles", 1, "%u", count_children(buf, PSF_PROFILES,
						 PSF_PROFILE));
	*np = n;
}

/* The superblock copy the store was opened without (ps_disk's
 * sb_damaged), one phrase for `info` and `check`; 0 when both are intact. */
static int sb_damage(const struct ps_disk *d, char *buf, size_t len)
{
	int primary = d->sb_damaged == PS_SB_PRIMARY;

	if (d->sb_damaged == PS_SB_NONE) {
		snprintf(buf, len, "primary and backup valid");
		return 0;
	}
	snprintf(buf, len, "%s superblock damaged (sector %llu, byte %llu of "
		 "the partition); the %s is used and there is no spare copy",
		 primary ? "primary" : "backup",
		 (unsigned long long)d->sb_damaged_lba,
		 (unsigned long long)(d->sb_damaged_lba * d->sector_size),
		 primary ? "backup" : "primary");
	return 1;
}

int psctl_cmd_info(struct psctl_ctx *c, int argc, char **argv)
{
	static struct info_row r[24];
	const struct ps_disk *d;
	const struct ps_slot *s;
	const uint8_t *buf;
	uint32_t len, cap;
	int n = 0, rc;
	unsigned i, vid;
	char hex[40], sb[200], date[32];

	(void)argv;
	if (argc > 1)
		return psctl_error(c, "info", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (info takes none)");
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	d = ps_store_disk(c->store);
	buf = psctl_store_data(c, &len);
	s = &d->slot[d->base];
	cap = ps_slot_capacity(d);
	for (i = 0, vid = 0; i < 16; i++)
		vid += (unsigned)snprintf(hex + vid, sizeof hex - vid, "%02x",
					  d->volume_id[i]);
	ROW("store", 0, "%s", c->where);
	ROW("chosen-by", 0, "%s", psctl_g.st.how);
	ROW("format", 0, "%u.%u", buf[PSF_HDR_MAJOR], buf[PSF_HDR_MINOR]);
	ROW("schema", 1, "%u", psf_schema_version(buf));
	ROW("generation", 1, "%llu", psctl_store_generation(c));
	ROW("used-bytes", 1, "%u", len);
	info_counts(r, &n, buf);
	if (psctl_g.bmc_store) {
		/* Slots, sectors and the semaphore are the BMC's own: see
		 * `psctl --bmc ... bmc info`. */
		info_print(c, r, n);
		return 0;
	}
	ROW("slot", 1, "%d", d->base);
	ROW("slots", 1, "%u", d->slot_count);
	ROW("slot-bytes", 1, "%u", cap);
	ROW("free-bytes", 1, "%u", cap - len);
	ROW("sector-size", 1, "%u", d->sector_size);
	ROW("sectors", 1, "%llu", (unsigned long long)d->sectors);
	ROW("volume-id", 0, "%s", hex);
	sb_damage(d, sb, sizeof sb);
	ROW("superblocks", 0, "%s", sb);
	ROW("last-writer", 0, "%s", owner_name(s->owner));
	/* A date for people; the seconds too for scripts (JSON only). */
	ROW("last-commit", 0, "%s", psctl_iso_time(s->timestamp, date));
	if (s->timestamp)
		ROW("last-commit-epoch", 2, "%llu",
		    (unsigned long long)s->timestamp);
	else
		ROW("last-commit-epoch", 2, "%s", "");
	ROW("auth", 0, "%s", psctl_auth_info(c));
	/* The lock an edit would take: the store's, whatever path named
	 * it (opened, not taken). */
	rc = ps_open_lock(&psctl_g.st, PS_OWNER_OS, NULL, 0);
	ROW("semaphore", 0, "%s%s", rc ? "error: " : "",
	    ps_sem_sys_describe(&psctl_g.st.sem));
	info_print(c, r, n);
	return 0;
}

/* ------------------------------------------------------------ check */

/* A newer slot whose body fails its CRC under a one-flush header
 * (docs/store.md 3.2): a commit cut before all of its body landed, or
 * damage; the two look alike, and readers lost nothing acknowledged in
 * the first case, so it is a note, not an error (exit unchanged). */
static void interrupted_note(struct psctl_ctx *c, const struct ps_disk *d,
			     uint32_t i)
{
	unsigned long long g = (unsigned long long)d->slot[i].generation;

	fprintf(c->out, "slot %u: generation %llu, interrupted commit (its "
		"body does not match its CRC)\n", i, g);
	fprintf(c->err, "%s: check: note: slot %u holds generation %llu of "
		"an interrupted commit (a power cut during a one-flush commit, "
		"or damage: they look alike); readers use generation %llu\n",
		c->prog, i, g, psctl_store_generation(c));
}

int psctl_cmd_check(struct psctl_ctx *c, int argc, char **argv)
{
	const struct ps_disk *d;
	const uint8_t *buf;
	uint32_t len, bad = 0, i, damaged = 0;
	int rc, problems = 0;
	int verify = psctl_has_flag(argc, argv, "--verify");
	char sb[200];

	if (argc > 1 + verify)
		return psctl_error(c, "check", NULL, argv[1], PSCTL_EXIT_USAGE,
				   "unknown argument (check [--verify])");
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	d = ps_store_disk(c->store);
	buf = psctl_store_data(c, &len);
	rc = psf_check_full(buf, len, &bad);
	if (rc)
		return psctl_error(c, "check", NULL, NULL, rc,
				   "store invalid at"
				   " offset %u: %s", bad, ps_strerror(rc));
	for (i = 0; i < d->slot_count && !psctl_g.bmc_store; i++) {
		const struct ps_slot *s = &d->slot[i];

		if ((int)i == d->base)
			fprintf(c->out, "slot %u: generation %llu, %u bytes, "
				"valid (current)\n", i,
				(unsigned long long)s->generation, s->length);
		else if (ps_slot_state(d, i) == PS_SLOT_INTERRUPTED)
			interrupted_note(c, d, i);
		else if (ps_slot_state(d, i) == PS_SLOT_DAMAGED)
			fprintf(c->out, "slot %u: generation %llu, damaged "
				"(%s)\n", i, (unsigned long long)s->generation,
				ps_strerror(s->damage)), damaged = i + 1;
		else if (s->valid_hdr)
			fprintf(c->out, "slot %u: generation %llu (older)\n",
				i, (unsigned long long)s->generation);
		else
			fprintf(c->out, "slot %u: free\n", i);
	}
	if (!psctl_g.bmc_store && sb_damage(d, sb, sizeof sb))
		rc = psctl_error(c, "check", NULL, NULL, PSCTL_EXIT_DAMAGED,
				 "%s", sb);
	if (damaged)
		return psctl_error(c, "check", NULL, NULL, PSCTL_EXIT_DAMAGED,
				   "slot %u holds a newer generation, damaged:"
				   " readers use generation %llu", damaged - 1,
				   psctl_store_generation(c));
	if (rc)
		return rc;
	if (psctl_check_config) {
		problems = psctl_check_config(c, buf, len, c->out);
		if (problems < 0)
			return psctl_error(c, "check", NULL, NULL, problems,
					   NULL);
	} else {
		fprintf(c->out, "schema cross-checks: not available in this "
			"build\n");
	}
	if (problems) {
		fprintf(c->out, "%s: %d problem%s\n", c->where, problems,
			problems == 1 ? "" : "s");
		return PSCTL_EXIT_CHECK;
	}
	rc = verify ? psctl_auth_check_verify(c) : 0;
	if (rc)
		return rc;
	fprintf(c->out, "%s: valid store, generation %llu, %u bytes, schema "
		"%u\n", c->where, psctl_store_generation(c), len,
		psf_schema_version(buf));
	return 0;
}

static int export_json(struct psctl_ctx *c, const struct psf_tree *t,
		       const char *path)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&mem, &len);
	int rc;

	if (!o)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_NOMEM,
				   NULL);
	psctl_export_json(o, t, psctl_store_generation(c));
	fclose(o);
	rc = psctl_write_out(c, path, mem, len);
	free(mem);
	return rc;
}

/* ------------------------------------------------------------ dump/export */

int psctl_cmd_export(struct psctl_ctx *c, int argc, char **argv)
{
	const char *out = NULL;
	struct psf_tree *t;
	const uint8_t *buf;
	uint32_t len;
	char *text;
	size_t tlen;
	int i, rc, binary = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
			if (!(out = psctl_opt_value(c, argc, argv, &i)))
				return PSCTL_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--binary") &&
			   strcmp(argv[0], "dump")) {
			binary = 1;
		} else {
			return psctl_error(c, argv[0], NULL, argv[i],
					   PSCTL_EXIT_USAGE, "unknown argument "
					   "(%s [-o FILE]%s)", argv[0],
					   strcmp(argv[0], "dump")
					   ? " [--json|--binary]" : "");
		}
	}
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	buf = psctl_store_data(c, &len);
	if (binary)
		return psctl_write_out(c, out, buf, len);
	rc = psf_tree_unpack(buf, len, &t, NULL);
	if (rc)
		return psctl_error(c, argv[0], NULL, NULL, rc, NULL);
	if (c->json && strcmp(argv[0], "dump")) {
		rc = export_json(c, t, out);
		psf_tree_free(t);
		return rc;
	}
	rc = psf_text_dump_alloc(t, &text, &tlen);
	psf_tree_free(t);
	if (rc)
		return psctl_error(c, argv[0], NULL, NULL, rc, NULL);
	rc = psctl_write_out(c, out, text, tlen);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ import */

struct blob {
	const void *data;
	size_t len;
};

static int import_edit(struct psctl_ctx *c, void *buf, size_t cap, void *arg)
{
	const struct blob *b = arg;

	if (b->len > cap) {
		psctl_error(c, "import", NULL, NULL, PS_ERR_NOSPACE,
			    "the new store is %zu bytes; a slot holds %zu",
			    b->len, cap);
		return PS_ERR_NOSPACE;
	}
	memcpy(buf, b->data, b->len);
	memset((uint8_t *)buf + b->len, 0, cap - b->len);
	return 0;
}

/* Text, JSON (first non-space byte '{') or a binary store (told by its
 * magic) -> a checked store. */
int psctl_import_load(struct psctl_ctx *c, const char *path, void **out,
		      size_t *olen)
{
	struct psf_text_error te;
	struct psf_tree *t;
	uint32_t bad = 0;
	char *in = NULL, msg[600];
	size_t len = 0, i;
	int rc = psctl_read_file(c, path, &in, &len);

	if (rc)
		return rc;
	if (len >= PSF_MAGIC_LEN && !memcmp(in, PSF_MAGIC, PSF_MAGIC_LEN)) {
		rc = psf_check_full(in, len, &bad);
		if (rc || psf_total(in) != len) {
			free(in);
			return psctl_error(c, "import", NULL, path,
					   PSCTL_EXIT_INVALID,
					   "invalid store at offset %u: %s",
					   bad, ps_strerror(rc ? rc :
							 PSF_ERR_BADHEADER));
		}
		*out = in;
		*olen = len;
		return 0;
	}
	for (i = 0; i < len && strchr(" \t\r\n", in[i]); i++)
		;
	if (i < len && in[i] == '{') {
		rc = psctl_json_parse(in, len, &t, msg, sizeof msg);
		free(in);
		if (rc)
			return psctl_error(c, "import", NULL, path,
					   PSCTL_EXIT_INVALID, "%s", msg);
	} else {
		rc = psf_text_parse(in, len, &t, &te);
		free(in);
		if (rc)
			return psctl_error(c, "import", NULL, path,
					   PSCTL_EXIT_INVALID,
					   "line %zu, column %zu: %s", te.line,
					   te.column, te.msg);
	}
	rc = psf_tree_pack_alloc(t, out, olen);
	psf_tree_free(t);
	if (rc)
		return psctl_error(c, "import", NULL, path, PSCTL_EXIT_INVALID,
				   "does not make a valid store: %s",
				   ps_strerror(rc));
	return 0;
}

int psctl_cmd_import(struct psctl_ctx *c, int argc, char **argv)
{
	struct blob b;
	void *data;
	int rc, problems;

	if (argc != 2)
		return psctl_error(c, "import", NULL, NULL, PSCTL_EXIT_USAGE,
				   "needs exactly one FILE (text form, binary "
				   "store, or - for stdin)");
	rc = psctl_import_load(c, argv[1], &data, &b.len);
	if (rc)
		return rc;
	b.data = data;
	rc = psctl_need_store(c);
	if (!rc && psctl_check_config) {
		/* The whole gate (ps_cfg_check: every rule an edit applies),
		 * one line per problem: an input that breaks one is invalid
		 * (exit 3), whatever the rule. */
		problems = psctl_check_config(c, data, (uint32_t)b.len, c->err);
		if (problems)
			rc = psctl_error(c, "import", NULL, argv[1],
					 problems < 0 ? problems
					 : PSCTL_EXIT_INVALID,
					 "%d problem%s in the new store; "
					 "nothing written", problems,
					 problems == 1 ? "" : "s");
	}
	if (!rc)
		rc = psctl_edit(c, import_edit, &b);
	if (!rc)
		psctl_confirm(c, "store replaced from '%s', generation %llu",
			      argv[1], psctl_store_generation(c));
	free(data);
	return rc;
}

