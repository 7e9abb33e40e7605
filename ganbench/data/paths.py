"""Where downloadable datasets live.

ganbench follows torch's cache convention so a dataset torchvision has already
downloaded for another project is found, not fetched again: the default root is
``$TORCH_HOME/datasets``, where ``TORCH_HOME`` defaults to
``$XDG_CACHE_HOME/torch`` and that to ``~/.cache/torch`` (the same rule as
``torch.hub.get_dir()``, which uses ``$TORCH_HOME/hub``). Inside the root each
dataset uses torchvision's own layout (``MNIST/raw``, ``cifar-10-batches-py``,
``celeba``), so the root can be handed to ``torchvision.datasets.*`` directly.

Precedence: ``--data-root`` on the command line, then ``GANBENCH_DATA``, then
the default. This module imports nothing heavy: the CLI calls it on start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DATA_ENV = "GANBENCH_DATA"
"""Environment variable naming the data root when ``--data-root`` is not given."""


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def torch_home(env: Mapping[str, str] | None = None) -> Path:
    """torch's cache directory, computed as ``torch.hub._get_torch_home`` does (without importing torch)."""
    values = _env(env)
    home = values.get("TORCH_HOME") or os.path.join(values.get("XDG_CACHE_HOME") or "~/.cache", "torch")
    return Path(os.path.expanduser(home))


def default_data_root(env: Mapping[str, str] | None = None) -> Path:
    """``$TORCH_HOME/datasets`` (usually ``~/.cache/torch/datasets``)."""
    return torch_home(env) / "datasets"


def resolve_data_root(cli_value: Path | str | None, env: Mapping[str, str] | None = None) -> Path:
    """The data root to use: the CLI value, else ``$GANBENCH_DATA``, else :func:`default_data_root`.

    Returned absolute (``~`` expanded) so error messages name an exact directory.
    An empty string counts as unset, as for most environment variables.
    """
    chosen: Path | str | None = cli_value if cli_value not in (None, "") else _env(env).get(DATA_ENV) or None
    root = Path(chosen) if chosen is not None else default_data_root(env)
    return Path(os.path.abspath(root.expanduser()))
