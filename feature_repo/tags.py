"""The tags that tie a Feast object to its contract: written once here, read everywhere.

A view (and its source) carries ``contract: <source>`` and ``contract_version: <version>``;
engines, checks, retrieval and reports find the governing contract through ``tagged_contract``.
Feast-free, so the ingestion path can read a tag without loading Feast.
"""

from __future__ import annotations

from typing import Any

from featureguard.contracts.model import Contract

CONTRACT_TAG = "contract"
CONTRACT_VERSION_TAG = "contract_version"


def contract_tags(contract: Contract) -> dict[str, str]:
    """The tags that tie a Feast object to the contract it is built from."""
    return {CONTRACT_TAG: contract.name, CONTRACT_VERSION_TAG: contract.version}


def tagged_contract(obj: Any) -> str | None:
    """The source named by ``obj``'s ``contract`` tag (a view, a source), None when untagged."""
    return (getattr(obj, "tags", None) or {}).get(CONTRACT_TAG) or None


def tagged_version(obj: Any) -> str | None:
    """The contract version ``obj`` was built from, None when untagged."""
    return (getattr(obj, "tags", None) or {}).get(CONTRACT_VERSION_TAG) or None
