# -q hides every confirmation: each command that writes the store (init,
# import, every noun's edits, serial free, auth init and rotate; the BMC's
# power and profile push are in test_psctl_bmc.sh) runs twice, on two
# images taking the same steps: without -q it says exactly one line on
# stdout, with -q (before or after the command) nothing on stdout or
# stderr.
echo "== psctl -q: no confirmation from any command that writes"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
# Each image its own authentication key and counter (auth init, rotate).
L() { PSTATE_AUTH_KEY=$WORK/ql.key PSTATE_AUTH_COUNTER=$WORK/ql.ctr \
    "$PSCTL" -i "$WORK/ql.img" "$@"; }
Q() { PSTATE_AUTH_KEY=$WORK/qq.key PSTATE_AUTH_COUNTER=$WORK/qq.ctr \
    "$PSCTL" -i "$WORK/qq.img" "$@"; }
n=0
step() {
    n=$((n + 1))
    # shellcheck disable=SC2086
    L "$@" > "$WORK/ql.out" 2>/dev/null; lrc=$?
    if [ $((n % 2)) -eq 0 ]; then Q -q "$@"; else Q "$@" -q; fi \
        > "$WORK/qq.out" 2> "$WORK/qq.err"; qrc=$?
    if [ $lrc -ne 0 ] || [ $qrc -ne 0 ]; then
        fail "quiet: $*: exit $lrc / $qrc with -q: $(head -c 200 "$WORK/qq.err")"
    elif [ "$(grep -c . "$WORK/ql.out")" -ne 1 ]; then
        fail "quiet: $*: without -q says '$(cat "$WORK/ql.out")', not one line"
    elif [ -s "$WORK/qq.out" ] || [ -s "$WORK/qq.err" ]; then
        fail "quiet: $* -q: stdout '$(cat "$WORK/qq.out")' stderr '$(cat "$WORK/qq.err")'"
    else
        pass "quiet: $*: one line said, nothing with -q"
    fi
}
step init --size 8M
step vm create a --memory 1G
L -q export -o "$WORK/ql.txt" 2>/dev/null && Q -q export -o "$WORK/qq.txt" 2>/dev/null ||
    fail "quiet: export"
step vm create b
step vm set a --cpus 2
step net create lan
step net set lan --mtu 1500
step image create d --path /var/lib/x.img --size 1G
step image set d --size 2G
step reserve create r --kind memory --first 1G --count 1G
step reserve set r --count 2G
step nic add a eth0 --network lan
step nic set a eth0 --model virtio
step storage add a s0 --image d
step storage set a s0 --bootable on
step serial map a 0 --concentrator 3
step serial set a 0 --hostname h
step serial unmap a 0
step serial map a 1 --concentrator 4
step serial free a
step profile create g --serial S1
step profile set g --serial S2
step profile assign g a
step profile move g b
step profile unassign g
step server create s1 --target "image:$WORK/other.img"
step server set s1 --description x
step storage delete a s0
step nic delete a eth0
step server delete s1
step profile delete g
step reserve delete r
step image delete d
step net delete lan
step vm delete b
# The export made after `vm create a` differs from the store now (vm set).
n=$((n + 1))
L import "$WORK/ql.txt" > "$WORK/ql.out" 2>/dev/null &&
    Q import "$WORK/qq.txt" -q > "$WORK/qq.out" 2> "$WORK/qq.err" &&
    [ "$(grep -c "^store replaced from '$WORK/ql.txt', generation [0-9]*$" "$WORK/ql.out")" -eq 1 ] &&
    [ ! -s "$WORK/qq.out" ] && [ ! -s "$WORK/qq.err" ] &&
    pass "quiet: import: 'store replaced from ...' said, nothing with -q" ||
    fail "quiet: import: '$(cat "$WORK/ql.out")' / -q '$(cat "$WORK/qq.out" "$WORK/qq.err")'"
step auth init
step auth rotate
