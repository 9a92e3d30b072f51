/*
 * psf.h - pstate format (PSF): the freestanding core.
 *
 * A PSF store is a byte buffer: a 32-byte header, then exactly one root
 * element.  Every element starts with a 32-bit signature.  Bit 31 of the
 * signature says what follows:
 *
 *   structure (bit 31 = 0):  sig:u32  len:u32   payload[len]
 *   container (bit 31 = 1):  sig:u32  count:u32 size:u32  children[size]
 *
 * count is the number of direct children, size the byte length of all of
 * them.  All integers are little-endian on media, elements are byte-packed
 * with no alignment.  docs/format.md is the normative byte-level spec.
 *
 * The library works on a caller's buffer and never allocates.  Elements are
 * named by their byte offset from the start of the buffer (an int); every
 * function that can fail returns a negative PSF_ERR_* code instead.  Any
 * offset handed in is bounds-checked against the header's total length, so
 * a wrong offset gives an error, never an out-of-bounds access.  Functions
 * that read element data assume the header was checked (psf_check_header)
 * and, for untrusted buffers, that psf_check_full passed: after that, no
 * sequence of calls reads outside the store.
 *
 * Editing functions keep the tree well-formed but leave the CRCs stale;
 * call psf_finish() once after a batch of edits.
 *
 * The core builds with -ffreestanding -nostdlib: no malloc, no recursion,
 * no global state; it needs only psf_env.h.
 */
#ifndef PSF_H
#define PSF_H

#include "psf_env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * On-media constants
 */

#define PSF_MAGIC           "\x89pstate\x1a"  /* 8 bytes at offset 0 */
#define PSF_MAGIC_LEN       8u
#define PSF_HEADER_SIZE     32u
#define PSF_FORMAT_MAJOR    1u     /* readers reject any other major */
#define PSF_FORMAT_MINOR    0u     /* readers accept any minor */
#define PSF_STRUCT_HDR      8u     /* sig + len */
#define PSF_CONTAINER_HDR   12u    /* sig + count + size */
#define PSF_MAX_DEPTH       16u    /* root is depth 1 */
#define PSF_MAX_TOTAL       (16u * 1024u * 1024u)  /* largest store, bytes */

/* Header field offsets (all little-endian). */
#define PSF_HDR_MAGIC        0u   /* u8[8]                                  */
#define PSF_HDR_MAJOR        8u   /* u8  format major version               */
#define PSF_HDR_MINOR        9u   /* u8  format minor version               */
#define PSF_HDR_HEADER_SIZE 10u   /* u16 bytes of header = offset of root   */
#define PSF_HDR_SCHEMA      12u   /* u32 schema version                     */
#define PSF_HDR_TOTAL       16u   /* u32 header + root element, bytes       */
#define PSF_HDR_FLAGS       20u   /* u32 see PSF_FLAG_*                     */
#define PSF_HDR_BODY_CRC    24u   /* u32 CRC-32C of bytes [header, total)   */
#define PSF_HDR_HEADER_CRC  28u   /* u32 CRC-32C of bytes [0, 28)           */

/*
 * Flags: the low 16 bits are "must understand": a reader that meets a set
 * bit it does not know rejects the store.  The high 16 bits may be ignored.
 * Format 1.0 defines none.
 */
#define PSF_FLAGS_INCOMPAT_MASK 0x0000ffffu
#define PSF_FLAGS_KNOWN         0x00000000u

/* ---------------------------------------------------------------------------
 * Signatures: bit 31 container, bits 30..16 namespace, bits 15..0 id.
 */

#define PSF_SIG_CONTAINER   0x80000000u
#define PSF_SIG(container, ns, id) \
	(((container) ? PSF_SIG_CONTAINER : 0u) | \
	 (((uint32_t)(ns) & 0x7fffu) << 16) | ((uint32_t)(id) & 0xffffu))
#define PSF_SIG_IS_CONTAINER(sig) (((sig) & PSF_SIG_CONTAINER) != 0)
#define PSF_SIG_NS(sig)     (((sig) >> 16) & 0x7fffu)
#define PSF_SIG_ID(sig)     ((sig) & 0xffffu)

/* Namespaces (docs/format.md, "Namespaces", keeps the registry). */
#define PSF_NS_CORE         0x0000u  /* pstate configuration schema       */
#define PSF_NS_AGENT        0x0001u  /* pstate hypervisor agent state     */
#define PSF_NS_BMC          0x0002u  /* pstate BMC shim state             */
#define PSF_NS_POOL         0x0003u  /* pstate profile pool (psctl)       */
#define PSF_NS_HW_FIRST     0x0100u  /* hardware vendors                  */
#define PSF_NS_HW_LAST      0x3fffu
#define PSF_NS_HV_FIRST     0x4000u  /* hypervisor vendors                */
#define PSF_NS_HV_LAST      0x6fffu
#define PSF_NS_LOCAL_FIRST  0x7000u  /* site-local and experimental       */
#define PSF_NS_LOCAL_LAST   0x7ffeu

/* The no-op element: signature 0, any length, payload ignored.  Eight zero
 * bytes are a valid pad, so zero-filled room parses as pads. */
#define PSF_PAD             0x00000000u

/* ---------------------------------------------------------------------------
 * Errors
 */

enum psf_err {
	PSF_OK = 0,
	PSF_ERR_NOTFOUND = -1,     /* no such element                        */
	PSF_ERR_TRUNCATED = -2,    /* buffer shorter than the store claims   */
	PSF_ERR_BADMAGIC = -3,     /* not a PSF store                        */
	PSF_ERR_BADVERSION = -4,   /* format major version not supported     */
	PSF_ERR_BADHEADER = -5,    /* header size or length field invalid    */
	PSF_ERR_HEADERCRC = -6,    /* header CRC mismatch (torn write?)      */
	PSF_ERR_BODYCRC = -7,      /* body CRC mismatch (torn write?)        */
	PSF_ERR_BADFLAGS = -8,     /* unknown must-understand flag set       */
	PSF_ERR_TOOLARGE = -9,     /* store larger than PSF_MAX_TOTAL        */
	PSF_ERR_BADROOT = -10,     /* body is not exactly one root container */
	PSF_ERR_OVERRUN = -11,     /* element runs past its parent or store  */
	PSF_ERR_BADCOUNT = -12,    /* container count disagrees with size    */
	PSF_ERR_TOODEEP = -13,     /* nesting deeper than PSF_MAX_DEPTH      */
	PSF_ERR_BADOFFSET = -14,   /* offset outside the store               */
	PSF_ERR_NOTCONTAINER = -15,/* element is a structure                 */
	PSF_ERR_NOTSTRUCT = -16,   /* element is a container                 */
	PSF_ERR_NOSPACE = -17,     /* buffer capacity too small for the edit */
	PSF_ERR_BADVALUE = -18,    /* invalid argument                       */
	PSF_ERR_BADSTATE = -19,    /* builder used out of order              */
	PSF_ERR_BADPAYLOAD = -20,  /* payload does not fit its schema type   */
};
#define PSF_ERR_MAX 20

/* A fixed English description of an error code; never NULL. */
const char *psf_strerror(int err);

/* ---------------------------------------------------------------------------
 * Little-endian access with no alignment requirement
 */

static inline uint16_t psf_le16(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t psf_le32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) |
	       ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static inline uint64_t psf_le64(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint64_t)psf_le32(b) | ((uint64_t)psf_le32(b + 4) << 32);
}

static inline void psf_put_le16(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void psf_put_le32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void psf_put_le64(void *p, uint64_t v)
{
	psf_put_le32(p, (uint32_t)v);
	psf_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* ---------------------------------------------------------------------------
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and
 * final XOR 0xFFFFFFFF.  psf_crc32c(0, "123456789", 9) == 0xE3069283.
 * Pass the previous result as crc to continue over several pieces.
 */
uint32_t psf_crc32c(uint32_t crc, const void *data, size_t len);

/* The CRC-32C of bytes A followed by bytes B, from psf_crc32c(0, A) and
 * psf_crc32c(0, B) and B's length: a store's body CRC and its header
 * give the CRC of the whole store without a second pass. */
uint32_t psf_crc32c_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b);

/* ---------------------------------------------------------------------------
 * Header and validation (psf_ro.c)
 */

/* Header fields; valid only after psf_check_header() succeeded. */
static inline uint32_t psf_total(const void *buf)
{
	return psf_le32((const uint8_t *)buf + PSF_HDR_TOTAL);
}
static inline uint32_t psf_schema_version(const void *buf)
{
	return psf_le32((const uint8_t *)buf + PSF_HDR_SCHEMA);
}
static inline uint32_t psf_flags(const void *buf)
{
	return psf_le32((const uint8_t *)buf + PSF_HDR_FLAGS);
}

/*
 * Magic, version, header CRC, flags and lengths against bufsize.  O(1): the
 * body is not read.  A reader that cannot afford a full check must still
 * call this before anything else.
 */
int psf_check_header(const void *buf, size_t bufsize);

/* psf_check_header, then the body CRC. */
int psf_check_crc(const void *buf, size_t bufsize);

/*
 * Everything a reader relies on, for untrusted bytes: header, body CRC, and
 * the whole tree (one root container ending exactly at the total length;
 * every element inside its parent; every container's count and size
 * agreeing with its children; depth at most PSF_MAX_DEPTH).  Iterative,
 * bounded stack.  On failure, *bad_off (if not NULL) receives the byte
 * offset where the problem was found.
 */
int psf_check_full(const void *buf, size_t bufsize, uint32_t *bad_off);

/* psf_check_full for a caller that has already computed body_crc, the
 * CRC-32C of bytes [PSF_HEADER_SIZE, bufsize) (a slot's reader, which
 * needs it for the slot's own CRC too): when the header says the store
 * is bufsize bytes, that is the body's CRC and the body is not read
 * again for it. */
int psf_check_full_crc(const void *buf, size_t bufsize, uint32_t *bad_off,
		       uint32_t body_crc);

/* The tree checks of psf_check_full without the body CRC. */
int psf_check_tree(const void *buf, size_t bufsize, uint32_t *bad_off);

/* psf_check_tree, and on success the bytes of every pad element (headers
 * included) in *pads: the walk that checks the tree counts them for
 * free, where a writer deciding on compaction would walk again. */
int psf_check_tree_pads(const void *buf, size_t bufsize, uint32_t *bad_off,
			uint32_t *pads);

/* ---------------------------------------------------------------------------
 * Reading elements (psf_ro.c)
 */

/* Offset of the root element. */
static inline int psf_root(const void *buf)
{
	(void)buf;
	return (int)PSF_HEADER_SIZE;
}

/* What one element header says, decoded and bounds-checked. */
struct psf_elem {
	uint32_t sig;
	uint32_t count;  /* children (container) or payload bytes (structure) */
	uint32_t data;   /* offset of the payload or of the first child       */
	uint32_t end;    /* offset one past the element                       */
};

/* Decode the element at off.  Fails with BADOFFSET or OVERRUN if it does
 * not lie wholly inside the store. */
int psf_elem(const void *buf, int off, struct psf_elem *e);

/* The element's signature, or PSF_PAD for a bad offset. */
uint32_t psf_sig(const void *buf, int off);

/* Payload of a structure element; NULL on error with the error in *lenp
 * (when lenp is not NULL). */
const void *psf_payload(const void *buf, int off, uint32_t *lenp);

/*
 * Children.  psf_first_child / psf_next_child skip pads; the _raw variants
 * return every element, pads included.  Both return NOTFOUND at the end.
 */
int psf_first_child(const void *buf, int parent);
int psf_next_child(const void *buf, int parent, int prev);
int psf_first_child_raw(const void *buf, int parent);
int psf_next_child_raw(const void *buf, int parent, int prev);

#define psf_for_each_child(buf, parent, child) \
	for ((child) = psf_first_child((buf), (parent)); (child) >= 0; \
	     (child) = psf_next_child((buf), (parent), (child)))

#define psf_for_each_child_raw(buf, parent, child) \
	for ((child) = psf_first_child_raw((buf), (parent)); (child) >= 0; \
	     (child) = psf_next_child_raw((buf), (parent), (child)))

/*
 * A cursor over the children of one container, pads included, for walks:
 * psf_next_child_raw must re-decode the parent at every step, the cursor
 * keeps its end.  Each step decodes and bounds-checks one child (against
 * the store and the parent), so a cursor is as safe as psf_next_child_raw
 * on any buffer that passed psf_check_header.
 */
struct psf_cursor {
	uint32_t next;  /* offset of the next child  */
	uint32_t end;   /* offset one past the parent */
};

int psf_cursor_init(const void *buf, int parent, struct psf_cursor *c);

/* Offset of the next child, its header decoded into *e; NOTFOUND at the
 * end, OVERRUN if the child runs past the parent. */
int psf_cursor_next(const void *buf, struct psf_cursor *c,
		    struct psf_elem *e);

/* First child of parent with signature sig after prev (prev < 0: from the
 * start).  NOTFOUND if none. */
int psf_find_next(const void *buf, int parent, int prev, uint32_t sig);

static inline int psf_find_child(const void *buf, int parent, uint32_t sig)
{
	return psf_find_next(buf, parent, -1, sig);
}

/*
 * The child container of parent with signature sig whose name child
 * (name_sig, normally PSF_NAME) holds exactly the len bytes of name.
 */
int psf_find_named(const void *buf, int parent, uint32_t sig,
		   uint32_t name_sig, const char *name, size_t len);

/* One step of a path: a signature, and optionally a name to match. */
struct psf_step {
	uint32_t sig;
	const char *name;  /* NULL: first child with sig */
	size_t name_len;
};

/* Walk steps from the root.  Offset of the last step's element. */
int psf_find_path(const void *buf, const struct psf_step *steps, size_t n,
		  uint32_t name_sig);

/*
 * The payload of the first child of parent with signature sig (typically a
 * string such as the name): pointer and length, or NULL with the error in
 * *lenp.
 */
const void *psf_child_payload(const void *buf, int parent, uint32_t sig,
			      uint32_t *lenp);

/*
 * Offsets of the containers enclosing off, root first: chain[0] is the root,
 * chain[depth-1] the direct parent.  Returns depth (0 for the root itself).
 * The edit functions use it to fix up ancestors' sizes.
 */
int psf_ancestors(const void *buf, int off, int chain[PSF_MAX_DEPTH]);

/* ---------------------------------------------------------------------------
 * Record fields.  Structure payloads grow only at the end; a field that lies
 * past the stored length reads as its default, which the schema makes zero.
 */

/* Unsigned little-endian field of width 1, 2, 4 or 8 at off; 0 (the
 * default) unless the payload holds the whole field. */
uint64_t psf_field_uint(const void *payload, uint32_t len, uint32_t off,
			uint32_t width);

/* Copy the n bytes of the field at off into dst; all zero (the default)
 * unless the payload holds the whole field. */
void psf_field_bytes(const void *payload, uint32_t len, uint32_t off,
		     void *dst, uint32_t n);

/* ---------------------------------------------------------------------------
 * In-place edits that never move other elements (psf_wip.c)
 */

/* Overwrite n bytes of a structure's payload at off; the payload must
 * already be at least off + n long. */
int psf_wip_write(void *buf, int elem, uint32_t off, const void *data,
		  uint32_t n);

/*
 * Delete in place: turn the element into a pad of the same size with a
 * zeroed payload.  Nothing else moves and no count changes, so on flash
 * only the sectors under this element change.
 */
int psf_wip_nop(void *buf, int elem);

/*
 * Merge the run of pads that directly follows the pad at pad (same
 * parent) into it, so freed room adds up: one pad of their combined size,
 * the parent's count lowered by the pads absorbed.  Nothing moves.
 * Returns the merged pad's total size (header included).
 */
int psf_pad_merge(void *buf, int pad);

/* ---------------------------------------------------------------------------
 * Edits that resize (psf_rw.c).  cap is the buffer's capacity; the store
 * may grow up to min(cap, PSF_MAX_TOTAL).  When an edit needs room and the
 * element right after the edited spot (in the same parent) is a pad, the
 * pad gives up its bytes first, so the rest of the store does not move.
 */

/* Replace a structure's payload with len bytes of data (data may be NULL
 * to zero-fill). */
int psf_set_payload(void *buf, size_t cap, int elem, const void *data,
		    uint32_t len);

/*
 * Insert a new child into parent, before the child at offset before (or at
 * the end when before < 0).  For a structure signature the payload is len
 * bytes of data (NULL: zeros); a container signature makes an empty
 * container (data and len must be NULL and 0).  Returns the new offset.
 */
int psf_insert(void *buf, size_t cap, int parent, int before, uint32_t sig,
	       const void *data, uint32_t len);

/* Shorthand: insert (or replace the payload of) the first child of parent
 * with signature sig.  Returns its offset. */
int psf_set_child(void *buf, size_t cap, int parent, uint32_t sig,
		  const void *data, uint32_t len);

/* Remove an element (and its subtree), shifting the rest of the store. */
int psf_delete(void *buf, int elem);

/* Recompute both CRCs after edits. */
int psf_finish(void *buf);

/* ---------------------------------------------------------------------------
 * Sequential builder (psf_sw.c): writes a store front to back in one pass.
 * Errors are sticky; psf_build_finish reports the first one.
 */
struct psf_builder {
	uint8_t *buf;
	uint32_t cap;
	uint32_t pos;
	uint32_t depth;
	uint32_t open[PSF_MAX_DEPTH];  /* offsets of open containers */
	int err;
};

/* Start a store: header, then the root container (sig) left open. */
int psf_build_begin(struct psf_builder *b, void *buf, size_t cap,
		    uint32_t root_sig, uint32_t schema_version,
		    uint32_t flags);
int psf_build_open(struct psf_builder *b, uint32_t sig);
int psf_build_close(struct psf_builder *b);
int psf_build_struct(struct psf_builder *b, uint32_t sig, const void *data,
		     uint32_t len);
int psf_build_string(struct psf_builder *b, uint32_t sig, const char *s);
/* A whole element (header included, len bytes, as another store holds
 * it) as the next child, copied as is: the caller checks it (psf_elem)
 * once the store is finished. */
int psf_build_elem(struct psf_builder *b, const void *elem, uint32_t len);
/* Close the root, fill in lengths and CRCs.  Returns the total length. */
int psf_build_finish(struct psf_builder *b);

#ifdef __cplusplus
}
#endif

#endif /* PSF_H */
