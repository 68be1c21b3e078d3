"""Feast objects built from contracts, so a schema is declared once and never retyped.

Every builder takes the data root explicitly (where ingestion writes each source's offline
rows); the public helpers ``featureguard.entity`` / ``featureguard.feature_view`` supply the
project's. Views carry the ``contract`` tags of ``featureguard.feature_repo.tags`` naming their
source, which is how engines, checks and reports find the contract that governs a view.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable

from feast import Entity, FeatureView, FileSource

from featureguard.feature_repo.fields import entity_value_type, feast_field, feature_fields
from featureguard.contracts.model import INGESTED_AT, Contract
from featureguard.feature_repo.tags import CONTRACT_TAG, CONTRACT_VERSION_TAG, contract_tags

__all__ = ["CONTRACT_TAG", "CONTRACT_VERSION_TAG", "contract_tags", "entity", "feature_view", "file_source",
           "offline_path"]


def offline_path(data_root: Path | str, source: str) -> str:
    """Where ingestion keeps ``source``'s accepted rows under ``data_root``."""
    return str(Path(data_root) / "offline" / source)


def entity(contract: Contract, column: str, name: str | None = None, description: str | None = None) -> Entity:
    """An entity joined on ``column``, typed as the contract types that column."""
    return Entity(name=name or column, join_keys=[column], value_type=entity_value_type(contract, column),
                  description=description or f"{contract.name}.{column}")


def file_source(contract: Contract, data_root: Path | str) -> FileSource:
    """The Parquet dataset ingestion writes for ``contract`` (one file per accepted batch)."""
    return FileSource(
        name=f"{contract.name}_source",
        path=offline_path(data_root, contract.name),
        timestamp_field=contract.timestamp_column,
        created_timestamp_column=INGESTED_AT,
        description=contract.description,
        owner=contract.owner,
        tags={CONTRACT_TAG: contract.name},
    )


def feature_view(contract: Contract, data_root: Path | str, name: str | None = None,
                 entities: Iterable[Entity] | None = None, features: Iterable[str] | None = None,
                 ttl: timedelta | None = None, online: bool = True, **kwargs: Any) -> FeatureView:
    """A view of ``contract``'s source: named after the source, an entity per key column, the
    contract's TTL, every feature column (or the ``features`` named), online on."""
    fields = feature_fields(contract) if features is None else [feast_field(contract, f) for f in features]
    chosen_ttl = ttl if ttl is not None else contract.feature_ttl
    return FeatureView(
        name=name or contract.name,
        entities=list(entities) if entities is not None else [entity(contract, c) for c in contract.entity_columns],
        ttl=chosen_ttl or timedelta(0),
        schema=fields,
        source=file_source(contract, data_root),
        online=online,
        description=kwargs.pop("description", contract.description),
        owner=kwargs.pop("owner", contract.owner),
        tags={**contract_tags(contract), **kwargs.pop("tags", {})},
        **kwargs,
    )
