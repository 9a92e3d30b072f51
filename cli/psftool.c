/*
 * psftool - the format-level tool: what dtc and fdtdump are to device trees.
 *
 *   psftool check FILE             validate; exit status is the verdict
 *   psftool info FILE              header fields and element counts
 *   psftool dump FILE [-o OUT]     binary store -> text form
 *   psftool compile TEXT -o OUT [--room N]
 *                                  text form -> binary store, optionally
 *                                  with N bytes of pad room for growth
 *
 * FILE and TEXT may be "-" for standard input.  Output files are written
 * whole or not at all (temporary file, then rename).
 *
 * Exit status: 0 success, 1 the store is invalid (check, info, dump), 2 usage,
 * 3 invalid input text or value, 4 I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_file.h"
#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"

enum { EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_BADTEXT = 3, EXIT_IO = 4 };

#define MAX_INPUT ((size_t)PSF_MAX_TOTAL + 1)

static const char *prog = "psftool";

static void usage(FILE *to)
{
	fprintf(to,
		"usage: %s check FILE\n"
		"       %s info FILE\n"
		"       %s dump FILE [-o OUT]\n"
		"       %s compile TEXT -o OUT [--room BYTES]\n"
		"FILE/TEXT may be '-' for standard input.\n",
		prog, prog, prog, prog);
}

/* Read at most MAX_INPUT bytes; a store cannot be larger, and reading a
 * whole disk image would be pointless. */
static int read_input(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *buf;
	size_t n = 0, cap = 65536;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return EXIT_IO;
	}
	buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0 || n == MAX_INPUT)
			break;
		if (n == cap) {
			uint8_t *bigger;

			cap = cap * 2 > MAX_INPUT ? MAX_INPUT : cap * 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	if (!buf || ferror(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path,
			buf ? "read error" : "out of memory");
		free(buf);
		if (f != stdin)
			fclose(f);
		return EXIT_IO;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = 0; /* text parsing may rely on a terminator */
	*out = buf;
	*len = n;
	return 0;
}

/* "-" is standard output; a file is written whole or not at all. */
static int write_output(const char *path, const void *data, size_t len)
{
	if (!strcmp(path, "-"))
		return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0
			       ? 0 : EXIT_IO;
	if (cli_replace_file(path, data, len) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return EXIT_IO;
	}
	return 0;
}

/* Load and fully validate a binary store; report problems with the offset. */
static int load_tree(const char *path, struct psf_tree **t)
{
	uint8_t *buf;
	size_t len;
	uint32_t bad = 0;
	int rc = read_input(path, &buf, &len);

	if (rc)
		return rc;
	rc = psf_tree_unpack(buf, len, t, &bad);
	free(buf);
	if (rc == PSF_ERR_NOSPACE) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		return EXIT_IO;
	}
	if (rc) {
		fprintf(stderr, "%s: %s: invalid store at offset %u (0x%x): %s\n",
			prog, path, bad, bad, psf_strerror(rc));
		return EXIT_INVALID;
	}
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	uint8_t *buf;
	size_t len;
	uint32_t bad = 0;
	int rc;

	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = read_input(argv[1], &buf, &len);
	if (rc)
		return rc;
	rc = psf_check_full(buf, len, &bad);
	if (rc)
		fprintf(stderr, "%s: %s: invalid store at offset %u (0x%x): %s\n",
			prog, argv[1], bad, bad, psf_strerror(rc));
	else
		printf("%s: valid store, %u bytes, schema %u\n", argv[1],
		       psf_total(buf), psf_schema_version(buf));
	free(buf);
	return rc ? EXIT_INVALID : 0;
}

struct census {
	unsigned elements, containers, pads, foreign, depth;
	unsigned long pad_bytes;
};

/* Iterative walk: the tree is bounded by PSF_MAX_DEPTH, but a loop with an
 * explicit "go up" needs no bound at all. */
static void take_census(const struct psf_node *root, struct census *c)
{
	const struct psf_node *n = root;
	unsigned depth = 1;

	memset(c, 0, sizeof(*c));
	while (n) {
		c->elements++;
		if (PSF_SIG_IS_CONTAINER(n->sig))
			c->containers++;
		if (n->sig == PSF_PAD) {
			c->pads++;
			c->pad_bytes += PSF_STRUCT_HDR + n->len;
		}
		if (PSF_SIG_NS(n->sig) != PSF_NS_CORE)
			c->foreign++;
		if (depth > c->depth)
			c->depth = depth;
		if (n->first) {
			n = n->first;
			depth++;
			continue;
		}
		while (n && !n->next && n != root) {
			n = n->parent;
			depth--;
		}
		n = (n && n != root) ? n->next : NULL;
	}
}

static unsigned count_set(const struct psf_tree *t, uint32_t set, uint32_t sig)
{
	const struct psf_node *s = psf_node_find(t->root, set, NULL);
	const struct psf_node *c;
	unsigned n = 0;

	for (c = s ? s->first : NULL; c; c = c->next)
		n += c->sig == sig;
	return n;
}

static int cmd_info(int argc, char **argv)
{
	struct psf_tree *t;
	struct census c;
	int rc;

	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = load_tree(argv[1], &t);
	if (rc)
		return rc;
	take_census(t->root, &c);
	printf("file:            %s\n", argv[1]);
	printf("format:          %u.%u\n", PSF_FORMAT_MAJOR, t->minor);
	printf("schema version:  %u\n", t->schema_version);
	printf("flags:           0x%08x\n", t->flags);
	printf("size:            %zu bytes\n", psf_tree_packed_size(t));
	printf("elements:        %u (%u containers, depth %u)\n",
	       c.elements, c.containers, c.depth);
	printf("pads:            %u (%lu bytes of room)\n", c.pads, c.pad_bytes);
	printf("other namespaces:%u elements\n", c.foreign);
	printf("vms:             %u\n", count_set(t, PSF_VMS, PSF_VM));
	printf("networks:        %u\n", count_set(t, PSF_NETWORKS, PSF_NETWORK));
	printf("images:          %u\n", count_set(t, PSF_IMAGES, PSF_IMAGE));
	printf("reservations:    %u\n",
	       count_set(t, PSF_RESERVATIONS, PSF_RESERVATION));
	printf("profiles:        %u\n", count_set(t, PSF_PROFILES, PSF_PROFILE));
	psf_tree_free(t);
	return 0;
}

/* Pull "-o OUT" (and "--room N" for compile) out of argv. */
struct opts {
	const char *in;
	const char *out;
	unsigned long room;
};

static int parse_opts(int argc, char **argv, int allow_room, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			o->out = argv[++i];
		} else if (allow_room && !strcmp(argv[i], "--room") &&
			   i + 1 < argc) {
			char *end;

			errno = 0;
			o->room = strtoul(argv[++i], &end, 0);
			if (errno || *end || argv[i][0] == '-' ||
			    o->room > PSF_MAX_TOTAL) {
				fprintf(stderr, "%s: --room: '%s' is not a byte "
					"count from 0 to %u\n", prog, argv[i],
					PSF_MAX_TOTAL);
				return EXIT_USAGE;
			}
		} else if (!o->in && (argv[i][0] != '-' || !argv[i][1])) {
			o->in = argv[i];
		} else {
			fprintf(stderr, "%s: %s: unexpected argument '%s'\n",
				prog, argv[0], argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!o->in) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct psf_tree *t;
	struct opts o;
	char *text;
	size_t len;
	int rc = parse_opts(argc, argv, 0, &o);

	if (rc)
		return rc;
	rc = load_tree(o.in, &t);
	if (rc)
		return rc;
	rc = psf_text_dump_alloc(t, &text, &len);
	psf_tree_free(t);
	if (rc) {
		fprintf(stderr, "%s: %s: %s\n", prog, o.in, psf_strerror(rc));
		return EXIT_IO;
	}
	rc = write_output(o.out ? o.out : "-", text, len);
	free(text);
	return rc;
}

/* Room for growth goes at the end of the root as one pad, where appends of
 * new top-level sets and the sets' own growth can borrow from it. */
static int add_room(struct psf_tree *t, unsigned long room)
{
	struct psf_node *pad;

	if (room == 0)
		return 0;
	if (room < PSF_STRUCT_HDR)
		room = PSF_STRUCT_HDR;
	pad = psf_node_new_struct(PSF_PAD, NULL,
				  (uint32_t)(room - PSF_STRUCT_HDR));
	if (!pad)
		return PSF_ERR_NOSPACE;
	return psf_node_append(t->root, pad);
}

static int cmd_compile(int argc, char **argv)
{
	struct psf_text_error err;
	struct psf_tree *t;
	struct opts o;
	uint8_t *text;
	void *bin;
	size_t len, blen;
	int rc = parse_opts(argc, argv, 1, &o);

	if (rc)
		return rc;
	if (!o.out) {
		fprintf(stderr, "%s: compile: -o OUT is required\n", prog);
		return EXIT_USAGE;
	}
	rc = read_input(o.in, &text, &len);
	if (rc)
		return rc;
	rc = psf_text_parse((const char *)text, len, &t, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "%s: %s:%zu:%zu: %s\n", prog, o.in, err.line,
			err.column, err.msg);
		return EXIT_BADTEXT;
	}
	rc = add_room(t, o.room);
	if (!rc)
		rc = psf_tree_pack_alloc(t, &bin, &blen);
	psf_tree_free(t);
	if (rc) {
		fprintf(stderr, "%s: %s: cannot build the store: %s\n", prog,
			o.in, psf_strerror(rc));
		return EXIT_BADTEXT;
	}
	rc = write_output(o.out, bin, blen);
	free(bin);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{ "check", cmd_check },
		{ "info", cmd_info },
		{ "dump", cmd_dump },
		{ "compile", cmd_compile },
	};
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
