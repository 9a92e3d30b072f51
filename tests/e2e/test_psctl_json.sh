# Every command that prints JSON writes it through one writer
# (cli/psctl_jsonw.c): a string with a quote, a backslash, control
# characters (U+0001, U+001F, a tab) and DEL is valid JSON that decodes
# to the same bytes, on each command (the typed fields and the schema:
# test_psctl_json_schema.sh).
echo "== psctl --json: one writer, RFC 8259 strings"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
# The image's own path carries a quote, a backslash and U+0001 too: info
# and scan print it.
IMG="$WORK/j\"s\\o$(printf '\001')n.img"
export IMG
P() { "$PSCTL" -q -i "$IMG" "$@"; }
P init --size 8M >/dev/null 2>&1 && P vm create web1 >/dev/null 2>&1 &&
    P net create lan0 >/dev/null 2>&1 &&
    P nic add web1 eth0 --network lan0 >/dev/null 2>&1 &&
    P serial map web1 0 --concentrator 7 --hostname web1-con >/dev/null 2>&1 &&
    P profile create gold --serial SN-1 >/dev/null 2>&1 &&
    P export -o "$WORK/s.txt" 2>/dev/null ||
    fail "json: preparing the image"
# Descriptions with a quote and a backslash, through import.  Control
# characters are refused by every writer (the gate: ps_cfg_check), so
# they reach JSON through the image path (info, scan) and export --json
# (test_psctl_store.sh); an import carrying them is refused.
sed -e 's/name = "web1";/name = "web1";\n\t\t\tdescription = "a\\x01\\x1f\\tb\\x7f\\"q\\\\";/' \
    "$WORK/s.txt" > "$WORK/s1.txt"
expect_exit 3 "json: import of a description with control characters refused" -- \
    P import "$WORK/s1.txt"
sed -e 's/name = "web1";/name = "web1";\n\t\t\tdescription = "a b\\"q\\\\";/' \
    -e 's/name = "gold";/name = "gold";\n\t\t\tdescription = "p\\"\\\\";/' \
    "$WORK/s.txt" > "$WORK/s2.txt"
expect_exit 0 "json: import descriptions with quotes and backslashes" -- \
    P import "$WORK/s2.txt"

# json_ok NAME PY: stdout of the last command is JSON in strict UTF-8
# and PY (an expression of j) holds.
json_ok() {
    if got=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1], encoding='utf-8', errors='strict')); print($2)" "$WORK/out" 2>&1) &&
        [ "$got" = True ]; then pass "$1: valid JSON ($2)"
    else fail "$1: $got: $(head -c 300 "$WORK/out")"; fi
}
VM_D='"a b\"q\\"'
PR_D='"p\"\\"'
expect_exit 0 "vm list --json" -- P vm list --json
json_ok "vm list --json" "j['items'][0]['description'] == $VM_D"
expect_exit 0 "vm show --json" -- P vm show web1 --json
json_ok "vm show --json" "j['item']['description'] == $VM_D and j['item']['cpus'] == 1 and j['item']['pxe'] is False"
expect_exit 0 "profile list --json" -- P profile list --json
json_ok "profile list --json" "j['items'][0]['description'] == $PR_D"
expect_exit 0 "profile show --json" -- P profile show gold --json
json_ok "profile show --json" "j['item']['description'] == $PR_D and j['item']['serial'] == 'SN-1'"
expect_exit 0 "nic list --json" -- P nic list web1 --json
json_ok "nic list --json" "j['items'][0]['network'] == 'lan0'"
expect_exit 0 "serial list --json" -- P serial list --json
json_ok "serial list --json" "j['items'][0]['vm'] == 'web1' and j['items'][0]['concentrator'] == 7"
expect_exit 0 "serial mappings --json" -- P serial mappings --json
json_ok "serial mappings --json" "j['items'][0]['hostname'] == 'web1-con' and j['items'][0]['port'] == 0"
expect_exit 0 "info --json" -- P info --json
json_ok "info --json" "j['store'].startswith('image:' + __import__('os').environ['IMG'] + ' ') and j['vms'] == 1"
expect_exit 0 "export --json" -- P export --json
json_ok "export --json" "j['root']['element'] == 'root'"
expect_exit 0 "export --json round trip" -- P export --json -o "$WORK/e.json"
expect_exit 0 "import of that JSON" -- P import "$WORK/e.json"
expect_exit 0 "vm show after the round trip" -- P vm show web1 --json
json_ok "round trip keeps the description" "j['item']['description'] == $VM_D"
PSTATE_IMAGE=$IMG expect_exit 0 "scan --json" -- "$PSCTL" -q scan --json
json_ok "scan --json" "j['items'][-1]['port'] == 'default'"

# Bytes that are not UTF-8 follow export's rule (the hex of the bytes),
# so the output stays UTF-8 JSON, never raw bytes.
sed -e 's/name = "web1";/name = "web1";\n\t\t\tdescription = "x\\xff\\xfey";/' \
    "$WORK/s.txt" > "$WORK/s3.txt"
expect_exit 0 "json: import a description that is not UTF-8" -- \
    P import "$WORK/s3.txt"
expect_exit 0 "vm show --json, description not UTF-8" -- P vm show web1 --json
json_ok "vm show --json, description not UTF-8" "j['item']['description'] == '78fffe79'"
expect_exit 0 "vm list --json, description not UTF-8" -- P vm list --json
json_ok "vm list --json, description not UTF-8" "j['items'][0]['description'] == '78fffe79'"
expect_exit 0 "export --json, description not UTF-8" -- P export --json
json_ok "export --json, description not UTF-8" "'78fffe79' in json.dumps(j)"
