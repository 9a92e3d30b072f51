/*
 * fuzz_console_http.c - what the console web page parses itself under
 * libFuzzer (bmc-shim/console/con_web_msg.c): the login form's fields,
 * a users file line, a browser's WebSocket message (text and binary),
 * and service frames turned into the page's JSON.  The first byte picks
 * the parser; the rest is its input.  HTTP and WebSocket framing are
 * libwebsockets' (not parsed here).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "con_web_msg.h"

static void check_json(const char *s, size_t n)
{
	size_t i;

	/* Valid UTF-8 for a WebSocket text message: ASCII here. */
	if (strlen(s) != n)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cw_req r;
	static char out[CW_JSON_MAX];
	char field[CW_PASS_MAX + 1], *line;
	struct cw_user u;
	struct con_frame f;
	const char *why;
	size_t at, n;
	int k;

	if (!size)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (!cw_form_field((const char *)data + 1, size - 1, "user",
				   field, CW_NAME_MAX + 1) &&
		    strlen(field) > CW_NAME_MAX)
			__builtin_trap();
		cw_form_field((const char *)data + 1, size - 1, "password",
			      field, sizeof field);
		break;
	case 1:
		line = malloc(size);
		memcpy(line, data + 1, size - 1);
		line[size - 1] = 0;
		if (cw_user_line(line, &u, &why) > 0 &&
		    (u.hash[0] != '$' || strlen(u.name) > CW_NAME_MAX))
			__builtin_trap();
		free(line);
		break;
	case 2:
		if (!cw_parse_client(data + 1, size - 1, data[0] & 4, &r, &why)
		    && r.kind == CW_REQ_INPUT && (!r.len || r.len > size))
			__builtin_trap();
		break;
	case 3:
		/* As the web thread reads its link: frames from the core. */
		for (at = 1; at < size; at += (size_t)k) {
			k = con_frame_parse(data + at, size - at, 0, &f);
			if (k <= 0)
				break;
			n = cw_frame_json(&f, out, sizeof out);
			if (n)
				check_json(out, n);
		}
		break;
	}
	return 0;
}
