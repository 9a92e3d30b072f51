/*
 * setup.h - pstate-setup.efi, the BIOS setup application (docs/setup.md).
 *
 * setup_con.c   console: text out (CHAR16), line input, a millisecond clock
 * setup_disc.c  the keys: Block I/O handles, USB ports, probe
 * setup_part.c  the pstate partition of one key (MBR, logical, GPT)
 * setup_acpi.c  external and internal USB ports from ACPI _UPC/_PLD
 * setup_ui.c    the screens: VM list, one VM, keys, profiles
 * setup_save.c  the commit as owner "BIOS setup", the semaphore
 * setup_main.c  efi_main
 * setup_mem.c   memmove/memcmp for the freestanding core (psf_env.h)
 */
#ifndef SETUP_H
#define SETUP_H

#include <efi.h>
#include <efilib.h>

#include "pstate.h"
#include "ps_media_efi.h"
#include "ps_cfg_internal.h"

/* ---------------------------------------------------------------- console */
void con_put(const char *s);              /* ASCII, '\n' becomes CR LF */
void con_putn(const char *s, size_t n);
void con_u64(uint64_t v);
/* Read one line (echoed, backspace edits) into out (NUL-terminated);
 * returns its length. */
size_t con_line(const char *prompt, char *out, size_t cap);
void clock_init(void);
uint64_t clock_ms(void);                 /* since clock_init */

/* ---------------------------------------------------------------- keys */
#define SETUP_KEYS_MAX 16u
#define SETUP_USB_DEPTH 8u

enum key_status {
	KEY_CHOSEN, KEY_VALID, KEY_NOT_USB, KEY_NO_MEDIA, KEY_NO_PART,
	KEY_BAD_PART, KEY_INVALID, KEY_IO,
};

/* A USB port as Linux's connect_type says it: external ("hotplug") keys
 * come first, internal ("hardwired") ones last. */
enum port_kind { PORT_UNKNOWN, PORT_EXTERNAL, PORT_INTERNAL };

struct setup_key {
	EFI_BLOCK_IO *bio;
	uint32_t pci[SETUP_USB_DEPTH];   /* device << 8 | function, outward */
	uint32_t npci;
	uint32_t port[SETUP_USB_DEPTH];  /* USB ports, 1-based, outward */
	uint32_t nport;
	char where[80];                  /* "usb 1.2 (pci 01.3) external" */
	int kind;                        /* enum port_kind of port[0] */
	uint64_t first_lba, sectors;     /* the pstate partition */
	char part[64];                   /* "gpt partition #128" */
	int status;                      /* enum key_status */
	char why[160];
};

struct setup {
	struct setup_key key[SETUP_KEYS_MAX];
	uint32_t nkeys;
	int chosen;                      /* index in key[], -1 */
	struct ps_efi_blk blk;
	struct ps_media media;
	struct ps_disk disk;
	uint8_t *buf;                    /* working copy of the store */
	uint8_t *probe;                  /* scratch for the other keys */
	uint32_t cap;                    /* bytes at buf / probe */
	uint32_t edit_cap;               /* what the slot holds */
	uint8_t *bounce;
	uint8_t sector[PS_SECTOR_SIZE_MAX];
	int read_only;
	char ro_why[160];
	int dirty;
	uint64_t list_ms;                /* start to the first VM list */
	/* The authenticated store (docs/setup.md "Authenticated stores"):
	 * setup holds no key, so a sealed store reads unverified here and a
	 * save marks it so, after the user confirms. */
	struct ps_auth_result auth;      /* of the store as read */
};

/* Record a key's status and why (a, then b when not NULL). */
void key_why(struct setup_key *k, int status, const char *a,
	     const char *b);
/* Each key's port kind (k->kind) from the ACPI tables. */
void acpi_port_kinds(struct setup *s);
/* Find k's pstate partition (k->first_lba, k->sectors, k->part); 0, or
 * the key_status it was given (KEY_IO: unreadable, why left to the caller). */
int part_find(struct setup *s, struct setup_key *k);
/* Find every key, choose the first valid one (s->chosen, its store read
 * into s->buf) and say why each other was skipped.  0, or PS_ERR_NOSTORE
 * when no key holds a valid store. */
int disc_scan(struct setup *s);
void disc_show(const struct setup *s);
/* Read the chosen key's store again into s->buf (discarding edits). */
int disc_reload(struct setup *s);

/* ---------------------------------------------------------------- screens */
void ui_run(struct setup *s);

/* ---------------------------------------------------------------- save */
int save_commit(struct setup *s);
/* The verdict on the store in s->buf (s->auth); said on the screen once
 * when show is set and the store is sealed. */
void save_auth_read(struct setup *s, int show);

#endif /* SETUP_H */
