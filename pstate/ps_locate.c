/*
 * ps_locate.c - find the store: USB keys in priority order (ps_discover),
 * each key's pstate partition (ps_part), and the first one that holds a
 * store the store layer can read.  Validation is the same code a real open
 * runs, so "valid" in a scan report means "would open".
 */
#include <stdio.h>

#include "pstate.h"

int ps_check_partition(void *ctx, const char *dev, uint64_t offset,
		       uint64_t length, char *reason, size_t reason_len)
{
	struct ps_media m;
	struct ps_store *s;
	int rc;

	(void)ctx;
	rc = ps_media_open_image(&m, dev, offset, length,
				 ps_part_sector_size(dev, offset, length),
				 PS_MEDIA_RDONLY);
	if (rc) {
		snprintf(reason, reason_len, "cannot open the partition: %s",
			 ps_strerror(rc));
		return rc;
	}
	s = ps_store_open(&m, &rc);
	if (!s) {
		snprintf(reason, reason_len, "no usable store: %s",
			 ps_strerror(rc));
	} else {
		snprintf(reason, reason_len, "valid store, generation %llu",
			 (unsigned long long)ps_store_generation(s));
		ps_store_close(s);
		rc = PS_OK;
	}
	ps_media_close(&m);
	return rc;
}

int ps_locate(struct ps_disc_result *res, const char *ports_conf,
	      int scan_all, char *err, size_t errlen)
{
	struct ps_disc_opts o = { ps_check_partition, NULL, ports_conf,
				  scan_all };
	int rc = ps_disc_scan(&o, res, err, errlen);

	if (rc)
		return rc;
	if (res->chosen < 0) {
		snprintf(err, errlen, "no USB key holds a valid pstate store "
			 "(%d candidate%s scanned)", res->n,
			 res->n == 1 ? "" : "s");
		return PS_ERR_NOSTORE;
	}
	return res->chosen;
}
