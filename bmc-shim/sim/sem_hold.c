/*
 * sem_hold.c - a host writer that holds the simulated semaphore, for the
 * simulated BMC's tests: the BMC must answer busy at once while a host
 * writer holds it, and break a dead holder's hold only after its lease.
 *
 *   sem-hold LEASE_MS SECONDS|- [die]
 *
 * Takes the semaphore of PSTATE_SEM_BIOS / PSTATE_SEM_SHM as an OS tool
 * (owner 4) with the lease given, prints "held", holds it SECONDS without
 * renewing, then releases it; with "die" exits without releasing (a
 * writer that crashed).  "-" for SECONDS: holds it until its standard
 * input ends, so a test releases it when its checks are done rather than
 * racing a fixed time on a loaded machine.  Exit status 0, or 1 when it
 * could not take it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pstate.h"

int main(int argc, char **argv)
{
	struct ps_sem_sys sem;
	struct ps_sem_config cfg = { 0 };
	uint64_t token;
	unsigned lease, secs;
	int rc;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "die"))) {
		fprintf(stderr, "usage: sem-hold LEASE_MS SECONDS|- [die]\n");
		return 2;
	}
	lease = (unsigned)strtoul(argv[1], NULL, 10);
	secs = (unsigned)strtoul(argv[2], NULL, 10);
	cfg.mode = PS_SEM_MODE_SIM;
	cfg.timeout_ms = 5000;
	if (ps_sem_sys_open(&sem, &cfg)) {
		fprintf(stderr, "sem-hold: %s\n", ps_sem_sys_describe(&sem));
		return 1;
	}
	rc = ps_sem_sys_lock_ops.acquire(&sem, PS_OWNER_OS, lease, &token);
	if (rc) {
		fprintf(stderr, "sem-hold: acquire: %d\n", rc);
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	if (strcmp(argv[2], "-") == 0)
		while (getchar() != EOF)
			;
	else
		sleep(secs);
	if (argc == 4)
		_exit(0);
	ps_sem_sys_lock_ops.release(&sem, token);
	ps_sem_sys_close(&sem);
	return 0;
}
