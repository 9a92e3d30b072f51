# psctl's store-level commands on image files: init (MBR, GPT, refusal),
# info, check, dump, export, import, scan, the default image, exit codes --
# and on every error, an image that is byte for byte what it was.
echo "psctl store commands"
SAMPLE=$ROOT/docs/examples/default-store.txt
# No BMC here: the flock fallback, with its lock files kept in $WORK.
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE
A=$WORK/a.img
G=$WORK/g.img

# same_hash NAME FILE HASH: FILE still has HASH.
same_hash() {
    if [ "$(hash_of "$2")" = "$3" ]; then pass "$1: image unchanged"
    else fail "$1: image changed"; fi
}
# out_has NAME TEXT: the last command's stdout contains TEXT.
out_has() {
    if grep -qF -- "$2" "$WORK/out"; then pass "$1 (prints '$2')"
    else fail "$1: stdout lacks '$2': $(head -c 300 "$WORK/out")"; fi
}
is_json() { python3 -m json.tool "$1" >/dev/null 2>&1; }

# ---- init
expect_exit 0 "init MBR on a new image" -- "$PSCTL" -i "$A" init
out_has "init MBR" "dos partition #4"
[ "$(wc -c < "$A")" -eq 67108864 ] && pass "init: default image size 64 MiB" ||
    fail "init: image is $(wc -c < "$A") bytes"
if sfdisk -d "$A" 2>/dev/null | grep -q 'type=6b'; then pass "sfdisk sees type 0x6b"
else fail "sfdisk: $(sfdisk -d "$A" 2>&1 | tail -2)"; fi
expect_exit 0 "init GPT --size 16M" -- "$PSCTL" -i "$G" init --gpt --size 16M
out_has "init GPT" "gpt partition #128"
[ "$(wc -c < "$G")" -eq 16777216 ] && pass "init --size 16M" ||
    fail "init --size: $(wc -c < "$G") bytes"
# Sizes follow the library's one rule (ps_parse_size): MB is decimal.
expect_exit 0 "init --size 16MB" -- "$PSCTL" -i "$WORK/mb.img" init --size 16MB
[ "$(wc -c < "$WORK/mb.img")" -eq 16000000 ] && pass "init --size 16MB: 16,000,000 bytes" ||
    fail "init --size 16MB: $(wc -c < "$WORK/mb.img") bytes"

h=$(hash_of "$A")
expect_exit 4 "init refuses an image holding a store" -- "$PSCTL" -i "$A" init
expect_err "refusal names --force" "use --force"
same_hash "init refusal" "$A" "$h"
expect_exit 4 "init --gpt refuses too" -- "$PSCTL" -i "$A" init --gpt
same_hash "init --gpt refusal" "$A" "$h"
head -c 1048576 /dev/urandom > "$WORK/junk.img"
hj=$(hash_of "$WORK/junk.img")
expect_exit 4 "init refuses a non-empty image without a table" -- \
    "$PSCTL" -i "$WORK/junk.img" init
expect_err "non-empty image" "not empty"
same_hash "init on junk" "$WORK/junk.img" "$hj"
expect_exit 2 "init --size on an existing image" -- \
    "$PSCTL" -i "$A" init --size 32M
same_hash "init --size on existing" "$A" "$h"
expect_exit 3 "init --size bogus" -- "$PSCTL" -i "$WORK/new.img" init --size 12Q
expect_err "bad size message" "--size '12Q'"
[ ! -e "$WORK/new.img" ] && pass "bad --size creates no file" ||
    fail "bad --size left $WORK/new.img"
expect_exit 3 "init --slots 9" -- "$PSCTL" -i "$WORK/new.img" init --slots 9
expect_exit 2 "init unknown argument" -- "$PSCTL" -i "$WORK/new.img" init --bogus
expect_exit 0 "init --dry-run" -- "$PSCTL" -i "$WORK/new.img" init --dry-run
[ ! -e "$WORK/new.img" ] && pass "init --dry-run writes nothing" ||
    fail "init --dry-run created the image"
expect_exit 7 "init on a too-small image" -- \
    "$PSCTL" -i "$WORK/tiny.img" init --size 1M
[ ! -e "$WORK/tiny.img" ] && pass "failed init removes the image it made" ||
    fail "failed init left $WORK/tiny.img"
cp "$G" "$WORK/f.img"
expect_exit 0 "init --force over a store" -- \
    "$PSCTL" -i "$WORK/f.img" init --force --slots 4
expect_exit 0 "info after init --force" -- "$PSCTL" -i "$WORK/f.img" info
out_has "four slots" "slots          4"
expect_exit 0 "init --slots 2 is still allowed" -- \
    "$PSCTL" -i "$WORK/two.img" init --slots 2
expect_exit 0 "info after init --slots 2" -- "$PSCTL" -i "$WORK/two.img" info
out_has "two slots" "slots          2"

# ---- info, check on the empty store
expect_exit 0 "info" -- "$PSCTL" -i "$A" info
out_has "info generation" "generation     1"
out_has "info slots: three by default" "slots          3"
out_has "info used" "used-bytes     44"
out_has "info semaphore" "advisory flock"
expect_err "store line on stderr" "psctl: store: image:$A dos partition #4"
expect_exit 0 "info -q" -- "$PSCTL" -q -i "$A" info
[ ! -s "$WORK/err" ] && pass "-q suppresses the store line" ||
    fail "-q: stderr: $(cat "$WORK/err")"
expect_exit 0 "info --json" -- "$PSCTL" -i "$A" info --json
is_json "$WORK/out" && pass "info --json is JSON" || fail "info --json: $(cat "$WORK/out")"
expect_exit 0 "check empty store" -- "$PSCTL" -i "$A" check
out_has "check verdict" "valid store, generation 1"

# ---- import, dump, export round trips
expect_exit 0 "import the default store" -- "$PSCTL" -i "$A" import "$SAMPLE"
"$PSCTL" -q -i "$A" info > "$WORK/info"
grep -q '^generation *2$' "$WORK/info" && pass "import is one commit (generation 2)" ||
    fail "import generation: $(grep generation "$WORK/info")"
grep -q '^vms *2$' "$WORK/info" && pass "info counts the imported VMs" ||
    fail "info vms: $(grep vms "$WORK/info")"
grep -q '^last-writer *OS tools' "$WORK/info" && pass "commit recorded as OS tools" ||
    fail "last writer: $(grep last-writer "$WORK/info")"
expect_exit 0 "check imported store" -- "$PSCTL" -i "$A" check
expect_exit 0 "dump" -- "$PSCTL" -i "$A" dump
cp "$WORK/out" "$WORK/a.txt"
expect_exit 0 "export --binary" -- "$PSCTL" -i "$A" export --binary -o "$WORK/a.psf"
"$PSFTOOL" dump "$WORK/a.psf" > "$WORK/a.psftool.txt"
cmp -s "$WORK/a.txt" "$WORK/a.psftool.txt" &&
    pass "psctl dump equals psftool's text form of the same store" ||
    fail "psctl dump differs from psftool dump"
"$PSFTOOL" compile "$WORK/a.txt" -o "$WORK/a.again.psf"
cmp -s "$WORK/a.psf" "$WORK/a.again.psf" &&
    pass "psftool compiles psctl's dump to the committed bytes" ||
    fail "recompiled dump differs from the committed store"
"$PSFTOOL" compile "$SAMPLE" -o "$WORK/sample.psf"
cmp -s "$WORK/a.psf" "$WORK/sample.psf" &&
    pass "the store holds exactly the imported bytes" ||
    fail "store differs from psftool compile of the source"
expect_exit 0 "export (text) -o" -- "$PSCTL" -i "$A" export -o "$WORK/a.export.txt"
cmp -s "$WORK/a.txt" "$WORK/a.export.txt" && pass "export equals dump" ||
    fail "export differs from dump"

# export -o into a shared directory: the temporary file has no name a local
# user can guess, so symlinks planted under the old fixed pattern
# (OUT.tmp<PID>, for the next few thousand PIDs) lead nowhere; the output
# gets the right bytes and mode; a failed write leaves nothing behind.
plant_temp_symlinks e.txt
expect_exit 0 "export -o into a shared directory" -- \
    "$PSCTL" -i "$A" export -o "$SH/e.txt"
[ "$(hash_of "$WORK/victim")" = "$victim" ] &&
    pass "export does not write through a planted temporary symlink" ||
    fail "export wrote through a planted symlink"
[ -f "$SH/e.txt" ] && [ ! -L "$SH/e.txt" ] && cmp -s "$SH/e.txt" "$WORK/a.txt" &&
    pass "export output is a regular file with the dump's text" ||
    fail "export output: $(ls -l "$SH/e.txt")"
[ "$(stat -c %a "$SH/e.txt")" = "$(printf '%o' $((0666 & ~$(umask))))" ] &&
    pass "new export file has 0666 minus the umask" ||
    fail "new export file mode $(stat -c %a "$SH/e.txt")"
find "$SH" -name 'e.txt.tmp*' -type l -delete
chmod 640 "$SH/e.txt"
expect_exit 0 "export over an existing file" -- \
    "$PSCTL" -i "$A" export --binary -o "$SH/e.txt"
[ "$(stat -c %a "$SH/e.txt")" = 640 ] && cmp -s "$SH/e.txt" "$WORK/a.psf" &&
    pass "a replaced export file keeps its mode" ||
    fail "replaced export file: mode $(stat -c %a "$SH/e.txt")"
mkdir "$SH/adir"
expect_exit 7 "export onto a directory" -- "$PSCTL" -i "$A" export -o "$SH/adir"
expect_err "export onto a directory message" "cannot write"
[ "$(ls -A "$SH" | sort | tr '\n' ' ')" = "adir e.txt " ] &&
    pass "export leaves no temporary files" ||
    fail "left in the shared directory: $(ls -A "$SH")"
expect_exit 0 "export --json" -- "$PSCTL" -i "$A" export --json
is_json "$WORK/out" && pass "export --json is JSON" || fail "export --json invalid"
out_has "JSON names the VM" '"value": "web01"'
out_has "JSON decodes records" '"memory-kib": 4194304'

# The other store takes the export: the same text comes back.
expect_exit 0 "import the export into the GPT image" -- \
    "$PSCTL" -i "$G" import "$WORK/a.export.txt"
"$PSCTL" -q -i "$G" dump > "$WORK/g.txt"
cmp -s "$WORK/a.txt" "$WORK/g.txt" && pass "export/import round trip" ||
    fail "round trip differs"
expect_exit 0 "import a binary store from stdin" -- \
    sh -c "'$PSCTL' -i '$WORK/f.img' import - < '$WORK/a.psf'"
"$PSCTL" -q -i "$WORK/f.img" dump > "$WORK/f.txt"
cmp -s "$WORK/a.txt" "$WORK/f.txt" && pass "binary import round trip" ||
    fail "binary import differs"

# An element of an unknown vendor namespace survives import and export.
sed 's/^root {$/root {\n\t@0x00420011 = [de ad be ef];\n\t@0x80420001 { @0x00420002 = [76 65 6e 64 6f 72]; }/' \
    "$SAMPLE" > "$WORK/vendor.txt"
expect_exit 0 "import with vendor elements" -- "$PSCTL" -i "$G" import "$WORK/vendor.txt"
"$PSCTL" -q -i "$G" export --binary -o "$WORK/vendor.psf"
"$PSFTOOL" compile "$WORK/vendor.txt" -o "$WORK/vendor.ref.psf"
cmp -s "$WORK/vendor.psf" "$WORK/vendor.ref.psf" &&
    pass "vendor elements kept byte for byte" || fail "vendor elements changed"

# ---- JSON: export --json is lossless, import takes it back byte for byte
"$PSFTOOL" compile "$SAMPLE" -o "$WORK/j.ref.psf"
"$PSCTL" -q -i "$WORK/j.img" init --size 8M >/dev/null 2>&1
expect_exit 0 "import the default store (psftool compile, binary)" -- \
    "$PSCTL" -i "$WORK/j.img" import "$WORK/j.ref.psf"
expect_exit 0 "export --json the default store" -- \
    "$PSCTL" -i "$WORK/j.img" export --json -o "$WORK/j.json"
"$PSCTL" -q -i "$WORK/j.img" init --force >/dev/null 2>&1
expect_exit 0 "import JSON into an empty store" -- \
    "$PSCTL" -i "$WORK/j.img" import "$WORK/j.json"
"$PSCTL" -q -i "$WORK/j.img" export --binary -o "$WORK/j.back.psf"
cmp -s "$WORK/j.ref.psf" "$WORK/j.back.psf" &&
    pass "JSON round trip of the default store is byte-identical" ||
    fail "JSON round trip changed the default store"
expect_exit 0 "import JSON from stdin (leading blanks)" -- \
    sh -c "{ printf '\n  '; cat '$WORK/j.json'; } | '$PSCTL' -i '$WORK/j.img' import -"
expect_err "same JSON again: no change" "no change; nothing written"

# A store with everything the typed forms cannot say plainly: vendor
# elements (structure, container, known elements inside), zero and non-zero
# pads, records shorter than the layout and with unknown trailing bytes,
# unnamed enum values and flag bits, the largest u64, non-UTF-8 strings,
# control characters and NUL in strings, format minor, schema and flags.
# Every value is one the gate accepts (import runs ps_cfg_check): the odd
# ones sit where no edit rule applies (pxe's unknown values, an image size,
# unnamed boot codes, STORE_INFO's writer and a profile's move source).
cat > "$WORK/hard.txt" <<'PSF'
psf 1.3 schema 7 flags 0x00010000;
root {
	store-info { writer = "w\xff\x00eb"; }
	vms {
		vm {
			name = "web01";
			vm-config {
				uuid = 6ba7b810-9dad-11d1-80b4-00c04fd430c8;
				vcpus = 1;
				pxe = 9;
				[01 02 03];
			}
			boot-order = disk, 7, network;
			nics { nic { name = "eth0"; nic-config { mac = 52:54:00:12:34:56; } } }
			storage { controller { name = "root";
				controller-config { media = disk; flags = bootable | 0x80; } } }
			pad 16;
			pad = [01 00 00 00];
		}
	}
	networks {
		network { name = "lan"; network-config { kind = nat; } }
		network { name = "lan2";
			network-config { kind = bridged; flags = 0; vlan = 5; mtu = 0; [aa bb]; } }
	}
	images { image { name = "big"; image-config { size-bytes = 18446744073709551615; } } }
	profiles {
		profile { name = "p1";
			wwn-list = 20:00:00:25:b5:00:00:01 21:00:00:25:b5:00:00:01;
			fc-boot = [];
			move-source = "\xed\xa0\x80"; }
		profile { name = "p2";
			move-source = "tab\there \"q\" \\ nul\x00 ctl\x01 del\x7f caf\xc3\xa9 \xf0\x9f\x98\x80"; }
	}
	@0x00420011 = [de ad be ef];
	@0x80420001 {
		@0x00420002 = [76 65 6e 64 6f 72];
		name = "inside vendor";
		@0x80420003 { }
	}
	agent-state { }
	pad 0;
}
PSF
"$PSFTOOL" compile "$WORK/hard.txt" -o "$WORK/hard.psf"
expect_exit 0 "import the awkward store" -- "$PSCTL" -i "$WORK/j.img" import "$WORK/hard.txt"
expect_exit 0 "export --json the awkward store" -- \
    "$PSCTL" -i "$WORK/j.img" export --json -o "$WORK/hard.json"
is_json "$WORK/hard.json" && pass "awkward export --json is valid JSON" ||
    fail "awkward export --json is not JSON"
for want in '"element": "0x00420011", "hex": "deadbeef"' '"element": "0x80420003", "children": []' \
    '"element": "pad", "hex": "01000000"' '"element": "pad", "bytes": 16' \
    '"extra": "010203"' '"fields": {"kind": "nat"}' '"pxe": 9' '["bootable", 128]' \
    '"size-bytes": 18446744073709551615' '"hex": "77ff006562"' \
    '"value": "tab\u0009here \"q\" \\ nul\u0000 ctl\u0001 del\u007f caf'; do
    grep -qF -- "$want" "$WORK/hard.json" && pass "JSON keeps $want" ||
        fail "JSON lacks $want"
done
"$PSCTL" -q -i "$WORK/j.img" init --force >/dev/null 2>&1
expect_exit 0 "import the awkward JSON" -- "$PSCTL" -i "$WORK/j.img" import "$WORK/hard.json"
"$PSCTL" -q -i "$WORK/j.img" export --binary -o "$WORK/hard.back.psf"
cmp -s "$WORK/hard.psf" "$WORK/hard.back.psf" &&
    pass "JSON round trip of the awkward store is byte-identical" ||
    fail "JSON round trip changed the awkward store"

# Malformed JSON and JSON that describes no valid store: exit 3, one line
# saying where (line:column, or the JSON path) and why, nothing written.
hf=$(hash_of "$WORK/j.img")
jbad() { # NAME TEXT EXPECTED-MESSAGE
    printf '%s' "$2" > "$WORK/bad.json"
    expect_exit 3 "import JSON: $1" -- "$PSCTL" -i "$WORK/j.img" import "$WORK/bad.json"
    expect_err "import JSON: $1" "$3"
    [ "$(grep -c . "$WORK/err")" -eq 1 ] && pass "import JSON: $1: one error line" ||
        fail "import JSON: $1: $(cat "$WORK/err")"
    same_hash "import JSON: $1" "$WORK/j.img" "$hf"
}
VM='{"element": "vm", "children": [{"element": "name", "value": "a"}, '
jbad "truncated" '{"format": "1.0",
 "root": {"element": "root", "children": [' \
    "line 2, column 43: invalid JSON: unexpected end of input"
jbad "trailing comma" '{"format": "1.0",
 "root": {"element": "root",
   "children": [],}}' "line 3, column 19: invalid JSON: unexpected character"
jbad "single quotes" "{'format': '1.0'}" "line 1, column 12: invalid JSON: unexpected character"
jbad "data after the document" '{"format": "1.0", "root": {"element": "root"}} x' \
    "line 1, column 48: invalid JSON: unexpected character"
jbad "invalid UTF-8" "$(printf '{"format": "1.0", "root": {"element": "ro\377ot"}}')" \
    "line 1, column 42: invalid JSON: invalid utf-8 string"
jbad "integer past 64 bits" '{"format": "1.0", "generation": 18446744073709551616, "root": {"element": "root"}}' \
    "line 1, column 33: invalid JSON: integer too large"
jbad "unknown top-level key" '{"format": "1.0", "formt": 1, "root": {"element": "root"}}' \
    "formt: unknown key 'formt'"
jbad "no format" '{"root": {"element": "root"}}' "format: missing"
jbad "format major 2" '{"format": "2.0", "root": {"element": "root"}}' \
    "format: format major 2 is not supported"
jbad "unknown element" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vmz"}]}}' \
    "root.children[0].element: unknown element 'vmz'"
jbad "bad MAC" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "nics", "children": [{"element": "nic", "children": [
   {"element": "nic-config", "fields": {"mac": "52:54:00:12:34"}}]}]}]}]}]}}' \
    "root.children[0].children[0].children[1].children[0].children[0].fields.mac: '52:54:00:12:34' is not a MAC address"
jbad "names the VM in the chain" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "vm-config", "fields": {"vcpus": "two"}}]}]}]}}' \
    "fields.vcpus: expected a non-negative integer, got a string (in root > vms > vm 'a' > vm-config)"
jbad "out of range" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "vm-config", "fields": {"vcpus": 65536}}]}]}]}}' \
    "fields.vcpus: 65536 is out of range (at most 65535)"
jbad "negative" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "vm-config", "fields": {"memory-kib": -1}}]}]}]}}' \
    "fields.memory-kib: -1 is negative"
jbad "unknown field" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "vm-config", "fields": {"memry-kib": 1}}]}]}]}}' \
    "fields.memry-kib: unknown field 'memry-kib' in 'vm-config'"
jbad "unknown enum value" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "vm-config", "fields": {"power": "maybe"}}]}]}]}}' \
    "fields.power: unknown value 'maybe' for field 'power' (off, on, last, or a number)"
jbad "bad UUID" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  '"$VM"'{"element": "vm-config", "fields": {"uuid": "6ba7b810-9dad-11d1-80b4"}}]}]}]}}' \
    "fields.uuid: '6ba7b810-9dad-11d1-80b4' is not a UUID"
jbad "string given a number" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "vms", "children": [
  {"element": "vm", "children": [{"element": "name", "value": 7}]}]}]}}' \
    "root.children[0].children[0].children[0].value: expected a string, got an integer"
jbad "odd hex" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "0x00420011", "hex": "abc"}]}}' \
    "root.children[0].hex: 'abc' is not hex bytes"
jbad "structure with children" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "name", "children": []}]}}' \
    "root.children[0].children: unknown key 'children' for structure 'name'"
jbad "two payloads" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "name", "value": "x", "hex": "00"}]}}' \
    "\"value\" and \"hex\" both given"
jbad "boot device" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "boot-order", "items": ["disk", "usb"]}]}}' \
    "root.children[0].items[1]: unknown boot device 'usb'"
jbad "list item size" '{"format": "1.0", "root": {"element": "root", "children": [{"element": "mac-list", "items": ["0102"]}]}}' \
    "root.children[0].items[0]: '0102' is 2 bytes; a 'mac-list' item is 6"
jbad "root not a container" '{"format": "1.0", "root": {"element": "name", "value": "x"}}' \
    "root.element: the root must be a container"
jbad "unknown must-understand flag" '{"format": "1.0", "flags": 1, "root": {"element": "root"}}' \
    "does not make a valid store"
jbad "not an object" '{"format": "1.0", "root": {"element": "root", "children": [[]]}}' \
    "root.children[0]: expected an element object"

# Unchanged content: no commit at all.
h=$(hash_of "$A")
expect_exit 0 "re-import the same content" -- "$PSCTL" -i "$A" import "$SAMPLE"
expect_err "says nothing changed" "no change; nothing written"
same_hash "identical import" "$A" "$h"

# --dry-run: a diff, nothing written.
sed 's/memory-kib = 4194304;/memory-kib = 8388608;/' "$SAMPLE" > "$WORK/big.txt"
expect_exit 0 "import --dry-run" -- "$PSCTL" -i "$A" --dry-run import "$WORK/big.txt"
out_has "dry run removes the old line" "-				memory-kib = 4194304;"
out_has "dry run adds the new line" "+				memory-kib = 8388608;"
out_has "dry run hunk header" "@@ -"
same_hash "import --dry-run" "$A" "$h"
expect_exit 0 "--dry-run after the command" -- "$PSCTL" -i "$A" import "$WORK/big.txt" --dry-run
same_hash "import ... --dry-run" "$A" "$h"

# ---- errors: exit code per class, one line naming the problem, no write
printf 'psf 1.0 schema 1 flags 0x00000000;\nroot { vms { vm { name = 7; } } }\n' > "$WORK/bad.txt"
expect_exit 3 "import malformed text" -- "$PSCTL" -i "$A" import "$WORK/bad.txt"
expect_err "says where" "line 2"
same_hash "import malformed text" "$A" "$h"
cp "$WORK/a.psf" "$WORK/bad.psf"
printf '\377\377' | dd of="$WORK/bad.psf" bs=1 seek=60 conv=notrunc 2>/dev/null
expect_exit 3 "import damaged binary" -- "$PSCTL" -i "$A" import "$WORK/bad.psf"
expect_err "damaged binary message" "invalid store at offset"
same_hash "import damaged binary" "$A" "$h"
expect_exit 7 "import missing file" -- "$PSCTL" -i "$A" import "$WORK/nope.txt"
expect_err "missing file message" "cannot open"
same_hash "import missing file" "$A" "$h"
expect_exit 2 "import without a file" -- "$PSCTL" -i "$A" import
expect_exit 2 "unknown command" -- "$PSCTL" -i "$A" frobnicate
expect_err "unknown command message" "'frobnicate': unknown command"
expect_exit 2 "unknown global option" -- "$PSCTL" --frob info
expect_exit 2 "-d and -i together" -- "$PSCTL" -d /dev/null -i "$A" info
expect_exit 2 "-i without a value" -- "$PSCTL" -i
expect_exit 2 "no command, not a terminal" -- "$PSCTL" -i "$A" </dev/null
expect_exit 2 "info with an argument" -- "$PSCTL" -i "$A" info extra
expect_exit 2 "dump unknown option" -- "$PSCTL" -i "$A" dump --binary
same_hash "usage errors" "$A" "$h"
expect_exit 0 "--version" -- "$PSCTL" --version
out_has "version line" "psctl "
expect_exit 0 "--help" -- "$PSCTL" --help
out_has "help lists import" "import FILE"

# Media without a store, or without the partition.
truncate -s 16M "$WORK/blank.img"
printf 'label: dos\nstart=2048, size=8192, type=6b\n' | sfdisk -q "$WORK/blank.img" >/dev/null 2>&1
hb=$(hash_of "$WORK/blank.img")
expect_exit 7 "partition without a store" -- "$PSCTL" -i "$WORK/blank.img" info
expect_err "not formatted message" "no pstate store (not formatted"
same_hash "info on blank" "$WORK/blank.img" "$hb"
truncate -s 16M "$WORK/other.img"
printf 'label: dos\nstart=2048, size=8192, type=83\n' | sfdisk -q "$WORK/other.img" >/dev/null 2>&1
ho=$(hash_of "$WORK/other.img")
expect_exit 7 "table without a pstate partition" -- "$PSCTL" -i "$WORK/other.img" info
expect_err "names the table" "none of pstate type"
same_hash "info on other" "$WORK/other.img" "$ho"
expect_exit 7 "missing image" -- "$PSCTL" -i "$WORK/missing.img" info

# Damaged media: both superblocks fail their CRC, magic intact (the
# partition is at 60 MiB, 8192 sectors).
cp "$A" "$WORK/d.img"
for sb in 62914560 $((62914560 + 8191 * 512)); do
    printf 'XX' | dd of="$WORK/d.img" bs=1 seek=$((sb + 40)) conv=notrunc 2>/dev/null
done
hd=$(hash_of "$WORK/d.img")
expect_exit 6 "check damaged superblocks" -- "$PSCTL" -i "$WORK/d.img" check
expect_err "damage named" "superblock"
expect_exit 6 "import onto damaged media" -- "$PSCTL" -i "$WORK/d.img" import "$SAMPLE"
same_hash "damaged media" "$WORK/d.img" "$hd"

# One damaged superblock copy: the store opens from the other, and check
# names the damaged copy and its offset (exit 6); info shows it too.
expect_exit 0 "check with both superblocks intact" -- "$PSCTL" -i "$A" check
out_has "intact: verdict" "valid store"
expect_exit 0 "info with both superblocks intact" -- "$PSCTL" -i "$A" info
out_has "info: superblocks intact" "primary and backup valid"
cp "$A" "$WORK/sb1.img"
dd if=/dev/zero of="$WORK/sb1.img" bs=512 seek=$((62914560 / 512 + 8191)) count=1 \
    conv=notrunc 2>/dev/null
hs=$(hash_of "$WORK/sb1.img")
expect_exit 6 "check: damaged backup superblock" -- "$PSCTL" -i "$WORK/sb1.img" check
expect_err "backup named with its offset" \
    "backup superblock damaged (sector 8191, byte 4193792 of the partition)"
expect_exit 0 "info: damaged backup" -- "$PSCTL" -i "$WORK/sb1.img" info
out_has "info: damaged backup" "superblocks    backup superblock damaged"
same_hash "damaged backup left alone" "$WORK/sb1.img" "$hs"
cp "$A" "$WORK/sb0.img"
printf 'X' | dd of="$WORK/sb0.img" bs=1 seek=$((62914560 + 20)) conv=notrunc 2>/dev/null
expect_exit 6 "check: damaged primary superblock" -- "$PSCTL" -i "$WORK/sb0.img" check
expect_err "primary named with its offset" \
    "primary superblock damaged (sector 0, byte 0 of the partition)"
expect_exit 0 "dump still works from the backup" -- "$PSCTL" -i "$WORK/sb0.img" dump

# STORE_INFO (schema.md) is written by no writer: a commit keeps the one
# the store holds byte for byte, and adds none; who committed last is in
# the slot header (info's last-writer).
cp "$A" "$WORK/si.img"
# (The example's description shows the \t escape; the edit layer refuses
# control characters in a description, so the import takes a space.)
sed -n '/^```$/,/^```$/p' "$ROOT/docs/text-format.md" | sed '1d;/^```$/,$d' |
    sed 's/front end\\tcaf/front end caf/' > "$WORK/si.txt"
expect_exit 0 "import the text-format.md example (has store-info)" -- \
    "$PSCTL" -i "$WORK/si.img" import "$WORK/si.txt"
"$PSCTL" -q -i "$WORK/si.img" dump | sed -n '/^	store-info {/,/^	}/p' > "$WORK/si.before"
expect_exit 0 "a commit after it" -- "$PSCTL" -i "$WORK/si.img" vm create si-new
"$PSCTL" -q -i "$WORK/si.img" dump | sed -n '/^	store-info {/,/^	}/p' > "$WORK/si.after"
if [ -s "$WORK/si.before" ] && cmp -s "$WORK/si.before" "$WORK/si.after"; then
    pass "store-info kept byte for byte by a commit"
else fail "store-info changed: $(diff "$WORK/si.before" "$WORK/si.after" | head -5)"; fi
expect_exit 0 "info after the commit" -- "$PSCTL" -i "$WORK/si.img" info
out_has "last writer from the slot header" "last-writer    OS tools (psctl)"
"$PSCTL" -q -i "$WORK/si2.img" init >/dev/null 2>&1
"$PSCTL" -q -i "$WORK/si2.img" vm create si-new >/dev/null 2>&1
"$PSCTL" -q -i "$WORK/si2.img" dump | grep -q 'store-info' &&
    fail "a store made and edited by psctl has a store-info" ||
    pass "psctl writes no store-info of its own"

# ---- the default image and scan
expect_exit 7 "no key, no default image" -- \
    env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" info
expect_err "says how to create it" "create it with 'psctl init'"
expect_exit 7 "scan: nothing to open" -- env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" scan
out_has "scan lists the default image" "default"
expect_exit 0 "init the default image" -- env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" init
[ -s "$WORK/def.img" ] && pass "init made \$PSTATE_IMAGE" || fail "no default image"
expect_exit 0 "import into the default image" -- \
    env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" import "$SAMPLE"
expect_exit 0 "info on the default image" -- env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" info
out_has "info says why" "default image (\$PSTATE_IMAGE)"
expect_err "store line names the default" "image:$WORK/def.img"
expect_exit 0 "scan finds the default" -- env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" scan
out_has "scan: default chosen" "chosen"
expect_exit 0 "scan --json" -- env PSTATE_IMAGE="$WORK/def.img" "$PSCTL" scan --json
is_json "$WORK/out" && pass "scan --json is JSON" || fail "scan --json: $(cat "$WORK/out")"
expect_exit 2 "scan bad argument" -- "$PSCTL" scan --bogus
