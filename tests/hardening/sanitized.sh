#!/bin/sh
# Run a command with AddressSanitizer and UBSan set to stop at their first
# report and to write every report to a file in LOGDIR; fail when any
# report was written, even if the command itself passed, and show them.
#
# usage: tests/hardening/sanitized.sh LOGDIR COMMAND...
#
# Leaks: LeakSanitizer is on inside Pd too.  Debian's Pd has no frame
# pointers, so allocation stacks are unwound the slow way
# (fast_unwind_on_malloc=0): only then do lsan.supp's suppressions, which
# name Pd's own functions, match, and only then does a leak of ours show
# the code that made it.
set -u
logs=$1
shift
mkdir -p "$logs"
rm -f "$logs"/report.*

suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:exitcode=86:\
detect_leaks=1:log_path=$logs/report:strict_string_checks=1:\
fast_unwind_on_malloc=0:\
detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:\
log_path=$logs/report"
export LSAN_OPTIONS="suppressions=$suppressions:print_suppressions=0"

"$@"
status=$?

reports=$(ls "$logs"/report.* 2>/dev/null)
if [ -n "$reports" ]; then
    echo "sanitizer reports (in $logs):"
    for report in $reports; do
        echo "---- $report"
        head -n 60 "$report"
    done
    echo "FAIL: the sanitizers reported errors"
    exit 1
fi
exit $status
