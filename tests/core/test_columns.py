"""The metric-column catalogue: directions, ranges, formats and headline order."""

from __future__ import annotations

import math

import pytest

from ganbench import columns
from ganbench.results.compare import DIRECTIONS


def test_compare_directions_come_from_the_catalogue() -> None:
    assert DIRECTIONS == columns.directions()
    assert DIRECTIONS["fid"] == "lower" and DIRECTIONS["modes"] == "higher"


def test_clip_keeps_intervals_in_the_valid_range() -> None:
    hq = columns.column("hq_fraction")
    assert hq is not None
    assert hq.clip(1.3) == 1.0 and hq.clip(-0.2) == 0.0 and math.isnan(hq.clip(math.nan))
    fid = columns.column("fid")
    assert fid is not None and fid.clip(-4.0) == 0.0 and fid.clip(1e6) == 1e6


def test_fixed_format_per_metric() -> None:
    assert columns.format_metric("fid", 12.3456) == "12.35"
    assert columns.format_metric("train_img_s", 10540.4) == "10540"
    assert columns.format_metric("kid_mean", 1.23e-5) == "0.0000"
    assert columns.format_metric("fid", math.nan) == ""
    assert columns.format_metric("plugin_metric", 3.0) == "3"


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        ({"data_kind": "points"}, "points"),
        ({"data_kind": "image", "data_stacked": True}, "stacked"),
        ({"data_kind": "image"}, "image"),
        ({"fid_extractor": "raw"}, "points"),
        ({"modes_total": 1000.0}, "stacked"),
        ({}, "image"),
    ],
)
def test_data_kind_of_rows_old_and_new(row: dict, kind: str) -> None:
    assert columns.data_kind_of(row) == kind


def test_headline_metrics_lead() -> None:
    assert columns.order_metrics(["fid", "kl_modes", "modes", "x"], "points") == ["modes", "kl_modes", "fid", "x"]
    assert columns.order_metrics(["recall", "fid"], "image") == ["fid", "recall"]


def test_register_column_refuses_a_conflicting_redefinition() -> None:
    spec = columns.MetricColumn("test_only_metric", "higher", "a test column")
    columns.register_column(spec)
    columns.register_column(spec)  # the same definition again is fine
    with pytest.raises(ValueError, match="test_only_metric"):
        columns.register_column(columns.MetricColumn("test_only_metric", "lower", "other"))
