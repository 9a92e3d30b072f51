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
