"""Contracts for producers outside Python: JSON (``GET /v1/contracts/{source}``) and ODCS YAML
(``?format=odcs`` or ``Accept: application/yaml``, rendered by ``featureguard.contracts.export``).

The column rules come from pandera's own serialization (every contract check is a registered
pandera check, so none is dropped); checks are also listed by name and message, so nothing a
batch is checked against is hidden from the producer.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from typing import Any

from featureguard.contracts import get_contract, list_sources
from featureguard.contracts.model import Contract
from featureguard.contracts.snapshot import contract_facts


#: The contract facts a listing shows (the full set is ``featureguard.contracts.snapshot.contract_facts``).
SUMMARY_FIELDS = ("name", "version", "owner", "description", "entity_columns", "timestamp_column",
                  "feature_ttl_seconds", "max_age_seconds", "compatibility")


def summary(contract: Contract) -> dict[str, Any]:
    facts = contract_facts(contract)
    return {name: facts[name] for name in SUMMARY_FIELDS}


def _check_entry(check: Any) -> dict[str, Any]:
    return {"name": check.name, "error": check.error, "statistics": check.statistics or None}


@lru_cache(maxsize=None)
def contract_document(source: str) -> dict[str, Any]:
    contract = get_contract(source)
    schema = contract.schema
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unregistered checks: listed below instead
        serialized = json.loads(schema.to_json())
    columns = []
    for name, column in schema.columns.items():
        columns.append({
            "name": name,
            "dtype": str(column.dtype),
            "nullable": bool(column.nullable),
            "checks": [_check_entry(c) for c in column.checks],
            "role": ("entity" if name in contract.entity_columns else
                     "event_timestamp" if name == contract.timestamp_column else "feature"),
        })
    return {
        **summary(contract),
        "columns": columns,
        "checks": [_check_entry(c) for c in schema.checks],
        "unique": list(schema.unique or []),
        "strict": bool(schema.strict),
        "tags": dict(contract.tags),
        "pandera_schema": serialized,
    }


def list_documents() -> list[dict[str, Any]]:
    return [summary(get_contract(s)) for s in list_sources()]
