"""The report's error bars never leave a metric's valid range (FID >= 0, fractions in [0, 1])."""

from __future__ import annotations

import math

import pytest

from ganbench.report.plots import error_bar


def test_error_bars_are_clipped_to_the_valid_range():
    assert error_bar("fid", 1.0, 3.0) == [[1.0], [3.0]]  # mean - std would be -2
    below, above = error_bar("hq_fraction", 0.9, 0.3)
    assert below == pytest.approx([0.3]) and above == pytest.approx([0.1])
    assert error_bar("kid_mean", 0.001, 0.01) == [[pytest.approx(0.01)], [pytest.approx(0.01)]]  # KID may be < 0
    assert error_bar("plugin_metric", 5.0, 1.0) == [[1.0], [1.0]]
    assert error_bar("modes", 7.0, 2.0, modes_total=8) == [[2.0], [1.0]]  # at most K modes
    assert error_bar("kl_modes", 2.0, 0.5, modes_total=8)[1] == [pytest.approx(math.log(8) - 2.0)]
