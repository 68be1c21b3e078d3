"""Which sources exist and where their contracts live; contract modules load on first use."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracts.model import Contract

#: source name -> module defining ``CONTRACT``
SOURCES: dict[str, str] = {
    "weather": "contracts.weather",
    "planes": "contracts.planes",
    "route_delays": "contracts.route_delays",
}


class UnknownSourceError(KeyError):
    """Raised for a source name no contract is registered for."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown source {self.name!r}; known sources: {', '.join(sorted(SOURCES))}"


def list_sources() -> list[str]:
    return sorted(SOURCES)


@lru_cache(maxsize=None)
def get_contract(name: str) -> "Contract":
    try:
        module_name = SOURCES[name]
    except KeyError:
        raise UnknownSourceError(name) from None
    return importlib.import_module(module_name).CONTRACT
