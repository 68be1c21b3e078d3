"""The contract gate: pandera (lazy) decides, this module turns its verdict into row sets.

Pandera's ``drop_invalid_rows`` has had bugs (pandera #1830, #1737), so the bad-row set is derived
from ``SchemaErrors.failure_cases`` indexes here. Pandera runs once per batch: the accepted rows
are the frame pandera coerced and checked (``SchemaErrors.data`` when some rows fail) minus the
failing rows, so they are never validated again; tests/gate checks that they pass the contract.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
import pandera.errors as pe

from featureguard.contracts.model import Contract
from featureguard.gate.failures import MAX_EXAMPLES, CheckFailure, jsonable, schema_failure
from featureguard.gate.integers import fractional_failures, integer_columns
from featureguard.gate.markers import apply_null_markers
from featureguard.gate.timestamps import normalize_timestamps

REASON_COLUMN = "_reason"
ROW_COLUMN = "_row"

#: pandera checks that concern the batch's shape or types rather than individual rows
_SCHEMA_LEVEL = ("column_in_schema", "column_in_dataframe", "dtype(", "coerce_dtype(", "column_name")


@dataclass
class GateResult:
    """Verdict on one batch. ``accepted`` is typed as the contract says; rows keep batch positions."""

    received: int
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    failures: list[CheckFailure] = field(default_factory=list)
    schema_failures: list[CheckFailure] = field(default_factory=list)

    @property
    def batch_ok(self) -> bool:
        return not self.schema_failures

    @property
    def all_failures(self) -> list[CheckFailure]:
        return [*self.schema_failures, *self.failures]


def _is_schema_level(check: str) -> bool:
    return check.startswith(_SCHEMA_LEVEL)


def _schema_message(column: str | None, check: str, value: object) -> str:
    if check == "column_in_schema":
        return f"column {value!r} is not in the contract"
    if check == "column_in_dataframe":
        return f"column {value!r} required by the contract is missing"
    if check.startswith("coerce_dtype(") or check.startswith("dtype("):
        return f"column {column!r} cannot be read as {check.split('(', 1)[1].rstrip(')')}"
    return f"{check} failed"


def _collect(cases: pd.DataFrame) -> tuple[list[CheckFailure], list[CheckFailure]]:
    """Splits pandera failure cases into row failures and batch-level failures."""
    rows: dict[tuple, CheckFailure] = {}
    frame_checks: dict[str, dict[int, dict[str, object]]] = defaultdict(dict)
    batch: dict[tuple, CheckFailure] = {}
    for record in cases.itertuples(index=False):
        check = str(record.check)
        index = record.index
        has_row = index is not None and not pd.isna(index)
        if check.startswith("column_"):  # pandera puts the schema name here; name the column
            column = str(record.failure_case)
        else:
            column = None if pd.isna(record.column) else str(record.column)
        if _is_schema_level(check) or not has_row:
            failure = batch.setdefault((column, check), schema_failure(
                check, _schema_message(column, check, record.failure_case), column, []))
            if has_row:
                failure.rows.append(int(index))
                failure.count += 1
            if len(failure.examples) < MAX_EXAMPLES:
                failure.examples.append({"row": int(index) if has_row else None, "value": jsonable(record.failure_case)})
        elif record.schema_context == "DataFrameSchema":
            # frame-level checks (uniqueness, cross-column) report one case per column: regroup by row
            frame_checks[check].setdefault(int(index), {})[column or "?"] = jsonable(record.failure_case)
        else:
            failure = rows.setdefault((column, check), CheckFailure(column, check, 0))
            failure.rows.append(int(index))
            failure.count += 1
            if len(failure.examples) < MAX_EXAMPLES:
                failure.examples.append({"row": int(index), "value": jsonable(record.failure_case)})
    return [*rows.values(), *(_frame_failure(c, by_row) for c, by_row in frame_checks.items())], list(batch.values())


def _without_knock_on_errors(batch: list[CheckFailure]) -> list[CheckFailure]:
    """Drops value checks that only crashed (TypeError, no row) on a column that could not be typed.

    Pandera still runs ``in_range`` on a text column it failed to coerce; the check raises and
    is reported as a row-less failure. The type failure already says why the batch is refused;
    without one, a crashing check is a real problem and is kept.
    """
    if not any(f.check.startswith(("dtype(", "coerce_dtype(")) for f in batch):
        return batch
    return [f for f in batch if _is_schema_level(f.check) or f.rows]


def _frame_failure(check: str, by_row: dict[int, dict[str, object]]) -> CheckFailure:
    """One failure per frame-level check; its columns are those pandera named for it."""
    columns = list(dict.fromkeys(c for values in by_row.values() for c in values))
    row_ids = sorted(by_row)
    examples = [{"row": r, "value": by_row[r]} for r in row_ids[:MAX_EXAMPLES]]
    return CheckFailure(",".join(columns), check, len(row_ids), examples, row_ids)


def _reasons(failures: list[CheckFailure]) -> dict[int, str]:
    by_row: dict[int, list[str]] = defaultdict(list)
    for failure in failures:
        for row in dict.fromkeys(failure.rows):
            by_row[row].append(failure.label)
    return {row: "; ".join(labels) for row, labels in by_row.items()}


def check_frame(contract: Contract, frame: pd.DataFrame) -> GateResult:
    """Checks every row of ``frame`` against ``contract``; never raises for bad data."""
    frame = frame.reset_index(drop=True)
    received = len(frame)
    # markers become null for checking and storing; rejected rows keep the values as received
    ts = normalize_timestamps(apply_null_markers(frame, contract.null_markers), contract.timestamp_columns)
    row_failures = list(ts.row_failures)
    schema_failures = list(ts.schema_failures)
    typed = ts.frame
    row_failures += fractional_failures(typed, integer_columns(contract))
    held_back = {r for f in row_failures for r in f.rows}
    candidates = typed.drop(index=sorted(held_back)) if held_back else typed
    checked = None  # the candidates as pandera coerced them; every check has run on them

    if not schema_failures:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # pandera's own concat of failure cases
                checked = contract.schema.validate(candidates, lazy=True)
        except pe.SchemaErrors as errors:
            found_rows, found_batch = _collect(errors.failure_cases)
            row_failures.extend(found_rows)
            schema_failures.extend(_without_knock_on_errors(found_batch))
            checked = errors.data
        except pe.SchemaError as error:  # raised outside lazy collection, e.g. by a broken check
            schema_failures.append(schema_failure("schema", str(error).splitlines()[0]))

    if schema_failures:
        return GateResult(received, typed.iloc[0:0], _mark(frame, {i: _batch_reason(schema_failures) for i in range(received)}),
                          row_failures, schema_failures)

    reasons = _reasons(row_failures)
    bad = sorted(reasons)
    # row checks are per row and frame checks (uniqueness) name every row they fail, so dropping
    # the failing rows leaves rows that pass: no second pandera pass over them
    failed = [r for r in bad if r in checked.index]
    accepted = checked.drop(index=failed) if failed else checked
    return GateResult(received, accepted, _mark(frame.loc[bad], reasons), row_failures, [])


def _batch_reason(failures: list[CheckFailure]) -> str:
    return "batch rejected: " + "; ".join(f.message or f.label for f in failures)


def _mark(rows: pd.DataFrame, reasons: dict[int, str]) -> pd.DataFrame:
    marked = rows.copy()
    marked.insert(0, ROW_COLUMN, marked.index.astype("int64"))
    marked[REASON_COLUMN] = [reasons[i] for i in marked.index]
    return marked
