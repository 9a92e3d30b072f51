# One store, several paths to it: psctl opens and locks a store by the
# library's one rule (ps_open_path, ps_open_lock), so an image file, the
# loop device of it and that device's partition node name one store and
# take one writers' lock, keyed by the store (volume id and place), not
# by the path.  Writers on two paths at once lose nothing.  A profile
# move between two stores of one key (a byte copy) is refused.
echo "== psctl paths: one store, one lock, whichever path names it"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE PSTATE_LOCK_FILE
IMG=$WORK/paths.img
LOOP=
ps() { "$PSCTL" -q "$@"; }
trap '[ -n "$LOOP" ] && { partx -d "$LOOP" >/dev/null 2>&1; losetup -d "$LOOP" >/dev/null 2>&1; }' \
    EXIT INT TERM

ps -i "$IMG" init --size 16M >/dev/null 2>&1 || fail "paths: init the image"

# ---- the lock file is the store's, not the path's
sem() { ps "$@" info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["semaphore"])'; }
lockfile() { sem "$@" | sed -n 's/.*advisory flock on \([^ ]*\) .*/\1/p'; }
LI=$(lockfile -i "$IMG")
case $LI in
    "$WORK"/pstate-*.lock) pass "info names the lock file ($LI)" ;;
    *) fail "info's semaphore row: $(sem -i "$IMG" 2>&1)" ;;
esac
ln -s "$IMG" "$WORK/link.img"
[ "$(lockfile -i "$WORK/link.img")" = "$LI" ] &&
    pass "a symlink to the image: the same lock" ||
    fail "symlink: $(lockfile -i "$WORK/link.img") vs $LI"

LOOP=$(losetup -f --show "$IMG" 2>"$WORK/err") ||
    fail "losetup (needs root and loop devices): $(cat "$WORK/err")"
partx -a "$LOOP" 2>/dev/null
n=0
until [ -b "${LOOP}p4" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
if [ -b "${LOOP}p4" ]; then
    P4=${LOOP}p4
    [ "$(lockfile -d "$P4")" = "$LI" ] &&
        pass "-d $P4 and -i IMG: one lock file" ||
        fail "-d $P4: $(sem -d "$P4" 2>&1) vs $LI"
    [ "$(lockfile -d "$LOOP")" = "$LI" ] &&
        pass "-d $LOOP (whole) and -i IMG: one lock file" ||
        fail "-d $LOOP: $(sem -d "$LOOP" 2>&1) vs $LI"
    # The whole device is read through its partition's node.
    "$PSCTL" -d "$LOOP" info > "$WORK/out" 2>&1 &&
        grep -q "store: device:$LOOP dos partition #4" "$WORK/out" &&
        pass "-d $LOOP: the pstate partition of the whole device" ||
        fail "-d $LOOP info: $(head -c 300 "$WORK/out")"

    # Writers on both paths at once: every create lands.
    N=12
    ( i=0; while [ $i -lt $N ]; do
          ps -i "$IMG" net create img$i >/dev/null 2>>"$WORK/w1.err" ||
              echo "img$i failed" >> "$WORK/w1.err"
          i=$((i + 1)); done ) &
    w1=$!
    ( i=0; while [ $i -lt $N ]; do
          ps -d "$P4" net create dev$i >/dev/null 2>>"$WORK/w2.err" ||
              echo "dev$i failed" >> "$WORK/w2.err"
          i=$((i + 1)); done ) &
    w2=$!
    wait $w1 $w2
    got=$(ps -i "$IMG" net list --json 2>/dev/null | python3 -c '
import json, sys
print(len([n for n in json.load(sys.stdin)["items"] if n["name"].startswith(("img", "dev"))]))')
    [ "$got" = $((2 * N)) ] &&
        pass "$N creates through -i and $N through -d $P4 at once: all $got present" ||
        fail "concurrent writers on two paths: $got of $((2 * N)); $(cat "$WORK"/w?.err 2>/dev/null | head -c 300)"
    ps -d "$P4" check >/dev/null 2>&1 && pass "check through $P4 after the writers" ||
        fail "check: $(ps -d "$P4" check 2>&1 | head -c 300)"
else
    fail "no partition node ${LOOP}p4: $(ls /dev/loop* 2>&1 | tr '\n' ' ')"
fi

# ---- a profile move between two stores of one key (a byte copy)
H=$WORK/host.img POOL=$WORK/pool.img
ps -i "$H" init --size 16M >/dev/null 2>&1 &&
    ps -i "$H" vm create vm1 --memory 256MiB >/dev/null 2>&1 &&
    ps -i "$H" nic add vm1 eth0 >/dev/null 2>&1 ||
    fail "paths: preparing the host image"
cp "$H" "$WORK/copy.img"
ps -i "$POOL" init >/dev/null 2>&1 &&
    ps -i "$POOL" profile create p1 --uuid 5a1f2e3d-4c5b-4a69-9788-a6b5c4d3e2f1 \
        --macs 02:00:5e:30:00:01 >/dev/null 2>&1 ||
    fail "paths: preparing the pool"
expect_exit 0 "assign p1 to image:host#vm1" -- ps -i "$POOL" profile assign p1 "image:$H#vm1"
h=$(hash_of "$WORK/copy.img") hp=$(hash_of "$POOL")
expect_exit 4 "move to a byte copy of the store refused" -- \
    ps -i "$POOL" profile move p1 "image:$WORK/copy.img#vm1"
expect_err "names both and why" "hold one store"
[ "$(hash_of "$WORK/copy.img")" = "$h" ] && [ "$(hash_of "$POOL")" = "$hp" ] &&
    pass "refused move: the copy and the pool unchanged" ||
    fail "refused move changed the copy or the pool"
