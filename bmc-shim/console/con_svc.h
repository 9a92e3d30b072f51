/*
 * con_svc.h - the console service's state: ports, sessions, the event
 * loop's handles.  pscon.c (main, loop, store), con_port.c (ports: the
 * backend, guest output, logs, faults), con_client.c (sessions: the
 * protocol's requests).
 */
#ifndef CON_SVC_H
#define CON_SVC_H

#include <stdint.h>
#include <sys/types.h>

#include "con_core.h"
#include "con_proto.h"

struct con_port;
struct con_client;

/* An epoll registration: what an fd belongs to. */
enum con_kind { CON_K_LISTEN, CON_K_PORT_LISTEN, CON_K_GUEST, CON_K_CLIENT,
		CON_K_SIGNAL, CON_K_WEB, CON_K_STORE, CON_K_CAND,
		CON_K_TIMER };
struct con_handle {
	enum con_kind kind;
	int fd;
	void *obj;
	int reg;                /* registered with epoll */
};

/*
 * The port backend (one per kind of concentrator port).  The unix-socket
 * backend here; a BMC's USB gadget ACM backend would open /dev/ttyGS<n>.
 * open: make the port's endpoint (listening fd in *fd, or -1 when the
 * guest side is a device opened at once: then *guest is set); close:
 * remove it.
 */
struct con_backend {
	const char *name;
	int (*open)(struct con_port *p, int *fd, int *guest);
	void (*close)(struct con_port *p);
};
extern const struct con_backend con_backend_unix;

/* A byte queue (a session's output, a guest's input), bounded. */
struct con_queue {
	uint8_t *buf;
	size_t len, cap;
};

/* A recorded fault: the pattern, when, where, and the output around it. */
#define CON_FAULT_KEEP 4u
#define CON_FAULT_TEXT 2047u
struct con_fault {
	unsigned pat;
	uint64_t offset;         /* output offset just after the match */
	long long when;          /* seconds since the epoch            */
	char text[CON_FAULT_TEXT + 1];
	size_t after_want;       /* output still to append after it    */
	size_t before;           /* bytes of text up to the match end  */
	int told;                /* sent to --notify (con_notify.c)    */
};

/*
 * What a port keeps across a restart of the service (con_keep.c): the
 * head of a memfd whose ring bytes follow at CON_KEEP_HDR.  The memfd is
 * handed to the next process (re-exec, systemd's fd store or pscon
 * --hold), so output offsets, the backlog, the live mode, what was logged
 * and each input stream's written offset survive even a SIGKILL.
 */
/* A VM's identity across stores: its UUID as text ("name:VM" without). */
#define CON_IDENT_MAX 95u
#define CON_KEEP_MAGIC 0x3150454b4e4f4350ull /* "PCONKEP1" */
#define CON_KEEP_STREAMS 16u
#define CON_KEEP_HDR 4096u
struct con_keep {
	uint64_t magic;
	uint64_t cap;           /* ring bytes kept                          */
	uint64_t epoch;         /* names this output stream (random)        */
	uint64_t total;         /* output committed to the ring             */
	uint64_t consumed;      /* output taken out of the guest socket     */
	uint64_t logged;        /* output written to the log                */
	uint64_t log_to;        /* a log write in flight: [logged, log_to)  */
	uint64_t log_size;      /* ... and the log file's size before it    */
	uint32_t conc, mode, store_mode, log_bol;
	uint64_t clock;         /* stream use counter                       */
	struct {
		uint64_t id;    /* the client's random stream id; 0 free    */
		uint64_t written; /* its bytes written to the guest         */
		uint64_t used;  /* clock at its last attach                 */
	} in[CON_KEEP_STREAMS];
	/* A live migration under way (con_migrate.c), so a restart in its
	 * middle goes on with it; its held connection is the fd "cnd-N". */
	uint32_t mig;           /* CON_KEEP_MIG_*; 0: none                  */
	uint32_t mig_pad;
	uint8_t mig_token[16];
	int64_t mig_t_begin, mig_t_pause; /* CLOCK_MONOTONIC ms            */
	uint64_t mig_out_pause;
	/* Whose port it is (con_store.c), so a port in a move's grace -
	 * in no store - is kept by a restart too. */
	int64_t leave_at;       /* CLOCK_MONOTONIC ms; 0: mapped            */
	uint32_t store_no, pad2;
	char ident[CON_IDENT_MAX + 1];
	char host[CON_NAME_MAX + 1], vm[CON_NAME_MAX + 1];
};
#define CON_KEEP_MIG_BEGUN 1u
#define CON_KEEP_MIG_PAUSED 2u
#define CON_KEEP_MIG_ARMED 4u

/* Input queued for the guest, by input stream (-1: not numbered). */
#define CON_SEGS 64u
struct con_seg {
	int stream;
	uint32_t len;
};

/* A file descriptor handed over by the previous process. */
struct con_handed {
	char name[24];
	int fd;
};

/* A claim on a port that it does not serve (con_store.c): the same VM in
 * another store (CON_CLAIM_MOVE), or another VM (CON_CLAIM_CLASH). */
struct con_claim {
	uint8_t kind;
	unsigned store;
	char vm[CON_NAME_MAX + 1];
};


struct con_port {
	struct con_port *next;
	struct con_keep *k;             /* in the memfd               */
	int memfd;
	size_t map_len;
	int guest_sock;                 /* peek works on the guest fd */
	int resumed;                    /* state handed over: recover */
	uint64_t accepted[CON_KEEP_STREAMS]; /* input queued or written */
	struct con_seg seg[CON_SEGS];
	unsigned nseg;
	unsigned conc;
	unsigned mode, store_mode;
	char host[CON_NAME_MAX + 1], vm[CON_NAME_MAX + 1];
	char path[512];                 /* backend endpoint          */
	struct con_handle lis, guest;   /* fds -1 when closed        */
	struct con_handle cand;         /* a held second guest connection
					   (con_migrate.c): in the port, so
					   an event of the same batch never
					   finds it freed */
	struct con_queue to_guest;
	struct con_ring ring;
	struct con_match match;
	struct con_fault *fault;        /* CON_FAULT_KEEP, at the first */
	unsigned faults;                /* ever recorded              */
	int logfd;
	uint64_t log_size;
	int log_bol;                    /* next byte starts a line    */
	struct con_client *writer;
	uint32_t last_input_uid;        /* for the log: who writes     */
	struct con_mig *mig;            /* a migration, or a held second
					   guest connection (con_migrate.c) */
	unsigned store;                 /* served from s->stores[store] */
	char ident[CON_IDENT_MAX + 1];  /* its VM (con_store.c)        */
	long long leave_at;             /* in no store: removed at this
					   monotonic ms (0: mapped)     */
	struct con_claim *claim, *old_claim; /* not served (con_store.c) */
	unsigned nclaims, old_nclaims;
	int seen;                       /* reload: still in the store */
	int gone;                       /* removed: freed after the batch */
};

struct con_client {
	struct con_client *next;
	struct con_handle h;
	uint32_t uid;
	int role;
	int hello;
	struct con_port *port;          /* attached to, or NULL       */
	unsigned how;
	unsigned ver;                   /* protocol version of the hello */
	int stream;                     /* input stream slot, or -1   */
	uint64_t acked;                 /* input offset last acked    */
	uint8_t in[CON_HDR + CON_PAYLOAD_MAX];
	size_t in_len;
	struct con_queue out;
	uint64_t sent;                  /* next output offset to send */
	uint64_t skipped;               /* bytes skipped, not yet told */
	uint64_t skip_from;
	int dead;
};

/* A store whose mappings are served (--store, or the default one). */
#define CON_STORES_MAX 16u
struct con_store {
	const char *path;               /* NULL: the default store   */
	struct con_handle watch;        /* inotify, fd -1 without    */
	int failed;                     /* its last read failed      */
};

struct con_svc {
	int ep;
	const char *run_dir, *sock_path, *log_dir;
	const char *notify_path;        /* --notify: faults to hvagent */
	int run_fd;                     /* the run directory, O_PATH  */
	size_t ring_size, queue_max, log_max;
	unsigned log_keep;
	uid_t uid;
	gid_t admin_gid;
	int have_admin_gid;
	struct con_patterns pats;
	struct con_handle lis, sig;
	struct con_store stores[CON_STORES_MAX];
	unsigned nstores;
	unsigned move_grace;            /* --move-grace seconds       */
	struct con_handle timer;        /* the end of a move's grace  */
	struct con_port *ports;
	struct con_client *clients;
	const struct con_backend *backend;
	int stop;
	int restart;                    /* re-exec after this batch   */
	char exe[1024];                 /* re-exec'd on restart       */
	char **argv;
	struct con_handed *handed;      /* from the previous process  */
	unsigned nhanded;
	int hold_fd;                    /* pscon --hold's store, or -1 */
};

/* pscon.c: the one service of the process (the backend reaches it). */
extern struct con_svc *con_g;
void con_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int con_watch(struct con_svc *s, struct con_handle *h, int out);
void con_unwatch(struct con_svc *s, struct con_handle *h);

/* con_store.c: the stores (docs/console.md, "Several stores"). */
int con_reload(struct con_svc *s, char *err, size_t errlen);
int con_store_add(struct con_svc *s, const char *path);
int con_stores_watch(struct con_svc *s);
/* After the first reload of a restart: ports handed over in a move's
 * grace (in no store), kept until its end. */
void con_stores_adopt(struct con_svc *s);
void con_store_event(struct con_svc *s, struct con_handle *h);
void con_stores_close(struct con_svc *s);
const char *con_store_name(const struct con_svc *s, unsigned i);

/* con_port.c */
struct con_port *con_port_new(struct con_svc *s, unsigned conc);
void con_port_delete(struct con_svc *s, struct con_port *p);
struct con_port *con_port_find(struct con_svc *s, const char *host,
			       unsigned long conc);
void con_port_accept(struct con_svc *s, struct con_port *p);
void con_guest_event(struct con_svc *s, struct con_port *p, uint32_t ev);
int con_guest_write(struct con_svc *s, struct con_port *p,
		    const uint8_t *b, size_t n, int stream);
void con_port_resume(struct con_svc *s, struct con_port *p);
void con_stream_settle(struct con_port *p, int stream);
void con_port_info(const struct con_port *p, struct con_svc *s,
		   struct con_port_info *pi);

/* con_keep.c: what survives a restart (docs/console.md, "Restarts"). */
void con_raise_nofile(void);
void con_fds_load(struct con_svc *s);
int con_fd_take(struct con_svc *s, const char *name);
int con_fd_take_port(struct con_svc *s, const char *what, unsigned conc);
void con_fds_unclaimed(struct con_svc *s);
void con_fd_store(struct con_svc *s, const char *name, int fd);
void con_fd_forget(struct con_svc *s, const char *name);
/* "lis"/"gst"/"mem"/"cnd" + port: the names of a port's fds in the
 * store. */
void con_fd_store_port(struct con_svc *s, const char *what, unsigned conc,
		       int fd);
void con_fd_forget_port(struct con_svc *s, const char *what, unsigned conc);
/* sd_notify(3): to pscon --hold's socket, else $NOTIFY_SOCKET. */
void con_sd_notify(struct con_svc *s, const char *msg);
int con_keep_open(struct con_svc *s, struct con_port *p);
void con_keep_close(struct con_svc *s, struct con_port *p);
void con_keep_recover(struct con_svc *s, struct con_port *p);
int con_stream_slot(struct con_port *p, uint64_t id,
		    const struct con_client *clients);
void con_restart(struct con_svc *s);
void con_crash_point(const char *point);
/* Arranges fds[0..n) at 3.. with LISTEN_FDS/LISTEN_FDNAMES for the
 * process about to exec (the re-exec, pscon --hold's worker). */
int con_fds_pass(char *const *names, const int *fds, unsigned n);
int con_hold_main(int argc, char **argv);

/* con_port.c: the port's guest connection becomes fd (-1: none); the
 * one before it is closed.  Queued input goes to the new one. */
void con_guest_take(struct con_svc *s, struct con_port *p, int fd);
/* Everything the guest has written so far read into the ring. */
void con_guest_drain(struct con_svc *s, struct con_port *p);

/* con_migrate.c: a live migration's handover (docs/console.md). */
struct con_mig;
void con_mig_hold(struct con_svc *s, struct con_port *p, int fd);
int con_mig_source_gone(struct con_svc *s, struct con_port *p);
int con_mig_holds_input(const struct con_port *p);
void con_mig_event(struct con_svc *s, struct con_port *p, uint32_t ev);
void con_mig_end(struct con_svc *s, struct con_port *p);
/* A port handed over by a restart: its migration and held connection. */
void con_mig_restore(struct con_svc *s, struct con_port *p);
/* MIGRATE from an administrator's session: 0, or a refusal code with
 * *why (reply filled on success: CON_MIGRATE_OK bytes). */
int con_mig_request(struct con_svc *s, const struct con_client *c,
		    const struct con_migrate *m, uint8_t *reply,
		    const char **why);

/* con_notify.c: a fault told to --notify's socket. */
void con_notify_fault(struct con_svc *s, const struct con_port *p,
		      const struct con_fault *f);

/* con_client.c */
void con_client_accept(struct con_svc *s);
/* A session on fd for a user known otherwise (the web page's, con_web.c):
 * -1 when it cannot be made (fd left open). */
int con_client_adopt(struct con_svc *s, int fd, uint32_t uid, int role);
void con_client_event(struct con_svc *s, struct con_client *c, uint32_t ev);
void con_client_pump(struct con_svc *s, struct con_client *c);
void con_notice(struct con_svc *s, struct con_port *p, unsigned kind,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void con_client_detach(struct con_svc *s, struct con_client *c);
void con_client_reap(struct con_svc *s);
void con_client_acks(struct con_svc *s, struct con_port *p);
void con_clients_bye(struct con_svc *s);

/* Queues (con_client.c). */
int con_queue_put(struct con_queue *q, const void *p, size_t n, size_t max);
void con_queue_drop(struct con_queue *q, size_t n);

#endif /* CON_SVC_H */
