"""Validate and ingest batches: the one code path the CLI, the HTTP service and the demo share.

Order of effects for an accepted batch: offline Parquet file, quarantine file, online write
(optional), receipt last. Each step is atomic and named by batch id, so a crash at any point
leaves no partial data, and the re-run (which finds no receipt) redoes the same names.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import pandas as pd

from contracts import get_contract
from contracts.model import Contract
from services.ingest.failures import CheckFailure, schema_failure
from services.ingest.gate import GateResult, check_frame
from services.ingest.readers import UnreadableBatchError, format_for_path, read_bytes
from services.ingest.receipts import Receipt, ReceiptStore, batch_id_for
from services.ingest.storage import (
    stored_frame,
    write_offline,
    write_quarantine_raw,
    write_quarantine_rows,
)
from services.reports.ingest import save_ingest_report
from services.settings import receipts_path, staging_path

Policy = Literal["quarantine", "strict"]
POLICIES: tuple[str, ...] = ("quarantine", "strict")

#: Writes accepted, stored rows to the online store; returns the number of rows written.
OnlineWriter = Callable[[Contract, pd.DataFrame], int]


@dataclass
class ValidationReport:
    """What ``validate`` answers: the verdict on every row, nothing written."""

    source: str
    contract_version: str | None
    received: int
    valid: int
    invalid: int
    status: str  # valid | invalid | unreadable
    errors: list[dict[str, Any]] = field(default_factory=list)
    file_name: str | None = None
    duration_ms: float = 0.0
    gate: GateResult | None = field(default=None, repr=False)
    frame: pd.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("gate", "frame")}

    def report(self) -> dict[str, Any]:
        """The full batch report (every rule, failing rows, column profile); built on demand."""
        from services.reports.ingest import validation_report

        return validation_report(self)


def _errors(failures: list[CheckFailure]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in failures]


def _unreadable_error(exc: Exception) -> dict[str, Any]:
    return {"column": None, "check": "readable", "count": 0, "examples": [], "message": str(exc)}


def validate_bytes(source: str, data: bytes, fmt: str, name: str = "batch") -> ValidationReport:
    """Raises UnknownSourceError for an unknown source; everything else is in the report."""
    contract = get_contract(source)
    start = time.perf_counter()
    try:
        frame = read_bytes(data, fmt, name)
    except UnreadableBatchError as exc:
        return ValidationReport(source, contract.version, 0, 0, 0, "unreadable", [_unreadable_error(exc)], name)
    gate = check_frame(contract, frame)
    valid = len(gate.accepted)
    status = "valid" if not gate.all_failures else "invalid"
    return ValidationReport(
        source, contract.version, gate.received, valid, gate.received - valid, status,
        _errors(gate.all_failures), name, round((time.perf_counter() - start) * 1000, 1), gate, frame,
    )


def validate_file(source: str, path: Path) -> ValidationReport:
    get_contract(source)
    try:
        fmt = format_for_path(path)
        data = path.read_bytes()
    except (UnreadableBatchError, OSError) as exc:
        return ValidationReport(source, None, 0, 0, 0, "unreadable", [_unreadable_error(exc)], path.name)
    return validate_bytes(source, data, fmt, path.name)


def receipt_store() -> ReceiptStore:
    return ReceiptStore(receipts_path(), staging_path())


def ingest_bytes(
    source: str,
    data: bytes,
    fmt: str,
    name: str = "batch",
    policy: Policy = "quarantine",
    online_writer: OnlineWriter | None = None,
    idempotency_key: str | None = None,
) -> Receipt:
    """Gates one batch and stores it; returns the receipt (the original one for a repeat)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {POLICIES}")
    contract = get_contract(source)
    store = receipt_store()
    batch_id = batch_id_for(source, contract.version, data, idempotency_key)
    previous = store.get(batch_id)
    if previous is not None:
        previous.duplicate = True
        return previous

    base = dict(
        batch_id=batch_id, source=source, contract_version=contract.version, policy=policy,
        file_name=name, content_sha256=hashlib.sha256(data).hexdigest(),
        received_at=pd.Timestamp.now(tz="UTC").isoformat(),
    )
    suffix = Path(name).suffix or f".{fmt}"
    try:
        frame = read_bytes(data, fmt, name)
    except UnreadableBatchError as exc:
        kept = write_quarantine_raw(source, batch_id, data, suffix)
        receipt = Receipt(received=0, accepted=0, quarantined=0, status="rejected",
                          errors=[_unreadable_error(exc)], quarantine_path=str(kept), **base)
        save_ingest_report(receipt, contract, None, None, [schema_failure("readable", str(exc))])
        store.put(receipt)
        return receipt

    gate = check_frame(contract, frame)
    if not gate.batch_ok or (policy == "strict" and gate.failures):
        kept = write_quarantine_raw(source, batch_id, data, suffix)
        receipt = Receipt(received=gate.received, accepted=0, quarantined=gate.received, status="rejected",
                          errors=_errors(gate.all_failures), quarantine_path=str(kept), **base)
        save_ingest_report(receipt, contract, frame, gate)
        store.put(receipt)
        return receipt

    receipt = Receipt(
        received=gate.received, accepted=len(gate.accepted), quarantined=len(gate.rejected),
        status="accepted" if not gate.failures else "partial", errors=_errors(gate.failures), **base,
    )
    if len(gate.accepted):
        stored = stored_frame(contract, gate.accepted, pd.Timestamp.now(tz="UTC"))
        receipt.offline_path = str(write_offline(contract, batch_id, stored))
        if online_writer is not None:
            receipt.online_written = online_writer(contract, stored)
    if len(gate.rejected):
        receipt.quarantine_path = str(write_quarantine_rows(source, batch_id, gate.rejected))
    save_ingest_report(receipt, contract, frame, gate)
    store.put(receipt)
    return receipt


def ingest_file(source: str, path: Path, policy: Policy = "quarantine",
                online_writer: OnlineWriter | None = None) -> Receipt:
    get_contract(source)
    try:
        fmt = format_for_path(path)
        data = path.read_bytes()
    except (UnreadableBatchError, OSError) as exc:
        raise UnreadableBatchError(str(exc)) from exc
    return ingest_bytes(source, data, fmt, path.name, policy, online_writer)
