/*
 * test_pool_rules.c - the rules of address pools (pstate/ps_pool.h,
 * pstate/ps_pool_rules.c): identifiers of each kind, ranges, overlap,
 * membership, records; and the whole-store check of a pool's records
 * (ps_cfg_check): a bad range, two ranges that overlap or share a name,
 * a reservation that is malformed, outside every range or twice, a bad
 * spare pool -- each one line naming the record, and a sound pool none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "psf.h"
#include "psf_schema.h"
#include "pstate.h"
#include "ps_test_util.h"

static struct ps_pool_range mk(const char *kind, const char *a,
			       const char *b)
{
	struct ps_pool_range r;
	char why[PS_POOL_WHY_MAX];

	assert_int_equal(ps_pool_range_make(&r, "r", kind, a, b, why,
					    sizeof why), 0);
	return r;
}

static void refused(const char *kind, const char *a, const char *b,
		    const char *want)
{
	struct ps_pool_range r;
	char why[PS_POOL_WHY_MAX];

	assert_int_equal(ps_pool_range_make(&r, "r", kind, a, b, why,
					    sizeof why), PS_ERR_BADVALUE);
	if (!strstr(why, want))
		fail_msg("'%s' lacks '%s'", why, want);
}

static void test_kinds(void **state)
{
	struct ps_pool_range m = mk("mac", "02:00:5E:00:00:FE",
				    "02:00:5e:00:01:01");
	struct ps_pool_range w = mk("wwn", "20:00:00:25:b5:00:00:01",
				    "20:00:00:25:b5:00:00:ff");
	struct ps_pool_range u = mk("uuid",
				    "6a0f1e2d-3c4b-4a59-8687-0000000000fe",
				    "6a0f1e2d-3c4b-4a59-8687-000000000101");
	struct ps_pool_range s = mk("serial", "SN-0098", "SN-0102");
	struct ps_pool_id v;
	char t[PS_POOL_ID_MAX];

	(void)state;
	assert_int_equal(ps_pool_size(&m), 4);
	v = m.first;
	assert_int_equal(ps_pool_next(&m, &v), 1);
	ps_pool_id_fmt(&m, v, t, sizeof t);
	assert_string_equal(t, "02:00:5e:00:00:ff");
	assert_int_equal(ps_pool_next(&m, &v), 1);
	ps_pool_id_fmt(&m, v, t, sizeof t);
	assert_string_equal(t, "02:00:5e:00:01:00");   /* carries a byte */
	v = m.last;
	assert_int_equal(ps_pool_next(&m, &v), 0);      /* past the end   */
	assert_int_equal(ps_pool_size(&w), 255);
	ps_pool_id_fmt(&u, u.last, t, sizeof t);
	assert_string_equal(t, "6a0f1e2d-3c4b-4a59-8687-000000000101");
	ps_pool_id_fmt(&s, s.first, t, sizeof t);
	assert_string_equal(t, "SN-0098");               /* width kept     */
	assert_int_equal(ps_pool_size(&s), 5);
	assert_string_equal(ps_pool_kind_name(PS_POOL_SERIAL), "serial");
	assert_int_equal(ps_pool_kind_parse("wwn", 3), PS_POOL_WWN);
	assert_int_equal(ps_pool_kind_parse("wwnn", 3), PS_POOL_WWN);
	assert_int_equal(ps_pool_kind_parse("ip", 2), -1);
}

static void test_refused(void **state)
{
	(void)state;
	refused("mac", "02:00:00:00:00:09", "02:00:00:00:00:01",
		"first '02:00:00:00:00:09' is after last "
		"'02:00:00:00:00:01'");
	refused("mac", "02:00:00:00:00:01", "zz", "last 'zz': ");
	refused("ip", "1", "2", "kind 'ip': not mac, wwn, uuid or serial");
	refused("serial", "SN0001", "SX0009", "one prefix");
	refused("serial", "SN001", "SN0009", "one number of digits");
	refused("serial", "SN", "SN9", "end in digits");
	refused("serial", "SN0000000000000000001", "SN0000000000000000009",
		"too long");
	refused("uuid", "6a0f1e2d-3c4b-4a59-8687-000000000001",
		"6a0f1e2d-3c4b-4a5a-8687-000000000001", "last 16 hex digits");
}

static void test_overlap(void **state)
{
	struct ps_pool_range a = mk("mac", "02:00:00:00:00:01",
				    "02:00:00:00:00:10");
	struct ps_pool_range b = mk("mac", "02:00:00:00:00:10",
				    "02:00:00:00:00:20");
	struct ps_pool_range c = mk("mac", "02:00:00:00:00:11",
				    "02:00:00:00:00:20");
	struct ps_pool_range d = mk("wwn", "00:00:02:00:00:00:00:01",
				    "00:00:02:00:00:00:00:10");
	struct ps_pool_range s1 = mk("serial", "SN0001", "SN0100");
	struct ps_pool_range s2 = mk("serial", "SN0100", "SN0200");
	struct ps_pool_range s3 = mk("serial", "SN00001", "SN00100");
	struct ps_pool_range s4 = mk("serial", "XN0001", "XN0100");
	struct ps_pool_range s5 = mk("serial", "SN10001", "SN10099");
	struct ps_pool_range s6 = mk("serial", "SN00050", "SN00099");

	(void)state;
	assert_true(ps_pool_overlap(&a, &b));  /* one shared identifier  */
	assert_true(ps_pool_overlap(&b, &a));
	assert_false(ps_pool_overlap(&a, &c)); /* adjacent               */
	assert_true(ps_pool_overlap(&a, &a));
	assert_false(ps_pool_overlap(&a, &d)); /* another kind           */
	assert_true(ps_pool_overlap(&s1, &s2));
	assert_false(ps_pool_overlap(&s1, &s3)); /* another width        */
	assert_false(ps_pool_overlap(&s1, &s4)); /* another prefix       */
	/* SN1 + 4 digits lies in SN + 5 digits: SN10001-SN10099. */
	assert_true(ps_pool_overlap(&s3, &s5) == 0);
	assert_true(ps_pool_overlap(&s6, &s3));
}

static void test_contains(void **state)
{
	struct ps_pool_range m = mk("mac", "02:00:00:00:00:01",
				    "02:00:00:00:00:10");
	struct ps_pool_range s = mk("serial", "SN0001", "SN0100");
	struct ps_pool_id v;

	(void)state;
	assert_true(ps_pool_contains(&m, PS_POOL_MAC, "02:00:00:00:00:10", 17,
				     &v));
	assert_false(ps_pool_contains(&m, PS_POOL_MAC, "02:00:00:00:00:11",
				      17, &v));
	assert_false(ps_pool_contains(&m, PS_POOL_WWN,
				      "00:00:02:00:00:00:00:01", 23, &v));
	assert_false(ps_pool_contains(&m, PS_POOL_MAC, "garbage", 7, &v));
	assert_true(ps_pool_contains(&s, PS_POOL_SERIAL, "SN0042", 6, &v));
	assert_int_equal(v.lo, 42);
	assert_false(ps_pool_contains(&s, PS_POOL_SERIAL, "SN00042", 7, &v));
	assert_false(ps_pool_contains(&s, PS_POOL_SERIAL, "SN0101", 6, &v));
	assert_false(ps_pool_contains(&s, PS_POOL_SERIAL, "SN00x2", 6, &v));
}

static void test_records(void **state)
{
	struct ps_pool_range r = mk("wwn", "20:00:00:25:b5:00:00:01",
				    "20:00:00:25:b5:00:0f:ff"), back;
	struct ps_pool_resv v;
	char t[300], why[PS_POOL_WHY_MAX];
	const char *resv = "mac 02:00:00:00:00:01 web", *w;
	size_t wn;

	(void)state;
	ps_pool_range_text(&r, t, sizeof t);
	assert_string_equal(t, "r wwn 20:00:00:25:b5:00:00:01 "
			    "20:00:00:25:b5:00:0f:ff");
	assert_int_equal(ps_pool_range_rec(t, strlen(t), &back, why,
					   sizeof why), 0);
	assert_int_equal(ps_pool_id_cmp(back.last, r.last), 0);
	assert_int_equal(ps_pool_range_rec("r wwn 1", 7, &back, why,
					   sizeof why), PS_ERR_BADVALUE);
	assert_string_equal(why, "not NAME KIND FIRST LAST");
	assert_int_equal(ps_pool_resv_rec(resv, strlen(resv), &v, why,
					  sizeof why), 0);
	assert_int_equal(v.kind, PS_POOL_MAC);
	assert_string_equal(v.id, "02:00:00:00:00:01");
	assert_string_equal(v.holder, "web");
	ps_pool_resv_text(PS_POOL_MAC, "02:00:00:00:00:01", "web", t,
			  sizeof t);
	assert_string_equal(t, resv);
	ps_pool_resv_text(PS_POOL_MAC, "02:00:00:00:00:01", NULL, t, sizeof t);
	assert_string_equal(t, "mac 02:00:00:00:00:01 -");
	/* Bad states of a reservation: an unknown kind, another spelling
	 * of the identifier (it would be another etcd key), a bad holder. */
	assert_int_equal(ps_pool_resv_rec("ip 1 web", 8, &v, why, sizeof why),
			 PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "kind 'ip'"));
	assert_int_equal(ps_pool_resv_rec("mac 02:00:00:00:00:0A -", 23, &v,
					  why, sizeof why), PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "not in the form psctl prints it"));
	assert_int_equal(ps_pool_resv_rec("mac 02:00:00:00:00:0a a/b", 25, &v,
					  why, sizeof why), PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "holder 'a/b'"));
	/* Names as every name: up to 64 characters, a holder too. */
	memset(t, 'p', 64);
	memcpy(t + 64, " mac 02:00:00:00:00:01 02:00:00:00:00:02", 41);
	assert_int_equal(ps_pool_range_rec(t, strlen(t), &back, why,
					   sizeof why), 0);
	assert_int_equal(strlen(back.name), 64);
	memcpy(t, "mac 02:00:00:00:00:01 ", 22);
	memset(t + 22, 'p', 64);
	t[86] = 0;
	assert_int_equal(ps_pool_resv_rec(t, strlen(t), &v, why, sizeof why),
			 0);
	assert_int_equal(strlen(v.holder), 64);
	t[86] = 'p';
	t[87] = 0;
	assert_int_equal(ps_pool_resv_rec(t, strlen(t), &v, why, sizeof why),
			 PS_ERR_BADVALUE);
	assert_non_null(strstr(why, "longer than 64 characters"));
	assert_int_equal(ps_pool_word("  a  bb c", 9, 1, &w, &wn), 1);
	assert_int_equal(wn, 2);
	assert_memory_equal(w, "bb", 2);
	assert_int_equal(ps_pool_word("a b", 3, 2, &w, &wn), 0);
}

/* ---- the whole-store check */

#define CAP 8192

/* A store with a POOL_STATE of the records given (sig, text), NULL-
 * ended; ps_cfg_check's lines (and ps_cfg_check_host's, which must be
 * the same) into m. */
struct rec {
	uint32_t sig;
	const char *text;
};

static int check_store(const uint8_t *buf, uint32_t len, struct pst_msgs *m);

static int check(const struct rec *recs, struct pst_msgs *m)
{
	static uint8_t buf[CAP];
	struct psf_builder b;
	int len;

	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_POOL_STATE);
	for (; recs->text; recs++)
		psf_build_string(&b, recs->sig, recs->text);
	psf_build_close(&b);
	len = psf_build_finish(&b);
	assert_true(len > 0);
	return check_store(buf, (uint32_t)len, m);
}

static int check_store(const uint8_t *buf, uint32_t len, struct pst_msgs *m)
{
	struct pst_msgs h;
	int n;

	memset(m, 0, sizeof *m);
	memset(&h, 0, sizeof h);
	n = ps_cfg_check(buf, len, pst_collect, m);
	assert_int_equal(ps_cfg_check_host(buf, len, pst_collect, &h), n);
	assert_string_equal(h.all, m->all);
	return n;
}

#define R(t) { PSF_POOL_RANGE, t }
#define V(t) { PSF_POOL_RESV, t }
#define S(t) { PSF_POOL_SPARES, t }
#define END { 0, NULL }

static void test_check_sound(void **state)
{
	const struct rec ok[] = {
		R("macs mac 02:00:5e:40:00:01 02:00:5e:40:00:ff"),
		R("more mac 02:00:5e:40:01:00 02:00:5e:40:01:ff"),
		R("sn serial SN0001 SN0999"), R("sn1 serial SN10000 SN19999"),
		V("mac 02:00:5e:40:00:01 web"), V("mac 02:00:5e:40:01:00 -"),
		V("serial SN0042 db"), S("rack4 hb#vm3 bmc://10.0.4.17"),
		END,
	};
	struct pst_msgs m;

	(void)state;
	assert_int_equal(check(ok, &m), 0);
}

static void test_check_overlap(void **state)
{
	const struct rec bad[] = {
		R("macs mac 02:00:5e:40:00:01 02:00:5e:40:00:ff"),
		R("wide mac 02:00:5e:40:00:f0 02:00:5e:40:01:ff"),
		R("sn serial SN0001 SN0999"), R("sn1 serial SN0500 SN1200"),
		END,
	};
	struct pst_msgs m;

	(void)state;
	assert_int_equal(check(bad, &m), 2);
	assert_string_equal(m.all,
		"pool range 'wide': mac 02:00:5e:40:00:f0-02:00:5e:40:01:ff "
		"overlaps range 'macs' (02:00:5e:40:00:01-02:00:5e:40:00:ff): "
		"ranges never overlap\n"
		"pool range 'sn1': serial SN0500-SN1200 overlaps range 'sn' "
		"(SN0001-SN0999): ranges never overlap\n");
}

static void test_check_bad_range(void **state)
{
	const struct rec bad[] = {
		R("macs mac 02:00:5e:40:00:ff 02:00:5e:40:00:01"),
		R("x mac zz 02:00:5e:40:00:01"), R("only three words"),
		R("a/b mac 02:00:5e:40:00:01 02:00:5e:40:00:02"),
		END,
	};
	struct pst_msgs m;

	(void)state;
	assert_int_equal(check(bad, &m), 4);
	assert_non_null(strstr(m.all, "pool range record 1 'macs mac "
			       "02:00:5e:40:00:ff 02:00:5e:40:00:01': first "
			       "'02:00:5e:40:00:ff' is after last "
			       "'02:00:5e:40:00:01'\n"));
	assert_non_null(strstr(m.all, "pool range record 2 'x mac zz "
			       "02:00:5e:40:00:01': first 'zz': "));
	assert_non_null(strstr(m.all, "pool range record 3 'only three "
			       "words': not NAME KIND FIRST LAST\n"));
	assert_non_null(strstr(m.all, "pool range record 4 'a/b mac "
			       "02:00:5e:40:00:01 02:00:5e:40:00:02': range "
			       "name 'a/b': "));
}

static void test_check_bad_state(void **state)
{
	const struct rec bad[] = {
		R("macs mac 02:00:5e:40:00:01 02:00:5e:40:00:ff"),
		V("mac 02:00:5e:40:01:00 web"),     /* in no range      */
		V("wwn 20:00:00:25:b5:00:00:01 -"), /* no wwn range     */
		V("ip 10.0.0.1 -"),                 /* unknown kind     */
		V("mac 02:00:5E:40:00:02 -"),       /* another spelling */
		V("mac 02:00:5e:40:00:03"),         /* no holder        */
		END,
	};
	struct pst_msgs m;

	(void)state;
	assert_int_equal(check(bad, &m), 5);
	assert_string_equal(m.all,
		"pool reservation 'mac 02:00:5e:40:01:00': in no mac range (an "
		"identifier is reserved from a range)\n"
		"pool reservation 'wwn 20:00:00:25:b5:00:00:01': in no wwn "
		"range (an identifier is reserved from a range)\n"
		"pool reservation record 4 'ip 10.0.0.1 -': kind 'ip': not mac, "
		"wwn, uuid or serial\n"
		"pool reservation record 5 'mac 02:00:5E:40:00:02 -': mac "
		"'02:00:5E:40:00:02': not in the form psctl prints it "
		"(lower-case hex, colons)\n"
		"pool reservation record 6 'mac 02:00:5e:40:00:03': not KIND ID "
		"HOLDER\n");
}

static void test_check_duplicate(void **state)
{
	const struct rec bad[] = {
		R("macs mac 02:00:5e:40:00:01 02:00:5e:40:00:ff"),
		R("macs mac 02:00:5e:41:00:01 02:00:5e:41:00:ff"),
		V("mac 02:00:5e:40:00:07 web"), V("mac 02:00:5e:40:00:08 -"),
		V("mac 02:00:5e:40:00:07 db"),
		S("rack4 a"), S("rack4 b"), S("lonely"),
		END,
	};
	struct pst_msgs m;

	(void)state;
	assert_int_equal(check(bad, &m), 4);
	assert_string_equal(m.all,
		"pool range 'macs': defined twice\n"
		"pool reservation 'mac 02:00:5e:40:00:07': reserved twice\n"
		"pool spare pool 'rack4': defined twice\n"
		"pool spare pool record 8 'lonely': not NAME MEMBER...\n");
}

/* An identifier reserved for one profile: the store where another profile
 * holds it fails the check (one line naming the reservation and the
 * holder); the edit layer refuses another profile taking it, naming the
 * reservation, and lets the profile it is reserved for take it; a
 * reservation for no one ("-") holds it for no one. */
static void test_reserved_for(void **state)
{
	static uint8_t buf[CAP];
	const char *x = "02:00:5e:40:00:07", *y = "02:00:5e:40:00:08";
	const char *rx = "mac 02:00:5e:40:00:07 alice";
	const char *ry = "mac 02:00:5e:40:00:08 -";
	struct psf_builder b;
	struct ps_cfg_err e;
	struct pst_msgs m;
	int bob, alice, carol, st;

	(void)state;
	psf_build_begin(&b, buf, CAP, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_POOL_STATE);
	psf_build_string(&b, PSF_POOL_RANGE,
			 "macs mac 02:00:5e:40:00:01 02:00:5e:40:00:ff");
	psf_build_close(&b);
	assert_true(psf_build_finish(&b) > 0);
	/* bob took the MAC before it was reserved for alice (a store as
	 * an import or a BMC element write could bring it) */
	bob = ps_obj_create(buf, CAP, psf_root(buf), PS_OBJ_PROFILE, "bob", 3,
			    NULL);
	assert_true(bob >= 0);
	assert_int_equal(ps_obj_set(buf, CAP, bob, PS_OBJ_PROFILE, "macs", 4,
				    x, strlen(x), NULL), 0);
	st = ps_pool_state(buf);
	assert_true(psf_insert(buf, CAP, st, -1, PSF_POOL_RESV, rx,
			       (uint32_t)strlen(rx)) >= 0);
	assert_true(psf_insert(buf, CAP, ps_pool_state(buf), -1, PSF_POOL_RESV,
			       ry, (uint32_t)strlen(ry)) >= 0);
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(check_store(buf, psf_total(buf), &m), 1);
	assert_string_equal(m.all, "pool reservation 'mac 02:00:5e:40:00:07' "
			    "(for profile 'alice'): held by profile 'bob'\n");
	/* bob lets go; taking it again is refused, naming the reservation */
	bob = ps_obj_find(buf, psf_root(buf), PS_OBJ_PROFILE, "bob", 3);
	assert_int_equal(ps_obj_set(buf, CAP, bob, PS_OBJ_PROFILE, "macs", 4,
				    "", 0, NULL), 0);
	memset(&e, 0, sizeof e);
	assert_int_equal(ps_obj_set(buf, CAP, bob, PS_OBJ_PROFILE, "macs", 4,
				    x, strlen(x), &e), PS_ERR_DUPLICATE);
	assert_string_equal(e.why, "reserved");
	assert_string_equal(e.holder, "pool reservation 'mac "
			    "02:00:5e:40:00:07' (for profile 'alice')");
	/* alice may; anyone may take the one reserved for no one */
	alice = ps_obj_create(buf, CAP, psf_root(buf), PS_OBJ_PROFILE, "alice",
			      5, NULL);
	assert_true(alice >= 0);
	assert_int_equal(ps_obj_set(buf, CAP, alice, PS_OBJ_PROFILE, "macs", 4,
				    x, strlen(x), NULL), 0);
	carol = ps_obj_create(buf, CAP, psf_root(buf), PS_OBJ_PROFILE, "carol",
			      5, NULL);
	assert_true(carol >= 0);
	assert_int_equal(ps_obj_set(buf, CAP, carol, PS_OBJ_PROFILE, "macs", 4,
				    y, strlen(y), NULL), 0);
	assert_int_equal(psf_finish(buf), 0);
	assert_int_equal(check_store(buf, psf_total(buf), &m), 0);
}

/* The commands' decision: ps_pool_range_clash on a pool's store. */
static void test_clash(void **state)
{
	const struct rec recs[] = {
		R("macs mac 02:00:5e:40:00:01 02:00:5e:40:00:ff"), END,
	};
	struct ps_pool_range r = mk("mac", "02:00:5e:40:00:ff",
				    "02:00:5e:40:01:ff"), q;
	uint8_t buf[1024];
	struct psf_builder b;
	char why[PS_POOL_WHY_MAX];
	int el = -1;

	(void)state;
	psf_build_begin(&b, buf, sizeof buf, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&b, PSF_POOL_STATE);
	psf_build_string(&b, recs[0].sig, recs[0].text);
	psf_build_close(&b);
	assert_true(psf_build_finish(&b) > 0);
	assert_int_equal(ps_pool_range_clash(buf, &r, -1, 0, &el, why,
					     sizeof why), 2);
	assert_true(el > 0);
	assert_string_equal(why, "mac 02:00:5e:40:00:ff-02:00:5e:40:01:ff "
			    "overlaps range 'macs' (02:00:5e:40:00:01-"
			    "02:00:5e:40:00:ff): ranges never overlap");
	q = mk("mac", "02:00:5e:40:01:00", "02:00:5e:40:01:ff");
	assert_int_equal(ps_pool_range_clash(buf, &q, -1, 0, &el, why,
					     sizeof why), 0);
	assert_int_equal(ps_pool_range_make(&q, "macs", "mac",
					    "02:00:5e:40:01:00",
					    "02:00:5e:40:01:ff", why,
					    sizeof why), 0);
	assert_int_equal(ps_pool_range_clash(buf, &q, -1, 0, &el, why,
					     sizeof why), 1);
}

/* The longest sentence (two longest serial ranges, longest names) fits
 * PS_POOL_WHY_MAX whole. */
static void test_clash_longest(void **state)
{
	static const char p[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcde";  /* 31 */
	char name[PS_POOL_NAME_MAX], a[80], b[80], t[PS_POOL_REC_MAX];
	char why[PS_POOL_WHY_MAX];
	struct ps_pool_range r, o;
	struct psf_builder bd;
	uint8_t buf[2048];
	int el;

	(void)state;
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = 0;
	snprintf(a, sizeof a, "%s%018d", p, 1);
	snprintf(b, sizeof b, "%s%s", p, "999999999999999999");
	assert_int_equal(ps_pool_range_make(&o, name, "serial", a, b, why,
					    sizeof why), 0);
	ps_pool_range_text(&o, t, sizeof t);
	psf_build_begin(&bd, buf, sizeof buf, PSF_ROOT, PSF_SCHEMA_VERSION, 0);
	psf_build_open(&bd, PSF_POOL_STATE);
	psf_build_string(&bd, PSF_POOL_RANGE, t);
	psf_build_close(&bd);
	assert_true(psf_build_finish(&bd) > 0);
	name[0] = 'm';
	assert_int_equal(ps_pool_range_make(&r, name, "serial", a, b, why,
					    sizeof why), 0);
	assert_int_equal(ps_pool_range_clash(buf, &r, -1, 0, &el, why,
					     sizeof why), 2);
	assert_true(strlen(why) > 300);
	assert_non_null(strstr(why, "): ranges never overlap"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_check_sound),
		cmocka_unit_test(test_check_overlap),
		cmocka_unit_test(test_check_bad_range),
		cmocka_unit_test(test_check_bad_state),
		cmocka_unit_test(test_check_duplicate),
		cmocka_unit_test(test_reserved_for),
		cmocka_unit_test(test_clash),
		cmocka_unit_test(test_clash_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
