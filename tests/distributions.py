"""Build throwaway installed distributions (a module plus a dist-info with entry points).

``importlib.metadata`` discovers them on ``sys.path`` exactly as it discovers a
pip-installed package, so the registry's real entry-point path is exercised.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


def make_distribution(
    site: Path,
    dist_name: str,
    module_name: str,
    source: str,
    *,
    version: str = "1.0",
    entry_name: str | None = None,
) -> Path:
    """Write ``module_name.py`` and ``<dist>-<version>.dist-info`` into ``site``; return ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module_name}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist_name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ganbench]\n{entry_name or module_name} = {module_name}\n")
    return site
