"""Open the HTML report in headless Chromium: the table renders, every image decodes, injected markup stays text.

The page's own inline script records ``data-images-loaded="ok/total"`` on
<body> at window.load (img.complete && naturalWidth > 0); ``--dump-dom``
serialises the DOM after ``--virtual-time-budget`` lets that script run.
Skipped when no Chromium is installed (Debian: ``apt-get install -y chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ganbench.report import write_report

from .fixtures import EVIL, make_results

CHROMIUM = next((p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install -y chromium)")

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--virtual-time-budget=10000",
]  # fmt: skip


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_report_renders_in_chromium(tmp_path: Path):
    results = make_results(tmp_path / "run", ("infogan", EVIL), ("ring8", "mnist"), (0, 1),
                           statuses={("infogan", "mnist", 1): "diverged"})  # fmt: skip
    _, html_path = write_report(results, tmp_path / "out")
    expected_images = html_path.read_text(encoding="utf-8").count("<img ")
    assert expected_images > 10

    proc = _chromium(["--dump-dom", html_path.resolve().as_uri()], tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:2000]
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))
    # the status script ran (so the CSP hash matches) and every image decoded
    assert attrs.get("data-images-loaded") == f"{expected_images}/{expected_images}", attrs
    # only the page's own script exists: the variant named <script>... is text, not an element
    assert attrs.get("data-script-count") == "1"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert len(re.findall(r"<script", dom)) == 1
    # the tables rendered with their rows
    summary = dom.split('<table class="results summary">')[1].split("</table>")[0]
    assert summary.count("<tr>") == 1 + 4
    assert "1/2 ok, 1 diverged" in summary


def test_screenshot(tmp_path: Path):
    """A screenshot renders (a human looked at one while writing this; here: non-empty and not blank)."""
    from PIL import Image

    results = make_results(tmp_path / "run", ("dcgan",), ("ring8",), (0, 1))
    _, html_path = write_report(results, tmp_path / "out")
    shot = tmp_path / "shot.png"
    proc = _chromium(["--window-size=1200,1600", f"--screenshot={shot}", html_path.resolve().as_uri()],
                     tmp_path / "profile")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1200, 1600)
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, tables and plots, not a blank page


def _body_attrs(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:2000]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))


def _check_layout(html_path: Path, profile: Path) -> tuple[str, dict[str, str]]:
    """Load the page at 1280 px: every image decodes, nothing overflows sideways."""
    expected_images = html_path.read_text(encoding="utf-8").count("<img ")
    proc = _chromium(["--window-size=1280,900", "--dump-dom", html_path.resolve().as_uri()], profile)
    assert proc.returncode == 0, proc.stderr[-2000:]
    attrs = _body_attrs(proc.stdout)
    assert attrs.get("data-images-loaded") == f"{expected_images}/{expected_images}", attrs
    assert int(attrs["data-scroll-width"]) <= 1280, attrs  # document.documentElement.scrollWidth
    assert int(attrs["data-fit-overflow"]) <= 0, attrs  # the summary and leaderboard do not scroll sideways
    return proc.stdout, attrs


@pytest.mark.slow
def test_report_of_the_make_run_job_renders_in_chromium(tmp_path: Path):
    """The done-when check: `make run`'s job (3 variants on ring8), 2 seeds, --eval-every, fewer steps.
    The report shows overlaid curves, the leaderboard, samples beside real data, labelled traversals,
    collapsible metric definitions and the invocation as key-value lines, at 1280 px without overflow."""
    from ganbench.cli import main

    with pytest.raises(SystemExit) as info:
        main([
            "run", "--plugins", "dcgan,minibatch,infogan", "--dataset", "ring8", "--steps", "60", "--seeds", "0,1",
            "--eval-every", "30", "--eval-samples", "500", "--results-dir", str(tmp_path), "--out", "make-run",
            "--quiet",
        ])  # fmt: skip
    assert info.value.code == 0
    _, html_path = write_report(tmp_path / "make-run")
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<img ") >= 1 + 1 + 3 + 1  # curves, real data, a sample per variant, InfoGAN's traversal
    dom, attrs = _check_layout(html_path, tmp_path / "profile")
    assert int(attrs["data-min-sample-width"]) >= 256, attrs  # side-by-side samples are readable
    summary = dom.split('<table class="results summary">')[1].split("</table>")[0]
    board = dom.split('<table class="leaderboard">')[1].split("</table>")[0]
    for variant in ("dcgan", "minibatch", "infogan"):
        assert f">{variant}<" in summary
        # 60 steps leave every variant far below the perfect sampler's hq_fraction: flagged, not ranked as trained
        assert f">{variant} untrained?<" in board
    assert '<tr class="context"><td>(reference)</td>' in board  # the perfect sampler's row the flag is read against
    # bold only where one interval is clear of the others' (unit-tested in test_report_compare); the legend says so
    assert "none when intervals overlap" in dom.split('<ul class="leaderboard-legend">')[1].split("</ul>")[0]
    section = dom.split('<section class="dataset" id="dataset-0">')[1].split("</section>")[0]
    assert "ring8: metric curves, variants overlaid" in section
    assert "real data · ring8" in section
    assert all(f"{v} · seed 0" in section for v in ("dcgan", "minibatch", "infogan"))
    assert "infogan · seed 0 · latent traversal" in section
    definitions = dom.split('<details class="definitions">')[1].split("</details>")[0]
    assert "<dt>hq_fraction</dt>" in definitions and "higher is better" in definitions
    invocation = dom.split('<div class="kv invocation">')[1].split("</div></div>")[0]
    assert invocation.count("<div>") >= 5 and '{"' not in invocation and '["' not in invocation


def test_synthetic_multi_dataset_report_fits_1280(tmp_path: Path):
    """Many variants and datasets, small images and a variant name that does not break: still no overflow,
    tiny sample grids upscaled to >= 256 px."""
    results = make_results(tmp_path / "run", ("dcgan", "minibatch", "infogan", "x" * 80), ("ring8", "mnist"),
                           (0, 1))  # fmt: skip
    for cell in results.iterdir():
        if cell.is_dir():
            (cell / "real.png").write_bytes((cell / "samples.png").read_bytes())
    _, html_path = write_report(results, tmp_path / "out")
    _, attrs = _check_layout(html_path, tmp_path / "profile")
    assert int(attrs["data-min-sample-width"]) >= 256, attrs
