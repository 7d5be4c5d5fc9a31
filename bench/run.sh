#!/bin/sh
# make bench: the core's speed on the reference task (Elman 128, a
# vocabulary of about 65 characters, window 25, trained online on
# Shakespeare), beside PyTorch measured on the same machine in the same run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
text="$top/demo/tinyshakespeare_excerpt.txt"
build="$top/build"

echo "== pd-rnn core: Elman 128, window 25, online training on $(basename "$text")"
ours=$("$build/bench" "$text" 200000) || exit 1
echo "$ours"
our_train=$(echo "$ours" | awk '/^train_events_per_s/ { print $2 }')
our_predict=$(echo "$ours" | awk '/^predict_us/ { print $2 }')

echo "== PyTorch, one thread, the same task (bench/torch_reference.py)"
if [ -x /usr/bin/python3 ]; then
    torch=$(/usr/bin/python3 "$top/bench/torch_reference.py" "$text" 2>/dev/null)
else
    torch="torch_unavailable no /usr/bin/python3"
fi
echo "$torch"
torch_train=$(echo "$torch" | awk '/^torch_train_events_per_s/ { print $2 }')
torch_predict=$(echo "$torch" | awk '/^torch_predict_us/ { print $2 }')

echo "== summary"
printf 'training:   %s events/s' "$our_train"
[ -n "$torch_train" ] && awk -v a="$our_train" -v b="$torch_train" \
    'BEGIN { printf "   %.1fx PyTorch (%s events/s)", a / b, b }'
echo
printf 'prediction: %s us' "$our_predict"
[ -n "$torch_predict" ] && awk -v a="$our_predict" -v b="$torch_predict" \
    'BEGIN { printf "   %.1fx faster than PyTorch (%s us)", b / a, b }'
echo
echo "(the issue's figure for a well-known C library on these machines:"
echo " 88k events/s and 4 us; it is not built here, so no ratio is measured)"
[ -z "$torch_train" ] && echo "(PyTorch not installed: apt-get install python3-torch libopenblas0-pthread)"
exit 0
