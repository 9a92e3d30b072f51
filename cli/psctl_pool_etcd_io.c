/*
 * psctl_pool_etcd_io.c - the I/O half of the etcd client: one HTTP POST
 * per request with libcurl, to the endpoint that answered last, and on to
 * the next one when it cannot be reached (connection refused, timeout) or
 * answers 503 (a member without a leader).  A txn sent again to another
 * endpoint after a timeout is safe: psctl's txns compare revisions, so a
 * second copy of one that applied fails its compare -- and c->resent says
 * so, for the caller to read back whether the first copy applied.
 *
 * PSCTL_TEST_TXN_RESEND=1 (a test hook, docs/psctl.1.md) sends every txn
 * once more before its real send, dropping that copy's answer: the lost
 * answer of a txn that applied, on demand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "psctl_pool_etcd.h"

int pe_open(struct pe_client *c, const char *url)
{
	const char *p;
	const char *env = getenv("PSTATE_POOL_TIMEOUT_MS");

	memset(c, 0, sizeof *c);
	c->timeout_ms = env && atol(env) > 0 ? atol(env) : 3000;
	env = getenv("PSTATE_POOL_STATS");
	c->trace = env && !strcmp(env, "2");
	if (strncmp(url, "etcd://", 7) || !url[7]) {
		snprintf(c->err, sizeof c->err, "'%s': not an etcd pool URL "
			 "(etcd://HOST:PORT[,HOST:PORT...])", url);
		return PE_ERR_USAGE;
	}
	for (p = url + 7; *p;) {
		size_t n = strcspn(p, ",");
		const char *colon = memchr(p, ':', n);

		if (!n || n >= sizeof c->eps[0] || !colon || colon == p ||
		    (p[n] == ',' && !p[n + 1]) ||
		    colon + 1 == p + n ||
		    strspn(colon + 1, "0123456789") != (size_t)(p + n -
								colon - 1)) {
			snprintf(c->err, sizeof c->err, "'%s': endpoint %d "
				 "is not HOST:PORT", url, c->n_eps + 1);
			return PE_ERR_USAGE;
		}
		if (c->n_eps == PE_MAX_EPS) {
			snprintf(c->err, sizeof c->err, "'%s': more than %d "
				 "endpoints", url, PE_MAX_EPS);
			return PE_ERR_USAGE;
		}
		memcpy(c->eps[c->n_eps], p, n);
		c->eps[c->n_eps++][n] = 0;
		p += n + (p[n] == ',');
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	if (!c->curl) {
		snprintf(c->err, sizeof c->err, "cannot start libcurl");
		return PE_ERR_NOMEM;
	}
	return PE_OK;
}

void pe_close(struct pe_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

struct body {
	char *p;
	size_t n, cap;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	size_t n = sz * nm;
	char *p = b->p;

	/* Doubling: a list's answer is ~12 MB in 16 KiB pieces. */
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;

		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(p + b->n, d, n);
	b->n += n;
	p[b->n] = 0;
	return n;
}

/* POST req to path on one endpoint: 0 with *b the answer (HTTP 200), 1
 * when the next endpoint should be tried and req never reached this one
 * (no connection), 2 when it may have reached it (answer lost, 503: a
 * proposal that timed out may still apply), or PE_ERR_SERVER. */
static int post_one(struct pe_client *c, int ep, const char *path,
		    const char *req, const char *what, struct body *b,
		    char *why, size_t wn)
{
	char url[200];
	long code = 0;
	CURLcode cc;

	snprintf(url, sizeof url, "http://%s%s", c->eps[ep], path);
	b->p = NULL;
	b->n = b->cap = 0;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 c->timeout_ms / 3 + 1);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	/* A large POST (a mark txn carries the profile) is sent at once, not
	 * after waiting for the gateway's "100 Continue": no round trip. */
	curl_easy_setopt(c->curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	cc = curl_easy_perform(c->curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK && code == 200 && b->p)
		return 0;
	if (cc != CURLE_OK)
		snprintf(why, wn, "%s", curl_easy_strerror(cc));
	else
		snprintf(why, wn, "HTTP %ld: %.200s", code,
			 b->p ? b->p : "");
	free(b->p);
	b->p = NULL;
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
		return 1;
	if (cc != CURLE_OK || code == 503 || code == 0)
		return 2;
	snprintf(c->err, sizeof c->err, "etcd %.127s: %.200s: %.250s",
		 c->eps[ep], what, why);
	return PE_ERR_SERVER;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* POST to the endpoints in turn from the last one that answered. */
static int post(struct pe_client *c, const char *path, const char *req,
		const char *what, struct body *b)
{
	char why[PE_ERR_MAX / 2] = "";
	double t0 = mono();
	const char *twice = getenv("PSCTL_TEST_TXN_RESEND");
	int i, rc, ep = c->cur, first = 0;

	c->resent = 0;
	if (!req) {
		snprintf(c->err, sizeof c->err, "%s: out of memory", what);
		return PE_ERR_NOMEM;
	}
	c->nreq++;
	if (twice && !strcmp(twice, "1") && !strcmp(path, "/v3/kv/txn")) {
		/* The test hook: a first copy whose answer is lost. */
		rc = post_one(c, c->cur, path, req, what, b, why, sizeof why);
		if (rc == 0)
			free(b->p);
		c->resent = rc != 1;
		first = 1;
	}
	for (i = first; i < first + c->n_eps; i++) {
		ep = (c->cur + i) % c->n_eps;
		rc = post_one(c, ep, path, req, what, b, why, sizeof why);
		c->resent |= rc == 2;
		if (rc <= 0) {
			if (!rc)
				c->cur = ep;
			c->spent += mono() - t0;
			if (c->trace)
				fprintf(stderr, "pool: %s: %.1f ms\n", what,
					(mono() - t0) * 1e3);
			return rc;
		}
	}
	c->spent += mono() - t0;
	snprintf(c->err, sizeof c->err, "etcd: %.200s: no endpoint "
		 "answered (%d tried; last %.127s: %.200s)", what, c->n_eps,
		 c->eps[ep], why);
	return PE_ERR_UNREACHABLE;
}

/* The parse error, prefixed with where it came from. */
static int where(struct pe_client *c, int rc, const char *what,
		 const char *perr)
{
	if (rc)
		snprintf(c->err, sizeof c->err, "etcd %.127s: %.200s: %.250s",
			 c->eps[c->cur], what, perr);
	return rc;
}

/* POST a range request (freed here) and parse its answer into out. */
static int range_req(struct pe_client *c, char *req, const char *what,
		     struct pe_kvs *out)
{
	char perr[PE_ERR_MAX / 2];
	struct body b;
	int rc;

	memset(out, 0, sizeof *out);
	rc = post(c, "/v3/kv/range", req, what, &b);
	free(req);
	if (rc)
		return rc;
	rc = pe_parse_range(b.p, b.n, out, perr, sizeof perr);
	free(b.p);
	c->nkv += rc ? 0 : (long)out->n;
	return where(c, rc, what, perr);
}

int pe_range(struct pe_client *c, const char *key, int prefix,
	     struct pe_kvs *out)
{
	char what[300];

	snprintf(what, sizeof what, "range %s'%.200s'", prefix ? "under " : "",
		 key);
	return range_req(c, pe_req_range(key, prefix, 0), what, out);
}

int pe_range_page(struct pe_client *c, const char *prefix, const char *from,
		  size_t fromlen, int64_t limit, int64_t revision,
		  struct pe_kvs *out)
{
	char what[300];

	snprintf(what, sizeof what, "range under '%.120s' from '%.120s'",
		 prefix, from);
	return range_req(c, pe_req_range_page(prefix, from, fromlen, limit,
					   revision),
			 what, out);
}

int pe_range_span(struct pe_client *c, const struct pe_key *from,
		  const struct pe_key *end, int64_t limit, int64_t revision,
		  struct pe_kvs *out)
{
	char what[300];

	snprintf(what, sizeof what, "range from '%.120s' to '%.120s'",
		 from->p, end->p);
	return range_req(c, pe_req_range_span(from, end, limit, revision),
			 what, out);
}

int pe_counts(struct pe_client *c, const struct pe_key *b, size_t n,
	      int64_t *revision, int64_t *count)
{
	char what[300], perr[PE_ERR_MAX / 2];
	char *req = pe_req_counts(b, n, *revision);
	struct body bd;
	size_t got = 0;
	int64_t rev;
	int rc;

	snprintf(what, sizeof what, "count %zu ranges from '%.200s'", n,
		 b[0].p);
	rc = post(c, "/v3/kv/txn", req, what, &bd);
	free(req);
	if (rc)
		return rc;
	rc = pe_parse_counts(bd.p, bd.n, count, n, &got, &rev, perr,
			     sizeof perr);
	free(bd.p);
	if (!rc && !*revision)
		*revision = rev;
	if (!rc && got != n)
		rc = (snprintf(perr, sizeof perr, "%zu counts for %zu ranges",
			       got, n), PE_ERR_PARSE);
	return where(c, rc, what, perr);
}

int pe_txn(struct pe_client *c, const struct pe_cmp *cmp, size_t ncmp,
	   const struct pe_op *ok, size_t nok, const struct pe_op *fail,
	   size_t nfail, int *succeeded, int64_t *revision,
	   struct pe_kvs *out)
{
	char what[300], perr[PE_ERR_MAX / 2];
	char *req = pe_req_txn(cmp, ncmp, ok, nok, fail, nfail);
	struct body b;
	int rc;

	snprintf(what, sizeof what, "txn on '%.200s'",
		 nok ? ok[0].key : ncmp ? cmp[0].key : "");
	rc = post(c, "/v3/kv/txn", req, what, &b);
	free(req);
	if (rc)
		return rc;
	rc = pe_parse_txn(b.p, b.n, succeeded, revision, out, perr,
			  sizeof perr);
	free(b.p);
	c->nkv += rc || !out ? 0 : (long)out->n;
	return where(c, rc, what, perr);
}

static int lease(struct pe_client *c, const char *op, int64_t id, int ttl,
		 int64_t *out_id, int64_t *out_ttl)
{
	char path[40], what[80], perr[PE_ERR_MAX / 2];
	char *req = pe_req_lease(op, id, ttl);
	struct body b;
	int rc;

	snprintf(path, sizeof path, "/v3/lease/%s", op);
	snprintf(what, sizeof what, "lease %s %lld", op, (long long)id);
	rc = post(c, path, req, what, &b);
	free(req);
	if (rc)
		return rc;
	rc = pe_parse_lease(b.p, b.n, out_id, out_ttl, perr, sizeof perr);
	free(b.p);
	return where(c, rc, what, perr);
}

int pe_lease_grant(struct pe_client *c, int ttl, int64_t *id)
{
	int64_t t;

	return lease(c, "grant", 0, ttl, id, &t);
}

int pe_lease_keepalive(struct pe_client *c, int64_t id)
{
	int64_t i, t;
	int rc = lease(c, "keepalive", id, 0, &i, &t);

	if (!rc && t <= 0) {
		snprintf(c->err, sizeof c->err, "etcd %s: lease %lld has "
			 "expired", c->eps[c->cur], (long long)id);
		return PE_ERR_LEASE;
	}
	return rc;
}

int pe_lease_revoke(struct pe_client *c, int64_t id)
{
	int64_t i, t;

	return lease(c, "revoke", id, 0, &i, &t);
}
