#!/bin/sh
# bench/pd_timing.sh: how long one event into a chain takes inside real Pd.
#
# Each variant runs in its own Pd, in real time (not -batch: logical time
# follows the clock, so a [metro] sets a real rate), driving
# bench/pd_timing.pd: one character of demo/tinyshakespeare_excerpt.txt per
# tick as a numeric token (its byte value), so the vocabulary grows as new
# characters appear (62 in the excerpt, the last new ones after 10000
# characters). Around each event the patch reads [realtime]: from the
# token sent to [rnn.encode] until the whole chain (cell, decoder,
# gradient, training or handing the window to the worker) has returned.
# This script sorts the values and prints, per variant, the median, the
# 99.9th percentile and the maximum in ms, and the windows the worker
# skipped because it was still busy with the previous one.
#
# usage: sh bench/pd_timing.sh [EVENTS [MS]]
#   EVENTS  events per variant (default 15000; the excerpt wraps around)
#   MS      logical (here real) ms between events (default 1: 1000/s)
# Environment: RNN_LIB_DIR (folder of rnn.pd_linux, default the repo
# root), PD (the Pd binary, default pd).
#
# The issue's goal: the 99.9th percentile under 0.5 ms with -thread at
# LSTM-256 -window 32, where one synchronous training burst costs about
# 3 ms.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
lib=${RNN_LIB_DIR:-$top}
pd_bin=${PD:-pd}
events=${1:-15000}
ms=${2:-1}
text="$top/demo/tinyshakespeare_excerpt.txt"

if [ ! -e "$lib/rnn.pd_linux" ]; then
    echo "pd_timing: no $lib/rnn.pd_linux (run make first)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-timing.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM

# the first EVENTS characters, one byte value a line ([textfile] ... cr)
head -c "$events" "$text" | od -An -v -tu1 -w1 | awk 'NF { print $1 }' \
    >"$work/tokens.txt"
limit=$(awk -v n="$events" -v ms="$ms" 'BEGIN { print int(n * ms / 1000) + 60 }')

echo "== one event through [rnn.encode] -> [rnn.cell] -> [rnn.decode] in Pd,"
echo "   $events events of text, one every $ms ms (metro), window 32;"
echo "   time in ms from the send into the encoder until it returns"
printf '%-28s %8s %8s %8s %7s %8s %8s\n' variant median 99.9% max '>0.5ms' 'max at' skipped

run() { # label encoder-text cell-text
    out="$work/out.txt"
    timeout "$limit" "$pd_bin" -nogui -noaudio -stderr -noprefs \
        -path "$lib" -send "pt-file symbol $work/tokens.txt" \
        -send "pt-enc $2" -send "pt-cell $3" -send "pt-run $events $ms" \
        -open "$top/bench/pd_timing.pd" >"$out" 2>&1 </dev/null
    status=$?
    sed -n 's/^pt-ms: //p' "$out" >"$work/values.txt"
    sort -g "$work/values.txt" >"$work/sorted.txt"
    n=$(wc -l <"$work/sorted.txt")
    if [ "$status" -ne 0 ] || [ "$n" -ne "$events" ] ||
        grep -q "error:\|couldn't create" "$out"; then
        echo "pd_timing: $1 failed (status $status, $n of $events values):"
        grep -v '^pt-ms: ' "$out" | tail -n 20
        return 1
    fi
    skipped=$(sed -n 's/^pt-skipped: //p' "$out")
    # over 0.5 ms, and the event where the maximum was (growth of the
    # vocabulary: the excerpt's new characters are events 1-68, 98, 115,
    # 147, 155, 213 ... 2187, 4340, 5508, 5755, 6645, 9869, 10129)
    over=$(awk '$1 > 0.5 { n++ } END { print n + 0 }' "$work/values.txt")
    at=$(awk '$1 > m || NR == 1 { m = $1; i = NR } END { print i }' \
        "$work/values.txt")
    awk -v label="$1" -v skipped="${skipped:--}" -v over="$over" -v at="$at" '
        { v[NR] = $1 }
        END {
            p50 = v[int(NR * 0.5 + 0.999999)]
            p999 = v[int(NR * 0.999 + 0.999999)]
            printf "%-28s %8.3f %8.3f %8.3f %7d %8d %8s\n", label, p50, p999,
                v[NR], over, at, skipped
        }' "$work/sorted.txt"
}

failed=0
run "elman-128" "rnn.encode B" "rnn.cell B 128 -window 32" || failed=1
run "elman-128 -thread" "rnn.encode B" \
    "rnn.cell B 128 -window 32 -thread" || failed=1
run "elman-128 -thread -capacity" "rnn.encode B -capacity 128" \
    "rnn.cell B 128 -window 32 -thread" || failed=1
run "lstm-256" "rnn.encode B" "rnn.cell B 256 -type lstm -window 32" ||
    failed=1
run "lstm-256 -thread" "rnn.encode B" \
    "rnn.cell B 256 -type lstm -window 32 -thread" || failed=1
run "lstm-256 -thread -capacity" "rnn.encode B -capacity 128" \
    "rnn.cell B 256 -type lstm -window 32 -thread" || failed=1
echo "(>0.5ms: events that took longer; max at: the event that took"
echo " longest; skipped: windows that fell due while the worker was still"
echo " busy. -capacity 128 reserves the vocabulary's memory, so growing it"
echo " allocates nothing and never waits for the worker)"
exit $failed
