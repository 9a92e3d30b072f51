#!/bin/sh
# Word splitting of the flag and file lists is intended throughout.
# shellcheck disable=SC2086
#
# check-headers.sh - the public headers as firmware sees them.
#
#   alone        each public header of format/ and pstate/ (every .h but
#                the *_internal.h ones and generated tables) is the only
#                include of a translation unit that compiles hosted and,
#                unless it is one of HOSTED_HDRS, with -ffreestanding
#                -nostdlib (the cross gcc has no hosted headers at all, so
#                one reachable fails there): each header self-contained
#   hidden       a freestanding unit that calls a hosted-only function
#                (ps_store_open) fails to compile
#   map          the freestanding/hosted file lists at the top of
#                pstate/pstate.h are exactly PSTATE_CORE and PSTATE_HOST
#
# Environment: PSTATE_CORE, PSTATE_HOST (`make firmware` passes the
# Makefile's lists; without them they are asked of make), HOSTCC (gcc),
# CROSS (arm-none-eabi-; skipped when its gcc is missing).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOSTCC=${HOSTCC:-gcc}
CROSS=${CROSS:-arm-none-eabi-}
WARN="-std=c11 -Wall -Wextra -Werror"
INC="-I$ROOT/format -I$ROOT/pstate"

die() { echo "check-headers: $*" >&2; exit 1; }

ask_make() { # variable
    make -s --no-print-directory -C "$ROOT" \
        --eval "print-var: ; @echo \$($1)" print-var ||
        die "cannot read $1 from the Makefile"
}
PSTATE_CORE=${PSTATE_CORE:-$(ask_make PSTATE_CORE)}
PSTATE_HOST=${PSTATE_HOST:-$(ask_make PSTATE_HOST)}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

compilers="$HOSTCC"
command -v "${CROSS}gcc" >/dev/null 2>&1 && compilers="$compilers ${CROSS}gcc"

# Headers of hosted-only libraries: the PSF text format and tree
# (libpsf-tree.a; psftool, psctl), which firmware never links.
HOSTED_HDRS="psf_text.h psf_tree.h"

fail=0
n=0
for h in "$ROOT"/format/*.h "$ROOT"/pstate/*.h; do
    b=$(basename "$h")
    case $b in *_internal.h | psf_crc_tables.h) continue ;; esac
    printf '#include "%s"\n' "$b" > "$tmp/one.c"
    fs=$compilers
    case " $HOSTED_HDRS " in *" $b "*) fs="" ;; esac
    for cc in $fs; do
        "$cc" $WARN -ffreestanding -nostdlib -fsyntax-only $INC "$tmp/one.c" \
            2> "$tmp/err" || {
            echo "check-headers: FAIL: $b alone, $cc -ffreestanding:" >&2
            cat "$tmp/err" >&2
            fail=1
        }
    done
    "$HOSTCC" $WARN -D_POSIX_C_SOURCE=200809L -fsyntax-only $INC "$tmp/one.c" \
        2> "$tmp/err" || {
        echo "check-headers: FAIL: $b alone, hosted:" >&2
        cat "$tmp/err" >&2
        fail=1
    }
    n=$((n + 1))
done

# A hosted-only declaration must be hidden from firmware.
cat > "$tmp/hidden.c" <<'EOC'
#include "pstate.h"
void *f(struct ps_media *m);
void *f(struct ps_media *m) { return ps_store_open(m, 0); }
EOC
if "$HOSTCC" $WARN -ffreestanding -nostdlib -fsyntax-only $INC \
        "$tmp/hidden.c" 2>/dev/null; then
    echo "check-headers: FAIL: ps_store_open is visible with -ffreestanding" >&2
    fail=1
fi

# The map at the top of pstate.h: the .c names after "PSTATE_CORE (" up to
# "PSTATE_HOST (", and from there to the end of that comment.
names() { for f in "$@"; do basename "$f"; done | sort; }
awk '/^ \*   PSTATE_CORE \(/ { s = "core" } /^ \*   PSTATE_HOST \(/ { s = "host" }
     /^ \*\// { s = "" }
     s { for (i = 1; i <= NF; i++) if ($i ~ /^ps_[a-z0-9_]*\.c$/) print s, $i }' \
    "$ROOT/pstate/pstate.h" > "$tmp/map"
awk '$1 == "core" { print $2 }' "$tmp/map" | sort > "$tmp/map_core"
awk '$1 == "host" { print $2 }' "$tmp/map" | sort > "$tmp/map_host"
names $PSTATE_CORE > "$tmp/mk_core"
names $PSTATE_HOST > "$tmp/mk_host"
for s in core host; do
    if ! cmp -s "$tmp/map_$s" "$tmp/mk_$s"; then
        echo "check-headers: FAIL: pstate.h's $s list is not pstate.mk's (< pstate.h, > pstate.mk):" >&2
        diff "$tmp/map_$s" "$tmp/mk_$s" | grep '^[<>]' >&2 || true
        fail=1
    fi
done

[ $fail -eq 0 ] || exit 1
echo "check-headers: $n public headers compile alone (-ffreestanding:$(
    for cc in $compilers; do printf ' %s' "$cc"; done)), hosted-only calls hidden, pstate.h's file map matches pstate.mk"
