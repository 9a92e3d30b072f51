/*
 * con_core.c - backlog ring, fault matcher, mode and privilege rules
 * (con_core.h).  No I/O: the service (pscon.c, con_port.c, con_client.c)
 * calls these and acts on the answers.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include <string.h>
#include <sys/mman.h>

#include "con_core.h"
#include "con_proto.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ ring */

size_t con_ring_bytes(size_t cap)
{
	return (cap ? cap : 1) + CON_RING_SLACK;
}

int con_ring_init(struct con_ring *r, size_t cap)
{
	/* Address space reserved at once, backed page by page as output
	 * first reaches it; MAP_NORESERVE: no commit charge for backlog the
	 * port may never fill. */
	void *m = mmap(NULL, con_ring_bytes(cap), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	con_ring_attach(r, m == MAP_FAILED ? NULL : m, cap, 0);
	r->owned = 1;
	return r->buf ? 0 : -1;
}

void con_ring_attach(struct con_ring *r, uint8_t *buf, size_t cap,
		     uint64_t total)
{
	r->buf = buf;
	r->cap = cap ? cap : 1;
	r->size = con_ring_bytes(cap);
	r->total = total;
	r->owned = 0;
}

void con_ring_free(struct con_ring *r)
{
	if (r->owned && r->buf)
		munmap(r->buf, r->size);
	r->buf = NULL;
}

size_t con_ring_space(const struct con_ring *r, uint8_t **p)
{
	size_t at = (size_t)(r->total % r->size), k = r->size - at;

	*p = r->buf + at;
	return k < CON_RING_SLACK ? k : CON_RING_SLACK;
}

void con_ring_commit(struct con_ring *r, size_t n)
{
	r->total += n;
}

void con_ring_push(struct con_ring *r, const uint8_t *p, size_t n)
{
	uint8_t *at;
	size_t k;

	if (n > r->cap) { /* only the last cap bytes can stay */
		r->total += n - r->cap;
		p += n - r->cap;
		n = r->cap;
	}
	while (n) {
		k = con_ring_space(r, &at);
		if (k > n)
			k = n;
		memcpy(at, p, k);
		con_ring_commit(r, k);
		p += k;
		n -= k;
	}
}

uint64_t con_ring_first(const struct con_ring *r)
{
	return r->total > r->cap ? r->total - r->cap : 0;
}

size_t con_ring_read(const struct con_ring *r, uint64_t *from, uint8_t *out,
		     size_t max)
{
	size_t got = 0, at, k;
	uint64_t first = con_ring_first(r);

	if (*from < first)
		*from = first;
	while (got < max && *from < r->total) {
		at = (size_t)(*from % r->size);
		k = r->size - at;
		if (k > max - got)
			k = max - got;
		if (k > r->total - *from)
			k = (size_t)(r->total - *from);
		memcpy(out + got, r->buf + at, k);
		got += k;
		*from += k;
	}
	return got;
}

/* ------------------------------------------------------------ resume */

uint64_t con_resume_from(const struct con_ring *r, uint64_t have_epoch,
			 uint64_t epoch, uint64_t from, uint64_t *lost,
			 int *resumed)
{
	uint64_t first = con_ring_first(r);

	*lost = 0;
	*resumed = epoch && epoch == have_epoch && from <= r->total;
	if (!*resumed)
		return first;
	if (from < first)
		*lost = first - from;
	return from;
}

/* ------------------------------------------------------------ faults */

int con_patterns_add(struct con_patterns *ps, const char *s,
		     const char **why)
{
	size_t n = strlen(s), i, k = 0;
	unsigned at = ps->n;

	if (!n || n > CON_PAT_LEN) {
		*why = "a fault pattern is 1-64 bytes";
		return -1;
	}
	if (at >= CON_PAT_MAX) {
		*why = "at most 16 fault patterns";
		return -1;
	}
	memcpy(ps->text[at], s, n);
	ps->len[at] = (uint8_t)n;
	/* KMP failure function: fail[i] = length of the longest proper
	 * border of text[0..i]. */
	ps->fail[at][0] = 0;
	for (i = 1; i < n; i++) {
		while (k && ps->text[at][i] != ps->text[at][k])
			k = ps->fail[at][k - 1];
		if (ps->text[at][i] == ps->text[at][k])
			k++;
		ps->fail[at][i] = (uint8_t)k;
	}
	ps->n++;
	return 0;
}

void con_patterns_default(struct con_patterns *ps)
{
	const char *why;

	ps->n = 0;
	con_patterns_add(ps, "Kernel panic - not syncing", &why);
	con_patterns_add(ps, "Oops", &why);
}

void con_fault_scan(const struct con_patterns *ps, struct con_match *m,
		    const uint8_t *p, size_t n,
		    void (*hit)(void *arg, unsigned pat, size_t end),
		    void *arg)
{
	unsigned j;
	size_t i;

	for (j = 0; j < ps->n; j++) {
		unsigned k = m->st[j];

		for (i = 0; i < n; i++) {
			/* Outside a partial match only the pattern's first
			 * byte matters: memchr skips to it (a byte-by-byte
			 * loop over every pattern was a quarter of the
			 * service's CPU at full output rate). */
			if (!k) {
				const uint8_t *q = memchr(p + i,
							  ps->text[j][0],
							  n - i);

				if (!q)
					break;
				i = (size_t)(q - p);
			}
			while (k && p[i] != ps->text[j][k])
				k = ps->fail[j][k - 1];
			if (p[i] == ps->text[j][k])
				k++;
			if (k == ps->len[j]) {
				hit(arg, j, i + 1);
				k = ps->fail[j][k - 1];
			}
		}
		m->st[j] = (uint8_t)k;
	}
}

/* ------------------------------------------------------------ rules */

int con_role(uint32_t uid, uint32_t service_uid, int in_admin_group)
{
	return uid == 0 || uid == service_uid || in_admin_group
	       ? CON_ROLE_ADMIN : CON_ROLE_OPERATOR;
}

static int refuse(int code, const char *text, const char **why)
{
	*why = text;
	return code;
}

int con_allow(const struct con_view *v, enum con_act act, const char **why)
{
	int admin = v->role == CON_ROLE_ADMIN;

	switch (act) {
	case CON_ACT_ATTACH:
		if (v->mode == PSF_SERIAL_MODE_PRIVACY && v->others)
			return refuse(CON_E_PRIVATE, "the port is in privacy "
				      "mode and another user is attached", why);
		if (v->how == CON_RW && !admin)
			return refuse(CON_E_PERM, "operators may only spy "
				      "(attach read-only)", why);
		return 0;
	case CON_ACT_INPUT:
		if (v->how == CON_SPY)
			return refuse(CON_E_SPY, "attached as a spy: "
				      "read-only", why);
		if (!admin)
			return refuse(CON_E_PERM, "operators may not type",
				      why);
		if (v->mode == PSF_SERIAL_MODE_OBSERVER && v->writer == 0)
			return refuse(CON_E_NOTWRITER, "observer mode: another "
				      "user is the writer (force takes it)",
				      why);
		return 0;
	case CON_ACT_FORCE:
		if (v->how == CON_SPY)
			return refuse(CON_E_SPY, "attached as a spy: "
				      "read-only", why);
		return admin ? 0 : refuse(CON_E_PERM, "operators may not "
					  "force", why);
	case CON_ACT_MODE:
		if (!admin)
			return refuse(CON_E_PERM, "operators may not change "
				      "modes", why);
		if (v->new_mode == PSF_SERIAL_MODE_PRIVACY && v->others)
			return refuse(CON_E_BUSY, "privacy needs the asker to "
				      "be the port's only user", why);
		return 0;
	case CON_ACT_RELOAD:
		return admin ? 0 : refuse(CON_E_PERM, "operators may not "
					  "reload", why);
	}
	return refuse(CON_E_PROTO, "unknown action", why);
}
