/*
 * ps_serial.c - serial-port allocation for VMs (freestanding).
 *
 * The hypervisor agent, the BMC shim (IPMI OEM command) and psctl all
 * hand out serial-concentrator ports the same way, so the rule lives here
 * once: a VM asks for N ports; it gets its lowest unused guest port
 * numbers and the lowest concentrator ports in a range that no serial
 * port of any VM maps, with the host names the caller chose.  Built from
 * the object operations of ps_obj.c and ps_obj_set.c, so every check they
 * make (host name syntax, a concentrator port mapped once) applies
 * unchanged.
 */
#include "ps_cfg_internal.h"

#define GUEST_PORT_MAX 255u  /* the "port" field's range in ps_fields.c */

/* The guest port number as the key text of a serial port. */
static size_t port_key(uint16_t v, char out[6])
{
	struct sb s;

	ps__sb_init(&s, out, 6);
	ps__sb_u64(&s, v);
	return s.len;
}

/* Host name number i (0-based) of a comma-separated list: span, or -1. */
static int list_item(const char *s, size_t n, uint32_t i, size_t *off,
		     size_t *len)
{
	size_t start = 0, k;
	uint32_t item = 0;

	for (k = 0; k <= n; k++) {
		if (k < n && s[k] != ',')
			continue;
		if (item == i) {
			*off = start;
			*len = k - start;
			return 0;
		}
		item++;
		start = k + 1;
	}
	return -1;
}

static uint32_t list_count(const char *s, size_t n)
{
	uint32_t c = 1;
	size_t k;

	for (k = 0; k < n; k++)
		c += s[k] == ',';
	return n ? c : 0;
}

/* The host name for allocation i with guest port `port` into out. */
static size_t host_for(const struct ps_serial_req *r, uint32_t i,
		       uint16_t port, char *out, size_t cap)
{
	size_t off = 0, len = 0;

	if (!r->hostnames_len)
		return 0;
	if (list_count(r->hostnames, r->hostnames_len) > 1 || r->count == 1) {
		list_item(r->hostnames, r->hostnames_len, i, &off, &len);
		if (len > cap)
			len = cap;
		psf_memcpy(out, r->hostnames + off, len);
		return len;
	}
	/* One base name for several ports: BASE-PORT. */
	len = r->hostnames_len;
	if (len + 6 > cap)
		return cap + 1;   /* too long: the parser refuses it */
	psf_memcpy(out, r->hostnames, len);
	out[len++] = '-';
	return len + port_key(port, (char *)out + len);
}

#define HOST_CAP 260u

static int check_request(const struct ps_serial_req *r, struct ps_cfg_err *e)
{
	uint32_t names;

	if (!r->count || r->count > PS_SERIAL_ALLOC_MAX)
		return ps__fail_at(e, PS_ERR_BADVALUE, "count",
			    "must be 1-16");
	if (r->conc_first && r->conc_last && r->conc_first > r->conc_last)
		return ps__fail_at(e, PS_ERR_BADVALUE, "concentrator",
			    "range first is past last");
	if (r->mode > PSF_SERIAL_MODE_PRIVACY)
		return ps__fail_at(e, PS_ERR_BADVALUE, "mode",
			    "not free, observer or privacy");
	names = list_count(r->hostnames, r->hostnames_len);
	if (names > 1 && names != r->count)
		return ps__fail_at(e, PS_ERR_BADVALUE, "hostname",
			    "list length differs from the port count");
	return 0;
}

/* Pick the ports before the first change, so a refusal writes nothing. */
static int pick_ports(const void *buf, int vm, const struct ps_serial_req *r,
		      struct ps_serial_map *out, struct ps_cfg_err *e)
{
	uint32_t first = r->conc_first ? r->conc_first : 1;
	uint32_t last = r->conc_last ? r->conc_last : 65535;
	uint32_t g = 0, c = first, i;

	for (i = 0; i < r->count; i++) {
		uint32_t j;
		int taken;

		do {
			taken = 0;
			for (j = 0; j < i; j++)
				taken |= out[j].port == g;
			if (taken || ps__serial_at(buf, vm, g) >= 0)
				g++;
			else
				break;
		} while (g <= GUEST_PORT_MAX);
		if (g > GUEST_PORT_MAX)
			return ps__fail_at(e, PS_ERR_NOSPACE, "count",
				    "the VM has no free guest serial port");
		while (c <= last && ps__conc_mapper(buf, -1, (uint16_t)c, NULL) >= 0)
			c++;
		if (c > last)
			return ps__fail_at(e, PS_ERR_NOSPACE, "concentrator",
				    "no free concentrator port in the range");
		out[i].port = (uint16_t)g++;
		out[i].concentrator = (uint16_t)c++;
	}
	return 0;
}

static int check_hosts(const struct ps_serial_req *r,
		       const struct ps_serial_map *m, struct ps_cfg_err *e)
{
	const struct ps_field *f = ps_obj_field(PS_OBJ_SERIAL, "hostname", 8);
	struct ps_value v;
	char host[HOST_CAP];
	uint32_t i;
	int rc;

	for (i = 0; i < r->count; i++) {
		size_t n = host_for(r, i, m[i].port, host, sizeof(host));

		if (!n)
			continue;
		/* A name past the buffer is cut to HOST_CAP bytes, still over
		 * the 253 the parser allows: refused as too long. */
		rc = ps_field_parse(f, host, n > sizeof(host) ? sizeof(host)
						: n, &v, e);
		if (rc)
			return rc;
	}
	return 0;
}

static int set_uint(void *buf, size_t cap, int el, const char *name,
		    size_t nlen, uint64_t u, struct ps_cfg_err *e)
{
	const struct ps_field *f = ps_obj_field(PS_OBJ_SERIAL, name, nlen);
	struct ps_value v;

	psf_memset(&v, 0, sizeof(v));
	v.u = u;
	return ps_obj_set_value(buf, cap, el, PS_OBJ_SERIAL, f, &v, e);
}

static int create_one(void *buf, size_t cap, int vm,
		      const struct ps_serial_req *r, uint32_t i,
		      const struct ps_serial_map *m, struct ps_cfg_err *e)
{
	char key[6], host[HOST_CAP];
	size_t kn = port_key(m->port, key);
	size_t hn = host_for(r, i, m->port, host, sizeof(host));
	int el = ps_obj_create(buf, cap, vm, PS_OBJ_SERIAL, key, kn, e);
	int rc;

	if (el < 0)
		return el;
	rc = set_uint(buf, cap, el, "concentrator", 12, m->concentrator, e);
	if (!rc && r->mode)
		rc = set_uint(buf, cap, el, "mode", 4, r->mode, e);
	if (!rc && hn) {
		el = ps_obj_find(buf, vm, PS_OBJ_SERIAL, key, kn);
		rc = el < 0 ? el
			    : ps_obj_set(buf, cap, el, PS_OBJ_SERIAL,
					 "hostname", 8, host, hn, e);
	}
	return rc;
}

int ps_serial_allocate(void *buf, size_t cap, int vm,
		       const struct ps_serial_req *r,
		       struct ps_serial_map *out, struct ps_cfg_err *e)
{
	uint32_t i;
	int rc;

	if (e)
		psf_memset(e, 0, sizeof(*e));
	if (!r || !out || (r->hostnames_len && !r->hostnames))
		return PS_ERR_INVAL;
	rc = check_request(r, e);
	if (!rc)
		rc = pick_ports(buf, vm, r, out, e);
	if (!rc)
		rc = check_hosts(r, out, e);
	for (i = 0; !rc && i < r->count; i++) {
		/* The VM's offset stays valid across edits below it. */
		rc = create_one(buf, cap, vm, r, i, &out[i], e);
	}
	return rc;
}

int ps_serial_free(void *buf, int vm, struct ps_cfg_err *e)
{
	int el, freed = 0, rc;

	/* Deleting turns the element into a pad, so the iteration carries
	 * on from the same offset. */
	for (el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, -1); el >= 0;
	     el = ps_obj_next(buf, vm, PS_OBJ_SERIAL, el)) {
		rc = ps_obj_delete(buf, el, PS_OBJ_SERIAL, e);
		if (rc)
			return rc;
		freed++;
	}
	return freed;
}
