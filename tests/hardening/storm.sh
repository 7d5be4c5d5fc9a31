#!/bin/sh
# The message storm (tests/hardening/storm.pd): MESSAGES random messages
# (10^5 unless given) of every kind into every inlet of four models'
# objects in real Pd, seeded (STORM_SEED, 1 unless set).  Passes when Pd
# lives through it and quits by itself, the witnesses' predictions on a
# fixed sequence are the same before and after the storm, value by value,
# and every error line names one of our objects.  Prints how many lines
# and error lines the storm made, and how long it took.
#
# usage: tests/hardening/storm.sh [MESSAGES]
# environment: PD (default pd), RNN_LIB_DIR (default: the repo root),
#              STORM_SEED, HARDEN_CC (default gcc)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${1:-100000}
seed=${STORM_SEED:-1}
lib_dir=${RNN_LIB_DIR:-$root}
pd_bin=${PD:-pd}
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-storm.XXXXXX") || exit 2
trap '[ -n "${STORM_KEEP:-}" ] || rm -rf "$work"' EXIT

fail() {
    echo "FAIL storm: $1"
    if [ -s "$work/out" ]; then
        echo "  last 30 lines of output:"
        tail -n 30 "$work/out" | cut -c1-300 | sed 's/^/  | /'
    fi
    echo "0 passed, 1 failed"
    exit 1
}

# the generator, then the storm and the files it reads
${HARDEN_CC:-gcc} -O2 -o "$work/storm_gen" "$here/storm_gen.c" ||
    fail "cannot build storm_gen"
"$work/storm_gen" "$seed" "$count" "$work" >"$work/storm.txt" 2>"$work/gen" ||
    fail "storm_gen failed"
# the last line proves that the whole storm was delivered
echo "mark storm-last;" >>"$work/storm.txt"
head -c 4096 "$here/storm.pd" >"$work/garbage.rnn"
: >"$work/empty.rnn"

# the patch runs beside its storm: it finds the folder with [pdcontrol]
cp "$here/storm.pd" "$work/storm.pd"
start=$(date +%s)
{ timeout 900 "$pd_bin" -nogui -noaudio -batch -stderr -noprefs \
    -path "$lib_dir" -path "$root/tests/pd/lib" -open "$work/storm.pd" \
    >"$work/out" 2>&1 </dev/null; } 2>/dev/null
status=$?
seconds=$(($(date +%s) - start))

# what the storm printed, between its two marks
sed -n '/^mark: storm-begin/,/^mark: storm-end/p' "$work/out" >"$work/storm"
lines=$(($(wc -l <"$work/storm") - 3))
errors=$(grep -c 'error:' "$work/storm")
# Pd's own [receive] refuses 'float SYMBOL' and 'symbol FLOAT' before any
# object of ours sees them; every other error must be ours
foreign=$(grep 'error:' "$work/storm" | grep -v \
    '^error: rnn\.\(encode\|cell\|decode\): ' | grep -v -c \
    "^error: bad arguments for message '[a-z]*' to object 'receive'")
longest=$(awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }' \
    "$work/storm")
echo "storm: $count messages ($(sed 's/^storm_gen: //' "$work/gen"))," \
    "seed $seed, ${seconds}s"
echo "storm: $lines lines printed, $errors of them errors, the longest" \
    "$longest characters"
grep 'error:' "$work/storm" | sed 's/[-0-9.e+]*[0-9][-0-9.e+]*/N/g' |
    sort | uniq -c | sort -rn | head -n 12 | cut -c1-160 |
    sed 's/^/storm:   /'

[ "$status" -eq 0 ] || fail "pd exited with status $status"
grep -q "couldn't create" "$work/out" && fail "an object couldn't be created"
grep -q '^mark: storm-last' "$work/out" || fail "the storm did not end"
grep -q '^mark: alive' "$work/out" || fail "no 'alive' mark after the storm"
[ "$foreign" -eq 0 ] || fail "$foreign error lines not from our objects"
for model in e g l; do
    grep -q "^$model: mismatches 0\$" "$work/out" ||
        fail "witness $model: predictions differ after the storm"
    values=$(grep "^$model: values " "$work/out")
    set -- $values
    [ "${3:-0}" -gt 0 ] && [ "$3" = "${4:-}" ] ||
        fail "witness $model: $values"
done
before=$(sed -n '1,/^mark: storm-begin/p' "$work/out" | grep '^pred-')
after=$(sed -n '/^mark: storm-end/,$p' "$work/out" | grep '^pred-')
[ -n "$before" ] && [ "$before" = "$after" ] ||
    fail "the predicted tokens differ after the storm"
echo "ok storm"
echo "1 passed, 0 failed"
