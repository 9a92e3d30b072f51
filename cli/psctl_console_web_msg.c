/*
 * psctl_console_web_msg.c - the console service's answers as the frames
 * the session expects (see psctl_console_web.c): the port list (JSON of
 * GET /api/ports) as PORT frames, the WebSocket's JSON messages as OK,
 * ERROR, NOTICE, SKIP and ACK, its binary ones (guest output) as DATA.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "psctl_console_web_int.h"

/* ------------------------------------------------------------ JSON */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string)
	       ? json_object_get_string(v) : "";
}

static uint64_t jnum(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v)
	       ? (uint64_t)json_object_get_int64(v) : 0;
}

static unsigned mode_num(const char *name)
{
	unsigned m;

	for (m = 0; m < 8; m++)
		if (con_mode_name(m) && !strcmp(con_mode_name(m), name))
			return m;
	return 0;
}

/* One port of /api/ports as the LIST answer's frame. */
static void port_frame(struct web *w, json_object *p)
{
	static struct con_port_info pi;
	static uint8_t b[CON_PAYLOAD_MAX];
	json_object *users, *u, *wr;
	size_t i;

	memset(&pi, 0, sizeof pi);
	snprintf(pi.host, sizeof pi.host, "%s", jstr(p, "hostname"));
	snprintf(pi.vm, sizeof pi.vm, "%s", jstr(p, "vm"));
	snprintf(pi.fault, sizeof pi.fault, "%s", jstr(p, "last_fault"));
	pi.conc = (unsigned)jnum(p, "concentrator");
	pi.mode = mode_num(jstr(p, "mode"));
	pi.guest = (unsigned)jnum(p, "guest");
	pi.out_total = jnum(p, "output_bytes");
	pi.faults = (unsigned)jnum(p, "faults");
	pi.writer = json_object_object_get_ex(p, "writer", &wr) && wr
		    ? (uint32_t)json_object_get_int64(wr) : CON_NOBODY;
	if (json_object_object_get_ex(p, "users", &users) &&
	    json_object_is_type(users, json_type_array))
		for (i = 0; i < json_object_array_length(users) &&
		     pi.nusers < CON_USERS_MAX; i++) {
			u = json_object_array_get_idx(users, i);
			pi.uid[pi.nusers] = (uint32_t)jnum(u, "uid");
			pi.how[pi.nusers++] = !strcmp(jstr(u, "access"),
						      "spy") ? CON_SPY : CON_RW;
		}
	/* The store part (docs/console.md "Several stores"). */
	snprintf(pi.store, sizeof pi.store, "%s", jstr(p, "store"));
	pi.flags = json_object_object_get_ex(p, "leaving", &wr) &&
		   json_object_get_boolean(wr) ? CON_PORT_LEAVING : 0;
	if (json_object_object_get_ex(p, "claims", &users) &&
	    json_object_is_type(users, json_type_array))
		for (i = 0; i < json_object_array_length(users) &&
		     pi.nclaims < CON_CLAIMS_MAX; i++) {
			u = json_object_array_get_idx(users, i);
			pi.claim[pi.nclaims].kind = !strcmp(jstr(u, "kind"),
							    "move")
						    ? CON_CLAIM_MOVE
						    : CON_CLAIM_CLASH;
			snprintf(pi.claim[pi.nclaims].store,
				 sizeof pi.claim[0].store, "%s",
				 jstr(u, "store"));
			snprintf(pi.claim[pi.nclaims++].vm,
				 sizeof pi.claim[0].vm, "%s", jstr(u, "vm"));
		}
	web_put(w, CON_R_PORT, b, con_encode_port(&pi, b));
}

/* GET /api/ports answered: PORT frames and END, or an ERROR. */
void web_list_done(struct web *w)
{
	json_object *j = NULL, *ports;
	uint8_t req = CON_LIST;
	size_t i;

	w->for_list = 0;
	if (!w->err[0] && w->status == 200 && w->resp)
		j = json_tokener_parse(w->resp);
	if (j && json_object_object_get_ex(j, "ports", &ports) &&
	    json_object_is_type(ports, json_type_array)) {
		for (i = 0; i < json_object_array_length(ports); i++)
			port_frame(w, json_object_array_get_idx(ports, i));
	} else {
		web_put_error(w, CON_LIST, CON_E_PROTO, w->err[0] ? w->err
			      : "the port list (GET /api/ports) failed");
	}
	json_object_put(j);
	web_put(w, CON_R_END, &req, 1);
}

static unsigned err_code(const char *name)
{
	unsigned c;

	if (!strcmp(name, "login"))
		return CON_E_PERM;
	for (c = 1; c < 32; c++)
		if (con_err_name(c) && !strcmp(con_err_name(c), name))
			return c;
	return CON_E_PROTO;
}

static uint8_t req_type(const char *name)
{
	return !strcmp(name, "mode") ? CON_MODE : !strcmp(name, "force")
	       ? CON_FORCE : !strcmp(name, "input") ? CON_INPUT : CON_ATTACH;
}

static uint8_t notice_kind(const char *k)
{
	static const char *const kinds[] = { "", "mode", "writer", "user",
		"fault", "gone", "guest", "replay", "stop" };
	uint8_t i;

	for (i = 1; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i], k))
			return i;
	return CON_N_USER;
}

/* A JSON message of the service, as the frame the session expects. */
static void message(struct web *w, json_object *j)
{
	const char *t = jstr(j, "type");
	uint8_t b[CON_PAYLOAD_MAX];
	struct con_attach_ok o;
	size_t n;

	if (!strcmp(t, "attached")) {
		memset(&o, 0, sizeof o);
		o.conc = (unsigned)jnum(j, "port");
		o.mode = mode_num(jstr(j, "mode"));
		o.how = !strcmp(jstr(j, "access"), "spy") ? CON_SPY : CON_RW;
		o.guest = (unsigned)jnum(j, "guest");
		o.first = jnum(j, "backlog_from");
		o.total = jnum(j, "backlog_to");
		/* v2: the epoch is 16 hex digits (JSON numbers keep 53
		 * bits); output starts at start, input at input_written */
		o.epoch = strtoull(jstr(j, "epoch"), NULL, 16);
		o.start = w->off = w->ver >= 2 ? jnum(j, "start") : o.first;
		o.written = w->in_next = jnum(j, "input_written");
		web_put(w, CON_R_OK, b, con_encode_attach_ok(&o, w->ver, b));
	} else if (!strcmp(t, "ack")) {
		con_put64(b, jnum(j, "offset"));
		web_put(w, CON_R_ACK, b, 8);
	} else if (!strcmp(t, "ok")) {
		b[0] = req_type(jstr(j, "request"));
		web_put(w, CON_R_OK, b, 1);
	} else if (!strcmp(t, "error")) {
		web_put_error(w, req_type(jstr(j, "request")),
			      err_code(jstr(j, "code")), jstr(j, "text"));
	} else if (!strcmp(t, "notice")) {
		b[0] = notice_kind(jstr(j, "kind"));
		n = (size_t)snprintf((char *)b + 1, sizeof b - 1, "%s",
				     jstr(j, "text"));
		web_put(w, CON_R_NOTICE, b, 1 + (n < sizeof b - 1 ? n
						 : sizeof b - 2));
	} else if (!strcmp(t, "skip")) {
		con_put64(b, jnum(j, "offset"));
		con_put64(b + 8, jnum(j, "count"));
		w->off = jnum(j, "offset") + jnum(j, "count");
		web_put(w, CON_R_SKIP, b, 16);
	}
}

/* Guest output: DATA frames at the running offset. */
static void output(struct web *w, const uint8_t *p, size_t n)
{
	uint8_t b[CON_PAYLOAD_MAX];
	size_t k;

	while (n) {
		k = n < CON_PAYLOAD_MAX - 8 ? n : CON_PAYLOAD_MAX - 8;
		con_put64(b, w->off);
		memcpy(b + 8, p, k);
		web_put(w, CON_R_DATA, b, 8 + k);
		w->off += k;
		p += k;
		n -= k;
	}
}

void web_rx(struct web *w, struct lws *wsi, const void *p, size_t n)
{
	json_object *j;
	char *t;

	if (L.lws_frame_is_binary(wsi)) {
		output(w, p, n);
		return;
	}
	if (w->text_len + n > TEXT_MAX)
		w->text_len = 0; /* (the service's are small) */
	else if ((t = realloc(w->text, w->text_len + n + 1))) {
		w->text = t;
		memcpy(t + w->text_len, p, n);
		w->text_len += n;
		t[w->text_len] = 0;
	}
	if (!L.lws_is_final_fragment(wsi) || !w->text_len)
		return;
	w->text_len = 0;
	if ((j = json_tokener_parse(w->text))) {
		message(w, j);
		json_object_put(j);
	}
}
