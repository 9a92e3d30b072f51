/*
 * fuzz_auth.c - the authenticated store's trailer parser and verdict
 * (pstate/ps_auth.c, docs/store.md section 8): the fuzzer writes the 64
 * trailer bytes after a sealed store on a RAM disk, then it is read and
 * verified with the key and a trusted counter of 5.
 *
 * Input byte 0, bit 0: the harness fills in the right MAC (so the key id,
 * flags and counter rules are reached, as CRCs are filled in by the other
 * harnesses); bytes 1..64: the trailer.  Checked: a trailer that decodes
 * encodes back to the same bytes, and the verdict is "verified" exactly
 * when the MAC was filled in, the key id is the key's, the trailer is not
 * marked unverified and the counter is 5 or 6.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pstate.h"

#define SECTORS 64u
static uint8_t disk[SECTORS * 512u], pristine[SECTORS * 512u];
static uint8_t store[16 * 512u], sector[512];
static const uint8_t KEY[PS_AUTH_KEY_LEN] = "fuzz key fuzz key fuzz key fuzz";
static struct ps_media m;
static uint64_t at;               /* byte offset of the trailer */

static void setup(void)
{
	struct ps_auth au;
	struct ps_commit_args a = { .auth = &au };
	struct ps_format_opts o = { .slot_count = 2 };
	struct ps_disk d;
	const struct ps_slot *s;

	ps_auth_arm(&au, KEY, 5, 1);
	if (ps_media_init_mem(&m, disk, 512, SECTORS) ||
	    ps_format(&d, &m, &o, sector) ||
	    ps_read(&d, &m, store, sizeof store) ||
	    ps_commit(&d, store, sector, &a))
		abort();
	s = &d.slot[d.base];
	at = (s->lba + 1) * 512u + s->length;
	memcpy(pristine, disk, sizeof disk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ps_auth_check c = { KEY, 1, 5, 1 };
	struct ps_auth_result r;
	struct ps_auth_trailer t;
	uint8_t raw[PS_AUTH_TRAILER_SIZE] = { 0 }, back[PS_AUTH_TRAILER_SIZE];
	uint8_t id[PS_AUTH_KEY_ID_LEN];
	struct ps_disk d;
	int fill, decoded, want;

	if (!ready)
		setup(), ready = 1;
	if (size < 1)
		return 0;
	fill = data[0] & 1;
	memcpy(raw, data + 1, size - 1 < sizeof raw ? size - 1 : sizeof raw);
	memcpy(disk, pristine, sizeof disk);
	if (ps_read(&d, &m, store, sizeof store))
		abort();
	decoded = ps_auth_trailer_decode(raw, &t) == PS_OK;
	if (decoded) {
		ps_auth_trailer_encode(back, &t);
		if (memcmp(back, raw, sizeof raw))
			abort();     /* a decoded trailer re-encodes the same */
	}
	if (fill && decoded) {
		ps_auth_mac(KEY, d.slot[d.base].raw, store, d.length, raw,
			    t.mac);
		memcpy(raw + 32, t.mac, sizeof t.mac);
	}
	memcpy(disk + at, raw, sizeof raw);
	if (ps_read(&d, &m, store, sizeof store) ||
	    ps_auth_verify(&d, store, &c, sector, &r))
		abort();
	ps_auth_key_id(KEY, id);
	want = fill && decoded && !(t.flags & PS_AUTH_T_UNVERIFIED) &&
	       !memcmp(t.key_id, id, sizeof id) &&
	       ps_auth_counter_rule(t.counter, 5) == PS_AUTH_VERIFIED;
	if ((r.verdict == PS_AUTH_VERIFIED) != want)
		abort();
	return 0;
}
