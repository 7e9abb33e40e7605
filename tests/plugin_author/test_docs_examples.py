"""Every Python block of docs/writing-plugins.md runs, and is checked: examples cannot rot.

Each block is executed on its own (fragments see ``torch``, ``F``, ``nn`` and the names of
``ganbench.plugin``, as the prose around them assumes). Then every check below whose trigger
the block defines is applied: a ``ganbench_register`` hook must register cleanly in a strict
registry, ``test_*`` functions are called, and the fragments are run against the engine
(``ganbench.testing``). A block that no check applies to fails, so a new example comes with a
check. (The longer examples are also trained end to end in ``test_docs_hooks.py``.)
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import ganbench.plugin
from ganbench import testing
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry
from tests.plugin_author.helpers import REPO

DOC = (REPO / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", DOC, re.M | re.S)
PUBLIC = {name: getattr(ganbench.plugin, name) for name in ganbench.plugin.__all__}
PRELUDE = {"torch": torch, "F": F, "nn": nn, **PUBLIC}


def _run_block(source: str, index: int) -> types.ModuleType:
    module = types.ModuleType(f"doc_block_{index}")
    module.__dict__.update(PRELUDE)
    exec(compile(source, f"<writing-plugins.md block {index}>", "exec"), module.__dict__)
    return module


def check_registers(module: types.ModuleType, tmp_path: Path) -> None:
    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())  # the built-in plugins, which the examples build on
    assert registry.add_plugin(module, PluginOrigin(module.__name__, f"doc-{module.__name__}", "0"))
    assert not registry.problems


def check_tests(module: types.ModuleType, tmp_path: Path) -> None:
    tests = [fn for name, fn in vars(module).items() if name.startswith("test_") and callable(fn)]
    assert tests
    for fn in tests:
        fn(*([tmp_path] if "tmp_path" in inspect.signature(fn).parameters else []))


def check_training_step_listing(module: types.ModuleType, tmp_path: Path) -> None:
    """The listing of the built-in step computes exactly what ganbench's does."""

    def trained(step: object) -> list[torch.Tensor]:
        torch.manual_seed(0)
        models = testing.tiny_models()
        torch.manual_seed(1)
        testing.run_training_step(step, testing.step_context(models, d_steps=2), steps=2)  # type: ignore[arg-type]
        return [p.detach() for p in [*models.generator.parameters(), *models.discriminator.parameters()]]

    listed, real = trained(module.TrainingStep()), trained(ganbench.plugin.TrainingStep())
    assert all(torch.equal(a, b) for a, b in zip(listed, real, strict=True))


def check_generator_loss_fragment(module: types.ModuleType, tmp_path: Path) -> None:
    """A ``generator_loss`` method shown alone: the engine passes it what it names (``real=``) and it trains."""
    base = testing.tiny_models().loss
    loss_type = type("DocLoss", (type(base),), {"generator_loss": module.generator_loss})
    models = testing.tiny_models(loss=lambda ctx: loss_type())
    [(_, g_out)] = testing.run_training_step(ganbench.plugin.TrainingStep(), testing.step_context(models))
    assert torch.isfinite(g_out.total)


def check_packed(module: types.ModuleType, tmp_path: Path) -> None:
    """The packing wrapper scores N / m packs of m samples."""
    discriminator = module.packed(testing.build_context(), m=2)
    assert discriminator(torch.randn(8, 2)).shape == (4,)


def check_cell_finished(module: types.ModuleType, tmp_path: Path) -> None:
    module.ganbench_cell_finished(row={"variant": "dcgan", "dataset": "ring8", "status": "ok"}, cell_dir=tmp_path)


CHECKS: dict[str, Callable[[types.ModuleType, Path], None]] = {
    "ganbench_register": check_registers,
    "test_": check_tests,
    "TrainingStep": check_training_step_listing,
    "generator_loss": check_generator_loss_fragment,
    "packed": check_packed,
    "ganbench_cell_finished": check_cell_finished,
}
"""A name the block defines -> the check it gets (``test_`` matches any test function)."""


def _defines(module: types.ModuleType, trigger: str) -> bool:
    own = {k for k, v in vars(module).items() if PRELUDE.get(k) is not v and not k.startswith("__")}
    return any(name.startswith(trigger) for name in own) if trigger.endswith("_") else trigger in own


def _block_id(index: int) -> str:
    first = BLOCKS[index].strip().splitlines()[0]
    return f"{index}:" + re.sub(r"[^a-z0-9]+", "-", first.lower()).strip("-")[:40]


def test_the_page_has_examples_of_every_seam_and_test_kind():
    assert len(BLOCKS) >= 15
    for marker in ("test-loss", "test-metric", "test-extractor", "test-schedule", "test-training-step"):
        assert f"<!-- example: {marker} -->\n```python" in DOC, marker


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=_block_id)
def test_every_python_block_runs_and_is_checked(index, tmp_path):
    module = _run_block(BLOCKS[index], index)
    applied = [check for trigger, check in CHECKS.items() if _defines(module, trigger)]
    assert applied, f"block {index} defines nothing a check knows; add a check to CHECKS in {Path(__file__).name}"
    for check in applied:
        check(module, tmp_path)


def test_every_constructor_argument_of_the_public_api_is_documented():
    """Each field of every dataclass in ganbench.plugin (what a plugin author constructs or receives) is named
    in a code span or block of the page (the Registrar is built by ganbench: its methods are checked elsewhere)."""
    import dataclasses

    fenced = re.findall(r"```[a-z]*\n(.*?)```", DOC, re.S)
    prose = re.sub(r"```[a-z]*\n.*?```", "", DOC, flags=re.S)
    code = "\n".join([*fenced, *re.findall(r"`([^`]+)`", prose)])
    for name in ganbench.plugin.__all__:
        obj = getattr(ganbench.plugin, name)
        if not (inspect.isclass(obj) and dataclasses.is_dataclass(obj)) or name == "Registrar":
            continue
        for field in dataclasses.fields(obj):
            if field.init and not field.name.startswith("_"):
                assert re.search(rf"\b{field.name}\b", code), f"{name}.{field.name} is not documented"
    helpers = inspect.getsource(testing)
    for name in testing.__all__:
        assert f"`{name}" in DOC or name in ("IMAGES", "POINTS", "with_shape"), name
        assert name in helpers
