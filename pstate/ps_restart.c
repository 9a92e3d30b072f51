/*
 * ps_restart.c - a VM's restart policy (freestanding).
 *
 * The policy's settable fields are VM fields of the field tables (ps_fields.c), so
 * psctl, the BMC shim and hvagent edit it with every check ps_obj_set
 * makes.  What is here is what the agent needs on top: the policy read
 * in one go, the decision for a crash (which attempt, which image) and
 * the log entry appended to a ring of PSF_RESTART_LOG_MAX.  The decision
 * is made from the store's log only, so an agent restarted between two
 * crashes counts the same way.  (The action and cause names are in
 * ps_field_text.c, which prints the log.)
 */
#include "pstate.h"
#include "psf_schema.h"

static int policy_of(const void *buf, int vm)
{
	int c = psf_find_child(buf, vm, PSF_RESTART_POLICY);

	return c < 0 ? PSF_ERR_NOTFOUND : c;
}

int ps_restart_get(const void *buf, int vm, struct ps_restart_policy *p)
{
	int c = policy_of(buf, vm);
	const void *rec;
	uint32_t len;

	psf_memset(p, 0, sizeof(*p));
	if (c < 0)
		return c;
	p->consistency = psf_child_payload(buf, c, PSF_CONSISTENCY_IMAGE,
					   &p->consistency_len);
	if (!p->consistency)
		p->consistency_len = 0;
	p->boot = psf_child_payload(buf, c, PSF_BOOT_IMAGE, &p->boot_len);
	if (!p->boot)
		p->boot_len = 0;
	rec = psf_child_payload(buf, c, PSF_RESTART_CONFIG, &len);
	if (!rec)
		len = 0;
	p->window = (uint32_t)psf_field_uint(rec, len, PSF_RSTC_WINDOW, 4);
	if (!p->window)
		p->window = PSF_RESTART_WINDOW_DEFAULT;
	p->limit = (uint16_t)psf_field_uint(rec, len, PSF_RSTC_LIMIT, 2);
	/* A larger limit (another writer's) could never be reached: the log
	 * that counts restarts keeps only so many entries. */
	if (p->limit > PSF_RESTART_LIMIT_MAX)
		p->limit = PSF_RESTART_LIMIT_MAX;
	p->flags = (uint16_t)psf_field_uint(rec, len, PSF_RSTC_FLAGS, 2);
	return 0;
}

static void decode(const uint8_t *it, struct ps_restart_entry *en)
{
	en->time = psf_field_uint(it, PSF_RLOG_LEN, PSF_RLOG_TIME, 8);
	en->action = it[PSF_RLOG_ACTION];
	en->attempt = it[PSF_RLOG_ATTEMPT];
	en->cause = it[PSF_RLOG_CAUSE];
	en->detail = (uint32_t)psf_field_uint(it, PSF_RLOG_LEN,
					      PSF_RLOG_DETAIL, 4);
}

static void encode(uint8_t *it, const struct ps_restart_entry *en)
{
	psf_memset(it, 0, PSF_RLOG_LEN);
	psf_put_le64(it + PSF_RLOG_TIME, en->time);
	it[PSF_RLOG_ACTION] = en->action;
	it[PSF_RLOG_ATTEMPT] = en->attempt;
	it[PSF_RLOG_CAUSE] = en->cause;
	psf_put_le32(it + PSF_RLOG_DETAIL, en->detail);
}

/* The log's bytes (whole entries only), or NULL. */
static const uint8_t *log_of(const void *buf, int vm, uint32_t *n)
{
	int c = policy_of(buf, vm);
	uint32_t len = 0;
	const uint8_t *p = c < 0 ? NULL
				 : psf_child_payload(buf, c, PSF_RESTART_LOG,
						     &len);

	*n = p ? len / PSF_RLOG_LEN : 0;
	return p;
}

uint32_t ps_restart_log_get(const void *buf, int vm,
			    struct ps_restart_entry *out, uint32_t max)
{
	uint32_t n, i;
	const uint8_t *p = log_of(buf, vm, &n);

	for (i = 0; i < n && i < max; i++)
		decode(p + i * PSF_RLOG_LEN, &out[i]);
	return n;
}

/* Restarts (not refusals) logged within the window before now.  An entry
 * from the future (a clock set back) counts: it cannot be older. */
static uint32_t restarts_within(const void *buf, int vm, uint64_t now,
				uint32_t window)
{
	uint32_t n, i, count = 0;
	const uint8_t *p = log_of(buf, vm, &n);
	struct ps_restart_entry en;

	for (i = 0; i < n; i++) {
		decode(p + i * PSF_RLOG_LEN, &en);
		if (en.action != PSF_RESTART_CONSISTENCY &&
		    en.action != PSF_RESTART_BOOT)
			continue;
		if (en.time >= now || now - en.time < window)
			count++;
	}
	return count;
}

/* The IMAGE named (s, n) when it exists and has a path, else -1. */
static int usable_image(const void *buf, const char *s, uint32_t n)
{
	uint32_t len = 0;
	int img;

	if (!s || !n)
		return -1;
	img = ps_obj_find(buf, psf_root(buf), PS_OBJ_IMAGE, s, n);
	if (img < 0 || !psf_child_payload(buf, img, PSF_PATH, &len) || !len)
		return -1;
	return img;
}

int ps_restart_decide(const void *buf, int vm, uint64_t now,
		      struct ps_restart_decision *d)
{
	struct ps_restart_policy p;
	int rc = ps_restart_get(buf, vm, &p);
	uint32_t attempt;

	d->action = 0;
	d->attempt = 0;
	d->image = -1;
	d->in_window = 0;
	if (rc)
		return rc;
	d->in_window = restarts_within(buf, vm, now, p.window);
	attempt = d->in_window + 1;
	d->attempt = (uint8_t)(attempt > 255 ? 255 : attempt);
	if (attempt > p.limit) {
		d->action = PSF_RESTART_STOPPED_LIMIT;
		return 0;
	}
	if (attempt == 1 && p.consistency_len) {
		d->action = PSF_RESTART_CONSISTENCY;
		d->image = usable_image(buf, p.consistency, p.consistency_len);
	} else {
		d->action = PSF_RESTART_BOOT;
		d->image = usable_image(buf, p.boot, p.boot_len);
	}
	if (d->image < 0)
		d->action = PSF_RESTART_STOPPED_NO_IMAGE;
	return 0;
}

int ps_restart_log_append(void *buf, size_t cap, int vm,
			  const struct ps_restart_entry *en,
			  struct ps_cfg_err *e)
{
	const struct ps_field *f = ps_obj_field(PS_OBJ_VM, "restart-log", 11);
	struct ps_value v;
	uint32_t n, keep;
	const uint8_t *p = log_of(buf, vm, &n);

	/* The newest PSF_RESTART_LOG_MAX - 1 entries, then this one. */
	keep = n < PSF_RESTART_LOG_MAX ? n : PSF_RESTART_LOG_MAX - 1;
	v.u = 0;
	v.len = (keep + 1) * PSF_RLOG_LEN;
	if (keep)
		psf_memcpy(v.b, p + (n - keep) * PSF_RLOG_LEN,
			   keep * PSF_RLOG_LEN);
	encode(v.b + keep * PSF_RLOG_LEN, en);
	return ps_obj_set_value(buf, cap, vm, PS_OBJ_VM, f, &v, e);
}
