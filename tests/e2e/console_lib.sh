# console_lib.sh - shared by the console tests (test_console_*.sh): the
# service's binaries, a store image, the client socket, the processes to
# kill at the end, and waiting for text in a file.
: "${PSCON:?set PSCON to the pscon binary}"
: "${PSCON_TEST:?set PSCON_TEST to the pscon-test driver}"
IMG=$WORK/store.img
S=$WORK/c.sock
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done' EXIT INT TERM
L() { "$PSCTL" -q -i "$IMG" "$@"; }
# file_has FILE TEXT [SECONDS]: FILE contains TEXT within the time (10 s).
file_has() {
    i=0
    while [ $i -lt $(( ${3:-10} * 10 )) ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
