/*
 * ps_check.c - ps_cfg_check: every rule the edits enforce one at a time,
 * over a whole store (an import, or a store written by someone else).
 * One report per problem, built in one bounded buffer (struct chk).  Each
 * rule and its message is here once; the rules that pair elements find
 * equal keys through the strategy of struct chk (ps_check_internal.h):
 * walking the store again (ps_cfg_check, below) or sorted keys
 * (ps_cfg_check_ws, ps_check_ws.c).  Freestanding.
 */
#include "ps_check_internal.h"

static void say(struct chk *k, struct sb *s)
{
	k->n++;
	if (k->fn)
		k->fn(k->ctx, s->p);
}

/* A problem line in m (CHK_LINE bytes; k->m, one buffer for every report,
 * which keeps the rules' frames small on the BMC's stack) starts "WHO: ":
 * the object el of kind under vm (see ps__sb_who), or the root for
 * kind < 0. */
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
	{ PSF_MOVE_SOURCE, "move-source" }, { PSF_MOVE_TARGET, "move-target" },
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
			begin(&s, k->m, buf, el, kind, vm);
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
				begin_len(&s, k->m, buf, el, kind, vm, nm, len);
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
			begin_len(&s, k->m, buf, el, kind, vm, nm, len);
			ps__sb_str(&s, "cut inside field ");
			ps__sb_str(&s, f->name);
			say(k, &s);
		}
	}
}

/* ------------------------------------------------------------- pairing */

int ps__chk_emit(struct chk *k, struct chk_emit *e, struct ps__ck *c)
{
	c->seq = e->seq++;
	k->keys++;
	return e->fn(k, c, e->arg);
}

int ps__ck_cmp(const struct ps__ck *a, const struct ps__ck *b)
{
	uint32_t i;
	int d = 0;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	if (a->num2 != b->num2)
		return a->num2 < b->num2 ? -1 : 1;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	if (!a->ci)
		return a->n ? psf_memcmp(a->p, b->p, a->n) : 0;
	for (i = 0; !d && i < a->n; i++)
		d = ps__lower((char)a->p[i]) - ps__lower((char)b->p[i]);
	return d;
}

/* The tables of the rule just done may go (not the top-level names). */
static void drop(struct chk *k)
{
	if (k->ops)
		k->ops->drop(k);
}

struct pair {
	const struct chk_src *s;
	chk_pair_fn each;      /* first, for every key (b NULL); or NULL */
	chk_pair_fn report;
	const struct ps__ck *a;
};

static int pair_b(struct chk *k, const struct ps__ck *b, void *arg)
{
	struct pair *p = arg;

	if (!b->none && b->seq > p->a->seq && !ps__ck_cmp(b, p->a))
		p->report(k, p->s, p->a, b);
	return 0;
}

/* The keys equal to a: from the strategy, or walking the source again. */
static int pair_a(struct chk *k, const struct ps__ck *a, void *arg)
{
	struct pair *p = arg;
	struct chk_emit e = { pair_b, p, 0 };

	if (p->each)
		p->each(k, p->s, a, NULL);
	if (a->none)
		return 0;
	p->a = a;
	if (k->ops)
		return k->ops->each_equal(k, p->s, a, pair_b, p);
	return p->s->walk(k, p->s, &e);
}

void ps__chk_pairs(struct chk *k, const struct chk_src *s,
		   chk_pair_fn each, chk_pair_fn report)
{
	struct pair p = { s, each, report, NULL };
	struct chk_emit e = { pair_a, &p, 0 };

	s->walk(k, s, &e);
}

/* ------------------------------------------------------------- sources */

/* The objects of kind s->kind under s->parent, by key: name, or for
 * serial ports the port number.  Objects without a name: none set. */
int ps__chk_w_names(struct chk *k, const struct chk_src *s,
		    struct chk_emit *e)
{
	enum ps_obj kind = (enum ps_obj)s->kind;
	struct ps__ck c = { 0 };
	int el, rc = 0;

	c.vm = ps__kinds[kind].sub ? s->parent : -1;
	for (el = ps_obj_next(k->buf, s->parent, kind, -1); !rc && el >= 0;
	     el = ps_obj_next(k->buf, s->parent, kind, el)) {
		c.el = el;
		if (ps__kinds[kind].by_port)
			c.num = (uint64_t)ps__port_of(k->buf, el);
		else
			c.none = !(c.p = (const uint8_t *)ps__str_of(k->buf,
						el, PSF_NAME, &c.n));
		rc = ps__chk_emit(k, e, &c);
	}
	return rc;
}

/* Every identifier (ps__each_id): kind, value; its owner and NIC. */
struct idw {
	struct chk *k;
	struct chk_emit *e;
};

static int id_key(const void *buf, const struct ps__id *id, void *arg)
{
	struct idw *w = arg;
	struct ps__ck c = { 0 };

	(void)buf;
	c.num = id->kind;
	c.p = id->v;
	c.n = id->n;
	c.el = id->el;
	c.vm = id->owner;
	c.aux = (int)id->owner_kind;
	return ps__chk_emit(w->k, w->e, &c);
}

int ps__chk_w_ids(struct chk *k, const struct chk_src *s,
		  struct chk_emit *e)
{
	struct idw w = { k, e };

	(void)s;
	return ps__each_id(k->buf, id_key, &w);
}

/* Under every VM of s->parent, the objects of kind s->kind by key: for
 * controllers the image reference, for serial ports the concentrator
 * port (0: not mapped, no key). */
int ps__chk_w_vm_sub(struct chk *k, const struct chk_src *s,
		     struct chk_emit *e)
{
	const void *buf = k->buf;
	struct ps__ck c = { 0 };
	int rc = 0;

	for (c.vm = ps_obj_next(buf, s->parent, PS_OBJ_VM, -1);
	     !rc && c.vm >= 0; c.vm = ps_obj_next(buf, s->parent, PS_OBJ_VM,
						   c.vm))
		for (c.el = ps_obj_next(buf, c.vm, (enum ps_obj)s->kind, -1);
		     !rc && c.el >= 0;
		     c.el = ps_obj_next(buf, c.vm, (enum ps_obj)s->kind,
					c.el)) {
			if (s->kind == PS_OBJ_SERIAL)
				c.num = ps__rec_uint(buf, c.el,
						     PSF_SERIAL_CONFIG,
						     PSF_SERC_CONCENTRATOR, 2);
			else
				c.p = (const uint8_t *)ps__str_of(buf, c.el,
						PSF_IMAGE_REF, &c.n);
			if (c.num || c.p)
				rc = ps__chk_emit(k, e, &c);
		}
	return rc;
}

/* ---------------------------------------------------------------- rules */

/* "KIND 'KEY' defined twice[ in vm 'VM']", at the first of the two. */
static void report_twice(struct chk *k, const struct chk_src *s,
			 const struct ps__ck *a, const struct ps__ck *b)
{
	char key[PS_CFG_NAME_MAX + 1];
	struct sb sb;

	(void)b;
	ps__sb_init(&sb, k->m, CHK_LINE);
	ps__sb_str(&sb, ps__kinds[s->kind].name);
	ps__sb_put(&sb, " '", 2);
	ps_obj_key(k->buf, a->el, (enum ps_obj)s->kind, key, sizeof(key));
	ps__sb_str(&sb, key);
	ps__sb_str(&sb, "' defined twice");
	if (a->vm >= 0) {
		ps__sb_str(&sb, " in vm '");
		ps_obj_key(k->buf, a->vm, PS_OBJ_VM, key, sizeof(key));
		ps__sb_str(&sb, key);
		ps__sb_put(&sb, "'", 1);
	}
	say(k, &sb);
}

/* One object of a set: its shape and its name. */
static void chk_elem(struct chk *k, const struct chk_src *src,
		     const struct ps__ck *c, const struct ps__ck *unused)
{
	const char *why;
	uint32_t len;
	struct sb s;

	(void)unused;
	chk_shape(k, c->el, src->kind, c->vm);
	if (ps__kinds[src->kind].by_port)
		return;
	why = c->none ? "no name" : NULL;
	len = c->n;
	if (!c->none && ps_check_name((const char *)c->p, len, &why) == 0)
		why = NULL;
	if (!why)
		return;
	begin(&s, k->m, k->buf, c->el, src->kind, c->vm);
	ps__sb_str(&s, "invalid name: ");
	ps__sb_str(&s, why);
	say(k, &s);
}

/* Names valid and keys unique within the set of kind under parent.  The
 * top-level sets stay in the strategy's tables: references look them
 * up. */
static void chk_set(struct chk *k, int parent, enum ps_obj kind)
{
	const struct chk_src src = { ps__chk_w_names, parent, (int)kind };

	ps__chk_pairs(k, &src, chk_elem, report_twice);
	if (ps__kinds[kind].sub)
		drop(k);
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
	struct sb s;

	if (!p || (k->ops ? k->ops->find(k, to, p, len)
			  : ps_obj_find(buf, psf_root(buf), to, p, len)) >= 0)
		return;
	begin(&s, k->m, buf, el, (int)kind, vm);
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
	uint32_t len;
	struct sb s;

	p = ps__str_of(buf, el, PSF_HOSTNAME, &len);
	if (!p || (len && !ps__check_host(p, len, &why)))
		return;
	begin(&s, k->m, buf, el, PS_OBJ_SERIAL, vm);
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
	struct sb s;

	if (!ps__pxe_nic_bad(k->buf, vm, idx))
		return;
	begin(&s, k->m, k->buf, vm, PS_OBJ_VM, -1);
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
	struct sb s;

	for (img = ps_obj_next(buf, root, PS_OBJ_IMAGE, -1); img >= 0;
	     img = ps_obj_next(buf, root, PS_OBJ_IMAGE, img)) {
		p = ps__str_of(buf, img, PSF_NAME, &len);
		if (!p || ps__image_shareable(buf, img))
			continue;
		if (k->ops) {
			b = k->ops->users(k, p, len, &a, &va, &vb);
		} else {
			a = ps__image_user(buf, p, len, -1, &va);
			b = a < 0 ? -1 : ps__image_user(buf, p, len, va, &vb);
		}
		if (b < 0)
			continue;
		begin(&s, k->m, buf, img, PS_OBJ_IMAGE, -1);
		ps__sb_str(&s, "not shareable but used by both ");
		ps__sb_who(&s, buf, a, PS_OBJ_CONTROLLER, va);
		ps__sb_str(&s, " and ");
		ps__sb_who(&s, buf, b, PS_OBJ_CONTROLLER, vb);
		say(k, &s);
	}
	drop(k);
}

/* Reservations of one kind do not overlap: each with the first later one
 * it overlaps.  A strategy with a table skips those that overlap none. */
static void chk_resv(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), el, o;
	struct ps__resv r;
	struct sb s;

	for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el)) {
		if (k->ops && k->ops->resv_alone(k, el))
			continue;
		ps__resv_of(buf, el, &r);
		o = ps__resv_overlap(buf, el, &r, 1);
		if (o < 0)
			continue;
		begin(&s, k->m, buf, el, PS_OBJ_RESERVATION, -1);
		ps__sb_str(&s, "range overlaps ");
		ps__sb_who(&s, buf, o, PS_OBJ_RESERVATION, -1);
		say(k, &s);
	}
	drop(k);
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
	struct sb s;

	for (i = 0; c >= 0 && i < 2; i++)
		chk_ref_at(k, vm, PS_OBJ_VM, -1, c, refs[i].sig, PS_OBJ_IMAGE,
			   refs[i].field);
	if (c >= 0 && psf_child_payload(buf, c, PSF_RESTART_LOG, &len) &&
	    len % PSF_RLOG_LEN) {
		begin_len(&s, k->m, buf, vm, PS_OBJ_VM, -1, "restart-log", len);
		ps__sb_str(&s, "not a multiple of 16");
		say(k, &s);
	}
}

/* "nic 'eth0' of vm 'a'" or "profile 'p'": who holds an identifier. */
static void sb_id_who(struct sb *s, const void *buf, const struct ps__ck *o)
{
	if (o->el >= 0)
		ps__sb_who(s, buf, o->el, PS_OBJ_NIC, o->vm);
	else
		ps__sb_who(s, buf, o->vm, (enum ps_obj)o->aux, -1);
}

/* An identifier on two holders: "mac 02:00:00:00:00:01 used by both ...",
 * "serial 'S1' used by both ...". */
static void report_id(struct chk *k, const struct chk_src *src,
		      const struct ps__ck *a, const struct ps__ck *b)
{
	const void *buf = k->buf;
	int q = a->num == ID_SERIAL;
	struct sb s;

	(void)src;
	/* The documented exception: a VM carrying a profile shares its
	 * identity with it. */
	if (a->aux != b->aux &&
	    (a->aux == PS_OBJ_VM ? ps__carries(buf, a->vm, b->vm)
				 : ps__carries(buf, b->vm, a->vm)))
		return;
	ps__sb_init(&s, k->m, sizeof(k->m));
	ps__sb_str(&s, ps__id_field[a->num]);
	ps__sb_put(&s, " '", q ? 2u : 1u);
	ps__sb_id(&s, (enum ident)a->num, a->p, a->n > 64 ? 64 : a->n);
	ps__sb_put(&s, "'", (size_t)q);
	ps__sb_str(&s, " used by both ");
	sb_id_who(&s, buf, a);
	ps__sb_str(&s, " and ");
	sb_id_who(&s, buf, b);
	say(k, &s);
}

static void report_conc(struct chk *k, const struct chk_src *src,
			const struct ps__ck *a, const struct ps__ck *b)
{
	struct sb s;

	(void)src;
	ps__sb_init(&s, k->m, CHK_LINE);
	ps__sb_str(&s, "concentrator port ");
	ps__sb_u64(&s, a->num);
	ps__sb_str(&s, " mapped by both ");
	ps__sb_who(&s, k->buf, a->el, PS_OBJ_SERIAL, a->vm);
	ps__sb_str(&s, " and ");
	ps__sb_who(&s, k->buf, b->el, PS_OBJ_SERIAL, b->vm);
	say(k, &s);
}

/* Each server names a physical target, and no earlier server names it. */
static void chk_servers(struct chk *k)
{
	const void *buf = k->buf;
	int root = psf_root(buf), el, o;
	const char *why, *p;
	uint32_t len;
	struct sb s;

	for (el = ps_obj_next(buf, root, PS_OBJ_SERVER, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_SERVER, el)) {
		p = ps__str_of(buf, el, PSF_TARGET, &len);
		why = "empty target";
		o = !p || ps__check_ptarget(p, len, &why) ? -1
		    : k->ops ? k->ops->server(k, p, len)
			     : ps_server_by_target(buf, p, len);
		if (o == el)
			continue;
		begin(&s, k->m, buf, el, PS_OBJ_SERVER, -1);
		ps__sb_str(&s, o >= 0 ? "same target as " : "target: ");
		if (o >= 0)
			ps__sb_who(&s, buf, o, PS_OBJ_SERVER, -1);
		else
			ps__sb_str(&s, why);
		say(k, &s);
	}
	drop(k);
}

int ps__chk_run(struct chk *k, uint32_t len)
{
	const void *buf = k->buf;
	uint32_t bad = 0;
	int root, rc, vm, el;
	enum ps_obj t;
	struct chk_src ids = { ps__chk_w_ids, 0, 0 }, conc = { ps__chk_w_vm_sub, 0,
							PS_OBJ_SERIAL };

	rc = psf_check_tree(buf, len, &bad);
	if (rc)
		return rc;
	root = psf_root(buf);
	conc.parent = root;
	chk_shape(k, root, -1, -1);
	for (t = PS_OBJ_VM; t <= PS_OBJ_PROFILE; t++)
		chk_set(k, root, t);
	for (vm = ps_obj_next(buf, root, PS_OBJ_VM, -1); vm >= 0;
	     vm = ps_obj_next(buf, root, PS_OBJ_VM, vm)) {
		for (t = PS_OBJ_NIC; t <= PS_OBJ_SERIAL; t++)
			chk_set(k, vm, t);
		chk_ref(k, vm, PS_OBJ_VM, -1, PSF_PROFILE_REF,
			PS_OBJ_PROFILE, "profile");
		chk_policy(k, vm);
		chk_pxe_nic(k, vm);
		for (el = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_NIC, el))
			chk_ref(k, el, PS_OBJ_NIC, vm, PSF_NETWORK_REF,
				PS_OBJ_NETWORK, "network");
		for (el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_CONTROLLER, el))
			chk_ref(k, el, PS_OBJ_CONTROLLER, vm, PSF_IMAGE_REF,
				PS_OBJ_IMAGE, "image");
		for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
		     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el))
			chk_host(k, el, vm);
	}
	for (el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, -1); el >= 0;
	     el = ps_obj_next(buf, root, PS_OBJ_RESERVATION, el))
		chk_ref(k, el, PS_OBJ_RESERVATION, -1, PSF_OWNER, PS_OBJ_VM,
			"owner");
	chk_set(k, root, PS_OBJ_SERVER);
	chk_servers(k);
	chk_images(k);
	chk_resv(k);
	ps__chk_pairs(k, &ids, NULL, report_id);
	drop(k);
	ps__chk_pairs(k, &conc, NULL, report_conc);
	drop(k);
	k->n += ps__check_rules(k->buf, k->fn, k->ctx);
	ps__chk_pool(k);
	return k->n;
}

/* No memory: each rule walks its source again for every key. */
int ps_cfg_check(const void *buf, uint32_t len, ps_cfg_report_fn fn,
		 void *ctx)
{
	struct chk k = { buf, fn, ctx, 0, NULL, NULL, 0, { 0 } };

	return ps__chk_run(&k, len);
}
