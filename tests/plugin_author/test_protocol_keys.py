"""A plugin metric's protocol keys: out of the metric columns, in the protocol section of tables and the
report, and only scalar values."""

from __future__ import annotations

import math
import types

import pandas as pd
import pytest
import torch

from ganbench.cli.tables import runs_table, summary_table
from ganbench.errors import PluginError
from ganbench.metrics.evaluate import evaluate_metrics
from ganbench.plugin import MetricColumn, hookimpl
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry
from ganbench.results.aggregate import aggregate, metric_columns, protocol_display


def spread(inputs):
    return {"gbp_spread": float(inputs.fake.std()), "gbp_k": 3, "gbp_how": "std of every value"}


def bad(inputs):
    return {"gbp_bad_score": 1.0, "gbp_bad_k": [3]}


def _registry() -> PluginRegistry:
    module = types.ModuleType("gbp_protocol")

    def ganbench_register(registrar):
        registrar.add_metric(
            "gbp-spread", spread, description="Spread.", columns=[MetricColumn("gbp_spread", "higher", "spread")],
            protocol=("gbp_k", "gbp_how"), default=False,
        )  # fmt: skip
        registrar.add_metric(
            "gbp-bad", bad, description="Bad.", columns=[MetricColumn("gbp_bad_score", "higher", "s")],
            protocol=("gbp_bad_k",), default=False,
        )  # fmt: skip

    module.ganbench_register = hookimpl(ganbench_register)
    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())
    assert registry.add_plugin(module, PluginOrigin("gbp_protocol", "gbp-protocol", "0"))
    return registry


def test_protocol_keys_are_not_metrics_and_show_in_the_protocol_section(tmp_path):
    registry = _registry()
    entry, _ = registry.dataset("ring8")
    from ganbench.data.base import DatasetOptions

    dataset = entry.factory(DatasetOptions(root=tmp_path))
    fake = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    row = evaluate_metrics(fake, dataset, device="cpu", cache_dir=tmp_path, metrics=["gbp-spread"], registry=registry)
    assert (row["gbp_k"], row["gbp_how"]) == (3, "std of every value")
    assert math.isclose(row["gbp_spread"], float(fake.std()))
    rows = [{**row, "variant": "dcgan", "dataset": "ring8", "seed": s, "status": "ok", "data_kind": "points"}
            for s in (0, 1)]  # fmt: skip
    table = pd.DataFrame(rows)
    assert "gbp_spread" in metric_columns(table) and "gbp_k" not in metric_columns(table)
    assert {"gbp_k", "gbp_how"} <= set(protocol_display(table).columns)
    assert aggregate(table)["gbp_k"].tolist() == ["3"]  # shown as recorded, never averaged
    wide = runs_table(table, width=None, wide=True)
    header, protocol = wide.split("\nprotocol:\n")
    assert "gbp_spread" in header.splitlines()[0] and "gbp_k" not in header
    assert "  gbp_k: 3" in protocol and "  gbp_how: std of every value" in protocol
    assert "protocol:" not in runs_table(table, width=120)  # the default table stays compact
    assert "gbp_k" not in summary_table(table, width=None, wide=True)


def test_protocol_values_must_be_scalars(tmp_path):
    registry = _registry()
    from ganbench.data.base import DatasetOptions

    dataset = registry.dataset("ring8")[0].factory(DatasetOptions(root=tmp_path))
    with pytest.raises(PluginError, match="protocol key 'gbp_bad_k' as list"):
        evaluate_metrics(torch.zeros(10, 2), dataset, device="cpu", cache_dir=tmp_path, metrics=["gbp-bad"],
                         registry=registry)  # fmt: skip
