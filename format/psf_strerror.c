/*
 * psf_strerror.c - one fixed message per error code.
 */
#include "psf.h"

static const char *const psf_errors[PSF_ERR_MAX + 1] = {
	[0] = "success",
	[-PSF_ERR_NOTFOUND] = "element not found",
	[-PSF_ERR_TRUNCATED] = "buffer shorter than the store's length",
	[-PSF_ERR_BADMAGIC] = "not a pstate store (bad magic)",
	[-PSF_ERR_BADVERSION] = "unsupported format major version",
	[-PSF_ERR_BADHEADER] = "invalid header size or length field",
	[-PSF_ERR_HEADERCRC] = "header checksum mismatch",
	[-PSF_ERR_BODYCRC] = "body checksum mismatch",
	[-PSF_ERR_BADFLAGS] = "unknown must-understand flag set",
	[-PSF_ERR_TOOLARGE] = "store larger than the format allows",
	[-PSF_ERR_BADROOT] = "body is not exactly one root container",
	[-PSF_ERR_OVERRUN] = "element extends past its parent",
	[-PSF_ERR_BADCOUNT] = "container child count disagrees with its size",
	[-PSF_ERR_TOODEEP] = "elements nested too deeply",
	[-PSF_ERR_BADOFFSET] = "offset is not an element of the store",
	[-PSF_ERR_NOTCONTAINER] = "element is not a container",
	[-PSF_ERR_NOTSTRUCT] = "element is not a structure",
	[-PSF_ERR_NOSPACE] = "not enough room in the buffer",
	[-PSF_ERR_BADVALUE] = "invalid argument",
	[-PSF_ERR_BADSTATE] = "builder call out of order",
	[-PSF_ERR_BADPAYLOAD] = "payload does not match its schema type",
};

const char *psf_strerror(int err)
{
	if (err > 0 || err < -PSF_ERR_MAX)
		return "unknown error";
	return psf_errors[-err];
}
