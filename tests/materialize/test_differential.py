"""Stock Feast's local engine and ours materialize the same data: the raw Redis hashes must be
identical byte for byte, and stock ``get_online_features`` must read the same from both."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from featureguard.materialize import BulkRedisComputeEngine
from tests.materialize import repo


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _online(store: Any, features: list[str], rows: list[dict]) -> dict[str, list]:
    return store.get_online_features(features=features, entity_rows=rows).to_dict()


def _assert_same(ours: dict[str, list], stock: dict[str, list]) -> int:
    assert set(ours) == set(stock)
    compared = 0
    for name, column in stock.items():
        for i, (x, y) in enumerate(zip(ours[name], column, strict=True)):
            assert _same(x, y), f"{name}[{i}]: ours {x!r} vs stock {y!r}"
            compared += 1
    return compared


def test_raw_hashes_identical_byte_for_byte(pair):
    assert isinstance(pair.ours.engine, BulkRedisComputeEngine)
    pair.materialize()
    stock, ours = pair.dumps()
    assert len(stock) == 9 + 5 + 4  # typed airports, pairs, gates
    assert ours == stock
    reports = {r.view: r for r in pair.ours.engine.reports}
    assert (reports["typed"].rows, reports["typed"].written, reports["typed"].rejected) == (9, 9, 0)


def test_stock_reader_reads_what_we_wrote(pair):
    pair.materialize()
    typed = [f"typed:{f}" for f in ("i32", "i64", "f32", "f64", "flag", "name", "blob", "seen")]
    rows = repo.entity_rows()
    got = _online(pair.stock.store, typed, rows)  # stock reading stock's Redis db
    ours = _online(pair.ours.store, typed, rows)  # stock reading the db our engine wrote
    assert _assert_same(ours, got) == len(rows) * (len(typed) + 1)
    # and the values are the newest rows, not only equal to stock's
    frame = repo.typed_frame()
    newest = frame.sort_values("ts").groupby("airport").tail(1).set_index("airport")
    jfk = rows.index({"airport": "JFK"})
    assert ours["i64"][jfk] == int(newest.loc["JFK", "i64"]) and ours["name"][jfk] == "name-JFK-0.0"
    assert ours["f64"][rows.index({"airport": ""})] is None  # NaN: Feast stores an empty Value
    assert all(ours[f.split(":")[1]][rows.index({"airport": "ÆØÅ-ü"})] is None for f in typed)  # all-null entity
    assert ours["i32"][rows.index({"airport": "a{b}c"})] == -2**31
    assert ours["seen"][rows.index({"airport": "nope"})] is None

    pairs = _online(pair.ours.store, ["pairs:score", "pairs:label"],
                    [{"zone": "s", "counter_id": 2**62}, {"zone": "é", "counter_id": -5}, {"zone": "n", "counter_id": 9}])
    assert pairs["score"] == [None, -0.0, None] and pairs["label"] == ["d", "e", None]
    stock_pairs = _online(pair.stock.store, ["pairs:score", "pairs:label"],
                          [{"zone": "s", "counter_id": 2**62}, {"zone": "é", "counter_id": -5}, {"zone": "n", "counter_id": 9}])
    assert _assert_same(pairs, stock_pairs)
    gates = [{"gate": g} for g in (1, -1, 2**31 - 1, 0)]
    assert _assert_same(_online(pair.ours.store, ["gates:open", "gates:load"], gates),
                        _online(pair.stock.store, ["gates:open", "gates:load"], gates))


def test_window_and_incremental_match_stock(pair):
    """A window that cuts through each entity's history, then materialize_incremental."""
    cut = repo.NOW - timedelta(hours=4, minutes=59)  # before the newest typed rows of some airports
    pair.materialize(end=cut)
    stock, ours = pair.dumps()
    assert ours == stock and len(ours) > 0
    for store in (pair.stock.store, pair.ours.store):
        store.materialize_incremental(end_date=repo.END)
    stock, ours = pair.dumps()
    assert ours == stock and len(ours) == 18


def test_int64_stays_exact_where_stock_rounds(tmp_path, redis_server):
    """Stock Feast converts an int64 column with nulls through float64 (2**60 + 1 -> 2**60);
    ours writes the exact value. Every other byte is the same."""
    from tests.materialize.conftest import open_pair

    frames = {name: make() for name, make in repo.FRAMES.items()}
    frames["typed"].loc[0, "i64"] = 2**60 + 1  # the newest JFK row; the column also holds nulls
    repo.write_data(tmp_path / "data", frames)
    made = open_pair(tmp_path, redis_server, write=False)
    made.materialize()
    ours = _online(made.ours.store, ["typed:i64"], [{"airport": "JFK"}])
    stock = _online(made.stock.store, ["typed:i64"], [{"airport": "JFK"}])
    assert ours["i64"] == [2**60 + 1] and stock["i64"] == [2**60]
    stock_dump, ours_dump = made.dumps()
    assert sum(a != ours_dump[k] for k, a in stock_dump.items()) == 1

