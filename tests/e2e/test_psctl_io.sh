# psctl's I/O per commit: the diff against the target slot and the
# read-back stream the slot in large reads (ps_media_stream), not one
# system call per sector; a read-only command and a commit leave no lock
# file behind.  Needs strace (scripts/install-deps.sh).
echo "psctl I/O per commit"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK/locks
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
mkdir -p "$PSTATE_LOCK_DIR"
IMG=$WORK/io.img
TXT=$WORK/io.txt
{
    printf 'psf 1.0 schema 1 flags 0x00000000;\nroot {\n\tvms {\n'
    i=0
    while [ $i -lt 1000 ]; do
        printf '\t\tvm {\n\t\t\tname = "vm%04d";\n\t\t\tdescription = "VM %d of the I/O test, with a description long enough to fill sectors";\n\t\t\tvm-config { uuid = 00000000-0000-4000-8000-%012d; memory-kib = 0; vcpus = 1; }\n\t\t}\n' $i $i $i
        i=$((i + 1))
    done
    printf '\t}\n}\n'
} > "$TXT"
"$PSCTL" -q -i "$IMG" init >/dev/null 2>&1 && "$PSCTL" -q -i "$IMG" import "$TXT" \
    >/dev/null 2>&1 || fail "io: building a 1000-VM store"
sectors=$(( $("$PSCTL" -q -i "$IMG" export --binary -o - 2>/dev/null | wc -c) / 512 ))
[ "$sectors" -gt 150 ] && pass "io: the store spans $sectors sectors" ||
    fail "io: store of $sectors sectors is too small to tell"
# Two passes over the slot one sector at a time would be 2 x $sectors.
n=$(ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=pread64 -o "$WORK/strace" "$PSCTL" -q -i "$IMG" vm set vm0007 \
    --memory 1GiB >/dev/null 2>&1 && grep -c 'pread64(' "$WORK/strace")
[ -n "$n" ] && [ "$n" -lt 60 ] && pass "io: vm set commits with $n preads ($sectors sectors)" ||
    fail "io: vm set made ${n:-no} preads for $sectors sectors (one per sector?)"
"$PSCTL" -q -i "$IMG" vm show vm0007 | grep -q 'memory *1GiB' &&
    "$PSCTL" -q -i "$IMG" check >/dev/null 2>&1 && pass "io: the edit landed, store valid" ||
    fail "io: edit lost or store invalid"
"$PSCTL" -q -i "$IMG" vm list >/dev/null 2>&1
[ -z "$(ls -A "$PSTATE_LOCK_DIR")" ] && pass "io: no lock file left behind" ||
    fail "io: lock files left: $(ls "$PSTATE_LOCK_DIR")"

# Libraries loaded on first use (pstate/ps_dl.c, cli/psctl_curl.c), on
# the optimised psctl (the sanitised one links them, see cli/cli.mk): an
# edit of an image file opens libblkid (its partition table) and nothing
# of libfdisk, libusb, libudev or libcurl; init opens libfdisk.
OPT=${PSCTL_OPT:-$ROOT/build/opt/psctl}
case $OPT in /*) ;; *) OPT=$ROOT/$OPT ;; esac
strace -f -e trace=openat -o "$WORK/strace-libs" \
    "$OPT" -q -i "$IMG" vm set vm0008 --memory 2GiB >/dev/null 2>&1 ||
    fail "io: vm set under strace ($OPT)"
libs=$(grep -o 'lib\(blkid\|fdisk\|usb-1.0\|udev\|curl\)[^/"]*\.so[^"]*' "$WORK/strace-libs" |
    sort -u | tr '\n' ' ')
case $libs in
"libblkid.so.1 ") pass "io: vm set -i FILE loads libblkid alone of the five" ;;
*) fail "io: vm set -i FILE loads: '$libs'" ;;
esac
strace -f -e trace=openat -o "$WORK/strace-init" \
    "$OPT" -q -i "$WORK/io2.img" init >/dev/null 2>&1 ||
    fail "io: init under strace"
grep -q 'libfdisk\.so' "$WORK/strace-init" && pass "io: init loads libfdisk" ||
    fail "io: init did not load libfdisk"
