"""``ganbench sweep``: an equal-budget hyperparameter search per variant (Lucic et al. 2018).

Each (variant, dataset) is one Optuna study. A trial draws a point of the variant's search space
and runs as a normal cell (own folder under ``trials/``, own row, own fingerprint) through the
local or the Ray executor; a failed or diverged trial is told to the study as failed and counts as
the worst score, never dropped. When every study has its trials, the best trial's settings are run
again on fresh seeds into ``best/`` (a normal results folder): the best trial's own score is the
maximum of noisy draws and so biased upwards. Statistics of the budget: :mod:`ganbench.results.budget`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench import columns
from ganbench.errors import UserError
from ganbench.registry import PluginRegistry
from ganbench.results import atomic
from ganbench.results.budget import bootstrap_band, expected_best, failed_score
from ganbench.results.compare import SWEEP_BEST_DIR as BEST_DIR
from ganbench.results.compare import SWEEP_FILE
from ganbench.results.table import ROW_FILE
from ganbench.runner.fingerprint import check_results_folder, plan_fingerprints, recorded_fingerprint
from ganbench.runner.local import RunSettings, run_plan
from ganbench.runner.plan import Cell, Plan, RunConfig, plan_run
from ganbench.search_space import Range, SpaceFile, range_text
from ganbench.sweep import study as studies
from ganbench.sweep.space import apply_params, variant_space

TRIALS_DIR = "trials"
TRIALS_STEM = "trials"
BUDGET_STEM = "expected_best"
SUMMARY_STEM = "sweep_summary"

Echo = Callable[[str], None]


@dataclass(frozen=True)
class SweepOptions:
    run_dir: Path
    metric: str | None
    """Ranked column to optimise; ``None``: the first headline metric of the first dataset's kind of data."""
    trials: int
    storage: str
    sampler: str = "random"
    seed: int = 0
    """Seeds the sampler: trial t of a study draws from seed and t, so a resumed sweep draws on."""
    reeval_seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    space_file: SpaceFile | None = None
    fixed: frozenset[str] = frozenset()
    """Targets the command line set: not searched."""
    executor: str = "local"
    ray: Any = None
    """``RayOptions`` for ``--executor ray``."""
    batch: int = 1
    """Trials asked for and run at once (the Ray executor runs them in parallel)."""


@dataclass
class StudyPlan:
    """One (variant, dataset): its base cell, its search space and its Optuna study."""

    cell: Cell
    space: dict[str, Range]
    protocol: dict[str, Any]
    study: Any = None

    @property
    def name(self) -> str:
        return f"{self.cell.variant}@{self.cell.dataset}"


@dataclass
class SweepResult:
    trials: pd.DataFrame
    budget: pd.DataFrame
    summary: pd.DataFrame
    best: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def check_metric(registry: PluginRegistry, evaluation: Any, metric: str | None, kind: str) -> columns.MetricColumn:
    """The metric the sweep optimises: a ranked column that the run's evaluation fills."""
    filled = {c.name: c for entry in registry.metrics(evaluation.metrics) for c in entry.columns if c.direction}
    if metric is None:
        metric = next((m for m in columns.headline_metrics(kind) if m in filled), None)  # type: ignore[arg-type]
    if metric not in filled:
        raise UserError(f"unknown --metric {metric!r}; valid (ranked columns this evaluation fills): "
                        f"{', '.join(sorted(filled)) or '(none)'}")  # fmt: skip
    if not evaluation.enabled:
        raise UserError("ganbench sweep scores every trial; drop --no-eval")
    return filled[metric]


def plan_studies(
    registry: PluginRegistry, config: RunConfig, options: SweepOptions, device: Any
) -> tuple[Plan, list[StudyPlan]]:
    """Validate everything (names, datasets, spaces, metric) before any trial trains."""
    if options.trials < 1:
        raise UserError(f"--trials must be at least 1, got {options.trials}")
    if set(options.reeval_seeds) & set(config.seeds):
        raise UserError(
            f"--reeval-seeds {','.join(map(str, options.reeval_seeds))} must be fresh: "
            f"they include the trials' seed {config.seeds[0]}"
        )
    if options.space_file is not None:
        unknown = sorted(set(options.space_file.variants) - set(config.variants))
        if unknown:
            raise UserError(
                f"--space {options.space_file.path}: [variants.{unknown[0]}] is not swept here; "
                f"variants: {', '.join(config.variants)}"
            )
    plan = plan_run(registry, config)
    first = plan.datasets[plan.cells[0].dataset].spec
    kind = "stacked" if first.extra.get("stacked") else first.kind
    metric = check_metric(registry, config.evaluation, options.metric, kind)
    fingerprints = plan_fingerprints(registry, plan, config.evaluation, device)
    out = []
    for cell in plan.cells:
        spec = plan.datasets[cell.dataset].spec
        space = variant_space(
            registry, cell.variant, spec, cell.train, cell.composition, space_file=options.space_file,
            fixed=options.fixed,
        )  # fmt: skip
        check_space(space, cell)
        protocol = {
            **fingerprints[cell.cell_id].fields,
            "search_space": {k: v.to_json() for k, v in space.items()},
            "metric": metric.name,
            "direction": metric.direction,
            "sampler": options.sampler,
            "sampler_seed": options.seed,
            "trial_seed": cell.seed,
        }
        out.append(StudyPlan(cell, space, protocol))
    return plan, out


def check_space(space: Mapping[str, Range], cell: Cell) -> None:
    """Every range's ends are valid settings (an Adam beta of 1 fails here, not in trial 17)."""
    for target, value in space.items():
        ends = value.values if hasattr(value, "values") else (value.low, value.high)
        for end in ends:
            try:
                apply_params({target: end}, cell.train, cell.composition)
            except UserError as exc:
                raise UserError(f"search range {target} ({range_text(value)}) of {cell.variant}: {exc}") from None


def run_sweep(registry: PluginRegistry, config: RunConfig, options: SweepOptions, echo: Echo) -> SweepResult:
    """Run (or continue) every study to its budget, then re-evaluate each best configuration."""
    import dataclasses

    from ganbench.engine.devices import resolve_device

    device = resolve_device(config.device)
    plan, plans = plan_studies(registry, config, options, device)
    options = dataclasses.replace(options, metric=plans[0].protocol["metric"])
    storage = studies.open_storage(options.storage)
    for sp in plans:
        sp.study = studies.open_study(storage, sp.name, sp.protocol, sp.protocol["direction"])
    _record(options, plans)
    trials_dir = options.run_dir / TRIALS_DIR
    for sp in plans:
        _run_study(registry, plan, sp, options, config, device, trials_dir, echo)
    trials = trials_frame(plans)
    atomic.write_table(trials, options.run_dir, TRIALS_STEM)
    budget = budget_frame(trials, options.metric)
    atomic.write_table(budget, options.run_dir, BUDGET_STEM)
    best = _reevaluate(registry, plan, plans, options, config, device, echo) if options.reeval_seeds else None
    summary = summary_frame(trials, budget, best, options.metric)
    atomic.write_table(summary, options.run_dir, SUMMARY_STEM)
    return SweepResult(trials, budget, summary, best)


def _record(options: SweepOptions, plans: list[StudyPlan]) -> None:
    import sys

    atomic.write_json(
        options.run_dir / SWEEP_FILE,
        {
            "argv": sys.argv,
            "metric": options.metric,
            "trials": options.trials,
            "storage": studies.shown_url(options.storage),
            "sampler": options.sampler,
            "seed": options.seed,
            "reeval_seeds": list(options.reeval_seeds),
            "space_file": str(options.space_file.path) if options.space_file else None,
            "studies": [
                {
                    "name": sp.name,
                    "variant": sp.cell.variant,
                    "dataset": sp.cell.dataset,
                    "space": {k: v.to_json() for k, v in sp.space.items()},
                    "protocol_hash": studies.protocol_hash(sp.protocol),
                }
                for sp in plans
            ],
        },
    )


def _run_study(
    registry: PluginRegistry,
    plan: Plan,
    sp: StudyPlan,
    options: SweepOptions,
    config: RunConfig,
    device: Any,
    trials_dir: Path,
    echo: Echo,
) -> None:
    from optuna.trial import TrialState

    study = sp.study
    stale = studies.mark_stale(study)
    if stale:
        echo(f"{sp.name}: trial(s) {', '.join(map(str, stale))} were interrupted; their settings run again")
    dists = studies.distributions(sp.space)
    while (left := studies.budget_left(study, options.trials)) > 0:
        asked = []
        for _ in range(min(left, max(1, options.batch))):
            # trial t draws from (seed, t): a resumed or extended sweep draws new points, reproducibly
            study.sampler = studies.make_sampler(options.sampler, _trial_seed(options.seed, len(study.trials)))
            trial = study.ask(dists)
            studies.identify(trial)
            asked.append(trial)
        cells = []
        for trial in asked:
            train, composition = apply_params(trial.params, sp.cell.train, sp.cell.composition)
            cells.append(Cell(sp.cell.variant, sp.cell.dataset, sp.cell.seed, train, composition, trial=trial.number))
        batch = Plan(cells, {sp.cell.dataset: plan.datasets[sp.cell.dataset]}, plan.data)
        started = time.perf_counter()
        try:
            check_results_folder(
                trials_dir, plan_fingerprints(registry, batch, config.evaluation, device), overwrite=False
            )
            _execute(registry, batch, trials_dir, options, config, device)
        except BaseException:
            studies.record_interrupted(study, [t.number for t in asked])
            for trial in asked:
                study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
                study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": trial.number})
            raise
        for trial, cell in zip(asked, cells, strict=True):
            row = _read_row(trials_dir / cell.cell_id)
            score = _score(row, options.metric)
            trial.set_user_attr("cell_id", cell.cell_id)
            trial.set_user_attr("status", row.get("status", "failed"))
            if row.get("error"):
                trial.set_user_attr("error", str(row["error"])[:300])
            if score is None:
                study.tell(trial, state=TrialState.FAIL)
            else:
                study.tell(trial, score)
            done = options.trials - studies.budget_left(study, options.trials)
            shown = " ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
            value = f"{options.metric} {score:.4g}" if score is not None else f"{row.get('status')} (worst score)"
            echo(
                f"[{sp.name}] trial {trial.number} ({done}/{options.trials}) · {value} · {shown} · "
                f"{time.perf_counter() - started:.0f}s"
            )


def _trial_seed(seed: int, number: int) -> int:
    return (seed * 1_000_003 + number) % 2**32


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _execute(registry: PluginRegistry, plan: Plan, run_dir: Path, options: SweepOptions, config: RunConfig, device):
    settings = RunSettings(run_dir=run_dir, device=device, evaluation=config.evaluation, tensorboard=config.tensorboard)
    if options.executor == "ray":
        from ganbench.runner.ray_executor import run_plan_ray

        return run_plan_ray(registry, plan, settings, options.ray)
    return run_plan(registry, plan, settings)


def _read_row(cell_dir: Path) -> dict[str, Any]:
    """The cell's row; a missing or unreadable one reads as failed, with ``missing`` set."""
    try:
        row = json.loads((cell_dir / ROW_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return {"status": "failed", "error": f"no row: {exc}", "missing": True}
    return row if isinstance(row, dict) else {"status": "failed", "error": "row is not an object"}


def _finished(cell_dir: Path, fields: Mapping[str, Any]) -> bool:
    """A cell already run with these settings, to an end other than an interruption."""
    row = _read_row(cell_dir)
    return not row.get("missing") and row.get("status") != "interrupted" and recorded_fingerprint(cell_dir) == fields


def _score(row: Mapping[str, Any], metric: str) -> float | None:
    value = row.get(metric)
    if row.get("status") != "ok" or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


# -- tables -----------------------------------------------------------------------------
def trials_frame(plans: list[StudyPlan]) -> pd.DataFrame:
    """Every trial of every study (interrupted ones included, marked ``counted`` false)."""
    rows = []
    for sp in plans:
        stopped = studies.interrupted(sp.study)
        for t in sp.study.get_trials(deepcopy=False):
            rows.append(
                {
                    "variant": sp.cell.variant,
                    "dataset": sp.cell.dataset,
                    "trial": t.number,
                    "state": t.state.name.lower(),
                    "status": t.user_attrs.get("status", "interrupted" if t.number in stopped else None),
                    "score": t.value if t.value is not None else math.nan,
                    "counted": studies.counted(t, stopped),
                    "cell_id": t.user_attrs.get("cell_id"),
                    "error": t.user_attrs.get("error"),
                    **{f"param.{k}": v for k, v in t.params.items()},
                }
            )
    return pd.DataFrame(rows)


def counted_scores(trials: pd.DataFrame, metric: str) -> dict[tuple[str, str], list[float]]:
    """Per (variant, dataset), each counted trial's score in trial order; failed ones as the worst score."""
    col = columns.column(metric)
    higher = col is None or col.direction != "lower"
    out: dict[tuple[str, str], list[float]] = {}
    if trials.empty:
        return out
    used = trials[trials["counted"]]
    for dataset, per_dataset in used.groupby("dataset", sort=False):
        finished = [float(v) for v in per_dataset["score"] if math.isfinite(v)]
        worst = failed_score(finished, higher=higher, low=col.low if col else None, high=col.high if col else None)
        for variant, rows in per_dataset.groupby("variant", sort=False):
            scores = [float(v) if math.isfinite(v) else worst for v in rows.sort_values("trial")["score"]]
            out[(str(variant), str(dataset))] = scores
    return out


def budget_frame(trials: pd.DataFrame, metric: str, *, level: float = 0.95) -> pd.DataFrame:
    """Expected best score of k trials, k = 1..K, with its bootstrap band, per (variant, dataset)."""
    col = columns.column(metric)
    higher = col is None or col.direction != "lower"
    rows = []
    for (variant, dataset), scores in counted_scores(trials, metric).items():
        if not scores or any(math.isnan(s) for s in scores):
            continue
        curve = expected_best(scores, higher=higher)
        low, high = bootstrap_band(scores, higher=higher, level=level)
        for k in range(1, len(scores) + 1):
            rows.append(
                {
                    "variant": variant, "dataset": dataset, "metric": metric, "k": k,
                    "expected_best": curve[k - 1], "band_low": low[k - 1], "band_high": high[k - 1],
                    "level": level, "n_trials": len(scores),
                }
            )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["variant", "dataset", "metric", "k", "expected_best", "band_low", "band_high", "level", "n_trials"],
    )


def best_trials(plans: list[StudyPlan]) -> dict[str, Any]:
    """Each study's best finished trial (``None`` when none finished)."""
    out = {}
    for sp in plans:
        try:
            out[sp.name] = sp.study.best_trial
        except ValueError:  # no completed trial
            out[sp.name] = None
    return out


def _reevaluate(
    registry: PluginRegistry,
    plan: Plan,
    plans: list[StudyPlan],
    options: SweepOptions,
    config: RunConfig,
    device: Any,
    echo: Echo,
) -> pd.DataFrame:
    """The best settings of each study on the fresh seeds, into ``best/`` (cells already done are kept)."""
    from ganbench.runner.rundir import rebuild

    best_dir = options.run_dir / BEST_DIR
    cells = []
    for sp in plans:
        trial = best_trials(plans)[sp.name]
        if trial is None:
            echo(f"{sp.name}: no trial finished; nothing to re-evaluate")
            continue
        train, composition = apply_params(trial.params, sp.cell.train, sp.cell.composition)
        cells += [Cell(sp.cell.variant, sp.cell.dataset, s, train, composition) for s in options.reeval_seeds]
    reeval = Plan(cells, plan.datasets, plan.data)
    fingerprints = plan_fingerprints(registry, reeval, config.evaluation, device)
    check_results_folder(best_dir, fingerprints, overwrite=True)  # a better trial since: its cells replace these
    todo = [c for c in cells if not _finished(best_dir / c.cell_id, fingerprints[c.cell_id].fields)]
    if todo:
        echo(
            f"re-evaluating the best settings on seeds {','.join(map(str, options.reeval_seeds))}: {len(todo)} cell(s)"
        )
        _execute(registry, Plan(todo, plan.datasets, plan.data), best_dir, options, config, device)
    return rebuild(best_dir) if cells else pd.DataFrame()


def summary_frame(trials: pd.DataFrame, budget: pd.DataFrame, best: pd.DataFrame | None, metric: str) -> pd.DataFrame:
    """Per (variant, dataset): trials, failures, the best trial and its settings, E[best of K] with its
    band, and the best settings re-evaluated on fresh seeds (mean, std, n)."""
    col = columns.column(metric)
    higher = col is None or col.direction != "lower"
    rows = []
    for (variant, dataset), group in (
        trials[trials["counted"]].groupby(["variant", "dataset"], sort=False) if len(trials) else []
    ):
        finished = group[group["score"].notna()]
        row: dict[str, Any] = {
            "variant": variant, "dataset": dataset, "metric": metric, "n_trials": len(group),
            "n_failed": int(group["score"].isna().sum()),
        }  # fmt: skip
        if len(finished):
            top = finished.loc[finished["score"].idxmax() if higher else finished["score"].idxmin()]
            params = {k.removeprefix("param."): top[k] for k in group.columns if k.startswith("param.")}
            row.update(
                best_trial=int(top["trial"]),
                best_trial_score=float(top["score"]),
                best_params=json.dumps({k: _plain(v) for k, v in params.items() if _present(v)}),
            )
        curve = budget[(budget["variant"] == variant) & (budget["dataset"] == dataset)]
        if len(curve):
            last = curve.iloc[-1]
            row.update(expected_best_at_k=float(last["expected_best"]), band_low=float(last["band_low"]),
                       band_high=float(last["band_high"]))  # fmt: skip
        if best is not None and len(best):
            mine = best[(best["variant"] == variant) & (best["dataset"] == dataset)]
            values = pd.to_numeric(mine.loc[mine["status"] == "ok", metric], errors="coerce").dropna()
            row.update(
                reeval_mean=float(values.mean()) if len(values) else math.nan,
                reeval_std=float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                reeval_n=len(values),
                reeval_failed=int(len(mine) - len(values)),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value


def _present(value: Any) -> bool:
    try:
        return not (isinstance(value, float) and math.isnan(value)) and value is not None
    except TypeError:
        return True
