"""batch_stream / all_samples: the tensor path and the DataLoader path give the same seeded order."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.utils.data import Dataset

from ganbench.data.base import DataSpec, GanDataset, TensorGanDataset
from ganbench.data.loaders import all_samples, batch_stream
from ganbench.errors import DatasetUnavailableError, UserError

N = 10
SPEC = DataSpec(name="ids", kind="image", shape=(1, 2, 2))


def ids_tensor(n: int = N) -> torch.Tensor:
    """Item i is an image filled with the value i, so a batch tells which items it holds."""
    return torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()


def in_memory(n: int = N) -> TensorGanDataset:
    return TensorGanDataset(SPEC, {"train": (ids_tensor(n), torch.arange(n))})


class _Items(Dataset):
    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.x, self.fail_at = ids_tensor(n), fail_at

    def __len__(self) -> int:
        return self.x.shape[0]

    def __getitem__(self, i: int):
        if i == self.fail_at:
            raise DatasetUnavailableError(f"cannot read image item-{i}.png: broken")
        return self.x[i], -1


class FileBacked(GanDataset):
    """No ``tensors()``: served item by item like CelebA or a folder."""

    spec = SPEC

    def __init__(self, n: int = N, fail_at: int | None = None) -> None:
        self.items = _Items(n, fail_at)

    def split(self, name: str) -> Dataset:
        return self.items


def ids(batch: torch.Tensor) -> list[int]:
    return batch[:, 0, 0, 0].long().tolist()


def take(stream, k: int) -> list[list[int]]:
    return [ids(x) for x, _ in itertools.islice(stream, k)]


def test_tensor_stream_is_seeded_permutations_with_drop_last():
    cpu = torch.device("cpu")
    batches = take(batch_stream(in_memory(), "train", batch_size=3, device=cpu, seed=7), 6)
    generator = torch.Generator().manual_seed(7)
    expected = []
    for _ in range(2):  # two epochs of 3 full batches; the 10th item of each epoch is dropped
        perm = torch.randperm(N, generator=generator).tolist()
        expected += [perm[0:3], perm[3:6], perm[6:9]]
    assert batches == expected
    assert batches[:3] != batches[3:]  # reshuffled every epoch
    for epoch in (batches[:3], batches[3:]):
        flat = [i for batch in epoch for i in batch]
        assert len(set(flat)) == 9  # no item twice within an epoch


def test_stream_is_deterministic_per_seed_and_float_on_device():
    cpu = torch.device("cpu")
    first = take(batch_stream(in_memory(), "train", batch_size=4, device=cpu, seed=1), 5)
    again = take(batch_stream(in_memory(), "train", batch_size=4, device=cpu, seed=1), 5)
    other = take(batch_stream(in_memory(), "train", batch_size=4, device=cpu, seed=2), 5)
    assert first == again and first != other
    batch, labels = next(batch_stream(in_memory(), "train", batch_size=4, device=cpu, seed=1))
    assert batch.dtype == torch.float32 and batch.shape == (4, 1, 2, 2) and batch.device == cpu
    assert labels.dtype == torch.long and labels.shape == (4,) and labels.device == cpu


@pytest.mark.parametrize("workers", [0, 2])
def test_stream_yields_each_items_own_label(workers):
    """In memory, item i has label i; item by item, the items' own label (-1 here) comes through the loader."""
    cpu = torch.device("cpu")
    for x, labels in itertools.islice(batch_stream(in_memory(), "train", batch_size=3, device=cpu, seed=4), 5):
        assert labels.tolist() == ids(x)
    stream = batch_stream(FileBacked(), "train", batch_size=3, device=cpu, seed=4, num_workers=workers)
    for _, labels in itertools.islice(stream, 4):
        assert labels.dtype == torch.long and labels.tolist() == [-1, -1, -1]


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_path_gives_the_same_order_as_the_tensor_path(workers):
    cpu = torch.device("cpu")
    expected = take(batch_stream(in_memory(), "train", batch_size=3, device=cpu, seed=3), 7)
    got = take(batch_stream(FileBacked(), "train", batch_size=3, device=cpu, seed=3, num_workers=workers), 7)
    assert got == expected


def test_split_smaller_than_a_batch_is_a_user_error():
    with pytest.raises(UserError, match=r"'ids' split 'train' has 10 items, fewer than one batch of 16"):
        batch_stream(in_memory(), "train", batch_size=16, device=torch.device("cpu"), seed=0)
    with pytest.raises(UserError, match="has 10 items, fewer than one batch of 11"):
        batch_stream(FileBacked(), "train", batch_size=11, device=torch.device("cpu"), seed=0)


def test_worker_errors_stay_one_line():
    stream = batch_stream(
        FileBacked(fail_at=4), "train", batch_size=5, device=torch.device("cpu"), seed=0, num_workers=2
    )
    with pytest.raises(DatasetUnavailableError) as info:
        take(stream, 2)
    assert str(info.value) == "cannot read image item-4.png: broken"


@pytest.mark.parametrize("make", [in_memory, FileBacked])
def test_all_samples_is_a_seeded_prefix(make):
    perm = torch.randperm(N, generator=torch.Generator().manual_seed(5)).tolist()
    got = all_samples(make(), "train", 4, seed=5, num_workers=0)
    assert got.device.type == "cpu" and got.dtype == torch.float32 and got.shape == (4, 1, 2, 2)
    assert ids(got) == perm[:4]
    assert sorted(ids(all_samples(make(), "train", None, seed=5, num_workers=0))) == list(range(N))


def test_all_samples_refuses_more_than_the_split_holds():
    with pytest.raises(UserError, match=r"asked for 11 real samples .* which has 10"):
        all_samples(in_memory(), "train", 11, seed=0)


@pytest.mark.cuda
def test_cuda_stream_matches_cpu_order():
    cuda = torch.device("cuda")
    on_gpu, gpu_labels = next(batch_stream(in_memory(), "train", batch_size=4, device=cuda, seed=9))
    on_cpu, cpu_labels = next(batch_stream(in_memory(), "train", batch_size=4, device=torch.device("cpu"), seed=9))
    assert on_gpu.device.type == "cuda" and torch.equal(on_gpu.cpu(), on_cpu)
    assert gpu_labels.device.type == "cuda" and torch.equal(gpu_labels.cpu(), cpu_labels)
    from_loader, _ = next(batch_stream(FileBacked(), "train", batch_size=4, device=cuda, seed=9, num_workers=2))
    assert from_loader.device.type == "cuda" and torch.equal(from_loader.cpu(), on_cpu)
