#!/usr/bin/python3
"""Move recurrent models between PyTorch and pd-rnn.

usage:
  /usr/bin/python3 tools/torch_convert.py to-pd CHECKPOINT MODEL
        [--window K] [--every N] [--optim sgd|adam|adagrad] [--lr X]
        [--clip X] [--learn 0|1]
  /usr/bin/python3 tools/torch_convert.py to-torch MODEL CHECKPOINT
  python3 tools/torch_convert.py info MODEL      (needs no torch)

to-pd writes a pd-rnn model file (format version 2, as pd-rnn/core/file.c
reads it) from a checkpoint; to-torch writes a checkpoint from a model
file.  Debian's torch is imported by Debian's python, /usr/bin/python3.

The checkpoint is a dict saved with torch.save:

  "rnn"        the state_dict of an nn.RNN (tanh), nn.GRU or nn.LSTM,
               unidirectional, without proj_size, batch_first either way,
               whose input at each step is the one-hot vector of the
               token's index (input_size = the number of tokens)
  "readout"    the state_dict of nn.Linear(hidden, number of tokens): the
               logits of the next token from the top layer's output
  "tokens"     a list: token i of the vocabulary, a str for a symbol (one
               character each for [rnn.encode NAME -chars]), an int or a
               float for a float token (as Pd's numbers)
optional:
  "cell"       "elman", "gru" or "lstm"; otherwise from the shapes (1, 3
               or 4 gates; one gate is taken as nn.RNN with tanh)
  "layers"     the number of layers; otherwise from the keys
  "embedding"  the state_dict of an nn.Embedding(tokens, E) in front of
               the RNN (input_size E): to-pd folds it into the first
               layer's input weights, as pd-rnn's input is one-hot
  "state"      {"h": (layers, hidden), "c": (layers, hidden) for an LSTM},
               the state the next token starts from (zeros otherwise)
  "settings"   pd-rnn's settings: window, every, optim, lr, clip, learn,
               temperature, top_k (to-torch writes them; to-pd takes them,
               then its options)

So the next-token probabilities of a token sequence x are, in PyTorch,
softmax(readout(rnn(one_hot(x))[0][-1])), starting from "state", and in
pd-rnn those of [rnn.decode] after the same tokens.  to-pd writes zero
optimizer moments, an empty training window and no pending prediction;
to-torch leaves the optimizer state and the window behind.  A model whose
input weights or readout have not yet grown to its whole vocabulary gets
zeros for the missing rows.
"""

import struct
import sys
import zlib

MAGIC = b"PDRNNMDL"
VERSION = 2
CELLS = ("elman", "gru", "lstm")
GATES = {"elman": 1, "gru": 3, "lstm": 4}
STEP_WIDTH = {"elman": 1, "gru": 5, "lstm": 7}  # blocks a window step keeps
OPTIMS = ("sgd", "adam", "adagrad")
SCORE_HISTORY = 1000
DEFAULT_CAPACITY = 65536
MAX_VOCAB = 1 << 20
DEFAULTS = {"window": 16, "every": 8, "optim": "adagrad", "lr": 0.03,
            "clip": 5.0, "learn": 1, "temperature": 0.0, "top_k": 0}


class ConvertError(Exception):
    """What is wrong with an input, for a one-line message."""


# ------------------------------------------------------------ random

MASK64 = (1 << 64) - 1


def pcg_next(state, inc):
    """One step of the core's PCG32: the new state (the output unused)."""
    return (state * 6364136223846793005 + inc) & MASK64


def pcg_seed(seed):
    """The state and increment rnn_rng_seed() gives for a seed."""
    inc = ((seed << 1) | 1) & MASK64
    state = pcg_next(0, inc)
    state = (state + (0x853C49E6748FEA9B ^ seed)) & MASK64
    return pcg_next(state, inc), inc


# ------------------------------------------------------------ writing

class Writer:
    """Little-endian numbers into a growing byte string."""

    def __init__(self):
        self.parts = []

    def u8(self, value):
        self.parts.append(struct.pack("<B", value))

    def u32(self, value):
        self.parts.append(struct.pack("<I", value))

    def u64(self, value):
        self.parts.append(struct.pack("<Q", value))

    def f32(self, value):
        self.parts.append(struct.pack("<f", value))

    def f64(self, value):
        self.parts.append(struct.pack("<d", value))

    def floats(self, values):
        """A flat sequence of numbers as float32."""
        values = list(values)
        self.parts.append(struct.pack("<%df" % len(values), *values))

    def zeros(self, count):
        self.parts.append(bytes(4 * count))

    def raw(self, data):
        self.parts.append(bytes(data))

    def data(self):
        return b"".join(self.parts)


def flat(tensor):
    """A tensor's values, row-major, as Python floats."""
    return tensor.detach().to("cpu").float().contiguous().view(-1).tolist()


def vocab_entries(tokens):
    """(type, value) of each token: 0 float, 1 symbol; checked."""
    if not isinstance(tokens, (list, tuple)) or not tokens:
        raise ConvertError('"tokens" must be a non-empty list')
    if len(tokens) > MAX_VOCAB:
        raise ConvertError("more than %d tokens" % MAX_VOCAB)
    entries, seen = [], set()
    for i, token in enumerate(tokens):
        if isinstance(token, str):
            data = token.encode("utf-8")
            if not data or b"\0" in data or len(data) > 65536:
                raise ConvertError("token %d: a symbol must be 1 to 65536 "
                                   "bytes without NUL" % i)
            key = (1, data)
        elif isinstance(token, (int, float)) and not isinstance(token, bool):
            value = struct.unpack("<f", struct.pack("<f", float(token)))[0]
            if value != value or value in (float("inf"), float("-inf")):
                raise ConvertError("token %d is not a finite number" % i)
            key = (0, value + 0.0)  # -0 is 0
        else:
            raise ConvertError("token %d is neither a str nor a number" % i)
        if key in seen:
            raise ConvertError("token %d (%r) is there twice" % (i, token))
        seen.add(key)
        entries.append(key)
    return entries


def rnn_shape(rnn, cell, layers):
    """Cell type, layers, hidden size and input size of a state_dict."""
    if "weight_ih_l0" not in rnn or "weight_hh_l0" not in rnn:
        raise ConvertError('"rnn" has no weight_ih_l0 / weight_hh_l0: not '
                           "the state_dict of nn.RNN, nn.GRU or nn.LSTM")
    if any(key.endswith("_reverse") for key in rnn):
        raise ConvertError("bidirectional RNNs have no pd-rnn counterpart")
    if any(key.startswith("weight_hr") for key in rnn):
        raise ConvertError("an LSTM with proj_size has no pd-rnn "
                           "counterpart")
    hidden = rnn["weight_hh_l0"].shape[1]
    gates = rnn["weight_hh_l0"].shape[0] // hidden
    if cell is None:
        cell = {1: "elman", 3: "gru", 4: "lstm"}.get(gates)
    if cell not in CELLS or GATES[cell] != gates:
        raise ConvertError("a cell of %d gates is not %s" % (gates, cell))
    found = 0
    while "weight_ih_l%d" % found in rnn:
        found += 1
    layers = found if layers is None else int(layers)
    if layers != found or not 1 <= layers <= 8:
        raise ConvertError("%s layers: pd-rnn has 1 to 8" % layers)
    if not 1 <= hidden <= 4096:
        raise ConvertError("hidden size %d: pd-rnn has 1 to 4096" % hidden)
    return cell, layers, hidden, rnn["weight_ih_l0"].shape[1]


def layer_tensors(rnn, layer, gh, inputs, hidden, embedding):
    """PyTorch's four tensors of a layer in pd-rnn's layout."""
    import torch
    w_ih = rnn["weight_ih_l%d" % layer].float()
    w_hh = rnn["weight_hh_l%d" % layer].float()
    if layer == 0 and embedding is not None:
        w_ih = w_ih @ embedding.float().t()  # one-hot in: (G*H x tokens)
    if tuple(w_ih.shape) != (gh, inputs) or tuple(w_hh.shape) != (gh, hidden):
        raise ConvertError("layer %d's weights have the wrong shape" % layer)
    zero = torch.zeros(gh)
    b_ih = rnn.get("bias_ih_l%d" % layer, zero).float()
    b_hh = rnn.get("bias_hh_l%d" % layer, zero).float()
    # w_in is weight_ih transposed: one input's G*H weights together
    return w_ih.t(), w_hh, b_ih, b_hh


def to_pd(checkpoint, settings_override):
    """The bytes of a model file from a checkpoint dict."""
    import torch
    if not isinstance(checkpoint, dict):
        raise ConvertError("the checkpoint is not a dict")
    for key in ("rnn", "readout", "tokens"):
        if key not in checkpoint:
            raise ConvertError('the checkpoint has no "%s"' % key)
    rnn = checkpoint["rnn"]
    readout = checkpoint["readout"]
    entries = vocab_entries(checkpoint["tokens"])
    count = len(entries)
    cell, layers, hidden, inputs = rnn_shape(rnn, checkpoint.get("cell"),
                                             checkpoint.get("layers"))
    embedding = checkpoint.get("embedding")
    if embedding is not None:
        embedding = embedding["weight"]
        if tuple(embedding.shape) != (count, inputs):
            raise ConvertError('"embedding" must be (tokens x input_size)')
        inputs = count
    if inputs != count:
        raise ConvertError("the RNN takes %d inputs, but there are %d "
                           "tokens: its input must be the one-hot vector of "
                           "a token (or give the \"embedding\")"
                           % (inputs, count))
    weight = readout["weight"].float()
    bias = readout.get("bias", torch.zeros(count)).float()
    if tuple(weight.shape) != (count, hidden) or bias.numel() != count:
        raise ConvertError('"readout" must be nn.Linear(%d, %d)'
                           % (hidden, count))
    settings = dict(DEFAULTS)
    settings.update(checkpoint.get("settings") or {})
    settings.update(settings_override)
    if settings["optim"] not in OPTIMS:
        raise ConvertError("unknown optimizer %r" % settings["optim"])
    if not 1 <= int(settings["window"]) <= 4096 \
            or not 0 <= int(settings["every"]) <= 4096:
        raise ConvertError("window 1 to 4096, every 0 to 4096")
    state = checkpoint.get("state") or {}
    h = state.get("h", torch.zeros(layers, hidden)).reshape(layers, hidden)
    c = state.get("c", torch.zeros(layers, hidden)).reshape(layers, hidden)
    if cell != "lstm":
        c = torch.zeros(layers, hidden)
    gh = GATES[cell] * hidden

    w = Writer()
    w.raw(MAGIC)
    w.u32(VERSION)

    # shape and settings
    for value in (CELLS.index(cell), layers, 1, hidden, count, 1, hidden,
                  count, int(settings["window"]), int(settings["every"]),
                  OPTIMS.index(settings["optim"]), int(settings["learn"]),
                  int(settings["top_k"])):
        w.u32(value)
    for value in (float(settings["lr"]), float(settings["clip"]), 0.9,
                  0.999, 1e-8, float(settings["temperature"])):
        w.f64(value)
    for value in pcg_seed(1) + pcg_seed(1 ^ 0x5A5A5A5A):
        w.u64(value)

    # the vocabulary
    w.u32(max(DEFAULT_CAPACITY, count))
    w.u32(count)
    for kind, value in entries:
        w.u8(kind)
        if kind == 0:
            w.f32(value)
        else:
            w.u32(len(value))
            w.raw(value)

    # the cell: every tensor with zero moments, then h and c
    w.u64(0)
    for layer in range(layers):
        size = count if layer == 0 else hidden
        for tensor in layer_tensors(rnn, layer, gh, size, hidden,
                                    embedding if layer == 0 else None):
            values = flat(tensor)
            w.floats(values)
            w.zeros(2 * len(values))
        w.floats(flat(h[layer]))
        w.floats(flat(c[layer]))

    # an empty window: no step, the state before it the state now
    w.u32(0)
    w.u32(0)
    w.u32(0)
    for layer in range(layers):
        w.floats(flat(h[layer]))
        w.floats(flat(c[layer]))

    # the readout, nothing pending
    w.u64(0)
    w.u32(0)
    for tensor in (weight, bias):
        values = flat(tensor)
        w.floats(values)
        w.zeros(2 * len(values))
    w.u32(0)
    w.zeros(hidden)

    # no recent scores
    w.u32(0)
    w.u32(0)
    w.zeros(SCORE_HISTORY)
    w.raw(bytes(SCORE_HISTORY))

    data = w.data()
    return data + struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF)


# ------------------------------------------------------------ reading

class Reader:
    """Little-endian numbers from the bytes of a model file."""

    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, size):
        if size < 0 or self.at + size > len(self.data):
            raise ConvertError("the file ends too early (truncated?)")
        part = self.data[self.at:self.at + size]
        self.at += size
        return part

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def f32(self):
        return struct.unpack("<f", self.take(4))[0]

    def f64(self):
        return struct.unpack("<d", self.take(8))[0]

    def floats(self, count):
        return list(struct.unpack("<%df" % count, self.take(4 * count)))


def read_model(data):
    """A model file as a dict of plain Python values."""
    if len(data) < 16 or data[:8] != MAGIC:
        raise ConvertError("not a pd-rnn model file")
    version = struct.unpack("<I", data[8:12])[0]
    if version != VERSION:
        raise ConvertError("model file version %d; this reads version %d"
                           % (version, VERSION))
    if zlib.crc32(data[:-4]) & 0xFFFFFFFF != \
            struct.unpack("<I", data[-4:])[0]:
        raise ConvertError("checksum mismatch: the file is damaged")
    r = Reader(data[:-4])
    r.take(12)
    m = {}
    (cell, m["layers"], has_cell, m["hidden"], m["input"], has_readout,
     width, m["rows"], window, every, optim, learn, top_k) = \
        [r.u32() for _ in range(13)]
    if cell > 2 or optim > 2:
        raise ConvertError("a cell type or optimizer out of range")
    m["cell"] = CELLS[cell]
    lr, clip, _, _, _, temperature = [r.f64() for _ in range(6)]
    m["settings"] = {"window": window, "every": every,
                     "optim": OPTIMS[optim], "lr": lr, "clip": clip,
                     "learn": learn, "temperature": temperature,
                     "top_k": top_k}
    for _ in range(4):
        r.u64()

    # the vocabulary
    r.u32()
    tokens = []
    for _ in range(r.u32()):
        kind = r.u8()
        if kind == 0:
            tokens.append(r.f32())
        elif kind == 1:
            tokens.append(r.take(r.u32()).decode("utf-8", "replace"))
        else:
            raise ConvertError("a token has an unknown type")
    m["tokens"] = tokens
    if not has_cell or not has_readout:
        m["layer"] = None
        return m

    # the cell: values, then the two moments, which are skipped
    hidden, layers, gates = m["hidden"], m["layers"], GATES[m["cell"]]
    gh = gates * hidden
    r.u64()
    m["layer"] = []
    for layer in range(layers):
        inputs = m["input"] if layer == 0 else hidden
        tensors = []
        for size in (inputs * gh, gh * hidden, gh, gh):
            tensors.append(r.floats(size))
            r.take(8 * size)
        h, c = r.floats(hidden), r.floats(hidden)
        m["layer"].append({"w_in": tensors[0], "w_rec": tensors[1],
                           "b_in": tensors[2], "b_rec": tensors[3],
                           "h": h, "c": c})

    # the window, skipped
    steps = r.u32()
    r.u32()
    r.u32()
    r.take(8 * hidden * layers)
    for _ in range(steps):
        if r.u32() == 0xFFFFFFFF:
            r.take(4 * r.u32())
        r.take(4 * (layers * STEP_WIDTH[m["cell"]] * hidden + hidden))

    # the readout
    r.u64()
    r.u32()
    rows = m["rows"]
    m["weight"] = r.floats(rows * width)
    r.take(8 * rows * width)
    m["bias"] = r.floats(rows)
    r.take(8 * rows)
    r.u32()
    r.take(4 * width)
    r.u32()
    r.u32()
    r.take(5 * SCORE_HISTORY)
    if r.at != len(r.data):
        raise ConvertError("unexpected bytes after the model")
    return m


def to_torch(m):
    """A checkpoint dict (with the modules' state_dicts) from a model."""
    import torch
    import torch.nn as nn
    if m["layer"] is None:
        raise ConvertError("the model has no cell or no readout yet")
    count, hidden, layers = len(m["tokens"]), m["hidden"], m["layers"]
    if m["input"] > count or m["rows"] > count:
        raise ConvertError("the weights have more rows than there are "
                           "tokens")
    gh = GATES[m["cell"]] * hidden
    module = {"elman": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[m["cell"]]
    extra = {"nonlinearity": "tanh"} if m["cell"] == "elman" else {}
    rnn = module(count, hidden, layers, **extra)
    readout = nn.Linear(hidden, count)
    sd = {}
    for layer, tensors in enumerate(m["layer"]):
        inputs = m["input"] if layer == 0 else hidden
        w_in = torch.tensor(tensors["w_in"]).view(inputs, gh)
        if layer == 0 and inputs < count:  # not grown yet: zeros
            w_in = torch.cat([w_in, torch.zeros(count - inputs, gh)])
        sd["weight_ih_l%d" % layer] = w_in.t().contiguous()
        sd["weight_hh_l%d" % layer] = \
            torch.tensor(tensors["w_rec"]).view(gh, hidden)
        sd["bias_ih_l%d" % layer] = torch.tensor(tensors["b_in"])
        sd["bias_hh_l%d" % layer] = torch.tensor(tensors["b_rec"])
    rnn.load_state_dict(sd)
    weight = torch.zeros(count, hidden)
    bias = torch.zeros(count)
    rows = m["rows"]
    weight[:rows] = torch.tensor(m["weight"]).view(rows, hidden)
    bias[:rows] = torch.tensor(m["bias"])
    readout.load_state_dict({"weight": weight, "bias": bias})
    state = {"h": torch.tensor([t["h"] for t in m["layer"]])}
    if m["cell"] == "lstm":
        state["c"] = torch.tensor([t["c"] for t in m["layer"]])
    return {"format": "pd-rnn", "cell": m["cell"], "layers": layers,
            "hidden": hidden, "rnn": rnn.state_dict(),
            "readout": readout.state_dict(), "tokens": m["tokens"],
            "state": state, "settings": m["settings"]}


# ------------------------------------------------------------ command line

def parse_settings(args):
    """--window K and the like after the files."""
    names = {"--window": int, "--every": int, "--optim": str, "--lr": float,
             "--clip": float, "--learn": int}
    settings = {}
    if len(args) % 2:
        raise ConvertError("option %s needs a value" % args[-1])
    for option, value in zip(args[::2], args[1::2]):
        if option not in names:
            raise ConvertError("unknown option %s" % option)
        try:
            settings[option[2:]] = names[option](value)
        except ValueError:
            raise ConvertError("bad value %r for %s" % (value, option))
    return settings


def main(argv):
    if len(argv) < 3 or argv[1] not in ("to-pd", "to-torch", "info"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    command, source = argv[1], argv[2]
    try:
        if command == "info":
            with open(source, "rb") as f:
                m = read_model(f.read())
            print("%s, %d layer(s) of %d units, vocabulary %d"
                  % (m["cell"], m["layers"], m["hidden"], len(m["tokens"])))
            print("settings: %r" % m["settings"])
            print("tokens: %s" % " ".join(repr(t) for t in m["tokens"]))
            return 0
        if len(argv) < 4:
            raise ConvertError("%s needs a source and a destination"
                               % command)
        target = argv[3]
        if command == "to-pd":
            settings = parse_settings(argv[4:])
            import torch
            checkpoint = torch.load(source, map_location="cpu")
            data = to_pd(checkpoint, settings)
            with open(target, "wb") as f:
                f.write(data)
        else:
            if argv[4:]:
                raise ConvertError("to-torch takes no options")
            with open(source, "rb") as f:
                model = read_model(f.read())
            import torch
            torch.save(to_torch(model), target)
    except ConvertError as error:
        sys.stderr.write("torch_convert: %s: %s\n" % (source, error))
        return 1
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        sys.stderr.write("torch_convert: %s: %s\n" % (source, error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
