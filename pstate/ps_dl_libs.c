/*
 * ps_dl_libs.c - the tables of libblkid, libfdisk and libusb, opened on
 * first use (ps_dl_internal.h says why) by the loader of ps_dl.h.
 */
#include "ps_dl.h"
#include "ps_dl_internal.h"

struct ps_dl_fns ps_dl_fn;

#define BLKID(f) PS_DL_SYM("libblkid.so.1", ps_dl_fn, f),
#define FDISK(f) PS_DL_SYM("libfdisk.so.1", ps_dl_fn, f),
#define USB(f) PS_DL_SYM("libusb-1.0.so.0", ps_dl_fn, f),
static const struct ps_dl_sym blkid_rows[] = { PS_DL_BLKID(BLKID) };
static const struct ps_dl_sym fdisk_rows[] = { PS_DL_FDISK(FDISK) };
static const struct ps_dl_sym usb_rows[] = { PS_DL_USB(USB) };

static struct ps_dl_table blkid = PS_DL_TABLE(blkid_rows);
static struct ps_dl_table fdisk = PS_DL_TABLE(fdisk_rows);
static struct ps_dl_table usb = PS_DL_TABLE(usb_rows);

int ps_dl_blkid(char *err, size_t errlen)
{
	return ps_dl_load(&blkid, err, errlen);
}

int ps_dl_fdisk(char *err, size_t errlen)
{
	return ps_dl_load(&fdisk, err, errlen);
}

int ps_dl_usb(char *err, size_t errlen)
{
	return ps_dl_load(&usb, err, errlen);
}
