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
 * $PSTATE_AUTH_KEY_DIR and $PSTATE_AUTH_STATE_DIR name other directories,
 * $PSTATE_AUTH_KEY and $PSTATE_AUTH_COUNTER the files themselves (one
 * store). */
#define PS_AUTH_KEY_DIR "/etc/pstate/auth"
#define PS_AUTH_STATE_DIR "/var/lib/pstate/auth"

/* The TPM's counters: NV index PS_AUTH_TPM_NV_BASE + 20 bits of the
 * store's volume id ($PSTATE_TPM_NV_INDEX names one instead). */
#define PS_AUTH_TPM_NV_BASE 0x01300000u

struct ps_auth_host {
	char key_path[PS_AUTH_PATH_MAX];
	char counter_path[PS_AUTH_PATH_MAX];   /* files only */
	char tcti[PS_AUTH_PATH_MAX];  /* the TPM's TCTI; "" without a TPM */
	uint32_t nv_index;            /* the TPM's counter */
	int nv_refused;               /* an index there, but not a usable
					 counter (get_counter said NOKEY) */
	char err[3 * PS_AUTH_PATH_MAX + 200];  /* why the last call failed */
};

/*
 * Fill p with the callbacks for the store with this volume id: the one
 * place that says where the key and the trusted counter live.
 *
 * With a TPM (docs/security.md "The host's TPM"): $PSTATE_TPM names its
 * TCTI ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321"; "none":
 * no TPM); unset, /dev/tpmrm0 when it exists.  The key file then holds
 * the key sealed by the TPM, and the counter is the TPM's NV counter.
 * Without one, the key file holds the raw key and the counter is a file.
 *
 * Files are refused when they are symlinks, not regular files, not owned
 * by root or not mode 0600 (PS_ERR_NOKEY, h->err says which and why).
 */
void ps_auth_host_init(struct ps_auth_host *h, struct ps_auth_provider *p,
		       const uint8_t volume_id[16]);

/* A new random key into key and into a new root-only file at path,
 * sealed by the TPM when there is one (PS_ERR_EXISTS: never
 * overwrites).  PS_OK, PS_ERR_EXISTS, PS_ERR_IO. */
int ps_auth_host_new_key(struct ps_auth_host *h, const char *path,
			 uint8_t *key);

/* The raw key (unsealed, also when the TPM keeps it) into a new root-only
 * file at path, for a trusted writer that has no TPM of this host: the
 * BMC's key provisioning (docs/security.md "The BMC").  Never overwrites
 * (PS_ERR_EXISTS), never through a symlink.  PS_OK, PS_ERR_EXISTS,
 * PS_ERR_IO (h->err says why). */
int ps_auth_host_export_key(struct ps_auth_host *h, const uint8_t *key,
			    const char *path);

/* Rename the key file from into h's key path (rotation's last step). */
int ps_auth_host_install_key(struct ps_auth_host *h, const char *from);

/* The TPM NV index that keeps this store's counter. */
uint32_t ps_auth_tpm_nv_index(const uint8_t volume_id[16]);

/* One trusted writer's view of the open store (ps_auth_sess.c). */
struct ps_auth_sess {
	struct ps_auth_host host;
	struct ps_auth_provider p;
	uint8_t key[PS_AUTH_KEY_LEN];
	int key_rc;              /* PS_OK: key holds the key */
	char key_err[sizeof(((struct ps_auth_host *)0)->err)];
	uint64_t trusted;
	int counter_rc;          /* PS_OK: trusted is known */
	struct ps_auth_result r; /* the verdict of the store as loaded */
	struct ps_auth seal;     /* armed on the store: must outlive commits */
	uint64_t next;           /* the counter of the armed seal */
	int raise;               /* raise the trusted counter after commit */
};

/* Key, trusted counter and verdict of st's current store.  PS_OK, or the
 * counter's error (host.err says why).  A missing key is no error
 * (key_rc, key_err). */
int ps_auth_sess_load(struct ps_auth_sess *s, struct ps_store *st);
/* The verdict again, against key (NULL: none). */
int ps_auth_sess_verify(struct ps_auth_sess *s, struct ps_store *st,
			const uint8_t *key);
/* The counter the next sealed commit carries, into s->next (docs/store.md
 * 8.4): may raise the trusted counter first.  PS_OK or its error. */
int ps_auth_sess_next(struct ps_auth_sess *s);
/* Arm st's next commits: sealed with key and the next counter, or
 * without a key (NULL) marked unverified at the slot's counter. */
int ps_auth_sess_arm(struct ps_auth_sess *s, struct ps_store *st,
		     const uint8_t *key, int force);
/* Disarm st (may be NULL) and, when the sealed commit was made, raise
 * the trusted counter to it.  PS_OK or the counter's error. */
int ps_auth_sess_done(struct ps_auth_sess *s, struct ps_store *st,
		      int committed);
#endif

#ifdef __cplusplus
}
#endif

#endif /* PS_AUTH_HOST_H */
