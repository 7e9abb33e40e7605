"""Keep docs/writing-plugins.md in step with the code it documents.

The hook reference, the registrar reference and the table of training options
are generated from ``ganbench/hookspecs.py``, ``ganbench.registrar.Registrar``
and ``ganbench.engine.config.TrainConfig`` into marked blocks of the document.
Besides comparing those blocks, the checker reads the whole document for
hand-written mentions: a hook call ``ganbench_xxx(`` or a registrar call
``.add_xxx(`` that does not exist is drift too.

    python tools/check_hook_docs.py           # check; exit 1 and list the problems on drift
    python tools/check_hook_docs.py --write   # regenerate the marked blocks in place
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import os
import re
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "writing-plugins.md"
BEGIN = "<!-- BEGIN GENERATED: {name} (python tools/check_hook_docs.py --write) -->"
END = "<!-- END GENERATED: {name} -->"
HOOK_CALL_RE = re.compile(r"\b(ganbench_[a-z0-9_]+)\(")
REGISTRAR_CALL_RE = re.compile(r"\.(add_[a-z0-9_]+)\(")
HOOK_HEADING_RE = re.compile(r"^### `(ganbench_[a-z0-9_]+)\((.*)\)`$", re.M)
REGISTRAR_HEADING_RE = re.compile(r"^### `registrar\.(add_[a-z0-9_]+)\((.*)\)`$", re.M)


# -- what the code defines -----------------------------------------------------
def hook_specs() -> dict[str, Callable[..., object]]:
    """Every hook specification, in definition order."""
    from ganbench import hookspecs

    functions = [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "ganbench_spec")]
    return {f.__name__: f for f in sorted(functions, key=lambda f: f.__code__.co_firstlineno)}


def registrar_methods() -> dict[str, Callable[..., object]]:
    """The registrar's public ``add_*`` methods, in definition order."""
    from ganbench.registrar import Registrar

    methods = [m for name, m in vars(Registrar).items() if name.startswith("add_") and callable(m)]
    return {m.__name__: m for m in sorted(methods, key=lambda m: m.__code__.co_firstlineno)}


def _parameters(function: Callable[..., object]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(function).parameters.values() if p.name != "self"]


def call_signature(function: Callable[..., object]) -> str:
    """``name, factory, *, description, data_kinds=('image',)``: the parameters as a caller writes them."""
    parts: list[str] = []
    star = False
    for p in _parameters(function):
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


# -- rendering -----------------------------------------------------------------
def rst_to_markdown(docstring: str) -> str:
    """The small rST subset our docstrings use: ``code``, :role:`x`, and ``::`` literal blocks."""
    text = inspect.cleandoc(docstring)
    text = re.sub(r":(?:class|func|data|mod|meth|attr):`~?([^`]+)`", r"`\1`", text)
    text = text.replace("``", "`")
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1] if line.strip() != "::" else "")
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["", "```python", *textwrap.dedent("\n".join(block)).strip("\n").splitlines(), "```", ""]
            continue
        out.append(line)
        i += 1
    return "\n".join(out).strip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_hooks() -> str:
    chunks = []
    for name, spec in hook_specs().items():
        params = _parameters(spec)
        rows = "\n".join(f"| `{p.name}` | `{_cell(str(p.annotation))}` |" for p in params)
        chunks.append(
            f"### `{name}({call_signature(spec)})`\n\n"
            f"| argument | type |\n|---|---|\n{rows}\n\n"
            f"{rst_to_markdown(spec.__doc__ or '')}"
        )
    return "\n".join(chunks)


def render_registrar() -> str:
    chunks = []
    for name, method in registrar_methods().items():
        rows = []
        for p in _parameters(method):
            default = "required" if p.default is inspect.Parameter.empty else f"`{_cell(repr(p.default))}`"
            keyword = " (keyword)" if p.kind is inspect.Parameter.KEYWORD_ONLY else ""
            rows.append(f"| `{p.name}`{keyword} | `{_cell(str(p.annotation))}` | {default} |")
        chunks.append(
            f"### `registrar.{name}({call_signature(method)})`\n\n"
            f"| parameter | type | default |\n|---|---|---|\n" + "\n".join(rows) + "\n\n"
            f"{rst_to_markdown(method.__doc__ or '')}"
        )
    return "\n".join(chunks)


def train_option_meanings() -> dict[str, str]:
    """Each ``TrainConfig`` field's attribute docstring (the string right after it), read from the source."""
    from ganbench.engine import config

    tree = ast.parse(Path(config.__file__).read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TrainConfig")
    meanings: dict[str, str] = {}
    for node, after in zip(cls.body, [*cls.body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            doc = after.value.value if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) else ""
            meanings[node.target.id] = " ".join(str(doc).split())
    return meanings


def _default(f: dataclasses.Field) -> object:
    """A field's default, also when it comes from a ``default_factory`` (the options tables: ``{}``)."""
    return f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]


def render_train_options() -> str:
    from ganbench.engine.config import TrainConfig

    meanings = train_option_meanings()
    rows = [
        f"| `{f.name}` | `{_default(f)!r}` | {_cell(rst_to_markdown(meanings.get(f.name, '')).strip())} |"
        for f in dataclasses.fields(TrainConfig)
    ]
    return "| key | default | meaning |\n|---|---|---|\n" + "\n".join(rows) + "\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "hooks": render_hooks,
    "registrar": render_registrar,
    "train-options": render_train_options,
}


# -- checking ------------------------------------------------------------------
def _block_span(text: str, name: str) -> tuple[int, int] | None:
    begin, end = BEGIN.format(name=name), END.format(name=name)
    start = text.find(begin)
    stop = text.find(end, start + 1) if start >= 0 else -1
    if start < 0 or stop < 0:
        return None
    return start + len(begin), stop


def regenerate(text: str) -> str:
    """``text`` with every generated block replaced by a fresh rendering."""
    for name, render in BLOCKS.items():
        span = _block_span(text, name)
        if span is None:
            markers = f"{BEGIN.format(name=name)} ... {END.format(name=name)}"
            raise SystemExit(f"{DOC}: block {name!r} needs the markers {markers}")
        text = text[: span[0]] + "\n\n" + render().strip() + "\n\n" + text[span[1] :]
    return text


def problems(text: str) -> list[str]:
    """Every way ``text`` disagrees with the code; empty when the document is in step."""
    found: list[str] = []
    for name, render in BLOCKS.items():
        span = _block_span(text, name)
        if span is None:
            found.append(f"block {name!r} is missing its markers")
        elif text[span[0] : span[1]].strip() != render().strip():
            found.append(f"block {name!r} is out of date: run python tools/check_hook_docs.py --write")

    for name, meaning in train_option_meanings().items():
        if not meaning:
            found.append(f"train option {name} has no docstring in TrainConfig (the table needs its meaning)")

    hooks = hook_specs()
    documented_hooks = {m.group(1): m.group(2) for m in HOOK_HEADING_RE.finditer(text)}
    for name, spec in hooks.items():
        if name not in documented_hooks:
            found.append(f"hook {name} is not documented")
            continue
        args = [a.strip() for a in documented_hooks[name].split(",") if a.strip()]
        for p in _parameters(spec):
            if p.name not in args:
                found.append(f"argument {p.name!r} of hook {name} is not documented")
    for name in sorted(set(documented_hooks) - set(hooks)):
        found.append(f"the document describes hook {name}, which is not in ganbench/hookspecs.py")
    for name in sorted({m.group(1) for m in HOOK_CALL_RE.finditer(text)} - set(hooks)):
        found.append(f"the document calls {name}(...), which is not a hook in ganbench/hookspecs.py")

    methods = registrar_methods()
    documented_methods = {m.group(1): m.group(2) for m in REGISTRAR_HEADING_RE.finditer(text)}
    for name, method in methods.items():
        if name not in documented_methods:
            found.append(f"Registrar.{name} is not documented")
        elif documented_methods[name] != call_signature(method):
            actual = call_signature(method)
            found.append(f"Registrar.{name} is documented as ({documented_methods[name]}), but is ({actual})")
    for name in sorted(set(documented_methods) - set(methods)):
        found.append(f"the document describes Registrar.{name}, which does not exist")
    for name in sorted({m.group(1) for m in REGISTRAR_CALL_RE.finditer(text)} - set(methods)):
        found.append(f"the document calls .{name}(...), which is not a Registrar method")
    return found


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the marked blocks in place")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    if args.write:
        new = regenerate(text)
        if new != text:
            _write_atomic(args.doc, new)
            print(f"updated {args.doc}")
    found = problems(args.doc.read_text(encoding="utf-8"))
    for problem in found:
        print(f"{args.doc}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
