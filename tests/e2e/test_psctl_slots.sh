# psctl on stores whose newest slot readers cannot use (docs/store.md
# 3.2 and section 4): a newer generation whose header and store_crc match
# but whose PSF body fails is named by `check` (exit 6) and does not block
# the next edit; one whose body fails its store_crc is an interrupted
# commit (a note, exit 0) when a one-flush commit (--commit fast, the
# default) wrote it, and damage (exit 6) when an ordered one did (its
# header's ORDERED flag); a store at the last generation refuses edits
# (nothing written) instead of wrapping to 0.
echo "psctl slots"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE
A=$WORK/a.img

# poke IMG WHAT: change the newest slot of the store in IMG's MBR
# partition 4.  body: flip the last byte of the PSF body and fix the slot
# header's store_crc (the body's own CRC now fails); torn: flip it and
# leave store_crc as it was (a body sector that never landed); lastgen:
# set its generation to 2^64-1.  Prints the slot's index.
poke() {
    python3 - "$1" "$2" <<'EOF'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1))
    return crc ^ 0xffffffff
path, what = sys.argv[1], sys.argv[2]
f = open(path, 'r+b')
f.seek(446 + 3 * 16 + 8)
part = struct.unpack('<I', f.read(4))[0] * 512
f.seek(part)
sb = f.read(512)
n = struct.unpack_from('<I', sb, 24)[0]
best = None
for i in range(n):
    lba = struct.unpack_from('<Q', sb, 64 + 16 * i)[0]
    f.seek(part + lba * 512)
    h = f.read(64)
    if h[:8] != b'\x89psslot\x1a' or crc32c(h[:60]) != struct.unpack_from('<I', h, 60)[0]:
        continue
    gen = struct.unpack_from('<Q', h, 16)[0]
    if best is None or gen > best[1]:
        best = (i, gen, lba, bytearray(h))
i, gen, lba, h = best
length = struct.unpack_from('<I', h, 24)[0]
if what in ('body', 'torn'):
    f.seek(part + (lba + 1) * 512)
    body = bytearray(f.read(length))
    body[-1] ^= 1
    f.seek(part + (lba + 1) * 512)
    f.write(body)
    if what == 'body':
        struct.pack_into('<I', h, 28, crc32c(body))
elif what == 'flags':
    print((struct.unpack_from('<I', h, 44)[0] >> 17) & 1)
    sys.exit(0)
else:
    struct.pack_into('<Q', h, 16, 2**64 - 1)
struct.pack_into('<I', h, 60, crc32c(bytes(h[:60])))
f.seek(part + lba * 512)
f.write(h)
print(i)
EOF
}

# out_has WHAT TEXT: the last command's output holds TEXT.
out_has() {
    grep -qF -- "$2" "$WORK/out" && pass "$1" ||
        fail "$1: output: $(head -c 300 "$WORK/out")"
}
# memory_is WHAT SIZE: readers see web1's memory as SIZE.
memory_is() {
    expect_exit 0 "$1: vm show" -- "$PSCTL" -i "$A" vm show web1
    grep -q "^memory *$2$" "$WORK/out" && pass "$1" ||
        fail "$1: vm show: $(head -c 300 "$WORK/out")"
}
# ordered_is WHAT 0|1: the newest slot's ORDERED flag.
ordered_is() {
    f=$(poke "$A" flags)
    [ "$f" = "$2" ] && pass "$1" || fail "$1: ORDERED is $f"
}

expect_exit 0 "init" -- "$PSCTL" -i "$A" init --size 8M --slots 3
expect_exit 0 "vm create" -- "$PSCTL" -i "$A" vm create web1 --memory 1G
expect_exit 0 "vm set" -- "$PSCTL" -i "$A" vm set web1 --memory 2G
bad=$(poke "$A" body)
expect_exit 6 "check names a damaged newer slot" -- "$PSCTL" -i "$A" check
expect_err "check: which slot" "slot $bad holds a newer generation, damaged"
out_has "check lists the slot as damaged" "slot $bad: generation 3, damaged"
memory_is "readers see the generation before it" 1GiB
expect_exit 0 "the next edit is not blocked" -- \
    "$PSCTL" -i "$A" vm set web1 --memory 3G
expect_exit 0 "check after it" -- "$PSCTL" -i "$A" check
memory_is "the edit is what readers see" 3GiB

# A body sector that never landed under a header that did.  A one-flush
# commit: an interrupted commit, a note; readers use the generation
# before it, as for damage.
expect_exit 0 "fast commit" -- "$PSCTL" -i "$A" vm set web1 --memory 5G
ordered_is "one-flush header: ORDERED clear" 0
bad=$(poke "$A" torn)
expect_exit 0 "check: an interrupted commit is a note" -- \
    "$PSCTL" -i "$A" check
expect_err "check: the note names slot and generation" \
    "note: slot $bad holds generation 4 of an interrupted commit"
out_has "check lists the slot as interrupted" \
    "slot $bad: generation 4, interrupted commit"
memory_is "readers see the generation before the cut" 3GiB
# The same under an ordered commit (the config file's `commit =`): its
# header says the body was durable first, so it is damage.
echo "commit = ordered" >"$WORK/psctl.conf"
expect_exit 0 "ordered commit" -- env PSTATE_PSCTL_CONF="$WORK/psctl.conf" \
    "$PSCTL" -i "$A" vm set web1 --memory 6G
ordered_is "ordered header: ORDERED set" 1
bad=$(poke "$A" torn)
expect_exit 6 "check: a torn ordered commit is damage" -- \
    "$PSCTL" -i "$A" check
expect_err "check: damage named" "slot $bad holds a newer generation, damaged"
expect_exit 0 "--commit ordered on the command line" -- \
    "$PSCTL" --commit ordered -i "$A" vm set web1 --memory 7G
ordered_is "--commit ordered: ORDERED set" 1
expect_exit 0 "--commit fast beats the config file" -- \
    env PSTATE_PSCTL_CONF="$WORK/psctl.conf" \
    "$PSCTL" --commit fast -i "$A" vm set web1 --memory 8G
ordered_is "--commit fast: ORDERED clear" 0
h=$(hash_of "$A")
expect_exit 3 "--commit takes fast or ordered" -- \
    "$PSCTL" --commit slow -i "$A" vm set web1 --memory 9G
expect_err "--commit: why" "--commit 'slow': not fast or ordered"
echo "commit = slow" >"$WORK/psctl.conf"
expect_exit 3 "commit = in the config file: fast or ordered" -- \
    env PSTATE_PSCTL_CONF="$WORK/psctl.conf" \
    "$PSCTL" -i "$A" vm set web1 --memory 9G
expect_err "config: file and line" "psctl.conf:1: commit 'slow': not fast or ordered"
# A config file another user could have planted or changed is refused
# (its pool URL would redirect a root psctl): writable by others, or a
# symbolic link.
echo "commit = ordered" >"$WORK/psctl.conf"
chmod 666 "$WORK/psctl.conf"
expect_exit 3 "a config file writable by others is refused" -- \
    env PSTATE_PSCTL_CONF="$WORK/psctl.conf" \
    "$PSCTL" -i "$A" vm set web1 --memory 9G
expect_err "config refused: why" "psctl.conf: writable by group or others: the configuration file refused"
chmod 644 "$WORK/psctl.conf"
ln -sf "$WORK/psctl.conf" "$WORK/psctl-link.conf"
expect_exit 3 "a config file that is a symbolic link is refused" -- \
    env PSTATE_PSCTL_CONF="$WORK/psctl-link.conf" \
    "$PSCTL" -i "$A" vm set web1 --memory 9G
expect_err "config link: why" "psctl-link.conf: a symbolic link: the configuration file refused"
[ "$(hash_of "$A")" = "$h" ] && pass "refused modes: image unchanged" ||
    fail "a refused mode changed the image"

poke "$A" lastgen >/dev/null
h=$(hash_of "$A")
expect_exit 7 "an edit past the last generation is refused" -- \
    "$PSCTL" -i "$A" vm set web1 --memory 4G
expect_err "refusal says why" "generation counter exhausted"
[ "$(hash_of "$A")" = "$h" ] && pass "refused edit: image unchanged" ||
    fail "refused edit changed the image"
