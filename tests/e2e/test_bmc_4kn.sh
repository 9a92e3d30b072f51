# The simulated BMC on a store with 4096-byte sectors: a 4Kn loop device
# (losetup -b 4096) that `psctl init -d` partitioned in its own sectors,
# then a byte copy of it in an image file (whose sector size is the one
# its store's superblock records).  The BMC reads and writes the store
# in the medium's sectors, as psctl does (ps_part_sector_size): an edit
# through the BMC lands, psctl on the medium reads it and checks it, and
# the BMC reads an edit psctl made beside it.
# Environment: BMC_SIM (scripts/bmc-sim), BMC_SIM_MODULE.
echo "== bmc-shim: the simulated BMC on 4096-byte sectors"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
export BMC_SIM_MODULE
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE PSTATE_LOCK_FILE
SIM=$WORK/sim
LOOP=
cleanup() {
    "$BMC_SIM" stop "$SIM" >/dev/null 2>&1
    [ -n "$LOOP" ] && losetup -d "$LOOP" >/dev/null 2>&1
}
trap cleanup EXIT INT TERM

# on_bmc LABEL MEM STORE MEDIUM...: start the BMC on STORE (psctl reaches
# the same store with MEDIUM, -d DEV or -i FILE), edit through it (web1's
# memory to MEM GiB, a new VM), read back.
on_bmc() {
    label=$1 mem=$2 store=$3; shift 3
    port=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
    rm -rf "$SIM"; mkdir -p "$SIM"
    if BMC_SIM_IMAGE=$store BMC_SIM_GATE=host-off BMC_SIM_CONSOLE=0 \
        BMC_SIM_SEM=0 BMC_SIM_ADMIN_PASS=adm1n-pw BMC_SIM_OPER_PASS=0per-pw \
        "$BMC_SIM" start "$SIM" "$port" > "$WORK/out" 2>&1
    then pass "$label: bmc-sim starts on the store"
    else fail "$label: bmc-sim start: $(cat "$WORK/out")"; return 1
    fi
    B() { IPMI_PASSWORD=adm1n-pw "$PSCTL" -q --bmc "127.0.0.1:$port" -U admin "$@"; }
    B vm list > "$WORK/out" 2>&1
    grep -q '^web1 ' "$WORK/out" && pass "$label: --bmc vm list reads the store" ||
        fail "$label: --bmc vm list: $(head -c 300 "$WORK/out")"
    B dump > "$WORK/bdump" 2>&1
    "$PSCTL" -q "$@" dump > "$WORK/ldump" 2>&1
    cmp -s "$WORK/bdump" "$WORK/ldump" &&
        pass "$label: --bmc dump equals psctl's" ||
        fail "$label: --bmc dump: $(diff "$WORK/bdump" "$WORK/ldump" | head -5)"
    B vm set web1 --memory "${mem}G" > "$WORK/out" 2>&1 ||
        fail "$label: --bmc vm set: $(cat "$WORK/out")"
    B vm create "db-$label" > "$WORK/out" 2>&1 ||
        fail "$label: --bmc vm create: $(cat "$WORK/out")"
    # A host edit while the BMC runs (on a key: through the partition's
    # node, whose page cache is not the whole device's): the BMC sees it.
    "$PSCTL" -q "$@" vm create "host-$label" > "$WORK/out" 2>&1 ||
        fail "$label: psctl vm create beside the BMC: $(cat "$WORK/out")"
    B vm list > "$WORK/out" 2>&1
    grep -q "^host-$label " "$WORK/out" && grep -q "^db-$label " "$WORK/out" &&
        pass "$label: the BMC reads the host's edit made beside it" ||
        fail "$label: --bmc vm list after the host's edit: $(head -c 300 "$WORK/out")"
    "$BMC_SIM" stop "$SIM" >/dev/null 2>&1
    "$PSCTL" -q "$@" vm show web1 > "$WORK/out" 2>&1
    grep -q "^memory *${mem}GiB" "$WORK/out" && "$PSCTL" -q "$@" vm list | grep -q "^db-$label " &&
        pass "$label: the BMC's edits are read by psctl on the medium" ||
        fail "$label: after the BMC's edits: $(head -c 300 "$WORK/out")"
    "$PSCTL" "$@" check > "$WORK/out" 2>&1 &&
        pass "$label: psctl check after the BMC's commits" ||
        fail "$label: check: $(cat "$WORK/out")"
}

IMG=$WORK/key.img
truncate -s 64M "$IMG"
LOOP=$(losetup -f --show -b 4096 "$IMG" 2>"$WORK/err") ||
    { fail "losetup -b 4096 (needs root and loop devices): $(cat "$WORK/err")"; LOOP=; }
if [ -n "$LOOP" ]; then
    expect_exit 0 "4Kn device: init --gpt" -- "$PSCTL" -d "$LOOP" init --gpt
    expect_exit 0 "4Kn device: vm create" -- "$PSCTL" -d "$LOOP" vm create web1
    "$PSCTL" -d "$LOOP" info > "$WORK/out" 2>&1
    grep -q "sector-size *4096" "$WORK/out" && pass "4Kn device: a 4096-byte-sector store" ||
        fail "4Kn device: info: $(cat "$WORK/out")"
    on_bmc 4kn-dev 3 "$LOOP" -d "$LOOP"
    losetup -d "$LOOP"; LOOP=
    # The key's bytes in a file: the partition at its 4 KiB offset.
    cp "$IMG" "$WORK/copy.img"
    on_bmc 4kn-file 5 "$WORK/copy.img" -i "$WORK/copy.img"
fi
losetup -a | grep -qF "$WORK/" && fail "loop devices left attached" ||
    pass "loop devices detached"
cleanup
trap - EXIT INT TERM
