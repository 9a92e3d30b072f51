/*
 * ps_restart.h - a VM's restart policy and restart log.
 *
 * Freestanding (ps_restart.c).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_RESTART_H
#define PS_RESTART_H

#include "ps_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Restart policy (ps_restart.c, freestanding; docs/schema.md
 * RESTART_POLICY, docs/hvagent.md).  The fields are VM fields of the
 * tables above ("restart-policy", "restart-consistency-image",
 * "restart-boot-image", "restart-window", "restart-limit",
 * "restart-log"); these calls are what hvagent needs on top.
 *
 * ps_restart_get: the policy of the VM at vm (0), or PSF_ERR_NOTFOUND
 * when it has none.  Image names are spans into buf (len 0: not set);
 * window is the effective one (0 stored reads as 600).
 *
 * ps_restart_log_get: up to max entries, oldest first; returns how many
 * the log holds (may exceed max).
 *
 * ps_restart_decide: what to do about a crash at time now: the attempt
 * number is one more than the restarts (actions 1 and 2) logged within
 * the window before now; past the limit PSF_RESTART_STOPPED_LIMIT;
 * attempt 1 restarts from the consistency image (the boot image when it
 * has none), later attempts from the boot image; an image not named, not
 * in the store or without a path gives PSF_RESTART_STOPPED_NO_IMAGE.
 * PSF_ERR_NOTFOUND: no policy.
 *
 * ps_restart_log_append: one entry at the end of the log (created with
 * the policy when missing), the oldest dropped past PSF_RESTART_LOG_MAX.
 * Returns 0, or ps_obj_set_value's errors (PSF_ERR_NOSPACE: cap).
 */
struct ps_restart_policy {
	const char *consistency, *boot;
	uint32_t consistency_len, boot_len;
	uint32_t window;          /* seconds, effective                   */
	uint16_t limit;
	uint16_t flags;
};

struct ps_restart_entry {
	uint64_t time;
	uint8_t action;           /* PSF_RESTART_*                        */
	uint8_t attempt;
	uint8_t cause;            /* PSF_CRASH_*                          */
	uint32_t detail;          /* libvirt event detail                 */
};

struct ps_restart_decision {
	uint8_t action;           /* PSF_RESTART_*                        */
	uint8_t attempt;
	int image;                /* the IMAGE to restart from, or -1     */
	uint32_t in_window;       /* restarts logged within the window    */
};

int ps_restart_get(const void *buf, int vm, struct ps_restart_policy *p);
uint32_t ps_restart_log_get(const void *buf, int vm,
			    struct ps_restart_entry *out, uint32_t max);
int ps_restart_decide(const void *buf, int vm, uint64_t now,
		      struct ps_restart_decision *d);
int ps_restart_log_append(void *buf, size_t cap, int vm,
			  const struct ps_restart_entry *en,
			  struct ps_cfg_err *e);
/* Action and cause names for text ("consistency", "boot",
 * "stopped-limit", "stopped-failed", "stopped-no-image"; "crashed",
 * "failed", "stopped"); NULL for unknown values. */
const char *ps_restart_action_name(uint8_t action);
const char *ps_restart_cause_name(uint8_t cause);

#ifdef __cplusplus
}
#endif

#endif /* PS_RESTART_H */
