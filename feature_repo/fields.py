"""Contract columns as Feast fields and entity value types, resolved from the one type table.

``featureguard.contracts.types`` names each dtype's Feast type as text so contracts stay
Feast-free; this module turns the names into ``feast.types`` objects and ``ValueType`` members
once, at import (a misspelt name fails here, not in some later view).
"""

from __future__ import annotations

from feast import Field
from feast import types as feast_types
from feast.value_type import ValueType

from featureguard.contracts.model import Contract
from featureguard.contracts.types import TYPES

#: pandera dtype -> (Feast field type, Feast entity value type)
FEAST_TYPES = {dtype: (getattr(feast_types, t.feast), ValueType[t.value_type]) for dtype, t in TYPES.items()}


class UnmappableColumnError(TypeError):
    """A contract column whose dtype has no Feast type."""


def _lookup(contract: Contract, column: str):
    dtype = str(contract.schema.columns[column].dtype)
    try:
        return FEAST_TYPES[dtype]
    except KeyError:
        raise UnmappableColumnError(
            f"contract {contract.name!r} column {column!r}: dtype {dtype} has no Feast type"
        ) from None


def feast_field(contract: Contract, column: str) -> Field:
    return Field(name=column, dtype=_lookup(contract, column)[0])


def feature_fields(contract: Contract) -> list[Field]:
    """Feast fields for every feature column of ``contract``, in contract order."""
    return [feast_field(contract, c) for c in contract.feature_columns]


def entity_value_type(contract: Contract, column: str) -> ValueType:
    return _lookup(contract, column)[1]
