# A libvirt daemon of the test's own, sourced by the hvagent tests that
# need one shared between processes (qemu:///embed is private to each).
# libvirtd runs in session (unprivileged) mode -- as root, under the uid of
# `nobody` -- with HOME, XDG_* directories, socket, pid file and log under
# $LV ($WORK/libvirtd): nothing is written under /etc, /var or /run, no TCP
# port is opened.  Guests' output goes to files (qemu.conf stdio_handler),
# so no virtlogd is spawned to outlive it.  The store's writers' lock file
# goes under $WORK too (flock mode).  The sourcing test owns the EXIT trap
# and calls stop_pid "$LVPID" from it.
#
# Sets LV, SOCK, U (the URI for hvagent and virsh), LVPID (a second
# daemon: set LV, SOCK, U and LV_HOST_UUID again, then lv_start); defines
# wait_for, stop_pid, lv_kill_guests, lv_start, lv_stop, lv_hv_conf.  Not named
# test_*: run.sh runs it only through the tests that source it.

PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR

LV=$WORK/libvirtd
SOCK=$LV/sock/libvirt-sock
U="qemu+unix:///session?socket=$SOCK"
LVPID=

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; the
# status of the last try.
wait_for() {
    wf_n=$(($1 * 10)); shift
    while ! "$@" >/dev/null 2>&1; do
        wf_n=$((wf_n - 1))
        [ $wf_n -gt 0 ] || return 1
        sleep 0.1
    done
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1" 2>/dev/null
    wait_for 5 sh -c "! kill -0 $1" || kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# lv_kill_guests DOMAIN...: destroy the domains, then kill any qemu named
# in the driver's pid files (libvirtd would leave guests running).  For
# the sourcing test's EXIT trap, before stop_pid "$LVPID".
lv_kill_guests() {
    if [ -n "$LVPID" ] && kill -0 "$LVPID" 2>/dev/null; then
        for d in "$@"; do virsh -c "$U" destroy "$d" > /dev/null 2>&1; done
    fi
    for f in "$LV"/run/libvirt/qemu/run/*.pid; do
        [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
}

# lv_start [PATH...]: start libvirtd and wait until it answers; the PATHs
# (guest disks) are given to its uid as well.
lv_start() {
    mkdir -p "$LV/home" "$LV/config/libvirt" "$LV/cache" "$LV/data" \
        "$LV/run" "$LV/sock"
    chmod 700 "$LV/run"
    cat > "$LV/libvirtd.conf" <<EOC
unix_sock_dir = "$LV/sock"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$LV/libvirtd.log"
EOC
    # Two daemons on one machine migrate between them only with host
    # UUIDs of their own (test_console_migrate_guest.sh sets LV_HOST_UUID).
    [ -z "${LV_HOST_UUID:-}" ] || echo "host_uuid = \"$LV_HOST_UUID\"" >> "$LV/libvirtd.conf"
    echo 'stdio_handler = "file"' > "$LV/config/libvirt/qemu.conf"
    lv_as=
    if [ "$(id -u)" -eq 0 ]; then
        # Session mode needs a non-root uid; root still reaches the socket.
        lv_as="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
        chmod 711 "$WORK"
        chown -R nobody "$LV" "$@"
    fi
    $lv_as env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$LV/home" \
        XDG_CONFIG_HOME="$LV/config" XDG_CACHE_HOME="$LV/cache" \
        XDG_DATA_HOME="$LV/data" XDG_RUNTIME_DIR="$LV/run" \
        /usr/sbin/libvirtd --config "$LV/libvirtd.conf" \
        --pid-file "$LV/libvirtd.pid" > "$LV/stderr" 2>&1 &
    LVPID=$!
    if wait_for 20 virsh -c "$U" uri; then
        pass "libvirtd (session mode, pid $LVPID) answers on $SOCK"
    else
        fail "libvirtd did not come up: $(tail -c 400 "$LV/stderr") $(tail -c 400 "$LV/libvirtd.log" 2>/dev/null)"
    fi
    ! ss -ltnp 2>/dev/null | grep -q "pid=$LVPID," && pass "libvirtd listens on no TCP port" \
        || fail "libvirtd opened a TCP port: $(ss -ltnp | grep "pid=$LVPID,")"
}

# lv_stop: stop libvirtd; no process is left from $WORK, no virtlogd was
# spawned, the store's lock file is under $WORK.
lv_stop() {
    stop_pid "$LVPID"
    ! kill -0 "$LVPID" 2>/dev/null && ! pgrep -f "$WORK/" > /dev/null \
        && pass "libvirtd stopped; no process left from \$WORK" || fail "left running: $(pgrep -af "$WORK/")"
    LVPID=
    [ ! -e "$LV/run/libvirt/virtlogd.pid" ] && pass "no virtlogd was spawned" \
        || fail "virtlogd spawned: pid $(cat "$LV/run/libvirt/virtlogd.pid")"
    ! ls "$WORK"/pstate-*.lock > /dev/null 2>&1 && pass "no lock file left behind under \$WORK" \
        || fail "lock files left under \$WORK: $(ls "$WORK"/pstate-*.lock)"
}

# lv_hv_conf FILE [LINE...]: an hvagent configuration on this libvirtd
# (TCG domains, serial sockets in $WORK/run, logs in $WORK/log, a 1 s
# poll), then the LINEs.
lv_hv_conf() {
    f=$1; shift
    printf '%s\n' "uri = $U" "domain_type = qemu" \
        "serial_run_dir = $WORK/run" "serial_log_dir = $WORK/log" \
        "interval = 1" "$@" > "$f"
}
