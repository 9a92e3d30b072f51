/*
 * hv_sync.h - what the parts of one reconcile pass share (hvagent
 * internal): the pairs of a store VM and a libvirt domain under one UUID,
 * the pass's state, and the steps hv_sync_pass runs in order:
 *
 *   hv_sync.c       read both sides, run the steps, retry on a conflict;
 *   hv_plan.c       the three-way merge and identity moves (plan);
 *   hv_apply.c      the plan carried out in libvirt;
 *   hv_writeback.c  write-backs and the synced record, in one store edit.
 */
#ifndef HV_SYNC_H
#define HV_SYNC_H

#include <string.h>

#include "hv.h"

enum act {
	ACT_NONE,        /* in sync, or only fields to merge */
	ACT_DEFINE_NEW,  /* store only: define the domain */
	ACT_UNDEFINE,    /* deleted in the store */
	ACT_STORE_NEW,   /* adopted: create the VM in the store */
	ACT_STORE_DEL,   /* deleted in libvirt (libvirt_delete = follow) */
	ACT_KEEP,        /* deleted in libvirt, kept in the store and
			    marked (libvirt_delete = keep) */
	ACT_FORGET,      /* gone on both sides */
	ACT_SKIP,        /* libvirt-only, not adopted: left alone */
	ACT_REFUSE,      /* identity change: nothing touched */
	ACT_MOVE,        /* identity moved by a profile: the old domain
			    undefined, the domain defined anew */
};

struct pair {
	uint8_t uuid[16];
	char uuids[37];
	char name[PS_CFG_NAME_MAX + 1];
	int in_store;
	virDomainPtr dom;
	xmlDocPtr doc;
	int autostart, active, marked;
	struct hv_base *base;
	struct hv_kv S, L;
	struct hv_kv pushes, pulls;   /* keys only */
	struct hv_kv bs_new, bl_new;
	enum act act;
	int failed;                   /* a libvirt step failed: keep base */
	int store_edit;               /* needs store edits */
	int record;                   /* keep a synced record */
	uint8_t flags;
	/* Identity moves: the source pair (the old UUID, its domain and
	 * record) hands them to the target (the store VM's new UUID). */
	struct pair *move_to;         /* source: the target */
	int moved;                    /* target: dom, L, base are the old
					 UUID's */
	int old_gone;                 /* target: the old domain undefined */
	uint8_t old_uuid[16];
	char old_uuids[37];
};

struct pass {
	struct hv_sync *s;
	struct hv_stats *st;
	struct pair *p;
	size_t n;
	struct hv_bases bases;
	int use_bases;
	const void *snap;             /* the store as read */
	uint32_t snap_len;
	size_t cap;                   /* of p */
	struct hv_index by_uuid;      /* the pairs by UUID and by name, */
	struct hv_index by_name;      /* once both sides are read */
};

/* The pair of a UUID, or NULL (through the pass's index). */
struct pair *sync_pair_by_uuid(struct pass *ps, const uint8_t uuid[16]);

static inline const char *nz(const char *v)
{
	return v ? v : "(absent)";
}

static inline int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* hv_plan.c: identities moved by a profile handed to their new UUID's
 * pair (0 or PS_ERR_NOMEM), then each pair's action and keys to push
 * and pull. */
int sync_find_moves(struct pass *ps);
void sync_plan_pair(struct pass *ps, struct pair *p);

/* The old domain of a moved identity stopped and undefined, before any
 * define; failures mark the pair failed. */
void sync_release_old(struct pass *ps, struct pair *p);
/* The pair's planned libvirt calls; failures mark the pair failed. */
void sync_run_libvirt(struct pass *ps, struct pair *p);

/* hv_writeback.c: the ps_update edit callback (arg: the pass). */
int sync_store_edit(void *buf, size_t cap, void *arg);

#endif /* HV_SYNC_H */
