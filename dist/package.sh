#!/bin/sh
# package.sh - the Debian packages from the tree (`make package`):
# dpkg-buildpackage -b -us -uc on a copy of the tracked (and new, not
# ignored) files, so the tree's build/ and its parent are left alone.
#
#   dist/package.sh OUTDIR     leaves OUTDIR/*.deb (and the .buildinfo,
#                              .changes, build.log); exit 0 or 1
set -eu
[ $# -eq 1 ] || { echo "usage: package.sh OUTDIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
ver=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
src=$OUT/src/pstate-$ver
rm -rf "$OUT/src" "$OUT"/*.deb "$OUT"/*.buildinfo "$OUT"/*.changes
mkdir -p "$src"
cd "$ROOT"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -z | xargs -0 tar cf - | tar xf - -C "$src"
else
    tar cf - --exclude=./build . | tar xf - -C "$src"
fi
cd "$src"
start=$(date +%s)
if dpkg-buildpackage -b -us -uc -j"$(nproc)" > "$OUT/build.log" 2>&1; then
    echo "package: built in $(( $(date +%s) - start )) s:"
else
    tail -30 "$OUT/build.log" >&2
    echo "package: dpkg-buildpackage failed (all of it: $OUT/build.log)" >&2
    exit 1
fi
mv "$OUT"/src/*.deb "$OUT"/src/*.buildinfo "$OUT"/src/*.changes "$OUT"/
rm -rf "$OUT/src"
ls "$OUT"/*.deb
