"""Data contracts: what each source promises, declared once with pandera.

Everything else (the ingestion gate, Feast feature views, exports) is derived from these
declarations. Nothing in this package imports Feast, so producer-facing commands stay fast.
"""

from contracts.model import Contract
from contracts.registry import UnknownSourceError, get_contract, list_sources

__all__ = ["Contract", "UnknownSourceError", "get_contract", "list_sources"]
