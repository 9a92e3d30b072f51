#!/bin/sh
# test_install.sh - `make install` and `make uninstall` as a user of the
# libraries sees them (run by `make install-test`, part of `make test`):
#   1. make install DESTDIR=W/stage PREFIX=/usr: every kind of file lands
#      (shared libraries with soname and versioned symbols, static ones,
#      headers under include/pstate, pkg-config files, psftool(1), the
#      simulator and its module);
#   2. a program outside the tree (pstate_client.c) compiled with
#      `pkg-config --cflags --libs pstate` against the staged files,
#      linked with the shared libraries, runs (LD_LIBRARY_PATH) on a store
#      made by the installed psctl, and leaves no lock file behind;
#   3. make uninstall DESTDIR=W/stage leaves nothing;
#   4. make install PREFIX=W/prefix (no DESTDIR): the installed
#      pstate-bmc-sim starts with its installed module, nothing else set;
#      make uninstall PREFIX=W/prefix leaves no file.
# Exit 0 when every check passed; prints PASS/FAIL lines.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
SIM=$W/sim
trap '[ -x "$W/prefix/bin/pstate-bmc-sim" ] && "$W/prefix/bin/pstate-bmc-sim" stop "$SIM" >/dev/null 2>&1; rm -rf "$W"' EXIT INT TERM
failed=0 passed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
mk() { make -s --no-print-directory -C "$ROOT" "$@" >"$W/make.out" 2>&1 ||
    { cat "$W/make.out"; return 1; }; }

D=$W/stage
MA=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# ---------------------------------------------------------------- 1
if mk install DESTDIR="$D" PREFIX=/usr; then pass "make install DESTDIR PREFIX=/usr"
else fail "make install DESTDIR"; exit 1; fi
U=$D/usr
for f in lib/libpstate.so.0.1 lib/libpsf.so.0.1 lib/libpsf-tree.so.0.1 \
    lib/libbmcshim.so.0.1 lib/libpstate.a include/pstate/pstate.h \
    include/pstate/psf.h include/pstate/bmc_shim.h \
    lib/pkgconfig/pstate.pc lib/pkgconfig/pstate-psf.pc \
    lib/pkgconfig/pstate-psf-tree.pc lib/pkgconfig/pstate-bmcshim.pc \
    share/man/man1/psftool.1 share/man/man1/psctl.1 bin/psctl \
    bin/psftool bin/pstate-bmc-sim lib/pstate/bmc_sim.so sbin/hvagent; do
    [ -f "$U/$f" ] || fail "installed: $f missing"
done
[ "$(readlink "$U/lib/libpstate.so")" = libpstate.so.0 ] &&
    [ "$(readlink "$U/lib/libpstate.so.0")" = libpstate.so.0.1 ] &&
    pass "libpstate.so -> .so.0 -> .so.0.1" || fail "library links"
readelf -d "$U/lib/libpstate.so.0.1" | grep -q 'SONAME.*\[libpstate.so.0\]' &&
    pass "soname libpstate.so.0" || fail "soname"
# Public names versioned, the library's own helpers (ps__*) hidden.
nm -D --defined-only "$U/lib/libpstate.so.0.1" > "$W/syms"
grep -q ' ps_open_path@@LIBPSTATE_0$' "$W/syms" &&
    ! grep -q ' ps__' "$W/syms" && pass "libpstate symbols: LIBPSTATE_0, no ps__" ||
    fail "libpstate symbol versions"
nm -D --defined-only "$U/lib/libpsf.so.0.1" | grep -q ' psf_check_full@@LIBPSF_0$' &&
    pass "libpsf symbols: LIBPSF_0" || fail "libpsf symbol versions"
grep -q "^PSTATE_PKGLIBDIR=/usr/lib/pstate$" "$U/bin/pstate-bmc-sim" &&
    pass "pstate-bmc-sim names /usr/lib/pstate" || fail "pstate-bmc-sim module dir"
man -l "$U/share/man/man1/psftool.1" 2>&1 | grep -q 'psftool compile TEXT -o OUT' &&
    pass "psftool(1) renders" || fail "psftool(1)"

# ---------------------------------------------------------------- 2
export PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$U/lib/pkgconfig
flags=$(pkg-config --cflags --libs pstate) || fail "pkg-config pstate"
case $flags in *"-I$U/include/pstate"*"-L$U/lib"*-lpstate*-lpsf*) pass "pkg-config: $flags" ;;
    *) fail "pkg-config flags: $flags" ;; esac
if cc -std=c11 -Wall -Wextra -Werror -o "$W/client" \
    "$ROOT/tests/install/pstate_client.c" $flags 2>"$W/cc.err"
then pass "client compiled against the installed files"
else fail "client compile: $(cat "$W/cc.err")"; fi
readelf -d "$W/client" 2>/dev/null | grep -q 'NEEDED.*libpstate.so.0' &&
    pass "client linked with libpstate.so.0" || fail "client not linked shared"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
LOCKS=$W/locks
mkdir -p "$LOCKS"
img=$W/store.img
PSTATE_LOCK_DIR=$LOCKS "$U/bin/psctl" -q -i "$img" init >/dev/null 2>&1 &&
    PSTATE_LOCK_DIR=$LOCKS "$U/bin/psctl" -q -i "$img" vm create web01 \
        --memory 3GiB >/dev/null 2>&1 || fail "installed psctl: making a store"
out=$(LD_LIBRARY_PATH=$U/lib "$W/client" "$img" web01 2>&1)
[ "$out" = "web01 memory-kib 3145728 generation 2" ] &&
    pass "client runs on the shared libraries: $out" || fail "client: $out"
LD_LIBRARY_PATH=$U/lib ldd "$W/client" | grep -q "libpstate.so.0 => $U/lib/" &&
    pass "client resolves libpstate from the staged tree" || fail "ldd client"
"$U/bin/psctl" --version | grep -q '^psctl ' && pass "installed psctl --version" ||
    fail "psctl --version"

# ---------------------------------------------------------------- 3
if mk uninstall DESTDIR="$D" PREFIX=/usr; then pass "make uninstall DESTDIR"
else fail "make uninstall DESTDIR"; fi
left=$(cd "$D" 2>/dev/null && find . -mindepth 1 | head -5)
[ -z "$left" ] && pass "uninstall left nothing in DESTDIR" || fail "left behind: $left"

# ---------------------------------------------------------------- 4
P=$W/prefix
mk install PREFIX="$P" SYSCONFDIR="$P/etc" || fail "make install PREFIX"
mkdir -p "$SIM"
PSTATE_LOCK_DIR=$LOCKS "$P/bin/psctl" -q -i "$SIM/store.img" init >/dev/null 2>&1
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
if env -u BMC_SIM_MODULE PATH="$P/bin:$PATH" pstate-bmc-sim start "$SIM" "$PORT" \
    >"$W/sim.out" 2>&1 && grep -q "$P/lib/pstate/bmc_sim.so" "$SIM/lan.conf"
then pass "installed pstate-bmc-sim runs its installed module"
else fail "pstate-bmc-sim: $(cat "$W/sim.out")"; fi
"$P/bin/pstate-bmc-sim" stop "$SIM" >/dev/null 2>&1
mk uninstall PREFIX="$P" SYSCONFDIR="$P/etc" || fail "make uninstall PREFIX"
left=$(find "$P" ! -type d | head -5)
[ -z "$left" ] && pass "uninstall PREFIX left no file" || fail "left behind: $left"

# No lock file per image left behind by any of the above.
left=$(find "$LOCKS" -mindepth 1 | head -3)
[ -z "$left" ] && pass "no lock file left behind" || fail "lock files left: $left"

echo "install-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
