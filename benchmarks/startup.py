"""Start-up of the read-only commands and of ``run`` (issue 26's goals), in fresh processes.

    .venv/bin/python benchmarks/startup.py [--repeats 5] [--importtime] [--check]

Times, as the median of ``--repeats`` fresh processes each (wall clock, from launch):

* ``ganbench plugins`` (goal <= 2 s): loads every plugin; must import no torch;
* ``ganbench table`` on a 3-row run (goal <= 1.5 s): CSV/Parquet in, no torch;
* ``ganbench report`` on the same run (goal <= 4 s);
* ``ganbench run`` to its first training step (goal <= 4 s): from launch until the progress display
  is told about step 1 (``--log-every 1``, dcgan on ring8).

The 3-row run (dcgan, minibatch, infogan on ring8, 30 steps) is made once, untimed. ``--importtime``
also prints each command's heaviest imports (``python -X importtime``) and whether torch was imported.
The CPU model (``lscpu``) and the load average are printed with the numbers: they only mean
something on a quiet machine. ``--check`` exits 1 when a goal is missed. benchmarks/README.md
records the results.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS_S = {"plugins": 2.0, "table": 1.5, "report": 4.0, "run: first step": 4.0}

FIRST_STEP = """
import sys, time
import ganbench.cli.progress as progress
original = progress.RunProgress.log
def log(self, *args, **kwargs):
    if not getattr(progress, "first_step_seen", False):
        progress.first_step_seen = True
        print(f"FIRST_STEP {time.time():.6f}", file=sys.stderr, flush=True)
    return original(self, *args, **kwargs)
progress.RunProgress.log = log
from ganbench.cli import main
main(sys.argv[1:])
"""


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown CPU"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    name = fields.get("Model name", "unknown CPU").strip()
    return f"{name}, {fields.get('CPU(s)', '?').strip()} CPUs"


def ganbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "ganbench", *args]


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def first_step(cwd: Path, out: str) -> float:
    cmd = [sys.executable, "-c", FIRST_STEP, "run", "-p", "dcgan", "-d", "ring8", "--steps", "2", "--log-every", "1",
           "--no-eval", "--out", out, "--quiet", "--overwrite"]  # fmt: skip
    launched = time.time()
    done = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    stamp = next(line for line in done.stderr.splitlines() if line.startswith("FIRST_STEP "))
    return float(stamp.split()[1]) - launched


def heaviest_imports(cmd: list[str], cwd: Path, top: int = 6) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd[1:]], cwd=cwd, capture_output=True, text=True, check=True
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.strip()))
    names = {name for _, name in rows}
    rows.sort(reverse=True)
    heavy = ", ".join(f"{name} {us / 1e6:.2f}s" for us, name in rows[:top])
    return f"torch imported: {'torch' in names}; heaviest (cumulative): {heavy}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        subprocess.run(
            ganbench(
                "run",
                "-p",
                "dcgan,minibatch,infogan",
                "-d",
                "ring8",
                "--steps",
                "30",
                "--eval-samples",
                "500",
                "--out",
                "three",
                "--quiet",
            ),
            cwd=cwd,
            check=True,
            capture_output=True,
        )
        run_dir = str(cwd / "results" / "three")
        commands = {
            "plugins": ganbench("plugins"),
            "table": ganbench("table", run_dir),
            "report": ganbench("report", run_dir, "--out", str(cwd / "report")),
        }
        times: dict[str, list[float]] = {name: [] for name in [*commands, "run: first step"]}
        for _ in range(args.repeats):  # round-robin: load changes hit every command alike
            for name, cmd in commands.items():
                times[name].append(timed(cmd, cwd))
            times["run: first step"].append(first_step(cwd, "first-step"))
        print(f"{cpu_model()}; load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}")
        missed = []
        for name, values in times.items():
            median = statistics.median(values)
            ok = median <= GOALS_S[name]
            missed += [] if ok else [name]
            spread = f"{min(values):.2f}-{max(values):.2f}"
            verdict = "ok" if ok else "MISSED"
            print(f"  {name:<16} {median:6.2f} s median ({spread}), goal <= {GOALS_S[name]:.1f} s {verdict}")
            if args.importtime and name in commands:
                print(f"    {heaviest_imports(commands[name], cwd)}")
    if args.check and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
