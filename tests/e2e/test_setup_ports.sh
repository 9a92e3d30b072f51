# BIOS setup port priority (docs/setup.md "Port priority"): with an SSDT
# that describes the xHCI root ports as a server's firmware does (port 1
# internal, port 3 external, port 2 not described), the application orders
# the keys as Linux does (external, unknown, internal), so of three valid
# keys the one on port 3 is chosen although port 1 comes first by number.
echo "setup ports"
. "$ROOT/tests/e2e/setup_lib.sh"
if setup_ready && make_key "$WORK/k1.img" inner && make_key "$WORK/k2.img" mid &&
   make_key "$WORK/k3.img" outer &&
   iasl -p "$WORK/ports" "$ROOT/tests/e2e/setup_ports.asl" >/dev/null 2>&1; then
    cat > "$WORK/s.txt" <<'STEPS'
expect usb 3 (pci 02.0) external  chosen  chosen: dos partition #4: valid store
expect usb 2 (pci 02.0)  valid  skipped: dos partition #4: valid store
expect usb 1 (pci 02.0) internal  valid  skipped: dos partition #4: valid store
expect outer
expect setup>
send q
expect bye
kill
STEPS
    if SETUP_QEMU_EXTRA="-acpitable file=$WORK/ports.aml" \
        setup_run "$WORK/s.txt" "$WORK/k1.img" "$WORK/k2.img" "$WORK/k3.img"; then
        pass "setup: keys ordered by the ACPI port kinds (external port 3 chosen)"
    else
        fail "setup: port order: $(tail -c 1500 "$WORK/drive.err")"
    fi
else
    fail "setup: preparing the keys and the SSDT (setup_ready, psctl, iasl)"
fi
