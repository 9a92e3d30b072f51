/*
 * Fuzz the editors.  The input is a program of edit operations applied to
 * a small store (VMs, pads, foreign-namespace elements) in a fixed-size
 * buffer.  After every operation:
 *   - success: psf_finish, then psf_check_full must pass;
 *   - failure: the buffer must be byte-identical to before (edits either
 *     happen whole or not at all).
 */
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"

#define CAP 2048
#define MAX_ELEMS 256

static int build_base(uint8_t *buf)
{
	struct psf_builder b;
	static const uint8_t foreign[3] = { 1, 2, 3 };

	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_VMS);
	psf_build_open(&b, PSF_VM);
	psf_build_string(&b, PSF_NAME, "web01");
	psf_build_struct(&b, PSF_VM_CONFIG, NULL, PSF_VMC_SIZE);
	psf_build_struct(&b, PSF_SIG(0, 0x4321, 5), foreign, 3);
	psf_build_close(&b);
	psf_build_open(&b, PSF_VM);
	psf_build_string(&b, PSF_NAME, "db01");
	psf_build_struct(&b, PSF_PAD, NULL, 24);
	psf_build_open(&b, PSF_NICS);
	psf_build_close(&b);
	psf_build_close(&b);
	psf_build_close(&b);
	psf_build_open(&b, PSF_SIG(1, 0x4321, 9));
	psf_build_struct(&b, PSF_SIG(0, 0x4321, 10), foreign, 2);
	psf_build_close(&b);
	psf_build_struct(&b, PSF_PAD, NULL, 40);
	return psf_build_finish(&b);
}

/* Pre-order list of every element offset. */
static size_t list_elems(const uint8_t *buf, int *out)
{
	int parents[PSF_MAX_DEPTH], depth = 0, off;
	size_t n = 0;

	out[n++] = psf_root(buf);
	parents[depth++] = psf_root(buf);
	off = psf_first_child_raw(buf, parents[0]);
	while (depth > 0 && n < MAX_ELEMS) {
		if (off < 0) {
			int done = parents[--depth];

			if (depth > 0)
				off = psf_next_child_raw(buf, parents[depth - 1],
							 done);
			continue;
		}
		out[n++] = off;
		if (PSF_SIG_IS_CONTAINER(psf_sig(buf, off)) &&
		    depth < (int)PSF_MAX_DEPTH) {
			parents[depth++] = off;
			off = psf_first_child_raw(buf, off);
			continue;
		}
		off = psf_next_child_raw(buf, parents[depth - 1], off);
	}
	return n;
}

static const uint32_t sigs[] = {
	PSF_NAME, PSF_PAD, PSF_VM, PSF_NICS, PSF_NIC_CONFIG,
	PSF_SIG(0, 0x4321, 77), PSF_SIG(1, 0x7000, 1),
};

static int apply(uint8_t *buf, size_t cap, const uint8_t *op, const int *el,
		 size_t n)
{
	int a = el[op[1] % n], b = el[op[2] % n];
	uint32_t len = op[3];
	uint32_t sig = sigs[op[2] % (sizeof(sigs) / sizeof(sigs[0]))];
	static const uint8_t junk[256];

	switch (op[0] % 7) {
	case 0:
		return psf_set_payload(buf, cap, a, junk, len);
	case 1:
		return psf_insert(buf, cap, a, -1, sig,
				  PSF_SIG_IS_CONTAINER(sig) ? NULL : junk,
				  PSF_SIG_IS_CONTAINER(sig) ? 0 : len);
	case 2:
		return psf_insert(buf, cap, a, b, PSF_DESCRIPTION, junk, len);
	case 3:
		return psf_delete(buf, a);
	case 4:
		return psf_wip_nop(buf, a);
	case 5:
		return psf_wip_write(buf, a, op[2], junk, len & 15);
	default:
		return psf_set_child(buf, cap, a, PSF_NAME, junk, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[CAP], before[CAP];
	int elems[MAX_ELEMS];
	size_t i, cap;

	if (build_base(buf) < 0)
		abort();
	/* The capacity varies with the input so NOSPACE paths get hit. */
	cap = size ? CAP - (size_t)data[0] * 4 : CAP;
	for (i = 1; i + 4 <= size; i += 4) {
		size_t n = list_elems(buf, elems);
		int rc;

		memcpy(before, buf, CAP);
		rc = apply(buf, cap, data + i, elems, n);
		if (rc < 0) {
			if (memcmp(before, buf, CAP) != 0)
				abort();
			continue;
		}
		if (psf_finish(buf) != 0 || psf_check_full(buf, cap, NULL) != 0)
			abort();
	}
	return 0;
}
