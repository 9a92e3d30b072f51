# `psctl shell` driven through tmux as a person would: tab completion of a
# command and of a VM name, history recall with the up arrow (also from
# the history file in a new session), an error that leaves the shell
# running, and quit / end of input.  Every wait polls with a bound.
echo "psctl shell (tmux)"
SAMPLE=$ROOT/docs/examples/default-store.txt
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK PSTATE_HISTORY=$WORK/history
export PSTATE_SEM_MODE PSTATE_LOCK_DIR PSTATE_HISTORY
IMG=$WORK/shell.img
SOCK=psctl-e2e-$$

if ! command -v tmux >/dev/null 2>&1; then
    fail "tmux is not installed"
    return 0
fi
"$PSCTL" -q -i "$IMG" init >/dev/null && "$PSCTL" -q -i "$IMG" import "$SAMPLE" ||
    fail "shell: setting up the image failed"

# tm, screen, last_line, wait_for, wait_last: lib.sh.
check() { if "$@"; then pass "$NAME"; else fail "$NAME: screen: $(last_line)"; fi; }
start() {
    # The exit status is printed by the wrapper: tmux's pane_dead_status
    # is sometimes empty when the pty closes before the child is reaped.
    tm new-session -d -s S -x 120 -y 30 \
        "'$PSCTL' -i '$IMG' shell; echo SHELL-EXIT=\$?" \; \
        set-window-option -t S remain-on-exit on
}

start
NAME="shell shows the prompt" check wait_for "psctl>"
NAME="shell names the store" check wait_for "psctl: store: image:$IMG"

# A command completes from its first letters.
tm send-keys -t S "inf" Tab
NAME="tab completes 'inf' to 'info '" check wait_last "psctl> info"
tm send-keys -t S Enter
NAME="completed command runs" check wait_for "generation"

# Noun, verb and VM name.
tm send-keys -t S "vm sh" Tab
NAME="tab completes the verb 'show'" check wait_last "psctl> vm show"
tm send-keys -t S "we" Tab
NAME="tab completes the VM name web01" check wait_last "psctl> vm show web01"
tm send-keys -t S Enter
NAME="vm show web01 runs" check wait_for "web01" 2

# Several candidates: listed, nothing lost.
tm send-keys -t S "vm show " Tab
NAME="tab lists both VM names" check wait_for "build01  web01"
tm send-keys -t S C-u
tm send-keys -t S C-a C-k

# An error is one line and the shell goes on.
tm send-keys -t S "frobnicate" Enter
NAME="error message" check wait_for "psctl: 'frobnicate': unknown command"
tm send-keys -t S 'vm show "no such vm"' Enter
NAME="error naming the VM" check wait_for "'no such vm'"
NAME="shell still alive after errors" check \
    [ "$(tm display-message -p -t S '#{pane_dead}')" = 0 ]
tm send-keys -t S "scan" Enter
NAME="next command runs after the errors" check wait_for "default    image"

# History: the up arrow brings back the last lines.
tm send-keys -t S Up
NAME="up arrow recalls 'scan'" check wait_last "psctl> scan"
tm send-keys -t S Up
NAME="up again recalls the failed command" check wait_last 'psctl> vm show "no such vm"'
tm send-keys -t S C-a C-k "quit" Enter
NAME="quit ends the shell with status 0" check wait_for "SHELL-EXIT=0"
tm kill-server 2>/dev/null

grep -q '^scan$' "$PSTATE_HISTORY" && pass "history file holds the commands" ||
    fail "history file: $(cat "$PSTATE_HISTORY" 2>/dev/null)"

# A new session recalls the previous one's lines; end of input ends it.
start
wait_for "psctl>" >/dev/null
tm send-keys -t S Up
NAME="new session recalls 'quit' from the file" check wait_last "psctl> quit"
tm send-keys -t S C-a C-k C-d
NAME="end of input (^D) ends the shell with status 0" check \
    wait_for "SHELL-EXIT=0"
tm kill-server 2>/dev/null

# Without a terminal the shell reads commands from standard input, runs
# every line past an error, and exits with the failed command's code.
printf 'vm show web01\nfrobnicate\ninfo\n' |
    "$PSCTL" -q -i "$IMG" shell >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 2 ] && grep -q '^generation' "$WORK/out" &&
    grep -q "unknown command" "$WORK/err" &&
    pass "piped shell runs every line past an error, exits 2" ||
    fail "piped shell: rc $rc, $(cat "$WORK/err")"
printf 'vm show nosuch\ninfo\n' |
    "$PSCTL" -q -i "$IMG" shell >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 5 ] && grep -q '^generation' "$WORK/out" &&
    pass "piped shell: a later success keeps the failure's code (5)" ||
    fail "piped shell, not found: rc $rc, $(cat "$WORK/err")"
printf 'vm show web01\ninfo\n' | "$PSCTL" -q -i "$IMG" shell >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] && pass "piped shell with no failure exits 0" ||
    fail "piped shell, all good: rc $rc"
