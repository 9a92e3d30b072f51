/*
 * test_hvindex.c - hvagent's sorted index (hvagent/hv_index.c), which the
 * reconcile pass looks pairs, records and images up by: duplicates (the
 * first added is found, the others follow in the order added), missing
 * keys (absent, a prefix, a longer key, an empty index), byte ordering
 * (prefixes first, bytes unsigned), keys added after a lookup, many
 * UUIDs; then a pass over VMs whose image names are prefixes of each
 * other, each domain getting its own image's path through the index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv.h"
#include "hv_test_util.h"

static const struct hv_index_ent *find_s(struct hv_index *x, const char *k)
{
	return hv_index_find(x, k, strlen(k));
}

static void test_duplicates_first_added(void **state)
{
	struct hv_index x;
	const struct hv_index_ent *e;

	(void)state;
	hv_index_init(&x);
	assert_int_equal(hv_index_add(&x, "b", 1, 10), 0);
	assert_int_equal(hv_index_add(&x, "a", 1, 11), 0);
	assert_int_equal(hv_index_add(&x, "b", 1, 12), 0);
	assert_int_equal(hv_index_add(&x, "c", 1, 13), 0);
	assert_int_equal(hv_index_add(&x, "b", 1, 14), 0);
	e = find_s(&x, "b");
	assert_non_null(e);
	assert_int_equal(e->val, 10);
	e = hv_index_next(&x, e);
	assert_non_null(e);
	assert_int_equal(e->val, 12);
	e = hv_index_next(&x, e);
	assert_non_null(e);
	assert_int_equal(e->val, 14);
	assert_null(hv_index_next(&x, e));
	/* The only entry of its key has no next. */
	assert_null(hv_index_next(&x, find_s(&x, "a")));
	assert_null(hv_index_next(&x, find_s(&x, "c")));
	hv_index_free(&x);
}

static void test_missing(void **state)
{
	struct hv_index x;

	(void)state;
	hv_index_init(&x);
	assert_null(find_s(&x, "img1"));             /* empty index */
	assert_int_equal(hv_index_add(&x, "img1", 4, 1), 0);
	assert_int_equal(hv_index_add(&x, "img3", 4, 3), 0);
	assert_null(find_s(&x, "img2"));             /* between two */
	assert_null(find_s(&x, "img0"));             /* before all */
	assert_null(find_s(&x, "img4"));             /* after all */
	assert_null(find_s(&x, "img"));              /* a prefix */
	assert_null(find_s(&x, "img10"));            /* longer */
	assert_null(find_s(&x, ""));
	assert_int_equal(find_s(&x, "img3")->val, 3);
	hv_index_free(&x);
	assert_int_equal(x.n, 0);
	assert_null(find_s(&x, "img3"));             /* freed: empty */
}

static void test_ordering(void **state)
{
	static const char *const in[] = { "img2", "img10", "", "img1", "img",
					  "Img", "img1\x80", "img1\x01" };
	/* 0x80 after '0' (0x30): bytes compare unsigned. */
	static const char *const sorted[] = { "", "Img", "img", "img1",
					      "img1\x01", "img10", "img1\x80",
					      "img2" };
	struct hv_index x;
	size_t i;

	(void)state;
	hv_index_init(&x);
	for (i = 0; i < 8; i++)
		assert_int_equal(hv_index_add(&x, in[i], strlen(in[i]), i), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(find_s(&x, in[i])->val, i);
	/* Bytes, unsigned, a key before every longer key it begins. */
	for (i = 0; i < 8; i++) {
		assert_int_equal(x.e[i].len, strlen(sorted[i]));
		assert_memory_equal(x.e[i].key, sorted[i], x.e[i].len);
	}
	hv_index_free(&x);
}

static void test_add_after_lookup(void **state)
{
	struct hv_index x;

	(void)state;
	hv_index_init(&x);
	assert_int_equal(hv_index_add(&x, "m", 1, 1), 0);
	assert_int_equal(find_s(&x, "m")->val, 1);
	assert_null(find_s(&x, "a"));
	assert_int_equal(hv_index_add(&x, "a", 1, 2), 0);
	assert_int_equal(hv_index_add(&x, "m", 1, 3), 0);
	assert_int_equal(find_s(&x, "a")->val, 2);
	/* Still the first added of "m", though added before the sort. */
	assert_int_equal(find_s(&x, "m")->val, 1);
	assert_int_equal(hv_index_next(&x, find_s(&x, "m"))->val, 3);
	hv_index_free(&x);
}

static void test_many_uuids(void **state)
{
	enum { N = 5000 };
	uint8_t (*u)[16] = malloc(N * sizeof *u);
	struct hv_index x;
	uint8_t miss[16];
	size_t i;

	(void)state;
	assert_non_null(u);
	hv_index_init(&x);
	/* The benchmark's UUIDs: equal but for the last bytes. */
	for (i = 0; i < N; i++) {
		memset(u[i], 0x11, 16);
		u[i][14] = (uint8_t)(i >> 8);
		u[i][15] = (uint8_t)i;
		assert_int_equal(hv_index_add(&x, u[i], 16, i), 0);
	}
	for (i = 0; i < N; i++)
		assert_int_equal(hv_index_find(&x, u[i], 16)->val, i);
	memcpy(miss, u[N - 1], 16);
	miss[13] = 0x12;
	assert_null(hv_index_find(&x, miss, 16));
	hv_index_free(&x);
	free(u);
}

/* ------------------------------------------------------------ in a pass */

#define NVM 12

static int edit_vms(void *buf, size_t cap, void *arg)
{
	struct ps_cfg_err e;
	int root = psf_root(buf), vm, el;
	char name[32], v[64];
	unsigned i;

	(void)arg;
	/* Created in reverse, so the images are not in name order either:
	 * img11, img10, ..., img1, img0 (img1 a prefix of img10, img11). */
	for (i = NVM; i-- > 0;) {
		snprintf(name, sizeof name, "img%u", i);
		el = ps_obj_create(buf, cap, root, PS_OBJ_IMAGE, name,
				   strlen(name), &e);
		snprintf(v, sizeof v, "/srv/disk-%u.img", i);
		assert_true(el >= 0);
		assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_IMAGE, "path",
					    4, v, strlen(v), &e), 0);
		snprintf(name, sizeof name, "vm%u", i);
		vm = ps_obj_create(buf, cap, root, PS_OBJ_VM, name,
				   strlen(name), &e);
		snprintf(v, sizeof v, "7a000000-0000-4000-8000-%012u", i);
		assert_true(vm >= 0);
		assert_int_equal(ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4,
					    v, strlen(v), &e), 0);
		vm = ps_obj_find(buf, root, PS_OBJ_VM, name, strlen(name));
		el = ps_obj_create(buf, cap, vm, PS_OBJ_CONTROLLER, "root", 4,
				   &e);
		snprintf(name, sizeof name, "img%u", i);
		assert_true(el >= 0);
		assert_int_equal(ps_obj_set(buf, cap, el, PS_OBJ_CONTROLLER,
					    "image", 5, name, strlen(name), &e),
				 0);
	}
	return 0;
}

static void test_pass_images_by_name(void **state)
{
	struct hv_env *v = hv_env_new(edit_vms, HV_ADOPT_NONE);
	struct hv_stats st;
	char name[32], want[64];
	unsigned i;

	(void)state;
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.defines, NVM);
	assert_int_equal(st.commits, 1);
	for (i = 0; i < NVM; i++) {
		char *x;

		snprintf(name, sizeof name, "vm%u", i);
		snprintf(want, sizeof want, "<source file='/srv/disk-%u.img'/>",
			 i);
		x = hv_env_dom_xml(v, name);
		assert_non_null(strstr(x, want));
		free(x);
	}
	/* Every pair found its record again: nothing to do. */
	assert_int_equal(hv_sync_pass(&v->s, &st), 0);
	assert_int_equal(st.defines, 0);
	assert_int_equal(st.commits, 0);
	hv_env_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicates_first_added),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_add_after_lookup),
		cmocka_unit_test(test_many_uuids),
		cmocka_unit_test(test_pass_images_by_name),
	};

	hv_log_set_level(HV_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
