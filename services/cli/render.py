"""Human-readable output of reports and receipts (the --json flag prints the raw objects).

On a terminal, rich lays output out to the window as usual. Anywhere else (a pipe, a file, a CI
log) a line of output is a line of the message: nothing is wrapped, folded or cropped to a width,
whatever COLUMNS says, so scripts and logs see each message whole however long its paths are.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import orjson
from rich.console import Console, ConsoleDimensions
from rich.table import Table

#: The layout width off a terminal: tables take their natural width, text is never wrapped.
UNBOUNDED = 1_000_000
#: Decoration that fills the width (``rule``) gets a nominal width off a terminal.
NOMINAL = 80


class OutputConsole(Console):
    """A rich Console that never wraps, folds or crops when it does not write to a terminal.

    Decided per call, not at construction, because the stream may be swapped (tests, redirection)."""

    @property  # type: ignore[override]
    def size(self) -> ConsoleDimensions:
        dims = Console.size.fget(self)  # type: ignore[attr-defined]
        return dims if self.is_terminal else ConsoleDimensions(UNBOUNDED, dims.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if not self.is_terminal and kwargs.get("soft_wrap") is None:
            kwargs["soft_wrap"] = True
        super().print(*objects, **kwargs)

    def rule(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if self.is_terminal:
            return super().rule(*args, **kwargs)
        from rich.rule import Rule

        self.print(Rule(*args, **kwargs), width=NOMINAL)


console = OutputConsole()
err_console = OutputConsole(stderr=True)

#: ANSI escape sequences (CSI: colours, cursor moves) as colorama writes them
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


class _PlainStream:
    """A text stream that drops ANSI escape sequences from what is written to it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(_ANSI.sub("", text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def plain_output() -> Iterator[None]:
    """Off a terminal, strip the colour codes that third-party code prints (Feast styles its
    materialization messages with colorama whatever the stream), so logs and CI output stay text."""
    saved = sys.stdout, sys.stderr
    if not _is_tty(sys.stdout):
        sys.stdout = _PlainStream(sys.stdout)  # type: ignore[assignment]
    if not _is_tty(sys.stderr):
        sys.stderr = _PlainStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def print_json(obj: Any) -> None:
    print(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str).decode())


def _examples(examples: list[dict]) -> str:
    return ", ".join(f"row {e.get('row')}: {e.get('value')!r}" for e in examples)


def errors_table(errors: list[dict], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("column", "check", "rows", "examples / detail"):
        table.add_column(name, overflow="fold")
    for e in errors:
        detail = e.get("message") or ""
        examples = _examples(e.get("examples", []))
        table.add_row(str(e.get("column") or "-"), e["check"], str(e.get("count", 0)),
                      "; ".join(x for x in (detail, examples) if x))
    return table


def print_validation(report: dict) -> None:
    style = {"valid": "green", "invalid": "red", "unreadable": "red"}[report["status"]]
    console.print(
        f"[bold]{report['source']}[/] (contract {report['contract_version']}) {report.get('file_name')}: "
        f"[{style}]{report['status']}[/] — {report['received']} rows, {report['valid']} valid, "
        f"{report['invalid']} invalid"
    )
    if report["errors"]:
        console.print(errors_table(report["errors"], "failing checks"))


def print_receipt(receipt: dict) -> None:
    style = {"accepted": "green", "partial": "yellow", "rejected": "red"}[receipt["status"]]
    again = " (already ingested: original receipt)" if receipt.get("duplicate") else ""
    console.print(
        f"[bold]{receipt['source']}[/] batch {receipt['batch_id']}: [{style}]{receipt['status']}[/]{again} — "
        f"received {receipt['received']}, accepted {receipt['accepted']}, quarantined {receipt['quarantined']}"
    )
    if receipt.get("quarantine_path"):
        console.print(f"quarantine: {receipt['quarantine_path']}")
    if receipt["errors"]:
        console.print(errors_table(receipt["errors"], "failing checks"))
