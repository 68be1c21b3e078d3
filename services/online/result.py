"""What a synchronous lookup returns: Feast's ``to_dict()`` shape plus statuses and timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from featureguard.online.decode import Columns
from featureguard.online.plan import ReadPlan

TIMESTAMP_POSTFIX = "__ts"  # feast.online_response.TIMESTAMP_POSTFIX


class OnlineFeatures:
    """The values of one lookup, column-oriented like Feast's ``OnlineResponse``.

    ``to_dict()`` has Feast's keys and Python values (request entity columns first, then each
    feature; unix timestamps as UTC datetimes, bytes as bytes, missing values as None).
    ``statuses`` says why a value is None or whether it is stale; ``event_timestamps`` gives
    each value's event time (None where the view holds no row for the entity).
    """

    __slots__ = ("plan", "entities", "n_rows", "_columns")

    def __init__(self, plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int, columns: Columns) -> None:
        self.plan = plan
        self.entities = entities
        self.n_rows = n_rows
        self._columns = columns

    def __len__(self) -> int:
        return self.n_rows

    def __repr__(self) -> str:
        return f"OnlineFeatures({self.plan.name!r}, rows={self.n_rows}, features={len(self.plan.feature_names)})"

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.plan.feature_names

    def values(self, feature: str) -> list[Any]:
        return self._columns.values[self.plan.feature_names.index(feature)]

    @property
    def statuses(self) -> dict[str, list[str]]:
        """Feature -> PRESENT / NULL_VALUE / NOT_FOUND / OUTSIDE_MAX_AGE per row."""
        return dict(zip(self.plan.feature_names, self._columns.statuses))

    @property
    def event_timestamps(self) -> dict[str, list[datetime | None]]:
        """Feature -> event timestamp (UTC) of the stored row per request row; None if not found."""
        stamps = [[s[0] if s is not None else None for s in view] for view in self._columns.stamps]
        return {name: stamps[v] for name, v in zip(self.plan.feature_names, self._columns.view_of)}

    def to_dict(self, include_event_timestamps: bool = False) -> dict[str, list[Any]]:
        """Feast's ``OnlineResponse.to_dict()``: with timestamps, ``<feature>__ts`` holds whole
        seconds (0 where not found), as Feast's does."""
        if not include_event_timestamps:
            out: dict[str, list[Any]] = {k: list(v) for k, v in self.entities.items()}
            out.update(zip(self.plan.feature_names, map(list, self._columns.values)))
            return out
        out = {}
        for key, column in self.entities.items():  # Feast stamps request columns with 0
            out[key] = list(column)
            out[key + TIMESTAMP_POSTFIX] = [0] * self.n_rows
        seconds = [[s[2] if s is not None else 0 for s in view] for view in self._columns.stamps]
        for name, column, v in zip(self.plan.feature_names, self._columns.values, self._columns.view_of):
            out[name] = list(column)
            out[name + TIMESTAMP_POSTFIX] = list(seconds[v])
        return out

    def to_df(self, include_event_timestamps: bool = False, include_statuses: bool = False) -> Any:
        """A pandas DataFrame of ``to_dict()``; ``include_statuses`` adds ``<feature>__status``."""
        import pandas as pd

        data = self.to_dict(include_event_timestamps)
        if include_statuses:
            for name, column in self.statuses.items():
                data[name + "__status"] = column
        return pd.DataFrame(data)
