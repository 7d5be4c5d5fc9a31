#!/bin/sh
# The command line, bin/pd-rnn, as a user runs it: training on text, token
# lines and sound, eval and sample, bad input, and its model in real Pd.
# One line per check, PASS or FAIL, for tests/run.sh.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/programs.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-cli.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failed=0

. "$top/tests/checks.sh"

# the shared data (not in the repository) when it is there
data=${RNN_SHARED_DATA:-$top/../shared/data}

head -c 60000 "$top/data/tinyshakespeare.txt" >"$work/train.txt"
tail -c 20000 "$top/data/tinyshakespeare.txt" >"$work/val.txt"

# text: train, eval, sample, the same again with the same seed
check "version" "$cli" --version

# the README's synopsis of the command line is what --help prints
awk '/^## The command line: bin\/pd-rnn/ { section = 1 }
     section && /^```/ { if (block) exit; block = 1; next }
     block' "$top/README.md" >"$work/readme-usage"
"$cli" --help >"$work/help"
check "the README's synopsis is pd-rnn --help" \
    cmp "$work/readme-usage" "$work/help"
check "train on text" "$cli" train "$work/train.txt" -o "$work/text.rnn" \
    --hidden 32 --window 16 --batch 4 --val "$work/val.txt" --seed 3
check "eval prints bits_per_event last" sh -c \
    "'$cli' eval '$work/text.rnn' '$work/val.txt' | tail -n 1 |
     grep -Eq '^bits_per_event: [0-9]+\.[0-9]+$'"
"$cli" sample "$work/text.rnn" --prime "ROMEO:" -n 80 --seed 4 \
    --temperature 0.8 >"$work/s1" 2>/dev/null
"$cli" sample "$work/text.rnn" --prime "ROMEO:" -n 80 --seed 4 \
    --temperature 0.8 >"$work/s2" 2>/dev/null
check "sample: 80 characters, the same for the same seed" sh -c \
    "cmp -s '$work/s1' '$work/s2' && [ \$(wc -m <'$work/s1') -ge 80 ]"
"$cli" train "$work/train.txt" -o "$work/again.rnn" --hidden 32 \
    --window 16 --batch 4 --seed 3 --val "$work/val.txt" 2>/dev/null
check "train twice with one seed: the same model file" \
    cmp -s "$work/text.rnn" "$work/again.rnn"
check "resume: training goes on from a model" "$cli" train \
    "$work/train.txt" -o "$work/resumed.rnn" --resume "$work/text.rnn" \
    --events 5000

# text from sample ends with a newline in a file (-o) and on a terminal;
# into a pipe or a redirection it is the characters alone
last_bytes() { # count file: the last bytes in hexadecimal
    tail -c "$1" "$2" | od -An -tx1 | tr -d ' \n'
}
newline_added() { # characters-alone file: the same, a newline after
    [ "$(last_bytes 1 "$2")" = 0a ] || return 1
    [ "$(last_bytes 1 "$1")" = 0a ] || printf '\n' >>"$1"
    cmp -s "$1" "$2"
}
"$cli" sample "$work/text.rnn" -n 40 --seed 4 --temperature 1 |
    cat >"$work/piped"
"$cli" sample "$work/text.rnn" -n 40 --seed 4 --temperature 1 \
    -o "$work/sampled.txt"
check "sample into a pipe: the 40 characters alone" \
    [ "$(wc -m <"$work/piped")" -eq 40 ]
check "sample -o FILE: the same characters, then a newline" \
    newline_added "$work/piped" "$work/sampled.txt"
if command -v script >/dev/null 2>&1; then
    script -qec "'$cli' sample '$work/text.rnn' -n 40 --seed 4 \
        --temperature 1" "$work/typescript" </dev/null >"$work/tty" 2>&1
    check "sample on a terminal: a newline last" \
        [ "$(last_bytes 2 "$work/tty")" = 0d0a ]
fi

# token lines and sound
check "train on token lines (chorale melodies)" "$cli" train \
    "$top/data/jsb_chorales_train_first50_top_voice.txt" --tokens words \
    -o "$work/notes.rnn" --hidden 32 --window 16 --epochs 2
check "sample token lines: numbers" sh -c \
    "'$cli' sample '$work/notes.rnn' -n 20 --seed 1 |
     grep -Eq '^[0-9]+( [0-9]+){19}\$'"
# the shared sound, or else one made of the melodies' numbers as mu-law
# classes
if [ -f "$data/spring.wav" ]; then
    sound="$data/spring.wav"
else
    sound="$work/tone.wav"
    "$cli" sample "$work/notes.rnn" -n 16000 --temperature 1 \
        -o "$sound" 2>/dev/null
fi
check "train on sound" "$cli" train "$sound" --tokens audio \
    -o "$work/sound.rnn" --hidden 32 --window 32 --events 20000
check "sample sound into a WAV file" sh -c \
    "'$cli' sample '$work/sound.rnn' -n 4000 -o '$work/out.wav' &&
     head -c 4 '$work/out.wav' | grep -q RIFF"

# a file named as a sound file is read as sound without --tokens, in
# every format sample writes; --tokens given still wins
for type in wav aif aiff aifc flac ogg oga opus au snd caf w64 rf64 mp3; do
    check "sample -o .$type, train on it as sound without --tokens" sh -c \
        "'$cli' sample '$work/sound.rnn' -n 4000 --temperature 1 \
            -o '$work/out.$type' &&
         '$cli' train '$work/out.$type' -o '$work/$type.rnn' --hidden 8 \
            --window 8 --events 100 2>'$work/$type.err' &&
         grep -Eq '^pd-rnn: [0-9]+ events, vocabulary ([2-9]|[0-9]{2,3}),' \
            '$work/$type.err' &&
         '$cli' sample '$work/$type.rnn' -n 10 -o '$work/back.wav'"
done
refuses_saying "sample -o .opus at a rate Opus has not" 'Opus only supports' \
    "$cli" sample "$work/sound.rnn" -n 100 --rate 44100 -o "$work/x.opus"
check "... and no empty file is left" [ ! -e "$work/x.opus" ]
check "eval of a sound model on a sound file, without --tokens" sh -c \
    "'$cli' eval '$work/sound.rnn' '$work/out.wav' >'$work/eval' &&
     grep -Eq '^events: (3|4)[0-9]{3}$' '$work/eval'"
check "--tokens chars reads a sound file as text" "$cli" train \
    "$work/out.wav" --tokens chars -o "$work/bytes.rnn" --hidden 8 \
    --window 8 --events 100
refuses "... and that model of characters writes no sound" "$cli" sample \
    "$work/bytes.rnn" -n 10 -o "$work/x.wav"

# threads and events as they are
check "--threads 64 --batch 4: 4 threads, said so" sh -c \
    "'$cli' train '$work/train.txt' -o '$work/x.rnn' --hidden 8 \
        --threads 64 --batch 4 --events 1000 2>'$work/threads' &&
     grep -q '^pd-rnn: .*, 4 streams, 4 threads\$' '$work/threads'"
check "--events 10 trains 10 events, not whole windows" sh -c \
    "'$cli' train '$work/train.txt' -o '$work/x.rnn' --hidden 8 \
        --events 10 2>'$work/events' &&
     grep -q '^pd-rnn: epoch 1: 10 events,' '$work/events'"
check "--events 1000 with 16 streams of 16: 1000 events" sh -c \
    "'$cli' train '$work/train.txt' -o '$work/x.rnn' --hidden 8 \
        --window 16 --events 1000 2>'$work/events' &&
     grep -q '^pd-rnn: epoch 1: 1000 events,' '$work/events'"

# --resume keeps the model's shape, and its kind of tokens
refuses_saying "resume: a shape given that is not the model's" \
    'gru, 1 layer of 32 units: --type lstm, --hidden 16, --layers 2 do not' \
    "$cli" train "$work/train.txt" -o "$work/x.rnn" --resume \
    "$work/text.rnn" --type lstm --hidden 16 --layers 2 --events 100
check "resume: the model's own shape given" "$cli" train "$work/train.txt" \
    -o "$work/x.rnn" --resume "$work/text.rnn" --type gru --hidden 32 \
    --layers 1 --events 100
check "resume: --window sets the model's window" sh -c \
    "'$cli' train '$work/train.txt' -o '$work/x.rnn' --resume \
        '$work/text.rnn' --window 8 --events 100 2>'$work/window' &&
     grep -q '^pd-rnn: .*, window 8,' '$work/window'"
refuses_saying "resume a model of characters with --tokens audio" \
    'read as sound .* the tokens of .*text.rnn \(characters\)' \
    "$cli" train "$sound" --tokens audio -o "$work/x.rnn" \
    --resume "$work/text.rnn" --events 100
refuses_saying "resume a model of characters on a sound file" \
    'read as sound .* \(characters\); --tokens says how' \
    "$cli" train "$sound" -o "$work/x.rnn" --resume "$work/text.rnn" \
    --events 100
refuses_saying "resume a model of characters with --tokens words" \
    'read as words .* \(characters\)' "$cli" train "$work/train.txt" \
    --tokens words -o "$work/x.rnn" --resume "$work/text.rnn" --events 100
refuses_saying "resume a model of sound with too few --classes" \
    '--classes 16 is too few' "$cli" train "$sound" --classes 16 \
    -o "$work/x.rnn" --resume "$work/sound.rnn" --events 100
warns "resume a model of numbers on sound: a doubt" 'no mu-law class of' \
    "$cli" train "$sound" -o "$work/x.rnn" --resume "$work/notes.rnn" \
    --events 100
refuses_saying "text and sound in one corpus" \
    'read as sound .* the files before it \(characters\)' \
    "$cli" train "$work/train.txt" "$sound" -o "$work/x.rnn" --events 100
refuses_saying "--classes with a text corpus" '--classes is for sound' \
    "$cli" train "$work/train.txt" --classes 512 -o "$work/x.rnn"
refuses_saying "eval of a model of characters on a sound file" \
    'read as sound .* \(characters\)' "$cli" eval "$work/text.rnn" "$sound"

# bad input: one line, non-zero exit, never a crash or a hang
printf 'not a sound file\n' >"$work/broken.wav"
: >"$work/empty.txt"
printf 'ab' >"$work/short.txt"
refuses "a missing corpus" "$cli" train "$work/nope.txt" -o "$work/x.rnn"
refuses "an empty corpus" "$cli" train "$work/empty.txt" -o "$work/x.rnn"
refuses "a corpus shorter than a window" "$cli" train "$work/short.txt" \
    -o "$work/x.rnn" --window 16
refuses "a broken sound file" "$cli" train "$work/broken.wav" \
    --tokens audio -o "$work/x.rnn"
refuses_saying "a text file named .wav" 'not a sound file libsndfile reads' \
    "$cli" train "$work/broken.wav" -o "$work/x.rnn"
refuses_saying "a missing sound file" 'nope.wav: No such file' \
    "$cli" train "$work/nope.wav" -o "$work/x.rnn"
refuses "an unknown option" "$cli" train "$work/train.txt" -o "$work/x.rnn" \
    --bogus 1
refuses_saying "an unknown option last" "unknown option --bogus" \
    "$cli" train "$work/train.txt" -o "$work/x.rnn" --bogus
refuses_saying "a known option last" "--hidden needs a value" \
    "$cli" train "$work/train.txt" -o "$work/x.rnn" --hidden
refuses_saying "--epochs and --events together" "--epochs and --events" \
    "$cli" train "$work/train.txt" -o "$work/x.rnn" --epochs 1 --events 100
refuses "a bad value" "$cli" train "$work/train.txt" -o "$work/x.rnn" \
    --hidden -4
refuses "a model that is not one" "$cli" eval "$work/train.txt" \
    "$work/val.txt"
refuses "an unwritable output" "$cli" train "$work/train.txt" \
    -o "$work/no/such/folder/x.rnn" --events 100

# an output that is no regular file is refused before the training (one
# line: no progress was printed) and left as it was
mkdir "$work/folder"
ln -s folder "$work/folder-link"
mkfifo "$work/fifo"
refuses "-o a folder" "$cli" train "$work/train.txt" -o "$work/folder" \
    --hidden 8 --window 8
refuses "-o a link to a folder" "$cli" train "$work/train.txt" \
    -o "$work/folder-link" --hidden 8 --window 8
refuses "-o a FIFO" "$cli" train "$work/train.txt" -o "$work/fifo" \
    --hidden 8 --window 8
check "the FIFO is still one, nothing left beside it" sh -c \
    "[ -p '$work/fifo' ] && ! ls '$work' | grep -q 'fifo.tmp'"
cp "$work/text.rnn" "$work/linked.rnn"
ln -s linked.rnn "$work/model-link"
check "-o a link to a model file" "$cli" train "$work/train.txt" \
    -o "$work/model-link" --hidden 8 --window 8 --events 100
ln -s folder/later.rnn "$work/later-link"
check "-o a link to a model file not there yet" "$cli" train \
    "$work/train.txt" -o "$work/later-link" --hidden 8 --window 8 \
    --events 100
ln -s no/such/folder/x.rnn "$work/lost-link"
refuses_saying "-o a link into a folder not there" 'cannot make a file' \
    "$cli" train "$work/train.txt" -o "$work/lost-link" --hidden 8 \
    --window 8

# an output that is an input, a fraction for a whole number, nothing
# scored
cp "$work/train.txt" "$work/corpus-copy.txt"
refuses_saying "train -o the corpus itself" 'which this command reads' \
    "$cli" train "$work/corpus-copy.txt" -o "$work/corpus-copy.txt" \
    --events 100
check "the corpus untouched" cmp -s "$work/train.txt" \
    "$work/corpus-copy.txt"
refuses_saying "train -o the --val file" 'which this command reads' \
    "$cli" train "$work/train.txt" -o "$work/corpus-copy.txt" \
    --val "$work/corpus-copy.txt" --events 100
cp "$work/text.rnn" "$work/text-copy.rnn"
refuses_saying "sample -o the model itself" 'which this command reads' \
    "$cli" sample "$work/text-copy.rnn" -n 3 -o "$work/text-copy.rnn"
check "the model untouched" cmp -s "$work/text.rnn" "$work/text-copy.rnn"
refuses_saying "sample -o a FIFO" 'not a regular file' \
    "$cli" sample "$work/text.rnn" -n 3 -o "$work/fifo"
for option in "--batch 6.5" "--hidden 0x10" "--window 1e1" "--seed -1"; do
    refuses_saying "$option: a whole number only" 'bad value' \
        "$cli" train "$work/train.txt" -o "$work/x.rnn" $option
done
printf 'hello world\n' >"$work/tiny.txt"
check "window 1: streams of two events or more, targets scored" sh -c \
    "'$cli' train '$work/tiny.txt' -o '$work/tiny.rnn' --window 1 \
         --batch 32 2>&1 | grep -q '6 streams instead of 32' &&
     '$cli' train '$work/tiny.txt' -o '$work/tiny.rnn' --window 1 \
         --batch 32 2>&1 | grep -q 'train [0-9.]* bits'"
printf 'a' >"$work/one.txt"
check "a validation file with no target: said, not 0 bits" sh -c \
    "'$cli' train '$work/train.txt' -o '$work/x.rnn' --events 100 \
         --val '$work/one.txt' 2>&1 | grep -q 'validation: no target'"

# the model in real Pd: [rnn.cell] reads it and predicts as eval scores
if command -v pd >/dev/null 2>&1; then
    cat >"$work/read.pd" <<PATCH
#N canvas 0 50 450 300 12;
#X declare -lib rnn;
#X obj 10 10 r cli-read;
#X obj 10 40 rnn.cell cli 8;
#X obj 10 70 rnn.decode cli;
#X obj 10 100 print cli;
#X obj 200 10 r cli-probe;
#X obj 200 40 rnn.encode cli -chars;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 4 0 5 0;
#X connect 5 0 1 0;
#X connect 5 1 2 1;
#X connect 2 2 3 0;
PATCH
    timeout 60 "$pd" -nogui -noaudio -batch -stderr -noprefs -path "$lib" \
        -open "$work/read.pd" \
        -send "cli-read read $work/text.rnn" -send "cli-read learn 0" \
        -send "cli-probe symbol ROMEO" -send "pd quit" >"$work/pd" 2>&1
    check "Pd reads the command line's model and scores with it" sh -c \
        "grep -q 'takes the shape' '$work/pd' &&
         grep -q '^cli: size [0-9]' '$work/pd' && ! grep -q 'error' '$work/pd'"

    # a model written by Pd before it had a readout: nothing to sample
    cat >"$work/cell-only.pd" <<PATCH
#N canvas 0 50 450 300 12;
#X declare -lib rnn;
#X obj 10 10 r nr-in;
#X obj 10 40 rnn.encode nr -chars;
#X obj 10 70 rnn.cell nr 8;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
PATCH
    timeout 60 "$pd" -nogui -noaudio -batch -stderr -noprefs -path "$lib" \
        -open "$work/cell-only.pd" -send "nr-in symbol abcab" \
        -send "nr-in write $work/cell-only.rnn" -send "pd quit" \
        >"$work/pd-nr" 2>&1
    refuses_saying "sample of a model without a readout" 'no readout' \
        "$cli" sample "$work/cell-only.rnn" -n 10

    # at temperature 0, Pd predicts what `sample` writes: the prime and the
    # sample go in character by character, and after each one Pd's token
    # must be the next character of the sample
    "$cli" sample "$work/text.rnn" --prime "KING" -n 30 --temperature 0 \
        >"$work/greedy" 2>/dev/null
    cat >"$work/greedy.pd" <<PATCH
#N canvas 0 50 450 300 12;
#X declare -lib rnn;
#X obj 10 10 r g-read;
#X obj 10 40 rnn.cell g 8;
#X obj 10 70 rnn.decode g;
#X obj 10 100 list fromsymbol;
#X obj 10 130 print next;
#X obj 200 10 r g-code;
#X obj 200 40 list tosymbol;
#X obj 200 70 rnn.encode g -chars;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 2 0 3 0;
#X connect 3 0 4 0;
#X connect 5 0 6 0;
#X connect 6 0 7 0;
#X connect 7 0 1 0;
#X connect 7 1 2 1;
PATCH
    sends=""
    for code in $(printf 'KING%s' "$(cat "$work/greedy")" | od -An -tu1); do
        sends="$sends -send 'g-code $code'"
    done
    eval timeout 60 "'$pd'" -nogui -noaudio -batch -stderr -noprefs \
        -path "'$lib'" -open "'$work/greedy.pd'" \
        -send "'g-read read $work/text.rnn'" -send "'g-read learn 0'" \
        $sends -send "'pd quit'" >"$work/pd2" 2>&1
    # Pd's predictions after K I N G and each sampled character but the
    # last, against the sample itself
    grep '^next: ' "$work/pd2" | sed 's/^next: //' | tail -n +4 | head -n 30 |
        awk '{ printf "%c", $1 }' >"$work/pd-greedy"
    check "Pd at temperature 0 predicts what pd-rnn sample writes" sh -c \
        "[ \$(wc -c <'$work/greedy') -eq 30 ] &&
         cmp -s '$work/pd-greedy' '$work/greedy'"
fi
exit $failed
