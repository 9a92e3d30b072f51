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
