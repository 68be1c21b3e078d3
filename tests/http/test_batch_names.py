"""``?name=`` on ingest names files (the quarantined original keeps its suffix) and receipts: a
name that cannot be a file name is refused with 422 before anything is stored."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.http.conftest import JSON_ADMIN, client_for, records, store_snapshot, weather_rows

BAD_NAMES = {
    "nul": "batch.\x00csv",
    "newline": "batch.\ncsv",
    "carriage_return": "batch\r.csv",
    "tab": "a\tb.csv",
    "escape": "batch.\x1b[31mcsv",
    "bidi_override": "batch\u202e.csv",
    "slash": "../../etc/passwd",
    "backslash": "..\\x.csv",
    "dot_dot": "..",
    "empty": "  ",
    "long_multibyte_suffix": "x." + "\u00e9" * 100,  # 102 characters, 202 bytes
    "long_ascii": "x" * 129,
}


def _rejected_batch(hours: int = 2) -> bytes:
    """A batch rejected as a whole (a missing column), so its original is quarantined under the name's suffix."""
    return records(weather_rows(hours).drop(columns=["visib"]))


@pytest.mark.parametrize("kind", sorted(BAD_NAMES))
def test_unusable_names_are_422_and_store_nothing(stores, kind: str) -> None:
    before = store_snapshot(stores)
    with client_for(stores.redis.url) as client:
        response = client.post(f"/v1/ingest/weather?name={quote(BAD_NAMES[kind], safe='')}",
                               content=_rejected_batch(), headers=JSON_ADMIN)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_name" and body["field"] == "name"
    assert store_snapshot(stores) == before
    assert not (stores.home / "quarantine").exists() and not (stores.home / "receipts").exists()


def test_usable_names_are_kept_and_name_printable_files(stores) -> None:
    name = " donn\u00e9es-\u00e9t\u00e9 2013 (v2).csv "  # non-ASCII and spaces; surrounding spaces dropped
    fits = "x." + "\u00e9" * 63  # 128 bytes: exactly the limit
    with client_for(stores.redis.url) as client:
        rejected = client.post(f"/v1/ingest/weather?name={quote(name)}", content=_rejected_batch(), headers=JSON_ADMIN)
        assert rejected.status_code == 422 and rejected.json()["error"] == "batch_rejected"
        assert rejected.json()["receipt"]["file_name"] == name.strip()
        longest = client.post(f"/v1/ingest/weather?name={quote(fits)}", content=_rejected_batch(3), headers=JSON_ADMIN)
        assert longest.status_code == 422 and longest.json()["receipt"]["file_name"] == fits
    files = [p.name for p in (stores.home / "quarantine").rglob("*") if p.is_file()]
    assert len(files) == 2 and any(f.endswith(".csv") for f in files) and any(f.endswith("\u00e9" * 63) for f in files)
    assert all(f.isprintable() and len(f.encode()) <= 255 for f in files)
