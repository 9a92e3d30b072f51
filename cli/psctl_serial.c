/*
 * psctl_serial.c - see psctl.h for what this part of psctl does.
 */
#include "psctl.h"

const struct psctl_cmd psctl_serial_cmds[] = {
	{ 0 }
};
