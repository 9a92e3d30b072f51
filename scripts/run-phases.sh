#!/bin/sh
# Run the phases of `make test` one after another, each as
# `MAKE --no-print-directory PHASE`, and end with the time each took, so a
# CI log shows where the suite's time went:
#
#   scripts/run-phases.sh MAKE PHASE...
#
# A phase written NAME=TARGET is timed as NAME.  The first phase that fails
# stops the run (as make without -k would); the times so far are printed
# then too, and the exit status is 1.
set -u
[ $# -ge 2 ] || { echo "usage: run-phases.sh MAKE PHASE..." >&2; exit 2; }
make=$1
shift
sum=""
status=0
start=$(date +%s)
for p in "$@"; do
    name=${p%%=*} target=${p#*=}
    t0=$(date +%s)
    # shellcheck disable=SC2086
    $make --no-print-directory $target || status=1
    t=$(( $(date +%s) - t0 ))
    sum="$sum$(printf '  %-14s %4d s  %2d min %02d s' "$name" "$t" $((t / 60)) $((t % 60)))
"
    [ $status -eq 0 ] || { sum="$sum  ($name failed: the phases after it did not run)
"; break; }
done
t=$(( $(date +%s) - start ))
echo "make test: time per phase"
printf '%s' "$sum"
printf '  %-14s %4d s  %2d min %02d s\n' total "$t" $((t / 60)) $((t % 60))
exit $status
