# Address pools (docs/pool.md "Address pools") on the file pool and on a
# real three-node etcd cluster (tests/e2e/etcd_cluster.sh):
#  1. the same command sequence (create, overlap refused, allocate,
#     reserve, release, reclaim, delete, JSON) gives the same output and
#     exit codes on both, its codes pinned;
#  2. the JSON documents validate against docs/psctl-output.schema.json;
#  3. each record is its etcd key (/pstate/range/, /pstate/resv/);
#  4. 6 processes allocating from one range at once on etcd: 6 distinct
#     identifiers, 6 reservations (each allocate's txn creates its
#     reservation key with create_revision 0: a loser picks again); 4
#     overlapping ranges created at once: exactly one;
#  5. spare pools: failover --spare-pool skips a busy, an unreachable and
#     the failed member, same output on both pools; two failovers at once
#     (both validate, then both mark: PSCTL_TEST_PAUSE_AT) pick the same
#     first spare, one wins it, the other takes the next;
#  6. pool export on etcd, pool import into a file pool: the same lists;
#     back from the file pool into etcd: a removed profile's keys go, a
#     new one's come; a file whose profiles share a MAC is refused whole;
#  7. pool check: clean on both pools; an etcd identifier key that lies,
#     and a target left carrying a profile the pool unassigned (--force
#     while its store was away): each listed, exit 1.
echo "== address pools: file pool and etcd, same output; parallel allocations"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
etcd_pool "pool addr" || return 0
export PSTATE_POOL_TIMEOUT_MS=2000
VALIDATE="python3 $ROOT/tests/e2e/json_schema.py $ROOT/docs/psctl-output.schema.json"

# cseq POOL-OPTION...: each command of $CMDS (one a line) with the pool
# option: its output and exit code.
cseq() {
    printf '%s\n' "$CMDS" | while IFS= read -r cmd; do
        echo "\$ $cmd"
        # shellcheck disable=SC2086
        "$PSCTL" -q "$@" $cmd 2>&1 < /dev/null
        echo "exit $?"
    done
}
# both TAG CODES IMG: $CMDS on a new file pool IMG and on etcd give the
# same output and the exit codes CODES ($WORK/TAG.file, $WORK/TAG.etcd).
both() {
    "$PSCTL" -q -i "$3" init >/dev/null 2>&1
    cseq -i "$3" > "$WORK/$1.file"
    cseq --pool "$URL" > "$WORK/$1.etcd"
    if diff -u "$WORK/$1.file" "$WORK/$1.etcd" > "$WORK/$1.diff"; then
        pass "$1: same output and exit codes on the file pool and etcd ($(grep -c '^\$' "$WORK/$1.file") commands)"
    else
        fail "$1: output differs:"; cat "$WORK/$1.diff"
    fi
    codes=$(sed -n 's/^exit //p' "$WORK/$1.etcd" | paste -sd' ' -)
    [ "$codes" = "$2" ] && pass "$1: the sequence's exit codes are the expected ones" ||
        { fail "$1: exit codes '$codes', want '$2'"; cat "$WORK/$1.etcd"; }
}

CMDS=$(cat <<'EOF'
pool create macs --kind mac --first 02:00:5e:40:00:01 --last 02:00:5e:40:00:ff
pool create wide --kind mac --first 02:00:5e:40:00:f0 --last 02:00:5e:40:01:ff
pool create macs --kind wwn --first 20:00:00:25:b5:00:00:01 --last 20:00:00:25:b5:00:00:09
pool create wwns --kind wwn --first 20:00:00:25:b5:00:00:01 --last 20:00:00:25:b5:00:0f:ff
pool create sn --kind serial --first SN0001 --last SN0100
pool create sn2 --kind serial --first SN0050 --last SN0060
pool create ids --kind uuid --first 6a0f1e2d-3c4b-4a59-8687-000000000001 --last 6a0f1e2d-3c4b-4a59-8687-0000000000ff
pool create sn3 --kind serial --first SN00050 --last SN00060
pool create bad --kind mac --first 02:00:5e:40:00:09 --last 02:00:5e:40:00:01
pool allocate macs --count 3 --for web
profile create web --macs 02:00:5e:40:00:01,02:00:5e:40:00:02
pool reserve macs 02:00:5e:40:00:01
pool reserve macs 02:00:5e:40:00:03
pool reserve macs 02:00:5e:40:00:10
pool reserve macs 02:00:5e:41:00:10
pool allocate sn --count 2
pool allocate ids
pool allocate nosuch
pool release macs 02:00:5e:40:00:01
pool release macs 02:00:5e:40:00:20
pool delete macs
pool reclaim macs
pool show macs
pool release macs 02:00:5e:40:00:10
pool list
pool show macs --json
pool allocate wwns --count 2 --json
pool release sn SN0001
pool release sn SN0002
pool delete sn
pool list --json
EOF
)
ASEQ_CODES="0 4 4 0 0 4 0 0 3 0 0 4 4 0 3 0 0 5 4 5 4 0 0 0 0 0 0 0 0 0 0"
both "pool addr" "$ASEQ_CODES" "$WORK/pool.img"
grep -q "range 'wide': mac 02:00:5e:40:00:f0-02:00:5e:40:01:ff overlaps range 'macs' (02:00:5e:40:00:01-02:00:5e:40:00:ff)" "$WORK/pool addr.file" &&
    grep -q "range 'sn2': serial SN0050-SN0060 overlaps range 'sn'" "$WORK/pool addr.file" &&
    pass "pool addr: an overlap is refused naming the other range" ||
    fail "pool addr: overlap message"
grep -A6 '^\$ pool show macs$' "$WORK/pool addr.file" | grep -q '02:00:5e:40:00:01 *assigned *web' &&
    grep -A6 '^\$ pool show macs$' "$WORK/pool addr.file" | grep -q '02:00:5e:40:00:10 *reserved *-' &&
    pass "pool addr: Reserved -> Assigned when the profile takes it, reclaim ends the reservation" ||
    fail "pool addr: states after reclaim"

# ---- 2. JSON against the schema
n=0
"$PSCTL" -q --pool "$URL" spare-pool create js hb#vm1 image:/x.img >/dev/null 2>&1
for cmd in "pool list" "pool show wwns" "pool allocate ids --count 2 --for db" "spare-pool list"; do
    # shellcheck disable=SC2086
    "$PSCTL" -q --pool "$URL" $cmd --json > "$WORK/j.json" 2>/dev/null &&
        $VALIDATE "$WORK/j.json" >/dev/null 2>&1 && n=$((n + 1))
done
[ $n = 4 ] && pass "pool addr: pool list/show/allocate, spare-pool list --json validate against the schema" ||
    fail "pool addr: $n of 4 JSON documents validate"
"$PSCTL" -q --pool "$URL" spare-pool delete js >/dev/null 2>&1

# ---- 3. records are keys
[ "$(etcdctl --endpoints "$EPS" get --print-value-only /pstate/range/wwns)" = \
  "wwns wwn 20:00:00:25:b5:00:00:01 20:00:00:25:b5:00:0f:ff" ] &&
    [ "$(etcdctl --endpoints "$EPS" get --print-value-only /pstate/resv/wwn/20:00:00:25:b5:00:00:01)" = \
      "wwn 20:00:00:25:b5:00:00:01 -" ] &&
    pass "pool addr: a range and a reservation are etcd keys" || fail "pool addr: etcd keys"

# ---- 4. parallel allocations on etcd
"$PSCTL" -q --pool "$URL" pool create par --kind mac --first 02:00:5e:50:00:01 --last 02:00:5e:50:00:40 >/dev/null 2>&1
for i in 1 2 3 4 5 6; do
    "$PSCTL" -q --pool "$URL" pool allocate par --for p$i > "$WORK/a$i" 2>"$WORK/e$i" &
done
wait
got=$(cat "$WORK"/a? | sort -u | wc -l)
resv=$(etcdctl --endpoints "$EPS" get --prefix --keys-only /pstate/resv/mac/02:00:5e:50 | grep -c .)
[ "$got" = 6 ] && [ "$resv" = 6 ] &&
    pass "pool addr: 6 parallel allocations on etcd: 6 distinct identifiers, 6 reservation keys" ||
    { fail "pool addr: parallel allocations: $got distinct, $resv keys"; cat "$WORK"/e?; }
# Overlapping ranges created at once: exactly one (every range create
# rewrites /pstate/rangeset, so the others run again and see it).
for i in 1 2 3 4; do
    "$PSCTL" -q --pool "$URL" pool create ov$i --kind mac --first 02:00:5e:51:00:0$i --last 02:00:5e:51:00:f$i > /dev/null 2>"$WORK/ov$i" &
done
wait
made=$("$PSCTL" -q --pool "$URL" pool list 2>/dev/null | grep -c '^ov')
[ "$made" = 1 ] && cat "$WORK"/ov? | grep -q 'ranges never overlap' &&
    pass "pool addr: 4 overlapping ranges created at once on etcd: exactly one made, the others refused naming it" ||
    { fail "pool addr: overlapping creates at once: $made made"; cat "$WORK"/ov?; }

# ---- 5. spare pools
mkhost() { # IMAGE: a host with VMs vm1..vm6, one NIC each
    "$PSCTL" -q -i "$1" init >/dev/null 2>&1
    for v in vm1 vm2 vm3 vm4 vm5 vm6; do
        "$PSCTL" -q -i "$1" vm create $v --memory 256MiB >/dev/null &&
            "$PSCTL" -q -i "$1" nic add $v eth0 >/dev/null || return 1
    done
}
sseq() { # HOST-IMAGE POOL-OPTION...
    host=$1; shift
    for cmd in "server create hb --target image:$host" \
        "profile create sweb --macs 02:00:5e:60:00:01" "profile create sdb --macs 02:00:5e:60:00:02" \
        "profile assign sweb hb#vm1" "profile assign sdb hb#vm2" \
        "spare-pool create sp hb#vm1 hb#vm2 image:$WORK/gone.img hb#vm3 hb#vm4" \
        "spare-pool create sp hb#vm5" "spare-pool list" "spare-pool list --json" \
        "profile failover hb#vm1 --spare-pool sp" "profile failover hb#vm3 --spare-pool nosuch" \
        "spare-pool create tiny hb#vm3" "profile failover hb#vm2 --spare-pool tiny" \
        "profile list" "spare-pool delete tiny" "spare-pool delete tiny"; do
        echo "\$ $cmd"
        # shellcheck disable=SC2086
        "$PSCTL" "$@" $cmd 2>&1
        echo "exit $?"
    done | grep -v '^psctl: store:' | sed "s|$host|HOST|g"
}
mkhost "$WORK/h1.img" && mkhost "$WORK/h2.img" || fail "pool spare: preparing hosts"
"$PSCTL" -q -i "$WORK/pool2.img" init >/dev/null 2>&1
"$PSCTL" -q --pool "$URL" profile delete web >/dev/null 2>&1
sseq "$WORK/h1.img" -i "$WORK/pool2.img" > "$WORK/sfile.out"
sseq "$WORK/h2.img" --pool "$URL" > "$WORK/setcd.out"
if diff -u "$WORK/sfile.out" "$WORK/setcd.out" > "$WORK/sdiff"; then
    pass "pool spare: same output and exit codes on the file pool and etcd ($(grep -c '^\$' "$WORK/sfile.out") commands)"
else
    fail "pool spare: output differs:"; cat "$WORK/sdiff"
fi
grep -q "spare hb#vm2 skipped: .*already carries profile 'sdb'" "$WORK/setcd.out" &&
    grep -q "spare image:$WORK/gone.img skipped: .*unreachable" "$WORK/setcd.out" &&
    grep -q "profile 'sweb' moved to image:HOST#vm3" "$WORK/setcd.out" &&
    grep -q "spare-pool 'tiny': no eligible spare (hb#vm3: target 'hb#vm3': .*carries profile 'sweb'" "$WORK/setcd.out" &&
    pass "pool spare: failover skips the failed, a busy and an unreachable member, says why when none fits" ||
    { fail "pool spare: picks"; cat "$WORK/setcd.out"; }
# Two failovers at once from one spare pool, both past validation before
# either marks: they picked the same spare; etcd lets one have it.
for p in a b; do
    "$PSCTL" -q --pool "$URL" profile create f$p --macs 02:00:5e:61:00:0$([ $p = a ] && echo 1 || echo 2) >/dev/null 2>&1
done
"$PSCTL" -q --pool "$URL" profile assign fa hb#vm5 >/dev/null 2>&1
"$PSCTL" -q --pool "$URL" profile assign fb hb#vm6 >/dev/null 2>&1
"$PSCTL" -q --pool "$URL" profile unassign sweb >/dev/null 2>&1
"$PSCTL" -q --pool "$URL" spare-pool create race hb#vm3 hb#vm4 >/dev/null 2>&1
PSCTL_TEST_PAUSE_AT=validate:1500 "$PSCTL" --pool "$URL" profile failover hb#vm5 --spare-pool race > "$WORK/ra" 2>&1 &
PSCTL_TEST_PAUSE_AT=validate:1500 "$PSCTL" --pool "$URL" profile failover hb#vm6 --spare-pool race > "$WORK/rb" 2>&1 &
wait
"$PSCTL" -q --pool "$URL" profile list > "$WORK/rl" 2>&1
ta=$(awk '$1 == "fa" {print $5}' "$WORK/rl") tb=$(awk '$1 == "fb" {print $5}' "$WORK/rl")
if [ -n "$ta" ] && [ -n "$tb" ] && [ "$ta" != "$tb" ] &&
    case "$ta$tb" in *vm3*vm4*|*vm4*vm3*) true ;; *) false ;; esac &&
    [ "$(etcdctl --endpoints "$EPS" get --print-value-only "/pstate/target/$ta")" = fa ] &&
    cat "$WORK/ra" "$WORK/rb" | grep -q "already carries profile"; then
    pass "pool spare: two failovers at once from one spare pool: one spare each (vm3, vm4), the loser took the next"
else
    fail "pool spare: concurrent failovers: fa=$ta fb=$tb"; cat "$WORK/ra" "$WORK/rb" "$WORK/rl"
fi
# ---- 6. export and import between the pools
E() { "$PSCTL" -q --pool "$URL" "$@"; }
F() { "$PSCTL" -q -i "$WORK/copy.img" "$@"; }
E profile create gone --macs 02:00:5e:62:00:01 >/dev/null 2>&1
E pool export "$WORK/e.txt" && "$PSCTL" -q -i "$WORK/copy.img" init >/dev/null 2>&1 &&
    F pool import "$WORK/e.txt" >/dev/null || fail "pool io: export/import ran"
same=0
for cmd in "profile list" "server list" "pool list" "spare-pool list" "pool show wwns"; do
    # shellcheck disable=SC2086
    [ "$(E $cmd 2>&1)" = "$(F $cmd 2>&1)" ] && same=$((same + 1))
done
[ $same = 5 ] && pass "pool io: etcd exported, imported into a file pool: profiles, servers, address and spare pools the same" ||
    fail "pool io: $same of 5 lists the same after import"
F profile delete gone >/dev/null 2>&1 && F profile create extra --macs 02:00:5e:62:00:02 >/dev/null 2>&1 &&
    F pool export "$WORK/f.txt" && E pool import "$WORK/f.txt" > "$WORK/imp.out" 2>&1
[ -z "$(etcdctl --endpoints "$EPS" get --print-value-only /pstate/id/mac/02:00:5e:62:00:01)" ] &&
    [ "$(etcdctl --endpoints "$EPS" get --print-value-only /pstate/id/mac/02:00:5e:62:00:02)" = extra ] &&
    [ "$(E profile list 2>&1)" = "$(F profile list 2>&1)" ] &&
    pass "pool io: back into etcd: the removed profile's keys gone, the new one's made" ||
    { fail "pool io: import into etcd"; cat "$WORK/imp.out"; }
printf 'psf 1.0 schema 1 flags 0x00000000;\nroot {\n\tprofiles {\n\t\tprofile {\n\t\t\tname = "d1";\n\t\t\tmac-list = 02:00:5e:63:00:01;\n\t\t}\n\t\tprofile {\n\t\t\tname = "d2";\n\t\t\tmac-list = 02:00:5e:63:00:01;\n\t\t}\n\t}\n}\n' > "$WORK/dup.txt"
E pool import "$WORK/dup.txt" > "$WORK/dup.out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q 'nothing written' "$WORK/dup.out" && [ "$(E profile list 2>&1)" = "$(F profile list 2>&1)" ] &&
    pass "pool io: a file whose profiles share a MAC is refused whole (exit 3), nothing written" ||
    { fail "pool io: duplicate import (exit $rc)"; cat "$WORK/dup.out"; }

# ---- 7. pool check
E pool check > "$WORK/c1" 2>&1; r1=$?
"$PSCTL" -q -i "$WORK/pool2.img" pool check > "$WORK/c2" 2>&1; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && grep -q '0 disagreements' "$WORK/c1" && grep -q '1 target store reached' "$WORK/c2" &&
    pass "pool check: clean on etcd and on the file pool ($(tail -1 "$WORK/c1"))" ||
    { fail "pool check: clean ($r1 $r2)"; cat "$WORK/c1" "$WORK/c2"; }
etcdctl --endpoints "$EPS" put /pstate/id/mac/02:00:5e:64:00:01 sdb >/dev/null
E pool check > "$WORK/c3" 2>&1; r3=$?
[ $r3 = 1 ] && grep -q "disagrees *etcd key '/pstate/id/mac/02:00:5e:64:00:01' names profile 'sdb', which does not hold it" "$WORK/c3" &&
    pass "pool check: an identifier key its profile does not hold: listed, exit 1" ||
    { fail "pool check: lying key ($r3)"; cat "$WORK/c3"; }
mv "$WORK/h1.img" "$WORK/h1.away"
"$PSCTL" -q -i "$WORK/pool2.img" profile unassign sdb --force >/dev/null 2>&1
mv "$WORK/h1.away" "$WORK/h1.img"
"$PSCTL" -q -i "$WORK/pool2.img" pool check > "$WORK/c4" 2>&1; r4=$?
[ $r4 = 1 ] && grep -q "disagrees *image:$WORK/h1.img#vm2 carries profile 'sdb', the pool does not place it there" "$WORK/c4" &&
    pass "pool check: a target still carrying a profile the pool unassigned (identifiers live twice): listed, exit 1" ||
    { fail "pool check: stale copy ($r4)"; cat "$WORK/c4"; }

# ---- 8. an identifier reserved for one profile is that profile's alone
CMDS=$(cat <<'EOF'
pool create rsv --kind mac --first 02:00:5e:7a:00:01 --last 02:00:5e:7a:00:ff
pool create rsw --kind wwn --first 20:00:00:25:b5:60:00:01 --last 20:00:00:25:b5:60:00:ff
pool reserve rsv 02:00:5e:7a:00:05 --for ralice
pool reserve rsw 20:00:00:25:b5:60:00:06 --for ralice
profile create rbob --macs 02:00:5e:7a:00:05
profile create rbob --wwns 20:00:00:25:b5:60:00:06/21:00:00:25:b5:60:00:06
profile create rbob --macs 02:00:5e:7a:00:01
profile set rbob --macs 02:00:5e:7a:00:01,02:00:5e:7a:00:05
pool allocate rsv --for rbob
pool reserve rsv 02:00:5e:7a:00:05 --for rbob
profile create ralice --macs 02:00:5e:7a:00:05 --wwns 20:00:00:25:b5:60:00:06/21:00:00:25:b5:60:00:06
pool reserve rsv 02:00:5e:7a:00:07
profile set rbob --macs 02:00:5e:7a:00:01,02:00:5e:7a:00:07
pool show rsv
EOF
)
RSEQ_CODES="0 0 0 0 4 4 0 4 0 4 0 0 0 0"
both "pool resv" "$RSEQ_CODES" "$WORK/rsv.img"
grep -q "profile 'rbob' cannot use it: reserved by pool reservation 'mac 02:00:5e:7a:00:05' (for profile 'ralice')" "$WORK/pool resv.etcd" &&
    grep -q "profile 'rbob' cannot use it: reserved by pool reservation 'wwn 20:00:00:25:b5:60:00:06' (for profile 'ralice')" "$WORK/pool resv.etcd" &&
    pass "pool resv: another profile taking a reserved MAC or WWN is refused naming the reservation (etcd)" ||
    { fail "pool resv: refusal message"; cat "$WORK/pool resv.etcd"; }
grep -A4 '^\$ pool show rsv$' "$WORK/pool resv.etcd" | grep -q '02:00:5e:7a:00:05 *assigned *ralice' &&
    grep -A4 '^\$ pool allocate rsv --for rbob$' "$WORK/pool resv.etcd" | grep -q '^02:00:5e:7a:00:02$' &&
    pass "pool resv: the profile it is reserved for takes it; an allocation for another skips it" ||
    { fail "pool resv: owner / allocation"; cat "$WORK/pool resv.etcd"; }
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
