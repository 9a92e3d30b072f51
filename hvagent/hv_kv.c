/*
 * hv_kv.c - sorted text maps: the common form in which a VM is compared
 * between the store, libvirt and the agent's last-synced record.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"

void hv_kv_init(struct hv_kv *m)
{
	memset(m, 0, sizeof *m);
}

void hv_kv_free(struct hv_kv *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->p[i].k);
		free(m->p[i].v);
	}
	free(m->p);
	hv_kv_init(m);
}

/* Index of k, or where it would go (*found 0). */
static size_t kv_pos(const struct hv_kv *m, const char *k, int *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->p[mid].k, k);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static int kv_remove(struct hv_kv *m, size_t i)
{
	free(m->p[i].k);
	free(m->p[i].v);
	memmove(&m->p[i], &m->p[i + 1], (m->n - i - 1) * sizeof m->p[0]);
	m->n--;
	return 0;
}

int hv_kv_set(struct hv_kv *m, const char *k, const char *v)
{
	int found;
	size_t i = kv_pos(m, k, &found);
	char *nv;

	if (!v)
		return found ? kv_remove(m, i) : 0;
	nv = strdup(v);
	if (!nv)
		return -1;
	if (found) {
		free(m->p[i].v);
		m->p[i].v = nv;
		return 0;
	}
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		struct hv_pair *np = realloc(m->p, nc * sizeof *np);

		if (!np) {
			free(nv);
			return -1;
		}
		m->p = np;
		m->cap = nc;
	}
	m->p[m->n].k = strdup(k);
	if (!m->p[m->n].k) {
		free(nv);
		return -1;
	}
	{
		struct hv_pair t = { m->p[m->n].k, nv };

		memmove(&m->p[i + 1], &m->p[i], (m->n - i) * sizeof m->p[0]);
		m->p[i] = t;
	}
	m->n++;
	return 0;
}

int hv_kv_setf(struct hv_kv *m, const char *k, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return hv_kv_set(m, k, buf);
}

const char *hv_kv_get(const struct hv_kv *m, const char *k)
{
	int found;
	size_t i = kv_pos(m, k, &found);

	return found ? m->p[i].v : NULL;
}

int hv_kv_copy(struct hv_kv *dst, const struct hv_kv *src)
{
	size_t i;

	hv_kv_free(dst);
	for (i = 0; i < src->n; i++)
		if (hv_kv_set(dst, src->p[i].k, src->p[i].v))
			return -1;
	return 0;
}

int hv_kv_equal(const struct hv_kv *a, const struct hv_kv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->p[i].k, b->p[i].k) || strcmp(a->p[i].v, b->p[i].v))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ text form */

struct sbuf {
	char *s;
	size_t n, cap;
	int oom;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->oom)
		return;
	if (b->n + 2 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 256;
		char *ns = realloc(b->s, nc);

		if (!ns) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
	b->s[b->n++] = c;
	b->s[b->n] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s, int escape)
{
	for (; *s; s++) {
		if (escape && (*s == '\\' || *s == '\n')) {
			sb_putc(b, '\\');
			sb_putc(b, *s == '\n' ? 'n' : '\\');
		} else {
			sb_putc(b, *s);
		}
	}
}

static char *sb_done(struct sbuf *b, size_t *len)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	if (!b->s) {
		b->s = calloc(1, 1);
		if (!b->s)
			return NULL;
	}
	if (len)
		*len = b->n;
	return b->s;
}

char *hv_kv_text(const struct hv_kv *m, size_t *len)
{
	struct sbuf b = { 0 };
	size_t i;

	for (i = 0; i < m->n; i++) {
		sb_puts(&b, m->p[i].k, 0);
		sb_putc(&b, '=');
		sb_puts(&b, m->p[i].v, 1);
		sb_putc(&b, '\n');
	}
	return sb_done(&b, len);
}

/* Parse lines into m; a line without '=' goes to absent (when given). */
static int kv_parse_lines(struct hv_kv *m, struct hv_kv *absent,
			  const char *s, size_t n)
{
	size_t i = 0;
	char *line = malloc(n + 1), *val = malloc(n + 1);
	int rc = 0;

	if (!line || !val) {
		free(line);
		free(val);
		return -1;
	}
	while (i < n && !rc) {
		size_t kl = 0, vl = 0;
		int has_eq = 0;

		while (i < n && s[i] != '\n' && s[i] != '=')
			line[kl++] = s[i++];
		line[kl] = '\0';
		if (i < n && s[i] == '=') {
			has_eq = 1;
			i++;
			while (i < n && s[i] != '\n') {
				if (s[i] == '\\' && i + 1 < n) {
					val[vl++] = s[i + 1] == 'n' ? '\n'
								    : s[i + 1];
					i += 2;
				} else {
					val[vl++] = s[i++];
				}
			}
		}
		val[vl] = '\0';
		if (i < n)
			i++;    /* the newline */
		/* Keys and values are C strings: a line with a NUL byte in it
		 * was not written by the agent (a damaged record) and is
		 * dropped whole, rather than read as a shorter key or value
		 * that could collide with another line's. */
		if (!kl || strlen(line) != kl || strlen(val) != vl)
			continue;
		if (has_eq)
			rc = hv_kv_set(m, line, val);
		else if (absent)
			rc = hv_kv_set(absent, line, "");
	}
	free(line);
	free(val);
	return rc;
}

int hv_kv_parse(struct hv_kv *m, const char *s, size_t n)
{
	return kv_parse_lines(m, NULL, s, n);
}

char *hv_kv_delta_text(const struct hv_kv *a, const struct hv_kv *b,
		       size_t *len)
{
	struct sbuf sb = { 0 };
	size_t i;

	for (i = 0; i < b->n; i++) {
		const char *av = hv_kv_get(a, b->p[i].k);

		if (av && !strcmp(av, b->p[i].v))
			continue;
		sb_puts(&sb, b->p[i].k, 0);
		sb_putc(&sb, '=');
		sb_puts(&sb, b->p[i].v, 1);
		sb_putc(&sb, '\n');
	}
	for (i = 0; i < a->n; i++) {
		if (hv_kv_get(b, a->p[i].k))
			continue;
		sb_puts(&sb, a->p[i].k, 0);
		sb_putc(&sb, '\n');
	}
	return sb_done(&sb, len);
}

int hv_kv_undelta(struct hv_kv *b, const struct hv_kv *a, const char *s,
		  size_t n)
{
	struct hv_kv set, absent;
	size_t i;
	int rc;

	hv_kv_init(&set);
	hv_kv_init(&absent);
	rc = hv_kv_copy(b, a);
	if (!rc)
		rc = kv_parse_lines(&set, &absent, s, n);
	for (i = 0; !rc && i < set.n; i++)
		rc = hv_kv_set(b, set.p[i].k, set.p[i].v);
	for (i = 0; !rc && i < absent.n; i++)
		rc = hv_kv_set(b, absent.p[i].k, NULL);
	hv_kv_free(&set);
	hv_kv_free(&absent);
	return rc;
}
