"""Optuna studies of a sweep: storage, one study per (variant, dataset), protocol checks, stale trials.

A study records the protocol it was created under (everything fixed across its trials: the base
cell's fingerprint, the space, the metric, the sampler). Continuing it under another protocol is
refused with the differing fields named, like ``ganbench run --out`` refuses to mix cells.
A trial left RUNNING by a process of this machine that no longer exists (killed) is marked failed
with ``interrupted`` set, is not counted against the budget, and its point is queued to run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganbench.errors import UserError
from ganbench.runner.fingerprint import differing_fields
from ganbench.search_space import Choice, IntRange, Range

SAMPLERS = ("random", "tpe")
DB_FILE = "sweep.db"
INTERRUPTED = "interrupted"
"""Study user attribute: numbers of the trials whose process died; they are re-run, not counted."""


def default_storage(run_dir: Path) -> str:
    """An embedded SQLite database in the sweep folder: no server, resumable, one file."""
    return f"sqlite:///{(run_dir / DB_FILE).resolve()}"


def shown_url(url: str) -> str:
    """The storage URL with any password hidden (for messages and ``sweep.json``)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def open_storage(url: str) -> Any:
    """An Optuna RDB storage for ``url``; an unreachable or malformed one is one line (exit 2)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url))
    except Exception as exc:  # sqlalchemy, a missing driver, a refused connection, ...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"--storage {shown_url(url)}: cannot open it: {type(exc).__name__}: {first[:300]}") from None


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}  # several processes on one file wait for the lock
    return {"pool_pre_ping": True}


def protocol_hash(protocol: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(protocol, sort_keys=True, default=str).encode()).hexdigest()[:16]


def make_sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    raise UserError(f"unknown --sampler {name!r}; valid choices: {', '.join(SAMPLERS)}")


def distributions(space: Mapping[str, Range]) -> dict[str, Any]:
    """Optuna distributions of a space (fixed for every trial of a study)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for target, value in space.items():
        if isinstance(value, Choice):
            out[target] = CategoricalDistribution(list(value.values))
        elif isinstance(value, IntRange):
            out[target] = IntDistribution(value.low, value.high, log=value.log)
        else:
            out[target] = FloatDistribution(float(value.low), float(value.high), log=value.log)
    return out


def open_study(storage: Any, name: str, protocol: Mapping[str, Any], direction: str) -> Any:
    """Create the study, or load it and refuse it when it was created under another protocol."""
    import optuna

    study = optuna.create_study(
        study_name=name,
        storage=storage,
        direction="maximize" if direction == "higher" else "minimize",
        load_if_exists=True,
    )
    recorded = study.user_attrs.get("protocol")
    if recorded is None:
        study.set_user_attr("protocol", json.loads(json.dumps(protocol, default=str)))
        study.set_user_attr("protocol_hash", protocol_hash(protocol))
        return study
    plain = json.loads(json.dumps(protocol, default=str))
    differing = differing_fields(recorded, plain)
    if differing:
        changes = "; ".join(
            f"{f} {json.dumps(recorded.get(f), default=str)[:80]} -> {json.dumps(plain.get(f), default=str)[:80]}"
            for f in differing
        )
        raise UserError(
            f"study {name!r} in the sweep storage was made with another protocol (differing: {changes}); "
            "use another --out or --storage"
        )
    return study


def mark_stale(study: Any) -> list[int]:
    """Fail (as interrupted) and re-queue the RUNNING trials whose process on this machine is gone."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    stale = [
        trial
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if trial.user_attrs.get("host") == host and not _alive(trial.user_attrs.get("pid"))
    ]
    if stale:
        record_interrupted(study, [t.number for t in stale])
    for trial in stale:
        study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
        study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": trial.number}, skip_if_exists=False)
    return [t.number for t in stale]


def record_interrupted(study: Any, numbers: list[int]) -> None:
    """Note trials that did not finish for a reason outside their settings (killed, Ctrl-C)."""
    study.set_user_attr(INTERRUPTED, sorted({*interrupted(study), *numbers}))


def interrupted(study: Any) -> set[int]:
    return set(study.user_attrs.get(INTERRUPTED, []))


def _alive(pid: object) -> bool:
    if not isinstance(pid, int):
        return True  # unknown: leave it to whoever runs it
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def counted(trial: Any, stopped: set[int]) -> bool:
    """Whether a trial counts against the budget: finished, failed or pruned, but not interrupted."""
    from optuna.trial import TrialState

    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and trial.number not in stopped


def budget_left(study: Any, trials: int) -> int:
    """Trials still to ask for: the budget minus counted trials and trials running elsewhere."""
    from optuna.trial import TrialState

    all_trials, stopped = study.get_trials(deepcopy=False), interrupted(study)
    running = sum(t.state == TrialState.RUNNING for t in all_trials)
    return max(0, trials - sum(counted(t, stopped) for t in all_trials) - running)


def identify(trial: Any) -> None:
    """Record which process runs a trial (an ``optuna.Trial`` from ``ask``), so a later run can tell it died."""
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
