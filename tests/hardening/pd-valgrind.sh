#!/bin/sh
# Pd under valgrind memcheck, for tests/run.sh as $PD: exits 99 on any
# invalid read or write, use of uninitialised memory, or definite leak.
# Each run's log goes to VALGRIND_LOGS (tests/hardening/valgrind.sh shows
# the logs of the runs that failed).  Suppressions for Pd's own memory:
# tests/hardening/valgrind.supp.
here=$(cd "$(dirname "$0")" && pwd)
logs=${VALGRIND_LOGS:-/tmp}
mkdir -p "$logs"
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions="$here/valgrind.supp" --num-callers=30 \
    --log-file="$logs/pd.%p.log" "${HARDEN_PD:-pd}" "$@"
