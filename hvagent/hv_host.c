/*
 * hv_host.c - what the host's libvirt offers: the <domain type> of the
 * domains the agent defines.  `domain_type = auto` asks libvirt's domain
 * capabilities whether KVM is there for the host's architecture (libvirt
 * knows /dev/kvm, the emulator's accelerators and the machine types); an
 * explicit `kvm` is refused on a host where libvirt says it is not.
 */
#include <stdlib.h>
#include <string.h>

#include "hv.h"

/* Does libvirt offer virttype for arch?  1 yes, 0 no (libvirt said so:
 * why holds its message), -1 the driver has no domain capabilities (the
 * test driver): nothing known. */
static int offered(virConnectPtr conn, const char *arch, const char *virttype,
		   char *why, size_t whylen)
{
	char *xml = virConnectGetDomainCapabilities(conn, NULL, arch, NULL,
						    virttype, 0);
	virErrorPtr err;
	int ok;

	if (xml) {
		/* The answer names the type it describes. */
		char want[48];

		snprintf(want, sizeof want, "<domain>%s</domain>", virttype);
		ok = strstr(xml, want) != NULL;
		if (!ok)
			snprintf(why, whylen, "libvirt describes another type");
		free(xml);
		return ok;
	}
	err = virGetLastError();
	if (err && err->code == VIR_ERR_NO_SUPPORT)
		return -1;
	snprintf(why, whylen, "%s", virGetLastErrorMessage());
	return 0;
}

/* The first <domain type> of the host capabilities' guests, else qemu. */
static void first_type(virConnectPtr conn, char *out, size_t outlen)
{
	char *caps = virConnectGetCapabilities(conn);
	const char *t = caps ? strstr(caps, "<domain type='") : NULL;
	size_t n = t ? strcspn(t + 14, "'") : 0;

	if (n && n < outlen)
		snprintf(out, outlen, "%.*s", (int)n, t + 14);
	else
		snprintf(out, outlen, "qemu");
	free(caps);
}

int hv_domain_type_resolve(virConnectPtr conn, const char *want,
			   const char *arch, char *out, size_t outlen,
			   char *err, size_t errlen)
{
	static int warned;   /* the TCG warning: once per process */
	char why[512] = "";
	int kvm;

	if (strcmp(want, "auto") && strcmp(want, "kvm")) {
		snprintf(out, outlen, "%s", want);   /* qemu: always there */
		return 0;
	}
	kvm = offered(conn, arch, "kvm", why, sizeof why);
	if (!strcmp(want, "kvm")) {
		if (kvm == 0) {
			snprintf(err, errlen, "domain_type = kvm: libvirt "
				 "offers no KVM for %s on this host (%s); use "
				 "domain_type = auto or qemu", arch, why);
			return -1;
		}
		snprintf(out, outlen, "kvm");
		return 0;
	}
	if (kvm == 1) {
		snprintf(out, outlen, "kvm");
		hv_log(HV_DEBUG, "domain_type = auto: kvm (%s)", arch);
		return 0;
	}
	if (kvm < 0) {
		/* No domain capabilities (the test driver): the first type
		 * its host capabilities list. */
		first_type(conn, out, outlen);
		hv_log(HV_DEBUG, "domain_type = auto: '%s' (the driver has no "
		       "domain capabilities)", out);
		return 0;
	}
	snprintf(out, outlen, "qemu");
	if (!warned++)
		hv_log(HV_WARN, "domain_type = auto: no KVM for %s (%s); "
		       "defining domains with type 'qemu' (TCG emulation, "
		       "slow)", arch, why);
	return 0;
}
