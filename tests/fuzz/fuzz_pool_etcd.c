/*
 * Fuzz the etcd gateway answer parsers (cli/psctl_pool_etcd.c): whatever
 * an endpoint answers, the parsers either refuse it with a message or
 * give kvs whose keys and values are exactly as long as they say (ASan
 * checks every byte), NUL-terminated; counts at most as many as asked
 * for, none negative.  The first byte picks the parser (seeds: '{' the
 * range parser, 0x01 txn, 0x02 counts).
 */
#include <stdlib.h>
#include <string.h>

#include "psctl_pool_etcd.h"

static void check(const struct pe_kvs *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (!k->kv[i].key || k->kv[i].key[k->kv[i].klen] != 0 ||
		    !k->kv[i].val || k->kv[i].val[k->kv[i].vlen] != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_kvs k;
	char err[200] = "";
	int64_t a, b, cnt[4];
	size_t got;
	int ok, rc;

	if (!size)
		return 0;
	/* '{' (123 % 4 == 3), the seeds' first byte: the range parser */
	switch (data[0] % 4) {
	case 1:
		rc = pe_parse_txn((const char *)data + 1, size - 1, &ok, &a, &k,
				  err, sizeof err);
		break;
	case 2:
		/* counts: at most 4 taken, each >= 0 */
		memset(&k, 0, sizeof k);
		rc = pe_parse_counts((const char *)data + 1, size - 1, cnt, 4,
				     &got, &a, err, sizeof err);
		while (!rc && got--)
			if (cnt[got] < 0)
				abort();
		break;
	case 0:
		memset(&k, 0, sizeof k);
		rc = pe_parse_lease((const char *)data + 1, size - 1, &a, &b,
				    err, sizeof err);
		break;
	default:
		rc = pe_parse_range((const char *)data + 1, size - 1, &k, err,
				    sizeof err);
	}
	if (rc && (!err[0] || k.n))
		abort();                 /* an error says what; gives nothing */
	check(&k);
	pe_kvs_free(&k);
	return 0;
}
