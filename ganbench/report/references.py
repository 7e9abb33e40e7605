"""The report's "Published results" section: a run's rows beside a published table (``ganbench table --reference``).

Which tables: the ones ``ganbench report --reference NAME`` names, else the ones the run's suite
declares (``references = [...]`` in the suite file, recorded in run.json). A table that cannot be
compared (unknown name, rows trained with two budgets) becomes a one-line note instead of failing
the whole report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ganbench.results import references as ref_lib


@dataclass
class ReferenceSection:
    """One published table beside the run's rows, or the reason it is missing."""

    name: str
    title: str = ""
    source: str = ""
    rule: str = ""
    verdicts: str = ""
    frame: pd.DataFrame | None = None
    error: str = ""


def declared_references(run: Mapping[str, Any]) -> list[str]:
    """The reference names the suites of a run's invocations declare, in order, without repeats."""
    names: list[str] = []
    for invocation in run.get("invocations", []) or []:
        suite = invocation.get("suite") if isinstance(invocation, Mapping) else None
        declared = suite.get("references", []) if isinstance(suite, Mapping) else []
        names += [str(n) for n in declared if isinstance(n, str)]
    return list(dict.fromkeys(names))


def reference_sections(table: pd.DataFrame, names: Sequence[str]) -> list[ReferenceSection]:
    """One section per name: the comparison table, or a note saying why there is none."""
    sections = []
    for name in names:
        if not {"variant", "dataset"} <= set(table.columns):
            sections.append(ReferenceSection(name=name, error="the results have no variant/dataset columns"))
            continue
        try:
            reference = ref_lib.load_reference(name)
            ref_lib.check_one_budget(reference, table)
            comparisons = ref_lib.compare(reference, table)
        except ref_lib.ReferenceError as exc:
            sections.append(ReferenceSection(name=name, error=str(exc)))
            continue
        sections.append(
            ReferenceSection(
                name=name,
                title=reference.title,
                source=reference.source,
                rule="; ".join([ref_lib.agreement_rule(reference), *ref_lib.budget_lines(reference, table)]),
                verdicts=ref_lib.verdict_counts(comparisons),
                frame=ref_lib.comparison_frame(comparisons),
            )
        )
    return sections
