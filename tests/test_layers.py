"""The layers of .importlinter hold: checked by import-linter on the package as the wheel lays it
out (featureguard/ with contracts/ and feature_repo/ inside), since the repository keeps those
folders side by side and maps them with setuptools' package-dir."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_layers_hold(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "services", tree / "featureguard", ignore=ignore)
    shutil.copytree(ROOT / "contracts", tree / "featureguard" / "contracts", ignore=ignore)
    shutil.copytree(ROOT / "feature_repo", tree / "featureguard" / "feature_repo", ignore=ignore)
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), str(ROOT / ".importlinter")], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in out.stdout
