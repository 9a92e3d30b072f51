/*
 * bmc_proto.h - the pstate OEM wire protocol (docs/ipmi-oem.md): what the
 * BMC shim serves and what a client (psctl --bmc) sends.  Both include
 * this one header, so a vendor number or limit given at build time
 * (-DBMC_SHIM_IANA=NNNNN) changes both sides alike.
 *
 * Freestanding: macros and enums only, no includes, no libc.
 */
#ifndef BMC_PROTO_H
#define BMC_PROTO_H

/* IANA Private Enterprise Number carried in every request and response
 * (3 bytes, least significant first).  32473 is the number RFC 5612
 * reserves for documentation; a vendor builds with its own:
 * -DBMC_SHIM_IANA=NNNNN. */
#ifndef BMC_SHIM_IANA
#define BMC_SHIM_IANA 32473u
#endif
#define BMC_SHIM_NETFN 0x2Eu        /* OEM/Group request, IANA-qualified */
#define BMC_SHIM_PROTO_VERSION 1u

/*
 * Size limits, chosen so every request and response fits an IPMB message
 * (32 bytes with its 7-8 bytes of header and checksums, 3 of IANA):
 * requests carry at most 22 data bytes, responses at most 21 after the
 * completion code.
 */
#define BMC_SHIM_REQ_MAX 22u
#define BMC_SHIM_RESP_MAX 21u
#define BMC_SHIM_CHUNK_MAX 16u      /* data bytes per chunk request/reply */

/* The IANA number as it goes on the wire, least significant byte first. */
#define BMC_SHIM_IANA0 ((BMC_SHIM_IANA) & 0xFFu)
#define BMC_SHIM_IANA1 (((BMC_SHIM_IANA) >> 8) & 0xFFu)
#define BMC_SHIM_IANA2 (((BMC_SHIM_IANA) >> 16) & 0xFFu)

/* The largest staged write (path + element) and read argument the shim
 * takes: a client splits its edits to fit. */
#ifndef BMC_SHIM_STAGE_MAX
#define BMC_SHIM_STAGE_MAX 4096u    /* a staged write: path + element   */
#endif
#define BMC_SHIM_ARGS_MAX 255u      /* a read request's arguments       */

/* Data bytes of the fixed replies (after completion code and IANA). */
#define BMC_SHIM_INFO_LEN 21u       /* INFO                             */
#define BMC_SHIM_BEGIN_LEN 1u       /* READ_BEGIN, WRITE_BEGIN: session */
#define BMC_SHIM_RUN_LEN 8u         /* READ_RUN: length, generation     */
#define BMC_SHIM_FINISH_LEN 6u      /* WRITE_FINISH: generation, length */
#define BMC_SHIM_LOCK_LEN 4u        /* LOCK_TAKE: token                 */
#define BMC_SHIM_BUSY_LEN 1u        /* a 0xC0 refusal: the holder's owner id */
#define BMC_SHIM_UNVERIFIED_LEN 1u  /* a 0x83 refusal: the verdict      */

/* INFO flags byte (20): bits 3-5 the verdict on the store
 * (docs/ipmi-oem.md): the values of enum ps_auth_verdict (0 off,
 * 1 verified, 2 no key, 3 unverified, 4 bad MAC, 5 rolled back,
 * 6 counter ahead), or BMC_AUTH_FAULT. */
#define BMC_INFO_AUTH_SHIFT 3u
#define BMC_INFO_AUTH_MASK 0x38u
#define BMC_AUTH_FAULT 7u           /* the BMC's key or counter unreadable */

/* WRITE_BEGIN without and with the client lock's token. */
#define BMC_SHIM_WBEGIN_LEN 7u
#define BMC_SHIM_WBEGIN_TOKEN_LEN 11u

/* A write session whose client sent nothing for this long is abandoned:
 * it ends, and another client may begin one. */
#define BMC_SHIM_SESSION_IDLE_MS 5000u

/* How a host names itself in a profile's target: bmc://NAME:623, the
 * normal form every target is stored in (docs/schema.md, ps_target_norm),
 * NAME the platform's bmc_name or, when it gives none, "localhost".
 * BMC_SHIM_HOST_TARGET is that default: "this host" (docs/profiles.md),
 * the store that holds it, which psctl never dials. */
#define BMC_SHIM_HOST_NAME "localhost"
#define BMC_SHIM_TARGET_PREFIX "bmc://"
#define BMC_SHIM_HOST_TARGET \
	BMC_SHIM_TARGET_PREFIX BMC_SHIM_HOST_NAME ":623"

/* Commands (the byte after netfn 0x2E).  Read commands need operator
 * privilege, write commands administrator: the command byte alone says
 * which, so a transport can enforce it before the shim sees the request
 * (bmc_shim_cmd_priv). */
enum bmc_cmd {
	BMC_CMD_INFO = 0x01,         /* store and host state             */
	BMC_CMD_READ_BEGIN = 0x10,   /* start a read: op, argument length */
	BMC_CMD_READ_ARG = 0x11,     /* an argument chunk                 */
	BMC_CMD_READ_RUN = 0x12,     /* run it: result length, generation */
	BMC_CMD_READ_CHUNK = 0x13,   /* a result chunk                    */
	BMC_CMD_WRITE_BEGIN = 0x20,  /* start a write: op, length         */
	BMC_CMD_WRITE_CHUNK = 0x21,  /* a data chunk                      */
	BMC_CMD_WRITE_FINISH = 0x22, /* check and apply as one commit     */
	BMC_CMD_WRITE_ABORT = 0x23,  /* drop the staged write             */
	BMC_CMD_WRITE_RESULT = 0x24, /* a chunk of the write's result     */
	BMC_CMD_LOCK_TAKE = 0x30,    /* hold the semaphore for a sequence */
	BMC_CMD_LOCK_RELEASE = 0x31,
};

/* Read operations (READ_BEGIN). */
enum bmc_read_op {
	BMC_READ_STORE = 0x01,       /* the whole store (header + root)    */
	BMC_READ_PATH = 0x02,        /* an element by path (steps)         */
	BMC_READ_VM = 0x03,          /* a VM by name                       */
	BMC_READ_PROFILE = 0x04,     /* a profile by name                  */
	BMC_READ_PROFILE_PULL = 0x05,/* the profile this host / a VM carries */
	BMC_READ_SERIAL_LIST = 0x06, /* serial mappings (all, or one VM)   */
};

/* Write operations (WRITE_BEGIN). */
enum bmc_write_op {
	BMC_WRITE_ELEMENT = 0x01,    /* put an element under a path        */
	BMC_WRITE_PROFILE_PUSH = 0x02, /* a profile, assigned to host / VM  */
	BMC_WRITE_SERIAL_ALLOC = 0x03, /* N serial ports for a VM           */
	BMC_WRITE_SERIAL_FREE = 0x04,  /* every serial port of a VM         */
	BMC_WRITE_DELETE = 0x05,     /* delete the element at a path        */
};

/* Completion codes (IPMI 2.0 table 5-2; 0x80-0x82 command-specific). */
enum bmc_cc {
	BMC_CC_OK = 0x00,
	BMC_CC_SEQUENCE = 0x80,      /* bad session or chunk order         */
	BMC_CC_STALE = 0x81,         /* the store changed since the begin  */
	BMC_CC_CONFLICT = 0x82,      /* value in use / object exists / ref */
	BMC_CC_UNVERIFIED = 0x83,    /* sealed store fails verification    */
	BMC_CC_BUSY = 0xC0,          /* lock held by another writer        */
	BMC_CC_INVALID_CMD = 0xC1,
	BMC_CC_OUT_OF_SPACE = 0xC4,  /* store or staging buffer full       */
	BMC_CC_BAD_LENGTH = 0xC7,    /* request shorter/longer than its layout */
	BMC_CC_TOO_LONG = 0xC8,      /* a length field past a limit        */
	BMC_CC_OUT_OF_RANGE = 0xC9,  /* offset or count out of range       */
	BMC_CC_NOT_PRESENT = 0xCB,   /* no such element, VM, profile       */
	BMC_CC_INVALID_DATA = 0xCC,  /* malformed value, element or path   */
	BMC_CC_PRIVILEGE = 0xD4,     /* operator asked for a write         */
	BMC_CC_POWER_STATE = 0xD5,   /* write refused in this power state  */
	BMC_CC_NO_SEMAPHORE = 0xD6,  /* LOCK on a BMC without a semaphore  */
	BMC_CC_UNSPECIFIED = 0xFF,   /* media I/O, damaged store           */
};

/* IPMI privilege levels (the session's). */
enum bmc_priv {
	BMC_PRIV_CALLBACK = 1,
	BMC_PRIV_USER = 2,
	BMC_PRIV_OPERATOR = 3,
	BMC_PRIV_ADMIN = 4,
};

/* Host power and write policy as INFO reports them. */
enum bmc_power {
	BMC_POWER_OFF = 0,   /* no power but the BMC's (or a clean off)  */
	BMC_POWER_AUX = 1,   /* auxiliary / standby power only           */
	BMC_POWER_ON = 2,    /* the host runs                            */
};

/* The write policy: when the BMC may write the store.  With the host off
 * or on aux power the BMC writes under the lock when it has one. */
enum bmc_gate {
	BMC_GATE_SEMAPHORE = 0,  /* host on: only under the semaphore (a
				    lock must be configured)              */
	BMC_GATE_HOST_OFF = 1,   /* host on: never (the platform forbids) */
	BMC_GATE_READ_ONLY = 2,  /* never: this BMC only reads            */
};

#endif /* BMC_PROTO_H */
