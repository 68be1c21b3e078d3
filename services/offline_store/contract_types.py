"""Retrieved feature columns must have the types their contract declares.

A training frame is the last place a type drift can be caught before it reaches a model (an
int feature read back as text, a float32 where float64 was promised). Views tagged
``{"contract": <source>}`` are checked column by column; untagged views are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import pyarrow as pa

_STRING = (pa.types.is_string, pa.types.is_large_string, getattr(pa.types, "is_string_view", lambda t: False))
_BINARY = (pa.types.is_binary, pa.types.is_large_binary, getattr(pa.types, "is_binary_view", lambda t: False))
_UTC_NAMES = {"UTC", "Etc/UTC", "+00:00", "Z"}


def _is_utc_timestamp(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) and t.tz in _UTC_NAMES


#: pandera dtype name -> (Arrow description, predicate on the retrieved Arrow type)
_EXPECTED: dict[str, tuple[str, Callable[[pa.DataType], bool]]] = {
    "float64": ("double", lambda t: t == pa.float64()),
    "float32": ("float", lambda t: t == pa.float32()),
    "int64": ("int64", lambda t: t == pa.int64()),
    "Int64": ("int64", lambda t: t == pa.int64()),
    "int32": ("int32", lambda t: t == pa.int32()),
    "Int32": ("int32", lambda t: t == pa.int32()),
    "bool": ("bool", pa.types.is_boolean),
    "boolean": ("bool", pa.types.is_boolean),
    "str": ("string", lambda t: any(p(t) for p in _STRING)),
    "string": ("string", lambda t: any(p(t) for p in _STRING)),
    "object": ("string", lambda t: any(p(t) for p in _STRING)),
    "bytes": ("binary", lambda t: any(p(t) for p in _BINARY)),
    "datetime64[ns, UTC]": ("timestamp[*, tz=UTC]", _is_utc_timestamp),
}


class ContractTypeError(TypeError):
    """Retrieved features whose types differ from their contract; ``mismatches`` lists each one."""

    def __init__(self, mismatches: Sequence[str]) -> None:
        self.mismatches = list(mismatches)
        super().__init__("retrieved features break their contracts:\n  " + "\n  ".join(self.mismatches))


@dataclass(frozen=True)
class ColumnCheck:
    """Output ``column`` of feature ``view`` holds contract ``contract``'s ``source_column``."""

    view: str
    column: str
    source_column: str
    contract: str


def _default_lookup(name: str):
    from featureguard.contracts.registry import get_contract

    return get_contract(name)


def mismatches(schema: pa.Schema, checks: Iterable[ColumnCheck], lookup=_default_lookup) -> list[str]:
    """One message per checked column whose Arrow type is not what its contract declares."""
    found = []
    for check in checks:
        where = f"feature view {check.view!r}, column {check.column!r}"
        contract = lookup(check.contract)
        if check.source_column not in contract.schema.columns:
            found.append(f"{where}: contract {check.contract!r} declares no column {check.source_column!r}")
            continue
        declared = str(contract.schema.columns[check.source_column].dtype)
        if check.column not in schema.names:
            found.append(f"{where}: missing from the result (contract {check.contract!r} declares {declared})")
            continue
        actual = schema.field(check.column).type
        expected = _EXPECTED.get(declared)
        if expected is None:
            found.append(f"{where}: contract dtype {declared} has no Arrow mapping (retrieved {actual})")
        elif not expected[1](actual):
            found.append(
                f"{where}: contract {check.contract!r} declares {declared} "
                f"(expected Arrow {expected[0]}), retrieved Arrow {actual}"
            )
    return found


def check_types(schema: pa.Schema, checks: Iterable[ColumnCheck], lookup=_default_lookup) -> None:
    """Raises ContractTypeError listing every mismatch; silent when all columns conform."""
    found = mismatches(schema, checks, lookup)
    if found:
        raise ContractTypeError(found)
