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

INTRA_FID_MIN_N = 20
"""Every class needs at least this many samples on both sides, or intra-FID is not reported.

A per-class covariance from a handful of samples is noise (FID's bias grows as 1/N), and averaging only
the classes that happen to have enough samples would describe a different set of classes than the
generator was asked for; so intra-FID is all classes or none (with a note saying which class fell short).
Digits' held-out split has 35-37 real images per class; stacked digits' 1,000 classes have about 10
each, so they get the note.
"""
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


def stacked_label(per_channel: torch.Tensor, digit_classes: int = 10) -> torch.Tensor:
    """Per-channel digits ``(N, C)`` as one label, most significant channel first (100a + 10b + c for C = 3)."""
    label = torch.zeros(per_channel.shape[0], dtype=torch.long, device=per_channel.device)
    for c in range(per_channel.shape[1]):
        label = label * digit_classes + per_channel[:, c].long()
    return label


def mixture_class_accuracy(samples: torch.Tensor, wanted: torch.Tensor, centres: torch.Tensor, std: float) -> float:
    """2D mixtures: per-class share of samples within ``HQ_SIGMAS``·σ of their own mode's centre (nearest and HQ)."""
    idx, sq_dist = nearest(samples.detach().double().cpu(), centres.double().cpu())
    hq = sq_dist < (HQ_SIGMAS * std) ** 2
    predicted = torch.where(hq, idx, torch.full_like(idx, -1))
    return per_class_accuracy(predicted, wanted)


def intra_fid(
    real_features: torch.Tensor, real_labels: torch.Tensor, fake_features: torch.Tensor, fake_labels: torch.Tensor
) -> dict[str, float | int]:
    """Mean per-class FID over every generated class, and the smallest per-class sample counts.

    Returns ``intra_fid``, ``intra_fid_classes`` (classes averaged), ``intra_fid_n_fake`` and
    ``intra_fid_n_real`` (the smallest per-class N on each side). When any class has fewer than
    :data:`INTRA_FID_MIN_N` samples on either side, no ``intra_fid`` is returned, only the counts and an
    ``intra_fid_note`` naming the class that fell short.
    """
    real_labels, fake_labels = real_labels.reshape(-1).cpu(), fake_labels.reshape(-1).cpu()
    classes = torch.unique(fake_labels).tolist()
    if not classes:
        return {"intra_fid_classes": 0}
    n_fake = {k: int((fake_labels == k).sum()) for k in classes}
    n_real = {k: int((real_labels == k).sum()) for k in classes}
    counts: dict[str, float | int | str] = {
        "intra_fid_classes": len(classes),
        "intra_fid_n_fake": min(n_fake.values()),
        "intra_fid_n_real": min(n_real.values()),
    }
    short = min(classes, key=lambda k: min(n_fake[k], n_real[k]))
    if min(n_fake[short], n_real[short]) < INTRA_FID_MIN_N:
        counts["intra_fid_note"] = (
            f"intra_fid: not computed, class {short} has {n_real[short]} real and {n_fake[short]} generated "
            f"samples (every one of the {len(classes)} classes needs >= {INTRA_FID_MIN_N} on both sides)"
        )
        return counts
    fids = [fid_from_features(real_features[real_labels == k], fake_features[fake_labels == k]) for k in classes]
    return {"intra_fid": sum(fids) / len(fids), **counts}


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
