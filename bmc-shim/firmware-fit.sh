#!/bin/sh
# Word splitting of the flag and object lists is intended throughout.
# shellcheck disable=SC2086,SC2046
#
# firmware-fit.sh - the BMC shim as BMC firmware links it: the shim
# (BMC_SRC of bmc-shim/bmc-shim.mk), the format core (format/psf_*.c but
# the hosted schema/tree/text layers) and the freestanding store parts
# (PSTATE_CORE of pstate/pstate.mk: commit, media, edit layer, profiles),
# cross-compiled for an ARM Cortex-M3 in Thumb-2 at -Os, freestanding, as
# scripts/firmware-size.sh builds the core.  Checks:
#
#   heap     after `ld -r`, nothing undefined but memcpy/memmove/memset/
#            memcmp: no malloc/free, no libc
#   text     .text + .rodata of everything              <= TEXT_LIMIT
#   data     .data (initialised globals)                == 0
#   stack    worst call chain from bmc_shim_handle and bmc_shim_init
#            (scripts/callgraph.awk over gcc's -fcallgraph-info=su; the
#            firmware's media/power/lock callbacks are charged EXT_FRAME
#            bytes each)                                <= STACK_LIMIT
#
# The shim's context (struct bmc_shim: the store buffer of
# BMC_SHIM_STORE_MAX bytes and the staging buffers) is the firmware's
# static allocation, not stack; its size is printed.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CROSS=${CROSS:-arm-none-eabi-}
EXT_FRAME=${EXT_FRAME:-0}

# Limits.  Today: see the figures printed; the limits leave room for the
# next commands without letting the shim grow past a small BMC's budget.
# 48 KiB since the whole-store check runs every value and placement rule
# of the edit layer, and the store reuses and compacts its pads (docs/
# store.md 7: without it the shim's 64 KiB buffer fills with garbage);
# 52 KiB since the shim verifies every store it loads and seals every
# commit on a sealed store (HMAC-SHA256 linked: issue 18, docs/security.md);
# 56 KiB since the whole-store check holds the address pools' records to
# their rules (pstate/ps_pool_rules.c): the shim's element writes reach
# POOL_STATE, and its gate is that check (docs/pool.md); 56.5 KiB since
# the edit layer's identifier check holds reservations (an identifier
# reserved for one profile is no other's: ps__resv_clash, issue 19);
# docs/performance.md, "BMC shim on a Cortex-M3".
TEXT_LIMIT=57856
STACK_LIMIT=2304

# memcpy/memmove/memset/memcmp come with any freestanding C environment;
# __aeabi_uldivmod and __aeabi_ldivmod are libgcc's 64-bit division
# (the edit layer prints u64 values and durations in messages; gcc may leave
# the signed one declared even where no call remains): compiler runtime,
# no heap, no libc.
ALLOWED_UNDEF="memcpy memmove memset memcmp __aeabi_uldivmod __aeabi_ldivmod"
FLAGS="-std=c11 -Wall -Wextra -Werror -ffreestanding -nostdlib -Os -mthumb \
-mcpu=cortex-m3 -fstack-usage -ffunction-sections -fdata-sections \
-fcallgraph-info=su -DPS_CFG_NO_HELP"

die() { echo "firmware-fit: $*" >&2; exit 1; }
command -v "${CROSS}gcc" >/dev/null 2>&1 ||
    die "${CROSS}gcc not found (Debian: gcc-arm-none-eabi)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bmc-fit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The freestanding source lists are defined once, in the Makefiles
# (bmc-shim.mk's BMC_SRC, FORMAT_CORE, pstate/pstate.mk's PSTATE_CORE);
# `make firmware` passes them.
[ -n "${BMC_SRC:-}" ] && [ -n "${FORMAT_CORE:-}" ] &&
    [ -n "${PSTATE_CORE:-}" ] ||
    die "BMC_SRC, FORMAT_CORE and PSTATE_CORE not set (run it as: make firmware)"
SRC="$BMC_SRC $FORMAT_CORE $PSTATE_CORE"
for s in $SRC; do
    o="$tmp/$(basename "$s" .c).o"
    "${CROSS}gcc" $FLAGS -I"$ROOT/format" -I"$ROOT/pstate" \
        -I"$ROOT/bmc-shim" -c "$ROOT/$s" -o "$o" ||
        die "cross-compiling $s failed"
done

# What a firmware link keeps: everything reachable from the shim's entry
# points (the linker drops unused functions of the edit layer and the core).
"${CROSS}ld" -r --gc-sections -u bmc_shim_init -u bmc_shim_handle \
    -u bmc_shim_drop_client_lock -u bmc_shim_tick -u bmc_shim_cc_name \
    -u ps_sem_lock_ops \
    -o "$tmp/linked.o" "$tmp"/*.o
undef=$("${CROSS}nm" -u "$tmp/linked.o" | awk '{ print $2 }')
fail=0
for u in $undef; do
    case " $ALLOWED_UNDEF " in
        *" $u "*) ;;
        *) echo "firmware-fit: FAIL: undefined symbol $u (heap or libc)" >&2
           fail=1 ;;
    esac
done

# The whole-store check's workspace strategy (pstate/ps_check_ws.c) is for
# hosts: the shim calls ps_cfg_check, and the link must drop the rest.
if "${CROSS}nm" "$tmp/linked.o" | grep -q ' ps_cfg_check_ws'; then
    echo "firmware-fit: FAIL: ps_cfg_check_ws linked (hosted strategy)" >&2
    fail=1
fi

sizes=$("${CROSS}size" "$tmp/linked.o" | awk 'END { print $1, $2 }')
text=${sizes% *}
data=${sizes#* }
shim_objs=""
for s in $BMC_SRC; do shim_objs="$shim_objs $tmp/$(basename "$s" .c).o"; done
shim_text=$("${CROSS}size" -t $shim_objs | awk 'END { print $1 }')

roots="$tmp/bmc_shim.ci"
# The commit's seal is an indirect call (struct ps_auth, so firmware that
# never seals links none of it); this shim seals every commit on a sealed
# store (bmc_auth.c), so the graph gets that call as the edge it is.
echo 'edge: { sourcename: "ps_commit" targetname: "ps_auth_seal" }' \
    > "$tmp/zz_seal.ci"
awk -v roots_ci="$roots" -v ext_frame="$EXT_FRAME" -v whole=0 \
    -v indirect_is_ext=1 -f "$ROOT/scripts/callgraph.awk" "$tmp"/*.ci \
    > "$tmp/chain.txt"
if grep -q '^cycle' "$tmp/chain.txt"; then
    echo "firmware-fit: FAIL: recursion: $(grep '^cycle' "$tmp/chain.txt")" >&2
    fail=1
fi
chain=$(awk '$1 == "roots" { print $2 }' "$tmp/chain.txt")
# The authenticated store's own chains, for the figures: a sealed commit
# (ps_commit and the seal under it) and the verify at every load.
auth_chain() { # roots-ci
    awk -v roots_ci="$1" -v ext_frame="$EXT_FRAME" -v whole=0 \
        -v indirect_is_ext=1 -f "$ROOT/scripts/callgraph.awk" "$tmp"/*.ci |
        awk '$1 == "roots" { n = $2; $1 = ""; $2 = ""; sub(/^  /, "");
                             print n " B: " $0 }'
}
sealed_chain=$(auth_chain "$tmp/ps_commit.ci")
verify_chain=$(auth_chain "$tmp/bmc_auth.ci")
chain_path=$(awk '$1 == "roots" { $1 = ""; $2 = ""; sub(/^  /, ""); print }' \
    "$tmp/chain.txt")

# The context struct's size, from the target's own layout.
printf '#include "bmc_shim.h"\nchar ctx_size[sizeof(struct bmc_shim)];\n' \
    > "$tmp/ctx.c"
"${CROSS}gcc" $FLAGS -I"$ROOT/format" -I"$ROOT/pstate" -I"$ROOT/bmc-shim" \
    -fno-common -c "$tmp/ctx.c" -o "$tmp/ctx.o"
ctx=$("${CROSS}nm" -S "$tmp/ctx.o" | awk '$4 == "ctx_size" { print strtonum("0x" $2) }' 2>/dev/null ||
      "${CROSS}nm" -S -td "$tmp/ctx.o" | awk '$4 == "ctx_size" { print $2 + 0 }')
[ -n "$ctx" ] || ctx=$("${CROSS}nm" -S -td "$tmp/ctx.o" | awk '$4 == "ctx_size" { print $2 + 0 }')

echo "firmware-fit: bmc-shim + format core + store parts, ${CROSS}gcc $("${CROSS}gcc" -dumpversion), -Os -mthumb -mcpu=cortex-m3"
echo "  shim ($(echo $BMC_SRC | sed 's|bmc-shim/||g; s|\.c|.o|g'))  ${shim_text} B .text+.rodata"
echo "  everything linked               ${text} B .text+.rodata (limit $TEXT_LIMIT), .data ${data} B"
echo "  worst stack from the handlers   ${chain} B (limit $STACK_LIMIT): ${chain_path}"
echo "  sealed commit                   ${sealed_chain}"
echo "  auth at load and commit         ${verify_chain}"
echo "  context (struct bmc_shim)       ${ctx} B, static (store buffer $((64 * 1024)) B)"
echo "  undefined                       $(echo $undef)"

[ "$text" -le "$TEXT_LIMIT" ] || { echo "firmware-fit: FAIL: text $text > $TEXT_LIMIT" >&2; fail=1; }
[ "$data" -eq 0 ] || { echo "firmware-fit: FAIL: $data B of .data" >&2; fail=1; }
[ -n "$chain" ] && [ "$chain" -le "$STACK_LIMIT" ] ||
    { echo "firmware-fit: FAIL: stack ${chain:-?} > $STACK_LIMIT" >&2; fail=1; }
[ "$fail" -eq 0 ] && echo "firmware-fit: ok"
exit "$fail"
