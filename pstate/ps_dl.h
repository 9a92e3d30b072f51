/*
 * ps_dl.h - shared libraries opened on first use, from a table.
 *
 * Types freestanding; the function hosted (ps_dl.c: dlopen).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_DL_H
#define PS_DL_H

#include "ps_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * DOC: Why and how
 *
 * psctl starts on every command, so what it links it pays for on every
 * run: loading and relocating libcurl (with TLS, Kerberos, LDAP behind
 * it), libwebsockets, tpm2-tss (with libcrypto), libblkid, libfdisk and
 * libusb would be most of a `psctl vm set` (docs/performance.md).  A
 * program instead lists the functions it takes from such a library in a
 * table, each row giving:
 *
 *   the library's soname ("libcurl.so.4"; or several, tried in order),
 *   the function's name ("curl_easy_init"),
 *   the slot its address goes to (a function pointer of the right type),
 *
 * and calls ps_dl_load() before the first call through a slot.  The first
 * load opens each library (dlopen, RTLD_NOW | RTLD_LOCAL) and fills every
 * slot, or, when a library or a function is missing, fills none, closes
 * what it opened and says which library or function it was.  Either
 * outcome is kept: later loads of the table return it without opening
 * anything again.
 *
 * A table, as cli/psctl_lws.c has it::
 *
 *   #define FNS(X) X(lws_create_context) X(lws_service) ...
 *   #define SLOT(f) __typeof__(f) *f;
 *   struct psctl_lws { FNS(SLOT) } psctl_lws;
 *   #define ROW(f) PS_DL_SYM("libwebsockets.so.17", psctl_lws, f),
 *   static const struct ps_dl_sym rows[] = { FNS(ROW) };
 *   static struct ps_dl_table table = PS_DL_TABLE(rows);
 *
 *   if (ps_dl_load(&table, why, sizeof why)) ... say why, give up
 *   psctl_lws.lws_service(ctx, 0);
 *
 * Declaring the slots with __typeof__ of the library header's own
 * prototype keeps each call type-checked: a slot cannot disagree with the
 * function it holds, and a function missing from the list is a compile
 * error at its call, not a failure at run time.
 *
 * Thread safety: ps_dl_load() may be called from any thread, on one table
 * or several at once.  Loads are serialised by one process-wide lock, so
 * the first ones of a table racing in two threads open its libraries once
 * and both return the same outcome; the slots are written before the
 * outcome is published, so a thread whose ps_dl_load() returned 0 sees
 * them filled.  A thread that calls through the slots without loading
 * must get that guarantee another way (from the thread that loaded,
 * through a lock, a thread start, ...).  The libraries stay open for the
 * life of the process: nothing is ever unloaded, so a slot once filled
 * stays valid.
 */

/**
 * struct ps_dl_sym - one row of a table: a function, where it comes from,
 * where its address goes.
 * @lib: the library's soname ("libcurl.so.4"); alternatives separated by
 *	spaces ("libwebsockets.so.19 libwebsockets.so.17") are tried in order
 *	and the first that opens is taken.  Rows of one string share one
 *	open library; a table may draw on up to PS_DL_MAX_LIBS strings.
 * @name: the symbol, as dlsym looks it up.
 * @slot: where its address goes: the address of a function pointer
 *	(PS_DL_SYM checks that it is one pointer wide, as POSIX's dlsym
 *	requires of function pointers).
 */
struct ps_dl_sym {
	const char *lib;
	const char *name;
	void *slot;
};

/* How many different @lib strings one table may name. */
#define PS_DL_MAX_LIBS 8

/**
 * struct ps_dl_table - the rows of a table and what its first load found.
 * @rows: the table's rows (an array of @n).
 * @n: how many.
 * @state: the loader's, zero at first (PS_DL_TABLE): 0 not loaded yet,
 *	1 loaded, -1 failed.
 * @why: the loader's: the failure, given again by every later load.
 *
 * Define it static with PS_DL_TABLE(rows) and touch only @rows and @n.
 */
struct ps_dl_table {
	const struct ps_dl_sym *rows;
	size_t n;
	int state;
	char why[256];
};

/**
 * PS_DL_SYM() - a row: function @fn of library @lib into @tbl.@fn.
 * @lib: the soname(s), as struct ps_dl_sym's @lib.
 * @tbl: a struct (not a pointer) with a function pointer member @fn.
 * @fn: the function's name, which is also its member's.
 *
 * Fails to compile when @tbl.@fn is not one pointer wide (a member that
 * is not a pointer at all).
 */
#define PS_DL_SYM(lib, tbl, fn)                                             \
	{ (lib), #fn,                                                       \
	  &(tbl).fn + 0 * sizeof(char[sizeof((tbl).fn) == sizeof(void *)   \
				      ? 1 : -1]) }

/* A table of the array @rows, not yet loaded. */
#define PS_DL_TABLE(rows) { (rows), sizeof(rows) / sizeof((rows)[0]), 0, "" }

#if PS_HOSTED
/**
 * ps_dl_load() - open the table's libraries and fill its slots, once.
 * @t: the table (PS_DL_TABLE).
 * @err: where a failure is said (may be NULL).
 * @errlen: its size.
 *
 * The first call opens every library the rows name and looks up every
 * row's function: all found, every slot is filled and 0 returned;
 * otherwise no slot is written, what was opened is closed, and -1 is
 * returned with the reason in @err, naming what is missing:
 *
 *   "libcurl.so.4: cannot open shared object file: No such file or
 *   directory"  (dlerror's words for a library that does not open; for
 *   alternatives, "none of A B opens: " and the last one's words)
 *   "libfdisk.so.1: no symbol fdisk_foo"  (a function the library that
 *   opened does not have: an older or newer version)
 *
 * Every later call returns the same outcome (and the same words) without
 * opening anything, so the cost of a missing library is paid once.
 * Thread-safe (see "Why and how").
 *
 * Return: 0 loaded (now or before), -1 with the reason in @err.
 */
int ps_dl_load(struct ps_dl_table *t, char *err, size_t errlen);
#endif /* PS_HOSTED */

#ifdef __cplusplus
}
#endif

#endif /* PS_DL_H */
