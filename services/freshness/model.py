"""Freshness verdicts (pure): the age of the newest value against a source's ``max_age`` SLA."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

#: fresh: within the SLA; stale: older than it; missing: no value at all; no_sla: nothing promised;
#: not_checked: the store could not be read (e.g. no Redis configured) - never counted as a breach
STATUSES = ("fresh", "stale", "missing", "no_sla", "not_checked")


@dataclass(frozen=True)
class StoreFreshness:
    store: str  # offline | online
    newest: datetime | None
    age_seconds: float | None
    count: int | None  # rows (offline) or entity keys holding the view (online)
    status: str
    detail: str = ""

    @property
    def breach(self) -> bool:
        return self.status in ("stale", "missing")


@dataclass(frozen=True)
class ViewFreshness:
    source: str
    view: str | None  # None: a source no feature view serves
    max_age_seconds: float | None
    offline: StoreFreshness
    online: StoreFreshness

    @property
    def breach(self) -> bool:
        return self.offline.breach or self.online.breach

    def to_dict(self) -> dict[str, Any]:
        def store(s: StoreFreshness) -> dict[str, Any]:
            return {**asdict(s), "newest": s.newest.isoformat() if s.newest else None, "breach": s.breach}

        return {"source": self.source, "view": self.view, "max_age_seconds": self.max_age_seconds,
                "offline": store(self.offline), "online": store(self.online), "breach": self.breach}


def judge(store: str, newest: datetime | None, count: int | None, max_age_seconds: float | None, now: datetime,
          checked: bool = True, detail: str = "") -> StoreFreshness:
    if not checked:
        return StoreFreshness(store, None, None, None, "not_checked", detail)
    age = None if newest is None else (now - newest).total_seconds()
    if max_age_seconds is None:
        status = "no_sla"
    elif newest is None:
        status = "missing"
    else:
        status = "stale" if age > max_age_seconds else "fresh"  # type: ignore[operator]
    return StoreFreshness(store, newest, age, count, status, detail)
