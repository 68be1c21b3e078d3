"""Where a contract version comes from on the command line (``contracts diff OLD NEW``).

- ``weather``: the source's contract in the current code;
- ``weather@1.0.0``: a version recorded in the lock;
- ``path/to/file.py``: a contract module (defines ``CONTRACT``);
- ``file.yaml`` / ``file.json``: a snapshot (our YAML export, a lock entry or a whole one-source lock);
- ``REV:path`` (``HEAD~1:contracts/weather.py``, or ``HEAD~1:weather``): that file at a git revision.

A contract module read from git is executed like the module it was; it is the project's own
history, read from the project's own repository.
"""

from __future__ import annotations

import json
import subprocess
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from featureguard.contracts.model import Contract
from featureguard.contracts.registry import UnknownSourceError, current_registry, get_contract, list_sources
from featureguard.contracts.snapshot import SnapshotError, snapshot
from featureguard.contracts.versions import read_lock, recorded, versions


class SpecError(ValueError):
    """A contract spec names nothing readable."""


@dataclass(frozen=True)
class Resolved:
    label: str
    snapshot: dict[str, Any]


def _git_root() -> Path:
    """The git work tree holding the project's contracts (REV:PATH paths are relative to it)."""
    folder = current_registry().folder
    out = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise SpecError(f"{folder} is not in a git repository: {out.stderr.strip()}")
    return Path(out.stdout.strip())


def _module_path(source: str) -> str:
    """The source's contract file, relative to the git work tree."""
    return current_registry().path_of(source).resolve().relative_to(_git_root().resolve()).as_posix()


def contract_from_python(text: str, origin: str) -> Contract:
    module = types.ModuleType(f"featureguard_contract_{abs(hash(origin))}")
    module.__file__ = origin
    try:
        exec(compile(text, origin, "exec"), module.__dict__)  # noqa: S102 - the project's own contract module
    except Exception as exc:
        raise SpecError(f"{origin}: the contract module fails to load: {type(exc).__name__}: {exc}") from exc
    contract = getattr(module, "CONTRACT", None)
    if not isinstance(contract, Contract):
        raise SpecError(f"{origin}: defines no CONTRACT")
    return contract


def _from_document(data: Any, origin: str, source_hint: str | None = None) -> dict[str, Any]:
    """A snapshot, a lock entry or a lock holding one source (or the hinted source's newest)."""
    if isinstance(data, dict) and "sources" in data and "format" in data:
        sources = data["sources"]
        name = source_hint or (next(iter(sources)) if len(sources) == 1 else None)
        if name is None or name not in sources or not sources[name]:
            raise SpecError(f"{origin}: a lock with several sources; name one as SOURCE@VERSION")
        return sources[name][versions(data, name)[-1]]
    if isinstance(data, dict) and "columns" in data and "metadata" in data:
        return data
    raise SpecError(f"{origin}: not a contract snapshot (pandera schema with metadata.featureguard) or lock")


def snapshot_from_text(text: str, origin: str) -> dict[str, Any]:
    suffix = Path(origin.split(":", 1)[-1]).suffix.lower()
    if suffix == ".py":
        return snapshot(contract_from_python(text, origin), lenient=True)
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{origin}: unreadable: {exc}") from exc
    return _from_document(data, origin)


def _git_show(rev: str, path: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(_git_root()), "show", f"{rev}:{path}"], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpecError(f"{rev}:{path}: git is not usable here: {exc}") from exc
    if out.returncode != 0:
        raise SpecError(f"{rev}:{path}: {out.stderr.strip() or 'not found'}")
    return out.stdout


def resolve(spec: str, lock_path: Path | None = None) -> Resolved:
    """Reads one contract version named as described in the module docstring."""
    sources = list_sources()
    try:
        if Path(spec).is_file():
            path = Path(spec)
            return Resolved(str(path), snapshot_from_text(path.read_text(), str(path)))
        if "@" in spec and spec.split("@", 1)[0] in sources:
            source, version = spec.split("@", 1)
            found = recorded(read_lock(lock_path), source, version)
            if found is None:
                known = ", ".join(versions(read_lock(lock_path), source)) or "none"
                raise SpecError(f"{spec}: version {version} of {source} is not recorded (recorded: {known})")
            return Resolved(spec, found)
        if spec in sources:
            return Resolved(f"{spec} (working tree)", snapshot(get_contract(spec)))
        if ":" in spec:
            rev, path = spec.split(":", 1)
            if path in sources:
                path = _module_path(path)
            return Resolved(spec, snapshot_from_text(_git_show(rev, path), f"{rev}:{path}"))
    except (SnapshotError, UnknownSourceError) as exc:
        raise SpecError(f"{spec}: {exc}") from exc
    raise SpecError(f"{spec}: not a file, a source ({', '.join(sources)}), SOURCE@VERSION or REV:PATH")
