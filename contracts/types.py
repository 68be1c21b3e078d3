"""The one type table: every pandera dtype a contract may declare, as Feast, Arrow and JSON Schema see it.

Feature views, the stored-data check, the retrieval type check and the exports all read this
table, so a dtype is mapped once and the mappings cannot drift apart. It is plain data, free of
Feast and pyarrow: Feast types are named here (a name in ``feast.types`` and a ``ValueType``
member) and resolved by ``featureguard.feature_repo.fields``; Arrow types are the text
``str(pyarrow_type)`` gives, so a Parquet schema read back compares by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

#: timezone spellings pyarrow reports for UTC; any unit is the same instant on the time line
UTC_NAMES = ("UTC", "Etc/UTC", "+00:00", "Z")
_TIME_UNITS = ("s", "ms", "us", "ns")


@dataclass(frozen=True)
class ColumnType:
    """How one pandera dtype is typed outside pandas."""

    feast: str  # name of the Feast type in ``feast.types`` (field dtype of a feature view)
    value_type: str  # name of the ``feast.value_type.ValueType`` member (entity join key type)
    arrow: str  # the Arrow type ingestion writes, as messages name it
    arrow_accepted: frozenset[str]  # every Arrow type (``str(type)``) a stored or retrieved column may have
    json: str  # JSON Schema ``type`` of one value (timestamps are date-time strings)
    odcs_format: str | None = None  # ODCS ``logicalTypeOptions.format`` of a number


def _simple(feast: str, value_type: str, arrow: str, json: str, odcs_format: str | None = None) -> ColumnType:
    return ColumnType(feast, value_type, arrow, frozenset({arrow}), json, odcs_format)


_FLOAT64 = _simple("Float64", "DOUBLE", "double", "number", "f64")
_FLOAT32 = _simple("Float32", "FLOAT", "float", "number", "f32")
_INT64 = _simple("Int64", "INT64", "int64", "integer", "i64")
_INT32 = _simple("Int32", "INT32", "int32", "integer", "i32")
_BOOL = _simple("Bool", "BOOL", "bool", "boolean")
_STRING = ColumnType("String", "STRING", "string", frozenset({"string", "large_string", "string_view"}), "string")
_BYTES = ColumnType("Bytes", "BYTES", "binary", frozenset({"binary", "large_binary", "binary_view"}), "string")
_UTC_TIMESTAMP = ColumnType(
    "UnixTimestamp", "UNIX_TIMESTAMP", "timestamp[*, tz=UTC]",
    frozenset(f"timestamp[{unit}, tz={tz}]" for unit in _TIME_UNITS for tz in UTC_NAMES), "string")

#: pandera dtype (``str(column.dtype)``) -> its types elsewhere
TYPES: Mapping[str, ColumnType] = {
    "float64": _FLOAT64,
    "float32": _FLOAT32,
    "int64": _INT64,
    "Int64": _INT64,
    "int32": _INT32,
    "Int32": _INT32,
    "bool": _BOOL,
    "boolean": _BOOL,
    "str": _STRING,
    "string": _STRING,
    "string[python]": _STRING,  # pandera's name for pandas' StringDtype
    "string[pyarrow]": _STRING,
    "object": _STRING,
    "bytes": _BYTES,
    "datetime64[ns, UTC]": _UTC_TIMESTAMP,
}


def column_type(dtype: object) -> ColumnType | None:
    """The table's entry for a pandera dtype (or its name); None when the table has none."""
    return TYPES.get(str(dtype))
