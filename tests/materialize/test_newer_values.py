"""Never overwrite a newer value with an older one, as Feast: every scenario runs on stock
Feast (db 0) and on ours (db 1) and the raw Redis contents must match."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from featureguard.materialize.push import write_latest
from tests.materialize import repo


def _typed_rows(airports: list[str], ts: pd.Timestamp, name: str) -> pd.DataFrame:
    frame = repo.typed_frame()
    rows = frame.drop_duplicates("airport").set_index("airport").loc[airports].reset_index()
    rows["ts"] = ts
    rows["name"] = name
    return rows


def test_rematerializing_older_rows_keeps_newer_online_values(pair):
    pair.materialize()
    newer = _typed_rows(["JFK", "LGA"], pd.Timestamp(repo.NOW + timedelta(days=1)), "pushed-newer")
    for side in (pair.stock, pair.ours):
        side.store.write_to_online_store("typed", newer)  # stock Feast's own write, on both
    pair.materialize()  # the offline rows are older than the pushed ones, or equal to stored ones
    stock, ours = pair.dumps()
    assert ours == stock
    got = pair.ours.store.get_online_features(features=["typed:name"], entity_rows=[
        {"airport": "JFK"}, {"airport": "LGA"}, {"airport": "EWR"}]).to_dict()
    assert got["name"] == ["pushed-newer", "pushed-newer", ""]
    report = pair.ours.engine.reports[-3]
    assert report.view == "typed" and (report.written, report.not_newer) == (0, 9)


def test_newer_offline_rows_replace_older_online_values(pair):
    pair.materialize()
    later = _typed_rows(["EWR", "ORD"], pd.Timestamp(repo.NOW + timedelta(minutes=30)), "later")
    repo.write_data(pair.data, {"typed": later}, part="part-1")
    pair.materialize(end=repo.END + timedelta(hours=1))
    stock, ours = pair.dumps()
    assert ours == stock
    got = pair.ours.store.get_online_features(features=["typed:name"], entity_rows=[
        {"airport": "EWR"}, {"airport": "ORD"}, {"airport": "JFK"}]).to_dict()
    assert got["name"] == ["later", "later", "name-JFK-0.0"]
    typed = [r for r in pair.ours.engine.reports if r.view == "typed"][-1]
    assert (typed.written, typed.not_newer) == (2, 7)


def test_pushed_rows_match_feasts_write_to_online_store(pair):
    """``ingest --online``'s writer against Feast's ``write_to_online_store``: duplicates in the
    batch (newest wins, the first of equal times), older than stored, newer than stored."""
    pair.materialize()
    base = pd.Timestamp(repo.NOW)
    rows = pd.concat([
        _typed_rows(["JFK"], base + timedelta(hours=2), "second"),
        _typed_rows(["JFK"], base + timedelta(hours=1), "first"),
        _typed_rows(["LGA"], base - timedelta(days=9), "too-old"),
        _typed_rows(["SFO", "SFO"], base + timedelta(hours=3), "tie"),
        _typed_rows(["EWR"], base + timedelta(hours=4), "fresh"),
    ], ignore_index=True)
    rows.loc[rows.index[-2], "name"] = "tie-second"
    pair.stock.store.write_to_online_store("typed", rows)
    view = pair.ours.store.get_feature_view("typed")
    stats = write_latest(pair.ours.store, view, rows, chunk_rows=2)
    stock, ours = pair.dumps()
    assert ours == stock
    assert (stats.rows, stats.written, stats.not_newer) == (4, 3, 1)
    got = pair.ours.store.get_online_features(features=["typed:name"], entity_rows=[
        {"airport": a} for a in ("JFK", "LGA", "SFO", "EWR")]).to_dict()
    assert got["name"] == ["second", "name-LGA-0.0", "tie", "fresh"]
