"""The regression thresholds ``ganbench compare`` applies when none are given.

Kept apart from :mod:`ganbench.results.compare` (which needs pandas) so that
``ganbench compare --help`` can list them without importing anything heavy.
"""

from __future__ import annotations

DEFAULT_THRESHOLDS: dict[str, str] = {
    # Quality. Relative where the metric's scale is far from 0, absolute where it sits near 0
    # (KL and NDB/K can be exactly 0) or is a bounded fraction. KID has no default: its scale
    # depends on the feature extractor and it sits near (even below) 0, so neither form fits
    # all runs; FID covers the same ground. Name it explicitly (e.g. kid_mean=0.005) to check it.
    "fid": "10%",
    "precision": "-0.05",
    "recall": "-0.05",
    "density": "-0.1",
    "coverage": "-0.05",
    "modes": "-10%",
    "hq_fraction": "-0.05",
    "kl_modes": "0.1",
    "ndb_k": "0.05",
    "ndb_js": "0.01",
    "code_accuracy": "-0.05",
    # Speed and cost: noisy on shared machines, hence generous.
    "train_img_s": "-20%",
    "gen_img_s": "-20%",
    "wall_s": "25%",
    "eval_s": "25%",
    "peak_mem_mb": "20%",
}
"""Thresholds used when none are given (only for metrics present in both tables)."""
