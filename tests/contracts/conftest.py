"""Contract variants built from the real contracts, and small real batches."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pytest

from featureguard.contracts import Contract, get_contract


def variant(base: str | Contract = "weather", version: str | None = None, **changes: Any) -> Contract:
    """A copy of a contract with some fields replaced (schema edits via pandera's own API)."""
    contract = get_contract(base) if isinstance(base, str) else base
    return dataclasses.replace(contract, version=version or contract.version, **changes)


def _contract(base: str | Contract) -> Contract:
    return get_contract(base) if isinstance(base, str) else base


def with_column(contract: str | Contract, name: str, column: pa.Column, version: str) -> Contract:
    contract = _contract(contract)
    return variant(contract, version, schema=contract.schema.add_columns({name: column}))


def with_updated(contract: str | Contract, column: str, version: str, **props: Any) -> Contract:
    contract = _contract(contract)
    return variant(contract, version, schema=contract.schema.update_column(column, **props))


@pytest.fixture(scope="session")
def weather_rows() -> pd.DataFrame:
    from featureguard.demo.producers import weather_frame

    return weather_frame(1).drop(columns="_month").head(240).reset_index(drop=True)
