# psctl console exec on a real guest whose network is down (issue 16, the
# out-of-band path): Debian's cloud kernel with the busybox initramfs
# (guest/build-guest.sh, a console login as root) under QEMU TCG through
# the test's own libvirtd, a virtio NIC on user networking and ttyS0 on
# pscon's port for its store mapping.  With the NIC's link set down
# (virsh domif-setlink), `psctl console exec` logs in with the root-only
# credentials file and runs `ip link` on the serial shell: its output (no
# carrier) and status come back; a command printing a fake end marker does
# not fool it; a failing command gives its status; a wrong password is a
# refused login; privacy held by another session refuses it.
# Environment: PSCON (make e2e).
echo "console exec: a real guest with its NIC link down"
. "$E2E_DIR/console_guest_lib.sh"

IMG=$WORK/store.img
GUEST=$WORK/guest
GPASS=gu3st-$$-pw
MAC=52:54:00:16:00:01
PIDS=
cleanup() {
    lv_kill_guests web01
    for p in $PIDS; do stop_pid "$p"; done
    stop_pid "$LVPID"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP
L() { "$PSCTL" -q -i "$IMG" "$@"; }
vsh() { virsh -c "$U" "$@"; }
X() { "$PSCTL" console exec web01 --socket "$PSOCK" --credentials "$WORK/cred" "$@"; }

guest_build "$GUEST" "$GPASS" || { return 0 2>/dev/null || exit 0; }
guest_start_libvirtd "$GUEST"
L init > /dev/null && L vm create web01 > /dev/null &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con > /dev/null ||
    fail "store: web01 and its port"
chmod 644 "$IMG"
pscon_as_nobody "$WORK/pscon.log" "$IMG"
PIDS="$PIDS $PSCON_PID"

# The domain: ttyS0 connects to pscon's port (reconnecting), one virtio
# NIC on user networking.
cat > "$WORK/dom.xml" <<EOF
<domain type='qemu'><name>web01</name><memory unit='MiB'>128</memory>
<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices>
<serial type='unix'><source mode='connect' path='$PRUN/port-7001'>
<reconnect enabled='yes' timeout='1'/></source><target port='0'/></serial>
<interface type='user'><mac address='$MAC'/><model type='virtio'/></interface>
</devices></domain>
EOF
guest_kernel_xml "$WORK/dom.xml" "$WORK/dom2.xml" "$GUEST"
vsh define "$WORK/dom2.xml" > "$WORK/out" 2>&1 && vsh start web01 > "$WORK/out" 2>&1 &&
    pass "web01 defined and started (a virtio NIC, ttyS0 on port 7001)" ||
    fail "virsh: $(cat "$WORK/out")"
T0=$(date +%s)
check "pscon: the guest connected" "$WORK/pscon.log" "guest connected"
check "the guest asks for a login on its console" "$WORK/plog/web01-con.log" \
    "guest login:" 60

printf '# target user password\nweb01 root %s\n' "$GPASS" > "$WORK/cred"
chmod 600 "$WORK/cred"

# Wrong password first (the guest refuses it after its delay).
printf 'web01 root wrong\n' > "$WORK/cred-bad"; chmod 600 "$WORK/cred-bad"
"$PSCTL" console exec web01 --socket "$PSOCK" --credentials "$WORK/cred-bad" \
    -- true > "$WORK/o0" 2>&1; rc=$?
[ $rc -eq 4 ] && grep -q "refused the login" "$WORK/o0" &&
    pass "exec: a wrong password is a refused login (4)" ||
    fail "exec: wrong password: rc=$rc $(cat "$WORK/o0")"

# The link up: eth0 has a carrier.
X -- ip link show eth0 > "$WORK/o1" 2> "$WORK/e1"; rc=$?
[ $rc -eq 0 ] && grep -q '^2: eth0: <.*LOWER_UP' "$WORK/o1" &&
    pass "exec: logs in, runs 'ip link show eth0': the link is up (status 0)" ||
    fail "exec: rc=$rc out=$(cat "$WORK/o1") err=$(cat "$WORK/e1")"

# The link down: the console is the way in.
vsh domif-setlink web01 "$MAC" down > "$WORK/out" 2>&1 &&
    vsh domif-getlink web01 "$MAC" 2>&1 | grep -q "down" &&
    pass "virsh domif-setlink web01 $MAC down" || fail "setlink: $(cat "$WORK/out")"
X -- ip link > "$WORK/o2" 2> "$WORK/e2"; rc=$?
[ $rc -eq 0 ] && grep -q '^2: eth0: <NO-CARRIER,' "$WORK/o2" &&
    ! grep -q LOWER_UP "$WORK/o2" && grep -q '^1: lo:' "$WORK/o2" &&
    pass "exec: 'ip link' with the link down: no carrier on eth0 (status 0)" ||
    fail "exec: ip link: rc=$rc out=$(cat "$WORK/o2") err=$(cat "$WORK/e2")"
[ "$(head -n 1 "$WORK/o2" | cut -c1-6)" = "1: lo:" ] &&
    [ "$(grep -c . "$WORK/o2")" -eq 4 ] &&
    pass "exec: exactly the command's output (4 lines, no echo, no prompt)" ||
    fail "exec: output framing: $(cat -A "$WORK/o2")"

# A fake marker and a status of its own: the real status and all the
# output come back.
exec_fake_marker X false 1
X -- '(exit 42)' > "$WORK/o4" 2>&1; rc=$?
[ $rc -eq 42 ] && [ ! -s "$WORK/o4" ] &&
    pass "exec: a command failing with 42 gives 42" ||
    fail "exec: status: rc=$rc out=$(cat "$WORK/o4")"

# Privacy held by another session: refused, nothing typed.
privacy_hold "$PSOCK" web01 && pass "another session takes privacy" ||
    fail "privacy: $(cat "$WORK/priv.err")"
n=$(grep -c 'PSB""EGIN' "$WORK/plog/web01-con.log")
expect_exit 4 "exec: refused in privacy mode held by someone else" -- \
    X -- ip link
expect_err "exec: says private" "refused (private)"
[ "$(grep -c 'PSB""EGIN' "$WORK/plog/web01-con.log")" = "$n" ] &&
    pass "exec: nothing typed while refused" || fail "exec: typed under privacy"
printf '\005c.' >&8; exec 8>&-
echo "  (guest part: $(( $(date +%s) - T0 )) s)"

cleanup; trap - EXIT INT TERM HUP
! pgrep -f "$WORK/" > /dev/null && pass "nothing left running from \$WORK" ||
    fail "left running: $(pgrep -af "$WORK/")"
