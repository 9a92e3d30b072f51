# console_guest_lib.sh - shared by the tests that run a real guest on the
# concentrator (test_console_guest.sh, test_console_exec_guest.sh): the
# test's own libvirtd (libvirtd_session.sh), the guest built by
# guest/build-guest.sh, pscon as the guests' uid, and waiting for text.
# Sets PRUN (pscon's run dir: the endpoints port-N) and PSOCK (its client
# socket); the sourcing test owns the EXIT trap.  Not named test_*.
# Environment: PSCON (make e2e).
: "${PSCON:?set PSCON}"
. "$E2E_DIR/libvirtd_session.sh"

PRUN=$WORK/prun
PSOCK=$WORK/psock/c.sock

# check NAME FILE TEXT [SECONDS]: FILE shows TEXT in time (20 s).
has() { grep -qF -- "$2" "$1" 2>/dev/null; }
check() {
    if wait_for "${4:-20}" has "$2" "$3"; then pass "$1"
    else fail "$1: $2 lacks '$3': $(tail -c 300 "$2" 2>/dev/null)"; fi
}

# guest_build DIR [PASSWORD]: the kernel and initramfs (a console login
# with PASSWORD); 1 (failed) when they cannot be made.
guest_build() {
    if "$E2E_DIR/guest/build-guest.sh" "$@" > "$WORK/out" 2>&1; then
        pass "guest: kernel $(cat "$WORK/out") and a busybox initramfs"
    else
        fail "guest: $(cat "$WORK/out")"; return 1
    fi
}

# guest_start_libvirtd GUEST_DIR: pscon's directories, then libvirtd with
# the guest's files, the run dir and the logs given to its uid.
guest_start_libvirtd() {
    mkdir -p "$WORK/log" "$WORK/run" "$WORK/psock" "$WORK/plog"
    mkdir -m 700 "$PRUN"
    lv_start "$1" "$WORK/log" "$PRUN" "$WORK/psock" "$WORK/plog"
}

# pscon_as_nobody LOG STORE [OPTION...]: pscon as nobody (QEMU, run by
# libvirtd as nobody, connects to its port sockets) on STORE, logs in
# $WORK/plog; its pid in PSCON_PID, once its socket is there.
pscon_as_nobody() {
    pl=$1 ps=$2; shift 2
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$PSCON" \
        --run-dir "$PRUN" --socket "$PSOCK" --log-dir "$WORK/plog" \
        --store "$ps" "$@" 2> "$pl" &
    PSCON_PID=$!
    wait_for 10 test -S "$PSOCK" && pass "pscon serving $PSOCK (as nobody)" ||
        fail "pscon: $(cat "$pl")"
}

# guest_kernel_xml IN OUT GUEST_DIR: the domain IN booting the guest's
# kernel and initramfs on ttyS0.
guest_kernel_xml() {
    sed "s|</type>|</type><kernel>$3/vmlinuz</kernel><initrd>$3/initrd.gz</initrd><cmdline>console=ttyS0 panic=0</cmdline>|" \
        "$1" > "$2"
}
