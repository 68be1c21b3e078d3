"""Receipts: the producer's proof of what happened to every row of a batch, persisted as JSON.

A batch is identified by the hash of its source and bytes (or, when the producer names it, of
its Idempotency-Key within the producer's API key), so re-sending the same bytes finds the
original receipt instead of storing the rows twice, even across a contract version bump.
A stored receipt is also the commit of its batch's files (see ``featureguard.ingest.commit``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from featureguard.errors import BadInputError
from featureguard.atomic import write_bytes_atomically

Status = Literal["accepted", "partial", "rejected"]


class IdempotencyKeyReused(BadInputError):
    """An Idempotency-Key already names a batch with different bytes."""


def batch_id_for(source: str, data: bytes, idempotency_key: str | None = None, key_scope: str | None = None) -> str:
    """Stable for the same source and bytes; a key is scoped to ``key_scope`` (the API key), so
    two producers choosing the same key name two batches."""
    digest = hashlib.sha256()
    if idempotency_key:
        digest.update(f"key\0{source}\0{key_scope or ''}\0{idempotency_key}".encode())
    else:
        digest.update(f"bytes\0{source}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:24]


@dataclass
class Receipt:
    batch_id: str
    source: str
    contract_version: str | None
    received: int
    accepted: int
    quarantined: int
    status: Status
    errors: list[dict[str, Any]] = field(default_factory=list)
    policy: str = "quarantine"
    file_name: str | None = None
    content_sha256: str | None = None
    received_at: str | None = None
    offline_path: str | None = None
    quarantine_path: str | None = None
    online_written: int | None = None
    duplicate: bool = False
    #: on a repeat: what this request asked for that the original ingest did not do
    note: str | None = None

    def __post_init__(self) -> None:
        if self.received != self.accepted + self.quarantined:
            raise ValueError(
                f"receipt {self.batch_id}: received {self.received} != accepted {self.accepted} "
                f"+ quarantined {self.quarantined}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Receipt":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class ReceiptStore:
    """One JSON file per batch under ``root``; writes are atomic."""

    def __init__(self, root: Path, staging: Path) -> None:
        self.root = root
        self.staging = staging

    def path(self, batch_id: str) -> Path:
        return self.root / f"{batch_id}.json"

    def exists(self, batch_id: str) -> bool:
        return self.path(batch_id).exists()

    def ids(self) -> set[str]:
        if not self.root.is_dir():
            return set()
        return {name[:-5] for name in os.listdir(self.root) if name.endswith(".json") and "." not in name[:-5]}

    def get(self, batch_id: str) -> Receipt | None:
        path = self.path(batch_id)
        if not path.exists():
            return None
        return Receipt.from_dict(orjson.loads(path.read_bytes()))

    def put(self, receipt: Receipt) -> Path:
        return write_bytes_atomically(self.path(receipt.batch_id), self.staging, receipt.to_json())

    def all(self) -> list[Receipt]:
        if not self.root.exists():
            return []
        # only <batch_id>.json: batch reports (<batch_id>.report.json) live beside the receipts
        return [Receipt.from_dict(orjson.loads(p.read_bytes())) for p in sorted(self.root.glob("*.json"))
                if "." not in p.stem]
