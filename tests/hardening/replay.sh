#!/bin/sh
# Replay the committed regression inputs (fuzz/regressions/TARGET) and the
# seed corpus (fuzz/corpus/TARGET) through each target built with gcc, the
# sanitizers and fuzz/replay.c.  Ends on the runner's "N passed, N failed"
# line, one count per target.
#
# usage: tests/hardening/replay.sh BINDIR TARGET...
set -u
bin=$1
shift
passed=0
failed=0
for target in "$@"; do
    inputs=""
    for folder in "fuzz/regressions/$target" "fuzz/corpus/$target"; do
        [ -d "$folder" ] && inputs="$inputs $folder"
    done
    out=$(ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        "$bin/$target" $inputs 2>&1)
    status=$?
    if [ "$status" -eq 0 ]; then
        echo "ok $target ($(printf '%s\n' "$out" | tail -n 1))"
        passed=$((passed + 1))
    else
        echo "FAIL $target (status $status)"
        printf '%s\n' "$out" | grep -v '^replay: ' | head -n 40 |
            sed 's/^/  | /'
        printf '%s\n' "$out" | grep '^replay: ' | tail -n 1 |
            sed 's/^/  last input: /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
