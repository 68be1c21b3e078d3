"""A starting contract from a sample batch, built on pandera's schema inference.

pandera (``pandera.schema_inference``) gives each column's type, whether nulls were seen and the
observed min/max. That is a guess, so this module says what it guessed, column by column, and
marks every value rule drawn from the sample (ranges, allowed values) as a proposal in the
check's own description: "proposed from the sample: ... — review". Only facts the user gave
(keys, event time) are asserted: the event time must be a timezone-aware timestamp (text needs
an explicit offset; a naive value is never guessed to be UTC) and key + event time must
identify one row of the sample.

Pure: a DataFrame in, a Contract and a report out. Reading the sample and writing the YAML
belong to the caller (``featureguard contracts infer``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.schema_inference.pandas import infer_dataframe_schema

from featureguard.contracts.export import TZ_TIMESTAMP_PATTERN
from featureguard.contracts.factory import contract as make_contract
from featureguard.contracts.model import UTC_TIMESTAMP, Contract

VERSION = "0.1.0"
OWNER_PLACEHOLDER = "TODO-owner"
#: a text column gets an allowed-values proposal with at most this many distinct values...
MAX_CATEGORIES = 20
#: ...each seen at least this many times on average (fewer repeats look like ids or free text)
MIN_REPEATS = 2
MAX_EXAMPLES = 5

_ZONED = re.compile(TZ_TIMESTAMP_PATTERN)
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")
_SMALL_INTS = ("int8", "int16", "int32", "uint8", "uint16")


class InferenceError(ValueError):
    """The sample or the arguments cannot give a contract (missing column, naive event time...)."""


@dataclass
class Proposal:
    check: str
    statistics: dict[str, Any]
    description: str


@dataclass
class ColumnGuess:
    """What was guessed for one column, in the words the report prints."""

    column: str
    role: str  # entity key | event time | feature
    dtype: str
    nullable: bool
    nulls: int
    distinct: int
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class DuplicateKeys:
    columns: list[str]
    rows: int  # sample rows sharing their key with another row
    examples: list[dict[str, Any]]  # {"key": {...}, "rows": [...]}


@dataclass
class Inference:
    contract: Contract
    rows: int
    columns: list[ColumnGuess]
    duplicates: DuplicateKeys | None = None
    null_keys: dict[str, list[int]] = field(default_factory=dict)  # key column -> sample rows without a value
    review: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when the sample itself breaks the key rules the contract states."""
        return self.duplicates is None and not self.null_keys

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.contract.name, "version": self.contract.version, "owner": self.contract.owner,
            "compatibility": self.contract.compatibility, "rows": self.rows,
            "entity_columns": list(self.contract.entity_columns), "timestamp_column": self.contract.timestamp_column,
            "unique": list(self.contract.schema.unique or []), "ok": self.ok,
            "columns": [asdict(c) for c in self.columns],
            "duplicates": None if self.duplicates is None else asdict(self.duplicates),
            "null_keys": {k: v[:MAX_EXAMPLES] for k, v in self.null_keys.items()},
            "review": self.review,
        }

    def lines(self) -> list[str]:
        """The report as plain lines: the guesses per column, then what to review."""
        c = self.contract
        out = [f"{c.name} {c.version}: inferred from {self.rows} sample rows; keys {', '.join(c.entity_columns)}; "
               f"event time {c.timestamp_column}; one row per ({', '.join(c.schema.unique or [])})"]
        for g in self.columns:
            head = f"  {g.column} [{g.role}]: {g.dtype}, {'nullable' if g.nullable else 'required'}"
            out.append(head + (f" ({g.nulls} nulls seen)" if g.nulls else " (no nulls seen)"))
            out += [f"      proposal: {p.check} {p.statistics} — {p.description}" for p in g.proposals]
            out += [f"      note: {n}" for n in g.notes]
        if self.duplicates is not None:
            d = self.duplicates
            out.append(f"ERROR: {d.rows} sample rows share their ({', '.join(d.columns)}) with another row, e.g. "
                       + "; ".join(f"{e['key']} in rows {e['rows']}" for e in d.examples))
        for key, rows in self.null_keys.items():
            out.append(f"ERROR: {key!r} (part of the row identity) has no value in {len(rows)} sample rows, "
                       f"e.g. rows {rows[:MAX_EXAMPLES]}")
        out += [f"review: {r}" for r in self.review]
        return out


# ------------------------------------------------------------------ typing the sample


def _text_kind(values: pd.Series) -> str:
    """``zoned`` (every value an ISO timestamp with offset), ``naive`` (ISO-looking, some without),
    ``bool``, ``text`` or ``mixed`` (values of several Python types)."""
    kinds = {type(v) for v in values}
    if kinds <= {bool, np.bool_}:
        return "bool"
    if not kinds <= {str}:
        return "mixed"
    text = values.str.strip()
    if len(text) and text.str.match(_ZONED).all():
        return "zoned"
    if len(text) and text.str.match(_ISO_LIKE).all():
        return "naive"
    return "text"


def _naive_examples(series: pd.Series) -> list[Any]:
    present = series.dropna()
    text = present.astype(str).str.strip()
    return list(dict.fromkeys(present[~text.str.match(_ZONED)].tolist()))[:MAX_EXAMPLES]


def _to_utc(series: pd.Series, column: str) -> pd.Series:
    parsed = pd.to_datetime(series.where(series.notna(), None), format="ISO8601", utc=True, errors="coerce")
    bad = series.notna() & parsed.isna()
    if bad.any():
        raise InferenceError(f"column {column!r}: not ISO-8601 timestamps: {series[bad].head(MAX_EXAMPLES).tolist()}")
    return parsed.astype(str(UTC_TIMESTAMP))


def _type_columns(frame: pd.DataFrame, timestamp: str, notes: dict[str, list[str]]) -> pd.DataFrame:
    """Text that is really timestamps or booleans typed as such, so pandera infers real types.

    Timezone-aware timestamps (typed, or text with an offset in every value) become UTC; a
    naive event time is refused; naive text elsewhere stays text, with a note.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_convert("UTC").astype(str(UTC_TIMESTAMP))
            continue
        if pd.api.types.is_datetime64_dtype(series.dtype):
            raise InferenceError(f"column {column!r} holds timestamps without a timezone ({series.dtype}); "
                                 "featureguard never guesses a zone: write them with an offset (UTC)")
        if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
            continue
        present = series.dropna()
        kind = _text_kind(present) if len(present) else "empty"
        if column == timestamp and kind != "zoned":
            if kind == "empty":
                raise InferenceError(f"event time column {column!r} has no values in the sample")
            examples = _naive_examples(present) if kind in ("naive", "text") else present.head(MAX_EXAMPLES).tolist()
            raise InferenceError(f"event time column {column!r} must be timestamps with an explicit zone "
                                 f"(Z or +hh:mm); got e.g. {examples}")
        if kind == "zoned":
            out[column] = _to_utc(series, column)
            notes[column].append("every value an ISO-8601 timestamp with an offset: a UTC timestamp column")
        elif kind == "naive":
            notes[column].append(f"looks like timestamps without a timezone (e.g. {_naive_examples(present)[:2]}): "
                                 "kept as text; send offsets to make it a timestamp column")
        elif kind == "bool":
            out[column] = series.astype("boolean")
        elif kind == "mixed":
            names = sorted({type(v).__name__ for v in present})
            notes[column].append(f"values of several types ({', '.join(names)}): typed as text")
    return out


def _dtype(inferred: str, nullable: bool, series: pd.Series, notes: list[str]) -> str:
    """A contract dtype (one the gate, the exports and Feast all know) for pandera's inferred one."""
    if inferred == str(UTC_TIMESTAMP):
        return inferred
    if inferred in ("bool", "boolean"):
        return "boolean"  # pandas' nullable boolean: coercing to numpy bool would turn nulls and "False" into True
    if pd.api.types.is_integer_dtype(series.dtype):
        dtype = "int32" if inferred in _SMALL_INTS else "int64"
        if inferred not in ("int32", "int64", "Int32", "Int64"):
            notes.append(f"read as {inferred}; typed {dtype}")
        return dtype
    if pd.api.types.is_float_dtype(series.dtype):
        present = series.dropna()
        if nullable and len(present) and np.isfinite(present).all() and (present == np.floor(present)).all():
            notes.append("whole numbers with nulls (read as float): typed float64; use Int64 if it is a count")
        return "float32" if inferred == "float32" else "float64"
    return "str"


# ------------------------------------------------------------------ proposals


def _range(series: pd.Series, dtype: str, checks: list[pa.Check], rows: int, notes: list[str]) -> Proposal | None:
    """pandera's observed min/max as one in_range proposal (finite values only)."""
    stats = {c.name: c.statistics for c in checks}
    low = (stats.get("greater_than_or_equal_to") or {}).get("min_value")
    high = (stats.get("less_than_or_equal_to") or {}).get("max_value")
    if low is None or high is None:
        return None
    if not (np.isfinite(low) and np.isfinite(high)):
        notes.append("infinite values in the sample: no range proposed")
        return None
    if dtype.startswith("int"):
        low, high = int(low), int(high)
    else:
        low, high = float(low), float(high)
    return Proposal("in_range", {"min_value": low, "max_value": high},
                    f"proposed from the sample: {low}..{high} over {rows} rows — review")


def _allowed(series: pd.Series, rows: int, notes: list[str]) -> Proposal | None:
    present = series.dropna().astype(str)
    values = sorted(present.unique().tolist())
    if not values:
        return None
    if len(values) > MAX_CATEGORIES or len(values) * MIN_REPEATS > len(present):
        notes.append(f"{len(values)} distinct values: no allowed-values proposal")
        return None
    return Proposal("isin", {"allowed_values": values},
                    f"proposed from the sample: the {len(values)} value{'s' * (len(values) > 1)} seen "
                    f"over {rows} rows — review")


def _guess(name: str, role: str, inferred: pa.Column, series: pd.Series,
           notes: list[str]) -> tuple[pa.Column, ColumnGuess]:
    """One contract column from pandera's inferred one: our dtype, nullability, marked proposals."""
    rows, nulls = len(series), int(series.isna().sum())
    nullable = bool(inferred.nullable) and role == "feature"  # keys and event time are always required
    dtype = _dtype(str(inferred.dtype), bool(inferred.nullable), series, notes)
    candidates: list[Proposal | None] = []
    if nulls == rows:
        notes.append("no values in the sample: type unknown — review")
    elif dtype.startswith(("int", "float")) and role == "feature":
        candidates.append(_range(series, dtype, inferred.checks, rows, notes))
    elif dtype == "str":
        candidates.append(_allowed(series, rows, notes))
    proposals = [p for p in candidates if p is not None]
    if role == "event time":
        notes.append("event time: UTC timestamp, required; no range proposed for time")
    elif role == "entity key" and dtype.startswith(("int", "float")):
        notes.append("key: no range proposed (new entities fall outside the sample's)")
    if dtype == str(UTC_TIMESTAMP):
        column = pa.Column(UTC_TIMESTAMP, nullable=nullable)  # type: ignore[arg-type]
    else:
        column = pa.Column(dtype, [_check(p) for p in proposals], nullable=nullable)
    guess = ColumnGuess(name, role, dtype, nullable, nulls, int(series.nunique(dropna=True)), proposals, notes)
    return column, guess


def _check(p: Proposal) -> pa.Check:
    if p.check == "in_range":
        return pa.Check.in_range(p.statistics["min_value"], p.statistics["max_value"], description=p.description)
    return pa.Check.isin(p.statistics["allowed_values"], description=p.description)


# ------------------------------------------------------------------ key rules on the sample


def _duplicates(frame: pd.DataFrame, columns: list[str]) -> DuplicateKeys | None:
    dup = frame.duplicated(subset=columns, keep=False)
    if not dup.any():
        return None
    examples = []
    for key, group in frame[dup].groupby(columns, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        examples.append({"key": {c: _plain(v) for c, v in zip(columns, key)}, "rows": [int(i) for i in group.index]})
        if len(examples) == MAX_EXAMPLES:
            break
    return DuplicateKeys(columns, int(dup.sum()), examples)


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


# ------------------------------------------------------------------ the contract


def infer_contract(frame: pd.DataFrame, source: str, keys: list[str], timestamp: str,
                   sample_name: str = "sample") -> Inference:
    """The starting contract for ``source`` from ``frame``, with the report of every guess.

    Raises InferenceError for arguments or a sample no contract can be built from; a sample that
    breaks key uniqueness (or has keys without a value) gives an Inference whose ``ok`` is False.
    """
    frame = frame.reset_index(drop=True)
    if not len(frame):
        raise InferenceError(f"{sample_name}: no rows to infer from")
    if not keys:
        raise InferenceError("give at least one --key column")
    named = [*keys, timestamp]
    if len(set(named)) != len(named):
        raise InferenceError(f"key and timestamp columns must be distinct: {named}")
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise InferenceError(f"{sample_name}: no column {', '.join(map(repr, missing))}; "
                             f"columns: {', '.join(map(str, frame.columns))}")
    if any(not isinstance(c, str) for c in frame.columns):
        raise InferenceError(f"{sample_name}: column names must be text: {list(frame.columns)}")
    notes: dict[str, list[str]] = {c: [] for c in frame.columns}
    typed = _type_columns(frame, timestamp, notes)
    inferred = infer_dataframe_schema(typed)
    columns: dict[str, pa.Column] = {}
    guesses = []
    for name, col in inferred.columns.items():
        role = "entity key" if name in keys else "event time" if name == timestamp else "feature"
        columns[name], guess = _guess(name, role, col, typed[name], notes[name])
        guesses.append(guess)
    rows = len(typed)

    contract = make_contract(
        source, VERSION, owner=OWNER_PLACEHOLDER,
        description=f"{source}: inferred from {sample_name} ({rows} rows); review the proposed checks.",
        entity_columns=keys, timestamp_column=timestamp, columns=columns, compatibility="BACKWARD",
    )
    unique = list(contract.schema.unique)
    null_keys = {k: [int(i) for i in typed.index[typed[k].isna()]] for k in named if typed[k].isna().any()}
    review = [f"owner is a placeholder ({OWNER_PLACEHOLDER})",
              "no feature_ttl and no max_age (freshness SLA): set them if the source has them"]
    proposed = [f"{g.column}: {p.check}" for g in guesses for p in g.proposals]
    if proposed:
        review.append("proposals drawn from the sample: " + ", ".join(proposed))
    required = [g.column for g in guesses if g.role == "feature" and not g.nullable]
    if required:
        review.append("required because the sample has no nulls: " + ", ".join(required))
    return Inference(contract, rows, guesses, _duplicates(typed, unique), null_keys, review)
