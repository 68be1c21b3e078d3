"""The batch report of the two pipeline verbs: ``validate`` (built on demand) and ``ingest`` (always saved).

It lives with ingestion because it reads receipts, gate verdicts and validation results;
``featureguard.reports`` only builds, renders and stores the plain data handed to it here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from featureguard.contracts import get_contract
from featureguard.contracts.model import Contract
from featureguard.gate.failures import CheckFailure
from featureguard.reports.build import build_report
from featureguard.reports.store import report_path
from featureguard.settings import receipts_path

if TYPE_CHECKING:
    from featureguard.gate.gate import GateResult
    from featureguard.ingest.pipeline import ValidationReport
    from featureguard.ingest.receipts import Receipt


def ingest_report(receipt: "Receipt", contract: Contract, frame: pd.DataFrame | None, gate: "GateResult | None",
                  extra_failures: list[CheckFailure] | None = None) -> dict[str, Any]:
    summary = {
        "batch_id": receipt.batch_id, "status": receipt.status, "policy": receipt.policy,
        "file_name": receipt.file_name, "created_at": receipt.received_at,
        "accepted": receipt.accepted, "quarantined": receipt.quarantined,
        "receipt_path": str(receipts_path() / f"{receipt.batch_id}.json"),
        "offline_path": receipt.offline_path, "quarantine_path": receipt.quarantine_path,
        "report_path": str(report_path(receipt.batch_id)),
    }
    failures = gate.failures if gate is not None else []
    schema = [*(gate.schema_failures if gate is not None else []), *(extra_failures or [])]
    return build_report("ingest", contract, frame, failures, schema, receipt.received, summary)


def validation_report(report: "ValidationReport") -> dict[str, Any]:
    contract = get_contract(report.source)
    gate = report.gate
    summary = {
        "batch_id": None, "status": report.status, "policy": None, "file_name": report.file_name,
        "created_at": pd.Timestamp.now(tz="UTC").isoformat(), "valid": report.valid, "invalid": report.invalid,
        "duration_ms": report.duration_ms,
    }
    failures = gate.failures if gate is not None else []
    schema = gate.schema_failures if gate is not None else [
        CheckFailure(e.get("column"), e["check"], 0, [], [], e.get("message", "")) for e in report.errors]
    return build_report("validate", contract, report.frame, failures, schema, report.received, summary)
