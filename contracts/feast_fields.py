"""Contract columns as Feast fields, so feature views are derived from featureguard.contracts, never retyped.

This is the only module in ``contracts`` that imports Feast; producer commands never load it.
"""

from __future__ import annotations

from feast import Field
from feast.types import Bool, Bytes, Float32, Float64, Int32, Int64, String, UnixTimestamp
from feast.value_type import ValueType

from featureguard.contracts.model import Contract

#: pandas/pandera dtype name -> (Feast field type, Feast entity value type)
_DTYPE_TO_FEAST = {
    "float64": (Float64, ValueType.DOUBLE),
    "float32": (Float32, ValueType.FLOAT),
    "int64": (Int64, ValueType.INT64),
    "Int64": (Int64, ValueType.INT64),
    "int32": (Int32, ValueType.INT32),
    "Int32": (Int32, ValueType.INT32),
    "bool": (Bool, ValueType.BOOL),
    "boolean": (Bool, ValueType.BOOL),
    "str": (String, ValueType.STRING),
    "string": (String, ValueType.STRING),
    "object": (String, ValueType.STRING),
    "bytes": (Bytes, ValueType.BYTES),
    "datetime64[ns, UTC]": (UnixTimestamp, ValueType.UNIX_TIMESTAMP),
}


class UnmappableColumnError(TypeError):
    pass


def _lookup(contract: Contract, column: str):
    dtype = str(contract.schema.columns[column].dtype)
    try:
        return _DTYPE_TO_FEAST[dtype]
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
