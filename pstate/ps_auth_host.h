/*
 * ps_auth_host.h - the host's key file and counter file (ps_auth_host.c),
 * the struct ps_auth_provider of a host without a TPM.  Hosted only.
 */
#ifndef PS_AUTH_HOST_H
#define PS_AUTH_HOST_H

#include "ps_auth.h"

#ifdef __cplusplus
extern "C" {
#endif

#if PS_HOSTED
#define PS_AUTH_PATH_MAX 512
/* Default places, one file per store (named by its volume id);
 * $PSTATE_AUTH_KEY and $PSTATE_AUTH_COUNTER name the files instead. */
#define PS_AUTH_KEY_DIR "/etc/pstate/auth"
#define PS_AUTH_STATE_DIR "/var/lib/pstate/auth"

struct ps_auth_host {
	char key_path[PS_AUTH_PATH_MAX];
	char counter_path[PS_AUTH_PATH_MAX];
	char err[PS_AUTH_PATH_MAX + 200];  /* why the last call failed */
};

/* Fill p with h's callbacks for the store with this volume id.  Each
 * refuses a file that is a symlink, not a regular file, not owned by
 * root or not mode 0600 (PS_ERR_NOKEY, h->err says which and why). */
void ps_auth_host_init(struct ps_auth_host *h, struct ps_auth_provider *p,
		       const uint8_t volume_id[16]);

/* A new random key into key and into a new root-only file at path
 * (PS_ERR_EXISTS: never overwrites).  PS_OK, PS_ERR_EXISTS, PS_ERR_IO. */
int ps_auth_host_new_key(struct ps_auth_host *h, const char *path,
			 uint8_t *key);

/* Rename the key file from into h's key path (rotation's last step). */
int ps_auth_host_install_key(struct ps_auth_host *h, const char *from);
#endif

#ifdef __cplusplus
}
#endif

#endif /* PS_AUTH_HOST_H */
