# The authenticated store through the simulated BMC (docs/security.md
# "The BMC", docs/ipmi-oem.md 0x83): the host's key provisioned to the BMC
# as a root-only file, a trusted edit through the BMC accepted by the
# host's `check --verify`, a store edited without the key refused by the
# BMC with 0x83 (reads and writes, nothing written), served again once
# the host accepted the edit; a BMC key file that breaks the rules is
# refused.  Environment: BMC_SIM (scripts/bmc-sim), BMC_SIM_MODULE.
echo "== the BMC on an authenticated store"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
export BMC_SIM_MODULE
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE

IMG=$WORK/store.img
SIM=$WORK/sim
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
trap '"$BMC_SIM" stop "$SIM" >/dev/null 2>&1' EXIT INT TERM
mkdir -p "$WORK/host" "$WORK/bmc" "$SIM" && chmod 700 "$WORK/host" "$WORK/bmc"
HOSTENV="PSTATE_AUTH_KEY=$WORK/host/key PSTATE_AUTH_COUNTER=$WORK/host/counter"
host() { env $HOSTENV "$PSCTL" -q -i "$IMG" "$@"; }
laptop() { env PSTATE_AUTH_KEY="$WORK/none" PSTATE_AUTH_COUNTER="$WORK/none.c" \
    "$PSCTL" -q -i "$IMG" "$@"; }
B() { IPMI_PASSWORD=adm1n-pw "$PSCTL" -q --bmc "127.0.0.1:$PORT" -U admin "$@"; }
sim_start() {
    BMC_SIM_IMAGE=$IMG BMC_SIM_GATE=host-off BMC_SIM_KEY=$WORK/bmc/key \
        BMC_SIM_ADMIN_PASS=adm1n-pw BMC_SIM_OPER_PASS=0per-pw \
        "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/out" 2>&1
}
bmc_auth() { B bmc info --json 2>&1 | sed -n 's/.*"auth": "\([a-z-]*\)".*/\1/p'; }

host init --size 8M >/dev/null 2>&1 && host vm create web01 >/dev/null 2>&1 &&
    host auth init >/dev/null 2>&1 || fail "bmc auth: preparing the image"

# A key file the other users can read is refused: the BMC serves nothing.
cp "$WORK/host/key" "$WORK/bmc/key" && chmod 644 "$WORK/bmc/key"
if sim_start; then pass "bmc auth: bmc-sim with key= on 127.0.0.1:$PORT"
else fail "bmc auth: bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi
[ "$(bmc_auth)" = key-or-counter-unreadable ] &&
    pass "a key file readable by others: bmc info says key-or-counter-unreadable" ||
    fail "unsafe key file: bmc info auth '$(bmc_auth)'"
expect_exit 10 "a read refused (unsafe BMC key)" -- B vm show web01
expect_err "says why" "fails the BMC's verification"
"$BMC_SIM" stop "$SIM" >/dev/null 2>&1

# Provisioning: the host's key, copied as a root-only file (docs/security.md).
install -m 600 "$WORK/host/key" "$WORK/bmc/key"
sim_start || fail "bmc auth: bmc-sim restart: $(cat "$WORK/out")"
[ "$(bmc_auth)" = verified ] && [ "$(cat "$WORK/bmc/key.counter")" = 1 ] &&
    pass "provisioned: the BMC verifies the store, its counter set to 1" ||
    fail "provisioned: auth '$(bmc_auth)', counter $(cat "$WORK/bmc/key.counter" 2>&1)"
[ "$(stat -c %a "$WORK/bmc/key.counter")" = 600 ] &&
    pass "the BMC's counter file is 0600" ||
    fail "BMC counter mode $(stat -c %a "$WORK/bmc/key.counter")"

# Trusted edits through the BMC: sealed, accepted by the host.
expect_exit 0 "an edit through the BMC" -- B vm set web01 --memory 2G
expect_exit 0 "the host verifies the BMC's commit" -- \
    env $HOSTENV "$PSCTL" -i "$IMG" check --verify
grep -q "auth: verified" "$WORK/out" && pass "verdict verified" ||
    fail "host verdict: $(cat "$WORK/out")"
expect_exit 0 "a second edit through the BMC" -- B vm set web01 --memory 3G
[ "$(cat "$WORK/bmc/key.counter")" = 3 ] && pass "the BMC's counter followed (3)" ||
    fail "BMC counter $(cat "$WORK/bmc/key.counter")"
expect_exit 0 "the host verifies two BMC commits past its counter" -- \
    env $HOSTENV "$PSCTL" -i "$IMG" check --verify
expect_exit 0 "a host edit after them" -- host vm set web01 --cpus 2
B vm show web01 > "$WORK/out" 2>&1 && grep -q '^cpus *2' "$WORK/out" &&
    pass "the BMC serves the host's sealed edit" ||
    fail "BMC read after host edit: $(cat "$WORK/out")"

# Edited without the key: the BMC refuses it, with 0x83 and the verdict.
expect_exit 0 "laptop edit with --unverified" -- \
    laptop vm set web01 --memory 8G --unverified
h=$(hash_of "$IMG")
expect_exit 10 "the BMC refuses a read of the unverified store" -- B vm show web01
expect_err "says why" "fails the BMC's verification"
expect_exit 10 "the BMC refuses a write" -- B vm set web01 --memory 1G
[ "$(hash_of "$IMG")" = "$h" ] && pass "refused write: image unchanged" ||
    fail "refused write changed the image"
[ "$(bmc_auth)" = unverified ] && pass "bmc info: auth unverified" ||
    fail "bmc info auth '$(bmc_auth)'"
oem 0x10 0x01 0x00 0x00 > "$WORK/sess" || fail "raw read begin: $(cat "$WORK/err")"
r=$(oem 0x12 "0x$(cat "$WORK/sess")"); [ "$(cc_of)" = 0x83 ] &&
    pass "raw READ RUN: completion code 0x83" ||
    fail "raw READ RUN: cc '$(cc_of)' $r $(cat "$WORK/err")"

# The host accepts the edit (the next trusted writer asks): served again.
expect_exit 0 "host accepts the unverified edit" -- \
    host vm set web01 --memory 4G --accept-unverified
[ "$(bmc_auth)" = verified ] && pass "the BMC verifies it again" ||
    fail "after accept: auth '$(bmc_auth)'"
expect_exit 0 "an edit through the BMC again" -- B vm set web01 --memory 5G
expect_exit 0 "the host verifies it" -- \
    env $HOSTENV "$PSCTL" -i "$IMG" check --verify

# An older copy put back: rolled back for the BMC too.
cp "$IMG" "$WORK/old.img"
expect_exit 0 "one more edit through the BMC" -- B vm set web01 --memory 6G
cp "$WORK/old.img" "$IMG"
expect_exit 10 "the BMC refuses the older copy" -- B vm show web01
[ "$(bmc_auth)" = rolled-back ] && pass "bmc info: auth rolled-back" ||
    fail "rollback: auth '$(bmc_auth)'"
"$BMC_SIM" stop "$SIM" >/dev/null 2>&1
