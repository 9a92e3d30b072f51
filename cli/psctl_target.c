/*
 * psctl_target.c - the targets of profile moves, as the operator writes
 * them and as the pool records them (the library's grammar:
 * ps_parse_target, ps_target_norm, ps_target_resolve).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_move.h"
#include "psctl_util.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ targets */



/* "image:PATH#VM": the store part and the VM name after the last '#'. */
static int split_vm(const char *s, char *store, size_t cap, char *vm)
{
	const char *h = strrchr(s, '#');
	size_t n = h ? (size_t)(h - s) : strlen(s);

	vm[0] = 0;
	if (n >= cap)
		return -1;
	memcpy(store, s, n);
	store[n] = 0;
	if (h) {
		if (ps_check_name(h + 1, strlen(h + 1), NULL))
			return -1;
		snprintf(vm, PS_CFG_NAME_MAX + 1, "%s", h + 1);
	}
	return 0;
}

/* t->text: the normal form of the physical target phys (the library's,
 * ps_target_norm), then "#VM" for a VM on it.  0, or the error reported. */
static int norm_text(struct psctl_ctx *c, const char *cmd, const char *phys,
		     struct mtarget *t)
{
	const char *why = NULL;
	size_t vl = strlen(t->vm);
	int k = ps_target_norm(phys, strlen(phys), t->text, sizeof t->text,
			       &why);

	if (k < 0)
		return psctl_error(c, cmd, "target", t->arg, PS_ERR_BADVALUE,
				   "%s", why);
	if (vl && (size_t)k + 1 + vl > PS_CFG_TEXT_MAX)
		return psctl_error(c, cmd, "target", t->arg, PS_ERR_BADVALUE,
				   "longer than %u characters",
				   PS_CFG_TEXT_MAX);
	if (vl) {
		t->text[k] = '#';
		memcpy(t->text + k + 1, t->vm, vl + 1);
	}
	return 0;
}

/* Parse TARGET into t; the error already reported when non-zero. */
int move_parse_target(struct psctl_ctx *c, const char *cmd, const char *s,
		      struct mtarget *t)
{
	char store[PATH_MAX + 16], err[512];
	const char *why = NULL;
	size_t off, len;
	uint8_t k;

	memset(t, 0, sizeof *t);
	t->arg = s;
	if (strlen(s) > PS_CFG_TEXT_MAX)
		return psctl_error(c, cmd, "target", s, PS_ERR_BADVALUE,
				   "longer than %u characters",
				   PS_CFG_TEXT_MAX);
	if (split_vm(s, store, sizeof store, t->vm))
		return psctl_error(c, cmd, "target", s, PS_ERR_BADVALUE,
				   "the part after '#' is not a VM name");
	t->kind = t->vm[0] ? PSF_TARGET_VM : PSF_TARGET_PHYSICAL;
	if (!strncasecmp(store, BMC_SHIM_TARGET_PREFIX, 6)) {
		t->w = W_BMC;
		if (ps_parse_target(store, strlen(store), &k, &off, &len, &why))
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "%s", why);
		if (psctl_bmc_parse(store, &t->bmc, err, sizeof err))
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "%s", err);
		t->bmc.user = c->bmc_user;
		t->bmc.password = c->bmc_password;
		return norm_text(c, cmd, store, t);
	}
	if (!strncmp(store, "image:", 6) || !strncmp(store, "dev:", 4)) {
		const char *p = store + (store[0] == 'i' ? 6 : 4);
		char full[PATH_MAX + 16];

		t->w = W_STORE;
		t->is_dev = store[0] == 'd';
		if (!*p)
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "empty path");
		/* One spelling per store, so failover finds it again. */
		if (psctl_abs_path(p, t->path, sizeof t->path))
			return psctl_error(c, cmd, "target", s,
					   PS_ERR_BADVALUE, "path too long");
		snprintf(full, sizeof full, "%s:%s",
			 t->is_dev ? "dev" : "image", t->path);
		return norm_text(c, cmd, full, t);
	}
	t->w = W_POOL;
	t->kind = PSF_TARGET_VM;
	if (ps_parse_target(s, strlen(s), &k, &off, &len, &why) ||
	    k != PSF_TARGET_VM)
		return psctl_error(c, cmd, "target", s, PS_ERR_BADVALUE,
				   "not VM, vm:VM, image:PATH[#VM], "
				   "dev:DEVICE[#VM] or bmc://HOST[:PORT][#VM]");
	snprintf(t->vm, sizeof t->vm, "%.*s", (int)len, s + off);
	snprintf(t->text, sizeof t->text, "%s", t->vm);
	return 0;
}

/* TARGET as the operator wrote it: a server's name resolved through the
 * pool's directory (the pool must be open), then parsed. */
int move_user_target(struct psctl_ctx *c, const char *cmd, const char *s,
		     struct mtarget *t)
{
	char full[PS_CFG_TEXT_MAX + 1];
	const char *why = NULL;
	uint32_t n;
	const void *pool = psctl_store_data(c, &n);
	int rc = ps_target_resolve(pool, s, strlen(s), full, sizeof full,
				   &why);

	if (rc < 0)
		return psctl_error(c, cmd, "target", s, rc, "%s", why);
	rc = move_parse_target(c, cmd, full, t);
	t->arg = s;
	return rc;
}

/* The server of the pool's directory a full target is on, or NULL. */
const char *move_server_name(const void *pool, const char *target,
			     char *name, size_t cap)
{
	int el = ps_server_by_target(pool, target, strlen(target));

	if (el < 0)
		return NULL;
	ps_obj_key(pool, el, PS_OBJ_SERVER, name, cap);
	return name;
}

/* Same store behind two targets (a move between two VMs of one host). */
int move_same_store(const struct mtarget *a, const struct mtarget *b)
{
	if (a->w != b->w)
		return 0;
	if (a->w == W_POOL)
		return 1;
	if (a->w == W_STORE)
		return !strcmp(a->path, b->path);
	return !strcmp(a->bmc.host, b->bmc.host) && a->bmc.port == b->bmc.port;
}

