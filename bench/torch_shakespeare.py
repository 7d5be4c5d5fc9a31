#!/usr/bin/python3
"""PyTorch's side of `make bench`'s learning comparison.

  /usr/bin/python3 bench/torch_shakespeare.py TEXT CELL HIDDEN WINDOW OPTIM LR [EVENTS]

Trains nn.GRU / nn.LSTM / nn.RNN (tanh) with an nn.Linear readout online on
the first 90% of TEXT (or its first EVENTS characters), one stream, window
by window (truncated BPTT, the state carried across windows and detached),
gradient-norm clipping 5, then scores the last 10% with the state carried
on.  The same task pd-rnn's `bench valid` runs.  Prints `valid_bits X`,
`train_events N`; `torch_unavailable REASON` where torch cannot be imported.
"""

import math
import sys
import time

from torch_setup import import_torch, read_chars


def main():
    loaded = import_torch()
    if not loaded:
        return 0
    torch, nn = loaded

    path, cell, hidden, window, optim, lr = sys.argv[1:7]
    hidden, window, lr = int(hidden), int(window), float(lr)
    events = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    data, chars, index = read_chars(path)
    ids = torch.tensor([index[c] for c in data], dtype=torch.long)
    vocab, split = len(chars), len(data) * 9 // 10
    train_events = events if 0 < events < split else split

    layer = {"gru": nn.GRU, "lstm": nn.LSTM}.get(cell)
    rnn = layer(vocab, hidden) if layer else nn.RNN(vocab, hidden)
    readout = nn.Linear(hidden, vocab)
    params = list(rnn.parameters()) + list(readout.parameters())
    make = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD,
            "adagrad": torch.optim.Adagrad}[optim]
    opt = (make(params, lr=lr, momentum=0.9) if optim == "sgd"
           else make(params, lr=lr))
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    eye = torch.eye(vocab)

    def fresh():
        h = torch.zeros(1, 1, hidden)
        return (h, h.clone()) if cell == "lstm" else h

    def detach(state):
        return (tuple(s.detach() for s in state) if isinstance(state, tuple)
                else state.detach())

    # online, window by window: predict ids[t + 1] from ids[..t]
    state, start = fresh(), time.perf_counter()
    for a in range(0, train_events - 1, window):
        b = min(a + window, train_events - 1)
        x = eye[ids[a:b]].unsqueeze(1)
        out, state = rnn(x, detach(state))
        loss = loss_fn(readout(out.squeeze(1)), ids[a + 1:b + 1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        if (a // window) % 5000 == 0:
            print("torch: %d events, %.3f bits" % (a, loss.item() / (b - a)
                  / math.log(2)), file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start

    # the last 10%, the state carried on: predict ids[t] from ids[..t-1]
    total = 0.0
    with torch.no_grad():
        state = detach(state)
        for a in range(split - 1, len(data) - 1, 4096):
            b = min(a + 4096, len(data) - 1)
            out, state = rnn(eye[ids[a:b]].unsqueeze(1), state)
            total += loss_fn(readout(out.squeeze(1)), ids[a + 1:b + 1]).item()
    print("train_events %d" % train_events)
    print("valid_bits %.4f" % (total / (len(data) - split) / math.log(2)))
    print("train_events_per_s %.0f" % (train_events / seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
