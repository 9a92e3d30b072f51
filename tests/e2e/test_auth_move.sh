# psctl profile move on an authenticated host store (docs/security.md
# "Writers that seal"): the move's commit on that store is sealed with the
# host's key and counter (files here, one per store under two
# directories), so the store still verifies; a store that does not verify
# is refused, written nothing.
echo "== auth: profile moves seal"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK PSTATE_TPM=none
PSTATE_AUTH_KEY_DIR=$WORK/keys PSTATE_AUTH_STATE_DIR=$WORK/state
export PSTATE_SEM_MODE PSTATE_LOCK_DIR PSTATE_TPM PSTATE_AUTH_KEY_DIR PSTATE_AUTH_STATE_DIR
unset PSTATE_IMAGE PSTATE_AUTH_KEY PSTATE_AUTH_COUNTER
P=$WORK/pool.img H=$WORK/host.img
ps() { "$PSCTL" -q "$@"; }
pool() { "$PSCTL" -q -i "$P" "$@"; }

for i in "$P" "$H"; do ps -i "$i" init --size 8M >/dev/null 2>&1 || fail "init $i"; done
for v in vm1 vm2; do
    { ps -i "$H" vm create $v --memory 256MiB && ps -i "$H" nic add $v eth0; } ||
        fail "preparing host VM $v"
done
pool profile create vp --uuid 6a0f1e2d-3c4b-4a59-8687-96a5b4c3d2e7 \
    --macs 02:00:5e:30:00:01 || fail "creating the profile"
expect_exit 0 "assign vp to image:host#vm1" -- pool profile assign vp "image:$H#vm1"
expect_exit 0 "auth init on the host store" -- ps -i "$H" auth init
expect_exit 0 "the pool store stays off" -- ps -i "$P" check --verify
grep -q "auth: off" "$WORK/out" && pass "pool: auth off" || fail "pool: $(cat "$WORK/out")"

expect_exit 0 "move vp to vm2" -- pool profile move vp "image:$H#vm2"
expect_exit 0 "the host store verifies after the move (sealed)" -- \
    ps -i "$H" check --verify
ps -i "$H" vm show vm2 | grep -q "^profile  *vp$" && pass "vm2 carries vp" ||
    fail "vm2: $(ps -i "$H" vm show vm2)"

# Edited without the key (a laptop: another key directory), put back.
expect_exit 0 "edit without the key (--unverified)" -- \
    env PSTATE_AUTH_KEY_DIR="$WORK/laptop" PSTATE_AUTH_STATE_DIR="$WORK/laptop" \
    "$PSCTL" -q -i "$H" vm set vm1 --memory 512MiB --unverified
h=$(hash_of "$H")
"$PSCTL" -q -i "$P" profile move vp "image:$H#vm1" > "$WORK/out" 2> "$WORK/err"
[ $? -ne 0 ] && pass "a move onto the unverified store is refused" ||
    fail "move onto an unverified store succeeded"
expect_err "says why" "authenticated store is unverified here: not written"
[ "$(hash_of "$H")" = "$h" ] && pass "the host store unchanged" ||
    fail "the refused move wrote the host store"
