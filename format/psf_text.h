/*
 * psf_text.h - the text form of a PSF store, the way dts is to dtb:
 * what its dump (psf_text_dump.c) and its parser (psf_text_lex.c,
 * psf_text_parse.c) share.  Internal to format/, not installed.
 *
 * The text form shows every byte of a store, so a store goes to text and
 * back unchanged.  docs/text-format.md is the guide; this is the syntax.
 *
 *   file      = header container                nothing may follow
 *   header    = "psf" VERSION "schema" NUMBER "flags" NUMBER ";"
 *   element   = container | structure
 *   container = cname "{" element* "}"
 *   structure = sname "=" value ";"
 *             | record-keyword "{" field* [hex ";"] "}"
 *             | "pad" NUMBER ";"                 NUMBER zero payload bytes
 *   cname     = container-keyword | "@" NUMBER   signature with bit 31 set
 *   sname     = structure-keyword | "@" NUMBER   signature with bit 31 clear
 *   value     = hex                             any structure
 *             | STRING                          string keywords and @names
 *             | item ("," item)*                list keywords
 *   hex       = "[" HEXRUN* "]"
 *   item      = boot-device-name | NUMBER       boot-order: one byte
 *             | COLONHEX+                       other lists: item_len bytes
 *   field     = field-name "=" fvalue ";"
 *   fvalue    = NUMBER                          UINT
 *             | value-name | NUMBER             ENUM
 *             | fitem ("|" fitem)*              FLAGS; fitem = flag-name |
 *                                               NUMBER, OR-ed together
 *             | UUID | COLONHEX                 UUID, MAC
 *
 * Tokens: whitespace separates them and "#" comments to the end of the
 * line.  Punctuation is { } = ; [ ] , |.  A word is a run of
 * [A-Za-z0-9_.:@-]; depending on where it stands it is read as a keyword,
 * a NUMBER (decimal or 0x-hex, range-checked), a VERSION (MAJOR.MINOR), a
 * HEXRUN (an even number of hex digits), COLONHEX (hex pairs joined by
 * ':', e.g. 52:54:00:12:34:56), or a UUID (8-4-4-4-12 hex digits, bytes
 * in RFC 4122 order).  A STRING is "..." of printable ASCII other than "
 * and \, raw bytes >= 0x80, and the escapes \" \\ \n \t \r \xNN.
 * Keywords and value names are psf_schema.c's.
 *
 * Meaning: a record's payload ends where its furthest given field ends
 * (fields inside that length but not given are zero); the hex item of a
 * record holds the bytes after every field the schema knows.  An element
 * given as hex is exactly those bytes.
 *
 * dump (psf_text_dump.c) writes one canonical spelling of a store; parse
 * (psf_text_parse.c) reproduces its bytes exactly, so
 * dump(parse(dump(x))) == dump(x).
 */
#ifndef PSF_TEXT_H
#define PSF_TEXT_H

#include <stdarg.h>
#include <string.h>

#include "psf_tree.h"

static inline int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Size of a record with every field the schema knows. */
static inline uint32_t record_size(const struct psf_elem_desc *d)
{
	uint32_t size = 0;
	unsigned i;

	for (i = 0; i < d->nfields; i++)
		if ((uint32_t)d->fields[i].off + d->fields[i].width > size)
			size = (uint32_t)d->fields[i].off + d->fields[i].width;
	return size;
}

/* ---------------------------------------------------------------------------
 * The parser's state, shared by the lexer (psf_text_lex.c) and the
 * grammar (psf_text_parse.c)
 */

enum tok_type { T_EOF, T_WORD, T_STRING, T_PUNCT };

struct tok {
	enum tok_type type;
	char punct;
	const char *s;      /* start in the input */
	size_t n;           /* length in the input */
	size_t line, col;
};

/* A growing byte buffer, never larger than PSF_MAX_TOTAL. */
struct bytes {
	uint8_t *p;
	size_t n, cap;
};

struct parser {
	const char *p, *end;        /* input not yet read */
	const char *line_start;
	size_t line;
	struct tok tok;             /* the current token */
	struct bytes str;           /* decoded T_STRING */
	struct bytes buf;           /* payload of the element being parsed */
	size_t total;               /* store bytes so far */
	struct psf_text_error *err;
};

/* Report an error at the current token; returns rc. */
__attribute__((format(printf, 3, 4)))
int psf__text_fail(struct parser *ps, int rc, const char *fmt, ...);

/* The current token for messages: "'word'", "'{'", "a string". */
const char *psf__tok_desc(const struct tok *t, char *buf, size_t cap);

#define DESC(ps) psf__tok_desc(&(ps)->tok, descbuf, sizeof(descbuf))

/* Append n bytes of src (NULL: zeros) to b.  PSF_ERR_TOOLARGE past
 * PSF_MAX_TOTAL, PSF_ERR_NOSPACE without memory (both reported). */
int psf__bytes_put(struct parser *ps, struct bytes *b, const void *src,
		   size_t n);

/* Read the next token into ps->tok.  PSF_ERR_BADVALUE (reported) on a
 * byte no token starts with, or a malformed string. */
int psf__lex(struct parser *ps);

static inline int is_punct(const struct parser *ps, char c)
{
	return ps->tok.type == T_PUNCT && ps->tok.punct == c;
}

static inline int is_word(const struct parser *ps, const char *w)
{
	return ps->tok.type == T_WORD && ps->tok.n == strlen(w) &&
	       memcmp(ps->tok.s, w, ps->tok.n) == 0;
}

/* The current token must be c; what says where, for the message.
 * PSF_ERR_BADVALUE (reported) when it is not. */
int psf__want(struct parser *ps, char c, const char *what);

/* psf__want(), then move past it. */
int psf__expect(struct parser *ps, char c, const char *what);

#endif /* PSF_TEXT_H */
