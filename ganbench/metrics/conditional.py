"""Conditional metrics: does a conditional generator produce the class it was asked for, and how well?

* :func:`class_accuracy`: the share of samples generated for class k that the dataset's classifier
  assigns to k, averaged over classes. Digits: the shipped digit classifier. 2D mixtures: a sample
  counts when it is a high-quality sample (within 3σ) of mode k itself.
* :func:`intra_fid`: the mean over classes of the FID between the generated and the real samples of
  that class (Miyato & Koyama 2018), on the run's features.
* :func:`classification_accuracy_score`: CAS (Ravuri & Vinyals 2019): a classifier of the shipped
  digit architecture trained only on generated labelled samples, tested on real held-out digits.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ganbench.metrics.digits_classifier import DigitCNN, to_classifier_input
from ganbench.metrics.distances import nearest
from ganbench.metrics.fid import fid_from_features
from ganbench.metrics.modes import HQ_SIGMAS

INTRA_FID_MIN_N = 2
"""A class enters intra-FID only with at least this many samples on both sides (a covariance needs two)."""
CAS_EPOCHS = 3
CAS_MAX_TRAIN = 5000
"""CAS trains on at most this many generated samples (the first ones; their labels are a shuffled balanced draw)."""
CAS_BATCH_SIZE = 64
CAS_LR = 2e-3
CAS_SEED = 0


def per_class_accuracy(predicted: torch.Tensor, wanted: torch.Tensor) -> float:
    """Mean over the classes present in ``wanted`` of the share of their samples where ``predicted`` agrees."""
    predicted, wanted = predicted.reshape(-1).long().cpu(), wanted.reshape(-1).long().cpu()
    if wanted.numel() == 0:
        return math.nan
    shares = [float((predicted[wanted == k] == k).double().mean()) for k in torch.unique(wanted).tolist()]
    return sum(shares) / len(shares)


def mixture_class_accuracy(samples: torch.Tensor, wanted: torch.Tensor, centres: torch.Tensor, std: float) -> float:
    """2D mixtures: per-class share of samples within ``HQ_SIGMAS``·σ of their own mode's centre (nearest and HQ)."""
    idx, sq_dist = nearest(samples.detach().double().cpu(), centres.double().cpu())
    hq = sq_dist < (HQ_SIGMAS * std) ** 2
    predicted = torch.where(hq, idx, torch.full_like(idx, -1))
    return per_class_accuracy(predicted, wanted)


def intra_fid(
    real_features: torch.Tensor, real_labels: torch.Tensor, fake_features: torch.Tensor, fake_labels: torch.Tensor
) -> dict[str, float | int]:
    """Mean per-class FID over the classes with enough samples on both sides, and the per-class sample counts.

    Returns ``intra_fid`` (NaN when no class qualifies), ``intra_fid_classes`` (classes averaged),
    ``intra_fid_n_fake`` and ``intra_fid_n_real`` (the smallest per-class N on each side, over those classes).
    """
    real_labels, fake_labels = real_labels.reshape(-1).cpu(), fake_labels.reshape(-1).cpu()
    fids, n_fake, n_real = [], [], []
    for k in torch.unique(fake_labels).tolist():
        f, r = fake_features[fake_labels == k], real_features[real_labels == k]
        if len(f) < INTRA_FID_MIN_N or len(r) < INTRA_FID_MIN_N:
            continue
        fids.append(fid_from_features(r, f))
        n_fake.append(len(f))
        n_real.append(len(r))
    if not fids:
        return {"intra_fid_classes": 0}
    return {
        "intra_fid": sum(fids) / len(fids),
        "intra_fid_classes": len(fids),
        "intra_fid_n_fake": min(n_fake),
        "intra_fid_n_real": min(n_real),
    }


def train_digit_classifier(
    images: torch.Tensor, labels: torch.Tensor, device: torch.device, *, epochs: int = CAS_EPOCHS
) -> DigitCNN:
    """The shipped digit architecture trained from scratch on ``images`` (dataset conventions) and ``labels``.

    Adam (lr 2e-3), batch 64, ``epochs`` passes in a seeded order, seeded initialisation; no augmentation.
    The global random state is left as it was.
    """
    x = to_classifier_input(images.detach().float().cpu())
    y = labels.reshape(-1).long().cpu()
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(CAS_SEED)
        net = DigitCNN().to(device)
        order = torch.Generator().manual_seed(CAS_SEED)
        opt = torch.optim.Adam(net.parameters(), lr=CAS_LR)
        net.train()
        for _ in range(epochs):
            perm = torch.randperm(len(y), generator=order)
            for start in range(0, len(perm), CAS_BATCH_SIZE):
                idx = perm[start : start + CAS_BATCH_SIZE]
                loss = F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return net.eval()


@torch.no_grad()
def digit_accuracy(net: DigitCNN, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    """Share of ``images`` that ``net`` labels as ``labels``."""
    x = to_classifier_input(images.detach().float().cpu())
    predicted = torch.cat([net(x[i : i + 1024].to(device)).argmax(1).cpu() for i in range(0, len(x), 1024)])
    return float((predicted == labels.reshape(-1).long().cpu()).double().mean())


def classification_accuracy_score(
    fake: torch.Tensor,
    fake_labels: torch.Tensor,
    real: torch.Tensor,
    real_labels: torch.Tensor,
    device: torch.device,
    *,
    epochs: int = CAS_EPOCHS,
) -> float:
    """CAS: accuracy on the real ``(real, real_labels)`` of a classifier trained only on generated samples.

    At most :data:`CAS_MAX_TRAIN` generated samples are used, so the metric stays a few seconds on a CPU.
    """
    fake, fake_labels = fake[:CAS_MAX_TRAIN], fake_labels[:CAS_MAX_TRAIN]
    net = train_digit_classifier(fake, fake_labels, device, epochs=epochs)
    return digit_accuracy(net, real, real_labels, device)
