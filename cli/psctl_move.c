/*
 * psctl_move.c - server profiles across targets (docs/profiles.md):
 *
 *   profile assign   PROFILE TARGET [--force]
 *   profile move     PROFILE TARGET [--force]
 *   profile unassign PROFILE [--force]
 *   profile failover FAILED SPARE [--force]
 *   profile show     PROFILE
 *
 * The store psctl opened is the pool: its PROFILEs say where each profile
 * should be.  A target is a physical server (bmc://HOST[:PORT] through its
 * BMC, or image:PATH / dev:DEVICE, its key in hand) or a VM (the same
 * forms with #VM, or a bare VM name in the pool).  A target the operator
 * writes may name a server of the pool's directory instead (SERVER,
 * SERVER#VM: ps_target_resolve); the pool records the full target.
 * Every command is one move -- validate everything, mark the pool,
 * release the source, apply to the target, settle the pool -- built from
 * the per-store edits of pstate.h section 11 (psctl_move_steps.c); this
 * file validates and runs a move, and shows a profile.
 *
 * PSCTL_TEST_CRASH_AT=STEP (a test hook) ends the process with status 99
 * right after STEP: mark, fence, release-host, release, apply.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "psctl.h"
#include "psctl_bmc.h"
#include "psctl_jsonw.h"
#include "psctl_move.h"
#include "psctl_util.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ validation */

/* A physical target behind a BMC must be off (the host would not see an
 * identity pushed under it, and a live host must not change identity). */
static int check_power(struct move *m, const struct mtarget *t)
{
	char err[512];
	int on = 0, rc;

	if (t->w != W_BMC || t->kind != PSF_TARGET_PHYSICAL)
		return 0;
	rc = psctl_bmc_power_status(&t->bmc, &on, err, sizeof err);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s", t->text, err);
	if (on)
		return move_fail(m, PSCTL_EXIT_CONFLICT,
				 "%s is powered on; a target "
			    "must be off to take a profile (power it off "
			    "first); nothing changed", t->text);
	return 0;
}

/* The target, reachable, carrying no other profile, and taking this one
 * without a clash: tried on a private copy of its store. */
static int check_target(struct move *m)
{
	char other[PS_CFG_NAME_MAX + 1];
	uint8_t *buf;
	size_t len, cap;
	int rc = check_power(m, &m->dst);

	if (rc)
		return rc;
	rc = move_read_store(m, &m->dst, &buf, &len);
	if (rc)
		return move_fail(m, rc, "%s: unreachable: %s; nothing changed",
			    m->dst.text, m->msg);
	cap = len + SCRATCH_ROOM;
	if (!move_carries(buf, &m->dst, m->prof, other,
			  sizeof other) && other[0]) {
		free(buf);
		return move_fail(m, PS_ERR_INUSE,
				 "%s already carries profile '%s';"
			    " move or unassign that first; nothing changed",
			    m->dst.text, other);
	}
	/* A source in the same store lets go first, as it will. */
	if (m->has_src && move_same_store(&m->src, &m->dst))
		rc = move_ed_release(m, buf, cap, m->dst.w == W_POOL);
	if (!rc && m->dst.w == W_POOL) {
		rc = move_ed_apply_pool(m, buf, cap);
	} else if (!rc) {
		rc = move_ed_apply(m, buf, cap, &m->dst);
	}
	free(buf);
	return rc ? move_edit_error(m, rc, m->dst.text) : 0;
}

/* The source must answer, unless the operator says it is fenced. */
static int check_source(struct move *m, const struct mtarget *t)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (t->w == W_POOL)
		return 0;
	rc = move_read_store(m, t, &buf, &len);
	free(buf);
	if (!rc)
		return 0;
	if (m->force) {
		fprintf(m->c->err, "%s: %s: source %s unreachable (%s); "
			"--force: taken as fenced, its copy is left as it "
			"is\n", m->c->prog, m->cmd, t->text, m->msg);
		m->src_gone = 1;
		return 0;
	}
	return psctl_error(m->c, m->cmd, NULL, NULL, PSCTL_EXIT_IO,
			   "source %s unreachable (%s): it cannot be "
			   "released; if it is fenced (powered off for good), "
			   "rerun with --force; nothing changed", t->text,
			   m->msg);
}

/* Another pool profile already placed on t (in pool: the store psctl
 * read, or the mark step's edit, which checks again on what it commits
 * over: two failovers picking one spare, psctl_pool_spare.c). */
int move_check_pool_target(struct move *m, const struct mtarget *t,
			   const void *pool)
{
	char txt[PS_CFG_TEXT_MAX + 1], name[PS_CFG_NAME_MAX + 1];
	struct mtarget o;
	int el = -1, rc = 0, root = psf_root(pool);

	/* On the etcd pool read by key, the target's key names the one
	 * profile placed there (the pool holds no other copy to scan). */
	if (psctl_pool_scoped()) {
		if (!psctl_pool_target_holder(m->c, t->text, name,
					      sizeof name, &rc) ||
		    !strcmp(name, m->prof))
			return rc;
		goto taken;
	}
	for (el = ps_obj_next(pool, root, PS_OBJ_PROFILE, -1); el >= 0;
	     el = ps_obj_next(pool, root, PS_OBJ_PROFILE, el)) {
		move_str_copy(pool, el, PSF_NAME, name, sizeof name);
		move_str_copy(pool, el, PSF_TARGET, txt, sizeof txt);
		if (!strcmp(name, m->prof) || !txt[0] ||
		    move_prof_state(pool, el) == PSF_PROFILE_UNASSIGNED)
			continue;
		if (move_parse_target(m->c, m->cmd, txt, &o))
			continue;
		if (strcmp(o.text, t->text))
			continue;
taken:
		if (t->w == W_POOL)
			return psctl_error(m->c, m->cmd, "target", t->arg,
					   PS_ERR_INUSE, "vm '%s' already "
					   "carries profile '%s'; move or "
					   "unassign that first", t->vm, name);
		return psctl_error(m->c, m->cmd, "target", t->arg,
				   PS_ERR_INUSE, "%s already carries profile "
				   "'%s' (per the pool); move or unassign that "
				   "first", t->text, name);
	}
	return 0;
}

/* The recorded source and target of the pool's profile. */
static int load(struct move *m, const char *new_target, int *prof_out)
{
	uint32_t n;
	const void *pool;
	char tt[PS_CFG_TEXT_MAX + 1], st[PS_CFG_TEXT_MAX + 1];
	int rc = psctl_need_store(m->c), prof;
	uint8_t state;

	if (rc)
		return rc;
	pool = psctl_store_data(m->c, &n);
	prof = move_find_prof(pool, m->prof);
	if (prof < 0)
		return psctl_error(m->c, m->cmd, "name", m->prof,
				   PSF_ERR_NOTFOUND, "no such profile");
	*prof_out = prof;
	state = move_prof_state(pool, prof);
	move_str_copy(pool, prof, PSF_TARGET, tt, sizeof tt);
	move_str_copy(pool, prof, PSF_MOVE_SOURCE, st, sizeof st);
	if (new_target) {
		rc = move_user_target(m->c, m->cmd, new_target, &m->dst);
		if (rc)
			return rc;
		m->has_dst = 1;
	}
	if (state == PSF_PROFILE_IN_TRANSIT) {
		rc = psctl_pool_busy(m->c, m->prof);
		if (rc)
			return rc;
		m->resume = 1;
		if (st[0]) {
			rc = move_parse_target(m->c, m->cmd, st, &m->src);
			if (rc)
				return rc;
			m->has_src = 1;
		}
		if (m->unassign && tt[0]) {
			rc = move_parse_target(m->c, m->cmd, tt, &m->src2);
			if (rc)
				return rc;
			m->has_src2 = 1;
		} else if (!m->unassign && !tt[0]) {
			return move_fail(m, PS_ERR_INUSE, "profile '%s' is in "
				    "transit to nowhere (an unassign was "
				    "interrupted); finish it: psctl profile "
				    "unassign %s", m->prof, m->prof);
		} else if (!m->unassign) {
			struct mtarget rec;

			rc = move_parse_target(m->c, m->cmd, tt, &rec);
			if (rc)
				return rc;
			if (strcmp(rec.text, m->dst.text))
				return move_fail(m, PS_ERR_INUSE,
						 "profile '%s' is in"
					    " transit to %s (a move was "
					    "interrupted); finish it first: "
					    "psctl profile move %s %s", m->prof,
					    rec.text, m->prof, rec.text);
		}
	} else if (state == PSF_PROFILE_ASSIGNED && tt[0]) {
		rc = move_parse_target(m->c, m->cmd, tt, &m->src);
		if (rc)
			return rc;
		m->has_src = 1;
		/* assign places an unassigned profile; move moves one. */
		if (m->assign && strcmp(m->src.text, m->dst.text))
			return move_fail(m, PS_ERR_INUSE,
					 "profile '%s' already "
				    "assigned to %s%s%s; unassign it first, or "
				    "use profile move", m->prof,
				    m->src.w == W_POOL ? "vm '" : "",
				    m->src.text,
				    m->src.w == W_POOL ? "'" : "");
	}
	return 0;
}

/* Two store targets named by different paths must be two stores: the
 * move treats them as two (release on one, apply on the other), and their
 * writers' locks are keyed by the store (volume id and place).  The same
 * key is one store named twice, or a byte copy of one, whose identities
 * (volume id, VMs' UUIDs and MACs) collide anyway.  An unreachable store
 * is left to the other checks. */
static int check_distinct(struct move *m)
{
	char ks[64], kd[64], err[512];

	if (!m->has_src || m->src.w != W_STORE || m->dst.w != W_STORE ||
	    !strcmp(m->src.path, m->dst.path))
		return 0;
	if (move_store_key(&m->src, ks, sizeof ks, err, sizeof err) ||
	    move_store_key(&m->dst, kd, sizeof kd, err, sizeof err) ||
	    strcmp(ks, kd))
		return 0;
	return move_fail(m, PS_ERR_DUPLICATE, "%s and %s hold one store "
			 "(volume id and place %s): the same store named two "
			 "ways, or a byte copy of it; name a store one way, "
			 "and give a copy its own volume id (psctl init); "
			 "nothing changed", m->src.text, m->dst.text, ks);
}

/* ------------------------------------------------------------ commands */

static int validate(struct move *m, int prof)
{
	uint32_t n;
	const void *pool = psctl_store_data(m->c, &n);
	int rc = 0;

	/* The target first: its own checks say the most precise thing. */
	if (m->has_dst) {
		rc = check_distinct(m);
		if (!rc)
			rc = move_check_pool_target(m, &m->dst, pool);
		if (!rc)
			rc = check_target(m);
	}
	if (!rc && ps_profile_check_ids(pool, pool, prof, NULL, 0, &m->e))
		return move_fail(m, PS_ERR_DUPLICATE,
				 "profile '%s': %s %s %s by %s "
			    "in the pool", m->prof, m->e.field, m->e.value,
			    m->e.why, m->e.holder);
	if (!rc && m->has_src && !(m->has_dst && !strcmp(m->src.text,
							  m->dst.text)))
		rc = check_source(m, &m->src);
	if (!rc && m->has_src2)
		rc = check_source(m, &m->src2);
	return rc;
}

static int rand_fill(struct move *m)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, m->rnd, sizeof m->rnd);

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof m->rnd)
		return psctl_error(m->c, m->cmd, NULL, "/dev/urandom",
				   PS_ERR_IO, "cannot read random bytes: %s",
				   strerror(errno));
	return 0;
}

static void plan(struct move *m)
{
	FILE *o = m->c->out;

	fprintf(o, "%s profile '%s'%s\n", m->resume ? "resume" : "move",
		m->prof, m->c->dry_run ? " (dry run: nothing written)" : "");
	if (m->has_src)
		fprintf(o, "  release %s%s\n", m->src.text,
			m->src.w == W_BMC &&
					m->src.kind == PSF_TARGET_PHYSICAL
				? " (powered off through its BMC first)" : "");
	if (m->has_src2)
		fprintf(o, "  release %s\n", m->src2.text);
	if (m->has_dst)
		fprintf(o, "  apply to %s\n", m->dst.text);
	else
		fprintf(o, "  leave it unassigned\n");
}

/* The steps (ps_move_run, pstate/ps_move.h): mark, release, apply,
 * settle; each one commit on one store, each idempotent. */
static int st_mark(void *ctx)
{
	return move_pool_step(ctx, P_BEGIN);
}

static int st_release(void *ctx)
{
	struct move *m = ctx;
	int same = m->has_src && m->has_dst &&
		   !strcmp(m->src.text, m->dst.text);
	int rc = 0;

	if (m->has_src && !same && !m->src_gone)
		rc = move_release_target(m, &m->src);
	if (!rc && m->has_src2 && !m->src_gone)
		rc = move_release_target(m, &m->src2);
	return rc;
}

static int st_apply(void *ctx)
{
	struct move *m = ctx;

	return move_apply_target(m, &m->dst);
}

static int st_settle(void *ctx)
{
	struct move *m = ctx;

	if (m->has_dst && m->dst.w == W_POOL)
		return 0;  /* settled in the apply edit */
	return move_pool_step(m, P_END);
}

static int run_steps(struct move *m)
{
	int same = m->has_src && m->has_dst &&
		   !strcmp(m->src.text, m->dst.text);
	struct ps_move_step steps[4] = {
		{ "mark", same || m->resume ? NULL : st_mark },
		{ "release", st_release },
		{ "apply", m->has_dst ? st_apply : NULL },
		{ "settle", st_settle },
	};

	return ps_move_run(steps, 4, 0, m);
}

/* probe: validate only, quietly (a spare pool's candidate). */
static int move_run(struct psctl_ctx *c, const char *cmd, const char *prof,
		    const char *target, int force, int assign, int probe)
{
	static struct move m;
	int rc, p;

	memset(&m, 0, sizeof m);
	m.c = c;
	m.cmd = cmd;
	m.prof = prof;
	m.force = force;
	m.unassign = target == NULL;
	m.assign = assign;
	rc = load(&m, target, &p);
	if (rc)
		return rc;
	if (m.unassign && !m.has_src && !m.has_src2 && !m.resume) {
		fprintf(c->err, "%s: %s: profile '%s' is not assigned; nothing"
			" written\n", c->prog, cmd, prof);
		return 0;
	}
	rc = rand_fill(&m);
	if (!rc)
		rc = validate(&m, p);
	if (rc || probe)
		return rc;
	if (c->dry_run) {
		plan(&m);
		return 0;
	}
	rc = run_steps(&m);
	/* Every step done: the profile is where it was sent (its steps are
	 * several edits, some of which may have had nothing to change). */
	if (!rc && m.unassign)
		psctl_say(c, "profile '%s' unassigned", prof);
	else if (!rc)
		psctl_say(c, "profile '%s' %s %s", prof, assign ?
			  "assigned to" : "moved to", m.dst.text);
	return rc;
}

static int move_cmd(struct psctl_ctx *c, const char *cmd, const char *prof,
		    const char *target, int force, int assign)
{
	return move_run(c, cmd, prof, target, force, assign, 0);
}

int move_probe(struct psctl_ctx *c, const char *cmd, const char *prof,
	       const char *target)
{
	return move_run(c, cmd, prof, target, 0, 0, 1);
}

int move_failover_to(struct psctl_ctx *c, const char *cmd, const char *prof,
		     const char *target, int force)
{
	return move_cmd(c, cmd, prof, target, force, 0);
}

/* Words after the verb: positional arguments and --force. */
static int args(struct psctl_ctx *c, const char *cmd, int argc, char **argv,
		int want, const char **pos, int *force, const char *usage)
{
	int i, n = 0;

	*force = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			*force = 1;
		else if (argv[i][0] == '-' || n == want)
			return psctl_error(c, cmd, NULL, argv[i],
					   PSCTL_EXIT_USAGE, "usage: %s %s",
					   cmd, usage);
		else
			pos[n++] = argv[i];
	}
	if (n != want)
		return psctl_error(c, cmd, NULL, NULL, PSCTL_EXIT_USAGE,
				   "usage: %s %s", cmd, usage);
	return 0;
}

#define TARGET_FORMS "TARGET (SERVER[#VM], VM, vm:VM, image:PATH[#VM], " \
		     "dev:DEVICE[#VM], bmc://HOST[:PORT][#VM])"

static int pro_move(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = !strcmp(argv[0], "assign") ? "profile assign"
						      : "profile move";
	const char *pos[2];
	int force, rc = args(c, cmd, argc, argv, 2, pos, &force,
			     "PROFILE TARGET [--force]; " TARGET_FORMS);

	if (rc)
		return rc;
	psctl_pool_scope(c, pos[0]);
	psctl_pool_want_target(pos[1]);
	return move_cmd(c, cmd, pos[0], pos[1], force,
			!strcmp(argv[0], "assign"));
}

static int pro_unassign(struct psctl_ctx *c, int argc, char **argv)
{
	const char *pos[1];
	int force, rc = args(c, "profile unassign", argc, argv, 1, pos, &force,
			     "PROFILE [--force]");

	if (rc)
		return rc;
	psctl_pool_scope(c, pos[0]);
	return move_cmd(c, "profile unassign", pos[0], NULL, force, 0);
}

/* The etcd pool read by key: the profile placed on the failed target
 * found by its keys (psctl_pool_placed_on), then read with the spare
 * pool's members' servers; then the failover as on the file pool. */
static int failover_by_key(struct psctl_ctx *c, const char *cmd,
			   const struct mtarget *failed, const char *spare,
			   const char *spares, int force)
{
	char name[PS_CFG_NAME_MAX + 1];
	int rc = psctl_pool_placed_on(c, cmd, failed->text, name,
				      sizeof name);

	if (rc)
		return rc;
	if (!name[0])
		return psctl_error(c, cmd, "target", failed->arg,
				   PSF_ERR_NOTFOUND, "no profile of the pool "
				   "is placed on %s", failed->text);
	rc = psctl_pool_read_failover(c, cmd, name, spare, spares);
	if (rc)
		return rc;
	if (spares)
		return psctl_spare_failover(c, cmd, name, failed->text, spares,
					    force);
	return move_cmd(c, cmd, name, spare, force, 0);
}

/* failover FAILED SPARE: the profile the pool places on FAILED (or is
 * moving away from it) goes to SPARE; FAILED --spare-pool NAME: to the
 * first eligible member of the spare pool (psctl_pool_spare.c). */
static int pro_failover(struct psctl_ctx *c, int argc, char **argv)
{
	const char *cmd = "profile failover", *pos[2], *spares = NULL;
	char name[PS_CFG_NAME_MAX + 1], txt[PS_CFG_TEXT_MAX + 1];
	char *av[8];
	struct mtarget failed, o;
	const void *pool;
	uint32_t n;
	int force, el, i, ac = 0, rc = 0;

	for (i = 0; i < argc && ac < 8; i++) {
		if (!strcmp(argv[i], "--spare-pool") && i + 1 < argc)
			spares = argv[++i];
		else
			av[ac++] = argv[i];
	}
	rc = args(c, cmd, ac, av, spares ? 1 : 2, pos, &force,
		  "FAILED-TARGET SPARE-TARGET [--force] | FAILED-TARGET "
		  "--spare-pool NAME [--force]");
	if (rc)
		return rc;
	psctl_pool_scope(c, NULL);
	psctl_pool_want_target(pos[0]);
	if (spares)
		psctl_pool_want_spares(spares);
	else
		psctl_pool_want_target(pos[1]);
	rc = psctl_need_store(c);
	if (!rc)
		rc = move_user_target(c, cmd, pos[0], &failed);
	if (rc)
		return rc;
	if (psctl_pool_scoped())
		return failover_by_key(c, cmd, &failed,
				       spares ? NULL : pos[1], spares, force);
	pool = psctl_store_data(c, &n);
	for (el = ps_obj_next(pool, psf_root(pool), PS_OBJ_PROFILE, -1);
	     el >= 0; el = ps_obj_next(pool, psf_root(pool), PS_OBJ_PROFILE,
					el)) {
		uint32_t sigs[2] = { PSF_TARGET, PSF_MOVE_SOURCE };

		for (i = 0; i < 2; i++) {
			move_str_copy(pool, el, sigs[i], txt, sizeof txt);
			if (i == 1 && move_prof_state(pool, el) !=
					      PSF_PROFILE_IN_TRANSIT)
				continue;
			if (!txt[0] || move_prof_state(pool, el) ==
					       PSF_PROFILE_UNASSIGNED)
				continue;
			if (move_parse_target(c, cmd, txt, &o) ||
			    strcmp(o.text, failed.text))
				continue;
			move_str_copy(pool, el, PSF_NAME, name, sizeof name);
			if (spares)
				return psctl_spare_failover(c, cmd, name,
							    failed.text,
							    spares, force);
			return move_cmd(c, cmd, name, pos[1], force, 0);
		}
	}
	return psctl_error(c, cmd, "target", pos[0], PSF_ERR_NOTFOUND,
			   "no profile of the pool is placed on %s",
			   failed.text);
}

/* ------------------------------------------------------------ show */

/* What the target's own store says, against the pool. */
static int show_place(struct move *m, const char *role,
		      const struct mtarget *t, int want)
{
	char other[PS_CFG_NAME_MAX + 1];
	uint8_t *buf;
	size_t len;
	uint32_t n;
	int rc, has, self;

	/* HOST_TARGET is the host whose own store holds the profile: the
	 * store shown is the target's, nothing to dial. */
	self = t->kind == PSF_TARGET_PHYSICAL && !strcmp(t->text, HOST_TARGET);
	if (self) {
		has = move_carries(psctl_store_data(m->c, &n), t, m->prof,
				   other, sizeof other);
	} else {
		rc = move_read_store(m, t, &buf, &len);
		if (rc) {
			fprintf(m->c->out, "%-13s %s: unreachable (%s)\n",
				role, t->text, m->msg);
			return 0;
		}
		has = move_carries(buf, t, m->prof, other, sizeof other);
		free(buf);
	}
	fprintf(m->c->out, "%-13s %s%s: %s%s%s\n", role, t->text,
		self ? " (this host)" : "",
		has ? "carries it" : other[0] ? "carries profile '"
					      : "carries no profile",
		!has && other[0] ? other : "", !has && other[0] ? "'" : "");
	if (want >= 0 && has != want)
		fprintf(m->c->out, "%-13s %s\n", "disagrees",
			want ? "the pool places it there, the target does not "
			       "carry it"
			     : "the target still carries it");
	return has == want;
}

/* The pool's view only: the fields (the shared JSON rule), the move
 * record and the server the target is on. */
static int show_json(struct psctl_ctx *c, const void *pool, int prof)
{
	struct psctl_jw w;
	char v[1024];

	psctl_jw_doc(&w, c->out, "profile show", 0);
	psctl_jw_key(&w, "item");
	psctl_jw_obj(&w, 0);
	psctl_jw_fields(&w, pool, prof, PS_OBJ_PROFILE);
	move_str_copy(pool, prof, PSF_MOVE_SOURCE, v, sizeof v);
	psctl_jw_key(&w, "move-source");
	psctl_jw_str_or_null(&w, v);
	move_str_copy(pool, prof, PSF_TARGET, v, sizeof v);
	psctl_jw_key(&w, "server");
	psctl_jw_str_or_null(&w, move_server_name(pool, v, v, sizeof v) ? v
								       : "");
	psctl_jw_doc_end(&w);
	return 0;
}

static int pro_show(struct psctl_ctx *c, int argc, char **argv)
{
	static struct move m;
	const struct ps_field *f;
	const void *pool;
	char v[1024], tt[PS_CFG_TEXT_MAX + 1];
	uint32_t n;
	int force, prof, rc;
	const char *pos[1];
	uint8_t state;

	memset(&m, 0, sizeof m);
	m.c = c;
	m.cmd = "profile show";
	rc = args(c, m.cmd, argc, argv, 1, pos, &force, "PROFILE");
	if (rc)
		return rc;
	m.prof = pos[0];
	psctl_pool_scope_show(c, m.prof);
	rc = psctl_need_store(c);
	if (rc)
		return rc;
	pool = psctl_store_data(c, &n);
	prof = move_find_prof(pool, m.prof);
	if (prof < 0)
		return psctl_error(c, m.cmd, "name", m.prof, PSF_ERR_NOTFOUND,
				   "no such profile");
	if (c->json)
		return show_json(c, pool, prof);
	for (f = ps_obj_fields(PS_OBJ_PROFILE); f->name; f++) {
		ps_obj_get(pool, prof, f, v, sizeof v);
		fprintf(c->out, "%-13s %s\n", f->name, v);
		/* Its own line, so scripts reading "target" keep working. */
		if (!strcmp(f->name, "target") &&
		    move_server_name(pool, v, tt, sizeof tt))
			fprintf(c->out, "%-13s %s\n", "server", tt);
	}
	move_str_copy(pool, prof, PSF_MOVE_SOURCE, v, sizeof v);
	fprintf(c->out, "%-13s %s\n", "move-source", v);
	move_str_copy(pool, prof, PSF_TARGET, tt, sizeof tt);
	state = move_prof_state(pool, prof);
	if (state == PSF_PROFILE_UNASSIGNED)
		return 0;
	if (state == PSF_PROFILE_IN_TRANSIT) {
		fprintf(c->out, "%-13s a move was interrupted: from %s to %s\n",
			"in transit", v[0] ? v : "(nowhere)",
			tt[0] ? tt : "(nowhere: an unassign)");
		psctl_pool_show_move(c, m.prof);
		if (v[0] && !move_parse_target(c, m.cmd, v, &m.src))
			show_place(&m, "source", &m.src, -1);
		if (tt[0] && !move_parse_target(c, m.cmd, tt, &m.dst))
			show_place(&m, "target", &m.dst, -1);
		fprintf(c->out, "%-13s psctl profile %s %s%s%s (releases the "
			"source if it still carries it, then applies to the "
			"target)\n", "rerun", tt[0] ? "move" : "unassign",
			m.prof, tt[0] ? " " : "", tt);
		return 0;
	}
	if (!tt[0] || move_parse_target(c, m.cmd, tt, &m.dst))
		return 0;
	if (!show_place(&m, "target", &m.dst, 1))
		fprintf(c->out, "%-13s psctl profile assign %s %s (applies it "
			"again where the pool places it)\n", "fix", m.prof,
			tt);
	return 0;
}

static const struct psctl_opt force_o[] = {
	{ "force", NULL, "the source is unreachable but fenced (powered "
	  "off for good): go on", NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct psctl_opt failover_o[] = {
	{ "force", NULL, "the source is unreachable but fenced (powered "
	  "off for good): go on", NULL },
	{ "spare-pool", "SPARE-POOL", "pick the first eligible spare (off, "
	  "reachable, carrying nothing) of this spare pool", NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct psctl_cmd psctl_move_cmds[] = {
	{ "profile", "show", pro_show, "PROFILE",
	  "show a profile and what its target carries (and any move to "
	  "finish)", NULL, 0, 0 },
	{ "profile", "assign", pro_move, "PROFILE TARGET [--force]",
	  "give a profile to a physical server or VM (target off, ids "
	  "unique)", force_o, 0, 0 },
	{ "profile", "move", pro_move, "PROFILE TARGET [--force]",
	  "move a profile: release (and power off) the source, then apply",
	  force_o, 0, 0 },
	{ "profile", "unassign", pro_unassign, "PROFILE [--force]",
	  "release a profile from its target (VM: fresh UUID and MACs)",
	  force_o, 0, 0 },
	{ "profile", "failover", pro_failover,
	  "FAILED SPARE [--force] | FAILED --spare-pool SPARE-POOL [--force]",
	  "move the profile placed on FAILED to SPARE, or to an eligible "
	  "spare of a spare pool", failover_o, 0, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
};
