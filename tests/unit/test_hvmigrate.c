/*
 * test_hvmigrate.c - hvagent's side of a live migration's console
 * handover (hv_migrate.c; docs/console.md "Live migration"): which
 * libvirt events are migration steps, and the requests they make of the
 * concentrator, against a stand-in for pscon in a child process: the
 * destination begins (after finding the VM's ports in the list) and
 * resumes with the very token it was given; a failed start aborts; the
 * source's pause needs no token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv.h"
#include "hv_console.h"
#include "../bmc-shim/console/con_proto.h"

static const uint8_t TOKEN[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12, 13,
				   14, 15, 16 };

static void events_classified(void **st)
{
	static const struct { int event, detail, step; } t[] = {
		{ VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_MIGRATED, 1 },
		{ VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED, 0 },
		{ VIR_DOMAIN_EVENT_SUSPENDED,
		  VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED, 1 },
		{ VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED,
		  0 },
		{ VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_MIGRATED, 1 },
		{ VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_MIGRATED, 1 },
		/* Another stop matters only for a VM migrating in. */
		{ VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED, 0 },
	};
	struct hv_migrate m = { 0 };
	size_t i;

	(void)st;
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(hv_migrate_note(&m, "a", t[i].event,
						 t[i].detail), t[i].step);
	snprintf(m.in[0].vm, sizeof m.in[0].vm, "a");
	m.nin = 1;
	assert_int_equal(hv_migrate_note(&m, "a", VIR_DOMAIN_EVENT_STOPPED,
					 VIR_DOMAIN_EVENT_STOPPED_FAILED), 1);
	assert_int_equal(m.nq, 5);
}

static void put_frame(int fd, uint8_t type, const void *p, size_t n)
{
	if (con_frame_send(fd, type, p, n))
		_exit(3);
}

/* The stand-in: one session; each MIGRATE's op and token byte 0 (and
 * whether the token is TOKEN) written to the log fd as "op:ok" lines. */
static void serve(int lis, int log)
{
	static uint8_t b[CON_HDR + CON_PAYLOAD_MAX], pl[CON_PAYLOAD_MAX];
	static struct con_port_info pi;
	struct con_frame f;
	size_t have = 0;
	int fd = accept(lis, NULL, NULL), k;
	ssize_t r;

	for (;;) {
		while ((k = con_frame_parse(b, have, 1, &f)) > 0) {
			if (f.type == CON_HELLO)
				put_frame(fd, CON_R_HELLO,
					  (uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
			if (f.type == CON_LIST) {
				memset(&pi, 0, sizeof pi);
				pi.conc = 7001;
				strcpy(pi.host, "web01");
				strcpy(pi.vm, "web01");
				put_frame(fd, CON_R_PORT, pl,
					  con_encode_port(&pi, pl));
				pi.conc = 7002;
				strcpy(pi.vm, "other");
				put_frame(fd, CON_R_PORT, pl,
					  con_encode_port(&pi, pl));
				put_frame(fd, CON_R_END, (uint8_t[]){ CON_LIST },
					  1);
			}
			if (f.type == CON_MIGRATE) {
				struct con_migrate m;
				const char *why;
				char line[CON_NAME_MAX + 32];
				uint8_t ok[CON_MIGRATE_OK] = { CON_MIGRATE };

				assert_int_equal(con_decode_migrate(&f, &m, &why),
						 0);
				snprintf(line, sizeof line, "%u:%s:%s\n", m.op,
					 m.target, memcmp(m.token, TOKEN, 16)
					 ? "other" : "token");
				(void)!write(log, line, strlen(line));
				ok[1] = m.op;
				con_put16(ok + 2, 7001);
				if (m.op == CON_MIG_BEGIN)
					memcpy(ok + 4, TOKEN, 16);
				put_frame(fd, CON_R_OK, ok, sizeof ok);
			}
			memmove(b, b + k, have - (size_t)k);
			have -= (size_t)k;
		}
		r = read(fd, b + have, sizeof b - have);
		if (r <= 0)
			return;
		have += (size_t)r;
	}
}

/* One batch of events against the stand-in; what it saw. */
static void run_batch(struct hv_migrate *m, char *seen, size_t n)
{
	static struct hv_config cfg;
	struct hv_console k = { .cfg = &cfg };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/hvmigXXXXXX";
	int lis, pl[2], st;
	ssize_t r;
	pid_t pid;

	hv_config_defaults(&cfg);
	cfg.con.mode = HV_CON_LOCAL;
	assert_non_null(mkdtemp(dir));
	snprintf(cfg.con.socket, sizeof cfg.con.socket, "%s/c.sock", dir);
	memcpy(a.sun_path, cfg.con.socket, strlen(cfg.con.socket) + 1);
	lis = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lis, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lis, 1), 0);
	assert_int_equal(pipe(pl), 0);
	pid = fork();
	if (!pid) {
		close(pl[0]);
		serve(lis, pl[1]);
		_exit(0);
	}
	close(pl[1]);
	hv_migrate_run(m, &k);
	r = read(pl[0], seen, n - 1);
	seen[r > 0 ? r : 0] = 0;
	while (r > 0 && (size_t)r < n - 1 &&
	       (st = (int)read(pl[0], seen + r, n - 1 - (size_t)r)) > 0) {
		r += st;
		seen[r] = 0;
	}
	waitpid(pid, &st, 0);
	close(pl[0]);
	close(lis);
	unlink(cfg.con.socket);
	rmdir(dir);
}

/* The destination's first step: web01 migrating in, begun. */
static void begin_web01(struct hv_migrate *m)
{
	char seen[256];

	hv_migrate_note(m, "web01", VIR_DOMAIN_EVENT_STARTED,
			VIR_DOMAIN_EVENT_STARTED_MIGRATED);
	run_batch(m, seen, sizeof seen);
	assert_string_equal(seen, "1:7001:other\n"); /* only web01's port */
	assert_int_equal(m->nin, 1);
	assert_memory_equal(m->in[0].token, TOKEN, 16);
}

/* Begun, then the destination's next event: the request it makes with
 * the token it kept, and nothing kept after it. */
static void after_begin(struct hv_migrate *m, int event, int detail,
			const char *want)
{
	char seen[256];

	begin_web01(m);
	hv_migrate_note(m, "web01", event, detail);
	run_batch(m, seen, sizeof seen);
	assert_string_equal(seen, want);
	assert_int_equal(m->nin, 0);
}

static void destination_begins_and_resumes(void **st)
{
	struct hv_migrate m = { 0 };

	(void)st;
	after_begin(&m, VIR_DOMAIN_EVENT_RESUMED,
		    VIR_DOMAIN_EVENT_RESUMED_MIGRATED, "3:7001:token\n");
}

static void failed_start_aborts_source_pauses(void **st)
{
	struct hv_migrate m = { 0 };
	char seen[256];

	(void)st;
	after_begin(&m, VIR_DOMAIN_EVENT_STOPPED,
		    VIR_DOMAIN_EVENT_STOPPED_FAILED, "4:7001:token\n");
	/* The source: a pause, and a resume after a failure (no token). */
	hv_migrate_note(&m, "web01", VIR_DOMAIN_EVENT_SUSPENDED,
			VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED);
	hv_migrate_note(&m, "web01", VIR_DOMAIN_EVENT_RESUMED,
			VIR_DOMAIN_EVENT_RESUMED_MIGRATED);
	run_batch(&m, seen, sizeof seen);
	assert_string_equal(seen, "2:7001:other\n4:7001:other\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_classified),
		cmocka_unit_test(destination_begins_and_resumes),
		cmocka_unit_test(failed_start_aborts_source_pauses),
	};

	hv_log_set_level(HV_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
