"""Locating torch-fidelity's InceptionV3 weights, and failing clearly when they are absent.

FID numbers are only comparable with the literature under the exact
TF-ported InceptionV3 that torch-fidelity ships (``inception-v3-compat``,
pool3, 2048-D). Its weights are one file; this module finds it in the order

1. an explicit path (``--inception-weights PATH``),
2. the ``GANBENCH_INCEPTION_WEIGHTS`` environment variable,
3. torch-fidelity's own cache (the torch hub checkpoints directory), where
   ``torch.hub.load_state_dict_from_url`` would have put it,
4. a download into that cache (when allowed and online),

and otherwise raises :class:`InceptionWeightsMissingError` naming the file,
the cache path and the URL. It never substitutes another network.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from pathlib import Path

import torch.hub
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

from ganbench.errors import UserError

ENV_WEIGHTS = "GANBENCH_INCEPTION_WEIGHTS"
INCEPTION_URL: str = URL_INCEPTION_V3
INCEPTION_FILENAME: str = URL_INCEPTION_V3.rsplit("/", 1)[-1]
"""``weights-inception-2015-12-05-6726825d.pth`` in torch-fidelity 0.4.0."""
DOWNLOAD_TIMEOUT_S = 30


class InceptionWeightsMissingError(UserError):
    """The InceptionV3 weights file is not available and could not be downloaded."""


def inception_cache_path() -> Path:
    """Where torch-fidelity caches the weights (follows ``TORCH_HOME`` / ``XDG_CACHE_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILENAME


def _missing(reason: str) -> InceptionWeightsMissingError:
    return InceptionWeightsMissingError(
        f"{reason}; FID with inception-v3-compat needs {INCEPTION_FILENAME}: put it at {inception_cache_path()} "
        f"(download from {INCEPTION_URL}) or pass --inception-weights PATH / set {ENV_WEIGHTS}"
    )


def _download(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` atomically (temp file in the same directory, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            while block := resp.read(1 << 20):
                out.write(block)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def resolve_inception_weights(path: Path | str | None = None, *, download: bool = True) -> Path:
    """The InceptionV3 weights file to use, or :class:`InceptionWeightsMissingError`."""
    if path is None and os.environ.get(ENV_WEIGHTS):
        path = os.environ[ENV_WEIGHTS]
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise _missing(f"InceptionV3 weights file {str(p)!r} does not exist")
        return p
    cached = inception_cache_path()
    if cached.is_file():
        return cached
    if not download:
        raise _missing("InceptionV3 weights not found and downloading is off")
    try:
        _download(INCEPTION_URL, cached)
    except OSError as err:  # URLError, timeouts, disk errors: all mean "not available"
        raise _missing(f"InceptionV3 weights not found and download failed ({type(err).__name__})") from None
    return cached
