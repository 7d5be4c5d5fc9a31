#!/bin/sh
# make bench: the core's speed and learning on real text, beside PyTorch
# (Debian's python3-torch, one thread) measured on this machine in the same
# run.  It takes several minutes.
set -u
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ beside the scripts
top=$(cd "$(dirname "$0")/.." && pwd)
text="$top/data/tinyshakespeare.txt"
bench="$top/build/bench"
torch_ok=1
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    torch_ok=0
    echo "(PyTorch not installed: apt-get install python3-torch" \
         "libopenblas0-pthread for the comparisons)"
fi

field() { # name text
    echo "$2" | awk -v k="$1" '$1 == k { print $2 }'
}

ratio() { # a b -> a / b
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b }'
}

echo "== speed: online training, window 25, Adam, one update per window"
printf '%-10s %12s %12s %12s %10s %10s\n' cell "ours ev/s" "torch ev/s" \
    ratio "ours us" "torch us"
for cell in "elman 128" "gru 128" "lstm 128" "gru 256" "lstm 256"; do
    ours=$("$bench" speed "$text" $cell 100000) || exit 1
    our_train=$(field train_events_per_s "$ours")
    our_predict=$(field predict_us "$ours")
    torch_train="-" torch_predict="-" r="-"
    if [ $torch_ok = 1 ]; then
        theirs=$(/usr/bin/python3 "$top/bench/torch_reference.py" "$text" \
            $cell 2>/dev/null)
        torch_train=$(field torch_train_events_per_s "$theirs")
        torch_predict=$(field torch_predict_us "$theirs")
        r=$(ratio "$our_train" "$torch_train")
    fi
    printf '%-10s %12s %12s %12s %10s %10s\n' "$(echo $cell | tr ' ' '-')" \
        "$our_train" "$torch_train" "$r" "$our_predict" "$torch_predict"
done
echo "(the issues' figures for a well-known C library on these machines:"
echo " Elman-128 88k events/s and 4 us, LSTM-128 24k events/s; it is not"
echo " built here, so no ratio to it is measured)"

echo
echo "== learning: GRU 128, window 16, Adagrad 0.03, online on the first"
echo "   90% of tiny Shakespeare, scored on the last 10% (bits per character)"
ours=$("$bench" valid "$text" gru 128 16 adagrad 0.03 2>/dev/null) || exit 1
echo "pd-rnn:  valid $(field valid_bits "$ours") bits," \
     "$(field train_events_per_s "$ours") events/s"
if [ $torch_ok = 1 ]; then
    theirs=$(/usr/bin/python3 "$top/bench/torch_shakespeare.py" "$text" \
        gru 128 16 adagrad 0.03 2>/dev/null)
    echo "PyTorch: valid $(field valid_bits "$theirs") bits," \
         "$(field train_events_per_s "$theirs") events/s"
fi

echo
echo "== offline: bin/pd-rnn train on the first 90% of tiny Shakespeare,"
echo "   300k events, window 32, Adagrad 0.03, one thread (the whole process"
echo "   timed for pd-rnn; PyTorch's training loop alone)"
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
size=$(wc -c <"$text")
head -c $((size * 9 / 10)) "$text" >"$work/train.txt"
tail -c $((size - size * 9 / 10)) "$text" >"$work/val.txt"
printf '%-16s %12s %12s %10s %10s %10s\n' config "ours ev/s" "torch ev/s" \
    ratio "ours val" "torch val"
for cell in elman gru lstm; do
    for batch in 1 32; do
        start=$(date +%s.%N)
        "$top/bin/pd-rnn" train "$work/train.txt" -o "$work/m.rnn" \
            --type $cell --hidden 128 --batch $batch --window 32 \
            --events 300000 --optim adagrad --lr 0.03 2>/dev/null || exit 1
        end=$(date +%s.%N)
        ours=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", 300000 / (b - a) }')
        our_val=$("$top/bin/pd-rnn" eval "$work/m.rnn" "$work/val.txt" \
            2>/dev/null | awk '/^bits_per_event/ { print $2 }')
        theirs="-" their_val="-" r="-"
        if [ $torch_ok = 1 ]; then
            out=$(/usr/bin/python3 "$top/bench/torch_offline.py" \
                "$work/train.txt" $cell 128 $batch 32 300000 "$work/val.txt" \
                2>/dev/null)
            theirs=$(field train_events_per_s "$out")
            their_val=$(field valid_bits "$out")
            r=$(ratio "$ours" "$theirs")
        fi
        printf '%-16s %12s %12s %10s %10s %10s\n' "$cell-128 b$batch" \
            "$ours" "$theirs" "$r" "$our_val" "$their_val"
    done
done
one=0
for threads in 1 2; do
    start=$(date +%s.%N)
    "$top/bin/pd-rnn" train "$work/train.txt" -o "$work/m.rnn" --type gru \
        --hidden 128 --batch 32 --window 32 --events 300000 \
        --threads $threads 2>/dev/null || exit 1
    end=$(date +%s.%N)
    rate=$(awk -v a="$start" -v b="$end" \
        'BEGIN { printf "%.0f", 300000 / (b - a) }')
    [ $threads = 1 ] && one=$rate
    echo "gru-128 b32, $threads thread(s): $rate events/s" \
        "($(ratio "$rate" "$one") of one thread)"
done
echo "(two threads help only when the second core is idle: see uptime)"
uptime
exit 0
