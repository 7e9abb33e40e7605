"""A cell's fingerprint: everything that determines its numbers, as named fields plus a hash.

A results folder holds one protocol per (variant, dataset, seed): ``ganbench run`` into a folder whose
cell was made with different settings stops before training and names the differing fields, so a
200-step cell never silently replaces a 1000-step one (``--overwrite`` replaces it on purpose).
Only what changes the numbers is recorded: where the data lives, ``--eval-every`` (evaluation restores
the RNG state and is excluded from the timing) and progress output are not part of it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

import ganbench
from ganbench.components import Recipe
from ganbench.data.base import GanDataset
from ganbench.errors import UserError

CONFIG_FILE = "config.json"
CONFIG_KEY = "fingerprint"


@dataclass(frozen=True)
class Fingerprint:
    fields: dict[str, Any]
    """Flat ``{"steps": 1000, "batch_size": 64, "eval_samples": 2500, ...}`` (names as the CLI flags), JSON values."""

    @property
    def hash(self) -> str:
        text = json.dumps(self.fields, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "fields": dict(self.fields)}


def _plain(value: Any) -> Any:
    """JSON-stable form (tuples as lists, paths and other objects as text)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def cell_fingerprint(
    *,
    train: Any,
    recipe: Recipe,
    dataset: GanDataset,
    dataset_name: str,
    evaluation: Any,
    device: torch.device,
    world_size: int = 1,
    sync_bn: bool = False,
) -> Fingerprint:
    """The fields that determine a cell's numbers (training, components, data, evaluation, software, device).

    Data-parallel cells also record ``world_size`` and ``sync_bn``: per-rank batch-norm statistics make a
    2-process run differ from a 1-process one with the same global batch. One-process cells leave them out,
    so cells written before data parallelism keep matching.
    """
    spec = dataset.spec
    fields: dict[str, Any] = {k: _plain(v) for k, v in train.recorded().items()}  # steps, batch_size, ...
    for part in ("generator", "discriminator", "loss"):
        fields[part] = getattr(recipe, part)
        fields[f"{part}_options"] = _plain(dict(getattr(recipe, f"{part}_options")))
    fields.update(
        {
            "dataset": dataset_name,
            "data_shape": list(spec.shape),
            "eval": bool(evaluation.enabled),
            "eval_samples": evaluation.samples_for(spec.kind) if evaluation.enabled else None,
            "extractor": (evaluation.extractor or spec.fid_extractor) if evaluation.enabled else None,
            "ganbench_version": ganbench.__version__,
            "torch_version": torch.__version__,
            "device_type": torch.device(device).type,
        }
    )
    if evaluation.enabled and evaluation.n_real is not None:  # only when set: older cells keep their fingerprint
        fields["eval_real_samples"] = int(evaluation.n_real)
    if world_size > 1:
        fields.update(world_size=int(world_size), sync_bn=bool(sync_bn))
    if evaluation.enabled and getattr(evaluation, "extractor_options", None):  # absent when none, as data_options
        fields["extractor_options"] = _plain(dict(evaluation.extractor_options))
    if spec.extra.get("data_options"):  # --data-opt (absent when none, so older cells keep matching)
        fields["data_options"] = _plain(dict(spec.extra["data_options"]))
    return Fingerprint(fields)


def recorded_fingerprint(cell_dir: Path) -> dict[str, Any] | None:
    """The fields recorded in a cell's ``config.json``; ``None`` when there is none (or an older cell)."""
    try:
        config = json.loads((cell_dir / CONFIG_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    fp = config.get(CONFIG_KEY) if isinstance(config, dict) else None
    fields = fp.get("fields") if isinstance(fp, dict) else None
    return fields if isinstance(fields, dict) else None


def differing_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Field names whose values differ (a field recorded on one side only differs too)."""
    return [k for k in dict.fromkeys([*new, *old]) if _plain(old.get(k)) != _plain(new.get(k))]


def _describe(field: str, old: Any, new: Any) -> str:
    return f"{field} {json.dumps(old, default=str)} -> {json.dumps(new, default=str)}"


def check_results_folder(run_dir: Path, fingerprints: Mapping[str, Fingerprint], *, overwrite: bool) -> list[str]:
    """Stop (``UserError``, exit 2) if a cell of ``run_dir`` has another fingerprint; with ``overwrite``
    delete those cells instead. Returns the ids of the cells replaced.

    Cells recorded without a fingerprint (written by an older ganbench) are not judged.
    """
    conflicts: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    for cell_id, fp in fingerprints.items():
        old = recorded_fingerprint(run_dir / cell_id)
        if old is None:
            continue
        for field in differing_fields(old, fp.fields):
            conflicts.setdefault(cell_id, []).append(field)
            changes.setdefault(field, _describe(field, old.get(field), fp.fields.get(field)))
    if not conflicts:
        return []
    if not overwrite:
        cells = ", ".join(sorted(conflicts))
        raise UserError(
            f"{run_dir} already holds {len(conflicts)} cell(s) made with other settings ({cells}); "
            f"differing: {'; '.join(changes.values())}; add --overwrite to replace them, or use another --out"
        )
    for cell_id in conflicts:
        shutil.rmtree(run_dir / cell_id, ignore_errors=True)
    return sorted(conflicts)


def plan_fingerprints(
    registry: Any, plan: Any, evaluation: Any, device: torch.device, *, world_size: int = 1, sync_bn: bool = False
) -> dict[str, Fingerprint]:
    """The fingerprint each cell of ``plan`` will record (computed before anything trains)."""
    from ganbench.engine.build import resolve_recipe

    out: dict[str, Fingerprint] = {}
    for cell in plan.cells:
        dataset = plan.datasets[cell.dataset]
        recipe = resolve_recipe(registry, cell.variant, dataset.spec, cell.composition)
        out[cell.cell_id] = cell_fingerprint(
            train=cell.train,
            recipe=recipe,
            dataset=dataset,
            dataset_name=cell.dataset,
            evaluation=evaluation,
            device=device,
            world_size=world_size,
            sync_bn=sync_bn,
        )
    return out
