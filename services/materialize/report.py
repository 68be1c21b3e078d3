"""What one view's materialization did: rows read, written, kept (newer in Redis), rejected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class MaterializationReport:
    view: str
    start: datetime
    end: datetime
    rows: int = 0  # newest row per entity in the window
    written: int = 0
    not_newer: int = 0  # Redis already held a value at least as new: left alone
    rejected: int = 0  # failed the contract (or had no key): not written
    failures: list[dict[str, Any]] = field(default_factory=list)
    contract: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out

    def summary(self) -> str:
        text = (f"{self.view}: {self.rows:,} entities, {self.written:,} written, "
                f"{self.not_newer:,} already newer in Redis, {self.rejected:,} rejected "
                f"in {self.seconds:.2f} s")
        for failure in self.failures:
            where = f"{failure['column']}:" if failure.get("column") else ""
            examples = ", ".join(_example(e) for e in failure.get("examples", [])[:3])
            text += f"\n  rejected {failure['count']:,} rows ({where}{failure['check']}); e.g. {examples}"
        return text


def _example(example: dict[str, Any]) -> str:
    entity = ",".join(f"{k}={v}" for k, v in (example.get("entity") or {}).items())
    return f"{entity or '?'} value={example.get('value')!r}"
