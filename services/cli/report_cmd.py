"""``featureguard report BATCH_ID``: the batch report of an ingest, as JSON or as an HTML page.

Every ingest saves ``<receipts>/<batch_id>.report.json`` beside its receipt; ``--format html``
renders ``<batch_id>.report.html`` there too (``--open`` opens it in the browser). A unique
prefix of the batch id is enough; anything but hex is refused, so no argument (and nothing inside
a report) can name a file outside the receipts folder. Exit 2 when the argument is not a batch
id or no single report matches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from featureguard.cli.render import print_json

EXIT_NOT_FOUND = 2


def report(
    batch_id: str = typer.Argument(..., help="Batch id from the receipt (a unique prefix is enough)."),
    format: str = typer.Option("html", "--format", "-f", help="html (write the page) or json (print)."),
    open_: bool = typer.Option(False, "--open", help="Open the HTML report in the default browser."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of beside the receipt."),
) -> None:
    """Find the report of a batch and print (json) or render (html) it."""
    from featureguard.cli.failures import say
    from featureguard.reports.store import InvalidBatchId, ReportNotFound, dumps, find_report, load_report, write_html

    if format not in ("html", "json"):
        say("--format must be html or json")
        raise typer.Exit(EXIT_NOT_FOUND)
    try:
        found_id, path = find_report(batch_id)
        data = load_report(path)
    except (ReportNotFound, InvalidBatchId) as exc:
        say(str(exc))
        raise typer.Exit(EXIT_NOT_FOUND) from None
    if format == "json" and not open_:
        if output:
            output.write_bytes(dumps(data))
        else:
            print_json(data)
        return
    page = write_html(data, output, batch_id=found_id)  # named by the file it was found as, never its content
    print(page)  # plain: a path must never be wrapped
    if open_:
        import webbrowser

        webbrowser.open(page.resolve().as_uri())


def write_validation_report(report, path: Path) -> Path:
    """``validate --report PATH``: the report of a validation (.html renders the page, else JSON)."""
    from featureguard.reports.store import dumps, write_html

    data = report.report()
    if path.suffix.lower() in (".html", ".htm"):
        return write_html(data, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(data))
    return path


def register(app: typer.Typer) -> None:
    app.command()(report)
