"""``featureguard freshness``: age of the newest offline and online value per source and feature
view against each contract's ``max_age``; exit 1 when any SLA is breached.

Online values are read from the online store every command uses (REDIS_URL, a Cluster with
FEATUREGUARD_REDIS_TYPE=redis_cluster; else the private redis-server of FEATUREGUARD_HOME when
redis-server is installed); on SQLite, online freshness is reported as not checked.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import typer

from featureguard.cli.render import console, err_console, print_json

EXIT_OK, EXIT_BREACH, EXIT_USAGE = 0, 1, 2
_STYLE = {"fresh": "green", "stale": "red", "missing": "red", "no_sla": "dim", "not_checked": "yellow"}


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.0f} s"


def freshness(
    json: bool = typer.Option(False, "--json", help="Print JSON."),
    now: Optional[str] = typer.Option(None, help="Judge ages as of this ISO-8601 time (default: now)."),
    online: bool = typer.Option(True, "--online/--offline-only", help="Also read the online store (Redis)."),
) -> None:
    """Age of the newest offline and online value per source and feature view vs. its SLA."""
    from featureguard.freshness import freshness_report
    from featureguard.online_store_choice import choose_online_store

    try:
        at = datetime.fromisoformat(now.replace("Z", "+00:00")) if now else datetime.now(timezone.utc)
    except ValueError:
        err_console.print(f"[red]error:[/] --now {now!r} is not an ISO-8601 time")
        raise typer.Exit(EXIT_USAGE) from None
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    client, choice, note = None, None, "not asked (--offline-only)"
    try:
        if online:
            choice = choose_online_store(start_private=True)
            if choice.kind == "redis":
                client = choice.redis_client()
            note = choice.notice
        report = freshness_report(now=at, client=client, online_note=note)
    finally:
        if client is not None:
            client.close()
        if choice is not None:
            choice.close()
    breach = any(r.breach for r in report)
    if json:
        print_json({"now": at.isoformat(), "breach": breach, "views": [r.to_dict() for r in report]})
    else:
        _print(report, at)
    raise typer.Exit(EXIT_BREACH if breach else EXIT_OK)


def _print(report, at: datetime) -> None:
    from rich.table import Table

    table = Table(title=f"freshness as of {at:%Y-%m-%d %H:%M:%S %Z}", title_justify="left")
    for col in ("source", "view", "max age", "offline newest (age)", "online newest (age)"):
        table.add_column(col, overflow="fold")
    for r in report:
        cells = []
        for state in (r.offline, r.online):
            style = _STYLE[state.status]
            when = f"{state.newest:%Y-%m-%d %H:%M} ({_age(state.age_seconds)}) " if state.newest else ""
            cells.append(f"{when}[{style}]{state.status}[/]" + (f" — {state.detail}" if state.detail else ""))
        table.add_row(r.source, r.view or "-", _age(r.max_age_seconds), *cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(freshness)
