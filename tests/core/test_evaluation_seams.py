"""The metric and feature-extractor seams: registration checks, selection, what a metric receives,
the read-only row of ``ganbench_cell_finished`` and the component listing."""

from __future__ import annotations

import math
import types
from types import MappingProxyType

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from ganbench import columns
from ganbench.builtins.toydata.mixtures import RING8, make_mixture, sample_mixture
from ganbench.data.base import DatasetOptions
from ganbench.describe import describe_components
from ganbench.errors import PluginError, UnknownNameError
from ganbench.metrics.cache import DEFAULT_N_REAL, select_real
from ganbench.metrics.evaluate import evaluate_metrics
from ganbench.plugin import FeatureExtractor, MetricColumn, Recipe, Variant, hookimpl
from ganbench.registrar import PluginOrigin, Registrar
from ganbench.registry import PluginRegistry


def builtins() -> PluginRegistry:
    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())
    return registry


def plugin(register) -> types.ModuleType:
    module = types.ModuleType("fixture")
    module.ganbench_register = hookimpl(register)
    return module


def registrar() -> Registrar:
    return Registrar(origin=PluginOrigin("p", "dist-p", "1.0"))


@pytest.fixture(scope="module")
def ring8(tmp_path_factory):
    return make_mixture(RING8)(DatasetOptions(root=tmp_path_factory.mktemp("data")))


def points(n: int, seed: int) -> torch.Tensor:
    return sample_mixture(RING8, n, torch.Generator().manual_seed(seed))[0]


def col(name: str, direction: str | None = "lower") -> MetricColumn:
    return MetricColumn(name, direction, f"fixture column {name}")


# -- registration checks -------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"columns": []}, "at least one"),
        ({"columns": ["x_col"]}, "MetricColumn"),
        ({"needs": ("fake", "gpu")}, "valid: fake, fake_labels, features, labels, models, real"),
        ({"columns": [col("Bad-Name")]}, "column name 'Bad-Name' is invalid"),
        ({"columns": [col("variant")]}, "written by ganbench itself"),
        ({"columns": [col("fid_extractor")]}, "written by ganbench itself"),
        ({"columns": [col("fid", "higher")]}, "already declared differently"),
        ({"columns": [col("x_a"), col("x_a")]}, "twice"),
        ({"extractor": "raw"}, "does not need 'features'"),
        ({"data_kinds": ("audio",)}, "data_kinds"),
    ],
)
def test_add_metric_rejects_bad_declarations(kwargs, needle):
    arguments = {"description": "a fixture", "columns": [col("x_score")], "needs": ("fake",), **kwargs}
    with pytest.raises(PluginError, match=needle):
        registrar().add_metric("fixture-metric", lambda inputs: {}, **arguments)


def test_a_column_another_plugin_fills_is_refused():
    registry = builtins()
    bad = plugin(
        lambda registrar: registrar.add_metric("mine", dict, description="d", columns=[col("precision", "higher")])
    )
    with pytest.raises(PluginError, match=r"column 'precision' is already filled by metric 'prdc'"):
        registry.add_plugin(bad, PluginOrigin("bad", "dist-bad", "1"))


def test_unknown_train_option_in_a_recipe_fails_at_registration():
    variant = Variant("typo", "a typo", {"points": Recipe("mlp", "mlp", "nonsaturating", train_options={"lr_gen": 1})})
    with pytest.raises(PluginError, match=r"unknown train option\(s\) lr_gen; valid: .*lr_g"):
        registrar().add_variant(variant)


def test_torch_fidelity_class_must_be_a_feature_extractor():
    with pytest.raises(PluginError, match="FeatureExtractorBase"):
        registrar().add_feature_extractor("x", lambda **k: None, description="d", torch_fidelity=dict)


def test_builtin_extractors_and_metrics_come_through_the_seams():
    registry = builtins()
    assert registry.names("extractor") == ["ganbench-digits", "inception-v3-compat", "raw"]
    assert [m.name for m in registry.metrics()] == [
        "fid", "prdc", "ndb", "modes", "code-accuracy", "class_accuracy", "intra_fid", "cas"
    ]  # fmt: skip
    assert {e.origin.plugin for e in registry.entries("metric")} == {"metrics"}
    with pytest.raises(UnknownNameError, match=r"unknown metric 'nope'; valid choices: cas, class_accuracy, code-acc"):
        registry.metrics(["fid", "nope"])
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

    from ganbench.metrics.digits_classifier import FeatureExtractorGanbenchDigits

    assert FEATURE_EXTRACTORS_REGISTRY["ganbench-digits"] is FeatureExtractorGanbenchDigits


# -- a plugin metric and extractor, end to end ------------------------------------------
def nearest_real(inputs):
    d = torch.cdist(inputs.fake_features.double(), inputs.real_features.double())
    return {"fx_nn_distance": d.min(dim=1).values.mean().item(), "fx_k": 1}


def doubled(*, device, weights, batch_size):
    return FeatureExtractor("fx-doubled", "x2", "none", lambda x: 2 * x.flatten(1).float(), device, batch_size)


def register_fixture(registrar):
    registrar.add_metric(
        "fx-nn",
        nearest_real,
        description="nearest real neighbour",
        columns=[MetricColumn("fx_nn_distance", "lower", "mean distance to the nearest real sample", 0.0)],
        protocol=("fx_k",),
        needs=("features",),
        default=False,
    )
    registrar.add_metric(
        "fx-peek", lambda inputs: {"fx_peek": float(inputs.real.shape[0])}, description="reads real undeclared",
        columns=[col("fx_peek", None)], needs=("fake",), default=False,
    )  # fmt: skip
    registrar.add_metric(
        "fx-extra", lambda inputs: {"fx_extra": 1.0, "fx_sneaky": 2.0}, description="returns an undeclared key",
        columns=[col("fx_extra")], default=False,
    )  # fmt: skip
    registrar.add_metric(
        "fx-models", lambda inputs: {"fx_models": 1.0}, description="needs models",
        columns=[col("fx_models")], needs=("models",), default=False,
    )  # fmt: skip
    registrar.add_feature_extractor("fx-doubled", doubled, description="2x", data_kinds=("points",))


@pytest.fixture(scope="module")
def registry():
    registry = builtins()
    assert registry.add_plugin(plugin(register_fixture), PluginOrigin("fx", "dist-fx", "1"))
    return registry


def test_plugin_metric_column_is_declared_and_computed_against_a_kd_tree(registry, ring8, tmp_path):
    assert columns.direction("fx_nn_distance") == "lower"
    fake = points(500, 3)
    row = evaluate_metrics(fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-nn"], registry=registry)
    assert set(row) == {"fx_nn_distance", "fx_k", "eval_s", "fid_extractor", "fid_layer", "fid_n_fake",
                        "fid_n_real", "fid_split", "fid_note", "real_stats_key"}  # fmt: skip
    split = ring8.spec.fid_split
    real = ring8.tensors(split)[0][select_real(ring8, split, DEFAULT_N_REAL)].double().numpy()
    expected = cKDTree(real).query(fake.double().numpy())[0].mean()
    assert row["fx_nn_distance"] == pytest.approx(expected, rel=1e-9)
    assert row["fid_extractor"] == "raw" and row["fx_k"] == 1


def test_metric_on_another_extractor_and_extractor_choice(registry, ring8, tmp_path):
    fake = points(300, 4)
    plain = evaluate_metrics(fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-nn"], registry=registry)
    twice = evaluate_metrics(
        fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-nn", "fid"], extractor="fx-doubled",
        registry=registry,
    )  # fmt: skip
    assert twice["fid_extractor"] == "fx-doubled" and twice["fid_layer"] == "x2"
    assert twice["fx_nn_distance"] == pytest.approx(2 * plain["fx_nn_distance"], rel=1e-6)  # features scale by 2
    assert math.isfinite(twice["fid"]) and "modes" not in twice  # only the selected metrics


def test_undeclared_inputs_and_keys_are_errors(registry, ring8, tmp_path):
    fake = points(50, 5)
    with pytest.raises(AttributeError, match=r"'fx-peek' reads 'real' but does not declare needs='real'"):
        evaluate_metrics(fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-peek"], registry=registry)
    with pytest.raises(PluginError, match=r"undeclared column\(s\) fx_sneaky"):
        evaluate_metrics(fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-extra"], registry=registry)


def test_metric_needing_models_is_left_out_without_models(registry, ring8, tmp_path):
    fake = points(50, 6)
    row = evaluate_metrics(fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-models"], registry=registry)
    assert set(row) == {"eval_s"}
    row = evaluate_metrics(
        fake, ring8, device="cpu", cache_dir=tmp_path, metrics=["fx-models"], registry=registry, models=object()
    )
    assert row["fx_models"] == 1.0


# -- the read-only row -------------------------------------------------------------------
def test_cell_finished_gets_a_read_only_row_and_a_raising_hook_is_isolated(caplog):
    seen = []

    def ganbench_cell_finished(row, cell_dir):
        seen.append(row)
        row["extra"] = 1  # the old, silently dropped way of adding a column

    registry = PluginRegistry(strict=True)
    writer = types.ModuleType("writer")
    writer.ganbench_cell_finished = hookimpl(ganbench_cell_finished)
    observer = types.ModuleType("observer")
    observer.ganbench_cell_finished = hookimpl(lambda row: seen.append(dict(row)))
    assert registry.add_plugin(writer, PluginOrigin("writer", "dist-w", "1"))
    assert registry.add_plugin(observer, PluginOrigin("observer", "dist-o", "1"))
    row = {"variant": "v", "status": "ok"}
    registry.notify_cell_finished(row, "cell")
    proxies = [r for r in seen if isinstance(r, MappingProxyType)]
    copies = [r for r in seen if isinstance(r, dict)]
    assert len(proxies) == 1 and copies == [row] and row == {"variant": "v", "status": "ok"}
    assert "writer" in caplog.text and "TypeError" in caplog.text


# -- listing ---------------------------------------------------------------------------------
def test_components_listing_reads_options_from_factory_signatures(registry):
    records = {(r["kind"], r["name"]): r for r in describe_components(registry)}
    mlp = records[("generator", "mlp")]
    options = {o["name"]: (o["type"], o["default"]) for o in mlp["options"]}
    assert options == {"noise_dim": ("int", 16), "hidden": ("int", 256), "depth": ("int", 3)}
    assert mlp["data_kinds"] == ["points"] and mlp["description"]
    fid = records[("metric", "fid")]
    assert [(c["name"], c["direction"]) for c in fid["columns"]] == [
        ("fid", "lower"), ("kid_mean", "lower"), ("kid_std", None)
    ]  # fmt: skip
    assert records[("extractor", "fx-doubled")]["data_kinds"] == ["points"]
    assert {kind for kind, _ in records} == set(registry.kinds)
    assert np.all([r["description"] for r in records.values()])
