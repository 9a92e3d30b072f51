/*
 * psctl_lws.c - libwebsockets opened on first use (psctl_lws.h says
 * why), by pstate's loader (ps_dl.h): the table is filled whole or the
 * load fails, naming the library or the missing function.
 */
#include "ps_dl.h"
#include "psctl_lws.h"

struct psctl_lws psctl_lws;

#define ROW(f) PS_DL_SYM("libwebsockets.so.17", psctl_lws, f),
static const struct ps_dl_sym rows[] = { PSCTL_LWS_FNS(ROW) };
static struct ps_dl_table table = PS_DL_TABLE(rows);

int psctl_lws_load(char *err, size_t errlen)
{
	return ps_dl_load(&table, err, errlen);
}
