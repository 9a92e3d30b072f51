/*
 * psctl_jsonw.h - the one JSON writer of psctl's output (internal to
 * cli/).  Every command that prints JSON writes it through here, so a
 * string is escaped one way everywhere (RFC 8259):
 *   - '"' and '\' escaped, a newline as \n, every other control
 *     character (U+0000-U+001F) and DEL as \u00XX: never dropped;
 *   - a string that is not strict UTF-8 (RFC 3629) is written as the hex
 *     of its bytes, the rule `export --json` follows (it puts such a
 *     string under "hex").
 * Separators are the writer's: a container opened with lines = 1 puts
 * each member on its own line, indented two spaces a level; otherwise
 * members follow each other after ", ".
 */
#ifndef PSCTL_JSONW_H
#define PSCTL_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pstate.h"

/* Nesting the writer tracks: export nests 2 * PSF_MAX_DEPTH + 1. */
#define PSCTL_JW_DEPTH 64

struct psctl_jw {
	FILE *o;
	int depth;                     /* open containers                */
	int lines;                     /* of them, opened with lines = 1 */
	int after_key;                 /* a key waits for its value      */
	struct {
		unsigned n;            /* members written so far         */
		unsigned char lines;
		char close;
	} lv[PSCTL_JW_DEPTH];
};

/* Start writing to o (nothing written yet). */
void psctl_jw_init(struct psctl_jw *w, FILE *o);

/* Open an object / an array as the next value; lines: one member a line. */
void psctl_jw_obj(struct psctl_jw *w, int lines);
void psctl_jw_arr(struct psctl_jw *w, int lines);
/* Close the innermost open container. */
void psctl_jw_end(struct psctl_jw *w);

/* The key of the next member of the open object. */
void psctl_jw_key(struct psctl_jw *w, const char *key);

/* Values. */
void psctl_jw_str(struct psctl_jw *w, const char *s);
void psctl_jw_strn(struct psctl_jw *w, const void *s, size_t n);
void psctl_jw_uint(struct psctl_jw *w, uint64_t v);
void psctl_jw_bool(struct psctl_jw *w, int v);
/* Bytes as a string of hex pairs, sep (may be NULL) between them. */
void psctl_jw_hex(struct psctl_jw *w, const void *p, size_t n,
		  const char *sep);
/* A number given as text (e.g. from ps_obj_get): written bare when it is
 * a JSON number, else as a string. */
void psctl_jw_num_text(struct psctl_jw *w, const char *s);

/* 1 when the n bytes at p are strict UTF-8 (no overlongs, surrogates or
 * values past U+10FFFF), else 0. */
int psctl_jw_utf8_ok(const void *p, size_t n);

void psctl_jw_null(struct psctl_jw *w);
/* s, or null when it is "" (an absent value). */
void psctl_jw_str_or_null(struct psctl_jw *w, const char *s);

/*
 * Documents.  Every JSON document psctl (and hvagent --stats --json)
 * prints but `export --json` is one object that starts with the version
 * of this output contract and the command that wrote it:
 *   {"pstate-json": 1, "command": "vm list", ...}
 * docs/psctl-output.schema.json describes every command's members;
 * docs/psctl.1.md "JSON OUTPUT" the rules.  The version goes up when a
 * member changes meaning or type (adding a member does not).
 *   psctl_jw_doc      open the document on o (nothing written before);
 *                     lines: one member a line
 *   psctl_jw_doc_end  close whatever is open, then a newline
 */
#define PSCTL_JSON_VERSION 1
void psctl_jw_doc(struct psctl_jw *w, FILE *o, const char *command,
		  int lines);
void psctl_jw_doc_end(struct psctl_jw *w);

/*
 * Store objects (pstate.h, "Configuration"), one rule for every command
 * and every path (local store or a BMC's; psctl_jsonobj.c), typed from
 * the field table (struct ps_field.type), never a second list of fields:
 *   UINT, DURATION (seconds)        integer
 *   SIZE                            integer, bytes
 *   BOOL, PRESENCE                  true / false
 *   ENUM                            its word (a value without a word:
 *                                   the integer)
 *   BOOT, MACLIST                   array of strings
 *   WWNLIST                         array of {"wwnn", "wwpn"}
 *   FCBOOT                          array of {"wwpn", "lun"}: lun an
 *                                   integer, or 16 hex digits
 *   RLOG                            array of {"time" (ISO 8601, UTC),
 *                                   "action", "attempt", "cause"}
 *   anything else (names, text,     string; null when absent
 *   references, UUID, MAC, target)
 * A field kept in a container the object lacks (the restart policy's)
 * is null.
 *   psctl_jw_field    one field's value
 *   psctl_jw_fields   every field of el as members of the open object
 *   psctl_jw_object   el as an object (first a "vm" member when vm is not
 *                     NULL; a VM with its NICs, storage and serial ports)
 *   psctl_jw_objects  the objects of kind k under parent, as an array
 */
void psctl_jw_field(struct psctl_jw *w, const void *buf, int el,
		    const struct ps_field *fd);
void psctl_jw_fields(struct psctl_jw *w, const void *buf, int el,
		     enum ps_obj k);
void psctl_jw_object(struct psctl_jw *w, const void *buf, int el,
		     enum ps_obj k, const char *vm);
void psctl_jw_objects(struct psctl_jw *w, const void *buf, int parent,
		      enum ps_obj k);

#endif /* PSCTL_JSONW_H */
