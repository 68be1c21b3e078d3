"""One batch's writes as a unit: staged out of sight, committed by its receipt, then published.

Readers list the offline folder, so a part file must not appear there before the batch has a
receipt. Every file of a batch (part, quarantine file, report) is first written under
``staging/batches/<batch_id>/`` with a manifest of where it goes; writing the receipt is the
commit; only then are the files renamed into place. A crash before the receipt leaves nothing
visible (the next ingest deletes the staged files); a crash after it leaves a receipt whose
files the next ingest publishes. Either way a re-run converges to exactly one copy.

Ingests of the same batch id exclude each other with an ``flock`` on
``staging/locks/<batch_id>.lock``; the kernel releases it when its holder dies, so a lock that
can be taken belongs to nobody alive.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path
from typing import Callable

import orjson

from featureguard.errors import OperationalError
from featureguard.atomic import fsync_dir, fsync_file, make_dirs, move, remove_stale_temp_files, step

MANIFEST = "manifest.json"


class BatchInProgress(OperationalError):
    """Another request is ingesting the same batch (same bytes or Idempotency-Key) right now."""


class BatchLock:
    """An exclusive lock on one batch id, across threads and processes."""

    def __init__(self, staging: Path, batch_id: str) -> None:
        self.path = staging / "locks" / f"{batch_id}.lock"
        self._fd: int | None = None

    def acquire(self, wait: float) -> bool:
        """Takes the lock, waiting up to ``wait`` seconds (0: one try); False if still held."""
        deadline = time.monotonic() + wait
        pause = 0.005
        make_dirs(self.path.parent)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.1)
                continue
            try:  # a releasing holder unlinks the file: a lock on a removed inode protects nothing
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                self._fd = fd
                return True
            os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def hold(staging: Path, batch_id: str, wait: float) -> BatchLock:
    lock = BatchLock(staging, batch_id)
    if not lock.acquire(wait):
        raise BatchInProgress(f"batch {batch_id} is being ingested by another request right now; "
                              f"retry when it has finished (waited {wait:g} s)")
    return lock


class BatchFiles:
    """The files of one batch, staged until ``commit``; ``abort`` before it leaves no trace."""

    def __init__(self, home: Path, staging: Path, batch_id: str) -> None:
        self.home = home
        self.staging = staging
        self.dir = staging / "batches" / batch_id
        self.moves: list[tuple[str, str]] = []  # (staged file name, target relative to home)
        self.committed = False

    def stage(self, target: Path, write: Callable[[Path], object]) -> Path:
        """Writes the file where no reader looks; returns the path it will have once committed.

        Written in place (no temp file and rename): nothing reads a staged file before the
        manifest, written after every staged file is complete and fsynced, lists it.
        """
        if not self.moves:
            make_dirs(self.dir)
        staged = self.dir / f"{len(self.moves)}-{target.name}"
        write(staged)
        fsync_file(staged)
        step(staged, target)
        self.moves.append((staged.name, str(target.relative_to(self.home))))
        return target

    def commit(self, receipt: Path, write_receipt: Callable[[], object]) -> None:
        """Manifest, then the receipt (the commit point), then the files into place."""
        make_dirs(self.dir)
        manifest = self.dir / MANIFEST
        manifest.write_bytes(orjson.dumps(self.moves))
        fsync_file(manifest)
        fsync_dir(self.dir)  # the staged files' and the manifest's names
        step(manifest, manifest)
        try:
            write_receipt()
        finally:  # renamed in but not fsynced is committed too: never roll back under a receipt
            self.committed = receipt.exists()
        publish(self.dir, self.home)

    def abort(self) -> None:
        """Rolls back an uncommitted batch; a committed one is left for ``settle`` to publish."""
        if not self.committed:
            shutil.rmtree(self.dir, ignore_errors=True)


def publish(folder: Path, home: Path) -> None:
    """Moves a committed batch's staged files into place (again, after a crash: idempotent)."""
    for name, target in orjson.loads((folder / MANIFEST).read_bytes()):
        staged = folder / name
        if staged.exists():
            destination = home / target
            make_dirs(destination.parent)
            move(staged, destination)
    shutil.rmtree(folder, ignore_errors=True)


def settle(home: Path, staging: Path, batch_id: str, has_receipt: Callable[[str], bool]) -> None:
    """Finishes what a dead ingest of ``batch_id`` left in staging; the caller holds its lock."""
    folder = staging / "batches" / batch_id
    if not folder.is_dir():
        return
    if has_receipt(batch_id) and (folder / MANIFEST).exists():
        publish(folder, home)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def recover(home: Path, staging: Path, own: str, has_receipt: Callable[[str], bool]) -> None:
    """Run at the start of every ingest (holding ``own``'s lock): settles every batch a killed
    ingest left behind, skips those another live ingest holds, removes stale temp files."""
    remove_stale_temp_files(staging)
    settle(home, staging, own, has_receipt)
    names: set[str] = set()
    batches, locks = staging / "batches", staging / "locks"
    if batches.is_dir():
        names.update(p.name for p in batches.iterdir())
    if locks.is_dir():
        names.update(p.name.removesuffix(".lock") for p in locks.glob("*.lock"))
    names.discard(own)
    for batch_id in sorted(names):
        lock = BatchLock(staging, batch_id)
        if lock.acquire(0):
            try:
                settle(home, staging, batch_id, has_receipt)
            finally:
                lock.release()
