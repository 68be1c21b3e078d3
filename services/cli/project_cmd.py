"""``featureguard init`` (a new project folder) and ``featureguard apply`` (check, then register).

``apply`` exits 1 when a contract check refuses the project (nothing is registered), 2 outside
a project, 4 when the store cannot be reached.
"""

from __future__ import annotations

from pathlib import Path

import typer

from featureguard.cli.render import console, err_console, print_json


def init(
    folder: Path = typer.Argument(Path("."), help="Folder to create the project in."),
    example: str = typer.Option("starter", "--example", help="starter (one source) or nycflights13 (the demo)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing project's files."),
) -> None:
    """Create a project: feature_store.yaml, a contract, its view and service, a sample batch."""
    from featureguard.project_init import init_project

    written = init_project(folder, example, force)
    for path in written:
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)
    console.print(f"next: cd {folder} and see README.md", highlight=False, soft_wrap=True)


def apply(json: bool = typer.Option(False, "--json", help="Print what changed as JSON.")) -> None:
    """Check the project's views against its contracts, then register them (like `feast apply`)."""
    from featureguard.cli.render import plain_output
    from featureguard.feast_store import open_store
    from featureguard.online_store_choice import choose_online_store
    from featureguard.project import current_project
    from featureguard.project_apply import ApplyRefused, apply_project

    project = current_project()
    choice = choose_online_store()
    try:
        with plain_output():
            result = apply_project(project, open_store(choice))
    except ApplyRefused as exc:
        if json:
            print_json({"refused": True, "findings": [f.to_dict() for f in exc.findings]})
        for finding in exc.findings:
            err_console.print(f"[red]refused[/] {finding.source} ({finding.area}): {finding.message}",
                              highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        choice.close()
    if json:
        print_json(result.to_dict())
        return
    for verb, keys in (("added", result.added), ("changed", result.changed), ("removed", result.removed)):
        for key in keys:
            console.print(f"{verb:>8} {key}", highlight=False, soft_wrap=True)
    if result.published:
        console.print(f"published: {', '.join(result.published)}", highlight=False, soft_wrap=True)
    if result.defaulted:
        console.print(f"default views for: {', '.join(result.defaulted)}", highlight=False, soft_wrap=True)
    console.print(f"applied project {project.name}: {len(result.added)} added, {len(result.changed)} changed, "
                  f"{len(result.removed)} removed, {len(result.unchanged)} unchanged", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(apply)
