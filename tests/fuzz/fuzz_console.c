/*
 * fuzz_console.c - the console client protocol under libFuzzer: the frame
 * parser over any byte stream (as the service reads a session, in any
 * split), each request decoder on what it finds, and the list-entry
 * decoder a client runs on the service's replies.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "con_core.h"
#include "con_proto.h"

static void one(const struct con_frame *f)
{
	struct con_attach a;
	struct con_port_info pi;
	const char *why;
	unsigned v;

	switch (f->type) {
	case CON_HELLO: con_decode_hello(f, &v, &why); break;
	case CON_ATTACH:
		if (!con_decode_attach(f, 1, &a, &why) &&
		    strlen(a.target) != f->len - 1u)
			__builtin_trap();
		if (!con_decode_attach(f, 2, &a, &why) &&
		    strlen(a.target) != f->len - CON_ATTACH_V2)
			__builtin_trap();
		break;
	case CON_INPUT: {
		const uint8_t *p;
		uint64_t off;
		size_t n;

		if (!con_decode_input(f, 2, &off, &p, &n, &why) &&
		    n != f->len - 8u)
			__builtin_trap();
		break;
	}
	case CON_R_OK: {
		struct con_attach_ok o;

		con_decode_attach_ok(f, 1, &o);
		con_decode_attach_ok(f, 2, &o);
		break;
	}
	case CON_MODE:
		if (!con_decode_mode(f, &v, &why) && !con_mode_name(v))
			__builtin_trap();
		break;
	case CON_R_PORT: con_decode_port(f, &pi); break;
	case CON_MIGRATE: {
		struct con_migrate m;

		if (!con_decode_migrate(f, &m, &why) &&
		    (strlen(m.target) != f->len - CON_MIGRATE_HDR ||
		     m.op < CON_MIG_BEGIN || m.op > CON_MIG_ABORT))
			__builtin_trap();
		break;
	}
	}
}

static void on_hit(void *arg, unsigned pat, size_t end)
{
	(void)pat;
	(void)end;
	++*(unsigned *)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned hits;
	uint8_t *copy;
	struct con_patterns ps;
	struct con_match m = { { 0 } };
	struct con_frame f;
	size_t at = 0;
	int n, side;

	/* Both directions: client requests, then service replies. */
	for (side = 1; side >= 0; side--) {
		for (at = 0; at < size; at += (size_t)n) {
			n = con_frame_parse(data + at, size - at, side, &f);
			if (n <= 0)
				break;
			/* The payload alone, exactly sized, so that an
			 * overread is caught. */
			copy = malloc(f.len ? f.len : 1);
			if (!copy)
				return 0;
			memcpy(copy, f.p, f.len);
			f.p = copy;
			one(&f);
			free(copy);
		}
	}
	/* The fault matcher on the same bytes as guest output. */
	con_patterns_default(&ps);
	con_fault_scan(&ps, &m, data, size, on_hit, &hits);
	return 0;
}
