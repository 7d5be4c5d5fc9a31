# Reference values from PyTorch for tests/fidelity.c: the forward pass, the
# loss and every gradient of one truncated-BPTT window of nn.RNN (tanh),
# nn.GRU and nn.LSTM with an nn.Linear softmax readout, and the parameters
# after one and two optimizer steps of SGD with momentum, Adagrad and Adam.
#
# Regenerate (needs Debian's python3-torch; the output is deterministic, so
# running it twice gives identical files):
#
#     /usr/bin/python3 tests/torch_reference.py
#
# It writes tests/reference/<case>.txt, which are committed so that the C
# test runs without torch.  Everything is computed in float64.
#
# File format, for fscanf: lines starting with '#' are comments; every other
# line is "name count v1 v2 ... v<count>", values printed with %.17g.
#   cell          0 elman, 1 gru, 2 lstm (pd-rnn's rnn_cell_type)
#   layers, hidden, vocab, steps, input_size
#   indices       (steps) one-hot input index, -1 for a dense input
#   inputs        (steps x input_size) the input vectors fed, row by row
#   targets       (steps) target index of each step
#   hidden_out    (steps x hidden) the top layer's h after each step
#   loss          summed cross-entropy over the steps, nats
#   value.NAME    a parameter in pd-rnn's layout (see below)
#   grad.NAME     its gradient after backward
#   OPTn.NAME     its value after n steps of optimizer OPT (sgd, adagrad,
#                 adam), each step on the gradient of the same window at the
#                 current weights, from a zero state
#   OPT.lr, OPT.momentum, OPT.eps ...   the optimizer's settings
# NAME is pd-rnn's tensor name (rnn_model_tensors):
#   layerL.input_weights      weight_ih_lL transposed: (input x G*H)
#   layerL.recurrent_weights  weight_hh_lL: (G*H x H)
#   layerL.input_bias         bias_ih_lL
#   layerL.recurrent_bias     bias_hh_lL
#   readout.weight            nn.Linear's weight (V x H)
#   readout.bias              nn.Linear's bias
#
# Optimizers: SGD(lr=0.1, momentum=0.9), Adagrad(lr=0.1), Adam(lr=0.01),
# each with torch's defaults otherwise (Adagrad eps 1e-10, Adam betas
# (0.9, 0.999) and eps 1e-8), written out in the files; no clipping.
# pd-rnn fixes those defaults (pd-rnn/core/optim.c, model.c); the C test
# checks that the files' settings are the ones it expects.  Both add eps to
# the square root (Adagrad: sqrt(sum) + eps, Adam: sqrt(v_hat) + eps).

import os

import torch
import torch.nn.functional as F

HIDDEN = 5
VOCAB = 6
STEPS = 7
DENSE_INPUT = 3

# A fixed sequence that uses every token, one of them twice in a row.
INDICES = [2, 0, 5, 3, 3, 1, 4]
TARGETS = [0, 5, 3, 3, 1, 4, 2]

CELLS = {
    "elman": (0, lambda i, h, l: torch.nn.RNN(i, h, l, nonlinearity="tanh")),
    "gru": (1, lambda i, h, l: torch.nn.GRU(i, h, l)),
    "lstm": (2, lambda i, h, l: torch.nn.LSTM(i, h, l)),
}

OPTIMIZERS = {
    "sgd": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.1, "eps": 1e-10}),
    "adam": (torch.optim.Adam,
             {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}),
}
OPTIMIZER_STEPS = 2


def build(kind, layers, input_size, seed):
    """The cell and the readout, every weight uniform(-0.5, 0.5)."""
    generator = torch.Generator().manual_seed(seed)
    cell = CELLS[kind][1](input_size, HIDDEN, layers).double()
    readout = torch.nn.Linear(HIDDEN, VOCAB).double()
    with torch.no_grad():
        for module in (cell, readout):
            for _, param in module.named_parameters():
                param.copy_(torch.rand(param.shape, generator=generator,
                                       dtype=torch.float64) - 0.5)
    return cell, readout


def window_loss(cell, readout, inputs):
    """The top layer's h at every step and the summed loss, from zero."""
    outputs, _ = cell(inputs.unsqueeze(1))  # (steps, 1, hidden)
    hidden = outputs.squeeze(1)
    logits = readout(hidden)
    loss = F.cross_entropy(logits, torch.tensor(TARGETS), reduction="sum")
    return hidden, loss


def pd_tensors(cell, readout, layers, use_grad):
    """(name, values) in pd-rnn's names, layout and order."""
    def pick(param):
        # a copy: the optimizer changes the parameters in place later
        return (param.grad if use_grad else param.detach()).clone()

    out = []
    for l in range(layers):
        w_ih = pick(getattr(cell, "weight_ih_l%d" % l))
        out.append(("layer%d.input_weights" % l, w_ih.t()))
        out.append(("layer%d.recurrent_weights" % l,
                    pick(getattr(cell, "weight_hh_l%d" % l))))
        out.append(("layer%d.input_bias" % l,
                    pick(getattr(cell, "bias_ih_l%d" % l))))
        out.append(("layer%d.recurrent_bias" % l,
                    pick(getattr(cell, "bias_hh_l%d" % l))))
    out.append(("readout.weight", pick(readout.weight)))
    out.append(("readout.bias", pick(readout.bias)))
    return out


def line(name, values):
    flat = [float(v) for v in torch.as_tensor(values).reshape(-1).tolist()]
    return "%s %d %s\n" % (name, len(flat),
                           " ".join("%.17g" % v for v in flat))


def int_line(name, values):
    return "%s %d %s\n" % (name, len(values),
                           " ".join("%d" % v for v in values))


def optimizer_steps(kind, layers, input_size, seed, inputs, optimizer):
    """Parameters after each of OPTIMIZER_STEPS steps, in pd-rnn's names."""
    cell, readout = build(kind, layers, input_size, seed)
    maker, settings = OPTIMIZERS[optimizer]
    params = list(cell.parameters()) + list(readout.parameters())
    opt = maker(params, **settings)
    after = []
    for _ in range(OPTIMIZER_STEPS):
        opt.zero_grad()
        _, loss = window_loss(cell, readout, inputs)
        loss.backward()
        opt.step()
        after.append(pd_tensors(cell, readout, layers, use_grad=False))
    return after


def write_case(folder, kind, layers, dense, seed):
    name = "%s%d%s" % (kind, layers, "_dense" if dense else "")
    input_size = DENSE_INPUT if dense else VOCAB
    if dense:
        generator = torch.Generator().manual_seed(seed + 1000)
        inputs = torch.rand((STEPS, input_size), generator=generator,
                            dtype=torch.float64) * 2 - 1
        indices = [-1] * STEPS
    else:
        inputs = F.one_hot(torch.tensor(INDICES), VOCAB).double()
        indices = INDICES

    cell, readout = build(kind, layers, input_size, seed)
    hidden, loss = window_loss(cell, readout, inputs)
    loss.backward()

    text = ["# %s: generated by tests/torch_reference.py (torch %s), "
            "do not edit\n" % (name, torch.__version__)]
    text.append(int_line("cell", [CELLS[kind][0]]))
    text.append(int_line("layers", [layers]))
    text.append(int_line("hidden", [HIDDEN]))
    text.append(int_line("vocab", [VOCAB]))
    text.append(int_line("steps", [STEPS]))
    text.append(int_line("input_size", [input_size]))
    text.append(int_line("indices", indices))
    text.append(line("inputs", inputs))
    text.append(int_line("targets", TARGETS))
    text.append(line("hidden_out", hidden.detach()))
    text.append(line("loss", [loss.item()]))
    for tensor, values in pd_tensors(cell, readout, layers, use_grad=False):
        text.append(line("value." + tensor, values))
    for tensor, values in pd_tensors(cell, readout, layers, use_grad=True):
        text.append(line("grad." + tensor, values))
    for optimizer in OPTIMIZERS:
        settings = OPTIMIZERS[optimizer][1]
        for key in sorted(settings):
            values = settings[key]
            if not isinstance(values, tuple):
                values = (values,)
            text.append(line("%s.%s" % (optimizer, key), list(values)))
        after = optimizer_steps(kind, layers, input_size, seed, inputs,
                                optimizer)
        for step, tensors in enumerate(after, 1):
            for tensor, values in tensors:
                text.append(line("%s%d.%s" % (optimizer, step, tensor),
                                 values))
    with open(os.path.join(folder, name + ".txt"), "w") as out:
        out.writelines(text)
    return name


def main():
    torch.set_default_dtype(torch.float64)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "reference")
    os.makedirs(folder, exist_ok=True)
    seed = 1
    for kind in CELLS:
        for layers in (1, 2):
            for dense in (False, True):
                print("wrote", write_case(folder, kind, layers, dense, seed))
                seed += 1


if __name__ == "__main__":
    main()
