/*
 * setup_save.c - save: one atomic commit as owner "BIOS setup" through
 * ps_commit (docs/store.md), under the semaphore when BMC firmware
 * published one (docs/semaphore.md), else alone (docs/setup.md "Saving"
 * says why that is safe).  On an authenticated store setup has no key:
 * it saves only after the user confirms, and marks the store unverified
 * (docs/setup.md "Authenticated stores").
 */
#include "setup.h"

/* The legacy BIOS range the marker lives in (docs/semaphore.md 2).
 * Boot services map memory 1:1, so physical addresses are pointers. */
#define SEM_WIN_PHYS 0xE0000u
#define SEM_WIN_LEN 0x20000u
#define SEM_LEASE_MS 5000u
#define SEM_WAIT_MS 10000u

static uint64_t sem_now(void *ctx)
{
	(void)ctx;
	return clock_ms();
}

static void sem_relax(void *ctx, uint32_t attempt)
{
	(void)ctx;
	(void)attempt;
	uefi_call_wrapper(BS->Stall, 1, 1000);
}

/* Seconds since 1970 from the RTC (0 when it cannot be read). */
static uint64_t now_unix(void)
{
	EFI_TIME t;
	int64_t y, m, era, yoe, doy, doe, days;

	if (EFI_ERROR(uefi_call_wrapper(RT->GetTime, 2, &t, NULL)) ||
	    t.Year < 1970)
		return 0;
	/* days from civil (proleptic Gregorian) */
	y = (int64_t)t.Year - (t.Month <= 2);
	m = t.Month;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + t.Day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	/* TimeZone is minutes from UTC (local = UTC - TimeZone), or
	 * EFI_UNSPECIFIED_TIMEZONE: then the RTC is taken as UTC. */
	return (uint64_t)(days * 86400 + t.Hour * 3600 + t.Minute * 60 +
			  t.Second + (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE ?
				      t.TimeZone * 60 : 0));
}

static void say_rc(const char *what, int rc)
{
	con_put(what);
	con_put(": ");
	con_put(ps_strerror(rc));
	con_put("\n");
}

void save_auth_read(struct setup *s, int show)
{
	struct ps_auth_check c = { NULL, 0, 0, 0 };

	if (ps_auth_verify(&s->disk, s->buf, &c, s->sector, &s->auth)) {
		/* The trailer cannot be read: taken as sealed and unknown. */
		s->auth.sealed = 1;
		s->auth.verdict = PS_AUTH_BADMAC;
	}
	if (!show || !s->auth.sealed)
		return;
	con_put("\nAUTHENTICATED STORE (");
	con_put(ps_auth_verdict_name(s->auth.verdict));
	con_put(")\n  A trusted writer (the host or the BMC) sealed this "
		"store with a key that\n  setup does not hold. You may look "
		"and edit, but a save is marked UNVERIFIED:\n  the host "
		"(hvagent, psctl) and the BMC then refuse the store until an\n"
		"  administrator accepts it on the host (psctl ... "
		"--accept-unverified).\n");
}

/* A save over a sealed store: said and confirmed, else refused.  1 when
 * the user typed the word. */
static int confirm_unverified(void)
{
	char line[32];

	con_put("this store is authenticated and setup has no key: saving "
		"marks it UNVERIFIED,\nand the host and the BMC refuse it "
		"until an administrator accepts it\n");
	con_line("type 'unverified' to save anyway: ", line, sizeof line);
	return !memcmp(line, "unverified", 11);
}

int save_commit(struct setup *s)
{
	struct ps_auth au;
	static struct ps_sem sem;
	struct ps_sem_marker mk;
	struct ps_sem_scan sc;
	struct ps_sem_clock clk = { sem_now, sem_relax, NULL };
	struct ps_lock lock = { &ps_sem_lock_ops, &sem, PS_OWNER_BIOS,
				SEM_LEASE_MS, 0, 0 };
	struct ps_commit_args a = { NULL, PS_OWNER_BIOS, now_unix(), NULL,
				    PS_COMMIT_FAST };
	uint64_t t0 = clock_ms();
	int rc;

	if (s->read_only) {
		con_put("not saved: the store is read-only (");
		con_put(s->ro_why);
		con_put(")\n");
		return PS_ERR_RDONLY;
	}
	rc = ps_sem_find_marker((const void *)(uintptr_t)SEM_WIN_PHYS,
				SEM_WIN_LEN, SEM_WIN_PHYS, &mk, &sc);
	if (rc == PS_SEM_ERR_BADMARKER) {
		/* A BMC that tried to publish a semaphore may be writing:
		 * refuse rather than trample its updates. */
		con_put("not saved: bad semaphore marker: ");
		con_put(ps_sem_marker_why_str(sc.first_why));
		con_put("\n");
		return rc;
	}
	if (rc == PS_SEM_OK) {
		rc = ps_sem_attach(&sem, (void *)(uintptr_t)mk.sem_addr,
				   mk.sem_size, mk.sem_addr, &mk, &clk,
				   SEM_WAIT_MS);
		if (rc) {
			say_rc("not saved: semaphore", rc);
			return rc;
		}
		a.lock = &lock;
		con_put("semaphore found: saving under it\n");
	} else {
		con_put("no semaphore marker: saving alone\n");
	}
	if (s->auth.sealed) {
		if (!confirm_unverified()) {
			con_put("not saved: authenticated store, not "
				"confirmed\n");
			return PS_ERR_AUTH;
		}
		/* docs/store.md 8.3: the flag, the base slot's counter, no
		 * MAC. */
		ps_auth_arm(&au, NULL, s->auth.have_trailer ?
			    s->auth.t.counter : 0, 0);
		a.auth = &au;
	}
	rc = psf_finish(s->buf);
	if (!rc)
		rc = ps_commit(&s->disk, s->buf, s->sector, &a);
	if (rc) {
		say_rc("not saved", rc);
		if (rc == PS_ERR_CONFLICT)
			con_put("another writer saved first: d drops your "
				"changes and shows theirs\n");
		return rc;
	}
	s->dirty = 0;
	save_auth_read(s, 0);
	if (s->auth.sealed)
		con_put("marked unverified\n");
	con_put("saved: generation ");
	con_u64(s->disk.generation);
	con_put(" in ");
	con_u64(clock_ms() - t0);
	con_put(" ms\n");
	return 0;
}
