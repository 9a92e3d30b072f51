# End-to-end: the build follows its make files (Makefile, "What is linked
# or archived from a make file's lists"): a change to a *.mk file (a
# source added to a list) makes the programs and archives built from the
# lists again, and compiles no object again.  Asked of make with -n -W
# (what would be made were the file new): nothing in the tree is touched.
echo "== make: targets follow their make files"
M() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -C "$ROOT" "$@"; }
M -q build/san/psctl >/dev/null 2>&1 &&
    pass "make: build/san/psctl is up to date to begin with" ||
    fail "make: build/san/psctl is not up to date (make e2e builds it)"
M -n -W cli/cli.mk build/san/psctl > "$WORK/cli" 2>&1
grep -q -- '-o build/san/psctl ' "$WORK/cli" &&
    pass "make: cli/cli.mk changed: psctl is linked again" ||
    fail "make: cli.mk changed, psctl not relinked: $(head -3 "$WORK/cli")"
M -n -W pstate/pstate.mk build/san/psctl > "$WORK/ps" 2>&1
grep -q 'ar rcs build/san/libpstate.a' "$WORK/ps" && grep -q -- '-o build/san/psctl ' "$WORK/ps" &&
    pass "make: pstate/pstate.mk changed: libpstate.a archived again, psctl linked" ||
    fail "make: pstate.mk changed: $(head -3 "$WORK/ps")"
! grep -q -- ' -c ' "$WORK/cli" "$WORK/ps" &&
    pass "make: a make file's change compiles no object again" ||
    fail "make: objects compiled again: $(grep -m2 -- ' -c ' "$WORK/cli" "$WORK/ps" | cut -c1-200)"
