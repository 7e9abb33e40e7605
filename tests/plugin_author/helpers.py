"""Shared by the plugin-author tests: real pip installs into throwaway site dirs, and the CLI in a subprocess.

Packages are installed with ``pip install --target`` into a temporary
directory that only the subprocesses see (through ``PYTHONPATH``), so the
shared virtualenv and any test running beside these stay untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ganbench-extra-losses"
EXAMPLE_DISTRIBUTION = "ganbench-extra-losses"
_BUILD_LITTER = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache")


def pip_install(*sources: Path, site: Path, workdir: Path) -> Path:
    """Build and install ``sources`` into ``site`` offline, in one pip call; return ``site``.

    Each source is copied first so that setuptools' in-tree ``build/`` and
    ``*.egg-info`` litter lands in ``workdir``, not in the repository.
    ``--no-build-isolation`` uses this environment's setuptools instead of
    downloading one; ``--no-index`` makes sure nothing is fetched.
    """
    copies = []
    for source in sources:
        copies.append(workdir / source.name)
        shutil.copytree(source, copies[-1], ignore=_BUILD_LITTER)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
        "--disable-pip-version-check", "--target", str(site), *map(str, copies),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    names = ", ".join(s.name for s in sources)
    assert result.returncode == 0, f"pip install {names} failed:\n{result.stdout}\n{result.stderr}"
    return site


def subprocess_env(*sites: Path, **extra: str) -> dict[str, str]:
    """The environment for a child process that sees ``sites`` (and nothing set by an outer GANBENCH_* variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANBENCH_")}
    paths = [str(s) for s in sites] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("OMP_NUM_THREADS", "1")  # tiny models: one thread avoids oversubscribing a shared CI box
    env.update(extra)
    return env


def run_ganbench(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ganbench", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )
