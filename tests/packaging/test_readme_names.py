"""The README speaks of featureguard.* only, starts with "Start your own project", and its
feature_store.yaml is the one ``featureguard init`` writes (fast: nothing is run)."""

from __future__ import annotations

import re

import yaml

from featureguard.project_init import FEATURE_STORE_YAML
from tests.packaging.readme import README, blocks

OLD_ROOTS = re.compile(r"\b(?:from|import)\s+(?:services|contracts|feature_repo)\b|(?<![\w.])(?:services|contracts|feature_repo)\.\w")


def test_the_readme_starts_with_start_your_own_project():
    headings = re.findall(r"^## (.+)$", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings[0] == "Start your own project"


def test_code_blocks_use_only_featureguard_names():
    code = [b for lang in ("python", "yaml", "bash") for b in blocks(lang)]
    assert len(blocks("python")) >= 4
    offenders = [line for block in code for line in block.splitlines() if OLD_ROOTS.search(line.split("#")[0])]
    assert offenders == []


def test_plugin_type_strings_are_the_installed_names():
    text = README.read_text(encoding="utf-8")
    for name in ("featureguard.offline_store.AsofOfflineStore", "featureguard.materialize.BulkRedisComputeEngine"):
        assert name in text
    types = set(re.findall(r"type:\s*([\w.]+)", text))
    assert types <= {"redis", "redis_cluster", "featureguard.offline_store.AsofOfflineStore",
                     "featureguard.materialize.BulkRedisComputeEngine"}, types


def test_the_readme_feature_store_yaml_is_what_init_writes():
    (shown,) = [yaml.safe_load(b) for b in blocks("yaml") if "featureguard:" in b]
    assert shown == yaml.safe_load(FEATURE_STORE_YAML.format(name=shown["project"]))
