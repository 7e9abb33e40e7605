"""Benchmark suites as TOML files (``ganbench run --config suite.toml``).

A suite file is data, parsed with :mod:`tomllib` and never executed. Its
top-level keys are the long options of ``ganbench run`` (``batch_size`` or
``batch-size``), plus ``name``/``description``; lists may be TOML arrays.
Relative paths are relative to the suite file. Flags given on the command
line override the file. See docs/suites.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.engine.config import AMP_CHOICES, SEAM_NAMES
from ganbench.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class SuiteError(UserError):
    """A suite file that cannot be read or holds an unknown key or a value of the wrong type."""


@dataclass(frozen=True)
class SuiteKey:
    kind: str
    """str, int, float, bool, names, ints, table, path or choice."""
    help: str
    choices: tuple[str, ...] = ()


SUITE_KEYS: dict[str, SuiteKey] = {
    "name": SuiteKey("str", "A label for the suite, recorded in run.json."),
    "description": SuiteKey("str", "Free text, recorded in run.json."),
    "references": SuiteKey(
        "names", "Published tables this suite reproduces (ganbench/references/); the report shows them beside it."
    ),
    "variants": SuiteKey("names", "Variants to run (--plugins)."),
    "datasets": SuiteKey("names", "Datasets (--dataset)."),
    "seeds": SuiteKey("ints", "Seeds (--seeds)."),
    "steps": SuiteKey("int", "Generator updates per cell."),
    "batch_size": SuiteKey("int", "Batch size."),
    "lr_g": SuiteKey("float", "Generator learning rate."),
    "lr_d": SuiteKey("float", "Discriminator learning rate."),
    "beta1": SuiteKey("float", "Adam β1."),
    "beta2": SuiteKey("float", "Adam β2 (file only)."),
    "d_steps": SuiteKey("int", "D updates per G update."),
    "log_every": SuiteKey("int", "Steps between loss read-outs (history.csv rows)."),
    "warmup_steps": SuiteKey("int", "Steps excluded from the throughput measurement (file only)."),
    "ema": SuiteKey("float", "Decay of the EMA generator (--ema), scored as variant <variant>+ema."),
    "ema_start": SuiteKey("int", "Step at which the EMA starts averaging (--ema-start)."),
    "device": SuiteKey("str", "auto, cpu, cuda[:N] or mps."),
    "generator": SuiteKey("str", "Generator replacing the variants'."),
    "discriminator": SuiteKey("str", "Discriminator replacing the variants'."),
    "loss": SuiteKey("str", "Loss replacing the variants'."),
    "generator_options": SuiteKey("table", "Generator options (--gen-opt)."),
    "discriminator_options": SuiteKey("table", "Discriminator options (--disc-opt)."),
    "loss_options": SuiteKey("table", "Loss options (--loss-opt)."),
    "out": SuiteKey("str", "Name of the results folder."),
    "results_dir": SuiteKey("path", "Where results folders go."),
    "data_root": SuiteKey("path", "Where downloadable datasets live."),
    "data_options": SuiteKey("table", "Dataset options (--data-opt), e.g. {size = 100000}."),
    "resolution": SuiteKey("int", "Image side in pixels."),
    "eval": SuiteKey("bool", "Score each cell after training."),
    "eval_samples": SuiteKey("int", "Generated samples scored."),
    "eval_real_samples": SuiteKey("int", "Real samples scored against (default: the FID split, at most 10,000)."),
    "eval_every": SuiteKey("int", "Also evaluate every N steps."),
    "extractor": SuiteKey("str", "Feature extractor for FID."),
    "extractor_options": SuiteKey("table", "Feature extractor options (--extractor-opt), e.g. {dim = 32}."),
    "metrics": SuiteKey("names", "Metrics to compute (--metrics; default: every default metric)."),
    "inception_weights": SuiteKey("path", "Local InceptionV3 weights file."),
    "tensorboard": SuiteKey("bool", "Write TensorBoard event files."),
    "executor": SuiteKey("choice", "Where cells run.", ("local", "ray")),
    "address": SuiteKey("str", "Ray cluster address (executor ray)."),
    "workers": SuiteKey("int", "Cells running at once (executor ray)."),
    "checkpoint_every": SuiteKey("int", "Save checkpoint.pt every N steps."),
    "channels_last": SuiteKey("bool", "Fast path: NHWC memory format."),
    "amp": SuiteKey("choice", "Fast path: mixed precision.", AMP_CHOICES),
    "compile": SuiteKey("bool", "Fast path: torch.compile."),
    # training seams (ganbench.training): registered names and their options
    "optimizer_g": SuiteKey("str", "Generator optimiser (adam, adamw, rmsprop, sgd, ...)."),
    "optimizer_d": SuiteKey("str", "Discriminator optimiser."),
    "optimizer_g_options": SuiteKey("table", "Generator optimiser options (--optimizer-g-opt)."),
    "optimizer_d_options": SuiteKey("table", "Discriminator optimiser options (--optimizer-d-opt)."),
    "schedule_g": SuiteKey("str", "Generator learning-rate schedule (constant, linear, cosine, ...)."),
    "schedule_d": SuiteKey("str", "Discriminator learning-rate schedule."),
    "schedule_g_options": SuiteKey("table", "Generator schedule options (--schedule-g-opt)."),
    "schedule_d_options": SuiteKey("table", "Discriminator schedule options (--schedule-d-opt)."),
    "training_step": SuiteKey("str", "Training step (alternating, ...)."),
    "training_step_options": SuiteKey("table", "Training step options (--training-step-opt)."),
    "vectorize_seeds": SuiteKey("bool", "Train each cell's seeds together as one batched model."),
    "cell_timeout": SuiteKey("float", "Seconds before a cell is stopped and recorded as 'timeout'."),
}
ALIASES = {
    "plugins": "variants",
    "dataset": "datasets",
    "gen_opt": "generator_options",
    "disc_opt": "discriminator_options",
    "loss_opt": "loss_options",
    "optimizer_g_opt": "optimizer_g_options",
    "optimizer_d_opt": "optimizer_d_options",
    "schedule_g_opt": "schedule_g_options",
    "schedule_d_opt": "schedule_d_options",
    "training_step_opt": "training_step_options",
    "data_opt": "data_options",
    "extractor_opt": "extractor_options",
}
TRAIN_KEYS = (
    "steps", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "d_steps", "log_every", "warmup_steps", "ema", "ema_start",
)  # fmt: skip
"""Keys that are :class:`~ganbench.engine.config.TrainConfig` overrides."""
SEAM_KEYS = tuple(k for name in SEAM_NAMES for k in (name, f"{name}_options"))
"""Training-seam keys (optimisers, schedules, training step): TrainConfig overrides too."""


def canonical_key(key: str) -> str:
    key = key.strip().replace("-", "_")
    return ALIASES.get(key, key)


def _names(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


MAX_SEEDS = 1000
"""Seeds one invocation may name: a typo like ``0-100000000`` is refused at once instead of planning for hours."""


def check_seed_count(count: int, text: object) -> None:
    if count > MAX_SEEDS:
        raise UserError(f"seeds {text!r} name {count:,} seeds; at most {MAX_SEEDS:,} are allowed in one run")


def int_ranges(text: str) -> list[int] | None:
    """``"0,3,5-7"`` -> ``[0, 3, 5, 6, 7]`` (``A-B`` is inclusive); ``None`` when malformed.

    More than :data:`MAX_SEEDS` values is a :class:`UserError`, checked before any range is expanded.
    """
    out: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, dash, last = part.partition("-")
        try:
            if dash and first.strip():
                lo, hi = int(first), int(last)
                if hi < lo:
                    return None
                check_seed_count(len(out) + hi - lo + 1, text)
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError:
            return None
    return out


def _ints(value: Any) -> list[int] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        return int_ranges(value)
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        check_seed_count(len(value), f"[{value[0]}, ...]" if value else "[]")
        return list(value)
    return None


_CHECKS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "str": ("a string", lambda v: v if isinstance(v, str) else None),
    "int": ("an integer", lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None),
    "float": (
        "a number",
        lambda v: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None,
    ),
    "bool": ("true or false", lambda v: v if isinstance(v, bool) else None),
    "names": ("a list of names (or one comma-separated string)", _names),
    "ints": ("a list of integers", _ints),
    "table": ("a table, e.g. {hidden = 256}", lambda v: dict(v) if isinstance(v, dict) else None),
    "path": ("a path string", lambda v: v if isinstance(v, str) else None),
    "choice": ("one of", lambda v: v if isinstance(v, str) else None),
}


def parse_suite(data: Mapping[str, Any], source: str = "suite", base: Path | None = None) -> dict[str, Any]:
    """Validate and normalise a parsed suite: canonical keys, lists as lists, paths resolved against ``base``."""
    out: dict[str, Any] = {}
    valid = ", ".join(sorted(SUITE_KEYS))
    for raw_key, value in data.items():
        key = canonical_key(raw_key)
        spec = SUITE_KEYS.get(key)
        if spec is None:
            raise SuiteError(f"unknown key {raw_key!r} in {source}; valid keys: {valid}")
        if key in out:
            raise SuiteError(f"{source}: {key!r} is given twice (as {raw_key!r} and an alias)")
        expected, check = _CHECKS[spec.kind]
        normalised = check(value)
        if normalised is None or (spec.kind == "choice" and normalised not in spec.choices):
            what = f"{expected} {', '.join(spec.choices)}" if spec.kind == "choice" else expected
            raise SuiteError(f"{source}: {raw_key} must be {what}, got {value!r}")
        if spec.kind == "path":
            path = Path(normalised).expanduser()
            normalised = path if path.is_absolute() or base is None else base / path
        out[key] = normalised
    return out


def load_suite(path: Path) -> dict[str, Any]:
    """Read and validate a suite file (TOML, parsed as data)."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SuiteError(f"suite file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise SuiteError(f"cannot read suite file {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(
            f"suite file {path} is not UTF-8 text (byte {exc.start} is 0x{exc.object[exc.start]:02x}); "
            "a suite is a UTF-8 TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path} is not valid TOML: {exc}") from None
    return parse_suite(data, source=str(path), base=path.resolve().parent)


def merge(cli: Mapping[str, Any], explicit: set[str], suite: Mapping[str, Any]) -> dict[str, Any]:
    """Option values: a flag given on the command line wins, then the suite file, then the flag's default."""
    merged = dict(cli)
    for key, value in suite.items():
        if key not in explicit:
            merged[key] = value
    return merged


def builtin_suites() -> dict[str, Path]:
    """The suites shipped in ``ganbench/suites`` (``ganbench run --suite NAME``)."""
    from ganbench.suites import shipped

    return shipped()


def builtin_suite(name: str) -> Path:
    suites = builtin_suites()
    if name not in suites:
        raise SuiteError(f"unknown suite {name!r}; valid choices: {', '.join(suites) or '(none)'}")
    return suites[name]
