# The etcd pool's list index (docs/pool.md "The list index"), on a real
# three-node etcd cluster:
#  1. a pool written before the index lists the old way; `pool reindex`
#     builds it;
#  2. after creates, edits, assign, move, failover, unassign and deletes
#     (and server creates, edits, deletes: the "(server NAME)" note)
#     the list read from the index (one request) equals the list read
#     from the profile keys (PSTATE_POOL_INDEX=0), text and --json, and
#     `pool check` agrees;
#  3. 8 processes creating profiles that hash to one bucket at once: every
#     row is there (each lost compare on the bucket runs again);
#  4. `pool check` finds a planted disagreement (a row removed, a profile
#     key deleted behind psctl's back, a reindex left half-way), exit 1;
#     an index not ready is not read; reindex repairs it;
#  5. `pool import` into a pool without an index builds it.
echo "== pool on etcd: the list index"
command -v python3 >/dev/null || { fail "pool index: python3 not installed"; return 0; }

etcd_pool "pool index" || return 0
export PSTATE_POOL_TIMEOUT_MS=5000
P() { "$PSCTL" -q --pool "$URL" "$@"; }
etcdget() { etcdctl --endpoints "$EPS" get --print-value-only "$1" 2>/dev/null; }
# py CODE: python with bucket(NAME), a name's list index bucket (CRC-32C
# of the name modulo 1024, as psf_crc32c).
py() {
    python3 -c 'def bucket(s):
    c = 0xffffffff
    for b in s.encode():
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
    return (c ^ 0xffffffff) % 1024
'"$1"
}

# same TAG [--json]: the list from the index (one request: the index's
# range) = the list from the profile keys (text; and JSON when asked);
# with --json pool check agrees too (every row's bytes and revision).
same() {
    ok=1
    for j in "" ${2:-}; do
        PSTATE_POOL_STATS=1 "$PSCTL" -q --pool "$URL" $j profile list > "$WORK/ix$j" 2> "$WORK/ix.err" || ok=0
        PSTATE_POOL_INDEX=0 "$PSCTL" -q --pool "$URL" $j profile list > "$WORK/keys$j" 2>/dev/null || ok=0
        cmp -s "$WORK/ix$j" "$WORK/keys$j" || ok=0
        grep -q "pool: 1 requests" "$WORK/ix.err" || ok=0
    done
    [ -z "${2:-}" ] || P pool check > "$WORK/chk" 2>&1 || ok=0
    n=$(($(wc -l < "$WORK/keys") - 1))
    [ $ok = 1 ] && pass "pool index: $1: the index lists what the keys do ($n profiles${2:+, text and json; pool check 0})" ||
        { fail "pool index: $1: lists differ"; diff "$WORK/ix$j" "$WORK/keys$j" | head; cat "$WORK/ix.err" "$WORK/chk"; }
}

# ---- 1. a pool written before the index
for p in old1 old2 old3; do P profile create $p >/dev/null || fail "pool index: create $p"; done
P profile list > "$WORK/l0" && [ "$(wc -l < "$WORK/l0")" = 4 ] && [ -z "$(etcdget /pstate/index/meta)" ] &&
    pass "pool index: a pool without the index lists from the profile keys" ||
    fail "pool index: pre-index list: $(cat "$WORK/l0")"
"$PSCTL" --pool "$URL" pool reindex > "$WORK/out" 2>&1 && grep -q "pool reindex: 3 profiles in 1024 buckets" "$WORK/out" &&
    [ "$(etcdget /pstate/index/meta)" = "buckets 1024 ready" ] &&
    pass "pool index: pool reindex builds it (meta 'buckets 1024 ready')" ||
    fail "pool index: reindex: $(cat "$WORK/out")"
same "after reindex"

# ---- 2. every kind of change keeps it
for h in h1 h2; do
    "$PSCTL" -q -i "$WORK/$h.img" init >/dev/null 2>&1
    for v in vm1 vm2 vm3; do
        "$PSCTL" -q -i "$WORK/$h.img" vm create $v --memory 256MiB >/dev/null &&
            "$PSCTL" -q -i "$WORK/$h.img" nic add $v eth0 >/dev/null || fail "pool index: preparing $h"
    done
done
T1="image:$WORK/h1.img" T2="image:$WORK/h2.img"
P server create rack1 --target "$T1" >/dev/null && P server create rack2 --target "$T2" >/dev/null &&
    P server set rack2 --description spare >/dev/null || fail "pool index: server create and set"
P profile create web --macs 02:00:5e:71:00:01 --serial SN-IX-1 >/dev/null &&
    P profile create db --macs 02:00:5e:71:00:02 >/dev/null &&
    P profile set old2 --description edited >/dev/null || fail "pool index: creates and set"
same "after creates and a set"
P profile assign web "$T1#vm1" >/dev/null && P profile assign db "$T1#vm2" >/dev/null &&
    P profile move db "$T1#vm3" >/dev/null || fail "pool index: assign and move"
same "after assign and move"
P profile failover "$T1#vm1" "$T2#vm1" >/dev/null || fail "pool index: failover"
same "after a failover" --json
grep -q "^web .*h2.img#vm1" "$WORK/keys" && pass "pool index: the failover's row names the spare" ||
    fail "pool index: after the failover: $(cat "$WORK/keys")"
P profile unassign db >/dev/null && P profile delete db >/dev/null && P profile delete old1 >/dev/null &&
    P server delete rack1 >/dev/null ||
    fail "pool index: unassign and deletes"
same "after unassign and deletes" --json

# ---- 3. concurrent creates into one bucket
names=$(py 'import itertools as it
w = bucket("web")
print(" ".join(it.islice((n for n in ("c%d" % i for i in it.count()) if bucket(n) == w), 8)))')
for n in $names; do P profile create "$n" > "$WORK/c.$n" 2>&1 & done
wait
bad=0
for n in $names; do grep -q . "$WORK/c.$n" && bad=1; done
P profile list > "$WORK/lc"
found=0
for n in $names; do grep -q "^$n " "$WORK/lc" && found=$((found + 1)); done
[ $bad = 0 ] && [ $found = 8 ] &&
    pass "pool index: 8 concurrent creates in web's bucket: all 8 rows listed" ||
    fail "pool index: concurrent creates: $found of 8 listed; $(cat "$WORK"/c.c*)"
same "after concurrent creates" --json

# ---- 4. a planted disagreement
b=$(py 'print("%04u" % bucket("old2"))')
etcdctl --endpoints "$EPS" del "/pstate/index/p/$b" >/dev/null
etcdctl --endpoints "$EPS" del /pstate/profile/old3 >/dev/null
P pool check > "$WORK/chk" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "^disagrees    list index: etcd key '/pstate/profile/old2' has no row in etcd key '/pstate/index/p/$b'" "$WORK/chk" &&
    grep -q "^disagrees    list index: etcd key '/pstate/index/p/[0-9]*' has a row for '/pstate/profile/old3', which does not exist" "$WORK/chk" &&
    pass "pool index: pool check finds a removed row and a row without its profile (exit 1)" ||
    fail "pool index: pool check of a planted disagreement: exit $rc: $(cat "$WORK/chk")"
# A reindex left half-way (meta "building"): lists read the keys (more
# than the index's one request), pool check names it.
etcdctl --endpoints "$EPS" put /pstate/index/meta "buckets 1024 building" >/dev/null
PSTATE_POOL_STATS=1 "$PSCTL" -q --pool "$URL" profile list > "$WORK/lb" 2> "$WORK/lb.err"
PSTATE_POOL_INDEX=0 "$PSCTL" -q --pool "$URL" profile list > "$WORK/lk" 2>/dev/null
P pool check > "$WORK/chk" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "^disagrees    list index: etcd key '/pstate/index/meta': not 'buckets 1024 ready'" "$WORK/chk" &&
    ! grep -q "pool: 1 requests" "$WORK/lb.err" && cmp -s "$WORK/lb" "$WORK/lk" &&
    pass "pool index: an index not ready is not read (the keys list), pool check says so (exit 1)" ||
    fail "pool index: meta building: exit $rc: $(cat "$WORK/chk" "$WORK/lb.err")"
P pool reindex >/dev/null && P pool check >/dev/null 2>&1 &&
    pass "pool index: pool reindex repairs it (pool check 0)" || fail "pool index: reindex did not repair"
same "after the repair"

# ---- 5. pool import builds it
P pool export "$WORK/pool.txt" >/dev/null || fail "pool index: export"
etcdctl --endpoints "$EPS" del --prefix /pstate/index/ >/dev/null
P profile create late >/dev/null   # written while there is no index
P pool import "$WORK/pool.txt" > "$WORK/out" 2>&1 && [ "$(etcdget /pstate/index/meta)" = "buckets 1024 ready" ] &&
    pass "pool import into a pool without the index builds it" ||
    fail "pool index: import: $(cat "$WORK/out")"
same "after pool import" --json
grep -q "^late " "$WORK/keys" && fail "pool index: import left profile late" ||
    pass "pool index: the import removed what FILE lacks (late), index included"
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
