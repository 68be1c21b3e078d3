"""Data contracts: what each source promises, declared once with pandera.

Everything else (the ingestion gate, Feast feature views, exports) is derived from these
declarations. The sources are a project's (``contracts/`` beside its ``feature_store.yaml``).
Only ``feast_fields`` and ``repo_check`` import Feast; producer commands never load them.
"""

from featureguard.contracts.model import Contract
from featureguard.contracts.registry import (
    ContractLoadError,
    ContractRegistry,
    UnknownSourceError,
    get_contract,
    list_sources,
    use_registry,
)

__all__ = ["Contract", "ContractLoadError", "ContractRegistry", "UnknownSourceError", "get_contract",
           "list_sources", "use_registry"]
