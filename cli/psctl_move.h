/*
 * psctl_move.h - what the parts of the profile moves share (internal to
 * cli/): psctl_target.c parses targets, psctl_move_steps.c reads and
 * edits the stores behind them (a store, a BMC, the pool), psctl_move.c
 * validates and runs a move and shows a profile.
 */
#ifndef PSCTL_MOVE_H
#define PSCTL_MOVE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "psctl.h"
#include "psctl_bmc.h"

/* What a host's own copy of its profile names as its target: the BMC's
 * default name, as the BMC writes it on a push. */
#define HOST_TARGET BMC_SHIM_HOST_TARGET
#define RND_TRIES 8
#define SCRATCH_ROOM (64u << 10)

enum where { W_POOL, W_STORE, W_BMC };

struct mtarget {
	enum where w;
	uint8_t kind;                     /* PSF_TARGET_PHYSICAL / _VM  */
	char text[PS_CFG_TEXT_MAX + 1];   /* canonical form, in the pool */
	char path[PATH_MAX];              /* W_STORE                     */
	int is_dev;
	struct psctl_bmc bmc;             /* W_BMC                       */
	char vm[PS_CFG_NAME_MAX + 1];     /* VM targets                  */
	const char *arg;                  /* as the user wrote it        */
};

/* ---- targets (psctl_target.c); each reports its own error */

/* TARGET text into t (its normal form in t->text). */
int move_parse_target(struct psctl_ctx *c, const char *cmd, const char *s,
		      struct mtarget *t);
/* TARGET as the operator wrote it: a server's name resolved through the
 * pool's directory (the pool must be open), then parsed. */
int move_user_target(struct psctl_ctx *c, const char *cmd, const char *s,
		     struct mtarget *t);
/* The server of the pool's directory a full target is on, or NULL. */
const char *move_server_name(const void *pool, const char *target,
			     char *name, size_t cap);
/* Same store behind two targets (a move between two VMs of one host). */
int move_same_store(const struct mtarget *a, const struct mtarget *b);

/* ---- the move's state and its steps (psctl_move_steps.c) */

struct move {
	struct psctl_ctx *c;
	const char *cmd;
	const char *prof;                 /* profile name               */
	int force;
	int unassign;
	int assign;                       /* profile assign (not move)   */
	struct mtarget src, dst;
	int has_src, has_dst;
	struct mtarget src2;              /* unassign of an interrupted
					     move: its target too        */
	int has_src2;
	int resume;                       /* in transit already          */
	int src_gone;                     /* --force: source unreachable */
	struct ps_cfg_err e;
	uint8_t rnd[RND_TRIES][PS_CFG_RND_UNASSIGN];
	char msg[512];
};

enum pool_op { P_BEGIN, P_END, P_RELEASE, P_APPLY };

/* PSCTL_TEST_CRASH_AT=STEP: end the process (status 99) after STEP;
 * PSCTL_TEST_PAUSE_AT=STEP:MS[,STEP:MS...]: sleep MS milliseconds
 * there first. */
void move_crash_point(const char *step);
/* Report fmt as the move's error (kept in m->msg); returns code. */
int move_fail(struct move *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A profile by name, its string child as a NUL-terminated copy ("" when
 * absent), its state. */
int move_find_prof(const void *buf, const char *name);
void move_str_copy(const void *buf, int el, uint32_t sig, char *out,
		   size_t cap);
uint8_t move_prof_state(const void *buf, int prof);
/* The error of a per-store edit, naming the profile, the place and the
 * other holder. */
int move_edit_error(struct move *m, int rc, const char *where);
/* The key of a store target's store (ps_open_key: volume id and place);
 * 0, or the error with err saying why. */
int move_store_key(const struct mtarget *t, char *key, size_t n, char *err,
		   size_t errlen);
/* One edit of a store target's store (image or device), under its
 * writers' lock and sealed when it is authenticated: 0, or the error
 * with msg saying why, or msg "" when it is the edit's own. */
int move_store_edit(const struct mtarget *t, int (*edit)(void *, size_t,
							 void *),
		    void *arg, char *msg, size_t n);
/* A target's store, read whole (malloc'd, with room to edit). */
int move_read_store(struct move *m, const struct mtarget *t,
		    uint8_t **out, size_t *len);
/* Whether buf's target t carries profile name (else other names the
 * profile it carries, or is ""). */
int move_carries(const uint8_t *buf, const struct mtarget *t,
		 const char *name, char *other, size_t cap);
/* The per-store edits: release, and apply in the pool. */
int move_ed_release(struct move *m, void *buf, size_t cap, int keep);
int move_ed_apply(struct move *m, void *buf, size_t cap,
		  const struct mtarget *t);
int move_ed_apply_pool(struct move *m, void *buf, size_t cap);
/* One step on the pool; release from / apply to one target. */
int move_pool_step(struct move *m, enum pool_op op);
int move_release_target(struct move *m, const struct mtarget *t);
int move_apply_target(struct move *m, const struct mtarget *t);

/* profile show on the etcd pool (psctl_pool.c): who moves the profile,
 * since when, and whether their lease still holds. */
void psctl_pool_show_move(struct psctl_ctx *c, const char *prof);
/* On the etcd pool, another live operator's move of the profile: exit 4
 * reported, naming them; else 0 (psctl_pool_txn.c). */
int psctl_pool_busy(struct psctl_ctx *c, const char *prof);


/* ---- the etcd pool read by key (psctl_pool_scope.c) */

/* Whether the store is the etcd pool read by key (not whole). */
int psctl_pool_scoped(void);
/* Before the pool is read: a command on one profile (and the servers its
 * target words may name; psctl_pool_scope in psctl.h), or profile show
 * (the server directory too, when the profile is placed). */
void psctl_pool_want_target(const char *word);
void psctl_pool_scope_show(struct psctl_ctx *c, const char *profile);
/* A spare pool's record for the next read; then (the record read) the
 * pool read again with the profile to fail over, and the servers and
 * target keys of the spare (or of the spare pool's members): 0 or the
 * exit code reported. */
void psctl_pool_want_spares(const char *spares);
int psctl_pool_read_failover(struct psctl_ctx *c, const char *cmd,
			     const char *prof, const char *spare,
			     const char *spares);
/* The profile the pool's target key of target names (1, name filled),
 * or 0 (none; *rc the exit code reported on an error). */
int psctl_pool_target_holder(struct psctl_ctx *c, const char *target,
			     char *name, size_t n, int *rc);
/* The profile placed on failed (or moving away from it), the first
 * created, into name ("" none); 0 or the exit code reported. */
int psctl_pool_placed_on(struct psctl_ctx *c, const char *cmd,
			 const char *failed, char *name, size_t n);

/* ---- spare pools (psctl_move.c, psctl_pool_spare.c) */

/* Another pool profile placed on t in the store pool: the error. */
int move_check_pool_target(struct move *m, const struct mtarget *t,
			   const void *pool);
/* Validate moving prof to target, writing nothing (the errors go to
 * c->err as usual); 0 when it could go. */
int move_probe(struct psctl_ctx *c, const char *cmd, const char *prof,
	       const char *target);
/* The failover of prof to target, every step. */
int move_failover_to(struct psctl_ctx *c, const char *cmd, const char *prof,
		     const char *target, int force);
/* Set by the mark step when another profile took the target meanwhile. */
extern int move_lost_target;
/* failover --spare-pool: the first eligible member but the failed
 * target itself, atomically. */
int psctl_spare_failover(struct psctl_ctx *c, const char *cmd,
			 const char *prof, const char *failed,
			 const char *spares, int force);

#endif /* PSCTL_MOVE_H */
