/*
 * con_proto.c - frames of the console client protocol (con_proto.h,
 * docs/console.md): parse, decode, encode.  Every length is checked
 * against the bytes present before it is used: this is what hostile
 * clients reach first (tests/fuzz/fuzz_console.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "con_proto.h"
#include "pstate.h"

void con_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void con_put32(uint8_t *p, uint32_t v)
{
	con_put16(p, v & 0xffffu);
	con_put16(p + 2, v >> 16);
}

void con_put64(uint8_t *p, uint64_t v)
{
	con_put32(p, (uint32_t)v);
	con_put32(p + 4, (uint32_t)(v >> 32));
}

unsigned con_get16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

uint32_t con_get32(const uint8_t *p)
{
	return (uint32_t)con_get16(p) | (uint32_t)con_get16(p + 2) << 16;
}

uint64_t con_get64(const uint8_t *p)
{
	return (uint64_t)con_get32(p) | (uint64_t)con_get32(p + 4) << 32;
}

long long con_seq_take(uint64_t next, uint64_t off, size_t n)
{
	if (off > next)
		return -1;
	return next - off >= n ? (long long)n : (long long)(next - off);
}

const char *con_mode_name(unsigned mode)
{
	const struct ps_enum *e;

	for (e = ps_enum_serial_mode; e->name; e++)
		if (e->value == mode)
			return e->name;
	return NULL;
}

const char *con_err_name(unsigned code)
{
	static const char *const n[] = {
		"?", "protocol", "version", "no-port", "permission",
		"private", "not-writer", "busy", "guest", "store", "spy",
		"token",
	};

	return code < sizeof n / sizeof n[0] ? n[code] : "?";
}

int con_frame_parse(const uint8_t *buf, size_t n, int from_client,
		    struct con_frame *f)
{
	size_t len;

	if (n < CON_HDR)
		return 0;
	len = con_get16(buf + 1);
	if (len > CON_PAYLOAD_MAX)
		return -1;
	if (from_client && (buf[0] < CON_HELLO || buf[0] > CON_MIGRATE))
		return -1;
	if (!from_client && (buf[0] < CON_R_HELLO || buf[0] > CON_R_ACK))
		return -1;
	if (n < CON_HDR + len)
		return 0;
	f->type = buf[0];
	f->len = (uint16_t)len;
	f->p = buf + CON_HDR;
	return (int)(CON_HDR + len);
}

void con_frame_hdr(uint8_t *out, uint8_t type, size_t len)
{
	out[0] = type;
	con_put16(out + 1, (unsigned)len);
}

int con_frame_send(int fd, uint8_t type, const void *p, size_t n)
{
	uint8_t b[CON_HDR + CON_PAYLOAD_MAX];
	size_t off = 0, len = CON_HDR + n;
	ssize_t w;

	if (fd < 0 || n > CON_PAYLOAD_MAX) {
		errno = EINVAL;
		return -1;
	}
	con_frame_hdr(b, type, n);
	if (n)
		memcpy(b + CON_HDR, p, n);
	/* MSG_NOSIGNAL: a peer gone meanwhile is an error (a client then
	 * reconnects), not a SIGPIPE. */
	while (off < len) {
		w = send(fd, b + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int con_decode_hello(const struct con_frame *f, unsigned *version,
		     const char **why)
{
	if (f->type != CON_HELLO || f->len != 1) {
		*why = "hello: one byte, the protocol version";
		return -1;
	}
	*version = f->p[0];
	return 0;
}

/* A target is a host name (printable, no space) or a decimal port. */
static int target_ok(const uint8_t *p, size_t n, unsigned long *conc)
{
	size_t i;
	int digits = 1;

	*conc = 0;
	for (i = 0; i < n; i++) {
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return 0;
		if (p[i] < '0' || p[i] > '9')
			digits = 0;
	}
	if (digits && n <= 5) {
		for (i = 0; i < n; i++)
			*conc = *conc * 10 + (unsigned long)(p[i] - '0');
		if (*conc == 0 || *conc > 65535)
			return 0;
	}
	return 1;
}

/* The target after hdr bytes of f's payload into out (NUL-ended);
 * -1 when it is none. */
static int take_target(const struct con_frame *f, size_t hdr, char *out,
		       unsigned long *conc)
{
	size_t n = f->len - hdr;

	if (!target_ok(f->p + hdr, n, conc))
		return -1;
	memcpy(out, f->p + hdr, n);
	out[n] = 0;
	return 0;
}

int con_decode_attach(const struct con_frame *f, unsigned version,
		      struct con_attach *a, const char **why)
{
	size_t hdr = version >= 2 ? CON_ATTACH_V2 : 1;

	if (f->type != CON_ATTACH || f->len < hdr + 1 ||
	    f->len > hdr + CON_NAME_MAX) {
		*why = version >= 2
		       ? "attach: [how u8][epoch u64][from u64][stream u64]"
			 "[host name or port, 1-255 bytes]"
		       : "attach: [how u8][host name or port, 1-255 bytes]";
		return -1;
	}
	a->how = f->p[0];
	if (a->how != CON_RW && a->how != CON_SPY) {
		*why = "attach: how is 0 (read-write) or 1 (spy)";
		return -1;
	}
	a->epoch = version >= 2 ? con_get64(f->p + 1) : 0;
	a->from = version >= 2 ? con_get64(f->p + 9) : 0;
	a->stream = version >= 2 ? con_get64(f->p + 17) : 0;
	if (take_target(f, hdr, a->target, &a->conc)) {
		*why = "attach: the target is a host name (printable ASCII, "
		       "no space) or a port number 1-65535";
		return -1;
	}
	return 0;
}

size_t con_encode_attach(const struct con_attach *a, unsigned version,
			 uint8_t *out)
{
	size_t hdr = version >= 2 ? CON_ATTACH_V2 : 1, n = strlen(a->target);

	if (n > CON_NAME_MAX)
		n = CON_NAME_MAX;
	out[0] = a->how;
	if (version >= 2) {
		con_put64(out + 1, a->epoch);
		con_put64(out + 9, a->from);
		con_put64(out + 17, a->stream);
	}
	memcpy(out + hdr, a->target, n);
	return hdr + n;
}

size_t con_encode_attach_ok(const struct con_attach_ok *o, unsigned version,
			    uint8_t *out)
{
	out[0] = CON_ATTACH;
	con_put16(out + 1, o->conc);
	out[3] = (uint8_t)o->mode;
	out[4] = (uint8_t)o->how;
	out[5] = (uint8_t)o->guest;
	out[6] = 0;
	con_put64(out + 7, o->first);
	con_put64(out + 15, o->total);
	if (version < 2)
		return CON_ATTACH_OK_V1;
	con_put64(out + 23, o->epoch);
	con_put64(out + 31, o->start);
	con_put64(out + 39, o->written);
	return CON_ATTACH_OK_V2;
}

int con_decode_attach_ok(const struct con_frame *f, unsigned version,
			 struct con_attach_ok *o)
{
	size_t want = version >= 2 ? CON_ATTACH_OK_V2 : CON_ATTACH_OK_V1;

	if (f->type != CON_R_OK || f->len != want || f->p[0] != CON_ATTACH)
		return -1;
	memset(o, 0, sizeof *o);
	o->conc = con_get16(f->p + 1);
	o->mode = f->p[3];
	o->how = f->p[4];
	o->guest = f->p[5];
	o->first = con_get64(f->p + 7);
	o->total = con_get64(f->p + 15);
	o->start = o->first;
	if (version >= 2) {
		o->epoch = con_get64(f->p + 23);
		o->start = con_get64(f->p + 31);
		o->written = con_get64(f->p + 39);
	}
	return 0;
}

int con_decode_input(const struct con_frame *f, unsigned version,
		     uint64_t *off, const uint8_t **p, size_t *n,
		     const char **why)
{
	size_t hdr = version >= 2 ? 8 : 0;

	if (f->type != CON_INPUT || f->len < hdr) {
		*why = "input: [offset u64][bytes]";
		return -1;
	}
	*off = hdr ? con_get64(f->p) : 0;
	*p = f->p + hdr;
	*n = f->len - hdr;
	return 0;
}

int con_decode_mode(const struct con_frame *f, unsigned *mode,
		    const char **why)
{
	if (f->type != CON_MODE || f->len != 1 || !con_mode_name(f->p[0])) {
		*why = "mode: one byte, 0 free, 1 observer, 2 privacy";
		return -1;
	}
	*mode = f->p[0];
	return 0;
}

int con_decode_migrate(const struct con_frame *f, struct con_migrate *m,
		       const char **why)
{
	if (f->type != CON_MIGRATE || f->len < CON_MIGRATE_HDR + 1 ||
	    f->len > CON_MIGRATE_HDR + CON_NAME_MAX ||
	    f->p[0] < CON_MIG_BEGIN || f->p[0] > CON_MIG_ABORT) {
		*why = "migrate: [op u8: 1 begin, 2 paused, 3 resumed, 4 "
		       "abort][token 16 bytes][host name or port, 1-255 bytes]";
		return -1;
	}
	m->op = f->p[0];
	memcpy(m->token, f->p + 1, CON_TOKEN_LEN);
	if (take_target(f, CON_MIGRATE_HDR, m->target, &m->conc)) {
		*why = "migrate: the target is a host name (printable ASCII, "
		       "no space) or a port number 1-65535";
		return -1;
	}
	return 0;
}

size_t con_encode_migrate(const struct con_migrate *m, uint8_t *out)
{
	size_t n = strlen(m->target);

	if (n > CON_NAME_MAX)
		n = CON_NAME_MAX;
	out[0] = m->op;
	memcpy(out + 1, m->token, CON_TOKEN_LEN);
	memcpy(out + CON_MIGRATE_HDR, m->target, n);
	return CON_MIGRATE_HDR + n;
}

/* ------------------------------------------------------------ ports */

static size_t put_str(uint8_t *p, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		n = max;
	p[0] = (uint8_t)n;
	memcpy(p + 1, s, n);
	return n + 1;
}

size_t con_encode_port(const struct con_port_info *pi, uint8_t *out)
{
	size_t o = 0, i, n, nc, nu = pi->nusers;

	if (nu > CON_USERS_MAX)
		nu = CON_USERS_MAX;
	con_put16(out, pi->conc);
	out[2] = (uint8_t)pi->mode;
	out[3] = (uint8_t)pi->guest;
	con_put32(out + 4, pi->writer);
	con_put16(out + 8, (unsigned)nu);
	con_put16(out + 10, pi->faults);
	con_put64(out + 12, pi->out_total);
	o = 20;
	o += put_str(out + o, pi->host, CON_NAME_MAX);
	o += put_str(out + o, pi->vm, CON_NAME_MAX);
	for (i = 0; i < nu; i++, o += 5) {
		con_put32(out + o, pi->uid[i]);
		out[o + 4] = pi->how[i];
	}
	n = strlen(pi->fault);
	if (n > sizeof pi->fault - 1)
		n = sizeof pi->fault - 1;
	con_put16(out + o, (unsigned)n);
	memcpy(out + o + 2, pi->fault, n);
	o += 2 + n; /* <= 20 + 512 + 320 + 2 + 2047 */
	if (!pi->store[0])
		return o;
	o += put_str(out + o, pi->store, CON_NAME_MAX);
	out[o++] = (uint8_t)pi->flags;
	nc = pi->nclaims < CON_CLAIMS_MAX ? pi->nclaims : CON_CLAIMS_MAX;
	out[o++] = (uint8_t)nc;
	for (i = 0; i < nc; i++) {
		out[o++] = (uint8_t)pi->claim[i].kind;
		o += put_str(out + o, pi->claim[i].store, CON_NAME_MAX);
		o += put_str(out + o, pi->claim[i].vm, CON_NAME_MAX);
	}
	return o; /* + 258 + 4 x 513 = 4961 < CON_PAYLOAD_MAX */
}

static int get_str(const uint8_t *p, size_t n, size_t *o, char *out)
{
	size_t l;

	if (*o >= n || (l = p[*o]) > n - *o - 1)
		return -1;
	memcpy(out, p + *o + 1, l);
	out[l] = 0;
	*o += l + 1;
	return 0;
}

int con_decode_port(const struct con_frame *f, struct con_port_info *pi)
{
	const uint8_t *p = f->p;
	size_t n = f->len, o = 20, i, l;

	if (f->type != CON_R_PORT || n < o)
		return -1;
	memset(pi, 0, sizeof *pi);
	pi->conc = con_get16(p);
	pi->mode = p[2];
	pi->guest = p[3];
	pi->writer = con_get32(p + 4);
	pi->nusers = con_get16(p + 8);
	pi->faults = con_get16(p + 10);
	pi->out_total = con_get64(p + 12);
	if (pi->nusers > CON_USERS_MAX || get_str(p, n, &o, pi->host) ||
	    get_str(p, n, &o, pi->vm) || n - o < pi->nusers * 5u + 2)
		return -1;
	for (i = 0; i < pi->nusers; i++, o += 5) {
		pi->uid[i] = con_get32(p + o);
		pi->how[i] = p[o + 4];
	}
	l = con_get16(p + o);
	if (l > n - o - 2 || l > sizeof pi->fault - 1)
		return -1;
	memcpy(pi->fault, p + o + 2, l);
	pi->fault[l] = 0;
	o += 2 + l;
	if (o == n) /* a service of one store, or an older one */
		return 0;
	if (get_str(p, n, &o, pi->store) || n - o < 2)
		return -1;
	pi->flags = p[o];
	pi->nclaims = p[o + 1];
	o += 2;
	if (pi->nclaims > CON_CLAIMS_MAX)
		return -1;
	for (i = 0; i < pi->nclaims; i++) {
		if (o >= n)
			return -1;
		pi->claim[i].kind = p[o++];
		if (get_str(p, n, &o, pi->claim[i].store) ||
		    get_str(p, n, &o, pi->claim[i].vm))
			return -1;
	}
	return 0;
}
