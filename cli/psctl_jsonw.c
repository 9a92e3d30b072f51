/*
 * psctl_jsonw.c - the JSON writer of psctl's output (psctl_jsonw.h).
 */
#include <string.h>

#include "psctl_jsonw.h"
#include "psctl_util.h"

void psctl_jw_init(struct psctl_jw *w, FILE *o)
{
	memset(w, 0, sizeof *w);
	w->o = o;
}

static void indent(struct psctl_jw *w, int levels)
{
	fprintf(w->o, "\n%*s", 2 * levels, "");
}

/* What goes before a value: nothing after a key, else the separator of
 * the open container. */
static void before(struct psctl_jw *w)
{
	int d = w->depth < PSCTL_JW_DEPTH ? w->depth : PSCTL_JW_DEPTH;

	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (d == 0)
		return;
	if (w->lv[d - 1].n++)
		fputc(',', w->o);
	if (w->lv[d - 1].lines)
		indent(w, w->lines);
	else if (w->lv[d - 1].n > 1)
		fputc(' ', w->o);
}

static void open_c(struct psctl_jw *w, int lines, char open, char close)
{
	before(w);
	fputc(open, w->o);
	if (w->depth < PSCTL_JW_DEPTH) {
		w->lv[w->depth].n = 0;
		w->lv[w->depth].lines = lines != 0;
		w->lv[w->depth].close = close;
	}
	w->depth++;
	w->lines += lines != 0;
}

void psctl_jw_obj(struct psctl_jw *w, int lines)
{
	open_c(w, lines, '{', '}');
}

void psctl_jw_arr(struct psctl_jw *w, int lines)
{
	open_c(w, lines, '[', ']');
}

void psctl_jw_end(struct psctl_jw *w)
{
	int d;

	if (w->depth == 0)
		return;
	d = --w->depth;
	if (d >= PSCTL_JW_DEPTH)
		return;  /* past the depth the header promises: unsupported */
	if (w->lv[d].lines) {
		w->lines--;
		if (w->lv[d].n)
			indent(w, w->lines);
	}
	fputc(w->lv[d].close, w->o);
}

int psctl_jw_utf8_ok(const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		uint8_t b = s[i];

		if (b < 0x80) {
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0)
			need = 1, cp = b & 0x1f, min = 0x80;
		else if ((b & 0xf0) == 0xe0)
			need = 2, cp = b & 0x0f, min = 0x800;
		else if ((b & 0xf8) == 0xf0)
			need = 3, cp = b & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* The escaped string itself, no separator. */
static void put_str(FILE *o, const char *s, size_t n)
{
	size_t i;

	fputc('"', o);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(o, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", o);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(o, "\\u%04x", ch);
		else
			fputc(ch, o);
	}
	fputc('"', o);
}

static void put_hex(FILE *o, const uint8_t *p, size_t n, const char *sep)
{
	size_t i;

	fputc('"', o);
	for (i = 0; i < n; i++)
		fprintf(o, "%s%02x", i && sep ? sep : "", p[i]);
	fputc('"', o);
}

void psctl_jw_key(struct psctl_jw *w, const char *key)
{
	before(w);
	put_str(w->o, key, strlen(key));
	fputs(": ", w->o);
	w->after_key = 1;
}

void psctl_jw_strn(struct psctl_jw *w, const void *s, size_t n)
{
	before(w);
	if (psctl_jw_utf8_ok(s, n))
		put_str(w->o, s, n);
	else
		put_hex(w->o, s, n, NULL);
}

void psctl_jw_str(struct psctl_jw *w, const char *s)
{
	psctl_jw_strn(w, s, strlen(s));
}

void psctl_jw_uint(struct psctl_jw *w, uint64_t v)
{
	before(w);
	fprintf(w->o, "%llu", (unsigned long long)v);
}

void psctl_jw_bool(struct psctl_jw *w, int v)
{
	before(w);
	fputs(v ? "true" : "false", w->o);
}

void psctl_jw_hex(struct psctl_jw *w, const void *p, size_t n,
		  const char *sep)
{
	before(w);
	put_hex(w->o, p, n, sep);
}

/* RFC 8259's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s += strspn(s, "0123456789");
	else
		return 0;
	if (*s == '.') {
		if (!strchr("0123456789", s[1]) || !s[1])
			return 0;
		s += 1 + strspn(s + 1, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!*s || !strchr("0123456789", *s))
			return 0;
		s += strspn(s, "0123456789");
	}
	return *s == 0;
}

void psctl_jw_num_text(struct psctl_jw *w, const char *s)
{
	if (!is_number(s)) {
		psctl_jw_str(w, s);
		return;
	}
	before(w);
	fputs(s, w->o);
}

void psctl_jw_null(struct psctl_jw *w)
{
	before(w);
	fputs("null", w->o);
}

void psctl_jw_str_or_null(struct psctl_jw *w, const char *s)
{
	if (*s)
		psctl_jw_str(w, s);
	else
		psctl_jw_null(w);
}

void psctl_jw_doc(struct psctl_jw *w, FILE *o, const char *command,
		  int lines)
{
	psctl_jw_init(w, o);
	psctl_jw_obj(w, lines);
	psctl_jw_key(w, "pstate-json");
	psctl_jw_uint(w, PSCTL_JSON_VERSION);
	psctl_jw_key(w, "command");
	psctl_jw_str(w, command);
}

void psctl_jw_doc_end(struct psctl_jw *w)
{
	while (w->depth)
		psctl_jw_end(w);
	fputc('\n', w->o);
}
