/*
 * hv_auth.c - hvagent and the authenticated store (docs/hvagent.md
 * "Authenticated stores", docs/security.md): each pass first verifies the
 * store it read with this host's key and trusted counter (the TPM or the
 * files, pstate/ps_auth_host.c); a store in authenticated mode that does
 * not verify (written without the key, tampered, rolled back) is not
 * applied: logged with the verdict, libvirt left as it is, an alert sent
 * to the BMC (a SEL entry), and the boot pass exits EXIT_AUTH.  The
 * pass's own commits are sealed (ps_auth_sess.c: one counter rule with
 * psctl).
 */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv.h"

extern char **environ;

/*
 * The alert: an OEM timestamped SEL record (type 0xC0) added through
 * ipmitool ("raw 0x0a 0x44": Add SEL Entry), readable with `ipmitool sel
 * list` on the BMC.  Bytes 7-9: the IANA number of docs/ipmi-oem.md;
 * 10: 0x01 (store refused), 11: the verdict (enum ps_auth_verdict), 12-15:
 * the refused store's generation (low 32 bits, little-endian).
 */
#define HV_SEL_REFUSED 0x01

static void alert(struct hv_auth *a, int verdict, uint64_t gen)
{
	char *argv[64], bytes[16][8], opts[sizeof a->ipmitool];
	uint8_t rec[16] = { 0, 0, 0xc0, 0, 0, 0, 0, 0xd9, 0x7e, 0x00,
			    HV_SEL_REFUSED };
	int argc = 0, i, st;
	char *save = NULL, *w;
	pid_t pid;

	if (!a->ipmitool[0])
		return;
	rec[11] = (uint8_t)verdict;
	for (i = 0; i < 4; i++)
		rec[12 + i] = (uint8_t)(gen >> (8 * i));
	snprintf(opts, sizeof opts, "%s", a->ipmitool);
	argv[argc++] = "ipmitool";
	for (w = strtok_r(opts, " \t", &save); w && argc < 40;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc++] = "raw";
	argv[argc++] = "0x0a";
	argv[argc++] = "0x44";
	for (i = 0; i < 16; i++) {
		snprintf(bytes[i], sizeof bytes[i], "0x%02x", rec[i]);
		argv[argc++] = bytes[i];
	}
	argv[argc] = NULL;
	if (posix_spawnp(&pid, "ipmitool", NULL, NULL, argv, environ)) {
		hv_log(HV_ERR, "store: alert to the BMC: ipmitool: %s",
		       strerror(errno));
		return;
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		hv_log(HV_ERR, "store: alert to the BMC: ipmitool %s failed",
		       a->ipmitool);
		return;
	}
	hv_log(HV_INFO, "store: alert sent to the BMC (SEL entry, verdict "
	       "%s)", ps_auth_verdict_name(verdict));
}

int hv_auth_check(struct hv_auth *a, struct ps_store *st)
{
	uint64_t gen = ps_store_generation(st);
	int rc = ps_auth_sess_load(&a->s, st), v = a->s.r.verdict;

	if (rc) {
		hv_log(HV_ERR, "store: authentication: %s%s; not applied, "
		       "libvirt left as it is", a->s.host.err[0] ?
		       a->s.host.err : "", a->s.host.err[0] ? "" :
		       ps_strerror(rc));
		return PS_ERR_AUTH;
	}
	if (v == PS_AUTH_OFF || v == PS_AUTH_VERIFIED) {
		a->alerted = 0;
		return 0;
	}
	hv_log(HV_ERR, "store: generation %llu is %s%s%s: refused, not "
	       "applied, libvirt left as it is (docs/security.md)",
	       (unsigned long long)gen, ps_auth_verdict_name(v),
	       v == PS_AUTH_NOKEY ? ": " : "",
	       v == PS_AUTH_NOKEY ? a->s.key_err : "");
	/* Once per refused store, not every poll of the daemon. */
	if (!a->alerted || a->alerted_gen != gen || a->alerted_v != v) {
		alert(a, v, gen);
		a->alerted = 1;
		a->alerted_gen = gen;
		a->alerted_v = v;
	}
	return PS_ERR_AUTH;
}

int hv_auth_arm(struct hv_auth *a, struct ps_store *st)
{
	int rc;

	/* Never an unsealed commit over a store the last check refused
	 * (a restart record between passes). */
	if (a->s.r.verdict != PS_AUTH_OFF && a->s.r.verdict != PS_AUTH_VERIFIED)
		return PS_ERR_AUTH;
	if (a->s.r.verdict != PS_AUTH_VERIFIED)
		return 0;
	rc = ps_auth_sess_arm(&a->s, st, a->s.key, 0);
	if (rc)
		hv_log(HV_ERR, "store: sealing the write-back: %s; nothing "
		       "written", a->s.host.err);
	return rc;
}

void hv_auth_done(struct hv_auth *a, struct ps_store *st, int committed)
{
	if (ps_auth_sess_done(&a->s, st, committed))
		hv_log(HV_WARN, "store: committed, but the trusted counter was "
		       "not raised (the next trusted writer does it): %s",
		       a->s.host.err);
}
