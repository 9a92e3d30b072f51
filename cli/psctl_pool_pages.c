/*
 * psctl_pool_pages.c - every key under a prefix at one revision, read
 * as several streams of pages at once (docs/pool.md "Reads"), each
 * stream from another etcd member.  At 100,000 profiles the list waits
 * mostly on etcd's gateway turning key-values into JSON, one page after
 * the other on one member; split in S key spans, S members serve them
 * at the same time and psctl decodes S answers at once.  Ranges at one
 * revision are one consistent snapshot whichever member serves them, so
 * the union of the spans is exactly the single range's answer.
 *
 * The spans are cut where the keys are, not where the key space is:
 * one read-only txn counts the keys under each next byte (count_only
 * ranges: no key-value is sent), and the bucket holding a cut is counted
 * again one byte deeper, up to DEPTH bytes, until it is small.  Counts
 * only balance the streams; any cut gives the same keys.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psctl_pool.h"

#define STREAMS_MAX 4
#define DEPTH 3             /* bytes below the prefix a cut may go    */
#define LO 0x20             /* bytes LO..HI-1 counted one by one      */
#define HI 0x80
#define NB (HI - LO + 2)    /* ranges a count: below LO, each, above  */

struct stream {
	struct pe_client cl;
	struct pe_key from, end;
	int64_t rev, limit;
	struct pe_kvs got;
	int rc;
	pthread_t th;
};

/* One span's pages: the next page starts just past the last key (that
 * key and a NUL). */
static void *run(void *arg)
{
	struct stream *s = arg;
	struct pe_key from = s->from;
	char *next = NULL;
	struct pe_kvs page;
	int more;

	do {
		s->rc = pe_range_span(&s->cl, &from, &s->end, s->limit, s->rev,
				      &page);
		if (s->rc)
			break;
		more = page.more && page.n;
		if (more) {
			const struct pe_kv *last = &page.kv[page.n - 1];
			char *k = malloc(last->klen + 1);

			if (k) {
				memcpy(k, last->key, last->klen);
				k[last->klen] = 0;
			}
			free(next);
			next = k;
			from.p = k;
			from.n = last->klen + 1;
		}
		s->rc = psctl_pool_take(&s->got, &page);
		if (!s->rc && more && !next)
			s->rc = PE_ERR_NOMEM;
	} while (!s->rc && more);
	if (s->rc == PE_ERR_NOMEM)
		snprintf(s->cl.err, sizeof s->cl.err, "out of memory");
	free(next);
	return NULL;
}

/* The bounds of q's NB buckets: q, q+LO, ..., q+HI-1, q+HI, q's end. */
struct level {
	char q[POOL_KEY_MAX + 2];
	size_t qn;
	int64_t count[NB];
};

static int count_level(struct level *l, int64_t *rev)
{
	char keys[NB + 1][POOL_KEY_MAX + 2];
	struct pe_key b[NB + 1];
	size_t en;
	char *end = pe_prefix_end(l->q, &en);
	int i;

	if (!end || en > POOL_KEY_MAX) {
		free(end);
		return PE_ERR_NOMEM;
	}
	for (i = 0; i < NB; i++) {
		memcpy(keys[i], l->q, l->qn);
		keys[i][l->qn] = (char)(LO + i - 1);
		b[i].p = keys[i];
		b[i].n = l->qn + (i > 0);
	}
	memcpy(keys[NB], end, en);
	b[NB].p = keys[NB];
	b[NB].n = en;
	free(end);
	return pe_counts(&pool_g.pe, b, NB, rev, l->count);
}

/* The key before which about `want` keys of [prefix, end) lie, into
 * cut (*cn bytes); 0 when none is worth cutting at. */
static int find_cut(const char *prefix, int64_t want, int64_t small,
		    int64_t *rev, struct level *cache, size_t *nc, char *cut,
		    size_t *cn)
{
	struct level *l = NULL;
	int64_t before = 0;
	size_t d, i, k;

	*cn = 0;
	snprintf(cut, POOL_KEY_MAX + 1, "%s", prefix);
	for (d = 0; d <= DEPTH; d++) {
		size_t qn = strlen(cut);

		for (k = 0, l = NULL; k < *nc && !l; k++)
			l = strcmp(cache[k].q, cut) ? NULL : &cache[k];
		if (!l && *nc < DEPTH * (STREAMS_MAX - 1) + 1) {
			l = &cache[(*nc)++];
			memcpy(l->q, cut, qn + 1);
			l->qn = qn;
			if (qn >= POOL_KEY_MAX - 1 || count_level(l, rev))
				return 0;
		}
		if (!l)
			return 0;
		for (i = 0; i < NB && before + l->count[i] <= want; i++)
			before += l->count[i];
		if (i == NB)
			return 0;
		/* bucket i holds the wanted key: cut at its start or end,
		 * or look one byte deeper when it is big */
		if (d < DEPTH && i > 0 && i < NB - 1 && l->count[i] > small) {
			cut[qn] = (char)(LO + i - 1);
			cut[qn + 1] = 0;
			continue;
		}
		if (want - before > before + l->count[i] - want && i + 1 < NB)
			before += l->count[i], i++;
		if (i == 0) {   /* at q itself */
			*cn = qn;
			return qn > strlen(prefix);
		}
		cut[qn] = (char)(LO + i - 1);
		cut[qn + 1] = 0;
		*cn = qn + 1;
		return 1;
	}
	return 0;
}

static int keycmp(const char *a, size_t an, const char *b, size_t bn)
{
	int d = memcmp(a, b, an < bn ? an : bn);

	return d ? d : (an > bn) - (an < bn);
}

/* The cut keys (at most n - 1, increasing) into cuts, *got of them; the
 * first count sets *rev when it is 0.  Only that count's failure is an
 * error: a deeper one leaves fewer cuts. */
static int plan(const char *prefix, size_t n, int64_t limit, int64_t *rev,
		char cuts[][POOL_KEY_MAX + 2], size_t *cn, size_t *ngot)
{
	struct level *cache = calloc(DEPTH * (STREAMS_MAX - 1) + 1,
				     sizeof *cache);
	size_t nc = 1, got = 0, j;
	int64_t total = 0;
	int i, rc;

	*ngot = 0;
	if (!cache) {
		snprintf(pool_g.pe.err, sizeof pool_g.pe.err, "out of memory");
		return PE_ERR_NOMEM;
	}
	/* the first level gives the total (and the revision) */
	memcpy(cache[0].q, prefix, strlen(prefix) + 1);
	cache[0].qn = strlen(prefix);
	rc = count_level(&cache[0], rev);
	if (rc) {
		free(cache);
		return rc;
	}
	for (i = 0; i < NB; i++)
		total += cache[0].count[i];
	/* a pool of one page is read as one */
	for (j = 1; total > limit && j < n; j++)
		if (find_cut(prefix, total * (int64_t)j / (int64_t)n,
			     total / (int64_t)(4 * n), rev, cache, &nc,
			     cuts[got], &cn[got]) &&
		    (!got || keycmp(cuts[got - 1], cn[got - 1], cuts[got],
				    cn[got]) < 0))
			got++;
	free(cache);
	*ngot = got;
	return 0;
}

/* How many streams: $PSTATE_POOL_STREAMS, or one a member (at most
 * STREAMS_MAX). */
static size_t streams(void)
{
	const char *env = getenv("PSTATE_POOL_STREAMS");
	long n = env && atol(env) > 0 ? atol(env) : pool_g.pe.n_eps;

	return n < 1 ? 1 : n > STREAMS_MAX ? STREAMS_MAX : (size_t)n;
}

static void stats(const struct pe_client *cl)
{
	pool_g.pe.nreq += cl->nreq;
	pool_g.pe.nkv += cl->nkv;
	pool_g.pe.spent += cl->spent;
}

/* Stream i's span: from the cut before it (or the prefix) to the next
 * cut (or the prefix's end); the `also` stream: its whole prefix. */
static void span(struct stream *s, size_t i, size_t ns, const char *prefix,
		 char cuts[][POOL_KEY_MAX + 2], const size_t *cn,
		 const struct pe_key *end)
{
	s->from.p = i ? cuts[i - 1] : prefix;
	s->from.n = i ? cn[i - 1] : strlen(prefix);
	s->end = i + 1 < ns ? (struct pe_key){ cuts[i], cn[i] } : *end;
}

int psctl_pool_pages(const char *prefix, int64_t limit, int64_t *rev,
		     struct pe_kvs *all, const char *also,
		     struct pe_kvs *also_out)
{
	char cuts[STREAMS_MAX][POOL_KEY_MAX + 2];
	size_t cn[STREAMS_MAX], n = streams(), i, ns = 0, nt;
	struct pe_key end = { NULL, 0 }, aend = { NULL, 0 };
	struct stream *s = NULL;
	int rc = 0;

	if (n > 1)
		rc = plan(prefix, n, limit, rev, cuts, cn, &ns);
	else if (!*rev && also) {   /* one stream: `also` gives the revision */
		rc = pe_range(&pool_g.pe, also, 1, also_out);
		*rev = also_out->revision;
		also = NULL;
	}
	if (rc)
		return rc;
	ns++;
	nt = ns + (also != NULL);
	end.p = pe_prefix_end(prefix, &end.n);
	aend.p = also ? pe_prefix_end(also, &aend.n) : "";
	s = end.p && aend.p ? calloc(nt, sizeof *s) : NULL;
	if (!s) {
		snprintf(pool_g.pe.err, sizeof pool_g.pe.err, "out of memory");
		rc = PE_ERR_NOMEM;
	}
	/* every client opened before any thread runs (curl_global_init) */
	for (i = 0; i < nt && !rc; i++) {
		rc = pe_open(&s[i].cl, pool_g.url);
		if (!rc)   /* each stream starts on another member */
			s[i].cl.cur = (pool_g.pe.cur + (int)i) % s[i].cl.n_eps;
		else
			snprintf(pool_g.pe.err, sizeof pool_g.pe.err, "%s",
				 s[i].cl.err);
		if (i < ns) {
			span(&s[i], i, ns, prefix, cuts, cn, &end);
		} else {    /* `also`: one range, no limit */
			s[i].from = (struct pe_key){ also, strlen(also) };
			s[i].end = aend;
		}
		s[i].rev = *rev;
		s[i].limit = i < ns ? limit : 0;
	}
	for (i = 0; i < nt && !rc; i++)
		if (pthread_create(&s[i].th, NULL, run, &s[i])) {
			run(&s[i]);   /* no thread: this one in line */
			s[i].th = pthread_self();
		}
	for (i = 0; s && i < nt; i++) {
		if (!rc && !pthread_equal(s[i].th, pthread_self()))
			pthread_join(s[i].th, NULL);
		stats(&s[i].cl);
	}
	for (i = 0; s && i < nt; i++) {
		if (!rc && s[i].rc) {
			rc = s[i].rc;
			snprintf(pool_g.pe.err, sizeof pool_g.pe.err, "%s",
				 s[i].cl.err);
		}
		if (!rc)
			rc = psctl_pool_take(i < ns ? all : also_out,
					     &s[i].got);
		pe_kvs_free(&s[i].got);
		pe_close(&s[i].cl);
	}
	if (also_out)
		also_out->revision = *rev;
	free(s);
	free((char *)end.p);
	if (also)
		free((char *)aend.p);
	return rc;
}
