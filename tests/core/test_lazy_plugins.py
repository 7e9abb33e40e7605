"""Plugins register without importing torch: ``lazy`` factories, and torch-fidelity only when needed."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import types

import pytest

from ganbench import registry as registry_module
from ganbench.errors import PluginError
from ganbench.lazy import LazyFactory, lazy, resolve
from ganbench.registrar import ExtractorEntry, PluginOrigin


def test_a_lazy_factory_imports_its_module_on_the_first_call(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("lazy_probe_module")

    def make(ctx: object, *, width: int = 3) -> tuple[object, int]:
        """Build one."""
        return ctx, width

    module.make = make  # type: ignore[attr-defined]
    factory = lazy("lazy_probe_module:make")
    assert isinstance(factory, LazyFactory) and callable(factory)
    assert repr(factory) == "lazy('lazy_probe_module:make')"
    monkeypatch.setitem(sys.modules, "lazy_probe_module", module)
    assert factory("c", width=5) == ("c", 5)
    assert str(inspect.signature(factory)) == str(inspect.signature(make))  # plugins --components reads it
    assert resolve(factory) is make and resolve(make) is make


def test_a_lazy_target_is_checked_when_made_and_named_when_it_fails():
    for bad in ("no_colon", "a.b:", ":x", "a b:c", 3):
        with pytest.raises(ValueError, match=r"package\.module:attribute"):
            lazy(bad)  # type: ignore[arg-type]
    with pytest.raises(ImportError, match=r"cannot load ganbench_no_such_module\.x:f"):
        lazy("ganbench_no_such_module.x:f")()
    with pytest.raises(ImportError, match=r"cannot load ganbench\.lazy:missing"):
        lazy("ganbench.lazy:missing")()


def test_a_lazy_torch_fidelity_class_is_checked_when_published(monkeypatch: pytest.MonkeyPatch):
    origin = PluginOrigin("p", "dist-p", "1.0")
    entry = ExtractorEntry("x", lambda **k: None, "d", frozenset({"image"}), lazy("builtins:dict"), origin)
    monkeypatch.setattr(registry_module, "_TORCH_FIDELITY_PENDING", [entry])
    with pytest.raises(PluginError, match=r"plugin 'p'.*extractor 'x'.*FeatureExtractorBase"):
        registry_module.publish_to_torch_fidelity()


PROBE = """
import json, sys
from ganbench.registry import get_registry, publish_to_torch_fidelity
registry = get_registry()
loaded = {m: m in sys.modules for m in ("torch", "torch_fidelity", "torchvision", "sklearn", "scipy")}
kinds = {kind: registry.names(kind) for kind in registry.kinds}
factory = registry.component("generator", "dcgan").factory
publish_to_torch_fidelity()
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
print(json.dumps({
    "loaded": loaded, "problems": [str(p) for p in registry.problems], "kinds": kinds,
    "lazy": type(factory).__name__, "after_build": "torch" in sys.modules,
    "digits_in_torch_fidelity": "ganbench-digits" in FEATURE_EXTRACTORS_REGISTRY,
}))
"""


def test_loading_every_builtin_plugin_imports_no_torch():
    """A fresh interpreter: only a new process shows what loading the plugins imports."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["problems"] == []
    assert found["loaded"] == {"torch": False, "torch_fidelity": False, "torchvision": False, "sklearn": False,
                               "scipy": False}  # fmt: skip
    assert "dcgan" in found["kinds"]["variant"] and "ring8" in found["kinds"]["dataset"]
    assert {"fid", "prdc", "ndb", "modes"} <= set(found["kinds"]["metric"])
    assert found["lazy"] == "LazyFactory" and found["after_build"]  # publishing imported what it needed
    assert found["digits_in_torch_fidelity"]
