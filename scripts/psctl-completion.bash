# bash completion for psctl(1).  Install as
# /usr/share/bash-completion/completions/psctl (make install), or source it.
#
# Commands, nouns and verbs come from `psctl help` of the installed binary,
# so the list follows the build; object names come from `psctl -q NOUN list`
# on the store the command line names (-d / -i / --bmc with -U, -P), when
# it answers.

_psctl_words() {
    # "psctl help" lines: "  init [...]   help" / "  vm set NAME ...  help"
    psctl help 2>/dev/null | awk '/^  [a-z]/ { print $1, $2 }'
}

_psctl_names() {
    # $1 = noun; the store options already on the line
    psctl -q "${store[@]}" "$1" list 2>/dev/null | awk 'NF { print $1 }'
}

_psctl() {
    local cur prev i w noun="" verb="" store=() nwords=0
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}

    case $prev in
        -d|--device) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -i|--image|-o|--output|import) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --bmc|-U|--user|-P|--password|--first|--last|--hostnames|--hostname-base) return ;;
        -L|--privilege) COMPREPLY=($(compgen -W "operator administrator" -- "$cur")); return ;;
        --vm) noun=vm ;;
        --network|--net) noun=net ;;
        --image) noun=image ;;
        --profile) noun=profile ;;
    esac
    # Global options, then the command words.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -d|--device|-i|--image|--bmc|-U|--user|-P|--password)
               store+=("$w" "${COMP_WORDS[i+1]}"); i=$((i+1)) ;;
            -L|--privilege) i=$((i+1)) ;;
            -*) ;;
            *) nwords=$((nwords+1))
               [ $nwords -eq 1 ] && verb=$w
               [ $nwords -eq 2 ] && { noun=$verb; verb=$w; } ;;
        esac
    done
    if [[ $prev == --network || $prev == --net || $prev == --image || $prev == --profile || $prev == --vm ]]; then
        COMPREPLY=($(compgen -W "$(_psctl_names "$noun")" -- "$cur")); return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-d -i -q --json --dry-run --help --version
            --gpt --mbr --size --part-size --slots --force --all --binary -o
            --name --description --serial --uuid --memory --cpus --sockets --cores
            --threads --power --pxe --pxe-nic --boot --profile --network --mac
            --model --link --image --media --bootable --writable --bus --port
            --concentrator --mode --hostname --uplink --kind --vlan --mtu --path
            --format --shareable --owner --first --count --state --target-kind
            --target --macs --wwns --fc-boot --bmc -U --user -P --password -L
            --privilege --vm --last --hostnames --hostname-base" -- "$cur"))
        return
    fi
    case $nwords in
        0) COMPREPLY=($(compgen -W "$(_psctl_words | awk '{ print $1 }' | sort -u) exit" -- "$cur")) ;;
        1) COMPREPLY=($(compgen -W "$(_psctl_words | awk -v n="$verb" '$1 == n { print $2 }')" -- "$cur")) ;;
        2) case $noun in
               vm|nic|storage|serial) COMPREPLY=($(compgen -W "$(_psctl_names vm)" -- "$cur")) ;;
               bmc) case $verb in
                        power) COMPREPLY=($(compgen -W "status on off" -- "$cur")) ;;
                        profile) COMPREPLY=($(compgen -W "push pull" -- "$cur")) ;;
                    esac ;;
               net|image|reserve|profile|server) COMPREPLY=($(compgen -W "$(_psctl_names "$noun")" -- "$cur")) ;;
           esac ;;
    esac
}
complete -F _psctl psctl
