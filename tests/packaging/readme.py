"""The README's code blocks, read the way a reader meets them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.packaging.layout import ROOT

README = ROOT / "README.md"
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(README.read_text(encoding="utf-8")) if lang == language]


def section(title: str) -> str:
    """The text of one ``##``/``###`` section, up to the next heading."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README has no section {title!r}"
    return match.group(1)


@dataclass(frozen=True)
class Command:
    line: str       # as typed, without its comment
    exit_code: int  # what its comment says it exits with (`# exit 3: ...`), else 0


def commands(block: str) -> list[Command]:
    """The command lines of a bash block, each with the exit code its comment promises."""
    found = []
    for raw in block.splitlines():
        line, _, comment = raw.partition(" #")
        if line.strip() and not line.lstrip().startswith("#"):
            code = re.match(r"\s*exit (\d+)", comment)
            found.append(Command(line.strip(), int(code.group(1)) if code else 0))
    return found


def python_cwd(block: str) -> str | None:
    """The project folder a Python block runs in when it is headed with one of its files
    (``# myproject/definitions.py``); None: it runs beside the projects."""
    first = block.lstrip().splitlines()[0]
    match = re.fullmatch(r"#\s*([\w.-]+)/[\w./-]+\.py\s*", first)
    return match.group(1) if match else None
