/*
 * ps_config.h - configuration edits: objects, fields, values, the
 * whole-store check.
 *
 * Freestanding (pstate/pstate.mk PSTATE_CORE): ps_value.c (parsers,
 * formatters, generators), ps_fields.c (the field tables), ps_obj.c and
 * ps_obj_set.c (objects and fields), ps_field_text.c, ps_room.c,
 * ps_ident.c (uniqueness), ps_check.c (the whole-store check).
 *
 * Part of libpstate's public interface: "pstate.h" includes every part,
 * and each part also compiles on its own (make firmware checks that).
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include "psf.h"
#include "ps_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Configuration edits
 *
 * The edit operations of docs/schema.md and their validation, once, for
 * every front end: psctl, the BMC shim and hvagent call these on a store
 * in a caller's buffer (buf, cap), e.g. a transaction's (ps_store.h).  No
 * malloc, no libc beyond psf_env.h, bounded stack: firmware links it.
 *
 * Objects.  Top-level objects (VM, network, image, reservation, profile,
 * server) live in their set under the root; NICs, storage controllers and
 * serial ports in their set under a VM.  Each object is found by its key: the
 * NAME for all but serial ports, whose key is the guest port number
 * ("0" = COM1) held in SERIAL_CONFIG.  "parent" below is psf_root(buf) for
 * top-level objects and the VM's offset for the others.
 *
 * Fields.  Every settable property has a keyword ("memory", "mac", ...)
 * and a type; ps_obj_set parses the text with the type's parser, checks
 * the cross-element rules, and writes.  ps_obj_set_value takes the parsed
 * value instead (BMC firmware gets binary values over IPMI).  ps_obj_get
 * formats a field back to text, so front ends print what they parse.
 *
 * Write budget.  Objects are created with their NAME, a full-size default
 * record, and a trailing pad (PS_CFG_ROOM_*) of room.  Record fields are
 * then overwritten in place (psf_wip_write); a string or list that grows
 * takes its bytes from the nearest pad after it in the same object (or an
 * enclosing one), so only the bytes between the edit and that pad move
 * and the tail of the store stays where it is.  Only when no pad has room
 * does the tail move (psf_set_payload's own fallback).
 *
 * Deletion uses psf_wip_nop: the element becomes a pad of the same size
 * and nothing else moves, so deleting one VM among a thousand rewrites
 * only that VM's sectors (psf_delete would move every later VM).  The pad
 * left behind is room for later growth of what precedes it, and for a new
 * object of the set (ps_obj_create takes the nearest pad that holds it);
 * what stays unused is compacted away (docs/store.md section 7).  Reads skip
 * pads; NIC indices (VM_CONFIG pxe-nic) do not count them.
 *
 * Offsets.  An edit may move elements that follow the edited spot (up to
 * the pad that pays for it), never the ones that enclose or precede it:
 * an object's own offset stays valid across edits of its fields, and
 * anything else should be found again after an edit.
 *
 * Errors.  PSF_ERR_NOTFOUND (no such object), PS_ERR_EXISTS,
 * PS_ERR_BADVALUE, PS_ERR_DUPLICATE, PS_ERR_BADREF, PS_ERR_INUSE,
 * PS_ERR_NOFIELD, PSF_ERR_NOSPACE (the buffer is full).  Every check is
 * made before the first byte changes, so a failed call leaves buf as it
 * was -- except PSF_ERR_NOSPACE in the middle of a create, after which the
 * caller must discard the buffer (a transaction does: ps_txn_abort).
 * When e is not NULL it says which field, why, and for a clash who else
 * holds the value.
 */

#define PS_CFG_NAME_MAX 64u      /* names: 1-64 of A-Za-z0-9._- */
#define PS_CFG_TEXT_MAX 255u     /* description, path, uplink, target */
#define PS_CFG_SERIAL_MAX 64u    /* SMBIOS serial number */
#define PS_CFG_VALUE_MAX 256u    /* largest parsed value (bytes) */
#define PS_CFG_LIST_MAX 16u      /* MACs, WWN pairs, FC boot entries */
#define PS_CFG_BOOT_MAX 8u       /* boot order entries */
#define PS_CFG_CPUS_MAX 4096u    /* vcpus, sockets, cores, threads */

/* Pad room given to a new object or set (payload bytes of its pad). */
#define PS_CFG_ROOM_SET 256u
#define PS_CFG_ROOM_VM 192u
#define PS_CFG_ROOM_PROFILE 128u
#define PS_CFG_ROOM_OTHER 48u    /* network, image, reservation */
#define PS_CFG_ROOM_SUB 16u      /* NIC, controller, serial port */

enum ps_obj {
	PS_OBJ_VM,
	PS_OBJ_NETWORK,
	PS_OBJ_IMAGE,
	PS_OBJ_RESERVATION,
	PS_OBJ_PROFILE,
	PS_OBJ_NIC,          /* under a VM */
	PS_OBJ_CONTROLLER,   /* under a VM: storage */
	PS_OBJ_SERIAL,       /* under a VM: key is the port number */
	PS_OBJ_SERVER,       /* the pool's server directory (top level) */
	PS_OBJ_COUNT
};

/* Field types (struct ps_field.type). */
enum ps_ftype {
	PS_FT_NAME,     /* the NAME string: rename, unique in its set       */
	PS_FT_TEXT,     /* printable text, 0-255 bytes; empty removes it     */
	PS_FT_SERIAL,   /* serial number, unique among VMs and profiles      */
	PS_FT_HOST,     /* host name: letters, digits, '-', '.'; 1-253       */
	PS_FT_REF,      /* name of an object of kind arg; empty removes it   */
	PS_FT_UINT,     /* record integer in [min, max] (decimal or 0x hex)  */
	PS_FT_SIZE,     /* record u64, size with units; stored / arg bytes   */
	PS_FT_ENUM,     /* record u8 by name (names)                         */
	PS_FT_BOOL,     /* record u8 bit arg (on/off); max 1 = inverted      */
	PS_FT_UUID,     /* record u8[16], unique among VMs and profiles      */
	PS_FT_MAC,      /* record u8[6], unique                              */
	PS_FT_BOOT,     /* BOOT_ORDER list: disk,cdrom,network,floppy        */
	PS_FT_MACLIST,  /* MAC_LIST: MAC,MAC,...                             */
	PS_FT_WWNLIST,  /* WWN_LIST: WWNN/WWPN,...                           */
	PS_FT_FCBOOT,   /* FC_BOOT: WWPN/LUN,...                             */
	PS_FT_DURATION, /* record u32 seconds: 90, 90s, 10m, 1h, 1d           */
	PS_FT_PRESENCE, /* container sig under the object: on creates it,
			   off removes it with everything in it             */
	PS_FT_RLOG,     /* RESTART_LOG: shown as text; only "" (clear) set   */
	PS_FT_PTARGET,  /* a server's physical target, no #VM; unique among
			   servers in any spelling (ps_target_norm)         */
};

struct ps_enum {
	const char *name;
	uint8_t value;
};

/* One settable field.  Tables end with a NULL name. */
struct ps_field {
	const char *name;         /* keyword, e.g. "memory"                 */
	uint32_t sig;             /* string/list element, or record         */
	uint8_t type;             /* enum ps_ftype                          */
	uint8_t width;            /* record field bytes                     */
	uint16_t off;             /* record field offset                    */
	uint32_t arg;             /* REF: enum ps_obj; SIZE: stored unit in
				     bytes; BOOL: the bit; UINT: 1 = unique
				     in the store, 2 = unique in the VM    */
	uint32_t unit_in;         /* SIZE: unit of a bare number, bytes;
				     UINT: what a stored 0 (the default)
				     reads as (cpus: 1), 0: itself         */
	uint64_t min, max;        /* UINT/SIZE range (stored units); BOOL:
				     max 1 = the bit means "off"           */
	const struct ps_enum *names; /* ENUM names                          */
	const char *help;         /* one line for usage and completion      */
	uint32_t in;              /* 0: sig is a child of the object; else
				     a container child of the object that
				     holds sig (RESTART_POLICY), created by
				     the first set of a field in it        */
};

/* Why a call failed: which field, why, and who else holds the value. */
struct ps_cfg_err {
	const char *field;        /* keyword, or NULL                       */
	const char *why;          /* fixed English reason, or NULL          */
	char holder[160];         /* e.g. "nic 'eth0' of vm 'web1'", or ""  */
	char value[48];           /* the clashing value as text when the
				     caller did not give it (profile
				     assign: a MAC taken from the
				     profile), or ""                      */
};

/* A parsed value: integers in u, byte strings/lists in b[0..len). */
struct ps_value {
	uint64_t u;
	uint32_t len;
	uint8_t b[PS_CFG_VALUE_MAX];
};

/*
 * ps_obj_name - a kind's name ("vm", "network", "image", "reservation",
 * "profile", "nic", "controller", "serial-port", "server"); "?" for a
 * value that is no kind.
 * ps_obj_fields - its field table (ends with a NULL name), NULL for no
 * kind.
 * ps_obj_field - its field whose keyword is (name, len), compared without
 * case; NULL when it has none.
 */
const char *ps_obj_name(enum ps_obj k);
const struct ps_field *ps_obj_fields(enum ps_obj k);
const struct ps_field *ps_obj_field(enum ps_obj k, const char *name,
				    size_t len);

/*
 * ps_obj_find - the object of kind k with key (s, n) under parent.
 * @buf:    the store
 * @parent: psf_root(buf) for top-level kinds, the VM for NICs,
 *          controllers and serial ports
 * @k:      the kind
 * @s, @n:  the key: a NAME, or a serial port's number as decimal text
 * Returns its offset, PSF_ERR_NOTFOUND, or PSF_ERR_BADVALUE (k is no
 * kind).
 */
int ps_obj_find(const void *buf, int parent, enum ps_obj k, const char *s,
		size_t n);

/* ps_obj_next - iterate the objects of kind k under parent (as for
 * ps_obj_find): prev < 0 starts.  Returns the next offset, PSF_ERR_NOTFOUND
 * at the end (or without the set), PSF_ERR_BADVALUE (k is no kind). */
int ps_obj_next(const void *buf, int parent, enum ps_obj k, int prev);

/* The key of an object as text (name, or port number), NUL-terminated
 * and truncated to outlen; returns its length. */
size_t ps_obj_key(const void *buf, int elem, enum ps_obj k, char *out,
		  size_t outlen);

/*
 * ps_elem_name - the NAME of an element outside any store.
 * @el:    an element's bytes (e.g. a profile received over IPMI or
 *         exported by ps_profile_export), not inside a store buffer
 * @n:     its length
 * @name:  set to its first direct NAME child's text (pointing into el),
 *         or NULL when it has none
 * @nlen:  set to that text's length (0 without a name)
 * The element must be a container whose header says exactly n bytes and
 * whose direct children fill its payload exactly, as many as its count
 * says; deeper levels are not looked at (psf_check_tree does, once the
 * element is in a store).  Returns 0, or PS_ERR_INVAL (*name NULL).
 */
int ps_elem_name(const void *el, size_t n, const char **name,
		 uint32_t *nlen);

/*
 * ps_obj_create - a new object with key (s, n), default fields and room
 * (PS_CFG_ROOM_*); its set is made under parent when missing.
 * @buf, @cap: the store and its buffer's size
 * @parent:    as for ps_obj_find
 * @k:         the kind
 * @s, @n:     the key: a valid name (ps_check_name), or a serial port's
 *             number 0-255
 * @e:         why it failed (may be NULL)
 * Returns the new object's offset, or PS_ERR_BADVALUE (the key, e->why),
 * PS_ERR_EXISTS (that key is taken), PSF_ERR_BADVALUE (k is no kind),
 * PSF_ERR_NOSPACE (cap: the caller discards the buffer).
 */
int ps_obj_create(void *buf, size_t cap, int parent, enum ps_obj k,
		  const char *s, size_t n, struct ps_cfg_err *e);

/*
 * ps_obj_delete - delete the object at elem (it becomes a pad: nothing
 * else moves).  Deleting a NIC keeps the VM's pxe-nic on the same NIC.
 * @buf:   the store
 * @elem:  an object of kind k
 * @k:     its kind
 * @e:     why it failed (may be NULL)
 * Returns 0, PS_ERR_INUSE (another element refers to it: a NIC to a
 * network, a profile placed on a server, ...; e->holder names it), or
 * PSF_ERR_BADVALUE (elem is not of kind k).
 */
int ps_obj_delete(void *buf, int elem, enum ps_obj k, struct ps_cfg_err *e);

/*
 * ps_obj_set - set a field of an object from text, with every check the
 * field's rules make (see "Errors" above).
 * @buf, @cap:     the store and its buffer's size
 * @elem, @k:      the object and its kind
 * @field, @flen:  the field's keyword (ps_obj_field)
 * @val, @vlen:    the text (vlen 0: the empty string, which removes an
 *                 optional string or reference)
 * @e:             which field, why, who holds a clashing value (may be
 *                 NULL)
 * Returns 0, PS_ERR_NOFIELD (no such field for k), or ps_field_parse's
 * and ps_obj_set_value's errors.
 */
int ps_obj_set(void *buf, size_t cap, int elem, enum ps_obj k,
	       const char *field, size_t flen, const char *val, size_t vlen,
	       struct ps_cfg_err *e);

/* ps_obj_set_value - set field f from a parsed value v, with every check
 * ps_obj_set makes: 0, or the errors listed under "Errors" above. */
int ps_obj_set_value(void *buf, size_t cap, int elem, enum ps_obj k,
		     const struct ps_field *f, const struct ps_value *v,
		     struct ps_cfg_err *e);

/* A field's current value as text (NUL-terminated, truncated to outlen;
 * "" for an absent string).  Returns the untruncated length. */
size_t ps_obj_get(const void *buf, int elem, const struct ps_field *f,
		  char *out, size_t outlen);

/* A reason (e->why) as the front ends print it for field f: "out of
 * range" of an integer field gets its range, "out of range (1-4096)".
 * NUL-terminated, truncated to outlen; returns the untruncated length. */
size_t ps_field_why(const struct ps_field *f, const char *why, char *out,
		    size_t outlen);

/* Parse text for field f into v (no store access).  PS_ERR_BADVALUE with
 * e->why. */
int ps_field_parse(const struct ps_field *f, const char *s, size_t n,
		   struct ps_value *v, struct ps_cfg_err *e);

/* Value parsers: length-delimited text, no terminator needed.  0 or
 * PS_ERR_BADVALUE with *why set (why may be NULL). */
int ps_check_name(const char *s, size_t n, const char **why);
int ps_parse_mac(const char *s, size_t n, uint8_t mac[6], const char **why);
int ps_parse_uuid(const char *s, size_t n, uint8_t uuid[16],
		  const char **why);
int ps_parse_wwn(const char *s, size_t n, uint8_t wwn[8], const char **why);
int ps_parse_uint(const char *s, size_t n, uint64_t min, uint64_t max,
		  uint64_t *out, const char **why);
/*
 * A size: digits, optional spaces, optional unit (case-insensitive):
 *   none           default_unit bytes (e.g. 1 << 20 for "MiB by default")
 *   B bytes        1
 *   K KiB          1024        KB   1000
 *   M MiB          1024^2      MB   1000^2
 *   G GiB          1024^3      GB   1000^3
 *   T TiB          1024^4      TB   1000^4
 * Whole numbers only (no "1.5G"); overflow past 2^64 - 1 is rejected.
 * The one size rule of the project (libvirt's; docs/schema.md "Sizes").
 * 0, or PS_ERR_BADVALUE with *why ("not a number", "number too large",
 * "unknown unit (...)", "size too large").
 */
int ps_parse_size(const char *s, size_t n, uint64_t default_unit,
		  uint64_t *bytes, const char **why);
/* Boot order: comma-separated disk|hd, cdrom|cd, network|net|pxe,
 * floppy|fd; each at most once; at most PS_CFG_BOOT_MAX. */
int ps_parse_boot(const char *s, size_t n, uint8_t *codes, uint32_t *count,
		  const char **why);
/* One of names (exact, case-insensitive). */
int ps_parse_enum(const char *s, size_t n, const struct ps_enum *names,
		  uint8_t *out, const char **why);

/* Formatters: NUL-terminated lower-case text. */
void ps_fmt_mac(const uint8_t mac[6], char out[18]);
void ps_fmt_uuid(const uint8_t uuid[16], char out[37]);
void ps_fmt_wwn(const uint8_t wwn[8], char out[24]);

/* Generators from caller-supplied random bytes (the caller owns the
 * entropy: /dev/urandom, a TRNG, ...).  A locally administered unicast
 * MAC (octet 0: bit 1 set, bit 0 clear) and an RFC 4122 version 4 UUID. */
void ps_gen_mac(const uint8_t rnd[6], uint8_t mac[6]);
void ps_gen_uuid(const uint8_t rnd[16], uint8_t uuid[16]);

/*
 * Whole-store schema check: every rule the edits above enforce one at a
 * time, over a store from elsewhere (an import, another writer).  Calls
 * fn(ctx, msg) once per problem, msg one NUL-terminated line naming the
 * elements (e.g. "mac 02:00:00:00:00:01 used by both nic 'eth0' of vm
 * 'a' and profile 'p'").  The problems:
 *   - a name missing or invalid; a key (name, serial port) twice in a set
 *   - a UUID, MAC, serial number or WWN used by two VMs / profiles (or
 *     twice in one); a VM and the profile it carries (profile-ref) may
 *     share them -- the VM takes the profile's identity
 *   - a reference to no object: a NIC's network, a controller's image, a
 *     reservation's owner VM, a VM's profile
 *   - a server without a target, with a target that is not a physical
 *     target (ps_target_norm), or naming the target another server names
 *   - a concentrator port (non-zero) mapped by two serial ports
 *   - a MAC, WWN or FC boot list not a whole number of items
 *   - a singleton child twice in one parent (two vm-config in a VM, two
 *     names, two vms sets at the root, ...)
 *   - a record cut inside a field (shorter records are fine: missing
 *     fields read as zero)
 *   - a stored field value the edit would refuse, with the edit's
 *     reason: "vm 'web': cpus '5000': out of range (1-4096)", a multicast
 *     or all-zero MAC, an enum value without a word, a VM without a UUID
 *     (absent or nil), text too long or with control characters, ...
 *   - a core element in a container the schema does not place it in (a
 *     NAME straight under the root, a VM in the networks set)
 * Returns the number of problems, or a negative PSF_ERR_* code when buf
 * is not a structurally valid store (psf_check_tree).  No writes.
 */
typedef void (*ps_cfg_report_fn)(void *ctx, const char *msg);
int ps_cfg_check(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		 void *ctx);

/*
 * The same check, the same lines in the same order, in n log n time:
 * ps_cfg_check uses no memory but compares every key with every other
 * (fine for a BMC's 64 KiB store, seconds for 20,000 VMs); this one sorts
 * the keys (names per set, identifiers, concentrator ports, image users,
 * server targets, reservation ranges) in the workspace ws (ws_len bytes,
 * any alignment; no allocation).  ps_cfg_check_ws_size gives the bytes
 * that make every table fit (0 for a store that is not a valid tree); with
 * less, the tables that do not fit are searched the way ps_cfg_check does
 * (same result, slower).  ws NULL: ps_cfg_check.
 */
size_t ps_cfg_check_ws_size(const void *buf, uint32_t len);
int ps_cfg_check_ws(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		    void *ctx, void *ws, size_t ws_len);
#if PS_HOSTED
/* ps_cfg_check_ws with a workspace from malloc (ps_check_host.c): what
 * hosted callers use.  Allocation failing, ps_cfg_check's way. */
int ps_cfg_check_host(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		      void *ctx);
#endif

/* Enumerations shared by the field tables, for front ends. */
extern const struct ps_enum ps_enum_power[];
extern const struct ps_enum ps_enum_serial_mode[];
extern const struct ps_enum ps_enum_media[];

#ifdef __cplusplus
}
#endif

#endif /* PS_CONFIG_H */
