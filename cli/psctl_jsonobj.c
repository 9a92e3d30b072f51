/*
 * psctl_jsonobj.c - store objects as typed JSON (psctl_jsonw.h, "Store
 * objects"): one rule for every list and show, local or through a BMC.
 *
 * Every value starts as the library's text (ps_obj_get, the form `show`
 * prints) and is typed by the field's type in the field table; numbers
 * are read back with the library's own parsers (ps_parse_size,
 * ps_field_parse), so there is one reader of the record and one table of
 * fields.
 */
#include <stdlib.h>
#include <string.h>

#include "psctl_jsonw.h"
#include "psctl_util.h"

/* ps_obj_get's text, whole: on the stack, or malloc'd when longer (a
 * full restart log).  Free with text_free. */
struct text {
	char small[1024];
	char *s;
	size_t n;
};

static void text_get(struct text *t, const void *buf, int el,
		     const struct ps_field *fd)
{
	t->s = t->small;
	t->n = ps_obj_get(buf, el, fd, t->small, sizeof t->small);
	if (t->n < sizeof t->small)
		return;
	t->s = malloc(t->n + 1);
	if (t->s)
		ps_obj_get(buf, el, fd, t->s, t->n + 1);
	else
		t->s = t->small, t->n = sizeof t->small - 1;
}

static void text_free(struct text *t)
{
	if (t->s != t->small)
		free(t->s);
}

/* A part of a list's text, [s, s + n), as a JSON number when it is one. */
static void part_num(struct psctl_jw *w, const char *s, size_t n)
{
	char b[32];

	if (n >= sizeof b) {
		psctl_jw_strn(w, s, n);
		return;
	}
	memcpy(b, s, n);
	b[n] = 0;
	psctl_jw_num_text(w, b);
}

/* "A/B" as {ka: "A", kb: B}; B a number (a LUN) when num and it is one:
 * a LUN is written in decimal (at most 5 digits) or as 16 hex digits. */
static void pair(struct psctl_jw *w, const char *s, size_t n,
		 const char *ka, const char *kb, int num)
{
	const char *sl = memchr(s, '/', n);
	size_t a = sl ? (size_t)(sl - s) : n, bl = sl ? n - a - 1 : 0;

	psctl_jw_obj(w, 0);
	psctl_jw_key(w, ka);
	psctl_jw_strn(w, s, a);
	psctl_jw_key(w, kb);
	if (num && bl <= 5)
		part_num(w, sl + 1, bl);
	else
		psctl_jw_strn(w, sl ? sl + 1 : s + n, bl);
	psctl_jw_end(w);
}

/* One restart-log entry, "TIME ACTION#ATTEMPT CAUSE" (ps_obj_get). */
static void rlog_entry(struct psctl_jw *w, const char *s, size_t n)
{
	const char *end = s + n, *sp = memchr(s, ' ', n), *hash, *sp2;

	sp = sp ? sp : end;
	hash = memchr(sp, '#', (size_t)(end - sp));
	hash = hash ? hash : end;
	sp2 = memchr(hash, ' ', (size_t)(end - hash));
	sp2 = sp2 ? sp2 : end;
	psctl_jw_obj(w, 0);
	psctl_jw_key(w, "time");
	psctl_jw_strn(w, s, (size_t)(sp - s));
	psctl_jw_key(w, "action");
	part_num(w, sp + (sp < end), (size_t)(hash - sp - (sp < end)));
	psctl_jw_key(w, "attempt");
	part_num(w, hash + (hash < end), (size_t)(sp2 - hash - (hash < end)));
	psctl_jw_key(w, "cause");
	part_num(w, sp2 + (sp2 < end), (size_t)(end - sp2 - (sp2 < end)));
	psctl_jw_end(w);
}

/* A list field's text (items separated by sep) as an array. */
static void list(struct psctl_jw *w, const struct ps_field *fd,
		 const char *s, size_t n)
{
	const char *sep = fd->type == PS_FT_RLOG ? ", " : ",";
	size_t sl = strlen(sep), k;

	psctl_jw_arr(w, 0);
	while (n) {
		const char *e = strstr(s, sep);

		k = e ? (size_t)(e - s) : n;
		if (fd->type == PS_FT_WWNLIST)
			pair(w, s, k, "wwnn", "wwpn", 0);
		else if (fd->type == PS_FT_FCBOOT)
			pair(w, s, k, "wwpn", "lun", 1);
		else if (fd->type == PS_FT_RLOG)
			rlog_entry(w, s, k);
		else
			psctl_jw_strn(w, s, k);
		if (!e)
			break;
		s = e + sl;
		n -= k + sl;
	}
	psctl_jw_end(w);
}

/* A number the library printed with a unit (size, duration), as the
 * integer its own parser reads back; the text when it does not parse. */
static void unit_num(struct psctl_jw *w, const struct ps_field *fd,
		     const char *s, size_t n)
{
	struct ps_value v;
	uint64_t bytes;

	if (fd->type == PS_FT_SIZE && !ps_parse_size(s, n, 1, &bytes, NULL)) {
		psctl_jw_uint(w, bytes);
		return;
	}
	memset(&v, 0, sizeof v);
	if (fd->type == PS_FT_DURATION && !ps_field_parse(fd, s, n, &v, NULL))
		psctl_jw_uint(w, v.u);
	else
		psctl_jw_strn(w, s, n);
}

static int is_list(const struct ps_field *fd)
{
	return fd->type == PS_FT_BOOT || fd->type == PS_FT_MACLIST ||
	       fd->type == PS_FT_WWNLIST || fd->type == PS_FT_FCBOOT ||
	       fd->type == PS_FT_RLOG;
}

void psctl_jw_field(struct psctl_jw *w, const void *buf, int el,
		    const struct ps_field *fd)
{
	struct text t;

	/* Kept in a container the object lacks: absent, whatever its type
	 * (ps_obj_get reads an integer there as 0). */
	if (fd->in && psf_find_child(buf, el, fd->in) < 0 && !is_list(fd)) {
		psctl_jw_null(w);
		return;
	}
	text_get(&t, buf, el, fd);
	if (is_list(fd))
		list(w, fd, t.s, t.n);
	else if (fd->type == PS_FT_BOOL || fd->type == PS_FT_PRESENCE)
		psctl_jw_bool(w, !strcmp(t.s, "on"));
	else if (fd->type == PS_FT_UINT || fd->type == PS_FT_ENUM)
		psctl_jw_num_text(w, t.s);
	else if (fd->type == PS_FT_SIZE || fd->type == PS_FT_DURATION)
		unit_num(w, fd, t.s, t.n);
	else if (!t.n)
		psctl_jw_null(w);
	else
		psctl_jw_strn(w, t.s, t.n);
	text_free(&t);
}

void psctl_jw_fields(struct psctl_jw *w, const void *buf, int el,
		     enum ps_obj k)
{
	const struct ps_field *fd;

	for (fd = ps_obj_fields(k); fd->name; fd++) {
		psctl_jw_key(w, fd->name);
		psctl_jw_field(w, buf, el, fd);
	}
}

/* Recursive once: a VM's parts are no VMs. */
void psctl_jw_object(struct psctl_jw *w, const void *buf, int el,
		     enum ps_obj k, const char *vm)
{
	size_t i;

	psctl_jw_obj(w, 0);
	if (vm) {
		psctl_jw_key(w, "vm");
		psctl_jw_str(w, vm);
	}
	psctl_jw_fields(w, buf, el, k);
	if (k == PS_OBJ_VM) {
		/* hvagent's mark, not a field: `libvirt_delete = keep`. */
		psctl_jw_key(w, "libvirt-undefined");
		psctl_jw_bool(w, psctl_vm_kept(buf, el));
		psctl_vm_move_json(w, buf, el);
	}
	for (i = 0; k == PS_OBJ_VM && i < PSCTL_VM_PARTS; i++) {
		psctl_jw_key(w, psctl_vm_part_names[i]);
		psctl_jw_objects(w, buf, el, psctl_vm_parts[i]);
	}
	psctl_jw_end(w);
}

void psctl_jw_objects(struct psctl_jw *w, const void *buf, int parent,
		      enum ps_obj k)
{
	int el;

	psctl_jw_arr(w, 0);
	for (el = ps_obj_next(buf, parent, k, -1); el >= 0;
	     el = ps_obj_next(buf, parent, k, el))
		psctl_jw_object(w, buf, el, k, NULL);
	psctl_jw_end(w);
}
