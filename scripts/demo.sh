#!/bin/sh
# The main job on the embedded default: build the default store image from
# its text source, validate it, show it, prove the text form is lossless and
# that damage is caught.  Usage: scripts/demo.sh PSFTOOL IMAGE
set -eu
PSFTOOL=${1:?psftool path}
IMAGE=${2:?image path}
SOURCE=$(dirname "$0")/../docs/examples/default-store.txt
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "compile $SOURCE -> $IMAGE (with 4 KiB of room for growth)"
"$PSFTOOL" compile "$SOURCE" -o "$IMAGE" --room 4096
ls -l "$IMAGE"

step "psftool check $IMAGE"
"$PSFTOOL" check "$IMAGE"

step "psftool info $IMAGE"
"$PSFTOOL" info "$IMAGE"

step "psftool dump $IMAGE"
"$PSFTOOL" dump "$IMAGE" -o "$WORK/dump.txt"
cat "$WORK/dump.txt"

step "lossless: dump -> compile reproduces the image byte for byte"
"$PSFTOOL" compile "$WORK/dump.txt" -o "$WORK/again.img"
cmp "$IMAGE" "$WORK/again.img"
echo "identical ($(wc -c < "$IMAGE") bytes)"

step "damage is caught: one flipped bit in a copy"
cp "$IMAGE" "$WORK/damaged.img"
printf '\001' | dd of="$WORK/damaged.img" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$PSFTOOL" check "$WORK/damaged.img"; then
    echo "demo: damaged copy was accepted" >&2
    exit 1
fi
echo "rejected, as it must be; $IMAGE is untouched"
"$PSFTOOL" check "$IMAGE"
