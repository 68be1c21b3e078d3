"""Rows are checked against their source's contract before they reach Redis.

The view's ``contract`` tag names the source; each batch goes through the ingestion gate
(``featureguard.gate.gate.check_frame``: pandera, lazy, bad rows derived from failure cases).
Rows that fail are not written and are counted per (column, check) with example values and
the entity they belong to; they stay in the offline store, so nothing is lost. Rows Redis
cannot key at all (a null join key or event time) are reported the same way, with or without
a contract (Feast would abort the whole run on them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from featureguard.feature_repo.tags import tagged_contract
from featureguard.gate.failures import MAX_EXAMPLES, CheckFailure, jsonable


@dataclass
class Rejections:
    """Failures accumulated over a run, merged by (column, check)."""

    rows: int = 0
    failures: dict[tuple[str | None, str], CheckFailure] = field(default_factory=dict)

    def add(self, failure: CheckFailure) -> None:
        merged = self.failures.setdefault((failure.column, failure.check), CheckFailure(
            failure.column, failure.check, 0, message=failure.message))
        merged.count += failure.count
        merged.examples += failure.examples[:MAX_EXAMPLES - len(merged.examples)]

    def to_list(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.failures.values()]


def contract_for(feature_view: Any, repo_path: Any = None):
    """The contract named by the view's ``contract`` tag, or None for an untagged view; looked
    up in the project at ``repo_path`` (the store's), else in the active one."""
    name = tagged_contract(feature_view)
    if not name:
        return None
    from featureguard.contracts.registry import registry_for

    return registry_for(repo_path).get(name)


class BatchCheck:
    """Splits batches into rows to write and rejected rows (recorded in ``rejections``)."""

    def __init__(self, contract: Any, keys: list[str], timestamp: str) -> None:
        self.contract = contract
        self.keys = keys
        self.timestamp = timestamp
        self.rejections = Rejections()

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        good = np.ones(len(batch), dtype=bool)
        for column in [*self.keys, self.timestamp]:
            values = batch.column(column)
            if values.null_count:
                missing = ~np.asarray(values.is_valid(), dtype=bool)
                self._reject(batch, missing & good, column, "not_null", "Redis cannot key a row without it")
                good &= ~missing
        if self.contract is not None and good.any():
            good &= self._contract_ok(batch, good)
        return batch if good.all() else batch.filter(pa.array(good))

    def _contract_ok(self, batch: pa.RecordBatch, candidates: np.ndarray) -> np.ndarray:
        from featureguard.gate.gate import check_frame

        columns = [c for c in batch.schema.names if c in self.contract.columns]
        frame = batch.select(columns).to_pandas()
        positions = np.flatnonzero(candidates)
        if len(positions) < len(batch):
            frame = frame.iloc[positions]
        result = check_frame(self.contract, frame)  # positions below are 0..len(frame)-1
        ok = np.ones(len(batch), dtype=bool)
        bad: set[int] = set()
        for failure in result.all_failures:
            rows = sorted(set(failure.rows)) if failure.rows else list(range(len(frame)))
            bad.update(rows)
            self.rejections.add(CheckFailure(
                failure.column, failure.check, len(rows) if not failure.count else failure.count,
                [self._example(batch, int(positions[e["row"]]) if e.get("row") is not None else None, e.get("value"))
                 for e in failure.examples], message=failure.message))
        if bad:
            ok[positions[sorted(bad)]] = False
            self.rejections.rows += len(bad)
        return ok

    def _reject(self, batch: pa.RecordBatch, mask: np.ndarray, column: str, check: str, message: str) -> None:
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        self.rejections.rows += len(positions)
        examples = [self._example(batch, int(p), None) for p in positions[:MAX_EXAMPLES]]
        self.rejections.add(CheckFailure(column, check, len(positions), examples, message=message))

    def _example(self, batch: pa.RecordBatch, position: int | None, value: Any) -> dict[str, Any]:
        example: dict[str, Any] = {"value": value}
        if position is not None:
            example["entity"] = {k: jsonable(batch.column(k)[position].as_py()) for k in self.keys}
            example["event_timestamp"] = jsonable(batch.column(self.timestamp)[position].as_py())
        return example
