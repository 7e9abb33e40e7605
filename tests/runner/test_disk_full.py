"""A run into a full disk: one line, finished cells intact, no temporary files, and ``--resume`` finishes it.

The real test mounts a small tmpfs as ``--results-dir`` (root only; skipped
elsewhere) and frees space by remounting it bigger. The simulated one makes
``fsync`` report ``ENOSPC`` from the third cell on, which any machine can run.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest

from ganbench.cli import main
from ganbench.results import atomic

CELLS = ("--plugins", "dcgan", "--dataset", "ring8", "--seeds", "0,1,2,3", "--steps", "10", "--batch-size", "16")


def run_cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code, capsys.readouterr().err


def temporary_files(root: Path) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith((".tmp", ".part"))]


def statuses(run_dir: Path) -> dict[str, str]:
    return {p.parent.name: json.loads(p.read_text())["status"] for p in run_dir.glob("*/metrics.json")}


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of a few MB; ``resize(size)`` remounts it (keeping its files) to free space."""
    path = tmp_path / "disk"
    path.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)

    yield path, resize
    subprocess.run(["umount", "--lazy", str(path)], check=True)  # a traceback kept by pytest may hold a file


def assert_stopped_cleanly(code: int, err: str, run_dir: Path) -> dict[str, str]:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "disk full" in lines[0] and str(run_dir) in lines[0] and f"--resume {run_dir}" in lines[0], err
    assert temporary_files(run_dir) == []
    done = statuses(run_dir)
    assert 0 < len(done) < 4 and set(done.values()) == {"ok"}, done  # finished cells intact, nothing half-recorded
    return done


@pytest.mark.parametrize(
    ("size", "extra"),
    [("2m", ()), ("8m", ("--checkpoint-every", "5"))],  # 8m: a 3 MB checkpoint, replaced atomically, fits once
    ids=["plain", "checkpoints"],
)
def test_full_tmpfs_stops_with_one_line_and_resume_finishes(small_disk, capsys, size, extra):
    disk, resize = small_disk
    resize(size)
    run_dir = disk / "r"
    code, err = run_cli(capsys, "run", *CELLS, *extra, "--no-eval", "--results-dir", str(disk), "--out", "r", "-q")
    done = assert_stopped_cleanly(code, err, run_dir)
    kept = {cell: (run_dir / cell / "metrics.json").read_bytes() for cell in done}

    resize("64m")
    code, err = run_cli(capsys, "run", "--resume", str(run_dir), "-q")
    assert code == 0, err
    assert set(statuses(run_dir).values()) == {"ok"} and len(statuses(run_dir)) == 4
    assert {cell: (run_dir / cell / "metrics.json").read_bytes() for cell in done} == kept
    assert temporary_files(run_dir) == []


def test_simulated_enospc_stops_with_one_line_and_resume_finishes(tmp_path, capsys, monkeypatch):
    """``fsync`` fails with ENOSPC once two cells have written their rows."""
    real_fsync, rows_written = os.fsync, []

    def fsync(fd: int) -> None:
        if len(rows_written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    real_write_json = atomic.write_json

    def write_json(path, obj):
        real_write_json(path, obj)
        if Path(path).name == "metrics.json":
            rows_written.append(path)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic, "write_json", write_json)
    run_dir = tmp_path / "r"
    code, err = run_cli(capsys, "run", *CELLS, "--no-eval", "--results-dir", str(tmp_path), "--out", "r", "-q")
    assert set(assert_stopped_cleanly(code, err, run_dir)) == {"dcgan-ring8-s0", "dcgan-ring8-s1"}
    assert "No space left on device" in err

    monkeypatch.undo()
    code, err = run_cli(capsys, "run", "--resume", str(run_dir), "-q")
    assert code == 0, err
    assert statuses(run_dir) == {f"dcgan-ring8-s{seed}": "ok" for seed in range(4)}
