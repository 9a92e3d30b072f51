/*
 * ps_auth_tpm.c - the host's key and trusted counter in a TPM 2.0
 * (docs/security.md "The host's TPM"), through tpm2-tss (ESYS, the TCTI
 * loader).  ps_auth_host_init picks this provider when a TPM is
 * configured ($PSTATE_TPM) or present (/dev/tpmrm0).
 *
 * The key: 32 random bytes sealed in a keyed-hash object (fixedTPM,
 * fixedParent) under the owner hierarchy's primary storage key (the
 * standard ECC P-256 SRK template, re-created on each use: it is a
 * function of the owner seed).  The object's public and private parts go
 * to the key file (a blob only this TPM can load), so rotation keeps the
 * file mechanics of ps_auth_host.c (KEY.new, then a rename).
 *
 * The counter: an NV index of type counter (increment-only; undefined
 * and defined again it starts at the highest value any counter of this
 * TPM ever held), one per store, at a handle derived from the volume id.
 * An index there of any other type is refused: it could be written.
 *
 * tpm2-tss is loaded with dlopen when a TPM is first used: psctl starts
 * on every command (docs/performance.md), and libtss2-esys brings
 * libcrypto; a host without a TPM never loads either.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "ps_dl.h"
#include "ps_internal.h"
#include "ps_auth_internal.h"

/* The tpm2-tss functions used here: library, name. */
#define SO_ESYS "libtss2-esys.so.0"
#define SO_TCTILDR "libtss2-tctildr.so.0"
#define SO_MU "libtss2-mu.so.0"
#define SO_RC "libtss2-rc.so.0"
#define TSS_FUNCS(X) \
	X(SO_ESYS, Esys_Initialize) X(SO_ESYS, Esys_Finalize) \
	X(SO_ESYS, Esys_TR_SetAuth) X(SO_ESYS, Esys_CreatePrimary) \
	X(SO_ESYS, Esys_Create) X(SO_ESYS, Esys_Load) X(SO_ESYS, Esys_Unseal) \
	X(SO_ESYS, Esys_FlushContext) X(SO_ESYS, Esys_Free) \
	X(SO_ESYS, Esys_TR_FromTPMPublic) X(SO_ESYS, Esys_NV_ReadPublic) \
	X(SO_ESYS, Esys_NV_Read) X(SO_ESYS, Esys_NV_DefineSpace) \
	X(SO_ESYS, Esys_NV_Increment) \
	X(SO_TCTILDR, Tss2_TctiLdr_Initialize) \
	X(SO_TCTILDR, Tss2_TctiLdr_Finalize) \
	X(SO_MU, Tss2_MU_TPM2B_PUBLIC_Marshal) \
	X(SO_MU, Tss2_MU_TPM2B_PUBLIC_Unmarshal) \
	X(SO_MU, Tss2_MU_TPM2B_PRIVATE_Marshal) \
	X(SO_MU, Tss2_MU_TPM2B_PRIVATE_Unmarshal) X(SO_RC, Tss2_RC_Decode)

#define TSS_PTR(lib, f) __typeof__(&f) f;
static struct {
	TSS_FUNCS(TSS_PTR)
} T;
#define TSS_ROW(lib, f) PS_DL_SYM(lib, T, f),
static const struct ps_dl_sym tss_rows[] = { TSS_FUNCS(TSS_ROW) };
static struct ps_dl_table tss = PS_DL_TABLE(tss_rows);

/* Load tpm2-tss once.  PS_OK or PS_ERR_IO (h->err: what is missing). */
int ps__auth_tpm_load(struct ps_auth_host *h)
{
	char why[256];

	/* tpm2-tss logs its errors to stderr; ours say them once, with
	 * what failed ($TSS2_LOG set by the caller wins). */
	setenv("TSS2_LOG", "all+NONE", 0);
	if (!ps_dl_load(&tss, why, sizeof why))
		return PS_OK;
	snprintf(h->err, sizeof h->err, "TPM (%s): tpm2-tss not usable "
		 "(Debian: libtss2-esys-3.0.2-0, libtss2-tctildr0): %s",
		 h->tcti, why);
	return PS_ERR_IO;
}

/* From here on the names call through the table. */
#define Esys_Initialize T.Esys_Initialize
#define Esys_Finalize T.Esys_Finalize
#define Esys_TR_SetAuth T.Esys_TR_SetAuth
#define Esys_CreatePrimary T.Esys_CreatePrimary
#define Esys_Create T.Esys_Create
#define Esys_Load T.Esys_Load
#define Esys_Unseal T.Esys_Unseal
#define Esys_FlushContext T.Esys_FlushContext
#define Esys_Free T.Esys_Free
#define Esys_TR_FromTPMPublic T.Esys_TR_FromTPMPublic
#define Esys_NV_ReadPublic T.Esys_NV_ReadPublic
#define Esys_NV_Read T.Esys_NV_Read
#define Esys_NV_DefineSpace T.Esys_NV_DefineSpace
#define Esys_NV_Increment T.Esys_NV_Increment
#define Tss2_TctiLdr_Initialize T.Tss2_TctiLdr_Initialize
#define Tss2_TctiLdr_Finalize T.Tss2_TctiLdr_Finalize
#define Tss2_MU_TPM2B_PUBLIC_Marshal T.Tss2_MU_TPM2B_PUBLIC_Marshal
#define Tss2_MU_TPM2B_PUBLIC_Unmarshal T.Tss2_MU_TPM2B_PUBLIC_Unmarshal
#define Tss2_MU_TPM2B_PRIVATE_Marshal T.Tss2_MU_TPM2B_PRIVATE_Marshal
#define Tss2_MU_TPM2B_PRIVATE_Unmarshal T.Tss2_MU_TPM2B_PRIVATE_Unmarshal
#define Tss2_RC_Decode T.Tss2_RC_Decode

/* What the key file holds in TPM mode (then a TPM2B_PUBLIC and a
 * TPM2B_PRIVATE, marshalled). */
static const char blob_magic[8] = "PSTPMKY1";

#define NV_ATTRS (TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | \
		  TPMA_NV_AUTHREAD | TPMA_NV_NO_DA | \
		  ((TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) & TPMA_NV_TPM2_NT_MASK))
/* set_counter raises by increments: never more than this many at once
 * (a request further ahead is a bug or an attack, and wears NV). */
#define NV_MAX_STEPS 64u

uint32_t ps_auth_tpm_nv_index(const uint8_t vol[16])
{
	const char *e = getenv("PSTATE_TPM_NV_INDEX");

	if (e && *e)
		return (uint32_t)strtoul(e, NULL, 0);
	/* The owner range's 0x01300000-0x013fffff, 20 bits of the id. */
	return PS_AUTH_TPM_NV_BASE |
	       ((uint32_t)vol[0] << 12 | (uint32_t)vol[1] << 4 | vol[2] >> 4);
}

static int tpm_fail(struct ps_auth_host *h, const char *what, TSS2_RC rc,
		int err)
{
	snprintf(h->err, sizeof h->err, "TPM (%s): %s: %s", h->tcti, what,
		 Tss2_RC_Decode(rc));
	return err;
}

/* Connect to the TPM h->tcti names ("device:/dev/tpmrm0",
 * "swtpm:host=127.0.0.1,port=2321", ...). */
static int tpm_open(struct ps_auth_host *h, ESYS_CONTEXT **ctx,
		    TSS2_TCTI_CONTEXT **tcti)
{
	const char *auth = getenv("PSTATE_TPM_OWNER_AUTH");
	TSS2_RC rc;

	if (ps__auth_tpm_load(h))
		return PS_ERR_IO;
	rc = Tss2_TctiLdr_Initialize(h->tcti, tcti);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(h, "connecting", rc, PS_ERR_IO);
	rc = Esys_Initialize(ctx, *tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(tcti);
		return tpm_fail(h, "connecting", rc, PS_ERR_IO);
	}
	if (auth && *auth) {
		TPM2B_AUTH a = { 0 };

		a.size = (UINT16)strnlen(auth, sizeof a.buffer);
		memcpy(a.buffer, auth, a.size);
		Esys_TR_SetAuth(*ctx, ESYS_TR_RH_OWNER, &a);
	}
	return PS_OK;
}

static void tpm_close(ESYS_CONTEXT **ctx, TSS2_TCTI_CONTEXT **tcti)
{
	Esys_Finalize(ctx);
	Tss2_TctiLdr_Finalize(tcti);
}

/* The owner's primary storage key (ECC P-256, AES-128-CFB: the TCG's
 * SRK template), transient. */
static TSS2_RC primary(ESYS_CONTEXT *ctx, ESYS_TR *out)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };

	pub.publicArea.type = TPM2_ALG_ECC;
	pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	pub.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED |
		TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
	pub.publicArea.parameters.eccDetail.symmetric.algorithm =
		TPM2_ALG_AES;
	pub.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	pub.publicArea.parameters.eccDetail.symmetric.mode.aes =
		TPM2_ALG_CFB;
	pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	pub.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	return Esys_CreatePrimary(ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				  ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub,
				  &outside, &pcrs, out, NULL, NULL, NULL,
				  NULL);
}

/* key sealed under the primary: the blob into out (*n bytes). */
static int seal(struct ps_auth_host *h, const uint8_t *key, uint8_t *out,
		size_t cap, size_t *n)
{
	ESYS_CONTEXT *ctx;
	TSS2_TCTI_CONTEXT *tcti;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC pub = { 0 }, *opub = NULL;
	TPM2B_PRIVATE *opriv = NULL;
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	ESYS_TR prim = ESYS_TR_NONE;
	size_t off = sizeof blob_magic;
	TSS2_RC rc;
	int err = tpm_open(h, &ctx, &tcti);

	if (err)
		return err;
	sens.sensitive.data.size = PS_AUTH_KEY_LEN;
	memcpy(sens.sensitive.data.buffer, key, PS_AUTH_KEY_LEN);
	pub.publicArea.type = TPM2_ALG_KEYEDHASH;
	pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH |
		TPMA_OBJECT_NODA;
	pub.publicArea.parameters.keyedHashDetail.scheme.scheme =
		TPM2_ALG_NULL;
	rc = primary(ctx, &prim);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Create(ctx, prim, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				 ESYS_TR_NONE, &sens, &pub, &outside, &pcrs,
				 &opriv, &opub, NULL, NULL, NULL);
	memset(&sens, 0, sizeof sens);
	memcpy(out, blob_magic, sizeof blob_magic);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PUBLIC_Marshal(opub, out, cap, &off);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PRIVATE_Marshal(opriv, out, cap, &off);
	*n = off;
	err = rc == TSS2_RC_SUCCESS ? PS_OK
				    : tpm_fail(h, "sealing the key", rc, PS_ERR_IO);
	if (prim != ESYS_TR_NONE)
		Esys_FlushContext(ctx, prim);
	Esys_Free(opub);
	Esys_Free(opriv);
	tpm_close(&ctx, &tcti);
	return err;
}

/* The key file's blob loaded and unsealed into key. */
static int unseal(struct ps_auth_host *h, const uint8_t *blob, size_t n,
		  uint8_t *key)
{
	ESYS_CONTEXT *ctx;
	TSS2_TCTI_CONTEXT *tcti;
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	TPM2B_SENSITIVE_DATA *data = NULL;
	ESYS_TR prim = ESYS_TR_NONE, obj = ESYS_TR_NONE;
	size_t off = sizeof blob_magic;
	TSS2_RC rc;
	int err;

	if (ps__auth_tpm_load(h))
		return PS_ERR_IO;
	if (n < sizeof blob_magic || memcmp(blob, blob_magic,
					    sizeof blob_magic) ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, n, &off, &pub) ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, n, &off, &priv) ||
	    off != n) {
		snprintf(h->err, sizeof h->err, "key file %s: not a key "
			 "sealed by a TPM (%zu bytes; a raw key file is "
			 "read with PSTATE_TPM=none): refused", h->key_path,
			 n);
		return PS_ERR_NOKEY;
	}
	err = tpm_open(h, &ctx, &tcti);
	if (err)
		return err;
	rc = primary(ctx, &prim);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Load(ctx, prim, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, &priv, &pub, &obj);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Unseal(ctx, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				 ESYS_TR_NONE, &data);
	if (rc != TSS2_RC_SUCCESS)
		err = tpm_fail(h, "unsealing the key (sealed by another TPM?)", rc,
			   PS_ERR_NOKEY);
	else if (data->size != PS_AUTH_KEY_LEN) {
		snprintf(h->err, sizeof h->err, "key file %s: the TPM "
			 "unsealed %u bytes, expected %u: refused",
			 h->key_path, data->size, PS_AUTH_KEY_LEN);
		err = PS_ERR_NOKEY;
	} else {
		memcpy(key, data->buffer, PS_AUTH_KEY_LEN);
	}
	if (data)
		memset(data, 0, sizeof *data);
	Esys_Free(data);
	if (obj != ESYS_TR_NONE)
		Esys_FlushContext(ctx, obj);
	if (prim != ESYS_TR_NONE)
		Esys_FlushContext(ctx, prim);
	tpm_close(&ctx, &tcti);
	return err;
}

static int tpm_key(void *vh, uint8_t *key)
{
	struct ps_auth_host *h = vh;
	uint8_t blob[1024];
	size_t got = 0;
	int rc = ps__auth_read_private(h, "key file", h->key_path,
				       (char *)blob, sizeof blob, &got);

	return rc ? rc : unseal(h, blob, got, key);
}

int ps__auth_tpm_seal_key(struct ps_auth_host *h, const char *path,
			  const uint8_t *key)
{
	uint8_t blob[1024];
	size_t n = 0;
	int rc = seal(h, key, blob, sizeof blob, &n);

	return rc ? rc : ps__auth_write_private(h, "key file", path, blob, n,
						1);
}

/* The counter index: its handle (ESYS_TR_NONE and PS_ERR_NOKEY when
 * there is none), refused unless it is a counter with our attributes. */
static int nv_open(struct ps_auth_host *h, ESYS_CONTEXT *ctx, ESYS_TR *nv,
		   int *written)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TPMA_NV a;
	TSS2_RC rc = Esys_TR_FromTPMPublic(ctx, h->nv_index, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, nv);

	if (rc != TSS2_RC_SUCCESS) {
		*nv = ESYS_TR_NONE;
		snprintf(h->err, sizeof h->err, "TPM (%s): no NV counter at "
			 "0x%08x", h->tcti, h->nv_index);
		return PS_ERR_NOKEY;
	}
	rc = Esys_NV_ReadPublic(ctx, *nv, ESYS_TR_NONE, ESYS_TR_NONE,
				ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(h, "reading the NV index", rc, PS_ERR_IO);
	a = pub->nvPublic.attributes;
	Esys_Free(pub);
	if ((a & ~TPMA_NV_WRITTEN) != NV_ATTRS) {
		snprintf(h->err, sizeof h->err, "TPM (%s): NV index 0x%08x "
			 "has attributes 0x%08x, not pstate's counter "
			 "(0x%08x): refused", h->tcti, h->nv_index,
			 (unsigned)a, (unsigned)NV_ATTRS);
		h->nv_refused = 1;
		return PS_ERR_NOKEY;
	}
	*written = !!(a & TPMA_NV_WRITTEN);
	return PS_OK;
}

static int nv_read(struct ps_auth_host *h, ESYS_CONTEXT *ctx, ESYS_TR nv,
		   uint64_t *v)
{
	TPM2B_MAX_NV_BUFFER *d = NULL;
	TSS2_RC rc = Esys_NV_Read(ctx, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				  ESYS_TR_NONE, 8, 0, &d);
	int i;

	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(h, "reading the NV counter", rc, PS_ERR_IO);
	for (*v = 0, i = 0; i < 8 && i < d->size; i++)
		*v = *v << 8 | d->buffer[i];
	Esys_Free(d);
	return PS_OK;
}

static int tpm_get_counter(void *vh, uint64_t *v)
{
	struct ps_auth_host *h = vh;
	ESYS_CONTEXT *ctx;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_TR nv;
	int written = 0, rc = tpm_open(h, &ctx, &tcti);

	if (rc)
		return rc;
	rc = nv_open(h, ctx, &nv, &written);
	if (rc == PS_OK && !written) {
		snprintf(h->err, sizeof h->err, "TPM (%s): NV counter 0x%08x "
			 "never incremented: refused (after an `auth init` cut "
			 "short: tpm2_nvincrement 0x%08x -C o)", h->tcti,
			 h->nv_index, h->nv_index);
		h->nv_refused = 1;
		rc = PS_ERR_NOKEY;
	}
	if (rc == PS_OK)
		rc = nv_read(h, ctx, nv, v);
	tpm_close(&ctx, &tcti);
	return rc;
}

static TSS2_RC nv_define(ESYS_CONTEXT *ctx, uint32_t index, ESYS_TR *nv)
{
	TPM2B_AUTH auth = { 0 };
	TPM2B_NV_PUBLIC pub = { 0 };

	pub.nvPublic.nvIndex = index;
	pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
	pub.nvPublic.attributes = NV_ATTRS;
	pub.nvPublic.dataSize = 8;
	return Esys_NV_DefineSpace(ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				   ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub,
				   nv);
}

/* Raise the counter to at least v, one increment at a time: a counter
 * can do nothing else.  A new index is defined first; its first
 * increment sets it to the TPM's highest count, which may pass v. */
static int tpm_set_counter(void *vh, uint64_t v)
{
	struct ps_auth_host *h = vh;
	ESYS_CONTEXT *ctx;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_TR nv;
	uint64_t cur = 0;
	unsigned steps = 0;
	TSS2_RC trc;
	int written = 0, rc = tpm_open(h, &ctx, &tcti);

	if (rc)
		return rc;
	rc = nv_open(h, ctx, &nv, &written);
	if (rc == PS_ERR_NOKEY && nv == ESYS_TR_NONE) {
		trc = nv_define(ctx, h->nv_index, &nv);
		rc = trc == TSS2_RC_SUCCESS ? PS_OK
		     : tpm_fail(h, "defining the NV counter", trc, PS_ERR_IO);
	}
	if (rc == PS_OK && written)
		rc = nv_read(h, ctx, nv, &cur);
	if (rc == PS_OK && written && v < cur) {
		snprintf(h->err, sizeof h->err, "TPM (%s): NV counter 0x%08x "
			 "at %llu would go back to %llu: refused", h->tcti,
			 h->nv_index, (unsigned long long)cur,
			 (unsigned long long)v);
		rc = PS_ERR_AUTH;
	}
	if (rc == PS_OK && written && v - cur > NV_MAX_STEPS) {
		snprintf(h->err, sizeof h->err, "TPM (%s): NV counter 0x%08x "
			 "at %llu: %llu is too far ahead: refused", h->tcti,
			 h->nv_index, (unsigned long long)cur,
			 (unsigned long long)v);
		rc = PS_ERR_AUTH;
	}
	while (rc == PS_OK && (!written || cur < v) && steps++ <= NV_MAX_STEPS) {
		trc = Esys_NV_Increment(ctx, ESYS_TR_RH_OWNER, nv,
					ESYS_TR_PASSWORD, ESYS_TR_NONE,
					ESYS_TR_NONE);
		if (trc != TSS2_RC_SUCCESS)
			rc = tpm_fail(h, "incrementing the NV counter", trc,
				  PS_ERR_IO);
		else
			rc = nv_read(h, ctx, nv, &cur);
		written = 1;
	}
	tpm_close(&ctx, &tcti);
	return rc;
}

void ps__auth_tpm_init(struct ps_auth_host *h, struct ps_auth_provider *p,
		       const uint8_t volume_id[16])
{
	h->nv_index = ps_auth_tpm_nv_index(volume_id);
	p->get_key = tpm_key;
	p->get_counter = tpm_get_counter;
	p->set_counter = tpm_set_counter;
}
