"""Validate and ingest batches: the one code path the CLI, the HTTP service and the demo share.

Order of effects for an accepted batch: offline part, quarantine file and report staged out of
sight, online write (optional), receipt (the commit), then the staged files renamed into place
(``featureguard.ingest.commit``). Any failure before the receipt rolls the batch back: no rows,
no receipt; a crash is settled by the next ingest, so a re-run converges to exactly once.
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

import pandas as pd

from featureguard.contracts import get_contract
from featureguard.contracts.model import Contract
from featureguard.errors import OnlineStoreUnavailable, StorageError
from featureguard.ingest.commit import BatchFiles, hold, recover
from featureguard.gate.failures import CheckFailure, schema_failure
from featureguard.gate.gate import GateResult, check_frame
from featureguard.ingest.readers import UnreadableBatchError, format_for_path, read_bytes
from featureguard.ingest.receipts import IdempotencyKeyReused, Receipt, ReceiptStore, batch_id_for
from featureguard.ingest.storage import (
    Place,
    parts_without_receipt,
    stored_frame,
    write_offline,
    write_quarantine_raw,
    write_quarantine_rows,
)
from featureguard.ingest.report import ingest_report, validation_report
from featureguard.reports.store import dumps as dumps_report
from featureguard.reports.store import report_path
from featureguard.settings import data_home, receipts_path, staging_path

Policy = Literal["quarantine", "strict"]
POLICIES: tuple[str, ...] = ("quarantine", "strict")
#: how long an ingest waits for another ingest of the same batch before BatchInProgress
LOCK_WAIT_SECONDS = 300.0

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


@contextmanager
def storage_errors() -> Iterator[None]:
    """A failing write to the data home (disk full, read-only, permissions) is operational."""
    try:
        yield
    except OSError as exc:
        cause = os.strerror(exc.errno) if exc.errno else str(exc).splitlines()[0]
        where = f" ({exc.filename})" if exc.filename else ""
        raise StorageError(f"cannot write to the data home {data_home()}: {cause}{where}") from exc


def _repeat_note(previous: Receipt, policy: str, online: bool, contract_version: str) -> str | None:
    """What this request asked for that the original ingest of the same bytes did not do."""
    skipped = []
    if previous.policy != policy:
        skipped.append(f"this request's policy={policy} was not applied")
    if online and previous.online_written is None and previous.accepted:
        skipped.append("this request's online write was not applied (materialize to load the rows)")
    if previous.contract_version != contract_version:
        skipped.append(f"the rows were not checked again under contract version {contract_version}")
    if not skipped:
        return None
    return (f"identical bytes were already ingested under policy={previous.policy}, contract version "
            f"{previous.contract_version} on {previous.received_at}; " + "; ".join(skipped))


def _repeat(previous: Receipt, content: str, policy: str, online: bool, contract: Contract,
            idempotency_key: str | None) -> Receipt:
    if previous.content_sha256 != content:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {idempotency_key!r} was already used for different bytes "
            f"(batch {previous.batch_id}, received {previous.received_at}); use a new key for a new batch")
    previous.duplicate = True
    previous.note = _repeat_note(previous, policy, online, contract.version)
    return previous


def ingest_bytes(
    source: str,
    data: bytes,
    fmt: str,
    name: str = "batch",
    policy: Policy = "quarantine",
    online_writer: OnlineWriter | None = None,
    idempotency_key: str | None = None,
    key_scope: str | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> Receipt:
    """Gates one batch and stores it; returns the receipt (the original one for a repeat).

    Raises IdempotencyKeyReused (the key names a batch with other bytes), BatchInProgress (the
    same batch is being ingested for ``lock_wait`` seconds already), OnlineStoreUnavailable and
    StorageError; after any failure nothing of the batch is stored or visible.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {POLICIES}")
    contract = get_contract(source)
    store = receipt_store()
    content = hashlib.sha256(data).hexdigest()
    batch_id = batch_id_for(source, data, idempotency_key, key_scope)
    home, staging = data_home(), staging_path()
    with storage_errors():
        lock = hold(staging, batch_id, lock_wait)
    try:
        with storage_errors():
            recover(home, staging, batch_id, store.exists)
            receipt_ids = store.ids()
            for orphan in parts_without_receipt(source, receipt_ids):
                orphan.unlink(missing_ok=True)
        previous = store.get(batch_id)
        if previous is not None:
            return _repeat(previous, content, policy, online_writer is not None, contract, idempotency_key)
        files = BatchFiles(home, staging, batch_id)
        try:
            return _store_new(files, store, contract, batch_id, data, fmt, name, policy, online_writer, content)
        finally:
            files.abort()
    finally:
        lock.release()


def _store_new(files: BatchFiles, store: ReceiptStore, contract: Contract, batch_id: str, data: bytes, fmt: str,
               name: str, policy: str, online_writer: OnlineWriter | None, content: str) -> Receipt:
    """Stages every file of the batch, writes online (if asked), then commits with the receipt."""
    source = contract.name
    base = dict(
        batch_id=batch_id, source=source, contract_version=contract.version, policy=policy,
        file_name=name, content_sha256=content, received_at=pd.Timestamp.now(tz="UTC").isoformat(),
    )
    suffix = Path(name).suffix or f".{fmt}"
    stage = files.stage
    try:
        frame = read_bytes(data, fmt, name)
    except UnreadableBatchError as exc:
        with storage_errors():
            kept = write_quarantine_raw(source, batch_id, data, suffix, stage)
            receipt = Receipt(received=0, accepted=0, quarantined=0, status="rejected",
                              errors=[_unreadable_error(exc)], quarantine_path=str(kept), **base)
            save_ingest_report(stage, receipt, contract, None, None, [schema_failure("readable", str(exc))])
            files.commit(store.path(batch_id), lambda: store.put(receipt))
        return receipt

    gate = check_frame(contract, frame)
    if not gate.batch_ok or (policy == "strict" and gate.failures):
        with storage_errors():
            kept = write_quarantine_raw(source, batch_id, data, suffix, stage)
            receipt = Receipt(received=gate.received, accepted=0, quarantined=gate.received, status="rejected",
                              errors=_errors(gate.all_failures), quarantine_path=str(kept), **base)
            save_ingest_report(stage, receipt, contract, frame, gate)
            files.commit(store.path(batch_id), lambda: store.put(receipt))
        return receipt

    receipt = Receipt(
        received=gate.received, accepted=len(gate.accepted), quarantined=len(gate.rejected),
        status="accepted" if not gate.failures else "partial", errors=_errors(gate.failures), **base,
    )
    stored = None
    with storage_errors():
        if len(gate.accepted):
            stored = stored_frame(contract, gate.accepted, pd.Timestamp.now(tz="UTC"))
            receipt.offline_path = str(write_offline(contract, batch_id, stored, stage))
        if len(gate.rejected):
            receipt.quarantine_path = str(write_quarantine_rows(source, batch_id, gate.rejected, stage))
        save_ingest_report(stage, receipt, contract, frame, gate)
    if online_writer is not None and stored is not None:
        try:  # raising rolls the batch back: nothing stored, nothing acknowledged
            receipt.online_written = online_writer(contract, stored)
        except (ConnectionError, TimeoutError) as exc:
            raise OnlineStoreUnavailable(f"the online store did not take the rows: {exc}") from exc
    with storage_errors():
        files.commit(store.path(batch_id), lambda: store.put(receipt))
    return receipt


def save_ingest_report(stage: Place, receipt: Receipt, contract: Contract, frame: pd.DataFrame | None,
                       gate: GateResult | None, extra: list[CheckFailure] | None = None) -> None:
    """The batch report goes with its batch: staged now, visible once the receipt commits.
    (Looked up by module global: benchmarks/lifecycle.py times it by replacing it.)"""
    report = dumps_report(ingest_report(receipt, contract, frame, gate, extra))
    stage(report_path(receipt.batch_id), lambda tmp: tmp.write_bytes(report))


def ingest_file(source: str, path: Path, policy: Policy = "quarantine",
                online_writer: OnlineWriter | None = None) -> Receipt:
    get_contract(source)
    try:
        fmt = format_for_path(path)
        data = path.read_bytes()
    except (UnreadableBatchError, OSError) as exc:
        raise UnreadableBatchError(str(exc)) from exc
    return ingest_bytes(source, data, fmt, path.name, policy, online_writer)
