"""What the PyTorch sides of `make bench` share: one thread for torch and
its BLAS (set before they load), the import, and a text's characters."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


def import_torch(seed=1):
    """(torch, torch.nn) on one thread and seeded, or None after printing
    `torch_unavailable REASON` when torch cannot be imported."""
    try:
        import torch
        import torch.nn as nn
    except Exception as e:  # ImportError, or a broken shared library
        print("torch_unavailable " + (type(e).__name__ + ": " + str(e))
              .replace("\n", " "))
        return None
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    return torch, nn


def read_chars(path):
    """The bytes of a file, its sorted characters and their indices."""
    with open(path, "rb") as f:
        data = f.read()
    chars = sorted(set(data))
    return data, chars, {c: i for i, c in enumerate(chars)}
