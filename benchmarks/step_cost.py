"""Per-step cost of the built-in variants against their FLOP count (why minibatch is slower than dcgan).

    .venv/bin/python benchmarks/step_cost.py [--rounds 5] [--steps 20] [--threads 1]

For ring8 (dcgan, minibatch, and minibatch with the layer as it was before issue 26) and digits 16 px
(dcgan, infogan), prints the median milliseconds per training step (batch 64, after warm-up, the
variants measured round-robin in one process so machine load hits them alike), the FLOPs of one step
as torch's FlopCounterMode counts them (matrix products and convolutions, forward and backward), and
the element-wise work of the minibatch layer's pairwise L1 distances, which FlopCounterMode does not see.
benchmarks/README.md records what it showed.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import BATCH, GanbenchRun, load_dataset


def previous_forward(self: torch.nn.Module, features: torch.Tensor) -> torch.Tensor:
    """The minibatch layer's forward before issue 26: a strided cdist input and an explicit diagonal mask."""
    n = features.shape[0]
    f = features if self.projection is None else features @ self.projection
    m = (f @ self.T).view(n, self.kernels, self.kernel_dim).transpose(0, 1)
    dist = torch.cdist(m, m, p=1.0)
    self_pairs = torch.eye(n, dtype=torch.bool, device=features.device)
    c = torch.exp(-dist).masked_fill(self_pairs, 0.0)
    return c.sum(dim=2).transpose(0, 1)


class PreviousLayer:
    """Context: every layer of ``run``'s minibatch class uses :func:`previous_forward` while inside."""

    def __init__(self, run: GanbenchRun) -> None:
        self.cls = type(run.models.discriminator.minibatch)

    def __enter__(self) -> None:
        self.saved = self.cls.forward
        self.cls.forward = previous_forward  # type: ignore[method-assign]

    def __exit__(self, *exc: object) -> None:
        self.cls.forward = self.saved  # type: ignore[method-assign]


def step_flops(run: GanbenchRun) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        run.run(1)
    return counter.get_total_flops()


def pairwise_ops(run: GanbenchRun) -> int:
    """Element-wise operations of the pairwise L1 per step: 3 D calls x B·N²·C x (sub, abs, add; ~2x backward)."""
    layer = getattr(run.models.discriminator, "minibatch", None)
    if layer is None:
        return 0
    return 3 * layer.kernels * BATCH * BATCH * layer.kernel_dim * 3 * 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ring8, digits = load_dataset("ring8", None), load_dataset("digits")
    previous = GanbenchRun("minibatch", ring8)
    cases = {
        "ring8 dcgan": (GanbenchRun("dcgan", ring8), contextlib.nullcontext),
        "ring8 minibatch": (GanbenchRun("minibatch", ring8), contextlib.nullcontext),
        "ring8 minibatch (previous layer)": (previous, lambda: PreviousLayer(previous)),
        "digits dcgan": (GanbenchRun("dcgan", digits), contextlib.nullcontext),
        "digits infogan": (GanbenchRun("infogan", digits), contextlib.nullcontext),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for run, context in cases.values():  # warm-up
        with context():
            run.run(3)
    for _ in range(args.rounds):
        for name, (run, context) in cases.items():
            with context():
                start = time.perf_counter()
                run.run(args.steps)
                times[name].append((time.perf_counter() - start) / args.steps)
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {BATCH}, {args.rounds}x{args.steps} steps")
    print(f"{'case':<34}{'ms/step':>9}{'MFLOP/step':>12}{'pairwise Mop':>14}{'GFLOP/s':>9}")
    for name, (run, _) in cases.items():
        ms = 1e3 * statistics.median(times[name])
        flops = step_flops(run)
        pairwise = pairwise_ops(run)
        rate = (flops + pairwise) / (ms / 1e3) / 1e9
        print(f"{name:<34}{ms:9.2f}{flops / 1e6:12.1f}{pairwise / 1e6:14.1f}{rate:9.2f}")


if __name__ == "__main__":
    main()
