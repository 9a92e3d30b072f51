#!/bin/sh
# build-guest.sh DIR [PASSWORD] - a small real Linux guest for the
# console tests: DIR/vmlinuz, Debian's cloud kernel
# (linux-image-cloud-amd64: 8250 serial console, devtmpfs and magic SysRq
# built in), and DIR/initrd.gz, a busybox initramfs built here from
# busybox-static with the kernel's virtio-net modules (and what they need),
# so a domain's <interface> with model virtio is the guest's eth0.  Its
# /init mounts /proc and /dev, loads the modules, sets eth0 up when there
# is one, prints "guest: up", and runs a shell on the console (prompt
# "guest# ").  With PASSWORD, the console asks for a login instead
# (busybox login, "guest login: "; user root, that password, hashed in
# /etc/passwd) and the shell starts after it.  Boot it with "console=ttyS0
# panic=0": it reaches the shell in a few seconds under TCG, and
# `echo c > /proc/sysrq-trigger` ends in "Kernel panic - not syncing:
# sysrq triggered crash".
# Prints the kernel's path on success; exit 1 with a message when the
# packages are missing (scripts/install-deps.sh installs them).
set -eu
dir=${1:?usage: build-guest.sh DIR [PASSWORD]}
password=${2:-}
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -r "$kernel" ] ||
    { echo "build-guest: no /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)" >&2; exit 1; }
bb=/bin/busybox
[ -x "$bb" ] ||
    { echo "build-guest: no $bb (busybox-static)" >&2; exit 1; }
mkdir -p "$dir"
root=$dir/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
    "$root/etc" "$root/lib/modules"
cp "$bb" "$root/bin/busybox"
# The NIC's modules, in the order modprobe would load them (kmod comes
# with the kernel package); /init insmods them by that list.
kver=${kernel#/boot/vmlinuz-}
modprobe -S "$kver" --show-depends -a virtio_pci virtio_net 2>/dev/null |
    awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$root/modules.list"
[ -s "$root/modules.list" ] ||
    { echo "build-guest: no virtio_net module for $kver (modprobe)" >&2; exit 1; }
while read -r m; do
    cp "$m" "$root/lib/modules/"
    basename "$m" >> "$root/lib/modules/order"
done < "$root/modules.list"
rm "$root/modules.list"
echo guest > "$root/etc/hostname"
if [ -n "$password" ]; then
    hash=$("$bb" mkpasswd -m sha512 "$password")
    echo "root:$hash:0:0:root:/:/bin/sh" > "$root/etc/passwd"
    echo "root:x:0:" > "$root/etc/group"
    echo login > "$root/etc/console-login"
fi
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
while read -r m; do insmod "/lib/modules/$m"; done < /lib/modules/order
hostname -F /etc/hostname
ip link set eth0 up 2>/dev/null
echo "guest: up"
export PS1='guest# ' HOME=/ PATH=/bin
if [ -f /etc/console-login ]; then
    while :; do setsid cttyhack login; done
fi
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
