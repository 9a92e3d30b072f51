#!/bin/sh
# install.sh - `make install` and `make uninstall` from one list, so that
# uninstall removes exactly what install put.
#
#   dist/install.sh install|uninstall DESTDIR < LIST
#
# LIST has one entry a line, MODE|SOURCE|TARGET: MODE is an octal file
# mode (SOURCE is copied to DESTDIR/TARGET) or `l` (DESTDIR/TARGET is made
# a symbolic link to SOURCE, a name relative to the link's directory).
# TARGET is absolute (PREFIX included).  Uninstall removes each target,
# then each directory it leaves empty, up to DESTDIR itself (kept) or, with
# no DESTDIR, up to the directories below that belong to the project only
# (a system /usr/local/bin stays, even empty).
set -eu

[ $# -eq 2 ] || { echo "usage: install.sh install|uninstall DESTDIR" >&2; exit 2; }
cmd=$1 dest=${2%/}

# Directories removed when empty without a DESTDIR: the project's own.
own_dir() {
    case $1 in
    */include/pstate|*/lib/pstate|*/share/doc/pstate|*/etc/pstate) return 0 ;;
    esac
    return 1
}

prune() {
    d=$(dirname "$1")
    while [ "$d" != / ] && [ "$d" != "$dest" ] && [ "$d" != . ]; do
        if [ -z "$dest" ] && ! own_dir "$d"; then
            return 0
        fi
        rmdir "$d" 2>/dev/null || return 0
        d=$(dirname "$d")
    done
}

while IFS='|' read -r mode src target; do
    [ -n "$mode" ] || continue
    t=$dest$target
    case $cmd in
    install)
        mkdir -p "$(dirname "$t")"
        if [ "$mode" = l ]; then
            ln -sfn "$src" "$t"
        else
            install -m "$mode" "$src" "$t"
        fi
        echo "  installed $t"
        ;;
    uninstall)
        if [ -e "$t" ] || [ -L "$t" ]; then
            rm -f "$t"
            echo "  removed $t"
        fi
        prune "$t"
        ;;
    *)
        echo "install.sh: unknown command $cmd" >&2
        exit 2
        ;;
    esac
done
