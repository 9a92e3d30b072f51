/*
 * ps_cfg_internal.h - shared between the sources of the configuration
 * edit layer (ps_config.h and the headers of targets, profiles, serial
 * ports and restarts) and the profile code only; never
 * installed.  Freestanding: the format core and psf_env.h only.
 *
 * Names are ps__*: these functions are linked into firmware beside the
 * firmware's own code, so none may take a short global name.
 */
#ifndef PS_CFG_INTERNAL_H
#define PS_CFG_INTERNAL_H

#include "pstate.h"
#include "psf_schema.h"

/* ------------------------------------------------------------- moves */
/* ps_move.c: an element's copy as it travels between stores (its
 * top-level pads, TARGET, MOVE_SOURCE and MOVE_TARGET left behind), the
 * copy put into the other store's set set_sig (made when missing, *made
 * then set) before a same-named element of signature sig, and a refused
 * copy taken out again (the room behind it zeroed).  fix (or NULL) sees
 * each child copied (at child, its header in h) and may change it. */
typedef void (*ps__move_fix_fn)(uint8_t *child, const struct psf_elem *h);
int ps__move_export(const void *buf, int el, uint32_t sig, void *out,
		    size_t cap, ps__move_fix_fn fix);
int ps__move_put_copy(void *buf, size_t cap, uint32_t set_sig, uint32_t sig,
		      const void *el, uint32_t elen, const char *name,
		      uint32_t nlen, int *made);
int ps__move_take_back(void *buf, uint32_t set_sig, int copy, int made,
		       int rc);

/* ------------------------------------------------------------- helpers */
/* ps_util.c */

/* A bounded string builder; out is always NUL-terminated, len counts
 * what would have been written. */
struct sb {
	char *p;
	size_t cap, len;
};

size_t ps__slen(const char *s);
char ps__lower(char c);
/* s[0..n) equals the C string w, ignoring ASCII case. */
int ps__eq_ci(const char *s, size_t n, const char *w);
int ps__hexval(char c);
void ps__sb_init(struct sb *s, char *p, size_t cap);
void ps__sb_put(struct sb *s, const char *t, size_t n);
void ps__sb_str(struct sb *s, const char *t);
void ps__sb_u64(struct sb *s, uint64_t v);
void ps__sb_hex(struct sb *s, const uint8_t *b, size_t n, char sep);
int ps__all_zero(const uint8_t *b, size_t n);
/* a and b (al, bl bytes) are the same bytes; a NULL a never is. */
int ps__same(const char *a, size_t al, const char *b, size_t bl);
/* ps_parse_enum's reason for a word it does not know (ps_field_why lists
 * the field's words in its place). */
extern const char ps__enum_why[];
/* ps__parse_bool's reason: the words a switch takes. */
extern const char ps__bool_why[];
/* *why = w (when why is not NULL); returns PS_ERR_BADVALUE. */
int ps__bad(const char **why, const char *w);
/* The string child sig of elem: pointer and length (NULL, 0 if absent). */
const char *ps__str_of(const void *buf, int elem, uint32_t sig,
		       uint32_t *len);
int ps__str_is(const void *buf, int elem, uint32_t sig, const char *s,
	       size_t n);
/* Record field bytes (zero past the stored length). */
void ps__rec_bytes(const void *buf, int elem, uint32_t rec, uint32_t off,
		   void *dst, uint32_t n);
uint64_t ps__rec_uint(const void *buf, int elem, uint32_t rec, uint32_t off,
		      uint32_t w);
/* e->holder = what, then (s not NULL) s[0..n), at most 80 bytes of it,
 * and a closing quote: "profile 'p'", "vm 'v'", "this host" (s NULL). */
void ps__holder_quoted(struct ps_cfg_err *e, const char *what,
		       const char *s, uint32_t n);
/* e cleared, e->field = field (e may be NULL). */
void ps__err_init(struct ps_cfg_err *e, const char *field);
/* e->why = why (e may be NULL); returns code. */
int ps__fail(struct ps_cfg_err *e, int code, const char *why);
/* The same, with e->field = field. */
int ps__fail_at(struct ps_cfg_err *e, int code, const char *field,
		const char *why);
/* The VM above an element under a VM (NIC, controller, serial port). */
int ps__vm_of(const void *buf, int elem);
/* 1 when pxe-nic value idx names no NIC of vm (0, the first NIC, is
 * always allowed: it is also "none set"). */
int ps__pxe_nic_bad(const void *buf, int vm, uint64_t idx);
/* A controller of a VM other than skip whose image is (s, n), or -1; its
 * VM in *vmp.  An image that is not shareable has at most one user VM. */
int ps__image_user(const void *buf, const char *s, uint32_t n, int skip,
		   int *vmp);
/* A reservation's range: kind, [first, first + count). */
struct ps__resv {
	uint64_t kind, first, count;
};
void ps__resv_of(const void *buf, int el, struct ps__resv *r);
/* Another reservation than self (after self when later) whose range of
 * the same kind overlaps r, or -1.  Kind none, empty ranges and memory
 * at base 0 (anywhere) overlap nothing. */
int ps__resv_overlap(const void *buf, int self, const struct ps__resv *r,
		     int later);
/* The range takes part in overlaps: a kind, a count, and not memory at
 * base 0 (anywhere).  Its end: first + count, saturated. */
int ps__resv_real(const struct ps__resv *r);
uint64_t ps__resv_end(const struct ps__resv *r);
/* 1 when the image at img may back controllers of several VMs. */
int ps__image_shareable(const void *buf, int img);

/* -------------------------------------------------------------- schema */
/* ps_fields.c */

/* What distinguishes the kinds of object. */
struct kind {
	const char *name;
	uint32_t set, sig, rec;  /* rec 0: no record (a server) */
	uint16_t rec_len, room;
	uint8_t sub;            /* lives under a VM */
	uint8_t by_port;        /* key is SERIAL_CONFIG.port, not NAME */
	const struct ps_field *fields;
};

extern const struct kind ps__kinds[PS_OBJ_COUNT];
int ps__kind_ok(enum ps_obj k);

/* -------------------------------------------------------------- values */
/* ps_value.c */

extern const struct ps_enum ps__boot_names[];
void ps__sb_uuid(struct sb *s, const uint8_t *u);
int ps__check_text(const char *s, size_t n, size_t max, const char **why);
int ps__check_serial(const char *s, size_t n, const char **why);
int ps__check_host(const char *s, size_t n, const char **why);
/* Comma-separated items, each one or two (A/B) parts. */
int ps__parse_list(const struct ps_field *f, const char *s, size_t n,
		   struct ps_value *v, const char **why);
int ps__parse_bool(const char *s, size_t n, uint64_t *out, const char **why);
/* A duration: digits, then s (or nothing), m, h or d; fits a u32. */
int ps__parse_duration(const char *s, size_t n, uint64_t *out,
		       const char **why);

/* The rules a value obeys past its syntax, written once: the parsers,
 * the edits (ps__value_ok) and the whole-store check (ps__field_check)
 * call them.  0, or PS_ERR_BADVALUE with *why. */
int ps__range(uint64_t v, uint64_t min, uint64_t max, const char **why);
int ps__mac_ok(const uint8_t mac[6], const char **why);
int ps__wwn_ok(const uint8_t wwn[8], const char **why);
int ps__uuid_ok(const uint8_t uuid[16], const char **why);
/* The word of value v in names, or NULL; ps__enum_ok refuses NULL. */
const char *ps__enum_word(const struct ps_enum *names, uint8_t v);
int ps__enum_ok(const struct ps_enum *names, uint8_t v, const char **why);
/* Bytes per item of a list field (MACLIST, WWNLIST, FCBOOT), and the
 * rules of the items of b[0..len): *item is the offset of the bad one. */
uint32_t ps__list_step(const struct ps_field *f);
int ps__list_ok(const struct ps_field *f, const uint8_t *b, uint32_t len,
		uint32_t *item, const char **why);

/* ps_field_text.c: a string field's rules (name, reference, serial, host,
 * server target, text); a value of field f (numbers in u, bytes in
 * b[0..len)) against every rule of its field: range, enum word, MAC,
 * UUID, list items, strings; *item as for ps__list_ok (item may be
 * NULL). */
int ps__check_string(const struct ps_field *f, const char *s, size_t n,
		     const char **why);
int ps__value_ok(const struct ps_field *f, uint64_t u, const uint8_t *b,
		 uint32_t len, uint32_t *item, const char **why);
/* The value of f stored in elem (kind k) against ps__value_ok: 0, or
 * PS_ERR_BADVALUE with *why and the bad value (or list item) as text in
 * val.  A record field past its record's end holds its default and
 * passes, and so does an all-zero profile UUID (not set); a VM's UUID
 * is set when the VM is created, so a nil one fails even when absent.
 * Names, references, host names and server targets are left to
 * ps_cfg_check, which reports them with their context. */
int ps__field_check(const void *buf, int elem, enum ps_obj k,
		    const struct ps_field *f, struct sb *val,
		    const char **why);

/* ps_check_rules.c: the value and placement rules of ps_cfg_check (every
 * stored field value by ps__field_check, every core element in a
 * container the schema tables place it in).  The number of problems
 * reported to fn. */
int ps__check_rules(const void *buf, ps_cfg_report_fn fn, void *ctx);

/* ---------------------------------------------------------------- room */
/* ps_room.c */

struct room {
	int holder;        /* container of the pad */
	int pad;           /* its offset, or -1: no room (the tail moves) */
	uint32_t size;     /* its bytes, header included */
	uint32_t base;     /* store total after the pad was taken */
};

void ps__room_take(void *buf, int c, uint32_t from, uint32_t need,
		   struct room *r);
int ps__room_give(void *buf, size_t cap, const struct room *r);
/* The room container c keeps (docs/store.md 7.1), pad header included
 * (ps_compact.c). */
uint32_t ps__room_of(const void *buf, int c);
/* A pad of size bytes can take need bytes (all, or need and a pad). */
int ps__room_fits(uint32_t size, uint32_t need);
/* Where a new child of need bytes goes in c: the nearest pad that can
 * take it, or after the last real child. */
uint32_t ps__place(const void *buf, int c, uint32_t need);
/* The child of c at offset at, or -1 (append) when none starts there. */
int ps__child_at(const void *buf, int c, uint32_t at);
/* End of the last child of c that is not a pad: where new children go. */
uint32_t ps__append_point(const void *buf, int c);
/* Child sig of elem set to data[0..len) (growth paid by room): its
 * offset. */
int ps__put_child(void *buf, size_t cap, int elem, uint32_t sig,
		  const void *data, uint32_t len);
/* Remove child sig of elem (an empty string, no reference). */
int ps__drop_child(void *buf, int elem, uint32_t sig);
int ps__write_field(void *buf, size_t cap, int elem, enum ps_obj k,
		    const struct ps_field *f, const void *data);
/* Container sig under elem (with room for its children), created when
 * missing.  Its offset. */
int ps__need_container(void *buf, size_t cap, int elem, uint32_t sig);

/* ------------------------------------------------------------- objects */
/* ps_obj.c */

int ps__port_of(const void *buf, int elem);
/* The serial port of the VM at vm whose guest port number is port, or
 * PSF_ERR_NOTFOUND. */
int ps__serial_at(const void *buf, int vm, uint64_t port);
/* The serial port (not self) that maps concentrator port, with its VM in
 * *vm (vm may be NULL), or -1: a concentrator port is mapped at most once
 * in the whole store (ps_obj_set.c). */
int ps__conc_mapper(const void *buf, int self, uint16_t port, int *vm);
/* "nic 'eth0' of vm 'web1'": kind and key of elem, and of its VM when it
 * lies under one (vm >= 0); into s, or into e->holder. */
void ps__sb_who(struct sb *s, const void *buf, int elem, enum ps_obj k,
		int vm);
void ps__holder_of(const void *buf, int elem, enum ps_obj k, int vm,
		   struct ps_cfg_err *e);
/* Who refers to the object (kind k, name s): 1 with e->holder set, or 0. */
int ps__referenced(const void *buf, enum ps_obj k, const char *s, size_t n,
		   struct ps_cfg_err *e);

/* ------------------------------------------------------------- targets */
/* ps_target.c */

int ps__check_ptarget(const char *s, size_t n, const char **why);
/* A target as servers compare it: -1 when it does not parse; else the
 * host (bmc://, 1 returned: compared ignoring case) or whole text (0), in
 * p[0..pn), and the port (bmc: 623 when not given). */
int ps__ptarget_key(const char *s, size_t n, const char **p, size_t *pn,
		    uint64_t *port);
/* A profile placed on the server: 1 with e->holder "profile 'p'", or 0. */
int ps__server_used(const void *buf, int server, struct ps_cfg_err *e);

/* ---------------------------------------------------------- identities */
/* ps_ident.c */

/* Identities that must be unique among VMs and profiles. */
enum ident { ID_UUID, ID_MAC, ID_SERIAL, ID_WWN };
/* Their field keywords ("uuid", "mac", "serial", "wwn"), by enum ident. */
extern const char *const ps__id_field[];
/* The value (kind, v, n) as text: a UUID, MAC or WWN formatted, a serial
 * number as its bytes. */
void ps__sb_id(struct sb *s, enum ident kind, const uint8_t *v, uint32_t n);

/* Who is asking: the element whose old value is being replaced (skipped),
 * and the VM or profile the new value belongs to. */
struct asker {
	int self;
	int owner;
	enum ps_obj owner_kind;
	int skip_vm;            /* a VM not to look in (-1: none) */
	int skip_prof;          /* a profile not to look in (-1: none) */
};

/* One identifier and where it lives: its owner (a VM or a profile) and,
 * for a VM's MAC, the NIC (else el -1).  v points into the store. */
struct ps__id {
	enum ident kind;
	const uint8_t *v;
	uint32_t n;
	int owner;
	enum ps_obj owner_kind;
	int el;
};

/* Called for each identifier; a non-zero return stops the walk and is
 * returned by it. */
typedef int (*ps__id_fn)(const void *buf, const struct ps__id *id,
			 void *arg);

/* Every identifier of the VM or profile el: a VM's UUID, serial and NIC
 * MACs; a profile's UUID, serial, MAC list and both halves of each WWN
 * item.  All-zero values are "not set" and skipped. */
int ps__ids_of(const void *buf, int el, enum ps_obj kind, ps__id_fn fn,
	       void *arg);
/* Every identifier of the store: the VMs', then the profiles'. */
int ps__each_id(const void *buf, ps__id_fn fn, void *arg);
/* id is not a clash for the asker a: the value a replaces, the VM a
 * skips, or a VM and the profile it carries. */
int ps__id_exempt(const void *buf, const struct ps__id *id,
		  const struct asker *a);
/* el (kind k, under the VM vm or -1) already holds the value:
 * PS_ERR_DUPLICATE, e->holder naming el, e->why "already in use". */
int ps__fail_in_use(const void *buf, int el, enum ps_obj k, int vm,
		    struct ps_cfg_err *e);
/* PS_ERR_DUPLICATE with e->holder and e->why "already in use" when a
 * value (kind, v, n) of the asker a is held elsewhere in the store; or 0. */
int ps__ident_clash(const void *buf, enum ident kind, const uint8_t *v,
		    uint32_t n, const struct asker *a, struct ps_cfg_err *e);
/* A reservation of the value (kind, v, n) for a profile that the asker
 * neither is nor carries (ps_pool_rules.c): PS_ERR_DUPLICATE with
 * e->holder naming the reservation, why "reserved"; or 0. */
int ps__resv_clash(const void *buf, enum ident kind, const uint8_t *v,
		   uint32_t n, const struct asker *a, struct ps_cfg_err *e);
/* The VM or profile el holds the value (kind, v, n). */
int ps__holds(const void *buf, int el, enum ps_obj kind, enum ident id,
	      const uint8_t *v, uint32_t n);
/* The VM carries the profile (its PROFILE_REF names it). */
int ps__carries(const void *buf, int vm, int prof);
/* The VM carrying profile prof other than skip, or -1. */
int ps__carrier(const void *buf, int prof, int skip);
/* A VM's profile reference changed to (ref, n) while the VM holds
 * another profile's identity: PS_ERR_DUPLICATE naming it, or 0. */
int ps__ref_change_clash(const void *buf, int vm, const uint8_t *ref,
			 uint32_t n, struct ps_cfg_err *e);

/* ------------------------------------------------------------ profiles */
/* ps_assign.c: the refusals assign and apply share. */

/* The target carries another profile (name, n): PS_ERR_INUSE, e->field
 * "target", e->holder "profile 'NAME'", e->why "already carries". */
int ps__fail_carries(struct ps_cfg_err *e, const char *name, uint32_t n);
/* The profile is carried by the VM vm, or by this host (vm < 0):
 * PS_ERR_INUSE, no field, e->holder naming it, "already carried by". */
int ps__fail_carried_by(const void *buf, int vm, struct ps_cfg_err *e);
/* The VM of the store named (name, n) a profile goes to: its offset, or
 * PSF_ERR_NOTFOUND with e->field "target", e->why "no such vm". */
int ps__target_vm(const void *buf, const char *name, size_t n,
		  struct ps_cfg_err *e);

#endif /* PS_CFG_INTERNAL_H */
