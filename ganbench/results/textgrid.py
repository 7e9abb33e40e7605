"""Aligned plain-text grids that fit a terminal's width, for the tables ``ganbench table`` prints.

Nothing is dropped to fit: a grid too wide is split into stacked parts that repeat its key columns, and
long lines of prose are wrapped.
"""

from __future__ import annotations

import textwrap


def aligned(header: list[str], body: list[list[str]]) -> list[str]:
    """Left-aligned columns two spaces apart, a dashed rule under the header."""
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body)
    return lines


def fitted(header: list[str], body: list[list[str]], width: int | None, keys: int) -> list[str]:
    """An aligned grid within ``width`` columns: the first ``keys`` columns on every part, the others
    packed into as many stacked parts as needed (nothing is dropped); one part when ``width`` is None."""
    if width is None:
        return aligned(header, body)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    key_width = sum(widths[:keys]) + 2 * keys
    parts: list[list[int]] = []
    for i in range(keys, len(header)):
        if parts and key_width + sum(widths[j] + 2 for j in parts[-1]) + widths[i] <= width:
            parts[-1].append(i)
        else:
            parts.append([i])
    out: list[str] = []
    for n, part in enumerate(parts or [[]]):
        cols = list(range(keys)) + part
        if n:
            out.append("")
        out.extend(line[:width] for line in aligned([header[c] for c in cols], [[r[c] for c in cols] for r in body]))
    return out


def wrapped(lines: list[str], width: int | None) -> list[str]:
    """Each line wrapped to ``width`` (continuations indented by two spaces); unchanged when ``width`` is None."""
    if width is None:
        return lines
    return [w for line in lines for w in textwrap.wrap(line, width, subsequent_indent="  ") or [""]]
