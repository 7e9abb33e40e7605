"""``ganbench sample``: export a trained generator's samples for other tools (torch-fidelity, clean-fid, dgm-eval).

Formats:

* ``png`` (images only, the default for images): one 8-bit PNG per sample,
  ``x in [-1, 1]`` mapped to ``round((x + 1) * 127.5)``; a conditional
  generator's samples go into one subfolder per class (``DIR/3/000017.png``),
  the layout of labelled image folders;
* ``npz`` (the default for points): ``samples`` (float32, the generator's own
  values: images ``(N, C, H, W)`` in [-1, 1], points ``(N, D)``) and, for a
  conditional generator, ``labels`` (int64);
* ``pt``: ``samples.pt`` with the same tensor (``ganbench score`` reads it), and
  ``labels.pt`` for a conditional generator.

The files are written into a hidden folder beside ``--out`` that is renamed to
``--out`` at the end, so an interrupted export leaves no partial folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ganbench.cli.common import load_registry
from ganbench.cli.outputs import check_output_dir
from ganbench.errors import UserError

if TYPE_CHECKING:  # torch loads when the command runs, never for --help
    import torch

FORMATS = ("png", "npz", "pt")


def register(app: typer.Typer) -> None:
    app.command("sample")(sample)


def sample(
    ctx: typer.Context,
    generator: Annotated[Path, typer.Argument(help="A ganbench generator.pt (<run>/<cell>/generator.pt).")],
    n: Annotated[int, typer.Option("--n", help="Number of samples to write.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created; must be new or empty).")],
    format_: Annotated[
        str | None,
        typer.Option("--format", help="png (images; default for images), npz (default for points) or pt."),
    ] = None,
    class_: Annotated[
        int | None, typer.Option("--class", help="Conditional generators: generate only this class (0-based).")
    ] = None,
    ema: Annotated[bool, typer.Option("--ema", help="Use the EMA weights (cells trained with --ema).")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the latents (and labels).")] = 0,
    batch_size: Annotated[int, typer.Option(help="Samples generated per batch.")] = 500,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda[:N] or mps.")] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write N samples of a trained generator as PNG files, or as an npz/pt array (with labels when conditional)."""
    from ganbench.engine.devices import resolve_device
    from ganbench.engine.seeding import check_seed
    from ganbench.loader import load_generator

    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {batch_size}")
    if format_ is not None and format_ not in FORMATS:
        raise UserError(f"unknown --format {format_!r}; valid choices: {', '.join(FORMATS)}")
    check_seed(seed, "--seed")
    check_output_dir(out, "--out")
    if out.is_dir() and any(out.iterdir()):
        raise UserError(f"--out {out} already holds files; give a new or empty folder")
    torch_device = resolve_device(device)
    model = load_generator(generator, ema=ema, device=torch_device, registry=load_registry(ctx))
    kind = model.spec.kind
    fmt = format_ or ("png" if kind == "image" else "npz")
    if fmt == "png" and kind != "image":
        raise UserError(f"--format png needs an image generator; {generator} makes {kind}: use npz or pt")
    if class_ is not None:
        if not model.conditional:
            raise UserError(f"--class needs a conditional generator; {generator} is unconditional")
        if not 0 <= class_ < int(model.num_classes or 0):
            raise UserError(f"--class must be in [0, {model.num_classes}), got {class_}")
    samples, labels = generate_all(model, n, batch_size, seed, class_, quiet=quiet)
    write_samples(out, fmt, samples, labels)
    typer.echo(f"wrote {n} samples ({fmt}) to {out}")


def generate_all(
    model: torch.nn.Module, n: int, batch_size: int, seed: int, class_: int | None, *, quiet: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples (CPU float32) and their labels; seeded, so the same flags give the same samples."""
    import torch
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    torch.manual_seed(seed)
    device = next(model.generator.parameters()).device
    chunks, label_chunks = [], []
    columns = (TextColumn("sampling"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with torch.no_grad(), Progress(*columns, disable=quiet or None, transient=True) as progress:
        task = progress.add_task("sampling", total=n)
        for first in range(0, n, batch_size):
            m = min(batch_size, n - first)
            latent = model.sample_latent(m, device)
            labels = None
            if model.conditional:
                if class_ is not None:
                    labels = torch.full((m,), class_, dtype=torch.long, device=device)
                else:
                    labels = torch.randint(int(model.num_classes), (m,), device=device)
                label_chunks.append(labels.cpu())
            chunks.append(model(latent, labels).float().cpu())
            progress.advance(task, m)
    return torch.cat(chunks), torch.cat(label_chunks) if label_chunks else None


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images to [0, 255] uint8, ``(N, H, W, C)``."""
    import torch

    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)


def write_samples(out: Path, fmt: str, samples: torch.Tensor, labels: torch.Tensor | None) -> None:
    """Everything into a hidden sibling folder first, then renamed to ``out`` (which is new or empty)."""
    import numpy as np
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        if fmt == "png":
            write_pngs(tmp, samples, labels)
        elif fmt == "npz":
            arrays = {"samples": samples.numpy()}
            if labels is not None:
                arrays["labels"] = labels.numpy()
            np.savez(tmp / "samples.npz", **arrays)
        else:
            torch.save(samples, tmp / "samples.pt")
            if labels is not None:
                torch.save(labels, tmp / "labels.pt")
        if out.is_dir():
            out.rmdir()  # empty (checked before sampling)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_pngs(folder: Path, samples: torch.Tensor, labels: torch.Tensor | None) -> None:
    from PIL import Image

    pixels = to_uint8(samples).numpy()
    width = max(6, len(str(len(pixels) - 1)))
    for i, image in enumerate(pixels):
        target = folder if labels is None else folder / str(int(labels[i]))
        target.mkdir(exist_ok=True)
        if image.shape[-1] == 1:
            picture = Image.fromarray(image[..., 0], mode="L")
        else:
            picture = Image.fromarray(image[..., :3], mode="RGB")
        picture.save(target / f"{i:0{width}d}.png")
