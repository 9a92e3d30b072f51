#!/bin/sh
# bench_setup.sh - figures of pstate-setup.efi (docs/performance.md,
# "BIOS setup"): the .efi's size; what it links from format/ and pstate/
# (must be exactly FORMAT_CORE + PSTATE_CORE, the freestanding set) with
# their .text+.rodata and .data as built for UEFI; the milliseconds from
# the application's start to the VM list (its own TSC clock) and the wall
# time from QEMU's start to that screen, over RUNS boots (default 3) of
# OVMF under TCG with one key.
# Usage (make bench-setup): SETUP_EFI=... PSCTL=... FORMAT_CORE=...
#   PSTATE_CORE=... EFI_DIR=... bench/bench_setup.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${SETUP_EFI:?}" "${PSCTL:?}" "${FORMAT_CORE:?}" "${PSTATE_CORE:?}" "${EFI_DIR:?}"
RUNS=${RUNS:-3}

echo "pstate-setup.efi: $(wc -c < "$SETUP_EFI") B"
# The link's inputs from format/ and pstate/, by the map the linker
# writes: every one must be in the freestanding set or the EFI backend.
linked=$(awk '/^LOAD .*build\/efi\/(format|pstate)\// { print $2 }' "$EFI_DIR/pstate-setup.map" |
    sed 's#^.*build/efi/##; s#\.o$#.c#')
for f in $linked; do
    case " $FORMAT_CORE $PSTATE_CORE pstate/ps_media_efi.c " in
        *" $f "*) ;;
        *) echo "bench-setup: FAIL: $f linked but not freestanding" >&2; exit 1 ;;
    esac
done
objs=$(for f in $FORMAT_CORE $PSTATE_CORE; do echo "$EFI_DIR/${f%.c}.o"; done)
# shellcheck disable=SC2086
size $objs | awk 'NR > 1 { t += $1; d += $2 } END {
    printf "format/ + pstate/ freestanding set: %d files, %d B .text+.rodata, %d B .data\n", NR - 1, t, d }'
# shellcheck disable=SC2086
size $EFI_DIR/cli/setup/*.o "$EFI_DIR/pstate/ps_media_efi.o" | awk 'NR > 1 { t += $1; d += $2 } END {
    printf "application (cli/setup/ + ps_media_efi.c): %d B .text+.rodata, %d B .data\n", t, d }'

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-setup.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=/dev/null
export WORK RESULTS ROOT PSCTL SETUP_EFI
# shellcheck disable=SC1091
. "$ROOT/tests/e2e/lib.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/e2e/setup_lib.sh"
setup_ready >/dev/null
make_key "$WORK/key.img" web1 db1 app1
printf 'expect startup to VM list:\nexpect setup>\nkill\n' > "$WORK/s.txt"
i=0
while [ "$i" -lt "$RUNS" ]; do
    i=$((i + 1))
    : > "$WORK/console.log"
    t0=$(date +%s%N)
    setup_run "$WORK/s.txt" "$WORK/key.img"
    t1=$(date +%s%N)
    app=$(grep -o 'startup to VM list: [0-9]*' "$WORK/console.log" | awk '{ print $5 }')
    echo "run $i: application start to VM list ${app} ms; QEMU start to VM list $(( (t1 - t0) / 1000000 )) ms (OVMF, TCG)"
done
