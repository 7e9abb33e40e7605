"""docs/writing-plugins.md cannot drift from the hook specs, the registrar or the public API.

The checker (tools/check_hook_docs.py) is tested twice over: the real
document must pass it, and deliberately drifted documents and code must fail
it. The hooks and registrar are also read here independently of the checker
(through pluggy and ``inspect``), and the document's code examples are run.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import re
import subprocess
import sys
import types

import numpy as np
import pluggy
import pytest
import torch

import ganbench.plugin
from ganbench import hookspecs, testing
from ganbench.data.base import DataSpec
from ganbench.engine.build import build_models
from ganbench.engine.config import TrainConfig
from ganbench.engine.trainer import train
from ganbench.errors import IncompatibleError
from ganbench.registrar import PluginOrigin, Registrar
from ganbench.registry import PluginRegistry
from tests.plugin_author.helpers import REPO

DOC_PATH = REPO / "docs" / "writing-plugins.md"
DOC = DOC_PATH.read_text(encoding="utf-8")


def _load_checker() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("check_hook_docs", REPO / "tools" / "check_hook_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


# -- the real document is in step ------------------------------------------------
def test_document_passes_the_checker():
    assert checker.problems(DOC) == []


def test_checker_command_line(tmp_path, capsys):
    assert checker.main(["--doc", str(DOC_PATH)]) == 0
    doc = tmp_path / "doc.md"
    # A stale generated block is an error, and --write repairs it.
    doc.write_text(DOC.replace("| `cell_dir` | `Path` |", "| `cell_dir` | `str` |"))
    assert checker.main(["--doc", str(doc)]) == 1
    assert "block 'hooks' is out of date" in capsys.readouterr().err
    assert checker.main(["--doc", str(doc), "--write"]) == 0
    assert doc.read_text() == DOC
    # A hand-written mention of a hook that does not exist is not something --write can fix.
    doc.write_text(DOC + "\nImplement `ganbench_cell_done(row)` to be told.\n")
    assert checker.main(["--doc", str(doc), "--write"]) == 1
    assert "ganbench_cell_done" in capsys.readouterr().err


def test_every_hook_and_argument_is_documented():
    """Read the hooks through pluggy itself, not through the checker."""
    pm = pluggy.PluginManager("ganbench")
    pm.add_hookspecs(hookspecs)
    names = [n for n in dir(pm.hook) if n.startswith("ganbench_")]
    assert "ganbench_register" in names
    for name in names:
        argnames = getattr(pm.hook, name).spec.argnames
        assert f"### `{name}({', '.join(argnames)})`" in DOC, name
        for arg in argnames:
            assert re.search(rf"^\| `{arg}` \|", DOC, re.M), f"argument {arg} of {name} has no row"
    documented = set(re.findall(r"^### `(ganbench_[a-z0-9_]+)\(", DOC, re.M))
    assert documented == set(names)


def test_every_registrar_method_is_documented_with_its_signature():
    methods = [n for n, m in inspect.getmembers(Registrar, inspect.isfunction) if n.startswith("add_")]
    assert {"add_generator", "add_discriminator", "add_loss", "add_dataset", "add_variant"} <= set(methods)
    for name in methods:
        signature = inspect.signature(getattr(Registrar, name))
        for param in list(signature.parameters)[1:]:
            assert param in DOC.split(f"### `registrar.{name}(", 1)[1].split("###", 1)[0], (name, param)
    documented = set(re.findall(r"^### `registrar\.(add_[a-z_]+)\(", DOC, re.M))
    assert documented == set(methods)


def test_training_options_table_lists_every_train_config_field():
    for field in dataclasses.fields(TrainConfig):
        assert f"| `{field.name}` |" in DOC, field.name


def _python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", DOC, re.M | re.S)


def test_public_api_names_in_the_document_exist():
    """Every ``from ganbench...`` import in the document's code is a public name of ganbench.plugin (or
    ``from ganbench import testing``), and every ``testing.X`` it uses is a public name of ganbench.testing."""
    imported: set[str] = set()
    for block in _python_blocks():
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ganbench"):
                if node.module == "ganbench":  # the other public module: the in-process test helpers
                    assert [alias.name for alias in node.names] == ["testing"]
                    continue
                assert node.module == "ganbench.plugin", node.module
                imported |= {alias.name for alias in node.names}
    assert {"hookimpl", "Registrar", "Recipe", "Variant"} <= imported
    assert imported <= set(ganbench.plugin.__all__), imported - set(ganbench.plugin.__all__)
    used = set(re.findall(r"(?<!torch\.)\btesting\.([A-Za-z_]+)", "\n".join(_python_blocks())))
    assert used and used <= set(testing.__all__), used - set(testing.__all__)


# -- drift is caught ---------------------------------------------------------------
def test_missing_hook_is_caught():
    section = DOC.split("### `ganbench_cell_finished", 1)[1].split("<!-- END GENERATED: hooks", 1)[0]
    drifted = DOC.replace("### `ganbench_cell_finished" + section, "")
    found = checker.problems(drifted)
    assert "hook ganbench_cell_finished is not documented" in found
    assert any("block 'hooks' is out of date" in p for p in found)


def test_phantom_hook_is_caught():
    found = checker.problems(DOC + "\n```python\n@hookimpl\ndef ganbench_before_step(step):\n    pass\n```\n")
    assert found == ["the document calls ganbench_before_step(...), which is not a hook in ganbench/hookspecs.py"]


def test_phantom_registrar_method_is_caught():
    found = checker.problems(DOC + "\nCall `registrar.add_sampler(name, fn)` to add a sampler.\n")
    assert found == ["the document calls .add_sampler(...), which is not a Registrar method"]


def test_new_hook_argument_is_caught(monkeypatch):
    real = checker.hook_specs()

    def ganbench_register(registrar, extra):
        """Register things."""

    specs = {**real, "ganbench_register": ganbench_register}
    monkeypatch.setattr(checker, "hook_specs", lambda: specs)
    found = checker.problems(DOC)
    assert "argument 'extra' of hook ganbench_register is not documented" in found


def test_new_hook_is_caught(monkeypatch):
    def ganbench_before_step(step: int) -> None:
        """Called before each step."""

    specs = {**checker.hook_specs(), "ganbench_before_step": ganbench_before_step}
    monkeypatch.setattr(checker, "hook_specs", lambda: specs)
    assert "hook ganbench_before_step is not documented" in checker.problems(DOC)


def test_changed_registrar_signature_is_caught(monkeypatch):
    def add_loss(self, name: str, factory: object, *, description: str, aliases: tuple = ()) -> None:
        """Register a loss."""

    methods = {**checker.registrar_methods(), "add_loss": add_loss}
    monkeypatch.setattr(checker, "registrar_methods", lambda: methods)
    found = checker.problems(DOC)
    assert any(p.startswith("Registrar.add_loss is documented as (") and "aliases=()" in p for p in found)


def test_rst_literal_blocks_become_fenced_code():
    text = checker.rst_to_markdown("""Title with ``code`` and :class:`ganbench.plugin.Registrar`.

    Example::

        x = 1
        if x:
            y = 2

    After.
    """)
    assert text == (
        "Title with `code` and `ganbench.plugin.Registrar`.\n\nExample:\n\n"
        "```python\nx = 1\nif x:\n    y = 2\n```\n\nAfter.\n"
    )


# -- the examples in the document work -----------------------------------------------
def _python_block_after(marker: str) -> str:
    rest = DOC.split(marker, 1)[1]
    return rest.split("```python\n", 1)[1].split("\n```", 1)[0]


def _register_source(source: str, name: str) -> PluginRegistry:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())  # the built-in plugins only: dcgan and mlp networks
    assert registry.add_plugin(module, PluginOrigin(name, f"doc-{name}", "0"))
    return registry


def _train_briefly(registry: PluginRegistry, variant: str) -> None:
    entry = registry.variant(variant)
    for spec in (DataSpec("pts", "points", (2,)), DataSpec("img", "image", (1, 16, 16))):
        models = build_models(registry, entry.variant.recipe_for(spec.kind), spec)
        batches = iter(lambda spec=spec: torch.randn(8, *spec.shape), None)
        result = train(models, batches, TrainConfig(steps=2, batch_size=8, log_every=1), torch.device("cpu"))
        assert result.status == "ok", (variant, spec.kind)


def test_minimal_plugin_example_registers_and_trains():
    registry = _register_source(_python_block_after("<!-- example: minimal-plugin -->"), "doc_minimal")
    assert "my-hinge" in registry.names("loss")
    _train_briefly(registry, "my-hinge-dcgan")


def test_hookspec_docstring_example_registers_and_trains():
    registry = _register_source(_python_block_after("### `ganbench_register("), "doc_hookspec")
    assert "my-hinge" in registry.names("loss")
    _train_briefly(registry, "my-hinge-dcgan")


def test_checker_runs_as_a_script_from_anywhere(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "check_hook_docs.py")], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


# -- the evaluation-seam examples work (metric, feature extractor) ------------------------
def _ring8(tmp_path):
    from ganbench.builtins.toydata.mixtures import RING8, make_mixture, sample_mixture
    from ganbench.data.base import DatasetOptions

    dataset = make_mixture(RING8)(DatasetOptions(root=tmp_path))
    return dataset, sample_mixture(RING8, 400, torch.Generator().manual_seed(7))[0]


def test_metric_example_registers_a_column_and_scores(tmp_path):
    from scipy.spatial import cKDTree

    from ganbench import columns
    from ganbench.metrics.cache import DEFAULT_N_REAL, select_real
    from ganbench.metrics.evaluate import evaluate_metrics

    registry = _register_source(_python_block_after("<!-- example: metric -->"), "doc_metric")
    assert columns.direction("nn_real_distance") == "lower"
    dataset, fake = _ring8(tmp_path)
    row = evaluate_metrics(
        fake, dataset, device="cpu", cache_dir=tmp_path, metrics=["nn-real-distance"], registry=registry
    )
    split = dataset.spec.fid_split
    real = dataset.tensors(split)[0][select_real(dataset, split, DEFAULT_N_REAL)][:2000].double().numpy()
    assert row["nn_real_distance"] == pytest.approx(cKDTree(real).query(fake.double().numpy())[0].mean(), rel=1e-9)


def test_extractor_example_gives_fid_on_its_features(tmp_path):
    import numpy as np
    from scipy import linalg

    from ganbench.builtins.toydata.digits import make_digits
    from ganbench.data.base import DatasetOptions
    from ganbench.metrics.cache import DEFAULT_N_REAL, select_real
    from ganbench.metrics.evaluate import evaluate_metrics
    from ganbench.metrics.features import get_extractor

    registry = _register_source(_python_block_after("<!-- example: extractor -->"), "doc_extractor")
    dataset = make_digits(DatasetOptions(root=tmp_path))  # 256 values per image: full-rank 32-D features
    fake = dataset.tensors("train")[0][:500] + 0.1 * torch.randn(
        500, 1, 16, 16, generator=torch.Generator().manual_seed(1)
    )
    row = evaluate_metrics(
        fake, dataset, device="cpu", cache_dir=tmp_path, metrics=["fid"], extractor="my-projection", registry=registry
    )
    assert (row["fid_extractor"], row["fid_layer"]) == ("my-projection", "proj32")
    fx = get_extractor("my-projection", registry=registry)
    split = dataset.spec.fid_split
    real = fx(dataset.tensors(split)[0][select_real(dataset, split, DEFAULT_N_REAL)]).double().numpy()
    gen = fx(fake).double().numpy()
    mu1, mu2, s1, s2 = gen.mean(0), real.mean(0), np.cov(gen, rowvar=False), np.cov(real, rowvar=False)
    expected = float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real))
    assert row["fid"] == pytest.approx(expected, rel=1e-3, abs=1e-6)
    weights = tmp_path / "w.pt"
    torch.save({"w": torch.ones(256, 32)}, weights)
    loaded = get_extractor("my-projection", options={"weights": str(weights)}, registry=registry)
    assert loaded.weights_hash != fx.weights_hash
    torch.testing.assert_close(loaded(fake), (fake.flatten(1).sum(1, keepdim=True) / 16).expand(-1, 32))
    # the Inception weights never reach it (it does not ask for them): no crash, the seeded projection
    inception = get_extractor("my-projection", inception_weights=tmp_path / "inception.pt", registry=registry)
    torch.testing.assert_close(inception(fake), fx(fake))
    wide = get_extractor("my-projection", options={"dim": 8, "seed": 3}, registry=registry)
    assert wide(fake).shape == (500, 8) and wide.layer == "proj8" and wide.options == {"dim": 8, "seed": 3}
    # the run's options reach the extractor and are recorded; the real features are cached per options
    row8 = evaluate_metrics(
        fake, dataset, device="cpu", cache_dir=tmp_path, metrics=["fid"], extractor="my-projection", registry=registry,
        extractor_options={"dim": 8, "seed": 3},
    )  # fmt: skip
    assert (row8["fid_layer"], row8["fid_extractor_options"]) == ("proj8", '{"dim": 8, "seed": 3}')
    assert row8["real_stats_key"] != row["real_stats_key"] and "fid_extractor_options" not in row
    assert "rank" not in (row["fid_note"] or "")  # 256 values per image: full-rank 32-D features


def test_rank_deficient_features_are_noted_once(tmp_path):
    """2-D points projected to 32-D: finite FID, KID and PRDC, and one note in fid_note saying the rank."""
    from ganbench.metrics.evaluate import evaluate_metrics

    registry = _register_source(_python_block_after("<!-- example: extractor -->"), "doc_extractor_rank")
    dataset, fake = _ring8(tmp_path)
    row = evaluate_metrics(
        fake, dataset, device="cpu", cache_dir=tmp_path, metrics=["fid", "prdc"], extractor="my-projection",
        registry=registry,
    )  # fmt: skip
    assert all(np.isfinite(row[k]) for k in ("fid", "kid_mean", "precision", "recall"))
    assert row["fid_note"].count("rank") == 1 and "rank 2 < dimension 32" in row["fid_note"]
    raw = evaluate_metrics(fake, dataset, device="cpu", cache_dir=tmp_path, metrics=["fid", "prdc"], registry=registry)
    assert "rank" not in (raw["fid_note"] or "")


# -- the training-seam and label examples work ------------------------------------------------
def test_optimizer_schedule_example_registers_chooses_and_trains():
    from ganbench.engine.optim import make_optimizers, make_schedules

    registry = _register_source(_python_block_after("<!-- example: optimizer-schedule -->"), "doc_optim")
    assert "my-adamax" in registry.names("optimizer") and "my-warmup" in registry.names("schedule")
    _train_briefly(registry, "my-adamax-dcgan")
    spec = DataSpec("pts", "points", (2,))
    recipe = registry.variant("my-adamax-dcgan").variant.recipe_for("points")
    cfg = TrainConfig().with_overrides(dict(recipe.train_options))
    optimizers = make_optimizers(build_models(registry, recipe, spec), cfg, registry)
    schedules = make_schedules(optimizers, cfg, registry)
    assert all(type(o) is torch.optim.Adamax for o in optimizers)
    assert optimizers[0].param_groups[0]["lr"] == 1e-3 / 100  # the warm-up's first step
    for _ in range(99):
        optimizers[0].step()  # no gradients: nothing moves, but the scheduler sees the usual order
        schedules[0].step()
    assert optimizers[0].param_groups[0]["lr"] == 1e-3


def test_training_step_example_adds_the_r1_penalty_on_its_steps():
    from ganbench.engine.optim import make_training_step

    registry = _register_source(_python_block_after("<!-- example: training-step -->"), "doc_step")
    assert "my-lazy-r1" in registry.names("training_step")
    _train_briefly(registry, "my-r1-gan")
    spec = DataSpec("pts", "points", (2,))
    real = torch.randn(8, 2)

    def first_d_update(training_step: str) -> torch.Tensor:
        torch.manual_seed(0)
        models = build_models(registry, registry.variant("my-r1-gan").variant.recipe_for("points"), spec)
        cfg = TrainConfig(steps=1, batch_size=8, log_every=1, training_step=training_step)
        train(models, iter([real]), cfg, torch.device("cpu"), training_step=make_training_step(cfg, registry))
        return next(iter(models.discriminator.parameters())).detach().clone()

    with_r1, without = first_d_update("my-lazy-r1"), first_d_update("alternating")
    assert not torch.equal(with_r1, without)  # step 0 is a penalised step (0 % every == 0)


def test_conditional_example_trains_on_a_labelled_mixture():
    from ganbench.data.base import DatasetOptions
    from ganbench.data.loaders import batch_stream

    registry = _register_source(_python_block_after("<!-- example: conditional -->"), "doc_cgan")
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=REPO))
    recipe = registry.variant("my-cgan").variant.recipe_for("points")
    models = build_models(registry, recipe, data.spec)
    assert models.generator.conditional and models.discriminator.conditional and models.loss.conditional
    batches = batch_stream(data, "train", batch_size=32, device=torch.device("cpu"), seed=0)
    result = train(models, batches, TrainConfig(steps=3, batch_size=32, log_every=1), torch.device("cpu"))
    assert result.status == "ok"
    unlabelled = dataclasses.replace(data.spec, num_classes=None)
    with pytest.raises(IncompatibleError, match="has no labels; conditional components need them"):
        build_models(registry, recipe, unlabelled)
