/*
 * ps_discover.h - discovery of the USB key that holds the store.
 *
 * Types freestanding; functions hosted (ps_discover.c: libusb, sysfs;
 * ps_locate.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_DISCOVER_H
#define PS_DISCOVER_H

#include "ps_part.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Discovery of the USB key (hosted: ps_discover.c, ps_locate.c)
 *
 * 1. Enumerate USB devices with libusb; keep those with a mass-storage
 *    interface (class 0x08).  Each one's port path (bus + libusb port
 *    numbers) names its sysfs directory /sys/bus/usb/devices/B-P.P.P,
 *    under which the SCSI layer hangs the block device(s):
 *    B-P:C.I/hostN/targetN:C:T/H:C:T:L/block/sdX  ->  /dev/sdX.
 * 2. Order the candidates: ports listed in the port-priority file first
 *    (in file order), then externally accessible ports (sysfs
 *    port/connect_type "hotplug"), then unknown, then internal
 *    ("hardwired"); ties by port path, numerically.
 * 3. Probe in that order: ps_part_find(), then the caller's check
 *    callback (the store layer decides what a valid store is).  The first
 *    valid one is chosen; every candidate carries the reason it was taken
 *    or skipped.
 *
 * Paths are the real /sys and /dev; under umockdev's preload the same
 * calls land in the test bed, so tests exercise this exact code.
 * See docs/discovery.md.
 */

#define PS_DISC_MAX	  32 /* candidates kept (block devices) */
#define PS_DISC_MAX_PORTS 7  /* USB allows 7 tiers below the root */
#define PS_PORTS_CONF	  "/etc/pstate/ports.conf"
#define PS_PORTS_CONF_ENV "PSTATE_PORTS_CONF"

/* Where the port is, from the kernel's port/connect_type; the enum order
 * is the priority order. */
enum ps_port_kind {
	PS_PORT_EXTERNAL = 0, /* "hotplug": a socket the operator can reach */
	PS_PORT_UNKNOWN = 1,  /* "unknown", "not used", missing attribute */
	PS_PORT_INTERNAL = 2, /* "hardwired": soldered/internal header */
};

enum ps_disc_status {
	PS_DISC_CHOSEN = 0, /* holds a valid store, highest priority */
	PS_DISC_VALID,	    /* valid too, but a higher-priority key won */
	PS_DISC_NOT_PROBED, /* after the chosen one; scan_all not set */
	PS_DISC_NO_BLOCK,   /* mass storage without a block device */
	PS_DISC_GONE,	    /* device node vanished / cannot be opened */
	PS_DISC_NO_TABLE,   /* no partition table */
	PS_DISC_NO_PART,    /* table without a pstate partition */
	PS_DISC_BAD_PART,   /* two pstate partitions, past the end, I/O */
	PS_DISC_INVALID,    /* check callback says the store is invalid */
};

struct ps_disc_cand {
	uint8_t bus;
	uint8_t ports[PS_DISC_MAX_PORTS];
	int nports;
	char port_path[32]; /* sysfs name, e.g. "1-2.3" */
	uint16_t vid, pid;
	enum ps_port_kind kind;
	int conf_rank; /* line order in ports.conf, -1 if absent */
	char dev[64];  /* "/dev/sdb", or "" */
	enum ps_disc_status status;
	int code; /* ps_part or check() code behind status */
	char reason[384];
	struct ps_part_info part; /* valid when the partition was found */
};

struct ps_disc_result {
	struct ps_disc_cand cand[PS_DISC_MAX];
	int n;	       /* candidates, in priority order */
	int chosen;    /* index into cand[], or -1 */
	int truncated; /* more than PS_DISC_MAX were seen */
};

/*
 * Store validation, owned by the store layer: 0 when the partition at
 * [offset, offset+length) of dev holds a valid store; otherwise a negative
 * code and a reason in reason[0..reason_len).
 */
typedef int (*ps_disc_check_fn)(void *ctx, const char *dev, uint64_t offset,
				uint64_t length, char *reason,
				size_t reason_len);

struct ps_disc_opts {
	/* NULL: any pstate partition counts as valid */
	ps_disc_check_fn check;
	void *check_ctx;
	/* NULL: $PSTATE_PORTS_CONF, then /etc/pstate/ports.conf */
	const char *ports_conf;
	/* probe every candidate, not only up to the first valid one */
	int scan_all;
};

#if PS_HOSTED
/*
 * ps_disc_enumerate - phase 1: enumerate and order; no device node is
 * opened.
 * @opts:         NULL: the defaults (struct ps_disc_opts)
 * @res:          cleared, then every candidate with status NOT_PROBED or
 *                NO_BLOCK, in priority order
 * @err, @errlen: a one-line message on failure (err may be NULL)
 * Returns 0, PS_DISC_EUSB (libusb failed), or PS_DISC_ECONF (the
 * port-priority file is unreadable or invalid).
 *
 * ps_disc_probe - phase 2: probe the enumerated candidates in order (up
 * to the first valid one, or all with opts->scan_all); each candidate's
 * status, code and reason say what was found.
 * Returns 0 with res->chosen >= 0, or PS_DISC_ENONE (no candidate holds a
 * valid store; err says how many were scanned).
 *
 * ps_disc_scan - both phases: their errors.
 */
int ps_disc_enumerate(const struct ps_disc_opts *opts,
		      struct ps_disc_result *res, char *err, size_t errlen);
int ps_disc_probe(const struct ps_disc_opts *opts, struct ps_disc_result *res,
		  char *err, size_t errlen);
int ps_disc_scan(const struct ps_disc_opts *opts, struct ps_disc_result *res,
		 char *err, size_t errlen);

const char *ps_disc_status_name(enum ps_disc_status s);
const char *ps_port_kind_name(enum ps_port_kind k);

/* One line per candidate, as `psctl scan` prints them, into buf (len
 * bytes, NUL-terminated).  Returns the length snprintf would have
 * written. */
int ps_disc_format(const struct ps_disc_cand *c, char *buf, size_t len);

/*
 * The discovery check: open [offset, offset + length) of dev read-only and
 * read the newest store as ps_store_open would.  0 with "valid store,
 * generation G" in reason, or the error with its description.
 */
int ps_check_partition(void *ctx, const char *dev, uint64_t offset,
		       uint64_t length, char *reason, size_t reason_len);

/*
 * Scan USB keys in priority order and take the first whose pstate
 * partition holds a valid store: ps_disc_scan with ps_check_partition, so
 * "valid" in a scan report means "would open".  res records every
 * candidate and why it was taken or skipped.  Returns the chosen index
 * into res->cand, or a negative error (PS_ERR_NOSTORE when no key holds a
 * store, PS_DISC_E*) with a message in err.  ports_conf NULL:
 * $PSTATE_PORTS_CONF, then /etc/pstate/ports.conf.
 */
int ps_locate(struct ps_disc_result *res, const char *ports_conf,
	      int scan_all, char *err, size_t errlen);
#endif /* PS_HOSTED */

#ifdef __cplusplus
}
#endif

#endif /* PS_DISCOVER_H */
