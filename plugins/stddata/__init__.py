"""Standard image datasets: MNIST, Fashion-MNIST, CIFAR-10, CelebA and ``folder:PATH``.

Registered through the ``stddata`` entry point like any third-party plugin.
Importing this module is cheap: torchvision (seconds to import) is loaded only
when a dataset is built, and ``locate`` only looks at file names.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ganbench.plugin import DatasetOptions, GanDataset, hookimpl

from . import celeba, cifar, folder, mnist


def _mnist_factory(name: str, options: DatasetOptions) -> GanDataset:
    return mnist.load(name, options)


def _mnist_locate(name: str, root: Path) -> Path | None:
    return mnist.locate(mnist.KINDS[name], root)


@hookimpl
def ganbench_register(registrar) -> None:
    for name, kind in mnist.KINDS.items():
        registrar.add_dataset(
            name,
            partial(_mnist_factory, name),
            description=kind.description,
            kind="image",
            shape=(1, mnist.NATIVE, mnist.NATIVE),
            size=60_000,
            locate=partial(_mnist_locate, name),
        )
    registrar.add_dataset(
        "cifar10",
        cifar.load,
        description=cifar.DESCRIPTION,
        kind="image",
        shape=(3, cifar.NATIVE, cifar.NATIVE),
        size=50_000,
        locate=cifar.locate,
    )
    registrar.add_dataset(
        "celeba",
        celeba.load,
        description=celeba.DESCRIPTION,
        kind="image",
        shape=(3, celeba.NATIVE, celeba.NATIVE),
        size=celeba.TRAIN_SIZE,
        locate=celeba.locate,
    )
    # No fixed location under the data root, so no ``locate``.
    registrar.add_dataset(
        "folder",
        folder.load,
        description=folder.DESCRIPTION,
        kind="image",
        shape=(folder.CHANNELS, folder.NATIVE, folder.NATIVE),
        size=None,
        parameterised=True,
    )
