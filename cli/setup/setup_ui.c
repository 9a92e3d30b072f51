/*
 * setup_ui.c - the screens (docs/setup.md "Screens and keys"): the VM
 * list, one VM, the keys, the profiles.  Every value typed goes through
 * the edit layer psctl uses (ps_obj_set, ps_obj_create, ps_obj_delete)
 * on the working copy; nothing reaches the key before save.
 */
#include "setup.h"

/* What setup edits (issue 17); every other field is shown read-only. */
static const char *const editable[] = {
	"name", "description", "memory", "cpus", "power", "boot", "pxe", NULL,
};

static int is_editable(const char *f, size_t n)
{
	int i;

	for (i = 0; editable[i]; i++)
		if (ps__eq_ci(f, n, editable[i]))
			return 1;
	return 0;
}


static void pad_to(size_t have, size_t width)
{
	while (have++ < width)
		con_put(" ");
}

static void show_field(const void *buf, int el, const struct ps_field *f)
{
	char v[256];

	ps_obj_get(buf, el, f, v, sizeof v);
	con_put("    ");
	con_put(f->name);
	pad_to(ps__slen(f->name), 26);
	con_put(v);
	con_put("\n");
}

/* Every field of an object, as psctl's show prints them. */
static void show_fields(const void *buf, int el, enum ps_obj k)
{
	const struct ps_field *f;

	for (f = ps_obj_fields(k); f && f->name; f++)
		if (f->type != PS_FT_PRESENCE)
			show_field(buf, el, f);
}

static void header(const struct setup *s)
{
	const struct setup_key *k = &s->key[s->chosen];

	con_put("\npstate BIOS setup - store on ");
	con_put(k->where);
	con_put(", ");
	con_put(k->part);
	con_put(", generation ");
	con_u64(s->disk.generation);
	if (s->dirty)
		con_put(" (changed, not saved)");
	con_put("\n");
	if (s->read_only) {
		con_put("READ-ONLY: ");
		con_put(s->ro_why);
		con_put("\n");
	}
	if (s->auth.sealed) {
		con_put("AUTHENTICATED (");
		con_put(ps_auth_verdict_name(s->auth.verdict));
		con_put("): setup has no key; a save marks the store "
			"unverified\n");
	}
}

static void vm_list(struct setup *s)
{
	const void *buf = s->buf;
	int root = psf_root(buf), el = -1, i = 0;
	const struct ps_field *pw = ps_obj_field(PS_OBJ_VM, "power", 5);
	const struct ps_field *mem = ps_obj_field(PS_OBJ_VM, "memory", 6);
	const struct ps_field *cpu = ps_obj_field(PS_OBJ_VM, "cpus", 4);
	char name[PS_CFG_NAME_MAX + 1], v[64];

	header(s);
	con_put("   #  vm                                power  memory      cpus\n");
	while ((el = ps_obj_next(buf, root, PS_OBJ_VM, el)) >= 0) {
		con_put("  ");
		pad_to(i + 1 < 10 ? 1 : 2, 2);
		con_u64((uint64_t)++i);
		con_put("  ");
		ps_obj_key(buf, el, PS_OBJ_VM, name, sizeof name);
		con_put(name);
		pad_to(ps__slen(name), 34);
		ps_obj_get(buf, el, pw, v, sizeof v);
		con_put(v);
		pad_to(ps__slen(v), 7);
		ps_obj_get(buf, el, mem, v, sizeof v);
		con_put(v);
		pad_to(ps__slen(v), 12);
		ps_obj_get(buf, el, cpu, v, sizeof v);
		con_put(v);
		con_put("\n");
	}
	if (!i)
		con_put("  (no VMs)\n");
	if (!s->list_ms) {
		s->list_ms = clock_ms() ? clock_ms() : 1;
		con_put("startup to VM list: ");
		con_u64(s->list_ms);
		con_put(" ms\n");
	}
}

/* The edit layer's error, worded as psctl words it:
 * "FIELD 'VALUE': WHY" (cli/psctl.c psctl_error). */
static void edit_error(const char *what, const char *field, const char *val,
		       int rc, const struct ps_cfg_err *e)
{
	con_put("error: ");
	con_put(what);
	con_put(": ");
	if (e->field || field) {
		con_put(e->field ? e->field : field);
		if (val) {
			con_put(" '");
			con_put(val);
			con_put("'");
		}
		con_put(": ");
	}
	con_put(e->why ? e->why : ps_strerror(rc));
	if (e->holder[0]) {
		con_put(" by ");
		con_put(e->holder);
	}
	con_put("\nnothing changed\n");
}

/* After an edit that failed with the buffer full, the working copy may
 * be half-changed (ps_config.h "Errors"): start again from the key. */
static void after_fail(struct setup *s, int rc)
{
	if (rc != PSF_ERR_NOSPACE)
		return;
	disc_reload(s);
	con_put("the store is full: every unsaved change was dropped\n");
}

static int find_vm(const struct setup *s, uint32_t no)
{
	int el = -1;

	while (no-- && (el = ps_obj_next(s->buf, psf_root(s->buf), PS_OBJ_VM,
					 el)) >= 0)
		;
	return el;
}

/* A random locally administered MAC for a new NIC, as psctl gives one;
 * the time-stamp counter is the entropy, retried while it collides. */
static int give_mac(struct setup *s, int nic, struct ps_cfg_err *e)
{
	const struct ps_field *f = ps_obj_field(PS_OBJ_NIC, "mac", 3);
	struct ps_value v;
	uint8_t rnd[6];
	int i, j, rc = 0;

	for (i = 0; i < 8; i++) {
		for (j = 0; j < 6; j++) {
			uint64_t t = clock_ms() ^ ((uint64_t)(uintptr_t)&v <<
						   (j + i));
			uint32_t lo, hi;

			__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
			rnd[j] = (uint8_t)(lo ^ (lo >> 11) ^ hi ^ t ^ (j * 37));
		}
		SetMem(&v, sizeof v, 0);
		ps_gen_mac(rnd, v.b);
		v.len = 6;
		rc = ps_obj_set_value(s->buf, s->edit_cap, nic, PS_OBJ_NIC, f,
				      &v, e);
		if (rc != PS_ERR_DUPLICATE)
			break;
	}
	return rc;
}

static void nic_cmd(struct setup *s, int vm, const char *arg)
{
	struct ps_cfg_err e;
	int add = !memcmp(arg, "add ", 4), el, rc;
	const char *name = arg + 4;
	size_t n = ps__slen(name);

	SetMem(&e, sizeof e, 0);
	if (!add && memcmp(arg, "del ", 4)) {
		con_put("usage: nic add NAME | nic del NAME\n");
		return;
	}
	if (add) {
		el = ps_obj_create(s->buf, s->edit_cap, vm, PS_OBJ_NIC, name,
				   n, &e);
		rc = el < 0 ? el : give_mac(s, el, &e);
	} else {
		el = ps_obj_find(s->buf, vm, PS_OBJ_NIC, name, n);
		rc = el < 0 ? el : ps_obj_delete(s->buf, el, PS_OBJ_NIC, &e);
		if (el == PSF_ERR_NOTFOUND)
			e.why = "no such nic";
	}
	if (rc) {
		edit_error(add ? "nic add" : "nic del", "name", name, rc, &e);
		after_fail(s, rc);
		return;
	}
	s->dirty = 1;
	con_put(add ? "nic added (saved with s)\n" : "nic removed (saved with s)\n");
}

static void set_cmd(struct setup *s, int vm, const char *line)
{
	const char *eq = line;
	struct ps_cfg_err e;
	int rc;

	while (*eq && *eq != '=')
		eq++;
	if (!*eq || eq == line) {
		con_put("type FIELD=VALUE, e.g. memory=2G\n");
		return;
	}
	SetMem(&e, sizeof e, 0);
	if (!is_editable(line, (size_t)(eq - line))) {
		con_putn(line, (size_t)(eq - line));
		con_put(": not editable in setup (use psctl)\n");
		return;
	}
	rc = ps_obj_set(s->buf, s->edit_cap, vm, PS_OBJ_VM, line,
			(size_t)(eq - line), eq + 1, ps__slen(eq + 1), &e);
	if (rc) {
		char f[32];
		size_t n = (size_t)(eq - line) < sizeof f - 1 ?
			   (size_t)(eq - line) : sizeof f - 1;

		CopyMem(f, (void *)line, n);
		f[n] = 0;
		edit_error("vm set", f, eq + 1, rc, &e);
		after_fail(s, rc);
		return;
	}
	s->dirty = 1;
	con_put("changed (saved with s)\n");
}

static void vm_show(const struct setup *s, int vm)
{
	const void *buf = s->buf;
	char name[PS_CFG_NAME_MAX + 1];
	int el = -1;

	ps_obj_key(buf, vm, PS_OBJ_VM, name, sizeof name);
	con_put("\nvm '");
	con_put(name);
	con_put("'\n");
	show_fields(buf, vm, PS_OBJ_VM);
	while ((el = ps_obj_next(buf, vm, PS_OBJ_NIC, el)) >= 0) {
		ps_obj_key(buf, el, PS_OBJ_NIC, name, sizeof name);
		con_put("  nic '");
		con_put(name);
		con_put("'\n");
		show_fields(buf, el, PS_OBJ_NIC);
	}
	el = -1;
	while ((el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) >= 0) {
		con_put("  serial port (read-only)\n");
		show_fields(buf, el, PS_OBJ_SERIAL);
	}
}

static void vm_screen(struct setup *s, uint32_t no)
{
	char line[300];
	int vm = find_vm(s, no);

	if (vm < 0) {
		con_put("no such vm\n");
		return;
	}
	for (;;) {
		vm_show(s, vm);
		if (s->read_only)
			con_put("read-only: b back\n");
		else
			con_put("FIELD=VALUE change (name description memory "
				"cpus power boot pxe); nic add NAME; "
				"nic del NAME; b back\n");
		con_line("vm> ", line, sizeof line);
		if (!line[0])
			continue;
		if (!memcmp(line, "b", 2))
			return;
		if (s->read_only)
			con_put("the store is read-only here\n");
		else if (!memcmp(line, "nic ", 4))
			nic_cmd(s, vm, line + 4);
		else
			set_cmd(s, vm, line);
	}
}

static void profiles(const struct setup *s)
{
	char name[PS_CFG_NAME_MAX + 1];
	int el = -1;

	con_put("\nprofiles (read-only)\n");
	while ((el = ps_obj_next(s->buf, psf_root(s->buf), PS_OBJ_PROFILE,
				 el)) >= 0) {
		ps_obj_key(s->buf, el, PS_OBJ_PROFILE, name, sizeof name);
		con_put("  profile '");
		con_put(name);
		con_put("'\n");
		show_fields(s->buf, el, PS_OBJ_PROFILE);
	}
}

static uint32_t number(const char *s)
{
	uint64_t v = 0;

	if (ps_parse_uint(s, ps__slen(s), 1, 100000, &v, NULL))
		return 0;
	return (uint32_t)v;
}

void ui_run(struct setup *s)
{
	char line[300];

	for (;;) {
		vm_list(s);
		con_put("NUMBER open a VM; k keys; p profiles; s save; "
			"d drop changes; q quit\n");
		con_line("setup> ", line, sizeof line);
		if (!memcmp(line, "q", 2)) {
			if (!s->dirty)
				return;
			con_line("unsaved changes: quit anyway? (y/n) ", line,
				 sizeof line);
			if (!memcmp(line, "y", 2))
				return;
		} else if (!memcmp(line, "k", 2)) {
			disc_show(s);
		} else if (!memcmp(line, "p", 2)) {
			profiles(s);
		} else if (!memcmp(line, "s", 2)) {
			save_commit(s);
		} else if (!memcmp(line, "d", 2)) {
			disc_reload(s);
			con_put("changes dropped\n");
		} else if (number(line)) {
			vm_screen(s, number(line));
		} else if (line[0]) {
			con_put("unknown command '");
			con_put(line);
			con_put("'\n");
		}
	}
}
