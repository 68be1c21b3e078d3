"""``contracts check``: the code, the version lock and the stored data agree (Feast-free).

Two questions, each answered by a function returning findings:

- ``check_lock``: is every contract change since the last recorded version compatible under
  its source's mode, or does it come with a major version bump; is the current version recorded
  with exactly this schema; does the recorded history itself obey the rule?
- ``check_offline``: is every stored Parquet partition under FEATUREGUARD_HOME/offline/<source>
  tagged with a recorded version, shaped as that version says, and readable under the current
  contract (no change since that version fails the backward direction)?

The third question, whether a project's Feast views still say what the contracts say, needs
Feast and lives in ``featureguard.project_check``; its findings use the same ``Finding``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from featureguard.contracts.compat import diff, parse_version
from featureguard.contracts.model import CONTRACT_VERSION, LINEAGE_COLUMNS, Contract
from featureguard.contracts.snapshot import facts, snapshot
from featureguard.contracts.types import column_type
from featureguard.contracts.versions import previous, recorded, versions


@dataclass(frozen=True)
class Finding:
    source: str
    area: str  # lock | feast | offline
    ok: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fail(source: str, area: str, message: str) -> Finding:
    return Finding(source, area, False, message)


def _ok(source: str, area: str, message: str) -> Finding:
    return Finding(source, area, True, message)


def _reasons(changes) -> str:
    return "; ".join(f"{c.subject}: {c.reason} ({c.old!r} -> {c.new!r})" for c in changes)


def _history(lock: dict[str, Any], source: str) -> list[Finding]:
    out = []
    recorded_versions = versions(lock, source)
    for old, new in zip(recorded_versions, recorded_versions[1:]):
        result = diff(facts(recorded(lock, source, old)), facts(recorded(lock, source, new)))
        if not result.allowed:
            out.append(_fail(source, "lock", f"recorded {old} -> {new} breaks {result.mode} without a major "
                                             f"bump: {_reasons(result.breaking)}"))
    return out


def check_lock(contracts: Iterable[Contract], lock: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    names = set()
    for contract in contracts:
        name, version = contract.name, contract.version
        names.add(name)
        findings.extend(_history(lock, name))
        current = facts(snapshot(contract))
        try:
            parse_version(version)
        except ValueError as exc:
            findings.append(_fail(name, "lock", str(exc)))
            continue
        have = recorded(lock, name, version)
        if have is not None:
            if facts(have) == current:
                findings.append(_ok(name, "lock", f"{version} matches its recorded snapshot"))
            else:
                changes = diff(facts(have), current).changes
                findings.append(_fail(name, "lock", f"{version} changed since it was recorded: bump the version "
                                                    f"(major if breaking) and run `featureguard contracts lock`: "
                                                    f"{_reasons(changes)}"))
            continue
        known = versions(lock, name)
        if not known:
            findings.append(_fail(name, "lock", f"{version} is not recorded: run `featureguard contracts lock`"))
            continue
        before = previous(lock, name, version)
        if before is None or parse_version(version) < parse_version(known[-1]):
            findings.append(_fail(name, "lock", f"{version} is older than the recorded {known[-1]}"))
            continue
        result = diff(facts(recorded(lock, name, before)), current)
        if not result.allowed:
            findings.append(_fail(name, "lock", f"{before} -> {version} breaks {result.mode} compatibility without "
                                                f"a major version bump: {_reasons(result.breaking)}"))
        else:
            findings.append(_fail(name, "lock", f"{before} -> {version} is allowed ({result.bump} bump, "
                                                f"{len(result.changes)} change(s)) but not recorded: "
                                                "run `featureguard contracts lock`"))
    for name in sorted(set(lock["sources"]) - names):
        findings.append(_ok(name, "lock", "recorded but no longer registered (its stored data stays readable "
                                          "only through the recorded snapshot)"))
    return findings


def stored_partitions(root: Path) -> list[dict[str, Any]]:
    """Per Parquet file: its columns with Arrow types and the contract versions of its rows."""
    import duckdb
    import pyarrow.parquet as pq

    files = sorted(root.glob("*.parquet"))
    if not files:
        return []
    out = []
    with duckdb.connect() as con:
        for path in files:
            schema = pq.read_schema(path)
            tagged = CONTRACT_VERSION in schema.names
            rows = con.execute(
                f"SELECT {CONTRACT_VERSION if tagged else 'NULL'}, count(*) FROM read_parquet(?) GROUP BY 1",
                [str(path)]).fetchall()
            out.append({"file": path, "columns": {f.name: str(f.type) for f in schema},
                        "versions": {v: n for v, n in rows}})
    return out


def check_offline(contracts: Iterable[Contract], lock: dict[str, Any], offline_root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for contract in contracts:
        parts = stored_partitions(Path(offline_root) / contract.name)
        if not parts:
            findings.append(_ok(contract.name, "offline", "no stored partitions"))
            continue
        current = facts(snapshot(contract))
        problems: list[str] = []
        for part in parts:
            problems.extend(_partition_problems(contract, current, lock, part))
        if problems:
            findings.append(_fail(contract.name, "offline", "; ".join(problems)))
        else:
            tagged = sorted({v for p in parts for v in p["versions"]}, key=parse_version)
            findings.append(_ok(contract.name, "offline", f"{len(parts)} partition(s) under {', '.join(tagged)} "
                                                          f"readable under {contract.version}"))
    return findings


def _partition_problems(contract: Contract, current, lock: dict[str, Any], part: dict[str, Any]) -> list[str]:
    name = Path(part["file"]).name
    problems = []
    for version in part["versions"]:
        if version is None:
            problems.append(f"{name}: rows without a {CONTRACT_VERSION}")
            continue
        snap = recorded(lock, contract.name, version)
        if snap is None and version == contract.version:
            snap = snapshot(contract)
        if snap is None:
            problems.append(f"{name}: stored under {version}, which is not recorded in the lock")
            continue
        then = facts(snap)
        stored = {c: t for c, t in part["columns"].items() if c not in LINEAGE_COLUMNS}
        if list(stored) != list(then.columns):
            problems.append(f"{name}: columns {list(stored)} are not those of {version} {list(then.columns)}")
        for column, arrow_type in stored.items():
            spec = then.columns.get(column)
            known = column_type(spec.dtype) if spec is not None else None
            if known is not None and arrow_type not in known.arrow_accepted:
                problems.append(f"{name}: {column} stored as {arrow_type}, {version} says {spec.dtype}")
        unreadable = [c for c in diff(then, current).changes if not c.info and not c.backward]
        if unreadable:
            problems.append(f"{name}: rows accepted under {version} may fail {contract.version}: {_reasons(unreadable)}")
    return problems
