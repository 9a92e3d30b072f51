# psctl on stores whose newest slot readers cannot use (docs/store.md
# 3.2 and section 4): a newer generation whose header and store_crc match
# but whose PSF body fails is named by `check` (exit 6) and does not block
# the next edit; a store at the last generation refuses edits (nothing
# written) instead of wrapping to 0.
echo "psctl slots"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE
A=$WORK/a.img

# poke IMG WHAT: change the newest slot of the store in IMG's MBR
# partition 4.  body: flip the last byte of the PSF body and fix the slot
# header's store_crc (the body's own CRC now fails); lastgen: set its
# generation to 2^64-1.  Prints the slot's index.
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
if what == 'body':
    f.seek(part + (lba + 1) * 512)
    body = bytearray(f.read(length))
    body[-1] ^= 1
    f.seek(part + (lba + 1) * 512)
    f.write(body)
    struct.pack_into('<I', h, 28, crc32c(body))
else:
    struct.pack_into('<Q', h, 16, 2**64 - 1)
struct.pack_into('<I', h, 60, crc32c(bytes(h[:60])))
f.seek(part + lba * 512)
f.write(h)
print(i)
EOF
}

expect_exit 0 "init" -- "$PSCTL" -i "$A" init --size 8M --slots 3
expect_exit 0 "vm create" -- "$PSCTL" -i "$A" vm create web1 --memory 1G
expect_exit 0 "vm set" -- "$PSCTL" -i "$A" vm set web1 --memory 2G
bad=$(poke "$A" body)
expect_exit 6 "check names a damaged newer slot" -- "$PSCTL" -i "$A" check
expect_err "check: which slot" "slot $bad holds a newer generation, damaged"
if grep -qF "slot $bad: generation 3, damaged" "$WORK/out"; then
    pass "check lists the slot as damaged"
else fail "check output: $(head -c 300 "$WORK/out")"; fi
expect_exit 0 "readers see the generation before it" -- \
    "$PSCTL" -i "$A" vm show web1
grep -q "^memory *1GiB$" "$WORK/out" && pass "older generation shown" ||
    fail "vm show: $(head -c 300 "$WORK/out")"
expect_exit 0 "the next edit is not blocked" -- \
    "$PSCTL" -i "$A" vm set web1 --memory 3G
expect_exit 0 "check after it" -- "$PSCTL" -i "$A" check
expect_exit 0 "the edit is what readers see" -- "$PSCTL" -i "$A" vm show web1
grep -q "^memory *3GiB$" "$WORK/out" && pass "edit shown" ||
    fail "vm show: $(head -c 300 "$WORK/out")"

poke "$A" lastgen >/dev/null
h=$(hash_of "$A")
expect_exit 7 "an edit past the last generation is refused" -- \
    "$PSCTL" -i "$A" vm set web1 --memory 4G
expect_err "refusal says why" "generation counter exhausted"
[ "$(hash_of "$A")" = "$h" ] && pass "refused edit: image unchanged" ||
    fail "refused edit changed the image"
