#!/bin/sh
# test_package.sh - the Debian packages build, install and run (run by
# `make package-test`, part of `make test`):
#   1. dist/package.sh (dpkg-buildpackage -b -us -uc on a copy of the
#      tree) makes pstate-tools, libpstate0 and libpstate-dev, timed;
#   2. their contents and relations: the libraries with their sonames in
#      libpstate0, headers and pkg-config files in libpstate-dev (which
#      depends on exactly this libpstate0), the tools in pstate-tools;
#   3. unpacked together (dpkg-deb -x): the packaged psctl runs, and a
#      program built with the packaged pkg-config files links with the
#      packaged shared libraries and runs;
#   4. as root, with none of them installed already: dpkg -i of the three,
#      psctl --version and the client from /usr, then dpkg --purge leaves
#      none of their files.
#   tests/install/test_package.sh OUTDIR
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: test_package.sh OUTDIR}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
failed=0 passed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# ---------------------------------------------------------------- 1
t0=$(date +%s)
if "$ROOT/dist/package.sh" "$OUT" > "$W/pkg.out" 2>&1; then
    pass "dpkg-buildpackage -b: $(( $(date +%s) - t0 )) s"
else
    cat "$W/pkg.out"; fail "package build"
    echo "package-test: $passed passed, $failed failed"; exit 1
fi
ver=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() { echo "$OUT/${1}_${ver}_${arch}.deb"; }
for p in pstate-tools libpstate0 libpstate-dev; do
    [ -f "$(deb $p)" ] && pass "built $(basename "$(deb $p)")" || fail "no $p package"
done

# ---------------------------------------------------------------- 2
has() { # PACKAGE PATH...
    p=$1; shift
    dpkg-deb -c "$(deb "$p")" | awk '{print $6}' | sed 's|^\./|/|' > "$W/list.$p"
    for f; do grep -qx "$f" "$W/list.$p" || { fail "$p lacks $f"; return 1; }; done
    pass "$p holds $*"
}
has libpstate0 /usr/lib/$ma/libpstate.so.0.1 /usr/lib/$ma/libpsf.so.0.1 \
    /usr/lib/$ma/libpsf-tree.so.0.1 /usr/lib/$ma/libbmcshim.so.0.1
has libpstate-dev /usr/include/pstate/pstate.h /usr/lib/$ma/pkgconfig/pstate.pc \
    /usr/lib/$ma/libpstate.a
has pstate-tools /usr/bin/psctl /usr/bin/psftool /usr/bin/pstate-bmc-sim \
    /usr/sbin/hvagent /usr/lib/pstate/bmc_sim.so /usr/share/man/man1/psftool.1.gz
dpkg-deb -f "$(deb libpstate-dev)" Depends | grep -q "libpstate0 (= $ver)" &&
    pass "libpstate-dev depends on libpstate0 (= $ver)" || fail "libpstate-dev Depends"
dpkg-deb -f "$(deb pstate-tools)" Depends | grep -q 'libc6' &&
    pass "pstate-tools: shlibs dependencies" || fail "pstate-tools Depends"

# ---------------------------------------------------------------- 3
X=$W/root
for p in pstate-tools libpstate0 libpstate-dev; do dpkg-deb -x "$(deb $p)" "$X"; done
"$X/usr/bin/psctl" --version | grep -q "^psctl $ver " &&
    pass "unpacked psctl --version" || fail "unpacked psctl"
grep -q '^PSTATE_PKGLIBDIR=/usr/lib/pstate$' "$X/usr/bin/pstate-bmc-sim" &&
    pass "pstate-bmc-sim finds /usr/lib/pstate/bmc_sim.so" || fail "pstate-bmc-sim module dir"
img=$W/store.img
export PSTATE_LOCK_DIR=$W/locks
"$X/usr/bin/psctl" -q -i "$img" init >/dev/null 2>&1 &&
    "$X/usr/bin/psctl" -q -i "$img" vm create db --memory 1GiB >/dev/null 2>&1 ||
    fail "unpacked psctl: making a store"
flags=$(PKG_CONFIG_SYSROOT_DIR=$X PKG_CONFIG_PATH=$X/usr/lib/$ma/pkgconfig \
    pkg-config --cflags --libs pstate)
cc -std=c11 -Wall -Wextra -Werror -o "$W/client" \
    "$ROOT/tests/install/pstate_client.c" $flags 2>"$W/cc.err" ||
    fail "client against the package: $(cat "$W/cc.err")"
out=$(LD_LIBRARY_PATH=$X/usr/lib/$ma "$W/client" "$img" db 2>&1)
[ "$out" = "db memory-kib 1048576 generation 2" ] &&
    pass "client on the packaged libraries: $out" || fail "client: $out"

# ---------------------------------------------------------------- 4
if [ "$(id -u)" -ne 0 ]; then
    fail "not root: dpkg -i not tried"
elif dpkg-query -W -f='${Status}' pstate-tools libpstate0 libpstate-dev 2>/dev/null |
    grep -q installed; then
    fail "pstate packages already installed on this machine: dpkg -i not tried"
else
    if dpkg -i "$(deb libpstate0)" "$(deb libpstate-dev)" "$(deb pstate-tools)" \
        > "$W/dpkg.out" 2>&1
    then pass "dpkg -i of the three packages"
    else fail "dpkg -i: $(tail -5 "$W/dpkg.out")"; fi
    /usr/bin/psctl --version | grep -q "^psctl $ver " &&
        pass "installed /usr/bin/psctl --version" || fail "installed psctl"
    cc -o "$W/client2" "$ROOT/tests/install/pstate_client.c" \
        $(pkg-config --cflags --libs pstate) 2>"$W/cc.err" &&
        [ "$("$W/client2" "$img" db)" = "db memory-kib 1048576 generation 2" ] &&
        pass "client built and run against the installed packages" ||
        fail "client against /usr: $(cat "$W/cc.err")"
    ! systemctl is-enabled hvagent.service >/dev/null 2>&1 &&
        pass "hvagent.service installed, not enabled" || fail "hvagent.service enabled"
    dpkg --purge pstate-tools libpstate-dev libpstate0 > "$W/purge.out" 2>&1 ||
        fail "dpkg --purge: $(tail -5 "$W/purge.out")"
    left=""
    for p in pstate-tools libpstate0 libpstate-dev; do
        while read -r f; do
            [ -e "$f" ] && [ ! -d "$f" ] && left="$left $f"
        done < "$W/list.$p"
    done
    [ -z "$left" ] && pass "dpkg --purge left none of their files" ||
        fail "left after purge:$left"
fi
[ -z "$(ls -A "$PSTATE_LOCK_DIR" 2>/dev/null)" ] && pass "no lock file left behind" ||
    fail "lock files left: $(ls "$PSTATE_LOCK_DIR")"

echo "package-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
