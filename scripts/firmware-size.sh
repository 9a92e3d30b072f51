#!/bin/sh
# Word splitting of the flag and module lists is intended throughout.
# shellcheck disable=SC2086,SC2046
#
# firmware-size.sh - the PSF core, and the store's freestanding parts
# (pstate/ps_commit.c + ps_format.c + ps_media.c, and ps_sem.c), as a BMC firmware would
# link them.  The store's checks are described at "store" below.
#
# Cross-compiles the freestanding core (format/psf_*.c, without
# PSF_CRC_FAST, so the 64-byte nibble-table CRC is used) for an ARM
# Cortex-M3 in Thumb-2 at -Os, then reports and checks:
#
#   reader   .text+.rodata of psf_ro.o + psf_crc.o      <= READER_LIMIT
#   all      the whole core (FORMAT_CORE)             <= ALL_LIMIT
#   stack    the deepest single frame (-fstack-usage .su files), and the
#            worst-case call chain from the static call graph that gcc
#            writes with -fcallgraph-info=su (.ci files): for every
#            function, its frame plus the costliest chain of callees,
#            taken over all functions                   <= STACK_LIMIT
#   symbols  after `ld -r`, nothing undefined but memcpy/memmove/memset/
#            memcmp (plus any helper listed in JUSTIFIED below), for the
#            reader alone and for everything
#   host     the same core compiles with the host gcc -ffreestanding
#            -nostdlib (small and PSF_CRC_FAST CRC) with the same symbol rule
#
# Run from anywhere (`make firmware` runs it from the repository root).
# Exits non-zero when a limit is exceeded or a check fails.
# Environment: FORMAT_CORE (the core's sources; `make firmware` passes the
# Makefile's list, and without it the list is asked of make),
# CROSS (default arm-none-eabi-), HOSTCC (default gcc),
# EXT_FRAME (default 0): bytes of stack charged to each external callee
# (memcpy/memmove/memset/memcmp come with the firmware; set it to their
# deepest frame to include them in the worst chain).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CROSS=${CROSS:-arm-none-eabi-}
HOSTCC=${HOSTCC:-gcc}
EXT_FRAME=${EXT_FRAME:-0}

READER_LIMIT=2048
ALL_LIMIT=5120
STACK_LIMIT=256

# The reader is a subset of the core; the core is the Makefile's
# FORMAT_CORE (format/format.mk), as module names.
READER="psf_ro psf_crc"
if [ -z "${FORMAT_CORE:-}" ]; then
    FORMAT_CORE=$(make -s --no-print-directory -C "$ROOT" \
        --eval 'print-format-core: ; @echo $(FORMAT_CORE)' print-format-core) ||
        { echo "firmware: cannot read FORMAT_CORE from the Makefile" >&2; exit 1; }
fi
ALL=""
for f in $FORMAT_CORE; do ALL="$ALL $(basename "$f" .c)"; done
ALL=${ALL# }

# What a freestanding C environment must provide anyway.
ALLOWED_UNDEF="memcpy memmove memset memcmp"
# Compiler-runtime helpers accepted, each with its reason, as "symbol:why".
# None is needed today; e.g. "__aeabi_uldivmod:64-bit division in X".
JUSTIFIED=""

WARN="-std=c11 -Wall -Wextra -Werror"
ARM_FLAGS="$WARN -ffreestanding -nostdlib -Os -mthumb -mcpu=cortex-m3 \
-fstack-usage -ffunction-sections"
HOST_FLAGS="$WARN -ffreestanding -nostdlib -O2"

die() { echo "firmware: $*" >&2; exit 1; }

for t in gcc size nm ld; do
    command -v "${CROSS}$t" >/dev/null 2>&1 ||
        die "${CROSS}$t not found (Debian: gcc-arm-none-eabi; scripts/install-deps.sh)"
done
command -v "$HOSTCC" >/dev/null 2>&1 || die "$HOSTCC not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psf-firmware.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
mkdir "$tmp/arm" "$tmp/host" "$tmp/hostfast"

# ---------------------------------------------------------------- compile
# Each object with its .su (frames) and .ci (call graph) beside it.
for m in $ALL; do
    "${CROSS}gcc" $ARM_FLAGS -fcallgraph-info=su -I"$ROOT/format" \
        -c "$ROOT/format/$m.c" -o "$tmp/arm/$m.o" ||
        die "cross-compiling format/$m.c failed"
done

objs() { # dir modules...
    d=$1; shift
    for m in "$@"; do printf '%s ' "$d/$m.o"; done
}

# ---------------------------------------------------------------- sizes
# Berkeley `text` = .text + .rodata: what goes to flash (no .data/.bss is
# expected: the core has no global state).
text_of() { # objects...
    "${CROSS}size" -t "$@" | awk 'END { print $1 }'
}
data_of() {
    "${CROSS}size" -t "$@" | awk 'END { print $2 + $3 }'
}

echo "firmware: ${CROSS}gcc $("${CROSS}gcc" -dumpversion), -Os -mthumb -mcpu=cortex-m3, small CRC"
echo "  object             text  (.text + .rodata, bytes)"
for m in $ALL; do
    printf '  %-16s %6s\n' "$m.o" "$(text_of "$tmp/arm/$m.o")"
done

reader=$(text_of $(objs "$tmp/arm" $READER))
all=$(text_of $(objs "$tmp/arm" $ALL))
rw=$(data_of $(objs "$tmp/arm" $ALL))
echo "  reader (psf_ro + psf_crc)        $reader B"
rest=""
for m in $ALL; do
    case " $READER " in *" $m "*) ;; *) rest="$rest${rest:+, }$m" ;; esac
done
echo "  all (+ $rest) $all B  (.data+.bss: $rw B)"

fail=0
[ "$rw" -eq 0 ] || { echo "firmware: FAIL: the core has $rw B of .data/.bss" >&2; fail=1; }

# ---------------------------------------------------------------- stack
# Deepest frame, and any frame that is not static (alloca, VLA).
cat "$tmp"/arm/*.su > "$tmp/all.su"
maxframe=$(awk -F'\t' '$2 + 0 > m { m = $2 + 0; f = $1 } END {
    sub(/.*:/, "", f); print m, f }' "$tmp/all.su")
maxframe_b=${maxframe% *}
maxframe_f=${maxframe#* }
if awk -F'\t' '$3 != "static" { print "  non-static frame: " $0; bad = 1 }
        END { exit bad }' "$tmp/all.su"; then :; else
    echo "firmware: FAIL: dynamic stack frames (see above)" >&2
    fail=1
fi

# Worst call chain, by scripts/callgraph.awk over gcc's static call graph
# (the .ci files): a function's cost is its frame plus the costliest of its
# callees; recursion or an indirect call would make the bound meaningless
# and fails the check.  External callees (the mem* functions, which the
# firmware provides) count EXT_FRAME bytes each.
reader_ci=""
for m in $READER; do reader_ci="$reader_ci $tmp/arm/$m.ci"; done
awk -v roots_ci="$reader_ci" -v ext_frame="$EXT_FRAME" -v whole=1 \
    -v indirect_is_ext=0 -f "$ROOT/scripts/callgraph.awk" \
    "$tmp"/arm/*.ci > "$tmp/chain.txt"

chain_all=$(awk '$1 == "all" { print $2 }' "$tmp/chain.txt")
chain_reader=$(awk '$1 == "roots" { print $2 }' "$tmp/chain.txt")
echo "  max frame $maxframe_b B ($maxframe_f, from the .su files)"
echo "  worst call chain (static call graph from gcc -fcallgraph-info=su,"
echo "  frames summed along the costliest path; external mem* counted as $EXT_FRAME B):"
echo "    all    $chain_all B: $(sed -n 's/^all [0-9]* //p' "$tmp/chain.txt")"
echo "    reader $chain_reader B: $(sed -n 's/^roots [0-9]* //p' "$tmp/chain.txt")"
echo "    external callees: $(sed -n 's/^external *//p' "$tmp/chain.txt")"
if grep -q '^cycle' "$tmp/chain.txt"; then
    echo "firmware: FAIL: recursion in the call graph:$(sed -n 's/^cycle//p' "$tmp/chain.txt")" >&2
    fail=1
fi
if grep -q '^indirect' "$tmp/chain.txt"; then
    echo "firmware: FAIL: indirect calls in:$(sed -n 's/^indirect//p' "$tmp/chain.txt")" >&2
    fail=1
fi

# ---------------------------------------------------------------- symbols
# Link each set into one relocatable object: what stays undefined is what
# the firmware must provide.
undef_check() { # label ld nm objects...
    label=$1 ld=$2 nm=$3
    shift 3
    "$ld" -r -o "$tmp/check.o" "$@" || die "$ld -r failed ($label)"
    bad=""
    helpers=""
    for s in $("$nm" -u "$tmp/check.o" | awk '{ print $NF }'); do
        ok=0
        for a in $ALLOWED_UNDEF; do [ "$s" = "$a" ] && ok=1; done
        for j in $JUSTIFIED; do
            [ "$s" = "${j%%:*}" ] && { ok=1; helpers="$helpers $j"; }
        done
        [ $ok -eq 1 ] || bad="$bad $s"
    done
    undef=$("$nm" -u "$tmp/check.o" | awk '{ printf " %s", $NF }')
    echo "  undefined ($label):${undef:- none}"
    [ -z "$helpers" ] || echo "    accepted helpers:$helpers"
    if [ -n "$bad" ]; then
        echo "firmware: FAIL: $label needs symbols a freestanding target lacks:$bad" >&2
        fail=1
    fi
}

undef_check "arm reader" "${CROSS}ld" "${CROSS}nm" $(objs "$tmp/arm" $READER)
undef_check "arm all" "${CROSS}ld" "${CROSS}nm" $(objs "$tmp/arm" $ALL)

# ---------------------------------------------------------------- host
for m in $ALL; do
    "$HOSTCC" $HOST_FLAGS -I"$ROOT/format" -c "$ROOT/format/$m.c" \
        -o "$tmp/host/$m.o" ||
        die "host freestanding compile of format/$m.c failed"
    "$HOSTCC" $HOST_FLAGS -DPSF_CRC_FAST -I"$ROOT/format" \
        -c "$ROOT/format/$m.c" -o "$tmp/hostfast/$m.o" ||
        die "host freestanding compile (PSF_CRC_FAST) of format/$m.c failed"
done
undef_check "host $("$HOSTCC" -dumpmachine) -ffreestanding" ld nm \
    $(objs "$tmp/host" $ALL)
undef_check "host -ffreestanding -DPSF_CRC_FAST" ld nm \
    $(objs "$tmp/hostfast" $ALL)

# ---------------------------------------------------------------- store
# The freestanding parts of pstate/ as BMC firmware links them: the store
# on media (ps_format.c, ps_commit.c, ps_media.c: format, read, commit) and, separately,
# the semaphore protocol (ps_sem.c), which only a BMC that writes the store
# needs.  Same compiler and flags as the core.  The stack chain of the store code
# runs through the format core (psf_check_full, psf_crc32c, the builder),
# so their call graphs join in.  Indirect calls are the media and lock
# callbacks the firmware supplies; like the mem* functions they count
# EXT_FRAME bytes and are listed, not failed.
#
# Limits, and why:
#   store text  <= STORE_LIMIT: 4.3 KiB today; 5 KiB, as for the core,
#                  leaves room for one more protocol step, not for bloat.
#                  Core + store stay under 10 KiB of a BMC image.
#   sem text    <= SEM_LIMIT: 2.9 KiB today; 4 KiB.
#   stack       <= STORE_STACK_LIMIT for the worst chain from any store or
#                  semaphore entry point: 512 B, two 256 B budgets (the
#                  core's, and the store's own frames); firmware tasks
#                  commonly get 1-2 KiB of stack.
STORE_LIMIT=5120
SEM_LIMIT=4096
STORE_STACK_LIMIT=512
STORE="ps_commit ps_format ps_media"
SEM="ps_sem"
# The authenticated store (docs/store.md section 8): the trailer, MAC and
# verdict, and SHA-256/HMAC.  ps_commit calls its seal hook, so a BMC
# links it with the store; measured on its own against AUTH_LIMIT (the
# issue's budget: about 1.5 KiB of Thumb-2 for HMAC-SHA256, plus the
# trailer code).
AUTH="ps_auth ps_sha256"
AUTH_LIMIT=3072
mkdir "$tmp/store"
for m in $STORE $SEM $AUTH ps_strerror; do
    "${CROSS}gcc" $ARM_FLAGS -fcallgraph-info=su -I"$ROOT/format" \
        -I"$ROOT/pstate" -c "$ROOT/pstate/$m.c" -o "$tmp/store/$m.o" ||
        die "cross-compiling pstate/$m.c failed"
done

# Worst chain from the functions defined in the given .ci files (roots),
# over the graph of every .ci file passed.  Same cost rule as above, but
# indirect calls are firmware callbacks (EXT_FRAME bytes, not a failure).
chain_from() { # roots-ci files...
    roots=$1; shift
    awk -v roots_ci="$roots" -v ext_frame="$EXT_FRAME" -v whole=0 \
        -v indirect_is_ext=1 -f "$ROOT/scripts/callgraph.awk" "$@"
}

store_ci=""
for m in $STORE; do store_ci="$store_ci $tmp/store/$m.ci"; done
auth_ci=""
for m in $AUTH; do auth_ci="$auth_ci $tmp/store/$m.ci"; done
chain_from "$store_ci" $store_ci "$tmp"/arm/*.ci > "$tmp/store_chain.txt"
# With authentication on, a commit also runs the seal (HMAC-SHA256,
# reached through struct ps_auth: an indirect call, so firmware that
# never seals does not link it).  A sealed commit's worst chain is
# ps_commit's frame plus the seal's chain (publish is inlined into
# ps_commit), measured against AUTH_STACK_LIMIT: a BMC that seals sizes
# its task stack for it.
AUTH_STACK_LIMIT=1024
chain_from "$auth_ci" $auth_ci "$tmp"/arm/*.ci > "$tmp/auth_chain.txt"
commit_frame=$(awk -F'\t' '$1 ~ /:ps_commit$/ { print $2 + 0 }' "$tmp/store/ps_commit.su")
auth_chain=$(( $(awk '$1 == "roots" { print $2 }' "$tmp/auth_chain.txt") + ${commit_frame:-0} ))
chain_from "$tmp/store/ps_sem.ci" "$tmp/store/ps_sem.ci" > "$tmp/sem_chain.txt"
store_text=$(text_of $(objs "$tmp/store" $STORE))
sem_text=$(text_of "$tmp/store/ps_sem.o")
auth_text=$(text_of $(objs "$tmp/store" $AUTH))
store_rw=$(data_of $(objs "$tmp/store" $STORE $SEM $AUTH ps_strerror))
store_chain=$(awk '$1 == "roots" { print $2 }' "$tmp/store_chain.txt")
sem_chain=$(awk '$1 == "roots" { print $2 }' "$tmp/sem_chain.txt")
cat "$tmp"/store/*.su > "$tmp/store.su"
smax=$(awk -F'\t' '$2 + 0 > m { m = $2 + 0; f = $1 } END {
    sub(/.*:/, "", f); print m, f }' "$tmp/store.su")
echo "firmware: store parts (pstate/, same flags)"
echo "  object             text  (.text + .rodata, bytes)"
for m in $STORE $SEM $AUTH ps_strerror; do
    printf '  %-16s %6s\n' "$m.o" "$(text_of "$tmp/store/$m.o")"
done
echo "  store (ps_commit + ps_format + ps_media) $store_text B  (.data+.bss of all: $store_rw B)"
echo "  semaphore (ps_sem)               $sem_text B"
echo "  auth (ps_auth + ps_sha256)       $auth_text B"
echo "  max frame ${smax% *} B (${smax#* })"
echo "  worst call chain (indirect calls are firmware callbacks, counted as ext):"
echo "    store  $store_chain B: $(sed -n 's/^roots [0-9]* //p' "$tmp/store_chain.txt")"
echo "    sealed $auth_chain B: ps_commit(${commit_frame:-0}) > seal: $(sed -n 's/^roots [0-9]* //p' "$tmp/auth_chain.txt")"
echo "    sem    $sem_chain B: $(sed -n 's/^roots [0-9]* //p' "$tmp/sem_chain.txt")"
if awk -F'\t' '$3 != "static" { print "  non-static frame: " $0; bad = 1 }
        END { exit bad }' "$tmp/store.su"; then :; else
    echo "firmware: FAIL: dynamic stack frames in the store parts" >&2
    fail=1
fi
if grep -q '^cycle' "$tmp/store_chain.txt" "$tmp/sem_chain.txt" "$tmp/auth_chain.txt"; then
    echo "firmware: FAIL: recursion in the store or semaphore call graph" >&2
    fail=1
fi
[ "$store_rw" -eq 0 ] || { echo "firmware: FAIL: the store parts have $store_rw B of .data/.bss" >&2; fail=1; }
undef_check "arm store + sem + strerror + core" "${CROSS}ld" "${CROSS}nm" \
    $(objs "$tmp/store" $STORE $SEM $AUTH ps_strerror) $(objs "$tmp/arm" $ALL)

# ---------------------------------------------------------------- verdict
over() { # value limit name
    if [ "$1" -gt "$2" ]; then
        echo "firmware: FAIL: $3 $1 B exceeds $2 B" >&2
        fail=1
    fi
}
echo "firmware: reader $reader B (limit $READER_LIMIT), all $all B (limit $ALL_LIMIT), max frame $maxframe_b B, worst chain $chain_all B (limit $STACK_LIMIT)"
over "$reader" "$READER_LIMIT" "reader"
over "$all" "$ALL_LIMIT" "all"
over "$chain_all" "$STACK_LIMIT" "worst call chain"
echo "firmware store: store $store_text B (limit $STORE_LIMIT), semaphore $sem_text B (limit $SEM_LIMIT), worst chain store $store_chain B, semaphore $sem_chain B (limit $STORE_STACK_LIMIT)"
over "$store_text" "$STORE_LIMIT" "store code"
over "$sem_text" "$SEM_LIMIT" "semaphore code"
echo "firmware auth: auth $auth_text B (limit $AUTH_LIMIT), worst chain of a sealed commit $auth_chain B (limit $AUTH_STACK_LIMIT)"
over "$auth_text" "$AUTH_LIMIT" "auth code"
over "$auth_chain" "$AUTH_STACK_LIMIT" "sealed commit worst call chain"
over "$store_chain" "$STORE_STACK_LIMIT" "store worst call chain"
over "$sem_chain" "$STORE_STACK_LIMIT" "semaphore worst call chain"
exit $fail
