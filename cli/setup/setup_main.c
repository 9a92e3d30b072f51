/*
 * setup_main.c - efi_main of pstate-setup.efi: find the key, check the
 * store, run the screens, return to the firmware (docs/setup.md).
 */
#include "setup.h"

/* Problems the whole-store check reports make the store read-only: it is
 * shown, never written (docs/setup.md "Stores it does not write"). */
static void count_problem(void *ctx, const char *msg)
{
	struct setup *s = ctx;

	if (!s->ro_why[0]) {
		struct sb w;

		ps__sb_init(&w, s->ro_why, sizeof s->ro_why);
		ps__sb_str(&w, "schema check: ");
		ps__sb_str(&w, msg);
	}
}

static int alloc(struct setup *s)
{
	s->cap = PSF_MAX_TOTAL;
	s->buf = AllocatePool(s->cap);
	s->probe = AllocatePool(s->cap);
	/* Page-aligned meets any IoAlign a USB disk asks for. */
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
					EfiLoaderData,
					EFI_SIZE_TO_PAGES(PS_EFI_BOUNCE),
					(EFI_PHYSICAL_ADDRESS *)&s->bounce)))
		s->bounce = NULL;
	return s->buf && s->probe && s->bounce ? 0 : PS_ERR_NOMEM;
}

static void wait_quit(void)
{
	char line[8];

	do
		con_line("q quits: ", line, sizeof line);
	while (memcmp(line, "q", 2));
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static struct setup s;
	int rc;

	InitializeLib(image, systab);
	clock_init();
	/* No watchdog reset while a human reads the screens. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	con_put("\npstate BIOS setup\n");
	if (alloc(&s)) {
		con_put("out of memory\n");
		return EFI_OUT_OF_RESOURCES;
	}
	rc = disc_scan(&s);
	disc_show(&s);
	if (rc) {
		con_put("no USB key holds a valid pstate store: nothing to "
			"edit, nothing written\n");
		wait_quit();
		return EFI_NOT_FOUND;
	}
	rc = ps_cfg_check(s.buf, s.disk.length, count_problem, &s);
	if (rc) {
		s.read_only = 1;
		if (rc < 0) {
			struct sb w;

			ps__sb_init(&w, s.ro_why, sizeof s.ro_why);
			ps__sb_str(&w, ps_strerror(rc));
		}
	} else if (s.media.read_only) {
		s.read_only = 1;
		CopyMem(s.ro_why, "the key is write-protected", 27);
	}
	save_auth_read(&s, 1);
	ui_run(&s);
	con_put("bye\n");
	return EFI_SUCCESS;
}
