/*
 * hv_console.h - the VMs' consoles on the serial concentrator (hvagent
 * internal; docs/hvagent.md "Consoles"): allocation at launch and release
 * at termination, through the BMC's OEM serial commands (console = bmc)
 * or the store (console = local); the concentrator (pscon) told to serve
 * the new ports; the link from each VM serial port's fixed socket path to
 * its concentrator port's endpoint; faults the concentrator reports.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include "hv.h"
#include "../cli/psctl_bmc.h"

struct hv_console {
	const struct hv_config *cfg;
	struct psctl_bmc bmc;         /* console = bmc */
	char password[256];
	int events_fd;                /* console_events, -1 none */
	long long bmc_quiet_until;    /* after a failed BMC call: no call
					 before this (s, monotonic) */
};

/* Set up from the configuration (the BMC's password read from its file;
 * the events socket bound).  0, or -1 with err filled. */
int hv_console_init(struct hv_console *k, const struct hv_config *cfg,
		    char *err, size_t n);
void hv_console_close(struct hv_console *k);

/*
 * One VM, by UUID: its console ports made to match the domain's state.
 * running 1: allocated when the VM holds no mapped port (else kept as they
 * are: an agent restart changes nothing), the concentrator reloaded, the
 * links made.  running 0: links removed, ports freed, concentrator
 * reloaded.  The store is read through st (refreshed) and, for
 * console = local, edited through it: never call it inside a pass.
 * 0, or -1 (logged).
 */
int hv_console_vm(struct hv_console *k, struct ps_store *st,
		  const uint8_t uuid[16], int running);

/* Every store VM: running domains get their ports, stopped or missing
 * ones release theirs (the agent's start, after each pass). */
void hv_console_sync_all(struct hv_console *k, struct ps_store *st,
			 virConnectPtr conn);

/* Before a boot pass: the VMs it may start (power on or last, domain not
 * running) get their ports first, so the guest's first byte is served. */
void hv_console_pre_boot(struct hv_console *k, struct ps_store *st,
			 virConnectPtr conn);

/* A fault datagram from the concentrator, read from events_fd: the VM's
 * UUID and a one-line cause ("Kernel panic - not syncing: ...").  1 when
 * one was read, 0 none, -1 malformed (logged).  *panic: the pattern says
 * the guest cannot go on. */
int hv_console_fault(struct hv_console *k, struct ps_store *st,
		     uint8_t uuid[16], char *cause, size_t n, int *panic);

/* A session with the concentrator (console_socket), HELLO done: the fd,
 * or -1 with *why.  hv_pscon_read: its next reply frame within 2 s, the
 * type (0 on failure), the payload into out (NULL: dropped). */
int hv_pscon_open(const struct hv_console *k, uint8_t *buf, size_t cap,
		  size_t *have, const char **why);
uint8_t hv_pscon_read(int fd, uint8_t *buf, size_t cap, size_t *have,
		      uint8_t *out, size_t *outlen);

/*
 * A live migration's console handover (hv_migrate.c), from libvirt's
 * lifecycle events on this host, as source or destination: the events are
 * noted by the event callback (no calls from inside it) and handled by
 * hv_migrate_run from the loop.
 */
#define HV_MIG_QUEUE 16u
struct hv_migrate {
	struct { char vm[256]; int event, detail; } q[HV_MIG_QUEUE];
	unsigned nq;
	struct {                  /* ports this host is migrating in */
		char vm[256];
		unsigned conc;
		uint8_t token[16];
	} in[HV_MIG_QUEUE];
	unsigned nin;
};
/* 1 when (event, detail) is a migration step, queued. */
int hv_migrate_note(struct hv_migrate *m, const char *vm, int event,
		    int detail);
void hv_migrate_run(struct hv_migrate *m, struct hv_console *k);

#endif /* HV_CONSOLE_H */
