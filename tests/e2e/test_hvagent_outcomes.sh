# hvagent counts outcomes, not attempts: with a libvirt that refuses every
# definition (4096 vCPUs: valid in the store, past the machine type's limit
# in QEMU, "Maximum CPUs greater than specified machine type limit") the
# pass defines
# nothing, counts four failed defines and names the four VMs; a start
# that fails (the domain's disk does not exist) is no start.  The same
# counters as --stats --json, valid against docs/psctl-output.schema.json.
echo "== hvagent: counters of outcomes, failures named"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
VALIDATE="python3 $ROOT/tests/e2e/json_schema.py $ROOT/docs/psctl-output.schema.json"

# conf FILE TYPE: an embedded QEMU driver of its own under $WORK.
conf() {
    mkdir -p "$WORK/emb-$2"
    cat > "$1" <<EOC
uri = qemu:///embed?root=$WORK/emb-$2
domain_type = $2
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
EOC
}
stat() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$WORK/out" | tail -1; }

# --- every definition refused
K=$WORK/k.img
conf "$WORK/k.conf" qemu
"$PSCTL" -q -i "$K" init >/dev/null 2>&1 || fail "hvagent outcomes: init"
for v in a1 a2 a3 a4; do "$PSCTL" -q -i "$K" vm create $v --memory 64MiB --cpus 4096 >/dev/null 2>&1; done
expect_exit 1 "hvagent --once with every definition refused: exit 1" -- \
    "$HVAGENT" -c "$WORK/k.conf" -i "$K" --once --stats
[ "$(stat defines)" = 0 ] && [ "$(stat define_failures)" = 4 ] &&
    pass "--stats: defines=0 define_failures=4 (not defines=4)" ||
    fail "refused defines counted: $(cat "$WORK/out")"
grep -q 'failed_vms=a1 a2 a3 a4$' "$WORK/out" && pass "--stats names the four VMs" ||
    fail "failed_vms: $(cat "$WORK/out")"
grep -q 'pass (boot): 4 VMs, 0 defined (4 failed),.*; failed: a1 a2 a3 a4$' "$WORK/err" &&
    pass "pass line: 0 defined (4 failed), failed: a1 a2 a3 a4" ||
    fail "pass line: $(grep 'pass' "$WORK/err")"
grep -q "vm 'a3': libvirt refused the definition: " "$WORK/err" &&
    pass "each refusal logged with its VM and libvirt's reason" ||
    fail "refusal log: $(head -c 400 "$WORK/err")"
expect_exit 1 "hvagent --once --stats --json" -- \
    "$HVAGENT" -c "$WORK/k.conf" -i "$K" --once --stats --json
cp "$WORK/out" "$WORK/k.json"
if got=$($VALIDATE "$WORK/k.json" 2>&1); then pass "--stats --json valid against the schema"
else fail "--stats --json: $got"; fi
got=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1]))
print(j['defines'], j['define-failures'], ' '.join(j['failed-vms']), j['boot'])" "$WORK/k.json" 2>&1)
[ "$got" = "0 4 a1 a2 a3 a4 True" ] && pass "--stats --json: 0 defines, 4 failures, the VMs, a boot pass" ||
    fail "--stats --json values: $got"
expect_exit 2 "--json without --stats refused (usage)" -- "$HVAGENT" -c "$WORK/k.conf" -i "$K" --once --json
expect_err "--json without --stats: says why" "--json goes with --stats"

# --- a start that fails
Q=$WORK/q.img
conf "$WORK/q.conf" qemu
"$PSCTL" -q -i "$Q" init >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$Q" image create gone --path "$WORK/no/such/disk.qcow2" --format qcow2 >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$Q" vm create s1 --memory 64MiB --power on >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$Q" storage add s1 d0 --image gone --bootable on >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$Q" vm create s2 --memory 64MiB >/dev/null 2>&1 ||
    fail "hvagent outcomes: preparing the start store"
expect_exit 1 "hvagent --once with a start that fails: exit 1" -- \
    "$HVAGENT" -c "$WORK/q.conf" -i "$Q" --once --stats
[ "$(stat defines)" = 2 ] && [ "$(stat starts)" = 0 ] && [ "$(stat start_failures)" = 1 ] &&
    grep -q 'failed_vms=s1$' "$WORK/out" &&
    pass "--stats: defines=2 starts=0 start_failures=1 failed_vms=s1" ||
    fail "failed start counted: $(cat "$WORK/out")"
grep -q 'pass (boot): 2 VMs, 2 defined,.* 0 started (1 failed),.*; failed: s1$' "$WORK/err" &&
    pass "pass line: 0 started (1 failed), failed: s1" ||
    fail "pass line: $(grep 'pass' "$WORK/err")"
