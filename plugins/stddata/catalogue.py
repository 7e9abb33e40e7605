"""What the standard datasets are (names, sizes, descriptions), without torch: the plugin registers these.

The modules beside this one read the files and build the tensors when a dataset loads.
"""

from __future__ import annotations

from dataclasses import dataclass

MNIST_NATIVE = 28


@dataclass(frozen=True)
class MnistKind:
    name: str
    tv_class: str
    description: str


KINDS = {
    "mnist": MnistKind("mnist", "MNIST", "MNIST handwritten digits (torchvision), 60k train / 10k test, 10 classes."),
    "fashion-mnist": MnistKind(
        "fashion-mnist", "FashionMNIST", "Fashion-MNIST clothes (torchvision), 60k train / 10k test, 10 classes."
    ),
}

CIFAR_NATIVE = 32
CIFAR_DESCRIPTION = "CIFAR-10 (torchvision), 32x32 RGB, 50k train / 10k test, 10 classes."

CELEBA_NATIVE = 64
CELEBA_TRAIN_SIZE = 162_770
CELEBA_DESCRIPTION = "CelebA aligned faces (torchvision), center-cropped and resized to 64x64 RGB; 163k train images."

FOLDER_NATIVE = 64
FOLDER_CHANNELS = 3
FOLDER_DESCRIPTION = (
    "Any folder of images, searched recursively (folder:PATH); resized and center-cropped to 64x64 RGB."
)
