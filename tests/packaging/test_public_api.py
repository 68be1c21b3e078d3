"""``featureguard``'s public API: every name in ``__all__`` resolves, IDEs see each one (the
TYPE_CHECKING re-exports), and importing the package or running a producer command never
imports Feast."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import featureguard
from tests.packaging.layout import ROOT

FEAST_MODULES = "sorted(m for m in sys.modules if m == 'feast' or m.startswith('feast.'))"


def _python(code: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_import_featureguard_imports_no_feast():
    assert _python(f"import sys, featureguard\nprint({FEAST_MODULES})") == "[]"


def test_the_project_api_imports_no_feast():
    """Naming a contract or finding a project is producer work: still no Feast."""
    code = ("import sys, featureguard\n"
            "project = featureguard.find_project()\n"
            "assert featureguard.contract('weather').name == 'weather'\n"
            "assert 'weather' in featureguard.list_sources()\n"
            "featureguard.open_store, featureguard.entity, featureguard.feature_view\n"
            f"print({FEAST_MODULES})")
    assert _python(code) == "[]"


def test_every_public_name_resolves_to_its_definition():
    code = ("import featureguard, importlib\n"
            "for name in featureguard.__all__:\n"
            "    value = getattr(featureguard, name)\n"
            "    home = importlib.import_module(featureguard._EXPORTS[name])\n"
            "    assert value is getattr(home, name), name\n"
            "print(len(featureguard.__all__))")
    assert int(_python(code)) == len(featureguard.__all__) > 0
    assert set(featureguard.__all__) <= set(dir(featureguard))


def test_an_unknown_name_is_an_attribute_error():
    try:
        featureguard.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("featureguard.no_such_thing resolved")


def test_type_checkers_see_every_public_name_where_it_is_defined():
    """The TYPE_CHECKING imports and the lazy table name the same objects from the same modules."""
    tree = ast.parse((ROOT / "services" / "__init__.py").read_text(encoding="utf-8"))
    (guard,) = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    seen = {alias.asname or alias.name: node.module for node in guard.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}
    assert seen == featureguard._EXPORTS
    assert sorted(featureguard.__all__) == sorted(seen)


def test_the_issue_names_are_public():
    for name in ("open_store", "entity", "feature_view", "contract", "get_online_features"):
        assert name in featureguard.__all__


def test_init_and_producer_commands_in_a_new_project_import_no_feast(tmp_path):
    """The older check (tests/cli/test_cli.py) runs in the example project; a starter
    project made by ``init`` must be as light."""
    project = tmp_path / "sensors"
    code = ("import sys\n"
            "from typer.testing import CliRunner\n"
            "from featureguard.cli.app import app\n"
            f"project = {str(project)!r}\n"
            "runs = [(['init', project], 0), (['--repo', project, 'contracts', 'list'], 0),\n"
            "        (['--repo', project, 'validate', 'readings', project + '/data/readings-sample.csv'], 1),\n"
            "        (['--repo', project, 'contracts', 'export', 'readings', '-f', 'yaml'], 0)]\n"
            "for args, code in runs:\n"
            "    result = CliRunner().invoke(app, args)\n"
            "    assert result.exit_code == code, (args, result.exit_code, result.output)\n"
            f"print({FEAST_MODULES})")
    assert _python(code, FEATUREGUARD_HOME=str(tmp_path / "home")) == "[]"
    assert (project / "contracts" / "readings.py").is_file()
