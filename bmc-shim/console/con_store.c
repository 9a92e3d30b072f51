/*
 * con_store.c - the stores whose serial mappings become ports
 * (docs/console.md, "Several stores"): each --store watched (inotify) and
 * read again after a change, SIGHUP or RELOAD; the port set is the union
 * of every store's mappings.
 *
 * A concentrator port number is one port whichever store names it:
 * - the same VM (its UUID) mapped in two stores is a move in progress
 *   (a live migration moving its mapping from the source host's store to
 *   the destination's): one port, served from the store that had it
 *   first, then from the other when the first lets it go - its guest
 *   connection, viewers, backlog and offsets untouched;
 * - another VM claiming a number a port already has is refused for that
 *   port (a clash: logged once, shown in LIST, never served twice);
 * - with several stores, a port whose VM is in no store any more is kept
 *   for --move-grace seconds (a move that deletes before it adds), then
 *   removed; with one store it goes at once, as it always did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"
#include "pstate.h"

/* One serial mapping of one store, as the edit layer reads it. */
struct mapping {
	unsigned conc, store;
	uint8_t mode;
	int bound;
	char host[CON_NAME_MAX + 1], vm[CON_NAME_MAX + 1];
	char ident[CON_IDENT_MAX + 1];
};

struct mappings {
	struct mapping *m;
	size_t n, cap;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

const char *con_store_name(const struct con_svc *s, unsigned i)
{
	if (i >= s->nstores)
		return "?";
	return s->stores[i].path ? s->stores[i].path : "(default store)";
}

/* ------------------------------------------------------------ reading */

/* A VM is told apart by its UUID (a move keeps it); a VM without one (a
 * problem the store's check reports) by its name. */
static void vm_ident(const void *buf, int v, const char *name, char *out,
		     size_t n)
{
	char u[64] = "";

	ps_obj_get(buf, v, ps_obj_field(PS_OBJ_VM, "uuid", 4), u, sizeof u);
	if (!u[0] || !u[strspn(u, "0-")]) /* none, or all zero */
		snprintf(out, n, "name:%s", name);
	else
		snprintf(out, n, "%s", u);
}

static int take(struct mappings *ms, const void *buf, int el,
		unsigned store, const char *vm, const char *ident)
{
	const struct ps_field *fc = ps_obj_field(PS_OBJ_SERIAL, "concentrator",
						 12),
		*fm = ps_obj_field(PS_OBJ_SERIAL, "mode", 4),
		*fh = ps_obj_field(PS_OBJ_SERIAL, "hostname", 8);
	struct mapping *m;
	char t[64];
	unsigned conc;

	ps_obj_get(buf, el, fc, t, sizeof t);
	conc = (unsigned)strtoul(t, NULL, 0);
	if (!conc)
		return 0; /* not mapped to the concentrator */
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 64;
		struct mapping *nm = realloc(ms->m, cap * sizeof *nm);

		if (!nm)
			return -1;
		ms->m = nm;
		ms->cap = cap;
	}
	m = &ms->m[ms->n++];
	memset(m, 0, sizeof *m);
	m->conc = conc;
	m->store = store;
	ps_obj_get(buf, el, fm, t, sizeof t);
	ps_parse_enum(t, strlen(t), ps_enum_serial_mode, &m->mode, NULL);
	ps_obj_get(buf, el, fh, m->host, sizeof m->host);
	snprintf(m->vm, sizeof m->vm, "%s", vm);
	snprintf(m->ident, sizeof m->ident, "%s", ident);
	return 0;
}

/* Every mapping of store i into ms; -1 (err set) when it cannot be read. */
static int read_store(struct con_svc *s, unsigned i, struct mappings *ms,
		      char *err, size_t errlen)
{
	const char *path = s->stores[i].path;
	struct ps_opened o;
	const void *buf;
	uint32_t len;
	int v, el, rc;

	rc = path ? ps_open_path(&o, path, PS_OPEN_RDONLY, err, errlen)
		  : ps_open_default(&o, NULL, PS_OPEN_RDONLY, err, errlen);
	if (rc) {
		ps_open_close(&o);
		return -1;
	}
	buf = ps_store_data(o.store, &len);
	for (v = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, -1); v >= 0;
	     v = ps_obj_next(buf, psf_root(buf), PS_OBJ_VM, v)) {
		char name[PS_CFG_NAME_MAX + 1], ident[CON_IDENT_MAX + 1];

		ps_obj_key(buf, v, PS_OBJ_VM, name, sizeof name);
		vm_ident(buf, v, name, ident, sizeof ident);
		for (el = ps_obj_next(buf, v, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, v, PS_OBJ_SERIAL, el))
			if (take(ms, buf, el, i, name, ident)) {
				snprintf(err, errlen, "no memory");
				ps_open_close(&o);
				return -1;
			}
	}
	ps_open_close(&o);
	return 0;
}

/* ------------------------------------------------------------ binding */

/* Whose port it is, in its memfd (a restart in a move's grace). */
static void keep_owner(struct con_port *p)
{
	struct con_keep *k = p->k;

	k->leave_at = p->leave_at;
	k->store_no = p->store;
	memcpy(k->ident, p->ident, sizeof k->ident);
	memcpy(k->host, p->host, sizeof k->host);
	memcpy(k->vm, p->vm, sizeof k->vm);
}

/* The port is served from mapping m (new, or kept: then only what the
 * store changed). */
static void bind(struct con_svc *s, struct con_port *p, struct mapping *m,
		 int fresh)
{
	if (fresh) {
		/* A port handed over by a restart keeps its live mode unless
		 * the store's changed meanwhile. */
		p->store_mode = m->mode;
		p->mode = p->resumed && p->k->store_mode == m->mode
			  ? p->k->mode : m->mode;
		con_log("port %u (%s, vm %s): served at %s, mode %s%s%s",
			m->conc, m->host, m->vm, p->path,
			con_mode_name(p->mode), s->nstores > 1 ? ", store " : "",
			s->nstores > 1 ? con_store_name(s, m->store) : "");
	} else {
		if (p->store != m->store)
			con_log("port %u (%s, vm %s): moved from store %s to "
				"store %s; the port, its guest connection and "
				"its sessions kept", p->conc, m->host, m->vm,
				con_store_name(s, p->store),
				con_store_name(s, m->store));
		else if (p->leave_at)
			con_log("port %u (%s, vm %s): mapped again in store "
				"%s: kept", p->conc, m->host, m->vm,
				con_store_name(s, m->store));
		if (p->store_mode != m->mode) {
			/* The store changed the mode: it wins over a live
			 * change. */
			p->mode = p->store_mode = m->mode;
			con_notice(s, p, CON_N_MODE, "mode %s (store)",
				   con_mode_name(m->mode));
		}
	}
	p->k->mode = p->mode;
	p->k->store_mode = p->store_mode;
	snprintf(p->host, sizeof p->host, "%s", m->host);
	snprintf(p->vm, sizeof p->vm, "%s", m->vm);
	snprintf(p->ident, sizeof p->ident, "%s", m->ident);
	p->store = m->store;
	p->leave_at = 0;
	keep_owner(p);
	p->seen = 1;
	m->bound = 1;
	if (p->resumed) { /* (the log's name needs the host name) */
		p->resumed = 0;
		con_keep_recover(s, p);
	}
}

/* The mapping of the port's own VM (its store first, then another: a
 * move), else, with one store (or no grace), its store's mapping of the
 * number to another VM (taken over, as a single store always did).  With
 * several, that VM waits for the grace like any other claim: the source
 * host may give the number it just freed to a new VM while the moving
 * one is on its way to the other store. */
static struct mapping *own_mapping(const struct con_svc *s,
				   const struct con_port *p,
				   struct mappings *ms)
{
	int take_over = s->nstores < 2 || !s->move_grace;

	struct mapping *other = NULL, *m;
	size_t i;

	for (i = 0; i < ms->n; i++) {
		m = &ms->m[i];
		if (m->bound || m->conc != p->conc)
			continue;
		if (!strcmp(m->ident, p->ident) && m->store == p->store)
			return m;
		if (!strcmp(m->ident, p->ident) &&
		    (!other || strcmp(other->ident, p->ident)))
			other = m;
		else if (!other && m->store == p->store && take_over)
			other = m;
	}
	return other;
}

/* A claim the port does not serve: the same VM elsewhere (a move in
 * progress) or another VM (a clash, logged when first seen). */
static void add_claim(struct con_svc *s, struct con_port *p,
		      const struct mapping *m, struct con_claim *old,
		      unsigned nold)
{
	unsigned kind = strcmp(m->ident, p->ident) ? CON_CLAIM_CLASH
						   : CON_CLAIM_MOVE;
	struct con_claim *c, *nc;
	unsigned i;

	for (i = 0; i < nold; i++)
		if (old[i].kind == kind && old[i].store == m->store &&
		    !strcmp(old[i].vm, m->vm))
			break;
	if (i == nold && kind == CON_CLAIM_CLASH)
		con_log("port %u: store %s maps it to vm %s, but it is vm "
			"%s's of store %s: refused (a clash; fix one store)",
			p->conc, con_store_name(s, m->store), m->vm, p->vm,
			con_store_name(s, p->store));
	else if (i == nold)
		con_log("port %u (vm %s): also mapped in store %s (a move in "
			"progress): one port, served from store %s", p->conc,
			p->vm, con_store_name(s, m->store),
			con_store_name(s, p->store));
	nc = realloc(p->claim, (p->nclaims + 1) * sizeof *nc);
	if (!nc)
		return;
	p->claim = nc;
	c = &nc[p->nclaims++];
	c->kind = (uint8_t)kind;
	c->store = m->store;
	snprintf(c->vm, sizeof c->vm, "%s", m->vm);
}

/* A port whose VM no store maps: kept for the grace (several stores),
 * else removed. */
static void unmapped(struct con_svc *s, struct con_port *p, long long now)
{
	if (s->nstores > 1 && s->move_grace) {
		if (!p->leave_at) {
			p->leave_at = now + 1000LL * s->move_grace;
			p->k->leave_at = p->leave_at;
			con_log("port %u (%s, vm %s): in no store now; kept "
				"%u s in case it is moving between stores",
				p->conc, p->host, p->vm, s->move_grace);
		}
		if (now < p->leave_at) {
			p->seen = 1;
			return;
		}
	}
	con_log("port %u (%s): no longer mapped, removed", p->conc, p->host);
	con_notice(s, p, CON_N_GONE, "port removed");
	p->gone = 1;
	p->leave_at = 0;
}

/* The grace timer: at the earliest end of a port's grace. */
static void arm_timer(struct con_svc *s)
{
	struct itimerspec it = { { 0, 0 }, { 0, 0 } };
	long long first = 0, d;
	struct con_port *p;

	if (s->timer.fd < 0)
		return;
	for (p = s->ports; p; p = p->next)
		if (!p->gone && p->leave_at && (!first || p->leave_at < first))
			first = p->leave_at;
	if (first) {
		d = first - now_ms();
		if (d < 1)
			d = 1;
		it.it_value.tv_sec = d / 1000;
		it.it_value.tv_nsec = d % 1000 * 1000000;
	}
	timerfd_settime(s->timer.fd, 0, &it, NULL);
}

/* Every store's mappings bound to ports (the file's head says how). */
static void apply(struct con_svc *s, struct mappings *ms)
{
	long long now = now_ms();
	struct con_port *p;
	struct mapping *m;
	struct con_claim *old;
	unsigned nold;
	size_t i;

	for (p = s->ports; p; p = p->next)
		p->seen = 0;
	for (p = s->ports; p; p = p->next) {
		if (p->gone)
			continue;
		if (s->stores[p->store].failed) {
			p->seen = 1; /* its store is unreadable: kept as is */
			continue;
		}
		m = own_mapping(s, p, ms);
		if (m)
			bind(s, p, m, 0);
	}
	for (p = s->ports; p; p = p->next)
		if (!p->seen && !p->gone)
			unmapped(s, p, now);
	/* The rest, in store order: a second claim on a port, or a new one.
	 * A port removed earlier in this batch is taken back, not doubled
	 * (it owns the socket name). */
	for (p = s->ports; p; p = p->next) {
		p->old_claim = p->claim;
		p->old_nclaims = p->nclaims;
		p->claim = NULL;
		p->nclaims = 0;
	}
	for (i = 0; i < ms->n; i++) {
		m = &ms->m[i];
		if (m->bound)
			continue;
		for (p = s->ports; p && p->conc != m->conc; p = p->next)
			;
		if (p && !p->gone) {
			add_claim(s, p, m, p->old_claim, p->old_nclaims);
			continue;
		}
		if (p) {
			p->gone = 0;
			bind(s, p, m, 1);
			continue;
		}
		p = con_port_new(s, m->conc);
		if (p)
			bind(s, p, m, 1);
	}
	for (p = s->ports; p; p = p->next) {
		old = p->old_claim;
		nold = p->old_nclaims;
		for (unsigned k = 0; k < nold; k++)
			if (old[k].kind == CON_CLAIM_CLASH && !p->gone) {
				unsigned j;

				for (j = 0; j < p->nclaims; j++)
					if (p->claim[j].store == old[k].store &&
					    !strcmp(p->claim[j].vm, old[k].vm))
						break;
				if (j == p->nclaims)
					con_log("port %u: the clash with vm %s "
						"of store %s is over", p->conc,
						old[k].vm,
						con_store_name(s, old[k].store));
			}
		free(old);
		p->old_claim = NULL;
		p->old_nclaims = 0;
	}
	arm_timer(s);
}

int con_reload(struct con_svc *s, char *err, size_t errlen)
{
	struct mappings ms = { NULL, 0, 0 };
	char e[512];
	unsigned i, bad = 0;

	if (errlen)
		err[0] = 0;
	for (i = 0; i < s->nstores; i++) {
		s->stores[i].failed = read_store(s, i, &ms, e, sizeof e) != 0;
		if (!s->stores[i].failed)
			continue;
		bad++;
		con_log("store %s: %s", con_store_name(s, i), e);
		if (errlen && !err[0])
			snprintf(err, errlen, "%s%s%s", s->nstores > 1
				 ? con_store_name(s, i) : "",
				 s->nstores > 1 ? ": " : "", e);
	}
	if (bad < s->nstores) /* nothing read: nothing changes */
		apply(s, &ms);
	free(ms.m);
	return bad ? -1 : 0;
}

/* A port handed over whose memfd says it was in a move's grace. */
static void adopt(struct con_svc *s, unsigned conc)
{
	struct con_port *p = con_port_new(s, conc);
	struct con_keep *k;

	if (!p)
		return;
	k = p->k;
	p->mode = k->mode;
	p->store_mode = k->store_mode;
	memcpy(p->host, k->host, sizeof p->host);
	memcpy(p->vm, k->vm, sizeof p->vm);
	memcpy(p->ident, k->ident, sizeof p->ident);
	p->host[CON_NAME_MAX] = p->vm[CON_NAME_MAX] = 0;
	p->ident[CON_IDENT_MAX] = 0;
	p->store = k->store_no < s->nstores ? k->store_no : 0;
	p->leave_at = k->leave_at;
	con_log("port %u (%s, vm %s): in a move's grace at the restart: kept "
		"%lld ms more", conc, p->host, p->vm,
		(long long)(p->leave_at - now_ms()));
	if (p->resumed) {
		p->resumed = 0;
		con_keep_recover(s, p);
	}
}

void con_stores_adopt(struct con_svc *s)
{
	struct con_keep hd;
	unsigned i, conc;

	for (i = 0; i < s->nhanded; i++) {
		if (s->handed[i].fd < 0 ||
		    sscanf(s->handed[i].name, "mem-%u", &conc) != 1 ||
		    pread(s->handed[i].fd, &hd, sizeof hd, 0) != sizeof hd ||
		    hd.magic != CON_KEEP_MAGIC || !hd.leave_at ||
		    s->nstores < 2)
			continue;
		adopt(s, conc);
	}
}

/* ------------------------------------------------------------ watching */

int con_store_add(struct con_svc *s, const char *path)
{
	if (s->nstores == CON_STORES_MAX) {
		fprintf(stderr, "pscon: --store: at most %u stores\n",
			CON_STORES_MAX);
		return -1;
	}
	if (path && (!*path || strlen(path) > CON_NAME_MAX)) {
		fprintf(stderr, "pscon: --store '%s': a path of 1-%u bytes\n",
			path, CON_NAME_MAX);
		return -1;
	}
	for (unsigned i = 0; path && i < s->nstores; i++)
		if (s->stores[i].path && !strcmp(s->stores[i].path, path)) {
			fprintf(stderr, "pscon: --store '%s' given twice\n",
				path);
			return -1;
		}
	s->stores[s->nstores].path = path;
	s->stores[s->nstores].watch =
		(struct con_handle){ CON_K_STORE, -1, NULL, 0 };
	s->nstores++;
	return 0;
}

/* A writer that is not pscon's client (the BMC's OEM serial allocate, a
 * psctl edit of an image file, a VM move between stores) changes the
 * mappings: watch each store's file and reload after each change, so an
 * allocated port is served without a SIGHUP.  A store found by discovery
 * (no --store) has no path to watch; SIGHUP and RELOAD still work. */
int con_stores_watch(struct con_svc *s)
{
	unsigned i;
	int fd;

	s->timer = (struct con_handle){ CON_K_TIMER,
					timerfd_create(CLOCK_MONOTONIC,
						       TFD_NONBLOCK |
						       TFD_CLOEXEC), NULL, 0 };
	con_watch(s, &s->timer, 0);
	arm_timer(s);
	for (i = 0; i < s->nstores; i++) {
		struct con_store *st = &s->stores[i];

		if (!st->path)
			continue;
		fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (fd < 0 || inotify_add_watch(fd, st->path,
						IN_CLOSE_WRITE | IN_MODIFY) < 0) {
			con_log("%s: cannot watch for changes (%s); reload "
				"with SIGHUP", st->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		st->watch.fd = fd;
		st->watch.obj = st;
		con_watch(s, &st->watch, 0);
	}
	return 0;
}

/* Every event queued since the last wake-up, then one reload of every
 * store: a commit is several writes, and a read in the middle of one
 * still sees a whole generation (the slot protocol, docs/store.md). */
void con_store_event(struct con_svc *s, struct con_handle *h)
{
	char buf[4096], err[512];

	while (read(h->fd, buf, sizeof buf) > 0)
		;
	if (con_reload(s, err, sizeof err))
		con_log("store changed; reload failed: %s", err);
}

void con_stores_close(struct con_svc *s)
{
	for (unsigned i = 0; i < s->nstores; i++)
		con_unwatch(s, &s->stores[i].watch);
	con_unwatch(s, &s->timer);
}
