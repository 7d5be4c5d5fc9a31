#!/bin/sh
# tools/torch_convert.py: models trained in PyTorch for a few seconds and
# converted predict in Pd what they predict in PyTorch, and a model trained
# with bin/pd-rnn and exported predicts in PyTorch what it predicts in Pd
# and in bin/pd-rnn: the same next-token probabilities within 1e-5 after a
# prime fed through [rnn.encode NAME -chars], learning off.
# One line per check, PASS or FAIL; without Debian's torch one PASS line
# says the checks were skipped.  Exits non-zero when one failed.
# TORCH_SECONDS (2) is how long each PyTorch model trains.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/programs.sh"
py=/usr/bin/python3
convert="$top/tools/torch_convert.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-rnn-torch.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failed=0
prime=Citizen
seconds=${TORCH_SECONDS:-2}

if ! "$py" -c 'import torch' >/dev/null 2>&1; then
    echo "PASS (skipped: $py cannot import torch; install python3-torch)"
    exit 0
fi
if ! command -v pd >/dev/null 2>&1; then
    echo "PASS (skipped: no pd to run the converted models in)"
    exit 0
fi

check() { # description command...
    what=$1
    shift
    if "$@" >"$work/out" 2>"$work/err"; then
        # a first line starting with ":" says more
        more=$(head -n 1 "$work/out" | head -c 200)
        case $more in :*) ;; *) more="" ;; esac
        echo "PASS $what$more"
    else
        echo "FAIL $what"
        cat "$work/out" "$work/err" | tail -5 | sed 's/^/  | /'
        failed=1
    fi
}

refuses() { # description command... : exit non-zero with one line
    what=$1
    shift
    if "$@" >"$work/out" 2>"$work/err"; then
        echo "FAIL $what: exit 0"
        failed=1
    elif [ "$(wc -l <"$work/err")" -eq 1 ] &&
        grep -q '^torch_convert: ' "$work/err"; then
        echo "PASS $what: $(cat "$work/err")"
    else
        echo "FAIL $what: not one 'torch_convert:' line"
        tail -5 "$work/err" | sed 's/^/  | /'
        failed=1
    fi
}

head -c 20000 "$top/data/tinyshakespeare.txt" >"$work/text.txt"

# ------------------------------------------------------------ PyTorch side

# One Python for each side, as importing torch takes seconds.
#
# torch_side.py train SECONDS TEXT PRIME FOLDER: character models of 32
# units trained with Adam for SECONDS each and saved as the converter reads
# them, FOLDER/NAME.pt, with FOLDER/NAME.torch the probabilities of the
# next token after PRIME; NAME is elman-1, gru-1-embedding (an nn.Embedding
# in front) and lstm-2 (two layers).  Also two checkpoints the converter
# must refuse, bi.pt and wide.pt.
#
# torch_side.py run CHECKPOINT PRIME zero|state N OUT ...: the
# probabilities of the next token after PRIME, one a line, from a zero
# state or the checkpoint's; with N > 0, the N tokens of greedy generation
# after them instead.
cat >"$work/torch_side.py" <<'PY'
import sys, time
import torch
import torch.nn as nn
torch.set_num_threads(1)
MODULES = {"elman": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

def train(cell, layers, embed, seconds, text, out):
    torch.manual_seed(1)
    tokens = sorted(set(text))
    index = {c: i for i, c in enumerate(tokens)}
    data = torch.tensor([index[c] for c in text])
    count, hidden, width = len(tokens), 32, 16
    embedding = nn.Embedding(count, width) if embed else None
    rnn = MODULES[cell](width if embed else count, hidden, layers,
                        batch_first=True)
    readout = nn.Linear(hidden, count)
    params = list(rnn.parameters()) + list(readout.parameters())
    if embed:
        params += list(embedding.parameters())
    optimizer = torch.optim.Adam(params, lr=0.01)
    steps, start, length = 0, time.time(), 32
    while time.time() - start < seconds:
        at = torch.randint(0, len(data) - length - 1, (16,))
        x = torch.stack([data[a:a + length] for a in at])
        y = torch.stack([data[a + 1:a + length + 1] for a in at])
        inputs = embedding(x) if embed else \
            nn.functional.one_hot(x, count).float()
        logits = readout(rnn(inputs)[0])
        loss = nn.functional.cross_entropy(logits.reshape(-1, count),
                                           y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
    checkpoint = {"rnn": rnn.state_dict(), "readout": readout.state_dict(),
                  "tokens": tokens}
    if embed:
        checkpoint["embedding"] = embedding.state_dict()
    if cell == "elman":
        checkpoint["cell"] = "elman"
    torch.save(checkpoint, out)
    print("%s: %d steps in %g s, loss %.2f nats" % (out.split("/")[-1],
          steps, seconds, loss.item()))

def run(path, prime, start, n, out):
    ck = torch.load(path)
    tokens, sd = ck["tokens"], ck["rnn"]
    hidden = sd["weight_hh_l0"].shape[1]
    gates = sd["weight_hh_l0"].shape[0] // hidden
    layers = len([k for k in sd if k.startswith("weight_ih_l")])
    module = {1: nn.RNN, 3: nn.GRU, 4: nn.LSTM}[gates]
    rnn = module(sd["weight_ih_l0"].shape[1], hidden, layers)
    rnn.load_state_dict(sd)
    readout = nn.Linear(hidden, len(tokens))
    readout.load_state_dict(ck["readout"])
    embedding = None
    if "embedding" in ck:
        embedding = nn.Embedding(len(tokens), sd["weight_ih_l0"].shape[1])
        embedding.load_state_dict(ck["embedding"])
    state = None
    if start == "state":
        h = ck["state"]["h"].view(layers, 1, hidden)
        state = (h, ck["state"]["c"].view(layers, 1, hidden)) \
            if gates == 4 else h
    def step(index, state):
        x = torch.tensor([[index]])
        x = embedding(x) if embedding else \
            nn.functional.one_hot(x, len(tokens)).float()
        output, state = rnn(x, state)
        return torch.softmax(readout(output[-1, 0]), 0), state
    with torch.no_grad():
        for c in prime:
            probs, state = step(tokens.index(c), state)
        with open(out, "w") as f:
            if n == 0:
                f.write("\n".join("%.9g" % p for p in probs.tolist()))
            for _ in range(n):
                index = int(torch.argmax(probs))
                f.write(tokens[index])
                probs, state = step(index, state)

if sys.argv[1] == "train":
    seconds, text, prime, folder = sys.argv[2:6]
    text = open(text, encoding="utf-8").read()
    for cell, layers, embed, name in (("elman", 1, False, "elman-1"),
                                      ("gru", 1, True, "gru-1-embedding"),
                                      ("lstm", 2, False, "lstm-2")):
        path = "%s/%s.pt" % (folder, name)
        train(cell, layers, embed, float(seconds), text, path)
        run(path, prime, "zero", 0, "%s/%s.torch" % (folder, name))
    torch.save({"rnn": nn.GRU(4, 8, bidirectional=True).state_dict(),
                "readout": nn.Linear(8, 4).state_dict(),
                "tokens": list("abcd")}, folder + "/bi.pt")
    torch.save({"rnn": nn.GRU(5, 8).state_dict(),
                "readout": nn.Linear(8, 4).state_dict(),
                "tokens": list("abcd")}, folder + "/wide.pt")
else:
    jobs = sys.argv[2:]
    for i in range(0, len(jobs), 5):
        path, prime, start, n, out = jobs[i:i + 5]
        run(path, prime, start, int(n), out)
PY

# same.py TORCH_PROBS PD_LOG: the last probability list Pd printed equals
# PyTorch's within 1e-5
cat >"$work/same.py" <<'PY'
import sys
torch_probs = [float(v) for v in open(sys.argv[1]).read().split()]
lines = [l for l in open(sys.argv[2]) if l.startswith("probs: ")]
if not lines:
    sys.exit("Pd printed no probabilities")
pd_probs = [float(v) for v in lines[-1].split()[1:]]
if len(pd_probs) != len(torch_probs):
    sys.exit("%d probabilities in Pd, %d in PyTorch"
             % (len(pd_probs), len(torch_probs)))
worst = max(abs(a - b) for a, b in zip(pd_probs, torch_probs))
print(": %d probabilities, largest difference %.2g" % (len(pd_probs), worst))
sys.exit(worst > 1e-5)
PY

# ------------------------------------------------------------ Pd side

cat >"$work/probs.pd" <<'PATCH'
#N canvas 0 50 450 300 12;
#X declare -lib rnn;
#X obj 10 10 r tc-read;
#X obj 10 40 rnn.cell tc 8;
#X obj 10 70 rnn.decode tc;
#X obj 10 100 print probs;
#X obj 200 10 r tc-probe;
#X obj 200 40 rnn.encode tc -chars;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 2 1 3 0;
#X connect 4 0 5 0;
#X connect 5 0 1 0;
#X connect 5 1 2 1;
PATCH

# Pd reads MODEL, learning off, from a zero state, takes the prime
pd_probs() { # model log
    timeout 60 "$pd" -nogui -noaudio -batch -stderr -noprefs -path "$lib" \
        -open "$work/probs.pd" -send "tc-read read $1" \
        -send "tc-read learn 0" -send "tc-read reset" \
        -send "tc-probe symbol $prime" -send "pd quit" >"$2" 2>&1
    ! grep -q 'error' "$2"
}

# ------------------------------------------------------------ to-pd

check "PyTorch: three models trained for $seconds s each" \
    "$py" "$work/torch_side.py" train "$seconds" "$work/text.txt" "$prime" \
    "$work"
sed 's/^/  /' "$work/out"
for name in elman-1 gru-1-embedding lstm-2; do
    options=""
    [ "$name" = lstm-2 ] && options="--window 32 --lr 0.01"
    check "to-pd: $name $options" "$py" "$convert" to-pd "$work/$name.pt" \
        "$work/$name.rnn" $options
    pd_probs "$work/$name.rnn" "$work/$name.pd"
    check "$name in Pd: the probabilities of PyTorch after '$prime'" \
        "$py" "$work/same.py" "$work/$name.torch" "$work/$name.pd"
done
check "to-pd takes settings: lstm-2 has window 32, lr 0.01" sh -c \
    "'$py' '$convert' info '$work/lstm-2.rnn' |
     grep -q \"'window': 32, 'every': 8, 'optim': 'adagrad', 'lr': 0.01\""

# ------------------------------------------------------------ to-torch

check "bin/pd-rnn: a GRU model trained for a few seconds" "$cli" train \
    "$work/text.txt" -o "$work/cli.rnn" --type gru --hidden 32 \
    --window 16 --events 40000 --seed 2
for cell in elman lstm; do
    check "bin/pd-rnn: $cell, 2 layers" "$cli" train \
        "$work/text.txt" -o "$work/$cell.rnn" --type $cell --layers 2 \
        --hidden 16 --window 16 --events 5000
done
for model in cli elman lstm; do
    check "to-torch: $model" "$py" "$convert" to-torch "$work/$model.rnn" \
        "$work/$model-exported.pt"
done
"$py" "$work/torch_side.py" run \
    "$work/cli-exported.pt" "$prime" zero 0 "$work/cli.torch" \
    "$work/cli-exported.pt" "$prime" state 40 "$work/torch.greedy" \
    "$work/elman-exported.pt" "$prime" zero 0 "$work/elman.torch" \
    "$work/lstm-exported.pt" "$prime" zero 0 "$work/lstm.torch" \
    2>"$work/err" || sed 's/^/  | /' "$work/err"
for model in cli elman lstm; do
    pd_probs "$work/$model.rnn" "$work/$model.pd"
    check "exported $model: PyTorch's probabilities are Pd's after '$prime'" \
        "$py" "$work/same.py" "$work/$model.torch" "$work/$model.pd"
done
"$cli" sample "$work/cli.rnn" --prime "$prime" -n 40 --temperature 0 \
    >"$work/cli.greedy" 2>/dev/null
check "exported cli: PyTorch generates what bin/pd-rnn sample does" \
    cmp "$work/cli.greedy" "$work/torch.greedy"
check "to-pd of to-torch: the same bits per event" sh -c \
    "'$py' '$convert' to-pd '$work/cli-exported.pt' '$work/again.rnn' &&
     [ \"\$('$cli' eval '$work/cli.rnn' '$work/text.txt' | tail -n 1)\" = \
       \"\$('$cli' eval '$work/again.rnn' '$work/text.txt' | tail -n 1)\" ]"

# ------------------------------------------------------------ bad input

refuses "to-pd refuses a bidirectional GRU" "$py" "$convert" to-pd \
    "$work/bi.pt" "$work/x.rnn"
refuses "to-pd refuses an input that is no one-hot of the tokens" "$py" \
    "$convert" to-pd "$work/wide.pt" "$work/x.rnn"
refuses "to-torch refuses a file that is no model" "$py" "$convert" \
    to-torch "$work/text.txt" "$work/x.pt"
head -c 3000 "$work/cli.rnn" >"$work/short.rnn"
refuses "to-torch refuses a truncated model" "$py" "$convert" to-torch \
    "$work/short.rnn" "$work/x.pt"
exit $failed
