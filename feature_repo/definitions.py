"""Feast objects for the departure-delay model, every schema derived from a contract.

Feature views carry a ``contract`` tag naming their source so engines and reports can find the
contract that governs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, FileSource

from contracts import Contract, get_contract
from contracts.feast_fields import entity_value_type, feature_fields
from contracts.model import INGESTED_AT
from services.settings import offline_source_path

WEATHER = get_contract("weather")
PLANES = get_contract("planes")
ROUTE_DELAYS = get_contract("route_delays")



def entity(name: str, join_key: str, contract: Contract, description: str) -> Entity:
    """An entity whose key type is the contract's type for that column."""
    return Entity(name=name, join_keys=[join_key], value_type=entity_value_type(contract, join_key),
                  description=description)


airport = entity("airport", "origin", WEATHER, "Origin airport (FAA code).")
plane = entity("plane", "tailnum", PLANES, "Aircraft tail number.")
carrier = entity("carrier", "carrier", ROUTE_DELAYS, "Two-letter airline code.")
destination = entity("destination", "dest", ROUTE_DELAYS, "Destination airport (FAA code).")


def file_source(contract: Contract) -> FileSource:
    """The Parquet dataset ingestion writes for ``contract`` (one file per accepted batch)."""
    return FileSource(
        name=f"{contract.name}_source",
        path=offline_source_path(contract.name),
        timestamp_field=contract.timestamp_column,
        created_timestamp_column=INGESTED_AT,
        description=contract.description,
        owner=contract.owner,
        tags={"contract": contract.name},
    )


def feature_view(name: str, contract: Contract, entities: list[Entity]) -> FeatureView:
    return FeatureView(
        name=name,
        entities=entities,
        ttl=contract.feature_ttl or timedelta(0),
        schema=feature_fields(contract),
        source=file_source(contract),
        online=True,
        description=contract.description,
        owner=contract.owner,
        tags={"contract": contract.name, "contract_version": contract.version},
    )


@dataclass(frozen=True)
class FeatureRepo:
    """Every Feast object of the repo; sources point into the data home current at build time."""

    entities: list[Entity]
    feature_views: list[FeatureView]
    feature_services: list[FeatureService]

    @property
    def objects(self) -> list:
        return [*self.entities, *self.feature_views, *self.feature_services]


def build_repo() -> FeatureRepo:
    """Builds the objects afresh, so a changed FEATUREGUARD_HOME is honoured within one process."""
    weather = feature_view("weather_hourly", WEATHER, [airport])
    planes = feature_view("plane_attributes", PLANES, [plane])
    routes = feature_view("route_delay_history", ROUTE_DELAYS, [carrier, airport, destination])
    service = FeatureService(
        name="departure_delay_model",
        features=[weather, planes, routes],
        description="Features of the departure-delay classifier (label: dep_delay > 15 min).",
    )
    return FeatureRepo([airport, plane, carrier, destination], [weather, planes, routes], [service])


# Module-level objects for `feast apply` run inside feature_repo/.
_REPO = build_repo()
weather_hourly, plane_attributes, route_delay_history = _REPO.feature_views
(departure_delay_model,) = _REPO.feature_services
