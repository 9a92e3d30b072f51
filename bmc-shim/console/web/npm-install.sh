#!/bin/sh
# npm-install.sh BUILD_WEB - the console page's npm packages (xterm.js,
# and playwright-core for the browser test) installed from this folder's
# package-lock.json with `npm ci` into BUILD_WEB/node_modules, then the
# page's files gathered in BUILD_WEB/root (what pscon --web-root serves
# from the build tree; `make install` puts the same files).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
cp "$here/package.json" "$here/package-lock.json" "$out/"
if ! cmp -s "$here/package-lock.json" "$out/node_modules/.package-lock.json.ci" 2>/dev/null; then
    (cd "$out" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/package-lock.json" "$out/node_modules/.package-lock.json.ci"
fi
rm -rf "$out/root"
mkdir -p "$out/root/xterm"
cp "$here/index.html" "$here/app.js" "$here/style.css" "$out/root/"
cp "$out/node_modules/@xterm/xterm/lib/xterm.js" \
   "$out/node_modules/@xterm/xterm/css/xterm.css" "$out/root/xterm/"
