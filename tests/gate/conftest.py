"""The gate's tests use the same small real weather batch as ingestion's."""

from tests.foundation.conftest import weather_rows  # noqa: F401  (a session fixture, shared)
