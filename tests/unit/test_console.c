/*
 * test_console.c - the console service's pure parts (con_core.c,
 * con_proto.c): backlog ring, frame parser and request decoders, mode and
 * privilege rules, fault matcher across read boundaries.
 */
#define _GNU_SOURCE /* mincore, memfd_create */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "con_core.h"
#include "con_proto.h"
#include "con_svc.h" /* CON_KEEP_HDR */
#include "psf_schema.h"

/* ------------------------------------------------------------ ring */

static void ring_wraps_keeps_last_bytes(void **st)
{
	struct con_ring r;
	uint8_t out[16];
	uint64_t from = 0;
	size_t n;

	(void)st;
	assert_int_equal(con_ring_init(&r, 8), 0);
	con_ring_push(&r, (const uint8_t *)"abcde", 5);
	n = con_ring_read(&r, &from, out, sizeof out);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "abcde", 5);
	con_ring_push(&r, (const uint8_t *)"fghijk", 6);
	assert_int_equal(r.total, 11);
	assert_int_equal(con_ring_first(&r), 3);
	from = 0; /* older than the ring: raised to its first byte */
	n = con_ring_read(&r, &from, out, sizeof out);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "defghijk", 8);
	assert_int_equal(from, 11);
	from = 9; /* a partial read from inside */
	n = con_ring_read(&r, &from, out, 1);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'j');
	con_ring_free(&r);
}

static void ring_push_larger_than_ring(void **st)
{
	struct con_ring r;
	uint8_t out[4];
	uint64_t from = 0;

	(void)st;
	assert_int_equal(con_ring_init(&r, 4), 0);
	con_ring_push(&r, (const uint8_t *)"0123456789", 10);
	assert_int_equal(r.total, 10);
	assert_int_equal(con_ring_read(&r, &from, out, 4), 4);
	assert_memory_equal(out, "6789", 4);
	con_ring_free(&r);
}

/* ------------------------------------------------------------ frames */

/* Pages of the ring's buffer (cap + slack) in memory (mincore: for a
 * memfd, the file's pages that exist). */
static size_t ring_resident(const struct con_ring *r)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (r->size + pg - 1) / pg,
	       i, k = 0;
	unsigned char v[64];

	assert_true(n <= sizeof v);
	assert_int_equal(mincore(r->buf, r->size, v), 0);
	for (i = 0; i < n; i++)
		k += v[i] & 1;
	return k;
}

/* Pushes 200000 bytes into r (cap 128 KiB) in three steps and checks that
 * the pages in memory are those output reached, no more; fd >= 0: the
 * ring is in that memfd, whose allocated size must agree. */
static void ring_fills_page_by_page(struct con_ring *r, int fd)
{
	static uint8_t in[200000], out[sizeof in];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), i;
	const size_t step[3][2] = { { 0, 100 }, { 100, 3 * pg }, { 3 * pg,
							 sizeof in } };
	const size_t want[3] = { 1, 3, r->size / pg };
	uint64_t from = 0;
	struct stat st;

	for (i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(ring_resident(r), 0);
	for (i = 0; i < 3; i++) {
		size_t at, k;

		/* In reads of at most a page, as from a guest: the last
		 * step goes round the whole buffer. */
		for (at = step[i][0]; at < step[i][1]; at += k) {
			k = step[i][1] - at < pg ? step[i][1] - at : pg;
			con_ring_push(r, in + at, k);
		}
		assert_int_equal(ring_resident(r), want[i]);
		if (fd >= 0) { /* the ring's pages, and the header's one */
			assert_int_equal(fstat(fd, &st), 0);
			assert_int_equal((size_t)st.st_blocks * 512,
					 (want[i] + 1) * pg);
		}
	}
	assert_int_equal(con_ring_read(r, &from, out, sizeof out), r->cap);
	assert_memory_equal(out, in + sizeof in - r->cap, r->cap);
}

/* The backlog takes memory as output fills it, whatever the heap held
 * before (freed, written blocks of the ring's size are what a heap ring
 * would be given): 1000 idle ports cost no 128 MB. */
static void ring_memory_follows_output(void **st)
{
	size_t cap = 128u * 1024u, i;
	struct con_ring r;

	(void)st;
	for (i = 0; i < 8; i++) {
		void *dirty = malloc(con_ring_bytes(cap));

		assert_non_null(dirty);
		memset(dirty, 0x55, con_ring_bytes(cap));
		free(dirty);
	}
	assert_int_equal(con_ring_init(&r, cap), 0);
	ring_fills_page_by_page(&r, -1);
	con_ring_free(&r);
	assert_null(r.buf);
}

/* The same for a ring in a memfd, as a port keeps it across restarts
 * (con_keep.c: a header page, then the ring, in a file made by
 * ftruncate, so sparse): the file's pages too exist only where output
 * reached. */
static void ring_in_memfd_follows_output(void **st)
{
	size_t cap = 128u * 1024u, len = CON_KEEP_HDR + con_ring_bytes(cap);
	int fd = memfd_create("ring", MFD_CLOEXEC);
	struct con_ring r;
	uint8_t *m;

	(void)st;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	m[0] = 1; /* the header (con_keep_open writes it) */
	con_ring_attach(&r, m + CON_KEEP_HDR, cap, 0);
	ring_fills_page_by_page(&r, fd);
	con_ring_free(&r); /* not ours: the mapping stays */
	assert_int_equal(m[0], 1);
	munmap(m, len);
	close(fd);
}

static void frame_parse_whole_partial_bad(void **st)
{
	uint8_t b[16] = { CON_HELLO, 1, 0, 1, CON_LIST, 0, 0 };
	struct con_frame f;

	(void)st;
	assert_int_equal(con_frame_parse(b, 2, 1, &f), 0);  /* header cut */
	assert_int_equal(con_frame_parse(b, 3, 1, &f), 0);  /* payload cut */
	assert_int_equal(con_frame_parse(b, 7, 1, &f), 4);
	assert_int_equal(f.type, CON_HELLO);
	assert_int_equal(f.len, 1);
	assert_int_equal(f.p[0], 1);
	assert_int_equal(con_frame_parse(b + 4, 3, 1, &f), 3);
	assert_int_equal(f.type, CON_LIST);
	/* Oversized: refused from the header alone, before the bytes come. */
	b[0] = CON_INPUT;
	con_put16(b + 1, CON_PAYLOAD_MAX + 1);
	assert_int_equal(con_frame_parse(b, 3, 1, &f), -1);
	con_put16(b + 1, CON_PAYLOAD_MAX);
	assert_int_equal(con_frame_parse(b, 3, 1, &f), 0);
	/* Unknown types, and replies sent by a client. */
	b[0] = 0;
	assert_int_equal(con_frame_parse(b, 3, 1, &f), -1);
	b[0] = CON_R_DATA;
	assert_int_equal(con_frame_parse(b, 3, 1, &f), -1);
	con_put16(b + 1, 0);
	assert_int_equal(con_frame_parse(b, 3, 0, &f), 3);
}

static struct con_frame mk(uint8_t type, const void *p, size_t n)
{
	struct con_frame f = { type, (uint16_t)n, p };
	return f;
}

static void decode_requests(void **st)
{
	struct con_attach a;
	const char *why = NULL;
	unsigned v;
	struct con_frame f;

	(void)st;
	f = mk(CON_ATTACH, "\0web01-con", 10);
	assert_int_equal(con_decode_attach(&f, 1, &a, &why), 0);
	assert_string_equal(a.target, "web01-con");
	assert_int_equal(a.conc, 0);
	assert_int_equal(a.how, CON_RW);
	f = mk(CON_ATTACH, "\001" "7001", 5);
	assert_int_equal(con_decode_attach(&f, 1, &a, &why), 0);
	assert_int_equal(a.conc, 7001);
	assert_int_equal(a.how, CON_SPY);
	f = mk(CON_ATTACH, "\002x", 2);      /* how */
	assert_int_equal(con_decode_attach(&f, 1, &a, &why), -1);
	f = mk(CON_ATTACH, "\0a b", 4);      /* space */
	assert_int_equal(con_decode_attach(&f, 1, &a, &why), -1);
	assert_non_null(strstr(why, "host name"));
	f = mk(CON_ATTACH, "\0" "70000", 6); /* port out of range */
	assert_int_equal(con_decode_attach(&f, 1, &a, &why), -1);
	f = mk(CON_ATTACH, "\0", 1);         /* empty target */
	assert_int_equal(con_decode_attach(&f, 1, &a, &why), -1);
	f = mk(CON_MODE, "\002", 1);
	assert_int_equal(con_decode_mode(&f, &v, &why), 0);
	assert_int_equal(v, PSF_SERIAL_MODE_PRIVACY);
	f = mk(CON_MODE, "\003", 1);
	assert_int_equal(con_decode_mode(&f, &v, &why), -1);
	f = mk(CON_HELLO, "\001\001", 2);
	assert_int_equal(con_decode_hello(&f, &v, &why), -1);
}

static void port_info_round_trip(void **st)
{
	static struct con_port_info in, out;
	static uint8_t b[CON_PAYLOAD_MAX];
	struct con_frame f;
	size_t n;

	(void)st;
	in.conc = 7001;
	in.mode = PSF_SERIAL_MODE_OBSERVER;
	in.guest = 1;
	in.writer = 1000;
	in.nusers = 2;
	in.uid[0] = 1000;
	in.uid[1] = 0;
	in.how[1] = CON_SPY;
	in.faults = 1;
	in.out_total = 1ull << 40;
	strcpy(in.host, "web01-con");
	strcpy(in.vm, "web01");
	memset(in.fault, 'x', sizeof in.fault - 1);
	n = con_encode_port(&in, b);
	assert_true(n <= CON_PAYLOAD_MAX);
	f = mk(CON_R_PORT, b, n);
	assert_int_equal(con_decode_port(&f, &out), 0);
	assert_memory_equal(&in, &out, sizeof in);
	f.len = (uint16_t)(n - 1); /* truncated: refused, not overread */
	assert_int_equal(con_decode_port(&f, &out), -1);
}

/* The store part (several stores): every field at its longest, read back
 * whole; without it (an older service) the frame still decodes; a
 * decoder of before it (stopping after the fault text) still reads the
 * rest; cut anywhere inside it, refused. */
static void port_info_stores(void **st)
{
	static struct con_port_info in, out;
	static uint8_t b[CON_PAYLOAD_MAX];
	struct con_frame f;
	size_t n, base, cut;
	unsigned i;

	(void)st;
	in.conc = 7001;
	in.nusers = CON_USERS_MAX;
	memset(in.host, 'h', CON_NAME_MAX);
	memset(in.vm, 'v', CON_NAME_MAX);
	memset(in.fault, 'x', sizeof in.fault - 1);
	n = con_encode_port(&in, b);          /* no store: no store part */
	f = mk(CON_R_PORT, b, n);
	assert_int_equal(con_decode_port(&f, &out), 0);
	assert_string_equal(out.store, "");
	base = n;
	memset(in.store, 's', CON_NAME_MAX);
	in.flags = CON_PORT_LEAVING;
	in.nclaims = CON_CLAIMS_MAX;
	for (i = 0; i < CON_CLAIMS_MAX; i++) {
		in.claim[i].kind = i & 1 ? CON_CLAIM_CLASH : CON_CLAIM_MOVE;
		memset(in.claim[i].store, 'a' + (int)i, CON_NAME_MAX);
		memset(in.claim[i].vm, 'm' + (int)i, CON_NAME_MAX);
	}
	n = con_encode_port(&in, b);
	assert_true(n <= CON_PAYLOAD_MAX);
	assert_int_equal(n, base + 1 + CON_NAME_MAX + 2 +
			 CON_CLAIMS_MAX * (3 + 2 * CON_NAME_MAX));
	f = mk(CON_R_PORT, b, n);
	assert_int_equal(con_decode_port(&f, &out), 0);
	assert_memory_equal(&in, &out, sizeof in);
	for (cut = base + 1; cut < n; cut += 97) {
		f.len = (uint16_t)cut;
		assert_int_equal(con_decode_port(&f, &out), -1);
	}
	b[base + 1 + CON_NAME_MAX + 1] = CON_CLAIMS_MAX + 1; /* too many */
	f.len = (uint16_t)n;
	assert_int_equal(con_decode_port(&f, &out), -1);
}

/* ------------------------------------------------------------ rules */

static int allow(unsigned mode, unsigned others, int writer, int role,
		 unsigned how, enum con_act act)
{
	struct con_view v = { mode, others, writer, role, how, 0 };
	const char *why;

	return con_allow(&v, act, &why);
}

static void rules_modes(void **st)
{
	enum { A = CON_ROLE_ADMIN, O = CON_ROLE_OPERATOR };
	const unsigned F = PSF_SERIAL_MODE_FREE, B = PSF_SERIAL_MODE_OBSERVER,
		       P = PSF_SERIAL_MODE_PRIVACY;

	(void)st;
	/* free: everyone read-write types, even with a writer set. */
	assert_int_equal(allow(F, 3, 0, A, CON_RW, CON_ACT_INPUT), 0);
	/* observer: the second writer is refused, the writer types. */
	assert_int_equal(allow(B, 1, 0, A, CON_RW, CON_ACT_INPUT),
			 CON_E_NOTWRITER);
	assert_int_equal(allow(B, 1, 1, A, CON_RW, CON_ACT_INPUT), 0);
	assert_int_equal(allow(B, 1, -1, A, CON_RW, CON_ACT_INPUT), 0);
	/* privacy: a second attach, even as a spy, is refused. */
	assert_int_equal(allow(P, 1, 0, A, CON_SPY, CON_ACT_ATTACH),
			 CON_E_PRIVATE);
	assert_int_equal(allow(P, 0, -1, A, CON_RW, CON_ACT_ATTACH), 0);
	assert_int_equal(allow(F, 0, -1, A, CON_RW, CON_ACT_MODE), 0);
	/* spy never types nor forces. */
	assert_int_equal(allow(F, 0, -1, A, CON_SPY, CON_ACT_INPUT),
			 CON_E_SPY);
	assert_int_equal(allow(B, 1, 0, A, CON_SPY, CON_ACT_FORCE),
			 CON_E_SPY);
	assert_int_equal(allow(B, 1, 0, A, CON_RW, CON_ACT_FORCE), 0);
	/* privacy with others attached: refused (busy). */
	{
		struct con_view v = { F, 1, 1, A, CON_RW, P };
		const char *why;

		assert_int_equal(con_allow(&v, CON_ACT_MODE, &why),
				 CON_E_BUSY);
		v.others = 0;
		assert_int_equal(con_allow(&v, CON_ACT_MODE, &why), 0);
	}
	/* operators: spy and nothing else. */
	assert_int_equal(allow(F, 0, -1, O, CON_SPY, CON_ACT_ATTACH), 0);
	assert_int_equal(allow(F, 0, -1, O, CON_RW, CON_ACT_ATTACH),
			 CON_E_PERM);
	assert_int_equal(allow(F, 0, -1, O, CON_RW, CON_ACT_INPUT),
			 CON_E_PERM);
	assert_int_equal(allow(F, 0, -1, O, CON_RW, CON_ACT_MODE),
			 CON_E_PERM);
	assert_int_equal(allow(F, 0, -1, O, CON_RW, CON_ACT_RELOAD),
			 CON_E_PERM);
}

static void rules_roles(void **st)
{
	(void)st;
	assert_int_equal(con_role(0, 1000, 0), CON_ROLE_ADMIN);
	assert_int_equal(con_role(1000, 1000, 0), CON_ROLE_ADMIN);
	assert_int_equal(con_role(1001, 1000, 1), CON_ROLE_ADMIN);
	assert_int_equal(con_role(1001, 1000, 0), CON_ROLE_OPERATOR);
}

/* ------------------------------------------------------------ faults */

struct hits {
	unsigned n, pat[8];
	size_t end[8];
	size_t base, abs[8];
};

static void on_hit(void *arg, unsigned pat, size_t end)
{
	struct hits *h = arg;

	if (h->n < 8) {
		h->pat[h->n] = pat;
		h->end[h->n] = end;
		h->abs[h->n] = h->base + end;
	}
	h->n++;
}

/* The text fed in pieces of every size 1..len: one match each time, at
 * the same absolute offset. */
static void faults_across_boundaries(void **st)
{
	const char *text = "boot ok\r\n[ 1.0] Kernel panic - not syncing: "
			   "VFS\r\nOops: 0000 [#1] SMP\r\nKernel pan";
	size_t len = strlen(text), step, at;
	struct con_patterns ps;

	(void)st;
	con_patterns_default(&ps);
	for (step = 1; step <= len; step++) {
		struct con_match m = { { 0 } };
		struct hits h = { 0 };

		for (at = 0; at < len; at += step) {
			size_t n = len - at < step ? len - at : step;

			h.base = at;
			con_fault_scan(&ps, &m, (const uint8_t *)text + at, n,
				       on_hit, &h);
		}
		assert_int_equal(h.n, 2);
		/* Pattern order within a piece may differ; both are there. */
		assert_true((h.pat[0] == 0 && h.pat[1] == 1) ||
			    (h.pat[0] == 1 && h.pat[1] == 0));
		assert_true(h.abs[0] == (size_t)(strstr(text, "syncing") -
						 text + 7) ||
			    h.abs[1] == (size_t)(strstr(text, "syncing") -
						 text + 7));
	}
}

static void faults_custom_and_overlap(void **st)
{
	struct con_patterns ps = { 0 };
	struct con_match m = { { 0 } };
	struct hits h = { 0 };
	const char *why = NULL;
	char big[CON_PAT_LEN + 2];
	unsigned i;

	(void)st;
	assert_int_equal(con_patterns_add(&ps, "aab", &why), 0);
	/* "aaab": the matcher falls back inside the pattern (KMP). */
	con_fault_scan(&ps, &m, (const uint8_t *)"aaa", 3, on_hit, &h);
	con_fault_scan(&ps, &m, (const uint8_t *)"b", 1, on_hit, &h);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.end[0], 1);
	assert_int_equal(con_patterns_add(&ps, "", &why), -1);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(con_patterns_add(&ps, big, &why), -1);
	for (i = ps.n; i < CON_PAT_MAX; i++)
		assert_int_equal(con_patterns_add(&ps, "z", &why), 0);
	assert_int_equal(con_patterns_add(&ps, "z", &why), -1);
	assert_non_null(strstr(why, "16"));
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(ring_wraps_keeps_last_bytes),
		cmocka_unit_test(ring_push_larger_than_ring),
		cmocka_unit_test(ring_memory_follows_output),
		cmocka_unit_test(ring_in_memfd_follows_output),
		cmocka_unit_test(frame_parse_whole_partial_bad),
		cmocka_unit_test(decode_requests),
		cmocka_unit_test(port_info_round_trip),
		cmocka_unit_test(port_info_stores),
		cmocka_unit_test(rules_modes),
		cmocka_unit_test(rules_roles),
		cmocka_unit_test(faults_across_boundaries),
		cmocka_unit_test(faults_custom_and_overlap),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
