/*
 * pstate_client.c - a program outside the tree, built against the
 * installed headers and libraries the way README.md shows
 * (`pkg-config --cflags --libs pstate`), by tests/install/test_install.sh.
 *
 *   pstate_client IMAGE VM    prints "VM memory-kib N generation G"
 *
 * Opens the store with libpstate (ps_open_path), validates it with libpsf
 * and reads one VM's memory: the README's library example.  Exit 0 ok,
 * 1 on any failure (message on stderr).
 */
#include <stdio.h>
#include <string.h>

#include "pstate.h"
#include "psf_schema.h"

int main(int argc, char **argv)
{
	struct ps_opened o;
	char err[512];
	const void *buf;
	uint32_t len, bad, plen;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: pstate_client IMAGE VM\n");
		return 2;
	}
	if (ps_open_path(&o, argv[1], PS_OPEN_IMAGE, err, sizeof err) != 0) {
		fprintf(stderr, "pstate_client: %s: %s\n", argv[1], err);
		ps_open_close(&o);
		return 1;
	}
	buf = ps_store_data(o.store, &len);
	if (psf_check_full(buf, len, &bad) == 0) {
		struct psf_step path[] = { { PSF_VMS, NULL, 0 },
					   { PSF_VM, argv[2],
					     strlen(argv[2]) } };
		int vm = psf_find_path(buf, path, 2, PSF_NAME);
		int cfg = vm >= 0 ? psf_find_child(buf, vm, PSF_VM_CONFIG) : -1;
		const void *p = cfg >= 0 ? psf_payload(buf, cfg, &plen) : NULL;

		if (p) {
			printf("%s memory-kib %llu generation %llu\n", argv[2],
			       (unsigned long long)psf_field_uint(
				       p, plen, PSF_VMC_MEMORY_KIB, 8),
			       (unsigned long long)ps_store_generation(
				       o.store));
			rc = 0;
		} else {
			fprintf(stderr, "pstate_client: no VM %s\n", argv[2]);
		}
	} else {
		fprintf(stderr, "pstate_client: invalid store at %u\n", bad);
	}
	ps_open_close(&o);
	return rc;
}
