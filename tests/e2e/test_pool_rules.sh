# The address pools' rules below the front ends (pstate/ps_pool.h): a
# store whose pool records break them -- planted straight into an image's
# slot, as a writer outside pstate's gates would -- fails `psctl check`
# (exit 1, one line naming each record and why) and is refused by
# `psctl import` (exit 3, nothing written), while the sound pool passes
# both.  (The BMC's element write: test_gate_writers.sh.)
echo "== pool rules: check and import hold a pool's records to the rules"

IMG=$WORK/pool.img
L() { "$PSCTL" -q -i "$IMG" "$@"; }
L init >/dev/null 2>&1 &&
    L pool create macs --kind mac --first 02:00:5e:40:00:01 --last 02:00:5e:40:00:ff &&
    L pool create sn --kind serial --first SN0001 --last SN0999 &&
    L pool allocate macs --count 2 >/dev/null &&
    L pool reserve sn SN0042 --for web >/dev/null &&
    L spare-pool create rack4 hb#vm3 bmc://10.0.4.17 >/dev/null &&
    L export -o "$WORK/good.txt" && L export --binary -o "$WORK/good.psf" ||
    fail "pool rules: preparing the pool"
expect_exit 0 "pool rules: the sound pool passes check" -- L check
cp "$IMG" "$WORK/clean.img"

# plant NAME TEXT-FILE: the image with TEXT-FILE's store in its newest
# slot, no gate passed on the way.
plant() {
    "$PSFTOOL" compile "$2" -o "$WORK/$1.psf" 2>"$WORK/err" ||
        fail "pool rules: psftool compile $1: $(cat "$WORK/err")"
    python3 "$E2E_DIR/store_img.py" put "$WORK/clean.img" "$WORK/$1.img" \
        "$WORK/$1.psf"
}

# A range overlapping 'macs', a reservation spelt in capitals, one in no
# range, one twice: four records, four lines.
R='@0x00030001' V='@0x00030002'
sed -e "s/^\t@0x80030100 {\$/&\n\t\t$R = \"wide mac 02:00:5e:40:00:f0 02:00:5e:40:01:ff\";\
\n\t\t$V = \"mac 02:00:5E:40:00:07 -\";\
\n\t\t$V = \"wwn 20:00:00:25:b5:00:00:01 -\";\
\n\t\t$V = \"serial SN0042 db\";/" \
    "$WORK/good.txt" > "$WORK/bad.txt"
cmp -s "$WORK/good.txt" "$WORK/bad.txt" && fail "pool rules: the sed changed nothing"
plant bad "$WORK/bad.txt"
expect_exit 1 "pool rules: check of the planted pool" -- \
    "$PSCTL" -q -i "$WORK/bad.img" check
for want in \
    "problem: pool range 'macs': mac 02:00:5e:40:00:01-02:00:5e:40:00:ff overlaps range 'wide' (02:00:5e:40:00:f0-02:00:5e:40:01:ff): ranges never overlap" \
    "problem: pool reservation record 2 'mac 02:00:5E:40:00:07 -': mac '02:00:5E:40:00:07': not in the form psctl prints it" \
    "problem: pool reservation 'wwn 20:00:00:25:b5:00:00:01': in no wwn range" \
    "problem: pool reservation 'serial SN0042': reserved twice"
do
    grep -qF -- "$want" "$WORK/out" && pass "pool rules: check says '$want'" ||
        fail "pool rules: check lacks '$want': $(cat "$WORK/out")"
done
[ "$(grep -c '^problem: ' "$WORK/out")" = 4 ] &&
    pass "pool rules: one line per broken record" ||
    fail "pool rules: lines: $(cat "$WORK/out")"
grep -qF ': 4 problems' "$WORK/out" && pass "pool rules: check counts 4" ||
    fail "pool rules: check's summary: $(tail -n 1 "$WORK/out")"

# The commands read the planted pool; each refuses what the rule says.
expect_exit 4 "pool rules: pool create over the planted range" -- \
    "$PSCTL" -q -i "$WORK/bad.img" pool create more --kind mac \
    --first 02:00:5e:40:01:f0 --last 02:00:5e:40:02:00
expect_err "pool rules: pool create" "overlaps range 'wide'"

# import: every form of the bad store refused, the image unchanged.
h0=$(hash_of "$IMG")
for f in bad.txt bad.psf; do
    expect_exit 3 "pool rules: import $f" -- L import "$WORK/$f"
    expect_err "pool rules: import $f" "problem: pool range 'macs': mac 02:00:5e:40:00:01-02:00:5e:40:00:ff overlaps range 'wide'"
    expect_err "pool rules: import $f" "4 problems in the new store; nothing written"
    [ "$(hash_of "$IMG")" = "$h0" ] && pass "pool rules: import $f wrote nothing" ||
        fail "pool rules: import $f changed the image"
done

# The sound pool, planted and imported the same way: no problem.
plant good "$WORK/good.txt"
expect_exit 0 "pool rules: check of the sound planted pool" -- \
    "$PSCTL" -q -i "$WORK/good.img" check
expect_exit 0 "pool rules: import of the sound pool" -- L import "$WORK/good.psf"
expect_exit 0 "pool rules: the pool still passes check" -- L check
