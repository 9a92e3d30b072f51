/*
 * psctl_main.h - what psctl's own parts share (internal to cli/): the
 * process-wide state behind a psctl_ctx (psctl_store.c opens the store
 * into it), helpers of psctl.c, the text diff (psctl_diff.c) and the
 * store-level commands (psctl_storecmds.c) that psctl.c's table names.
 */
#ifndef PSCTL_MAIN_H
#define PSCTL_MAIN_H

#include <stdio.h>

#include "psctl.h"

#define PSCTL_VERSION "0.1"
/* The size `psctl init` gives a new image (PS_DEFAULT_IMAGE or -i). */
#define PSCTL_DEFAULT_IMAGE_SIZE (64ull << 20)
/* The slots `psctl init` gives a new store: with three, a holder whose
 * lock was broken while it wrote a slot is barred from the next commits'
 * target (docs/semaphore.md 4.6); with two there is no other slot to use. */
#define PSCTL_DEFAULT_SLOTS 3
/* Conflicts re-applied on fresh state before giving up (ps_update). */
#define PSCTL_RETRIES 3
#define MAX_INPUT ((size_t)PSF_MAX_TOTAL * 8 + 1) /* text is larger */

/* Process-wide state behind the psctl_ctx (one store per process). */
struct psctl_state {
	const char *dev;          /* -d */
	const char *image;        /* -i */
	int quiet;                /* -q: no "store:" line, no confirmation */
	int written;              /* the last psctl_edit wrote a change */
	int announced;
	const char *cmd;          /* the running command, for messages */
	char cmdbuf[64];
	/* The store, opened by -d / -i / the default search (ps_open_*),
	 * or the BMC's held in memory (its media only). */
	struct ps_opened st;
	/* --bmc: the BMC's store, read whole into a memory media; edits go
	 * back as OEM element writes (psctl_bmc.c). */
	int bmc_store;            /* the open store is the BMC's */
	int local_noun;           /* a `bmc` command: -i/-d is the store */
	uint8_t *bmc_mem;
	uint32_t bmc_gen;         /* generation the BMC's store was read at */
	/* --pool etcd://: the pool read from etcd into memory; edits go
	 * back as etcd transactions (psctl_pool.c). */
	int pool_store;
};
extern struct psctl_state psctl_g;

/* ---- psctl.c */

/* A whole file (or "-": stdin), at most MAX_INPUT bytes, NUL-terminated,
 * malloc'd; 0 or an exit code (reported). */
int psctl_read_file(struct psctl_ctx *c, const char *path, char **out,
		    size_t *len);
/* A store from a file as `import` reads it (text, JSON or binary),
 * checked (psctl_storecmds.c); malloc'd.  0 or the exit code reported. */
int psctl_import_load(struct psctl_ctx *c, const char *path, void **out,
		      size_t *olen);
/* Write data whole or not at all (a temporary file beside path, then
 * rename); "-" or NULL: the normal output.  0 or an exit code. */
int psctl_write_out(struct psctl_ctx *c, const char *path, const void *data,
		    size_t len);
/* Whether argv (from argv[1]) holds flag. */
int psctl_has_flag(int argc, char **argv, const char *flag);
/* The value after option argv[*i] (advancing *i), or NULL reported. */
const char *psctl_opt_value(struct psctl_ctx *c, int argc, char **argv,
			    int *i);

/* ---- psctl_store.c */

/* The generation of the open store (the BMC's when --bmc). */
unsigned long long psctl_store_generation(struct psctl_ctx *c);
/* Close the store, the media and the lock. */
void psctl_close_all(struct psctl_ctx *c);
/* data (len bytes, freed here) as psctl's store on a memory media; opt
 * and val name the source in errors.  0 or the exit code reported. */
int psctl_store_in_memory(struct psctl_ctx *c, uint8_t *data, size_t len,
			  const char *opt, const char *val);
/* c->where = where, and the "store:" line once per process. */
void psctl_store_announce(struct psctl_ctx *c, const char *where);
/* The edit fn on a private copy of the store, finished and checked:
 * 0 with *t open (the caller aborts it), or the exit code reported. */
int psctl_edit_copy(struct psctl_ctx *c, psctl_edit_fn fn, void *arg,
		    struct ps_txn *t);

/* ---- psctl_conf.c: the config file ($PSTATE_PSCTL_CONF, else
 * /etc/pstate/psctl.conf) and --commit */

/* The words of --commit and `commit =` (fast, ordered). */
extern const struct ps_enum psctl_commit_words[];
/* --commit V: 0 or the exit code reported (not fast or ordered). */
int psctl_commit_option(struct psctl_ctx *c, const char *v);
/* `pool = URL` of the config file (*url NULL: none): 0 or the exit
 * code reported (a bad line). */
int psctl_conf_pool(struct psctl_ctx *c, const char **url);
/* The PS_OPEN_* flags of the commit protocol: --commit, else `commit =`
 * of the config file, else fast (0).  0 or the exit code reported. */
int psctl_commit_flags(struct psctl_ctx *c, unsigned *flags);

/* ---- psctl_pool.c: the pool on etcd (--pool, PSTATE_POOL) */

/* --pool URL. */
void psctl_pool_set_url(const char *url);
/* Whether the store is the etcd pool (*use): --pool, else -i/-d/--bmc
 * win over $PSTATE_POOL, then `pool = URL` of /etc/pstate/psctl.conf
 * ($PSTATE_PSCTL_CONF).  0 or the exit code reported. */
int psctl_pool_choose(struct psctl_ctx *c, int *use);
/* Release this process's move lease, close the client. */
void psctl_pool_close(void);
/* Read the pool from etcd as psctl's store. */
int psctl_pool_open(struct psctl_ctx *c);
/* An edit of the pool as one etcd transaction. */
int psctl_pool_edit(struct psctl_ctx *c, psctl_edit_fn fn, void *arg);

/* ---- psctl_diff.c */

/* The text form of a store (malloc'd); 0 or a PSF_ERR_* code. */
int psctl_store_text(const void *buf, uint32_t len, char **out);
/* A unified-style diff of two texts, labelled la and lb, to o. */
void psctl_print_diff(FILE *o, char *ta, char *tb, const char *la,
		      const char *lb);

/* ---- psctl_storecmds.c: the store-level commands */
int psctl_cmd_init(struct psctl_ctx *c, int argc, char **argv);
int psctl_cmd_scan(struct psctl_ctx *c, int argc, char **argv);
int psctl_cmd_info(struct psctl_ctx *c, int argc, char **argv);
/* psctl_console.c: `console VM [PORT]`, `console list` (pscon's client). */
int psctl_cmd_console(struct psctl_ctx *c, int argc, char **argv);
int psctl_cmd_check(struct psctl_ctx *c, int argc, char **argv);
int psctl_cmd_export(struct psctl_ctx *c, int argc, char **argv);
int psctl_cmd_import(struct psctl_ctx *c, int argc, char **argv);

/* ---- psctl_auth.c: the authenticated store (docs/store.md section 8) */

/* The verdict in words for `info` ("off", "verified", ...). */
const char *psctl_auth_info(struct psctl_ctx *c);
/* `check --verify`: print the verdict; its exit code (0: verified/off). */
int psctl_auth_check_verify(struct psctl_ctx *c);
/* Around an edit's commit: refuse it (exit code, reported, nothing
 * written) or arm the seal; then disarm it and, when committed, raise
 * the trusted counter.  0 or an exit code. */
int psctl_auth_before(struct psctl_ctx *c);
int psctl_auth_after(struct psctl_ctx *c, int committed);

#endif /* PSCTL_MAIN_H */
