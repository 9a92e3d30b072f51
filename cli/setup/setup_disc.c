/*
 * setup_disc.c - which key holds the store (docs/setup.md "Finding the
 * store"): every EFI_BLOCK_IO_PROTOCOL handle of a whole disk, the USB
 * ones in port order, the pstate partition (setup_part.c), and the store
 * checked by ps_read before use.
 */
#include "setup.h"

static const char *const status_name[] = {
	"chosen", "valid", "not-usb", "no-media", "no-part", "bad-part",
	"invalid", "io",
};

void key_why(struct setup_key *k, int status, const char *a,
	     const char *b)
{
	struct sb w;

	k->status = status;
	ps__sb_init(&w, k->why, sizeof k->why);
	ps__sb_str(&w, a);
	if (b)
		ps__sb_str(&w, b);
}

/* The USB ports and PCI functions of a device path.  A USB node's
 * ParentPortNumber is 0-based (UEFI spec, "USB Device Path"); Linux
 * numbers ports from 1 (sysfs 1-2.3), so each is stored + 1. */
static void describe(struct setup_key *k, EFI_DEVICE_PATH *dp)
{
	struct sb w;
	uint32_t i;

	for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		if (DevicePathType(dp) == HARDWARE_DEVICE_PATH &&
		    DevicePathSubType(dp) == HW_PCI_DP &&
		    k->npci < SETUP_USB_DEPTH) {
			PCI_DEVICE_PATH *p = (PCI_DEVICE_PATH *)dp;

			k->pci[k->npci++] = (uint32_t)p->Device << 8 |
					    p->Function;
		}
		if (DevicePathType(dp) == MESSAGING_DEVICE_PATH &&
		    DevicePathSubType(dp) == MSG_USB_DP &&
		    k->nport < SETUP_USB_DEPTH) {
			USB_DEVICE_PATH *u = (USB_DEVICE_PATH *)dp;

			k->port[k->nport++] = (uint32_t)u->Port +
					      1;
		}
	}
	ps__sb_init(&w, k->where, sizeof k->where);
	ps__sb_str(&w, k->nport ? "usb " : "disk");
	for (i = 0; i < k->nport; i++) {
		if (i)
			ps__sb_str(&w, ".");
		ps__sb_u64(&w, k->port[i]);
	}
	ps__sb_str(&w, " (pci");
	for (i = 0; i < k->npci; i++) {
		uint8_t dev = (uint8_t)(k->pci[i] >> 8);
		uint8_t fn = (uint8_t)k->pci[i];

		ps__sb_str(&w, i ? "/" : " ");
		ps__sb_hex(&w, &dev, 1, 0);
		ps__sb_str(&w, ".");
		ps__sb_u64(&w, fn);
	}
	ps__sb_str(&w, ")");
}

static int rank(const struct setup_key *k)
{
	return k->kind == PORT_EXTERNAL ? 0 : k->kind == PORT_UNKNOWN ? 1 : 2;
}

/* Port order, as on Linux: external ports, unknown ones, internal ones;
 * then the controller's PCI path, then the ports as numbers (1.2 < 1.9 <
 * 1.10), the tie-break of the Linux side's order. */
static int before(const struct setup_key *a, const struct setup_key *b)
{
	uint32_t i;

	if (rank(a) != rank(b))
		return rank(a) < rank(b);

	for (i = 0; i < a->npci && i < b->npci; i++)
		if (a->pci[i] != b->pci[i])
			return a->pci[i] < b->pci[i];
	if (a->npci != b->npci)
		return a->npci < b->npci;
	for (i = 0; i < a->nport && i < b->nport; i++)
		if (a->port[i] != b->port[i])
			return a->port[i] < b->port[i];
	return a->nport < b->nport;
}

static void sort_keys(struct setup *s)
{
	uint32_t i, j;

	for (i = 1; i < s->nkeys; i++)
		for (j = i; j > 0; j--) {
			const struct setup_key *a = &s->key[j - 1];
			const struct setup_key *b = &s->key[j];
			int usb_first = b->nport && !a->nport;

			if (!usb_first && (!b->nport || !before(b, a)))
				break;
			struct setup_key t = s->key[j];
			s->key[j] = s->key[j - 1];
			s->key[j - 1] = t;
		}
}

/* Open k's partition as s->media and read its store into buf. */
static int open_store(struct setup *s, struct setup_key *k, uint8_t *buf)
{
	int rc = ps_media_open_efi(&s->media, &s->blk, k->bio, s->bounce,
				   k->first_lba, k->sectors);

	if (!rc)
		rc = ps_read(&s->disk, &s->media, buf, s->cap);
	return rc;
}

static void probe(struct setup *s, struct setup_key *k, uint8_t *buf)
{
	int rc;

	if (!k->nport)
		return key_why(k, KEY_NOT_USB, "not USB mass storage", NULL);
	if (!k->bio->Media->MediaPresent)
		return key_why(k, KEY_NO_MEDIA, "no medium", NULL);
	rc = part_find(s, k);
	if (rc == KEY_IO)
		return key_why(k, KEY_IO, "cannot read the partition table",
			       NULL);
	if (rc)
		return;
	rc = open_store(s, k, buf);
	if (rc)
		return key_why(k, KEY_INVALID, "store invalid: ",
			       ps_strerror(rc));
	key_why(k, KEY_VALID, "valid store", NULL);
}

/* A fast boot connects only the boot device: connect every controller
 * (recursively, as the shell's "connect -r"), so every USB key has its
 * Block I/O handle before the scan. */
static void connect_all(void)
{
	EFI_HANDLE *h = NULL;
	UINTN n = 0, i;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateHandleBuffer, 5, AllHandles,
					NULL, NULL, &n, &h)))
		return;
	for (i = 0; i < n; i++)
		uefi_call_wrapper(BS->ConnectController, 4, h[i], NULL, NULL,
				  TRUE);
	FreePool(h);
}

int disc_scan(struct setup *s)
{
	EFI_HANDLE *h = NULL;
	UINTN n = 0, i;
	uint32_t j;

	s->chosen = -1;
	connect_all();
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol,
					&BlockIoProtocol, NULL, &n, &h)))
		n = 0;
	for (i = 0; i < n && s->nkeys < SETUP_KEYS_MAX; i++) {
		struct setup_key *k = &s->key[s->nkeys];
		EFI_BLOCK_IO *bio;

		if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h[i],
						&BlockIoProtocol,
						(void **)&bio)))
			continue;
		/* Partitions the firmware found are children of a disk we
		 * read ourselves. */
		if (bio->Media->LogicalPartition)
			continue;
		SetMem(k, sizeof *k, 0);
		k->bio = bio;
		describe(k, DevicePathFromHandle(h[i]));
		s->nkeys++;
	}
	if (h)
		FreePool(h);
	acpi_port_kinds(s);
	for (j = 0; j < s->nkeys; j++)
		if (s->key[j].kind != PORT_UNKNOWN) {
			struct sb w;
			size_t n = strlena((CHAR8 *)s->key[j].where);

			ps__sb_init(&w, s->key[j].where + n,
				    sizeof s->key[j].where - n);
			ps__sb_str(&w, s->key[j].kind == PORT_EXTERNAL ?
				   " external" : " internal");
		}
	sort_keys(s);
	/* Every key is probed, so the keys screen says why each one was
	 * taken or skipped; the first valid one is the store. */
	for (j = 0; j < s->nkeys; j++) {
		struct setup_key *k = &s->key[j];

		probe(s, k, s->chosen < 0 ? s->buf : s->probe);
		if (k->status == KEY_VALID && s->chosen < 0) {
			k->status = KEY_CHOSEN;
			s->chosen = (int)j;
		}
	}
	if (s->chosen < 0)
		return PS_ERR_NOSTORE;
	return disc_reload(s);
}

int disc_reload(struct setup *s)
{
	int rc = open_store(s, &s->key[s->chosen], s->buf);

	s->dirty = 0;
	if (!rc) {
		s->edit_cap = ps_slot_capacity(&s->disk) < s->cap ?
			      ps_slot_capacity(&s->disk) : s->cap;
		save_auth_read(s, 0);
	}
	return rc;
}

void disc_show(const struct setup *s)
{
	uint32_t j;

	con_put("keys, in priority order:\n");
	for (j = 0; j < s->nkeys; j++) {
		const struct setup_key *k = &s->key[j];

		con_put("  ");
		con_put(k->where);
		con_put("  ");
		con_put(status_name[k->status]);
		con_put("  ");
		con_put(k->status == KEY_CHOSEN ? "chosen: " : "skipped: ");
		if (k->part[0] && k->status != KEY_NOT_USB &&
		    k->status != KEY_NO_MEDIA) {
			con_put(k->part);
			con_put(": ");
		}
		con_put(k->why);
		if (k->status == KEY_VALID)
			con_put(" (a key before it comes first)");
		con_put("\n");
	}
	if (!s->nkeys)
		con_put("  no block devices\n");
}
