/*
 * ps_check.c - ps_cfg_check: every rule the edits enforce one at a time,
 * over a whole store (an import, or a store written by someone else).
 * Freestanding.
 */
#include "ps_cfg_internal.h"

/*
 * ps_cfg_check: every rule the edits enforce one at a time, over a whole
 * store (an import, or a store written by someone else).  One report per
 * problem; the message is built in a bounded stack buffer.
 */
struct chk {
	const void *buf;
	ps_cfg_report_fn fn;
	void *ctx;
	int n;
};

static void say(struct chk *k, struct sb *s)
{
	k->n++;
	if (k->fn)
		k->fn(k->ctx, s->p);
}

/* A problem line in m (CHK_LINE bytes) starts "WHO: ": the object el of
 * kind under vm (see ps__sb_who), or the root for kind < 0. */
#define CHK_LINE 256u

static void begin(struct sb *s, char *m, const void *buf, int el, int kind,
		  int vm)
{
	ps__sb_init(s, m, CHK_LINE);
	if (kind < 0)
		ps__sb_str(s, "root");
	else
		ps__sb_who(s, buf, el, (enum ps_obj)kind, vm);
	ps__sb_put(s, ": ", 2);
}

/* "WHO: WHAT is LEN bytes, " */
static void begin_len(struct sb *s, char *m, const void *buf, int el,
		      int kind, int vm, const char *what, uint32_t len)
{
	begin(s, m, buf, el, kind, vm);
	ps__sb_str(s, what);
	ps__sb_str(s, " is ");
	ps__sb_u64(s, len);
	ps__sb_str(s, " bytes, ");
}

/* Keywords of the core children that may appear once per parent. */
static const struct { uint32_t sig; const char *name; } single[] = {
	{ PSF_NAME, "name" }, { PSF_DESCRIPTION, "description" },
	{ PSF_SERIAL_NUMBER, "serial-number" }, { PSF_HOSTNAME, "hostname" },
	{ PSF_NETWORK_REF, "network-ref" }, { PSF_IMAGE_REF, "image-ref" },
	{ PSF_PATH, "path" }, { PSF_TARGET, "target" },
	{ PSF_MOVE_SOURCE, "move-source" },
	{ PSF_BOOT_ORDER, "boot-order" }, { PSF_UPLINK, "uplink" },
	{ PSF_OWNER, "owner" }, { PSF_PROFILE_REF, "profile-ref" },
	{ PSF_MAC_LIST, "mac-list" }, { PSF_WWN_LIST, "wwn-list" },
	{ PSF_FC_BOOT, "fc-boot" },
	{ PSF_CONSISTENCY_IMAGE, "consistency-image" },
	{ PSF_BOOT_IMAGE, "boot-image" }, { PSF_RESTART_LOG, "restart-log" },
	{ PSF_RESTART_POLICY, "restart-policy" },
	{ PSF_RESTART_CONFIG, "restart-config" },
	{ PSF_VMS, "vms" }, { PSF_NICS, "nics" }, { PSF_STORAGE, "storage" },
	{ PSF_SERIAL_PORTS, "serial-ports" }, { PSF_NETWORKS, "networks" },
	{ PSF_IMAGES, "images" }, { PSF_RESERVATIONS, "reservations" },
	{ PSF_PROFILES, "profiles" }, { PSF_SERVERS, "servers" },
	{ PSF_VM_CONFIG, "vm-config" }, { PSF_NIC_CONFIG, "nic-config" },
	{ PSF_CONTROLLER_CONFIG, "controller-config" },
	{ PSF_SERIAL_CONFIG, "serial-config" },
	{ PSF_NETWORK_CONFIG, "network-config" },
	{ PSF_IMAGE_CONFIG, "image-config" },
	{ PSF_RESERVATION_CONFIG, "reservation-config" },
	{ PSF_PROFILE_CONFIG, "profile-config" },
};

static const char *single_name(uint32_t sig)
{
	size_t i;

	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (single[i].sig == sig)
			return single[i].name;
	return NULL;
}

/* The shape of one object (or the root): singleton children once, lists
 * whole items, its record not cut inside a field. */
static void chk_shape(struct chk *k, int el, int kind, int vm)
{
	const void *buf = k->buf;
	const struct ps_field *f;
	const char *nm;
	uint32_t len, step;
	char m[CHK_LINE];
	struct sb s;
	int c, d;

	for (c = psf_first_child(buf, el); c >= 0;
	     c = psf_next_child(buf, el, c)) {
		uint32_t sig = psf_sig(buf, c);

		nm = single_name(sig);
		if (!nm)
			continue;
		for (d = psf_next_child(buf, el, c); d >= 0;
		     d = psf_next_child(buf, el, d))
			if (psf_sig(buf, d) == sig)
				break;
		/* Report a repeated child once, at its first copy. */
		if (d >= 0 && psf_find_child(buf, el, sig) == c) {
			begin(&s, m, buf, el, kind, vm);
			ps__sb_str(&s, "more than one ");
			ps__sb_str(&s, nm);
			say(k, &s);
		}
		step = sig == PSF_MAC_LIST ? PSF_MAC_LEN
		       : sig == PSF_WWN_LIST ? PSF_WWN_ITEM_LEN
		       : sig == PSF_FC_BOOT ? PSF_FC_BOOT_LEN : 0;
		if (step && kind >= 0) {
			psf_payload(buf, c, &len);
			if (len % step) {
				begin_len(&s, m, buf, el, kind, vm, nm, len);
				ps__sb_str(&s, "not a multiple of ");
				ps__sb_u64(&s, step);
				say(k, &s);
			}
		}
		if (kind < 0 || !ps__kinds[kind].rec || sig != ps__kinds[kind].rec)
			continue;
		psf_payload(buf, c, &len);
		for (f = ps__kinds[kind].fields; f->name; f++)
			if (f->sig == sig && f->width && f->off < len &&
			    len < (uint32_t)f->off + f->width)
				break;
		if (f->name) {
			begin_len(&s, m, buf, el, kind, vm, nm, len);
			ps__sb_str(&s, "cut inside field ");
			ps__sb_str(&s, f->name);
			say(k, &s);
		}
	}
}

/* Names valid and keys unique within the set of kind under parent. */
static void chk_set(struct chk *k, int parent, enum ps_obj kind, int vm)
{
	const void *buf = k->buf;
	char m[CHK_LINE], key[PS_CFG_NAME_MAX + 1];
	const char *why, *p, *q;
	uint32_t len, qlen;
	struct sb s;
	int el, o;

	for (el = ps_obj_next(buf, parent, kind, -1); el >= 0;
	     el = ps_obj_next(buf, parent, kind, el)) {
		chk_shape(k, el, kind, vm);
		if (!ps__kinds[kind].by_port) {
			p = ps__str_of(buf, el, PSF_NAME, &len);
			why = p ? NULL : "no name";
			if (p && ps_check_name(p, len, &why) == 0)
				why = NULL;
			if (why) {
				begin(&s, m, buf, el, (int)kind, vm);
				ps__sb_str(&s, "invalid name: ");
				ps__sb_str(&s, why);
				say(k, &s);
			}
		}
		for (o = ps_obj_next(buf, parent, kind, el); o >= 0;
		     o = ps_obj_next(buf, parent, kind, o)) {
			if (ps__kinds[kind].by_port) {
				if (ps__port_of(buf, el) != ps__port_of(buf, o))
					continue;
			} else {
				p = ps__str_of(buf, el, PSF_NAME, &len);
				q = ps__str_of(buf, o, PSF_NAME, &qlen);
				if (!p || !q || len != qlen ||
				    psf_memcmp(p, q, len))
					continue;
			}
			ps__sb_init(&s, m, sizeof(m));
			ps__sb_str(&s, ps__kinds[kind].name);
			ps__sb_put(&s, " '", 2);
			ps_obj_key(buf, el, kind, key, sizeof(key));
			ps__sb_str(&s, key);
			ps__sb_str(&s, "' defined twice");
			if (vm >= 0) {
				ps__sb_str(&s, " in vm '");
				ps_obj_key(buf, vm, PS_OBJ_VM, key, sizeof(key));
				ps__sb_str(&s, key);
				ps__sb_put(&s, "'", 1);
			}
			say(k, &s);
		}
	}
}

/* A reference string sig of at, which belongs to el (kind, under vm),
 * that names no object of kind to. */
static void chk_ref_at(struct chk *k, int el, enum ps_obj kind, int vm,
		       int at, uint32_t sig, enum ps_obj to,
		       const char *field)
{
	const void *buf = k->buf;
	uint32_t len;
	const char *p = ps__str_of(buf, at, sig, &len);
	char m[CHK_LINE];
	struct sb s;

	if (!p || ps_obj_find(buf, psf_root(buf), to, p, len) >= 0)
		return;
	begin(&s, m, buf, el, (int)kind, vm);
	ps__sb_str(&s, field);
	ps__sb_str(&s, " '");
	ps__sb_put(&s, p, len > 80 ? 80 : len);
	ps__sb_str(&s, "': no such ");
	ps__sb_str(&s, ps__kinds[to].name);
	say(k, &s);
}

static void chk_ref(struct chk *k, int el, enum ps_obj kind, int vm,
		    uint32_t sig, enum ps_obj to, const char *field)
{
	chk_ref_at(k, el, kind, vm, el, sig, to, field);
}

/* A serial port's host name names its socket file: the host-name rule
 * (which keeps it one safe path component) holds for stores written by
 * anyone. */
static void chk_host(struct chk *k, int el, int vm)
{
	const void *buf = k->buf;
	const char *why = NULL, *p;
	char m[CHK_LINE];
	uint32_t len;
	struct sb s;

	p = ps__str_of(buf, el, PSF_HOSTNAME, &len);
	if (!p || (len && !ps__check_host(p, len, &why)))
		return;
	begin(&s, m, buf, el, PS_OBJ_SERIAL, vm);
	ps__sb_str(&s, "hostname '");
	ps__sb_put(&s, p, len > 80 ? 80 : len);
	ps__sb_str(&s, "': ");
	ps__sb_str(&s, why ? why : "empty");
	say(k, &s);
}

/* pxe-nic counts the VM's NICs: it names one of them. */
static void chk_pxe_nic(struct chk *k, int vm)
{
	uint64_t idx = ps__rec_uint(k->buf, vm, PSF_VM_CONFIG, PSF_VMC_PXE_NIC,
				    2);
	char m[CHK_LINE];
	struct sb s;

	if (!ps__pxe_nic_bad(k->buf, vm, idx))
		return;
	begin(&s, m, k->buf, vm, PS_OBJ_VM, -1);
	ps__sb_str(&s, "pxe-nic ");
	ps__sb_u64(&s, idx);
	ps__sb_str(&s, ": no such nic");
	say(k, &s);
}

/* An image that is not shareable backs the controllers of one VM. */
static void chk_images(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), img, a, b, va, vb;
	const char *p;
	uint32_t len;
	char m[CHK_LINE];
	struct sb s;

	for (img = ps_obj_next(buf, root, PS_OBJ_IMAGE, -1); img >= 0;
	     img = ps_obj_next(buf, root, PS_OBJ_IMAGE, img)) {
		p = ps__str_of(buf, img, PSF_NAME, &len);
		if (!p || ps__image_shareable(buf, img))
			continue;
		a = ps__image_user(buf, p, len, -1, &va);
		b = a < 0 ? -1 : ps__image_user(buf, p, len, va, &vb);
		if (b < 0)
			continue;
		begin(&s, m, buf, img, PS_OBJ_IMAGE, -1);
		ps__sb_str(&s, "not shareable but used by both ");
		ps__sb_who(&s, buf, a, PS_OBJ_CONTROLLER, va);
		ps__sb_str(&s, " and ");
		ps__sb_who(&s, buf, b, PS_OBJ_CONTROLLER, vb);
		say(k, &s);
	}
}

/* Reservations of one kind do not overlap: each pair once. */
static void chk_resv(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), el, o;
	struct ps__resv r;
	char m[CHK_LINE];
	struct sb s;

	for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el)) {
		ps__resv_of(buf, el, &r);
		o = ps__resv_overlap(buf, el, &r, 1);
		if (o < 0)
			continue;
		begin(&s, m, buf, el, PS_OBJ_RESERVATION, -1);
		ps__sb_str(&s, "range overlaps ");
		ps__sb_who(&s, buf, o, PS_OBJ_RESERVATION, -1);
		say(k, &s);
	}
}

/* The VM's restart policy: images that exist, whole log entries. */
static void chk_policy(struct chk *k, int vm)
{
	static const struct { uint32_t sig; const char *field; } refs[] = {
		{ PSF_CONSISTENCY_IMAGE, "restart-consistency-image" },
		{ PSF_BOOT_IMAGE, "restart-boot-image" },
	};
	const void *buf = k->buf;
	int c = psf_find_child(buf, vm, PSF_RESTART_POLICY);
	uint32_t len, i;
	char m[CHK_LINE];
	struct sb s;

	for (i = 0; c >= 0 && i < 2; i++)
		chk_ref_at(k, vm, PS_OBJ_VM, -1, c, refs[i].sig, PS_OBJ_IMAGE,
			   refs[i].field);
	if (c >= 0 && psf_child_payload(buf, c, PSF_RESTART_LOG, &len) &&
	    len % PSF_RLOG_LEN) {
		begin_len(&s, m, buf, vm, PS_OBJ_VM, -1, "restart-log", len);
		ps__sb_str(&s, "not a multiple of 16");
		say(k, &s);
	}
}

/* Identity pairs: each identifier against every later one (the walk
 * passes a itself first). */
struct id_pair {
	struct chk *k;
	const struct ps__id *a;
	int seen_a;
};

static void sb_id_who(struct sb *s, const void *buf, const struct ps__id *o)
{
	if (o->el >= 0)
		ps__sb_who(s, buf, o->el, PS_OBJ_NIC, o->owner);
	else
		ps__sb_who(s, buf, o->owner, o->owner_kind, -1);
}

/* "mac 02:00:00:00:00:01", "serial 'S1'". */
static void sb_id(struct sb *s, const struct ps__id *a)
{
	int q = a->kind == ID_SERIAL;

	ps__sb_str(s, ps__id_field[a->kind]);
	ps__sb_put(s, " '", q ? 2u : 1u);
	ps__sb_id(s, a->kind, a->v, a->n > 64 ? 64 : a->n);
	ps__sb_put(s, "'", q);
}

static int id_inner(const void *buf, const struct ps__id *b, void *arg)
{
	struct id_pair *pr = arg;
	const struct ps__id *a = pr->a;
	char m[320];
	struct sb s;

	if (b->v == a->v) {
		pr->seen_a = 1;
		return 0;
	}
	if (!pr->seen_a || b->kind != a->kind || b->n != a->n ||
	    psf_memcmp(b->v, a->v, a->n))
		return 0;
	/* The documented exception: a VM carrying a profile shares its
	 * identity with it. */
	if (a->owner_kind != b->owner_kind &&
	    (a->owner_kind == PS_OBJ_VM ? ps__carries(buf, a->owner, b->owner)
					: ps__carries(buf, b->owner, a->owner)))
		return 0;
	ps__sb_init(&s, m, sizeof(m));
	sb_id(&s, a);
	ps__sb_str(&s, " used by both ");
	sb_id_who(&s, buf, a);
	ps__sb_str(&s, " and ");
	sb_id_who(&s, buf, b);
	say(pr->k, &s);
	return 0;
}

static int id_outer(const void *buf, const struct ps__id *a, void *arg)
{
	struct id_pair pr = { arg, a, 0 };

	return ps__each_id(buf, id_inner, &pr);
}

static void chk_conc(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), vm, el, vm2, o;
	uint64_t port;
	char m[CHK_LINE];
	struct sb s;

	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm))
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) {
			port = ps__rec_uint(buf, el, PSF_SERIAL_CONFIG,
					PSF_SERC_CONCENTRATOR, 2);
			if (!port)
				continue;
			/* Compare with every later mapping. */
			for (vm2 = vm; vm2 >= 0;
			     vm2 = ps_obj_next(buf, root, PS_OBJ_VM, vm2))
				for (o = ps_obj_next(buf, vm2, PS_OBJ_SERIAL,
						     vm2 == vm ? el : -1);
				     o >= 0;
				     o = ps_obj_next(buf, vm2, PS_OBJ_SERIAL, o)) {
					if (ps__rec_uint(buf, o, PSF_SERIAL_CONFIG,
						     PSF_SERC_CONCENTRATOR,
						     2) != port)
						continue;
					ps__sb_init(&s, m, sizeof(m));
					ps__sb_str(&s, "concentrator port ");
					ps__sb_u64(&s, port);
					ps__sb_str(&s, " mapped by both ");
					ps__sb_who(&s, buf, el, PS_OBJ_SERIAL,
						   vm);
					ps__sb_str(&s, " and ");
					ps__sb_who(&s, buf, o, PS_OBJ_SERIAL,
						   vm2);
					say(k, &s);
				}
		}
}

/* Each server names a physical target, and no earlier server names it. */
static void chk_servers(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), el, o;
	const char *why, *p;
	uint32_t len;
	char m[CHK_LINE];
	struct sb s;

	for (el = ps_obj_next(buf, root, PS_OBJ_SERVER, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_SERVER, el)) {
		p = ps__str_of(buf, el, PSF_TARGET, &len);
		why = "empty target";
		o = p && !ps__check_ptarget(p, len, &why) ?
			    ps_server_by_target(buf, p, len) : -1;
		if (o == el)
			continue;
		begin(&s, m, buf, el, PS_OBJ_SERVER, -1);
		ps__sb_str(&s, o >= 0 ? "same target as " : "target: ");
		if (o >= 0)
			ps__sb_who(&s, buf, o, PS_OBJ_SERVER, -1);
		else
			ps__sb_str(&s, why);
		say(k, &s);
	}
}

int ps_cfg_check(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		 void *ctx)
{
	struct chk k = { buf, fn, ctx, 0 };
	uint32_t bad = 0;
	int root, rc, vm, el;
	enum ps_obj t;

	rc = psf_check_tree(buf, len, &bad);
	if (rc)
		return rc;
	root = psf_root(buf);
	chk_shape(&k, root, -1, -1);
	for (t = PS_OBJ_VM; t <= PS_OBJ_PROFILE; t++)
		chk_set(&k, root, t, -1);
	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm)) {
		for (t = PS_OBJ_NIC; t <= PS_OBJ_SERIAL; t++)
			chk_set(&k, vm, t, vm);
		chk_ref(&k, vm, PS_OBJ_VM, -1, PSF_PROFILE_REF,
			PS_OBJ_PROFILE, "profile");
		chk_policy(&k, vm);
		chk_pxe_nic(&k, vm);
		for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
			chk_ref(&k, el, PS_OBJ_NIC, vm, PSF_NETWORK_REF,
				PS_OBJ_NETWORK, "network");
		for (el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el))
			chk_ref(&k, el, PS_OBJ_CONTROLLER, vm, PSF_IMAGE_REF,
				PS_OBJ_IMAGE, "image");
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el))
			chk_host(&k, el, vm);
	}
	for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el))
		chk_ref(&k, el, PS_OBJ_RESERVATION, -1, PSF_OWNER, PS_OBJ_VM,
			"owner");
	chk_set(&k, root, PS_OBJ_SERVER, -1);
	chk_servers(&k);
	chk_images(&k);
	chk_resv(&k);
	ps__each_id(buf, id_outer, &k);
	chk_conc(&k);
	k.n += ps__check_rules(buf, fn, ctx);
	return k.n;
}
