/*
 * psctl_json_int.h - what the two halves of `import`'s JSON reader share
 * (internal to cli/): psctl_json_val.c reads values (numbers, hex, enum
 * names, record fields) and reports errors with their JSON path;
 * psctl_json.c builds the tree.
 */
#ifndef PSCTL_JSON_INT_H
#define PSCTL_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "psf_schema.h"
#include "psf_tree.h"

struct jctx {
	char *msg;
	size_t cap;
	char path[1024];          /* JSON path of the value being read      */
	size_t plen;
	char where[512];          /* element chain: "root > vms > vm 'web01'" */
	size_t wlen;
	int failed;
};

/* Append to a bounded path, returning the old length; pop restores it. */
size_t jv_push(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void jv_pop(char *buf, size_t *len, size_t old);
#define PATH_PUSH(j, ...) jv_push((j)->path, sizeof (j)->path, &(j)->plen, \
			       __VA_ARGS__)
#define PATH_POP(j, old) jv_pop((j)->path, &(j)->plen, (old))

/* The first error wins: "PATH: why (in ELEMENTS)"; returns -1. */
int jv_fail(struct jctx *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A value's JSON type, and a short quote of it, for messages. */
const char *jv_type_name(json_object *o);
const char *jv_shown(json_object *o, char *buf, size_t cap);
/* Values checked against their field: each 0, or -1 reported. */
int jv_get_uint(struct jctx *j, json_object *o, uint64_t max,
		uint64_t *v);
int jv_get_hex(struct jctx *j, json_object *o, uint8_t **out, size_t *n);
int jv_get_fixed(struct jctx *j, json_object *o, uint8_t *dst,
		 size_t width, const char *what, const char *example);
int jv_get_named(struct jctx *j, json_object *o,
		 const struct psf_field_desc *f, uint64_t max, uint64_t *v);
int jv_get_field(struct jctx *j, json_object *o,
		 const struct psf_field_desc *f, uint8_t *rec);

#endif /* PSCTL_JSON_INT_H */
