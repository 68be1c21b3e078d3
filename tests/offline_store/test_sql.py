"""The pure query builder: text properties and, on tiny in-memory tables, the join's semantics.

No Feast here; these run in a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.offline_store import sql

H = 3_600_000_000_000  # one hour in ns


def test_builder_imports_without_feast():
    code = "import sys, featureguard.offline_store.sql; assert 'feast' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quoting():
    assert sql.ident('we"ird') == '"we""ird"'
    assert sql.literal("it's") == "'it''s'"
    assert sql.parquet_scan(["/a/x.parquet", "/b/o'k.parquet"], hive_partitioning=True) == (
        "read_parquet(['/a/x.parquet', '/b/o''k.parquet'], union_by_name = true, hive_partitioning = true)"
    )
    with pytest.raises(ValueError):
        sql.parquet_scan([])


def test_ttls_are_exact_integers():
    assert sql.timedelta_ns(timedelta(hours=36)) == 36 * H
    assert sql.timedelta_ns(timedelta(days=1, microseconds=1)) == 24 * H + 1000
    assert sql.timedelta_ns(timedelta(0)) is None and sql.timedelta_ns(None) is None
    assert sql.ttl_bound_ns(10**19) is None and sql.ttl_bound_ns(-5) is None and sql.ttl_bound_ns(7) == 7


_CON = duckdb.connect()


def _eval(expression: str, **columns) -> list:
    _CON.register("t", pa.table(columns))
    try:
        return [row[0] for row in _CON.execute(f"SELECT {expression} FROM t").fetchall()]
    finally:
        _CON.unregister("t")


stamps = st.integers(-(2**62), 2**62)


@given(rows=st.lists(st.tuples(stamps, st.one_of(st.none(), stamps)), min_size=1, max_size=30), probe=stamps)
@settings(max_examples=60, deadline=None)
def test_order_key_orders_by_event_then_created_missing_created_lowest(rows, probe):
    ts = pa.array([r[0] for r in rows], pa.int64())
    cr = pa.array([r[1] for r in rows], pa.int64())
    keys = _eval(sql.order_key("ts", "cr"), ts=ts, cr=cr)
    expected = sorted(range(len(rows)), key=lambda i: (rows[i][0], -(2**63) if rows[i][1] is None else rows[i][1]))
    assert sorted(range(len(rows)), key=lambda i: (keys[i], expected.index(i))) == expected
    (entity,) = _eval(sql.entity_order_key("p"), p=pa.array([probe], pa.int64()))
    assert [entity >= k for k in keys] == [r[0] <= probe for r in rows]


def _join(entities: dict, features: dict, view: sql.ViewJoin) -> list:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("ents", pa.table(entities))
    con.register("feats", pa.table(features))
    return con.execute(sql.historical_query("ents", "ts", [view])).fetchall()


def _ts(hours: list) -> pa.Array:
    return pa.array([None if h is None else h * H for h in hours], pa.timestamp("ns", "UTC"))


def test_compound_key_ttl_boundary_and_created_tie_break():
    features = {
        "a": ["x", "x", "x", "x", "y"], "b": [1, 1, 1, 2, 1],
        "ts": _ts([10, 10, 5, 10, 10]), "cr": _ts([11, 12, None, 10, 10]), "v": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
    entities = {
        "a": ["x", "x", "x", "x", "x", "z"], "b": [1, 1, 1, 1, 2, 1],
        "ts": _ts([10, 16, 17, 9, 10, 10]), sql.ROW: list(range(6)),
    }
    view = sql.ViewJoin(relation="feats", keys=(("a", "a"), ("b", "b")), timestamp="ts",
                        features=(("v", "v"),), created="cr", ttl_ns=6 * H)
    # 10h: tie won by created 12h; 16h: exactly 6 h old, kept; 17h: expired; 9h: only the 5h row.
    assert _join(entities, features, view) == [(2.0,), (2.0,), (None,), (3.0,), (4.0,), (None,)]


def test_entity_less_view_joins_on_time_alone():
    features = {"ts": _ts([1, 3, 3]), "cr": _ts([5, 4, 6]), "v": [1.0, 2.0, 3.0]}
    entities = {"ts": _ts([0, 2, 3, 100]), sql.ROW: [3, 2, 1, 0]}
    view = sql.ViewJoin(relation="feats", keys=(), timestamp="ts", features=(("v", "level"),), created="cr")
    assert _join(entities, features, view) == [(3.0,), (3.0,), (1.0,), (None,)]  # in row order


def test_without_created_time_an_exact_time_match_counts():
    features = {"k": [1, 1, 2], "ts": _ts([1, 4, 4]), "v": [1.0, 4.0, 2.0]}
    entities = {"k": [1, 1, 1, 2], "ts": _ts([4, 3, 0, 4]), sql.ROW: [0, 1, 2, 3]}
    view = sql.ViewJoin(relation="feats", keys=(("k", "k"),), timestamp="ts", features=(("v", "v"),), ttl_ns=3 * H)
    assert _join(entities, features, view) == [(4.0,), (1.0,), (None,), (2.0,)]


def test_entity_keys_need_matching_views():
    a = sql.ViewJoin(relation="r1", keys=(("driver", "driver"),), timestamp="ts", features=())
    b = sql.ViewJoin(relation="r2", keys=(("store", "store"),), timestamp="ts", features=())
    with pytest.raises(ValueError, match="same entity columns"):
        sql.entity_keys_query([a, b], None, 0)
    text = sql.entity_keys_query([a, a], 5, 9)
    assert text.count("SELECT") == 3 and ">= 5" in text and "<= 9" in text


def test_ties_query_finds_shared_key_and_time():
    con = duckdb.connect()
    con.register("t", pa.table({"k": [1, 1, 2], "ts": _ts([1, 1, 2])}))
    view = sql.ViewJoin(relation="t", keys=(("k", "k"),), timestamp="ts", features=())
    later = sql.ViewJoin(relation="t", keys=(("k", "k"),), timestamp="ts", features=(), window=(2 * H, None))
    assert con.execute(sql.ties_query([view, later])).fetchall() == [(True, False)]


def test_latest_and_all_rows():
    con = duckdb.connect()
    con.register("t", pa.table({"k": [1, 1, 2], "ts": _ts([1, 1, 2]), "cr": _ts([2, 3, None]), "v": [1, 2, 3]}))
    latest = sql.latest_rows_query("t", ["k"], ["k", "v"], "ts", "cr", 0, 10 * H)
    assert sorted(con.execute(latest).fetchall()) == [(1, 2), (2, 3)]
    assert con.execute(sql.all_rows_query("t", ["v"], "ts", 2 * H, None)).fetchall() == [(3,)]
    assert con.execute(sql.all_rows_query("t", ["v"], "ts", None, None)).fetchall() == [(1,), (2,), (3,)]


def test_scan_restricts_rows_by_time_window_and_entity_keys():
    con = duckdb.connect()
    con.register("feats", pa.table({"a": ["x", "x", "y", "x"], "b": [1, 2, 1, 1], "ts": _ts([1, 2, 3, 9])}))
    con.register("ents", pa.table({"ea": ["x", None], "eb": [1, 1]}))
    view = sql.ViewJoin(relation="feats", keys=(("ea", "a"), ("eb", "b")), timestamp="ts", features=(),
                        window=sql.entity_window(3 * H, 8 * H, 2 * H), key_filter="ents")
    assert sql.entity_window(3 * H, 8 * H, None) == (None, 8 * H)
    # (x, 1) at 1 h is exactly one TTL before the earliest entity (3 h): kept; at 9 h: after all.
    assert con.execute(f"SELECT a, b, epoch_ns(ts) FROM {view.scan()}").fetchall() == [("x", 1, 1 * H)]
    wider = sql.ViewJoin(relation="feats", keys=view.keys, timestamp="ts", features=(), window=(0, 10 * H),
                         key_filter="ents")
    assert sorted(con.execute(f"SELECT a, b, epoch_ns(ts) FROM {wider.scan()}").fetchall()) == [
        ("x", 1, 1 * H), ("x", 1, 9 * H)]
