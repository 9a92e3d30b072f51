/*
 * psctl_diff.c - the text diff --dry-run prints: two stores' text forms,
 * line by line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "psf.h"
#include "psf_schema.h"
#include "psf_tree.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_util.h"

/* ------------------------------------------------------------ text, diff */

/* The text form of a store as a string (caller frees). */
int psctl_store_text(const void *buf, uint32_t len, char **out)
{
	struct psf_tree *t;
	int rc = psf_tree_unpack(buf, len, &t, NULL);

	if (rc)
		return rc;
	rc = psf_text_dump_alloc(t, out, NULL);
	psf_tree_free(t);
	return rc;
}

struct lines {
	char **v;
	size_t n;
};

/* Split s in place at newlines. */
static int split_lines(char *s, struct lines *l)
{
	size_t cap = 64;
	char *nl;

	l->n = 0;
	l->v = malloc(cap * sizeof *l->v);
	while (l->v && *s) {
		if (l->n == cap) {
			char **nv = realloc(l->v, 2 * cap * sizeof *l->v);

			if (!nv)
				break;
			l->v = nv;
			cap *= 2;
		}
		l->v[l->n++] = s;
		nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = 0;
		s = nl + 1;
	}
	return l->v ? 0 : PSF_ERR_NOSPACE;
}

/*
 * The middle of a diff (after the common prefix and suffix are cut off):
 * LCS when it is small enough to be cheap, else every old line out and
 * every new line in.  Edits touch one place, so the middle is small.
 */
static void diff_middle(FILE *o, char **a, size_t na, char **b, size_t nb)
{
	size_t i, j, w = nb + 1;
	uint32_t *L;

	if (na * nb > (4u << 20) ||
	    !(L = calloc((na + 1) * w, sizeof *L))) {
		for (i = 0; i < na; i++)
			fprintf(o, "-%s\n", a[i]);
		for (j = 0; j < nb; j++)
			fprintf(o, "+%s\n", b[j]);
		return;
	}
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			L[i * w + j] = !strcmp(a[i], b[j])
				? L[(i + 1) * w + j + 1] + 1
				: (L[(i + 1) * w + j] > L[i * w + j + 1]
					   ? L[(i + 1) * w + j]
					   : L[i * w + j + 1]);
	for (i = 0, j = 0; i < na || j < nb;) {
		if (i < na && j < nb && !strcmp(a[i], b[j])) {
			fprintf(o, " %s\n", a[i]);
			i++, j++;
		} else if (j < nb && (i == na ||
				      L[i * w + j + 1] >= L[(i + 1) * w + j])) {
			fprintf(o, "+%s\n", b[j++]);
		} else {
			fprintf(o, "-%s\n", a[i++]);
		}
	}
	free(L);
}

/* A unified-style diff of two texts: one hunk with 3 lines of context. */
void psctl_print_diff(FILE *o, char *ta, char *tb, const char *la,
		      const char *lb)
{
	struct lines a, b;
	size_t p = 0, s = 0, ctx0, ctx1, i;

	if (split_lines(ta, &a) || split_lines(tb, &b)) {
		free(a.v);
		return;
	}
	while (p < a.n && p < b.n && !strcmp(a.v[p], b.v[p]))
		p++;
	while (s < a.n - p && s < b.n - p &&
	       !strcmp(a.v[a.n - 1 - s], b.v[b.n - 1 - s]))
		s++;
	ctx0 = p < 3 ? p : 3;
	ctx1 = s < 3 ? s : 3;
	fprintf(o, "--- %s\n+++ %s\n", la, lb);
	fprintf(o, "@@ -%zu,%zu +%zu,%zu @@\n", p - ctx0 + 1,
		a.n - p - s + ctx0 + ctx1, p - ctx0 + 1,
		b.n - p - s + ctx0 + ctx1);
	for (i = p - ctx0; i < p; i++)
		fprintf(o, " %s\n", a.v[i]);
	diff_middle(o, a.v + p, a.n - p - s, b.v + p, b.n - p - s);
	for (i = a.n - s; i < a.n - s + ctx1; i++)
		fprintf(o, " %s\n", a.v[i]);
	free(a.v);
	free(b.v);
}

