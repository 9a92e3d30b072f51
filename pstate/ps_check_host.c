/*
 * ps_check_host.c - the whole-store check for hosts: ps_cfg_check_ws with
 * a workspace from malloc, so that every hosted caller (psctl check and
 * import, hvagent) gets the n log n strategy from one call.
 */
#include <stdlib.h>

#include "ps_config.h"

int ps_cfg_check_host(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		      void *ctx)
{
	size_t need = ps_cfg_check_ws_size(buf, len);
	void *ws = need ? malloc(need) : NULL;
	int rc;

	/* Without memory the check still runs, pairwise: slower, the same
	 * lines. */
	rc = ps_cfg_check_ws(buf, len, fn, ctx, ws, ws ? need : 0);
	free(ws);
	return rc;
}
