/*
 * psctl_pool_list.c - `psctl profile list` on the etcd pool without
 * reading the pool into one store (docs/pool.md "Reads"): the server
 * directory once, then the profiles in pages of PAGE keys (etcd's
 * `limit`, continuing from the last key) at the revision of the first
 * read, so the list is one consistent snapshot whatever writes go on and
 * has no size limit but memory.
 *
 * The file pool lists profiles in creation order; etcd pages in key
 * order, so the decoded profiles are sorted by create_revision before
 * the rows are printed.  Each row is printed from a scratch store that
 * holds the servers (the "(server NAME)" note) and one profile at a time,
 * through the same row and JSON writers as every other list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_pool.h"

#define PAGE 2000   /* keys a page; $PSTATE_POOL_PAGE (tests) */

/* Append page's kvs to all (the keys and values change hands). */
static int take_page(struct pe_kvs *all, struct pe_kvs *page)
{
	struct pe_kv *kv;

	kv = realloc(all->kv, (all->n + page->n + 1) * sizeof *kv);
	if (!kv)
		return -1;
	all->kv = kv;
	memcpy(all->kv + all->n, page->kv, page->n * sizeof *kv);
	all->n += page->n;
	free(page->kv);
	page->kv = NULL;
	page->n = 0;
	return 0;
}

/* Every profile key at revision rev, page by page: the next page starts
 * just past the last key (that key and a NUL). */
static int read_profiles(struct psctl_ctx *c, int64_t rev,
			 struct pe_kvs *all)
{
	const char *env = getenv("PSTATE_POOL_PAGE");
	int64_t limit = env && atol(env) > 0 ? atol(env) : PAGE;
	char from[POOL_KEY_MAX + 1] = POOL_PROFILE;
	size_t flen = strlen(POOL_PROFILE);
	struct pe_kvs page;
	int rc, more;

	do {
		rc = pe_range_page(&pool_g.pe, POOL_PROFILE, from, flen, limit,
				   rev, &page);
		if (rc)
			return psctl_pool_error(c, rc);
		more = page.more && page.n;
		if (more) {
			const struct pe_kv *last = &page.kv[page.n - 1];

			if (last->klen >= POOL_KEY_MAX) {
				rc = psctl_pool_damaged(c, last, "key too long");
				pe_kvs_free(&page);
				return rc;
			}
			memcpy(from, last->key, last->klen);
			from[last->klen] = 0;
			flen = last->klen + 1;
		}
		if (take_page(all, &page)) {
			pe_kvs_free(&page);
			return psctl_error(c, psctl_g.cmd, NULL, NULL,
					   PS_ERR_NOMEM, NULL);
		}
	} while (more);
	return 0;
}

/* The rows, one profile at a time in the scratch store. */
static int print_rows(struct psctl_ctx *c, const char *cmd,
		      struct pe_kvs *prof, uint8_t *buf, size_t cap)
{
	struct psctl_jw w;
	char why[200];
	size_t i;
	int el, rc = 0;

	if (c->json) {
		psctl_jw_doc(&w, c->out, cmd, 0);
		psctl_jw_key(&w, "items");
		psctl_jw_arr(&w, 0);
	} else {
		psctl_list_header(c->out, PS_OBJ_PROFILE, 0);
	}
	for (i = 0; !rc && i < prof->n; i++) {
		rc = psctl_pool_put_elem(buf, cap, &prof->kv[i], why,
					 sizeof why, &el);
		if (rc) {
			rc = psctl_pool_damaged(c, &prof->kv[i], why);
			break;
		}
		if (c->json)
			psctl_jw_object(&w, buf, el, PS_OBJ_PROFILE, NULL);
		else
			psctl_list_row(c->out, buf, el, PS_OBJ_PROFILE, NULL);
		psf_delete(buf, el);
	}
	if (c->json && !rc) {
		psctl_jw_end(&w);
		psctl_jw_doc_end(&w);
	}
	return rc;
}

int psctl_pool_list(struct psctl_ctx *c, const char *cmd, int *done)
{
	static char where[400];
	struct pe_kvs srv = { 0 }, prof = { 0 };
	size_t i, len, cap, room = 0;
	uint8_t *buf = NULL;
	int use = 0, rc = 0;

	*done = 0;
	if (c->store || psctl_g.local_noun)
		return 0;
	rc = psctl_pool_choose(c, &use);
	if (rc || !use)
		return rc;
	*done = 1;
	rc = psctl_pool_connect(c);
	if (!rc && (rc = pe_range(&pool_g.pe, POOL_SERVER, 1, &srv)) != 0)
		rc = psctl_pool_error(c, rc);
	if (!rc)
		rc = read_profiles(c, srv.revision, &prof);
	for (i = 0; !rc && i < prof.n; i++)
		if (prof.kv[i].vlen + 64 > room)
			room = prof.kv[i].vlen + 64;
	if (!rc)
		rc = psctl_pool_build(c, &srv, room, &buf, &len, &cap);
	if (!rc) {
		snprintf(where, sizeof where, "%s (revision %lld)", pool_g.url,
			 (long long)srv.revision);
		psctl_store_announce(c, where);
		if (prof.n)
			qsort(prof.kv, prof.n, sizeof *prof.kv,
			      psctl_pool_by_creation);
		rc = print_rows(c, cmd, &prof, buf, cap);
	}
	free(buf);
	pe_kvs_free(&srv);
	pe_kvs_free(&prof);
	return rc;
}
