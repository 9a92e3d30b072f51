# BIOS setup on a store it must not write (docs/setup.md "Stores it does
# not write"): the only key holds a store that reads but fails the
# whole-store check (a NIC reuses a profile's MAC).  It is shown
# read-only with the check's reason; an edit and a save are refused; the
# key stays byte-identical.
echo "setup read-only"
. "$ROOT/tests/e2e/setup_lib.sh"
cat > "$WORK/dupmac.txt" <<'XEOF'
psf 1.0 schema 1 flags 0x00000000;
root {
	vms {
		vm {
			name = "x";
			nics {
				nic {
					name = "eth0";
					nic-config { mac = 02:00:00:00:00:01; model = default; flags = 0; }
				}
			}
		}
	}
	profiles { profile { name = "p"; mac-list = 02:00:00:00:00:01; } }
}
XEOF
if setup_ready && make_key "$WORK/key.img" &&
   "$PSFTOOL" compile "$WORK/dupmac.txt" -o "$WORK/dupmac.psf" 2>"$WORK/err" &&
   put_store "$WORK/key.img" "$WORK/dupmac.psf"; then
    "$PSCTL_KEY" -i "$WORK/key.img" vm show x >/dev/null 2>&1 ||
        fail "setup read-only: the crafted store does not read"
    h=$(hash_of "$WORK/key.img")
    cat > "$WORK/s.txt" <<'STEPS'
expect READ-ONLY: schema check: mac 02:00:00:00:00:01 used by both
expect setup>
send 1
expect read-only: b back
expect vm>
send memory=2G
expect the store is read-only here
expect vm>
send b
expect setup>
send s
expect not saved: the store is read-only (schema check: mac 02:00:00:00:00:01
expect setup>
send q
expect bye
kill
STEPS
    if setup_run "$WORK/s.txt" "$WORK/key.img"; then
        pass "setup read-only: shown with the check's reason, edit and save refused"
    else
        fail "setup read-only: $(tail -c 1500 "$WORK/drive.err")"
    fi
    unchanged "$WORK/key.img" "$h" "setup read-only: the key is byte-identical"
else
    fail "setup read-only: preparing the key: $(head -c 300 "$WORK/err")"
fi
