# BIOS setup on an authenticated store (docs/setup.md "Authenticated
# stores"): setup holds no key.  It shows the verdict screen; a save is
# refused unless the user types the confirmation, and then marks the
# store unverified (the trailer's flag), which the host's check reports
# and the host's next edit asks to accept.  One boot.
echo "setup auth"
. "$ROOT/tests/e2e/setup_lib.sh"
mkdir -p "$WORK/host" && chmod 700 "$WORK/host"
host() { env PSTATE_AUTH_KEY="$WORK/host/key" \
    PSTATE_AUTH_COUNTER="$WORK/host/counter" "$PSCTL_KEY" "$@"; }
if setup_ready && make_key "$WORK/key.img" web1 &&
   host -i "$WORK/key.img" auth init >/dev/null 2>&1; then
    cat > "$WORK/s.txt" <<'STEPS'
expect AUTHENTICATED STORE (unverified-no-key)
expect --accept-unverified
expect AUTHENTICATED (unverified-no-key): setup has no key
expect setup>
send 1
expect vm>
send memory=3G
expect changed
expect vm>
send b
expect setup>
send s
expect type 'unverified' to save anyway:
send no
expect not saved: authenticated store, not confirmed
expect setup>
STEPS
    # The refused save wrote nothing: the confirmed one is the next
    # generation after the store setup read.
    g=$("$PSCTL_KEY" -i "$WORK/key.img" info 2>/dev/null | sed -n 's/^generation *//p')
    {
        printf 'send s\nexpect saving alone\nexpect save anyway:\nsend unverified\n'
        printf 'expect marked unverified\nexpect saved: generation %s \n' "$((g + 1))"
        printf 'expect AUTHENTICATED (unverified): setup has no key\nexpect setup>\n'
        printf 'send q\nexpect bye\nkill\n'
    } >> "$WORK/s.txt"
    start=$(date +%s)
    if setup_run "$WORK/s.txt" "$WORK/key.img"; then
        pass "setup auth: verdict screen, an unconfirmed save refused (nothing written), a confirmed one marked unverified ($(( $(date +%s) - start )) s)"
    else
        fail "setup auth: UI run: $(tail -c 1500 "$WORK/drive.err")"
    fi
    "$PSCTL_KEY" -i "$WORK/key.img" vm show web1 2>/dev/null | grep -q '^memory *3GiB$' &&
        pass "setup auth: the edit landed" || fail "setup auth: memory not 3GiB"
    expect_exit 10 "setup auth: the host's check says unverified" -- \
        host -i "$WORK/key.img" check --verify
    grep -q "auth: unverified" "$WORK/out" && pass "setup auth: verdict unverified" ||
        fail "setup auth: verdict: $(cat "$WORK/out")"
    expect_exit 10 "setup auth: the host's next edit asks to accept it" -- \
        host -i "$WORK/key.img" vm set web1 --memory 2G
    expect_err "setup auth: says how" "--accept-unverified"
    expect_exit 0 "setup auth: accepted on the host" -- \
        host -i "$WORK/key.img" vm set web1 --memory 2G --accept-unverified
    expect_exit 0 "setup auth: verified again" -- host -i "$WORK/key.img" check --verify
else
    fail "setup auth: preparing the key (setup_ready, psctl init, auth init)"
fi
