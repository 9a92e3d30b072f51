/*
 * ps_check_internal.h - shared by the whole-store check (ps_check.c) and
 * its pairing strategy with a workspace (ps_check_ws.c); never installed.
 * Freestanding.
 *
 * Each rule that pairs elements (a name twice in a set, an identifier on
 * two holders, a concentrator port mapped twice, an image's users, a
 * reference's target, a server's target, overlapping reservations) is
 * written once, in ps_check.c, over a source: a walk that yields keys in
 * store order.  How keys equal to a given one are found is the strategy:
 * walking the source again (ps_cfg_check: no memory, quadratic, for the
 * BMC's 64 KiB store) or a sorted table in caller-given memory
 * (ps_cfg_check_ws: n log n, for hosts).  Both give the same keys in the
 * same order, so both report the same lines in the same order.
 */
#ifndef PS_CHECK_INTERNAL_H
#define PS_CHECK_INTERNAL_H

#include "ps_cfg_internal.h"

/* One key and where it lives.  Keys compare by num, num2, then the bytes
 * p[0..n) (ASCII case folded when ci); seq is the walk order.  x is
 * carried, not compared (a reservation's end); xmax is the strategy's. */
struct ps__ck {
	uint64_t num, num2, x, xmax;
	const uint8_t *p;
	uint32_t n;
	uint32_t seq;
	int el, vm;        /* the element, its VM or owner (or -1) */
	int aux;           /* the owner's kind, for identifiers */
	uint8_t ci;
	uint8_t none;      /* no key (an object without a name): never paired */
};

struct chk;
struct chk_src;

/* Called for each key; a non-zero return stops the walk, returned. */
typedef int (*chk_fn)(struct chk *k, const struct ps__ck *c, void *arg);

/* A walk: emits (ps__chk_emit) the keys of the source in store order. */
struct chk_emit {
	chk_fn fn;
	void *arg;
	uint32_t seq;
};
typedef int (*chk_walk)(struct chk *k, const struct chk_src *s,
			struct chk_emit *e);

/* A source: its walk and what it walks (a parent, a kind). */
struct chk_src {
	chk_walk walk;
	int parent;
	int kind;
};

/* The strategy of ps_cfg_check_ws (ps_check_ws.c); NULL: walk again.
 * Each answers what ps_cfg_check asks the library (ps_obj_find,
 * ps__image_user, ps_server_by_target, ps__resv_overlap) or walks. */
struct chk_ops {
	/* fn for each key of s equal to want, in walk order. */
	int (*each_equal)(struct chk *k, const struct chk_src *s,
			  const struct ps__ck *want, chk_fn fn, void *arg);
	/* The first top-level object of kind to named (p, n), or -1. */
	int (*find)(struct chk *k, enum ps_obj to, const char *p, uint32_t n);
	/* The first controller with image reference (p, n) (*a, its VM *va)
	 * and the first in another VM (returned, its VM *vb), or -1. */
	int (*users)(struct chk *k, const char *p, uint32_t n, int *a,
		     int *va, int *vb);
	/* The first server whose target equals target (p, n), or -1. */
	int (*server)(struct chk *k, const char *p, uint32_t n);
	/* The reservation el overlaps no other: 1; 0 when unsure. */
	int (*resv_alone)(struct chk *k, int el);
	/* Done with a rule: its tables may go (the top-level names stay). */
	void (*drop)(struct chk *k);
};

struct chk {
	const void *buf;
	ps_cfg_report_fn fn;
	void *ctx;
	int n;
	const struct chk_ops *ops;
	void *ws;          /* the strategy's state */
	uint64_t keys;     /* keys emitted by walks: the work, for tests */
	char m[320];       /* the problem line being built */
};

/* Each pair (a, b) of equal keys of source s, a before b, to report: in
 * a's walk order, then b's (the order of the nested loops this replaces);
 * each, when not NULL, first gets every key (b NULL).  Equal keys come
 * from k's strategy. */
typedef void (*chk_pair_fn)(struct chk *k, const struct chk_src *s,
			    const struct ps__ck *a, const struct ps__ck *b);
void ps__chk_pairs(struct chk *k, const struct chk_src *s,
		   chk_pair_fn each, chk_pair_fn report);
/* The address and spare pools' records (ps_check_pool.c: the rules of
 * ps_pool.h, ps_pool_rules.c), reported through k; the source of their
 * reservations (kind, identifier text; one that does not parse has
 * none). */
void ps__chk_pool(struct chk *k);
int ps__chk_w_pool_resv(struct chk *k, const struct chk_src *s,
			struct chk_emit *e);

/* ---- ps_pool_rules.c's rules as the check applies them (records parsed
 * where they lie: words are pointers into the store) */

/* A record's words, each (pointer, length). */
struct ps__words4 {
	const char *w[4];
	size_t n[4];
};
/* A range record's text parsed into r (ps_pool_range_rec), the reason
 * appended to why. */
int ps__pool_range_rec(const char *text, size_t n, struct ps_pool_range *r,
		       struct sb *why);
/* A reservation record's words and kind (ps_pool_resv_rec's rule). */
int ps__pool_resv_parse(const char *text, size_t n, struct ps__words4 *a,
			int *k, struct sb *why);
/* ps_pool_range_clash with the sentence appended to why. */
int ps__pool_clash(const void *buf, const struct ps_pool_range *r, int skip,
		   int before, int *at, struct sb *why);
/* The reservation of (kind, v, n) for a profile owner (kind ok) neither
 * is nor carries: 1 with its words in *a. */
int ps__pool_resv_for(const void *buf, enum ident kind, const uint8_t *v,
		      uint32_t n, int owner, enum ps_obj ok,
		      struct ps__words4 *a);
/* "pool reservation 'KIND ID' (for profile 'HOLDER')" */
void ps__pool_sb_resv_for(struct sb *s, const struct ps__words4 *a);

/* ps_cfg_check_ws on a k set up by the caller (buf, fn, ctx; keys 0). */
int ps__chk_ws(struct chk *k, uint32_t len, void *ws, size_t ws_len);
/* Sets seq and passes c on. */
int ps__chk_emit(struct chk *k, struct chk_emit *e, struct ps__ck *c);
/* Key order (seq not included): < 0, 0, > 0. */
int ps__ck_cmp(const struct ps__ck *a, const struct ps__ck *b);
/* Every rule, reported through k: the number of problems, or a negative
 * PSF_ERR_* code for a store that is not a valid tree. */
int ps__chk_run(struct chk *k, uint32_t len);
/* Sources (ps_check.c): objects of kind s->kind under s->parent by name
 * (serial ports by port number; one without a name has none set); every
 * identifier (num: enum ident, el: the NIC or -1, vm: the owner, aux: its
 * kind); under every VM of s->parent, controllers by image reference and
 * serial ports by concentrator port (s->kind). */
int ps__chk_w_names(struct chk *k, const struct chk_src *s,
		    struct chk_emit *e);
int ps__chk_w_ids(struct chk *k, const struct chk_src *s,
		  struct chk_emit *e);
int ps__chk_w_vm_sub(struct chk *k, const struct chk_src *s,
		     struct chk_emit *e);

#endif /* PS_CHECK_INTERNAL_H */
