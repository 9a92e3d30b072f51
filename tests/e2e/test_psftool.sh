# psftool as a user meets it: the default store, lossless conversion, room
# for growth, standard input, and every class of bad input -- each with its
# exit status, a message that says what and where, and no file written.
echo "psftool commands"
SAMPLE=$ROOT/docs/examples/default-store.txt

expect_exit 0 "compile default store" -- \
    "$PSFTOOL" compile "$SAMPLE" -o "$WORK/a.img"
expect_exit 0 "check default store" -- "$PSFTOOL" check "$WORK/a.img"
expect_exit 0 "info default store" -- "$PSFTOOL" info "$WORK/a.img"
if grep -q '^vms: *2$' "$WORK/out" && grep -q '^profiles: *1$' "$WORK/out"; then
    pass "info counts VMs and profiles"
else
    fail "info counts: $(cat "$WORK/out")"
fi

"$PSFTOOL" dump "$WORK/a.img" > "$WORK/a.txt"
"$PSFTOOL" compile "$WORK/a.txt" -o "$WORK/b.img"
if cmp -s "$WORK/a.img" "$WORK/b.img"; then
    pass "dump then compile gives the same bytes"
else
    fail "dump then compile differs"
fi
"$PSFTOOL" dump "$WORK/b.img" > "$WORK/b.txt"
if cmp -s "$WORK/a.txt" "$WORK/b.txt"; then
    pass "dump is canonical"
else
    fail "dump of the recompiled store differs"
fi

expect_exit 0 "compile from stdin" -- \
    sh -c "'$PSFTOOL' compile - -o '$WORK/c.img' < '$SAMPLE'"
if cmp -s "$WORK/a.img" "$WORK/c.img"; then pass "stdin gives the same store"
else fail "stdin store differs"; fi
expect_exit 0 "check from stdin" -- sh -c "'$PSFTOOL' check - < '$WORK/a.img'"

expect_exit 0 "compile with --room 4096" -- \
    "$PSFTOOL" compile "$SAMPLE" -o "$WORK/room.img" --room 4096
grow=$(( $(wc -c < "$WORK/room.img") - $(wc -c < "$WORK/a.img") ))
if [ "$grow" -eq 4096 ]; then pass "--room adds exactly 4096 bytes"
else fail "--room added $grow bytes"; fi
"$PSFTOOL" info "$WORK/room.img" > "$WORK/out"
if grep -q 'pads: .*4096 bytes of room' "$WORK/out" ||
   grep -q 'pads: .*bytes of room' "$WORK/out"; then pass "info reports the room"
else fail "info room: $(grep pads "$WORK/out")"; fi

# A store damaged in the middle: rejected, with the offset.
cp "$WORK/a.img" "$WORK/bad.img"
printf '\377\377\377\377' | dd of="$WORK/bad.img" bs=1 seek=48 conv=notrunc 2>/dev/null
expect_exit 1 "check damaged store" -- "$PSFTOOL" check "$WORK/bad.img"
expect_err "damaged store message" "invalid store at offset"
expect_exit 1 "dump refuses a damaged store" -- "$PSFTOOL" dump "$WORK/bad.img"
if [ ! -s "$WORK/out" ]; then pass "dump of a damaged store prints nothing"
else fail "dump printed output for a damaged store"; fi

# Usage errors: exit 2.
expect_exit 2 "no command" -- "$PSFTOOL"
expect_exit 2 "unknown command" -- "$PSFTOOL" frobnicate x
expect_err "unknown command message" "unknown command 'frobnicate'"
expect_exit 2 "check without file" -- "$PSFTOOL" check
expect_exit 2 "compile without -o" -- "$PSFTOOL" compile "$SAMPLE"
expect_err "compile without -o message" "-o OUT is required"
expect_exit 2 "bad --room" -- "$PSFTOOL" compile "$SAMPLE" -o "$WORK/x.img" --room lots
expect_err "bad --room message" "--room: 'lots'"
expect_exit 2 "negative --room" -- "$PSFTOOL" compile "$SAMPLE" -o "$WORK/x.img" --room -5
expect_exit 2 "extra argument" -- "$PSFTOOL" check a b
expect_exit 0 "--help" -- "$PSFTOOL" --help

# I/O errors: exit 4.
expect_exit 4 "missing input" -- "$PSFTOOL" check "$WORK/nonexistent.img"
expect_err "missing input message" "nonexistent.img: No such file"
expect_exit 4 "unwritable output" -- \
    "$PSFTOOL" compile "$SAMPLE" -o "$WORK/no/such/dir/x.img"

# Bad text: exit 3, file:line:column and the reason, nothing written, an
# existing output file left exactly as it was.
printf 'old contents\n' > "$WORK/keep.img"
keep=$(hash_of "$WORK/keep.img")
bad_text() { # NAME EXPECTED-MESSAGE TEXT
    printf '%s\n' "$3" > "$WORK/bad.txt"
    expect_exit 3 "bad text: $1" -- "$PSFTOOL" compile "$WORK/bad.txt" -o "$WORK/keep.img"
    expect_err "bad text: $1 message" "$2"
    expect_err "bad text: $1 position" "bad.txt:"
    if [ "$(hash_of "$WORK/keep.img")" = "$keep" ] &&
       [ -z "$(ls "$WORK" | grep 'keep.img.')" ]; then
        pass "bad text: $1 leaves the output untouched"
    else
        fail "bad text: $1 changed the output file"
    fi
}
H='psf 1.0 schema 1 flags 0x00000000;'
bad_text "empty input" "expected the header" ""
bad_text "no header" "found 'root'" 'root { }'
bad_text "wrong major" "major must be 1" 'psf 2.0 schema 1 flags 0x00000000; root { }'
bad_text "unknown must-understand flag" "must-understand bits" 'psf 1.0 schema 1 flags 0x00000001; root { }'
bad_text "unknown keyword" "frobs" "$H root { frobs { } }"
bad_text "unknown field" "memry-kib" "$H root { vms { vm { vm-config { memry-kib = 5; } } } }"
bad_text "bad enum value" "unknown value 'sideways' for field 'power'" "$H root { vms { vm { vm-config { power = sideways; } } } }"
bad_text "number too big for field" "out of range for field 'vcpus'" "$H root { vms { vm { vm-config { vcpus = 70000; } } } }"
bad_text "bad uuid" "field 'uuid' wants a UUID" "$H root { vms { vm { vm-config { uuid = 1234; } } } }"
bad_text "bad mac" "field 'mac' wants a MAC" "$H root { vms { vm { nics { nic { nic-config { mac = 02:50:53:00:00; } } } } } }"
bad_text "unterminated string" "unterminated string" "$H root { vms { vm { name = \"web01; } } }"
bad_text "bad escape" "unknown escape" "$H root { vms { vm { name = \"a\\q\"; } } }"
bad_text "bad hex bytes" "'zz' is not hex bytes" "$H root { @0x00420001 = [zz]; }"
bad_text "missing close brace" "'}' missing" "$H root { vms { "
bad_text "two roots" "after the root container" "$H root { } root { }"
bad_text "string for container" "expected '{'" "$H root { vms = \"x\"; }"
bad_text "too deep" "deep" "$H root { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { @0x80420001 { } } } } } } } } } } } } } } } } }"
bad_text "unknown boot device" "unknown boot device 'toaster'" "$H root { vms { vm { boot-order = disk, toaster; } } }"

# Output files in a shared directory: the temporary file has no name a
# local user can guess, so symlinks planted under the old fixed pattern
# (OUT.tmp<PID>, for the next few thousand PIDs) lead nowhere; the output
# gets the right bytes and mode; a failed write leaves nothing behind.
plant_temp_symlinks out.img
expect_exit 0 "compile into a shared directory" -- \
    "$PSFTOOL" compile "$SAMPLE" -o "$SH/out.img"
if [ "$(hash_of "$WORK/victim")" = "$victim" ]; then
    pass "compile does not write through a planted temporary symlink"
else
    fail "compile wrote through a planted symlink"
fi
if [ -f "$SH/out.img" ] && [ ! -L "$SH/out.img" ] &&
   cmp -s "$SH/out.img" "$WORK/a.img"; then
    pass "compile output is a regular file with the store's bytes"
else
    fail "compile output: $(ls -l "$SH/out.img")"
fi
[ "$(stat -c %a "$SH/out.img")" = "$(printf '%o' $((0666 & ~$(umask))))" ] &&
    pass "new output file has 0666 minus the umask" ||
    fail "new output mode $(stat -c %a "$SH/out.img")"
find "$SH" -name 'out.img.tmp*' -type l -delete
chmod 600 "$SH/out.img"
expect_exit 0 "compile over an existing file" -- \
    "$PSFTOOL" compile "$SAMPLE" -o "$SH/out.img" --room 512
[ "$(stat -c %a "$SH/out.img")" = 600 ] &&
    pass "a replaced output file keeps its mode" ||
    fail "replaced output mode $(stat -c %a "$SH/out.img")"
mkdir "$SH/adir"
expect_exit 4 "compile onto a directory" -- \
    "$PSFTOOL" compile "$SAMPLE" -o "$SH/adir"
expect_err "compile onto a directory message" "adir"
[ "$(ls -A "$SH" | sort | tr '\n' ' ')" = "adir out.img " ] &&
    pass "no temporary files left behind" ||
    fail "left in the shared directory: $(ls -A "$SH")"
