/*
 * bench_churn.c - a store under churn (docs/store.md section 7): 10,000
 * random edits on a 15-VM store, once through the edit layer as psctl
 * commits them (ps_update) and once through the BMC shim's element writes
 * (bmc_shim_handle, in-process), each on a RAM disk behind the counting
 * media wrapper (ps_media_fault with no crash).
 *
 *   bench_churn [--quick]
 *
 * Edits (fixed seed): create and delete VMs (10 to 20 of them, up to 16
 * NICs each), rename a VM, grow or shrink its description (0-255 bytes),
 * set its memory; through psctl also add and delete NICs, through the BMC
 * rewrite a whole VM with another size (the case) and write a
 * VM's NAME, DESCRIPTION or VM_CONFIG element.  Prints, every 1000 edits,
 * used bytes against 1.5 x live + pad budget, and at the end the number
 * of compactions and the sectors written per one-field edit (rename,
 * description, memory: median, p90, max).  Exits non-zero when used bytes
 * ever pass 1.5 x live + budget, the median one-field edit writes more
 * than 4 sectors, or an edit fails.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmc_inproc.h"
#include "churn_ops.h"

#define SS 512u
#define MAXVM 20u
#define MINVM 10u
#define MAXNIC 16u
/* Every PROBE_EVERY edits, a probe: a memory edit, then a one-field edit
 * (memory, description, rename in turn) whose sectors are counted as
 * bench_commit counts them, each commit following a one-field edit. */
#define PROBE_EVERY 25u
#define PROBES_MAX (10000u / PROBE_EVERY)

static uint64_t rng = 0x5eed0c0ffee1234ULL;
static unsigned edits = 10000;

static unsigned rnd(unsigned n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_churn: %s: %d (%s)\n", what, rc,
		rc < 0 ? ps_strerror(rc) : "completion code");
	exit(1);
}

/* The VMs the driver knows: name, id (MACs), NICs made so far. */
struct vm {
	char name[72];
	unsigned id, nics_made;
};
static struct vm vms[MAXVM];
static unsigned nvm, next_id;

enum op { OP_MEMORY, OP_DESC, OP_RENAME, OP_CREATE, OP_DELETE, OP_NIC_ADD,
	  OP_NIC_DEL, OP_REWRITE, OP_COUNT };
static const char *op_names[OP_COUNT] = { "memory", "description", "rename",
	"vm create", "vm delete", "nic add", "nic delete", "vm rewrite" };

static int one_field(enum op o)
{
	return o == OP_MEMORY || o == OP_DESC || o == OP_RENAME;
}

/* What the run measured. */
struct stats {
	const char *path;
	unsigned n1, over, count[OP_COUNT];
	unsigned *sect1;            /* sectors per one-field edit */
	unsigned *per[OP_COUNT];    /* sectors per edit, by kind */
	unsigned probe[PROBES_MAX], np; /* one-field edits after one */
	uint64_t sectors;
	uint32_t peak, peak_limit;
	struct ps_space last;
};

static enum op probe_op(const struct stats *st)
{
	static const enum op kinds[3] = { OP_MEMORY, OP_DESC, OP_RENAME };

	return kinds[st->np % 3];
}

static int cmp_u(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Record one committed edit: its sectors, and the store's use now. */
static void account(struct stats *st, enum op o, uint64_t sectors,
		    const void *store, unsigned i)
{
	struct ps_space sp;
	uint32_t limit;

	if (ps_space(store, &sp))
		die("ps_space", -1);
	limit = sp.live + sp.live / 2 + sp.budget;
	st->per[o][st->count[o]++] = (unsigned)sectors;
	st->sectors += sectors;
	if (one_field(o))
		st->sect1[st->n1++] = (unsigned)sectors;
	if (sp.total > limit)
		st->over++;
	if (sp.total > st->peak) {
		st->peak = sp.total;
		st->peak_limit = limit;
	}
	st->last = sp;
	if ((i + 1) % 1000 == 0)
		printf("  %-5s %5u edits: used %6u B, live %6u B, budget %5u B,"
		       " 1.5 x live + budget %6u B, garbage %5u B, VMs %u\n",
		       st->path, i + 1, sp.total, sp.live, sp.budget, limit,
		       sp.garbage, nvm);
}

/* Pick the edit: creates and deletes keep 10-20 VMs. */
static enum op pick(int bmc)
{
	unsigned r = rnd(100);

	if (r < 25)
		return OP_MEMORY;
	if (r < 50)
		return OP_DESC;
	if (r < 60)
		return OP_RENAME;
	if (r < 70)
		return nvm < MAXVM ? OP_CREATE : OP_DELETE;
	if (r < 80)
		return nvm > MINVM ? OP_DELETE : OP_CREATE;
	if (bmc)
		return OP_REWRITE;
	return r < 90 ? OP_NIC_ADD : OP_NIC_DEL;
}

static void new_vm_name(struct vm *v)
{
	v->id = next_id++;
	v->nics_made = 0;
	churn_vm_name(v->name, sizeof v->name, v->id);
}

static void rename_vm(struct vm *v)
{
	unsigned n = rnd(40);
	int k = snprintf(v->name, sizeof v->name, "vm-%u-", v->id);

	churn_text(v->name + k, n, v->id + n);
	v->name[k + (int)n] = 0;
}

static int find(const void *buf, const struct vm *v)
{
	return ps_obj_find(buf, psf_root(buf), PS_OBJ_VM, v->name,
			   strlen(v->name));
}

/* ------------------------------------------------------------ psctl */

struct edit {
	enum op op;
	struct vm *v;
	struct vm next;  /* rename: the VM as it will be */
	unsigned arg;
	int due;         /* the commit will compact (ps_txn_commit's rule) */
};

/* A created VM gets the driver's name for it (renamed ones keep it). */
static int create_named(void *buf, size_t cap, struct vm *v, unsigned desc,
			unsigned nics)
{
	int vm = churn_vm_create(buf, cap, v->id, desc, nics);

	v->nics_made = nics;
	return vm < 0 ? vm : 0;
}

static int apply(void *buf, size_t cap, struct edit *e)
{
	char t[32];
	int vm = e->op == OP_CREATE ? 0 : find(buf, e->v), nic, n;

	if (vm < 0)
		return vm;
	switch (e->op) {
	case OP_MEMORY:
		n = snprintf(t, sizeof t, "%uMiB", 512 + e->arg);
		return ps_obj_set(buf, cap, vm, PS_OBJ_VM, "memory", 6, t,
				  (size_t)n, NULL);
	case OP_DESC:
		return churn_set_text(buf, cap, vm, PS_OBJ_VM, "description",
				      e->arg, e->arg);
	case OP_RENAME:
		return ps_obj_set(buf, cap, vm, PS_OBJ_VM, "name", 4,
				  e->next.name, strlen(e->next.name), NULL);
	case OP_CREATE:
		return create_named(buf, cap, e->v, e->arg % 256,
				    e->arg % (MAXNIC / 2));
	case OP_DELETE:
		return ps_obj_delete(buf, vm, PS_OBJ_VM, NULL);
	case OP_NIC_ADD:
		n = churn_nic_add(buf, cap, vm, e->v->id, e->v->nics_made++);
		return n < 0 ? n : 0;
	case OP_NIC_DEL:
		nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1);
		return nic < 0 ? 0 : ps_obj_delete(buf, nic, PS_OBJ_NIC, NULL);
	default:
		return PS_ERR_INVAL;
	}
}

static int edit_fn(void *buf, size_t cap, void *arg)
{
	struct edit *e = arg;
	struct ps_space sp;
	int rc = apply(buf, cap, e);

	/* The same decision ps_txn_commit makes on these bytes. */
	if (!rc)
		rc = psf_finish(buf);
	if (!rc)
		rc = ps_space(buf, &sp);
	if (!rc)
		e->due = ps_compact_due(&sp);
	return rc;
}

/* NIC counts per VM, for nic add/delete choices. */
static unsigned nics_of(const void *buf, const struct vm *v)
{
	int vm = find(buf, v), nic;
	unsigned n = 0;

	for (nic = ps_obj_next(buf, vm, PS_OBJ_NIC, -1); nic >= 0;
	     nic = ps_obj_next(buf, vm, PS_OBJ_NIC, nic))
		n++;
	return n;
}

static void setup_vms(void)
{
	unsigned i;

	nvm = 15;
	next_id = 1;
	for (i = 0; i < nvm; i++)
		new_vm_name(&vms[i]);
}

/* One edit of kind *op on a random VM, committed: 1 when the commit
 * compacted.  A nic add on a VM that has all its NICs deletes one (*op
 * says so). */
static unsigned psctl_edit(struct ps_store *s, enum op *op)
{
	struct edit e = { .op = *op, .arg = rnd(1u << 20) };
	unsigned k = rnd(nvm);
	int rc;

	e.v = &vms[k];
	if (e.op == OP_CREATE) {
		e.v = &vms[nvm];
		new_vm_name(e.v);
	}
	if (e.op == OP_DESC)
		e.arg %= 256;
	e.next = *e.v;
	if (e.op == OP_RENAME)
		rename_vm(&e.next);
	if (e.op == OP_NIC_ADD &&
	    (nics_of(ps_store_data(s, NULL), e.v) >= MAXNIC ||
	     e.v->nics_made > 255))
		e.op = OP_NIC_DEL;
	*op = e.op;
	rc = ps_update(s, edit_fn, &e, 0);
	if (rc)
		die(op_names[e.op], rc);
	if (e.op == OP_RENAME)
		*e.v = e.next;
	if (e.op == OP_CREATE)
		nvm++;
	if (e.op == OP_DELETE)
		vms[k] = vms[--nvm];
	return (unsigned)e.due;
}

/* A RAM disk of two slots holding store (NULL: empty), behind the
 * counting wrapper fm (its writes in f.writes). */
struct disk {
	uint8_t *mem;
	uint64_t nsec;
	struct ps_media ram, fm;
	struct ps_fault f;
};

static void disk_open(struct disk *k, uint32_t slot_sectors,
		      const void *store)
{
	struct ps_format_opts o = { .slot_count = 2,
				    .slot_sectors = slot_sectors };
	uint8_t sector[SS];
	struct ps_disk d;

	if (store) {
		o.store = store;
		o.store_len = psf_total(store);
	}
	memset(&k->f, 0, sizeof k->f);
	k->nsec = 2 + 2ull * slot_sectors;
	k->mem = calloc(k->nsec, SS);
	if (!k->mem || ps_media_init_mem(&k->ram, k->mem, SS, k->nsec) ||
	    ps_format(&d, &k->ram, &o, sector) ||
	    ps_media_init_fault(&k->fm, &k->f, &k->ram))
		die("ram disk", -1);
}

static unsigned run_psctl(struct stats *st)
{
	static struct disk k;
	struct ps_fault *fp = &k.f;
	struct ps_store *s;
	unsigned i, compactions = 0;
	int rc;

	disk_open(&k, 2048, NULL);
	s = ps_store_open(&k.fm, &rc);
	if (!s)
		die("ps_store_open", rc);
	setup_vms();
	for (i = 0; i < nvm; i++) {
		struct edit e = { .op = OP_CREATE, .v = &vms[i],
				  .arg = 200 + i };

		rc = ps_update(s, edit_fn, &e, 0);
		if (rc)
			die("setup", rc);
	}
	for (i = 0; i < edits; i++) {
		enum op op = pick(0);
		uint64_t w0 = fp->writes;

		compactions += psctl_edit(s, &op);
		account(st, op, fp->writes - w0, ps_store_data(s, NULL), i);
		if (i % PROBE_EVERY == PROBE_EVERY - 1) {
			op = OP_MEMORY;
			compactions += psctl_edit(s, &op);
			w0 = fp->writes;
			op = probe_op(st);
			compactions += psctl_edit(s, &op);
			st->probe[st->np++] = (unsigned)(fp->writes - w0);
		}
	}
	ps_store_close(s);
	free(k.mem);
	return compactions;
}

/* -------------------------------------------------------------- BMC */

static struct bmc_shim shim;
static uint8_t scratch[64 * 1024], req[BMC_SHIM_STAGE_MAX], resp[64];


/* One OEM write through the shim. */
static uint8_t bmc_write(uint8_t op, const uint8_t *data, size_t n)
{
	uint8_t sess;
	size_t rl;

	return bip_write(&shim, op, data, n, NULL, resp, sizeof resp, &rl,
			 &sess);
}

/* Path bytes: VMS, then (name) the VM named so: their length. */
static size_t path(uint8_t *p, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	p[0] = name ? 2 : 1;
	psf_put_le32(p + 1, PSF_VMS);
	p[5] = 0;
	if (!name)
		return 6;
	psf_put_le32(p + 6, PSF_VM);
	p[10] = (uint8_t)n;
	memcpy(p + 11, name, n);
	return 11 + n;
}

static void empty_scratch(void)
{
	struct psf_builder b;

	psf_build_begin(&b, scratch, sizeof scratch, PSF_ROOT,
			PSF_SCHEMA_VERSION, 0);
	if (psf_build_finish(&b) < 0)
		die("scratch", -1);
}

/* A whole VM element, built alone in scratch under v's current name:
 * at p, its length. */
static size_t vm_elem(uint8_t *p, struct vm *v, unsigned desc, unsigned nics)
{
	char made[32];
	const uint8_t *el;
	uint32_t len;
	int rc, vm;

	empty_scratch();
	rc = create_named(scratch, sizeof scratch, v, desc, nics);
	churn_vm_name(made, sizeof made, v->id);
	vm = churn_find_vm(scratch, v->id);
	if (!rc && strcmp(v->name, made))
		rc = ps_obj_set(scratch, sizeof scratch, vm, PS_OBJ_VM, "name",
				4, v->name, strlen(v->name), NULL);
	if (rc)
		die("scratch vm", rc);
	el = churn_elem(scratch, find(scratch, v), &len);
	if (!el || len > BMC_SHIM_STAGE_MAX - 80)
		die("vm element", -1);
	memcpy(p, el, len);
	return len;
}

/* A structure element sig with payload data[0..len) at p: its length. */
static size_t struct_elem(uint8_t *p, uint32_t sig, const void *data,
			  uint32_t len)
{
	psf_put_le32(p, sig);
	psf_put_le32(p + 4, len);
	memcpy(p + 8, data, len);
	return 8 + len;
}

static uint8_t bmc_edit(enum op o, struct vm *v, unsigned arg)
{
	size_t n;
	char t[CHURN_DESC_MAX + 1];
	uint8_t rec[64];
	const void *cur;
	uint32_t len;
	int vm;

	switch (o) {
	case OP_MEMORY:
		vm = find(shim.store, v);
		cur = psf_child_payload(shim.store, vm, PSF_VM_CONFIG, &len);
		if (!cur || len > sizeof rec)
			die("vm config", -1);
		memcpy(rec, cur, len);
		psf_put_le64(rec + PSF_VMC_MEMORY_KIB, (512u + arg) * 1024ull);
		n = path(req, v->name);
		n += struct_elem(req + n, PSF_VM_CONFIG, rec, len);
		return bmc_write(BMC_WRITE_ELEMENT, req, n);
	case OP_DESC:
		churn_text(t, 1 + arg % 255, arg);
		n = path(req, v->name);
		n += struct_elem(req + n, PSF_DESCRIPTION, t, 1 + arg % 255);
		return bmc_write(BMC_WRITE_ELEMENT, req, n);
	case OP_RENAME:
		n = path(req, v->name);
		rename_vm(v);
		n += struct_elem(req + n, PSF_NAME, v->name,
				 (uint32_t)strlen(v->name));
		return bmc_write(BMC_WRITE_ELEMENT, req, n);
	case OP_CREATE:
	case OP_REWRITE:
		n = path(req, NULL);
		n += vm_elem(req + n, v, arg % 256, arg % MAXNIC);
		return bmc_write(BMC_WRITE_ELEMENT, req, n);
	case OP_DELETE:
		n = path(req, v->name);
		return bmc_write(BMC_WRITE_DELETE, req, n);
	default:
		return 0xff;
	}
}

/* One edit of kind op on a random VM through the shim. */
static void bmc_one(enum op op)
{
	unsigned k = rnd(nvm), arg = rnd(1u << 20);
	struct vm *v = &vms[k];
	uint8_t cc;

	if (op == OP_CREATE) {
		v = &vms[nvm];
		new_vm_name(v);
	}
	cc = bmc_edit(op, v, arg);
	if (cc)
		die(op_names[op], cc);
	if (op == OP_CREATE)
		nvm++;
	if (op == OP_DELETE)
		vms[k] = vms[--nvm];
}

static unsigned run_bmc(struct stats *st)
{
	static struct disk k;
	struct ps_fault *fp = &k.f;
	struct ps_disk d;
	unsigned i;

	setup_vms();
	empty_scratch();
	for (i = 0; i < nvm; i++)
		if (create_named(scratch, sizeof scratch, &vms[i], 200 + i,
				 (200 + i) % (MAXNIC / 2)))
			die("setup", -1);
	if (psf_finish(scratch))
		die("setup", -1);
	disk_open(&k, 129, scratch);
	if (bip_init(&shim, &k.fm, k.nsec))
		die("bmc_shim_init", -1);
	for (i = 0; i < edits; i++) {
		enum op op = pick(1);
		uint64_t w0 = fp->writes;

		bmc_one(op);
		if (ps_read(&d, &k.ram, scratch, sizeof scratch))
			die("read back", -1);
		account(st, op, fp->writes - w0, scratch, i);
		if (i % PROBE_EVERY == PROBE_EVERY - 1) {
			bmc_one(OP_MEMORY);
			w0 = fp->writes;
			bmc_one(probe_op(st));
			st->probe[st->np++] = (unsigned)(fp->writes - w0);
		}
	}
	free(k.mem);
	return shim.compactions;
}

/* ------------------------------------------------------------ report */

/* Median and p90 of n values (sorted in place). */
static void spread(unsigned *v, unsigned n, unsigned *med, unsigned *p90,
		   unsigned *max)
{
	qsort(v, n, sizeof *v, cmp_u);
	*med = n ? v[(n - 1) / 2] : 0;
	*p90 = n ? v[(n * 9) / 10] : 0;
	*max = n ? v[n - 1] : 0;
}

static int report(struct stats *st, unsigned compactions)
{
	unsigned i, med, p90, max, pmed, pp90, pmax;

	printf("%s: %u edits (", st->path, edits);
	for (i = 0; i < OP_COUNT; i++)
		if (st->count[i])
			printf("%s%s %u", i ? ", " : "", op_names[i],
			       st->count[i]);
	printf(")\n");
	printf("%s: used bytes peak %u (1.5 x live + budget then %u), end %u "
	       "(live %u, budget %u); over the limit after %u edits\n",
	       st->path, st->peak, st->peak_limit, st->last.total,
	       st->last.live, st->last.budget, st->over);
	printf("%s: %u compactions; %llu sectors written in all\n", st->path,
	       compactions, (unsigned long long)st->sectors);
	printf("%s: median sectors by kind:", st->path);
	for (i = 0; i < OP_COUNT; i++)
		if (st->count[i]) {
			spread(st->per[i], st->count[i], &med, &p90, &max);
			printf("%s %s %u", i ? "," : "", op_names[i], med);
		}
	printf("\n");
	spread(st->sect1, st->n1, &med, &p90, &max);
	printf("%s: sectors per one-field edit in the stream (%u, each after "
	       "an edit of any kind): median %u, p90 %u, max %u\n", st->path,
	       st->n1, med, p90, max);
	spread(st->probe, st->np, &pmed, &pp90, &pmax);
	printf("%s: sectors per one-field edit after a one-field edit (%u "
	       "probes): median %u, p90 %u, max %u\n", st->path, st->np,
	       pmed, pp90, pmax);
	return st->over == 0 && pmed <= 4;
}

int main(int argc, char **argv)
{
	struct stats a = { .path = "psctl" }, b = { .path = "bmc" };
	unsigned ca, cb, i;
	int ok;

	if (argc > 1 && !strcmp(argv[1], "--quick"))
		edits = 1000;
	a.sect1 = calloc(edits, sizeof(unsigned));
	b.sect1 = calloc(edits, sizeof(unsigned));
	for (i = 0; i < OP_COUNT; i++) {
		a.per[i] = calloc(edits, sizeof(unsigned));
		b.per[i] = calloc(edits, sizeof(unsigned));
		if (!a.per[i] || !b.per[i])
			die("calloc", -1);
	}
	if (!a.sect1 || !b.sect1)
		die("calloc", -1);
	printf("churn: %u random edits on a 15-VM store (two slots, 512-byte "
	       "sectors), through psctl's edit layer (1 MiB slots), then "
	       "through the BMC shim's element writes (64 KiB slots)\n",
	       edits);
	ca = run_psctl(&a);
	cb = run_bmc(&b);
	ok = report(&a, ca);
	ok &= report(&b, cb);
	for (i = 0; i < OP_COUNT; i++) {
		free(a.per[i]);
		free(b.per[i]);
	}
	free(a.sect1);
	free(b.sect1);
	printf("bench_churn: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
