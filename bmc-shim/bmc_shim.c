/*
 * bmc_shim.c - the OEM command handlers: request layouts, sessions and
 * chunk order, the power gate and the writers' lock.  docs/ipmi-oem.md is
 * the byte-level specification this file implements.
 */
#include "bmc_internal.h"
#include "psf_schema.h"

/* ------------------------------------------------------------ helpers */

unsigned bmc_shim_cmd_priv(uint8_t cmd)
{
	switch (cmd) {
	case BMC_CMD_INFO:
	case BMC_CMD_READ_BEGIN:
	case BMC_CMD_READ_ARG:
	case BMC_CMD_READ_RUN:
	case BMC_CMD_READ_CHUNK:
		return BMC_PRIV_OPERATOR;
	case BMC_CMD_WRITE_BEGIN:
	case BMC_CMD_WRITE_CHUNK:
	case BMC_CMD_WRITE_FINISH:
	case BMC_CMD_WRITE_ABORT:
	case BMC_CMD_WRITE_RESULT:
	case BMC_CMD_LOCK_TAKE:
	case BMC_CMD_LOCK_RELEASE:
		return BMC_PRIV_ADMIN;
	default:
		return 0;
	}
}

uint8_t bmc_shim_cc_for(int err)
{
	switch (err) {
	case 0:
		return BMC_CC_OK;
	case PSF_ERR_NOTFOUND:
		return BMC_CC_NOT_PRESENT;
	case PS_ERR_EXISTS:
	case PS_ERR_DUPLICATE:
	case PS_ERR_BADREF:
	case PS_ERR_INUSE:
		return BMC_CC_CONFLICT;
	case PS_ERR_CONFLICT:
	case PS_ERR_FENCED:
		return BMC_CC_STALE;
	case PS_ERR_NOSPACE:
	case PSF_ERR_NOSPACE:
	case PSF_ERR_TOOLARGE:
		return BMC_CC_OUT_OF_SPACE;
	case PS_ERR_LOCK:
	case PS_SEM_ERR_BUSY:
	case PS_SEM_ERR_TIMEOUT:
		return BMC_CC_BUSY;
	case PS_ERR_BADVALUE:
	case PS_ERR_NOFIELD:
	case PS_ERR_INVAL:
	case PSF_ERR_BADVALUE:
		return BMC_CC_INVALID_DATA;
	default:
		return BMC_CC_UNSPECIFIED;
	}
}

const char *bmc_shim_cc_name(uint8_t cc)
{
	switch (cc) {
	case BMC_CC_OK: return "ok";
	case BMC_CC_SEQUENCE: return "bad session or chunk order";
	case BMC_CC_STALE: return "store changed meanwhile";
	case BMC_CC_CONFLICT: return "conflicts with the store";
	case BMC_CC_UNVERIFIED: return "store fails verification";
	case BMC_CC_BUSY: return "lock held by another writer";
	case BMC_CC_INVALID_CMD: return "invalid command";
	case BMC_CC_OUT_OF_SPACE: return "out of space";
	case BMC_CC_BAD_LENGTH: return "request length invalid";
	case BMC_CC_TOO_LONG: return "length past a limit";
	case BMC_CC_OUT_OF_RANGE: return "parameter out of range";
	case BMC_CC_NOT_PRESENT: return "not present";
	case BMC_CC_INVALID_DATA: return "invalid data field";
	case BMC_CC_PRIVILEGE: return "insufficient privilege";
	case BMC_CC_POWER_STATE: return "refused in this power state";
	case BMC_CC_NO_SEMAPHORE: return "no semaphore on this BMC";
	default: return "unspecified error";
	}
}

static void put16(uint8_t *p, uint32_t v)
{
	psf_put_le16(p, (uint16_t)v);
}

/* A fresh session id, never 0 (0 means "none"). */
static uint8_t new_session(struct bmc_shim *s)
{
	s->session_seq = (uint8_t)(s->session_seq + 1);
	if (!s->session_seq)
		s->session_seq = 1;
	return s->session_seq;
}

/* ------------------------------------------------------------ store */

static int media_ok(const struct bmc_shim *s)
{
	return s->media.ops != NULL;
}

size_t bmc_store_cap(const struct bmc_shim *s)
{
	uint32_t slot = ps_slot_capacity(&s->disk);

	return slot < sizeof(s->store) ? slot : sizeof(s->store);
}

int bmc_load(struct bmc_shim *s)
{
	int rc;

	s->loaded = 0;
	if (!media_ok(s))
		return PS_ERR_INVAL;
	rc = ps_read(&s->disk, &s->media, s->store, sizeof(s->store));
	if (rc)
		return rc;
	s->store_len = s->disk.length;
	s->loaded = 1;
	bmc_auth_load(s);
	return 0;
}

int bmc_shim_init(struct bmc_shim *s, const struct bmc_shim_platform *p)
{
	int rc;

	if (!s || !p || !p->media_ops || !p->host_power)
		return PS_ERR_INVAL;
	psf_memset(s, 0, sizeof(*s) - sizeof(s->store));
	s->plat = *p;
	s->lease_default = p->lock ? p->lock->lease_ms : 0;
	rc = ps_media_init(&s->media, p->media_ops, p->media_ctx,
			   p->sector_size, p->sectors);
	if (rc)
		psf_memset(&s->media, 0, sizeof(s->media));
	return rc;
}

/* ------------------------------------------------------------ gate */

int bmc_host_power(const struct bmc_shim *s)
{
	int p = s->plat.host_power(s->plat.power_ctx);

	return p >= BMC_POWER_OFF && p <= BMC_POWER_ON ? p : -1;
}

/* May the BMC write now?  Unknown power counts as on. */
static uint8_t gate_check(const struct bmc_shim *s)
{
	int p = bmc_host_power(s);

	if (s->plat.gate == BMC_GATE_READ_ONLY)
		return BMC_CC_POWER_STATE;
	if (p == BMC_POWER_OFF || p == BMC_POWER_AUX)
		return BMC_CC_OK;
	if (s->plat.gate == BMC_GATE_SEMAPHORE && s->plat.lock)
		return BMC_CC_OK;
	return BMC_CC_POWER_STATE;
}

/* ------------------------------------------------------------ lock */

void bmc_shim_drop_client_lock(struct bmc_shim *s)
{
	if (s && s->client_lock && s->plat.lock) {
		if (s->plat.lock->held)
			ps_lock_drop(s->plat.lock);
		s->plat.lock->lease_ms = s->lease_default;
	}
	if (s)
		s->client_lock = 0;
}

/* The client's lock ends when another writer broke it (the semaphore
 * names another holder) or its holder let the lease pass without a
 * request naming the token: the BMC then releases it itself. */
static void client_lock_check(struct bmc_shim *s)
{
	const struct ps_lock *l = s->plat.lock;
	int h;

	if (!s->client_lock || !l)
		return;
	h = s->plat.lock_holder ? s->plat.lock_holder(s->plat.lock_ctx)
				: PS_OWNER_BMC;
	if (h != PS_OWNER_BMC || s->clock_ms - s->lock_seen >= l->lease_ms)
		bmc_shim_drop_client_lock(s);
}

/* A request named the client lock's token: the holder lives.  Renews
 * the semaphore; 0 when the hold is still the client's. */
static int client_lock_touch(struct bmc_shim *s, uint32_t token)
{
	struct ps_lock *l = s->plat.lock;

	client_lock_check(s);
	if (!s->client_lock || token != s->client_token)
		return -1;
	if (l->ops->still_held(l->ctx, l->token) != 1) {
		bmc_shim_drop_client_lock(s);
		return -1;
	}
	s->lock_seen = s->clock_ms;
	return 0;
}

/* Does the write session keep other clients out?  Until it is finished
 * and its result read to the end, or idle past BMC_SHIM_SESSION_IDLE_MS. */
static int wr_busy(const struct bmc_shim *s)
{
	if (!s->wr_session)
		return 0;
	if (s->wr_done && s->wr_result_hi >= s->wr_result_len)
		return 0;
	return s->clock_ms - s->wr_seen < BMC_SHIM_SESSION_IDLE_MS;
}

void bmc_shim_tick(struct bmc_shim *s, uint64_t now_ms)
{
	s->clock_ms = now_ms;
	client_lock_check(s);
	if (s->wr_session && !s->wr_done && !wr_busy(s))
		s->wr_session = 0;          /* abandoned: drop the staging */
}

/* Who keeps a refused client out, for the 0xC0 answer: the semaphore's
 * holder, else this BMC (another client's lock or write session). */
static uint8_t busy_holder(const struct bmc_shim *s)
{
	int h = s->plat.lock_holder ? s->plat.lock_holder(s->plat.lock_ctx)
				    : 0;

	if (s->client_lock || h <= 0 || h > 0xff)
		return PS_OWNER_BMC;
	return (uint8_t)h;
}

/* ------------------------------------------------------------ info */

static uint8_t cmd_info(struct bmc_shim *s, size_t n, uint8_t *r,
			size_t *rl)
{
	int p, holder = 0;

	if (n != 0)
		return BMC_CC_BAD_LENGTH;
	client_lock_check(s);
	bmc_load(s);
	p = bmc_host_power(s);
	r[0] = BMC_SHIM_PROTO_VERSION;
	r[1] = s->loaded ? s->store[PSF_HDR_MAJOR] : 0;
	r[2] = s->loaded ? s->store[PSF_HDR_MINOR] : 0;
	put16(r + 3, s->loaded ? psf_schema_version(s->store) : 0);
	psf_put_le32(r + 5, s->loaded ? (uint32_t)s->disk.generation : 0);
	psf_put_le32(r + 9, s->loaded ? s->store_len : 0);
	psf_put_le32(r + 13, s->loaded ? (uint32_t)bmc_store_cap(s) : 0);
	r[17] = p < 0 ? 0xFF : (uint8_t)p;
	r[18] = s->plat.gate;
	if (s->plat.lock_holder)
		holder = s->plat.lock_holder(s->plat.lock_ctx);
	r[19] = holder > 0 && holder <= 0xff ? (uint8_t)holder : 0;
	r[20] = (uint8_t)((s->client_lock ? 0x01 : 0) |
			  (s->loaded ? 0x02 : 0) | (s->plat.lock ? 0x04 : 0) |
			  (s->loaded ? s->auth_verdict << BMC_INFO_AUTH_SHIFT
				     : 0));
	*rl = 21;
	return BMC_CC_OK;
}

/* ------------------------------------------------------------ chunks */

/* An argument/data chunk: [session][offset u16][data 1..16] into
 * buf[0..total), got bytes so far. */
static uint8_t take_chunk(uint8_t session, const uint8_t *q, size_t n,
			  uint8_t *buf, uint16_t total, uint16_t *got,
			  uint8_t *r, size_t *rl)
{
	size_t len;
	uint32_t off;

	if (n < 4 || n > 3 + BMC_SHIM_CHUNK_MAX)
		return BMC_CC_BAD_LENGTH;
	if (!session || q[0] != session)
		return BMC_CC_SEQUENCE;
	off = psf_le16(q + 1);
	len = n - 3;
	if (off != *got)
		return BMC_CC_SEQUENCE;
	if (off + len > total)
		return BMC_CC_TOO_LONG;
	psf_memcpy(buf + off, q + 3, len);
	*got = (uint16_t)(off + len);
	put16(r, *got);
	*rl = 2;
	return BMC_CC_OK;
}

/* A result chunk: [session][offset u32][count 1..16] of src[0..len). */
static uint8_t give_chunk(const uint8_t *q, size_t n, uint8_t session,
			  const uint8_t *src, uint32_t len, uint8_t *r,
			  size_t *rl)
{
	uint32_t off, cnt;

	if (n != 6)
		return BMC_CC_BAD_LENGTH;
	if (!session || q[0] != session)
		return BMC_CC_SEQUENCE;
	off = psf_le32(q + 1);
	cnt = q[5];
	if (!cnt || cnt > BMC_SHIM_CHUNK_MAX || off > len || cnt > len - off)
		return BMC_CC_OUT_OF_RANGE;
	psf_memcpy(r, src + off, cnt);
	*rl = cnt;
	return BMC_CC_OK;
}

/* ------------------------------------------------------------ reads */

static int read_op_known(uint8_t op)
{
	return op >= BMC_READ_STORE && op <= BMC_READ_SERIAL_LIST;
}

/* [op][arg_len u16] -> [session] */
static uint8_t cmd_read_begin(struct bmc_shim *s, const uint8_t *q,
			      size_t n, uint8_t *r, size_t *rl)
{
	uint16_t len;

	if (n != 3)
		return BMC_CC_BAD_LENGTH;
	if (!read_op_known(q[0]))
		return BMC_CC_INVALID_DATA;
	len = psf_le16(q + 1);
	if (len > BMC_SHIM_ARGS_MAX)
		return BMC_CC_TOO_LONG;
	s->rd_session = new_session(s);
	s->rd_op = q[0];
	s->rd_arg_len = len;
	s->rd_arg_got = 0;
	s->rd_ran = 0;
	r[0] = s->rd_session;
	*rl = 1;
	return BMC_CC_OK;
}

/* [session] -> [result_len u32][generation u32] */
static uint8_t cmd_read_run(struct bmc_shim *s, const uint8_t *q, size_t n,
			    uint8_t *r, size_t *rl)
{
	uint8_t cc;
	int rc;

	if (n != 1)
		return BMC_CC_BAD_LENGTH;
	if (!s->rd_session || q[0] != s->rd_session ||
	    s->rd_arg_got != s->rd_arg_len)
		return BMC_CC_SEQUENCE;
	rc = bmc_load(s);
	if (rc)
		return bmc_shim_cc_for(rc);
	cc = bmc_auth_gate(s);
	if (cc)
		return cc;
	s->rd_in_store = 0;
	s->rd_result_len = 0;
	cc = bmc_read_run(s);
	if (cc)
		return cc;
	s->rd_ran = 1;
	s->rd_gen = s->disk.generation;
	psf_put_le32(r, s->rd_in_store ? s->rd_len : s->rd_result_len);
	psf_put_le32(r + 4, (uint32_t)s->rd_gen);
	*rl = 8;
	return BMC_CC_OK;
}

static uint8_t cmd_read_chunk(struct bmc_shim *s, const uint8_t *q,
			      size_t n, uint8_t *r, size_t *rl)
{
	if (n == 6 && s->rd_session && q[0] == s->rd_session && !s->rd_ran)
		return BMC_CC_SEQUENCE;
	if (n == 6 && s->rd_ran && s->rd_in_store &&
	    (!s->loaded || s->disk.generation != s->rd_gen))
		return BMC_CC_STALE;
	if (s->rd_in_store)
		return give_chunk(q, n, s->rd_ran ? s->rd_session : 0,
				  s->store + s->rd_off, s->rd_len, r, rl);
	return give_chunk(q, n, s->rd_ran ? s->rd_session : 0, s->result,
			  s->rd_result_len, r, rl);
}

/* ------------------------------------------------------------ writes */

static int write_op_known(uint8_t op)
{
	return op >= BMC_WRITE_ELEMENT && op <= BMC_WRITE_DELETE;
}

/* [op][len u16][expected generation u32, 0 = any][lock token u32, only
 * under the client lock] -> [session] */
static uint8_t cmd_write_begin(struct bmc_shim *s, const uint8_t *q,
			       size_t n, uint8_t *r, size_t *rl)
{
	uint16_t len;
	uint8_t cc;

	if (n != BMC_SHIM_WBEGIN_LEN && n != BMC_SHIM_WBEGIN_TOKEN_LEN)
		return BMC_CC_BAD_LENGTH;
	if (!write_op_known(q[0]))
		return BMC_CC_INVALID_DATA;
	len = psf_le16(q + 1);
	if (len > BMC_SHIM_STAGE_MAX)
		return BMC_CC_TOO_LONG;
	cc = gate_check(s);
	if (cc)
		return cc;
	client_lock_check(s);
	if (n == BMC_SHIM_WBEGIN_TOKEN_LEN) {
		/* No hold of that token: the client's lock was lost. */
		if (!s->client_lock)
			return BMC_CC_STALE;
		if (psf_le32(q + 7) != s->client_token)
			return BMC_CC_BUSY;
		if (client_lock_touch(s, psf_le32(q + 7)))
			return BMC_CC_STALE;
	} else if (s->client_lock) {
		return BMC_CC_BUSY;
	}
	if (wr_busy(s))
		return BMC_CC_BUSY;
	s->wr_locked = n == BMC_SHIM_WBEGIN_TOKEN_LEN;
	s->wr_token = s->wr_locked ? s->client_token : 0;
	s->wr_seen = s->clock_ms;
	s->wr_result_hi = 0;
	s->wr_session = new_session(s);
	s->wr_op = q[0];
	s->wr_len = len;
	s->wr_got = 0;
	s->wr_done = 0;
	s->wr_result_len = 0;
	s->wr_expect = psf_le32(q + 3);
	r[0] = s->wr_session;
	*rl = 1;
	return BMC_CC_OK;
}

/* Edit and commit under the lock (ours for this write, or the client's). */
static uint8_t commit_write(struct bmc_shim *s)
{
	struct ps_commit_args a = { 0 };
	struct ps_lock *l = s->plat.lock;
	uint64_t gen;
	int took = 0, rc;
	uint8_t cc;

	if (l && !l->held) {
		rc = ps_lock_take(l);
		if (rc)
			return bmc_shim_cc_for(rc == PS_ERR_LOCK ? rc
					       : PS_SEM_ERR_BUSY);
		took = 1;
	}
	rc = bmc_load(s);
	cc = bmc_shim_cc_for(rc);
	if (!cc && s->wr_expect && s->wr_expect != (uint32_t)s->disk.generation)
		cc = BMC_CC_STALE;
	if (!cc)
		cc = bmc_auth_gate(s);
	if (!cc)
		cc = bmc_write_apply(s);
	if (!cc)
		rc = psf_finish(s->store);
	if (!cc && rc)
		cc = bmc_shim_cc_for(rc);
	if (!cc) {
		a.lock = l;
		a.owner = PS_OWNER_BMC;
		/* Flash programs each sector before its write returns: the
		 * flush between body and header costs nothing here, and
		 * keeps damage told from a cut (docs/store.md 4). */
		a.mode = PS_COMMIT_ORDERED;
		a.timestamp = s->plat.now ? s->plat.now(s->plat.now_ctx) : 0;
		gen = s->disk.generation;
		cc = bmc_auth_arm(s, &a);
		rc = cc ? 0 : ps_commit(&s->disk, s->store, s->sector, &a);
		if (!cc)
			cc = bmc_shim_cc_for(rc);
		bmc_auth_done(s, !cc && s->disk.generation != gen);
	}
	if (cc)
		s->loaded = 0;   /* the buffer may hold the refused edit */
	else
		s->store_len = psf_total(s->store);
	if (took)
		ps_lock_drop(l);
	return cc;
}

/* The checks of a FINISH before the commit: a completion code. */
static uint8_t finish_check(struct bmc_shim *s, const uint8_t *q, size_t n)
{
	if (n != 5)
		return BMC_CC_BAD_LENGTH;
	if (s->wr_done || s->wr_got != s->wr_len)
		return BMC_CC_SEQUENCE;
	if (psf_le32(q + 1) != psf_crc32c(0, s->stage, s->wr_len))
		return BMC_CC_INVALID_DATA;
	if (s->wr_locked) {
		if (client_lock_touch(s, s->wr_token))
			return BMC_CC_STALE;
	} else {
		client_lock_check(s);
		if (s->client_lock)
			return BMC_CC_BUSY;
	}
	return gate_check(s);
}

/* [session][crc32c u32] -> [generation u32][result_len u16].  Busy
 * (another client's lock, or the semaphore held) keeps the session for
 * a retry; every other refusal ends it. */
static uint8_t cmd_write_finish(struct bmc_shim *s, const uint8_t *q,
				size_t n, uint8_t *r, size_t *rl)
{
	uint8_t cc;

	if (!n || !s->wr_session || q[0] != s->wr_session)
		return n != 5 ? BMC_CC_BAD_LENGTH : BMC_CC_SEQUENCE;
	cc = finish_check(s, q, n);
	if (!cc)
		cc = commit_write(s);
	if (cc) {
		/* The staged bytes are refused as a whole: start again. */
		if (cc != BMC_CC_BUSY)
			s->wr_session = 0;
		return cc;
	}
	s->wr_done = 1;
	psf_put_le32(r, (uint32_t)s->disk.generation);
	put16(r + 4, s->wr_result_len);
	*rl = 6;
	return BMC_CC_OK;
}

static uint8_t cmd_write_abort(struct bmc_shim *s, const uint8_t *q,
			       size_t n)
{
	if (n != 1)
		return BMC_CC_BAD_LENGTH;
	if (!s->wr_session || q[0] != s->wr_session)
		return BMC_CC_SEQUENCE;
	s->wr_session = 0;
	return BMC_CC_OK;
}

/* A result chunk of the finished write; reading it to the end ends the
 * session's hold on other clients. */
static uint8_t cmd_write_result(struct bmc_shim *s, const uint8_t *q,
				size_t n, uint8_t *r, size_t *rl)
{
	uint8_t cc = give_chunk(q, n, s->wr_done ? s->wr_session : 0,
				s->wr_result, s->wr_result_len, r, rl);

	/* give_chunk checked offset + count against the result length */
	if (!cc && psf_le32(q + 1) + q[5] > s->wr_result_hi)
		s->wr_result_hi = (uint16_t)(psf_le32(q + 1) + q[5]);
	return cc;
}

/* ------------------------------------------------------------ lock cmds */

/* [lease seconds u16, 1..600] -> [token u32, low half]; 0xC0 while
 * anyone holds it. */
static uint8_t cmd_lock_take(struct bmc_shim *s, const uint8_t *q, size_t n,
			     uint8_t *r, size_t *rl)
{
	struct ps_lock *l = s->plat.lock;
	uint32_t lease;
	int rc;

	if (n != 2)
		return BMC_CC_BAD_LENGTH;
	lease = psf_le16(q);
	if (lease < 1 || lease > PS_SEM_LEASE_MAX_MS / 1000)
		return BMC_CC_OUT_OF_RANGE;
	if (!l)
		return BMC_CC_NO_SEMAPHORE;
	client_lock_check(s);
	if (s->client_lock || l->held)
		return BMC_CC_BUSY;
	l->lease_ms = lease * 1000;
	rc = ps_lock_take(l);
	if (rc) {
		l->lease_ms = s->lease_default;
		return bmc_shim_cc_for(rc == PS_ERR_LOCK ? rc
				       : PS_SEM_ERR_BUSY);
	}
	s->client_lock = 1;
	s->client_token = (uint32_t)l->token;
	s->lock_seen = s->clock_ms;
	psf_put_le32(r, s->client_token);
	*rl = 4;
	return BMC_CC_OK;
}

/* [token u32]: 0x80 when no client holds the lock, 0xC0 when another
 * token holds it. */
static uint8_t cmd_lock_release(struct bmc_shim *s, const uint8_t *q,
				size_t n)
{
	if (n != 4)
		return BMC_CC_BAD_LENGTH;
	client_lock_check(s);
	if (!s->client_lock)
		return BMC_CC_SEQUENCE;
	if (psf_le32(q) != s->client_token)
		return BMC_CC_BUSY;
	bmc_shim_drop_client_lock(s);
	return BMC_CC_OK;
}

/* ------------------------------------------------------------ dispatch */

static uint8_t dispatch(struct bmc_shim *s, uint8_t cmd, const uint8_t *q,
			size_t n, uint8_t *r, size_t *rl)
{
	switch (cmd) {
	case BMC_CMD_INFO:
		return cmd_info(s, n, r, rl);
	case BMC_CMD_READ_BEGIN:
		return cmd_read_begin(s, q, n, r, rl);
	case BMC_CMD_READ_ARG:
		if (n >= 1 && s->rd_ran)
			return BMC_CC_SEQUENCE;
		return take_chunk(s->rd_session, q, n, s->args, s->rd_arg_len,
				  &s->rd_arg_got, r, rl);
	case BMC_CMD_READ_RUN:
		return cmd_read_run(s, q, n, r, rl);
	case BMC_CMD_READ_CHUNK:
		return cmd_read_chunk(s, q, n, r, rl);
	case BMC_CMD_WRITE_BEGIN:
		return cmd_write_begin(s, q, n, r, rl);
	case BMC_CMD_WRITE_CHUNK:
		return take_chunk(s->wr_done ? 0 : s->wr_session, q, n,
				  s->stage, s->wr_len, &s->wr_got, r, rl);
	case BMC_CMD_WRITE_FINISH:
		return cmd_write_finish(s, q, n, r, rl);
	case BMC_CMD_WRITE_ABORT:
		return cmd_write_abort(s, q, n);
	case BMC_CMD_WRITE_RESULT:
		return cmd_write_result(s, q, n, r, rl);
	case BMC_CMD_LOCK_TAKE:
		return cmd_lock_take(s, q, n, r, rl);
	case BMC_CMD_LOCK_RELEASE:
		return cmd_lock_release(s, q, n);
	default:
		return BMC_CC_INVALID_CMD;
	}
}

uint8_t bmc_shim_handle(struct bmc_shim *s, uint8_t cmd, unsigned priv,
			const uint8_t *req, size_t req_len, uint8_t *resp,
			size_t resp_cap, size_t *resp_len)
{
	unsigned need = bmc_shim_cmd_priv(cmd);
	uint8_t cc;

	*resp_len = 0;
	if (!need)
		return BMC_CC_INVALID_CMD;
	if (priv < need)
		return BMC_CC_PRIVILEGE;
	if (resp_cap < BMC_SHIM_RESP_MAX || (!req && req_len))
		return BMC_CC_UNSPECIFIED;
	if (req_len > BMC_SHIM_REQ_MAX)
		return BMC_CC_BAD_LENGTH;
	/* A request in the write session shows its client is alive. */
	if (cmd >= BMC_CMD_WRITE_CHUNK && cmd <= BMC_CMD_WRITE_RESULT &&
	    req_len && s->wr_session && req[0] == s->wr_session)
		s->wr_seen = s->clock_ms;
	cc = dispatch(s, cmd, req, req_len, resp, resp_len);
	if (cc)
		*resp_len = 0;
	if (cc == BMC_CC_BUSY) {
		resp[0] = busy_holder(s);
		*resp_len = BMC_SHIM_BUSY_LEN;
	}
	if (cc == BMC_CC_UNVERIFIED) {
		resp[0] = s->auth_verdict;
		*resp_len = BMC_SHIM_UNVERIFIED_LEN;
	}
	return cc;
}
