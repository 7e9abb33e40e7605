"""Pieces shared by the standard datasets.

* one-line "missing or corrupt data" errors that say what to fetch and where;
* a guard that keeps torchvision's download attempts short when offline;
* conversions to the ganbench image convention (float32 ``(C, H, W)`` in ``[-1, 1]``);
* :class:`CachedTensorDataset` for small datasets held in memory, and
  :class:`ImageFiles` for big ones read from image files through transforms.
"""

from __future__ import annotations

import abc
import contextlib
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from torch.utils.data import Dataset, TensorDataset

from ganbench.plugin import DatasetUnavailableError, DataSpec, GanDataset, IncompatibleError

T = TypeVar("T")

DOWNLOAD_TIMEOUT_S = 15.0
"""Socket timeout while torchvision downloads: an offline machine fails in seconds, not minutes."""

_RESIZE_CHUNK = 2048


# -- errors ---------------------------------------------------------------------------------------
def one_line(text: object, limit: int = 200) -> str:
    """Collapse whitespace (torchvision's download errors span several lines) and cap the length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe_exception(exc: BaseException) -> str:
    return one_line(f"{type(exc).__name__}: {exc}")


def unavailable(
    dataset: str,
    *,
    missing: Sequence[str] = (),
    corrupt: Sequence[str] = (),
    directory: Path,
    fetch: str,
    reason: str | None = None,
) -> DatasetUnavailableError:
    """Build the one-line error: which files, which directory, and how to fetch them."""
    parts: list[str] = []
    if corrupt:
        parts.append(f"corrupt or truncated {', '.join(corrupt)} (delete and fetch again)")
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    what = "; ".join(parts) if parts else "cannot read the files"
    because = f" ({reason})" if reason else ""
    return DatasetUnavailableError(one_line(f"{dataset}: {what} in {directory}{because}; fetch: {fetch}", limit=2000))


def failure_reason(
    exc: BaseException | None, *, tried_download: bool, files_bad: bool, download_needed: bool = True
) -> str | None:
    """What to say in brackets: the download error, or the read error when every file looked fine.

    ``download_needed=False`` means the files were all there, so no download
    was attempted (torchvision's MNIST only checks that they exist): the
    corrupt files named are the whole story, not a failed download.
    """
    if exc is None:
        return None
    if files_bad:
        if not download_needed:
            return None
        return f"download failed: {describe_exception(exc)}" if tried_download else "download disabled"
    return describe_exception(exc)


@contextlib.contextmanager
def short_network_timeout(seconds: float = DOWNLOAD_TIMEOUT_S) -> Iterator[None]:
    """Bound every socket operation of a download (urllib has no timeout by default)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def open_torchvision(
    build: Callable[[bool], T], *, download: bool, diagnose: Callable[[BaseException | None, bool], Exception]
) -> T:
    """Construct a torchvision dataset, downloading at most once, and turn any failure into ``diagnose``'s error.

    ``build(download)`` constructs the dataset. The first try never touches the
    network (the common case: the files are there). ``diagnose(exc,
    tried_download)`` inspects the files and returns the user-facing error.
    """
    try:
        return build(False)
    except Exception as exc:  # not found, md5 mismatch, truncated file: diagnose tells which
        if not download:
            raise diagnose(exc, False) from exc
    try:
        with short_network_timeout():
            return build(True)
    except Exception as exc:
        raise diagnose(exc, True) from exc


# -- image conversion ----------------------------------------------------------------------------
def to_signed_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[0, 255]`` to float32 ``[-1, 1]`` in one vectorised pass (0 -> -1, 255 -> 1 exactly)."""
    return images.to(torch.float32, memory_format=torch.contiguous_format).div_(127.5).sub_(1.0)


def resize_batch(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize ``(N, C, H, W)`` float images to ``size``×``size`` (antialiased bilinear), chunked to bound memory."""
    if tuple(images.shape[-2:]) == (size, size):
        return images
    out = torch.empty(images.shape[0], images.shape[1], size, size, dtype=images.dtype)
    for start in range(0, images.shape[0], _RESIZE_CHUNK):
        chunk = images[start : start + _RESIZE_CHUNK]
        resized = F.interpolate(chunk, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out[start : start + _RESIZE_CHUNK] = resized.clamp_(-1.0, 1.0)
    return out


def check_resolution(dataset: str, resolution: int | None, native: int) -> int:
    """The output side length: ``resolution`` when given (validated), else the native one."""
    if resolution is None:
        return native
    if not isinstance(resolution, int) or isinstance(resolution, bool) or not 4 <= resolution <= 1024:
        raise IncompatibleError(f"{dataset}: resolution {resolution!r} is invalid; use an integer from 4 to 1024")
    return resolution


def convert_mode(img: Image.Image, channels: int) -> Image.Image:
    """Bring any PIL mode to ``L`` (1 channel) or ``RGB`` (3 channels).

    Transparency is composited over white rather than dropped: the RGB under a
    transparent pixel is arbitrary (often black), which would put junk
    backgrounds into sprite or face datasets. 16-bit greyscale is scaled, not
    clipped, to 8 bits.
    """
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        scale = 257.0 if img.mode.startswith("I;16") or arr.max(initial=0) > 255 else 1.0
        img = Image.fromarray(np.clip(np.rint(arr / scale), 0, 255).astype(np.uint8), mode="L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode in ("L", "RGB") and "transparency" in img.info):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        background.alpha_composite(img.convert("RGBA"))
        img = background.convert("RGB")
    target = "L" if channels == 1 else "RGB"
    return img if img.mode == target else img.convert(target)


def load_image(path: str, resolution: int, channels: int) -> torch.Tensor:
    """Read one image file as float32 ``(channels, resolution, resolution)`` in ``[-1, 1]``.

    Resize the shorter side to ``resolution`` then center-crop, as the PyTorch
    DCGAN reference does for CelebA (``Resize(64)`` + ``CenterCrop(64)``).
    """
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF

    try:
        with Image.open(path) as opened:
            opened.load()
            img = ImageOps.exif_transpose(opened)
            img = convert_mode(img, channels)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DatasetUnavailableError(f"cannot read image {path}: {describe_exception(exc)}") from None
    img = TF.resize(img, resolution, interpolation=InterpolationMode.BILINEAR, antialias=True)
    img = TF.center_crop(img, [resolution, resolution])
    arr = np.asarray(img, dtype=np.uint8)
    tensor = torch.from_numpy(arr.copy())
    tensor = tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)
    return to_signed_unit(tensor)


# -- dataset shapes --------------------------------------------------------------------------------
class ImageFiles(Dataset):
    """Items ``(image, label)`` read from files on demand (label -1 without ``labels``); picklable for workers."""

    def __init__(
        self, paths: Sequence[str], resolution: int, channels: int, labels: Sequence[int] | None = None
    ) -> None:
        self.paths = list(paths)
        self.resolution = resolution
        self.channels = channels
        self.labels = list(labels) if labels is not None else None

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        label = self.labels[index] if self.labels is not None else -1
        return load_image(self.paths[index], self.resolution, self.channels), label


def check_split(spec: DataSpec, splits: tuple[str, ...], name: str) -> None:
    if name not in splits:
        raise IncompatibleError(f"{spec.name} has no split {name!r}; valid splits: {', '.join(splits)}")


class CachedTensorDataset(GanDataset):
    """A small dataset whose splits are read once, converted in one vectorised op and cached.

    Subclasses return each split as uint8 ``(N, C, H, W)`` plus int64 labels;
    this class scales to ``[-1, 1]`` and resizes to the requested resolution.
    """

    def __init__(self, spec: DataSpec, splits: tuple[str, ...]) -> None:
        self.spec = spec
        self.splits = splits
        self._cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    @abc.abstractmethod
    def _load_uint8(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The raw split: uint8 images ``(N, C, H, W)`` and int64 labels ``(N,)``."""

    def tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        check_split(self.spec, self.splits, name)
        if name not in self._cache:
            images, labels = self._load_uint8(name)
            x = resize_batch(to_signed_unit(images), self.spec.shape[-1])
            self._cache[name] = (x, labels.to(torch.int64))
        return self._cache[name]

    def split(self, name: str) -> Dataset:
        return TensorDataset(*self.tensors(name))

    def __len__(self) -> int:
        return int(self.tensors(self.spec.fid_split)[0].shape[0])
