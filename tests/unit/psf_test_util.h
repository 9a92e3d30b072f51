/*
 * psf_test_util.h - helpers shared by the unit tests (header only: every
 * helper is static inline, so a test that does not use one does not warn).
 *
 *   - the error-name table used by tests/vectors/MANIFEST;
 *   - loading a file into a buffer of exactly its size (so AddressSanitizer
 *     catches any read past the end);
 *   - reading the MANIFEST;
 *   - psft_walk(): an independent consistency walk of a store that
 *     psf_check_full() accepted, through the public read API only (raw,
 *     pad-skipping and cursor iteration, psf_elem/psf_sig/psf_payload,
 *     psf_ancestors, psf_find_child);
 *   - psft_isolated(): run a function in a child process, so that a memory
 *     error caught by ASan (which aborts the process) fails one test
 *     instead of killing the whole binary.
 *
 * Plain C and POSIX; no cmocka here, so the helpers can run in a child.
 */
#ifndef PSF_TEST_UTIL_H
#define PSF_TEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "psf.h"

/* ---------------------------------------------------------------- errors */

struct psft_errname {
	const char *name;
	int code;
};

static const struct psft_errname psft_errnames[] = {
	{ "OK", PSF_OK },
	{ "NOTFOUND", PSF_ERR_NOTFOUND },
	{ "TRUNCATED", PSF_ERR_TRUNCATED },
	{ "BADMAGIC", PSF_ERR_BADMAGIC },
	{ "BADVERSION", PSF_ERR_BADVERSION },
	{ "BADHEADER", PSF_ERR_BADHEADER },
	{ "HEADERCRC", PSF_ERR_HEADERCRC },
	{ "BODYCRC", PSF_ERR_BODYCRC },
	{ "BADFLAGS", PSF_ERR_BADFLAGS },
	{ "TOOLARGE", PSF_ERR_TOOLARGE },
	{ "BADROOT", PSF_ERR_BADROOT },
	{ "OVERRUN", PSF_ERR_OVERRUN },
	{ "BADCOUNT", PSF_ERR_BADCOUNT },
	{ "TOODEEP", PSF_ERR_TOODEEP },
	{ "BADOFFSET", PSF_ERR_BADOFFSET },
	{ "NOTCONTAINER", PSF_ERR_NOTCONTAINER },
	{ "NOTSTRUCT", PSF_ERR_NOTSTRUCT },
	{ "NOSPACE", PSF_ERR_NOSPACE },
	{ "BADVALUE", PSF_ERR_BADVALUE },
	{ "BADSTATE", PSF_ERR_BADSTATE },
	{ "BADPAYLOAD", PSF_ERR_BADPAYLOAD },
};

/* Code for an error name, or 1 (no PSF code is positive) if unknown. */
static inline int psft_errcode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(psft_errnames) / sizeof(psft_errnames[0]); i++)
		if (strcmp(psft_errnames[i].name, name) == 0)
			return psft_errnames[i].code;
	return 1;
}

static inline const char *psft_errname(int code)
{
	size_t i;

	for (i = 0; i < sizeof(psft_errnames) / sizeof(psft_errnames[0]); i++)
		if (psft_errnames[i].code == code)
			return psft_errnames[i].name;
	return "?";
}

/* ---------------------------------------------------------------- files */

/*
 * Read a whole file into a malloc'd buffer of exactly its size (one byte
 * allocated for an empty file, *n = 0).  NULL on error.
 */
static inline uint8_t *psft_load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc(len ? (size_t)len : 1);
	if (!buf)
		goto out;
	if (len && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
		goto out;
	}
	*n = (size_t)len;
out:
	fclose(f);
	return buf;
}

/* The vectors directory: argv[1], else $PSF_VECTORS, else tests/vectors. */
static inline const char *psft_vectors_dir(int argc, char **argv)
{
	const char *env = getenv("PSF_VECTORS");

	if (argc > 1 && argv[1][0])
		return argv[1];
	if (env && env[0])
		return env;
	return "tests/vectors";
}

struct psft_vector {
	char name[96];
	int valid;        /* verdict */
	int err;          /* expected psf_check_full result */
	uint32_t off;     /* expected *bad_off (invalid only) */
	char errname[32];
};

/*
 * Parse dir/MANIFEST.  Returns the number of vectors (malloc'd array in
 * *out), or -1 when the file cannot be read or a line is malformed (the
 * line is printed).
 */
static inline int psft_manifest(const char *dir, struct psft_vector **out)
{
	char path[4096], line[512], verdict[32];
	struct psft_vector *v = NULL;
	int n = 0, cap = 0, lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct psft_vector e;
		unsigned long off;
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		memset(&e, 0, sizeof(e));
		if (sscanf(p, "%95s %31s %31s %lu", e.name, verdict, e.errname,
			   &off) != 4 ||
		    (strcmp(verdict, "valid") && strcmp(verdict, "invalid")) ||
		    psft_errcode(e.errname) > 0 || off > 0xffffffffUL) {
			fprintf(stderr, "%s:%d: bad line: %s", path, lineno,
				line);
			free(v);
			fclose(f);
			return -1;
		}
		e.valid = strcmp(verdict, "valid") == 0;
		e.err = psft_errcode(e.errname);
		e.off = (uint32_t)off;
		if (n == cap) {
			struct psft_vector *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, (size_t)cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				return -1;
			}
			v = nv;
		}
		v[n++] = e;
	}
	fclose(f);
	*out = v;
	return n;
}

/* ---------------------------------------------------------------- walk */

struct psft_stats {
	unsigned elements;     /* every element, pads and root included */
	unsigned containers;
	unsigned structs;      /* pads included */
	unsigned pads;
	unsigned max_depth;    /* root = 1 */
	unsigned unknown_ns;   /* elements outside namespace 0 */
	uint32_t payload_sum;  /* sum of every payload byte (forces reads) */
};

static char psft_walk_msg[256];

#define PSFT_FAIL(...)                                                    \
	do {                                                              \
		snprintf(psft_walk_msg, sizeof(psft_walk_msg), __VA_ARGS__); \
		return -1;                                                \
	} while (0)

static inline int psft_walk_container(const uint8_t *b, int off,
				      unsigned depth, int *chain,
				      struct psft_stats *st)
{
	struct psf_elem pe, ce;
	uint32_t pos, raw = 0, pads = 0, seen = 0;
	int child, anc[PSF_MAX_DEPTH], d, i;

	if (psf_elem(b, off, &pe) != PSF_OK)
		PSFT_FAIL("psf_elem(%d) failed", off);
	if (!PSF_SIG_IS_CONTAINER(pe.sig))
		PSFT_FAIL("%d: not a container", off);
	if (depth > PSF_MAX_DEPTH)
		PSFT_FAIL("%d: depth %u", off, depth);
	if (depth > st->max_depth)
		st->max_depth = depth;
	chain[depth - 1] = off;
	pos = pe.data;
	for (child = psf_first_child_raw(b, off); child >= 0;
	     child = psf_next_child_raw(b, off, child)) {
		if ((uint32_t)child != pos)
			PSFT_FAIL("%d: child at %d, expected %u", off, child, pos);
		if (psf_elem(b, child, &ce) != PSF_OK)
			PSFT_FAIL("psf_elem(%d) failed", child);
		if (ce.end > pe.end || ce.data > ce.end)
			PSFT_FAIL("%d: child %d ends at %u past %u", off, child,
				  ce.end, pe.end);
		if (psf_sig(b, child) != ce.sig)
			PSFT_FAIL("psf_sig(%d) disagrees", child);
		d = psf_ancestors(b, child, anc);
		if (d != (int)depth)
			PSFT_FAIL("psf_ancestors(%d) = %d, want %u", child, d,
				  depth);
		for (i = 0; i < d; i++)
			if (anc[i] != chain[i])
				PSFT_FAIL("psf_ancestors(%d)[%d] = %d, want %d",
					  child, i, anc[i], chain[i]);
		st->elements++;
		if (PSF_SIG_NS(ce.sig) != PSF_NS_CORE)
			st->unknown_ns++;
		if (PSF_SIG_IS_CONTAINER(ce.sig)) {
			if (ce.data != (uint32_t)child + PSF_CONTAINER_HDR)
				PSFT_FAIL("%d: container data %u", child,
					  ce.data);
			if (psf_payload(b, child, NULL) != NULL)
				PSFT_FAIL("psf_payload(container %d) != NULL",
					  child);
			if (psft_walk_container(b, child, depth + 1, chain,
						st))
				return -1;
		} else {
			uint32_t len = 0, k;
			const uint8_t *p = psf_payload(b, child, &len);

			if (ce.data != (uint32_t)child + PSF_STRUCT_HDR)
				PSFT_FAIL("%d: struct data %u", child, ce.data);
			if (p != b + ce.data || len != ce.count ||
			    ce.end != ce.data + len)
				PSFT_FAIL("psf_payload(%d) wrong", child);
			for (k = 0; k < len; k++)
				st->payload_sum += p[k];
			st->structs++;
			if (ce.sig == PSF_PAD) {
				st->pads++;
				pads++;
			}
		}
		/* The first child with this signature is at or before it. */
		i = psf_find_child(b, off, ce.sig);
		if (i < 0 || i > child || psf_sig(b, i) != ce.sig)
			PSFT_FAIL("psf_find_child(%d, %08x) = %d", off,
				  (unsigned)ce.sig, i);
		pos = ce.end;
		raw++;
	}
	if (child != PSF_ERR_NOTFOUND)
		PSFT_FAIL("%d: raw iteration ended with %d", off, child);
	if (pos != pe.end)
		PSFT_FAIL("%d: children end at %u, container at %u", off, pos,
			  pe.end);
	if (raw != pe.count)
		PSFT_FAIL("%d: %u children, count %u", off, raw, pe.count);
	psf_for_each_child(b, off, child) {
		if (psf_sig(b, child) == PSF_PAD)
			PSFT_FAIL("%d: psf_for_each_child gave a pad", off);
		seen++;
	}
	/* A cursor sees the same children as the raw iteration. */
	{
		struct psf_cursor cur;
		struct psf_elem ee;
		uint32_t k = 0;
		int co;

		if (psf_cursor_init(b, off, &cur) != PSF_OK ||
		    cur.next != pe.data || cur.end != pe.end)
			PSFT_FAIL("%d: psf_cursor_init", off);
		pos = pe.data;
		while ((co = psf_cursor_next(b, &cur, &ce)) >= 0) {
			if ((uint32_t)co != pos || psf_elem(b, co, &ee) ||
			    ee.sig != ce.sig || ee.count != ce.count ||
			    ee.data != ce.data || ee.end != ce.end)
				PSFT_FAIL("%d: cursor child %d wrong", off, co);
			pos = ce.end;
			k++;
		}
		if (co != PSF_ERR_NOTFOUND || k != raw ||
		    psf_cursor_next(b, &cur, &ce) != PSF_ERR_NOTFOUND)
			PSFT_FAIL("%d: cursor ended with %d after %u of %u",
				  off, co, k, raw);
	}
	if (child != PSF_ERR_NOTFOUND)
		PSFT_FAIL("%d: iteration ended with %d", off, child);
	if (seen + pads != raw)
		PSFT_FAIL("%d: %u non-pad children + %u pads != %u", off, seen,
			  pads, raw);
	st->containers++;
	return 0;
}

/*
 * Walk every element of a store that passed psf_check_full, checking the
 * read API against the bytes: children tile each container exactly and
 * number count, psf_elem/psf_sig/psf_payload/psf_ancestors/psf_find_child
 * agree, pad-skipping iteration sees exactly the non-pad children.  Returns
 * 0, or -1 with a reason in psft_walk_msg.
 */
static inline int psft_walk(const uint8_t *b, struct psft_stats *st)
{
	int chain[PSF_MAX_DEPTH + 1];
	struct psf_elem re;

	memset(st, 0, sizeof(*st));
	psft_walk_msg[0] = '\0';
	if (psf_elem(b, psf_root(b), &re) != PSF_OK ||
	    re.end != psf_total(b) || !PSF_SIG_IS_CONTAINER(re.sig))
		PSFT_FAIL("root element wrong");
	if (psf_ancestors(b, psf_root(b), chain) != 0)
		PSFT_FAIL("psf_ancestors(root) != 0");
	st->elements = 1;
	return psft_walk_container(b, psf_root(b), 1, chain, st);
}

/* ---------------------------------------------------------------- isolation */

/*
 * Run fn(arg) in a child process.  Returns fn's result (0..125) when the
 * child exited normally, or -1 when it died (a sanitizer report, a signal)
 * or could not be started.  The child never returns into the caller.
 */
static inline int psft_isolated(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int rc = fn(arg);

		fflush(stdout);
		fflush(stderr);
		_exit(rc < 0 ? 125 : rc > 125 ? 125 : rc);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
	/* AddressSanitizer and UBSan exit with 1 by default after a report;
	 * callers' functions use 0 for success and 2.. for their own
	 * failures, so 1 means "died in a sanitizer". */
	return WEXITSTATUS(status) == 1 ? -1 : WEXITSTATUS(status);
}

#endif /* PSF_TEST_UTIL_H */
