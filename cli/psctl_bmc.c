/*
 * psctl_bmc.c - see psctl.h for what this part of psctl does.
 */
#include "psctl.h"

const struct psctl_cmd psctl_bmc_cmds[] = {
	{ 0 }
};
