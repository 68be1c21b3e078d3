"""``featureguard serve`` (the HTTP service under uvicorn) and ``featureguard api-key``.

Settings travel to uvicorn's worker processes as environment variables; the workers build the
app with ``featureguard.http.app:create_app_from_env``. Nothing here imports Feast unless --apply.

``serve`` exits 4 (operational: configuration) when the API key file cannot be read or parsed
(missing, not UTF-8, not YAML/JSON, a bad entry) and when no Redis is available, with one line
naming the cause; 2 for bad arguments.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional

import typer

from featureguard.cli.render import console, err_console
from featureguard.errors import EXIT_OPERATIONAL, EXIT_UNREADABLE

EXIT_USAGE = EXIT_UNREADABLE


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
    keys_file: Optional[Path] = typer.Option(None, "--keys-file", envvar="FEATUREGUARD_API_KEYS_FILE",
                                             help="YAML/JSON file of hashed API keys and their scopes."),
    open_reads: bool = typer.Option(False, "--open-reads", envvar="FEATUREGUARD_HTTP_OPEN_READS",
                                    help="Online and contract reads need no key."),
    max_body_bytes: int = typer.Option(16 * 1024 * 1024, help="Largest accepted request body."),
    max_rows: int = typer.Option(200_000, help="Most rows per validate/ingest request."),
    max_push_rows: int = typer.Option(1_000, help="Most rows per push request."),
    max_entities: int = typer.Option(1_000, help="Most entity rows per online lookup."),
    timeout: float = typer.Option(30.0, help="Seconds before a request is answered 504."),
    apply: bool = typer.Option(False, "--apply", help="Register the project's definitions first (as `featureguard apply`)."),
) -> None:
    """Serve online features, validation, ingestion, push, contracts, health and metrics over HTTP."""
    import uvicorn

    from featureguard.http.auth import KeyConfigError, load_keyring
    from featureguard.http.metrics import MULTIPROC_FLAG
    from featureguard.http.settings import HttpSettings
    from featureguard.online_store_choice import choose_online_store

    choice = choose_online_store(start_private=True)
    if choice.kind != "redis":
        raise _fail(f"the HTTP service needs Redis: {choice.notice}", EXIT_OPERATIONAL)
    settings = HttpSettings.from_env().with_(
        redis_url=choice.url, max_body_bytes=max_body_bytes, max_rows=max_rows, max_push_rows=max_push_rows,
        max_entities=max_entities, request_timeout=timeout, open_reads=open_reads,
        api_keys_file=keys_file.resolve() if keys_file else None,
    )
    metrics_dir = None
    try:
        try:
            keys = load_keyring(settings.api_keys_file, settings.api_keys_json, open_reads)
        except (KeyConfigError, UnicodeDecodeError) as exc:
            raise _fail(f"API keys: {exc}" if isinstance(exc, UnicodeDecodeError) else str(exc), EXIT_OPERATIONAL)
        if apply:
            _apply(choice)
        os.environ.update(settings.to_env())
        if workers > 1:  # one Prometheus view over all workers
            metrics_dir = tempfile.mkdtemp(prefix="featureguard-metrics-")
            os.environ.update({"PROMETHEUS_MULTIPROC_DIR": metrics_dir, "PROMETHEUS_MULTIPROCESS_DIR": metrics_dir,
                               MULTIPROC_FLAG: "1"})
        console.print(choice.notice)
        console.print(f"API keys: {len(keys)}; reads {'open' if open_reads else 'need a key'}; "
                      f"serving on http://{host}:{port} with {workers} worker(s)")
        uvicorn.run("featureguard.http.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                    loop="uvloop", http="httptools", access_log=False, log_level="warning", backlog=2048,
                    server_header=False, proxy_headers=False)
    finally:
        choice.close()
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _apply(choice) -> None:
    from featureguard.feast_store import apply_definitions, open_store

    with console.status("registering feature definitions"):
        apply_definitions(open_store(choice))


def api_key(
    scope: list[str] = typer.Option(..., "--scope", "-s", help="read:online, read:contracts, read:metrics, "
                                    "write:<source>, write:* or admin; repeat for several."),
    name: str = typer.Option("key", help="A label for logs and 403 messages."),
) -> None:
    """Mint an API key: prints the key once, and the entry (digest only) for the key file."""
    import yaml

    from featureguard.http.auth import KeyConfigError, new_key, parse_keys

    raw, digest = new_key()
    entry = {"name": name, "sha256": digest, "scopes": list(scope)}
    try:
        parse_keys([entry])
    except KeyConfigError as exc:
        raise _fail(str(exc))
    err_console.print("key (shown once, give it to the client):")
    console.print(raw, highlight=False)
    err_console.print("key file entry (under `keys:`):")
    console.print(yaml.safe_dump([entry], sort_keys=False).rstrip(), highlight=False)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    from featureguard.cli.failures import say

    say(message)
    return typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("api-key")(api_key)
