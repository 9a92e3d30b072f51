/*
 * con_migrate.c - a VM's console across a live migration (issue 16, seed
 * 002; docs/console.md "Live migration").  The port stays the same; its
 * guest connection moves from the source's QEMU to the destination's:
 *
 *   BEGIN    (the destination's hvagent, at libvirt's "started migrated"):
 *            a token is made; users' input is queued from now (libvirt
 *            tells of the source's pause only after it happened, so input
 *            sent on to the source until then could be lost with it).
 *   PAUSED   (the source's hvagent, "suspended migrated"): logged; the
 *            source's output is still read to its last byte.
 *   RESUMED  (the destination, "resumed migrated", with the token): the
 *            destination's connection -- held unread since it connected
 *            -- becomes the port's guest, the queued input goes to it in
 *            order, and only then the source is released.
 *   ABORT    (either side, or the destination's connection closing):
 *            back to the source, the queued input written to it.
 *
 * The destination's QEMU connects to the port's socket when libvirt
 * starts it, before any event: a second connection is held, not read
 * (its output waits in the kernel's socket buffer, so nothing is lost
 * before it is attached), until a migration attaches it, the source
 * leaves (it then becomes the guest, as any next connection would), or a
 * newer one replaces it.
 */
#define _GNU_SOURCE /* getrandom */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"

struct con_mig {
	int begun, paused, armed;   /* armed: RESUMED before the dest came */
	uint8_t token[CON_TOKEN_LEN];
	long long t_begin, t_pause; /* ms, CLOCK_MONOTONIC                 */
	uint64_t out_pause;         /* output offset at the pause          */
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct con_mig *mig_of(struct con_port *p)
{
	if (!p->mig)
		p->mig = calloc(1, sizeof *p->mig);
	return p->mig;
}

/* The migration's state into the port's memfd, at each change: a
 * restart (even a SIGKILL) in its middle goes on with it. */
static void save(struct con_port *p)
{
	struct con_mig *m = p->mig;
	struct con_keep *k = p->k;

	if (!k)
		return;
	k->mig = !m ? 0 : (m->begun ? CON_KEEP_MIG_BEGUN : 0) |
		 (m->paused ? CON_KEEP_MIG_PAUSED : 0) |
		 (m->armed ? CON_KEEP_MIG_ARMED : 0);
	if (!m)
		return;
	memcpy(k->mig_token, m->token, sizeof k->mig_token);
	k->mig_t_begin = m->t_begin;
	k->mig_t_pause = m->t_pause;
	k->mig_out_pause = m->out_pause;
}

/* The held connection is watched for its end only (EPOLLRDHUP): its
 * output waits in the socket until it is the guest.  It is kept across
 * a restart as "cnd-N" (con_restart, the fd store). */
static void cand_watch(struct con_svc *s, struct con_port *p, int fd)
{
	struct epoll_event ev = { .events = EPOLLRDHUP, .data.ptr = &p->cand };

	p->cand.fd = fd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
	con_fd_store_port(s, "cnd", p->conc, fd);
}

static void cand_close(struct con_svc *s, struct con_port *p)
{
	if (p->cand.fd < 0)
		return;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, p->cand.fd, NULL);
	close(p->cand.fd);
	p->cand.fd = -1;
	con_fd_forget_port(s, "cnd", p->conc);
}

void con_mig_end(struct con_svc *s, struct con_port *p)
{
	cand_close(s, p);
	free(p->mig);
	p->mig = NULL;
	save(p);
}

int con_mig_holds_input(const struct con_port *p)
{
	return p->mig && p->mig->begun;
}

/* The destination becomes the guest: the source's last output read, the
 * queued input to the destination, then the source closed. */
static void attach_dest(struct con_svc *s, struct con_port *p,
			const char *why)
{
	struct con_mig *m = p->mig;
	int fd = p->cand.fd;
	size_t queued = p->to_guest.len;
	uint64_t at;
	long long t = now_ms();

	epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
	p->cand.fd = -1; /* (its "cnd" entry becomes "gst" below) */
	con_fd_forget_port(s, "cnd", p->conc);
	if (p->guest.fd >= 0)
		con_guest_drain(s, p);
	at = p->ring.total;
	if (m->begun)
		con_log("port %u (%s): migration: destination attached at "
			"output offset %llu (%s), %zu bytes of queued input "
			"delivered, source released; %lld ms after the begin, "
			"%lld ms after the pause", p->conc, p->host,
			(unsigned long long)at, why, queued, t - m->t_begin,
			m->t_pause ? t - m->t_pause : -1LL);
	else
		con_log("port %u (%s): the held connection is the guest now "
			"(%s)", p->conc, p->host, why);
	con_mig_end(s, p);
	con_guest_take(s, p, fd);
	con_notice(s, p, CON_N_MIGRATE, "migration: destination attached "
		   "at offset %llu", (unsigned long long)at);
}

/* Back to the source: the held connection dropped, queued input sent. */
static void abort_to_source(struct con_svc *s, struct con_port *p,
			    const char *why)
{
	size_t queued = p->to_guest.len;

	con_log("port %u (%s): migration aborted (%s): back to the source, "
		"%zu bytes of queued input delivered to it", p->conc, p->host,
		why, queued);
	con_mig_end(s, p);
	con_guest_take(s, p, p->guest.fd);
	con_notice(s, p, CON_N_MIGRATE, "migration aborted: back to the "
		   "source");
}

/* A second connection on a port that has its guest. */
void con_mig_hold(struct con_svc *s, struct con_port *p, int fd)
{
	struct con_mig *m = mig_of(p);

	if (!m) {
		close(fd);
		return;
	}
	if (p->cand.fd >= 0)
		con_log("port %u (%s): a newer second connection replaces the "
			"held one", p->conc, p->host);
	cand_close(s, p);
	cand_watch(s, p, fd);
	con_log("port %u (%s): a second guest connection held%s", p->conc,
		p->host, m->begun ? " (the migration's destination)"
				  : " until a migration claims it");
	if (m->armed)
		attach_dest(s, p, "resumed before it connected");
}

/* The held connection ended.  Checked on the fd held now: an event of
 * the same batch may be for one attached or replaced since. */
void con_mig_event(struct con_svc *s, struct con_port *p, uint32_t ev)
{
	struct con_mig *m = p->mig;
	struct pollfd pf = { p->cand.fd, POLLRDHUP, 0 };

	(void)ev;
	if (!m || pf.fd < 0 || poll(&pf, 1, 0) != 1 ||
	    !(pf.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return;
	cand_close(s, p);
	if (m->begun)
		return abort_to_source(s, p, "the destination's connection "
				       "closed");
	con_mig_end(s, p);
}

/* The source's connection ended: a held connection takes its place. */
int con_mig_source_gone(struct con_svc *s, struct con_port *p)
{
	struct con_mig *m = p->mig;

	if (!m)
		return 0;
	if (p->cand.fd < 0) {
		if (m->begun)
			con_log("port %u (%s): migration ended: the source "
				"went away with no destination connected",
				p->conc, p->host);
		con_mig_end(s, p);
		return 0;
	}
	attach_dest(s, p, "the source's connection closed");
	return 1;
}

/* BEGIN: a token, and input queued from now. */
static int begin(struct con_svc *s, struct con_port *p, const char **why)
{
	struct con_mig *m;

	if (p->guest.fd < 0) {
		*why = "no guest connected: nothing to migrate";
		return CON_E_GUEST;
	}
	if (!(m = mig_of(p)) ||
	    getrandom(m->token, sizeof m->token, 0) !=
	    (ssize_t)sizeof m->token) {
		*why = "no token could be made";
		return CON_E_GUEST;
	}
	m->begun = 1;
	m->t_begin = now_ms();
	save(p);
	con_log("port %u (%s): migration begun (token %02x%02x...), input "
		"queued from output offset %llu%s", p->conc, p->host,
		m->token[0], m->token[1], (unsigned long long)p->ring.total,
		p->cand.fd >= 0 ? "; destination connected" : "");
	con_notice(s, p, CON_N_MIGRATE, "migration begun");
	return 0;
}

static int step(struct con_svc *s, struct con_port *p,
		const struct con_migrate *r, const char **why)
{
	struct con_mig *m = p->mig;
	int code;

	/* The source's pause with no begin (the destination's hvagent is
	 * down): a migration begins here, so input waits from now. */
	if (r->op == CON_MIG_PAUSED && (!m || !m->begun) &&
	    (code = begin(s, p, why)) != 0)
		return code;
	m = p->mig;
	if (r->op == CON_MIG_BEGIN) {
		if (m && m->begun) {
			*why = "a migration of this port is under way";
			return CON_E_BUSY;
		}
		return begin(s, p, why);
	}
	if (!m || !m->begun) {
		*why = "no migration of this port is under way";
		return CON_E_PROTO;
	}
	if (r->op == CON_MIG_ABORT) {
		abort_to_source(s, p, "asked");
		return 0;
	}
	if (r->op == CON_MIG_PAUSED) {
		if (!m->paused) {
			m->paused = 1;
			m->t_pause = now_ms();
			m->out_pause = p->ring.total;
			save(p);
			con_log("port %u (%s): migration: source paused at "
				"output offset %llu, %zu bytes of input queued",
				p->conc, p->host,
				(unsigned long long)p->ring.total,
				p->to_guest.len);
		}
		return 0;
	}
	if (memcmp(r->token, m->token, sizeof m->token)) {
		*why = "not this migration's token";
		return CON_E_TOKEN;
	}
	if (p->cand.fd < 0) {
		m->armed = 1;   /* attached the moment it connects */
		save(p);
		con_log("port %u (%s): migration: resumed; the destination "
			"is attached when it connects", p->conc, p->host);
		return 0;
	}
	attach_dest(s, p, "resumed");
	return 0;
}

int con_mig_request(struct con_svc *s, const struct con_client *c,
		    const struct con_migrate *r, uint8_t *reply,
		    const char **why)
{
	struct con_port *p = con_port_find(s, r->conc ? NULL : r->target,
					   r->conc);
	unsigned conc;
	int code;

	if (c->role != CON_ROLE_ADMIN) {
		*why = "migrate: administrators only";
		return CON_E_PERM;
	}
	if (!p) {
		*why = "no such port";
		return CON_E_NOPORT;
	}
	conc = p->conc;
	code = step(s, p, r, why);
	if (code)
		return code;
	reply[0] = CON_MIGRATE;
	reply[1] = r->op;
	con_put16(reply + 2, conc);
	if (r->op == CON_MIG_BEGIN)
		memcpy(reply + 4, p->mig->token, CON_TOKEN_LEN);
	else
		memset(reply + 4, 0, CON_TOKEN_LEN);
	return 0;
}

/* After a restart: the migration the previous process was in the middle
 * of, and its held connection.  Input is queued again from now (what was
 * queued died with the process, unacknowledged: clients send it again);
 * a held connection that closed meanwhile, or a source that left, is an
 * event of the first batch as usual. */
void con_mig_restore(struct con_svc *s, struct con_port *p)
{
	struct con_keep *k = p->k;
	int fd = con_fd_take_port(s, "cnd", p->conc);
	struct con_mig *m;

	if (!(k->mig & CON_KEEP_MIG_BEGUN) && fd < 0) {
		k->mig = 0;
		return;
	}
	if (!(m = mig_of(p))) {
		if (fd >= 0)
			close(fd);
		k->mig = 0;
		return;
	}
	if (k->mig & CON_KEEP_MIG_BEGUN) {
		m->begun = 1;
		m->paused = !!(k->mig & CON_KEEP_MIG_PAUSED);
		m->armed = !!(k->mig & CON_KEEP_MIG_ARMED);
		memcpy(m->token, k->mig_token, sizeof m->token);
		m->t_begin = k->mig_t_begin;
		m->t_pause = k->mig_t_pause;
		m->out_pause = k->mig_out_pause;
	}
	if (fd >= 0)
		cand_watch(s, p, fd);
	con_log("port %u: %s kept across the restart%s", p->conc,
		m->begun ? (m->paused ? "a migration (begun, source paused)"
				      : "a migration (begun)")
			 : "a held second connection",
		!m->begun ? "" : fd >= 0 ? "; its destination held"
					 : "; no destination connected yet");
	save(p);
	if (m->armed && fd >= 0 && p->guest.fd >= 0)
		attach_dest(s, p, "resumed before the restart");
}
