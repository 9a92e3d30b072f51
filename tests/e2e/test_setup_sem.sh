# BIOS setup under the semaphore (docs/setup.md "Saving"): a marker at
# 0xE0000 points at a free semaphore structure in low RAM at 0x90000
# (QEMU's loader device puts both in guest memory); the save says it commits under it, and the new slot records
# owner 3 (BIOS setup) with the semaphore's token (non-zero: without a
# lock the token is 0).
echo "setup semaphore"
. "$ROOT/tests/e2e/setup_lib.sh"
if setup_ready && make_key "$WORK/key.img" web1 &&
   python3 "$ROOT/tests/e2e/setup_key.py" semblob "$WORK/sem.bin" 0x90000; then
    {
        steps_open 1
        steps_set cpus=4
        steps_back
        steps_save_quit "semaphore found: saving under it"
    } > "$WORK/s.txt"
    if SETUP_QEMU_EXTRA="-device loader,file=$WORK/sem.bin,addr=0xE0000,force-raw=on
        -device loader,file=$WORK/sem.bin.sem,addr=0x90000,force-raw=on" \
        setup_run "$WORK/s.txt" "$WORK/key.img"; then
        pass "setup semaphore: the save found the marker and committed"
    else
        fail "setup semaphore: $(tail -c 1500 "$WORK/drive.err")"
    fi
    got=$(python3 "$ROOT/tests/e2e/setup_key.py" newest "$WORK/key.img")
    case $got in
        "generation 3 owner 3 token 0") fail "setup semaphore: committed without the lock ($got)" ;;
        "generation 3 owner 3 token "*) pass "setup semaphore: slot records BIOS setup and its token ($got)" ;;
        *) fail "setup semaphore: newest slot: $got" ;;
    esac
    expect_exit 0 "setup semaphore: psctl check passes" -- "$PSCTL_KEY" -i "$WORK/key.img" check
else
    fail "setup semaphore: preparing the key"
fi
