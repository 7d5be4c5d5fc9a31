#!/bin/sh
# The unit tests and the given patches under valgrind memcheck, through
# tests/run.sh (so the last line is its "N passed, N failed").  A failed
# run's valgrind log is shown after the runner's summary.
#
# usage: tests/hardening/valgrind.sh PATCH...
# environment: VALGRIND_LOGS (a folder), and what tests/run.sh takes
set -u
logs=${VALGRIND_LOGS:?}
rm -rf "$logs"
mkdir -p "$logs"
export VALGRIND_LOGS="$logs"
sh tests/run.sh "$@" >"$logs/run.out" 2>&1
status=$?
for log in "$logs"/*.log; do
    [ -s "$log" ] || continue
    echo "---- valgrind: $log"
    head -n 80 "$log"
done
cat "$logs/run.out"
exit $status
