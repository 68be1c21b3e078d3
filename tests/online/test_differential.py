"""Our reader against stock Feast on what stock Feast materialized (local engine): every value
type, nulls, NaN, repeated and unknown entities, aliases, full names; plus the statuses and
timestamps Feast 0.67 does not report faithfully, checked against the written data."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from featureguard.online import OnlineReader, get_online_features
from tests.online import typed_repo
from tests.online.conftest import assert_same_columns, entity_rows


def stock_dict(store, features, rows, full_feature_names=False, include_event_timestamps=False) -> dict:
    return store.get_online_features(features=features, entity_rows=rows,
                                     full_feature_names=full_feature_names).to_dict(include_event_timestamps)


@pytest.mark.parametrize("full_names", [False, True])
def test_feature_service_matches_stock_feast(typed, full_names: bool) -> None:
    store = typed.store
    service = store.get_feature_service("everything")
    rows = entity_rows()
    ours = get_online_features(store, service, rows, full_feature_names=full_names)
    for with_ts in (False, True):
        stock = stock_dict(store, service, rows, full_names, with_ts)
        compared = assert_same_columns(ours.to_dict(include_event_timestamps=with_ts), stock)
        assert compared == len(rows) * 14 * (2 if with_ts else 1)  # 2 keys, 12 features
    # the columns hold each type as Feast returns it, and the nulls/NaN written
    values = ours.to_dict()
    prefix = "typed__" if full_names else ""
    jfk = rows.index({"airport": "JFK", "counter_id": 1})
    null_row = rows.index({"airport": typed_repo.AIRPORTS[3], "counter_id": 1})
    nan_row = rows.index({"airport": typed_repo.AIRPORTS[4], "counter_id": 1})
    assert values[prefix + "i64"][jfk] == 2**40 and values[prefix + "name"][jfk] == "name-JFK"  # newest row won
    assert isinstance(values[prefix + "seen"][jfk], datetime) and values[prefix + "blob"][jfk] == b"\x00\x00\xff"
    assert all(values[prefix + f][null_row] is None for f in ("i32", "i64", "f32", "f64", "flag", "name", "blob", "seen"))
    assert values[prefix + "f64"][nan_row] is None  # Feast writes a NaN float as a null
    assert ours.statuses[prefix + "f64"][nan_row] == "NULL_VALUE" and ours.statuses[prefix + "f32"][nan_row] == "PRESENT"


def test_aliased_service_and_references_match_stock_feast(typed) -> None:
    store = typed.store
    rows = entity_rows()
    aliased = store.get_feature_service("aliased")
    for full_names in (False, True):
        ours = get_online_features(store, aliased, rows, full_feature_names=full_names).to_dict(True)
        assert_same_columns(ours, stock_dict(store, aliased, rows, full_names, True))
    named = get_online_features(store, aliased, rows, full_feature_names=True)
    assert named.feature_names == ("t2__f64", "t2__name", "counters__hits")
    refs = ["pairs:label", "typed:seen", "counters:ratio", "typed:f32"]
    ours = get_online_features(store, refs, rows).to_dict(True)
    assert_same_columns(ours, stock_dict(store, refs, rows, False, True))
    # grouped by view in first-mention order, as Feast reads them
    assert get_online_features(store, refs, rows).feature_names == ("label", "seen", "f32", "ratio")


def test_columns_arrays_and_series_read_like_entity_rows(typed) -> None:
    store = typed.store
    rows = entity_rows()
    service = store.get_feature_service("everything")
    frame = pd.DataFrame(rows)
    from_rows = get_online_features(store, service, rows).to_dict()
    assert_same_columns(get_online_features(store, service, entities={c: frame[c] for c in frame}).to_dict(), from_rows)
    assert_same_columns(get_online_features(store, service, entities={
        "airport": frame["airport"].to_numpy(), "counter_id": frame["counter_id"].to_numpy()}).to_dict(), from_rows)
    numpy_scalars = [{"airport": r["airport"], "counter_id": np.int64(r["counter_id"])} for r in rows]
    assert_same_columns(get_online_features(store, service, numpy_scalars).to_dict(), from_rows)
    df = get_online_features(store, service, rows).to_df(include_statuses=True)
    assert len(df) == len(rows) and "hits__status" in df.columns and df["airport"].tolist() == frame["airport"].tolist()


def test_statuses_and_timestamps_follow_the_written_rows(typed) -> None:
    """NOT_FOUND for absent entities (Feast 0.67 says PRESENT), NULL_VALUE for stored nulls,
    OUTSIDE_MAX_AGE past the view's TTL; event timestamps are the rows' own."""
    store = typed.store
    rows = entity_rows()
    ours = get_online_features(store, store.get_feature_service("everything"), rows)
    stock = store.get_online_features(features=store.get_feature_service("everything"), entity_rows=rows)
    stock_statuses = dict(zip(stock.proto.metadata.feature_names.val, [r.statuses for r in stock.proto.results]))
    counters = typed_repo.counters_frame().set_index("counter_id")
    typed_rows = typed_repo.typed_frame().drop_duplicates("airport").set_index("airport")
    pairs = typed_repo.pairs_frame().set_index(["airport", "counter_id"])
    statuses, stamps = ours.statuses, ours.event_timestamps
    checked = {"NOT_FOUND": 0, "NULL_VALUE": 0, "OUTSIDE_MAX_AGE": 0, "PRESENT": 0}
    for i, row in enumerate(rows):
        airport, counter = row["airport"], row["counter_id"]
        # typed: TTL 0 never expires; the all-null airport has NULL_VALUE everywhere
        if airport in typed_rows.index:
            want = "NULL_VALUE" if airport == typed_repo.AIRPORTS[3] else "PRESENT"
            assert statuses["i32"][i] == want and statuses["seen"][i] == want
            assert stamps["name"][i] == typed_rows.loc[airport, "ts"].to_pydatetime()
        else:
            assert statuses["i32"][i] == "NOT_FOUND" and stamps["name"][i] is None
            assert stock_statuses["i32"][i] == 1  # Feast 0.67: PRESENT for a row it did not find
        # counters: TTL 1 day
        if counter in counters.index:
            stamp = counters.loc[counter, "ts"].to_pydatetime()
            stale = (datetime.now(timezone.utc) - stamp).total_seconds() > 86_400
            assert statuses["hits"][i] == ("OUTSIDE_MAX_AGE" if stale else "PRESENT"), (counter, stamp)
            if not stale:
                want = "NULL_VALUE" if pd.isna(counters.loc[counter, "ratio"]) else "PRESENT"
                assert statuses["ratio"][i] == want
            assert stamps["hits"][i] == stamp
        else:
            assert statuses["hits"][i] == statuses["ratio"][i] == "NOT_FOUND"
        # pairs: composite key
        if (airport, counter) in pairs.index:
            label = pairs.loc[(airport, counter), "label"]
            assert statuses["label"][i] == ("NULL_VALUE" if label is None else "PRESENT")
        else:
            assert statuses["label"][i] == statuses["score"][i] == "NOT_FOUND"
        for name in ("i32", "hits", "ratio", "label"):
            checked[statuses[name][i]] += 1
    assert all(checked.values()), checked  # every status occurred


def test_a_reader_is_reused_per_store(typed) -> None:
    from featureguard.online import reader_for

    assert reader_for(typed.store) is reader_for(typed.store)
    with OnlineReader(typed.store) as reader:
        reader.ping()
        result = reader.get_online_features("everything", [{"airport": "JFK", "counter_id": 1}])
        assert result.to_dict()["i64"] == [2**40] and len(result) == 1
