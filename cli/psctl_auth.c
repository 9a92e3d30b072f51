/*
 * psctl_auth.c - the authenticated store from psctl (docs/store.md
 * section 8, docs/psctl.1.md "auth"): `auth init|rotate|status`, the
 * verdict `info` and `check --verify` show, and the gate every edit
 * passes (psctl_auth_before / psctl_auth_after around the commit).
 *
 * The key and the trusted counter are the host's: its TPM or root-only
 * files (pstate/ps_auth_host.c says which, ps_auth_sess.c uses them).  The rules live in pstate/ps_auth.c; this
 * file only decides what psctl does with a verdict.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pstate.h"
#include "psctl.h"
#include "psctl_main.h"
#include "psctl_move.h"

/* What psctl knows of the open store's authentication.  Static: the seal
 * handed to the store handle must outlive its commits. */
static struct {
	struct ps_auth_sess s;
	char note[PS_AUTH_PATH_MAX + 80]; /* what load() did on its own */
} A;

/* The exit code of `check --verify` for a verdict (docs/psctl.1.md). */
static int verdict_exit(int v)
{
	static const int code[] = {
		0, 0, PSCTL_EXIT_AUTH_NOKEY, PSCTL_EXIT_AUTH_UNVERIFIED,
		PSCTL_EXIT_AUTH_BADMAC, PSCTL_EXIT_AUTH_ROLLBACK,
		PSCTL_EXIT_AUTH_AHEAD,
	};

	return v >= 0 && v <= PS_AUTH_AHEAD ? code[v] : PSCTL_EXIT_AUTH_BADMAC;
}

static int verify(const uint8_t *key)
{
	return ps_auth_sess_verify(&A.s, psctl_g.st.store, key);
}

/*
 * A rotation cut short between its commit and the key file's rename
 * leaves the store under KEY.new: finish it when that key verifies.
 */
static void finish_rotation(void)
{
	char path[PS_AUTH_PATH_MAX + 8], saved[PS_AUTH_PATH_MAX];
	uint8_t k[PS_AUTH_KEY_LEN];
	int rc;

	snprintf(path, sizeof path, "%s.new", A.s.host.key_path);
	memcpy(saved, A.s.host.key_path, sizeof saved);
	memcpy(A.s.host.key_path, path, sizeof A.s.host.key_path);
	A.s.host.key_path[sizeof A.s.host.key_path - 1] = 0;
	rc = A.s.p.get_key(A.s.p.ctx, k);
	memcpy(A.s.host.key_path, saved, sizeof saved);
	if (rc || verify(k) || A.s.r.verdict == PS_AUTH_BADMAC) {
		verify(A.s.key);
		return;
	}
	if (ps_auth_host_install_key(&A.s.host, path) == PS_OK) {
		memcpy(A.s.key, k, sizeof k);
		snprintf(A.note, sizeof A.note, "finished an interrupted key "
			 "rotation (%s)", path);
	}
}

/* Key, counter and verdict of the open store; 0 or an exit code. */
static int load(struct psctl_ctx *c)
{
	int rc = psctl_need_store(c);

	if (rc)
		return rc;
	memset(&A, 0, sizeof A);
	rc = ps_auth_sess_load(&A.s, psctl_g.st.store);
	if (rc == PS_ERR_NOKEY || (rc && A.s.counter_rc == rc))
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "%s",
				   A.s.host.err);
	if (!rc && A.s.r.verdict == PS_AUTH_BADMAC && A.s.key_rc == PS_OK)
		finish_rotation();
	return rc ? psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "reading the "
				"auth trailer: %s", ps_strerror(rc)) : 0;
}

/* The verdict in words, for info and status. */
static void verdict_text(char *out, size_t n)
{
	if (A.s.r.verdict == PS_AUTH_OFF) {
		snprintf(out, n, "off");
		return;
	}
	snprintf(out, n, "%s%s%s", ps_auth_verdict_name(A.s.r.verdict),
		 A.s.r.verdict == PS_AUTH_NOKEY ? ": " : "",
		 A.s.r.verdict == PS_AUTH_NOKEY ? A.s.key_err : "");
}

const char *psctl_auth_info(struct psctl_ctx *c)
{
	static char text[sizeof A.s.key_err + 40];

	if (psctl_g.bmc_store || load(c))
		return "unknown";
	verdict_text(text, sizeof text);
	return text;
}

int psctl_auth_check_verify(struct psctl_ctx *c)
{
	char text[sizeof A.s.key_err + 40];
	int rc;

	/* psctl holds a copy of the BMC's store, not its slots: the BMC
	 * verifies its own (docs/security.md, "Status"). */
	if (psctl_g.bmc_store)
		return psctl_error(c, "check", "--verify", NULL,
				   PSCTL_EXIT_USAGE, "not over --bmc: the BMC "
				   "verifies its own store");
	rc = load(c);

	if (rc)
		return rc;
	verdict_text(text, sizeof text);
	fprintf(c->out, "auth: %s\n", text);
	return verdict_exit(A.s.r.verdict);
}

/* Why an edit of a store in this state is refused (NULL: allowed). */
static const char *refusal(int flags)
{
	int v = A.s.r.verdict;

	if (v == PS_AUTH_OFF || v == PS_AUTH_VERIFIED)
		return NULL;
	if (v == PS_AUTH_NOKEY)
		return flags & PSCTL_AUTH_UNVERIFIED ? NULL :
		       "authenticated store and no key here: refused "
		       "(--unverified writes it marked unverified)";
	if (A.s.key_rc != PS_OK)
		return "authenticated store and no key here: refused";
	return flags & PSCTL_AUTH_ACCEPT ? NULL :
	       "the store does not verify: review it, then pass "
	       "--accept-unverified to seal it with this host's key";
}

int psctl_auth_before(struct psctl_ctx *c)
{
	const char *why;
	int rc;

	if (psctl_g.bmc_store)
		return 0;
	rc = load(c);
	if (rc)
		return rc;
	why = refusal(c->auth_flags);
	if (why)
		return psctl_error(c, psctl_g.cmd, NULL, NULL,
				   verdict_exit(A.s.r.verdict), "%s: %s; "
				   "nothing written",
				   ps_auth_verdict_name(A.s.r.verdict), why);
	if (A.s.r.verdict == PS_AUTH_OFF)
		return 0;
	rc = ps_auth_sess_arm(&A.s, psctl_g.st.store,
			      A.s.r.verdict == PS_AUTH_NOKEY ? NULL : A.s.key,
			      A.s.r.verdict != PS_AUTH_VERIFIED);
	return rc ? psctl_error(c, psctl_g.cmd, NULL, NULL, rc,
				"%s; nothing written", A.s.host.err) : 0;
}

int psctl_auth_after(struct psctl_ctx *c, int committed)
{
	int rc;

	/* Test hook: a power cut between the commit and the increment. */
	if (A.s.raise && committed)
		move_crash_point("auth-counter");
	rc = ps_auth_sess_done(&A.s, psctl_g.st.store, committed);
	if (rc)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "committed, "
				   "but the trusted counter was not raised "
				   "(the next trusted writer does it): %s",
				   A.s.host.err);
	return 0;
}

/* ------------------------------------------------------------ commands */

static int keep(void *buf, size_t cap, void *arg)
{
	(void)buf, (void)cap, (void)arg;
	return 0;
}

/* One sealed commit of the store as it is, under the writers' lock. */
static int seal_commit(struct psctl_ctx *c, const uint8_t *key)
{
	char err[1600];
	int rc = ps_open_lock(&psctl_g.st, PS_OWNER_OS, err, sizeof err);

	if (rc)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "%s", err);
	rc = ps_auth_sess_arm(&A.s, psctl_g.st.store, key, 1);
	if (rc)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc,
				   "%s; nothing written", A.s.host.err);
	rc = ps_update(psctl_g.st.store, keep, NULL, PSCTL_RETRIES);
	if (rc) {
		psctl_auth_after(c, 0);
		return psctl_error(c, psctl_g.cmd, NULL, NULL, rc, "commit "
				   "failed: %s; nothing written",
				   ps_strerror(rc));
	}
	return psctl_auth_after(c, 1);
}

static int writable(struct psctl_ctx *c)
{
	if (psctl_g.bmc_store)
		return psctl_error(c, psctl_g.cmd, "--bmc", c->bmc,
				   PSCTL_EXIT_USAGE, "the BMC seals its own "
				   "commits (its platform key): not from here");
	if (c->dry_run || c->media->read_only)
		return psctl_error(c, psctl_g.cmd, NULL, NULL, PS_ERR_RDONLY,
				   "%s: read-only or --dry-run; nothing "
				   "written", c->where);
	return 0;
}

static void say_sealed(struct psctl_ctx *c, const char *what)
{
	uint8_t id[PS_AUTH_KEY_ID_LEN];
	char hex[2 * PS_AUTH_KEY_ID_LEN + 1];
	unsigned i;

	ps_auth_key_id(A.s.key, id);
	for (i = 0; i < sizeof id; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	psctl_say(c, "%s: key id %s, counter %llu, generation %llu", what, hex,
		  (unsigned long long)A.s.next,
		  (unsigned long long)ps_store_generation(psctl_g.st.store));
}

/* What init and rotate start with: no arguments, the store's state, a
 * store they may write.  0 or an exit code. */
static int start(struct psctl_ctx *c, int argc, char **argv)
{
	int rc;

	if (argc > 1)
		return psctl_error(c, psctl_g.cmd, NULL, argv[1],
				   PSCTL_EXIT_USAGE, "unknown argument");
	rc = load(c);
	return rc ? rc : writable(c);
}

static int cmd_init(struct psctl_ctx *c, int argc, char **argv)
{
	int rc = start(c, argc, argv);

	if (rc)
		return rc;
	if (A.s.r.verdict == PS_AUTH_VERIFIED && A.s.counter_rc == PS_OK)
		return psctl_error(c, "auth init", NULL, NULL, PS_ERR_EXISTS,
				   "already in authenticated mode (psctl auth "
				   "rotate changes the key); nothing written");
	/* Sealed by someone else, or tampered: not this command's call. */
	if (A.s.r.sealed && A.s.r.verdict != PS_AUTH_VERIFIED &&
	    !(c->auth_flags & PSCTL_AUTH_ACCEPT))
		return psctl_error(c, "auth init", NULL, NULL,
				   verdict_exit(A.s.r.verdict), "the store is "
				   "sealed and does not verify (%s); nothing "
				   "written", ps_auth_verdict_name(A.s.r.verdict));
	/* An existing safe key is kept: an init cut short is run again. */
	if (A.s.key_rc != PS_OK) {
		if (access(A.s.host.key_path, F_OK) == 0)
			return psctl_error(c, "auth init", NULL, NULL,
					   A.s.key_rc, "%s; nothing written",
					   A.s.key_err);
		rc = ps_auth_host_new_key(&A.s.host, A.s.host.key_path, A.s.key);
		if (rc)
			return psctl_error(c, "auth init", NULL, NULL, rc,
					   "%s; nothing written", A.s.host.err);
	}
	rc = seal_commit(c, A.s.key);
	if (!rc)
		say_sealed(c, "authenticated mode on");
	return rc;
}

static int cmd_rotate(struct psctl_ctx *c, int argc, char **argv)
{
	char path[PS_AUTH_PATH_MAX + 8];
	uint8_t nk[PS_AUTH_KEY_LEN];
	int rc = start(c, argc, argv);

	if (rc)
		return rc;
	if (A.s.r.verdict != PS_AUTH_VERIFIED &&
	    !(A.s.r.sealed && A.s.key_rc == PS_OK &&
	      (c->auth_flags & PSCTL_AUTH_ACCEPT)))
		return psctl_error(c, "auth rotate", NULL, NULL,
				   A.s.r.verdict == PS_AUTH_OFF
					   ? PSCTL_EXIT_USAGE
					   : verdict_exit(A.s.r.verdict),
				   "the store is %s: rotate needs a verified "
				   "authenticated store; nothing written",
				   ps_auth_verdict_name(A.s.r.verdict));
	/* The new key beside the old: a cut between the commit and the
	 * rename is finished by the next load (finish_rotation). */
	snprintf(path, sizeof path, "%s.new", A.s.host.key_path);
	(void)unlink(path);
	rc = ps_auth_host_new_key(&A.s.host, path, nk);
	if (rc)
		return psctl_error(c, "auth rotate", NULL, NULL, rc,
				   "%s; nothing written", A.s.host.err);
	rc = seal_commit(c, nk);
	if (rc) {
		(void)unlink(path);
		return rc;
	}
	rc = ps_auth_host_install_key(&A.s.host, path);
	memcpy(A.s.key, nk, sizeof nk);
	if (rc)
		return psctl_error(c, "auth rotate", NULL, NULL, rc, "%s",
				   A.s.host.err);
	say_sealed(c, "key rotated");
	return 0;
}

static int cmd_status(struct psctl_ctx *c, int argc, char **argv)
{
	char text[sizeof A.s.key_err + 40];
	uint8_t id[PS_AUTH_KEY_ID_LEN];
	unsigned i;
	int rc;

	if (argc > 1)
		return psctl_error(c, "auth status", NULL, argv[1],
				   PSCTL_EXIT_USAGE, "unknown argument");
	rc = load(c);
	if (rc)
		return rc;
	if (A.note[0])
		fprintf(c->err, "%s: %s\n", c->prog, A.note);
	fprintf(c->out, "mode: %s\n", A.s.r.sealed ? "authenticated" :
		A.s.counter_rc == PS_OK ? "expected here, slot not sealed" :
		"off");
	fprintf(c->out, "key-file: %s\n", A.s.host.key_path);
	if (A.s.key_rc == PS_OK) {
		ps_auth_key_id(A.s.key, id);
		fprintf(c->out, "key-id: ");
		for (i = 0; i < sizeof id; i++)
			fprintf(c->out, "%02x", id[i]);
		fprintf(c->out, "\n");
	} else {
		fprintf(c->out, "key-id: none (%s)\n", A.s.key_err);
	}
	if (A.s.r.have_trailer) {
		fprintf(c->out, "slot-key-id: ");
		for (i = 0; i < sizeof A.s.r.t.key_id; i++)
			fprintf(c->out, "%02x", A.s.r.t.key_id[i]);
		fprintf(c->out, "\nslot-counter: %llu\n",
			(unsigned long long)A.s.r.t.counter);
	}
	if (A.s.host.tcti[0])
		fprintf(c->out, "tpm: %s\ncounter-nv-index: 0x%08x\n",
			A.s.host.tcti, (unsigned)A.s.host.nv_index);
	else
		fprintf(c->out, "counter-file: %s\n", A.s.host.counter_path);
	if (A.s.counter_rc == PS_OK)
		fprintf(c->out, "counter: %llu\n",
			(unsigned long long)A.s.trusted);
	else
		fprintf(c->out, "counter: none\n");
	verdict_text(text, sizeof text);
	fprintf(c->out, "verdict: %s\n", text);
	return 0;
}

/* The BMC verifies and seals with the host's key; where the TPM keeps it
 * sealed, the key file is a blob only this TPM loads, so provisioning
 * needs the raw bytes, written root-only for the vendor's path into the
 * BMC (docs/security.md "The BMC"). */
static int cmd_export_key(struct psctl_ctx *c, int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return psctl_error(c, "auth export-key", NULL,
				   argc > 2 ? argv[2] : NULL, PSCTL_EXIT_USAGE,
				   argc > 2 ? "unknown argument"
					    : "FILE missing (where to write the key)");
	rc = load(c);
	if (rc)
		return rc;
	if (A.s.key_rc != PS_OK)
		return psctl_error(c, "auth export-key", NULL, NULL, A.s.key_rc,
				   "%s; nothing written", A.s.key_err);
	if (A.s.r.verdict != PS_AUTH_VERIFIED)
		return psctl_error(c, "auth export-key", NULL, NULL,
				   A.s.r.verdict == PS_AUTH_OFF
					   ? PSCTL_EXIT_USAGE
					   : verdict_exit(A.s.r.verdict),
				   "the store is %s: only the key of a verified "
				   "authenticated store is exported; nothing "
				   "written", ps_auth_verdict_name(A.s.r.verdict));
	rc = ps_auth_host_export_key(&A.s.host, A.s.key, argv[1]);
	if (rc)
		return psctl_error(c, "auth export-key", NULL, argv[1], rc,
				   "%s; nothing written", A.s.host.err);
	psctl_say(c, "key written to '%s' (mode 0600): give it to the BMC, "
		  "then remove it", argv[1]);
	return 0;
}

const struct psctl_cmd psctl_auth_cmds[] = {
	{ "auth", "init", cmd_init, "",
	  "authenticated mode: a new key, the store sealed in one commit",
	  NULL, 0, 0 },
	{ "auth", "rotate", cmd_rotate, "",
	  "a new key: the store re-sealed in one commit", NULL, 0, 0 },
	{ "auth", "status", cmd_status, "",
	  "mode, key id, counters and the verdict", NULL, 0, 0 },
	{ "auth", "export-key", cmd_export_key, "FILE",
	  "the store's key, raw, into a new root-only FILE for the BMC's "
	  "provisioning", NULL, 0, 0 },
	{ 0 }
};
