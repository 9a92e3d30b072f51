/*
 * psctl_pool_spare.c - spare pools (docs/pool.md "Spare pools"):
 *
 *   spare-pool create NAME MEMBER...   targets, as a failover's SPARE
 *   spare-pool list | delete NAME
 *   profile failover FAILED --spare-pool NAME [--force]
 *
 * A member is any target word (SERVER, SERVER#VM, bmc://..., image:...),
 * physical or VM, resolved when a failover picks it.  The failover takes
 * the first member, in the pool's order, that the move's own validation
 * accepts (it answers, a physical one is off, it carries no profile, the
 * identifiers fit: psctl_move.c), and moves the profile there.  Picking
 * is atomic: the mark step checks again, inside its transaction, that no
 * other profile took the spare (on etcd its /pstate/target/ key is
 * created with create_revision 0); a failover that lost the spare that
 * way picks the next one.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "psctl.h"
#include "psctl_jsonw.h"
#include "psctl_main.h"
#include "psctl_move.h"
#include "psctl_pool.h"
#include "psctl_pool_addr.h"

#define SP_MEMBERS 32

int pa_find_spares(const void *buf, const char *name, char *out, size_t n)
{
	int st = pa_state(buf), el;
	size_t nl = strlen(name);
	char t[PA_REC_MAX];

	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_SPARES);
	     el >= 0; el = psf_find_next(buf, st, el, PSF_POOL_SPARES)) {
		pa_rec_text(buf, el, t, sizeof t);
		if (!strncmp(t, name, nl) && t[nl] == ' ') {
			snprintf(out, n, "%s", t + nl + 1);
			return el;
		}
	}
	return -1;
}

/* Members of a record's member text, split in place. */
static int split(char *s, char **w, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, " ", &save); tok && n < max;
	     tok = strtok_r(NULL, " ", &save))
		w[n++] = tok;
	return n;
}

/* ------------------------------------------------------------ commands */

struct sp_args {
	const char *name;
	char text[PA_REC_MAX];
};

static int sp_create_edit(struct psctl_ctx *c, void *buf, size_t cap,
			  void *arg)
{
	struct sp_args *a = arg;
	char m[PA_REC_MAX];

	if (pa_find_spares(buf, a->name, m, sizeof m) >= 0) {
		psctl_error(c, "spare-pool create", "name", a->name,
			    PS_ERR_DUPLICATE, "a spare pool has that name");
		return PS_ERR_DUPLICATE;
	}
	return pa_put_rec(buf, cap, PSF_POOL_SPARES, a->text);
}

static int sp_create(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = "spare-pool create", *why = NULL;
	struct sp_args a;
	size_t len;
	int i, rc;

	if (argc < 3)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s NAME MEMBER...", cmd);
	a.name = argv[1];
	if (ps_check_name(a.name, strlen(a.name), &why) ||
	    strlen(a.name) >= IDP_NAME_MAX)
		return psctl_error(c, cmd, "name", a.name, PSCTL_EXIT_INVALID,
				   "%s", why ? why : "too long");
	if (argc - 2 > SP_MEMBERS)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_INVALID,
				   "at most %d members", SP_MEMBERS);
	len = (size_t)snprintf(a.text, sizeof a.text, "%s", a.name);
	for (i = 2; i < argc; i++) {
		if (argv[i][0] == '-' || strchr(argv[i], ' '))
			return psctl_error(c, cmd, "member", argv[i],
					   PSCTL_EXIT_INVALID, "a target "
					   "(SERVER, SERVER#VM, bmc://..., "
					   "image:...) without spaces");
		len += (size_t)snprintf(a.text + len, sizeof a.text - len,
					" %s", argv[i]);
		if (len >= sizeof a.text)
			return psctl_error(c, cmd, NULL, NULL,
					   PSCTL_EXIT_INVALID, "the members "
					   "take more than %d bytes",
					   PA_REC_MAX - 1);
	}
	psctl_pool_scope(c, NULL);       /* the etcd pool: its record only */
	psctl_pool_want_spares(a.name);
	rc = psctl_edit(c, sp_create_edit, &a);
	if (!rc)
		psctl_confirm(c, "spare pool '%s' created: %d member%s",
			      a.name, argc - 2, argc == 3 ? "" : "s");
	return rc;
}

static int sp_list(struct psctl_ctx *c, int argc, char **argv)
{
	char t[PA_REC_MAX], *w[SP_MEMBERS + 1];
	struct psctl_jw jw;
	const void *buf;
	uint32_t len;
	int st, el, n, i, rc;

	if (argc > 1)
		return psctl_error(c, "spare-pool list", NULL, argv[1],
				   PSCTL_EXIT_USAGE, "usage: spare-pool list");
	psctl_pool_scope_addr(c, PA_SPARES, NULL, NULL);
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	buf = psctl_store_data(c, &len);
	st = pa_state(buf);
	if (c->json) {
		psctl_jw_doc(&jw, c->out, "spare-pool list", 0);
		psctl_jw_key(&jw, "items");
		psctl_jw_arr(&jw, 1);
	}
	for (el = st < 0 ? -1 : psf_find_next(buf, st, -1, PSF_POOL_SPARES);
	     el >= 0; el = psf_find_next(buf, st, el, PSF_POOL_SPARES)) {
		pa_rec_text(buf, el, t, sizeof t);
		n = split(t, w, SP_MEMBERS + 1);
		if (!c->json) {
			fprintf(c->out, "%-12s", n ? w[0] : "");
			for (i = 1; i < n; i++)
				fprintf(c->out, " %s", w[i]);
			fputc('\n', c->out);
			continue;
		}
		psctl_jw_obj(&jw, 0);
		psctl_jw_key(&jw, "name");
		psctl_jw_str(&jw, n ? w[0] : "");
		psctl_jw_key(&jw, "members");
		psctl_jw_arr(&jw, 0);
		for (i = 1; i < n; i++)
			psctl_jw_str(&jw, w[i]);
		psctl_jw_end(&jw);
		psctl_jw_end(&jw);
	}
	if (c->json)
		psctl_jw_doc_end(&jw);
	return 0;
}

static int sp_delete_edit(struct psctl_ctx *c, void *buf, size_t cap,
			  void *arg)
{
	char m[PA_REC_MAX];
	int el = pa_find_spares(buf, arg, m, sizeof m);

	(void)cap;
	if (el < 0) {
		psctl_error(c, "spare-pool delete", "name", arg,
			    PSF_ERR_NOTFOUND, "no such spare pool");
		return PSF_ERR_NOTFOUND;
	}
	return psf_delete(buf, el);
}

static int sp_delete(struct psctl_ctx *c, int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return psctl_error(c, "spare-pool delete", NULL, NULL,
				   PSCTL_EXIT_USAGE, "usage: spare-pool delete "
				   "NAME");
	psctl_pool_scope(c, NULL);
	psctl_pool_want_spares(argv[1]);
	rc = psctl_edit(c, sp_delete_edit, argv[1]);

	if (!rc)
		psctl_confirm(c, "spare pool '%s' deleted", argv[1]);
	return rc;
}

void psctl_pool_want_spares(const char *spares)
{
	char key[POOL_KEY_MAX];

	snprintf(key, sizeof key, POOL_PREFIX "spares/%s", spares);
	psctl_pool_want(key);
}

/* A target word resolved without a word to c->err (0), else non-zero. */
static int quiet_target(struct psctl_ctx *c, const char *cmd,
			const char *word, struct mtarget *t)
{
	FILE *keep = c->err, *null = fopen("/dev/null", "w");
	int rc;

	if (null)
		c->err = null;
	rc = move_user_target(c, cmd, word, t);
	c->err = keep;
	if (null)
		fclose(null);
	return rc;
}

/* A spare's server, and its target key when it resolves already (a full
 * target, or a server read before): the move's check reads no more. */
static void want_spare(struct psctl_ctx *c, const char *cmd,
		       const char *word)
{
	static struct mtarget t;
	char key[POOL_KEY_MAX + PS_CFG_TEXT_MAX];

	psctl_pool_want_target(word);
	if (quiet_target(c, cmd, word, &t))
		return;
	snprintf(key, sizeof key, "%s%s", POOL_TARGET, t.text);
	psctl_pool_want(key);
}

int psctl_pool_read_failover(struct psctl_ctx *c, const char *cmd,
			     const char *prof, const char *spare,
			     const char *spares)
{
	char m[PA_REC_MAX], *w[SP_MEMBERS];
	uint32_t len;
	int i, n;

	psctl_pool_want_profile(prof);
	if (spare)
		want_spare(c, cmd, spare);
	if (spares &&
	    pa_find_spares(psctl_store_data(c, &len), spares, m, sizeof m) >= 0) {
		n = split(m, w, SP_MEMBERS);
		for (i = 0; i < n; i++)
			want_spare(c, cmd, w[i]);
	}
	return psctl_pool_reload(c);
}

/* Whether prof could go to member: the move's validation, its error
 * kept (first line, without the "psctl: CMD: " head) in why. */
static int eligible(struct psctl_ctx *c, const char *cmd, const char *prof,
		    const char *member, char *why, size_t wn)
{
	FILE *keep = c->err, *mem;
	char *txt = NULL, *p;
	size_t tl = 0;
	int rc;

	mem = open_memstream(&txt, &tl);
	if (!mem)
		return move_probe(c, cmd, prof, member);
	c->err = mem;
	rc = move_probe(c, cmd, prof, member);
	c->err = keep;
	fclose(mem);
	p = txt ? strstr(txt, cmd) : NULL;
	p = p ? p + strlen(cmd) + 2 : txt ? txt : (char *)"";
	p[strcspn(p, "\n")] = 0;
	snprintf(why, wn, "%s", rc ? p : "");
	free(txt);
	return rc;
}

/* Whether member is the failed target itself (in any spelling). */
static int is_failed(struct psctl_ctx *c, const char *cmd,
		     const char *member, const char *failed)
{
	static struct mtarget t;

	return !quiet_target(c, cmd, member, &t) && !strcmp(t.text, failed);
}

int psctl_spare_failover(struct psctl_ctx *c, const char *cmd,
			 const char *prof, const char *failed,
			 const char *spares, int force)
{
	char m[PA_REC_MAX], why[SP_MEMBERS][300], *w[SP_MEMBERS];
	char all[SP_MEMBERS * 310];
	size_t al = 0;
	uint32_t len;
	int n, i, rc, tried[SP_MEMBERS] = { 0 };

	if (pa_find_spares(psctl_store_data(c, &len), spares, m, sizeof m) < 0)
		return psctl_error(c, cmd, "spare-pool", spares,
				   PSF_ERR_NOTFOUND, "no such spare pool");
	n = split(m, w, SP_MEMBERS);
	for (i = 0; i < n; i++) {
		if (tried[i])
			continue;
		tried[i] = 1;
		if (is_failed(c, cmd, w[i], failed)) {
			snprintf(why[i], sizeof why[i], "the failed target");
			continue;
		}
		if (eligible(c, cmd, prof, w[i], why[i], sizeof why[i])) {
			if (!psctl_g.quiet)
				fprintf(c->err, "%s: %s: spare %s skipped: "
					"%s\n", c->prog, cmd, w[i], why[i]);
			continue;
		}
		move_lost_target = 0;
		rc = move_failover_to(c, cmd, prof, w[i], force);
		if (!rc || !move_lost_target)
			return rc;
		/* Another failover took it between validation and mark:
		 * nothing was written; the next member. */
		snprintf(why[i], sizeof why[i], "taken by another failover");
	}
	for (i = 0; i < n && al < sizeof all; i++)
		al += (size_t)snprintf(all + al, sizeof all - al, "%s%s: %s",
				       i ? "; " : "", w[i], why[i]);
	return psctl_error(c, cmd, "spare-pool", spares, PS_ERR_INUSE,
			   "no eligible spare (%s); nothing written",
			   n ? all : "no members");
}

const struct psctl_cmd psctl_spare_cmds[] = {
	{ "spare-pool", "create", sp_create, "SPARE-POOL MEMBER...",
	  "a spare pool: targets (SERVER, SERVER#VM, bmc://..., image:...) "
	  "a failover may pick", NULL, 0, 0 },
	{ "spare-pool", "list", sp_list, "", "spare pools and their members",
	  NULL, 0, 0 },
	{ "spare-pool", "delete", sp_delete, "SPARE-POOL", "delete a spare pool",
	  NULL, 0, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
};
