#!/usr/bin/python3
"""PyTorch reference figures for `make bench`.

Run with Debian's interpreter:
  /usr/bin/python3 bench/torch_reference.py [TEXT [elman|gru|lstm [HIDDEN]]]

Measures, on one thread, an Elman RNN (nn.RNN, tanh) of 128 hidden units over
a 65-symbol one-hot vocabulary with an nn.Linear readout:

  * online training throughput: the text is trained window by window
    (truncated BPTT K=25, hidden state carried across windows and detached,
    cross-entropy, gradient-norm clipping 5, Adam lr 0.01, batch 1);
  * predict latency: one forward step of the cell plus the readout softmax
    for a single event (batch 1, no grad), averaged after warm-up.

stdout (machine-readable, exactly these three lines):
  torch_version V
  torch_train_events_per_s N
  torch_predict_us X
If torch cannot be imported: `torch_unavailable REASON`, exit status 0.
Diagnostics (BLAS library in use, sizes, timings) go to stderr.
"""

import os
import sys
import time

# Single-threaded BLAS/OpenMP; must be set before torch (and its BLAS) load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

DEFAULT_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "demo", "tinyshakespeare_excerpt.txt")
TRAIN_CHARS = 20000      # characters of the stream used for training
HIDDEN = 128
VOCAB = 65
K = 25                   # truncated BPTT window
LR = 0.01
CLIP = 5.0
WARMUP_WINDOWS = 20      # trained but not timed
TRAIN_BUDGET_S = 30.0    # stop the timed training early past this
PREDICT_WARMUP = 2000
PREDICT_BUDGET_S = 3.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def blas_libraries():
    """Shared libraries mapped into this process that look like a BLAS."""
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    path = parts[5]
                    name = os.path.basename(path).lower()
                    if "blas" in name or "mkl" in name or "lapack" in name:
                        found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def main():
    try:
        import torch
        import torch.nn as nn
    except Exception as e:  # ImportError, or a broken shared library
        reason = (type(e).__name__ + ": " + str(e)).replace("\n", " ")
        print("torch_unavailable " + reason)
        return 0

    torch.set_num_threads(1)
    torch.manual_seed(0)
    print("torch_version " + torch.__version__, flush=True)

    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_TEXT
    cell = sys.argv[2] if len(sys.argv) > 2 else "elman"
    hidden = int(sys.argv[3]) if len(sys.argv) > 3 else HIDDEN
    with open(path, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    if len(chars) != VOCAB:
        log("note: text has %d distinct characters, expected %d"
            % (len(chars), VOCAB))
    vocab = len(chars)
    index = {c: i for i, c in enumerate(chars)}
    stream = [index[c] for c in text[:TRAIN_CHARS + 1]]
    if len(stream) < 2 * K + 1:
        log("text too short: %d characters" % len(stream))
        return 1

    if cell == "gru":
        rnn = nn.GRU(vocab, hidden)
    elif cell == "lstm":
        rnn = nn.LSTM(vocab, hidden)
    else:
        rnn = nn.RNN(vocab, hidden, nonlinearity="tanh")  # (seq, batch, feat)

    def zero_state():
        h0 = torch.zeros(1, 1, hidden)
        return (h0, torch.zeros(1, 1, hidden)) if cell == "lstm" else h0

    def detached(state):
        if isinstance(state, tuple):
            return tuple(part.detach() for part in state)
        return state.detach()
    readout = nn.Linear(hidden, vocab)
    params = list(rnn.parameters()) + list(readout.parameters())
    opt = torch.optim.Adam(params, lr=LR)
    loss_fn = nn.CrossEntropyLoss()

    # ---- online training, window by window ------------------------------
    ids = torch.tensor(stream, dtype=torch.long)
    n_windows = (len(stream) - 1) // K
    h = zero_state()

    def train_window(w, h):
        a = w * K
        x_ids = ids[a:a + K]
        y = ids[a + 1:a + K + 1]
        x = torch.zeros(K, 1, vocab)
        x[torch.arange(K), 0, x_ids] = 1.0
        out, h_new = rnn(x, detached(h))
        logits = readout(out.view(K, hidden))
        loss = loss_fn(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        return detached(h_new), loss

    warm = min(WARMUP_WINDOWS, n_windows // 4)
    for w in range(warm):
        h, loss = train_window(w, h)

    t0 = time.perf_counter()
    timed = 0
    loss_sum = 0.0
    for w in range(warm, n_windows):
        h, loss = train_window(w, h)
        loss_sum += loss.item()   # a live learner would look at it too
        timed += 1
        if time.perf_counter() - t0 > TRAIN_BUDGET_S:
            break
    train_s = time.perf_counter() - t0
    events = timed * K
    eps = events / train_s
    log("train: %d windows x %d = %d events in %.3f s, mean loss %.3f"
        % (timed, K, events, train_s, loss_sum / max(timed, 1)))

    # ---- predict: one cell step + readout softmax, batch 1 --------------
    x1 = torch.zeros(1, 1, vocab)
    hp = zero_state()
    pred_ids = stream[:4096]

    def predict(c, hp):
        x1.zero_()
        x1[0, 0, c] = 1.0
        out, hp = rnn(x1, hp)
        probs = torch.softmax(readout(out[0, 0]), dim=0)
        return probs, hp

    with torch.no_grad():
        for i in range(PREDICT_WARMUP):
            probs, hp = predict(pred_ids[i % len(pred_ids)], hp)
        calls = 0
        t0 = time.perf_counter()
        while True:
            for _ in range(500):
                probs, hp = predict(pred_ids[calls % len(pred_ids)], hp)
                calls += 1
            el = time.perf_counter() - t0
            if el > PREDICT_BUDGET_S:
                break
    pred_us = el / calls * 1e6
    log("predict: %d calls in %.3f s (sum of last probs %.4f)"
        % (calls, el, float(probs.sum())))

    blas = blas_libraries()
    log("blas libraries mapped: " + (", ".join(blas) if blas else "none"))
    log("torch threads: %d" % torch.get_num_threads())

    print("torch_train_events_per_s %.0f" % eps)
    print("torch_predict_us %.2f" % pred_us)
    return 0


if __name__ == "__main__":
    sys.exit(main())
