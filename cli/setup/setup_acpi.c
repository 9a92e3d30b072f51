/*
 * setup_acpi.c - which USB ports are external, from the firmware's ACPI
 * tables, the way Linux decides a port's connect_type (docs/setup.md
 * "Port priority"): the port's _UPC (connectable) and _PLD (user visible)
 * objects.  Connectable and visible is external (Linux "hotplug"),
 * connectable and hidden is internal ("hardwired"); anything else, or a
 * port the tables do not describe, is unknown.
 *
 * The reader is not an AML interpreter: it walks the definition blocks
 * (DSDT and every SSDT) for Scope and Device objects and the Name objects
 * inside them (_ADR, _UPC, _PLD), skips what has a length (methods, fields,
 * buffers, packages, conditionals) and stops reading a scope at an opcode
 * it does not know.  Values computed by methods are not evaluated: such a
 * port counts as unknown, so the order falls back to port numbers, never
 * to a wrong answer.  Hostile tables (firmware is trusted, but a table can
 * be damaged) only ever cut the walk short: every length is checked
 * against its enclosing object, and depth and object counts are bounded.
 */
#include "setup.h"

#define AML_DEPTH 24u      /* nested Scope/Device objects followed */
#define AML_DEVS 512u      /* Device objects remembered */
#define AML_SEGS 12u       /* name segments in a device's path */

struct aml_dev {
	uint32_t seg[AML_SEGS];  /* absolute path, one NameSeg each */
	uint32_t nseg;
	uint64_t adr;
	uint8_t has_adr, upc, upc_conn, pld, pld_vis;
};

struct aml_walk {
	struct aml_dev *dev;      /* AML_DEVS entries */
	uint32_t ndev;
	uint32_t path[AML_DEPTH][AML_SEGS];  /* the scope stack's paths */
	uint32_t plen[AML_DEPTH];
	const uint8_t *end[AML_DEPTH];
	int32_t devi[AML_DEPTH];  /* device index of each scope, -1 */
	uint32_t depth;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* PkgLength (ACPI 6.x, 20.2.4): its value counts its own bytes, so the
 * object ends at the PkgLength's first byte + value.  NULL when it does
 * not fit before end. */
static const uint8_t *pkg_end(const uint8_t *p, const uint8_t *end,
			      const uint8_t **body)
{
	uint32_t n, len, i;

	if (p >= end)
		return NULL;
	n = p[0] >> 6;
	if (n == 0) {
		len = p[0] & 0x3f;
	} else {
		if ((size_t)(end - p) <= n)
			return NULL;
		len = p[0] & 0x0f;
		for (i = 0; i < n; i++)
			len |= (uint32_t)p[1 + i] << (4 + 8 * i);
	}
	if (len < n + 1 || len > (size_t)(end - p))
		return NULL;
	*body = p + n + 1;
	return p + len;
}

/* A NameString resolved against the current scope's path into out;
 * returns the byte after it, NULL if malformed. */
static const uint8_t *name_string(struct aml_walk *w, const uint8_t *p,
				  const uint8_t *end, uint32_t *out,
				  uint32_t *nout)
{
	uint32_t n = w->depth ? w->plen[w->depth - 1] : 0, segs, i;

	if (w->depth)
		CopyMem(out, w->path[w->depth - 1], n * sizeof *out);
	if (p < end && *p == '\\') {
		n = 0;
		p++;
	}
	while (p < end && *p == '^') {
		if (n)
			n--;
		p++;
	}
	if (p >= end)
		return NULL;
	if (*p == 0x00) {
		segs = 0;
		p++;
	} else if (*p == 0x2e) {
		segs = 2;
		p++;
	} else if (*p == 0x2f) {
		if (end - p < 2)
			return NULL;
		segs = p[1];
		p += 2;
	} else {
		segs = 1;
	}
	if ((size_t)(end - p) < 4 * (size_t)segs || n + segs > AML_SEGS)
		return NULL;
	for (i = 0; i < segs; i++, p += 4)
		out[n++] = rd32(p);
	*nout = n;
	return p;
}

/* An integer constant (ZeroOp, OneOp, OnesOp, Byte/Word/DWord/QWord);
 * NULL if p is not one. */
static const uint8_t *integer(const uint8_t *p, const uint8_t *end,
			      uint64_t *v)
{
	static const uint8_t size[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					1, 2, 4, 0, 8 };
	uint32_t n, i;

	if (p >= end)
		return NULL;
	if (*p == 0x00 || *p == 0x01 || *p == 0xff) {
		*v = *p == 0xff ? ~(uint64_t)0 : *p;
		return p + 1;
	}
	if (*p < 0x0a || *p > 0x0e || !size[*p])
		return NULL;
	n = size[*p];
	if ((size_t)(end - p) <= n)
		return NULL;
	for (*v = 0, i = 0; i < n; i++)
		*v |= (uint64_t)p[1 + i] << (8 * i);
	return p + 1 + n;
}

/* The first element of a Package at p, as the byte range [*e, pend). */
static const uint8_t *package(const uint8_t *p, const uint8_t *end,
			      const uint8_t **e)
{
	const uint8_t *body, *pend;

	if (p >= end || *p != 0x12)
		return NULL;
	pend = pkg_end(p + 1, end, &body);
	if (!pend || body >= pend || !*body)
		return NULL;
	*e = body + 1;          /* after NumElements */
	return pend;
}

/* The Name object's value for the three names this reader wants. */
static void name_value(struct aml_dev *d, uint32_t seg, const uint8_t *p,
		       const uint8_t *end)
{
	const uint8_t *e, *body, *bend;
	uint64_t v;

	if (seg == rd32((const uint8_t *)"_ADR") && integer(p, end, &v)) {
		d->adr = v;
		d->has_adr = 1;
	} else if (seg == rd32((const uint8_t *)"_UPC") &&
		   package(p, end, &e) && integer(e, end, &v)) {
		d->upc = 1;
		d->upc_conn = v != 0;
	} else if (seg == rd32((const uint8_t *)"_PLD") &&
		   package(p, end, &e) && e < end && *e == 0x11 &&
		   (bend = pkg_end(e + 1, end, &body)) &&
		   (body = integer(body, bend, &v)) && bend - body >= 9) {
		d->pld = 1;
		d->pld_vis = body[8] & 1;   /* bit 64: User Visible */
	}
}

/* A data object's end (the value of a Name), NULL if not a constant. */
static const uint8_t *data_end(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *body;
	uint64_t v;

	if (p >= end)
		return NULL;
	if (*p == 0x0d) {                    /* String */
		while (++p < end)
			if (!*p)
				return p + 1;
		return NULL;
	}
	if (*p == 0x11 || *p == 0x12 || *p == 0x13)
		return pkg_end(p + 1, end, &body);
	return integer(p, end, &v);
}

static int32_t find_dev(const struct aml_walk *w, const uint32_t *path,
			uint32_t n)
{
	uint32_t i;

	for (i = 0; i < w->ndev; i++)
		if (w->dev[i].nseg == n &&
		    !CompareMem(w->dev[i].seg, path, n * sizeof *path))
			return (int32_t)i;
	return -1;
}

/* Open a Scope or Device whose body is [body, oend). */
static void push(struct aml_walk *w, const uint32_t *path, uint32_t n,
		 const uint8_t *oend, int device)
{
	int32_t di = find_dev(w, path, n);

	if (w->depth == AML_DEPTH)
		return;
	if (di < 0 && device && w->ndev < AML_DEVS) {
		di = (int32_t)w->ndev++;
		SetMem(&w->dev[di], sizeof w->dev[di], 0);
		CopyMem(w->dev[di].seg, path, n * sizeof *path);
		w->dev[di].nseg = n;
	}
	CopyMem(w->path[w->depth], path, n * sizeof *path);
	w->plen[w->depth] = n;
	w->end[w->depth] = oend;
	w->devi[w->depth] = di;
	w->depth++;
}

/* One term at p inside [p, end): returns the next term, or NULL to stop
 * reading this scope. */
static const uint8_t *term(struct aml_walk *w, const uint8_t *p,
			   const uint8_t *end)
{
	uint32_t path[AML_SEGS], n;
	const uint8_t *body, *oend, *q;
	uint64_t v;

	switch (*p) {
	case 0x10:                                   /* Scope */
	case 0x5b:                                   /* ExtOpPrefix */
		if (*p == 0x5b) {
			if (end - p < 2)
				return NULL;
			p++;
			if (*p == 0x80) {            /* OperationRegion */
				q = name_string(w, p + 1, end, path, &n);
				if (!q || q + 1 >= end ||
				    !(q = integer(q + 1, end, &v)))
					return NULL;
				return integer(q, end, &v);
			}
			if (*p == 0x01)              /* Mutex */
				return (q = name_string(w, p + 1, end, path,
							&n)) ? q + 1 : NULL;
			if (*p == 0x02)              /* Event */
				return name_string(w, p + 1, end, path, &n);
			if (*p != 0x82 && (*p < 0x81 || *p > 0x87))
				return NULL;
			if (*p != 0x82)              /* fields, processors */
				return pkg_end(p + 1, end, &body);
		}
		oend = pkg_end(p + 1, end, &body);
		if (!oend || !(q = name_string(w, body, oend, path, &n)))
			return NULL;
		push(w, path, n, oend, *p == 0x82);
		return q;
	case 0x08:                                   /* Name */
		q = name_string(w, p + 1, end, path, &n);
		if (!q || !n || !(oend = data_end(q, end)))
			return NULL;
		if (w->depth && w->devi[w->depth - 1] >= 0 &&
		    n == w->plen[w->depth - 1] + 1)
			name_value(&w->dev[w->devi[w->depth - 1]], path[n - 1],
				   q, oend);
		return oend;
	case 0x14: case 0x11: case 0x12: case 0x13:  /* Method, data */
	case 0xa0: case 0xa1: case 0xa2:             /* If, Else, While */
		return pkg_end(p + 1, end, &body);
	case 0x15:                                   /* External */
		q = name_string(w, p + 1, end, path, &n);
		return q && end - q >= 2 ? q + 2 : NULL;
	case 0x06:                                   /* Alias */
		q = name_string(w, p + 1, end, path, &n);
		return q ? name_string(w, q, end, path, &n) : NULL;
	default:
		return NULL;
	}
}

/* Walk one definition block (the AML after its 36-byte header). */
static void walk_table(struct aml_walk *w, const uint8_t *t)
{
	const uint8_t *p = t + 36, *end = t + rd32(t + 4);

	w->depth = 0;
	push(w, NULL, 0, end, 0);
	while (w->depth) {
		const uint8_t *e = w->end[w->depth - 1];

		if (p >= e) {
			p = e;
			w->depth--;
			continue;
		}
		p = term(w, p, e);
		if (!p || p > e)
			p = e;          /* stop this scope, go on after it */
	}
}

static void *acpi_rsdp(void)
{
	EFI_GUID g = ACPI_20_TABLE_GUID;
	UINTN i;

	for (i = 0; i < ST->NumberOfTableEntries; i++)
		if (!CompareMem(&ST->ConfigurationTable[i].VendorGuid, &g,
				sizeof g))
			return ST->ConfigurationTable[i].VendorTable;
	return NULL;
}

static int sane(const uint8_t *t)
{
	return t && rd32(t + 4) >= 36 && rd32(t + 4) < (64u << 20);
}

/* Every definition block: the DSDT (from the FADT) and the SSDTs. */
static void walk_tables(struct aml_walk *w)
{
	const uint8_t *rsdp = acpi_rsdp(), *x, *t;
	uint32_t i, n;

	if (!rsdp || CompareMem(rsdp, "RSD PTR ", 8) || rsdp[15] < 2)
		return;
	x = (const uint8_t *)(UINTN)rd64(rsdp + 24);
	if (!sane(x) || CompareMem(x, "XSDT", 4))
		return;
	n = (rd32(x + 4) - 36) / 8;
	for (i = 0; i < n; i++) {
		t = (const uint8_t *)(UINTN)rd64(x + 36 + 8 * i);
		if (!sane(t))
			continue;
		if (!CompareMem(t, "SSDT", 4))
			walk_table(w, t);
		if (!CompareMem(t, "FACP", 4) && rd32(t + 4) >= 148) {
			const uint8_t *d = (const uint8_t *)(UINTN)
				(rd64(t + 140) ? rd64(t + 140) : rd32(t + 40));

			if (sane(d) && !CompareMem(d, "DSDT", 4))
				walk_table(w, d);
		}
	}
}

/* The child of parent (a device index) whose _ADR is adr, -1. */
static int32_t child(const struct aml_walk *w, int32_t parent, uint64_t adr)
{
	const struct aml_dev *p = &w->dev[parent];
	uint32_t i;

	for (i = 0; i < w->ndev; i++) {
		const struct aml_dev *d = &w->dev[i];

		if (d->has_adr && d->adr == adr && d->nseg == p->nseg + 1 &&
		    !CompareMem(d->seg, p->seg, p->nseg * sizeof *p->seg))
			return (int32_t)i;
	}
	return -1;
}

/* The key's root port: controller (the last PCI hop, _ADR device << 16 |
 * function), its root hub (_ADR 0), the port (_ADR = port number). */
static int kind_of(const struct aml_walk *w, const struct setup_key *k)
{
	uint64_t adr;
	uint32_t i;

	if (!k->npci || !k->nport)
		return PORT_UNKNOWN;
	adr = (uint64_t)(k->pci[k->npci - 1] >> 8) << 16 |
	      (k->pci[k->npci - 1] & 0xff);
	for (i = 0; i < w->ndev; i++) {
		int32_t hub, port;
		const struct aml_dev *d;

		if (!w->dev[i].has_adr || w->dev[i].adr != adr)
			continue;
		hub = child(w, (int32_t)i, 0);
		port = hub < 0 ? -1 : child(w, hub, k->port[0]);
		if (port < 0)
			continue;
		d = &w->dev[port];
		if (!d->upc || !d->pld || !d->upc_conn)
			return PORT_UNKNOWN;
		return d->pld_vis ? PORT_EXTERNAL : PORT_INTERNAL;
	}
	return PORT_UNKNOWN;
}

void acpi_port_kinds(struct setup *s)
{
	struct aml_walk w;
	uint32_t j;

	SetMem(&w, sizeof w, 0);
	w.dev = AllocatePool(AML_DEVS * sizeof *w.dev);
	if (!w.dev)
		return;
	walk_tables(&w);
	for (j = 0; j < s->nkeys; j++)
		s->key[j].kind = kind_of(&w, &s->key[j]);
	FreePool(w.dev);
}
