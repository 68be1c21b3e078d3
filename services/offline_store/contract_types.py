"""Retrieved feature columns must have the types their contract declares.

A training frame is the last place a type drift can be caught before it reaches a model (an
int feature read back as text, a float32 where float64 was promised). Views tagged
``{"contract": <source>}`` are checked column by column; untagged views are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import pyarrow as pa

from featureguard.contracts.types import column_type


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
        expected = column_type(declared)
        if expected is None:
            found.append(f"{where}: contract dtype {declared} has no Arrow mapping (retrieved {actual})")
        elif str(actual) not in expected.arrow_accepted:
            found.append(
                f"{where}: contract {check.contract!r} declares {declared} "
                f"(expected Arrow {expected.arrow}), retrieved Arrow {actual}"
            )
    return found


def check_types(schema: pa.Schema, checks: Iterable[ColumnCheck], lookup=_default_lookup) -> None:
    """Raises ContractTypeError listing every mismatch; silent when all columns conform."""
    found = mismatches(schema, checks, lookup)
    if found:
        raise ContractTypeError(found)
