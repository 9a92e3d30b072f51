# The authenticated store (docs/store.md section 8, docs/psctl.1.md
# "auth"): a store sealed on its host, stolen to a laptop without the key
# and edited there, a copy put back after a later trusted commit, a
# rotated key; every refusal writes nothing.  The host's key and counter
# live in $WORK/host (root-only files), the laptop has none.
echo "psctl auth"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE
# The file mode, whatever TPM this machine has (test_auth_tpm.sh: the TPM).
PSTATE_TPM=none
export PSTATE_TPM
A=$WORK/a.img
mkdir -p "$WORK/host" && chmod 700 "$WORK/host"
HOSTENV="PSTATE_AUTH_KEY=$WORK/host/key PSTATE_AUTH_COUNTER=$WORK/host/counter"
LAPENV="PSTATE_AUTH_KEY=$WORK/laptop-key PSTATE_AUTH_COUNTER=$WORK/laptop-counter"
host() { env $HOSTENV "$PSCTL" "$@"; }
laptop() { env $LAPENV "$PSCTL" "$@"; }
# The host's psctl ended by the test hook after a sealed commit, before
# the trusted counter is raised (a power cut there).
host_cut() { env $HOSTENV PSCTL_TEST_CRASH_AT=auth-counter "$PSCTL" "$@"; }
same() { [ "$(hash_of "$1")" = "$2" ] && pass "$3: image unchanged" ||
    fail "$3: the image changed"; }
out_has() { grep -qF -- "$2" "$WORK/out" && pass "$1" ||
    fail "$1: stdout lacks '$2': $(head -c 300 "$WORK/out")"; }

expect_exit 0 "init" -- "$PSCTL" -i "$A" init --size 8M
expect_exit 0 "vm create" -- host -i "$A" vm create web1 --memory 1G
expect_exit 0 "check --verify, mode off" -- host -i "$A" check --verify
out_has "verdict off" "auth: off"

# Keys that break the local-security rules are refused, nothing written.
printf '0123456789abcdef0123456789abcdef' > "$WORK/host/key"
chmod 644 "$WORK/host/key"
h=$(hash_of "$A")
expect_exit 9 "auth init refuses a key file readable by others" -- \
    host -i "$A" auth init
expect_err "says why" "must be a regular file owned by root, mode 0600"
same "$A" "$h" "refused init"
rm -f "$WORK/host/key"
ln -s /etc/hostname "$WORK/host/key"
expect_exit 9 "auth init refuses a symlinked key file" -- \
    host -i "$A" auth init
expect_err "says why" "symbolic link"
same "$A" "$h" "refused init (symlink)"
rm -f "$WORK/host/key"

# A fresh host: the key and counter directories are made, 0700.
F=$WORK/fresh.img
expect_exit 0 "init a second store" -- "$PSCTL" -i "$F" init --size 8M
expect_exit 0 "auth init on a fresh host" -- \
    env PSTATE_AUTH_KEY="$WORK/etc/auth/k" PSTATE_AUTH_COUNTER="$WORK/var/auth/c" \
    "$PSCTL" -i "$F" auth init
[ "$(stat -c %a "$WORK/etc/auth")" = 700 ] &&
    [ "$(stat -c %a "$WORK/var/auth")" = 700 ] &&
    [ "$(cat "$WORK/var/auth/c")" = 1 ] &&
    pass "directories made 0700, counter 1" ||
    fail "fresh host: $(ls -ld "$WORK/etc/auth" "$WORK/var/auth")"

expect_exit 0 "auth init" -- host -i "$A" auth init
out_has "init says counter 1" "counter 1,"
[ "$(stat -c %a "$WORK/host/key")" = 600 ] && pass "key file is 0600" ||
    fail "key file mode $(stat -c %a "$WORK/host/key")"
expect_exit 0 "check --verify: verified" -- host -i "$A" check --verify
out_has "verdict verified" "auth: verified"
expect_exit 0 "info shows the verdict" -- host -i "$A" info
grep -q "^auth *verified" "$WORK/out" && pass "info: auth verified" ||
    fail "info: $(grep auth "$WORK/out")"
expect_exit 0 "a trusted edit" -- host -i "$A" vm set web1 --memory 2G
expect_exit 0 "status" -- host -i "$A" auth status
out_has "status: counter raised" "counter: 2"
out_has "status: verdict" "verdict: verified"
cp "$A" "$WORK/old.img"
expect_exit 0 "another trusted edit" -- host -i "$A" vm set web1 --memory 3G
# A power cut between a commit and the counter's increment (the test
# hook ends psctl there): the store is one ahead, accepted.  Twice in a
# row: the second edit first raises the counter to the store's, so the
# store is again only one ahead (without that it would be two: refused).
cnt() { cat "$WORK/host/counter"; }
expect_exit 99 "a cut after the commit (counter 4)" -- \
    host_cut -i "$A" vm set web1 --cpus 2
[ "$(cnt)" = 3 ] && pass "counter not raised" || fail "counter $(cnt)"
expect_exit 0 "a store one ahead verifies" -- host -i "$A" check --verify
expect_exit 99 "another cut (counter 5)" -- \
    host_cut -i "$A" vm set web1 --cpus 3
[ "$(cnt)" = 4 ] && pass "counter caught up before the commit" ||
    fail "counter $(cnt), expected 4"
expect_exit 0 "still one ahead: verifies" -- host -i "$A" check --verify
echo 3 > "$WORK/host/counter"
expect_exit 13 "a store two ahead is refused" -- host -i "$A" check --verify
out_has "verdict counter-ahead" "auth: counter-ahead"
echo 4 > "$WORK/host/counter"
expect_exit 0 "a clean edit" -- host -i "$A" vm set web1 --cpus 4
[ "$(cnt)" = 6 ] && pass "counter 6" || fail "counter $(cnt), expected 6"

# The stolen key: on the laptop, readable but unverified; an edit is
# refused without --unverified.
cp "$A" "$WORK/stolen.img"
S=$WORK/stolen.img
expect_exit 0 "laptop reads the store" -- laptop -i "$S" vm show web1
expect_exit 9 "laptop: check --verify says no key" -- laptop -i "$S" check --verify
out_has "verdict unverified-no-key" "auth: unverified-no-key"
h=$(hash_of "$S")
expect_exit 9 "laptop edit refused without --unverified" -- \
    laptop -i "$S" vm set web1 --memory 8G
expect_err "says why" "--unverified"
same "$S" "$h" "refused laptop edit"
expect_exit 0 "laptop edit with --unverified" -- \
    laptop -i "$S" vm set web1 --memory 8G --unverified
expect_exit 10 "host: the edited copy is unverified" -- \
    host -i "$S" check --verify
out_has "verdict unverified" "auth: unverified"
h=$(hash_of "$S")
expect_exit 10 "host edit over it asks for confirmation" -- \
    host -i "$S" vm set web1 --memory 4G
expect_err "says how" "--accept-unverified"
same "$S" "$h" "refused host edit"

# Tampered: a header byte under the MAC changed and its CRC fixed up (a
# valid store for every reader but the key's), or a MAC byte flipped.
python3 "$E2E_DIR/store_img.py" header "$A" "$WORK/tampered.img"
expect_exit 11 "host: a tampered header is a bad MAC" -- \
    host -i "$WORK/tampered.img" check --verify
out_has "verdict bad-mac" "auth: bad-mac"
expect_exit 0 "the tampered store is still valid for a reader" -- \
    host -i "$WORK/tampered.img" check
python3 "$E2E_DIR/store_img.py" mac "$A" "$WORK/tampered2.img"
expect_exit 11 "host: a flipped MAC byte is a bad MAC" -- \
    host -i "$WORK/tampered2.img" check --verify

# Put back the older copy: its MAC is good, its counter is old.
h=$(hash_of "$WORK/old.img")
expect_exit 12 "host: the older copy is rolled back" -- \
    host -i "$WORK/old.img" check --verify
out_has "verdict rolled-back" "auth: rolled-back"
expect_exit 12 "an edit of it is refused" -- \
    host -i "$WORK/old.img" vm set web1 --memory 5G
same "$WORK/old.img" "$h" "refused rollback edit"

# Rotation: one commit, the new key verifies, the old one does not.
cp "$WORK/host/key" "$WORK/old.key"
expect_exit 0 "auth rotate" -- host -i "$A" auth rotate
out_has "rotate says so" "key rotated"
expect_exit 0 "the rotated key verifies" -- host -i "$A" check --verify
cp "$WORK/old.key" "$WORK/k2" && chmod 600 "$WORK/k2"
expect_exit 11 "the old key does not" -- \
    env PSTATE_AUTH_KEY="$WORK/k2" PSTATE_AUTH_COUNTER="$WORK/host/counter" \
    "$PSCTL" -i "$A" check --verify
# A rotation cut between its commit and the key file's rename: the old
# key in place, the new one in KEY.new; the next command finishes it.
cp "$WORK/host/key" "$WORK/new.key"
mv "$WORK/host/key" "$WORK/host/key.new"
cp "$WORK/old.key" "$WORK/host/key" && chmod 600 "$WORK/host/key"
expect_exit 0 "an interrupted rotation is finished" -- host -i "$A" auth status
expect_err "says so" "finished an interrupted key rotation"
out_has "and verifies" "verdict: verified"
cmp -s "$WORK/host/key" "$WORK/new.key" && [ ! -e "$WORK/host/key.new" ] &&
    pass "the new key is in place" || fail "key file after finishing"
h=$(hash_of "$A")
expect_exit 4 "auth init on an authenticated store is refused" -- \
    host -i "$A" auth init
same "$A" "$h" "refused second init"

# The host accepts the laptop's edit after review.
expect_exit 0 "host: --accept-unverified seals it" -- \
    host -i "$S" vm set web1 --memory 4G --accept-unverified
expect_exit 0 "then it verifies" -- host -i "$S" check --verify

expect_exit 12 "the host's own image is now older than the accepted copy" -- \
    host -i "$A" check --verify
