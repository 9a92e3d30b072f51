/*
 * ps_dl_internal.h - libblkid, libfdisk and libusb loaded on first use (host only).
 *
 * Most psctl commands (every `-i FILE` edit, for one) need none of the
 * three or libblkid alone, yet linking them made every run load and
 * relocate libblkid, libfdisk, libuuid, libusb and libudev before main:
 * a good part of a `psctl vm set`'s start-up (docs/performance.md).  So
 * the files that use them (ps_part.c, ps_discover.c) call through the
 * slots below, filled by the loader of ps_dl.h (tables in ps_dl_libs.c)
 * the first time a caller loads the library.  A function of these
 * libraries used there must be listed here: the compiler rejects a
 * PS_DL(f) of an f missing from the list.
 */
#ifndef PS_DL_INTERNAL_H
#define PS_DL_INTERNAL_H

#include <stddef.h>
#include <blkid.h>
#include <libfdisk.h>
#include <libusb.h>

#define PS_DL_BLKID(X)                                                      \
	X(blkid_do_safeprobe) X(blkid_free_probe) X(blkid_new_probe)        \
	X(blkid_partition_get_partno) X(blkid_partition_get_size)           \
	X(blkid_partition_get_start) X(blkid_partition_get_table)           \
	X(blkid_partition_get_type) X(blkid_partition_get_type_string)      \
	X(blkid_partlist_get_partition) X(blkid_partlist_get_table)         \
	X(blkid_partlist_numof_partitions) X(blkid_parttable_get_type)      \
	X(blkid_probe_enable_partitions) X(blkid_probe_enable_superblocks)  \
	X(blkid_probe_get_partitions) X(blkid_probe_lookup_value)           \
	X(blkid_probe_set_device) X(blkid_probe_set_sectorsize)

#define PS_DL_FDISK(X)                                                      \
	X(fdisk_add_partition) X(fdisk_assign_device)                       \
	X(fdisk_create_disklabel) X(fdisk_deassign_device)                  \
	X(fdisk_enable_wipe) X(fdisk_get_first_lba) X(fdisk_get_label)      \
	X(fdisk_get_last_lba) X(fdisk_get_sector_size)                      \
	X(fdisk_is_labeltype) X(fdisk_label_parse_parttype)                 \
	X(fdisk_new_context) X(fdisk_new_partition)                         \
	X(fdisk_partition_set_partno) X(fdisk_partition_set_size)           \
	X(fdisk_partition_set_start) X(fdisk_partition_set_type)            \
	X(fdisk_partition_size_explicit) X(fdisk_unref_context)             \
	X(fdisk_unref_partition) X(fdisk_unref_parttype)                    \
	X(fdisk_write_disklabel)

#define PS_DL_USB(X)                                                        \
	X(libusb_exit) X(libusb_free_config_descriptor)                     \
	X(libusb_free_device_list) X(libusb_get_active_config_descriptor)   \
	X(libusb_get_bus_number) X(libusb_get_config_descriptor)            \
	X(libusb_get_device_descriptor) X(libusb_get_device_list)           \
	X(libusb_get_port_numbers) X(libusb_init) X(libusb_strerror)

/* One pointer per function, of the function's own type. */
#define PS_DL_SLOT(f) __typeof__(f) *f;
struct ps_dl_fns {
	PS_DL_BLKID(PS_DL_SLOT)
	PS_DL_FDISK(PS_DL_SLOT)
	PS_DL_USB(PS_DL_SLOT)
};
extern struct ps_dl_fns ps_dl_fn;

/* A call through a slot: PS_DL(blkid_new_probe)(). */
#define PS_DL(f) (ps_dl_fn.f)

/* Load one library (and its table) unless loaded: 0, or -1 with the
 * reason in err ("libfdisk.so.1: cannot open shared object file ..."). */
int ps_dl_blkid(char *err, size_t errlen);
int ps_dl_fdisk(char *err, size_t errlen);
int ps_dl_usb(char *err, size_t errlen);

#endif
