#!/bin/sh
# MIDI files as corpora: bin/pd-rnn train --tokens midi (and a file named
# *.mid) turns notes into pitch tokens, in time order over all tracks, the
# notes of a chord from the lowest up; --midi-durations N makes each note
# one token pitch * 100 + steps; sample writes notes as text or, with
# -o FILE.mid, a MIDI file; bad MIDI files are refused in one line; the
# model of durations works in Pd.  The Bach prelude of the shared data
# (CC BY-SA, not in the repository) is used when present.
# One line per check, PASS or FAIL; exits non-zero when one failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/programs.sh"
bach="${RNN_SHARED_DATA:-$top/../shared/data}/bach_846.mid"
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-midi.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failed=0

. "$top/tests/checks.sh"

# Every word of a file is a MIDI note number, 0..127.
note_numbers() { # file count
    [ "$(wc -w <"$1")" -eq "$2" ] &&
        tr ' ' '\n' <"$1" | awk 'NF && !($1 ~ /^[0-9]+$/ && $1 <= 127) {
            bad = 1 } END { exit bad }'
}

# Every word is pitch * 100 + steps: pitch 0..127, steps 1..99.
notes_with_steps() { # file count
    [ "$(wc -w <"$1")" -eq "$2" ] &&
        tr ' ' '\n' <"$1" | awk 'NF && !($1 ~ /^[0-9]+$/ &&
            int($1 / 100) <= 127 && $1 % 100 >= 1) { bad = 1 }
            END { exit bad }'
}

# ------------------------------------------------------------ a file of ours

# Bytes, given as numbers, into a file.
bytes() { # file number...
    file=$1
    shift
    for byte in "$@"; do
        printf "\\$(printf '%03o' "$byte")"
    done >>"$file"
}

# A track chunk from a file of its events (the end of track added).
track() { # file events-file
    bytes "$2" 0 255 47 0
    size=$(wc -c <"$2")
    printf 'MTrk' >>"$1"
    bytes "$1" $((size >> 24 & 255)) $((size >> 16 & 255)) \
        $((size >> 8 & 255)) $((size & 255))
    cat "$2" >>"$1"
}

# chords.mid: format 1, two tracks on two channels, 96 ticks a quarter,
# one bar of two chords repeated 60 times.  Track 1 plays E4 (64) for a
# quarter, then G4 (67) for a quarter; track 2 holds C4 (60) for a half
# note and plays C3 (48) for an eighth at the second beat, with running
# status and note-ons of velocity 0 for note-offs.  In time order, the
# notes that start together from the lowest: 60 64 48 67, 60 64 48 67, ...
# With --midi-durations 4: 6008 6404 4802 6704.  In the order of the
# tracks it would be 64 60 67 48.
: >"$work/t1"
: >"$work/t2"
i=0
while [ $i -lt 60 ]; do
    bytes "$work/t1" 0 144 64 80 96 128 64 0 0 144 67 80 96 128 67 0
    bytes "$work/t2" 0 145 60 80 96 48 80 48 48 0 48 60 0
    i=$((i + 1))
done
printf 'MThd' >"$work/chords.mid"
bytes "$work/chords.mid" 0 0 0 6 0 1 0 2 0 96
track "$work/chords.mid" "$work/t1"
track "$work/chords.mid" "$work/t2"

# silence.mid: a valid file without a note
: >"$work/t3"
printf 'MThd' >"$work/silence.mid"
bytes "$work/silence.mid" 0 0 0 6 0 0 0 1 0 96
track "$work/silence.mid" "$work/t3"

train_small() { # corpus model options...
    corpus=$1
    model=$2
    shift 2
    "$cli" train "$corpus" -o "$model" --type gru --hidden 16 --window 8 \
        --batch 4 --epochs 40 --seed 1 "$@"
}

check "train on a MIDI file named .mid (pitches)" \
    train_small "$work/chords.mid" "$work/chords.rnn"
"$cli" sample "$work/chords.rnn" --prime "60 64 48" -n 5 --temperature 0 \
    >"$work/greedy" 2>"$work/err"
check "notes in time order over the tracks, a chord from its lowest note" \
    grep -qx '67 60 64 48 67' "$work/greedy"
check "train with --midi-durations 4: a note is pitch * 100 + steps" \
    train_small "$work/chords.mid" "$work/steps.rnn" --midi-durations 4
"$cli" sample "$work/steps.rnn" --prime "6008 6404 4802" -n 5 \
    --temperature 0 >"$work/greedy" 2>"$work/err"
check "durations quantised to sixteenths: 6008 6404 4802 6704" \
    grep -qx '6704 6008 6404 4802 6704' "$work/greedy"
check "--tokens midi reads a MIDI file whatever its name" sh -c \
    "cp '$work/chords.mid' '$work/chords.bin' &&
     '$cli' train '$work/chords.bin' --tokens midi -o '$work/any.rnn' \
        --hidden 8 --window 8 --batch 4 2>&1 | grep -q '^pd-rnn: 240 events'"
check "eval a MIDI model on a MIDI file" sh -c \
    "'$cli' eval '$work/steps.rnn' '$work/chords.mid' --midi-durations 4 |
     tail -n 1 | grep -Eq '^bits_per_event: [0-9]+\\.[0-9]+$'"

# sample into a MIDI file, and read that file back
check "sample -o FILE.mid --midi-durations 4 writes a MIDI file" \
    "$cli" sample "$work/steps.rnn" --prime "6008" -n 12 --temperature 0 \
    --midi-durations 4 -o "$work/out.mid"
# the model that wrote them predicts them: every note is one it knows
# (its pitch and its length) and comes where it expects it
check "the MIDI file written holds the 12 notes sampled, with their lengths" \
    sh -c "head -c 4 '$work/out.mid' | grep -q MThd &&
     '$cli' eval '$work/steps.rnn' '$work/out.mid' --midi-durations 4 \
        >'$work/eval' 2>'$work/eval-err' &&
     grep -qx 'events: 11' '$work/eval' && ! grep -q skipped '$work/eval-err' &&
     awk '/^bits_per_event:/ { exit !(\$2 < 0.5) }' '$work/eval'"
check "sample -o FILE.mid of a model of pitches" \
    "$cli" sample "$work/chords.rnn" -n 8 -o "$work/pitches.mid"
refuses "a MIDI file of a model of durations needs --midi-durations" \
    "$cli" sample "$work/steps.rnn" -n 8 -o "$work/x.mid"
refuses "a MIDI file of a model of words that are no notes" sh -c \
    "printf 'do re mi fa so la ti do\\n' >'$work/solfege.txt' &&
     '$cli' train '$work/solfege.txt' --tokens words -o '$work/solfege.rnn' \
        --hidden 8 --window 4 --batch 1 2>/dev/null &&
     '$cli' sample '$work/solfege.rnn' -n 8 -o '$work/x.mid'"

# --resume: a model of durations needs them, a model of pitches is
# doubted with them
refuses_saying "resume a model of durations without --midi-durations" \
    'give --midi-durations as in training' "$cli" train \
    "$work/chords.mid" -o "$work/x.rnn" --resume "$work/steps.rnn"
warns "resume a model of pitches with --midi-durations: a doubt" \
    'look like MIDI pitches alone' "$cli" train "$work/chords.mid" \
    -o "$work/x.rnn" --resume "$work/chords.rnn" --midi-durations 4

# bad MIDI files: one line, a non-zero exit
printf 'not a MIDI file\n' >"$work/text.mid"
head -c 200 "$work/chords.mid" >"$work/truncated.mid"
refuses "a text file named .mid" "$cli" train "$work/text.mid" \
    -o "$work/x.rnn"
refuses "a truncated MIDI file" "$cli" train "$work/truncated.mid" \
    -o "$work/x.rnn"
refuses "a MIDI file without a note" "$cli" train "$work/silence.mid" \
    -o "$work/x.rnn"
refuses "a missing MIDI file" "$cli" train "$work/nope.mid" -o "$work/x.rnn"
refuses "an empty MIDI file" sh -c \
    ": >'$work/empty.mid' && '$cli' train '$work/empty.mid' -o '$work/x.rnn'"
refuses "--midi-durations out of range" "$cli" train "$work/chords.mid" \
    -o "$work/x.rnn" --midi-durations 0
refuses "--midi-durations with another kind of corpus" "$cli" train \
    "$work/chords.mid" -o "$work/x.rnn" --midi-durations 4 --tokens words

# ------------------------------------------------------------ Bach

if [ -f "$bach" ]; then
    check "train on BWV 846 (pitches)" "$cli" train "$bach" -o \
        "$work/bach.rnn" --hidden 32 --window 16 --batch 8 --epochs 3
    "$cli" sample "$work/bach.rnn" -n 200 --temperature 1 --seed 5 \
        >"$work/bach.txt" 2>"$work/err"
    check "its samples are 200 MIDI note numbers, 0..127" \
        note_numbers "$work/bach.txt" 200
    check "train on BWV 846 with --midi-durations 4" "$cli" train "$bach" \
        -o "$work/bach-steps.rnn" --hidden 32 --window 16 --batch 8 \
        --epochs 3 --midi-durations 4
    "$cli" sample "$work/bach-steps.rnn" -n 200 --temperature 1 --seed 5 \
        >"$work/bach-steps.txt" 2>"$work/err"
    check "its samples are 200 notes pitch * 100 + steps" \
        notes_with_steps "$work/bach-steps.txt" 200
    check "its samples as a MIDI file" "$cli" sample \
        "$work/bach-steps.rnn" -n 200 --temperature 1 --seed 5 \
        --midi-durations 4 -o "$work/bach-steps.mid"
    model="$work/bach-steps.rnn"
else
    echo "PASS (skipped: $bach is not here; the Bach checks need it)"
    model="$work/steps.rnn"
fi

# ------------------------------------------------------------ Pd

# [rnn.cell] reads the model of durations; notes go in as [expr] makes
# them and the predictions come out split by [div 100] and [mod 100]
if command -v pd >/dev/null 2>&1; then
    timeout 60 "$pd" -nogui -noaudio -batch -stderr -noprefs -path "$lib" \
        -open "$top/tests/midi_pd.pd" -send "midi-cell read $model" \
        -send "midi-cell learn 0" -send "midi-note 60 8" \
        -send "midi-note 64 4" -send "midi-note 48 2" \
        -send "midi-note 67 4" -send "pd quit" >"$work/pd" 2>&1
    grep '^midi-next: ' "$work/pd" | sed 's/^midi-next: //' >"$work/next"
    check "in Pd: 4 predictions, each a pitch 0..127 and steps 1..99" sh -c \
        "[ \$(wc -l <'$work/next') -eq 4 ] &&
         awk '!(\$1 ~ /^[0-9]+\$/ && \$1 <= 127 && \$2 >= 1 && \$2 <= 99) {
             bad = 1 } END { exit bad }' '$work/next' &&
         ! grep -q error '$work/pd'"
    "$cli" sample "$model" --prime "6008 6404 4802 6704" -n 1 \
        --temperature 0 >"$work/cli-next" 2>/dev/null
    check "in Pd the last prediction is what pd-rnn sample predicts" sh -c \
        "[ \"\$(tail -n 1 '$work/next' | awk '{ print \$1 * 100 + \$2 }')\" \
           = \"\$(cat '$work/cli-next')\" ]"
fi
exit $failed
