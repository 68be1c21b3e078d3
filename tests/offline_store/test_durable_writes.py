"""Feast's offline write paths survive a power cut: file, folder entry and new folders are fsynced."""

from __future__ import annotations

import os

import pyarrow as pa

from featureguard.offline_store import writes


def test_offline_writes_fsync_the_file_its_folder_and_new_folders(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    target = tmp_path / "new" / "deeper" / "part-1.parquet"
    writes.write_atomically(pa.table({"x": [1, 2, 3]}), target)

    assert target.stat().st_ino in synced, "the file's data"
    for folder in (target.parent, tmp_path / "new", tmp_path):  # the new name, and each new folder's entry
        assert folder.stat().st_ino in synced, folder
    assert [p.name for p in target.parent.iterdir()] == ["part-1.parquet"], "no temp file left"
