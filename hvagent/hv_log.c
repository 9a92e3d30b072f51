/*
 * hv_log.c - levelled log lines on stderr.  Under journald each line
 * carries the sd-daemon "<N>" priority prefix, which journald turns into
 * the entry's priority (and journald stamps the time); anywhere else (a
 * terminal, a file, a pipe) a line starts with an ISO 8601 UTC time and
 * spells the level out.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
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

/* systemd.exec(5): JOURNAL_STREAM holds "DEVICE:INODE" of the stream
 * journald gave the service; stderr is that stream only when its fstat
 * matches (a redirected stderr inherits the variable but not the
 * stream).  Asked once: stderr does not change under a running agent. */
static int under_journald(void)
{
	static int known, yes;
	const char *js;
	struct stat st;
	unsigned long long dev, ino;
	char end;

	if (known)
		return yes;
	known = 1;
	js = getenv("JOURNAL_STREAM");
	yes = js && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	      fstat(STDERR_FILENO, &st) == 0 &&
	      (unsigned long long)st.st_dev == dev &&
	      (unsigned long long)st.st_ino == ino;
	return yes;
}

/* "2026-12-07T07:45:22.123Z" */
static void stamp(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

void hv_log(int level, const char *fmt, ...)
{
	char msg[2048], ts[40];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (under_journald()) {
		fprintf(stderr, "<%d>%s\n", level, msg);
	} else {
		stamp(ts, sizeof ts);
		fprintf(stderr, "%s hvagent: %s: %s\n", ts,
			level_name(level), msg);
	}
	fflush(stderr);
}
