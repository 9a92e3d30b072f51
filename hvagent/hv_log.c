/*
 * hv_log.c - levelled log lines on stderr.  Under systemd (stderr not a
 * terminal) each line carries the sd-daemon "<N>" priority prefix, which
 * journald turns into the entry's priority; on a terminal the level is
 * spelled out.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hv.h"

static int log_level = HV_INFO;

void hv_log_set_level(int level)
{
	log_level = level;
}

int hv_log_level(void)
{
	return log_level;
}

int hv_log_parse_level(const char *s)
{
	static const struct { const char *name; int level; } names[] = {
		{ "err", HV_ERR }, { "error", HV_ERR }, { "warn", HV_WARN },
		{ "warning", HV_WARN }, { "info", HV_INFO },
		{ "debug", HV_DEBUG },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].level;
	return -1;
}

static const char *level_name(int level)
{
	switch (level) {
	case HV_ERR: return "error";
	case HV_WARN: return "warning";
	case HV_INFO: return "info";
	default: return "debug";
	}
}

void hv_log(int level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "hvagent: %s: %s\n", level_name(level), msg);
	else
		fprintf(stderr, "<%d>%s\n", level, msg);
	fflush(stderr);
}
