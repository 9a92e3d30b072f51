/*
 * psf_text_lex.c - the tokens of the PSF text form (syntax in
 * psf_text.h), the parser's error reports and its byte buffers.
 *
 * The input is hostile: every token is bounded by the input, and every
 * buffer by PSF_MAX_TOTAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf_text.h"

__attribute__((format(printf, 5, 0)))
static int vfail(struct parser *ps, size_t line, size_t col, int rc,
		 const char *fmt, va_list ap)
{
	if (ps->err) {
		ps->err->line = line;
		ps->err->column = col;
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	}
	return rc;
}

int psf__text_fail(struct parser *ps, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(ps, ps->tok.line, ps->tok.col, rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* Report an error at the lexer's position, inside a token. */
__attribute__((format(printf, 2, 3)))
static int lex_fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(ps, ps->line, (size_t)(ps->p - ps->line_start) + 1,
		   PSF_ERR_BADVALUE, fmt, ap);
	va_end(ap);
	return rc;
}

const char *psf__tok_desc(const struct tok *t, char *buf, size_t cap)
{
	switch (t->type) {
	case T_EOF:
		return "end of input";
	case T_STRING:
		return "a string";
	case T_PUNCT:
		snprintf(buf, cap, "'%c'", t->punct);
		return buf;
	case T_WORD:
		break;
	}
	if (t->n > 40)
		snprintf(buf, cap, "'%.40s...'", t->s);
	else
		snprintf(buf, cap, "'%.*s'", (int)t->n, t->s);
	return buf;
}

int psf__bytes_put(struct parser *ps, struct bytes *b, const void *src,
		   size_t n)
{
	if (!n)
		return PSF_OK;
	if (n > PSF_MAX_TOTAL - b->n)
		return psf__text_fail(ps, PSF_ERR_TOOLARGE,
			    "payload larger than a store (%u bytes)",
			    PSF_MAX_TOTAL);
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		uint8_t *p;

		while (cap < b->n + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return psf__text_fail(ps, PSF_ERR_NOSPACE, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	if (src)
		memcpy(b->p + b->n, src, n);
	else
		memset(b->p + b->n, 0, n);
	b->n += n;
	return PSF_OK;
}

/* ---------------------------------------------------------------------------
 * Lexer
 */

static int is_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
	       c == '.' || c == '@';
}

/* One escape after the backslash at ps->p; the byte goes to *out. */
static int lex_escape(struct parser *ps, uint8_t *out)
{
	int hi, lo;

	if (ps->end - ps->p < 2)
		return lex_fail(ps, "unterminated string");
	switch (ps->p[1]) {
	case '"':
	case '\\':
		*out = (uint8_t)ps->p[1];
		break;
	case 'n':
		*out = '\n';
		break;
	case 't':
		*out = '\t';
		break;
	case 'r':
		*out = '\r';
		break;
	case 'x':
		hi = ps->end - ps->p > 2 ? hexval(ps->p[2]) : -1;
		lo = ps->end - ps->p > 3 ? hexval(ps->p[3]) : -1;
		if (hi < 0 || lo < 0)
			return lex_fail(ps, "\\x needs two hex digits");
		*out = (uint8_t)(hi << 4 | lo);
		ps->p += 2;
		break;
	default:
		return lex_fail(ps, "unknown escape in a string "
				"(use \\\" \\\\ \\n \\t \\r or \\xNN)");
	}
	ps->p += 2;
	return PSF_OK;
}

static int lex_string(struct parser *ps)
{
	int rc;

	ps->str.n = 0;
	ps->p++;
	for (;;) {
		uint8_t c;

		if (ps->p == ps->end)
			return lex_fail(ps, "unterminated string");
		c = (uint8_t)*ps->p;
		if (c == '"')
			break;
		if (c == '\n')
			return lex_fail(ps, "unterminated string "
					"(write a newline as \\n)");
		if (c < 0x20 || c == 0x7f)
			return lex_fail(ps, "control byte 0x%02x in a string "
					"(write it as \\x%02x)", c, c);
		if (c == '\\') {
			rc = lex_escape(ps, &c);
			if (rc < 0)
				return rc;
		} else {
			ps->p++;
		}
		rc = psf__bytes_put(ps, &ps->str, &c, 1);
		if (rc < 0)
			return rc;
	}
	ps->p++;
	ps->tok.type = T_STRING;
	ps->tok.n = (size_t)(ps->p - ps->tok.s);
	return PSF_OK;
}

static void skip_blank(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->line_start = ++ps->p;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

int psf__lex(struct parser *ps)
{
	struct tok *t = &ps->tok;
	unsigned char c;

	skip_blank(ps);
	t->line = ps->line;
	t->col = (size_t)(ps->p - ps->line_start) + 1;
	t->s = ps->p;
	t->n = 0;
	if (ps->p == ps->end) {
		t->type = T_EOF;
		return PSF_OK;
	}
	c = (unsigned char)*ps->p;
	if (c && memchr("{}=;[],|", c, 8)) {
		t->type = T_PUNCT;
		t->punct = (char)c;
		t->n = 1;
		ps->p++;
		return PSF_OK;
	}
	if (c == '"')
		return lex_string(ps);
	if (!is_word_char(c)) {
		if (c >= 0x20 && c < 0x7f)
			return lex_fail(ps, "unexpected character '%c'", c);
		return lex_fail(ps, "unexpected byte 0x%02x", c);
	}
	while (ps->p < ps->end && is_word_char(*ps->p))
		ps->p++;
	t->type = T_WORD;
	t->n = (size_t)(ps->p - t->s);
	return PSF_OK;
}

int psf__want(struct parser *ps, char c, const char *what)
{
	char descbuf[64];

	if (is_punct(ps, c))
		return PSF_OK;
	return psf__text_fail(ps, PSF_ERR_BADVALUE, "expected '%c' %s, found %s", c,
		    what, DESC(ps));
}

int psf__expect(struct parser *ps, char c, const char *what)
{
	int rc = psf__want(ps, c, what);

	return rc < 0 ? rc : psf__lex(ps);
}
