"""Validate, ingest and push over HTTP: ingestion's pipeline plus status codes and limits.

Blocking (pandas, pandera, Parquet, Feast writes): the routes run these in a worker thread.

Status codes: validate 200 (report says valid/invalid), ingest and push 201 for a stored batch
(``status`` accepted or partial, the rejected rows listed), 200 for a repeat of a stored batch
(same Idempotency-Key or bytes: the original receipt, ``duplicate: true``), 422 when the batch is
unreadable, rejected as a whole or has no row that passed (nothing stored offline or online; the
receipt, in the body, says where the quarantined input is), 404 unknown source, 413 too many rows,
415 unsupported Content-Type, 503 online store down (push: nothing acknowledged, nothing kept).
An Idempotency-Key is scoped to the API key; reusing it for other bytes is 422
``idempotency_key_reused``; while the same batch is being stored by another request, 409; a data
home that cannot be written, 503 ``storage_unavailable`` (nothing kept).
"""

from __future__ import annotations

from typing import Any, Callable

from featureguard.contracts import UnknownSourceError, get_contract
from featureguard.errors import OnlineStoreUnavailable, StorageError
from featureguard.http.errors import ApiError
from featureguard.http.limits import check_rows
from featureguard.ingest.pipeline import OnlineWriter, ingest_bytes, validate_bytes
from featureguard.ingest.readers import UnreadableBatchError, format_for_content_type
from featureguard.ingest.commit import BatchInProgress
from featureguard.ingest.receipts import IdempotencyKeyReused, Receipt

MAX_NAME = 200
#: a second request for a batch being stored waits this long for the first, then answers 409
LOCK_WAIT_SECONDS = 10.0


class OnlineStoreDown(RuntimeError):
    """The online store did not take a push; the caller answers 503."""


def contract_or_404(source: str):
    try:
        return get_contract(source)
    except UnknownSourceError as exc:
        raise ApiError(404, "unknown_source", str(exc), "source") from None


def batch_format(content_type: str | None) -> str:
    if not content_type:
        raise ApiError(415, "unsupported_media_type",
                       "send a Content-Type: application/json, application/x-ndjson, text/csv, "
                       "application/vnd.apache.parquet or application/vnd.apache.arrow.stream", "Content-Type")
    try:
        return format_for_content_type(content_type)
    except UnreadableBatchError as exc:
        raise ApiError(415, "unsupported_media_type", str(exc), "Content-Type") from None


def _first_field(errors: list[dict[str, Any]]) -> str:
    for error in errors:
        if error.get("column"):
            return f"body.{error['column']}"
    return "body"


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [e.get("message") or f"{e.get('column')}:{e.get('check')} x{e.get('count')}" for e in errors[:3]]
    return "; ".join(str(p) for p in parts) or "the batch does not meet its contract"


def validate_batch(source: str, data: bytes, fmt: str, name: str, max_rows: int) -> tuple[int, dict[str, Any]]:
    contract_or_404(source)
    check_rows(data, fmt, max_rows)
    report = validate_bytes(source, data, fmt, name[:MAX_NAME]).to_dict()
    if report["status"] == "unreadable":
        raise ApiError(422, "unreadable_batch", _summary(report["errors"]), "body", report=report)
    return 200, report


def _receipt_answer(receipt: Receipt) -> tuple[int, dict[str, Any]]:
    body = receipt.to_dict()
    if receipt.status == "rejected":
        error = "unreadable_batch" if receipt.received == 0 else "batch_rejected"
        raise ApiError(422, error, _summary(receipt.errors), _first_field(receipt.errors), receipt=body)
    if receipt.received and not receipt.accepted:  # every row quarantined: nothing was stored to use
        raise ApiError(422, "batch_rejected", f"none of the {receipt.received} rows passed the contract: "
                       f"{_summary(receipt.errors)}", _first_field(receipt.errors), receipt=body)
    return (200 if receipt.duplicate else 201), body


def store_batch(source: str, data: bytes, fmt: str, name: str, policy: str, idempotency_key: str | None,
                max_rows: int, online_writer: OnlineWriter | None = None,
                is_down: Callable[[BaseException], bool] = lambda _: False,
                key_scope: str | None = None) -> tuple[int, dict[str, Any]]:
    """Ingestion's one code path (the CLI's too): staged files, online write (if any), receipt.

    Any failure before the receipt rolls the batch back inside the pipeline: if the online store
    fails the write, nothing is acknowledged or kept (the caller answers 503). ``key_scope`` (the
    API key's digest) scopes the Idempotency-Key, so producers cannot see each other's batches.
    """
    contract_or_404(source)
    check_rows(data, fmt, max_rows)
    try:
        receipt = ingest_bytes(source, data, fmt, name[:MAX_NAME], policy, online_writer,  # type: ignore[arg-type]
                               idempotency_key, key_scope, LOCK_WAIT_SECONDS)
    except IdempotencyKeyReused as exc:
        raise ApiError(422, "idempotency_key_reused", str(exc), "Idempotency-Key") from None
    except BatchInProgress as exc:
        error = ApiError(409, "batch_in_progress", str(exc), "Idempotency-Key" if idempotency_key else "body")
        error.headers["Retry-After"] = "1"
        raise error from None
    except OnlineStoreUnavailable as exc:
        raise OnlineStoreDown(str(exc)) from exc
    except StorageError as exc:
        raise ApiError(503, "storage_unavailable", f"{exc}; nothing of this batch was stored", None) from None
    except Exception as exc:
        if online_writer is None or not is_down(exc):
            raise
        raise OnlineStoreDown(str(exc)) from exc
    return _receipt_answer(receipt)
