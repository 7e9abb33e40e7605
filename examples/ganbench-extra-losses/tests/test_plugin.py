"""The installed package as ganbench sees it: discovered through the entry point, its variants trained.

These run ganbench itself, so they need the package installed (``pip install -e .``).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys

from ganbench.plugin import API_VERSION

import ganbench_extra_losses

DISTRIBUTION = "ganbench-extra-losses"


def ganbench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GANBENCH_LOAD_PLUGINS": DISTRIBUTION}
    return subprocess.run(
        [sys.executable, "-m", "ganbench", "--strict", *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_declares_the_current_plugin_api():
    assert ganbench_extra_losses.GANBENCH_API_VERSION == API_VERSION


def test_ganbench_discovers_everything_through_the_entry_point():
    result = ganbench("plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    ours = [p for p in listing["plugins"] if re.sub(r"[-_.]+", "-", p["distribution"]).lower() == DISTRIBUTION]
    assert len(ours) == 1, "not installed? run `pip install -e .`"
    assert ours[0]["api_version"] == API_VERSION
    assert set(ours[0]["components"]) == {
        "discriminator:sn-dcgan", "discriminator:sn-mlp", "discriminator:critic-dcgan", "discriminator:critic-mlp",
        "loss:wgan-gp", "loss:hinge", "loss:lsgan", "variant:wgan-gp", "variant:hinge-sn", "variant:lsgan",
        "metric:energy-distance", "extractor:rff",
        "optimizer:optimistic-adam", "training_step:unrolled", "variant:unrolled",
    }  # fmt: skip
    assert not listing["problems"]


def test_variants_train_on_points_through_ganbench_run(tmp_path):
    result = ganbench(
        "run", "--plugins", "wgan-gp,hinge-sn,lsgan", "--dataset", "grid25", "--steps", "10",
        "--no-eval", "--results-dir", str(tmp_path), "--out", "smoke", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "smoke" / "results.csv", newline="") as handle:
        rows = {row["variant"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"wgan-gp", "hinge-sn", "lsgan"}
    assert all(row["status"] == "ok" for row in rows.values()), rows
    assert (rows["wgan-gp"]["discriminator"], rows["wgan-gp"]["loss"]) == ("critic-mlp", "wgan-gp")
