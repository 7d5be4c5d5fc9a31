#!/bin/sh
# soak/run.sh (make soak): a long run of one Pd, to catch crashes and leaks
# that short tests miss.
#
# Pd runs in real time (not -batch), DSP on with an [osc~] into [dac~],
# and soak/soak.pd feeds EVENTS characters of data/tinyshakespeare.txt
# (byte values as numeric tokens; from the start again when it ends) into
# an LSTM-256 chain whose cell trains on a worker thread ([rnn.cell ...
# -thread]), K events at each [metro 1] tick (about 1000*K a second).
# On the way it makes and deletes objects (a whole chain of another model,
# a second cell and decoder of the main model), switches the worker off
# and on, writes the model, reads it back and resets it: see the comment
# in soak.pd for the schedule.
#
# This script samples the Pd process's resident memory (VmRSS in
# /proc/PID/status) and its thread count every SOAK_SAMPLE seconds, with
# the event count the patch last printed. After WARM events (by then the
# first write, read, thread switch and object cycles are done) it takes
# "start", the median RSS over the next fifth of the remaining events,
# and "end", the median over the last fifth (medians: the worker is
# switched off now and then, which frees its buffers for a moment). The
# run fails when Pd crashes, errs or times out, when end exceeds start by
# more than SOAK_MARGIN_MB, or when Pd ever has more than 3 threads (its
# own, the main model's worker, another model's for a moment). It prints
# the RSS trace and ends on one line:
#   soak: N events, RSS start X MB end Y MB, OK|FAIL
#
# Pd runs with glibc's MALLOC_MMAP_THRESHOLD_=131072 (unless set): large
# blocks (a model's tensors, the bytes of a model file) are then mapped and
# unmapped, so RSS follows what is allocated. Without it glibc raises the
# threshold after the first large free and later large blocks come from
# the heap, which keeps what it freed: RSS then steps up by 10-20 MB over
# the first few write/read cycles and stays there (measured: each
# operation repeated 50-1600 times leaves RSS flat, and LeakSanitizer
# finds nothing), which would hide a real leak of that size.
#
# usage: sh soak/run.sh [EVENTS [K]]   (defaults 1000000 and 3: ~6 min)
# Environment: RNN_LIB_DIR (folder of rnn.pd_linux, default the repo
# root), PD (the Pd binary), SOAK_SAMPLE (5), SOAK_MARGIN_MB (4),
# SOAK_WARM (events before the start; default a fifth of EVENTS).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
lib=${RNN_LIB_DIR:-$top}
pd_bin=${PD:-pd}
events=${1:-1000000}
per_tick=${2:-3}
sample=${SOAK_SAMPLE:-5}
margin=${SOAK_MARGIN_MB:-4}
warm=${SOAK_WARM:-$((events / 5))}
text="$top/data/tinyshakespeare.txt"

if [ ! -e "$lib/rnn.pd_linux" ]; then
    echo "soak: no $lib/rnn.pd_linux (run make first)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-soak.XXXXXX") || exit 2
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# one byte value a line, for [textfile] (read ... cr)
head -c "$events" "$text" | od -An -v -tu1 -w1 | awk 'NF { print $1 }' \
    >"$work/tokens.txt"
mkdir "$work/model"
out="$work/pd.out"
# generous: the planned time at K per ms, doubled, plus a minute
limit=$((events / per_tick / 1000 * 2 + 60))

echo "soak: $events events, $per_tick per [metro 1] tick, LSTM-256 -thread," \
    "DSP on; RSS sampled every ${sample}s, start after $warm events," \
    "margin $margin MB, MALLOC_MMAP_THRESHOLD_" \
    "${MALLOC_MMAP_THRESHOLD_:-131072} (time limit ${limit}s)"
start=$(date +%s)
MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072} \
    "$pd_bin" -nogui -noaudio -stderr -noprefs -path "$lib" \
    -send "soak-file symbol $work/tokens.txt" \
    -send "soak-dir symbol $work/model" \
    -send "soak-run $events $per_tick" \
    -open "$top/soak/soak.pd" >"$out" 2>&1 </dev/null &
pid=$!

kb_of() { # field -> value of /proc/$pid/status (kB or count), or empty
    awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status" 2>/dev/null
}
mb() { # kB -> MB, one decimal
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# one line per sample: elapsed seconds, events done, RSS kB, threads
samples="$work/samples.txt"
: >"$samples"
while kill -0 "$pid" 2>/dev/null; do
    rss=$(kb_of VmRSS)
    threads=$(kb_of Threads)
    if [ -n "$rss" ] && [ -n "$threads" ]; then
        progress=$(sed -n 's/^soak-progress: //p' "$out" | tail -n 1)
        elapsed=$(($(date +%s) - start))
        echo "$elapsed ${progress:-0} $rss $threads" >>"$samples"
        if [ "$elapsed" -gt "$limit" ]; then
            echo "soak: time limit of ${limit}s passed; stopping Pd"
            kill "$pid"
            break
        fi
    fi
    sleep "$sample"
done
wait "$pid"
status=$?
pid=
elapsed=$(($(date +%s) - start))

# start: the median RSS in the fifth of the run after the warm-up; end:
# the median in the last fifth.  Medians, because the run makes and
# deletes whole chains (a spike for a moment) and switches the worker off
# (a dip for a moment): a leak moves the median, a moment does not.
span=$(((events - warm) / 5))
eval "$(awk -v warm="$warm" -v span="$span" -v last="$events" '
    function median(a, n,    i, j, v) {
        for (i = 1; i < n; i++) {
            v = a[i]
            for (j = i - 1; j >= 0 && a[j] > v; j--)
                a[j + 1] = a[j]
            a[j + 1] = v
        }
        return n ? a[int(n / 2)] : 0
    }
    $2 >= warm && $2 < warm + span { first[n1++] = $3 }
    $2 >= last - span { final[n2++] = $3 }
    $2 >= warm { if ($4 > tmax) tmax = $4; if (tmin == "" || $4 < tmin) tmin = $4 }
    { if ($3 > peak) peak = $3 }
    END {
        printf "base_rss=%d end_rss=%d n_start=%d n_end=%d", median(first, n1),
            median(final, n2), n1, n2
        printf " peak_rss=%d min_threads=%d max_threads=%d\n", peak, tmin, tmax
    }' "$samples")"
ok=1
reasons=
if [ "$status" -ne 0 ]; then
    ok=0
    reasons="$reasons; pd exited with status $status"
fi
if ! grep -q '^soak-done: bang' "$out"; then
    ok=0
    reasons="$reasons; the patch did not finish"
fi
if grep -q "error:\|couldn't create" "$out"; then
    ok=0
    reasons="$reasons; errors in Pd's output"
fi
if [ "$n_start" -eq 0 ] || [ "$n_end" -eq 0 ]; then
    ok=0
    reasons="$reasons; too few memory samples"
else
    grown=$((end_rss - base_rss))
    if [ "$grown" -gt $((margin * 1024)) ]; then
        ok=0
        reasons="$reasons; RSS grew by $(mb "$grown") MB after the warm-up"
    fi
fi
# the main model's worker, and briefly another model's: never more
if [ "$max_threads" -gt 3 ]; then
    ok=0
    reasons="$reasons; $max_threads threads (at most 3 expected)"
fi
grep -v '^soak-progress: ' "$out" | grep -v '^pd-rnn ' | sed 's/^/  pd: /'
# the trace: events done and RSS, where RSS moved by 0.5 MB or more
echo "soak: RSS in MB after N events (where it moved by 0.5 MB or more):"
awk '{ mb = $3 / 1024; if (NR == 1 || mb - last >= 0.5 || last - mb >= 0.5) {
        printf " %d:%.1f", $2, mb; last = mb } } END { printf " %d:%.1f\n", $2, mb }' \
    "$samples" | fold -s -w 76 | sed 's/^/ /'
echo "soak: ${elapsed}s, peak RSS $(mb "$peak_rss") MB, threads" \
    "$min_threads..$max_threads after the warm-up, skipped windows" \
    "$(sed -n 's/^soak-skipped: //p' "$out")"
[ -n "$reasons" ] && echo "soak: FAIL:${reasons#;}"
result=OK
[ "$ok" -eq 1 ] || result=FAIL
echo "soak: $events events, RSS start $(mb "$base_rss") MB end" \
    "$(mb "$end_rss") MB, $result"
[ "$ok" -eq 1 ]
