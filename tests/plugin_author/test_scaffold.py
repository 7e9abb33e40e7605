"""``ganbench new-plugin``: name validation, no overwriting, and a package that works as generated.

The end-to-end test installs the generated package with pip into a private
site dir and runs the package's own tests, which load it through its entry
point and train its variant with ``ganbench run``.
"""

from __future__ import annotations

import glob
import importlib
import py_compile
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganbench.cli import main as ganbench_main
from ganbench.data.base import DatasetOptions, DataSpec
from ganbench.engine.build import build_models
from ganbench.engine.config import TrainConfig
from ganbench.engine.trainer import train
from ganbench.errors import UserError
from ganbench.registrar import PluginOrigin
from ganbench.registry import API_VERSION, PluginRegistry
from ganbench.scaffold import (
    EXTRAS,
    EXTRAS_DIR,
    MAX_NAME_LENGTH,
    TEMPLATES,
    DestinationExistsError,
    InvalidPluginNameError,
    generate,
    plugin_names,
)
from tests.plugin_author.helpers import REPO, pip_install, subprocess_env


def load_toml(path: Path) -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads(path.read_text())


EXPECTED_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/{module}/__init__.py",
    "src/{module}/components.py",
    "src/{module}/data.py",
    "tests/test_plugin.py",
}


@pytest.mark.parametrize(
    "name",
    ["My-Gan", "1gan", "my--gan", "my gan", "-gan", "gan-", "my.gan", "mygan!", "", "a" * 41, "ganbench", "class",
     "tests", "torch", "numpy", "dcgan", "mlp", "infogan"],
)  # fmt: skip
def test_bad_names_are_one_line_user_errors(name, tmp_path):
    with pytest.raises(InvalidPluginNameError) as info:
        generate(name, tmp_path)
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert "\n" not in message and repr(name) in message
    assert not any(tmp_path.iterdir()), "nothing may be written for a bad name"


@pytest.mark.parametrize(("name", "module"), [("my-gan", "my_gan"), ("gan2", "gan2"), ("wasser_gan", "wasser_gan")])
def test_names_map_to_a_module(name, module):
    assert plugin_names(name).module == module


def test_refuses_to_overwrite(tmp_path):
    first = generate("gb-scaffold-twice", tmp_path)
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    with pytest.raises(DestinationExistsError, match="already exists"):
        generate("gb-scaffold-twice", tmp_path)
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    (tmp_path / "gb-scaffold-empty").mkdir()
    with pytest.raises(DestinationExistsError, match="already exists"):
        generate("gb-scaffold-empty", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gb-scaffold-empty", "gb-scaffold-twice"]  # no staging left


def test_dest_must_be_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DestinationExistsError, match="not a directory"):
        generate("gb-scaffold-dest", tmp_path / "file")


def test_generated_package_layout(tmp_path):
    path = generate("gb-scaffold-layout", tmp_path / "new" / "dir")  # --dest is created when missing
    assert path == tmp_path / "new" / "dir" / "gb-scaffold-layout"
    files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    assert files == {f.format(module="gb_scaffold_layout") for f in EXPECTED_FILES}
    pyproject = load_toml(path / "pyproject.toml")
    assert pyproject["project"]["name"] == "gb-scaffold-layout"
    assert pyproject["project"]["entry-points"]["ganbench"] == {"gb_scaffold_layout": "gb_scaffold_layout"}
    assert any(dep.startswith("ganbench") for dep in pyproject["project"]["dependencies"])
    init = (path / "src/gb_scaffold_layout/__init__.py").read_text()
    assert f"GANBENCH_API_VERSION = {API_VERSION}\n" in init
    for relative in sorted(files):
        text = (path / relative).read_text()
        assert "${" not in text and "$name" not in text, f"unrendered placeholder in {relative}"
        if relative.endswith(".py"):
            py_compile.compile(str(path / relative), cfile=str(tmp_path / "compiled.pyc"), doraise=True)


@pytest.mark.parametrize("extras", [(), tuple(EXTRAS)], ids=["plain", "with-all"])
def test_generated_package_is_ruff_clean(tmp_path, extras):
    pytest.importorskip("ruff")
    name = "gb-scaffold-lint-with-the-longest-name-ok"[:MAX_NAME_LENGTH]  # long names must not break line lengths
    path = generate(name, tmp_path, extras=extras, prefix="p" * MAX_NAME_LENGTH if extras else None)
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_with_extras_and_a_prefix(tmp_path):
    """--with adds one module and one test file per seam; --prefix names every registered component."""
    path = generate("gb-scaffold-extras", tmp_path, extras=("training-step", "metric"), prefix="gbx")
    files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    expected = {f.format(module="gb_scaffold_extras") for f in EXPECTED_FILES}
    added = {"src/gb_scaffold_extras/metric.py", "tests/test_metric.py"}
    added |= {"src/gb_scaffold_extras/training_step.py", "tests/test_training_step.py"}
    assert files == expected | added
    init = (path / "src/gb_scaffold_extras/__init__.py").read_text()
    assert "from gb_scaffold_extras import metric, training_step\n" in init
    assert init.endswith("    metric.register(registrar)\n    training_step.register(registrar)\n")
    assert 'NAME = "gbx"' in (path / "src/gb_scaffold_extras/components.py").read_text()
    readme = (path / "README.md").read_text()
    assert "| metric | `gbx-mean-shift` |" in readme and "--plugins gbx --dataset gbx-hexagon" in readme
    for relative in sorted(files):
        text = (path / relative).read_text()
        assert "${" not in text, f"unrendered placeholder in {relative}"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--with", "metric,nope"], "--with: unknown seam 'nope'; valid choices: metric, extractor, optimizer"),
        (["--prefix", "Bad"], "invalid --prefix 'Bad'"),
        (["--prefix", "dcgan"], "invalid --prefix 'dcgan': installed plugins already register generator 'dcgan'"),
    ],
)
def test_bad_extras_and_prefixes_are_one_line_errors(tmp_path, capsys, args, needle):
    assert run_cli("new-plugin", "gb-scaffold-bad", "--dest", str(tmp_path), *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not any(tmp_path.iterdir())


def test_generated_plugin_registers_and_trains_in_process(tmp_path, monkeypatch):
    """Every registration is valid and every recipe builds and trains through ganbench's registry and engine."""
    path = generate("gb-scaffold-inproc", tmp_path, extras=tuple(EXTRAS))
    monkeypatch.syspath_prepend(str(path / "src"))
    try:
        module = importlib.import_module("gb_scaffold_inproc")
        registry = PluginRegistry(strict=True)
        assert registry.add_plugin(module, PluginOrigin("gb_scaffold_inproc", "gb-scaffold-inproc", "0.1.0"))
        [info] = [p for p in registry.plugins if p.origin.distribution == "gb-scaffold-inproc"]
        expected = {f"{k}:gb-scaffold-inproc" for k in ("generator", "discriminator", "loss", "variant")}
        expected |= {extra.component.format(prefix="gb-scaffold-inproc") for extra in EXTRAS.values()}
        assert set(info.registered) == expected | {"dataset:gb-scaffold-inproc-hexagon"}

        entry, _ = registry.dataset("gb-scaffold-inproc-hexagon")
        dataset = entry.factory(DatasetOptions(root=tmp_path))
        variant = registry.variant("gb-scaffold-inproc").variant
        image = DataSpec(name="img", kind="image", shape=(1, 16, 16))
        for spec in (dataset.spec, image):
            models = build_models(registry, variant.recipe_for(spec.kind), spec)
            cfg = TrainConfig(steps=3, batch_size=8, log_every=1)
            batches = iter(lambda spec=spec: torch.randn(8, *spec.shape), None)
            result = train(models, batches, cfg, torch.device("cpu"))
            assert result.status == "ok" and result.steps_done == 3
    finally:
        for name in [m for m in sys.modules if m.startswith("gb_scaffold_inproc")]:
            del sys.modules[name]


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        ganbench_main(list(args))
    return int(info.value.code or 0)


def test_cli_new_plugin(tmp_path, capsys):
    assert run_cli("new-plugin", "gb-scaffold-cli", "--dest", str(tmp_path)) == 0
    assert (tmp_path / "gb-scaffold-cli" / "pyproject.toml").is_file()
    assert str(tmp_path / "gb-scaffold-cli") in capsys.readouterr().out

    assert run_cli("new-plugin", "gb-scaffold-cli", "--dest", str(tmp_path)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0]

    assert run_cli("new-plugin", "Bad_Name", "--dest", str(tmp_path)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'Bad_Name'" in err[0]


@pytest.mark.slow
def test_generated_package_tests_pass_once_installed(tmp_path):
    """new-plugin --with all -> pip install -> the package's own tests (every seam's, in-process through
    ganbench.testing, then `ganbench plugins` and `ganbench run` in subprocesses): one install, one pytest run."""
    args = ("--dest", str(tmp_path / "src"), "--with", "all", "--prefix", "gbe")
    assert run_cli("new-plugin", "gb-scaffold-e2e", *args) == 0
    package = tmp_path / "src" / "gb-scaffold-e2e"
    site = pip_install(package, site=tmp_path / "site", workdir=tmp_path)
    assert (site / "gb_scaffold_e2e" / "__init__.py").is_file()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, cwd=package, env=subprocess_env(site), timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b20 passed\b", result.stdout), result.stdout[-2000:]  # 8 of the base package, 12 of the seams


def test_templates_are_shipped_as_package_data():
    """A non-editable install must carry the templates: pyproject's package-data has to cover every one."""
    config = load_toml(REPO / "pyproject.toml")
    package_data = config.get("tool", {}).get("setuptools", {}).get("package-data", {})
    patterns = [*package_data.get("ganbench.scaffold", []), *package_data.get("*", [])]
    package_dir = TEMPLATES.parent
    shipped = {Path(p) for pattern in patterns for p in glob.glob(str(package_dir / pattern), recursive=True)}
    templates = {
        p for root in (TEMPLATES, EXTRAS_DIR) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    assert templates and templates <= shipped, sorted(str(p.relative_to(package_dir)) for p in templates - shipped)
