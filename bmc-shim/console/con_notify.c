/*
 * con_notify.c - faults told to the hypervisor's agent (pscon --notify
 * PATH): one datagram per recorded fault, to a unix datagram socket the
 * agent binds (hvagent's console_events), once the line that holds the
 * match is complete.  Lines of "key=value": vm, host, port, pattern, line
 * (the console line around the match, control bytes shown as '.').  Sent
 * without waiting: an agent that is not there, or not reading, loses the
 * notice (the service log and `psctl console list` still have the fault).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "con_svc.h"

/* The line of f->text that holds the match end (at f->before), printable. */
static void fault_line(const struct con_fault *f, char *out, size_t n)
{
	const char *t = f->text, *b = t + f->before, *e;
	size_t k = 0;

	while (b > t && b[-1] != '\n')
		b--;
	e = strchr(t + f->before, '\n');
	if (!e)
		e = t + strlen(t);
	for (; b < e && k + 1 < n; b++)
		if (*b != '\r')
			out[k++] = (unsigned char)*b < 0x20 || *b == 0x7f
				   ? '.' : *b;
	out[k] = 0;
}

void con_notify_fault(struct con_svc *s, const struct con_port *p,
		      const struct con_fault *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char msg[1024], line[600];
	int fd, n;

	if (!s->notify_path || strlen(s->notify_path) >= sizeof a.sun_path)
		return;
	fault_line(f, line, sizeof line);
	n = snprintf(msg, sizeof msg, "vm=%s\nhost=%s\nport=%u\npattern=%.*s\n"
		     "line=%s\n", p->vm, p->host, p->conc,
		     (int)s->pats.len[f->pat], s->pats.text[f->pat], line);
	memcpy(a.sun_path, s->notify_path, strlen(s->notify_path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || sendto(fd, msg, (size_t)n < sizeof msg ? (size_t)n
			     : sizeof msg - 1, 0, (struct sockaddr *)&a,
			     sizeof a) < 0)
		con_log("port %u (%s): fault not told to %s: %s", p->conc,
			p->host, s->notify_path, strerror(errno));
	else
		con_log("port %u (%s): fault told to %s", p->conc, p->host,
			s->notify_path);
	if (fd >= 0)
		close(fd);
}
