"""Crash-safe file writes: write a hidden temp file, fsync it, rename it into place, fsync the folder.

A reader sees either the old state or the whole new file, never a partial one, and a power cut
after the call returns loses nothing (the file, its name and any folder created for it are on
disk). Temp files carry their writer's host and pid, so the next writer can remove those a
killed process left behind.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Callable

#: Test seam (crash injection): called with (file, target) before every step that makes a
#: written file count: a rename into place, a staged file complete (``featureguard.ingest.commit``).
before_rename: Callable[[Path, Path], None] | None = None

TMP_SUFFIX = ".tmp"
#: A temp file older than this is stale even if its writer still runs (pid reuse, another host).
STALE_AFTER_SECONDS = 3600.0
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def step(written: Path, target: Path) -> None:
    if before_rename is not None:
        before_rename(written, target)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def make_dirs(path: Path) -> None:
    """``mkdir -p`` whose new folders survive a power cut (each new entry's parent is fsynced)."""
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise
        fsync_dir(folder.parent)


def move(source: Path, target: Path) -> Path:
    """Renames a finished, fsynced file into place and makes the new name durable."""
    step(source, target)
    os.replace(source, target)
    fsync_dir(target.parent)
    return target


def temp_path(target: Path, staging: Path) -> Path:
    """Hidden (readers of a folder skip dot-files), and named by host and pid of its writer."""
    return staging / f".{target.name}.{_HOST}-{os.getpid()}.{uuid.uuid4().hex}{TMP_SUFFIX}"


def write_atomically(target: Path, staging: Path, write: Callable[[Path], object]) -> Path:
    """Calls ``write(tmp_path)`` then moves the finished file to ``target``.

    ``staging`` must be on the same filesystem as ``target`` (it may be ``target.parent``).
    """
    make_dirs(staging)
    make_dirs(target.parent)
    tmp = temp_path(target, staging)
    try:
        write(tmp)
        fsync_file(tmp)
        move(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_bytes_atomically(target: Path, staging: Path, data: bytes) -> Path:
    return write_atomically(target, staging, lambda tmp: tmp.write_bytes(data))


def _writer_is_gone(name: str) -> bool:
    """True when the temp file's writer ran on this host and has exited."""
    try:
        host, pid = name.removesuffix(TMP_SUFFIX).rsplit(".", 2)[1].split("-")
        pid_number = int(pid)
    except ValueError:
        return False
    if host != _HOST:
        return False
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_stale_temp_files(staging: Path, max_age: float = STALE_AFTER_SECONDS) -> int:
    """Removes temp files of killed writers (and any older than ``max_age``); returns how many."""
    if not staging.is_dir():
        return 0
    removed = 0
    now = time.time()
    with os.scandir(staging) as entries:
        for entry in entries:
            if not entry.name.endswith(TMP_SUFFIX) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                stale = _writer_is_gone(entry.name) or now - entry.stat().st_mtime > max_age
                if stale:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # its writer renamed or removed it meanwhile
    return removed
