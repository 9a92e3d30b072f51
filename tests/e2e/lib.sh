# Helpers for end-to-end test scripts (sourced by run.sh).

pass() { echo "PASS $*" >> "$RESULTS"; echo "  ok   $*"; }
fail() { echo "FAIL $*" >> "$RESULTS"; echo "  FAIL $*"; }

# expect_exit CODE NAME -- CMD...: run CMD, keep its stderr in $WORK/err,
# stdout in $WORK/out, and check the exit status.
expect_exit() {
    want=$1; name=$2; shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        pass "$name (exit $got)"
    else
        fail "$name: exit $got, expected $want; stderr: $(head -c 300 "$WORK/err")"
    fi
}

# expect_err NAME TEXT: the last command's stderr contains TEXT.
expect_err() {
    if grep -qF -- "$2" "$WORK/err"; then
        pass "$1 (says '$2')"
    else
        fail "$1: stderr lacks '$2': $(head -c 300 "$WORK/err")"
    fi
}

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

# wait_file FILE...: every FILE exists within 30 s (1 when not) -- e.g. the
# DIR/STEP.reached a move held by PSCTL_TEST_HOLD_DIR writes at a step.
wait_file() {
    n=0
    for f in "$@"; do
        while [ ! -e "$f" ]; do
            [ $n -lt 600 ] || return 1
            sleep 0.05; n=$((n + 1))
        done
    done
}

# exec_fake_marker X FAILING RC: `psctl console exec` (the test's function
# X, given "-- COMMAND") of a command printing end markers of its own (any
# token it can know) and then FAILING: the real status RC and all the
# output come back (test_console_exec*.sh).
exec_fake_marker() {
    "$1" -- "echo \"PSEND-00000000000000000000000000000000 0\"; echo PSEND-; $2" \
        > "$WORK/fake" 2>&1; rc=$?
    [ $rc -eq "$3" ] && grep -q '^PSEND-0000' "$WORK/fake" &&
        grep -q '^PSEND-$' "$WORK/fake" &&
        pass "exec: a fake marker does not fool it; the failing command's status ($rc)" ||
        fail "exec: fake marker: rc=$rc out=$(cat "$WORK/fake")"
}

# privacy_hold SOCKET TARGET: another session (psctl console, its keyboard
# the fifo $WORK/kbd on fd 8, its stderr $WORK/priv.err) takes privacy mode
# on TARGET; 1 when it does not within 10 s.  `printf '\005c.' >&8` ends it.
privacy_hold() {
    mkfifo "$WORK/kbd"
    "$PSCTL" console --socket "$1" "$2" --mode privacy < "$WORK/kbd" \
        > /dev/null 2> "$WORK/priv.err" & PIDS="$PIDS $!"
    exec 8<>"$WORK/kbd"
    ph=0
    until grep -q "mode privacy" "$WORK/priv.err" 2>/dev/null; do
        [ $ph -lt 100 ] || return 1
        sleep 0.1; ph=$((ph + 1))
    done
}

# report_lines FILE: a helper program's "ok NAME" / "not ok NAME: why"
# lines as pass / fail (other lines shown); TAP_OK = how many passed.
report_lines() {
    TAP_OK=0
    while IFS= read -r line; do
        case $line in
            "ok "*) pass "${line#ok }"; TAP_OK=$((TAP_OK + 1)) ;;
            "not ok "*) fail "${line#not ok }" ;;
            *) echo "  $line" ;;
        esac
    done < "$1"
}

# A shared directory $SH (mode 1777) and a victim file ($WORK/victim, its
# hash in $victim), with symlinks to the victim planted under the old
# fixed temporary pattern OUT.tmp<PID> for the next 3000 PIDs: a tool that
# writes OUT through such a name would overwrite the victim.
plant_temp_symlinks() {
    SH=$WORK/shared
    mkdir -p "$SH" && chmod 1777 "$SH"
    printf 'precious\n' > "$WORK/victim"
    victim=$(hash_of "$WORK/victim")
    perl -e 'open F, "/proc/sys/kernel/ns_last_pid" or exit 1; $l = <F>;
             symlink $ARGV[1], "$ARGV[0].tmp" . ($l + $_) for 1 .. 3000' \
        "$SH/$1" "$WORK/victim"
}

# Driving a program in tmux as a person types (server socket $SOCK, one
# session S): tm runs tmux; screen is the pane with its history,
# last_line its last non-blank visible line; wait_for TEXT [COUNT] waits
# until TEXT is on screen COUNT times, wait_last TEXT until the last line
# reads exactly TEXT (both 10 s bounds, 1 when they time out).
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
screen() { tm capture-pane -p -S - -t S 2>/dev/null; }
last_line() { tm capture-pane -p -t S 2>/dev/null | sed '/^ *$/d' | tail -n 1; }
wait_for() {
    n=0
    while [ $n -lt 100 ]; do
        [ "$(screen | grep -cF -- "$1")" -ge "${2:-1}" ] && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}
wait_last() {
    n=0
    while [ $n -lt 100 ]; do
        [ "$(last_line)" = "$1" ] && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}

# ---- the simulated BMC's OEM commands through ipmitool (a BMC started by
# scripts/bmc-sim on 127.0.0.1:$PORT with users admin/adm1n-pw and
# oper/0per-pw; replies in $WORK/raw and $WORK/err).
ipmi() { # USER PASS [LEVEL] -- args
    u=$1 p=$2; shift 2
    IPMI_PASSWORD=$p ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$PORT" \
        -U "$u" -E "$@"
}
# oem CMD BYTES...: as admin; stdout the response bytes after the IANA
# number, stderr ipmitool's message; status ipmitool's.
oem() {
    c=$1; shift
    ipmi admin adm1n-pw raw 0x2e "$c" 0xd9 0x7e 0x00 "$@" \
        >"$WORK/raw" 2>"$WORK/err"
    rc=$?
    tr -s ' \n' ' ' < "$WORK/raw" | sed 's/^ *d9 7e 00 *//; s/ *$//'
    return $rc
}
# cc_of: the completion code ipmitool reported for the last failure.
cc_of() { sed -n 's/.*rsp=\(0x[0-9a-f]*\).*/\1/p' "$WORK/err" | head -n1; }

# The byte plan of a staged write (python3 only does arithmetic: length,
# CRC-32C, 16-byte chunks).
plan() { # HEX -> lines: "len LO HI", "crc B0 B1 B2 B3", "chunk OFFLO OFFHI B.."
    python3 - "$1" <<'PY'
import sys
d = bytes.fromhex(sys.argv[1])
def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xffffffff
h = lambda bs: " ".join("0x%02x" % x for x in bs)
print("len", h(len(d).to_bytes(2, "little")))
print("crc", h(crc32c(d).to_bytes(4, "little")))
for o in range(0, len(d), 16):
    print("chunk", h(o.to_bytes(2, "little")), h(d[o:o + 16]))
PY
}
# bmc_write OP HEX [TOKEN BYTES]: begin (naming the lock's token when
# given), chunks, finish, retried while the BMC answers busy (0xc0: the
# semaphore held; the session stays); prints the finish response,
# returns non-zero with cc_of set on the first other refusal.  The chunks
# go in one RMCP+ session (ipmitool exec: a line per chunk, exit status
# non-zero when any failed, each failure on stderr in order): a session
# costs ~0.2 s, one per 16-byte chunk made the gate test minutes long.
bmc_write() {
    op=$1 hex=$2
    shift 2
    plan "$hex" > "$WORK/plan"
    # shellcheck disable=SC2046
    s=$(oem 0x20 "$op" $(sed -n 's/^len //p' "$WORK/plan") 0 0 0 0 "$@") ||
        return 1
    sess=0x$s
    echo "$sess" > "$WORK/sess"
    sed -n "s/^chunk /raw 0x2e 0x21 0xd9 0x7e 0x00 $sess /p" "$WORK/plan" \
        > "$WORK/chunks"
    if [ -s "$WORK/chunks" ]; then
        ipmi admin adm1n-pw exec "$WORK/chunks" >"$WORK/raw" 2>"$WORK/err" ||
            return 1
    fi
    t=0
    while :; do
        # shellcheck disable=SC2046
        oem 0x22 "$sess" $(sed -n 's/^crc //p' "$WORK/plan") && return 0
        [ "$(cc_of)" = 0xc0 ] && [ $t -lt 150 ] || return 1
        sleep 0.1; t=$((t + 1))
    done
}
hexs() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# hv_embed_conf: hvagent's e2e set-up on libvirt's embedded QEMU driver
# (definitions persist in $WORK/embed, no daemon): sets IMG ($WORK/hv.img),
# EMB, U (the URI) and CONF, written with plain QEMU domains, serial
# sockets and logs under $WORK, adopt = marked, interval 1 s.
hv_embed_conf() {
    IMG=$WORK/hv.img EMB=$WORK/embed CONF=$WORK/hvagent.conf
    U="qemu:///embed?root=$EMB"
    mkdir -p "$EMB"
    cat > "$CONF" <<EOC
# e2e: no KVM here, plain QEMU domains
uri = $U
domain_type = qemu
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
adopt = marked
interval = 1
EOC
}

# etcd_pool NAME: a three-node etcd cluster of this test's own, under
# $WORK/etcd (tests/e2e/etcd_cluster.sh), stopped when the test's shell
# exits; sets CL (its directory), URL (the pool's etcd:// URL) and EPS
# (etcdctl's endpoints).  When etcd is missing or the cluster does not
# start, fails the check NAME and returns 1 (the test ends: `|| return 0`).
etcd_pool() {
    command -v etcd >/dev/null ||
        { fail "$1: etcd not installed (scripts/install-deps.sh)"; return 1; }
    CL=$WORK/etcd
    URL=$("$ROOT/tests/e2e/etcd_cluster.sh" start "$CL") ||
        { fail "$1: cluster did not start"; return 1; }
    trap '"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"' EXIT INT TERM
    EPS=$(cat "$CL/endpoints")
}
