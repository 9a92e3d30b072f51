/*
 * hv_migrate.c - a VM's console across a live migration, hvagent's side
 * (docs/console.md "Live migration", docs/hvagent.md "Consoles").  The
 * concentrator port stays the same; libvirt's lifecycle events on each
 * host drive pscon's handover (the MIGRATE request):
 *
 *   destination  started/migrated   BEGIN each of the VM's ports: input
 *                                   queued, a token kept here
 *   source       suspended/migrated PAUSED
 *   destination  resumed/migrated   RESUMED with the token: the
 *                                   destination's QEMU is the port's guest
 *   destination  stopped (failed)   ABORT: back to the source
 *   source       resumed/migrated   ABORT (the migration failed after the
 *                                   pause; the source runs on)
 *   source       stopped/migrated   nothing: the ports are the VM's still
 *                                   (hv_console.c leaves them allocated)
 *
 * The destination begins because it hears first: libvirt starts its QEMU
 * (which connects to the port at once, held unread by pscon) before the
 * source reports anything.  A VM's ports are found by name in pscon's
 * list, so the destination needs nothing from its own store.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hv_console.h"
#include "../bmc-shim/console/con_proto.h"

int hv_migrate_note(struct hv_migrate *m, const char *vm, int event,
		    int detail)
{
	int mig = (event == VIR_DOMAIN_EVENT_STARTED &&
		   detail == VIR_DOMAIN_EVENT_STARTED_MIGRATED) ||
		  (event == VIR_DOMAIN_EVENT_SUSPENDED &&
		   detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED) ||
		  (event == VIR_DOMAIN_EVENT_RESUMED &&
		   detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED) ||
		  event == VIR_DOMAIN_EVENT_STOPPED;
	unsigned i;

	if (!mig || m->nq == HV_MIG_QUEUE || !vm)
		return 0;
	if (event == VIR_DOMAIN_EVENT_STOPPED &&
	    detail != VIR_DOMAIN_EVENT_STOPPED_MIGRATED) {
		/* A stop matters here only for a migration coming in. */
		for (i = 0; i < m->nin && strcmp(m->in[i].vm, vm); i++)
			;
		if (i == m->nin)
			return 0;
	}
	snprintf(m->q[m->nq].vm, sizeof m->q[m->nq].vm, "%s", vm);
	m->q[m->nq].event = event;
	m->q[m->nq].detail = detail;
	m->nq++;
	return 1;
}

struct sess {
	int fd;
	uint8_t buf[CON_HDR + CON_PAYLOAD_MAX];
	size_t have;
};

/* The concentrator ports of vm (pscon's list): how many, into conc. */
static unsigned ports_of(struct sess *s, const char *vm, unsigned *conc,
			 unsigned max)
{
	static uint8_t pl[CON_PAYLOAD_MAX];
	static struct con_port_info pi;
	struct con_frame f;
	unsigned n = 0;
	size_t len;
	uint8_t t;

	if (con_frame_send(s->fd, CON_LIST, NULL, 0))
		return 0;
	for (;;) {
		len = sizeof pl;
		t = hv_pscon_read(s->fd, s->buf, sizeof s->buf, &s->have, pl,
				  &len);
		if (t != CON_R_PORT)
			break;
		f = (struct con_frame){ t, (uint16_t)len, pl };
		if (!con_decode_port(&f, &pi) && !strcmp(pi.vm, vm) && n < max)
			conc[n++] = pi.conc;
	}
	return n;
}

/* One MIGRATE step for port conc; 0, or -1 with the refusal in why. */
static int step(struct sess *s, uint8_t op, unsigned conc,
		uint8_t token[16], char *why, size_t wn)
{
	struct con_migrate r = { .op = op };
	uint8_t req[CON_MIGRATE_HDR + 8], pl[256];
	size_t len = sizeof pl;
	uint8_t t;

	memcpy(r.token, token, CON_TOKEN_LEN);
	snprintf(r.target, sizeof r.target, "%u", conc);
	if (con_frame_send(s->fd, CON_MIGRATE, req,
			   con_encode_migrate(&r, req))) {
		snprintf(why, wn, "the concentrator went away");
		return -1;
	}
	t = hv_pscon_read(s->fd, s->buf, sizeof s->buf, &s->have, pl, &len);
	if (t == CON_R_OK && len == CON_MIGRATE_OK) {
		if (op == CON_MIG_BEGIN)
			memcpy(token, pl + 4, CON_TOKEN_LEN);
		return 0;
	}
	if (t == CON_R_ERROR && len >= 2)
		snprintf(why, wn, "%s: %.*s", con_err_name(pl[1]),
			 (int)len - 2, (const char *)pl + 2);
	else
		snprintf(why, wn, "no answer");
	return -1;
}

static const char *op_name(uint8_t op)
{
	return op == CON_MIG_BEGIN ? "begin" : op == CON_MIG_PAUSED ? "paused"
	       : op == CON_MIG_RESUMED ? "resumed" : "abort";
}

/* This host migrating vm in: its kept ports and tokens, dropped. */
static void each_in(struct hv_migrate *m, struct sess *s, const char *vm,
		    uint8_t op)
{
	unsigned i, j;
	char why[300];

	for (i = j = 0; i < m->nin; i++) {
		if (strcmp(m->in[i].vm, vm)) {
			m->in[j++] = m->in[i];
			continue;
		}
		if (step(s, op, m->in[i].conc, m->in[i].token, why, sizeof why))
			hv_log(HV_WARN, "vm '%s': console port %u: migration "
			       "%s refused: %s", vm, m->in[i].conc,
			       op_name(op), why);
		else
			hv_log(HV_INFO, "vm '%s': console port %u: %s", vm,
			       m->in[i].conc, op == CON_MIG_RESUMED
			       ? "the destination (this host) attached"
			       : "migration aborted, back to the source");
	}
	m->nin = j;
}

/* The source's steps (no token: it only pauses or takes the port back),
 * and the destination's begin. */
static void each_port(struct hv_migrate *m, struct sess *s, const char *vm,
		      uint8_t op)
{
	unsigned conc[16], n = ports_of(s, vm, conc, 16), i;
	uint8_t token[16] = { 0 };
	char why[300];

	for (i = 0; i < n; i++) {
		if (step(s, op, conc[i], token, why, sizeof why)) {
			hv_log(op == CON_MIG_ABORT ? HV_DEBUG : HV_WARN,
			       "vm '%s': console port %u: migration %s "
			       "refused: %s", vm, conc[i], op_name(op), why);
			continue;
		}
		hv_log(HV_INFO, "vm '%s': console port %u: migration %s", vm,
		       conc[i], op_name(op));
		if (op == CON_MIG_BEGIN && m->nin < HV_MIG_QUEUE) {
			snprintf(m->in[m->nin].vm, sizeof m->in[m->nin].vm,
				 "%s", vm);
			m->in[m->nin].conc = conc[i];
			memcpy(m->in[m->nin].token, token, sizeof token);
			m->nin++;
		}
	}
	if (!n && op == CON_MIG_BEGIN)
		hv_log(HV_INFO, "vm '%s': migrating in; no console port at "
		       "the concentrator", vm);
}

static int has_in(const struct hv_migrate *m, const char *vm)
{
	unsigned i;

	for (i = 0; i < m->nin; i++)
		if (!strcmp(m->in[i].vm, vm))
			return 1;
	return 0;
}

void hv_migrate_run(struct hv_migrate *m, struct hv_console *k)
{
	struct sess s = { .fd = -1 };
	const char *why;
	unsigned i;

	if (!m->nq)
		return;
	if (k->cfg->con.mode != HV_CON_OFF)
		s.fd = hv_pscon_open(k, s.buf, sizeof s.buf, &s.have, &why);
	for (i = 0; i < m->nq; i++) {
		const char *vm = m->q[i].vm;
		int ev = m->q[i].event;

		if (ev == VIR_DOMAIN_EVENT_STOPPED &&
		    m->q[i].detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED) {
			hv_log(HV_INFO, "vm '%s': migrated away; its console "
			       "ports go with it", vm);
			continue;
		}
		if (s.fd < 0) {
			hv_log(HV_ERR, "vm '%s': migration: concentrator %s: %s",
			       vm, k->cfg->con.socket, why);
			continue;
		}
		if (ev == VIR_DOMAIN_EVENT_STARTED)
			each_port(m, &s, vm, CON_MIG_BEGIN);
		else if (ev == VIR_DOMAIN_EVENT_SUSPENDED)
			each_port(m, &s, vm, CON_MIG_PAUSED);
		else if (ev == VIR_DOMAIN_EVENT_RESUMED && has_in(m, vm))
			each_in(m, &s, vm, CON_MIG_RESUMED);
		else if (ev == VIR_DOMAIN_EVENT_RESUMED)
			each_port(m, &s, vm, CON_MIG_ABORT);
		else
			each_in(m, &s, vm, CON_MIG_ABORT);
	}
	m->nq = 0;
	if (s.fd >= 0)
		close(s.fd);
}
