"""The bulk engine on every offline store a Feast repo may use: ours, Feast's duckdb store (which
returns time columns as ISO-8601 text) and Feast's file store, with event times stored in any
unit, naive or zoned. Each time the raw Redis hashes must equal what Feast's local engine writes,
byte for byte."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureguard.materialize import BulkRedisComputeEngine
from tests.materialize import repo
from tests.materialize.conftest import Pair, open_pair


def _stock_typed_from_file(made: Pair, tmp: Path, conn: str) -> None:
    """Feast's local engine cannot materialize ``typed`` from its own duckdb store: it passes the
    store's text for the UnixTimestamp feature ``seen`` to ``int()``. The reference for that view
    is Feast's engine over Feast's file store, on the same files."""
    with pytest.raises(ValueError, match="invalid literal for int"):
        made.stock.materialize(views=["typed"])
    reference = repo.open_repo(tmp / "stock-file", made.data, repo.redis_store(f"{conn},db=0"), "local",
                               offline="file")
    reference.materialize(views=["typed"])


@pytest.mark.parametrize("offline", list(repo.OFFLINE_STORES))
def test_same_bytes_as_feast_on_each_offline_store(tmp_path, redis_server, offline):
    made = open_pair(tmp_path, redis_server, offline=repo.OFFLINE_STORES[offline])
    assert isinstance(made.ours.engine, BulkRedisComputeEngine)
    if offline == "duckdb":
        _stock_typed_from_file(made, tmp_path, redis_server.feast_connection_string)
        made.stock.materialize(views=["pairs", "gates"])
    else:
        made.stock.materialize()
    made.ours.materialize()
    stock, ours = made.dumps()
    assert len(stock) == 9 + 5 + 4
    assert ours == stock
    assert [(r.view, r.rows, r.written) for r in made.ours.engine.reports] == [
        ("typed", 9, 9), ("pairs", 5, 5), ("gates", 4, 4)]


#: event times as stores hold them: Arrow type of the ``ts`` column in the Parquet files
TIME_FORMS = {
    "ns-utc": pa.timestamp("ns", "UTC"),
    "us-naive": pa.timestamp("us"),
    "ms-kolkata": pa.timestamp("ms", "Asia/Kolkata"),
    "s-naive": pa.timestamp("s"),
}


#: event times as ISO-8601 text (only Feast's duckdb store reads text event times): per row
#: another offset, or no offset at all (UTC). duckdb's window filter reads the wall-clock time
#: and drops the offset (for both engines), so offsets east of UTC would push NOW past END.
TEXT_FORMS = {"text-offsets": ["-05:30", "Z", "-03:00", "+00:00", "-11:00"], "text-naive": [""]}


def _iso(stamps: pa.ChunkedArray, offsets: list[str]) -> pa.Array:
    out = []
    for i, stamp in enumerate(stamps.to_pylist()):
        offset = offsets[i % len(offsets)]
        hours = 0 if offset in ("", "Z") else int(offset[:3]) + (int(offset[4:]) / 60) * (1 if offset[0] == "+" else -1)
        local = stamp.astimezone(timezone(timedelta(hours=hours))).replace(tzinfo=None)
        out.append(local.isoformat(timespec="microseconds") + offset)  # one shape: Feast's pandas infers it
    return pa.array(out)


def _retype(data: Path, column: str, form: str) -> None:
    for part in data.glob("*/*.parquet"):
        table = pq.read_table(part)
        index = table.schema.get_field_index(column)
        stamps = table.column(index)
        if form in TEXT_FORMS:
            stamps = _iso(stamps, TEXT_FORMS[form])
        else:
            kind = TIME_FORMS[form]
            if kind.tz is None:  # the same wall-clock instants, without a zone
                stamps = stamps.cast(pa.timestamp(stamps.type.unit))
            stamps = stamps.cast(kind, safe=False)
        pq.write_table(table.set_column(index, column, stamps), part)


@pytest.mark.parametrize(("offline", "form"), [
    *((o, f) for o in ("duckdb", "file") for f in TIME_FORMS), *(("duckdb", f) for f in TEXT_FORMS)])
def test_event_times_of_any_unit_naive_or_zoned(tmp_path, redis_server, offline, form):
    """``pairs`` and ``gates`` (microsecond and pre-1970 times) with their event times stored as
    ``form``; Feast's engine reads the same files through the same store."""
    data = tmp_path / "data"
    repo.write_data(data, {name: repo.FRAMES[name]() for name in ("pairs", "gates")})
    _retype(data, "ts", form)
    made = open_pair(tmp_path, redis_server, offline=repo.OFFLINE_STORES[offline], write=False)
    made.materialize(views=["pairs", "gates"])
    stock, ours = made.dumps()
    assert len(stock) == 5 + 4
    assert ours == stock


def _dummy_key() -> bytes:
    """Feast's Redis key of an entity-less view's row: the dummy entity key, then the project."""
    from feast.feature_view import DUMMY_ENTITY_ID, DUMMY_ENTITY_VAL
    from feast.infra.key_encoding_utils import serialize_entity_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value

    key = EntityKey(join_keys=[DUMMY_ENTITY_ID], entity_values=[Value(string_val=DUMMY_ENTITY_VAL)])
    return serialize_entity_key(key, entity_key_serialization_version=3) + repo.PROJECT.encode()


def _totals(store) -> dict:
    """Stock Feast's reader: an entity-less view's row comes with any entity row."""
    got = store.get_online_features(features=["totals:flights", "totals:delay", "totals:busiest"],
                                    entity_rows=[{"airport": "JFK"}]).to_dict()
    assert got.pop("airport") == ["JFK"]
    return got


@pytest.mark.parametrize("offline", list(repo.OFFLINE_STORES))
def test_entityless_view_same_bytes_as_feast(tmp_path, redis_server, offline):
    """A view without entities (Feast's ``global_stats``): one hash under Feast's dummy key. The
    reference is Feast's engine over the same store, except for Feast's duckdb store, whose pulls
    lack the ``__dummy_id`` column Feast's engine needs: there Feast's file store."""
    made = open_pair(tmp_path, redis_server, offline=repo.OFFLINE_STORES[offline],
                     stock_offline="file" if offline == "duckdb" else repo.OFFLINE_STORES[offline], entityless=True)
    made.materialize(end=repo.CUT, views=["totals"])  # the 5 h 30 min old row: NaN delay
    stock, ours = made.dumps()
    assert list(ours) == [_dummy_key()] and ours == stock
    assert _totals(made.ours.store) == _totals(made.stock.store) == {
        "flights": [11], "delay": [None], "busiest": ["EWR"]}

    made.materialize(views=["totals"])  # the newest row inside the window replaces it
    stock, ours = made.dumps()
    assert ours == stock
    assert _totals(made.ours.store) == {"flights": [12], "delay": [2.5], "busiest": ["ÆØÅ-ü"]}

    made.materialize(end=repo.CUT, views=["totals"])  # an older window: Redis keeps the newer row
    assert made.dumps()[1] == ours
    assert [(r.view, r.rows, r.written, r.not_newer) for r in made.ours.engine.reports] == [
        ("totals", 1, 1, 0), ("totals", 1, 1, 0), ("totals", 1, 0, 1)]


def test_entityless_rows_pushed_where_feast_reads_them(tmp_path, redis_server):
    """``ingest --online`` of an entity-less view's rows (no ``__dummy_id`` column in them) lands
    where Feast's materialization puts the newest row and its reader looks. (Feast's own
    ``write_to_online_store`` keys such rows by an empty entity key, which its reader never
    reads, so the reference is Feast's materialization over a window holding every row.)"""
    from datetime import timedelta

    from featureguard.materialize.push import write_latest

    made = open_pair(tmp_path, redis_server, entityless=True, stock_offline="file")
    rows = repo.totals_frame()
    made.stock.materialize(end=repo.NOW + timedelta(days=2), views=["totals"])
    stats = write_latest(made.ours.store, made.ours.store.get_feature_view("totals"), rows, chunk_rows=2)
    stock, ours = made.dumps()
    assert list(ours) == [_dummy_key()] and ours == stock
    assert (stats.rows, stats.written) == (1, 1)
    assert _totals(made.ours.store)["flights"] == [99]  # the newest row: pushes have no window
