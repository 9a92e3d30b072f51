/*
 * con_wq.c - a WebSocket's send queue (con_wq.h), shared by pscon's web
 * thread and psctl's --bmc bridge: one rule for a message that cannot be
 * queued (the queue breaks, the WebSocket closes, no offset shifts).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "con_wq.h"

void con_wq_init(struct con_wq *q, size_t pre, size_t max)
{
	memset(q, 0, sizeof *q);
	q->pre = pre;
	q->max = max;
}

void con_wq_break(struct con_wq *q, int why)
{
	if (!q->broken)
		q->broken = why;
}

int con_wq_put(struct con_wq *q, int binary, const void *p, size_t n)
{
	struct con_wq_msg *m = NULL;

	if (q->broken)
		return -1;
	if (q->max && (n > q->max || q->queued > q->max - n)) {
		con_wq_break(q, CON_WQ_FULL);
		return -1;
	}
	if (n <= SIZE_MAX - sizeof *m - q->pre)
		m = malloc(sizeof *m + q->pre + n);
	if (!m) {
		con_wq_break(q, CON_WQ_NOMEM);
		return -1;
	}
	m->next = NULL;
	m->binary = binary;
	m->len = n;
	if (n)
		memcpy(m->buf + q->pre, p, n);
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->queued += n;
	return 0;
}

int con_wq_pending(const struct con_wq *q)
{
	return q->head || q->broken;
}

int con_wq_send(struct con_wq *q,
		int (*wr)(void *arg, unsigned char *p, size_t n, int binary),
		void *arg)
{
	struct con_wq_msg *m = q->head;
	int rc;

	if (q->broken)
		return -1;
	if (!m)
		return 0;
	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->queued -= m->len;
	rc = wr(arg, m->buf + q->pre, m->len, m->binary);
	free(m);
	return rc ? -1 : 1;
}

void con_wq_clear(struct con_wq *q)
{
	struct con_wq_msg *m;

	while ((m = q->head)) {
		q->head = m->next;
		free(m);
	}
	q->tail = NULL;
	q->queued = 0;
	q->broken = CON_WQ_OK;
}
