/*
 * con_port.c - concentrator ports: the unix-socket backend, guest output
 * (backlog ring, timestamped log with rotation, fault capture, fan-out to
 * sessions) and guest input.  The guest is always read as fast as it
 * writes: sessions take their bytes from the ring at their own pace
 * (con_client_pump), so no viewer can slow it or another viewer.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"

#define GUEST_IN_MAX (64u * 1024u)   /* input queued for a guest       */
#define FAULT_BEFORE 1536u           /* output kept before a match     */
#define FAULT_AFTER 511u             /* ... and after it               */

/* ------------------------------------------------------------ backend */

/* The endpoint's name under the run directory. */
static void sock_name(const struct con_port *p, char *out, size_t n)
{
	snprintf(out, n, "port-%u", p->conc);
}

/* Binds through /proc/self/fd/RUN_FD/NAME: the run directory checked at
 * start, even if its path is swapped for a symlink since. */
static int unix_open(struct con_port *p, int *fd, int *guest)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[32];
	struct stat st;
	int s;

	*guest = -1;
	sock_name(p, name, sizeof name);
	if (!fstatat(con_g->run_fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (!S_ISSOCK(st.st_mode)) {
			con_log("port %u: %s/%s exists and is no socket: not "
				"served", p->conc, con_g->run_dir, name);
			return -1;
		}
		unlinkat(con_g->run_fd, name, 0);
	}
	snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s",
		 con_g->run_fd, name);
	snprintf(p->path, sizeof p->path, "%s/%s", con_g->run_dir, name);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
	    listen(s, 4)) {
		con_log("port %u: %s: %s", p->conc, p->path, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	*fd = s;
	return 0;
}

static void unix_close(struct con_port *p)
{
	char name[32];

	sock_name(p, name, sizeof name);
	unlinkat(con_g->run_fd, name, 0);
}

const struct con_backend con_backend_unix = { "unix", unix_open,
					      unix_close };

/* ------------------------------------------------------------ ports */

/* The guest side: handed over by the previous process (the guest never
 * saw its port close), else opened by the backend. */
static int port_endpoints(struct con_svc *s, struct con_port *p, int *fd,
			  int *guest)
{
	char name[24];

	snprintf(name, sizeof name, "lis-%u", p->conc);
	*fd = con_fd_take(s, name);
	snprintf(name, sizeof name, "gst-%u", p->conc);
	*guest = con_fd_take(s, name);
	if (*fd >= 0 || *guest >= 0) {
		sock_name(p, name, sizeof name);
		snprintf(p->path, sizeof p->path, "%s/%s", s->run_dir, name);
		return 0;
	}
	return s->backend->open(p, fd, guest);
}

struct con_port *con_port_new(struct con_svc *s, unsigned conc)
{
	struct con_port *p = calloc(1, sizeof *p);
	int fd, guest, sock = 0;
	socklen_t l = sizeof sock;

	if (!p)
		return NULL;
	p->conc = conc;
	p->lis = (struct con_handle){ CON_K_PORT_LISTEN, -1, p, 0 };
	p->guest = (struct con_handle){ CON_K_GUEST, -1, p, 0 };
	p->cand = (struct con_handle){ CON_K_CAND, -1, p, 0 };
	p->logfd = -1;
	p->last_input_uid = CON_NOBODY;
	if (con_keep_open(s, p) || port_endpoints(s, p, &fd, &guest)) {
		con_keep_close(s, p);
		free(p);
		return NULL;
	}
	p->lis.fd = fd;
	p->guest.fd = guest; /* a device backend's port is open at once */
	p->guest_sock = guest >= 0 &&
			!getsockopt(guest, SOL_SOCKET, SO_TYPE, &sock, &l);
	if (fd >= 0) {
		con_watch(s, &p->lis, 0);
		con_fd_store_port(s, "lis", p->conc, fd);
	}
	if (guest >= 0) {
		con_watch(s, &p->guest, 0);
		con_fd_store_port(s, "gst", p->conc, guest);
	}
	p->next = s->ports;
	s->ports = p;
	if (p->resumed)
		con_mig_restore(s, p);
	return p;
}

void con_port_delete(struct con_svc *s, struct con_port *p)
{
	struct con_port **pp;
	struct con_client *c;

	for (c = s->clients; c; c = c->next)
		if (c->port == p)
			con_client_detach(s, c);
	con_mig_end(s, p);
	con_unwatch(s, &p->lis);
	con_unwatch(s, &p->guest);
	s->backend->close(p);
	if (p->logfd >= 0)
		close(p->logfd);
	con_keep_close(s, p);
	free(p->to_guest.buf);
	free(p->fault);
	free(p->claim);
	free(p->old_claim);
	for (pp = &s->ports; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

struct con_port *con_port_find(struct con_svc *s, const char *host,
			       unsigned long conc)
{
	struct con_port *p;

	for (p = s->ports; p; p = p->next)
		if (!p->gone && ((host && p->host[0] && !strcmp(p->host, host)) ||
				 (conc && p->conc == conc)))
			return p;
	return NULL;
}

/* One guest per port: a second connection is held, unread, for a live
 * migration's destination (con_migrate.c). */
void con_port_accept(struct con_svc *s, struct con_port *p)
{
	int fd = accept4(p->lis.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (p->guest.fd >= 0)
		return con_mig_hold(s, p, fd);
	con_mig_end(s, p);
	p->guest.fd = fd;
	p->guest_sock = 1;
	con_watch(s, &p->guest, p->to_guest.len > 0);
	con_fd_store_port(s, "gst", p->conc, fd);
	con_log("port %u (%s): guest connected", p->conc, p->host);
	con_notice(s, p, CON_N_GUEST, "guest connected");
}

/* ------------------------------------------------------------ log */

/* The port's log name: its host name when it is a plain file name. */
static void log_name(const struct con_port *p, char *out, size_t n)
{
	if (p->host[0] && p->host[0] != '.' && !strchr(p->host, '/'))
		snprintf(out, n, "%s.log", p->host);
	else
		snprintf(out, n, "port-%u.log", p->conc);
}

static void log_open(struct con_svc *s, struct con_port *p)
{
	char name[CON_NAME_MAX + 16], path[1024];
	struct stat st;

	log_name(p, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", s->log_dir, name);
	p->logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
			O_CLOEXEC, 0640);
	if (p->logfd < 0) {
		con_log("port %u: log %s: %s", p->conc, path, strerror(errno));
		return;
	}
	p->log_size = fstat(p->logfd, &st) ? 0 : (uint64_t)st.st_size;
}

/* NAME.log -> NAME.log.1 -> ... -> NAME.log.KEEP (dropped). */
static void log_rotate(struct con_svc *s, struct con_port *p)
{
	char name[CON_NAME_MAX + 16], from[1100], to[1100];
	unsigned k;

	log_name(p, name, sizeof name);
	close(p->logfd);
	p->logfd = -1;
	for (k = s->log_keep; k > 0; k--) {
		if (k > 1)
			snprintf(from, sizeof from, "%s/%s.%u", s->log_dir,
				 name, k - 1);
		else
			snprintf(from, sizeof from, "%s/%s", s->log_dir, name);
		snprintf(to, sizeof to, "%s/%s.%u", s->log_dir, name, k);
		rename(from, to);
	}
	log_open(s, p);
}

/* Guest output to the log, "[YYYY-mm-ddTHH:MM:SSZ] " at each line start.
 * Written at once, whatever the viewers do.  Line by line (memchr,
 * memcpy): a byte-by-byte copy was a tenth of the service's CPU at full
 * output rate. */
static void log_bytes(struct con_svc *s, struct con_port *p,
		      const uint8_t *b, size_t n)
{
	char stamp[32], out[16384];
	size_t o = 0, i = 0, k, sl;
	time_t now = time(NULL);
	struct tm tm;

	if (!s->log_dir)
		return;
	if (p->logfd < 0)
		log_open(s, p);
	if (p->logfd < 0)
		return;
	gmtime_r(&now, &tm);
	sl = strftime(stamp, sizeof stamp, "[%Y-%m-%dT%H:%M:%SZ] ", &tm);
	while (i < n) {
		const uint8_t *nl = memchr(b + i, '\n', n - i);

		k = nl ? (size_t)(nl - b) + 1 - i : n - i;
		if (o + sl + k > sizeof out) { /* room for a stamp + a line */
			if (o && write(p->logfd, out, o) > 0)
				p->log_size += o;
			o = 0;
			if (sl + k > sizeof out) /* a line longer than out */
				k = sizeof out - sl;
		}
		if (p->log_bol) {
			memcpy(out + o, stamp, sl);
			o += sl;
		}
		memcpy(out + o, b + i, k);
		o += k;
		i += k;
		p->log_bol = b[i - 1] == '\n';
	}
	if (o && write(p->logfd, out, o) > 0)
		p->log_size += o;
}

/* Output [k->logged, k->logged + n) = b to the log.  The write in flight
 * is recorded first (where it starts in the file), so a process killed
 * during it leaves what the next one needs to cut the file back and
 * write it again: no byte twice, none missing (con_port_resume). */
static void log_write(struct con_svc *s, struct con_port *p,
		      const uint8_t *b, size_t n)
{
	struct con_keep *k = p->k;

	if (s->log_dir && p->logfd < 0)
		log_open(s, p);
	k->log_size = p->log_size;
	k->log_to = k->logged + n;
	log_bytes(s, p, b, n);
	con_crash_point("log");
	k->log_bol = (uint32_t)p->log_bol;
	k->logged = k->log_to;
	if (s->log_max && p->log_size >= s->log_max && p->log_bol)
		log_rotate(s, p);
}

/* After a restart: a log write cut short is cut back and done again, and
 * output the log has not had yet (committed before a crash) follows. */
void con_port_resume(struct con_svc *s, struct con_port *p)
{
	struct con_keep *k = p->k;
	static uint8_t b[16384];
	uint64_t from = k->logged, first = con_ring_first(&p->ring);
	size_t n;

	if (k->log_to > k->logged && s->log_dir) {
		if (p->logfd < 0)
			log_open(s, p);
		if (p->logfd >= 0 && !ftruncate(p->logfd, (off_t)k->log_size))
			p->log_size = k->log_size;
	}
	k->log_to = k->logged;
	if (from < first) {
		con_log("port %u (%s): %llu bytes of output at offset %llu "
			"never reached the log", p->conc, p->host,
			(unsigned long long)(first - from),
			(unsigned long long)from);
		k->logged = from = first;
	}
	while ((n = con_ring_read(&p->ring, &from, b, sizeof b)) > 0)
		log_write(s, p, b, n);
}

/* ------------------------------------------------------------ faults */

struct hit_ctx {
	struct con_svc *s;
	struct con_port *p;
	uint64_t base;          /* offset of the chunk's first byte */
};

static void fault_hit(void *arg, unsigned pat, size_t end)
{
	struct hit_ctx *h = arg;
	struct con_port *p = h->p;
	struct con_fault *f;
	uint64_t from;
	size_t n;

	/* Records are allocated at a port's first fault: 8 KiB a port that
	 * never faults does not pay (docs/performance.md, 1000 ports). */
	if (!p->fault && !(p->fault = calloc(CON_FAULT_KEEP, sizeof *f))) {
		con_log("port %u: no memory to record a fault", p->conc);
		return;
	}
	f = &p->fault[p->faults % CON_FAULT_KEEP];
	f->pat = pat;
	f->offset = h->base + end;
	f->when = (long long)time(NULL);
	from = f->offset > FAULT_BEFORE ? f->offset - FAULT_BEFORE : 0;
	n = 0;
	while (from < f->offset && n < FAULT_BEFORE) {
		uint64_t want = f->offset - from;
		size_t k = con_ring_read(&p->ring, &from, (uint8_t *)f->text + n,
					 want < FAULT_BEFORE - n
					 ? (size_t)want : FAULT_BEFORE - n);
		if (!k)
			break;
		n += k;
	}
	f->text[n] = 0;
	f->before = n;
	f->told = 0;
	f->after_want = FAULT_AFTER;
	p->faults++;
	con_log("port %u (%s): fault '%.*s' at output offset %llu", p->conc,
		p->host, (int)h->s->pats.len[pat], h->s->pats.text[pat],
		(unsigned long long)f->offset);
	con_notice(h->s, p, CON_N_FAULT, "fault '%.*s' at offset %llu",
		   (int)h->s->pats.len[pat], h->s->pats.text[pat],
		   (unsigned long long)f->offset);
}

/* The newest fault takes the output after its match, up to FAULT_AFTER;
 * told to --notify once the match's line is complete. */
static void fault_after(struct con_svc *s, struct con_port *p)
{
	struct con_fault *f;
	size_t have, k;
	uint64_t from;

	if (!p->faults)
		return;
	f = &p->fault[(p->faults - 1) % CON_FAULT_KEEP];
	if (!f->after_want)
		return;
	have = strlen(f->text);
	from = f->offset + (FAULT_AFTER - f->after_want);
	k = con_ring_read(&p->ring, &from, (uint8_t *)f->text + have,
			  f->after_want < CON_FAULT_TEXT - have
			  ? f->after_want : CON_FAULT_TEXT - have);
	f->after_want -= k;
	f->text[have + k] = 0;
	if (!f->told && (!f->after_want || strchr(f->text + f->before, '\n'))) {
		f->told = 1;
		con_notify_fault(s, p, f);
	}
}

/* ------------------------------------------------------------ guest */

static void guest_gone(struct con_svc *s, struct con_port *p)
{
	if (con_mig_source_gone(s, p))
		return;
	con_unwatch(s, &p->guest);
	con_fd_forget_port(s, "gst", p->conc);
	p->to_guest.len = 0;
	p->nseg = 0;
	for (unsigned i = 0; i < CON_KEEP_STREAMS; i++)
		p->accepted[i] = p->k->in[i].written;
	con_log("port %u (%s): guest disconnected", p->conc, p->host);
	con_notice(s, p, CON_N_GUEST, "guest disconnected");
}

/* Output committed to the ring (already there, at b). */
static void guest_output(struct con_svc *s, struct con_port *p,
			 const uint8_t *b, size_t n)
{
	struct hit_ctx h = { s, p, p->ring.total - n };
	struct con_client *c;

	log_write(s, p, b, n);
	con_fault_scan(&s->pats, &p->match, b, n, fault_hit, &h);
	fault_after(s, p);
	for (c = s->clients; c; c = c->next)
		if (c->port == p)
			con_client_pump(s, c);
}

/* w bytes of queued input reached the guest: their streams' written
 * offsets advance (kept in the memfd: a resending client is told). */
static void input_written(struct con_port *p, size_t w)
{
	unsigned i = 0, j;

	while (w && i < p->nseg) {
		size_t k = w < p->seg[i].len ? w : p->seg[i].len;

		if (p->seg[i].stream >= 0)
			p->k->in[p->seg[i].stream].written += k;
		p->seg[i].len -= (uint32_t)k;
		w -= k;
		if (!p->seg[i].len)
			i++;
	}
	for (j = 0; i < p->nseg; )
		p->seg[j++] = p->seg[i++];
	p->nseg = j;
	for (i = 0; i < CON_KEEP_STREAMS; i++)
		if (p->k->in[i].written != p->accepted[i])
			con_stream_settle(p, (int)i);
}

/* A stream with nothing queued is done up to what it was accepted for
 * (written, or refused). */
void con_stream_settle(struct con_port *p, int stream)
{
	unsigned i;

	for (i = 0; i < p->nseg; i++)
		if (p->seg[i].stream == stream)
			return;
	p->k->in[stream].written = p->accepted[stream];
}

static void guest_flush(struct con_svc *s, struct con_port *p)
{
	ssize_t w;
	int wrote = 0;

	if (con_mig_holds_input(p)) { /* for the migration's destination */
		con_watch(s, &p->guest, 0);
		return;
	}
	while (p->to_guest.len) {
		w = write(p->guest.fd, p->to_guest.buf, p->to_guest.len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				guest_gone(s, p);
			break;
		}
		input_written(p, (size_t)w);
		con_queue_drop(&p->to_guest, (size_t)w);
		wrote = 1;
	}
	if (p->guest.fd >= 0)
		con_watch(s, &p->guest, p->to_guest.len > 0);
	if (wrote)
		con_client_acks(s, p);
}

/*
 * Guest output into the ring, byte-exact across a SIGKILL: the bytes are
 * peeked into the ring's slack, committed (k->total), and only then
 * taken out of the socket (k->consumed).  A process killed between the
 * steps leaves them either still in the socket and not committed, or
 * committed and settled at the next start (con_keep.c).  A guest fd that
 * is no socket (a device) is read directly.
 */
static ssize_t guest_read(struct con_port *p)
{
	static uint8_t scratch[CON_RING_SLACK];
	uint8_t *at;
	size_t room = con_ring_space(&p->ring, &at);
	ssize_t r;

	if (!p->guest_sock) {
		r = read(p->guest.fd, at, room);
		if (r > 0) {
			con_ring_commit(&p->ring, (size_t)r);
			p->k->total = p->k->consumed = p->ring.total;
		}
		return r;
	}
	r = recv(p->guest.fd, at, room, MSG_PEEK | MSG_DONTWAIT);
	if (r <= 0)
		return r;
	con_ring_commit(&p->ring, (size_t)r);
	p->k->total = p->ring.total;
	con_crash_point("read");
	(void)!recv(p->guest.fd, scratch, (size_t)r, MSG_DONTWAIT);
	con_crash_point("consume");
	p->k->consumed = p->ring.total;
	return r;
}

void con_guest_event(struct con_svc *s, struct con_port *p, uint32_t ev)
{
	ssize_t r;
	int round;

	if (ev & EPOLLOUT)
		guest_flush(s, p);
	/* A bounded number of reads per wakeup: other ports get their turn. */
	for (round = 0; round < 16 && p->guest.fd >= 0 &&
	     (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)); round++) {
		r = guest_read(p);
		if (r > 0) {
			uint8_t *at = p->ring.buf + (p->ring.total - (uint64_t)r)
				      % p->ring.size;
			guest_output(s, p, at, (size_t)r);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		guest_gone(s, p);
	}
}

void con_guest_drain(struct con_svc *s, struct con_port *p)
{
	ssize_t r;

	while (p->guest.fd >= 0 && (r = guest_read(p)) > 0)
		guest_output(s, p, p->ring.buf + (p->ring.total - (uint64_t)r)
			     % p->ring.size, (size_t)r);
}

/* The new connection gets the queued input before the old one is
 * closed (a migration's order: attach, deliver, release). */
void con_guest_take(struct con_svc *s, struct con_port *p, int fd)
{
	struct con_handle old = p->guest;

	if (fd != old.fd) {
		if (old.reg)
			epoll_ctl(s->ep, EPOLL_CTL_DEL, old.fd, NULL);
		p->guest = (struct con_handle){ CON_K_GUEST, fd, p, 0 };
		p->guest_sock = 1;
		if (fd >= 0)
			con_fd_store_port(s, "gst", p->conc, fd);
		else
			con_fd_forget_port(s, "gst", p->conc);
	}
	if (p->guest.fd >= 0)
		guest_flush(s, p);
	if (fd != old.fd && old.fd >= 0)
		close(old.fd);
}

int con_guest_write(struct con_svc *s, struct con_port *p, const uint8_t *b,
		    size_t n, int stream)
{
	if (!n)
		return 0;
	if (p->guest.fd < 0 || (p->nseg == CON_SEGS &&
				p->seg[p->nseg - 1].stream != stream) ||
	    con_queue_put(&p->to_guest, b, n, GUEST_IN_MAX))
		return -1;
	if (p->nseg && p->seg[p->nseg - 1].stream == stream)
		p->seg[p->nseg - 1].len += (uint32_t)n;
	else
		p->seg[p->nseg++] = (struct con_seg){ stream, (uint32_t)n };
	if (stream >= 0)
		p->accepted[stream] += n;
	guest_flush(s, p);
	return 0;
}

void con_port_info(const struct con_port *p, struct con_svc *s,
		   struct con_port_info *pi)
{
	const struct con_client *c;

	memset(pi, 0, sizeof *pi);
	pi->conc = p->conc;
	pi->mode = p->mode;
	pi->guest = p->guest.fd >= 0;
	pi->writer = p->writer ? p->writer->uid : CON_NOBODY;
	pi->faults = p->faults > 0xffff ? 0xffff : p->faults;
	pi->out_total = p->ring.total;
	snprintf(pi->host, sizeof pi->host, "%s", p->host);
	snprintf(pi->vm, sizeof pi->vm, "%s", p->vm);
	snprintf(pi->store, sizeof pi->store, "%s",
		 con_store_name(s, p->store));
	pi->flags = p->leave_at ? CON_PORT_LEAVING : 0;
	for (unsigned i = 0; i < p->nclaims && i < CON_CLAIMS_MAX; i++) {
		pi->claim[i].kind = p->claim[i].kind;
		snprintf(pi->claim[i].store, sizeof pi->claim[i].store, "%s",
			 con_store_name(s, p->claim[i].store));
		snprintf(pi->claim[i].vm, sizeof pi->claim[i].vm, "%s",
			 p->claim[i].vm);
		pi->nclaims = i + 1;
	}
	for (c = s->clients; c; c = c->next)
		if (c->port == p && pi->nusers < CON_USERS_MAX) {
			pi->uid[pi->nusers] = c->uid;
			pi->how[pi->nusers++] = (uint8_t)c->how;
		}
	if (p->faults) {
		const struct con_fault *f =
			&p->fault[(p->faults - 1) % CON_FAULT_KEEP];
		size_t o = (size_t)snprintf(pi->fault, sizeof pi->fault,
					    "%.*s @%llu: ",
					    (int)s->pats.len[f->pat],
					    s->pats.text[f->pat],
					    (unsigned long long)f->offset),
		       t = strlen(f->text);

		if (t > sizeof pi->fault - 1 - o) /* o < 100 */
			t = sizeof pi->fault - 1 - o;
		memcpy(pi->fault + o, f->text, t);
		pi->fault[o + t] = 0;
	}
}
