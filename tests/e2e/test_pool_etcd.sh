# e2e: alone
# The profile pool on etcd (psctl --pool etcd://..., docs/pool.md) on a
# real three-node etcd cluster (tests/e2e/etcd_cluster.sh, 127.0.0.1-3):
#  1. the same profile and server command sequence on the file pool and on
#     etcd gives the same output and exit codes;
#  2. every identifier is a key under /pstate/id/, gone with its profile;
#  3. parallel psctl processes creating profiles with one MAC: exactly one
#     succeeds;
#  4. two operators moving one profile at once: one wins, the other is
#     told why (exit 4), and the profile is on exactly one VM;
#  5. an operator killed mid-move leaves a move record whose lease is
#     held (shown by profile show; another operator is refused), then
#     expires; another operator resumes it; one that stops on an error
#     releases its lease at once;
#  6. the etcd leader killed mid-move: the move completes; with the dead
#     node first in the URL the pool still serves (endpoint failover).
echo "== pool on etcd: three nodes, same output as the file pool, races, leases"

etcd_pool "pool etcd" || return 0
export PSTATE_POOL_TIMEOUT_MS=2000
U=6a0f1e2d-3c4b-4a59-8687-96a5b4c3d2e1 SN=SN-ETCD-0001
M0=02:00:5e:30:00:01 M1=02:00:5e:30:00:02 M2=02:00:5e:30:00:03

etcdget() { etcdctl --endpoints "$EPS" get --print-value-only "$1" 2>/dev/null; }
etcdkeys() { etcdctl --endpoints "$EPS" get --prefix --keys-only "$1" 2>/dev/null | grep -v '^$'; }
mkhost() { # IMAGE: a host with VMs vm1..vm5, one NIC each
    "$PSCTL" -q -i "$1" init >/dev/null 2>&1
    for v in vm1 vm2 vm3 vm4 vm5; do
        "$PSCTL" -q -i "$1" vm create $v --memory 256MiB >/dev/null &&
            "$PSCTL" -q -i "$1" nic add $v eth0 >/dev/null || return 1
    done
}

# ---- 1. the same sequence on both pools
sequence() { # HOST-IMAGE POOL-OPTION...: every command's output and code
    host=$1; shift
    for cmd in "server create hostb --target image:$host" "server list" \
        "profile create web --uuid $U --serial $SN --macs $M0,$M1" \
        "profile create db --macs $M1" "profile create db --macs $M2" \
        "profile create web --macs $M2" "profile list" \
        "profile assign web hostb#vm1" "profile show web" \
        "profile assign db hostb#vm1" "profile move web hostb#vm2" \
        "profile show web" "profile move web nosuch#vm1" \
        "profile set web --description front" "profile set db --macs $M0" \
        "server set hostb --description rack4" "profile failover hostb#vm2 hostb#vm3" \
        "profile show web" "profile failover hostb#vm5 hostb#vm4" \
        "profile list --json" \
        "server delete hostb" "profile unassign web" "profile delete db" \
        "profile delete nosuch" "profile list" "server show hostb"; do
        echo "\$ $cmd"
        # shellcheck disable=SC2086
        "$PSCTL" -q "$@" $cmd 2>&1
        echo "exit $?"
    done | sed "s|$host|HOST|g"
}
# Each command's expected exit code, in order (4: a MAC or name in use, a
# VM carrying another profile, a server in use; 5: no such server/profile).
SEQ_CODES="0 0 0 4 0 4 0 0 0 4 0 0 5 0 4 0 0 0 5 0 4 0 0 5 0 0"
mkhost "$WORK/h1.img" && mkhost "$WORK/h2.img" || fail "pool etcd: preparing hosts"
"$PSCTL" -q -i "$WORK/pool.img" init >/dev/null 2>&1
sequence "$WORK/h1.img" -i "$WORK/pool.img" > "$WORK/file.out"
# Pages of one key: `profile list` pages through the profiles (key order)
# and must still print them in creation order, as the file pool does.
export PSTATE_POOL_PAGE=1
sequence "$WORK/h2.img" --pool "$URL" > "$WORK/etcd.out"
unset PSTATE_POOL_PAGE
if diff -u "$WORK/file.out" "$WORK/etcd.out" > "$WORK/diff"; then
    pass "pool etcd: same output and exit codes as the file pool ($(grep -c '^\$' "$WORK/file.out") commands)"
else
    fail "pool etcd: output differs from the file pool:"; cat "$WORK/diff"
fi
codes=$(sed -n 's/^exit //p' "$WORK/etcd.out" | paste -sd' ' -)
[ "$codes" = "$SEQ_CODES" ] && pass "pool etcd: the sequence's exit codes are the expected ones" ||
    fail "pool etcd: exit codes '$codes', want '$SEQ_CODES'"
# The etcd pool can also be given by the environment.
[ "$(PSTATE_POOL=$URL "$PSCTL" -q profile list | grep -c '^web ')" = 1 ] &&
    pass "pool etcd: PSTATE_POOL names the pool" || fail "pool etcd: PSTATE_POOL"

# ---- 2. identifier keys
[ "$(etcdget "/pstate/id/mac/$M0")" = web ] && [ "$(etcdget "/pstate/id/uuid/$U")" = web ] &&
    [ "$(etcdget "/pstate/id/serial/$SN")" = web ] && [ -z "$(etcdget "/pstate/id/mac/$M2")" ] &&
    [ -z "$(etcdkeys /pstate/move/)" ] &&
    pass "pool etcd: each identifier a key naming its profile; db's gone with it" ||
    fail "pool etcd: id keys: $(etcdkeys /pstate/id/ | tr '\n' ' ')"
expect_exit 0 "pool etcd: delete web" -- "$PSCTL" -q --pool "$URL" profile delete web
[ -z "$(etcdkeys /pstate/id/)" ] && [ -z "$(etcdkeys /pstate/profile/)" ] &&
    pass "pool etcd: deleting a profile deletes its id keys" ||
    fail "pool etcd: keys left: $(etcdkeys /pstate/ | tr '\n' ' ')"
expect_exit 3 "pool etcd: malformed URL refused" -- "$PSCTL" -q --pool "etcd://nohost" profile list
expect_exit 7 "pool etcd: no endpoint answers: exit 7" -- "$PSCTL" -q --pool "etcd://127.0.0.1:1" profile list

# ---- 3. parallel creates of one MAC
for i in 1 2 3 4 5 6; do
    ( "$PSCTL" -q --pool "$URL" profile create "race$i" --macs 02:00:5e:31:00:01 \
        > /dev/null 2> "$WORK/race$i.err"; echo $? > "$WORK/race$i.rc" ) &
done
wait
ok=$(cat "$WORK"/race?.rc | grep -c '^0$') lost=$(cat "$WORK"/race?.rc | grep -c '^4$')
holder=$(etcdget /pstate/id/mac/02:00:5e:31:00:01)
if [ "$ok" = 1 ] && [ "$lost" = 5 ] && [ "$(etcdkeys /pstate/profile/race | wc -l)" = 1 ] &&
   [ "$(etcdkeys /pstate/profile/race)" = "/pstate/profile/$holder" ]; then
    pass "pool etcd: 6 parallel creates with one MAC: exactly one ($holder) made it"
else
    fail "pool etcd: parallel creates: $ok succeeded, $lost refused, holder '$holder'"
    cat "$WORK"/race?.err
fi
grep -h "already in use by profile '$holder'" "$WORK"/race?.err | grep -q . &&
    pass "pool etcd: the losers are told who holds the MAC" ||
    fail "pool etcd: losers' messages: $(cat "$WORK"/race?.err)"

# ---- 4. two operators moving one profile at once
P="$PSCTL -q --pool $URL"
$P profile create mv --macs 02:00:5e:32:00:01 >/dev/null 2>&1 &&
    $P profile assign mv hostb#vm3 >/dev/null 2>&1 || fail "pool etcd: preparing mv"
# 4a. both validate, then both mark at once: etcd applies one "mark" txn;
# the other's compare fails and it is told who moves the profile.
# Steps ordered on conditions (PSCTL_TEST_HOLD_DIR, wait_file), not sleeps.
mover() { # A|B TARGET HOLD-DIR (A is alice, B bob)
    ( PSTATE_OPERATOR=$( [ "$1" = A ] && echo alice || echo bob ) PSCTL_TEST_HOLD_DIR=$3 $P profile move mv "$2" > /dev/null 2> "$WORK/mv$1.err"
      echo $? > "$WORK/mv$1.rc" ) &
}
race() { # TARGET-A TARGET-B both|after
    rm -rf "$WORK/gA" "$WORK/gB" "$WORK"/mv?.rc && mkdir -p "$WORK/gA" "$WORK/gB"
    touch "$WORK/gA/mark"
    if [ "$3" = both ]; then  # both validated, alice marks, then bob
        touch "$WORK/gA/validate" "$WORK/gB/validate"
        mover A "$1" "$WORK/gA"; mover B "$2" "$WORK/gB"
        wait_file "$WORK/gA/validate.reached" "$WORK/gB/validate.reached" || fail "pool etcd: race: validate not reached"
        rm -f "$WORK/gA/validate"
    else                      # bob starts after alice's mark
        mover A "$1" "$WORK/gA"
    fi
    wait_file "$WORK/gA/mark.reached" || fail "pool etcd: race: alice did not reach mark"
    if [ "$3" = both ]; then rm -f "$WORK/gB/validate"; else mover B "$2" "$WORK/gB"; fi
    wait_file "$WORK/mvB.rc" || fail "pool etcd: race: bob's move did not end"
    rm -f "$WORK/gA/mark"
    wait
    rcs="$(cat "$WORK/mvA.rc") $(cat "$WORK/mvB.rc")"
    carriers=$("$PSCTL" -q -i "$WORK/h2.img" vm list | grep -c ' mv ' || true)
    tgt=$($P profile show mv | sed -n 's/^target  *//p' | head -1)
}
check_race() { # WHAT WANT-RCS WANT-TARGET
    if [ "$rcs" = "$2" ] && [ "$carriers" -le 1 ] && [ "${tgt##*#}" = "$3" ]; then
        pass "pool etcd: $1: exits $rcs, profile on $3 only"
    else
        fail "pool etcd: $1: exits $rcs (want $2), target '$tgt' (want $3), $carriers carriers"
        cat "$WORK/mvA.err" "$WORK/mvB.err"
    fi
    grep -q "another operator is moving it: alice since" "$WORK/mvB.err" &&
        pass "pool etcd: $1: bob is told alice moves it" ||
        fail "pool etcd: $1: bob's message: $(cat "$WORK/mvB.err")"
}
race hostb#vm4 hostb#vm5 both
check_race "two marks at once" "0 4" vm4
# 4b. bob starts while alice's move is under way (after her mark).
race hostb#vm1 hostb#vm5 after
check_race "a move while another is under way" "0 4" vm1

# ---- 5. an operator killed mid-move
export PSTATE_POOL_LEASE_TTL=3
to=hostb#vm2
PSTATE_OPERATOR=carol PSCTL_TEST_CRASH_AT=mark $P profile move mv $to > /dev/null 2>&1
rc=$?
[ $rc = 99 ] || fail "pool etcd: the crash point did not end the move (exit $rc)"
$P profile show mv > "$WORK/show1" 2>&1
grep -q "^move-by  *carol since .*(lease held" "$WORK/show1" &&
    pass "pool etcd: profile show says who moves it, since when, lease held" ||
    { fail "pool etcd: show during the move:"; cat "$WORK/show1"; }
PSTATE_OPERATOR=dave $P profile move mv $to > /dev/null 2> "$WORK/busy.err"
rc=$?
[ $rc = 4 ] && grep -q "another operator is moving it: carol since" "$WORK/busy.err" &&
    pass "pool etcd: another operator refused while the lease holds (exit 4, names carol)" ||
    fail "pool etcd: while the lease holds: exit $rc, $(cat "$WORK/busy.err")"
i=0
while [ $i -lt 20 ] && [ -n "$(etcdkeys /pstate/lease/mv)" ]; do sleep 0.5; i=$((i + 1)); done
$P profile show mv > "$WORK/show2" 2>&1
grep -q "^move-by .*lease expired" "$WORK/show2" &&
    pass "pool etcd: the dead operator's lease expired; show says so" ||
    { fail "pool etcd: show after expiry:"; cat "$WORK/show2"; }
expect_exit 0 "pool etcd: another operator resumes the move" -- env PSTATE_OPERATOR=dave $P profile move mv $to
[ "$($P profile show mv | sed -n 's/^state *//p')" = assigned ] && [ -z "$(etcdkeys /pstate/move/)" ] &&
    [ -z "$(etcdkeys /pstate/lease/)" ] &&
    pass "pool etcd: resumed move settled, move record and lease gone" ||
    fail "pool etcd: after resume: $($P profile show mv 2>&1 | tr '\n' ' ')"

# ---- 5b. a move that stops on an error (the host's image gone after
# "mark") releases its lease at once: anyone may finish it, no TTL wait
# frank is held after "mark" (PSCTL_TEST_HOLD_DIR) while the image goes.
mkdir -p "$WORK/gF" && touch "$WORK/gF/mark"
( PSTATE_OPERATOR=frank PSCTL_TEST_HOLD_DIR=$WORK/gF $P profile move mv hostb#vm1 > /dev/null 2> "$WORK/stop.err"
  echo $? > "$WORK/stop.rc" ) &
wait_file "$WORK/gF/mark.reached" || fail "pool etcd: stopped move: frank did not reach mark"
mv "$WORK/h2.img" "$WORK/h2.away"
rm -f "$WORK/gF/mark"
wait
mv "$WORK/h2.away" "$WORK/h2.img"
$P profile show mv > "$WORK/show3" 2>&1
[ "$(cat "$WORK/stop.rc")" != 0 ] && [ -z "$(etcdkeys /pstate/lease/)" ] &&
    grep -q "^move-by  *frank since .*lease expired or released" "$WORK/show3" &&
    pass "pool etcd: a move stopped by an error (exit $(cat "$WORK/stop.rc")) leaves its record, lease released" ||
    { fail "pool etcd: stopped move: exit $(cat "$WORK/stop.rc"), $(cat "$WORK/stop.err")"; cat "$WORK/show3"; }
expect_exit 0 "pool etcd: another operator finishes it at once" -- env PSTATE_OPERATOR=gina $P profile move mv hostb#vm1
[ "$($P profile show mv | sed -n 's/^target  *//p' | head -1 | sed 's/.*#//')" = vm1 ] &&
    [ -z "$(etcdkeys /pstate/move/)" ] && pass "pool etcd: finished on vm1, record gone" ||
    fail "pool etcd: after finishing: $($P profile show mv 2>&1 | tr '\n' ' ')"

# ---- the pool chosen by the config file; a store named on the command line wins
printf '# the fleet pool\n\npool = %s\n' "$URL" > "$WORK/psctl.conf"
[ "$(PSTATE_PSCTL_CONF=$WORK/psctl.conf "$PSCTL" -q profile list | grep -c '^mv ')" = 1 ] &&
    pass "pool etcd: 'pool = URL' in the config file names the pool" || fail "pool etcd: config file"
[ "$(PSTATE_PSCTL_CONF=$WORK/psctl.conf PSTATE_POOL=$URL "$PSCTL" -q -i "$WORK/pool.img" profile list | grep -c '^mv ')" = 0 ] &&
    pass "pool etcd: -i wins over \$PSTATE_POOL and the config file" || fail "pool etcd: -i with a configured pool"
expect_exit 2 "pool etcd: --pool with -i refused" -- "$PSCTL" -q --pool "$URL" -i "$WORK/pool.img" profile list
expect_err "pool etcd: --pool with -i" "give one store"
echo "pool etcd://x:1" > "$WORK/bad.conf"
expect_exit 3 "pool etcd: a malformed config line refused" -- env PSTATE_PSCTL_CONF="$WORK/bad.conf" "$PSCTL" -q profile list
expect_err "pool etcd: the config error names file and line" "$WORK/bad.conf:1"
expect_exit 2 "pool etcd: a VM edit on the etcd pool refused" -- $P vm create vmx --memory 256MiB
expect_err "pool etcd: says what the etcd pool holds" "profiles and the server directory only"

# ---- 6. the leader killed mid-move; then the dead node first in the URL
leader=$("$ROOT/tests/e2e/etcd_cluster.sh" leader "$CL")
case $leader in 1|2|3) ;; *) fail "pool etcd: no leader found ('$leader')"; leader=1 ;; esac
mkdir -p "$WORK/gE" && touch "$WORK/gE/mark"
( PSTATE_OPERATOR=erin PSCTL_TEST_HOLD_DIR=$WORK/gE $P profile move mv hostb#vm3 > /dev/null 2> "$WORK/lk.err"
  echo $? > "$WORK/lk.rc" ) &
wait_file "$WORK/gE/mark.reached" || fail "pool etcd: leader kill: erin did not reach mark"
"$ROOT/tests/e2e/etcd_cluster.sh" kill "$CL" "$leader"
rm -f "$WORK/gE/mark"
wait
[ "$(cat "$WORK/lk.rc")" = 0 ] && [ "$($P profile show mv | sed -n 's/^target  *//p' | head -1 | sed 's/.*#//')" = vm3 ] &&
    [ -z "$(etcdkeys /pstate/move/)" ] &&
    pass "pool etcd: leader (node $leader) killed mid-move: the move completes on the other two" ||
    fail "pool etcd: leader killed mid-move: exit $(cat "$WORK/lk.rc"): $(cat "$WORK/lk.err")"
# The dead node first: every request fails over to the next endpoint.
dead=$(tr , '\n' < "$CL/endpoints" | sed -n "${leader}p")
live=$(tr , '\n' < "$CL/endpoints" | grep -v "^$dead\$" | paste -sd, -)
URL2="etcd://$dead,$live" EPS=$live
expect_exit 0 "pool etcd: create with the dead node first in the URL" -- \
    "$PSCTL" -q --pool "$URL2" profile create afterkill --macs 02:00:5e:33:00:01
[ "$("$PSCTL" -q --pool "$URL2" profile list | grep -c '^afterkill ')" = 1 ] &&
    [ "$(etcdget /pstate/id/mac/02:00:5e:33:00:01)" = afterkill ] &&
    pass "pool etcd: two of three nodes serve the pool" || fail "pool etcd: list after a node died"
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
