"""Standard image datasets: MNIST, Fashion-MNIST, CIFAR-10, CelebA and ``folder:PATH``.

Registered through the ``stddata`` entry point like any third-party plugin.
Importing this module is cheap: torchvision (seconds to import) is loaded only
when a dataset is built, and ``locate`` only looks at file names.
"""

from __future__ import annotations

from functools import partial

from ganbench.plugin import hookimpl, lazy

from . import catalogue


@hookimpl
def ganbench_register(registrar) -> None:
    for name, kind in catalogue.KINDS.items():
        registrar.add_dataset(
            name,
            partial(lazy(f"{__name__}.mnist:load"), name),
            description=kind.description,
            kind="image",
            shape=(1, catalogue.MNIST_NATIVE, catalogue.MNIST_NATIVE),
            size=60_000,
            locate=partial(lazy(f"{__name__}.mnist:locate_kind"), name),
        )
    registrar.add_dataset(
        "cifar10",
        lazy(f"{__name__}.cifar:load"),
        description=catalogue.CIFAR_DESCRIPTION,
        kind="image",
        shape=(3, catalogue.CIFAR_NATIVE, catalogue.CIFAR_NATIVE),
        size=50_000,
        locate=lazy(f"{__name__}.cifar:locate"),
    )
    registrar.add_dataset(
        "celeba",
        lazy(f"{__name__}.celeba:load"),
        description=catalogue.CELEBA_DESCRIPTION,
        kind="image",
        shape=(3, catalogue.CELEBA_NATIVE, catalogue.CELEBA_NATIVE),
        size=catalogue.CELEBA_TRAIN_SIZE,
        locate=lazy(f"{__name__}.celeba:locate"),
    )
    # No fixed location under the data root, so no ``locate``.
    registrar.add_dataset(
        "folder",
        lazy(f"{__name__}.folder:load"),
        description=catalogue.FOLDER_DESCRIPTION,
        kind="image",
        shape=(catalogue.FOLDER_CHANNELS, catalogue.FOLDER_NATIVE, catalogue.FOLDER_NATIVE),
        size=None,
        parameterised=True,
    )
