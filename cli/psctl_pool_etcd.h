/*
 * psctl_pool_etcd.h - a small etcd v3 client over etcd's JSON gateway
 * (POST /v3/kv/range, /v3/kv/txn, /v3/lease/grant|keepalive|revoke), with
 * libcurl and json-c (docs/pool.md).  Keys and values travel base64 as the
 * gateway requires; 64-bit numbers travel as JSON strings.  Endpoints
 * `etcd://HOST:PORT[,HOST:PORT...]`: a request that cannot reach one
 * endpoint goes to the next.  Every error text names the endpoint and key.
 *
 * The request building and response parsing are pure functions (no I/O)
 * so unit tests and the fuzz target reach them without a server.
 */
#ifndef PSCTL_POOL_ETCD_H
#define PSCTL_POOL_ETCD_H

#include <stddef.h>
#include <stdint.h>

#define PE_MAX_EPS 8
#define PE_ERR_MAX 600

enum pe_rc {
	PE_OK = 0,
	PE_ERR_UNREACHABLE = -1,  /* no endpoint answered                */
	PE_ERR_SERVER = -2,       /* an endpoint answered with an error  */
	PE_ERR_PARSE = -3,        /* an answer we cannot read            */
	PE_ERR_NOMEM = -4,
	PE_ERR_USAGE = -5,        /* a malformed etcd:// URL             */
	PE_ERR_LEASE = -6,        /* the lease is gone (expired/revoked) */
};

struct pe_client {
	char eps[PE_MAX_EPS][128];    /* HOST:PORT                         */
	int n_eps;
	int cur;                      /* the endpoint that answered last   */
	long timeout_ms;
	void *curl;
	char err[PE_ERR_MAX];
	/* What this client cost: requests sent, key-values read, seconds
	 * waiting on etcd ($PSTATE_POOL_STATS prints them at exit; =2 each
	 * request's time too, as it answers). */
	long nreq, nkv;
	double spent;
	int trace;
	/* The last request may have reached etcd more than once: a copy was
	 * sent, its answer lost (timeout, reset, 503) and sent again.  A txn
	 * whose compare then fails may be our own first copy (docs/pool.md
	 * "Failure cases"): psctl_pool_txn.c reads back to tell. */
	int resent;
};

/* One key-value as a range answers it (malloc'd key and value, both NUL
 * terminated for convenience; the lengths are the real ones). */
struct pe_kv {
	char *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
	int64_t create_rev, mod_rev, version, lease;
};

struct pe_kvs {
	struct pe_kv *kv;
	size_t n;
	int64_t revision;             /* the store's revision of the read  */
	int more;                     /* a limited range left keys out     */
};

enum pe_target { PE_T_CREATE, PE_T_MOD, PE_T_VALUE, PE_T_VERSION };
enum pe_result { PE_EQ, PE_NE, PE_LT, PE_GT };

struct pe_cmp {
	const char *key;
	enum pe_target target;
	enum pe_result result;
	int64_t num;                  /* PE_T_CREATE / _MOD / _VERSION     */
	const uint8_t *val;           /* PE_T_VALUE                        */
	size_t vlen;
};

enum pe_opkind { PE_PUT, PE_DEL, PE_GET };

struct pe_op {
	enum pe_opkind kind;
	const char *key;
	const uint8_t *val;           /* PE_PUT                            */
	size_t vlen;
	int64_t lease;                /* PE_PUT: 0 none                    */
	int prefix;                   /* PE_DEL / PE_GET: every key below  */
};

/* ---- pure: base64, request bodies, answers */

/* Standard base64 with padding; out holds 4 * ((n + 2) / 3) + 1. */
size_t pe_b64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes into out (room (n / 4) * 3); -1 on a malformed text. */
long pe_b64_decode(const char *in, size_t n, uint8_t *out);
/* The key just past every key starting with prefix (etcd's range_end):
 * the prefix with its last byte < 0xff incremented (malloc'd, *n its
 * length), or "\0" (every key) when none is. */
char *pe_prefix_end(const char *prefix, size_t *n);

/* A key of n bytes (may hold NULs). */
struct pe_key {
	const char *p;
	size_t n;
};

/* JSON request bodies (malloc'd strings), or NULL (no memory). */
char *pe_req_range(const char *key, int prefix, int64_t revision);
/* One page of the keys under prefix from key `from` (fromlen bytes, may
 * hold a NUL: the key just past another is that key and a NUL) on, at
 * most limit of them, at revision (0: the newest). */
char *pe_req_range_page(const char *prefix, const char *from,
			size_t fromlen, int64_t limit, int64_t revision);
/* The keys in [from, end), at most limit (0: all), at revision. */
char *pe_req_range_span(const struct pe_key *from, const struct pe_key *end,
			int64_t limit, int64_t revision);
/* A read-only txn counting the keys of n ranges [b[i], b[i + 1]) (n + 1
 * bounds) at revision (count_only: no key is sent back). */
char *pe_req_counts(const struct pe_key *b, size_t n, int64_t revision);
char *pe_req_txn(const struct pe_cmp *cmp, size_t ncmp,
		 const struct pe_op *ok, size_t nok,
		 const struct pe_op *fail, size_t nfail);
char *pe_req_lease(const char *what, int64_t id, int ttl);

/* Answers.  PE_OK, or PE_ERR_PARSE/PE_ERR_SERVER with err saying why. */
int pe_parse_range(const char *body, size_t n, struct pe_kvs *out,
		   char *err, size_t en);
/* A txn: *succeeded, the revision, and the kvs of every range response
 * (request_range ops of the branch taken) into out (may be NULL). */
int pe_parse_txn(const char *body, size_t n, int *succeeded,
		 int64_t *revision, struct pe_kvs *out, char *err, size_t en);
/* The answer of pe_req_counts: count[i] of each range, *got of them
 * (at most max), and the revision they were counted at. */
int pe_parse_counts(const char *body, size_t n, int64_t *count,
		    size_t max, size_t *got, int64_t *revision, char *err,
		    size_t en);
/* lease grant / keepalive: ID and TTL (TTL <= 0: the lease is gone). */
int pe_parse_lease(const char *body, size_t n, int64_t *id, int64_t *ttl,
		   char *err, size_t en);
void pe_kvs_free(struct pe_kvs *k);

/* ---- the client */

/* "etcd://HOST:PORT[,HOST:PORT...]" into c (no connection yet). */
int pe_open(struct pe_client *c, const char *url);
void pe_close(struct pe_client *c);
/* The value of key, or every key under the prefix, in key order. */
int pe_range(struct pe_client *c, const char *key, int prefix,
	     struct pe_kvs *out);
/* One page (pe_req_range_page); out->more says whether keys are left. */
int pe_range_page(struct pe_client *c, const char *prefix, const char *from,
		  size_t fromlen, int64_t limit, int64_t revision,
		  struct pe_kvs *out);
/* One page of [from, end) at revision; out->more as pe_range_page. */
int pe_range_span(struct pe_client *c, const struct pe_key *from,
		  const struct pe_key *end, int64_t limit, int64_t revision,
		  struct pe_kvs *out);
/* The number of keys in each of n ranges [b[i], b[i + 1]) at *revision
 * (0: the newest, and *revision is set to it); one read-only txn, n at
 * most etcd's --max-txn-ops (128 by default). */
int pe_counts(struct pe_client *c, const struct pe_key *b, size_t n,
	      int64_t *revision, int64_t *count);
int pe_txn(struct pe_client *c, const struct pe_cmp *cmp, size_t ncmp,
	   const struct pe_op *ok, size_t nok, const struct pe_op *fail,
	   size_t nfail, int *succeeded, int64_t *revision,
	   struct pe_kvs *out);
int pe_lease_grant(struct pe_client *c, int ttl, int64_t *id);
int pe_lease_keepalive(struct pe_client *c, int64_t id);
int pe_lease_revoke(struct pe_client *c, int64_t id);

#endif /* PSCTL_POOL_ETCD_H */
