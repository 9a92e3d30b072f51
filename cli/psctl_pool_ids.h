/*
 * psctl_pool_ids.h - address pools (docs/pool.md "Address pools"): the
 * one place of their rules, whichever pool holds them.
 *
 * A range hands out identifiers of one kind: MACs, WWNs (each 8-byte
 * half), UUIDs, serial numbers (a fixed text prefix then a fixed number
 * of decimal digits).  Ranges of one kind never overlap.  An identifier
 * of a range is Assigned when a profile of the pool holds it, Reserved
 * when a POOL_RESV record holds it (allocate, reserve), else Unused.
 *
 * Pure: parsing, formatting, overlap, membership, records and the keys
 * the etcd pool keeps them under.  The file pool and the etcd pool both
 * run psctl_pool_addr.c's commands on a store holding these records, so
 * only the storage differs.
 */
#ifndef PSCTL_POOL_IDS_H
#define PSCTL_POOL_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "pstate.h"

enum idk { IDK_MAC, IDK_WWN, IDK_UUID, IDK_SERIAL, IDK_N };

#define IDP_TEXT_MAX 64           /* an identifier's text, NUL included */
#define IDP_NAME_MAX 64
#define IDP_PREFIX_MAX 32
#define IDP_SERIAL_DIGITS 18      /* decimal digits of a serial range   */

/* 128 bits: MACs and WWNs in lo, a UUID in both. */
struct idv {
	uint64_t hi, lo;
};

struct idrange {
	char name[IDP_NAME_MAX];
	enum idk kind;
	struct idv first, last;
	char prefix[IDP_PREFIX_MAX];  /* IDK_SERIAL                       */
	int width;                    /* IDK_SERIAL: digits after prefix  */
};

extern const struct ps_enum idp_kinds[];   /* their words, for help */
/* "mac" ... "serial" (the field names of ps_profile_each_id), or -1. */
const char *idp_kind_name(enum idk k);
int idp_kind_parse(const char *s);

/* An identifier of kind k; for a serial its prefix and width too.  0 or
 * -1 with *why. */
int idp_parse(enum idk k, const char *s, struct idv *v, char *prefix,
	      int *width, const char **why);
/* v as the range's kind prints it (psctl's form: lower-case hex). */
void idp_fmt(const struct idrange *r, struct idv v, char *out, size_t n);

/* A range from its words: 0, or -1 with why (a sentence) filled. */
int idp_range_make(struct idrange *r, const char *name, const char *kind,
		   const char *first, const char *last, char *why,
		   size_t wn);
/* Whether a and b share an identifier. */
int idp_overlap(const struct idrange *a, const struct idrange *b);
/* Whether text (an identifier of field kind) lies in r; *v its value. */
int idp_contains(const struct idrange *r, const char *kind,
		 const char *text, struct idv *v);
/* Identifiers in r (saturates at UINT64_MAX). */
uint64_t idp_size(const struct idrange *r);
/* v + 1; 0 past the range's last. */
int idp_next(const struct idrange *r, struct idv *v);
int idp_cmp(struct idv a, struct idv b);

/* ---- records (payload text of POOL_RANGE, POOL_RESV, POOL_SPARES) */

/* "NAME KIND FIRST LAST" -> r (0, or -1: not a range record). */
int idp_range_rec(const char *text, size_t n, struct idrange *r);
void idp_range_text(const struct idrange *r, char *out, size_t n);
/* "KIND ID HOLDER" -> its words (0, or -1). */
int idp_resv_rec(const char *text, size_t n, char *kind, char *id,
		 char *holder);

/* The etcd key (below /pstate/) of a record of signature sig:
 * range/NAME, resv/KIND/ID, spares/NAME.  0, or -1 for a bad record. */
int idp_rec_key(uint32_t sig, const char *text, size_t n, char *out,
		size_t on);
/* The signature of a record key (below /pstate/), or 0. */
uint32_t idp_key_sig(const char *key);

#endif /* PSCTL_POOL_IDS_H */
