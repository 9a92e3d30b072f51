/*
 * ps_auth_internal.h - what ps_auth_host.c and ps_auth_tpm.c share
 * (hosted, the library's own).
 */
#ifndef PS_AUTH_INTERNAL_H
#define PS_AUTH_INTERNAL_H

#include <stddef.h>

#include "ps_auth_host.h"

/* A root-only file read (at most n bytes; *got says how many) or
 * replaced durably (excl: never over an existing one): ps_auth_host.c. */
int ps__auth_read_private(struct ps_auth_host *h, const char *what,
			  const char *path, char *p, size_t n, size_t *got);
int ps__auth_write_private(struct ps_auth_host *h, const char *what,
			   const char *path, const void *p, size_t n,
			   int excl);

/* tpm2-tss loaded (dlopen, once): PS_OK or PS_ERR_IO (h->err). */
int ps__auth_tpm_load(struct ps_auth_host *h);
/* The TPM provider (ps_auth_tpm.c): p's callbacks, h's NV index. */
void ps__auth_tpm_init(struct ps_auth_host *h, struct ps_auth_provider *p,
		       const uint8_t volume_id[16]);
/* key sealed by the TPM into a new root-only file at path. */
int ps__auth_tpm_seal_key(struct ps_auth_host *h, const char *path,
			  const uint8_t *key);

#endif /* PS_AUTH_INTERNAL_H */
