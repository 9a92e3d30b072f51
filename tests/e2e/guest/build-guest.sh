#!/bin/sh
# build-guest.sh DIR - a small real Linux guest for the console tests:
# DIR/vmlinuz, Debian's cloud kernel (linux-image-cloud-amd64: 8250
# serial console, devtmpfs and magic SysRq built in), and DIR/initrd.gz,
# a busybox initramfs built here from busybox-static.  Its /init mounts
# /proc and /dev, prints "guest: up", and runs a shell on the console
# (prompt "guest# ").  Boot it with "console=ttyS0 panic=0": it reaches the
# shell in a few seconds under TCG, and `echo c > /proc/sysrq-trigger`
# ends in "Kernel panic - not syncing: sysrq triggered crash".
# Prints the kernel's path on success; exit 1 with a message when the
# packages are missing (scripts/install-deps.sh installs them).
set -eu
dir=${1:?usage: build-guest.sh DIR}
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -r "$kernel" ] ||
    { echo "build-guest: no /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)" >&2; exit 1; }
bb=/bin/busybox
[ -x "$bb" ] ||
    { echo "build-guest: no $bb (busybox-static)" >&2; exit 1; }
mkdir -p "$dir"
root=$dir/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp "$bb" "$root/bin/busybox"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "guest: up"
export PS1='guest# ' HOME=/ PATH=/bin
while :; do setsid cttyhack sh; done
INIT
chmod 755 "$root/init"
# The migration tests' guest (boot with "rdinit=/counter" instead): a
# counter line every 10 ms, and each input line echoed back numbered
# ("got K LINE", K from 0), no terminal echo.  (A background list reads
# /dev/null unless told otherwise.)
cat > "$root/counter" <<'COUNTER'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev 2>/dev/null
echo "guest: up"
stty -echo
(k=0; while read -r l; do echo "got $k $l"; k=$((k + 1)); done) < /dev/console &
n=0
while :; do echo "counter $n"; n=$((n + 1)); usleep 10000; done
COUNTER
chmod 755 "$root/counter"
(cd "$root" && find . | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 > "$dir/initrd.gz"
cp "$kernel" "$dir/vmlinuz"
rm -rf "$root"
echo "$dir/vmlinuz"
