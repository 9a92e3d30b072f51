/*
 * hv_state.c - the agent's record of what it last synced, kept in the
 * store under AGENT_STATE (namespace 0x0001, docs/hvagent.md):
 *
 *   AGENT_STATE
 *     AGENT_RECORD        version, pass time
 *     AGENT_URI           the libvirt URI the pairs were synced with
 *     AGENT_DOMS
 *       AGENT_DOM         one per synced VM/domain pair
 *         AGENT_DOM_RECORD  UUID, flags
 *         AGENT_FIELDS      the store side's fields, text "key=value" lines
 *         AGENT_LV_DELTA    libvirt's fields where they differ from those
 *
 * Entries whose bytes would not change are not touched, so a pass with
 * nothing to sync leaves the store byte for byte as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "hv.h"

#define ENTRY_ROOM 32u   /* pad after the fields: room to grow in place */

void hv_bases_free(struct hv_bases *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		hv_kv_free(&b->b[i].bs);
		hv_kv_free(&b->b[i].bl);
	}
	free(b->b);
	b->b = NULL;
	b->n = 0;
}

struct hv_base *hv_bases_find(struct hv_bases *b, const uint8_t uuid[16])
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!memcmp(b->b[i].uuid, uuid, 16))
			return &b->b[i];
	return NULL;
}

static int entry_uuid(const void *buf, int ent, uint8_t uuid[16],
		      uint8_t *flags)
{
	uint32_t len;
	const uint8_t *rec = psf_child_payload(buf, ent, PSF_AGENT_DOM_RECORD,
					       &len);

	if (!rec)
		return -1;
	psf_field_bytes(rec, len, PSF_AGD_UUID, uuid, 16);
	if (flags)
		*flags = (uint8_t)psf_field_uint(rec, len, PSF_AGD_FLAGS, 1);
	return 0;
}

static int load_entry(const void *buf, int ent, struct hv_base *b)
{
	uint32_t flen, dlen;
	const char *f, *d;

	memset(b, 0, sizeof *b);
	if (entry_uuid(buf, ent, b->uuid, &b->flags))
		return 1;    /* not ours to read: skipped, kept */
	f = psf_child_payload(buf, ent, PSF_AGENT_FIELDS, &flen);
	d = psf_child_payload(buf, ent, PSF_AGENT_LV_DELTA, &dlen);
	if (f && hv_kv_parse(&b->bs, f, flen))
		return -1;
	return hv_kv_undelta(&b->bl, &b->bs, d ? d : "", d ? dlen : 0);
}

int hv_state_load(const void *buf, struct hv_bases *out)
{
	int st = psf_find_child(buf, psf_root(buf), PSF_AGENT_STATE);
	int doms, ent;
	uint32_t len;
	const char *uri;

	memset(out, 0, sizeof *out);
	if (st < 0)
		return 0;
	uri = psf_child_payload(buf, st, PSF_AGENT_URI, &len);
	if (uri)
		snprintf(out->uri, sizeof out->uri, "%.*s", (int)len, uri);
	doms = psf_find_child(buf, st, PSF_AGENT_DOMS);
	if (doms < 0)
		return 0;
	psf_for_each_child(buf, doms, ent) {
		struct hv_base *nb;
		int rc;

		if (psf_sig(buf, ent) != PSF_AGENT_DOM)
			continue;
		nb = realloc(out->b, (out->n + 1) * sizeof *nb);
		if (!nb)
			return PS_ERR_NOMEM;
		out->b = nb;
		rc = load_entry(buf, ent, &out->b[out->n]);
		if (rc < 0) {
			hv_kv_free(&out->b[out->n].bs);
			hv_kv_free(&out->b[out->n].bl);
			return PS_ERR_NOMEM;
		}
		if (rc == 0)
			out->n++;
	}
	return 0;
}

/* ------------------------------------------------------------ writing */

/* A child structure's payload set to (p, n) unless it already is. */
static int put_child(void *buf, size_t cap, int parent, uint32_t sig,
		     const void *p, uint32_t n, int *changed)
{
	int el = psf_find_child(buf, parent, sig);
	uint32_t len;
	const void *cur;

	if (el >= 0) {
		cur = psf_payload(buf, el, &len);
		if (cur && len == n && (!n || !memcmp(cur, p, n)))
			return 0;
		*changed = 1;
		return psf_set_payload(buf, cap, el, p, n);
	}
	*changed = 1;
	el = psf_insert(buf, cap, parent, -1, sig, p, n);
	return el < 0 ? el : 0;
}

static int container(void *buf, size_t cap, int parent, uint32_t sig)
{
	int el = psf_find_child(buf, parent, sig);

	return el >= 0 ? el : psf_insert(buf, cap, parent, -1, sig, NULL, 0);
}

struct slot {
	int off;          /* existing entry, or -1 */
	size_t rec;       /* index into recs, or (size_t)-1: delete */
};

static int by_offset_desc(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->off < y->off ? 1 : x->off > y->off ? -1 : 0;
}

/* Fill entry ent (existing) with rec's texts; counts a change. */
static int fill_entry(void *buf, size_t cap, int ent,
		      const struct hv_record *r, int *changed)
{
	uint8_t dr[PSF_AGD_SIZE] = { 0 };
	size_t flen = 0, dlen = 0;
	char *f = hv_kv_text(r->bs, &flen);
	char *d = hv_kv_delta_text(r->bs, r->bl, &dlen);
	int rc = f && d ? 0 : PS_ERR_NOMEM;

	memcpy(dr + PSF_AGD_UUID, r->uuid, 16);
	dr[PSF_AGD_FLAGS] = r->flags;
	/* Last child first: edits never move what precedes them. */
	if (!rc)
		rc = put_child(buf, cap, ent, PSF_AGENT_LV_DELTA, d,
			       (uint32_t)dlen, changed);
	if (!rc)
		rc = put_child(buf, cap, ent, PSF_AGENT_FIELDS, f,
			       (uint32_t)flen, changed);
	if (!rc)
		rc = put_child(buf, cap, ent, PSF_AGENT_DOM_RECORD, dr,
			       sizeof dr, changed);
	free(f);
	free(d);
	return rc;
}

static int new_entry(void *buf, size_t cap, int doms,
		     const struct hv_record *r)
{
	int ent = psf_insert(buf, cap, doms, -1, PSF_AGENT_DOM, NULL, 0);
	int changed = 0, rc;

	if (ent < 0)
		return ent;
	rc = psf_insert(buf, cap, ent, -1, PSF_AGENT_DOM_RECORD, NULL,
			PSF_AGD_SIZE);
	if (rc >= 0)
		rc = psf_insert(buf, cap, ent, -1, PSF_AGENT_FIELDS, NULL, 0);
	if (rc >= 0)
		rc = psf_insert(buf, cap, ent, -1, PSF_PAD, NULL, ENTRY_ROOM);
	if (rc >= 0)
		rc = psf_insert(buf, cap, ent, -1, PSF_AGENT_LV_DELTA, NULL, 0);
	return rc < 0 ? rc : fill_entry(buf, cap, ent, r, &changed);
}

int hv_state_store(void *buf, size_t cap, const struct hv_record *recs,
		   size_t n, const char *uri, uint64_t now)
{
	int st, doms, ent, rc = 0, changed = 0, nchanged = 0;
	struct slot *sl = NULL;
	uint8_t *seen = calloc(n + 1, 1);
	size_t ns = 0, cap_sl = 0, i;
	struct hv_index by_uuid;

	hv_index_init(&by_uuid);
	for (i = 0; seen && i < n; i++)
		if (hv_index_add(&by_uuid, recs[i].uuid, 16, i)) {
			free(seen);
			seen = NULL;
		}
	if (!seen) {
		hv_index_free(&by_uuid);
		return PS_ERR_NOMEM;
	}
	st = container(buf, cap, psf_root(buf), PSF_AGENT_STATE);
	doms = st < 0 ? st : container(buf, cap, st, PSF_AGENT_DOMS);
	if (doms < 0) {
		hv_index_free(&by_uuid);
		free(seen);
		return doms;
	}
	psf_for_each_child(buf, doms, ent) {
		uint8_t uuid[16];
		struct slot *nsl;
		const struct hv_index_ent *e;

		if (psf_sig(buf, ent) != PSF_AGENT_DOM ||
		    entry_uuid(buf, ent, uuid, NULL))
			continue;
		if (ns == cap_sl) {
			cap_sl = cap_sl ? cap_sl * 2 : 64;
			nsl = realloc(sl, cap_sl * sizeof *sl);
			if (!nsl) {
				rc = PS_ERR_NOMEM;
				break;
			}
			sl = nsl;
		}
		e = hv_index_find(&by_uuid, uuid, 16);
		sl[ns].off = ent;
		sl[ns].rec = e ? e->val : (size_t)-1;
		if (sl[ns].rec != (size_t)-1) {
			if (seen[sl[ns].rec])
				sl[ns].rec = (size_t)-1;  /* a duplicate */
			else
				seen[sl[ns].rec] = 1;
		}
		ns++;
	}
	if (ns)
		qsort(sl, ns, sizeof *sl, by_offset_desc);
	for (i = 0; i < ns && !rc; i++) {
		if (sl[i].rec == (size_t)-1) {
			rc = psf_wip_nop(buf, sl[i].off);
			nchanged++;
			continue;
		}
		changed = 0;
		rc = fill_entry(buf, cap, sl[i].off, &recs[sl[i].rec], &changed);
		nchanged += changed;
	}
	for (i = 0; i < n && !rc; i++) {
		if (seen[i])
			continue;
		rc = new_entry(buf, cap, doms, &recs[i]);
		nchanged++;
	}
	free(sl);
	free(seen);
	hv_index_free(&by_uuid);
	if (!rc && nchanged) {
		uint8_t ar[PSF_AGR_SIZE] = { 1 };

		/* doms may have moved; the state container did not. */
		psf_put_le64(ar + PSF_AGR_PASS_TIME, now);
		rc = put_child(buf, cap, st, PSF_AGENT_URI, uri,
			       (uint32_t)strlen(uri), &changed);
		if (!rc)
			rc = put_child(buf, cap, st, PSF_AGENT_RECORD, ar,
				       sizeof ar, &changed);
	}
	return rc ? rc : nchanged;
}
