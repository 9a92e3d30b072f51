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
# The worker's pid under pscon --hold: the newest "worker N" line of the
# holder in $WORK/svc.log.
worker() { sed -n 's/^pscon --hold: worker \([0-9]*\)$/\1/p' "$WORK/svc.log" | tail -n 1; }
# Counter lines of FILE (console_counter.py, pscon-test counter), checked
# consecutive from 0: prints the count.
counters_ok() {
    awk '/^counter / { if ($2 + 0 != n) { print "out of order at " n ": " $0; exit 1 } n++ }
         END { print n }' "$1"
}
# web_pscon [--hold] [OPTION...]: pscon with its web page on a free port (PORT) on
# the store IMG: a self-signed certificate for 127.0.0.1 (also its
# subjectAltName; $WORK/cert.pem, key.pem), the BMC's users admin
# (password $APASS) and oper written by scripts/bmc-sim users
# ($WORK/bmc/web-users); its log $WORK/svc.log, its pid SVC.
web_pscon() {
    : "${PSCON_WEB:?set PSCON_WEB to the page's build directory (build/web)}"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 1 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        >/dev/null 2>&1 || fail "web: a certificate"
    APASS=admin-$$-pw
    mkdir -p "$WORK/bmc"
    printf 'admin %s\noper x-%s\n' "$APASS" "$APASS" > "$WORK/bmc/passwords"
    "$ROOT/scripts/bmc-sim" users "$WORK/bmc" || fail "web: the users file"
    PORT=$(( 20000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
    "$PSCON" "$@" --run-dir "$WORK/run" --socket "$S" --log-dir "$WORK/logs" \
        --store "$IMG" --web "127.0.0.1:$PORT" \
        --web-users "$WORK/bmc/web-users" --web-cert "$WORK/cert.pem" \
        --web-key "$WORK/key.pem" --web-root "$PSCON_WEB/root" \
        2> "$WORK/svc.log" & SVC=$!
    PIDS="$PIDS $SVC"
    file_has "$WORK/svc.log" "web: serving" ||
        fail "web: pscon: $(cat "$WORK/svc.log")"
}
# web01_image LABEL: the store IMG with the VM web01 and its serial port 1
# on 7001 (the guest's socket $WORK/run/port-7001), hostname web01-con;
# LABEL names the test in the failure.
web01_image() {
    L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
        L serial allocate web01 1 --first 7001 --hostnames web01-con \
            >/dev/null 2>&1 || fail "$1: preparing the image"
}
# counter_guest: pscon-test's counter guest on web01's port (a line every
# 10 ms, kept in $WORK/sent; what it reads in $WORK/gin); its pid GUEST.
counter_guest() {
    "$PSCON_TEST" counter "$WORK/run/port-7001" 10 "$WORK/sent" "$WORK/gin" &
    GUEST=$!; PIDS="$PIDS $GUEST"
}
# detach_view PID: types ^Ec. on fd 8 (the viewer's keyboard) and waits
# for the viewer PID to end; its exit status, or 124 when it was still
# running 10 s later (then killed, so a test never hangs on it).
detach_view() {
    printf '\005c.' >&8
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; wait "$1" 2>/dev/null; return 124; }
    wait "$1"
}
