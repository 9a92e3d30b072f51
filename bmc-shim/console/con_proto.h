/*
 * con_proto.h - the console service's client protocol (pscon), shared by
 * the service, psctl console, the tests and the fuzzer.  docs/console.md
 * is the byte-for-byte contract; this header is its C form.
 *
 * A frame: [type u8][length u16 little-endian][length payload bytes],
 * length <= CON_PAYLOAD_MAX.  Integers in payloads are little-endian.
 * Hosted C, no allocation: the parser works on the caller's buffer.
 */
#ifndef CON_PROTO_H
#define CON_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CON_VERSION     2u   /* the newest version served        */
#define CON_VERSION_MIN 1u   /* the oldest still served           */
#define CON_HDR         3u
#define CON_PAYLOAD_MAX 8192u
#define CON_NAME_MAX    255u

/* Client -> service. */
enum {
	CON_HELLO = 0x01,   /* [version u8]                                 */
	CON_ATTACH = 0x02,  /* v1: [how u8][target]; v2: [how u8][epoch u64]
			       [from u64][stream u64][target]            */
	CON_DETACH = 0x03,  /* empty                                         */
	CON_INPUT = 0x04,   /* v1: bytes; v2: [offset u64][bytes]           */
	CON_FORCE = 0x05,   /* empty: take the writer role                   */
	CON_MODE = 0x06,    /* [mode u8: PSF_SERIAL_MODE_*]                  */
	CON_LIST = 0x07,    /* empty                                         */
	CON_RELOAD = 0x08,  /* empty: read the store's mappings again        */
	CON_MIGRATE = 0x09, /* v2: [op u8][token 16][target]: a live
			       migration's handover (docs/console.md)     */
};

/* MIGRATE's steps (op). */
enum {
	CON_MIG_BEGIN = 1,  /* a migration begins: input queued from now     */
	CON_MIG_PAUSED = 2, /* the source paused (told, logged)              */
	CON_MIG_RESUMED = 3,/* the destination resumed: attach it (token)    */
	CON_MIG_ABORT = 4,  /* back to the source                            */
};
#define CON_TOKEN_LEN 16u
#define CON_MIGRATE_HDR (1u + CON_TOKEN_LEN)
#define CON_MIGRATE_OK 20u  /* [0x09][op u8][port u16][token 16]         */

/* Service -> client. */
enum {
	CON_R_HELLO = 0x81, /* [version u8][uid u32][role u8]                */
	CON_R_OK = 0x82,    /* [request type u8] (+ attach: see below)       */
	CON_R_ERROR = 0x83, /* [request type u8][code u8][text]              */
	CON_R_DATA = 0x84,  /* [offset u64][guest output bytes]              */
	CON_R_SKIP = 0x85,  /* [offset u64][count u64]: bytes not sent       */
	CON_R_NOTICE = 0x86,/* [kind u8][text]                               */
	CON_R_PORT = 0x87,  /* one port of a list (con_port_info)            */
	CON_R_END = 0x88,   /* [request type u8]: end of a list / replay     */
	CON_R_ACK = 0x89,   /* v2: [input offset u64]: written to the guest  */
};

enum { CON_RW = 0, CON_SPY = 1 };
enum { CON_ROLE_OPERATOR = 0, CON_ROLE_ADMIN = 1 };

/* Refusal codes (CON_R_ERROR). */
enum {
	CON_E_PROTO = 1,    /* malformed frame or request, wrong state       */
	CON_E_VERSION = 2,  /* hello's version not served                    */
	CON_E_NOPORT = 3,   /* no such port                                  */
	CON_E_PERM = 4,     /* the user's role does not allow it             */
	CON_E_PRIVATE = 5,  /* the port is in privacy mode, held by another  */
	CON_E_NOTWRITER = 6,/* observer mode: another user holds the writer  */
	CON_E_BUSY = 7,     /* privacy refused: other users attached         */
	CON_E_GUEST = 8,    /* no guest connected, or it does not read       */
	CON_E_STORE = 9,    /* reload: the store could not be read           */
	CON_E_SPY = 10,     /* spying: input refused                         */
	CON_E_TOKEN = 11,   /* migrate: not this migration's token           */
};

/* Notice kinds (CON_R_NOTICE). */
enum {
	CON_N_MODE = 1,     /* the port's mode changed                       */
	CON_N_WRITER = 2,   /* the writer changed (force, leave)             */
	CON_N_USER = 3,     /* a user attached or left                       */
	CON_N_FAULT = 4,    /* a fault pattern matched                       */
	CON_N_GONE = 5,     /* the port was removed (reload): detached       */
	CON_N_GUEST = 6,    /* the guest connected or went away              */
	CON_N_REPLAY = 7,   /* backlog replay follows                        */
	CON_N_STOP = 8,     /* the service stops for good (not a restart):
			       a client should not reconnect              */
	CON_N_MIGRATE = 9,  /* a live migration's step (begun, attached...)  */
};

#define CON_NOBODY 0xffffffffu  /* no writer */

/* A frame found in a buffer. */
struct con_frame {
	uint8_t type;
	uint16_t len;
	const uint8_t *p;
};

/*
 * The first frame of buf[0..n): returns its size (> 0), 0 when more bytes
 * are needed, -1 when the bytes are no frame: length over
 * CON_PAYLOAD_MAX, or (client side off) a type no client sends.
 * from_client: 1 parses client requests, 0 service replies.
 */
int con_frame_parse(const uint8_t *buf, size_t n, int from_client,
		    struct con_frame *f);

/* Writes a frame header for (type, len) at out (CON_HDR bytes). */
void con_frame_hdr(uint8_t *out, uint8_t type, size_t len);
/* One whole frame (type, p[0..n)) sent on a blocking socket, never
 * raising SIGPIPE: 0, or -1 (errno set; EINVAL for fd < 0 or n over
 * CON_PAYLOAD_MAX). */
int con_frame_send(int fd, uint8_t type, const void *p, size_t n);

/* A decoded ATTACH: the port by host name or by concentrator port;
 * v2 adds where to resume (epoch 0: no resume) and the input stream
 * (0: input not numbered). */
#define CON_ATTACH_V2 25u          /* bytes before the target (v2)   */
struct con_attach {
	uint8_t how;               /* CON_RW or CON_SPY                */
	char target[CON_NAME_MAX + 1];
	unsigned long conc;        /* > 0: target was a decimal port   */
	uint64_t epoch, from, stream;
};

/* The OK reply to ATTACH: v1 carries the first 23 bytes, v2 all 47. */
#define CON_ATTACH_OK_V1 23u
#define CON_ATTACH_OK_V2 47u
struct con_attach_ok {
	unsigned conc, mode, how, guest;
	uint64_t first, total;     /* the backlog the ring holds        */
	uint64_t epoch;            /* names the port's output stream    */
	uint64_t start;            /* output is sent from this offset   */
	uint64_t written;          /* the input stream's bytes written  */
};

/* Decode request payloads; 0 or -1 with *why set. */
int con_decode_hello(const struct con_frame *f, unsigned *version,
		     const char **why);
int con_decode_attach(const struct con_frame *f, unsigned version,
		      struct con_attach *a, const char **why);
/* A client's ATTACH payload into out (>= CON_ATTACH_V2 + 255 bytes). */
size_t con_encode_attach(const struct con_attach *a, unsigned version,
			 uint8_t *out);
size_t con_encode_attach_ok(const struct con_attach_ok *o, unsigned version,
			    uint8_t *out);
int con_decode_attach_ok(const struct con_frame *f, unsigned version,
			 struct con_attach_ok *o);
/* INPUT: the bytes and (v2) their offset in the session's input stream. */
int con_decode_input(const struct con_frame *f, unsigned version,
		     uint64_t *off, const uint8_t **p, size_t *n,
		     const char **why);
int con_decode_mode(const struct con_frame *f, unsigned *mode,
		    const char **why);

/* MIGRATE: [op u8][token 16 bytes: zeros when not known][target]. */
struct con_migrate {
	uint8_t op;
	uint8_t token[CON_TOKEN_LEN];
	char target[CON_NAME_MAX + 1];
	unsigned long conc;        /* > 0: target was a decimal port   */
};
int con_decode_migrate(const struct con_frame *f, struct con_migrate *m,
		       const char **why);
size_t con_encode_migrate(const struct con_migrate *m, uint8_t *out);

/* One port of a list (CON_R_PORT):
 * [conc u16][mode u8][guest u8][writer u32][nusers u16][faults u16]
 * [out_total u64][host_len u8][host][vm_len u8][vm]
 * nusers x [uid u32][how u8]
 * [fault_len u16][last fault text]
 * and, from services that serve several stores (older decoders stop
 * before it; absent: store "" and no claims):
 * [store_len u8][store][flags u8][nclaims u8]
 * nclaims x [kind u8][store_len u8][store][vm_len u8][vm] */
#define CON_USERS_MAX 64u
#define CON_CLAIMS_MAX 4u
enum {
	CON_PORT_LEAVING = 1,  /* flags: in no store now, kept for a move   */
};
enum {
	CON_CLAIM_MOVE = 1,    /* the same VM in another store: a move      */
	CON_CLAIM_CLASH = 2,   /* another VM claims the number: refused     */
};
struct con_port_info {
	unsigned conc, mode, guest, nusers, faults;
	uint32_t writer;
	uint64_t out_total;
	char host[CON_NAME_MAX + 1], vm[CON_NAME_MAX + 1];
	uint32_t uid[CON_USERS_MAX];
	uint8_t how[CON_USERS_MAX];
	char fault[2048];
	char store[CON_NAME_MAX + 1];  /* served from ("": not said)     */
	unsigned flags, nclaims;
	struct {
		unsigned kind;
		char store[CON_NAME_MAX + 1], vm[CON_NAME_MAX + 1];
	} claim[CON_CLAIMS_MAX];
};
/* Encode into out (CON_PAYLOAD_MAX); returns the payload length. */
size_t con_encode_port(const struct con_port_info *pi, uint8_t *out);
int con_decode_port(const struct con_frame *f, struct con_port_info *pi);

/*
 * Byte-exact streams (docs/console.md, "Offsets and resuming").  Both
 * directions number their bytes; a receiver that has everything before
 * `next` and is handed [off, off + n) keeps only what is new.
 * Returns how many leading bytes to drop (n when all are old), or -1
 * when off > next: bytes between next and off are missing.
 */
long long con_seq_take(uint64_t next, uint64_t off, size_t n);

/* Little-endian helpers. */
void con_put16(uint8_t *p, unsigned v);
void con_put32(uint8_t *p, uint32_t v);
void con_put64(uint8_t *p, uint64_t v);
unsigned con_get16(const uint8_t *p);
uint32_t con_get32(const uint8_t *p);
uint64_t con_get64(const uint8_t *p);

/* Mode names, "free" "observer" "privacy"; NULL for another value. */
const char *con_mode_name(unsigned mode);
/* A refusal code's name ("no-port", ...). */
const char *con_err_name(unsigned code);

#endif /* CON_PROTO_H */
