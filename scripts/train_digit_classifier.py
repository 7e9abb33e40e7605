"""Reproduce ``ganbench/metrics/weights/digits_cnn.pt`` (the ``ganbench-digits`` classifier).

Deterministic: fixed seed, fixed stratified split (``sklearn_digits_split``),
single-threaded CPU training with deterministic algorithms, so re-running on
the same torch version gives the same bytes (``--check`` verifies the sha256
against the committed json instead of overwriting).

Augmentation, so the classifier generalises to generated digits at any size:
each 8×8 digit is rendered at a random side (8, 16, 28 or 32; nearest or
bilinear), shifted by up to ±1 source pixel, lightly noised, then resized back
to 16×16 exactly as ``to_classifier_input`` does at evaluation time.

Usage: ``python scripts/train_digit_classifier.py [--epochs 60] [--check]``
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganbench.metrics.digits_classifier import (
    HELD_OUT_FRACTION,
    INFO_PATH,
    SPLIT_SEED,
    WEIGHTS_PATH,
    DigitCNN,
    file_sha256,
    sklearn_digits_split,
    to_classifier_input,
)

SEED = 0
SIZES = (8, 16, 28, 32)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random render size + mode, random shift of up to one source pixel, small noise."""
    size = SIZES[int(torch.randint(len(SIZES), (1,), generator=gen))]
    mode = "nearest" if int(torch.randint(2, (1,), generator=gen)) else "bilinear"
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    x = F.interpolate(x, size=(size, size), mode=mode, **kwargs) if size != 8 else x
    scale = size // 8 or 1
    dx, dy = (int(v) * scale for v in torch.randint(-1, 2, (2,), generator=gen))
    x = torch.roll(F.pad(x, (scale,) * 4, value=-1.0), shifts=(dy, dx), dims=(2, 3))[..., scale:-scale, scale:-scale]
    x = to_classifier_input(x)
    return (x + 0.05 * torch.randn(x.shape, generator=gen)).clamp(-1, 1)


def accuracy(net: DigitCNN, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    with torch.no_grad():
        return float((net(to_classifier_input(x)).argmax(1) == y).float().mean())


def train(epochs: int, batch_size: int = 64, lr: float = 2e-3) -> tuple[DigitCNN, dict[str, float]]:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    split = sklearn_digits_split()
    x_tr, y_tr = split["train"]
    x_te, y_te = split["held_out"]
    net = DigitCNN()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(y_tr), generator=gen)
        for start in range(0, len(perm), batch_size):
            idx = perm[start : start + batch_size]
            loss = F.cross_entropy(net(augment(x_tr[idx], gen)), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net, {"train_accuracy": accuracy(net, x_tr, y_tr), "held_out_accuracy": accuracy(net, x_te, y_te)}


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; these files are committed
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--check", action="store_true", help="train and compare with the committed weights")
    args = parser.parse_args()

    net, scores = train(args.epochs)
    buf = io.BytesIO()
    torch.save({k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}, buf)
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    print(f"train accuracy {scores['train_accuracy']:.4f}, held-out accuracy {scores['held_out_accuracy']:.4f}")
    print(f"sha256 {sha} ({len(data)} bytes)")
    if args.check:
        committed = file_sha256(WEIGHTS_PATH)
        print("reproduced the committed weights" if committed == sha else f"DIFFERS from committed sha256 {committed}")
        sys.exit(0 if committed == sha else 1)
    atomic_write(WEIGHTS_PATH, data)
    info = {
        "sha256": sha,
        "bytes": len(data),
        "held_out_accuracy": round(scores["held_out_accuracy"], 4),
        "train_accuracy": round(scores["train_accuracy"], 4),
        "data": "sklearn.datasets.load_digits (1797 8x8 digits)",
        "split": f"stratified train_test_split(test_size={HELD_OUT_FRACTION}, random_state={SPLIT_SEED})",
        "epochs": args.epochs,
        "seed": SEED,
        "torch_version": torch.__version__,
        "script": "scripts/train_digit_classifier.py",
    }
    atomic_write(INFO_PATH, (json.dumps(info, indent=2) + "\n").encode())
    print(f"wrote {WEIGHTS_PATH} and {INFO_PATH}")


if __name__ == "__main__":
    main()
