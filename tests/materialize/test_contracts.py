"""Rows failing their view's contract are not written and are reported with counts, checks,
entities and example values; the rest are written exactly as stock Feast writes them."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.materialize import repo
from tests.materialize.conftest import Pair, open_pair


@pytest.fixture()
def checked(tmp_path, redis_server) -> Iterator[Pair]:
    from featureguard.contracts import ContractRegistry, use_registry

    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "mat_pairs.py").write_text("from tests.materialize.contract_fixture import CONTRACT  # noqa: F401\n")
    previous = use_registry(ContractRegistry(folder))
    try:
        yield open_pair(tmp_path, redis_server, tags={"pairs": {"contract": "mat_pairs"}})
    finally:
        use_registry(previous)


def test_failing_rows_are_not_written_and_are_reported(checked, capsys):
    checked.materialize(views=["pairs"])
    stock, ours = checked.dumps()
    assert len(stock) == 5 and len(ours) == 3
    assert all(stock[key] == value for key, value in ours.items())  # good rows: Feast's bytes
    (report,) = checked.ours.engine.reports
    assert (report.contract, report.rows, report.written, report.rejected) == ("mat_pairs", 5, 3, 2)
    failures = {(f["column"], f["check"]): f for f in report.failures}
    assert set(failures) == {("score", "in_range(-1.0, 2.5)"), ("counter_id", "less_than_or_equal_to(1099511627776)")}
    score = failures[("score", "in_range(-1.0, 2.5)")]
    assert score["count"] == 1 and score["examples"][0]["value"] == 3.0
    assert score["examples"][0]["entity"] == {"zone": "s", "counter_id": 1}
    assert score["examples"][0]["event_timestamp"].startswith("2024-06-01T09:00:00")
    assert failures[("counter_id", "less_than_or_equal_to(1099511627776)")]["examples"][0]["value"] == 2**62
    printed = capsys.readouterr().err
    assert "pairs: 5 entities, 3 written" in printed and "2 rejected" in printed and "in_range" in printed

    got = checked.ours.store.get_online_features(features=["pairs:score"], entity_rows=[
        {"zone": "s", "counter_id": 1}, {"zone": "n", "counter_id": 2}]).to_dict()
    assert got["score"] == [None, 2.0]  # the failing row never reached Redis


def test_contract_checks_can_be_turned_off(tmp_path, redis_server):
    from featureguard.contracts import ContractRegistry, use_registry

    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "mat_pairs.py").write_text("from tests.materialize.contract_fixture import CONTRACT  # noqa: F401\n")
    previous = use_registry(ContractRegistry(folder))
    try:
        made = open_pair(tmp_path, redis_server, engine=repo.bulk(validate_contracts=False),
                         tags={"pairs": {"contract": "mat_pairs"}})
        made.materialize(views=["pairs"])
    finally:
        use_registry(previous)
    stock, ours = made.dumps()
    assert ours == stock and len(ours) == 5


def test_unknown_contract_fails_clearly(tmp_path, redis_server):
    made = open_pair(tmp_path, redis_server, tags={"pairs": {"contract": "no_such_source"}})
    with pytest.raises(KeyError, match="unknown source 'no_such_source'"):
        made.ours.materialize(views=["pairs"])
    assert made.ours_redis.dbsize() == 0
