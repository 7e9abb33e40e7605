"""The plugin registry: entry-point discovery, isolation of broken plugins, validation, filtering."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ganbench.components import Recipe, Variant
from ganbench.errors import PluginError, UnknownNameError
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry, allowed_distributions, get_registry
from tests.distributions import make_distribution

GOOD_PLUGIN = """
from torch import nn
from ganbench.plugin import hookimpl, Recipe, Variant

def make_loss(ctx, **options):
    return nn.Identity()

@hookimpl
def ganbench_register(registrar):
    registrar.add_loss("fixture-loss", make_loss, description="a fixture loss")
    registrar.add_variant(Variant("fixture-variant", "fixture", {"points": Recipe("mlp", "mlp", "fixture-loss")}))
"""
BROKEN_IMPORT = "raise RuntimeError('boom at import')\n"
MISSPELLED_HOOK = """
from ganbench.plugin import hookimpl

@hookimpl
def ganbench_regster(registrar):
    pass
"""
INVALID_REGISTRATION = """
from ganbench.plugin import hookimpl

@hookimpl
def ganbench_register(registrar):
    registrar.add_generator("bad-gen", 42, description="not callable")
"""


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("gbfixture_")]:
        del sys.modules[name]


def origin(name: str = "p") -> PluginOrigin:
    return PluginOrigin(name, f"dist-{name}", "1.0")


def test_builtins_load_through_entry_points():
    registry = get_registry(strict=True)
    distributions = {info.origin.distribution for info in registry.plugins}
    assert "ganbench" in distributions
    assert {"dcgan", "minibatch", "infogan"} <= set(registry.names("variant"))
    assert {"ring8", "grid25", "digits", "stacked-digits"} <= set(registry.names("dataset"))


def test_third_party_distribution_is_discovered(site, monkeypatch):
    monkeypatch.delenv("GANBENCH_LOAD_PLUGINS", raising=False)
    make_distribution(site, "gb-fixture-good", "gbfixture_good", GOOD_PLUGIN)
    registry = PluginRegistry(strict=True)
    registry.load_entry_points()
    assert "fixture-loss" in registry.names("loss")
    entry = registry.component("loss", "fixture-loss")
    assert entry.origin.distribution == "gb-fixture-good"
    assert entry.origin.version == "1.0"


def test_broken_plugin_is_isolated_and_reported(site):
    make_distribution(site, "gb-fixture-broken", "gbfixture_broken", BROKEN_IMPORT)
    make_distribution(site, "gb-fixture-good", "gbfixture_good", GOOD_PLUGIN)
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "fixture-loss" in registry.names("loss")  # the good one still loads
    [problem] = registry.problems
    assert problem.origin.distribution == "gb-fixture-broken"
    assert "boom at import" in str(problem) and "\n" not in str(problem)


def test_strict_makes_a_broken_plugin_fatal(site):
    make_distribution(site, "gb-fixture-broken", "gbfixture_broken", BROKEN_IMPORT)
    registry = PluginRegistry(strict=True)
    with pytest.raises(PluginError, match="gb-fixture-broken"):
        registry.load_entry_points()


def test_misspelled_hook_is_an_error(site):
    make_distribution(site, "gb-fixture-typo", "gbfixture_typo", MISSPELLED_HOOK)
    registry = PluginRegistry()
    registry.load_entry_points()
    [problem] = registry.problems
    assert "ganbench_regster" in problem.error
    assert "gb-fixture-typo" in str(problem)


def test_invalid_registration_names_the_plugin_and_commits_nothing(site):
    make_distribution(site, "gb-fixture-invalid", "gbfixture_invalid", INVALID_REGISTRATION)
    registry = PluginRegistry()
    registry.load_entry_points()
    [problem] = registry.problems
    assert "gb-fixture-invalid" in str(problem) and "must be callable" in problem.error
    assert "bad-gen" not in registry.names("generator")


def test_duplicate_names_are_rejected_with_both_origins():
    registry = PluginRegistry()

    class First:
        @staticmethod
        def ganbench_register(registrar):
            registrar.add_loss("same", lambda ctx: None, description="first")

    class Second:
        @staticmethod
        def ganbench_register(registrar):
            registrar.add_loss("same", lambda ctx: None, description="second")

    from ganbench.plugin import hookimpl

    First.ganbench_register = hookimpl(First.ganbench_register)
    Second.ganbench_register = hookimpl(Second.ganbench_register)
    assert registry.add_plugin(First, origin("a"))
    assert not registry.add_plugin(Second, origin("b"))
    [problem] = registry.problems
    assert "duplicate loss name 'same'" in problem.error and "dist-a" in problem.error


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.add_generator("Bad Name", lambda ctx: None, description="x"), "invalid"),
        (lambda r: r.add_generator("g", lambda ctx: None, description=""), "missing its description"),
        (lambda r: r.add_generator("g", lambda ctx: None, description="x", data_kinds=("audio",)), "data_kinds"),
        (lambda r: r.add_variant("not-a-variant"), "expects a ganbench.plugin.Variant"),
        (lambda r: r.add_variant(Variant("v", "d", {"image": "dcgan"})), "must be a ganbench.plugin.Recipe"),
        (lambda r: r.add_dataset("d", lambda o: None, description="x", kind="image", shape=(0, 1)), "shape"),
    ],
)
def test_registrar_validation(call, message):
    from ganbench.registrar import Registrar

    registrar = Registrar(origin=origin("v"))
    with pytest.raises(PluginError, match=message) as info:
        call(registrar)
    assert "dist-v" in str(info.value)


def test_incompatible_api_version_is_refused():
    class Old:
        GANBENCH_API_VERSION = 0

    registry = PluginRegistry()
    assert not registry.add_plugin(Old, origin("old"))
    assert "API version 0" in registry.problems[0].error


def test_load_plugins_env_filters_third_party(site, monkeypatch):
    make_distribution(site, "gb-fixture-good", "gbfixture_good", GOOD_PLUGIN)
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "")
    only_builtins = get_registry(refresh=True)
    assert "fixture-loss" not in only_builtins.names("loss")
    assert "dcgan" in only_builtins.names("variant")
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "gb_fixture_good")
    assert "fixture-loss" in get_registry(refresh=True).names("loss")
    monkeypatch.delenv("GANBENCH_LOAD_PLUGINS")
    assert "fixture-loss" in get_registry(refresh=True).names("loss")


def test_allowed_distributions_parsing():
    assert allowed_distributions({}) is None
    assert allowed_distributions({"GANBENCH_LOAD_PLUGINS": ""}) == set()
    assert allowed_distributions({"GANBENCH_LOAD_PLUGINS": "A_b, c.d"}) == {"a-b", "c-d"}


def test_unknown_names_list_the_choices():
    registry = get_registry()
    with pytest.raises(UnknownNameError, match=r"unknown variant .nope.; valid choices: .*dcgan"):
        registry.variant("nope")
    with pytest.raises(UnknownNameError, match="folder:PATH"):
        registry.dataset("nope")


def test_recipe_of_variant_is_typed():
    variant = Variant("x", "y", {"image": Recipe("dcgan", "dcgan", "nonsaturating")})
    assert variant.recipe_for("points") is None
