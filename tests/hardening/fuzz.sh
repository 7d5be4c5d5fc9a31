#!/bin/sh
# Run each libFuzzer target for SECONDS from its committed corpus
# (fuzz/corpus/TARGET, when there is one), adding new inputs to a working
# corpus under DIR/corpus/TARGET; a crash, leak or timeout leaves its input
# in DIR/crashes/TARGET/.  Nothing is written in the source tree.  Fails
# when any target found something.
#
# usage: tests/hardening/fuzz.sh SECONDS DIR TARGET...
set -u
seconds=$1
dir=$2
shift 2
failed=0
for target in "$@"; do
    work="$dir/corpus/$target"
    crashes="$dir/crashes/$target"
    mkdir -p "$work" "$crashes"
    seeds=""
    [ -d "fuzz/corpus/$target" ] && seeds="fuzz/corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    start=$(date +%s)
    # -rss_limit_mb: the targets keep every size small, so 2 GB is a bug;
    # -timeout: one input over 10 s is a hang worth reporting
    ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        "$dir/libfuzzer/$target" -max_total_time="$seconds" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$work" $seeds \
        >"$dir/$target.log" 2>&1
    status=$?
    took=$(($(date +%s) - start))
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|cov:' \
        "$dir/$target.log" | tail -n 3 | sed 's/^/  /'
    if [ "$status" -ne 0 ]; then
        failed=1
        echo "FAIL fuzz $target (status $status, ${took}s):" \
            "see $dir/$target.log"
        grep 'Test unit written' "$dir/$target.log" | sed 's/^/  /'
        # the report itself, for a CI log that keeps no build folder
        awk '/ERROR|runtime error|fuzz check failed/ { on = 1 }
            on && shown++ < 40 { print "  | " $0 }' "$dir/$target.log"
    else
        echo "ok fuzz $target (${took}s)"
    fi
done
exit $failed
