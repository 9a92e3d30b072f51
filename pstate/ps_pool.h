/*
 * ps_pool.h - address pools: the records of the pool namespace and their
 * rules (docs/pool.md "Address pools", docs/format.md).  Freestanding.
 *
 * A profile pool (a store, or etcd laid out as one) keeps its address and
 * spare pools as one-line text records under POOL_STATE at the root
 * (format/psf_schema.h):
 *
 *   POOL_RANGE   "NAME KIND FIRST LAST"   a range of identifiers
 *   POOL_RESV    "KIND ID HOLDER"         a Reserved identifier (HOLDER a
 *                                         profile name, or "-")
 *   POOL_SPARES  "NAME MEMBER..."         a spare pool's targets
 *
 * KIND is mac, wwn (each 8-byte half of a WWN item), uuid or serial (a
 * fixed text prefix then a fixed number of decimal digits, 1-18).  The
 * rules, stated here once and applied by every writer:
 *
 *   - a range parses: a valid name, a known kind, FIRST <= LAST, one
 *     serial prefix and width, a UUID range varying in its last 16 hex
 *     digits only (ps_pool_range_make);
 *   - ranges have distinct names and never overlap: no identifier lies in
 *     two ranges of a kind (ps_pool_range_clash);
 *   - an identifier of a range is Assigned when a profile holds it (the
 *     uniqueness rule's walker, ps_profile_each_id), Reserved when a
 *     POOL_RESV record holds it, else Unused.  A reservation names a known
 *     kind, an identifier in the form psctl prints it (the etcd pool keys
 *     it by that text), a holder that is "-" or a valid name; it lies in a
 *     range of its kind, and no identifier is reserved twice;
 *   - an identifier reserved for a profile is held by no other profile,
 *     nor by a VM but one carrying that profile (a reservation for "-"
 *     holds it for no one): the edit layer's identifier check refuses
 *     the taker (ps__resv_clash), the whole-store check reports it;
 *   - a spare pool has a valid name, distinct from the other spare
 *     pools', and at least one member;
 *   - one POOL_STATE at the root (a tool reads the first).
 *
 * psctl's pool commands (cli/psctl_pool_addr.c) make their decisions with
 * these functions; the whole-store check (ps_cfg_check and its variants,
 * ps_config.h) reports every broken record, so `psctl check`, `psctl
 * import` and the BMC shim's element writes (which refuse a write that
 * adds a problem) hold the same rules.
 *
 * All text is length-delimited (no terminator needed) unless it says
 * NUL-terminated; outputs are NUL-terminated and truncated to their size.
 */
#ifndef PS_POOL_H
#define PS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "ps_config.h"

enum ps_pool_kind {
	PS_POOL_MAC,
	PS_POOL_WWN,
	PS_POOL_UUID,
	PS_POOL_SERIAL,
	PS_POOL_KINDS
};

#define PS_POOL_NAME_MAX (PS_CFG_NAME_MAX + 1) /* a name, NUL included  */
#define PS_POOL_PREFIX_MAX 32     /* a serial range's prefix, NUL incl.  */
#define PS_POOL_DIGITS 18         /* a serial range's digits, at most    */
#define PS_POOL_ID_MAX 64         /* an identifier's text, NUL included  */
#define PS_POOL_REC_MAX 1024      /* a record's text, NUL included       */
#define PS_POOL_WHY_MAX 400       /* a reason sentence, NUL included     */

/* An identifier's value, 128 bits: a MAC or WWN in lo, a UUID in both, a
 * serial's number in lo. */
struct ps_pool_id {
	uint64_t hi, lo;
};

struct ps_pool_range {
	char name[PS_POOL_NAME_MAX];
	enum ps_pool_kind kind;
	struct ps_pool_id first, last;
	char prefix[PS_POOL_PREFIX_MAX];  /* PS_POOL_SERIAL              */
	int width;                        /* PS_POOL_SERIAL: its digits  */
};

/* A reservation record's words, NUL-terminated. */
struct ps_pool_resv {
	enum ps_pool_kind kind;
	char id[PS_POOL_ID_MAX];
	char holder[PS_POOL_NAME_MAX];    /* a profile name, or "-"      */
};

/* The kinds' words ("mac" ... "serial", the field names of
 * ps_profile_each_id), for help and completion. */
extern const struct ps_enum ps_pool_kinds[];
/* k's word, or "?". */
const char *ps_pool_kind_name(enum ps_pool_kind k);
/* The kind named s (n bytes), or -1. */
int ps_pool_kind_parse(const char *s, size_t n);

/*
 * One identifier of kind k: its value, and for a serial its prefix
 * (PS_POOL_PREFIX_MAX bytes; may be NULL) and width (may be NULL).
 * 0, or PS_ERR_BADVALUE with *why.
 */
int ps_pool_id_parse(enum ps_pool_kind k, const char *s, size_t n,
		     struct ps_pool_id *v, char *prefix, int *width,
		     const char **why);
/* v as r's kind prints it (psctl's form: lower-case hex; a serial with
 * r's prefix and width).  The untruncated length. */
size_t ps_pool_id_fmt(const struct ps_pool_range *r, struct ps_pool_id v,
		      char *out, size_t n);
/* < 0, 0, > 0 as a is below, equal to, above b. */
int ps_pool_id_cmp(struct ps_pool_id a, struct ps_pool_id b);

/*
 * A range from its words (each NUL-terminated): 0, or PS_ERR_BADVALUE
 * with why (wn bytes) saying which word and why ("first 'zz': ...",
 * "first '...' is after last '...'", "kind 'ip': not mac, wwn, uuid or
 * serial", ...).
 */
int ps_pool_range_make(struct ps_pool_range *r, const char *name,
		       const char *kind, const char *first, const char *last,
		       char *why, size_t wn);
/* Whether a and b share an identifier (ranges of one kind; serials in
 * either's numbering: SN1 + 5 digits lies in SN + 6 digits). */
int ps_pool_overlap(const struct ps_pool_range *a,
		    const struct ps_pool_range *b);
/* Whether text (n bytes, an identifier of kind k) lies in r, in r's own
 * numbering; *v its value. */
int ps_pool_contains(const struct ps_pool_range *r, int k, const char *text,
		     size_t n, struct ps_pool_id *v);
/* Identifiers in r (saturates at UINT64_MAX). */
uint64_t ps_pool_size(const struct ps_pool_range *r);
/* *v + 1: 1, or 0 past r's last (or the kind's largest value). */
int ps_pool_next(const struct ps_pool_range *r, struct ps_pool_id *v);

/* ---- records */

/* Word i (from 0) of text (n bytes, space-separated): 1 with *w, *wn, or
 * 0 when there are fewer words. */
int ps_pool_word(const char *text, size_t n, int i, const char **w,
		 size_t *wn);
/* A POOL_RANGE record's text -> r: 0, or PS_ERR_BADVALUE with why. */
int ps_pool_range_rec(const char *text, size_t n, struct ps_pool_range *r,
		      char *why, size_t wn);
/* r's record text.  The untruncated length. */
size_t ps_pool_range_text(const struct ps_pool_range *r, char *out,
			  size_t n);
/* A POOL_RESV record's text -> v: its three words, the kind known.  0, or
 * PS_ERR_BADVALUE with why.  The identifier's form and the holder are
 * ps_pool_resv_ok's. */
int ps_pool_resv_rec(const char *text, size_t n, struct ps_pool_resv *v,
		     char *why, size_t wn);
/* A reservation's record text for identifier id (NUL-terminated, as
 * ps_pool_id_fmt prints it) of kind k; holder NULL: "-". */
size_t ps_pool_resv_text(enum ps_pool_kind k, const char *id,
			 const char *holder, char *out, size_t n);

/* ---- a pool's store */

/* The POOL_STATE container of buf, or -1. */
int ps_pool_state(const void *buf);
/*
 * The first POOL_RANGE of buf, other than skip, whose name is r's (1) or
 * that overlaps r (2): *el its element, why (wn bytes) the sentence
 * ("mac A-B overlaps range 'macs' (C-D): ranges never overlap").  0 when
 * none.  Records that do not parse are not compared (the check reports
 * them).  With before set, only the records before skip are compared.
 */
int ps_pool_range_clash(const void *buf, const struct ps_pool_range *r,
			int skip, int before, int *el, char *why, size_t wn);

#endif /* PS_POOL_H */
