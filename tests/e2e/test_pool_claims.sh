# The etcd pool's claim keys (docs/pool.md key layout: /pstate/target/,
# /pstate/source/, /pstate/srvtarget/) on a pool written before some of
# them existed, or edited behind psctl's back: `pool check` names each
# missing, wrong or stale key as a disagreement (exit 1) with `pool
# reindex` as the fix; `pool reindex` writes them; then profile show
# names the server again and a second server with that target is refused.
echo "== pool on etcd: claim keys checked and rebuilt"

etcd_pool "pool claims" || return 0
export PSTATE_POOL_TIMEOUT_MS=5000
P() { "$PSCTL" -q --pool "$URL" "$@"; }
E() { etcdctl --endpoints "$EPS" "$@" >/dev/null 2>&1; }
keys() { etcdctl --endpoints "$EPS" get --prefix --keys-only "$1" 2>/dev/null | grep .; }

"$PSCTL" -q -i "$WORK/h1.img" init >/dev/null 2>&1
"$PSCTL" -q -i "$WORK/h1.img" vm create vm1 --memory 256MiB >/dev/null &&
    "$PSCTL" -q -i "$WORK/h1.img" nic add vm1 eth0 >/dev/null || fail "pool claims: preparing h1"
T=image:$WORK/h1.img
{ P server create s1 --target "$T" && P profile create web &&
    P profile assign web s1#vm1; } >/dev/null 2>&1 || fail "pool claims: pool set-up"
SK=$(keys /pstate/srvtarget/)
TK=$(keys /pstate/target/)
[ -n "$SK" ] && [ -n "$TK" ] && P pool check >/dev/null 2>&1 &&
    pass "pool claims: a pool psctl wrote has its claim keys and pool check agrees" ||
    fail "pool claims: set-up keys '$SK' '$TK'"

# A pool written before the server index: no srvtarget key.
E del --prefix /pstate/srvtarget/
P profile show web > "$WORK/show0" 2>&1
P pool check > "$WORK/chk" 2>&1
rc=$?
[ $rc = 1 ] && ! grep -q "^server" "$WORK/show0" &&
    grep -q "^disagrees    etcd key '$SK' is missing (server 's1' claims it): psctl pool reindex writes it" "$WORK/chk" &&
    pass "pool claims: pool check names the missing srvtarget key and pool reindex (exit 1)" ||
    fail "pool claims: missing srvtarget: exit $rc: $(cat "$WORK/chk" "$WORK/show0")"

# A profile's target key gone, a stale target key, a srvtarget key (put
# back) naming another server: each said.
E del "$TK"
E put /pstate/target/image:/nowhere.img#vm9 ghost
P pool check > "$WORK/chk" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "^disagrees    etcd key '$TK' is missing (profile 'web' claims it)" "$WORK/chk" &&
    grep -q "^disagrees    etcd key '/pstate/target/image:/nowhere.img#vm9' names 'ghost', which does not claim it: psctl pool reindex deletes it" "$WORK/chk" &&
    pass "pool claims: pool check names a missing and a stale target key (exit 1)" ||
    fail "pool claims: target keys: exit $rc: $(cat "$WORK/chk")"
"$PSCTL" --pool "$URL" pool reindex > "$WORK/ri" 2>&1 &&
    grep -q "pool reindex: 3 claim keys written or deleted" "$WORK/ri" &&
    [ "$(keys /pstate/srvtarget/)" = "$SK" ] && [ "$(keys /pstate/target/)" = "$TK" ] &&
    P pool check > "$WORK/chk" 2>&1 &&
    pass "pool claims: pool reindex writes and deletes them (3 keys; pool check 0)" ||
    fail "pool claims: reindex: $(cat "$WORK/ri" "$WORK/chk")"
E put "$SK" s9
P pool check > "$WORK/chk" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "^disagrees    etcd key '$SK' names 's9', not server 's1' (who claims it): psctl pool reindex rewrites it" "$WORK/chk" &&
    pass "pool claims: pool check names a srvtarget key naming another server (exit 1)" ||
    fail "pool claims: wrong srvtarget: exit $rc: $(cat "$WORK/chk")"
P pool reindex >/dev/null 2>&1 && P pool check >/dev/null 2>&1 &&
    pass "pool claims: pool reindex rewrites it (pool check 0)" || fail "pool claims: rewrite"

# After the repair the index serves: profile show names the server, a
# second server with that target is refused naming s1.
P profile show web > "$WORK/show" 2>&1
grep -q "^server  *s1" "$WORK/show" &&
    pass "pool claims: profile show names the server after reindex" ||
    fail "pool claims: profile show: $(cat "$WORK/show")"
P server create s2 --target "$T" > "$WORK/out" 2>&1
rc=$?
[ $rc = 4 ] && grep -q "already in use by server 's1'" "$WORK/out" &&
    pass "pool claims: a second server with s1's target is refused after reindex (exit 4)" ||
    fail "pool claims: second server: exit $rc: $(cat "$WORK/out")"
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
