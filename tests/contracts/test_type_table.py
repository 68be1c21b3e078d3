"""One type table: Feast, Arrow and JSON Schema types of every contract dtype, and contracts stay pure."""

from __future__ import annotations

import subprocess
import sys

import pandera.pandas as pa
import pyarrow
import pytest

from featureguard.contracts.export import to_json_schema
from featureguard.contracts.model import Contract, utc_timestamp_column
from featureguard.contracts.types import TYPES, column_type

#: every dtype one of the four former copies mapped (Feast fields, stored-data check, JSON Schema, retrieval)
FORMER_DTYPES = {"float64", "float32", "int64", "Int64", "int32", "Int32", "bool", "boolean", "str", "string",
                 "object", "bytes", "datetime64[ns, UTC]"}


def test_the_table_covers_every_dtype_any_former_copy_knew():
    assert FORMER_DTYPES <= set(TYPES)
    assert column_type("bytes").arrow_accepted == {"binary", "large_binary", "binary_view"}
    assert column_type("nope") is None


def test_feast_names_resolve_and_agree_with_feast_own_mappings():
    from feast.type_map import feast_value_type_to_pa

    from featureguard.feature_repo.fields import FEAST_TYPES

    for dtype, entry in TYPES.items():
        field_type, value_type = FEAST_TYPES[dtype]
        assert field_type.to_value_type() == value_type, dtype
        arrow = feast_value_type_to_pa(value_type)
        if pyarrow.types.is_timestamp(arrow):  # Feast's Arrow timestamps carry no zone; ours are UTC
            assert f"timestamp[{arrow.unit}, tz=UTC]" in entry.arrow_accepted
        else:
            assert str(arrow) in entry.arrow_accepted and str(arrow) == entry.arrow, dtype


def _with_string_dtype() -> Contract:
    """A contract whose text column uses pandas' StringDtype (pandera names it ``string[python]``)."""
    schema = pa.DataFrameSchema({"sensor": pa.Column("string"), "at": utc_timestamp_column(),
                                 "label": pa.Column("string", nullable=True)}, name="tags")
    return Contract("tags", "1.0.0", "o", "d", ("sensor",), "at", schema)


def test_a_string_dtype_column_is_typed_everywhere():
    from feast.types import String
    from feast.value_type import ValueType

    from featureguard.feature_repo.fields import entity_value_type, feast_field
    from featureguard.offline_store.contract_types import ColumnCheck, mismatches

    contract = _with_string_dtype()
    assert str(contract.schema.columns["label"].dtype) == "string[python]"
    assert feast_field(contract, "label").dtype == String
    assert entity_value_type(contract, "sensor") == ValueType.STRING
    schema = pyarrow.schema([("label", pyarrow.large_string())])
    assert mismatches(schema, [ColumnCheck("v", "label", "label", "tags")], lookup=lambda _: contract) == []
    assert to_json_schema(contract)["properties"]["label"]["type"] == ["string", "null"]


@pytest.mark.parametrize("arrow, ok", [(pyarrow.timestamp("s", tz="Etc/UTC"), True),
                                       (pyarrow.timestamp("ns", tz="+00:00"), True),
                                       (pyarrow.timestamp("ns", tz="America/New_York"), False),
                                       (pyarrow.timestamp("ns"), False)])
def test_retrieved_timestamps_must_be_utc_in_any_unit(arrow, ok):
    from featureguard.contracts import get_contract
    from featureguard.offline_store.contract_types import ColumnCheck, mismatches

    found = mismatches(pyarrow.schema([("time_hour", arrow)]),
                       [ColumnCheck("weather_hourly", "time_hour", "time_hour", "weather")], lookup=get_contract)
    assert (found == []) is ok, found


def test_every_contracts_module_imports_without_feast_or_upper_layers():
    """contracts are pure declarations: no Feast, no feature_repo, no service modules."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import featureguard.contracts as c\n"
        "names = [m.name for m in pkgutil.walk_packages(c.__path__, 'featureguard.contracts.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
        "print(sorted(m for m in sys.modules if m == 'feast' or m.startswith('feast.')\n"
        "             or (m.startswith('featureguard.') and not m.startswith('featureguard.contracts'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, loaded = out.stdout.strip().splitlines()[-2:]
    assert int(count) >= 14 and loaded == "[]", loaded
