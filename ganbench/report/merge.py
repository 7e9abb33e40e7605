"""One report of several results folders: merged only when they measured their metrics the same way.

``ganbench report A B ... --out DIR`` compares variants trained in separate runs. Rows
from two folders are only comparable when, per dataset, every protocol column (feature
extractor, sample counts, real split, steps, batch size, ...) holds the same values;
otherwise the merge is refused with the difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ganbench import columns
from ganbench.errors import UserError
from ganbench.report.collect import Collected
from ganbench.results.compare import protocol_text


def _values(table: pd.DataFrame, dataset: str, column: str) -> frozenset[str]:
    if column not in table.columns or "dataset" not in table.columns:
        return frozenset()
    values = table.loc[table["dataset"].astype(str) == dataset, column]
    return frozenset(t for t in (protocol_text(v) for v in values) if t)


def protocol_differences(tables: Sequence[tuple[str, pd.DataFrame]]) -> list[str]:
    """Per dataset shared by several folders, each protocol column whose values differ between them.

    The columns are those ``ganbench table`` requires to agree before it ranks the dataset's headline
    metrics (:func:`ganbench.columns.comparison_protocol`), compared as ``ganbench compare`` does
    (:func:`ganbench.results.compare.protocol_text`: 1000 and 1000.0 agree).
    """
    problems = []
    datasets = sorted({str(d) for _, t in tables if "dataset" in t.columns for d in t["dataset"].dropna()})
    for dataset in datasets:
        having = [(name, t) for name, t in tables if dataset in set(t["dataset"].astype(str))]
        first = having[0][1]
        kind = columns.data_kind_of(first[first["dataset"].astype(str) == dataset].iloc[0].to_dict())
        for column in columns.comparison_protocol(columns.headline_metrics(kind)):
            seen = {name: _values(t, dataset, column) for name, t in having}
            if len({v for v in seen.values() if v}) > 1:
                shown = "; ".join(f"{name}: {', '.join(sorted(v)) or '(none)'}" for name, v in seen.items())
                problems.append(f"{dataset} {column} differs ({shown})")
    return problems


def merge_collected(parts: Sequence[Collected]) -> Collected:
    """The folders as one: rows and cells of all, refused when protocols or (variant, dataset, seed) clash."""
    names = [str(p.root) for p in parts]
    problems = protocol_differences([(name, p.table) for name, p in zip(names, parts, strict=True)])
    if problems:
        raise UserError("results folders measured differently, not merged: " + "; ".join(problems))
    tables = [p.table.assign(source=name) for name, p in zip(names, parts, strict=True)]
    table = pd.concat(tables, ignore_index=True, sort=False)
    keys = [k for k in ("variant", "dataset", "seed") if k in table.columns]
    if keys:
        dup = table[table.duplicated(keys, keep=False)]
        if len(dup):
            first = dup.iloc[0]
            where = ", ".join(sorted(set(dup["source"])))
            raise UserError(
                f"{'/'.join(str(first[k]) for k in keys)} is in more than one results folder ({where}); "
                "merge folders with different variants, datasets or seeds"
            )
    run: dict[str, Any] = {f"{name} · {k}": v for name, p in zip(names, parts, strict=True) for k, v in p.run.items()}
    cells = [c for p in parts for c in p.cells]
    warnings = [f"{name}: {w}" for name, p in zip(names, parts, strict=True) for w in p.warnings]
    return Collected(root=parts[0].root, table=table, run=run, cells=cells, warnings=warnings, sources=names)
