"""Data contracts: what each source promises, declared once with pandera.

Everything else (the ingestion gate, Feast feature views, exports) is derived from these
declarations; a contract module states one with ``contract(...)``. The sources are a project's
(``contracts/`` beside its ``feature_store.yaml``).

Pure declarations: nothing in this package imports Feast, ``featureguard.feature_repo`` or the
service layer (a test imports every module and checks). The Feast side of a contract (field
types, views, the view check) lives in ``featureguard.feature_repo`` and
``featureguard.project_check``; the dtype mapping they use is ``contracts.types``.
"""

from featureguard.contracts.factory import contract
from featureguard.contracts.model import Contract, utc_timestamp_column
from featureguard.contracts.registry import (
    ContractLoadError,
    ContractRegistry,
    UnknownSourceError,
    get_contract,
    list_sources,
    use_registry,
)

__all__ = ["Contract", "ContractLoadError", "ContractRegistry", "UnknownSourceError", "contract", "get_contract",
           "list_sources", "use_registry", "utc_timestamp_column"]
