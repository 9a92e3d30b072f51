# psctl's targets follow the library's grammar (ps_parse_target,
# ps_target_norm): --bmc HOST[:PORT] is bmc://HOST[:PORT], and --bmc and
# a profile's bmc:// target refuse the same host text with the library's
# reason.  No BMC is contacted: every case is refused before that.
echo "== psctl targets: one grammar for --bmc and profile targets"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
IMG=$WORK/targets.img
P() { "$PSCTL" -q -i "$IMG" "$@"; }
P init >/dev/null 2>&1 && P profile create gold >/dev/null 2>&1 ||
    fail "targets: preparing the image"

WHY="characters other than A-Z a-z 0-9 - ."
for h in 'bmc_1' 'bmc%1' 'bmc!1'; do
    expect_exit 3 "--bmc '$h:623' refused" -- \
        env IPMI_PASSWORD=x "$PSCTL" -q --bmc "$h:623" bmc info
    expect_err "--bmc '$h:623': the library's reason" "$WHY"
    expect_exit 3 "--bmc 'bmc://$h' refused" -- \
        env IPMI_PASSWORD=x "$PSCTL" -q --bmc "bmc://$h" bmc info
    expect_err "--bmc 'bmc://$h': the library's reason" "$WHY"
    expect_exit 3 "profile assign to bmc://$h:623 refused" -- \
        P profile assign gold "bmc://$h:623"
    expect_err "profile target bmc://$h:623: the library's reason" "$WHY"
done
# An IPv6 host goes in brackets, as in a profile's target.
expect_exit 3 "--bmc with a bare IPv6 address refused" -- \
    env IPMI_PASSWORD=x "$PSCTL" -q --bmc "fe80::1" bmc info
expect_exit 3 "--bmc port out of range refused" -- \
    env IPMI_PASSWORD=x "$PSCTL" -q --bmc "[fe80::1]:70000" bmc info
expect_err "--bmc port out of range: the library's reason" "port not 1-65535"
