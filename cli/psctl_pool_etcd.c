/*
 * psctl_pool_etcd.c - the pure half of the etcd client: base64, the JSON
 * request bodies of the gateway and the parsing of its answers (no I/O;
 * the unit tests and tests/fuzz/fuzz_pool_etcd.c call these directly).
 * psctl_pool_etcd_io.c sends them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "psctl_pool_etcd.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t pe_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 |
			     (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = 0;
	return o;
}

/* The value of each byte as a base64 digit, -1 for none: a table, not a
 * search of the alphabet per character (a list of 100,000 profiles
 * decodes ~40 MB of base64). */
static int b64_val(char ch)
{
	static signed char val[256];
	static int ready;
	int i;

	if (!ready) {
		memset(val, -1, sizeof val);
		for (i = 0; i < 64; i++)
			val[(uint8_t)b64[i]] = (signed char)i;
		ready = 1;
	}
	return val[(uint8_t)ch];
}

long pe_b64_decode(const char *in, size_t n, uint8_t *out)
{
	size_t i, o = 0;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		int a = b64_val(in[i]), b = b64_val(in[i + 1]);
		int pad2 = in[i + 2] == '=', pad3 = in[i + 3] == '=';
		int c = pad2 ? 0 : b64_val(in[i + 2]);
		int d = pad3 ? 0 : b64_val(in[i + 3]);
		uint32_t v;

		/* Padding only at the very end, and "x=y" is no padding. */
		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    ((pad2 || pad3) && i + 4 != n) || (pad2 && !pad3))
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		if (!pad2)
			out[o++] = (uint8_t)(v >> 8);
		if (!pad3)
			out[o++] = (uint8_t)v;
	}
	return (long)o;
}

char *pe_prefix_end(const char *prefix, size_t *n)
{
	size_t len = strlen(prefix);
	char *e = malloc(len + 1);

	if (!e)
		return NULL;
	memcpy(e, prefix, len + 1);
	while (len && (uint8_t)e[len - 1] == 0xff)
		len--;
	if (!len) {
		e[0] = 0;
		*n = 1;
		return e;
	}
	e[len - 1] = (char)((uint8_t)e[len - 1] + 1);
	*n = len;
	return e;
}

/* ------------------------------------------------------------ requests */

static int add_b64(json_object *o, const char *name, const void *p,
		   size_t n)
{
	char *t = malloc(4 * ((n + 2) / 3) + 1);
	json_object *s;

	if (!t)
		return -1;
	pe_b64_encode(p, n, t);
	s = json_object_new_string(t);
	free(t);
	return s ? json_object_object_add(o, name, s) : -1;
}

static int add_i64(json_object *o, const char *name, int64_t v)
{
	char t[24];

	/* proto3 JSON: 64-bit integers as strings. */
	snprintf(t, sizeof t, "%" PRId64, v);
	return json_object_object_add(o, name, json_object_new_string(t));
}

/* key (and range_end for a prefix) of a range or delete. */
static int add_key(json_object *o, const char *key, int prefix)
{
	size_t en;
	char *end;
	int rc = add_b64(o, "key", key, strlen(key));

	if (rc || !prefix)
		return rc;
	end = pe_prefix_end(key, &en);
	if (!end)
		return -1;
	rc = add_b64(o, "range_end", end, en);
	free(end);
	return rc;
}

static char *finish(json_object *o, int rc)
{
	char *s = NULL;

	if (!rc)
		s = strdup(json_object_to_json_string_ext(o,
						JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

char *pe_req_range(const char *key, int prefix, int64_t revision)
{
	json_object *o = json_object_new_object();
	int rc = o ? add_key(o, key, prefix) : -1;

	if (!rc && revision > 0)
		rc = add_i64(o, "revision", revision);
	return o ? finish(o, rc) : NULL;
}

/* The fields of a range over [from, end) into o. */
static int add_span(json_object *o, const struct pe_key *from,
		    const struct pe_key *end, int64_t limit, int64_t revision)
{
	int rc = add_b64(o, "key", from->p, from->n);

	if (!rc)
		rc = add_b64(o, "range_end", end->p, end->n);
	if (!rc && limit > 0)
		rc = add_i64(o, "limit", limit);
	if (!rc && revision > 0)
		rc = add_i64(o, "revision", revision);
	return rc;
}

char *pe_req_range_span(const struct pe_key *from, const struct pe_key *end,
			int64_t limit, int64_t revision)
{
	json_object *o = json_object_new_object();

	return o ? finish(o, add_span(o, from, end, limit, revision)) : NULL;
}

char *pe_req_range_page(const char *prefix, const char *from,
			size_t fromlen, int64_t limit, int64_t revision)
{
	struct pe_key f = { from, fromlen }, e;
	char *end = pe_prefix_end(prefix, &e.n);
	char *r;

	if (!end)
		return NULL;
	e.p = end;
	r = pe_req_range_span(&f, &e, limit, revision);
	free(end);
	return r;
}

/* A read-only txn of n count_only ranges [b[i], b[i + 1]). */
char *pe_req_counts(const struct pe_key *b, size_t n, int64_t revision)
{
	json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();
	int rc = o && a ? 0 : -1;
	size_t i;

	for (i = 0; !rc && i < n; i++) {
		json_object *w = json_object_new_object();
		json_object *r = json_object_new_object();

		rc = w && r ? json_object_object_add(w, "request_range", r)
			    : -1;
		if (rc)
			json_object_put(r);
		if (!rc)
			rc = add_span(r, &b[i], &b[i + 1], 0, revision);
		if (!rc)
			rc = json_object_object_add(r, "count_only",
					json_object_new_boolean(1));
		if (w && (rc || json_object_array_add(a, w))) {
			json_object_put(w);
			rc = -1;
		}
	}
	if (!rc) {
		rc = json_object_object_add(o, "success", a);
		a = NULL;
	}
	json_object_put(a);
	return o ? finish(o, rc) : NULL;
}

static const char *const target_name[] = { "CREATE", "MOD", "VALUE",
					    "VERSION" };
static const char *const target_field[] = { "create_revision",
					     "mod_revision", "value",
					     "version" };
static const char *const result_name[] = { "EQUAL", "NOT_EQUAL", "LESS",
					    "GREATER" };

static json_object *cmp_json(const struct pe_cmp *c)
{
	json_object *o = json_object_new_object();
	int rc = o ? add_b64(o, "key", c->key, strlen(c->key)) : -1;

	if (!rc)
		rc = json_object_object_add(o, "result", json_object_new_string(
				result_name[c->result]));
	if (!rc)
		rc = json_object_object_add(o, "target", json_object_new_string(
				target_name[c->target]));
	if (!rc && c->target == PE_T_VALUE)
		rc = add_b64(o, "value", c->val, c->vlen);
	else if (!rc)
		rc = add_i64(o, target_field[c->target], c->num);
	if (rc && o) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static json_object *op_json(const struct pe_op *p)
{
	static const char *const name[] = { "request_put",
					    "request_delete_range",
					    "request_range" };
	json_object *w = json_object_new_object();
	json_object *o = json_object_new_object();
	int rc = w && o ? json_object_object_add(w, name[p->kind], o) : -1;

	if (rc) {
		json_object_put(o);
		json_object_put(w);
		return NULL;
	}
	rc = add_key(o, p->key, p->kind != PE_PUT && p->prefix);
	if (!rc && p->kind == PE_PUT)
		rc = add_b64(o, "value", p->val, p->vlen);
	if (!rc && p->kind == PE_PUT && p->lease)
		rc = add_i64(o, "lease", p->lease);
	if (rc) {
		json_object_put(w);
		return NULL;
	}
	return w;
}

static int add_list(json_object *o, const char *name, const void *items,
		    size_t n, int cmp)
{
	json_object *a = json_object_new_array();
	size_t i;

	if (!a)
		return -1;
	for (i = 0; i < n; i++) {
		json_object *e = cmp ? cmp_json((const struct pe_cmp *)items + i)
				     : op_json((const struct pe_op *)items + i);

		if (!e || json_object_array_add(a, e)) {
			json_object_put(e);
			json_object_put(a);
			return -1;
		}
	}
	return json_object_object_add(o, name, a);
}

char *pe_req_txn(const struct pe_cmp *cmp, size_t ncmp,
		 const struct pe_op *ok, size_t nok,
		 const struct pe_op *fail, size_t nfail)
{
	json_object *o = json_object_new_object();
	int rc = o ? add_list(o, "compare", cmp, ncmp, 1) : -1;

	if (!rc)
		rc = add_list(o, "success", ok, nok, 0);
	if (!rc)
		rc = add_list(o, "failure", fail, nfail, 0);
	return o ? finish(o, rc) : NULL;
}

char *pe_req_lease(const char *what, int64_t id, int ttl)
{
	json_object *o = json_object_new_object();
	int rc = o ? 0 : -1;

	if (!rc && !strcmp(what, "grant"))
		rc = add_i64(o, "TTL", ttl);
	if (!rc && id)
		rc = add_i64(o, "ID", id);
	return o ? finish(o, rc) : NULL;
}

/* ------------------------------------------------------------ answers */

static int perr(char *err, size_t en, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int perr(char *err, size_t en, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && en)
		vsnprintf(err, en, fmt, ap);
	va_end(ap);
	return rc;
}

/* A 64-bit field given as a string or a number; absent is 0 (proto3
 * leaves zero values out).  -1 when present but not a number. */
static int get_i64(json_object *o, const char *name, int64_t *v)
{
	json_object *f;
	const char *s;
	char *end;

	*v = 0;
	if (!json_object_object_get_ex(o, name, &f))
		return 0;
	if (json_object_is_type(f, json_type_int)) {
		*v = json_object_get_int64(f);
		return 0;
	}
	if (!json_object_is_type(f, json_type_string))
		return -1;
	s = json_object_get_string(f);
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !*s || *end || errno ? -1 : 0;
}

/* A base64 field into a malloc'd NUL-terminated buffer. */
static int get_b64(json_object *o, const char *name, uint8_t **out,
		   size_t *n)
{
	json_object *f;
	const char *s = "";
	size_t sl;
	long dl;

	if (json_object_object_get_ex(o, name, &f)) {
		if (!json_object_is_type(f, json_type_string))
			return -1;
		s = json_object_get_string(f);
	}
	sl = strlen(s);
	*out = malloc(sl / 4 * 3 + 1);
	if (!*out)
		return -1;
	dl = pe_b64_decode(s, sl, *out);
	if (dl < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[dl] = 0;
	*n = (size_t)dl;
	return 0;
}

void pe_kvs_free(struct pe_kvs *k)
{
	size_t i;

	for (i = 0; k && i < k->n; i++) {
		free(k->kv[i].key);
		free(k->kv[i].val);
	}
	if (k) {
		free(k->kv);
		k->kv = NULL;
		k->n = 0;
	}
}

/* An error answer of the gateway: {"error": "...", "code": N, ...}. */
static int server_error(json_object *o, char *err, size_t en)
{
	json_object *f;

	if (!json_object_object_get_ex(o, "error", &f) &&
	    !json_object_object_get_ex(o, "message", &f))
		return 0;
	return perr(err, en, PE_ERR_SERVER, "etcd refused: %s",
		    json_object_get_string(f));
}

static int header_rev(json_object *o, int64_t *rev, char *err, size_t en)
{
	json_object *h;

	*rev = 0;
	if (!json_object_object_get_ex(o, "header", &h) ||
	    !json_object_is_type(h, json_type_object) ||
	    get_i64(h, "revision", rev))
		return perr(err, en, PE_ERR_PARSE, "answer without a valid "
			    "header revision");
	return 0;
}

/* The kvs array of a range response object, appended to out. */
static int add_kvs(json_object *o, struct pe_kvs *out, char *err, size_t en)
{
	json_object *a, *e;
	size_t i, n;
	struct pe_kv *kv;

	if (!json_object_object_get_ex(o, "kvs", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return perr(err, en, PE_ERR_PARSE, "'kvs' is not an array");
	n = json_object_array_length(a);
	kv = realloc(out->kv, (out->n + n + 1) * sizeof *kv);
	if (!kv)
		return perr(err, en, PE_ERR_NOMEM, "out of memory");
	out->kv = kv;
	for (i = 0; i < n; i++) {
		struct pe_kv *k = &out->kv[out->n];

		memset(k, 0, sizeof *k);
		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_object) ||
		    get_b64(e, "key", (uint8_t **)&k->key, &k->klen))
			return perr(err, en, PE_ERR_PARSE, "kvs[%zu]: bad key",
				    i);
		out->n++;
		if (get_b64(e, "value", &k->val, &k->vlen) ||
		    get_i64(e, "create_revision", &k->create_rev) ||
		    get_i64(e, "mod_revision", &k->mod_rev) ||
		    get_i64(e, "version", &k->version) ||
		    get_i64(e, "lease", &k->lease))
			return perr(err, en, PE_ERR_PARSE, "kvs[%zu] (key "
				    "'%s'): bad value or revision", i, k->key);
	}
	return 0;
}

static json_object *parse_obj(const char *body, size_t n, char *err,
			      size_t en)
{
	json_tokener *t = json_tokener_new();
	json_object *o = NULL;

	if (t && n <= INT32_MAX)
		o = json_tokener_parse_ex(t, body, (int)n);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	if (!o)
		perr(err, en, PE_ERR_PARSE, "answer is not a JSON object");
	json_tokener_free(t);
	return o;
}

int pe_parse_range(const char *body, size_t n, struct pe_kvs *out,
		   char *err, size_t en)
{
	json_object *o = parse_obj(body, n, err, en), *f;
	int rc;

	memset(out, 0, sizeof *out);
	if (!o)
		return PE_ERR_PARSE;
	rc = server_error(o, err, en);
	if (!rc)
		rc = header_rev(o, &out->revision, err, en);
	if (!rc)
		rc = add_kvs(o, out, err, en);
	if (!rc && json_object_object_get_ex(o, "more", &f))
		out->more = json_object_get_boolean(f);
	json_object_put(o);
	if (rc)
		pe_kvs_free(out);
	return rc;
}

int pe_parse_txn(const char *body, size_t n, int *succeeded,
		 int64_t *revision, struct pe_kvs *out, char *err, size_t en)
{
	json_object *o = parse_obj(body, n, err, en), *f, *a, *r;
	struct pe_kvs tmp = { 0 };
	size_t i;
	int rc;

	*succeeded = 0;
	if (out)
		memset(out, 0, sizeof *out);
	if (!o)
		return PE_ERR_PARSE;
	rc = server_error(o, err, en);
	if (!rc)
		rc = header_rev(o, revision, err, en);
	/* A failed compare answers without "succeeded" (proto3 false). */
	if (!rc && json_object_object_get_ex(o, "succeeded", &f))
		*succeeded = json_object_get_boolean(f);
	if (!rc && json_object_object_get_ex(o, "responses", &a)) {
		if (!json_object_is_type(a, json_type_array))
			rc = perr(err, en, PE_ERR_PARSE,
				  "'responses' is not an array");
		for (i = 0; !rc && i < json_object_array_length(a); i++) {
			f = json_object_array_get_idx(a, i);
			if (json_object_is_type(f, json_type_object) &&
			    json_object_object_get_ex(f, "response_range",
						      &r) &&
			    json_object_is_type(r, json_type_object))
				rc = add_kvs(r, &tmp, err, en);
		}
	}
	json_object_put(o);
	if (rc || !out)
		pe_kvs_free(&tmp);
	else
		*out = tmp;
	if (out && !rc)
		out->revision = *revision;
	return rc;
}

int pe_parse_counts(const char *body, size_t n, int64_t *count,
		    size_t max, size_t *got, int64_t *revision, char *err,
		    size_t en)
{
	json_object *o = parse_obj(body, n, err, en), *a, *f, *r;
	int rc;

	*got = 0;
	*revision = 0;
	if (!o)
		return PE_ERR_PARSE;
	rc = server_error(o, err, en);
	if (!rc)
		rc = header_rev(o, revision, err, en);
	if (!rc && json_object_object_get_ex(o, "responses", &a) &&
	    !json_object_is_type(a, json_type_array))
		rc = perr(err, en, PE_ERR_PARSE, "'responses' is not an array");
	else if (!rc && json_object_object_get_ex(o, "responses", &a))
		for (; !rc && *got < json_object_array_length(a); ++*got) {
			f = json_object_array_get_idx(a, *got);
			if (*got >= max)
				rc = perr(err, en, PE_ERR_PARSE,
					  "more than %zu responses", max);
			else if (!json_object_is_type(f, json_type_object) ||
				 !json_object_object_get_ex(f, "response_range",
							    &r) ||
				 !json_object_is_type(r, json_type_object) ||
				 get_i64(r, "count", &count[*got]) ||
				 count[*got] < 0)
				rc = perr(err, en, PE_ERR_PARSE, "responses[%zu]"
					  ": not a range with a count", *got);
		}
	json_object_put(o);
	return rc;
}

int pe_parse_lease(const char *body, size_t n, int64_t *id, int64_t *ttl,
		   char *err, size_t en)
{
	json_object *o = parse_obj(body, n, err, en), *r;
	int rc;

	*id = *ttl = 0;
	if (!o)
		return PE_ERR_PARSE;
	rc = server_error(o, err, en);
	/* keepalive streams: {"result": {...}}; grant answers flat. */
	r = o;
	if (!rc && json_object_object_get_ex(o, "result", &r) &&
	    !json_object_is_type(r, json_type_object))
		rc = perr(err, en, PE_ERR_PARSE, "'result' is not an object");
	if (!rc && !json_object_object_get_ex(o, "result", NULL))
		r = o;
	if (!rc && (get_i64(r, "ID", id) || get_i64(r, "TTL", ttl)))
		rc = perr(err, en, PE_ERR_PARSE, "bad lease ID or TTL");
	json_object_put(o);
	return rc;
}
