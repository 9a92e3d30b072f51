/*
 * con_core.h - the console service's pure parts, unit-tested on their own
 * (tests/unit/test_console.c): the backlog ring, the fault matcher, and
 * the rules of modes and privileges (one function each).
 */
#ifndef CON_CORE_H
#define CON_CORE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ ring */

/* The last cap bytes of a port's output; total counts every byte ever
 * pushed, so byte offsets name output positions for good.  The buffer
 * holds cap + CON_RING_SLACK bytes: new output is read into the slack
 * (con_ring_space) and becomes part of the ring only at con_ring_commit,
 * so a process killed between the two leaves the kept bytes intact (the
 * buffer may live in a memfd that outlives the process: con_keep.c).
 * Either way the buffer is address space reserved at once (an anonymous
 * mmap, or a sparse memfd) that the kernel backs with memory page by page
 * as output first reaches it: a port that printed little costs little
 * (1000 ports x 128 KiB would be 128 MB if allocated at once;
 * docs/performance.md), with no copy and no heap holes from growing. */
#define CON_RING_SLACK 16384u
struct con_ring {
	uint8_t *buf;
	size_t cap;             /* bytes kept                      */
	size_t size;            /* bytes of buf: cap + slack       */
	uint64_t total;
	int owned;              /* buf is ours to free             */
};

int con_ring_init(struct con_ring *r, size_t cap); /* -1: no memory */
/* A ring over caller memory of con_ring_bytes(cap) bytes, total given. */
void con_ring_attach(struct con_ring *r, uint8_t *buf, size_t cap,
		     uint64_t total);
size_t con_ring_bytes(size_t cap);
void con_ring_free(struct con_ring *r);
void con_ring_push(struct con_ring *r, const uint8_t *p, size_t n);
/* Where the next output goes: *p and how many bytes fit there (> 0,
 * at most the slack, contiguous).  Not kept until committed. */
size_t con_ring_space(const struct con_ring *r, uint8_t **p);
void con_ring_commit(struct con_ring *r, size_t n);
/* The oldest offset still held. */
uint64_t con_ring_first(const struct con_ring *r);
/* Up to max bytes from offset *from (raised to con_ring_first when older)
 * into out; *from advances past them.  Returns the count. */
size_t con_ring_read(const struct con_ring *r, uint64_t *from, uint8_t *out,
		     size_t max);

/* ------------------------------------------------------------ resume */

/* Where a resuming viewer starts: its offset `from` of stream `epoch`
 * against a ring of stream `have_epoch`.  Returns the offset to send
 * from (from itself, or the ring's first byte when the stream is another
 * one or from lies past the end); *lost = bytes from `from` the ring no
 * longer holds (reported to the viewer as a SKIP). */
uint64_t con_resume_from(const struct con_ring *r, uint64_t have_epoch,
			 uint64_t epoch, uint64_t from, uint64_t *lost,
			 int *resumed);

/* ------------------------------------------------------------ faults */

#define CON_PAT_MAX 16u
#define CON_PAT_LEN 64u

/* Literal patterns, matched byte by byte (KMP), so a match split across
 * any number of reads is found exactly once. */
struct con_patterns {
	unsigned n;
	uint8_t len[CON_PAT_MAX];
	uint8_t text[CON_PAT_MAX][CON_PAT_LEN];
	uint8_t fail[CON_PAT_MAX][CON_PAT_LEN];
};

/* The built-ins: "Kernel panic - not syncing", "Oops". */
void con_patterns_default(struct con_patterns *ps);
/* Adds one; -1 with *why when empty, too long or the table is full. */
int con_patterns_add(struct con_patterns *ps, const char *s,
		     const char **why);

/* Per-port state: how much of each pattern the last bytes matched. */
struct con_match {
	uint8_t st[CON_PAT_MAX];
};

/* Scans p[0..n): calls hit(arg, pattern, end) for each match, end the
 * index in p just after its last byte. */
void con_fault_scan(const struct con_patterns *ps, struct con_match *m,
		    const uint8_t *p, size_t n,
		    void (*hit)(void *arg, unsigned pat, size_t end),
		    void *arg);

/* ------------------------------------------------------------ rules */

/*
 * Privilege (the one place it is decided): root, the service's own user
 * and members of the administrator group are administrators (may type
 * and change modes); everyone else is an operator (may spy and list).
 */
int con_role(uint32_t uid, uint32_t service_uid, int in_admin_group);

enum con_act {
	CON_ACT_ATTACH,     /* attach (how in v->how)                       */
	CON_ACT_INPUT,      /* type                                          */
	CON_ACT_FORCE,      /* take the writer role                          */
	CON_ACT_MODE,       /* change the mode to v->new_mode                */
	CON_ACT_RELOAD,     /* reload the store's mappings                   */
};

/* What the rules look at: the port and the asking session. */
struct con_view {
	unsigned mode;          /* the port's PSF_SERIAL_MODE_*             */
	unsigned others;        /* sessions attached besides the asker      */
	int writer;             /* 1: the asker is the writer; 0: someone
				   else is; -1: nobody is                   */
	int role;               /* CON_ROLE_*                               */
	unsigned how;           /* CON_RW / CON_SPY (attach: requested)     */
	unsigned new_mode;      /* CON_ACT_MODE                             */
};

/*
 * 0 when allowed, else a CON_E_* code with *why set.  Modes: free = every
 * read-write session types; observer = only the writer types (the first
 * to type, or force); privacy = one session, no other may attach, even to
 * spy.  Operators may only spy.  INPUT in observer mode with no writer
 * makes the asker the writer (the caller does it when this returns 0).
 */
int con_allow(const struct con_view *v, enum con_act act, const char **why);

#endif /* CON_CORE_H */
