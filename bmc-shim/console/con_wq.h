/*
 * con_wq.h - a WebSocket's send queue, one for both ends of the console's
 * web endpoint: pscon's web thread toward a browser (con_web.c) and
 * `psctl --bmc console`'s bridge toward pscon (cli/psctl_console_web.c).
 *
 * Whole messages, in order, each with `pre` bytes of room before it (the
 * WebSocket library's header, LWS_PRE).  A message that cannot be queued
 * (the queue holds more than its limit, or memory runs out) is never left
 * out alone: either end numbers the stream by counting the bytes it gets
 * (the page's output offsets, the service's count of unnumbered input),
 * so a hole would shift every offset after it.  The queue is marked
 * broken instead, takes nothing more, and its owner closes the WebSocket;
 * the reconnect's resume then carries exactly the rest (docs/console.md,
 * "The console WebSocket", "Over --bmc").
 *
 * Hosted C, no libwebsockets: the caller writes (psctl opens lws with
 * dlopen, pscon links it), through con_wq_send's callback.
 */
#ifndef CON_WQ_H
#define CON_WQ_H

#include <stddef.h>

/* The limit of either end: a peer that reads nothing while this much
 * waits for it is cut off. */
#define CON_WQ_MAX (256u * 1024u)

struct con_wq_msg {
	struct con_wq_msg *next;
	int binary;
	size_t len;
	unsigned char buf[];        /* pre bytes of room, then len bytes */
};

/* Why a queue is broken. */
enum { CON_WQ_OK = 0, CON_WQ_FULL = 1, CON_WQ_NOMEM = 2 };

struct con_wq {
	struct con_wq_msg *head, *tail;
	size_t queued;              /* bytes in the messages            */
	size_t pre;                 /* room before each message         */
	size_t max;                 /* more than this queued: FULL      */
	int broken;                 /* CON_WQ_*: close the WebSocket    */
};

/* An empty queue (a zeroed one is empty too, with no room and no limit). */
void con_wq_init(struct con_wq *q, size_t pre, size_t max);
/* Queues a copy of n bytes; 0, or -1 when the queue is (now) broken: the
 * message was not queued and nothing after it will be. */
int con_wq_put(struct con_wq *q, int binary, const void *p, size_t n);
/* Marks the queue broken (why: CON_WQ_FULL or CON_WQ_NOMEM) as a put
 * that failed would. */
void con_wq_break(struct con_wq *q, int why);
/* Something to do when the WebSocket is writable: a message, or the
 * close of a broken queue. */
int con_wq_pending(const struct con_wq *q);
/* Writes the first message with wr(arg, bytes, len, binary) (the bytes
 * have q->pre bytes of room before them; wr returns 0 or -1) and frees
 * it.  1 written, 0 nothing queued, -1 broken (nothing written: close
 * the WebSocket) or wr failed. */
int con_wq_send(struct con_wq *q,
		int (*wr)(void *arg, unsigned char *p, size_t n, int binary),
		void *arg);
/* Frees every message; the queue is empty and no longer broken. */
void con_wq_clear(struct con_wq *q);

#endif /* CON_WQ_H */
