/*
 * ps_dl.c - the table-driven loader of ps_dl.h: libraries opened on first
 * use, every slot of a table filled or none.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ps_dl.h"

/* One lock for every table: loads are rare (once a table) and short. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The libraries a load has opened, by the row string that named them. */
struct opened {
	const char *lib[PS_DL_MAX_LIBS];
	const char *soname[PS_DL_MAX_LIBS]; /* the alternative that opened */
	size_t soname_len[PS_DL_MAX_LIBS];
	void *h[PS_DL_MAX_LIBS];
	size_t n;
};

/* Open the first of lib's space-separated sonames that opens: the handle
 * and which one it was, or NULL with why. */
static void *open_one(const char *lib, const char **name, size_t *len,
		      char *why, size_t whylen)
{
	const char *p = lib, *e = NULL;
	char so[256];
	void *h;

	for (;;) {
		p += strspn(p, " ");
		*len = strcspn(p, " ");
		if (!*len)
			break;
		snprintf(so, sizeof so, "%.*s", (int)*len, p);
		h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
		if (h) {
			*name = p;
			return h;
		}
		e = dlerror(); /* names the soname it could not open */
		p += *len;
	}
	if (!e)
		snprintf(why, whylen, "'%s': no library named", lib);
	else if (strchr(lib, ' '))
		snprintf(why, whylen, "none of %s opens: %s", lib, e);
	else
		snprintf(why, whylen, "%s", e);
	return NULL;
}

/* The handle for row string lib, opened now if no earlier row named it. */
static int handle(struct opened *o, const char *lib, size_t *i, char *why,
		  size_t whylen)
{
	for (*i = 0; *i < o->n; (*i)++)
		if (!strcmp(o->lib[*i], lib))
			return 0;
	if (o->n == PS_DL_MAX_LIBS) {
		snprintf(why, whylen, "%s: more than %d libraries in one table",
			 lib, PS_DL_MAX_LIBS);
		return -1;
	}
	o->h[*i] = open_one(lib, &o->soname[*i], &o->soname_len[*i], why,
			    whylen);
	if (!o->h[*i])
		return -1;
	o->lib[*i] = lib;
	o->n++;
	return 0;
}

/* Every row's function looked up; with fill, its address written to its
 * slot.  -1 with why: a library that does not open, a function it lacks. */
static int resolve(const struct ps_dl_table *t, struct opened *o, int fill,
		   char *why, size_t whylen)
{
	size_t r, i;
	void *p;

	for (r = 0; r < t->n; r++) {
		if (handle(o, t->rows[r].lib, &i, why, whylen))
			return -1;
		p = dlsym(o->h[i], t->rows[r].name);
		if (!p) {
			snprintf(why, whylen, "%.*s: no symbol %s",
				 (int)o->soname_len[i], o->soname[i],
				 t->rows[r].name);
			return -1;
		}
		/* dlsym's void * into the function pointer: the same size
		 * on every POSIX system (PS_DL_SYM checks it), no cast. */
		if (fill)
			memcpy(t->rows[r].slot, &p, sizeof p);
	}
	return 0;
}

/* All or nothing: every function is found before any slot is written. */
static int first_load(struct ps_dl_table *t)
{
	struct opened o = { .n = 0 };

	if (resolve(t, &o, 0, t->why, sizeof t->why)) {
		while (o.n)
			dlclose(o.h[--o.n]);
		return -1;
	}
	resolve(t, &o, 1, t->why, sizeof t->why);
	return 1;
}

int ps_dl_load(struct ps_dl_table *t, char *err, size_t errlen)
{
	int state;

	pthread_mutex_lock(&lock);
	if (t->state == 0)
		t->state = first_load(t);
	state = t->state;
	pthread_mutex_unlock(&lock);
	if (state > 0)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", t->why);
	return -1;
}
