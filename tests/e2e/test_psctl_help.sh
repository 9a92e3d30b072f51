# psctl's help, from the command table and the field table: every
# command (walked through the table, as `psctl __complete` lists it) has
# help through `help NOUN VERB`, `NOUN VERB --help` and `-h`, the same
# text, exit 0, and lists every field of its kind; "did you mean" for a
# mistyped command, verb or field; an allowed-word error lists the words.
echo "psctl help"
SAMPLE=$ROOT/docs/examples/default-store.txt
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
IMG=$WORK/help.img
"$PSCTL" -q -i "$IMG" init >/dev/null && "$PSCTL" -q -i "$IMG" import "$SAMPLE" ||
    fail "help: setting up the image failed"
h=$(hash_of "$IMG")

# Every command of the table: store commands, then each noun's verbs.
cmds=$("$PSCTL" __complete "" | grep -v '^:')
[ "$(echo "$cmds" | wc -l)" -ge 15 ] && pass "the table lists commands and nouns" ||
    fail "too few commands: $cmds"
# Store commands take arguments, not verbs (console's first argument
# completes to "list" as well as VM names): only nouns are walked.
store=" $("$PSCTL" help | sed -n '/^store commands:/,/^$/p' | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
all=""
for w in $cmds; do
    case "$store" in *" $w "*) all="$all|$w"; continue ;; esac
    verbs=$("$PSCTL" __complete "$w" "" | grep -v '^:')
    if [ -z "$verbs" ]; then all="$all|$w"; continue; fi
    for v in $verbs; do all="$all|$w $v"; done
done
n=0; bad=""
IFS='|'
for c in $all; do
    [ -n "$c" ] || continue
    unset IFS
    n=$((n + 1))
    # shellcheck disable=SC2086
    "$PSCTL" -i "$WORK/none.img" help $c >"$WORK/h1" 2>"$WORK/err"; r1=$?
    # shellcheck disable=SC2086
    "$PSCTL" -i "$WORK/none.img" $c --help >"$WORK/h2" 2>>"$WORK/err"; r2=$?
    # shellcheck disable=SC2086
    "$PSCTL" -i "$WORK/none.img" $c -h >"$WORK/h3" 2>>"$WORK/err"; r3=$?
    if [ $r1$r2$r3 != 000 ] || [ -s "$WORK/err" ] || ! [ -s "$WORK/h1" ] ||
       ! cmp -s "$WORK/h1" "$WORK/h2" || ! cmp -s "$WORK/h1" "$WORK/h3" ||
       ! grep -q "^  psctl $c" "$WORK/h1"; then
        bad="$bad [$c: exit $r1/$r2/$r3 $(head -c 100 "$WORK/err")]"
    fi
    # Every field of the command's kind (what it completes after --),
    # each with its type.
    # shellcheck disable=SC2086
    for f in $("$PSCTL" __complete $c --); do
        grep -q -- "^  $f[ ]" "$WORK/h1" || bad="$bad [$c: no $f]"
    done
    if grep -q '^FIELDS' "$WORK/h1"; then
        nf=$(grep -c '^  --' "$WORK/h1")
        nt=$(grep -c '^  *type: ' "$WORK/h1")
        [ "$nt" -ge 1 ] && [ "$nt" -le "$nf" ] || bad="$bad [$c: $nt types for $nf options]"
    fi
    IFS='|'
done
unset IFS
[ $n -ge 45 ] && [ -z "$bad" ] && pass "help of all $n commands: exit 0, same for help/--help/-h, every field listed" ||
    fail "help of $n commands:$bad"
[ ! -e "$WORK/none.img" ] && pass "--help opens no store" || fail "--help created the store"

# The fields of vm set are the ones vm show prints (a second source).
"$PSCTL" -q -i "$IMG" help vm set >"$WORK/vmset"
miss=""
for f in $("$PSCTL" -q -i "$IMG" vm show web01 | awk '/^[a-z]/ && !/:$/ { print $1 }'); do
    grep -q -- "^  --$f " "$WORK/vmset" || miss="$miss $f"
done
[ -z "$miss" ] && pass "help vm set lists every field vm show has" ||
    fail "help vm set lacks:$miss"

# What one field's lines say: type, unit, range, default, allowed words.
expect_exit 0 "vm create --help" -- "$PSCTL" -i "$IMG" vm create --help
for t in "--memory SIZE" "unit MiB when bare" "range 0-16TiB" \
         "--power off|on|last" "one of: off, on, last; default: off" \
         "--profile PROFILE" "--cpus N" "range 1-4096" "ARGUMENTS" \
         "the new vm's name"; do
    grep -qF -- "$t" "$WORK/out" && pass "vm create --help says '$t'" ||
        fail "vm create --help lacks '$t'"
done
expect_exit 0 "import FILE --help does not read FILE" -- \
    "$PSCTL" -i "$IMG" import "$WORK/missing" --help
grep -q "^  FILE " "$WORK/out" && ! grep -q "cannot open" "$WORK/err" &&
    pass "import --help describes FILE" || fail "import --help: $(cat "$WORK/out" "$WORK/err")"
expect_exit 0 "help (overview)" -- "$PSCTL" help
for w in vm nic storage serial net image reserve profile server bmc; do
    grep -q "^  $w " "$WORK/out" || fail "psctl help lacks noun $w"
done
grep -q "^  import FILE" "$WORK/out" && pass "psctl help lists the nouns and store commands" ||
    fail "psctl help lacks import"
expect_exit 0 "help vm" -- "$PSCTL" help vm
[ "$(grep -c '^  vm ' "$WORK/out")" -eq 6 ] && pass "help vm lists its 6 verbs" ||
    fail "help vm: $(cat "$WORK/out")"
expect_exit 0 "help serial map" -- "$PSCTL" help serial map
grep -q "^  --mode free|observer|privacy" "$WORK/out" &&
    pass "serial map --mode lists its words" || fail "help serial map: $(cat "$WORK/out")"
expect_exit 0 "help bmc power" -- "$PSCTL" help bmc power
grep -q "one of: status, on, off" "$WORK/out" && pass "bmc power's words" ||
    fail "help bmc power: $(cat "$WORK/out")"

# Did you mean: a mistyped field, verb, noun or command; nothing written.
expect_exit 2 "mistyped field" -- "$PSCTL" -i "$IMG" vm set web01 --memroy 4G
expect_err "field suggestion" "memroy: no such field for vm (did you mean --memory?)"
expect_exit 2 "mistyped field of a NIC" -- "$PSCTL" -i "$IMG" nic set web01 eth0 --netwrok lan
expect_err "NIC field suggestion" "(did you mean --network?)"
expect_exit 2 "mistyped verb" -- "$PSCTL" -i "$IMG" vm craete x
expect_err "verb suggestion" "did you mean 'vm create'?"
expect_exit 2 "mistyped noun" -- "$PSCTL" -i "$IMG" vmm list
expect_err "noun suggestion" "did you mean 'vm'?"
expect_exit 2 "mistyped command" -- "$PSCTL" -i "$IMG" ifno
expect_err "command suggestion" "did you mean 'info'?"
expect_exit 2 "help of a mistyped verb" -- "$PSCTL" help vm craete
expect_err "help suggests too" "did you mean 'vm create'?"
expect_exit 2 "far from any field" -- "$PSCTL" -i "$IMG" vm set web01 --colour red
grep -q "did you mean" "$WORK/err" && fail "suggested for colour: $(cat "$WORK/err")" ||
    pass "no suggestion when nothing is near"
expect_exit 2 "mistyped option of init" -- "$PSCTL" -i "$WORK/x.img" init --slot 3
expect_err "init option suggestion" "init: slot: unknown option (did you mean --slots?)"
[ ! -e "$WORK/x.img" ] && pass "a mistyped option creates nothing" || fail "init --slot made the image"
expect_exit 2 "mistyped option of profile move" -- "$PSCTL" -i "$IMG" profile move rack4-slot7 web01 --forc
expect_err "--force suggestion" "(did you mean --force?)"
expect_exit 2 "mistyped field in --FIELD=VALUE" -- "$PSCTL" -i "$IMG" vm set web01 --cpu=2
expect_err "--cpu= suggestion" "cpu: no such field for vm (did you mean --cpus?)"
expect_exit 2 "mistyped global option" -- "$PSCTL" --jsno -i "$IMG" vm list
expect_err "global option suggestion" "'--jsno': unknown option (did you mean --json?)"
# --privilege is the privilege (it was taken as the password).
expect_exit 3 "--privilege with a bad level" -- "$PSCTL" -q -i "$IMG" --privilege bogus info
expect_err "--privilege checked" "privilege must be operator or administrator"
expect_exit 0 "--privilege operator" -- "$PSCTL" -q -i "$IMG" --privilege operator info
# An allowed-word error lists the words.
expect_exit 3 "power 'of'" -- "$PSCTL" -i "$IMG" vm set web01 --power of
expect_err "power words" "power 'of': not one of: off, on, last"
expect_exit 3 "nic model" -- "$PSCTL" -i "$IMG" nic set web01 eth0 --model virtoi
expect_err "model words" "not one of: default, virtio, e1000, rtl8139"
expect_exit 3 "switch" -- "$PSCTL" -i "$IMG" vm set web01 --pxe maybe
expect_err "switch words" "pxe 'maybe': not one of: on, off"
[ "$(hash_of "$IMG")" = "$h" ] && pass "help and refused edits wrote nothing" ||
    fail "the image changed"
