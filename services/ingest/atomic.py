"""Crash-safe file writes: write to staging on the same filesystem, fsync, then rename into place.

A reader sees either the old state or the whole new file, never a partial one. Names are
deterministic per batch, so a re-run after a crash replaces rather than duplicates.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable

#: Test seam: called after the temp file is complete and before the rename (crash injection).
before_rename: Callable[[Path, Path], None] | None = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(target: Path, staging: Path, write: Callable[[Path], None]) -> Path:
    """Calls ``write(tmp_path)`` then moves the finished file to ``target``."""
    staging.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if before_rename is not None:
            before_rename(tmp, target)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_bytes_atomically(target: Path, staging: Path, data: bytes) -> Path:
    return write_atomically(target, staging, lambda tmp: tmp.write_bytes(data))
