/*
 * bench_hvagent.c - hvagent's reconcile pass on N VMs (default 1000)
 * against N bare virDomainDefineXML calls of comparable domains, in the
 * same run on the same embedded QEMU driver (qemu:///embed?root=TMPDIR,
 * or the URI given as the second argument).  Prints the first pass (every
 * domain defined from the store, one commit), the no-change pass, and
 * their ratios to the bare defines, each with the process's CPU time
 * (libvirt's driver runs in the process: CPU time is the pass's work and
 * libvirt's, less the machine's other load than the wall time).  `make
 * bench-hvagent` runs N = 1,000 and 5,000: a pass that grows faster than
 * N shows as a per-VM time that grows with N.
 *
 *   bench_hvagent [N [URI]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_hvagent: %s: %s\n", what,
		virGetLastErrorMessage());
	exit(1);
}

/* The same shape of domain the agent defines: memory, vCPUs, SMBIOS,
 * one NIC, one disk with a boot rank, one serial port with a log. */
static double bare_defines(virConnectPtr c, unsigned n, const char *dir)
{
	char xml[2048];
	double t0 = now();
	unsigned i;

	for (i = 0; i < n; i++) {
		virDomainPtr d;

		snprintf(xml, sizeof xml,
			 "<domain type='qemu'><name>bare%u</name>"
			 "<uuid>00000000-0000-4000-8000-%012u</uuid>"
			 "<memory unit='KiB'>1048576</memory><vcpu>2</vcpu>"
			 "<sysinfo type='smbios'><system><entry name='serial'>"
			 "B%u</entry><entry name='uuid'>00000000-0000-4000-"
			 "8000-%012u</entry></system></sysinfo>"
			 "<os><type arch='x86_64'>hvm</type><smbios "
			 "mode='sysinfo'/></os><devices>"
			 "<disk type='file' device='disk'><driver name='qemu' "
			 "type='raw'/><source file='/srv/b%u.img'/><target "
			 "dev='vda' bus='virtio'/><boot order='1'/></disk>"
			 "<interface type='bridge'><mac address="
			 "'02:00:00:%02x:%02x:%02x'/><source bridge='br0'/>"
			 "</interface><serial type='pty'><log file='%s/b%u.log'"
			 "/><target port='0'/></serial></devices></domain>",
			 i, i, i, i, i, (i >> 16) & 0xff, (i >> 8) & 0xff,
			 i & 0xff, dir, i);
		d = virDomainDefineXML(c, xml);
		if (!d)
			die("bare define");
		virDomainFree(d);
	}
	return now() - t0;
}

struct mk {
	unsigned n;
};

/* N VMs like the bare ones, created through the edit layer. */
static int make_vms(void *buf, size_t cap, void *arg)
{
	const struct mk *m = arg;
	struct ps_cfg_err e;
	int root = psf_root(buf), el, vm;
	unsigned i;
	char name[32], v[64];

	el = ps_obj_create(buf, cap, root, PS_OBJ_NETWORK, "lan", 3, &e);
	if (el < 0 || ps_obj_set(buf, cap, el, PS_OBJ_NETWORK, "uplink", 6,
				 "br0", 3, &e))
		return -1;
	for (i = 0; i < m->n; i++) {
		snprintf(name, sizeof name, "img%u", i);
		el = ps_obj_create(buf, cap, root, PS_OBJ_IMAGE, name,
				   strlen(name), &e);
		snprintf(v, sizeof v, "/srv/v%u.img", i);
		if (el < 0 || ps_obj_set(buf, cap, el, PS_OBJ_IMAGE, "path", 4,
					 v, strlen(v), &e))
			return -1;
		snprintf(name, sizeof name, "vm%u", i);
		vm = ps_obj_create(buf, cap, root, PS_OBJ_VM, name,
				   strlen(name), &e);
		snprintf(v, sizeof v, "11111111-0000-4000-8000-%012u", i);
		if (vm < 0 || ps_obj_set(buf, cap, vm, PS_OBJ_VM, "uuid", 4, v,
					 strlen(v), &e))
			return -1;
		snprintf(v, sizeof v, "S%u", i);
		ps_obj_set(buf, cap, vm, PS_OBJ_VM, "serial", 6, v, strlen(v),
			   &e);
		ps_obj_set(buf, cap, vm, PS_OBJ_VM, "memory", 6, "1GiB", 4, &e);
		ps_obj_set(buf, cap, vm, PS_OBJ_VM, "cpus", 4, "2", 1, &e);
		el = ps_obj_create(buf, cap, vm, PS_OBJ_NIC, "eth0", 4, &e);
		snprintf(v, sizeof v, "02:01:00:%02x:%02x:%02x", (i >> 16) & 0xff,
			 (i >> 8) & 0xff, i & 0xff);
		if (el < 0 || ps_obj_set(buf, cap, el, PS_OBJ_NIC, "mac", 3, v,
					 strlen(v), &e) ||
		    ps_obj_set(buf, cap, el, PS_OBJ_NIC, "network", 7, "lan", 3,
			       &e))
			return -1;
		vm = ps_obj_find(buf, root, PS_OBJ_VM, name, strlen(name));
		el = ps_obj_create(buf, cap, vm, PS_OBJ_CONTROLLER, "root", 4,
				   &e);
		snprintf(name, sizeof name, "img%u", i);
		if (el < 0 || ps_obj_set(buf, cap, el, PS_OBJ_CONTROLLER, "image",
					 5, name, strlen(name), &e) ||
		    ps_obj_set(buf, cap, el, PS_OBJ_CONTROLLER, "bootable", 8,
			       "on", 2, &e))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
	char dir[] = "/tmp/bench_hvagentXXXXXX", uri[512], cmd[600];
	const char *u = argc > 2 ? argv[2] : NULL;
	struct ps_media m;
	struct ps_format_opts o = { 0 };
	uint8_t sector[PS_SECTOR_SIZE];
	struct ps_disk d;
	struct ps_store *store;
	struct hv_sync s = { 0 };
	struct hv_stats st1, st2;
	struct mk mk = { n };
	virConnectPtr c;
	double t_open, t_bare, t_first, t_nochange, c_bare, c_first, c_nochange;
	uint64_t sectors = 65536;   /* 32 MiB RAM disk: two 16 MiB slots */
	uint8_t *mem = calloc(sectors, PS_SECTOR_SIZE);
	int err;

	if (!mem || !n || !mkdtemp(dir))
		return 1;
	snprintf(uri, sizeof uri, "qemu:///embed?root=%s", dir);
	if (!u)
		u = uri;
	hv_log_set_level(HV_ERR);
	if (virEventRegisterDefaultImpl() < 0)
		die("event loop");
	t_open = now();
	c = virConnectOpen(u);
	if (!c)
		die(u);
	/* The driver probes QEMU's capabilities at the first define: do one
	 * first so neither timing below pays for it. */
	{
		virDomainPtr w;

		bare_defines(c, 1, dir);
		w = virDomainLookupByName(c, "bare0");
		if (!w || virDomainUndefine(w) < 0)
			die("warm-up");
		virDomainFree(w);
	}
	t_open = now() - t_open;
	c_bare = cpu();
	t_bare = bare_defines(c, n, dir);
	c_bare = cpu() - c_bare;

	ps_media_init_mem(&m, mem, PS_SECTOR_SIZE, sectors);
	if (ps_format(&d, &m, &o, sector))
		return 1;
	store = ps_store_open(&m, &err);
	if (!store || ps_update(store, make_vms, &mk, 0)) {
		fprintf(stderr, "bench_hvagent: building the store failed\n");
		return 1;
	}
	s.conn = c;
	s.store = store;
	s.media = &m;
	s.uri = u;
	s.adopt = HV_ADOPT_NONE;
	s.map.serial_run_dir = dir;
	s.map.serial_log_dir = dir;
	s.map.domain_type = "qemu";
	s.map.arch = "x86_64";
	s.map.default_memory_kib = 1048576;
	c_first = cpu();
	t_first = now();
	if (hv_sync_pass(&s, &st1))
		return 1;
	t_first = now() - t_first;
	c_first = cpu() - c_first;
	c_nochange = cpu();
	t_nochange = now();
	if (hv_sync_pass(&s, &st2))
		return 1;
	t_nochange = now() - t_nochange;
	c_nochange = cpu() - c_nochange;

	printf("hvagent reconcile, %u VMs, %s (open + first define %.2f s)\n", n, u, t_open);
	printf("  %-28s %8.3f s %7.1f us/VM  cpu %7.1f us/VM\n",
	       "bare virDomainDefineXML x N", t_bare, t_bare * 1e6 / n,
	       c_bare * 1e6 / n);
	printf("  %-28s %8.3f s %7.1f us/VM  cpu %7.1f us/VM  %.2fx bare  "
	       "(%u defines, %u commit, %llu sectors)\n",
	       "first pass (define all)", t_first, t_first * 1e6 / n,
	       c_first * 1e6 / n, t_first / t_bare, st1.defines, st1.commits,
	       (unsigned long long)st1.sectors_written);
	printf("  %-28s %8.3f s %7.1f us/VM  cpu %7.1f us/VM  %.2fx bare  "
	       "(%u defines, %u commits, %llu sectors)\n", "no-change pass",
	       t_nochange, t_nochange * 1e6 / n, c_nochange * 1e6 / n,
	       t_nochange / t_bare, st2.defines, st2.commits,
	       (unsigned long long)st2.sectors_written);
	ps_store_close(store);
	free(mem);
	virConnectClose(c);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 && st2.defines == 0 && st2.commits == 0 ? 0 : 1;
}
