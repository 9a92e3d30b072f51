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
