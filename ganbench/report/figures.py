"""An image the report shows: its bytes, type and the asset name the Markdown report links to."""

from __future__ import annotations

from dataclasses import dataclass

_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def image_mime(data: bytes) -> str | None:
    """MIME type from the file's magic bytes; None for anything a browser may not display."""
    for magic, mime in _MAGIC.items():
        if data.startswith(magic):
            return mime
    return None


@dataclass
class ReportFigure:
    title: str
    data: bytes
    mime: str
    asset_name: str
    """File name used by the Markdown report (written next to it in ``report_assets/``)."""
    kind: str = "plot"
    """``plot`` (summary), ``curves`` (training curves) or ``sample`` (an image the run wrote)."""
