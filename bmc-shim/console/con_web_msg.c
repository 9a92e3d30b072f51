/*
 * con_web_msg.c - the web page's own parsing and JSON (con_web_msg.h):
 * login form fields, users file lines, browser messages, service frames
 * as JSON.  Every length is checked before use: this is what a hostile
 * browser reaches (tests/fuzz/fuzz_console_http.c).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "con_web_msg.h"
#include "pstate.h"
#include "ps_cfg_internal.h" /* ps__hexval */

/* ------------------------------------------------------------ form */

/* Decodes v[0..n) into out; -1 on a bad escape, a NUL or no room. */
static int form_decode(const char *v, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)v[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = ps__hexval(v[i + 1]);
			lo = ps__hexval(v[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (!c || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

int cw_form_field(const char *body, size_t n, const char *name, char *out,
		  size_t outlen)
{
	size_t nl = strlen(name), at = 0;

	while (at < n) {
		const char *amp = memchr(body + at, '&', n - at);
		size_t end = amp ? (size_t)(amp - body) : n;

		if (end - at > nl && body[at + nl] == '=' &&
		    !memcmp(body + at, name, nl))
			return form_decode(body + at + nl + 1,
					   end - at - nl - 1, out, outlen);
		at = end + 1;
	}
	return -1;
}

/* ------------------------------------------------------------ users */

/* The privilege words of ipmi_sim's lan.conf (and the long one). */
static int role_word(const char *w)
{
	if (!strcmp(w, "admin") || !strcmp(w, "administrator"))
		return CON_ROLE_ADMIN;
	if (!strcmp(w, "operator"))
		return CON_ROLE_OPERATOR;
	return -1;
}

int cw_user_line(const char *line, struct cw_user *u, const char **why)
{
	char name[64], priv[32], hash[CW_HASH_MAX + 2], extra[2];
	int n;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#' || *line == '\n')
		return 0;
	n = sscanf(line, "%63s %31s %256s %1s", name, priv, hash, extra);
	if (n != 3) {
		*why = "a user is NAME PRIVILEGE HASH (three words)";
		return -1;
	}
	if (strlen(name) > CW_NAME_MAX) {
		*why = "user name longer than 32 bytes";
		return -1;
	}
	if (strlen(hash) > CW_HASH_MAX || hash[0] != '$') {
		*why = "the hash is a crypt(3) string starting with '$' "
		       "(pscon --hash-password)";
		return -1;
	}
	u->role = role_word(priv);
	if (u->role < 0) {
		*why = "privilege is admin or operator";
		return -1;
	}
	strcpy(u->name, name);
	strcpy(u->hash, hash);
	return 1;
}

/* ------------------------------------------------------------ browser */

static int parse_json_req(json_object *o, struct cw_req *r,
			  const char **why)
{
	json_object *t, *v;
	const char *type, *s;
	uint8_t mode;
	size_t n;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		*why = "a message is a JSON object with a string \"type\"";
		return -1;
	}
	type = json_object_get_string(t);
	if (!strcmp(type, "force")) {
		r->kind = CW_REQ_FORCE;
		return 0;
	}
	if (!strcmp(type, "mode")) {
		if (!json_object_object_get_ex(o, "mode", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    ps_parse_enum(json_object_get_string(v),
				  (size_t)json_object_get_string_len(v),
				  ps_enum_serial_mode, &mode, NULL)) {
			*why = "mode: \"mode\" is free, observer or privacy";
			return -1;
		}
		r->kind = CW_REQ_MODE;
		r->mode = mode;
		return 0;
	}
	if (!strcmp(type, "input")) {
		if (!json_object_object_get_ex(o, "data", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			*why = "input: \"data\" is a string";
			return -1;
		}
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (!n || n > sizeof r->data) {
			*why = "input: \"data\" is 1-8192 bytes";
			return -1;
		}
		r->kind = CW_REQ_INPUT;
		memcpy(r->data, s, n);
		r->len = n;
		/* The offset of its first byte in the page's input stream
		 * (resent bytes are dropped by the core, con_seq_take). */
		r->numbered = json_object_object_get_ex(o, "offset", &v);
		if (r->numbered && (!json_object_is_type(v, json_type_int) ||
				    json_object_get_int64(v) < 0)) {
			*why = "input: \"offset\" is an integer >= 0";
			return -1;
		}
		r->off = r->numbered ? (uint64_t)json_object_get_int64(v) : 0;
		return 0;
	}
	*why = "unknown \"type\" (input, mode, force)";
	return -1;
}

int cw_parse_client(const uint8_t *p, size_t n, int binary,
		    struct cw_req *r, const char **why)
{
	struct json_tokener *tok;
	json_object *o;
	int rc;

	if (!n || n > CON_PAYLOAD_MAX) {
		*why = "a message is 1-8192 bytes";
		return -1;
	}
	if (binary) {
		r->kind = CW_REQ_INPUT;
		r->numbered = 0;
		memcpy(r->data, p, n);
		r->len = n;
		return 0;
	}
	tok = json_tokener_new_ex(8);
	if (!tok) {
		*why = "out of memory";
		return -1;
	}
	o = json_tokener_parse_ex(tok, (const char *)p, (int)n);
	/* The whole message is one JSON value, nothing after it. */
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		*why = "not one JSON value";
		rc = -1;
	} else {
		rc = parse_json_req(o, r, why);
	}
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

/* ------------------------------------------------------------ to JSON */

void cw_ascii(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i;

	if (!outlen)
		return;
	for (i = 0; i < n && i + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c >= 0x20 && c < 0x7f) || c == '\n' ? (char)c : '?';
	}
	out[i] = 0;
}

static const char *req_name(unsigned t)
{
	static const char *const n[] = {
		"?", "hello", "attach", "detach", "input", "force", "mode",
		"list", "reload",
	};
	return t < sizeof n / sizeof n[0] ? n[t] : "?";
}

static const char *notice_name(unsigned k)
{
	static const char *const n[] = {
		"?", "mode", "writer", "user", "fault", "gone", "guest",
		"replay", "stop",
	};
	return k < sizeof n / sizeof n[0] ? n[k] : "?";
}

static void add_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

/* A text of the frame (bytes p[0..n)) as ASCII under key. */
static void add_text(json_object *o, const char *key, const uint8_t *p,
		     size_t n)
{
	char t[CON_PAYLOAD_MAX + 1];

	cw_ascii((const char *)p, n, t, sizeof t);
	add_str(o, key, t);
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

/* The ATTACH reply; v2's epoch as 16 hex digits (a JSON number loses
 * bits past 2^53), its offsets as numbers. */
static json_object *attached(const struct con_frame *f)
{
	unsigned v = f->len >= CON_ATTACH_OK_V2 ? 2 : 1;
	struct con_attach_ok a;
	json_object *o;
	const char *mode;
	char ep[17];

	if (con_decode_attach_ok(f, v, &a))
		return NULL;
	o = json_object_new_object();
	mode = con_mode_name(a.mode);
	add_str(o, "type", "attached");
	json_object_object_add(o, "port", json_object_new_int((int)a.conc));
	add_str(o, "mode", mode ? mode : "?");
	add_str(o, "access", a.how == CON_SPY ? "spy" : "rw");
	json_object_object_add(o, "guest", json_object_new_boolean(a.guest));
	add_u64(o, "backlog_from", a.first);
	add_u64(o, "backlog_to", a.total);
	if (v >= 2) {
		snprintf(ep, sizeof ep, "%016llx", (unsigned long long)a.epoch);
		add_str(o, "epoch", ep);
		add_u64(o, "start", a.start);
		add_u64(o, "input_written", a.written);
	}
	return o;
}

static json_object *frame_obj(const struct con_frame *f)
{
	json_object *o;

	switch (f->type) {
	case CON_R_OK:
		if (f->len >= 23 && f->p[0] == CON_ATTACH)
			return attached(f);
		if (f->len < 1)
			return NULL;
		o = json_object_new_object();
		add_str(o, "type", "ok");
		add_str(o, "request", req_name(f->p[0]));
		return o;
	case CON_R_ERROR:
		if (f->len < 2)
			return NULL;
		o = json_object_new_object();
		add_str(o, "type", "error");
		add_str(o, "request", req_name(f->p[0]));
		add_str(o, "code", con_err_name(f->p[1]));
		add_text(o, "text", f->p + 2, f->len - 2u);
		return o;
	case CON_R_NOTICE:
		if (f->len < 1)
			return NULL;
		o = json_object_new_object();
		add_str(o, "type", "notice");
		add_str(o, "kind", notice_name(f->p[0]));
		add_text(o, "text", f->p + 1, f->len - 1u);
		return o;
	case CON_R_SKIP:
		if (f->len != 16)
			return NULL;
		o = json_object_new_object();
		add_str(o, "type", "skip");
		add_u64(o, "offset", con_get64(f->p));
		add_u64(o, "count", con_get64(f->p + 8));
		return o;
	case CON_R_ACK:
		if (f->len != 8)
			return NULL;
		o = json_object_new_object();
		add_str(o, "type", "ack");
		add_u64(o, "offset", con_get64(f->p));
		return o;
	}
	return NULL;
}

size_t cw_frame_json(const struct con_frame *f, char *out, size_t outlen)
{
	json_object *o = frame_obj(f);
	const char *s;
	size_t n = 0;

	if (!o)
		return 0;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && strlen(s) < outlen) {
		n = strlen(s);
		memcpy(out, s, n + 1);
	}
	json_object_put(o);
	return n;
}
