/*
 * bench_format.c - PSF validation + full walk against libfdt, same run.
 *
 * Builds, from one generator, a ~1 MiB / ~10,000-element PSF store that
 * looks like real configuration (VMs with names, records, nested NIC and
 * storage containers, hypervisor-agent blobs, ...) and a DTB of the same
 * total size and node count written with libfdt's sequential-write API:
 * every PSF container is a DT node, every PSF structure a DT property with
 * the same payload (the DT's opaque agent blobs are trimmed by a few bytes
 * each so both buffers have the same total size).
 *
 * Then times, interleaved batch by batch, with CLOCK_MONOTONIC:
 *   psf_check_full + walk    vs   fdt_check_full + walk   (the headline)
 * where the PSF walk is what a reader of the public API writes: a
 * psf_cursor per open container (psf_cursor_init / psf_cursor_next), an
 * explicit stack, and every structure's payload read.  Then the pieces:
 * the body CRC alone, the tree checks alone, the walks alone (the cursor
 * walk, and the same walk through psf_first_child_raw/psf_next_child_raw),
 * fdt_check_full alone and the libfdt walk alone.  The result of every
 * timed call is checked and accumulated into a volatile sink.
 *
 * Everything measured is the core as built: psf_crc32c uses the SSE4.2
 * crc32 instruction on x86-64 hosts that have it, and the slicing-by-16
 * tables otherwise or when the core is compiled with -DPSF_CRC_NO_HW
 * (`make bench` runs both).  The program prints which path it measures.
 *
 *   bench_format                 timing table (the default; `make bench`)
 *   bench_format --quick         fewer/shorter batches
 *   bench_format --callgrind     instruction counts per iteration of each
 *                                case, under valgrind --tool=callgrind
 *                                (stable on noisy machines)
 *
 * Exits non-zero when any check or walk fails; never because of a ratio.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "psf.h"
#include "psf_schema.h"

#define NOINLINE __attribute__((noinline))

/* ------------------------------------------------------------------------
 * Inputs
 */

#define BUF_CAP (4u << 20)

static uint8_t *g_psf;          /* the PSF store            */
static uint32_t g_psf_size;
static uint8_t *g_dtb;          /* the DTB                  */
static uint32_t g_dtb_size;

/* What the generator produced, per backend. */
struct gen_stats {
	uint32_t containers;    /* PSF containers / DT nodes       */
	uint32_t structs;       /* PSF structures / DT properties  */
	uint64_t payload;       /* bytes of structure/property data */
	uint32_t blobs;         /* opaque agent blobs (trimmable)  */
};

/* A backend the generator writes to. */
struct sink {
	void (*open)(struct sink *s, uint32_t sig, const char *node);
	void (*close)(struct sink *s);
	void (*prop)(struct sink *s, uint32_t sig, const char *name,
		     const void *data, uint32_t len);
	struct gen_stats st;
	int err;
	uint32_t blob_trim;     /* bytes removed from each agent blob */
	struct psf_builder pb;  /* PSF backend  */
	void *fdt;              /* FDT backend  */
};

static void psf_open(struct sink *s, uint32_t sig, const char *node)
{
	(void)node;
	if (psf_build_open(&s->pb, sig) && !s->err)
		s->err = 1;
}

static void psf_close(struct sink *s)
{
	if (psf_build_close(&s->pb) && !s->err)
		s->err = 1;
}

static void psf_prop(struct sink *s, uint32_t sig, const char *name,
		     const void *data, uint32_t len)
{
	(void)name;
	if (psf_build_struct(&s->pb, sig, data, len) && !s->err)
		s->err = 1;
}

static void fdt_open(struct sink *s, uint32_t sig, const char *node)
{
	(void)sig;
	if (fdt_begin_node(s->fdt, node) && !s->err)
		s->err = 1;
}

static void fdt_close(struct sink *s)
{
	if (fdt_end_node(s->fdt) && !s->err)
		s->err = 1;
}

static void fdt_prop(struct sink *s, uint32_t sig, const char *name,
		     const void *data, uint32_t len)
{
	(void)sig;
	if (fdt_property(s->fdt, name, data, (int)len) && !s->err)
		s->err = 1;
}

/* Deterministic pseudo-random numbers (xorshift32). */
static uint32_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return n ? rng_state % n : 0;
}

static void S_open(struct sink *s, uint32_t sig, const char *node)
{
	s->open(s, sig, node);
	s->st.containers++;
}

static void S_close(struct sink *s)
{
	s->close(s);
}

static void S_prop(struct sink *s, uint32_t sig, const char *name,
		   const void *data, uint32_t len)
{
	s->prop(s, sig, name, data, len);
	s->st.structs++;
	s->st.payload += len;
}

static void S_str(struct sink *s, uint32_t sig, const char *name,
		  const char *str)
{
	S_prop(s, sig, name, str, (uint32_t)strlen(str));
}

static const char *const words[] = {
	"production", "database", "frontend", "replica", "primary",
	"analytics", "cache", "staging", "backup", "worker", "gateway",
	"ingest", "batch", "nightly", "customer", "billing", "search",
	"kubernetes", "control-plane", "build", "ci", "reporting",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* A description-like string of roughly len characters. */
static void text(char *out, size_t cap, uint32_t len)
{
	size_t n = 0;

	out[0] = 0;
	while (n < len && n + 16 < cap) {
		const char *w = words[rnd(NWORDS)];
		int k = snprintf(out + n, cap - n, "%s%s", n ? " " : "", w);

		if (k < 0)
			break;
		n += (size_t)k;
	}
}

static void fill(uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(256);
}

#define N_VMS        300
#define N_NETWORKS   24
#define N_IMAGES     48
#define N_RESERVE    32
#define AGENT_BLOB_MIN  1800
#define AGENT_BLOB_VAR  1600

/*
 * The configuration: a store-info record, networks, images, VMs (each with
 * name, description, config record, boot order, hostname, NICs, storage
 * controllers, serial ports, an opaque hypervisor-agent blob and sometimes
 * a vendor cloud-init blob), reservations, agent and BMC private state.
 */
static void generate_body(struct sink *s)
{
	char name[64], str[512];
	uint8_t rec[64], blob[4096];
	uint32_t i, j, n;

	rng_state = 0x9e3779b9u;

	S_open(s, PSF_STORE_INFO, "store-info");
	memset(rec, 0, sizeof(rec));
	rec[PSF_STOC_WRITER_KIND] = PSF_WRITER_HVAGENT;
	psf_put_le64(rec + PSF_STOC_TIME, 1700000000u);
	S_prop(s, PSF_STORE_RECORD, "store-record", rec, PSF_STOC_SIZE);
	S_str(s, PSF_WRITER, "writer", "hvagent 1.4.2 on host-0017");
	S_close(s);

	S_open(s, PSF_NETWORKS, "networks");
	for (i = 0; i < N_NETWORKS; i++) {
		snprintf(name, sizeof(name), "network@%u", i);
		S_open(s, PSF_NETWORK, name);
		snprintf(str, sizeof(str), "net-%s-%03u", words[rnd(NWORDS)], i);
		S_str(s, PSF_NAME, "name", str);
		memset(rec, 0, sizeof(rec));
		rec[PSF_NETC_KIND] = (uint8_t)rnd(3);
		psf_put_le16(rec + PSF_NETC_VLAN, (uint16_t)(100 + i));
		psf_put_le32(rec + PSF_NETC_MTU, i & 1 ? 9000u : 1500u);
		S_prop(s, PSF_NETWORK_CONFIG, "network-config", rec,
		       PSF_NETC_SIZE);
		snprintf(str, sizeof(str), "bond0.%u", 100 + i);
		S_str(s, PSF_UPLINK, "uplink", str);
		text(str, sizeof(str), 30 + rnd(60));
		S_str(s, PSF_DESCRIPTION, "description", str);
		S_close(s);
	}
	S_close(s);

	S_open(s, PSF_IMAGES, "images");
	for (i = 0; i < N_IMAGES; i++) {
		snprintf(name, sizeof(name), "image@%u", i);
		S_open(s, PSF_IMAGE, name);
		snprintf(str, sizeof(str), "img-%s-%02u", words[rnd(NWORDS)], i);
		S_str(s, PSF_NAME, "name", str);
		memset(rec, 0, sizeof(rec));
		psf_put_le64(rec + PSF_IMGC_SIZE_BYTES,
			     (uint64_t)(8 + rnd(500)) << 30);
		rec[PSF_IMGC_FORMAT] = PSF_IMAGE_FORMAT_QCOW2;
		S_prop(s, PSF_IMAGE_CONFIG, "image-config", rec, PSF_IMGC_SIZE);
		snprintf(str, sizeof(str),
			 "/var/lib/pstate/images/%s/%s-%02u.qcow2",
			 words[rnd(NWORDS)], words[rnd(NWORDS)], i);
		S_str(s, PSF_PATH, "path", str);
		S_close(s);
	}
	S_close(s);

	S_open(s, PSF_VMS, "vms");
	for (i = 0; i < N_VMS; i++) {
		snprintf(name, sizeof(name), "vm@%u", i);
		S_open(s, PSF_VM, name);
		snprintf(str, sizeof(str), "%s-%s-%04u", words[rnd(NWORDS)],
			 words[rnd(NWORDS)], i);
		S_str(s, PSF_NAME, "name", str);
		text(str, sizeof(str), 40 + rnd(160));
		S_str(s, PSF_DESCRIPTION, "description", str);
		memset(rec, 0, sizeof(rec));
		fill(rec + PSF_VMC_UUID, 16);
		psf_put_le64(rec + PSF_VMC_MEMORY_KIB,
			     (uint64_t)(1 + rnd(64)) << 20);
		psf_put_le16(rec + PSF_VMC_VCPUS, (uint16_t)(1 + rnd(32)));
		rec[PSF_VMC_POWER] = (uint8_t)rnd(3);
		S_prop(s, PSF_VM_CONFIG, "vm-config", rec, PSF_VMC_SIZE);
		rec[0] = PSF_BOOT_DISK;
		rec[1] = PSF_BOOT_NETWORK;
		rec[2] = PSF_BOOT_CDROM;
		S_prop(s, PSF_BOOT_ORDER, "boot-order", rec, 1 + rnd(3));
		snprintf(str, sizeof(str), "vm%04u.%s.example.net", i,
			 words[rnd(NWORDS)]);
		S_str(s, PSF_HOSTNAME, "hostname", str);

		/* Hypervisor-agent private state (opaque to everyone else):
		 * the bulk of a real store's bytes.  (Before the subnodes:
		 * a DT node's properties must precede its children.) */
		n = AGENT_BLOB_MIN + rnd(AGENT_BLOB_VAR);
		fill(blob, n); /* all n: the random sequence must not change */
		n = n > s->blob_trim ? n - s->blob_trim : 0;
		S_prop(s, PSF_SIG(0, PSF_NS_AGENT, 0x0001), "agent,state",
		       blob, n);
		s->st.blobs++;
		if (i % 3 == 0) {
			/* A vendor element: cloud-init user data. */
			text((char *)blob, 600, 200 + rnd(300));
			S_str(s, PSF_SIG(0, 0x4001, 0x0010), "vendor,user-data",
			      (const char *)blob);
		}

		S_open(s, PSF_NICS, "nics");
		n = 1 + rnd(4);
		for (j = 0; j < n; j++) {
			snprintf(name, sizeof(name), "nic@%u", j);
			S_open(s, PSF_NIC, name);
			snprintf(str, sizeof(str), "eth%u", j);
			S_str(s, PSF_NAME, "name", str);
			memset(rec, 0, sizeof(rec));
			fill(rec + PSF_NICC_MAC, 6);
			rec[PSF_NICC_MODEL] = PSF_NIC_MODEL_VIRTIO;
			S_prop(s, PSF_NIC_CONFIG, "nic-config", rec,
			       PSF_NICC_SIZE);
			snprintf(str, sizeof(str), "net-%s-%03u",
				 words[rnd(NWORDS)], rnd(N_NETWORKS));
			S_str(s, PSF_NETWORK_REF, "network-ref", str);
			S_close(s);
		}
		S_close(s);

		S_open(s, PSF_STORAGE, "storage");
		n = 1 + rnd(3);
		for (j = 0; j < n; j++) {
			snprintf(name, sizeof(name), "controller@%u", j);
			S_open(s, PSF_CONTROLLER, name);
			snprintf(str, sizeof(str), "disk%u", j);
			S_str(s, PSF_NAME, "name", str);
			rec[PSF_CTLC_MEDIA] = j == 2 ? PSF_MEDIA_CDROM
						     : PSF_MEDIA_DISK;
			rec[PSF_CTLC_FLAGS] = j == 0 ? PSF_CTLF_BOOTABLE : 0;
			rec[PSF_CTLC_BUS] = PSF_BUS_VIRTIO;
			S_prop(s, PSF_CONTROLLER_CONFIG, "controller-config",
			       rec, PSF_CTLC_SIZE);
			snprintf(str, sizeof(str), "img-%s-%02u",
				 words[rnd(NWORDS)], rnd(N_IMAGES));
			S_str(s, PSF_IMAGE_REF, "image-ref", str);
			snprintf(str, sizeof(str),
				 "/var/lib/pstate/vms/vm%04u/disk%u.qcow2", i,
				 j);
			S_str(s, PSF_PATH, "path", str);
			S_close(s);
		}
		S_close(s);

		S_open(s, PSF_SERIAL_PORTS, "serial-ports");
		n = rnd(3);
		for (j = 0; j < n; j++) {
			snprintf(name, sizeof(name), "serial-port@%u", j);
			S_open(s, PSF_SERIAL_PORT, name);
			memset(rec, 0, sizeof(rec));
			psf_put_le16(rec + PSF_SERC_PORT, (uint16_t)j);
			psf_put_le16(rec + PSF_SERC_CONCENTRATOR,
				     (uint16_t)(7000 + i));
			S_prop(s, PSF_SERIAL_CONFIG, "serial-config", rec,
			       PSF_SERC_SIZE);
			S_close(s);
		}
		S_close(s);

		S_close(s);
	}
	S_close(s);

	S_open(s, PSF_RESERVATIONS, "reservations");
	for (i = 0; i < N_RESERVE; i++) {
		snprintf(name, sizeof(name), "reservation@%u", i);
		S_open(s, PSF_RESERVATION, name);
		snprintf(str, sizeof(str), "rsv-%s-%u", words[rnd(NWORDS)], i);
		S_str(s, PSF_NAME, "name", str);
		memset(rec, 0, sizeof(rec));
		rec[PSF_RESC_KIND] = (uint8_t)(1 + rnd(4));
		psf_put_le64(rec + PSF_RESC_FIRST, rnd(1u << 30));
		psf_put_le64(rec + PSF_RESC_COUNT, 1 + rnd(64));
		S_prop(s, PSF_RESERVATION_CONFIG, "reservation-config", rec,
		       PSF_RESC_SIZE);
		snprintf(str, sizeof(str), "%s-%s-%04u", words[rnd(NWORDS)],
			 words[rnd(NWORDS)], rnd(N_VMS));
		S_str(s, PSF_OWNER, "owner", str);
		S_close(s);
	}
	S_close(s);

	S_open(s, PSF_AGENT_STATE, "agent-state");
	for (i = 0; i < 16; i++) {
		n = 64 + rnd(192);
		fill(blob, n);
		S_prop(s, PSF_SIG(0, PSF_NS_AGENT, 0x0002), "agent,journal",
		       blob, n);
	}
	S_close(s);

	S_open(s, PSF_BMC_STATE, "bmc-state");
	for (i = 0; i < 64; i++) {
		n = 16 + rnd(48);
		fill(blob, n);
		S_prop(s, PSF_SIG(0, PSF_NS_BMC, 0x0001), "bmc,sel-entry",
		       blob, n);
	}
	S_close(s);
}

static int build_psf(struct gen_stats *st)
{
	struct sink s;
	int total;

	memset(&s, 0, sizeof(s));
	s.open = psf_open;
	s.close = psf_close;
	s.prop = psf_prop;
	/* The builder opens the root (psf_build_begin) and closes it
	 * (psf_build_finish) itself. */
	if (psf_build_begin(&s.pb, g_psf, BUF_CAP, PSF_ROOT,
			    PSF_SCHEMA_VERSION, 0))
		return -1;
	s.st.containers++;
	generate_body(&s);
	if (s.err)
		return -1;
	total = psf_build_finish(&s.pb);
	if (total < 0)
		return -1;
	g_psf_size = (uint32_t)total;
	*st = s.st;
	return 0;
}

static int build_dtb(uint32_t trim, struct gen_stats *st)
{
	struct sink s;

	memset(&s, 0, sizeof(s));
	s.open = fdt_open;
	s.close = fdt_close;
	s.prop = fdt_prop;
	s.fdt = g_dtb;
	s.blob_trim = trim;
	if (fdt_create(g_dtb, (int)BUF_CAP) || fdt_finish_reservemap(g_dtb))
		return -1;
	S_open(&s, PSF_ROOT, "");
	generate_body(&s);
	S_close(&s);
	if (s.err || fdt_finish(g_dtb))
		return -1;
	g_dtb_size = fdt_totalsize(g_dtb);
	*st = s.st;
	return 0;
}

/* ------------------------------------------------------------------------
 * Which CRC-32C psf_crc32c uses.  This mirrors the selection in
 * format/psf_crc.c, so the bench must be compiled with the same -D flags
 * as the core it links (the Makefile does that).
 */

enum crc_path { CRC_NIBBLE, CRC_TABLES, CRC_TABLES_NO_SSE42, CRC_SSE42 };

static int crc_path(void)
{
#if !defined(PSF_CRC_FAST)
	return CRC_NIBBLE;
#elif __STDC_HOSTED__ && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__)) && !defined(PSF_CRC_NO_HW)
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2") ? CRC_SSE42
						: CRC_TABLES_NO_SSE42;
#else
	return CRC_TABLES;
#endif
}

static const char *crc_path_name(int path)
{
	switch (path) {
	case CRC_NIBBLE:
		return "nibble table (no PSF_CRC_FAST: the firmware CRC)";
	case CRC_TABLES_NO_SSE42:
		return "portable tables, slicing-by-16 (CPU without SSE4.2)";
	case CRC_SSE42:
		return "hardware, SSE4.2 crc32 instruction (3 streams)";
	}
#ifdef PSF_CRC_NO_HW
	return "portable tables, slicing-by-16 (-DPSF_CRC_NO_HW)";
#else
	return "portable tables, slicing-by-16";
#endif
}

/* ------------------------------------------------------------------------
 * The measured work
 */

static volatile uint64_t sink;
static int g_fail;              /* set by any failed check or walk */
static uint32_t g_psf_elems;    /* expected counts, from the generator */
static uint32_t g_fdt_nodes, g_fdt_props;

static void failed(const char *what, int rc)
{
	if (!g_fail)
		fprintf(stderr, "bench_format: %s failed (%d)\n", what, rc);
	g_fail = 1;
}

/*
 * Walk every element with the cursor API, as a reader would: one
 * struct psf_cursor per open container on an explicit stack,
 * psf_cursor_next decoding (and bounds-checking) each child into a
 * struct psf_elem, and for every structure its length and the first byte
 * of its payload (at e.data).  Pads are elements too and are counted.
 */
static uint64_t psf_walk(const uint8_t *b)
{
	struct psf_cursor stack[PSF_MAX_DEPTH];
	struct psf_elem e;
	int depth, off, rc;
	uint64_t acc = 0;
	uint32_t visited = 1;

	rc = psf_elem(b, psf_root(b), &e);
	if (rc == 0)
		rc = psf_cursor_init(b, psf_root(b), &stack[0]);
	if (rc) {
		failed("psf cursor walk: root", rc);
		return 0;
	}
	acc += e.sig;
	depth = 1;
	while (depth > 0) {
		off = psf_cursor_next(b, &stack[depth - 1], &e);
		if (off < 0) {
			if (off != PSF_ERR_NOTFOUND) {
				failed("psf_cursor_next", off);
				return 0;
			}
			depth--;        /* this container is done */
			continue;
		}
		visited++;
		acc += e.sig;
		if (PSF_SIG_IS_CONTAINER(e.sig)) {
			if (depth == (int)PSF_MAX_DEPTH) {
				failed("psf cursor walk depth", depth);
				return 0;
			}
			rc = psf_cursor_init(b, off, &stack[depth]);
			if (rc) {
				failed("psf_cursor_init", rc);
				return 0;
			}
			depth++;
		} else {
			acc += e.count + (e.count ? b[e.data] : 0);
		}
	}
	if (visited != g_psf_elems)
		failed("psf cursor walk count", (int)visited);
	return acc + visited;
}

/*
 * The same walk with the offset iterators psf_first_child_raw /
 * psf_next_child_raw (the psf_for_each_child_raw loop): psf_elem to learn
 * what each child is, an explicit stack of (parent, child) offsets.  Each
 * psf_next_child_raw call decodes the parent again; the cursor does not.
 */
static uint64_t psf_walk_raw(const uint8_t *b)
{
	int parent[PSF_MAX_DEPTH], saved[PSF_MAX_DEPTH];
	int depth = 0, cur = psf_root(b), child;
	uint64_t acc = 0;
	uint32_t visited = 1;
	struct psf_elem e;

	if (psf_elem(b, cur, &e)) {
		failed("psf walk", -1);
		return 0;
	}
	acc += e.sig;
	child = psf_first_child_raw(b, cur);
	for (;;) {
		if (child < 0) {
			if (child != PSF_ERR_NOTFOUND) {
				failed("psf walk", child);
				return 0;
			}
			if (depth == 0)
				break;
			depth--;
			cur = parent[depth];
			child = psf_next_child_raw(b, cur, saved[depth]);
			continue;
		}
		if (psf_elem(b, child, &e)) {
			failed("psf walk", -1);
			return 0;
		}
		visited++;
		acc += e.sig;
		if (PSF_SIG_IS_CONTAINER(e.sig)) {
			if (depth == (int)PSF_MAX_DEPTH) {
				failed("psf walk depth", -1);
				return 0;
			}
			parent[depth] = cur;
			saved[depth] = child;
			depth++;
			cur = child;
			child = psf_first_child_raw(b, cur);
		} else {
			acc += e.count + (e.count ? b[e.data] : 0);
			child = psf_next_child_raw(b, cur, child);
		}
	}
	if (visited != g_psf_elems)
		failed("psf walk count", (int)visited);
	return acc + visited;
}

/*
 * Every node, and every property of every node, as a libfdt reader would:
 * fdt_next_node, fdt_for_each_property_offset, fdt_getprop_by_offset with
 * the property name (the property's identity, as a PSF reader gets the
 * signature), and the node name.  names = 0: offsets and values only (a
 * reader that does not look at what it visits; for comparison).
 */
static uint64_t fdt_walk(const void *fdt, int names)
{
	int node, prop, depth = 0;
	uint32_t nodes = 0, props = 0;
	uint64_t acc = 0;

	for (node = 0; node >= 0 && depth >= 0;
	     node = fdt_next_node(fdt, node, &depth)) {
		if (names) {
			int nlen;
			const char *nname = fdt_get_name(fdt, node, &nlen);

			if (!nname) {
				failed("fdt_get_name", nlen);
				return 0;
			}
			acc += (uint64_t)nlen + (uint8_t)nname[0];
		}
		nodes++;
		fdt_for_each_property_offset(prop, fdt, node) {
			const char *pname = "";
			int len;
			const uint8_t *p = fdt_getprop_by_offset(
				fdt, prop, names ? &pname : NULL, &len);

			if (!p) {
				failed("fdt_getprop_by_offset", len);
				return 0;
			}
			acc += (uint64_t)len + (len ? p[0] : 0) +
			       (uint8_t)pname[0];
			props++;
		}
		if (prop != -FDT_ERR_NOTFOUND) {
			failed("fdt property walk", prop);
			return 0;
		}
	}
	/* The end: fdt_next_node leaves the root (depth -1) or reports
	 * NOTFOUND; anything else is an error. */
	if (node < 0 && node != -FDT_ERR_NOTFOUND)
		failed("fdt_next_node", node);
	if (nodes != g_fdt_nodes || props != g_fdt_props)
		failed("fdt walk count", (int)(nodes + props));
	return acc + nodes + props;
}

enum {
	C_PSF_FULL_WALK,
	C_FDT_FULL_WALK,
	C_PSF_TREE_WALK,
	C_PSF_CRC,
	C_PSF_TREE,
	C_PSF_WALK,
	C_PSF_WALK_RAW,
	C_FDT_FULL,
	C_FDT_WALK,
	C_FDT_WALK_NONAMES,
	C_COUNT
};

static const struct {
	const char *name;
	int fdt;        /* 1: works on the DTB */
	int part;       /* 1: a piece of the headline, for information */
} cases[C_COUNT] = {
	[C_PSF_FULL_WALK]    = { "psf_check_full + walk (cursor)", 0, 0 },
	[C_FDT_FULL_WALK]    = { "fdt_check_full + walk", 1, 0 },
	[C_PSF_TREE_WALK]    = { "psf_check_tree + walk (no CRC)", 0, 0 },
	[C_PSF_CRC]          = { "psf_check_crc (CRC-32C alone)", 0, 1 },
	[C_PSF_TREE]         = { "psf_check_tree alone", 0, 1 },
	[C_PSF_WALK]         = { "psf walk alone (cursor)", 0, 1 },
	[C_PSF_WALK_RAW]     = { "psf walk alone (first/next_child_raw)", 0, 1 },
	[C_FDT_FULL]         = { "fdt_check_full alone", 1, 1 },
	[C_FDT_WALK]         = { "fdt walk alone", 1, 1 },
	[C_FDT_WALK_NONAMES] = { "fdt walk alone, names not read", 1, 1 },
};

static uint64_t run_once(int c)
{
	const uint8_t *b = g_psf;
	const void *fdt = g_dtb;
	uint32_t bad = 0;
	int rc;

	switch (c) {
	case C_PSF_FULL_WALK:
		rc = psf_check_full(b, g_psf_size, &bad);
		if (rc)
			failed("psf_check_full", rc);
		return psf_walk(b);
	case C_FDT_FULL_WALK:
		rc = fdt_check_full(fdt, g_dtb_size);
		if (rc)
			failed("fdt_check_full", rc);
		return fdt_walk(fdt, 1);
	case C_PSF_TREE_WALK:
		rc = psf_check_tree(b, g_psf_size, &bad);
		if (rc)
			failed("psf_check_tree", rc);
		return psf_walk(b);
	case C_PSF_CRC:
		rc = psf_check_crc(b, g_psf_size);
		if (rc)
			failed("psf_check_crc", rc);
		return (uint64_t)rc;
	case C_PSF_TREE:
		rc = psf_check_tree(b, g_psf_size, &bad);
		if (rc)
			failed("psf_check_tree", rc);
		return (uint64_t)rc + bad;
	case C_PSF_WALK:
		return psf_walk(b);
	case C_PSF_WALK_RAW:
		return psf_walk_raw(b);
	case C_FDT_FULL:
		rc = fdt_check_full(fdt, g_dtb_size);
		if (rc)
			failed("fdt_check_full", rc);
		return (uint64_t)rc;
	case C_FDT_WALK:
		return fdt_walk(fdt, 1);
	case C_FDT_WALK_NONAMES:
		return fdt_walk(fdt, 0);
	}
	return 0;
}

/* The function callgrind collects in (--toggle-collect=bench_run_case). */
NOINLINE uint64_t bench_run_case(int c, long iters);

NOINLINE uint64_t bench_run_case(int c, long iters)
{
	uint64_t acc = 0;
	long i;

	for (i = 0; i < iters; i++)
		acc += run_once(c);
	return acc;
}

/* ------------------------------------------------------------------------
 * Timing
 */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MAX_BATCHES 64

struct result {
	long iters;                  /* per batch */
	double per_iter[MAX_BATCHES];/* ns */
	double median, min;
};

static void time_all(struct result *r, int batches, double batch_ns)
{
	int c, k;

	/* Warm up and calibrate: iterations for one batch of ~batch_ns. */
	for (c = 0; c < C_COUNT; c++) {
		long n = 1;
		double t;

		for (;;) {
			double t0 = now_ns();

			sink += bench_run_case(c, n);
			t = now_ns() - t0;
			if (t > batch_ns / 4 || n > (1L << 24))
				break;
			n *= 2;
		}
		r[c].iters = (long)((double)n * batch_ns / t) + 1;
	}
	/* Batches interleaved across cases, so drift and noise hit all. */
	for (k = 0; k < batches; k++) {
		for (c = 0; c < C_COUNT; c++) {
			double t0;

			t0 = now_ns();
			sink += bench_run_case(c, r[c].iters);
			r[c].per_iter[k] = (now_ns() - t0) / (double)r[c].iters;
		}
	}
	for (c = 0; c < C_COUNT; c++) {
		double s[MAX_BATCHES];

		memcpy(s, r[c].per_iter, sizeof(double) * (size_t)batches);
		qsort(s, (size_t)batches, sizeof(double), cmp_double);
		r[c].min = s[0];
		r[c].median = batches % 2 ? s[batches / 2]
					  : (s[batches / 2 - 1] +
					     s[batches / 2]) / 2;
	}
}


/* ------------------------------------------------------------------------
 * Callgrind mode: re-run this binary under valgrind once per case, with
 * collection only inside bench_run_case, and read the instruction total.
 * The child is told the CRC path seen outside valgrind and fails if it
 * sees another one (valgrind's CPU model could hide SSE4.2).
 */

#define CG_ITERS 5
#define EXIT_CRC_PATH 3

static int callgrind_case(const char *self, int c, double *ir_per_iter)
{
	char out[64], arg_case[32], arg_iters[32], arg_path[32], line[256];
	pid_t pid;
	int status;
	FILE *f;
	unsigned long long total = 0;
	int found = 0;

	snprintf(out, sizeof(out), "/tmp/bench_format.cg.%ld.%d",
		 (long)getpid(), c);
	snprintf(arg_case, sizeof(arg_case), "--run-case=%d", c);
	snprintf(arg_iters, sizeof(arg_iters), "--iters=%d", CG_ITERS);
	snprintf(arg_path, sizeof(arg_path), "--crc-path=%d", crc_path());
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char outarg[96];

		snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
		if (!freopen("/dev/null", "w", stderr))
			_exit(126);
		execlp("valgrind", "valgrind", "--tool=callgrind",
		       "--collect-atstart=no",
		       "--toggle-collect=bench_run_case", outarg, self,
		       arg_case, arg_iters, arg_path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		unlink(out);
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CRC_PATH)
			fprintf(stderr, "bench_format: under valgrind the CRC "
				"path differs from \"%s\"\n",
				crc_path_name(crc_path()));
		return -1;
	}
	f = fopen(out, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "totals: %llu", &total) == 1 ||
		    sscanf(line, "summary: %llu", &total) == 1)
			found = 1;
	}
	fclose(f);
	unlink(out);
	if (!found)
		return -1;
	*ir_per_iter = (double)total / CG_ITERS;
	return 0;
}

/* ------------------------------------------------------------------------
 * Main
 */

static void print_inputs(const struct gen_stats *ps, const struct gen_stats *fs)
{
	printf("inputs (same generator; PSF container = DT node, "
	       "PSF structure = DT property)\n");
	printf("  %-6s %9s %10s %11s %13s\n", "", "bytes", "containers",
	       "structures", "payload bytes");
	printf("  %-6s %9u %10u %11u %13llu   elements %u\n", "PSF",
	       g_psf_size, ps->containers, ps->structs,
	       (unsigned long long)ps->payload, ps->containers + ps->structs);
	printf("  %-6s %9u %10u %11u %13llu   (nodes, properties)\n", "DTB",
	       g_dtb_size, fs->containers, fs->structs,
	       (unsigned long long)fs->payload);
	printf("  DTB/PSF size %.3f, payload %.3f, avg PSF element %.1f B\n",
	       (double)g_dtb_size / g_psf_size,
	       (double)fs->payload / (double)ps->payload,
	       (double)g_psf_size / (ps->containers + ps->structs));
}

static int setup(int verbose)
{
	struct gen_stats ps, fs;
	long diff;
	uint32_t trim = 0;
	int rc;

	g_psf = malloc(BUF_CAP);
	g_dtb = malloc(BUF_CAP);
	if (!g_psf || !g_dtb)
		return -1;
	memset(g_psf, 0, BUF_CAP);
	memset(g_dtb, 0, BUF_CAP);
	if (build_psf(&ps) || build_dtb(0, &fs)) {
		fprintf(stderr, "bench_format: building the inputs failed\n");
		return -1;
	}
	/* DT spends more bytes per item (12-byte property headers, 4-byte
	 * padding, node names, a strings block): take the difference out of
	 * the opaque agent blobs so the two buffers have the same size. */
	diff = (long)g_dtb_size - (long)g_psf_size;
	if (diff > 0) {
		trim = (uint32_t)((diff + fs.blobs - 1) / fs.blobs);
		if (build_dtb(trim, &fs)) {
			fprintf(stderr, "bench_format: DTB rebuild failed\n");
			return -1;
		}
	}
	g_psf_elems = ps.containers + ps.structs;
	g_fdt_nodes = fs.containers;
	g_fdt_props = fs.structs;
	if (fs.containers != ps.containers || fs.structs != ps.structs) {
		fprintf(stderr, "bench_format: element counts differ\n");
		return -1;
	}
	rc = psf_check_full(g_psf, g_psf_size, NULL);
	if (rc) {
		fprintf(stderr, "bench_format: psf_check_full: %s\n",
			psf_strerror(rc));
		return -1;
	}
	rc = fdt_check_full(g_dtb, g_dtb_size);
	if (rc) {
		fprintf(stderr, "bench_format: fdt_check_full: %s\n",
			fdt_strerror(rc));
		return -1;
	}
	if (verbose) {
		print_inputs(&ps, &fs);
		printf("  (each DT agent blob trimmed by %u bytes)\n", trim);
	}
	return 0;
}

static double mbps(uint32_t bytes, double ns)
{
	return ns > 0 ? (double)bytes / ns * 1e3 : 0;
}

static int main_callgrind(const char *self)
{
	double ir[C_COUNT];
	int c;

	printf("\ninstructions per iteration (valgrind --tool=callgrind, "
	       "%d iterations, collected only in bench_run_case)\n",
	       CG_ITERS);
	printf("  %-44s %14s %9s\n", "case", "Ir/iter", "Ir/byte");
	for (c = 0; c < C_COUNT; c++) {
		if (cases[c].part && !cases[c - 1].part)
			printf("  -- the pieces --\n");
		if (callgrind_case(self, c, &ir[c])) {
			fprintf(stderr, "bench_format: valgrind run failed "
				"for case %d (is valgrind installed?)\n", c);
			return 1;
		}
		printf("  %-44s %14.0f %9.2f\n", cases[c].name, ir[c],
		       ir[c] / (cases[c].fdt ? g_dtb_size : g_psf_size));
	}
	printf("ratio full-check+walk libfdt/psf (instructions): %.2f\n",
	       ir[C_FDT_FULL_WALK] / ir[C_PSF_FULL_WALK]);
	printf("ratio check-tree+walk (no CRC) libfdt/psf (instructions): "
	       "%.2f\n", ir[C_FDT_FULL_WALK] / ir[C_PSF_TREE_WALK]);
	printf("(CRC-32C: %s)\n", crc_path_name(crc_path()));
	return 0;
}

int main(int argc, char **argv)
{
	struct result r[C_COUNT];
	int batches = 15, c, i, run_case = -1, callgrind = 0, want_path = -1;
	double batch_ns = 40e6;
	long iters = CG_ITERS;
	char self[4096];
	ssize_t n;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			batches = 5;
			batch_ns = 10e6;
		} else if (!strcmp(argv[i], "--callgrind")) {
			callgrind = 1;
		} else if (!strncmp(argv[i], "--run-case=", 11)) {
			run_case = atoi(argv[i] + 11);
		} else if (!strncmp(argv[i], "--iters=", 8)) {
			iters = atol(argv[i] + 8);
		} else if (!strncmp(argv[i], "--crc-path=", 11)) {
			want_path = atoi(argv[i] + 11);
		} else {
			fprintf(stderr, "usage: %s [--quick | --callgrind]\n",
				argv[0]);
			return 2;
		}
	}

	if (run_case >= 0) {
		/* Child of --callgrind: one case, quietly. */
		if (want_path >= 0 && want_path != crc_path())
			return EXIT_CRC_PATH;
		if (run_case >= C_COUNT || setup(0))
			return 1;
		sink += bench_run_case(run_case, iters);
		return g_fail;
	}

	printf("bench_format: PSF vs libfdt, full validation + walk\n");
	printf("CRC-32C: %s\n", crc_path_name(crc_path()));
	if (setup(1))
		return 1;

	if (callgrind) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return 1;
		self[n] = 0;
		return main_callgrind(self) || g_fail;
	}

	memset(r, 0, sizeof(r));
	time_all(r, batches, batch_ns);
	if (g_fail)
		return 1;

	printf("\ntime per iteration: %d interleaved batches of ~%.0f ms per "
	       "case, CLOCK_MONOTONIC\n", batches, batch_ns / 1e6);
	printf("  %-44s %8s %11s %11s %9s\n", "case", "bytes", "median us",
	       "min us", "MB/s");
	for (c = 0; c < C_COUNT; c++) {
		uint32_t bytes = cases[c].fdt ? g_dtb_size : g_psf_size;

		if (cases[c].part && !cases[c - 1].part)
			printf("  -- the pieces --\n");
		printf("  %-44s %8u %11.1f %11.1f %9.0f\n", cases[c].name,
		       bytes, r[c].median / 1e3, r[c].min / 1e3,
		       mbps(bytes, r[c].median));
	}
	printf("\nratio full-check+walk libfdt/psf: %.2f\n",
	       r[C_FDT_FULL_WALK].median / r[C_PSF_FULL_WALK].median);
	printf("ratio full-check+walk libfdt/psf, from the minimums: %.2f\n",
	       r[C_FDT_FULL_WALK].min / r[C_PSF_FULL_WALK].min);
	printf("ratio check-tree+walk (no CRC) libfdt/psf: %.2f\n",
	       r[C_FDT_FULL_WALK].median / r[C_PSF_TREE_WALK].median);
	printf("(higher = PSF faster; medians unless said; CRC-32C: %s; "
	       "sink %llu)\n", crc_path_name(crc_path()),
	       (unsigned long long)(sink & 0xff));
	return g_fail;
}
