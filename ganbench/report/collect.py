"""Read a results folder (the layout ``ganbench run`` writes) into a table plus per-cell artefacts.

A report is often made of a folder that is partly broken (an interrupted run,
a corrupt CSV): nothing here raises for one bad cell; problems become
``warnings`` that the report shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench.errors import UserError
from ganbench.results.compare import TABLE_NAMES, load_table

IMAGE_NAMES = ("samples.png", "traversal.png", "real.png")


@dataclass
class CellArtifacts:
    """Everything one cell folder holds that a report can show."""

    cell_id: str
    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    history: pd.DataFrame | None = None
    evals: pd.DataFrame | None = None
    samples: Path | None = None
    traversal: Path | None = None
    real: Path | None = None
    """The real data drawn like the samples (runs before this file existed have none)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, Any]:
        """(variant, dataset, seed) from metrics.json, falling back to config.json."""
        src = {**self.config, **self.metrics}
        return (str(src.get("variant", "")), str(src.get("dataset", "")), src.get("seed", ""))


@dataclass
class Collected:
    root: Path
    table: pd.DataFrame
    run: dict[str, Any]
    cells: list[CellArtifacts]
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """The results folders merged into this one (several with ``ganbench report A B``)."""


def _read_json(path: Path, warnings: list[str]) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        warnings.append(f"{path.name}: unreadable ({exc})")
        return {}
    if not isinstance(data, dict):
        warnings.append(f"{path.name}: expected a JSON object, got {type(data).__name__}")
        return {}
    return data


def _read_csv(path: Path, warnings: list[str]) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # an empty or corrupt CSV must not kill the whole report
        warnings.append(f"{path.name}: unreadable ({type(exc).__name__}: {exc})")
        return None
    if "step" not in df.columns:
        warnings.append(f"{path.name}: no 'step' column; columns are {', '.join(map(str, df.columns))}")
        return None
    if df.empty:
        return None
    return df


def collect_cell(path: Path) -> CellArtifacts:
    cell = CellArtifacts(cell_id=path.name, path=path)
    cell.config = _read_json(path / "config.json", cell.warnings)
    cell.metrics = _read_json(path / "metrics.json", cell.warnings)
    cell.history = _read_csv(path / "history.csv", cell.warnings)
    cell.evals = _read_csv(path / "evals.csv", cell.warnings)
    for name in IMAGE_NAMES:
        if (path / name).is_file():
            setattr(cell, name.removesuffix(".png"), path / name)
    return cell


def _is_cell(path: Path) -> bool:
    return path.is_dir() and any((path / n).is_file() for n in ("config.json", "metrics.json"))


def collect(results_dir: str | Path) -> Collected:
    """Read ``results_dir``: the table (results.parquet/csv, else the cells' metrics.json), run.json, cells."""
    root = Path(results_dir)
    if not root.is_dir():
        raise UserError(f"results folder {str(root)!r} does not exist or is not a folder")
    warnings: list[str] = []
    cells = [collect_cell(p) for p in sorted(root.iterdir(), key=lambda p: p.name) if _is_cell(p)]
    if any((root / n).is_file() for n in TABLE_NAMES):
        table = load_table(root)
    elif any(c.metrics for c in cells):
        warnings.append(f"no {' or '.join(TABLE_NAMES)}; table rebuilt from the cells' metrics.json")
        table = pd.DataFrame([c.metrics for c in cells if c.metrics])
    else:
        raise UserError(
            f"no results in {str(root)!r}: expected {' or '.join(TABLE_NAMES)} or cell folders with metrics.json"
        )
    run = _read_json(root / "run.json", warnings)
    for cell in cells:
        warnings.extend(f"{cell.cell_id}/{w}" for w in cell.warnings)
    return Collected(root=root, table=table, run=run, cells=cells, warnings=warnings)
