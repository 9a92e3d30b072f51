/*
 * ps_target.h - target grammar and the pool's server directory.
 *
 * Freestanding: ps_target.c (ps_parse_target, ps_target_norm,
 * ps_server_by_target), ps_profile.c (ps_target_resolve).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_TARGET_H
#define PS_TARGET_H

#include "ps_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Targets: where a profile is assigned (docs/schema.md PROFILE,
 * docs/profiles.md).  A target is
 *   bmc://HOST[:PORT]   a physical server's BMC (HOST a host name, an
 *                       IPv4 address or [IPv6]; PORT 1-65535)
 *   image:PATH          a store in an image file, dev:DEVICE on a device
 *                       (server directory targets only, below)
 *   vm:NAME or NAME     a VM in this store
 */

/*
 * ps_parse_target - the kind of a profile's target text.
 * @s, @n:      the text (length-delimited, no terminator needed)
 * @kind:       set to PSF_TARGET_PHYSICAL (bmc://) or PSF_TARGET_VM
 * @name_off, @name_len: for a VM, the name's span s[*name_off .. +
 *              *name_len)
 * @why:        set to a fixed English reason on failure (may be NULL)
 * Returns 0, or PS_ERR_BADVALUE (bad syntax, host, port or VM name).
 */
int ps_parse_target(const char *s, size_t n, uint8_t *kind, size_t *name_off,
		    size_t *name_len, const char **why);

/*
 * The server directory (docs/schema.md SERVERS, docs/profiles.md "Named
 * servers"): a SERVER is a NAME for a physical target, so operators write
 * "A" or "host-B#vm1" where the full target would go.  Its TARGET is
 *   bmc://HOST[:PORT]   (PORT 623 when not given)
 *   image:PATH          PATH absolute (firmware has no working directory:
 *   dev:DEVICE          the front end makes a relative path absolute)
 * never with #VM.  Targets compare in normal form (ps_target_norm: scheme
 * and host in lower case, the port written out), which front ends store;
 * the library compares without building it (no buffer on a firmware
 * stack).  Two servers may not name the same target (PS_ERR_DUPLICATE,
 * e->holder "server 'b'").  A server where a profile is placed -- the
 * target a profile's TARGET or MOVE_SOURCE names, with or without #VM --
 * cannot be deleted nor given a target (PS_ERR_INUSE, e->holder "profile
 * 'p'"); renaming it is allowed, since profiles record the target, not
 * the name.
 *
 * ps_target_norm: the physical part of target text (s, n) -- the text
 * before the last '#' -- normalised as above into out (NUL-terminated,
 * at most cap - 1 bytes).  Returns its length, or PS_ERR_BADVALUE with
 * *why (not bmc://, image: or dev:; bad host or port; a relative path;
 * too long).
 *
 * ps_server_by_target: the server (offset) whose target is the physical
 * part of target text (s, n), or PSF_ERR_NOTFOUND (also for text that is
 * no physical target, e.g. a bare VM name).
 */
int ps_target_norm(const char *s, size_t n, char *out, size_t cap,
		   const char **why);
int ps_server_by_target(const void *buf, const char *s, size_t n);


/*
 * A target as an operator writes it, resolved against the pool's server
 * directory and VMs (docs/profiles.md, "Named servers"):
 *   vm:NAME, SCHEME:...[#VM]   (a ':' before any '#'): as written
 *   SERVER#VM                  the server's target, then "#VM"
 *   WORD                       the server WORD, or else the pool's VM WORD
 * Text no name could be (e.g. "a/b") is returned as written, for the
 * caller's target parser to refuse.  The full target goes to out
 * (NUL-terminated, less than cap bytes); returns its length, or:
 *   PSF_ERR_NOTFOUND  SERVER#VM: no such server; WORD: neither a server
 *                     nor a VM has that name (*why says which)
 *   PS_ERR_DUPLICATE  WORD names both a server and a VM of the pool
 *                     (*why: write vm:NAME or the server's full target)
 *   PS_ERR_BADVALUE   the server has no usable target, or the result is
 *                     longer than PS_CFG_TEXT_MAX
 */
int ps_target_resolve(const void *pool, const char *s, size_t n, char *out,
		      size_t cap, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* PS_TARGET_H */
