# bash completion for psctl(1).  Installed as
# $PREFIX/share/bash-completion/completions/psctl by `make install`, or
# source it.
#
# Every candidate comes from psctl itself: `psctl __complete WORDS...`
# gets the words of the line up to the cursor (the last one being typed)
# and prints one candidate a line, from its command tables, the field
# table and the store the line names (-d / -i), as the shell does.  A
# line ":files" asks for file names too.

_psctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} line files=0
    local -a out=()
    COMPREPLY=()
    while IFS= read -r line; do
        if [[ $line == :files ]]; then
            files=1
        else
            out+=("$line")
        fi
    done < <("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    COMPREPLY=("${out[@]}")
    if ((files)); then
        compopt -o filenames 2>/dev/null
        while IFS= read -r line; do
            COMPREPLY+=("$line")
        done < <(compgen -f -- "$cur")
    fi
}
complete -F _psctl psctl
