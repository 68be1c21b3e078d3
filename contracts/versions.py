"""The version lock: one recorded snapshot per source and contract version (a project's contracts/versions.lock.json).

The lock is to contracts what a package lock is to dependencies: the record of what each
published version promised. ``contracts check`` compares the code against it, ``contracts diff``
can name a recorded version (``weather@1.0.0``), and stored partitions are read against the
snapshot of the version they were accepted under. Its text is deterministic (sources by name,
versions in semver order, no timestamps), so recording twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from featureguard.contracts.compat import diff, parse_version
from featureguard.contracts.model import Contract
from featureguard.contracts.snapshot import facts, snapshot

FORMAT = 1


class LockError(ValueError):
    """Recording would rewrite history or a version violates its source's compatibility mode."""


def empty_lock() -> dict[str, Any]:
    return {"format": FORMAT, "sources": {}}


def default_lock_path() -> Path:
    """The active project's lock: ``contracts/versions.lock.json`` beside its contracts."""
    from featureguard.contracts.registry import current_registry

    return current_registry().lock_path


def read_lock(path: Path | None = None) -> dict[str, Any]:
    path = default_lock_path() if path is None else path
    if not Path(path).exists():
        return empty_lock()
    lock = json.loads(Path(path).read_text())
    if lock.get("format") != FORMAT:
        raise LockError(f"{path}: unsupported lock format {lock.get('format')!r} (expected {FORMAT})")
    return lock


def dumps(lock: dict[str, Any]) -> str:
    sources = {name: {v: lock["sources"][name][v] for v in versions(lock, name)} for name in sorted(lock["sources"])}
    return json.dumps({"format": FORMAT, "sources": sources}, indent=2, ensure_ascii=False) + "\n"


def write_lock(lock: dict[str, Any], path: Path | None = None) -> Path:
    path = Path(default_lock_path() if path is None else path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(lock))
    tmp.replace(path)
    return path


def versions(lock: dict[str, Any], source: str) -> list[str]:
    """Recorded versions of ``source``, oldest first."""
    return sorted(lock["sources"].get(source, {}), key=parse_version)


def recorded(lock: dict[str, Any], source: str, version: str) -> dict[str, Any] | None:
    return lock["sources"].get(source, {}).get(version)


def previous(lock: dict[str, Any], source: str, version: str) -> str | None:
    """The newest recorded version older than ``version``."""
    older = [v for v in versions(lock, source) if parse_version(v) < parse_version(version)]
    return older[-1] if older else None


def record(lock: dict[str, Any], contracts: Iterable[Contract], force: bool = False) -> list[str]:
    """Adds each contract's current version; returns what was added (``source@version``).

    A recorded version is never rewritten with a different schema, and a version whose changes
    break its source's mode without a major bump is refused, unless ``force``.
    """
    added = []
    for contract in contracts:
        snap = snapshot(contract)
        have = recorded(lock, contract.name, contract.version)
        if have is not None:
            if facts(have) != facts(snap) and not force:
                raise LockError(f"{contract.name}@{contract.version} is recorded with a different schema; "
                                "bump the version instead of rewriting a published one")
            if facts(have) == facts(snap):
                continue
        newest = versions(lock, contract.name)
        if newest and parse_version(contract.version) < parse_version(newest[-1]) and have is None and not force:
            raise LockError(f"{contract.name}@{contract.version} is older than the recorded {newest[-1]}")
        before = previous(lock, contract.name, contract.version)
        if before is not None and not force:
            result = diff(facts(recorded(lock, contract.name, before)), facts(snap))
            if not result.allowed:
                reasons = "; ".join(f"{c.subject}: {c.reason}" for c in result.breaking)
                raise LockError(f"{contract.name} {before} -> {contract.version} breaks {result.mode} "
                                f"compatibility without a major version bump: {reasons}")
        lock["sources"].setdefault(contract.name, {})[contract.version] = snap
        added.append(f"{contract.name}@{contract.version}")
    return added
