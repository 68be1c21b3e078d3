"""``featureguard contracts ...``: list, show, diff, check, lock (record), export, infer and import featureguard.contracts.

None of these import Feast except ``check``, and only for its feature-view comparison (skip it
with ``--no-feast``). Exit codes: 0 fine; 1 a change violates the mode, a check fails, or the
lock refuses a version; 2 unreadable input or unknown source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from featureguard.cli.render import console, err_console, print_json

contracts_app = typer.Typer(add_completion=False, no_args_is_help=True,
                            help="Contract versions, compatibility, exports and the version lock.")

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_STYLE = {"breaking": "red", "compatible": "green", "info": "dim"}


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err_console.print(f"[red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _lock_path(lock: Optional[Path]) -> Path:
    from featureguard.contracts.versions import default_lock_path

    return lock or default_lock_path()


def _contract(source: str):
    from featureguard.contracts import UnknownSourceError, get_contract

    try:
        return get_contract(source)
    except UnknownSourceError as exc:
        raise _fail(str(exc)) from None


@contracts_app.command("list")
def list_(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every source with its contract version, mode, keys and recorded versions."""
    from rich.table import Table

    from featureguard.contracts import get_contract, list_sources
    from featureguard.contracts.versions import read_lock, versions

    lock = read_lock()
    rows = []
    for name in list_sources():
        c = get_contract(name)
        rows.append({"source": name, "version": c.version, "compatibility": c.compatibility, "owner": c.owner,
                     "entity_columns": list(c.entity_columns), "timestamp_column": c.timestamp_column,
                     "max_age_seconds": c.max_age.total_seconds() if c.max_age else None,
                     "recorded_versions": versions(lock, name)})
    if json:
        print_json(rows)
        return
    table = Table(title="contracts", title_justify="left")
    for col in ("source", "version", "mode", "keys", "event time", "max age", "recorded"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source"], r["version"], r["compatibility"], ", ".join(r["entity_columns"]),
                      r["timestamp_column"], "-" if r["max_age_seconds"] is None else f"{r['max_age_seconds']:.0f} s",
                      ", ".join(r["recorded_versions"]) or "-")
    console.print(table)


@contracts_app.command()
def show(source: str = typer.Argument(..., help="Source name."),
         json: bool = typer.Option(False, "--json", help="Print the snapshot as JSON.")) -> None:
    """One contract: its rules in words (or its full snapshot with --json)."""
    from rich.table import Table

    from featureguard.contracts.describe import rules
    from featureguard.contracts.snapshot import snapshot

    contract = _contract(source)
    if json:
        print_json(snapshot(contract))
        return
    console.print(f"[bold]{contract.name}[/] {contract.version} ({contract.compatibility}) — {contract.description}")
    console.print(f"owner {contract.owner}; keys {', '.join(contract.entity_columns)}; "
                  f"event time {contract.timestamp_column}; ttl {contract.feature_ttl}; max age {contract.max_age}")
    table = Table(title_justify="left")
    for col in ("column", "check", "expected"):
        table.add_column(col, overflow="fold")
    for rule in rules(contract):
        table.add_row(rule["column"] or "(frame)", rule["check"], rule["expected"])
    console.print(table)


@contracts_app.command()
def diff(
    old: str = typer.Argument(..., help="weather, weather@1.0.0, a .py/.yaml/.json file, or REV:PATH (HEAD~1:weather)."),
    new: str = typer.Argument(..., help="Same forms as OLD."),
    mode: Optional[str] = typer.Option(None, help="BACKWARD, FORWARD, FULL or NONE (default: OLD's mode)."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
    lock: Optional[Path] = typer.Option(None, help="Version lock to read SOURCE@VERSION from."),
) -> None:
    """Every change from OLD to NEW with its class and reason; exit 1 when the mode is violated."""
    from featureguard.contracts.compat import diff as diff_versions
    from featureguard.contracts.snapshot import facts
    from featureguard.contracts.specs import SpecError, resolve

    try:
        a, b = resolve(old, _lock_path(lock)), resolve(new, _lock_path(lock))
        before, after = facts(a.snapshot), facts(b.snapshot)
        if before.name != after.name:
            raise SpecError(f"{old} is a {before.name!r} contract, {new} a {after.name!r} one: "
                            "diff compares two versions of one source")
        result = diff_versions(before, after, mode)
    except (SpecError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if json:
        print_json({**result.to_dict(), "old": a.label, "new": b.label})
    else:
        _print_diff(result, a.label, b.label)
    raise typer.Exit(EXIT_FAIL if result.violates_mode else EXIT_OK)


def _print_diff(result, old_label: str, new_label: str) -> None:
    from rich.table import Table

    console.print(f"[bold]{result.source}[/] {result.old_version} ({old_label}) -> {result.new_version} "
                  f"({new_label}), mode {result.mode}, {result.bump} version bump")
    if not result.changes:
        console.print("no changes")
        return
    table = Table(title_justify="left")
    for col in ("class", "change", "subject", "old -> new", "reason"):
        table.add_column(col, overflow="fold")
    for c in result.changes:
        klass = c.klass(result.mode)
        table.add_row(f"[{_STYLE[klass]}]{klass}[/]", c.kind, c.subject, f"{c.old!r} -> {c.new!r}", c.reason)
    console.print(table)
    verdict = ("[red]violates the mode[/]" + (" (allowed: major version bump)" if result.allowed else "")
               if result.violates_mode else "[green]compatible[/]")
    console.print(verdict)


@contracts_app.command()
def check(
    json: bool = typer.Option(False, "--json", help="Print JSON."),
    lock: Optional[Path] = typer.Option(None, help="Version lock (default: the project's contracts/versions.lock.json)."),
    feast: bool = typer.Option(True, "--feast/--no-feast", help="Compare the Feast feature views (imports Feast)."),
) -> None:
    """Contracts vs. the version lock, the Feast views and the stored offline data; exit 1 on any failure."""
    from featureguard.contracts import get_contract, list_sources
    from featureguard.contracts.repo_check import check_lock, check_offline
    from featureguard.contracts.versions import LockError, read_lock
    from featureguard.settings import data_home

    try:
        lock_data = read_lock(_lock_path(lock))
    except (LockError, ValueError) as exc:
        raise _fail(str(exc)) from None
    contracts = [get_contract(s) for s in list_sources()]
    findings = check_lock(contracts, lock_data)
    if feast:
        from featureguard.project import current_project
        from featureguard.project_check import check_feast
        from featureguard.project_repo import project_objects

        findings += check_feast(contracts, project_objects(current_project()))
    findings += check_offline(contracts, lock_data, data_home() / "offline")
    failed = [f for f in findings if not f.ok]
    if json:
        print_json({"ok": not failed, "findings": [f.to_dict() for f in findings]})
    else:
        for f in findings:
            mark = "[green]ok[/]  " if f.ok else "[red]FAIL[/]"
            console.print(f"{mark} {f.source:<13} {f.area:<8} {f.message}", highlight=False)
        console.print("[green]contracts check passed[/]" if not failed else f"[red]{len(failed)} problem(s)[/]")
    raise typer.Exit(EXIT_FAIL if failed else EXIT_OK)


def lock(
    source: Optional[list[str]] = typer.Argument(None, help="Sources to record (default: all)."),
    lock_file: Optional[Path] = typer.Option(None, "--lock", help="Version lock to write."),
    force: bool = typer.Option(False, "--force", help="Record even a breaking change without a major bump."),
) -> None:
    """Record each contract's current version in the version lock."""
    from featureguard.contracts import list_sources
    from featureguard.contracts.versions import LockError, read_lock, record, write_lock

    path = _lock_path(lock_file)
    data = read_lock(path)
    try:
        added = record(data, [_contract(s) for s in (source or list_sources())], force=force)
    except LockError as exc:
        raise _fail(str(exc), EXIT_FAIL) from None
    write_lock(data, path)
    console.print(f"recorded {', '.join(added)} in {path}" if added else f"{path} already up to date")


@contracts_app.command()
def export(
    source: str = typer.Argument(..., help="Source name."),
    format: str = typer.Option("odcs", "--format", "-f", help="odcs, jsonschema or yaml (pandera)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """The contract for producers outside Python: ODCS YAML, JSON Schema of a row, or pandera YAML."""
    from featureguard.contracts.export import FORMATS
    from featureguard.contracts.export import export as render

    if format not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)}")
    text = render(_contract(source), format)
    if output:
        output.write_text(text)
        err_console.print(f"wrote {output}")
    else:
        print(text, end="")


def _emit_contract(text: Optional[str], output: Optional[Path], force: bool, report: dict, lines: list[str],
                   json: bool) -> None:
    """infer/import output: the YAML to --output (or stdout), the report to stderr (or JSON on stdout)."""
    from featureguard.errors import EXIT_OPERATIONAL

    if text is not None and output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("w" if force else "x") as handle:
                handle.write(text)
        except FileExistsError:
            raise _fail(f"{output} exists; pass --force to overwrite it") from None
        except OSError as exc:
            raise _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_OPERATIONAL) from None
        report["output"] = str(output)
    if json:
        print_json({**report, **({"contract_yaml": text} if text is not None and output is None else {})})
        return
    for line in lines:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if text is not None and output is None:
        print(text, end="")
    elif text is not None:
        err_console.print(f"wrote {output}", markup=False, highlight=False)


@contracts_app.command()
def infer(
    file: Path = typer.Argument(..., help="Sample batch: Parquet, CSV, JSON lines or Arrow IPC."),
    source: str = typer.Option(..., "--source", help="Name of the new source."),
    key: list[str] = typer.Option(..., "--key", help="Entity key column; repeat for a compound key."),
    timestamp: str = typer.Option(..., "--timestamp", help="Event-time column; its values must state their zone."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the contract here (default: stdout)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --output."),
    json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout (the contract under "
                              "contract_yaml unless --output is given)."),
) -> None:
    """A starting YAML contract (the `export --format yaml` format) from a sample, via pandera's inference.

    The report (stderr) says what was guessed per column; ranges and allowed values are proposals drawn
    from the sample. Exit 1, nothing written: the sample has a key + event time twice, a key without a
    value, or fails the inferred contract. Exit 2: unreadable sample or bad arguments.
    """
    from featureguard.contracts.export import from_yaml_export, to_yaml
    from featureguard.contracts.infer import InferenceError, infer_contract
    from featureguard.errors import FeatureguardError
    from featureguard.gate.gate import check_frame
    from featureguard.ingest.readers import UnreadableBatchError, read_file

    try:
        frame, _ = read_file(file)
        result = infer_contract(frame, source, key, timestamp, file.name)
    except (UnreadableBatchError, InferenceError) as exc:
        raise _fail(str(exc)) from None
    except FeatureguardError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    report, lines, text = result.to_dict(), result.lines(), None
    if result.ok:  # the contract, as written, must accept the very sample it was inferred from
        text = to_yaml(result.contract)
        failures = check_frame(from_yaml_export(text), frame).all_failures
        report["sample_failures"] = [f.to_dict() for f in failures]
        lines += [f"ERROR: the sample fails the inferred contract: {f.column} {f.check}: {f.count} rows"
                  for f in failures]
        text = None if failures else text
    _emit_contract(text, output, force, report, lines, json)
    raise typer.Exit(EXIT_OK if text is not None else EXIT_FAIL)


@contracts_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="ODCS v3.0/v3.1 data contract (YAML or JSON)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the contract here (default: stdout)."),
    timestamp: Optional[str] = typer.Option(None, "--timestamp", help="Event-time column, when ODCS does not say "
                                            "(no timestampColumn custom property, no single timestamp primary key)."),
    key: Optional[list[str]] = typer.Option(None, "--key", help="Entity key column (default: the primary key "
                                            "without the event time); repeat for a compound key."),
    object_: Optional[str] = typer.Option(None, "--object", help="Schema object to import, when there are several."),
    source: Optional[str] = typer.Option(None, "--source", help="Source name (default: the schema object's name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --output."),
    json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout (the contract under "
                              "contract_yaml unless --output is given)."),
) -> None:
    """A featureguard YAML contract from an ODCS v3 contract; lists every rule it could not express.

    Exit 0 written (what is not expressed is reported on stderr, or in --json); 2 unreadable, not
    ODCS v3, or not enough said (event time, keys).
    """
    from featureguard.contracts.export import to_yaml
    from featureguard.contracts.odcs_import import OdcsImportError, import_odcs, parse_odcs

    try:
        doc = parse_odcs(file.read_text(), str(file))
        result = import_odcs(doc, object_name=object_, source=source, timestamp=timestamp, keys=key)
    except OSError as exc:
        raise _fail(f"{file}: {exc.strerror or exc}") from None
    except (OdcsImportError, ValueError) as exc:
        raise _fail(str(exc)) from None
    _emit_contract(to_yaml(result.contract), output, force, result.to_dict(), result.lines(), json)


contracts_app.command("lock")(lock)
contracts_app.command("record", help="Alias of `lock`.")(lock)


@contracts_app.callback()
def _project(ctx: typer.Context) -> None:
    """Every contracts command but infer and import reads the project's contracts."""
    from featureguard.cli import asks_for_help

    if ctx.invoked_subcommand not in ("infer", "import") and not asks_for_help():
        from featureguard.project import activate, find_project

        activate(find_project())


def register(app: typer.Typer) -> None:
    app.add_typer(contracts_app, name="contracts")
