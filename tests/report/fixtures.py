"""Build a fake results folder in the documented layout (see ``ganbench run``), fast and deterministic."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

EVIL = "<script>alert(1)</script>"


def tiny_png(seed: int, size: int = 24) -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 255, size=(size, size, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


def make_row(variant: str, dataset: str, seed: int, rng: np.random.Generator) -> dict:
    is_2d = dataset in {"ring8", "grid25"}
    row = {
        "variant": variant, "generator": "mlp" if is_2d else "dcgan", "discriminator": "mlp" if is_2d else "dcgan",
        "loss": "infogan" if variant == "infogan" else "bce", "dataset": dataset, "seed": seed, "steps": 200,
        "batch_size": 64, "status": "ok", "error": None, "diverged_step": None,
        "d_loss": float(rng.uniform(0.5, 1.5)), "g_loss": float(rng.uniform(0.5, 2.5)),
        "train_img_s": float(rng.uniform(800, 1200)), "wall_s": float(rng.uniform(5, 9)), "device": "cpu",
        "ganbench_version": "0.1.0", "torch_version": "2.14.1",
        "fid": None, "fid_extractor": None, "fid_layer": None, "fid_n_fake": None, "fid_n_real": None,
        "fid_split": None, "fid_note": "2D dataset: no image features" if is_2d else None, "real_stats_key": None,
        "kid_mean": None, "kid_std": None,
        "precision": float(rng.uniform(0.5, 1)), "recall": float(rng.uniform(0.3, 1)),
        "density": None, "coverage": None, "modes": None, "modes_total": None, "hq_fraction": None,
        "kl_modes": None, "ndb": None, "ndb_k": None, "ndb_js": None, "code_accuracy": None,
        "gen_img_s": float(rng.uniform(5000, 9000)), "eval_s": float(rng.uniform(1, 3)), "peak_mem_mb": None,
    }  # fmt: skip
    if is_2d:
        total = 8 if dataset == "ring8" else 25
        row.update(modes=float(rng.integers(total - 3, total + 1)), modes_total=total,
                   hq_fraction=float(rng.uniform(0.8, 0.99)), kl_modes=float(rng.uniform(0, 0.5)))  # fmt: skip
    else:
        row.update(fid=float(rng.uniform(20, 80)), fid_extractor="inception-v3-compat", fid_layer="2048",
                   fid_n_fake=1000, fid_n_real=1000, fid_split="train", real_stats_key=f"{dataset}-train-2048-n1000",
                   kid_mean=float(rng.uniform(0, 0.05)), kid_std=float(rng.uniform(0, 0.01)),
                   ndb=float(rng.integers(0, 30)), ndb_k=float(rng.uniform(0, 0.3)),
                   ndb_js=float(rng.uniform(0, 0.05)))  # fmt: skip
    if variant == "infogan":
        row["code_accuracy"] = float(rng.uniform(0.7, 0.99))
    return row


def make_results(
    root: Path,
    variants: Sequence[str] = ("dcgan", "infogan"),
    datasets: Sequence[str] = ("ring8", "mnist"),
    seeds: Sequence[int] = (0, 1, 2),
    *,
    with_evals: bool = True,
    statuses: dict[tuple[str, str, int], str] | None = None,
) -> Path:
    """Write results.csv/.parquet, run.json and one folder per cell under ``root``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    rows = []
    for i, (variant, dataset, seed) in enumerate((v, d, s) for v in variants for d in datasets for s in seeds):
        row = make_row(variant, dataset, seed, rng)
        status = (statuses or {}).get((variant, dataset, seed))
        if status:
            row.update(status=status, error=f"{status} at step 50", diverged_step=50 if status == "diverged" else None)
        rows.append(row)
        cell = root / f"{slug(variant)}-{slug(dataset)}-s{seed}"
        cell.mkdir()
        config = {k: row[k] for k in ("variant", "generator", "discriminator", "loss", "dataset", "seed", "steps",
                                      "batch_size", "device")}  # fmt: skip
        config.update(options={"lr_note": "<b>bold?</b>"}, lr_g=2e-4, lr_d=2e-4, betas=[0.5, 0.999], d_steps=1)
        (cell / "config.json").write_text(json.dumps(config))
        (cell / "metrics.json").write_text(json.dumps(row))
        steps = np.arange(0, 201, 20)
        noise = rng.normal(0, 0.05, size=(3, len(steps)))
        history = {"step": steps, "d_loss": 1.4 * np.exp(-steps / 150) + 0.3 + noise[0],
                   "g_loss": 0.7 + steps / 300 + noise[1]}  # fmt: skip
        if variant == "infogan":
            history["info_loss"] = 0.5 * np.exp(-steps / 80) + noise[2]
        pd.DataFrame(history).to_csv(cell / "history.csv", index=False)
        if with_evals:
            ev = np.arange(50, 201, 50)
            metric = "modes" if dataset in {"ring8", "grid25"} else "fid"
            end = rng.uniform(5, 8)
            evals = {"step": ev, metric: np.linspace(1, end, len(ev)), "precision": np.linspace(0.2, end / 9, len(ev))}
            pd.DataFrame(evals).to_csv(cell / "evals.csv", index=False)
        (cell / "samples.png").write_bytes(tiny_png(i))
        if variant == "infogan":
            (cell / "traversal.png").write_bytes(tiny_png(1000 + i))
        (cell / "generator.pt").write_bytes(b"not a real checkpoint")
    table = pd.DataFrame(rows)
    table.to_csv(root / "results.csv", index=False)
    table.to_parquet(root / "results.parquet", index=False)
    (root / "run.json").write_text(json.dumps({"argv": ["ganbench", "run", "--variants", ",".join(variants)],
                                               "ganbench_version": "0.1.0", "torch_version": "2.14.1",
                                               "plugins": ["vanilla", "infogan"]}))  # fmt: skip
    return root
