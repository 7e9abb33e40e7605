"""The parts of the report that compare variants: per dataset, overlaid metric curves, samples side by
side with real data, labelled traversals; plus metric definitions and the invocation as key-value lines.

Tables and pictures come from the cells' files (evals.csv, samples.png, real.png, traversal.png);
small images are upscaled with nearest-neighbour so a 16 px digit grid is readable, not blurred.
"""

from __future__ import annotations

import io
import math
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ganbench import columns
from ganbench.report import plots
from ganbench.report.collect import CellArtifacts
from ganbench.report.figures import ReportFigure, image_mime
from ganbench.results.aggregate import RUN_COLUMNS_FIRST, aggregate, metric_columns
from ganbench.results.display import key_text, mean_std_text, metric_header

MIN_IMAGE_PX = 256
"""Sample and real-data grids are shown at least this many pixels on their shorter side."""


@dataclass
class DatasetSection:
    """Everything that compares the variants trained on one dataset."""

    anchor: str
    dataset: str
    kind: str
    curves: ReportFigure | None = None
    samples: list[ReportFigure] = field(default_factory=list)
    traversals: list[ReportFigure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Definition:
    name: str
    direction: str
    description: str
    valid: str


def readable_png(data: bytes, min_px: int = MIN_IMAGE_PX) -> bytes:
    """``data`` upscaled by a whole factor with nearest-neighbour until its shorter side is >= ``min_px``."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        short = min(im.size)
        if short >= min_px or short == 0:
            return data
        factor = math.ceil(min_px / short)
        big = im.convert("RGBA" if "A" in im.getbands() else "RGB").resize(
            (im.size[0] * factor, im.size[1] * factor), Image.Resampling.NEAREST
        )
    buf = io.BytesIO()
    big.save(buf, format="PNG")
    return buf.getvalue()


def _seed_key(cell: CellArtifacts) -> tuple[int, Any]:
    seed = cell.key[2]
    try:
        return (0, int(seed))
    except (TypeError, ValueError):
        return (1, str(seed))


def _status(cell: CellArtifacts) -> str:
    return str({**cell.config, **cell.metrics}.get("status", ""))


def _picture(
    cell: CellArtifacts, attr: str, title: str, asset: str, upscale: bool, kind: str = "sample"
) -> ReportFigure | None:
    path = getattr(cell, attr)
    if path is None:
        return None
    data = path.read_bytes()
    mime = image_mime(data)
    if mime is None:
        return None
    if upscale and mime == "image/png":
        try:
            data = readable_png(data)
        except Exception:  # a PNG that PIL cannot decode is shown as it is; the browser test catches a broken one
            pass
    return ReportFigure(title, data, mime, asset, kind)


def _kind_of(table: pd.DataFrame, dataset: str) -> columns.DataKindKey:
    if "dataset" in table.columns:
        rows = table[table["dataset"].astype(str) == dataset].to_dict("records")
        if rows:
            return columns.data_kind_of(rows[0])
    return "image"


def dataset_sections(table: pd.DataFrame, cells: Sequence[CellArtifacts]) -> list[DatasetSection]:
    """One section per dataset: curves with the variants overlaid, samples next to real data, traversals."""
    by_dataset: dict[str, dict[str, list[CellArtifacts]]] = {}
    for cell in sorted(cells, key=lambda c: (c.key[1], c.key[0], _seed_key(c))):
        variant, dataset, _ = cell.key
        by_dataset.setdefault(dataset, {}).setdefault(variant or cell.cell_id, []).append(cell)
    colours = plots.variant_colours([v for variants in by_dataset.values() for v in variants])
    sections = []
    for i, (dataset, variants) in enumerate(sorted(by_dataset.items())):
        kind = _kind_of(table, dataset)
        section = DatasetSection(anchor=f"dataset-{i}", dataset=dataset, kind=kind)
        evals = {v: [c.evals for c in runs if c.evals is not None] for v, runs in variants.items()}
        evals = {v: frames for v, frames in evals.items() if frames}
        if evals:
            n_seeds = max(len(f) for f in evals.values())
            band = "; shaded: range over seeds" if n_seeds > 1 else ""
            png = plots.overlaid_curves(evals, f"{dataset}: metrics against training step (line: mean{band})",
                                        kind, colours)  # fmt: skip
            if png:
                section.curves = ReportFigure(f"{dataset}: metric curves, variants overlaid (evals.csv)", png,
                                         "image/png", f"dataset{i:02d}-curves.png", "curves")  # fmt: skip
        else:
            section.notes.append("no evals.csv: run with --eval-every N to draw metrics against steps")
        real = next((c for runs in variants.values() for c in runs if c.real is not None), None)
        if real is not None:
            pic = _picture(real, "real", f"real data · {dataset}", f"dataset{i:02d}-real.png", True)
            if pic:
                section.samples.append(pic)
        else:
            section.notes.append("no real.png in these cells (written by newer runs): real data not shown")
        for j, (variant, runs) in enumerate(sorted(variants.items())):
            shown = next((c for c in runs if _status(c) == "ok" and c.samples is not None), None)
            shown = shown or next((c for c in runs if c.samples is not None), None)
            if shown is not None:
                status = _status(shown)
                title = f"{variant} · seed {shown.key[2]}" + ("" if status == "ok" else f" ({status})")
                pic = _picture(shown, "samples", title, f"dataset{i:02d}-v{j:02d}-samples.png", True)
                if pic:
                    section.samples.append(pic)
            traversed = next((c for c in runs if c.traversal is not None), None)
            if traversed is not None:
                title = f"{variant} · seed {traversed.key[2]} · latent traversal"
                pic = _picture(traversed, "traversal", title, f"dataset{i:02d}-v{j:02d}-traversal.png", False,
                               "traversal")  # fmt: skip
                if pic:
                    section.traversals.append(pic)
        sections.append(section)
    return sections


def definitions(names: Iterable[str]) -> list[Definition]:
    """What each shown column means, from the catalogue (undeclared plugin columns say so)."""
    out = []
    for name in dict.fromkeys(names):
        col = columns.column(name)
        if col is None:
            continue
        direction = {"lower": "lower is better", "higher": "higher is better"}.get(col.direction or "", "not ranked")
        low = "−∞" if col.low is None else columns.format_metric(name, col.low)
        high = "∞" if col.high is None else columns.format_metric(name, col.high)
        unit = f" {col.unit}" if col.unit else ""
        out.append(Definition(name, direction, col.description, f"[{low}, {high}]{unit}"))
    return out


def flatten_pairs(obj: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested JSON as ``a.b: value`` lines; lists of scalars joined with commas."""
    pairs: list[tuple[str, str]] = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            pairs.extend(flatten_pairs(value, name + "."))
        elif isinstance(value, (list, tuple)):
            if key == "argv" and all(isinstance(v, str) for v in value):
                pairs.append((name, shlex.join(value)))
            elif all(not isinstance(v, (Mapping, list, tuple)) for v in value):
                pairs.append((name, ", ".join(str(v) for v in value) if value else "(none)"))
            else:  # e.g. run.json's earlier invocations: one numbered group of lines each
                for i, item in enumerate(value):
                    item_name = f"{name}.{i}"
                    if isinstance(item, Mapping):
                        pairs.extend(flatten_pairs(item, item_name + "."))
                    else:
                        pairs.extend(flatten_pairs({item_name: item}))
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            pairs.append((name, "(none)"))
        elif isinstance(value, Mapping):
            pairs.append((name, "(none)"))
        else:
            pairs.append((name, str(value)))
    return pairs


def summary_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Per (variant, dataset): ``mean ± std`` of every metric in its fixed format, headline metrics first."""
    agg = aggregate(table)
    kinds = [columns.data_kind_of(r) for r in table.to_dict("records")]
    kind = kinds[0] if kinds and len(set(kinds)) == 1 else None
    ranked = [m for m in metric_columns(table) if columns.direction(m) is not None or columns.column(m) is None]
    metrics = columns.order_metrics(ranked, kind)  # losses and kid_std stay in the per-run table
    out = pd.DataFrame({"variant": agg["variant"].astype(str), "dataset": agg["dataset"].astype(str)})
    out["seeds"] = agg["n_seeds"].astype(str)
    out["status"] = agg["status"]
    for m in metrics:
        out[metric_header(m)] = [
            mean_std_text(m, r[f"{m}_mean"], r[f"{m}_std"], int(r[f"n_{m}"]), int(r["n_seeds"]))
            for r in agg.to_dict("records")
        ]
    return out


def runs_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Every run: key and status, then each metric with a value, in its column's fixed format."""
    metrics = metric_columns(table)
    sort_cols = [c for c in ("variant", "dataset", "seed") if c in table.columns]
    if sort_cols:
        table = table.sort_values(sort_cols, kind="stable")
    keys = [c for c in RUN_COLUMNS_FIRST if c in table.columns and table[c].notna().any()]
    data = {c: table[c].map(key_text) for c in keys}
    data.update({metric_header(m): table[m].map(lambda v, m=m: columns.format_metric(m, v)) for m in metrics})
    return pd.DataFrame(data).reset_index(drop=True)
