# Address pools (docs/pool.md "Address pools") on the file pool and on a
# real three-node etcd cluster (tests/e2e/etcd_cluster.sh):
#  1. the same command sequence (create, overlap refused, allocate,
#     reserve, release, reclaim, delete, JSON) gives the same output and
#     exit codes on both, its codes pinned;
#  2. the JSON documents validate against docs/psctl-output.schema.json;
#  3. each record is its etcd key (/pstate/range/, /pstate/resv/);
#  4. 6 processes allocating from one range at once on etcd: 6 distinct
#     identifiers, 6 reservations (each allocate's txn creates its
#     reservation key with create_revision 0: a loser picks again).
echo "== address pools: file pool and etcd, same output; parallel allocations"
command -v etcd >/dev/null || { fail "pool addr: etcd not installed (scripts/install-deps.sh)"; return 0; }
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
CL=$WORK/etcd
URL=$("$ROOT/tests/e2e/etcd_cluster.sh" start "$CL") || { fail "pool addr: cluster did not start"; return 0; }
trap '"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"' EXIT INT TERM
EPS=$(cat "$CL/endpoints")
export PSTATE_POOL_TIMEOUT_MS=2000
VALIDATE="python3 $ROOT/tests/e2e/json_schema.py $ROOT/docs/psctl-output.schema.json"

aseq() { # POOL-OPTION...: every command's output and exit code
    for cmd in "pool create macs --kind mac --first 02:00:5e:40:00:01 --last 02:00:5e:40:00:ff" \
        "pool create wide --kind mac --first 02:00:5e:40:00:f0 --last 02:00:5e:40:01:ff" \
        "pool create macs --kind wwn --first 20:00:00:25:b5:00:00:01 --last 20:00:00:25:b5:00:00:09" \
        "pool create wwns --kind wwn --first 20:00:00:25:b5:00:00:01 --last 20:00:00:25:b5:00:0f:ff" \
        "pool create sn --kind serial --first SN0001 --last SN0100" \
        "pool create sn2 --kind serial --first SN0050 --last SN0060" \
        "pool create ids --kind uuid --first 6a0f1e2d-3c4b-4a59-8687-000000000001 --last 6a0f1e2d-3c4b-4a59-8687-0000000000ff" \
        "pool create sn3 --kind serial --first SN00050 --last SN00060" \
        "pool create bad --kind mac --first 02:00:5e:40:00:09 --last 02:00:5e:40:00:01" \
        "pool allocate macs --count 3 --for web" \
        "profile create web --macs 02:00:5e:40:00:01,02:00:5e:40:00:02" \
        "pool reserve macs 02:00:5e:40:00:01" "pool reserve macs 02:00:5e:40:00:03" \
        "pool reserve macs 02:00:5e:40:00:10" "pool reserve macs 02:00:5e:41:00:10" \
        "pool allocate sn --count 2" "pool allocate ids" "pool allocate nosuch" \
        "pool release macs 02:00:5e:40:00:01" "pool release macs 02:00:5e:40:00:20" \
        "pool delete macs" "pool reclaim macs" "pool show macs" \
        "pool release macs 02:00:5e:40:00:10" "pool list" "pool show macs --json" \
        "pool allocate wwns --count 2 --json" "pool release sn SN0001" \
        "pool release sn SN0002" "pool delete sn" "pool list --json"; do
        echo "\$ $cmd"
        # shellcheck disable=SC2086
        "$PSCTL" -q "$@" $cmd 2>&1
        echo "exit $?"
    done
}
ASEQ_CODES="0 4 4 0 0 4 0 0 3 0 0 4 4 0 3 0 0 5 4 5 4 0 0 0 0 0 0 0 0 0 0"
"$PSCTL" -q -i "$WORK/pool.img" init >/dev/null 2>&1
aseq -i "$WORK/pool.img" > "$WORK/file.out"
aseq --pool "$URL" > "$WORK/etcd.out"
if diff -u "$WORK/file.out" "$WORK/etcd.out" > "$WORK/diff"; then
    pass "pool addr: same output and exit codes on the file pool and etcd ($(grep -c '^\$' "$WORK/file.out") commands)"
else
    fail "pool addr: output differs:"; cat "$WORK/diff"
fi
codes=$(sed -n 's/^exit //p' "$WORK/etcd.out" | paste -sd' ' -)
[ "$codes" = "$ASEQ_CODES" ] && pass "pool addr: the sequence's exit codes are the expected ones" ||
    { fail "pool addr: exit codes '$codes', want '$ASEQ_CODES'"; cat "$WORK/etcd.out"; }
grep -q "range 'wide': mac 02:00:5e:40:00:f0-02:00:5e:40:01:ff overlaps range 'macs' (02:00:5e:40:00:01-02:00:5e:40:00:ff)" "$WORK/file.out" &&
    grep -q "range 'sn2': serial SN0050-SN0060 overlaps range 'sn'" "$WORK/file.out" &&
    pass "pool addr: an overlap is refused naming the other range" ||
    fail "pool addr: overlap message"
grep -A6 '^\$ pool show macs$' "$WORK/file.out" | grep -q '02:00:5e:40:00:01 *assigned *web' &&
    grep -A6 '^\$ pool show macs$' "$WORK/file.out" | grep -q '02:00:5e:40:00:10 *reserved *-' &&
    pass "pool addr: Reserved -> Assigned when the profile takes it, reclaim ends the reservation" ||
    fail "pool addr: states after reclaim"

# ---- 2. JSON against the schema
n=0
for cmd in "pool list" "pool show wwns" "pool allocate ids --count 2 --for db"; do
    # shellcheck disable=SC2086
    "$PSCTL" -q --pool "$URL" $cmd --json > "$WORK/j.json" 2>/dev/null &&
        $VALIDATE "$WORK/j.json" >/dev/null 2>&1 && n=$((n + 1))
done
[ $n = 3 ] && pass "pool addr: pool list/show/allocate --json validate against the schema" ||
    fail "pool addr: $n of 3 JSON documents validate"

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
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
