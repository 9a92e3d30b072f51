# A transaction whose answer is lost and that psctl sends again
# (docs/pool.md "Failure cases"), on a real three-node etcd cluster, with
# the test hook PSCTL_TEST_TXN_RESEND=1: every txn goes once to one
# endpoint, its answer dropped, then again to the next -- whose compare
# fails, because the first copy applied.  psctl must read back and see
# its own work:
#  1. create, assign, move, failover, set and delete each succeed exactly
#     once (exit 0, no "already exists" / "changed by another operator"),
#     and leave the keys the command writes (nothing in transit);
#  2. a genuine lost race is still one: 4 creates of one name with
#     different MACs (one succeeds, the others are told it exists), and
#     two operators marking one move (one wins, the other is told who);
#  3. libcurl that does not load: the error gives the loader's reason.
echo "== pool on etcd: a txn sent twice (its answer lost) counts once"

etcd_pool "pool resend" || return 0
export PSTATE_POOL_TIMEOUT_MS=2000
etcdkeys() { etcdctl --endpoints "$EPS" get --prefix --keys-only "$1" 2>/dev/null | grep -v '^$'; }
P="$PSCTL -q --pool $URL"
H=$WORK/h.img
"$PSCTL" -q -i "$H" init >/dev/null 2>&1
for v in vm1 vm2 vm3 vm4 vm5; do
    "$PSCTL" -q -i "$H" vm create $v --memory 256MiB >/dev/null &&
        "$PSCTL" -q -i "$H" nic add $v eth0 >/dev/null || fail "pool resend: preparing VM $v"
done
$P server create hb --target "image:$H" >/dev/null 2>&1 || fail "pool resend: server create"

# ---- 1. each command once, every txn sent twice
export PSCTL_TEST_TXN_RESEND=1
for cmd in "profile create p1 --macs 02:00:5e:33:00:01" "profile create p2 --macs 02:00:5e:33:00:02" \
    "profile assign p1 hb#vm1" "profile move p1 hb#vm2" "profile failover hb#vm2 hb#vm3" \
    "profile set p1 --description twice" "profile delete p2"; do
    # shellcheck disable=SC2086
    expect_exit 0 "pool resend: $cmd" -- $P $cmd
    grep -E "already exists|changed by another operator|nothing written" "$WORK/err" &&
        fail "pool resend: $cmd: reported as lost: $(cat "$WORK/err")"
done
show=$($P profile show p1 2>&1)
[ "$(echo "$show" | sed -n 's/^state *//p')" = assigned ] &&
    echo "$show" | grep -q "^target .*#vm3" && [ -z "$(etcdkeys /pstate/move/)" ] &&
    [ -z "$(etcdkeys /pstate/lease/)" ] && [ "$(etcdkeys /pstate/target/ | wc -l)" = 1 ] &&
    [ -z "$(etcdkeys /pstate/profile/p2)" ] && [ -z "$(etcdkeys /pstate/id/mac/02:00:5e:33:00:02)" ] &&
    $P pool check > "$WORK/check" 2>&1 &&
    pass "pool resend: p1 assigned on vm3 only (pool check agrees), nothing in transit, p2 and its keys gone" ||
    { fail "pool resend: after the commands: $(etcdkeys /pstate/ | tr '\n' ' ')"; echo "$show"; cat "$WORK/check"; }

# ---- 2. genuine lost races, hook still on
for i in 1 2 3 4; do
    ( $P profile create dup --macs 02:00:5e:34:00:0$i > /dev/null 2> "$WORK/dup$i.err"
      echo $? > "$WORK/dup$i.rc" ) &
done
wait
ok=$(cat "$WORK"/dup?.rc | grep -c '^0$') lost=$(grep -l "already exists" "$WORK"/dup?.err | wc -l)
[ "$ok" = 1 ] && [ "$lost" = 3 ] && [ "$(etcdkeys /pstate/id/mac/02:00:5e:34: | wc -l)" = 1 ] &&
    pass "pool resend: 4 creates of one name: one made it, 3 told it exists" ||
    { fail "pool resend: creates of one name: $ok succeeded, $lost told it exists"; cat "$WORK"/dup?.err; }
# Both held at "validate" (PSCTL_TEST_HOLD_DIR); alice marks and is held
# after it; then bob marks (his compare fails) and ends; then alice goes on.
mkdir -p "$WORK/gA" "$WORK/gB" && touch "$WORK/gA/validate" "$WORK/gA/mark" "$WORK/gB/validate"
( PSTATE_OPERATOR=alice PSCTL_TEST_HOLD_DIR=$WORK/gA $P profile move p1 hb#vm4 \
      > /dev/null 2> "$WORK/mvA.err"; echo $? > "$WORK/mvA.rc" ) &
( PSTATE_OPERATOR=bob PSCTL_TEST_HOLD_DIR=$WORK/gB $P profile move p1 hb#vm5 \
      > /dev/null 2> "$WORK/mvB.err"; echo $? > "$WORK/mvB.rc" ) &
wait_file "$WORK/gA/validate.reached" "$WORK/gB/validate.reached" || fail "pool resend: the moves did not reach validate"
rm -f "$WORK/gA/validate"
wait_file "$WORK/gA/mark.reached" || fail "pool resend: alice did not reach mark"
rm -f "$WORK/gB/validate"
wait_file "$WORK/mvB.rc" || fail "pool resend: bob's move did not end"
rm -f "$WORK/gA/mark"
wait
rcs="$(cat "$WORK/mvA.rc") $(cat "$WORK/mvB.rc")"
[ "$rcs" = "0 4" ] && grep -q "another operator is moving it: alice since" "$WORK/mvB.err" &&
    $P pool check > "$WORK/check" 2>&1 &&
    pass "pool resend: two marks at once: alice moves, bob is told (exit 4)" ||
    { fail "pool resend: two marks at once: exits $rcs (want 0 4)"; cat "$WORK/mvA.err" "$WORK/mvB.err" "$WORK/check"; }
unset PSCTL_TEST_TXN_RESEND

# ---- 3. libcurl that does not load: the loader's reason is said
mkdir -p "$WORK/nocurl" && : > "$WORK/nocurl/libcurl.so.4"
LD_LIBRARY_PATH=$WORK/nocurl expect_exit 3 "pool resend: libcurl that does not load" -- $P profile list
grep -q "cannot start libcurl: .*libcurl.so.4.*file too short" "$WORK/err" &&
    pass "pool resend: the error gives the loader's reason" ||
    fail "pool resend: libcurl error: $(cat "$WORK/err")"
