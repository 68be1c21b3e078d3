"""A wheel built from this checkout and a fresh venv holding it (built once per test session).

The wheel is built from a copy of the sources, so a stale ``build/`` folder cannot leak old
files into it and nothing is written into the checkout. The fresh venv installs the wheel
alone (``--no-deps``); its dependencies come from this venv's site-packages through a ``.pth``
file. Python does not scan a folder added that way for ``.pth`` files, so the editable install
of this checkout stays invisible there and ``featureguard`` is the wheel's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.packaging.layout import ROOT

#: Copied out of the checkout to build from: everything but caches, venvs and build output.
_NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                      ".featureguard", ".pytest_cache", ".hypothesis", ".import_linter_cache", ".results")

#: Variables that would point a command at this checkout instead of what the wheel installed.
_CHECKOUT_ENV = ("FEATUREGUARD_REPO", "FEATUREGUARD_HOME", "FEATUREGUARD_REDIS", "PYTHONPATH", "VIRTUAL_ENV",
                 "REDIS_URL", "FEATUREGUARD_REDIS_TYPE")


@dataclass(frozen=True)
class FreshVenv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def featureguard(self) -> Path:
        return self.root / "bin" / "featureguard"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _CHECKOUT_ENV}
        env["PATH"] = f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return {**env, **extra}

    def run(self, *args: str | Path, cwd: Path, timeout: float = 180, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], cwd=cwd, env=self.env(**extra), capture_output=True,
                              text=True, timeout=timeout)


def _check(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel`` builds from this checkout (build isolation, like a release)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    _check([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(source)])
    (built,) = (work / "dist").glob("featureguard-*.whl")
    return built


@pytest.fixture(scope="session")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshVenv]:
    root = tmp_path_factory.mktemp("venv") / "fresh"
    _check([sys.executable, "-m", "venv", "--without-pip", str(root)])
    venv = FreshVenv(root)
    _check([sys.executable, "-m", "pip", "--python", str(venv.python), "install", "--quiet", "--no-deps",
            "--no-index", str(wheel)])
    purelib = _check([str(venv.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     env=venv.env()).stdout.strip()
    (Path(purelib) / "featureguard_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    yield venv
