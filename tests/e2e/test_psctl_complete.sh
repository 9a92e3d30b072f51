# Completion driven through tmux as a person types: bash with
# scripts/psctl-completion.bash sourced, then `psctl shell` (libedit),
# both through psctl's one completion function.  Names come from the
# store on the line (-i IMG); only the command's own fields are offered,
# the allowed words of a field, networks after --network, images (not
# files) after --image of storage add, and never the list header NAME.
echo "psctl completion (tmux: bash and the shell)"
SAMPLE=$ROOT/docs/examples/default-store.txt
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK PSTATE_HISTORY=$WORK/history
export PSTATE_SEM_MODE PSTATE_LOCK_DIR PSTATE_HISTORY
IMG=$WORK/c.img
SOCK=psctl-complete-$$

if ! command -v tmux >/dev/null 2>&1; then
    fail "tmux is not installed"
    return 0
fi
"$PSCTL" -q -i "$IMG" init >/dev/null && "$PSCTL" -q -i "$IMG" import "$SAMPLE" ||
    fail "complete: setting up the image failed"
# psctl by its name on PATH, as the completion is registered for it; a
# file whose name an image completion must not offer.
mkdir -p "$WORK/bin" "$WORK/cwd"
ln -sf "$PSCTL" "$WORK/bin/psctl"
: > "$WORK/cwd/wfile"

# tm, screen, last_line, wait_for, wait_last: lib.sh.
check() { if "$@"; then pass "$NAME"; else fail "$NAME: screen: $(screen | sed '/^ *$/d' | tail -n 4 | tr '\n' '|')"; fi; }
# The candidate list bash or the shell printed after the last prompt line.
# (10 s bound)
listed() {
    n=0
    while [ $n -lt 100 ]; do
        screen | sed '/^ *$/d' | tail -n 2 | head -n 1 | grep -qE -- "$1" && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}
clear_line() { tm send-keys -t S C-a C-k; tm send-keys -t S C-l; sleep 0.2; }

# kill_server: end the tmux server and remove its socket (kill-server
# leaves it behind).
kill_server() {
    sock=$(tm display-message -p '#{socket_path}' 2>/dev/null)
    tm kill-server 2>/dev/null
    [ -n "$sock" ] && rm -f "$sock"
}

# ---- bash
tm new-session -d -s S -x 160 -y 40 -c "$WORK/cwd" \
    "env -i HOME=$WORK TERM=xterm PATH=$WORK/bin:/usr/bin:/bin INPUTRC=/dev/null \
     PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK PS1='$ ' bash --norc --noprofile -i"
wait_for '$' >/dev/null
tm send-keys -t S "source '$ROOT/scripts/psctl-completion.bash'; bind 'set show-all-if-ambiguous on'; bind 'set completion-query-items 0'; clear" Enter
wait_last '$' >/dev/null
P="psctl -i $IMG"

tm send-keys -t S "$P vm cr" Tab
NAME="bash: verb 'cr' completes to 'create'" check wait_last "\$ $P vm create"
clear_line

tm send-keys -t S "$P nic add web01 eth9 --network " Tab
NAME="bash: --network lists the store's networks" check wait_for "lan"
NAME="bash: --network lists both networks" check listed "lan +provisioning"
clear_line
tm send-keys -t S "$P nic add web01 eth9 --network p" Tab
NAME="bash: --network p completes to provisioning" check \
    wait_last "\$ $P nic add web01 eth9 --network provisioning"
clear_line

tm send-keys -t S "$P storage add web01 d2 --image " Tab
NAME="bash: --image of storage add lists images" check wait_for "web01-root"
NAME="bash: --image offers images, not files" check listed "installer +web01-root\$"
clear_line
tm send-keys -t S "$P storage add web01 d2 --image w" Tab
NAME="bash: --image w completes the image, not the file wfile" check \
    wait_last "\$ $P storage add web01 d2 --image web01-root"
clear_line

tm send-keys -t S "$P vm set web01 --pow" Tab
NAME="bash: field --pow completes to --power" check wait_last "\$ $P vm set web01 --power"
tm send-keys -t S Tab
NAME="bash: --power lists its allowed words" check listed "last +off +on"
clear_line

tm send-keys -t S "$P nic add web01 eth9 --" Tab
NAME="bash: nic add offers only the NIC's fields" check \
    listed "^--link +--mac +--model +--name +--network *\$"
clear_line

tm send-keys -t S "$P vm show " Tab
NAME="bash: vm show lists the VMs" check listed "build01 +web01"
NAME="bash: the header NAME is never offered" check sh -c "! tmux -L '$SOCK' capture-pane -p -t S | grep -q 'NAME'"
clear_line

tm send-keys -t S "$P import " Tab
NAME="bash: import FILE completes file names" check wait_last "\$ $P import wfile"
clear_line
tm send-keys -t S "exit" Enter
kill_server

# ---- psctl shell: the same function
tm new-session -d -s S -x 160 -y 40 -c "$WORK/cwd" \
    "'$PSCTL' -i '$IMG' shell; echo SHELL-EXIT=\$?" \; \
    set-window-option -t S remain-on-exit on
wait_for "psctl>" >/dev/null
tm send-keys -t S "nic add web01 eth9 --network " Tab
NAME="shell: --network lists networks" check wait_for "lan  provisioning"
tm send-keys -t S "p" Tab
NAME="shell: --network p completes" check wait_last "psctl> nic add web01 eth9 --network provisioning"
tm send-keys -t S C-a C-k
tm send-keys -t S "storage add web01 d2 --image w" Tab
NAME="shell: --image completes an image name" check wait_last "psctl> storage add web01 d2 --image web01-root"
tm send-keys -t S C-a C-k
tm send-keys -t S "vm set web01 --power " Tab
NAME="shell: --power lists its words" check wait_for "last  off  on"
tm send-keys -t S C-a C-k
tm send-keys -t S "nic add web01 eth9 --" Tab
NAME="shell: only the NIC's fields" check wait_for "--link  --mac  --model  --name  --network"
tm send-keys -t S C-a C-k
tm send-keys -t S "vm show " Tab
NAME="shell: VM names, no header" check wait_for "build01  web01"
tm send-keys -t S C-a C-k "quit" Enter
NAME="shell: quit" check wait_for "SHELL-EXIT=0"
kill_server
