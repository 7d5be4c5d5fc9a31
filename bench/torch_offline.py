#!/usr/bin/python3
"""PyTorch's side of `make bench`'s offline figures.

  /usr/bin/python3 bench/torch_offline.py TEXT CELL HIDDEN BATCH WINDOW EVENTS [VAL]

Trains nn.RNN (tanh) / nn.GRU / nn.LSTM with an nn.Linear readout on TEXT
as pd-rnn's `train` does: BATCH streams, each through its own part of the
text, truncated BPTT over WINDOW steps with the state carried across
windows, Adagrad at 0.03, gradient-norm clipping 5, one thread, until
EVENTS events have been trained.  Prints `train_events_per_s N` (the
training loop alone) and, with VAL, `valid_bits X` over the VAL file.
`torch_unavailable REASON` where torch cannot be imported.
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
    path, cell, hidden, batch, window, events = sys.argv[1:7]
    hidden, batch, window, events = (int(hidden), int(batch), int(window),
                                     int(events))
    data, chars, index = read_chars(path)
    ids = torch.tensor([index[c] for c in data], dtype=torch.long)
    vocab, length = len(chars), len(data)

    layer = {"gru": nn.GRU, "lstm": nn.LSTM}.get(cell)
    rnn = layer(vocab, hidden) if layer else nn.RNN(vocab, hidden)
    readout = nn.Linear(hidden, vocab)
    params = list(rnn.parameters()) + list(readout.parameters())
    opt = torch.optim.Adagrad(params, lr=0.03)
    loss_fn = nn.CrossEntropyLoss()
    eye = torch.eye(vocab)

    def fresh(n):
        h = torch.zeros(1, n, hidden)
        return (h, h.clone()) if cell == "lstm" else h

    def detach(state):
        return (tuple(s.detach() for s in state) if isinstance(state, tuple)
                else state.detach())

    # each stream its own stretch of the text
    stretch = (length - 1) // batch
    starts = torch.arange(batch) * stretch
    state, done, offset = fresh(batch), 0, 0
    start = time.perf_counter()
    while done < events:
        if offset + window > stretch:
            offset, state = 0, fresh(batch)
        at = starts.unsqueeze(0) + offset + torch.arange(window).unsqueeze(1)
        x = eye[ids[at]]                       # (window, batch, vocab)
        out, state = rnn(x, detach(state))
        logits = readout(out).reshape(window * batch, vocab)
        loss = loss_fn(logits, ids[at + 1].reshape(window * batch))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        done += window * batch
        offset += window
    seconds = time.perf_counter() - start
    print("train_events_per_s %.0f" % (done / seconds))

    if len(sys.argv) > 7:
        with open(sys.argv[7], "rb") as f:
            val = [index[c] for c in f.read() if c in index]
        v = torch.tensor(val, dtype=torch.long)
        with torch.no_grad():
            out, _ = rnn(eye[v[:-1]].unsqueeze(1), fresh(1))
            total = nn.CrossEntropyLoss(reduction="sum")(
                readout(out.squeeze(1)), v[1:]).item()
        print("valid_bits %.4f" % (total / (len(val) - 1) / math.log(2)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
